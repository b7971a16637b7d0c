//! Where each part of the screen goes, as plain data: the state asks how many rows the table
//! shows (to know what to fetch) and the views draw into the same rectangles, so neither
//! imports the other. Pure: sizes in, rectangles out.

use ratatui::layout::{Constraint, Layout, Rect};

/// Where each part of the list view goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub table: Rect,
    pub detail: Option<Rect>,
    pub footer: Rect,
}

/// Splits the screen: a header line, the table (with the detail pane beside it on wide
/// terminals, below it on tall narrow ones, hidden on small ones), and a footer line.
pub fn areas(area: Rect) -> Areas {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    let (table, detail) = if body.width >= 110 {
        let [t, d] = Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
            .areas(body);
        (t, Some(d))
    } else if body.height >= 24 {
        let [t, d] =
            Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(body);
        (t, Some(d))
    } else {
        (body, None)
    };
    Areas {
        header,
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
pub fn detail_fits(width: u16, height: u16) -> bool {
    areas(screen(width, height)).detail.is_some()
}

/// The width of the folders/contexts pane.
pub const SCOPE_PANE_WIDTH: u16 = 30;

/// Whether the folder/context pane fits beside the table at this terminal size.
pub fn scope_pane_fits(width: u16, height: u16) -> bool {
    areas(screen(width, height)).table.width >= 90
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
pub fn table_rows(width: u16, height: u16, panel: impl Fn(u16) -> u16) -> usize {
    let a = areas(screen(width, height));
    let covered = covered_by_panel(&a, panel(body(&a, width).height));
    a.table.height.saturating_sub(1).saturating_sub(covered) as usize
}
