//! The detail pane: every normalized field of the selected file, any problems reading it, and
//! the server's raw JSON, wrapped to the pane and scrollable.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use unicode_width::UnicodeWidthChar;

use crate::api::FileRecord;
use crate::app::{App, Detail, Focus};
use crate::listing::Row;
use crate::text::{full_date, human_size, sanitize, thousands};

const LABEL_WIDTH: usize = 10;

pub fn draw(frame: &mut Frame<'_>, app: &App, area: Rect, full: bool) {
    let focused = full || app.focus() == Focus::Detail;
    let border_style = if focused {
        Style::new().fg(Color::Cyan)
    } else {
        Style::new().add_modifier(Modifier::DIM)
    };
    let borders = if full { Borders::TOP } else { Borders::ALL };
    let block = Block::default()
        .borders(borders)
        .border_style(border_style)
        .title(if full {
            " Detail (Esc returns) "
        } else {
            " Detail "
        });
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }

    let lines = match app.row(app.cursor().selected) {
        _ if app.row_count() == 0 => vec![Line::from("nothing selected").dim()],
        Row::Loaded(record) => {
            let width = inner.width as usize;
            let mut lines = match app.detail().get(&record.id) {
                Some(Detail::Loaded(full)) => detail_lines(full, width),
                Some(Detail::Pending) => {
                    let mut lines = vec![Line::from("loading the full record…").dim()];
                    lines.extend(detail_lines(record, width));
                    lines
                }
                Some(Detail::Failed(reason)) => {
                    let mut lines = wrap_styled(
                        &format!("full record: {}", sanitize(reason)),
                        width,
                        Style::new().fg(Color::Red),
                    );
                    lines.extend(detail_lines(record, width));
                    lines
                }
                None => detail_lines(record, width),
            };
            // A server search can match a field the list does not show (FileJar's `report`
            // finds `Release Schedule.pdf` by its description): say which.
            let needle = app.listing().filter().text.trim();
            let shown = match app.detail().get(&record.id) {
                Some(Detail::Loaded(full)) => full,
                _ => record,
            };
            if let Some((path, value)) = matched_field(shown, needle) {
                let mut said = wrap_styled(
                    &format!("matched in {path}: {value}"),
                    width,
                    Style::new().fg(Color::Yellow),
                );
                said.extend(lines);
                lines = said;
            }
            lines
        }
        Row::Pending => vec![Line::from("loading…").dim()],
        Row::Failed(reason) => wrap_styled(
            &format!("this page failed: {}", sanitize(reason)),
            inner.width as usize,
            Style::new().fg(Color::Red),
        ),
    };
    let max_scroll = lines.len().saturating_sub(inner.height as usize);
    let scroll = (app.detail().scroll() as usize).min(max_scroll);
    let shown: Vec<Line> = lines
        .into_iter()
        .skip(scroll)
        .take(inner.height as usize)
        .collect();
    frame.render_widget(Paragraph::new(shown), inner);
}

/// Where a record holds `needle` (ignoring ASCII case) when its name does not: the first
/// field of its raw record whose text has it (a dotted path, `tags.0`), and that text, cut to
/// 60 characters and made safe. `None` when the name shows the match or nothing has it.
pub fn matched_field(record: &FileRecord, needle: &str) -> Option<(String, String)> {
    let needle = needle.to_ascii_lowercase();
    if needle.is_empty() || record.name.to_ascii_lowercase().contains(&needle) {
        return None;
    }
    fn find(value: &serde_json::Value, needle: &str, path: &mut Vec<String>) -> Option<String> {
        match value {
            serde_json::Value::String(text) if text.to_ascii_lowercase().contains(needle) => {
                Some(text.clone())
            }
            serde_json::Value::Object(map) => map.iter().find_map(|(key, value)| {
                path.push(key.clone());
                let found = find(value, needle, path);
                if found.is_none() {
                    path.pop();
                }
                found
            }),
            serde_json::Value::Array(items) => items.iter().enumerate().find_map(|(i, value)| {
                path.push(i.to_string());
                let found = find(value, needle, path);
                if found.is_none() {
                    path.pop();
                }
                found
            }),
            _ => None,
        }
    }
    let raw: serde_json::Value = serde_json::from_str(record.raw.get()).ok()?;
    let mut path = Vec::new();
    let text = find(&raw, &needle, &mut path)?;
    let text: String = text.chars().take(60).collect();
    Some((
        sanitize(&path.join(".")).into_owned(),
        sanitize(&text).into_owned(),
    ))
}

/// The pane's content for one record, wrapped to `width` columns: one `Line` per screen line,
/// so scrolling is exact.
pub fn detail_lines(record: &FileRecord, width: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut field = |label: &str, value: String| {
        lines.extend(labelled(label, &value, width));
    };
    field("Name", record.name.clone());
    field("ID", record.id.clone());
    field(
        "Size",
        match record.size {
            Some(n) => format!("{} ({} bytes)", human_size(n), thousands(n as usize)),
            None => String::new(),
        },
    );
    field("Type", record.content_type.clone().unwrap_or_default());
    field(
        "Created",
        record
            .created_at
            .as_ref()
            .map(full_date)
            .unwrap_or_default(),
    );
    field(
        "Updated",
        record
            .updated_at
            .as_ref()
            .map(full_date)
            .unwrap_or_default(),
    );
    field("URL", record.url.clone().unwrap_or_default());
    for problem in &record.problems {
        lines.extend(wrap_styled(
            &format!("⚠ {}", sanitize(problem)),
            width,
            Style::new().fg(Color::Yellow),
        ));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("Raw JSON", Style::new().bold())));
    // JSON's own escapes (`\u001b`, `\u202e`), so the pane shows valid JSON and nothing in
    // it can drive the terminal.
    let pretty = crate::export::pretty_raw(&record.raw);
    for line in pretty.lines() {
        lines.extend(
            wrap_json(&sanitize(line), width)
                .into_iter()
                .map(|l| Line::from(json_spans(&l))),
        );
    }
    lines
}

/// "Label     value", the value sanitized (its escapes drawn apart) and wrapped under itself.
fn labelled(label: &str, value: &str, width: usize) -> Vec<Line<'static>> {
    let value_width = width.saturating_sub(LABEL_WIDTH).max(1);
    let chunks = wrap_spans(super::safe_spans(value, Style::new()), value_width);
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            let head = if i == 0 { label } else { "" };
            let mut spans = vec![Span::styled(
                format!("{head:<LABEL_WIDTH$}"),
                Style::new().fg(Color::Cyan),
            )];
            spans.extend(chunk);
            Line::from(spans)
        })
        .collect()
}

/// Spans hard-wrapped at `width` display columns, each keeping its style. Always at least
/// one (possibly empty) line.
fn wrap_spans(spans: Vec<Span<'static>>, width: usize) -> Vec<Vec<Span<'static>>> {
    let width = width.max(2);
    let mut lines = vec![Vec::new()];
    let mut used = 0;
    for span in spans {
        let mut text = String::new();
        for c in span.content.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > width {
                if let Some(line) = lines.last_mut()
                    && !text.is_empty()
                {
                    line.push(Span::styled(std::mem::take(&mut text), span.style));
                }
                lines.push(Vec::new());
                used = 0;
            }
            text.push(c);
            used += w;
        }
        if let Some(line) = lines.last_mut()
            && !text.is_empty()
        {
            line.push(Span::styled(text, span.style));
        }
    }
    lines
}

/// A line of JSON as spans, its escapes of characters that must not reach a terminal
/// (`\u001b`, `\n`) drawn apart; `\\` and `\"` are text.
fn json_spans(line: &str) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut text = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            text.push(c);
            continue;
        }
        let escape = match chars.peek() {
            Some('n' | 't' | 'r' | 'b' | 'f') => chars.next().map(|e| format!("\\{e}")),
            Some('u') => {
                let hex: String = chars.clone().skip(1).take(4).collect();
                u32::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 4)
                    .and_then(char::from_u32)
                    .filter(|c| crate::text::is_unsafe(*c))
                    .map(|_| {
                        chars.nth(4);
                        format!("\\u{hex}")
                    })
            }
            _ => None,
        };
        match escape {
            Some(escape) => {
                if !text.is_empty() {
                    spans.push(Span::raw(std::mem::take(&mut text)));
                }
                spans.push(Span::styled(escape, super::escape_style()));
            }
            None => {
                // `\\`, `\"` and the like: text, both characters.
                text.push(c);
                if let Some(next) = chars.next() {
                    text.push(next);
                }
            }
        }
    }
    if !text.is_empty() {
        spans.push(Span::raw(text));
    }
    spans
}

fn wrap_styled(text: &str, width: usize, style: Style) -> Vec<Line<'static>> {
    wrap(text, width)
        .into_iter()
        .map(|chunk| Line::from(Span::styled(chunk, style)))
        .collect()
}

/// Hard-wraps text at `width` display columns (wide characters count two). Always returns at
/// least one (possibly empty) line.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(2);
    let mut out = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            out.push(std::mem::take(&mut line));
            used = 0;
        }
        line.push(c);
        used += w;
    }
    out.push(line);
    out
}

/// Wraps a line of pretty-printed JSON at `width` columns: after a space, a comma, a colon, a
/// hyphen or a slash where one is in reach (so a token is not split), and each continuation indented two columns
/// past the line's own indentation, so it reads as the same value.
pub fn wrap_json(line: &str, width: usize) -> Vec<String> {
    let width = width.max(2);
    let indent = line.len() - line.trim_start_matches(' ').len();
    let pad = if indent + 2 <= width / 2 {
        indent + 2
    } else {
        0
    };
    let mut rest: &str = line;
    let mut out = Vec::new();
    loop {
        let lead = if out.is_empty() { 0 } else { pad };
        let room = width - lead;
        let mut used = 0;
        let mut end = 0;
        let mut at_break = None;
        for (i, c) in rest.char_indices() {
            let w = c.width().unwrap_or(0);
            if used + w > room {
                break;
            }
            used += w;
            end = i + c.len_utf8();
            // Not in the indentation it starts with.
            if matches!(c, ' ' | ',' | ':' | '-' | '/') && !rest[..i].trim_start().is_empty() {
                at_break = Some(end);
            }
        }
        if end >= rest.len() {
            out.push(format!("{}{rest}", " ".repeat(lead)));
            return out;
        }
        let cut = match at_break {
            Some(b) => b,
            // Nothing fits (a character wider than the room): one goes anyway.
            None if end == 0 => rest.chars().next().map_or(rest.len(), char::len_utf8),
            None => end,
        };
        out.push(format!("{}{}", " ".repeat(lead), &rest[..cut]));
        rest = &rest[cut..];
    }
}

#[cfg(test)]
mod tests {

    fn record(name: &str, raw: &str) -> FileRecord {
        FileRecord {
            id: "f1".into(),
            name: name.into(),
            size: None,
            content_type: None,
            created_at: None,
            updated_at: None,
            url: None,
            problems: Vec::new(),
            raw: serde_json::value::RawValue::from_string(raw.into()).unwrap(),
        }
    }

    /// Issue 27, Expected 3: where a server search matched a field the list does not show,
    /// the detail can say which; a match in the name needs no word.
    #[test]
    fn the_field_a_search_matched_is_found_when_the_name_does_not_show_it() {
        let r = record(
            "Release Schedule.pdf",
            r#"{"id":"f1","meta":{"tags":["q3","Quarterly REPORT \u001b[31m"]},"size":3}"#,
        );
        assert_eq!(
            matched_field(&r, "report"),
            Some((
                "meta.tags.1".to_string(),
                "Quarterly REPORT \\x1b[31m".to_string()
            ))
        );
        assert_eq!(matched_field(&r, "schedule"), None, "the name shows it");
        assert_eq!(matched_field(&r, "nowhere"), None);
        assert_eq!(matched_field(&r, ""), None);
    }

    use super::*;

    #[test]
    fn wraps_by_display_width() {
        assert_eq!(wrap("abcdef", 4), ["abcd", "ef"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(wrap("報告書です", 4), ["報告", "書で", "す"]);
    }

    #[test]
    fn json_escapes_are_drawn_apart_and_escaped_backslashes_are_text() {
        let spans = json_spans(r#"  "a\u001b[31m\\u001b\n\"x": 1"#);
        let escapes: Vec<&str> = spans
            .iter()
            .filter(|s| s.style == crate::ui::escape_style())
            .map(|s| s.content.as_ref())
            .collect();
        assert_eq!(escapes, [r"\u001b", r"\n"]);
        let whole: String = spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(whole, r#"  "a\u001b[31m\\u001b\n\"x": 1"#);
    }

    #[test]
    fn json_wraps_between_tokens_and_indents_what_follows() {
        assert_eq!(
            wrap_json("  \"note\": \"the storage-node-identifier\",", 20),
            [
                "  \"note\": \"the ",
                "    storage-node-",
                "    identifier\",",
            ]
        );
        assert_eq!(wrap_json("{", 20), ["{"]);
        assert_eq!(wrap_json("  \"a\": 1", 4), ["  \"a", "\": 1"]);
    }
}
