//! Listing search for verified users: filters, four sort orders, keyset pagination. Every filter
//! runs in the database on indexed columns; distance uses a bounding box the indexes can serve and
//! planar arithmetic that both backends have, and the exact great-circle distance is reported.

use chrono::{NaiveDate, NaiveTime};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Double, Text};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::db::schema::listings;
use crate::db::{DbConnection, MultiBackend, now, text};
use crate::domain::grading::at_least;
use crate::domain::listing::{
    DeliveryTerms, ListingStatus, bounding_box, haversine_km, km_per_degree_lat, km_per_degree_lon,
    search_words,
};
use crate::domain::quantity::{parse_tonnes, parse_yuan};
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::input::Checks;
use crate::service::market::lots::{Listing, ListingRow, views};
use crate::service::page::{DEFAULT_LIMIT, Page, PageQuery};

text_enum! {
    pub enum SortOrder {
        Newest => "newest",
        PriceAsc => "price_asc",
        PriceDesc => "price_desc",
        Distance => "distance",
        QuantityDesc => "quantity_desc",
        QuantityAsc => "quantity_asc",
    }
}

#[derive(Debug, Default, Deserialize, IntoParams, validator::Validate)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// GB/T 39198 category code, e.g. `SW02`.
    #[param(max_length = 20)]
    #[validate(length(max = 20))]
    pub category: Option<String>,
    #[param(max_length = 40)]
    #[validate(length(max = 40))]
    pub subtype: Option<String>,
    /// `rule:grade`, that grade or better: `fly_ash:II` (I or II), `steel_slag_aggregate:pass`,
    /// `radioactivity:pass`.
    #[param(max_length = 60, pattern = "^[a-z0-9_]{1,40}:[A-Za-z0-9_]{1,19}$")]
    #[validate(length(max = 60))]
    pub grade: Option<String>,
    /// Administrative division code or its prefix: `1502` is all of Baotou, `150203` 昆都仑区.
    #[param(max_length = 6, pattern = "^[0-9]{2,6}$")]
    #[validate(length(max = 6))]
    pub region_code: Option<String>,
    #[param(minimum = -90.0, maximum = 90.0)]
    #[validate(range(min = -90.0, max = 90.0))]
    pub near_lat: Option<f64>,
    #[param(minimum = -180.0, maximum = 180.0)]
    #[validate(range(min = -180.0, max = 180.0))]
    pub near_lon: Option<f64>,
    /// Kilometres around `near_lat`/`near_lon` (default 100, at most 2000).
    #[param(minimum = 0.1, maximum = 2000.0)]
    #[validate(range(min = 0.1, max = 2000.0))]
    pub radius_km: Option<f64>,
    /// Remaining tonnes at least (the grammar of `Tonnes`).
    #[param(
        max_length = 11,
        pattern = r"^([1-9][0-9]{0,6}(\.[0-9]{1,3})?|0\.([1-9][0-9]{0,2}|0[1-9][0-9]?|00[1-9]))$"
    )]
    #[validate(length(max = 11))]
    pub min_quantity_t: Option<String>,
    #[param(
        max_length = 11,
        pattern = r"^([1-9][0-9]{0,6}(\.[0-9]{1,3})?|0\.([1-9][0-9]{0,2}|0[1-9][0-9]?|00[1-9]))$"
    )]
    #[validate(length(max = 11))]
    pub max_quantity_t: Option<String>,
    /// Yuan per tonne (fixed price, or reserve of an offers lot); negative is a gate fee.
    #[param(max_length = 11, pattern = r"^-?(0|[1-9][0-9]{0,5})(\.[0-9]{1,2})?$")]
    #[validate(length(max = 11))]
    pub min_price: Option<String>,
    #[param(max_length = 11, pattern = r"^-?(0|[1-9][0-9]{0,5})(\.[0-9]{1,2})?$")]
    #[validate(length(max = 11))]
    pub max_price: Option<String>,
    pub delivery_terms: Option<DeliveryTerms>,
    /// Lots available on this date.
    pub available_on: Option<NaiveDate>,
    /// Words that must all occur in the title or description, in any order, case and width
    /// folded (`ＩＩ级 fly` finds "II级 Fly ash"); a word may be part of a longer one.
    #[param(max_length = 100)]
    #[validate(length(max = 100))]
    pub q: Option<String>,
    pub sort: Option<SortOrder>,
    /// Your own organization's lots in every state instead of the published market.
    #[serde(default)]
    pub mine: bool,
    /// With `mine`: only lots in this state.
    pub status: Option<ListingStatus>,
}

/// The position after the last item of a page: its sort key and id.
#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    #[serde(rename = "k")]
    key: Option<f64>,
    #[serde(rename = "i")]
    id: String,
    #[serde(rename = "s")]
    sort: String,
}

/// Below this many lots a free-text word counts as rare (see `text_plan`).
const RARE: i64 = 1000;

/// How free text narrows a search (docs/DECISIONS.md, "Free-text search").
enum FreeText {
    /// No free text.
    Any,
    /// Some word is rare: these are the only lots that can match.
    Among(Vec<String>),
    /// Every word is common: walk the sort order's index and check each lot, which meets a page
    /// within about `limit × lots ÷ RARE` rows for one word. Common words that are rare together
    /// walk longer (docs/PERFORMANCE.md).
    Common,
}

/// Asks the text index for each word, longest first (likelier rare, and more trigrams to look
/// up), until one is rare. The planner is never asked to guess how common a word is.
fn text_plan(conn: &mut DbConnection, words: &[String]) -> Result<FreeText, ApiError> {
    if words.is_empty() {
        return Ok(FreeText::Any);
    }
    let mut by_length: Vec<&String> = words.iter().collect();
    by_length.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
    for word in by_length {
        let found = text::lots_containing(conn, word, RARE + 1)?;
        if found.len() as i64 <= RARE {
            return Ok(FreeText::Among(found));
        }
    }
    Ok(FreeText::Common)
}

/// Every word in the lot's text, checked on each lot the query reaches.
fn with_words<'a>(mut query: Query<'a>, words: &[String]) -> Query<'a> {
    for word in words {
        query = query.filter(text::lot_contains(word));
    }
    query
}

type Query<'a> = listings::BoxedQuery<'a, MultiBackend>;

struct Point {
    lat: f64,
    lon: f64,
    radius_km: f64,
}

/// Squared planar distance in km² from a point: orders nearby lots as the great circle does.
fn planar_km2(
    p: &Point,
) -> Box<dyn BoxableExpression<listings::table, MultiBackend, SqlType = Double>> {
    let (kx, ky) = (km_per_degree_lon(p.lat), km_per_degree_lat());
    Box::new(
        sql::<Double>("(((lat - ")
            .bind::<Double, _>(p.lat)
            .sql(") * ")
            .bind::<Double, _>(ky)
            .sql(") * ((lat - ")
            .bind::<Double, _>(p.lat)
            .sql(") * ")
            .bind::<Double, _>(ky)
            .sql(") + ((lon - ")
            .bind::<Double, _>(p.lon)
            .sql(") * ")
            .bind::<Double, _>(kx)
            .sql(") * ((lon - ")
            .bind::<Double, _>(p.lon)
            .sql(") * ")
            .bind::<Double, _>(kx)
            .sql("))"),
    )
}

type Condition = Box<dyn BoxableExpression<listings::table, MultiBackend, SqlType = Bool>>;

/// The lot has one of `grades` under `rule`. A correlated EXISTS, not IN (subquery): the planner
/// then walks the listings index in the requested order instead of starting from every graded lot.
pub fn grade_among(rule: &str, grades: &[&str]) -> Condition {
    // Rules have at most three grades; padding with the first keeps one statement shape.
    let g = |i: usize| {
        grades
            .get(i)
            .or(grades.first())
            .copied()
            .unwrap_or_default()
            .to_string()
    };
    Box::new(
        sql::<Bool>(
            "EXISTS (SELECT 1 FROM listing_grades g WHERE g.listing_id = listings.id AND g.rule = ",
        )
        .bind::<Text, _>(rule.to_string())
        .sql(" AND g.grade IN (")
        .bind::<Text, _>(g(0))
        .sql(", ")
        .bind::<Text, _>(g(1))
        .sql(", ")
        .bind::<Text, _>(g(2))
        .sql("))"),
    )
}

/// The lot lies within `radius_km` of a point (planar distance, exact enough at these scales).
pub fn within_km(lat: f64, lon: f64, radius_km: f64) -> Condition {
    Box::new(
        planar_km2(&Point {
            lat,
            lon,
            radius_km,
        })
        .le(radius_km * radius_km),
    )
}

/// The lot states `key` as a number within `[min, max]`.
pub fn property_within(key: &str, min: f64, max: f64) -> Condition {
    Box::new(
        sql::<Bool>("EXISTS (SELECT 1 FROM listing_properties p WHERE p.listing_id = listings.id AND p.property_key = ")
            .bind::<Text, _>(key.to_string())
            .sql(" AND p.num_value >= ")
            .bind::<Double, _>(min)
            .sql(" AND p.num_value <= ")
            .bind::<Double, _>(max)
            .sql(")"),
    )
}

/// Published lots by filters and a sort (verified members and staff), or the caller's own.
pub fn search(
    conn: &mut DbConnection,
    user: &CurrentUser,
    q: &SearchQuery,
    page: &PageQuery,
) -> Result<Page<Listing>, ApiError> {
    let own_org = if q.mine {
        Some(user.organization_id.clone().ok_or_else(|| {
            ApiError::forbidden(
                "organization_required",
                "You do not belong to an organization.",
            )
        })?)
    } else {
        if !user.is_staff() {
            user.require_verified_member()?;
        }
        None
    };
    let mut c = Checks::of(q);
    let limit = page.limit().unwrap_or_else(|e| {
        c.0.extend(e.errors);
        DEFAULT_LIMIT
    });
    let sort = q.sort.unwrap_or(SortOrder::Newest);
    let point = match (q.near_lat, q.near_lon) {
        (Some(lat), Some(lon)) => Some(Point {
            lat,
            lon,
            radius_km: q.radius_km.unwrap_or(100.0),
        }),
        (None, None) => None,
        _ => {
            c.push(
                "near_lat",
                "incomplete",
                "give near_lat and near_lon together",
            );
            None
        }
    };
    if sort == SortOrder::Distance && point.is_none() {
        c.push(
            "sort",
            "needs_point",
            "sorting by distance needs near_lat and near_lon",
        );
    }
    if q.region_code
        .as_deref()
        .is_some_and(|r| !(2..=6).contains(&r.len()) || !r.bytes().all(|b| b.is_ascii_digit()))
    {
        c.push("region_code", "invalid", "must be 2 to 6 digits");
    }
    let grade =
        match q.grade.as_deref() {
            None => None,
            Some(g) => match g
                .split_once(':')
                .and_then(|(rule, grade)| Some((rule.to_string(), at_least(rule, grade)?)))
            {
                Some(parsed) => Some(parsed),
                None => {
                    c.push(
                    "grade",
                    if g.contains(':') { "unknown_grade" } else { "invalid" },
                    "use rule:grade of the catalog, e.g. fly_ash:II or steel_slag_aggregate:pass",
                );
                    None
                }
            },
        };
    let tonnes = |c: &mut Checks, field: &str, v: &Option<String>| {
        v.as_deref().and_then(|t| {
            parse_tonnes(t)
                .map_err(|e| c.push(field, e.code(), e.to_string()))
                .ok()
        })
    };
    let yuan = |c: &mut Checks, field: &str, v: &Option<String>| {
        v.as_deref().and_then(|t| {
            parse_yuan(t)
                .map_err(|e| c.push(field, e.code(), e.to_string()))
                .ok()
        })
    };
    let min_kg = tonnes(&mut c, "min_quantity_t", &q.min_quantity_t);
    let max_kg = tonnes(&mut c, "max_quantity_t", &q.max_quantity_t);
    let min_fen = yuan(&mut c, "min_price", &q.min_price);
    let max_fen = yuan(&mut c, "max_price", &q.max_price);
    if q.q.as_deref().is_some_and(|t| t.chars().count() > 100) {
        c.push("q", "length", "must be at most 100 characters");
    }
    let cursor = match page.after::<Cursor>() {
        Ok(Some(cur)) if cur.sort != sort.as_str() || cur.id.len() > 64 => {
            c.push("cursor", "invalid_cursor", "is not a cursor of this list");
            None
        }
        Ok(cur) => cur,
        Err(e) => {
            c.0.extend(e.errors);
            None
        }
    };
    c.finish()?;

    let words = q.q.as_deref().map(search_words).unwrap_or_default();
    let text = text_plan(conn, &words)?;
    let key = cursor.as_ref().and_then(|c| c.key);
    let build =
        |radius_km: f64| -> Result<Query, ApiError> {
            let mut query: Query = listings::table.into_boxed();
            query = match &own_org {
                Some(org) => {
                    let mut mine = query.filter(listings::organization_id.eq(org.clone()));
                    if let Some(s) = q.status {
                        mine = mine.filter(listings::status.eq(s));
                    }
                    mine
                }
                None => query
                    .filter(listings::status.eq(ListingStatus::Published.as_str()))
                    .filter(
                        listings::available_until
                            .is_null()
                            .or(listings::available_until.ge(now())),
                    ),
            };
            if let Some(cat) = &q.category {
                query = query.filter(listings::category_code.eq(cat.clone()));
            }
            if let Some(st) = &q.subtype {
                query = query.filter(listings::subtype.eq(st.clone()));
            }
            if let Some((rule, grades)) = &grade {
                query = query.filter(grade_among(rule, grades));
            }
            if let Some(region) = &q.region_code {
                query = query.filter(listings::region_code.like(format!("{region}%")));
            }
            if let Some(p) = &point {
                let b = bounding_box(p.lat, p.lon, radius_km);
                query = query
                    .filter(listings::lat.between(b.min_lat, b.max_lat))
                    .filter(listings::lon.between(b.min_lon, b.max_lon))
                    .filter(planar_km2(p).le(radius_km * radius_km));
            }
            if let Some(v) = min_kg {
                query = query.filter(listings::remaining_kg.ge(v));
            }
            if let Some(v) = max_kg {
                query = query.filter(listings::remaining_kg.le(v));
            }
            if let Some(v) = min_fen {
                query = query.filter(listings::search_price_fen.ge(v));
            }
            if let Some(v) = max_fen {
                query = query.filter(listings::search_price_fen.le(v));
            }
            if let Some(terms) = q.delivery_terms {
                query = query.filter(listings::delivery_terms.eq(terms.as_str()));
            }
            if let Some(day) = q.available_on {
                let start = day.and_time(NaiveTime::MIN);
                let end = start + chrono::Duration::days(1);
                query = query.filter(listings::available_from.lt(end)).filter(
                    listings::available_until
                        .is_null()
                        .or(listings::available_until.ge(start)),
                );
            }
            // Sort and continue after the cursor: (key, id) strictly beyond the last item.
            let after_id = cursor.as_ref().map(|c| c.id.clone());
            query =
                match sort {
                    SortOrder::Newest => {
                        let q = query.order((listings::id.desc(),));
                        match after_id {
                            Some(id) => q.filter(listings::id.lt(id)),
                            None => q,
                        }
                    }
                    SortOrder::PriceAsc | SortOrder::PriceDesc => {
                        let q = query.filter(listings::search_price_fen.is_not_null());
                        let asc = sort == SortOrder::PriceAsc;
                        let q = if asc {
                            q.order((listings::search_price_fen.asc(), listings::id.asc()))
                        } else {
                            q.order((listings::search_price_fen.desc(), listings::id.desc()))
                        };
                        match (after_id, key) {
                            (Some(id), Some(k)) => {
                                let k = k as i64;
                                if asc {
                                    q.filter(listings::search_price_fen.gt(k).or(
                                        listings::search_price_fen.eq(k).and(listings::id.gt(id)),
                                    ))
                                } else {
                                    q.filter(listings::search_price_fen.lt(k).or(
                                        listings::search_price_fen.eq(k).and(listings::id.lt(id)),
                                    ))
                                }
                            }
                            _ => q,
                        }
                    }
                    SortOrder::QuantityDesc | SortOrder::QuantityAsc => {
                        let asc = sort == SortOrder::QuantityAsc;
                        let q = if asc {
                            query.order((listings::remaining_kg.asc(), listings::id.asc()))
                        } else {
                            query.order((listings::remaining_kg.desc(), listings::id.desc()))
                        };
                        match (after_id, key) {
                            (Some(id), Some(k)) => {
                                let k = k as i64;
                                if asc {
                                    q.filter(
                                        listings::remaining_kg.gt(k).or(listings::remaining_kg
                                            .eq(k)
                                            .and(listings::id.gt(id))),
                                    )
                                } else {
                                    q.filter(
                                        listings::remaining_kg.lt(k).or(listings::remaining_kg
                                            .eq(k)
                                            .and(listings::id.lt(id))),
                                    )
                                }
                            }
                            _ => q,
                        }
                    }
                    SortOrder::Distance => {
                        let p = point.as_ref().ok_or_else(|| {
                            ApiError::field("sort", "needs_point", "needs a point")
                        })?;
                        let q = query.order((planar_km2(p).asc(), listings::id.asc()));
                        match (after_id, key) {
                            (Some(id), Some(k)) => {
                                // The database may round the last bits of the distance apart
                                // from ours: within a hair of the cursor's distance counts as
                                // a tie, and ties go by id.
                                let hair = 1e-9 * (1.0 + k);
                                q.filter(
                                    planar_km2(p).gt(k + hair).or(planar_km2(p)
                                        .between(k - hair, k + hair)
                                        .and(listings::id.gt(id))),
                                )
                            }
                            _ => q,
                        }
                    }
                };
            Ok(query)
        };
    // One page of the sort order under the free text, by the plan chosen above.
    let mut page_of = |radius_km: f64| -> Result<Vec<ListingRow>, ApiError> {
        Ok(match &text {
            FreeText::Any => build(radius_km)?.limit(limit).load(conn)?,
            FreeText::Among(ids) => with_words(build(radius_km)?, &words)
                .filter(listings::id.eq_any(ids.clone()))
                .limit(limit)
                .load(conn)?,
            FreeText::Common => with_words(build(radius_km)?, &words)
                .limit(limit)
                .load(conn)?,
        })
    };
    let rows: Vec<ListingRow> = match (&point, sort) {
        (Some(p), SortOrder::Distance) => {
            // Nearest first, in growing rings: a dense area never sorts every lot of the
            // radius, only those of the first ring that holds a page.
            let start = key.map_or(0.0, f64::sqrt);
            let mut rows = Vec::new();
            for r in [
                p.radius_km / 32.0,
                p.radius_km / 8.0,
                p.radius_km / 2.0,
                p.radius_km,
            ] {
                if r <= start && r < p.radius_km {
                    continue;
                }
                rows = page_of(r)?;
                if rows.len() as i64 == limit {
                    break;
                }
            }
            rows
        }
        _ => page_of(point.as_ref().map_or(0.0, |p| p.radius_km))?,
    };
    let key_of = |last: &ListingRow| Cursor {
        key: match sort {
            SortOrder::Newest => None,
            SortOrder::PriceAsc | SortOrder::PriceDesc => last.search_price_fen.map(|p| p as f64),
            SortOrder::QuantityAsc | SortOrder::QuantityDesc => Some(last.remaining_kg as f64),
            SortOrder::Distance => point.as_ref().map(|p| {
                let dy = (last.lat - p.lat) * km_per_degree_lat();
                let dx = (last.lon - p.lon) * km_per_degree_lon(p.lat);
                dy * dy + dx * dx
            }),
        },
        id: last.id.clone(),
        sort: sort.as_str().into(),
    };
    let next_cursor = Page::new(rows.iter().collect(), limit, |last| key_of(last)).next_cursor;
    let mut items = views(conn, rows)?;
    if let Some(p) = &point {
        for item in &mut items {
            let d = haversine_km(p.lat, p.lon, item.site.lat, item.site.lon);
            item.distance_km = Some((d * 1000.0).round() / 1000.0);
        }
    }
    Ok(Page { items, next_cursor })
}
