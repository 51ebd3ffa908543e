//! Parsing request bodies: exact decimals as clients send them, and one collector of field errors
//! so a request is answered with every invalid field at once (422 `validation_failed`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::quantity::{
    AmountError, MAX_FEN_PER_T, MAX_KG, TONNES_OR_ZERO_PATTERN, TONNES_PATTERN, YUAN_PATTERN,
    parse_tonnes, parse_tonnes_or_zero, parse_yuan,
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

/// Tonnes that may be zero, up to 3 decimals, below ten million (declared monthly figures).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(transparent)]
pub struct TonnesOrZero(pub Decimal);

impl utoipa::PartialSchema for TonnesOrZero {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        amount_schema(
            TONNES_OR_ZERO_PATTERN,
            0.0,
            false,
            MAX_KG as f64 / 1000.0,
            "Tonnes, zero or more, up to 3 decimals: a string (exact) or a JSON number",
        )
    }
}

impl ToSchema for TonnesOrZero {}

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

/// Emails are compared and stored trimmed and lower-case.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A one-line text has no control character (C0, DEL or C1), as `SINGLE_LINE` states.
pub fn single_line(value: &str) -> Result<(), validator::ValidationError> {
    if value.chars().any(char::is_control) {
        Err(validator::ValidationError::new("control_character")
            .with_message("must not contain control characters".into()))
    } else {
        Ok(())
    }
}

/// A text of several lines may hold line breaks and tabs, no other control character.
pub fn long_text(value: &str) -> Result<(), validator::ValidationError> {
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        Err(
            validator::ValidationError::new("control_character").with_message(
                "must not contain control characters other than line breaks and tabs".into(),
            ),
        )
    } else {
        Ok(())
    }
}

/// Lab values by property key: at most 40, each a number or one of its property's choices.
pub fn properties_schema() -> utoipa::openapi::schema::Object {
    use utoipa::PartialSchema;
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(crate::domain::grading::PropertyValue::schema()))
        .max_properties(Some(40))
        .build()
}

/// Length of a staff decision's or a party's reason, in characters.
pub const REASON_CHARS: (usize, usize) = (3, 2000);

/// A reason (for a decision, a rejection, a dispute): several lines of text, 3 to 2000
/// characters; checked by `Checks::reason`.
pub fn reason_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(
            r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$",
        ))
        .min_length(Some(REASON_CHARS.0))
        .max_length(Some(REASON_CHARS.1))
        .description(Some("Why: 3 to 2000 characters; kept in the audit log"))
        .build()
}

/// Whole numbers as JSON allows them: `984` and `984.0` alike (JSON Schema's `integer` accepts
/// both, serde's integers only the first).
pub mod whole {
    use serde::{Deserialize, Deserializer, de::Error};

    fn integral<E: Error>(n: serde_json::Number) -> Result<i64, E> {
        n.as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            })
            .ok_or_else(|| E::custom(format!("{n} is not a whole number")))
    }

    pub fn deserialize<'de, D, T>(d: D) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        T: TryFrom<i64>,
    {
        let n = integral(serde_json::Number::deserialize(d)?)?;
        T::try_from(n).map_err(|_| D::Error::custom(format!("{n} is out of range")))
    }

    pub mod option {
        use super::*;

        pub fn deserialize<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
        where
            D: Deserializer<'de>,
            T: TryFrom<i64>,
        {
            match Option::<serde_json::Number>::deserialize(d)? {
                None => Ok(None),
                Some(n) => {
                    let n = integral(n)?;
                    T::try_from(n)
                        .map(Some)
                        .map_err(|_| D::Error::custom(format!("{n} is out of range")))
                }
            }
        }
    }
}

/// Collects field errors while parsing a request.
#[derive(Default)]
pub struct Checks(pub Vec<FieldError>);

impl Checks {
    /// Starts with the field rules a request type declares (validator attributes, stated in the
    /// spec beside them); the use case adds its domain rules and `finish`es once.
    pub fn of(request: &impl validator::Validate) -> Self {
        match request.validate() {
            Ok(()) => Self::default(),
            Err(errors) => Self(ApiError::from(errors).errors),
        }
    }

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

    pub fn tonnes_or_zero(&mut self, field: &str, value: &TonnesOrZero) -> Option<i64> {
        self.amount(field, parse_tonnes_or_zero(&value.0.text()))
    }

    pub fn yuan(&mut self, field: &str, value: &Yuan) -> Option<i64> {
        self.amount(field, parse_yuan(&value.0.text()))
    }

    /// A one-line text (a name, a title, a number) of `min` to `max` characters as sent (JSON
    /// Schema's `minLength`/`maxLength` count the same way): no control characters at all; a
    /// required text may not be only white space (stored trimmed).
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) {
        if single_line(value).is_err() {
            self.push(
                field,
                "control_character",
                "must not contain control characters",
            );
        }
        self.sized(field, value, min, max);
    }

    /// A text of several lines (a description, a message, a reason): line breaks and tabs are
    /// text, other control characters are not.
    pub fn long_text(&mut self, field: &str, value: &str, min: usize, max: usize) {
        if long_text(value).is_err() {
            self.push(
                field,
                "control_character",
                "must not contain control characters other than line breaks and tabs",
            );
        }
        self.sized(field, value, min, max);
    }

    fn sized(&mut self, field: &str, value: &str, min: usize, max: usize) {
        let n = value.chars().count();
        if n < min || n > max {
            self.push(
                field,
                "length",
                format!("must be {min} to {max} characters long"),
            );
        } else if min > 0 && value.trim().is_empty() {
            self.push(field, "blank", "must not be only white space");
        }
    }

    /// A place: a province (2 digits), a city (4) or a district (6) of GB/T 2260.
    pub fn region(&mut self, field: &str, value: Option<&str>) {
        if value.is_some_and(|r| {
            ![2, 4, 6].contains(&r.len()) || !r.bytes().all(|b| b.is_ascii_digit())
        }) {
            self.push(field, "invalid", "must be 2, 4 or 6 digits");
        }
    }

    /// A reason of `REASON_CHARS` characters (see `reason_schema`).
    pub fn reason(&mut self, field: &str, value: &str) {
        self.long_text(field, value, REASON_CHARS.0, REASON_CHARS.1);
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.0))
        }
    }
}
