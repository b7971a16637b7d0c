//! The FileGuard dialect over HTTP.
//!
//! - `GET /api/v1/files?context&uploaded_by&page&page_size`: `{status:
//!   "SUCCESS", data: {data: [File], pagination: {page, page_size, total_items,
//!   total_pages, has_next, has_previous}}, timestamp}`, newest first (the API
//!   has no sort; `created_at` desc is what its examples show). `page_size`
//!   1..=100, default 20. An unknown `context` is an empty list, not an error;
//!   `uploaded_by` must look like `key_…` or `usr_…`. `total_pages` is 0 when
//!   nothing matches.
//! - `GET /api/v1/files/{id}/metadata`: the record plus `checksum`
//!   (`sha256:` and the hex SHA-256 of the bytes `/f/{id}` serves), `metadata`
//!   and `updated_at`. One file is deliberately corrupt: for record
//!   [`CORRUPT_INDEX`](super::content::CORRUPT_INDEX) (index 5) the served bytes have one byte flipped, so
//!   they do not match the published checksum, and a client's verification
//!   can be seen to work. Checksums are cached once computed.
//! - `GET /api/v1/files/{id}?expires_in=60..3600` (default 3600): a signed
//!   `download_url`. Every successful call counts as a download: the file's
//!   `download_count` goes up by one and `last_downloaded_at` becomes now, in
//!   every later answer of this server (the counts live in the server, on top
//!   of a derived starting count). A rejected call counts nothing. The URL is
//!   `{origin}/f/{file_id}?token=T&expires=E` on this server's own origin:
//!   `GET/HEAD` of it needs no key, only the token, and serves the bytes with
//!   ranges (see [`super::content`]); a wrong token or a past `expires` is a
//!   403 in the error envelope.
//! - `DELETE /api/v1/files/{id}`: after auth and lookup, a 403 in the error
//!   envelope: the demo server is read-only.
//! - `GET /api/v1/contexts?page&page_size`: the eight contexts, in key order,
//!   with `display_name`, `description`, `file_count`, `total_size_bytes` and
//!   `created_at` (counted over the whole dataset once, on first use).
//!
//! Auth is `Authorization: Bearer <key>` (`fg_…` on the real service; here the
//! configured key). Every failure is a 401 in the error envelope `{status:
//! "ERROR", message, errors: [..], timestamp}`; the 403 for a key without the
//! `metadata` scope is not simulated (there is only one key). Parameter errors
//! are one 400 listing every bad parameter. Only `GET /api/v1/files` counts as
//! a list request.
//!
//! `file_id`s are `file_` and twelve base-36 digits that encode the record
//! index (through [`IdCipher`]), so lookups need no table.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use serde::Serialize;
use serde_json::json;

use super::common::{
    self, Bearer, Checks, Context, IdCipher, Internal, PageWindow, Params, Plumbing, RawQuery,
    Salt, ScanCache, pick,
};
use super::content::{self as file_content, Blobs};
use super::dataset::{Dataset, Order};

const LIST_PATH: &str = "/api/v1/files";
const MAX_PAGE_SIZE: u64 = 100;
const DEFAULT_PAGE_SIZE: u64 = 20;
const MIN_EXPIRES_IN: u64 = 60;
const MAX_EXPIRES_IN: u64 = 3600;
/// Where download links point, under this server's origin.
const DOWNLOAD_PATH: &str = "/f";
/// How many computed checksums are kept (each costs hashing up to 4 MiB).
const CHECKSUM_CACHE: usize = 4096;

/// Key, display name, description.
const CONTEXTS: [(&str, &str, &str); 8] = [
    (
        "billing_documents",
        "Billing Documents",
        "Invoices, statements and receipts",
    ),
    ("contracts", "Contracts", "Signed agreements and amendments"),
    (
        "hr_records",
        "HR Records",
        "Employee onboarding and reviews",
    ),
    (
        "lab_results",
        "Lab Results",
        "Results from partner laboratories",
    ),
    (
        "marketing_assets",
        "Marketing Assets",
        "Approved brand images and videos",
    ),
    (
        "patient_reports",
        "Patient Reports",
        "Clinical reports and imaging",
    ),
    (
        "support_attachments",
        "Support Attachments",
        "Files attached to support tickets",
    ),
    ("system_exports", "System Exports", "Scheduled data exports"),
];

/// Names of the API keys that upload; users upload too, without a name.
const KEY_NAMES: [&str; 4] = [
    "Production Upload Key",
    "Nightly Export Job",
    "Mobile App Key",
    "Partner Lab Integration",
];
const USERS: usize = 6;

struct AppState {
    dataset: Arc<Dataset>,
    api_key: String,
    cipher: IdCipher,
    /// `(id, name)`: API keys first, then users (no name).
    uploaders: Vec<(String, Option<&'static str>)>,
    /// Downloads made through this server, by record index.
    downloads: Mutex<HashMap<u32, Downloads>>,
    /// `(file count, total bytes)` per context, counted on first use.
    context_totals: OnceLock<Arc<Vec<(u64, u64)>>>,
    selections: ScanCache<Selection>,
    /// Published checksums by record index; emptied when full.
    checksums: Mutex<HashMap<u32, String>>,
    /// This server's `http://HOST:PORT`, before every download link.
    origin: String,
    blobs: Blobs,
}

#[derive(Debug, Clone, Copy)]
struct Downloads {
    count: u64,
    last: i64,
}

/// The list filters. An unknown context or uploader is kept as given: it
/// selects nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Selection {
    context: Option<String>,
    uploaded_by: Option<String>,
}

pub(super) fn router(context: Context) -> Router {
    let dataset = Arc::clone(&context.dataset);
    let seed = Salt::FileGuardUploaders.global(&dataset);
    let short_id = |n: u64| base36(common::mix(seed ^ n), 6);
    let uploaders = KEY_NAMES
        .iter()
        .enumerate()
        .map(|(n, name)| (format!("key_{}", short_id(n as u64)), Some(*name)))
        .chain((0..USERS).map(|n| (format!("usr_{}", short_id(100 + n as u64)), None)))
        .collect();
    let state = Arc::new(AppState {
        cipher: IdCipher::new(&dataset),
        dataset,
        api_key: context.api_key.clone(),
        uploaders,
        downloads: Mutex::new(HashMap::new()),
        context_totals: OnceLock::new(),
        selections: ScanCache::new(),
        checksums: Mutex::new(HashMap::new()),
        origin: context.origin.clone(),
        blobs: Blobs::new(&context),
    });
    let router = Router::new()
        .route(LIST_PATH, get(list_files))
        .route(
            "/api/v1/files/{id}",
            get(download).merge(delete(delete_file)),
        )
        .route("/f/{id}", get(signed_bytes))
        .route("/api/v1/files/{id}/metadata", get(metadata))
        .route("/api/v1/contexts", get(list_contexts))
        .method_not_allowed_fallback(|request: Request| async move {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "Method not allowed",
                vec![format!(
                    "{} is not supported here; use GET",
                    request.method()
                )],
            )
        })
        .fallback(|request: Request| async move {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "Not found",
                vec![format!("No endpoint at {}", request.uri().path())],
            )
        })
        .with_state(state);
    common::serve(
        router,
        &context,
        Plumbing {
            is_list: |path| path == LIST_PATH,
            rate_limit: None,
        },
    )
}

// ---- handlers ---------------------------------------------------------------------

async fn list_files(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: RawQuery,
) -> Result<Response, ApiError> {
    authorize(&headers, &state.api_key)?;
    let params = Params::from_raw(query).map_err(|why| ApiError::bad_request(vec![why]))?;
    let mut check = Checks::new(|error| error.plain());
    let window = check.page(&params, "page_size", MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE);
    let uploaded_by = check.take(params.checked(
        "uploaded_by",
        "must be an API key id (key_…) or a user id (usr_…)",
        |v| v.starts_with("key_") || v.starts_with("usr_"),
    ));
    check.finish()?;
    let selection = Selection {
        context: params.text("context").map(str::to_owned),
        uploaded_by: uploaded_by.map(str::to_owned),
    };
    let order = if selection.context.is_none() && selection.uploaded_by.is_none() {
        Order::natural(state.dataset.len(), true)
    } else {
        let matched = state
            .selections
            .select(&state, &selection, AppState::select)
            .await?;
        Order::of(matched, true)
    };
    let window = PageWindow {
        total: order.len() as u64,
        ..window
    };
    let (offset, limit) = window.positions();
    let files: Vec<FileBody> = {
        let downloads = state.downloads.lock().unwrap_or_else(|e| e.into_inner());
        order
            .page(offset, limit)
            .map(|index| state.file(index, &downloads))
            .collect()
    };
    Ok(success(
        json!({ "data": files, "pagination": pagination(window) }),
    ))
}

async fn metadata(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    authorize(&headers, &state.api_key)?;
    let index = state.lookup(id)?;
    let file = {
        let downloads = state.downloads.lock().unwrap_or_else(|e| e.into_inner());
        state.file(index, &downloads)
    };
    let checksum = state.checksum(index).await?;
    let dataset = &state.dataset;
    let detail = MetadataBody {
        checksum,
        metadata: file_metadata(dataset, index),
        updated_at: common::iso(dataset.updated_at_of(index)),
        file,
    };
    Ok(success(detail))
}

async fn download(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    query: RawQuery,
) -> Result<Response, ApiError> {
    authorize(&headers, &state.api_key)?;
    let index = state.lookup(id)?;
    let params = Params::from_raw(query).map_err(|why| ApiError::bad_request(vec![why]))?;
    let mut check = Checks::new(|error| error.plain());
    let expires_in = check
        .take(params.integer("expires_in", MIN_EXPIRES_IN, MAX_EXPIRES_IN))
        .unwrap_or(MAX_EXPIRES_IN);
    check.finish()?;
    let now = common::unix_now();
    {
        let mut downloads = state.downloads.lock().unwrap_or_else(|e| e.into_inner());
        let entry = downloads.entry(index as u32).or_insert(Downloads {
            count: 0,
            last: now,
        });
        entry.count += 1;
        entry.last = now;
    }
    let file = state.dataset.file(index);
    let file_id = state.file_id(index);
    let expires_at = now + expires_in as i64;
    let token = state.token(index, expires_at);
    Ok(success(json!({
        "file_id": file_id,
        "original_filename": file.file_name,
        "content_type": file.content_type,
        "size_bytes": file.size,
        "download_url": format!(
            "{}{DOWNLOAD_PATH}/{file_id}?token={token}&expires={expires_at}",
            state.origin
        ),
        "expires_in_seconds": expires_in,
        "expires_at": common::iso(expires_at),
    })))
}

/// What a download link serves: the bytes, to whoever holds a valid token.
async fn signed_bytes(
    State(state): State<Arc<AppState>>,
    id: Result<Path<String>, PathRejection>,
    query: RawQuery,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let index = state.lookup(id)?;
    common::check_signed_link(query, "token", |expires| state.token(index, expires)).map_err(
        |why| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "Invalid or expired download link",
                vec![why.reason().to_owned()],
            )
        },
    )?;
    Ok(state.blobs.respond(index, &method, &headers))
}

/// Authenticated, found, and refused: nothing is ever deleted here.
async fn delete_file(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    authorize(&headers, &state.api_key)?;
    state.lookup(id)?;
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "Read-only server",
        vec!["The demo server is read-only: nothing is deleted".to_owned()],
    ))
}

async fn list_contexts(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: RawQuery,
) -> Result<Response, ApiError> {
    authorize(&headers, &state.api_key)?;
    let params = Params::from_raw(query).map_err(|why| ApiError::bad_request(vec![why]))?;
    let mut check = Checks::new(|error| error.plain());
    let window = check.page(&params, "page_size", MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE);
    check.finish()?;
    let totals = common::lazily(
        &state,
        |s| &s.context_totals,
        |s| Arc::new(s.count_contexts()),
    )
    .await?;
    let window = PageWindow {
        total: CONTEXTS.len() as u64,
        ..window
    };
    let (offset, limit) = window.positions();
    let created = state.dataset.created_at_of(0).min(common::unix_now());
    let contexts: Vec<serde_json::Value> = CONTEXTS
        .iter()
        .zip(totals.iter())
        .enumerate()
        .skip(offset)
        .take(limit)
        .map(|(n, ((key, name, description), (count, size)))| {
            json!({
                "context_key": key,
                "display_name": name,
                "description": description,
                "file_count": count,
                "total_size_bytes": size,
                "created_at": common::iso(created - 86_400 * (30 + n as i64)),
            })
        })
        .collect();
    Ok(success(
        json!({ "data": contexts, "pagination": pagination(window) }),
    ))
}

fn authorize(headers: &HeaderMap, api_key: &str) -> Result<(), ApiError> {
    let (message, why) = match Bearer::check(headers, api_key) {
        Bearer::Valid => return Ok(()),
        Bearer::Missing => ("Authentication required", "Missing Authorization header"),
        Bearer::WrongScheme => (
            "Authentication required",
            "Authorization header must be 'Bearer <api key>'",
        ),
        Bearer::Invalid => (
            "Invalid API key",
            "The API key is invalid or has been revoked",
        ),
    };
    Err(ApiError::new(
        StatusCode::UNAUTHORIZED,
        message,
        vec![why.to_owned()],
    ))
}

fn success(data: impl Serialize) -> Response {
    common::json(
        StatusCode::OK,
        &json!({
            "status": "SUCCESS",
            "data": data,
            "timestamp": common::iso(common::unix_now()),
        }),
    )
}

fn pagination(window: PageWindow) -> serde_json::Value {
    json!({
        "page": window.page,
        "page_size": window.size,
        "total_items": window.total,
        "total_pages": window.pages(),
        "has_next": window.has_next(),
        "has_previous": window.has_previous(),
    })
}

// ---- records ------------------------------------------------------------------------

impl AppState {
    /// The token of a download link to `index` valid until `expires_at`.
    fn token(&self, index: usize, expires_at: i64) -> String {
        common::signature(
            Salt::FileGuardChecksum.of(&self.dataset, index),
            expires_at as u64,
            40,
        )
    }

    /// `sha256:<hex>` of the file's bytes (of the undamaged ones for
    /// [`CORRUPT_INDEX`](super::content::CORRUPT_INDEX)), hashed on a blocking thread the first time.
    async fn checksum(self: &Arc<Self>, index: usize) -> Result<String, Internal> {
        if let Some(hit) = self.cached_checksum(index) {
            return Ok(hit);
        }
        let state = Arc::clone(self);
        let checksum =
            common::blocking(move || file_content::published_checksum(&state.dataset, index))
                .await?;
        let mut cache = self.checksums.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CHECKSUM_CACHE {
            cache.clear();
        }
        cache.insert(index as u32, checksum.clone());
        Ok(checksum)
    }

    fn cached_checksum(&self, index: usize) -> Option<String> {
        let cache = self.checksums.lock().unwrap_or_else(|e| e.into_inner());
        cache.get(&(index as u32)).cloned()
    }

    fn file_id(&self, index: usize) -> String {
        // 30 bits of noise above the code: 62 bits, which twelve base-36
        // digits hold, so the id is injective.
        let value = self.cipher.opaque(&self.dataset, index, 30);
        format!("file_{}", base36(value, 12))
    }

    fn lookup(&self, id: Result<Path<String>, PathRejection>) -> Result<usize, ApiError> {
        let not_found = |id: &str| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "File not found",
                vec![format!("No file with id {}", common::quoted(id))],
            )
        };
        let Ok(Path(id)) = id else {
            return Err(not_found(""));
        };
        let parse = |id: &str| {
            let digits = id.strip_prefix("file_").filter(|d| d.len() == 12)?;
            u64::from_str_radix(digits, 36).ok()
        };
        self.cipher
            .find(&id, self.dataset.len(), parse, |index| self.file_id(index))
            .ok_or_else(|| not_found(&id))
    }

    fn context_of(&self, index: usize) -> usize {
        (Salt::FileGuardContext.of(&self.dataset, index) % CONTEXTS.len() as u64) as usize
    }

    fn uploader_of(&self, index: usize) -> &(String, Option<&'static str>) {
        let h = Salt::FileGuardUploader.of(&self.dataset, index);
        // Six uploads in ten come through an API key.
        let (keys, users) = self.uploaders.split_at(KEY_NAMES.len());
        if h % 10 < 6 {
            pick(keys, h >> 8)
        } else {
            pick(users, h >> 8)
        }
    }

    /// Matching records in index order (blocking).
    fn select(&self, selection: &Selection) -> Vec<u32> {
        let context = match &selection.context {
            None => None,
            Some(key) => match CONTEXTS.iter().position(|c| c.0 == key) {
                Some(position) => Some(position),
                None => return Vec::new(),
            },
        };
        self.dataset.filter(None, |index| {
            context.is_none_or(|c| c == self.context_of(index))
                && selection
                    .uploaded_by
                    .as_deref()
                    .is_none_or(|u| self.uploader_of(index).0 == u)
        })
    }

    fn count_contexts(&self) -> Vec<(u64, u64)> {
        let mut totals = vec![(0, 0); CONTEXTS.len()];
        for index in 0..self.dataset.len() {
            let slot = &mut totals[self.context_of(index)];
            slot.0 += 1;
            slot.1 += self.dataset.size_of(index);
        }
        totals
    }

    fn file(&self, index: usize, downloads: &HashMap<u32, Downloads>) -> FileBody {
        let dataset = &self.dataset;
        let file = dataset.file(index);
        let h = Salt::FileGuardDownloads.of(dataset, index);
        // Four files in ten were never downloaded before this server started.
        let base = if h % 10 < 4 { 0 } else { 1 + (h >> 8) % 250 };
        let base_last =
            (base > 0).then(|| file.created_at + 600 + ((h >> 24) % (60 * 86_400)) as i64);
        let here = downloads.get(&(index as u32));
        let (id, name) = self.uploader_of(index);
        FileBody {
            file_id: self.file_id(index),
            original_filename: file.file_name,
            content_type: file.content_type,
            size_bytes: file.size,
            context_key: CONTEXTS[self.context_of(index)].0,
            uploaded_by: id.clone(),
            uploaded_by_name: *name,
            download_count: base + here.map_or(0, |d| d.count),
            last_downloaded_at: here.map(|d| d.last).or(base_last).map(common::iso),
            created_at: common::iso(file.created_at),
        }
    }
}

/// What the uploader attached: the source, retention and a few tags.
fn file_metadata(dataset: &Dataset, index: usize) -> serde_json::Value {
    const SOURCES: [&str; 3] = ["api", "web_upload", "sftp"];
    const TAGS: [&str; 6] = [
        "confidential",
        "reviewed",
        "archived",
        "urgent",
        "external",
        "q4",
    ];
    let h = Salt::FileGuardMetadata.of(dataset, index);
    let tags: Vec<&str> = (0..h % 3).map(|n| *pick(&TAGS, h >> (8 + 8 * n))).collect();
    json!({
        "source": pick(&SOURCES, h >> 32),
        "retention_days": *pick(&[365, 730, 2555], h >> 40),
        "encrypted": true,
        "tags": tags,
    })
}

/// `value` in `digits` lowercase base-36 digits (the low ones if it needs more).
fn base36(mut value: u64, digits: usize) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = vec![b'0'; digits];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(value % 36) as usize];
        value /= 36;
    }
    String::from_utf8(out).expect("base-36 digits are ASCII")
}

#[derive(Serialize)]
struct FileBody {
    file_id: String,
    original_filename: String,
    content_type: &'static str,
    size_bytes: u64,
    context_key: &'static str,
    uploaded_by: String,
    uploaded_by_name: Option<&'static str>,
    download_count: u64,
    last_downloaded_at: Option<String>,
    created_at: String,
}

#[derive(Serialize)]
struct MetadataBody {
    #[serde(flatten)]
    file: FileBody,
    checksum: String,
    metadata: serde_json::Value,
    updated_at: String,
}

// ---- errors ----------------------------------------------------------------------------

/// FileGuard's error envelope.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    message: &'static str,
    errors: Vec<String>,
}

impl ApiError {
    fn new(status: StatusCode, message: &'static str, errors: Vec<String>) -> ApiError {
        ApiError {
            status,
            message,
            errors,
        }
    }

    fn bad_request(errors: Vec<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "Invalid query parameters", errors)
    }
}

impl From<Internal> for ApiError {
    fn from(_: Internal) -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error",
            Vec::new(),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        common::json(
            self.status,
            &json!({
                "status": "ERROR",
                "message": self.message,
                "errors": self.errors,
                "timestamp": common::iso(common::unix_now()),
            }),
        )
    }
}

impl From<Vec<String>> for ApiError {
    /// One 400 listing every bad parameter.
    fn from(problems: Vec<String>) -> Self {
        ApiError::bad_request(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DemoServer;
    use crate::common::testkit::{self, Reply, fixture, get, get_bearer, keys};
    use serde_json::Value;
    use std::collections::HashSet;

    async fn server(files: usize) -> DemoServer {
        testkit::server("fileguard", files).await
    }

    fn files(reply: &Reply) -> &Vec<Value> {
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["status"], "SUCCESS");
        reply.body["data"]["data"].as_array().unwrap()
    }

    /// The record index of a listed file, found by its `created_at`.
    fn index_of(record: &Value, dataset: &Dataset) -> usize {
        let index = testkit::index_by_created(dataset, record["created_at"].as_str().unwrap());
        assert_eq!(
            record["original_filename"],
            dataset.file(index).file_name.as_str()
        );
        index
    }

    async fn all_pages(server: &DemoServer, query: &str) -> Vec<Value> {
        let mut records = Vec::new();
        for page in 1.. {
            let reply = get_bearer(
                server,
                &format!("/api/v1/files?{query}&page={page}&page_size=100"),
            )
            .await;
            records.extend(files(&reply).iter().cloned());
            if reply.body["data"]["pagination"]["has_next"] == false {
                break;
            }
        }
        records
    }

    fn assert_error(reply: &Reply, status: u16, needles: &[&str]) {
        assert_eq!(reply.status, status, "{}", reply.body);
        assert_eq!(keys(&reply.body), keys(&fixture("fileguard_error.json")));
        assert_eq!(reply.body["status"], "ERROR");
        let errors: Vec<&str> = reply.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        let errors = errors.join("\n");
        for needle in needles {
            assert!(errors.contains(needle), "{errors} lacks {needle:?}");
        }
        assert!(reply.body["timestamp"].as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn ids_are_file_and_twelve_base36_digits() {
        assert_eq!(base36(0, 3), "000");
        assert_eq!(base36(35, 2), "0z");
        assert_eq!(base36(36 * 36 + 1, 3), "101");
        assert!(36u64.pow(12) > 1 << 62);
    }

    #[tokio::test]
    async fn first_page_has_the_fixture_shape() {
        let server = server(45).await;
        let reply = get_bearer(&server, "/api/v1/files").await;
        let sample = fixture("fileguard_page.json");
        assert_eq!(keys(&reply.body), keys(&sample));
        assert_eq!(keys(&reply.body["data"]), keys(&sample["data"]));
        assert_eq!(
            keys(&reply.body["data"]["pagination"]),
            keys(&sample["data"]["pagination"])
        );
        let records = files(&reply);
        assert_eq!(records.len(), 20);
        for record in records {
            assert_eq!(keys(record), keys(&sample["data"]["data"][0]));
            let id = record["file_id"].as_str().unwrap();
            assert!(id.starts_with("file_") && id.len() == 17, "{id}");
            let by = record["uploaded_by"].as_str().unwrap();
            assert_eq!(
                by.starts_with("key_"),
                record["uploaded_by_name"].is_string(),
                "{record}"
            );
        }
        assert!(
            records
                .iter()
                .any(|r| r["uploaded_by"].as_str().unwrap().starts_with("usr_"))
        );
        assert!(
            records
                .iter()
                .any(|r| r["last_downloaded_at"].is_null() && r["download_count"] == 0)
        );
        assert_eq!(
            reply.body["data"]["pagination"],
            json!({"page": 1, "page_size": 20, "total_items": 45, "total_pages": 3,
                "has_next": true, "has_previous": false})
        );
    }

    #[tokio::test]
    async fn paging_walks_every_file_once_newest_first() {
        let server = server(45).await;
        let mut seen = Vec::new();
        for page in 1..=3 {
            let reply = get_bearer(&server, &format!("/api/v1/files?page={page}")).await;
            let records = files(&reply);
            assert_eq!(records.len(), if page < 3 { 20 } else { 5 });
            let p = &reply.body["data"]["pagination"];
            assert_eq!(p["has_next"], page < 3);
            assert_eq!(p["has_previous"], page > 1);
            for record in records {
                let index = index_of(record, &server.dataset);
                let file = server.dataset.file(index);
                assert_eq!(record["size_bytes"], file.size);
                assert_eq!(record["content_type"], file.content_type);
                seen.push(index);
            }
        }
        assert_eq!(seen, (0..45).rev().collect::<Vec<_>>());
        let ids: HashSet<String> = all_pages(&server, "")
            .await
            .iter()
            .map(|r| r["file_id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids.len(), 45);
        let reply = get_bearer(&server, "/api/v1/files?page=4").await;
        assert!(files(&reply).is_empty());
        assert_eq!(reply.body["data"]["pagination"]["has_next"], false);
    }

    #[tokio::test]
    async fn context_and_uploader_filters() {
        let server = server(500).await;
        let all = all_pages(&server, "").await;
        assert_eq!(all.len(), 500);
        let contexts = get_bearer(&server, "/api/v1/contexts?page_size=100").await;
        let contexts = files(&contexts);
        assert_eq!(contexts.len(), CONTEXTS.len());
        let mut total = 0;
        for context in contexts {
            let key = context["context_key"].as_str().unwrap();
            let records = all_pages(&server, &format!("context={key}")).await;
            let expected: Vec<&Value> = all.iter().filter(|r| r["context_key"] == key).collect();
            assert_eq!(records.iter().collect::<Vec<_>>(), expected, "{key}");
            assert_eq!(context["file_count"], records.len());
            let bytes: u64 = records
                .iter()
                .map(|r| r["size_bytes"].as_u64().unwrap())
                .sum();
            assert_eq!(context["total_size_bytes"], bytes);
            total += records.len();
        }
        assert_eq!(total, all.len());
        for prefix in ["key_", "usr_"] {
            let uploader = all
                .iter()
                .map(|r| r["uploaded_by"].as_str().unwrap())
                .find(|u| u.starts_with(prefix))
                .unwrap();
            let records = all_pages(&server, &format!("uploaded_by={uploader}")).await;
            let expected: Vec<&Value> = all
                .iter()
                .filter(|r| r["uploaded_by"] == uploader)
                .collect();
            assert_eq!(records.iter().collect::<Vec<_>>(), expected);
            let key = all[0]["context_key"].as_str().unwrap();
            let both = all_pages(&server, &format!("uploaded_by={uploader}&context={key}")).await;
            assert!(both.len() < records.len());
            assert!(
                both.iter()
                    .all(|r| r["uploaded_by"] == uploader && r["context_key"] == key)
            );
        }
        for query in ["context=no_such_context", "uploaded_by=usr_nobody"] {
            let reply = get_bearer(&server, &format!("/api/v1/files?{query}")).await;
            assert!(files(&reply).is_empty());
            assert_eq!(
                reply.body["data"]["pagination"],
                json!({"page": 1, "page_size": 20, "total_items": 0, "total_pages": 0,
                    "has_next": false, "has_previous": false})
            );
        }
    }

    #[tokio::test]
    async fn downloads_are_counted() {
        let server = server(30).await;
        let first = get_bearer(&server, "/api/v1/files?page_size=30").await;
        let records = files(&first).clone();
        let (target, other) = (&records[3], &records[4]);
        let id = target["file_id"].as_str().unwrap();
        let before = target["download_count"].as_u64().unwrap();
        let started = common::unix_now();
        for expires in ["", "?expires_in=60", "?expires_in=3600"] {
            let reply = get_bearer(&server, &format!("/api/v1/files/{id}{expires}")).await;
            assert_eq!(reply.status, 200, "{}", reply.body);
            let data = &reply.body["data"];
            assert_eq!(data["file_id"], id);
            assert!(data["download_url"].as_str().unwrap().contains(id));
            let wanted = if expires.is_empty() {
                "3600"
            } else {
                &expires[12..]
            };
            assert_eq!(data["expires_in_seconds"].to_string(), wanted);
        }
        // Rejected calls count nothing.
        for bad in ["?expires_in=59", "?expires_in=3601", "?expires_in=soon"] {
            let reply = get_bearer(&server, &format!("/api/v1/files/{id}{bad}")).await;
            assert_error(&reply, 400, &["expires_in"]);
        }
        let after = get_bearer(&server, "/api/v1/files?page_size=30").await;
        let after = files(&after);
        assert_eq!(after[3]["download_count"], before + 3);
        let last = after[3]["last_downloaded_at"].as_str().unwrap();
        assert!(last >= common::iso(started).as_str(), "{last}");
        assert_eq!(after[4], *other);
        let detail = get_bearer(&server, &format!("/api/v1/files/{id}/metadata")).await;
        assert_eq!(detail.body["data"]["download_count"], before + 3);
    }

    #[tokio::test]
    async fn metadata_adds_checksum_metadata_and_updated_at() {
        let server = server(30).await;
        let listed = get_bearer(&server, "/api/v1/files").await;
        let record = &files(&listed)[0];
        let id = record["file_id"].as_str().unwrap();
        let reply = get_bearer(&server, &format!("/api/v1/files/{id}/metadata")).await;
        assert_eq!(reply.status, 200);
        let data = &reply.body["data"];
        for (field, value) in record.as_object().unwrap() {
            assert_eq!(&data[field], value, "{field}");
        }
        let checksum = data["checksum"].as_str().unwrap();
        let digits = checksum.strip_prefix("sha256:").unwrap();
        assert_eq!(digits.len(), 64);
        assert!(digits.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(data["metadata"].is_object());
        let index = index_of(record, &server.dataset);
        assert_eq!(
            data["updated_at"],
            common::iso(server.dataset.file(index).updated_at)
        );
        for bad in ["file_zzzzzzzzzzzz", "file_123", "nope", &id.to_uppercase()] {
            let reply = get_bearer(&server, &format!("/api/v1/files/{bad}/metadata")).await;
            assert_error(&reply, 404, &["No file"]);
            let reply = get_bearer(&server, &format!("/api/v1/files/{bad}")).await;
            assert_error(&reply, 404, &["No file"]);
        }
    }

    #[tokio::test]
    async fn contexts_page_like_files() {
        let server = server(20).await;
        let mut keys_seen = Vec::new();
        for page in 1..=3 {
            let reply = get_bearer(
                &server,
                &format!("/api/v1/contexts?page={page}&page_size=3"),
            )
            .await;
            let contexts = files(&reply);
            assert_eq!(contexts.len(), if page < 3 { 3 } else { 2 });
            let p = &reply.body["data"]["pagination"];
            assert_eq!(
                (p["total_items"].as_u64(), p["total_pages"].as_u64()),
                (Some(8), Some(3))
            );
            assert_eq!(p["has_next"], page < 3);
            keys_seen.extend(
                contexts
                    .iter()
                    .map(|c| c["context_key"].as_str().unwrap().to_owned()),
            );
            for context in contexts {
                assert!(context["display_name"].is_string());
            }
        }
        let expected: Vec<String> = CONTEXTS.iter().map(|c| c.0.to_owned()).collect();
        assert_eq!(keys_seen, expected);
        let reply = get_bearer(&server, "/api/v1/contexts?page_size=101").await;
        assert_error(&reply, 400, &["page_size must be at most 100"]);
        assert_eq!(server.stats.list_requests(), 0);
    }

    #[tokio::test]
    async fn auth_failures_are_401_error_envelopes() {
        let server = server(10).await;
        for (headers, needle) in [
            (&[][..], "Missing Authorization"),
            (
                &[("authorization", "Bearer fg_wrong")][..],
                "invalid or has been revoked",
            ),
            (&[("authorization", "demo")][..], "Bearer <api key>"),
            (&[("x-api-key", "demo")][..], "Missing Authorization"),
        ] {
            for path in [
                "/api/v1/files?page_size=0",
                "/api/v1/contexts",
                "/api/v1/files/file_x/metadata",
            ] {
                let reply = get(&server, path, headers).await;
                assert_error(&reply, 401, &[needle]);
            }
        }
        assert_eq!(server.stats.list_requests(), 4);
    }

    #[tokio::test]
    async fn bad_parameters_are_one_400() {
        let server = server(10).await;
        for (query, needles) in [
            (
                "page_size=0",
                &["page_size must be at least 1 (got \"0\")"][..],
            ),
            ("page_size=101", &["page_size must be at most 100"][..]),
            ("page=0", &["page must be at least 1"][..]),
            ("page=first", &["page must be an integer"][..]),
            (
                "uploaded_by=bob",
                &["uploaded_by must be an API key id"][..],
            ),
            (
                "page=0&page_size=500",
                &["page must be", "page_size must be"][..],
            ),
        ] {
            let reply = get_bearer(&server, &format!("/api/v1/files?{query}")).await;
            assert_error(&reply, 400, needles);
            assert_eq!(
                reply.body["errors"].as_array().unwrap().len(),
                needles.len()
            );
            assert_eq!(reply.body["message"], "Invalid query parameters");
        }
        let reply = get_bearer(&server, "/api/v1/files?page_size=100&page=1").await;
        assert_eq!(reply.status, 200);
        let reply = get_bearer(&server, "/api/v2/files").await;
        assert_error(&reply, 404, &["/api/v2/files"]);
        let reply = testkit::send(&server, reqwest::Method::DELETE, "/api/v1/contexts").await;
        assert_error(&reply, 405, &["DELETE"]);
    }

    /// A deep page and a filtered page over a million files: full, distinct, and in the
    /// context asked for. How fast is the benchmark's business.
    #[tokio::test]
    async fn a_page_over_a_million_files() {
        let auth = [("authorization", "Bearer demo")];
        for query in [
            "page_size=100&page=5000",
            "page_size=100&page=20&context=lab_results",
        ] {
            let reply = testkit::page_once(
                "fileguard",
                1_000_000,
                &format!("/api/v1/files?{query}"),
                &auth,
            )
            .await;
            let records = files(&reply);
            assert_eq!(records.len(), 100, "{query}");
            let ids: Vec<String> = records
                .iter()
                .map(|r| r["file_id"].as_str().unwrap().to_owned())
                .collect();
            assert!(testkit::distinct(&ids), "{query}");
            if query.contains("context=") {
                for r in records {
                    assert_eq!(r["context_key"], "lab_results", "{query}");
                }
            }
        }
    }

    /// The `file_id` of record `index`, from the listing.
    async fn file_id_of(server: &DemoServer, index: usize) -> String {
        let records = all_pages(server, "").await;
        let record = records
            .iter()
            .find(|r| index_of(r, &server.dataset) == index)
            .unwrap();
        record["file_id"].as_str().unwrap().to_owned()
    }

    use crate::content::CORRUPT_INDEX;

    fn sha256(bytes: &[u8]) -> String {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(bytes);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("sha256:{hex}")
    }

    #[tokio::test]
    async fn download_urls_serve_the_bytes_with_their_token_only() {
        let server = server(100).await;
        let index = testkit::sizable(&server.dataset);
        let id = file_id_of(&server, index).await;
        let reply = get_bearer(&server, &format!("/api/v1/files/{id}?expires_in=600")).await;
        let url = reply.body["data"]["download_url"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            url.starts_with(&format!("{}/f/{id}?token=", server.base_url)),
            "{url}"
        );
        testkit::assert_serves(&server, &url, index, &[]).await;

        let (base, query) = url.split_once('?').unwrap();
        let other = file_id_of(&server, index + 1).await;
        let past = common::unix_now() - 5;
        let state_token = |expires: i64| {
            common::signature(
                Salt::FileGuardChecksum.of(&server.dataset, index),
                expires as u64,
                40,
            )
        };
        for bad in [
            url.replace("token=", "token=0"),
            base.to_owned(),
            format!("{}/f/{other}?{query}", server.base_url),
            format!("{base}?token={}&expires={past}", state_token(past)),
        ] {
            let refused = testkit::fetch(reqwest::Method::GET, &bad, &[]).await;
            assert_eq!(refused.status, 403, "{bad}");
            let body = refused.json();
            assert_eq!(body["status"], "ERROR", "{bad}");
            assert_eq!(keys(&body), keys(&fixture("fileguard_error.json")));
        }
        let unknown = format!("{}/f/file_zzzzzzzzzzzz?{query}", server.base_url);
        assert_eq!(
            testkit::fetch(reqwest::Method::GET, &unknown, &[])
                .await
                .status,
            404
        );
    }

    #[tokio::test]
    async fn checksums_match_the_bytes_except_for_the_corrupt_file() {
        let server = server(100).await;
        let normal = testkit::sizable(&server.dataset);
        for index in [normal, 0, CORRUPT_INDEX] {
            let id = file_id_of(&server, index).await;
            let detail = get_bearer(&server, &format!("/api/v1/files/{id}/metadata")).await;
            let published = detail.body["data"]["checksum"].as_str().unwrap().to_owned();
            let link = get_bearer(&server, &format!("/api/v1/files/{id}")).await;
            let url = link.body["data"]["download_url"].as_str().unwrap();
            let downloaded = testkit::fetch(reqwest::Method::GET, url, &[]).await;
            assert_eq!(downloaded.status, 200);
            assert_eq!(
                downloaded.bytes,
                crate::content::content(&server.dataset, index)
            );
            let matches = sha256(&downloaded.bytes) == published;
            assert_eq!(matches, index != CORRUPT_INDEX, "{index}: {published}");
            // The same answer again, from the cache.
            let again = get_bearer(&server, &format!("/api/v1/files/{id}/metadata")).await;
            assert_eq!(again.body["data"]["checksum"], published.as_str());
        }
    }

    #[tokio::test]
    async fn delete_is_refused_the_server_is_read_only() {
        let server = server(30).await;
        let id = file_id_of(&server, 3).await;
        let path = format!("/api/v1/files/{id}");
        let reply = testkit::send(&server, reqwest::Method::DELETE, &path).await;
        assert_error(&reply, 403, &["read-only"]);
        let anonymous = testkit::fetch(
            reqwest::Method::DELETE,
            &format!("{}{path}", server.base_url),
            &[],
        )
        .await;
        assert_eq!(anonymous.status, 401);
        let reply = testkit::send(
            &server,
            reqwest::Method::DELETE,
            "/api/v1/files/file_zzzzzzzzzzzz",
        )
        .await;
        assert_error(&reply, 404, &["No file"]);
    }
}
