//! Supply contracts (供货协议): a receiver and a producer agree terms for a recurring lot — the term,
//! a monthly band, the price (by quarter if they like), delivery, use and quality — and staff
//! approve them. Agreement takes a share of the stream's monthly tonnage under a lock on the lot,
//! so concurrent agreements never promise more than the stream makes. The only writer of
//! `supply_contracts`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::{listings, supply_contracts};
use crate::db::{DbConnection, new_id, now};
use crate::domain::listing::{DeliveryTerms, ListingStatus, SupplyPattern};
use crate::domain::matching::Bound;
use crate::domain::notification::NotificationKind;
use crate::domain::offer::IntendedUse;
use crate::domain::quantity::{format_tonnes, format_yuan};
use crate::domain::supply::{
    ContractEvent, ContractStatus, MAX_TERM_MONTHS, Month, held_in, parse_quarter, transition,
};
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::audit::{self, Entry};
use crate::service::input::{Checks, Tonnes, TonnesOrZero, Yuan};
use crate::service::market::catalog::Catalog;
use crate::service::market::lots::{self, ListingRow};
use crate::service::market::offers::check_use;
use crate::service::matching::demands::{self, check_quality_terms};
use crate::service::notifications::{Notice, notify_owners, notify_staff};
use crate::service::page::{Page, PageQuery};
use crate::service::supply::profiles::{self, committed};

/// A price for one quarter of the term.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuarterPrice {
    /// `YYYY-Qn`, a quarter the term touches.
    #[schema(pattern = r"^20[0-9]{2}-Q[1-4]$")]
    pub quarter: String,
    pub price_per_t: Yuan,
}

/// What the parties agree. A counter-proposal restates them whole.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractTermsInput {
    /// First month of the term, `YYYY-MM`, not before the current month.
    #[schema(pattern = r"^20[0-9]{2}-(0[1-9]|1[0-2])$")]
    pub start_month: String,
    /// Last month of the term, `YYYY-MM`; at most 36 months from the start.
    #[schema(pattern = r"^20[0-9]{2}-(0[1-9]|1[0-2])$")]
    pub end_month: String,
    /// The least the receiver takes each month (may be zero).
    pub min_monthly_t: TonnesOrZero,
    /// The most the producer delivers each month; the share of the stream the contract holds.
    pub max_monthly_t: Tonnes,
    /// Yuan per tonne; negative means the producer pays a gate fee.
    pub price_per_t: Yuan,
    /// Prices that replace `price_per_t` in some quarters.
    #[serde(default)]
    #[schema(max_items = 12)]
    pub price_schedule: Vec<QuarterPrice>,
    pub delivery_terms: DeliveryTerms,
    /// Checked against the use table like an offer's.
    pub intended_use: IntendedUse,
    /// The receiver's site the material goes to.
    #[schema(max_length = 40)]
    pub receiving_site_id: Option<String>,
    /// Bounds every lab report of the stream must keep, e.g. `{"loi_pct": {"max": 8.0}}`.
    #[serde(default)]
    pub property_bounds: BTreeMap<String, Bound>,
    /// Minimum grades by rule every lab report must keep, e.g. `{"fly_ash": "II"}`.
    #[serde(default)]
    pub min_grades: BTreeMap<String, String>,
    #[schema(
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$",
        max_length = 2000
    )]
    pub message: Option<String>,
}

/// A proposal: terms for a recurring lot, by the receiver, or by the lot's producer answering a
/// recurring demand.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractInput {
    /// The recurring lot (the stream) the contract draws on.
    #[schema(max_length = 40)]
    pub listing_id: String,
    /// The recurring demand it answers; required when the producer proposes.
    #[schema(max_length = 40)]
    pub demand_id: Option<String>,
    pub terms: ContractTermsInput,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contract {
    pub id: String,
    pub listing_id: String,
    pub demand_id: Option<String>,
    pub producer_organization_id: String,
    pub receiver_organization_id: String,
    pub proposed_by_organization_id: String,
    /// Whose turn it is to agree, counter or decline; `null` once agreed.
    pub awaiting_organization_id: Option<String>,
    pub status: ContractStatus,
    pub status_reason: Option<String>,
    pub start_month: String,
    pub end_month: String,
    pub min_monthly_t: String,
    pub max_monthly_t: String,
    pub price_per_t: String,
    pub price_schedule: Vec<QuarterPrice>,
    pub delivery_terms: DeliveryTerms,
    pub intended_use: IntendedUse,
    pub receiving_site_id: Option<String>,
    pub property_bounds: BTreeMap<String, Bound>,
    pub min_grades: BTreeMap<String, String>,
    pub message: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Debug, Clone)]
pub struct ContractRow {
    pub id: String,
    pub listing_id: String,
    pub demand_id: Option<String>,
    pub producer_org_id: String,
    pub receiver_org_id: String,
    pub proposed_by_org_id: String,
    pub awaiting_org_id: Option<String>,
    pub status: ContractStatus,
    pub status_reason: Option<String>,
    pub start_month: String,
    pub end_month: String,
    pub min_monthly_kg: i64,
    pub max_monthly_kg: i64,
    pub price_fen_per_t: i64,
    pub price_schedule: String,
    pub delivery_terms: DeliveryTerms,
    pub intended_use: IntendedUse,
    pub receiving_site_id: Option<String>,
    pub property_bounds: String,
    pub min_grades: String,
    pub message: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ContractRow {
    pub fn start(&self) -> Month {
        Month::parse(&self.start_month).unwrap_or(Month {
            year: 2000,
            month: 1,
        })
    }

    pub fn end(&self) -> Month {
        Month::parse(&self.end_month).unwrap_or_else(|| self.start())
    }

    /// Quarter → fen per tonne.
    pub fn schedule(&self) -> BTreeMap<String, i64> {
        serde_json::from_str(&self.price_schedule).unwrap_or_default()
    }

    pub fn bounds(&self) -> BTreeMap<String, Bound> {
        serde_json::from_str(&self.property_bounds).unwrap_or_default()
    }

    pub fn grades_wanted(&self) -> BTreeMap<String, String> {
        serde_json::from_str(&self.min_grades).unwrap_or_default()
    }

    /// Past its last month's closing day a running contract reads as ended, before the job has
    /// recorded it.
    pub fn status_now(&self) -> ContractStatus {
        let running = matches!(
            self.status,
            ContractStatus::Active | ContractStatus::Suspended
        );
        if running && self.end().closes_on() <= now().date() {
            ContractStatus::Ended
        } else {
            self.status
        }
    }

    pub fn party(&self, user: &CurrentUser) -> bool {
        user.belongs_to(&self.producer_org_id) || user.belongs_to(&self.receiver_org_id)
    }

    pub fn view(&self) -> Contract {
        Contract {
            id: self.id.clone(),
            listing_id: self.listing_id.clone(),
            demand_id: self.demand_id.clone(),
            producer_organization_id: self.producer_org_id.clone(),
            receiver_organization_id: self.receiver_org_id.clone(),
            proposed_by_organization_id: self.proposed_by_org_id.clone(),
            awaiting_organization_id: self.awaiting_org_id.clone(),
            status: self.status_now(),
            status_reason: self.status_reason.clone(),
            start_month: self.start_month.clone(),
            end_month: self.end_month.clone(),
            min_monthly_t: format_tonnes(self.min_monthly_kg),
            max_monthly_t: format_tonnes(self.max_monthly_kg),
            price_per_t: format_yuan(self.price_fen_per_t),
            price_schedule: self
                .schedule()
                .into_iter()
                .map(|(quarter, fen)| QuarterPrice {
                    quarter,
                    price_per_t: Yuan::of(format_yuan(fen)),
                })
                .collect(),
            delivery_terms: self.delivery_terms,
            intended_use: self.intended_use,
            receiving_site_id: self.receiving_site_id.clone(),
            property_bounds: self.bounds(),
            min_grades: self.grades_wanted(),
            message: self.message.clone(),
            version: self.version,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        }
    }
}

/// Terms as stored.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = supply_contracts, treat_none_as_null = true)]
struct StoredTerms {
    start_month: String,
    end_month: String,
    min_monthly_kg: i64,
    max_monthly_kg: i64,
    price_fen_per_t: i64,
    price_schedule: String,
    delivery_terms: DeliveryTerms,
    intended_use: IntendedUse,
    receiving_site_id: Option<String>,
    property_bounds: String,
    min_grades: String,
    message: String,
}

/// Checks terms against the stream they draw on; the use table last, as for offers.
fn check_terms(
    conn: &mut DbConnection,
    catalog: &Catalog,
    listing: &ListingRow,
    receiver_org: &str,
    terms: &ContractTermsInput,
) -> Result<StoredTerms, ApiError> {
    let mut c = Checks::default();
    let this_month = Month::of(now().date());
    let start = Month::parse(&terms.start_month);
    let end = Month::parse(&terms.end_month);
    if start.is_none() {
        c.push("terms.start_month", "invalid", "a month, YYYY-MM");
    }
    if end.is_none() {
        c.push("terms.end_month", "invalid", "a month, YYYY-MM");
    }
    if let (Some(start), Some(end)) = (start, end) {
        if start < this_month {
            c.push(
                "terms.start_month",
                "in_past",
                "must not be before this month",
            );
        }
        if end < start {
            c.push(
                "terms.end_month",
                "before_start",
                "must not be before the start",
            );
        } else if start.span(end) > MAX_TERM_MONTHS {
            c.push(
                "terms.end_month",
                "term_too_long",
                "a term runs at most 36 months",
            );
        }
        if listing
            .available_until
            .is_some_and(|until| end.first_day() > until.date())
        {
            c.push(
                "terms.end_month",
                "beyond_availability",
                "the stream is offered only until its lot's availability ends",
            );
        }
    }
    let min = c.tonnes_or_zero("terms.min_monthly_t", &terms.min_monthly_t);
    let max = c.tonnes("terms.max_monthly_t", &terms.max_monthly_t);
    if let (Some(min), Some(max)) = (min, max)
        && min > max
    {
        c.push(
            "terms.min_monthly_t",
            "min_above_max",
            "the monthly minimum must not exceed the maximum",
        );
    }
    let price = c.yuan("terms.price_per_t", &terms.price_per_t);
    let mut schedule = BTreeMap::new();
    for (i, q) in terms.price_schedule.iter().enumerate() {
        let field = format!("terms.price_schedule[{i}]");
        let fen = c.yuan(&format!("{field}.price_per_t"), &q.price_per_t);
        match (parse_quarter(&q.quarter), start, end) {
            (None, _, _) => c.push(&format!("{field}.quarter"), "invalid", "a quarter, YYYY-Qn"),
            (Some(first), Some(start), Some(end)) if first.plus(2) < start || first > end => c
                .push(
                    &format!("{field}.quarter"),
                    "outside_term",
                    "the quarter does not touch the term",
                ),
            _ => {}
        }
        if schedule
            .insert(q.quarter.clone(), fen.unwrap_or_default())
            .is_some()
        {
            c.push(
                &format!("{field}.quarter"),
                "duplicate",
                "each quarter once",
            );
        }
    }
    let category = catalog.category(&listing.category_code);
    let known: Vec<String> = category
        .map(|cat| cat.properties.iter().map(|p| p.key.clone()).collect())
        .unwrap_or_default();
    check_quality_terms(&mut c, &terms.property_bounds, &terms.min_grades, &known);
    let message = terms.message.clone().unwrap_or_default();
    c.long_text("terms.message", &message, 0, 2000);
    c.finish()?;
    check_use(
        conn,
        listing,
        terms.intended_use,
        receiver_org,
        terms.receiving_site_id.as_deref(),
    )?;
    let month = |m: Option<Month>| m.map(|m| m.to_string()).unwrap_or_default();
    Ok(StoredTerms {
        start_month: month(start),
        end_month: month(end),
        min_monthly_kg: min.unwrap_or_default(),
        max_monthly_kg: max.unwrap_or_default(),
        price_fen_per_t: price.unwrap_or_default(),
        price_schedule: serde_json::to_string(&schedule).unwrap_or_else(|_| "{}".into()),
        delivery_terms: terms.delivery_terms,
        intended_use: terms.intended_use,
        receiving_site_id: terms.receiving_site_id.clone(),
        property_bounds: serde_json::to_string(&terms.property_bounds)
            .unwrap_or_else(|_| "{}".into()),
        min_grades: serde_json::to_string(&terms.min_grades).unwrap_or_else(|_| "{}".into()),
        message,
    })
}

/// A published recurring lot, or a conflict.
fn stream(conn: &mut DbConnection, id: &str) -> Result<ListingRow, ApiError> {
    let listing = lots::load_row(conn, id)?;
    if listing.supply_pattern != SupplyPattern::Recurring {
        return Err(ApiError::conflict(
            "not_a_stream",
            "Only a recurring lot can be supplied under a contract.",
        ));
    }
    if listing.status_now() != ListingStatus::Published {
        return Err(ApiError::conflict(
            "invalid_state",
            "The lot is not published.",
        ));
    }
    Ok(listing)
}

pub fn propose(
    conn: &mut DbConnection,
    catalog: &Catalog,
    user: &CurrentUser,
    input: &ContractInput,
) -> Result<ContractRow, ApiError> {
    let org = user.require_verified_member()?.to_string();
    let listing = stream(conn, &input.listing_id).map_err(|e| {
        if e.code == "not_found" {
            ApiError::field(
                "listing_id",
                "unknown_listing",
                "is not a lot of the exchange",
            )
        } else {
            e
        }
    })?;
    let demand = match &input.demand_id {
        None => None,
        Some(id) => {
            let row = demands::load_row(conn, id).ok().filter(|d| {
                d.supply_pattern == SupplyPattern::Recurring
                    && (d.organization_id == org || listing.organization_id == org)
            });
            Some(row.ok_or_else(|| {
                ApiError::field(
                    "demand_id",
                    "unknown_demand",
                    "is not a recurring demand you may answer",
                )
            })?)
        }
    };
    let (receiver, awaiting) = if listing.organization_id == org {
        let demand = demand.as_ref().ok_or_else(|| {
            ApiError::field(
                "demand_id",
                "required",
                "a producer proposes a contract in answer to a recurring demand",
            )
        })?;
        (
            demand.organization_id.clone(),
            demand.organization_id.clone(),
        )
    } else {
        if demand.as_ref().is_some_and(|d| d.organization_id != org) {
            return Err(ApiError::field(
                "demand_id",
                "unknown_demand",
                "is not a recurring demand you may answer",
            ));
        }
        (org.clone(), listing.organization_id.clone())
    };
    let terms = check_terms(conn, catalog, &listing, &receiver, &input.terms)?;
    let id = new_id();
    let at = now();
    diesel::insert_into(supply_contracts::table)
        .values((
            supply_contracts::id.eq(&id),
            supply_contracts::listing_id.eq(&listing.id),
            supply_contracts::demand_id.eq(&input.demand_id),
            supply_contracts::producer_org_id.eq(&listing.organization_id),
            supply_contracts::receiver_org_id.eq(&receiver),
            supply_contracts::proposed_by_org_id.eq(&org),
            supply_contracts::awaiting_org_id.eq(&awaiting),
            supply_contracts::status.eq(ContractStatus::Proposed),
            supply_contracts::created_at.eq(at),
            supply_contracts::updated_at.eq(at),
            &terms,
        ))
        .execute(conn)?;
    let row = load_row(conn, &id)?;
    record(conn, &user.id, "contract.proposed", None, &row, None)?;
    tell(
        conn,
        &row,
        &[&awaiting],
        NotificationKind::ContractProposed,
        ("供货协议提议", "Supply contract proposed"),
        &summary(&row, &listing.title),
    )?;
    Ok(row)
}

/// The party whose turn it is restates the terms; the other answers next.
pub fn counter(
    conn: &mut DbConnection,
    catalog: &Catalog,
    user: &CurrentUser,
    id: &str,
    terms: &ContractTermsInput,
) -> Result<ContractRow, ApiError> {
    let before = load_row(conn, id)?;
    let other = turn(user, &before, ContractEvent::Counter)?;
    let listing = lots::load_row(conn, &before.listing_id)?;
    let checked = check_terms(conn, catalog, &listing, &before.receiver_org_id, terms)?;
    diesel::update(supply_contracts::table.find(id))
        .set(&checked)
        .execute(conn)?;
    let after = move_contract(conn, &before, ContractEvent::Counter, None, Some(&other))?;
    record(
        conn,
        &user.id,
        "contract.countered",
        Some(&before),
        &after,
        None,
    )?;
    tell(
        conn,
        &after,
        &[&other],
        NotificationKind::ContractCountered,
        ("供货协议还价", "Supply contract countered"),
        &summary(&after, &listing.title),
    )?;
    Ok(after)
}

/// The party whose turn it is accepts the terms. The stream's monthly tonnage is checked under a
/// lock on its lot: what contracts hold in any month of the term, this one included, must not
/// exceed what the stream makes that month.
pub fn agree(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
) -> Result<ContractRow, ApiError> {
    let before = load_row(conn, id)?;
    turn(user, &before, ContractEvent::Agree)?;
    let listing = stream(conn, &before.listing_id)?;
    // Every agreement on a stream queues on its lot's row (PostgreSQL row lock; SQLite writes are
    // serial already), so two agreements never both see the same free tonnage.
    diesel::update(listings::table.find(&listing.id))
        .set(listings::version.eq(listings::version))
        .execute(conn)?;
    let generation = profiles::generation(conn, &listing)?;
    let held = committed(conn, &listing.id, Some(&before.id))?;
    for month in months(before.start(), before.end()) {
        let holds = held_in(&held, month);
        let free = (generation[month.index()] - holds).max(0);
        if before.max_monthly_kg > free {
            return Err(ApiError::conflict(
                "over_committed",
                format!(
                    "In {month} the stream can still promise {} t; the contract asks up to {} t.",
                    format_tonnes(free),
                    format_tonnes(before.max_monthly_kg)
                ),
            ));
        }
    }
    let after = move_contract(conn, &before, ContractEvent::Agree, None, None)?;
    record(
        conn,
        &user.id,
        "contract.agreed",
        Some(&before),
        &after,
        None,
    )?;
    tell_parties(
        conn,
        &after,
        NotificationKind::ContractAgreed,
        (
            "供货协议已达成，待联盟批准",
            "Supply contract agreed, awaiting approval",
        ),
        &summary(&after, &listing.title),
    )?;
    notify_staff(
        conn,
        &Notice::with_note(
            NotificationKind::ContractAgreed,
            "供货协议待批准",
            "Supply contract awaiting approval",
            &summary(&after, &listing.title),
            "contract",
            &after.id,
        ),
    )?;
    Ok(after)
}

/// Months from `start` to `end`, both included.
pub fn months(start: Month, end: Month) -> impl Iterator<Item = Month> {
    (0..start.span(end)).map(move |i| start.plus(i))
}

/// Either party walks away before agreement.
pub fn decline(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
    reason: &str,
) -> Result<ContractRow, ApiError> {
    let before = load_row(conn, id)?;
    if !before.party(user) {
        return Err(ApiError::not_found());
    }
    checked_reason(reason)?;
    let after = move_contract(conn, &before, ContractEvent::Decline, Some(reason), None)?;
    record(
        conn,
        &user.id,
        "contract.declined",
        Some(&before),
        &after,
        Some(reason),
    )?;
    tell_parties(
        conn,
        &after,
        NotificationKind::ContractEnded,
        ("供货协议已撤回或拒绝", "Supply contract declined"),
        reason,
    )?;
    Ok(after)
}

/// A party or staff end an agreed or running contract early; open call-offs keep their loads.
pub fn terminate(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
    reason: &str,
) -> Result<ContractRow, ApiError> {
    let before = load_row(conn, id)?;
    if !(before.party(user) || user.is_staff()) {
        return Err(ApiError::not_found());
    }
    checked_reason(reason)?;
    let after = move_contract(conn, &before, ContractEvent::Terminate, Some(reason), None)?;
    record(
        conn,
        &user.id,
        "contract.terminated",
        Some(&before),
        &after,
        Some(reason),
    )?;
    tell_parties(
        conn,
        &after,
        NotificationKind::ContractEnded,
        ("供货协议已终止", "Supply contract terminated"),
        reason,
    )?;
    Ok(after)
}

text_enum! {
    pub enum ContractDecision {
        Approve => "approve",
        Reject => "reject",
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractDecisionRequest {
    pub decision: ContractDecision,
    #[schema(schema_with = crate::service::input::reason_schema)]
    pub reason: String,
}

/// Staff approve an agreed contract (it becomes active) or reject it.
pub fn decide(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
    req: &ContractDecisionRequest,
) -> Result<ContractRow, ApiError> {
    user.require_staff()?;
    checked_reason(&req.reason)?;
    let before = load_row(conn, id)?;
    let (event, kind, words) = match req.decision {
        ContractDecision::Approve => (
            ContractEvent::Approve,
            NotificationKind::ContractApproved,
            ("供货协议已获联盟批准", "Supply contract approved"),
        ),
        ContractDecision::Reject => (
            ContractEvent::Reject,
            NotificationKind::ContractEnded,
            ("供货协议未获批准", "Supply contract rejected"),
        ),
    };
    let after = move_contract(conn, &before, event, Some(&req.reason), None)?;
    let action = format!("contract.{}", after.status);
    record(
        conn,
        &user.id,
        &action,
        Some(&before),
        &after,
        Some(&req.reason),
    )?;
    tell_parties(conn, &after, kind, words, &req.reason)?;
    Ok(after)
}

/// Suspends or resumes a contract and tells both parties and staff.
pub fn suspend_or_resume(
    conn: &mut DbConnection,
    before: &ContractRow,
    event: ContractEvent,
    reason: Option<&str>,
) -> Result<ContractRow, ApiError> {
    let after = move_contract(conn, before, event, reason, None)?;
    let (kind, words) = if event == ContractEvent::Suspend {
        (
            NotificationKind::ContractSuspended,
            (
                "供货协议暂停：待提交新的检测报告",
                "Supply contract suspended until a new lab report",
            ),
        )
    } else {
        (
            NotificationKind::ContractResumed,
            ("供货协议已恢复", "Supply contract resumed"),
        )
    };
    let note = reason.unwrap_or("a new lab report within the contract's bounds was filed");
    tell_parties(conn, &after, kind, words, note)?;
    notify_staff(
        conn,
        &Notice::with_note(kind, words.0, words.1, note, "contract", &after.id),
    )?;
    Ok(after)
}

/// The term is over: the contract ends and both parties are told.
pub fn end(conn: &mut DbConnection, before: &ContractRow) -> Result<ContractRow, ApiError> {
    let after = move_contract(
        conn,
        before,
        ContractEvent::End,
        Some("term_completed"),
        None,
    )?;
    audit::record(
        conn,
        Entry {
            actor: None,
            action: "contract.ended",
            object_type: "contract",
            object_id: &after.id,
            reason: Some("term_completed"),
        },
        Some(&before.view()),
        Some(&after.view()),
    )?;
    tell_parties(
        conn,
        &after,
        NotificationKind::ContractEnded,
        ("供货协议已到期", "Supply contract ended"),
        &format!("{} – {}", after.start_month, after.end_month),
    )?;
    Ok(after)
}

/// The other party, when it is the caller's turn to make `event`.
fn turn(user: &CurrentUser, row: &ContractRow, event: ContractEvent) -> Result<String, ApiError> {
    if !row.party(user) {
        return Err(ApiError::not_found());
    }
    if transition(row.status, event).is_none() {
        return Err(invalid(row, event));
    }
    if !row
        .awaiting_org_id
        .as_deref()
        .is_some_and(|o| user.belongs_to(o))
    {
        return Err(ApiError::forbidden(
            "not_your_turn",
            "The other party answers these terms.",
        ));
    }
    Ok(if user.belongs_to(&row.producer_org_id) {
        row.receiver_org_id.clone()
    } else {
        row.producer_org_id.clone()
    })
}

fn invalid(row: &ContractRow, event: ContractEvent) -> ApiError {
    ApiError::conflict(
        "invalid_state",
        format!(
            "A contract that is {} cannot be {}.",
            row.status_now().label(),
            event.past_tense()
        ),
    )
}

fn checked_reason(reason: &str) -> Result<(), ApiError> {
    let mut c = Checks::default();
    c.reason("reason", reason);
    c.finish()
}

/// One guarded move of the contract state machine; returns the row after it.
fn move_contract(
    conn: &mut DbConnection,
    row: &ContractRow,
    event: ContractEvent,
    reason: Option<&str>,
    awaiting: Option<&str>,
) -> Result<ContractRow, ApiError> {
    // A contract past its term reads as ended to everyone but the move that records it.
    let from = if event == ContractEvent::End {
        row.status
    } else {
        row.status_now()
    };
    let to = transition(from, event).ok_or_else(|| invalid(row, event))?;
    let changed = diesel::update(
        supply_contracts::table
            .find(&row.id)
            .filter(supply_contracts::version.eq(row.version)),
    )
    .set((
        supply_contracts::status.eq(to),
        supply_contracts::status_reason.eq(reason),
        supply_contracts::awaiting_org_id.eq(awaiting),
        supply_contracts::version.eq(supply_contracts::version + 1),
        supply_contracts::updated_at.eq(now()),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(ApiError::conflict(
            "invalid_state",
            "The contract changed meanwhile.",
        ));
    }
    load_row(conn, &row.id)
}

pub fn load_row(conn: &mut DbConnection, id: &str) -> Result<ContractRow, ApiError> {
    Ok(supply_contracts::table.find(id).first(conn)?)
}

/// The caller's organization's contracts (either side), or every contract for staff.
pub fn list(
    conn: &mut DbConnection,
    user: &CurrentUser,
    status: Option<ContractStatus>,
    page: &PageQuery,
) -> Result<Page<Contract>, ApiError> {
    let limit = page.limit()?;
    let mut q = supply_contracts::table
        .order(supply_contracts::id.asc())
        .limit(limit)
        .into_boxed();
    if !user.is_staff() {
        let org = user.organization_id.clone().unwrap_or_default();
        q = q.filter(
            supply_contracts::producer_org_id
                .eq(org.clone())
                .or(supply_contracts::receiver_org_id.eq(org)),
        );
    }
    if let Some(s) = status {
        q = q.filter(supply_contracts::status.eq(s));
    }
    if let Some(after) = page.after::<String>()? {
        q = q.filter(supply_contracts::id.gt(after));
    }
    let rows: Vec<ContractRow> = q.load(conn)?;
    Ok(Page::new(rows, limit, |r| r.id.clone()).map(|r| r.view()))
}

fn summary(row: &ContractRow, title: &str) -> String {
    format!(
        "{title}: {} – {}, {}–{} t a month @ {} yuan/t",
        row.start_month,
        row.end_month,
        format_tonnes(row.min_monthly_kg),
        format_tonnes(row.max_monthly_kg),
        format_yuan(row.price_fen_per_t)
    )
}

pub(super) fn record(
    conn: &mut DbConnection,
    actor: &str,
    action: &str,
    before: Option<&ContractRow>,
    after: &ContractRow,
    reason: Option<&str>,
) -> QueryResult<()> {
    audit::record(
        conn,
        Entry {
            actor: Some(actor),
            action,
            object_type: "contract",
            object_id: &after.id,
            reason,
        },
        before.map(ContractRow::view).as_ref(),
        Some(&after.view()),
    )
}

fn tell(
    conn: &mut DbConnection,
    row: &ContractRow,
    orgs: &[&str],
    kind: NotificationKind,
    (zh, en): (&str, &str),
    note: &str,
) -> QueryResult<()> {
    let notice = Notice::with_note(kind, zh, en, note, "contract", &row.id);
    for org in orgs {
        notify_owners(conn, org, &notice)?;
    }
    Ok(())
}

pub fn tell_parties(
    conn: &mut DbConnection,
    row: &ContractRow,
    kind: NotificationKind,
    words: (&str, &str),
    note: &str,
) -> QueryResult<()> {
    tell(
        conn,
        row,
        &[&row.producer_org_id, &row.receiver_org_id],
        kind,
        words,
        note,
    )
}
