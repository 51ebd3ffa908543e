//! Public pages benchmark: the demo city's dashboard and market board, in both languages, one at a
//! time and 8 in flight. Prints the client's latency and the server's own render time (the
//! `Server-Timing` header), on SQLite and, when WUFEI_BENCH_POSTGRES_URL is set, on PostgreSQL.
//!
//!   cargo bench --bench pages
//!   WUFEI_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench pages
//!
//! WUFEI_BENCH_REQUESTS changes the number of requests per line (default 400).

mod common;

use std::time::Duration;

use common::{BenchDb, ceiling, drive, env_or, report};

/// The render time a response states, in milliseconds.
fn render_ms(res: &reqwest::Response) -> Option<f64> {
    res.headers()
        .get("server-timing")?
        .to_str()
        .ok()?
        .split("dur=")
        .nth(1)?
        .parse()
        .ok()
}

async fn run(db: BenchDb) {
    let requests: usize = env_or("WUFEI_BENCH_REQUESTS", 400);
    {
        let mut conn = db.conn();
        wufei::db::run_migrations(&mut conn).expect("migrations");
        wufei::service::demo::seed(&mut conn).expect("demo data");
    }
    let base = db.serve().await;
    let client = reqwest::Client::new();
    println!("-- {} (demo city)", db.backend());
    ceiling(&client, &base, requests, 8).await;
    for path in [
        "/dashboard?lang=zh",
        "/dashboard?lang=en",
        "/board?lang=zh",
        "/board?lang=en&category=SW01",
    ] {
        for concurrency in [1, 8] {
            let renders = std::sync::Mutex::new(Vec::new());
            let url = format!("{base}{path}");
            let (lat, wall) = drive(requests, concurrency, |_| {
                let req = client.get(&url).send();
                let renders = &renders;
                async move {
                    let Ok(res) = req.await else { return false };
                    if let Some(ms) = render_ms(&res) {
                        renders
                            .lock()
                            .unwrap()
                            .push(Duration::from_secs_f64(ms / 1000.0));
                    }
                    res.status().is_success() && res.bytes().await.is_ok()
                }
            })
            .await;
            report(&format!("GET {path}, {concurrency} in flight"), lat, wall);
            let mut renders = renders.into_inner().unwrap();
            renders.sort();
            let pct =
                |p: f64| renders[((renders.len() as f64 * p) as usize).min(renders.len() - 1)];
            println!(
                "  server render (Server-Timing){:>44} p50 {:>7.2} ms   p99 {:>7.2} ms",
                "",
                pct(0.50).as_secs_f64() * 1000.0,
                pct(0.99).as_secs_f64() * 1000.0
            );
        }
    }
}

#[actix_web::main]
async fn main() {
    run(BenchDb::sqlite()).await;
    if let Ok(url) = std::env::var("WUFEI_BENCH_POSTGRES_URL") {
        run(BenchDb::postgres(&url)).await;
    }
}
