//! /organizations: profile, sites, invitations and submission for verification.

use actix_web::{HttpResponse, get, patch, post, web};

use crate::error::ApiResult;
use crate::http::extractors::AuthUser;
use crate::http::pagination::Page;
use crate::http::{ReadProblems, WriteProblems};
use crate::service::organizations::{
    self, Invitation, InvitationRequest, Organization, Site, SiteInput, UpdateOrganization,
};
use crate::startup::AppState;

/// An organization; visible to its members and to staff.
#[utoipa::path(
    tag = "organizations",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Organization id")),
    responses(
        (status = 200, body = Organization),
        ReadProblems,
    )
)]
#[get("/organizations/{id}")]
pub async fn get_organization(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<web::Json<Organization>> {
    Ok(web::Json(
        organizations::get(&state.db, user, path.into_inner()).await?,
    ))
}

/// Edits contact details (owners); the legal name only before verification.
#[utoipa::path(
    tag = "organizations",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Organization id")),
    request_body = UpdateOrganization,
    responses(
        (status = 200, body = Organization),
        WriteProblems,
    )
)]
#[patch("/organizations/{id}")]
pub async fn update_organization(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<UpdateOrganization>,
) -> ApiResult<web::Json<Organization>> {
    Ok(web::Json(
        organizations::update(&state.db, user, path.into_inner(), body.into_inner()).await?,
    ))
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
    let items = organizations::list_sites(&state.db, user, path.into_inner()).await?;
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
    let site =
        organizations::add_site(&state.db, user, path.into_inner(), body.into_inner()).await?;
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
    Ok(web::Json(
        organizations::update_site(&state.db, user, org, site, body.into_inner()).await?,
    ))
}

/// Invites a person by email (owners); the link is valid for 7 days and single-use.
#[utoipa::path(
    tag = "organizations",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Organization id")),
    request_body = InvitationRequest,
    responses(
        (status = 201, body = Invitation),
        WriteProblems,
    )
)]
#[post("/organizations/{id}/invitations")]
pub async fn invite(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<InvitationRequest>,
) -> ApiResult<HttpResponse> {
    let invitation = organizations::invite(
        &state.db,
        state.settings.public_url.clone(),
        user,
        path.into_inner(),
        body.into_inner(),
    )
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
pub async fn submit_verification(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<web::Json<Organization>> {
    Ok(web::Json(
        organizations::submit_for_verification(&state.db, user, path.into_inner()).await?,
    ))
}
