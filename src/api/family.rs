//! Families of stores: how a store is *reached*, apart from what its listing *is* (the
//! [`Dialect`]). A family places and signs requests, corrects where they go, shares links,
//! knows the secrets to keep out of messages and how a curl command authenticates, and may
//! find the last rows of a listing without walking it. The client holds a dialect and a
//! [`Reach`] and names no family.
//!
//! The families: JSON APIs over HTTP ([`super::json`]: a base URL, the key in a header or
//! the query), S3 ([`super::s3`]: Signature V4, the bucket's region, presigned links, the
//! tail search) and Azure Blob Storage ([`super::azure`]: Shared Key, SAS, Entra ID tokens). A family with a URL scheme of its own (`s3://`) is listed in
//! [`FAMILIES`], which builds its connections from a location; JSON APIs are everything else.
//! Adding a family is a folder under `src/api/` plus a line in [`FAMILIES`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::Url;
use reqwest::header::HeaderMap;

use super::client::{Client, Connection, Secret};
use super::dialect::{Dialect, Param};
use super::error::ApiError;
use super::query::ListQuery;
use super::record::FileRecord;
use crate::text::shell::Part;

/// A request sent again where the store said it must go: signed for another region (and,
/// on AWS's own endpoints, to that region's host).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relocation {
    pub url: Url,
    /// The region signed for before, and the one the store named.
    pub from: String,
    pub to: String,
}

/// Where the last rows of a listing start, found without walking it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tail {
    /// List after this key to get the last rows (`None`: the whole listing is short).
    pub start_after: Option<String>,
    /// How many rows follow it.
    pub rows: usize,
    /// Requests the search made.
    pub requests: usize,
    /// The rows themselves, as the last request listed them.
    pub records: Vec<FileRecord>,
}

/// How a store is reached: where a request goes, what it carries, and what the family can do
/// beyond listing. The defaults are a store that needs none of it.
pub trait Reach: Send + Sync + fmt::Debug {
    /// The absolute URL of a request (`path` under the store, `query` its parameters), without
    /// any credential. Errs when the request cannot be placed (a `.` or `..` segment, a key a
    /// URL cannot hold).
    fn url(&self, conn: &Connection, path: &str, query: &[Param]) -> Result<Url, String>;

    /// Puts the credential in a URL where the family sends it in the query (`?key=…`), unless
    /// the URL has it already (a next link the server wrote may).
    fn add_query_key(&self, _conn: &Connection, _url: &mut Url) {}

    /// The header that carries the connection's credential on every request, if one does.
    fn key_header<'c>(&self, _conn: &'c Connection) -> Option<(&'c str, String)> {
        None
    }

    /// Whether a URL of the store's own (an endpoint a content source names) goes out with
    /// the credential: by default only on the base URL's origin.
    fn is_own(&self, conn: &Connection, url: &Url) -> bool {
        url.origin() == conn.base_url.origin()
    }

    /// The headers that sign a request to `url`, added after the connection's own. Errs when
    /// the request cannot be signed.
    fn sign(
        &self,
        _method: &reqwest::Method,
        _url: &Url,
        _headers: &[(&str, &str)],
    ) -> Result<Vec<(String, String)>, String> {
        Ok(Vec::new())
    }

    /// Whether an answer with this status may say the request belongs elsewhere (S3's wrong
    /// region): its body is then read and [`Reach::relocate`] asked.
    fn may_relocate(&self, _status: u16) -> bool {
        false
    }

    /// After an answer [`Reach::may_relocate`] let through: where the request must go now, to
    /// be signed and sent again (once), when the answer says so. Never follows a redirect
    /// itself. `Err` when the answer names something that cannot be a place: refused.
    fn relocate(
        &self,
        _status: u16,
        _headers: &HeaderMap,
        _body: &[u8],
        _url: &Url,
    ) -> Result<Option<Relocation>, String> {
        Ok(None)
    }

    /// A link to the file's bytes that works for anyone holding it, for `expires` (S3's
    /// presigned GET). `None` where the family has no such thing.
    fn share_link(&self, _record: &FileRecord, _expires: Duration) -> Option<Result<Url, String>> {
        None
    }

    /// Secrets the family holds beside the connection's key (S3's secret key and session
    /// token), kept out of every message and log like it.
    fn secrets(&self) -> Vec<String> {
        Vec::new()
    }

    /// Work to do before a request is signed, if any: S3 asks its credential chain on the
    /// first request, and again before temporary credentials expire. An error names the
    /// source that was asked and what it said.
    fn ready(&self) -> Option<futures::future::BoxFuture<'_, Result<(), String>>> {
        None
    }

    /// Where the store's own credentials come from (S3: the chain's source, or why requests
    /// go unsigned), for the header; `None` for a store reached with the connection's key.
    fn credential_source(&self) -> Option<String> {
        None
    }

    /// What to say when the store refuses the credential.
    fn credential_hint(&self, conn: &Connection, status: u16) -> String;

    /// The words of a curl command that name the URL and authenticate (the key as the
    /// variable `key_var`, or the family's own signing), each one shell word, quoted by the
    /// caller.
    fn curl_target(
        &self,
        conn: &Connection,
        url: &Url,
        key_var: &'static str,
    ) -> Vec<Vec<Part<'static>>>;

    /// Headers for a request of a file's bytes, and of its detail when that is a HEAD (S3
    /// asks for checksums with `x-amz-checksum-mode`).
    fn content_headers(&self) -> Vec<(&'static str, &'static str)> {
        Vec::new()
    }

    /// Whether a download resumes with `If-Match` on the ETag (S3, which ignores `If-Range`)
    /// rather than `If-Range`.
    fn resumes_with_if_match(&self) -> bool {
        false
    }

    /// Whether the family can find the last rows of a listing read in order without walking
    /// it ([`Reach::find_tail`]).
    fn finds_tail(&self) -> bool {
        false
    }

    /// Whether a listing of `query` can be read from any start key (`ListQuery::start_after`:
    /// S3's `start-after`), in the order keys sort as bytes, each page continued with the
    /// family's own continuation: then a whole listing is read by key range, several parts
    /// at once ([`crate::api::ranged`]). A family says yes only where its list call takes a
    /// start key and returns keys in byte order: S3 does; GCS (`startOffset`) and Azure
    /// (`startFrom`) could, and do not yet.
    fn lists_by_key(&self, _query: &ListQuery) -> bool {
        false
    }

    /// Finds a key after which between `want` and a page of entries of `query` remain,
    /// starting from `from` (the last key already known), and those entries; `None` where
    /// the family cannot.
    fn find_tail<'a>(
        &'a self,
        _client: &'a Client,
        _query: &'a ListQuery,
        _want: usize,
        _from: Option<&'a str>,
    ) -> Option<BoxFuture<'a, Result<Tail, ApiError>>> {
        None
    }
}

/// A store as a connection holds it: what its listing is, and how it is reached.
#[derive(Debug, Clone)]
pub struct Store {
    pub dialect: Arc<dyn Dialect>,
    pub reach: Arc<dyn Reach>,
}

/// A dialect alone is a JSON API over HTTP.
impl From<Arc<dyn Dialect>> for Store {
    fn from(dialect: Arc<dyn Dialect>) -> Self {
        Store {
            dialect,
            reach: Arc::new(super::json::Http),
        }
    }
}

/// Where the credentials of a family's store come from.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// Found the family's own way (AWS's chain for S3), from a named profile of that chain
    /// when one is given.
    Found {
        profile: Option<String>,
        /// How long a credential command may take (`[network] command_timeout_secs`).
        command_timeout: Duration,
    },
    /// None: requests go unsigned (`--no-sign-request`, a public bucket).
    Unsigned,
    /// Given outright (the demo's own key pair).
    Given {
        id: String,
        secret: Secret,
        /// A session token that goes with them, if any.
        token: Option<Secret>,
        /// Where they came from, for messages.
        source: String,
    },
}

/// Where a family's store is, as the command line or a profile says.
#[derive(Debug, Clone)]
pub struct Location {
    /// The store's own URL (`s3://BUCKET[/PREFIX/]`).
    pub url: Url,
    /// An endpoint other than the family's own service (`http://127.0.0.1:9000`).
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub credentials: Credentials,
    /// `None`: the family decides (S3: path style off AWS).
    pub path_style: Option<bool>,
    /// List one level at a time, folders as rows; otherwise every key under the root.
    pub levels: bool,
}

/// A family of stores with a URL scheme of its own.
pub struct Family {
    /// Its dialect's name (`s3`, `gcs`).
    pub name: &'static str,
    /// Its URL scheme (`s3`, `gs`): the dialect's name unless the cloud's own tools write
    /// another.
    pub scheme: &'static str,
    /// Its URLs' form, for messages (`s3://BUCKET[/PREFIX/]`).
    pub url_form: &'static str,
    /// The connection to a store at a location (credentials, region, endpoint resolved).
    pub connect: fn(&Location) -> Result<Connection, String>,
    /// Where the credentials come from, for `filescope profiles` (never a credential):
    /// given the family's own credential profile, if the filescope profile names one.
    pub key_source: fn(Option<&str>) -> String,
}

impl fmt::Debug for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Family").field("name", &self.name).finish()
    }
}

/// Every family with a scheme of its own. JSON APIs are reached by `http://` and `https://`.
pub const FAMILIES: &[Family] = &[super::s3::FAMILY, super::azure::FAMILY, super::gcs::FAMILY];

/// The family whose dialect is `name`, if any.
pub fn by_name(name: &str) -> Option<&'static Family> {
    FAMILIES.iter().find(|f| f.name == name)
}

/// The family whose URLs have this scheme (`s3` for `s3://…`), if any.
pub fn for_scheme(scheme: &str) -> Option<&'static Family> {
    FAMILIES.iter().find(|f| f.scheme == scheme)
}

/// The families' URL schemes, for help texts and error messages.
pub fn schemes() -> impl Iterator<Item = &'static str> {
    FAMILIES.iter().map(|f| f.scheme)
}

/// Words joined as a sentence lists them: `a`, `a or b`, `a, b or c`.
pub fn either(words: &[&str]) -> String {
    match words.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// The families' names, for help texts and error messages.
pub fn names() -> impl Iterator<Item = &'static str> {
    FAMILIES.iter().map(|f| f.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every family is one line of the registry and is known everywhere by it: a dialect
    /// name no declared dialect may take, a URL scheme `parse_url` accepts, and a store
    /// whose reach is its own (not the JSON family's).
    #[test]
    fn every_family_is_known_by_its_registry_line_alone() {
        assert!(!FAMILIES.is_empty());
        for family in FAMILIES {
            let name = family.name;
            let scheme = family.scheme;
            assert_eq!(for_scheme(scheme).map(|f| f.name), Some(name));
            assert!(
                super::super::dialect::is_builtin(name),
                "{name} is reserved"
            );
            assert!(super::super::dialect::names().contains(&name), "{name}");
            assert!(super::super::dialect::by_id(name).is_none(), "{name}");
            assert!(
                family.url_form.starts_with(&format!("{scheme}://")),
                "{name}"
            );
            let url = super::super::url::parse_url(&format!("{scheme}://store/a/")).unwrap();
            let conn = (family.connect)(&Location {
                url,
                endpoint: Some("http://127.0.0.1:9".into()),
                region: Some("us-east-1".into()),
                credentials: Credentials::Given {
                    id: "id".into(),
                    secret: Secret::new("the-secret"),
                    token: None,
                    source: "the test".into(),
                },
                path_style: None,
                levels: true,
            })
            .unwrap();
            assert_eq!(conn.dialect.id(), name);
            assert!(conn.secrets().contains(&"the-secret".to_string()), "{name}");
            assert!(
                !format!("{:?}", conn.reach).starts_with("Http"),
                "{name} is reached its own way"
            );
        }
        // JSON APIs are everything else.
        assert!(for_scheme("https").is_none() && by_name("filejar").is_none());
        let json = Store::from(super::super::dialect::by_id("filejar").unwrap());
        assert_eq!(format!("{:?}", json.reach), "Http");
    }
}
