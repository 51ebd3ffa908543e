//! Search benchmark: generates 100 000 published lots around Baotou and measures three
//! representative searches over HTTP on SQLite and, when WUFEI_BENCH_POSTGRES_URL is set, on
//! PostgreSQL.
//!
//!   cargo bench --bench search
//!   WUFEI_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench search
//!
//! WUFEI_BENCH_LISTINGS changes the number of lots (default 100000).

mod common;

use common::{BenchDb, drive, report};
use diesel::connection::SimpleConnection;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const REGIONS: &[&str] = &[
    "150202", "150203", "150204", "150205", "150206", "150207", "150221", "150222", "150223",
];
const WORDS: &[&str] = &[
    "slag",
    "ash",
    "gangue",
    "gypsum",
    "stable",
    "fresh",
    "stockpile",
    "dry",
    "fine",
    "coarse",
    "kiln",
    "road",
];

fn seed(db: &BenchDb, count: usize) -> std::time::Duration {
    let started = std::time::Instant::now();
    let mut conn = db.conn();
    wufei::db::run_migrations(&mut conn).expect("migrations");
    let mut rng = StdRng::seed_from_u64(2026);
    let now = "2026-11-01 00:00:00";
    let org = common::seed_org(&mut conn, 1, "producer,receiver", "bench@wufei.test");
    let org = org.as_str();
    let mut sql;
    for chunk in 0..count.div_ceil(1000) {
        let mut lots = Vec::new();
        let mut grades = Vec::new();
        for i in chunk * 1000..((chunk + 1) * 1000).min(count) {
            let id = format!("00000000-0000-7000-8001-{i:012}");
            let (category, subtype) = match rng.random_range(0..4) {
                0 => ("SW01", "'steel_slag_bof'"),
                1 => ("SW02", "NULL"),
                2 => ("SW04", "NULL"),
                _ => ("SW06", "NULL"),
            };
            let title = format!(
                "{} {} {} lot {i}",
                WORDS[rng.random_range(0..WORDS.len())],
                WORDS[rng.random_range(0..WORDS.len())],
                category
            );
            let kg: i64 = rng.random_range(10..50_000) * 1000;
            let price: i64 = rng.random_range(-5_000..8_000);
            let lat = 40.2 + rng.random::<f64>() * 1.0;
            let lon = 109.3 + rng.random::<f64>() * 1.5;
            let region = REGIONS[rng.random_range(0..REGIONS.len())];
            let day = rng.random_range(1..28);
            lots.push(format!(
                "('{id}', '{org}', '{org}', '{category}', {subtype}, '{title}', 'generated lot', {kg}, {kg}, 1000, \
                 'one_off', NULL, 'new', '2026-10-{day:02} 00:00:00', NULL, '{}', 'fixed', {price}, NULL, {price}, \
                 NULL, NULL, 'published', NULL, '{region}', {lat}, {lon}, 1, '2026-10-{day:02} 00:00:00', '{now}', '{now}')",
                if rng.random_bool(0.7) { "pickup" } else { "delivered" }
            ));
            if category == "SW02" {
                let grade = ["I", "II", "III", "fail"][rng.random_range(0..4)];
                grades.push(format!(
                    "('{id}', 'fly_ash', '{grade}', 'wufei-grades-2026.1')"
                ));
            }
            grades.push(format!(
                "('{id}', 'radioactivity', 'pass', 'wufei-grades-2026.1')"
            ));
        }
        sql = format!(
            "BEGIN; INSERT INTO listings VALUES {}; INSERT INTO listing_grades (listing_id, rule, grade, rule_set) VALUES {}; COMMIT;",
            lots.join(","),
            grades.join(",")
        );
        conn.batch_execute(&sql).expect("seed lots");
    }
    conn.batch_execute("ANALYZE").expect("analyze");
    started.elapsed()
}

async fn run(db: BenchDb, count: usize) {
    let took = seed(&db, count);
    let base = db.serve().await;
    let client = reqwest::Client::new();
    let token = common::login(&client, &base, "bench@wufei.test").await;
    println!(
        "\n{} — {count} published lots (seeded in {:.1} s)",
        db.backend(),
        took.as_secs_f64()
    );
    let queries = [
        (
            "fly ash grade II or better within 50 km, cheapest first",
            "category=SW02&grade=fly_ash:II&near_lat=40.65&near_lon=109.84&radius_km=50&sort=price_asc&limit=20",
        ),
        (
            "steel slag in the city districts (region 15020*), newest",
            "category=SW01&region_code=15020&sort=newest&limit=20",
        ),
        (
            "free text + quantity range + delivery, by quantity",
            "q=stable&min_quantity_t=1000&max_quantity_t=20000&delivery_terms=pickup&sort=quantity_desc&limit=20",
        ),
        (
            "nearest lots to a cement plant (distance sort)",
            "near_lat=40.68&near_lon=109.88&radius_km=30&sort=distance&limit=20",
        ),
    ];
    for (label, query) in queries {
        let url = format!("{base}/api/v1/listings?{query}");
        // Warm up, and check the query finds something.
        let page: serde_json::Value = client
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            !page["items"].as_array().map(Vec::is_empty).unwrap_or(true),
            "{label} found nothing"
        );
        let (lat, wall) = drive(400, 8, |_| {
            let req = client.get(&url).bearer_auth(&token).send();
            async move { req.await.is_ok_and(|r| r.status().is_success()) }
        })
        .await;
        report(label, lat, wall);
    }
    let url = format!("{base}/health/live");
    let (lat, wall) = drive(2000, 8, |_| {
        let req = client.get(&url).send();
        async move { req.await.is_ok_and(|r| r.status().is_success()) }
    })
    .await;
    report("ceiling: /health/live", lat, wall);
}

#[actix_web::main]
async fn main() {
    let count: usize = std::env::var("WUFEI_BENCH_LISTINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    run(BenchDb::sqlite(), count).await;
    if let Ok(pg) = std::env::var("WUFEI_BENCH_POSTGRES_URL") {
        run(BenchDb::postgres(&pg), count).await;
    }
}
