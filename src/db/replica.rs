//! A PostgreSQL streaming replica for reads (`WUFEI_DATABASE_REPLICA_URL`). Search, statistics,
//! reports, matching and the public pages read from it while it is usable; everything else, and
//! every read while it is lagging or lost, goes to the primary.
//!
//! Reads never go back in time: after each write the service notes the primary's WAL position,
//! and a replica read first checks that the replica has replayed up to it, else reads the
//! primary. A client's own write is always behind that mark, so it reads it back.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::r2d2::{self, ConnectionManager};
use diesel::sql_types::{BigInt, Bool, Nullable};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Conn, DbConnection, Pool};

/// How the replica stands: `streaming` (reads go to it), `lagging` (more than
/// `WUFEI_REPLICA_MAX_LAG_BYTES` of WAL behind: reads go to the primary), `lost` (it does not
/// answer, or is not a standby), or `unknown` before the first check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReplicaState {
    Unknown,
    Streaming,
    Lagging,
    Lost,
}

/// What the last check found.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReplicaStatus {
    pub status: ReplicaState,
    /// WAL bytes the replica has still to replay.
    pub lag_bytes: Option<i64>,
    pub checked_at: Option<DateTime<Utc>>,
    /// Reads it served, and reads sent to the primary instead (lagging, lost, or behind a write),
    /// since the service started.
    pub reads_served: u64,
    pub reads_on_primary: u64,
}

pub struct Replica {
    pool: Pool,
    max_lag_bytes: i64,
    /// The primary's WAL position after the latest write (bytes since 0/0).
    written: AtomicI64,
    usable: AtomicBool,
    served: AtomicU64,
    fell_back: AtomicU64,
    status: Mutex<ReplicaStatus>,
}

#[derive(QueryableByName)]
struct Position {
    #[diesel(sql_type = Nullable<BigInt>)]
    lsn: Option<i64>,
}

#[derive(QueryableByName)]
struct Standby {
    #[diesel(sql_type = Bool)]
    recovering: bool,
    #[diesel(sql_type = Nullable<BigInt>)]
    lsn: Option<i64>,
}

/// The primary's current WAL position.
fn primary_position(conn: &mut DbConnection) -> QueryResult<i64> {
    diesel::sql_query("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint AS lsn")
        .get_result::<Position>(conn)
        .map(|p| p.lsn.unwrap_or(0))
}

/// Whether the connection is a standby, and how far it has replayed.
fn standby_position(conn: &mut DbConnection) -> QueryResult<Standby> {
    diesel::sql_query(
        "SELECT pg_is_in_recovery() AS recovering, \
         (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint AS lsn",
    )
    .get_result(conn)
}

impl Replica {
    pub fn new(url: &str, pool_size: u32, max_lag_bytes: i64) -> Self {
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(0))
            // A lost replica must not hold a request up: the primary is there.
            .connection_timeout(Duration::from_millis(500))
            .build_unchecked(ConnectionManager::<DbConnection>::new(url));
        Self {
            pool,
            max_lag_bytes,
            written: AtomicI64::new(0),
            usable: AtomicBool::new(false),
            served: AtomicU64::new(0),
            fell_back: AtomicU64::new(0),
            status: Mutex::new(ReplicaStatus {
                status: ReplicaState::Unknown,
                lag_bytes: None,
                checked_at: None,
                reads_served: 0,
                reads_on_primary: 0,
            }),
        }
    }

    /// Notes the primary's position after `conn` wrote: later replica reads wait for it.
    pub fn note_primary(&self, conn: &mut DbConnection) {
        if let Ok(lsn) = primary_position(conn) {
            self.written.fetch_max(lsn, Ordering::AcqRel);
        }
    }

    /// A replica connection that has replayed every write noted so far, if there is one.
    pub fn caught_up(&self) -> Option<Conn> {
        let conn = self
            .usable
            .load(Ordering::Acquire)
            .then(|| self.pool.get().ok())
            .flatten()
            .and_then(|mut conn| {
                let at = standby_position(&mut conn).ok()?;
                (at.recovering && at.lsn? >= self.written.load(Ordering::Acquire)).then_some(conn)
            });
        match conn {
            Some(_) => self.served.fetch_add(1, Ordering::Relaxed),
            None => self.fell_back.fetch_add(1, Ordering::Relaxed),
        };
        conn
    }

    /// Checks the replica against the primary and decides whether reads may go to it.
    pub fn check(&self, primary: Option<&mut DbConnection>) {
        let now = primary.and_then(|c| primary_position(c).ok());
        let standby = self
            .pool
            .get()
            .ok()
            .and_then(|mut c| standby_position(&mut c).ok());
        let (status, lag) = match (standby, now) {
            (
                Some(Standby {
                    recovering: true,
                    lsn: Some(at),
                }),
                Some(now),
            ) => {
                let lag = (now - at).max(0);
                let state = if lag > self.max_lag_bytes {
                    ReplicaState::Lagging
                } else {
                    ReplicaState::Streaming
                };
                (state, Some(lag))
            }
            // The primary is down: nothing to compare, and nothing for reads to fall back to.
            (
                Some(Standby {
                    recovering: true,
                    lsn: Some(_),
                }),
                None,
            ) => (ReplicaState::Streaming, None),
            _ => (ReplicaState::Lost, None),
        };
        self.usable
            .store(status == ReplicaState::Streaming, Ordering::Release);
        if let Ok(mut s) = self.status.lock() {
            if s.status != status {
                tracing::warn!(from = ?s.status, to = ?status, lag_bytes = ?lag, "read replica");
            }
            s.status = status;
            s.lag_bytes = lag;
            s.checked_at = Some(Utc::now());
        }
    }

    pub fn status(&self) -> ReplicaStatus {
        let mut s = self
            .status
            .lock()
            .map(|s| s.clone())
            .unwrap_or_else(|e| e.into_inner().clone());
        s.reads_served = self.served.load(Ordering::Relaxed);
        s.reads_on_primary = self.fell_back.load(Ordering::Relaxed);
        s
    }
}
