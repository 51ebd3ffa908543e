//! The `wufei` command line: serve (default), migrate, seed-demo, create-admin, openapi.

use clap::{Parser, Subcommand};
use wufei::config::Settings;
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
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document (the content of api-spec/openapi.json).
    Openapi,
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Openapi = command {
        print!("{}", wufei::http::openapi_json());
        return Ok(());
    }
    let settings = Settings::from_env()?;
    wufei::telemetry::init(settings.log_json);
    match command {
        Command::Serve => {
            let app = Application::build(settings).await?;
            tracing::info!(port = app.port(), "wufei listening");
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            let db = wufei::db::Db::connect(&settings)?;
            db.migrate()?;
            println!("migrations applied");
        }
        Command::Openapi => unreachable!("handled above"),
    }
    Ok(())
}
