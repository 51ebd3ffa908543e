//! The alliance's yard forecast: producers whose yards fill within the horizon at their streams'
//! seasonal generation less what active contracts are bound to take (their monthly minimum) —
//! the streams the alliance must find a use or a research trial for.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::{listings, stream_profiles, supply_contracts};
use crate::db::{DbConnection, now};
use crate::domain::listing::ListingStatus;
use crate::domain::quantity::format_tonnes;
use crate::domain::supply::{ContractStatus, Month, Profile, days_to_fill, held_in};
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::supply::profiles;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ForecastQuery {
    /// Days ahead to look (1–366, default 90).
    #[param(minimum = 1, maximum = 366)]
    pub within_days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct YardFill {
    pub listing_id: String,
    pub organization_id: String,
    pub title: String,
    pub category: String,
    pub region_code: String,
    pub yard_stock_t: String,
    pub yard_capacity_t: String,
    /// This month's generation and what active contracts are bound to take of it.
    pub generation_this_month_t: String,
    pub contracted_this_month_t: String,
    /// Days from today until the yard is full (0: full now).
    pub fills_in_days: u32,
    pub fills_on: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct YardForecast {
    pub as_of: NaiveDate,
    pub within_days: u32,
    /// Soonest first.
    pub items: Vec<YardFill>,
}

type YardRow = (
    String,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

pub fn yards_filling(
    conn: &mut DbConnection,
    user: &CurrentUser,
    query: &ForecastQuery,
) -> Result<YardForecast, ApiError> {
    user.require_staff()?;
    let within = query.within_days.unwrap_or(90);
    if !(1..=366).contains(&within) {
        return Err(ApiError::field(
            "within_days",
            "range",
            "between 1 and 366 days",
        ));
    }
    let today = now().date();
    let yards: Vec<YardRow> = stream_profiles::table
        .inner_join(listings::table)
        .filter(listings::status.eq(ListingStatus::Published))
        .filter(stream_profiles::yard_capacity_kg.is_not_null())
        .select((
            listings::id,
            listings::organization_id,
            listings::title,
            listings::category_code,
            listings::region_code,
            listings::monthly_kg,
            stream_profiles::yard_stock_kg,
            stream_profiles::yard_capacity_kg,
        ))
        .load(conn)?;
    let ids: Vec<&str> = yards.iter().map(|y| y.0.as_str()).collect();
    let generation = profiles::generations(conn, &ids)?;
    let rows: Vec<(String, String, String, i64)> = supply_contracts::table
        .filter(supply_contracts::listing_id.eq_any(&ids))
        .filter(supply_contracts::status.eq(ContractStatus::Active))
        .select((
            supply_contracts::listing_id,
            supply_contracts::start_month,
            supply_contracts::end_month,
            supply_contracts::min_monthly_kg,
        ))
        .load(conn)?;
    let mut contracts: HashMap<String, Vec<(Month, Month, i64)>> = HashMap::new();
    for (listing, start, end, kg) in rows {
        if let (Some(s), Some(e)) = (Month::parse(&start), Month::parse(&end)) {
            contracts.entry(listing).or_default().push((s, e, kg));
        }
    }
    let this = Month::of(today);
    let window: Vec<Month> = (0..=this.span(Month::of(today + Duration::days(within as i64))))
        .map(|i| this.plus(i))
        .collect();
    let mut items = Vec::new();
    for (id, org, title, category, region, monthly, stock, capacity) in yards {
        let made = generation
            .get(&id)
            .copied()
            .unwrap_or_else(|| crate::domain::supply::flat(monthly.unwrap_or_default()));
        // The horizon is under a year and a month, so a calendar index names one month of it
        // (the thirteenth, if reached, shares January's index and figures: close enough).
        let mut offtake: Profile = [0; 12];
        for month in &window {
            offtake[month.index()] = contracts.get(&id).map_or(0, |held| held_in(held, *month));
        }
        let (stock, capacity) = (stock.unwrap_or_default(), capacity.unwrap_or_default());
        if let Some(days) = days_to_fill(stock, capacity, &made, &offtake, today, within) {
            items.push(YardFill {
                listing_id: id,
                organization_id: org,
                title,
                category,
                region_code: region,
                yard_stock_t: format_tonnes(stock),
                yard_capacity_t: format_tonnes(capacity),
                generation_this_month_t: format_tonnes(made[this.index()]),
                contracted_this_month_t: format_tonnes(offtake[this.index()]),
                fills_in_days: days,
                fills_on: today + Duration::days(days as i64),
            });
        }
    }
    items.sort_by(|a, b| (a.fills_in_days, &a.listing_id).cmp(&(b.fills_in_days, &b.listing_id)));
    Ok(YardForecast {
        as_of: today,
        within_days: within,
        items,
    })
}
