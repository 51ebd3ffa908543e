//! Housekeeping: every job of the list runs on its schedule, each does its work once an object is
//! past its deadline, an object past its deadline reads as ended before the job has run, and two
//! instances running a job at once do its work once.

use std::time::{Duration, Instant};

use chrono::Duration as Span;
use diesel::prelude::*;
use wufei::db::schema::{
    idempotency_keys, listings, notifications, offers, outbox, refresh_tokens, user_tokens,
};
use wufei::db::{DbConnection, now, write_tx};
use wufei::service::demo::seed;
use wufei::service::jobs::{JOBS, Job};

use crate::helpers::{TestApp, app, assert_problem};

fn job(name: &str) -> &'static Job {
    JOBS.iter()
        .find(|j| j.name == name)
        .expect("a job of the list")
}

fn run(app: &TestApp, name: &str) -> usize {
    let mut conn = app.conn();
    write_tx(&mut conn, |c: &mut DbConnection| (job(name).run)(c)).unwrap()
}

#[actix_web::test]
async fn every_job_of_the_list_is_scheduled() {
    let app = app().env("WUFEI_JOB_TICK_MS", "20").start().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let metrics = app.get("/metrics").await.text().await.unwrap();
        let missing: Vec<&str> = JOBS
            .iter()
            .map(|j| j.name)
            .filter(|name| !metrics.contains(&format!("wufei_job_runs_total{{job=\"{name}\"}}")))
            .collect();
        if missing.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "never ran: {missing:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn a_lot_past_its_window_reads_closed_then_the_job_closes_it() {
    let app = app().start().await;
    seed(&mut app.conn()).unwrap();
    let steel = app.demo_token("steel@demo.wufei.local").await;
    let cement = app.demo_token("cement@demo.wufei.local").await;
    let mine = app.get_json("/api/v1/listings?mine=true", &steel).await;
    let lot = mine["items"][0]["id"].as_str().unwrap().to_string();
    diesel::update(listings::table.find(&lot))
        .set(listings::available_until.eq(Some(now() - Span::minutes(1))))
        .execute(&mut app.conn())
        .unwrap();

    // Before the job: it reads as closed, cannot be bought, and is off the market.
    let read = app
        .get_json(&format!("/api/v1/listings/{lot}"), &steel)
        .await;
    assert_eq!(read["status"], "closed");
    assert_eq!(read["status_reason"], "availability_ended");
    let res = app
        .get_as(&format!("/api/v1/listings/{lot}"), &cement)
        .await;
    assert_eq!(res.status(), 404, "a closed lot is its producer's only");
    let market = app.all_pages("/api/v1/listings?limit=100", &cement).await;
    assert!(!market.contains(&lot));

    // The job records it once; a second run finds nothing.
    assert!(run(&app, "close_expired_lots") >= 1);
    assert_eq!(run(&app, "close_expired_lots"), 0);
    let stored: String = listings::table
        .find(&lot)
        .select(listings::status)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(stored, "closed");
}

#[actix_web::test]
async fn offers_past_their_expiry_read_expired_and_end_once_with_the_bidder_told() {
    let app = app().start().await;
    seed(&mut app.conn()).unwrap();
    let open: Vec<String> = offers::table
        .filter(offers::status.eq_any(["pending", "countered"]))
        .select(offers::id)
        .load(&mut app.conn())
        .unwrap();
    assert!(!open.is_empty(), "the demo has open offers");
    diesel::update(offers::table.filter(offers::id.eq_any(&open)))
        .set(offers::expires_at.eq(now() - Span::minutes(1)))
        .execute(&mut app.conn())
        .unwrap();

    // Before the job: they read as expired and are listed so, to their bidder.
    let bidder: String = offers::table
        .filter(offers::id.eq(&open[0]))
        .inner_join(
            wufei::db::schema::users::table.on(wufei::db::schema::users::id.eq(offers::user_id)),
        )
        .select(wufei::db::schema::users::email)
        .first(&mut app.conn())
        .unwrap();
    let cement = app.demo_token(&bidder).await;
    let expired = app.get_json("/api/v1/offers?status=expired", &cement).await;
    let listed: Vec<&str> = expired["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    let theirs: Vec<String> = offers::table
        .filter(offers::id.eq_any(&open))
        .inner_join(
            wufei::db::schema::users::table.on(wufei::db::schema::users::id.eq(offers::user_id)),
        )
        .filter(wufei::db::schema::users::email.eq(&bidder))
        .select(offers::id)
        .load(&mut app.conn())
        .unwrap();
    for id in &theirs {
        assert!(listed.contains(&id.as_str()), "{id} listed as expired");
        let one = app.get_json(&format!("/api/v1/offers/{id}"), &cement).await;
        assert_eq!(one["status"], "expired");
    }

    // Two instances run the job at once: every offer ends exactly once.
    let conns = [app.conn(), app.conn()];
    let ended: usize = std::thread::scope(|s| {
        let runs: Vec<_> = conns
            .into_iter()
            .map(|mut conn| {
                s.spawn(move || {
                    write_tx(&mut conn, |c: &mut DbConnection| {
                        (job("expire_offers").run)(c)
                    })
                    .unwrap()
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).sum()
    });
    assert_eq!(ended, open.len());
    let told: i64 = notifications::table
        .filter(notifications::kind.eq("offer_expired"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(told as usize, open.len(), "each bidder told once");
    let still_open: i64 = offers::table
        .filter(offers::id.eq_any(&open))
        .filter(offers::status.ne("expired"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(still_open, 0);
    let res = app
        .post(
            &format!("/api/v1/offers/{}/withdraw", theirs[0]),
            Some(&cement),
            &serde_json::json!({}),
        )
        .await;
    assert_problem(res, 409, "offer_not_open").await;
}

#[actix_web::test]
async fn the_purges_drop_only_what_is_past_its_time() {
    let app = app().start().await;
    seed(&mut app.conn()).unwrap();
    let mut conn = app.conn();
    let user: String = wufei::db::schema::users::table
        .select(wufei::db::schema::users::id)
        .first(&mut conn)
        .unwrap();
    let at = now();
    for (key, age) in [("old", Span::hours(25)), ("fresh", Span::hours(1))] {
        diesel::insert_into(idempotency_keys::table)
            .values((
                idempotency_keys::user_id.eq(&user),
                idempotency_keys::idempotency_key.eq(key),
                idempotency_keys::request_hash.eq("h"),
                idempotency_keys::created_at.eq(at - age),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    for (id, expired) in [("t-old", Span::days(2)), ("t-live", Span::days(-1))] {
        diesel::insert_into(user_tokens::table)
            .values((
                user_tokens::id.eq(id),
                user_tokens::user_id.eq(&user),
                user_tokens::purpose.eq("password_reset"),
                user_tokens::token_hash.eq(format!("hash-{id}")),
                user_tokens::expires_at.eq(at - expired),
                user_tokens::created_at.eq(at - Span::days(3)),
            ))
            .execute(&mut conn)
            .unwrap();
        diesel::insert_into(refresh_tokens::table)
            .values((
                refresh_tokens::id.eq(id),
                refresh_tokens::user_id.eq(&user),
                refresh_tokens::family_id.eq(id),
                refresh_tokens::token_hash.eq(format!("refresh-{id}")),
                refresh_tokens::expires_at.eq(at - expired),
                refresh_tokens::created_at.eq(at - Span::days(3)),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    for (id, age) in [("mail-old", Span::days(91)), ("mail-recent", Span::days(1))] {
        diesel::insert_into(outbox::table)
            .values((
                outbox::id.eq(id),
                outbox::recipient.eq("someone@x.test"),
                outbox::subject.eq("Deal approved"),
                outbox::body_text.eq("(removed after delivery)"),
                outbox::body_html.eq("(removed after delivery)"),
                outbox::status.eq("sent"),
                outbox::attempts.eq(1),
                outbox::next_attempt_at.eq(at - age),
                outbox::created_at.eq(at - age),
                outbox::sent_at.eq(Some(at - age)),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    assert_eq!(run(&app, "purge_sent_emails"), 1);
    let kept: Vec<String> = outbox::table
        .filter(outbox::id.like("mail-%"))
        .select(outbox::id)
        .load(&mut conn)
        .unwrap();
    assert_eq!(kept, vec!["mail-recent"]);
    assert_eq!(run(&app, "purge_idempotency_keys"), 1);
    assert_eq!(run(&app, "purge_expired_tokens"), 2);
    let keys: Vec<String> = idempotency_keys::table
        .select(idempotency_keys::idempotency_key)
        .load(&mut conn)
        .unwrap();
    assert_eq!(keys, vec!["fresh"]);
    let tokens: Vec<String> = user_tokens::table
        .filter(user_tokens::id.like("t-%"))
        .select(user_tokens::id)
        .load(&mut conn)
        .unwrap();
    assert_eq!(tokens, vec!["t-live"]);
    assert_eq!(run(&app, "purge_expired_tokens"), 0);
}
