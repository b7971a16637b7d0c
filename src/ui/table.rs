//! The file table. Only the rows on screen are built, so a frame costs the same for a hundred
//! rows as for a million.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row as TableRow, Table, TableState};

use crate::api::SortField;
use crate::app::columns::Columns;
use crate::app::{App, Focus};
use crate::listing::Row;
use crate::text::{fit_width, human_size, sanitize};

pub fn draw(frame: &mut Frame<'_>, app: &App, area: Rect) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let cols = app.table_columns(area.width);
    let show_updated = app
        .listing()
        .sort()
        .is_some_and(|s| s.field == SortField::Updated);
    let header = {
        let mut cells = vec![Cell::from(title("Name", app, SortField::Name))];
        if cols.size {
            cells.push(Cell::from(
                Line::from(title("Size", app, SortField::Size)).alignment(Alignment::Right),
            ));
        }
        if cols.kind {
            cells.push(Cell::from(title("Type", app, SortField::Type)));
        }
        for (name, _, w) in &cols.paths {
            cells.push(Cell::from(
                fit_width(&sanitize(name), *w as usize).into_owned(),
            ));
        }
        if cols.date {
            cells.push(Cell::from(if show_updated {
                title("Updated", app, SortField::Updated)
            } else {
                title("Created", app, SortField::Created)
            }));
        }
        TableRow::new(cells).style(Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED))
    };

    if let Some(reason) = app.listing().failure() {
        // One clear error state, not rows of it: the whole reason, and the key that retries.
        let table = Table::new(Vec::<TableRow>::new(), cols.widths()).header(header);
        frame.render_widget(table, area);
        if area.height > 1 {
            let below = Rect::new(area.x, area.y + 1, area.width, area.height - 1);
            let text = vec![
                Line::styled(
                    format!("⚠ {}", sanitize(reason)),
                    Style::new().fg(Color::Red),
                ),
                Line::from(""),
                Line::styled(
                    format!("{} retry", app.key(crate::app::Action::Reload)),
                    Style::new().add_modifier(Modifier::BOLD),
                ),
            ];
            frame.render_widget(
                Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: false }),
                below,
            );
        }
        return;
    }
    let len = app.listing().display_len();
    let visible = app.cursor().visible(len);
    if visible.is_empty() {
        let message = if app.is_loading() || !app.is_count_known() {
            "loading…".to_string()
        } else if app.listing().filter().is_empty() {
            "no files".to_string()
        } else {
            format!(
                "{} clears the filter · no files match it",
                app.key(crate::app::Action::ClearFilter)
            )
        };
        let table = Table::new(Vec::<TableRow>::new(), cols.widths()).header(header);
        frame.render_widget(table, area);
        if area.height > 1 {
            let below = Rect::new(area.x, area.y + 1, area.width, 1);
            frame.render_widget(
                Paragraph::new(message).style(Style::new().add_modifier(Modifier::DIM)),
                below,
            );
        }
        return;
    }

    let name_width = cols.name_width(area.width) as usize;
    // A gutter for marks while any row on screen has one.
    let gutter = visible.clone().any(|i| match app.row(i) {
        Row::Loaded(r) => app.marks().contains(&r.id) || app.files().is_deleted(&r.id),
        _ => false,
    });
    let rows: Vec<TableRow> = visible
        .clone()
        .map(|i| match (app.row(i), app.listing().previous_row(i)) {
            // Until the reload brings its page again, the old row stays, dimmed.
            (Row::Pending, Some(old)) => row_cells(
                app,
                Row::Loaded(old),
                &cols,
                show_updated,
                name_width,
                gutter,
            )
            .style(Style::new().add_modifier(Modifier::DIM)),
            (row, _) => row_cells(app, row, &cols, show_updated, name_width, gutter),
        })
        .collect();
    let highlight = if app.focus() == Focus::List {
        Style::new().add_modifier(Modifier::REVERSED)
    } else {
        Style::new().add_modifier(Modifier::UNDERLINED)
    };
    let table = Table::new(rows, cols.widths())
        .header(header)
        .column_spacing(1)
        .row_highlight_style(highlight);
    let mut state =
        TableState::default().with_selected(Some(app.cursor().selected - visible.start));
    frame.render_stateful_widget(table, area, &mut state);
}

/// The value at a dotted path of a record (`owner.username`, `tags.0`): text as it is, other
/// values as JSON, nothing for a path that is not there.
pub fn field_at(value: &serde_json::Value, path: &str) -> String {
    let mut at = value;
    for part in path.split('.') {
        let next = match at {
            serde_json::Value::Object(map) => map.get(part),
            serde_json::Value::Array(items) => {
                part.parse::<usize>().ok().and_then(|i| items.get(i))
            }
            _ => None,
        };
        match next {
            Some(next) => at = next,
            None => return String::new(),
        }
    }
    match at {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Null => String::new(),
        other => crate::export::json_line(other),
    }
}

fn title(name: &str, app: &App, field: SortField) -> String {
    if let Some(sort) = app.listing().sort().filter(|s| s.field == field) {
        format!("{name} {}", sort.order.arrow())
    } else {
        name.to_string()
    }
}

fn row_cells(
    app: &App,
    row: Row<'_>,
    cols: &Columns,
    show_updated: bool,
    name_width: usize,
    gutter: bool,
) -> TableRow<'static> {
    match row {
        Row::Loaded(record) => {
            let marked = app.marks().contains(&record.id);
            let deleted = app.files().is_deleted(&record.id);
            // Marks go in a gutter the other rows keep too, so the names stay in line.
            let mark = if deleted {
                "✗ "
            } else if marked {
                "● "
            } else if gutter {
                "  "
            } else {
                ""
            };
            let mut name = vec![Span::raw(mark)];
            // The filter's text is shown where it is in each name, as less and vim show a
            // search.
            name.extend(super::safe_spans_matching(
                &record.name,
                Style::new(),
                app.listing().filter().text.trim(),
            ));
            // A cut name ends with `…`; the whole of it is in the detail.
            let mut cells = vec![Cell::from(super::fit_line(name, name_width))];
            if cols.size {
                let size = record.size.map(human_size).unwrap_or_default();
                cells.push(Cell::from(Line::from(size).alignment(Alignment::Right)));
            }
            if cols.kind {
                let kind = sanitize(record.content_type.as_deref().unwrap_or_default());
                cells.push(Cell::from(
                    fit_width(&kind, cols.kind_width as usize).into_owned(),
                ));
            }
            if !cols.paths.is_empty() {
                // The record as the server sent it, read once for every such column.
                let raw = serde_json::from_str::<serde_json::Value>(record.raw.get()).ok();
                for (_, path, w) in &cols.paths {
                    let value = raw.as_ref().map(|v| field_at(v, path)).unwrap_or_default();
                    cells.push(Cell::from(
                        fit_width(&sanitize(&value), *w as usize).into_owned(),
                    ));
                }
            }
            if cols.date {
                let date = if show_updated {
                    record.updated_at
                } else {
                    record.created_at
                };
                cells.push(Cell::from(
                    date.map(|t| t.format(cols.date_format).to_string())
                        .unwrap_or_default(),
                ));
            }
            let style = if deleted {
                Style::new().add_modifier(Modifier::CROSSED_OUT | Modifier::DIM)
            } else if marked {
                Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD)
            } else if record.problems.is_empty() {
                Style::new()
            } else {
                Style::new().fg(Color::Yellow)
            };
            TableRow::new(cells).style(style)
        }
        Row::Pending => {
            TableRow::new(vec![Cell::from("…")]).style(Style::new().add_modifier(Modifier::DIM))
        }
        Row::Failed(reason) => TableRow::new(vec![Cell::from(
            fit_width(&format!("⚠ {}", sanitize(reason)), name_width).into_owned(),
        )])
        .style(Style::new().fg(Color::Red)),
    }
}
