//! /stats and the producer ledger: JSON, or CSV by `Accept: text/csv` or `?format=csv`.

use actix_web::http::header::ACCEPT;
use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::error::{ApiError, ApiResult};
use crate::http::ReadProblems;
use crate::http::extractors::AuthUser;
use crate::service::alliance::ledger as ledger_pages;
use crate::service::city::stats::{self, Flows, Period, ReportFormat, Summary};
use crate::startup::AppState;

/// CSV when `?format=csv` or `Accept: text/csv` asks for it, JSON otherwise.
pub fn wants_csv(req: &HttpRequest, format: Option<ReportFormat>) -> bool {
    format == Some(ReportFormat::Csv)
        || req
            .headers()
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/csv"))
}

/// The public summary: tonnes by category, the clearance rate, active organizations, deals by state and
/// CO2 avoided. No organization names, no prices; no sign-in needed.
#[utoipa::path(tag = "statistics", params(Period), responses((status = 200, body = Summary), ReadProblems))]
#[get("/stats/summary")]
pub async fn get_summary(
    state: web::Data<AppState>,
    period: web::Query<Period>,
) -> ApiResult<web::Json<Summary>> {
    Ok(web::Json(
        state
            .db
            .read_replica(move |conn| stats::summary(conn, &period))
            .await?,
    ))
}

/// Flows by category, region and month with every figure (staff). CSV gives the flow rows.
#[utoipa::path(tag = "statistics", security(("bearer" = [])), params(Period),
    responses((status = 200, content((Flows = "application/json"), (String = "text/csv"))), ReadProblems))]
#[get("/stats/flows")]
pub async fn get_flows(
    req: HttpRequest,
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    period: web::Query<Period>,
) -> ApiResult<HttpResponse> {
    let csv = wants_csv(&req, period.format);
    let flows = state
        .db
        .read_replica(move |conn| stats::flows(conn, &user, &period))
        .await?;
    Ok(if csv {
        HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(stats::flows_csv(&flows.rows)?)
    } else {
        HttpResponse::Ok().json(flows)
    })
}

/// The producer's ledger (台账) as CSV, streamed page by page: every outgoing truckload with
/// category code, tonnes, receiver name and USCC, intended use, dates and manifest number.
/// Members of the organization and staff.
#[utoipa::path(tag = "statistics", security(("bearer" = [])), params(("id" = String, Path, description = "Organization id")),
    responses((status = 200, description = "CSV", body = String, content_type = "text/csv"), ReadProblems))]
#[get("/organizations/{id}/ledger")]
pub async fn get_ledger(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let org = path.into_inner();
    let db = state.db.clone();
    // The first page answers errors (403, 404, 503) before any byte is sent.
    let first = {
        let org = org.clone();
        db.read(move |conn| ledger_pages::open(conn, &user, &org))
            .await?
    };
    let (bytes, next) = first;
    let rest = futures_util::stream::unfold((db, org, next), |(db, org, cursor)| async move {
        let after = cursor?;
        let page = {
            let org = org.clone();
            db.read(move |conn| ledger_pages::page(conn, &org, &after, false))
                .await
        };
        Some(match page {
            Ok((bytes, next)) => (Ok::<_, ApiError>(web::Bytes::from(bytes)), (db, org, next)),
            Err(e) => (Err(e), (db, org, None)),
        })
    });
    let body = futures_util::StreamExt::chain(
        futures_util::stream::once(async move { Ok(web::Bytes::from(bytes)) }),
        rest,
    );
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .streaming(body))
}
