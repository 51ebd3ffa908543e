//! `wufei seed-demo`: a realistic Baotou exchange for local use. Idempotent: a second run leaves
//! the data as it is. The credentials are documented in the README and are for local use only.

use diesel::prelude::*;

use serde_json::json;

use crate::config::TradeSettings;
use crate::db::new_id;
use crate::db::schema::{organizations as organization_rows, sites, users};
use crate::db::{DbConnection, write_tx};
use crate::domain::offer::IntendedUse;
use crate::domain::organization::{
    Language, OrgKind, OrgRole, PlatformRole, VerificationEvent, VerificationStatus,
};
use crate::domain::uscc::{UsccCheck, with_check_character};
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::accounts::organizations::{self, OrganizationInput, SiteInput};
use crate::service::accounts::users::NewUser;
use crate::service::accounts::{passwords, users as accounts};
use crate::service::alliance::moderation::{self, ListingDecision, ListingDecisionRequest};
use crate::service::market::acceptance;
use crate::service::market::catalog::Catalog;
use crate::service::market::deals::{self, DealDecision, DealDecisionRequest};
use crate::service::market::listings;
use crate::service::market::listings::ListingInput;
use crate::service::market::offers::{self, CounterRequest, OfferInput};
use crate::service::market::transfers::{self, ReceiptRequest, TransferInput};
use crate::service::matching::demands::{self, DemandInput};

mod city;
mod supply;

pub const DEMO_PASSWORD: &str = "Baotou-Demo-Slag-2026";

struct DemoOrg {
    legal_name: &'static str,
    uscc_body: &'static str,
    kinds: &'static [OrgKind],
    email: &'static str,
    site: (&'static str, &'static str, &'static str, f64, f64),
}

const ORGS: &[DemoOrg] = &[
    DemoOrg {
        legal_name: "包头钢铁渣业示范有限公司 Baotou Steel Slag Demo Co., Ltd.",
        uscc_body: "91150203MA0DEM001",
        kinds: &[OrgKind::Producer],
        email: "steel@demo.wufei.local",
        site: (
            "BOF slag yard 转炉钢渣堆场",
            "150203",
            "昆都仑区河西工业区",
            40.653,
            109.774,
        ),
    },
    DemoOrg {
        legal_name: "包头九原热电示范有限公司 Jiuyuan Thermal Power Demo Co., Ltd.",
        uscc_body: "91150207MA0DEM002",
        kinds: &[OrgKind::Producer],
        email: "jiuyuan-power@demo.wufei.local",
        site: (
            "Ash silo 灰库",
            "150207",
            "九原区哈林格尔镇",
            40.566,
            109.968,
        ),
    },
    DemoOrg {
        legal_name: "包头东河热电示范有限公司 Donghe Thermal Power Demo Co., Ltd.",
        uscc_body: "91150202MA0DEM003",
        kinds: &[OrgKind::Producer],
        email: "donghe-power@demo.wufei.local",
        site: (
            "Gypsum shed 脱硫石膏库",
            "150202",
            "东河区沙尔沁工业园",
            40.580,
            110.120,
        ),
    },
    DemoOrg {
        legal_name: "石拐煤业示范有限公司 Shiguai Coal Demo Co., Ltd.",
        uscc_body: "91150205MA0DEM009",
        kinds: &[OrgKind::Producer],
        email: "coal@demo.wufei.local",
        site: (
            "Gangue dump 矸石山",
            "150205",
            "石拐区五当召镇",
            40.700,
            110.270,
        ),
    },
    DemoOrg {
        legal_name: "包头青山水泥示范有限公司 Qingshan Cement Demo Co., Ltd.",
        uscc_body: "91150204MA0DEM004",
        kinds: &[OrgKind::Receiver],
        email: "cement@demo.wufei.local",
        site: (
            "Cement plant 水泥厂",
            "150204",
            "青山区装备制造产业园",
            40.680,
            109.880,
        ),
    },
    DemoOrg {
        legal_name: "土右旗新型墙材示范有限公司 Tumed Right Wall Materials Demo Co., Ltd.",
        uscc_body: "91150221MA0DEM005",
        kinds: &[OrgKind::Receiver],
        email: "bricks@demo.wufei.local",
        site: (
            "Brick works 砖厂",
            "150221",
            "土默特右旗萨拉齐镇",
            40.560,
            110.520,
        ),
    },
    DemoOrg {
        legal_name: "包头路桥建设示范有限公司 Baotou Road & Bridge Demo Co., Ltd.",
        uscc_body: "91150202MA0DEM006",
        kinds: &[OrgKind::Receiver],
        email: "roads@demo.wufei.local",
        site: (
            "Road base plant 路基材料站",
            "150202",
            "东河区南绕城公路",
            40.560,
            110.030,
        ),
    },
    DemoOrg {
        legal_name: "石拐生态修复示范有限公司 Shiguai Ecological Restoration Demo Co., Ltd.",
        uscc_body: "91150205MA0DEM010",
        kinds: &[OrgKind::Receiver],
        email: "restoration@demo.wufei.local",
        site: (
            "Abandoned pit No. 3 废弃矿坑3号",
            "150205",
            "石拐区大发乡",
            40.680,
            110.250,
        ),
    },
    DemoOrg {
        legal_name: "内蒙古科技大学固废资源化示范实验室 IMUST Solid Waste Demo Lab",
        uscc_body: "12150000MA0DEM007",
        kinds: &[OrgKind::Research, OrgKind::Receiver],
        email: "lab@demo.wufei.local",
        site: (
            "Campus lab 校内实验室",
            "150203",
            "昆都仑区阿尔丁大街7号",
            40.620,
            109.840,
        ),
    },
    DemoOrg {
        legal_name: "包头固废产学研联盟（示范） Baotou Solid Waste Alliance (demo)",
        uscc_body: "52150200MA0DEM008",
        kinds: &[OrgKind::Alliance],
        email: "staff@demo.wufei.local",
        site: (
            "Alliance office 联盟办公室",
            "150203",
            "昆都仑区钢铁大街",
            40.650,
            109.840,
        ),
    },
    // A second city on the same platform: Ordos (鄂尔多斯, 1506), across the Yellow River.
    DemoOrg {
        legal_name: "达拉特热电示范有限公司 Dalad Thermal Power Demo Co., Ltd.",
        uscc_body: "91150621MA0DEM011",
        kinds: &[OrgKind::Producer],
        email: "dalad-power@demo.wufei.local",
        site: (
            "Ash silos 灰库",
            "150621",
            "达拉特旗树林召镇",
            40.398,
            110.041,
        ),
    },
    DemoOrg {
        legal_name: "鄂尔多斯东胜建材示范有限公司 Dongsheng Building Materials Demo Co., Ltd.",
        uscc_body: "91150602MA0DEM012",
        kinds: &[OrgKind::Receiver],
        email: "dongsheng-cement@demo.wufei.local",
        site: (
            "Cement grinding plant 水泥粉磨站",
            "150602",
            "东胜区铜川镇",
            39.822,
            109.983,
        ),
    },
];

/// Staff who work for one city only (their queues and decisions): Ordos's desk.
const CITY_STAFF: &[(&str, &str, &str)] = &[(
    "staff.ordos@demo.wufei.local",
    "鄂尔多斯固废办（示范） Ordos desk (demo)",
    "1506",
)];

/// Seeds the demo organizations, their owners, one staff member and one admin. Returns how many
/// organizations were added (0 when already seeded).
pub fn seed(conn: &mut DbConnection) -> Result<usize, ApiError> {
    let hash = passwords::hash(DEMO_PASSWORD)?;
    let added = write_tx(conn, |conn| {
        let mut added = 0;
        for org in ORGS {
            let uscc = with_check_character(org.uscc_body).ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("bad demo USCC {}", org.uscc_body))
            })?;
            let exists: i64 = organization_rows::table
                .filter(organization_rows::uscc.eq(&uscc))
                .count()
                .get_result(conn)?;
            if exists > 0 {
                continue;
            }
            let (name, region, address, lat, lon) = org.site;
            let input = OrganizationInput {
                legal_name: org.legal_name.into(),
                uscc: uscc.clone(),
                kinds: org.kinds.to_vec(),
                site: SiteInput {
                    name: name.into(),
                    region_code: region.into(),
                    address: address.into(),
                    lat,
                    lon,
                    lined: false,
                },
            };
            let org_id = organizations::create(conn, &input, &uscc, UsccCheck::Valid)?;
            // Seeded as the alliance would have verified them.
            for (from, event) in [
                (VerificationStatus::Unverified, VerificationEvent::Submit),
                (VerificationStatus::Pending, VerificationEvent::Verify),
            ] {
                organizations::move_verification(conn, &org_id, from, event)?;
            }
            let staff = org.kinds.contains(&OrgKind::Alliance);
            accounts::insert(
                conn,
                &NewUser {
                    id: &new_id(),
                    email: org.email,
                    display_name: org.legal_name.split(' ').next().unwrap_or(org.legal_name),
                    password_hash: &hash,
                    email_verified: true,
                    language: Language::Zh,
                    organization: Some((&org_id, OrgRole::Owner)),
                    platform_role: staff.then_some(PlatformRole::Staff),
                },
            )?;
            added += 1;
        }
        for &(email, name, city) in CITY_STAFF {
            let exists: i64 = users::table
                .filter(users::email.eq(email))
                .count()
                .get_result(conn)?;
            if exists == 0 {
                let id = new_id();
                accounts::insert(
                    conn,
                    &NewUser {
                        id: &id,
                        email,
                        display_name: name,
                        password_hash: &hash,
                        email_verified: true,
                        language: Language::Zh,
                        organization: None,
                        platform_role: Some(PlatformRole::Staff),
                    },
                )?;
                diesel::update(users::table.find(&id))
                    .set(users::staff_cities.eq(city))
                    .execute(conn)?;
            }
        }
        Ok::<_, ApiError>(added)
    })?;
    // Idempotent: makes the demo admin again (and resets its password) on every run.
    accounts::create_admin(conn, "admin@demo.wufei.local", DEMO_PASSWORD)?;
    let no_lots = crate::db::schema::listings::table
        .count()
        .get_result::<i64>(conn)?
        == 0;
    if no_lots {
        write_tx(conn, seed_listings)?;
    }
    let no_declarations = crate::db::schema::declarations::table
        .count()
        .get_result::<i64>(conn)?
        == 0;
    if no_declarations {
        write_tx(conn, |c: &mut DbConnection| {
            let catalog = Catalog::load(c)?;
            city::seed(c, &catalog)
        })?;
    }
    Ok(added)
}

fn demo_trade() -> TradeSettings {
    TradeSettings {
        auto_approve_fen: None,
        tolerance_permille: 20,
        freight_fen_per_t_km: 50,
        stranded_days: 30,
        road_limit_kg: 49_000,
    }
}

fn user(conn: &mut DbConnection, email: &str) -> Result<CurrentUser, ApiError> {
    let id: String = users::table
        .filter(users::email.eq(email))
        .select(users::id)
        .first(conn)?;
    CurrentUser::load(conn, &id)?.ok_or_else(ApiError::not_found)
}

/// Realistic Baotou lots, published through the same review as any other.
fn seed_listings(conn: &mut DbConnection) -> Result<(), ApiError> {
    let catalog = Catalog::load(conn)?;
    let staff = user(conn, "staff@demo.wufei.local")?;
    let lots = [
        (
            "steel@demo.wufei.local",
            json!({
                "category": "SW01", "subtype": "steel_slag_bof",
                "title": "BOF steel slag, hot-stewed, aged 90 days 转炉钢渣（热闷，陈化90天）",
                "description": "Stable hot-stewed converter slag from the Kundulun works, 0-40 mm, suitable for road base and asphalt aggregate. Weighbridge on site.",
                "quantity_t": "12000", "min_order_t": "100",
                "supply": {"pattern": "recurring", "monthly_t": "3000"}, "generation": "new",
                "delivery_terms": "pickup",
                "pricing": {"model": "fixed", "price_per_t": "-15.00"},
                "properties": {"free_cao_pct": 2.6, "mgo_pct": 7.9, "immersion_expansion_pct": 1.2, "metallic_iron_pct": 1.1,
                               "aging_days": 90, "treatment": "hot_stewing", "particle_size": "0-40", "i_ra": 0.6, "i_gamma": 0.8,
                               "leachate_ph": 11.3, "leachate_within_gb8978": "yes"},
                "national_code": "312-001-S01",
                "lab_report": {"lab_name": "包头市产品质量计量检测所", "report_no": "BT-2026-SL-0412", "sampled_on": "2026-10-20"}
            }),
        ),
        (
            "jiuyuan-power@demo.wufei.local",
            json!({
                "category": "SW02",
                "title": "Grade II fly ash, pulverised-coal boiler 二级粉煤灰（煤粉炉）",
                "description": "Dry fly ash from the Jiuyuan plant silos, class F, loaded by tanker.",
                "quantity_t": "5000", "min_order_t": "30",
                "supply": {"pattern": "recurring", "monthly_t": "2500"}, "generation": "new",
                "delivery_terms": "pickup",
                "pricing": {"model": "fixed", "price_per_t": "35.00"},
                "properties": {"fineness_45um_pct": 18.5, "water_demand_ratio_pct": 101, "loi_pct": 6.1, "moisture_pct": 0.4,
                               "so3_pct": 1.6, "free_cao_pct": 0.6, "fly_ash_class": "F", "boiler_type": "pulverized_coal",
                               "i_ra": 0.5, "i_gamma": 0.7},
                "national_code": "441-001-S02",
                "lab_report": {"lab_name": "内蒙古建材检测中心", "report_no": "NM-FA-2026-1187", "sampled_on": "2026-11-02"}
            }),
        ),
        (
            "coal@demo.wufei.local",
            json!({
                "category": "SW04",
                "title": "Coal gangue for backfill and sintered bricks 煤矸石（回填、烧结砖）",
                "description": "Stockpiled gangue at the Shiguai dump, suitable for mine-pit backfill or sintered brick raw material.",
                "quantity_t": "80000", "min_order_t": "500",
                "supply": {"pattern": "one_off"}, "generation": "stock",
                "delivery_terms": "pickup",
                "pricing": {"model": "offers", "reserve_per_t": "-8.00"},
                "properties": {"calorific_value_kcal_kg": 950, "al2o3_pct": 21.0, "sio2_pct": 55.0, "sulfur_pct": 0.8,
                               "loi_pct": 14.0, "i_ra": 0.7, "i_gamma": 0.9,
                               "leachate_ph": 7.6, "leachate_within_gb8978": "yes"},
                "national_code": "061-001-S04"
            }),
        ),
        (
            "donghe-power@demo.wufei.local",
            json!({
                "category": "SW06",
                "title": "FGD gypsum, 91% purity 脱硫石膏（纯度91%）",
                "description": "Desulfurization gypsum from the Donghe plant, for cement retarder or gypsum board.",
                "quantity_t": "6000", "min_order_t": "50",
                "supply": {"pattern": "recurring", "monthly_t": "1500"}, "generation": "new",
                "delivery_terms": "delivered",
                "pricing": {"model": "fixed", "price_per_t": "-5.00"},
                "properties": {"gypsum_purity_pct": 91.0, "free_water_pct": 9.5, "chloride_pct": 0.05, "i_ra": 0.3, "i_gamma": 0.4},
                "national_code": "441-002-S06"
            }),
        ),
        (
            "dalad-power@demo.wufei.local",
            json!({
                "category": "SW02",
                "title": "CFB fly ash, Dalad 循环流化床粉煤灰（达拉特）",
                "description": "Fly ash from circulating fluidised-bed boilers across the river from Baotou; for mine backfill and road base.",
                "quantity_t": "20000", "min_order_t": "100",
                "supply": {"pattern": "recurring", "monthly_t": "4000"}, "generation": "new",
                "delivery_terms": "pickup",
                "pricing": {"model": "fixed", "price_per_t": "12.00"},
                "properties": {"fineness_45um_pct": 28.0, "water_demand_ratio_pct": 106, "loi_pct": 9.5, "moisture_pct": 0.6,
                               "so3_pct": 2.8, "free_cao_pct": 2.1, "fly_ash_class": "C", "boiler_type": "cfb"},
                "national_code": "441-001-S02"
            }),
        ),
    ];
    let mut published = Vec::new();
    for (email, mut body) in lots {
        let producer = user(conn, email)?;
        let org = producer.organization_id.clone().unwrap_or_default();
        let site: String = sites::table
            .filter(sites::organization_id.eq(&org))
            .select(sites::id)
            .first(conn)?;
        body["site_id"] = json!(site);
        let input: ListingInput =
            serde_json::from_value(body).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?;
        let lot = listings::create(conn, &catalog, &producer, &input)?;
        listings::submit(conn, &catalog, &producer, &lot.id)?;
        let approve = ListingDecisionRequest {
            decision: ListingDecision::Approve,
            reason: "demo data".into(),
        };
        moderation::decide_listing(conn, &catalog, &demo_trade(), &staff, &lot.id, &approve)?;
        published.push((producer, lot.id));
    }
    seed_trade(conn, &catalog, &staff, &published)
}

/// Offers in several states and two deals with truckloads.
fn seed_trade(
    conn: &mut DbConnection,
    catalog: &Catalog,
    staff: &CurrentUser,
    lots: &[(CurrentUser, String)],
) -> Result<(), ApiError> {
    let [
        (steel, slag),
        (power, ash),
        (coal, gangue),
        (donghe, gypsum),
        ..,
    ] = lots
    else {
        return Ok(());
    };
    let trade = demo_trade();
    let cement = user(conn, "cement@demo.wufei.local")?;
    let roads = user(conn, "roads@demo.wufei.local")?;
    let bricks = user(conn, "bricks@demo.wufei.local")?;
    let lab = user(conn, "lab@demo.wufei.local")?;
    let cement_site = first_site(conn, &cement)?;
    let roads_site = first_site(conn, &roads)?;
    let bricks_site = first_site(conn, &bricks)?;
    let lab_site = first_site(conn, &lab)?;
    let offer = |quantity: &str,
                 price: &str,
                 intended_use: IntendedUse,
                 site: &str|
     -> Result<OfferInput, ApiError> {
        serde_json::from_value(
            json!({"quantity_t": quantity, "price_per_t": price, "intended_use": intended_use,
            "receiving_site_id": site, "message": "demo offer"}),
        )
        .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))
    };
    let approve = DealDecisionRequest {
        decision: DealDecision::Approve,
        reason: "demo data".into(),
    };
    let carrier_uscc = crate::domain::uscc::with_check_character("91150203MA0QX1234");
    let truck = |plate: &str,
                 gross: i64,
                 tare: i64,
                 form: &str|
     -> Result<TransferInput, ApiError> {
        serde_json::from_value(json!({"carrier": "包头顺达物流 Baotou Shunda Logistics", "vehicle_plate": plate,
            "driver": "王刚", "ticket_no": format!("WB-{plate}"), "gross_kg": gross, "tare_kg": tare,
            "dispatched_at": "2026-11-20T08:00:00Z", "carrier_uscc": carrier_uscc,
            "carrier_licence_no": "蒙交运管许可包字150203000123号", "driver_id_no": "150203198507151234",
            "physical_form": form, "covering": if form == "powder" { "tank" } else { "tarpaulin" }}))
        .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))
    };

    // Fly ash to the cement plant: approved, two truckloads, one received.
    let o = offers::place(
        conn,
        &cement,
        ash,
        &offer("500", "35.00", IntendedUse::Cement, &cement_site)?,
    )?;
    let deal = acceptance::accept(conn, &trade, power, &o.id, None)?.deal;
    deals::decide(conn, staff, &deal.id, &approve)?;
    let first = transfers::record_transfer(
        conn,
        power,
        &deal.id,
        &truck("蒙B·A1234", 49_000, 16_000, "powder")?,
        &trade,
    )?;
    transfers::record_transfer(
        conn,
        power,
        &deal.id,
        &truck("蒙B·A5678", 48_500, 15_800, "powder")?,
        &trade,
    )?;
    let receipt: ReceiptRequest = serde_json::from_value(
        json!({"received_net_kg": 32_900, "received_at": "2026-11-20T10:30:00Z", "received_by": "李强"}),
    )
    .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?;
    transfers::receive(conn, &cement, &deal.id, &first.id, &receipt, 20)?;

    // Steel slag to the road builder (the producer pays a gate fee): approved, one truckload.
    let o = offers::place(
        conn,
        &roads,
        slag,
        &offer("2000", "-15.00", IntendedUse::RoadBase, &roads_site)?,
    )?;
    let deal = acceptance::accept(conn, &trade, steel, &o.id, None)?.deal;
    deals::decide(conn, staff, &deal.id, &approve)?;
    transfers::record_transfer(
        conn,
        steel,
        &deal.id,
        &truck("蒙B·C9012", 48_000, 16_500, "granular")?,
        &trade,
    )?;

    // Open offers: a research trial (pending), gangue for bricks (countered), gypsum (rejected).
    offers::place(
        conn,
        &lab,
        slag,
        &offer("5", "0", IntendedUse::ResearchTrial, &lab_site)?,
    )?;
    let o = offers::place(
        conn,
        &bricks,
        gangue,
        &offer("5000", "-8.00", IntendedUse::BricksBlocks, &bricks_site)?,
    )?;
    let counter: CounterRequest = serde_json::from_value(
        json!({"price_per_t": "-6.50", "message": "we can pay 6.50 per tonne"}),
    )
    .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?;
    offers::counter(conn, coal, &o.id, &counter)?;
    let o = offers::place(
        conn,
        &cement,
        gypsum,
        &offer("300", "-12.00", IntendedUse::Cement, &cement_site)?,
    )?;
    offers::reject(
        conn,
        donghe,
        &o.id,
        "the gate fee asked is above our price list",
    )?;

    // Deliveries completed this year, so the city's flows and CO2 show: from four districts to
    // five uses.
    let restoration = user(conn, "restoration@demo.wufei.local")?;
    let restoration_site = first_site(conn, &restoration)?;
    for (buyer, site, producer, lot, price, use_, plate, gross, form, loads) in [
        (
            &cement,
            &cement_site,
            power,
            ash,
            "35.00",
            IntendedUse::Cement,
            "蒙B·D100",
            49_000,
            "powder",
            4,
        ),
        (
            &cement,
            &cement_site,
            donghe,
            gypsum,
            "-5.00",
            IntendedUse::Cement,
            "蒙B·D200",
            46_000,
            "granular",
            4,
        ),
        (
            &roads,
            &roads_site,
            steel,
            slag,
            "-15.00",
            IntendedUse::RoadBase,
            "蒙B·D300",
            47_500,
            "granular",
            4,
        ),
        (
            &cement,
            &cement_site,
            power,
            ash,
            "35.00",
            IntendedUse::Concrete,
            "蒙B·D400",
            48_200,
            "powder",
            4,
        ),
        (
            &bricks,
            &bricks_site,
            coal,
            gangue,
            "-7.00",
            IntendedUse::BricksBlocks,
            "蒙B·D500",
            48_000,
            "granular",
            16,
        ),
        (
            &restoration,
            &restoration_site,
            coal,
            gangue,
            "-8.00",
            IntendedUse::BackfillRestoration,
            "蒙B·D600",
            49_400,
            "granular",
            16,
        ),
    ] {
        // Truckloads of whole tonnes, enough for the lot's minimum order.
        let per_truck = (gross - 16_000) / 1000 * 1000;
        let tonnes = (loads * per_truck / 1000).to_string();
        let o = offers::place(conn, buyer, lot, &offer(&tonnes, price, use_, site)?)?;
        let deal = acceptance::accept(conn, &trade, producer, &o.id, None)?.deal;
        if deal.status == crate::domain::deal::DealStatus::PendingApproval {
            deals::decide(conn, staff, &deal.id, &approve)?;
        }
        for n in 1..=loads {
            let load = transfers::record_transfer(
                conn,
                producer,
                &deal.id,
                &truck(&format!("{plate}{n}"), 16_000 + per_truck, 16_000, form)?,
                &trade,
            )?;
            let receipt: ReceiptRequest =
                serde_json::from_value(json!({"received_net_kg": per_truck,
                "received_at": "2026-11-20T11:00:00Z", "received_by": "李强"}))
                .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?;
            transfers::receive(conn, buyer, &deal.id, &load.id, &receipt, 20)?;
        }
        deals::complete(conn, buyer, &deal.id)?;
    }
    seed_demands(conn, catalog)?;
    supply::seed(conn, catalog, staff)
}

/// The first site of the user's organization.
fn first_site(conn: &mut DbConnection, user: &CurrentUser) -> Result<String, ApiError> {
    Ok(sites::table
        .filter(sites::organization_id.eq(user.organization_id.clone().unwrap_or_default()))
        .order(sites::id.asc())
        .select(sites::id)
        .first(conn)?)
}

/// What the receivers want: each finds its lots through matching.
fn seed_demands(conn: &mut DbConnection, catalog: &Catalog) -> Result<(), ApiError> {
    let wanted = [
        (
            "cement@demo.wufei.local",
            json!({
                "title": "Fly ash grade II or better for blended cement 水泥掺合料用粉煤灰（II级及以上）",
                "categories": ["SW02"], "property_bounds": {"loi_pct": {"max": 8.0}}, "min_grades": {"fly_ash": "II"},
                "quantity_t": "24000", "supply": {"pattern": "recurring", "monthly_t": "2000"}, "max_distance_km": 80,
                "price_limit_per_t": "60.00", "intended_use": "cement"
            }),
        ),
        (
            "roads@demo.wufei.local",
            json!({
                "title": "Stable steel slag for road base 路基用稳定钢渣",
                "categories": ["SW01"], "min_grades": {"steel_slag_aggregate": "pass"},
                "quantity_t": "5000", "supply": {"pattern": "one_off"}, "max_distance_km": 60,
                "price_limit_per_t": "0", "intended_use": "road_base"
            }),
        ),
        (
            "restoration@demo.wufei.local",
            json!({
                "title": "Gangue or slag to backfill abandoned pits, gate fee 5 yuan/t or more 废弃矿坑回填（收取处置费≥5元/吨）",
                "categories": ["SW04", "SW01"],
                "quantity_t": "30000", "supply": {"pattern": "one_off"}, "max_distance_km": 50,
                "price_limit_per_t": "-5.00", "intended_use": "backfill_restoration"
            }),
        ),
        (
            "lab@demo.wufei.local",
            json!({
                "title": "Steel slag for a road-base trial section 钢渣路基试验段",
                "categories": ["SW01"], "subtypes": ["steel_slag_bof", "steel_slag_eaf"],
                "property_bounds": {"free_cao_pct": {"max": 3.0}},
                "quantity_t": "100", "supply": {"pattern": "one_off"}, "max_distance_km": 50,
                "price_limit_per_t": "20.00", "intended_use": "research_trial"
            }),
        ),
    ];
    for (email, mut body) in wanted {
        let buyer = user(conn, email)?;
        body["site_id"] = json!(first_site(conn, &buyer)?);
        let input: DemandInput =
            serde_json::from_value(body).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?;
        demands::create(conn, catalog, &buyer, &input)?;
    }
    Ok(())
}
