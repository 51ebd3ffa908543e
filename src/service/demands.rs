//! Demands ("wanted"), matching them with lots, the hourly match digests, and the alliance board
//! of stranded streams. The database applies the hard filters it can index (category, a bounding
//! box, availability, price); the domain module ranks what is left in memory.

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::{
    demand_digest_items, demands, listing_grades, listing_properties, listings, offers,
    organizations, sites,
};
use crate::db::{DbConnection, now};
use crate::domain::grading::{Properties, PropertyValue, at_least};
use crate::domain::listing::{DeliveryTerms, ListingStatus, SupplyPattern, bounding_box};
use crate::domain::matching::{Bound, Breakdown, Lot, Params, Ranked, Want, evaluate, rank};
use crate::domain::offer::IntendedUse;
use crate::domain::organization::OrgKind;
use crate::domain::quantity::{format_tonnes, format_yuan};
use crate::error::ApiError;
use crate::service::access::CurrentUser;
use crate::service::audit::{self, Entry};
use crate::service::catalog::Catalog;
use crate::service::listings::{
    Checks, Decimal, Listing, ListingRow, load_row as load_listing, views,
};
use crate::service::notifications::{Notice, notify_owners};
use crate::service::search::{grade_among, property_within, within_km};
use crate::service::tokens::new_id;

text_enum! {
    pub enum DemandStatus {
        Open => "open",
        Paused => "paused",
        Fulfilled => "fulfilled",
        Closed => "closed",
    }
}

/// Most candidate lots ranked for one demand; beyond it the nearest are kept.
const MAX_CANDIDATES: i64 = 20_000;

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemandInput {
    #[schema(min_length = 3, max_length = 200)]
    pub title: String,
    /// GB/T 39198 codes, 1–5.
    pub categories: Vec<String>,
    #[serde(default)]
    pub subtypes: Vec<String>,
    /// Lab value limits, e.g. `{"loi_pct": {"max": 8.0}}`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub property_bounds: BTreeMap<String, Bound>,
    /// Minimum grades by rule, e.g. `{"fly_ash": "II"}` (that grade or better).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub min_grades: BTreeMap<String, String>,
    /// Tonnes wanted (per month when recurring).
    pub quantity_t: Decimal,
    pub supply_pattern: SupplyPattern,
    pub site_id: String,
    #[schema(minimum = 1, maximum = 2000)]
    pub max_distance_km: f64,
    /// The most it pays per tonne, or (negative) the least gate fee it accepts.
    pub price_limit_per_t: Decimal,
    pub window_from: Option<DateTime<Utc>>,
    pub window_until: Option<DateTime<Utc>>,
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
    #[schema(value_type = Object)]
    pub property_bounds: BTreeMap<String, Bound>,
    #[schema(value_type = Object)]
    pub min_grades: BTreeMap<String, String>,
    pub quantity_t: String,
    pub supply_pattern: SupplyPattern,
    pub site_id: String,
    pub region_code: String,
    pub max_distance_km: f64,
    pub price_limit_per_t: String,
    pub window_from: DateTime<Utc>,
    pub window_until: Option<DateTime<Utc>>,
    pub intended_use: IntendedUse,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
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
    pub supply_pattern: String,
    pub max_distance_km: f64,
    pub price_limit_fen: i64,
    pub window_from: NaiveDateTime,
    pub window_until: Option<NaiveDateTime>,
    pub intended_use: String,
    pub status: String,
    pub region_code: String,
    pub lat: f64,
    pub lon: f64,
    pub last_digest_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
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
            quantity_kg: self.quantity_kg,
            max_distance_km: self.max_distance_km,
            price_limit_fen: self.price_limit_fen,
            window_from: self.window_from,
            window_until: self.window_until,
            lat: self.lat,
            lon: self.lon,
        }
    }

    pub fn view(&self) -> Demand {
        let want = self.want();
        Demand {
            id: self.id.clone(),
            organization_id: self.organization_id.clone(),
            status: DemandStatus::parse(&self.status).unwrap_or(DemandStatus::Open),
            title: self.title.clone(),
            categories: want.categories,
            subtypes: want.subtypes,
            property_bounds: want.bounds,
            min_grades: want.min_grades,
            quantity_t: format_tonnes(self.quantity_kg),
            supply_pattern: SupplyPattern::parse(&self.supply_pattern)
                .unwrap_or(SupplyPattern::OneOff),
            site_id: self.site_id.clone(),
            region_code: self.region_code.clone(),
            max_distance_km: self.max_distance_km,
            price_limit_per_t: format_yuan(self.price_limit_fen),
            window_from: self.window_from.and_utc(),
            window_until: self.window_until.map(|t| t.and_utc()),
            intended_use: IntendedUse::parse(&self.intended_use).unwrap_or(IntendedUse::Other),
            version: self.version,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        }
    }
}

pub fn load_row(conn: &mut DbConnection, id: &str) -> Result<DemandRow, ApiError> {
    Ok(demands::table.find(id).first(conn)?)
}

struct CheckedDemand {
    quantity_kg: i64,
    price_limit_fen: i64,
    window_from: NaiveDateTime,
    window_until: Option<NaiveDateTime>,
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
    if input.property_bounds.len() > 20 {
        c.push("property_bounds", "too_many", "at most 20 bounds");
    }
    for (key, bound) in &input.property_bounds {
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
    for (rule, grade) in &input.min_grades {
        if at_least(rule, grade).is_none() {
            c.push(
                &format!("min_grades.{rule}"),
                "unknown_grade",
                "is not a grade of that rule",
            );
        }
    }
    let quantity_kg = c.tonnes("quantity_t", &input.quantity_t);
    let price_limit_fen = c.yuan("price_limit_per_t", &input.price_limit_per_t);
    if !(1.0..=2000.0).contains(&input.max_distance_km) {
        c.push(
            "max_distance_km",
            "out_of_range",
            "must be between 1 and 2000",
        );
    }
    let window_from = input.window_from.map_or_else(now, |t| t.naive_utc());
    let window_until = input.window_until.map(|t| t.naive_utc());
    if window_until.is_some_and(|u| u <= window_from) {
        c.push("window_until", "before_start", "must be after window_from");
    }
    c.finish()?;
    Ok(CheckedDemand {
        quantity_kg: quantity_kg.unwrap_or_default(),
        price_limit_fen: price_limit_fen.unwrap_or_default(),
        window_from,
        window_until,
    })
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
            demands::supply_pattern.eq(input.supply_pattern.as_str()),
            demands::max_distance_km.eq(input.max_distance_km),
            demands::price_limit_fen.eq(checked.price_limit_fen),
            demands::window_from.eq(checked.window_from),
            demands::window_until.eq(checked.window_until),
            demands::intended_use.eq(input.intended_use.as_str()),
            demands::status.eq(DemandStatus::Open.as_str()),
            demands::region_code.eq(region),
            demands::lat.eq(lat),
            demands::lon.eq(lon),
            demands::created_at.eq(at),
            demands::updated_at.eq(at),
        ))
        .execute(conn)?;
    let demand = load_row(conn, &id)?.view();
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
fn readable(conn: &mut DbConnection, user: &CurrentUser, id: &str) -> Result<DemandRow, ApiError> {
    let row = load_row(conn, id)?;
    if !(user.belongs_to(&row.organization_id) || user.is_staff()) {
        return Err(ApiError::not_found());
    }
    Ok(row)
}

pub fn get(conn: &mut DbConnection, user: &CurrentUser, id: &str) -> Result<Demand, ApiError> {
    Ok(readable(conn, user, id)?.view())
}

pub fn list(
    conn: &mut DbConnection,
    user: &CurrentUser,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Demand>, ApiError> {
    let mut q = demands::table
        .order(demands::id.asc())
        .limit(limit)
        .into_boxed();
    if !user.is_staff() {
        q = q.filter(demands::organization_id.eq(user.organization_id.clone().unwrap_or_default()));
    }
    if let Some(after) = after {
        q = q.filter(demands::id.gt(after.to_string()));
    }
    Ok(q.load::<DemandRow>(conn)?
        .iter()
        .map(DemandRow::view)
        .collect())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemandPatch {
    /// `open`, `paused`, `fulfilled` or `closed`.
    pub status: Option<DemandStatus>,
    #[schema(minimum = 1, maximum = 2000)]
    pub max_distance_km: Option<f64>,
    pub price_limit_per_t: Option<Decimal>,
    pub quantity_t: Option<Decimal>,
    pub window_until: Option<DateTime<Utc>>,
    #[schema(min_length = 3, max_length = 200)]
    pub title: Option<String>,
}

/// Edits a demand (its organization's members): status, distance, price limit, quantity, window, title.
pub fn update(
    conn: &mut DbConnection,
    catalog: &Catalog,
    user: &CurrentUser,
    id: &str,
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
            .unwrap_or(Decimal::Text(current.quantity_t.clone())),
        supply_pattern: current.supply_pattern,
        site_id: current.site_id.clone(),
        max_distance_km: patch.max_distance_km.unwrap_or(current.max_distance_km),
        price_limit_per_t: patch
            .price_limit_per_t
            .clone()
            .unwrap_or(Decimal::Text(current.price_limit_per_t.clone())),
        window_from: Some(current.window_from),
        window_until: patch.window_until.or(current.window_until),
        intended_use: current.intended_use,
    };
    let checked = check(catalog, &input)?;
    let changed = diesel::update(
        demands::table
            .find(id)
            .filter(demands::version.eq(before.version)),
    )
    .set((
        demands::title.eq(input.title.trim()),
        demands::status.eq(patch.status.unwrap_or(current.status).as_str()),
        demands::max_distance_km.eq(input.max_distance_km),
        demands::price_limit_fen.eq(checked.price_limit_fen),
        demands::quantity_kg.eq(checked.quantity_kg),
        demands::window_until.eq(checked.window_until),
        demands::version.eq(before.version + 1),
        demands::updated_at.eq(now()),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(crate::service::listings::stale());
    }
    let after = load_row(conn, id)?.view();
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

/// The columns matching reads: a candidate costs a fraction of a full listing row.
#[derive(Queryable, Debug, Clone)]
pub struct MatchRow {
    pub id: String,
    pub category_code: String,
    pub subtype: Option<String>,
    pub search_price_fen: Option<i64>,
    pub delivery_terms: String,
    pub remaining_kg: i64,
    pub min_order_kg: i64,
    pub lat: f64,
    pub lon: f64,
    pub available_from: NaiveDateTime,
    pub available_until: Option<NaiveDateTime>,
    pub published_at: Option<NaiveDateTime>,
    pub identification_report_ref: Option<String>,
}

type MatchColumns = (
    listings::id,
    listings::category_code,
    listings::subtype,
    listings::search_price_fen,
    listings::delivery_terms,
    listings::remaining_kg,
    listings::min_order_kg,
    listings::lat,
    listings::lon,
    listings::available_from,
    listings::available_until,
    listings::published_at,
    listings::identification_report_ref,
);

const MATCH_COLUMNS: MatchColumns = (
    listings::id,
    listings::category_code,
    listings::subtype,
    listings::search_price_fen,
    listings::delivery_terms,
    listings::remaining_kg,
    listings::min_order_kg,
    listings::lat,
    listings::lon,
    listings::available_from,
    listings::available_until,
    listings::published_at,
    listings::identification_report_ref,
);

impl From<&ListingRow> for MatchRow {
    fn from(r: &ListingRow) -> Self {
        Self {
            id: r.id.clone(),
            category_code: r.category_code.clone(),
            subtype: r.subtype.clone(),
            search_price_fen: r.search_price_fen,
            delivery_terms: r.delivery_terms.clone(),
            remaining_kg: r.remaining_kg,
            min_order_kg: r.min_order_kg,
            lat: r.lat,
            lon: r.lon,
            available_from: r.available_from,
            available_until: r.available_until,
            published_at: r.published_at,
            identification_report_ref: r.identification_report_ref.clone(),
        }
    }
}

/// Listing rows to matching facts, with their lab values and grades (in chunks of 500 ids).
/// `only`: load just the lab values and grades this demand looks at (the others do not change
/// its score); `None` loads everything.
fn lots(
    conn: &mut DbConnection,
    catalog: &Catalog,
    rows: &[MatchRow],
    only: Option<&Want>,
) -> QueryResult<Vec<Lot>> {
    let mut props: HashMap<String, Properties> = HashMap::new();
    let mut grades: HashMap<String, BTreeMap<String, String>> = HashMap::new();
    let keys: Option<Vec<&String>> = only.map(|w| w.bounds.keys().collect());
    let rules: Option<Vec<&String>> = only.map(|w| w.min_grades.keys().collect());
    for chunk in rows.chunks(500) {
        let ids: Vec<&str> = chunk.iter().map(|r| r.id.as_str()).collect();
        let mut pq = listing_properties::table
            .filter(listing_properties::listing_id.eq_any(&ids))
            .into_boxed();
        if let Some(keys) = &keys {
            pq = pq.filter(listing_properties::property_key.eq_any(keys.clone()));
        }
        let mut gq = listing_grades::table
            .filter(listing_grades::listing_id.eq_any(&ids))
            .into_boxed();
        if let Some(rules) = &rules {
            gq = gq.filter(listing_grades::rule.eq_any(rules.clone()));
        }
        // A demand without bounds (or minimum grades) needs no lab values (or grades) at all.
        let props_rows = if keys.as_ref().is_some_and(Vec::is_empty) {
            Vec::new()
        } else {
            pq.load::<(String, String, Option<f64>, Option<String>)>(conn)?
        };
        for (lid, key, num, text) in props_rows {
            let value = match (num, text) {
                (Some(n), _) => PropertyValue::Number(n),
                (None, Some(t)) => PropertyValue::Text(t),
                (None, None) => continue,
            };
            props.entry(lid).or_default().insert(key, value);
        }
        let grade_rows = if rules.as_ref().is_some_and(Vec::is_empty) {
            Vec::new()
        } else {
            gq.select((
                listing_grades::listing_id,
                listing_grades::rule,
                listing_grades::grade,
            ))
            .load::<(String, String, String)>(conn)?
        };
        for (lid, rule, grade) in grade_rows {
            grades.entry(lid).or_default().insert(rule, grade);
        }
    }
    Ok(rows
        .iter()
        .map(|r| {
            let needs = catalog.category(&r.category_code).is_some_and(|c| {
                c.needs_identification
                    || r.subtype.as_ref().is_some_and(|s| {
                        c.subtypes
                            .iter()
                            .any(|t| &t.code == s && t.needs_identification)
                    })
            });
            Lot {
                id: r.id.clone(),
                category: r.category_code.clone(),
                subtype: r.subtype.clone(),
                properties: props.remove(&r.id).unwrap_or_default(),
                grades: grades.remove(&r.id).unwrap_or_default(),
                price_fen: r.search_price_fen,
                delivered: r.delivery_terms == DeliveryTerms::Delivered.as_str(),
                remaining_kg: r.remaining_kg,
                min_order_kg: r.min_order_kg,
                lat: r.lat,
                lon: r.lon,
                available_from: r.available_from,
                available_until: r.available_until,
                published_at: r.published_at,
                identification_missing: needs && r.identification_report_ref.is_none(),
            }
        })
        .collect())
}

/// Published lots that pass the hard filters the database can check for this demand.
fn candidates(conn: &mut DbConnection, want: &Want) -> QueryResult<Vec<MatchRow>> {
    let b = bounding_box(want.lat, want.lon, want.max_distance_km);
    let mut q = listings::table
        .filter(listings::status.eq(ListingStatus::Published.as_str()))
        .filter(listings::category_code.eq_any(want.categories.clone()))
        .filter(listings::lat.between(b.min_lat, b.max_lat))
        .filter(listings::lon.between(b.min_lon, b.max_lon))
        .filter(within_km(want.lat, want.lon, want.max_distance_km))
        .filter(
            listings::available_until
                .is_null()
                .or(listings::available_until.ge(want.window_from.max(now()))),
        )
        // Freight only adds to the price, so a price above the limit can never land within it.
        .filter(
            listings::search_price_fen
                .is_null()
                .or(listings::search_price_fen.le(want.price_limit_fen)),
        )
        .filter(listings::min_order_kg.le(want.quantity_kg))
        .select(MATCH_COLUMNS)
        .order(listings::id.asc())
        .limit(MAX_CANDIDATES)
        .into_boxed();
    if let Some(until) = want.window_until {
        q = q.filter(listings::available_from.le(until));
    }
    for (key, bound) in &want.bounds {
        q = q.filter(property_within(
            key,
            bound.min.unwrap_or(f64::MIN),
            bound.max.unwrap_or(f64::MAX),
        ));
    }
    for (rule, grade) in &want.min_grades {
        let accepted = at_least(rule, grade).unwrap_or_default();
        q = q.filter(grade_among(rule, &accepted));
    }
    q.load(conn)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListingMatch {
    pub listing: Listing,
    pub breakdown: Breakdown,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DemandMatch {
    pub demand: Demand,
    pub breakdown: Breakdown,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MatchQuery {
    /// Opaque cursor from the previous page.
    #[param(max_length = 200)]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

#[derive(Serialize, Deserialize)]
struct MatchCursor {
    s: f64,
    i: String,
}

/// A page of ranked matches after the cursor (score descending, then id).
fn page<T>(
    ranked: Vec<(String, Breakdown, T)>,
    cursor: Option<&str>,
    limit: i64,
) -> Result<(Ranked<T>, Option<String>), ApiError> {
    let after = match cursor {
        None => None,
        Some(text) => Some(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(text)
                .ok()
                .and_then(|b| serde_json::from_slice::<MatchCursor>(&b).ok())
                .ok_or_else(|| {
                    ApiError::field(
                        "cursor",
                        "invalid_cursor",
                        "is not a cursor of these matches",
                    )
                })?,
        ),
    };
    let items: Vec<_> = ranked
        .into_iter()
        .filter(|(id, b, _)| {
            after
                .as_ref()
                .is_none_or(|c| b.score < c.s || (b.score == c.s && id > &c.i))
        })
        .take(limit as usize)
        .collect();
    let next = (items.len() as i64 == limit)
        .then(|| items.last())
        .flatten()
        .map(|(id, b, _)| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
                serde_json::to_vec(&MatchCursor {
                    s: b.score,
                    i: id.clone(),
                })
                .unwrap_or_default(),
            )
        });
    Ok((items, next))
}

fn limit_of(q: &MatchQuery) -> Result<i64, ApiError> {
    match q.limit {
        None => Ok(20),
        Some(l) if (1..=100).contains(&l) => Ok(l),
        Some(_) => Err(ApiError::field(
            "limit",
            "range",
            "must be between 1 and 100",
        )),
    }
}

/// Ranked lots for a demand (its organization and staff).
pub fn matches_for_demand(
    conn: &mut DbConnection,
    catalog: &Catalog,
    params: &Params,
    user: &CurrentUser,
    id: &str,
    q: &MatchQuery,
) -> Result<(Vec<ListingMatch>, Option<String>), ApiError> {
    let limit = limit_of(q)?;
    let demand = readable(conn, user, id)?;
    let ranked = rank_lots(conn, catalog, params, &demand.want())?;
    let (items, next) = page(ranked, q.cursor.as_deref(), limit)?;
    // Full rows only for the page, in its order.
    let ids: Vec<&str> = items.iter().map(|(id, _, _)| id.as_str()).collect();
    let mut by_id: HashMap<String, ListingRow> = listings::table
        .filter(listings::id.eq_any(&ids))
        .load::<ListingRow>(conn)?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    let rows: Vec<ListingRow> = ids.iter().filter_map(|id| by_id.remove(*id)).collect();
    let listings = views(conn, rows)?;
    let matches = listings
        .into_iter()
        .zip(items)
        .map(|(listing, (_, breakdown, _))| ListingMatch { listing, breakdown })
        .collect();
    Ok((matches, next))
}

pub fn rank_lots(
    conn: &mut DbConnection,
    catalog: &Catalog,
    params: &Params,
    want: &Want,
) -> Result<Ranked<()>, ApiError> {
    let rows = candidates(conn, want)?;
    let facts = lots(conn, catalog, &rows, Some(want))?;
    let mut ranked: Ranked<()> = facts
        .iter()
        .filter_map(|lot| {
            evaluate(want, lot, params)
                .ok()
                .map(|b| (lot.id.clone(), b, ()))
        })
        .collect();
    rank(&mut ranked);
    Ok(ranked)
}

/// Open demands that a lot matches, ranked.
pub fn rank_demands(
    conn: &mut DbConnection,
    catalog: &Catalog,
    params: &Params,
    listing: &ListingRow,
) -> Result<Ranked<DemandRow>, ApiError> {
    let lot = lots(conn, catalog, &[MatchRow::from(listing)], None)?.remove(0);
    let open: Vec<DemandRow> = demands::table
        .filter(demands::status.eq(DemandStatus::Open.as_str()))
        .filter(demands::categories.like(format!("%{}%", listing.category_code)))
        .load(conn)?;
    let mut ranked: Ranked<DemandRow> = open
        .into_iter()
        .filter_map(|d| {
            evaluate(&d.want(), &lot, params)
                .ok()
                .map(|b| (d.id.clone(), b, d))
        })
        .collect();
    rank(&mut ranked);
    Ok(ranked)
}

/// Ranked open demands for a lot (its producer and staff).
pub fn matches_for_listing(
    conn: &mut DbConnection,
    catalog: &Catalog,
    params: &Params,
    user: &CurrentUser,
    id: &str,
    q: &MatchQuery,
) -> Result<(Vec<DemandMatch>, Option<String>), ApiError> {
    let limit = limit_of(q)?;
    let listing = load_listing(conn, id)?;
    if !(user.belongs_to(&listing.organization_id) || user.is_staff()) {
        return Err(ApiError::not_found());
    }
    let ranked = rank_demands(conn, catalog, params, &listing)?;
    let (items, next) = page(ranked, q.cursor.as_deref(), limit)?;
    Ok((
        items
            .into_iter()
            .map(|(_, breakdown, d)| DemandMatch {
                demand: d.view(),
                breakdown,
            })
            .collect(),
        next,
    ))
}

/// A lot was published: every open demand it matches gets it queued for its digest; demands not
/// told within the last hour are told now.
pub fn queue_matches(
    conn: &mut DbConnection,
    catalog: &Catalog,
    params: &Params,
    listing_id: &str,
) -> Result<(), ApiError> {
    let listing = load_listing(conn, listing_id)?;
    let at = now();
    for (_, _, demand) in rank_demands(conn, catalog, params, &listing)? {
        let queued: i64 = demand_digest_items::table
            .filter(demand_digest_items::demand_id.eq(&demand.id))
            .filter(demand_digest_items::listing_id.eq(listing_id))
            .count()
            .get_result(conn)?;
        if queued == 0 {
            diesel::insert_into(demand_digest_items::table)
                .values((
                    demand_digest_items::demand_id.eq(&demand.id),
                    demand_digest_items::listing_id.eq(listing_id),
                    demand_digest_items::created_at.eq(at),
                ))
                .execute(conn)?;
        }
        send_digest_if_due(conn, &demand.id)?;
    }
    Ok(())
}

/// Sends one digest for a demand if it has queued matches and was not told within the hour. The
/// conditional update on `last_digest_at` makes two instances racing send it once.
pub fn send_digest_if_due(conn: &mut DbConnection, demand_id: &str) -> Result<bool, ApiError> {
    let at = now();
    let hour_ago = at - Duration::hours(1);
    let items: Vec<String> = demand_digest_items::table
        .filter(demand_digest_items::demand_id.eq(demand_id))
        .select(demand_digest_items::listing_id)
        .order(demand_digest_items::listing_id.asc())
        .load(conn)?;
    if items.is_empty() {
        return Ok(false);
    }
    let claimed = diesel::update(
        demands::table.find(demand_id).filter(
            demands::last_digest_at
                .is_null()
                .or(demands::last_digest_at.le(hour_ago)),
        ),
    )
    .set(demands::last_digest_at.eq(at))
    .execute(conn)?;
    if claimed == 0 {
        return Ok(false);
    }
    let demand = load_row(conn, demand_id)?;
    let titles: Vec<String> = listings::table
        .filter(listings::id.eq_any(&items))
        .select(listings::title)
        .order(listings::id.asc())
        .load(conn)?;
    diesel::delete(demand_digest_items::table.filter(demand_digest_items::demand_id.eq(demand_id)))
        .execute(conn)?;
    let list = titles
        .iter()
        .map(|t| format!("• {t}"))
        .collect::<Vec<_>>()
        .join("\n");
    notify_owners(
        conn,
        &demand.organization_id,
        &Notice {
            kind: "match_found",
            title_zh: format!("有 {} 个挂牌符合您的需求：{}", titles.len(), demand.title),
            title_en: format!(
                "{} new lot(s) match your demand: {}",
                titles.len(),
                demand.title
            ),
            body_zh: list.clone(),
            body_en: list,
            object_type: Some("demand"),
            object_id: Some(demand_id),
        },
    )?;
    Ok(true)
}

/// Housekeeping: digests whose hour has passed.
pub fn send_due_digests(conn: &mut DbConnection) -> Result<usize, ApiError> {
    let waiting: Vec<String> = demand_digest_items::table
        .select(demand_digest_items::demand_id)
        .distinct()
        .load(conn)?;
    let mut sent = 0;
    for id in waiting {
        if send_digest_if_due(conn, &id)? {
            sent += 1;
        }
    }
    Ok(sent)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StrandedListing {
    pub listing: Listing,
    pub days_without_offer: i64,
    /// The best open demands for it, if any.
    pub best_matches: Vec<DemandMatch>,
}

/// Published lots without any offer after `days` (staff and research organizations).
pub fn stranded(
    conn: &mut DbConnection,
    catalog: &Catalog,
    params: &Params,
    user: &CurrentUser,
    days: i64,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<StrandedListing>, ApiError> {
    if !user.is_staff() {
        let org = user.require_verified_member()?;
        let kinds: String = organizations::table
            .find(org)
            .select(organizations::kinds)
            .first(conn)?;
        if !OrgKind::split(&kinds).contains(&OrgKind::Research) {
            return Err(ApiError::forbidden(
                "staff_or_research",
                "The stranded-streams board is for alliance staff and research organizations.",
            ));
        }
    }
    let cutoff = now() - Duration::days(days);
    let mut q = listings::table
        .filter(listings::status.eq(ListingStatus::Published.as_str()))
        .filter(listings::published_at.le(cutoff))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            offers::table.filter(offers::listing_id.eq(listings::id)),
        )))
        .order(listings::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(listings::id.gt(after.to_string()));
    }
    let rows: Vec<ListingRow> = q.load(conn)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let best = rank_demands(conn, catalog, params, &row)?
            .into_iter()
            .take(3)
            .map(|(_, breakdown, d)| DemandMatch {
                demand: d.view(),
                breakdown,
            })
            .collect();
        let days_without_offer = row.published_at.map_or(0, |p| (params.now - p).num_days());
        let listing = views(conn, vec![row])?.remove(0);
        out.push(StrandedListing {
            listing,
            days_without_offer,
            best_matches: best,
        });
    }
    Ok(out)
}
