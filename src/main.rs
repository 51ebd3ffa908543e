//! The `wufei` command line: serve (default), migrate, seed-demo, create-admin, openapi.

use clap::{Parser, Subcommand};
use wufei::config::Settings;
use wufei::db::Db;
use wufei::error::ApiError;
use wufei::startup::Application;

#[derive(Parser)]
#[command(
    name = "wufei",
    version,
    about = "Wufei (无废) industrial solid-waste exchange"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (the default).
    Serve {
        /// Seed the demo data first (idempotent), as `seed-demo` does.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Add realistic Baotou demo organizations and users (idempotent; local use only).
    SeedDemo,
    /// Create the first admin, or make an existing user admin. The password comes from
    /// WUFEI_ADMIN_PASSWORD or, when unset, from the first line of standard input.
    CreateAdmin {
        #[arg(long)]
        email: String,
    },
    /// Print the OpenAPI document (the content of api-spec/openapi.json).
    Openapi,
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve { demo: false });
    if let Command::Openapi = command {
        print!("{}", wufei::http::openapi_json());
        return Ok(());
    }
    let settings = Settings::from_env()?;
    wufei::telemetry::init(settings.log_json);
    match command {
        Command::Serve { demo } => {
            if demo {
                seed_demo(&settings)?;
            }
            let app = Application::build(settings).await?;
            tracing::info!(port = app.port(), "wufei listening");
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            Db::connect(&settings)?.migrate()?;
            println!("migrations applied");
        }
        Command::SeedDemo => seed_demo(&settings)?,
        Command::CreateAdmin { email } => {
            let password = match std::env::var("WUFEI_ADMIN_PASSWORD") {
                Ok(p) if !p.is_empty() => p,
                _ => {
                    eprintln!("Password for {email} (one line on standard input):");
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let db = Db::connect(&settings)?;
            db.migrate()?;
            let mut conn = db.get().map_err(cli_error)?;
            let id = wufei::service::accounts::users::create_admin(&mut conn, &email, &password)
                .map_err(cli_error)?;
            println!("admin {email} ready (user id {id})");
        }
        Command::Openapi => unreachable!("handled above"),
    }
    Ok(())
}

fn seed_demo(settings: &Settings) -> anyhow::Result<()> {
    let db = Db::connect(settings)?;
    db.migrate()?;
    let mut conn = db.get().map_err(cli_error)?;
    let added = wufei::service::demo::seed(&mut conn).map_err(cli_error)?;
    println!(
        "demo data ready ({added} organizations added; password {})",
        wufei::service::demo::DEMO_PASSWORD
    );
    Ok(())
}

/// An API error as the command line shows it: the cause, or the invalid fields.
fn cli_error(e: ApiError) -> anyhow::Error {
    match e.cause {
        Some(cause) => cause.context(e.detail),
        None if !e.errors.is_empty() => {
            let fields: Vec<String> = e
                .errors
                .iter()
                .map(|f| format!("{} {}", f.field, f.message))
                .collect();
            anyhow::anyhow!("{}: {}", e.detail, fields.join("; "))
        }
        None => anyhow::anyhow!(e.detail),
    }
}
