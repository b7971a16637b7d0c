//! Views: functions that draw the app's state and change nothing. Every string that came from
//! a server goes through [`crate::text::sanitize`] on its way to the buffer.

pub mod actions;
mod detail;
pub mod insight;
mod overlay;
mod scopes;
mod table;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{App, Mode, Status};
use crate::text::{sanitize, thousands};

pub use detail::detail_lines;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// Where each part of the list view goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub table: Rect,
    pub detail: Option<Rect>,
    pub footer: Rect,
}

/// Splits the screen: a header line, the table (with the detail pane beside it on wide
/// terminals, below it on tall narrow ones, hidden on small ones), and a footer line.
pub fn areas(area: Rect) -> Areas {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    let (table, detail) = if body.width >= 110 {
        let [t, d] = Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
            .areas(body);
        (t, Some(d))
    } else if body.height >= 24 {
        let [t, d] =
            Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(body);
        (t, Some(d))
    } else {
        (body, None)
    };
    Areas {
        header,
        table,
        detail,
        footer,
    }
}

/// Whether the folder/context pane fits beside the table at this terminal size.
pub fn scope_pane_fits(width: u16, height: u16) -> bool {
    areas(Rect::new(0, 0, width, height)).table.width >= 90
}

/// Rows of files the table shows at this terminal size (its column-title line excluded),
/// less the rows the transfers panel covers when it is shown.
pub fn table_rows(app: &App, width: u16, height: u16) -> usize {
    let a = areas(Rect::new(0, 0, width, height));
    let covered = covered_by_panel(app, &a);
    a.table.height.saturating_sub(1).saturating_sub(covered) as usize
}

/// How many of the table's rows the transfers panel (over the bottom of the body) covers.
fn covered_by_panel(app: &App, a: &Areas) -> u16 {
    let body = a.footer.y.saturating_sub(a.header.bottom());
    let panel_top = a.footer.y.saturating_sub(actions::panel_height(app, body));
    a.table.bottom().saturating_sub(panel_top)
}

pub fn draw(frame: &mut Frame<'_>, app: &App) {
    let area = frame.area();
    let a = areas(area);
    draw_header(frame, app, a.header);
    let body = Rect::new(
        area.x,
        a.header.bottom(),
        area.width,
        a.footer.y.saturating_sub(a.header.bottom()),
    );
    if app.mode == Mode::DetailFull {
        detail::draw(frame, app, body, true);
    } else if app.mode == Mode::Preview {
        actions::preview(frame, app, body);
    } else if app.mode == Mode::Insight {
        insight::draw(frame, app, body);
    } else {
        let mut table_area = a.table;
        table_area.height = table_area.height.saturating_sub(covered_by_panel(app, &a));
        if let Some(s) = &app.scopes
            && scope_pane_fits(area.width, area.height)
        {
            let [pane, rest] =
                Layout::horizontal([Constraint::Length(scopes::WIDTH), Constraint::Min(0)])
                    .areas(table_area);
            scopes::draw(frame, app, s, pane);
            table_area = rest;
        }
        table::draw(frame, app, table_area);
        if let Some(detail) = a.detail {
            detail::draw(frame, app, detail, false);
        }
        if app.transfers_shown {
            actions::transfers(frame, app, body);
        }
    }
    draw_footer(frame, app, a.footer);
    match app.mode {
        Mode::Help => overlay::help(frame, app, area),
        Mode::SortMenu { index } => overlay::sort_menu(frame, app, index, area),
        Mode::CopyMenu => actions::copy_menu(frame, app, area),
        Mode::Exists => actions::exists(frame, app, area),
        Mode::Value => actions::value(frame, app, area),
        _ => {}
    }
    if app.mono {
        // One place for the mono theme: every colour goes, bold/reverse/dim stay.
        for cell in &mut frame.buffer_mut().content {
            cell.fg = Color::Reset;
            cell.bg = Color::Reset;
        }
    }
}

fn draw_header(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let mut left = vec![
        Span::styled(
            " filescope ",
            Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
        ),
        Span::raw(" "),
        Span::styled(sanitize(&app.conn.label).into_owned(), Style::new().bold()),
        Span::raw(format!(" ({})", app.conn.dialect)),
    ];
    if app.insecure {
        left.push(Span::raw(" "));
        left.push(Span::styled(
            " TLS NOT VERIFIED (--insecure) ",
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
        ));
    }
    if let Some(scope) = &app.scope {
        left.push(Span::raw(" · "));
        left.push(Span::raw(sanitize(scope).into_owned()));
    }
    if let Some(crumb) = app.scopes.as_ref().and_then(scopes::breadcrumb) {
        left.push(Span::raw(" · "));
        left.push(Span::styled(crumb, Style::new().fg(Color::Cyan)));
    }

    let mut right = Vec::new();
    if app.is_loading() {
        right.push(Span::styled(
            format!("{} ", SPINNER[app.spinner % SPINNER.len()]),
            Style::new().fg(Color::Yellow),
        ));
    }
    right.push(Span::raw(position_text(app)));
    right.push(Span::raw(match app.sort {
        Some(sort) => format!(" · sort {sort}"),
        None => " · as served".to_string(),
    }));
    if !app.filter_applied.is_empty() {
        right.push(Span::raw(" · filter "));
        right.push(Span::styled(
            format!("\"{}\"", sanitize(&app.filter_applied.to_string())),
            Style::new().fg(Color::Cyan),
        ));
    }
    if let Some(local) = local_text(app) {
        right.push(Span::raw(" · "));
        right.push(Span::styled(local, Style::new().fg(Color::Yellow)));
    }
    if !app.marks.is_empty() {
        right.push(Span::raw(" · "));
        right.push(Span::styled(
            format!("{} marked", thousands(app.marks.len())),
            Style::new().fg(Color::Magenta).bold(),
        ));
    }
    let active = app.transfers.active();
    if active > 0 {
        let (done, total) = app.transfers.totals();
        let percent = (done * 100).checked_div(total).unwrap_or(0);
        right.push(Span::raw(" · "));
        right.push(Span::styled(
            format!("↓ {active} {percent}%"),
            Style::new().fg(Color::Cyan),
        ));
    }
    right.push(Span::raw(" "));

    let right_line = Line::from(right);
    let right_width = (right_line.width() as u16).min(area.width);
    let [l, r] = Layout::horizontal([Constraint::Min(0), Constraint::Length(right_width)])
        .spacing(1)
        .areas(area);
    frame.render_widget(Paragraph::new(Line::from(left)), l);
    frame.render_widget(Paragraph::new(right_line).right_aligned(), r);
}

/// What is done locally and over how much: "sorted locally · 350 of 4,000 loaded · L loads
/// all", or `None` when the server does everything.
pub fn local_text(app: &App) -> Option<String> {
    let view = app.view.as_ref()?;
    let local = view.local();
    let what = match (local.sort.is_some(), local.filters()) {
        (true, true) => "filtered and sorted locally",
        (true, false) => "sorted locally",
        _ => "filtered locally",
    };
    let loaded = app.list.loaded_rows();
    let extent = match app.list.total() {
        _ if app.list.is_complete() => format!("all {} loaded", thousands(loaded)),
        Some(total) => format!("{} of {} loaded", thousands(loaded), thousands(total)),
        None => format!("{} loaded", thousands(loaded)),
    };
    let hint = if app.list.is_complete() {
        ""
    } else if app.load_all {
        " · loading all"
    } else {
        " · L loads all"
    };
    Some(format!("{what} · {extent}{hint}"))
}

/// "row 1,234 of 100,000", "row 5 of 200+" while the count is unknown, or what is going on.
pub fn position_text(app: &App) -> String {
    let len = app.row_count();
    if len == 0 {
        return if app.is_loading() {
            "loading…".to_string()
        } else if app.is_count_known() {
            "no files".to_string()
        } else {
            "no answer yet".to_string()
        };
    }
    let more = if app.is_count_known() { "" } else { "+" };
    format!(
        "row {} of {}{more}",
        thousands(app.cursor.selected + 1),
        thousands(len)
    )
}

fn draw_footer(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let delete_prompt;
    let prompt = match app.mode {
        Mode::Filter => Some(("/", &app.filter)),
        Mode::Jump => Some((":", &app.jump)),
        Mode::Prompt => {
            use crate::app::actions::Prompt;
            let symbol = match &app.prompt {
                Some(Prompt::DownloadDir) => "download to: ",
                Some(Prompt::ExportPath) => "export to (.ndjson, .csv, .json): ",
                Some(Prompt::ConfirmDelete { ids }) => {
                    let first = ids.first().map(|(_, name)| name.as_str()).unwrap_or("");
                    let more = if ids.len() > 1 {
                        format!(" and {} more", ids.len() - 1)
                    } else {
                        String::new()
                    };
                    delete_prompt =
                        format!("delete {first}{more}? type {} to confirm: ", ids.len());
                    delete_prompt.as_str()
                }
                None => "> ",
            };
            Some((symbol, &app.prompt_input))
        }
        _ => None,
    };
    if let Some((symbol, input)) = prompt {
        let symbol_width = unicode_width::UnicodeWidthStr::width(symbol) as u16;
        let width = area.width.saturating_sub(symbol_width).max(1) as usize;
        let scroll = input.visual_scroll(width);
        let text = sanitize(input.value());
        let shown: String = text.chars().skip(scroll).collect();
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(symbol, Style::new().fg(Color::Cyan).bold()),
                Span::raw(shown),
            ])),
            area,
        );
        let x = area.x + symbol_width + (input.visual_cursor().saturating_sub(scroll)) as u16;
        frame.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
        return;
    }
    let line = match &app.status {
        Some(Status::Error(text)) => Line::from(Span::styled(
            format!(" {}", sanitize(text)),
            Style::new().fg(Color::Red),
        )),
        Some(Status::Info(text)) => Line::from(format!(" {}", sanitize(text))),
        None => Line::from(Span::styled(
            if area.width >= 130 {
                " j/k move · / filter · s S o sort · : jump · Tab detail · y copy · Space mark · d download · p preview · ? help · q quit"
            } else {
                " j/k move · / filter · s S o sort · : jump · Tab detail · ? help · q quit"
            },
            Style::new().add_modifier(Modifier::DIM),
        )),
    };
    frame.render_widget(Paragraph::new(line), area);
}
