//! /offers and /listings/{id}/offers: sealed bidding, counter-offers and acceptance.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::offer::OfferStatus;
use crate::error::ApiResult;
use crate::http::extractors::AuthUser;
use crate::http::trade::{fingerprint, idempotency_key, optional_json, respond};
use crate::http::{ReadProblems, WriteProblems};
use crate::service::idempotency::{self, Stored};
use crate::service::input::Tonnes;
use crate::service::market::acceptance::{self, Acceptance};
use crate::service::market::offers::{self, CounterRequest, Offer, OfferInput};
use crate::service::page::{Page, PageQuery};
use crate::startup::AppState;

/// Places a sealed offer on a published lot (verified receivers and research organizations).
/// Send an `Idempotency-Key` to make retries safe.
#[utoipa::path(
    tag = "offers",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Listing id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for 24 h; 1 to 200 visible ASCII characters", pattern = "^[!-~]{1,200}$"),
    ),
    request_body = OfferInput,
    responses(
        (status = 201, body = Offer),
        WriteProblems,
    )
)]
#[post("/listings/{id}/offers")]
pub async fn place_offer(
    req: HttpRequest,
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<OfferInput>,
) -> ApiResult<HttpResponse> {
    let key = idempotency_key(&req)?;
    let hash = fingerprint(&req, &*body);
    let listing = path.into_inner();
    let body = body.into_inner();
    let stored = idempotency::run(&state.db, user.id.clone(), key, hash, move |conn| {
        Stored::new(201, offers::place(conn, &user, &listing, &body)?)
    })
    .await?;
    Ok(respond(stored))
}

/// The offers on a lot: all for its producer and staff, only your own for a bidder.
#[utoipa::path(
    tag = "offers",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Listing id"), PageQuery),
    responses(
        (status = 200, body = Page<Offer>),
        ReadProblems,
    )
)]
#[get("/listings/{id}/offers")]
pub async fn list_listing_offers(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    page: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<Offer>>> {
    let listing = path.into_inner();
    let items = state
        .db
        .read(move |conn| offers::for_listing(conn, &user, &listing, &page))
        .await?;
    Ok(web::Json(items))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OfferFilter {
    /// Offers received on your lots instead of the ones you made.
    #[serde(default)]
    pub received: bool,
    pub status: Option<OfferStatus>,
}

/// Your organization's offers: made, or with `received=true`, received on its lots.
#[utoipa::path(
    tag = "offers",
    security(("bearer" = [])),
    params(OfferFilter, PageQuery),
    responses(
        (status = 200, body = Page<Offer>),
        ReadProblems,
    )
)]
#[get("/offers")]
pub async fn list_offers(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    filter: web::Query<OfferFilter>,
    page: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<Offer>>> {
    let (received, status) = (filter.received, filter.status);
    let items = state
        .db
        .read(move |conn| offers::mine(conn, &user, received, status, &page))
        .await?;
    Ok(web::Json(items))
}

/// One offer (its bidder, the lot's producer and staff).
#[utoipa::path(
    tag = "offers",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Offer id")),
    responses(
        (status = 200, body = Offer),
        ReadProblems,
    )
)]
#[get("/offers/{id}")]
pub async fn get_offer(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<web::Json<Offer>> {
    let id = path.into_inner();
    Ok(web::Json(
        state
            .db
            .read(move |conn| offers::get(conn, &user, &id))
            .await?,
    ))
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    /// Accept only part of the offer (tonnes); the whole offer when absent.
    pub quantity_t: Option<Tonnes>,
}

/// The producer accepts an offer, whole or in part: the tonnage is taken from the lot atomically
/// and a deal is created. The body may be empty. Send an `Idempotency-Key` to make retries safe.
#[utoipa::path(
    tag = "offers",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Offer id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for 24 h; 1 to 200 visible ASCII characters", pattern = "^[!-~]{1,200}$"),
    ),
    request_body(content = Option<AcceptRequest>),
    responses(
        (status = 201, body = Acceptance),
        WriteProblems,
    )
)]
#[post("/offers/{id}/accept")]
pub async fn accept_offer(
    req: HttpRequest,
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let body: AcceptRequest = optional_json(&body)?;
    let key = idempotency_key(&req)?;
    let hash = fingerprint(&req, &body);
    let id = path.into_inner();
    let trade = state.settings.trade.clone();
    let stored = idempotency::run(&state.db, user.id.clone(), key, hash, move |conn| {
        Stored::new(
            201,
            acceptance::accept(conn, &trade, &user, &id, body.quantity_t.as_ref())?,
        )
    })
    .await?;
    Ok(respond(stored))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    #[schema(schema_with = crate::service::input::reason_schema)]
    pub reason: String,
}

/// The producer rejects an offer, with a reason.
#[utoipa::path(
    tag = "offers",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Offer id")),
    request_body = RejectRequest,
    responses(
        (status = 200, body = Offer),
        WriteProblems,
    )
)]
#[post("/offers/{id}/reject")]
pub async fn reject_offer(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<RejectRequest>,
) -> ApiResult<web::Json<Offer>> {
    let id = path.into_inner();
    let reason = body.into_inner().reason;
    Ok(web::Json(
        state
            .db
            .write(move |conn| offers::reject(conn, &user, &id, &reason))
            .await?,
    ))
}

/// The producer proposes another price and/or quantity.
#[utoipa::path(
    tag = "offers",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Offer id")),
    request_body = CounterRequest,
    responses(
        (status = 200, body = Offer),
        WriteProblems,
    )
)]
#[post("/offers/{id}/counter")]
pub async fn counter_offer(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<CounterRequest>,
) -> ApiResult<web::Json<Offer>> {
    let id = path.into_inner();
    let body = body.into_inner();
    Ok(web::Json(
        state
            .db
            .write(move |conn| offers::counter(conn, &user, &id, &body))
            .await?,
    ))
}

/// The bidder accepts the counter-offer: a deal on the counter terms.
#[utoipa::path(
    tag = "offers",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Offer id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for 24 h; 1 to 200 visible ASCII characters", pattern = "^[!-~]{1,200}$"),
    ),
    responses(
        (status = 201, body = Acceptance),
        WriteProblems,
    )
)]
#[post("/offers/{id}/accept-counter")]
pub async fn accept_counter_offer(
    req: HttpRequest,
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = idempotency_key(&req)?;
    let hash = fingerprint(&req, &());
    let id = path.into_inner();
    let trade = state.settings.trade.clone();
    let stored = idempotency::run(&state.db, user.id.clone(), key, hash, move |conn| {
        Stored::new(201, acceptance::accept_counter(conn, &trade, &user, &id)?)
    })
    .await?;
    Ok(respond(stored))
}

/// The bidder rejects the counter-offer.
#[utoipa::path(
    tag = "offers",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Offer id")),
    responses(
        (status = 200, body = Offer),
        WriteProblems,
    )
)]
#[post("/offers/{id}/reject-counter")]
pub async fn reject_counter_offer(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<web::Json<Offer>> {
    let id = path.into_inner();
    Ok(web::Json(
        state
            .db
            .write(move |conn| offers::reject_counter(conn, &user, &id))
            .await?,
    ))
}

/// The bidder takes its offer back.
#[utoipa::path(
    tag = "offers",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Offer id")),
    responses(
        (status = 200, body = Offer),
        WriteProblems,
    )
)]
#[post("/offers/{id}/withdraw")]
pub async fn withdraw_offer(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<web::Json<Offer>> {
    let id = path.into_inner();
    Ok(web::Json(
        state
            .db
            .write(move |conn| offers::withdraw(conn, &user, &id))
            .await?,
    ))
}
