//! Shared by the benchmark programs: a fresh database of either backend, a running server, a
//! signed-in user, seeded data, and latency statistics.
// Each benchmark program compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use diesel::Connection;
use diesel::connection::SimpleConnection;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wufei::config::Settings;
use wufei::db::{DbConnection, connection_string};
use wufei::domain::grading::RULE_SET;
use wufei::startup::Application;

pub mod vocabulary;

pub const PASSWORD: &str = "Bench-Slag-Kiln-2026-river";

/// A database for one benchmark run: a temp SQLite file, or a PostgreSQL database created from
/// the admin URL and dropped at the end.
pub struct BenchDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl BenchDb {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self {
            url: format!("sqlite://{}/bench.db", dir.path().display()),
            dir,
            pg: None,
        }
    }

    pub fn postgres(admin_url: &str) -> Self {
        let name = format!("wufei_bench_{}", std::process::id());
        let mut admin =
            diesel::PgConnection::establish(admin_url).expect("PostgreSQL admin connection");
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .expect("drop db");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create db");
        let base = admin_url.rsplit_once('/').expect("URL with a database").0;
        Self {
            url: format!("{base}/{name}"),
            dir: tempfile::tempdir().expect("temp dir"),
            pg: Some((admin_url.to_string(), name)),
        }
    }

    /// The same database on a streaming standby of the PostgreSQL server, when
    /// WUFEI_BENCH_REPLICA_URL names one (`scripts/replica.sh start`: primary on 55432, standby
    /// on 55433): the service then reads from it as `WUFEI_DATABASE_REPLICA_URL`.
    fn replica_url(&self) -> Option<String> {
        let (_, name) = self.pg.as_ref()?;
        let standby = std::env::var("WUFEI_BENCH_REPLICA_URL").ok()?;
        Some(format!("{}/{name}", standby.trim_end_matches('/')))
    }

    pub fn conn(&self) -> DbConnection {
        DbConnection::establish(&connection_string(&self.url).unwrap()).expect("connect")
    }

    /// Starts the service on this database; returns its base URL.
    pub async fn serve(&self) -> String {
        let url = self.url.clone();
        let dir = self.dir.path().display().to_string();
        let replica = self.replica_url();
        let settings = Settings::from_lookup(|k| match k {
            "WUFEI_DATABASE_URL" => Some(url.clone()),
            "WUFEI_DATABASE_REPLICA_URL" => replica.clone(),
            "WUFEI_DATA_DIR" => Some(dir.clone()),
            "WUFEI_BIND" => Some("127.0.0.1:0".into()),
            "WUFEI_DB_POOL_SIZE" => Some("16".into()),
            "WUFEI_LOGIN_MAX_FAILURES" => Some("1000000".into()),
            // The periodic jobs stay out of the measurement (a run closes months on its own).
            "WUFEI_JOB_TICK_MS" => Some("3600000".into()),
            _ => None,
        })
        .expect("settings");
        let app = Application::build(settings).await.expect("application");
        let base = format!("http://127.0.0.1:{}", app.port());
        actix_web::rt::spawn(app.run_until_stopped());
        base
    }

    /// After a bulk load, what a running database's autovacuum would have done by now: the
    /// planner's statistics and, on PostgreSQL, the visibility map index-only scans read
    /// (without it the match index's scans visit every heap page: 545 ms against 51 ms).
    pub fn settle(&self) {
        let sql = if self.pg.is_some() {
            "VACUUM ANALYZE"
        } else {
            "ANALYZE"
        };
        self.conn().batch_execute(sql).expect("settle");
    }

    pub fn backend(&self) -> &'static str {
        if self.pg.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }
}

impl Drop for BenchDb {
    fn drop(&mut self) {
        if std::env::var_os("WUFEI_BENCH_KEEP").is_some() {
            // Kept for EXPLAIN: the SQLite file's folder, or the PostgreSQL database.
            let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("temp dir"));
            eprintln!("kept {} ({})", self.url, dir.keep().display());
        }
        if let Some((admin, name)) = &self.pg
            && std::env::var_os("WUFEI_BENCH_KEEP").is_none()
            && let Ok(mut c) = diesel::PgConnection::establish(admin)
        {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// A verified organization with one site (id = the organization's) and an owner who signs in
/// with `PASSWORD`. Returns the organization id.
pub fn seed_org(conn: &mut DbConnection, n: u32, kinds: &str, email: &str) -> String {
    seed_orgs(conn, n, 1, kinds, |_| email.to_string()).remove(0)
}

/// `count` verified organizations numbered from `first`, each with one site and an owner
/// (`email(n)`, password `PASSWORD`), inserted a thousand at a time with one shared hash.
pub fn seed_orgs(
    conn: &mut DbConnection,
    first: u32,
    count: u32,
    kinds: &str,
    email: impl Fn(u32) -> String,
) -> Vec<String> {
    let hash = wufei::service::accounts::passwords::hash(PASSWORD).expect("hash");
    let now = "2026-11-01 00:00:00";
    let mut ids = Vec::with_capacity(count as usize);
    let numbers: Vec<u32> = (first..first + count).collect();
    for chunk in numbers.chunks(1000) {
        let (mut orgs, mut sites, mut users) = (Vec::new(), Vec::new(), Vec::new());
        for &n in chunk {
            let org = format!("00000000-0000-7000-8000-{n:012}");
            let uscc = wufei::domain::uscc::with_check_character(&format!("91150203MA0{n:06}"))
                .expect("uscc");
            orgs.push(format!(
                "('{org}', 'Bench {n}', '{uscc}', '{kinds}', 'verified', '{now}', '{now}')"
            ));
            sites.push(format!(
                "('{org}', '{org}', 'Yard', '150203', 'Baotou', 40.65, 109.84, '{now}', '{now}')"
            ));
            users.push(format!(
                "('{org}', '{}', 'Bench', '{hash}', TRUE, 'en', '{org}', 'owner', '{now}', '{now}')",
                email(n)
            ));
            ids.push(org);
        }
        conn.batch_execute(&format!(
            "BEGIN;
             INSERT INTO organizations (id, legal_name, uscc, kinds, verification_status, created_at, updated_at) VALUES {};
             INSERT INTO sites (id, organization_id, name, region_code, address, lat, lon, created_at, updated_at) VALUES {};
             INSERT INTO users (id, email, display_name, password_hash, email_verified, language, organization_id, org_role, created_at, updated_at) VALUES {};
             COMMIT;",
            orgs.join(","),
            sites.join(","),
            users.join(",")
        ))
        .expect("seed organizations");
    }
    ids
}

/// Signs in over HTTP; returns the access token.
pub async fn login(client: &reqwest::Client, base: &str, email: &str) -> String {
    let tokens: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("tokens");
    tokens["access_token"].as_str().expect("token").to_string()
}

/// Runs `total` requests, `concurrency` at a time; returns each latency and the wall time.
pub async fn drive<F, Fut>(total: usize, concurrency: usize, make: F) -> (Vec<Duration>, Duration)
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    use futures_util::StreamExt;
    let started = Instant::now();
    let latencies: Vec<Duration> = futures_util::stream::iter(0..total)
        .map(|i| {
            let fut = make(i);
            async move {
                let t = Instant::now();
                assert!(fut.await, "request {i} failed");
                t.elapsed()
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    (latencies, started.elapsed())
}

/// A number from the environment, or its default.
pub fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The machine's ceiling for the ratio: `/health/live` alone, `concurrency` in flight.
pub async fn ceiling(client: &reqwest::Client, base: &str, total: usize, concurrency: usize) {
    let url = format!("{base}/health/live");
    let (lat, wall) = drive(total, concurrency, |_| {
        let req = client.get(&url).send();
        async move { req.await.is_ok_and(|r| r.status().is_success()) }
    })
    .await;
    report(
        &format!("ceiling: GET /health/live, {concurrency} in flight"),
        lat,
        wall,
    );
}

pub fn report(label: &str, mut latencies: Vec<Duration>, wall: Duration) {
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "{label:<58} {:>8.1} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   (n={})",
        latencies.len() as f64 / wall.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0,
        latencies.len()
    );
}

/// Seeds `count` published lots (with lab values and grades, titles and descriptions from the
/// trade's vocabulary): `WUFEI_BENCH_BAOTOU` percent of them (default 100) around Baotou, the rest
/// over nine other cities. They belong to one verified producer whose owner signs in as
/// `bench@wufei.test` and to `WUFEI_BENCH_PRODUCERS` others (default 100). Returns how long it took.
/// Where a seeded lot or demand is: a city (Baotou with `baotou` % of them, the other nine
/// sharing the rest), a point in it and one of its districts.
pub struct Place {
    pub city: usize,
    pub lat: f64,
    pub lon: f64,
    pub region: &'static str,
}

pub fn place(rng: &mut StdRng, baotou: f64) -> Place {
    let city = if rng.random_bool(baotou / 100.0) {
        0
    } else {
        rng.random_range(1..vocabulary::CITIES.len())
    };
    let (_, _, clat, clon, districts) = vocabulary::CITIES[city];
    // Baotou's lots spread over ~110 × 130 km as before; the other cities' around them.
    Place {
        city,
        lat: clat - 0.45 + rng.random::<f64>() * 1.0,
        lon: clon - 0.54 + rng.random::<f64>() * 1.5,
        region: districts[rng.random_range(0..districts.len())],
    }
}

pub fn seed_lots(db: &BenchDb, count: usize) -> std::time::Duration {
    let started = std::time::Instant::now();
    let mut conn = db.conn();
    wufei::db::run_migrations(&mut conn).expect("migrations");
    let mut rng = StdRng::seed_from_u64(2026);
    let now = "2026-11-01 00:00:00";
    let mut owners = vec![seed_org(
        &mut conn,
        1,
        "producer,receiver",
        "bench@wufei.test",
    )];
    owners.extend(seed_orgs(
        &mut conn,
        200_000,
        env_or("WUFEI_BENCH_PRODUCERS", 100),
        "producer",
        |n| format!("producer{n}@bench.test"),
    ));
    let baotou: f64 = env_or("WUFEI_BENCH_BAOTOU", 100.0);
    let mut sql;
    for chunk in 0..count.div_ceil(1000) {
        let mut lots = Vec::new();
        let mut grades = Vec::new();
        let mut props = Vec::new();
        let mut texts = Vec::new();
        for i in chunk * 1000..((chunk + 1) * 1000).min(count) {
            let org = owners[i % owners.len()].as_str();
            let id = format!("00000000-0000-7000-8001-{i:012}");
            let (category, subtype) = match rng.random_range(0..4) {
                0 => ("SW01", "'steel_slag_bof'"),
                1 => ("SW02", "NULL"),
                2 => ("SW04", "NULL"),
                _ => ("SW06", "NULL"),
            };
            let kg: i64 = rng.random_range(10..50_000) * 1000;
            let price: i64 = rng.random_range(-5_000..8_000);
            let Place {
                city,
                lat,
                lon,
                region,
            } = place(&mut rng, baotou);
            let (title, description) = vocabulary::text(&mut rng, category, city, region, i);
            texts.push(format!(
                "('{id}', '{}')",
                wufei::domain::listing::search_text(&title, &description)
            ));
            let day = rng.random_range(1..28);
            lots.push(format!(
                "('{id}', '{org}', '{org}', '{category}', {subtype}, '{title}', '{description}', {kg}, {kg}, 1000, \
                 'one_off', NULL, 'new', '2026-10-{day:02} 00:00:00', NULL, '{}', 'fixed', {price}, NULL, {price}, \
                 NULL, 'published', NULL, '{region}', {lat}, {lon}, 1, '2026-10-{day:02} 00:00:00', '{now}', '{now}')",
                if rng.random_bool(0.7) { "pickup" } else { "delivered" }
            ));
            if category == "SW02" {
                let grade = ["I", "II", "III", "fail"][rng.random_range(0..4)];
                grades.push(format!("('{id}', 'fly_ash', '{grade}', '{RULE_SET}')"));
                props.push(format!(
                    "('{id}', 'loi_pct', {:.2}, NULL)",
                    rng.random_range(2.0..12.0)
                ));
            }
            if category == "SW01" {
                let stable = if rng.random_bool(0.7) { "pass" } else { "fail" };
                grades.push(format!(
                    "('{id}', 'steel_slag_stability', '{stable}', '{RULE_SET}')"
                ));
                props.push(format!(
                    "('{id}', 'free_cao_pct', {:.2}, NULL)",
                    rng.random_range(1.0..6.0)
                ));
            }
            grades.push(format!("('{id}', 'radioactivity', 'pass', '{RULE_SET}')"));
        }
        sql = format!(
            "BEGIN; INSERT INTO listings (id, organization_id, site_id, category_code, subtype, title,
               description, quantity_kg, remaining_kg, min_order_kg, supply_pattern, monthly_kg,
               generation, available_from, available_until, delivery_terms, pricing_model,
               price_fen_per_t, reserve_fen_per_t, search_price_fen, lab_report, status,
               status_reason, region_code, lat, lon, version, published_at, created_at, updated_at)
             VALUES {};",
            lots.join(",")
        );
        sql += &format!(
            "INSERT INTO listing_texts (listing_id, search_text) VALUES {};",
            texts.join(",")
        );
        if !grades.is_empty() {
            sql += &format!(
                "INSERT INTO listing_grades (listing_id, rule, grade, rule_set) VALUES {};",
                grades.join(",")
            );
        }
        if !props.is_empty() {
            sql += &format!(
                "INSERT INTO listing_properties (listing_id, property_key, num_value, text_value) VALUES {};",
                props.join(",")
            );
        }
        sql += "COMMIT;";
        conn.batch_execute(&sql).expect("seed lots");
    }
    db.settle();
    started.elapsed()
}
