//! Trading benchmark: offers placed and accepted per second, with p50/p99 latency, over HTTP on
//! SQLite and, when WUFEI_BENCH_POSTGRES_URL is set, on PostgreSQL. Every acceptance takes its
//! tonnage from the same lot, so this measures the contended path.
//!
//!   cargo bench --bench offers
//!   WUFEI_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench offers
//!
//! WUFEI_BENCH_OFFERS changes the number of offers (default 2000); concurrency is 8.

mod common;

use common::{BenchDb, drive, login, report, seed_org};
use diesel::connection::SimpleConnection;

const LOT: &str = "00000000-0000-7000-8002-000000000001";

async fn run(db: BenchDb, count: usize) {
    let mut conn = db.conn();
    wufei::db::run_migrations(&mut conn).expect("migrations");
    let producer = seed_org(&mut conn, 1, "producer", "producer@bench.test");
    seed_org(&mut conn, 2, "receiver", "receiver@bench.test");
    let now = "2026-11-01 00:00:00";
    conn.batch_execute(&format!(
        "INSERT INTO listings (id, organization_id, site_id, category_code, subtype, title, description, quantity_kg, \
         remaining_kg, min_order_kg, supply_pattern, generation, available_from, delivery_terms, pricing_model, \
         status, region_code, lat, lon, published_at, created_at, updated_at) VALUES ('{LOT}', '{producer}', \
         '{producer}', 'SW02', NULL, 'Bench fly ash', 'bench', 1000000000, 1000000000, 1000, 'one_off', 'new', '{now}', \
         'pickup', 'offers', 'published', '150203', 40.65, 109.84, '{now}', '{now}', '{now}')"
    ))
    .expect("seed lot");
    let base = db.serve().await;
    let client = reqwest::Client::new();
    let bidder = login(&client, &base, "receiver@bench.test").await;
    let seller = login(&client, &base, "producer@bench.test").await;
    println!(
        "\n{} — {count} offers on one lot, 8 at a time",
        db.backend()
    );

    let offers = std::sync::Mutex::new(Vec::with_capacity(count));
    let url = format!("{base}/api/v1/listings/{LOT}/offers");
    let (lat, wall) = drive(count, 8, |i| {
        let req = client
            .post(&url)
            .bearer_auth(&bidder)
            .header("idempotency-key", format!("bench-offer-{i}"))
            .json(&serde_json::json!({"quantity_t": "1.5", "price_per_t": "-12.50", "intended_use": "road_base"}))
            .send();
        let offers = &offers;
        async move {
            let Ok(res) = req.await else { return false };
            if res.status() != 201 {
                return false;
            }
            let body: serde_json::Value = res.json().await.unwrap_or_default();
            offers.lock().expect("lock").push(body["id"].as_str().unwrap_or_default().to_string());
            true
        }
    })
    .await;
    report(
        "place offer (POST /listings/{id}/offers, Idempotency-Key)",
        lat,
        wall,
    );

    let offers = offers.into_inner().expect("offers");
    let (lat, wall) = drive(offers.len(), 8, |i| {
        let req = client
            .post(format!("{base}/api/v1/offers/{}/accept", offers[i]))
            .bearer_auth(&seller)
            .send();
        async move { req.await.is_ok_and(|r| r.status() == 201) }
    })
    .await;
    report("accept offer → deal (POST /offers/{id}/accept)", lat, wall);
}

#[actix_web::main]
async fn main() {
    let count: usize = common::env_or("WUFEI_BENCH_OFFERS", 2000);
    run(BenchDb::sqlite(), count).await;
    if let Ok(pg) = std::env::var("WUFEI_BENCH_POSTGRES_URL") {
        run(BenchDb::postgres(&pg), count).await;
    }
}
