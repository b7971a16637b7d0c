//! Carrying out a parsed command line: the explorer on a real API or on the demo server, or
//! the demo server alone. Errors reach here as values and leave as one line on stderr.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::api::family::{self, Credentials, Location};
use crate::api::{Client, Connection, Filter, Secret, Sort, dialect, filter};
use crate::app::{App, ConnectionInfo};
use crate::cli::{
    Cli, Command, ConfigCommand, ConnectArgs, DemoArgs, DialectCommand, LsArgs, ServeArgs,
    StatsArgs, StatsFormat,
};
use crate::text::sanitize;
use crate::{config, logging, ls, tui};
#[cfg(feature = "demo")]
use filescope_demo::{DemoConfig, DemoServer};

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
        Some(Command::Stats(args)) => return stats(args),
        Some(Command::Profiles) => return profiles(),
        Some(Command::Dialect(command)) => return dialect_command(command),
        Some(Command::Config(command)) => return config_command(command),
        Some(Command::Completions { shell }) => {
            let mut cli = with_names(<Cli as clap::CommandFactory>::command());
            clap_complete::generate(shell, &mut cli, "filescope", &mut std::io::stdout());
            Ok(())
        }
        Some(Command::Man) => {
            manual(&mut std::io::stdout()).context("cannot write the manual page")
        }
        None => match (profile_of(&cli.connect), connection(cli.connect)) {
            (profile, Ok(Some(conn))) => {
                warn_no_log(&log);
                runtime().and_then(|rt| rt.block_on(explore_connection(conn, profile)))
            }
            (_, Ok(None)) => {
                eprintln!("No connection given. Try the built-in demo:  filescope demo");
                eprintln!(
                    "Or open your API:  FILESCOPE_API_KEY=<key> filescope --dialect filejar --url https://files.example.com"
                );
                return ExitCode::from(USAGE);
            }
            (_, Err(message)) => {
                say(&message);
                return ExitCode::from(USAGE);
            }
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let message = format!("{err:#}");
            tracing::error!("{}", sanitize(&message));
            say(&message);
            if err.downcast_ref::<config::ConfigError>().is_some() {
                ExitCode::from(USAGE)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// The explorer's settings: the configuration file's (with the profile's accent and columns,
/// for a connection opened through one), if there is one, and NO_COLOR. A bad file is an
/// error (exit status 2), not silently ignored.
fn settings(profile: Option<&str>) -> Result<config::Settings, config::ConfigError> {
    let loaded = match config::config_path() {
        Some(path) => config::load(&path)?,
        None => None,
    };
    let settings = loaded.map(|l| l.settings_for(profile)).unwrap_or_default();
    Ok(settings.with_no_color(std::env::var_os("NO_COLOR")))
}

/// The profile the flags open, if any: `-p NAME`, else the default profile, unless
/// `--dialect` and `--url` say the API themselves.
fn profile_of(args: &ConnectArgs) -> Option<String> {
    if args.url.is_some() || args.location.is_some() {
        return None;
    }
    args.profile.clone().or_else(|| {
        let loaded = config::load(&config::config_path()?).ok()??;
        loaded
            .config
            .default_profile
            .as_ref()
            .map(|d| d.get_ref().clone())
    })
}

/// One line on stderr, `filescope: …`, made safe for the terminal first: an error message may
/// carry what a server said (an escape sequence, a clipboard write), and none of it may reach
/// the terminal as it is.
fn say(message: &dyn std::fmt::Display) {
    eprintln!("filescope: {}", sanitize(&message.to_string()));
}

/// The completion script offers the configuration's profile names for `-p`/`--profile` and
/// every dialect name, built-in and declared, for `--dialect`. They are read when the script is
/// written, so a shell that sources `filescope completions SHELL` as it starts has them as they
/// are then; without a readable configuration, the built-in dialects only. A name that is not
/// plain (letters, digits, `_ - .`) is left out: the script is shell code.
fn with_names(cli: clap::Command) -> clap::Command {
    let loaded = config::config_path().and_then(|path| config::load(&path).ok().flatten());
    let profiles: Vec<String> = loaded
        .iter()
        .flat_map(|l| l.config.profiles.keys().cloned())
        .collect();
    let dialects: Vec<String> = match &loaded {
        Some(l) => l.dialect_names(),
        None => dialect::names().into_iter().map(String::from).collect(),
    };
    // clap's possible values are `&'static str` (without its `string` feature): these few
    // names live until the script is written, and the process ends then.
    let plain = |names: Vec<String>| -> Vec<&'static str> {
        names
            .into_iter()
            .filter(|n| {
                !n.is_empty()
                    && n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            })
            .map(|n| &*Box::leak(n.into_boxed_str()))
            .collect()
    };
    offer(cli, &plain(profiles), &plain(dialects))
}

/// [`with_names`] on a command and every subcommand, for the arguments that have no values
/// of their own (`demo --dialect` keeps its built-in list).
fn offer(
    cmd: clap::Command,
    profiles: &[&'static str],
    dialects: &[&'static str],
) -> clap::Command {
    cmd.mut_args(|arg| {
        let values = match arg.get_id().as_str() {
            "profile" => profiles,
            "dialect" => dialects,
            _ => return arg,
        };
        if values.is_empty() || !arg.get_possible_values().is_empty() {
            return arg;
        }
        arg.value_parser(clap::builder::PossibleValuesParser::new(values.to_vec()))
    })
    .mut_subcommands(|sub| offer(sub, profiles, dialects))
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

/// How a connection lists: one level at a time (the explorer; S3 with a delimiter), or
/// everything under the root (`ls` and `stats` on S3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Levels {
    One,
    All,
}

/// The connection a command needs, or why there is none.
fn given(found: Result<Option<Connection>, String>) -> Result<Connection, String> {
    found?.ok_or_else(|| {
        "no connection given: pass a location (s3://BUCKET/), -p NAME, or --dialect and --url"
            .to_string()
    })
}

/// The dialect and URL the command line names, if it names one: a location (`filescope
/// s3://bucket/`) or `--url`, whose scheme says the dialect when it is a family's (asked of
/// the family registry, so every family's scheme works alike), else `--dialect` must.
fn named_place(args: &ConnectArgs) -> Result<Option<(String, reqwest::Url)>, String> {
    let url = match (&args.location, &args.url) {
        (Some(text), _) => crate::api::url::parse_url(text).map_err(|why| {
            let forms: Vec<&str> = family::FAMILIES.iter().map(|f| f.url_form).collect();
            let what = match reqwest::Url::parse(text) {
                Ok(_) => why,
                Err(_) => {
                    let cli = <Cli as clap::CommandFactory>::command();
                    let commands: Vec<&str> = cli
                        .get_subcommands()
                        .filter(|c| !c.is_hide_set())
                        .map(|c| c.get_name())
                        .collect();
                    format!(
                        "neither a command ({}) nor a location",
                        commands.join(", ")
                    )
                }
            };
            format!(
                "{text:?}: {what}; a location is {} (without a bucket: the list of buckets), or an http(s):// URL with --dialect NAME",
                family::either(&forms)
            )
        })?,
        (None, Some(url)) => url.clone(),
        (None, None) => return Ok(None),
    };
    let dialect = match (&args.dialect, family::for_scheme(url.scheme())) {
        (Some(dialect), _) => dialect.clone(),
        (None, Some(family)) => family.name.to_string(),
        // A pasted Azure blob URL (its host, or a SAS in its query) is opened as is.
        (None, None) if crate::api::azure::is_azure_url(&url) => {
            crate::api::azure::FAMILY.name.to_string()
        }
        (None, None) => {
            return Err(format!(
                "{} is a JSON API's URL: say which with --dialect NAME ({})",
                crate::api::error::display_url(&url),
                dialect::names().join(", ")
            ));
        }
    };
    Ok(Some((dialect, url)))
}

/// The connection the flags describe: `--dialect` and `--url` with the key from
/// `FILESCOPE_API_KEY`, or a profile (`-p NAME`, else the configuration's default_profile).
/// `Ok(None)` when nothing says which API to open. Errors are one line, for exit status 2.
fn connection(args: ConnectArgs) -> Result<Option<Connection>, String> {
    connection_listing(args, Levels::One)
}

fn connection_listing(args: ConnectArgs, levels: Levels) -> Result<Option<Connection>, String> {
    let path = config::config_path();
    let loaded = match &path {
        Some(path) => config::load(path).map_err(|e| e.to_string())?,
        None => None,
    };
    let find = |name: &str| {
        match &loaded {
        Some(loaded) => loaded.dialect(name).ok_or_else(|| {
            format!(
                "unknown dialect {name:?}; expected one of {}",
                loaded.dialect_names().join(", ")
            )
        }),
        None => dialect::by_id(name).ok_or_else(|| {
            format!(
                "unknown dialect {name:?}; expected one of {} (or one declared in the configuration file)",
                dialect::names().join(", ")
            )
        }),
    }
    };
    // Where a family's store is (`--endpoint`, `--region`): only families take them.
    let store_flags = args.endpoint.is_some() || args.region.is_some();
    let families = family::either(&family::names().collect::<Vec<_>>());
    let command_timeout = loaded
        .as_ref()
        .map_or(crate::api::command::DEFAULT_TIMEOUT, |l| {
            l.config.network.command_timeout()
        });
    let unsigned = args.no_sign_request;
    // A family's credentials: its own chain (from a named profile of it), or none at all.
    let found = |profile: Option<String>| {
        if unsigned {
            Credentials::Unsigned
        } else {
            Credentials::Found {
                profile,
                command_timeout,
            }
        }
    };
    let mut conn = if let Some((dialect_id, url)) = named_place(&args)? {
        if let Some(family) = family::by_name(&dialect_id) {
            (family.connect)(&Location {
                url,
                endpoint: args.endpoint.map(|u| u.to_string()),
                region: args.region,
                credentials: found(None),
                path_style: None,
                levels: levels == Levels::One,
            })?
        } else {
            if let Some(family) = family::for_scheme(url.scheme()) {
                return Err(format!(
                    "{}:// URLs are for --dialect {}",
                    family.scheme, family.name
                ));
            }
            if store_flags || unsigned {
                return Err(format!(
                    "--endpoint, --region and --no-sign-request are for --dialect {families}"
                ));
            }
            let dialect = find(&dialect_id)?;
            let key = std::env::var("FILESCOPE_API_KEY")
                .ok()
                .filter(|k| !k.trim().is_empty())
                .map(|k| Secret::new(k.trim()));
            Connection::new(dialect, url, key)
        }
    } else {
        let default = loaded
            .as_ref()
            .and_then(|l| l.config.default_profile.as_ref())
            .map(|d| d.get_ref().clone());
        let Some(name) = args.profile.or(default) else {
            return Ok(None);
        };
        let Some(loaded) = &loaded else {
            let shown = path.map_or("nowhere".to_string(), |p| p.display().to_string());
            return Err(format!(
                "profile {name:?}: no configuration file at {shown}; `filescope config init` writes one"
            ));
        };
        if let Some(warning) = loaded.literal_key_warning() {
            say(&warning);
        }
        let profile = loaded.profile(&name).map_err(|e| e.to_string())?;
        let url = crate::api::url::parse_url(profile.url.get_ref())
            .map_err(|e| format!("profile {name}: url: {e}"))?;
        let mut conn = if let Some(family) = family::by_name(profile.dialect.get_ref()) {
            (family.connect)(&Location {
                url,
                endpoint: args
                    .endpoint
                    .map(|u| u.to_string())
                    .or_else(|| profile.endpoint.as_ref().map(|e| e.get_ref().clone())),
                region: args.region.or_else(|| profile.region.clone()),
                credentials: found(profile.aws_profile.clone()),
                path_style: profile.path_style,
                levels: levels == Levels::One,
            })
            .map_err(|e| format!("profile {name}: {e}"))?
        } else {
            if store_flags || unsigned {
                return Err(format!(
                    "--endpoint, --region and --no-sign-request are for the {families} dialect"
                ));
            }
            let (key, source) = config::resolve_key(&name, profile, command_timeout)?;
            let dialect = find(profile.dialect.get_ref())?;
            let mut conn = Connection::new(dialect, url, key);
            conn.key_source = source;
            conn
        };
        conn.label = name;
        conn.headers = profile
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        conn.path_prefix = profile.path_prefix.clone();
        conn.allow_delete = profile.allow_delete;
        conn
    };
    if let Some(loaded) = &loaded {
        let network = &loaded.config.network;
        conn.connect_timeout = Duration::from_secs_f64(network.connect_timeout_secs);
        conn.request_timeout = Duration::from_secs_f64(network.request_timeout_secs);
        conn.max_body_bytes = network.max_body_mb << 20;
        conn.limits.max_records = network.max_records;
        conn.retry.attempts = network.attempts;
    }
    // Flags add to (and for the prefix, override) what a profile says.
    conn.headers.extend(args.headers);
    if args.insecure {
        conn.insecure = true;
        eprintln!("filescope: warning: --insecure: the server's TLS certificate is not verified");
        tracing::warn!("TLS certificate verification is off (--insecure)");
    }
    if args.path_prefix.is_some() {
        conn.path_prefix = args.path_prefix;
    }
    Ok(Some(conn))
}

/// `filescope profiles`: name, dialect, URL and where the key comes from; never a key.
fn profiles() -> ExitCode {
    let Some(path) = config::config_path() else {
        eprintln!("filescope: no configuration directory on this machine; set FILESCOPE_CONFIG");
        return ExitCode::from(USAGE);
    };
    let loaded = match config::load(&path) {
        Ok(Some(loaded)) => loaded,
        Ok(None) => {
            eprintln!(
                "filescope: no configuration file at {}; `filescope config init` writes one",
                path.display()
            );
            return ExitCode::from(USAGE);
        }
        Err(e) => {
            say(&e);
            return ExitCode::from(USAGE);
        }
    };
    if let Some(warning) = loaded.literal_key_warning() {
        say(&warning);
    }
    if loaded.config.profiles.is_empty() {
        // Nothing on stdout (a script sees no profiles); people are told how to make one.
        eprintln!(
            "filescope: no profiles in {}; add a [profiles.NAME] table with dialect, url and api_key_env (docs/CONFIG.md; `filescope config init` writes a commented example where there is no file)",
            path.display()
        );
        return ExitCode::SUCCESS;
    }
    let default = loaded.config.default_profile.as_ref().map(|d| d.get_ref());
    let rows: Vec<[String; 4]> = loaded
        .config
        .profiles
        .iter()
        .map(|(name, p)| {
            let shown = |s: &str| crate::text::sanitize(s).into_owned();
            [
                shown(name),
                shown(p.dialect.get_ref()),
                shown(p.url.get_ref()),
                format!("key: {}", config::key_source(p)),
            ]
        })
        .collect();
    let width = |col: usize| {
        rows.iter()
            .map(|r| r[col].chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths = [width(0), width(1), width(2)];
    let mut out = std::io::stdout().lock();
    for row in &rows {
        let mark = if default == Some(&row[0]) { "*" } else { " " };
        let line = format!(
            "{mark} {:<w0$}  {:<w1$}  {:<w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
        if writeln!(out, "{}", line.trim_end()).is_err() {
            break;
        }
    }
    ExitCode::SUCCESS
}

/// `filescope config path` and `filescope config init`.
fn config_command(command: ConfigCommand) -> ExitCode {
    let Some(path) = config::config_path() else {
        eprintln!("filescope: no configuration directory on this machine; set FILESCOPE_CONFIG");
        return ExitCode::from(USAGE);
    };
    match command {
        ConfigCommand::Path => {
            println!("{}", path.display());
            ExitCode::SUCCESS
        }
        ConfigCommand::Init => {
            if path.exists() {
                eprintln!("filescope: {} exists; not overwritten", path.display());
                return ExitCode::from(USAGE);
            }
            let written = path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(&path, config::EXAMPLE));
            match written {
                Ok(()) => {
                    println!("{}", path.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("filescope: cannot write {}: {e}", path.display());
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// `filescope dialect check` and `filescope dialect infer`.
fn dialect_command(command: DialectCommand) -> ExitCode {
    let fail = |code: u8, message: &dyn std::fmt::Display| {
        tracing::error!("dialect: {}", sanitize(&message.to_string()));
        say(message);
        ExitCode::from(code)
    };
    let runtime = match runtime() {
        Ok(r) => r,
        Err(e) => return fail(ls::exit::UNAVAILABLE, &format!("{e:#}")),
    };
    match command {
        DialectCommand::Check { connect } => {
            let conn = match given(connection(connect)) {
                Ok(conn) => conn,
                Err(e) => return fail(ls::exit::USAGE, &e),
            };
            let secrets: Vec<String> = conn.secrets();
            let result = runtime.block_on(async {
                let client = Client::new(conn)?;
                crate::api::dialect::declared::check::check(&client).await
            });
            match result {
                Ok(reports) => {
                    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
                    let (text, clean) =
                        crate::api::dialect::declared::check::describe(&reports, &secrets);
                    print!("{text}");
                    if clean {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(1)
                    }
                }
                Err(e) => {
                    let e = ls::LsError::Api(e);
                    fail(e.exit_code(), &e)
                }
            }
        }
        DialectCommand::Infer {
            url,
            headers,
            auth_query,
            name,
            insecure,
        } => {
            if let Err(e) = crate::api::dialect::declared::infer::check_name(&name) {
                return fail(ls::exit::USAGE, &e);
            }
            let key = std::env::var("FILESCOPE_API_KEY")
                .ok()
                .map(|k| k.trim().to_string())
                .filter(|k| !k.is_empty());
            let mut request_url = url.clone();
            let mut send = headers.clone();
            let mut probe = crate::api::dialect::declared::infer::Probe {
                url: url.to_string(),
                key: key.clone(),
                ..Default::default()
            };
            probe.auth_header = headers
                .iter()
                .find(|(name, value)| {
                    name.eq_ignore_ascii_case("authorization")
                        || key.as_deref().is_some_and(|k| value.contains(k))
                        || name.to_ascii_lowercase().contains("key")
                        || name.to_ascii_lowercase().contains("token")
                })
                .cloned();
            match (&auth_query, &key) {
                (Some(param), Some(key)) => {
                    request_url.query_pairs_mut().append_pair(param, key);
                    probe.auth_query = Some(param.clone());
                }
                (Some(_), None) => {
                    return fail(
                        ls::exit::USAGE,
                        &"--auth-query sends FILESCOPE_API_KEY, which is not set",
                    );
                }
                (None, Some(key)) if probe.auth_header.is_none() => {
                    send.push(("Authorization".to_string(), format!("Bearer {key}")));
                }
                (None, _) => {}
            }
            let secrets: Vec<String> = key.iter().cloned().collect();
            let result =
                runtime.block_on(crate::api::client::get_once(&request_url, &send, insecure));
            let (status, answer_headers, body) = match result {
                Ok(answer) => answer,
                Err(e) => {
                    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
                    let e = ls::LsError::Api(e.redacted(&secrets));
                    return fail(e.exit_code(), &e);
                }
            };
            if !(200..300).contains(&status) {
                let excerpt = crate::api::decode::body_excerpt(&body, 200);
                let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
                let excerpt = crate::api::error::redact(&excerpt, &secrets);
                let code = if matches!(status, 401 | 403) {
                    ls::exit::AUTH
                } else {
                    ls::exit::UNREADABLE
                };
                let answer = format!(
                    "HTTP {status} from {}: {excerpt}",
                    crate::api::error::display_url(&url)
                );
                // A key missing or refused: which header to send comes first.
                let unsent = probe.key.is_none() && probe.auth_header.is_none();
                if status == 401 || (status == 403 && unsent) {
                    let hint =
                        crate::api::dialect::declared::infer::refused_hint(&probe, &answer_headers);
                    return fail(code, &format!("{hint} ({answer})"));
                }
                return fail(code, &answer);
            }
            match crate::api::dialect::declared::infer::infer(&name, &probe, &answer_headers, &body)
            {
                Ok(definition) => {
                    print!("{definition}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(ls::exit::UNREADABLE, &e),
            }
        }
    }
}

/// `filescope ls`: exit statuses as documented in docs/LS.md.
fn ls(args: LsArgs) -> ExitCode {
    let fail = |code: u8, message: &dyn std::fmt::Display| {
        tracing::error!("ls: {}", sanitize(&message.to_string()));
        say(message);
        ExitCode::from(code)
    };
    let levels = if args.delimiter.is_some() {
        Levels::One
    } else {
        Levels::All
    };
    let conn = match given(connection_listing(args.connect, levels)) {
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
        crate::export::Format::Table
    } else {
        crate::export::Format::Ndjson
    });
    if !args.columns.is_empty() && format != crate::export::Format::Table {
        return fail(
            ls::exit::USAGE,
            &"--columns chooses the columns of --format table; the other formats print every field",
        );
    }
    // A terminal's width, else $COLUMNS (as a shell sets it): the table fits it.
    let width = if terminal {
        crossterm::terminal::size()
            .ok()
            .map(|(w, _)| usize::from(w))
    } else {
        None
    }
    .or_else(|| {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse().ok())
    })
    .filter(|w| *w > 0);
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
        safe: args.safe,
        columns: args.columns,
        width,
        versions: args.versions.then_some(crate::api::Versions::Listing),
    };
    let runtime = match runtime() {
        Ok(r) => r,
        Err(e) => return fail(ls::exit::UNAVAILABLE, &format!("{e:#}")),
    };
    let result = runtime.block_on(async {
        let client = told_on_stderr(Client::new(conn)?);
        let stdout = std::io::stdout();
        // Not locked: the listing's future must be `Send`; the buffer makes writes rare anyway.
        let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout);
        ls::run(&client, &opts, &mut out).await
    });
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => fail(e.exit_code(), &e),
    }
}

/// A client for `ls` and `stats` that says on stderr when the store answers from another
/// region than the one asked for, or a listing by key range goes on in order (retries stay
/// in the log: the output must stay quiet).
fn told_on_stderr(client: Client) -> Client {
    client.with_notifier(|notice| {
        if let crate::api::Notice::Region { .. } | crate::api::Notice::InOrder { .. } = notice {
            say(&notice.describe());
        }
    })
}

/// `filescope stats`: exit statuses as for `ls`.
fn stats(args: StatsArgs) -> ExitCode {
    let fail = |code: u8, message: &dyn std::fmt::Display| {
        tracing::error!("stats: {}", sanitize(&message.to_string()));
        say(message);
        ExitCode::from(code)
    };
    let conn = match given(connection_listing(args.connect, Levels::All)) {
        Ok(conn) => conn,
        Err(e) => return fail(ls::exit::USAGE, &e),
    };
    let filter = match ls_filter(&conn, args.search.as_deref(), args.filter.as_deref()) {
        Ok(f) => f,
        Err(e) => return fail(ls::exit::USAGE, &e),
    };
    let runtime = match runtime() {
        Ok(r) => r,
        Err(e) => return fail(ls::exit::UNAVAILABLE, &format!("{e:#}")),
    };
    let result = runtime.block_on(async {
        let client = told_on_stderr(Client::new(conn)?);
        let plan = crate::api::plan(client.dialect(), None, &filter);
        crate::insight::scan(&client, &plan, usize::from(args.jobs), |_, _| true).await
    });
    let stats = match result {
        Ok(stats) => stats,
        Err(e) => {
            let e = ls::LsError::Api(e);
            return fail(e.exit_code(), &e);
        }
    };
    let text = match args.format {
        StatsFormat::Table => crate::insight::table(&stats),
        StatsFormat::Json => format!("{}\n", crate::export::pretty_json(&stats.to_json())),
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            fail(ls::exit::OUTPUT, &format!("cannot write the output: {e}"))
        }
        _ => ExitCode::SUCCESS,
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

async fn explore_connection(conn: Connection, profile: Option<String>) -> anyhow::Result<()> {
    let store = conn.store();
    let info = ConnectionInfo {
        label: conn.label.clone(),
        dialect: store.dialect.id().to_string(),
    };
    let client = Client::new(conn)?;
    let page_size = store.dialect.capabilities().ui_page_size;
    let mut app = App::new(info, store, page_size, settings(profile.as_deref())?);
    app.set_insecure(client.connection().insecure);
    app.set_allow_delete(client.connection().allow_delete);
    app.set_download_dir(std::env::current_dir().unwrap_or_else(|_| ".".into()));
    let mut terminal = tui::init(app.settings().mouse).context("cannot set up the terminal")?;
    let events = tui::events();
    let result = crate::runtime::run(
        &mut terminal,
        &mut app,
        client,
        events,
        tui::signals(),
        &mut tui::Console,
    )
    .await;
    tui::restore().context("cannot restore the terminal")?;
    result
}

/// The embedded demo server: `filescope demo` and `filescope serve`.
#[cfg(feature = "demo")]
mod demo_server {
    use super::*;
    use crate::cli::DatasetArgs;
    use reqwest::Url;

    fn demo_config(args: &DatasetArgs, dialect: &str, api_key: String) -> DemoConfig {
        DemoConfig {
            files: args.files,
            latency: Duration::from_millis(args.latency),
            seed: args.seed,
            api_key,
            dialect: dialect.to_string(),
            chaos: args.chaos,
            bandwidth: args.bandwidth,
            hostile: None,
            shape: args
                .shape
                .as_deref()
                .and_then(filescope_demo::shapes::Shape::parse),
        }
    }

    /// The demo's own S3 connection: its bucket, key pair and region, at its endpoint (for
    /// Azure its account, container and key).
    fn demo_s3(server: &DemoServer, family: &family::Family) -> anyhow::Result<Connection> {
        let source = "the demo's own key pair".to_string();
        let (url, id, secret) = match family.name {
            "azure" => (
                format!(
                    "az://{}/{}/",
                    filescope_demo::AZURE_ACCOUNT,
                    filescope_demo::S3_BUCKET
                ),
                filescope_demo::AZURE_ACCOUNT,
                filescope_demo::AZURE_KEY,
            ),
            _ => (
                format!("{}://{}", family.scheme, filescope_demo::S3_BUCKET),
                filescope_demo::S3_ACCESS_KEY,
                filescope_demo::S3_SECRET_KEY,
            ),
        };
        let location = Location {
            url: Url::parse(&url).context("the demo's bucket URL")?,
            endpoint: Some(server.base_url.clone()),
            region: Some(filescope_demo::S3_REGION.to_string()),
            credentials: Credentials::Given {
                id: id.to_string(),
                secret: Secret::new(secret),
                token: None,
                source: source.clone(),
            },
            path_style: Some(true),
            levels: true,
        };
        let mut conn = (family.connect)(&location).map_err(anyhow::Error::msg)?;
        conn.key_source = source;
        Ok(conn)
    }

    /// The demo's own GCS connection: its bucket and bearer token, at its endpoint.
    fn demo_gcs(server: &DemoServer, family: &family::Family) -> anyhow::Result<Connection> {
        let source = "the demo's own token".to_string();
        let location = Location {
            url: Url::parse(&format!(
                "{}://{}",
                family.scheme,
                filescope_demo::GCS_BUCKET
            ))
            .context("the demo's bucket URL")?,
            endpoint: Some(server.base_url.clone()),
            region: None,
            credentials: Credentials::Given {
                id: String::new(),
                secret: Secret::new(filescope_demo::GCS_TOKEN),
                token: None,
                source: source.clone(),
            },
            path_style: None,
            levels: true,
        };
        let mut conn = (family.connect)(&location).map_err(anyhow::Error::msg)?;
        conn.key_source = source;
        Ok(conn)
    }

    pub(super) fn demo(args: DemoArgs) -> anyhow::Result<()> {
        let store = family::by_name(&args.dialect).filter(|_| args.dataset.shape.is_none());
        let dialect = match &args.dataset.shape {
            Some(shape) => Some(config::example_dialect(shape).context("unknown shape")?),
            None if store.is_some() => None,
            None => Some(dialect::by_id(&args.dialect).context("unknown dialect")?),
        };
        runtime()?.block_on(async move {
            // A key of its own each run, so nothing else on this machine can read the demo by guessing.
            let key = format!("demo-{:016x}", session_nonce());
            let server = DemoServer::start(
                "127.0.0.1:0".parse().expect("a literal address"),
                demo_config(&args.dataset, &args.dialect, key.clone()),
            )
            .await
            .context("cannot start the demo server on 127.0.0.1")?;
            let mut conn = match dialect {
                Some(dialect) => {
                    let url = Url::parse(&server.base_url).context("demo server URL")?;
                    let mut conn = Connection::new(dialect, url, Some(Secret::new(key)));
                    conn.key_source = "the demo's own key".to_string();
                    conn
                }
                None => match store {
                    Some(family) if family.name == "gcs" => demo_gcs(&server, family)?,
                    Some(family) => demo_s3(&server, family)?,
                    None => anyhow::bail!("unknown dialect"),
                },
            };
            conn.label = "demo".to_string();
            tracing::info!(
                files = args.dataset.files,
                latency_ms = args.dataset.latency,
                "demo started"
            );
            let result = explore_connection(conn, None).await;
            server.shutdown();
            result
        })
    }

    /// A number that differs between runs, for the demo's key.
    fn session_nonce() -> u64 {
        use std::hash::{BuildHasher, RandomState};
        RandomState::new().hash_one(std::process::id())
    }

    pub(super) fn serve(args: ServeArgs) -> anyhow::Result<()> {
        if family::by_name(&args.dialect).is_none() {
            let _ = dialect::by_id(&args.dialect).context("unknown dialect")?;
        }
        let key = std::env::var("FILESCOPE_API_KEY").unwrap_or_else(|_| "demo".to_string());
        let addr = args.addr;
        runtime()?.block_on(async move {
            let mut config = demo_config(&args.dataset, &args.dialect, key);
            config.hostile = args
                .hostile
                .as_deref()
                .and_then(filescope_demo::hostile::Hostile::parse);
            let server = DemoServer::start(addr, config)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            let mut stdout = std::io::stdout();
            writeln!(stdout, "{}", server.base_url)?;
            stdout.flush()?;
            // How to reach it, for people (stdout stays the URL alone, for scripts).
            let dialect = args.dataset.shape.as_deref().unwrap_or(&args.dialect);
            let accepts = if std::env::var_os("FILESCOPE_API_KEY").is_some() {
                "the key in FILESCOPE_API_KEY".to_string()
            } else {
                "the key \"demo\"".to_string()
            };
            let key = if accepts.starts_with("the key \"") {
                "FILESCOPE_API_KEY=demo "
            } else {
                ""
            };
            let how = match &args.dataset.shape {
                // A shape is a declared dialect: the whole definition and a profile, to paste
                // into the configuration as they are (a binary-only user has no docs/).
                Some(shape) => {
                    let definition = config::EXAMPLE_DIALECTS
                        .iter()
                        .find(|(name, _)| name == shape)
                        .map_or("", |(_, text)| text);
                    eprintln!(
                        "filescope: serving {} files shaped like {shape} at {}; it accepts {accepts}\nfilescope: paste into your configuration (filescope config path):\n\n[profiles.{shape}]\ndialect = \"{shape}\"\nurl = \"{}\"\napi_key_env = \"FILESCOPE_API_KEY\"\n\n{}\n",
                        args.dataset.files,
                        server.base_url,
                        server.base_url,
                        definition.trim_end()
                    );
                    format!("{key}filescope -p {shape}   or:  {key}filescope ls -p {shape}")
                }
                None => format!(
                    "{key}filescope ls --dialect {dialect} --url {0}   or the explorer:  {key}filescope --dialect {dialect} --url {0}",
                    server.base_url
                ),
            };
            match server.connect_hint() {
                // S3: a bucket, a key pair and a region, not a URL and a key.
                Some(lines) => {
                    for line in lines {
                        eprintln!("filescope: {line}");
                    }
                }
                None if args.dataset.shape.is_some() => eprintln!("filescope: then run  {how}"),
                None => eprintln!(
                    "filescope: serving {} files as {dialect} at {}; it accepts {accepts}\nfilescope: try  {how}",
                    args.dataset.files, server.base_url
                ),
            }
            tracing::info!(url = %server.base_url, files = args.dataset.files, "serving");
            tui::termination().await;
            server.shutdown();
            Ok(())
        })
    }
}

#[cfg(feature = "demo")]
use demo_server::{demo, serve};

/// Without the `demo` feature there is no demo server to start: say how to get one.
#[cfg(not(feature = "demo"))]
fn no_demo() -> anyhow::Result<()> {
    anyhow::bail!(
        "this filescope was built without the demo server (the `demo` feature); \
         `cargo install filescope` (default features) has it"
    )
}

#[cfg(not(feature = "demo"))]
fn demo(_args: DemoArgs) -> anyhow::Result<()> {
    no_demo()
}

#[cfg(not(feature = "demo"))]
fn serve(_args: ServeArgs) -> anyhow::Result<()> {
    no_demo()
}

/// The manual page, in roff: clap's sections for the top-level command, then every
/// subcommand's synopsis and options in this one page (no `filescope-ls(1)` pages are
/// installed, so none is cited), then the keys in force by default, the environment, the files
/// and the exit statuses.
fn manual(out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let cli = <Cli as clap::CommandFactory>::command();
    let man = clap_mangen::Man::new(cli.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    writeln!(out, ".SH SUBCOMMANDS")?;
    for sub in cli.get_subcommands().filter(|c| !c.is_hide_set()) {
        manual_subcommand(out, &format!("filescope {}", sub.get_name()), sub)?;
    }
    writeln!(out, ".SH KEYS")?;
    writeln!(
        out,
        "The defaults; [keys] in the configuration file rebinds them, and ? in the explorer shows the keys in force."
    )?;
    for (keys, what) in crate::keymap::help_rows(&crate::keymap::KeyMap::default()) {
        if !keys.is_empty() {
            writeln!(out, ".TP\n\\fB{}\\fR\n{}", roff(&keys), roff(what))?;
        }
    }
    writeln!(out, ".SH ENVIRONMENT")?;
    for (name, what) in ENVIRONMENT {
        writeln!(out, ".TP\n\\fB{name}\\fR\n{}", roff(what))?;
    }
    writeln!(out, ".SH FILES")?;
    for (path, what) in FILES {
        writeln!(out, ".TP\n\\fI{}\\fR\n{}", roff(path), roff(what))?;
    }
    writeln!(out, ".SH \"EXIT STATUS\"")?;
    for (code, what) in EXIT_STATUS {
        writeln!(out, ".TP\n\\fB{code}\\fR\n{}", roff(what))?;
    }
    man.render_version_section(out)
}

/// One subcommand in the manual: its synopsis, what it does and its options, then its own
/// subcommands (`dialect infer`, `config init`) the same way.
fn manual_subcommand(
    out: &mut dyn std::io::Write,
    name: &str,
    cmd: &clap::Command,
) -> std::io::Result<()> {
    writeln!(out, ".SS \"{}\"", roff(name))?;
    if let Some(about) = cmd.get_long_about().or(cmd.get_about()) {
        writeln!(out, "{}", roff(&about.to_string()))?;
    }
    let mut options = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render_options_section(&mut options)?;
    let options = String::from_utf8_lossy(&options);
    // clap heads the options with a string definition and a section of their own; here they
    // sit under the subcommand, and the page's title already defined the string.
    let body = options
        .split_once("\n.SH OPTIONS\n")
        .map_or("", |(_, rest)| rest);
    if !body.trim().is_empty() {
        writeln!(out, ".PP\nOptions:")?;
        write!(out, "{body}")?;
    }
    for sub in cmd
        .get_subcommands()
        .filter(|c| !c.is_hide_set() && c.get_name() != "help")
    {
        manual_subcommand(out, &format!("{name} {}", sub.get_name()), sub)?;
    }
    Ok(())
}

/// Text made safe for roff: a backslash doubled, a hyphen escaped, a leading dot or quote
/// kept from reading as a request.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    escaped
        .lines()
        .map(|line| match line.chars().next() {
            Some('.' | '\'') => format!("\\&{line}"),
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The environment the manual names, with what each does.
const ENVIRONMENT: [(&str, &str); 9] = [
    (
        "FILESCOPE_API_KEY",
        "the API key of a JSON API when neither the profile nor --api-key-env names another variable",
    ),
    (
        "FILESCOPE_CONFIG",
        "the configuration file to read instead of the default",
    ),
    (
        "FILESCOPE_DATA_DIR",
        "the directory of the log file instead of the platform's data directory; downloads go to the current directory",
    ),
    (
        "FILESCOPE_LOG",
        "the log level (a tracing filter such as debug or filescope=trace); the log goes to the log file only",
    ),
    (
        "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN",
        "S3 credentials, first in the chain",
    ),
    (
        "AWS_PROFILE, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE",
        "which AWS profile, and the files it is read from",
    ),
    (
        "AWS_REGION, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL",
        "the S3 region and endpoint when the profile does not give them",
    ),
    (
        "PAGER",
        "the pager a preview opens in (e in the preview); less when unset",
    ),
    ("NO_COLOR", "when set, the explorer draws without colour"),
];

/// The files the manual names (the Linux paths; other platforms use their own config and
/// data directories, which `filescope config path` prints).
const FILES: [(&str, &str); 2] = [
    (
        "~/.config/filescope/config.toml",
        "the configuration file ($XDG_CONFIG_HOME is honoured; FILESCOPE_CONFIG overrides it); filescope config init writes a commented one",
    ),
    (
        "~/.local/share/filescope/filescope.log",
        "the log file ($XDG_DATA_HOME and FILESCOPE_DATA_DIR are honoured; --log-file overrides it); nothing is ever logged to the terminal",
    ),
];

/// The exit statuses of every command, as docs/LS.md lists them for `ls`.
const EXIT_STATUS: [(u8, &str); 6] = [
    (0, "success, including an empty listing and a closed pipe"),
    (
        1,
        "the output could not be written, a command failed outside the cases below, or dialect check found a definition that does not hold",
    ),
    (
        2,
        "usage or configuration: bad flags, a bad configuration file, an unknown filter term, a parameter the server rejected",
    ),
    (3, "the credential was refused (HTTP 401 or 403)"),
    (
        4,
        "the network or the server failed (a connect error, a timeout, HTTP 429 or 5xx)",
    ),
    (
        5,
        "the server's answer could not be understood or contradicts itself (a repeated page or cursor, a total that changes, a broken answer)",
    ),
];
