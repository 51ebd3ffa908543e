//! Cities as scopes (docs/CITY.md, "Cities"): staff who work for one city see and decide its work
//! only; statistics per district, city and province add up; the demo's second city.

use serde_json::{Value, json};

use crate::auth::uscc;
use crate::helpers::{TestApp, assert_problem, spawn_app};
use crate::listings::{fly_ash, market};

/// An organization registered in Ordos (its USCC carries 150602), with a site there.
async fn ordos_producer(app: &TestApp) -> (crate::helpers::Account, String) {
    let code = wufei::domain::uscc::with_check_character("91150602MA0DLT001").unwrap();
    let acct = app
        .signup("ash@ordos.test", "Ordos Ash Co.", &code, &["producer"])
        .await;
    let org = &acct.organization_id;
    let res = app
        .post(
            &format!("/api/v1/organizations/{org}/sites"),
            Some(&acct.access),
            &json!({"name": "Dalad ash silo", "region_code": "150621", "address": "Shulinzhao",
                    "lat": 40.40, "lon": 110.04}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let site = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    (acct, site)
}

async fn submit_for_verification(app: &TestApp, acct: &crate::helpers::Account) {
    let res = app
        .post(
            &format!(
                "/api/v1/organizations/{}/verification",
                acct.organization_id
            ),
            Some(&acct.access),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
}

/// A draft lot sent to review; returns its id.
async fn submitted_lot(app: &TestApp, token: &str, site: &str) -> String {
    let res = app
        .post("/api/v1/listings", Some(token), &fly_ash(site))
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app
        .post(
            &format!("/api/v1/listings/{id}/submit"),
            Some(token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    id
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn staff_of_one_city_see_and_decide_its_work_only() {
    let app = spawn_app().await;
    let m = market(&app).await;
    let admin = m.admin.clone();
    let (ordos, ordos_site) = ordos_producer(&app).await;
    submit_for_verification(&app, &ordos).await;
    let baotou = app
        .signup(
            "gypsum@baotou.test",
            "Baotou Gypsum",
            &uscc(301),
            &["producer"],
        )
        .await;
    submit_for_verification(&app, &baotou).await;

    // The admin makes a desk for Ordos.
    let desk = app
        .signup("desk@ordos.test", "Ordos Desk", &uscc(302), &["research"])
        .await;
    let found: Value = app
        .get_json("/api/v1/admin/users?email=desk@ordos.test", &admin)
        .await;
    let grant = format!(
        "/api/v1/admin/users/{}/platform-role",
        found["id"].as_str().unwrap()
    );
    for (body, field, code) in [
        (
            json!({"platform_role": "staff", "cities": ["15"]}),
            "cities/0",
            "invalid_city",
        ),
        (
            json!({"platform_role": "staff", "cities": ["1500"]}),
            "cities/0",
            "invalid_city",
        ),
        (
            json!({"platform_role": "staff", "cities": []}),
            "cities",
            "length",
        ),
        (
            json!({"platform_role": null, "cities": ["1506"]}),
            "cities",
            "not_allowed",
        ),
    ] {
        let res = app.post(&grant, Some(&admin), &body).await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
        assert_eq!(problem["errors"][0]["code"], code, "{body}");
    }
    let unchanged: Value = app
        .get_json("/api/v1/admin/users?email=desk@ordos.test", &admin)
        .await;
    assert!(
        unchanged["platform_role"].is_null(),
        "a refused grant changes nothing"
    );
    let res = app
        .post(
            &grant,
            Some(&admin),
            &json!({"platform_role": "staff", "cities": ["1506", "1506"]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let granted: Value = res.json().await.unwrap();
    assert_eq!(granted["staff_cities"], json!(["1506"]));
    let staff = desk.access.clone();

    // Organizations: the queue shows Ordos's, a Baotou one is not there to decide.
    let queue = app
        .get_json("/api/v1/moderation/organizations", &staff)
        .await;
    assert_eq!(ids(&queue), vec![ordos.organization_id.clone()]);
    let decide = |org: &str| format!("/api/v1/moderation/organizations/{org}/decision");
    let verify = json!({"decision": "verify", "reason": "licence checked"});
    let res = app
        .post(&decide(&baotou.organization_id), Some(&staff), &verify)
        .await;
    assert_problem(res, 404, "not_found").await;
    let res = app
        .post(&decide(&ordos.organization_id), Some(&staff), &verify)
        .await;
    assert_eq!(res.status(), 200);

    // Lots: reviewed by the staff of the city they lie in.
    let baotou_lot = submitted_lot(&app, &m.producer.access, &m.site).await;
    let ordos_lot = submitted_lot(&app, &ordos.access, &ordos_site).await;
    let queue = app.get_json("/api/v1/moderation/listings", &staff).await;
    assert_eq!(ids(&queue), vec![ordos_lot.clone()]);
    let everyone = app.get_json("/api/v1/moderation/listings", &admin).await;
    assert_eq!(ids(&everyone).len(), 2);
    let approve = json!({"decision": "approve", "reason": "lab report checked"});
    let res = app
        .post(
            &format!("/api/v1/moderation/listings/{baotou_lot}/decision"),
            Some(&staff),
            &approve,
        )
        .await;
    assert_problem(res, 404, "not_found").await;
    let res = app
        .get_as(&format!("/api/v1/listings/{baotou_lot}"), &staff)
        .await;
    assert_eq!(
        res.status(),
        404,
        "a lot under review is its city's business"
    );
    let res = app
        .post(
            &format!("/api/v1/moderation/listings/{ordos_lot}/decision"),
            Some(&staff),
            &approve,
        )
        .await;
    assert_eq!(res.status(), 200);
    let lot = app
        .get_json(&format!("/api/v1/listings/{ordos_lot}"), &m.receiver.access)
        .await;
    assert_eq!(
        lot["status"], "published",
        "a Baotou buyer sees an Ordos lot"
    );

    // Statistics: the desk's own city by default, no other.
    let flows = app.get_json("/api/v1/stats/flows", &staff).await;
    assert!(flows["rows"].is_array(), "{flows}");
    let res = app.get_as("/api/v1/stats/flows?region=1502", &staff).await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "out_of_scope");
    let res = app
        .get_as("/api/v1/stats/flows?region=150621", &staff)
        .await;
    assert_eq!(res.status(), 200);
}

#[actix_web::test]
async fn a_province_is_the_sum_of_its_cities() {
    let app = spawn_app().await;
    wufei::service::demo::seed(&mut app.conn()).unwrap();
    let summary = |region: &'static str| {
        let app = &app;
        async move {
            let path = if region.is_empty() {
                "/api/v1/stats/summary".to_string()
            } else {
                format!("/api/v1/stats/summary?region={region}")
            };
            let res = app.get(&path).await;
            assert_eq!(res.status(), 200, "{path}");
            res.json::<Value>().await.unwrap()
        }
    };
    let tonnes = |v: &Value, key: &str| v["totals"][key].as_str().unwrap().parse::<f64>().unwrap();
    let (baotou, ordos, province, all) = (
        summary("1502").await,
        summary("1506").await,
        summary("15").await,
        summary("").await,
    );
    for key in ["listed_t", "contracted_t", "delivered_t"] {
        let sum = tonnes(&baotou, key) + tonnes(&ordos, key);
        assert!((sum - tonnes(&province, key)).abs() < 1e-6, "{key}");
        assert!((sum - tonnes(&all, key)).abs() < 1e-6, "{key}");
    }
    assert!(
        tonnes(&ordos, "listed_t") >= 20000.0,
        "the Ordos lot: {ordos}"
    );
    assert!(tonnes(&baotou, "delivered_t") > 0.0);
    assert_eq!(tonnes(&ordos, "delivered_t"), 0.0);
    let district = summary("150621").await;
    assert_eq!(tonnes(&district, "listed_t"), tonnes(&ordos, "listed_t"));
    let res = app.get("/api/v1/stats/summary?region=150").await;
    assert_problem(res, 422, "validation_failed").await;

    // The demo's Ordos desk sees Ordos's work.
    let desk = app.demo_token("staff.ordos@demo.wufei.local").await;
    let flows = app.get_json("/api/v1/stats/flows", &desk).await;
    let rows = flows["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r["region_code"].as_str().unwrap().starts_with("1506"))
    );
}

#[actix_web::test]
async fn the_annual_report_is_per_place_and_a_province_sums_its_cities() {
    let app = spawn_app().await;
    wufei::service::demo::seed(&mut app.conn()).unwrap();
    // The Ordos power plant declares a month; the demo's declarations are Baotou's.
    let dalad = app.demo_token("dalad-power@demo.wufei.local").await;
    let me = app.get_json("/api/v1/me", &dalad).await;
    let org = me["organization"]["id"].as_str().unwrap().to_string();
    let sites = app
        .get_json(&format!("/api/v1/organizations/{org}/sites"), &dalad)
        .await;
    let site = sites["items"][0]["id"].as_str().unwrap();
    let res = app
        .post(
            &format!("/api/v1/organizations/{org}/declarations"),
            Some(&dalad),
            &json!({"site_id": site, "category": "SW01", "period": "2026-03",
                "generated_t": "900", "utilised_in_house_t": "300", "sent_out_t": "0",
                "disposed_t": "100", "stored_end_t": "500", "prior_stock_utilised_t": "0"}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    let admin = app.demo_token("admin@demo.wufei.local").await;
    let report = |region: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            let path = format!("/api/v1/city/report?year=2026{region}");
            app.get_json(&path, admin).await
        }
    };
    let generated = |r: &Value| -> f64 {
        r["totals"]["generated_t"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    let (baotou, ordos, province, all) = (
        report("&region=1502").await,
        report("&region=1506").await,
        report("&region=15").await,
        report("").await,
    );
    assert_eq!(generated(&ordos), 900.0, "{ordos}");
    assert!(generated(&baotou) > 0.0);
    assert!((generated(&baotou) + generated(&ordos) - generated(&province)).abs() < 1e-6);
    assert!((generated(&province) - generated(&all)).abs() < 1e-6);
    let districts = |r: &Value| -> Vec<String> {
        r["by_district"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["key"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(districts(&ordos), ["150621"]);
    assert!(districts(&baotou).iter().all(|d| d.starts_with("1502")));
    // Key projects are their owners' city's; the capacity target is the platform city's.
    assert!(
        baotou["projects"]["by_status"]["operating"]
            .as_i64()
            .unwrap()
            >= 1
    );
    assert_eq!(ordos["projects"]["by_status"], json!({}));
    assert!(ordos["projects"]["capacity_target_t_per_year"].is_null());
    assert_eq!(
        baotou["projects"]["capacity_target_t_per_year"],
        all["projects"]["capacity_target_t_per_year"]
    );
    // The exchange's figures are the place's too.
    assert_eq!(
        ordos["exchange"]["totals"]["delivered_t"], "0",
        "{}",
        ordos["exchange"]
    );

    // The Ordos desk gets Ordos, and no other city's unwithheld cells.
    let desk = app.demo_token("staff.ordos@demo.wufei.local").await;
    let own = app.get_json("/api/v1/city/report?year=2026", &desk).await;
    assert_eq!(generated(&own), 900.0);
    let res = app
        .get_as("/api/v1/city/report?year=2026&region=1502", &desk)
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "out_of_scope");
    let res = app
        .get_as("/api/v1/city/report?year=2026&region=150", &admin)
        .await;
    assert_problem(res, 422, "validation_failed").await;

    // In public, one declarant's city is withheld; its dashboard says so and keeps its place.
    let res = app.get("/api/v1/city/summary?year=2026&region=1506").await;
    assert_eq!(res.status(), 200);
    let public: Value = res.json().await.unwrap();
    assert!(public["totals"].is_null(), "{public}");
    let res = app.get("/dashboard?year=2026&region=1506&lang=en").await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("/dashboard/exchange.csv?year=2026&amp;region=1506"),
        "{page}"
    );
    let res = app.get("/dashboard?region=1x").await;
    assert_eq!(res.status(), 422);
}

#[actix_web::test]
async fn each_city_keeps_its_own_profile() {
    let app = spawn_app().await;
    wufei::service::demo::seed(&mut app.conn()).unwrap();
    let ordos_desk = app.demo_token("staff.ordos@demo.wufei.local").await;
    assert_problem(
        app.get("/api/v1/city/profile?region=1506").await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/api/v1/city/profile?region=15x").await,
        422,
        "validation_failed",
    )
    .await;

    let ordos = json!({
        "region_code": "150600", "name_zh": "鄂尔多斯市", "name_en": "Ordos", "logo_text": "无废鄂尔多斯",
        "districts": [{"code": "150621", "name_zh": "达拉特旗", "name_en": "Dalad Banner"}],
        "traded_target_t": 7500, "co2_target_t": 321.5
    });
    // The desk of Ordos sets its city's profile, and only its city's.
    let mut baotou = ordos.clone();
    baotou["region_code"] = json!("150200");
    baotou["districts"] = json!([]);
    for (path, body, field) in [
        ("/api/v1/city/profile?region=1502", &baotou, "out_of_scope"),
        ("/api/v1/city/profile", &ordos, "out_of_scope"),
        (
            "/api/v1/city/profile?region=1506",
            &baotou,
            "invalid_region",
        ),
    ] {
        let (status, text) = app.send("PUT", path, Some(&ordos_desk), body).await;
        assert_eq!(status, 422, "{path}: {text}");
        assert!(text.contains(field), "{path}: {text}");
    }
    let (status, text) = app
        .send(
            "PUT",
            "/api/v1/city/profile?region=1506",
            Some(&ordos_desk),
            &ordos,
        )
        .await;
    assert_eq!(status, 200, "{text}");
    let saved: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (saved["name_en"].as_str(), saved["version"].as_i64()),
        (Some("Ordos"), Some(1))
    );
    let read: Value = app
        .get("/api/v1/city/profile?region=1506")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read, saved);
    let home: Value = app.get("/api/v1/city/profile").await.json().await.unwrap();
    assert_eq!(
        home["name_en"], "Baotou",
        "the platform's own city is unchanged"
    );

    // Ordos's dashboard wears its own name and targets; a place within it the name only;
    // Baotou's dashboard keeps its own.
    let page = |q: &'static str| {
        let app = &app;
        async move {
            app.get(&format!("/dashboard?lang=en{q}"))
                .await
                .text()
                .await
                .unwrap()
        }
    };
    let city = page("&region=1506").await;
    assert!(city.contains("Ordos") && city.contains("7,500"), "{city}");
    let banner = page("&region=150621").await;
    assert!(banner.contains("Ordos") && banner.contains("Dalad Banner"));
    assert!(
        !banner.contains("7,500"),
        "a city's targets are not a district's"
    );
    let own = page("").await;
    assert!(own.contains("Baotou") && !own.contains("7,500"));
}
