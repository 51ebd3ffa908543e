//! Alliance staff decisions on organizations. Every decision carries a reason, is audited and
//! is told to the organization's owners.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::db::schema::{organizations, outbox};
use crate::db::{Db, now};
use crate::domain::organization::{VerificationEvent, VerificationStatus, transition};
use crate::domain::outbox::OutboxStatus;
use crate::error::ApiError;
use crate::service::access::CurrentUser;
use crate::service::audit::{self, Entry};
use crate::service::notifications::{Notice, notify_owners};
use crate::service::organizations::{Organization, load, load_many};

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationDecision {
    Verify,
    Reject,
    Suspend,
    /// Lifts a suspension.
    Reinstate,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationDecisionRequest {
    pub decision: OrganizationDecision,
    /// Why; shown to the organization and kept in the audit log.
    #[validate(length(min = 3, max = 2000))]
    #[schema(min_length = 3, max_length = 2000)]
    pub reason: String,
    /// Required to verify an organization whose USCC check character failed.
    #[serde(default)]
    pub override_uscc_check: bool,
}

pub async fn organizations_queue(
    db: &Db,
    user: CurrentUser,
    after: Option<String>,
    limit: i64,
) -> Result<Vec<Organization>, ApiError> {
    user.require_staff()?;
    db.run(move |conn| load_many(conn, VerificationStatus::Pending, after.as_deref(), limit))
        .await
}

pub async fn decide_organization(
    db: &Db,
    user: CurrentUser,
    org_id: String,
    req: OrganizationDecisionRequest,
) -> Result<Organization, ApiError> {
    user.require_staff()?;
    req.validate()?;
    db.write(move |conn| {
        let before = load(conn, &org_id)?;
        let target = organizations::table.find(&org_id);
        let (action, kind, zh, en) = match req.decision {
            OrganizationDecision::Verify | OrganizationDecision::Reject => {
                let event = if req.decision == OrganizationDecision::Verify {
                    VerificationEvent::Verify
                } else {
                    VerificationEvent::Reject
                };
                let next = transition(before.verification_status, event).ok_or_else(|| {
                    ApiError::conflict(
                        "invalid_state",
                        format!("The organization is {}, not pending.", before.verification_status),
                    )
                })?;
                if event == VerificationEvent::Verify && before.uscc_check_failed && !req.override_uscc_check {
                    return Err(ApiError::unprocessable(
                        "uscc_override_required",
                        "The USCC check character failed; set override_uscc_check after checking the business licence.",
                    ));
                }
                let changed = diesel::update(
                    target.filter(organizations::verification_status.eq(before.verification_status.as_str())),
                )
                .set((
                    organizations::verification_status.eq(next.as_str()),
                    organizations::version.eq(organizations::version + 1),
                    organizations::updated_at.eq(now()),
                ))
                .execute(conn)?;
                if changed == 0 {
                    return Err(ApiError::conflict("invalid_state", "The organization changed meanwhile."));
                }
                if event == VerificationEvent::Verify {
                    ("organization.verified", "organization_verified", "单位已通过认证", "Organization verified")
                } else {
                    ("organization.rejected", "organization_rejected", "单位认证未通过", "Organization verification rejected")
                }
            }
            OrganizationDecision::Suspend | OrganizationDecision::Reinstate => {
                let suspend = req.decision == OrganizationDecision::Suspend;
                if before.suspended == suspend {
                    return Err(ApiError::conflict(
                        "invalid_state",
                        if suspend { "Already suspended." } else { "Not suspended." },
                    ));
                }
                diesel::update(target)
                    .set((
                        organizations::suspended.eq(suspend),
                        organizations::version.eq(organizations::version + 1),
                        organizations::updated_at.eq(now()),
                    ))
                    .execute(conn)?;
                if suspend {
                    ("organization.suspended", "organization_suspended", "单位已被暂停", "Organization suspended")
                } else {
                    ("organization.reinstated", "organization_reinstated", "单位已恢复", "Organization reinstated")
                }
            }
        };
        let after = load(conn, &org_id)?;
        audit::record(
            conn,
            Entry {
                actor: Some(&user.id),
                action,
                object_type: "organization",
                object_id: &org_id,
                reason: Some(&req.reason),
            },
            Some(&before),
            Some(&after),
        )?;
        notify_owners(
            conn,
            &org_id,
            &Notice {
                kind,
                title_zh: format!("{zh}：{}", after.legal_name),
                title_en: format!("{en}: {}", after.legal_name),
                body_zh: format!("联盟工作人员的说明：{}", req.reason),
                body_en: format!("Note from the alliance staff: {}", req.reason),
                object_type: Some("organization"),
                object_id: Some(&org_id),
            },
        )?;
        Ok(after)
    })
    .await
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
pub async fn emails(
    db: &Db,
    user: CurrentUser,
    status: OutboxStatus,
    after: Option<String>,
    limit: i64,
) -> Result<Vec<OutboxEmail>, ApiError> {
    user.require_staff()?;
    db.run(move |conn| {
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
        if let Some(after) = after {
            q = q.filter(outbox::id.gt(after));
        }
        Ok(q.load(conn)?)
    })
    .await
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
