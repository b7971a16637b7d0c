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
            match app.detail().get(&record.id) {
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
            }
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
        lines.extend(wrap_styled(&sanitize(line), width, Style::new()));
    }
    lines
}

/// "Label     value", the value sanitized and wrapped under itself.
fn labelled(label: &str, value: &str, width: usize) -> Vec<Line<'static>> {
    let value = sanitize(value);
    let value_width = width.saturating_sub(LABEL_WIDTH).max(1);
    let chunks = wrap(&value, value_width);
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            let head = if i == 0 { label } else { "" };
            Line::from(vec![
                Span::styled(
                    format!("{head:<LABEL_WIDTH$}"),
                    Style::new().fg(Color::Cyan),
                ),
                Span::raw(chunk),
            ])
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_by_display_width() {
        assert_eq!(wrap("abcdef", 4), ["abcd", "ef"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(wrap("報告書です", 4), ["報告", "書で", "す"]);
    }
}
