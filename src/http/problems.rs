//! Makes every error problem+json: extractor failures, unknown routes and methods, and any error
//! response produced outside our handlers.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ResourceDef, ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use crate::error::{ApiError, FieldError};
use crate::startup::AppState;

/// Largest JSON body accepted (docs/DESIGN.md, "Security").
pub const JSON_LIMIT: usize = 64 * 1024;

pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(JSON_LIMIT)
        .error_handler(|err, _req| json_error(err).into())
}

pub fn path_config() -> web::PathConfig {
    // A malformed id names nothing that exists.
    web::PathConfig::default().error_handler(|_err: PathError, _req| ApiError::not_found().into())
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req| {
        let QueryPayloadError::Deserialize(e) = &err else {
            return ApiError::bad_request("malformed_query", "The query string is malformed.")
                .into();
        };
        ApiError::field("query", "invalid", &e.to_string()).into()
    })
}

fn json_error(err: JsonPayloadError) -> ApiError {
    match err {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("The body exceeds {} bytes.", JSON_LIMIT),
            )
        }
        JsonPayloadError::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as application/json.",
        ),
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            // Wrong types, missing or unknown fields: the JSON is fine, its content is not.
            ApiError::validation(vec![FieldError::new("body", "invalid", e.to_string())])
        }
        JsonPayloadError::Deserialize(e) => {
            ApiError::bad_request("malformed_json", format!("The body is not valid JSON: {e}"))
        }
        _ => ApiError::bad_request("malformed_body", "The request body could not be read."),
    }
}

/// Path templates and their methods, read from the OpenAPI document so 405 knows what exists.
pub struct RouteTable(Vec<(ResourceDef, Vec<Method>)>);

impl RouteTable {
    pub fn from_spec(spec: &utoipa::openapi::OpenApi) -> Self {
        let routes = spec
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    (item.get.is_some(), Method::GET),
                    (item.post.is_some(), Method::POST),
                    (item.put.is_some(), Method::PUT),
                    (item.patch.is_some(), Method::PATCH),
                    (item.delete.is_some(), Method::DELETE),
                ]
                .into_iter()
                .filter_map(|(present, m)| present.then_some(m))
                .collect();
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        Self(routes)
    }

    fn allowed(&self, path: &str) -> Option<&[Method]> {
        self.0
            .iter()
            .find(|(def, _)| def.is_match(path))
            .map(|(_, m)| m.as_slice())
    }
}

/// Default service: 405 with `Allow` for a known path, 404 otherwise.
pub async fn fallback(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match state.routes.allowed(req.path()) {
        Some(methods) => {
            let allow = methods
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            let mut res = ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("{} is not allowed here; use {allow}.", req.method()),
            )
            .error_response();
            if let Ok(v) = header::HeaderValue::from_str(&allow) {
                res.headers_mut().insert(header::ALLOW, v);
            }
            res
        }
        None => {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such route.").error_response()
        }
    }
}

/// Rewrites error responses that are not problem+json yet (produced by the framework itself).
pub async fn ensure_problem(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let res = next.call(req).await?;
    let status = res.status();
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    if !status.is_client_error() && !status.is_server_error() || is_problem {
        return Ok(res.map_into_left_body());
    }
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        s if s.is_server_error() => "internal_error",
        _ => "bad_request",
    };
    let detail = status.canonical_reason().unwrap_or("Error");
    let (req, _) = res.into_parts();
    let body = ApiError::new(status, code, detail).error_response();
    Ok(ServiceResponse::new(req, body).map_into_right_body())
}

/// PostgreSQL text cannot hold U+0000 and no trade document needs it. A request carrying it in
/// its path, query or JSON body is refused here, before any handler, alike on both backends.
pub async fn refuse_nul(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let encoded_nul = |s: &str| s.as_bytes().windows(3).any(|w| w == b"%00");
    let refusal = if encoded_nul(req.path()) {
        Some(ApiError::not_found())
    } else if encoded_nul(req.query_string()) {
        Some(nul_field("query"))
    } else if is_json(&req) {
        match req.extract::<web::Bytes>().await {
            Ok(body) => {
                let found = json_has_nul(&body);
                req.set_payload(body.into());
                found.then(|| nul_field("body"))
            }
            // Too large (over the 256 KiB read limit) or cut off.
            Err(e) => {
                let status = e.as_response_error().status_code();
                let code = match status {
                    StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
                    _ => "bad_request",
                };
                Some(ApiError::new(status, code, "The body could not be read."))
            }
        }
    } else {
        None
    };
    match refusal {
        Some(err) => {
            let (req, _) = req.into_parts();
            Ok(ServiceResponse::new(req, err.error_response()).map_into_right_body())
        }
        None => Ok(next.call(req).await?.map_into_left_body()),
    }
}

fn is_json(req: &ServiceRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"))
}

fn nul_field(field: &str) -> ApiError {
    ApiError::field(
        field,
        "nul_character",
        "text may not contain the NUL character (U+0000)",
    )
}

/// A `\u0000` escape that is not itself an escaped backslash followed by `u0000`.
fn json_has_nul(body: &[u8]) -> bool {
    body.windows(6).enumerate().any(|(i, w)| {
        w.eq_ignore_ascii_case(b"\\u0000")
            && body[..i].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 0
    })
}

/// Headers every answer carries: browsers must not sniff a JSON or CSV answer into something
/// runnable, and nothing on the way may keep a copy of tokens or of who is signed in.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let private = req.path().starts_with("/api/v1/auth/") || req.path() == "/api/v1/me";
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    if private {
        headers.insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::json_has_nul;

    #[test]
    fn finds_escaped_nul_only() {
        assert!(json_has_nul(br#"{"q":"a\u0000b"}"#));
        assert!(json_has_nul(br#"{"q":"\\\u0000"}"#));
        assert!(!json_has_nul(br#"{"q":"\\u0000"}"#));
        assert!(!json_has_nul(br#"{"q":"u0000 \u0001"}"#));
    }
}
