//! S3 and every store that speaks its protocol (MinIO, Ceph RGW, R2, B2, Wasabi, Garage,
//! SeaweedFS): ListObjectsV2 read in order with continuation tokens, prefixes as folders,
//! HEAD for the detail, ranged GETs for previews and downloads, presigned links to share.
//! Requests are signed with Signature V4 by AWS's own signer (`aws-sigv4`); the region a
//! bucket answers from is adopted when the first answer names another one.

mod buckets;
mod connect;
pub mod credentials;
mod reach;
mod tail;
mod versions;
pub mod xml;

use std::sync::RwLock;
use std::time::{Duration, SystemTime};

use percent_encoding::{AsciiSet, utf8_percent_encode};
use reqwest::Url;
use reqwest::header::HeaderMap;

use super::content::{Algorithm, Checksum};
use super::decode::Limits;
use super::dialect::{
    Access, Auth, Capabilities, ContentSource, Continuation, Dialect, ErrorInfo, Page, PageRequest,
    Param, RequestSpec, ScopeKind, Search, param, params,
};
pub use super::family::Tail;
use super::filter::{Term, TermKey};
use super::query::{ListQuery, Order, Sort, SortField};
use super::record::{FileRecord, Listed, in_key_order};
pub use buckets::Buckets;
pub use connect::FAMILY;
use credentials::Signer;
pub use tail::find_tail;

/// Names and values: the headers or query parameters a signature adds.
type Pairs = Vec<(String, String)>;

/// The content type given to folders (common prefixes), so they read as folders everywhere.
pub use super::record::FOLDER_TYPE;

/// The encoding Signature V4 signs, for query values and (with `/` kept) for keys in paths.
const QUERY: &AsciiSet = super::url::UNRESERVED;
const PATH: &AsciiSet = &QUERY.remove(b'/');

static CAPABILITIES: Capabilities = Capabilities {
    id: std::borrow::Cow::Borrowed("s3"),
    // Every request is signed by the family ([`reach`]), with no key of the API's own.
    auth: Auth::None,
    // S3 lists in key order only; every other order is local.
    sort_fields: std::borrow::Cow::Borrowed(&[]),
    default_sort: Sort {
        field: SortField::Name,
        order: Order::Asc,
    },
    // Key order is byte order, not the caseless name order filescope sorts by.
    order_known: false,
    search: Search::Prefix,
    terms: std::borrow::Cow::Borrowed(&[TermKey::Prefix, TermKey::Folder]),
    max_page_size: 1000,
    ui_page_size: 200,
    path_prefix: std::borrow::Cow::Borrowed(""),
};

/// Where requests go: the region they are signed for and the endpoint that serves it.
#[derive(Debug, Clone)]
struct Place {
    region: String,
    /// The endpoint as given (`http://127.0.0.1:9000`), or AWS's for the region.
    endpoint: Url,
    /// The endpoint follows the region (AWS's own): a corrected region moves it too.
    endpoint_from_region: bool,
}

/// What a connection to a bucket is made of.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bucket: String,
    /// The prefix the URL names (`s3://bucket/logs/` → `logs/`): the listing's root.
    pub root: String,
    /// The credentials requests are signed with (or none).
    pub signer: std::sync::Arc<Signer>,
    pub region: String,
    pub endpoint: Option<Url>,
    /// `None`: path style for endpoints other than AWS's (and for bucket names with dots).
    pub path_style: Option<bool>,
    /// List one level at a time (`delimiter=/`), folders as rows; otherwise every key under
    /// the root (`ls`'s default).
    pub levels: bool,
}

#[derive(Debug)]
pub struct S3 {
    bucket: String,
    root: String,
    signer: std::sync::Arc<Signer>,
    place: RwLock<Place>,
    path_style: bool,
    levels: bool,
}

/// Splits `s3://bucket/prefix` into the bucket and the prefix (with a trailing `/` when it
/// names a folder, as written). `s3://` alone names the service: no bucket and no prefix
/// (its listing is the buckets).
pub fn parse_s3_url(url: &Url) -> Result<(String, String), String> {
    if url.scheme() != "s3" {
        return Err(format!(
            "the s3 dialect takes an s3://BUCKET[/PREFIX/] URL, not {}://",
            url.scheme()
        ));
    }
    let bucket = url.host_str().unwrap_or("").to_string();
    if bucket.is_empty() && !matches!(url.path(), "" | "/") {
        return Err(format!(
            "the URL {url} names a prefix but no bucket; s3:// alone lists the buckets"
        ));
    }
    let path = percent_encoding::percent_decode_str(url.path().trim_start_matches('/'))
        .decode_utf8()
        .map_err(|_| "the prefix in the s3:// URL is not UTF-8".to_string())?
        .into_owned();
    Ok((bucket, path))
}

/// Whether `name` has a region's shape (`us-east-1`, `eu-central-2`, `auto` for R2): what a
/// store names is signed for, put in a host name and written into commands, so nothing else
/// is taken.
pub fn is_region(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The URL as S3 computes its canonical form: the path is the decoded key encoded again with
/// its `/` as separators, so a key sent as one segment (`a%2F..%2Fb`, see [`S3::url`]) is
/// signed as `a/../b`. Only our own `%2F` is turned back (a `%` in a key is sent as `%25`, so
/// `%2F` in the path is never the key's text); the query is left as it is.
fn canonical_url(url: &str) -> std::borrow::Cow<'_, str> {
    let (path, query) = match url.find('?') {
        Some(at) => url.split_at(at),
        None => (url, ""),
    };
    if !path.contains("%2F") {
        return std::borrow::Cow::Borrowed(url);
    }
    std::borrow::Cow::Owned(format!("{}{query}", path.replace("%2F", "/")))
}

/// A name with its `.` and `..` segments written `%2E` and `%2E%2E` (`../` → `%2E%2E/`), as
/// a URL has to write them: a folder row never reads as the parent or the folder itself.
pub(crate) fn dot_segments_escaped(name: &str) -> String {
    name.split('/')
        .map(|segment| match segment {
            "." => "%2E",
            ".." => "%2E%2E",
            other => other,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// AWS's endpoint for a region (the global one for a region that cannot be a host name).
fn aws_endpoint(region: &str) -> Url {
    Url::parse(&format!("https://s3.{region}.amazonaws.com"))
        .or_else(|_| Url::parse("https://s3.amazonaws.com"))
        .expect("the global S3 endpoint is a valid URL")
}

impl S3 {
    pub fn new(settings: Settings) -> S3 {
        let endpoint_from_region = settings.endpoint.is_none();
        let endpoint = settings
            .endpoint
            .clone()
            .unwrap_or_else(|| aws_endpoint(&settings.region));
        let path_style = settings.path_style.unwrap_or_else(|| {
            let host = endpoint.host_str().unwrap_or("");
            !host.ends_with("amazonaws.com") || settings.bucket.contains('.')
        });
        S3 {
            bucket: settings.bucket,
            root: settings.root,
            signer: settings.signer,
            place: RwLock::new(Place {
                region: settings.region,
                endpoint,
                endpoint_from_region,
            }),
            path_style,
            levels: settings.levels,
        }
    }

    fn place(&self) -> Place {
        match self.place.read() {
            Ok(place) => place.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The region requests are signed for now.
    pub fn region(&self) -> String {
        self.place().region
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The prefix listed: the root, the folder entered, and a `/…` search or `prefix:` term.
    fn prefix_for(&self, query: &ListQuery) -> String {
        query.key_prefix_under(&self.root)
    }

    fn list_spec(&self, query: &ListQuery, size: usize) -> RequestSpec {
        let mut q = vec![
            ("list-type", "2".to_string()),
            ("max-keys", size.clamp(1, 1000).to_string()),
            ("encoding-type", "url".to_string()),
        ];
        let prefix = self.prefix_for(query);
        if !prefix.is_empty() {
            q.push(("prefix", prefix));
        }
        if self.levels && !query.recursive {
            q.push(("delimiter", "/".to_string()));
        }
        if let Some(after) = &query.start_after {
            q.push(("start-after", after.clone()));
        }
        RequestSpec {
            path: String::new(),
            query: params(q),
        }
    }

    /// The request of the object a row names (a version row's with its `versionId`).
    fn object_spec(id: &str) -> RequestSpec {
        versions::object_spec(id)
    }

    /// The URL of a bucket request (`path` empty) or an object's (`path` = `/key`). The key
    /// reaches the store byte for byte: percent-encoded as Signature V4 signs it, and where it
    /// has a `.` or `..` segment (which a URL would resolve away, to another object or
    /// bucket) with its `/` encoded too, so the whole key is one segment the store decodes
    /// back. A key that is itself `.` or `..` cannot be put in a URL: refused.
    fn url(&self, place: &Place, path: &str, query: &[Param]) -> Result<Url, String> {
        let key = path.strip_prefix('/').unwrap_or(path);
        // A key listed as bytes that are not UTF-8 is shown with U+FFFD; sent that way it
        // would name another object (or none).
        if key.contains('\u{fffd}') {
            return Err(format!(
                "the key {} is not UTF-8 as the store keeps it (shown with U+FFFD), so no request can name it exactly; refused",
                crate::text::sanitize(&key.chars().take(200).collect::<String>())
            ));
        }
        let set = if super::url::dot_segment(key).is_some() {
            QUERY
        } else {
            PATH
        };
        let encoded_key = utf8_percent_encode(key, set).to_string();
        let mut url = place.endpoint.clone();
        let base = url.path().trim_end_matches('/').to_string();
        let full = if self.path_style {
            let bucket = utf8_percent_encode(&self.bucket, QUERY).to_string();
            if key.is_empty() && path.is_empty() {
                format!("{base}/{bucket}")
            } else {
                format!("{base}/{bucket}/{encoded_key}")
            }
        } else {
            let host = format!("{}.{}", self.bucket, url.host_str().unwrap_or(""));
            if url.set_host(Some(&host)).is_err() {
                // A bucket name that cannot be a host label: fall back to its path.
                format!("{base}/{}/{encoded_key}", self.bucket)
            } else {
                format!("/{encoded_key}")
            }
        };
        // The one judge: nothing the URL parser would rewrite is ever sent.
        if super::url::dot_segment(&full).is_some() {
            return Err(super::url::dot_segment_refusal(&format!("/{key}")));
        }
        url.set_path(&full);
        if query.is_empty() {
            url.set_query(None);
        } else {
            let text: Vec<String> = query
                .iter()
                .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, QUERY)))
                .collect();
            url.set_query(Some(&text.join("&")));
        }
        Ok(url)
    }

    fn record(&self, listed_under: &str, key: &str, raw: serde_json::Value) -> FileRecord {
        let raw = serde_json::value::to_raw_value(&raw).unwrap_or_default();
        let name = key.strip_prefix(listed_under).unwrap_or(key);
        let name = if name.is_empty() { key } else { name };
        FileRecord {
            id: key.to_string(),
            // One level at a time, a folder named `..` is a row: shown as `../` it would be
            // taken for the way up.
            name: if self.levels {
                dot_segments_escaped(name)
            } else {
                name.to_string()
            },
            size: None,
            content_type: None,
            created_at: None,
            updated_at: None,
            url: Some(format!("s3://{}/{key}", self.bucket)),
            problems: Vec::new(),
            raw,
        }
    }

    fn sign_with(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        presign: Option<Duration>,
    ) -> Result<(Pairs, Pairs), String> {
        use aws_sigv4::http_request::{
            PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
            SignatureLocation, SigningSettings, UriPathNormalizationMode, sign,
        };
        let Some(keys) = self.signer.keys() else {
            return Ok((Vec::new(), Vec::new()));
        };
        let credentials = aws_credential_types::Credentials::new(
            keys.access_key_id,
            keys.secret_access_key.expose().to_string(),
            keys.session_token.as_ref().map(|t| t.expose().to_string()),
            keys.expiry,
            "filescope",
        );
        let identity = credentials.into();
        let mut settings = SigningSettings::default();
        // S3 signs the path as sent (encoded once, never normalized).
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        match presign {
            Some(expires) => {
                settings.signature_location = SignatureLocation::QueryParams;
                settings.expires_in = Some(expires);
            }
            None => settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256,
        }
        let region = self.region();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&region)
            .name("s3")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|e| format!("cannot sign the request: {e}"))?
            .into();
        let body = if presign.is_some() {
            SignableBody::UnsignedPayload
        } else {
            SignableBody::Bytes(&[])
        };
        let signed_as = canonical_url(url);
        let request =
            SignableRequest::new(method, signed_as.as_ref(), headers.iter().copied(), body)
                .map_err(|e| format!("cannot sign the request: {e}"))?;
        let (instructions, _) = sign(request, &params)
            .map_err(|e| format!("cannot sign the request: {e}"))?
            .into_parts();
        let (headers, params) = instructions.into_parts();
        Ok((
            headers
                .into_iter()
                .map(|h| (h.name().to_string(), h.value().to_string()))
                .collect(),
            params
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.into_owned()))
                .collect(),
        ))
    }

    /// The URL of a request to the bucket (`path` empty) or an object (`path` = `/key`), in the
    /// region's place now.
    pub fn request_url(&self, path: &str, query: &[Param]) -> Result<Url, String> {
        self.url(&self.place(), path, query)
    }

    /// A presigned GET of an object, valid for `expires` (at most 7 days, S3's limit).
    pub fn presign_get(&self, key: &str, expires: Duration) -> Result<Url, String> {
        self.presign_object(key, &[], expires)
    }

    /// A presigned GET of an object with query parameters of its own (`versionId`), signed
    /// with them: the signature's parameters are added after them.
    fn presign_object(&self, key: &str, query: &[Param], expires: Duration) -> Result<Url, String> {
        let place = self.place();
        let mut url = self.url(&place, &format!("/{key}"), query)?;
        if self.signer.keys().is_none() {
            return Ok(url);
        }
        let expires = expires.min(Duration::from_secs(7 * 24 * 3600));
        let (_, params) = self.sign_with("GET", url.as_str(), &[], Some(expires))?;
        let mut all: Vec<String> = url.query().map(str::to_string).into_iter().collect();
        all.extend(
            params
                .iter()
                .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, QUERY))),
        );
        url.set_query(Some(&all.join("&")));
        Ok(url)
    }
}

/// A content type from a key's extension: listings carry none, and HEAD (the detail pane)
/// tells the stored one.
fn guess_type(key: &str) -> Option<&'static str> {
    let name = key.rsplit('/').next().unwrap_or(key);
    let (_, ext) = name.rsplit_once('.')?;
    Some(match ext.to_ascii_lowercase().as_str() {
        "pdf" => "application/pdf",
        "json" => "application/json",
        "csv" => "text/csv",
        "txt" | "log" | "md" => "text/plain",
        "html" | "htm" => "text/html",
        "xml" => "application/xml",
        "zip" => "application/zip",
        "gz" | "tgz" => "application/gzip",
        "tar" => "application/x-tar",
        "parquet" => "application/vnd.apache.parquet",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "mp4" => "video/mp4",
        "mov" => "video/quicktime",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ => return None,
    })
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

impl Dialect for S3 {
    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }

    fn list_request(&self, query: &ListQuery, page: PageRequest) -> RequestSpec {
        if query.versions.is_some() {
            return self.versions_spec(query, page.size, None);
        }
        self.list_spec(query, page.size)
    }

    fn access(&self) -> Access {
        Access::Sequential
    }

    fn continue_request(&self, query: &ListQuery, page: PageRequest, cursor: &str) -> RequestSpec {
        if query.versions.is_some() {
            return self.versions_continue(query, page.size, cursor);
        }
        let mut spec = self.list_spec(query, page.size);
        // A continuation token says where to go on; start-after would be ignored anyway.
        spec.query.retain(|(k, _)| k != "start-after");
        spec.query.push(param("continuation-token", cursor));
        spec
    }

    fn decode_page(
        &self,
        query: &ListQuery,
        _page: PageRequest,
        body: &[u8],
        limits: Limits,
    ) -> Result<Page, String> {
        let text = std::str::from_utf8(body).map_err(|_| "the answer is not UTF-8".to_string())?;
        if query.versions.is_some() {
            return self.decode_versions(query, text, limits.max_records);
        }
        // Read as a stream: refused as soon as it holds more records than allowed.
        let listing = xml::listing(text, limits.max_records)?;
        if listing.truncated && listing.next_token.is_none() {
            // Ending here would list part of the bucket as if it were all of it.
            return Err(format!(
                "the answer says more keys follow (IsTruncated) but gives no NextContinuationToken to ask for them; {} listed on this page",
                crate::text::thousands(listing.objects.len() + listing.prefixes.len())
            ));
        }
        let under = self.prefix_for(query);
        // Folders are listed under the folder entered, whatever part of a name was asked.
        let folder_base = match under.rfind('/') {
            Some(i) => under[..=i].to_string(),
            None => String::new(),
        };
        let mut records = Vec::with_capacity(listing.objects.len() + listing.prefixes.len());
        // Objects and folders in one key order, as S3 counts them.
        let rows = in_key_order(
            listing.objects,
            listing.prefixes,
            |o| &o.key,
            |(p, _)| p.as_str(),
        );
        for row in rows {
            if let Listed::Folder((prefix, problems)) = row {
                let raw = serde_json::json!({ "Prefix": prefix });
                let base = if self.levels {
                    &folder_base
                } else {
                    &self.root
                };
                let mut record = self.record(base, &prefix, raw);
                record.content_type = Some(FOLDER_TYPE.to_string());
                record.url = None;
                record.problems = problems;
                records.push(record);
            } else if let Listed::Object(o) = row {
                let raw = serde_json::json!({
                    "Key": o.key,
                    "Size": o.size,
                    "LastModified": o.last_modified.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
                    "ETag": o.etag,
                    "StorageClass": o.storage_class,
                });
                let base = if self.levels {
                    &folder_base
                } else {
                    &self.root
                };
                let mut record = self.record(base, &o.key, raw);
                record.size = o.size;
                // S3 keeps one date: when the object was last written, i.e. uploaded (an
                // object is replaced whole). It stands for both.
                record.created_at = o.last_modified;
                record.updated_at = o.last_modified;
                record.content_type = guess_type(&o.key).map(str::to_string);
                record.problems = o.problems;
                records.push(record);
            }
        }
        let next = listing
            .next_token
            .filter(|_| listing.truncated)
            .map(Continuation::Cursor);
        Ok(Page {
            records,
            total: None,
            has_next: Some(listing.truncated && next.is_some()),
            next,
            ..Page::default()
        })
    }

    fn peek_next(
        &self,
        _page: PageRequest,
        _headers: &HeaderMap,
        body: &[u8],
    ) -> Option<Continuation> {
        // The token sits near the top of the answer: read up to it, not the whole page.
        let text = std::str::from_utf8(body).ok()?;
        // An empty page ends a listing (or contradicts the server): nothing to ask early.
        if !text.contains("<Contents>") && !text.contains("<CommonPrefixes>") {
            return None;
        }
        let head = &text[..text.find("<Contents>").unwrap_or(text.len())];
        if !head.contains("<IsTruncated>true</IsTruncated>") {
            return None;
        }
        let start = head.find("<NextContinuationToken>")? + "<NextContinuationToken>".len();
        let end = start + head[start..].find("</NextContinuationToken>")?;
        let token = &head[start..end];
        // Entities in a token are rare; leave such answers to the full decode.
        (!token.contains('&')).then(|| Continuation::Cursor(token.to_string()))
    }

    fn decode_error(&self, body: &[u8]) -> Option<ErrorInfo> {
        let e = xml::error(std::str::from_utf8(body).ok()?)?;
        Some(ErrorInfo {
            code: e.code,
            message: e.message.unwrap_or_default(),
        })
    }

    fn detail_request(&self, id: &str) -> Option<RequestSpec> {
        // A delete marker has nothing to HEAD: its row is all there is.
        (!id.ends_with('/') && !versions::named(id).delete_marker).then(|| Self::object_spec(id))
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
        let named = versions::named(id);
        let mut raw = serde_json::Map::new();
        raw.insert("Key".into(), named.key.into());
        let mut meta = serde_json::Map::new();
        let mut names: Vec<&str> = headers.keys().map(|k| k.as_str()).collect();
        names.sort_unstable();
        for name in names {
            let Some(value) = header_text(headers, name) else {
                continue;
            };
            if let Some(user) = name.strip_prefix("x-amz-meta-") {
                meta.insert(user.to_string(), value.into());
                continue;
            }
            let field = match name {
                "content-type" => "ContentType",
                "content-length" => "ContentLength",
                "etag" => "ETag",
                "last-modified" => "LastModified",
                "x-amz-storage-class" => "StorageClass",
                "x-amz-version-id" => "VersionId",
                "x-amz-server-side-encryption" => "ServerSideEncryption",
                "x-amz-server-side-encryption-customer-algorithm" => "SSECustomerAlgorithm",
                "x-amz-checksum-type" => "ChecksumType",
                "x-amz-checksum-sha256" => "ChecksumSHA256",
                "x-amz-checksum-sha1" => "ChecksumSHA1",
                "x-amz-checksum-crc32" => "ChecksumCRC32",
                "x-amz-checksum-crc32c" => "ChecksumCRC32C",
                "x-amz-checksum-crc64nvme" => "ChecksumCRC64NVME",
                "cache-control" => "CacheControl",
                "content-encoding" => "ContentEncoding",
                "content-disposition" => "ContentDisposition",
                "x-amz-restore" => "Restore",
                _ => continue,
            };
            raw.insert(field.into(), value.into());
        }
        if !raw.contains_key("StorageClass") && headers.contains_key("etag") {
            raw.insert("StorageClass".into(), "STANDARD".into());
        }
        if !meta.is_empty() {
            raw.insert("Metadata".into(), meta.into());
        }
        if named.version.is_some() {
            raw.insert("DeleteMarker".into(), false.into());
        }
        let text = |k: &str| raw.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let mut record = self.record(
            &self.root,
            named.key,
            serde_json::Value::Object(raw.clone()),
        );
        record.id = id.to_string();
        record.size = text("ContentLength").and_then(|s| s.parse().ok());
        record.content_type = text("ContentType");
        record.updated_at = text("LastModified")
            .and_then(|t| httpdate::parse_http_date(&t).ok())
            .map(chrono::DateTime::<chrono::Utc>::from);
        record.created_at = record.updated_at;
        Ok(record)
    }

    fn content_source(&self, record: &FileRecord) -> ContentSource {
        if self.is_folder(record) {
            return ContentSource::Unavailable("a folder: Enter goes into it".to_string());
        }
        if versions::is_delete_marker(record) {
            return ContentSource::Unavailable(versions::delete_marker_refusal());
        }
        ContentSource::Endpoint(Self::object_spec(&record.id))
    }

    /// The whole-object checksum a HEAD told (asked for with `x-amz-checksum-mode`), the
    /// strongest first; else the ETag as an MD5 where S3 makes it one: a single-part upload
    /// (no `-N`), not encrypted with KMS or a customer key. A listing's record never gives the
    /// ETag's word (it says nothing of encryption): only a HEAD's does.
    fn checksum(&self, record: &FileRecord) -> Option<Checksum> {
        use base64::Engine as _;
        let field = |name: &str| super::dialect::raw_str(record, &format!("/{name}"));
        let whole = field("ChecksumType").as_deref() != Some("COMPOSITE");
        for (name, algorithm, width) in [
            ("ChecksumSHA256", Algorithm::Sha256, 32),
            ("ChecksumCRC64NVME", Algorithm::Crc64Nvme, 8),
            ("ChecksumCRC32C", Algorithm::Crc32c, 4),
            ("ChecksumCRC32", Algorithm::Crc32, 4),
            ("ChecksumSHA1", Algorithm::Sha1, 20),
        ] {
            let Some(b64) = field(name).filter(|_| whole) else {
                continue;
            };
            // A per-part checksum reads `<base64>-<parts>` and does not decode.
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&b64)
                && bytes.len() == width
            {
                return Some(Checksum {
                    algorithm,
                    hex: super::content::hex(&bytes),
                });
            }
        }
        field("ContentLength")?;
        let kms = field("ServerSideEncryption").is_some_and(|s| s.starts_with("aws:kms"));
        if kms || field("SSECustomerAlgorithm").is_some() {
            return None;
        }
        let etag = field("ETag")?;
        let etag = etag.trim_start_matches("W/").trim_matches('"');
        (etag.len() == 32 && etag.bytes().all(|b| b.is_ascii_hexdigit())).then(|| Checksum {
            algorithm: Algorithm::EtagMd5,
            hex: etag.to_ascii_lowercase(),
        })
    }

    /// What was published but cannot be checked: a per-part (composite) checksum.
    fn checksum_text(&self, record: &FileRecord) -> Option<String> {
        [
            "ChecksumSHA256",
            "ChecksumCRC64NVME",
            "ChecksumCRC32C",
            "ChecksumCRC32",
            "ChecksumSHA1",
        ]
        .iter()
        .find_map(|name| {
            let value = super::dialect::raw_str(record, &format!("/{name}"))?;
            let algorithm = name.trim_start_matches("Checksum").to_ascii_lowercase();
            Some(format!("{algorithm} per part {value}"))
        })
    }

    fn checksum_in_detail(&self) -> bool {
        true
    }

    fn delete_request(&self, id: &str) -> Option<RequestSpec> {
        // Deleting a version is for ever: not from a versions listing.
        (!id.ends_with('/') && versions::named(id).version.is_none()).then(|| Self::object_spec(id))
    }

    fn storage_key(&self, record: &FileRecord) -> Option<String> {
        Some(versions::named(&record.id).key.to_string())
    }

    fn lists_versions(&self) -> bool {
        true
    }

    /// A listing of versions: each row's version id, whether it is the key's latest, and
    /// whether it is a delete marker, from the row's raw record.
    fn extra_fields(&self, query: &ListQuery) -> Vec<(&'static str, &'static str)> {
        match query.versions {
            Some(_) => vec![
                ("version_id", "/VersionId"),
                ("is_latest", "/IsLatest"),
                ("delete_marker", "/DeleteMarker"),
            ],
            None => Vec::new(),
        }
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
pub(super) mod tests {
    use super::*;
    use crate::api::family::Reach;

    fn s3(endpoint: Option<&str>, levels: bool) -> S3 {
        S3::new(settings(endpoint, levels))
    }

    /// Bucket `demo` under `data/`, with a key pair, in us-east-1 (the service's tests take
    /// it too).
    pub(super) fn settings(endpoint: Option<&str>, levels: bool) -> Settings {
        Settings {
            bucket: "demo".into(),
            root: "data/".into(),
            signer: Signer::given(credentials::Keys {
                access_key_id: "AKID".into(),
                secret_access_key: crate::api::Secret::new("SECRET"),
                session_token: None,
                source: "test".into(),
                expiry: None,
            }),
            region: "us-east-1".into(),
            endpoint: endpoint.map(|e| Url::parse(e).unwrap()),
            path_style: None,
            levels,
        }
    }

    #[test]
    fn urls_are_path_style_off_aws_and_virtual_hosted_on_it() {
        let local = s3(Some("http://127.0.0.1:9000"), true);
        let query = ListQuery::new(CAPABILITIES.default_sort);
        let spec = local.list_request(
            &query,
            PageRequest {
                number: 1,
                size: 100,
            },
        );
        let url = local.request_url(&spec.path, &spec.query).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9000/demo?list-type=2&max-keys=100&encoding-type=url&prefix=data%2F&delimiter=%2F"
        );
        let object = local.request_url("/data/a+b c%20d/日.txt", &[]).unwrap();
        assert_eq!(
            object.as_str(),
            "http://127.0.0.1:9000/demo/data/a%2Bb%20c%2520d/%E6%97%A5.txt"
        );
        let aws = s3(None, false);
        let url = aws.request_url("/k", &[]).unwrap();
        assert_eq!(url.as_str(), "https://demo.s3.us-east-1.amazonaws.com/k");
    }

    #[test]
    fn prefixes_come_from_the_folder_the_search_and_the_term() {
        let d = s3(Some("http://127.0.0.1:9000"), true);
        let mut q = ListQuery::new(CAPABILITIES.default_sort);
        assert_eq!(d.prefix_for(&q), "data/");
        q.terms.push(Term::Folder("data/logs/".into()));
        assert_eq!(d.prefix_for(&q), "data/logs/");
        q.search = "/logs/2025".into();
        assert_eq!(d.prefix_for(&q), "data/logs/2025");
        q.search.clear();
        q.terms = vec![Term::Prefix("img".into())];
        assert_eq!(d.prefix_for(&q), "data/img");
    }

    #[test]
    fn a_page_lists_folders_and_objects_in_key_order() {
        let d = s3(Some("http://127.0.0.1:9000"), true);
        let q = ListQuery::new(CAPABILITIES.default_sort);
        let body = r#"<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>tok</NextContinuationToken>
            <Contents><Key>data/a.pdf</Key><Size>3</Size><LastModified>2024-01-02T03:04:05.000Z</LastModified></Contents>
            <Contents><Key>data/c.txt</Key><Size>4</Size></Contents>
            <CommonPrefixes><Prefix>data/b/</Prefix></CommonPrefixes></ListBucketResult>"#;
        let page = d
            .decode_page(
                &q,
                PageRequest { number: 1, size: 3 },
                body.as_bytes(),
                Limits::default(),
            )
            .unwrap();
        let names: Vec<&str> = page.records.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["a.pdf", "b/", "c.txt"]);
        assert!(d.is_folder(&page.records[1]));
        assert_eq!(
            page.records[0].content_type.as_deref(),
            Some("application/pdf")
        );
        assert_eq!(page.next, Some(Continuation::Cursor("tok".into())));
        assert_eq!(
            d.peek_next(
                PageRequest { number: 1, size: 3 },
                &HeaderMap::new(),
                body.as_bytes()
            ),
            page.next
        );
    }

    /// A folder named `..` (made by a file named `../../etc/passwd`) is a row of its own: its
    /// name never reads as the way up (`../`), nor `.` as the folder itself; the id stays the
    /// key. `ls` without levels names keys as they are.
    #[test]
    fn a_folder_named_dot_dot_is_not_shown_as_the_way_up() {
        let body = r#"<ListBucketResult><IsTruncated>false</IsTruncated>
            <Contents><Key>data/a..b</Key><Size>4</Size></Contents>
            <CommonPrefixes><Prefix>data/../</Prefix></CommonPrefixes>
            <CommonPrefixes><Prefix>data/./</Prefix></CommonPrefixes></ListBucketResult>"#;
        let decode = |d: &S3| {
            d.decode_page(
                &ListQuery::new(CAPABILITIES.default_sort),
                PageRequest { number: 1, size: 3 },
                body.as_bytes(),
                Limits::default(),
            )
            .unwrap()
            .records
        };
        let levels = decode(&s3(Some("http://127.0.0.1:9000"), true));
        let shown: Vec<(&str, &str)> = levels
            .iter()
            .map(|r| (r.id.as_str(), r.name.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("data/../", "%2E%2E/"),
                ("data/./", "%2E/"),
                ("data/a..b", "a..b")
            ]
        );
        let flat = decode(&s3(Some("http://127.0.0.1:9000"), false));
        assert_eq!(flat[0].name, "../");
    }

    /// The insight scan asks for every key under the folder (no delimiter), one level's
    /// listing for its folders as rows.
    #[test]
    fn a_recursive_query_lists_every_key_under_the_folder() {
        let d = s3(Some("http://127.0.0.1:9000"), true);
        let mut q = ListQuery::new(CAPABILITIES.default_sort);
        q.terms.push(Term::Folder("data/logs/".into()));
        let page = PageRequest {
            number: 1,
            size: 1000,
        };
        let has_delimiter = |q: &ListQuery| {
            d.list_request(q, page)
                .query
                .iter()
                .any(|(k, _)| k == "delimiter")
        };
        assert!(has_delimiter(&q));
        q.recursive = true;
        assert!(!has_delimiter(&q));
        assert!(
            d.list_request(&q, page)
                .query
                .iter()
                .any(|(k, v)| k == "prefix" && v == "data/logs/")
        );
    }

    /// A HEAD answer with these headers, as the detail record the download judges.
    fn headed(d: &S3, headers: &[(&str, &str)]) -> FileRecord {
        let mut map = HeaderMap::new();
        map.insert("content-length", "9".parse().unwrap());
        for (name, value) in headers {
            map.insert(
                reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        d.decode_detail_answer("data/k", &map, b"").unwrap()
    }

    #[test]
    fn the_strongest_whole_object_checksum_is_chosen_and_the_etag_only_where_it_is_an_md5() {
        let d = s3(Some("http://127.0.0.1:9000"), false);
        let etag = ("etag", "\"25F9E794323B453885F5181F1B624D0B\"");
        let pick = |headers: &[(&str, &str)]| {
            d.checksum(&headed(&d, headers))
                .map(|c| (c.algorithm.label(), c.hex))
        };
        // CRC-32C of "123456789" is e3069283; CRC-32 is cbf43926 (the catalogue's check values).
        assert_eq!(
            pick(&[
                etag,
                ("x-amz-checksum-crc32", "y/Q5Jg=="),
                ("x-amz-checksum-crc32c", "4waSgw=="),
            ]),
            Some(("crc32c", "e3069283".to_string()))
        );
        assert_eq!(
            pick(&[etag, ("x-amz-checksum-crc32", "y/Q5Jg==")]),
            Some(("crc32", "cbf43926".to_string()))
        );
        // A single-part, unencrypted or SSE-S3 upload: the ETag is the MD5.
        let md5 = Some(("md5 (ETag)", "25f9e794323b453885f5181f1b624d0b".to_string()));
        assert_eq!(pick(&[etag]), md5);
        assert_eq!(
            pick(&[etag, ("x-amz-server-side-encryption", "AES256")]),
            md5
        );
        // Per-part checksums and the ETags of multipart, KMS and customer-key objects are not.
        assert_eq!(
            pick(&[
                etag,
                ("x-amz-checksum-crc32", "y/Q5Jg==-3"),
                ("x-amz-checksum-type", "COMPOSITE"),
            ]),
            md5
        );
        assert_eq!(
            d.checksum_text(&headed(&d, &[("x-amz-checksum-crc32", "y/Q5Jg==-3")])),
            Some("crc32 per part y/Q5Jg==-3".to_string())
        );
        assert_eq!(
            pick(&[("etag", "\"25f9e794323b453885f5181f1b624d0b-2\"")]),
            None
        );
        assert_eq!(
            pick(&[etag, ("x-amz-server-side-encryption", "aws:kms")]),
            None
        );
        assert_eq!(
            pick(&[
                etag,
                ("x-amz-server-side-encryption-customer-algorithm", "AES256")
            ]),
            None
        );
        // A listing's record says nothing of encryption: its ETag is not taken at its word.
        let q = ListQuery::new(CAPABILITIES.default_sort);
        let body = r#"<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>data/k</Key>
            <Size>9</Size><ETag>"25f9e794323b453885f5181f1b624d0b"</ETag></Contents></ListBucketResult>"#;
        let page = d
            .decode_page(
                &q,
                PageRequest { number: 1, size: 3 },
                body.as_bytes(),
                Limits::default(),
            )
            .unwrap();
        assert_eq!(d.checksum(&page.records[0]), None);
    }

    #[test]
    fn a_wrong_region_is_adopted_and_the_aws_endpoint_follows_it() {
        let d = s3(None, true);
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-bucket-region", "eu-west-1".parse().unwrap());
        let url = Url::parse("https://demo.s3.us-east-1.amazonaws.com/k").unwrap();
        let moved = d.relocate(301, &headers, b"", &url).unwrap().unwrap();
        assert_eq!(
            moved.url.as_str(),
            "https://demo.s3.eu-west-1.amazonaws.com/k"
        );
        assert_eq!(
            (moved.from.as_str(), moved.to.as_str()),
            ("us-east-1", "eu-west-1")
        );
        assert_eq!(d.region(), "eu-west-1");
        assert_eq!(d.relocate(301, &headers, b"", &moved.url), Ok(None), "once");
        // A custom endpoint stays; only the signing region changes.
        let local = s3(Some("http://127.0.0.1:9000"), true);
        let body =
            b"<Error><Code>AuthorizationHeaderMalformed</Code><Region>ap-east-1</Region></Error>";
        let url = Url::parse("http://127.0.0.1:9000/demo?list-type=2").unwrap();
        assert_eq!(
            local
                .relocate(400, &HeaderMap::new(), body, &url)
                .unwrap()
                .map(|r| r.url),
            Some(url)
        );
        assert_eq!(local.region(), "ap-east-1");
    }

    #[test]
    fn a_key_listed_as_bytes_that_are_not_utf8_is_never_sent_as_another_key() {
        let d = s3(Some("http://127.0.0.1:9000"), true);
        let error = d.request_url("/data/bad\u{fffd}name", &[]).unwrap_err();
        assert!(
            error.contains("is not UTF-8 as the store keeps it"),
            "{error}"
        );
        let record = d.record("", "data/bad\u{fffd}name", serde_json::json!({}));
        assert!(
            d.share_link(&record, Duration::from_secs(60))
                .unwrap()
                .is_err()
        );
        assert!(
            d.delete_request("data/bad\u{fffd}name").is_some(),
            "refused when sent"
        );
    }

    #[test]
    fn a_region_that_is_not_a_region_name_is_refused_and_never_adopted() {
        let url = Url::parse("http://127.0.0.1:9000/demo?list-type=2").unwrap();
        for named in [
            "us-east-1';touch pwned;echo '",
            "EU-WEST-1",
            "us east 1",
            "eu-west-1\u{1b}]52;c;ZXZpbA==\u{7}",
            "a-region-name-far-longer-than-any-real-one",
            "\u{202e}1-tsae-su",
        ] {
            let d = s3(Some("http://127.0.0.1:9000"), true);
            let body =
                format!("<Error><Code>PermanentRedirect</Code><Region>{named}</Region></Error>");
            let mut outcomes = vec![d.relocate(400, &HeaderMap::new(), body.as_bytes(), &url)];
            // A header cannot carry control characters; the rest come in one too.
            if let Ok(value) = reqwest::header::HeaderValue::from_bytes(named.as_bytes()) {
                let mut headers = HeaderMap::new();
                headers.insert("x-amz-bucket-region", value);
                outcomes.push(d.relocate(301, &headers, b"", &url));
            }
            for outcome in outcomes {
                match outcome {
                    Err(error) => {
                        assert!(error.contains("is not a region name"), "{error}");
                        assert!(!error.chars().any(crate::text::is_unsafe), "{error:?}");
                    }
                    // XML 1.0 cannot carry an escape character (such a body is no S3
                    // error), and a header that is not ASCII is not read.
                    Ok(None) => assert!(
                        named.contains('\u{1b}') || !named.is_ascii(),
                        "{named:?} was let by"
                    ),
                    Ok(Some(moved)) => panic!("{named:?} was adopted: {moved:?}"),
                }
            }
            assert_eq!(d.region(), "us-east-1", "{named:?} was not adopted");
        }
        for real in ["us-east-1", "eu-central-2", "auto", "us-gov-west-1"] {
            assert!(is_region(real), "{real}");
        }
    }

    #[test]
    fn presigned_links_carry_the_signature_in_the_query_and_never_the_secret() {
        let d = s3(Some("http://127.0.0.1:9000"), true);
        let url = d
            .presign_get("data/a b.txt", Duration::from_secs(900))
            .unwrap();
        let text = url.as_str();
        assert!(
            text.starts_with("http://127.0.0.1:9000/demo/data/a%20b.txt?"),
            "{text}"
        );
        for part in [
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Expires=900",
            "X-Amz-Signature=",
            "X-Amz-Credential=AKID%2F",
        ] {
            assert!(text.contains(part), "{part} in {text}");
        }
        assert!(!text.contains("SECRET"));
        let week = d
            .presign_get("k", Duration::from_secs(30 * 24 * 3600))
            .unwrap();
        assert!(
            week.as_str().contains("X-Amz-Expires=604800"),
            "capped at S3's 7 days"
        );
    }
}
