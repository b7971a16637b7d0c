//! The footer line: a prompt being typed, the status, or the keys of what has the keyboard —
//! the list, the preview, the full-screen detail, a menu, the transfers, the insight view or
//! the help — each from the key map, so a remapped key is shown remapped. Hints that do not
//! fit are left out, least useful first, so the line reads whole at any width.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use crate::app::{Action, App, Focus, Mode, Overlay, Status};
use crate::text::{count, fit_width, sanitize};

/// One hint: the keys, what they do, and how much it matters (0 is kept longest). A hint
/// with no keys is a note (`contexts: 90+ cols`).
struct Hint {
    keys: String,
    what: String,
    rank: u8,
    note: bool,
}

fn hint(keys: impl Into<String>, what: impl Into<String>, rank: u8) -> Hint {
    Hint {
        keys: keys.into(),
        what: what.into(),
        rank,
        note: false,
    }
}

fn note(what: impl Into<String>, rank: u8) -> Hint {
    Hint {
        keys: String::new(),
        what: what.into(),
        rank,
        note: true,
    }
}

/// The hints that fit in `width` columns, most useful first, shown in their own order.
fn fit(hints: Vec<Hint>, width: usize) -> String {
    let shown = |h: &Hint| {
        if h.keys.is_empty() {
            h.what.clone()
        } else {
            format!("{} {}", h.keys, h.what)
        }
    };
    // Hints whose action has no key (taken by a user's binding) are left out.
    let hints: Vec<Hint> = hints
        .into_iter()
        .filter(|h| h.note || !h.keys.trim().is_empty())
        .collect();
    let mut order: Vec<usize> = (0..hints.len()).collect();
    order.sort_by_key(|i| hints[*i].rank);
    let mut chosen = vec![false; hints.len()];
    let mut used = 1; // the leading space
    for i in order {
        let w = shown(&hints[i]).width() + if used > 1 { 3 } else { 0 };
        if used + w <= width {
            chosen[i] = true;
            used += w;
        }
    }
    let parts: Vec<String> = hints
        .iter()
        .zip(chosen)
        .filter(|(_, c)| *c)
        .map(|(h, _)| shown(h))
        .collect();
    format!(" {}", parts.join(" · "))
}

pub fn draw(frame: &mut Frame<'_>, app: &App, area: Rect) {
    if let Some((symbol, input)) = prompt(app) {
        let symbol_width = symbol.width() as u16;
        let keys = prompt_hints(app);
        let keys_width = keys.width() as u16;
        // The keys go at the right while there is room for them and some typing.
        let show_keys = area.width >= symbol_width + keys_width + 20;
        let room = if show_keys {
            area.width - keys_width
        } else {
            area.width
        };
        let width = room.saturating_sub(symbol_width).max(1) as usize;
        let scroll = input.visual_scroll(width);
        let text = sanitize(input.value());
        let shown: String = text.chars().skip(scroll).collect();
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(symbol.clone(), Style::new().fg(Color::Cyan).bold()),
                Span::raw(shown),
            ])),
            Rect::new(area.x, area.y, room, area.height),
        );
        if show_keys {
            frame.render_widget(
                Paragraph::new(Span::styled(keys, Style::new().add_modifier(Modifier::DIM)))
                    .right_aligned(),
                Rect::new(area.x + room, area.y, keys_width, area.height),
            );
        }
        let x = area.x + symbol_width + (input.visual_cursor().saturating_sub(scroll)) as u16;
        frame.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
        return;
    }
    // A status too long for the line ends with `…` (a failure's whole reason is in the
    // transfers panel, the error state or the log).
    let status =
        |text: &str| fit_width(&format!(" {}", sanitize(text)), area.width as usize).into_owned();
    let line = match app.status() {
        Some(Status::Error(text)) => {
            Line::from(Span::styled(status(text), Style::new().fg(Color::Red)))
        }
        Some(Status::Info(text)) => Line::from(status(text)),
        None => Line::from(Span::styled(
            hints(app, area.width),
            Style::new().add_modifier(Modifier::DIM),
        )),
    };
    frame.render_widget(Paragraph::new(line), area);
    if let Some(pending) = app.pending_count() {
        // Like vim's showcmd: the count typed so far, at the right.
        let text = format!("{pending} ");
        let w = (text.width() as u16).min(area.width);
        frame.render_widget(
            Paragraph::new(Span::styled(text, Style::new().fg(Color::Yellow).bold())),
            Rect::new(area.right() - w, area.y, w, area.height),
        );
    }
}

/// The prompt open in the footer, if any: what it asks and the line typed so far.
fn prompt(app: &App) -> Option<(String, &tui_input::Input)> {
    match app.overlay() {
        Overlay::Filter => Some(("/".to_string(), app.filter_input())),
        Overlay::Jump(input) => Some((":".to_string(), input)),
        Overlay::Prompt { prompt, input } => {
            use crate::app::actions::Prompt;
            let symbol = match prompt {
                Prompt::DownloadDir => app.download_prompt(),
                Prompt::ExportPath { .. } => app.export_prompt(),
                Prompt::ConfirmDelete { ids } => {
                    let first = ids.first().map(|(_, name)| name.as_str()).unwrap_or("");
                    let more = if ids.len() > 1 {
                        format!(" and {} more", ids.len() - 1)
                    } else {
                        String::new()
                    };
                    format!("delete {first}{more}? type {} to confirm: ", ids.len())
                }
            };
            Some((symbol, input))
        }
        _ => None,
    }
}

/// The keys of the prompt open in the footer.
fn prompt_hints(app: &App) -> String {
    match app.mode() {
        Mode::Filter => "Enter keep · Esc cancel · Ctrl-u clear ".to_string(),
        Mode::Jump => "Enter go · Esc cancel ".to_string(),
        _ => "Enter ok · Esc cancel ".to_string(),
    }
}

/// The key hints of what has the keyboard, from the key map, fitted to `width`.
pub fn hints(app: &App, width: u16) -> String {
    let k = |action| app.key(action);
    let width = width as usize;
    let pair = |a, b| format!("{}/{}", k(a), k(b));
    let back = hint("Esc", "back", 0);
    let list = match app.mode() {
        Mode::DetailFull => vec![
            hint(pair(Action::Down, Action::Up), "scroll", 1),
            hint(pair(Action::Top, Action::Bottom), "top/end", 3),
            hint(k(Action::Copy), "copy", 2),
            back,
        ],
        Mode::Preview => vec![
            hint(pair(Action::Down, Action::Up), "scroll", 1),
            hint(format!("Space/{}", k(Action::PageDown)), "page", 3),
            hint(pair(Action::Top, Action::Bottom), "top/end", 4),
            hint("e", "$PAGER", 2),
            back,
        ],
        Mode::Help => vec![
            hint(
                format!(
                    "{} {}",
                    pair(Action::Down, Action::Up),
                    pair(Action::PageDown, Action::PageUp)
                ),
                "scroll",
                1,
            ),
            hint(format!("q/Esc/{}", k(Action::Help)), "close", 0),
        ],
        Mode::SortMenu => vec![
            hint("j/k", "choose", 1),
            hint("Enter", "sort (again: flip)", 2),
            hint("n s t c u", "by field", 3),
            hint("Esc", "close", 0),
        ],
        Mode::CopyMenu => vec![
            hint("i n k u l j c", "what to copy", 1),
            hint("Esc", "cancel", 0),
        ],
        Mode::Exists => vec![
            hint("o", "overwrite", 1),
            hint("k", "keep both", 1),
            hint("s", "skip", 1),
            hint("Esc", "cancel", 0),
        ],
        Mode::Value => vec![
            note("select it with the mouse", 1),
            hint("any key", "closes", 0),
        ],
        Mode::Insight => {
            let scanning = matches!(app.overlay(), Overlay::Insight(v) if v.is_scanning());
            vec![
                hint("a", "scan all", if scanning { 9 } else { 1 }),
                hint("Tab", "largest/newest", 2),
                hint("j/k", "move", 3),
                hint("Enter", "go to the file", 2),
                hint("Esc", if scanning { "stop and back" } else { "back" }, 0),
            ]
        }
        Mode::Transfers => vec![
            hint("j/k", "choose", 1),
            hint("Enter", "details", 2),
            hint("Esc", "cancel one", 3),
            hint("C", "cancel all", 4),
            hint(k(Action::Transfers), "hide", 0),
            hint("Tab", "list", 0),
        ],
        Mode::List | Mode::Filter | Mode::Jump | Mode::Prompt => list_hints(app),
    };
    fit(list, width)
}

/// The list's hints: moving, finding, the panes, acting on files, help and quit.
fn list_hints(app: &App) -> Vec<Hint> {
    let k = |action| app.key(action);
    let mut hints = vec![
        hint(format!("{}/{}", k(Action::Down), k(Action::Up)), "move", 1),
        hint(k(Action::Filter), "filter", 2),
        hint(
            format!(
                "{} {} {}",
                k(Action::CycleSort),
                k(Action::FlipSort),
                k(Action::SortMenu)
            ),
            "sort",
            4,
        ),
        hint(k(Action::JumpPrompt), "jump", 5),
    ];
    if let Some(next) = next_pane(app) {
        hints.push(hint(k(Action::SwitchFocus), next, 3));
    } else if app.has_scope_pane() && !app.scope_pane_shown() {
        // The pane exists but needs room: say how much.
        let what = app
            .scopes()
            .map_or("folders", |s| s.kind().title())
            .to_lowercase();
        hints.push(note(
            format!("{what}: {}+ cols", crate::geometry::SCOPE_PANE_MIN_SCREEN),
            3,
        ));
    }
    if !app.marks().is_empty() {
        hints.push(hint(
            k(Action::Download),
            format!("download {}", count(app.marks().len(), "file")),
            2,
        ));
        hints.push(hint(k(Action::ClearFilter), "unmark", 6));
    }
    hints.extend([
        hint(k(Action::Copy), "copy", 7),
        hint(k(Action::Mark), "mark", 8),
        hint(k(Action::Download), "download", 9),
        hint(k(Action::Preview), "preview", 10),
        hint(k(Action::Help), "help", 0),
        hint(k(Action::Quit), "quit", 0),
    ]);
    if !app.marks().is_empty() {
        // Said once, above.
        hints.retain(|h| h.what != "download");
    }
    hints
}

/// What `Tab` moves the keyboard to next, when there is another pane on screen.
fn next_pane(app: &App) -> Option<&'static str> {
    let panes = app.focusable();
    if panes.len() < 2 {
        return None;
    }
    let at = panes.iter().position(|p| *p == app.focus()).unwrap_or(0);
    Some(match panes[(at + 1) % panes.len()] {
        Focus::List => "list",
        Focus::Detail => "detail",
        Focus::Scopes => match app.scopes().map(|s| s.kind()) {
            Some(crate::api::dialect::ScopeKind::Contexts) => "contexts",
            _ => "folders",
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_that_do_not_fit_are_left_out_least_useful_first() {
        let hints = || {
            vec![
                hint("j/k", "move", 1),
                hint("/", "filter", 2),
                hint("y", "copy", 7),
                hint("?", "help", 0),
                hint("q", "quit", 0),
            ]
        };
        assert_eq!(
            fit(hints(), 80),
            " j/k move · / filter · y copy · ? help · q quit"
        );
        assert_eq!(fit(hints(), 40), " j/k move · / filter · ? help · q quit");
        assert_eq!(fit(hints(), 20), " ? help · q quit");
    }
}
