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
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{Action, App, Overlay};
use crate::config::{Accent, Theme};
use crate::geometry::{self, areas};
use crate::text::{fit_width, sanitize, thousands};

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
        Overlay::Value { title, text, .. } => actions::value(frame, title, text, area),
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
    // A column's last character never touches the border of the pane beside it.
    if a.detail.is_some_and(|d| d.x == a.table.right()) {
        table_area.width = table_area.width.saturating_sub(1);
    }
    table::draw(frame, app, table_area);
    if let Some(detail) = a.detail {
        detail::draw(frame, app, detail, false);
    }
    if app.transfers_shown() {
        actions::transfers(frame, app, body);
    }
}

/// How an escape in a server string (`\x1b`, `\u{202e}`, JSON's `\u001b`) is drawn: apart from
/// the text around it, so it reads as a character that was replaced, not as part of a name.
pub fn escape_style() -> Style {
    Style::new().fg(Color::Red).add_modifier(Modifier::DIM)
}

/// A server string made safe, as spans: its escapes in [`escape_style`], the rest in `style`.
pub fn safe_spans(text: &str, style: Style) -> Vec<Span<'static>> {
    crate::text::sanitize_pieces(text)
        .into_iter()
        .map(|(piece, escape)| {
            Span::styled(
                piece.into_owned(),
                if escape {
                    style.patch(escape_style())
                } else {
                    style
                },
            )
        })
        .collect()
}

/// [`safe_spans`] with every occurrence of `needle` (ignoring ASCII case) in the text drawn
/// in the match style, as less and vim show a search. An escape (a control character drawn
/// as `\x1b`) is the notation, not the name: never matched into.
pub fn safe_spans_matching(text: &str, style: Style, needle: &str) -> Vec<Span<'static>> {
    if needle.is_empty() {
        return safe_spans(text, style);
    }
    let hit = style.patch(
        Style::new()
            .fg(Color::Yellow)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
    );
    let wanted = needle.to_ascii_lowercase();
    let mut out = Vec::new();
    for (piece, escape) in crate::text::sanitize_pieces(text) {
        if escape {
            out.push(Span::styled(
                piece.into_owned(),
                style.patch(escape_style()),
            ));
            continue;
        }
        // ASCII case folding keeps byte offsets, so the pieces cut where the match is.
        let lower = piece.to_ascii_lowercase();
        let mut at = 0;
        while let Some(found) = lower[at..].find(&wanted) {
            let (start, end) = (at + found, at + found + wanted.len());
            if start > at {
                out.push(Span::styled(piece[at..start].to_string(), style));
            }
            out.push(Span::styled(piece[start..end].to_string(), hit));
            at = end;
        }
        if at < piece.len() {
            out.push(Span::styled(piece[at..].to_string(), style));
        }
    }
    out
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
        // The program's own name, the dialect and the organisation say nothing of the state:
        // they take what room is left.
        Piece::shortens(
            9,
            vec![
                vec![Span::styled(" filescope ", badge), Span::raw(" ")],
                Vec::new(),
            ],
        )
        .decor(),
        Piece::kept(vec![vec![Span::styled(
            sanitize(&app.connection().label).into_owned(),
            label,
        )]])
        .elastic(),
        Piece::shortens(
            8,
            vec![
                vec![Span::raw(format!(" ({})", app.connection().dialect))],
                Vec::new(),
            ],
        )
        .decor(),
    ];
    if let Some(source) = app.credential_source() {
        // Which credentials sign (an instance role, an SSO profile, none): in the room left.
        let source = sanitize(&source).into_owned();
        left.push(
            Piece::shortens(
                6,
                vec![
                    vec![Span::raw(format!(" · keys: {source}"))],
                    vec![Span::raw(format!(" · keys: {}", fit_width(&source, 24)))],
                    Vec::new(),
                ],
            )
            .decor(),
        );
    }
    if app.is_insecure() {
        let warn = Style::new()
            .fg(Color::White)
            .bg(Color::Red)
            .add_modifier(Modifier::BOLD);
        left.push(Piece::kept(
            [
                " TLS NOT VERIFIED (--insecure) ",
                " TLS NOT VERIFIED ",
                " INSECURE ",
            ]
            .iter()
            .map(|text| vec![Span::raw(" "), Span::styled(*text, warn)])
            .collect(),
        ));
    }
    if let Some(scope) = app.org() {
        let scope = sanitize(scope).into_owned();
        left.push(
            Piece::shortens(
                7,
                vec![
                    vec![Span::raw(format!(" · {scope}"))],
                    vec![Span::raw(format!(" · {}", fit_width(&scope, 12)))],
                    Vec::new(),
                ],
            )
            .decor(),
        );
    }
    if let Some(crumb) = app.scopes().and_then(scopes::breadcrumb) {
        // Where the rows are is never left out; cut, its end (the folder itself) stays.
        let cyan = Style::new().fg(Color::Cyan);
        left.push(Piece::kept(vec![
            vec![Span::raw(" · "), Span::styled(crumb.clone(), cyan)],
            vec![Span::raw(" · "), Span::styled(fit_start(&crumb, 24), cyan)],
        ]));
    }
    if let Some(of) = app.versions_of() {
        // Versions are not the live files: never left out, cut from the start.
        let of = sanitize(&of).into_owned();
        let magenta = Style::new().fg(Color::Magenta).bold();
        left.push(Piece::kept(vec![
            vec![
                Span::raw(" · "),
                Span::styled(format!("versions of {of}"), magenta),
            ],
            vec![
                Span::raw(" · "),
                Span::styled(format!("versions of {}", fit_start(&of, 24)), magenta),
            ],
        ]));
    }
    let right = header_right(app);
    frame.render_widget(Paragraph::new(fit_header(left, right, area.width)), area);
}

/// One piece of the header: the ways it can be written, longest first, and whether it may be
/// left out (its last form is then empty).
struct Piece {
    forms: Vec<Vec<Span<'static>>>,
    /// Which form is shown.
    at: usize,
    /// Higher is shortened first.
    rank: u8,
    /// Cut with `…` as a last resort (a name, a filter), never left out.
    elastic: bool,
    /// Says nothing of the state (the program's name, the dialect, the organisation): shown
    /// only in the room the state leaves.
    decor: bool,
}

impl Piece {
    /// A piece that is never left out: it only gets shorter.
    fn kept(forms: Vec<Vec<Span<'static>>>) -> Self {
        Piece {
            forms,
            at: 0,
            rank: 0,
            elastic: false,
            decor: false,
        }
    }

    /// A piece shortened (and, at its empty last form, left out) before those of lower rank.
    fn shortens(rank: u8, forms: Vec<Vec<Span<'static>>>) -> Self {
        Piece {
            forms,
            at: 0,
            rank,
            elastic: false,
            decor: false,
        }
    }

    fn ranked(mut self, rank: u8) -> Self {
        self.rank = rank;
        self
    }

    fn elastic(mut self) -> Self {
        self.elastic = true;
        self
    }

    fn decor(mut self) -> Self {
        self.decor = true;
        self
    }

    fn spans(&self) -> &[Span<'static>] {
        &self.forms[self.at]
    }

    fn width(&self) -> usize {
        self.spans().iter().map(|s| s.width()).sum()
    }
}

/// The header in `width` columns: the left pieces from the left, the right ones against the
/// right edge. Every piece is shortened before any is left out, and only pieces that may be
/// (the badge, the dialect, the sort, the downloads) ever are; the name, where the rows are,
/// the filter, what is done locally and the loading are only cut, with `…`, when nothing else
/// is left to shorten.
fn fit_header(mut left: Vec<Piece>, mut right: Vec<Piece>, width: u16) -> Line<'static> {
    let width = width as usize;
    let used = |left: &[Piece], right: &[Piece]| {
        left.iter().map(Piece::width).sum::<usize>()
            + right.iter().map(Piece::width).sum::<usize>()
            + 2
    };
    if used(&left, &right) > width {
        // Too wide: every piece at its shortest (left out where it may be), then, the most
        // needed first, each piece that may be left out comes back at its shortest while it
        // fits, and then each grows to its longest form that fits. So pieces are shortened
        // before any is left out, and the most needed ones keep the most words.
        let mut order: Vec<(u8, usize)> = left
            .iter()
            .chain(right.iter())
            .enumerate()
            .map(|(i, p)| (p.rank, i))
            .collect();
        order.sort();
        for piece in left.iter_mut().chain(right.iter_mut()) {
            piece.at = piece.forms.len() - 1;
        }
        let grow = |i: usize, to: usize, left: &mut [Piece], right: &mut [Piece]| {
            let before = nth(left, right, i).at;
            nth(left, right, i).at = to;
            if used(left, right) > width {
                nth(left, right, i).at = before;
                false
            } else {
                true
            }
        };
        for &(_, i) in &order {
            let piece = nth(&mut left, &mut right, i);
            let shortest = piece.forms.iter().rposition(|f| !f.is_empty());
            if let Some(shortest) = shortest.filter(|s| *s < piece.at && !piece.decor) {
                grow(i, shortest, &mut left, &mut right);
            }
        }
        for &(_, i) in &order {
            let at = nth(&mut left, &mut right, i).at;
            for to in 0..at {
                if grow(i, to, &mut left, &mut right) {
                    break;
                }
            }
        }
    }
    // Still too wide: the elastic pieces (the name, the filter) share what is left, cut with
    // `…` but never below a few columns.
    let over = used(&left, &right).saturating_sub(width);
    if over > 0 {
        let mut over = over;
        // The filter is cut before the name of the connection.
        for piece in right
            .iter_mut()
            .chain(left.iter_mut())
            .filter(|p| p.elastic)
        {
            let spans = &mut piece.forms[piece.at];
            let Some(last) = spans.last_mut() else {
                continue;
            };
            let w = last.width();
            let keep = w.saturating_sub(over).max(6.min(w));
            over -= w - keep;
            last.content = fit_width(&last.content, keep).into_owned().into();
        }
    }
    let mut spans: Vec<Span<'static>> = left.iter().flat_map(|p| p.spans().to_vec()).collect();
    let right_spans: Vec<Span<'static>> = right.iter().flat_map(|p| p.spans().to_vec()).collect();
    let left_width: usize = spans.iter().map(|s| s.width()).sum();
    let right_width: usize = right_spans.iter().map(|s| s.width()).sum();
    let gap = width.saturating_sub(left_width + right_width + 1).max(1);
    spans.push(Span::raw(" ".repeat(gap)));
    spans.extend(right_spans);
    spans.push(Span::raw(" "));
    fit_line(spans, width)
}

/// The `i`th piece of the left ones followed by the right ones.
fn nth<'a>(left: &'a mut [Piece], right: &'a mut [Piece], i: usize) -> &'a mut Piece {
    if i < left.len() {
        &mut left[i]
    } else {
        &mut right[i - left.len()]
    }
}

/// The end of `text` in `width` columns, starting with `…` when its start was cut (a path
/// keeps the folder you are in).
fn fit_start(text: &str, width: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if text.width() <= width || width == 0 {
        return text.to_string();
    }
    let mut kept: Vec<char> = Vec::new();
    let mut used = 1;
    for c in text.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            break;
        }
        used += w;
        kept.push(c);
    }
    std::iter::once('…').chain(kept.into_iter().rev()).collect()
}

/// Spans cut to `width` columns, ending with `…` when anything was cut.
/// `spans` from display column `column` on (a line scrolled sideways), starting with `…` when
/// anything was left out on the left; each piece keeps its style.
pub(crate) fn from_column(spans: Vec<Span<'static>>, column: usize) -> Vec<Span<'static>> {
    use unicode_width::UnicodeWidthChar;
    if column == 0 {
        return spans;
    }
    let mut out = vec![Span::raw("…")];
    // One column goes to the mark.
    let mut skip = column + 1;
    let mut any = false;
    for span in spans {
        if skip == 0 {
            out.push(span);
            continue;
        }
        let mut kept = String::new();
        for c in span.content.chars() {
            if skip > 0 {
                skip = skip.saturating_sub(c.width().unwrap_or(0));
                any = true;
            } else {
                kept.push(c);
            }
        }
        if !kept.is_empty() {
            out.push(Span::styled(kept, span.style));
        }
    }
    if !any {
        out.remove(0);
    }
    out
}

pub(crate) fn fit_line(spans: Vec<Span<'static>>, width: usize) -> Line<'static> {
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

/// The right of the header: the loading spinner, the position, the sort, the filter, what is
/// done locally, the marks and the downloads, each with its shorter forms.
fn header_right(app: &App) -> Vec<Piece> {
    let mut parts = Vec::new();
    if app.is_loading() {
        parts.push(Piece::kept(vec![vec![Span::styled(
            format!("{} ", SPINNER[app.spinner() % SPINNER.len()]),
            Style::new().fg(Color::Yellow),
        )]]));
    }
    parts.push(
        Piece::kept(
            position_forms(app)
                .into_iter()
                .map(|text| vec![Span::raw(text)])
                .collect(),
        )
        .ranked(2),
    );
    parts.push(Piece::shortens(
        6,
        match app.listing().sort() {
            Some(sort) => vec![
                vec![Span::raw(format!(" · sort {sort}"))],
                vec![Span::raw(format!(" · {sort}"))],
                Vec::new(),
            ],
            None => vec![vec![Span::raw(" · as served")], Vec::new()],
        },
    ));
    if !app.listing().filter().is_empty() {
        let filter = sanitize(&app.listing().filter().to_string()).into_owned();
        let cyan = Style::new().fg(Color::Cyan);
        parts.push(
            Piece::kept(vec![
                vec![
                    Span::raw(" · filter "),
                    Span::styled(format!("\"{filter}\""), cyan),
                ],
                vec![Span::raw(" · "), Span::styled(format!("/{filter}"), cyan)],
            ])
            .ranked(3)
            .elastic(),
        );
    }
    let local = local_forms(app);
    if !local.is_empty() {
        let yellow = Style::new().fg(Color::Yellow);
        parts.push(
            Piece::kept(
                local
                    .into_iter()
                    .map(|text| vec![Span::raw(" · "), Span::styled(text, yellow)])
                    .collect(),
            )
            .ranked(4),
        );
    }
    if !app.marks().is_empty() {
        let marks = thousands(app.marks().len());
        let style = Style::new().fg(Color::Magenta).bold();
        parts.push(
            Piece::kept(vec![
                vec![
                    Span::raw(" · "),
                    Span::styled(format!("{marks} marked"), style),
                ],
                vec![Span::raw(" · "), Span::styled(format!("●{marks}"), style)],
            ])
            .ranked(5),
        );
    }
    let active = app.transfers().active();
    if active > 0 {
        let (done, total) = app.transfers().totals();
        let percent = (done * 100).checked_div(total).unwrap_or(0);
        let cyan = Style::new().fg(Color::Cyan);
        parts.push(Piece::shortens(
            7,
            vec![
                vec![
                    Span::raw(" · "),
                    Span::styled(format!("↓ {active} {percent}%"), cyan),
                ],
                vec![Span::raw(" · "), Span::styled(format!("↓{percent}%"), cyan)],
                Vec::new(),
            ],
        ));
    }
    parts
}

/// What is done locally, longest first: the words of [`local_text`], then "sorted locally ·
/// 350/4,000 · A all", down to "local · loading · Esc stops": "local" and "loading" stay in
/// every form.
fn local_forms(app: &App) -> Vec<String> {
    let Some(full) = local_text(app) else {
        return Vec::new();
    };
    let Some((what, _)) = app.listing().local_extent() else {
        return vec![full];
    };
    let pages = app.listing().pages();
    let loaded = thousands(pages.loaded_rows());
    let extent = match pages.total() {
        _ if app.listing().is_complete() => format!("all {loaded}"),
        Some(total) => format!("{loaded}/{}", thousands(total)),
        None => format!("{loaded}+"),
    };
    let (hint, short_hint) = if app.listing().is_complete() {
        (String::new(), String::new())
    } else if let Some(load) = app.listing().load_all_progress() {
        let stops = format!(" · {} stops", app.key(Action::ClearFilter));
        let rate = load
            .rate
            .filter(|r| *r >= 1.0)
            .map(|r| format!(" {}/s", thousands(r as usize)))
            .unwrap_or_default();
        (
            format!(" · loading{rate}{stops}"),
            format!(" · loading{stops}"),
        )
    } else {
        let all = format!(" · {} all", app.key(Action::LoadAll));
        (all.clone(), all)
    };
    vec![
        full,
        format!("{what} · {extent}{hint}"),
        format!("local · {extent}{hint}"),
        format!("local · {extent}{short_hint}"),
        format!("local{short_hint}"),
    ]
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
    position_forms(app).swap_remove(0)
}

/// The position, longest first: "row 1,234 of 100,000", then "1,234/100,000".
fn position_forms(app: &App) -> Vec<String> {
    let len = app.row_count();
    if app.listing().failure().is_some() {
        // The action first, so a narrow header keeps it.
        return vec![format!("{} retries · no answer", app.key(Action::Reload))];
    }
    if len == 0 {
        return vec![
            if app.is_loading() {
                "loading…"
            } else if app.is_count_known() {
                "no files"
            } else {
                "no answer yet"
            }
            .to_string(),
        ];
    }
    let row = thousands(app.cursor().selected + 1);
    if let Some(floor) = app.listing().tail_floor() {
        // The last rows, found by key: where they stand in the whole listing is not known.
        return vec![
            format!(
                "row {row} of the last {} (of ≥ {})",
                thousands(len),
                thousands(floor)
            ),
            format!("{row}/{} of ≥ {}", thousands(len), thousands(floor)),
        ];
    }
    let more = if app.is_count_known() { "" } else { "+" };
    vec![
        format!("row {row} of {}{more}", thousands(len)),
        format!("{row}/{}{more}", thousands(len)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 27, Expected 3: the filter's text is marked in a name wherever it is, ignoring
    /// case; an escape's notation is never matched into.
    #[test]
    fn a_search_is_marked_in_the_name_and_never_in_an_escape() {
        let spans = safe_spans_matching("Report-x1b-\u{1b}report.pdf", Style::new(), "REPORT");
        let marked: Vec<&str> = spans
            .iter()
            .filter(|s| s.style.add_modifier.contains(Modifier::UNDERLINED))
            .map(|s| s.content.as_ref())
            .collect();
        assert_eq!(marked, ["Report", "report"]);
        let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "Report-x1b-\\x1breport.pdf");
        // `x1b` is in the escape's notation too: only the name's own is marked.
        let spans = safe_spans_matching("a\u{1b}b", Style::new(), "x1b");
        assert!(
            spans
                .iter()
                .all(|s| !s.style.add_modifier.contains(Modifier::UNDERLINED)),
            "{spans:?}"
        );
        assert_eq!(
            safe_spans_matching("abc", Style::new(), ""),
            safe_spans("abc", Style::new())
        );
    }
}
