//! Views of the file actions: the copy menu, the "file exists" question, the transfers panel,
//! the text preview and a value shown to be selected by hand. They only draw.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Gauge, Paragraph, Wrap};

use super::overlay::centered;
use crate::app::actions::{
    CopyWhat, PendingDownload, Preview, PreviewState, Transfer, TransferState,
};
use crate::app::{Action, App, Mode};
use crate::text::{human_size, sanitize};

pub fn copy_menu(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let key_style = Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD);
    let counted = app.dialect().link_counts_as_download();
    let shares = app.selected().is_some_and(|r| {
        app.reach()
            .share_link(r, std::time::Duration::from_secs(60))
            .is_some()
    });
    let lines: Vec<Line> = CopyWhat::menu(shares)
        .iter()
        .map(|(key, what, label)| {
            let note = if *what == CopyWhat::Link && counted {
                " (counts a download)"
            } else {
                ""
            };
            Line::from(vec![
                Span::styled(format!(" {key} "), key_style),
                Span::raw(format!("{label}{note}")),
            ])
        })
        .collect();
    let popup = centered(area, 46, lines.len() as u16 + 2);
    let block = Block::bordered()
        .title(" Copy ")
        .border_style(Style::new().fg(Color::Cyan));
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

pub fn exists(frame: &mut Frame<'_>, pending: &PendingDownload, area: Rect) {
    let mut lines = vec![Line::from(format!(
        " {} of {} {} in {}:",
        pending.existing.len(),
        crate::text::count(pending.records.len(), "file"),
        if pending.existing.len() == 1 {
            "exists"
        } else {
            "exist"
        },
        sanitize(&pending.dir.display().to_string())
    ))];
    for name in pending.existing.iter().take(5) {
        lines.push(Line::from(format!("   {}", sanitize(name))));
    }
    if pending.existing.len() > 5 {
        lines.push(Line::from(format!(
            "   and {} more",
            pending.existing.len() - 5
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(vec![
        Span::styled(" o ", Style::new().fg(Color::Cyan).bold()),
        Span::raw("overwrite  "),
        Span::styled(" k ", Style::new().fg(Color::Cyan).bold()),
        Span::raw("keep both  "),
        Span::styled(" s ", Style::new().fg(Color::Cyan).bold()),
        Span::raw("skip those  "),
        Span::styled(" Esc ", Style::new().fg(Color::Cyan).bold()),
        Span::raw("cancel"),
    ]));
    let popup = centered(area, 64, lines.len() as u16 + 2);
    let block = Block::bordered()
        .title(" Files exist ")
        .border_style(Style::new().fg(Color::Yellow));
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

/// Rows the transfers panel takes at the bottom of a body this tall: none when hidden, else a
/// line per transfer and the borders, at most half the body.
pub fn panel_height(app: &App, body: u16) -> u16 {
    crate::geometry::panel_height(app.transfers_shown(), app.transfers().items.len(), body)
}

/// The transfers panel, over the bottom of `body`: a total line, then one line per file with
/// a bar, bytes, speed and time left (or how it ended).
pub fn transfers(frame: &mut Frame<'_>, app: &App, body: Rect) {
    let t = app.transfers();
    let height = panel_height(app, body.height);
    if height == 0 {
        return;
    }
    let area = Rect::new(body.x, body.bottom() - height, body.width, height);
    let (done, total) = t.totals();
    let active = t.active();
    let rate = t.rate();
    let focus = app.mode() == Mode::Transfers;
    let left = if active > 0 && rate > 1.0 {
        format!(
            "{} left",
            short_duration((total.saturating_sub(done) as f64 / rate) as u64)
        )
    } else {
        String::new()
    };
    let running = t.running();
    let queued = active - running;
    let bytes = format!("{} of {}", human_size(done), human_size(total));
    let speed = format!("{}/s", human_size(rate as u64));
    let running = format!("{running} running");
    let queued = if queued > 0 {
        format!("{queued} queued")
    } else {
        String::new()
    };
    let hint = if focus {
        format!(
            "Enter shows one · Esc cancels it · C all · {} hides",
            app.key(Action::Transfers)
        )
    } else {
        format!("{} focuses", app.key(Action::Transfers))
    };
    // What does not fit goes, least needed first; what is left is cut with `…`, never
    // silently at the border.
    let title = format!(
        " {} ",
        crate::text::fit_parts(
            &[
                (0, "Transfers"),
                (1, running.as_str()),
                (1, queued.as_str()),
                (2, bytes.as_str()),
                (5, speed.as_str()),
                (3, left.as_str()),
                (4, hint.as_str()),
            ],
            " · ",
            (area.width as usize).saturating_sub(4),
        )
    );
    let block = Block::bordered().title(title).border_style(if focus {
        Style::new().fg(Color::Cyan)
    } else {
        Style::new().add_modifier(Modifier::DIM)
    });
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    let rows = inner.height as usize;
    // Keep the chosen transfer in view.
    let first = t.selected.saturating_sub(rows.saturating_sub(1));
    for (i, item) in t.items.iter().enumerate().skip(first).take(rows) {
        let y = inner.y + (i - first) as u16;
        let line_area = Rect::new(inner.x, y, inner.width, 1);
        draw_transfer(frame, app, item, line_area, focus && i == t.selected);
    }
}

fn draw_transfer(frame: &mut Frame<'_>, app: &App, t: &Transfer, area: Rect, chosen: bool) {
    let name_width = (area.width / 3).clamp(8, 40) as usize;
    // The file as it is on disk (`Pitch (1).gz` when both were kept), not the server's name.
    let saved = t
        .path
        .file_name()
        .map(|n| sanitize(&n.to_string_lossy()).into_owned())
        .unwrap_or_else(|| t.name.clone());
    let name = crate::text::fit_width(&saved, name_width);
    let pad =
        " ".repeat(name_width.saturating_sub(unicode_width::UnicodeWidthStr::width(name.as_ref())));
    let name = format!("{name}{pad} ");
    let (state, style) = match &t.state {
        TransferState::Queued => (
            "queued".to_string(),
            Style::new().add_modifier(Modifier::DIM),
        ),
        TransferState::Running => {
            let eta = t
                .eta()
                .map(|d| format!(" · {} left", short_duration(d.as_secs())))
                .unwrap_or_default();
            (
                format!(
                    "{} of {} · {}/s{eta}",
                    human_size(t.done),
                    t.total.map(human_size).unwrap_or_else(|| "?".to_string()),
                    human_size(t.rate as u64)
                ),
                Style::new(),
            )
        }
        TransferState::Done {
            verified,
            resumed_from,
            notes,
        } => {
            let mut text = format!("saved {}", human_size(t.done));
            if let Some(took) = t.elapsed() {
                text.push_str(&format!(" in {:.1} s", took.as_secs_f64()));
            }
            if let Some(algorithm) = verified {
                text.push_str(&format!(" · {} ok", algorithm.label()));
            }
            if *resumed_from > 0 {
                text.push_str(&format!(" · resumed at {}", human_size(*resumed_from)));
            }
            if notes.is_empty() {
                (text, Style::new().fg(Color::Green))
            } else {
                for note in notes {
                    text.push_str(&format!(" · {}", sanitize(note)));
                }
                (text, Style::new().fg(Color::Yellow))
            }
        }
        TransferState::Failed(reason) => (
            format!("failed: {}", sanitize(reason)),
            Style::new().fg(Color::Red),
        ),
        // Only a download that wrote something has a part to resume.
        TransferState::Cancelled if t.done == 0 => (
            "cancelled before anything was saved".to_string(),
            Style::new().fg(Color::Yellow),
        ),
        TransferState::Cancelled => (
            format!(
                "cancelled · {} resumes (the part is kept hidden)",
                app.key(Action::Download)
            ),
            Style::new().fg(Color::Yellow),
        ),
    };
    let marker = if chosen { "›" } else { " " };
    let bar_width = if t.state == TransferState::Running {
        (area.width / 5).clamp(6, 24)
    } else {
        0
    };
    let prefix = format!("{marker}{name}");
    let prefix_width = unicode_width::UnicodeWidthStr::width(prefix.as_str()) as u16;
    frame.render_widget(
        Paragraph::new(Line::from(Span::raw(prefix))),
        Rect::new(area.x, area.y, prefix_width.min(area.width), 1),
    );
    let mut x = area.x + prefix_width.min(area.width);
    if bar_width > 0 && x + bar_width < area.right() {
        let ratio = t
            .total
            .filter(|total| *total > 0)
            .map_or(0.0, |total| (t.done as f64 / total as f64).clamp(0.0, 1.0));
        frame.render_widget(
            Gauge::default()
                .ratio(ratio)
                .label(format!("{:>3.0}%", ratio * 100.0))
                .gauge_style(Style::new().fg(Color::Cyan).bg(Color::DarkGray)),
            Rect::new(x, area.y, bar_width, 1),
        );
        x += bar_width + 1;
    }
    if x < area.right() {
        let state = crate::text::fit_width(&state, (area.right() - x) as usize).into_owned();
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(state, style))),
            Rect::new(x, area.y, area.right() - x, 1),
        );
    }
}

/// Seconds for people: `42 s`, `3 min 5 s`, `2 h 10 min`.
pub fn short_duration(secs: u64) -> String {
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

pub fn preview(frame: &mut Frame<'_>, p: &Preview, area: Rect) {
    let (lines, note): (Vec<Line>, String) = match &p.state {
        PreviewState::Loading => (vec![Line::from(" loading…")], String::new()),
        PreviewState::Failed(e) => (
            vec![Line::from(Span::styled(
                format!(" {}", sanitize(e)),
                Style::new().fg(Color::Red),
            ))],
            String::new(),
        ),
        PreviewState::Loaded {
            lines, note, text, ..
        } => {
            let rows = area.height.saturating_sub(2) as usize;
            // Text has its line numbers in a dim gutter (a hex dump has its offsets).
            let gutter = if *text {
                lines.len().to_string().len()
            } else {
                0
            };
            let room = (area.width as usize)
                .saturating_sub(2)
                .saturating_sub(if gutter > 0 { gutter + 1 } else { 0 });
            (
                lines
                    .iter()
                    .enumerate()
                    .skip(p.scroll)
                    .take(rows)
                    .map(|(i, l)| {
                        let mut spans = Vec::new();
                        if gutter > 0 {
                            spans.push(Span::styled(
                                format!("{:>gutter$} ", i + 1),
                                Style::new().fg(Color::DarkGray),
                            ));
                        }
                        // Control characters as escapes of their own style, as in the list.
                        let text = super::safe_spans(l, Style::new());
                        if p.wrap {
                            spans.extend(text);
                        } else {
                            // Cut at the edge with `…`, scrolled sideways by `←`/`→`.
                            let from = super::from_column(text, p.column);
                            spans.extend(super::fit_line(from, room).spans);
                        }
                        Line::from(spans)
                    })
                    .collect(),
                {
                    // Where you are first: the note is what may be cut.
                    let at = format!(
                        "lines {}–{} of {}",
                        (p.scroll + 1).min(lines.len()),
                        (p.scroll + rows).min(lines.len()),
                        lines.len()
                    );
                    let room = (area.width as usize).saturating_sub(4);
                    format!(
                        " {} ",
                        crate::text::fit_parts(
                            &[(0, at.as_str()), (1, note.as_str())],
                            " · ",
                            room
                        )
                    )
                },
            )
        }
    };
    // Borders and a space either side: a longer name ends with `…`.
    let name = crate::text::fit_width(&p.name, (area.width as usize).saturating_sub(4));
    let block = Block::bordered()
        .title(format!(" {name} "))
        .title_bottom(note)
        .border_style(Style::new().fg(Color::Cyan));
    frame.render_widget(Clear, area);
    let paragraph = Paragraph::new(lines).block(block);
    let paragraph = if p.wrap {
        paragraph.wrap(Wrap { trim: false })
    } else {
        paragraph
    };
    frame.render_widget(paragraph, area);
}

pub fn value(frame: &mut Frame<'_>, title: &str, text: &str, area: Rect) {
    let width = area.width;
    let inner = width.max(1) as usize;
    let text = sanitize(text);
    let rows = (unicode_width::UnicodeWidthStr::width(text.as_ref()) / inner + 1) as u16;
    let popup = centered(area, width, rows + 3);
    // Top and bottom borders only: a row holds nothing but the value, so selecting it with
    // the mouse picks up no border characters.
    let block = Block::new()
        .borders(ratatui::widgets::Borders::TOP | ratatui::widgets::Borders::BOTTOM)
        .title(format!(" {} ", sanitize(title)))
        .title_bottom(" any key closes ")
        .border_style(Style::new().fg(Color::Cyan));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(text.into_owned())
            .wrap(Wrap { trim: false })
            .block(block),
        popup,
    );
}
