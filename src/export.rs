//! The formats records are written in — NDJSON, JSON, CSV and an aligned table — for
//! `filescope ls` and the explorer's export alike.

use std::io::{self, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::api::FileRecord;
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
    let mut sink = Sink::new(format, false, false, out);
    for record in records {
        sink.record(record)?;
    }
    sink.finish()?;
    Ok(sink.written)
}

/// Writes records in one format, keeping what the format needs between records.
pub struct Sink<'a> {
    format: Format,
    raw: bool,
    terminal: bool,
    out: &'a mut (dyn Write + Send),
    /// Records written so far.
    pub written: usize,
    /// Table rows, aligned once all are in.
    table: Vec<[String; 4]>,
    finished: bool,
}

impl<'a> Sink<'a> {
    /// A sink writing `format` to `out`; `raw` adds the server's record; `terminal` makes CSV
    /// fields safe to show.
    pub fn new(format: Format, raw: bool, terminal: bool, out: &'a mut (dyn Write + Send)) -> Self {
        Sink {
            format,
            raw,
            terminal,
            out,
            written: 0,
            table: Vec::new(),
            finished: false,
        }
    }

    pub fn record(&mut self, record: &FileRecord) -> io::Result<()> {
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
    pub fn page_done(&mut self) -> io::Result<()> {
        if self.format == Format::Table {
            return Ok(());
        }
        self.out.flush()
    }

    pub fn finish(&mut self) -> io::Result<()> {
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
