//! The rules of the trade over HTTP: the published rule book, one use table refusing the same
//! pairs with the same code for offers, deals and demands, national codes, identification
//! records, lab-report coverage, and manifests a regulator would accept.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};
use crate::listings::{fly_ash, market, publish};
use crate::trade::{offer, place};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

/// BOF slag that passes GB/T 20491 (powder) and GB/T 25824 (aggregate), GB 6566, and whose
/// leachate is class II (pH 11.3).
fn steel_slag(site: &str) -> Value {
    json!({"category": "SW01", "subtype": "steel_slag_bof", "title": "BOF slag, hot-stewed", "quantity_t": "800",
        "min_order_t": "10", "supply": {"pattern": "one_off"}, "generation": "stock", "site_id": site,
        "delivery_terms": "pickup", "pricing": {"model": "fixed", "price_per_t": "-10.00"},
        "national_code": "312-001-S01",
        "properties": {"free_cao_pct": 3.0, "so3_pct": 1.0, "autoclave_expansion_pct": 0.3,
            "immersion_expansion_pct": 1.5, "i_ra": 0.5, "i_gamma": 0.5,
            "leachate_ph": 11.3, "leachate_within_gb8978": "yes"}})
}

async fn add_site(app: &TestApp, org: &str, token: &str, region: &str, lined: bool) -> String {
    let res = app
        .post(
            &format!("/api/v1/organizations/{org}/sites"),
            Some(token),
            &json!({"name": "Pit No. 3", "region_code": region, "address": "Shiguai", "lat": 40.70,
                "lon": 110.30, "lined": lined}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    id(&res.json().await.unwrap())
}

#[actix_web::test]
async fn the_rule_book_is_published_with_sources() {
    let app = spawn_app().await;
    let book: Value = app.get("/api/v1/catalog/rules").await.json().await.unwrap();
    assert!(
        book["rule_set"]
            .as_str()
            .unwrap()
            .starts_with("wufei-grades")
    );
    let rule = |name: &str| {
        book["grading"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no rule {name}"))
    };
    for name in [
        "fly_ash",
        "fly_ash_cement",
        "steel_slag_powder",
        "steel_slag_aggregate",
        "ggbs",
        "fgd_gypsum",
        "radioactivity",
        "leaching",
    ] {
        assert!(!rule(name)["standard"].as_str().unwrap().is_empty());
    }
    assert_eq!(rule("ggbs")["standard"], "GB/T 18046-2017");
    assert_eq!(rule("ggbs")["grades"][0]["grade"], "S105");
    // Test methods are named as methods, not as the standard of a limit.
    let aggregate = rule("steel_slag_aggregate");
    assert_eq!(aggregate["standard"], "GB/T 25824-2010");
    assert!(
        aggregate["methods"][0]
            .as_str()
            .unwrap()
            .contains("GB/T 24175")
    );
    // Class C fly ash: free CaO ≤ 4.0 and soundness ≤ 5.0 mm, as conditional limits.
    let fly = rule("fly_ash");
    assert!(
        fly["common"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["property"] == "soundness_mm"
                && l["max"] == 5.0
                && l["when"]["fly_ash_class"] == "C")
    );
    let cement = book["uses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["intended_use"] == "cement")
        .unwrap()
        .clone();
    let slag = cement["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "steel_slag")
        .unwrap()
        .clone();
    assert_eq!(slag["refused"], true);
    assert!(slag["source"].as_str().unwrap().starts_with("GB 175-2023"));
    assert_eq!(cement["all"][0]["rule"], "radioactivity");

    // The catalog has SW12–SW17 and the city's streams as sub-types.
    let cats: Value = app
        .get("/api/v1/catalog/categories")
        .await
        .json()
        .await
        .unwrap();
    let items = cats["items"].as_array().unwrap();
    for code in ["SW12", "SW13", "SW14", "SW15", "SW16", "SW17"] {
        assert!(items.iter().any(|c| c["code"] == code), "{code}");
    }
    let subtypes: Vec<&str> = items
        .iter()
        .flat_map(|c| c["subtypes"].as_array().unwrap())
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    for s in [
        "coal_slime",
        "gasification_slag",
        "carbide_slag",
        "rare_earth_tailings",
    ] {
        assert!(subtypes.contains(&s), "{s}");
    }
}

#[actix_web::test]
async fn offers_and_demands_refuse_the_same_pairs_with_the_same_code() {
    let app = spawn_app().await;
    let m = market(&app).await;
    let slag = id(&publish(&app, &m, &steel_slag(&m.site)).await);
    let mut cement = offer("100", "5.00");
    cement["intended_use"] = json!("cement");
    let refused = assert_problem(
        app.post(
            &format!("/api/v1/listings/{slag}/offers"),
            Some(&m.receiver.access),
            &cement,
        )
        .await,
        422,
        "use_not_permitted",
    )
    .await;
    assert_eq!(refused["rule"], "cement.steel_slag");
    assert!(refused["detail"].as_str().unwrap().contains("GB 175-2023"));
    // A demand for steel slag in cement could never match: the same code and rule.
    let site = app
        .get_json(
            &format!("/api/v1/organizations/{}/sites", m.receiver.organization_id),
            &m.receiver.access,
        )
        .await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let demand = json!({"title": "Slag for our kiln", "categories": ["SW01"], "subtypes": ["steel_slag_bof"],
        "quantity_t": "500", "supply": {"pattern": "one_off"}, "site_id": site, "max_distance_km": 100,
        "price_limit_per_t": "10.00", "intended_use": "cement"});
    let refused = assert_problem(
        app.post("/api/v1/demands", Some(&m.receiver.access), &demand)
            .await,
        422,
        "use_not_permitted",
    )
    .await;
    assert_eq!(refused["rule"], "cement.steel_slag");
    // The same slag may go into concrete (GB/T 20491 pass) and into a road base.
    let mut concrete = offer("100", "5.00");
    concrete["intended_use"] = json!("concrete");
    place(&app, &m.receiver, &slag, &concrete).await;
    let mut road = offer("100", "5.00");
    road["intended_use"] = json!("road_base");
    place(&app, &m.receiver, &slag, &road).await;

    // Fly ash that fails GB 6566 is refused for bricks, but not for a road base.
    let mut hot = fly_ash(&m.site);
    hot["properties"]["i_ra"] = json!(1.01);
    let hot = id(&publish(&app, &m, &hot).await);
    let mut bricks = offer("100", "5.00");
    bricks["intended_use"] = json!("bricks_blocks");
    let refused = assert_problem(
        app.post(
            &format!("/api/v1/listings/{hot}/offers"),
            Some(&m.receiver.access),
            &bricks,
        )
        .await,
        422,
        "use_not_permitted",
    )
    .await;
    assert_eq!(refused["rule"], "bricks_blocks.radioactivity");
    bricks["intended_use"] = json!("road_base");
    place(&app, &m.receiver, &hot, &bricks).await;
    // A brick maker's demand for fly ash is not matched with it.
    let demand = json!({"title": "Ash for bricks", "categories": ["SW02"], "quantity_t": "500",
        "supply": {"pattern": "one_off"}, "site_id": site, "max_distance_km": 500,
        "price_limit_per_t": "80.00", "intended_use": "bricks_blocks"});
    let res = app
        .post("/api/v1/demands", Some(&m.receiver.access), &demand)
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let d = id(&res.json().await.unwrap());
    let matches = app
        .get_json(&format!("/api/v1/demands/{d}/matches"), &m.receiver.access)
        .await;
    assert!(
        !matches["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["listing"]["id"] == hot.as_str()),
        "a lot failing GB 6566 is not matched to a brick maker"
    );
}

#[actix_web::test]
async fn restoration_takes_class_two_only_on_a_lined_site_when_offered_and_when_dealt() {
    let app = spawn_app().await;
    let m = market(&app).await;
    let slag = id(&publish(&app, &m, &steel_slag(&m.site)).await);
    let org = m.receiver.organization_id.clone();
    let lined = add_site(&app, &org, &m.receiver.access, "150206", true).await;
    let open_pit = add_site(&app, &org, &m.receiver.access, "150206", false).await;
    let mut backfill = offer("100", "-5.00");
    backfill["intended_use"] = json!("backfill_restoration");
    backfill["receiving_site_id"] = json!(open_pit);
    let refused = assert_problem(
        app.post(
            &format!("/api/v1/listings/{slag}/offers"),
            Some(&m.receiver.access),
            &backfill,
        )
        .await,
        422,
        "use_not_permitted",
    )
    .await;
    assert_eq!(refused["rule"], "backfill_restoration.leaching");
    backfill["receiving_site_id"] = json!(lined);
    let o = place(&app, &m.receiver, &slag, &backfill).await;
    assert_eq!(o["receiving_site_id"], lined.as_str());
    // The liner is taken off the record before the producer accepts: the deal is refused the
    // same way, and nothing changes.
    let res = app
        .patch(
            &format!("/api/v1/organizations/{org}/sites/{lined}"),
            &m.receiver.access,
            &json!({"name": "Pit No. 3", "region_code": "150206", "address": "Shiguai", "lat": 40.70,
                "lon": 110.30, "lined": false}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let refused = assert_problem(
        app.post(
            &format!("/api/v1/offers/{}/accept", id(&o)),
            Some(&m.producer.access),
            &json!({}),
        )
        .await,
        422,
        "use_not_permitted",
    )
    .await;
    assert_eq!(refused["rule"], "backfill_restoration.leaching");
    let lot = app
        .get_json(&format!("/api/v1/listings/{slag}"), &m.producer.access)
        .await;
    assert_eq!(lot["remaining_t"], "800");
    let offer_now = app
        .get_json(&format!("/api/v1/offers/{}", id(&o)), &m.receiver.access)
        .await;
    assert_eq!(offer_now["status"], "pending");
}

#[actix_web::test]
async fn codes_records_and_report_coverage() {
    let app = spawn_app().await;
    let m = market(&app).await;
    let post = |body: Value| {
        let app = &app;
        let token = m.producer.access.clone();
        async move { app.post("/api/v1/listings", Some(&token), &body).await }
    };
    // A national code is written however the clerk types it, and must match the category.
    let mut ash = fly_ash(&m.site);
    ash["national_code"] = json!("４４１００１ｓ０２");
    let res = post(ash.clone()).await;
    assert_eq!(res.status(), 201);
    let lot: Value = res.json().await.unwrap();
    assert_eq!(lot["national_code"], "441-001-S02");
    // 1200 t of fly ash is more than one GB/T 1596 batch of 500 t: it asks for a newer report.
    assert_eq!(lot["lab_report_coverage"]["batch_limit_t"], "500");
    assert_eq!(lot["lab_report_coverage"]["uncovered_t"], "700");
    assert_eq!(lot["lab_report_coverage"]["needs_newer_report"], true);
    ash["quantity_t"] = json!("500");
    let lot: Value = post(ash.clone()).await.json().await.unwrap();
    assert!(lot.get("lab_report_coverage").is_none());
    for bad in ["441-001-S01", "441-001-S08", "441-000-S02", "44100S02"] {
        ash["national_code"] = json!(bad);
        let p = assert_problem(post(ash.clone()).await, 422, "validation_failed").await;
        assert_eq!(p["errors"][0]["code"], "invalid_national_code", "{bad}");
    }
    // Hazardous codes however written, and an identification report that says hazardous.
    let mut sludge = fly_ash(&m.site);
    sludge["category"] = json!("SW07");
    sludge["properties"] = json!({});
    sludge["hazardous_waste_code"] = json!("ＨＷ１７");
    assert_problem(
        post(sludge.clone()).await,
        422,
        "hazardous_waste_out_of_scope",
    )
    .await;
    sludge["hazardous_waste_code"] = json!(null);
    sludge["identification_report"] = json!({"issuer": "Baotou identification centre", "report_no": "JB-9",
        "issued_on": "2026-10-01", "conclusion": "hazardous"});
    assert_problem(
        post(sludge.clone()).await,
        422,
        "hazardous_waste_out_of_scope",
    )
    .await;
    sludge["identification_report"]["conclusion"] = json!("not_hazardous");
    sludge["identification_report"]["issued_on"] = json!("2099-01-01");
    let p = assert_problem(post(sludge.clone()).await, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "identification_report.issued_on");
    sludge["identification_report"]["issued_on"] = json!("2026-10-01");
    let lot: Value = post(sludge).await.json().await.unwrap();
    assert_eq!(lot["identification_report"]["report_no"], "JB-9");
    assert_eq!(lot["grades"]["leaching"]["grade"], "ungraded");
}

#[actix_web::test]
async fn manifests_carry_what_a_regulator_reads() {
    let app = spawn_app().await;
    let m = market(&app).await;
    let org = m.receiver.organization_id.clone();
    // A receiving site across the provincial line (Ningxia, 64xxxx).
    let far = add_site(&app, &org, &m.receiver.access, "640104", false).await;
    let slag = id(&publish(&app, &m, &steel_slag(&m.site)).await);
    let mut road = offer("100", "-10.00");
    road["intended_use"] = json!("road_base");
    road["receiving_site_id"] = json!(far);
    let o = place(&app, &m.receiver, &slag, &road).await;
    let acc: Value = app
        .post(
            &format!("/api/v1/offers/{}/accept", id(&o)),
            Some(&m.producer.access),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    let deal = id(&acc["deal"]);
    app.post(
        &format!("/api/v1/moderation/deals/{deal}/decision"),
        Some(&m.admin),
        &json!({"decision": "approve", "reason": "ok to go"}),
    )
    .await;
    let truck = |gross: i64| {
        json!({"carrier": "Shunda Logistics", "vehicle_plate": "蒙B11111", "driver": "Wang Gang",
            "ticket_no": format!("T{gross}"), "gross_kg": gross, "tare_kg": 16_000,
            "dispatched_at": "2026-11-20T08:00:00Z", "carrier_uscc": crate::auth::uscc(301),
            "carrier_licence_no": "150203000123", "driver_id_no": "150203198507151234",
            "physical_form": "granular", "covering": "tarpaulin"})
    };
    let path = format!("/api/v1/deals/{deal}/transfers");
    // GB 1589: 49 t gross for the largest combination; one kilogram more is refused.
    let p = assert_problem(
        app.post(&path, Some(&m.producer.access), &truck(49_001))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["errors"][0]["code"], "over_road_limit");
    let res = app
        .post(&path, Some(&m.producer.access), &truck(49_000))
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let t: Value = res.json().await.unwrap();
    assert_eq!(t["inter_province"], true);
    assert_eq!(t["destination_site_id"], far.as_str());
    assert_eq!(t["driver_id_masked"], "150203********1234");
    assert!(!t.to_string().contains("198507"));
    assert_eq!(t["manifest_missing"], json!([]));
    // Turned away at the gate: received as 0 kg, with the reason.
    let receipt = format!("/api/v1/deals/{deal}/transfers/{}/receipt", id(&t));
    let p = assert_problem(
        app.post(&receipt, Some(&m.receiver.access),
            &json!({"received_net_kg": 33_000, "received_at": "2026-11-20T12:00:00Z", "rejected": true}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    let codes: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["rejected_load", "required"]);
    let res = app
        .post(
            &receipt,
            Some(&m.receiver.access),
            &json!({"received_net_kg": 0, "received_at": "2026-11-20T12:00:00Z", "rejected": true,
                "received_by": "Li Qiang", "difference_reason": "wet load, over 15 % moisture"}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let detail = app
        .get_json(&format!("/api/v1/deals/{deal}"), &m.receiver.access)
        .await;
    assert_eq!(detail["delivered_t"], "0");
    assert_eq!(
        detail["manifest"]["shipper"]["legal_name"],
        "Baotou Slag Co."
    );
    assert_eq!(detail["manifest"]["waste"]["national_code"], "312-001-S01");
    assert_eq!(detail["manifest"]["destination"]["region_code"], "640104");
    assert_eq!(detail["transfers"][0]["rejected"], true);
    // The producer's ledger (台账) carries the manifest's columns.
    let csv = app
        .get_as(
            &format!(
                "/api/v1/organizations/{}/ledger",
                m.producer.organization_id
            ),
            &m.producer.access,
        )
        .await
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let row = reader.records().next().unwrap().unwrap();
    let col = |name: &str| row[header.iter().position(|h| h == name).unwrap()].to_string();
    assert_eq!(col("national_code"), "312-001-S01");
    assert_eq!(col("destination_region"), "640104");
    assert_eq!(col("inter_province"), "true");
    assert_eq!(col("rejected"), "true");
    assert_eq!(col("carrier_uscc"), crate::auth::uscc(301));
    assert_eq!(col("waste_name"), "BOF slag, hot-stewed");
}

/// Lots graded under an older rule set are regraded (the service does it at start).
#[actix_web::test]
async fn grades_of_an_older_rule_set_are_recomputed_at_start() {
    use diesel::prelude::*;
    use wufei::db::schema::listing_grades;
    let app = spawn_app().await;
    let m = market(&app).await;
    let lot = id(&publish(&app, &m, &steel_slag(&m.site)).await);
    diesel::delete(listing_grades::table.filter(listing_grades::listing_id.eq(&lot)))
        .execute(&mut app.conn())
        .unwrap();
    diesel::insert_into(listing_grades::table)
        .values((
            listing_grades::listing_id.eq(&lot),
            listing_grades::rule.eq("steel_slag_stability"),
            listing_grades::grade.eq("pass"),
            listing_grades::rule_set.eq("wufei-grades-2026.1"),
        ))
        .execute(&mut app.conn())
        .unwrap();
    let mut conn = app.conn();
    let catalog = wufei::service::market::catalog::Catalog::load(&mut conn).unwrap();
    assert_eq!(
        wufei::service::market::lots::regrade_stale(&mut conn, &catalog).unwrap(),
        1,
        "only the stale lot is regraded"
    );
    let view = app
        .get_json(&format!("/api/v1/listings/{lot}"), &m.producer.access)
        .await;
    assert!(view["grades"].get("steel_slag_stability").is_none());
    assert_eq!(view["grades"]["steel_slag_aggregate"]["grade"], "pass");
    assert_eq!(view["grades"]["leaching"]["grade"], "II");
}
