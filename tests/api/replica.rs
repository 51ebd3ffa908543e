//! Reads through a real PostgreSQL streaming standby. `scripts/replica.sh start` starts a primary
//! and its standby; `scripts/test` runs these (ignored otherwise) with WUFEI_TEST_DATABASE_URL on
//! the primary and WUFEI_TEST_REPLICA_URL on the standby, one at a time (they pause and stop it).

use std::time::{Duration, Instant};

use diesel::Connection;
use diesel::connection::SimpleConnection;
use serde_json::{Value, json};

use crate::helpers::{TestApp, app};
use crate::listings::{Market, fly_ash, market, publish};

async fn replica(app: &TestApp) -> Value {
    let res = app.get("/health/ready").await;
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["replica"].clone()
}

/// Waits (up to 15 s) for the replica to read as `status`.
async fn until(app: &TestApp, status: &str) -> Value {
    let started = Instant::now();
    loop {
        let r = replica(app).await;
        if r["status"] == status {
            return r;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "replica never {status}: {r}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn standby(command: &str) {
    let ok = std::process::Command::new("bash")
        .args(["scripts/replica.sh", command])
        .status()
        .expect("scripts/replica.sh runs")
        .success();
    assert!(ok, "scripts/replica.sh {command}");
}

async fn started(lag_bytes: &str) -> (TestApp, Market, String) {
    let app = app()
        .with_replica()
        .env("WUFEI_REPLICA_CHECK_MS", "100")
        .env("WUFEI_REPLICA_MAX_LAG_BYTES", lag_bytes)
        .start()
        .await;
    let m = market(&app).await;
    let lot = publish(&app, &m, &fly_ash(&m.site)).await;
    let id = lot["id"].as_str().unwrap().to_string();
    until(&app, "streaming").await;
    (app, m, id)
}

/// Renames the lot and reads it back at once, as its producer.
async fn rename_and_read(app: &TestApp, m: &Market, id: &str, title: &str) -> Value {
    let res = app
        .patch(
            &format!("/api/v1/listings/{id}"),
            &m.producer.access,
            &json!({ "title": title }),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    app.get_json(&format!("/api/v1/listings/{id}"), &m.producer.access)
        .await
}

#[actix_web::test]
#[ignore = "needs a streaming standby: scripts/replica.sh start, WUFEI_TEST_REPLICA_URL"]
async fn a_read_after_ones_own_write_is_never_stale() {
    let (app, m, id) = started("16777216").await;
    for i in 0..1000 {
        let title = format!("Fly ash edition {i}");
        let lot = rename_and_read(&app, &m, &id, &title).await;
        assert_eq!(lot["title"], title.as_str(), "write {i} read back stale");
        if i % 10 == 0 {
            let found: Value = app
                .get_json(
                    &format!("/api/v1/listings?mine=true&q=edition%20{i}"),
                    &m.producer.access,
                )
                .await;
            assert_eq!(
                found["items"][0]["title"],
                title.as_str(),
                "search {i} stale"
            );
        }
    }
    // Reads with no write before them go to the replica.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = replica(&app).await["reads_served"].as_u64().unwrap();
    for _ in 0..20 {
        app.get_json("/api/v1/listings?q=edition", &m.receiver.access)
            .await;
    }
    let after = replica(&app).await;
    assert!(
        after["reads_served"].as_u64().unwrap() >= before + 20,
        "the replica served none of 20 quiet searches: {after}"
    );
}

/// An idempotent request writes in transactions of its own (the key's reservation, then the
/// change with the saved response): the read after it still sees what it wrote.
#[actix_web::test]
#[ignore = "needs a streaming standby: scripts/replica.sh start, WUFEI_TEST_REPLICA_URL"]
async fn a_read_after_an_idempotent_create_is_never_stale() {
    let (app, m, _) = started("16777216").await;
    for i in 0..100 {
        let mut body = fly_ash(&m.site);
        body["title"] = json!(format!("Idempotent fly ash {i}"));
        let res = app
            .client
            .post(app.url("/api/v1/listings"))
            .bearer_auth(&m.producer.access)
            .header("idempotency-key", format!("replica-create-{i}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let id = res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let lot: Value = app
            .get_json(&format!("/api/v1/listings/{id}"), &m.producer.access)
            .await;
        assert_eq!(lot["title"], body["title"], "create {i} read back stale");
    }
}

#[actix_web::test]
#[ignore = "needs a streaming standby: scripts/replica.sh start, WUFEI_TEST_REPLICA_URL"]
async fn a_lagging_replica_is_reported_and_reads_go_to_the_primary() {
    // Any WAL not yet replayed counts as lagging here.
    let (app, m, id) = started("0").await;
    let replica_url = std::env::var("WUFEI_TEST_REPLICA_URL").unwrap();
    let mut standby = diesel::PgConnection::establish(&format!("{replica_url}/postgres")).unwrap();
    standby
        .batch_execute("SELECT pg_wal_replay_pause()")
        .unwrap();
    let lot = rename_and_read(&app, &m, &id, "Written while the standby waits").await;
    assert_eq!(lot["title"], "Written while the standby waits");
    let lagging = until(&app, "lagging").await;
    assert!(lagging["lag_bytes"].as_i64().unwrap() > 0, "{lagging}");
    let served = lagging["reads_served"].as_u64().unwrap();
    let found: Value = app
        .get_json("/api/v1/listings?q=waits", &m.receiver.access)
        .await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        replica(&app).await["reads_served"].as_u64().unwrap(),
        served
    );

    standby
        .batch_execute("SELECT pg_wal_replay_resume()")
        .unwrap();
    let back = until(&app, "streaming").await;
    assert_eq!(back["lag_bytes"], 0);
}

#[actix_web::test]
#[ignore = "needs a streaming standby: scripts/replica.sh start, WUFEI_TEST_REPLICA_URL"]
async fn a_lost_replica_is_reported_and_reads_fall_back_to_the_primary() {
    let (app, m, id) = started("16777216").await;
    standby("standby-stop");
    let lost = until(&app, "lost").await;
    assert!(lost["lag_bytes"].is_null(), "{lost}");
    let t = Instant::now();
    let lot = rename_and_read(&app, &m, &id, "Read from the primary").await;
    assert_eq!(lot["title"], "Read from the primary");
    let found: Value = app
        .get_json("/api/v1/listings?q=primary", &m.receiver.access)
        .await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());

    standby("standby-start");
    let back = until(&app, "streaming").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.get_json("/api/v1/listings?q=primary", &m.receiver.access)
        .await;
    let now = replica(&app).await;
    assert!(
        now["reads_served"].as_u64() > back["reads_served"].as_u64(),
        "{now}"
    );
}
