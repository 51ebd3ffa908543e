//! Search benchmark: generates 100 000 published lots around Baotou and measures three
//! representative searches over HTTP on SQLite and, when WUFEI_BENCH_POSTGRES_URL is set, on
//! PostgreSQL.
//!
//!   cargo bench --bench search
//!   WUFEI_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench search
//!
//! WUFEI_BENCH_LISTINGS changes the number of lots (default 100000).

mod common;

use common::{BenchDb, drive, report, seed_lots};

async fn run(db: BenchDb, count: usize) {
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
    common::ceiling(&client, &base, 2000, 8).await;
}

#[actix_web::main]
async fn main() {
    let count: usize = common::env_or("WUFEI_BENCH_LISTINGS", 100_000);
    run(BenchDb::sqlite(), count).await;
    if let Ok(pg) = std::env::var("WUFEI_BENCH_POSTGRES_URL") {
        run(BenchDb::postgres(&pg), count).await;
    }
}
