//! HTTP layer: routes, request and response types, extractors. No SQL here.

pub mod admin;
pub mod auth;
pub mod catalog;
pub mod city;
pub mod contracts;
pub mod deals;
pub mod demands;
pub mod extractors;
pub mod listings;
pub mod metrics;
pub mod moderation;
pub mod notifications;
pub mod offers;
pub mod ops;
pub mod organizations;
pub mod problems;
pub mod projects;
pub mod stats;
pub mod trade;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ETag, EntityTag};
use actix_web::{App, HttpRequest, HttpResponse, web};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::db::DbConnection;
use crate::domain::outbox::OutboxStatus;
use crate::error::{ApiError, ApiResult};
use crate::error::{FieldError, Problem};
use crate::service::accounts::throttle;
use crate::service::city::stats::ReportFormat;
use crate::service::market::search::SortOrder;
use crate::startup::AppState;

/// A resource with its `version` as a strong `ETag`, for `If-Match` on the next edit.
pub fn tagged(status: StatusCode, version: i64, body: &impl serde::Serialize) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(ETag(EntityTag::new_strong(version.to_string())))
        .json(body)
}

/// The version an `If-Match` header names (`"3"`, `W/"3"` or `3`); `*` or none means any.
pub fn if_match(req: &HttpRequest) -> Option<i64> {
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

/// The client's address: the peer's, unless the peer is a trusted proxy
/// (`WUFEI_TRUSTED_PROXIES`); then the nearest address in `X-Forwarded-For` that is not one of
/// the trusted proxies. The header is never read from anyone else (anybody can send it).
pub fn client_ip(state: &AppState, req: &HttpRequest) -> Option<std::net::IpAddr> {
    let peer = req.peer_addr()?.ip();
    let trusted = |ip: &std::net::IpAddr| {
        state
            .settings
            .trusted_proxies
            .iter()
            .any(|n| n.contains(ip))
    };
    if !trusted(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<std::net::IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|ip| !trusted(ip))
        .or(forwarded.first())
        .copied()
        .or(Some(peer))
}

/// Counts a request that makes the exchange send an email to `recipient`: at most so many per
/// recipient address and per client address in the window, else 429 with `Retry-After`. Nothing
/// is taken back: a stranger's mailbox fills no faster for the requests being refused.
pub async fn throttle_mail(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    recipient: &str,
) -> Result<(), ApiError> {
    let limits = state.settings.mail_throttle.clone();
    let client = client_ip(state, req)
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    let recipient = recipient.trim().to_lowercase();
    write(state, move |conn, _| {
        throttle::hit(
            conn,
            &[format!("mail:to:{recipient}")],
            limits.per_address,
            limits.window_secs,
        )?;
        throttle::hit(
            conn,
            &[format!("mail:from:{client}")],
            limits.per_client,
            limits.window_secs,
        )?;
        Ok(())
    })
    .await
}

/// Runs one use case in one write transaction (the request's only one), with the app at hand.
pub async fn write<T, F>(state: &web::Data<AppState>, f: F) -> ApiResult<T>
where
    F: FnOnce(&mut DbConnection, &AppState) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let app = state.clone();
    state.db.write(move |conn| f(conn, &app)).await
}

/// Runs one reading use case on a connection (no write transaction).
pub async fn read<T, F>(state: &web::Data<AppState>, f: F) -> ApiResult<T>
where
    F: FnOnce(&mut DbConnection, &AppState) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let app = state.clone();
    state.db.read(move |conn| f(conn, &app)).await
}

/// `read` for reads a replica may serve (search, lot views, statistics, reports, matching, the
/// public pages): see `Db::read_replica`.
pub async fn read_replica<T, F>(state: &web::Data<AppState>, f: F) -> ApiResult<T>
where
    F: FnOnce(&mut DbConnection, &AppState) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let app = state.clone();
    state.db.read_replica(move |conn| f(conn, &app)).await
}

/// Problems a reading route may answer (problem+json).
#[derive(utoipa::IntoResponses)]
pub enum ReadProblems {
    /// Not signed in, or the token is invalid or expired.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// Signed in, but the caller's role or organization may not read this.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// No such object, or not one the caller may know of.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// A query parameter is invalid.
    #[response(status = 422, content_type = "application/problem+json")]
    Invalid(Problem),
    /// The database is not answering; retry after `Retry-After`.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}

/// Problems a route that takes a body or changes something may answer (problem+json).
#[derive(utoipa::IntoResponses)]
pub enum WriteProblems {
    /// Malformed JSON or header.
    #[response(status = 400, content_type = "application/problem+json")]
    Malformed(Problem),
    /// Not signed in, or the token or credentials are invalid.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// Signed in, but not allowed to do this.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// No such object, or not one the caller may know of.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// The object's state does not allow this, or a concurrent change got in the way.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
    /// `If-Match` names a stale version.
    #[response(status = 412, content_type = "application/problem+json")]
    Stale(Problem),
    /// The body is larger than 64 KiB.
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// The body is not `application/json`.
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Problem),
    /// Invalid fields, listed in `errors`.
    #[response(status = 422, content_type = "application/problem+json")]
    Invalid(Problem),
    /// Throttled; retry after `Retry-After`.
    #[response(status = 429, content_type = "application/problem+json")]
    Throttled(Problem),
    /// The database is not answering; retry after `Retry-After`.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}

/// Every route of the service, for the app and for the OpenAPI document alike.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(ops::live)
        .service(ops::ready)
        .service(ops::metrics)
        .service(utoipa_actix_web::scope("/api/v1").configure(api_v1));
}

fn api_v1(cfg: &mut ServiceConfig) {
    cfg.service(auth::register)
        .service(auth::verify_email)
        .service(auth::login)
        .service(auth::refresh_session)
        .service(auth::logout)
        .service(auth::forgot_password)
        .service(auth::reset_password)
        .service(auth::change_password)
        .service(auth::get_me)
        .service(organizations::get_organization)
        .service(organizations::update_organization)
        .service(organizations::list_sites)
        .service(organizations::add_site)
        .service(organizations::update_site)
        .service(organizations::invite_member)
        .service(organizations::submit_for_verification)
        .service(moderation::list_organizations_to_verify)
        .service(moderation::decide_organization)
        .service(moderation::list_outbox_emails)
        .service(moderation::get_moderation_summary)
        .service(moderation::read_audit_log)
        .service(admin::find_user)
        .service(admin::set_platform_role)
        .service(catalog::list_categories)
        .service(catalog::grade_sample)
        .service(catalog::rules)
        .service(city::declare)
        .service(city::list_declarations)
        .service(city::missing_declarations)
        .service(city::declare_capacity)
        .service(city::list_capacities)
        .service(city::decide_capacity)
        .service(city::set_output_value)
        .service(city::annual_report)
        .service(city::public_summary)
        .service(city::create_key_project)
        .service(city::list_key_projects)
        .service(city::get_key_project)
        .service(city::decide_key_project)
        .service(city::report_progress)
        .service(city::create_indicator)
        .service(city::update_indicator)
        .service(city::list_indicators)
        .service(city::get_city_profile)
        .service(city::set_city_profile)
        .service(listings::create_listing)
        .service(listings::search_listings)
        .service(listings::get_listing)
        .service(listings::update_listing)
        .service(listings::submit_listing)
        .service(listings::withdraw_listing)
        .service(listings::list_listings_to_review)
        .service(listings::decide_listing)
        .service(offers::place_offer)
        .service(offers::list_listing_offers)
        .service(offers::list_offers)
        .service(offers::get_offer)
        .service(offers::accept_offer)
        .service(offers::reject_offer)
        .service(offers::counter_offer)
        .service(offers::accept_counter_offer)
        .service(offers::reject_counter_offer)
        .service(offers::withdraw_offer)
        .service(deals::list_deals)
        .service(deals::get_deal)
        .service(deals::record_transfer)
        .service(deals::record_receipt)
        .service(deals::complete_deal)
        .service(deals::dispute_deal)
        .service(deals::list_deals_to_approve)
        .service(deals::list_disputes)
        .service(deals::decide_deal)
        .service(demands::create_demand)
        .service(demands::list_demands)
        .service(demands::get_demand)
        .service(demands::update_demand)
        .service(demands::list_demand_matches)
        .service(demands::list_listing_matches)
        .service(demands::list_stranded_listings)
        .service(projects::create_project)
        .service(projects::list_projects)
        .service(projects::get_project)
        .service(projects::decide_project)
        .service(projects::tag_deal_with_project)
        .service(stats::get_summary)
        .service(stats::get_flows)
        .service(stats::get_ledger)
        .service(contracts::propose_contract)
        .service(contracts::list_contracts)
        .service(contracts::get_contract)
        .service(contracts::counter_contract)
        .service(contracts::agree_contract)
        .service(contracts::decline_contract)
        .service(contracts::terminate_contract)
        .service(contracts::decide_contract)
        .service(contracts::file_lab_report)
        .service(contracts::place_call_off)
        .service(contracts::set_stream_profile)
        .service(contracts::get_stream_profile)
        .service(contracts::set_intake_profile)
        .service(contracts::get_intake_profile)
        .service(contracts::yard_forecast)
        .service(notifications::list_notifications)
        .service(notifications::mark_notification_read);
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Wufei (无废) industrial solid-waste exchange",
        description = "REST API of the Wufei exchange: producers list bulk industrial solid waste, \
                       receivers bid and are matched, alliance staff moderate. Errors are RFC 9457 \
                       problem+json with a stable `code`.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0")
    ),
    servers((url = "/", description = "This service")),
    components(schemas(Problem, FieldError, SortOrder, OutboxStatus, ReportFormat)),
    modifiers(&BearerAuth),
    tags(
        (name = "operations", description = "Health and metrics"),
        (name = "auth", description = "Registration, sessions and passwords"),
        (name = "organizations", description = "Organizations, sites and invitations"),
        (name = "moderation", description = "Alliance staff queues and decisions"),
        (name = "admin", description = "Staff management"),
        (name = "notifications", description = "In-app notifications"),
        (name = "catalog", description = "GB/T 39198 material catalog and grading"),
        (name = "listings", description = "Producers' lots and search"),
        (name = "offers", description = "Sealed offers, counter-offers and acceptance"),
        (name = "deals", description = "Deals, truckloads (transfer manifests) and disputes"),
        (name = "demands", description = "Demands (wanted) and matching"),
        (name = "contracts", description = "Supply contracts for streams, monthly call-offs, lab reports and seasonal profiles"),
        (name = "alliance", description = "Research projects and the alliance's boards"),
        (name = "statistics", description = "City statistics, CO2 and the producer ledger"),
        (name = "city", description = "The city desk: declarations, capacity, key projects, indicators and the annual report"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Every operation of the document.
fn operations_mut(
    spec: &mut utoipa::openapi::OpenApi,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    spec.paths.paths.values_mut().flat_map(|item| {
        [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
    })
}

/// What every operation states, filled in where a handler leaves it implicit: public operations
/// say so (`security: []`), and every response has a description (its status's reason phrase
/// when the handler gives none).
struct Conventions;

impl utoipa::Modify for Conventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        for operation in operations_mut(openapi) {
            operation.security.get_or_insert_with(Vec::new);
            for (status, response) in operation.responses.responses.iter_mut() {
                if let RefOr::T(response) = response
                    && response.description.is_empty()
                {
                    response.description = status
                        .parse::<u16>()
                        .ok()
                        .and_then(|s| StatusCode::from_u16(s).ok())
                        .and_then(|s| s.canonical_reason())
                        .unwrap_or("Response")
                        .to_string();
                }
            }
        }
    }
}

/// The OpenAPI 3.1 document generated from the handlers; `api-spec/openapi.json` must equal it.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut spec) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes)
        .split_for_parts();
    // The routes join the document after `ApiDoc`'s own modifiers ran.
    utoipa::Modify::modify(&Conventions, &mut spec);
    refuse_nul_in_schemas(spec)
}

/// The service refuses U+0000 anywhere in a request (PostgreSQL cannot store it), so every free
/// string and map key of a request says so with a pattern: in parameters, bodies and the
/// components they use.
fn refuse_nul_in_schemas(mut spec: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{AdditionalProperties, ArrayItems, Schema, SchemaType, Type};
    fn no_nul() -> Schema {
        Schema::Object(
            utoipa::openapi::schema::ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(NO_NUL))
                .build(),
        )
    }
    fn walk(schema: &mut RefOr<Schema>) {
        let RefOr::T(schema) = schema else { return };
        match schema {
            Schema::Object(o) => {
                let string = match &o.schema_type {
                    SchemaType::Type(t) => *t == Type::String,
                    SchemaType::Array(ts) => ts.contains(&Type::String),
                    _ => false,
                };
                if string && o.pattern.is_none() && o.format.is_none() && o.enum_values.is_none() {
                    o.pattern = Some(NO_NUL.to_string());
                }
                o.properties.values_mut().for_each(walk);
                if let Some(extra) = o.additional_properties.as_deref_mut()
                    && let AdditionalProperties::RefOr(inner) = extra
                {
                    walk(inner);
                    o.property_names = Some(Box::new(no_nul()));
                }
            }
            Schema::Array(a) => {
                if let ArrayItems::RefOrSchema(items) = &mut a.items {
                    walk(items);
                }
            }
            Schema::OneOf(c) => c.items.iter_mut().for_each(walk),
            Schema::AllOf(c) => c.items.iter_mut().for_each(walk),
            Schema::AnyOf(c) => c.items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    if let Some(components) = spec.components.as_mut() {
        components.schemas.values_mut().for_each(walk);
    }
    for operation in operations_mut(&mut spec) {
        for parameter in operation.parameters.iter_mut().flatten() {
            if let RefOr::T(p) = parameter
                && let Some(schema) = p.schema.as_mut()
            {
                walk(schema);
            }
        }
        if let Some(RefOr::T(body)) = operation.request_body.as_mut() {
            for content in body.content.values_mut() {
                if let RefOr::T(content) = content
                    && let Some(schema) = content.schema.as_mut()
                {
                    walk(schema);
                }
            }
        }
    }
    spec
}

/// Any text without U+0000.
const NO_NUL: &str = "^[^\\u0000]*$";

/// The document as committed: pretty JSON with a trailing newline.
pub fn openapi_json() -> String {
    let mut json = openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    json.push('\n');
    json
}
