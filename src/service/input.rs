//! Parsing request bodies: exact decimals as clients send them, and one collector of field errors
//! so a request is answered with every invalid field at once (422 `validation_failed`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::quantity::{AmountError, parse_tonnes, parse_yuan};
use crate::error::{ApiError, FieldError};

/// A decimal sent as a JSON number or string; parsed exactly by the domain.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Decimal {
    Text(String),
    Number(serde_json::Number),
}

impl utoipa::PartialSchema for Decimal {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(r"^-?[0-9]+(\.[0-9]+)?$"))
                    .max_length(Some(20)),
            )
            .item(ObjectBuilder::new().schema_type(Type::Number))
            .description(Some("A decimal as a string (exact) or a JSON number"))
            .into()
    }
}

impl ToSchema for Decimal {}

impl Decimal {
    fn text(&self) -> String {
        match self {
            Self::Text(t) => t.clone(),
            Self::Number(n) => n.to_string(),
        }
    }
}

/// Collects field errors while parsing a request.
#[derive(Default)]
pub struct Checks(pub Vec<FieldError>);

impl Checks {
    pub fn push(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, code, message));
    }

    fn amount<T>(&mut self, field: &str, parsed: Result<T, AmountError>) -> Option<T> {
        parsed
            .map_err(|e| self.push(field, e.code(), e.to_string()))
            .ok()
    }

    pub fn tonnes(&mut self, field: &str, value: &Decimal) -> Option<i64> {
        self.amount(field, parse_tonnes(&value.text()))
    }

    pub fn yuan(&mut self, field: &str, value: &Decimal) -> Option<i64> {
        self.amount(field, parse_yuan(&value.text()))
    }

    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) {
        let n = value.trim().chars().count();
        if n < min || n > max {
            self.push(
                field,
                "length",
                format!("must be {min} to {max} characters long"),
            );
        }
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.0))
        }
    }
}
