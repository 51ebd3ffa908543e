//! Supply contracts (供货协议) for streams: the contract state machine, calendar months of a term,
//! the monthly band, monthly profiles and the yard-fill forecast. Pure functions; the service
//! layer (`service::supply`) stores and moves contracts.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};

use crate::domain::grading::{Properties, PropertyValue, at_least};
use crate::domain::matching::Bound;

text_enum! {
    pub enum ContractStatus {
        /// One party proposed terms; the other answers.
        Proposed => "proposed",
        /// The answering party changed the terms; the first answers.
        Countered => "countered",
        /// Both parties agreed; awaiting the alliance's approval.
        Agreed => "agreed",
        /// Approved: each month of the term gets a call-off.
        Active => "active",
        /// The stream's lab report is out of date or out of bounds: the next call-off is held.
        Suspended => "suspended",
        /// The term ran out.
        Ended => "ended",
        /// Declined, withdrawn, rejected by staff or ended early by a party.
        Terminated => "terminated",
    }
}

state_events! {
    pub enum ContractEvent {
        /// The party whose turn it is changes the terms.
        Counter => "countered",
        /// The party whose turn it is accepts the terms.
        Agree => "agreed",
        /// Either party walks away before agreement.
        Decline => "declined",
        /// Staff approve an agreed contract.
        Approve => "approved",
        /// Staff reject an agreed contract.
        Reject => "rejected",
        /// A lab report goes out of date or out of bounds.
        Suspend => "suspended",
        /// A new lab report within bounds is filed.
        Resume => "resumed",
        /// The last month of the term closed, or the term passed.
        End => "ended",
        /// A party or staff end an agreed or running contract early, with a reason.
        Terminate => "terminated",
    }
}

pub fn transition(from: ContractStatus, event: ContractEvent) -> Option<ContractStatus> {
    use ContractEvent::*;
    use ContractStatus::*;
    match (from, event) {
        (Proposed | Countered, Counter) => Some(Countered),
        (Proposed | Countered, Agree) => Some(Agreed),
        (Proposed | Countered, Decline) => Some(Terminated),
        (Agreed, Approve) => Some(Active),
        (Agreed, Reject) => Some(Terminated),
        (Active, Suspend) => Some(Suspended),
        (Suspended, Resume) => Some(Active),
        (Active | Suspended, End) => Some(Ended),
        (Agreed | Active | Suspended, Terminate) => Some(Terminated),
        _ => None,
    }
}

impl ContractStatus {
    /// States in which the contract holds a share of its stream's monthly tonnage.
    pub const COMMITTED: [Self; 3] = [Self::Agreed, Self::Active, Self::Suspended];
}

/// The longest term a contract may run, in months.
pub const MAX_TERM_MONTHS: u32 = 36;
/// How far ahead of the current month a call-off may be placed (a quarter's planning).
pub const CALL_OFF_AHEAD_MONTHS: u32 = 2;
/// Days after a month ends before its open call-off is closed by the job (loads in transit).
pub const CLOSE_GRACE_DAYS: i64 = 5;

/// A calendar month, stored and sent as `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    /// 1–12.
    pub month: u32,
}

impl Month {
    pub fn parse(text: &str) -> Option<Self> {
        let (y, m) = text.split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        let (year, month) = (y.parse().ok()?, m.parse().ok()?);
        ((2000..=2199).contains(&year) && (1..=12).contains(&month)).then_some(Self { year, month })
    }

    pub fn of(day: NaiveDate) -> Self {
        Self {
            year: day.year(),
            month: day.month(),
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or_default()
    }

    pub fn next(self) -> Self {
        self.plus(1)
    }

    pub fn plus(self, months: u32) -> Self {
        let index = self.year * 12 + self.month as i32 - 1 + months as i32;
        Self {
            year: index.div_euclid(12),
            month: index.rem_euclid(12) as u32 + 1,
        }
    }

    /// Months from `self` to `later`, both counted (`2027-01`..`2027-03` is 3); 0 when reversed.
    pub fn span(self, later: Self) -> u32 {
        let months = (later.year * 12 + later.month as i32) - (self.year * 12 + self.month as i32);
        (months + 1).max(0) as u32
    }

    pub fn days(self) -> i64 {
        (self.next().first_day() - self.first_day()).num_days()
    }

    /// Index into a 12-month profile (January = 0).
    pub fn index(self) -> usize {
        self.month as usize - 1
    }

    /// The quarter, `YYYY-Qn`.
    pub fn quarter(self) -> String {
        format!("{}-Q{}", self.year, (self.month - 1) / 3 + 1)
    }

    /// The first day of the month after, plus the grace days: when the job closes the month.
    pub fn closes_on(self) -> NaiveDate {
        self.next().first_day() + Duration::days(CLOSE_GRACE_DAYS)
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// A quarter as written in a price schedule, `YYYY-Qn`: its first month.
pub fn parse_quarter(text: &str) -> Option<Month> {
    let (y, q) = text.split_once("-Q")?;
    let q: u32 = q.parse().ok().filter(|q| (1..=4).contains(q))?;
    Month::parse(&format!("{y}-{:02}", (q - 1) * 3 + 1))
}

/// The price of a month: the schedule's entry for its quarter, else the base price.
pub fn price_for(base_fen: i64, schedule: &BTreeMap<String, i64>, month: Month) -> i64 {
    schedule.get(&month.quarter()).copied().unwrap_or(base_fen)
}

text_enum! {
    /// What a closed month delivered against the contract's band.
    pub enum BandFlag {
        /// Less than the monthly minimum.
        Shortfall => "shortfall",
        Within => "within",
        /// More than the monthly maximum.
        Excess => "excess",
    }
}

pub fn band_flag(delivered_kg: i64, min_kg: i64, max_kg: i64) -> BandFlag {
    if delivered_kg < min_kg {
        BandFlag::Shortfall
    } else if delivered_kg > max_kg {
        BandFlag::Excess
    } else {
        BandFlag::Within
    }
}

/// Tonnes (kg) for each calendar month, January first.
pub type Profile = [i64; 12];

/// A profile as stored: a JSON array of twelve kg figures.
pub fn parse_profile(text: &str) -> Option<Profile> {
    serde_json::from_str::<Vec<i64>>(text)
        .ok()
        .and_then(|v| v.try_into().ok())
}

/// A flat profile: the same tonnage each month.
pub fn flat(monthly_kg: i64) -> Profile {
    [monthly_kg; 12]
}

/// How much of a recurring demand a stream covers, month by month.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    /// Per calendar month, 0–1: min(stream, demand) ÷ demand (1 when nothing is wanted).
    pub by_month: [f64; 12],
    /// Over the year: Σ min(stream, demand) ÷ Σ demand (1 when nothing is wanted).
    pub overall: f64,
}

pub fn coverage(stream: &Profile, demand: &Profile) -> Coverage {
    let mut by_month = [1.0; 12];
    let (mut met, mut wanted) = (0i64, 0i64);
    for m in 0..12 {
        let (s, d) = (stream[m].max(0), demand[m].max(0));
        if d > 0 {
            by_month[m] = s.min(d) as f64 / d as f64;
        }
        met += s.min(d);
        wanted += d;
    }
    let overall = if wanted == 0 {
        1.0
    } else {
        met as f64 / wanted as f64
    };
    Coverage { by_month, overall }
}

/// Tonnes held in `month` by contracts given as (first month, last month, monthly tonnes).
pub fn held_in(held: &[(Month, Month, i64)], month: Month) -> i64 {
    held.iter()
        .filter(|(s, e, _)| *s <= month && month <= *e)
        .map(|(.., kg)| kg)
        .sum()
}

/// What a stream can still promise each month: its generation less what contracts hold.
pub fn uncommitted(generation: &Profile, committed: &Profile) -> Profile {
    std::array::from_fn(|m| (generation[m] - committed[m]).max(0))
}

/// Days until a yard holding `stock_kg` of `capacity_kg` is full, when it gains each month's
/// generation and loses each month's contracted offtake, spread evenly over the month's days;
/// `None` when it does not fill within `horizon_days`. A yard already full fills on day 0.
pub fn days_to_fill(
    stock_kg: i64,
    capacity_kg: i64,
    generation: &Profile,
    offtake: &Profile,
    from: NaiveDate,
    horizon_days: u32,
) -> Option<u32> {
    if stock_kg >= capacity_kg {
        return Some(0);
    }
    let mut stock = stock_kg as f64;
    for day in 0..horizon_days {
        let date = from + Duration::days(day as i64);
        let month = Month::of(date);
        let net = (generation[month.index()] - offtake[month.index()]) as f64 / month.days() as f64;
        stock = (stock + net).max(0.0);
        if stock >= capacity_kg as f64 {
            return Some(day + 1);
        }
    }
    None
}

/// Why a stream's lab values break a contract's quality terms, if they do.
pub fn quality_breach(
    bounds: &BTreeMap<String, Bound>,
    min_grades: &BTreeMap<String, String>,
    values: &Properties,
    grades: &BTreeMap<String, String>,
) -> Option<String> {
    for (key, bound) in bounds {
        let Some(v) = values.get(key).and_then(PropertyValue::number) else {
            return Some(format!("{key} not stated"));
        };
        if bound.max.is_some_and(|max| v > max) {
            return Some(format!("{key} {v} above {}", bound.max.unwrap_or_default()));
        }
        if bound.min.is_some_and(|min| v < min) {
            return Some(format!("{key} {v} below {}", bound.min.unwrap_or_default()));
        }
    }
    for (rule, wanted) in min_grades {
        let accepted = at_least(rule, wanted).unwrap_or_default();
        match grades.get(rule) {
            Some(got) if accepted.contains(&got.as_str()) => {}
            Some(got) => return Some(format!("{rule} grade {got} below {wanted}")),
            None => return Some(format!("no {rule} grade")),
        }
    }
    None
}

/// A lab report speaks for one batch: once more than `batch_kg` left under it, it is out of date
/// (GB/T 1596: fly ash is tested per 500 t). Materials without a batch rule never go out of date by
/// tonnage.
pub fn report_out_of_date(batch_kg: Option<i64>, delivered_since_kg: i64) -> bool {
    batch_kg.is_some_and(|batch| delivered_since_kg > batch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContractEvent::*;
    use ContractStatus::*;

    #[test]
    fn contract_table() {
        let statuses = [
            Proposed, Countered, Agreed, Active, Suspended, Ended, Terminated,
        ];
        let allowed = [
            (Proposed, Counter, Countered),
            (Countered, Counter, Countered),
            (Proposed, Agree, Agreed),
            (Countered, Agree, Agreed),
            (Proposed, Decline, Terminated),
            (Countered, Decline, Terminated),
            (Agreed, Approve, Active),
            (Agreed, Reject, Terminated),
            (Active, Suspend, Suspended),
            (Suspended, Resume, Active),
            (Active, End, Ended),
            (Suspended, End, Ended),
            (Agreed, Terminate, Terminated),
            (Active, Terminate, Terminated),
            (Suspended, Terminate, Terminated),
        ];
        crate::domain::assert_table(&statuses, ContractEvent::ALL, &allowed, transition);
    }

    #[test]
    fn months_and_quarters() {
        let nov = Month::parse("2026-11").unwrap();
        assert_eq!(nov.plus(2).to_string(), "2027-01");
        assert_eq!(nov.span(Month::parse("2027-10").unwrap()), 12);
        assert_eq!(nov.span(Month::parse("2026-10").unwrap()), 0);
        assert_eq!(nov.quarter(), "2026-Q4");
        assert_eq!(Month::parse("2027-02").unwrap().days(), 28);
        assert_eq!(parse_quarter("2027-Q3").unwrap().to_string(), "2027-07");
        assert_eq!(nov.closes_on().to_string(), "2026-12-06");
        for bad in ["2026-13", "2026-1", "26-11", "2026-00", "x"] {
            assert!(Month::parse(bad).is_none(), "{bad}");
        }
        let schedule = BTreeMap::from([("2027-Q1".to_string(), -500)]);
        assert_eq!(price_for(1000, &schedule, nov), 1000);
        assert_eq!(price_for(1000, &schedule, nov.plus(3)), -500);
    }

    #[test]
    fn band_flags() {
        assert_eq!(band_flag(299_000, 300_000, 600_000), BandFlag::Shortfall);
        assert_eq!(band_flag(300_000, 300_000, 600_000), BandFlag::Within);
        assert_eq!(band_flag(600_000, 300_000, 600_000), BandFlag::Within);
        assert_eq!(band_flag(600_001, 300_000, 600_000), BandFlag::Excess);
    }

    /// A fly-ash stream that doubles in the heating season (Nov–Mar) against a cement plant that
    /// takes 2 000 t a month except 500 t in its winter stop (Dec–Feb), worked by hand.
    #[test]
    fn profile_coverage_by_hand() {
        let t = 1000;
        let stream = [
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
        ];
        let demand = [
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
        ];
        let c = coverage(&stream, &demand);
        // Winter months and March are fully covered; April–October 1 500 of 2 000 = 0.75.
        assert_eq!(c.by_month[0], 1.0);
        assert_eq!(c.by_month[2], 1.0);
        assert_eq!(c.by_month[3], 0.75);
        assert_eq!(c.by_month[10], 1.0);
        // Σ min = 3×500 + 2 000 (Mar) + 7×1 500 + 2 000 (Nov) = 16 000; Σ demand = 19 500.
        assert!((c.overall - 16_000.0 / 19_500.0).abs() < 1e-12);
        // Nothing wanted: fully covered; nothing supplied: zero.
        assert_eq!(coverage(&stream, &flat(0)).overall, 1.0);
        assert_eq!(coverage(&flat(0), &demand).overall, 0.0);
        assert_eq!(
            uncommitted(&flat(100), &[150, 50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])[..2],
            [0, 50]
        );
    }

    /// A yard of 10 000 t holding 7 000 t; 3 100 t a month made in December (31 days: 100 t a
    /// day), 1 550 t contracted away (50 t a day): it gains 50 t a day, so 3 000 t take 60 days.
    #[test]
    fn yard_fill_by_hand() {
        let t = 1000;
        let dec1 = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let gen_ = flat(3100 * t);
        let off = flat(1550 * t);
        // December gains 31 × 50 = 1 550 t (8 550); 29 January days bring the rest: day 60.
        assert_eq!(
            days_to_fill(7000 * t, 10_000 * t, &gen_, &off, dec1, 90),
            Some(60)
        );
        // Not within a 59-day horizon.
        assert_eq!(
            days_to_fill(7000 * t, 10_000 * t, &gen_, &off, dec1, 59),
            None
        );
        // Offtake above generation: it never fills; a full yard is full now.
        assert_eq!(
            days_to_fill(7000 * t, 10_000 * t, &off, &gen_, dec1, 90),
            None
        );
        assert_eq!(
            days_to_fill(10_000 * t, 10_000 * t, &gen_, &off, dec1, 90),
            Some(0)
        );
    }

    #[test]
    fn quality_terms() {
        let values: Properties = BTreeMap::from([
            ("loi_pct".to_string(), PropertyValue::Number(6.0)),
            ("fly_ash_class".to_string(), PropertyValue::Text("F".into())),
        ]);
        let grades = BTreeMap::from([("fly_ash".to_string(), "II".to_string())]);
        let bound = |min, max| Bound { min, max };
        let ok = BTreeMap::from([("loi_pct".to_string(), bound(None, Some(8.0)))]);
        assert_eq!(
            quality_breach(&ok, &BTreeMap::new(), &values, &grades),
            None
        );
        let tight = BTreeMap::from([("loi_pct".to_string(), bound(None, Some(5.0)))]);
        assert_eq!(
            quality_breach(&tight, &BTreeMap::new(), &values, &grades).unwrap(),
            "loi_pct 6 above 5"
        );
        let grade_i = BTreeMap::from([("fly_ash".to_string(), "I".to_string())]);
        assert!(quality_breach(&BTreeMap::new(), &grade_i, &values, &grades).is_some());
        let grade_ii = BTreeMap::from([("fly_ash".to_string(), "II".to_string())]);
        assert!(quality_breach(&BTreeMap::new(), &grade_ii, &values, &grades).is_none());
        assert!(report_out_of_date(Some(500_000), 500_001));
        assert!(!report_out_of_date(Some(500_000), 500_000));
        assert!(!report_out_of_date(None, 10_000_000));
    }
}
