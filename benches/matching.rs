//! Matching benchmark: 100 000 published lots and 10 000 open demands around Baotou. Prints the
//! time to match one demand against every lot and one lot against every demand (over HTTP, p50/p99)
//! and a full re-match of all demands (in process), on SQLite and, when WUFEI_BENCH_POSTGRES_URL
//! is set, on PostgreSQL.
//!
//!   cargo bench --bench matching
//!   WUFEI_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench matching
//!
//! WUFEI_BENCH_LISTINGS (default 100000) and WUFEI_BENCH_DEMANDS (default 10000) change the sizes;
//! WUFEI_BENCH_REMATCH limits the full re-match to that many demands (default 1000);
//! WUFEI_BENCH_SQLITE=0 skips SQLite; WUFEI_BENCH_BAOTOU (default 100) is Baotou's share of lots and demands in %, the other nine
//! cities of `common::vocabulary` sharing the rest (10 spreads them evenly: national scale).

mod common;

use std::time::Instant;

use common::{BenchDb, Place, drive, login, place, report, seed_lots, seed_org};
use diesel::connection::SimpleConnection;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wufei::domain::matching::Params;

fn seed_demands(db: &BenchDb, count: usize) -> String {
    let mut conn = db.conn();
    let org = seed_org(&mut conn, 2, "receiver", "buyer@bench.test");
    let mut rng = StdRng::seed_from_u64(2027);
    let baotou: f64 = common::env_or("WUFEI_BENCH_BAOTOU", 100.0);
    let now = "2026-11-01 00:00:00";
    for chunk in 0..count.div_ceil(1000) {
        let mut rows = Vec::new();
        for i in chunk * 1000..((chunk + 1) * 1000).min(count) {
            let id = format!("00000000-0000-7000-8003-{i:012}");
            let (categories, bounds, grades) = match rng.random_range(0..4) {
                0 => ("SW02", r#"{"loi_pct":{"max":8.0}}"#, r#"{"fly_ash":"II"}"#),
                1 => ("SW01", "{}", r#"{"steel_slag_stability":"pass"}"#),
                2 => ("SW04,SW01", "{}", "{}"),
                _ => ("SW06", "{}", "{}"),
            };
            let (kg, price) = (
                rng.random_range(100..5000) * 1000,
                rng.random_range(-1000..6000),
            );
            // Most buyers haul within a city; one in fifty buys across provinces.
            let radius: f64 = if rng.random_bool(0.02) {
                rng.random_range(200.0..1000.0)
            } else {
                rng.random_range(20.0..80.0)
            };
            let Place {
                lat, lon, region, ..
            } = place(&mut rng, baotou);
            let reach = wufei::domain::listing::bounding_box(lat, lon, radius);
            rows.push(format!(
                "('{id}', '{org}', '{org}', 'Bench demand {i}', '{categories}', '', '{bounds}', '{grades}', {kg}, 'one_off', {radius}, {price}, \
                 '{now}', NULL, 'concrete', 'open', '{region}', {lat}, {lon}, NULL, 1, '{now}', '{now}', {}, {}, {}, {})",
                reach.min_lat, reach.max_lat, reach.min_lon, reach.max_lon,
            ));
        }
        conn.batch_execute(&format!(
            "INSERT INTO demands (id, organization_id, site_id, title, categories, subtypes,
               property_bounds, min_grades, quantity_kg, supply_pattern, max_distance_km,
               price_limit_fen, window_from, window_until, intended_use, status, region_code, lat,
               lon, last_digest_at, version, created_at, updated_at, reach_south, reach_north,
               reach_west, reach_east) VALUES {}",
            rows.join(",")
        ))
        .expect("seed demands");
    }
    db.settle();
    org
}

async fn run(db: BenchDb, listings: usize, demands: usize, rematch: usize) {
    let took = seed_lots(&db, listings);
    seed_demands(&db, demands);
    let base = db.serve().await;
    let client = reqwest::Client::new();
    let buyer = login(&client, &base, "buyer@bench.test").await;
    let seller = login(&client, &base, "bench@wufei.test").await;
    println!(
        "\n{} — {listings} lots (seeded in {:.1} s), {demands} open demands",
        db.backend(),
        took.as_secs_f64()
    );

    let demand = |i: usize| format!("00000000-0000-7000-8003-{:012}", (i * 7919) % demands);
    // The seller's own lots: seed_lots deals lot n to owner n % (1 + WUFEI_BENCH_PRODUCERS),
    // and the seller is owner 0.
    let owners = 1 + common::env_or("WUFEI_BENCH_PRODUCERS", 100);
    let lot = |i: usize| {
        format!(
            "00000000-0000-7000-8001-{:012}",
            (i * 7919) % listings.div_ceil(owners) * owners
        )
    };
    let (lat, wall) = drive(200, 2, |i| {
        let req = client
            .get(format!("{base}/api/v1/demands/{}/matches", demand(i)))
            .bearer_auth(&buyer)
            .send();
        async move { req.await.is_ok_and(|r| r.status().is_success()) }
    })
    .await;
    report(
        "one demand against every lot (GET /demands/{id}/matches)",
        lat,
        wall,
    );
    let (lat, wall) = drive(200, 2, |i| {
        let req = client
            .get(format!("{base}/api/v1/listings/{}/matches", lot(i)))
            .bearer_auth(&seller)
            .send();
        async move { req.await.is_ok_and(|r| r.status().is_success()) }
    })
    .await;
    report(
        "one lot against every demand (GET /listings/{id}/matches)",
        lat,
        wall,
    );

    // Full re-match: every demand ranked against every lot, one after another, in process.
    let mut conn = db.conn();
    if let wufei::db::DbConnection::Sqlite(c) = &mut conn {
        c.batch_execute("PRAGMA busy_timeout = 5000")
            .expect("pragma");
    }
    let catalog = wufei::service::market::catalog::Catalog::load(&mut conn).expect("catalog");
    let params = Params {
        freight_fen_per_t_km: 50,
        now: wufei::db::now(),
    };
    let started = Instant::now();
    let mut matched = 0usize;
    let rematch = rematch.min(demands);
    for i in 0..rematch {
        let row = wufei::service::matching::demands::load_row(
            &mut conn,
            &format!("00000000-0000-7000-8003-{i:012}"),
        )
        .expect("demand");
        matched +=
            wufei::service::matching::matches::rank_lots(&mut conn, &catalog, &params, &row.want())
                .expect("rank")
                .len();
    }
    let elapsed = started.elapsed();
    println!(
        "{:<58} {:>8.1} s for {rematch} demands, {:.2} ms per demand, {matched} matches",
        "full re-match",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1000.0 / rematch.max(1) as f64
    );
}

#[actix_web::main]
async fn main() {
    let (listings, demands) = (
        common::env_or("WUFEI_BENCH_LISTINGS", 100_000),
        common::env_or("WUFEI_BENCH_DEMANDS", 10_000),
    );
    let rematch = common::env_or("WUFEI_BENCH_REMATCH", demands.min(1000));
    // WUFEI_BENCH_SQLITE=0 measures PostgreSQL alone.
    if common::env_or("WUFEI_BENCH_SQLITE", 1) != 0 {
        run(BenchDb::sqlite(), listings, demands, rematch).await;
    }
    if let Ok(pg) = std::env::var("WUFEI_BENCH_POSTGRES_URL") {
        run(BenchDb::postgres(&pg), listings, demands, rematch).await;
    }
}
