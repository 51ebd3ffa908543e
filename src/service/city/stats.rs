//! City statistics (docs/DESIGN.md, "The alliance"): tonnes listed, contracted and delivered by category, region and
//! month; the clearance rate; active organizations; deals by state; median days from publication to
//! first offer; CO2 avoided by intended use with versioned factors, minus road freight.
//!
//! Definitions, for a period [from, until):
//! - listed: quantity of lots published in the period (month of publication);
//! - contracted: quantity of deals created in the period, cancelled ones excluded;
//! - delivered: tonnage confirmed on deals completed in the period (month of completion);
//! - clearance rate: delivered ÷ listed (the exchange's own figure; the official comprehensive
//!   utilisation rate is the city desk's, `figures`);
//! - active organizations: those that published a lot, made an offer or were party to a deal
//!   created in the period;
//! - CO2: completed deals only — delivered t × factor of the (category, intended use) pair, only
//!   for pairs the use table takes (`domain::uses`), minus delivered t × distance (lot site to the
//!   deal's receiving site, else the receiver's first site) × freight factor. The newest factor
//!   version is the greatest by its numbers ("2026.10" after "2026.2").

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::dsl::min;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::DbConnection;
use crate::db::schema::{co2_credits, deals, listings, offers, sites};
use crate::domain::listing::haversine_km;
use crate::domain::offer::IntendedUse;
use crate::domain::quantity::format_tonnes;
use crate::domain::uses;
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::export::Sheet;

text_enum! {
    /// How a report is sent: JSON (default) or CSV.
    pub enum ReportFormat {
        Json => "json",
        Csv => "csv",
    }
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, validator::Validate)]
#[into_params(parameter_in = Query)]
pub struct Period {
    /// Where the material comes from: a province (`15`), a city (`1502`) or a district
    /// (`150203`); default everywhere. A province's figures are the sums of its cities'.
    #[param(pattern = "^[0-9]{2}([0-9]{2}([0-9]{2})?)?$")]
    #[validate(length(max = 6))]
    pub region: Option<String>,
    /// First day (default: no lower bound).
    pub from: Option<NaiveDate>,
    /// Day after the last (default: no upper bound).
    pub until: Option<NaiveDate>,
    /// CO2 factor version (default: the newest).
    #[param(max_length = 20)]
    #[validate(length(max = 20))]
    pub factor_version: Option<String>,
    /// `csv` for CSV (or send `Accept: text/csv`).
    pub format: Option<ReportFormat>,
}

impl Period {
    /// Open ends become dates both backends store and compare (SQLite compares text).
    fn bounds(&self) -> (NaiveDateTime, NaiveDateTime) {
        let day = |d: Option<NaiveDate>, default: (i32, u32, u32)| {
            d.or_else(|| NaiveDate::from_ymd_opt(default.0, default.1, default.2))
                .unwrap_or_default()
                .and_time(NaiveTime::MIN)
        };
        (day(self.from, (1970, 1, 1)), day(self.until, (9999, 1, 1)))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct FlowRow {
    pub category: String,
    pub region_code: String,
    /// `YYYY-MM`.
    pub month: String,
    pub listed_t: String,
    pub contracted_t: String,
    pub delivered_t: String,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Totals {
    pub listed_t: String,
    pub contracted_t: String,
    pub delivered_t: String,
    /// Clearance rate: delivered ÷ listed; `null` when nothing was listed. Not the official
    /// comprehensive utilisation rate (see `/city/report`).
    pub clearance_rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Co2ByUse {
    pub intended_use: String,
    pub delivered_t: String,
    /// t CO2 avoided by the use, before freight.
    pub avoided_t: f64,
    /// t CO2 emitted by road freight.
    pub freight_t: f64,
    pub net_t: f64,
    /// Avoided t per delivered t, over the categories put to this use.
    pub factor_t_per_t: f64,
    pub factor_version: String,
}

/// Delivered tonnes from a producing district to a use: the dashboard's flow diagram.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct DistrictToUse {
    /// The lot's district (GB/T 2260).
    pub region_code: String,
    pub intended_use: String,
    pub delivered_t: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Flows {
    pub rows: Vec<FlowRow>,
    pub totals: Totals,
    pub by_category: BTreeMap<String, Totals>,
    pub active_organizations: i64,
    /// Deals created in the period, by state.
    pub deals_by_state: BTreeMap<String, i64>,
    /// Median days from publication to the first offer, over lots published in the period that
    /// received one; `null` when none did.
    pub median_days_to_first_offer: Option<f64>,
    pub co2: Vec<Co2ByUse>,
    pub co2_net_t: f64,
    pub factor_version: String,
    /// Completed deals' delivered tonnes by producing district and use, in that order.
    pub district_to_use: Vec<DistrictToUse>,
}

/// The public summary: no organization names, no prices.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Summary {
    pub totals: Totals,
    pub by_category: BTreeMap<String, Totals>,
    pub active_organizations: i64,
    pub deals_by_state: BTreeMap<String, i64>,
    pub co2_net_t: f64,
    pub factor_version: String,
    /// Completed deals' delivered tonnes by producing district and use: the exchange's own
    /// trades, like `by_category`, not anyone's declarations.
    pub district_to_use: Vec<DistrictToUse>,
}

fn month(t: NaiveDateTime) -> String {
    t.format("%Y-%m").to_string()
}

fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    // Adding 0.0 turns a negative zero (nothing delivered) into 0.
    (v * f).round() / f + 0.0
}

#[derive(Default, Clone, Copy)]
struct Kg {
    listed: i64,
    contracted: i64,
    delivered: i64,
}

fn totals(kg: Kg) -> Totals {
    Totals {
        listed_t: format_tonnes(kg.listed),
        contracted_t: format_tonnes(kg.contracted),
        delivered_t: format_tonnes(kg.delivered),
        clearance_rate: (kg.listed > 0).then(|| round(kg.delivered as f64 / kg.listed as f64, 4)),
    }
}

pub fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

type Cell = (String, String, String);

/// receiver, category, region, completed at, delivered kg, intended use, lot latitude, longitude,
/// sub-type, receiving site
type CompletedDeal = (
    String,
    String,
    String,
    Option<NaiveDateTime>,
    i64,
    IntendedUse,
    f64,
    f64,
    Option<String>,
    Option<String>,
);

/// A factor version as numbers, so "2026.10" sorts after "2026.2".
fn version_order(v: &str) -> Vec<u64> {
    v.split(['.', '-'])
        .map(|part| part.parse().unwrap_or(0))
        .collect()
}

/// Every figure by category, region and month (staff).
pub fn flows(
    conn: &mut DbConnection,
    user: &CurrentUser,
    period: &Period,
) -> Result<Flows, ApiError> {
    let mut period = period.clone();
    period.region = staff_region(user, period.region)?;
    compute(conn, &period)
}

/// The place a staff member's figures cover: the region asked for, which must lie within a city
/// they work for; a desk of one city gets its city when it names none. Staff of every city and
/// admins may ask for anything, or nothing (everywhere).
pub fn staff_region(
    user: &CurrentUser,
    region: Option<String>,
) -> Result<Option<String>, ApiError> {
    user.require_staff()?;
    let Some(cities) = user.cities() else {
        return Ok(region);
    };
    match region {
        Some(r) if r.len() >= 4 && user.covers(&r) => Ok(Some(r)),
        None if cities.len() == 1 => Ok(Some(cities[0].clone())),
        _ => Err(ApiError::field(
            "region",
            "out_of_scope",
            "name a city you work for, or a district of it",
        )),
    }
}

/// Codes within `region` as a LIKE pattern; no region matches every code.
pub fn within(region: Option<&str>) -> String {
    format!("{}%", region.unwrap_or_default())
}

fn compute(conn: &mut DbConnection, period: &Period) -> Result<Flows, ApiError> {
    let mut c = crate::service::input::Checks::of(period);
    c.region("region", period.region.as_deref());
    c.finish()?;
    let (from, until) = period.bounds();
    // Everything is counted where its lot lies.
    let within = within(period.region.as_deref());
    let mut cells: BTreeMap<Cell, Kg> = BTreeMap::new();
    let mut active: HashSet<String> = HashSet::new();

    let listed: Vec<(String, String, String, Option<NaiveDateTime>, i64)> = listings::table
        .filter(listings::region_code.like(&within))
        .filter(listings::published_at.ge(from))
        .filter(listings::published_at.lt(until))
        .select((
            listings::organization_id,
            listings::category_code,
            listings::region_code,
            listings::published_at,
            listings::quantity_kg,
        ))
        .load(conn)?;
    for (org, category, region, published, kg) in listed {
        active.insert(org);
        if let Some(p) = published {
            cells
                .entry((category, region, month(p)))
                .or_default()
                .listed += kg;
        }
    }

    let mut made = offers::table
        .filter(offers::created_at.ge(from))
        .filter(offers::created_at.lt(until))
        .select(offers::organization_id)
        .distinct()
        .into_boxed();
    if period.region.is_some() {
        made = made.filter(
            offers::listing_id.eq_any(
                listings::table
                    .filter(listings::region_code.like(&within))
                    .select(listings::id),
            ),
        );
    }
    let made: Vec<String> = made.load(conn)?;
    active.extend(made);

    let contracted: Vec<(String, String, String, String, NaiveDateTime, i64, String)> =
        deals::table
            .inner_join(listings::table)
            .filter(listings::region_code.like(&within))
            .filter(deals::created_at.ge(from))
            .filter(deals::created_at.lt(until))
            .select((
                deals::producer_org_id,
                deals::receiver_org_id,
                listings::category_code,
                listings::region_code,
                deals::created_at,
                deals::quantity_kg,
                deals::status,
            ))
            .load(conn)?;
    let mut deals_by_state: BTreeMap<String, i64> = BTreeMap::new();
    for (producer, receiver, category, region, created, kg, status) in contracted {
        active.insert(producer);
        active.insert(receiver);
        if status != "cancelled" {
            cells
                .entry((category, region, month(created)))
                .or_default()
                .contracted += kg;
        }
        *deals_by_state.entry(status).or_default() += 1;
    }

    // Completed deals: delivered tonnage and CO2.
    let completed: Vec<CompletedDeal> = deals::table
        .inner_join(listings::table)
        .filter(listings::region_code.like(&within))
        .filter(deals::status.eq("completed"))
        .filter(deals::completed_at.ge(from))
        .filter(deals::completed_at.lt(until))
        .select((
            deals::receiver_org_id,
            listings::category_code,
            listings::region_code,
            deals::completed_at,
            deals::delivered_kg,
            deals::intended_use,
            listings::lat,
            listings::lon,
            listings::subtype,
            deals::receiving_site_id,
        ))
        .load(conn)?;
    let version = match &period.factor_version {
        Some(v) => v.clone(),
        None => co2_credits::table
            .select(co2_credits::version)
            .distinct()
            .load::<String>(conn)?
            .into_iter()
            .max_by_key(|v| version_order(v))
            .unwrap_or_default(),
    };
    let factors: HashMap<(String, String), (f64, f64)> = co2_credits::table
        .filter(co2_credits::version.eq(&version))
        .select((
            co2_credits::category_code,
            co2_credits::intended_use,
            co2_credits::avoided_t_per_t,
            co2_credits::freight_kg_per_t_km,
        ))
        .load::<(String, String, f64, f64)>(conn)?
        .into_iter()
        .map(|(c, u, a, f)| ((c, u), (a, f)))
        .collect();
    if factors.is_empty() {
        return Err(ApiError::field(
            "factor_version",
            "unknown_version",
            "no CO2 factors of that version",
        ));
    }
    let freight_factor = factors.values().next().map_or(0.0, |f| f.1);
    // Where the material went: the deal's receiving site, else the receiver's first site.
    let mut site_at: HashMap<String, (f64, f64)> = HashMap::new();
    for named in completed.iter().filter_map(|c| c.9.as_ref()) {
        if let Some(site) = sites::table
            .find(named)
            .select((sites::lat, sites::lon))
            .first::<(f64, f64)>(conn)
            .optional()?
        {
            site_at.insert(named.clone(), site);
        }
    }
    let receivers: HashSet<&String> = completed.iter().map(|c| &c.0).collect();
    let mut receiver_site: HashMap<String, (f64, f64)> = HashMap::new();
    for r in receivers {
        if let Some(site) = sites::table
            .filter(sites::organization_id.eq(r))
            .order(sites::id.asc())
            .select((sites::lat, sites::lon))
            .first::<(f64, f64)>(conn)
            .optional()?
        {
            receiver_site.insert(r.clone(), site);
        }
    }
    let mut by_use: BTreeMap<&str, (i64, f64, f64)> = BTreeMap::new();
    let mut to_use: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    let mut credit: HashMap<(&str, Option<&str>, IntendedUse), f64> = HashMap::new();
    for (receiver, category, region, completed_at, kg, use_, lat, lon, subtype, to_site) in
        &completed
    {
        if let Some(t) = completed_at {
            cells
                .entry((category.clone(), region.clone(), month(*t)))
                .or_default()
                .delivered += kg;
        }
        // Never credited for a pair the use table refuses (steel slag into cement); the verdict
        // and factor are looked up once per (category, sub-type, use), not per deal.
        let factor = *credit
            .entry((category.as_str(), subtype.as_deref(), *use_))
            .or_insert_with(|| {
                let taken = uses::entry(*use_, category, subtype.as_deref()).is_ok();
                factors
                    .get(&(category.clone(), use_.as_str().to_string()))
                    .filter(|_| taken)
                    .map_or(0.0, |f| f.0)
            });
        let tonnes = *kg as f64 / 1000.0;
        let km = to_site
            .as_ref()
            .and_then(|s| site_at.get(s))
            .or_else(|| receiver_site.get(receiver))
            .map_or(0.0, |(rlat, rlon)| haversine_km(*lat, *lon, *rlat, *rlon));
        *to_use.entry((region.as_str(), use_.as_str())).or_default() += kg;
        let entry = by_use.entry(use_.as_str()).or_default();
        entry.0 += kg;
        entry.1 += tonnes * factor;
        entry.2 += tonnes * km * freight_factor / 1000.0;
    }
    let co2: Vec<Co2ByUse> = by_use
        .into_iter()
        .map(|(use_, (kg, avoided, freight))| Co2ByUse {
            factor_t_per_t: if kg > 0 {
                round(avoided / (kg as f64 / 1000.0), 4)
            } else {
                0.0
            },
            intended_use: use_.to_string(),
            delivered_t: format_tonnes(kg),
            avoided_t: round(avoided, 3),
            freight_t: round(freight, 3),
            net_t: round(avoided - freight, 3),
            factor_version: version.clone(),
        })
        .collect();
    let co2_net_t = round(co2.iter().map(|c| c.net_t).sum(), 3);
    let district_to_use = to_use
        .into_iter()
        .map(|((region, use_), kg)| DistrictToUse {
            region_code: region.to_string(),
            intended_use: use_.to_string(),
            delivered_t: format_tonnes(kg),
        })
        .collect();

    // Median days from publication to first offer.
    let published: HashMap<String, NaiveDateTime> = listings::table
        .filter(listings::published_at.ge(from))
        .filter(listings::published_at.lt(until))
        .select((listings::id, listings::published_at))
        .load::<(String, Option<NaiveDateTime>)>(conn)?
        .into_iter()
        .filter_map(|(id, p)| p.map(|p| (id, p)))
        .collect();
    let first_offers: Vec<(String, Option<NaiveDateTime>)> = offers::table
        .group_by(offers::listing_id)
        .select((offers::listing_id, min(offers::created_at)))
        .load(conn)?;
    let days: Vec<f64> = first_offers
        .into_iter()
        .filter_map(|(id, first)| {
            let p = published.get(&id)?;
            Some(((first? - *p).num_seconds().max(0) as f64) / 86_400.0)
        })
        .collect();

    let mut sum = Kg::default();
    let mut by_category: BTreeMap<String, Kg> = BTreeMap::new();
    let rows = cells
        .into_iter()
        .map(|((category, region, month), kg)| {
            sum.listed += kg.listed;
            sum.contracted += kg.contracted;
            sum.delivered += kg.delivered;
            let c = by_category.entry(category.clone()).or_default();
            c.listed += kg.listed;
            c.contracted += kg.contracted;
            c.delivered += kg.delivered;
            FlowRow {
                category,
                region_code: region,
                month,
                listed_t: format_tonnes(kg.listed),
                contracted_t: format_tonnes(kg.contracted),
                delivered_t: format_tonnes(kg.delivered),
            }
        })
        .collect();
    Ok(Flows {
        rows,
        totals: totals(sum),
        by_category: by_category
            .into_iter()
            .map(|(k, v)| (k, totals(v)))
            .collect(),
        active_organizations: active.len() as i64,
        deals_by_state,
        median_days_to_first_offer: median(days).map(|d| round(d, 3)),
        co2,
        co2_net_t,
        factor_version: version,
        district_to_use,
    })
}

pub fn summary(conn: &mut DbConnection, period: &Period) -> Result<Summary, ApiError> {
    let f = compute(conn, period)?;
    Ok(Summary {
        totals: f.totals,
        by_category: f.by_category,
        active_organizations: f.active_organizations,
        deals_by_state: f.deals_by_state,
        co2_net_t: f.co2_net_t,
        factor_version: f.factor_version,
        district_to_use: f.district_to_use,
    })
}

/// The flow rows as CSV (a header and one line per category, region and month).
pub fn flows_csv(rows: &[FlowRow]) -> Result<Vec<u8>, ApiError> {
    let mut sheet = Sheet::new();
    sheet.row([
        "category",
        "region_code",
        "month",
        "listed_t",
        "contracted_t",
        "delivered_t",
    ])?;
    for r in rows {
        sheet.row([
            &r.category,
            &r.region_code,
            &r.month,
            &r.listed_t,
            &r.contracted_t,
            &r.delivered_t,
        ])?;
    }
    sheet.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factor_versions_sort_as_versions() {
        let mut v = vec!["2026.2", "2026.10", "2026.1", "2025.12"];
        v.sort_by_key(|s| version_order(s));
        assert_eq!(v, vec!["2025.12", "2026.1", "2026.2", "2026.10"]);
    }

    #[test]
    fn no_negative_zero() {
        assert!(round(-0.0004, 3).is_sign_positive());
        assert_eq!(round(-0.0004, 3).to_string(), "0");
    }

    #[test]
    fn medians() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0]), Some(3.0));
        assert_eq!(median(vec![5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }
}
