//! The listing the table shows: what the user asked for (sort, filter), what the server is
//! asked (the query), the pages it answered, the local view over them when filescope sorts or
//! filters itself, the cursor, and the prefetch that keeps rows ahead of it. Pure state: it
//! decides what to fetch and files what arrives; the runtime does the I/O.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use super::msg::{Effect, JobId, ListingEffect, ViewJob};
use crate::api::dialect::{Access, Capabilities, Page, PageRequest};
use crate::api::{ApiError, FileRecord, Filter, ListQuery, Local, Plan, Sort};
use crate::listing::{
    Applied, Cursor, Generation, LocalView, Motion, PagedList, Prefetch, Read, Row, Tail, Walk,
    Want,
};
pub use crate::listing::{LOAD_ALL_CONCURRENCY, LoadAll};
use crate::text::thousands;

/// Loaded rows above which a local sort or filter is computed away from the UI task.
pub const LOCAL_ASYNC_ROWS: usize = 20_000;

#[derive(Debug)]
pub struct Listing {
    /// The order the user asked for (server-side or local); `None` is the server's own,
    /// undocumented order.
    sort: Option<Sort>,
    /// The filter in force, as parsed from the filter bar.
    filter: Filter,
    /// What the server is asked for.
    query: ListQuery,
    pages: PagedList,
    /// The loaded rows filtered and sorted locally, when the server cannot do what was asked.
    view: Option<LocalView>,
    /// How the listing is read beyond the screen: to the end, every page, a walk, the last
    /// rows.
    read: Read,
    cursor: Cursor,
    /// How far ahead to load while scrolling, from observed latency and speed.
    prefetch: Prefetch,
    /// When each pending page of the current generation was asked for.
    requested_at: HashMap<usize, Instant>,
    /// At most this many rows stay loaded; pages far from the screen are forgotten.
    max_loaded_rows: usize,
    /// Loaded rows above which a local view is built away from the UI task.
    local_async_rows: usize,
    /// The local view being built away from the UI task, if any.
    view_job: Option<(JobId, Arc<AtomicBool>)>,
    jobs: u64,
    /// What happened that the status line should say, not yet taken.
    notice: Option<Notice>,
    /// `A` was stopped while pages were in flight: as each lands, the stop is said again with
    /// the rows loaded now (the header counts them too).
    restate_stop: bool,
    /// The API can find the last rows of a listing read in order without walking (S3).
    finds_tail: bool,
    /// What the screen showed before a reload, until the new rows are in.
    previous: Option<Previous>,
}

/// The rows of the screen before a reload, shown dimmed until the new ones arrive, and the
/// file that was selected, selected again when it comes back.
#[derive(Debug, Default)]
struct Previous {
    rows: HashMap<usize, FileRecord>,
    selected: Option<String>,
}

/// What the listing has to say; the app words it with the keys in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A page failed; reloading asks again.
    PageFailed { page: usize, error: String },
    /// The server contradicted itself (a repeated page, an empty page where more were
    /// promised); the listing ends where it is.
    Contradiction(String),
    /// `G` in a local view: the end of what is loaded, not of the listing.
    EndOfLoaded,
    /// Loading every page was stopped (Esc) with this many rows loaded.
    /// `A` was stopped; the count said is the rows loaded when the line is drawn (pages in
    /// flight still land after Esc).
    LoadAllStopped,
    /// A local view over many rows is being built off the UI task.
    Sorting { rows: usize },
    /// Walking page by page toward the end or a row (any key stops it).
    Walking { page: usize, to_end: bool },
    /// A walk was stopped by a key, at this page.
    WalkStopped { page: usize },
    /// A walk arrived, having read this many pages.
    Walked { pages: usize },
    /// `:N%` on a listing whose size is not known yet.
    SizeUnknown,
    /// `G` on a listing read in order: looking for its last rows without walking it.
    FindingTail,
    /// The last rows were found with this many requests.
    TailFound { requests: usize },
    /// The search for the last rows failed.
    TailFailed(String),
}

impl Listing {
    pub fn new(
        caps: &Capabilities,
        access: Access,
        page_size: usize,
        max_loaded_rows: usize,
    ) -> Self {
        Listing {
            sort: caps.order_known.then_some(caps.default_sort),
            filter: Filter::default(),
            query: ListQuery::new(caps.default_sort),
            pages: PagedList::with_access(page_size, access),
            view: None,
            read: Read::Screen,
            cursor: Cursor::default(),
            prefetch: Prefetch::new(page_size),
            requested_at: HashMap::new(),
            max_loaded_rows,
            local_async_rows: LOCAL_ASYNC_ROWS,
            view_job: None,
            jobs: 0,
            notice: None,
            restate_stop: false,
            finds_tail: false,
            previous: None,
        }
    }

    /// The API finds the last rows of a listing read in order without walking it.
    pub(super) fn set_finds_tail(&mut self, finds: bool) {
        self.finds_tail = finds;
    }

    /// Showing the last rows only: the listing holds at least this many in all.
    pub fn tail_floor(&self) -> Option<usize> {
        self.read.tail().map(|t| t.floor)
    }

    /// Whether a search for the last rows is under way.
    pub fn is_seeking_tail(&self) -> bool {
        matches!(self.read, Read::SeekingTail { .. })
    }

    /// `g` after `G` found the last rows: back to the top of the whole listing.
    pub(super) fn leave_tail(&mut self, now: Instant) -> Option<Vec<Effect>> {
        self.read.tail()?;
        self.read = Read::Screen;
        self.query.start_after = None;
        Some(self.restart(now))
    }

    /// The search for the last rows answered: list from where they start, and land on the
    /// last one.
    pub(super) fn on_tail(
        &mut self,
        generation: Generation,
        result: Result<crate::api::Tail, ApiError>,
        now: Instant,
    ) -> Vec<Effect> {
        let Read::SeekingTail { was } = self.read else {
            return Vec::new();
        };
        if generation != self.pages.generation() {
            return Vec::new();
        }
        match result {
            Ok(tail) => {
                let before = self.pages.loaded_rows();
                self.notice = Some(Notice::TailFound {
                    requests: tail.requests,
                });
                self.query.start_after = tail.start_after;
                self.read = Read::Tail(Tail {
                    floor: before + tail.rows,
                    requests: tail.requests,
                });
                self.cancel_view_job();
                self.requested_at.clear();
                // The search's last answer holds the rows: no need to ask for them again.
                let generation = self.pages.fill_whole(tail.records);
                let len = self.row_count();
                self.cursor.move_to(len.saturating_sub(1), len);
                let mut effects = vec![ListingEffect::CancelBefore(generation).into()];
                effects.extend(self.fetch_wanted(Motion::Jump, now));
                effects
            }
            Err(e) => {
                self.read = was.map_or(Read::Screen, Read::Tail);
                self.notice = Some(Notice::TailFailed(e.to_string()));
                Vec::new()
            }
        }
    }

    /// Whether a walk toward the end or a row is under way.
    pub fn is_walking(&self) -> bool {
        self.read.walk().is_some()
    }

    /// Stops a walk (any key): the rows walked stay loaded, the walker stops.
    pub(super) fn stop_walk(&mut self) -> Vec<Effect> {
        let walker = self.read.walker();
        if self.read.end_walk().is_none() {
            return Vec::new();
        }
        self.notice = Some(Notice::WalkStopped {
            page: self.pages.furthest_answered().unwrap_or(0),
        });
        self.stop_walker(walker)
    }

    /// The walker is stopped: the page it was to answer next is waited for no more.
    fn stop_walker(&mut self, walker: Option<usize>) -> Vec<Effect> {
        let Some(page) = walker else {
            return Vec::new();
        };
        self.pages.unexpect(page);
        self.requested_at.remove(&page);
        vec![ListingEffect::StopWalk.into()]
    }

    /// The walker's next page arrived: filed as the page it continues to.
    pub(super) fn on_walked(
        &mut self,
        generation: Generation,
        result: Result<Page, ApiError>,
        now: Instant,
    ) -> Option<Vec<Effect>> {
        if generation != self.pages.generation() {
            return None;
        }
        let page = self.read.walker()?;
        let filled = result.as_ref().map_or(1, |p| {
            p.records.len().div_ceil(self.pages.page_size()).max(1)
        });
        self.read.set_walker(Some(page + filled));
        if !self.pages.expect(page) {
            // Loaded already (a walk over rows kept): the walk goes on past it.
            return Some(Vec::new());
        }
        if result.is_err() {
            // A failure ends the walk; its page says why, and a reload asks again.
            self.read.end_walk();
            let mut effects = vec![ListingEffect::StopWalk.into()];
            effects.extend(self.on_page(generation, page, result, now)?);
            return Some(effects);
        }
        let mut effects = self.on_page(generation, page, result, now)?;
        let stop: Effect = ListingEffect::StopWalk.into();
        if self.read.walk().is_none() && !effects.contains(&stop) {
            // Cut short by a contradiction: the walker stops too.
            effects.insert(0, stop);
        }
        Some(effects)
    }

    /// The walker stopped by itself (the end, the page it was sent to, a failure): the walk
    /// takes its next step if it has not arrived.
    pub(super) fn on_walk_done(
        &mut self,
        generation: Generation,
        now: Instant,
    ) -> Option<Vec<Effect>> {
        if generation != self.pages.generation() {
            return None;
        }
        let walker = self.read.walker()?;
        self.pages.unexpect(walker);
        self.read.set_walker(None);
        self.walk_on(now)
    }

    /// Whether `row` can only be reached by walking: a listing read in order whose page for
    /// it no request can ask for yet.
    fn needs_walk(&self, row: usize) -> bool {
        self.view.is_none()
            && self.pages.access() == Access::Sequential
            && !self.pages.is_reachable(self.pages.page_of(row))
    }

    /// The next step of a walk (decided with every other fetch, in `listing::read`): a walker
    /// from the page decided, to the end or the page of the row, every page in turn with the
    /// next request in flight while a page is decoded, as `ls` and the scan walk.
    fn walk_step(&mut self, now: Instant) -> Vec<Effect> {
        let requests = self.decide(Want::Step);
        let Some(walk) = self.read.walk() else {
            return self.fetch_effects(requests, now);
        };
        let next = requests.first().map_or_else(
            || self.pages.furthest_answered().map_or(1, |p| p + 1),
            |r| r.number,
        );
        self.notice = Some(Notice::Walking {
            page: next,
            to_end: walk == Walk::End,
        });
        let Some(from) = requests.first().copied() else {
            return Vec::new();
        };
        self.requested_at.insert(from.number, now);
        self.read.set_walker(Some(from.number));
        let until = match walk {
            Walk::Row(row) => Some(self.pages.page_of(row)),
            Walk::End => None,
        };
        vec![
            ListingEffect::Walk {
                generation: self.pages.generation(),
                query: self.query.clone(),
                from,
                after: self.pages.continuation(from.number).cloned(),
                until,
            }
            .into(),
        ]
    }

    /// A page arrived during a walk: the walk ends where it was going (the cursor lands
    /// there), or takes its next step.
    fn walk_on(&mut self, now: Instant) -> Option<Vec<Effect>> {
        let walk = self.read.walk()?;
        let walker = self.read.walker();
        let len = self.row_count();
        let arrived = match walk {
            Walk::End => self.pages.is_count_known().then(|| len.saturating_sub(1)),
            Walk::Row(row) if row < len && !self.needs_walk(row) => Some(row),
            Walk::Row(_) if self.pages.is_count_known() => Some(len.saturating_sub(1)),
            Walk::Row(_) => None,
        };
        match arrived {
            Some(row) => {
                self.read.end_walk();
                let mut effects = self.stop_walker(walker);
                // A contradiction found on the way says more than where the walk ended.
                if let Some(tail) = self.read.tail()
                    && !matches!(self.notice, Some(Notice::Contradiction(_)))
                {
                    self.notice = Some(Notice::TailFound {
                        requests: tail.requests,
                    });
                } else if self.notice.is_none() {
                    self.notice = Some(Notice::Walked {
                        pages: self.pages.furthest_answered().unwrap_or(0),
                    });
                }
                self.cursor.offset = if walk == Walk::End {
                    self.cursor.offset
                } else {
                    row
                };
                self.cursor.move_to(row, len);
                effects.extend(self.fetch_wanted(Motion::Jump, now));
                Some(effects)
            }
            None if self.pages.pending() == 0 && walker.is_none() => Some(self.walk_step(now)),
            None => {
                if let Some(page) = walker {
                    self.notice = Some(Notice::Walking {
                        page,
                        to_end: walk == Walk::End,
                    });
                }
                Some(Vec::new())
            }
        }
    }

    pub fn sort(&self) -> Option<Sort> {
        self.sort
    }

    /// The filter in force.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// What the server is asked for.
    pub fn query(&self) -> &ListQuery {
        &self.query
    }

    /// The pages the server answered.
    pub fn pages(&self) -> &PagedList {
        &self.pages
    }

    pub fn cursor(&self) -> &Cursor {
        &self.cursor
    }

    /// The local part of the work, when filescope sorts or filters the loaded rows itself.
    pub fn local(&self) -> Option<&Local> {
        self.view.as_ref().map(LocalView::local)
    }

    /// Every page is being fetched for the local view.
    pub fn is_loading_all(&self) -> bool {
        matches!(self.read, Read::All(_))
    }

    /// How loading every page goes, while it does.
    pub fn load_all_progress(&self) -> Option<LoadAll> {
        match self.read {
            Read::All(load) => Some(load),
            _ => None,
        }
    }

    /// Whether the load-all key would load something: a local view with pages still to come.
    pub fn can_load_all(&self) -> bool {
        self.view.is_some() && !self.pages.is_complete() && !self.is_loading_all()
    }

    /// Stops loading every page (Esc): what is in flight still lands, nothing more is asked.
    pub(super) fn stop_load_all(&mut self) {
        if self.is_loading_all() {
            self.read = Read::Screen;
            self.notice = Some(Notice::LoadAllStopped);
            self.restate_stop = !self.requested_at.is_empty();
        }
    }

    /// Rows the table spans: the listing's, or while a reload is under way, as far as the
    /// rows it left on screen.
    pub fn display_len(&self) -> usize {
        let kept = self
            .previous
            .as_ref()
            .and_then(|p| p.rows.keys().max())
            .map_or(0, |last| last + 1);
        self.row_count().max(kept)
    }

    /// The row a reload left on screen, shown dimmed until its page comes again.
    pub fn previous_row(&self, i: usize) -> Option<&FileRecord> {
        self.previous.as_ref()?.rows.get(&i)
    }

    /// Why the listing has nothing to show: its first answer failed and none other came.
    pub fn failure(&self) -> Option<&str> {
        self.pages.only_failure()
    }

    /// Rows the table shows: the listing's, or the local view's.
    pub fn row_count(&self) -> usize {
        if self.pages.only_failure().is_some() {
            // No fake rows for a listing that never answered: the table says why instead.
            return 0;
        }
        match &self.view {
            Some(view) => view.len(),
            None => self.pages.row_count(),
        }
    }

    /// Whether [`Listing::row_count`] is final: the listing's count is known, or for a local
    /// view, every page is in.
    pub fn is_count_known(&self) -> bool {
        match &self.view {
            Some(_) => self.pages.is_complete(),
            None => self.pages.is_count_known(),
        }
    }

    /// The row the table shows at position `i`.
    pub fn row(&self, i: usize) -> Row<'_> {
        match &self.view {
            Some(view) => view.get(i).map_or(Row::Pending, |row| self.pages.row(row)),
            None => self.pages.row(i),
        }
    }

    /// The selected record, when its page is loaded.
    pub fn selected(&self) -> Option<&FileRecord> {
        match self.row(self.cursor.selected) {
            Row::Loaded(record) => Some(record),
            _ => None,
        }
    }

    pub fn is_loading(&self) -> bool {
        self.pages.pending() > 0 || self.view_job.is_some()
    }

    /// Whether the local view, if any, holds every page of the listing.
    pub fn is_complete(&self) -> bool {
        self.pages.is_complete()
    }

    pub fn page_size(&self) -> usize {
        self.pages.page_size()
    }

    pub(super) fn take_notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }

    pub(super) fn cursor_mut(&mut self) -> &mut Cursor {
        &mut self.cursor
    }

    /// For the benchmark's baseline: fetch only what is on screen.
    pub(super) fn set_prefetch(&mut self, enabled: bool) {
        self.prefetch.enabled = enabled;
    }

    pub(super) fn set_local_async_rows(&mut self, rows: usize) {
        self.local_async_rows = rows;
    }

    /// Stops a local view being built elsewhere; its answer will be dropped.
    fn cancel_view_job(&mut self) {
        if let Some((_, cancel)) = self.view_job.take() {
            cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// The table shows `rows` rows now: the selection stays on screen, and rows that came into
    /// view are fetched.
    pub(super) fn set_height(&mut self, rows: usize, now: Instant) -> Vec<Effect> {
        if rows == self.cursor.height {
            return Vec::new();
        }
        let len = self.row_count();
        self.cursor.set_height(rows, len);
        self.fetch_wanted(Motion::Jump, now)
    }

    /// Moves the cursor as a motion key asks and fetches what it then needs.
    pub(super) fn motion(
        &mut self,
        motion: impl FnOnce(&mut Cursor, usize) -> Motion,
        now: Instant,
    ) -> Vec<Effect> {
        let len = self.row_count();
        let before = self.cursor.selected;
        let motion = motion(&mut self.cursor, len);
        if motion != Motion::Jump {
            self.prefetch
                .observe_move(self.cursor.selected.abs_diff(before), now);
        }
        self.fetch_wanted(motion, now)
    }

    /// `G`: the last row; when the count is not known yet, the end is jumped to once it is
    /// (a listing read in order is walked to it, page by page).
    pub(super) fn jump_to_end(&mut self, now: Instant) -> Vec<Effect> {
        if self.view.is_none()
            && self.pages.access() == Access::Sequential
            && !self.pages.is_count_known()
        {
            if self.finds_tail {
                if self.is_seeking_tail() {
                    return Vec::new();
                }
                // No walk: the last rows are found by key and listed from there.
                self.read = Read::SeekingTail {
                    was: self.read.tail(),
                };
                self.notice = Some(Notice::FindingTail);
                let from = (0..self.pages.row_count())
                    .rev()
                    .find_map(|row| self.pages.record(row))
                    .map(|r| r.id.clone());
                return vec![
                    ListingEffect::FindTail {
                        generation: self.pages.generation(),
                        query: self.query.clone(),
                        from,
                        want: self.cursor.height.max(1),
                    }
                    .into(),
                ];
            }
            self.read.start_walk(Walk::End);
            return self.walk_on(now).unwrap_or_default();
        }
        if self.view.is_some() && !self.pages.is_complete() {
            self.notice = Some(Notice::EndOfLoaded);
        } else if !self.pages.is_count_known() {
            self.read = Read::End;
        }
        self.motion(
            |c, len| {
                c.move_to(len.saturating_sub(1), len);
                Motion::Jump
            },
            now,
        )
    }

    /// Selects `row` (a position in the view): a row on screen already is selected where it
    /// is, as vim and less keep the view; another is put at the top of the screen. A row a
    /// listing read in order cannot reach yet is walked to.
    pub(super) fn jump_to(&mut self, row: usize, now: Instant) -> Vec<Effect> {
        if self.needs_walk(row) {
            self.read.start_walk(Walk::Row(row));
            return self.walk_on(now).unwrap_or_default();
        }
        let len = self.row_count();
        if !self.cursor.visible(len).contains(&row) {
            self.cursor.offset = row;
        }
        self.cursor.move_to(row, len);
        self.fetch_wanted(Motion::Jump, now)
    }

    /// Selects the file at `row` of the server's order: directly in a plain listing (fetching
    /// its page), through the local view when there is one. `None` when it is not loaded in
    /// the view.
    pub(super) fn go_to_row(&mut self, row: usize, now: Instant) -> Option<Vec<Effect>> {
        let position = match &self.view {
            None => Some(row),
            Some(view) => view.position_of(row),
        }?;
        Some(self.jump_to(position, now))
    }

    /// Selects a file the insight view names: at `row` of the server's order where that is
    /// known, else by its id among the rows loaded. `None` when it is not loaded in the view.
    pub(super) fn go_to_file(
        &mut self,
        row: Option<usize>,
        id: &str,
        now: Instant,
    ) -> Option<Vec<Effect>> {
        let row = match row {
            Some(row) => row,
            None => (0..self.pages.row_count())
                .find(|row| self.pages.record(*row).is_some_and(|r| r.id == id))?,
        };
        self.go_to_row(row, now)
    }

    /// `A`: fetch every page so the local view is complete. `Err` says why there is nothing
    /// to load.
    pub(super) fn start_load_all(&mut self, now: Instant) -> Result<Vec<Effect>, &'static str> {
        if self.view.is_none() {
            return Err("sorting and filtering are done by the server; nothing to load");
        }
        if self.pages.is_complete() {
            return Err("every page is loaded already");
        }
        if !self.is_loading_all() {
            self.read = Read::All(LoadAll {
                started: now,
                rows_at_start: self.pages.loaded_rows(),
                rate: None,
            });
        }
        Ok(self.fetch_wanted(Motion::Jump, now))
    }

    /// Takes a new sort and filter: what the server can do goes in the query, the rest is done
    /// here. Lists again from the top when the query changed; otherwise orders or filters the
    /// loaded rows again (off the UI task when there are many).
    pub(super) fn replan(
        &mut self,
        sort: Option<Sort>,
        filter: Filter,
        plan: Plan,
        now: Instant,
    ) -> Vec<Effect> {
        self.sort = sort;
        self.filter = filter;
        if self.is_loading_all() {
            self.read = Read::Screen;
        }
        self.previous = None;
        self.cancel_view_job();
        if plan.server == self.query && self.pages.loaded_pages() > 0 {
            // Only the local part changed: the server would answer the same rows, so keep
            // them and order or filter them again here instead of fetching them all again.
            if !plan.local.is_empty() && self.pages.loaded_rows() >= self.local_async_rows {
                // Many rows: built on another thread while keys keep working.
                self.jobs += 1;
                let id = JobId(self.jobs);
                let cancel = Arc::new(AtomicBool::new(false));
                self.view_job = Some((id, Arc::clone(&cancel)));
                self.notice = Some(Notice::Sorting {
                    rows: self.pages.loaded_rows(),
                });
                return vec![
                    ListingEffect::BuildView(ViewJob {
                        id,
                        local: plan.local,
                        page_size: self.pages.page_size(),
                        pages: self.pages.snapshot(),
                        cancel,
                    })
                    .into(),
                ];
            }
            self.view = (!plan.local.is_empty()).then(|| {
                let mut view = LocalView::new(plan.local);
                view.add_pages(&self.pages, self.pages.loaded_page_numbers());
                view
            });
            self.cursor.selected = 0;
            self.cursor.offset = 0;
            return self.fetch_wanted(Motion::Jump, now);
        }
        self.query = plan.server;
        // Another query: no last rows found for it (a walk ends with the restart below).
        self.read = match self.read {
            Read::Tail(_) | Read::SeekingTail { .. } => Read::Screen,
            Read::Walk { to, next, .. } => Read::Walk {
                to,
                tail: None,
                next,
            },
            read @ (Read::Screen | Read::End | Read::All(_)) => read,
        };
        self.view = (!plan.local.is_empty()).then(|| LocalView::new(plan.local));
        self.restart(now)
    }

    /// Lists again from the top for a new query: a new generation, so answers still in flight
    /// for the old one are dropped (and their requests cancelled).
    pub(super) fn restart(&mut self, now: Instant) -> Vec<Effect> {
        self.cursor.selected = 0;
        self.cursor.offset = 0;
        let effects = self.reload(now);
        // Another query: the old rows are not these.
        self.previous = None;
        effects
    }

    /// Lists again with the same query, keeping the position: the rows on screen stay, dimmed,
    /// until their pages come again, and the selected file is selected again where it comes.
    pub(super) fn reload(&mut self, now: Instant) -> Vec<Effect> {
        self.read.end_walk();
        let mut previous = Previous::default();
        for i in self.cursor.visible(self.row_count()) {
            if let Row::Loaded(record) = self.row(i) {
                previous.rows.insert(i, record.clone());
            }
        }
        previous.selected = self.selected().map(|r| r.id.clone());
        self.previous = (!previous.rows.is_empty()).then_some(previous);
        let generation = self.pages.reset();
        self.restate_stop = false;
        self.cancel_view_job();
        self.requested_at.clear();
        if let Some(view) = &mut self.view {
            *view = LocalView::new(view.local().clone());
        }
        let mut effects = vec![ListingEffect::CancelBefore(generation).into()];
        // The row count is unknown again until an answer comes: the rows on screen are asked
        // for directly rather than waiting for page 1 to say how many there are.
        let requests = self.decide(Want::Again);
        effects.extend(self.fetch_effects(requests, now));
        effects
    }

    /// Files a page that arrived. `None` when it was stale (nothing changed).
    pub(super) fn on_page(
        &mut self,
        generation: Generation,
        page: usize,
        result: Result<Page, ApiError>,
        now: Instant,
    ) -> Option<Vec<Effect>> {
        let error = result.as_ref().err().map(ToString::to_string);
        // A local view keeps the selected file selected while rows are merged in above it.
        let selected_row = self.view.as_ref().and_then(|v| v.get(self.cursor.selected));
        let filled = result.as_ref().map_or(1, |p| {
            p.records.len().div_ceil(self.pages.page_size()).max(1)
        });
        let applied = self
            .pages
            .apply(generation, page, result.map_err(|e| e.to_string()));
        if generation == self.pages.generation()
            && let Some(at) = self.requested_at.remove(&page)
        {
            self.prefetch
                .observe_latency(now.saturating_duration_since(at));
        }
        if applied == Applied::Stale {
            tracing::debug!(
                generation = generation.0,
                page,
                current = self.pages.generation().0,
                "dropped a stale page"
            );
            return None;
        }
        if self.restate_stop && generation == self.pages.generation() {
            self.restate_stop = !self.requested_at.is_empty();
            self.notice.get_or_insert(Notice::LoadAllStopped);
        }
        if let Some(error) = error
            && self.pages.only_failure().is_none()
        {
            // (A listing that never answered says why in the table, whole.)
            self.notice = Some(Notice::PageFailed { page, error });
        }
        if let Some(warning) = self.pages.take_warning() {
            self.notice = Some(Notice::Contradiction(warning));
            // A walk stops at a contradiction rather than read on through it.
            self.read.end_walk();
        }
        if let Some(view) = &mut self.view {
            view.add_pages(&self.pages, page..page + filled);
            if let Some(pos) = selected_row.and_then(|row| view.position_of(row)) {
                self.cursor.selected = pos;
            }
            if let Read::All(load) = &mut self.read {
                let secs = now.saturating_duration_since(load.started).as_secs_f64();
                let rows = self.pages.loaded_rows().saturating_sub(load.rows_at_start);
                if secs > 0.0 {
                    load.rate = Some(rows as f64 / secs);
                }
                if self.pages.is_complete() {
                    self.read = Read::Screen;
                }
            }
        }
        self.restore_previous(page, filled);
        if let Some(effects) = self.walk_on(now) {
            return Some(effects);
        }
        let len = self.row_count();
        if self.read == Read::End && self.is_count_known() {
            self.read = Read::Screen;
            self.cursor.move_to(len.saturating_sub(1), len);
            return Some(self.fetch_wanted(Motion::Jump, now));
        }
        self.cursor.follow(len);
        // The first page may show the listing is shorter than the screen, or the count may
        // have become known: fetch whatever the screen still lacks.
        Some(self.fetch_wanted(Motion::Jump, now))
    }

    /// Selects the row with this id when its page comes (a folder left by going up), as a
    /// reload selects the file it had selected.
    pub(super) fn select_when_listed(&mut self, id: String) {
        let previous = self.previous.get_or_insert_with(Previous::default);
        previous.selected = Some(id);
    }

    /// After a reload: the selected file is selected again where its page put it, and the old
    /// rows go once the screen's pages are all in.
    fn restore_previous(&mut self, page: usize, filled: usize) {
        let Some(previous) = &mut self.previous else {
            return;
        };
        if let Some(id) = previous.selected.clone() {
            let size = self.pages.page_size();
            let rows = (page - 1) * size..(page + filled - 1) * size;
            let found = rows
                .filter(|row| self.pages.record(*row).is_some_and(|r| r.id == id))
                .find_map(|row| match &self.view {
                    None => Some(row),
                    Some(view) => view.position_of(row),
                });
            if let Some(at) = found {
                let len = self.row_count();
                self.cursor.move_to(at, len);
                if let Some(previous) = &mut self.previous {
                    previous.selected = None;
                }
            }
        }
        let len = self.row_count();
        let waiting = self
            .cursor
            .visible(len)
            .any(|i| matches!(self.row(i), Row::Pending));
        if !waiting || self.pages.pending() == 0 {
            self.previous = None;
        }
    }

    /// A local view built away from the UI task arrived; `None` when it is not the one waited
    /// for (a newer change won) or was cancelled.
    pub(super) fn on_view_built(
        &mut self,
        id: JobId,
        view: Option<LocalView>,
        pages: Vec<usize>,
        now: Instant,
    ) -> Option<Vec<Effect>> {
        if self.view_job.as_ref().is_none_or(|(job, _)| *job != id) {
            return None;
        }
        self.view_job = None;
        let mut view = view?;
        // Pages that arrived while it was built join it now.
        let newer: Vec<usize> = self
            .pages
            .loaded_page_numbers()
            .into_iter()
            .filter(|p| pages.binary_search(p).is_err())
            .collect();
        view.add_pages(&self.pages, newer);
        self.view = Some(view);
        self.cursor.selected = 0;
        self.cursor.offset = 0;
        Some(self.fetch_wanted(Motion::Jump, now))
    }

    /// Requests the pages the screen (and, while scrolling, the prefetch distance) needs.
    pub(super) fn fetch_wanted(&mut self, motion: Motion, now: Instant) -> Vec<Effect> {
        let requests = self.decide(Want::Screen(motion));
        self.fetch_effects(requests, now)
    }

    /// What to fetch, as `listing::read` decides it; a plain listing then forgets pages far
    /// from the rows it wants.
    fn decide(&mut self, want: Want) -> Vec<PageRequest> {
        let decision = crate::listing::read::requests(
            &mut self.pages,
            &self.cursor,
            self.view.as_ref(),
            &self.read,
            want,
            self.prefetch.distance(),
        );
        // A local view refers to every loaded row, and so does one being built: only a plain
        // listing forgets far pages.
        if let Some(keep) = decision.keep
            && self.view_job.is_none()
        {
            let budget = (self.max_loaded_rows / self.pages.page_size()).max(8);
            let evicted = self.pages.evict(keep, budget);
            if evicted > 0 {
                tracing::debug!(evicted, "forgot pages far from the screen");
            }
        }
        decision.requests
    }

    /// Asks for every page holding `rows` (for benchmarks that build large states).
    #[cfg(any(test, feature = "test-support"))]
    pub(super) fn want_rows(&mut self, rows: std::ops::Range<usize>, now: Instant) -> Vec<Effect> {
        let requests = self.pages.request_rows(rows);
        self.fetch_effects(requests, now)
    }

    fn fetch_effects(&mut self, requests: Vec<PageRequest>, now: Instant) -> Vec<Effect> {
        let generation = self.pages.generation();
        for page in &requests {
            self.requested_at.insert(page.number, now);
        }
        requests
            .into_iter()
            .map(|page| {
                ListingEffect::Fetch {
                    generation,
                    query: self.query.clone(),
                    page,
                    after: self.pages.continuation(page.number).cloned(),
                }
                .into()
            })
            .collect()
    }

    /// What is done locally and over how much: "sorted locally · 350 of 4,000 loaded", or
    /// `None` when the server does everything.
    pub fn local_extent(&self) -> Option<(&'static str, String)> {
        let local = self.local()?;
        let what = match (local.sort.is_some(), local.filters()) {
            (true, true) => "filtered and sorted locally",
            (true, false) => "sorted locally",
            _ => "filtered locally",
        };
        let loaded = self.pages.loaded_rows();
        let extent = match self.pages.total() {
            _ if self.pages.is_complete() => format!("all {} loaded", thousands(loaded)),
            Some(total) => format!("{} of {} loaded", thousands(loaded), thousands(total)),
            None => format!("{} loaded", thousands(loaded)),
        };
        Some((what, extent))
    }
}
