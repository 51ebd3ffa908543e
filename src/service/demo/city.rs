//! The demo city's desk: two years of monthly declarations by the four producers, the output
//! values, a capacity registry, a dozen key projects in every stage (one overdue), and the
//! indicators — through the same use cases as any office clerk, so every figure is non-trivial.

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::{first_site, user};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::city::capacities::{self, CapacityDecision, CapacityInput};
use crate::service::city::declarations::{self, DeclarationInput};
use crate::service::city::figures::{self, OutputValueInput};
use crate::service::city::indicators::{self, IndicatorInput};
use crate::service::city::key_projects::{self, KeyProjectDecision, KeyProjectInput, ReportInput};
use crate::service::city::profile::{self, CityProfileInput};
use crate::service::market::catalog::Catalog;

fn parse<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, ApiError> {
    serde_json::from_value(v).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))
}

/// A producer's stream: generated t/month, shares used in-house and sent out, disposed t/month,
/// prior-years' stock used t/month, and the stock at the end of 2024.
struct Stream {
    email: &'static str,
    category: &'static str,
    generated: f64,
    in_house: f64,
    sent_out: f64,
    disposed: f64,
    prior_stock: f64,
    stock_2024: f64,
}

const STREAMS: &[Stream] = &[
    Stream {
        email: "steel@demo.wufei.local",
        category: "SW01",
        generated: 42_000.0,
        in_house: 0.20,
        sent_out: 0.42,
        disposed: 1_500.0,
        prior_stock: 2_000.0,
        stock_2024: 1_800_000.0,
    },
    Stream {
        email: "jiuyuan-power@demo.wufei.local",
        category: "SW02",
        generated: 26_000.0,
        in_house: 0.05,
        sent_out: 0.78,
        disposed: 800.0,
        prior_stock: 500.0,
        stock_2024: 400_000.0,
    },
    Stream {
        email: "coal@demo.wufei.local",
        category: "SW04",
        generated: 30_000.0,
        in_house: 0.10,
        sent_out: 0.30,
        disposed: 3_000.0,
        prior_stock: 1_000.0,
        stock_2024: 6_500_000.0,
    },
    Stream {
        email: "donghe-power@demo.wufei.local",
        category: "SW06",
        generated: 8_000.0,
        in_house: 0.00,
        sent_out: 0.90,
        disposed: 200.0,
        prior_stock: 0.0,
        stock_2024: 60_000.0,
    },
    // Side streams: the steel works' captive power plant and sinter desulfurisation, and each
    // power plant's other residue — so fly ash and gypsum have three declarants each and show
    // in the public report.
    Stream {
        email: "steel@demo.wufei.local",
        category: "SW02",
        generated: 6_000.0,
        in_house: 0.30,
        sent_out: 0.60,
        disposed: 100.0,
        prior_stock: 0.0,
        stock_2024: 50_000.0,
    },
    Stream {
        email: "steel@demo.wufei.local",
        category: "SW06",
        generated: 3_000.0,
        in_house: 0.00,
        sent_out: 0.70,
        disposed: 200.0,
        prior_stock: 0.0,
        stock_2024: 20_000.0,
    },
    Stream {
        email: "jiuyuan-power@demo.wufei.local",
        category: "SW06",
        generated: 7_000.0,
        in_house: 0.00,
        sent_out: 0.85,
        disposed: 150.0,
        prior_stock: 0.0,
        stock_2024: 30_000.0,
    },
    Stream {
        email: "donghe-power@demo.wufei.local",
        category: "SW02",
        generated: 9_000.0,
        in_house: 0.05,
        sent_out: 0.80,
        disposed: 300.0,
        prior_stock: 200.0,
        stock_2024: 120_000.0,
    },
];

/// Months from 2025-01 to 2026-10: more ash and gypsum in the heating season, and a little more
/// used each year.
fn months() -> Vec<(i32, u32)> {
    (1..=12)
        .map(|m| (2025, m))
        .chain((1..=10).map(|m| (2026, m)))
        .collect()
}

pub fn seed(conn: &mut DbConnection, catalog: &Catalog) -> Result<(), ApiError> {
    let staff = user(conn, "staff@demo.wufei.local")?;
    for s in STREAMS {
        let producer = user(conn, s.email)?;
        let org = producer.organization_id.clone().unwrap_or_default();
        let site = first_site(conn, &producer)?;
        let mut stock = s.stock_2024;
        for (year, month) in months() {
            let heating = if matches!(month, 1 | 2 | 3 | 11 | 12) && s.category != "SW01" {
                1.2
            } else {
                1.0
            };
            let better = if year == 2026 { 1.08 } else { 1.0 };
            let generated = (s.generated * heating).round();
            let in_house = (generated * s.in_house).round();
            let sent = (generated * (s.sent_out * better).min(0.95 - s.in_house)).round();
            let prior = (s.prior_stock * better).round();
            let disposed = s.disposed;
            stock = (stock + generated - in_house - sent - disposed - prior).max(0.0);
            let input: DeclarationInput = parse(json!({
                "site_id": site, "category": s.category, "period": format!("{year}-{month:02}"),
                "generated_t": generated.to_string(), "utilised_in_house_t": in_house.to_string(),
                "sent_out_t": sent.to_string(), "sent_out_reason": "supply agreements off the exchange (demo)",
                "disposed_t": disposed.to_string(), "stored_end_t": stock.round().to_string(),
                "prior_stock_utilised_t": prior.to_string()
            }))?;
            declarations::declare(conn, catalog, &producer, &org, &input)?;
        }
    }
    for (year, region, yuan) in [
        (2025, "150200", "3800000000"),
        (2026, "150200", "3350000000"),
        (2025, "150203", "1500000000"),
        (2026, "150203", "1320000000"),
    ] {
        let input: OutputValueInput = parse(json!({"value_yuan": yuan,
            "source": "output value of the declaring enterprises (demo figures)"}))?;
        figures::set_output_value(conn, &staff, year, region, &input)?;
    }
    for (email, category, tonnes, verify) in [
        ("cement@demo.wufei.local", "SW02", "600000", true),
        ("roads@demo.wufei.local", "SW01", "300000", false),
        ("bricks@demo.wufei.local", "SW04", "200000", true),
        ("restoration@demo.wufei.local", "SW04", "1000000", true),
    ] {
        let receiver = user(conn, email)?;
        let org = receiver.organization_id.clone().unwrap_or_default();
        let site = first_site(conn, &receiver)?;
        let input: CapacityInput = parse(
            json!({"site_id": site, "category": category, "tonnes_per_year": tonnes,
            "discharge_permit_no": format!("9115020{}MA0DEMO001P", category.len()), "eia_approval_ref": "包环审〔2024〕17号",
            "valid_until": "2029-12-31"}),
        )?;
        let capacity = capacities::declare(conn, catalog, &receiver, &org, &input)?;
        if verify {
            let decision: CapacityDecision =
                parse(json!({"decision": "verify", "reason": "permits checked (demo)"}))?;
            capacities::decide(conn, &staff, &capacity.id, &decision)?;
        }
    }
    seed_projects(conn, catalog, &staff)?;
    seed_indicators(conn, &staff)?;
    seed_profile(conn, &staff)
}

/// name, owner, category, capacity t/yr, investment yuan, planned start and completion, and the
/// moves staff made.
type DemoProject = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);

/// Twelve key projects: 3 planned (one late to start), 4 under construction, 2 completed,
/// 2 operating, 1 cancelled.
fn seed_projects(
    conn: &mut DbConnection,
    catalog: &Catalog,
    staff: &CurrentUser,
) -> Result<(), ApiError> {
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    #[rustfmt::skip]
    let projects: [DemoProject; 12] = [
        ("Steel slag micro-powder line 钢渣微粉生产线", "steel@demo.wufei.local", "SW01", "600000", "180000000", "2024-03-01", "2025-09-30", &["start", "complete", "operate"]),
        ("Fly ash aerated block plant 粉煤灰加气砌块厂", "bricks@demo.wufei.local", "SW02", "300000", "95000000", "2024-06-01", "2025-12-31", &["start", "complete", "operate"]),
        ("Gangue sintered brick line 煤矸石烧结砖生产线", "bricks@demo.wufei.local", "SW04", "500000", "120000000", "2025-03-01", "2026-06-30", &["start", "complete"]),
        ("FGD gypsum board line 脱硫石膏板生产线", "donghe-power@demo.wufei.local", "SW06", "150000", "210000000", "2025-04-01", "2026-08-31", &["start", "complete"]),
        ("Shiguai pit backfill phase II 石拐矿坑回填二期", "restoration@demo.wufei.local", "SW04", "2000000", "60000000", "2025-05-01", "2027-05-31", &["start"]),
        ("Steel slag road-base station 钢渣路基材料站", "roads@demo.wufei.local", "SW01", "400000", "45000000", "2025-09-01", "2027-03-31", &["start"]),
        ("Fly ash alumina pilot 粉煤灰提铝中试", "lab@demo.wufei.local", "SW02", "50000", "80000000", "2026-01-15", "2027-12-31", &["start"]),
        ("Slag cement grinding station 矿渣水泥粉磨站", "cement@demo.wufei.local", "SW01", "800000", "150000000", "2026-03-01", "2027-09-30", &["start"]),
        ("Tailings sand and gravel plant 尾矿制砂厂", "coal@demo.wufei.local", "SW05", "700000", "98000000", "2027-03-01", "2028-06-30", &[]),
        ("Carbide slag cement raw-meal line 电石渣水泥原料线", "cement@demo.wufei.local", "SW16", "300000", "70000000", "2027-05-01", "2028-10-31", &[]),
        ("Gangue power plant ash yard upgrade 矸石电厂灰场改造", "coal@demo.wufei.local", "SW02", "250000", "35000000", "2026-09-01", "2027-06-30", &[]),
        ("Red mud building-material trial line 赤泥建材试验线", "lab@demo.wufei.local", "SW09", "30000", "25000000", "2025-02-01", "2026-02-28", &["cancel"]),
    ];
    for (name, owner_email, category, capacity, investment, start, end, moves) in projects {
        let owner = user(conn, owner_email)?;
        let input: KeyProjectInput = parse(json!({
            "name": name, "owner_organization_id": owner.organization_id, "categories": [category],
            "capacity_t_per_year": capacity, "investment_yuan": investment,
            "planned_start": start, "planned_completion": end,
            "department": "包头市工业和信息化局 Baotou Bureau of Industry and IT",
            "department_email": "industry-bureau@demo.wufei.local", "report_every_days": 90
        }))?;
        let project = key_projects::create(conn, catalog, staff, &input)?;
        let mut day = d(start);
        for (i, event) in moves.iter().enumerate() {
            let on = if i == 0 {
                day
            } else {
                d(end).map(|e| e.min(now_day()))
            };
            day = on;
            let decision: KeyProjectDecision = parse(json!({"event": event, "on": on,
                "reason": "dispatch meeting minutes (demo)"}))?;
            key_projects::decide(conn, staff, &project.id, &decision)?;
        }
        if moves.first() == Some(&"start") && moves.len() == 1 {
            let report: ReportInput = parse(
                json!({"percent_complete": 40, "invested_to_date_yuan": "20000000",
                "problems": "equipment delivery two weeks late", "next_steps": "commission the main line"}),
            )?;
            key_projects::report(conn, &owner, &project.id, &report)?;
        }
    }
    Ok(())
}

fn now_day() -> NaiveDate {
    crate::db::now().date()
}

fn seed_indicators(conn: &mut DbConnection, staff: &CurrentUser) -> Result<(), ApiError> {
    for v in [
        json!({"name": "General industrial solid waste utilisation rate 一般工业固废综合利用率", "metric": "utilisation_rate",
            "unit": "%", "baseline": 60.0, "target": 75.0, "start_on": "2026-01-01", "deadline": "2026-12-31",
            "department": "包头市生态环境局 Ecology and Environment Bureau"}),
        json!({"name": "Generation intensity 固废产生强度", "metric": "generation_intensity", "unit": "t/10k yuan",
            "baseline": 3.16, "target": 3.03, "start_on": "2025-01-01", "deadline": "2026-12-31",
            "department": "包头市发展和改革委员会 Development and Reform Commission"}),
        json!({"name": "Utilisation capacity added 新增利用处置能力", "metric": "capacity_added", "unit": "t/yr",
            "baseline": 0.0, "target": 10000000.0, "start_on": "2024-01-01", "deadline": "2027-12-31",
            "department": "包头市工业和信息化局 Bureau of Industry and IT"}),
        json!({"name": "Key projects built 重点项目建成", "metric": "projects_built", "unit": "projects",
            "baseline": 0.0, "target": 6.0, "start_on": "2024-01-01", "deadline": "2026-12-31",
            "department": "包头市无废城市建设专班 Zero-Waste City office"}),
        json!({"name": "Abandoned sand pits restored 废弃砂坑修复", "metric": "entered", "unit": "pits",
            "baseline": 0.0, "target": 12.0, "start_on": "2025-01-01", "deadline": "2026-12-31",
            "department": "包头市自然资源局 Natural Resources Bureau", "entered_value": 9.0,
            "entered_source": "restoration acceptance records (demo)"}),
    ] {
        let input: IndicatorInput = parse(v)?;
        indicators::create(conn, staff, &input)?;
    }
    Ok(())
}

/// The city as its dashboard shows it: Baotou's names, its districts (GB/T 2260) and the
/// exchange's targets for the year.
fn seed_profile(conn: &mut DbConnection, staff: &CurrentUser) -> Result<(), ApiError> {
    let input: CityProfileInput = parse(json!({
        "region_code": "150200", "name_zh": "包头市", "name_en": "Baotou", "logo_text": "无废包头",
        "districts": [
            {"code": "150202", "name_zh": "东河区", "name_en": "Donghe"},
            {"code": "150203", "name_zh": "昆都仑区", "name_en": "Kundulun"},
            {"code": "150204", "name_zh": "青山区", "name_en": "Qingshan"},
            {"code": "150205", "name_zh": "石拐区", "name_en": "Shiguai"},
            {"code": "150206", "name_zh": "白云鄂博矿区", "name_en": "Bayan Obo"},
            {"code": "150207", "name_zh": "九原区", "name_en": "Jiuyuan"},
            {"code": "150221", "name_zh": "土默特右旗", "name_en": "Tumed Right Banner"},
            {"code": "150222", "name_zh": "固阳县", "name_en": "Guyang"},
            {"code": "150223", "name_zh": "达尔罕茂明安联合旗", "name_en": "Darhan Muminggan"}
        ],
        "traded_target_t": 20000.0, "co2_target_t": 1000.0
    }))?;
    profile::set(conn, staff, None, &input, None)?;
    Ok(())
}
