//! Indicator tasks (指标任务): a target, a unit, a deadline and a responsible department, with
//! progress computed from the exchange's data where it has it (the utilisation rate, intensity,
//! capacity added, projects built) and entered with a source where it has not (sand pits
//! restored). Status: on track, at risk, overdue. The only writer of `indicators`.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::indicators;
use crate::db::{DbConnection, new_id, now};
use crate::domain::city::{IndicatorStatus, indicator_status};
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::audit::{self, Entry};
use crate::service::city::{figures, profile};
use crate::service::input::Checks;
use crate::service::page::{Page, PageQuery};

text_enum! {
    /// Where an indicator's progress comes from.
    pub enum Metric {
        /// The city's comprehensive utilisation rate this year, per cent.
        UtilisationRate => "utilisation_rate",
        /// The city's generation intensity in the latest year with an output value, t/10 000 yuan.
        GenerationIntensity => "generation_intensity",
        /// Capacity of completed and operating key projects, t a year.
        CapacityAdded => "capacity_added",
        /// Key projects completed or operating.
        ProjectsBuilt => "projects_built",
        /// Entered by staff with its source.
        Entered => "entered",
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorInput {
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 3,
        max_length = 200
    )]
    pub name: String,
    pub metric: Metric,
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 40
    )]
    pub unit: String,
    #[schema(minimum = -1e12, maximum = 1e12)]
    pub baseline: f64,
    #[schema(minimum = -1e12, maximum = 1e12)]
    pub target: f64,
    /// The start of the line from baseline to target.
    pub start_on: NaiveDate,
    pub deadline: NaiveDate,
    /// The department answerable for it (责任单位).
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 200
    )]
    pub department: String,
    /// For `entered`: the latest value, with its source.
    #[schema(minimum = -1e12, maximum = 1e12)]
    pub entered_value: Option<f64>,
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 3,
        max_length = 300
    )]
    pub entered_source: Option<String>,
}

#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct Indicator {
    pub id: String,
    pub name: String,
    pub metric: Metric,
    pub unit: String,
    pub baseline: f64,
    pub target: f64,
    /// The target lies above the baseline.
    pub higher_is_better: bool,
    pub start_on: NaiveDate,
    pub deadline: NaiveDate,
    pub department: String,
    /// Progress now: computed for a computed metric, the entered value otherwise.
    pub current: Option<f64>,
    pub source: Option<String>,
    pub status: IndicatorStatus,
    pub version: i64,
}

#[derive(Queryable, Debug, Clone)]
pub struct IndicatorRow {
    pub id: String,
    pub name: String,
    pub metric: Metric,
    pub unit: String,
    pub baseline: f64,
    pub target: f64,
    pub higher_is_better: bool,
    pub start_on: NaiveDate,
    pub deadline: NaiveDate,
    pub department: String,
    pub entered_value: Option<f64>,
    pub entered_source: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What the exchange's data say now, for each computed metric.
pub struct Current {
    utilisation_rate: Option<f64>,
    intensity: Option<f64>,
    capacity_added_t: f64,
    projects_built: f64,
}

impl Current {
    pub fn load(conn: &mut DbConnection) -> Result<Self, ApiError> {
        let year = now().date().year();
        // The targets are the platform's city's: so are the figures they are measured on.
        let profile = profile::get(conn)?;
        let home = profile.city();
        let this_year = figures::declared(conn, year, home, false)?;
        // Intensity: the latest year (of the last three) with a city output value.
        let mut intensity = None;
        for y in (year - 2..=year).rev() {
            let declared = if y == year {
                None
            } else {
                Some(figures::declared(conn, y, home, false)?)
            };
            let city = declared
                .as_ref()
                .unwrap_or(&this_year)
                .intensity
                .iter()
                .find(|i| i.region_code.ends_with("00"))
                .map(|i| i.t_per_10k_yuan);
            if let Some(value) = city {
                intensity = value;
                break;
            }
        }
        let p = figures::project_totals(conn, home)?;
        Ok(Self {
            utilisation_rate: this_year.totals.and_then(|t| t.utilisation_rate_pct),
            intensity,
            capacity_added_t: p.capacity_added_t_per_year.parse().unwrap_or(0.0),
            projects_built: ["completed", "operating"]
                .iter()
                .map(|s| p.by_status.get(*s).copied().unwrap_or(0) as f64)
                .sum(),
        })
    }
}

impl IndicatorRow {
    pub fn view(&self, now_values: &Current, today: NaiveDate) -> Indicator {
        let (current, source) = match self.metric {
            Metric::UtilisationRate => (now_values.utilisation_rate, Some("declarations".into())),
            Metric::GenerationIntensity => (
                now_values.intensity,
                Some("declarations and output values".into()),
            ),
            Metric::CapacityAdded => (
                Some(now_values.capacity_added_t),
                Some("key projects".into()),
            ),
            Metric::ProjectsBuilt => (Some(now_values.projects_built), Some("key projects".into())),
            Metric::Entered => (self.entered_value, self.entered_source.clone()),
        };
        Indicator {
            id: self.id.clone(),
            name: self.name.clone(),
            metric: self.metric,
            unit: self.unit.clone(),
            baseline: self.baseline,
            target: self.target,
            higher_is_better: self.higher_is_better,
            start_on: self.start_on,
            deadline: self.deadline,
            department: self.department.clone(),
            current,
            source,
            status: indicator_status(
                self.baseline,
                self.target,
                current,
                self.higher_is_better,
                self.start_on,
                self.deadline,
                today,
            ),
            version: self.version,
        }
    }
}

fn check(req: &IndicatorInput) -> Result<(), ApiError> {
    let mut c = Checks::default();
    c.text("name", &req.name, 3, 200);
    c.text("unit", &req.unit, 1, 40);
    c.text("department", &req.department, 1, 200);
    for (field, v) in [
        ("baseline", Some(req.baseline)),
        ("target", Some(req.target)),
        ("entered_value", req.entered_value),
    ] {
        if v.is_some_and(|v| !v.is_finite() || v.abs() > 1e12) {
            c.push(
                field,
                "out_of_range",
                "must be a finite number within ±10¹²",
            );
        }
    }
    if req.target == req.baseline {
        c.push(
            "target",
            "equals_baseline",
            "a target must differ from the baseline",
        );
    }
    if req.deadline <= req.start_on {
        c.push("deadline", "before_start", "must be after start_on");
    }
    if let Some(s) = &req.entered_source {
        c.text("entered_source", s, 3, 300);
    }
    match (
        req.metric,
        req.entered_value.is_some(),
        req.entered_source.is_some(),
    ) {
        (Metric::Entered, true, false) => c.push(
            "entered_source",
            "required",
            "an entered value states its source",
        ),
        (Metric::Entered, _, _) => {}
        (_, true, _) | (_, _, true) => c.push(
            "entered_value",
            "not_allowed",
            "a computed metric takes no entered value",
        ),
        _ => {}
    }
    c.finish()
}

/// What staff state about an indicator, as stored: written whole on create and on every edit.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = indicators, treat_none_as_null = true)]
struct Terms<'a> {
    name: &'a str,
    metric: Metric,
    unit: &'a str,
    baseline: f64,
    target: f64,
    higher_is_better: bool,
    start_on: NaiveDate,
    deadline: NaiveDate,
    department: &'a str,
    entered_value: Option<f64>,
    entered_source: Option<&'a str>,
}

impl IndicatorInput {
    fn terms(&self) -> Terms<'_> {
        Terms {
            name: self.name.trim(),
            metric: self.metric,
            unit: self.unit.trim(),
            baseline: self.baseline,
            target: self.target,
            higher_is_better: self.target > self.baseline,
            start_on: self.start_on,
            deadline: self.deadline,
            department: self.department.trim(),
            entered_value: self.entered_value,
            entered_source: self.entered_source.as_deref().map(str::trim),
        }
    }
}

/// Staff add an indicator.
pub fn create(
    conn: &mut DbConnection,
    user: &CurrentUser,
    req: &IndicatorInput,
) -> Result<Indicator, ApiError> {
    user.require_staff()?;
    check(req)?;
    let id = new_id();
    let at = now();
    diesel::insert_into(indicators::table)
        .values((
            indicators::id.eq(&id),
            req.terms(),
            indicators::created_at.eq(at),
            indicators::updated_at.eq(at),
        ))
        .execute(conn)?;
    let row: IndicatorRow = indicators::table.find(&id).first(conn)?;
    let view = row.view(&Current::load(conn)?, at.date());
    audit::record(
        conn,
        Entry {
            actor: Some(&user.id),
            action: "indicator.created",
            object_type: "indicator",
            object_id: &id,
            reason: None,
        },
        None::<&()>,
        Some(&view),
    )?;
    Ok(view)
}

/// Staff restate an indicator (a new entered value with its source, a moved deadline).
pub fn update(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
    req: &IndicatorInput,
) -> Result<Indicator, ApiError> {
    user.require_staff()?;
    let before: IndicatorRow = indicators::table.find(id).first(conn)?;
    check(req)?;
    let at = now();
    diesel::update(indicators::table.find(id))
        .set((
            req.terms(),
            indicators::version.eq(before.version + 1),
            indicators::updated_at.eq(at),
        ))
        .execute(conn)?;
    let row: IndicatorRow = indicators::table.find(id).first(conn)?;
    let current = Current::load(conn)?;
    let view = row.view(&current, at.date());
    audit::record(
        conn,
        Entry {
            actor: Some(&user.id),
            action: "indicator.updated",
            object_type: "indicator",
            object_id: id,
            reason: None,
        },
        Some(&before.view(&current, at.date())),
        Some(&view),
    )?;
    Ok(view)
}

/// Every indicator, as the public dashboard shows them.
pub fn all(conn: &mut DbConnection) -> Result<Vec<Indicator>, ApiError> {
    let rows: Vec<IndicatorRow> = indicators::table.order(indicators::id.asc()).load(conn)?;
    let current = Current::load(conn)?;
    let today = now().date();
    Ok(rows.into_iter().map(|r| r.view(&current, today)).collect())
}

/// Every indicator with its progress and status: public (city-level figures only).
pub fn list(conn: &mut DbConnection, page: &PageQuery) -> Result<Page<Indicator>, ApiError> {
    let limit = page.limit()?;
    let mut q = indicators::table
        .order(indicators::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = page.after::<String>()? {
        q = q.filter(indicators::id.gt(after));
    }
    let rows: Vec<IndicatorRow> = q.load(conn)?;
    let current = Current::load(conn)?;
    let today = now().date();
    Ok(Page::new(rows, limit, |r| r.id.clone()).map(|r| r.view(&current, today)))
}
