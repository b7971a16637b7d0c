//! Azure Blob Storage as a family: `az://ACCOUNT/CONTAINER/PREFIX/` (and a pasted
//! `https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX?sv=…&sig=…`). List Blobs read in
//! order with `marker`/`NextMarker`, `BlobPrefix` rows as folders, Get Blob Properties (a
//! HEAD) for the detail, ranged GETs for previews and downloads, read-only service SASes to
//! share. `az://ACCOUNT/` lists the containers (List Containers); each is a folder row whose
//! id is `CONTAINER/`, so the explorer goes in and out with the keys it uses for folders.
//!
//! Requests are signed with Shared Key ([`sign`]), carry a SAS, or an Entra ID bearer token
//! ([`credentials`]); the XML is read as a stream ([`xml`]).

mod connect;
pub mod credentials;
mod reach;
pub mod sign;
pub mod xml;

use percent_encoding::utf8_percent_encode;
use reqwest::Url;
use reqwest::header::HeaderMap;

use super::content::{Algorithm, Checksum};
use super::decode::Limits;
use super::dialect::{
    Access, Auth, Capabilities, ContentSource, Continuation, Dialect, ErrorInfo, Page, PageRequest,
    Param, RequestSpec, ScopeKind, Search, params,
};
use super::filter::{Term, TermKey};
use super::query::{ListQuery, Order, Sort, SortField};
use super::record::{FOLDER_TYPE, FileRecord, Listed, in_key_order};
pub use connect::{FAMILY, is_azure_url};
use credentials::Credential;

/// Paths keep their `/`; everything else but the unreserved characters is encoded.
const PATH: &percent_encoding::AsciiSet = &sign::QUERY.remove(b'/');

static CAPABILITIES: Capabilities = Capabilities {
    id: std::borrow::Cow::Borrowed("azure"),
    // Every request is authorized by the family ([`reach`]), with no key of the API's own.
    auth: Auth::None,
    // Blob names are listed in their order only; every other order is local.
    sort_fields: std::borrow::Cow::Borrowed(&[]),
    default_sort: Sort {
        field: SortField::Name,
        order: Order::Asc,
    },
    order_known: false,
    search: Search::Prefix,
    terms: std::borrow::Cow::Borrowed(&[TermKey::Prefix, TermKey::Folder]),
    max_page_size: 5000,
    ui_page_size: 200,
    path_prefix: std::borrow::Cow::Borrowed(""),
};

/// One Azure storage account, or one container of it.
#[derive(Debug)]
pub struct Azure {
    account: String,
    /// The container the URL names: ids are its blob names. `None`: the account, whose
    /// listing is its containers, and ids are `CONTAINER/BLOB`.
    container: Option<String>,
    /// Where the listing starts, as `CONTAINER/PREFIX` (empty: the account).
    root: String,
    /// The account's blob service (`https://ACCOUNT.blob.core.windows.net`, or Azurite's
    /// `http://127.0.0.1:10000/devstoreaccount1`).
    endpoint: Url,
    credential: Credential,
    levels: bool,
    /// Whether the store takes List Blobs' `startFrom` (Azure's own endpoints): `G` then
    /// searches for the tail; elsewhere (Azurite) it walks.
    start_from: bool,
}

/// What a listing request is about: the containers, or a container's blobs.
enum Target {
    Containers { prefix: String },
    Blobs { container: String, prefix: String },
}

impl Azure {
    /// The path (`CONTAINER/BLOB`) a record id names.
    fn path_of(&self, id: &str) -> String {
        match &self.container {
            Some(container) => format!("{container}/{id}"),
            None => id.to_string(),
        }
    }

    /// The record id of a path.
    fn id_of(&self, path: &str) -> String {
        match &self.container {
            Some(container) => path
                .strip_prefix(&format!("{container}/"))
                .unwrap_or(path)
                .to_string(),
            None => path.to_string(),
        }
    }

    /// The path listed: the root, the folder entered, and a `/…` search or `prefix:` term.
    fn listed_path(&self, query: &ListQuery) -> String {
        let mut path = self.root.clone();
        if let Some(folder) = query.term(|t| match t {
            Term::Folder(f) => Some(f.clone()),
            _ => None,
        }) {
            path = self.path_of(&folder);
        }
        let asked = query
            .term(|t| match t {
                Term::Prefix(p) => Some(p.clone()),
                _ => None,
            })
            .or_else(|| (!query.search.is_empty()).then(|| query.search.clone()));
        if let Some(asked) = asked {
            path = format!("{}{}", self.root, asked.trim_start_matches('/'));
        }
        path
    }

    fn target(&self, query: &ListQuery) -> Target {
        let path = self.listed_path(query);
        match path.split_once('/') {
            Some((container, prefix)) => Target::Blobs {
                container: container.to_string(),
                prefix: prefix.to_string(),
            },
            None => Target::Containers { prefix: path },
        }
    }

    fn list_spec(&self, query: &ListQuery, size: usize, marker: Option<&str>) -> RequestSpec {
        let size = size.clamp(1, CAPABILITIES.max_page_size).to_string();
        let (path, mut q) = match self.target(query) {
            Target::Containers { prefix } => {
                let mut q = vec![("comp", "list".to_string()), ("maxresults", size)];
                if !prefix.is_empty() {
                    q.push(("prefix", prefix));
                }
                (String::new(), q)
            }
            Target::Blobs { container, prefix } => {
                let mut q = vec![
                    ("restype", "container".to_string()),
                    ("comp", "list".to_string()),
                    ("maxresults", size),
                ];
                if !prefix.is_empty() {
                    q.push(("prefix", prefix));
                }
                if self.levels && !query.recursive {
                    q.push(("delimiter", "/".to_string()));
                }
                if marker.is_none()
                    && self.start_from
                    && let Some(after) = &query.start_after
                {
                    // Inclusive: the row equal to it is dropped when the page is read.
                    let path = self.path_of(after);
                    let within = path.split_once('/').map_or("", |(_, b)| b).to_string();
                    q.push(("startFrom", within));
                }
                (format!("/{container}"), q)
            }
        };
        if let Some(marker) = marker {
            q.push(("marker", marker.to_string()));
        }
        RequestSpec {
            path,
            query: params(q),
        }
    }

    /// The URL of a request: the service (`path` empty), a container (`/C`) or a blob
    /// (`/C/NAME`). A name with a `.` or `..` segment, or one listed with U+FFFD (bytes that
    /// are not UTF-8), cannot be named by a URL: refused.
    pub fn request_url(&self, path: &str, query: &[Param]) -> Result<Url, String> {
        let inner = path.strip_prefix('/').unwrap_or(path);
        if inner.contains('\u{fffd}') {
            return Err(format!(
                "the blob {} is not UTF-8 as the store keeps it (shown with U+FFFD), so no request can name it exactly; refused",
                crate::text::sanitize(&inner.chars().take(200).collect::<String>())
            ));
        }
        if super::url::dot_segment(inner).is_some() {
            return Err(super::url::dot_segment_refusal(&format!("/{inner}")));
        }
        let mut url = self.endpoint.clone();
        let base = url.path().trim_end_matches('/').to_string();
        let full = if inner.is_empty() {
            if base.is_empty() {
                "/".to_string()
            } else {
                base
            }
        } else {
            format!("{base}/{}", utf8_percent_encode(inner, PATH))
        };
        url.set_path(&full);
        if query.is_empty() {
            url.set_query(None);
        } else {
            let text: Vec<String> = query
                .iter()
                .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, sign::QUERY)))
                .collect();
            url.set_query(Some(&text.join("&")));
        }
        Ok(url)
    }

    /// The container and blob name (none for the container itself) a URL of this store
    /// names, for a SAS over it.
    fn place_of_url(&self, url: &Url) -> Option<(String, Option<String>)> {
        let base = self.endpoint.path().trim_end_matches('/');
        let rest = url.path().strip_prefix(base)?.strip_prefix('/')?;
        let decoded = percent_encoding::percent_decode_str(rest)
            .decode_utf8()
            .ok()?
            .into_owned();
        match decoded.split_once('/') {
            Some((container, blob)) if !blob.is_empty() => {
                Some((container.to_string(), Some(blob.to_string())))
            }
            Some((container, _)) => Some((container.to_string(), None)),
            None if !decoded.is_empty() => Some((decoded, None)),
            None => None,
        }
    }

    fn record(&self, listed_under: &str, path: &str, raw: serde_json::Value) -> FileRecord {
        let raw = serde_json::value::to_raw_value(&raw).unwrap_or_default();
        let name = path.strip_prefix(listed_under).unwrap_or(path);
        let name = if name.is_empty() { path } else { name };
        FileRecord {
            id: self.id_of(path),
            // One level at a time, a folder named `..` is a row: never shown as the way up.
            name: if self.levels {
                super::s3::dot_segments_escaped(name)
            } else {
                name.to_string()
            },
            size: None,
            content_type: None,
            created_at: None,
            updated_at: None,
            url: Some(format!("az://{}/{path}", self.account)),
            problems: Vec::new(),
            raw,
        }
    }

    /// The base names are shown under: the folder entered one level at a time, else the root.
    fn base_for(&self, listed: &str) -> String {
        if self.levels {
            match listed.rfind('/') {
                Some(i) => listed[..=i].to_string(),
                None => String::new(),
            }
        } else {
            self.root.clone()
        }
    }

    fn decode_containers(
        &self,
        query: &ListQuery,
        text: &str,
        limits: Limits,
    ) -> Result<Page, String> {
        let page = xml::containers(text, limits.max_records)?;
        let base = self.base_for(&self.listed_path(query));
        let mut records = Vec::with_capacity(page.containers.len());
        for c in page.containers {
            let path = format!("{}/", c.name);
            if query
                .start_after
                .as_ref()
                .is_some_and(|after| path.as_str() <= after.as_str())
            {
                continue;
            }
            let raw = serde_json::json!({
                "Container": c.name,
                "Last-Modified": c.last_modified.map(|t| t.to_rfc3339()),
                "Etag": c.etag,
                "LeaseStatus": c.lease_status,
                "PublicAccess": c.public_access,
            });
            let mut record = self.record(&base, &path, raw);
            record.content_type = Some(FOLDER_TYPE.to_string());
            record.updated_at = c.last_modified;
            record.url = None;
            records.push(record);
        }
        let next = page.next_marker.map(Continuation::Cursor);
        Ok(Page {
            records,
            has_next: Some(next.is_some()),
            next,
            ..Page::default()
        })
    }
}

impl Dialect for Azure {
    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }

    fn list_request(&self, query: &ListQuery, page: PageRequest) -> RequestSpec {
        self.list_spec(query, page.size, None)
    }

    fn access(&self) -> Access {
        Access::Sequential
    }

    fn continue_request(&self, query: &ListQuery, page: PageRequest, cursor: &str) -> RequestSpec {
        self.list_spec(query, page.size, Some(cursor))
    }

    fn decode_page(
        &self,
        query: &ListQuery,
        _page: PageRequest,
        body: &[u8],
        limits: Limits,
    ) -> Result<Page, String> {
        let text = std::str::from_utf8(body).map_err(|_| "the answer is not UTF-8".to_string())?;
        let (container, _) = match self.target(query) {
            Target::Containers { .. } => return self.decode_containers(query, text, limits),
            Target::Blobs { container, prefix } => (container, prefix),
        };
        let listing = xml::listing(text, limits.max_records)?;
        let listed = self.listed_path(query);
        let base = self.base_for(&listed);
        // Rows at or before the key asked to start after are not its rows (`startFrom` is
        // inclusive, and a store without it lists from the start).
        let after = query.start_after.as_ref().map(|a| self.path_of(a));
        let keep = |path: &str| after.as_deref().is_none_or(|a| path > a);
        let mut records = Vec::with_capacity(listing.blobs.len() + listing.prefixes.len());
        // Blobs and folders in one name order (Azurite writes the folders first).
        let rows = in_key_order(
            listing.blobs,
            listing.prefixes,
            |b| &b.name,
            |(p, _)| p.as_str(),
        );
        for row in rows {
            if let Listed::Folder((prefix, problems)) = row {
                let path = format!("{container}/{prefix}");
                if !keep(&path) {
                    continue;
                }
                let raw = serde_json::json!({ "Container": container, "BlobPrefix": prefix });
                let mut record = self.record(&base, &path, raw);
                record.content_type = Some(FOLDER_TYPE.to_string());
                record.url = None;
                record.problems = problems;
                records.push(record);
            } else if let Listed::Object(b) = row {
                let path = format!("{container}/{}", b.name);
                if !keep(&path) {
                    continue;
                }
                let raw = serde_json::json!({
                    "Container": container,
                    "Name": b.name,
                    "Content-Length": b.size,
                    "Last-Modified": b.last_modified.map(|t| t.to_rfc3339()),
                    "Creation-Time": b.created.map(|t| t.to_rfc3339()),
                    "Etag": b.etag,
                    "Content-Type": b.content_type,
                    "Content-MD5": b.content_md5,
                    "BlobType": b.blob_type,
                    "AccessTier": b.access_tier,
                    "LeaseStatus": b.lease_status,
                });
                let mut record = self.record(&base, &path, raw);
                record.size = b.size;
                record.created_at = b.created.or(b.last_modified);
                record.updated_at = b.last_modified;
                record.content_type = b.content_type;
                record.problems = b.problems;
                records.push(record);
            }
        }
        let next = listing.next_marker.map(Continuation::Cursor);
        Ok(Page {
            records,
            has_next: Some(next.is_some()),
            next,
            ..Page::default()
        })
    }

    fn decode_error(&self, body: &[u8]) -> Option<ErrorInfo> {
        let (code, message) = xml::error(std::str::from_utf8(body).ok()?)?;
        Some(ErrorInfo { code, message })
    }

    fn detail_request(&self, id: &str) -> Option<RequestSpec> {
        let path = self.path_of(id);
        (!id.ends_with('/') && path.contains('/')).then(|| RequestSpec {
            path: format!("/{path}"),
            query: Vec::new(),
        })
    }

    fn detail_method(&self) -> reqwest::Method {
        reqwest::Method::HEAD
    }

    fn decode_detail_answer(
        &self,
        id: &str,
        headers: &HeaderMap,
        _body: &[u8],
    ) -> Result<FileRecord, String> {
        let path = self.path_of(id);
        let (container, name) = path.split_once('/').unwrap_or(("", &path));
        let mut raw = serde_json::Map::new();
        raw.insert("Container".into(), container.into());
        raw.insert("Name".into(), name.into());
        let mut meta = serde_json::Map::new();
        let mut names: Vec<&str> = headers.keys().map(|k| k.as_str()).collect();
        names.sort_unstable();
        for header in names {
            let Some(value) = headers.get(header).and_then(|v| v.to_str().ok()) else {
                continue;
            };
            if let Some(user) = header.strip_prefix("x-ms-meta-") {
                meta.insert(user.to_string(), value.into());
                continue;
            }
            let field = match header {
                "content-type" => "ContentType",
                "content-length" => "ContentLength",
                "content-md5" => "ContentMD5",
                "x-ms-content-crc64" => "ContentCRC64",
                "etag" => "ETag",
                "last-modified" => "LastModified",
                "x-ms-creation-time" => "CreationTime",
                "x-ms-blob-type" => "BlobType",
                "x-ms-access-tier" => "AccessTier",
                "x-ms-access-tier-inferred" => "AccessTierInferred",
                "x-ms-archive-status" => "ArchiveStatus",
                "x-ms-lease-status" => "LeaseStatus",
                "x-ms-lease-state" => "LeaseState",
                "x-ms-lease-duration" => "LeaseDuration",
                "x-ms-server-encrypted" => "ServerEncrypted",
                "x-ms-version-id" => "VersionId",
                "x-ms-copy-status" => "CopyStatus",
                "cache-control" => "CacheControl",
                "content-encoding" => "ContentEncoding",
                "content-disposition" => "ContentDisposition",
                "content-language" => "ContentLanguage",
                _ => continue,
            };
            raw.insert(field.into(), value.into());
        }
        if !meta.is_empty() {
            raw.insert("Metadata".into(), meta.into());
        }
        let text = |k: &str| raw.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let mut record = self.record(&self.root, &path, serde_json::Value::Object(raw.clone()));
        record.size = text("ContentLength").and_then(|s| s.parse().ok());
        record.content_type = text("ContentType");
        record.updated_at = text("LastModified").and_then(|t| xml::http_date(&t));
        record.created_at = text("CreationTime")
            .and_then(|t| xml::http_date(&t))
            .or(record.updated_at);
        Ok(record)
    }

    fn content_source(&self, record: &FileRecord) -> ContentSource {
        match self.detail_request(&record.id) {
            Some(spec) if !self.is_folder(record) => ContentSource::Endpoint(spec),
            _ => ContentSource::Unavailable("a folder: Enter goes into it".to_string()),
        }
    }

    /// The blob's Content-MD5 (the whole blob's, where the uploader or the service set it).
    fn checksum(&self, record: &FileRecord) -> Option<Checksum> {
        use base64::Engine as _;
        let md5 = super::dialect::raw_str(record, "/ContentMD5")
            .or_else(|| super::dialect::raw_str(record, "/Content-MD5"))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(md5.trim())
            .ok()
            .filter(|b| b.len() == 16)?;
        Some(Checksum {
            algorithm: Algorithm::Md5,
            hex: super::content::hex(&bytes),
        })
    }

    /// What was published but is not checked here: the CRC64 Azure computes.
    fn checksum_text(&self, record: &FileRecord) -> Option<String> {
        super::dialect::raw_str(record, "/ContentCRC64").map(|c| format!("crc64 {c}"))
    }

    fn checksum_in_detail(&self) -> bool {
        true
    }

    fn storage_key(&self, record: &FileRecord) -> Option<String> {
        Some(self.path_of(&record.id))
    }

    fn scope_kind(&self) -> Option<ScopeKind> {
        self.levels.then_some(ScopeKind::Prefixes)
    }

    fn scope_term(&self, id: &str) -> Term {
        Term::Folder(id.to_string())
    }

    fn is_folder(&self, record: &FileRecord) -> bool {
        record.content_type.as_deref() == Some(FOLDER_TYPE) && record.id.ends_with('/')
    }

    fn key_prefix(&self, query: &ListQuery) -> String {
        let path = self.listed_path(query);
        match &self.container {
            Some(_) => path
                .split_once('/')
                .map_or(String::new(), |(_, p)| p.to_string()),
            None => path,
        }
    }
}

/// A parameter of a request, for the tests.
#[cfg(test)]
fn has(spec: &RequestSpec, name: &str, value: &str) -> bool {
    spec.query.iter().any(|(k, v)| k == name && v == value)
}

#[cfg(test)]
mod tests;
