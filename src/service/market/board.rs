//! The public market board: published lots and open demands as anyone may see them — category,
//! grade, tonnage, district, availability, and a price only where a lot has a fixed public one.
//! Never a title or description (free text may name a company), never a company, never an
//! offer, never a demand's price limit, never a site's exact position: the map gets each
//! district's tonnage at the mean of its sites, rounded to a tenth of a degree.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Deserialize;

use crate::db::schema::{demands, listing_grades, listings};
use crate::db::{DbConnection, now};
use crate::domain::grading;
use crate::error::ApiError;
use crate::service::input::Checks;
use crate::service::market::search::grade_among;

/// Lots and demands shown at most; the counts say how many match.
pub const SHOWN: i64 = 100;

/// The board's filters, as a form sends them (an empty field is no filter).
#[derive(Debug, Default, Deserialize)]
pub struct BoardFilter {
    pub category: Option<String>,
    pub district: Option<String>,
    /// `rule:grade`, that grade or better (lots only).
    pub grade: Option<String>,
}

impl BoardFilter {
    fn set(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    pub fn category(&self) -> Option<&str> {
        Self::set(&self.category)
    }
    pub fn district(&self) -> Option<&str> {
        Self::set(&self.district)
    }
    pub fn grade(&self) -> Option<&str> {
        Self::set(&self.grade)
    }
}

pub struct BoardLot {
    pub id: String,
    pub category: String,
    pub subtype: Option<String>,
    /// `(rule, grade)`.
    pub grades: Vec<(String, String)>,
    pub remaining_kg: i64,
    pub monthly_kg: Option<i64>,
    pub region_code: String,
    pub available_from: NaiveDateTime,
    pub available_until: Option<NaiveDateTime>,
    /// Fen per tonne, for a fixed-price lot only.
    pub price_fen_per_t: Option<i64>,
    pub delivered: bool,
}

pub struct BoardDemand {
    pub categories: Vec<String>,
    pub quantity_kg: i64,
    pub monthly_kg: Option<i64>,
    pub region_code: String,
    pub window_from: NaiveDateTime,
    pub window_until: Option<NaiveDateTime>,
    pub intended_use: String,
}

/// A district on the map: tonnes on offer and wanted, at the rounded mean of its positions.
pub struct DistrictSpot {
    pub code: String,
    pub lat: f64,
    pub lon: f64,
    pub offered_kg: i64,
    pub wanted_kg: i64,
}

pub struct Board {
    pub lots: Vec<BoardLot>,
    pub lots_matching: i64,
    pub demands: Vec<BoardDemand>,
    pub demands_matching: i64,
    pub districts: Vec<DistrictSpot>,
    /// Every `(rule, grade)` a published lot has, for the filter.
    pub grade_choices: Vec<(String, String)>,
    /// Every district with a published lot or an open demand, for the filter.
    pub district_choices: Vec<String>,
}

type LotTuple = (
    String,
    String,
    Option<String>,
    i64,
    Option<i64>,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    String,
    Option<i64>,
    String,
    f64,
    f64,
);

type DemandTuple = (
    String,
    i64,
    Option<i64>,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    String,
    f64,
    f64,
);

/// Checks the filters: a category of the catalog, a 6-digit district, a grade of a rule.
pub fn check(filter: &BoardFilter, categories: &[String]) -> Result<(), ApiError> {
    let mut c = Checks::default();
    if filter
        .category()
        .is_some_and(|code| !categories.iter().any(|k| k == code))
    {
        c.push(
            "category",
            "unknown_category",
            "not a category of the catalog",
        );
    }
    if filter
        .district()
        .is_some_and(|d| d.len() != 6 || !d.bytes().all(|b| b.is_ascii_digit()))
    {
        c.push(
            "district",
            "invalid_region",
            "must be a 6-digit GB/T 2260 code",
        );
    }
    if filter.grade().is_some_and(|g| {
        g.split_once(':')
            .and_then(|(rule, grade)| grading::at_least(rule, grade))
            .is_none()
    }) {
        c.push(
            "grade",
            "unknown_grade",
            "use rule:grade of the catalog, e.g. fly_ash:II",
        );
    }
    c.finish()
}

/// The board for these (checked) filters.
pub fn board(conn: &mut DbConnection, filter: &BoardFilter) -> Result<Board, ApiError> {
    let at = now();
    let live_lots = || {
        listings::table
            .filter(listings::status.eq("published"))
            .filter(listings::remaining_kg.gt(0))
            .filter(
                listings::available_until
                    .is_null()
                    .or(listings::available_until.gt(at)),
            )
            .into_boxed()
    };
    let mut lots = live_lots();
    if let Some(code) = filter.category() {
        lots = lots.filter(listings::category_code.eq(code.to_string()));
    }
    if let Some(d) = filter.district() {
        lots = lots.filter(listings::region_code.eq(d.to_string()));
    }
    if let Some((rule, grade)) = filter.grade().and_then(|g| g.split_once(':')) {
        let grades = grading::at_least(rule, grade).unwrap_or_default();
        lots = lots.filter(grade_among(rule, &grades));
    }
    let rows: Vec<LotTuple> = lots
        .order(listings::id.desc())
        .select((
            listings::id,
            listings::category_code,
            listings::subtype,
            listings::remaining_kg,
            listings::monthly_kg,
            listings::region_code,
            listings::available_from,
            listings::available_until,
            listings::pricing_model,
            listings::price_fen_per_t,
            listings::delivery_terms,
            listings::lat,
            listings::lon,
        ))
        .load(conn)?;

    let live_demands = || {
        demands::table
            .filter(demands::status.eq("open"))
            .filter(
                demands::window_until
                    .is_null()
                    .or(demands::window_until.gt(at)),
            )
            .into_boxed()
    };
    let mut wanted = live_demands();
    if let Some(code) = filter.category() {
        // Categories are stored as `SW01,SW02`.
        wanted = wanted.filter(
            demands::categories
                .eq(code.to_string())
                .or(demands::categories.like(format!("{code},%")))
                .or(demands::categories.like(format!("%,{code}")))
                .or(demands::categories.like(format!("%,{code},%"))),
        );
    }
    if let Some(d) = filter.district() {
        wanted = wanted.filter(demands::region_code.eq(d.to_string()));
    }
    let demand_rows: Vec<DemandTuple> = wanted
        .order(demands::id.desc())
        .select((
            demands::categories,
            demands::quantity_kg,
            demands::monthly_kg,
            demands::region_code,
            demands::window_from,
            demands::window_until,
            demands::intended_use,
            demands::lat,
            demands::lon,
        ))
        .load(conn)?;

    // The map: every matching lot and demand, summed by district.
    let mut spots: BTreeMap<String, (f64, f64, usize, i64, i64)> = BTreeMap::new();
    for r in &rows {
        let s = spots.entry(r.5.clone()).or_default();
        (s.0, s.1, s.2, s.3) = (s.0 + r.11, s.1 + r.12, s.2 + 1, s.3 + r.3);
    }
    for r in &demand_rows {
        let s = spots.entry(r.3.clone()).or_default();
        (s.0, s.1, s.2, s.4) = (s.0 + r.7, s.1 + r.8, s.2 + 1, s.4 + r.1);
    }
    let tenth = |v: f64| (v * 10.0).round() / 10.0;
    let districts = spots
        .into_iter()
        .map(|(code, (lat, lon, n, offered, wanted))| DistrictSpot {
            code,
            lat: tenth(lat / n as f64),
            lon: tenth(lon / n as f64),
            offered_kg: offered,
            wanted_kg: wanted,
        })
        .collect();

    let lots_matching = rows.len() as i64;
    let shown: Vec<LotTuple> = rows.into_iter().take(SHOWN as usize).collect();
    let ids: Vec<&String> = shown.iter().map(|r| &r.0).collect();
    let mut grades: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (id, rule, grade) in listing_grades::table
        .filter(listing_grades::listing_id.eq_any(&ids))
        .order((listing_grades::listing_id, listing_grades::rule))
        .select((
            listing_grades::listing_id,
            listing_grades::rule,
            listing_grades::grade,
        ))
        .load::<(String, String, String)>(conn)?
    {
        grades.entry(id).or_default().push((rule, grade));
    }
    let lots = shown
        .into_iter()
        .map(|r| BoardLot {
            grades: grades.remove(&r.0).unwrap_or_default(),
            id: r.0,
            category: r.1,
            subtype: r.2,
            remaining_kg: r.3,
            monthly_kg: r.4,
            region_code: r.5,
            available_from: r.6,
            available_until: r.7,
            price_fen_per_t: r.9.filter(|_| r.8 == "fixed"),
            delivered: r.10 == "delivered",
        })
        .collect();
    let demands_matching = demand_rows.len() as i64;
    let demands = demand_rows
        .into_iter()
        .take(SHOWN as usize)
        .map(|r| BoardDemand {
            categories: r
                .0
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            quantity_kg: r.1,
            monthly_kg: r.2,
            region_code: r.3,
            window_from: r.4,
            window_until: r.5,
            intended_use: r.6,
        })
        .collect();

    let grade_choices: Vec<(String, String)> = listing_grades::table
        .inner_join(listings::table)
        .filter(listings::status.eq("published"))
        .select((listing_grades::rule, listing_grades::grade))
        .distinct()
        .order((listing_grades::rule, listing_grades::grade))
        .load(conn)?;
    let mut district_choices: Vec<String> = live_lots()
        .select(listings::region_code)
        .distinct()
        .load(conn)?;
    district_choices.extend(
        live_demands()
            .select(demands::region_code)
            .distinct()
            .load::<String>(conn)?,
    );
    district_choices.sort();
    district_choices.dedup();
    Ok(Board {
        lots,
        lots_matching,
        demands,
        demands_matching,
        districts,
        grade_choices,
        district_choices,
    })
}
