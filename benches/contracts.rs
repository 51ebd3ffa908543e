//! Supply-contract benchmark: 20 000 recurring streams with seasonal generation profiles (half of
//! them with a yard) and 10 000 recurring demands with intake profiles around Baotou, 5 000 active
//! contracts. Prints the time to match one recurring demand against every stream month by month
//! (over HTTP, p50/p99), the yard forecast (over HTTP), and the time to close a month for every
//! active contract (in process, one write transaction), on SQLite and, when
//! WUFEI_BENCH_POSTGRES_URL is set, on PostgreSQL.
//!
//!   cargo bench --bench contracts
//!   WUFEI_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench contracts
//!
//! WUFEI_BENCH_STREAMS (default 20000), WUFEI_BENCH_DEMANDS (default 10000) and
//! WUFEI_BENCH_CONTRACTS (default 5000) change the sizes.

mod common;

use std::time::Instant;

use chrono::{Duration, Utc};
use common::{BenchDb, drive, login, report, seed_org};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wufei::db::schema::users;
use wufei::db::{DbConnection, write_tx};
use wufei::domain::matching::Params;
use wufei::domain::supply::Month;
use wufei::service::accounts::access::CurrentUser;
use wufei::service::market::catalog::Catalog;
use wufei::service::matching::matches;
use wufei::service::page::PageQuery;
use wufei::service::supply::call_offs;

/// Heating season (Nov–Mar) doubles a power plant's ash; the building season (Mar–Nov) is when
/// a cement plant takes most.
const HEAT: [i64; 12] = [2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 2, 2];
const BUILD: [i64; 12] = [1, 1, 3, 4, 4, 4, 4, 4, 4, 4, 3, 1];

fn stream_id(i: usize) -> String {
    format!("00000000-0000-7000-8101-{i:012}")
}

fn demand_id(i: usize) -> String {
    format!("00000000-0000-7000-8103-{i:012}")
}

fn seed(db: &BenchDb, streams: usize, demands: usize, contracts: usize) -> std::time::Duration {
    let started = Instant::now();
    let mut conn = db.conn();
    wufei::db::run_migrations(&mut conn).expect("migrations");
    let producer = seed_org(&mut conn, 1, "producer,receiver", "bench@wufei.test");
    let buyer = seed_org(&mut conn, 2, "receiver", "buyer@bench.test");
    let mut rng = StdRng::seed_from_u64(2028);
    let now = "2026-11-01 00:00:00";
    let mut monthly = Vec::with_capacity(streams);
    for chunk in 0..streams.div_ceil(1000) {
        let (mut lots, mut grades, mut props, mut profiles) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for i in chunk * 1000..((chunk + 1) * 1000).min(streams) {
            let id = stream_id(i);
            let category = if rng.random_bool(0.6) { "SW02" } else { "SW01" };
            let kg: i64 = rng.random_range(200..3000) * 1000;
            monthly.push(kg);
            let price: i64 = rng.random_range(-3_000..6_000);
            let (lat, lon) = (
                40.2 + rng.random::<f64>(),
                109.3 + rng.random::<f64>() * 1.5,
            );
            lots.push(format!(
                "('{id}', '{producer}', '{producer}', '{category}', 'Bench stream {i}', 'generated stream', \
                 {q}, {q}, 1000, 'recurring', {kg}, 'new', '2026-10-01 00:00:00', 'pickup', 'fixed', {price}, \
                 {price}, 'published', '150203', {lat}, {lon}, 1, '2026-10-01 00:00:00', '{now}', '{now}')",
                q = kg * 12
            ));
            if category == "SW02" {
                let grade = ["I", "II", "III"][rng.random_range(0..3)];
                grades.push(format!(
                    "('{id}', 'fly_ash', '{grade}', 'wufei-grades-2026.2')"
                ));
                props.push(format!(
                    "('{id}', 'loi_pct', {:.2}, NULL)",
                    rng.random_range(2.0..10.0)
                ));
            } else {
                grades.push(format!(
                    "('{id}', 'steel_slag_stability', 'pass', 'wufei-grades-2026.2')"
                ));
            }
            // Building materials carry the GB 6566 radioactivity grade the use table asks for.
            grades.push(format!(
                "('{id}', 'radioactivity', 'pass', 'wufei-grades-2026.2')"
            ));
            let season: Vec<i64> = HEAT.iter().map(|f| kg * f * 2 / 3).collect();
            let yard = if i % 2 == 0 {
                format!("{}, {}", kg * rng.random_range(1..6), kg * 8)
            } else {
                "NULL, NULL".to_string()
            };
            profiles.push(format!(
                "('{id}', '{}', {yard}, '{now}')",
                serde_json::to_string(&season).unwrap()
            ));
        }
        conn.batch_execute(&format!(
            "BEGIN;
             INSERT INTO listings (id, organization_id, site_id, category_code, title, description,
               quantity_kg, remaining_kg, min_order_kg, supply_pattern, monthly_kg, generation,
               available_from, delivery_terms, pricing_model, price_fen_per_t, search_price_fen, status,
               region_code, lat, lon, version, published_at, created_at, updated_at) VALUES {};
             INSERT INTO listing_grades (listing_id, rule, grade, rule_set) VALUES {};
             INSERT INTO listing_properties (listing_id, property_key, num_value, text_value) VALUES {};
             INSERT INTO stream_profiles (listing_id, monthly_kg, yard_stock_kg, yard_capacity_kg, updated_at) VALUES {};
             COMMIT;",
            lots.join(","),
            grades.join(","),
            props.join(","),
            profiles.join(",")
        ))
        .expect("seed streams");
    }
    for chunk in 0..demands.div_ceil(1000) {
        let (mut rows, mut profiles) = (Vec::new(), Vec::new());
        for i in chunk * 1000..((chunk + 1) * 1000).min(demands) {
            let id = demand_id(i);
            let (categories, bounds, grades) = if rng.random_bool(0.6) {
                ("SW02", r#"{"loi_pct":{"max":8.0}}"#, r#"{"fly_ash":"II"}"#)
            } else {
                ("SW01", "{}", r#"{"steel_slag_stability":"pass"}"#)
            };
            let kg: i64 = rng.random_range(100..2000) * 1000;
            rows.push(format!(
                "('{id}', '{buyer}', '{buyer}', 'Bench demand {i}', '{categories}', '{bounds}', '{grades}', \
                 {q}, 'recurring', {kg}, {}, {}, '{now}', 'concrete', 'open', '150203', {}, {}, 1, '{now}', '{now}')",
                rng.random_range(20..80),
                rng.random_range(1000..8000),
                40.2 + rng.random::<f64>(),
                109.3 + rng.random::<f64>() * 1.5,
                q = kg * 12
            ));
            let season: Vec<i64> = BUILD.iter().map(|f| kg * f / 3).collect();
            profiles.push(format!(
                "('{id}', '{}', '{now}')",
                serde_json::to_string(&season).unwrap()
            ));
        }
        conn.batch_execute(&format!(
            "BEGIN;
             INSERT INTO demands (id, organization_id, site_id, title, categories, property_bounds,
               min_grades, quantity_kg, supply_pattern, monthly_kg, max_distance_km, price_limit_fen,
               window_from, intended_use, status, region_code, lat, lon, version, created_at, updated_at)
               VALUES {};
             INSERT INTO intake_profiles (demand_id, monthly_kg, updated_at) VALUES {};
             COMMIT;",
            rows.join(","),
            profiles.join(",")
        ))
        .expect("seed demands");
    }
    // Active contracts for a year from three months ago; each has last month's call-off, loaded
    // and received, waiting for the month to close.
    let today = Utc::now().date_naive();
    let start = Month::of(today - Duration::days(92));
    let end = start.plus(11);
    let last = Month::of(today - Duration::days(31));
    for (n, chunk) in monthly[..contracts].chunks(1000).enumerate() {
        let (mut rows, mut deals, mut calls) = (Vec::new(), Vec::new(), Vec::new());
        for (k, kg) in chunk.iter().enumerate() {
            let i = n * 1000 + k;
            let id = format!("00000000-0000-7000-8104-{i:012}");
            let deal = format!("00000000-0000-7000-8105-{i:012}");
            let stream = stream_id(i);
            let (min, max) = (kg / 4, kg / 2);
            rows.push(format!(
                "('{id}', '{stream}', '{producer}', '{buyer}', '{buyer}', 'active', '{start}', '{end}', \
                 {min}, {max}, 2000, '{{}}', 'pickup', 'concrete', '{{}}', '{{}}', '', 1, '{now}', '{now}')"
            ));
            let delivered = rng.random_range(min / 2..max * 5 / 4);
            deals.push(format!(
                "('{deal}', NULL, '{stream}', '{producer}', '{buyer}', 2000, {max}, {amount}, 'concrete', \
                 'in_transfer', 'contract_call_off', {delivered}, 1, '{now}', '{now}')",
                amount = max / 1000 * 2000
            ));
            calls.push(format!(
                "('{deal}', '{id}', '{last}', {min}, {max}, '{now}')"
            ));
        }
        conn.batch_execute(&format!(
            "BEGIN;
             INSERT INTO supply_contracts (id, listing_id, producer_org_id, receiver_org_id,
               proposed_by_org_id, status, start_month, end_month, min_monthly_kg, max_monthly_kg,
               price_fen_per_t, price_schedule, delivery_terms, intended_use, property_bounds,
               min_grades, message, version, created_at, updated_at) VALUES {};
             INSERT INTO deals (id, offer_id, listing_id, producer_org_id, receiver_org_id,
               price_fen_per_t, quantity_kg, amount_fen, intended_use, status, status_reason,
               delivered_kg, version, created_at, updated_at) VALUES {};
             INSERT INTO call_offs (deal_id, contract_id, month, min_kg, max_kg, created_at) VALUES {};
             COMMIT;",
            rows.join(","),
            deals.join(","),
            calls.join(",")
        ))
        .expect("seed contracts");
    }
    conn.batch_execute("ANALYZE").expect("analyze");
    started.elapsed()
}

async fn run(db: BenchDb, streams: usize, demands: usize, contracts: usize) {
    let took = seed(&db, streams, demands, contracts);
    let base = db.serve().await;
    let client = reqwest::Client::new();
    let buyer = login(&client, &base, "buyer@bench.test").await;
    println!(
        "\n{} — {streams} recurring streams, {demands} recurring demands, {contracts} active contracts \
         (seeded in {:.1} s)",
        db.backend(),
        took.as_secs_f64()
    );
    let demand = |i: usize| demand_id((i * 7919) % demands);
    let (lat, wall) = drive(200, 2, |i| {
        let req = client
            .get(format!("{base}/api/v1/demands/{}/matches", demand(i)))
            .bearer_auth(&buyer)
            .send();
        async move { req.await.is_ok_and(|r| r.status().is_success()) }
    })
    .await;
    report(
        "one recurring demand against every stream (matches)",
        lat,
        wall,
    );
    let sample: serde_json::Value = client
        .get(format!("{base}/api/v1/demands/{}/matches", demand(1)))
        .bearer_auth(&buyer)
        .send()
        .await
        .expect("matches")
        .json()
        .await
        .expect("json");
    let covered = sample["items"].as_array().map_or(0, |items| {
        items
            .iter()
            .filter(|m| m["breakdown"]["monthly_coverage"].is_array())
            .count()
    });
    println!(
        "{:<58} {covered} of the first page scored month by month",
        ""
    );

    let mut conn = db.conn();
    if let DbConnection::Sqlite(c) = &mut conn {
        c.batch_execute("PRAGMA busy_timeout = 5000")
            .expect("pragma");
    }
    // The same matching in process, one demand after another: the work without HTTP and without
    // a second request sharing the two cores.
    let catalog = Catalog::load(&mut conn).expect("catalog");
    let params = Params {
        freight_fen_per_t_km: 50,
        now: wufei::db::now(),
    };
    let buyer_id: String = users::table
        .filter(users::email.eq("buyer@bench.test"))
        .select(users::id)
        .first(&mut conn)
        .expect("buyer");
    let user = CurrentUser::load(&mut conn, &buyer_id)
        .expect("load")
        .expect("user");
    let mut per_demand = Vec::new();
    for i in 0..200 {
        let started = Instant::now();
        matches::matches_for_demand(
            &mut conn,
            &catalog,
            &params,
            &user,
            &demand(i),
            &PageQuery::default(),
        )
        .expect("matches");
        per_demand.push(started.elapsed());
    }
    per_demand.sort();
    println!(
        "{:<58} p50 {:>7.2} ms   p99 {:>7.2} ms   (n=200)",
        "one recurring demand, in process",
        per_demand[100].as_secs_f64() * 1000.0,
        per_demand[197].as_secs_f64() * 1000.0
    );
    let admin = {
        // Staff read the forecast: promote the buyer's owner for the run.
        conn.batch_execute(
            "UPDATE users SET platform_role = 'staff' WHERE email = 'buyer@bench.test'",
        )
        .expect("staff");
        login(&reqwest::Client::new(), &base, "buyer@bench.test").await
    };
    // A fresh client: the server closed the idle connections during the in-process run.
    let client = reqwest::Client::new();
    let (lat, wall) = drive(20, 1, |_| {
        let req = client
            .get(format!("{base}/api/v1/alliance/yard-forecast"))
            .bearer_auth(&admin)
            .send();
        async move { req.await.is_ok_and(|r| r.status().is_success()) }
    })
    .await;
    report(
        "yard forecast, every yard (GET /alliance/yard-forecast)",
        lat,
        wall,
    );

    let started = Instant::now();
    let closed = write_tx(&mut conn, |c: &mut DbConnection| {
        call_offs::close_past_months(c)
    })
    .expect("close");
    let elapsed = started.elapsed();
    println!(
        "{:<58} {:>8.2} s for {closed} call-offs, {:.2} ms per contract",
        "close a month (close_call_off_months)",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1000.0 / closed.max(1) as f64
    );
}

#[actix_web::main]
async fn main() {
    let (streams, demands, contracts) = (
        common::env_or("WUFEI_BENCH_STREAMS", 20_000),
        common::env_or("WUFEI_BENCH_DEMANDS", 10_000),
        common::env_or("WUFEI_BENCH_CONTRACTS", 5_000),
    );
    run(BenchDb::sqlite(), streams, demands, contracts.min(streams)).await;
    if let Ok(pg) = std::env::var("WUFEI_BENCH_POSTGRES_URL") {
        run(
            BenchDb::postgres(&pg),
            streams,
            demands,
            contracts.min(streams),
        )
        .await;
    }
}
