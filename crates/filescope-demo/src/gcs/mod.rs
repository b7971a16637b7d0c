//! The Google Cloud Storage dialect: one bucket, [`GCS_BUCKET`], spoken
//! through GCS's JSON API over the same keys as the S3 dialect (the dataset
//! laid out under realistic prefixes, plus the awkward keys, see
//! `s3/keys.rs`), so a million objects with hostile names cost what they
//! cost S3: one sorted index, a binary search a page.
//!
//! Requests (`{object}` is one percent-encoded path segment, `/` as `%2F`,
//! as GCS's clients send it; a bare `/` is taken too):
//!
//! - `GET /storage/v1/b/demo/o?prefix&delimiter&pageToken&maxResults&
//!   startOffset&endOffset`: `objects.list`. Names in UTF-8 byte order;
//!   `maxResults` (default and most 1000; more is served as 1000, anything
//!   but a non-negative integer is 400 `invalid`) bounds `items` and
//!   `prefixes` together; `prefixes` are the names rolled up at the
//!   delimiter. `startOffset` (inclusive) and `endOffset` (exclusive) bound
//!   the names before they are rolled up, so a prefix is listed when a name
//!   under it is in range. `nextPageToken` is opaque (URL-safe base64 of
//!   where the page ended plus a check); a forged one is 400 `invalid`.
//!   Sizes and generations are strings, as on GCS. Listings carry neither
//!   `md5Hash` nor `crc32c`, where GCS gives both: hashing every listed
//!   object would cost a page its whole data; the object's own metadata
//!   has them.
//! - `GET /storage/v1/b/demo/o/{object}`: the object's metadata, with
//!   `md5Hash` and `crc32c` (base64, as GCS gives them; objects of 8 MiB or
//!   more have no `md5Hash`, as GCS's composite objects have none). For the
//!   damaged file ([`crate::content::CORRUPT_INDEX`]) both are the intended
//!   bytes', so a client that verifies catches the flipped byte.
//! - `GET /storage/v1/b/demo/o/{object}?alt=media` (and
//!   `/download/storage/v1/…`, the `mediaLink`): the bytes, with `Range`
//!   (206, 416 when unsatisfiable), `ETag`, `x-goog-generation`.
//! - `DELETE /storage/v1/b/demo/o/{object}`: 204; 404 when not there.
//! - `GET /storage/v1/b/demo`: the bucket's metadata. Another bucket is 404.
//! - `GET /demo/{object}?X-Goog-Algorithm=GOOG4-RSA-SHA256&…`: the XML
//!   API's GET as a V4 signed URL makes it, verified against the public key
//!   of the service account named in `X-Goog-Credential` (see
//!   [`GcsOptions::service_accounts`]), expiry included.
//!
//! Authentication: `Authorization: Bearer TOKEN`, where the token is
//! [`GCS_TOKEN`] (the demo's own) or one this server issued and that has
//! not expired; without one, 401 as GCS words it. [`GcsOptions::anonymous`]
//! serves without any, as an emulator does (`STORAGE_EMULATOR_HOST`).
//! Tokens come from:
//!
//! - `POST /token`, OAuth 2.0's token endpoint as Google's: the JWT-bearer
//!   grant (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&
//!   assertion=JWT`), whose RS256 signature is verified against the public
//!   key registered for its `iss`, its `aud` must be this endpoint and its
//!   `iat`/`exp` at most an hour apart around now; and the refresh-token
//!   grant (`grant_type=refresh_token&client_id&client_secret&
//!   refresh_token`, gcloud's ADC file) for [`GcsOptions::authorized_users`].
//!   Refusals are OAuth's `{"error":"invalid_grant",…}`.
//! - `GET /computeMetadata/v1/instance/service-accounts/default/token`, the
//!   metadata server's, only with `Metadata-Flavor: Google`.
//!
//! Errors are GCS's JSON envelope: `{"error":{"code":404,"message":…,
//! "errors":[{"message":…,"domain":"global","reason":"notFound"}]}}`.
//! `list_requests` counts GETs of `/storage/v1/b/demo/o`; `content_requests`
//! the media GETs.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD as BASE64_URL};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::ServerStats;
use super::common::{self, Context, Plumbing, Salt, mix};
use super::content::{self, Wanted};
use super::dataset::Dataset;
use super::s3::KeySpace;
use super::s3::keys::{Entry, Keys, ListQuery};
use super::s3::objects::{Object, StorageClass};
use super::s3::wire::{self, Query};

/// The only bucket.
pub const GCS_BUCKET: &str = "demo";
/// The bearer token the demo always accepts (its own; `filescope demo`).
pub const GCS_TOKEN: &str = "ya29.demo-gcs-token";
/// How long issued tokens live unless [`GcsOptions::token_seconds`] says.
pub const TOKEN_SECONDS: u64 = 3600;
/// Objects this size or larger have no `md5Hash` (as GCS's composite ones).
const COMPOSITE_SIZE: u64 = 8 * 1024 * 1024;
/// The JWT-bearer grant's type.
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// How the GCS dialect serves, beyond [`crate::DemoConfig`] (see
/// [`crate::DemoServer::start_with_gcs`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcsOptions {
    /// Service accounts whose JWTs the token endpoint takes, and whose V4
    /// signed URLs it serves: the `client_email` and the DER of its RSA
    /// public key (PKCS#1 `RSAPublicKey`).
    pub service_accounts: Vec<(String, Vec<u8>)>,
    /// Refresh tokens the token endpoint takes: (`client_id`,
    /// `client_secret`, `refresh_token`), as gcloud's ADC file holds them.
    pub authorized_users: Vec<(String, String, String)>,
    /// Serve without a token, as an emulator does.
    pub anonymous: bool,
    /// How long the tokens it issues live, in seconds.
    pub token_seconds: u64,
}

impl Default for GcsOptions {
    fn default() -> Self {
        GcsOptions {
            service_accounts: Vec::new(),
            authorized_users: Vec::new(),
            anonymous: false,
            token_seconds: TOKEN_SECONDS,
        }
    }
}

/// What `serve --dialect gcs` tells a person on stderr. One line each,
/// without a `filescope: ` prefix.
pub fn connect_hint(base_url: &str, files: usize) -> Vec<String> {
    let host = base_url.trim_start_matches("http://");
    vec![
        format!(
            "serving {} objects in bucket \"{GCS_BUCKET}\" through GCS's JSON API at {base_url}; a metadata server stand-in at {base_url}/computeMetadata/v1/ hands out tokens, and the bearer token {GCS_TOKEN} is always taken",
            files + super::s3::AWKWARD_KEYS.len()
        ),
        format!(
            "try  GCE_METADATA_HOST={host} filescope gs://{GCS_BUCKET}/ --endpoint {base_url}   (with GOOGLE_APPLICATION_CREDENTIALS unset and no gcloud ADC file, which come first)"
        ),
    ]
}

fn is_list(path: &str) -> bool {
    matches!(path, "/storage/v1/b/demo/o" | "/storage/v1/b/demo/o/")
}

pub(super) fn router(context: Context) -> Router {
    let dataset = Arc::clone(&context.dataset);
    let bucket = Arc::new(Bucket {
        token_key: Salt::S3TokenKey.global(&dataset) ^ 0x6763_735f_746f_6b65,
        dataset,
        stats: Arc::clone(&context.stats),
        options: context.gcs.clone(),
        origin: context.origin.clone(),
        bandwidth: context.bandwidth,
        key_space: context.s3_keys,
        keys: OnceLock::new(),
        deleted: RwLock::new(HashSet::new()),
        issued: Mutex::new(HashMap::new()),
        tokens: AtomicU64::new(0),
    });
    super::s3::keys::index_soon(
        &bucket,
        |bucket| &bucket.keys,
        |bucket, cancelled| Keys::of_space(bucket.key_space, &bucket.dataset, cancelled),
    );
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
    options: GcsOptions,
    /// `http://HOST:PORT`: the token endpoint's audience, the links' origin.
    origin: String,
    bandwidth: Option<u64>,
    key_space: KeySpace,
    keys: OnceLock<Arc<Keys>>,
    deleted: RwLock<HashSet<u32>>,
    /// Tokens handed out, with when they expire (Unix milliseconds: a token of one second
    /// lives one second, not what is left of the current one).
    issued: Mutex<HashMap<String, i64>>,
    tokens: AtomicU64,
    /// Keys the page tokens' check and the issued tokens.
    token_key: u64,
}

/// A refusal, in GCS's JSON error envelope.
#[derive(Debug)]
struct GcsError {
    status: StatusCode,
    reason: &'static str,
    message: String,
}

impl GcsError {
    fn new(status: StatusCode, reason: &'static str, message: impl Into<String>) -> GcsError {
        GcsError {
            status,
            reason,
            message: message.into(),
        }
    }

    fn respond(self) -> Response {
        let body = json!({
            "error": {
                "code": self.status.as_u16(),
                "message": self.message,
                "errors": [{
                    "message": self.message,
                    "domain": "global",
                    "reason": self.reason,
                }],
            }
        });
        let mut response = common::json(self.status, &body);
        if self.status == StatusCode::UNAUTHORIZED
            && let Ok(value) =
                HeaderValue::from_str("Bearer realm=\"https://accounts.google.com/\"")
        {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

fn invalid(message: impl Into<String>) -> GcsError {
    GcsError::new(StatusCode::BAD_REQUEST, "invalid", message)
}

fn not_found(message: impl Into<String>) -> GcsError {
    GcsError::new(StatusCode::NOT_FOUND, "notFound", message)
}

/// An OAuth refusal, as Google's token endpoint words it.
fn oauth_error(error: &str, description: &str) -> Response {
    common::json(
        StatusCode::BAD_REQUEST,
        &json!({ "error": error, "error_description": description }),
    )
}

/// What a request's path names.
enum Target {
    Token,
    Metadata,
    Bucket,
    List,
    /// An object of the JSON API (`media`: the `/download/` path).
    Object {
        name: Vec<u8>,
        media: bool,
    },
    /// An object of the XML API (a signed URL's).
    Signed(Vec<u8>),
    OtherBucket(String),
    Unknown,
}

impl Target {
    fn parse(path: &str) -> Target {
        if path == "/token" {
            return Target::Token;
        }
        if path == "/computeMetadata/v1/instance/service-accounts/default/token" {
            return Target::Metadata;
        }
        let (rest, media) = match path.strip_prefix("/download/storage/v1/b/") {
            Some(rest) => (rest, true),
            None => match path.strip_prefix("/storage/v1/b/") {
                Some(rest) => (rest, false),
                None => {
                    return match path
                        .strip_prefix('/')
                        .and_then(|p| p.strip_prefix(GCS_BUCKET))
                        .and_then(|p| p.strip_prefix('/'))
                    {
                        Some(name) if !name.is_empty() => {
                            Target::Signed(wire::percent_decode(name, false))
                        }
                        _ => Target::Unknown,
                    };
                }
            },
        };
        let (bucket, rest) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket != GCS_BUCKET {
            return Target::OtherBucket(
                String::from_utf8_lossy(&wire::percent_decode(bucket, false)).into_owned(),
            );
        }
        match rest {
            "" if !media => Target::Bucket,
            "o" | "o/" if !media => Target::List,
            _ => match rest.strip_prefix("o/") {
                Some(name) => Target::Object {
                    name: wire::percent_decode(name, false),
                    media,
                },
                None => Target::Unknown,
            },
        }
    }
}

async fn handle(
    State(bucket): State<Arc<Bucket>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query = Query::parse(uri.query().unwrap_or(""));
    let answer = match (Target::parse(uri.path()), &method) {
        (Target::Token, &Method::POST) => return bucket.token(&body),
        (Target::Metadata, &Method::GET) => return bucket.metadata(&headers),
        (Target::Signed(name), &Method::GET | &Method::HEAD) => {
            bucket.signed(&uri, &query, &headers, &method, name).await
        }
        (Target::OtherBucket(name), _) => Err(not_found(format!(
            "The specified bucket does not exist: {name}"
        ))),
        (Target::Unknown, _) => Err(not_found("Not Found")),
        (target, method) => match bucket.authorize(&headers) {
            Err(e) => Err(e),
            Ok(()) => match (target, method) {
                (Target::Bucket, &Method::GET) => Ok(bucket.describe_bucket()),
                (Target::List, &Method::GET) => bucket.list(&query).await,
                (Target::Object { name, media }, &Method::GET | &Method::HEAD) => {
                    let media = media || query.text("alt") == Ok(Some("media"));
                    bucket.object(&headers, method, name, media).await
                }
                (Target::Object { name, media: false }, &Method::DELETE) => {
                    bucket.delete(name).await
                }
                _ => Err(GcsError::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "methodNotAllowed",
                    format!("{method} is not allowed here (the demo writes nothing)"),
                )),
            },
        },
    };
    answer.unwrap_or_else(GcsError::respond)
}

/// An object name from a path: UTF-8, or refused as GCS refuses it.
fn name_text(name: Vec<u8>) -> Result<String, GcsError> {
    String::from_utf8(name).map_err(|_| invalid("The object name is not valid UTF-8."))
}

impl Bucket {
    async fn keys(self: &Arc<Self>) -> Result<Arc<Keys>, GcsError> {
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

    /// A bearer token this server takes, or the refusal GCS gives.
    fn authorize(&self, headers: &HeaderMap) -> Result<(), GcsError> {
        if self.options.anonymous {
            return Ok(());
        }
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let Some(token) = given else {
            return Err(GcsError::new(
                StatusCode::UNAUTHORIZED,
                "required",
                "Anonymous caller does not have storage.objects.list access to the Google Cloud Storage bucket. Permission 'storage.objects.list' denied on resource (or it may not exist).",
            ));
        };
        let now = unix_millis();
        let live = token == GCS_TOKEN
            || self
                .issued
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(token)
                .is_some_and(|expiry| *expiry > now);
        if live {
            Ok(())
        } else {
            Err(GcsError::new(
                StatusCode::UNAUTHORIZED,
                "authError",
                "Invalid Credentials",
            ))
        }
    }

    /// A new access token, valid for the configured time, as the token
    /// endpoint and the metadata server answer it.
    fn issue(&self) -> Response {
        let number = self.tokens.fetch_add(1, Ordering::Relaxed);
        let token = format!(
            "ya29.demo-{:016x}{:016x}",
            mix(number ^ self.token_key),
            mix(number.wrapping_add(self.token_key))
        );
        let seconds = self.options.token_seconds;
        self.issued
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token.clone(), unix_millis() + seconds as i64 * 1000);
        common::json(
            StatusCode::OK,
            &json!({ "access_token": token, "expires_in": seconds, "token_type": "Bearer" }),
        )
    }

    /// `POST /token`: the JWT-bearer and refresh-token grants.
    fn token(&self, body: &[u8]) -> Response {
        let form = Query::parse(std::str::from_utf8(body).unwrap_or(""));
        let field = |name: &str| form.text(name).ok().flatten().unwrap_or("");
        match field("grant_type") {
            JWT_BEARER => match self.verify_jwt(field("assertion"), common::unix_now()) {
                Ok(()) => self.issue(),
                Err(description) => oauth_error("invalid_grant", description),
            },
            "refresh_token" => {
                let known = self
                    .options
                    .authorized_users
                    .iter()
                    .any(|(id, secret, refresh)| {
                        id == field("client_id")
                            && secret == field("client_secret")
                            && refresh == field("refresh_token")
                    });
                if known {
                    self.issue()
                } else {
                    oauth_error("invalid_grant", "Bad Request")
                }
            }
            other => oauth_error(
                "unsupported_grant_type",
                &format!("Invalid grant_type: {other}"),
            ),
        }
    }

    /// Checks a service account's JWT as Google's token endpoint does: its
    /// RS256 signature against the account's public key, its audience, and
    /// a lifetime of at most an hour around now.
    fn verify_jwt(&self, jwt: &str, now: i64) -> Result<(), &'static str> {
        let parts: Vec<&str> = jwt.split('.').collect();
        let [head, claims, signature] = parts[..] else {
            return Err("Invalid JWT: the assertion is not three dot-separated parts.");
        };
        let decode = |part: &str| -> Result<Value, &'static str> {
            let bytes = BASE64_URL
                .decode(part)
                .map_err(|_| "Invalid JWT: a part is not base64url.")?;
            serde_json::from_slice(&bytes).map_err(|_| "Invalid JWT: a part is not JSON.")
        };
        if decode(head)?.get("alg").and_then(Value::as_str) != Some("RS256") {
            return Err("Invalid JWT: the algorithm must be RS256.");
        }
        let claims_value = decode(claims)?;
        let claim = |name: &str| claims_value.get(name);
        let issuer = claim("iss").and_then(Value::as_str).unwrap_or("");
        let Some((_, public_key)) = self
            .options
            .service_accounts
            .iter()
            .find(|(email, _)| email == issuer)
        else {
            return Err("Invalid grant: account not found");
        };
        let signature = BASE64_URL
            .decode(signature)
            .map_err(|_| "Invalid JWT Signature.")?;
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            public_key,
        )
        .verify(format!("{head}.{claims}").as_bytes(), &signature)
        .map_err(|_| "Invalid JWT Signature.")?;
        let audience = format!("{}/token", self.origin);
        if claim("aud").and_then(Value::as_str) != Some(audience.as_str()) {
            return Err("Invalid JWT: Failed audience check.");
        }
        let (iat, exp) = (
            claim("iat").and_then(Value::as_i64).unwrap_or(0),
            claim("exp").and_then(Value::as_i64).unwrap_or(0),
        );
        if exp <= now || iat > now + 300 || exp - iat > 3600 || exp <= iat {
            return Err(
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.",
            );
        }
        if claim("scope")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return Err("Invalid JWT: no scope.");
        }
        Ok(())
    }

    /// The metadata server's token, only for a request that says it is
    /// meant for one (`Metadata-Flavor: Google`).
    fn metadata(&self, headers: &HeaderMap) -> Response {
        let flavored = headers
            .get("metadata-flavor")
            .is_some_and(|v| v.as_bytes() == b"Google");
        let mut response = if flavored {
            self.issue()
        } else {
            (
                StatusCode::FORBIDDEN,
                "Missing Metadata-Flavor:Google header.\n",
            )
                .into_response()
        };
        response.headers_mut().insert(
            HeaderName::from_static("metadata-flavor"),
            HeaderValue::from_static("Google"),
        );
        response
    }

    fn describe_bucket(&self) -> Response {
        common::json(
            StatusCode::OK,
            &json!({
                "kind": "storage#bucket",
                "id": GCS_BUCKET,
                "name": GCS_BUCKET,
                "selfLink": format!("{}/storage/v1/b/{GCS_BUCKET}", self.origin),
                "location": "US",
                "storageClass": "STANDARD",
                "timeCreated": wire::iso_millis(self.created()),
                "updated": wire::iso_millis(self.created()),
                "metageneration": "1",
                "etag": "CAE=",
            }),
        )
    }

    fn created(&self) -> i64 {
        if self.dataset.is_empty() {
            common::unix_now()
        } else {
            self.dataset.created_at_of(0) - 86_400
        }
    }

    /// `objects.list`.
    async fn list(self: &Arc<Self>, query: &Query) -> Result<Response, GcsError> {
        let text = |name: &'static str| {
            query
                .text(name)
                .map_err(|()| invalid(format!("Invalid argument: {name} is not UTF-8.")))
        };
        let prefix = text("prefix")?.unwrap_or("");
        let delimiter = text("delimiter")?.filter(|d| !d.is_empty());
        let max = match text("maxResults")? {
            None => 1000,
            Some(value) => value
                .parse::<u64>()
                .map_err(|_| invalid(format!("Invalid unsigned integer value: '{value}'.")))?
                .min(1000) as usize,
        };
        let resume = match text("pageToken")? {
            Some(token) => Some(
                self.read_token(token)
                    .ok_or_else(|| invalid("The page token is invalid."))?,
            ),
            None => None,
        };
        let from = text("startOffset")?.filter(|s| !s.is_empty());
        let to = text("endOffset")?.filter(|s| !s.is_empty());
        let keys = self.keys().await?;
        let page = {
            let deleted = self.deleted.read().unwrap_or_else(|e| e.into_inner());
            keys.list_between(
                ListQuery {
                    prefix,
                    delimiter,
                    after: resume.as_deref(),
                    // GCS's 0 is its default, not an empty page.
                    max: if max == 0 { 1000 } else { max },
                },
                from,
                to,
                |id| deleted.contains(&id),
            )
        };
        let mut body = Map::new();
        body.insert("kind".into(), "storage#objects".into());
        if page.truncated
            && let Some(last) = page.entries.last()
        {
            body.insert(
                "nextPageToken".into(),
                self.make_token(keys.entry_text(last)).into(),
            );
        }
        let prefixes: Vec<Value> = page
            .entries
            .iter()
            .filter_map(|e| match e {
                Entry::Prefix(p) => Some(Value::from(p.as_str())),
                Entry::Object(_) => None,
            })
            .collect();
        if !prefixes.is_empty() {
            body.insert("prefixes".into(), prefixes.into());
        }
        let items: Vec<Value> = page
            .entries
            .iter()
            .filter_map(|e| match e {
                Entry::Object(position) => Some(self.resource(
                    keys.key(*position),
                    Object::of(&self.dataset, keys.id(*position)),
                    None,
                )),
                Entry::Prefix(_) => None,
            })
            .collect();
        if !items.is_empty() {
            body.insert("items".into(), items.into());
        }
        Ok(common::json(StatusCode::OK, &Value::Object(body)))
    }

    /// A page token: where the page ended and 8 bytes of a keyed SHA-256 of
    /// it, URL-safe base64.
    fn make_token(&self, last: &str) -> String {
        let mut bytes = last.as_bytes().to_vec();
        bytes.extend_from_slice(&self.token_check(last.as_bytes()));
        BASE64_URL.encode(bytes)
    }

    fn read_token(&self, token: &str) -> Option<String> {
        let bytes = BASE64_URL.decode(token).ok()?;
        let split = bytes.len().checked_sub(8)?;
        let (last, check) = bytes.split_at(split);
        (check == self.token_check(last)).then_some(())?;
        String::from_utf8(last.to_vec()).ok()
    }

    fn token_check(&self, last: &[u8]) -> [u8; 8] {
        let digest = Sha256::new()
            .chain_update(self.token_key.to_be_bytes())
            .chain_update(last)
            .finalize();
        let mut check = [0; 8];
        check.copy_from_slice(&digest[..8]);
        check
    }

    /// The generation: the upload's time in microseconds, plus the id so
    /// two uploads of one second differ.
    fn generation(&self, object: Object) -> i64 {
        object.last_modified(&self.dataset) * 1_000_000
            + i64::from(object.id(&self.dataset) % 1_000_000)
    }

    /// An object resource, with its checksums when given (md5, crc32c).
    fn resource(
        &self,
        name: &str,
        object: Object,
        checksums: Option<(Option<String>, String)>,
    ) -> Value {
        let dataset = &self.dataset;
        let generation = self.generation(object).to_string();
        let encoded = wire::uri_encode(name.as_bytes(), false);
        let time = wire::iso_millis(object.last_modified(dataset));
        let class = match object.storage_class(dataset) {
            StorageClass::Standard => "STANDARD",
            StorageClass::StandardIa => "NEARLINE",
            StorageClass::Glacier { .. } => "ARCHIVE",
        };
        let mut resource = json!({
            "kind": "storage#object",
            "id": format!("{GCS_BUCKET}/{name}/{generation}"),
            "selfLink": format!("{}/storage/v1/b/{GCS_BUCKET}/o/{encoded}", self.origin),
            "mediaLink": format!("{}/download/storage/v1/b/{GCS_BUCKET}/o/{encoded}?generation={generation}&alt=media", self.origin),
            "name": name,
            "bucket": GCS_BUCKET,
            "generation": generation,
            "metageneration": "1",
            "contentType": object.content_type(dataset),
            "storageClass": class,
            "size": object.size(dataset).to_string(),
            "timeCreated": time,
            "updated": time,
            "timeStorageClassUpdated": time,
            "etag": self.etag(object),
        });
        let metadata: Map<String, Value> = object
            .metadata(dataset)
            .into_iter()
            .map(|(k, v)| (k.to_string(), Value::from(v)))
            .collect();
        if !metadata.is_empty() {
            resource["metadata"] = Value::Object(metadata);
        }
        if let Some((md5, crc32c)) = checksums {
            if let Some(md5) = md5 {
                resource["md5Hash"] = md5.into();
            } else {
                resource["componentCount"] = object.size(dataset).div_ceil(COMPOSITE_SIZE).into();
            }
            resource["crc32c"] = crc32c.into();
        }
        resource
    }

    /// GCS's etag: base64 of the generation's bytes, as GCS makes it (`CJ…=`).
    fn etag(&self, object: Object) -> String {
        BASE64.encode(self.generation(object).to_be_bytes())
    }

    /// The live object named `name`.
    async fn lookup(self: &Arc<Self>, name: &str) -> Result<Object, GcsError> {
        let keys = self.keys().await?;
        keys.find(name)
            .map(|position| keys.id(position))
            .filter(|&id| !self.is_deleted(id))
            .map(|id| Object::of(&self.dataset, id))
            .ok_or_else(|| not_found(format!("No such object: {GCS_BUCKET}/{name}")))
    }

    /// The object's metadata, or (`media`) its bytes.
    async fn object(
        self: &Arc<Self>,
        headers: &HeaderMap,
        method: &Method,
        name: Vec<u8>,
        media: bool,
    ) -> Result<Response, GcsError> {
        let name = name_text(name)?;
        let object = self.lookup(&name).await?;
        if media {
            return Ok(self.media(headers, method, object));
        }
        let dataset = Arc::clone(&self.dataset);
        let checksums = common::blocking(move || {
            let content = object.content(&dataset).intended();
            let mut md5 = <md5::Md5 as md5::Digest>::new();
            let mut crc = crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc32Iscsi);
            let whole = content.len() < COMPOSITE_SIZE;
            content.each_chunk(|chunk| {
                if whole {
                    md5::Digest::update(&mut md5, chunk);
                }
                crc.update(chunk);
            });
            let crc = (crc.finalize() as u32).to_be_bytes();
            (
                whole.then(|| BASE64.encode(md5::Digest::finalize(md5).as_slice())),
                BASE64.encode(crc),
            )
        })
        .await
        .map_err(|_| internal())?;
        Ok(common::json(
            StatusCode::OK,
            &self.resource(&name, object, Some(checksums)),
        ))
    }

    /// An object's bytes, ranged as asked.
    fn media(&self, headers: &HeaderMap, method: &Method, object: Object) -> Response {
        let dataset = &self.dataset;
        let etag = self.etag(object);
        let size = object.size(dataset);
        self.stats.content_requests.fetch_add(1, Ordering::Relaxed);
        let (start, end) = match content::wanted(headers, &etag, size) {
            Wanted::Unsatisfiable => {
                let mut response = GcsError::new(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "requestedRangeNotSatisfiable",
                    "The requested range cannot be satisfied.",
                )
                .respond();
                if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    response.headers_mut().insert(header::CONTENT_RANGE, value);
                }
                return response;
            }
            Wanted::Whole => (0, size),
            Wanted::Part(first, last) => (first, last + 1),
        };
        let partial = (start, end) != (0, size);
        let mut response =
            content::stream(object.content(dataset), start, end, method, self.bandwidth);
        let out = response.headers_mut();
        let mut set = |name: HeaderName, value: &str| {
            if let Ok(value) = HeaderValue::from_str(value) {
                out.insert(name, value);
            }
        };
        set(header::CONTENT_TYPE, object.content_type(dataset));
        set(header::ETAG, &etag);
        set(
            header::LAST_MODIFIED,
            &wire::http_date(object.last_modified(dataset)),
        );
        set(header::ACCEPT_RANGES, "bytes");
        set(
            HeaderName::from_static("x-goog-generation"),
            &self.generation(object).to_string(),
        );
        set(HeaderName::from_static("x-goog-metageneration"), "1");
        set(
            HeaderName::from_static("x-goog-stored-content-length"),
            &size.to_string(),
        );
        if partial {
            self.stats.range_requests.fetch_add(1, Ordering::Relaxed);
            set(
                header::CONTENT_RANGE,
                &format!("bytes {start}-{}/{size}", end - 1),
            );
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        }
        response
    }

    async fn delete(self: &Arc<Self>, name: Vec<u8>) -> Result<Response, GcsError> {
        let name = name_text(name)?;
        let object = self.lookup(&name).await?;
        self.deleted
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(object.id(&self.dataset));
        Ok(StatusCode::NO_CONTENT.into_response())
    }

    /// A GET of the XML API signed with V4 (`GOOG4-RSA-SHA256`), verified as
    /// GCS does: the canonical request rebuilt from what was sent, its hash
    /// in the string to sign, the signature checked against the account's
    /// public key, and the link's time.
    async fn signed(
        self: &Arc<Self>,
        uri: &Uri,
        query: &Query,
        headers: &HeaderMap,
        method: &Method,
        name: Vec<u8>,
    ) -> Result<Response, GcsError> {
        let refused =
            |message: &str| GcsError::new(StatusCode::FORBIDDEN, "SignatureDoesNotMatch", message);
        let field = |name: &str| query.text(name).ok().flatten().unwrap_or("");
        if field("X-Goog-Algorithm") != "GOOG4-RSA-SHA256" {
            return Err(GcsError::new(
                StatusCode::UNAUTHORIZED,
                "required",
                "Anonymous caller does not have storage.objects.get access.",
            ));
        }
        let credential = field("X-Goog-Credential");
        let Some((email, scope)) = credential.split_once('/') else {
            return Err(refused("The credential is malformed."));
        };
        let Some((_, public_key)) = self
            .options
            .service_accounts
            .iter()
            .find(|(known, _)| known == email)
        else {
            return Err(refused("The service account is not known."));
        };
        let date = field("X-Goog-Date");
        let signed_at = chrono::NaiveDateTime::parse_from_str(date, "%Y%m%dT%H%M%SZ")
            .map_err(|_| refused("X-Goog-Date is malformed."))?
            .and_utc()
            .timestamp();
        let expires: i64 = field("X-Goog-Expires")
            .parse()
            .map_err(|_| refused("X-Goog-Expires is malformed."))?;
        let now = common::unix_now();
        if !(1..=604_800).contains(&expires) || now > signed_at + expires {
            return Err(GcsError::new(
                StatusCode::BAD_REQUEST,
                "ExpiredToken",
                "The provided token has expired.",
            ));
        }
        if !scope.starts_with(&date[..8.min(date.len())]) {
            return Err(refused("The credential's date is not X-Goog-Date's."));
        }
        // The canonical query: every parameter but the signature, encoded as
        // RFC 3986 does, sorted by name.
        let mut pairs: Vec<(String, String)> = query
            .pairs
            .iter()
            .filter(|(n, _)| n != b"X-Goog-Signature")
            .map(|(n, v)| (wire::uri_encode(n, false), wire::uri_encode(v, false)))
            .collect();
        pairs.sort();
        let canonical_query: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let signed_headers = field("X-Goog-SignedHeaders");
        if signed_headers != "host" {
            return Err(refused("Only the host header may be signed."));
        }
        let canonical = format!(
            "{method}\n{}\n{}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD",
            uri.path(),
            canonical_query.join("&")
        );
        let string_to_sign = format!(
            "GOOG4-RSA-SHA256\n{date}\n{scope}\n{}",
            wire::hex(&Sha256::digest(canonical.as_bytes()))
        );
        let signature = (0..field("X-Goog-Signature").len() / 2)
            .map(|i| u8::from_str_radix(&field("X-Goog-Signature")[2 * i..2 * i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| refused("The signature is not hex."))?;
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            public_key,
        )
        .verify(string_to_sign.as_bytes(), &signature)
        .map_err(|_| {
            refused("The request signature we calculated does not match the signature you provided. Check your Google secret key and signing method.")
        })?;
        let name = name_text(name)?;
        let object = self.lookup(&name).await?;
        Ok(self.media(headers, method, object))
    }
}

/// Now, in Unix milliseconds.
fn unix_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn internal() -> GcsError {
    GcsError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "backendError",
        "We encountered an internal error. Please try again.",
    )
}

#[cfg(test)]
mod tests;
