//! Keyset pagination: `?cursor=…&limit=…` in, `{"items": […], "next_cursor": …}` out.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Opaque cursor from the previous page's `next_cursor`.
    #[param(max_length = 200)]
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

impl PageQuery {
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(20),
            Some(l) if (1..=100).contains(&l) => Ok(l),
            Some(_) => Err(ApiError::field(
                "limit",
                "range",
                "must be between 1 and 100",
            )),
        }
    }

    pub fn cursor(&self) -> Result<Option<String>, ApiError> {
        match &self.cursor {
            Some(c) if c.len() > 200 => {
                Err(ApiError::field("cursor", "invalid", "is not a cursor"))
            }
            other => Ok(other.clone()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit` items ordered by the key `key` returns.
    pub fn new(items: Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> Self {
        let next_cursor = if items.len() as i64 == limit {
            items.last().map(key)
        } else {
            None
        };
        Self { items, next_cursor }
    }
}
