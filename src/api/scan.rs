//! Reading a whole listing as fast as the API allows: the largest page size, and when the
//! API reports a total, several pages in flight at once (each decoded in a task of its own),
//! handed over in page order. `ls --all`, `stats` and the insight view's background scan use it.
//!
//! A listing read to the end must end even when the server never says so: [`Walk`] checks
//! every page in order and stops at the first empty page, fails when a page repeats the one
//! before it, and never reads past what an exact total allows. Pages still in flight when a
//! walk stops are aborted.

use futures::{StreamExt, stream};

use super::dialect::{Access, Continuation, Page, PageRequest};
use super::record::fingerprint;
use super::{ApiError, Client, ListQuery};
use crate::text::thousands;

/// How far a scan has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub pages_done: usize,
    /// Known once the first page reports a total.
    pub pages_total: Option<usize>,
    /// Records listed before the page just handed over: its first row's index.
    pub first_row: usize,
}

/// Answer memory a walk may hold in flight: pages in flight are reduced so that their bodies
/// together stay under it.
const IN_FLIGHT_BYTES: usize = 256 << 20;

/// Calls `on_page` with every page of `query` in order, `size` records per page, up to `jobs`
/// pages in flight when the total is known (one at a time otherwise). Stops early when
/// `on_page` returns false; fails when the server contradicts itself (see [`Walk`]).
pub async fn each_page(
    client: &Client,
    query: &ListQuery,
    size: usize,
    jobs: usize,
    mut on_page: impl FnMut(Page, Progress) -> bool,
) -> Result<(), ApiError> {
    // A store whose listing starts after any key is read by key range, parts at once.
    if jobs > 1 && client.reach().lists_by_key(query) {
        let options = super::ranged::Options::new(jobs);
        return super::ranged::each_page(client, query, size, options, on_page)
            .await
            .map(|_| ());
    }
    let first = client
        .list_page(query, PageRequest { number: 1, size })
        .await?;
    let sequential = client.dialect().access() == Access::Sequential;
    let mut walk = Walk::new(size, client.dialect().access());
    let more = walk.check(1, &first)?;
    // The server may serve fewer per page than asked: later pages are asked at its size, so
    // page numbers and offsets line up with what it serves.
    let size = walk.served();
    let request = move |number| PageRequest { number, size };
    let total_pages = first.total.map(|t| t.div_ceil(size).max(1));
    // Bodies like the first one, at most IN_FLIGHT_BYTES of them at once.
    let jobs = jobs.clamp(1, (IN_FLIGHT_BYTES / first.body_bytes.max(1)).max(1));
    let mut done = 1;
    let progress = |done, first_row| Progress {
        pages_done: done,
        pages_total: total_pages,
        first_row,
    };
    // What the next page continues from, for APIs read in order.
    let mut after = first.next.clone();
    if !on_page(first, progress(1, 0)) {
        return Ok(());
    }
    match total_pages {
        Some(pages) if more && jobs > 1 && !sequential => {
            let mut answers = stream::iter(2..=pages)
                .map(|n| {
                    let (client, query) = (client.clone(), query.clone());
                    spawned_page(async move { client.list_page(&query, request(n)).await })
                })
                .buffered(jobs);
            // Dropping `answers` (an end, an error) aborts the pages still in flight.
            while let Some(page) = answers.next().await {
                let page = page?;
                done += 1;
                let first_row = walk.listed();
                if !walk.check(done, &page)? {
                    // An empty last page has nothing to hand over.
                    if !page.records.is_empty() {
                        on_page(page, progress(done, first_row));
                    }
                    break;
                }
                if !on_page(page, progress(done, first_row)) {
                    break;
                }
            }
        }
        _ => {
            let next = more.then(|| Fetch::start(client, query, request(done + 1), after.take()));
            follow(client, query, &mut walk, next, |page, number, first_row| {
                on_page(page, progress(number, first_row))
            })
            .await?;
        }
    }
    match walk.take_failure() {
        Some(failure) => Err(failure),
        None => Ok(()),
    }
}

/// Walks a listing read in order from page `start` (continuing from `after`), handing every
/// page to `on_page` until the listing ends, the guards stop it, or `on_page` returns false:
/// the explorer's `G` and `:N` walks, by the walker `ls`, `stats` and the insight scan use.
pub async fn walk_from(
    client: &Client,
    query: &ListQuery,
    start: PageRequest,
    after: Option<Continuation>,
    mut on_page: impl FnMut(Page) -> bool,
) -> Result<(), ApiError> {
    let mut walk = Walk::new(start.size, client.dialect().access());
    let first = Fetch::start(client, query, start, after);
    follow(client, query, &mut walk, Some(first), |page, _, _| {
        on_page(page)
    })
    .await?;
    match walk.take_failure() {
        Some(failure) => Err(failure),
        None => Ok(()),
    }
}

/// The walker of a listing read in order: one page in flight, as a cursor is only known once
/// the page before it is in. The dialect reads the cursor from the answer before the records
/// are decoded, so the next request leaves while this page is decoded and handed over. Every
/// page is judged by `walk` first; `on_page` gets it with its number and first row, and
/// returns false to stop.
async fn follow(
    client: &Client,
    query: &ListQuery,
    walk: &mut Walk,
    mut next: Option<Fetch>,
    mut on_page: impl FnMut(Page, usize, usize) -> bool,
) -> Result<(), ApiError> {
    while let Some(fetch) = next.take() {
        let following = fetch.next;
        let number = following.number - 1;
        let (page, early) = fetch.finish(|c| !walk.has_seen(c)).await?;
        let first_row = walk.listed();
        let more = walk.check(number, &page)?;
        if page.records.is_empty() {
            break;
        }
        if more {
            // The request sent early is kept only when it continues from what the decoded
            // page says; otherwise (or if none left) it is sent now.
            next = Some(match early {
                Some(early) if early.after == page.next => early,
                _ => Fetch::start(client, query, following, page.next.clone()),
            });
        }
        if !on_page(page, number, first_row) {
            break;
        }
    }
    Ok(())
}

/// A page of a walk in order, in flight: its answer, and the request for the page after it,
/// sent as soon as the answer says what it continues from.
struct Fetch {
    after: Option<Continuation>,
    page: Aborting<Result<Page, ApiError>>,
    peek: tokio::sync::oneshot::Receiver<Continuation>,
    client: Client,
    query: ListQuery,
    next: PageRequest,
}

impl Fetch {
    fn start(
        client: &Client,
        query: &ListQuery,
        page: PageRequest,
        after: Option<Continuation>,
    ) -> Fetch {
        let (tell, peek) = tokio::sync::oneshot::channel();
        let task = {
            let (client, query, after) = (client.clone(), query.clone(), after.clone());
            Aborting(tokio::spawn(async move {
                client
                    .list_page_peeking(&query, page, after.as_ref(), Some(tell))
                    .await
            }))
        };
        Fetch {
            after,
            page: task,
            peek,
            client: client.clone(),
            query: query.clone(),
            next: PageRequest {
                number: page.number + 1,
                size: page.size,
            },
        }
    }

    /// The decoded page, and the request for the next one if it already left: it leaves
    /// early only for a continuation that is `fresh` (one that repeats waits for the walk's
    /// verdict on the decoded page).
    async fn finish(
        self,
        fresh: impl Fn(&Continuation) -> bool,
    ) -> Result<(Page, Option<Fetch>), ApiError> {
        let Fetch {
            page,
            peek,
            client,
            query,
            next,
            ..
        } = self;
        let mut page = page;
        let mut early = None;
        let answer = tokio::select! {
            biased;
            Ok(cursor) = peek => {
                if !fresh(&cursor) {
                    return (&mut page)
                        .await
                        .map_err(|e| ApiError::Config(format!("a page task failed: {e}")))?
                        .map(|page| (page, None));
                }
                early = Some(Fetch::start(&client, &query, next, Some(cursor)));
                (&mut page).await
            }
            answer = &mut page => answer,
        };
        let page = answer.map_err(|e| ApiError::Config(format!("a page task failed: {e}")))??;
        Ok((page, early))
    }
}

/// A task that is aborted when dropped, so a walk that stops takes its requests with it.
struct Aborting<T>(tokio::task::JoinHandle<T>);

/// A page request on a task of its own (so pages decode in parallel), aborted when the
/// future is dropped; a task that failed is an error like a failed request.
pub(super) fn spawned_page(
    request: impl std::future::Future<Output = Result<Page, ApiError>> + Send + 'static,
) -> impl std::future::Future<Output = Result<Page, ApiError>> {
    let task = Aborting(tokio::spawn(request));
    async move {
        task.await
            .map_err(|e| ApiError::Config(format!("a page task failed: {e}")))?
    }
}

impl<T> Drop for Aborting<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> std::future::Future for Aborting<T> {
    type Output = Result<T, tokio::task::JoinError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx)
    }
}

/// Why a listing ends where it is: the server contradicted itself. The one wording of the loop
/// guards, for the explorer (`listing::PagedList`), `ls`, `stats` and the insight scan
/// ([`Walk`]); the judges below are the one place each guard is decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contradiction {
    /// A page after the first is empty, though the server said there were more files.
    EmptyPage { page: usize, claimed: usize },
    /// A page after the first is empty, though it says more pages follow.
    EmptyButMore { page: usize },
    /// A page holds the same files as the page before it.
    RepeatedPage { page: usize, files: usize },
    /// The cursor after `page` is the one an earlier page gave for page `at`.
    CursorRepeats { page: usize, at: usize },
    /// The exact total changed between pages: files came or went while the listing was read.
    TotalChanged { page: usize, from: usize, to: usize },
    /// Pages keep coming past what an exact total allows.
    PastTotal { total: usize, last: usize },
}

impl std::fmt::Display for Contradiction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Contradiction::EmptyPage { page, claimed } => write!(
                f,
                "the server said {} files but page {page} is empty",
                thousands(claimed)
            ),
            Contradiction::EmptyButMore { page } => write!(
                f,
                "page {page} is empty but the server says more pages follow"
            ),
            Contradiction::RepeatedPage { page, files } => write!(
                f,
                "page {page} repeats page {} (the same {} files)",
                page - 1,
                thousands(files)
            ),
            Contradiction::CursorRepeats { page, at } => write!(
                f,
                "the server's cursor after page {page} repeats the one for page {at}"
            ),
            Contradiction::TotalChanged { page, from, to } => write!(
                f,
                "the server's total changed from {} to {} at page {page}",
                thousands(from),
                thousands(to)
            ),
            Contradiction::PastTotal { total, last } => write!(
                f,
                "the server said {} files but keeps sending pages past page {last}",
                thousands(total)
            ),
        }
    }
}

impl Contradiction {
    /// Said with how far the listing got: `…; listed 300`.
    pub fn listed(&self, listed: usize) -> String {
        format!("{self}; listed {}", thousands(listed))
    }

    /// An empty page `page` after the first, `listed` files before it: whether the server
    /// promised more (a total beyond them, or a next page).
    pub fn judge_empty(
        page: usize,
        claimed: Option<usize>,
        listed: usize,
        has_next: Option<bool>,
    ) -> Option<Contradiction> {
        if let Some(claimed) = claimed.filter(|t| *t > listed) {
            return Some(Contradiction::EmptyPage { page, claimed });
        }
        (has_next == Some(true)).then_some(Contradiction::EmptyButMore { page })
    }

    /// Page `page` of `files` files whose ids fingerprint as `this`, after a page that
    /// fingerprinted as `previous`.
    pub fn judge_repeat(
        page: usize,
        previous: Option<u64>,
        this: u64,
        files: usize,
    ) -> Option<Contradiction> {
        (previous == Some(this)).then_some(Contradiction::RepeatedPage { page, files })
    }

    /// Page `page` says the exact total is `now`; an earlier page said `said`.
    pub fn judge_total(
        page: usize,
        said: Option<usize>,
        now: Option<usize>,
    ) -> Option<Contradiction> {
        match (said, now) {
            (Some(from), Some(to)) if from != to => {
                Some(Contradiction::TotalChanged { page, from, to })
            }
            _ => None,
        }
    }
}

/// Which page each cursor or next link seen leads to, by a fixed-size fingerprint (eight
/// bytes each, never the continuation itself: a server paging for ever with 16 KiB cursors
/// would otherwise fill memory). The judge of a cursor that comes back.
#[derive(Debug, Clone, Default)]
pub struct SeenCursors(std::collections::HashMap<u64, usize>);

impl SeenCursors {
    /// `next`, given after page `page`, leads to page `page + 1`: a contradiction when an
    /// earlier page gave the same one for another page (the same page asked again is fine).
    pub fn see(&mut self, page: usize, next: &Continuation) -> Option<Contradiction> {
        let leads_to = page + 1;
        match self.0.get(&next.fingerprint()) {
            Some(at) if *at != leads_to => Some(Contradiction::CursorRepeats { page, at: *at }),
            Some(_) => None,
            None => {
                self.0.insert(next.fingerprint(), leads_to);
                None
            }
        }
    }

    /// Whether an earlier page already gave `next`.
    pub fn has_seen(&self, next: &Continuation) -> bool {
        self.0.contains_key(&next.fingerprint())
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// The loop guards of a walk through a listing, page by page in order. Pure: it judges each
/// page and says whether another follows, or why the walk must stop.
#[derive(Debug, Clone)]
pub struct Walk {
    access: Access,
    asked: usize,
    served: usize,
    /// The total the first page reported, when it is exact.
    total: Option<usize>,
    listed: usize,
    /// A fingerprint of the previous page's ids, to catch a server that repeats a page.
    previous: Option<u64>,
    /// Every cursor and next link seen so far, to catch one that comes back.
    seen: SeenCursors,
    /// Why the walk ended after a page that was itself fine (its cursor repeats, pages run
    /// past the total): reported once the page is handed over.
    failure: Option<ApiError>,
}

impl Walk {
    /// A walk asking for `asked` records per page of an API reached as `access` says.
    pub fn new(asked: usize, access: Access) -> Self {
        Walk {
            access,
            asked,
            served: asked,
            total: None,
            listed: 0,
            previous: None,
            seen: SeenCursors::default(),
            failure: None,
        }
    }

    /// Why a walk that ended cleanly must still fail, once its last page is handed over.
    /// Whether an earlier page already continued from `next`.
    pub fn has_seen(&self, next: &Continuation) -> bool {
        self.seen.has_seen(next)
    }

    pub fn take_failure(&mut self) -> Option<ApiError> {
        self.failure.take()
    }

    /// Records per page as the server serves them (known after page 1).
    pub fn served(&self) -> usize {
        self.served
    }

    /// Records listed so far.
    pub fn listed(&self) -> usize {
        self.listed
    }

    /// Judges page `number` (1 first): `Ok(true)` when another page follows, `Ok(false)` at the
    /// end, an error when the server contradicts itself. Pages must come in order.
    pub fn check(&mut self, number: usize, page: &Page) -> Result<bool, ApiError> {
        let len = page.records.len();
        if number == 1 {
            self.total = page.total.filter(|_| !page.total_is_estimate);
            let claims_more = page.has_next == Some(true) || page.total.is_some_and(|t| t > len);
            if len > 0 && len < self.asked && claims_more {
                self.served = len;
            }
        }
        let contradiction = |c: Contradiction, listed| ApiError::Inconsistent(c.listed(listed));
        if len == 0 {
            if number == 1 {
                return Ok(false);
            }
            return match Contradiction::judge_empty(number, self.total, self.listed, page.has_next)
            {
                Some(c) => Err(contradiction(c, self.listed)),
                None => Ok(false),
            };
        }
        let fingerprint = fingerprint(&page.records);
        if let Some(c) = Contradiction::judge_repeat(number, self.previous, fingerprint, len) {
            return Err(contradiction(c, self.listed));
        }
        self.previous = Some(fingerprint);
        self.listed += len;
        let now = page.total.filter(|_| !page.total_is_estimate);
        if number > 1
            && let Some(c) = Contradiction::judge_total(number, self.total, now)
        {
            // Files came or went while the listing was read: pages no longer line up, so
            // rows may be missed or listed twice. Said once this page is handed over.
            self.failure = Some(contradiction(c, self.listed));
            return Ok(false);
        }
        let more = match self.access {
            Access::Numbered => more_after(number, len, self.served, page.has_next, page.total),
            // Read in order: another page follows as long as the answer says how to get it.
            Access::Sequential => page.next.is_some() && page.has_next != Some(false),
        };
        if more
            && let Some(next) = &page.next
            && let Some(c) = self.seen.see(number, next)
        {
            self.failure = Some(contradiction(c, self.listed));
            return Ok(false);
        }
        if more
            && let Some(total) = self.total
            && number > total.div_ceil(self.served).max(1)
        {
            let last = total.div_ceil(self.served);
            self.failure = Some(contradiction(
                Contradiction::PastTotal { total, last },
                self.listed,
            ));
            return Ok(false);
        }
        Ok(more)
    }
}

/// Whether another page follows page `number` that held `len` records.
pub fn more_after(
    number: usize,
    len: usize,
    size: usize,
    has_next: Option<bool>,
    total: Option<usize>,
) -> bool {
    if len == 0 {
        return false;
    }
    match (has_next, total) {
        (Some(next), _) => next,
        (None, Some(total)) => number * size < total,
        (None, None) => len >= size,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::FileRecord;
    use serde_json::value::RawValue;

    fn record(i: usize) -> FileRecord {
        FileRecord {
            id: format!("id-{i}"),
            name: format!("f-{i}"),
            size: None,
            content_type: None,
            created_at: None,
            updated_at: None,
            url: None,
            problems: Vec::new(),
            raw: RawValue::from_string("{}".into()).unwrap(),
        }
    }

    fn page(rows: std::ops::Range<usize>, total: Option<usize>, has_next: Option<bool>) -> Page {
        Page {
            records: rows.map(record).collect(),
            total,
            has_next,
            ..Page::default()
        }
    }

    #[test]
    fn the_end_of_a_listing() {
        assert!(
            !more_after(1, 0, 100, Some(true), None),
            "an empty page ends it"
        );
        assert!(more_after(1, 100, 100, Some(true), None));
        assert!(!more_after(3, 100, 100, None, Some(300)));
        assert!(more_after(2, 100, 100, None, Some(301)));
        assert!(!more_after(1, 99, 100, None, None));
    }

    #[test]
    fn a_total_that_changes_mid_listing_stops_the_walk_after_its_page() {
        let mut walk = Walk::new(10, Access::Numbered);
        assert!(walk.check(1, &page(0..10, Some(30), None)).unwrap());
        assert!(walk.check(2, &page(10..20, Some(30), None)).unwrap());
        // Page 3 says 31: it is handed over, then the walk ends and says why.
        assert!(!walk.check(3, &page(20..30, Some(31), None)).unwrap());
        assert_eq!(walk.listed(), 30);
        let failure = walk.take_failure().unwrap().to_string();
        assert!(
            failure.contains("total changed from 30 to 31 at page 3; listed 30"),
            "{failure}"
        );
    }

    #[test]
    fn a_repeated_page_stops_the_walk() {
        let mut walk = Walk::new(3, Access::Numbered);
        assert!(walk.check(1, &page(0..3, None, Some(true))).unwrap());
        let err = walk.check(2, &page(0..3, None, Some(true))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "page 2 repeats page 1 (the same 3 files); listed 3"
        );
        assert_eq!(err.kind(), crate::api::error::ErrorKind::Unreadable);
    }

    #[test]
    fn an_empty_page_ends_the_walk_and_says_when_the_server_promised_more() {
        let mut walk = Walk::new(3, Access::Numbered);
        let huge = 1_000_000_000_000_000_000;
        assert!(walk.check(1, &page(0..3, Some(huge), None)).unwrap());
        let err = walk.check(2, &page(0..0, Some(huge), None)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the server said 1,000,000,000,000,000,000 files but page 2 is empty; listed 3"
        );
        let mut walk = Walk::new(3, Access::Numbered);
        walk.check(1, &page(0..3, None, Some(true))).unwrap();
        let err = walk.check(2, &page(0..0, None, Some(true))).unwrap_err();
        assert!(err.to_string().starts_with("page 2 is empty but"), "{err}");
        // Without a promise an empty page is simply the end.
        let mut walk = Walk::new(3, Access::Numbered);
        walk.check(1, &page(0..3, None, None)).unwrap();
        assert!(!walk.check(2, &page(0..0, None, None)).unwrap());
    }

    #[test]
    fn pages_past_an_exact_total_are_refused_but_not_past_an_estimate() {
        let mut walk = Walk::new(2, Access::Numbered);
        assert!(walk.check(1, &page(0..2, Some(4), Some(true))).unwrap());
        assert!(walk.check(2, &page(2..4, Some(4), Some(true))).unwrap());
        // The page itself is handed over; the walk ends with the reason after it.
        assert!(!walk.check(3, &page(4..6, Some(4), Some(true))).unwrap());
        let err = walk.take_failure().unwrap();
        assert!(
            err.to_string().contains("keeps sending pages past page 2"),
            "{err}"
        );

        let mut walk = Walk::new(2, Access::Numbered);
        let estimate = |rows, next| Page {
            total_is_estimate: true,
            ..page(rows, Some(4), Some(next))
        };
        walk.check(1, &estimate(0..2, true)).unwrap();
        walk.check(2, &estimate(2..4, true)).unwrap();
        assert!(walk.check(3, &estimate(4..6, true)).unwrap());
        assert!(!walk.check(4, &estimate(6..7, false)).unwrap());
    }

    #[test]
    fn a_server_serving_smaller_pages_is_walked_at_its_size() {
        let mut walk = Walk::new(1000, Access::Numbered);
        assert!(walk.check(1, &page(0..100, Some(250), None)).unwrap());
        assert_eq!(walk.served(), 100);
        assert!(walk.check(2, &page(100..200, Some(250), None)).unwrap());
        assert!(!walk.check(3, &page(200..250, Some(250), None)).unwrap());
        assert_eq!(walk.listed(), 250);
    }
}
