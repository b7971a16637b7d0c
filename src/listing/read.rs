//! How the listing is read, and what to fetch for it: one place. [`Read`] is the one mode the
//! listing is in beyond following the screen (the end wanted, every page for a local view, a
//! walk through a listing read in order, a search for its last rows, showing those rows);
//! [`requests`] turns the mode, the cursor and the pages into the page requests to send.

use std::ops::Range;
use std::time::Instant;

use super::cursor::{Cursor, Motion};
use super::local::LocalView;
use super::paged::PagedList;
use crate::api::dialect::PageRequest;

/// Pages in flight at once while loading everything for a local sort or filter.
pub const LOAD_ALL_CONCURRENCY: usize = 4;

/// How the listing is read beyond the rows the screen (and the prefetch) needs.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Read {
    /// Only what the screen needs.
    #[default]
    Screen,
    /// `G` before the row count was known: the end is jumped to once it is.
    End,
    /// Every page, for the local view (`A`).
    All(LoadAll),
    /// A walk forward through a listing read in order, toward a row no request can jump to
    /// (over the last rows found by key, when `tail` is set).
    /// `next`: the page the walker's next answer fills, while one runs.
    Walk {
        to: Walk,
        tail: Option<Tail>,
        next: Option<usize>,
    },
    /// A search for the last rows by key is under way (from the last rows shown, if any).
    SeekingTail { was: Option<Tail> },
    /// Showing the last rows, found by key (the query lists after a key).
    Tail(Tail),
}

/// Where a walk through a listing read in order is going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walk {
    /// The last row (`G`).
    End,
    /// This row (`:N`).
    Row(usize),
}

/// The last rows of a listing read in order, found without walking it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tail {
    /// The listing holds at least this many rows in all.
    pub floor: usize,
    /// Requests the search made, to say when a walk through its rows arrives.
    pub requests: usize,
}

/// Loading every page for a local view: how fast it goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadAll {
    pub started: Instant,
    pub rows_at_start: usize,
    /// Rows per second so far, once a page has come.
    pub rate: Option<f64>,
}

impl Read {
    /// The last rows shown (or being walked, or searched from), if any.
    pub fn tail(&self) -> Option<Tail> {
        match *self {
            Read::Tail(tail) => Some(tail),
            Read::Walk { tail, .. } | Read::SeekingTail { was: tail } => tail,
            Read::Screen | Read::End | Read::All(_) => None,
        }
    }

    /// The walk under way, if any.
    pub fn walk(&self) -> Option<Walk> {
        match *self {
            Read::Walk { to, .. } => Some(to),
            _ => None,
        }
    }

    /// A walk ends (arrived, stopped, cut short): back to showing what it walked over.
    pub fn end_walk(&mut self) -> Option<Walk> {
        let Read::Walk { to, tail, .. } = *self else {
            return None;
        };
        *self = tail.map_or(Read::Screen, Read::Tail);
        Some(to)
    }

    /// The page the walker's next answer fills, while a walker runs.
    pub fn walker(&self) -> Option<usize> {
        match *self {
            Read::Walk { next, .. } => next,
            _ => None,
        }
    }

    /// A walker runs (`Some`: its next answer fills this page), or stopped (`None`).
    pub fn set_walker(&mut self, at: Option<usize>) {
        if let Read::Walk { next, .. } = self {
            *next = at;
        }
    }

    /// Starts a walk, over the last rows if they are shown.
    pub fn start_walk(&mut self, to: Walk) {
        *self = Read::Walk {
            to,
            tail: self.tail(),
            next: None,
        };
    }
}

/// What a fetch decision is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// The screen after the cursor moved so (a jump, a scroll, a page that came).
    Screen(Motion),
    /// The listing was read again: the rows on screen, asked for directly, without waiting
    /// for page 1 to say how many there are.
    Again,
    /// The next step of the walk under way.
    Step,
}

/// The rows that should be loaded: those on screen, plus `distance` rows ahead in the direction
/// of travel, so the next page arrives before the selection reaches it. A jump wants only what
/// is on screen.
pub fn wanted_rows(cursor: &Cursor, len: usize, motion: Motion, distance: usize) -> Range<usize> {
    let visible = cursor.visible(len);
    match motion {
        Motion::Down => visible.start..(visible.end + distance).min(len),
        Motion::Up => visible.start.saturating_sub(distance)..visible.end,
        Motion::Jump => visible,
    }
}

/// The page requests to send, and the rows to keep loaded (a plain listing forgets pages far
/// from them; `None`: nothing is forgotten).
pub struct Decision {
    pub requests: Vec<PageRequest>,
    pub keep: Option<Range<usize>>,
}

/// Decides what to fetch: the one place that does. `distance` is the prefetch's.
pub fn requests(
    pages: &mut PagedList,
    cursor: &Cursor,
    view: Option<&LocalView>,
    read: &Read,
    want: Want,
    distance: usize,
) -> Decision {
    let nothing_kept = |requests| Decision {
        requests,
        keep: None,
    };
    match (want, view) {
        (Want::Step, _) => {
            // Toward the end, the page after the furthest answered; toward a row, the highest
            // page below it that can be asked for (a forgotten page whose cursor was let go is
            // reached from the nearest cursor kept) — when it is not on its way already.
            let target = match read.walk() {
                Some(Walk::Row(row)) => pages.page_of(row),
                _ => usize::MAX,
            };
            nothing_kept(pages.step_toward(target).into_iter().collect())
        }
        (Want::Again, None) => {
            let top = cursor.offset;
            nothing_kept(pages.request_rows(top..top + cursor.height.max(1)))
        }
        (Want::Screen(_) | Want::Again, Some(view)) => {
            // A local view reads the listing from the top: the next pages in order, while the
            // screen (plus the prefetch distance) is not full, or all of them for `A`.
            let requests = if let Read::All(_) = read {
                let room = LOAD_ALL_CONCURRENCY.saturating_sub(pages.pending());
                pages.request_next(room)
            } else {
                // Scrolling down reads ahead; anything else (a jump, `G`, a page that came)
                // only fills the screen, so the end of what is loaded stays where it is.
                let ahead = match want {
                    Want::Screen(Motion::Down) => distance,
                    _ => 0,
                };
                let need = cursor.offset + cursor.height + ahead;
                if view.len() < need && pages.pending() == 0 {
                    pages.request_next(1)
                } else {
                    Vec::new()
                }
            };
            nothing_kept(requests)
        }
        (Want::Screen(motion), None) => {
            let rows = wanted_rows(cursor, pages.row_count(), motion, distance);
            Decision {
                requests: pages.request_rows(rows.clone()),
                keep: Some(rows),
            }
        }
    }
}
