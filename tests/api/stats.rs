//! Research projects, city statistics and the ledger on a known dataset, against hand-computed
//! figures (the clearance rate, the median, CO2 with the freight deduction), JSON and CSV alike.

use diesel::prelude::*;
use serde_json::{Value, json};

use crate::auth::uscc;
use crate::helpers::{TestApp, app, assert_problem};
use crate::listings::{Market, fly_ash, market, publish};
use crate::trade::{offer, place};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

fn steel_slag(site: &str) -> Value {
    json!({"category": "SW01", "subtype": "steel_slag_bof", "title": "BOF slag", "quantity_t": "500", "min_order_t": "10",
        "supply": {"pattern": "one_off"}, "generation": "stock", "site_id": site, "delivery_terms": "pickup",
        "pricing": {"model": "offers"},
        "properties": {"free_cao_pct": 3.0, "immersion_expansion_pct": 1.5, "i_ra": 0.5, "i_gamma": 0.5}})
}

/// Accepts an offer, has staff approve the deal, sends one truck and receives `received_kg`,
/// then completes the deal. Returns the deal id.
async fn deliver(
    app: &TestApp,
    m: &Market,
    offer_id: &str,
    net_kg: i64,
    received_kg: i64,
) -> String {
    let acc: Value = app
        .post(
            &format!("/api/v1/offers/{offer_id}/accept"),
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
    let t: Value = app
        .post(&format!("/api/v1/deals/{deal}/transfers"), Some(&m.producer.access), &json!({"carrier": "Shunda", "vehicle_plate": "蒙B11111",
            "driver": "Wang", "ticket_no": "T1", "gross_kg": net_kg + 15_000, "tare_kg": 15_000, "dispatched_at": "2026-11-20T08:00:00Z"}))
        .await
        .json()
        .await
        .unwrap();
    app.post(
        &format!("/api/v1/deals/{deal}/transfers/{}/receipt", id(&t)),
        Some(&m.receiver.access),
        &json!({"received_net_kg": received_kg, "received_at": "2026-11-20T10:00:00Z"}),
    )
    .await;
    let done: Value = app
        .post(
            &format!("/api/v1/deals/{deal}/complete"),
            Some(&m.receiver.access),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(done["status"], "completed");
    deal
}

#[actix_web::test]
async fn statistics_match_hand_computed_figures_in_json_and_csv() {
    let app = app().start().await;
    let m = market(&app).await;
    // The receiver's plant is 0.1° (11.12 km) north of the producer's yard.
    let sites: Value = app
        .get_json(
            &format!("/api/v1/organizations/{}/sites", m.receiver.organization_id),
            &m.receiver.access,
        )
        .await;
    let site = id(&sites["items"][0]);
    let res = app.patch(&format!("/api/v1/organizations/{}/sites/{site}", m.receiver.organization_id), &m.receiver.access,
        &json!({"name": "Cement plant", "region_code": "150204", "address": "Qingshan", "lat": 40.73, "lon": 109.84})).await;
    assert_eq!(res.status(), 200);

    let mut ash = fly_ash(&m.site);
    ash["quantity_t"] = json!("1000");
    let a = id(&publish(&app, &m, &ash).await);
    let b = id(&publish(&app, &m, &steel_slag(&m.site)).await);
    let mut cement = offer("300", "30.00");
    cement["intended_use"] = json!("cement");
    let o1 = id(&place(&app, &m.receiver, &a, &cement).await);
    let mut road = offer("200", "-10.00");
    road["intended_use"] = json!("road_base");
    let o2 = id(&place(&app, &m.receiver, &b, &road).await);
    let o3 = id(&place(&app, &m.receiver, &a, &offer("50", "20.00")).await);
    // Known publication and first-offer times: 2 and 5 days → median 3.5.
    let mut conn = app.conn();
    use wufei::db::schema::{listings, offers};
    let t0 = chrono::NaiveDate::from_ymd_opt(2026, 10, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    diesel::update(listings::table)
        .set(listings::published_at.eq(t0))
        .execute(&mut conn)
        .unwrap();
    diesel::update(offers::table.filter(offers::listing_id.eq(&a)))
        .set(offers::created_at.eq(t0 + chrono::Duration::days(2)))
        .execute(&mut conn)
        .unwrap();
    diesel::update(offers::table.filter(offers::listing_id.eq(&b)))
        .set(offers::created_at.eq(t0 + chrono::Duration::days(5)))
        .execute(&mut conn)
        .unwrap();

    let d1 = deliver(&app, &m, &o1, 30_000, 30_000).await;
    let d2 = deliver(&app, &m, &o2, 20_000, 19_800).await;
    let acc: Value = app
        .post(
            &format!("/api/v1/offers/{o3}/accept"),
            Some(&m.producer.access),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    app.post(
        &format!("/api/v1/moderation/deals/{}/decision", id(&acc["deal"])),
        Some(&m.admin),
        &json!({"decision": "cancel", "reason": "permit missing"}),
    )
    .await;

    let flows: Value = app.get_json("/api/v1/stats/flows", &m.admin).await;
    assert_eq!(flows["totals"]["listed_t"], "1500");
    assert_eq!(
        flows["totals"]["contracted_t"], "500",
        "the cancelled deal does not count"
    );
    assert_eq!(flows["totals"]["delivered_t"], "49.8");
    assert_eq!(flows["totals"]["clearance_rate"], 0.0332, "49.8 ÷ 1500");
    assert_eq!(flows["by_category"]["SW02"]["listed_t"], "1000");
    assert_eq!(flows["by_category"]["SW01"]["delivered_t"], "19.8");
    assert_eq!(flows["active_organizations"], 2);
    assert_eq!(
        flows["deals_by_state"],
        json!({"cancelled": 1, "completed": 2})
    );
    assert_eq!(flows["median_days_to_first_offer"], 3.5);
    // CO2: cement 30 t × 0.75 = 22.5, freight 30 × 11.12 km × 0.1 kg = 0.033 t → 22.467;
    // road base 19.8 t × 0.02 = 0.396, freight 0.022 t → 0.374. Total 22.841.
    let co2 = flows["co2"].as_array().unwrap();
    let cement = co2.iter().find(|c| c["intended_use"] == "cement").unwrap();
    assert_eq!(
        (
            cement["avoided_t"].as_f64(),
            cement["freight_t"].as_f64(),
            cement["net_t"].as_f64()
        ),
        (Some(22.5), Some(0.033), Some(22.467))
    );
    let road = co2
        .iter()
        .find(|c| c["intended_use"] == "road_base")
        .unwrap();
    assert_eq!(
        (
            road["avoided_t"].as_f64(),
            road["freight_t"].as_f64(),
            road["net_t"].as_f64()
        ),
        (Some(0.396), Some(0.022), Some(0.374))
    );
    assert_eq!(flows["co2_net_t"], 22.841);
    assert_eq!(flows["factor_version"], "2026.2");
    assert!(co2.iter().all(|c| c["factor_version"] == "2026.2"));
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let rows = flows["rows"].as_array().unwrap();
    let row = |cat: &str, m: &str| {
        rows.iter()
            .find(|r| r["category"] == cat && r["month"] == m)
            .cloned()
            .unwrap()
    };
    assert_eq!(row("SW02", "2026-10")["listed_t"], "1000");
    assert_eq!(row("SW02", &month)["contracted_t"], "300");
    assert_eq!(row("SW01", &month)["delivered_t"], "19.8");

    // The CSV holds the same rows.
    for req in [
        app.client
            .get(app.url("/api/v1/stats/flows?format=csv"))
            .bearer_auth(&m.admin),
        app.client
            .get(app.url("/api/v1/stats/flows"))
            .bearer_auth(&m.admin)
            .header("accept", "text/csv"),
    ] {
        let res = req.send().await.unwrap();
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let text = res.text().await.unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let parsed: Vec<wufei::service::city::stats::FlowRow> =
            reader.deserialize().map(Result::unwrap).collect();
        let json_rows: Vec<wufei::service::city::stats::FlowRow> =
            serde_json::from_value(flows["rows"].clone()).unwrap();
        assert_eq!(parsed, json_rows);
    }
    // A period that ends before the deals sees only the listings.
    let october: Value = app
        .get_json(
            "/api/v1/stats/flows?from=2026-10-01&until=2026-11-01",
            &m.admin,
        )
        .await;
    assert_eq!(
        (
            october["totals"]["listed_t"].as_str(),
            october["totals"]["delivered_t"].as_str()
        ),
        (Some("1500"), Some("0"))
    );

    // The public summary: figures, but no names and no prices.
    let res = app.get("/api/v1/stats/summary").await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    let summary: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(summary["totals"]["delivered_t"], "49.8");
    assert_eq!(summary["co2_net_t"], 22.841);
    // A newer factor version sorts as a version ("2026.10" after "2026.2") and becomes the
    // default; a (category, use) pair it has no row for earns no credit.
    {
        use diesel::prelude::*;
        diesel::sql_query(
            "INSERT INTO co2_credits (version, category_code, intended_use, avoided_t_per_t, \
             freight_kg_per_t_km, source) VALUES ('2026.10', 'SW02', 'cement', 0.8, 0.1, 'test')",
        )
        .execute(&mut app.conn())
        .unwrap();
    }
    let newer: Value = app.get_json("/api/v1/stats/flows", &m.admin).await;
    assert_eq!(newer["factor_version"], "2026.10");
    let by_use = |use_: &str| {
        newer["co2"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["intended_use"] == use_)
            .unwrap()["avoided_t"]
            .as_f64()
    };
    assert_eq!(by_use("cement"), Some(24.0));
    assert_eq!(by_use("road_base"), Some(0.0));
    for secret in ["Baotou Slag Co.", "Qingshan Cement Co.", "30.00", "price"] {
        assert!(
            !text.contains(secret),
            "{secret} leaks into the public summary"
        );
    }
    assert_problem(
        app.get_as("/api/v1/stats/flows", &m.producer.access).await,
        403,
        "staff_only",
    )
    .await;

    // The producer's ledger: one line per truckload, with the receiver's name and USCC.
    let res = app
        .get_as(
            &format!(
                "/api/v1/organizations/{}/ledger",
                m.producer.organization_id
            ),
            &m.producer.access,
        )
        .await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let lines: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(lines.len(), 2);
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let by_deal = |deal: &str| {
        lines
            .iter()
            .find(|l| &l[col("deal_id")] == deal)
            .unwrap()
            .clone()
    };
    let first = by_deal(&d1);
    assert_eq!(&first[col("category_code")], "SW02");
    assert_eq!(&first[col("dispatched_t")], "30");
    assert_eq!(&first[col("receiver_name")], "Qingshan Cement Co.");
    assert_eq!(&first[col("receiver_uscc")], uscc(202).as_str());
    assert_eq!(&first[col("intended_use")], "cement");
    assert!(first[col("manifest_no")].starts_with("WF-"));
    assert_eq!(&by_deal(&d2)[col("received_t")], "19.8");
    // Not another organization's ledger.
    assert_problem(
        app.get_as(
            &format!(
                "/api/v1/organizations/{}/ledger",
                m.producer.organization_id
            ),
            &m.receiver.access,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let empty = app
        .get_as(
            &format!(
                "/api/v1/organizations/{}/ledger",
                m.receiver.organization_id
            ),
            &m.receiver.access,
        )
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(empty.lines().count(), 1, "a header only");

    // A research project takes the slag deal and shows it on its page.
    let lab = app
        .verified(
            "lab@imust.test",
            "IMUST Lab",
            &uscc(601),
            &["research"],
            &m.admin,
        )
        .await;
    let res = app.post("/api/v1/research-projects", Some(&lab.access), &json!({"title": "Steel-slag road base trial", "description": "Test section on the ring road",
        "categories": ["SW01"], "trl": 5, "trial_t": "200"})).await;
    assert_eq!(res.status(), 201);
    let project = id(&res.json::<Value>().await.unwrap());
    // Not visible to others while proposed; cannot take deals yet.
    assert_problem(
        app.get_as(
            &format!("/api/v1/research-projects/{project}"),
            &m.producer.access,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.post(
            &format!("/api/v1/research-projects/{project}/decision"),
            Some(&lab.access),
            &json!({"decision": "approve", "reason": "self"}),
        )
        .await,
        403,
        "staff_only",
    )
    .await;
    let res = app
        .post(
            &format!("/api/v1/research-projects/{project}/decision"),
            Some(&m.admin),
            &json!({"decision": "approve", "reason": "fits the alliance plan"}),
        )
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "approved");
    let res = app
        .post(
            &format!("/api/v1/deals/{d1}/research-project"),
            Some(&m.producer.access),
            &json!({"research_project_id": project}),
        )
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "category_mismatch");
    let res = app
        .post(
            &format!("/api/v1/deals/{d2}/research-project"),
            Some(&m.producer.access),
            &json!({"research_project_id": project}),
        )
        .await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["research_project_id"],
        project.as_str()
    );
    let page: Value = app
        .get_json(&format!("/api/v1/research-projects/{project}"), &lab.access)
        .await;
    assert_eq!(page["delivered_t"], "19.8");
    assert_eq!(page["deals"].as_array().unwrap().len(), 1);
    let res = app
        .post(
            &format!("/api/v1/research-projects/{project}/decision"),
            Some(&lab.access),
            &json!({"decision": "start", "reason": "test section poured"}),
        )
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "active");
}
