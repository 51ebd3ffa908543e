//! /organizations: profile, sites, invitations and submission for verification.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};

use crate::error::ApiResult;
use crate::http::extractors::AuthUser;
use crate::http::{ReadProblems, WriteProblems, if_match, read, tagged, throttle_mail, write};
use crate::service::accounts::invitations::{self, Invitation, InvitationInput};
use crate::service::accounts::organizations::{
    self, Organization, OrganizationPatch, Site, SiteInput,
};
use crate::service::page::Page;
use crate::startup::AppState;

/// An organization; visible to its members and to staff.
#[utoipa::path(
    tag = "organizations",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Organization id")),
    responses(
        (status = 200, body = Organization, headers(("ETag" = String, description = "Version"))),
        ReadProblems,
    )
)]
#[get("/organizations/{id}")]
pub async fn get_organization(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let org = read(&state, move |conn, _| {
        organizations::get(conn, &user, &path)
    })
    .await?;
    Ok(tagged(StatusCode::OK, org.version, &org))
}

/// Edits contact details (owners); the legal name only before verification. Send `If-Match`
/// with the ETag you read (412 when stale).
#[utoipa::path(
    tag = "organizations",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Organization id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version you edit"),
    ),
    request_body = OrganizationPatch,
    responses(
        (status = 200, body = Organization, headers(("ETag" = String, description = "Version"))),
        WriteProblems,
    )
)]
#[patch("/organizations/{id}")]
pub async fn update_organization(
    req: HttpRequest,
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<OrganizationPatch>,
) -> ApiResult<HttpResponse> {
    let version = if_match(&req);
    let org = write(&state, move |conn, _| {
        organizations::update(conn, &user, &path, version, &body)
    })
    .await?;
    Ok(tagged(StatusCode::OK, org.version, &org))
}

/// The organization's sites (plants, yards, project sites).
#[utoipa::path(
    tag = "organizations",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Organization id")),
    responses(
        (status = 200, body = Page<Site>),
        ReadProblems,
    )
)]
#[get("/organizations/{id}/sites")]
pub async fn list_sites(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<web::Json<Page<Site>>> {
    let items = read(&state, move |conn, _| {
        organizations::list_sites(conn, &user, &path)
    })
    .await?;
    Ok(web::Json(Page {
        items,
        next_cursor: None,
    }))
}

/// Adds a site (owners).
#[utoipa::path(
    tag = "organizations",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Organization id")),
    request_body = SiteInput,
    responses(
        (status = 201, body = Site),
        WriteProblems,
    )
)]
#[post("/organizations/{id}/sites")]
pub async fn add_site(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<SiteInput>,
) -> ApiResult<HttpResponse> {
    let site = write(&state, move |conn, _| {
        organizations::add_site(conn, &user, &path, &body)
    })
    .await?;
    Ok(HttpResponse::Created().json(site))
}

/// Replaces a site's details (owners).
#[utoipa::path(
    tag = "organizations",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Organization id"),
        ("site_id" = String, Path, description = "Site id"),
    ),
    request_body = SiteInput,
    responses(
        (status = 200, body = Site),
        WriteProblems,
    )
)]
#[patch("/organizations/{id}/sites/{site_id}")]
pub async fn update_site(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<(String, String)>,
    body: web::Json<SiteInput>,
) -> ApiResult<web::Json<Site>> {
    let (org, site) = path.into_inner();
    let site = write(&state, move |conn, _| {
        organizations::update_site(conn, &user, &org, &site, &body)
    })
    .await?;
    Ok(web::Json(site))
}

/// Invites a person by email (owners); the link is valid for 7 days and single-use.
#[utoipa::path(
    tag = "organizations",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Organization id")),
    request_body = InvitationInput,
    responses(
        (status = 201, body = Invitation),
        WriteProblems,
    )
)]
#[post("/organizations/{id}/invitations")]
pub async fn invite_member(
    req: HttpRequest,
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<InvitationInput>,
) -> ApiResult<HttpResponse> {
    throttle_mail(&state, &req, &body.email).await?;
    let invitation = write(&state, move |conn, app| {
        invitations::invite(conn, &app.settings.public_url, &user, &path, &body)
    })
    .await?;
    Ok(HttpResponse::Created().json(invitation))
}

/// Asks the alliance to verify the organization (owners).
#[utoipa::path(
    tag = "organizations",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Organization id")),
    responses(
        (status = 200, body = Organization),
        WriteProblems,
    )
)]
#[post("/organizations/{id}/verification")]
pub async fn submit_for_verification(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<web::Json<Organization>> {
    let org = write(&state, move |conn, _| {
        organizations::submit_for_verification(conn, &user, &path)
    })
    .await?;
    Ok(web::Json(org))
}
