//! The insight view: what the listing holds, at a glance. Bars for kinds and sizes, uploads
//! over time as a sparkline, and the largest and newest files to jump to.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::app::App;
use crate::app::insight::{Insight, Pane, Source};
use crate::insight::{Family, SIZE_LABELS, sparkline};
use crate::text::{count, human_size, sanitize, short_date, thousands};

/// What the numbers cover: "from 5,000 of 1,000,000 files · a scans the rest", a scan's
/// progress with rate and time left, or "all 1,000,000 files".
pub fn coverage(view: &Insight, now: std::time::Instant) -> String {
    let n = view.stats.total.files as usize;
    let files = thousands(n);
    match view.source {
        Source::Loaded { rows, total } => match total {
            Some(total) if total <= rows => format!("all {}", count(n, "file")),
            Some(total) => format!(
                "a scans the rest · from {files} of {}",
                count(total, "file")
            ),
            None => format!("a scans the rest · from {}", count(n, "loaded file")),
        },
        Source::Scanning { progress, started } => {
            let elapsed = now
                .saturating_duration_since(started)
                .as_secs_f64()
                .max(0.001);
            let rate = progress.pages_done as f64 / elapsed;
            match progress.pages_total {
                Some(total) if total > 0 => {
                    let left = total.saturating_sub(progress.pages_done);
                    let eta = if rate > 0.0 { left as f64 / rate } else { 0.0 };
                    format!(
                        "Esc stops · scanning: {}, page {} of {} ({:.0}%) · {:.0} pages/s · {:.0} s left",
                        count(n, "file"),
                        thousands(progress.pages_done),
                        thousands(total),
                        100.0 * progress.pages_done as f64 / total as f64,
                        rate,
                        eta
                    )
                }
                _ => format!("Esc stops · scanning: {} so far", count(n, "file")),
            }
        }
        Source::Scanned => format!("all {}", count(n, "file")),
    }
}

/// "file" for one, "files" otherwise, for a column of counts.
fn files_word(n: u64) -> &'static str {
    if n == 1 { "file" } else { "files" }
}

fn bar(value: u64, max: u64, width: usize) -> String {
    let filled = if max == 0 {
        0
    } else {
        ((value as f64 / max as f64) * width as f64).round() as usize
    };
    let mut s = "█".repeat(filled.min(width));
    s.push_str(&" ".repeat(width - filled.min(width)));
    s
}

pub fn draw(frame: &mut Frame<'_>, app: &App, view: &Insight, area: Rect) {
    // Cut, it ends with `…`.
    let title = crate::text::fit_width(
        &format!(" Insight — {} ", coverage(view, std::time::Instant::now())),
        area.width as usize,
    )
    .into_owned();
    let block = Block::default()
        .borders(Borders::TOP)
        .title(title)
        .border_style(Style::new().fg(Color::Cyan));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width < 10 || inner.height < 3 {
        return;
    }
    let [left, right] = if inner.width >= 100 {
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(inner)
    } else {
        Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(inner)
    };
    let s = &view.stats;
    let mut lines: Vec<Line> = Vec::new();
    if let Some(error) = &view.error {
        lines.push(Line::from(format!("scan failed: {}", sanitize(error))).fg(Color::Red));
    }
    lines.push(Line::from(vec![
        Span::styled(count(s.total.files as usize, "file"), Style::new().bold()),
        Span::raw(format!(", {}", human_size(s.total.bytes))),
    ]));
    lines.push(Line::from(""));
    // From 80 columns the size chart goes beside the others rather than below, where an
    // 80x24 screen has no room for it.
    let (left, sizes_area) = if (80..100).contains(&inner.width) {
        let [a, b] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
            .spacing(1)
            .areas(left);
        (a, Some(b))
    } else {
        (left, None)
    };
    let bar_width = (left.width as usize).saturating_sub(36).clamp(4, 40);
    let max_bytes = s.families.values().map(|t| t.bytes).max().unwrap_or(0);
    lines.push(Line::from("Kind      bytes").bold());
    for family in Family::ALL {
        let t = s.families.get(&family).copied().unwrap_or_default();
        lines.push(Line::from(vec![
            Span::raw(format!("{:<9} ", family.name())),
            Span::styled(
                bar(t.bytes, max_bytes, bar_width),
                Style::new().fg(Color::Green),
            ),
            Span::raw(format!(
                " {:>9} {:>8} {}",
                human_size(t.bytes),
                thousands(t.files as usize),
                files_word(t.files)
            )),
        ]));
    }
    let mut size_lines: Vec<Line> = Vec::new();
    size_lines.push(Line::from("Size      files").bold());
    let max_count = s.sizes.iter().copied().max().unwrap_or(0);
    for (label, files) in SIZE_LABELS.iter().zip(s.sizes) {
        size_lines.push(Line::from(vec![
            Span::raw(format!("{label:<9} ")),
            Span::styled(
                bar(files, max_count, bar_width),
                Style::new().fg(Color::Blue),
            ),
            Span::raw(format!(" {:>8}", thousands(files as usize))),
        ]));
    }
    match sizes_area {
        Some(area) => frame.render_widget(Paragraph::new(size_lines), area),
        None => {
            lines.push(Line::from(""));
            lines.extend(size_lines);
        }
    }
    // Where the API keeps its own totals (AstraCollab folders), they need no scan.
    if let Some(scopes) = app.scopes() {
        let mut sized: Vec<_> = scopes
            .items()
            .iter()
            .filter(|f| f.bytes.is_some())
            .collect();
        if !sized.is_empty() {
            sized.sort_by_key(|f| std::cmp::Reverse(f.bytes));
            let max = sized[0].bytes.unwrap_or(0);
            lines.push(Line::from(""));
            lines.push(Line::from("Folders here, by the API's own totals").bold());
            for folder in sized.iter().take(8) {
                let bytes = folder.bytes.unwrap_or(0);
                lines.push(Line::from(vec![
                    Span::raw(format!(
                        "{:<9} ",
                        crate::text::fit_width(&sanitize(&folder.name), 9)
                    )),
                    Span::styled(bar(bytes, max, bar_width), Style::new().fg(Color::Magenta)),
                    Span::raw(format!(
                        " {:>9} {:>8} {}",
                        human_size(bytes),
                        thousands(folder.files.unwrap_or(0) as usize),
                        files_word(folder.files.unwrap_or(0))
                    )),
                ]));
            }
        }
    }
    let (timeline, unit) = s.timeline();
    if let (Some(first), Some(last)) = (timeline.first(), timeline.last()) {
        lines.push(Line::from(""));
        lines.push(Line::from(format!("Uploads per {unit}, {} … {}", first.0, last.0)).bold());
        // The most recent buckets that fit.
        let width = left.width as usize;
        let counts: Vec<u64> = timeline.iter().map(|(_, t)| t.files).collect();
        let shown = &counts[counts.len().saturating_sub(width)..];
        lines.push(Line::from(sparkline(shown)).fg(Color::Yellow));
    }
    // Where the screen is too short for the whole summary, PgDn/PgUp scroll it; the title's
    // last line says there is more.
    let fits = lines.len() as u16 <= left.height;
    // With a line kept to say there is more.
    let overflow = (lines.len() as u16).saturating_sub(left.height.saturating_sub(1));
    let scroll = view.scroll.min(overflow);
    if !fits && left.height > 1 {
        let more = if scroll < overflow {
            format!("… {} more lines: PgDn", overflow - scroll)
        } else {
            "PgUp: back to the top".to_string()
        };
        let [body, foot] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(left);
        frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), body);
        frame.render_widget(Paragraph::new(Line::from(more).dim()), foot);
    } else {
        frame.render_widget(Paragraph::new(lines), left);
    }

    if right.width == 0 || right.height == 0 {
        return;
    }
    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(right);
    for (pane, area) in [(Pane::Largest, top), (Pane::Newest, bottom)] {
        let focused = view.pane == pane;
        let (title, list) = match pane {
            Pane::Largest => (" Largest (Enter jumps, Tab switches) ", &s.largest),
            Pane::Newest => (" Newest ", &s.newest),
        };
        let block = Block::bordered().title(title).border_style(if focused {
            Style::new().fg(Color::Cyan)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        });
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let height = inner.height as usize;
        let first = if focused {
            view.selected.saturating_sub(height.saturating_sub(1))
        } else {
            0
        };
        let rows: Vec<Line> = list
            .iter()
            .enumerate()
            .skip(first)
            .take(height)
            .map(|(i, n)| {
                let what = match pane {
                    Pane::Largest => n.size.map(human_size).unwrap_or_default(),
                    Pane::Newest => n.created_at.as_ref().map(short_date).unwrap_or_default(),
                };
                let room = (inner.width as usize).saturating_sub(18);
                let name = crate::text::fit_width(&sanitize(&n.name), room).into_owned();
                let line = Line::from(format!("{what:>16}  {name}"));
                if focused && i == view.selected {
                    line.style(Style::new().add_modifier(Modifier::REVERSED))
                } else {
                    line
                }
            })
            .collect();
        frame.render_widget(Paragraph::new(rows), inner);
    }
}
