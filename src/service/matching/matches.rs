//! Matching lots with demands, both ways, and the alliance's board of stranded streams. The
//! database applies the hard filters it can index (category, a bounding box, availability,
//! price); the domain module ranks what is left in memory. Reads only.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::reach::{lots_within, reaching};
use crate::db::schema::{
    demands, intake_profiles, listing_grades, listing_properties, listings, offers, organizations,
    sites, stream_profiles, supply_contracts,
};
use crate::db::{DbConnection, MultiBackend, now};
use crate::domain::demand::DemandStatus;
use crate::domain::grading::{Properties, at_least};
use crate::domain::listing::{DeliveryTerms, ListingStatus, bounding_box};
use crate::domain::matching::{
    Breakdown, Lot, Params, Ranked, Terms, Want, ceiling, evaluate, rank,
};
use crate::domain::organization::OrgKind;
use crate::domain::supply::{
    ContractStatus, Month, Profile, flat, held_in, parse_profile, uncommitted,
};
use crate::domain::uses;
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::market::catalog::Catalog;
use crate::service::market::lots::{
    Listing, ListingRow, load_row as load_listing, stored_value, views,
};
use crate::service::market::search::{grade_among, property_within, within_km};
use crate::service::matching::demands::{Demand, DemandRow, DemandSummary, readable};
use crate::service::page::{Page, PageQuery};

/// Most candidate lots ranked for one demand: the first in id order for a full ranking, the best
/// ceilings for a page.
const MAX_CANDIDATES: i64 = 20_000;

/// The columns matching reads: a candidate costs a fraction of a full listing row.
#[derive(Queryable, Debug, Clone)]
pub struct MatchRow {
    pub id: String,
    pub category_code: String,
    pub subtype: Option<String>,
    pub search_price_fen: Option<i64>,
    pub delivery_terms: DeliveryTerms,
    pub remaining_kg: i64,
    pub min_order_kg: i64,
    pub lat: f64,
    pub lon: f64,
    pub available_from: NaiveDateTime,
    pub available_until: Option<NaiveDateTime>,
    pub published_at: Option<NaiveDateTime>,
    pub identification_report: Option<String>,
    /// A recurring stream's monthly tonnage; `None` for a one-off lot.
    pub monthly_kg: Option<i64>,
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
    listings::identification_report,
    listings::monthly_kg,
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
    listings::identification_report,
    listings::monthly_kg,
);

impl From<&ListingRow> for MatchRow {
    fn from(r: &ListingRow) -> Self {
        Self {
            id: r.id.clone(),
            category_code: r.category_code.clone(),
            subtype: r.subtype.clone(),
            search_price_fen: r.search_price_fen,
            delivery_terms: r.delivery_terms,
            remaining_kg: r.remaining_kg,
            min_order_kg: r.min_order_kg,
            lat: r.lat,
            lon: r.lon,
            available_from: r.available_from,
            available_until: r.available_until,
            published_at: r.published_at,
            identification_report: r.identification_report.clone(),
            monthly_kg: r.monthly_kg,
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
    let rules: Option<Vec<String>> = only.map(|w| {
        w.min_grades
            .keys()
            .cloned()
            .chain(
                uses::rules_needed(w.intended_use)
                    .into_iter()
                    .map(String::from),
            )
            .collect()
    });
    let mut free: HashMap<String, Profile> = HashMap::new();
    for chunk in rows.chunks(500) {
        let ids: Vec<&str> = chunk.iter().map(|r| r.id.as_str()).collect();
        // Free tonnage only counts when a recurring demand is matched month by month.
        if only.is_none_or(|w| w.intake.is_some()) {
            let streams: Vec<(&str, i64)> = chunk
                .iter()
                .filter_map(|r| Some((r.id.as_str(), r.monthly_kg?)))
                .collect();
            free.extend(free_tonnage(conn, &streams)?);
        }
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
            if let Some(value) = stored_value(num, text) {
                props.entry(lid).or_default().insert(key, value);
            }
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
                delivered: r.delivery_terms == DeliveryTerms::Delivered,
                remaining_kg: r.remaining_kg,
                min_order_kg: r.min_order_kg,
                lat: r.lat,
                lon: r.lon,
                available_from: r.available_from,
                available_until: r.available_until,
                published_at: r.published_at,
                identification_missing: needs && r.identification_report.is_none(),
                generation: free.remove(&r.id),
            }
        })
        .collect())
}

/// What recurring streams can still promise in the next twelve months, by calendar month: their
/// generation profile (or flat monthly tonnage) less what contracts hold.
fn free_tonnage(
    conn: &mut DbConnection,
    streams: &[(&str, i64)],
) -> QueryResult<HashMap<String, Profile>> {
    if streams.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<&str> = streams.iter().map(|(id, _)| *id).collect();
    let stored: HashMap<String, Profile> = stream_profiles::table
        .filter(stream_profiles::listing_id.eq_any(&ids))
        .select((stream_profiles::listing_id, stream_profiles::monthly_kg))
        .load::<(String, String)>(conn)?
        .into_iter()
        .filter_map(|(id, text)| Some((id, parse_profile(&text)?)))
        .collect();
    let held: Vec<(String, String, String, i64)> = supply_contracts::table
        .filter(supply_contracts::listing_id.eq_any(&ids))
        .filter(supply_contracts::status.eq_any(ContractStatus::COMMITTED.map(|s| s.as_str())))
        .select((
            supply_contracts::listing_id,
            supply_contracts::start_month,
            supply_contracts::end_month,
            supply_contracts::max_monthly_kg,
        ))
        .load(conn)?;
    let mut by_stream: HashMap<&str, Vec<(Month, Month, i64)>> = HashMap::new();
    for (listing, start, end, kg) in &held {
        if let (Some(s), Some(e)) = (Month::parse(start), Month::parse(end)) {
            by_stream
                .entry(listing.as_str())
                .or_default()
                .push((s, e, *kg));
        }
    }
    let this = Month::of(now().date());
    Ok(streams
        .iter()
        .map(|(id, monthly)| {
            let made = stored.get(*id).copied().unwrap_or_else(|| flat(*monthly));
            let mut committed: Profile = [0; 12];
            if let Some(contracts) = by_stream.get(id) {
                for month in (0..12).map(|i| this.plus(i)) {
                    committed[month.index()] = held_in(contracts, month);
                }
            }
            (id.to_string(), uncommitted(&made, &committed))
        })
        .collect())
}

/// Recurring demands' intake by calendar month: their profile, or flat monthly tonnage.
fn intakes(
    conn: &mut DbConnection,
    demands: &[&DemandRow],
) -> QueryResult<HashMap<String, Profile>> {
    let recurring: Vec<&&DemandRow> = demands.iter().filter(|d| d.monthly_kg.is_some()).collect();
    let mut stored: HashMap<String, Profile> = HashMap::new();
    for chunk in recurring.chunks(500) {
        let ids: Vec<&str> = chunk.iter().map(|d| d.id.as_str()).collect();
        stored.extend(
            intake_profiles::table
                .filter(intake_profiles::demand_id.eq_any(&ids))
                .select((intake_profiles::demand_id, intake_profiles::monthly_kg))
                .load::<(String, String)>(conn)?
                .into_iter()
                .filter_map(|(id, text)| Some((id, parse_profile(&text)?))),
        );
    }
    Ok(recurring
        .into_iter()
        .map(|d| {
            let profile = stored
                .remove(&d.id)
                .unwrap_or_else(|| flat(d.monthly_kg.unwrap_or_default()));
            (d.id.clone(), profile)
        })
        .collect())
}

type Filtered<'a> = listings::BoxedQuery<'a, MultiBackend>;

/// Published lots within the demand's box, price, minimum order and window: the filters on
/// columns of `listings_match_idx`, so that on SQLite they read no listing row.
fn reachable(conn: &DbConnection, want: &Want) -> Filtered<'static> {
    let b = bounding_box(want.lat, want.lon, want.max_distance_km);
    let mut q = listings::table
        .filter(lots_within(conn, &b))
        .filter(listings::category_code.eq_any(want.categories.clone()))
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
        .into_boxed();
    if let Some(until) = want.window_until {
        q = q.filter(listings::available_from.le(until));
    }
    q
}

/// `reachable` lots within the radius that also state the lab values and grades the demand
/// bounds.
fn qualified(conn: &DbConnection, want: &Want) -> Filtered<'static> {
    let mut q = reachable(conn, want).filter(within_km(want.lat, want.lon, want.max_distance_km));
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
    q
}

/// Published lots that pass the hard filters the database can check for this demand.
fn candidates(conn: &mut DbConnection, want: &Want) -> QueryResult<Vec<MatchRow>> {
    qualified(conn, want)
        .select(MATCH_COLUMNS)
        .order(listings::id.asc())
        .limit(MAX_CANDIDATES)
        .load(conn)
}

/// A reachable lot's terms (`matching::Terms`), read from the index alone.
#[derive(Queryable)]
struct Prospect {
    id: String,
    price_fen: Option<i64>,
    delivery_terms: DeliveryTerms,
    remaining_kg: i64,
    lat: f64,
    lon: f64,
    published_at: Option<NaiveDateTime>,
    monthly_kg: Option<i64>,
}

impl Prospect {
    /// `None` beyond the demand's radius (the box's corners).
    fn ceiling(&self, want: &Want, params: &Params) -> Option<f64> {
        let terms = Terms {
            price_fen: self.price_fen,
            delivered: self.delivery_terms == DeliveryTerms::Delivered,
            remaining_kg: self.remaining_kg,
            lat: self.lat,
            lon: self.lon,
            published_at: self.published_at,
            stream: self.monthly_kg.is_some(),
        };
        ceiling(want, &terms, params)
    }
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

/// A page of ranked matches after the cursor (score descending, then id).
fn page<T>(ranked: Ranked<T>, page: &PageQuery) -> Result<Page<(String, Breakdown, T)>, ApiError> {
    let limit = page.limit()?;
    let after = page.after::<(f64, String)>()?;
    let items: Vec<_> = ranked
        .into_iter()
        .filter(|(id, b, _)| beyond(after.as_ref(), b.score, id))
        .take(limit as usize)
        .collect();
    Ok(Page::new(items, limit, |(id, b, _)| (b.score, id.clone())))
}

/// A match ranks after the cursor's (score descending, then id).
fn beyond(after: Option<&(f64, String)>, score: f64, id: &str) -> bool {
    after.is_none_or(|(s, last)| score < *s || (score == *s && id > last.as_str()))
}

/// Ranked lots for a demand (its organization and staff).
pub fn matches_for_demand(
    conn: &mut DbConnection,
    catalog: &Catalog,
    params: &Params,
    user: &CurrentUser,
    id: &str,
    q: &PageQuery,
) -> Result<Page<ListingMatch>, ApiError> {
    let demand = readable(conn, user, id)?;
    let mut want = demand.want();
    want.lined = !lined_sites(conn, &[demand.site_id.as_str()])?.is_empty();
    want.intake = intakes(conn, &[&demand])?.remove(&demand.id);
    let Page { items, next_cursor } = top_lots(conn, catalog, params, &want, q)?;
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
    Ok(Page {
        items: matches,
        next_cursor,
    })
}

/// Most lots whose terms are read for one page of a demand's matches (a national buyer of a
/// common material); beyond it, those first in the index's order (southernmost).
const MAX_PROSPECTS: i64 = 200_000;

/// Most lots read and scored at a time while paging a demand's matches.
const MAX_BATCH: usize = 1000;

/// One page of a demand's ranked lots without scoring every candidate: reachable lots are taken
/// in order of their ceiling (`matching::ceiling`, from columns of the match index), their rows,
/// lab values and grades read a batch at a time (a page's worth, then doubling), and the walk
/// stops once the page is full and its last score beats every ceiling left. At most
/// `MAX_CANDIDATES` lots, the best ceilings, are scored: a buyer few lots qualify for does not
/// read a whole country's lab values.
fn top_lots(
    conn: &mut DbConnection,
    catalog: &Catalog,
    params: &Params,
    want: &Want,
    q: &PageQuery,
) -> Result<Page<(String, Breakdown, ())>, ApiError> {
    let limit = q.limit()? as usize;
    let after = q.after::<(f64, String)>()?;
    let mut rows: Vec<(f64, String)> = reachable(conn, want)
        .select((
            listings::id,
            listings::search_price_fen,
            listings::delivery_terms,
            listings::remaining_kg,
            listings::lat,
            listings::lon,
            listings::published_at,
            listings::monthly_kg,
        ))
        .limit(MAX_PROSPECTS)
        .load::<Prospect>(conn)?
        .into_iter()
        .filter_map(|p| Some((p.ceiling(want, params)?, p.id)))
        .collect();
    rows.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    rows.truncate(MAX_CANDIDATES as usize);
    let mut found: Ranked<()> = Vec::new();
    let (mut start, mut size) = (0, limit.max(1));
    while start < rows.len() {
        // A score is rounded to the hundredth: a ceiling this far below the page's last score
        // cannot reach it.
        if found.len() >= limit && rows[start].0 + 0.01 < found[limit - 1].1.score {
            break;
        }
        let end = (start + size).min(rows.len());
        let ids: Vec<&str> = rows[start..end].iter().map(|(_, id)| id.as_str()).collect();
        let batch: Vec<MatchRow> = qualified(conn, want)
            .filter(listings::id.eq_any(ids))
            .select(MATCH_COLUMNS)
            .load(conn)?;
        (start, size) = (end, (size * 2).min(MAX_BATCH));
        for lot in lots(conn, catalog, &batch, Some(want))? {
            let Ok(b) = evaluate(want, &lot, params) else {
                continue;
            };
            if beyond(after.as_ref(), b.score, &lot.id) {
                found.push((lot.id, b, ()));
            }
        }
        rank(&mut found);
        found.truncate(limit);
    }
    Ok(Page::new(found, limit as i64, |(id, b, _)| {
        (b.score, id.clone())
    }))
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

/// Which of these sites are lined (GB 18599 class II sites).
pub fn lined_sites(conn: &mut DbConnection, ids: &[&str]) -> QueryResult<HashSet<String>> {
    let mut lined = HashSet::new();
    for chunk in ids.chunks(500) {
        lined.extend(
            sites::table
                .filter(sites::id.eq_any(chunk))
                .filter(sites::lined.eq(true))
                .select(sites::id)
                .load::<String>(conn)?,
        );
    }
    Ok(lined)
}

/// Open demands that a lot matches, ranked.
pub fn rank_demands(
    conn: &mut DbConnection,
    catalog: &Catalog,
    params: &Params,
    listing: &ListingRow,
) -> Result<Ranked<DemandRow>, ApiError> {
    let lot = lots(conn, catalog, &[MatchRow::from(listing)], None)?.remove(0);
    // The hard filters the database can check, as `candidates` does the other way round: the
    // spatial index finds the demands whose reach holds the lot, so a new lot reads the demands
    // around it, not every open demand.
    let mut q = demands::table
        .filter(demands::status.eq(DemandStatus::Open))
        .filter(reaching(conn, &listing.category_code, lot.lat, lot.lon))
        // The quantity matching compares with the minimum order: a recurring demand's monthly
        // tonnage (as `DemandRow::want` takes it), a one-off demand's whole quantity.
        .filter(
            demands::monthly_kg
                .ge(lot.min_order_kg)
                .or(demands::monthly_kg
                    .is_null()
                    .and(demands::quantity_kg.ge(lot.min_order_kg))),
        )
        .filter(
            demands::window_until
                .is_null()
                .or(demands::window_until.ge(lot.available_from)),
        )
        .into_boxed();
    if let Some(price) = lot.price_fen {
        // Freight only adds to the price.
        q = q.filter(demands::price_limit_fen.ge(price));
    }
    if let Some(until) = lot.available_until {
        q = q.filter(demands::window_from.le(until));
    }
    let open: Vec<DemandRow> = q.load(conn)?;
    let site_ids: Vec<&str> = open.iter().map(|d| d.site_id.as_str()).collect();
    let lined = lined_sites(conn, &site_ids)?;
    let mut intake = intakes(conn, &open.iter().collect::<Vec<_>>())?;
    let mut ranked: Ranked<DemandRow> = open
        .into_iter()
        .filter_map(|d| {
            let mut want = d.want();
            want.lined = lined.contains(&d.site_id);
            want.intake = intake.remove(&d.id);
            evaluate(&want, &lot, params)
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
    q: &PageQuery,
) -> Result<Page<DemandMatch>, ApiError> {
    let listing = load_listing(conn, id)?;
    if !(user.belongs_to(&listing.organization_id) || user.is_staff()) {
        return Err(ApiError::not_found());
    }
    let ranked = rank_demands(conn, catalog, params, &listing)?;
    Ok(page(ranked, q)?.map(|(_, breakdown, d)| DemandMatch {
        demand: d.view(),
        breakdown,
    }))
}

/// A lot was published: every open demand it matches gets it queued for its digest; demands not
/// told within the last hour are told now.
#[derive(Debug, Serialize, ToSchema)]
pub struct StrandedListing {
    pub listing: Listing,
    pub days_without_offer: i64,
    /// The best open demands for it, if any, as the board shows another organization's demand:
    /// no identity, site or price limit (staff see the full breakdown under the lot's matches).
    pub best_matches: Vec<StrandedMatch>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StrandedMatch {
    pub demand: DemandSummary,
    /// 0–100.
    pub score: f64,
    pub distance_km: f64,
}

/// Published lots without any offer after `days` (staff and research organizations).
pub fn stranded(
    conn: &mut DbConnection,
    catalog: &Catalog,
    params: &Params,
    user: &CurrentUser,
    days: i64,
    page: &PageQuery,
) -> Result<Page<StrandedListing>, ApiError> {
    let limit = page.limit()?;
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
        .filter(listings::status.eq(ListingStatus::Published))
        .filter(listings::published_at.le(cutoff))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            offers::table.filter(offers::listing_id.eq(listings::id)),
        )))
        .order(listings::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = page.after::<String>()? {
        q = q.filter(listings::id.gt(after));
    }
    let rows: Vec<ListingRow> = q.load(conn)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let best = rank_demands(conn, catalog, params, &row)?
            .into_iter()
            .take(3)
            .map(|(_, breakdown, d)| StrandedMatch {
                demand: d.summary(),
                score: breakdown.score,
                distance_km: breakdown.distance_km,
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
    Ok(Page::new(out, limit, |s| s.listing.id.clone()))
}
