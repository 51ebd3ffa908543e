//! Search benchmark: generates 100 000 published lots with titles and descriptions from the
//! trade's vocabulary and measures representative searches (free text among them: common and
//! rare words, Chinese and English) over HTTP, 16 in flight, on SQLite and, when
//! WUFEI_BENCH_POSTGRES_URL is set, on PostgreSQL.
//!
//!   cargo bench --bench search
//!   WUFEI_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench search
//!
//! WUFEI_BENCH_LISTINGS changes the number of lots (default 100000), WUFEI_BENCH_PRODUCERS the
//! organizations owning them (100), WUFEI_BENCH_BAOTOU the percentage around Baotou (100; the
//! rest spread over nine other cities), WUFEI_BENCH_IN_FLIGHT the concurrency (16). The national
//! scale of docs/PERFORMANCE.md:
//!
//!   WUFEI_BENCH_LISTINGS=1000000 WUFEI_BENCH_PRODUCERS=100000 WUFEI_BENCH_BAOTOU=10 \
//!     WUFEI_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench search

mod common;

use common::{BenchDb, drive, report, seed_lots};

async fn run(db: BenchDb, count: usize) {
    let requests: usize = common::env_or("WUFEI_BENCH_REQUESTS", 400);
    let in_flight: usize = common::env_or("WUFEI_BENCH_IN_FLIGHT", 16);
    let took = seed_lots(&db, count);
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
            "text, common English + quantity range + delivery, by quantity",
            "q=fly%20ash&min_quantity_t=1000&max_quantity_t=20000&delivery_terms=pickup&sort=quantity_desc&limit=20",
        ),
        (
            "text, common Chinese 粉煤灰 within 50 km, nearest first",
            "q=粉煤灰&near_lat=40.65&near_lon=109.84&radius_km=50&sort=distance&limit=20",
        ),
        (
            "text, two words 钢渣 cement, in Baotou, newest",
            "q=钢渣%20cement&region_code=1502&sort=newest&limit=20",
        ),
        ("text, rare Chinese 电解锰渣, newest", "q=电解锰渣&limit=20"),
        (
            "text, rare English cenosphere, cheapest first",
            "q=cenosphere&sort=price_asc&limit=20",
        ),
        (
            "text, one lot's number wf0004242, by quantity",
            "q=wf0004242&sort=quantity_asc&limit=20",
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
            "{label} found nothing: {page}"
        );
        let (lat, wall) = drive(requests, in_flight, |_| {
            let req = client.get(&url).bearer_auth(&token).send();
            async move { req.await.is_ok_and(|r| r.status().is_success()) }
        })
        .await;
        report(label, lat, wall);
    }
    common::ceiling(&client, &base, 2000, in_flight).await;
}

#[actix_web::main]
async fn main() {
    let count: usize = common::env_or("WUFEI_BENCH_LISTINGS", 100_000);
    run(BenchDb::sqlite(), count).await;
    if let Ok(pg) = std::env::var("WUFEI_BENCH_POSTGRES_URL") {
        run(BenchDb::postgres(&pg), count).await;
    }
}
