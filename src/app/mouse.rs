//! The mouse, where the settings allow it: the wheel scrolls the pane under the pointer, a
//! click selects a row (or a folder/context), a double click opens the detail. Positions are
//! read through the same layout the views draw with (`geometry`), so a click lands on the row
//! drawn there.

use std::time::{Duration, Instant};

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::msg::Effect;
use super::overlay::{Mode, Overlay};
use super::{App, Focus};
use crate::geometry;
use crate::listing::Motion;

/// Two clicks on the same row within this long are a double click.
pub const DOUBLE_CLICK: Duration = Duration::from_millis(400);
/// Rows the wheel moves per notch.
pub const WHEEL_ROWS: usize = 3;

impl App {
    /// Whether the explorer wants mouse reports now: as the settings say, except while a value
    /// is shown to be selected by hand, when the terminal gets the mouse back.
    pub fn wants_mouse(&self) -> bool {
        self.settings.mouse && self.mode() != Mode::Value
    }

    pub(super) fn on_mouse(&mut self, event: MouseEvent, now: Instant) -> Vec<Effect> {
        if !self.wants_mouse() {
            return Vec::new();
        }
        let down = match event.kind {
            MouseEventKind::ScrollDown => Some(true),
            MouseEventKind::ScrollUp => Some(false),
            _ => None,
        };
        let at = Position::new(event.column, event.row);
        if let Some(down) = down {
            self.dirty = true;
            return self.wheel(at, down, now);
        }
        if event.kind == MouseEventKind::Down(MouseButton::Left) {
            self.dirty = true;
            return self.click(at, now);
        }
        Vec::new()
    }

    fn wheel(&mut self, at: Position, down: bool, now: Instant) -> Vec<Effect> {
        let step = if down {
            WHEEL_ROWS as isize
        } else {
            -(WHEEL_ROWS as isize)
        };
        let lines = crate::keymap::help_line_count();
        let help_max =
            geometry::help_box(geometry::screen(self.size.0, self.size.1), lines).max_scroll;
        let preview_page = geometry::preview_rows(self.size.0, self.size.1);
        match &mut self.overlay {
            Overlay::Help { scroll } => {
                let next = (*scroll as isize + step).clamp(0, help_max as isize);
                *scroll = next as u16;
                return Vec::new();
            }
            Overlay::Preview(preview) => {
                let lines = match &preview.state {
                    super::actions::PreviewState::Loaded { lines, .. } => lines.len(),
                    _ => 0,
                };
                let max = lines.saturating_sub(preview_page) as isize;
                preview.scroll = (preview.scroll as isize + step).clamp(0, max.max(0)) as usize;
                return Vec::new();
            }
            Overlay::DetailFull => {
                self.scroll_detail_by(step);
                return Vec::new();
            }
            Overlay::Insight(view) => {
                let last = view.notable().len().saturating_sub(1) as isize;
                view.selected = (view.selected as isize + step.signum()).clamp(0, last) as usize;
                return Vec::new();
            }
            Overlay::List | Overlay::Transfers => {}
            _ => return Vec::new(),
        }
        let a = geometry::areas(
            geometry::screen(self.size.0, self.size.1),
            self.has_scope_pane(),
        );
        if a.detail.is_some_and(|d| d.contains(at)) {
            self.scroll_detail_by(step);
            return Vec::new();
        }
        if a.scopes.is_some_and(|s| s.contains(at)) {
            if let Some(scopes) = &mut self.scopes {
                scopes.select(|i, _| i.saturating_add_signed(step));
            }
            return Vec::new();
        }
        if !a.table.contains(at) {
            return Vec::new();
        }
        // The list scrolls with its selection, as a pager's page keys do.
        self.detail.set_scroll(0);
        self.listing.motion(|c, len| c.page_by(step, len), now)
    }

    fn click_title(&mut self, x: u16, width: u16, now: Instant) -> Vec<Effect> {
        let show_updated = self
            .listing
            .sort()
            .is_some_and(|s| s.field == crate::api::SortField::Updated);
        let clicked = self
            .table_columns(width)
            .spans(width, show_updated)
            .into_iter()
            .find(|(_, span)| span.contains(&x))
            .map(|(title, _)| title);
        match clicked {
            Some(super::columns::Title::Sorts(field)) => self.sort_by(field, now),
            _ => Vec::new(),
        }
    }

    fn click(&mut self, at: Position, now: Instant) -> Vec<Effect> {
        if !matches!(self.overlay, Overlay::List | Overlay::Transfers) {
            return Vec::new();
        }
        let a = geometry::areas(
            geometry::screen(self.size.0, self.size.1),
            self.has_scope_pane(),
        );
        if let Some(pane) = a.scopes.filter(|s| s.contains(at)) {
            // Inside the border: the pane lists one folder or context a line, scrolled to
            // keep the selected one in view (as `ui::scopes` draws it).
            let line = at.y.saturating_sub(pane.y + 1) as usize;
            let height = pane.height.saturating_sub(2) as usize;
            if let Some(scopes) = &mut self.scopes {
                let first = scopes.selected().saturating_sub(height.saturating_sub(1));
                scopes.select(|_, last| (first + line).min(last));
            }
            self.focus = Focus::Scopes;
            return Vec::new();
        }
        if a.detail.is_some_and(|d| d.contains(at)) {
            self.focus = Focus::Detail;
            return Vec::new();
        }
        let table = self.table_rect(a.table);
        if !table.contains(at) {
            return Vec::new();
        }
        // The first line is the columns' titles: a click sorts by that column (again, the
        // other way), as the sort menu does.
        if at.y == table.y {
            return self.click_title(at.x - table.x, table.width, now);
        }
        let row = self.listing.cursor().offset + (at.y - table.y - 1) as usize;
        if row >= self.row_count() {
            return Vec::new();
        }
        self.focus = Focus::List;
        self.overlay = Overlay::List;
        let double = self
            .last_click
            .is_some_and(|(r, t)| r == row && now.saturating_duration_since(t) <= DOUBLE_CLICK);
        self.last_click = (!double).then_some((row, now));
        self.detail.set_scroll(0);
        let effects = self.listing.motion(
            |c, len| {
                c.move_to(row, len);
                Motion::Jump
            },
            now,
        );
        if double {
            self.overlay = Overlay::DetailFull;
        }
        effects
    }

    /// The table's rectangle less what the transfers panel covers.
    fn table_rect(&self, mut table: Rect) -> Rect {
        let a = geometry::areas(
            geometry::screen(self.size.0, self.size.1),
            self.has_scope_pane(),
        );
        let body = geometry::body(&a, self.size.0);
        let panel = geometry::panel_height(
            self.files.transfers_shown,
            self.files.transfers.items.len(),
            body.height,
        );
        table.height = table
            .height
            .saturating_sub(geometry::covered_by_panel(&a, panel));
        table
    }

    fn scroll_detail_by(&mut self, step: isize) {
        let scroll = self.detail.scroll() as isize + step;
        self.detail
            .set_scroll(scroll.clamp(0, u16::MAX as isize) as u16);
    }
}
