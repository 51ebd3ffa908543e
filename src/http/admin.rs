//! /admin: admins grant and revoke the staff role.

use actix_web::{get, post, web};

use crate::error::ApiResult;
use crate::http::extractors::AuthUser;
use crate::http::{ReadProblems, WriteProblems, read, write};
use crate::service::accounts::users::{
    self as admin, PlatformRoleRequest, UserLookup, UserSummary,
};
use crate::startup::AppState;

/// Finds a user by email (admins).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(UserLookup),
    responses(
        (status = 200, body = UserSummary),
        ReadProblems,
    )
)]
#[get("/admin/users")]
pub async fn find_user(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    query: web::Query<UserLookup>,
) -> ApiResult<web::Json<UserSummary>> {
    let found = read(&state, move |conn, _| admin::find_user(conn, &user, &query)).await?;
    Ok(web::Json(found))
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
    let changed = write(&state, move |conn, _| {
        admin::set_platform_role(conn, &user, &path, &body)
    })
    .await?;
    Ok(web::Json(changed))
}
