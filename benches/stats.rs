//! Statistics and ledger benchmark: 100 000 completed deals with 1 000 000 truckloads; one
//! producer holds 100 000 of them; and a city of 2 000 producers declaring every month for three
//! years (72 000 declarations). Prints the time of the staff flows (JSON and CSV), the public
//! summary, the producer's streamed ledger, and the city's annual report (staff JSON and CSV,
//! public), on SQLite and, when WUFEI_BENCH_POSTGRES_URL is set, on PostgreSQL.
//!
//!   cargo bench --bench stats
//!   WUFEI_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench stats
//!
//! WUFEI_BENCH_DEALS changes the number of deals (default 100000; ten truckloads each);
//! WUFEI_BENCH_DECLARING changes the number of declaring organizations (default 2000).

mod common;

use std::time::Instant;

use common::{BenchDb, login, seed_org};
use diesel::connection::SimpleConnection;

const USES: &[&str] = &[
    "cement",
    "concrete",
    "road_base",
    "bricks_blocks",
    "backfill_restoration",
];
const CATEGORIES: &[&str] = &["SW01", "SW02", "SW04", "SW06"];

fn seed(db: &BenchDb, deals: usize) -> std::time::Duration {
    let started = Instant::now();
    let mut conn = db.conn();
    wufei::db::run_migrations(&mut conn).expect("migrations");
    let a = seed_org(&mut conn, 1, "producer", "producer@bench.test");
    let b = seed_org(&mut conn, 3, "producer", "other@bench.test");
    let receiver = seed_org(&mut conn, 2, "receiver", "receiver@bench.test");
    let mut sql = String::new();
    for (n, org) in [&a, &b].iter().enumerate() {
        let rows: Vec<String> = (0..100)
            .map(|i| {
                format!(
                    "('00000000-0000-7000-8002-{n:04}{i:08}', '{org}', '{org}', '{}', NULL, 'lot', 'bench', 1000000000, 0, 1000, \
                     'one_off', 'new', '2026-01-01 00:00:00', 'pickup', 'offers', 'published', '150203', 40.65, 109.84, \
                     '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
                    CATEGORIES[i % CATEGORIES.len()]
                )
            })
            .collect();
        sql += &format!(
            "INSERT INTO listings (id, organization_id, site_id, category_code, subtype, title, description, quantity_kg, \
             remaining_kg, min_order_kg, supply_pattern, generation, available_from, delivery_terms, pricing_model, status, \
             region_code, lat, lon, published_at, created_at, updated_at) VALUES {};",
            rows.join(",")
        );
    }
    conn.batch_execute(&sql).expect("lots");
    // The first tenth of the deals belong to producer A: 100 000 truckloads at the default size.
    for chunk in 0..deals.div_ceil(1000) {
        let (mut offers, mut deal_rows, mut trucks) = (Vec::new(), Vec::new(), Vec::new());
        for i in chunk * 1000..((chunk + 1) * 1000).min(deals) {
            let (n, org) = if i < deals / 10 { (0, &a) } else { (1, &b) };
            let lot = format!("00000000-0000-7000-8002-{n:04}{:08}", i % 100);
            let offer = format!("00000000-0000-7000-8004-{i:012}");
            let deal = format!("00000000-0000-7000-8005-{i:012}");
            let day = format!("2026-{:02}-{:02} 12:00:00", i % 12 + 1, i % 28 + 1);
            let use_ = USES[i % USES.len()];
            offers.push(format!(
                "('{offer}', '{lot}', '{receiver}', '{receiver}', 300000, 1000, '{use_}', '', '2027-01-01 00:00:00', 'accepted', '{day}', '{day}')"
            ));
            deal_rows.push(format!(
                "('{deal}', '{offer}', '{lot}', '{org}', '{receiver}', 1000, 300000, 300000, '{use_}', 'completed', 300000, '{day}', '{day}', '{day}')"
            ));
            for t in 0..10 {
                trucks.push(format!(
                    "('00000000-0000-7000-8006-{i:010}{t:02}', '{deal}', 'WF-B-{i:010}{t:02}', 'Shunda', 'B1', 'Wang', 'T', 45000, 15000, 30000, \
                     '{day}', 30000, '{day}', FALSE, '{receiver}', '{day}')"
                ));
            }
        }
        conn.batch_execute(&format!(
            "BEGIN; INSERT INTO offers (id, listing_id, organization_id, user_id, quantity_kg, price_fen_per_t, intended_use, message, \
             expires_at, status, created_at, updated_at) VALUES {}; \
             INSERT INTO deals (id, offer_id, listing_id, producer_org_id, receiver_org_id, price_fen_per_t, quantity_kg, amount_fen, \
             intended_use, status, delivered_kg, completed_at, created_at, updated_at) VALUES {}; \
             INSERT INTO transfers (id, deal_id, manifest_no, carrier, vehicle_plate, driver, ticket_no, gross_kg, tare_kg, net_kg, \
             dispatched_at, received_net_kg, received_at, difference_flagged, recorded_by, created_at) VALUES {}; COMMIT;",
            offers.join(","),
            deal_rows.join(","),
            trucks.join(",")
        ))
        .expect("deals");
    }
    seed_declarations(&mut conn, common::env_or("WUFEI_BENCH_DECLARING", 2000));
    conn.batch_execute("ANALYZE").expect("analyze");
    started.elapsed()
}

/// `orgs` producers across six districts, each declaring one category every month of
/// 2024–2026, and the city's output values.
fn seed_declarations(conn: &mut wufei::db::DbConnection, orgs: u32) {
    let ids = common::seed_orgs(conn, 10_000, orgs, "producer", |n| {
        format!("p{n}@bench.test")
    });
    let districts = ["150202", "150203", "150204", "150205", "150206", "150207"];
    for chunk in ids.chunks(100) {
        let mut rows = Vec::new();
        for (k, org) in chunk.iter().enumerate() {
            let n = k + org.len();
            let category = CATEGORIES[n % CATEGORIES.len()];
            let region = districts[n % districts.len()];
            for year in 2024..=2026 {
                for month in 1..=12 {
                    let g = 1_000_000 + (n as i64 % 97) * 10_000;
                    rows.push(format!(
                        "('00000000-0000-7000-8007-{}{year}{month:02}', '{org}', '{org}', '{category}', '{year}-{month:02}', '{region}', \
                         {g}, {}, {}, 0, {}, {}, {}, NULL, '{org}', 1, '2026-11-01 00:00:00', '2026-11-01 00:00:00')",
                        &org[24..],
                        g / 2,
                        g / 4,
                        g / 10,
                        g * 3,
                        g / 20,
                    ));
                }
            }
        }
        conn.batch_execute(&format!(
            "INSERT INTO declarations (id, organization_id, site_id, category_code, period, region_code, generated_kg, \
             utilised_in_house_kg, sent_out_kg, sent_out_on_exchange_kg, disposed_kg, stored_end_kg, prior_stock_utilised_kg, \
             sent_out_reason, declared_by, version, created_at, updated_at) VALUES {};",
            rows.join(",")
        ))
        .expect("declarations");
    }
    conn.batch_execute(
        "INSERT INTO output_values (year, region_code, value_fen, source, updated_by, updated_at) VALUES \
         (2025, '150200', 3800000000000, 'bench', '00000000-0000-7000-8000-000000010000', '2026-11-01 00:00:00'), \
         (2026, '150200', 3900000000000, 'bench', '00000000-0000-7000-8000-000000010000', '2026-11-01 00:00:00')",
    )
    .expect("output values");
}

async fn timed(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    accept: &str,
) -> (f64, usize) {
    let started = Instant::now();
    let mut req = client.get(url).header("accept", accept);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("request");
    assert!(res.status().is_success(), "{url}: {}", res.status());
    let body = res.bytes().await.expect("body");
    (started.elapsed().as_secs_f64() * 1000.0, body.len())
}

async fn run(db: BenchDb, deals: usize) {
    let took = seed(&db, deals);
    let base = db.serve().await;
    let client = reqwest::Client::new();
    let staff = {
        let mut conn = db.conn();
        wufei::service::accounts::users::create_admin(
            &mut conn,
            "admin@bench.test",
            common::PASSWORD,
        )
        .expect("admin");
        login(&client, &base, "admin@bench.test").await
    };
    let producer = login(&client, &base, "producer@bench.test").await;
    println!(
        "\n{} — {deals} completed deals, {} truckloads (seeded in {:.1} s)",
        db.backend(),
        deals * 10,
        took.as_secs_f64()
    );
    let flows = format!("{base}/api/v1/stats/flows");
    for (label, url, token, accept) in [
        (
            "staff flows, JSON (GET /stats/flows)",
            flows.clone(),
            Some(staff.as_str()),
            "application/json",
        ),
        (
            "staff flows, CSV",
            flows.clone(),
            Some(staff.as_str()),
            "text/csv",
        ),
        (
            "public summary (GET /stats/summary)",
            format!("{base}/api/v1/stats/summary"),
            None,
            "application/json",
        ),
        (
            "annual report, staff JSON (GET /city/report?year=2026)",
            format!("{base}/api/v1/city/report?year=2026"),
            Some(staff.as_str()),
            "application/json",
        ),
        (
            "annual report, staff CSV",
            format!("{base}/api/v1/city/report?year=2026"),
            Some(staff.as_str()),
            "text/csv",
        ),
        (
            "annual report, public (GET /city/summary?year=2026)",
            format!("{base}/api/v1/city/summary?year=2026"),
            None,
            "application/json",
        ),
        (
            "producer ledger, streamed CSV (GET /organizations/{id}/ledger)",
            format!("{base}/api/v1/organizations/00000000-0000-7000-8000-000000000001/ledger"),
            Some(producer.as_str()),
            "text/csv",
        ),
    ] {
        let mut times = Vec::new();
        let mut size = 0;
        for _ in 0..3 {
            let (ms, bytes) = timed(&client, &url, token, accept).await;
            times.push(ms);
            size = bytes;
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{label:<62} median {:>8.1} ms of 3   ({size} bytes)",
            times[1]
        );
    }
}

#[actix_web::main]
async fn main() {
    let deals: usize = common::env_or("WUFEI_BENCH_DEALS", 100_000);
    run(BenchDb::sqlite(), deals).await;
    if let Ok(pg) = std::env::var("WUFEI_BENCH_POSTGRES_URL") {
        run(BenchDb::postgres(&pg), deals).await;
    }
}
