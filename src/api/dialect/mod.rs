//! The `Dialect` seam. A dialect declares what the API can do (as data), builds the list
//! request for a query and a page, and decodes pages and error bodies. Most are definitions
//! read by the declared engine (`declared.rs`): FileJar, Flextell, AstraCollab and FileGuard
//! ship as TOML in `builtin/`, the example shapes in docs/dialects/, and users declare their
//! own. Adding an API the engine can say means one definition plus a line in [`REGISTRY`];
//! one it cannot means a file here (Open WebUI).

#[cfg(test)]
mod builtin_tests;
#[cfg(test)]
mod conformance;
pub mod declared;
mod openwebui;
mod registry;

use std::borrow::Cow;
use std::fmt;

use super::decode::Limits;
use super::filter::{Term, TermKey};
use super::query::{ListQuery, Sort, SortField};
use super::record::FileRecord;

pub use openwebui::OpenWebUi;
pub use registry::{
    BUILTIN_DEFINITIONS, Dialects, EXAMPLE_DIALECTS, REGISTRY, by_id, example, ids, is_builtin,
    names,
};

/// How the API wants its credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// The key in a header of its own, e.g. `x-api-key: <key>`.
    ApiKeyHeader(Cow<'static, str>),
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// A header whose value is a template around the key: `Authorization: Token {key}`.
    Template {
        header: Cow<'static, str>,
        value: Cow<'static, str>,
    },
    /// The key in a query parameter of every request to the API (`?key=…`).
    Query(Cow<'static, str>),
    /// No key of the API's own: the store's family signs each request itself (S3, see
    /// [`crate::api::family`]), or none is needed.
    None,
}

impl Auth {
    /// Names the credential for messages such as "the x-api-key header was rejected".
    pub fn describe(&self) -> String {
        match self {
            Auth::ApiKeyHeader(name) => format!("the {name} header"),
            Auth::Bearer => "the Bearer token".to_string(),
            Auth::Template { header, .. } => format!("the {header} header"),
            Auth::Query(param) => format!("the {param} query parameter"),
            Auth::None => "no credential".to_string(),
        }
    }

    /// The header that carries the key, and its value, when the key goes in a header.
    pub fn header(&self, key: &str) -> Option<(&str, String)> {
        match self {
            Auth::ApiKeyHeader(name) => Some((name, key.to_string())),
            Auth::Bearer => Some(("authorization", format!("Bearer {key}"))),
            Auth::Template { header, value } => Some((header, value.replace("{key}", key))),
            Auth::Query(_) | Auth::None => None,
        }
    }
}

/// What comes after a page, as its answer said.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Continuation {
    /// A token the next request carries (`cursor=…`, `pageToken=…`, `starting_after=…`).
    Cursor(String),
    /// The next page's URL, absolute or relative to the request's.
    Link(String),
}

/// The longest cursor or next link followed: real ones are a few hundred bytes (S3's are
/// about 200). A longer one is refused as a broken answer rather than sent (a URL of 64 KiB is
/// not even valid) or kept: a server that pages for ever with huge tokens must not fill memory.
pub const MAX_CONTINUATION_BYTES: usize = 16 << 10;

impl Continuation {
    fn text(&self) -> &str {
        match self {
            Continuation::Cursor(text) | Continuation::Link(text) => text,
        }
    }

    /// A fixed-size stand-in for the continuation, to remember that it was seen without
    /// keeping it.
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.hash(&mut hasher);
        hasher.finish()
    }

    /// Refuses a continuation longer than [`MAX_CONTINUATION_BYTES`], in words that name both.
    pub fn check_length(&self) -> Result<(), String> {
        let len = self.text().len();
        if len <= MAX_CONTINUATION_BYTES {
            return Ok(());
        }
        let what = match self {
            Continuation::Cursor(_) => "cursor",
            Continuation::Link(_) => "next link",
        };
        Err(format!(
            "the server's {what} for the next page is {} bytes, more than the {} a {what} may be; not followed",
            crate::text::thousands(len),
            crate::text::thousands(MAX_CONTINUATION_BYTES)
        ))
    }
}

/// How an API's pages are reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Any page by its number (page or offset parameters): a jump fetches only what it shows.
    Numbered,
    /// Each page from the one before it (a cursor or a next link): read in order.
    Sequential,
}

/// What kind of free-text search the server does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Search {
    /// None: free text is matched locally against names and ids.
    None,
    /// A case-insensitive substring match.
    Substring,
    /// A glob over the whole name; the dialect turns `report` into `*report*`.
    Glob,
    /// A key prefix (S3): text that starts with `/` is a prefix from the listing's root, sent
    /// to the server; any other text is matched locally against names and ids.
    Prefix,
}

/// What an API can do server-side, declared by its dialect. The UI offers only what is here,
/// and does the rest locally over loaded rows.
#[derive(Debug)]
pub struct Capabilities {
    /// The name used on the command line and in profiles, e.g. `filejar`.
    pub id: Cow<'static, str>,
    /// How the API wants its credential.
    pub auth: Auth,
    /// Fields the server can sort by; empty means no server-side sort.
    pub sort_fields: Cow<'static, [SortField]>,
    /// The order the server lists in when asked for nothing (and, for an API that sorts, the
    /// order filescope asks for first).
    pub default_sort: Sort,
    /// Whether `default_sort` is documented. FileGuard's order is not: its listing is shown
    /// "as served", and every sort the user picks is local.
    pub order_known: bool,
    pub search: Search,
    /// Structured filter terms the server applies (see also [`Dialect::applies_on_server`]).
    pub terms: Cow<'static, [TermKey]>,
    /// The largest page the server accepts; for a fixed page size, that size.
    pub max_page_size: usize,
    /// The page size the explorer asks for: small enough for a quick first paint over a slow
    /// link, large enough that scrolling rarely waits.
    pub ui_page_size: usize,
    /// Where the API lives under the base URL unless the connection says otherwise
    /// (Open WebUI's `/api/v1`; empty for the rest).
    pub path_prefix: Cow<'static, str>,
}

impl Capabilities {
    pub fn can_sort(&self, field: SortField) -> bool {
        self.sort_fields.contains(&field)
    }
}

/// Which page to fetch: numbered from 1, as every API here numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageRequest {
    pub number: usize,
    pub size: usize,
}

impl PageRequest {
    /// Index of the first row of this page in the whole listing.
    pub fn first_row(self) -> usize {
        (self.number - 1) * self.size
    }
}

/// A relative request: a path under the connection's base URL and its query parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSpec {
    pub path: String,
    pub query: Vec<Param>,
}

/// A query parameter: its name (a literal, or from a declared dialect's definition) and value.
pub type Param = (std::borrow::Cow<'static, str>, String);

/// A parameter named by a literal.
pub fn param(name: &'static str, value: impl Into<String>) -> Param {
    (std::borrow::Cow::Borrowed(name), value.into())
}

/// Parameters named by literals.
pub fn params(list: Vec<(&'static str, String)>) -> Vec<Param> {
    list.into_iter()
        .map(|(name, value)| (std::borrow::Cow::Borrowed(name), value))
        .collect()
}

/// One decoded page of a listing.
#[derive(Debug, Default)]
pub struct Page {
    pub records: Vec<FileRecord>,
    /// Matching records in the whole listing, when the API says.
    pub total: Option<usize>,
    /// Whether another page follows, when the API says.
    pub has_next: Option<bool>,
    /// What the listing belongs to, when the API says (FileJar's organization name).
    pub scope: Option<String>,
    /// The total is the server's estimate, not a count: never a bound on how far to read.
    pub total_is_estimate: bool,
    /// What the next request must carry, for APIs read in order.
    pub next: Option<Continuation>,
    /// The number of the last page, when the answer names it (a `Link: …; rel="last"`).
    pub last_page: Option<usize>,
    /// Something about the answer the user should know (a declared path that resolved
    /// nothing), for the status line.
    pub warning: Option<String>,
    /// The size of the answer's body, for budgeting answers in flight.
    pub body_bytes: usize,
}

/// A place files are grouped in, listed beside the files: an AstraCollab folder or a
/// FileGuard context. Choosing one narrows the listing with [`Dialect::scope_term`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub id: String,
    pub name: String,
    /// A short note shown after the name, e.g. "12 files".
    pub note: Option<String>,
    /// The API's own count of the files in it, when it gives one.
    pub files: Option<u64>,
    /// The API's own total size of the files in it, when it gives one.
    pub bytes: Option<u64>,
}

/// One page of scopes.
#[derive(Debug, Default)]
pub struct ScopePage {
    pub scopes: Vec<Scope>,
    pub has_next: bool,
}

/// What an API groups files in, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    /// A tree: choosing a folder goes into it and lists its sub-folders.
    Folders,
    /// A tree whose folders are rows of the listing itself (S3's common prefixes): Enter on
    /// one goes into it, Backspace goes up; there is no pane and nothing else to fetch.
    Prefixes,
    /// A flat list of filter values.
    Contexts,
}

impl ScopeKind {
    pub fn title(self) -> &'static str {
        match self {
            ScopeKind::Folders | ScopeKind::Prefixes => "Folders",
            ScopeKind::Contexts => "Contexts",
        }
    }
}

/// Where a file's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentSource {
    /// An absolute link in the record (FileJar's CDN `url`, Flextell's signed `temporary_url`).
    /// The credential goes with it only when it is on the API's own origin.
    Link(String),
    /// An endpoint of the API itself, fetched with the credential (Open WebUI's
    /// `/files/{id}/content`).
    Endpoint(RequestSpec),
    /// An endpoint that answers with a fresh link, found at this JSON pointer (FileGuard's
    /// `/files/{id}`, AstraCollab's `/v1/files/{id}`).
    Resolve {
        request: RequestSpec,
        pointer: Cow<'static, str>,
    },
    /// The bytes cannot be fetched; why.
    Unavailable(String),
}

/// Reads a string at a JSON pointer of a record's raw object.
pub(crate) fn raw_str(record: &FileRecord, pointer: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(record.raw.get()).ok()?;
    value
        .pointer(pointer)
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// An API's own description of a failure, read from its error envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorInfo {
    pub code: Option<String>,
    pub message: String,
}

pub trait Dialect: Send + Sync + fmt::Debug {
    fn capabilities(&self) -> &Capabilities;

    /// The name used on the command line and in profiles, e.g. `filejar`.
    fn id(&self) -> &str {
        &self.capabilities().id
    }

    fn auth(&self) -> &Auth {
        &self.capabilities().auth
    }
    /// The list request, its path relative to the connection's path prefix.
    fn list_request(&self, query: &ListQuery, page: PageRequest) -> RequestSpec;
    /// How pages are reached: by number (the default), or each from the one before.
    fn access(&self) -> Access {
        Access::Numbered
    }

    /// The request for a page that continues from `cursor` (APIs read in order).
    fn continue_request(&self, query: &ListQuery, page: PageRequest, _cursor: &str) -> RequestSpec {
        self.list_request(query, page)
    }

    /// Whether a next link to another origin may be followed (without the key).
    fn follows_other_origins(&self) -> bool {
        false
    }

    /// What the page after this answer continues from, read before the answer's records are
    /// decoded, so that the next request of a walk in order can leave at once. `None` when it
    /// cannot be told cheaply (the walk then waits for the decoded page, whose `next` is the
    /// truth either way).
    fn peek_next(
        &self,
        _page: PageRequest,
        _headers: &reqwest::header::HeaderMap,
        _body: &[u8],
    ) -> Option<Continuation> {
        None
    }

    /// Decodes a list answer with its headers (a `Link` header pages some APIs); by default
    /// the body alone says everything.
    fn decode_answer(
        &self,
        query: &ListQuery,
        page: PageRequest,
        _headers: &reqwest::header::HeaderMap,
        body: &[u8],
        limits: Limits,
    ) -> Result<Page, String> {
        self.decode_page(query, page, body, limits)
    }

    /// Decodes a successful list response to `list_request(query, page)`. Errs only when the
    /// envelope itself is unreadable or holds more than `limits` allow; a bad record becomes a
    /// record with problems.
    fn decode_page(
        &self,
        query: &ListQuery,
        page: PageRequest,
        body: &[u8],
        limits: Limits,
    ) -> Result<Page, String>;
    /// Reads the API's error envelope, if the body is one.
    fn decode_error(&self, body: &[u8]) -> Option<ErrorInfo>;

    /// Whether an error answer to a list request means "no files" (Open WebUI's 404 on a
    /// search that matches nothing).
    fn error_means_empty(&self, _query: &ListQuery, _status: u16, _body: &[u8]) -> bool {
        false
    }

    /// The request for one file's full record, where the API has one that is free to call.
    fn detail_request(&self, _id: &str) -> Option<RequestSpec> {
        None
    }

    /// Decodes the answer to [`Dialect::detail_request`].
    fn decode_detail(&self, _body: &[u8]) -> Result<FileRecord, String> {
        Err("this API has no single-file endpoint".to_string())
    }

    /// Where the file's bytes come from; by default the record's own link.
    fn content_source(&self, record: &FileRecord) -> ContentSource {
        match &record.url {
            Some(url) if !url.is_empty() => ContentSource::Link(url.clone()),
            _ => ContentSource::Unavailable("the record has no link to its content".to_string()),
        }
    }

    /// Whether resolving a link has a cost the user should know about (FileGuard counts every
    /// link handed out as a download), so it is only done when asked.
    fn link_counts_as_download(&self) -> bool {
        false
    }

    /// The digest of the content when the record publishes one this can check.
    fn checksum(&self, _record: &FileRecord) -> Option<crate::api::content::Checksum> {
        None
    }

    /// The checksum the record publishes, as written (`sha256:…`), usable or not: said when
    /// [`Dialect::checksum`] finds nothing it can check.
    fn checksum_text(&self, _record: &FileRecord) -> Option<String> {
        None
    }

    /// Whether the checksum is only in the single-file record (FileGuard's `/metadata`, S3's
    /// HEAD).
    fn checksum_in_detail(&self) -> bool {
        false
    }

    /// An endpoint with the file's extracted text, and the JSON pointer of the text in its
    /// answer (Open WebUI's `/files/{id}/data/content`).
    fn text_request(&self, _id: &str) -> Option<(RequestSpec, &'static str)> {
        None
    }

    /// The request that deletes a file (sent as DELETE), where the API has one.
    fn delete_request(&self, _id: &str) -> Option<RequestSpec> {
        None
    }

    /// Where the storage keeps the file (FileJar's `key`, Open WebUI's server `path`).
    fn storage_key(&self, _record: &FileRecord) -> Option<String> {
        None
    }

    /// What the API groups files in, if it lists such groups.
    fn scope_kind(&self) -> Option<ScopeKind> {
        None
    }

    /// The request for a page of scopes; for folders, the children of `parent` (`None`: the
    /// root).
    fn scopes_request(&self, _parent: Option<&str>, _page: PageRequest) -> Option<RequestSpec> {
        None
    }

    fn decode_scopes(&self, _body: &[u8]) -> Result<ScopePage, String> {
        Err("this API has no folders or contexts".to_string())
    }

    /// The filter term that narrows the listing to a scope.
    fn scope_term(&self, id: &str) -> Term {
        Term::Folder(id.to_string())
    }

    /// Whether a row of the listing is a folder (S3's common prefixes) rather than a file:
    /// Enter goes into it, and file actions skip it.
    fn is_folder(&self, _record: &FileRecord) -> bool {
        false
    }

    /// The method of [`Dialect::detail_request`]: GET, or HEAD where the detail is in the
    /// headers (S3).
    fn detail_method(&self) -> reqwest::Method {
        reqwest::Method::GET
    }

    /// Decodes the answer to [`Dialect::detail_request`] with its headers; by default the
    /// body alone says everything.
    fn decode_detail_answer(
        &self,
        _id: &str,
        _headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) -> Result<FileRecord, String> {
        self.decode_detail(body)
    }

    /// The beginning every key of a listing shares (S3's `prefix`), for that search.
    fn key_prefix(&self, _query: &ListQuery) -> String {
        String::new()
    }

    /// Whether the store lists the versions it keeps of each key ([`ListQuery::versions`]):
    /// S3's ListObjectVersions.
    fn lists_versions(&self) -> bool {
        false
    }

    /// Whether the server applies this term; the rest are applied locally.
    fn applies_on_server(&self, term: &Term) -> bool {
        self.capabilities().terms.contains(&term.key())
    }

    /// Fields a listing of `query` has beside the common ones (S3's list of buckets:
    /// `region`), as a name and the JSON pointer of its value in the record's raw object:
    /// `ls` writes them in every format.
    fn extra_fields(&self, _query: &ListQuery) -> Vec<(&'static str, &'static str)> {
        Vec::new()
    }

    /// The term keys a filter may use with this API: what the server applies plus what
    /// filescope can apply itself.
    fn filter_keys(&self) -> Vec<TermKey> {
        let server = &self.capabilities().terms;
        TermKey::ALL
            .into_iter()
            .filter(|k| k.is_local() || server.contains(k))
            .collect()
    }
}

/// An id as one URL path segment: everything but unreserved characters percent-encoded, so an
/// id can never change the path it is put in.
pub(crate) fn path_segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes the record object at `path` of a single-file answer.
pub(crate) fn one_record(
    value: &serde_json::Value,
    path: &str,
    decode: impl Fn(&mut super::decode::Fields<'_>) -> super::decode::Normalized,
) -> Result<FileRecord, String> {
    let data = super::decode::lookup(value, path)
        .filter(|v| v.is_object())
        .ok_or_else(|| format!("expected a `{path}` object in the answer"))?;
    let raw = serde_json::value::to_raw_value(data).map_err(|e| e.to_string())?;
    Ok(super::decode::decode_one(raw, &decode))
}

/// Appends an error envelope's details to its message: a map (`{"limit": "Must be ≤ 100"}` or
/// Laravel's `{"per_page": ["…"]}`) or a list of strings, each shortened, at most three shown.
pub(crate) fn with_details(message: String, details: Option<&serde_json::Value>) -> String {
    use serde_json::Value;
    fn text(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Array(items) => {
                let parts: Vec<String> = items.iter().filter_map(text).collect();
                (!parts.is_empty()).then(|| parts.join(", "))
            }
            Value::Null => None,
            other => Some(super::decode::preview(other)),
        }
    }
    let parts: Vec<String> = match details {
        Some(Value::Object(map)) => map
            .iter()
            .filter_map(|(k, v)| text(v).map(|t| format!("{k}: {t}")))
            .collect(),
        Some(Value::Array(items)) => items.iter().filter_map(text).collect(),
        _ => Vec::new(),
    };
    let parts: Vec<String> = parts
        .into_iter()
        .filter(|p| !message.contains(p.as_str()))
        .take(3)
        .collect();
    if parts.is_empty() {
        message
    } else {
        format!("{message} ({})", parts.join("; "))
    }
}

/// The tightest `(at least, at most)` byte bounds of the size terms in `terms`.
pub(crate) fn size_bounds(terms: &[Term]) -> (Option<u64>, Option<u64>) {
    let mut bounds = (None::<u64>, None::<u64>);
    for (lo, hi) in terms.iter().filter_map(Term::size_range) {
        if let Some(lo) = lo {
            bounds.0 = Some(bounds.0.map_or(lo, |b| b.max(lo)));
        }
        if let Some(hi) = hi {
            bounds.1 = Some(bounds.1.map_or(hi, |b| b.min(hi)));
        }
    }
    bounds
}

/// Reads the error envelopes most JSON APIs use: `{"message": …}`, `{"detail": …}`,
/// `{"error": "code", "message": …}` or `{"error": {"code": …, "message": …}}`.
pub(crate) fn common_error(body: &[u8]) -> Option<ErrorInfo> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let obj = value.as_object()?;
    let text = |key: &str| obj.get(key).and_then(|v| v.as_str()).map(str::to_string);
    if let Some(inner) = obj.get("error").and_then(|e| e.as_object()) {
        let message = inner.get("message").and_then(|m| m.as_str())?;
        return Some(ErrorInfo {
            code: inner
                .get("code")
                .and_then(|c| c.as_str())
                .map(str::to_string),
            message: message.to_string(),
        });
    }
    let message = text("message").or_else(|| text("detail"));
    match (text("error"), message) {
        (code, Some(message)) => Some(ErrorInfo { code, message }),
        (Some(code), None) => Some(ErrorInfo {
            message: code.clone(),
            code: Some(code),
        }),
        (None, None) => None,
    }
}
