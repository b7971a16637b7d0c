//! The key-range lister (issue 26) against the demo's S3 on key spaces shaped as real
//! buckets are, and against stand-ins that break its assumptions (start-after ignored, keys
//! out of order, 503 SlowDown): the pages handed over are exactly a walk's, in order, each
//! key once; the parts really are read at once.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use filescope::api::ranged::{self, Options};
use filescope::api::{Client, ListQuery};
use filescope_demo::s3::KeySpace;
use filescope_demo::{DemoServer, S3_BUCKET};

fn client_at(endpoint: &str, bucket: &str, root: &str, levels: bool) -> Client {
    common::demo_s3_client(endpoint, bucket, root, "us-east-1", levels)
}

fn query(client: &Client) -> ListQuery {
    ListQuery::new(client.dialect().capabilities().default_sort)
}

/// Every id of the listing, one page after another (the walk `ls --jobs 1` makes).
async fn walked(client: &Client, size: usize) -> Vec<String> {
    let mut ids = Vec::new();
    filescope::api::scan::each_page(client, &query(client), size, 1, |page, _| {
        ids.extend(page.records.into_iter().map(|r| r.id));
        true
    })
    .await
    .unwrap();
    ids
}

/// Every id of the listing read by key range, and what the lister did.
async fn by_range(
    client: &Client,
    size: usize,
    jobs: usize,
    buffer_bytes: usize,
) -> (Vec<String>, ranged::Listed) {
    let mut ids = Vec::new();
    let options = Options { jobs, buffer_bytes };
    let listed = ranged::each_page(client, &query(client), size, options, |page, progress| {
        assert_eq!(
            progress.first_row,
            ids.len(),
            "rows are counted as handed over"
        );
        ids.extend(page.records.into_iter().map(|r| r.id));
        true
    })
    .await
    .unwrap();
    (ids, listed)
}

async fn demo(space: KeySpace, files: usize) -> DemoServer {
    common::Demo::new(files)
        .dialect("s3")
        .key_space(space)
        .start()
        .await
}

/// Exactly the walk's ids, in order, once each, on every shape of key space, listed
/// recursively and one level at a time (folders spanning the cut points); parts were cut,
/// and the requests stay near the walk's.
#[tokio::test(flavor = "multi_thread")]
async fn the_listing_by_key_range_is_exactly_the_walk_on_every_key_space() {
    for space in KeySpace::ALL {
        let server = demo(space, 6_000).await;
        for levels in [false, true] {
            let client = client_at(&server.base_url, S3_BUCKET, space.folder(), levels);
            let size = 100;
            let walk = walked(&client, size).await;
            let before = server.stats.list_requests();
            let (ids, listed) = by_range(&client, size, 8, 160 * 1024).await;
            let requests = (server.stats.list_requests() - before) as usize;
            assert_eq!(ids.len(), walk.len(), "{space:?} levels {levels}");
            assert!(
                ids == walk,
                "{space:?} levels {levels}: not the walk's order"
            );
            assert_eq!(listed.in_order, None, "{space:?} levels {levels}");
            assert_eq!(listed.requests, requests);
            let pages = walk.len().div_ceil(size);
            if pages > 8 {
                assert!(listed.parts > 4, "{space:?} levels {levels}: {listed:?}");
            }
            eprintln!(
                "{space:?} levels {levels}: {} entries, {pages} pages walked, {requests} requests in {} parts",
                walk.len(),
                listed.parts
            );
            // Parts of two pages here (a small budget): each part's last answer reaches into
            // the next part, so requests run above the pages; never without bound.
            assert!(
                requests <= pages * 5 / 2 + 8,
                "{space:?} levels {levels}: {requests} requests for {pages} pages"
            );
        }
    }
}

/// A stand-in S3 over `keys`: ListObjectsV2 with `max-keys`, `start-after` and a
/// continuation token (the index to go on from), each answer after `delay`. It counts the
/// requests in flight at once, and can be told to lie.
#[derive(Clone, Default)]
struct StandIn {
    keys: Arc<Vec<String>>,
    delay: Duration,
    /// Answers as if no `start-after` was given.
    ignore_start_after: bool,
    /// Swaps the first two keys of every answer after a start key.
    out_of_order: bool,
    /// Answers these requests (by arrival, 1 first) 503 SlowDown with `Retry-After: 1`.
    slow_down: std::ops::Range<usize>,
    arrived: Arc<AtomicUsize>,
    now: Arc<AtomicUsize>,
    /// The most requests in flight at once, before and after the first 503.
    peak: Arc<Mutex<(usize, usize)>>,
    throttled: Arc<Mutex<Option<std::time::Instant>>>,
    /// Requests that arrived within a second of the first 503.
    early: Arc<AtomicUsize>,
    /// Requests that arrived after the first 503.
    after: Arc<AtomicUsize>,
}

impl StandIn {
    async fn serve(self) -> String {
        let app = axum::Router::new().fallback(
            move |axum::extract::RawQuery(q): axum::extract::RawQuery| {
                let this = self.clone();
                async move { this.answer(q.unwrap_or_default()).await }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        endpoint
    }

    async fn answer(&self, query: String) -> axum::response::Response {
        use axum::response::IntoResponse;
        let n = self.arrived.fetch_add(1, Ordering::SeqCst) + 1;
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        let throttled_at = *self.throttled.lock().unwrap();
        {
            let mut peak = self.peak.lock().unwrap();
            if throttled_at.is_some() {
                // The dozen requests after the first 503.
                if self.after.fetch_add(1, Ordering::SeqCst) < 12 {
                    peak.1 = peak.1.max(now);
                }
            } else {
                peak.0 = peak.0.max(now);
            }
        }
        let url = reqwest::Url::parse(&format!("http://stand.in/?{query}")).unwrap();
        let param = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        let token = param("continuation-token");
        if let Some(at) = throttled_at
            && at.elapsed() < Duration::from_millis(900)
        {
            self.early.fetch_add(1, Ordering::SeqCst);
        }
        tokio::time::sleep(self.delay).await;
        self.now.fetch_sub(1, Ordering::SeqCst);
        if self.slow_down.contains(&n) {
            self.throttled
                .lock()
                .unwrap()
                .get_or_insert_with(std::time::Instant::now);
            let body = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
            return (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                [("retry-after", "1"), ("content-type", "application/xml")],
                body,
            )
                .into_response();
        }
        let size: usize = param("max-keys")
            .and_then(|m| m.parse().ok())
            .unwrap_or(1000);
        let after = param("start-after").filter(|_| !self.ignore_start_after);
        let from = match (&token, &after) {
            (Some(t), _) => t.parse().unwrap(),
            (None, Some(a)) => self.keys.partition_point(|k| k.as_str() <= a.as_str()),
            (None, None) => 0,
        };
        let end = (from + size).min(self.keys.len());
        let mut page: Vec<&String> = self.keys[from..end].iter().collect();
        if self.out_of_order && after.is_some() && page.len() > 1 {
            page.swap(0, 1);
        }
        let truncated = end < self.keys.len();
        let mut xml = format!(
            "<ListBucketResult><IsTruncated>{truncated}</IsTruncated><KeyCount>{}</KeyCount>",
            page.len()
        );
        if truncated {
            xml.push_str(&format!(
                "<NextContinuationToken>{end}</NextContinuationToken>"
            ));
        }
        for key in page {
            xml.push_str(&format!(
                "<Contents><Key>{key}</Key><Size>1</Size></Contents>"
            ));
        }
        xml.push_str("</ListBucketResult>");
        ([("content-type", "application/xml")], xml).into_response()
    }
}

/// Every string of one to three characters of `a`, `b`, `/` and `~`, sorted: whatever key a
/// cut lands on, keys sit on it and on either side.
fn dense_keys() -> Vec<String> {
    let alphabet = ['/', 'a', 'b', '~'];
    let mut keys = Vec::new();
    for a in alphabet {
        keys.push(a.to_string());
        for b in alphabet {
            keys.push(format!("{a}{b}"));
            for c in alphabet {
                keys.push(format!("{a}{b}{c}"));
                for d in ['0', '5', '9'] {
                    for e in 0..4 {
                        keys.push(format!("{a}{b}{c}{d}{e}"));
                    }
                }
            }
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

fn stand_in(keys: Vec<String>) -> StandIn {
    StandIn {
        keys: Arc::new(keys),
        delay: Duration::from_millis(5),
        ..StandIn::default()
    }
}

/// Keys sitting on and beside every cut point, and the parts read at once: the store saw
/// several requests in flight together, and the listing is the walk's.
#[tokio::test(flavor = "multi_thread")]
async fn keys_beside_the_cut_points_are_listed_once_each_in_order_by_parts_read_at_once() {
    let keys = dense_keys();
    let server = stand_in(keys.clone());
    let peak = Arc::clone(&server.peak);
    let endpoint = server.serve().await;
    let client = client_at(&endpoint, "bkt", "", false);
    let (ids, listed) = by_range(&client, 20, 8, 16 * 1024).await;
    assert_eq!(ids.len(), keys.len());
    assert!(ids == keys, "not the keys in order");
    assert_eq!(listed.in_order, None);
    assert!(listed.parts >= 8, "{listed:?}");
    let (before, _) = *peak.lock().unwrap();
    assert!(before >= 4, "at most {before} requests in flight at once");
    // Through the walker `ls --all`, `stats` and the insight scan use: the same.
    *peak.lock().unwrap() = (0, 0);
    let mut through_scan = Vec::new();
    filescope::api::scan::each_page(&client, &query(&client), 20, 8, |page, _| {
        through_scan.extend(page.records.into_iter().map(|r| r.id));
        true
    })
    .await
    .unwrap();
    assert!(through_scan == keys);
    let (after_scan, _) = *peak.lock().unwrap();
    assert!(after_scan >= 4, "each_page read one page at a time");
}

/// A store that ignores `start-after` answers every part from the first key: caught on
/// the first answer of the first part cut, and the listing goes on in order from where the
/// writer is, without a repeated or a missing key.
#[tokio::test(flavor = "multi_thread")]
async fn a_store_that_ignores_start_after_is_listed_in_order_with_a_notice() {
    let keys = dense_keys();
    let mut server = stand_in(keys.clone());
    server.ignore_start_after = true;
    let endpoint = server.serve().await;
    let notices = Arc::new(Mutex::new(Vec::new()));
    let heard = Arc::clone(&notices);
    let client = client_at(&endpoint, "bkt", "", false)
        .with_notifier(move |n| heard.lock().unwrap().push(n.describe()));
    let (ids, listed) = by_range(&client, 20, 8, 16 * 1024).await;
    assert_eq!(ids.len(), keys.len());
    assert!(ids == keys, "a wrong or repeated listing");
    let why = listed.in_order.unwrap();
    assert!(why.contains("ignored the start key"), "{why}");
    let notices = notices.lock().unwrap();
    assert!(
        notices
            .iter()
            .any(|n| n.contains("listing one page after another")),
        "{notices:?}"
    );
}

/// Answers whose keys are out of order after a start key: caught, listed in order as the
/// walk lists it (the walk's output, lies included, never a mix).
#[tokio::test(flavor = "multi_thread")]
async fn keys_out_of_order_send_the_listing_in_order() {
    let keys = dense_keys();
    let mut server = stand_in(keys.clone());
    server.out_of_order = true;
    let endpoint = server.serve().await;
    let client = client_at(&endpoint, "bkt", "", false);
    let walk = walked(&client, 20).await;
    let (ids, listed) = by_range(&client, 20, 8, 16 * 1024).await;
    assert!(ids == walk, "not the walk's listing");
    let why = listed.in_order.unwrap();
    assert!(why.contains("out of order"), "{why}");
}

/// 503 SlowDown halves the requests in flight and holds new ones for the `Retry-After` the
/// store asked; the listing is still exact.
#[tokio::test(flavor = "multi_thread")]
async fn slow_down_answers_reduce_the_parts_in_flight_and_honour_retry_after() {
    let keys = dense_keys();
    let mut server = stand_in(keys.clone());
    server.delay = Duration::from_millis(20);
    server.slow_down = 12..16;
    let peak = Arc::clone(&server.peak);
    let early = Arc::clone(&server.early);
    let endpoint = server.serve().await;
    let client = client_at(&endpoint, "bkt", "", false);
    let (ids, listed) = by_range(&client, 20, 8, 64 * 1024).await;
    assert!(ids == keys, "not the keys in order");
    assert_eq!(listed.in_order, None);
    let (before, after) = *peak.lock().unwrap();
    assert!(before >= 6, "{before} in flight before the 503s");
    assert!(
        after <= before / 2 + 2,
        "{after} in flight after the 503s, {before} before"
    );
    // The retries of the throttled requests themselves wait as asked; new requests wait too.
    let early = early.load(Ordering::SeqCst);
    assert!(early <= 8, "{early} requests within the Retry-After");
}
