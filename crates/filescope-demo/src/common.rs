//! Plumbing every dialect's server shares: latency, request counting and
//! rate-limit headers (one middleware), JSON responses, hand-parsed query
//! parameters whose errors each dialect words in its own envelope, cached
//! filter scans run off the async workers, and invertible record ids.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat};
use serde::Serialize;

use super::ServerStats;
use super::dataset::{Dataset, DatasetQuery, Order};
pub(super) use super::dataset::{lowercase_into, mix};

/// What every dialect's router is built from.
pub(super) struct Context {
    pub dataset: Arc<Dataset>,
    pub stats: Arc<ServerStats>,
    /// The only accepted credential, whatever header the dialect reads it from.
    pub api_key: String,
    pub latency: Duration,
    /// The share of requests answered with a fault (see [`super::DemoConfig::chaos`]).
    pub chaos: f64,
    /// `http://HOST:PORT` of this server (= [`super::DemoServer::base_url`]):
    /// every download link the demo hands out points here, never elsewhere.
    pub origin: String,
    /// File contents' throttle (see [`super::DemoConfig::bandwidth`]).
    pub bandwidth: Option<u64>,
    /// What only the S3 dialect reads (its region).
    pub s3: super::s3::S3Options,
    /// The keys the S3 dialect serves.
    pub s3_keys: super::s3::KeySpace,
    /// What only the GCS dialect reads (the accounts its token endpoint takes).
    pub gcs: super::gcs::GcsOptions,
}

/// How [`serve`] wraps a dialect's router.
pub(super) struct Plumbing {
    /// Whether a GET/HEAD to this path is a listing request (see
    /// [`ServerStats::list_requests`]).
    pub is_list: fn(&str) -> bool,
    /// Requests per minute announced in `X-RateLimit-*` headers; `None`: no headers.
    pub rate_limit: Option<u64>,
}

struct Layer {
    stats: Arc<ServerStats>,
    latency: Duration,
    chaos: f64,
    /// Numbers requests, so which ones get a fault is reproducible.
    sequence: std::sync::atomic::AtomicU64,
    is_list: fn(&str) -> bool,
    rate_limit: Option<RateWindow>,
}

/// Adds the shared middleware to a dialect's finished router. It applies to
/// the fallbacks too: every request is delayed, counted and rate-limit tagged.
pub(super) fn serve(router: Router, context: &Context, plumbing: Plumbing) -> Router {
    let layer = Arc::new(Layer {
        stats: Arc::clone(&context.stats),
        latency: context.latency,
        chaos: context.chaos,
        sequence: std::sync::atomic::AtomicU64::new(0),
        is_list: plumbing.is_list,
        rate_limit: plumbing.rate_limit.map(RateWindow::new),
    });
    router.layer(middleware::from_fn_with_state(layer, delay_and_count))
}

async fn delay_and_count(
    State(layer): State<Arc<Layer>>,
    request: Request,
    next: Next,
) -> Response {
    let listing = (layer.is_list)(request.uri().path())
        && matches!(*request.method(), Method::GET | Method::HEAD);
    if !layer.latency.is_zero() {
        tokio::time::sleep(layer.latency).await;
    }
    if layer.chaos > 0.0 {
        let n = layer.sequence.fetch_add(1, Ordering::Relaxed);
        let roll = mix(n ^ 0xC4A0_5EED) % 10_000;
        if (roll as f64) < layer.chaos * 10_000.0 {
            layer.stats.requests.fetch_add(1, Ordering::Relaxed);
            if listing {
                layer.stats.list_requests.fetch_add(1, Ordering::Relaxed);
            }
            return fault(roll % 4, next, request).await;
        }
    }
    let mut response = next.run(request).await;
    if let Some(window) = &layer.rate_limit {
        window.tag(response.headers_mut(), unix_now());
    }
    // Counted once answered, so a client that has its response sees the count.
    layer.stats.requests.fetch_add(1, Ordering::Relaxed);
    if listing {
        layer.stats.list_requests.fetch_add(1, Ordering::Relaxed);
    }
    response
}

/// One injected fault: a 503, a 429 asking to retry at once, a body cut short (the
/// connection closes before the promised length), or 300 ms of extra latency.
async fn fault(kind: u64, next: Next, request: Request) -> Response {
    match kind {
        0 => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"success":false,"error":"chaos","message":"injected 503"}"#,
        )
            .into_response(),
        1 => (
            StatusCode::TOO_MANY_REQUESTS,
            [
                (header::RETRY_AFTER, "0"),
                (header::CONTENT_TYPE, "application/json"),
            ],
            r#"{"success":false,"error":"chaos","message":"injected 429"}"#,
        )
            .into_response(),
        2 => {
            // Half the real body, announced at its full length: the client sees the
            // connection end early, as when a proxy or the network drops it.
            let response = next.run(request).await;
            let (mut parts, body) = response.into_parts();
            let declared = parts
                .headers
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
            if let Some(length) = declared {
                // A streamed body (file contents, which S3 serves up to
                // gigabytes): cut it on the way rather than buffering it.
                return Response::from_parts(parts, cut_short(body, length / 2));
            }
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let half = bytes.slice(..bytes.len() / 2);
            let stream = futures::StreamExt::chain(
                futures::stream::iter([Ok::<_, std::io::Error>(half)]),
                futures::stream::once(async {
                    Err(std::io::Error::other("injected: connection dropped"))
                }),
            );
            parts
                .headers
                .insert(header::CONTENT_LENGTH, bytes.len().into());
            Response::from_parts(parts, axum::body::Body::from_stream(stream))
        }
        _ => {
            tokio::time::sleep(Duration::from_millis(300)).await;
            next.run(request).await
        }
    }
}

/// The first `keep` bytes of `body`, then an error: the connection drops.
fn cut_short(body: axum::body::Body, keep: u64) -> axum::body::Body {
    use futures::StreamExt as _;
    let data = body.into_data_stream();
    let head = futures::stream::unfold((data, keep), |(mut data, left)| async move {
        if left == 0 {
            return None;
        }
        match data.next().await? {
            Ok(chunk) => {
                let take = (chunk.len() as u64).min(left);
                Some((Ok(chunk.slice(..take as usize)), (data, left - take)))
            }
            Err(error) => Some((Err(std::io::Error::other(error)), (data, 0))),
        }
    });
    let dropped =
        futures::stream::once(async { Err(std::io::Error::other("injected: connection dropped")) });
    axum::body::Body::from_stream(head.chain(dropped))
}

/// A fixed one-minute window, aligned to the clock's minutes, as the
/// `X-RateLimit-*` headers describe it. The demo never throttles: once the
/// window's budget is spent `Remaining` stays at 0 until the window resets.
struct RateWindow {
    limit: u64,
    /// (window start in Unix seconds, requests seen in it)
    used: Mutex<(i64, u64)>,
}

const RATE_WINDOW_SECONDS: i64 = 60;

impl RateWindow {
    fn new(limit: u64) -> Self {
        RateWindow {
            limit,
            used: Mutex::new((0, 0)),
        }
    }

    fn tag(&self, headers: &mut HeaderMap, now: i64) {
        let start = now - now.rem_euclid(RATE_WINDOW_SECONDS);
        let used = {
            let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
            if used.0 != start {
                *used = (start, 0);
            }
            used.1 += 1;
            used.1
        };
        let values = [
            ("x-ratelimit-limit", self.limit.to_string()),
            (
                "x-ratelimit-remaining",
                self.limit.saturating_sub(used).to_string(),
            ),
            (
                "x-ratelimit-reset",
                (start + RATE_WINDOW_SECONDS).to_string(),
            ),
        ];
        for (name, value) in values {
            headers.insert(
                HeaderName::from_static(name),
                HeaderValue::from_str(&value).expect("digits are a valid header value"),
            );
        }
    }
}

pub(super) fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub(super) fn iso(unix_seconds: i64) -> String {
    DateTime::from_timestamp(unix_seconds, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(super) fn json_bytes(status: StatusCode, body: Vec<u8>) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

pub(super) fn json(status: StatusCode, body: &impl Serialize) -> Response {
    json_bytes(
        status,
        serde_json::to_vec(body).expect("response bodies always serialise"),
    )
}

/// `http://<Host header>`, for absolute URLs in bodies and redirects, as a
/// server behind its own name builds them. The demo speaks plain HTTP only.
pub(super) fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// The credential of `Authorization: Bearer <token>`, checked against the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Bearer {
    /// No Authorization header at all.
    Missing,
    /// An Authorization header with another scheme (Basic, a bare key, ...).
    WrongScheme,
    /// A Bearer token that is not the key.
    Invalid,
    Valid,
}

impl Bearer {
    pub(super) fn check(headers: &HeaderMap, api_key: &str) -> Bearer {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Bearer::Missing;
        };
        let value = value.as_bytes();
        // The scheme is case-insensitive (RFC 9110); the token is not.
        match value.split_first_chunk::<7>() {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case(b"bearer ") => {
                if token.trim_ascii() == api_key.as_bytes() {
                    Bearer::Valid
                } else {
                    Bearer::Invalid
                }
            }
            _ => Bearer::WrongScheme,
        }
    }
}

// ---- query parameters ---------------------------------------------------------

/// The raw query of a request, as axum extracts it (a rejection is kept so the
/// dialect can answer it in its own envelope).
/// Why a signed download link was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LinkRefusal {
    Malformed,
    NoExpiry,
    BadSignature,
    Expired,
}

impl LinkRefusal {
    pub(super) fn reason(self) -> &'static str {
        match self {
            LinkRefusal::Malformed => "Malformed query string",
            LinkRefusal::NoExpiry => "Missing or invalid expires",
            LinkRefusal::BadSignature => "The signature does not match",
            LinkRefusal::Expired => "The link has expired",
        }
    }
}

/// Checks a signed link every dialect hands out the same way: an `expires` (Unix seconds) and
/// a signature in the parameter `name` that must equal `expected(expires)`, not yet expired.
pub(super) fn check_signed_link(
    query: RawQuery,
    name: &str,
    expected: impl Fn(i64) -> String,
) -> Result<(), LinkRefusal> {
    let params = Params::from_raw(query).map_err(|_| LinkRefusal::Malformed)?;
    let expires = params
        .raw("expires")
        .and_then(|e| e.parse::<i64>().ok())
        .ok_or(LinkRefusal::NoExpiry)?;
    if params.raw(name) != Some(expected(expires).as_str()) {
        return Err(LinkRefusal::BadSignature);
    }
    if expires <= unix_now() {
        return Err(LinkRefusal::Expired);
    }
    Ok(())
}

pub(super) type RawQuery = Result<Query<HashMap<String, String>>, QueryRejection>;

/// Query parameters by name, parsed by hand so every invalid value gets the
/// dialect's own error body.
pub(super) struct Params(HashMap<String, String>);

/// A parameter the dialect must reject.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ParamError {
    pub name: &'static str,
    /// The value as given (unquoted; see [`quoted`] before echoing it).
    pub value: String,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Problem {
    /// Not an integer at all.
    NotInteger,
    /// An integer below the minimum.
    TooSmall(u64),
    /// An integer above the maximum.
    TooLarge(u64),
    /// Not one of these values.
    NotOneOf(Vec<&'static str>),
    NotBoolean,
    /// Fails a dialect-specific rule, described in the text.
    Invalid(&'static str),
}

impl ParamError {
    /// "must be an integer between 1 and 100 (got \"0\")"-style wording, for
    /// dialects whose messages are plain English.
    pub(super) fn plain(&self) -> String {
        let rule = match &self.problem {
            Problem::NotInteger => "must be an integer".to_owned(),
            Problem::TooSmall(min) => format!("must be at least {min}"),
            Problem::TooLarge(max) => format!("must be at most {max}"),
            Problem::NotOneOf(allowed) => format!("must be one of {}", allowed.join(", ")),
            Problem::NotBoolean => "must be true or false".to_owned(),
            Problem::Invalid(rule) => (*rule).to_owned(),
        };
        format!("{} {rule} (got {})", self.name, quoted(&self.value))
    }
}

impl Params {
    /// The parameters, or why the query string is unreadable.
    pub(super) fn from_raw(raw: RawQuery) -> Result<Params, String> {
        raw.map(|Query(map)| Params(map))
            .map_err(|rejection| format!("malformed query string: {rejection}"))
    }

    /// The value as given, even if empty.
    pub(super) fn raw(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The value, `None` if absent or empty (an empty filter filters nothing).
    pub(super) fn text(&self, name: &str) -> Option<&str> {
        self.raw(name).filter(|v| !v.is_empty())
    }

    fn error(&self, name: &'static str, problem: Problem) -> ParamError {
        ParamError {
            name,
            value: self.raw(name).unwrap_or_default().to_owned(),
            problem,
        }
    }

    /// An integer in `min..=max`, or `None` if absent. Negative numbers are
    /// integers below the minimum, not malformed.
    pub(super) fn integer(
        &self,
        name: &'static str,
        min: u64,
        max: u64,
    ) -> Result<Option<u64>, ParamError> {
        let Some(value) = self.raw(name) else {
            return Ok(None);
        };
        match value.parse::<i128>() {
            Err(_) => Err(self.error(name, Problem::NotInteger)),
            Ok(n) if n < i128::from(min) => Err(self.error(name, Problem::TooSmall(min))),
            Ok(n) if n > i128::from(max) => Err(self.error(name, Problem::TooLarge(max))),
            Ok(n) => Ok(Some(n as u64)),
        }
    }

    /// One of the named values (exact match), or `None` if absent.
    pub(super) fn one_of<T: Copy>(
        &self,
        name: &'static str,
        choices: &[(&'static str, T)],
    ) -> Result<Option<T>, ParamError> {
        let Some(value) = self.raw(name) else {
            return Ok(None);
        };
        match choices.iter().find(|(wire, _)| *wire == value) {
            Some((_, choice)) => Ok(Some(*choice)),
            None => Err(self.error(
                name,
                Problem::NotOneOf(choices.iter().map(|(wire, _)| *wire).collect()),
            )),
        }
    }

    /// A boolean spelled as one of `truthy` or `falsy` (ASCII case-insensitive).
    pub(super) fn boolean(
        &self,
        name: &'static str,
        truthy: &[&str],
        falsy: &[&str],
    ) -> Result<Option<bool>, ParamError> {
        let Some(value) = self.raw(name) else {
            return Ok(None);
        };
        let is = |spellings: &[&str]| spellings.iter().any(|s| s.eq_ignore_ascii_case(value));
        if is(truthy) {
            Ok(Some(true))
        } else if is(falsy) {
            Ok(Some(false))
        } else {
            Err(self.error(name, Problem::NotBoolean))
        }
    }

    /// A text value that must pass `valid`, or `None` if absent or empty.
    pub(super) fn checked(
        &self,
        name: &'static str,
        rule: &'static str,
        valid: impl Fn(&str) -> bool,
    ) -> Result<Option<&str>, ParamError> {
        match self.text(name) {
            Some(value) if !valid(value) => Err(self.error(name, Problem::Invalid(rule))),
            value => Ok(value),
        }
    }
}

/// Every rejected parameter of a request, each worded by the dialect
/// (`word`), so a request with several bad parameters hears about all of them
/// at once, as real validators report.
pub(super) struct Checks<E> {
    problems: Vec<E>,
    word: fn(ParamError) -> E,
}

impl<E> Checks<E> {
    pub(super) fn new(word: fn(ParamError) -> E) -> Self {
        Checks {
            problems: Vec::new(),
            word,
        }
    }

    /// The value, or `None` with the problem noted.
    pub(super) fn take<T>(&mut self, result: Result<Option<T>, ParamError>) -> Option<T> {
        result.unwrap_or_else(|error| {
            self.problems.push((self.word)(error));
            None
        })
    }

    /// Notes a problem found some other way.
    pub(super) fn push(&mut self, problem: E) {
        self.problems.push(problem);
    }

    /// `page` (at least 1, default 1) and the page size parameter `size`
    /// (1..=max); the total is for the caller to fill in.
    pub(super) fn page(
        &mut self,
        params: &Params,
        size: &'static str,
        max: u64,
        default: u64,
    ) -> PageWindow {
        PageWindow {
            page: self.take(params.integer("page", 1, u64::MAX)).unwrap_or(1),
            size: self.take(params.integer(size, 1, max)).unwrap_or(default),
            total: 0,
        }
    }

    /// `Err` with every problem, if there was any.
    pub(super) fn finish(self) -> Result<(), Vec<E>> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(self.problems)
        }
    }
}

/// A user-supplied value for an error message: shortened, with control
/// characters escaped so the message itself is safe to print.
pub(super) fn quoted(value: &str) -> String {
    const MAX_CHARS: usize = 40;
    let mut short: String = value.chars().take(MAX_CHARS).collect();
    if value.chars().nth(MAX_CHARS).is_some() {
        short.push('…');
    }
    format!("{short:?}")
}

// ---- paging --------------------------------------------------------------------

/// A numbered page over `total` records: the arithmetic every dialect shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PageWindow {
    /// 1-based.
    pub page: u64,
    pub size: u64,
    pub total: u64,
}

impl PageWindow {
    pub(super) fn offset(self) -> u64 {
        (self.page - 1).saturating_mul(self.size)
    }

    /// 0 when there are no records.
    pub(super) fn pages(self) -> u64 {
        self.total.div_ceil(self.size)
    }

    pub(super) fn has_next(self) -> bool {
        self.offset().saturating_add(self.size) < self.total
    }

    pub(super) fn has_previous(self) -> bool {
        self.page > 1
    }

    /// Positions in the listing of this page's records, clamped to the end.
    pub(super) fn positions(self) -> (usize, usize) {
        let offset = usize::try_from(self.offset()).unwrap_or(usize::MAX);
        (offset, usize::try_from(self.size).unwrap_or(usize::MAX))
    }
}

// ---- work off the async workers ----------------------------------------------------

/// A blocking thread panicked or was cancelled: answer 500.
#[derive(Debug)]
pub(super) struct Internal;

/// Runs a sort or scan on a blocking thread: they can take a while on a big
/// dataset and must not stall the async workers.
pub(super) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Internal> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| Internal)
}

/// `dataset.order(query)`, on a blocking thread unless it is already built
/// (the first sort by a key or a new filter scan can take a while).
pub(super) async fn dataset_order(
    dataset: &Arc<Dataset>,
    query: DatasetQuery,
) -> Result<Order, Internal> {
    if let Some(order) = dataset.cached_order(&query) {
        return Ok(order);
    }
    let dataset = Arc::clone(dataset);
    blocking(move || dataset.order(&query)).await
}

/// The value of a lazily built, dataset-lifetime cell of `state`, built on a
/// blocking thread the first time.
pub(super) async fn lazily<S, T>(
    state: &Arc<S>,
    cell: fn(&S) -> &OnceLock<T>,
    init: fn(&S) -> T,
) -> Result<T, Internal>
where
    S: Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
{
    if let Some(value) = cell(state).get() {
        return Ok(value.clone());
    }
    let state = Arc::clone(state);
    blocking(move || cell(&state).get_or_init(|| init(&state)).clone()).await
}

/// How many distinct filters a [`ScanCache`] keeps.
const SCAN_CACHE_ENTRIES: usize = 16;

/// The record indices each recently used filter selects (most recent first),
/// so a page of a filtered listing costs a scan only the first time.
pub(super) struct ScanCache<K> {
    entries: Mutex<Vec<(K, Arc<Vec<u32>>)>>,
}

impl<K: PartialEq + Clone + Send + 'static> ScanCache<K> {
    pub(super) fn new() -> Self {
        ScanCache {
            entries: Mutex::new(Vec::new()),
        }
    }

    pub(super) fn get(&self, key: &K) -> Option<Arc<Vec<u32>>> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let position = entries.iter().position(|(k, _)| k == key)?;
        let entry = entries.remove(position);
        let hit = Arc::clone(&entry.1);
        entries.insert(0, entry);
        Some(hit)
    }

    fn put(&self, key: K, value: Arc<Vec<u32>>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // Two requests may have raced to build the same entry: keep one.
        entries.retain(|(k, _)| *k != key);
        entries.insert(0, (key, value));
        entries.truncate(SCAN_CACHE_ENTRIES);
    }

    /// The cached selection for `key`, or `scan` run on a blocking thread and cached.
    pub(super) async fn get_or_scan(
        &self,
        key: &K,
        scan: impl FnOnce() -> Vec<u32> + Send + 'static,
    ) -> Result<Arc<Vec<u32>>, Internal> {
        if let Some(hit) = self.get(key) {
            return Ok(hit);
        }
        let built = Arc::new(blocking(scan).await?);
        self.put(key.clone(), Arc::clone(&built));
        Ok(built)
    }

    /// The cached selection for `key`, or `scan(state, key)` run on a blocking
    /// thread and cached.
    pub(super) async fn select<S: Send + Sync + 'static>(
        &self,
        state: &Arc<S>,
        key: &K,
        scan: fn(&S, &K) -> Vec<u32>,
    ) -> Result<Arc<Vec<u32>>, Internal> {
        let (state, owned) = (Arc::clone(state), key.clone());
        self.get_or_scan(key, move || scan(&state, &owned)).await
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().unwrap().len()
    }
}

thread_local! {
    /// A name scan's reused buffers, one pair per scanning thread.
    static NAME: std::cell::RefCell<(String, String)> =
        const { std::cell::RefCell::new((String::new(), String::new())) };
}

/// Whether `test` holds for the lowercased `file_name` of record `index`,
/// without allocating per record (for whole-dataset scans).
pub(super) fn lowercase_name_matches(
    dataset: &Dataset,
    index: usize,
    test: impl FnOnce(&str) -> bool,
) -> bool {
    NAME.with_borrow_mut(|(name, lower)| {
        name.clear();
        dataset.write_file_name(index, name);
        lowercase_into(name, lower);
        test(lower)
    })
}

// ---- derived attributes ----------------------------------------------------------

/// Salts of [`Dataset::derive`], one per derived attribute of every dialect,
/// so no two attributes are correlated. Append only: renumbering changes the data.
#[derive(Debug, Clone, Copy)]
#[repr(u32)]
pub(super) enum Salt {
    IdCipher = 1,
    OpenWebUiUser,
    OpenWebUiHash,
    OpenWebUiFileHash,
    OpenWebUiStatus,
    OpenWebUiNulls,
    OpenWebUiContent,
    FlextellTrashed,
    FlextellCategory,
    FlextellFileable,
    FlextellGroup,
    FlextellDescription,
    FlextellSecret,
    FileGuardContext,
    FileGuardUploader,
    FileGuardDownloads,
    FileGuardChecksum,
    FileGuardMetadata,
    AstraFolder,
    AstraMetadata,
    AstraFolderIds,
    AstraSecret,
    OpenWebUiUsers,
    FileGuardUploaders,
    FlextellGroups,
    Content,
    ContentTag,
    GithubDownloads,
    GithubDigest,
    DrfOwner,
    DrfMicros,
    StripeIdTail,
    DriveId,
    DrivePageToken,
    BoxSha1,
    S3Folder,
    S3ETag,
    S3StorageClass,
    S3VersionId,
    S3Metadata,
    S3TokenKey,
    S3KeySpace,
}

impl Salt {
    pub(super) fn of(self, dataset: &Dataset, index: usize) -> u64 {
        dataset.derive(index, self as u32)
    }

    pub(super) fn global(self, dataset: &Dataset) -> u64 {
        dataset.derive_global(self as u32)
    }
}

/// A keyed bijection on `u32`, so an opaque-looking id can carry its record
/// index and be mapped back without any table.
#[derive(Debug, Clone, Copy)]
pub(super) struct IdCipher {
    xor: u32,
    add: u32,
}

/// Odd, so multiplying by it is a bijection mod 2^32.
const CIPHER_MULTIPLIER: u32 = 0x9e37_79b1;
/// Its inverse mod 2^32 (Newton's iteration doubles the correct bits each step).
const CIPHER_INVERSE: u32 = {
    let mut inverse = CIPHER_MULTIPLIER;
    let mut step = 0;
    while step < 5 {
        inverse = inverse.wrapping_mul(2u32.wrapping_sub(CIPHER_MULTIPLIER.wrapping_mul(inverse)));
        step += 1;
    }
    inverse
};

impl IdCipher {
    pub(super) fn new(dataset: &Dataset) -> Self {
        let key = Salt::IdCipher.global(dataset);
        IdCipher {
            xor: key as u32,
            add: (key >> 32) as u32,
        }
    }

    pub(super) fn encode(self, index: usize) -> u32 {
        ((index as u32) ^ self.xor)
            .wrapping_mul(CIPHER_MULTIPLIER)
            .wrapping_add(self.add)
    }

    pub(super) fn decode(self, code: u32) -> usize {
        (code.wrapping_sub(self.add).wrapping_mul(CIPHER_INVERSE) ^ self.xor) as usize
    }

    /// A `32 + noise_bits`-bit value for an opaque id of record `index`: noise
    /// derived from the record above its 32-bit code, so neighbours look
    /// unrelated while the index can still be recovered.
    pub(super) fn opaque(self, dataset: &Dataset, index: usize, noise_bits: u32) -> u64 {
        let noise = Salt::IdCipher.of(dataset, index) >> (64 - noise_bits);
        noise << 32 | u64::from(self.encode(index))
    }

    /// The record whose id is `id`: `parse` recovers the [`IdCipher::opaque`]
    /// value, and the id must be exactly what `format` makes of that record
    /// (so case variants and forged noise are unknown ids).
    pub(super) fn find(
        self,
        id: &str,
        len: usize,
        parse: impl Fn(&str) -> Option<u64>,
        format: impl Fn(usize) -> String,
    ) -> Option<usize> {
        let index = self.decode(parse(id)? as u32);
        (index < len && format(index) == id).then_some(index)
    }
}

/// Lowercase hex of the low `digits` nibbles of `value`.
pub(super) fn hex(value: u128, digits: usize) -> String {
    let full = format!("{value:032x}");
    full[32 - digits.min(32)..].to_owned()
}

/// A SHA-256-looking digest (64 hex digits) derived from a hash: the demo has
/// no file bytes to digest.
pub(super) fn digest(dataset: &Dataset, index: usize, salt: Salt) -> String {
    // Four independent draws: the salt itself, then with a high bit set that
    // no `Salt` reaches.
    (0..4u32)
        .map(|part| {
            hex(
                u128::from(dataset.derive(index, salt as u32 | part << 20)),
                16,
            )
        })
        .collect()
}

/// A signature-looking hex string (`digits` long, at most 64) over a secret
/// and a message: stable for the same inputs, unrelated for different ones.
pub(super) fn signature(secret: u64, message: u64, digits: usize) -> String {
    let mut out = String::with_capacity(64);
    let mut state = mix(secret ^ mix(message));
    for _ in 0..4 {
        out.push_str(&hex(u128::from(state), 16));
        state = mix(state);
    }
    out.truncate(digits);
    out
}

/// `&items[h % len]`.
pub(super) fn pick<T>(items: &[T], h: u64) -> &T {
    &items[(h % items.len() as u64) as usize]
}

/// `size` in binary units with one decimal ("86.1 KB"), bytes as a plain count.
pub(super) fn human_size(size: u64) -> String {
    const UNITS: [&str; 5] = ["KB", "MB", "GB", "TB", "PB"];
    if size < 1024 {
        return format!("{size} B");
    }
    let mut value = size as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Whether `haystack` contains `needle_lower` (already lowercased), ignoring case.
pub(super) fn contains_ignoring_case(
    haystack: &str,
    needle_lower: &str,
    scratch: &mut String,
) -> bool {
    lowercase_into(haystack, scratch);
    scratch.contains(needle_lower)
}

#[cfg(test)]
pub(super) mod testkit {
    //! Real HTTP against a demo server on 127.0.0.1, for every dialect's tests.

    use super::*;
    use crate::{DemoConfig, DemoServer};
    use serde_json::Value;

    /// The key every test server accepts.
    pub const KEY: &str = "demo";

    /// A client for plain HTTP. reqwest builds its TLS config eagerly, so the
    /// crate's rustls provider must be installed even though no TLS is used.
    pub fn client() -> reqwest::Client {
        // Err means another test installed it already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// A server with 1 ms of latency, as a network would add.
    pub async fn server(dialect: &str, files: usize) -> DemoServer {
        server_with(dialect, files, Duration::from_millis(1)).await
    }

    pub async fn server_with(dialect: &str, files: usize, latency: Duration) -> DemoServer {
        let config = DemoConfig {
            files,
            dialect: dialect.to_owned(),
            latency,
            ..DemoConfig::default()
        };
        DemoServer::start("127.0.0.1:0".parse().unwrap(), config)
            .await
            .unwrap()
    }

    /// One page of `path` from a fresh zero-latency server over `files` files: the
    /// correctness of deep, sorted and filtered pages over a large dataset (how fast they are
    /// is the benchmark's business, `benches/perf.rs`).
    pub async fn page_once(
        dialect: &str,
        files: usize,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Reply {
        let server = server_with(dialect, files, Duration::ZERO).await;
        let url = format!("{}{path}", server.base_url);
        let reply = request(&client(), reqwest::Method::GET, &url, headers).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply
    }

    /// Whether names are in ascending order, case-blind, as every dialect sorts them.
    pub fn names_ascending(names: &[&str]) -> bool {
        names
            .windows(2)
            .all(|w| w[0].to_lowercase() <= w[1].to_lowercase())
    }

    /// Whether no id repeats.
    pub fn distinct(ids: &[String]) -> bool {
        let mut sorted = ids.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        sorted.len() == ids.len()
    }

    /// A response, read whole.
    #[derive(Debug)]
    pub struct Reply {
        pub status: u16,
        pub headers: HeaderMap,
        pub body: Value,
    }

    impl Reply {
        pub fn header(&self, name: &str) -> &str {
            self.headers
                .get(name)
                .unwrap_or_else(|| panic!("no {name} header"))
                .to_str()
                .unwrap()
        }
    }

    /// One request and its whole response. The body must be JSON (or empty,
    /// which reads as `null`).
    async fn request(
        client: &reqwest::Client,
        method: reqwest::Method,
        url: &str,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = client.request(method, url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            assert_eq!(headers[header::CONTENT_TYPE], "application/json", "{url}");
            serde_json::from_slice(&bytes).unwrap()
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    /// A response with its body as bytes (file contents are not JSON).
    #[derive(Debug)]
    pub struct Raw {
        pub status: u16,
        pub headers: HeaderMap,
        pub bytes: Vec<u8>,
    }

    impl Raw {
        pub fn header(&self, name: &str) -> &str {
            self.headers
                .get(name)
                .unwrap_or_else(|| panic!("no {name} header"))
                .to_str()
                .unwrap()
        }

        /// The JSON body of an error answer.
        pub fn json(&self) -> Value {
            assert_eq!(self.header("content-type"), "application/json");
            serde_json::from_slice(&self.bytes).unwrap()
        }
    }

    /// `method` of an absolute `url`, with these headers and nothing else.
    pub async fn fetch(method: reqwest::Method, url: &str, headers: &[(&str, &str)]) -> Raw {
        let mut request = client().request(method, url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        Raw {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            bytes: response.bytes().await.unwrap().to_vec(),
        }
    }

    /// A record among the first hundred with at least 1000 bytes of content,
    /// other than the corrupt one.
    pub fn sizable(dataset: &Dataset) -> usize {
        (8..dataset.len().min(100))
            .find(|&i| {
                i != crate::content::CORRUPT_INDEX
                    && crate::content::content_len(dataset, i) >= 1000
            })
            .expect("a file of 1000 bytes or more")
    }

    /// Asserts `url` serves file `index` as the shared blob answer does:
    /// exactly its content with the blob headers, single ranges as 206 with
    /// `Content-Range`, an unsatisfiable one as 416, `If-Range` with another
    /// tag as the whole content, and HEAD as the length with no body; and
    /// that the server counted it. `headers` go with every request (auth).
    pub async fn assert_serves(
        server: &DemoServer,
        url: &str,
        index: usize,
        headers: &[(&str, &str)],
    ) {
        let dataset = &server.dataset;
        let want = crate::content::content(dataset, index);
        let len = want.len();
        assert!(len >= 100, "pick a bigger file than {index}");
        let (content, ranges) = (
            server.stats.content_requests(),
            server.stats.range_requests(),
        );
        let with = |extra: &[(&'static str, String)]| {
            let mut all: Vec<(&str, String)> =
                headers.iter().map(|(n, v)| (*n, v.to_string())).collect();
            all.extend(extra.iter().cloned());
            all
        };
        let go = async |method: reqwest::Method, extra: &[(&'static str, String)]| {
            let all = with(extra);
            let pairs: Vec<(&str, &str)> = all.iter().map(|(n, v)| (*n, v.as_str())).collect();
            fetch(method, url, &pairs).await
        };

        let whole = go(reqwest::Method::GET, &[]).await;
        assert_eq!(whole.status, 200, "{url}");
        assert!(whole.bytes == want, "{url}: not the content of {index}");
        assert_eq!(whole.header("content-length"), len.to_string());
        assert_eq!(whole.header("accept-ranges"), "bytes");
        assert_eq!(whole.header("content-type"), dataset.content_type_of(index));
        let disposition = whole.header("content-disposition");
        assert!(
            disposition.starts_with("attachment; filename*=UTF-8''"),
            "{disposition}"
        );
        let etag = whole.header("etag").to_owned();
        assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");

        let part = go(reqwest::Method::GET, &[("range", "bytes=10-99".into())]).await;
        assert_eq!(part.status, 206);
        assert_eq!(part.header("content-range"), format!("bytes 10-99/{len}"));
        assert_eq!(part.bytes, want[10..100]);
        let tail = go(reqwest::Method::GET, &[("range", "bytes=-7".into())]).await;
        assert_eq!(tail.status, 206);
        assert_eq!(tail.bytes, want[len - 7..]);
        let open = go(
            reqwest::Method::GET,
            &[("range", format!("bytes={}-", len - 3))],
        )
        .await;
        assert_eq!(open.bytes, want[len - 3..]);
        let past = go(reqwest::Method::GET, &[("range", format!("bytes={len}-"))]).await;
        assert_eq!(past.status, 416);
        assert_eq!(past.header("content-range"), format!("bytes */{len}"));
        let stale = go(
            reqwest::Method::GET,
            &[
                ("range", "bytes=0-9".into()),
                ("if-range", "\"stale\"".into()),
            ],
        )
        .await;
        assert_eq!((stale.status, stale.bytes.len()), (200, len));
        let fresh = go(
            reqwest::Method::GET,
            &[("range", "bytes=0-9".into()), ("if-range", etag)],
        )
        .await;
        assert_eq!((fresh.status, fresh.bytes.len()), (206, 10));

        let head = go(reqwest::Method::HEAD, &[]).await;
        assert_eq!(head.status, 200);
        assert_eq!(head.header("content-length"), len.to_string());
        assert!(head.bytes.is_empty());

        assert_eq!(server.stats.content_requests(), content + 8);
        assert_eq!(server.stats.range_requests(), ranges + 4);
    }

    /// GETs `path_and_query` with these headers.
    pub async fn get(server: &DemoServer, path_and_query: &str, headers: &[(&str, &str)]) -> Reply {
        let url = format!("{}{path_and_query}", server.base_url);
        request(&client(), reqwest::Method::GET, &url, headers).await
    }

    /// GETs with `Authorization: Bearer <KEY>`.
    pub async fn get_bearer(server: &DemoServer, path_and_query: &str) -> Reply {
        send(server, reqwest::Method::GET, path_and_query).await
    }

    /// Sends `method` to `path` with `Authorization: Bearer <KEY>`.
    pub async fn send(server: &DemoServer, method: reqwest::Method, path: &str) -> Reply {
        let url = format!("{}{path}", server.base_url);
        let bearer = format!("Bearer {KEY}");
        request(&client(), method, &url, &[("authorization", &bearer)]).await
    }

    /// The field names of a JSON object, sorted.
    pub fn keys(value: &Value) -> Vec<String> {
        let mut keys: Vec<String> = value
            .as_object()
            .unwrap_or_else(|| panic!("not an object: {value}"))
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    }

    /// The field names of the first record of an array in a fixture.
    pub fn fixture(name: &str) -> Value {
        // The spec's samples, kept once for the whole workspace at its top.
        let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    /// The record whose `created_at` is this ISO time (it increases strictly
    /// with the index).
    pub fn index_by_created(dataset: &Dataset, iso_time: &str) -> usize {
        let (mut low, mut high) = (0, dataset.len());
        while low < high {
            let middle = (low + high) / 2;
            if iso(dataset.created_at_of(middle)).as_str() < iso_time {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        assert!(
            low < dataset.len() && iso(dataset.created_at_of(low)) == iso_time,
            "{iso_time} is no record's created_at"
        );
        low
    }

    /// Asserts the X-RateLimit-* headers are present and sane.
    pub fn assert_rate_limited(reply: &Reply) {
        let limit: u64 = reply.header("x-ratelimit-limit").parse().unwrap();
        let remaining: u64 = reply.header("x-ratelimit-remaining").parse().unwrap();
        let reset: i64 = reply.header("x-ratelimit-reset").parse().unwrap();
        assert!(remaining < limit);
        let now = unix_now();
        assert!(
            reset > now - 2 && reset <= now + RATE_WINDOW_SECONDS + 1,
            "{reset} vs {now}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn integers_are_parsed_and_bounded() {
        let p = params(&[
            ("a", "5"),
            ("b", "0"),
            ("c", "101"),
            ("d", "x"),
            ("e", "-3"),
        ]);
        assert_eq!(p.integer("a", 1, 100), Ok(Some(5)));
        assert_eq!(p.integer("missing", 1, 100), Ok(None));
        assert_eq!(
            p.integer("b", 1, 100).unwrap_err().problem,
            Problem::TooSmall(1)
        );
        assert_eq!(
            p.integer("c", 1, 100).unwrap_err().problem,
            Problem::TooLarge(100)
        );
        assert_eq!(
            p.integer("d", 1, 100).unwrap_err().problem,
            Problem::NotInteger
        );
        let negative = p.integer("e", 0, 9).unwrap_err();
        assert_eq!((negative.name, negative.value.as_str()), ("e", "-3"));
        assert_eq!(negative.problem, Problem::TooSmall(0));
        assert_eq!(negative.plain(), "e must be at least 0 (got \"-3\")");
    }

    #[test]
    fn choices_booleans_and_checked_text() {
        let p = params(&[
            ("s", "size"),
            ("t", "TRUE"),
            ("f", "0"),
            ("x", "maybe"),
            ("u", ""),
        ]);
        let choices = [("name", 1), ("size", 2)];
        assert_eq!(p.one_of("s", &choices), Ok(Some(2)));
        let error = p.one_of("t", &choices).unwrap_err();
        assert_eq!(error.problem, Problem::NotOneOf(vec!["name", "size"]));
        assert_eq!(error.plain(), "t must be one of name, size (got \"TRUE\")");
        assert_eq!(
            p.boolean("t", &["true", "1"], &["false", "0"]),
            Ok(Some(true))
        );
        assert_eq!(
            p.boolean("f", &["true", "1"], &["false", "0"]),
            Ok(Some(false))
        );
        assert_eq!(
            p.boolean("x", &["true"], &["false"]).unwrap_err().problem,
            Problem::NotBoolean
        );
        assert_eq!(p.text("u"), None);
        assert_eq!(p.raw("u"), Some(""));
        assert_eq!(
            p.checked("s", "must start with s", |v| v.starts_with('s')),
            Ok(Some("size"))
        );
        assert!(
            p.checked("t", "must start with s", |v| v.starts_with('s'))
                .is_err()
        );
    }

    #[test]
    fn quoted_values_are_short_and_escaped() {
        assert_eq!(quoted("abc"), "\"abc\"");
        assert!(!quoted("\u{1b}[31m").contains('\u{1b}'));
        assert!(quoted(&"9".repeat(500)).len() < 60);
    }

    #[test]
    fn page_windows() {
        let w = PageWindow {
            page: 3,
            size: 2,
            total: 5,
        };
        assert_eq!(
            (w.offset(), w.pages(), w.has_next(), w.has_previous()),
            (4, 3, false, true)
        );
        let w = PageWindow {
            page: 1,
            size: 20,
            total: 0,
        };
        assert_eq!(
            (w.pages(), w.has_next(), w.has_previous()),
            (0, false, false)
        );
        let w = PageWindow {
            page: u64::MAX,
            size: 100,
            total: 10,
        };
        assert!(!w.has_next());
        assert_eq!(w.positions().0, usize::MAX);
    }

    #[tokio::test]
    async fn scan_cache_scans_once_per_key_and_stays_bounded() {
        let cache = ScanCache::new();
        let first = cache.get_or_scan(&1, || vec![1, 2, 3]).await.unwrap();
        let again = cache
            .get_or_scan(&1, || panic!("a cached key is not scanned again"))
            .await
            .unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        for key in 2..40 {
            cache.get_or_scan(&key, Vec::new).await.unwrap();
        }
        assert_eq!(cache.len(), SCAN_CACHE_ENTRIES);
        // Least recently used went first: 1 is gone, 39 is kept.
        assert!(cache.get(&1).is_none());
        assert!(cache.get(&39).is_some());
    }

    #[test]
    fn bearer_tokens() {
        let check = |value: Option<&str>| {
            let mut headers = HeaderMap::new();
            if let Some(value) = value {
                headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
            }
            Bearer::check(&headers, "k3y")
        };
        assert_eq!(check(None), Bearer::Missing);
        assert_eq!(check(Some("Bearer k3y")), Bearer::Valid);
        assert_eq!(check(Some("bearer k3y")), Bearer::Valid);
        assert_eq!(check(Some("Bearer K3Y")), Bearer::Invalid);
        assert_eq!(check(Some("Bearer ")), Bearer::Invalid);
        assert_eq!(check(Some("Basic k3y")), Bearer::WrongScheme);
        assert_eq!(check(Some("k3y")), Bearer::WrongScheme);
    }

    #[test]
    fn id_cipher_is_a_bijection() {
        assert_eq!(CIPHER_MULTIPLIER.wrapping_mul(CIPHER_INVERSE), 1);
        let dataset = Dataset::new(42, 10);
        let cipher = IdCipher::new(&dataset);
        let mut seen = std::collections::HashSet::new();
        for index in (0..2_000_000).chain([u32::MAX as usize - 1]) {
            let code = cipher.encode(index);
            assert_eq!(cipher.decode(code), index);
            assert!(seen.insert(code));
        }
        // Neighbours do not get neighbouring codes.
        assert!(cipher.encode(1).abs_diff(cipher.encode(0)) > 1000);
    }

    #[test]
    fn opaque_ids_find_their_record_and_nothing_else() {
        let dataset = Dataset::new(42, 1000);
        let cipher = IdCipher::new(&dataset);
        let format = |index: usize| format!("{:016x}", cipher.opaque(&dataset, index, 32));
        let parse = |id: &str| u64::from_str_radix(id, 16).ok();
        for index in [0, 1, 500, 999] {
            let id = format(index);
            assert_eq!(cipher.find(&id, 1000, parse, format), Some(index));
            // Same code, other noise: not an id this server gave out.
            let forged = format!("{:016x}", cipher.opaque(&dataset, index, 32) ^ 1 << 40);
            assert_eq!(cipher.find(&forged, 1000, parse, format), None);
            assert_eq!(cipher.find(&id.to_uppercase(), 1000, parse, format), None);
        }
        // A record past the end of a smaller dataset.
        assert_eq!(cipher.find(&format(999), 500, parse, format), None);
        assert_eq!(cipher.find("zz", 1000, parse, format), None);
        assert!(cipher.opaque(&dataset, 3, 30) < 1 << 62);
    }

    #[test]
    fn derived_values() {
        let dataset = Dataset::new(42, 10);
        let d = digest(&dataset, 3, Salt::FileGuardChecksum);
        assert_eq!(d.len(), 64);
        assert!(
            d.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_ne!(d, digest(&dataset, 4, Salt::FileGuardChecksum));
        assert_eq!(d, digest(&dataset, 3, Salt::FileGuardChecksum));
        assert_eq!(hex(0xabc, 4), "0abc");
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(88_213), "86.1 KB");
        assert_eq!(human_size(1_258_291), "1.2 MB");
        assert_eq!(human_size(5 << 30), "5.0 GB");
        let mut scratch = String::new();
        assert!(contains_ignoring_case("Résumé ZOË", "zoë", &mut scratch));
        assert!(!contains_ignoring_case("abc", "d", &mut scratch));
    }

    #[test]
    fn rate_window_counts_down_and_resets_each_minute() {
        let window = RateWindow::new(3);
        let mut headers = HeaderMap::new();
        let remaining = |headers: &HeaderMap| {
            headers["x-ratelimit-remaining"]
                .to_str()
                .unwrap()
                .to_owned()
        };
        window.tag(&mut headers, 120);
        assert_eq!(remaining(&headers), "2");
        assert_eq!(headers["x-ratelimit-reset"], "180");
        assert_eq!(headers["x-ratelimit-limit"], "3");
        for _ in 0..5 {
            window.tag(&mut headers, 179);
        }
        assert_eq!(remaining(&headers), "0");
        window.tag(&mut headers, 180);
        assert_eq!(remaining(&headers), "2");
        assert_eq!(headers["x-ratelimit-reset"], "240");
    }
}
