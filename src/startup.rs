//! Builds the application from settings: pool, migrations, HTTP server, background workers.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Settings;
use crate::db::Db;
use crate::email::worker::Worker;
use crate::http::{self, metrics::Metrics, problems};
use crate::service::accounts::sessions::Keys;
use crate::service::market::catalog::Catalog;

/// What every handler can reach.
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub keys: Keys,
    /// The material catalog (seeded by migration, read once at start).
    pub catalog: Catalog,
    pub metrics: Metrics,
    pub routes: problems::RouteTable,
}

pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
}

/// Checks the read replica against the primary at every tick: reads go to it only while it is
/// streaming within the lag bound.
async fn watch_replica(db: Db, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let db = db.clone();
        let _ = tokio::task::spawn_blocking(move || {
            let mut primary = db.get().ok();
            if let Some(r) = db.replica() {
                r.check(primary.as_deref_mut());
            }
        })
        .await;
    }
}

impl Application {
    /// Connects, migrates and binds (port 0 picks a free port, as tests do).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = Db::connect(&settings)?;
        let migrator = db.clone();
        tokio::task::spawn_blocking(move || migrator.migrate())
            .await
            .context("migration task")??;

        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("binding {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let catalog_db = db.clone();
        let catalog = tokio::task::spawn_blocking(move || -> anyhow::Result<Catalog> {
            let mut conn = catalog_db.get().map_err(|e| anyhow::anyhow!(e.detail))?;
            let catalog = Catalog::load(&mut conn)?;
            let regraded = diesel::Connection::transaction(&mut *conn, |c| {
                crate::service::market::lots::regrade_stale(c, &catalog)
            })?;
            if regraded > 0 {
                tracing::info!(regraded, "lots regraded under the current rule set");
            }
            Ok(catalog)
        })
        .await
        .context("catalog task")??;

        let worker = Worker::new(db.clone(), &settings)?;
        tokio::spawn(worker.run());

        let metrics = Metrics::new();
        let job_runs = metrics.clone();
        tokio::spawn(crate::service::jobs::schedule(
            db.clone(),
            std::time::Duration::from_millis(settings.job_tick_ms),
            move |job, _| job_runs.job_ran(job),
        ));

        if db.replica().is_some() {
            tokio::spawn(watch_replica(
                db.clone(),
                std::time::Duration::from_millis(settings.replica_check_ms),
            ));
        }

        let spec = http::openapi();
        let state = web::Data::new(AppState {
            db,
            keys: Keys::new(&settings)?,
            catalog,
            settings: Arc::new(settings),
            metrics,
            routes: problems::RouteTable::from_spec(&spec),
        });

        let server = HttpServer::new(move || {
            let (app, _) = App::new()
                .into_utoipa_app()
                .configure(http::routes)
                .split_for_parts();
            app.app_data(state.clone())
                .app_data(problems::json_config())
                .app_data(web::PayloadConfig::new(problems::JSON_LIMIT))
                .app_data(problems::path_config())
                .app_data(problems::query_config())
                .service(SwaggerUi::new("/docs/{_:.*}").url("/api-spec/openapi.json", spec.clone()))
                .service(web::redirect("/docs", "/docs/").permanent())
                .configure(crate::pages::routes)
                .default_service(web::to(problems::fallback))
                .wrap(from_fn(problems::refuse_nul))
                .wrap(from_fn(problems::security_headers))
                .wrap(from_fn(problems::ensure_problem))
                .wrap(from_fn(http::metrics::observe))
                .wrap(TracingLogger::default())
        })
        .listen(listener)?
        .shutdown_timeout(30)
        .run();
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT/SIGTERM, then lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
