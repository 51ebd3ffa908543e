//! Throttle counters: hits per key in a fixed window, kept in the database so that every
//! instance counts the same hits and a restart forgets none. The only writer of `throttle_hits`.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use crate::db::schema::throttle_hits;
use crate::db::{DbConnection, now};
use crate::error::ApiError;

/// A key's count in its current window.
#[derive(QueryableByName, Debug, Clone)]
pub struct Hit {
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = Timestamp)]
    pub window_start: NaiveDateTime,
    #[diesel(sql_type = BigInt)]
    pub hits: i64,
}

/// Counts one hit of each key (a key whose window ended starts a new one) and refuses with 429
/// once any key is past `max` in its window. One upsert per key: hits from any number of
/// instances at once are all counted. A refused attempt is not counted (its transaction rolls
/// back), so a key stays refused until its window ends.
pub fn hit(
    conn: &mut DbConnection,
    keys: &[String],
    max: u64,
    window_secs: u64,
) -> Result<Vec<Hit>, ApiError> {
    let at = now();
    let window = Duration::seconds(window_secs as i64);
    let mut hits = Vec::with_capacity(keys.len());
    for key in keys {
        let hit: Hit = diesel::sql_query(
            "INSERT INTO throttle_hits (key, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
               hits = CASE WHEN throttle_hits.window_start <= $3 THEN 1 \
                           ELSE throttle_hits.hits + 1 END, \
               window_start = CASE WHEN throttle_hits.window_start <= $3 THEN $2 \
                                   ELSE throttle_hits.window_start END \
             RETURNING key, window_start, hits",
        )
        .bind::<Text, _>(key)
        .bind::<Timestamp, _>(at)
        .bind::<Timestamp, _>(at - window)
        .get_result(conn)?;
        if hit.hits > max as i64 {
            let ends = hit.window_start + window;
            let wait = (ends - at).num_seconds().max(1) as u64;
            return Err(ApiError::too_many_requests(wait));
        }
        hits.push(hit);
    }
    Ok(hits)
}

/// Takes back hits that turned out not to count (a sign-in that succeeded).
pub fn forgive(conn: &mut DbConnection, hits: &[Hit]) -> QueryResult<()> {
    for hit in hits {
        diesel::update(
            throttle_hits::table
                .filter(throttle_hits::key.eq(&hit.key))
                .filter(throttle_hits::window_start.eq(hit.window_start))
                .filter(throttle_hits::hits.gt(0)),
        )
        .set(throttle_hits::hits.eq(throttle_hits::hits - 1))
        .execute(conn)?;
    }
    Ok(())
}

/// Housekeeping: counters whose window ended a day ago.
pub fn purge(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::delete(
        throttle_hits::table.filter(throttle_hits::window_start.lt(now() - Duration::days(1))),
    )
    .execute(conn)
}
