//! The city dashboard (数据大屏): the public annual report (`/city/summary`), the exchange's
//! figures within it (`/stats/summary` for the year), the intensity of earlier years and the
//! indicator tasks (`/city/indicators`) — read through the same use cases as those endpoints, so
//! the page cannot say anything they do not.

use maud::{Markup, html};

use crate::db::DbConnection;
use crate::error::ApiError;
use crate::pages::charts::{self, Cell, Table};
use crate::pages::lang::{Lang, number, tonnes};
use crate::service::city::figures::{self, AnnualReport, Intensity};
use crate::service::city::indicators::{self, Indicator, Metric};
use crate::service::city::profile::{self, CityProfile};
use crate::service::market::catalog::Catalog;

/// Years of generation intensity shown, the report's year included.
const YEARS: i32 = 5;

pub struct Dashboard {
    pub year: i32,
    /// The place shown; `None` for the whole platform.
    pub region: Option<String>,
    pub profile: CityProfile,
    pub report: AnnualReport,
    /// The city's intensity by year, oldest first, where there is an output value.
    pub intensity: Vec<(i32, Intensity)>,
    pub indicators: Vec<Indicator>,
}

/// The dashboard of a place (a province, city or district), or of the whole platform. The
/// indicator tasks are the platform's city's: shown on its dashboard and the whole platform's.
pub fn load(
    conn: &mut DbConnection,
    year: i32,
    region: Option<String>,
) -> Result<Dashboard, ApiError> {
    let place = region.as_deref();
    let report = figures::annual_report(conn, year, place, true)?;
    // The place's own intensity row: its code padded with zeros (`1506` is `150600`).
    let own = place.map(|r| format!("{r:0<6}"));
    let city = |rows: Vec<Intensity>| {
        rows.into_iter().find(|i| match &own {
            Some(code) => &i.region_code == code,
            None => i.region_code.ends_with("00"),
        })
    };
    let mut intensity = Vec::new();
    for y in (year - YEARS + 1)..year {
        if let Some(i) = city(figures::intensity(conn, y, place, true)?) {
            intensity.push((y, i));
        }
    }
    if let Some(i) = city(report.intensity.clone()) {
        intensity.push((year, i));
    }
    let home_profile = profile::get(conn)?;
    let home = place.is_none() || home_profile.city() == place;
    // A place is framed by its city's own profile when it has one, else by the home's; a
    // profile's targets are its city's, shown on that city's own dashboard only.
    let mut profile = match place.and_then(|p| p.get(..4)) {
        Some(city) if home_profile.city() != Some(city) => {
            profile::of_city(conn, city)?.unwrap_or(home_profile)
        }
        _ => home_profile,
    };
    if place.is_some() && profile.city() != place {
        profile.traded_target_t = None;
        profile.co2_target_t = None;
    }
    Ok(Dashboard {
        year,
        profile,
        report,
        intensity,
        indicators: if home {
            indicators::all(conn)?
        } else {
            Vec::new()
        },
        region,
    })
}

/// A number as the API's JSON writes it, for `data-value` and CSV.
fn json(v: impl serde::Serialize) -> String {
    serde_json::to_string(&v).unwrap_or_default()
}

fn api_f64(v: Option<f64>) -> Option<String> {
    v.map(json)
}

impl Dashboard {
    fn utilisation_target(&self) -> Option<f64> {
        self.indicators
            .iter()
            .find(|i| i.metric == Metric::UtilisationRate)
            .map(|i| i.target)
    }

    /// Every chart's numbers, in page order.
    pub fn tables(&self, lang: Lang, catalog: &Catalog) -> Vec<Table> {
        let ex = &self.report.exchange;
        let withheld = lang.pick("不公开", "withheld");
        let t = lang.pick("吨", "t");
        let exchange = Table {
            id: "exchange",
            title: lang.pick("平台交易", "Traded on the exchange").into(),
            columns: vec![
                lang.pick("指标", "Figure").into(),
                lang.pick("数值", "Value").into(),
                lang.pick("年度目标", "Target this year").into(),
            ],
            rows: vec![
                (
                    "contracted_t".into(),
                    vec![
                        Cell::text(format!("{} ({t})", lang.pick("成交量", "Traded"))),
                        Cell::figure(
                            tonnes(&ex.totals.contracted_t),
                            Some(ex.totals.contracted_t.clone()),
                        ),
                        Cell::text(
                            self.profile
                                .traded_target_t
                                .as_deref()
                                .map(tonnes)
                                .unwrap_or_default(),
                        ),
                    ],
                ),
                (
                    "delivered_t".into(),
                    vec![
                        Cell::text(format!("{} ({t})", lang.pick("已交付", "Delivered"))),
                        Cell::figure(
                            tonnes(&ex.totals.delivered_t),
                            Some(ex.totals.delivered_t.clone()),
                        ),
                        Cell::text(""),
                    ],
                ),
                (
                    "co2_net_t".into(),
                    vec![
                        Cell::text(lang.pick("减少二氧化碳排放 (吨)", "CO₂ avoided, net (t)")),
                        Cell::figure(number(ex.co2_net_t, 1), Some(json(ex.co2_net_t))),
                        Cell::text(
                            self.profile
                                .co2_target_t
                                .map(|v| number(v, 1))
                                .unwrap_or_default(),
                        ),
                    ],
                ),
                (
                    "clearance_rate".into(),
                    vec![
                        Cell::text(lang.pick("挂牌量去化率", "Clearance rate of listed tonnes")),
                        Cell::figure(
                            ex.totals.clearance_rate.map_or_else(
                                || "—".into(),
                                |r| format!("{} %", number(r * 100.0, 1)),
                            ),
                            api_f64(ex.totals.clearance_rate),
                        ),
                        Cell::text(""),
                    ],
                ),
                (
                    "active_organizations".into(),
                    vec![
                        Cell::text(lang.pick("活跃单位", "Active organizations")),
                        Cell::figure(
                            ex.active_organizations.to_string(),
                            Some(json(ex.active_organizations)),
                        ),
                        Cell::text(""),
                    ],
                ),
            ],
        };

        let mut util_rows = Vec::new();
        let rate_cells = |name: String, f: &Option<figures::Figures>| {
            vec![
                Cell::text(name),
                Cell::figure(
                    f.as_ref()
                        .and_then(|f| f.utilisation_rate_pct)
                        .map_or_else(|| withheld.to_string(), |r| format!("{} %", number(r, 2))),
                    f.as_ref().and_then(|f| api_f64(f.utilisation_rate_pct)),
                ),
                Cell::figure(
                    f.as_ref()
                        .map_or_else(|| withheld.to_string(), |f| tonnes(&f.generated_t)),
                    f.as_ref().map(|f| f.generated_t.clone()),
                ),
                Cell::figure(
                    f.as_ref()
                        .map_or_else(|| withheld.to_string(), |f| tonnes(&f.utilised_t)),
                    f.as_ref().map(|f| f.utilised_t.clone()),
                ),
            ]
        };
        util_rows.push((
            "city".to_string(),
            rate_cells(lang.pick("全市", "City").into(), &self.report.totals),
        ));
        for k in &self.report.by_category {
            util_rows.push((
                k.key.clone(),
                rate_cells(lang.category(catalog, &k.key), &k.figures),
            ));
        }
        let utilisation = Table {
            id: "utilisation",
            title: lang
                .pick(
                    "综合利用率（按类别）",
                    "Comprehensive utilisation rate by category",
                )
                .into(),
            columns: vec![
                lang.pick("类别", "Category").into(),
                lang.pick("综合利用率", "Utilisation rate").into(),
                format!("{} ({t})", lang.pick("产生量", "Generated")),
                format!("{} ({t})", lang.pick("综合利用量", "Utilised")),
            ],
            rows: util_rows,
        };

        let intensity = Table {
            id: "intensity",
            title: lang
                .pick(
                    "产生强度（吨/万元产值）",
                    "Generation intensity (t per 10 000 yuan of output)",
                )
                .into(),
            columns: vec![
                lang.pick("年份", "Year").into(),
                lang.pick("吨/万元", "t / 10 000 yuan").into(),
                format!("{} ({t})", lang.pick("产生量", "Generated")),
                lang.pick("产值（元）", "Output value (yuan)").into(),
            ],
            rows: self
                .intensity
                .iter()
                .map(|(y, i)| {
                    (
                        y.to_string(),
                        vec![
                            Cell::text(y.to_string()),
                            Cell::figure(
                                i.t_per_10k_yuan
                                    .map_or_else(|| "—".into(), |v| number(v, 4)),
                                api_f64(i.t_per_10k_yuan),
                            ),
                            Cell::figure(tonnes(&i.generated_t), Some(i.generated_t.clone())),
                            Cell::figure(
                                number(i.output_value_yuan.parse().unwrap_or_default(), 0),
                                Some(i.output_value_yuan.clone()),
                            ),
                        ],
                    )
                })
                .collect(),
        };

        let p = &self.report.projects;
        let projects = Table {
            id: "projects",
            title: lang
                .pick("重点项目（按阶段）", "Key projects by stage")
                .into(),
            columns: vec![
                lang.pick("阶段", "Stage").into(),
                lang.pick("项目数", "Projects").into(),
            ],
            rows: p
                .by_status
                .iter()
                .map(|(status, n)| {
                    (
                        status.clone(),
                        vec![
                            Cell::text(lang.project_status(status)),
                            Cell::figure(n.to_string(), Some(json(n))),
                        ],
                    )
                })
                .collect(),
        };
        let per_year = lang.pick("吨/年", "t/year");
        let capacity = Table {
            id: "capacity",
            title: lang
                .pick("新增利用能力与目标", "Capacity added against the target")
                .into(),
            columns: vec![lang.pick("指标", "Figure").into(), per_year.into()],
            rows: [
                (
                    "capacity_added_t_per_year",
                    lang.pick("已建成投运", "Completed and operating"),
                    Some(&p.capacity_added_t_per_year),
                ),
                (
                    "capacity_planned_t_per_year",
                    lang.pick("全部项目", "All projects"),
                    Some(&p.capacity_planned_t_per_year),
                ),
                (
                    "capacity_target_t_per_year",
                    lang.pick("目标", "Target"),
                    p.capacity_target_t_per_year.as_ref(),
                ),
            ]
            .into_iter()
            .map(|(key, label, v)| {
                (
                    key.to_string(),
                    vec![
                        Cell::text(label),
                        Cell::figure(v.map_or_else(|| "—".into(), |v| tonnes(v)), v.cloned()),
                    ],
                )
            })
            .collect(),
        };

        let indicators = Table {
            id: "indicators",
            title: lang.pick("指标任务", "Indicator tasks").into(),
            columns: vec![
                lang.pick("指标", "Indicator").into(),
                lang.pick("责任单位", "Department").into(),
                lang.pick("当前值", "Current").into(),
                lang.pick("目标", "Target").into(),
                lang.pick("单位", "Unit").into(),
                lang.pick("期限", "Deadline").into(),
                lang.pick("状态", "Status").into(),
            ],
            rows: self
                .indicators
                .iter()
                .map(|i| {
                    (
                        i.id.clone(),
                        vec![
                            Cell::text(i.name.clone()),
                            Cell::text(i.department.clone()),
                            Cell::figure(
                                i.current.map_or_else(|| "—".into(), |v| number(v, 2)),
                                api_f64(i.current),
                            ),
                            Cell::figure(number(i.target, 2), Some(json(i.target))),
                            Cell::text(i.unit.clone()),
                            Cell::text(i.deadline.to_string()),
                            Cell::figure(
                                lang.indicator_status(i.status.as_str()),
                                Some(i.status.as_str().to_string()),
                            ),
                        ],
                    )
                })
                .collect(),
        };

        let flows = Table {
            id: "flows",
            title: lang
                .pick(
                    "流向：产废区县 → 利用途径",
                    "Flows: producing district → use",
                )
                .into(),
            columns: vec![
                lang.pick("区县", "District").into(),
                lang.pick("利用途径", "Use").into(),
                format!("{} ({t})", lang.pick("已交付", "Delivered")),
            ],
            rows: ex
                .district_to_use
                .iter()
                .map(|f| {
                    (
                        format!("{}/{}", f.region_code, f.intended_use),
                        vec![
                            Cell::text(
                                self.profile.district_name(&f.region_code, lang == Lang::Zh),
                            ),
                            Cell::text(lang.intended_use(&f.intended_use)),
                            Cell::figure(tonnes(&f.delivered_t), Some(f.delivered_t.clone())),
                        ],
                    )
                })
                .collect(),
        };
        vec![
            exchange,
            utilisation,
            intensity,
            projects,
            capacity,
            indicators,
            flows,
        ]
    }

    /// The page's body: headline tiles, then each chart with its table.
    pub fn body(&self, lang: Lang, catalog: &Catalog) -> Markup {
        let tables = self.tables(lang, catalog);
        let ex = &self.report.exchange;
        let csv = |id: &str| {
            super::query(
                &format!("/dashboard/{id}.csv"),
                &[
                    ("year", self.year.to_string()),
                    ("region", self.region.clone().unwrap_or_default()),
                ],
                lang,
            )
        };
        let table = |id: &str| tables.iter().find(|t| t.id == id);
        let withheld = lang.pick(
            "不公开（申报单位少于 3 家）",
            "withheld (fewer than 3 declarants)",
        );
        let rate = self
            .report
            .totals
            .as_ref()
            .and_then(|f| f.utilisation_rate_pct);
        let tile = |label: &str, value: String, unit: &str| {
            html! { div.tile { span.label { (label) } span.value { (value) } span.unit { (unit) } } }
        };
        let util_items: Vec<(String, Option<f64>)> = self
            .report
            .by_category
            .iter()
            .map(|k| {
                (
                    lang.category(catalog, &k.key),
                    k.figures.as_ref().and_then(|f| f.utilisation_rate_pct),
                )
            })
            .collect();
        let status_items: Vec<(String, Option<f64>)> = self
            .report
            .projects
            .by_status
            .iter()
            .map(|(s, n)| (lang.project_status(s), Some(*n as f64)))
            .collect();
        let intensity_items: Vec<(String, f64)> = self
            .intensity
            .iter()
            .filter_map(|(y, i)| Some((y.to_string(), i.t_per_10k_yuan?)))
            .collect();
        let links: Vec<(String, String, f64)> = ex
            .district_to_use
            .iter()
            .map(|f| {
                (
                    self.profile.district_name(&f.region_code, lang == Lang::Zh),
                    lang.intended_use(&f.intended_use),
                    f.delivered_t.parse().unwrap_or_default(),
                )
            })
            .collect();
        let tn = |s: &str| s.parse::<f64>().unwrap_or_default();
        let p = &self.report.projects;
        html! {
            section.tiles aria-label=(lang.pick("主要指标", "Headline figures")) {
                (tile(lang.pick("成交量", "Traded"), tonnes(&ex.totals.contracted_t), lang.pick("吨", "t")))
                (tile(lang.pick("已交付", "Delivered"), tonnes(&ex.totals.delivered_t), lang.pick("吨", "t")))
                (tile(lang.pick("减少二氧化碳", "CO₂ avoided"), number(ex.co2_net_t, 0), lang.pick("吨", "t")))
                (tile(lang.pick("综合利用率", "Utilisation rate"), rate.map_or_else(|| "—".into(), |r| number(r, 1)), "%"))
                (tile(lang.pick("新增利用能力", "Capacity added"), tonnes(&p.capacity_added_t_per_year), lang.pick("吨/年", "t/year")))
            }
            div.grid {
                section.panel id="panel-exchange" {
                    h2 { (lang.pick("平台交易与目标", "The exchange against its targets")) }
                    @if let Some(target) = self.profile.traded_target_t.as_deref() {
                        (charts::progress("chart-traded", lang.pick("成交量/年度目标", "Traded / target"), tn(&ex.totals.contracted_t), tn(target), lang.pick("吨", "t")))
                    }
                    @if let Some(target) = self.profile.co2_target_t {
                        (charts::progress("chart-co2", lang.pick("减碳/年度目标", "CO₂ avoided / target"), ex.co2_net_t, target, lang.pick("吨", "t")))
                    }
                    @if let Some(t) = table("exchange") { (t.html(lang, &csv("exchange"), false)) }
                }
                section.panel id="panel-utilisation" {
                    h2 { (lang.pick("综合利用率（按类别）", "Utilisation rate by category")) }
                    (charts::bars("chart-utilisation", lang.pick("综合利用率（按类别）", "Utilisation rate by category"), &util_items, "%", Some(100.0), self.utilisation_target(), withheld))
                    @if let Some(t) = table("utilisation") { (t.html(lang, &csv("utilisation"), false)) }
                }
                section.panel id="panel-intensity" {
                    h2 { (lang.pick("产生强度", "Generation intensity")) }
                    @if intensity_items.is_empty() {
                        p.empty { (lang.pick("暂无产值数据。", "No output value entered yet.")) }
                    } @else {
                        (charts::columns("chart-intensity", lang.pick("产生强度（吨/万元）", "Generation intensity (t/10 000 yuan)"), &intensity_items, lang.pick("吨/万元", "t/10 000 yuan")))
                    }
                    @if let Some(t) = table("intensity") { (t.html(lang, &csv("intensity"), false)) }
                }
                section.panel id="panel-projects" {
                    h2 { (lang.pick("重点项目", "Key projects")) }
                    (charts::bars("chart-projects", lang.pick("重点项目（按阶段）", "Key projects by stage"), &status_items, lang.pick("个", ""), None, None, withheld))
                    @if let Some(target) = p.capacity_target_t_per_year.as_deref() {
                        (charts::progress("chart-capacity", lang.pick("新增利用能力/目标", "Capacity added / target"), tn(&p.capacity_added_t_per_year), tn(target), lang.pick("吨/年", "t/year")))
                    }
                    @if let Some(t) = table("projects") { (t.html(lang, &csv("projects"), false)) }
                    @if let Some(t) = table("capacity") { (t.html(lang, &csv("capacity"), false)) }
                }
                section.panel.wide id="panel-flows" {
                    h2 { (lang.pick("固废流向", "Where the material went")) }
                    @if links.is_empty() {
                        p.empty { (lang.pick("本年度暂无完成交付。", "No completed delivery this year.")) }
                    } @else {
                        (charts::sankey("chart-flows", lang.pick("产废区县到利用途径（吨）", "Producing district to use (t)"), &links, lang.pick("吨", "t")))
                    }
                    @if let Some(t) = table("flows") { (t.html(lang, &csv("flows"), false)) }
                }
                section.panel.wide id="panel-indicators" {
                    h2 { (lang.pick("指标任务", "Indicator tasks")) }
                    @if let Some(t) = table("indicators") {
                        (t.html(lang, &csv("indicators"), true))
                    }
                }
            }
        }
    }
}
