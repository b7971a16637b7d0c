//! `filescope ls`: a listing for scripts. Records stream out as pages arrive, in the server's
//! order (or sorted locally over everything fetched, where the API cannot sort), as NDJSON,
//! JSON, CSV or an aligned table.

use std::io::{self, Write};

use crate::api::error::ErrorKind;
use crate::api::plan::{Plan, compare_by};
use crate::api::scan::each_page;
use crate::api::{ApiError, Client, FileRecord, Filter, Sort, plan};
pub use crate::export::Format;
use crate::export::{CsvStyle, Sink};

/// What to list and how.
#[derive(Debug, Clone)]
pub struct Options {
    pub sort: Option<Sort>,
    pub filter: Filter,
    /// At most this many records; `None` with `all` for everything.
    pub limit: Option<usize>,
    pub all: bool,
    pub format: Format,
    pub raw: bool,
    /// Pages in flight at once for `--all` when the API reports a total.
    pub jobs: usize,
    /// Output goes to a terminal: CSV fields are sanitized there too (JSON escapes control
    /// characters itself), so no server string can drive the terminal.
    pub terminal: bool,
    /// CSV made safe for spreadsheets (`--safe`): visible escapes, formulas neutralised.
    pub safe: bool,
    /// The table's columns (`--columns`); empty for the default ones.
    pub columns: Vec<crate::export::TableColumn>,
    /// The width the table must fit (the terminal's, or `COLUMNS`), if any.
    pub width: Option<usize>,
    /// List the versions kept instead of the live files (`--versions`), where the store keeps
    /// them: every version and delete marker, with its version fields.
    pub versions: Option<crate::api::Versions>,
}

/// Why `ls` failed, and the exit status that says so.
#[derive(Debug, thiserror::Error)]
pub enum LsError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("cannot write the output: {0}")]
    Output(io::Error),
}

/// Exit statuses, documented in docs/LS.md.
pub mod exit {
    pub const OK: u8 = 0;
    pub const USAGE: u8 = 2;
    pub const AUTH: u8 = 3;
    pub const UNAVAILABLE: u8 = 4;
    pub const UNREADABLE: u8 = 5;
    /// Writing the output failed for another reason than a closed pipe.
    pub const OUTPUT: u8 = 1;
}

impl LsError {
    pub fn exit_code(&self) -> u8 {
        match self {
            LsError::Usage(_) => exit::USAGE,
            LsError::Api(e) => match e.kind() {
                ErrorKind::Auth => exit::AUTH,
                ErrorKind::Unavailable => exit::UNAVAILABLE,
                ErrorKind::Unreadable => exit::UNREADABLE,
                ErrorKind::Usage => exit::USAGE,
            },
            LsError::Output(_) => exit::OUTPUT,
        }
    }
}

/// Lists to `out`. A closed pipe (`| head`) ends the listing quietly and counts as success.
/// Returns the number of records written.
pub async fn run(
    client: &Client,
    opts: &Options,
    out: &mut (dyn Write + Send),
) -> Result<usize, LsError> {
    let dialect = client.dialect();
    let mut plan = plan(dialect, opts.sort, &opts.filter);
    if opts.versions.is_some() && !dialect.lists_versions() {
        return Err(LsError::Usage(format!(
            "{} keeps no versions to list; --versions is for S3",
            dialect.id()
        )));
    }
    plan.server.versions = opts.versions.clone();
    if let Some(sort) = plan.local.sort
        && !opts.all
    {
        return Err(LsError::Usage(format!(
            "{} cannot sort by {} on the server; add --all to fetch everything and sort locally",
            dialect.id(),
            sort.field.name()
        )));
    }
    let csv = if opts.safe {
        CsvStyle::Spreadsheet
    } else if opts.terminal {
        CsvStyle::Visible
    } else {
        CsvStyle::Exact
    };
    let mut sink = Sink::new(opts.format, opts.raw, csv, out)
        .table_layout(&opts.columns, opts.width)
        .versions(opts.versions.is_some())
        .extra_fields(dialect.extra_fields(&plan.server));
    match list(client, &plan, opts, &mut sink).await {
        Ok(()) => {}
        Err(LsError::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
            return Ok(sink.written);
        }
        Err(e) => {
            // What was printed stays valid: close the JSON array before reporting.
            let _ = sink.finish_failed();
            return Err(e);
        }
    }
    match sink.finish() {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(LsError::Output(e)),
        _ => Ok(sink.written),
    }
}

async fn list(
    client: &Client,
    plan: &Plan,
    opts: &Options,
    sink: &mut Sink<'_>,
) -> Result<(), LsError> {
    let caps = client.dialect().capabilities();
    let limit = if opts.all { None } else { opts.limit };
    // Without a local filter and with a small limit, ask for no more than needed.
    let size = match limit {
        Some(n) if !plan.local.filters() => n.clamp(1, caps.max_page_size),
        _ => caps.max_page_size,
    };
    // Concurrent pages only when everything is wanted; a limit reads one page at a time.
    let jobs = if opts.all { opts.jobs.max(1) } else { 1 };
    let mut sorted: Vec<FileRecord> = Vec::new();
    let mut failed: Option<LsError> = None;
    let mut emit = |records: Vec<FileRecord>, sink: &mut Sink<'_>| -> Result<bool, LsError> {
        for record in records {
            if !plan.local.matches(&record) {
                continue;
            }
            if plan.local.sort.is_some() {
                sorted.push(record);
                continue;
            }
            if limit.is_some_and(|n| sink.written >= n) {
                return Ok(false);
            }
            sink.record(&record).map_err(LsError::Output)?;
        }
        sink.page_done().map_err(LsError::Output)?;
        Ok(limit.is_none_or(|n| sink.written < n))
    };
    each_page(client, &plan.server, size, jobs, |page, _| {
        match emit(page.records, sink) {
            Ok(go_on) => go_on,
            Err(e) => {
                failed = Some(e);
                false
            }
        }
    })
    .await?;
    if let Some(e) = failed {
        return Err(e);
    }
    if let Some(sort) = plan.local.sort {
        // A stable sort: equal values keep the server's order.
        sorted.sort_by(|a, b| compare_by(sort, a, b));
        for record in sorted.iter().take(opts.limit.unwrap_or(usize::MAX)) {
            sink.record(record).map_err(LsError::Output)?;
        }
    }
    Ok(())
}
