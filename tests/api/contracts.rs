//! Supply contracts over HTTP: the whole journey with emails over SMTP, no over-commitment under
//! concurrent agreements, the call-off jobs past their deadlines, profiles and the yard forecast.

use chrono::{Datelike, Duration as Span, Utc};
use diesel::prelude::*;
use futures_util::future::join_all;
use serde_json::{Value, json};
use wufei::db::schema::{call_offs, supply_contracts};
use wufei::db::{DbConnection, write_tx};
use wufei::service::jobs::JOBS;

use crate::helpers::{Mail, TestApp, app, assert_problem};
use crate::listings::{Market, fly_ash, market, publish};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

/// `YYYY-MM`, `months` from now.
fn month(months: u32) -> String {
    let today = Utc::now().date_naive();
    let index = today.year() * 12 + today.month0() as i32 + months as i32;
    format!("{:04}-{:02}", index / 12, index % 12 + 1)
}

fn quarter(m: &str) -> String {
    let (y, mm) = m.split_once('-').unwrap();
    format!("{y}-Q{}", (mm.parse::<u32>().unwrap() - 1) / 3 + 1)
}

/// A recurring fly-ash stream of 600 t a month.
async fn stream(app: &TestApp, m: &Market, monthly: &str) -> String {
    let mut body = fly_ash(&m.site);
    body["supply"] = json!({"pattern": "recurring", "monthly_t": monthly});
    body["quantity_t"] = json!("7200");
    body["pricing"] = json!({"model": "offers"});
    id(&publish(app, m, &body).await)
}

fn terms(start: &str, end: &str, min: &str, max: &str, price: &str) -> Value {
    json!({"start_month": start, "end_month": end, "min_monthly_t": min, "max_monthly_t": max,
           "price_per_t": price, "delivery_terms": "pickup", "intended_use": "concrete",
           "property_bounds": {"loi_pct": {"max": 8.0}}, "min_grades": {"fly_ash": "II"},
           "message": "Monthly supply for the Qingshan kiln"})
}

/// Waits (up to 15 s) for an email to `to` whose subject contains `needle`; returns how many such
/// emails arrived and the last.
async fn mail_about(app: &TestApp, to: &str, needle: &str, n: usize) -> Mail {
    for _ in 0..150 {
        let found: Vec<Mail> = app
            .mails_to(to)
            .into_iter()
            .filter(|m| m.subject.contains(needle))
            .collect();
        if found.len() >= n {
            return found[n - 1].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no email #{n} about {needle:?} to {to}");
}

async fn ok(res: reqwest::Response, status: u16) -> Value {
    let code = res.status().as_u16();
    let body = res.text().await.unwrap();
    assert_eq!(code, status, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// Dispatches `trucks` loads of 30 t net and receives each in full.
async fn deliver(app: &TestApp, m: &Market, deal: &str, trucks: usize) {
    let at = (Utc::now() - Span::minutes(5)).to_rfc3339();
    for i in 0..trucks {
        let truck = json!({"carrier": "Baotou Logistics", "vehicle_plate": format!("蒙B{:05}", i),
            "driver": "Wang Gang", "ticket_no": format!("WB-{deal}-{i}"), "gross_kg": 45_000,
            "tare_kg": 15_000, "dispatched_at": at});
        let t = ok(
            app.post(
                &format!("/api/v1/deals/{deal}/transfers"),
                Some(&m.producer.access),
                &truck,
            )
            .await,
            201,
        )
        .await;
        ok(
            app.post(
                &format!("/api/v1/deals/{deal}/transfers/{}/receipt", id(&t)),
                Some(&m.receiver.access),
                &json!({"received_net_kg": 30_000, "received_at": Utc::now().to_rfc3339()}),
            )
            .await,
            200,
        )
        .await;
    }
}

/// The receiver calls `tonnes` of `month` off the contract at `path`.
async fn call_off(
    app: &TestApp,
    m: &Market,
    path: &str,
    month: &str,
    tonnes: &str,
) -> reqwest::Response {
    app.post(
        &format!("{path}/call-offs"),
        Some(&m.receiver.access),
        &json!({"month": month, "called_t": tonnes}),
    )
    .await
}

async fn complete(app: &TestApp, m: &Market, deal: &str) {
    ok(
        app.post(
            &format!("/api/v1/deals/{deal}/complete"),
            Some(&m.receiver.access),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
}

async fn summary(app: &TestApp, token: &str) -> (String, String) {
    let s = app.get_json("/api/v1/stats/summary", token).await;
    (
        s["totals"]["contracted_t"].as_str().unwrap().to_string(),
        s["totals"]["delivered_t"].as_str().unwrap().to_string(),
    )
}

#[actix_web::test]
async fn a_contract_from_proposal_to_its_end_with_emails_over_smtp() {
    let app = app().with_smtp().start().await;
    let m = market(&app).await;
    let lot = stream(&app, &m, "600").await;
    let (buyer, slag) = ("buyer@cement.test", "slag@steel.test");
    let (start, end) = (month(0), month(2));
    let before = summary(&app, &m.admin).await;

    // The receiver proposes; it is the producer's turn.
    let mut proposal = terms(&start, &end, "300", "600", "20.00");
    proposal["price_schedule"] = json!([{"quarter": quarter(&end), "price_per_t": "18.00"}]);
    let c = ok(
        app.post(
            "/api/v1/contracts",
            Some(&m.receiver.access),
            &json!({"listing_id": lot, "terms": proposal}),
        )
        .await,
        201,
    )
    .await;
    let contract = id(&c);
    let path = format!("/api/v1/contracts/{contract}");
    assert_eq!(c["status"], "proposed");
    assert_eq!(
        c["awaiting_organization_id"],
        m.producer.organization_id.as_str()
    );
    mail_about(&app, slag, "Supply contract proposed", 1).await;
    assert_problem(
        app.post(
            &format!("{path}/agree"),
            Some(&m.receiver.access),
            &json!({}),
        )
        .await,
        403,
        "not_your_turn",
    )
    .await;
    // A minimum above the maximum changes nothing.
    assert_problem(
        app.post(
            &format!("{path}/counter"),
            Some(&m.producer.access),
            &terms(&start, &end, "700", "600", "22.00"),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;

    // The producer counters at 22 yuan; the receiver agrees; staff approve.
    let mut countered = terms(&start, &end, "300", "600", "22.00");
    countered["price_schedule"] = json!([{"quarter": quarter(&end), "price_per_t": "18.00"}]);
    let c = ok(
        app.post(
            &format!("{path}/counter"),
            Some(&m.producer.access),
            &countered,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(c["status"], "countered");
    assert_eq!(c["price_per_t"], "22.00");
    mail_about(&app, buyer, "Supply contract countered", 1).await;
    let c = ok(
        app.post(
            &format!("{path}/agree"),
            Some(&m.receiver.access),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(c["status"], "agreed");
    mail_about(&app, slag, "Supply contract agreed", 1).await;
    // Nothing is called off before the alliance approves.
    assert_problem(
        call_off(&app, &m, &path, &start, "400").await,
        409,
        "invalid_state",
    )
    .await;
    let c = ok(
        app.post(
            &format!("/api/v1/moderation/contracts/{contract}/decision"),
            Some(&m.admin),
            &json!({"decision": "approve", "reason": "both parties licensed"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(c["status"], "active");
    assert_eq!(c["lab_reports"].as_array().unwrap().len(), 1);
    assert_eq!(c["report_standing"]["batch_limit_t"], "500");
    mail_about(&app, buyer, "Supply contract approved", 1).await;

    // Month one: called 400 t within the band; 240 t delivered, short of the 300 t minimum.
    assert_problem(
        call_off(&app, &m, &path, &start, "700").await,
        422,
        "validation_failed",
    )
    .await;
    let first = ok(call_off(&app, &m, &path, &start, "400").await, 201).await;
    assert_eq!(first["status"], "approved");
    let expected_first = if quarter(&start) == quarter(&end) {
        "18.00"
    } else {
        "22.00"
    };
    assert_eq!(first["price_per_t"], expected_first);
    mail_about(&app, buyer, "Monthly call-off placed", 1).await;
    let deal = first["deal_id"].as_str().unwrap().to_string();
    deliver(&app, &m, &deal, 8).await;
    complete(&app, &m, &deal).await;
    let closed = mail_about(&app, buyer, "Monthly call-off closed", 1).await;
    assert!(
        closed.text.contains("short of the 300 t minimum"),
        "{}",
        closed.text
    );
    let c = app.get_json(&path, &m.receiver.access).await;
    assert_eq!(c["call_offs"][0]["band_flag"], "shortfall");
    assert_eq!(c["call_offs"][0]["delivered_t"], "240");
    assert_eq!(c["call_offs"][0]["truckloads"], 8);
    assert!(c["call_offs"][0]["settled_amount_yuan"].is_string());
    // A month is called off once.
    assert_problem(
        call_off(&app, &m, &path, &start, "400").await,
        422,
        "validation_failed",
    )
    .await;

    // Month two: 300 t delivered, within the band; 540 t have now left under one report.
    let second = ok(call_off(&app, &m, &path, &month(1), "400").await, 201).await;
    let deal = second["deal_id"].as_str().unwrap().to_string();
    deliver(&app, &m, &deal, 10).await;
    complete(&app, &m, &deal).await;
    mail_about(&app, buyer, "Monthly call-off closed", 2).await;
    let c = app.get_json(&path, &m.producer.access).await;
    assert_eq!(c["call_offs"][1]["band_flag"], "within");
    assert_eq!(c["report_standing"]["out_of_date"], true);

    // Month three is held: the report no longer speaks for the stream. Trucks cannot leave.
    let third = ok(call_off(&app, &m, &path, &end, "400").await, 201).await;
    assert_eq!(third["status"], "on_hold");
    assert_eq!(third["price_per_t"], "18.00");
    assert!(
        third["held_reason"]
            .as_str()
            .unwrap()
            .contains("out of date")
    );
    let suspended = mail_about(&app, slag, "Supply contract suspended", 1).await;
    assert!(
        suspended.text.contains("540 t delivered since"),
        "{}",
        suspended.text
    );
    mail_about(&app, buyer, "Supply contract suspended", 1).await;
    let c = app.get_json(&path, &m.receiver.access).await;
    assert_eq!(c["status"], "suspended");
    let staff = app.get_json("/api/v1/notifications", &m.admin).await;
    assert!(
        staff["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "contract_suspended")
    );
    let deal = third["deal_id"].as_str().unwrap().to_string();
    assert_problem(
        app.post(
            &format!("/api/v1/deals/{deal}/transfers"),
            Some(&m.producer.access),
            &json!({"carrier": "Baotou Logistics", "vehicle_plate": "蒙B99999", "driver": "Wang Gang",
                    "ticket_no": "WB-held", "gross_kg": 45_000, "tare_kg": 15_000,
                    "dispatched_at": Utc::now().to_rfc3339()}),
        )
        .await,
        409,
        "invalid_state",
    )
    .await;

    // Only the producer files reports; a new one within bounds resumes the contract.
    let report = json!({"lab_report": {"lab_name": "Inner Mongolia Building Materials Lab",
        "report_no": "FA-2", "sampled_on": Utc::now().date_naive().to_string()},
        "properties": {"fineness_45um_pct": 17.0, "water_demand_ratio_pct": 99, "loi_pct": 5.5,
                       "moisture_pct": 0.4, "so3_pct": 1.4, "boiler_type": "pulverized_coal",
                       "free_cao_pct": 0.5, "fly_ash_class": "F", "i_ra": 0.5, "i_gamma": 0.6}});
    assert_problem(
        app.post(
            &format!("{path}/lab-reports"),
            Some(&m.receiver.access),
            &report,
        )
        .await,
        403,
        "producer_only",
    )
    .await;
    let c = ok(
        app.post(
            &format!("{path}/lab-reports"),
            Some(&m.producer.access),
            &report,
        )
        .await,
        201,
    )
    .await;
    assert_eq!(c["status"], "active");
    assert_eq!(c["report_standing"]["out_of_date"], false);
    assert_eq!(c["call_offs"][2]["status"], "approved");
    assert!(c["call_offs"][2]["held_reason"].is_null());
    mail_about(&app, buyer, "Supply contract resumed", 1).await;

    // Month three: 330 t within the band; the last month closes the contract.
    deliver(&app, &m, &deal, 11).await;
    complete(&app, &m, &deal).await;
    mail_about(&app, slag, "Supply contract ended", 1).await;
    let c = app.get_json(&path, &m.receiver.access).await;
    assert_eq!(c["status"], "ended");
    let flags: Vec<&str> = c["call_offs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["band_flag"].as_str().unwrap())
        .collect();
    assert_eq!(flags, ["shortfall", "within", "within"]);

    // Deliveries count once, as the call-offs' deals.
    let after = summary(&app, &m.admin).await;
    let t = |s: &str| s.parse::<f64>().unwrap();
    assert_eq!(t(&after.1) - t(&before.1), 870.0);
    assert_eq!(t(&after.0) - t(&before.0), 1200.0);
    let deals = app
        .get_json("/api/v1/deals?limit=100", &m.receiver.access)
        .await;
    let calls: Vec<&Value> = deals["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["offer_id"].is_null())
        .collect();
    assert_eq!(calls.len(), 3);
}

#[actix_web::test]
async fn concurrent_agreements_never_over_commit_a_stream() {
    let app = app().env("WUFEI_DB_TIMEOUT_SECS", "60").start().await;
    let m = market(&app).await;
    // 600 t a month, 40 contracts of up to 50 t each: 12 fit.
    let lot = stream(&app, &m, "600").await;
    let mut proposed = Vec::new();
    for _ in 0..40 {
        let c = ok(
            app.post(
                "/api/v1/contracts",
                Some(&m.receiver.access),
                &json!({"listing_id": lot, "terms": terms(&month(0), &month(5), "10", "50", "20.00")}),
            )
            .await,
            201,
        )
        .await;
        proposed.push(id(&c));
    }
    let results = join_all(proposed.iter().map(|c| {
        app.client
            .post(app.url(&format!("/api/v1/contracts/{c}/agree")))
            .bearer_auth(&m.producer.access)
            .send()
    }))
    .await;
    let statuses: Vec<u16> = results
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    let agreed = statuses.iter().filter(|s| **s == 200).count();
    let refused = statuses.iter().filter(|s| **s == 409).count();
    assert_eq!((agreed, refused), (12, 28), "{statuses:?}");
    let profile = app
        .get_json(
            &format!("/api/v1/listings/{lot}/profile"),
            &m.producer.access,
        )
        .await;
    assert_eq!(profile["months"][0]["committed_t"], "600");
    assert_eq!(profile["months"][0]["free_t"], "0");
    let stored: i64 = supply_contracts::table
        .filter(supply_contracts::listing_id.eq(&lot))
        .filter(supply_contracts::status.eq("agreed"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(stored, 12);
}

async fn put(app: &TestApp, path: &str, token: &str, body: &Value) -> reqwest::Response {
    app.client
        .put(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

fn run(app: &TestApp, name: &str) -> usize {
    let job = JOBS.iter().find(|j| j.name == name).unwrap();
    let mut conn = app.conn();
    write_tx(&mut conn, |c: &mut DbConnection| (job.run)(c)).unwrap()
}

/// An approved contract of `min`–600 t a month from this month.
async fn active(app: &TestApp, m: &Market, lot: &str, min: &str, months: u32) -> String {
    let c = ok(
        app.post(
            "/api/v1/contracts",
            Some(&m.receiver.access),
            &json!({"listing_id": lot, "terms": terms(&month(0), &month(months), min, "600", "20.00")}),
        )
        .await,
        201,
    )
    .await;
    let contract = id(&c);
    ok(
        app.post(
            &format!("/api/v1/contracts/{contract}/agree"),
            Some(&m.producer.access),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    ok(
        app.post(
            &format!("/api/v1/moderation/contracts/{contract}/decision"),
            Some(&m.admin),
            &json!({"decision": "approve", "reason": "checked"}),
        )
        .await,
        200,
    )
    .await;
    contract
}

#[actix_web::test]
async fn the_jobs_open_this_month_and_close_past_months() {
    let app = app().start().await;
    let m = market(&app).await;
    let lot = stream(&app, &m, "600").await;
    let contract = active(&app, &m, &lot, "100", 1).await;
    let path = format!("/api/v1/contracts/{contract}");

    // The receiver has not called this month off: the job does, at the band's minimum, once.
    assert_eq!(run(&app, "open_call_offs"), 1);
    assert_eq!(run(&app, "open_call_offs"), 0);
    let c = app.get_json(&path, &m.receiver.access).await;
    assert_eq!(c["call_offs"][0]["called_t"], "100");
    assert_eq!(c["call_offs"][0]["month"], month(0));
    let deal = c["call_offs"][0]["deal_id"].as_str().unwrap().to_string();
    deliver(&app, &m, &deal, 2).await;

    // Not past its grace days: nothing closes.
    assert_eq!(run(&app, "close_call_off_months"), 0);
    // Moved back to a month long past (as if time had run on), it closes: every load was
    // received, so it completes at 60 t, short of the band.
    diesel::update(call_offs::table.find(&deal))
        .set(call_offs::month.eq("2026-01"))
        .execute(&mut app.conn())
        .unwrap();
    assert_eq!(run(&app, "close_call_off_months"), 1);
    assert_eq!(run(&app, "close_call_off_months"), 0);
    let d = app
        .get_json(&format!("/api/v1/deals/{deal}"), &m.receiver.access)
        .await;
    assert_eq!(d["status"], "completed");
    assert_eq!(d["settled_amount_yuan"], "1200.00");
    let c = app.get_json(&path, &m.receiver.access).await;
    assert_eq!(c["call_offs"][0]["band_flag"], "shortfall");
    assert_eq!(c["status"], "active");

    // A term that ran out with nothing open ends.
    diesel::update(supply_contracts::table.find(&contract))
        .set((
            supply_contracts::start_month.eq("2026-01"),
            supply_contracts::end_month.eq("2026-02"),
        ))
        .execute(&mut app.conn())
        .unwrap();
    // It reads as ended at once, and takes no more call-offs; the job records it.
    let c = app.get_json(&path, &m.receiver.access).await;
    assert_eq!(c["status"], "ended");
    assert_problem(
        call_off(&app, &m, &path, &month(0), "100").await,
        409,
        "invalid_state",
    )
    .await;
    assert_eq!(run(&app, "close_call_off_months"), 1);
    let stored: String = supply_contracts::table
        .find(&contract)
        .select(supply_contracts::status)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(stored, "ended");

    // A call-off nothing left for is cancelled at month end, settling at zero.
    let other = active(&app, &m, &lot, "100", 1).await;
    assert_eq!(run(&app, "open_call_offs"), 1);
    let c = app
        .get_json(&format!("/api/v1/contracts/{other}"), &m.receiver.access)
        .await;
    let deal = c["call_offs"][0]["deal_id"].as_str().unwrap().to_string();
    diesel::update(call_offs::table.find(&deal))
        .set(call_offs::month.eq("2026-01"))
        .execute(&mut app.conn())
        .unwrap();
    assert_eq!(run(&app, "close_call_off_months"), 1);
    let d = app
        .get_json(&format!("/api/v1/deals/{deal}"), &m.receiver.access)
        .await;
    assert_eq!(d["status"], "cancelled");
    assert_eq!(d["settled_amount_yuan"], "0.00");
}

#[actix_web::test]
async fn seasons_yards_and_the_forecast() {
    let app = app().start().await;
    let m = market(&app).await;
    let lot = stream(&app, &m, "600").await;
    let t = |v: i64| json!(v.to_string());
    // Twelve months exactly; a yard states stock and capacity together. The next four months
    // make 900 t each (a heating season), the others 450 t.
    let now = Utc::now().date_naive().month0() as usize;
    let season: Vec<usize> = (0..4).map(|k| (now + k) % 12).collect();
    let months: Vec<Value> = (0..12)
        .map(|i| t(if season.contains(&i) { 900 } else { 450 }))
        .collect();
    assert_problem(
        put(
            &app,
            &format!("/api/v1/listings/{lot}/profile"),
            &m.producer.access,
            &json!({"monthly_t": months[..11], "yard_stock_t": "100", "yard_capacity_t": "500"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        put(
            &app,
            &format!("/api/v1/listings/{lot}/profile"),
            &m.producer.access,
            &json!({"monthly_t": months, "yard_stock_t": "100"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    // Only the producer states it; others do not see it.
    assert_eq!(
        put(
            &app,
            &format!("/api/v1/listings/{lot}/profile"),
            &m.receiver.access,
            &json!({"monthly_t": months}),
        )
        .await
        .status(),
        404
    );
    // 900 t a month in winter into a yard of 3 000 t holding 2 000 t: it fills in about five
    // weeks with nothing contracted away.
    let p = ok(
        put(
            &app,
            &format!("/api/v1/listings/{lot}/profile"),
            &m.producer.access,
            &json!({"monthly_t": months, "yard_stock_t": "2000", "yard_capacity_t": "3000"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(p["monthly_t"][0], "900");
    assert_eq!(p["months"].as_array().unwrap().len(), 12);
    let forecast = app
        .get_json("/api/v1/alliance/yard-forecast", &m.admin)
        .await;
    let item = forecast["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["listing_id"] == lot.as_str())
        .expect("the yard fills within 90 days")
        .clone();
    let days = item["fills_in_days"].as_u64().unwrap();
    assert!((20..=90).contains(&days), "{item}");
    assert_eq!(
        app.get_as("/api/v1/alliance/yard-forecast", &m.producer.access)
            .await
            .status(),
        403
    );
    // A contract bound to take at least what the stream makes keeps the yard from filling.
    active(&app, &m, &lot, "450", 3).await;
    let after = app
        .get_json("/api/v1/alliance/yard-forecast", &m.admin)
        .await;
    let later = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["listing_id"] == lot.as_str())
        .map(|i| i["fills_in_days"].as_u64().unwrap());
    assert!(later.is_none_or(|d| d > days), "{after}");

    // A recurring demand of 500 t a month is matched month by month against what the stream can
    // still promise: 900 − 600 held by the contract = 300 t now (0.6), 450 t out of season (0.9).
    let sites = app
        .get_json(
            &format!("/api/v1/organizations/{}/sites", m.receiver.organization_id),
            &m.receiver.access,
        )
        .await;
    let demand = ok(
        app.post(
            "/api/v1/demands",
            Some(&m.receiver.access),
            &json!({"title": "Fly ash all year", "categories": ["SW02"], "quantity_t": "6000",
                    "supply": {"pattern": "recurring", "monthly_t": "500"},
                    "site_id": sites["items"][0]["id"], "max_distance_km": 80,
                    "price_limit_per_t": "60.00", "intended_use": "concrete"}),
        )
        .await,
        201,
    )
    .await;
    let d = id(&demand);
    ok(
        put(
            &app,
            &format!("/api/v1/demands/{d}/profile"),
            &m.receiver.access,
            &json!({"monthly_t": vec![t(500); 12]}),
        )
        .await,
        200,
    )
    .await;
    let matches = app
        .get_json(&format!("/api/v1/demands/{d}/matches"), &m.receiver.access)
        .await;
    let hit = matches["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["listing"]["id"] == lot.as_str())
        .expect("the stream matches")
        .clone();
    let coverage = &hit["breakdown"]["monthly_coverage"];
    assert_eq!(coverage[now], 0.6, "{hit}");
    assert_eq!(coverage[(now + 6) % 12], 0.9, "{hit}");
}
