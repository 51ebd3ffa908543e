//! Demands ("wanted"): a receiver's standing request for material, with its state machine. The
//! only writer of the `demands` table.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::Eq;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::new_id;
use crate::db::schema::{demands, organizations, sites};
use crate::db::{DbConnection, now};
use crate::domain::demand::{DemandStatus, event_towards, transition};
use crate::domain::grading::at_least;
use crate::domain::listing::{SupplyPattern, bounding_box};
use crate::domain::matching::{Bound, Want};
use crate::domain::offer::IntendedUse;
use crate::domain::organization::OrgKind;
use crate::domain::quantity::{format_tonnes, format_yuan};
use crate::domain::uses;
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::audit::{self, Entry};
use crate::service::city::capacities;
use crate::service::input::{Checks, Tonnes, Yuan};
use crate::service::market::catalog::{Catalog, use_refused};
use crate::service::market::lots::{Supply, SupplyTerms};
use crate::service::page::{Page, PageQuery};

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemandInput {
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 3,
        max_length = 200
    )]
    pub title: String,
    /// GB/T 39198 codes, 1–5.
    #[schema(min_items = 1, max_items = 5)]
    pub categories: Vec<String>,
    #[serde(default)]
    #[schema(max_items = 20)]
    pub subtypes: Vec<String>,
    /// Lab value limits, e.g. `{"loi_pct": {"max": 8.0}}`.
    #[serde(default)]
    pub property_bounds: BTreeMap<String, Bound>,
    /// Minimum grades by rule, e.g. `{"fly_ash": "II"}` (that grade or better).
    #[serde(default)]
    pub min_grades: BTreeMap<String, String>,
    /// Tonnes wanted in all.
    pub quantity_t: Tonnes,
    /// One-off, or recurring with the tonnes wanted each month (as a lot states its supply).
    pub supply: Supply,
    pub site_id: String,
    #[schema(minimum = 1, maximum = 2000)]
    pub max_distance_km: f64,
    /// The most it pays per tonne, or (negative) the least gate fee it accepts.
    pub price_limit_per_t: Yuan,
    pub available_from: Option<DateTime<Utc>>,
    pub available_until: Option<DateTime<Utc>>,
    pub intended_use: IntendedUse,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Demand {
    pub id: String,
    pub organization_id: String,
    pub status: DemandStatus,
    pub title: String,
    pub categories: Vec<String>,
    pub subtypes: Vec<String>,
    pub property_bounds: BTreeMap<String, Bound>,
    pub min_grades: BTreeMap<String, String>,
    pub quantity_t: String,
    pub supply: SupplyTerms,
    pub site_id: String,
    pub region_code: String,
    pub max_distance_km: f64,
    pub price_limit_per_t: String,
    pub available_from: DateTime<Utc>,
    pub available_until: Option<DateTime<Utc>>,
    pub intended_use: IntendedUse,
    /// The demand asks for more a year than its site declared it can take (or the site declared
    /// no capacity for these categories); shown to its organization and staff.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity_warning: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What the alliance's boards show of another organization's demand: what, how much, where and
/// when; never whose it is, its site or its price limit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DemandSummary {
    pub id: String,
    pub categories: Vec<String>,
    pub subtypes: Vec<String>,
    pub quantity_t: String,
    pub supply: SupplyTerms,
    /// The district (GB/T 2260) of the receiving site.
    pub region_code: String,
    pub intended_use: IntendedUse,
    pub available_from: DateTime<Utc>,
    pub available_until: Option<DateTime<Utc>>,
}

#[derive(Queryable, Debug, Clone)]
pub struct DemandRow {
    pub id: String,
    pub organization_id: String,
    pub site_id: String,
    pub title: String,
    pub categories: String,
    pub subtypes: String,
    pub property_bounds: String,
    pub min_grades: String,
    pub quantity_kg: i64,
    pub supply_pattern: SupplyPattern,
    pub max_distance_km: f64,
    pub price_limit_fen: i64,
    pub window_from: NaiveDateTime,
    pub window_until: Option<NaiveDateTime>,
    pub intended_use: IntendedUse,
    pub status: DemandStatus,
    pub region_code: String,
    pub lat: f64,
    pub lon: f64,
    pub last_digest_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub monthly_kg: Option<i64>,
    /// The box its radius can touch (`reach`), kept for the index that finds it.
    pub reach_south: f64,
    pub reach_north: f64,
    pub reach_west: f64,
    pub reach_east: f64,
}

fn list_of(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl DemandRow {
    pub fn want(&self) -> Want {
        Want {
            categories: list_of(&self.categories),
            subtypes: list_of(&self.subtypes),
            bounds: serde_json::from_str(&self.property_bounds).unwrap_or_default(),
            min_grades: serde_json::from_str(&self.min_grades).unwrap_or_default(),
            // A recurring demand is matched a month at a time.
            quantity_kg: self.monthly_kg.unwrap_or(self.quantity_kg),
            max_distance_km: self.max_distance_km,
            price_limit_fen: self.price_limit_fen,
            window_from: self.window_from,
            window_until: self.window_until,
            lat: self.lat,
            lon: self.lon,
            intended_use: self.intended_use,
            // Set by the matcher from the demand's site and its intake profile.
            lined: false,
            intake: None,
        }
    }

    pub fn summary(&self) -> DemandSummary {
        let view = self.view();
        DemandSummary {
            id: view.id,
            categories: view.categories,
            subtypes: view.subtypes,
            quantity_t: view.quantity_t,
            supply: view.supply,
            region_code: view.region_code,
            intended_use: view.intended_use,
            available_from: view.available_from,
            available_until: view.available_until,
        }
    }

    pub fn view(&self) -> Demand {
        let want = self.want();
        Demand {
            id: self.id.clone(),
            organization_id: self.organization_id.clone(),
            status: self.status,
            title: self.title.clone(),
            categories: want.categories,
            subtypes: want.subtypes,
            property_bounds: want.bounds,
            min_grades: want.min_grades,
            quantity_t: format_tonnes(self.quantity_kg),
            supply: SupplyTerms {
                pattern: self.supply_pattern,
                monthly_t: self.monthly_kg.map(format_tonnes),
            },
            site_id: self.site_id.clone(),
            region_code: self.region_code.clone(),
            max_distance_km: self.max_distance_km,
            price_limit_per_t: format_yuan(self.price_limit_fen),
            available_from: self.window_from.and_utc(),
            available_until: self.window_until.map(|t| t.and_utc()),
            intended_use: self.intended_use,
            capacity_warning: None,
            version: self.version,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        }
    }
}

/// The demand's view with the capacity registry's warning: a year's worth (a recurring demand's
/// monthly tonnes × 12) against what its site declared it can take.
fn with_warning(conn: &mut DbConnection, row: &DemandRow) -> Result<Demand, ApiError> {
    let mut view = row.view();
    let per_year = row.monthly_kg.map_or(row.quantity_kg, |m| m * 12);
    view.capacity_warning =
        capacities::warning(conn, &row.site_id, &list_of(&row.categories), per_year)?;
    Ok(view)
}

pub fn load_row(conn: &mut DbConnection, id: &str) -> Result<DemandRow, ApiError> {
    Ok(demands::table.find(id).first(conn)?)
}

struct CheckedDemand {
    quantity_kg: i64,
    monthly_kg: Option<i64>,
    price_limit_fen: i64,
    window_from: NaiveDateTime,
    window_until: Option<NaiveDateTime>,
}

/// The use table must take every sub-type the demand names, and at least some material of every
/// category it names: otherwise the demand could never match (422 `use_not_permitted`).
fn takes_all(catalog: &Catalog, input: &DemandInput) -> Result<(), ApiError> {
    for code in &input.categories {
        let Some(category) = catalog.category(code) else {
            continue;
        };
        let named: Vec<&String> = input
            .subtypes
            .iter()
            .filter(|s| category.subtypes.iter().any(|t| &t.code == *s))
            .collect();
        for sub in &named {
            uses::entry(input.intended_use, code, Some(sub)).map_err(use_refused)?;
        }
        if named.is_empty() {
            let whole = uses::entry(input.intended_use, code, None);
            let some_subtype = category
                .subtypes
                .iter()
                .any(|t| uses::entry(input.intended_use, code, Some(&t.code)).is_ok());
            if let Err(refusal) = whole
                && !some_subtype
            {
                return Err(use_refused(refusal));
            }
        }
    }
    Ok(())
}

/// Quality terms as a demand or a supply contract states them: bounds on known lab values (each
/// with a min, a max or both) and minimum grades of known rules.
pub fn check_quality_terms(
    c: &mut Checks,
    property_bounds: &BTreeMap<String, Bound>,
    min_grades: &BTreeMap<String, String>,
    known_properties: &[String],
) {
    if property_bounds.len() > 20 {
        c.push("property_bounds", "too_many", "at most 20 bounds");
    }
    for (key, bound) in property_bounds {
        let field = format!("property_bounds.{key}");
        if !known_properties.contains(key) {
            c.push(
                &field,
                "unknown_property",
                "is not a property of the categories",
            );
        }
        match (bound.min, bound.max) {
            (None, None) => c.push(&field, "empty", "give min, max or both"),
            (Some(a), Some(b)) if a > b => {
                c.push(&field, "min_above_max", "min must not exceed max")
            }
            (a, b) if a.is_some_and(|v| !v.is_finite()) || b.is_some_and(|v| !v.is_finite()) => {
                c.push(&field, "not_finite", "must be finite numbers")
            }
            _ => {}
        }
    }
    for (rule, grade) in min_grades {
        if at_least(rule, grade).is_none() {
            c.push(
                &format!("min_grades.{rule}"),
                "unknown_grade",
                "is not a grade of that rule",
            );
        }
    }
}

fn check(catalog: &Catalog, input: &DemandInput) -> Result<CheckedDemand, ApiError> {
    let mut c = Checks::default();
    c.text("title", &input.title, 3, 200);
    if input.categories.is_empty() || input.categories.len() > 5 {
        c.push("categories", "length", "name 1 to 5 categories");
    }
    let mut known_properties = Vec::new();
    for (i, code) in input.categories.iter().enumerate() {
        match catalog.resolve(code, None) {
            Ok((category, _)) => {
                known_properties.extend(category.properties.iter().map(|p| p.key.clone()))
            }
            Err(e) if e.code == "hazardous_waste_out_of_scope" => return Err(e),
            Err(_) => c.push(
                &format!("categories[{i}]"),
                "unknown_category",
                "is not a category of the catalog",
            ),
        }
    }
    for (i, sub) in input.subtypes.iter().enumerate() {
        let fits = input
            .categories
            .iter()
            .any(|code| catalog.resolve(code, Some(sub)).is_ok());
        if !fits {
            c.push(
                &format!("subtypes[{i}]"),
                "unknown_subtype",
                "is not a sub-type of the categories",
            );
        }
    }
    check_quality_terms(
        &mut c,
        &input.property_bounds,
        &input.min_grades,
        &known_properties,
    );
    let quantity_kg = c.tonnes("quantity_t", &input.quantity_t);
    let monthly_kg = input.supply.monthly(&mut c, "supply");
    let price_limit_fen = c.yuan("price_limit_per_t", &input.price_limit_per_t);
    if !(1.0..=2000.0).contains(&input.max_distance_km) {
        c.push(
            "max_distance_km",
            "out_of_range",
            "must be between 1 and 2000",
        );
    }
    let window_from = input.available_from.map_or_else(now, |t| t.naive_utc());
    let window_until = input.available_until.map(|t| t.naive_utc());
    if window_until.is_some_and(|u| u <= window_from) {
        c.push(
            "available_until",
            "before_start",
            "must be after available_from",
        );
    }
    c.finish()?;
    takes_all(catalog, input)?;
    Ok(CheckedDemand {
        quantity_kg: quantity_kg.unwrap_or_default(),
        monthly_kg,
        price_limit_fen: price_limit_fen.unwrap_or_default(),
        window_from,
        window_until,
    })
}

type Reach = (
    Eq<demands::reach_south, f64>,
    Eq<demands::reach_north, f64>,
    Eq<demands::reach_west, f64>,
    Eq<demands::reach_east, f64>,
);

/// The box around the site that a radius can touch, as matching's bounding box draws it: a
/// published lot finds the open demands whose box holds it through a spatial index
/// (`db::reach`), so matching a new lot reads only the demands that can reach it.
fn reach(lat: f64, lon: f64, max_distance_km: f64) -> Reach {
    let b = bounding_box(lat, lon, max_distance_km);
    (
        demands::reach_south.eq(b.min_lat),
        demands::reach_north.eq(b.max_lat),
        demands::reach_west.eq(b.min_lon),
        demands::reach_east.eq(b.max_lon),
    )
}

/// Members of verified receiver or research organizations post demands.
fn require_buyer(conn: &mut DbConnection, user: &CurrentUser) -> Result<String, ApiError> {
    let org = user.require_verified_member()?.to_string();
    let kinds: String = organizations::table
        .find(&org)
        .select(organizations::kinds)
        .first(conn)?;
    let kinds = OrgKind::split(&kinds);
    if !kinds.contains(&OrgKind::Receiver) && !kinds.contains(&OrgKind::Research) {
        return Err(ApiError::forbidden(
            "receiver_only",
            "Only receiver and research organizations post demands.",
        ));
    }
    Ok(org)
}

pub fn create(
    conn: &mut DbConnection,
    catalog: &Catalog,
    user: &CurrentUser,
    input: &DemandInput,
) -> Result<Demand, ApiError> {
    let checked = check(catalog, input)?;
    let org = require_buyer(conn, user)?;
    let (region, lat, lon): (String, f64, f64) = sites::table
        .filter(sites::id.eq(&input.site_id))
        .filter(sites::organization_id.eq(&org))
        .select((sites::region_code, sites::lat, sites::lon))
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            ApiError::field(
                "site_id",
                "unknown_site",
                "is not a site of your organization",
            )
        })?;
    let id = new_id();
    let at = now();
    diesel::insert_into(demands::table)
        .values((
            demands::id.eq(&id),
            demands::organization_id.eq(&org),
            demands::site_id.eq(&input.site_id),
            demands::title.eq(input.title.trim()),
            demands::categories.eq(input.categories.join(",")),
            demands::subtypes.eq(input.subtypes.join(",")),
            demands::property_bounds
                .eq(serde_json::to_string(&input.property_bounds).unwrap_or_else(|_| "{}".into())),
            demands::min_grades
                .eq(serde_json::to_string(&input.min_grades).unwrap_or_else(|_| "{}".into())),
            demands::quantity_kg.eq(checked.quantity_kg),
            demands::monthly_kg.eq(checked.monthly_kg),
            demands::supply_pattern.eq(input.supply.pattern),
            demands::max_distance_km.eq(input.max_distance_km),
            demands::price_limit_fen.eq(checked.price_limit_fen),
            demands::window_from.eq(checked.window_from),
            demands::window_until.eq(checked.window_until),
            demands::intended_use.eq(input.intended_use),
            demands::status.eq(DemandStatus::Open),
            demands::region_code.eq(region),
            demands::lat.eq(lat),
            demands::lon.eq(lon),
            reach(lat, lon, input.max_distance_km),
            demands::created_at.eq(at),
            demands::updated_at.eq(at),
        ))
        .execute(conn)?;
    let row = load_row(conn, &id)?;
    let demand = with_warning(conn, &row)?;
    audit::record(
        conn,
        Entry {
            actor: Some(&user.id),
            action: "demand.created",
            object_type: "demand",
            object_id: &id,
            reason: None,
        },
        None::<&()>,
        Some(&demand),
    )?;
    Ok(demand)
}

/// A demand is visible to its organization and to staff.
pub fn readable(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
) -> Result<DemandRow, ApiError> {
    let row = load_row(conn, id)?;
    if !(user.belongs_to(&row.organization_id) || user.is_staff()) {
        return Err(ApiError::not_found());
    }
    Ok(row)
}

pub fn get(conn: &mut DbConnection, user: &CurrentUser, id: &str) -> Result<Demand, ApiError> {
    let row = readable(conn, user, id)?;
    with_warning(conn, &row)
}

pub fn list(
    conn: &mut DbConnection,
    user: &CurrentUser,
    page: &PageQuery,
) -> Result<Page<Demand>, ApiError> {
    let limit = page.limit()?;
    let mut q = demands::table
        .order(demands::id.asc())
        .limit(limit)
        .into_boxed();
    if !user.is_staff() {
        q = q.filter(demands::organization_id.eq(user.organization_id.clone().unwrap_or_default()));
    }
    if let Some(after) = page.after::<String>()? {
        q = q.filter(demands::id.gt(after));
    }
    let rows: Vec<DemandRow> = q.load(conn)?;
    Ok(Page::new(rows, limit, |d| d.id.clone()).map(|d| d.view()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemandPatch {
    /// The status to move to, by a move of the demand's state machine: `paused` (from open),
    /// `open` (resuming a paused or reopening a fulfilled one), `fulfilled`, `closed`.
    pub status: Option<DemandStatus>,
    #[schema(minimum = 1, maximum = 2000)]
    pub max_distance_km: Option<f64>,
    pub price_limit_per_t: Option<Yuan>,
    pub quantity_t: Option<Tonnes>,
    /// The whole supply pattern, as on creation.
    pub supply: Option<Supply>,
    pub available_until: Option<DateTime<Utc>>,
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 3,
        max_length = 200
    )]
    pub title: Option<String>,
}

/// Edits a demand (its organization's members): status, distance, price limit, quantity, supply,
/// availability end, title.
pub fn update(
    conn: &mut DbConnection,
    catalog: &Catalog,
    user: &CurrentUser,
    id: &str,
    expected_version: Option<i64>,
    patch: &DemandPatch,
) -> Result<Demand, ApiError> {
    let before = readable(conn, user, id)?;
    if !user.belongs_to(&before.organization_id) {
        return Err(ApiError::forbidden(
            "owner_required",
            "Only the demand's organization edits it.",
        ));
    }
    require_buyer(conn, user)?;
    let current = before.view();
    if current.status == DemandStatus::Closed {
        return Err(ApiError::conflict(
            "demand_closed",
            "A closed demand cannot change.",
        ));
    }
    let input = DemandInput {
        title: patch.title.clone().unwrap_or(current.title.clone()),
        categories: current.categories.clone(),
        subtypes: current.subtypes.clone(),
        property_bounds: current.property_bounds.clone(),
        min_grades: current.min_grades.clone(),
        quantity_t: patch
            .quantity_t
            .clone()
            .unwrap_or(Tonnes::of(current.quantity_t.clone())),
        supply: patch.supply.clone().unwrap_or(Supply {
            pattern: current.supply.pattern,
            monthly_t: current.supply.monthly_t.clone().map(Tonnes::of),
        }),
        site_id: current.site_id.clone(),
        max_distance_km: patch.max_distance_km.unwrap_or(current.max_distance_km),
        price_limit_per_t: patch
            .price_limit_per_t
            .clone()
            .unwrap_or(Yuan::of(current.price_limit_per_t.clone())),
        available_from: Some(current.available_from),
        available_until: patch.available_until.or(current.available_until),
        intended_use: current.intended_use,
    };
    let checked = check(catalog, &input)?;
    if expected_version.is_some_and(|v| v != before.version) {
        return Err(ApiError::stale("demand"));
    }
    let status = match patch.status {
        Some(to) if to != before.status => event_towards(before.status, to)
            .and_then(|e| transition(before.status, e))
            .ok_or_else(|| {
                ApiError::conflict(
                    "invalid_state",
                    format!(
                        "A demand that is {} cannot become {}.",
                        before.status.label(),
                        to.label()
                    ),
                )
            })?,
        _ => before.status,
    };
    let changed = diesel::update(
        demands::table
            .find(id)
            .filter(demands::version.eq(before.version))
            .filter(demands::status.eq(before.status)),
    )
    .set((
        demands::title.eq(input.title.trim()),
        demands::status.eq(status),
        demands::max_distance_km.eq(input.max_distance_km),
        reach(before.lat, before.lon, input.max_distance_km),
        demands::price_limit_fen.eq(checked.price_limit_fen),
        demands::quantity_kg.eq(checked.quantity_kg),
        demands::monthly_kg.eq(checked.monthly_kg),
        demands::supply_pattern.eq(input.supply.pattern),
        demands::window_until.eq(checked.window_until),
        demands::version.eq(before.version + 1),
        demands::updated_at.eq(now()),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(ApiError::stale("demand"));
    }
    let row = load_row(conn, id)?;
    let after = with_warning(conn, &row)?;
    audit::record(
        conn,
        Entry {
            actor: Some(&user.id),
            action: "demand.updated",
            object_type: "demand",
            object_id: id,
            reason: None,
        },
        Some(&current),
        Some(&after),
    )?;
    Ok(after)
}

/// Claims the hourly digest of a demand: true for the one caller (of several instances) that
/// moves `last_digest_at` past the hour.
pub fn claim_digest(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
    let at = now();
    let hour_ago = at - chrono::Duration::hours(1);
    let claimed = diesel::update(
        demands::table.find(id).filter(
            demands::last_digest_at
                .is_null()
                .or(demands::last_digest_at.le(hour_ago)),
        ),
    )
    .set(demands::last_digest_at.eq(at))
    .execute(conn)?;
    Ok(claimed == 1)
}
