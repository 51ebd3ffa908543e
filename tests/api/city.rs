//! The city desk over HTTP: declarations and the official figures on a hand-worked example,
//! who sees what, key projects dispatched and flagged overdue past their dates, indicators and
//! the capacity registry.

use diesel::prelude::*;
use serde_json::{Value, json};

use crate::auth::uscc;
use crate::helpers::{Account, TestApp, assert_problem, spawn_app};
use crate::listings::market;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

async fn site_of(app: &TestApp, a: &Account) -> String {
    app.get_json(
        &format!("/api/v1/organizations/{}/sites", a.organization_id),
        &a.access,
    )
    .await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// generated, in-house, sent out, disposed, stored at the end, prior-years' stock used (t).
async fn declare(
    app: &TestApp,
    a: &Account,
    category: &str,
    period: &str,
    t: [&str; 6],
    reason: Option<&str>,
) -> reqwest::Response {
    let site = site_of(app, a).await;
    let mut body = json!({"site_id": site, "category": category, "period": period,
        "generated_t": t[0], "utilised_in_house_t": t[1], "sent_out_t": t[2], "disposed_t": t[3],
        "stored_end_t": t[4], "prior_stock_utilised_t": t[5]});
    if let Some(r) = reason {
        body["sent_out_reason"] = json!(r);
    }
    app.post(
        &format!("/api/v1/organizations/{}/declarations", a.organization_id),
        Some(&a.access),
        &body,
    )
    .await
}

async fn put(app: &TestApp, path: &str, token: &str, body: &Value) -> Value {
    let res = app
        .client
        .put(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    ok(res).await
}

async fn ok(res: reqwest::Response) -> Value {
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

#[actix_web::test]
async fn declarations_give_the_official_figures_and_the_public_sees_no_company() {
    let app = spawn_app().await;
    let m = market(&app).await;
    let a = &m.producer;
    let b = app
        .verified(
            "b@power.test",
            "Donghe Power",
            &uscc(211),
            &["producer"],
            &m.admin,
        )
        .await;
    let c = app
        .verified(
            "c@power.test",
            "Hexi Power",
            &uscc(212),
            &["producer"],
            &m.admin,
        )
        .await;
    // Sent out differs from the exchange's 0 t: a reason is required.
    let p = assert_problem(
        declare(
            &app,
            a,
            "SW01",
            "2026-01",
            ["1000", "600", "200", "50", "450", "100"],
            None,
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "sent_out_reason");
    ok(declare(
        &app,
        a,
        "SW01",
        "2025-12",
        ["100", "100", "0", "0", "500", "0"],
        None,
    )
    .await)
    .await;
    let jan = ok(declare(
        &app,
        a,
        "SW01",
        "2026-01",
        ["1000", "600", "200", "50", "450", "100"],
        Some("200 t to a road builder off the exchange"),
    )
    .await)
    .await;
    assert_eq!(jan["sent_out_on_exchange_t"], "0");
    ok(declare(
        &app,
        a,
        "SW01",
        "2026-02",
        ["500", "300", "0", "0", "400", "0"],
        None,
    )
    .await)
    .await;
    ok(declare(
        &app,
        &b,
        "SW02",
        "2026-01",
        ["1000", "500", "0", "100", "0", "0"],
        None,
    )
    .await)
    .await;
    ok(declare(
        &app,
        &c,
        "SW02",
        "2026-01",
        ["1000", "1000", "0", "0", "0", "0"],
        None,
    )
    .await)
    .await;
    // A correction replaces the month, it does not add to it.
    let again = ok(declare(
        &app,
        &c,
        "SW02",
        "2026-01",
        ["1000", "1000", "0", "0", "0", "0"],
        None,
    )
    .await)
    .await;
    assert_eq!(again["version"], 2);
    // A month not yet begun cannot be declared; zero is a figure, a negative one is not.
    assert_problem(
        declare(
            &app,
            a,
            "SW01",
            "2099-01",
            ["1", "0", "0", "0", "0", "0"],
            None,
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        declare(
            &app,
            a,
            "SW01",
            "2026-03",
            ["-1", "0", "0", "0", "0", "0"],
            None,
        )
        .await,
        422,
        "validation_failed",
    )
    .await;

    // Output values: the city (150200) for two years.
    for (year, yuan) in [(2025, "1000000"), (2026, "10000000")] {
        put(
            &app,
            &format!("/api/v1/city/output-values/{year}/150200"),
            &m.admin,
            &json!({"value_yuan": yuan, "source": "Baotou statistical bulletin"}),
        )
        .await;
    }

    let report = app
        .get_json("/api/v1/city/report?year=2026", &m.admin)
        .await;
    // Hand-worked: generated 1500 + 1000 + 1000 = 3500 t; utilised (900 + 200 + 100) + 500 +
    // 1000 = 2700 t; base 3500 + 100 = 3600 t → 75 %.
    let totals = &report["totals"];
    assert_eq!(totals["generated_t"], "3500");
    assert_eq!(totals["utilised_t"], "2700");
    assert_eq!(totals["utilisation_rate_pct"], 75.0);
    assert_eq!(totals["disposed_t"], "150");
    assert_eq!(totals["declaring_organizations"], 3);
    let cell = |list: &Value, key: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == key)
            .unwrap()["figures"]
            .clone()
    };
    let slag = cell(&report["by_category"], "SW01");
    // SW01: 1200 t utilised of 1600 t → 75 %; stock 500 t at the end of 2025, 400 t now.
    assert_eq!(slag["utilisation_rate_pct"], 75.0);
    assert_eq!(slag["stock_end_t"], "400");
    assert_eq!(slag["stock_change_t"], "-100");
    assert_eq!(
        cell(&report["by_category"], "SW02")["utilisation_rate_pct"],
        75.0
    );
    // Intensity over two years: 100 t / 100 ×10k yuan = 1.0 (2025); 3500 t / 1000 = 3.5 (2026).
    assert_eq!(report["intensity"][0]["t_per_10k_yuan"], 3.5);
    let y2025 = app
        .get_json("/api/v1/city/report?year=2025", &m.admin)
        .await;
    assert_eq!(y2025["intensity"][0]["t_per_10k_yuan"], 1.0);
    // The exchange's own figure keeps its own name.
    assert!(report["exchange"]["totals"].get("clearance_rate").is_some());

    // The public sees the city totals (3 organizations) but no cell of one or two companies.
    let res = app.get("/api/v1/city/summary?year=2026").await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    let public: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(public["public"], true);
    assert_eq!(public["totals"]["generated_t"], "3500");
    assert!(cell(&public["by_category"], "SW01").is_null());
    assert!(cell(&public["by_category"], "SW02").is_null());
    for name in [
        "Baotou Slag Co.",
        "Donghe Power",
        "Hexi Power",
        &a.organization_id,
    ] {
        assert!(!text.contains(name), "{name} in the public summary");
    }
    // The report as CSV: the same figures.
    let csv = app
        .client
        .get(app.url("/api/v1/city/report?year=2026&format=csv"))
        .bearer_auth(&m.admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("2026,totals,city,utilisation_rate_pct,75.0"),
        "{csv}"
    );

    // Who sees what: another producer's declarations are 404; staff see them; producers do not
    // get the staff report; the missing list names who has not declared.
    assert_problem(
        app.get_as(
            &format!("/api/v1/organizations/{}/declarations", a.organization_id),
            &b.access,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    ok(declare(
        &app,
        &b,
        "SW02",
        "2026-02",
        ["1", "1", "0", "0", "0", "0"],
        None,
    )
    .await)
    .await;
    let mine = app
        .get_json(
            &format!("/api/v1/organizations/{}/declarations", a.organization_id),
            &m.admin,
        )
        .await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 3);
    for bad in ["", "2026-13", "2026-1", "26-01-01"] {
        assert_problem(
            app.get_as(
                &format!(
                    "/api/v1/organizations/{}/declarations?period={bad}",
                    a.organization_id
                ),
                &m.admin,
            )
            .await,
            422,
            "validation_failed",
        )
        .await;
    }
    assert_eq!(
        app.get_as("/api/v1/city/report?year=2026", &a.access)
            .await
            .status(),
        403
    );
    let missing = app
        .get_json("/api/v1/city/declarations/missing?period=2026-02", &m.admin)
        .await;
    let names: Vec<&str> = missing["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["legal_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Hexi Power"]);
}

#[actix_web::test]
async fn key_projects_are_dispatched_and_flagged_overdue_past_their_dates() {
    use wufei::db::schema::{key_projects, notifications, outbox};
    let app = spawn_app().await;
    let m = market(&app).await;
    let owner = &m.producer;
    let project = json!({"name": "Steel slag micro-powder line, 600 kt/yr", "owner_organization_id": owner.organization_id,
        "categories": ["SW01"], "capacity_t_per_year": "600000", "investment_yuan": "180000000.00",
        "planned_start": "2026-01-01", "planned_completion": "2027-06-30", "department": "Baotou Bureau of Industry",
        "department_email": "industry@baotou.test", "report_every_days": 30});
    let res = app
        .post("/api/v1/city/key-projects", Some(&owner.access), &project)
        .await;
    assert_eq!(res.status(), 403, "only staff keep the list");
    let res = app
        .post("/api/v1/city/key-projects", Some(&m.admin), &project)
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let p: Value = res.json().await.unwrap();
    let pid = id(&p);
    assert_eq!(p["status"], "planned");
    assert_eq!(p["investment_yuan"], "180000000.00");
    // Past its planned start and still planned, it reads as overdue before any job ran...
    assert!(p["overdue_reason"].as_str().unwrap().contains("start"));

    // ...and the job records it once, and tells the owner (in-app and email) and the
    // department (email).
    let mut conn = app.conn();
    let run = |conn: &mut wufei::db::DbConnection| {
        wufei::service::city::key_projects::flag_overdue(conn).unwrap()
    };
    assert_eq!(run(&mut conn), 1);
    assert_eq!(run(&mut conn), 0, "flagged once");
    let reason: Option<String> = key_projects::table
        .find(&pid)
        .select(key_projects::overdue_reason)
        .first(&mut conn)
        .unwrap();
    assert!(reason.unwrap().contains("planned to start by 2026-01-01"));
    let told: i64 = notifications::table
        .filter(notifications::object_id.eq(&pid))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(told, 1);
    let mailed: i64 = outbox::table
        .filter(outbox::recipient.eq("industry@baotou.test"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(mailed, 1);

    // Another organization does not see it; its owner does and reports progress.
    let other = app
        .verified(
            "x@other.test",
            "Other Co.",
            &uscc(231),
            &["producer"],
            &m.admin,
        )
        .await;
    assert_problem(
        app.get_as(&format!("/api/v1/city/key-projects/{pid}"), &other.access)
            .await,
        404,
        "not_found",
    )
    .await;
    let report = json!({"percent_complete": 35, "invested_to_date_yuan": "61000000.50",
        "problems": "grinding mill delivery late", "next_steps": "commission the mill"});
    let res = app
        .post(
            &format!("/api/v1/city/key-projects/{pid}/reports"),
            Some(&owner.access),
            &report,
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let detail: Value = res.json().await.unwrap();
    assert_eq!(detail["reports"][0]["invested_to_date_yuan"], "61000000.50");
    // Still not started: the milestone keeps it overdue.
    assert!(detail["overdue_reason"].as_str().unwrap().contains("start"));

    // Staff start it: the slipped start no longer counts; operating before completion is refused.
    let decide = |event: &str| json!({"event": event, "reason": "site inspection 2026-03"});
    let res = app
        .post(
            &format!("/api/v1/city/key-projects/{pid}/decision"),
            Some(&m.admin),
            &decide("start"),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let started: Value = res.json().await.unwrap();
    assert_eq!(started["status"], "under_construction");
    assert!(started["overdue_reason"].is_null());
    assert_problem(
        app.post(
            &format!("/api/v1/city/key-projects/{pid}/decision"),
            Some(&m.admin),
            &decide("operate"),
        )
        .await,
        409,
        "invalid_state",
    )
    .await;

    // A report missing past its due day is flagged too.
    diesel::update(key_projects::table.find(&pid))
        .set(key_projects::report_due.eq(chrono::NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(run(&mut conn), 1);
    let late = app
        .get_json(&format!("/api/v1/city/key-projects/{pid}"), &m.admin)
        .await;
    assert!(late["overdue_reason"].as_str().unwrap().contains("report"));

    // The city's totals count it.
    let totals = app
        .get_json("/api/v1/city/report?year=2026", &m.admin)
        .await["projects"]
        .clone();
    assert_eq!(totals["by_status"]["under_construction"], 1);
    assert_eq!(totals["investment_yuan"], "180000000.00");
    assert_eq!(totals["capacity_added_t_per_year"], "0");
    assert_eq!(totals["capacity_planned_t_per_year"], "600000");
    assert_eq!(totals["overdue"], 1);
}

#[actix_web::test]
async fn indicators_and_the_capacity_registry() {
    let app = spawn_app().await;
    let m = market(&app).await;
    let ok_json = |v: &str| {
        json!({"name": "Sand pits restored", "metric": "entered", "unit": "pits",
        "baseline": 0.0, "target": 9.0, "start_on": "2026-01-01", "deadline": "2026-12-31",
        "department": "Natural Resources Bureau", "entered_value": 9.0, "entered_source": v})
    };
    let res = app
        .post(
            "/api/v1/city/indicators",
            Some(&m.admin),
            &ok_json("restoration acceptance records"),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let pits: Value = res.json().await.unwrap();
    assert_eq!(pits["status"], "on_track");
    let mut no_source = ok_json("x");
    no_source.as_object_mut().unwrap().remove("entered_source");
    let p = assert_problem(
        app.post("/api/v1/city/indicators", Some(&m.admin), &no_source)
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "entered_source");
    let rate = json!({"name": "Comprehensive utilisation rate", "metric": "utilisation_rate", "unit": "%",
        "baseline": 60.0, "target": 80.0, "start_on": "2026-01-01", "deadline": "2026-02-01",
        "department": "Ecology and Environment Bureau"});
    let res = app
        .post("/api/v1/city/indicators", Some(&m.admin), &rate)
        .await;
    assert_eq!(res.status(), 201);
    // No declarations: no data yet. Public list, no sign-in.
    let list: Value = app
        .get("/api/v1/city/indicators")
        .await
        .json()
        .await
        .unwrap();
    let rate = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["metric"] == "utilisation_rate")
        .unwrap();
    assert_eq!(rate["status"], "no_data");
    assert_eq!(
        app.post(
            "/api/v1/city/indicators",
            Some(&m.producer.access),
            &ok_json("x y z")
        )
        .await
        .status(),
        403
    );

    // Capacity: the cement plant declares 1000 t/yr of fly ash; a demand for 500 t a month warns.
    let site = site_of(&app, &m.receiver).await;
    let cap = json!({"site_id": site, "category": "SW02", "tonnes_per_year": "1000",
        "discharge_permit_no": "91150204MA0N1234X001P", "eia_approval_ref": "包环审〔2024〕17号", "valid_until": "2030-12-31"});
    let res = app
        .post(
            &format!(
                "/api/v1/organizations/{}/capacities",
                m.receiver.organization_id
            ),
            Some(&m.receiver.access),
            &cap,
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let capacity: Value = res.json().await.unwrap();
    assert_eq!(capacity["status"], "declared");
    let demand = json!({"title": "Fly ash for blended cement", "categories": ["SW02"], "quantity_t": "6000",
        "supply": {"pattern": "recurring", "monthly_t": "500"}, "site_id": site, "max_distance_km": 80,
        "price_limit_per_t": "60.00", "intended_use": "cement"});
    let res = app
        .post("/api/v1/demands", Some(&m.receiver.access), &demand)
        .await;
    assert_eq!(res.status(), 201);
    let d: Value = res.json().await.unwrap();
    assert!(
        d["capacity_warning"]
            .as_str()
            .unwrap()
            .contains("1000 t a year")
    );
    // Staff verify once; another decision is a conflict.
    let verdict = json!({"decision": "verify", "reason": "permit checked against the registry"});
    let path = format!("/api/v1/moderation/capacities/{}/decision", id(&capacity));
    let res = app.post(&path, Some(&m.admin), &verdict).await;
    assert_eq!(res.status(), 200);
    assert_problem(
        app.post(&path, Some(&m.admin), &verdict).await,
        409,
        "invalid_state",
    )
    .await;
    // Another organization's capacities are 404.
    assert_problem(
        app.get_as(
            &format!(
                "/api/v1/organizations/{}/capacities",
                m.receiver.organization_id
            ),
            &m.producer.access,
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

#[actix_web::test]
async fn the_demo_city_has_every_figure() {
    let app = spawn_app().await;
    wufei::service::demo::seed(&mut app.conn()).unwrap();
    let staff = app.demo_token("staff@demo.wufei.local").await;
    let report = app.get_json("/api/v1/city/report?year=2026", &staff).await;
    let rate = report["totals"]["utilisation_rate_pct"].as_f64().unwrap();
    assert!((50.0..100.0).contains(&rate), "{rate}");
    assert!(report["totals"]["stock_change_t"].is_string());
    assert_eq!(report["by_category"].as_array().unwrap().len(), 4);
    let intensity = |r: &Value| {
        r["intensity"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["region_code"] == "150200")
            .unwrap()["t_per_10k_yuan"]
            .as_f64()
            .unwrap()
    };
    let y2025 = app.get_json("/api/v1/city/report?year=2025", &staff).await;
    assert!(intensity(&report) < intensity(&y2025), "intensity falls");
    let p = &report["projects"];
    for s in [
        "planned",
        "under_construction",
        "completed",
        "operating",
        "cancelled",
    ] {
        assert!(p["by_status"][s].as_i64().unwrap() >= 1, "{s}");
    }
    assert_eq!(p["overdue"], 1);
    let indicators: Value = app
        .get("/api/v1/city/indicators")
        .await
        .json()
        .await
        .unwrap();
    let statuses: Vec<&str> = indicators["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.len(), 5);
    assert!(!statuses.contains(&"no_data"), "{statuses:?}");
    // The public summary of the demo city: fly ash and gypsum have three declarants each and
    // show; slag and gangue have one each and are withheld, and so is every district (one
    // producer each) — its intensity included.
    let public: Value = app
        .get("/api/v1/city/summary?year=2026")
        .await
        .json()
        .await
        .unwrap();
    assert!(public["totals"].is_object());
    let shown: Vec<&str> = public["by_category"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["figures"].is_null())
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert_eq!(shown, ["SW02", "SW06"]);
    let regions: Vec<&str> = public["intensity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["region_code"].as_str().unwrap())
        .collect();
    assert_eq!(
        regions,
        ["150200"],
        "a district's intensity gives away its producer"
    );
}
