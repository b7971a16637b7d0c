//! The S3 dialect: one bucket, [`S3_BUCKET`], path-style, over the synthetic
//! dataset, authenticated with AWS Signature V4 verified for real.
//!
//! Requests (`{key}` percent-decoded from the path; keys may hold `/`):
//!
//! - `GET /demo?list-type=2&prefix&delimiter&max-keys&continuation-token&
//!   start-after&encoding-type=url&fetch-owner`: ListObjectsV2. Keys in
//!   UTF-8 byte order; `max-keys` (default 1000, more is served as 1000, 0
//!   gives an empty page that is not truncated) bounds keys and common
//!   prefixes together; `KeyCount` counts both. The continuation token is
//!   opaque (standard base64 of where the page ended plus a check, so `+`,
//!   `/` and `=` must be encoded by the client as on S3); a forged or
//!   garbled one is 400 `InvalidArgument`. `start-after` is any string and is
//!   ignored when a token is given. Entries (keys and common prefixes) after
//!   `start-after` are listed: a common prefix that sorts before it is not.
//!   Under `encoding-type=url`, `Key`, `Prefix`, `Delimiter`, `StartAfter`
//!   and `CommonPrefixes/Prefix` are URL-encoded as S3 does (see
//!   `wire::list_encode`: a space is `+`); otherwise text is XML-escaped as
//!   S3 does, control characters as `&#x1b;`-style references that strict
//!   XML 1.0 parsers refuse (see `wire::escape_into`).
//! - `GET /demo` without `list-type`: ListObjects (v1, `marker`, `NextMarker`
//!   with a delimiter). `GET /demo?location`, `?versioning`; `HEAD /demo`.
//! - `HEAD|GET /demo/{key}`: the object, with `Content-Type`,
//!   `Content-Length`, `ETag`, `Last-Modified`, `x-amz-storage-class`,
//!   `x-amz-version-id`, `x-amz-meta-*`, `x-amz-server-side-encryption`, and
//!   with `x-amz-checksum-mode: ENABLED` `x-amz-checksum-sha256` (see
//!   `objects.rs`); `Range` (one range) → 206, unsatisfiable → 416
//!   `InvalidRange`; `If-Match`/`If-Unmodified-Since` → 412,
//!   `If-None-Match`/`If-Modified-Since` → 304; `versionId`;
//!   `response-content-type` and the other `response-*` overrides.
//!   Throttled by `bandwidth` like every dialect's downloads.
//! - `GET /demo?versions&…`: ListObjectVersions, and `versionId` on GET and
//!   HEAD of an object: its older versions and delete markers (see
//!   `versions.rs`).
//! - `DELETE /demo/{key}` → 204, found or not; the key is gone from this
//!   server's later answers.
//! - `GET /?max-buckets&continuation-token`: ListBuckets, as AWS answers it
//!   now: each bucket's `Name`, `CreationDate` and `BucketRegion`, in name
//!   order, `max-buckets` (1–10000, else 400 `InvalidArgument`) a page with a
//!   `ContinuationToken` (the last name listed, base64) where more follow.
//!   The list is [`S3_BUCKET`] and [`S3Options::other_buckets`] (listed
//!   only, with nothing in them). Another bucket is 404 `NoSuchBucket`; PUT, POST
//!   and the rest are 405 `MethodNotAllowed` (the demo writes nothing), and
//!   sub-resources the demo lacks (`?acl`, `?tagging`, ...) 501.
//!
//! Credentials are [`S3_ACCESS_KEY`] / [`S3_SECRET_KEY`] (the config's
//! `api_key` is not used: S3 has a key pair, not a token); the region is
//! [`S3Options::region`] (default [`S3_REGION`]). Every answer about the
//! bucket, errors included, carries `x-amz-bucket-region`; a request signed
//! for another region is 400 with `<Region>`. Every answer carries
//! `x-amz-request-id` (also the error body's `RequestId`). Errors are
//! `application/xml` `<Error>` bodies; HEAD errors have no body.
//!
//! Latency and chaos apply as for every dialect (chaos faults keep their
//! JSON bodies). `list_requests` counts GET and HEAD of `/demo`.

pub mod azure;
pub(crate) mod keys;
pub(crate) mod objects;
mod sigv4;
mod spaces;
mod versions;
pub(crate) mod wire;

#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

use self::keys::{Entry, Keys, ListQuery};
use self::objects::{Object, StorageClass};
use self::wire::{Query, S3Error, Xml};
use super::ServerStats;
use super::common::{self, Context, Plumbing, Salt, mix};
use super::content::{self, Wanted};
use super::dataset::Dataset;

pub use self::keys::AWKWARD_KEYS;
pub use self::spaces::{KeySpace, SPARSE_FIRST, SPARSE_LAST};

/// The only bucket.
pub const S3_BUCKET: &str = "demo";
/// The access key id every request must be signed with.
pub const S3_ACCESS_KEY: &str = "demo";
/// Its secret access key.
pub const S3_SECRET_KEY: &str = "demo-secret-key";
/// The bucket's region unless [`S3Options::region`] says otherwise.
pub const S3_REGION: &str = "us-east-1";
/// The most files the S3 dialect serves: its key index is held in memory
/// (about 60 bytes a key).
pub const MAX_FILES: usize = 20_000_000;

/// How the S3 dialect serves, beyond [`crate::DemoConfig`] (see
/// [`crate::DemoServer::start_with_s3`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Options {
    /// The bucket's region: a request signed for another is refused with
    /// this one in `<Region>` and `x-amz-bucket-region`.
    pub region: String,
    /// More buckets ListBuckets names, as (name, region): listed only (a
    /// request to one is 404 `NoSuchBucket`), so a list can be paged.
    pub other_buckets: Vec<(String, String)>,
}

impl Default for S3Options {
    fn default() -> Self {
        S3Options {
            region: S3_REGION.to_owned(),
            other_buckets: Vec::new(),
        }
    }
}

/// What `serve --dialect s3` tells a person on stderr: what is served where,
/// and a command that connects. One line each, without a `filescope: `
/// prefix. `files` is the dataset size; the awkward keys come on top.
pub fn connect_hint(base_url: &str, files: usize, region: &str) -> Vec<String> {
    let credentials =
        format!("AWS_ACCESS_KEY_ID={S3_ACCESS_KEY} AWS_SECRET_ACCESS_KEY={S3_SECRET_KEY}");
    let region_variable = if region == S3_REGION {
        String::new()
    } else {
        format!(" AWS_REGION={region}")
    };
    vec![
        format!(
            "serving {} objects in bucket \"{S3_BUCKET}\" (region {region}) at {base_url}; credentials {credentials}",
            files + AWKWARD_KEYS.len()
        ),
        format!(
            "try  {credentials}{region_variable} filescope s3://{S3_BUCKET}/ --endpoint {base_url}   (s3:// lists the buckets)"
        ),
    ]
}

/// Where the listing endpoint is (for [`ServerStats::list_requests`]).
fn is_list(path: &str) -> bool {
    matches!(path, "/demo" | "/demo/")
}

pub(super) fn router(context: Context) -> Router {
    let bucket = Bucket::serving(&context);
    let router = Router::new().fallback(handle).with_state(bucket);
    common::serve(
        router,
        &context,
        Plumbing {
            is_list,
            rate_limit: None,
        },
    )
}

struct Bucket {
    dataset: Arc<Dataset>,
    stats: Arc<ServerStats>,
    region: String,
    /// The other buckets ListBuckets names, as (name, region).
    other_buckets: Vec<(String, String)>,
    bandwidth: Option<u64>,
    /// The shape of the keys served.
    key_space: KeySpace,
    keys: OnceLock<Arc<Keys>>,
    /// Objects deleted from this server, by id.
    deleted: RwLock<HashSet<u32>>,
    /// Keys the continuation tokens' check.
    token_key: u64,
    requests: AtomicU64,
}

/// What a request's path names.
enum Target {
    /// `/`: the service (ListBuckets).
    Service,
    /// The bucket (`None`) or an object in it, or a key that is not UTF-8.
    Bucket(Result<Option<String>, S3Error>),
    /// Another bucket, by name.
    Other(String),
}

impl Target {
    fn parse(raw_path: &str) -> Target {
        let path = raw_path.strip_prefix('/').unwrap_or(raw_path);
        if path.is_empty() {
            return Target::Service;
        }
        let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
        let bucket = String::from_utf8_lossy(&wire::percent_decode(bucket, false)).into_owned();
        if bucket != S3_BUCKET {
            return Target::Other(bucket);
        }
        if key.is_empty() {
            return Target::Bucket(Ok(None));
        }
        Target::Bucket(
            String::from_utf8(wire::percent_decode(key, false))
                .map(Some)
                .map_err(|_| {
                    S3Error::new(
                        StatusCode::BAD_REQUEST,
                        "InvalidURI",
                        "Couldn't parse the specified URI.",
                    )
                    .with("URI", raw_path)
                }),
        )
    }
}

/// Every request: the answer, plus the headers S3 puts on every answer.
async fn handle(
    State(bucket): State<Arc<Bucket>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let number = bucket.requests.fetch_add(1, Ordering::Relaxed);
    let request_id = format!("{:016X}", mix(number ^ bucket.token_key));
    let host_id = BASE64.encode(Sha256::digest(request_id.as_bytes()));
    let target = Target::parse(uri.path());
    let in_bucket = matches!(target, Target::Bucket(_));
    let request = Incoming {
        method: &method,
        uri: &uri,
        headers: &headers,
        body: &body,
        query: Query::parse(uri.query().unwrap_or("")),
    };
    let answer = match target {
        Target::Service => bucket.service(&request),
        Target::Other(name) => Err(S3Error::new(
            StatusCode::NOT_FOUND,
            "NoSuchBucket",
            "The specified bucket does not exist",
        )
        .with("BucketName", name)),
        Target::Bucket(Err(error)) => Err(error),
        Target::Bucket(Ok(key)) => bucket.bucket(&request, key).await,
    };
    let mut response =
        answer.unwrap_or_else(|error| error.respond(method == Method::HEAD, &request_id, &host_id));
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    set("x-amz-request-id", &request_id);
    set("x-amz-id-2", &host_id);
    set("server", "AmazonS3");
    if in_bucket {
        set("x-amz-bucket-region", &bucket.region);
    }
    response
}

/// A request, as the handlers read it.
struct Incoming<'a> {
    method: &'a Method,
    uri: &'a Uri,
    headers: &'a HeaderMap,
    body: &'a [u8],
    query: Query,
}

impl Incoming<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sub-resources of a bucket the demo does not have.
const BUCKET_SUBRESOURCES: [&str; 20] = [
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "lifecycle",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "ownershipControls",
    "policy",
    "publicAccessBlock",
    "replication",
    "requestPayment",
    "tagging",
    "uploads",
    "website",
];

/// Sub-resources of an object the demo does not have.
const OBJECT_SUBRESOURCES: [&str; 8] = [
    "acl",
    "attributes",
    "legal-hold",
    "restore",
    "retention",
    "tagging",
    "torrent",
    "uploadId",
];

impl Bucket {
    /// The bucket `context` serves, its keys being indexed already.
    fn serving(context: &Context) -> Arc<Bucket> {
        let dataset = Arc::clone(&context.dataset);
        let bucket = Arc::new(Bucket {
            token_key: Salt::S3TokenKey.global(&dataset),
            dataset,
            stats: Arc::clone(&context.stats),
            region: context.s3.region.clone(),
            other_buckets: context.s3.other_buckets.clone(),
            bandwidth: context.bandwidth,
            key_space: context.s3_keys,
            keys: OnceLock::new(),
            deleted: RwLock::new(HashSet::new()),
            requests: AtomicU64::new(0),
        });
        bucket.index_soon();
        bucket
    }

    /// Indexes the keys now, off the async workers, so the first listing seldom waits;
    /// given up if the server stops first.
    fn index_soon(self: &Arc<Self>) {
        keys::index_soon(
            self,
            |bucket| &bucket.keys,
            |bucket, cancelled| Keys::of_space(bucket.key_space, &bucket.dataset, cancelled),
        );
    }

    /// The dataset's keys, sorted; built on a blocking thread the first time.
    async fn keys(self: &Arc<Self>) -> Result<Arc<Keys>, S3Error> {
        common::lazily(
            self,
            |bucket| &bucket.keys,
            |bucket| Arc::new(Keys::of_space(bucket.key_space, &bucket.dataset, || false)),
        )
        .await
        .map_err(|_| internal())
    }

    fn is_deleted(&self, id: u32) -> bool {
        self.deleted
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&id)
    }

    /// Checks the signature (see [`sigv4`]) and words a refusal as S3 does.
    fn authenticate(&self, request: &Incoming<'_>, any_region: bool) -> Result<(), S3Error> {
        let signed = sigv4::Request {
            method: request.method.as_str(),
            path: request.uri.path(),
            query: request.uri.query().unwrap_or(""),
            headers: request.headers,
            body: request.body,
        };
        let credentials = sigv4::Credentials {
            access_key: S3_ACCESS_KEY,
            secret_key: S3_SECRET_KEY,
            region: &self.region,
        };
        let now = common::unix_now();
        sigv4::verify(&signed, &credentials, now, any_region)
            .map_err(|refusal| refused(refusal, &self.region, now))
    }

    /// `GET /`: the one bucket.
    fn service(&self, request: &Incoming<'_>) -> Result<Response, S3Error> {
        // ListBuckets is global: S3 answers it whatever region it is signed for.
        self.authenticate(request, true)?;
        if *request.method != Method::GET {
            return Err(not_allowed(request.method, "SERVICE"));
        }
        let mut all: Vec<(&str, &str)> = self
            .other_buckets
            .iter()
            .map(|(name, region)| (name.as_str(), region.as_str()))
            .chain([(S3_BUCKET, self.region.as_str())])
            .collect();
        all.sort_unstable();
        let max = match request.query.text("max-buckets") {
            Ok(None) => 10_000,
            Ok(Some(text)) => text
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=10_000).contains(n))
                .ok_or_else(|| {
                    S3Error::invalid_argument(
                        "max-buckets must be between 1 and 10000",
                        "max-buckets",
                        text,
                    )
                })?,
            Err(()) => {
                return Err(S3Error::invalid_argument(
                    "max-buckets is not UTF-8",
                    "max-buckets",
                    "",
                ));
            }
        };
        let after = match request.query.text("continuation-token") {
            Ok(None) => None,
            Ok(Some(token)) => Some(
                BASE64
                    .decode(token)
                    .ok()
                    .and_then(|name| String::from_utf8(name).ok())
                    .ok_or_else(|| {
                        S3Error::invalid_argument(
                            "The continuation token provided is incorrect",
                            "continuation-token",
                            token,
                        )
                    })?,
            ),
            Err(()) => None,
        };
        let rest: Vec<(&str, &str)> = all
            .into_iter()
            .filter(|(name, _)| after.as_deref().is_none_or(|after| *name > after))
            .collect();
        let page = &rest[..rest.len().min(max)];
        let mut xml = Xml::document("ListAllMyBucketsResult");
        xml.open("Buckets");
        for (name, region) in page {
            xml.open("Bucket");
            xml.element("Name", name)
                .element("CreationDate", &wire::iso_millis(self.created()))
                .element("BucketRegion", region);
            xml.close("Bucket");
        }
        xml.close("Buckets");
        self.owner(&mut xml);
        if let Some((last, _)) = page.last().filter(|_| rest.len() > page.len()) {
            xml.element("ContinuationToken", &BASE64.encode(last));
        }
        Ok(wire::xml_response(
            StatusCode::OK,
            xml.finish("ListAllMyBucketsResult"),
        ))
    }

    /// When the bucket was made: a day before the first upload.
    fn created(&self) -> i64 {
        if self.dataset.is_empty() {
            common::unix_now()
        } else {
            self.dataset.created_at_of(0) - 86_400
        }
    }

    fn owner(&self, xml: &mut Xml) {
        let id = wire::hex(&Sha256::digest(self.token_key.to_le_bytes()));
        xml.open("Owner")
            .element("ID", &id)
            .element("DisplayName", "demo")
            .close("Owner");
    }

    /// A request for the bucket (`key` `None`) or an object in it.
    async fn bucket(
        self: &Arc<Self>,
        request: &Incoming<'_>,
        key: Option<String>,
    ) -> Result<Response, S3Error> {
        // GetBucketLocation is how a client finds the region: S3 answers it
        // whatever region it is signed for.
        let locating = key.is_none() && request.query.has("location");
        self.authenticate(request, locating)?;
        let method = request.method;
        match key {
            None if *method == Method::GET => {
                if locating {
                    let mut xml = Xml::document("LocationConstraint");
                    // us-east-1 is the empty constraint, as S3 answers it.
                    if self.region != S3_REGION {
                        xml.text(&self.region);
                    }
                    return Ok(wire::xml_response(
                        StatusCode::OK,
                        xml.finish("LocationConstraint"),
                    ));
                }
                if request.query.has("versioning") {
                    let mut xml = Xml::document("VersioningConfiguration");
                    xml.element("Status", "Enabled");
                    return Ok(wire::xml_response(
                        StatusCode::OK,
                        xml.finish("VersioningConfiguration"),
                    ));
                }
                if request.query.has("versions") {
                    return self.list_versions(&request.query).await;
                }
                if let Some(name) = BUCKET_SUBRESOURCES
                    .iter()
                    .find(|name| request.query.has(name))
                {
                    return Err(not_implemented(name));
                }
                self.list(&request.query).await
            }
            None if *method == Method::HEAD => {
                let mut response = StatusCode::OK.into_response();
                response.headers_mut().insert(
                    HeaderName::from_static("x-amz-access-point-alias"),
                    HeaderValue::from_static("false"),
                );
                Ok(response)
            }
            None => Err(not_allowed(method, "BUCKET")),
            Some(key) => {
                if let Some(name) = OBJECT_SUBRESOURCES
                    .iter()
                    .find(|name| request.query.has(name))
                {
                    return Err(not_implemented(name));
                }
                match *method {
                    Method::GET | Method::HEAD => {
                        let answer = self.object(request, key).await;
                        if let Some(condition) = request.header("if-match") {
                            let status = match &answer {
                                Ok(response) => response.status(),
                                Err(e) => e.status,
                            };
                            self.stats.saw_if_match(condition, status.as_u16());
                        }
                        answer
                    }
                    Method::DELETE => self.delete(key).await,
                    _ => Err(not_allowed(method, "OBJECT")),
                }
            }
        }
    }

    /// ListObjectsV2, or ListObjects (v1) without `list-type`.
    async fn list(self: &Arc<Self>, query: &Query) -> Result<Response, S3Error> {
        let version2 = match query.text("list-type") {
            Ok(None) => false,
            Ok(Some("2")) => true,
            Ok(Some(other)) => {
                return Err(S3Error::invalid_argument(
                    "Invalid List Type specified in Request",
                    "list-type",
                    other,
                ));
            }
            Err(()) => return Err(not_utf8("list-type")),
        };
        let text = |name: &'static str| query.text(name).map_err(|()| not_utf8(name));
        let prefix = text("prefix")?.unwrap_or("");
        let delimiter = text("delimiter")?.filter(|d| !d.is_empty());
        let (max, url) = page_options(query)?;
        let token = if version2 {
            text("continuation-token")?
        } else {
            None
        };
        let resume = match token {
            Some(token) => Some(self.read_token(token).ok_or_else(|| {
                S3Error::invalid_argument(
                    "The continuation token provided is incorrect",
                    "continuation-token",
                    token,
                )
            })?),
            None => None,
        };
        let start_after = text(if version2 { "start-after" } else { "marker" })?;
        let after = resume.as_deref().or(start_after);
        let fetch_owner = !version2 || text("fetch-owner")? == Some("true");

        let keys = self.keys().await?;
        let page = {
            let deleted = self.deleted.read().unwrap_or_else(|e| e.into_inner());
            keys.list(
                ListQuery {
                    prefix,
                    delimiter,
                    after,
                    max,
                },
                |id| deleted.contains(&id),
            )
        };
        let encode = |text: &str| {
            if url {
                wire::list_encode(text)
            } else {
                text.to_owned()
            }
        };
        let last = page.entries.last().map(|e| keys.entry_text(e).to_owned());

        let mut xml = Xml::document("ListBucketResult");
        xml.element("Name", S3_BUCKET)
            .element("Prefix", &encode(prefix));
        if version2 {
            xml.element("KeyCount", &page.entries.len().to_string());
        } else {
            xml.element("Marker", &encode(start_after.unwrap_or("")));
            if let (true, Some(_), Some(last)) = (page.truncated, delimiter, &last) {
                xml.element("NextMarker", &encode(last));
            }
        }
        xml.element("MaxKeys", &max.to_string());
        if let Some(delimiter) = delimiter {
            xml.element("Delimiter", &encode(delimiter));
        }
        xml.element("IsTruncated", if page.truncated { "true" } else { "false" });
        if version2 {
            if let Some(token) = token {
                xml.element("ContinuationToken", token);
            }
            if let (true, Some(last)) = (page.truncated, &last) {
                xml.element("NextContinuationToken", &self.make_token(last));
            }
            if let Some(start_after) = start_after {
                xml.element("StartAfter", &encode(start_after));
            }
        }
        if url {
            xml.element("EncodingType", "url");
        }
        for entry in &page.entries {
            if let Entry::Object(position) = entry {
                let object = Object::of(&self.dataset, keys.id(*position));
                xml.open("Contents")
                    .element("Key", &encode(keys.key(*position)))
                    .element(
                        "LastModified",
                        &wire::iso_millis(object.last_modified(&self.dataset)),
                    )
                    .element("ETag", &object.etag(&self.dataset));
                if !object.is_multipart(&self.dataset) {
                    xml.element("ChecksumAlgorithm", "SHA256")
                        .element("ChecksumType", "FULL_OBJECT");
                }
                xml.element("Size", &object.size(&self.dataset).to_string());
                if fetch_owner {
                    self.owner(&mut xml);
                }
                xml.element("StorageClass", object.storage_class(&self.dataset).name())
                    .close("Contents");
            }
        }
        for entry in &page.entries {
            if let Entry::Prefix(common) = entry {
                xml.open("CommonPrefixes")
                    .element("Prefix", &encode(common))
                    .close("CommonPrefixes");
            }
        }
        Ok(wire::xml_response(
            StatusCode::OK,
            xml.finish("ListBucketResult"),
        ))
    }

    /// A continuation token: where the page ended (its last key or common
    /// prefix) and 8 bytes of a keyed SHA-256 of it, in standard base64.
    fn make_token(&self, last: &str) -> String {
        let mut bytes = last.as_bytes().to_vec();
        bytes.extend_from_slice(&self.token_check(last.as_bytes()));
        BASE64.encode(bytes)
    }

    /// Where a token says to resume, if this server made it.
    fn read_token(&self, token: &str) -> Option<String> {
        let bytes = BASE64.decode(token).ok()?;
        let split = bytes.len().checked_sub(8)?;
        let (last, check) = bytes.split_at(split);
        if check != self.token_check(last) {
            return None;
        }
        String::from_utf8(last.to_vec()).ok()
    }

    fn token_check(&self, last: &[u8]) -> [u8; 8] {
        let mut hasher = Sha256::new();
        hasher.update(self.token_key.to_le_bytes());
        hasher.update(last);
        let digest = hasher.finalize();
        let mut check = [0; 8];
        check.copy_from_slice(&digest[..8]);
        check
    }

    /// The live object named `key`.
    fn lookup(&self, keys: &Keys, key: &str) -> Result<Object, S3Error> {
        keys.find(key)
            .map(|position| keys.id(position))
            .filter(|&id| !self.is_deleted(id))
            .map(|id| Object::of(&self.dataset, id))
            .ok_or_else(|| {
                S3Error::new(
                    StatusCode::NOT_FOUND,
                    "NoSuchKey",
                    "The specified key does not exist.",
                )
                .with("Key", key)
            })
    }

    /// GetObject and HeadObject.
    async fn object(
        self: &Arc<Self>,
        request: &Incoming<'_>,
        key: String,
    ) -> Result<Response, S3Error> {
        let keys = self.keys().await?;
        let object = match request.query.raw("versionId") {
            None => self.lookup(&keys, &key)?,
            Some(asked) => self.version(&keys, &key, asked)?,
        };
        let dataset = &self.dataset;
        let version = object.version_id(dataset);
        let etag = object.etag(dataset);
        let modified = object.last_modified(dataset);
        let size = object.size(dataset);
        if let Some(answer) = preconditions(request, &etag, modified)? {
            return Ok(answer);
        }
        let class = object.storage_class(dataset);
        let head = *request.method == Method::HEAD;
        if class == (StorageClass::Glacier { restored: false }) && !head {
            return Err(S3Error::new(
                StatusCode::FORBIDDEN,
                "InvalidObjectState",
                "The operation is not valid for the object's storage class",
            )
            .with("StorageClass", class.name()));
        }
        self.stats.content_requests.fetch_add(1, Ordering::Relaxed);
        let (start, end) = match content::wanted(request.headers, &etag, size) {
            Wanted::Unsatisfiable => {
                let asked = request.header("range").unwrap_or_default().to_owned();
                return Err(S3Error::new(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "InvalidRange",
                    "The requested range is not satisfiable",
                )
                .with("RangeRequested", asked)
                .with("ActualObjectSize", size.to_string())
                .header(header::CONTENT_RANGE, format!("bytes */{size}")));
            }
            Wanted::Whole => (0, size),
            Wanted::Part(first, last) => (first, last + 1),
        };
        let partial = (start, end) != (0, size);
        let checksum = if !partial
            && request
                .header("x-amz-checksum-mode")
                .is_some_and(|mode| mode.eq_ignore_ascii_case("ENABLED"))
        {
            let dataset = Arc::clone(dataset);
            common::blocking(move || object.checksum_sha256(&dataset))
                .await
                .map_err(|_| internal())?
        } else {
            None
        };

        let mut response = content::stream(
            object.content(dataset),
            start,
            end,
            request.method,
            self.bandwidth,
        );
        let headers = response.headers_mut();
        let mut set = |name: HeaderName, value: &str| {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(name, value);
            }
        };
        if partial {
            self.stats.range_requests.fetch_add(1, Ordering::Relaxed);
            set(
                header::CONTENT_RANGE,
                &format!("bytes {start}-{}/{size}", end - 1),
            );
        }
        set(header::CONTENT_TYPE, object.content_type(dataset));
        set(header::ETAG, &etag);
        set(header::LAST_MODIFIED, &wire::http_date(modified));
        set(header::ACCEPT_RANGES, "bytes");
        set(
            HeaderName::from_static("x-amz-server-side-encryption"),
            "AES256",
        );
        if class != StorageClass::Standard {
            set(HeaderName::from_static("x-amz-storage-class"), class.name());
        }
        if class == (StorageClass::Glacier { restored: true }) {
            // Restored for a while yet: three days from today.
            let today = common::unix_now() / 86_400 * 86_400;
            set(
                HeaderName::from_static("x-amz-restore"),
                &format!(
                    "ongoing-request=\"false\", expiry-date=\"{}\"",
                    wire::http_date(today + 3 * 86_400)
                ),
            );
        }
        if let Some(version) = &version {
            set(HeaderName::from_static("x-amz-version-id"), version);
        }
        for (name, value) in object.metadata(dataset) {
            if let Ok(name) = HeaderName::from_bytes(format!("x-amz-meta-{name}").as_bytes()) {
                set(name, value);
            }
        }
        if let Some(checksum) = checksum {
            set(HeaderName::from_static("x-amz-checksum-sha256"), &checksum);
            set(
                HeaderName::from_static("x-amz-checksum-type"),
                "FULL_OBJECT",
            );
        }
        for (parameter, name) in [
            ("response-content-type", header::CONTENT_TYPE),
            ("response-content-disposition", header::CONTENT_DISPOSITION),
            ("response-content-language", header::CONTENT_LANGUAGE),
            ("response-content-encoding", header::CONTENT_ENCODING),
            ("response-cache-control", header::CACHE_CONTROL),
            ("response-expires", header::EXPIRES),
        ] {
            if let Ok(Some(value)) = request.query.text(parameter) {
                set(name, value);
            }
        }
        if partial {
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        }
        Ok(response)
    }

    /// DeleteObject: 204 whether or not the key was there, as S3 answers.
    async fn delete(self: &Arc<Self>, key: String) -> Result<Response, S3Error> {
        let keys = self.keys().await?;
        if let Some(position) = keys.find(&key) {
            self.deleted
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .insert(keys.id(position));
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    }
}

/// The conditional headers, as S3 (and RFC 7232) weigh them: a failed
/// `If-Match` (or, without it, `If-Unmodified-Since`) is 412; a matching
/// `If-None-Match` (or, without it, an unchanged `If-Modified-Since`) is 304.
fn preconditions(
    request: &Incoming<'_>,
    etag: &str,
    modified: i64,
) -> Result<Option<Response>, S3Error> {
    let matches = |list: &str| {
        list.split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag == etag || tag.trim_start_matches("W/") == etag)
    };
    let failed = |condition: &str| {
        S3Error::new(
            StatusCode::PRECONDITION_FAILED,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
        )
        .with("Condition", condition)
    };
    match request.header("if-match") {
        Some(list) if !matches(list) => return Err(failed("If-Match")),
        Some(_) => {}
        None => {
            let since = request
                .header("if-unmodified-since")
                .and_then(wire::parse_http_date);
            if since.is_some_and(|since| modified > since) {
                return Err(failed("If-Unmodified-Since"));
            }
        }
    }
    let unchanged = match request.header("if-none-match") {
        Some(list) => matches(list),
        None => request
            .header("if-modified-since")
            .and_then(wire::parse_http_date)
            .is_some_and(|since| modified <= since),
    };
    if !unchanged {
        return Ok(None);
    }
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    if let Ok(value) = HeaderValue::from_str(&wire::http_date(modified)) {
        headers.insert(header::LAST_MODIFIED, value);
    }
    Ok(Some(response))
}

/// `max-keys` (default 1000, more is served as 1000) and whether `encoding-type=url` is
/// asked, as every listing reads them.
fn page_options(query: &Query) -> Result<(usize, bool), S3Error> {
    let text = |name: &'static str| query.text(name).map_err(|()| not_utf8(name));
    let max = match text("max-keys")? {
        None => 1000,
        Some(value) => match value.parse::<i64>() {
            Ok(n) if (0..=i64::from(i32::MAX)).contains(&n) => n.min(1000) as usize,
            Ok(_) => {
                return Err(S3Error::invalid_argument(
                    "Argument maxKeys must be an integer between 0 and 2147483647",
                    "maxKeys",
                    value,
                ));
            }
            Err(_) => {
                return Err(S3Error::invalid_argument(
                    "Provided max-keys not an integer or within integer range",
                    "max-keys",
                    value,
                ));
            }
        },
    };
    let url = match text("encoding-type")? {
        None => false,
        Some("url") => true,
        Some(other) => {
            return Err(S3Error::invalid_argument(
                "Invalid Encoding Method specified in Request",
                "encoding-type",
                other,
            ));
        }
    };
    Ok((max, url))
}

fn internal() -> S3Error {
    S3Error::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalError",
        "We encountered an internal error. Please try again.",
    )
}

fn not_utf8(name: &str) -> S3Error {
    S3Error::invalid_argument("The parameter is not valid UTF-8", name, "")
}

fn not_allowed(method: &Method, resource: &str) -> S3Error {
    S3Error::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
    )
    .with("Method", method.as_str())
    .with("ResourceType", resource)
}

fn not_implemented(subresource: &str) -> S3Error {
    S3Error::new(
        StatusCode::NOT_IMPLEMENTED,
        "NotImplemented",
        format!("The demo bucket has no ?{subresource}"),
    )
}

/// A refused signature, worded as S3 words it.
fn refused(refusal: sigv4::Refusal, region: &str, now: i64) -> S3Error {
    use sigv4::Refusal as R;
    let forbidden =
        |code: &'static str, message: &str| S3Error::new(StatusCode::FORBIDDEN, code, message);
    let bad =
        |code: &'static str, message: &str| S3Error::new(StatusCode::BAD_REQUEST, code, message);
    match refusal {
        R::Missing => forbidden("AccessDenied", "Access Denied"),
        R::BothMechanisms => S3Error::invalid_argument(
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
            "Authorization",
            "",
        ),
        R::UnsupportedMechanism => bad(
            "InvalidRequest",
            "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
        ),
        R::MalformedHeader(message) => bad("AuthorizationHeaderMalformed", &message),
        R::MalformedQuery(message) => bad("AuthorizationQueryParametersError", &message),
        R::WrongRegion {
            signed_for,
            presigned: false,
        } => bad(
            "AuthorizationHeaderMalformed",
            &format!(
                "The authorization header is malformed; the region '{signed_for}' is wrong; expecting '{region}'"
            ),
        )
        .with("Region", region),
        R::WrongRegion {
            signed_for,
            presigned: true,
        } => bad(
            "AuthorizationQueryParametersError",
            &format!(
                "Error parsing the X-Amz-Credential parameter; the region '{signed_for}' is wrong; expecting '{region}'"
            ),
        )
        .with("Region", region),
        R::UnknownAccessKey(key) => forbidden(
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        )
        .with("AWSAccessKeyId", key),
        R::SignatureMismatch {
            access_key,
            string_to_sign,
            canonical_request,
            provided,
        } => {
            let bytes = |text: &str| {
                text.bytes()
                    .map(|b| format!("{b:02x}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            forbidden(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
            )
            .with("AWSAccessKeyId", access_key)
            .with("StringToSign", string_to_sign.clone())
            .with("SignatureProvided", provided)
            .with("StringToSignBytes", bytes(&string_to_sign))
            .with("CanonicalRequest", canonical_request.clone())
            .with("CanonicalRequestBytes", bytes(&canonical_request))
        }
        R::Expired {
            expired_at,
            expires,
        } => forbidden("AccessDenied", "Request has expired")
            .with("X-Amz-Expires", expires.to_string())
            .with("Expires", common::iso(expired_at))
            .with("ServerTime", common::iso(now)),
        R::NotYetValid => forbidden("AccessDenied", "Request is not valid yet"),
        R::MissingDate => forbidden(
            "AccessDenied",
            "AWS authentication requires a valid Date or x-amz-date header",
        ),
        R::Skewed { request_time } => forbidden(
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
        )
        .with("RequestTime", wire::amz_date(request_time))
        .with("ServerTime", common::iso(now))
        .with(
            "MaxAllowedSkewMilliseconds",
            (sigv4::MAX_SKEW_SECONDS * 1000).to_string(),
        ),
        R::MissingContentSha256 => bad(
            "InvalidRequest",
            "Missing required header for this request: x-amz-content-sha256",
        ),
        R::InvalidContentSha256(value) => S3Error::invalid_argument(
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
            "x-amz-content-sha256",
            &value,
        ),
        R::ContentSha256Mismatch { client, computed } => bad(
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        )
        .with("ClientComputedContentSHA256", client)
        .with("S3ComputedContentSHA256", computed),
        R::HeadersNotSigned(names) => forbidden(
            "AccessDenied",
            "There were headers present in the request which were not signed",
        )
        .with("HeadersNotSigned", names),
    }
}
