//! Database access: the one connection type for SQLite and PostgreSQL, the pool, migrations and
//! transactions. The only module that knows which backend it talks to.

pub mod reach;
pub mod replica;
pub mod schema;
pub mod text;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ConnectionManager, CustomizeConnection, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use secrecy::ExposeSecret;

use crate::config::{Backend, Settings};
use crate::error::ApiError;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

pub type Pool = r2d2::Pool<ConnectionManager<DbConnection>>;
pub type Conn = PooledConnection<ConnectionManager<DbConnection>>;

/// Per-connection SQLite settings (docs/DESIGN.md, "Storage"). WAL is persistent, set on every connection anyway
/// because it is cheap and keeps a freshly created file right. Reads map the file into memory
/// (up to SQLite's 2 GiB cap): a page is then read from the OS page cache shared by every
/// connection instead of copied through a small cache per connection; beyond the map, each
/// connection keeps up to 64 MiB of pages instead of 2 MiB (at a million lots matching one
/// demand took half the time; docs/PERFORMANCE.md, "Matching at national scale").
#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<DbConnection, r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        if let DbConnection::Sqlite(c) = conn {
            c.batch_execute(
                "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                 PRAGMA mmap_size = 2147418112; PRAGMA cache_size = -65536;",
            )
            .map_err(r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// Turns `sqlite://path` into the path diesel expects; PostgreSQL URLs pass unchanged.
pub fn connection_string(url: &str) -> anyhow::Result<String> {
    Ok(match Backend::of_url(url)? {
        Backend::Sqlite => {
            let path = url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:");
            if let Some(parent) = std::path::Path::new(path).parent()
                && !parent.as_os_str().is_empty()
            {
                crate::config::private_dir(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            if !path.is_empty() && path != ":memory:" {
                crate::config::private_file(std::path::Path::new(path))
                    .with_context(|| format!("creating {path}"))?;
            }
            path.to_string()
        }
        Backend::Postgres => url.to_string(),
    })
}

/// Where a unit of work runs: reads and writes on the primary, some reads on the replica.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Route {
    Primary,
    Writes,
    Replica,
}

/// Shared handle to the pool; cloning is cheap.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    replica: Option<Arc<replica::Replica>>,
}

impl Db {
    /// Builds the pool without connecting: the service starts even when the database is down and
    /// answers 503 until it returns.
    pub fn connect(settings: &Settings) -> anyhow::Result<Self> {
        let backend = settings.backend();
        let manager = ConnectionManager::<DbConnection>::new(connection_string(
            settings.database_url.expose_secret(),
        )?);
        let size = match backend {
            // One writer at a time anyway; a few readers share WAL snapshots.
            Backend::Sqlite => settings.db_pool_size.min(8),
            Backend::Postgres => settings.db_pool_size,
        };
        let pool = r2d2::Pool::builder()
            .max_size(size)
            .min_idle(Some(0))
            .connection_timeout(Duration::from_secs(settings.db_timeout_secs))
            .connection_customizer(Box::new(SqlitePragmas))
            .build_unchecked(manager);
        let replica = settings.database_replica_url.as_ref().map(|url| {
            Arc::new(replica::Replica::new(
                url.expose_secret(),
                size,
                settings.replica_max_lag_bytes,
            ))
        });
        Ok(Self {
            pool,
            backend,
            replica,
        })
    }

    /// The read replica, when one is configured.
    pub fn replica(&self) -> Option<&replica::Replica> {
        self.replica.as_deref()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool_state(&self) -> r2d2::State {
        self.pool.state()
    }

    /// Checks out a connection on the calling (blocking) thread. A pool that cannot hand one out in
    /// time means the database is unreachable: 503.
    pub fn get(&self) -> Result<Conn, ApiError> {
        self.pool.get().map_err(ApiError::unavailable)
    }

    /// Runs `f` with a connection on the blocking pool, off the async workers, outside any
    /// transaction: for reads.
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.blocking(Route::Primary, f).await
    }

    /// Like `read`, for reads a replica may serve (search, statistics, reports, matching, the
    /// public pages): on the replica when it has replayed every write noted so far, else on the
    /// primary.
    pub async fn read_replica<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.blocking(Route::Replica, f).await
    }

    /// Runs `f` inside one write transaction on the blocking pool.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.writing(move |conn| write_tx(conn, f)).await
    }

    /// Runs `f`, which opens its own write transactions (an idempotent request takes its key in
    /// one and does its work in another), on the primary.
    pub async fn writing<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.blocking(Route::Writes, f).await
    }

    async fn blocking<T, F>(&self, route: Route, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        let span = tracing::Span::current();
        actix_web::rt::task::spawn_blocking(move || {
            let _entered = span.enter();
            let standby = (route == Route::Replica)
                .then(|| db.replica.as_ref().and_then(|r| r.caught_up()))
                .flatten();
            if let Some(mut conn) = standby {
                return f(&mut conn);
            }
            let mut conn = db.get()?;
            let result = f(&mut conn);
            // With a replica, where the primary's WAL stands after a write: no later replica
            // read misses what `f` wrote.
            if let (Route::Writes, Some(r)) = (route, &db.replica) {
                r.note_primary(&mut conn);
            }
            result
        })
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!("blocking task failed: {e}")))?
    }

    /// Applies pending migrations for this backend.
    pub fn migrate(&self) -> anyhow::Result<()> {
        let mut conn = self.pool.get().context("connecting to the database")?;
        run_migrations(&mut conn)
    }
}

pub fn run_migrations(conn: &mut DbConnection) -> anyhow::Result<()> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        DbConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("running migrations: {e}"))?;
    for m in applied {
        tracing::info!(migration = %m, "applied migration");
    }
    Ok(())
}

/// One write transaction. On SQLite it begins IMMEDIATE so the write lock is taken up front: a
/// deferred read-then-write transaction fails with "database is locked" under concurrent writers
/// instead of waiting its turn. Nested transactions are not used inside `f`.
pub fn write_tx<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Postgresql(_) => conn.transaction(f),
        DbConnection::Sqlite(_) => {
            conn.batch_execute("BEGIN IMMEDIATE")?;
            let mut guard = RollbackGuard(Some(conn));
            let result = f(guard.conn());
            let conn = guard.0.take().expect("guard holds the connection");
            match result {
                Ok(value) => {
                    if let Err(e) = conn.batch_execute("COMMIT") {
                        let _ = conn.batch_execute("ROLLBACK");
                        return Err(e.into());
                    }
                    Ok(value)
                }
                Err(e) => {
                    conn.batch_execute("ROLLBACK")?;
                    Err(e)
                }
            }
        }
    }
}

/// Rolls back if `f` panics, so a pooled connection never goes back with an open transaction.
struct RollbackGuard<'a>(Option<&'a mut DbConnection>);

impl RollbackGuard<'_> {
    fn conn(&mut self) -> &mut DbConnection {
        self.0.as_deref_mut().expect("guard holds the connection")
    }
}

impl Drop for RollbackGuard<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            let _ = conn.batch_execute("ROLLBACK");
        }
    }
}

/// Now, as the naive UTC timestamp both backends store (microseconds, as PostgreSQL keeps them).
pub fn now() -> chrono::NaiveDateTime {
    use chrono::SubsecRound;
    chrono::Utc::now().naive_utc().trunc_subsecs(6)
}

/// A new row id: a UUIDv7, so ids sort by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// True when a diesel error is a unique-constraint violation (a duplicate key).
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    use crate::domain::listing::ListingStatus;

    #[test]
    fn an_unknown_enum_value_in_the_database_is_an_error_not_a_default() {
        let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
        let read = |conn: &mut diesel::SqliteConnection, text: &str| {
            diesel::select(diesel::dsl::sql::<Text>(&format!("'{text}'")))
                .get_result::<ListingStatus>(conn)
        };
        assert_eq!(
            read(&mut conn, "pending_review").unwrap(),
            ListingStatus::PendingReview
        );
        let err = read(&mut conn, "approveed").unwrap_err();
        assert!(err.to_string().contains("approveed"), "{err}");
    }
}
