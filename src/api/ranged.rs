//! Reading a whole listing by key range, several parts at once, for a family whose listing
//! starts after any key ([`crate::api::Reach::lists_by_key`]: S3's `start-after`). A
//! listing read in order costs one round trip per page, each continuation coming from the
//! answer before; read by key range, the parts' pages are in flight together, and the pages
//! are still handed over exactly as one walk in order would hand them over: in key order,
//! each key once.
//!
//! - **Parts.** A part is the keys after `lo` up to `hi` (both may be open), read from a
//!   request that starts after `lo` and continued with the family's own continuation. A
//!   page that runs past `hi` ends the part: what it holds past `hi` belongs to the part
//!   after it, which lists it itself.
//! - **Cuts ahead of the writer.** The first part is the listing as asked. While a request
//!   may leave, the earliest part whose remainder holds more than two pieces (a few pages:
//!   the answer memory allowed, shared by the parts) is cut a piece after the last key it
//!   has read (work stealing): the parts form a ladder a few pages apart ahead of the
//!   writer, and a part that proves longer than it looked is cut again when a request is
//!   free. Where to cut is measured on the part's own last page: a key-space model
//!   ([`crate::api::keyspace`], the tail search's) of that page's keys alone, under their
//!   common beginning (a month's folder, a counter's hundreds), says how densely keys lie
//!   and which key lies a piece ahead; where that region ends sooner, the part ends with it.
//!   Skewed key spaces (most keys under one prefix, UUIDs, dates) are so cut where their
//!   keys are. The last part, past every key seen, is also cut at the first byte past
//!   them, as the tail search probes there.
//! - **Memory.** Pages of parts the writer has not reached are held, up to a budget of
//!   answer bytes ([`Options::buffer_bytes`]) counted from the writer: a part may ask for a
//!   page while what is held for it and the parts before it fits, so parts far ahead that
//!   filled the budget never hold back a long part cut up behind them (what is held stays
//!   under twice the budget). The part the writer reads always asks: a slow writer holds
//!   the listing back, not memory.
//! - **Safety.** A part's first answer must start after its start key (a folder that spans
//!   it, listed first, is the one exception, and is the part before's), and keys must rise
//!   within a part. A store that ignores the start key or answers out of order is listed
//!   one page after another from where the writer is, with a notice
//!   ([`crate::api::Notice::InOrder`]): never a wrong or a repeated row.
//! - **Throttling.** A 429 or 503 (S3's SlowDown) halves the requests in flight and holds
//!   new ones for as long as the store asked (`Retry-After`); every answer after adds back a
//!   fraction of a request (AIMD), up to `jobs`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use tokio::time::Instant;

use super::dialect::{Continuation, Page, PageRequest};
use super::keyspace::{KeyModel, past, valid_utf8};
use super::scan::{Progress, Walk};
use super::{ApiError, Client, FileRecord, ListQuery, Notice};

/// Keys above every UTF-8 string a store keeps: the top of the last part.
const TOP: &[u8] = &[0xF4, 0x90];
/// How many times a page's sample is handed down to parts cut from parts that have not read
/// a page yet: the ladder grows this many parts a round trip, and a guess into keys that do
/// not exist costs at most this many empty parts.
const HANDED_DOWN: u8 = 3;
/// Answer bytes held for parts the writer has not reached, by default.
const BUFFER_BYTES: usize = 8 << 20;
/// The size of an answer before the first says better.
const PAGE_BYTES: usize = 256 << 10;
/// Keys remembered to learn the key space from, beyond the first page (first and last of
/// each page): enough to shape the model, few enough to rebuild it often.
const LEARNED: usize = 40_000;

/// How a listing by key range is read.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Requests in flight at most (`--jobs`).
    pub jobs: usize,
    /// Answer bytes held for parts the writer has not reached.
    pub buffer_bytes: usize,
}

impl Options {
    pub fn new(jobs: usize) -> Options {
        Options {
            jobs: jobs.max(1),
            buffer_bytes: BUFFER_BYTES,
        }
    }
}

/// What a listing by key range did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listed {
    /// List requests sent.
    pub requests: usize,
    /// Parts the range was cut into.
    pub parts: usize,
    /// Why the listing went on in order, if it did.
    pub in_order: Option<String>,
    /// The most answer bytes held for parts the writer had not reached.
    pub held_peak: usize,
}

/// Where a part's next request starts.
#[derive(Debug, Clone)]
enum Step {
    /// After its `lo` (its first request).
    Start,
    /// Where its last answer said.
    Continue(Continuation),
}

/// A key range of the listing and how far it has been read.
#[derive(Debug)]
struct Part {
    id: u64,
    /// Keys after this one are the part's (`None`: from the listing's start).
    lo: Option<String>,
    /// Keys up to this one are the part's (`None`: to the listing's end).
    hi: Option<String>,
    next: Step,
    in_flight: bool,
    done: bool,
    /// Answers read (its page numbers, for the loop guards).
    pages: usize,
    walk: Walk,
    /// The last key read in range.
    last: Option<String>,
    /// Pages read and not handed over yet, with their answer bytes.
    held: VecDeque<(Page, usize)>,
    /// What follows `hi` as a walk in order has it, from the answer that ended the part:
    /// the records past `hi` and that answer's continuation.
    rest: Option<(Vec<FileRecord>, Option<Continuation>)>,
    /// The keys of its last page (before it has read one, of the part it was cut from): what
    /// keys look like where it reads, and how densely they lie.
    sample: Option<Arc<Vec<String>>>,
    /// How far the sample was handed down: 0 for the part's own page, 1 for the page of the
    /// part it was cut from, and so on.
    depth: u8,
    /// Why the listing must stop once this part is handed over (a loop guard).
    failure: Option<ApiError>,
}

impl Part {
    fn new(id: u64, lo: Option<String>, hi: Option<String>, size: usize, client: &Client) -> Part {
        Part {
            id,
            lo,
            hi,
            next: Step::Start,
            in_flight: false,
            done: false,
            pages: 0,
            walk: Walk::new(size, client.dialect().access()),
            last: None,
            held: VecDeque::new(),
            rest: None,
            sample: None,
            depth: 0,
            failure: None,
        }
    }

    /// Learns how densely keys lie from a page of its keys.
    fn measure(&mut self, records: &[FileRecord]) {
        let len = records.len();
        if len < 2 {
            return;
        }
        self.sample = Some(Arc::new(records.iter().map(|r| r.id.clone()).collect()));
        self.depth = 0;
    }
}

/// What the store's throttling told the lister, from the client's retry notices.
#[derive(Debug, Default)]
struct Throttle {
    /// Throttled answers seen.
    count: AtomicU64,
    /// The longest wait the store asked for, in milliseconds.
    wait_ms: AtomicU64,
}

type Fetch = BoxFuture<'static, (u64, Result<Page, ApiError>)>;

/// The lister's state: the parts in key order, the front one being the one the writer reads.
struct Lister<'a> {
    client: Client,
    query: &'a ListQuery,
    size: usize,
    options: Options,
    parts: VecDeque<Part>,
    next_id: u64,
    model: KeyModel,
    learned: usize,
    /// The key above every key of the listing (its prefix, then [`TOP`]).
    top: Vec<u8>,
    /// The answer size, from the first answer.
    page_bytes: usize,
    held_bytes: usize,
    in_flight: usize,
    /// Requests allowed in flight (AIMD), at most `jobs`.
    limit: f64,
    throttle: Arc<Throttle>,
    throttled_seen: u64,
    pause_until: Option<Instant>,
    /// What follows the part handed over last, should the listing go on in order.
    resume: Option<(Vec<FileRecord>, Option<Continuation>)>,
    listed: Listed,
    pages_out: usize,
    rows_out: usize,
}

/// Calls `on_page` with every page of `query` in order, as [`crate::api::scan::each_page`]
/// does, reading the listing by key range with up to `options.jobs` requests in flight
/// (see the module). Stops early when `on_page` returns false.
pub async fn each_page(
    client: &Client,
    query: &ListQuery,
    size: usize,
    options: Options,
    mut on_page: impl FnMut(Page, Progress) -> bool,
) -> Result<Listed, ApiError> {
    let throttle = Arc::new(Throttle::default());
    let heard = Arc::clone(&throttle);
    let client = client.clone().also_notifying(move |notice| {
        if let Notice::Retry(retry) = notice
            && retry.throttled
        {
            heard.count.fetch_add(1, Ordering::Relaxed);
            heard
                .wait_ms
                .fetch_max(retry.wait.as_millis() as u64, Ordering::Relaxed);
        }
    });
    let prefix = client.dialect().key_prefix(query).into_bytes();
    let mut lister = Lister {
        top: [prefix.as_slice(), TOP].concat(),
        parts: VecDeque::new(),
        next_id: 1,
        model: KeyModel::default(),
        learned: 0,
        page_bytes: PAGE_BYTES,
        held_bytes: 0,
        in_flight: 0,
        limit: options.jobs as f64,
        throttle,
        throttled_seen: 0,
        pause_until: None,
        resume: None,
        listed: Listed {
            parts: 1,
            ..Listed::default()
        },
        pages_out: 0,
        rows_out: 0,
        client,
        query,
        size,
        options,
    };
    // The first part is the listing as asked.
    let first = Part::new(0, query.start_after.clone(), None, size, &lister.client);
    lister.parts.push_back(first);
    let mut fetches: FuturesUnordered<Fetch> = FuturesUnordered::new();
    loop {
        if !lister.hand_over(&mut on_page)? {
            break;
        }
        if lister.parts.is_empty() {
            break;
        }
        lister.launch(&mut fetches);
        if fetches.is_empty() {
            match lister.pause_until {
                Some(at) => {
                    tokio::time::sleep_until(at).await;
                    lister.pause_until = None;
                    continue;
                }
                // Nothing in flight and nothing may leave: a part with nowhere to go.
                None => {
                    return Err(ApiError::Inconsistent(
                        "the listing by key range stalled".to_string(),
                    ));
                }
            }
        }
        let pause = lister.pause_until;
        tokio::select! {
            answer = fetches.next() => {
                if let Some((id, answer)) = answer {
                    lister.answered(id, answer?);
                }
            }
            () = async {
                match pause {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            } => {
                lister.pause_until = None;
            }
        }
    }
    // Dropping the fetches aborts the requests still in flight.
    tracing::info!(
        requests = lister.listed.requests,
        parts = lister.listed.parts,
        held_peak = lister.listed.held_peak,
        in_order = lister.listed.in_order.as_deref().unwrap_or("no"),
        "listed by key range"
    );
    Ok(lister.listed)
}

impl Lister<'_> {
    /// Hands the front parts' pages to `on_page`; false when it asked to stop.
    fn hand_over(
        &mut self,
        on_page: &mut impl FnMut(Page, Progress) -> bool,
    ) -> Result<bool, ApiError> {
        while let Some(front) = self.parts.front_mut() {
            while let Some((page, bytes)) = front.held.pop_front() {
                self.held_bytes -= bytes;
                self.pages_out += 1;
                let progress = Progress {
                    pages_done: self.pages_out,
                    pages_total: None,
                    first_row: self.rows_out,
                };
                self.rows_out += page.records.len();
                if !on_page(page, progress) {
                    return Ok(false);
                }
            }
            if !front.done {
                break;
            }
            if let Some(failure) = front.failure.take() {
                return Err(failure);
            }
            self.resume = front.rest.take();
            self.parts.pop_front();
        }
        Ok(true)
    }

    /// Whether part `i` may ask for a page: the front part always; another while the pages
    /// held for it and the parts before it, and the requests in flight, fit the budget. The
    /// budget is counted from the front, so parts far ahead that filled it never hold back
    /// the parts the writer needs first (a long part cut up behind them): what is held stays
    /// under twice the budget.
    fn may_send(&self, i: usize) -> bool {
        if i == 0 {
            return true;
        }
        let budget = self
            .options
            .buffer_bytes
            .max(self.page_bytes.saturating_mul(2));
        let held: usize = self
            .parts
            .iter()
            .take(i + 1)
            .flat_map(|p| p.held.iter().map(|(_, bytes)| *bytes))
            .sum();
        held + (self.in_flight + 1) * self.page_bytes <= budget
    }

    /// Sends what may leave: the front part's next page always, others' while the budget
    /// allows, and new parts cut while requests are free.
    fn launch(&mut self, fetches: &mut FuturesUnordered<Fetch>) {
        if self.pause_until.is_some_and(|at| at > Instant::now()) {
            return;
        }
        self.pause_until = None;
        loop {
            let limit = (self.limit as usize).clamp(1, self.options.jobs);
            if self.in_flight >= limit {
                return;
            }
            let ready = (0..self.parts.len()).find(|&i| {
                let p = &self.parts[i];
                !p.done && !p.in_flight && self.may_send(i)
            });
            if let Some(i) = ready {
                self.send(i, fetches);
                continue;
            }
            if self.listed.in_order.is_some() || !self.cut() {
                return;
            }
        }
    }

    fn send(&mut self, i: usize, fetches: &mut FuturesUnordered<Fetch>) {
        let part = &mut self.parts[i];
        part.in_flight = true;
        self.in_flight += 1;
        tracing::trace!(
            part = i,
            in_flight = self.in_flight,
            held = self.held_bytes,
            "send"
        );
        self.listed.requests += 1;
        let id = part.id;
        let request = PageRequest {
            number: part.pages + 1,
            size: self.size,
        };
        let mut query = self.query.clone();
        let after = match &part.next {
            Step::Start => {
                query.start_after = part.lo.clone();
                None
            }
            Step::Continue(c) => Some(c.clone()),
        };
        let client = self.client.clone();
        let task = super::scan::spawned_page(async move {
            client
                .list_page_after(&query, request, after.as_ref())
                .await
        });
        fetches.push(Box::pin(async move { (id, task.await) }));
    }

    /// Cuts a new part off the earliest part whose remainder holds more than two pieces,
    /// a piece after the last key it read. False when none does.
    fn cut(&mut self) -> bool {
        let budget_pages = (self.options.buffer_bytes / self.page_bytes.max(1)).max(2);
        // A part's last answer runs past its end, into the next part's keys: a piece a
        // quarter page short of whole pages makes that answer mostly the part's own.
        let piece = (budget_pages * 2 / self.options.jobs).max(2) * self.size - self.size / 4;
        for i in 0..self.parts.len() {
            // The new part goes right after this one: it must be allowed to ask.
            if !self.may_send(i + 1) {
                return false;
            }
            let part = &self.parts[i];
            if part.done {
                continue;
            }
            let Some(from) = part.last.clone().or_else(|| part.lo.clone()) else {
                continue;
            };
            let Some(sample) = part.sample.clone() else {
                continue;
            };
            let tail = part.hi.is_none();
            let hi = part
                .hi
                .clone()
                .map_or_else(|| self.top.clone(), String::into_bytes);
            // A sample handed down too far guesses too far from where it was measured.
            if part.depth > HANDED_DOWN {
                continue;
            }
            let depth = part.depth;
            let key = match self.cut_at(&from, &hi, &sample, depth, piece) {
                Some(key) => key,
                // The last part reaches past every key the model has seen: a part from the
                // first byte past them (as the tail search probes there) finds what lies
                // beyond, or ends at once.
                None if tail => match self.model.top(from.as_bytes(), &hi) {
                    Some(key) => key,
                    None => continue,
                },
                None => continue,
            };
            let id = self.next_id;
            self.next_id += 1;
            let mut new = Part::new(
                id,
                Some(key.clone()),
                self.parts[i].hi.take(),
                self.size,
                &self.client,
            );
            new.sample = Some(sample);
            new.depth = depth + 1;
            tracing::debug!(at = i, from = %from, cut = %key, parts = self.parts.len() + 1, "cut");
            self.parts[i].hi = Some(key);
            self.parts.insert(i + 1, new);
            self.listed.parts += 1;
            return true;
        }
        false
    }

    /// The key about `piece` keys after `from`, below `hi`, as densely as `sample` says keys
    /// lie; where fewer than two pieces remain before the end of the sample's region (the
    /// keys sharing its keys' beginning), that end. `None` when no cut falls before `hi`.
    fn cut_at(
        &self,
        from: &str,
        hi: &[u8],
        sample: &[String],
        depth: u8,
        piece: usize,
    ) -> Option<String> {
        // The density from the page's second half: a few keys far from the rest (a bucket's
        // `!first.txt` before its `part-…`) would make the whole page look sparse.
        let len = sample.len();
        let middle = if len >= 4 { len / 2 } else { 0 };
        let (first, last) = (sample.get(middle)?, sample.last()?);
        let keys = len - 1 - middle;
        // Measured by a model of these keys alone, under their common beginning: keys of
        // other shapes elsewhere in the bucket (a `backups/2021/03/…` beside
        // `analytics/events/2021/03/…`) would widen its alphabets to bytes no key here has
        // at those places, and cut parts that hold nothing.
        let mut model = KeyModel::default();
        model.learn(sample.iter().map(String::as_str));
        let common = first
            .bytes()
            .zip(last.bytes())
            .take_while(|(x, y)| x == y)
            .count();
        // The region of keys sharing the sample's beginning (a month's folder, say), then
        // the regions one and two bytes wider (a counter's next hundreds and thousands) and,
        // for a part measured where it reads, those of each folder above (the month's year,
        // the folder of years): the cut falls a piece ahead in the first that holds more
        // than two. A guess in a wider region may land where no key is (a month `49`): the
        // part before it then ends with its keys, the part after starts at the next key
        // there is; a part cut with a sample handed down guesses in that sample's own
        // region alone, so it is not cut into such emptiness again.
        let mut beginnings: Vec<usize> =
            (0..=2).map(|wider| common.saturating_sub(wider)).collect();
        if depth == 0 {
            beginnings.extend(
                first.as_bytes()[..common]
                    .iter()
                    .enumerate()
                    .rev()
                    .filter(|(_, b)| **b == b'/')
                    .map(|(i, _)| i + 1)
                    .filter(|i| *i + 2 < common),
            );
        } else {
            beginnings.truncate(1);
        }
        let mut region_end: Option<String> = None;
        for beginning in beginnings {
            let region: Vec<u8> = [&first.as_bytes()[..beginning], TOP].concat();
            let top = if region.as_slice() < hi {
                region
            } else {
                hi.to_vec()
            };
            if from.as_bytes() >= top.as_slice() {
                continue;
            }
            let frame = model.frame(first.as_bytes(), &top);
            let (a, b) = (frame.value(from.as_bytes()), frame.value(&top));
            let (f, l) = (frame.value(first.as_bytes()), frame.value(last.as_bytes()));
            if l <= f || b <= a {
                continue;
            }
            let density = keys as f64 / (l - f) as f64;
            if (b - a) as f64 * density <= 2.0 * piece as f64 {
                if region_end.is_none() && top.as_slice() < hi {
                    region_end = Some(valid_utf8(top));
                }
                continue;
            }
            let step = (piece as f64 / density).max(1.0) as u128;
            let key = frame.key(a.saturating_add(step));
            if key.as_str() > from && key.as_bytes() < hi {
                return Some(key);
            }
        }
        // The region holds no two pieces more: the part ends where the region does.
        region_end.filter(|key| key.as_str() > from && key.as_bytes() < hi)
    }

    /// Remembers keys to learn the key space from: every key of the first page, then
    /// sixteen spread over each page.
    fn learn(&mut self, records: &[FileRecord], all: bool) {
        let step = if all { 1 } else { (records.len() / 16).max(1) };
        let keys: Vec<&str> = records
            .iter()
            .step_by(step)
            .chain(records.last())
            .map(|r| r.id.as_str())
            .collect();
        if self.learned + keys.len() > LEARNED + self.size || records.is_empty() {
            return;
        }
        self.learned += keys.len();
        self.model.learn(keys);
    }

    /// An answer for part `id` (one dropped since is ignored).
    fn answered(&mut self, id: u64, page: Page) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.adjust();
        let Some(i) = self.parts.iter().position(|p| p.id == id) else {
            return;
        };
        self.parts[i].in_flight = false;
        if self.listed.in_order.is_none()
            && let Err(why) = self.judge(i, &page)
        {
            self.go_in_order(why);
            // The answer is read on only when it is the kept front part's (whose
            // continuation is the store's own); any other is dropped.
            if self.parts.front().is_some_and(|p| p.id == id) {
                self.take(0, page);
            }
            return;
        }
        self.take(i, page);
    }

    /// AIMD: halves the requests allowed when the store throttled since, holding new ones
    /// for as long as it asked; adds back a fraction otherwise.
    fn adjust(&mut self) {
        let count = self.throttle.count.load(Ordering::Relaxed);
        if count != self.throttled_seen {
            self.throttled_seen = count;
            self.limit = (self.limit / 2.0).max(1.0);
            let wait = Duration::from_millis(self.throttle.wait_ms.swap(0, Ordering::Relaxed));
            self.pause_until = Some(Instant::now() + wait);
            tracing::info!(
                limit = self.limit,
                wait_ms = wait.as_millis() as u64,
                "throttled: fewer parts at once"
            );
        } else {
            self.limit = (self.limit + 1.0 / self.limit).min(self.options.jobs as f64);
        }
    }

    /// Whether part `i`'s answer is what a store honouring start keys and key order gives.
    fn judge(&self, i: usize, page: &Page) -> Result<(), String> {
        let part = &self.parts[i];
        let mut previous: Option<&str> = part.last.as_deref();
        for (n, record) in page.records.iter().enumerate() {
            let id = record.id.as_str();
            if n == 0
                && part.pages == 0
                && let Some(lo) = &part.lo
            {
                // A folder that spans the start key is listed first: it is the part
                // before's (it holds keys at or below the start key).
                let spans =
                    self.client.dialect().is_folder(record) && past(id).as_str() > lo.as_str();
                if id <= lo.as_str() && !spans {
                    return Err("the store ignored the start key (start-after)".to_string());
                }
            }
            if let Some(p) = previous
                && id <= p
            {
                return Err("the store answered keys out of order".to_string());
            }
            previous = Some(id);
        }
        Ok(())
    }

    /// Reads on in order from where the writer is: the front part to the end when it has
    /// answered (its continuation is the store's own), else from the rest of the part
    /// handed over last.
    fn go_in_order(&mut self, why: String) {
        tracing::warn!(%why, "listing in order instead of by key range");
        self.client.notify(Notice::InOrder { why: why.clone() });
        self.listed.in_order = Some(why);
        let keep = self.parts.front().is_some_and(|p| p.id == 0 || p.pages > 0);
        if keep {
            self.parts.truncate(1);
            if let Some(front) = self.parts.front_mut() {
                front.hi = None;
            }
        } else {
            self.parts.clear();
            if let Some((records, next)) = self.resume.take() {
                let mut part = Part::new(self.next_id, None, None, self.size, &self.client);
                self.next_id += 1;
                // Its walk goes on from the page it continues.
                part.pages = 1;
                match next {
                    Some(c) => part.next = Step::Continue(c),
                    None => part.done = true,
                }
                if !records.is_empty() {
                    let page = Page {
                        records,
                        ..Page::default()
                    };
                    part.held.push_back((page, 0));
                }
                self.parts.push_back(part);
            }
        }
        self.held_bytes = self
            .parts
            .iter()
            .flat_map(|p| p.held.iter().map(|(_, b)| *b))
            .sum();
    }

    /// Takes part `i`'s answer: the keys in its range are held for the writer; a page past
    /// its end ends it.
    fn take(&mut self, i: usize, page: Page) {
        let in_order = self.listed.in_order.is_some();
        let all = self.learned == 0;
        if all {
            self.page_bytes = page.body_bytes.max(1);
        }
        self.learn(&page.records, all);
        let part = &mut self.parts[i];
        let number = part.pages + 1;
        let more = match part.walk.check(number, &page) {
            Ok(more) => more,
            Err(e) => {
                part.failure = Some(e);
                part.done = true;
                return;
            }
        };
        if let Some(failure) = part.walk.take_failure() {
            part.failure = Some(failure);
        }
        part.pages = number;
        let Page {
            mut records,
            next,
            body_bytes,
            ..
        } = page;
        let next = next.filter(|_| more);
        if !in_order {
            // A folder spanning the start key is the part before's.
            let skip = match &part.lo {
                Some(lo) if number == 1 => records
                    .iter()
                    .take_while(|r| r.id.as_str() <= lo.as_str())
                    .count(),
                _ => 0,
            };
            records.drain(..skip);
            if let Some(hi) = &part.hi {
                let end = records.partition_point(|r| r.id.as_str() <= hi.as_str());
                if end < records.len() || !more {
                    let rest = records.split_off(end);
                    part.rest = Some((rest, next.clone()));
                    part.done = true;
                }
            }
        }
        if let Some(last) = records.last() {
            part.last = Some(last.id.clone());
        }
        part.measure(&records);
        if !part.done {
            match next {
                Some(c) if more => part.next = Step::Continue(c),
                _ => part.done = true,
            }
        }
        if part.failure.is_some() {
            part.done = true;
        }
        if !records.is_empty() {
            let held = Page {
                records,
                body_bytes,
                ..Page::default()
            };
            part.held.push_back((held, body_bytes));
            self.held_bytes += body_bytes;
            self.listed.held_peak = self.listed.held_peak.max(self.held_bytes);
        }
    }
}
