//! The transactional outbox: an email is a row written in the same transaction as the change that
//! caused it, so a rolled-back change sends nothing and a committed one is never lost.

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
