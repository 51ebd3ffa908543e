//! /listings: producers' lots, their review by staff, and search.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};

use crate::error::ApiResult;
use crate::http::extractors::AuthUser;
use crate::http::{ReadProblems, WriteProblems, if_match, read, read_replica, tagged, write};
use crate::service::alliance::moderation::{self, ListingDecisionRequest};
use crate::service::market::listings::{self, ListingInput, ListingPatch};
use crate::service::market::lots::Listing;
use crate::service::market::search::{self as lot_search, SearchQuery};
use crate::service::page::{Page, PageQuery};
use crate::startup::AppState;

/// Creates a draft lot (members of verified producer organizations).
#[utoipa::path(
    tag = "listings",
    security(("bearer" = [])),
    request_body = ListingInput,
    responses(
        (status = 201, body = Listing, headers(("ETag" = String, description = "Version"))),
        WriteProblems,
    )
)]
#[post("/listings")]
pub async fn create_listing(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    body: web::Json<ListingInput>,
) -> ApiResult<HttpResponse> {
    let listing = write(&state, move |conn, app| {
        listings::create(conn, &app.catalog, &user, &body)
    })
    .await?;
    Ok(tagged(StatusCode::CREATED, listing.version, &listing))
}

/// Searches published lots (verified users and staff), or your own with `mine=true`.
#[utoipa::path(
    tag = "listings",
    security(("bearer" = [])),
    params(SearchQuery, PageQuery),
    responses(
        (status = 200, body = Page<Listing>),
        ReadProblems,
    )
)]
#[get("/listings")]
pub async fn search_listings(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    query: web::Query<SearchQuery>,
    page: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<Listing>>> {
    let page = read_replica(&state, move |conn, _| {
        lot_search::search(conn, &user, &query, &page)
    })
    .await?;
    Ok(web::Json(page))
}

/// One lot, with its version as `ETag`.
#[utoipa::path(
    tag = "listings",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Listing id")),
    responses(
        (status = 200, body = Listing, headers(("ETag" = String, description = "Version"))),
        ReadProblems,
    )
)]
#[get("/listings/{id}")]
pub async fn get_listing(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let listing = read_replica(&state, move |conn, _| listings::get(conn, &user, &path)).await?;
    Ok(tagged(StatusCode::OK, listing.version, &listing))
}

/// Edits a lot; send `If-Match` with the ETag you read (412 when stale). Changing the material
/// terms (category, properties, quantities) of a published lot sends it back to review.
#[utoipa::path(
    tag = "listings",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Listing id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version you edit"),
    ),
    request_body = ListingPatch,
    responses(
        (status = 200, body = Listing, headers(("ETag" = String, description = "Version"))),
        WriteProblems,
    )
)]
#[patch("/listings/{id}")]
pub async fn update_listing(
    req: HttpRequest,
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<ListingPatch>,
) -> ApiResult<HttpResponse> {
    let version = if_match(&req);
    let listing = write(&state, move |conn, app| {
        listings::update(conn, &app.catalog, &user, &path, version, body.into_inner())
    })
    .await?;
    Ok(tagged(StatusCode::OK, listing.version, &listing))
}

/// Sends a draft to review (checks the publication gates: identification report, radioactivity).
#[utoipa::path(
    tag = "listings",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Listing id")),
    responses(
        (status = 200, body = Listing),
        WriteProblems,
    )
)]
#[post("/listings/{id}/submit")]
pub async fn submit_listing(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let listing = write(&state, move |conn, app| {
        listings::submit(conn, &app.catalog, &user, &path)
    })
    .await?;
    Ok(tagged(StatusCode::OK, listing.version, &listing))
}

/// Withdraws a lot (closes it).
#[utoipa::path(
    tag = "listings",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Listing id")),
    responses(
        (status = 200, body = Listing),
        WriteProblems,
    )
)]
#[post("/listings/{id}/withdraw")]
pub async fn withdraw_listing(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let listing = write(&state, move |conn, _| {
        listings::withdraw(conn, &user, &path)
    })
    .await?;
    Ok(tagged(StatusCode::OK, listing.version, &listing))
}

/// Lots waiting for review, oldest first (staff).
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, body = Page<Listing>),
        ReadProblems,
    )
)]
#[get("/moderation/listings")]
pub async fn list_listings_to_review(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    query: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<Listing>>> {
    let page = read(&state, move |conn, _| {
        listings::review_queue(conn, &user, &query)
    })
    .await?;
    Ok(web::Json(page))
}

/// Approves (publishes), rejects (back to draft) or unpublishes a lot, with a reason (staff).
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Listing id")),
    request_body = ListingDecisionRequest,
    responses(
        (status = 200, body = Listing),
        WriteProblems,
    )
)]
#[post("/moderation/listings/{id}/decision")]
pub async fn decide_listing(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<ListingDecisionRequest>,
) -> ApiResult<web::Json<Listing>> {
    let listing = write(&state, move |conn, app| {
        moderation::decide_listing(conn, &app.catalog, &app.settings.trade, &user, &path, &body)
    })
    .await?;
    Ok(web::Json(listing))
}
