//! /moderation: the staff queue of organizations and decisions on them.

use actix_web::{get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::domain::outbox::OutboxStatus;
use crate::error::ApiResult;
use crate::http::extractors::AuthUser;
use crate::http::{ReadProblems, WriteProblems, read, write};
use crate::service::accounts::organizations::{self, Organization, OrganizationDecisionRequest};
use crate::service::alliance::moderation::{self, Console, OutboxEmail};
use crate::service::audit::{AuditEntry, AuditQuery};
use crate::service::page::{Page, PageQuery};
use crate::startup::AppState;

/// Organizations waiting for verification, oldest first (staff).
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, body = Page<Organization>),
        ReadProblems,
    )
)]
#[get("/moderation/organizations")]
pub async fn list_organizations_to_verify(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    query: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<Organization>>> {
    let page = read(&state, move |conn, _| {
        moderation::organizations_queue(conn, &user, &query)
    })
    .await?;
    Ok(web::Json(page))
}

/// Verifies, rejects, suspends or reinstates an organization, with a reason (staff).
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Organization id")),
    request_body = OrganizationDecisionRequest,
    responses(
        (status = 200, body = Organization),
        WriteProblems,
    )
)]
#[post("/moderation/organizations/{id}/decision")]
pub async fn decide_organization(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<OrganizationDecisionRequest>,
) -> ApiResult<web::Json<Organization>> {
    let organization = write(&state, move |conn, _| {
        organizations::decide(conn, &user, &path, &body)
    })
    .await?;
    Ok(web::Json(organization))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EmailFilter {
    /// Delivery status (default `dead`).
    pub status: Option<OutboxStatus>,
}

/// Outbox emails by delivery status, `dead` by default: what could not be delivered (staff).
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(PageQuery, EmailFilter),
    responses(
        (status = 200, body = Page<OutboxEmail>),
        ReadProblems,
    )
)]
#[get("/moderation/emails")]
pub async fn list_outbox_emails(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    page: web::Query<PageQuery>,
    filter: web::Query<EmailFilter>,
) -> ApiResult<web::Json<Page<OutboxEmail>>> {
    let status = filter.status.unwrap_or(OutboxStatus::Dead);
    let page = read(&state, move |conn, _| {
        moderation::emails(conn, &user, status, &page)
    })
    .await?;
    Ok(web::Json(page))
}

/// What waits for staff: counts and the oldest waiting item of each queue.
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    responses((status = 200, body = Console), ReadProblems)
)]
#[get("/moderation/summary")]
pub async fn get_moderation_summary(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
) -> ApiResult<web::Json<Console>> {
    Ok(web::Json(
        state
            .db
            .read(move |conn| moderation::console(conn, &user))
            .await?,
    ))
}

/// The audit log, newest first, by object, actor, action and time (staff).
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(AuditQuery, PageQuery),
    responses((status = 200, body = Page<AuditEntry>), ReadProblems)
)]
#[get("/audit-log")]
pub async fn read_audit_log(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    query: web::Query<AuditQuery>,
    page: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<AuditEntry>>> {
    let items = state
        .db
        .read(move |conn| moderation::audit_log(conn, &user, &query, &page))
        .await?;
    Ok(web::Json(items))
}
