//! Helpers shared by the trading routes: the `Idempotency-Key` header, stored responses, and
//! bodies that may be empty.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};
use crate::service::idempotency::{self, Stored};

/// The `Idempotency-Key` header, if sent.
pub fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    match req.headers().get("idempotency-key") {
        None => Ok(None),
        Some(v) => {
            let key = v.to_str().unwrap_or_default().to_string();
            idempotency::check_key(&key)?;
            Ok(Some(key))
        }
    }
}

/// What identifies a request for its key: method, path and body.
pub fn fingerprint(req: &HttpRequest, body: &impl serde::Serialize) -> String {
    let value = serde_json::to_value(body).unwrap_or_default();
    idempotency::fingerprint(&format!("{} {}", req.method(), req.path()), &value)
}

/// A stored or fresh response; a replayed refusal keeps its problem+json type.
pub fn respond(stored: Stored) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut res = HttpResponse::build(status);
    if status.is_client_error() {
        res.content_type("application/problem+json");
    }
    if stored.replayed {
        res.insert_header(("idempotent-replayed", "true"));
    }
    res.json(stored.body)
}

/// A JSON body that may be absent: an empty body, or `null`, means the defaults.
pub fn optional_json<T: DeserializeOwned + Default>(body: &web::Bytes) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) || body.trim_ascii() == b"null" {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            ApiError::validation(vec![FieldError::new("body", "invalid", e.to_string())])
        } else {
            ApiError::bad_request("malformed_json", format!("The body is not valid JSON: {e}"))
        }
    })
}
