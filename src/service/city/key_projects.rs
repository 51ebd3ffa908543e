//! Key projects (重点项目调度): staff of the city office keep the list — owner, categories,
//! capacity added, investment, dates and the responsible department — and move each through its
//! stages; the owner reports progress on the schedule staff set. A project whose report is missing
//! or whose milestone slipped is flagged overdue by a periodic job, and its owner and department
//! are told. The only writer of `key_projects` and `key_project_reports`.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::{key_project_reports, key_projects, organizations};
use crate::db::{DbConnection, new_id, now};
use crate::domain::city::{
    KeyProjectEvent, KeyProjectStatus, key_project_transition, overdue_reason,
};
use crate::domain::notification::NotificationKind;
use crate::domain::organization::Language;
use crate::domain::quantity::{format_tonnes, format_yuan};
use crate::email::{outbox, templates::Email};
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::audit::{self, Entry};
use crate::service::input::{Checks, Tonnes, normalize_email, whole};
use crate::service::market::catalog::Catalog;
use crate::service::notifications::{Notice, notify_owners};
use crate::service::page::{Page, PageQuery};

/// Largest investment one project may state: 10 trillion fen (100 billion yuan).
const MAX_INVESTMENT_FEN: i64 = 10_000_000_000_000;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyProjectInput {
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 3,
        max_length = 200
    )]
    pub name: String,
    /// The organization that builds and runs it.
    #[schema(max_length = 40)]
    pub owner_organization_id: String,
    /// GB/T 39198 categories it handles, 1 to 10.
    #[schema(min_items = 1, max_items = 10)]
    pub categories: Vec<String>,
    /// Utilisation or disposal capacity it adds, tonnes a year.
    pub capacity_t_per_year: Tonnes,
    /// Total investment, yuan, exact to the fen, not negative.
    #[schema(value_type = String, pattern = r"^(0|[1-9][0-9]{0,10})(\.[0-9]{1,2})?$", example = "120000000.00")]
    pub investment_yuan: String,
    pub planned_start: Option<NaiveDate>,
    pub planned_completion: Option<NaiveDate>,
    /// The department answerable for it (责任单位).
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 200
    )]
    pub department: String,
    /// Where the department is told when the project is overdue.
    #[schema(max_length = 254, format = "email")]
    pub department_email: Option<String>,
    /// Days between progress reports (7 to 366).
    #[schema(minimum = 7, maximum = 366)]
    #[serde(deserialize_with = "whole::deserialize")]
    pub report_every_days: i32,
}

#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct KeyProject {
    pub id: String,
    pub name: String,
    pub owner_organization_id: String,
    pub categories: Vec<String>,
    pub capacity_t_per_year: String,
    pub investment_yuan: String,
    pub status: KeyProjectStatus,
    pub status_reason: Option<String>,
    pub planned_start: Option<NaiveDate>,
    pub planned_completion: Option<NaiveDate>,
    pub actual_start: Option<NaiveDate>,
    pub actual_completion: Option<NaiveDate>,
    pub department: String,
    pub report_every_days: i32,
    /// The next progress report is due by this day.
    pub report_due: NaiveDate,
    /// Why the project is overdue (a report missing, a milestone slipped); `null` when it is not.
    pub overdue_reason: Option<String>,
    pub version: i64,
}

#[derive(Queryable, Debug, Clone)]
pub struct KeyProjectRow {
    pub id: String,
    pub name: String,
    pub owner_org_id: String,
    pub categories: String,
    pub capacity_kg_per_year: i64,
    pub investment_fen: i64,
    pub status: KeyProjectStatus,
    pub status_reason: Option<String>,
    pub planned_start: Option<NaiveDate>,
    pub planned_completion: Option<NaiveDate>,
    pub actual_start: Option<NaiveDate>,
    pub actual_completion: Option<NaiveDate>,
    pub department: String,
    pub department_email: Option<String>,
    pub report_every_days: i32,
    pub report_due: NaiveDate,
    pub overdue_reason: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl KeyProjectRow {
    /// Past its dates a project reads as overdue, even before the job has flagged it (the job
    /// records it once and tells the owner and the department).
    pub fn overdue_now(&self) -> Option<String> {
        if !self.status.dispatched() {
            return None;
        }
        self.overdue_reason.clone().or_else(|| {
            overdue_reason(
                self.status,
                Some(self.report_due),
                self.planned_start,
                self.planned_completion,
                now().date(),
            )
        })
    }

    pub fn view(&self) -> KeyProject {
        KeyProject {
            id: self.id.clone(),
            name: self.name.clone(),
            owner_organization_id: self.owner_org_id.clone(),
            categories: self.categories.split(',').map(str::to_string).collect(),
            capacity_t_per_year: format_tonnes(self.capacity_kg_per_year),
            investment_yuan: format_yuan(self.investment_fen),
            status: self.status,
            status_reason: self.status_reason.clone(),
            planned_start: self.planned_start,
            planned_completion: self.planned_completion,
            actual_start: self.actual_start,
            actual_completion: self.actual_completion,
            department: self.department.clone(),
            report_every_days: self.report_every_days,
            report_due: self.report_due,
            overdue_reason: self.overdue_now(),
            version: self.version,
        }
    }
}

/// Exact yuan, not negative, at most 100 billion: fen.
fn investment(c: &mut Checks, field: &str, text: &str) -> Option<i64> {
    match crate::domain::quantity::parse_large_yuan(text, 11) {
        Ok(fen) if (0..=MAX_INVESTMENT_FEN).contains(&fen) => Some(fen),
        Ok(_) => {
            c.push(
                field,
                "out_of_range",
                "must be between 0 and 100 000 000 000 yuan",
            );
            None
        }
        Err(e) => {
            c.push(field, e.code(), e.to_string());
            None
        }
    }
}

/// Staff of the city office add a key project.
pub fn create(
    conn: &mut DbConnection,
    catalog: &Catalog,
    user: &CurrentUser,
    req: &KeyProjectInput,
) -> Result<KeyProject, ApiError> {
    user.require_staff()?;
    let mut c = Checks::default();
    c.text("name", &req.name, 3, 200);
    c.text("department", &req.department, 1, 200);
    let owner = organizations::table
        .find(&req.owner_organization_id)
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if !owner {
        c.push(
            "owner_organization_id",
            "unknown_organization",
            "is not an organization of the exchange",
        );
    }
    if req.categories.is_empty() || req.categories.len() > 10 {
        c.push("categories", "length", "name 1 to 10 categories");
    }
    for (i, code) in req.categories.iter().enumerate() {
        if catalog.category(code).is_none() {
            c.push(
                &format!("categories[{i}]"),
                "unknown_category",
                "is not a category of the catalog",
            );
        }
    }
    let capacity = c.tonnes("capacity_t_per_year", &req.capacity_t_per_year);
    let invested = investment(&mut c, "investment_yuan", &req.investment_yuan);
    if let (Some(s), Some(e)) = (req.planned_start, req.planned_completion)
        && e < s
    {
        c.push(
            "planned_completion",
            "before_start",
            "must not be before planned_start",
        );
    }
    let email = req.department_email.as_deref().map(normalize_email);
    if let Some(e) = &email
        && !validator::ValidateEmail::validate_email(e)
    {
        c.push(
            "department_email",
            "invalid_email",
            "is not an email address",
        );
    }
    if !(7..=366).contains(&req.report_every_days) {
        c.push(
            "report_every_days",
            "out_of_range",
            "must be between 7 and 366",
        );
    }
    c.finish()?;
    let id = new_id();
    let at = now();
    diesel::insert_into(key_projects::table)
        .values((
            key_projects::id.eq(&id),
            key_projects::name.eq(req.name.trim()),
            key_projects::owner_org_id.eq(&req.owner_organization_id),
            key_projects::categories.eq(req.categories.join(",")),
            key_projects::capacity_kg_per_year.eq(capacity.unwrap_or_default()),
            key_projects::investment_fen.eq(invested.unwrap_or_default()),
            key_projects::status.eq(KeyProjectStatus::Planned),
            key_projects::planned_start.eq(req.planned_start),
            key_projects::planned_completion.eq(req.planned_completion),
            key_projects::department.eq(req.department.trim()),
            key_projects::department_email.eq(email),
            key_projects::report_every_days.eq(req.report_every_days),
            key_projects::report_due.eq(at.date() + Duration::days(req.report_every_days.into())),
            key_projects::created_at.eq(at),
            key_projects::updated_at.eq(at),
        ))
        .execute(conn)?;
    let row = load_row(conn, &id)?;
    record(conn, &user.id, "key_project.created", &row, None, None)?;
    Ok(row.view())
}

pub fn load_row(conn: &mut DbConnection, id: &str) -> Result<KeyProjectRow, ApiError> {
    Ok(key_projects::table.find(id).first(conn)?)
}

fn record(
    conn: &mut DbConnection,
    actor: &str,
    action: &str,
    after: &KeyProjectRow,
    before: Option<&KeyProjectRow>,
    reason: Option<&str>,
) -> QueryResult<()> {
    audit::record(
        conn,
        Entry {
            actor: Some(actor),
            action,
            object_type: "key_project",
            object_id: &after.id,
            reason,
        },
        before.map(KeyProjectRow::view).as_ref(),
        Some(&after.view()),
    )
}

/// Key projects, by id: every one for staff; its own for an owner organization's members.
pub fn list(
    conn: &mut DbConnection,
    user: &CurrentUser,
    page: &PageQuery,
) -> Result<Page<KeyProject>, ApiError> {
    let limit = page.limit()?;
    let mut q = key_projects::table
        .order(key_projects::id.asc())
        .limit(limit)
        .into_boxed();
    if !user.is_staff() {
        q = q.filter(
            key_projects::owner_org_id.eq(user.organization_id.clone().unwrap_or_default()),
        );
    }
    if let Some(after) = page.after::<String>()? {
        q = q.filter(key_projects::id.gt(after));
    }
    let rows: Vec<KeyProjectRow> = q.load(conn)?;
    Ok(Page::new(rows, limit, |r| r.id.clone()).map(|r| r.view()))
}

fn readable(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
) -> Result<KeyProjectRow, ApiError> {
    let row = load_row(conn, id)?;
    if !(user.is_staff() || user.belongs_to(&row.owner_org_id)) {
        return Err(ApiError::not_found());
    }
    Ok(row)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyProjectDetail {
    #[serde(flatten)]
    pub project: KeyProject,
    /// Progress reports, newest first.
    pub reports: Vec<ProgressReport>,
}

pub fn get(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
) -> Result<KeyProjectDetail, ApiError> {
    let row = readable(conn, user, id)?;
    let reports: Vec<ReportRow> = key_project_reports::table
        .filter(key_project_reports::project_id.eq(id))
        .order(key_project_reports::id.desc())
        .load(conn)?;
    Ok(KeyProjectDetail {
        project: row.view(),
        reports: reports.iter().map(ReportRow::view).collect(),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyProjectDecision {
    pub event: KeyProjectMove,
    /// The day it happened (actual start or completion); defaults to today.
    pub on: Option<NaiveDate>,
    #[schema(schema_with = crate::service::input::reason_schema)]
    pub reason: String,
}

text_enum! {
    pub enum KeyProjectMove {
        Start => "start",
        Complete => "complete",
        Operate => "operate",
        Cancel => "cancel",
    }
}

/// Staff move a project through its stages, with a reason.
pub fn decide(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
    req: &KeyProjectDecision,
) -> Result<KeyProject, ApiError> {
    user.require_staff()?;
    let mut c = Checks::default();
    c.reason("reason", &req.reason);
    let on = req.on.unwrap_or_else(|| now().date());
    if on > now().date() {
        c.push("on", "in_future", "must not be after today");
    }
    c.finish()?;
    let before = load_row(conn, id)?;
    let event = match req.event {
        KeyProjectMove::Start => KeyProjectEvent::Start,
        KeyProjectMove::Complete => KeyProjectEvent::Complete,
        KeyProjectMove::Operate => KeyProjectEvent::Operate,
        KeyProjectMove::Cancel => KeyProjectEvent::Cancel,
    };
    let Some(to) = key_project_transition(before.status, event) else {
        return Err(ApiError::conflict(
            "invalid_state",
            format!(
                "A {} project cannot be {}.",
                before.status.label(),
                event.past_tense()
            ),
        ));
    };
    let changed = diesel::update(
        key_projects::table
            .find(id)
            .filter(key_projects::status.eq(before.status)),
    )
    .set((
        key_projects::status.eq(to),
        key_projects::status_reason.eq(req.reason.trim()),
        key_projects::version.eq(before.version + 1),
        key_projects::updated_at.eq(now()),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(ApiError::stale("project"));
    }
    match event {
        KeyProjectEvent::Start => diesel::update(key_projects::table.find(id))
            .set(key_projects::actual_start.eq(on))
            .execute(conn)?,
        KeyProjectEvent::Complete => diesel::update(key_projects::table.find(id))
            .set(key_projects::actual_completion.eq(on))
            .execute(conn)?,
        _ => 0,
    };
    // A stage left behind is no longer late; the job judges the new one.
    let after = load_row(conn, id)?;
    let reason = overdue_reason(
        after.status,
        Some(after.report_due),
        after.planned_start,
        after.planned_completion,
        now().date(),
    );
    diesel::update(key_projects::table.find(id))
        .set(key_projects::overdue_reason.eq(&reason))
        .execute(conn)?;
    let after = load_row(conn, id)?;
    record(
        conn,
        &user.id,
        &format!("key_project.{}", req.event.as_str()),
        &after,
        Some(&before),
        Some(req.reason.trim()),
    )?;
    Ok(after.view())
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    #[schema(minimum = 0, maximum = 100)]
    #[serde(deserialize_with = "whole::deserialize")]
    pub percent_complete: i32,
    /// Invested so far, yuan, exact to the fen.
    #[schema(value_type = String, pattern = r"^(0|[1-9][0-9]{0,10})(\.[0-9]{1,2})?$")]
    pub invested_to_date_yuan: String,
    #[schema(
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$",
        max_length = 2000
    )]
    pub problems: String,
    #[schema(
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$",
        max_length = 2000
    )]
    pub next_steps: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressReport {
    pub id: String,
    pub percent_complete: i32,
    pub invested_to_date_yuan: String,
    pub problems: String,
    pub next_steps: String,
    pub reported_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Queryable)]
struct ReportRow {
    id: String,
    _project_id: String,
    percent_complete: i32,
    invested_to_date_fen: i64,
    problems: String,
    next_steps: String,
    _reported_by: String,
    reported_at: NaiveDateTime,
}

impl ReportRow {
    fn view(&self) -> ProgressReport {
        ProgressReport {
            id: self.id.clone(),
            percent_complete: self.percent_complete,
            invested_to_date_yuan: format_yuan(self.invested_to_date_fen),
            problems: self.problems.clone(),
            next_steps: self.next_steps.clone(),
            reported_at: self.reported_at.and_utc(),
        }
    }
}

/// The owner (or staff) reports progress: the next report falls due one period later, and a
/// missing-report flag clears (a slipped milestone stays until the stage moves).
pub fn report(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
    req: &ReportInput,
) -> Result<KeyProjectDetail, ApiError> {
    let before = readable(conn, user, id)?;
    if !before.status.dispatched() {
        return Err(ApiError::conflict(
            "invalid_state",
            format!("A {} project no longer reports.", before.status.label()),
        ));
    }
    let mut c = Checks::default();
    if !(0..=100).contains(&req.percent_complete) {
        c.push(
            "percent_complete",
            "out_of_range",
            "must be between 0 and 100",
        );
    }
    let invested = investment(&mut c, "invested_to_date_yuan", &req.invested_to_date_yuan);
    c.long_text("problems", &req.problems, 0, 2000);
    c.long_text("next_steps", &req.next_steps, 0, 2000);
    c.finish()?;
    let at = now();
    diesel::insert_into(key_project_reports::table)
        .values((
            key_project_reports::id.eq(new_id()),
            key_project_reports::project_id.eq(id),
            key_project_reports::percent_complete.eq(req.percent_complete),
            key_project_reports::invested_to_date_fen.eq(invested.unwrap_or_default()),
            key_project_reports::problems.eq(req.problems.trim()),
            key_project_reports::next_steps.eq(req.next_steps.trim()),
            key_project_reports::reported_by.eq(&user.id),
            key_project_reports::reported_at.eq(at),
        ))
        .execute(conn)?;
    let due = at.date() + Duration::days(before.report_every_days.into());
    let reason = overdue_reason(
        before.status,
        Some(due),
        before.planned_start,
        before.planned_completion,
        at.date(),
    );
    diesel::update(key_projects::table.find(id))
        .set((
            key_projects::report_due.eq(due),
            key_projects::overdue_reason.eq(&reason),
            key_projects::updated_at.eq(at),
        ))
        .execute(conn)?;
    let after = load_row(conn, id)?;
    record(
        conn,
        &user.id,
        "key_project.reported",
        &after,
        Some(&before),
        None,
    )?;
    get(conn, user, id)
}

/// The periodic job: flags dispatched projects whose report is missing or whose milestone
/// slipped, once (a conditional update), and tells the owner and the responsible department.
pub fn flag_overdue(conn: &mut DbConnection) -> Result<usize, ApiError> {
    let today = now().date();
    let open: Vec<KeyProjectRow> = key_projects::table
        .filter(key_projects::status.eq_any([
            KeyProjectStatus::Planned,
            KeyProjectStatus::UnderConstruction,
            KeyProjectStatus::Completed,
        ]))
        .filter(key_projects::overdue_reason.is_null())
        .load(conn)?;
    let mut flagged = 0;
    for p in open {
        let Some(reason) = overdue_reason(
            p.status,
            Some(p.report_due),
            p.planned_start,
            p.planned_completion,
            today,
        ) else {
            continue;
        };
        let changed = diesel::update(
            key_projects::table
                .find(&p.id)
                .filter(key_projects::overdue_reason.is_null()),
        )
        .set(key_projects::overdue_reason.eq(&reason))
        .execute(conn)?;
        if changed == 0 {
            continue;
        }
        flagged += 1;
        let title_zh = format!("重点项目逾期：{}", p.name);
        let title_en = format!("Key project overdue: {}", p.name);
        notify_owners(
            conn,
            &p.owner_org_id,
            &Notice {
                kind: NotificationKind::KeyProjectOverdue,
                title_zh: title_zh.clone(),
                title_en: title_en.clone(),
                body_zh: reason.clone(),
                body_en: reason.clone(),
                object_type: Some("key_project"),
                object_id: Some(&p.id),
            },
        )?;
        if let Some(email) = &p.department_email {
            let body = format!("{title_en}: {reason}. {} ({})", p.department, p.id);
            outbox::enqueue(
                conn,
                email,
                &Email::Notice {
                    title: &title_zh,
                    body: &body,
                }
                .render(Language::Zh),
            )?;
        }
    }
    Ok(flagged)
}
