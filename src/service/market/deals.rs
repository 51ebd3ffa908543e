//! Deals: staff moderation, completion and disputes, and the moves their truckloads make. A
//! cancelled deal gives its undelivered tonnage back to the lot. The only writer of `deals`.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::new_id;
use crate::db::schema::{deals, listings, transfers};
use crate::db::{DbConnection, now};
use crate::domain::deal::{DealEvent, DealStatus, transition};
use crate::domain::notification::NotificationKind;
use crate::domain::offer::IntendedUse;
use crate::domain::quantity::{amount_fen, format_tonnes, format_yuan};
use crate::error::ApiError;
use crate::service::accounts::access::{CurrentUser, city_among};
use crate::service::audit::{self, Entry};
use crate::service::input::Checks;
use crate::service::market::lots;
use crate::service::notifications::{Notice, notify_owners, notify_staff};
use crate::service::page::{Page, PageQuery};

#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct Deal {
    pub id: String,
    /// The offer it came from; `null` for a supply contract's monthly call-off.
    pub offer_id: Option<String>,
    pub listing_id: String,
    pub producer_organization_id: String,
    pub receiver_organization_id: String,
    pub price_per_t: String,
    pub quantity_t: String,
    /// Price × tonnes in yuan, rounded half away from zero to the fen; negative = the producer pays.
    pub amount_yuan: String,
    /// What the deal settled on once it completed or was cancelled: delivered tonnes × price,
    /// rounded the same way; `null` while it runs.
    pub settled_amount_yuan: Option<String>,
    pub intended_use: IntendedUse,
    /// The receiver's site the material goes to (from its offer), when named.
    pub receiving_site_id: Option<String>,
    pub status: DealStatus,
    pub status_reason: Option<String>,
    /// Tonnes the receiver confirmed at its weighbridge.
    pub delivered_t: String,
    pub research_project_id: Option<String>,
    pub version: i64,
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Debug, Clone)]
pub struct DealRow {
    pub id: String,
    pub offer_id: Option<String>,
    pub listing_id: String,
    pub producer_org_id: String,
    pub receiver_org_id: String,
    pub price_fen_per_t: i64,
    pub quantity_kg: i64,
    pub amount_fen: i64,
    pub intended_use: IntendedUse,
    pub status: DealStatus,
    pub status_reason: Option<String>,
    pub delivered_kg: i64,
    pub research_project_id: Option<String>,
    pub version: i64,
    pub completed_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub settled_fen: Option<i64>,
    pub receiving_site_id: Option<String>,
}

impl DealRow {
    pub fn view(&self) -> Deal {
        Deal {
            id: self.id.clone(),
            offer_id: self.offer_id.clone(),
            listing_id: self.listing_id.clone(),
            producer_organization_id: self.producer_org_id.clone(),
            receiver_organization_id: self.receiver_org_id.clone(),
            price_per_t: format_yuan(self.price_fen_per_t),
            quantity_t: format_tonnes(self.quantity_kg),
            amount_yuan: format_yuan(self.amount_fen),
            settled_amount_yuan: self.settled_fen.map(format_yuan),
            intended_use: self.intended_use,
            receiving_site_id: self.receiving_site_id.clone(),
            status: self.status,
            status_reason: self.status_reason.clone(),
            delivered_t: format_tonnes(self.delivered_kg),
            research_project_id: self.research_project_id.clone(),
            version: self.version,
            completed_at: self.completed_at.map(|t| t.and_utc()),
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        }
    }

    pub fn party(&self, user: &CurrentUser) -> bool {
        user.belongs_to(&self.producer_org_id) || user.belongs_to(&self.receiver_org_id)
    }
}

pub fn load_row(conn: &mut DbConnection, id: &str) -> Result<DealRow, ApiError> {
    Ok(deals::table.find(id).first(conn)?)
}

pub fn load(conn: &mut DbConnection, id: &str) -> Result<Deal, ApiError> {
    Ok(load_row(conn, id)?.view())
}

/// Deals of the caller's organization (either side), or every deal for staff; optionally by status.
pub fn list(
    conn: &mut DbConnection,
    user: &CurrentUser,
    status: Option<DealStatus>,
    page: &PageQuery,
) -> Result<Page<Deal>, ApiError> {
    let limit = page.limit()?;
    let mut q = deals::table
        .order(deals::id.asc())
        .limit(limit)
        .into_boxed();
    if !user.is_staff() {
        let org = user.organization_id.clone().unwrap_or_default();
        q = q.filter(
            deals::producer_org_id
                .eq(org.clone())
                .or(deals::receiver_org_id.eq(org)),
        );
    } else if let Some(cities) = user.cities() {
        // A deal is the lot's city's: where the material comes from.
        q = q.filter(city_among::<deals::table>(
            "(SELECT l.region_code FROM listings l WHERE l.id = deals.listing_id)",
            cities,
        ));
    }
    if let Some(s) = status {
        q = q.filter(deals::status.eq(s));
    }
    if let Some(after) = page.after::<String>()? {
        q = q.filter(deals::id.gt(after));
    }
    let rows: Vec<DealRow> = q.load(conn)?;
    Ok(Page::new(rows, limit, |d| d.id.clone()).map(|d| d.view()))
}

/// Tonnes a receiver confirmed at its weighbridge count towards the deal.
pub fn add_delivered(conn: &mut DbConnection, id: &str, kg: i64) -> QueryResult<()> {
    diesel::update(deals::table.find(id))
        .set((
            deals::delivered_kg.eq(deals::delivered_kg + kg),
            deals::version.eq(deals::version + 1),
            deals::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// A staff queue: deals in `status`, oldest first.
pub fn queue(
    conn: &mut DbConnection,
    user: &CurrentUser,
    status: DealStatus,
    page: &PageQuery,
) -> Result<Page<Deal>, ApiError> {
    user.require_staff()?;
    list(conn, user, Some(status), page)
}

/// One guarded move of the deal state machine; returns the row after it.
pub fn move_deal(
    conn: &mut DbConnection,
    row: &DealRow,
    event: DealEvent,
    reason: Option<&str>,
) -> Result<DealRow, ApiError> {
    let to = transition(row.status, event).ok_or_else(|| {
        ApiError::conflict(
            "invalid_state",
            format!(
                "A deal that is {} cannot be {}.",
                row.status.label(),
                event.past_tense()
            ),
        )
    })?;
    let at = now();
    // A deal that ends settles on what was delivered, at the agreed price; the agreed amount stays.
    let ended = matches!(to, DealStatus::Completed | DealStatus::Cancelled);
    let settled = ended.then(|| amount_fen(row.price_fen_per_t, row.delivered_kg));
    let changed = diesel::update(
        deals::table
            .find(&row.id)
            .filter(deals::status.eq(row.status)),
    )
    .set((
        deals::status.eq(to),
        deals::status_reason.eq(reason),
        deals::completed_at.eq((to == DealStatus::Completed).then_some(at)),
        deals::settled_fen.eq(settled),
        deals::version.eq(deals::version + 1),
        deals::updated_at.eq(at),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(ApiError::conflict(
            "invalid_state",
            "The deal changed meanwhile.",
        ));
    }
    if to == DealStatus::Cancelled {
        give_back(conn, row)?;
    }
    load_row(conn, &row.id)
}

/// A cancelled deal returns what was not delivered to the lot; a lot that had sold out reopens. A
/// contract's call-off took nothing from the lot's spot tonnage and gives nothing back.
fn give_back(conn: &mut DbConnection, row: &DealRow) -> Result<(), ApiError> {
    if row.offer_id.is_none() {
        return Ok(());
    }
    lots::give_back(
        conn,
        &row.listing_id,
        (row.quantity_kg - row.delivered_kg).max(0),
    )
}

/// What an accepted offer agrees: who, which lot, what for, how much at what price.
pub struct Agreement<'a> {
    /// `None` for a contract's call-off.
    pub offer_id: Option<&'a str>,
    pub listing_id: &'a str,
    pub producer_organization_id: &'a str,
    pub receiver_organization_id: &'a str,
    pub intended_use: IntendedUse,
    pub receiving_site_id: Option<&'a str>,
    pub kg: i64,
    pub price_fen_per_t: i64,
    /// Approved already, with this reason: a small deal the exchange auto-approves, or a call-off
    /// of a contract staff approved.
    pub approved_as: Option<&'a str>,
}

/// The deal an accepted offer or a contract's call-off makes: pending staff approval unless it
/// comes approved. An offer has one deal at most: a second one waits for the first's transaction
/// and is refused once it commits.
pub fn open(conn: &mut DbConnection, agreed: &Agreement<'_>) -> Result<Deal, ApiError> {
    let (kg, price) = (agreed.kg, agreed.price_fen_per_t);
    let amount = amount_fen(price, kg);
    let approved_as = agreed.approved_as;
    let id = new_id();
    let at = now();
    let row: DealRow = diesel::insert_into(deals::table)
        .values((
            deals::id.eq(&id),
            deals::offer_id.eq(agreed.offer_id),
            deals::listing_id.eq(agreed.listing_id),
            deals::producer_org_id.eq(agreed.producer_organization_id),
            deals::receiver_org_id.eq(agreed.receiver_organization_id),
            deals::price_fen_per_t.eq(price),
            deals::quantity_kg.eq(kg),
            deals::amount_fen.eq(amount),
            deals::intended_use.eq(agreed.intended_use),
            deals::receiving_site_id.eq(agreed.receiving_site_id),
            deals::status.eq(if approved_as.is_some() {
                DealStatus::Approved
            } else {
                DealStatus::PendingApproval
            }),
            deals::status_reason.eq(approved_as),
            deals::created_at.eq(at),
            deals::updated_at.eq(at),
        ))
        .get_result(conn)
        .map_err(|e| match e {
            // `offer_id` is the one unique column a new deal can collide on.
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => ApiError::conflict(
                "offer_not_open",
                "The offer is accepted; it cannot be accepted now.",
            ),
            e => e.into(),
        })?;
    Ok(row.view())
}

/// Tags a deal as part of a research project (or clears the tag).
pub fn tag_project(
    conn: &mut DbConnection,
    id: &str,
    project_id: Option<&str>,
) -> Result<(), ApiError> {
    diesel::update(deals::table.find(id))
        .set((
            deals::research_project_id.eq(project_id),
            deals::version.eq(deals::version + 1),
            deals::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn record(
    conn: &mut DbConnection,
    actor: &str,
    action: &str,
    before: &DealRow,
    after: &DealRow,
    reason: Option<&str>,
) -> QueryResult<()> {
    audit::record(
        conn,
        Entry {
            actor: Some(actor),
            action,
            object_type: "deal",
            object_id: &after.id,
            reason,
        },
        Some(&before.view()),
        Some(&after.view()),
    )
}

pub fn tell_parties(
    conn: &mut DbConnection,
    deal: &DealRow,
    kind: NotificationKind,
    zh: &str,
    en: &str,
    note: &str,
) -> QueryResult<()> {
    let notice = Notice::with_note(kind, zh, en, note, "deal", &deal.id);
    for org in [&deal.producer_org_id, &deal.receiver_org_id] {
        notify_owners(conn, org, &notice)?;
    }
    Ok(())
}

/// Every alliance staff member (and admin) is told of what needs them: disputes, flagged weights.
pub fn tell_staff(
    conn: &mut DbConnection,
    deal: &DealRow,
    kind: NotificationKind,
    zh: &str,
    en: &str,
    note: &str,
) -> QueryResult<()> {
    notify_staff(
        conn,
        &Notice::with_note(kind, zh, en, note, "deal", &deal.id),
    )
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DealDecision {
    Approve,
    Hold,
    /// Lifts a hold on a deal whose trucks have started.
    Resume,
    Cancel,
    /// Ends a dispute with the deal completed.
    ResolveCompleted,
    /// Ends a dispute with the deal cancelled.
    ResolveCancelled,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DealDecisionRequest {
    pub decision: DealDecision,
    #[schema(schema_with = crate::service::input::reason_schema)]
    pub reason: String,
}

pub fn decide(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
    req: &DealDecisionRequest,
) -> Result<Deal, ApiError> {
    user.require_staff()?;
    let mut c = Checks::default();
    c.reason("reason", &req.reason);
    c.finish()?;
    let before = load_row(conn, id)?;
    let region: String = listings::table
        .find(&before.listing_id)
        .select(listings::region_code)
        .first(conn)?;
    user.require_staff_for(&region)?;
    let event = match req.decision {
        DealDecision::Approve => DealEvent::Approve,
        DealDecision::Hold => DealEvent::Hold,
        DealDecision::Resume => DealEvent::Resume,
        DealDecision::Cancel => DealEvent::Cancel,
        DealDecision::ResolveCompleted => DealEvent::ResolveCompleted,
        DealDecision::ResolveCancelled => DealEvent::ResolveCancelled,
    };
    let after = move_deal(conn, &before, event, Some(&req.reason))?;
    let action = format!("deal.{}", after.status);
    record(conn, &user.id, &action, &before, &after, Some(&req.reason))?;
    let (kind, zh, en) = match after.status {
        DealStatus::Approved => (
            NotificationKind::DealApproved,
            "交易已获联盟批准",
            "Deal approved by the alliance",
        ),
        DealStatus::OnHold => (
            NotificationKind::DealOnHold,
            "交易已暂停",
            "Deal put on hold",
        ),
        DealStatus::Cancelled => (
            NotificationKind::DealCancelled,
            "交易已取消",
            "Deal cancelled",
        ),
        DealStatus::Completed => (
            NotificationKind::DealCompleted,
            "交易已完成",
            "Deal completed",
        ),
        _ => (
            NotificationKind::DealUpdated,
            "交易状态已更新",
            "Deal updated",
        ),
    };
    tell_parties(conn, &after, kind, zh, en, &req.reason)?;
    Ok(after.view())
}

/// The receiver confirms the deal is complete; every dispatched truckload must be received.
pub fn complete(
    conn: &mut DbConnection,
    user: &CurrentUser,
    deal_id: &str,
) -> Result<Deal, ApiError> {
    let before = load_row(conn, deal_id)?;
    if !(before.party(user) || user.is_staff()) {
        return Err(ApiError::not_found());
    }
    if !user.belongs_to(&before.receiver_org_id) {
        return Err(ApiError::forbidden(
            "receiver_only",
            "The receiver confirms completion.",
        ));
    }
    let open: i64 = transfers::table
        .filter(transfers::deal_id.eq(deal_id))
        .filter(transfers::received_at.is_null())
        .count()
        .get_result(conn)?;
    if open > 0 {
        return Err(ApiError::conflict(
            "transfers_not_received",
            "Record the receipt of every truckload first.",
        ));
    }
    let after = move_deal(
        conn,
        &before,
        DealEvent::Complete,
        Some("confirmed_by_receiver"),
    )?;
    record(conn, &user.id, "deal.completed", &before, &after, None)?;
    let note = format!("{} t delivered", format_tonnes(after.delivered_kg));
    tell_parties(
        conn,
        &after,
        NotificationKind::DealCompleted,
        "交易已完成",
        "Deal completed",
        &note,
    )?;
    Ok(after.view())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeRequest {
    #[schema(schema_with = crate::service::input::reason_schema)]
    pub reason: String,
}

/// Either party opens a dispute; staff resolve it.
pub fn dispute(
    conn: &mut DbConnection,
    user: &CurrentUser,
    deal_id: &str,
    req: &DisputeRequest,
) -> Result<Deal, ApiError> {
    let before = load_row(conn, deal_id)?;
    if !before.party(user) {
        return Err(ApiError::not_found());
    }
    let mut c = Checks::default();
    c.reason("reason", &req.reason);
    c.finish()?;
    let after = move_deal(conn, &before, DealEvent::Dispute, Some(&req.reason))?;
    record(
        conn,
        &user.id,
        "deal.disputed",
        &before,
        &after,
        Some(&req.reason),
    )?;
    tell_staff(
        conn,
        &after,
        NotificationKind::DisputeOpened,
        "交易争议待处理",
        "Dispute opened",
        &req.reason,
    )?;
    tell_parties(
        conn,
        &after,
        NotificationKind::DisputeOpened,
        "交易争议已提出",
        "Dispute opened",
        &req.reason,
    )?;
    Ok(after.view())
}
