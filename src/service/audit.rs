//! The append-only audit log: who did what to which object, when, before and after. Written in
//! the transaction of the change; there is no code path that updates or deletes an entry. The
//! only writer of `audit_log`.

use diesel::prelude::*;
use serde::Serialize;

use crate::db::new_id;
use crate::db::schema::audit_log;
use crate::db::{DbConnection, now};
use crate::service::page::{Page, PageQuery};

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

#[derive(Debug, Serialize, utoipa::ToSchema, Queryable)]
pub struct AuditEntry {
    pub id: String,
    pub actor_user_id: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub reason: Option<String>,
    /// The object before the change, as JSON text.
    pub before_state: Option<String>,
    /// The object after the change, as JSON text.
    pub after_state: Option<String>,
    #[serde(with = "crate::domain::time")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub created_at: chrono::NaiveDateTime,
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams, validator::Validate)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// e.g. `listing`, `offer`, `deal`, `organization`, `user`.
    #[param(max_length = 40)]
    #[validate(length(max = 40))]
    pub object_type: Option<String>,
    #[param(max_length = 64)]
    #[validate(length(max = 64))]
    pub object_id: Option<String>,
    /// The user who acted.
    #[param(max_length = 64)]
    #[validate(length(max = 64))]
    pub actor: Option<String>,
    /// e.g. `listing.approved`.
    #[param(max_length = 80)]
    #[validate(length(max = 80))]
    pub action: Option<String>,
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

/// The audit log by object, actor, action and time, newest first (who may read it is the staff
/// desk's rule, `moderation::audit_log`). There is no route or function that changes or deletes
/// an entry.
pub fn query(
    conn: &mut DbConnection,
    q: &AuditQuery,
    page: &PageQuery,
) -> Result<Page<AuditEntry>, crate::error::ApiError> {
    crate::service::input::Checks::of(q).finish()?;
    let limit = page.limit()?;
    let mut s = audit_log::table
        .order(audit_log::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(v) = &q.object_type {
        s = s.filter(audit_log::object_type.eq(v.clone()));
    }
    if let Some(v) = &q.object_id {
        s = s.filter(audit_log::object_id.eq(v.clone()));
    }
    if let Some(v) = &q.actor {
        s = s.filter(audit_log::actor_user_id.eq(v.clone()));
    }
    if let Some(v) = &q.action {
        s = s.filter(audit_log::action.eq(v.clone()));
    }
    if let Some(v) = q.from {
        s = s.filter(audit_log::created_at.ge(v.naive_utc()));
    }
    if let Some(v) = q.until {
        s = s.filter(audit_log::created_at.lt(v.naive_utc()));
    }
    if let Some(before) = page.after::<String>()? {
        s = s.filter(audit_log::id.lt(before));
    }
    let items: Vec<AuditEntry> = s.load(conn)?;
    Ok(Page::new(items, limit, |e| e.id.clone()))
}
