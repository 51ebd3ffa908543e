//! The append-only audit log: who did what to which object, when, before and after. Written in
//! the transaction of the change; there is no code path that updates or deletes an entry.

use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::audit_log;
use crate::db::{DbConnection, now};
use crate::service::tokens::new_id;

pub struct Entry<'a> {
    pub actor: Option<&'a str>,
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: &'a str,
    pub reason: Option<&'a str>,
}

pub fn record<B: Serialize, A: Serialize>(
    conn: &mut DbConnection,
    entry: Entry<'_>,
    before: Option<&B>,
    after: Option<&A>,
) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(new_id()),
            audit_log::actor_user_id.eq(entry.actor),
            audit_log::action.eq(entry.action),
            audit_log::object_type.eq(entry.object_type),
            audit_log::object_id.eq(entry.object_id),
            audit_log::reason.eq(entry.reason),
            audit_log::before_state.eq(before.and_then(|b| serde_json::to_string(b).ok())),
            audit_log::after_state.eq(after.and_then(|a| serde_json::to_string(a).ok())),
            audit_log::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}
