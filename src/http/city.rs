//! /city and the organizations' declarations and capacities: the city office's desk
//! (docs/CITY.md). Figures are JSON, or CSV by `Accept: text/csv` or `?format=csv`.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};

use crate::error::ApiResult;
use crate::http::extractors::AuthUser;
use crate::http::stats::wants_csv;
use crate::http::{ReadProblems, WriteProblems, if_match, tagged};
use crate::service::city::capacities::{self, Capacity, CapacityDecision, CapacityInput};
use crate::service::city::declarations::{
    self, Declaration, DeclarationInput, DeclarationQuery, Missing, MissingQuery,
};
use crate::service::city::figures::{
    self, AnnualReport, OutputValue, OutputValueInput, ReportQuery,
};
use crate::service::city::indicators::{self, Indicator, IndicatorInput};
use crate::service::city::key_projects::{
    self, KeyProject, KeyProjectDecision, KeyProjectDetail, KeyProjectInput, ReportInput,
};
use crate::service::city::profile::{self, CityProfile, CityProfileInput, ProfileQuery};
use crate::service::page::{Page, PageQuery};
use crate::startup::AppState;

fn report_response(csv: bool, report: AnnualReport) -> ApiResult<HttpResponse> {
    Ok(if csv {
        HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(figures::report_csv(&report)?)
    } else {
        HttpResponse::Ok().json(report)
    })
}

/// Declares (or corrects) a site's month for a category: generated, used in-house, sent out,
/// disposed of, stored, prior-years' stock used. Members of the organization.
#[utoipa::path(tag = "city", security(("bearer" = [])), params(("id" = String, Path, description = "Organization id")),
    request_body = DeclarationInput, responses((status = 200, body = Declaration), WriteProblems))]
#[post("/organizations/{id}/declarations")]
pub async fn declare(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<DeclarationInput>,
) -> ApiResult<web::Json<Declaration>> {
    let org = path.into_inner();
    let catalog = state.catalog.clone();
    let body = body.into_inner();
    Ok(web::Json(
        state
            .db
            .write(move |conn| declarations::declare(conn, &catalog, &user, &org, &body))
            .await?,
    ))
}

/// An organization's declarations: its members and staff.
#[utoipa::path(tag = "city", security(("bearer" = [])),
    params(("id" = String, Path, description = "Organization id"), DeclarationQuery, PageQuery),
    responses((status = 200, body = Page<Declaration>), ReadProblems))]
#[get("/organizations/{id}/declarations")]
pub async fn list_declarations(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    query: web::Query<DeclarationQuery>,
    page: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<Declaration>>> {
    let org = path.into_inner();
    Ok(web::Json(
        state
            .db
            .read(move |conn| declarations::list(conn, &user, &org, &query, &page))
            .await?,
    ))
}

/// Verified producers that have not declared a month (staff).
#[utoipa::path(tag = "city", security(("bearer" = [])), params(MissingQuery, PageQuery),
    responses((status = 200, body = Page<Missing>), ReadProblems))]
#[get("/city/declarations/missing")]
pub async fn missing_declarations(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    query: web::Query<MissingQuery>,
    page: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<Missing>>> {
    Ok(web::Json(
        state
            .db
            .read(move |conn| declarations::missing(conn, &user, &query, &page))
            .await?,
    ))
}

/// Declares a site's capacity for a category, with its permits; staff verify it.
#[utoipa::path(tag = "city", security(("bearer" = [])), params(("id" = String, Path, description = "Organization id")),
    request_body = CapacityInput, responses((status = 201, body = Capacity), WriteProblems))]
#[post("/organizations/{id}/capacities")]
pub async fn declare_capacity(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<CapacityInput>,
) -> ApiResult<HttpResponse> {
    let org = path.into_inner();
    let catalog = state.catalog.clone();
    let body = body.into_inner();
    let capacity = state
        .db
        .write(move |conn| capacities::declare(conn, &catalog, &user, &org, &body))
        .await?;
    Ok(HttpResponse::Created().json(capacity))
}

/// An organization's declared capacities: its members and staff.
#[utoipa::path(tag = "city", security(("bearer" = [])),
    params(("id" = String, Path, description = "Organization id"), PageQuery),
    responses((status = 200, body = Page<Capacity>), ReadProblems))]
#[get("/organizations/{id}/capacities")]
pub async fn list_capacities(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    page: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<Capacity>>> {
    let org = path.into_inner();
    Ok(web::Json(
        state
            .db
            .read(move |conn| capacities::list(conn, &user, &org, &page))
            .await?,
    ))
}

/// Staff verify or reject a declared capacity, with a reason.
#[utoipa::path(tag = "city", security(("bearer" = [])), params(("id" = String, Path, description = "Capacity id")),
    request_body = CapacityDecision, responses((status = 200, body = Capacity), WriteProblems))]
#[post("/moderation/capacities/{id}/decision")]
pub async fn decide_capacity(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<CapacityDecision>,
) -> ApiResult<web::Json<Capacity>> {
    let id = path.into_inner();
    let body = body.into_inner();
    Ok(web::Json(
        state
            .db
            .write(move |conn| capacities::decide(conn, &user, &id, &body))
            .await?,
    ))
}

/// Staff enter the output value of the city (its code ending in 00) or a district for a year.
#[utoipa::path(tag = "city", security(("bearer" = [])),
    params(("year" = i32, Path, description = "Year", minimum = 2000, maximum = 2100),
        ("region_code" = String, Path, description = "6-digit GB/T 2260 code", pattern = "^[0-9]{6}$")),
    request_body = OutputValueInput, responses((status = 200, body = OutputValue), WriteProblems))]
#[put("/city/output-values/{year}/{region_code}")]
pub async fn set_output_value(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<(i32, String)>,
    body: web::Json<OutputValueInput>,
) -> ApiResult<web::Json<OutputValue>> {
    let (year, region) = path.into_inner();
    let body = body.into_inner();
    Ok(web::Json(
        state
            .db
            .write(move |conn| figures::set_output_value(conn, &user, year, &region, &body))
            .await?,
    ))
}

/// The year's figures as the city office reports them (staff): generation, utilisation rate,
/// stock, disposal by category and district; intensity; key projects and capacity; the
/// exchange's volumes, deals and CO2.
#[utoipa::path(tag = "city", security(("bearer" = [])), params(ReportQuery),
    responses((status = 200, content((AnnualReport = "application/json"), (String = "text/csv"))), ReadProblems))]
#[get("/city/report")]
pub async fn annual_report(
    req: HttpRequest,
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    query: web::Query<ReportQuery>,
) -> ApiResult<HttpResponse> {
    let csv = wants_csv(&req, query.format);
    let (year, region) = (query.year, query.region.clone());
    let report = state
        .db
        .read_replica(move |conn| figures::staff_report(conn, &user, year, region))
        .await?;
    report_response(csv, report)
}

/// The same report for the public: a category or district declared by fewer than three
/// organizations is withheld (`null`), so no company's figures can be read from it.
#[utoipa::path(tag = "city", params(ReportQuery),
    responses((status = 200, content((AnnualReport = "application/json"), (String = "text/csv"))), ReadProblems))]
#[get("/city/summary")]
pub async fn public_summary(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ReportQuery>,
) -> ApiResult<HttpResponse> {
    let csv = wants_csv(&req, query.format);
    let (year, region) = (query.year, query.region.clone());
    let report = state
        .db
        .read_replica(move |conn| figures::annual_report(conn, year, region.as_deref(), true))
        .await?;
    report_response(csv, report)
}

/// Staff add a key project (重点项目).
#[utoipa::path(tag = "city", security(("bearer" = [])), request_body = KeyProjectInput,
    responses((status = 201, body = KeyProject), WriteProblems))]
#[post("/city/key-projects")]
pub async fn create_key_project(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    body: web::Json<KeyProjectInput>,
) -> ApiResult<HttpResponse> {
    let catalog = state.catalog.clone();
    let body = body.into_inner();
    let project = state
        .db
        .write(move |conn| key_projects::create(conn, &catalog, &user, &body))
        .await?;
    Ok(HttpResponse::Created().json(project))
}

/// Key projects: all for staff, its own for an owner organization.
#[utoipa::path(tag = "city", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Page<KeyProject>), ReadProblems))]
#[get("/city/key-projects")]
pub async fn list_key_projects(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    page: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<KeyProject>>> {
    Ok(web::Json(
        state
            .db
            .read(move |conn| key_projects::list(conn, &user, &page))
            .await?,
    ))
}

/// A key project with its progress reports.
#[utoipa::path(tag = "city", security(("bearer" = [])), params(("id" = String, Path, description = "Key project id")),
    responses((status = 200, body = KeyProjectDetail), ReadProblems))]
#[get("/city/key-projects/{id}")]
pub async fn get_key_project(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<web::Json<KeyProjectDetail>> {
    let id = path.into_inner();
    Ok(web::Json(
        state
            .db
            .read(move |conn| key_projects::get(conn, &user, &id))
            .await?,
    ))
}

/// Staff move a key project: start, complete, operate, cancel — with a reason.
#[utoipa::path(tag = "city", security(("bearer" = [])), params(("id" = String, Path, description = "Key project id")),
    request_body = KeyProjectDecision, responses((status = 200, body = KeyProject), WriteProblems))]
#[post("/city/key-projects/{id}/decision")]
pub async fn decide_key_project(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<KeyProjectDecision>,
) -> ApiResult<web::Json<KeyProject>> {
    let id = path.into_inner();
    let body = body.into_inner();
    Ok(web::Json(
        state
            .db
            .write(move |conn| key_projects::decide(conn, &user, &id, &body))
            .await?,
    ))
}

/// The owner (or staff) reports progress; the next report falls due one period later.
#[utoipa::path(tag = "city", security(("bearer" = [])), params(("id" = String, Path, description = "Key project id")),
    request_body = ReportInput, responses((status = 201, body = KeyProjectDetail), WriteProblems))]
#[post("/city/key-projects/{id}/reports")]
pub async fn report_progress(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<ReportInput>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let body = body.into_inner();
    let detail = state
        .db
        .write(move |conn| key_projects::report(conn, &user, &id, &body))
        .await?;
    Ok(HttpResponse::Created().json(detail))
}

/// Staff add an indicator task (指标任务).
#[utoipa::path(tag = "city", security(("bearer" = [])), request_body = IndicatorInput,
    responses((status = 201, body = Indicator), WriteProblems))]
#[post("/city/indicators")]
pub async fn create_indicator(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    body: web::Json<IndicatorInput>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let indicator = state
        .db
        .write(move |conn| indicators::create(conn, &user, &body))
        .await?;
    Ok(HttpResponse::Created().json(indicator))
}

/// Staff restate an indicator (a newly entered value with its source, a moved deadline).
#[utoipa::path(tag = "city", security(("bearer" = [])), params(("id" = String, Path, description = "Indicator id")),
    request_body = IndicatorInput, responses((status = 200, body = Indicator), WriteProblems))]
#[put("/city/indicators/{id}")]
pub async fn update_indicator(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<IndicatorInput>,
) -> ApiResult<web::Json<Indicator>> {
    let id = path.into_inner();
    let body = body.into_inner();
    Ok(web::Json(
        state
            .db
            .write(move |conn| indicators::update(conn, &user, &id, &body))
            .await?,
    ))
}

/// Indicator tasks with progress and status (on track, at risk, overdue). Public: city figures only.
#[utoipa::path(tag = "city", params(PageQuery),
    responses((status = 200, body = Page<Indicator>), ReadProblems))]
#[get("/city/indicators")]
pub async fn list_indicators(
    state: web::Data<AppState>,
    page: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<Indicator>>> {
    Ok(web::Json(
        state
            .db
            .read(move |conn| indicators::list(conn, &page))
            .await?,
    ))
}

/// The city as its public pages show it: names, logo text, district names and the exchange's
/// yearly targets — the platform's own city, or with `region` another city's own profile (404
/// until its staff set one). Public.
#[utoipa::path(tag = "city", params(ProfileQuery),
    responses((status = 200, body = CityProfile), ReadProblems))]
#[get("/city/profile")]
pub async fn get_city_profile(
    state: web::Data<AppState>,
    query: web::Query<ProfileQuery>,
) -> ApiResult<HttpResponse> {
    let region = query.into_inner().region;
    let found = state
        .db
        .read(move |conn| profile::read(conn, region.as_deref()))
        .await?;
    Ok(tagged(
        actix_web::http::StatusCode::OK,
        found.version,
        &found,
    ))
}

/// Staff set the platform's city profile, or with `region` another city's (staff of some cities:
/// only theirs); send `If-Match` with the version read to guard a colleague's edit.
#[utoipa::path(tag = "city", security(("bearer" = [])), request_body = CityProfileInput,
    params(ProfileQuery,
        ("If-Match" = Option<String>, Header, description = "The version read (`ETag`)")),
    responses((status = 200, body = CityProfile), WriteProblems))]
#[put("/city/profile")]
pub async fn set_city_profile(
    req: HttpRequest,
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    query: web::Query<ProfileQuery>,
    body: web::Json<CityProfileInput>,
) -> ApiResult<HttpResponse> {
    let version = if_match(&req);
    let region = query.into_inner().region;
    let body = body.into_inner();
    let saved = state
        .db
        .write(move |conn| profile::set(conn, &user, region.as_deref(), &body, version))
        .await?;
    Ok(tagged(
        actix_web::http::StatusCode::OK,
        saved.version,
        &saved,
    ))
}
