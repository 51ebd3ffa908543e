//! /notifications: the caller's in-app notifications.

use actix_web::{get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiResult;
use crate::http::ReadProblems;
use crate::http::extractors::AuthUser;
use crate::service::notifications::{self, Notification};
use crate::service::page::{Page, PageQuery};
use crate::startup::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationFilter {
    /// Only unread notifications.
    #[serde(default)]
    pub unread: bool,
}

/// The caller's notifications, newest first.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    params(PageQuery, NotificationFilter),
    responses(
        (status = 200, body = Page<Notification>),
        ReadProblems,
    )
)]
#[get("/notifications")]
pub async fn list_notifications(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    page: web::Query<PageQuery>,
    filter: web::Query<NotificationFilter>,
) -> ApiResult<web::Json<Page<Notification>>> {
    let unread = filter.unread;
    let items = state
        .db
        .read(move |conn| notifications::list(conn, &user.id, unread, &page))
        .await?;
    Ok(web::Json(items))
}

/// Marks one of the caller's notifications read.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Notification id")),
    responses(
        (status = 200, body = Notification),
        ReadProblems,
    )
)]
#[post("/notifications/{id}/read")]
pub async fn mark_notification_read(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<web::Json<Notification>> {
    let id = path.into_inner();
    Ok(web::Json(
        state
            .db
            .read(move |conn| notifications::mark_read(conn, &user.id, &id))
            .await?,
    ))
}
