//! The HTTP client: one connection (dialect, reach, base URL, credential, extra headers) and
//! the calls made over it. It names no family: placing, signing and relocating requests are
//! the reach's ([`crate::api::family::Reach`]). TLS is rustls with certificate verification;
//! credentials are never logged and never follow a redirect to another origin.

use std::fmt;
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{StatusCode, Url};

use super::error::{ApiError, display_url};
use super::retry::{self, RetryNotice, RetryPolicy};
use crate::api::dialect::{
    Continuation, Dialect, Page, PageRequest, Param, RequestSpec, ScopePage,
};
use crate::api::family::{Reach, Store, Tail};
use crate::api::query::ListQuery;
use crate::api::record::FileRecord;

/// A credential. Its `Debug` never shows the value, so it cannot leak through a log line or a
/// panic message that formats a struct holding it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Everything needed to talk to one API.
#[derive(Debug, Clone)]
pub struct Connection {
    /// What a listing is: requests, decoding, capabilities.
    pub dialect: Arc<dyn Dialect>,
    /// How the store is reached: placing and signing requests (its family).
    pub reach: Arc<dyn Reach>,
    /// The API's base URL, e.g. `https://files.example.com` (a path prefix is allowed).
    pub base_url: Url,
    pub api_key: Option<Secret>,
    /// Where the key came from, for "how to supply another" hints (e.g. `FILESCOPE_API_KEY`).
    pub key_source: String,
    /// Extra headers sent with every request (e.g. a tenant header).
    pub headers: Vec<(String, String)>,
    /// Overrides the dialect's path prefix (Open WebUI: `/api` for older servers).
    pub path_prefix: Option<String>,
    /// How the connection is named on screen: a profile name, `demo`, or the host.
    pub label: String,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Answers larger than this are refused rather than buffered.
    pub max_body_bytes: usize,
    /// What one answer may hold besides its bytes (records).
    pub limits: crate::api::decode::Limits,
    /// When and how long to retry failed requests.
    pub retry: RetryPolicy,
    /// Accept any TLS certificate (`--insecure`): for a test server with a self-signed
    /// certificate, never the default.
    pub insecure: bool,
    /// Deleting files is allowed (`allow_delete = true` in the profile); read-only otherwise.
    pub allow_delete: bool,
}

impl Connection {
    /// Everything secret this connection holds, to be kept out of every message and log.
    pub fn secrets(&self) -> Vec<String> {
        let mut secrets: Vec<String> = self
            .api_key
            .iter()
            .map(|k| k.expose().to_string())
            .collect();
        secrets.extend(self.reach.secrets());
        secrets
    }

    /// A connection to `store`: a dialect alone (a JSON API) or a family's store (S3's).
    pub fn new(store: impl Into<Store>, base_url: Url, api_key: Option<Secret>) -> Self {
        let Store { dialect, reach } = store.into();
        let label = base_url.host_str().unwrap_or("api").to_string();
        Connection {
            dialect,
            reach,
            base_url,
            api_key,
            key_source: "FILESCOPE_API_KEY".to_string(),
            headers: Vec::new(),
            path_prefix: None,
            label,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 64 << 20,
            limits: crate::api::decode::Limits::default(),
            retry: RetryPolicy::default(),
            insecure: false,
            allow_delete: false,
        }
    }

    /// The store the connection reaches: its dialect and its family's reach.
    pub fn store(&self) -> Store {
        Store {
            dialect: self.dialect.clone(),
            reach: self.reach.clone(),
        }
    }
}

/// What the client tells whoever listens while it works (the explorer's status line).
#[derive(Debug, Clone)]
pub enum Notice {
    /// A request is about to be retried.
    Retry(RetryNotice),
    /// The store answers from another region than the one asked for: requests are signed for
    /// that one from now on.
    Region { from: String, to: String },
    /// A listing read by key range, several parts at once, goes on one page after another
    /// (`why`: the store ignored the start key, or answered keys out of order).
    InOrder { why: String },
}

impl Notice {
    pub fn describe(&self) -> String {
        match self {
            Notice::Retry(retry) => retry.describe(),
            Notice::Region { from, to } => format!(
                "the bucket answers from region {to}, not {from} as asked: requests are signed for {to} now"
            ),
            Notice::InOrder { why } => {
                format!("{why}: listing one page after another instead of by key range")
            }
        }
    }
}

/// Hears about retries and region changes (the explorer shows them in its status line).
#[derive(Clone)]
struct Notifier(Arc<dyn Fn(Notice) + Send + Sync>);

impl fmt::Debug for Notifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Notifier")
    }
}

/// A cheap-to-clone handle for making requests over one connection.
#[derive(Debug, Clone)]
pub struct Client {
    pub(in crate::api) http: reqwest::Client,
    /// For links away from the API (CDNs, signed storage URLs): no credential, no extra
    /// headers, redirects followed, and no limit on the whole transfer, only on silences.
    pub(in crate::api) bare: reqwest::Client,
    pub(in crate::api) conn: Arc<Connection>,
    notify: Option<Notifier>,
}

static CRYPTO: Once = Once::new();

/// Installs rustls's ring provider for the process, once: every HTTP client (the API's, a
/// family's token requests) needs one before it is built.
pub(crate) fn install_crypto() {
    CRYPTO.call_once(|| {
        // Another part of the process may have installed one first; either is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

impl Client {
    pub fn new(conn: Connection) -> Result<Self, ApiError> {
        install_crypto();
        let mut headers = HeaderMap::new();
        if let Some((name, value)) = conn.reach.key_header(&conn) {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| ApiError::Config(format!("invalid header name {name:?}")))?;
            let value = HeaderValue::from_str(&value);
            let mut value = value.map_err(|_| {
                ApiError::Config(format!(
                    "the API key in {} contains characters that cannot be sent in a header",
                    conn.key_source
                ))
            })?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        for (name, value) in &conn.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| ApiError::Config(format!("invalid header name {name:?}")))?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| ApiError::Config(format!("invalid value for header {name}")))?;
            headers.insert(name, value);
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("filescope/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            .connect_timeout(conn.connect_timeout)
            .timeout(conn.request_timeout)
            .read_timeout(conn.request_timeout)
            .redirect(same_origin_redirects())
            .danger_accept_invalid_certs(conn.insecure)
            .build()
            .map_err(|e| ApiError::Config(format!("cannot set up HTTP: {}", e.without_url())))?;
        let bare = reqwest::Client::builder()
            .user_agent(concat!("filescope/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(conn.connect_timeout)
            .read_timeout(conn.request_timeout)
            .redirect(reqwest::redirect::Policy::limited(10))
            .danger_accept_invalid_certs(conn.insecure)
            .build()
            .map_err(|e| ApiError::Config(format!("cannot set up HTTP: {}", e.without_url())))?;
        Ok(Client {
            http,
            bare,
            conn: Arc::new(conn),
            notify: None,
        })
    }

    /// The same client, telling `notify` before each retry and when the region changes.
    pub fn with_notifier(mut self, notify: impl Fn(Notice) + Send + Sync + 'static) -> Self {
        self.notify = Some(Notifier(Arc::new(notify)));
        self
    }

    /// The same client, telling `also` first and then whoever listened before (the key-range
    /// lister hears of throttling this way).
    pub fn also_notifying(mut self, also: impl Fn(&Notice) + Send + Sync + 'static) -> Self {
        let before = self.notify.take();
        self.notify = Some(Notifier(Arc::new(move |notice: Notice| {
            also(&notice);
            if let Some(Notifier(notify)) = &before {
                notify(notice);
            }
        })));
        self
    }

    /// Tells whoever listens something about the listing (the explorer's status line, `ls`'s
    /// stderr).
    pub fn notify(&self, notice: Notice) {
        self.tell(notice);
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    pub fn dialect(&self) -> &dyn Dialect {
        self.conn.dialect.as_ref()
    }

    /// How the store is reached (its family).
    pub fn reach(&self) -> &dyn Reach {
        self.conn.reach.as_ref()
    }

    /// The last rows of a listing read in order, found without walking it, where the family
    /// can ([`Reach::find_tail`]).
    pub async fn find_tail(
        &self,
        query: &ListQuery,
        want: usize,
        from: Option<&str>,
    ) -> Result<Tail, ApiError> {
        match self.reach().find_tail(self, query, want, from) {
            Some(search) => search.await,
            None => Err(ApiError::Config(format!(
                "{} cannot find the end of a listing without reading it",
                self.dialect().id()
            ))),
        }
    }

    /// The absolute URL for a dialect path: base URL (which may carry a path of its own), then
    /// the path prefix, then `path`. Refused when the path would not reach what it names (a
    /// `.` or `..` segment, from an id the server chose).
    pub fn url_for(&self, path: &str, query: &[Param]) -> Result<Url, ApiError> {
        let mut url = self.url_without_key(path, query)?;
        self.reach().add_query_key(&self.conn, &mut url);
        Ok(url)
    }

    /// [`Client::url_for`] without the key, whatever the API's auth (a curl command's).
    pub fn url_without_key(&self, path: &str, query: &[Param]) -> Result<Url, ApiError> {
        self.reach()
            .url(&self.conn, path, query)
            .map_err(|e| self.redact(ApiError::Inconsistent(e)))
    }

    /// Fetches and decodes one page of a listing. An answer whose JSON ends early (a body cut
    /// short by a proxy, with a `Content-Length` that matches) is asked for again with backoff,
    /// like a dropped connection, before it is an error.
    pub async fn list_page(&self, query: &ListQuery, page: PageRequest) -> Result<Page, ApiError> {
        self.list_page_after(query, page, None).await
    }

    /// Like [`Client::list_page`], for a page that continues from `after` (what the page before
    /// it said comes next): a cursor the request carries, or a next link to follow. A link to
    /// another origin is refused, or followed without the key where the dialect allows it.
    pub async fn list_page_after(
        &self,
        query: &ListQuery,
        page: PageRequest,
        after: Option<&Continuation>,
    ) -> Result<Page, ApiError> {
        self.list_page_peeking(query, page, after, None).await
    }

    /// As [`Client::list_page_after`], and as soon as the answer is in, before its records are
    /// decoded, sends what the next page continues from to `peek` (when the dialect can tell
    /// it cheaply): a walk in order sends its next request while this page is decoded.
    pub async fn list_page_peeking(
        &self,
        query: &ListQuery,
        page: PageRequest,
        after: Option<&Continuation>,
        mut peek: Option<tokio::sync::oneshot::Sender<Continuation>>,
    ) -> Result<Page, ApiError> {
        let policy = self.conn.retry;
        let seed = retry::jitter_seed();
        let mut attempt = 1;
        loop {
            match self.list_page_once(query, page, after, &mut peek).await {
                Err((_, true)) if attempt < policy.attempts => {
                    let wait = retry::backoff(&policy, attempt + 1, seed ^ u64::from(attempt));
                    attempt += 1;
                    let reason = "the answer ended early".to_string();
                    tracing::info!(attempt, wait_ms = wait.as_millis() as u64, %reason, "retrying");
                    self.wait_to_retry(RetryNotice {
                        reason,
                        attempt,
                        attempts: policy.attempts,
                        wait,
                        throttled: false,
                    })
                    .await;
                }
                Err((ApiError::Decode { url, reason }, true)) => {
                    // As for a body cut short in transit: the network's failure, after retries.
                    return Err(ApiError::Network {
                        url,
                        reason: format!("{reason}; {attempt} attempts"),
                    });
                }
                outcome => return outcome.map_err(|(error, _)| error),
            }
        }
    }

    /// One attempt at a page; the error says whether the answer's JSON ended early.
    async fn list_page_once(
        &self,
        query: &ListQuery,
        page: PageRequest,
        after: Option<&Continuation>,
        peek: &mut Option<tokio::sync::oneshot::Sender<Continuation>>,
    ) -> Result<Page, (ApiError, bool)> {
        let (url, authed) = self.page_url(query, page, after).map_err(|e| (e, false))?;
        let started = Instant::now();
        let (status, body, headers) = self.send_with(&url, authed).await.map_err(|e| (e, false))?;
        if status == StatusCode::NO_CONTENT {
            // No content is no files, not an error.
            return Ok(Page {
                has_next: Some(false),
                ..Page::default()
            });
        }
        if !status.is_success() {
            if self
                .dialect()
                .error_means_empty(query, status.as_u16(), &body)
            {
                return Ok(Page {
                    has_next: Some(false),
                    ..Page::default()
                });
            }
            return Err((self.http_error(status, display_url(&url), &body), false));
        }
        let (body, repaired) = repair_utf8(body);
        // A continuation too long to follow is refused once, never sent nor retried.
        let refuse = |reason: String| {
            (
                self.redact(ApiError::Decode {
                    url: display_url(&url),
                    reason,
                }),
                false,
            )
        };
        let mut told = false;
        if let Some(tell) = peek.take() {
            match self.dialect().peek_next(page, &headers, &body) {
                Some(next) => {
                    next.check_length().map_err(&refuse)?;
                    // The walk may have stopped waiting; nothing is lost then.
                    told = tell.send(next).is_ok();
                }
                // Kept for a retry, whose answer may tell.
                None => *peek = Some(tell),
            }
        }
        let (decoded, body) = if told {
            // The walk is sending the next request now: decoding a page of a thousand records
            // takes milliseconds, and on this worker it would hold that request back (3 ms a
            // page on S3, measured with strace). Decode on a blocking thread instead.
            let dialect = self.conn.dialect.clone();
            let (query, limits) = (query.clone(), self.conn.limits);
            tokio::task::spawn_blocking(move || {
                let decoded = dialect.decode_answer(&query, page, &headers, &body, limits);
                (decoded, body)
            })
            .await
            .map_err(|e| {
                (
                    ApiError::Config(format!("decoding a page failed: {e}")),
                    false,
                )
            })?
        } else {
            let decoded =
                self.dialect()
                    .decode_answer(query, page, &headers, &body, self.conn.limits);
            (decoded, body)
        };
        if let Ok(Page {
            next: Some(next), ..
        }) = &decoded
        {
            next.check_length().map_err(&refuse)?;
        }
        let decoded = decoded
            .map(|mut decoded| {
                decoded.body_bytes = body.len();
                if repaired {
                    for record in &mut decoded.records {
                        if record.raw.get().contains('\u{fffd}') {
                            record.problems.push(
                                "invalid UTF-8 in the server's answer was replaced with U+FFFD"
                                    .to_string(),
                            );
                        }
                    }
                }
                decoded
            })
            .map_err(|reason| {
                let ended_early = ends_early(&body);
                let ours = self.dialect().id();
                // A whole answer in another API's list envelope: the dialect is wrong.
                let other = (!ended_early && crate::api::dialect::is_builtin(ours))
                    .then(|| crate::api::envelope::list_dialect(&body))
                    .flatten()
                    .filter(|other| *other != ours);
                let reason = if ended_early {
                    format!("the answer ended early ({} bytes): {reason}", body.len())
                } else if let Some(other) = other {
                    format!(
                        "this answer is not {ours}'s: it reads like {other}'s list; check the dialect (--dialect {other}?)"
                    )
                } else {
                    reason
                };
                let error = self.redact(ApiError::Decode {
                    url: display_url(&url),
                    reason,
                });
                (error, ended_early)
            });
        tracing::debug!(
            page = page.number,
            size = page.size,
            bytes = body.len(),
            ms = started.elapsed().as_millis() as u64,
            ok = decoded.is_ok(),
            "list page"
        );
        decoded
    }

    /// Fetches one file's full record from the dialect's single-file endpoint; `Ok(None)` when
    /// the API has none.
    pub async fn detail(&self, id: &str) -> Result<Option<FileRecord>, ApiError> {
        let Some(spec) = self.dialect().detail_request(id) else {
            return Ok(None);
        };
        let url = self.url_for(&spec.path, &spec.query)?;
        let method = self.dialect().detail_method();
        let extra = if method == reqwest::Method::HEAD {
            // The checksums S3 keeps, which HEAD only tells when asked.
            self.reach().content_headers()
        } else {
            Vec::new()
        };
        let (status, body, headers) = self
            .with_retries(&url, || self.send_once_with(method.clone(), &url, &extra))
            .await?;
        if !status.is_success() {
            return Err(self.http_error(status, display_url(&url), &body));
        }
        self.dialect()
            .decode_detail_answer(id, &headers, &body)
            .map(Some)
            .map_err(|reason| {
                self.redact(ApiError::Decode {
                    url: display_url(&url),
                    reason,
                })
            })
    }

    /// One page of the API's folders (children of `parent`) or contexts.
    pub async fn scopes(
        &self,
        parent: Option<&str>,
        page: PageRequest,
    ) -> Result<ScopePage, ApiError> {
        let Some(spec) = self.dialect().scopes_request(parent, page) else {
            return Ok(ScopePage::default());
        };
        self.get_decoded(&spec, |body| self.dialect().decode_scopes(body))
            .await
    }

    /// GETs a dialect request and decodes a successful answer; errors in the API's envelope.
    pub(in crate::api) async fn get_decoded<T>(
        &self,
        spec: &RequestSpec,
        decode: impl FnOnce(&[u8]) -> Result<T, String>,
    ) -> Result<T, ApiError> {
        let url = self.url_for(&spec.path, &spec.query)?;
        let (status, body) = self.send(&url).await?;
        if !status.is_success() {
            return Err(self.http_error(status, display_url(&url), &body));
        }
        decode(&body).map_err(|reason| {
            self.redact(ApiError::Decode {
                url: display_url(&url),
                reason,
            })
        })
    }

    /// The URL of a list page: the dialect's request, a cursor's, or a next link resolved
    /// against the list URL; and whether it goes to the API (with the key).
    fn page_url(
        &self,
        query: &ListQuery,
        page: PageRequest,
        after: Option<&Continuation>,
    ) -> Result<(Url, bool), ApiError> {
        let spec = match after {
            Some(Continuation::Cursor(cursor)) => {
                self.dialect().continue_request(query, page, cursor)
            }
            _ => self.dialect().list_request(query, page),
        };
        let list_url = self.url_for(&spec.path, &spec.query)?;
        let Some(Continuation::Link(link)) = after else {
            return Ok((list_url, true));
        };
        let mut url = list_url.join(link).map_err(|_| {
            ApiError::Inconsistent(format!(
                "the server's next link is not a URL: {}",
                crate::text::sanitize(&link.chars().take(80).collect::<String>())
            ))
        })?;
        if url.origin() == self.conn.base_url.origin() {
            self.reach().add_query_key(&self.conn, &mut url);
            return Ok((url, true));
        }
        if self.dialect().follows_other_origins() {
            return Ok((url, false));
        }
        Err(ApiError::Inconsistent(format!(
            "the server's next link goes to another origin ({}); not followed, so the key stays with {} (a dialect may allow it with follow_other_origins = true)",
            display_url(&url),
            self.conn.base_url.origin().ascii_serialization()
        )))
    }

    /// GETs a URL and returns its status and body, turning every transport failure into one
    /// readable error. HTTP error statuses are the caller's to judge.
    async fn send(&self, url: &Url) -> Result<(StatusCode, Vec<u8>), ApiError> {
        self.send_with(url, true)
            .await
            .map(|(status, body, _)| (status, body))
    }

    /// Like [`Client::send`], with the headers; `authed: false` sends no credential and no
    /// extra header (a link to another origin).
    async fn send_with(
        &self,
        url: &Url,
        authed: bool,
    ) -> Result<(StatusCode, Vec<u8>, HeaderMap), ApiError> {
        if authed {
            self.with_retries(url, || self.send_once(reqwest::Method::GET, url))
                .await
        } else {
            self.with_retries(url, || self.send_bare(url)).await
        }
    }

    /// One GET without the credential.
    async fn send_bare(&self, url: &Url) -> Result<(StatusCode, Vec<u8>, HeaderMap), ApiError> {
        let shown = display_url(url);
        let response = self
            .bare
            .get(url.clone())
            .timeout(self.conn.request_timeout)
            .send()
            .await
            .map_err(|e| self.transport_error(&shown, e))?;
        self.read_body(&shown, response).await
    }

    /// Makes a request through `once` until it succeeds, fails for good, or the attempts run
    /// out: connect errors, timeouts, 429 and 5xx are retried with backoff (429 as long as the
    /// server asks), anything else is returned as it came.
    pub(in crate::api) async fn with_retries<T, F, Fut>(
        &self,
        url: &Url,
        mut once: F,
    ) -> Result<(StatusCode, T, HeaderMap), ApiError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<(StatusCode, T, HeaderMap), ApiError>>,
    {
        let policy = self.conn.retry;
        let seed = retry::jitter_seed();
        let mut attempt = 1;
        loop {
            let outcome = once().await;
            let throttled =
                matches!(&outcome, Ok((status, _, _)) if matches!(status.as_u16(), 429 | 503));
            let (reason, server_wait) = match &outcome {
                Ok((status, _, headers)) if retry::retryable_status(status.as_u16()) => {
                    let reason = if status.as_u16() == 429 {
                        "rate limited by the server".to_string()
                    } else {
                        format!("HTTP {} from the server", status.as_u16())
                    };
                    (
                        reason,
                        retry::server_wait(headers, std::time::SystemTime::now()),
                    )
                }
                Err(ApiError::Network { .. }) => ("cannot reach the server".to_string(), None),
                Err(ApiError::Timeout { .. }) => ("the server did not answer".to_string(), None),
                _ => return outcome,
            };
            let wait = server_wait
                .unwrap_or_else(|| retry::backoff(&policy, attempt + 1, seed ^ u64::from(attempt)));
            if attempt >= policy.attempts || wait > policy.max_wait {
                return outcome;
            }
            attempt += 1;
            tracing::info!(url = %display_url(url), attempt, wait_ms = wait.as_millis() as u64, %reason, "retrying");
            self.wait_to_retry(RetryNotice {
                reason,
                attempt,
                attempts: policy.attempts,
                wait,
                throttled,
            })
            .await;
        }
    }

    /// Tells whoever listens (the explorer's status line).
    fn tell(&self, notice: Notice) {
        if let Some(Notifier(notify)) = &self.notify {
            notify(notice);
        }
    }

    /// Tells whoever listens (the explorer's status line) that a retry is coming, then waits.
    async fn wait_to_retry(&self, notice: RetryNotice) {
        let wait = notice.wait;
        self.tell(Notice::Retry(notice));
        tokio::time::sleep(wait).await;
    }

    /// A request to the API with the connection's headers, `extra` ones, and the family's
    /// signature over them (S3); the signature's headers are marked sensitive.
    pub(in crate::api) async fn request(
        &self,
        method: reqwest::Method,
        url: &Url,
        extra: &[(&str, &str)],
    ) -> Result<reqwest::RequestBuilder, ApiError> {
        if let Some(ready) = self.reach().ready() {
            ready.await.map_err(|e| self.redact(ApiError::Config(e)))?;
        }
        let signed = self
            .reach()
            .sign(&method, url, extra)
            .map_err(|e| self.redact(ApiError::Config(e)))?;
        let mut builder = self.http.request(method, url.clone());
        for (name, value) in extra {
            builder = builder.header(*name, *value);
        }
        for (name, value) in signed {
            let mut value = HeaderValue::from_str(&value).map_err(|_| {
                ApiError::Config(format!(
                    "the signature's {name} header is not a header value"
                ))
            })?;
            value.set_sensitive(true);
            builder = builder.header(name, value);
        }
        Ok(builder)
    }

    /// One request: status, body (bounded) and headers; transport failures as errors.
    pub(in crate::api) async fn send_once(
        &self,
        method: reqwest::Method,
        url: &Url,
    ) -> Result<(StatusCode, Vec<u8>, HeaderMap), ApiError> {
        self.send_once_with(method, url, &[]).await
    }

    /// [`Client::send_once`] with extra (signed) headers. An answer that says the request
    /// belongs elsewhere (S3's wrong region, [`Reach::relocate`]) is asked again, once,
    /// where and as the family says.
    pub(in crate::api) async fn send_once_with(
        &self,
        method: reqwest::Method,
        url: &Url,
        extra: &[(&'static str, &'static str)],
    ) -> Result<(StatusCode, Vec<u8>, HeaderMap), ApiError> {
        let shown = display_url(url);
        let mut url = url.clone();
        let mut relocated = false;
        let response = loop {
            let response = self
                .request(method.clone(), &url, extra)
                .await?
                .send()
                .await
                .map_err(|e| self.transport_error(&shown, e))?;
            let status = response.status();
            if relocated || !self.reach().may_relocate(status.as_u16()) {
                break response;
            }
            let headers = response.headers().clone();
            let (status, body, _) = self.read_body(&shown, response).await?;
            match self
                .reach()
                .relocate(status.as_u16(), &headers, &body, &url)
            {
                Ok(Some(moved)) => {
                    self.tell(Notice::Region {
                        from: moved.from,
                        to: moved.to,
                    });
                    url = moved.url;
                    relocated = true;
                }
                Err(reason) => {
                    return Err(self.redact(ApiError::Decode { url: shown, reason }));
                }
                Ok(None) if status.is_redirection() => {
                    return Err(ApiError::CrossOriginRedirect {
                        url: shown,
                        to: redirect_target(&url, &headers),
                    });
                }
                Ok(None) => return Ok((status, body, headers)),
            }
        };
        if response.status().is_redirection() {
            return Err(ApiError::CrossOriginRedirect {
                url: shown,
                to: redirect_target(&url, response.headers()),
            });
        }
        self.read_body(&shown, response).await
    }

    /// Reads an answer's body, refusing one larger than the cap.
    async fn read_body(
        &self,
        shown: &str,
        mut response: reqwest::Response,
    ) -> Result<(StatusCode, Vec<u8>, HeaderMap), ApiError> {
        let status = response.status();
        let headers = response.headers().clone();
        let limit = self.conn.max_body_bytes;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large(shown, limit));
        }
        if response.content_length().is_some() {
            // A stated length under the cap: read whole, in one piece.
            let body = response
                .bytes()
                .await
                .map_err(|e| self.transport_error(shown, e))?;
            return Ok((status, body.into(), headers));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(shown, e))?
        {
            if body.len() + chunk.len() > limit {
                return Err(too_large(shown, limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, body, headers))
    }

    pub(in crate::api) fn transport_error(&self, shown: &str, err: reqwest::Error) -> ApiError {
        // `without_url` keeps query strings (signatures, tokens) out of the message.
        let err = err.without_url();
        if err.is_redirect() {
            // The server's fault, and asking again would only loop again.
            return ApiError::Inconsistent(format!(
                "{shown} redirects in a loop (or more than 5 times); not followed further"
            ));
        }
        if err.is_timeout() {
            return ApiError::Timeout {
                url: shown.to_string(),
                secs: self.conn.request_timeout.as_secs(),
            };
        }
        ApiError::Network {
            url: shown.to_string(),
            reason: error_chain(&err),
        }
    }

    /// An error with the connection's secrets taken out of whatever the server put in it.
    pub fn redact(&self, error: ApiError) -> ApiError {
        let secrets = self.conn.secrets();
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        error.redacted(&secrets)
    }

    pub(in crate::api) fn http_error(
        &self,
        status: StatusCode,
        url: String,
        body: &[u8],
    ) -> ApiError {
        self.redact(self.unredacted_http_error(status, url, body))
    }

    fn unredacted_http_error(&self, status: StatusCode, url: String, body: &[u8]) -> ApiError {
        let info = self.dialect().decode_error(body);
        let (code, message) = match info {
            Some(info) => (info.code, info.message),
            None => (
                None,
                status
                    .canonical_reason()
                    .unwrap_or("no message from the server")
                    .to_string(),
            ),
        };
        let ours = self.dialect().id();
        // Another API's envelope: the dialect is wrong, whatever the status says of the key.
        let other = super::error::envelope_dialect(body)
            .filter(|other| *other != ours && crate::api::dialect::is_builtin(ours));
        let hint = match (other, status.as_u16()) {
            (Some(other), _) => Some(format!(
                "this answer is not {ours}'s: it reads like {other}'s; check the dialect (--dialect {other}?)"
            )),
            (None, 401 | 403) => Some(self.credential_hint(status)),
            _ => None,
        };
        ApiError::Http {
            status: status.as_u16(),
            url,
            code,
            message,
            hint,
        }
    }

    fn credential_hint(&self, status: StatusCode) -> String {
        self.reach().credential_hint(&self.conn, status.as_u16())
    }
}

/// Where a redirect points, for the message that says it was not followed.
fn redirect_target(url: &Url, headers: &HeaderMap) -> String {
    headers
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .and_then(|l| url.join(l).ok())
        .map(|u| display_url(&u))
        .unwrap_or_else(|| "an unnamed location".to_string())
}

/// One GET outside any dialect (`dialect infer`): the headers given, rustls with verification
/// unless `insecure`, the usual timeouts and a 64 MiB cap. Returns status, headers and body.
pub async fn get_once(
    url: &Url,
    headers: &[(String, String)],
    insecure: bool,
) -> Result<(u16, HeaderMap, Vec<u8>), ApiError> {
    CRYPTO.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    let shown = display_url(url);
    let http = reqwest::Client::builder()
        .user_agent(concat!("filescope/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .redirect(same_origin_redirects())
        .danger_accept_invalid_certs(insecure)
        .build()
        .map_err(|e| ApiError::Config(format!("cannot set up HTTP: {}", e.without_url())))?;
    let mut request = http.get(url.clone());
    for (name, value) in headers {
        let mut value = HeaderValue::from_str(value)
            .map_err(|_| ApiError::Config(format!("invalid value for header {name}")))?;
        value.set_sensitive(true);
        request = request.header(name.as_str(), value);
    }
    let mut response = request.send().await.map_err(|e| {
        let e = e.without_url();
        ApiError::Network {
            url: shown.clone(),
            reason: error_chain(&e),
        }
    })?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let limit = 64usize << 20;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| ApiError::Network {
        url: shown.clone(),
        reason: error_chain(&e.without_url()),
    })? {
        if body.len() + chunk.len() > limit {
            return Err(too_large(&shown, limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, headers, body))
}

/// Whether a body is JSON that ends before it is complete (serde's end-of-input category), as
/// when a proxy cuts an answer short: worth asking for again.
fn ends_early(body: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err_and(|e| e.is_eof())
}

/// A body with bytes that are not UTF-8 is read with U+FFFD in their place, so one bad record
/// never hides its page; says whether anything was replaced.
fn repair_utf8(body: Vec<u8>) -> (Vec<u8>, bool) {
    match String::from_utf8(body) {
        Ok(text) => (text.into_bytes(), false),
        Err(e) => (
            String::from_utf8_lossy(e.as_bytes())
                .into_owned()
                .into_bytes(),
            true,
        ),
    }
}

fn too_large(shown: &str, limit: usize) -> ApiError {
    ApiError::Decode {
        url: shown.to_string(),
        reason: format!("the answer is larger than the {} MiB limit", limit >> 20),
    }
}

/// An error and its causes on one line: "error sending request: connection refused".
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

/// Follows redirects only within the same origin: an `x-api-key` or `Authorization` header must
/// never be replayed to a host it was not meant for. A cross-origin redirect is reported instead.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= 5 {
            return attempt.error("too many redirects");
        }
        let same = attempt
            .previous()
            .last()
            .is_none_or(|prev| prev.origin() == attempt.url().origin());
        if same {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::dialect::by_id;

    #[test]
    fn secrets_do_not_debug_print() {
        let s = Secret::new("sk-canary-1234");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        let conn = Connection::new(
            by_id("filejar").unwrap(),
            Url::parse("http://127.0.0.1:9").unwrap(),
            Some(s),
        );
        assert!(!format!("{conn:?}").contains("canary"));
    }

    #[test]
    fn urls_keep_the_base_prefix() {
        let conn = Connection::new(
            by_id("filejar").unwrap(),
            Url::parse("http://127.0.0.1:9/prefix/").unwrap(),
            None,
        );
        let client = Client::new(conn).unwrap();
        let url = client
            .url_for(
                "/v1/files",
                &[crate::api::dialect::param("search", "a b&c")],
            )
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/prefix/v1/files?search=a+b%26c"
        );
    }
}

#[cfg(test)]
mod retry_tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use axum::http::{HeaderMap as AxumHeaders, StatusCode as AxumStatus};
    use axum::routing::get;

    use super::*;
    use crate::api::dialect::by_id;

    /// A server on 127.0.0.1 whose answers are scripted: status and headers per call, then 200s
    /// with an empty FileJar page. Returns its URL and the call counter.
    async fn scripted(
        script: Vec<(u16, Vec<(&'static str, String)>)>,
    ) -> (String, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let script = Arc::new(Mutex::new(script.into_iter()));
        let counter = Arc::clone(&calls);
        let app = axum::Router::new().route(
            "/v1/files/organization-files",
            get(move || {
                let (calls, script) = (Arc::clone(&counter), Arc::clone(&script));
                async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    let next = script.lock().unwrap().next();
                    let (status, headers) = next.unwrap_or((200, Vec::new()));
                    let mut h = AxumHeaders::new();
                    for (k, v) in headers {
                        h.insert(k, v.parse().unwrap());
                    }
                    let body = if status == 200 {
                        r#"{"files": [], "pagination": {"total": 0}}"#
                    } else {
                        r#"{"success": false, "error": "busy", "message": "try later"}"#
                    };
                    (AxumStatus::from_u16(status).unwrap(), h, body)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, calls)
    }

    fn client(url: &str) -> Client {
        let mut conn = Connection::new(by_id("filejar").unwrap(), url.parse().unwrap(), None);
        conn.retry.base = Duration::from_millis(5);
        Client::new(conn).unwrap()
    }

    fn query() -> ListQuery {
        ListQuery::new(by_id("filejar").unwrap().capabilities().default_sort)
    }

    fn first() -> crate::api::PageRequest {
        crate::api::PageRequest {
            number: 1,
            size: 10,
        }
    }

    #[tokio::test]
    async fn server_errors_are_retried_then_succeed() {
        let (url, calls) = scripted(vec![(503, vec![]), (502, vec![])]).await;
        let notices = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&notices);
        let client = client(&url).with_notifier(move |n| {
            if let Notice::Retry(n) = n {
                seen.lock().unwrap().push(n)
            }
        });
        client.list_page(&query(), first()).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        let notices = notices.lock().unwrap();
        assert_eq!(notices.len(), 2);
        assert_eq!(notices[0].reason, "HTTP 503 from the server");
        assert_eq!((notices[1].attempt, notices[1].attempts), (3, 4));
    }

    #[tokio::test]
    async fn a_429_waits_as_long_as_the_server_says() {
        let (url, calls) = scripted(vec![(429, vec![("retry-after", "1".into())])]).await;
        let notices = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&notices);
        let client = client(&url).with_notifier(move |n| {
            if let Notice::Retry(n) = n {
                seen.lock().unwrap().push(n)
            }
        });
        let started = std::time::Instant::now();
        client.list_page(&query(), first()).await.unwrap();
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "Retry-After was honoured"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(
            notices.lock().unwrap()[0].describe(),
            "rate limited by the server, retrying in 1 s (attempt 2 of 4)"
        );
    }

    #[tokio::test]
    async fn other_client_errors_are_not_retried_and_retries_end() {
        let (url, calls) = scripted(vec![(400, vec![])]).await;
        let err = client(&url).list_page(&query(), first()).await.unwrap_err();
        assert!(matches!(err, ApiError::Http { status: 400, .. }), "{err}");
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        let (url, calls) = scripted(vec![(500, vec![]); 10]).await;
        let err = client(&url).list_page(&query(), first()).await.unwrap_err();
        assert!(matches!(err, ApiError::Http { status: 500, .. }), "{err}");
        assert_eq!(calls.load(Ordering::SeqCst), 4, "four attempts in all");

        // A server asking for more than a minute is not waited for.
        let (url, calls) = scripted(vec![(429, vec![("retry-after", "3600".into())])]).await;
        let err = client(&url).list_page(&query(), first()).await.unwrap_err();
        assert!(matches!(err, ApiError::Http { status: 429, .. }), "{err}");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_redirect_to_another_origin_is_not_followed_with_the_key() {
        // B would record any request it gets, with its x-api-key header.
        let seen = Arc::new(Mutex::new(Vec::<Option<String>>::new()));
        let log = Arc::clone(&seen);
        let b = axum::Router::new().fallback(move |headers: AxumHeaders| {
            let log = Arc::clone(&log);
            async move {
                let key = headers
                    .get("x-api-key")
                    .map(|v| v.to_str().unwrap_or("").to_string());
                log.lock().unwrap().push(key);
                r#"{"files": []}"#
            }
        });
        let lb = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let b_url = format!("http://{}", lb.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(lb, b).await });
        // A redirects every listing to B: same host, another port, so another origin.
        let target = format!("{b_url}/v1/files/organization-files");
        let a = axum::Router::new().route(
            "/v1/files/organization-files",
            get(move || {
                let target = target.clone();
                async move { axum::response::Redirect::temporary(&target) }
            }),
        );
        let la = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a_url = format!("http://{}", la.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(la, a).await });

        let conn = Connection::new(
            by_id("filejar").unwrap(),
            a_url.parse().unwrap(),
            Some(Secret::new("sk-redirect-canary")),
        );
        let err = Client::new(conn)
            .unwrap()
            .list_page(&query(), first())
            .await
            .unwrap_err();
        assert!(matches!(err, ApiError::CrossOriginRedirect { .. }), "{err}");
        assert!(err.to_string().contains("not followed"), "{err}");
        assert!(
            seen.lock().unwrap().is_empty(),
            "B was never asked, so never saw the key"
        );
    }
}
