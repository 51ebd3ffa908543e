//! The city desk's figures and state machines (docs/CITY.md): the official comprehensive
//! utilisation rate, stock change and generation intensity from declarations, key projects
//! (重点项目) and indicator status. Pure functions over kilograms and fen.

use chrono::NaiveDate;

/// What a producer declares for one site, category and month (kilograms).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Declared {
    pub generated: i64,
    pub utilised_in_house: i64,
    /// Handed to others for utilisation (委托利用): the exchange's deliveries and off-exchange flows.
    pub sent_out: i64,
    pub disposed: i64,
    /// Stored at the end of the month (贮存量).
    pub stored_end: i64,
    /// Stock from earlier years utilised this month (综合利用往年贮存量).
    pub prior_stock_utilised: i64,
}

impl std::ops::AddAssign for Declared {
    fn add_assign(&mut self, o: Self) {
        self.generated += o.generated;
        self.utilised_in_house += o.utilised_in_house;
        self.sent_out += o.sent_out;
        self.disposed += o.disposed;
        self.stored_end += o.stored_end;
        self.prior_stock_utilised += o.prior_stock_utilised;
    }
}

impl Declared {
    /// Comprehensive utilisation (综合利用量): used in-house, sent out for use, and prior-years'
    /// stock used.
    pub fn utilised(&self) -> i64 {
        self.utilised_in_house + self.sent_out + self.prior_stock_utilised
    }

    /// 综合利用率 = 综合利用量 ÷ (产生量 + 综合利用往年贮存量), in per cent with two decimals;
    /// `None` when nothing was generated or taken from stock.
    pub fn utilisation_rate_pct(&self) -> Option<f64> {
        let base = self.generated + self.prior_stock_utilised;
        (base > 0).then(|| round2(self.utilised() as f64 * 100.0 / base as f64))
    }
}

/// Stock change over a year: stock at the end of this year minus at the end of the last; `None`
/// without a declaration for last year.
pub fn stock_change(end_this_year: i64, end_last_year: Option<i64>) -> Option<i64> {
    end_last_year.map(|last| end_this_year - last)
}

/// Generation intensity, tonnes per 10 000 yuan of output (t/万元), four decimals: generated kg
/// ÷ output value in fen.
pub fn intensity_t_per_10k_yuan(generated_kg: i64, output_fen: i64) -> Option<f64> {
    // t / (fen / 1 000 000) = kg / 1000 × 1 000 000 / fen = kg × 1000 / fen
    (output_fen > 0).then(|| round4(generated_kg as f64 * 1000.0 / output_fen as f64))
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

text_enum! {
    /// A key project's stage (重点项目调度).
    pub enum KeyProjectStatus {
        Planned => "planned",
        UnderConstruction => "under_construction",
        Completed => "completed",
        Operating => "operating",
        Cancelled => "cancelled",
    }
}

state_events! {
    pub enum KeyProjectEvent {
        /// Construction starts.
        Start => "started",
        /// Construction is complete (capacity built).
        Complete => "completed",
        /// The plant runs.
        Operate => "put into operation",
        /// The project is dropped, with a reason.
        Cancel => "cancelled",
    }
}

pub fn key_project_transition(
    from: KeyProjectStatus,
    event: KeyProjectEvent,
) -> Option<KeyProjectStatus> {
    use KeyProjectEvent::*;
    use KeyProjectStatus::*;
    match (from, event) {
        (Planned, Start) => Some(UnderConstruction),
        (UnderConstruction, Complete) => Some(Completed),
        (Completed, Operate) => Some(Operating),
        (Planned | UnderConstruction | Completed, Cancel) => Some(Cancelled),
        _ => None,
    }
}

impl KeyProjectStatus {
    /// Stages that still report progress and can slip.
    pub fn dispatched(self) -> bool {
        matches!(
            self,
            Self::Planned | Self::UnderConstruction | Self::Completed
        )
    }

    /// Stages whose capacity counts as added.
    pub fn built(self) -> bool {
        matches!(self, Self::Completed | Self::Operating)
    }
}

/// Why a dispatched project is overdue, if it is: its progress report is missing past its due
/// date, or a milestone slipped (not started, or not completed, by the planned date).
pub fn overdue_reason(
    status: KeyProjectStatus,
    report_due: Option<NaiveDate>,
    planned_start: Option<NaiveDate>,
    planned_completion: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<String> {
    if !status.dispatched() {
        return None;
    }
    if let Some(due) = report_due
        && due < today
    {
        return Some(format!("progress report due {due} is missing"));
    }
    match status {
        KeyProjectStatus::Planned => planned_start
            .filter(|d| *d < today)
            .map(|d| format!("planned to start by {d}")),
        KeyProjectStatus::UnderConstruction => planned_completion
            .filter(|d| *d < today)
            .map(|d| format!("planned to be completed by {d}")),
        _ => None,
    }
}

text_enum! {
    /// Where an indicator stands (指标任务).
    pub enum IndicatorStatus {
        /// The target is met, or progress is at least where a straight line from the baseline
        /// to the target says it should be today.
        OnTrack => "on_track",
        /// Behind that line, before the deadline.
        AtRisk => "at_risk",
        /// Past the deadline and the target not met.
        Overdue => "overdue",
        /// No value yet.
        NoData => "no_data",
    }
}

/// An indicator's status on `today`: `higher_is_better` says which way the target lies.
#[allow(clippy::too_many_arguments)]
pub fn indicator_status(
    baseline: f64,
    target: f64,
    current: Option<f64>,
    higher_is_better: bool,
    start: NaiveDate,
    deadline: NaiveDate,
    today: NaiveDate,
) -> IndicatorStatus {
    let Some(current) = current else {
        return IndicatorStatus::NoData;
    };
    let better_or_equal = |a: f64, b: f64| if higher_is_better { a >= b } else { a <= b };
    if better_or_equal(current, target) {
        return IndicatorStatus::OnTrack;
    }
    if today > deadline {
        return IndicatorStatus::Overdue;
    }
    let span = (deadline - start).num_days().max(1) as f64;
    let elapsed = (today - start).num_days().clamp(0, span as i64) as f64;
    let expected = baseline + (target - baseline) * elapsed / span;
    if better_or_equal(current, expected) {
        IndicatorStatus::OnTrack
    } else {
        IndicatorStatus::AtRisk
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn utilisation_rate_counts_prior_years_stock_used() {
        // 1000 t generated; 600 t used in-house, 200 t sent out, 100 t of old stock used.
        // Utilised 900 t of a base of 1100 t: 81.82 %.
        let y = Declared {
            generated: 1_000_000,
            utilised_in_house: 600_000,
            sent_out: 200_000,
            disposed: 50_000,
            stored_end: 400_000,
            prior_stock_utilised: 100_000,
        };
        assert_eq!(y.utilised(), 900_000);
        assert_eq!(y.utilisation_rate_pct(), Some(81.82));
        // Old stock used can lift the rate above 100 %: the official formula allows it.
        let z = Declared {
            generated: 100_000,
            utilised_in_house: 100_000,
            prior_stock_utilised: 300_000,
            ..Default::default()
        };
        assert_eq!(z.utilisation_rate_pct(), Some(100.0));
        let w = Declared {
            generated: 100_000,
            utilised_in_house: 100_000,
            sent_out: 50_000,
            prior_stock_utilised: 50_000,
            ..Default::default()
        };
        assert_eq!(w.utilisation_rate_pct(), Some(133.33));
        assert_eq!(Declared::default().utilisation_rate_pct(), None);
    }

    #[test]
    fn intensity_over_two_years() {
        // 2018: 3 160 000 t over 10 000 000 ×10k yuan (100 billion yuan) → 0.316 t/10k yuan.
        // 2019: 3 030 000 t over the same output → 0.303; the fall is 0.013.
        let y2018 = intensity_t_per_10k_yuan(3_160_000_000, 10_000_000_000_000);
        let y2019 = intensity_t_per_10k_yuan(3_030_000_000, 10_000_000_000_000);
        assert_eq!(y2018, Some(0.316));
        assert_eq!(y2019, Some(0.303));
        // The pilot bulletin's 3.16 → 3.03 t per 10 000 yuan: 316 t over 100 ×10k yuan.
        assert_eq!(intensity_t_per_10k_yuan(316_000, 100_000_000), Some(3.16));
        assert_eq!(intensity_t_per_10k_yuan(1, 0), None);
    }

    #[test]
    fn stock_change_needs_last_year() {
        assert_eq!(stock_change(400_000, Some(500_000)), Some(-100_000));
        assert_eq!(stock_change(400_000, None), None);
    }

    #[test]
    fn key_project_table() {
        use KeyProjectEvent::*;
        use KeyProjectStatus::*;
        let allowed = [
            (Planned, Start, UnderConstruction),
            (UnderConstruction, Complete, Completed),
            (Completed, Operate, Operating),
            (Planned, Cancel, Cancelled),
            (UnderConstruction, Cancel, Cancelled),
            (Completed, Cancel, Cancelled),
        ];
        crate::domain::assert_table(
            KeyProjectStatus::ALL,
            KeyProjectEvent::ALL,
            &allowed,
            key_project_transition,
        );
    }

    #[test]
    fn overdue_when_a_report_is_missing_or_a_milestone_slipped() {
        use KeyProjectStatus::*;
        let today = d("2026-11-29");
        let due = |s| Some(d(s));
        assert_eq!(
            overdue_reason(Planned, due("2026-11-29"), None, None, today),
            None
        );
        assert!(
            overdue_reason(Planned, due("2026-11-28"), None, None, today)
                .unwrap()
                .contains("report")
        );
        assert!(
            overdue_reason(Planned, None, due("2026-11-28"), None, today)
                .unwrap()
                .contains("start")
        );
        assert!(
            overdue_reason(
                UnderConstruction,
                None,
                due("2026-01-01"),
                due("2026-11-28"),
                today
            )
            .unwrap()
            .contains("completed")
        );
        assert_eq!(
            overdue_reason(UnderConstruction, None, None, due("2026-11-29"), today),
            None
        );
        assert_eq!(
            overdue_reason(Operating, due("2020-01-01"), None, None, today),
            None
        );
        assert_eq!(
            overdue_reason(Cancelled, due("2020-01-01"), None, None, today),
            None
        );
    }

    #[test]
    fn indicator_status_table() {
        use IndicatorStatus::*;
        let (start, deadline) = (d("2026-01-01"), d("2026-12-31"));
        let at = |current: Option<f64>, today: &str| {
            indicator_status(60.0, 80.0, current, true, start, deadline, d(today))
        };
        assert_eq!(at(None, "2026-06-01"), NoData);
        assert_eq!(at(Some(80.0), "2027-03-01"), OnTrack);
        assert_eq!(at(Some(79.9), "2027-01-01"), Overdue);
        // Halfway through the year the line says 70.
        assert_eq!(at(Some(70.0), "2026-07-02"), OnTrack);
        assert_eq!(at(Some(69.0), "2026-07-02"), AtRisk);
        // Lower is better (intensity 3.16 → 3.03).
        let down = |current: f64, today: &str| {
            indicator_status(3.16, 3.03, Some(current), false, start, deadline, d(today))
        };
        assert_eq!(down(3.03, "2026-02-01"), OnTrack);
        assert_eq!(down(3.15, "2026-12-01"), AtRisk);
        assert_eq!(down(3.10, "2027-01-02"), Overdue);
    }
}
