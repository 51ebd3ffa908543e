//! `Idempotency-Key` (docs/API.md): the same key and body within 24 h replays the first response;
//! the same key with another body is 422; while the first request runs, 409. Keys are per user.
//! The key is reserved in its own transaction (so concurrent requests see it), and the response
//! is saved in the transaction of the change itself, so a replay never disagrees with the data.
//! The only writer of `idempotency_keys`.

use chrono::Duration;
use diesel::prelude::*;

use crate::db::schema::idempotency_keys;
use crate::db::{Db, DbConnection, is_unique_violation, now, write_tx};
use crate::error::ApiError;

const KEEP_HOURS: i64 = 24;
/// A reservation older than this without a response belongs to a request that died.
const ABANDONED_SECS: i64 = 60;

/// A stored (or fresh) response: status and JSON body.
#[derive(Debug, Clone)]
pub struct Stored {
    pub status: u16,
    pub body: serde_json::Value,
    /// True when this is the saved answer to an earlier request with the same key.
    pub replayed: bool,
}

impl Stored {
    pub fn new(status: u16, body: impl serde::Serialize) -> Result<Self, ApiError> {
        Ok(Self {
            status,
            body: serde_json::to_value(body).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?,
            replayed: false,
        })
    }
}

/// Checks a client's key: 1–200 visible ASCII characters.
pub fn check_key(key: &str) -> Result<(), ApiError> {
    if key.is_empty() || key.len() > 200 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::bad_request(
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 200 visible ASCII characters.",
        ));
    }
    Ok(())
}

/// Fingerprint of a request: what it does and with which body.
pub fn fingerprint(route: &str, body: &serde_json::Value) -> String {
    crate::domain::digest::sha256_hex(format!("{route}\n{body}").as_bytes())
}

enum Reservation {
    Fresh,
    Taken,
}

fn reserve(
    conn: &mut DbConnection,
    user: &str,
    key: &str,
    hash: &str,
) -> Result<Reservation, ApiError> {
    let at = now();
    let mine = idempotency_keys::table
        .filter(idempotency_keys::user_id.eq(user))
        .filter(idempotency_keys::idempotency_key.eq(key));
    // Forget keys past their day, and reservations of requests that died.
    diesel::delete(
        mine.filter(
            idempotency_keys::created_at
                .lt(at - Duration::hours(KEEP_HOURS))
                .or(idempotency_keys::response_status
                    .is_null()
                    .and(idempotency_keys::created_at.lt(at - Duration::seconds(ABANDONED_SECS)))),
        ),
    )
    .execute(conn)?;
    let inserted = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(user),
            idempotency_keys::idempotency_key.eq(key),
            idempotency_keys::request_hash.eq(hash),
            idempotency_keys::created_at.eq(at),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(Reservation::Fresh),
        // PostgreSQL aborts the transaction on the failed insert: look at the holder after it.
        Err(e) if is_unique_violation(&e) => Ok(Reservation::Taken),
        Err(e) => Err(e.into()),
    }
}

/// What an earlier request with the same key left.
fn existing(
    conn: &mut DbConnection,
    user: &str,
    key: &str,
    hash: &str,
) -> Result<Stored, ApiError> {
    let found: Option<(String, Option<i32>, Option<String>)> = idempotency_keys::table
        .filter(idempotency_keys::user_id.eq(user))
        .filter(idempotency_keys::idempotency_key.eq(key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::response_status,
            idempotency_keys::response_body,
        ))
        .first(conn)
        .optional()?;
    let in_progress = || {
        ApiError::conflict(
            "idempotency_in_progress",
            "A request with this Idempotency-Key is still running.",
        )
    };
    let (stored_hash, status, body) = found.ok_or_else(in_progress)?;
    if stored_hash != hash {
        return Err(ApiError::unprocessable(
            "idempotency_key_reused",
            "This Idempotency-Key was used with another request.",
        ));
    }
    match (status, body) {
        (Some(status), Some(body)) => Ok(Stored {
            status: status as u16,
            body: serde_json::from_str(&body).unwrap_or_default(),
            replayed: true,
        }),
        _ => Err(in_progress()),
    }
}

/// Runs `change` once per key: inside one write transaction that also stores its response.
/// A failed change releases the key so the client may retry.
pub async fn run<F>(
    db: &Db,
    user: String,
    key: Option<String>,
    hash: String,
    change: F,
) -> Result<Stored, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<Stored, ApiError> + Send + 'static,
{
    let Some(key) = key else {
        return db.write(change).await;
    };
    check_key(&key)?;
    db.writing(move |conn| {
        let reservation = write_tx(conn, |c| reserve(c, &user, &key, &hash))?;
        if let Reservation::Taken = reservation {
            return existing(conn, &user, &key, &hash);
        }
        let outcome = write_tx(conn, |c| {
            let stored = change(c)?;
            diesel::update(
                idempotency_keys::table
                    .filter(idempotency_keys::user_id.eq(&user))
                    .filter(idempotency_keys::idempotency_key.eq(&key)),
            )
            .set((
                idempotency_keys::response_status.eq(i32::from(stored.status)),
                idempotency_keys::response_body.eq(stored.body.to_string()),
            ))
            .execute(c)?;
            Ok::<_, ApiError>(stored)
        });
        if let Err(e) = &outcome {
            // A refusal (4xx) is the answer and is replayed like any other; a failure on our
            // side (5xx) releases the key so the client can retry.
            let reserved = idempotency_keys::table
                .filter(idempotency_keys::user_id.eq(&user))
                .filter(idempotency_keys::idempotency_key.eq(&key))
                .filter(idempotency_keys::response_status.is_null());
            let _ = write_tx(conn, |c| {
                if e.status.is_client_error() {
                    diesel::update(reserved)
                        .set((
                            idempotency_keys::response_status.eq(i32::from(e.status.as_u16())),
                            idempotency_keys::response_body
                                .eq(serde_json::to_string(&e.problem()).unwrap_or_default()),
                        ))
                        .execute(c)
                } else {
                    diesel::delete(reserved).execute(c)
                }
            });
        }
        outcome
    })
    .await
}

/// Housekeeping: drops keys older than a day.
pub fn purge(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::created_at.lt(now() - Duration::hours(KEEP_HOURS))),
    )
    .execute(conn)
}
