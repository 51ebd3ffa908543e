//! The alliance staff's desk: the queues of organizations to verify and of emails, the audit log,
//! the console's counts, and the decision on a lot under review (it publishes the lot and starts
//! matching, so it sits above the market and matching). Other decisions live with their object.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::TradeSettings;
use crate::db::schema::{organizations, outbox};
use crate::db::{DbConnection, now};
use crate::domain::listing::ListingEvent;
use crate::domain::matching::Params;
use crate::domain::notification::NotificationKind;
use crate::domain::offer::OfferEvent;
use crate::domain::organization::VerificationStatus;
use crate::domain::outbox::OutboxStatus;
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::accounts::organizations::{Organization, load_many};
use crate::service::audit::{self, AuditEntry, AuditQuery, Entry};
use crate::service::input::Checks;
use crate::service::market::catalog::Catalog;
use crate::service::market::lots::{self, Listing, load, load_row};
use crate::service::market::offers::end_open_offers;
use crate::service::matching::digests;
use crate::service::notifications::{Notice, notify_owners};
use crate::service::page::{Page, PageQuery};

/// The audit log, for staff.
pub fn audit_log(
    conn: &mut DbConnection,
    user: &CurrentUser,
    q: &AuditQuery,
    page: &PageQuery,
) -> Result<Page<AuditEntry>, ApiError> {
    user.require_staff()?;
    audit::query(conn, q, page)
}

pub fn organizations_queue(
    conn: &mut DbConnection,
    user: &CurrentUser,
    page: &PageQuery,
) -> Result<Page<Organization>, ApiError> {
    user.require_staff()?;
    load_many(conn, VerificationStatus::Pending, user.cities(), page)
}

#[derive(Debug, Serialize, ToSchema, Queryable)]
pub struct OutboxEmail {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    /// `pending`, `sent` or `dead`.
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    #[serde(with = "crate::domain::time")]
    pub created_at: NaiveDateTime,
}

/// Emails by delivery status, oldest first (staff): `dead` ones need someone to look.
pub fn emails(
    conn: &mut DbConnection,
    user: &CurrentUser,
    status: OutboxStatus,
    page: &PageQuery,
) -> Result<Page<OutboxEmail>, ApiError> {
    user.require_staff()?;
    let limit = page.limit()?;
    let mut q = outbox::table
        .filter(outbox::status.eq(status.as_str()))
        .select((
            outbox::id,
            outbox::recipient,
            outbox::subject,
            outbox::status,
            outbox::attempts,
            outbox::last_error,
            outbox::created_at,
        ))
        .order(outbox::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = page.after::<String>()? {
        q = q.filter(outbox::id.gt(after));
    }
    let items: Vec<OutboxEmail> = q.load(conn)?;
    Ok(Page::new(items, limit, |e| e.id.clone()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Queue {
    /// How many wait for a decision.
    pub count: i64,
    /// When the oldest of them started waiting.
    pub oldest: Option<chrono::DateTime<chrono::Utc>>,
}

/// Everything waiting for alliance staff, in one place.
#[derive(Debug, Serialize, ToSchema)]
pub struct Console {
    pub organizations: Queue,
    pub listings: Queue,
    pub deals: Queue,
    pub disputes: Queue,
    pub dead_emails: Queue,
}

pub fn console(
    conn: &mut crate::db::DbConnection,
    user: &CurrentUser,
) -> Result<Console, ApiError> {
    use crate::db::schema::{deals, listings};
    use diesel::dsl::{count_star, min};
    user.require_staff()?;
    let queue = |row: (i64, Option<NaiveDateTime>)| Queue {
        count: row.0,
        oldest: row.1.map(|t| t.and_utc()),
    };
    Ok(Console {
        organizations: queue(
            organizations::table
                .filter(organizations::verification_status.eq(VerificationStatus::Pending.as_str()))
                .select((count_star(), min(organizations::updated_at)))
                .first(conn)?,
        ),
        listings: queue(
            listings::table
                .filter(listings::status.eq("pending_review"))
                .select((count_star(), min(listings::updated_at)))
                .first(conn)?,
        ),
        deals: queue(
            deals::table
                .filter(deals::status.eq("pending_approval"))
                .select((count_star(), min(deals::created_at)))
                .first(conn)?,
        ),
        disputes: queue(
            deals::table
                .filter(deals::status.eq("disputed"))
                .select((count_star(), min(deals::updated_at)))
                .first(conn)?,
        ),
        dead_emails: queue(
            outbox::table
                .filter(outbox::status.eq(OutboxStatus::Dead.as_str()))
                .select((count_star(), min(outbox::created_at)))
                .first(conn)?,
        ),
    })
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ListingDecision {
    Approve,
    Reject,
    Unpublish,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingDecisionRequest {
    pub decision: ListingDecision,
    #[schema(schema_with = crate::service::input::reason_schema)]
    pub reason: String,
}

/// A staff decision on a lot. Publication queues the lot for the digests of the demands it
/// matches: the decision joins the market and matching, so it sits above both.
pub fn decide_listing(
    conn: &mut DbConnection,
    catalog: &Catalog,
    trade: &TradeSettings,
    user: &CurrentUser,
    id: &str,
    req: &ListingDecisionRequest,
) -> Result<Listing, ApiError> {
    user.require_staff()?;
    let mut c = Checks::default();
    c.reason("reason", &req.reason);
    c.finish()?;
    let before = load(conn, id)?;
    let row = load_row(conn, id)?;
    user.require_staff_for(&row.region_code)?;
    let (event, action, kind, zh, en) = match req.decision {
        ListingDecision::Approve => (
            ListingEvent::Approve,
            "listing.approved",
            NotificationKind::ListingApproved,
            "挂牌已发布",
            "Listing published",
        ),
        ListingDecision::Reject => (
            ListingEvent::Reject,
            "listing.rejected",
            NotificationKind::ListingRejected,
            "挂牌审核未通过",
            "Listing rejected",
        ),
        ListingDecision::Unpublish => (
            ListingEvent::Unpublish,
            "listing.unpublished",
            NotificationKind::ListingUnpublished,
            "挂牌已下架",
            "Listing unpublished",
        ),
    };
    let reason = (req.decision != ListingDecision::Approve).then_some(req.reason.as_str());
    lots::move_to(conn, &row, event, reason)?;
    if event == ListingEvent::Unpublish {
        end_open_offers(conn, id, OfferEvent::Invalidate, "listing_unpublished")?;
    }
    if event == ListingEvent::Approve {
        let params = Params {
            freight_fen_per_t_km: trade.freight_fen_per_t_km,
            now: now(),
        };
        digests::queue_matches(conn, catalog, &params, id)?;
    }
    let after = load(conn, id)?;
    audit::record(
        conn,
        Entry {
            actor: Some(&user.id),
            action,
            object_type: "listing",
            object_id: id,
            reason: Some(&req.reason),
        },
        Some(&before),
        Some(&after),
    )?;
    notify_owners(
        conn,
        &after.organization_id,
        &Notice {
            kind,
            title_zh: format!("{zh}：{}", after.title),
            title_en: format!("{en}: {}", after.title),
            body_zh: format!("联盟工作人员的说明：{}", req.reason),
            body_en: format!("Note from the alliance staff: {}", req.reason),
            object_type: Some("listing"),
            object_id: Some(id),
        },
    )?;
    Ok(after)
}
