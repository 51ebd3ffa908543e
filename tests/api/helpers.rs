//! Test harness: a fresh database per test (temp SQLite file, or a PostgreSQL database created and
//! dropped around the test) and a real server on a free port.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use diesel::Connection;
use diesel::connection::SimpleConnection;
use wufei::config::Settings;
use wufei::startup::Application;

/// PostgreSQL server used when a test needs both backends (schema parity) or when the suite runs
/// on PostgreSQL: WUFEI_TEST_DATABASE_URL, or WUFEI_TEST_POSTGRES_URL, or the local default.
pub fn postgres_admin_url() -> String {
    let url = std::env::var("WUFEI_TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
        .or_else(|| std::env::var("WUFEI_TEST_POSTGRES_URL").ok())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
    plaintext(&url)
}

/// The test servers run until the test process exits, their pools still holding connections.
/// Over TLS, libpq's OpenSSL is torn down by `atexit` while those threads may still touch it,
/// which can crash the process after every test passed: the local test server is reached in
/// plain text unless the URL says otherwise.
fn plaintext(url: &str) -> String {
    if url.contains("sslmode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&sslmode=disable")
    } else {
        format!("{url}?sslmode=disable")
    }
}

pub fn on_postgres() -> bool {
    std::env::var("WUFEI_TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres"))
}

/// A PostgreSQL database that lives as long as this value.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    pub fn create() -> Self {
        let admin_url = postgres_admin_url();
        let name = format!("wufei_test_{}", uuid::Uuid::now_v7().simple());
        let mut conn = diesel::PgConnection::establish(&admin_url)
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin_url} is needed: {e}"));
        conn.batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create test database");
        let (path, query) = admin_url.split_once('?').unwrap_or((&admin_url, ""));
        let base = path
            .rsplit_once('/')
            .map(|(b, _)| b.to_string())
            .expect("database URL has a path");
        Self {
            url: format!("{base}/{name}?{query}"),
            admin_url,
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = diesel::PgConnection::establish(&self.admin_url) {
            let _ = conn.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// A fresh database of the backend under test, and the URL to reach it.
pub struct TestDatabase {
    pub url: String,
    _pg: Option<PgDatabase>,
    pub dir: tempfile::TempDir,
}

impl TestDatabase {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        if on_postgres() {
            let pg = PgDatabase::create();
            Self {
                url: pg.url.clone(),
                _pg: Some(pg),
                dir,
            }
        } else {
            Self {
                url: format!("sqlite://{}/wufei.db", dir.path().display()),
                _pg: None,
                dir,
            }
        }
    }

    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self {
            url: format!("sqlite://{}/wufei.db", dir.path().display()),
            _pg: None,
            dir,
        }
    }

    pub fn postgres() -> Self {
        let pg = PgDatabase::create();
        Self {
            url: pg.url.clone(),
            _pg: Some(pg),
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }
}

pub const JWT_SECRET: &str = "test-secret-that-is-long-enough-for-hs256-0123456789";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: TestDatabase,
    /// Where delivered emails land: the SMTP server's folder, or the file transport's.
    pub mailbox: PathBuf,
    pub smtp: Option<SmtpServer>,
}

/// Builder for a test server; `.env(...)` overrides a setting as the environment would.
pub struct TestAppBuilder {
    env: HashMap<String, String>,
    smtp: bool,
    replica: bool,
}

impl TestAppBuilder {
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }

    /// Reads through the streaming standby of the PostgreSQL under test
    /// (`WUFEI_TEST_REPLICA_URL`, its server's URL without a database: scripts/replica.sh).
    pub fn with_replica(mut self) -> Self {
        self.replica = true;
        self
    }

    /// Delivers email over SMTP to a real server (aiosmtpd) started for this test.
    pub fn with_smtp(mut self) -> Self {
        self.smtp = true;
        self
    }

    pub async fn start(self) -> TestApp {
        if std::env::var("TEST_LOG").is_ok() {
            wufei::telemetry::init(false);
        }
        let db = TestDatabase::new();
        let smtp = self.smtp.then(SmtpServer::start);
        let mut env = self.env;
        env.entry("WUFEI_JWT_SECRET".into())
            .or_insert(JWT_SECRET.into());
        let mailbox = match &smtp {
            Some(server) => {
                env.insert(
                    "WUFEI_SMTP_URL".into(),
                    format!("smtp://127.0.0.1:{}", server.port),
                );
                server.dir.clone()
            }
            None => db.dir.path().join("mail"),
        };
        env.entry("WUFEI_DATABASE_URL".into())
            .or_insert(db.url.clone());
        if self.replica {
            let server = std::env::var("WUFEI_TEST_REPLICA_URL")
                .expect("WUFEI_TEST_REPLICA_URL: the standby of scripts/replica.sh");
            let database = db.url.rsplit_once('/').expect("database URL").1;
            env.insert(
                "WUFEI_DATABASE_REPLICA_URL".into(),
                format!("{}/{database}", server.trim_end_matches('/')),
            );
        }
        env.insert("WUFEI_DATA_DIR".into(), db.dir.path().display().to_string());
        env.insert("WUFEI_BIND".into(), "127.0.0.1:0".into());
        env.entry("WUFEI_PUBLIC_URL".into())
            .or_insert("http://wufei.test".into());
        env.entry("WUFEI_OUTBOX_POLL_MS".into())
            .or_insert("100".into());
        // Every test client is one address: the per-client mail limit would count the whole
        // test's sign-ups (the limits have their own test).
        env.entry("WUFEI_MAIL_MAX_PER_CLIENT".into())
            .or_insert("100000".into());
        let settings = Settings::from_lookup(|k| env.get(k).cloned()).expect("test settings");
        let app = Application::build(settings)
            .await
            .expect("application starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                // Idle connections are dropped before the server's 5 s keep-alive ends: a
                // request sent on one the server is closing fails with IncompleteMessage.
                .pool_idle_timeout(std::time::Duration::from_secs(2))
                .build()
                .expect("http client"),
            db,
            mailbox,
            smtp,
        }
    }
}

pub fn app() -> TestAppBuilder {
    TestAppBuilder {
        env: HashMap::new(),
        smtp: false,
        replica: false,
    }
}

/// A real SMTP server (aiosmtpd, see tests/smtp_sink.py) on a free loopback port; it stores each
/// message as a file. Python comes from WUFEI_TEST_PYTHON (scripts/test sets it up).
pub struct SmtpServer {
    pub port: u16,
    pub dir: PathBuf,
    child: Option<Child>,
    _root: tempfile::TempDir,
}

impl SmtpServer {
    pub fn start() -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut server = Self {
            port,
            dir: root.path().join("inbox"),
            child: None,
            _root: root,
        };
        server.resume();
        server
    }

    /// Stops accepting connections (the SMTP server is down).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts again on the same port and folder.
    pub fn resume(&mut self) {
        let python = std::env::var("WUFEI_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_sink.py");
        let mut child = Command::new(&python)
            .arg(script)
            .arg(self.port.to_string())
            .arg(&self.dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("starting the SMTP server with {python}: {e} (run scripts/test)")
            });
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("SMTP server output");
        assert_eq!(
            line.trim(),
            "ready",
            "aiosmtpd must be installed (run scripts/test)"
        );
        self.child = Some(child);
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A delivered email, decoded.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Mail {
    /// The single-use token of the link in the message.
    pub fn token(&self) -> String {
        let start = self.text.find("token=").expect("a link with a token") + "token=".len();
        self.text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }
}

fn parse_mail(raw: &[u8]) -> Mail {
    let parsed = mailparse::parse_mail(raw).expect("parsable email");
    let header = |name: &str| {
        parsed
            .headers
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case(name))
            .map(|h| h.get_value())
            .unwrap_or_default()
    };
    let mut text = String::new();
    let mut html = String::new();
    for part in parsed.parts() {
        match part.ctype.mimetype.as_str() {
            "text/plain" => text = part.get_body().unwrap_or_default(),
            "text/html" => html = part.get_body().unwrap_or_default(),
            _ => {}
        }
    }
    Mail {
        to: header("To"),
        subject: header("Subject"),
        text,
        html,
    }
}

pub async fn spawn_app() -> TestApp {
    app().start().await
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// Every email delivered so far to `to`.
    pub fn mails_to(&self, to: &str) -> Vec<Mail> {
        let Ok(entries) = std::fs::read_dir(&self.mailbox) else {
            return Vec::new();
        };
        let mut mails: Vec<(std::time::SystemTime, Mail)> = entries
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .filter_map(|e| {
                let raw = std::fs::read(e.path()).ok()?;
                let modified = e.metadata().ok()?.modified().ok()?;
                Some((modified, parse_mail(&raw)))
            })
            .filter(|(_, m)| m.to.contains(to))
            .collect();
        mails.sort_by_key(|(t, _)| *t);
        mails.into_iter().map(|(_, m)| m).collect()
    }

    /// Waits (up to 15 s) for the `n`-th email to `to` and returns it.
    pub async fn wait_for_mail(&self, to: &str, n: usize) -> Mail {
        for _ in 0..150 {
            let mails = self.mails_to(to);
            if mails.len() >= n {
                return mails[n - 1].clone();
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("no email #{n} to {to} arrived");
    }

    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request sent")
    }

    pub async fn get_as(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn patch(
        &self,
        path: &str,
        token: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.client
            .patch(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// Any method (GET, PATCH, or POST for the rest) with a JSON body (not sent with GET), as
    /// `token` if given; returns the status and the body text.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &serde_json::Value,
    ) -> (u16, String) {
        let url = self.url(path);
        let mut req = match method {
            "GET" => self.client.get(url),
            "PATCH" => self.client.patch(url).json(body),
            "PUT" => self.client.put(url).json(body),
            _ => self.client.post(url).json(body),
        };
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("request sent");
        (res.status().as_u16(), res.text().await.unwrap())
    }

    /// GET as `token`, the body as JSON.
    pub async fn get_json(&self, path: &str, token: &str) -> serde_json::Value {
        self.get_as(path, token)
            .await
            .json()
            .await
            .expect("a JSON body")
    }

    /// Follows `next_cursor` from `path` (which has a query string) and collects the ids of
    /// every page.
    pub async fn all_pages(&self, path: &str, token: &str) -> Vec<String> {
        let mut ids = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..1000 {
            let page_path = match &cursor {
                Some(c) => format!("{path}&cursor={c}"),
                None => path.to_string(),
            };
            let page = self.get_json(&page_path, token).await;

            ids.extend(
                page["items"]
                    .as_array()
                    .expect("items")
                    .iter()
                    .map(|i| i["id"].as_str().unwrap_or_default().to_string()),
            );
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return ids,
            }
        }
        panic!("pages of {path} do not end");
    }

    /// A direct database connection, for arranging what no public route can (the first admin).
    /// On SQLite it waits for the write lock as the service's own connections do.
    pub fn conn(&self) -> wufei::db::DbConnection {
        let mut conn = wufei::db::DbConnection::establish(
            &wufei::db::connection_string(&self.db.url).unwrap(),
        )
        .unwrap();
        if let wufei::db::DbConnection::Sqlite(c) = &mut conn {
            c.batch_execute("PRAGMA busy_timeout = 5000").unwrap();
        }
        conn
    }

    /// Signs in and returns the token pair.
    pub async fn login(&self, email: &str, password: &str) -> serde_json::Value {
        let res = self
            .post(
                "/api/v1/auth/login",
                None,
                &serde_json::json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(res.status(), 200, "login of {email}");
        res.json().await.unwrap()
    }

    /// A demo user (`wufei seed-demo`) signed in; returns the access token.
    pub async fn demo_token(&self, email: &str) -> String {
        self.login(email, wufei::service::demo::DEMO_PASSWORD).await["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// An admin created as `wufei create-admin` does, signed in; returns the access token.
    pub async fn admin_token(&self) -> String {
        let email = "admin@alliance.test";
        wufei::service::accounts::users::create_admin(&mut self.conn(), email, PASSWORD).unwrap();
        self.login(email, PASSWORD).await["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Registers `email` with a new organization, follows the verification email and signs in.
    pub async fn signup(
        &self,
        email: &str,
        legal_name: &str,
        uscc: &str,
        kinds: &[&str],
    ) -> Account {
        let res = self
            .post(
                "/api/v1/auth/register",
                None,
                &registration(email, legal_name, uscc, kinds),
            )
            .await;
        assert_eq!(
            res.status(),
            202,
            "register {email}: {}",
            res.text().await.unwrap_or_default()
        );
        let mail = self.wait_for_mail(email, 1).await;
        let res = self
            .post(
                "/api/v1/auth/verify-email",
                None,
                &serde_json::json!({"token": mail.token()}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let tokens = self.login(email, PASSWORD).await;
        let access = tokens["access_token"].as_str().unwrap().to_string();
        let me: serde_json::Value = self
            .get_as("/api/v1/me", &access)
            .await
            .json()
            .await
            .unwrap();
        Account {
            access,
            refresh: tokens["refresh_token"].as_str().unwrap().to_string(),
            organization_id: me["organization"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            user_id: me["user"]["id"].as_str().unwrap().to_string(),
        }
    }

    /// Signs up an organization and has the admin verify it.
    pub async fn verified(
        &self,
        email: &str,
        legal_name: &str,
        uscc: &str,
        kinds: &[&str],
        admin: &str,
    ) -> Account {
        let account = self.signup(email, legal_name, uscc, kinds).await;
        let org = &account.organization_id;
        let res = self
            .post(
                &format!("/api/v1/organizations/{org}/verification"),
                Some(&account.access),
                &serde_json::json!({}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let res = self
            .post(
                &format!("/api/v1/moderation/organizations/{org}/decision"),
                Some(admin),
                &serde_json::json!({"decision": "verify", "reason": "licence checked"}),
            )
            .await;
        assert_eq!(res.status(), 200);
        account
    }
}

pub const PASSWORD: &str = "Gangue-Kiln-Poplar-47-river";

pub struct Account {
    pub access: String,
    pub refresh: String,
    pub organization_id: String,
    pub user_id: String,
}

pub fn registration(
    email: &str,
    legal_name: &str,
    uscc: &str,
    kinds: &[&str],
) -> serde_json::Value {
    serde_json::json!({
        "email": email,
        "password": PASSWORD,
        "display_name": "Zhang Wei",
        "language": "en",
        "organization": {
            "legal_name": legal_name,
            "uscc": uscc,
            "kinds": kinds,
            "site": {"name": "Main plant", "region_code": "150203", "address": "Kundulun District, Baotou",
                     "lat": 40.63, "lon": 109.84}
        }
    })
}

/// Asserts the response is problem+json with the given status and code; returns the body.
pub async fn assert_problem(res: reqwest::Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        ct.starts_with("application/problem+json"),
        "content type {ct}"
    );
    let body: serde_json::Value = res.json().await.expect("problem body");
    assert_eq!(body["code"], code, "problem {body}");
    assert_eq!(body["status"], status);
    body
}
