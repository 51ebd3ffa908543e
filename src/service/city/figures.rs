//! The official figures (docs/CITY.md): comprehensive utilisation rate, stock and its change,
//! disposal and generation intensity from the declarations and the output values staff enter;
//! key projects and capacity; the exchange's own volumes and CO2 — one annual report, as JSON
//! and CSV, for staff in full and for the public without any cell a company could be read from.
//! The only writer of `output_values`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::{declarations, indicators, key_projects, organizations, output_values};
use crate::db::{DbConnection, now};
use crate::domain::city::{Declared, KeyProjectStatus, intensity_t_per_10k_yuan, stock_change};
use crate::domain::quantity::{format_tonnes, format_yuan};
use crate::domain::uscc::registered_district;
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::audit::{self, Entry};
use crate::service::city::key_projects::KeyProjectRow;
use crate::service::city::profile;
use crate::service::city::stats::{self, Period, Summary, within};
use crate::service::export::Sheet;
use crate::service::input::Checks;

/// Cells (a category, a district) declared by fewer organizations are withheld from the public
/// report, so that no company's own figures can be read from it.
pub const MIN_PUBLIC_CELL: usize = 3;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputValueInput {
    /// Gross output value of the year, yuan (exact to the fen).
    #[schema(value_type = String, pattern = r"^[1-9][0-9]{0,12}(\.[0-9]{1,2})?$", example = "370000000000")]
    pub value_yuan: String,
    /// Where the figure comes from (the statistical yearbook, a bulletin).
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 3,
        max_length = 300
    )]
    pub source: String,
}

#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct OutputValue {
    pub year: i32,
    /// The city (its prefecture code, ending in 00) or a district.
    pub region_code: String,
    pub value_yuan: String,
    pub source: String,
}

/// Staff enter the output value of the city or a district for a year (replacing any earlier).
pub fn set_output_value(
    conn: &mut DbConnection,
    user: &CurrentUser,
    year: i32,
    region_code: &str,
    req: &OutputValueInput,
) -> Result<OutputValue, ApiError> {
    user.require_staff()?;
    let mut c = Checks::default();
    if !(2000..=2100).contains(&year) {
        c.push("year", "out_of_range", "must be between 2000 and 2100");
    }
    if region_code.len() != 6 || !region_code.bytes().all(|b| b.is_ascii_digit()) {
        c.push(
            "region_code",
            "invalid_region",
            "must be a 6-digit GB/T 2260 code",
        );
    }
    let value = match crate::domain::quantity::parse_large_yuan(&req.value_yuan, 13) {
        Ok(fen) if fen > 0 => Some(fen),
        Ok(_) => {
            c.push("value_yuan", "not_positive", "must be greater than zero");
            None
        }
        Err(e) => {
            c.push("value_yuan", e.code(), e.to_string());
            None
        }
    };
    c.text("source", &req.source, 3, 300);
    c.finish()?;
    let at = now();
    let before: Option<(i64, String)> = output_values::table
        .find((year, region_code))
        .select((output_values::value_fen, output_values::source))
        .first(conn)
        .optional()?;
    diesel::delete(output_values::table.find((year, region_code))).execute(conn)?;
    diesel::insert_into(output_values::table)
        .values((
            output_values::year.eq(year),
            output_values::region_code.eq(region_code),
            output_values::value_fen.eq(value.unwrap_or_default()),
            output_values::source.eq(req.source.trim()),
            output_values::updated_by.eq(&user.id),
            output_values::updated_at.eq(at),
        ))
        .execute(conn)?;
    let after = OutputValue {
        year,
        region_code: region_code.to_string(),
        value_yuan: format_yuan(value.unwrap_or_default()),
        source: req.source.trim().to_string(),
    };
    let object = format!("{year}/{region_code}");
    audit::record(
        conn,
        Entry {
            actor: Some(&user.id),
            action: "output_value.set",
            object_type: "output_value",
            object_id: &object,
            reason: None,
        },
        before.map(|(v, s)| (format_yuan(v), s)).as_ref(),
        Some(&after),
    )?;
    Ok(after)
}

/// The declared figures of one cell (the city, a category or a district) over a year.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Figures {
    pub generated_t: String,
    /// Comprehensive utilisation (综合利用量): in-house + sent out + prior-years' stock used.
    pub utilised_t: String,
    pub utilised_in_house_t: String,
    pub sent_out_t: String,
    pub prior_stock_utilised_t: String,
    pub disposed_t: String,
    /// In store at the end of the year (each site's last declared month).
    pub stock_end_t: String,
    /// Stock at the end of the year minus at the end of the year before; `null` without
    /// declarations for the year before.
    pub stock_change_t: Option<String>,
    /// 综合利用率, per cent: utilised ÷ (generated + prior-years' stock utilised).
    pub utilisation_rate_pct: Option<f64>,
    pub declaring_organizations: usize,
}

/// A category's or a district's figures; `null` where withheld from the public.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KeyedFigures {
    pub key: String,
    pub figures: Option<Figures>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Intensity {
    pub region_code: String,
    pub output_value_yuan: String,
    pub generated_t: String,
    /// Tonnes generated per 10 000 yuan of output (t/万元).
    pub t_per_10k_yuan: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectTotals {
    /// Projects by stage.
    pub by_status: BTreeMap<String, i64>,
    /// Investment of every project not cancelled, yuan.
    pub investment_yuan: String,
    /// Capacity of completed and operating projects, t a year.
    pub capacity_added_t_per_year: String,
    /// Capacity of every project not cancelled, t a year.
    pub capacity_planned_t_per_year: String,
    /// The target of the `capacity_added` indicator, when there is one.
    pub capacity_target_t_per_year: Option<String>,
    pub overdue: i64,
}

/// One year's figures for the city office: what it reports.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AnnualReport {
    pub year: i32,
    /// Withheld cells (fewer than 3 declaring organizations) read `null` in the public report.
    pub public: bool,
    pub totals: Option<Figures>,
    /// By GB/T 39198 category, in code order.
    pub by_category: Vec<KeyedFigures>,
    /// By district (the declaring site's region code), in code order.
    pub by_district: Vec<KeyedFigures>,
    /// For the city and every district with an output value for the year.
    pub intensity: Vec<Intensity>,
    pub projects: ProjectTotals,
    /// The exchange itself: volumes, its clearance rate, deals and CO2 avoided.
    pub exchange: Summary,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    #[param(minimum = 2000, maximum = 2100)]
    pub year: i32,
    /// Where: a province (`15`), a city (`1506`) or a district (`150621`); default the whole
    /// platform (for staff of one city, their city). A province's figures are its cities' sums.
    #[param(pattern = "^[0-9]{2}([0-9]{2}([0-9]{2})?)?$")]
    pub region: Option<String>,
    /// `csv` for CSV (or send `Accept: text/csv`).
    pub format: Option<stats::ReportFormat>,
}

struct Row {
    organization_id: String,
    site_id: String,
    category: String,
    region: String,
    period: String,
    declared: Declared,
}

/// The place an aggregate code stands for: `150200` is the city `1502`, `150000` the province.
fn scope_of(code: &str) -> &str {
    let mut s = code;
    while s.len() > 2 && s.ends_with("00") {
        s = &s[..s.len() - 2];
    }
    s
}

fn load_year(conn: &mut DbConnection, year: i32, region: Option<&str>) -> QueryResult<Vec<Row>> {
    type Tuple = (
        String,
        String,
        String,
        String,
        String,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
    );
    let rows: Vec<Tuple> = declarations::table
        .filter(declarations::period.ge(format!("{year}-01")))
        .filter(declarations::period.le(format!("{year}-12")))
        .filter(declarations::region_code.like(within(region)))
        .select((
            declarations::organization_id,
            declarations::site_id,
            declarations::category_code,
            declarations::region_code,
            declarations::period,
            declarations::generated_kg,
            declarations::utilised_in_house_kg,
            declarations::sent_out_kg,
            declarations::disposed_kg,
            declarations::stored_end_kg,
            declarations::prior_stock_utilised_kg,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(o, s, c, r, p, g, u, so, d, st, ps)| Row {
            organization_id: o,
            site_id: s,
            category: c,
            region: r,
            period: p,
            declared: Declared {
                generated: g,
                utilised_in_house: u,
                sent_out: so,
                disposed: d,
                stored_end: st,
                prior_stock_utilised: ps,
            },
        })
        .collect())
}

/// A cell's sums: flows over every month; the stock of each site and category at its last
/// declared month of the year.
#[derive(Default)]
struct Cell {
    flows: Declared,
    last: HashMap<(String, String), (String, i64)>,
    organizations: BTreeSet<String>,
}

impl Cell {
    fn add(&mut self, r: &Row) {
        self.flows += r.declared;
        let key = (r.site_id.clone(), r.category.clone());
        let newer = self.last.get(&key).is_none_or(|(p, _)| *p < r.period);
        if newer {
            self.last
                .insert(key, (r.period.clone(), r.declared.stored_end));
        }
        self.organizations.insert(r.organization_id.clone());
    }

    fn stock_end(&self) -> i64 {
        self.last.values().map(|(_, kg)| kg).sum()
    }

    fn figures(&self, last_year: Option<&Cell>) -> Figures {
        let f = &self.flows;
        Figures {
            generated_t: format_tonnes(f.generated),
            utilised_t: format_tonnes(f.utilised()),
            utilised_in_house_t: format_tonnes(f.utilised_in_house),
            sent_out_t: format_tonnes(f.sent_out),
            prior_stock_utilised_t: format_tonnes(f.prior_stock_utilised),
            disposed_t: format_tonnes(f.disposed),
            stock_end_t: format_tonnes(self.stock_end()),
            stock_change_t: stock_change(self.stock_end(), last_year.map(Cell::stock_end))
                .map(format_tonnes),
            utilisation_rate_pct: f.utilisation_rate_pct(),
            declaring_organizations: self.organizations.len(),
        }
    }
}

/// Cells of a year: the city, by category, by district.
struct Cells {
    total: Cell,
    by_category: BTreeMap<String, Cell>,
    by_district: BTreeMap<String, Cell>,
}

fn cells(rows: &[Row]) -> Cells {
    let mut c = Cells {
        total: Cell::default(),
        by_category: BTreeMap::new(),
        by_district: BTreeMap::new(),
    };
    for r in rows {
        c.total.add(r);
        c.by_category.entry(r.category.clone()).or_default().add(r);
        c.by_district.entry(r.region.clone()).or_default().add(r);
    }
    c
}

/// The full report, for staff: of the cities they work for.
pub fn staff_report(
    conn: &mut DbConnection,
    user: &CurrentUser,
    year: i32,
    region: Option<String>,
) -> Result<AnnualReport, ApiError> {
    let region = stats::staff_region(user, region)?;
    annual_report(conn, year, region.as_deref(), false)
}

/// A place's figures for a year (staff), or the public version without small cells.
pub fn annual_report(
    conn: &mut DbConnection,
    year: i32,
    region: Option<&str>,
    public: bool,
) -> Result<AnnualReport, ApiError> {
    let mut c = Checks::default();
    if !(2000..=2100).contains(&year) {
        c.push("year", "out_of_range", "must be between 2000 and 2100");
    }
    c.region("region", region);
    c.finish()?;
    let d = declared(conn, year, region, public)?;
    let from = NaiveDate::from_ymd_opt(year, 1, 1);
    let until = NaiveDate::from_ymd_opt(year + 1, 1, 1);
    let exchange = stats::summary(
        conn,
        &Period {
            region: region.map(String::from),
            from,
            until,
            ..Period::default()
        },
    )?;
    Ok(AnnualReport {
        year,
        public,
        totals: d.totals,
        by_category: d.by_category,
        by_district: d.by_district,
        intensity: d.intensity,
        projects: project_totals(conn, region)?,
        exchange,
    })
}

/// What the declarations and output values give for a year.
pub struct DeclaredYear {
    pub totals: Option<Figures>,
    pub by_category: Vec<KeyedFigures>,
    pub by_district: Vec<KeyedFigures>,
    pub intensity: Vec<Intensity>,
}

/// The declared figures of a year in a place: in total, by category, by district, and the
/// intensity.
pub fn declared(
    conn: &mut DbConnection,
    year: i32,
    region: Option<&str>,
    public: bool,
) -> QueryResult<DeclaredYear> {
    let this = cells(&load_year(conn, year, region)?);
    let last = cells(&load_year(conn, year - 1, region)?);
    let had_last_year = !last.total.organizations.is_empty();
    // A category or district new this year started from no stock.
    let empty = Cell::default();
    let shown = |cell: &Cell, before: Option<&Cell>| {
        (!public || cell.organizations.len() >= MIN_PUBLIC_CELL).then(|| cell.figures(before))
    };
    let totals = shown(&this.total, had_last_year.then_some(&last.total));
    let by_category = this
        .by_category
        .iter()
        .map(|(k, cell)| {
            let before = had_last_year.then(|| last.by_category.get(k)).flatten();
            KeyedFigures {
                key: k.clone(),
                figures: shown(cell, before.or(had_last_year.then_some(&empty))),
            }
        })
        .collect();
    let by_district = this
        .by_district
        .iter()
        .map(|(k, cell)| {
            let before = had_last_year.then(|| last.by_district.get(k)).flatten();
            KeyedFigures {
                key: k.clone(),
                figures: shown(cell, before.or(had_last_year.then_some(&empty))),
            }
        })
        .collect();
    let intensity = intensity_of(conn, &this, year, region, public)?;
    Ok(DeclaredYear {
        totals,
        by_category,
        by_district,
        intensity,
    })
}

/// A year's generation intensity for each city or province (a code ending in 00 sums its
/// districts) and every district with an output value within `region`, reading that year's
/// declarations only (the dashboard's earlier years need nothing else).
pub fn intensity(
    conn: &mut DbConnection,
    year: i32,
    region: Option<&str>,
    public: bool,
) -> QueryResult<Vec<Intensity>> {
    let this = cells(&load_year(conn, year, region)?);
    intensity_of(conn, &this, year, region, public)
}

fn intensity_of(
    conn: &mut DbConnection,
    this: &Cells,
    year: i32,
    region: Option<&str>,
    public: bool,
) -> QueryResult<Vec<Intensity>> {
    let outputs: Vec<(String, i64)> = output_values::table
        .filter(output_values::year.eq(year))
        .filter(output_values::region_code.like(within(region)))
        .order(output_values::region_code.asc())
        .select((output_values::region_code, output_values::value_fen))
        .load(conn)?;
    Ok(outputs
        .into_iter()
        .filter_map(|(region, fen)| {
            let generated: i64 = if region.ends_with("00") {
                // In public, a city's or province's only where the report's totals are shown.
                if public && this.total.organizations.len() < MIN_PUBLIC_CELL {
                    return None;
                }
                let scope = scope_of(&region);
                this.by_district
                    .iter()
                    .filter(|(d, _)| d.starts_with(scope))
                    .map(|(_, c)| c.flows.generated)
                    .sum()
            } else {
                // In public, a district's intensity would give away its generation: shown only
                // where its figures are.
                let cell = this.by_district.get(&region);
                if public && cell.is_none_or(|c| c.organizations.len() < MIN_PUBLIC_CELL) {
                    return None;
                }
                cell.map_or(0, |c| c.flows.generated)
            };
            Some(Intensity {
                region_code: region,
                output_value_yuan: format_yuan(fen),
                generated_t: format_tonnes(generated),
                t_per_10k_yuan: intensity_t_per_10k_yuan(generated, fen),
            })
        })
        .collect())
}

/// Key projects as the city counts them: those of owners registered within `region` (by their
/// USCC's registration authority). The capacity target is the platform's city's indicator,
/// shown where the whole platform or that city is counted.
pub fn project_totals(conn: &mut DbConnection, region: Option<&str>) -> QueryResult<ProjectTotals> {
    let mut rows: Vec<KeyProjectRow> = key_projects::table.load(conn)?;
    if let Some(region) = region {
        let owners: HashSet<String> = organizations::table
            .filter(
                organizations::id.eq_any(key_projects::table.select(key_projects::owner_org_id)),
            )
            .select((organizations::id, organizations::uscc))
            .load::<(String, String)>(conn)?
            .into_iter()
            .filter(|(_, uscc)| registered_district(uscc).starts_with(region))
            .map(|(id, _)| id)
            .collect();
        rows.retain(|p| owners.contains(&p.owner_org_id));
    }
    let mut by_status: BTreeMap<String, i64> = BTreeMap::new();
    let (mut investment, mut added, mut planned, mut overdue) = (0i64, 0i64, 0i64, 0i64);
    for p in rows {
        let (status, capacity, invested, late) = (
            p.status,
            p.capacity_kg_per_year,
            p.investment_fen,
            p.overdue_now(),
        );
        *by_status.entry(status.as_str().to_string()).or_default() += 1;
        if status != KeyProjectStatus::Cancelled {
            investment += invested;
            planned += capacity;
        }
        if status.built() {
            added += capacity;
        }
        if late.is_some() {
            overdue += 1;
        }
    }
    let target: Option<f64> = match region {
        Some(r) if profile::get(conn)?.city() != Some(r) => None,
        _ => indicators::table
            .filter(indicators::metric.eq("capacity_added"))
            .order(indicators::deadline.desc())
            .select(indicators::target)
            .first(conn)
            .optional()?,
    };
    Ok(ProjectTotals {
        by_status,
        investment_yuan: format_yuan(investment),
        capacity_added_t_per_year: format_tonnes(added),
        capacity_planned_t_per_year: format_tonnes(planned),
        capacity_target_t_per_year: target.map(|t| format_tonnes((t * 1000.0).round() as i64)),
        overdue,
    })
}

/// The report as CSV: one line per figure, `section,key,figure,value`, so a spreadsheet can pivot it.
pub fn report_csv(r: &AnnualReport) -> Result<Vec<u8>, ApiError> {
    let mut sheet = Sheet::new();
    sheet.row(["year", "section", "key", "figure", "value"])?;
    let year = r.year.to_string();
    let cell = |sheet: &mut Sheet, section: &str, key: &str, f: &Option<Figures>| {
        let value = serde_json::to_value(f).unwrap_or_default();
        let fields: Vec<(String, String)> = match value.as_object() {
            Some(map) => map
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_string),
                    )
                })
                .collect(),
            None => vec![("withheld".into(), "true".into())],
        };
        for (figure, v) in fields {
            sheet.row([year.clone(), section.into(), key.into(), figure, v])?;
        }
        Ok::<(), ApiError>(())
    };
    cell(&mut sheet, "totals", "city", &r.totals)?;
    for k in &r.by_category {
        cell(&mut sheet, "category", &k.key, &k.figures)?;
    }
    for k in &r.by_district {
        cell(&mut sheet, "district", &k.key, &k.figures)?;
    }
    for i in &r.intensity {
        sheet.row([
            year.clone(),
            "intensity".into(),
            i.region_code.clone(),
            "output_value_yuan".into(),
            i.output_value_yuan.clone(),
        ])?;
        sheet.row([
            year.clone(),
            "intensity".into(),
            i.region_code.clone(),
            "t_per_10k_yuan".into(),
            i.t_per_10k_yuan.map(|v| v.to_string()).unwrap_or_default(),
        ])?;
    }
    let p = &r.projects;
    for (status, n) in &p.by_status {
        sheet.row([
            year.clone(),
            "projects".into(),
            status.clone(),
            "count".into(),
            n.to_string(),
        ])?;
    }
    for (figure, v) in [
        ("investment_yuan", p.investment_yuan.clone()),
        (
            "capacity_added_t_per_year",
            p.capacity_added_t_per_year.clone(),
        ),
        (
            "capacity_planned_t_per_year",
            p.capacity_planned_t_per_year.clone(),
        ),
        (
            "capacity_target_t_per_year",
            p.capacity_target_t_per_year.clone().unwrap_or_default(),
        ),
        ("overdue", p.overdue.to_string()),
    ] {
        sheet.row([
            year.clone(),
            "projects".into(),
            "all".into(),
            figure.into(),
            v,
        ])?;
    }
    let e = &r.exchange;
    for (figure, v) in [
        ("listed_t", e.totals.listed_t.clone()),
        ("contracted_t", e.totals.contracted_t.clone()),
        ("delivered_t", e.totals.delivered_t.clone()),
        (
            "clearance_rate",
            e.totals
                .clearance_rate
                .map(|v| v.to_string())
                .unwrap_or_default(),
        ),
        ("co2_net_t", e.co2_net_t.to_string()),
        ("factor_version", e.factor_version.clone()),
    ] {
        sheet.row([
            year.clone(),
            "exchange".into(),
            "all".into(),
            figure.into(),
            v,
        ])?;
    }
    for (state, n) in &e.deals_by_state {
        sheet.row([
            year.clone(),
            "exchange".into(),
            state.clone(),
            "deals".into(),
            n.to_string(),
        ])?;
    }
    sheet.into_bytes()
}
