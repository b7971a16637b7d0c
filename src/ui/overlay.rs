//! Pop-ups drawn over the list: the help and the sort menu.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::api::SortField;
use crate::app::App;
use crate::keymap::{KeyMap, OTHER_KEYS};

pub(super) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

/// Every line of the help, in order; the overlay shows a scrollable window of them.
pub fn help_lines(keymap: &KeyMap) -> Vec<Line<'static>> {
    let key_style = Style::new().fg(Color::Cyan);
    let mut lines: Vec<Line> = keymap
        .entries()
        .into_iter()
        .map(|(label, help)| {
            Line::from(vec![
                Span::styled(format!("{label:<14}"), key_style),
                Span::raw(help),
            ])
        })
        .collect();
    lines.push(Line::from(""));
    for (keys, help) in OTHER_KEYS {
        lines.push(Line::from(vec![
            Span::styled(format!("{keys:<30}"), key_style),
            Span::raw(*help),
        ]));
    }
    lines
}

pub fn help(frame: &mut Frame<'_>, app: &App, scroll: u16, area: Rect) {
    let lines = help_lines(&app.settings().keymap);
    let width = 76;
    let height = lines.len() as u16 + 2;
    let popup = centered(area, width, height);
    let block = Block::bordered()
        .title(" Keys (any other key closes) ")
        .border_style(Style::new().fg(Color::Cyan));
    let inner_height = popup.height.saturating_sub(2) as usize;
    let max_scroll = lines.len().saturating_sub(inner_height);
    let scroll = (scroll as usize).min(max_scroll);
    let shown: Vec<Line> = lines.into_iter().skip(scroll).collect();
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(shown).block(block), popup);
}

pub fn sort_menu(frame: &mut Frame<'_>, app: &App, index: usize, area: Rect) {
    let lines: Vec<Line> = SortField::ALL
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let marker = match app.listing().sort() {
                Some(sort) if sort.field == *field => format!(" {}", sort.order.arrow()),
                _ => String::new(),
            };
            // Fields the server cannot sort by are sorted over what is loaded.
            let local = if app.caps().can_sort(*field) {
                ""
            } else {
                " (local)"
            };
            let text = format!(" {}{marker}{local}", field.name());
            let style = if i == index {
                Style::new().add_modifier(Modifier::REVERSED)
            } else {
                Style::new()
            };
            Line::from(Span::styled(format!("{text:<22}"), style))
        })
        .collect();
    let popup = centered(area, 24, lines.len() as u16 + 2);
    let block = Block::bordered()
        .title(" Sort by ")
        .border_style(Style::new().fg(Color::Cyan));
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block).bold(), popup);
}
