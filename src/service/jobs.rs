//! Housekeeping: the one list of periodic jobs. Each job is conditional updates (or deletes of
//! what nobody may use any more), so any number of instances may run it at once and nothing is
//! done twice. `schedule` runs every job of the list; `tests/api/jobs.rs` drives each past its
//! deadline and checks that all of them run.

use std::time::Duration;

use crate::db::{Db, DbConnection};
use crate::email::outbox;
use crate::error::ApiError;
use crate::service::accounts::{invitations, sessions, throttle, users};
use crate::service::city::key_projects;
use crate::service::idempotency;
use crate::service::market::{lots, offers};
use crate::service::matching::digests;
use crate::service::supply::call_offs;

pub struct Job {
    pub name: &'static str,
    /// How often, in ticks (`WUFEI_JOB_TICK_MS`, one minute by default).
    pub every_ticks: u64,
    /// Runs the job once; returns how many objects it changed.
    pub run: fn(&mut DbConnection) -> Result<usize, ApiError>,
}

pub const JOBS: &[Job] = &[
    Job {
        name: "close_expired_lots",
        every_ticks: 1,
        run: |conn| Ok(lots::close_expired(conn)?),
    },
    Job {
        name: "expire_offers",
        every_ticks: 1,
        run: offers::expire,
    },
    Job {
        name: "send_due_digests",
        every_ticks: 1,
        run: digests::send_due_digests,
    },
    Job {
        name: "flag_overdue_key_projects",
        every_ticks: 60,
        run: key_projects::flag_overdue,
    },
    Job {
        name: "open_call_offs",
        every_ticks: 60,
        run: call_offs::open_current_months,
    },
    Job {
        name: "close_call_off_months",
        every_ticks: 60,
        run: call_offs::close_past_months,
    },
    Job {
        name: "purge_idempotency_keys",
        every_ticks: 60,
        run: |conn| Ok(idempotency::purge(conn)?),
    },
    Job {
        name: "purge_sent_emails",
        every_ticks: 60,
        run: |conn| Ok(outbox::purge_sent(conn)?),
    },
    Job {
        name: "purge_expired_tokens",
        every_ticks: 60,
        run: |conn| {
            Ok(users::purge_expired_tokens(conn)?
                + sessions::purge_expired(conn)?
                + invitations::purge_expired_invitations(conn)?
                + throttle::purge(conn)?)
        },
    },
];

/// Runs every job of `JOBS` on its schedule, forever, starting one tick after start-up; `ran`
/// hears of every run that finished.
pub async fn schedule(db: Db, tick: Duration, ran: impl Fn(&'static str, usize) + Send + 'static) {
    let mut ticks: u64 = 0;
    loop {
        tokio::time::sleep(tick).await;
        for job in JOBS.iter().filter(|j| ticks.is_multiple_of(j.every_ticks)) {
            match db.write(job.run).await {
                Ok(n) => {
                    if n > 0 {
                        tracing::info!(job = job.name, changed = n, "housekeeping");
                    }
                    ran(job.name, n);
                }
                Err(e) => tracing::warn!(job = job.name, error = %e.detail, "housekeeping failed"),
            }
        }
        ticks += 1;
    }
}
