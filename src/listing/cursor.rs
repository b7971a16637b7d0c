//! The selection and the window of rows on screen.

use std::ops::Range;

/// The selected row and the first row on screen, over a listing of `len` rows shown
/// `height` rows at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cursor {
    pub selected: usize,
    pub offset: usize,
    pub height: usize,
}

/// How the cursor last moved, which decides where to prefetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Motion {
    Down,
    Up,
    /// A jump (top, end, a row number): fetch only where it lands.
    Jump,
}

impl Cursor {
    /// Rows on screen.
    pub fn visible(&self, len: usize) -> Range<usize> {
        let start = self.offset.min(len);
        start..(self.offset + self.height).min(len)
    }

    /// Moves the selection by `delta` rows, clamped to the listing.
    pub fn move_by(&mut self, delta: isize, len: usize) -> Motion {
        let target = if delta < 0 {
            self.selected.saturating_sub(delta.unsigned_abs())
        } else {
            self.selected.saturating_add(delta as usize)
        };
        self.move_to(target, len);
        if delta < 0 { Motion::Up } else { Motion::Down }
    }

    /// Scrolls the window and the selection together by `delta` rows, like a pager's page keys.
    pub fn page_by(&mut self, delta: isize, len: usize) -> Motion {
        let max_offset = len.saturating_sub(self.height);
        self.offset = if delta < 0 {
            self.offset.saturating_sub(delta.unsigned_abs())
        } else {
            self.offset.saturating_add(delta as usize).min(max_offset)
        };
        self.move_by(delta, len)
    }

    /// Selects a row, clamped to the listing, scrolling as little as needed to show it.
    pub fn move_to(&mut self, row: usize, len: usize) {
        self.selected = row.min(len.saturating_sub(1));
        self.follow(len);
    }

    /// Keeps the selection on screen and the window inside the listing.
    pub fn follow(&mut self, len: usize) {
        let height = self.height.max(1);
        self.selected = self.selected.min(len.saturating_sub(1));
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        self.offset = self.offset.min(len.saturating_sub(height));
    }

    pub fn set_height(&mut self, height: usize, len: usize) {
        self.height = height;
        self.follow(len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::wanted_rows;

    fn cursor(height: usize) -> Cursor {
        Cursor {
            height,
            ..Cursor::default()
        }
    }

    #[test]
    fn moves_clamp_and_scroll_minimally() {
        let mut c = cursor(10);
        c.move_by(-5, 100);
        assert_eq!((c.selected, c.offset), (0, 0));
        c.move_by(9, 100);
        assert_eq!((c.selected, c.offset), (9, 0));
        c.move_by(1, 100);
        assert_eq!((c.selected, c.offset), (10, 1));
        c.move_to(usize::MAX, 100);
        assert_eq!((c.selected, c.offset), (99, 90));
        c.move_by(-15, 100);
        assert_eq!((c.selected, c.offset), (84, 84));
    }

    #[test]
    fn paging_moves_window_and_selection() {
        let mut c = cursor(10);
        c.page_by(10, 100);
        assert_eq!((c.selected, c.offset), (10, 10));
        c.page_by(1000, 100);
        assert_eq!((c.selected, c.offset), (99, 90));
        c.page_by(-5, 100);
        assert_eq!((c.selected, c.offset), (94, 85));
    }

    #[test]
    fn empty_and_tiny_listings() {
        let mut c = cursor(10);
        c.move_by(3, 0);
        assert_eq!((c.selected, c.offset), (0, 0));
        assert_eq!(c.visible(0), 0..0);
        c.move_by(3, 4);
        assert_eq!(c.visible(4), 0..4);
        let mut zero = cursor(0);
        zero.move_by(5, 10);
        assert_eq!(zero.selected, 5);
    }

    #[test]
    fn shrinking_height_keeps_selection_visible() {
        let mut c = cursor(20);
        c.move_to(15, 100);
        c.set_height(5, 100);
        assert!(c.visible(100).contains(&15));
    }

    #[test]
    fn prefetch_looks_ahead_in_the_direction_of_travel() {
        let mut c = cursor(10);
        c.move_to(50, 1000);
        let visible = c.visible(1000);
        assert_eq!(wanted_rows(&c, 1000, Motion::Jump, 50), visible);
        assert_eq!(
            wanted_rows(&c, 1000, Motion::Down, 50),
            visible.start..visible.end + 50
        );
        assert_eq!(wanted_rows(&c, 1000, Motion::Up, 50), 0..visible.end);
        assert_eq!(wanted_rows(&c, 55, Motion::Down, 50).end, 55);
    }
}
