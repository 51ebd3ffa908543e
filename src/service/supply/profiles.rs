//! Seasons and yards: a recurring lot's 12-month generation profile with its yard's stock and
//! capacity, and a recurring demand's 12-month intake profile. Without a profile a stream makes,
//! and a demand takes, its monthly tonnage every month. The only writer of `stream_profiles` and
//! `intake_profiles`.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::{intake_profiles, stream_profiles, supply_contracts};
use crate::db::{DbConnection, now};
use crate::domain::listing::SupplyPattern;
use crate::domain::quantity::format_tonnes;
use crate::domain::supply::{ContractStatus, Month, Profile, flat, held_in, parse_profile};
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::audit::{self, Entry};
use crate::service::input::{Checks, Tonnes, TonnesOrZero};
use crate::service::market::lots::{self, ListingRow};
use crate::service::matching::demands::{self, DemandRow};

/// Twelve monthly figures, January first.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StreamProfileInput {
    /// Tonnes made in each calendar month, January first.
    #[schema(min_items = 12, max_items = 12)]
    pub monthly_t: Vec<TonnesOrZero>,
    /// Tonnes in the yard today.
    pub yard_stock_t: Option<TonnesOrZero>,
    /// Tonnes the yard holds when full.
    pub yard_capacity_t: Option<Tonnes>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeProfileInput {
    /// Tonnes taken in each calendar month, January first.
    #[schema(min_items = 12, max_items = 12)]
    pub monthly_t: Vec<TonnesOrZero>,
}

/// One month ahead: what the stream makes, what contracts hold of it, what is still free.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonthPromise {
    pub month: String,
    pub generation_t: String,
    pub committed_t: String,
    pub free_t: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StreamProfile {
    pub listing_id: String,
    /// Tonnes made in each calendar month, January first (the lot's monthly tonnage when no
    /// profile was given).
    pub monthly_t: Vec<String>,
    pub yard_stock_t: Option<String>,
    pub yard_capacity_t: Option<String>,
    /// The next twelve months, this one first.
    pub months: Vec<MonthPromise>,
    /// `null` while the lot's flat monthly tonnage stands in for a profile.
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IntakeProfile {
    pub demand_id: String,
    /// Tonnes taken in each calendar month, January first (the demand's monthly tonnage when no
    /// profile was given).
    pub monthly_t: Vec<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

fn checked(c: &mut Checks, monthly: &[TonnesOrZero]) -> Profile {
    if monthly.len() != 12 {
        c.push("monthly_t", "length", "twelve months, January first");
    }
    let mut profile = [0; 12];
    for (i, t) in monthly.iter().take(12).enumerate() {
        profile[i] = c
            .tonnes_or_zero(&format!("monthly_t[{i}]"), t)
            .unwrap_or_default();
    }
    profile
}

/// What a stream makes each calendar month.
pub fn generation(conn: &mut DbConnection, listing: &ListingRow) -> QueryResult<Profile> {
    let stored: Option<String> = stream_profiles::table
        .find(&listing.id)
        .select(stream_profiles::monthly_kg)
        .first(conn)
        .optional()?;
    Ok(stored
        .as_deref()
        .and_then(parse_profile)
        .unwrap_or_else(|| flat(listing.monthly_kg.unwrap_or_default())))
}

/// Stored generation profiles of many lots (matching loads them for a page of candidates).
pub fn generations(conn: &mut DbConnection, ids: &[&str]) -> QueryResult<HashMap<String, Profile>> {
    let rows: Vec<(String, String)> = stream_profiles::table
        .filter(stream_profiles::listing_id.eq_any(ids))
        .select((stream_profiles::listing_id, stream_profiles::monthly_kg))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, text)| Some((id, parse_profile(&text)?)))
        .collect())
}

/// What a recurring demand takes each calendar month.
pub fn intake(conn: &mut DbConnection, demand: &DemandRow) -> QueryResult<Profile> {
    let stored: Option<String> = intake_profiles::table
        .find(&demand.id)
        .select(intake_profiles::monthly_kg)
        .first(conn)
        .optional()?;
    Ok(stored
        .as_deref()
        .and_then(parse_profile)
        .unwrap_or_else(|| flat(demand.monthly_kg.unwrap_or(demand.quantity_kg))))
}

/// (start, end, monthly maximum) of every contract holding a share of the stream.
pub fn committed(
    conn: &mut DbConnection,
    listing_id: &str,
    except: Option<&str>,
) -> QueryResult<Vec<(Month, Month, i64)>> {
    let rows: Vec<(String, String, String, i64)> = supply_contracts::table
        .filter(supply_contracts::listing_id.eq(listing_id))
        .filter(supply_contracts::status.eq_any(ContractStatus::COMMITTED.map(|s| s.as_str())))
        .select((
            supply_contracts::id,
            supply_contracts::start_month,
            supply_contracts::end_month,
            supply_contracts::max_monthly_kg,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(id, ..)| Some(id.as_str()) != except)
        .filter_map(|(_, s, e, kg)| Some((Month::parse(&s)?, Month::parse(&e)?, kg)))
        .collect())
}

fn recurring_lot(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
) -> Result<ListingRow, ApiError> {
    let listing = lots::load_row(conn, id)?;
    if !(user.belongs_to(&listing.organization_id) || user.is_staff()) {
        return Err(ApiError::not_found());
    }
    if listing.supply_pattern != SupplyPattern::Recurring {
        return Err(ApiError::conflict(
            "not_a_stream",
            "Only a recurring lot has a generation profile.",
        ));
    }
    Ok(listing)
}

/// The producer states the stream's seasons and its yard.
pub fn put_stream(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
    input: &StreamProfileInput,
) -> Result<StreamProfile, ApiError> {
    let listing = recurring_lot(conn, user, id)?;
    if !user.belongs_to(&listing.organization_id) {
        return Err(ApiError::forbidden(
            "producer_only",
            "The lot's producer states its profile.",
        ));
    }
    let mut c = Checks::default();
    let profile = checked(&mut c, &input.monthly_t);
    let stock = input
        .yard_stock_t
        .as_ref()
        .and_then(|t| c.tonnes_or_zero("yard_stock_t", t));
    let capacity = input
        .yard_capacity_t
        .as_ref()
        .and_then(|t| c.tonnes("yard_capacity_t", t));
    if stock.is_some() != capacity.is_some() {
        c.push(
            "yard_capacity_t",
            "required",
            "a yard states its stock and its capacity together",
        );
    }
    c.finish()?;
    let text = serde_json::to_string(&profile).unwrap_or_default();
    let at = now();
    let values = (
        stream_profiles::monthly_kg.eq(&text),
        stream_profiles::yard_stock_kg.eq(stock),
        stream_profiles::yard_capacity_kg.eq(capacity),
        stream_profiles::updated_at.eq(at),
    );
    // Update, else insert: the write transaction holds the lock either way.
    if diesel::update(stream_profiles::table.find(id))
        .set(values)
        .execute(conn)?
        == 0
    {
        diesel::insert_into(stream_profiles::table)
            .values((stream_profiles::listing_id.eq(id), values))
            .execute(conn)?;
    }
    record(
        conn,
        &user.id,
        "stream_profile.stated",
        "listing",
        id,
        input,
    )?;
    stream_view(conn, &listing)
}

pub fn get_stream(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
) -> Result<StreamProfile, ApiError> {
    let listing = recurring_lot(conn, user, id)?;
    stream_view(conn, &listing)
}

fn stream_view(conn: &mut DbConnection, listing: &ListingRow) -> Result<StreamProfile, ApiError> {
    let yard: Option<(Option<i64>, Option<i64>, NaiveDateTime)> = stream_profiles::table
        .find(&listing.id)
        .select((
            stream_profiles::yard_stock_kg,
            stream_profiles::yard_capacity_kg,
            stream_profiles::updated_at,
        ))
        .first(conn)
        .optional()?;
    let generation = generation(conn, listing)?;
    let held = committed(conn, &listing.id, None)?;
    let this = Month::of(now().date());
    let months = (0..12)
        .map(|i| {
            let month = this.plus(i);
            let made = generation[month.index()];
            let holds = held_in(&held, month);
            MonthPromise {
                month: month.to_string(),
                generation_t: format_tonnes(made),
                committed_t: format_tonnes(holds),
                free_t: format_tonnes((made - holds).max(0)),
            }
        })
        .collect();
    Ok(StreamProfile {
        listing_id: listing.id.clone(),
        monthly_t: generation.iter().map(|kg| format_tonnes(*kg)).collect(),
        yard_stock_t: yard.and_then(|y| y.0).map(format_tonnes),
        yard_capacity_t: yard.and_then(|y| y.1).map(format_tonnes),
        months,
        updated_at: yard.map(|y| y.2.and_utc()),
    })
}

fn recurring_demand(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
) -> Result<DemandRow, ApiError> {
    let demand = demands::readable(conn, user, id)?;
    if demand.supply_pattern != SupplyPattern::Recurring {
        return Err(ApiError::conflict(
            "not_a_stream",
            "Only a recurring demand has an intake profile.",
        ));
    }
    Ok(demand)
}

/// The receiver states the seasons of its intake.
pub fn put_intake(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
    input: &IntakeProfileInput,
) -> Result<IntakeProfile, ApiError> {
    let demand = recurring_demand(conn, user, id)?;
    if !user.belongs_to(&demand.organization_id) {
        return Err(ApiError::forbidden(
            "receiver_only",
            "The demand's organization states its profile.",
        ));
    }
    let mut c = Checks::default();
    let profile = checked(&mut c, &input.monthly_t);
    c.finish()?;
    let text = serde_json::to_string(&profile).unwrap_or_default();
    let at = now();
    let values = (
        intake_profiles::monthly_kg.eq(&text),
        intake_profiles::updated_at.eq(at),
    );
    if diesel::update(intake_profiles::table.find(id))
        .set(values)
        .execute(conn)?
        == 0
    {
        diesel::insert_into(intake_profiles::table)
            .values((intake_profiles::demand_id.eq(id), values))
            .execute(conn)?;
    }
    record(conn, &user.id, "intake_profile.stated", "demand", id, input)?;
    intake_view(conn, &demand)
}

pub fn get_intake(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
) -> Result<IntakeProfile, ApiError> {
    let demand = recurring_demand(conn, user, id)?;
    intake_view(conn, &demand)
}

fn intake_view(conn: &mut DbConnection, demand: &DemandRow) -> Result<IntakeProfile, ApiError> {
    let updated: Option<NaiveDateTime> = intake_profiles::table
        .find(&demand.id)
        .select(intake_profiles::updated_at)
        .first(conn)
        .optional()?;
    Ok(IntakeProfile {
        demand_id: demand.id.clone(),
        monthly_t: intake(conn, demand)?
            .iter()
            .map(|kg| format_tonnes(*kg))
            .collect(),
        updated_at: updated.map(|t| t.and_utc()),
    })
}

fn record(
    conn: &mut DbConnection,
    actor: &str,
    action: &str,
    object_type: &str,
    id: &str,
    stated: &impl Serialize,
) -> QueryResult<()> {
    audit::record(
        conn,
        Entry {
            actor: Some(actor),
            action,
            object_type,
            object_id: id,
            reason: None,
        },
        None::<&()>,
        Some(stated),
    )
}
