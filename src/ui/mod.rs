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

use crate::app::{Action, App, Overlay, Status};
use crate::config::Theme;
use crate::geometry::{self, areas, scope_pane_fits};
use crate::text::{sanitize, thousands};

pub use detail::detail_lines;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn draw(frame: &mut Frame<'_>, app: &App) {
    let area = frame.area();
    let a = areas(area);
    draw_header(frame, app, a.header);
    let body = geometry::body(&a, area.width);
    match app.overlay() {
        Overlay::DetailFull => detail::draw(frame, app, body, true),
        Overlay::Preview(preview) => actions::preview(frame, preview, body),
        Overlay::Insight(view) => insight::draw(frame, app, view, body),
        _ => list_view(frame, app, &a, body),
    }
    draw_footer(frame, app, a.footer);
    match app.overlay() {
        Overlay::Help { scroll } => overlay::help(frame, app, *scroll, area),
        Overlay::SortMenu { index } => overlay::sort_menu(frame, app, *index, area),
        Overlay::CopyMenu => actions::copy_menu(frame, app, area),
        Overlay::Exists(pending) => actions::exists(frame, pending, area),
        Overlay::Value { title, text } => actions::value(frame, title, text, area),
        Overlay::None
        | Overlay::Filter
        | Overlay::Jump(_)
        | Overlay::DetailFull
        | Overlay::Insight(_)
        | Overlay::Prompt { .. }
        | Overlay::Transfers
        | Overlay::Preview(_) => {}
    }
    if app.settings().theme == Theme::Mono {
        // One place for the mono theme: every colour goes, bold/reverse/dim stay.
        for cell in &mut frame.buffer_mut().content {
            cell.fg = Color::Reset;
            cell.bg = Color::Reset;
        }
    }
}

/// The list with what is beside and below it: folders or contexts, the detail pane, the
/// transfers panel.
fn list_view(frame: &mut Frame<'_>, app: &App, a: &geometry::Areas, body: Rect) {
    let area = frame.area();
    {
        let mut table_area = a.table;
        let panel = actions::panel_height(app, body.height);
        table_area.height = table_area
            .height
            .saturating_sub(geometry::covered_by_panel(a, panel));
        if let Some(s) = app.scopes()
            && s.has_pane()
            && scope_pane_fits(area.width, area.height)
        {
            let [pane, rest] = Layout::horizontal([
                Constraint::Length(geometry::SCOPE_PANE_WIDTH),
                Constraint::Min(0),
            ])
            .areas(table_area);
            scopes::draw(frame, app, s, pane);
            table_area = rest;
        }
        table::draw(frame, app, table_area);
        if let Some(detail) = a.detail {
            detail::draw(frame, app, detail, false);
        }
        if app.transfers_shown() {
            actions::transfers(frame, app, body);
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
        Span::styled(
            sanitize(&app.connection().label).into_owned(),
            Style::new().bold(),
        ),
        Span::raw(format!(" ({})", app.connection().dialect)),
    ];
    if app.is_insecure() {
        left.push(Span::raw(" "));
        left.push(Span::styled(
            " TLS NOT VERIFIED (--insecure) ",
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
        ));
    }
    if let Some(scope) = app.org() {
        left.push(Span::raw(" · "));
        left.push(Span::raw(sanitize(scope).into_owned()));
    }
    if let Some(crumb) = app.scopes().and_then(scopes::breadcrumb) {
        left.push(Span::raw(" · "));
        left.push(Span::styled(crumb, Style::new().fg(Color::Cyan)));
    }

    let mut right = Vec::new();
    if app.is_loading() {
        right.push(Span::styled(
            format!("{} ", SPINNER[app.spinner() % SPINNER.len()]),
            Style::new().fg(Color::Yellow),
        ));
    }
    right.push(Span::raw(position_text(app)));
    right.push(Span::raw(match app.listing().sort() {
        Some(sort) => format!(" · sort {sort}"),
        None => " · as served".to_string(),
    }));
    if !app.listing().filter().is_empty() {
        right.push(Span::raw(" · filter "));
        right.push(Span::styled(
            format!("\"{}\"", sanitize(&app.listing().filter().to_string())),
            Style::new().fg(Color::Cyan),
        ));
    }
    if let Some(local) = local_text(app) {
        right.push(Span::raw(" · "));
        right.push(Span::styled(local, Style::new().fg(Color::Yellow)));
    }
    if !app.marks().is_empty() {
        right.push(Span::raw(" · "));
        right.push(Span::styled(
            format!("{} marked", thousands(app.marks().len())),
            Style::new().fg(Color::Magenta).bold(),
        ));
    }
    let active = app.transfers().active();
    if active > 0 {
        let (done, total) = app.transfers().totals();
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
    let (what, extent) = app.listing().local_extent()?;
    let hint = if app.listing().is_complete() {
        String::new()
    } else if app.listing().is_loading_all() {
        " · loading all".to_string()
    } else {
        format!(" · {} loads all", app.key(Action::LoadAll))
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
    if let Some(floor) = app.listing().tail_floor() {
        // The last rows, found by key: where they stand in the whole listing is not known.
        return format!(
            "row {} of the last {} (of ≥ {})",
            thousands(app.cursor().selected + 1),
            thousands(len),
            thousands(floor)
        );
    }
    let more = if app.is_count_known() { "" } else { "+" };
    format!(
        "row {} of {}{more}",
        thousands(app.cursor().selected + 1),
        thousands(len)
    )
}

fn draw_footer(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let delete_prompt;
    let prompt = match app.overlay() {
        Overlay::Filter => Some(("/", app.filter_input())),
        Overlay::Jump(input) => Some((":", input)),
        Overlay::Prompt { prompt, input } => {
            use crate::app::actions::Prompt;
            let symbol = match prompt {
                Prompt::DownloadDir => "download to: ",
                Prompt::ExportPath => "export to (.ndjson, .csv, .json): ",
                Prompt::ConfirmDelete { ids } => {
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
            };
            Some((symbol, input))
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
    let line = match app.status() {
        Some(Status::Error(text)) => Line::from(Span::styled(
            format!(" {}", sanitize(text)),
            Style::new().fg(Color::Red),
        )),
        Some(Status::Info(text)) => Line::from(format!(" {}", sanitize(text))),
        None => Line::from(Span::styled(
            hints(app, area.width),
            Style::new().add_modifier(Modifier::DIM),
        )),
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// The list's key hints, from the key map, so a remapped key is shown remapped.
fn hints(app: &App, width: u16) -> String {
    let k = |action| app.key(action);
    let moves = format!(
        " {}/{} move · {} filter · {} {} {} sort · {} jump · {} detail",
        k(Action::Down),
        k(Action::Up),
        k(Action::Filter),
        k(Action::CycleSort),
        k(Action::FlipSort),
        k(Action::SortMenu),
        k(Action::JumpPrompt),
        k(Action::SwitchFocus),
    );
    let files = format!(
        " · {} copy · {} mark · {} download · {} preview",
        k(Action::Copy),
        k(Action::Mark),
        k(Action::Download),
        k(Action::Preview),
    );
    let end = format!(" · {} help · {} quit", k(Action::Help), k(Action::Quit));
    if width >= 130 {
        format!("{moves}{files}{end}")
    } else {
        format!("{moves}{end}")
    }
}
