//! Views: functions that draw the app's state and change nothing. Every string that came from
//! a server goes through [`crate::text::sanitize`] on its way to the buffer.

pub mod actions;
mod detail;
pub mod footer;
pub mod insight;
mod overlay;
mod scopes;
mod table;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{Action, App, Overlay};
use crate::config::{Accent, Theme};
use crate::geometry::{self, areas};
use crate::text::{sanitize, thousands};

pub use detail::detail_lines;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn draw(frame: &mut Frame<'_>, app: &App) {
    let area = frame.area();
    let a = areas(area, app.has_scope_pane());
    draw_header(frame, app, a.header);
    let body = geometry::body(&a, area.width);
    match app.overlay() {
        Overlay::DetailFull | Overlay::CopyMenu { from_detail: true } => {
            detail::draw(frame, app, body, true)
        }
        Overlay::Preview(preview) => actions::preview(frame, preview, body),
        Overlay::Insight(view) => insight::draw(frame, app, view, body),
        _ => list_view(frame, app, &a, body),
    }
    footer::draw(frame, app, a.footer);
    match app.overlay() {
        Overlay::Help { scroll } => overlay::help(frame, app, *scroll, area),
        Overlay::SortMenu { index } => overlay::sort_menu(frame, app, *index, area),
        Overlay::CopyMenu { .. } => actions::copy_menu(frame, app, area),
        Overlay::Exists(pending) => actions::exists(frame, pending, area),
        Overlay::Value { title, text } => actions::value(frame, title, text, area),
        Overlay::List
        | Overlay::Filter { .. }
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
    let mut table_area = a.table;
    let panel = actions::panel_height(app, body.height);
    table_area.height = table_area
        .height
        .saturating_sub(geometry::covered_by_panel(a, panel));
    if let (Some(s), Some(pane)) = (app.scopes(), a.scopes) {
        scopes::draw(frame, app, s, pane);
    }
    table::draw(frame, app, table_area);
    if let Some(detail) = a.detail {
        detail::draw(frame, app, detail, false);
    }
    if app.transfers_shown() {
        actions::transfers(frame, app, body);
    }
}

/// A profile's accent as the terminal draws it.
pub fn accent_color(accent: Accent) -> Color {
    match accent {
        Accent::Red => Color::Red,
        Accent::Green => Color::Green,
        Accent::Yellow => Color::Yellow,
        Accent::Blue => Color::Blue,
        Accent::Magenta => Color::Magenta,
        Accent::Cyan => Color::Cyan,
        Accent::White => Color::White,
        Accent::Gray => Color::Gray,
        Accent::Rgb(r, g, b) => Color::Rgb(r, g, b),
    }
}

fn draw_header(frame: &mut Frame<'_>, app: &App, area: Rect) {
    // The profile's accent (production in red, say) colours the badge and the name.
    let mono = app.settings().theme == Theme::Mono;
    let (badge, label) = match app.settings().accent.map(accent_color) {
        // Without colours the accent still marks the profile: its name in reverse video.
        Some(_) if mono => (
            Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
            Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
        ),
        Some(color) => (
            Style::new()
                .fg(Color::Black)
                .bg(color)
                .add_modifier(Modifier::BOLD),
            Style::new().fg(color).bold(),
        ),
        None => (
            Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
            Style::new().bold(),
        ),
    };
    let mut left = vec![
        Span::styled(" filescope ", badge),
        Span::raw(" "),
        Span::styled(sanitize(&app.connection().label).into_owned(), label),
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

    let right_line = header_right(app, area.width);
    let right_width = (right_line.width() as u16).min(area.width);
    let [l, r] = Layout::horizontal([Constraint::Min(0), Constraint::Length(right_width)])
        .spacing(1)
        .areas(area);
    // The name and where it points, cut with `…`; left out when only a sliver is left.
    if l.width >= 12 {
        frame.render_widget(Paragraph::new(fit_line(left, l.width as usize)), l);
    }
    frame.render_widget(Paragraph::new(right_line).right_aligned(), r);
}

/// Spans cut to `width` columns, ending with `…` when anything was cut.
fn fit_line(spans: Vec<Span<'static>>, width: usize) -> Line<'static> {
    use unicode_width::UnicodeWidthChar;
    let line = Line::from(spans);
    if line.width() <= width || width == 0 {
        return line;
    }
    let room = width - 1;
    let mut out = Vec::new();
    let mut used = 0;
    for span in line.spans {
        let mut text = String::new();
        for c in span.content.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > room {
                text.push('…');
                out.push(Span::styled(text, span.style));
                return Line::from(out);
            }
            used += w;
            text.push(c);
        }
        out.push(Span::styled(text, span.style));
    }
    Line::from(out)
}

/// The right of the header: the position, the sort, the filter, what is done locally, the
/// marks and the downloads. What does not fit is left out whole, least needed first (the
/// position last), so nothing is ever cut in the middle; a lone piece too long for the
/// screen ends with `…`.
fn header_right(app: &App, width: u16) -> Line<'static> {
    // (rank: lower is kept longer, spans)
    let mut parts: Vec<(u8, Vec<Span<'static>>)> = Vec::new();
    if app.is_loading() {
        parts.push((
            6,
            vec![Span::styled(
                format!("{} ", SPINNER[app.spinner() % SPINNER.len()]),
                Style::new().fg(Color::Yellow),
            )],
        ));
    }
    parts.push((0, vec![Span::raw(position_text(app))]));
    parts.push((
        4,
        vec![Span::raw(match app.listing().sort() {
            Some(sort) => format!(" · sort {sort}"),
            None => " · as served".to_string(),
        })],
    ));
    if !app.listing().filter().is_empty() {
        parts.push((
            2,
            vec![
                Span::raw(" · filter "),
                Span::styled(
                    format!("\"{}\"", sanitize(&app.listing().filter().to_string())),
                    Style::new().fg(Color::Cyan),
                ),
            ],
        ));
    }
    if let Some(local) = local_text(app) {
        parts.push((
            1,
            vec![
                Span::raw(" · "),
                Span::styled(local, Style::new().fg(Color::Yellow)),
            ],
        ));
    }
    if !app.marks().is_empty() {
        parts.push((
            3,
            vec![
                Span::raw(" · "),
                Span::styled(
                    format!("{} marked", thousands(app.marks().len())),
                    Style::new().fg(Color::Magenta).bold(),
                ),
            ],
        ));
    }
    let active = app.transfers().active();
    if active > 0 {
        let (done, total) = app.transfers().totals();
        let percent = (done * 100).checked_div(total).unwrap_or(0);
        parts.push((
            5,
            vec![
                Span::raw(" · "),
                Span::styled(
                    format!("↓ {active} {percent}%"),
                    Style::new().fg(Color::Cyan),
                ),
            ],
        ));
    }
    // The left keeps room for the name badge when the screen has it to give.
    let budget = if width >= 60 { width - 13 } else { width } as usize;
    let part_width = |p: &(u8, Vec<Span>)| p.1.iter().map(|s| s.width()).sum::<usize>();
    let total = |parts: &[(u8, Vec<Span>)]| parts.iter().map(part_width).sum::<usize>() + 1;
    while total(&parts) > budget && parts.len() > 1 {
        let Some(worst) = (0..parts.len()).max_by_key(|i| (parts[*i].0, *i)) else {
            break;
        };
        parts.remove(worst);
    }
    let mut spans: Vec<Span<'static>> = parts.into_iter().flat_map(|(_, s)| s).collect();
    // A piece that follows a dropped one does not start with its separator.
    if let Some(first) = spans.first_mut()
        && let Some(rest) = first.content.strip_prefix(" · ")
    {
        first.content = rest.to_string().into();
    }
    let used: usize = spans.iter().map(|s| s.width()).sum();
    if used + 1 > budget {
        let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
        let cut = crate::text::fit_width(&text, budget.saturating_sub(1)).into_owned();
        spans = vec![Span::raw(cut)];
    }
    spans.push(Span::raw(" "));
    Line::from(spans)
}

/// What is done locally and over how much: "sorted locally · 350 of 4,000 loaded · A loads
/// all", with the speed and time left while every page loads, or `None` when the server does
/// everything.
pub fn local_text(app: &App) -> Option<String> {
    let (what, extent) = app.listing().local_extent()?;
    let hint = if app.listing().is_complete() {
        String::new()
    } else if let Some(load) = app.listing().load_all_progress() {
        let mut text = " · loading all".to_string();
        if let Some(rate) = load.rate.filter(|r| *r >= 1.0) {
            text.push_str(&format!(" · {} rows/s", thousands(rate as usize)));
            if let Some(total) = app.listing().pages().total() {
                let left = total.saturating_sub(app.listing().pages().loaded_rows());
                text.push_str(&format!(
                    " · {} left",
                    crate::ui::actions::short_duration((left as f64 / rate) as u64)
                ));
            }
        }
        text.push_str(&format!(" · {} stops", app.key(Action::ClearFilter)));
        text
    } else {
        format!(" · {} loads all", app.key(Action::LoadAll))
    };
    Some(format!("{what} · {extent}{hint}"))
}

/// "row 1,234 of 100,000", "row 5 of 200+" while the count is unknown, or what is going on.
pub fn position_text(app: &App) -> String {
    let len = app.row_count();
    if app.listing().failure().is_some() {
        return format!("no answer · {} retries", app.key(Action::Reload));
    }
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
