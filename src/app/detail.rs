//! The detail pane's state: full records fetched from the dialect's single-file endpoint (for
//! the current listing generation), the one scheduled next, and how far the pane is scrolled.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::msg::{Effect, ListingEffect};
use crate::api::{ApiError, FileRecord};
use crate::listing::Generation;

/// How long the selection must rest on a file before its full record is fetched, so that
/// scrolling past files costs no requests.
pub const DETAIL_DELAY: Duration = Duration::from_millis(200);

/// A full record from the single-file endpoint, for the detail pane.
#[derive(Debug)]
pub enum Detail {
    Pending,
    Loaded(Box<FileRecord>),
    Failed(String),
}

#[derive(Debug)]
pub struct DetailPane {
    /// Full records by id, for the current generation.
    records: HashMap<String, Detail>,
    /// The id a fetch is scheduled for, and when.
    due: Option<(String, Instant)>,
    /// Whether the API has a single-file endpoint worth calling.
    has_endpoint: bool,
    scroll: u16,
}

impl DetailPane {
    pub fn new(has_endpoint: bool) -> Self {
        DetailPane {
            records: HashMap::new(),
            due: None,
            has_endpoint,
            scroll: 0,
        }
    }

    /// The full record of a file, as far as it has come.
    pub fn get(&self, id: &str) -> Option<&Detail> {
        self.records.get(id)
    }

    pub fn scroll(&self) -> u16 {
        self.scroll
    }

    /// When the next fetch is due, if one is scheduled.
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.due.as_ref().map(|d| d.1)
    }

    pub(super) fn set_scroll(&mut self, scroll: u16) {
        self.scroll = scroll;
    }

    /// The listing was read again: what was fetched may be stale.
    pub(super) fn clear(&mut self) {
        self.records.clear();
    }

    /// Schedules, and when due makes, the request for `selected`'s full record, where the API
    /// has a single-file endpoint and the detail is on screen (`visible`); at once when `now_`
    /// (the full-screen detail), else after the selection rests.
    pub(super) fn effects(
        &mut self,
        selected: Option<&str>,
        visible: bool,
        at_once: bool,
        generation: Generation,
        now: Instant,
    ) -> Vec<Effect> {
        let wanted = selected.filter(|id| {
            self.has_endpoint && visible && !id.is_empty() && !self.records.contains_key(*id)
        });
        let Some(id) = wanted else {
            self.due = None;
            return Vec::new();
        };
        let due = match &self.due {
            Some((for_id, at)) if for_id == id => *at,
            _ => {
                let wait = if at_once {
                    Duration::ZERO
                } else {
                    DETAIL_DELAY
                };
                self.due = Some((id.to_string(), now + wait));
                now + wait
            }
        };
        if due > now {
            return Vec::new();
        }
        self.due = None;
        self.records.insert(id.to_string(), Detail::Pending);
        vec![
            ListingEffect::FetchDetail {
                generation,
                id: id.to_string(),
            }
            .into(),
        ]
    }

    /// A full record arrived for the current generation.
    pub(super) fn on_record(&mut self, id: String, result: Result<FileRecord, ApiError>) {
        let detail = match result {
            Ok(record) => Detail::Loaded(Box::new(record)),
            Err(e) => Detail::Failed(e.to_string()),
        };
        self.records.insert(id, detail);
    }
}
