//! /demands, matches both ways, and the alliance board of stranded streams.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};

use crate::db::now;
use crate::domain::matching::Params;
use crate::error::ApiResult;
use crate::http::extractors::AuthUser;
use crate::http::{ReadProblems, WriteProblems, if_match, read, read_replica, tagged, write};
use crate::service::matching::demands::{self, Demand, DemandInput, DemandPatch};
use crate::service::matching::matches::{self, DemandMatch, ListingMatch, StrandedListing};
use crate::service::page::{Page, PageQuery};
use crate::startup::AppState;

fn params(state: &AppState) -> Params {
    Params {
        freight_fen_per_t_km: state.settings.trade.freight_fen_per_t_km,
        now: now(),
    }
}

/// Posts a demand (members of verified receiver and research organizations).
#[utoipa::path(
    tag = "demands",
    security(("bearer" = [])),
    request_body = DemandInput,
    responses(
        (status = 201, body = Demand),
        WriteProblems,
    )
)]
#[post("/demands")]
pub async fn create_demand(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    body: web::Json<DemandInput>,
) -> ApiResult<HttpResponse> {
    let catalog = state.catalog.clone();
    let body = body.into_inner();
    let demand = state
        .db
        .write(move |conn| demands::create(conn, &catalog, &user, &body))
        .await?;
    Ok(HttpResponse::Created().json(demand))
}

/// Your organization's demands; every demand for staff.
#[utoipa::path(
    tag = "demands",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, body = Page<Demand>),
        ReadProblems,
    )
)]
#[get("/demands")]
pub async fn list_demands(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    page: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<Demand>>> {
    let items = state
        .db
        .read(move |conn| demands::list(conn, &user, &page))
        .await?;
    Ok(web::Json(items))
}

/// One demand (its organization and staff).
#[utoipa::path(
    tag = "demands",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Demand id")),
    responses(
        (status = 200, body = Demand, headers(("ETag" = String, description = "Version"))),
        ReadProblems,
    )
)]
#[get("/demands/{id}")]
pub async fn get_demand(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let demand = read(&state, move |conn, _| demands::get(conn, &user, &path)).await?;
    Ok(tagged(StatusCode::OK, demand.version, &demand))
}

/// Changes a demand's status (a move of its state machine: pause, resume, fulfil, reopen,
/// close), distance, price limit, quantity, availability end or title. Send `If-Match` with the
/// ETag you read (412 when stale).
#[utoipa::path(
    tag = "demands",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Demand id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version you edit"),
    ),
    request_body = DemandPatch,
    responses(
        (status = 200, body = Demand, headers(("ETag" = String, description = "Version"))),
        WriteProblems,
    )
)]
#[patch("/demands/{id}")]
pub async fn update_demand(
    req: HttpRequest,
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<DemandPatch>,
) -> ApiResult<HttpResponse> {
    let version = if_match(&req);
    let demand = write(&state, move |conn, app| {
        demands::update(conn, &app.catalog, &user, &path, version, &body)
    })
    .await?;
    Ok(tagged(StatusCode::OK, demand.version, &demand))
}

/// Published lots that meet the demand, best first, each with its score broken down.
#[utoipa::path(
    tag = "demands",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Demand id"), PageQuery),
    responses(
        (status = 200, body = Page<ListingMatch>),
        ReadProblems,
    )
)]
#[get("/demands/{id}/matches")]
pub async fn list_demand_matches(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<ListingMatch>>> {
    let page = read_replica(&state, move |conn, app| {
        matches::matches_for_demand(conn, &app.catalog, &params(app), &user, &path, &query)
    })
    .await?;
    Ok(web::Json(page))
}

/// Open demands that the lot meets, best first (the lot's producer and staff).
#[utoipa::path(
    tag = "listings",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Listing id"), PageQuery),
    responses(
        (status = 200, body = Page<DemandMatch>),
        ReadProblems,
    )
)]
#[get("/listings/{id}/matches")]
pub async fn list_listing_matches(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<DemandMatch>>> {
    let page = read_replica(&state, move |conn, app| {
        matches::matches_for_listing(conn, &app.catalog, &params(app), &user, &path, &query)
    })
    .await?;
    Ok(web::Json(page))
}

/// Published lots without an offer for `WUFEI_STRANDED_DAYS` (default 30), with their best
/// near-matches, for staff and research organizations to route to projects.
#[utoipa::path(
    tag = "alliance",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, body = Page<StrandedListing>),
        ReadProblems,
    )
)]
#[get("/alliance/stranded-listings")]
pub async fn list_stranded_listings(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    page: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<StrandedListing>>> {
    let page = read(&state, move |conn, app| {
        let days = app.settings.trade.stranded_days;
        matches::stranded(conn, &app.catalog, &params(app), &user, days, &page)
    })
    .await?;
    Ok(web::Json(page))
}
