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

/// A column of `ls --format table` (`--columns id,name,size,type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TableColumn {
    Id,
    Name,
    Size,
    Type,
    /// The later of created and updated.
    Date,
    Created,
    Updated,
    Url,
    /// A version row's version id (`ls --versions`).
    #[value(name = "version_id")]
    VersionId,
    /// Whether the version is the key's latest.
    #[value(name = "is_latest")]
    IsLatest,
    /// Whether the row is a delete marker.
    #[value(name = "delete_marker")]
    DeleteMarker,
}

impl TableColumn {
    /// What the table shows without `--columns`.
    pub const DEFAULT: [TableColumn; 4] = [
        TableColumn::Name,
        TableColumn::Size,
        TableColumn::Type,
        TableColumn::Date,
    ];

    /// What the table shows of versions (`ls --versions`) without `--columns`.
    pub const VERSIONS: [TableColumn; 6] = [
        TableColumn::Name,
        TableColumn::Size,
        TableColumn::Date,
        TableColumn::VersionId,
        TableColumn::IsLatest,
        TableColumn::DeleteMarker,
    ];

    fn title(self) -> &'static str {
        match self {
            TableColumn::Id => "ID",
            TableColumn::Name => "NAME",
            TableColumn::Size => "SIZE",
            TableColumn::Type => "TYPE",
            TableColumn::Date => "DATE",
            TableColumn::Created => "CREATED",
            TableColumn::Updated => "UPDATED",
            TableColumn::Url => "URL",
            TableColumn::VersionId => "VERSION",
            TableColumn::IsLatest => "LATEST",
            TableColumn::DeleteMarker => "DELETE MARKER",
        }
    }

    /// The cell of one record, made safe to print.
    fn cell(self, record: &FileRecord) -> String {
        let date =
            |t: Option<DateTime<Utc>>| t.as_ref().map(crate::text::short_date).unwrap_or_default();
        match self {
            TableColumn::Id => sanitize(&record.id).into_owned(),
            TableColumn::Name => sanitize(&record.name).into_owned(),
            TableColumn::Size => record.size.map(human_size).unwrap_or_default(),
            TableColumn::Type => {
                sanitize(record.content_type.as_deref().unwrap_or("")).into_owned()
            }
            TableColumn::Date => date(record.latest_date()),
            TableColumn::Created => date(record.created_at),
            TableColumn::Updated => date(record.updated_at),
            TableColumn::Url => sanitize(record.url.as_deref().unwrap_or("")).into_owned(),
            TableColumn::VersionId => {
                sanitize(&record.version_fields().version_id.unwrap_or_default()).into_owned()
            }
            TableColumn::IsLatest => flag(record.version_fields().is_latest),
            TableColumn::DeleteMarker => flag(record.version_fields().delete_marker),
        }
    }

    /// Narrowest a column is cut to when the table must fit a width.
    fn min_width(self) -> usize {
        match self {
            TableColumn::Type | TableColumn::Url => 4,
            TableColumn::Name | TableColumn::Id => 8,
            _ => 0,
        }
    }
}

/// A version field that is a yes or no, as JSON writes it.
fn flag(value: Option<bool>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Column widths that fit `width` (with two spaces between columns): the natural widths, cut
/// type first, then URL, then name, then id, each no narrower than its minimum. Columns that
/// cannot be cut keep their width, so a very narrow screen still gets every column.
fn fit_widths(columns: &[TableColumn], natural: &[usize], width: Option<usize>) -> Vec<usize> {
    let mut widths = natural.to_vec();
    let Some(width) = width else {
        return widths;
    };
    let gaps = 2 * columns.len().saturating_sub(1);
    for cut in [
        TableColumn::Type,
        TableColumn::Url,
        TableColumn::Name,
        TableColumn::Id,
    ] {
        let total: usize = widths.iter().sum::<usize>() + gaps;
        if total <= width {
            break;
        }
        if let Some(i) = columns.iter().position(|c| *c == cut) {
            let over = total - width;
            let floor = cut.min_width().min(widths[i]);
            widths[i] = widths[i].saturating_sub(over).max(floor);
        }
    }
    widths
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
    /// The listing's fields beside these (a bucket's `region`), in order.
    #[serde(flatten)]
    extra: serde_json::Map<String, serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<&'a RawValue>,
}

fn rfc3339(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

fn out<'a>(record: &'a FileRecord, raw: bool, extra: &[Extra]) -> Out<'a> {
    let values: Option<serde_json::Value> = (!extra.is_empty())
        .then(|| serde_json::from_str(record.raw.get()).ok())
        .flatten();
    Out {
        id: &record.id,
        name: &record.name,
        size: record.size,
        content_type: record.content_type.as_deref(),
        created_at: rfc3339(record.created_at),
        updated_at: rfc3339(record.updated_at),
        url: record.url.as_deref(),
        extra: extra
            .iter()
            .map(|(name, pointer)| {
                let value = values
                    .as_ref()
                    .and_then(|v| v.pointer(pointer))
                    .cloned()
                    .unwrap_or(serde_json::Value::Null);
                (name.to_string(), value)
            })
            .collect(),
        raw: raw.then_some(record.raw.as_ref()),
    }
}

impl Out<'_> {
    /// The extra fields' cells, in the order the listing names them (the JSON object keeps
    /// them by name).
    fn extra_cells(&self, extra: &[Extra]) -> Vec<String> {
        extra
            .iter()
            .map(|(name, _)| self.extra.get(*name).map(extra_cell).unwrap_or_default())
            .collect()
    }
}

/// A field of a listing beside the common ones: its name, and the JSON pointer of its value
/// in the record's raw object ([`crate::api::Dialect::extra_fields`]).
pub type Extra = (&'static str, &'static str);

/// An extra field's value as one cell: a string as it is, nothing for null, else its JSON.
fn extra_cell(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(text) => text.clone(),
        other => json_line(other),
    }
}

const CSV_HEADER: [&str; 7] = crate::api::record::FIELDS;

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
/// valid JSON holding exactly the same data; raw values (the server's record) included. The
/// layout (compact or indented) is the inner formatter's. The one JSON writer: every command
/// and view that prints or copies JSON goes through [`write_json`] or [`pretty_json`].
struct SafeJson<F>(F);

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

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for SafeJson<F> {
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

    // The layout is the inner formatter's.
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Writes a value as one line of JSON no terminal can be driven by.
pub fn write_json<W: Write>(writer: W, value: &impl Serialize) -> io::Result<()> {
    let mut serializer =
        serde_json::Serializer::with_formatter(writer, SafeJson(serde_json::ser::CompactFormatter));
    value.serialize(&mut serializer).map_err(io::Error::from)
}

/// [`write_json`] into a string (a table cell holding an object or a number).
pub fn json_line(value: &impl Serialize) -> String {
    let mut out = Vec::new();
    // Into memory: fails only for a value serde cannot represent, which no caller passes.
    let _ = write_json(&mut out, value);
    String::from_utf8(out).unwrap_or_default()
}

/// Indented JSON no terminal can be driven by (`stats --format json`, the detail pane, `y j`).
pub fn pretty_json(value: &impl Serialize) -> String {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(
        &mut out,
        SafeJson(serde_json::ser::PrettyFormatter::new()),
    );
    // Serializing into memory fails only for a value serde cannot represent (a map with
    // non-string keys), which no caller passes.
    let _ = value.serialize(&mut serializer);
    String::from_utf8(out).unwrap_or_default()
}

/// A server's record, indented, as [`pretty_json`] writes it. A record too deep to read
/// back into a tree is written as it came (escaped all the same).
pub fn pretty_raw(raw: &RawValue) -> String {
    match serde_json::from_str::<serde_json::Value>(raw.get()) {
        Ok(value) => pretty_json(&value),
        Err(_) => pretty_json(&raw),
    }
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
    table: Vec<Vec<String>>,
    /// The table's columns, and the width it must fit (a terminal's), if any.
    columns: Vec<TableColumn>,
    width: Option<usize>,
    /// The listing's fields beside the common ones, after them in every format.
    extra: Vec<Extra>,
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
            columns: TableColumn::DEFAULT.to_vec(),
            width: None,
            extra: Vec::new(),
            finished: false,
        }
    }

    /// A listing of versions: the table's default columns are the versions' (the fields
    /// themselves are the dialect's extra fields, [`Sink::extra_fields`]).
    pub fn versions(mut self, versions: bool) -> Self {
        if versions && self.columns == TableColumn::DEFAULT {
            self.columns = TableColumn::VERSIONS.to_vec();
        }
        self
    }

    /// The extra fields the table adds as columns: those no column of its own shows already
    /// (`version_id` beside the VERSION column).
    fn table_extra(&self) -> Vec<Extra> {
        use clap::ValueEnum;
        self.extra
            .iter()
            .filter(|(name, _)| {
                !self
                    .columns
                    .iter()
                    .any(|c| c.to_possible_value().is_some_and(|v| v.get_name() == *name))
            })
            .copied()
            .collect()
    }

    /// The table's columns (`--columns`), and the width it must fit (the terminal's).
    pub fn table_layout(mut self, columns: &[TableColumn], width: Option<usize>) -> Self {
        if !columns.is_empty() {
            self.columns = columns.to_vec();
        }
        self.width = width;
        self
    }

    /// The listing's fields beside the common ones (a bucket's `region`): written after
    /// them, as fields of JSON, columns of CSV and of the table.
    pub fn extra_fields(mut self, extra: Vec<Extra>) -> Self {
        self.extra = extra;
        self
    }

    pub fn record(&mut self, record: &FileRecord) -> io::Result<()> {
        let first = self.written == 0;
        match self.format {
            Format::Ndjson => {
                write_json(&mut *self.out, &out(record, self.raw, &self.extra))?;
                self.out.write_all(b"\n")?;
            }
            Format::Json => {
                self.out.write_all(if first { b"[\n" } else { b",\n" })?;
                write_json(&mut *self.out, &out(record, self.raw, &self.extra))?;
            }
            Format::Csv => {
                if first {
                    let mut header = CSV_HEADER.join(",");
                    for (name, _) in &self.extra {
                        header.push(',');
                        header.push_str(name);
                    }
                    if self.raw {
                        header.push_str(",raw");
                    }
                    writeln!(self.out, "{header}")?;
                }
                let o = out(record, self.raw, &self.extra);
                let extra = o.extra_cells(&self.extra);
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
                fields.extend(extra.iter().map(|v| field(v)));
                if self.raw {
                    fields.push(field(record.raw.get()));
                }
                writeln!(self.out, "{}", fields.join(","))?;
            }
            Format::Table => {
                let mut row: Vec<String> = self.columns.iter().map(|c| c.cell(record)).collect();
                let extra = self.table_extra();
                if !extra.is_empty() {
                    let o = out(record, false, &extra);
                    row.extend(
                        o.extra_cells(&extra)
                            .iter()
                            .map(|v| sanitize(v).into_owned()),
                    );
                }
                self.table.push(row);
            }
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

    /// Ends the output of a listing that failed: a JSON array is closed, so what was printed
    /// stays valid; a table with no rows prints nothing, not a header above the error.
    pub fn finish_failed(&mut self) -> io::Result<()> {
        if self.format == Format::Table && self.written == 0 {
            self.finished = true;
            return Ok(());
        }
        self.finish()
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
                let header: Vec<String> = self
                    .columns
                    .iter()
                    .map(|c| c.title().to_string())
                    .chain(
                        self.table_extra()
                            .iter()
                            .map(|(name, _)| name.to_ascii_uppercase()),
                    )
                    .collect();
                let rows: Vec<&Vec<String>> =
                    std::iter::once(&header).chain(self.table.iter()).collect();
                let natural: Vec<usize> = (0..header.len())
                    .map(|col| rows.iter().map(|r| r[col].width()).max().unwrap_or(0))
                    .collect();
                let widths = fit_widths(&self.columns, &natural, self.width);
                let last = header.len().saturating_sub(1);
                for row in rows {
                    let mut line = String::new();
                    for (col, cell) in row.iter().enumerate() {
                        // A cut cell ends with `…`: never silently.
                        let cell = crate::text::fit_width(cell, widths[col]);
                        let pad = " ".repeat(widths[col].saturating_sub(cell.width()));
                        if col > 0 {
                            line.push_str("  ");
                        }
                        if self.columns.get(col) == Some(&TableColumn::Size) {
                            line.push_str(&pad);
                            line.push_str(&cell);
                        } else {
                            line.push_str(&cell);
                            if col < last {
                                line.push_str(&pad);
                            }
                        }
                    }
                    writeln!(self.out, "{}", line.trim_end())?;
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
    fn a_table_fits_its_width_by_cutting_the_type_first() {
        use TableColumn::*;
        let columns = [Id, Name, Size, Type];
        let natural = [36, 30, 8, 70];
        let gaps = 6;
        assert_eq!(fit_widths(&columns, &natural, None), natural);
        assert_eq!(fit_widths(&columns, &natural, Some(200)), natural);
        let w = fit_widths(&columns, &natural, Some(100));
        assert_eq!(w, [36, 30, 8, 100 - gaps - 36 - 30 - 8]);
        // Narrower still: the type stops at 4, then the name gives, then the id.
        let w = fit_widths(&columns, &natural, Some(60));
        assert_eq!(w[3], 4);
        assert_eq!(w.iter().sum::<usize>() + gaps, 60);
        let w = fit_widths(&columns, &natural, Some(10));
        assert_eq!(w, [8, 8, 8, 4], "never narrower than each minimum");
    }

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
    fn indented_json_escapes_the_same_and_keeps_serde_jsons_layout() {
        let value = serde_json::json!({
            "name": "a\u{9b}b\u{9d}c\u{85}d\u{202e}e\u{7f}",
            "list": [1, {"k": "\u{1b}]52;c;eA==\u{7}"}],
            "empty": {},
        });
        let text = pretty_json(&value);
        assert!(
            !text.chars().any(|c| crate::text::is_unsafe(c) && c != '\n'),
            "{text:?}"
        );
        assert!(
            text.contains(r#""a\u009bb\u009dc\u0085d\u202ee\u007f""#),
            "{text}"
        );
        // The same layout as serde_json's own, and the same data.
        let plain = serde_json::to_string_pretty(&serde_json::json!({
            "name": "x", "list": [1, {"k": "y"}], "empty": {},
        }))
        .unwrap();
        let safe = pretty_json(&serde_json::json!({
            "name": "x", "list": [1, {"k": "y"}], "empty": {},
        }));
        assert_eq!(safe, plain);
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
        // A server's record, read back into a tree and indented.
        let raw = RawValue::from_string("{\"n\":\"x\u{9b}\"}".to_string()).unwrap();
        assert_eq!(pretty_raw(&raw), "{\n  \"n\": \"x\\u009b\"\n}");
    }

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("plain.txt"), "plain.txt");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    }
}
