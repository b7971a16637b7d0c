//! The formats records are written in — NDJSON, JSON, CSV and an aligned table — for
//! `filescope ls` and the explorer's export alike.
//!
//! No server string can drive a terminal through them: JSON always escapes C0 and C1 controls,
//! DEL and bidirectional controls as `\uXXXX` (still the exact data, for any JSON reader); the
//! table shows visible escapes; CSV is exact for scripts, shows visible escapes on a terminal,
//! and in its spreadsheet-safe style also neutralises formula cells.

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

/// How CSV cells are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvStyle {
    /// Exactly the data: for scripts (`ls --format csv` into a file or a pipe).
    Exact,
    /// Control characters as visible escapes: for a terminal.
    Visible,
    /// Visible escapes, and a cell that a spreadsheet would run as a formula (starting with
    /// `=`, `+`, `-`, `@`, a tab or a carriage return) is prefixed with `'`, as OWASP
    /// recommends: the explorer's CSV export, and `ls --format csv --safe`.
    Spreadsheet,
}

/// Quotes a CSV field when it needs it (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// One text cell in a style.
fn csv_cell(text: &str, style: CsvStyle) -> String {
    match style {
        CsvStyle::Exact => csv_field(text),
        CsvStyle::Visible => csv_field(&sanitize(text)),
        CsvStyle::Spreadsheet => {
            let formula = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
            let shown = sanitize(text);
            if formula {
                csv_field(&format!("'{shown}"))
            } else {
                csv_field(&shown)
            }
        }
    }
}

/// serde_json's output with every character that could drive a terminal — C0 and C1
/// controls, DEL, bidirectional controls, invisible separators — escaped as `\uXXXX`. Still
/// valid JSON holding exactly the same data; raw values (the server's record) included.
struct SafeJson;

fn write_escaped<W: ?Sized + Write>(writer: &mut W, text: &str, keep: &[char]) -> io::Result<()> {
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if crate::text::is_unsafe(c) && !keep.contains(&c) {
            writer.write_all(&text.as_bytes()[start..i])?;
            write!(writer, "\\u{:04x}", c as u32)?;
            start = i + c.len_utf8();
        }
    }
    writer.write_all(&text.as_bytes()[start..])
}

impl serde_json::ser::Formatter for SafeJson {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        write_escaped(writer, fragment, &[])
    }

    /// A raw value is valid JSON: outside its strings only whitespace may be a control
    /// character, and inside them a raw one cannot be valid. So every other unsafe character
    /// sits in a string, where `\uXXXX` says the same.
    fn write_raw_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        write_escaped(writer, fragment, &[' ', '\t', '\n', '\r'])
    }
}

/// Writes a value as JSON no terminal can be driven by.
pub fn write_json<W: Write>(writer: W, value: &impl Serialize) -> io::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(writer, SafeJson);
    value.serialize(&mut serializer).map_err(io::Error::from)
}

/// Indented JSON no terminal can be driven by (the detail pane's raw record).
pub fn pretty_json(value: &impl Serialize) -> String {
    // The pretty formatter indents; the escaping is applied to its output, whose strings are
    // already JSON-escaped for C0, so what is left unsafe can only be inside strings.
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    let mut out = Vec::with_capacity(text.len());
    let _ = write_escaped(&mut out, &text, &[' ', '\t', '\n', '\r']);
    String::from_utf8(out).unwrap_or(text)
}

/// Writes `records` in `format` for people (the explorer's export of marked files): CSV in
/// its spreadsheet-safe style. Returns how many were written.
pub fn write_records(
    records: &[FileRecord],
    format: Format,
    out: &mut (dyn Write + Send),
) -> io::Result<usize> {
    let mut sink = Sink::new(format, false, CsvStyle::Spreadsheet, out);
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
    csv: CsvStyle,
    out: &'a mut (dyn Write + Send),
    /// Records written so far.
    pub written: usize,
    /// Table rows, aligned once all are in.
    table: Vec<[String; 4]>,
    finished: bool,
}

impl<'a> Sink<'a> {
    /// A sink writing `format` to `out`; `raw` adds the server's record; `csv` says how CSV
    /// cells are written.
    pub fn new(format: Format, raw: bool, csv: CsvStyle, out: &'a mut (dyn Write + Send)) -> Self {
        Sink {
            format,
            raw,
            csv,
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
                write_json(&mut *self.out, &out(record, self.raw))?;
                self.out.write_all(b"\n")?;
            }
            Format::Json => {
                self.out.write_all(if first { b"[\n" } else { b",\n" })?;
                write_json(&mut *self.out, &out(record, self.raw))?;
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
                let field = |text: &str| csv_cell(text, self.csv);
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
    fn spreadsheet_cells_neither_run_nor_drive_a_terminal() {
        for (text, shown) in [
            ("=1+1", "'=1+1"),
            ("+x", "'+x"),
            ("-x", "'-x"),
            ("@x", "'@x"),
            ("\tx", "'\\tx"),
            ("\rx", "'\\rx"),
            ("a=b", "a=b"),
            ("\u{1b}[2J", "\\x1b[2J"),
        ] {
            let cell = csv_cell(text, CsvStyle::Spreadsheet);
            assert_eq!(cell, shown, "{text:?}");
        }
        assert_eq!(csv_cell("=1+1", CsvStyle::Exact), "=1+1");
        assert_eq!(csv_cell("\u{1b}", CsvStyle::Visible), "\\x1b");
    }

    #[test]
    fn json_escapes_what_could_drive_a_terminal_and_stays_the_same_data() {
        let value = serde_json::json!({"name": "a\u{1b}b\u{9b}c\u{7f}d\u{202e}e"});
        let mut out = Vec::new();
        write_json(&mut out, &value).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, r#"{"name":"a\u001bb\u009bc\u007fd\u202ee"}"#);
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
        // A raw record is escaped inside its strings, and its whitespace is left alone.
        let raw =
            serde_json::value::RawValue::from_string("{\"n\": \"x\u{9b}y\u{202e}\"}".to_string())
                .unwrap();
        let mut out = Vec::new();
        write_json(&mut out, &raw).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"n": "x\u009by\u202e"}"#
        );
    }

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("plain.txt"), "plain.txt");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    }
}
