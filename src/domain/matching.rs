//! Matching a demand with a lot: hard filters, then a documented, deterministic score.
//!
//! Hard filters (any failure, no match): category (and sub-type when the demand names some),
//! the use table for the demand's intended use (`domain::uses`, the same check as offers and
//! deals), every property bound, every minimum grade, the identification gate, overlapping availability,
//! distance within the demand's maximum, a lot the demand can actually buy (its minimum order is
//! not above the demand), and a landed cost within the demand's price limit.
//!
//! Score, 0–100, the weighted sum of five parts in 0–1:
//! - **value** (40): net value at the gate = price limit − landed cost, where landed cost = price
//!   per tonne + estimated freight (distance × yuan per t·km) when the receiver collects
//!   (`pickup`); part = net / (net + 20 yuan), so 20 yuan/t below the limit scores 0.5;
//! - **quantity fit** (20): min(remaining, wanted) / wanted; for a recurring demand and a recurring
//!   stream, the share of the year's monthly demand the stream's free tonnage covers, month by
//!   month (`domain::supply::coverage`);
//! - **grade margin** (15): how far inside each bound the lab value lies, relative to the bound,
//!   averaged with how many grade steps better than the minimum the lot is; 0.5 without bounds;
//! - **distance** (15): 1 − distance / maximum distance;
//! - **freshness** (10): 1 − days since publication / 60.
//!
//! Ties are broken by the lot id, so the order is total and stable.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::grading::{Properties, PropertyValue, RULES, at_least};
use crate::domain::listing::haversine_km;
use crate::domain::offer::IntendedUse;
use crate::domain::supply::{Profile, coverage};
use crate::domain::uses;

/// A lower and/or upper limit on a lab value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bound {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// `min`, `max` or both, as numbers: a bound with neither limits nothing and is refused.
impl utoipa::PartialSchema for Bound {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Type};
        let number = || ObjectBuilder::new().schema_type(Type::Number);
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .property("min", number())
            .property("max", number())
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .min_properties(Some(1))
            .description(Some("A lower and/or upper limit on a lab value"))
            .into()
    }
}

impl utoipa::ToSchema for Bound {}

/// What a demand asks for.
#[derive(Debug, Clone)]
pub struct Want {
    pub categories: Vec<String>,
    pub subtypes: Vec<String>,
    pub bounds: BTreeMap<String, Bound>,
    pub min_grades: BTreeMap<String, String>,
    pub quantity_kg: i64,
    pub max_distance_km: f64,
    pub price_limit_fen: i64,
    pub window_from: NaiveDateTime,
    pub window_until: Option<NaiveDateTime>,
    pub lat: f64,
    pub lon: f64,
    pub intended_use: IntendedUse,
    /// The receiving site is lined (GB 18599 class II site).
    pub lined: bool,
    /// A recurring demand's intake by calendar month.
    pub intake: Option<Profile>,
}

/// What a lot offers.
#[derive(Debug, Clone)]
pub struct Lot {
    pub id: String,
    pub category: String,
    pub subtype: Option<String>,
    pub properties: Properties,
    pub grades: BTreeMap<String, String>,
    /// Fixed price, or the reserve of an offers lot; `None` when the producer named no price.
    pub price_fen: Option<i64>,
    /// The producer delivers (its price includes the freight).
    pub delivered: bool,
    pub remaining_kg: i64,
    pub min_order_kg: i64,
    pub lat: f64,
    pub lon: f64,
    pub available_from: NaiveDateTime,
    pub available_until: Option<NaiveDateTime>,
    pub published_at: Option<NaiveDateTime>,
    pub identification_missing: bool,
    /// A recurring stream's free tonnage by calendar month: generation less what contracts hold.
    pub generation: Option<Profile>,
}

#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Estimated road freight, fen per tonne-kilometre (default 50 = 0.5 yuan).
    pub freight_fen_per_t_km: i64,
    pub now: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Parts {
    pub value: f64,
    pub quantity: f64,
    pub grade_margin: f64,
    pub distance: f64,
    pub freshness: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Breakdown {
    /// 0–100.
    pub score: f64,
    pub distance_km: f64,
    /// Estimated freight the receiver pays, fen per tonne (0 when delivered).
    pub freight_fen_per_t: i64,
    pub landed_cost_fen_per_t: i64,
    /// Price limit minus landed cost, fen per tonne.
    pub net_value_fen_per_t: i64,
    pub parts: Parts,
    /// Why it matched, one line per hard filter passed.
    pub reasons: Vec<String>,
    /// For a recurring demand and a recurring stream: the share of each calendar month's demand
    /// the stream's free tonnage covers (0–1, January first).
    pub monthly_coverage: Option<Vec<f64>>,
}

pub const WEIGHTS: Parts = Parts {
    value: 40.0,
    quantity: 20.0,
    grade_margin: 15.0,
    distance: 15.0,
    freshness: 10.0,
};

fn number(p: &Properties, key: &str) -> Option<f64> {
    p.get(key).and_then(PropertyValue::number)
}

/// Evaluates a lot against a demand: the breakdown when it passes every hard filter, or the first
/// reason it does not.
pub fn evaluate(want: &Want, lot: &Lot, params: &Params) -> Result<Breakdown, String> {
    let mut reasons = Vec::new();
    if !want.categories.contains(&lot.category) {
        return Err(format!("category {} not wanted", lot.category));
    }
    reasons.push(format!("category {}", lot.category));
    if !want.subtypes.is_empty()
        && !lot
            .subtype
            .as_ref()
            .is_some_and(|s| want.subtypes.contains(s))
    {
        return Err("sub-type not wanted".into());
    }
    uses::check(
        want.intended_use,
        &lot.category,
        lot.subtype.as_deref(),
        &lot.grades,
        want.lined,
    )
    .map_err(|r| format!("{}: {}", r.rule, r.message))?;
    let mut margins = Vec::new();
    for (key, bound) in &want.bounds {
        let v = number(&lot.properties, key).ok_or_else(|| format!("{key} not stated"))?;
        if let Some(max) = bound.max {
            if v > max {
                return Err(format!("{key} {v} > {max}"));
            }
            margins.push(((max - v) / max.abs().max(1e-9)).clamp(0.0, 1.0));
            reasons.push(format!("{key} {v} ≤ {max}"));
        }
        if let Some(min) = bound.min {
            if v < min {
                return Err(format!("{key} {v} < {min}"));
            }
            margins.push(((v - min) / min.abs().max(1e-9)).clamp(0.0, 1.0));
            reasons.push(format!("{key} {v} ≥ {min}"));
        }
    }
    for (rule, wanted) in &want.min_grades {
        let accepted = at_least(rule, wanted).unwrap_or_default();
        let got = lot
            .grades
            .get(rule)
            .ok_or_else(|| format!("no {rule} grade"))?;
        let Some(position) = accepted.iter().position(|g| g == got) else {
            return Err(format!("{rule} grade {got} below {wanted}"));
        };
        let steps = RULES
            .iter()
            .find(|r| r.name == rule)
            .map_or(1, |r| r.steps.len());
        margins.push((accepted.len() - 1 - position) as f64 / steps as f64);
        reasons.push(format!("{rule} grade {got} (at least {wanted})"));
    }
    if lot.identification_missing {
        return Err("identification report missing".into());
    }
    let overlaps = lot.available_until.is_none_or(|u| u >= want.window_from)
        && want.window_until.is_none_or(|u| u >= lot.available_from);
    if !overlaps {
        return Err("availability does not overlap".into());
    }
    let Placed {
        distance_km,
        freight,
        landed,
        net,
    } = placed(want, lot.lat, lot.lon, lot.delivered, lot.price_fen, params);
    if distance_km > want.max_distance_km {
        return Err(format!("{distance_km:.1} km > {} km", want.max_distance_km));
    }
    reasons.push(format!("{distance_km:.1} km away"));
    if lot.min_order_kg > want.quantity_kg {
        return Err("minimum order above the wanted quantity".into());
    }
    if net < 0 {
        return Err(format!(
            "landed cost {landed} fen/t above the limit {}",
            want.price_limit_fen
        ));
    }
    reasons.push(format!("landed cost {landed} fen/t within the limit"));
    let coverage = want
        .intake
        .as_ref()
        .zip(lot.generation.as_ref())
        .map(|(demand, stream)| coverage(stream, demand));
    if let Some(c) = &coverage {
        reasons.push(format!(
            "covers {:.0} % of the year's monthly demand",
            c.overall * 100.0
        ));
    }
    let parts = Parts {
        value: value_part(net),
        quantity: coverage
            .as_ref()
            .map_or(quantity_part(want, lot.remaining_kg), |c| c.overall),
        grade_margin: if margins.is_empty() {
            0.5
        } else {
            margins.iter().sum::<f64>() / margins.len() as f64
        },
        distance: distance_part(want, distance_km),
        freshness: freshness_part(lot.published_at, params),
    };
    let score = parts.weighted();
    Ok(Breakdown {
        score: (score * 100.0).round() / 100.0,
        distance_km: (distance_km * 1000.0).round() / 1000.0,
        freight_fen_per_t: freight,
        landed_cost_fen_per_t: landed,
        net_value_fen_per_t: net,
        parts,
        reasons,
        monthly_coverage: coverage.map(|c| {
            c.by_month
                .iter()
                .map(|v| (v * 1000.0).round() / 1000.0)
                .collect()
        }),
    })
}

/// Matches with their id and what they are about.
pub type Ranked<T> = Vec<(String, Breakdown, T)>;

/// What a lot's listing row says that its score reads, before its lab values, grades and free
/// tonnage are known.
pub struct Terms {
    pub price_fen: Option<i64>,
    pub delivered: bool,
    pub remaining_kg: i64,
    pub lat: f64,
    pub lon: f64,
    pub published_at: Option<NaiveDateTime>,
    /// A recurring stream: its coverage of a recurring demand is not known yet.
    pub stream: bool,
}

/// The most `evaluate` can score a lot from its terms alone: the grade margin and a stream's
/// coverage count at their best (1). Never below the score, so a ranking can stop reading lots
/// once the page's last score beats every ceiling left; `None` beyond the demand's radius, where
/// `evaluate` refuses the lot.
pub fn ceiling(want: &Want, t: &Terms, params: &Params) -> Option<f64> {
    let p = placed(want, t.lat, t.lon, t.delivered, t.price_fen, params);
    if p.distance_km > want.max_distance_km {
        return None;
    }
    let parts = Parts {
        value: value_part(p.net.max(0)),
        quantity: if t.stream && want.intake.is_some() {
            1.0
        } else {
            quantity_part(want, t.remaining_kg)
        },
        grade_margin: if want.bounds.is_empty() && want.min_grades.is_empty() {
            0.5
        } else {
            1.0
        },
        distance: distance_part(want, p.distance_km),
        freshness: freshness_part(t.published_at, params),
    };
    Some(parts.weighted())
}

/// What the way from the lot to the demand's site costs, fen per tonne.
struct Placed {
    distance_km: f64,
    freight: i64,
    landed: i64,
    net: i64,
}

fn placed(
    want: &Want,
    lat: f64,
    lon: f64,
    delivered: bool,
    price_fen: Option<i64>,
    params: &Params,
) -> Placed {
    let distance_km = haversine_km(want.lat, want.lon, lat, lon);
    let freight = if delivered {
        0
    } else {
        (distance_km * params.freight_fen_per_t_km as f64).round() as i64
    };
    // A lot without a price is open to offers: its value is taken as exactly the demand's limit.
    let landed = price_fen.map_or(want.price_limit_fen, |p| p + freight);
    Placed {
        distance_km,
        freight,
        landed,
        net: want.price_limit_fen - landed,
    }
}

fn value_part(net: i64) -> f64 {
    net as f64 / (net as f64 + 2000.0)
}

fn quantity_part(want: &Want, remaining_kg: i64) -> f64 {
    remaining_kg.min(want.quantity_kg) as f64 / want.quantity_kg as f64
}

fn distance_part(want: &Want, distance_km: f64) -> f64 {
    (1.0 - distance_km / want.max_distance_km).clamp(0.0, 1.0)
}

fn freshness_part(published_at: Option<NaiveDateTime>, params: &Params) -> f64 {
    let age_days = published_at.map_or(f64::MAX, |p| {
        (params.now - p).num_seconds().max(0) as f64 / 86_400.0
    });
    (1.0 - age_days / 60.0).clamp(0.0, 1.0)
}

impl Parts {
    fn weighted(&self) -> f64 {
        WEIGHTS.value * self.value
            + WEIGHTS.quantity * self.quantity
            + WEIGHTS.grade_margin * self.grade_margin
            + WEIGHTS.distance * self.distance
            + WEIGHTS.freshness * self.freshness
    }
}

/// Best first; ties by id, so the order is total and the same for any input order.
pub fn rank<T>(items: &mut [(String, Breakdown, T)]) {
    items.sort_by(|a, b| b.1.score.total_cmp(&a.1.score).then_with(|| a.0.cmp(&b.0)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    fn t(days: i64) -> NaiveDateTime {
        NaiveDateTime::parse_from_str("2026-11-01 00:00:00", "%Y-%m-%d %H:%M:%S").unwrap()
            + Duration::days(days)
    }

    fn want() -> Want {
        Want {
            categories: vec!["SW02".into()],
            subtypes: vec![],
            bounds: BTreeMap::from([(
                "loi_pct".to_string(),
                Bound {
                    min: None,
                    max: Some(8.0),
                },
            )]),
            min_grades: BTreeMap::from([("fly_ash".to_string(), "II".to_string())]),
            quantity_kg: 500_000,
            max_distance_km: 80.0,
            price_limit_fen: 4000,
            window_from: t(0),
            window_until: Some(t(90)),
            lat: 40.68,
            lon: 109.88,
            intended_use: IntendedUse::Other,
            lined: false,
            intake: None,
        }
    }

    fn lot(rng: &mut StdRng, i: usize) -> Lot {
        Lot {
            id: format!("lot-{i:04}"),
            category: if rng.random_bool(0.8) { "SW02" } else { "SW04" }.into(),
            subtype: None,
            properties: Properties::from([(
                "loi_pct".to_string(),
                PropertyValue::Number(rng.random_range(2.0..12.0)),
            )]),
            grades: BTreeMap::from([(
                "fly_ash".to_string(),
                ["I", "II", "III", "fail"][rng.random_range(0..4)].to_string(),
            )]),
            price_fen: if rng.random_bool(0.9) {
                Some(rng.random_range(-3000..6000))
            } else {
                None
            },
            delivered: rng.random_bool(0.3),
            remaining_kg: rng.random_range(1..2_000) * 1000,
            min_order_kg: rng.random_range(1..100) * 1000,
            lat: 40.2 + rng.random::<f64>(),
            lon: 109.3 + rng.random::<f64>() * 1.5,
            available_from: t(rng.random_range(-30..60)),
            available_until: if rng.random_bool(0.5) {
                Some(t(rng.random_range(0..200)))
            } else {
                None
            },
            published_at: Some(t(rng.random_range(-90..1))),
            identification_missing: rng.random_bool(0.05),
            generation: None,
        }
    }

    fn params() -> Params {
        Params {
            freight_fen_per_t_km: 50,
            now: t(1),
        }
    }

    #[test]
    fn a_lot_outside_any_hard_bound_never_matches() {
        let mut rng = StdRng::seed_from_u64(7);
        let w = want();
        for i in 0..5000 {
            let l = lot(&mut rng, i);
            let outside = l.category != "SW02"
                || number(&l.properties, "loi_pct").is_some_and(|v| v > 8.0)
                || !matches!(l.grades["fly_ash"].as_str(), "I" | "II")
                || l.identification_missing
                || haversine_km(w.lat, w.lon, l.lat, l.lon) > w.max_distance_km;
            if outside {
                assert!(evaluate(&w, &l, &params()).is_err(), "{l:?}");
            }
            if let Ok(b) = evaluate(&w, &l, &params()) {
                assert!((0.0..=100.0).contains(&b.score));
                assert!(b.net_value_fen_per_t >= 0);
            }
        }
    }

    /// The ceiling from a lot's row is never below its score, whatever its lab values, grades
    /// and free tonnage turn out to be, and is the score itself when the demand names neither.
    #[test]
    fn the_ceiling_is_never_below_the_score() {
        let mut rng = StdRng::seed_from_u64(11);
        let plain = Want {
            bounds: BTreeMap::new(),
            min_grades: BTreeMap::new(),
            ..want()
        };
        let mut recurring = want();
        recurring.intake = Some(crate::domain::supply::flat(400_000));
        let (mut scored, mut exact) = (0, 0);
        for i in 0..20_000 {
            let mut l = lot(&mut rng, i);
            let stream = rng.random_bool(0.3);
            if stream {
                l.generation = Some(crate::domain::supply::flat(rng.random_range(1..800) * 1000));
            }
            let terms = Terms {
                price_fen: l.price_fen,
                delivered: l.delivered,
                remaining_kg: l.remaining_kg,
                lat: l.lat,
                lon: l.lon,
                published_at: l.published_at,
                stream,
            };
            for w in [&want(), &plain, &recurring] {
                let ceiling = ceiling(w, &terms, &params());
                if let Ok(b) = evaluate(w, &l, &params()) {
                    scored += 1;
                    let ceiling = ceiling.expect("a scored lot lies within the radius");
                    // The score is rounded to the hundredth.
                    assert!(b.score <= ceiling + 0.005, "{} > {ceiling}: {l:?}", b.score);
                    if std::ptr::eq(w, &plain) && !stream {
                        exact += 1;
                        assert!((b.score - ceiling).abs() <= 0.005);
                    }
                }
            }
        }
        assert!(scored > 1000 && exact > 100, "{scored} {exact}");
    }

    /// A recurring demand against a recurring stream scores its quantity by the profiles: a
    /// stream that covers the winter stop but not the building season fits less than one that
    /// covers every month, whatever its total.
    #[test]
    fn recurring_supply_is_matched_month_by_month() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut w = want();
        w.bounds.clear();
        w.min_grades.clear();
        let t = 1000;
        w.intake = Some([
            500 * t,
            500 * t,
            2000 * t,
            2000 * t,
            2000 * t,
            2000 * t,
            2000 * t,
            2000 * t,
            2000 * t,
            2000 * t,
            2000 * t,
            500 * t,
        ]);
        let mut l = (0..)
            .map(|i| lot(&mut rng, i))
            .find(|l| evaluate(&w, l, &params()).is_ok())
            .unwrap();
        l.generation = Some(crate::domain::supply::flat(2000 * t));
        let every_month = evaluate(&w, &l, &params()).unwrap();
        assert_eq!(every_month.parts.quantity, 1.0);
        assert_eq!(every_month.monthly_coverage.as_ref().unwrap()[5], 1.0);
        // Heating-season stream: 3 000 t Nov–Mar, 1 500 t otherwise (worked in domain::supply).
        l.generation = Some([
            3000 * t,
            3000 * t,
            3000 * t,
            1500 * t,
            1500 * t,
            1500 * t,
            1500 * t,
            1500 * t,
            1500 * t,
            1500 * t,
            3000 * t,
            3000 * t,
        ]);
        let seasonal = evaluate(&w, &l, &params()).unwrap();
        assert!((seasonal.parts.quantity - 16_000.0 / 19_500.0).abs() < 1e-12);
        assert_eq!(seasonal.monthly_coverage.unwrap()[3], 0.75);
        assert!(seasonal.score < every_month.score);
    }

    #[test]
    fn a_better_price_never_lowers_the_score() {
        let mut rng = StdRng::seed_from_u64(11);
        let w = want();
        let mut checked = 0;
        for i in 0..5000 {
            let mut l = lot(&mut rng, i);
            let Ok(before) = evaluate(&w, &l, &params()) else {
                continue;
            };
            let Some(price) = l.price_fen else { continue };
            l.price_fen = Some(price - rng.random_range(1..2000));
            let after = evaluate(&w, &l, &params()).expect("a cheaper lot still matches");
            assert!(
                after.score >= before.score,
                "{} < {}",
                after.score,
                before.score
            );
            checked += 1;
        }
        assert!(checked > 100, "enough matching lots were tried ({checked})");
    }

    #[test]
    fn the_order_is_total_and_stable() {
        let mut rng = StdRng::seed_from_u64(13);
        let w = want();
        let mut matches: Vec<(String, Breakdown, ())> = (0..3000)
            .map(|i| lot(&mut rng, i))
            .filter_map(|l| evaluate(&w, &l, &params()).ok().map(|b| (l.id, b, ())))
            .collect();
        // Force ties: equal scores must still come out in one order.
        if let Some(first) = matches.first().cloned() {
            matches.push(("lot-9999".into(), first.1.clone(), ()));
            matches.push(("lot-0000a".into(), first.1, ()));
        }
        let mut a = matches.clone();
        rank(&mut a);
        let mut b = matches;
        b.reverse();
        rank(&mut b);
        let ids = |v: &[(String, Breakdown, ())]| v.iter().map(|m| m.0.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
        assert!(a.windows(2).all(|p| p[0].1.score >= p[1].1.score));
    }

    #[test]
    fn freight_counts_only_when_the_receiver_collects() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut l = lot(&mut rng, 1);
        l.category = "SW02".into();
        l.properties = Properties::from([("loi_pct".to_string(), PropertyValue::Number(5.0))]);
        l.grades = BTreeMap::from([("fly_ash".to_string(), "II".to_string())]);
        l.lat = 40.68 + 0.18; // about 20 km north
        l.lon = 109.88;
        l.price_fen = Some(1000);
        l.min_order_kg = 1000;
        l.identification_missing = false;
        l.available_from = t(0);
        l.available_until = None;
        l.delivered = false;
        let pickup = evaluate(&want(), &l, &params()).unwrap();
        assert!(
            (990..=1010).contains(&pickup.freight_fen_per_t),
            "{}",
            pickup.freight_fen_per_t
        );
        assert_eq!(
            pickup.landed_cost_fen_per_t,
            1000 + pickup.freight_fen_per_t
        );
        l.delivered = true;
        let delivered = evaluate(&want(), &l, &params()).unwrap();
        assert_eq!(delivered.freight_fen_per_t, 0);
        assert!(delivered.score > pickup.score);
    }

    #[test]
    fn matching_refuses_what_the_use_table_refuses() {
        let mut rng = StdRng::seed_from_u64(5);
        let mut l = lot(&mut rng, 1);
        l.category = "SW01".into();
        l.subtype = Some("steel_slag_bof".into());
        l.properties = Properties::from([("loi_pct".to_string(), PropertyValue::Number(1.0))]);
        l.grades = BTreeMap::from([
            ("radioactivity".to_string(), "pass".to_string()),
            ("steel_slag_powder".to_string(), "pass".to_string()),
        ]);
        l.price_fen = Some(1000);
        l.min_order_kg = 1000;
        l.identification_missing = false;
        l.available_from = t(0);
        l.available_until = None;
        l.lat = 40.68;
        l.lon = 109.88;
        let mut w = want();
        w.categories = vec!["SW01".into()];
        w.min_grades.clear();
        w.intended_use = IntendedUse::Cement;
        let refused = evaluate(&w, &l, &params()).unwrap_err();
        assert!(refused.starts_with("cement.steel_slag:"), "{refused}");
        // The same lot is a match for concrete (GB/T 20491 pass, radioactivity pass).
        w.intended_use = IntendedUse::Concrete;
        assert!(evaluate(&w, &l, &params()).is_ok());
        l.grades.insert("radioactivity".into(), "fail".into());
        let refused = evaluate(&w, &l, &params()).unwrap_err();
        assert!(refused.starts_with("concrete.radioactivity:"), "{refused}");
    }
}
