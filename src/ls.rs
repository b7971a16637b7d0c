//! `filescope ls`: a listing for scripts. Records stream out as pages arrive, in the server's
//! order (or sorted locally over everything fetched, where the API cannot sort), as NDJSON,
//! JSON, CSV or an aligned table.

use std::io::{self, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::api::error::ErrorKind;
use crate::api::plan::{Plan, compare_by};
use crate::api::scan::each_page;
use crate::api::{ApiError, Client, FileRecord, Filter, Sort, plan};
use crate::text::{human_size, sanitize};

/// How records are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object per line.
    Ndjson,
    /// One JSON array.
    Json,
    /// Comma-separated, with a header row.
    Csv,
    /// Aligned columns for people; names sanitized.
    Table,
}

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
    let plan = plan(dialect, opts.sort, &opts.filter);
    if let Some(sort) = plan.local.sort
        && !opts.all
    {
        return Err(LsError::Usage(format!(
            "{} cannot sort by {} on the server; add --all to fetch everything and sort locally",
            dialect.id(),
            sort.field.name()
        )));
    }
    let mut sink = Sink::new(opts, out);
    match list(client, &plan, opts, &mut sink).await {
        Ok(()) => {}
        Err(LsError::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
            return Ok(sink.written);
        }
        Err(e) => {
            // What was printed stays valid: close the JSON array before reporting.
            let _ = sink.finish();
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

/// The normalized record as printed; `raw` is the server's object, untouched.
#[derive(Serialize)]
struct Out<'a> {
    id: &'a str,
    name: &'a str,
    size: Option<u64>,
    content_type: Option<&'a str>,
    created_at: Option<String>,
    updated_at: Option<String>,
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<&'a RawValue>,
}

fn rfc3339(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

fn out(record: &FileRecord, raw: bool) -> Out<'_> {
    Out {
        id: &record.id,
        name: &record.name,
        size: record.size,
        content_type: record.content_type.as_deref(),
        created_at: rfc3339(record.created_at),
        updated_at: rfc3339(record.updated_at),
        url: record.url.as_deref(),
        raw: raw.then_some(record.raw.as_ref()),
    }
}

const CSV_HEADER: [&str; 7] = [
    "id",
    "name",
    "size",
    "content_type",
    "created_at",
    "updated_at",
    "url",
];

/// Quotes a CSV field when it needs it (RFC 4180). A field starting with `=`, `+`, `-` or `@`
/// is left as sent: `ls` prints data, it does not second-guess spreadsheets.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Writes `records` as `ls` would print them in `format` (the explorer's export of marked
/// files); returns how many were written.
pub fn write_records(
    records: &[FileRecord],
    format: Format,
    out: &mut (dyn Write + Send),
) -> io::Result<usize> {
    let opts = Options {
        sort: None,
        filter: Filter::default(),
        limit: None,
        all: true,
        format,
        raw: false,
        jobs: 1,
        terminal: false,
    };
    let mut sink = Sink::new(&opts, out);
    for record in records {
        sink.record(record)?;
    }
    sink.finish()?;
    Ok(sink.written)
}

/// Writes records in one format, keeping what the format needs between records.
struct Sink<'a> {
    format: Format,
    raw: bool,
    terminal: bool,
    out: &'a mut (dyn Write + Send),
    written: usize,
    /// Table rows, aligned once all are in.
    table: Vec<[String; 4]>,
    finished: bool,
}

impl<'a> Sink<'a> {
    fn new(opts: &Options, out: &'a mut (dyn Write + Send)) -> Self {
        Sink {
            format: opts.format,
            raw: opts.raw,
            terminal: opts.terminal,
            out,
            written: 0,
            table: Vec::new(),
            finished: false,
        }
    }

    fn record(&mut self, record: &FileRecord) -> io::Result<()> {
        let first = self.written == 0;
        match self.format {
            Format::Ndjson => {
                serde_json::to_writer(&mut *self.out, &out(record, self.raw))?;
                self.out.write_all(b"\n")?;
            }
            Format::Json => {
                self.out.write_all(if first { b"[\n" } else { b",\n" })?;
                serde_json::to_writer(&mut *self.out, &out(record, self.raw))?;
            }
            Format::Csv => {
                if first {
                    let mut header = CSV_HEADER.join(",");
                    if self.raw {
                        header.push_str(",raw");
                    }
                    writeln!(self.out, "{header}")?;
                }
                let o = out(record, self.raw);
                let field = |text: &str| {
                    if self.terminal {
                        csv_field(&sanitize(text))
                    } else {
                        csv_field(text)
                    }
                };
                let mut fields = vec![
                    field(o.id),
                    field(o.name),
                    o.size.map(|s| s.to_string()).unwrap_or_default(),
                    field(o.content_type.unwrap_or("")),
                    o.created_at.unwrap_or_default(),
                    o.updated_at.unwrap_or_default(),
                    field(o.url.unwrap_or("")),
                ];
                if self.raw {
                    fields.push(field(record.raw.get()));
                }
                writeln!(self.out, "{}", fields.join(","))?;
            }
            Format::Table => self.table.push([
                sanitize(&record.name).into_owned(),
                record.size.map(human_size).unwrap_or_default(),
                sanitize(record.content_type.as_deref().unwrap_or("")).into_owned(),
                record
                    .latest_date()
                    .as_ref()
                    .map(crate::text::short_date)
                    .unwrap_or_default(),
            ]),
        }
        self.written += 1;
        Ok(())
    }

    /// Hands what is buffered to the pipe: called once per page, so records reach a reader as
    /// soon as their page is in, without a write per record.
    fn page_done(&mut self) -> io::Result<()> {
        if self.format == Format::Table {
            return Ok(());
        }
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        if std::mem::replace(&mut self.finished, true) {
            return Ok(());
        }
        match self.format {
            Format::Json => {
                self.out
                    .write_all(if self.written == 0 { b"[]\n" } else { b"\n]\n" })?;
            }
            Format::Table => {
                use unicode_width::UnicodeWidthStr;
                let header = ["NAME", "SIZE", "TYPE", "DATE"].map(str::to_string);
                let rows: Vec<&[String; 4]> =
                    std::iter::once(&header).chain(self.table.iter()).collect();
                let width = |col: usize| rows.iter().map(|r| r[col].width()).max().unwrap_or(0);
                let widths = [width(0), width(1), width(2)];
                for row in rows {
                    let pad = |col: usize| " ".repeat(widths[col] - row[col].width());
                    writeln!(
                        self.out,
                        "{}{}  {}{}  {}{}  {}",
                        row[0],
                        pad(0),
                        pad(1),
                        row[1],
                        row[2],
                        pad(2),
                        row[3]
                    )?;
                }
            }
            Format::Ndjson | Format::Csv => {}
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("plain.txt"), "plain.txt");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    }
}
