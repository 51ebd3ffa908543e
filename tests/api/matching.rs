//! Demands and matching over HTTP: the demo demands find their lots, publication notifies the
//! matching demands' owners once per digest window, and the stranded-streams board.

use serde_json::{Value, json};
use wufei::service::demo::seed;

use crate::auth::uscc;
use crate::helpers::{TestApp, app, assert_problem};
use crate::listings::{fly_ash, market, publish};
use crate::trade::{offer, place};

async fn matched_titles(app: &TestApp, email: &str) -> Vec<String> {
    let t = app.demo_token(email).await;
    let demands: Value = app.get_json("/api/v1/demands", &t).await;
    let id = demands["items"][0]["id"]
        .as_str()
        .expect("a demand")
        .to_string();
    let res = app
        .get_as(&format!("/api/v1/demands/{id}/matches"), &t)
        .await;
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.unwrap();
    for m in page["items"].as_array().unwrap() {
        let b = &m["breakdown"];
        assert!(b["score"].as_f64().unwrap() > 0.0);
        assert!(
            b["reasons"].as_array().unwrap().len() >= 2,
            "explained: {b}"
        );
        assert!(b["parts"]["value"].is_number() && b["parts"]["distance"].is_number());
    }
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["listing"]["category"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn each_demo_demand_finds_its_lots_and_not_the_others() {
    let app = app().start().await;
    seed(&mut app.conn()).unwrap();
    assert_eq!(
        matched_titles(&app, "cement@demo.wufei.local").await,
        vec!["SW02"]
    );
    assert_eq!(
        matched_titles(&app, "roads@demo.wufei.local").await,
        vec!["SW01"]
    );
    assert_eq!(
        matched_titles(&app, "restoration@demo.wufei.local").await,
        vec!["SW04"]
    );
    assert_eq!(
        matched_titles(&app, "lab@demo.wufei.local").await,
        vec!["SW01"]
    );

    // The other way round: the steel works sees the road builder and the lab.
    let steel = app.demo_token("steel@demo.wufei.local").await;
    let mine: Value = app.get_json("/api/v1/listings?mine=true", &steel).await;
    let slag = mine["items"][0]["id"].as_str().unwrap();
    let page: Value = app
        .get_json(&format!("/api/v1/listings/{slag}/matches"), &steel)
        .await;
    let mut who: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["demand"]["intended_use"].as_str().unwrap().to_string())
        .collect();
    who.sort();
    assert_eq!(who, vec!["research_trial", "road_base"]);
    // Another producer does not see this lot's matches, nor a receiver's demand.
    let coal = app.demo_token("coal@demo.wufei.local").await;
    assert_problem(
        app.get_as(&format!("/api/v1/listings/{slag}/matches"), &coal)
            .await,
        404,
        "not_found",
    )
    .await;
    let cement = app.demo_token("cement@demo.wufei.local").await;
    let demands: Value = app.get_json("/api/v1/demands", &cement).await;
    let demand = demands["items"][0]["id"].as_str().unwrap();
    assert_problem(
        app.get_as(&format!("/api/v1/demands/{demand}/matches"), &coal)
            .await,
        404,
        "not_found",
    )
    .await;
}

#[actix_web::test]
async fn publishing_notifies_matching_demands_once_per_digest_window() {
    let app = app().start().await;
    let m = market(&app).await;
    let other = app
        .verified(
            "gangue@bricks.test",
            "Gangue Bricks Co.",
            &uscc(401),
            &["receiver"],
            &m.admin,
        )
        .await;
    let site_of = |acct: &crate::helpers::Account| {
        let app = &app;
        let (org, token) = (acct.organization_id.clone(), acct.access.clone());
        async move {
            let sites: Value = app
                .get_json(&format!("/api/v1/organizations/{org}/sites"), &token)
                .await;
            sites["items"][0]["id"].as_str().unwrap().to_string()
        }
    };
    let want = |site: String, category: &str| {
        json!({"title": "What we need", "categories": [category],
        "quantity_t": "6000", "supply": {"pattern": "recurring", "monthly_t": "500"}, "site_id": site, "max_distance_km": 80,
        "price_limit_per_t": "60.00", "intended_use": if category == "SW02" { "concrete" } else { "road_base" }, "min_grades": if category == "SW02" { json!({"fly_ash": "II"}) } else { json!({}) }})
    };
    let res = app
        .post(
            "/api/v1/demands",
            Some(&m.receiver.access),
            &want(site_of(&m.receiver).await, "SW02"),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let res = app
        .post(
            "/api/v1/demands",
            Some(&other.access),
            &want(site_of(&other).await, "SW04"),
        )
        .await;
    assert_eq!(res.status(), 201);
    // A producer cannot post demands; bad bounds are refused.
    let res = app
        .post(
            "/api/v1/demands",
            Some(&m.producer.access),
            &want(m.site.clone(), "SW02"),
        )
        .await;
    assert_problem(res, 403, "receiver_only").await;
    let mut bad = want(site_of(&m.receiver).await, "SW02");
    bad["property_bounds"] = json!({"loi_pct": {"min": 9.0, "max": 8.0}, "no_such": {"max": 1}});
    let problem = assert_problem(
        app.post("/api/v1/demands", Some(&m.receiver.access), &bad)
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 2, "{problem}");

    let matches_of = |token: String| {
        let app = &app;
        async move {
            let notes: Value = app.get_json("/api/v1/notifications", &token).await;
            notes["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|n| n["kind"] == "match_found")
                .cloned()
                .collect::<Vec<_>>()
        }
    };
    let mut first = fly_ash(&m.site);
    first["title"] = json!("First fly ash lot");
    publish(&app, &m, &first).await;
    let notes = matches_of(m.receiver.access.clone()).await;
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0]["body"]
            .as_str()
            .unwrap()
            .contains("First fly ash lot")
    );
    let mail = app.wait_for_mail("buyer@cement.test", 3).await;
    assert!(
        mail.subject.contains("match your demand"),
        "{}",
        mail.subject
    );
    assert!(
        matches_of(other.access.clone()).await.is_empty(),
        "a gangue demand is not told about fly ash"
    );

    // Within the hour, a second lot waits for the next digest.
    let mut second = fly_ash(&m.site);
    second["title"] = json!("Second fly ash lot");
    publish(&app, &m, &second).await;
    assert_eq!(matches_of(m.receiver.access.clone()).await.len(), 1);
    // An hour later, housekeeping sends it.
    use diesel::prelude::*;
    let mut conn = app.conn();
    diesel::update(wufei::db::schema::demands::table)
        .set(
            wufei::db::schema::demands::last_digest_at
                .eq(wufei::db::now() - chrono::Duration::minutes(61)),
        )
        .execute(&mut conn)
        .unwrap();
    assert_eq!(
        wufei::service::matching::digests::send_due_digests(&mut conn).unwrap(),
        1
    );
    assert_eq!(
        wufei::service::matching::digests::send_due_digests(&mut conn).unwrap(),
        0,
        "nothing left to send"
    );
    let notes = matches_of(m.receiver.access.clone()).await;
    assert_eq!(notes.len(), 2);
    assert!(
        notes[0]["body"]
            .as_str()
            .unwrap()
            .contains("Second fly ash lot")
    );
    assert!(
        !notes[0]["body"]
            .as_str()
            .unwrap()
            .contains("First fly ash lot")
    );
}

#[actix_web::test]
async fn the_stranded_streams_board() {
    let app = app().env("WUFEI_STRANDED_DAYS", "0").start().await;
    let m = market(&app).await;
    let quiet = publish(&app, &m, &fly_ash(&m.site)).await;
    let busy = publish(&app, &m, &fly_ash(&m.site)).await;
    place(
        &app,
        &m.receiver,
        busy["id"].as_str().unwrap(),
        &offer("100", "30.00"),
    )
    .await;
    let board: Value = app
        .get_json("/api/v1/alliance/stranded-listings", &m.admin)
        .await;
    let ids: Vec<&str> = board["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["listing"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![quiet["id"].as_str().unwrap()]);
    assert!(board["items"][0]["best_matches"].is_array());
    let lab = app
        .verified(
            "lab@imust.test",
            "IMUST Lab",
            &uscc(402),
            &["research"],
            &m.admin,
        )
        .await;
    assert_eq!(
        app.get_as("/api/v1/alliance/stranded-listings", &lab.access)
            .await
            .status(),
        200
    );
    assert_problem(
        app.get_as("/api/v1/alliance/stranded-listings", &m.producer.access)
            .await,
        403,
        "staff_or_research",
    )
    .await;
}

/// A new lot finds the open demands whose radius holds it through the demands' spatial index:
/// a buyer 700 km away with an 80 km radius is not read, one with 1 000 km is; a radius edit
/// moves the demand's reach, and a paused demand leaves the index until it opens again.
#[actix_web::test]
async fn a_lot_reaches_the_open_demands_whose_radius_holds_it() {
    let app = app().start().await;
    let m = market(&app).await;
    let res = app
        .post(
            &format!("/api/v1/organizations/{}/sites", m.receiver.organization_id),
            Some(&m.receiver.access),
            &json!({"name": "Tangshan mixing plant", "region_code": "130203",
                    "address": "Lunan district", "lat": 39.63, "lon": 118.18}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let far_site = res.json::<Value>().await.unwrap()["id"].clone();
    let sites: Value = app
        .get_json(
            &format!("/api/v1/organizations/{}/sites", m.receiver.organization_id),
            &m.receiver.access,
        )
        .await;
    let near_site = sites["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] != far_site)
        .unwrap()["id"]
        .clone();
    let demand = |title: &str, site: &Value, km: u32| {
        json!({"title": title, "categories": ["SW02"], "quantity_t": "5000",
               "supply": {"pattern": "one_off"}, "site_id": site, "max_distance_km": km,
               "price_limit_per_t": "800.00", "intended_use": "concrete"})
    };
    // Freight at 0.5 yuan/t/km makes 700 km cost 350 yuan a tonne: within the limit.
    let mut ids = Vec::new();
    for (title, site, km) in [
        ("Near buyer", &near_site, 80),
        ("Far buyer, local haul", &far_site, 80),
        ("Far buyer, national haul", &far_site, 1000),
    ] {
        let res = app
            .post(
                "/api/v1/demands",
                Some(&m.receiver.access),
                &demand(title, site, km),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        ids.push(res.json::<Value>().await.unwrap()["id"].clone());
    }
    let lot = publish(&app, &m, &fly_ash(&m.site)).await;
    let matched = || {
        let (app, lot, token) = (&app, lot["id"].as_str().unwrap(), &m.producer.access);
        async move {
            let page: Value = app
                .get_json(&format!("/api/v1/listings/{lot}/matches"), token)
                .await;
            let mut titles: Vec<String> = page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["demand"]["title"].as_str().unwrap().to_string())
                .collect();
            titles.sort();
            titles
        }
    };
    assert_eq!(matched().await, ["Far buyer, national haul", "Near buyer"]);

    let edit = |id: &Value, body: Value| {
        let (app, token) = (&app, &m.receiver.access);
        let path = format!("/api/v1/demands/{}", id.as_str().unwrap());
        async move {
            let res = app.patch(&path, token, &body).await;
            assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        }
    };
    edit(&ids[1], json!({"max_distance_km": 1200})).await;
    edit(&ids[2], json!({"status": "paused"})).await;
    assert_eq!(matched().await, ["Far buyer, local haul", "Near buyer"]);
    edit(&ids[1], json!({"max_distance_km": 50})).await;
    edit(&ids[2], json!({"status": "open"})).await;
    assert_eq!(matched().await, ["Far buyer, national haul", "Near buyer"]);
}

/// A demand's matches are paged without scoring every candidate (lots are read in order of the
/// best score their row allows): small pages through 30 lots give the one ranking a single page
/// of all of them gives. The buyer's reach is wide (600 km), which PostgreSQL reads as ranges.
#[actix_web::test]
async fn a_demands_pages_are_its_full_ranking() {
    let app = app().start().await;
    let m = market(&app).await;
    for i in 0..30u32 {
        let mut lot = fly_ash(&m.site);
        lot["title"] = json!(format!("Fly ash {i}"));
        lot["pricing"]["price_per_t"] = json!(format!("{}.00", 10 + (i * 7) % 30));
        lot["quantity_t"] = json!(format!("{}", 100 + (i * 13) % 40 * 50));
        lot["properties"]["loi_pct"] = json!(3.0 + f64::from((i * 5) % 10) * 0.5);
        publish(&app, &m, &lot).await;
    }
    let sites: Value = app
        .get_json(
            &format!("/api/v1/organizations/{}/sites", m.receiver.organization_id),
            &m.receiver.access,
        )
        .await;
    let res = app
        .post(
            "/api/v1/demands",
            Some(&m.receiver.access),
            &json!({"title": "Ash for C30", "categories": ["SW02"], "quantity_t": "1500",
                    "supply": {"pattern": "one_off"}, "site_id": sites["items"][0]["id"],
                    "max_distance_km": 600, "price_limit_per_t": "60.00",
                    "intended_use": "concrete", "property_bounds": {"loi_pct": {"max": 7.0}}}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let demand = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ranked = |page: &Value| -> Vec<(String, f64)> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                let id = i["listing"]["id"].as_str().unwrap().to_string();
                (id, i["breakdown"]["score"].as_f64().unwrap())
            })
            .collect()
    };
    let path = format!("/api/v1/demands/{demand}/matches");
    let all = ranked(
        &app.get_json(&format!("{path}?limit=100"), &m.receiver.access)
            .await,
    );
    assert!(all.len() >= 20, "{all:?}");
    assert!(all.windows(2).all(|w| w[0].1 >= w[1].1));
    let mut paged = Vec::new();
    let mut next = format!("{path}?limit=4");
    loop {
        let page = app.get_json(&next, &m.receiver.access).await;
        paged.extend(ranked(&page));
        match page["next_cursor"].as_str() {
            Some(c) => next = format!("{path}?limit=4&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(paged, all);
}
