//! The `Dialect` seam: one file per API. A dialect declares what the API can do (as data), builds
//! the list request for a query and a page, and decodes pages and error bodies. Adding an API
//! means one new file here plus a line in [`REGISTRY`].

mod filejar;

use std::fmt;
use std::sync::Arc;

use super::query::{ListQuery, Sort, SortField};
use super::record::FileRecord;

pub use filejar::FileJar;

/// How the API wants its credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// The key in a header of its own, e.g. `x-api-key: <key>`.
    ApiKeyHeader(&'static str),
    /// `Authorization: Bearer <token>`.
    Bearer,
}

impl Auth {
    /// Names the credential for messages such as "the x-api-key header was rejected".
    pub fn describe(self) -> String {
        match self {
            Auth::ApiKeyHeader(name) => format!("the {name} header"),
            Auth::Bearer => "the Bearer token".to_string(),
        }
    }
}

/// What an API can do server-side, declared by its dialect. The UI offers only what is here.
#[derive(Debug)]
pub struct Capabilities {
    /// Fields the server can sort by; empty means no server-side sort.
    pub sort_fields: &'static [SortField],
    /// The order the server lists in when asked for nothing.
    pub default_sort: Sort,
    /// Whether the server takes a free-text search.
    pub search: bool,
    /// The largest page the server accepts.
    pub max_page_size: usize,
    /// The page size the explorer asks for: small enough for a quick first paint over a slow
    /// link, large enough that scrolling rarely waits.
    pub ui_page_size: usize,
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
    pub query: Vec<(&'static str, String)>,
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
}

/// An API's own description of a failure, read from its error envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorInfo {
    pub code: Option<String>,
    pub message: String,
}

pub trait Dialect: Send + Sync + fmt::Debug {
    /// The name used on the command line and in profiles, e.g. `filejar`.
    fn id(&self) -> &'static str;
    fn capabilities(&self) -> &'static Capabilities;
    fn auth(&self) -> Auth;
    fn list_request(&self, query: &ListQuery, page: PageRequest) -> RequestSpec;
    /// Decodes a successful list response. Errs only when the envelope itself is unreadable;
    /// a bad record becomes a record with problems.
    fn decode_page(&self, body: &[u8]) -> Result<Page, String>;
    /// Reads the API's error envelope, if the body is one.
    fn decode_error(&self, body: &[u8]) -> Option<ErrorInfo>;
}

type Constructor = fn() -> Arc<dyn Dialect>;

/// Every dialect filescope speaks, by id.
pub const REGISTRY: &[(&str, Constructor)] = &[("filejar", || Arc::new(FileJar))];

/// The dialect with this id, or `None`.
pub fn by_id(id: &str) -> Option<Arc<dyn Dialect>> {
    REGISTRY
        .iter()
        .find(|(name, _)| *name == id)
        .map(|(_, make)| make())
}

/// The ids of every dialect, for help texts and error messages.
pub fn ids() -> Vec<&'static str> {
    REGISTRY.iter().map(|(name, _)| *name).collect()
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
