//! The public pages over HTTP: they say nothing the public summary does not (a private deal and
//! demand seeded to be looked for), they are cached by ETag, refuse bad parameters with a
//! problem, and staff set the city's profile they show. Browser checks: tests/browser/pages.py.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

/// Every public page and CSV, in both languages, as one text.
async fn every_public_page(app: &TestApp) -> String {
    let mut all = String::new();
    for lang in ["zh", "en"] {
        let mut paths = vec![
            format!("/dashboard?lang={lang}"),
            format!("/board?lang={lang}"),
            format!("/board?lang={lang}&category=SW04"),
            format!("/board/districts.csv?lang={lang}"),
        ];
        for chart in [
            "exchange",
            "utilisation",
            "intensity",
            "projects",
            "capacity",
            "indicators",
            "flows",
        ] {
            paths.push(format!("/dashboard/{chart}.csv?lang={lang}"));
        }
        for path in paths {
            let res = app.get(&path).await;
            assert_eq!(res.status(), 200, "{path}");
            all.push_str(&res.text().await.unwrap());
        }
    }
    all
}

#[actix_web::test]
async fn public_pages_tell_nothing_private() {
    let app = spawn_app().await;
    wufei::service::demo::seed(&mut app.conn()).unwrap();
    let cement = app.demo_token("cement@demo.wufei.local").await;
    let restoration = app.demo_token("restoration@demo.wufei.local").await;
    let coal = app.demo_token("coal@demo.wufei.local").await;

    // A private demand: its title, company and price limit are for matching, not for the public.
    let me = app.get_json("/api/v1/me", &cement).await;
    let org = me["organization"]["id"].as_str().unwrap().to_string();
    let sites = app
        .get_json(&format!("/api/v1/organizations/{org}/sites"), &cement)
        .await;
    let site = sites["items"][0]["id"].as_str().unwrap();
    let demand = json!({
        "title": "Confidential gypsum tender XQZ-7731 保密采购", "categories": ["SW06"],
        "quantity_t": "3210", "supply": {"pattern": "one_off"}, "max_distance_km": 90,
        "price_limit_per_t": "77.77", "intended_use": "cement", "site_id": site
    });
    let res = app.post("/api/v1/demands", Some(&cement), &demand).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());

    // A private deal: an offer on the gangue lot (offers only), accepted.
    let lots = app
        .get_json("/api/v1/listings?category=SW04&limit=100", &restoration)
        .await;
    let gangue = lots["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["pricing"]["model"] == "offers")
        .expect("the demo's gangue lot takes offers")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let offer = json!({"quantity_t": "643.21", "price_per_t": "-3.17", "intended_use": "backfill_restoration",
        "message": "Private terms: collect at night, gate XQZ"});
    let res = app
        .post(
            &format!("/api/v1/listings/{gangue}/offers"),
            Some(&restoration),
            &offer,
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let placed: Value = res.json().await.unwrap();
    let res = app
        .post(
            &format!("/api/v1/offers/{}/accept", placed["id"].as_str().unwrap()),
            Some(&coal),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());

    let pages = every_public_page(&app).await;
    // The pages do show the market: the new demand's category and tonnage are public.
    assert!(
        pages.contains("3,210"),
        "the open demand's tonnage is on the board"
    );
    let mut private: Vec<String> = vec![
        "XQZ".into(),
        "保密采购".into(),
        "77.77".into(),
        "3.17".into(),
        "643.21".into(),
        "643.2".into(),
        "Private terms".into(),
        "demo.wufei.local".into(),
    ];
    // Every organization's name and code, every site's address and exact position.
    let mut conn = app.conn();
    use diesel::prelude::*;
    use wufei::db::schema::{organizations, sites};
    for (name, uscc) in organizations::table
        .select((organizations::legal_name, organizations::uscc))
        .load::<(String, String)>(&mut conn)
        .unwrap()
    {
        private.push(name);
        private.push(uscc);
    }
    for (address, lat, lon) in sites::table
        .select((sites::address, sites::lat, sites::lon))
        .load::<(String, f64, f64)>(&mut conn)
        .unwrap()
    {
        private.push(address);
        private.push(format!("{lat:.3}"));
        private.push(format!("{lon:.3}"));
    }
    for secret in &private {
        assert!(
            !pages.contains(secret.as_str()),
            "{secret:?} is on a public page"
        );
    }
    // Nor the lots' free text (a title may name its producer).
    let titles: Vec<String> = {
        use wufei::db::schema::listings;
        listings::table
            .select(listings::title)
            .load(&mut conn)
            .unwrap()
    };
    for title in titles {
        assert!(!pages.contains(&title), "a lot's title {title:?} is public");
    }
}

#[actix_web::test]
async fn pages_are_cached_by_etag_and_refuse_bad_parameters() {
    let app = spawn_app().await;
    wufei::service::demo::seed(&mut app.conn()).unwrap();
    for path in ["/dashboard?lang=en", "/board?lang=zh", "/assets/wufei.css"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200);
        let tag = res.headers()["etag"].to_str().unwrap().to_string();
        assert!(res.headers().contains_key("server-timing"), "{path}");
        let again = app
            .client
            .get(app.url(path))
            .header("If-None-Match", &tag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers()["etag"].to_str().unwrap(), tag);
    }
    // The browser's language decides when the page is not told.
    let zh = app
        .client
        .get(app.url("/dashboard"))
        .header("Accept-Language", "fr;q=0.9, zh-CN;q=0.8, en;q=0.5")
        .send()
        .await
        .unwrap();
    assert!(zh.text().await.unwrap().contains("<html lang=\"zh-CN\">"));
    let en = app
        .client
        .get(app.url("/board"))
        .header("Accept-Language", "en-GB")
        .send()
        .await
        .unwrap();
    let text = en.text().await.unwrap();
    assert!(text.contains("<html lang=\"en\">") && text.contains("Lots on offer"));
    // The board's filters narrow the lots.
    let all = app.get("/board?lang=en").await.text().await.unwrap();
    let slag = app
        .get("/board?lang=en&category=SW01")
        .await
        .text()
        .await
        .unwrap();
    let rows = |t: &str| t.matches("<tr data-category=").count();
    assert!(rows(&slag) >= 1 && rows(&slag) < rows(&all));
    assert_eq!(
        rows(&slag),
        slag.matches("<tr data-category=\"SW01\"").count()
    );

    for (path, code) in [
        ("/dashboard?lang=fr", "validation_failed"),
        ("/dashboard?year=1850", "validation_failed"),
        ("/board?category=SW99", "validation_failed"),
        ("/board?district=15x", "validation_failed"),
        ("/board?grade=fly_ash:Z", "validation_failed"),
    ] {
        assert_problem(app.get(path).await, 422, code).await;
    }
    assert_problem(app.get("/dashboard/secrets.csv").await, 404, "not_found").await;
}

#[actix_web::test]
async fn staff_set_the_city_shown_on_the_dashboard() {
    let app = spawn_app().await;
    wufei::service::demo::seed(&mut app.conn()).unwrap();
    let staff = app.demo_token("staff@demo.wufei.local").await;
    let steel = app.demo_token("steel@demo.wufei.local").await;
    let res = app.get("/api/v1/city/profile").await;
    assert_eq!(res.status(), 200);
    let tag = res.headers()["etag"].to_str().unwrap().to_string();
    let before: Value = res.json().await.unwrap();
    assert_eq!(before["name_en"], "Baotou");

    let mut body = json!({
        "region_code": "150200", "name_zh": "鹿城", "name_en": "Deer City", "logo_text": "无废鹿城",
        "districts": [{"code": "150203", "name_zh": "昆区", "name_en": "Kun District"}],
        "traded_target_t": 12000, "co2_target_t": 900.5
    });
    let (status, _) = app
        .send("PUT", "/api/v1/city/profile", Some(&steel), &body)
        .await;
    assert_eq!(status, 403, "only staff set the city");
    let put_from = |tag: String, body: Value| {
        app.client
            .put(app.url("/api/v1/city/profile"))
            .bearer_auth(&staff)
            .header("If-Match", tag)
            .json(&body)
            .send()
    };
    let set = put_from(tag.clone(), body.clone()).await.unwrap();
    assert_eq!(set.status(), 200);
    let after: Value = set.json().await.unwrap();
    assert_eq!(after["traded_target_t"], "12000");
    assert_eq!(after["version"], before["version"].as_i64().unwrap() + 1);
    // A second edit from the old version is stale.
    let stale = put_from(tag, body.clone()).await.unwrap();
    assert_problem(stale, 412, "version_mismatch").await;

    let page = app.get("/dashboard?lang=en").await.text().await.unwrap();
    assert!(page.contains("Deer City") && page.contains("无废鹿城"));
    assert!(page.contains("12,000"), "the traded target is shown");

    // Bad input changes nothing.
    body["region_code"] = json!("150203");
    body["districts"] = json!([{"code": "110101", "name_zh": "东城区", "name_en": "Dongcheng"}]);
    body["traded_target_t"] = json!(-1);
    let (status, text) = app
        .send("PUT", "/api/v1/city/profile", Some(&staff), &body)
        .await;
    assert_eq!(status, 422, "{text}");
    for field in ["region_code", "districts[0].code", "traded_target_t"] {
        assert!(text.contains(field), "{field} in {text}");
    }
    let now: Value = app.get("/api/v1/city/profile").await.json().await.unwrap();
    assert_eq!(now, after);
}
