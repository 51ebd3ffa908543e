//! The transactional outbox: an email is a row written in the same transaction as the change that
//! caused it, so a rolled-back change sends nothing and a committed one is never lost. The only
//! writer of the `outbox` table: enqueueing, the worker's leased claims and its outcomes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::templates::Rendered;
use crate::db::schema::outbox;
use crate::db::{DbConnection, now};
use crate::domain::outbox::OutboxStatus;

pub fn enqueue(conn: &mut DbConnection, recipient: &str, message: &Rendered) -> QueryResult<()> {
    let at = now();
    diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(uuid::Uuid::now_v7().to_string()),
            outbox::recipient.eq(recipient),
            outbox::subject.eq(&message.subject),
            outbox::body_text.eq(&message.text),
            outbox::body_html.eq(&message.html),
            outbox::status.eq(OutboxStatus::Pending.as_str()),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(at),
            outbox::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// A message claimed for delivery.
#[derive(Queryable, Debug)]
pub struct Pending {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub attempts: i32,
}

/// Claims up to 20 due messages for this instance. Each claim is one conditional update, so two
/// workers racing for a message cannot both win it.
pub fn claim(
    conn: &mut DbConnection,
    instance: &str,
    lease_secs: i64,
) -> QueryResult<Vec<Pending>> {
    let at = now();
    let free = outbox::claimed_until
        .is_null()
        .or(outbox::claimed_until.lt(at));
    let due: Vec<String> = outbox::table
        .filter(outbox::status.eq(OutboxStatus::Pending.as_str()))
        .filter(outbox::next_attempt_at.le(at))
        .filter(free)
        .order(outbox::next_attempt_at.asc())
        .select(outbox::id)
        .limit(20)
        .load(conn)?;
    let mut claimed = Vec::with_capacity(due.len());
    for id in due {
        let won = diesel::update(
            outbox::table
                .filter(outbox::id.eq(&id))
                .filter(outbox::status.eq(OutboxStatus::Pending.as_str()))
                .filter(
                    outbox::claimed_until
                        .is_null()
                        .or(outbox::claimed_until.lt(at)),
                ),
        )
        .set((
            outbox::claimed_until.eq(at + chrono::Duration::seconds(lease_secs)),
            outbox::claimed_by.eq(instance),
        ))
        .execute(conn)?;
        if won == 1 {
            claimed.push(
                outbox::table
                    .filter(outbox::id.eq(&id))
                    .select((
                        outbox::id,
                        outbox::recipient,
                        outbox::subject,
                        outbox::body_text,
                        outbox::body_html,
                        outbox::attempts,
                    ))
                    .first(conn)?,
            );
        }
    }
    Ok(claimed)
}

/// How a delivery attempt ended.
pub enum Outcome {
    Sent,
    Failed {
        dead: bool,
        error: String,
        retry_at: NaiveDateTime,
    },
}

/// Records an attempt on a message this instance holds the claim of, and releases the claim.
pub fn record(
    conn: &mut DbConnection,
    m: &Pending,
    instance: &str,
    attempts: i32,
    outcome: Outcome,
) -> QueryResult<()> {
    let mine = outbox::table
        .filter(outbox::id.eq(&m.id))
        .filter(outbox::claimed_by.eq(instance));
    match outcome {
        // A delivered message keeps its envelope but not its body: the body may carry a live
        // single-use link, which must not stay readable in the database or its backups.
        Outcome::Sent => diesel::update(mine)
            .set((
                outbox::status.eq(OutboxStatus::Sent.as_str()),
                outbox::attempts.eq(attempts),
                outbox::sent_at.eq(now()),
                outbox::claimed_until.eq(None::<NaiveDateTime>),
                outbox::body_text.eq(REMOVED),
                outbox::body_html.eq(REMOVED),
            ))
            .execute(conn)?,
        Outcome::Failed {
            dead,
            error,
            retry_at,
        } => diesel::update(mine)
            .set((
                outbox::status.eq(if dead {
                    OutboxStatus::Dead
                } else {
                    OutboxStatus::Pending
                }
                .as_str()),
                outbox::attempts.eq(attempts),
                outbox::last_error.eq(error),
                outbox::next_attempt_at.eq(retry_at),
                outbox::claimed_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?,
    };
    // A message given up on will not be sent: its links go too.
    diesel::update(
        outbox::table
            .filter(outbox::id.eq(&m.id))
            .filter(outbox::status.eq(OutboxStatus::Dead.as_str())),
    )
    .set((outbox::body_text.eq(REMOVED), outbox::body_html.eq(REMOVED)))
    .execute(conn)?;
    Ok(())
}

/// What stands in the body of a message once it was sent or given up on.
pub const REMOVED: &str = "(removed after delivery)";

/// Housekeeping: delivered messages after 90 days (staff see the undelivered ones until they are
/// dealt with, so dead messages stay).
pub fn purge_sent(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::delete(
        outbox::table
            .filter(outbox::status.eq(OutboxStatus::Sent.as_str()))
            .filter(outbox::sent_at.lt(now() - chrono::Duration::days(90))),
    )
    .execute(conn)
}
