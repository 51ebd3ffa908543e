//! /admin: admins grant and revoke the staff role.

use actix_web::{get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

use crate::error::ApiResult;
use crate::http::WriteProblems;
use crate::http::extractors::AuthUser;
use crate::service::admin::{self, PlatformRoleRequest, UserSummary};
use crate::startup::AppState;

#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct UserLookup {
    /// Exact email address (case-insensitive).
    #[param(max_length = 254)]
    #[validate(length(max = 254))]
    pub email: String,
}

/// Finds a user by email (admins).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(UserLookup),
    responses(
        (status = 200, body = UserSummary),
        WriteProblems,
    )
)]
#[get("/admin/users")]
pub async fn find_user(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    query: web::Query<UserLookup>,
) -> ApiResult<web::Json<UserSummary>> {
    query.validate()?;
    Ok(web::Json(
        admin::find_user(&state.db, user, query.into_inner().email).await?,
    ))
}

/// Grants (`staff`) or revokes (`null`) a user's platform role (admins).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    request_body = PlatformRoleRequest,
    responses(
        (status = 200, body = UserSummary),
        WriteProblems,
    )
)]
#[post("/admin/users/{id}/platform-role")]
pub async fn set_platform_role(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<PlatformRoleRequest>,
) -> ApiResult<web::Json<UserSummary>> {
    Ok(web::Json(
        admin::set_platform_role(&state.db, user, path.into_inner(), body.into_inner()).await?,
    ))
}
