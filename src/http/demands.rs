//! /demands, matches both ways, and the alliance board of stranded streams.

use actix_web::{HttpResponse, get, patch, post, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::now;
use crate::domain::matching::Params;
use crate::error::ApiResult;
use crate::http::extractors::AuthUser;
use crate::http::pagination::{Page, PageQuery};
use crate::http::{ReadProblems, WriteProblems};
use crate::service::demands::{
    self, Demand, DemandInput, DemandMatch, DemandPatch, ListingMatch, MatchQuery, StrandedListing,
};
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
pub async fn create(
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
pub async fn list(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    page: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<Demand>>> {
    let limit = page.limit()?;
    let cursor = page.cursor()?;
    let items = state
        .db
        .run(move |conn| demands::list(conn, &user, cursor.as_deref(), limit))
        .await?;
    Ok(web::Json(Page::new(items, limit, |d| d.id.clone())))
}

/// One demand (its organization and staff).
#[utoipa::path(
    tag = "demands",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Demand id")),
    responses(
        (status = 200, body = Demand),
        ReadProblems,
    )
)]
#[get("/demands/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<web::Json<Demand>> {
    let id = path.into_inner();
    Ok(web::Json(
        state
            .db
            .run(move |conn| demands::get(conn, &user, &id))
            .await?,
    ))
}

/// Changes a demand's status (open, paused, fulfilled, closed), distance, price limit, quantity,
/// window end or title.
#[utoipa::path(
    tag = "demands",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Demand id")),
    request_body = DemandPatch,
    responses(
        (status = 200, body = Demand),
        WriteProblems,
    )
)]
#[patch("/demands/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<DemandPatch>,
) -> ApiResult<web::Json<Demand>> {
    let id = path.into_inner();
    let catalog = state.catalog.clone();
    let body = body.into_inner();
    Ok(web::Json(
        state
            .db
            .write(move |conn| demands::update(conn, &catalog, &user, &id, &body))
            .await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListingMatchPage {
    pub items: Vec<ListingMatch>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DemandMatchPage {
    pub items: Vec<DemandMatch>,
    pub next_cursor: Option<String>,
}

/// Published lots that meet the demand, best first, each with its score broken down.
#[utoipa::path(
    tag = "demands",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Demand id"), MatchQuery),
    responses(
        (status = 200, body = ListingMatchPage),
        ReadProblems,
    )
)]
#[get("/demands/{id}/matches")]
pub async fn demand_matches(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    query: web::Query<MatchQuery>,
) -> ApiResult<web::Json<ListingMatchPage>> {
    let id = path.into_inner();
    let catalog = state.catalog.clone();
    let params = params(&state);
    let (items, next_cursor) = state
        .db
        .run(move |conn| demands::matches_for_demand(conn, &catalog, &params, &user, &id, &query))
        .await?;
    Ok(web::Json(ListingMatchPage { items, next_cursor }))
}

/// Open demands that the lot meets, best first (the lot's producer and staff).
#[utoipa::path(
    tag = "listings",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Listing id"), MatchQuery),
    responses(
        (status = 200, body = DemandMatchPage),
        ReadProblems,
    )
)]
#[get("/listings/{id}/matches")]
pub async fn listing_matches(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    query: web::Query<MatchQuery>,
) -> ApiResult<web::Json<DemandMatchPage>> {
    let id = path.into_inner();
    let catalog = state.catalog.clone();
    let params = params(&state);
    let (items, next_cursor) = state
        .db
        .run(move |conn| demands::matches_for_listing(conn, &catalog, &params, &user, &id, &query))
        .await?;
    Ok(web::Json(DemandMatchPage { items, next_cursor }))
}

/// Published lots without an offer for `WUFEI_STRANDED_DAYS` (default 30), with their best
/// near-matches, for staff and research organizations to route to projects.
#[utoipa::path(
    tag = "alliance",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, body = Page<StrandedListing>),
        WriteProblems,
    )
)]
#[get("/alliance/stranded-listings")]
pub async fn stranded(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    page: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<StrandedListing>>> {
    let limit = page.limit()?;
    let cursor = page.cursor()?;
    let catalog = state.catalog.clone();
    let params = params(&state);
    let days = state.settings.trade.stranded_days;
    let items = state
        .db
        .run(move |conn| {
            demands::stranded(
                conn,
                &catalog,
                &params,
                &user,
                days,
                cursor.as_deref(),
                limit,
            )
        })
        .await?;
    Ok(web::Json(Page::new(items, limit, |s| s.listing.id.clone())))
}
