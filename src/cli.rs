//! The command line, as clap sees it. Parsing only; [`crate::commands`] carries it out.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::builder::PossibleValuesParser;
use clap::{Args, Parser, Subcommand};
use reqwest::Url;

use crate::api::url::{parse_header, parse_prefix, parse_url};
use crate::api::{Order, SortField, dialect};
use crate::export::Format;

/// A fast, keyboard-driven terminal explorer for remote file-storage APIs.
///
/// Try it with no account: `filescope demo`. Point it at your own API with
/// `FILESCOPE_API_KEY=… filescope --dialect filejar --url https://files.example.com`.
#[derive(Debug, Parser)]
#[command(name = "filescope", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(flatten)]
    pub connect: ConnectArgs,

    /// Write the log here instead of the data directory's filescope.log.
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Which API to open: a saved profile, or a dialect and URL. The key comes from the profile
/// or the environment variable FILESCOPE_API_KEY, never from the command line, where other
/// users could read it in the process list.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("place").args(["url", "location"])))]
pub struct ConnectArgs {
    /// Where to look, as `aws s3 ls` takes it: s3://BUCKET[/PREFIX/], or s3:// for the list
    /// of buckets; az://ACCOUNT[/CONTAINER/PREFIX/], or a pasted Azure blob URL with its
    /// SAS. Its scheme says the dialect; another http(s):// URL needs --dialect.
    #[arg(value_name = "LOCATION", conflicts_with = "url")]
    pub location: Option<String>,

    /// A connection profile from the configuration file (default: its default_profile).
    #[arg(short = 'p', long, value_name = "NAME", conflicts_with_all = ["dialect", "url", "location"])]
    pub profile: Option<String>,

    /// The API's dialect: filejar, openwebui, flextell, fileguard, astracollab, s3, azure, gcs,
    /// or one declared in the configuration file ([dialects.NAME]). Not needed for a URL whose
    /// scheme names its dialect (s3://, az://, gs://).
    #[arg(long, value_name = "DIALECT", requires = "place")]
    pub dialect: Option<String>,

    /// The API's base URL, e.g. https://files.example.com (the dialect adds its own paths);
    /// for S3, s3://BUCKET[/PREFIX/] (or s3:// for the buckets), which needs no --dialect.
    #[arg(long, value_name = "URL", value_parser = parse_url)]
    pub url: Option<Url>,

    /// S3: the endpoint of an S3-compatible store, e.g. http://127.0.0.1:9000 (MinIO) or
    /// https://ACCOUNT.r2.cloudflarestorage.com; default AWS_ENDPOINT_URL_S3,
    /// AWS_ENDPOINT_URL, the AWS profile's endpoint_url, else AWS. Azure: the blob
    /// endpoint, e.g. http://127.0.0.1:10000 (Azurite); default the connection string's
    /// BlobEndpoint, else https://ACCOUNT.blob.core.windows.net.
    #[arg(long, value_name = "URL", value_parser = parse_url)]
    pub endpoint: Option<Url>,

    /// S3: the bucket's region; default AWS_REGION, AWS_DEFAULT_REGION, the AWS profile's,
    /// else us-east-1 (a wrong region is corrected from the first answer).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// S3: send requests unsigned, without looking for credentials (a public bucket), as the
    /// AWS CLI's flag of the same name does. Azure: anonymous requests (a public container).
    #[arg(long)]
    pub no_sign_request: bool,

    /// An extra header for every request, e.g. --header 'X-Tenant: 42'. Repeatable.
    #[arg(long = "header", value_name = "'NAME: VALUE'", value_parser = parse_header)]
    pub headers: Vec<(String, String)>,

    /// Where the API lives under the URL, if not where the dialect expects it
    /// (Open WebUI: /api/v1 by default, /api on older servers).
    #[arg(long, value_name = "PATH", value_parser = parse_prefix)]
    pub path_prefix: Option<String>,

    /// Do not verify the server's TLS certificate (a test server's self-signed one, say).
    /// The explorer's header says so in red for as long as it runs.
    #[arg(long)]
    pub insecure: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the explorer on an embedded demo server (no account, no network).
    ///
    /// One file is deliberately corrupt: metrics_final_FINAL.pdf (with the default seed), whose
    /// bytes do not match the checksum FileGuard lists, so downloading it with `--dialect
    /// fileguard` shows a verification failure. A few names are hostile on purpose (escape
    /// sequences, a clipboard write, right-to-left overrides), as real services accept them:
    /// the first one a page below the newest file. They are drawn as escapes, never sent.
    Demo(DemoArgs),
    /// Run the demo server alone; prints its base URL and serves until killed.
    Serve(ServeArgs),
    /// List files for scripts: NDJSON, JSON, CSV or a table, on stdout.
    Ls(LsArgs),
    /// Sum up what a listing holds: files and bytes by kind, sizes, uploads over time, the
    /// largest and newest files.
    Stats(StatsArgs),
    /// List the connection profiles of the configuration file (never their keys).
    Profiles,
    /// Describe your own API: infer a dialect from one answer, check one against two pages.
    #[command(subcommand)]
    Dialect(DialectCommand),
    /// The configuration file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print a shell completion script (profile and dialect names as the configuration has
    /// them now).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    Man,
}

#[derive(Debug, Subcommand)]
pub enum DialectCommand {
    /// Read the first two pages through a dialect and print, per field, how many records it
    /// resolved and an example, the paging it saw, and every problem.
    Check {
        #[command(flatten)]
        connect: ConnectArgs,
    },
    /// Read one answer of an API and print a whole dialect definition for it (TOML for the
    /// configuration file). The key comes from FILESCOPE_API_KEY (sent as Bearer, or in the
    /// query with --auth-query), or from a --header; it is written back as {key}, never itself.
    Infer {
        /// The URL of the API's file listing, e.g. https://api.example.com/v1/files?limit=100.
        #[arg(value_name = "URL", value_parser = parse_url)]
        url: Url,
        /// A header to send, e.g. --header 'Authorization: Token …'. Repeatable.
        #[arg(long = "header", value_name = "'NAME: VALUE'", value_parser = parse_header)]
        headers: Vec<(String, String)>,
        /// Send FILESCOPE_API_KEY in this query parameter (e.g. key, api_key).
        #[arg(long, value_name = "NAME")]
        auth_query: Option<String>,
        /// The dialect's name in the definition: letters, digits, `_` and `-`.
        #[arg(long, value_name = "NAME", default_value = "myapi")]
        name: String,
        /// Do not verify the server's TLS certificate.
        #[arg(long)]
        insecure: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the configuration file's path.
    Path,
    /// Write a commented example configuration (never over an existing file).
    Init,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,

    /// Free-text search (server-side where the API can, otherwise local).
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,

    /// Filter terms, as in the explorer's filter bar: 'type:image size>1MB context:KEY'
    /// (1MB is 1,000,000 bytes, 1MiB 1,048,576).
    #[arg(long, value_name = "TERMS")]
    pub filter: Option<String>,

    /// Sort field.
    #[arg(long, value_name = "FIELD", value_parser = sort_field)]
    pub sort: Option<SortField>,

    /// Sort direction; by default the field's natural one (names A→Z, sizes and dates
    /// largest/newest first).
    #[arg(long, value_name = "ORDER", value_parser = order, requires = "sort")]
    pub order: Option<Order>,

    /// At most this many records.
    #[arg(long, value_name = "N", default_value_t = 100, conflicts_with = "all")]
    pub limit: usize,

    /// Every record, streamed as pages arrive.
    #[arg(long)]
    pub all: bool,

    /// Output format; a table when stdout is a terminal, NDJSON otherwise.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// Add the server's original record as "raw".
    #[arg(long)]
    pub raw: bool,

    /// The table's columns, in order (with --format table): id, name, size, type, date,
    /// created, updated, url. The table fits the terminal (or $COLUMNS), cutting the type
    /// first, with "…".
    #[arg(long, value_enum, value_delimiter = ',', value_name = "COLUMNS")]
    pub columns: Vec<crate::export::TableColumn>,

    /// CSV for spreadsheets: control characters as visible escapes, and cells a spreadsheet
    /// would run as a formula (=, +, -, @, tab, CR) prefixed with '. Without it CSV into a
    /// file or pipe is exact.
    #[arg(long)]
    pub safe: bool,

    /// Pages fetched at once with --all, when the API reports a total.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,

    /// S3: list one level under the prefix, folders (common prefixes) as rows, instead of
    /// every key below it. The only delimiter is "/".
    #[arg(long, value_name = "DELIMITER", value_parser = ["/"])]
    pub delimiter: Option<String>,

    /// S3: every version and delete marker under the prefix (ListObjectVersions), newest
    /// first within each key, with version_id, is_latest and delete_marker in every format.
    #[arg(long)]
    pub versions: bool,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,

    /// Free-text search, as for ls.
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,

    /// Filter terms, as in the explorer's filter bar.
    #[arg(long, value_name = "TERMS")]
    pub filter: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: StatsFormat,

    /// Pages fetched at once when the API reports a total.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatsFormat {
    Table,
    Json,
}

fn sort_field(text: &str) -> Result<SortField, String> {
    SortField::parse(text).ok_or_else(|| {
        let names: Vec<&str> = SortField::ALL.iter().map(|f| f.name()).collect();
        format!("expected one of: {}", names.join(", "))
    })
}

fn order(text: &str) -> Result<Order, String> {
    match text {
        "asc" => Ok(Order::Asc),
        "desc" => Ok(Order::Desc),
        _ => Err("expected asc or desc".to_string()),
    }
}

#[derive(Debug, Args)]
pub struct DatasetArgs {
    /// Number of synthetic files.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub files: usize,

    /// Delay added to every answer, in milliseconds, to feel a slow link.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency: u64,

    /// Seed of the synthetic dataset: the same seed gives the same files.
    #[arg(long, value_name = "S", default_value_t = 42)]
    pub seed: u64,

    /// Fault injection: the share of requests (0–1) answered with a 503, a 429, a body cut
    /// short or 300 ms of extra latency.
    #[arg(long, value_name = "RATE", default_value_t = 0.0, value_parser = chaos_rate)]
    pub chaos: f64,

    /// Throttle file downloads to this many bytes per second per response (e.g. 200000,
    /// 512K, 2M), so progress is visible; unlimited when absent.
    #[arg(long, value_name = "BYTES_PER_SEC", value_parser = bandwidth)]
    pub bandwidth: Option<u64>,

    /// Speak one of six real-world API shapes instead of a dialect, with the definition
    /// shipped for it (docs/dialects/NAME.toml): github, drf, stripe, gdrive, jsonapi, box.
    #[arg(long, value_name = "NAME", value_parser = shape_name, conflicts_with = "dialect")]
    pub shape: Option<String>,
}

fn shape_name(text: &str) -> Result<String, String> {
    let names: Vec<&str> = crate::config::EXAMPLE_DIALECTS
        .iter()
        .map(|(n, _)| *n)
        .collect();
    if names.contains(&text) {
        Ok(text.to_string())
    } else {
        Err(format!("expected one of {}", names.join(", ")))
    }
}

/// A positive byte rate: digits with an optional K, M or G suffix (binary units).
fn bandwidth(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().last() {
        Some((at, c)) if c.is_ascii_alphabetic() => (&text[..at], c.to_ascii_uppercase()),
        _ => (text, ' '),
    };
    let shift = match unit {
        ' ' => 0,
        'K' => 10,
        'M' => 20,
        'G' => 30,
        _ => return Err("expected bytes per second, e.g. 200000, 512K or 2M".to_string()),
    };
    match digits.parse::<u64>() {
        Ok(n) if n > 0 => n
            .checked_mul(1 << shift)
            .ok_or_else(|| "that rate is too large".to_string()),
        _ => Err("expected bytes per second, e.g. 200000, 512K or 2M".to_string()),
    }
}

fn chaos_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err("expected a share between 0 and 1, e.g. 0.1".to_string()),
    }
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The dialect the demo server speaks.
    #[arg(long, value_name = "DIALECT", value_parser = dialect_names(), default_value = "filejar")]
    pub dialect: String,

    #[command(flatten)]
    pub dataset: DatasetArgs,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The dialect to serve.
    #[arg(long, value_name = "DIALECT", value_parser = dialect_names(), default_value = "filejar")]
    pub dialect: String,

    /// Address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub addr: SocketAddr,

    #[command(flatten)]
    pub dataset: DatasetArgs,

    /// Misbehave on purpose, to try a client against a hostile server: repeat, huge-total,
    /// huge-answer, empty-records, inject, echo-key, redirect-loop, cut-json, bad-records,
    /// no-content, and legacy-array (an older Open WebUI's honest bare array of --files files);
    /// docs/RELIABILITY.md says what each does.
    #[arg(long, value_name = "MODE", value_parser = hostile_mode)]
    pub hostile: Option<String>,
}

#[cfg(feature = "demo")]
fn hostile_mode(text: &str) -> Result<String, String> {
    use filescope_demo::hostile::Hostile;
    match Hostile::parse(text) {
        Some(_) => Ok(text.to_string()),
        None => {
            let names: Vec<&str> = Hostile::ALL.iter().map(|(n, _)| *n).collect();
            Err(format!("expected one of {}", names.join(", ")))
        }
    }
}

/// Without the demo server there is nothing to misbehave: `serve` itself says so.
#[cfg(not(feature = "demo"))]
fn hostile_mode(text: &str) -> Result<String, String> {
    Ok(text.to_string())
}

fn dialect_names() -> PossibleValuesParser {
    PossibleValuesParser::new(dialect::names())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_the_documented_forms() {
        let cli =
            Cli::try_parse_from(["filescope", "demo", "--files", "10", "--latency", "20"]).unwrap();
        let Some(Command::Demo(demo)) = cli.command else {
            panic!("not demo")
        };
        assert_eq!(
            (demo.dataset.files, demo.dataset.latency, demo.dataset.seed),
            (10, 20, 42)
        );

        let cli = Cli::try_parse_from(["filescope", "serve", "--dialect", "filejar"]).unwrap();
        let Some(Command::Serve(serve)) = cli.command else {
            panic!("not serve")
        };
        assert_eq!(serve.addr.to_string(), "127.0.0.1:0");

        let cli = Cli::try_parse_from([
            "filescope",
            "--dialect",
            "filejar",
            "--url",
            "http://127.0.0.1:8787",
        ])
        .unwrap();
        assert_eq!(cli.connect.url.unwrap().as_str(), "http://127.0.0.1:8787/");

        let cli = Cli::try_parse_from([
            "filescope",
            "--dialect",
            "openwebui",
            "--url",
            "http://127.0.0.1:8080",
            "--header",
            "X-Tenant: 42",
            "--header",
            "X-Trace:a:b",
            "--path-prefix",
            "/api/",
        ])
        .unwrap();
        assert_eq!(
            cli.connect.headers,
            vec![
                ("X-Tenant".to_string(), "42".to_string()),
                ("X-Trace".to_string(), "a:b".to_string())
            ]
        );
        assert_eq!(cli.connect.path_prefix.as_deref(), Some("/api"));
    }

    /// Issue 24, item 2: a location as `aws s3 ls` takes it, for the explorer and for `ls`
    /// (and `s3://` alone); never beside --url or a profile; a subcommand's name is still
    /// the subcommand.
    #[test]
    fn a_location_is_positional_for_the_explorer_and_ls() {
        let cli = Cli::try_parse_from(["filescope", "s3://bucket/logs/"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.connect.location.as_deref(), Some("s3://bucket/logs/"));
        let cli = Cli::try_parse_from(["filescope", "ls", "s3://", "--format", "csv"]).unwrap();
        let Some(Command::Ls(ls)) = cli.command else {
            panic!("not ls")
        };
        assert_eq!(ls.connect.location.as_deref(), Some("s3://"));
        let cli = Cli::try_parse_from(["filescope", "--dialect", "filejar", "https://f.example"])
            .unwrap();
        assert_eq!(cli.connect.location.as_deref(), Some("https://f.example"));
        assert!(matches!(
            Cli::try_parse_from(["filescope", "ls"]).unwrap().command,
            Some(Command::Ls(_))
        ));
        for conflict in [
            vec!["filescope", "s3://a/", "--url", "s3://b/"],
            vec!["filescope", "s3://a/", "-p", "work"],
        ] {
            assert!(Cli::try_parse_from(&conflict).is_err(), "{conflict:?}");
        }
    }

    #[test]
    fn bad_flags_are_named() {
        // Any name parses: whether it is a dialect is known once the configuration is read
        // (tests/cli.rs checks the error).
        assert!(
            Cli::try_parse_from(["filescope", "--dialect", "nope", "--url", "http://x"]).is_ok()
        );
        let err = Cli::try_parse_from(["filescope", "serve", "--dialect", "nope"]).unwrap_err();
        assert!(
            err.to_string()
                .contains("invalid value 'nope' for '--dialect"),
            "{err}"
        );
        let err = Cli::try_parse_from(["filescope", "--dialect", "filejar", "--url", "ftp://x"])
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("expected an http://, https://, s3://, az:// or gs:// URL"),
            "{err}"
        );
        // A dialect needs a place; a URL's scheme may name the dialect itself (whether an
        // http:// URL has one is said once the command runs).
        let err = Cli::try_parse_from(["filescope", "--dialect", "filejar"]).unwrap_err();
        assert!(err.to_string().contains("--url"), "{err}");
        assert!(Cli::try_parse_from(["filescope", "--url", "s3://bucket/"]).is_ok());
        let err = Cli::try_parse_from([
            "filescope",
            "--dialect",
            "flextell",
            "--url",
            "http://x",
            "--header",
            "X-Tenant 42",
        ])
        .unwrap_err();
        assert!(err.to_string().contains("expected 'Name: value'"), "{err}");
        let err = Cli::try_parse_from(["filescope", "demo", "--files", "many"]).unwrap_err();
        assert!(err.to_string().contains("--files"), "{err}");
    }
}
