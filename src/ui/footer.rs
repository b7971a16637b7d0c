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

use crate::app::{Action, App, Focus, Overlay, Status, overlay};
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
        prompt_line(frame, app, &symbol, input, area);
        return;
    }
    // Like vim's showcmd: the keys waiting for more (a count, a `g` a second `g` would
    // complete), at the right, in room of their own that the line leaves free.
    let pending = app.pending_keys().map(|keys| format!(" {keys} "));
    let pending_width = pending
        .as_ref()
        .map_or(0, |p| (p.width() as u16).min(area.width));
    let width = area.width - pending_width;
    // A status too long for the line ends with `…` (a failure's whole reason is in the
    // transfers panel, the error state or the log).
    let status =
        |text: &str| fit_width(&format!(" {}", sanitize(text)), width as usize).into_owned();
    let line = match app.status() {
        Some(Status::Error(text)) => {
            Line::from(Span::styled(status(text), Style::new().fg(Color::Red)))
        }
        Some(Status::Info(text)) => Line::from(status(text)),
        None => Line::from(Span::styled(
            hints(app, width),
            Style::new().add_modifier(Modifier::DIM),
        )),
    };
    frame.render_widget(
        Paragraph::new(line),
        Rect::new(area.x, area.y, width, area.height),
    );
    if let Some(pending) = pending {
        frame.render_widget(
            Paragraph::new(Span::styled(pending, Style::new().fg(Color::Yellow).bold())),
            Rect::new(
                area.right() - pending_width,
                area.y,
                pending_width,
                area.height,
            ),
        );
    }
}

/// Columns of typing a prompt keeps beside its question and its keys.
const PROMPT_TYPING: usize = 12;

/// A prompt in the footer: the question, what is typed, and its keys at the right. The keys
/// stay while the line has room for them and some typing; the question is cut (with `…`)
/// before they go; the typed text, when longer than its room, loses its start, which a
/// leading `…` stands for, so the end being typed (a file's name) stays in sight.
fn prompt_line(
    frame: &mut Frame<'_>,
    app: &App,
    symbol: &str,
    input: &tui_input::Input,
    area: Rect,
) {
    let keys = prompt_hints(app);
    let keys_width = keys.width();
    let total = area.width as usize;
    let show_keys = total >= keys_width + PROMPT_TYPING + 2;
    let room = if show_keys { total - keys_width } else { total };
    // The question leaves room for some typing, else it is cut to half the line (a space
    // before the answer), the other half for the answer.
    let symbol = if symbol.width() + PROMPT_TYPING.min(room / 2) > room {
        let cut = fit_width(symbol.trim_end(), (room / 2).saturating_sub(1));
        format!("{cut} ")
    } else {
        symbol.to_string()
    };
    let symbol_width = symbol.width();
    let width = room.saturating_sub(symbol_width).max(1);
    let text = sanitize(input.value());
    // One column is kept for the cursor after the last character.
    let mut scroll = input.visual_scroll(width.saturating_sub(1).max(1));
    let cursor = input.visual_cursor();
    // The first column shown is the `…` of a cut start: the cursor stays right of it.
    if scroll > 0 && cursor <= scroll {
        scroll = cursor.saturating_sub(1);
    }
    let mut shown: String = text.chars().skip(scroll).collect();
    if scroll > 0 {
        shown = std::iter::once('…').chain(shown.chars().skip(1)).collect();
    }
    let shown = fit_width(&shown, width).into_owned();
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(symbol, Style::new().fg(Color::Cyan).bold()),
            Span::raw(shown),
        ])),
        Rect::new(area.x, area.y, room as u16, area.height),
    );
    if show_keys {
        frame.render_widget(
            Paragraph::new(Span::styled(keys, Style::new().add_modifier(Modifier::DIM)))
                .right_aligned(),
            Rect::new(area.x + room as u16, area.y, keys_width as u16, area.height),
        );
    }
    let x = area.x + (symbol_width + cursor.saturating_sub(scroll)) as u16;
    frame.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
}

/// The prompt open in the footer, if any: what it asks and the line typed so far.
fn prompt(app: &App) -> Option<(String, &tui_input::Input)> {
    match app.overlay() {
        Overlay::Filter { .. } => Some(("/".to_string(), app.filter_input())),
        Overlay::Prompt { prompt, input } => {
            use crate::app::actions::Prompt;
            let symbol = match prompt {
                Prompt::Jump => ":".to_string(),
                Prompt::DownloadDir => app.download_prompt(),
                Prompt::ExportPath { .. } => app.export_prompt(),
                Prompt::ConfirmDelete { ids, wrong } => {
                    let first = ids.first().map(|(_, name)| name.as_str()).unwrap_or("");
                    let more = if ids.len() > 1 {
                        format!(" and {} more", ids.len() - 1)
                    } else {
                        String::new()
                    };
                    // A wrong answer asks again, and says what was wrong first.
                    let wrong = wrong
                        .as_ref()
                        .map(|w| format!("{w:?} is not {}; ", ids.len()))
                        .unwrap_or_default();
                    format!(
                        "{wrong}delete {first}{more}? type {} to confirm: ",
                        ids.len()
                    )
                }
            };
            Some((symbol, input))
        }
        _ => None,
    }
}

/// The keys of the prompt open in the footer, from the prompts' key table.
fn prompt_hints(app: &App) -> String {
    use crate::app::actions::Prompt;
    let (accept, clear) = match app.overlay() {
        Overlay::Filter { .. } => ("keep", " · ↑ last · Ctrl-u clear"),
        Overlay::Prompt {
            prompt: Prompt::Jump,
            ..
        } => ("go", ""),
        _ => ("ok", ""),
    };
    let keys: Vec<String> = overlay::shown(overlay::PROMPT_KEYS, &app.settings().keymap)
        .into_iter()
        .map(|h| {
            let what = match h.does {
                overlay::PromptKey::Accept => accept,
                overlay::PromptKey::Cancel => h.what,
            };
            format!("{} {what}", h.keys)
        })
        .collect();
    format!("{}{clear} ", keys.join(" · "))
}

/// An overlay's key table as footer hints.
fn table<C: Copy>(app: &App, table: &overlay::Table<C>) -> Vec<Hint> {
    overlay::shown(table, &app.settings().keymap)
        .into_iter()
        .map(|h| hint(h.keys, h.what, h.rank))
        .collect()
}

/// The key hints of what has the keyboard, from the key map and the overlay's key table,
/// fitted to `width`.
pub fn hints(app: &App, width: u16) -> String {
    let width = width as usize;
    let list = match app.overlay() {
        Overlay::DetailFull => table(app, overlay::DETAIL_KEYS),
        Overlay::Preview(_) => table(app, overlay::PREVIEW_KEYS),
        Overlay::Help { .. } => table(app, overlay::HELP_KEYS),
        Overlay::SortMenu { .. } => table(app, overlay::SORT_MENU_KEYS),
        Overlay::CopyMenu { .. } => vec![
            hint(
                crate::app::actions::CopyWhat::MENU
                    .iter()
                    .map(|(c, _, _)| c.to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
                "what to copy",
                1,
            ),
            hint("Esc", "cancel", 0),
        ],
        Overlay::Exists(_) => table(app, overlay::EXISTS_KEYS),
        Overlay::Value { .. } => vec![
            note("select it with the mouse", 1),
            hint("any key", "closes", 0),
        ],
        Overlay::Insight(view) => {
            let scanning = view.is_scanning();
            overlay::shown(overlay::INSIGHT_KEYS, &app.settings().keymap)
                .into_iter()
                .map(|h| match h.does {
                    overlay::InsightKey::ScanAll if scanning => hint(h.keys, h.what, 9),
                    overlay::InsightKey::Close if scanning => hint(h.keys, "stop and back", 0),
                    _ => hint(h.keys, h.what, h.rank),
                })
                .collect()
        }
        Overlay::Transfers => table(app, overlay::TRANSFERS_KEYS),
        Overlay::List | Overlay::Filter { .. } | Overlay::Prompt { .. } => list_hints(app),
    };
    fit(list, width)
}

/// The list's hints: moving, finding, the panes, acting on files, help and quit.
fn list_hints(app: &App) -> Vec<Hint> {
    let k = |action| app.key(action);
    let mut hints = Vec::new();
    if let Some(rows) = app.range_rows() {
        // Marking a range: what it spans, and how it ends.
        hints.extend([
            note(format!("range of {}", count(rows, "row")), 0),
            hint(k(Action::MarkRange), "keep", 0),
            hint(k(Action::ClearFilter), "drop", 0),
        ]);
    }
    // What a newcomer needs first comes first (issue 27, Expected 1): at 80 columns the
    // footer names Enter, Space, d, p and i; moving and filtering come back from 100.
    // The focused pane takes the moves (and Enter, in the folders): the footer says what they
    // do there; the other keys act on the list as always.
    let moves = format!("{}/{}", k(Action::Down), k(Action::Up));
    let (enter, moving) = match app.focus() {
        Focus::Detail => ("detail", "scroll the detail"),
        Focus::Scopes => (
            match app.scopes().map(|s| s.kind()) {
                Some(crate::api::dialect::ScopeKind::Contexts) => "choose",
                _ => "open",
            },
            match app.scopes().map(|s| s.kind()) {
                Some(crate::api::dialect::ScopeKind::Contexts) => "move in contexts",
                _ => "move in folders",
            },
        ),
        Focus::List => ("detail", "move"),
    };
    hints.extend([
        hint(k(Action::OpenDetail), enter, 1),
        hint(
            moves,
            moving,
            if app.focus() == Focus::List { 6 } else { 1 },
        ),
        hint(k(Action::Filter), "filter", 6),
        hint(
            format!(
                "{} {} {}",
                k(Action::CycleSort),
                k(Action::FlipSort),
                k(Action::SortMenu)
            ),
            "sort",
            8,
        ),
        hint(k(Action::JumpPrompt), "jump", 9),
    ]);
    if let Some(next) = next_pane(app) {
        hints.push(hint(k(Action::SwitchFocus), next, 7));
    } else if app.has_scope_pane() && !app.scope_pane_shown() {
        // The pane exists but needs room: say how much.
        let what = app
            .scopes()
            .map_or("folders", |s| s.kind().title())
            .to_lowercase();
        hints.push(note(
            format!("{what}: {}+ cols", crate::geometry::SCOPE_PANE_MIN_SCREEN),
            1,
        ));
    }
    if !app.marks().is_empty() {
        hints.push(hint(
            k(Action::Download),
            format!("download {}", count(app.marks().len(), "file")),
            2,
        ));
        if app.range_rows().is_none() {
            hints.push(hint(k(Action::ClearFilter), "unmark", 6));
        }
    }
    hints.extend([
        hint(k(Action::Mark), "mark", 2),
        hint(k(Action::Download), "download", 3),
        hint(k(Action::Preview), "preview", 4),
        hint(k(Action::Insight), "stats", 5),
        hint(k(Action::Copy), "copy", 10),
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

    /// A remapped move is the move in every overlay that moves, and the footer says so: the
    /// handler and the footer read the same key table.
    #[test]
    fn remapped_moves_work_and_are_shown_in_the_overlays() {
        use crate::app::{Msg, Overlay};
        use crate::test_support::{code, key};
        use crossterm::event::KeyCode;
        use std::time::Instant;

        let keymap = crate::keymap::KeyMap::with_overrides(&std::collections::BTreeMap::from([
            ("down".to_string(), vec!["J".to_string()]),
            ("up".to_string(), vec!["K".to_string()]),
        ]))
        .unwrap();
        let settings = crate::config::Settings {
            keymap,
            ..Default::default()
        };
        let mut app = crate::test_support::app_with("filejar", 50, settings);
        let now = Instant::now();
        app.start(120, 40, now);
        let press = |app: &mut App, msg: Msg| {
            app.update(msg, now);
        };
        press(&mut app, key('o'));
        let line = hints(&app, 200);
        assert!(line.contains("J/K choose"), "{line}");
        assert!(!line.contains("j/k"), "{line}");
        let index = |app: &App| match app.overlay() {
            Overlay::SortMenu { index } => *index,
            other => panic!("{:?}", other.mode()),
        };
        let at = index(&app);
        let fields = crate::app::overlay::SORT_MENU_ROWS.len();
        press(&mut app, key('J'));
        assert_eq!(index(&app), (at + 1) % fields, "J moves down");
        press(&mut app, key('j'));
        assert_eq!(index(&app), (at + 1) % fields, "j is no move any more");
        press(&mut app, key('K'));
        assert_eq!(index(&app), at, "K moves up");
        press(&mut app, code(KeyCode::Down));
        assert_eq!(index(&app), (at + 1) % fields, "the arrows always move");
        press(&mut app, code(KeyCode::Esc));
        press(&mut app, key('i'));
        let line = hints(&app, 200);
        assert!(line.contains("J/K move"), "{line}");
        press(&mut app, code(KeyCode::Esc));
        // A download, for the transfers panel to show (with none, `t` only says so).
        press(
            &mut app,
            Msg::Files(crate::app::FileMsg::TargetsChecked {
                dir: "/tmp/x".into(),
                records: vec![crate::test_support::record(1, "a.pdf")],
                existing: Vec::new(),
            }),
        );
        press(&mut app, key('t'));
        assert!(matches!(app.overlay(), Overlay::Transfers));
        let line = hints(&app, 200);
        assert!(line.contains("J/K choose"), "{line}");
    }
}
