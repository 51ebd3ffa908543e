//! The one error type of the API, rendered as RFC 9457 problem+json with a stable snake_case code.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FieldError {
    /// Path of the field in the request, e.g. `organization.uscc`.
    pub field: String,
    /// Stable snake_case code, e.g. `too_short`.
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// The body of every error response (`application/problem+json`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `about:blank` or a URI naming the problem type.
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    /// Stable snake_case code clients can rely on.
    pub code: String,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(nullable = false)]
    pub errors: Vec<FieldError>,
    /// The rule of the trade that refused the request, e.g. `cement.steel_slag` (see
    /// `GET /api/v1/catalog/rules`); only with `use_not_permitted`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub rule: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{code}: {detail}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// The rule of the trade that refused, when one did.
    pub rule: Option<String>,
    pub retry_after_secs: Option<u64>,
    /// Kept for the log, never sent to the client.
    #[source]
    pub cause: Option<anyhow::Error>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            rule: None,
            retry_after_secs: None,
            cause: None,
        }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, detail)
    }

    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, detail)
    }

    /// Also used for objects the caller may not know exist.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "No such resource.")
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    pub fn unprocessable(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "The request has invalid fields.",
        );
        e.errors = errors;
        e
    }

    /// `If-Match` named a version that is no longer current (412 `version_mismatch`).
    pub fn stale(what: &str) -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "version_mismatch",
            format!("The {what} changed since you read it; reload and apply your edit again."),
        )
    }

    pub fn field(field: &str, code: &str, message: &str) -> Self {
        Self::validation(vec![FieldError::new(field, code, message)])
    }

    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "Too many attempts; try again later.",
        );
        e.retry_after_secs = Some(retry_after_secs.max(1));
        e
    }

    /// The database did not answer in time.
    pub fn unavailable(cause: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "The database is not answering; try again shortly.",
        );
        e.retry_after_secs = Some(5);
        e.cause = Some(cause.into());
        e
    }

    /// A concurrent change got in the way; retrying is safe.
    pub fn busy(cause: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::conflict(
            "concurrent_update",
            "Another change got in the way; retry the request.",
        );
        e.retry_after_secs = Some(1);
        e.cause = Some(cause.into());
        e
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on our side.",
        );
        e.cause = Some(cause.into());
        e
    }

    pub fn problem(&self) -> Problem {
        Problem {
            type_uri: "about:blank".into(),
            title: self
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_string(),
            status: self.status.as_u16(),
            code: self.code.to_string(),
            detail: self.detail.clone(),
            errors: self.errors.clone(),
            rule: self.rule.clone(),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match &e {
            Error::NotFound => Self::not_found(),
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => Self::unavailable(e),
            // libpq reports a dropped server as an unknown error whose text says so.
            Error::DatabaseError(DatabaseErrorKind::UnableToSendCommand, _) => Self::unavailable(e),
            // Two transactions crossed (PostgreSQL): the client may simply retry.
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => Self::busy(e),
            Error::DatabaseError(_, info) if info.message().contains("deadlock detected") => {
                Self::busy(e)
            }
            Error::DatabaseError(_, info)
                if info.message().contains("server closed the connection")
                    || info.message().contains("no connection to the server")
                    || info.message().contains("terminating connection") =>
            {
                Self::unavailable(e)
            }
            _ => Self::internal(e),
        }
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut out = Vec::new();
        flatten_validation("", &errors, &mut out);
        out.sort_by(|a, b| a.field.cmp(&b.field));
        Self::validation(out)
    }
}

fn flatten_validation(
    prefix: &str,
    errors: &validator::ValidationErrors,
    out: &mut Vec<FieldError>,
) {
    use validator::ValidationErrorsKind;
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let message = e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| default_message(&e.code, &e.params));
                    out.push(FieldError::new(path.clone(), e.code.to_string(), message));
                }
            }
            ValidationErrorsKind::Struct(inner) => flatten_validation(&path, inner, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    flatten_validation(&format!("{path}[{i}]"), inner, out);
                }
            }
        }
    }
}

fn default_message(
    code: &str,
    params: &std::collections::HashMap<std::borrow::Cow<'static, str>, serde_json::Value>,
) -> String {
    match (code, params.get("min"), params.get("max")) {
        ("length", Some(min), Some(max)) => format!("must be {min} to {max} characters long"),
        ("length", None, Some(max)) => format!("must be at most {max} characters long"),
        ("length", Some(min), None) => format!("must be at least {min} characters long"),
        ("range", Some(min), Some(max)) => format!("must be between {min} and {max}"),
        ("email", _, _) => "must be an email address".into(),
        _ => format!("is invalid ({code})"),
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if self.status.is_server_error() {
            match &self.cause {
                Some(cause) => tracing::error!(code = self.code, error = ?cause, "request failed"),
                None => tracing::error!(code = self.code, "request failed"),
            }
        }
        let mut res = HttpResponse::build(self.status);
        res.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        if let Some(secs) = self.retry_after_secs {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        res.json(self.problem())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
