//! /contracts: supply contracts for streams, their monthly call-offs and lab reports; the seasonal
//! profiles of lots and demands; the alliance's yard forecast.

use actix_web::{HttpResponse, get, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::supply::ContractStatus;
use crate::error::ApiResult;
use crate::http::extractors::AuthUser;
use crate::http::{ReadProblems, WriteProblems, read, write};
use crate::service::page::{Page, PageQuery};
use crate::service::supply::call_offs::{self, CallOff, CallOffInput};
use crate::service::supply::contracts::{
    self, Contract, ContractDecisionRequest, ContractInput, ContractTermsInput,
};
use crate::service::supply::forecast::{self, ForecastQuery, YardForecast};
use crate::service::supply::lab_reports::ContractReportInput;
use crate::service::supply::profiles::{
    self, IntakeProfile, IntakeProfileInput, StreamProfile, StreamProfileInput,
};
use crate::service::supply::{self, ContractDetail};
use crate::startup::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContractFilter {
    pub status: Option<ContractStatus>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    #[schema(schema_with = crate::service::input::reason_schema)]
    pub reason: String,
}

/// Proposes a supply contract on a recurring lot: the receiver, or the lot's producer answering a
/// recurring demand. The other party agrees, counters or declines.
#[utoipa::path(tag = "contracts", security(("bearer" = [])), request_body = ContractInput,
    responses((status = 201, body = ContractDetail), WriteProblems))]
#[post("/contracts")]
pub async fn propose_contract(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    body: web::Json<ContractInput>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let detail = write(&state, move |conn, app| {
        let row = contracts::propose(conn, &app.catalog, &user, &body)?;
        supply::detail(conn, &row)
    })
    .await?;
    Ok(HttpResponse::Created().json(detail))
}

/// Your organization's contracts (either side); every contract for staff.
#[utoipa::path(tag = "contracts", security(("bearer" = [])), params(ContractFilter, PageQuery),
    responses((status = 200, body = Page<Contract>), ReadProblems))]
#[get("/contracts")]
pub async fn list_contracts(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    filter: web::Query<ContractFilter>,
    page: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<Contract>>> {
    let status = filter.status;
    let page = read(&state, move |conn, _| {
        contracts::list(conn, &user, status, &page)
    })
    .await?;
    Ok(web::Json(page))
}

/// One contract with its call-offs and lab reports (its parties and staff).
#[utoipa::path(tag = "contracts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Contract id")),
    responses((status = 200, body = ContractDetail), ReadProblems))]
#[get("/contracts/{id}")]
pub async fn get_contract(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<web::Json<ContractDetail>> {
    let id = path.into_inner();
    Ok(web::Json(
        read(&state, move |conn, _| supply::get(conn, &user, &id)).await?,
    ))
}

/// The party whose turn it is restates the terms; the other party answers next.
#[utoipa::path(tag = "contracts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Contract id")), request_body = ContractTermsInput,
    responses((status = 200, body = ContractDetail), WriteProblems))]
#[post("/contracts/{id}/counter")]
pub async fn counter_contract(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<ContractTermsInput>,
) -> ApiResult<web::Json<ContractDetail>> {
    let id = path.into_inner();
    let body = body.into_inner();
    Ok(web::Json(
        write(&state, move |conn, app| {
            let row = contracts::counter(conn, &app.catalog, &user, &id, &body)?;
            supply::detail(conn, &row)
        })
        .await?,
    ))
}

/// The party whose turn it is agrees; 409 `over_committed` when the stream cannot promise the
/// monthly maximum in some month of the term. Staff approve next.
#[utoipa::path(tag = "contracts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Contract id")),
    responses((status = 200, body = ContractDetail), WriteProblems))]
#[post("/contracts/{id}/agree")]
pub async fn agree_contract(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<web::Json<ContractDetail>> {
    let id = path.into_inner();
    Ok(web::Json(
        write(&state, move |conn, _| {
            let row = contracts::agree(conn, &user, &id)?;
            supply::detail(conn, &row)
        })
        .await?,
    ))
}

/// Either party withdraws or declines before agreement, with a reason.
#[utoipa::path(tag = "contracts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Contract id")), request_body = ReasonRequest,
    responses((status = 200, body = ContractDetail), WriteProblems))]
#[post("/contracts/{id}/decline")]
pub async fn decline_contract(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<ReasonRequest>,
) -> ApiResult<web::Json<ContractDetail>> {
    let id = path.into_inner();
    let body = body.into_inner();
    Ok(web::Json(
        write(&state, move |conn, _| {
            let row = contracts::decline(conn, &user, &id, &body.reason)?;
            supply::detail(conn, &row)
        })
        .await?,
    ))
}

/// A party or staff end an agreed or running contract early, with a reason.
#[utoipa::path(tag = "contracts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Contract id")), request_body = ReasonRequest,
    responses((status = 200, body = ContractDetail), WriteProblems))]
#[post("/contracts/{id}/terminate")]
pub async fn terminate_contract(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<ReasonRequest>,
) -> ApiResult<web::Json<ContractDetail>> {
    let id = path.into_inner();
    let body = body.into_inner();
    Ok(web::Json(
        write(&state, move |conn, _| {
            let row = contracts::terminate(conn, &user, &id, &body.reason)?;
            supply::detail(conn, &row)
        })
        .await?,
    ))
}

/// Staff approve an agreed contract (it becomes active; the lot's lab values are its first
/// report) or reject it, with a reason.
#[utoipa::path(tag = "moderation", security(("bearer" = [])),
    params(("id" = String, Path, description = "Contract id")), request_body = ContractDecisionRequest,
    responses((status = 200, body = ContractDetail), WriteProblems))]
#[post("/moderation/contracts/{id}/decision")]
pub async fn decide_contract(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<ContractDecisionRequest>,
) -> ApiResult<web::Json<ContractDetail>> {
    let id = path.into_inner();
    let body = body.into_inner();
    Ok(web::Json(
        write(&state, move |conn, app| {
            let row = supply::decide(conn, &app.catalog, &user, &id, &body)?;
            supply::detail(conn, &row)
        })
        .await?,
    ))
}

/// The producer files a new lab report of the stream. One out of the contract's bounds suspends
/// it; one within them resumes a suspended contract and releases its held call-off.
#[utoipa::path(tag = "contracts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Contract id")), request_body = ContractReportInput,
    responses((status = 201, body = ContractDetail), WriteProblems))]
#[post("/contracts/{id}/lab-reports")]
pub async fn file_lab_report(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<ContractReportInput>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let body = body.into_inner();
    let detail = write(&state, move |conn, app| {
        supply::file_report(conn, &app.catalog, &user, &id, &body)
    })
    .await?;
    Ok(HttpResponse::Created().json(detail))
}

/// The receiver calls a month off: a deal approved with the contract, whose truckloads are
/// recorded at `/deals/{deal_id}/transfers`. Held (deal `on_hold`) while the stream's lab report
/// is out of date or out of bounds.
#[utoipa::path(tag = "contracts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Contract id")), request_body = CallOffInput,
    responses((status = 201, body = CallOff), WriteProblems))]
#[post("/contracts/{id}/call-offs")]
pub async fn place_call_off(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<CallOffInput>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let body = body.into_inner();
    let call_off = write(&state, move |conn, _| {
        call_offs::place(conn, &user, &id, &body)
    })
    .await?;
    Ok(HttpResponse::Created().json(call_off))
}

/// The producer states a recurring lot's generation by calendar month and its yard.
#[utoipa::path(tag = "contracts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Listing id")), request_body = StreamProfileInput,
    responses((status = 200, body = StreamProfile), WriteProblems))]
#[put("/listings/{id}/profile")]
pub async fn set_stream_profile(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<StreamProfileInput>,
) -> ApiResult<web::Json<StreamProfile>> {
    let id = path.into_inner();
    let body = body.into_inner();
    Ok(web::Json(
        write(&state, move |conn, _| {
            profiles::put_stream(conn, &user, &id, &body)
        })
        .await?,
    ))
}

/// A recurring lot's generation profile and yard, with what contracts hold of the next twelve
/// months (its producer and staff).
#[utoipa::path(tag = "contracts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Listing id")),
    responses((status = 200, body = StreamProfile), ReadProblems))]
#[get("/listings/{id}/profile")]
pub async fn get_stream_profile(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<web::Json<StreamProfile>> {
    let id = path.into_inner();
    Ok(web::Json(
        read(&state, move |conn, _| {
            profiles::get_stream(conn, &user, &id)
        })
        .await?,
    ))
}

/// The receiver states a recurring demand's intake by calendar month.
#[utoipa::path(tag = "contracts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Demand id")), request_body = IntakeProfileInput,
    responses((status = 200, body = IntakeProfile), WriteProblems))]
#[put("/demands/{id}/profile")]
pub async fn set_intake_profile(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<IntakeProfileInput>,
) -> ApiResult<web::Json<IntakeProfile>> {
    let id = path.into_inner();
    let body = body.into_inner();
    Ok(web::Json(
        write(&state, move |conn, _| {
            profiles::put_intake(conn, &user, &id, &body)
        })
        .await?,
    ))
}

/// A recurring demand's intake profile (its organization and staff).
#[utoipa::path(tag = "contracts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Demand id")),
    responses((status = 200, body = IntakeProfile), ReadProblems))]
#[get("/demands/{id}/profile")]
pub async fn get_intake_profile(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<web::Json<IntakeProfile>> {
    let id = path.into_inner();
    Ok(web::Json(
        read(&state, move |conn, _| {
            profiles::get_intake(conn, &user, &id)
        })
        .await?,
    ))
}

/// Producers' yards that fill within the horizon at their streams' seasonal generation less what
/// active contracts are bound to take (staff).
#[utoipa::path(tag = "alliance", security(("bearer" = [])), params(ForecastQuery),
    responses((status = 200, body = YardForecast), ReadProblems))]
#[get("/alliance/yard-forecast")]
pub async fn yard_forecast(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    query: web::Query<ForecastQuery>,
) -> ApiResult<web::Json<YardForecast>> {
    let query = query.into_inner();
    Ok(web::Json(
        read(&state, move |conn, _| {
            forecast::yards_filling(conn, &user, &query)
        })
        .await?,
    ))
}
