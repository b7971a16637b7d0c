//! Pop-ups drawn over the list: the help and the sort menu.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use unicode_width::UnicodeWidthStr;

use crate::app::overlay::SORT_MENU_ROWS;
use crate::app::{Action, App};
use crate::geometry::{HELP_COLUMN_WIDTH, help_box};
use crate::keymap::{KeyMap, NO_KEY, help_rows};
use crate::text::fit_width;

pub(super) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

/// Every line of the help, in order, styled: the keys in colour, then what they do, cut with
/// `…` to a column `column` wide (the screen's, where it is narrower than the help).
pub fn help_lines(keymap: &KeyMap, column: usize) -> Vec<Line<'static>> {
    let key_style = Style::new().fg(Color::Cyan);
    let mut in_list = true;
    help_rows(keymap)
        .into_iter()
        .map(|(keys, what)| {
            if keys.is_empty() {
                in_list = false;
                return Line::from("");
            }
            // Keys longer than their column (many keys bound to one action) still leave a
            // space before what they do.
            let width = if in_list { 15 } else { 33 }.max(keys.width() + 1);
            let style = if keys == NO_KEY {
                Style::new().add_modifier(Modifier::DIM)
            } else {
                key_style
            };
            let keys = format!("{keys:<width$}");
            let room = column.saturating_sub(keys.width());
            if room == 0 {
                // Not even the keys fit: they are cut too, and say so.
                return Line::from(Span::styled(fit_width(&keys, column).into_owned(), style));
            }
            Line::from(vec![
                Span::styled(keys, style),
                Span::raw(fit_width(what, room).into_owned()),
            ])
        })
        .collect()
}

pub fn help(frame: &mut Frame<'_>, app: &App, scroll: u16, area: Rect) {
    let help = help_box(area, crate::keymap::help_line_count());
    let scroll = (scroll as usize).min(help.max_scroll);
    let more = scroll < help.max_scroll;
    let k = |a| app.key(a);
    // A title wider than the box ends with `…`, as the lines do.
    let title = format!(
        " Keys · {}/{} {}/{} scroll · q/Esc/{} close ",
        k(Action::Down),
        k(Action::Up),
        k(Action::PageDown),
        k(Action::PageUp),
        k(Action::Help)
    );
    let block = Block::bordered()
        .title(fit_width(&title, help.area.width.saturating_sub(2) as usize).into_owned())
        .title_bottom(if more {
            Line::from(" ↓ more below ").right_aligned()
        } else {
            Line::from("")
        })
        .title_bottom(Line::from(" Shift-drag selects text ").left_aligned())
        .border_style(Style::new().fg(Color::Cyan));
    let inner = block.inner(help.area);
    frame.render_widget(Clear, help.area);
    frame.render_widget(block, help.area);
    let columns: Vec<Rect> = if help.columns == 2 {
        let [l, r] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)])
            .spacing(2)
            .areas(inner);
        vec![l, r]
    } else {
        vec![inner]
    };
    // The lines are cut to the column as drawn: at 60 columns it is narrower than the help's.
    let width = columns
        .iter()
        .map(|c| c.width as usize)
        .min()
        .unwrap_or(0)
        .min(HELP_COLUMN_WIDTH as usize);
    let lines = help_lines(&app.settings().keymap, width);
    for (c, column) in columns.into_iter().enumerate() {
        let first = c * help.per_column + scroll;
        let last = ((c + 1) * help.per_column).min(lines.len());
        let shown: Vec<Line> = lines
            .iter()
            .take(last)
            .skip(first)
            .take(help.rows)
            .cloned()
            .collect();
        frame.render_widget(Paragraph::new(shown), column);
    }
}

pub fn sort_menu(frame: &mut Frame<'_>, app: &App, index: usize, area: Rect) {
    let lines: Vec<Line> = SORT_MENU_ROWS
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let text = match (row, app.listing().sort()) {
                // The server's own order; marked when it is the one in force.
                (None, sort) => {
                    let marker = if sort == app.served_order() {
                        " •"
                    } else {
                        ""
                    };
                    format!(" as served{marker}")
                }
                (Some(field), sort) => {
                    let marker = match sort {
                        Some(sort) if sort.field == *field => format!(" {}", sort.order.arrow()),
                        _ => String::new(),
                    };
                    // Fields the server cannot sort by are sorted over what is loaded.
                    let local = if app.caps().can_sort(*field) {
                        ""
                    } else {
                        " (local)"
                    };
                    format!(" {}{marker}{local}", field.name())
                }
            };
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
