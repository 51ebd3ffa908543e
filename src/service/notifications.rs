//! In-app notifications, each mirrored by an email through the outbox in the same transaction.
//! The only writer of `notifications`.

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::new_id;
use crate::db::schema::{notifications, users};
use crate::db::{DbConnection, now};
use crate::domain::notification::NotificationKind;
use crate::domain::organization::Language;
use crate::email::{outbox, templates::Email};
use crate::error::ApiError;
use crate::service::page::{Page, PageQuery};

/// What a person must act on.
pub struct Notice<'a> {
    pub kind: NotificationKind,
    pub title_zh: String,
    pub title_en: String,
    pub body_zh: String,
    pub body_en: String,
    pub object_type: Option<&'a str>,
    pub object_id: Option<&'a str>,
}

impl<'a> Notice<'a> {
    /// A notice whose body reads the same in both languages (figures, names, a staff note).
    pub fn with_note(
        kind: NotificationKind,
        zh: &str,
        en: &str,
        note: &str,
        object_type: &'a str,
        object_id: &'a str,
    ) -> Self {
        Self {
            kind,
            title_zh: zh.to_string(),
            title_en: en.to_string(),
            body_zh: note.to_string(),
            body_en: note.to_string(),
            object_type: Some(object_type),
            object_id: Some(object_id),
        }
    }
}

/// Notifies every alliance staff member and admin.
pub fn notify_staff(conn: &mut DbConnection, notice: &Notice<'_>) -> QueryResult<()> {
    let staff: Vec<String> = users::table
        .filter(users::platform_role.is_not_null())
        .select(users::id)
        .load(conn)?;
    for id in staff {
        notify(conn, &id, notice)?;
    }
    Ok(())
}

/// Notifies one user in-app and by email, in their language.
pub fn notify(conn: &mut DbConnection, user_id: &str, notice: &Notice<'_>) -> QueryResult<()> {
    let (email, language): (String, String) = users::table
        .find(user_id)
        .select((users::email, users::language))
        .first(conn)?;
    let lang = Language::parse(&language).unwrap_or(Language::Zh);
    let (title, body) = match lang {
        Language::Zh => (&notice.title_zh, &notice.body_zh),
        Language::En => (&notice.title_en, &notice.body_en),
    };
    diesel::insert_into(notifications::table)
        .values((
            notifications::id.eq(new_id()),
            notifications::user_id.eq(user_id),
            notifications::kind.eq(notice.kind),
            notifications::title.eq(title),
            notifications::body.eq(body),
            notifications::object_type.eq(notice.object_type),
            notifications::object_id.eq(notice.object_id),
            notifications::created_at.eq(now()),
        ))
        .execute(conn)?;
    outbox::enqueue(conn, &email, &Email::Notice { title, body }.render(lang))
}

/// Notifies every owner of an organization.
pub fn notify_owners(
    conn: &mut DbConnection,
    organization_id: &str,
    notice: &Notice<'_>,
) -> QueryResult<()> {
    let owners: Vec<String> = users::table
        .filter(users::organization_id.eq(organization_id))
        .filter(users::org_role.eq("owner"))
        .select(users::id)
        .load(conn)?;
    for owner in owners {
        notify(conn, &owner, notice)?;
    }
    Ok(())
}

#[derive(Queryable, Serialize, ToSchema)]
pub struct Notification {
    pub id: String,
    pub kind: NotificationKind,
    pub title: String,
    pub body: String,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    #[serde(with = "crate::domain::time::opt")]
    #[schema(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub read_at: Option<chrono::NaiveDateTime>,
    #[serde(with = "crate::domain::time")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub created_at: chrono::NaiveDateTime,
}

type Columns = (
    notifications::id,
    notifications::kind,
    notifications::title,
    notifications::body,
    notifications::object_type,
    notifications::object_id,
    notifications::read_at,
    notifications::created_at,
);

const COLUMNS: Columns = (
    notifications::id,
    notifications::kind,
    notifications::title,
    notifications::body,
    notifications::object_type,
    notifications::object_id,
    notifications::read_at,
    notifications::created_at,
);

/// The caller's notifications, newest first (ids are UUIDv7, so they sort by time).
pub fn list(
    conn: &mut DbConnection,
    user_id: &str,
    unread_only: bool,
    page: &PageQuery,
) -> Result<Page<Notification>, ApiError> {
    let limit = page.limit()?;
    let mut q = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .select(COLUMNS)
        .order(notifications::id.desc())
        .limit(limit)
        .into_boxed();
    if unread_only {
        q = q.filter(notifications::read_at.is_null());
    }
    if let Some(before) = page.after::<String>()? {
        q = q.filter(notifications::id.lt(before));
    }
    let items: Vec<Notification> = q.load(conn)?;
    Ok(Page::new(items, limit, |n| n.id.clone()))
}

pub fn mark_read(
    conn: &mut DbConnection,
    user_id: &str,
    id: &str,
) -> Result<Notification, ApiError> {
    let mine = notifications::table
        .filter(notifications::id.eq(id))
        .filter(notifications::user_id.eq(user_id));
    diesel::update(mine.filter(notifications::read_at.is_null()))
        .set(notifications::read_at.eq(now()))
        .execute(conn)?;
    Ok(mine.select(COLUMNS).first(conn)?)
}
