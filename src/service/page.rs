//! Keyset pagination, the one kind every list uses: `?cursor=…&limit=…` in,
//! `{"items": […], "next_cursor": …}` out. A cursor is the sort key of the last item sent,
//! opaque to clients (base64url of JSON); a cursor that does not decode as the list's key is a
//! 422 `invalid_cursor` on the `cursor` field, whatever the list.

use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

/// `?cursor=…&limit=…`, as every list takes them.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Opaque cursor from the previous page's `next_cursor`.
    #[param(min_length = 1, max_length = 400, pattern = "^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

impl PageQuery {
    /// The page size, checked.
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(l) if (1..=MAX_LIMIT).contains(&l) => Ok(l),
            Some(_) => Err(ApiError::field(
                "limit",
                "range",
                "must be between 1 and 100",
            )),
        }
    }

    /// The key of the last item of the previous page, if a cursor was sent.
    pub fn after<K: DeserializeOwned>(&self) -> Result<Option<K>, ApiError> {
        let Some(text) = &self.cursor else {
            return Ok(None);
        };
        let bad = || ApiError::field("cursor", "invalid_cursor", "is not a cursor of this list");
        if text.len() > 400 {
            return Err(bad());
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| bad())?;
        serde_json::from_slice(&bytes).map(Some).map_err(|_| bad())
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page of up to `limit` items in key order; a full page gets the cursor of its last item.
    pub fn new<K: Serialize>(items: Vec<T>, limit: i64, key: impl Fn(&T) -> K) -> Self {
        let next_cursor = if items.len() as i64 == limit {
            items.last().map(|last| encode(&key(last)))
        } else {
            None
        };
        Self { items, next_cursor }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

fn encode<K: Serialize>(key: &K) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(key).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_a_foreign_one_is_refused() {
        let page = Page::new(vec![("b", 2.5), ("c", 1.0)], 2, |(id, s)| {
            (*s, id.to_string())
        });
        let query = PageQuery {
            cursor: page.next_cursor.clone(),
            limit: None,
        };
        assert_eq!(
            query.after::<(f64, String)>().unwrap(),
            Some((1.0, "c".into()))
        );
        let err = query.after::<String>().unwrap_err();
        assert_eq!(err.errors[0].code, "invalid_cursor");
        let short = Page::new(vec![1], 2, |i| *i);
        assert_eq!(short.next_cursor, None);
        let junk = PageQuery {
            cursor: Some("not base64!".into()),
            limit: Some(101),
        };
        assert!(junk.after::<String>().is_err());
        assert!(junk.limit().is_err());
    }
}
