//! Load benchmark: a realistic mix at a fixed arrival rate (open loop: requests leave on schedule
//! whether or not earlier ones have returned) against 100 000 published lots and 10 000
//! organizations, on SQLite and, with WUFEI_BENCH_POSTGRES_URL, on PostgreSQL.
//!
//!   cargo bench --bench mix
//!   WUFEI_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench mix
//!
//! Mix: search 70 %, lot view 15 %, offer 10 %, sign-in 5 %. Phases: the machine's ceiling
//! (`/health/live`, closed loop), the quiet mix, then the same mix with a sign-in flood on top.
//! The flood must not push search p99 above twice its quiet value.
//! WUFEI_BENCH_RATE (mix, req/s, default 80), WUFEI_BENCH_FLOOD (sign-ins/s, default 40),
//! WUFEI_BENCH_SECONDS (per phase, default 20), WUFEI_BENCH_LISTINGS, WUFEI_BENCH_ORGS.
//! With a read replica: `scripts/replica.sh start`, then
//!   WUFEI_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:55432/postgres \
//!   WUFEI_BENCH_REPLICA_URL=postgres://postgres@127.0.0.1:55433 cargo bench --bench mix

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{BenchDb, login, report, seed_lots, seed_orgs};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const SEARCHES: &[&str] = &[
    "category=SW02&grade=fly_ash:II&near_lat=40.65&near_lon=109.84&radius_km=50&sort=price_asc",
    "category=SW01&region_code=15020&sort=newest",
    "q=stable&min_quantity_t=1000&max_quantity_t=20000&sort=quantity_desc",
    "near_lat=40.68&near_lon=109.88&radius_km=30&sort=distance",
    "category=SW04&delivery_terms=pickup&sort=price_asc",
];

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Route {
    Search,
    View,
    Offer,
    Login,
    Flood,
}

impl Route {
    fn label(self) -> &'static str {
        match self {
            Route::Search => "search   GET /listings?…",
            Route::View => "view     GET /listings/{id}",
            Route::Offer => "offer    POST /listings/{id}/offers",
            Route::Login => "sign-in  POST /auth/login",
            Route::Flood => "flood    POST /auth/login (extra)",
        }
    }
}

struct Load {
    base: String,
    client: reqwest::Client,
    buyers: Vec<String>,
    lots: usize,
    /// Lots a road builder may take (fly ash and coal gangue): the use table refuses road base
    /// for gypsum and for steel slag without an aggregate grade, and a refused offer is not load.
    offerable: Vec<String>,
    orgs: u32,
}

/// Latencies of the answered requests and the count of failed ones, by route.
type Samples = Arc<Mutex<BTreeMap<Route, (Vec<Duration>, usize)>>>;

impl Load {
    fn request(&self, route: Route, rng: &mut StdRng) -> reqwest::RequestBuilder {
        let lot = |rng: &mut StdRng| {
            format!(
                "00000000-0000-7000-8001-{:012}",
                rng.random_range(0..self.lots)
            )
        };
        let buyer = &self.buyers[rng.random_range(0..self.buyers.len())];
        match route {
            Route::Search => self
                .client
                .get(format!("{}/api/v1/listings?{}&limit=20", self.base, SEARCHES[rng.random_range(0..SEARCHES.len())]))
                .bearer_auth(buyer),
            Route::View => self
                .client
                .get(format!("{}/api/v1/listings/{}", self.base, lot(rng)))
                .bearer_auth(buyer),
            Route::Offer => self
                .client
                .post(format!(
                    "{}/api/v1/listings/{}/offers",
                    self.base,
                    self.offerable[rng.random_range(0..self.offerable.len())]
                ))
                .bearer_auth(buyer)
                .json(&serde_json::json!({"quantity_t": "1.5", "price_per_t": "12.50", "intended_use": "road_base"})),
            Route::Login | Route::Flood => self
                .client
                .post(format!("{}/api/v1/auth/login", self.base))
                .json(&serde_json::json!({
                    "email": format!("buyer{}@bench.test", rng.random_range(2..self.orgs + 2)),
                    "password": common::PASSWORD,
                })),
        }
    }

    /// Sends the mix at `rate` req/s (plus `flood` sign-ins/s) for `secs`; every request leaves
    /// at its scheduled instant. Returns latencies by route and the wall time.
    async fn run(
        self: &Arc<Self>,
        rate: f64,
        flood: f64,
        secs: f64,
    ) -> (BTreeMap<Route, (Vec<Duration>, usize)>, Duration) {
        let mut rng = StdRng::seed_from_u64(7);
        let mut plan: Vec<(f64, Route)> = (0..(rate * secs) as usize)
            .map(|i| {
                let roll = rng.random_range(0..100);
                let route = match roll {
                    0..70 => Route::Search,
                    70..85 => Route::View,
                    85..95 => Route::Offer,
                    _ => Route::Login,
                };
                (i as f64 / rate, route)
            })
            .collect();
        if flood > 0.0 {
            plan.extend((0..(flood * secs) as usize).map(|i| (i as f64 / flood, Route::Flood)));
        }
        plan.sort_by(|a, b| a.0.total_cmp(&b.0));
        let samples: Samples = Arc::default();
        let started = Instant::now();
        let mut handles = Vec::with_capacity(plan.len());
        for (at, route) in plan {
            actix_web::rt::time::sleep_until((started + Duration::from_secs_f64(at)).into()).await;
            let req = self.request(route, &mut rng);
            let samples = samples.clone();
            handles.push(actix_web::rt::spawn(async move {
                let t = Instant::now();
                let ok = match req.send().await {
                    Ok(res) => res.status().is_success() && res.bytes().await.is_ok(),
                    Err(_) => false,
                };
                let took = t.elapsed();
                let mut samples = samples.lock().expect("samples");
                let entry = samples.entry(route).or_default();
                if ok {
                    entry.0.push(took);
                } else {
                    entry.1 += 1;
                }
            }));
        }
        for h in handles {
            h.await.expect("request task");
        }
        let wall = started.elapsed();
        let samples = std::mem::take(&mut *samples.lock().expect("samples"));
        (samples, wall)
    }
}

fn p99(latencies: &[Duration]) -> Duration {
    let mut l = latencies.to_vec();
    l.sort();
    l[((l.len() as f64 * 0.99) as usize).min(l.len() - 1)]
}

async fn run(db: BenchDb, lots: usize, orgs: u32, rate: f64, flood: f64, secs: f64) {
    let took = seed_lots(&db, lots);
    let t = Instant::now();
    seed_orgs(&mut db.conn(), 2, orgs, "receiver", |n| {
        format!("buyer{n}@bench.test")
    });
    let offerable: Vec<String> = {
        use diesel::prelude::*;
        use wufei::db::schema::listings;
        listings::table
            .filter(listings::category_code.eq_any(["SW02", "SW04"]))
            .select(listings::id)
            .limit(20_000)
            .load(&mut db.conn())
            .expect("offerable lots")
    };
    let base = db.serve().await;
    let client = reqwest::Client::new();
    let mut buyers = Vec::new();
    for n in 2..22 {
        buyers.push(login(&client, &base, &format!("buyer{n}@bench.test")).await);
    }
    println!(
        "\n{} — {lots} published lots (seeded in {:.1} s), {orgs} organizations ({:.1} s); mix at {rate} req/s, flood {flood}/s, {secs} s per phase",
        db.backend(),
        took.as_secs_f64(),
        t.elapsed().as_secs_f64()
    );
    common::ceiling(&client, &base, 4000, 16).await;
    let load = Arc::new(Load {
        base,
        client,
        buyers,
        lots,
        offerable,
        orgs,
    });
    // Warm the caches and the pool before measuring.
    load.run(rate, 0.0, 5.0).await;
    let mut search_p99 = Vec::new();
    for (phase, extra) in [("quiet mix", 0.0), ("mix + sign-in flood", flood)] {
        let (samples, wall) = load.run(rate, extra, secs).await;
        let answered: usize = samples.values().map(|s| s.0.len()).sum();
        let failed: usize = samples.values().map(|s| s.1).sum();
        println!(
            "{phase}: {answered} answered in {:.1} s = {:.1} req/s, {failed} failed",
            wall.as_secs_f64(),
            answered as f64 / wall.as_secs_f64()
        );
        for (route, (lat, failed)) in &samples {
            report(
                &format!("  {} ({failed} failed)", route.label()),
                lat.clone(),
                wall,
            );
        }
        search_p99.push(p99(&samples[&Route::Search].0));
    }
    // With a replica, the share of replica-routed reads it answered (the rest fell back to the
    // primary: a write of one's own too recent for it, or the replica lagging).
    let ready: serde_json::Value = load
        .client
        .get(format!("{}/health/ready", load.base))
        .send()
        .await
        .expect("ready")
        .json()
        .await
        .expect("ready json");
    if let Some(replica) = ready.get("replica").filter(|r| !r.is_null()) {
        let served = replica["reads_served"].as_f64().unwrap_or_default();
        let primary = replica["reads_on_primary"].as_f64().unwrap_or_default();
        println!(
            "replica {}: served {served} reads, {primary} went to the primary ({:.1} % on the replica)",
            replica["status"],
            100.0 * served / (served + primary).max(1.0)
        );
    }
    let ratio = search_p99[1].as_secs_f64() / search_p99[0].as_secs_f64();
    println!(
        "search p99 quiet {:.2} ms, under flood {:.2} ms: ×{ratio:.2} ({})",
        search_p99[0].as_secs_f64() * 1000.0,
        search_p99[1].as_secs_f64() * 1000.0,
        if ratio <= 2.0 {
            "within 2×"
        } else {
            "OVER 2×"
        }
    );
}

#[actix_web::main]
async fn main() {
    let lots = common::env_or("WUFEI_BENCH_LISTINGS", 100_000);
    let orgs = common::env_or("WUFEI_BENCH_ORGS", 10_000);
    let (rate, flood, secs) = (
        common::env_or("WUFEI_BENCH_RATE", 80.0),
        common::env_or("WUFEI_BENCH_FLOOD", 40.0),
        common::env_or("WUFEI_BENCH_SECONDS", 20.0),
    );
    run(BenchDb::sqlite(), lots, orgs, rate, flood, secs).await;
    if let Ok(pg) = std::env::var("WUFEI_BENCH_POSTGRES_URL") {
        run(BenchDb::postgres(&pg), lots, orgs, rate, flood, secs).await;
    }
}
