//! The pane beside the files for APIs that group them: AstraCollab folders (a tree, entered
//! with Enter, left with Backspace) or FileGuard contexts (a filter, chosen with Enter).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::api::dialect::ScopeKind;
use crate::app::{App, Focus, Scopes};
use crate::text::sanitize;

/// Where the path is shown: "/ Marketing / 2024" for folders, the context's name otherwise.
pub fn breadcrumb(scopes: &Scopes) -> Option<String> {
    match scopes.kind() {
        ScopeKind::Folders => {
            let names: Vec<String> = scopes
                .path()
                .iter()
                .map(|(_, name)| sanitize(name).into_owned())
                .collect();
            Some(format!("/ {}", names.join(" / ")).trim_end().to_string())
        }
        ScopeKind::Contexts => scopes
            .context()
            .map(|(_, name)| format!("context {}", sanitize(name))),
        // The prefix itself: where in the bucket the rows are.
        ScopeKind::Prefixes => scopes
            .path()
            .last()
            .map(|(id, _)| sanitize(id).into_owned()),
    }
}

pub fn draw(frame: &mut Frame<'_>, app: &App, scopes: &Scopes, area: Rect) {
    let focused = app.focus() == Focus::Scopes;
    // The pane follows the folder you are in: its title is that folder's name (what the
    // pane lists is inside it), cut with `…` to leave room for the key that goes up.
    let title = match (scopes.kind(), scopes.path().last()) {
        (ScopeKind::Folders, Some((_, name))) => {
            let up = format!(" ({}: up) ", app.key(crate::app::Action::ScopeUp));
            let room = (area.width as usize)
                .saturating_sub(3 + unicode_width::UnicodeWidthStr::width(up.as_str()));
            format!(
                " {}{up}",
                crate::text::fit_width(&sanitize(name), room.max(1))
            )
        }
        (kind, _) => format!(" {} ", kind.title()),
    };
    let block = Block::bordered().title(title).border_style(if focused {
        Style::new().fg(Color::Cyan)
    } else {
        Style::new().add_modifier(Modifier::DIM)
    });
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let mut lines: Vec<Line> = Vec::new();
    if let Some(error) = scopes.error() {
        lines.push(Line::from(sanitize(error).into_owned()).fg(Color::Red));
    } else if scopes.items().is_empty() {
        let text = if scopes.is_loading() {
            "loading…"
        } else if scopes.kind() == ScopeKind::Folders {
            "no sub-folders"
        } else {
            "no contexts"
        };
        lines.push(Line::from(text).dim());
    }
    let height = inner.height as usize;
    let first = scopes.selected().saturating_sub(height.saturating_sub(1));
    let active = scopes.active().map(|(id, _)| id.as_str());
    for (i, item) in scopes.items().iter().enumerate().skip(first).take(height) {
        let marker = if Some(item.id.as_str()) == active {
            "● "
        } else if scopes.kind() == ScopeKind::Folders {
            "▸ "
        } else {
            "  "
        };
        // A cut name ends with `…`; the note follows only where there is room for it.
        let room = (inner.width as usize).saturating_sub(2);
        let name = crate::text::fit_width(&sanitize(&item.name), room).into_owned();
        let used = unicode_width::UnicodeWidthStr::width(name.as_str());
        let mut spans = vec![Span::raw(marker), Span::raw(name)];
        if let Some(note) = &item.note {
            let note = format!("  {}", sanitize(note));
            if used + unicode_width::UnicodeWidthStr::width(note.as_str()) <= room {
                spans.push(Span::raw(note).dim());
            }
        }
        let mut line = Line::from(spans);
        if i == scopes.selected() && focused {
            line = line.style(Style::new().add_modifier(Modifier::REVERSED));
        } else if i == scopes.selected() {
            line = line.style(Style::new().add_modifier(Modifier::UNDERLINED));
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
