//! The insight view's state: a summary of the listing, from the rows loaded or from a
//! background scan of the whole listing, and the largest/newest lists a user moves through.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use super::msg::ScanId;
use crate::api::Plan;
use crate::api::scan::Progress;
use crate::insight::{Notable, Stats};

/// Where the numbers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The rows loaded so far, out of `total` when known.
    Loaded { rows: usize, total: Option<usize> },
    /// A scan of the whole listing, under way.
    Scanning {
        progress: Progress,
        started: Instant,
    },
    /// A finished scan.
    Scanned,
}

/// Which list of notable files has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Largest,
    Newest,
}

#[derive(Debug)]
pub struct Insight {
    pub stats: Stats,
    pub source: Source,
    pub pane: Pane,
    pub selected: usize,
    pub error: Option<String>,
    pub(super) scan: Option<(ScanId, Arc<AtomicBool>)>,
    /// The scan went into the folders below (S3's prefixes): its files are not rows of this
    /// listing, and their rows are the scan's own.
    pub below: bool,
    /// Lines the summary (kinds, sizes, uploads) is scrolled by, where the screen is too
    /// short for all of it (`PgDn`/`PgUp`); the view keeps it within what there is.
    pub scroll: u16,
}

impl Insight {
    pub fn new(stats: Stats, source: Source) -> Self {
        Insight {
            stats,
            source,
            pane: Pane::Largest,
            selected: 0,
            error: None,
            scan: None,
            below: false,
            scroll: 0,
        }
    }

    /// The list the keyboard moves in.
    pub fn notable(&self) -> &[Notable] {
        match self.pane {
            Pane::Largest => &self.stats.largest,
            Pane::Newest => &self.stats.newest,
        }
    }

    /// A scan moved on (or ended); false when it is not this view's scan.
    pub(super) fn on_scan(
        &mut self,
        id: ScanId,
        stats: Stats,
        progress: Progress,
        done: bool,
        error: Option<String>,
    ) -> bool {
        if self.scan.as_ref().is_none_or(|(scan, _)| *scan != id) {
            return false;
        }
        if let Some(error) = error {
            self.scan = None;
            self.error = Some(error);
            return true;
        }
        self.stats = stats;
        self.selected = self.selected.min(self.notable().len().saturating_sub(1));
        if done {
            self.scan = None;
            self.source = Source::Scanned;
        } else if let Source::Scanning { started, .. } = self.source {
            self.source = Source::Scanning { progress, started };
        }
        true
    }

    /// Stops a scan under way; its later answers are dropped.
    /// Whether a scan of the whole listing is under way.
    pub fn is_scanning(&self) -> bool {
        self.scan.is_some()
    }

    pub(super) fn stop_scan(&mut self) {
        if let Some((_, cancel)) = self.scan.take() {
            cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// A scan of the whole listing, to run in the background.
#[derive(Clone)]
pub struct ScanJob {
    pub id: ScanId,
    pub plan: Plan,
    pub jobs: usize,
    pub cancel: Arc<AtomicBool>,
}

impl PartialEq for ScanJob {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for ScanJob {}

impl std::fmt::Debug for ScanJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ScanJob {{ id: {} }}", self.id.0)
    }
}
