//! /deals: moderation by staff, truckloads, receipts, completion and disputes.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::domain::deal::DealStatus;
use crate::error::ApiResult;
use crate::http::extractors::AuthUser;
use crate::http::trade::{fingerprint, idempotency_key, respond};
use crate::http::{ReadProblems, WriteProblems, read};
use crate::service::idempotency::{self, Stored};
use crate::service::market::deals::{self, Deal, DealDecisionRequest, DisputeRequest};
use crate::service::market::transfers::{
    self, DealDetail, ReceiptRequest, Transfer, TransferInput,
};
use crate::service::page::{Page, PageQuery};
use crate::service::supply::call_offs;
use crate::startup::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DealFilter {
    pub status: Option<DealStatus>,
}

/// Your organization's deals (either side); every deal for staff.
#[utoipa::path(
    tag = "deals",
    security(("bearer" = [])),
    params(DealFilter, PageQuery),
    responses(
        (status = 200, body = Page<Deal>),
        ReadProblems,
    )
)]
#[get("/deals")]
pub async fn list_deals(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    filter: web::Query<DealFilter>,
    page: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<Deal>>> {
    let status = filter.status;
    let page = read(&state, move |conn, _| {
        deals::list(conn, &user, status, &page)
    })
    .await?;
    Ok(web::Json(page))
}

/// One deal with its truckloads (its parties and staff).
#[utoipa::path(
    tag = "deals",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Deal id")),
    responses(
        (status = 200, body = DealDetail),
        ReadProblems,
    )
)]
#[get("/deals/{id}")]
pub async fn get_deal(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<web::Json<DealDetail>> {
    let id = path.into_inner();
    Ok(web::Json(
        state
            .db
            .read(move |conn| transfers::get(conn, &user, &id))
            .await?,
    ))
}

/// The producer records a truckload (transfer manifest, 转移联单); net = gross − tare.
/// Send an `Idempotency-Key` to make retries safe.
#[utoipa::path(
    tag = "deals",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Deal id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for 24 h; 1 to 200 visible ASCII characters", pattern = "^[!-~]{1,200}$"),
    ),
    request_body = TransferInput,
    responses(
        (status = 201, body = Transfer),
        WriteProblems,
    )
)]
#[post("/deals/{id}/transfers")]
pub async fn record_transfer(
    req: HttpRequest,
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<TransferInput>,
) -> ApiResult<HttpResponse> {
    let key = idempotency_key(&req)?;
    let hash = fingerprint(&req, &*body);
    let id = path.into_inner();
    let body = body.into_inner();
    let trade = state.settings.trade.clone();
    let stored = idempotency::run(&state.db, user.id.clone(), key, hash, move |conn| {
        Stored::new(
            201,
            transfers::record_transfer(conn, &user, &id, &body, &trade)?,
        )
    })
    .await?;
    Ok(respond(stored))
}

/// The receiver records the net weight at its weighbridge; a difference beyond the tolerance
/// (default 2 %) is flagged and staff are told.
#[utoipa::path(
    tag = "deals",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Deal id"),
        ("transfer_id" = String, Path, description = "Transfer id"),
    ),
    request_body = ReceiptRequest,
    responses(
        (status = 200, body = Transfer),
        WriteProblems,
    )
)]
#[post("/deals/{id}/transfers/{transfer_id}/receipt")]
pub async fn record_receipt(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<(String, String)>,
    body: web::Json<ReceiptRequest>,
) -> ApiResult<web::Json<Transfer>> {
    let (deal, transfer) = path.into_inner();
    let body = body.into_inner();
    let tolerance = state.settings.trade.tolerance_permille;
    Ok(web::Json(
        state
            .db
            .write(move |conn| transfers::receive(conn, &user, &deal, &transfer, &body, tolerance))
            .await?,
    ))
}

/// The receiver confirms the deal is complete (every truckload received); a contract's call-off
/// closes its month.
#[utoipa::path(
    tag = "deals",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Deal id")),
    responses(
        (status = 200, body = Deal),
        WriteProblems,
    )
)]
#[post("/deals/{id}/complete")]
pub async fn complete_deal(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<web::Json<Deal>> {
    let id = path.into_inner();
    Ok(web::Json(
        state
            .db
            .write(move |conn| {
                let deal = deals::complete(conn, &user, &id)?;
                call_offs::settle(conn, &id)?;
                Ok(deal)
            })
            .await?,
    ))
}

/// Either party opens a dispute for staff to resolve.
#[utoipa::path(
    tag = "deals",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Deal id")),
    request_body = DisputeRequest,
    responses(
        (status = 200, body = Deal),
        WriteProblems,
    )
)]
#[post("/deals/{id}/dispute")]
pub async fn dispute_deal(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<DisputeRequest>,
) -> ApiResult<web::Json<Deal>> {
    let id = path.into_inner();
    let body = body.into_inner();
    Ok(web::Json(
        state
            .db
            .write(move |conn| deals::dispute(conn, &user, &id, &body))
            .await?,
    ))
}

/// Deals waiting for approval, oldest first (staff).
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, body = Page<Deal>),
        ReadProblems,
    )
)]
#[get("/moderation/deals")]
pub async fn list_deals_to_approve(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    page: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<Deal>>> {
    let page = read(&state, move |conn, _| {
        deals::queue(conn, &user, DealStatus::PendingApproval, &page)
    })
    .await?;
    Ok(web::Json(page))
}

/// Disputed deals, oldest first (staff).
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, body = Page<Deal>),
        ReadProblems,
    )
)]
#[get("/moderation/disputes")]
pub async fn list_disputes(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    page: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<Deal>>> {
    let page = read(&state, move |conn, _| {
        deals::queue(conn, &user, DealStatus::Disputed, &page)
    })
    .await?;
    Ok(web::Json(page))
}

/// Approves, holds, resumes or cancels a deal, or resolves a dispute, with a reason (staff).
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Deal id")),
    request_body = DealDecisionRequest,
    responses(
        (status = 200, body = Deal),
        WriteProblems,
    )
)]
#[post("/moderation/deals/{id}/decision")]
pub async fn decide_deal(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<DealDecisionRequest>,
) -> ApiResult<web::Json<Deal>> {
    let id = path.into_inner();
    let body = body.into_inner();
    Ok(web::Json(
        state
            .db
            .write(move |conn| {
                let deal = deals::decide(conn, &user, &id, &body)?;
                call_offs::settle(conn, &id)?;
                Ok(deal)
            })
            .await?,
    ))
}
