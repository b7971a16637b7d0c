//! Carrying out a parsed command line: the explorer on a real API or on the demo server, or
//! the demo server alone. Errors reach here as values and leave as one line on stderr.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use reqwest::Url;

use crate::api::{Client, Connection, Secret, dialect};
use crate::app::{self, App, ConnectionInfo};
use crate::cli::{Cli, Command, DatasetArgs, DemoArgs, ServeArgs};
use crate::demo::{DemoConfig, DemoServer};
use crate::{logging, tui};

/// Exit status for a bad command line or configuration, as clap uses.
const USAGE: u8 = 2;

pub fn run(cli: Cli) -> ExitCode {
    let log = logging::init(cli.log_file.as_deref());
    let result = match cli.command {
        Some(Command::Demo(args)) => {
            warn_no_log(&log);
            demo(args)
        }
        Some(Command::Serve(args)) => serve(args),
        None => match (cli.connect.dialect, cli.connect.url) {
            (Some(dialect), Some(url)) => {
                warn_no_log(&log);
                explore(&dialect, url)
            }
            _ => {
                eprintln!("No connection given. Try the built-in demo:  filescope demo");
                eprintln!(
                    "Or open your API:  FILESCOPE_API_KEY=<key> filescope --dialect filejar --url https://files.example.com"
                );
                return ExitCode::from(USAGE);
            }
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            eprintln!("filescope: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// A log that cannot be opened is worth a line before the screen is taken, not a failure.
fn warn_no_log(log: &Result<std::path::PathBuf, String>) {
    if let Err(why) = log {
        eprintln!("filescope: warning: {why}; continuing without a log");
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn explore(dialect_id: &str, url: Url) -> anyhow::Result<()> {
    let dialect = dialect::by_id(dialect_id).context("unknown dialect")?;
    let key = std::env::var("FILESCOPE_API_KEY")
        .ok()
        .filter(|k| !k.trim().is_empty())
        .map(|k| Secret::new(k.trim()));
    let conn = Connection::new(dialect, url, key);
    runtime()?.block_on(explore_connection(conn))
}

fn demo_config(args: &DatasetArgs, dialect: &str, api_key: String) -> DemoConfig {
    DemoConfig {
        files: args.files,
        latency: Duration::from_millis(args.latency),
        seed: args.seed,
        api_key,
        dialect: dialect.to_string(),
    }
}

fn demo(args: DemoArgs) -> anyhow::Result<()> {
    let dialect = dialect::by_id(&args.dialect).context("unknown dialect")?;
    runtime()?.block_on(async move {
        // A key of its own each run, so nothing else on this machine can read the demo by guessing.
        let key = format!("demo-{:016x}", session_nonce());
        let server = DemoServer::start(
            "127.0.0.1:0".parse().expect("a literal address"),
            demo_config(&args.dataset, &args.dialect, key.clone()),
        )
        .await
        .context("cannot start the demo server on 127.0.0.1")?;
        let url = Url::parse(&server.base_url).context("demo server URL")?;
        let mut conn = Connection::new(dialect, url, Some(Secret::new(key)));
        conn.label = "demo".to_string();
        conn.key_source = "the demo's own key".to_string();
        tracing::info!(
            files = args.dataset.files,
            latency_ms = args.dataset.latency,
            "demo started"
        );
        let result = explore_connection(conn).await;
        server.shutdown();
        result
    })
}

/// A number that differs between runs, for the demo's key.
fn session_nonce() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::process::id())
}

async fn explore_connection(conn: Connection) -> anyhow::Result<()> {
    let caps = conn.dialect.capabilities();
    let info = ConnectionInfo {
        label: conn.label.clone(),
        dialect: conn.dialect.id(),
    };
    let client = Client::new(conn)?;
    let mut app = App::new(info, caps, caps.ui_page_size);
    let mut terminal = tui::init().context("cannot set up the terminal")?;
    let events = crossterm::event::EventStream::new();
    let result = app::run(
        &mut terminal,
        &mut app,
        client,
        events,
        tui::termination(),
        tui::suspend,
    )
    .await;
    tui::restore().context("cannot restore the terminal")?;
    result
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let _ = dialect::by_id(&args.dialect).context("unknown dialect")?;
    let key = std::env::var("FILESCOPE_API_KEY").unwrap_or_else(|_| "demo".to_string());
    let addr = args.addr;
    runtime()?.block_on(async move {
        let server = DemoServer::start(addr, demo_config(&args.dataset, &args.dialect, key))
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let mut stdout = std::io::stdout();
        writeln!(stdout, "{}", server.base_url)?;
        stdout.flush()?;
        tracing::info!(url = %server.base_url, files = args.dataset.files, "serving");
        tui::termination().await;
        server.shutdown();
        Ok(())
    })
}
