//! The alliance staff's desk: the queues of organizations to verify and of emails, and the
//! console's counts. Decisions on each object live with the object's module.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::schema::{organizations, outbox};
use crate::domain::organization::VerificationStatus;
use crate::domain::outbox::OutboxStatus;
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::accounts::organizations::{Organization, load_many};
use crate::service::audit::{self, AuditEntry, AuditQuery};
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
    load_many(conn, VerificationStatus::Pending, page)
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
