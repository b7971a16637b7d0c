//! Where each part of the screen goes, as plain data: the state asks how many rows the table
//! shows (to know what to fetch) and the views draw into the same rectangles, so neither
//! imports the other. Pure: sizes in, rectangles out.

use ratatui::layout::{Constraint, Layout, Rect};

/// Where each part of the list view goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    /// The folders/contexts pane, for APIs that have one, when it fits.
    pub scopes: Option<Rect>,
    pub table: Rect,
    pub detail: Option<Rect>,
    pub footer: Rect,
}

/// Width from which the folders/contexts pane is shown (it takes [`SCOPE_PANE_WIDTH`], the
/// table keeps at least 60).
pub const SCOPE_PANE_MIN_SCREEN: u16 = 90;
/// Width (beside the folders pane, if any) from which the detail pane goes beside the table.
pub const DETAIL_BESIDE_WIDTH: u16 = 110;
/// Height of the body from which the detail pane goes below the table when it is not beside.
pub const DETAIL_BELOW_HEIGHT: u16 = 24;

/// Splits the screen: a header line, the body, and a footer line. The body is laid out by one
/// rule in which more room never hides a pane: the folders/contexts pane (for APIs with
/// `scopes`) on the left from [`SCOPE_PANE_MIN_SCREEN`] columns; in what is left, the detail
/// pane beside the table from [`DETAIL_BESIDE_WIDTH`] columns, else below it from
/// [`DETAIL_BELOW_HEIGHT`] rows, else hidden.
pub fn areas(area: Rect, scopes: bool) -> Areas {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    let (scope_pane, rest) = if scopes && body.width >= SCOPE_PANE_MIN_SCREEN {
        let [s, r] = Layout::horizontal([Constraint::Length(SCOPE_PANE_WIDTH), Constraint::Min(0)])
            .areas(body);
        (Some(s), r)
    } else {
        (None, body)
    };
    let (table, detail) = if rest.width >= DETAIL_BESIDE_WIDTH {
        let [t, d] = Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
            .areas(rest);
        (t, Some(d))
    } else if rest.height >= DETAIL_BELOW_HEIGHT {
        let [t, d] =
            Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(rest);
        (t, Some(d))
    } else {
        (rest, None)
    };
    Areas {
        header,
        scopes: scope_pane,
        table,
        detail,
        footer,
    }
}

/// The screen of a terminal `width` x `height`.
pub fn screen(width: u16, height: u16) -> Rect {
    Rect::new(0, 0, width, height)
}

/// Whether the detail pane is on screen beside or below the list at this size.
pub fn detail_fits(width: u16, height: u16, scopes: bool) -> bool {
    areas(screen(width, height), scopes).detail.is_some()
}

/// The width of the folders/contexts pane.
pub const SCOPE_PANE_WIDTH: u16 = 30;

/// Whether the folder/context pane is on screen at this terminal size (for an API with one).
pub fn scope_pane_fits(width: u16, height: u16) -> bool {
    areas(screen(width, height), true).scopes.is_some()
}

/// Lines of text the preview shows at this terminal size: the body less its borders.
pub fn preview_rows(width: u16, height: u16) -> usize {
    let a = areas(screen(width, height), false);
    body(&a, width).height.saturating_sub(2) as usize
}

/// Width of one column of the help: keys and what they do.
pub const HELP_COLUMN_WIDTH: u16 = 72;

/// Where the help goes and how it scrolls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelpBox {
    /// The pop-up, borders included.
    pub area: Rect,
    /// One column, or two side by side when the screen is wide enough.
    pub columns: usize,
    /// Lines each column shows at once.
    pub rows: usize,
    /// Lines in each column.
    pub per_column: usize,
    /// How far it scrolls: the last line then shows at the bottom.
    pub max_scroll: usize,
}

/// The help's pop-up on `screen` for `lines` lines: centred between the header and the footer
/// (which shows the help's keys), two columns when they fit side by side, as tall as the lines
/// need and the screen allows.
pub fn help_box(screen: Rect, lines: usize) -> HelpBox {
    let screen = if screen.height > 4 {
        Rect::new(screen.x, screen.y + 1, screen.width, screen.height - 2)
    } else {
        screen
    };
    let two = screen.width >= 2 * HELP_COLUMN_WIDTH + 4;
    let columns = if two { 2 } else { 1 };
    let width = HELP_COLUMN_WIDTH * columns as u16 + 2 * (columns as u16 - 1) + 2;
    let per_column = lines.div_ceil(columns);
    let height = (per_column as u16).saturating_add(2).min(screen.height);
    let [row] = Layout::vertical([Constraint::Length(height)])
        .flex(ratatui::layout::Flex::Center)
        .areas(screen);
    let [area] = Layout::horizontal([Constraint::Length(width.min(screen.width))])
        .flex(ratatui::layout::Flex::Center)
        .areas(row);
    let rows = area.height.saturating_sub(2) as usize;
    HelpBox {
        area,
        columns,
        rows,
        per_column,
        max_scroll: per_column.saturating_sub(rows),
    }
}

/// Rows the transfers panel takes at the bottom of a body this tall when it shows `items`
/// transfers: none when hidden, else a line per transfer and the borders, at most half the
/// body.
pub fn panel_height(shown: bool, items: usize, body: u16) -> u16 {
    let items = items.min(u16::MAX as usize) as u16;
    if !shown || items == 0 || body < 6 {
        return 0;
    }
    items.saturating_add(2).min(body / 2).max(3)
}

/// The body between the header and the footer.
pub fn body(a: &Areas, width: u16) -> Rect {
    Rect::new(
        0,
        a.header.bottom(),
        width,
        a.footer.y.saturating_sub(a.header.bottom()),
    )
}

/// How many of the table's rows a transfers panel `panel` rows tall (over the bottom of the
/// body) covers.
pub fn covered_by_panel(a: &Areas, panel: u16) -> u16 {
    let panel_top = a.footer.y.saturating_sub(panel);
    a.table.bottom().saturating_sub(panel_top)
}

/// Rows of files the table shows at this terminal size (its column-title line excluded),
/// less the rows a transfers panel `panel` rows tall covers.
pub fn table_rows(width: u16, height: u16, scopes: bool, panel: impl Fn(u16) -> u16) -> usize {
    let a = areas(screen(width, height), scopes);
    let covered = covered_by_panel(&a, panel(body(&a, width).height));
    a.table.height.saturating_sub(1).saturating_sub(covered) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panes(width: u16, height: u16, scopes: bool) -> (bool, bool) {
        let a = areas(screen(width, height), scopes);
        (a.scopes.is_some(), a.detail.is_some())
    }

    /// More room never hides a pane: for any two sizes where one is at least as wide and as
    /// tall as the other, the larger shows every pane the smaller does.
    #[test]
    fn more_room_never_hides_a_pane() {
        for scopes in [false, true] {
            for w in (20..=250).step_by(5) {
                for h in (6..=60).step_by(3) {
                    let small = panes(w, h, scopes);
                    for (bigger_w, bigger_h) in [(w + 5, h), (w, h + 3), (w + 10, h + 3)] {
                        let big = panes(bigger_w, bigger_h, scopes);
                        assert!(
                            (!small.0 || big.0) && (!small.1 || big.1),
                            "{w}x{h} shows {small:?}, {bigger_w}x{bigger_h} {big:?} (scopes {scopes})"
                        );
                    }
                }
            }
        }
    }
}
