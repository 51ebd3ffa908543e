//! Operations endpoints: liveness, readiness and Prometheus metrics.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use diesel::connection::SimpleConnection;
use secrecy::ExposeSecret;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::replica::ReplicaStatus;
use crate::error::{ApiError, ApiResult, Problem};
use crate::startup::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the check passed.
    pub status: &'static str,
    /// The read replica, when one is configured. A lagging or lost replica leaves the service
    /// ready: its reads go to the primary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica: Option<ReplicaStatus>,
}

/// Liveness: the process answers; touches no database.
#[utoipa::path(tag = "operations", responses((status = 200, body = Health)))]
#[get("/health/live")]
pub async fn live() -> web::Json<Health> {
    web::Json(Health {
        status: "ok",
        replica: None,
    })
}

/// Readiness: the database answers a query within the pool timeout; with a read replica, how it
/// stands.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, body = Health),
        (status = 503, description = "Database unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> ApiResult<web::Json<Health>> {
    state
        .db
        .read(|conn| conn.batch_execute("SELECT 1").map_err(Into::into))
        .await?;
    Ok(web::Json(Health {
        status: "ok",
        replica: state.db.replica().map(|r| r.status()),
    }))
}

/// Prometheus text exposition: requests by route and status, latencies, pool state, housekeeping
/// runs. With `WUFEI_METRICS_TOKEN` set, only `Authorization: Bearer <that token>` reads it;
/// without, only clients on this machine (a scraper beside the service) do.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"),
        (status = 401, description = "The metrics token is missing or wrong", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Without a metrics token, only local clients read metrics", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/metrics")]
pub async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    match &state.settings.metrics_token {
        Some(token) => {
            let presented = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or_default();
            let expected = token.expose_secret();
            // Compared in constant time: the token is a secret.
            let same = presented.len() == expected.len()
                && presented
                    .bytes()
                    .zip(expected.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0;
            if !same {
                return Err(ApiError::unauthorized(
                    "invalid_token",
                    "Metrics need the metrics token (WUFEI_METRICS_TOKEN).",
                ));
            }
        }
        None => {
            if !req.peer_addr().is_some_and(|a| a.ip().is_loopback()) {
                return Err(ApiError::forbidden(
                    "metrics_local_only",
                    "Without WUFEI_METRICS_TOKEN, metrics are for clients on this machine only.",
                ));
            }
        }
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render(&state.db)))
}
