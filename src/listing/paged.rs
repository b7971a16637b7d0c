//! The paged dataset: a sparse set of pages of one listing, which pages are in flight, and the
//! query generation that every answer must match. Pure: it decides what to fetch and files what
//! arrives; the caller does the I/O.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::Arc;

use crate::api::dialect::{Access, Continuation, Page, PageRequest};
use crate::api::record::{FileRecord, fingerprint};
use crate::api::scan::{Contradiction, SeenCursors};

/// Cursors kept beyond those the listing needs where it is ([`PagedList::step_toward`]): at
/// most 16 MiB of them at the longest cursor followed
/// ([`MAX_CONTINUATION_BYTES`](crate::api::dialect::MAX_CONTINUATION_BYTES)).
pub const MAX_SPARE_CURSORS: usize = 1024;

/// What is known about one page.
#[derive(Debug)]
pub enum PageSlot {
    /// Requested, answer not in yet.
    Pending,
    /// Shared, so a local sort can read a snapshot of the loaded pages on another thread.
    Loaded(Arc<Vec<FileRecord>>),
    /// The request failed; the reason is shown in place of the rows until a retry.
    Failed(String),
}

/// One row as the table sees it.
#[derive(Debug, Clone, Copy)]
pub enum Row<'a> {
    Loaded(&'a FileRecord),
    /// Its page is on the way (or about to be requested): draw a placeholder.
    Pending,
    Failed(&'a str),
}

/// What became of an answer handed to [`PagedList::apply`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// It was filed; the listing changed.
    Filed,
    /// It answered an older query or a page nobody waits for any more; it was dropped.
    Stale,
}

/// One listing of one query: a sort or filter change starts a new generation, and answers to
/// an older one are dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Generation(pub u64);

#[derive(Debug)]
pub struct PagedList {
    generation: Generation,
    page_size: usize,
    /// Rows in the whole listing, once a page has said so.
    total: Option<usize>,
    /// When the API gives no total: the row count once the last page has been seen.
    end: Option<usize>,
    pages: HashMap<usize, PageSlot>,
    /// Number of `Pending` slots, kept so the spinner check is O(1).
    pending: usize,
    /// Number of records in `Loaded` slots.
    loaded_rows: usize,
    /// A contradiction in the server's answers, not yet shown.
    warning: Option<String>,
    /// For each loaded page, the fingerprint of the whole answer that filled it: an answer
    /// equal to the one before it is a server repeating itself.
    answers: HashMap<usize, u64>,
    /// By number, or each page from the one before.
    access: Access,
    /// For APIs read in order: what fetches page N, from page N-1's answer. Those the pages
    /// in flight, failed or next to loaded ones need are always kept; of the others at most
    /// [`MAX_SPARE_CURSORS`], thinned to every `stride`-th page as a walk goes on, so a server
    /// that pages for ever cannot fill memory. A forgotten page whose cursor was let go is
    /// reached again from the nearest kept one ([`PagedList::step_toward`]).
    cursors: BTreeMap<usize, Continuation>,
    /// Which page each cursor seen leads to: a cursor that comes back for another page ends
    /// the listing, however long ago it was let go.
    seen: SeenCursors,
    /// The spacing of the cursors kept beyond those needed (a power of two).
    stride: usize,
    /// Rows the listing may hold as far as an estimate or a last-page link says: shown as
    /// more rows to come, never a bound.
    estimate: Option<usize>,
}

impl PagedList {
    pub fn new(page_size: usize) -> Self {
        Self::with_access(page_size, Access::Numbered)
    }

    /// A listing whose pages are reached as `access` says.
    pub fn with_access(page_size: usize, access: Access) -> Self {
        assert!(page_size > 0, "page size must be positive");
        PagedList {
            generation: Generation(0),
            page_size,
            total: None,
            end: None,
            pages: HashMap::new(),
            pending: 0,
            loaded_rows: 0,
            warning: None,
            answers: HashMap::new(),
            access,
            cursors: BTreeMap::new(),
            seen: SeenCursors::default(),
            stride: 1,
            estimate: None,
        }
    }

    pub fn access(&self) -> Access {
        self.access
    }

    /// What the request for `page` must carry (its cursor or next link), for APIs read in
    /// order; `None` for page 1 and for numbered APIs.
    pub fn continuation(&self, page: usize) -> Option<&Continuation> {
        self.cursors.get(&page)
    }

    /// Whether `page` can be asked for now: any page of a numbered API; for one read in order,
    /// page 1 and every page whose cursor an answer gave.
    pub fn is_reachable(&self, page: usize) -> bool {
        self.access == Access::Numbered || page == 1 || self.cursors.contains_key(&page)
    }

    /// The furthest page answered (loaded or failed), if any.
    pub fn furthest_answered(&self) -> Option<usize> {
        self.pages
            .iter()
            .filter(|(_, slot)| !matches!(slot, PageSlot::Pending))
            .map(|(&page, _)| page)
            .max()
    }

    /// A new generation whose listing is known whole already (the last rows of a listing,
    /// found by key with their page in hand): filed as its pages at once, the count known.
    /// At most a page of the API's (1,000 rows), so it stays within any memory budget and
    /// none of it is ever forgotten and asked for again.
    pub fn fill_whole(&mut self, records: Vec<FileRecord>) -> Generation {
        let generation = self.reset();
        let n = records.len();
        self.total = Some(n);
        self.end = Some(n);
        self.loaded_rows = n;
        let mut records = records.into_iter();
        for page in 1..=n.div_ceil(self.page_size).max(1) {
            let chunk: Vec<FileRecord> = records.by_ref().take(self.page_size).collect();
            self.pages.insert(page, PageSlot::Loaded(Arc::new(chunk)));
        }
        generation
    }

    /// Forgets everything and starts a new generation: answers to earlier requests will be
    /// dropped. Returns the new generation.
    pub fn reset(&mut self) -> Generation {
        self.generation.0 += 1;
        self.total = None;
        self.end = None;
        self.pages.clear();
        self.pending = 0;
        self.loaded_rows = 0;
        self.warning = None;
        self.answers.clear();
        self.cursors.clear();
        self.seen.clear();
        self.stride = 1;
        self.estimate = None;
        self.generation
    }

    pub fn generation(&self) -> Generation {
        self.generation
    }

    pub fn page_size(&self) -> usize {
        self.page_size
    }

    /// The number of rows in the listing, if known.
    pub fn total(&self) -> Option<usize> {
        self.total.or(self.end)
    }

    /// Rows the table can show: the total when known; otherwise every row up to the end of
    /// the furthest loaded page, plus one page of placeholders while more may follow.
    pub fn row_count(&self) -> usize {
        if let Some(total) = self.total() {
            return total;
        }
        let loaded = match self.furthest_answered() {
            None => 0,
            Some(last) => last * self.page_size + self.page_size,
        };
        loaded.max(self.estimate.unwrap_or(0))
    }

    /// Why the listing has nothing to show: no page is loaded and one failed (the lowest
    /// one's reason). `None` once any page is in.
    pub fn only_failure(&self) -> Option<&str> {
        if self.loaded_rows > 0 {
            return None;
        }
        let mut first: Option<(usize, &str)> = None;
        for (page, slot) in &self.pages {
            match slot {
                PageSlot::Loaded(_) => return None,
                PageSlot::Failed(reason) if first.is_none_or(|(p, _)| *page < p) => {
                    first = Some((*page, reason.as_str()));
                }
                _ => {}
            }
        }
        first.map(|(_, reason)| reason)
    }

    /// Whether the row count is final.
    pub fn is_count_known(&self) -> bool {
        self.total().is_some()
    }

    pub fn pending(&self) -> usize {
        self.pending
    }

    pub fn loaded_rows(&self) -> usize {
        self.loaded_rows
    }

    /// The 1-based page holding a 0-based row.
    pub fn page_of(&self, row: usize) -> usize {
        row / self.page_size + 1
    }

    pub fn slot(&self, page: usize) -> Option<&PageSlot> {
        self.pages.get(&page)
    }

    pub fn row(&self, row: usize) -> Row<'_> {
        let page = self.page_of(row);
        match self.pages.get(&page) {
            Some(PageSlot::Loaded(records)) => match records.get(row % self.page_size) {
                Some(record) => Row::Loaded(record),
                // A page shorter than promised: the server had fewer rows than it said.
                None => Row::Failed("the server sent fewer rows than its total"),
            },
            Some(PageSlot::Failed(reason)) => Row::Failed(reason),
            Some(PageSlot::Pending) | None => Row::Pending,
        }
    }

    /// The loaded record at a row, if any.
    pub fn record(&self, row: usize) -> Option<&FileRecord> {
        match self.row(row) {
            Row::Loaded(record) => Some(record),
            _ => None,
        }
    }

    /// Requests every page that holds a row in `rows` and is neither loaded, pending nor
    /// failed; marks them pending and returns them in order. Rows past a known end are ignored,
    /// so no request is ever made twice or for rows that do not exist.
    pub fn request_rows(&mut self, rows: Range<usize>) -> Vec<PageRequest> {
        let mut end = rows.end;
        if let Some(total) = self.total() {
            end = end.min(total);
        }
        if rows.start >= end {
            // Before anything is known the listing has no rows yet, but its first page is wanted.
            if self.total().is_none() && self.pages.is_empty() && rows.start == 0 {
                end = 1;
            } else {
                return Vec::new();
            }
        }
        let first = self.page_of(rows.start);
        let last = self.page_of(end - 1);
        let mut wanted = Vec::new();
        for number in first..=last {
            if self.pages.contains_key(&number) {
                continue;
            }
            // Read in order: nothing past a page whose cursor is not known yet. A forgotten
            // page whose cursor was let go is reached again from the nearest one kept.
            if !self.is_reachable(number) {
                if wanted.is_empty() && self.furthest_answered().is_some_and(|f| number < f) {
                    wanted.extend(self.step_toward(number));
                }
                break;
            }
            self.pages.insert(number, PageSlot::Pending);
            self.pending += 1;
            wanted.push(PageRequest {
                number,
                size: self.page_size,
            });
        }
        wanted
    }

    /// Files an answer. Answers for another generation, or for a page that is not pending
    /// (already answered, or forgotten), are dropped and change nothing.
    ///
    /// A server that contradicts itself cannot make the listing grow for ever: an empty page
    /// after the first ends the listing there (whatever total was claimed), and a page that
    /// repeats the one before it is marked failed and ends the listing too. What happened is
    /// kept for the status line ([`PagedList::take_warning`]).
    pub fn apply(
        &mut self,
        generation: Generation,
        page: usize,
        result: Result<Page, String>,
    ) -> Applied {
        if generation != self.generation
            || !matches!(self.pages.get(&page), Some(PageSlot::Pending))
        {
            return Applied::Stale;
        }
        self.pending -= 1;
        let slot = match result {
            Ok(answer) => self.file(page, answer),
            Err(reason) => PageSlot::Failed(reason),
        };
        self.pages.insert(page, slot);
        // Once the page is filed, so it counts as loaded when its neighbours' are judged.
        self.trim_cursors();
        Applied::Filed
    }

    fn file(&mut self, page: usize, answer: Page) -> PageSlot {
        let len = answer.records.len();
        let before = (page - 1) * self.page_size;
        if let Some(warning) = &answer.warning {
            self.warning = Some(warning.clone());
        }
        if len == 0 && page > 1 {
            let claimed = answer.total.or(self.total);
            if let Some(c) = Contradiction::judge_empty(page, claimed, before, answer.has_next) {
                self.warning = Some(c.listed(before));
            }
            self.total = None;
            self.end = Some(before);
            return PageSlot::Loaded(Arc::new(Vec::new()));
        }
        let fingerprint = fingerprint(&answer.records);
        let previous = page
            .checked_sub(1)
            .and_then(|p| self.answers.get(&p))
            .copied();
        if let Some(c) = Contradiction::judge_repeat(page, previous, fingerprint, len) {
            self.warning = Some(c.listed(before));
            self.total = None;
            self.end = Some(before);
            return PageSlot::Failed(c.to_string());
        }
        match answer.total {
            Some(total) if !answer.total_is_estimate => {
                if let Some(c) = Contradiction::judge_total(page, self.total, Some(total)) {
                    // Files came or went: the listing goes on, with the latest word.
                    self.warning = Some(format!("{c} (files came or went); R reloads"));
                }
                self.total = Some(total);
            }
            estimate => {
                let ends = match self.access {
                    Access::Numbered => answer.has_next == Some(false) || len < self.page_size,
                    Access::Sequential => answer.next.is_none() || answer.has_next == Some(false),
                };
                if ends {
                    self.end = Some(before + len);
                } else if let Some(estimate) = estimate {
                    self.estimate = Some(estimate);
                }
            }
        }
        if let Some(last) = answer.last_page
            && self.end.is_none()
        {
            self.estimate = Some(self.estimate.unwrap_or(0).max(last * self.page_size));
        }
        self.loaded_rows += len;
        let mut records = answer.records;
        let mut filled = 1;
        if records.len() > self.page_size {
            (records, filled) = self.file_overflow(page, records);
        }
        if let Some(next) = answer.next.filter(|_| self.end.is_none() && len > 0) {
            match self.seen.see(page + filled - 1, &next) {
                Some(c) => {
                    self.warning = Some(c.listed(before + len));
                    self.total = None;
                    self.end = Some(before + len);
                }
                None => {
                    self.cursors.insert(page + filled, next);
                }
            }
        }
        for number in page..page + filled {
            self.answers.insert(number, fingerprint);
        }
        PageSlot::Loaded(Arc::new(records))
    }

    /// Whether page `p`'s cursor is needed to carry on where the listing is: the page is in
    /// flight or failed (a retry asks again), or it is not loaded and next to one that is
    /// (scrolling on either side, and the frontier of the listing).
    fn needs_cursor(&self, p: usize) -> bool {
        match self.pages.get(&p) {
            Some(PageSlot::Pending | PageSlot::Failed(_)) => true,
            Some(PageSlot::Loaded(_)) => false,
            None => [p - 1, p + 1]
                .iter()
                .any(|n| matches!(self.pages.get(n), Some(PageSlot::Loaded(_)))),
        }
    }

    /// Keeps the cursors needed, and of the rest every `stride`-th page's, the stride doubling
    /// until at most [`MAX_SPARE_CURSORS`] remain.
    fn trim_cursors(&mut self) {
        if self.cursors.len() <= MAX_SPARE_CURSORS {
            return;
        }
        let spare: Vec<usize> = self
            .cursors
            .keys()
            .copied()
            .filter(|p| !self.needs_cursor(*p))
            .collect();
        let kept = |stride: usize| spare.iter().filter(|p| (*p - 1) % stride == 0).count();
        while kept(self.stride) > MAX_SPARE_CURSORS {
            self.stride *= 2;
        }
        for p in spare {
            if (p - 1) % self.stride != 0 {
                self.cursors.remove(&p);
            }
        }
    }

    /// How many cursors are kept.
    pub fn cursors_kept(&self) -> usize {
        self.cursors.len()
    }

    /// For a listing read in order, the request that brings page `target` nearer when it
    /// cannot be asked for yet: the highest page at or below it that can be asked for and is
    /// not loaded (the page after the last one loaded on the way, or one whose cursor was
    /// kept). `None` while a page on the way is in flight, or when nothing can be asked.
    pub fn step_toward(&mut self, target: usize) -> Option<PageRequest> {
        let target = target.min(self.page_count().unwrap_or(usize::MAX));
        let reach = self
            .cursors
            .range(..=target)
            .next_back()
            .map_or(1, |(p, _)| *p);
        let highest = self
            .pages
            .keys()
            .copied()
            .filter(|p| (reach..=target).contains(p))
            .max();
        let number = match highest.map(|p| (p, self.pages.get(&p))) {
            None => reach,
            Some((p, Some(PageSlot::Loaded(_) | PageSlot::Failed(_))))
                if p < target && self.is_reachable(p + 1) =>
            {
                p + 1
            }
            Some(_) => return None,
        };
        if self.pages.contains_key(&number) || !self.is_reachable(number) {
            return None;
        }
        self.pages.insert(number, PageSlot::Pending);
        self.pending += 1;
        Some(PageRequest {
            number,
            size: self.page_size,
        })
    }

    /// A walker's answer is coming for `page`, the page after one just filed (an answer read
    /// in order, asked for by the walker rather than here): waited for like a request, unless
    /// it is loaded or on its way already. Whether it is waited for.
    pub fn expect(&mut self, page: usize) -> bool {
        match self.pages.get(&page) {
            Some(PageSlot::Pending) => true,
            Some(_) => false,
            None if self
                .end
                .is_some_and(|end| end <= (page - 1) * self.page_size) =>
            {
                false
            }
            None => {
                self.pages.insert(page, PageSlot::Pending);
                self.pending += 1;
                true
            }
        }
    }

    /// A page waited for that will not come (its walker was stopped): no longer waited for.
    pub fn unexpect(&mut self, page: usize) {
        if matches!(self.pages.get(&page), Some(PageSlot::Pending)) {
            self.pages.remove(&page);
            self.pending -= 1;
        }
    }

    /// What went wrong with the server's answers since last asked, for the status line.
    pub fn take_warning(&mut self) -> Option<String> {
        self.warning.take()
    }

    /// A server may answer with more rows than a page holds (an older Open WebUI sends its
    /// whole listing at once): the extra rows fill the following pages, which are then never
    /// requested. Returns the first page's rows and how many pages the answer filled. Each
    /// page gets a vector of exactly its rows, so an answer of N rows costs what N rows cost
    /// in ordinary pages.
    fn file_overflow(&mut self, page: usize, records: Vec<FileRecord>) -> (Vec<FileRecord>, usize) {
        let size = self.page_size;
        let mut rows = records.into_iter();
        let first: Vec<FileRecord> = rows.by_ref().take(size).collect();
        let mut number = page + 1;
        loop {
            let chunk: Vec<FileRecord> = rows.by_ref().take(size).collect();
            if chunk.is_empty() {
                break;
            }
            match self.pages.get(&number) {
                Some(PageSlot::Pending) => self.pending -= 1,
                Some(PageSlot::Loaded(old)) => self.loaded_rows -= old.len(),
                _ => {}
            }
            self.pages.insert(number, PageSlot::Loaded(Arc::new(chunk)));
            number += 1;
        }
        (first, number - page)
    }

    /// The number of pages in the listing, once known.
    pub fn page_count(&self) -> Option<usize> {
        self.total().map(|t| t.div_ceil(self.page_size))
    }

    /// Requests up to `n` of the lowest-numbered pages not yet asked for, in order, for
    /// listings read from the top (local sort and filter, load-all). Stops at the known end;
    /// while the end is unknown, never asks beyond the page after the furthest answered one.
    pub fn request_next(&mut self, n: usize) -> Vec<PageRequest> {
        let limit = match self.page_count() {
            Some(count) => count,
            None => {
                let furthest = self
                    .pages
                    .iter()
                    .filter(|(_, slot)| !matches!(slot, PageSlot::Pending))
                    .map(|(&page, _)| page)
                    .max()
                    .unwrap_or(0);
                furthest + 1
            }
        };
        let mut wanted = Vec::new();
        for number in 1..=limit {
            if wanted.len() >= n {
                break;
            }
            if self.pages.contains_key(&number) {
                continue;
            }
            if !self.is_reachable(number) {
                break;
            }
            self.pages.insert(number, PageSlot::Pending);
            self.pending += 1;
            wanted.push(PageRequest {
                number,
                size: self.page_size,
            });
        }
        wanted
    }

    /// Whether every page of the listing has been answered (loaded or failed).
    pub fn is_complete(&self) -> bool {
        self.page_count().is_some_and(|count| {
            (1..=count).all(|p| {
                matches!(
                    self.pages.get(&p),
                    Some(PageSlot::Loaded(_) | PageSlot::Failed(_))
                )
            })
        })
    }

    /// The numbers of the pages holding records, in order.
    pub fn loaded_page_numbers(&self) -> Vec<usize> {
        let mut pages: Vec<usize> = self
            .pages
            .iter()
            .filter(|(_, s)| matches!(s, PageSlot::Loaded(_)))
            .map(|(p, _)| *p)
            .collect();
        pages.sort_unstable();
        pages
    }

    /// Number of pages holding records.
    pub fn loaded_pages(&self) -> usize {
        self.pages
            .values()
            .filter(|s| matches!(s, PageSlot::Loaded(_)))
            .count()
    }

    /// Keeps at most `budget` loaded pages by forgetting those farthest from `keep` (the rows
    /// on screen and ahead); a forgotten page is fetched again if it is ever wanted. Pending
    /// and failed pages stay. Returns how many pages were forgotten.
    pub fn evict(&mut self, keep: Range<usize>, budget: usize) -> usize {
        let loaded = self.loaded_pages();
        if loaded <= budget {
            return 0;
        }
        let first = self.page_of(keep.start);
        let last = self.page_of(keep.end.saturating_sub(1).max(keep.start));
        let distance = |p: usize| {
            if p < first {
                first - p
            } else {
                p.saturating_sub(last)
            }
        };
        let mut candidates: Vec<(usize, usize)> = self
            .pages
            .iter()
            .filter(|(p, s)| matches!(s, PageSlot::Loaded(_)) && distance(**p) > 0)
            .map(|(p, _)| (distance(*p), *p))
            .collect();
        // Farthest first.
        candidates.sort_unstable_by(|a, b| b.cmp(a));
        let mut evicted = 0;
        for (_, page) in candidates.into_iter().take(loaded - budget) {
            if let Some(PageSlot::Loaded(records)) = self.pages.remove(&page) {
                self.answers.remove(&page);
                self.loaded_rows -= records.len();
                evicted += 1;
            }
        }
        evicted
    }

    /// Every loaded page, shared: a snapshot another thread can read while the listing goes on.
    pub fn snapshot(&self) -> Vec<(usize, Arc<Vec<FileRecord>>)> {
        let mut pages: Vec<(usize, Arc<Vec<FileRecord>>)> = self
            .pages
            .iter()
            .filter_map(|(p, s)| match s {
                PageSlot::Loaded(records) => Some((*p, Arc::clone(records))),
                _ => None,
            })
            .collect();
        pages.sort_unstable_by_key(|(p, _)| *p);
        pages
    }

    /// The loaded records of one page.
    pub fn page_records(&self, page: usize) -> &[FileRecord] {
        match self.pages.get(&page) {
            Some(PageSlot::Loaded(records)) => records,
            _ => &[],
        }
    }

    /// Forgets a failed page so that the next [`request_rows`](Self::request_rows) asks again.
    pub fn forget_failed(&mut self) -> usize {
        let before = self.pages.len();
        self.pages
            .retain(|_, slot| !matches!(slot, PageSlot::Failed(_)));
        before - self.pages.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::value::RawValue;

    fn record(i: usize) -> FileRecord {
        FileRecord {
            id: format!("id-{i}"),
            name: format!("file-{i}"),
            size: Some(i as u64),
            content_type: None,
            created_at: None,
            updated_at: None,
            url: None,
            problems: Vec::new(),
            raw: RawValue::from_string("{}".to_string()).unwrap(),
        }
    }

    fn page(first: usize, len: usize, total: Option<usize>) -> Page {
        Page {
            records: (first..first + len).map(record).collect(),
            total,
            has_next: None,
            ..Page::default()
        }
    }

    fn numbers(requests: &[PageRequest]) -> Vec<usize> {
        requests.iter().map(|r| r.number).collect()
    }

    #[test]
    fn first_request_asks_for_page_one_only() {
        let mut list = PagedList::new(100);
        assert_eq!(numbers(&list.request_rows(0..20)), [1]);
        assert_eq!(list.pending(), 1);
        assert!(
            list.request_rows(0..20).is_empty(),
            "no page is requested twice"
        );
        assert!(matches!(list.row(5), Row::Pending));
    }

    #[test]
    fn loaded_rows_and_total() {
        let mut list = PagedList::new(100);
        list.request_rows(0..20);
        let g = list.generation();
        assert_eq!(
            list.apply(g, 1, Ok(page(0, 100, Some(1000)))),
            Applied::Filed
        );
        assert_eq!(list.row_count(), 1000);
        assert_eq!(list.pending(), 0);
        assert_eq!(list.record(42).unwrap().name, "file-42");
        assert!(matches!(list.row(100), Row::Pending));
        assert_eq!(list.loaded_rows(), 100);
    }

    #[test]
    fn a_total_that_changes_is_taken_and_said() {
        let mut list = PagedList::new(100);
        list.request_rows(0..250);
        let g = list.generation();
        list.apply(g, 1, Ok(page(0, 100, Some(1000))));
        assert_eq!(list.take_warning(), None);
        list.apply(g, 2, Ok(page(100, 100, Some(1001))));
        assert_eq!(list.row_count(), 1001);
        assert_eq!(
            list.take_warning().as_deref(),
            Some(
                "the server's total changed from 1,000 to 1,001 at page 2 (files came or went); R reloads"
            )
        );
        list.apply(g, 3, Ok(page(200, 100, Some(1001))));
        assert_eq!(list.take_warning(), None, "said once, when it changes");
    }

    #[test]
    fn jump_requests_only_the_pages_it_lands_on() {
        let mut list = PagedList::new(100);
        list.request_rows(0..20);
        list.apply(list.generation(), 1, Ok(page(0, 100, Some(100_000))));
        // The last screen of a 100,000-row listing: rows 99,980..100,000 are all on page 1000.
        assert_eq!(numbers(&list.request_rows(99_980..100_000)), [1000]);
        // A screen straddling two pages needs both, and nothing between.
        assert_eq!(numbers(&list.request_rows(49_990..50_010)), [500, 501]);
        // Rows past the end are never requested.
        assert!(list.request_rows(100_000..100_050).is_empty());
    }

    #[test]
    fn stale_generation_is_dropped() {
        let mut list = PagedList::new(10);
        list.request_rows(0..5);
        let old = list.generation();
        let new = list.reset();
        assert_ne!(old, new);
        list.request_rows(0..5);
        assert_eq!(
            list.apply(old, 1, Ok(page(0, 10, Some(10)))),
            Applied::Stale
        );
        assert!(
            matches!(list.row(0), Row::Pending),
            "a stale answer never paints rows"
        );
        assert_eq!(list.pending(), 1);
        assert_eq!(
            list.apply(new, 1, Ok(page(0, 10, Some(10)))),
            Applied::Filed
        );
        assert_eq!(list.pending(), 0);
    }

    #[test]
    fn duplicate_and_unrequested_answers_are_dropped() {
        let mut list = PagedList::new(10);
        list.request_rows(0..5);
        let g = list.generation();
        assert_eq!(list.apply(g, 1, Ok(page(0, 10, Some(50)))), Applied::Filed);
        assert_eq!(list.apply(g, 1, Ok(page(0, 10, Some(50)))), Applied::Stale);
        assert_eq!(list.apply(g, 3, Ok(page(20, 10, Some(50)))), Applied::Stale);
        assert_eq!(list.loaded_rows(), 10);
    }

    #[test]
    fn failures_show_in_place_and_can_be_retried() {
        let mut list = PagedList::new(10);
        list.request_rows(0..5);
        let g = list.generation();
        list.apply(g, 1, Err("HTTP 500".into()));
        assert!(matches!(list.row(3), Row::Failed("HTTP 500")));
        assert!(
            list.request_rows(0..5).is_empty(),
            "failed pages wait for an explicit retry"
        );
        assert_eq!(list.forget_failed(), 1);
        assert_eq!(numbers(&list.request_rows(0..5)), [1]);
    }

    #[test]
    fn listings_without_a_total_end_at_a_short_page() {
        let mut list = PagedList::new(10);
        list.request_rows(0..5);
        let g = list.generation();
        list.apply(g, 1, Ok(page(0, 10, None)));
        assert!(!list.is_count_known());
        assert_eq!(
            list.row_count(),
            20,
            "one page of placeholders while more may follow"
        );
        assert_eq!(numbers(&list.request_rows(10..15)), [2]);
        list.apply(g, 2, Ok(page(10, 4, None)));
        assert_eq!(list.total(), Some(14));
        assert_eq!(list.row_count(), 14);
        assert!(list.request_rows(14..30).is_empty());
    }

    #[test]
    fn a_page_with_everything_fills_the_following_pages() {
        let mut list = PagedList::new(10);
        let g = list.reset();
        assert_eq!(numbers(&list.request_rows(0..25)), vec![1, 2, 3]);
        let all = Page {
            records: (0..25).map(record).collect(),
            total: Some(25),
            has_next: Some(false),
            ..Page::default()
        };
        assert_eq!(list.apply(g, 1, Ok(all)), Applied::Filed);
        assert_eq!(
            list.pending(),
            0,
            "the pages it filled are no longer waited for"
        );
        assert_eq!(list.loaded_rows(), 25);
        assert_eq!(list.record(24).unwrap().name, "file-24");
        assert_eq!(list.record(10).unwrap().name, "file-10");
        assert!(list.is_complete());
        assert_eq!(list.apply(g, 2, Ok(page(10, 10, Some(25)))), Applied::Stale);
    }

    #[test]
    fn reading_from_the_top_asks_for_pages_in_order_up_to_the_end() {
        let mut list = PagedList::new(10);
        let g = list.reset();
        assert_eq!(
            numbers(&list.request_next(4)),
            vec![1],
            "the end is not known yet"
        );
        list.apply(g, 1, Ok(page(0, 10, Some(35))));
        assert!(!list.is_complete());
        assert_eq!(numbers(&list.request_next(2)), vec![2, 3]);
        assert_eq!(numbers(&list.request_next(9)), vec![4]);
        assert_eq!(numbers(&list.request_next(9)), Vec::<usize>::new());
        for p in 2..=4 {
            list.apply(
                g,
                p,
                Ok(page((p - 1) * 10, if p == 4 { 5 } else { 10 }, Some(35))),
            );
        }
        assert!(list.is_complete());
        assert_eq!(list.page_records(4).len(), 5);
    }

    #[test]
    fn far_pages_are_evicted_and_fetched_again_when_wanted() {
        let mut list = PagedList::new(10);
        let g = list.reset();
        list.request_rows(0..100);
        for p in 1..=10 {
            list.apply(g, p, Ok(page((p - 1) * 10, 10, Some(1_000))));
        }
        assert_eq!(list.evict(40..60, 10), 0, "within budget");
        assert_eq!(list.evict(40..60, 4), 6);
        assert_eq!(list.loaded_pages(), 4);
        assert_eq!(list.loaded_rows(), 40);
        // The screen's pages and their nearest neighbours stay.
        for p in [4, 5, 6] {
            assert!(
                matches!(list.slot(p), Some(PageSlot::Loaded(_))),
                "page {p}"
            );
        }
        assert!(list.slot(10).is_none() && list.slot(1).is_none());
        assert_eq!(
            numbers(&list.request_rows(0..10)),
            vec![1],
            "asked for again"
        );
    }

    #[test]
    fn empty_listing() {
        let mut list = PagedList::new(10);
        list.request_rows(0..5);
        list.apply(list.generation(), 1, Ok(page(0, 0, Some(0))));
        assert_eq!(list.row_count(), 0);
        assert!(list.request_rows(0..5).is_empty());
    }

    #[test]
    fn short_page_is_visible_not_a_panic() {
        let mut list = PagedList::new(10);
        list.request_rows(0..5);
        list.apply(list.generation(), 1, Ok(page(0, 3, Some(10))));
        assert!(matches!(list.row(5), Row::Failed(_)));
    }

    #[test]
    fn a_total_that_changes_between_pages_is_taken_as_the_latest_word() {
        let mut list = PagedList::new(10);
        let g = list.reset();
        list.request_rows(0..30);
        list.apply(g, 1, Ok(page(0, 10, Some(1_000))));
        assert_eq!(list.row_count(), 1_000);
        // Files were deleted meanwhile: the next page says 25.
        list.apply(g, 3, Ok(page(20, 5, Some(25))));
        assert_eq!(list.row_count(), 25);
        assert!(matches!(list.row(24), Row::Loaded(_)));
        // Nothing is asked for beyond the new end.
        assert!(list.request_rows(25..100).is_empty());
        assert_eq!(list.page_count(), Some(3));
    }

    #[test]
    fn duplicate_ids_across_pages_are_shown_as_the_server_sent_them() {
        // A file inserted at the top between two page requests shifts the listing: the
        // last row of page 1 comes again as the first of page 2. Both are shown, in place;
        // nothing is hidden or reordered behind the user's back.
        let mut list = PagedList::new(3);
        let g = list.reset();
        list.request_rows(0..6);
        list.apply(g, 1, Ok(page(0, 3, Some(7))));
        list.apply(g, 2, Ok(page(2, 3, Some(7))));
        let ids: Vec<String> = (0..6).map(|i| list.record(i).unwrap().id.clone()).collect();
        assert_eq!(ids, ["id-0", "id-1", "id-2", "id-2", "id-3", "id-4"]);
    }

    /// A page of a listing read in order whose answer says `next` comes after it.
    fn cursor_page(first: usize, len: usize, next: &str) -> Page {
        Page {
            next: Some(Continuation::Cursor(next.to_string())),
            ..page(first, len, None)
        }
    }

    #[test]
    fn a_listing_that_pages_for_ever_keeps_a_bounded_number_of_cursors_and_comes_back_from_them() {
        let mut list = PagedList::with_access(10, Access::Sequential);
        let g = list.generation();
        // Page p's answer says `token-p` leads to page p + 1: every token unique, as a server
        // that pages for ever sends them. The explorer keeps 8 pages loaded.
        let pages = 5 * MAX_SPARE_CURSORS;
        let mut most = 0;
        for p in 1..=pages {
            let rows = (p - 1) * 10..p * 10;
            assert_eq!(numbers(&list.request_rows(rows.clone())), [p]);
            list.apply(
                g,
                p,
                Ok(cursor_page((p - 1) * 10, 10, &format!("token-{p}"))),
            );
            list.evict(rows, 8);
            most = most.max(list.cursors_kept());
        }
        // Before: one cursor per page, 5,120 of them.
        assert!(most <= MAX_SPARE_CURSORS + 8, "{most} cursors kept");

        // Back to a page long forgotten, whose cursor was let go: it is reached again from the
        // nearest cursor kept, in a few steps, and from its own cursor at last.
        let target = 1234;
        assert!(!list.is_reachable(target));
        let mut steps = 0;
        loop {
            let wanted = list.request_rows((target - 1) * 10..target * 10);
            assert_eq!(wanted.len(), 1, "one step at a time");
            let p = wanted[0].number;
            steps += 1;
            if p == target {
                assert_eq!(
                    list.continuation(p),
                    Some(&Continuation::Cursor(format!("token-{}", p - 1)))
                );
                break;
            }
            assert!(p < target && steps < 100);
            list.apply(
                g,
                p,
                Ok(cursor_page((p - 1) * 10, 10, &format!("token-{p}"))),
            );
        }
        // The cursors kept are at most 8 pages apart (5,120 pages, 1,024 spare cursors).
        assert!(steps <= 8, "{steps} steps");

        // A cursor let go long ago still ends the listing when it comes back.
        list.apply(g, target, Ok(cursor_page((target - 1) * 10, 10, "token-5")));
        let warning = list.take_warning().unwrap();
        assert!(
            warning.contains("after page 1234 repeats the one for page 6"),
            "{warning}"
        );
    }
}
