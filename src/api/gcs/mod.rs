//! Google Cloud Storage through its JSON API: `objects.list` read in order with page tokens
//! (at most 1,000 entries a page), names rolled up at `/` into `prefixes` as folders, the
//! object's metadata for the detail (with `md5Hash` and `crc32c`), `alt=media` with `Range`
//! for previews and downloads, V4 signed URLs to share, and `startOffset` for the tail search.
//! Requests carry a bearer token from Application Default Credentials
//! ([`credentials`]), or none where `STORAGE_EMULATOR_HOST` names an emulator.

mod connect;
pub mod credentials;
mod reach;

use std::sync::Arc;

use percent_encoding::{AsciiSet, utf8_percent_encode};
use reqwest::Url;
use serde_json::value::RawValue;

use super::content::{Algorithm, Checksum};
use super::decode::{Limits, Normalized, decode_one, decode_records};
use super::dialect::{
    Access, Auth, Capabilities, ContentSource, Continuation, Dialect, ErrorInfo, Page, PageRequest,
    Param, RequestSpec, ScopeKind, Search, param, params,
};
use super::filter::{Term, TermKey};
use super::query::{ListQuery, Order, Sort, SortField};
use super::record::{FOLDER_TYPE, FileRecord};
pub use connect::FAMILY;
use credentials::Tokens;

/// RFC 3986's unreserved characters stay; everything else (`/` too: an object name is one
/// path segment of the JSON API) is percent-encoded.
pub(crate) const ENCODE: &AsciiSet = crate::api::url::UNRESERVED;

/// GCS's default API root.
pub const GOOGLE_ENDPOINT: &str = "https://storage.googleapis.com";

static CAPABILITIES: Capabilities = Capabilities {
    id: std::borrow::Cow::Borrowed("gcs"),
    // The token is the family's to place ([`reach`]), not an API key of the dialect's.
    auth: Auth::None,
    sort_fields: std::borrow::Cow::Borrowed(&[]),
    default_sort: Sort {
        field: SortField::Name,
        order: Order::Asc,
    },
    // Names are listed in byte order, not the caseless order filescope sorts by.
    order_known: false,
    search: Search::Prefix,
    terms: std::borrow::Cow::Borrowed(&[TermKey::Prefix, TermKey::Folder]),
    max_page_size: 1000,
    ui_page_size: 200,
    path_prefix: std::borrow::Cow::Borrowed(""),
};

/// What a connection to a bucket is made of.
#[derive(Debug)]
pub struct Settings {
    pub bucket: String,
    /// The prefix the URL names (`gs://bucket/logs/` → `logs/`): the listing's root.
    pub root: String,
    /// The API root (`https://storage.googleapis.com`, an emulator's, `--endpoint`).
    pub endpoint: Url,
    pub tokens: Arc<Tokens>,
    /// List one level at a time (`delimiter=/`), folders as rows; otherwise every name.
    pub levels: bool,
}

/// One bucket: its listing (the dialect) and how it is reached (the reach).
#[derive(Debug)]
pub struct Gcs {
    bucket: String,
    root: String,
    endpoint: Url,
    tokens: Arc<Tokens>,
    levels: bool,
}

/// Splits `gs://bucket/prefix` into the bucket and the prefix (as written).
pub fn parse_gs_url(url: &Url) -> Result<(String, String), String> {
    if url.scheme() != "gs" {
        return Err(format!(
            "the gcs dialect takes a gs://BUCKET[/PREFIX/] URL, not {}://",
            url.scheme()
        ));
    }
    let bucket = url.host_str().unwrap_or("").to_string();
    if bucket.is_empty() {
        return Err(format!(
            "the URL {url} names no bucket; write gs://BUCKET/ (listing a project's buckets needs its project id, which filescope does not ask for)"
        ));
    }
    let path = percent_encoding::percent_decode_str(url.path().trim_start_matches('/'))
        .decode_utf8()
        .map_err(|_| "the prefix in the gs:// URL is not UTF-8".to_string())?
        .into_owned();
    Ok((bucket, path))
}

/// The answer of `objects.list`, its records left raw for [`decode_records`].
#[derive(serde::Deserialize)]
struct Listing<'a> {
    #[serde(borrow, default)]
    items: Option<&'a RawValue>,
    #[serde(default)]
    prefixes: Vec<String>,
    #[serde(rename = "nextPageToken", default)]
    next: Option<String>,
}

impl Gcs {
    pub fn new(settings: Settings) -> Gcs {
        Gcs {
            bucket: settings.bucket,
            root: settings.root,
            endpoint: settings.endpoint,
            tokens: settings.tokens,
            levels: settings.levels,
        }
    }

    /// The prefix listed: the root, the folder entered, and a `/…` search or `prefix:` term.
    fn prefix_for(&self, query: &ListQuery) -> String {
        query.key_prefix_under(&self.root)
    }

    fn list_spec(&self, query: &ListQuery, size: usize) -> RequestSpec {
        let mut q = vec![("maxResults", size.clamp(1, 1000).to_string())];
        let prefix = self.prefix_for(query);
        if !prefix.is_empty() {
            q.push(("prefix", prefix));
        }
        if self.levels && !query.recursive {
            q.push(("delimiter", "/".to_string()));
        }
        // Inclusive where `start_after` is not: the entries up to it are dropped on decoding.
        if let Some(after) = &query.start_after {
            q.push(("startOffset", after.clone()));
        }
        RequestSpec {
            path: format!(
                "/storage/v1/b/{}/o",
                utf8_percent_encode(&self.bucket, ENCODE)
            ),
            query: params(q),
        }
    }

    /// The request of an object's metadata.
    fn object_spec(&self, name: &str) -> RequestSpec {
        // `/` is encoded: the only dot segment left is a name that is `.` or `..` (which GCS
        // does not allow), refused by the one judge when the URL is made.
        let encoded = utf8_percent_encode(name, ENCODE);
        RequestSpec {
            path: format!(
                "/storage/v1/b/{}/o/{encoded}",
                utf8_percent_encode(&self.bucket, ENCODE)
            ),
            query: Vec::new(),
        }
    }

    /// The URL of a request: the API root, the path (already encoded) and the query.
    pub fn request_url(&self, path: &str, query: &[Param]) -> Result<Url, String> {
        if path.contains('\u{fffd}') {
            return Err(format!(
                "the name {} is not UTF-8 as the store keeps it (shown with U+FFFD), so no request can name it exactly; refused",
                crate::text::sanitize(&path.chars().take(200).collect::<String>())
            ));
        }
        let mut url = self.endpoint.clone();
        let full = format!("{}{path}", url.path().trim_end_matches('/'));
        if super::url::dot_segment(&full).is_some() {
            return Err(super::url::dot_segment_refusal(path));
        }
        url.set_path(&full);
        if query.is_empty() {
            url.set_query(None);
        } else {
            let text: Vec<String> = query
                .iter()
                .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, ENCODE)))
                .collect();
            url.set_query(Some(&text.join("&")));
        }
        Ok(url)
    }

    /// A record for a name listed under `base`.
    fn named(&self, base: &str, mut record: FileRecord) -> FileRecord {
        let name = record.id.strip_prefix(base).unwrap_or(&record.id);
        let name = if name.is_empty() {
            record.id.as_str()
        } else {
            name
        };
        record.name = if self.levels {
            super::s3::dot_segments_escaped(name)
        } else {
            name.to_string()
        };
        record
    }

    fn decode_object(fields: &mut super::decode::Fields<'_>) -> Normalized {
        Normalized {
            id: fields.id("name"),
            name: String::new(),
            size: fields.size("size"),
            content_type: fields.string("contentType"),
            created_at: fields.iso_time("timeCreated"),
            updated_at: fields.iso_time("updated"),
            url: None,
        }
    }

    fn object_record(&self, base: &str, mut record: FileRecord) -> FileRecord {
        record.url = Some(format!("gs://{}/{}", self.bucket, record.id));
        self.named(base, record)
    }
}

impl Dialect for Gcs {
    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }

    fn list_request(&self, query: &ListQuery, page: PageRequest) -> RequestSpec {
        self.list_spec(query, page.size)
    }

    fn access(&self) -> Access {
        Access::Sequential
    }

    fn continue_request(&self, query: &ListQuery, page: PageRequest, cursor: &str) -> RequestSpec {
        let mut spec = self.list_spec(query, page.size);
        spec.query.push(param("pageToken", cursor));
        spec
    }

    fn decode_page(
        &self,
        query: &ListQuery,
        _page: PageRequest,
        body: &[u8],
        limits: Limits,
    ) -> Result<Page, String> {
        let listing: Listing<'_> = serde_json::from_slice(body).map_err(|e| {
            format!(
                "not an objects.list answer: {}",
                super::decode::json_error(&e)
            )
        })?;
        if listing.prefixes.len() > limits.max_records {
            return Err(format!(
                "the answer holds more than {} folders, the most one answer may hold ([network] max_records)",
                crate::text::thousands(limits.max_records)
            ));
        }
        let objects = match listing.items {
            Some(items) => decode_records(items, limits, Self::decode_object)?,
            None => Vec::new(),
        };
        let under = self.prefix_for(query);
        let base = if self.levels {
            match under.rfind('/') {
                Some(i) => under[..=i].to_string(),
                None => String::new(),
            }
        } else {
            self.root.clone()
        };
        let mut records = Vec::with_capacity(objects.len() + listing.prefixes.len());
        // Objects and folders in one name order, as the store counts them.
        let rows = crate::api::record::in_key_order(
            objects,
            listing.prefixes,
            |o| o.id.as_str(),
            |p| p.as_str(),
        );
        for row in rows {
            let record = match row {
                crate::api::record::Listed::Folder(prefix) => {
                    let raw = serde_json::json!({ "prefix": prefix });
                    let record = FileRecord {
                        id: prefix,
                        name: String::new(),
                        size: None,
                        content_type: Some(FOLDER_TYPE.to_string()),
                        created_at: None,
                        updated_at: None,
                        url: None,
                        problems: Vec::new(),
                        raw: serde_json::value::to_raw_value(&raw).unwrap_or_default(),
                    };
                    self.named(&base, record)
                }
                crate::api::record::Listed::Object(object) => self.object_record(&base, object),
            };
            // `startOffset` lists from the key itself (and a folder holding keys past it):
            // the search asked for what follows it.
            if query
                .start_after
                .as_deref()
                .is_some_and(|after| record.id.as_str() <= after)
            {
                continue;
            }
            records.push(record);
        }
        let next = listing.next.filter(|t| !t.is_empty());
        Ok(Page {
            records,
            total: None,
            has_next: Some(next.is_some()),
            next: next.map(Continuation::Cursor),
            ..Page::default()
        })
    }

    fn decode_error(&self, body: &[u8]) -> Option<ErrorInfo> {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        let error = value.get("error")?;
        // OAuth's `{"error":"invalid_grant","error_description":…}` beside GCS's envelope.
        if let Some(code) = error.as_str() {
            return Some(ErrorInfo {
                code: Some(code.to_string()),
                message: value
                    .get("error_description")
                    .and_then(|d| d.as_str())
                    .unwrap_or_default()
                    .to_string(),
            });
        }
        let message = error.get("message").and_then(|m| m.as_str())?;
        let reason = error
            .pointer("/errors/0/reason")
            .and_then(|r| r.as_str())
            .map(str::to_string)
            .or_else(|| error.get("code").map(|c| c.to_string()));
        Some(ErrorInfo {
            code: reason,
            message: message.to_string(),
        })
    }

    fn detail_request(&self, id: &str) -> Option<RequestSpec> {
        (!id.ends_with('/')).then(|| self.object_spec(id))
    }

    fn decode_detail(&self, body: &[u8]) -> Result<FileRecord, String> {
        let raw: Box<RawValue> = serde_json::from_slice(body)
            .map_err(|e| format!("not an object resource: {}", super::decode::json_error(&e)))?;
        let record = decode_one(raw, &Self::decode_object);
        Ok(self.object_record(&self.root, record))
    }

    fn content_source(&self, record: &FileRecord) -> ContentSource {
        if self.is_folder(record) {
            return ContentSource::Unavailable("a folder: Enter goes into it".to_string());
        }
        let mut spec = self.object_spec(&record.id);
        spec.query.push(param("alt", "media"));
        ContentSource::Endpoint(spec)
    }

    /// `md5Hash` where the object has one (composite objects do not), else `crc32c`: both
    /// base64 of the digest's bytes.
    fn checksum(&self, record: &FileRecord) -> Option<Checksum> {
        use base64::Engine as _;
        for (field, algorithm, width) in [
            ("md5Hash", Algorithm::Md5, 16),
            ("crc32c", Algorithm::Crc32c, 4),
        ] {
            let Some(b64) = super::dialect::raw_str(record, &format!("/{field}")) else {
                continue;
            };
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&b64)
                && bytes.len() == width
            {
                return Some(Checksum {
                    algorithm,
                    hex: super::content::hex(&bytes),
                });
            }
        }
        None
    }

    fn checksum_text(&self, record: &FileRecord) -> Option<String> {
        ["md5Hash", "crc32c"].iter().find_map(|field| {
            let value = super::dialect::raw_str(record, &format!("/{field}"))?;
            Some(format!("{field} {value}"))
        })
    }

    /// A listing from GCS carries the checksums, but one from an emulator may not: the
    /// object's metadata always does.
    fn checksum_in_detail(&self) -> bool {
        true
    }

    fn delete_request(&self, id: &str) -> Option<RequestSpec> {
        (!id.ends_with('/')).then(|| self.object_spec(id))
    }

    fn storage_key(&self, record: &FileRecord) -> Option<String> {
        Some(record.id.clone())
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
        self.prefix_for(query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use credentials::Source;

    fn gcs(levels: bool) -> Gcs {
        Gcs::new(Settings {
            bucket: "demo".into(),
            root: "data/".into(),
            endpoint: Url::parse("http://127.0.0.1:9").unwrap(),
            tokens: Arc::new(Tokens::new(Source::Given(crate::api::Secret::new("tok")))),
            levels,
        })
    }

    #[test]
    fn requests_name_the_bucket_and_the_object_as_one_segment() {
        let d = gcs(true);
        let mut q = ListQuery::new(CAPABILITIES.default_sort);
        q.start_after = Some("data/a b".into());
        let spec = d.list_request(
            &q,
            PageRequest {
                number: 1,
                size: 100,
            },
        );
        let url = d.request_url(&spec.path, &spec.query).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/storage/v1/b/demo/o?maxResults=100&prefix=data%2F&delimiter=%2F&startOffset=data%2Fa%20b"
        );
        let spec = d.detail_request("data/a+b c%20d/日.txt").unwrap();
        let url = d.request_url(&spec.path, &spec.query).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/storage/v1/b/demo/o/data%2Fa%2Bb%20c%2520d%2F%E6%97%A5.txt"
        );
        // `a/../b` is one segment; `..` alone is no name a URL can hold.
        let spec = d.detail_request("a/../b").unwrap();
        let url = d.request_url(&spec.path, &spec.query).unwrap();
        assert!(url.as_str().ends_with("/o/a%2F..%2Fb"), "{url}");
        let spec = d.detail_request("..").unwrap();
        let error = d.request_url(&spec.path, &spec.query).unwrap_err();
        assert!(error.contains("`.` or `..` segment"), "{error}");
    }

    #[test]
    fn a_page_merges_folders_and_objects_and_reads_sizes_as_strings() {
        let d = gcs(true);
        let mut q = ListQuery::new(CAPABILITIES.default_sort);
        let body = br#"{"kind":"storage#objects","nextPageToken":"tok",
            "prefixes":["data/../","data/b/"],
            "items":[{"name":"data/a.pdf","size":"3","contentType":"application/pdf","updated":"2024-01-02T03:04:05.000Z",
                      "md5Hash":"JfnnlDI7RTiF9RgfG2JNCw==","crc32c":"4waSgw=="},
                     {"name":"data/c.txt","size":"x4"}]}"#;
        let page = d
            .decode_page(
                &q,
                PageRequest { number: 1, size: 4 },
                body,
                Limits::default(),
            )
            .unwrap();
        let names: Vec<&str> = page.records.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["%2E%2E/", "a.pdf", "b/", "c.txt"]);
        assert_eq!(page.records[1].size, Some(3));
        assert_eq!(page.records[1].url.as_deref(), Some("gs://demo/data/a.pdf"));
        assert!(
            !page.records[3].problems.is_empty(),
            "a bad size is a problem, not a failure"
        );
        assert!(d.is_folder(&page.records[2]));
        assert_eq!(page.next, Some(Continuation::Cursor("tok".into())));
        let sum = d.checksum(&page.records[1]).unwrap();
        assert_eq!(
            (sum.algorithm, sum.hex.as_str()),
            (Algorithm::Md5, "25f9e794323b453885f5181f1b624d0b")
        );
        // `startOffset` lists from the key itself: what the search asked to list after it is
        // what follows.
        q.start_after = Some("data/a.pdf".into());
        let page = d
            .decode_page(
                &q,
                PageRequest { number: 1, size: 4 },
                body,
                Limits::default(),
            )
            .unwrap();
        let ids: Vec<&str> = page.records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["data/b/", "data/c.txt"]);
        let tight = Limits { max_records: 1 };
        assert!(
            d.decode_page(&q, PageRequest { number: 1, size: 4 }, body, tight)
                .is_err()
        );
    }

    #[test]
    fn errors_are_read_from_gcs_envelope_and_oauths() {
        let d = gcs(true);
        let body = br#"{"error":{"code":403,"message":"x@y does not have storage.objects.list access.","errors":[{"message":"m","domain":"global","reason":"forbidden"}]}}"#;
        let info = d.decode_error(body).unwrap();
        assert_eq!(info.code.as_deref(), Some("forbidden"));
        assert_eq!(
            info.message,
            "x@y does not have storage.objects.list access."
        );
        let info = d
            .decode_error(
                br#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#,
            )
            .unwrap();
        assert_eq!(info.code.as_deref(), Some("invalid_grant"));
        assert!(d.decode_error(b"<html>").is_none());
    }
}
