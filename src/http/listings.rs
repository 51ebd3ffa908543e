//! /listings: producers' lots, their review by staff, and search.

use actix_web::http::header::{self, ETag, EntityTag};
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};

use crate::error::ApiResult;
use crate::http::extractors::AuthUser;
use crate::http::pagination::{Page, PageQuery};
use crate::http::{ReadProblems, WriteProblems};
use crate::service::listings::{self, Listing, ListingDecisionRequest, ListingInput, ListingPatch};
use crate::service::search::{ListingPage, SearchQuery};
use crate::startup::AppState;

fn with_etag(status: actix_web::http::StatusCode, listing: Listing) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(ETag(EntityTag::new_strong(listing.version.to_string())))
        .json(listing)
}

/// The version an `If-Match` header names (`"3"`, `W/"3"` or `3`); `*` or none means any.
fn if_match(req: &HttpRequest) -> Option<i64> {
    let value = req.headers().get(header::IF_MATCH)?;
    let text = value.to_str().unwrap_or_default().trim();
    if text == "*" {
        return None;
    }
    // A tag we never issued matches no version: the edit is checked, then refused with 412.
    Some(
        text.trim_start_matches("W/")
            .trim_matches('"')
            .parse()
            .unwrap_or(-1),
    )
}

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
pub async fn create(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    body: web::Json<ListingInput>,
) -> ApiResult<HttpResponse> {
    let listing = listings::create(&state.db, &state.catalog, user, body.into_inner()).await?;
    Ok(with_etag(actix_web::http::StatusCode::CREATED, listing))
}

/// Searches published lots (verified users and staff), or your own with `mine=true`.
#[utoipa::path(
    tag = "listings",
    security(("bearer" = [])),
    params(SearchQuery),
    responses(
        (status = 200, body = ListingPage),
        WriteProblems,
    )
)]
#[get("/listings")]
pub async fn search(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    query: web::Query<SearchQuery>,
) -> ApiResult<web::Json<ListingPage>> {
    Ok(web::Json(
        crate::service::search::search(&state.db, user, query.into_inner()).await?,
    ))
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
pub async fn get(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let listing = listings::get(&state.db, user, path.into_inner()).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, listing))
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
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<ListingPatch>,
) -> ApiResult<HttpResponse> {
    let version = if_match(&req);
    let listing = listings::update(
        &state.db,
        &state.catalog,
        user,
        path.into_inner(),
        version,
        body.into_inner(),
    )
    .await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, listing))
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
pub async fn submit(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let listing = listings::submit(&state.db, &state.catalog, user, path.into_inner()).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, listing))
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
pub async fn withdraw(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let listing = listings::withdraw(&state.db, user, path.into_inner()).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, listing))
}

/// Lots waiting for review, oldest first (staff).
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, body = Page<Listing>),
        WriteProblems,
    )
)]
#[get("/moderation/listings")]
pub async fn review_queue(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    query: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<Listing>>> {
    let limit = query.limit()?;
    let items = listings::review_queue(&state.db, user, query.cursor()?, limit).await?;
    Ok(web::Json(Page::new(items, limit, |l| l.id.clone())))
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
pub async fn decide(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<ListingDecisionRequest>,
) -> ApiResult<web::Json<Listing>> {
    Ok(web::Json(
        listings::decide(
            &state.db,
            &state.catalog,
            &state.settings.trade,
            user,
            path.into_inner(),
            body.into_inner(),
        )
        .await?,
    ))
}
