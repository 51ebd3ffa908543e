//! Catalog, grading and listings over HTTP: the review cycle, exact quantities, hazardous gates,
//! optimistic concurrency, and search by every filter and sort with keyset pages.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::auth::uscc;
use crate::helpers::{Account, TestApp, assert_problem, spawn_app};

pub struct Market {
    pub admin: String,
    pub producer: Account,
    pub site: String,
    pub receiver: Account,
}

pub async fn market(app: &TestApp) -> Market {
    let admin = app.admin_token().await;
    let producer = app
        .verified(
            "slag@steel.test",
            "Baotou Slag Co.",
            &uscc(201),
            &["producer"],
            &admin,
        )
        .await;
    let receiver = app
        .verified(
            "buyer@cement.test",
            "Qingshan Cement Co.",
            &uscc(202),
            &["receiver"],
            &admin,
        )
        .await;
    let sites: Value = app
        .get_json(
            &format!("/api/v1/organizations/{}/sites", producer.organization_id),
            &producer.access,
        )
        .await;
    let site = sites["items"][0]["id"].as_str().unwrap().to_string();
    Market {
        admin,
        producer,
        site,
        receiver,
    }
}

pub fn fly_ash(site: &str) -> Value {
    json!({
        "category": "SW02",
        "title": "Grade II fly ash from Jiuyuan",
        "description": "Dry ash, class F",
        "quantity_t": "1200",
        "min_order_t": "50",
        "supply": {"pattern": "one_off"},
        "generation": "new",
        "site_id": site,
        "delivery_terms": "pickup",
        "pricing": {"model": "fixed", "price_per_t": "35.00"},
        "properties": {"fineness_45um_pct": 18.0, "water_demand_ratio_pct": 100, "loi_pct": 6.0,
                       "moisture_pct": 0.5, "so3_pct": 1.5, "boiler_type": "pulverized_coal",
                       "free_cao_pct": 0.6, "fly_ash_class": "F",
                       "i_ra": 0.5, "i_gamma": 0.6},
        "lab_report": {"lab_name": "Inner Mongolia Building Materials Lab", "report_no": "FA-1", "sampled_on": "2026-11-01"}
    })
}

/// Creates, submits and has staff approve a lot; returns it as published.
pub async fn publish(app: &TestApp, m: &Market, body: &Value) -> Value {
    let res = app
        .post("/api/v1/listings", Some(&m.producer.access), body)
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let lot: Value = res.json().await.unwrap();
    let id = lot["id"].as_str().unwrap();
    let res = app
        .post(
            &format!("/api/v1/listings/{id}/submit"),
            Some(&m.producer.access),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = app
        .post(
            &format!("/api/v1/moderation/listings/{id}/decision"),
            Some(&m.admin),
            &json!({"decision": "approve", "reason": "lab report checked"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let lot: Value = res.json().await.unwrap();
    assert_eq!(lot["status"], "published");
    lot
}

#[actix_web::test]
async fn catalog_and_grade_calculator() {
    let app = spawn_app().await;
    let cats: Value = app
        .get("/api/v1/catalog/categories")
        .await
        .json()
        .await
        .unwrap();
    let codes: Vec<&str> = cats["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    for code in [
        "SW01", "SW02", "SW03", "SW04", "SW05", "SW06", "SW07", "SW09", "SW10", "SW11", "SW59",
    ] {
        assert!(codes.contains(&code), "{code}");
    }
    let fly = cats["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "SW02")
        .unwrap();
    assert_eq!(fly["name_zh"], "粉煤灰");
    assert!(
        fly["properties"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["key"] == "loi_pct" && p["test_standard"] == "GB/T 176")
    );
    assert_eq!(
        fly["grade_rules"],
        json!(["fly_ash", "fly_ash_cement", "radioactivity", "leaching"])
    );

    let grade = |loi: f64| {
        json!({"category": "SW02", "properties": {"fineness_45um_pct": 10.0, "water_demand_ratio_pct": 90,
        "loi_pct": loi, "moisture_pct": 0.5, "so3_pct": 1.0, "i_ra": 0.4, "i_gamma": 0.5,
        "free_cao_pct": 0.6, "fly_ash_class": "F"}})
    };
    let res: Value = app
        .post("/api/v1/catalog/grade", None, &grade(5.0))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(res["grades"]["fly_ash"]["grade"], "I");
    assert_eq!(res["grades"]["fly_ash"]["standard"], "GB/T 1596-2017");
    assert_eq!(res["grades"]["radioactivity"]["grade"], "pass");
    let res: Value = app
        .post("/api/v1/catalog/grade", None, &grade(5.01))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(res["grades"]["fly_ash"]["grade"], "II");
    assert!(
        res["grades"]["fly_ash"]["rule_set"]
            .as_str()
            .unwrap()
            .starts_with("wufei-grades")
    );
    let res = app
        .post(
            "/api/v1/catalog/grade",
            None,
            &json!({"category": "SW02", "properties": {"loi_pct": 500}}),
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "properties.loi_pct");
    let res = app
        .post(
            "/api/v1/catalog/grade",
            None,
            &json!({"category": "HW08", "properties": {}}),
        )
        .await;
    let body = assert_problem(res, 422, "hazardous_waste_out_of_scope").await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("transfer manifest")
    );
}

#[actix_web::test]
async fn review_cycle_and_access() {
    let app = spawn_app().await;
    let m = market(&app).await;
    let res = app
        .post(
            "/api/v1/listings",
            Some(&m.producer.access),
            &fly_ash(&m.site),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let lot: Value = res.json().await.unwrap();
    let id = lot["id"].as_str().unwrap().to_string();
    assert_eq!(lot["status"], "draft");
    assert_eq!(lot["quantity_t"], "1200");
    assert_eq!(lot["remaining_t"], "1200");
    assert_eq!(lot["pricing"]["price_per_t"], "35.00");
    assert_eq!(lot["grades"]["fly_ash"]["grade"], "II");
    assert_eq!(lot["organization_id"], m.producer.organization_id.as_str());

    // Drafts are private to their organization.
    assert_eq!(
        app.get_as(&format!("/api/v1/listings/{id}"), &m.receiver.access)
            .await
            .status(),
        404
    );
    let res = app
        .post(
            &format!("/api/v1/listings/{id}/submit"),
            Some(&m.producer.access),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let queue: Value = app.get_json("/api/v1/moderation/listings", &m.admin).await;
    assert!(
        queue["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["id"] == id.as_str())
    );
    assert_eq!(
        app.get_as("/api/v1/moderation/listings", &m.producer.access)
            .await
            .status(),
        403
    );

    let decide = format!("/api/v1/moderation/listings/{id}/decision");
    let res = app
        .post(
            &decide,
            Some(&m.admin),
            &json!({"decision": "reject", "reason": "lab report older than 6 months"}),
        )
        .await;
    let rejected: Value = res.json().await.unwrap();
    assert_eq!(rejected["status"], "draft");
    assert_eq!(rejected["status_reason"], "lab report older than 6 months");
    let mail = app.wait_for_mail("slag@steel.test", 3).await;
    assert!(
        mail.text.contains("lab report older than 6 months"),
        "{}",
        mail.text
    );

    app.post(
        &format!("/api/v1/listings/{id}/submit"),
        Some(&m.producer.access),
        &json!({}),
    )
    .await;
    let res = app
        .post(
            &decide,
            Some(&m.admin),
            &json!({"decision": "approve", "reason": "ok now"}),
        )
        .await;
    let published: Value = res.json().await.unwrap();
    assert_eq!(published["status"], "published");
    assert!(published["published_at"].is_string());
    assert_eq!(
        app.get_as(&format!("/api/v1/listings/{id}"), &m.receiver.access)
            .await
            .status(),
        200
    );

    // Another organization cannot edit or withdraw it; it does not exist for them.
    let res = app
        .patch(
            &format!("/api/v1/listings/{id}"),
            &m.receiver.access,
            &json!({"title": "mine now"}),
        )
        .await;
    assert_problem(res, 404, "not_found").await;
    let res = app
        .post(
            &format!("/api/v1/listings/{id}/withdraw"),
            Some(&m.receiver.access),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 404);

    // An unverified producer cannot list.
    let newcomer = app
        .signup("new@steel.test", "New Slag Co.", &uscc(203), &["producer"])
        .await;
    let res = app
        .post(
            "/api/v1/listings",
            Some(&newcomer.access),
            &fly_ash(&m.site),
        )
        .await;
    assert_problem(res, 403, "organization_not_verified").await;
    // Nor can it search the market.
    assert_problem(
        app.get_as("/api/v1/listings", &newcomer.access).await,
        403,
        "organization_not_verified",
    )
    .await;
    // A receiver organization does not list lots.
    let res = app
        .post(
            "/api/v1/listings",
            Some(&m.receiver.access),
            &fly_ash(&m.site),
        )
        .await;
    assert_problem(res, 403, "producer_only").await;

    let res = app
        .post(
            &format!("/api/v1/listings/{id}/withdraw"),
            Some(&m.producer.access),
            &json!({}),
        )
        .await;
    let closed: Value = res.json().await.unwrap();
    assert_eq!(closed["status"], "closed");
    let res = app
        .post(
            &format!("/api/v1/listings/{id}/withdraw"),
            Some(&m.producer.access),
            &json!({}),
        )
        .await;
    assert_problem(res, 409, "invalid_state").await;
}

#[actix_web::test]
async fn quantities_and_prices_are_exact() {
    let app = spawn_app().await;
    let m = market(&app).await;
    for (sent, expected) in [
        (json!("0.001"), "0.001"),
        (json!(12.5), "12.5"),
        (json!("1250.500"), "1250.5"),
    ] {
        let mut body = fly_ash(&m.site);
        body["quantity_t"] = sent.clone();
        body["min_order_t"] = json!("0.001");
        let res = app
            .post("/api/v1/listings", Some(&m.producer.access), &body)
            .await;
        assert_eq!(res.status(), 201, "{sent}");
        let lot: Value = res.json().await.unwrap();
        assert_eq!(lot["quantity_t"], expected);
    }
    for (sent, code) in [
        (json!("0.0001"), "too_precise"),
        (json!(-1), "not_positive"),
        (json!("abc"), "not_a_number"),
        (json!("0"), "not_positive"),
    ] {
        let mut body = fly_ash(&m.site);
        body["quantity_t"] = sent.clone();
        let res = app
            .post("/api/v1/listings", Some(&m.producer.access), &body)
            .await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        let fields: Vec<(&str, &str)> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
            .collect();
        assert!(fields.contains(&("quantity_t", code)), "{sent}: {fields:?}");
    }
    let mut body = fly_ash(&m.site);
    body["pricing"] = json!({"model": "fixed", "price_per_t": "-35.00"});
    let lot: Value = app
        .post("/api/v1/listings", Some(&m.producer.access), &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(lot["pricing"]["price_per_t"], "-35.00");
    body["pricing"] = json!({"model": "fixed", "price_per_t": "-35.001"});
    let res = app
        .post("/api/v1/listings", Some(&m.producer.access), &body)
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "pricing.price_per_t");
    // Nothing half-written: only the four good lots exist.
    let mine: Value = app
        .get_json("/api/v1/listings?mine=true", &m.producer.access)
        .await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 4);
    // Unknown fields (mass assignment) are refused.
    let mut body = fly_ash(&m.site);
    body["status"] = json!("published");
    assert_problem(
        app.post("/api/v1/listings", Some(&m.producer.access), &body)
            .await,
        422,
        "validation_failed",
    )
    .await;
}

#[actix_web::test]
async fn hazardous_waste_and_publication_gates() {
    let app = spawn_app().await;
    let m = market(&app).await;
    let mut body = fly_ash(&m.site);
    // However the code is written, it is recognised.
    for spelling in ["90004149", "HW8", "hw-08"] {
        body["hazardous_waste_code"] = json!(spelling);
        assert_problem(
            app.post("/api/v1/listings", Some(&m.producer.access), &body)
                .await,
            422,
            "hazardous_waste_out_of_scope",
        )
        .await;
    }
    body["hazardous_waste_code"] = json!("900-041-49");
    let problem = assert_problem(
        app.post("/api/v1/listings", Some(&m.producer.access), &body)
            .await,
        422,
        "hazardous_waste_out_of_scope",
    )
    .await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("licensed receivers")
    );
    let mut body = fly_ash(&m.site);
    body["hazardous_characteristics"] = json!(["toxicity"]);
    assert_problem(
        app.post("/api/v1/listings", Some(&m.producer.access), &body)
            .await,
        422,
        "hazardous_waste_out_of_scope",
    )
    .await;
    let mut body = fly_ash(&m.site);
    body["category"] = json!("HW18");
    assert_problem(
        app.post("/api/v1/listings", Some(&m.producer.access), &body)
            .await,
        422,
        "hazardous_waste_out_of_scope",
    )
    .await;

    // Sludge needs an identification report before it can go to review.
    let sludge = json!({"category": "SW07", "title": "Dewatered sludge", "quantity_t": "300", "min_order_t": "10",
        "supply": {"pattern": "one_off"}, "generation": "stock", "site_id": m.site, "delivery_terms": "pickup",
        "pricing": {"model": "offers"}});
    let lot: Value = app
        .post("/api/v1/listings", Some(&m.producer.access), &sludge)
        .await
        .json()
        .await
        .unwrap();
    let id = lot["id"].as_str().unwrap();
    let res = app
        .post(
            &format!("/api/v1/listings/{id}/submit"),
            Some(&m.producer.access),
            &json!({}),
        )
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(
        problem["errors"][0]["code"],
        "identification_report_required"
    );
    let res = app
        .patch(
            &format!("/api/v1/listings/{id}"),
            &m.producer.access,
            &json!({"identification_report": {"issuer": "包头市固体废物鉴别中心", "report_no": "JB-2026-077",
                "issued_on": "2026-10-12", "conclusion": "not_hazardous"}}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        app.post(
            &format!("/api/v1/listings/{id}/submit"),
            Some(&m.producer.access),
            &json!({})
        )
        .await
        .status(),
        200
    );

    // In Baotou, building-material lots must state both radioactivity indices.
    let mut body = fly_ash(&m.site);
    body["properties"]
        .as_object_mut()
        .unwrap()
        .remove("i_gamma");
    let lot: Value = app
        .post("/api/v1/listings", Some(&m.producer.access), &body)
        .await
        .json()
        .await
        .unwrap();
    let res = app
        .post(
            &format!("/api/v1/listings/{}/submit", lot["id"].as_str().unwrap()),
            Some(&m.producer.access),
            &json!({}),
        )
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "properties.i_gamma");
    assert_eq!(problem["errors"][0]["code"], "radioactivity_required");
}

#[actix_web::test]
async fn stale_if_match_is_refused_and_material_edits_go_back_to_review() {
    let app = spawn_app().await;
    let m = market(&app).await;
    let lot = publish(&app, &m, &fly_ash(&m.site)).await;
    let id = lot["id"].as_str().unwrap();
    let version = lot["version"].as_i64().unwrap();
    let path = format!("/api/v1/listings/{id}");

    let edit = |v: i64, body: Value| {
        app.client
            .patch(app.url(&path))
            .bearer_auth(&m.producer.access)
            .header("if-match", format!("\"{v}\""))
            .json(&body)
            .send()
    };
    let res = edit(version - 1, json!({"title": "Stale edit"}))
        .await
        .unwrap();
    assert_problem(res, 412, "version_mismatch").await;
    let unchanged: Value = app.get_json(&path, &m.producer.access).await;
    assert_eq!(unchanged["title"], lot["title"]);
    assert_eq!(unchanged["version"], version);

    // A title or price change keeps it published.
    let res = edit(version, json!({"title": "Grade II fly ash, fresh"}))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["etag"],
        format!("\"{}\"", version + 1).as_str()
    );
    let edited: Value = res.json().await.unwrap();
    assert_eq!(edited["status"], "published");
    // A change of lab values goes back to review.
    let mut props = edited["properties"].clone();
    props["loi_pct"] = json!(4.0);
    props["fineness_45um_pct"] = json!(11.0);
    props["water_demand_ratio_pct"] = json!(93);
    let res = edit(version + 1, json!({"properties": props}))
        .await
        .unwrap();
    let edited: Value = res.json().await.unwrap();
    assert_eq!(edited["status"], "pending_review");
    assert_eq!(edited["grades"]["fly_ash"]["grade"], "I");
}

#[actix_web::test]
async fn search_by_every_filter_and_sort() {
    let app = spawn_app().await;
    let m = market(&app).await;
    // A second site far away (Ordos, about 110 km south).
    let res = app
        .post(&format!("/api/v1/organizations/{}/sites", m.producer.organization_id), Some(&m.producer.access),
              &json!({"name": "Ordos yard", "region_code": "150602", "address": "Dongsheng", "lat": 39.81, "lon": 109.98}))
        .await;
    let far_site = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let mut ash_ii = fly_ash(&m.site);
    ash_ii["title"] = json!("Fly ash grade II Kundulun");
    let a = publish(&app, &m, &ash_ii).await;
    let mut ash_i = fly_ash(&far_site);
    ash_i["title"] = json!("Premium fly ash for ready-mix");
    ash_i["quantity_t"] = json!("300");
    ash_i["pricing"] = json!({"model": "fixed", "price_per_t": "60.00"});
    ash_i["delivery_terms"] = json!("delivered");
    ash_i["properties"]["loi_pct"] = json!(3.0);
    ash_i["properties"]["fineness_45um_pct"] = json!(10.0);
    ash_i["properties"]["water_demand_ratio_pct"] = json!(94);
    let b = publish(&app, &m, &ash_i).await;
    let slag = json!({"category": "SW01", "subtype": "steel_slag_bof", "title": "BOF slag 100%_stable", "description": "hot-stewed",
        "quantity_t": "5000", "min_order_t": "100", "supply": {"pattern": "recurring", "monthly_t": "1000"}, "generation": "stock",
        "site_id": m.site, "delivery_terms": "pickup", "available_from": "2026-01-01T00:00:00Z", "available_until": "2030-06-30T00:00:00Z",
        "pricing": {"model": "offers", "reserve_per_t": "-15.00"},
        "properties": {"free_cao_pct": 3.0, "immersion_expansion_pct": 1.5, "i_ra": 0.5, "i_gamma": 0.5}});
    let c = publish(&app, &m, &slag).await;
    let ids = |page: &Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let id = |l: &Value| l["id"].as_str().unwrap().to_string();
    let find = |query: &'static str| {
        let app = &app;
        let token = m.receiver.access.clone();
        async move {
            let res = app
                .get_as(&format!("/api/v1/listings?{query}"), &token)
                .await;
            assert_eq!(res.status(), 200, "{query}");
            res.json::<Value>().await.unwrap()
        }
    };
    let (a, b, c) = (id(&a), id(&b), id(&c));
    let set = |v: Vec<String>| v.into_iter().collect::<HashSet<_>>();
    assert_eq!(
        set(ids(&find("").await)),
        set(vec![a.clone(), b.clone(), c.clone()])
    );
    assert_eq!(ids(&find("category=SW01").await), vec![c.clone()]);
    assert_eq!(ids(&find("subtype=steel_slag_bof").await), vec![c.clone()]);
    assert_eq!(
        set(ids(&find("grade=fly_ash:II").await)),
        set(vec![a.clone(), b.clone()])
    );
    assert_eq!(ids(&find("grade=fly_ash:I").await), vec![b.clone()]);
    assert_eq!(
        ids(&find("grade=steel_slag_aggregate:pass").await),
        vec![c.clone()]
    );
    assert_eq!(
        set(ids(&find("region_code=1502").await)),
        set(vec![a.clone(), c.clone()])
    );
    assert_eq!(ids(&find("region_code=150602").await), vec![b.clone()]);
    assert_eq!(
        set(ids(
            &find("near_lat=40.63&near_lon=109.84&radius_km=30").await
        )),
        set(vec![a.clone(), c.clone()])
    );
    let near = find("near_lat=39.80&near_lon=109.99&radius_km=200&sort=distance").await;
    assert_eq!(ids(&near).len(), 3);
    assert_eq!(ids(&near)[0], b);
    assert!(near["items"][0]["distance_km"].as_f64().unwrap() < 2.0);
    assert!(near["items"][1]["distance_km"].as_f64().unwrap() > 90.0);
    assert_eq!(ids(&find("min_quantity_t=1000").await).len(), 2);
    assert_eq!(ids(&find("max_quantity_t=300").await), vec![b.clone()]);
    assert_eq!(
        ids(&find("min_price=-20&max_price=0").await),
        vec![c.clone()]
    );
    assert_eq!(
        ids(&find("delivery_terms=delivered").await),
        vec![b.clone()]
    );
    assert_eq!(
        ids(&find("available_on=2030-07-01").await).len(),
        2,
        "the slag window has ended by then"
    );
    assert_eq!(ids(&find("q=premium").await), vec![b.clone()]);
    assert_eq!(
        ids(&find("q=100%25_").await),
        vec![c.clone()],
        "LIKE metacharacters are literal"
    );
    assert_eq!(
        ids(&find("sort=price_asc").await),
        vec![c.clone(), a.clone(), b.clone()]
    );
    assert_eq!(
        ids(&find("sort=price_desc").await),
        vec![b.clone(), a.clone(), c.clone()]
    );
    assert_eq!(
        ids(&find("sort=quantity_desc").await),
        vec![c.clone(), a.clone(), b.clone()]
    );
    assert_eq!(
        ids(&find("sort=newest").await),
        vec![c.clone(), b.clone(), a.clone()]
    );

    // Keyset pages of one: every lot exactly once, in order, for each sort.
    for sort in [
        "newest",
        "price_asc",
        "price_desc",
        "quantity_desc",
        "quantity_asc",
    ] {
        let seen = app
            .all_pages(
                &format!("/api/v1/listings?sort={sort}&limit=1"),
                &m.receiver.access,
            )
            .await;
        let all = ids(&find(Box::leak(format!("sort={sort}").into_boxed_str())).await);
        assert_eq!(seen, all, "{sort}");
    }
    // Distance pages too: they search in growing rings, and continue from the cursor's distance.
    let seen = app
        .all_pages(
            "/api/v1/listings?sort=distance&near_lat=39.80&near_lon=109.99&radius_km=200&limit=1",
            &m.receiver.access,
        )
        .await;
    assert_eq!(seen, ids(&near));
    let res = app
        .get_as("/api/v1/listings?limit=101", &m.receiver.access)
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = app
        .get_as("/api/v1/listings?cursor=garbage", &m.receiver.access)
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = app
        .get_as("/api/v1/listings?sort=distance", &m.receiver.access)
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = app
        .get_as(
            "/api/v1/listings?q=%27%3B%20DROP%20TABLE%20listings%3B--",
            &m.receiver.access,
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(ids(&find("").await).len(), 3);
}

/// Copies a lot `n` times in SQL (its text too): a market with a common word, quicker than `n`
/// publications through the API.
fn copy_lot(app: &TestApp, id: &str, n: usize) {
    use diesel::prelude::*;
    use diesel::sql_types::Text;
    const COLUMNS: &str = "organization_id, site_id, category_code, subtype, title, description, \
        quantity_kg, remaining_kg, min_order_kg, supply_pattern, monthly_kg, generation, \
        available_from, available_until, delivery_terms, pricing_model, price_fen_per_t, \
        reserve_fen_per_t, search_price_fen, lab_report, status, status_reason, region_code, lat, \
        lon, version, published_at, created_at, updated_at, national_code, identification_report";
    let mut conn = app.conn();
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        for _ in 0..n {
            let copy = wufei::db::new_id();
            diesel::sql_query(format!(
                "INSERT INTO listings (id, {COLUMNS}) SELECT $1, {COLUMNS} FROM listings WHERE id = $2"
            ))
            .bind::<Text, _>(&copy)
            .bind::<Text, _>(id)
            .execute(conn)?;
            diesel::sql_query(
                "INSERT INTO listing_texts (listing_id, search_text) \
                 SELECT $1, search_text FROM listing_texts WHERE listing_id = $2",
            )
            .bind::<Text, _>(&copy)
            .bind::<Text, _>(id)
            .execute(conn)?;
        }
        Ok(())
    })
    .unwrap();
}

#[actix_web::test]
async fn free_text_finds_every_word_in_chinese_and_english() {
    let app = spawn_app().await;
    let m = market(&app).await;
    let mut ash = fly_ash(&m.site);
    ash["title"] = json!("II级粉煤灰 Fly Ash");
    ash["description"] = json!("九原区电厂干排灰，LOI ≤ 5%");
    let a = publish(&app, &m, &ash).await;
    let mut slag = fly_ash(&m.site);
    slag["title"] = json!("钢渣微粉 Steel slag powder");
    slag["description"] = json!("昆都仑区 热闷渣 S95");
    slag["quantity_t"] = json!("5000");
    let b = publish(&app, &m, &slag).await;
    let mut gypsum = fly_ash(&m.site);
    gypsum["title"] = json!("脱硫石膏 FGD gypsum");
    gypsum["description"] = json!("Desulfurisation gypsum, 含水率 10%");
    let c = publish(&app, &m, &gypsum).await;
    let id = |l: &Value| l["id"].as_str().unwrap().to_string();
    let (a, b, c) = (id(&a), id(&b), id(&c));
    let token = m.receiver.access.clone();
    let find = |q: &str| {
        let path = format!(
            "/api/v1/listings?limit=100&q={}",
            url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
        );
        let (app, token) = (&app, token.clone());
        async move {
            let mut ids = app.all_pages(&path, &token).await;
            ids.sort();
            ids
        }
    };
    let sorted = |mut v: Vec<&String>| {
        v.sort();
        v.into_iter().cloned().collect::<Vec<_>>()
    };
    for (q, want) in [
        ("粉煤灰", vec![&a]),
        ("煤灰", vec![&a]),
        ("灰", vec![&a]),
        ("FLY ash", vec![&a]),
        ("ash fly", vec![&a]),
        ("ＦＬＹ　ＡＳＨ", vec![&a]),
        ("ii级", vec![&a]),
        ("钢渣 powder", vec![&b]),
        ("s95 热闷", vec![&b]),
        ("钢渣 gypsum", vec![]),
        ("10%", vec![&c]),
        ("5%", vec![&a]),
        ("gyp", vec![&c]),
        ("石膏 desulfurisation", vec![&c]),
        ("区", vec![&a, &b]),
        ("_", vec![]),
        ("  ", vec![&a, &b, &c]),
    ] {
        assert_eq!(find(q).await, sorted(want), "q={q:?}");
    }

    // An edit rewrites what search reads.
    let res = app
        .patch(
            &format!("/api/v1/listings/{a}"),
            &m.producer.access,
            &json!({"title": "二级粉煤灰 class F"}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(find("fly").await, Vec::<String>::new());
    assert_eq!(find("二级 class").await, vec![a.clone()]);

    // A common word (more lots than the text index is asked for) is checked while walking the
    // sort order: the same answers, every page, in order.
    copy_lot(&app, &b, 1100);
    assert_eq!(find("钢渣").await.len(), 1101);
    assert_eq!(find("钢渣 s95").await.len(), 1101);
    assert_eq!(find("钢渣 gypsum").await, Vec::<String>::new());
    assert_eq!(find("脱硫").await, vec![c.clone()]);
    let walk = app
        .all_pages(
            "/api/v1/listings?q=%E9%92%A2%E6%B8%A3&sort=quantity_desc&limit=100",
            &token,
        )
        .await;
    assert_eq!(walk.len(), 1101);
    let first: Value = app
        .get_json("/api/v1/listings?q=slag&sort=quantity_desc&limit=5", &token)
        .await;
    assert_eq!(first["items"].as_array().unwrap().len(), 5);
    assert!(first["next_cursor"].is_string());
}
