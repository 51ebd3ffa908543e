//! Parsing request bodies: exact decimals as clients send them, and one collector of field errors
//! so a request is answered with every invalid field at once (422 `validation_failed`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::quantity::{
    AmountError, MAX_FEN_PER_T, MAX_KG, TONNES_PATTERN, YUAN_PATTERN, parse_tonnes, parse_yuan,
};
use crate::error::{ApiError, FieldError};

/// A decimal sent as a JSON string (exact) or a JSON number.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Decimal {
    Text(String),
    Number(serde_json::Number),
}

impl Decimal {
    /// The digits as the domain parses them. A JSON number is written out in plain notation
    /// (`1e-7` as `0.0000001`), so it is judged by the same grammar as a string.
    fn text(&self) -> String {
        match self {
            Self::Text(t) => t.clone(),
            Self::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => i.to_string(),
                (None, Some(f)) => f.to_string(),
                (None, None) => n.to_string(),
            },
        }
    }
}

/// A schema for an amount: a string of the domain's grammar, or a JSON number within its range.
fn amount_schema(
    pattern: &str,
    min: f64,
    exclusive_min: bool,
    max: f64,
    description: &str,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    let number = ObjectBuilder::new()
        .schema_type(Type::Number)
        .maximum(Some(max));
    let number = if exclusive_min {
        number.exclusive_minimum(Some(min))
    } else {
        number.minimum(Some(min))
    };
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(pattern))
                .max_length(Some(11)),
        )
        .item(number)
        .description(Some(description))
        .into()
}

/// Tonnes: positive, up to 3 decimals (kilograms), below ten million.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(transparent)]
pub struct Tonnes(pub Decimal);

impl Tonnes {
    pub fn of(text: String) -> Self {
        Self(Decimal::Text(text))
    }
}

impl utoipa::PartialSchema for Tonnes {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        amount_schema(
            TONNES_PATTERN,
            0.0,
            true,
            MAX_KG as f64 / 1000.0,
            "Tonnes, greater than zero, up to 3 decimals: a string (exact) or a JSON number",
        )
    }
}

impl ToSchema for Tonnes {}

/// Yuan (per tonne): may be negative (a gate fee the producer pays), up to 2 decimals (fen).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(transparent)]
pub struct Yuan(pub Decimal);

impl Yuan {
    pub fn of(text: String) -> Self {
        Self(Decimal::Text(text))
    }
}

impl utoipa::PartialSchema for Yuan {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let max = MAX_FEN_PER_T as f64 / 100.0;
        amount_schema(
            YUAN_PATTERN,
            -max,
            false,
            max,
            "Yuan, up to 2 decimals, negative for a gate fee: a string (exact) or a JSON number",
        )
    }
}

impl ToSchema for Yuan {}

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

    pub fn tonnes(&mut self, field: &str, value: &Tonnes) -> Option<i64> {
        self.amount(field, parse_tonnes(&value.0.text()))
    }

    pub fn yuan(&mut self, field: &str, value: &Yuan) -> Option<i64> {
        self.amount(field, parse_yuan(&value.0.text()))
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
