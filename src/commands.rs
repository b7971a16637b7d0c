//! Carrying out a parsed command line: the explorer on a real API or on the demo server, or
//! the demo server alone. Errors reach here as values and leave as one line on stderr.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use reqwest::Url;

use crate::api::{Client, Connection, Filter, Secret, Sort, dialect, filter};
use crate::app::{self, App, ConnectionInfo};
use crate::cli::{Cli, Command, ConnectArgs, DatasetArgs, DemoArgs, LsArgs, ServeArgs};
use crate::demo::{DemoConfig, DemoServer};
use crate::{logging, ls, tui};

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
        Some(Command::Ls(args)) => return ls(args),
        None => match (&cli.connect.dialect, &cli.connect.url) {
            (Some(_), Some(_)) => {
                warn_no_log(&log);
                explore(cli.connect)
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

/// The connection the flags describe; the key comes from `FILESCOPE_API_KEY`.
fn connection(args: ConnectArgs) -> anyhow::Result<Connection> {
    let (Some(dialect_id), Some(url)) = (args.dialect, args.url) else {
        anyhow::bail!("no connection given: pass --dialect and --url");
    };
    let dialect = dialect::by_id(&dialect_id).context("unknown dialect")?;
    let key = std::env::var("FILESCOPE_API_KEY")
        .ok()
        .filter(|k| !k.trim().is_empty())
        .map(|k| Secret::new(k.trim()));
    let mut conn = Connection::new(dialect, url, key);
    conn.headers = args.headers;
    conn.path_prefix = args.path_prefix;
    Ok(conn)
}

fn explore(args: ConnectArgs) -> anyhow::Result<()> {
    let conn = connection(args)?;
    runtime()?.block_on(explore_connection(conn))
}

/// `filescope ls`: exit statuses as documented in docs/LS.md.
fn ls(args: LsArgs) -> ExitCode {
    let fail = |code: u8, message: &dyn std::fmt::Display| {
        tracing::error!("ls: {message}");
        eprintln!("filescope: {message}");
        ExitCode::from(code)
    };
    let conn = match connection(args.connect) {
        Ok(conn) => conn,
        Err(e) => return fail(ls::exit::USAGE, &e),
    };
    let mut filter = match ls_filter(&conn, args.search.as_deref(), args.filter.as_deref()) {
        Ok(f) => f,
        Err(e) => return fail(ls::exit::USAGE, &e),
    };
    filter.text = filter.text.trim().to_string();
    let terminal = std::io::stdout().is_terminal();
    let format = args.format.unwrap_or(if terminal {
        ls::Format::Table
    } else {
        ls::Format::Ndjson
    });
    let opts = ls::Options {
        sort: args.sort.map(|field| Sort {
            field,
            order: args.order.unwrap_or(field.natural_order()),
        }),
        filter,
        limit: Some(args.limit),
        all: args.all,
        format,
        raw: args.raw,
        jobs: usize::from(args.jobs),
        terminal,
    };
    let runtime = match runtime() {
        Ok(r) => r,
        Err(e) => return fail(ls::exit::UNAVAILABLE, &format!("{e:#}")),
    };
    let result = runtime.block_on(async {
        let client = Client::new(conn)?;
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        ls::run(&client, &opts, &mut out).await
    });
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => fail(e.exit_code(), &e),
    }
}

/// The search text and filter terms of `ls`, parsed for the connection's dialect.
fn ls_filter(
    conn: &Connection,
    search: Option<&str>,
    terms: Option<&str>,
) -> Result<Filter, String> {
    let mut parsed = filter::parse(terms.unwrap_or(""), &conn.dialect.filter_keys())
        .map_err(|e| format!("--filter: {e}"))?;
    if let Some(search) = search {
        parsed.text = format!("{search} {}", parsed.text);
    }
    Ok(parsed)
}

fn demo_config(args: &DatasetArgs, api_key: String) -> DemoConfig {
    DemoConfig {
        files: args.files,
        latency: Duration::from_millis(args.latency),
        seed: args.seed,
        api_key,
    }
}

fn demo(args: DemoArgs) -> anyhow::Result<()> {
    let dialect = dialect::by_id(&args.dialect).context("unknown dialect")?;
    runtime()?.block_on(async move {
        // A key of its own each run, so nothing else on this machine can read the demo by guessing.
        let key = format!("demo-{:016x}", session_nonce());
        let server = DemoServer::start(
            "127.0.0.1:0".parse().expect("a literal address"),
            demo_config(&args.dataset, key.clone()),
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
    let dialect = Arc::clone(&conn.dialect);
    let info = ConnectionInfo {
        label: conn.label.clone(),
        dialect: dialect.id(),
    };
    let client = Client::new(conn)?;
    let page_size = dialect.capabilities().ui_page_size;
    let mut app = App::new(info, dialect, page_size);
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
        let server = DemoServer::start(addr, demo_config(&args.dataset, key))
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
