//! The AstraCollab dialect over HTTP: files in a folder tree.
//!
//! - `GET /v1/files?page&limit&folderId&type&search&sortBy&sortOrder`:
//!   `{success: true, data: {files, pagination: {page, limit, total,
//!   totalPages, hasNext, hasPrev}}}`. `limit` 1..=100, default 20. Without
//!   `folderId` every file is listed, wherever it lives (the spec does not say;
//!   listing only root files would hide most of the dataset from a client that
//!   never browses); with it, only the files directly in that folder. An
//!   unknown `folderId` is a 404 `FOLDER_NOT_FOUND`. `type` is a category
//!   (`image` = image/*, `video` = video/*, `document` = PDF, Word,
//!   PowerPoint, Excel, plain text, Markdown, CSV); `search` is a
//!   case-insensitive substring of the name. `sortBy` name|size|uploadedAt|
//!   updatedAt (default `uploadedAt`), `sortOrder` asc|desc (default desc);
//!   ties go by upload order, reversed for desc. `totalPages` is 0 when
//!   nothing matches.
//! - `GET /v1/files/{id}?expires=N` (seconds, 60..=604800, default 3600):
//!   `{data: {file, downloadUrl}}`. `downloadUrl` is presigned storage on this
//!   server's own origin, `{origin}/storage/files/{id}/download?expires=E&
//!   signature=S`: `GET/HEAD` of it needs no key, only the signature, and
//!   serves the file's bytes with ranges (see [`super::content`]); a missing
//!   or wrong signature, or a past `expires`, is a 403 `SIGNATURE_INVALID`.
//!   A record's `url` is the unsigned storage path `{origin}/storage/files/{id}`,
//!   which, like real presigned storage, answers 403 `SIGNATURE_REQUIRED`
//!   telling the client to get a `downloadUrl`.
//! - `DELETE /v1/files/{id}`: after auth and lookup, 403 `READ_ONLY`: the
//!   demo server is read-only.
//! - `GET /v1/folders?page&limit&parentFolderId&search&sortBy&sortOrder`:
//!   `{data: {folders, pagination}}`. The tree is fixed: 32 folders, three
//!   levels deep, under six top-level folders; one file in ten is at the root
//!   (`folderId` null), the rest are spread evenly over all folders.
//!   `fileCount` and `totalSize` count the files directly in a folder. Without
//!   `parentFolderId` every folder is listed (each carries `parentFolderId` and
//!   `path`, so the tree can be built from one page of 100); with it, its
//!   direct children; unknown → `FOLDER_NOT_FOUND`. `sortBy`
//!   name|createdAt|updatedAt, default `name` ascending (a folder list sorted
//!   newest first by default would be odd; the spec is silent).
//!
//! Auth is `Authorization: Bearer <key>`; failures are 401 `UNAUTHORIZED`.
//! Every error is `{success: false, error: {code, message, details}}`, with
//! `details` an object (param → reason for `INVALID_PARAMETERS`, which lists
//! every bad parameter at once). Every response carries
//! `X-RateLimit-Limit/Remaining/Reset` (Unix seconds; 1000 a minute, never
//! enforced). Only `GET /v1/files` counts as a list request.
//!
//! File ids are `file_` and 16 hex digits that encode the record index
//! (through [`IdCipher`]), so lookups need no table.

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use serde::Serialize;
use serde_json::json;

use super::common::{
    self, Bearer, Checks, Context, IdCipher, Internal, PageWindow, ParamError, Params, Plumbing,
    Problem, RawQuery, Salt, ScanCache,
};
use super::content::Blobs;
use super::dataset::{Dataset, DatasetQuery, Order, SortKey};

const FILES_PATH: &str = "/v1/files";
const FOLDERS_PATH: &str = "/v1/folders";
const MAX_LIMIT: u64 = 100;
const DEFAULT_LIMIT: u64 = 20;
const RATE_LIMIT: u64 = 1000;
const MIN_EXPIRES: u64 = 60;
const MAX_EXPIRES: u64 = 7 * 86_400;
const DEFAULT_EXPIRES: u64 = 3600;
/// Where files are stored, under this server's origin.
const STORAGE_PATH: &str = "/storage/files";

/// The folder tree: name and parent (an index into this table). Parents come
/// before their children.
const FOLDERS: [(&str, Option<usize>); 32] = [
    ("Marketing", None),        // 0
    ("Engineering", None),      // 1
    ("Finance", None),          // 2
    ("Design", None),           // 3
    ("Operations", None),       // 4
    ("Shared", None),           // 5
    ("Campaigns", Some(0)),     // 6
    ("Social", Some(0)),        // 7
    ("Press", Some(0)),         // 8
    ("Specs", Some(1)),         // 9
    ("Releases", Some(1)),      // 10
    ("Recordings", Some(1)),    // 11
    ("Invoices", Some(2)),      // 12
    ("Reports", Some(2)),       // 13
    ("Receipts", Some(2)),      // 14
    ("Brand", Some(3)),         // 15
    ("Mockups", Some(3)),       // 16
    ("Photography", Some(3)),   // 17
    ("Contracts", Some(4)),     // 18
    ("Onboarding", Some(4)),    // 19
    ("Exports", Some(4)),       // 20
    ("Inbox", Some(5)),         // 21
    ("Archive", Some(5)),       // 22
    ("2025 Spring", Some(6)),   // 23
    ("2025 Autumn", Some(6)),   // 24
    ("v1", Some(10)),           // 25
    ("v2", Some(10)),           // 26
    ("2024", Some(12)),         // 27
    ("2025", Some(12)),         // 28
    ("Logos", Some(15)),        // 29
    ("Fonts", Some(15)),        // 30
    ("Old projects", Some(22)), // 31
];

/// The `type` filter's categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Category {
    Image,
    Document,
    Video,
}

const CATEGORIES: [(&str, Category); 3] = [
    ("image", Category::Image),
    ("document", Category::Document),
    ("video", Category::Video),
];

const DOCUMENT_TYPES: [&str; 7] = [
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "text/plain",
    "text/markdown",
    "text/csv",
];

impl Category {
    fn of(content_type: &str) -> Option<Category> {
        if content_type.starts_with("image/") {
            Some(Category::Image)
        } else if content_type.starts_with("video/") {
            Some(Category::Video)
        } else if DOCUMENT_TYPES.contains(&content_type) {
            Some(Category::Document)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum SortBy {
    Name,
    Size,
    UploadedAt,
    UpdatedAt,
}

const SORTS: [(&str, SortBy); 4] = [
    ("name", SortBy::Name),
    ("size", SortBy::Size),
    ("uploadedAt", SortBy::UploadedAt),
    ("updatedAt", SortBy::UpdatedAt),
];

impl SortBy {
    fn key(self) -> SortKey {
        match self {
            SortBy::Name => SortKey::FileName,
            SortBy::Size => SortKey::Size,
            SortBy::UploadedAt => SortKey::CreatedAt,
            SortBy::UpdatedAt => SortKey::UpdatedAt,
        }
    }
}

/// A filtered file listing, whatever its direction.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Selection {
    sort_by: SortBy,
    folder: Option<usize>,
    category: Option<Category>,
    /// Lowercased.
    search: Option<String>,
}

/// Per folder: files directly in it, their bytes, the newest upload.
#[derive(Debug, Clone, Copy, Default)]
struct FolderTotals {
    files: u64,
    bytes: u64,
    newest: Option<i64>,
}

struct AppState {
    dataset: Arc<Dataset>,
    api_key: String,
    cipher: IdCipher,
    folder_ids: Vec<String>,
    /// Counted over the whole dataset on first use.
    folder_totals: OnceLock<Arc<Vec<FolderTotals>>>,
    selections: ScanCache<Selection>,
    /// This server's `http://HOST:PORT`, before every storage URL.
    origin: String,
    blobs: Blobs,
}

pub(super) fn router(context: Context) -> Router {
    let dataset = Arc::clone(&context.dataset);
    let seed = Salt::AstraFolderIds.global(&dataset);
    let folder_ids = (0..FOLDERS.len() as u64)
        .map(|n| {
            format!(
                "folder_{}",
                common::hex(u128::from(common::mix(seed ^ n)), 8)
            )
        })
        .collect();
    let state = Arc::new(AppState {
        cipher: IdCipher::new(&dataset),
        dataset,
        api_key: context.api_key.clone(),
        folder_ids,
        folder_totals: OnceLock::new(),
        selections: ScanCache::new(),
        origin: context.origin.clone(),
        blobs: Blobs::new(&context),
    });
    let router = Router::new()
        .route(FILES_PATH, get(list_files))
        .route("/v1/files/{id}", get(get_file).merge(delete(delete_file)))
        .route("/storage/files/{id}", get(unsigned_storage))
        .route("/storage/files/{id}/download", get(signed_download))
        .route(FOLDERS_PATH, get(list_folders))
        .method_not_allowed_fallback(|request: Request| async move {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                format!(
                    "{} is not allowed on {}",
                    request.method(),
                    request.uri().path()
                ),
            )
        })
        .fallback(|request: Request| async move {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                format!("No endpoint at {}", request.uri().path()),
            )
        })
        .with_state(state);
    common::serve(
        router,
        &context,
        Plumbing {
            is_list: |path| path == FILES_PATH,
            rate_limit: Some(RATE_LIMIT),
        },
    )
}

// ---- handlers -----------------------------------------------------------------------

async fn list_files(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: RawQuery,
) -> Result<Response, ApiError> {
    authorize(&headers, &state.api_key)?;
    let params = Params::from_raw(query).map_err(ApiError::malformed_query)?;
    let mut check = validation();
    let window = page(&mut check, &params);
    let sort_by = check
        .take(params.one_of("sortBy", &SORTS))
        .unwrap_or(SortBy::UploadedAt);
    let descending = descending(&mut check, &params, true);
    let category = check.take(params.one_of("type", &CATEGORIES));
    check.finish()?;
    let folder = state.folder(params.text("folderId"))?;
    let selection = Selection {
        sort_by,
        folder,
        category,
        search: params.text("search").map(str::to_lowercase),
    };
    let order =
        if selection.folder.is_none() && selection.category.is_none() && selection.search.is_none()
        {
            let query = DatasetQuery {
                sort_by: sort_by.key(),
                descending,
                ..DatasetQuery::default()
            };
            common::dataset_order(&state.dataset, query).await?
        } else {
            let matched = state
                .selections
                .select(&state, &selection, AppState::select)
                .await?;
            Order::of(matched, descending)
        };
    let window = PageWindow {
        total: order.len() as u64,
        ..window
    };
    let (offset, limit) = window.positions();
    let files: Vec<FileBody> = order
        .page(offset, limit)
        .map(|index| state.file(index))
        .collect();
    Ok(success(
        json!({ "files": files, "pagination": pagination(window) }),
    ))
}

async fn get_file(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    query: RawQuery,
) -> Result<Response, ApiError> {
    authorize(&headers, &state.api_key)?;
    let params = Params::from_raw(query).map_err(ApiError::malformed_query)?;
    let mut check = validation();
    let expires = check
        .take(params.integer("expires", MIN_EXPIRES, MAX_EXPIRES))
        .unwrap_or(DEFAULT_EXPIRES);
    check.finish()?;
    let index = state.lookup(id)?;
    let file = state.file(index);
    let expires_at = common::unix_now() + expires as i64;
    let signature = state.signature(index, expires_at);
    let download_url = format!(
        "{}{STORAGE_PATH}/{}/download?expires={expires_at}&signature={signature}",
        state.origin, file.id
    );
    Ok(success(
        json!({ "file": file, "downloadUrl": download_url }),
    ))
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
        "READ_ONLY",
        "The demo server is read-only: nothing is deleted",
    ))
}

/// A record's plain `url`: storage wants a presigned link.
async fn unsigned_storage(
    State(state): State<Arc<AppState>>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    state.lookup(id)?;
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "SIGNATURE_REQUIRED",
        "Storage URLs must be presigned: use the downloadUrl from GET /v1/files/{id}",
    ))
}

/// A presigned `downloadUrl`: the bytes, to whoever holds the signature.
async fn signed_download(
    State(state): State<Arc<AppState>>,
    id: Result<Path<String>, PathRejection>,
    query: RawQuery,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let index = state.lookup(id)?;
    common::check_signed_link(query, "signature", |expires| {
        state.signature(index, expires)
    })
    .map_err(|why| ApiError::new(StatusCode::FORBIDDEN, "SIGNATURE_INVALID", why.reason()))?;
    Ok(state.blobs.respond(index, &method, &headers))
}

async fn list_folders(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: RawQuery,
) -> Result<Response, ApiError> {
    authorize(&headers, &state.api_key)?;
    let params = Params::from_raw(query).map_err(ApiError::malformed_query)?;
    let mut check = validation();
    let window = page(&mut check, &params);
    let sort_by = check
        .take(params.one_of("sortBy", &[("name", 0), ("createdAt", 1), ("updatedAt", 2)]))
        .unwrap_or(0);
    let descending = descending(&mut check, &params, false);
    check.finish()?;
    let parent = state.folder(params.text("parentFolderId"))?;
    let search = params.text("search").map(str::to_lowercase);
    let totals = common::lazily(
        &state,
        |s| &s.folder_totals,
        |s| Arc::new(s.count_folders()),
    )
    .await?;
    let mut folders: Vec<FolderBody> = (0..FOLDERS.len())
        .filter(|&f| parent.is_none() || FOLDERS[f].1 == parent)
        .filter(|&f| {
            let mut scratch = String::new();
            search
                .as_deref()
                .is_none_or(|s| common::contains_ignoring_case(FOLDERS[f].0, s, &mut scratch))
        })
        .map(|f| state.folder_body(f, &totals))
        .collect();
    folders.sort_by(|a, b| {
        let by = match sort_by {
            0 => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            1 => a.created_at.cmp(&b.created_at),
            _ => a.updated_at.cmp(&b.updated_at),
        };
        by.then_with(|| a.id.cmp(&b.id))
    });
    if descending {
        folders.reverse();
    }
    let window = PageWindow {
        total: folders.len() as u64,
        ..window
    };
    let (offset, limit) = window.positions();
    let page: Vec<FolderBody> = folders.into_iter().skip(offset).take(limit).collect();
    Ok(success(
        json!({ "folders": page, "pagination": pagination(window) }),
    ))
}

fn authorize(headers: &HeaderMap, api_key: &str) -> Result<(), ApiError> {
    let message = match Bearer::check(headers, api_key) {
        Bearer::Valid => return Ok(()),
        Bearer::Missing => "Missing API key: send Authorization: Bearer <key>",
        Bearer::WrongScheme => "The Authorization header must be Bearer <key>",
        Bearer::Invalid => "Invalid API key",
    };
    Err(ApiError::new(
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
        message,
    ))
}

fn success(data: serde_json::Value) -> Response {
    common::json(StatusCode::OK, &json!({ "success": true, "data": data }))
}

fn pagination(window: PageWindow) -> serde_json::Value {
    json!({
        "page": window.page,
        "limit": window.size,
        "total": window.total,
        "totalPages": window.pages(),
        "hasNext": window.has_next(),
        "hasPrev": window.has_previous(),
    })
}

// ---- folders and files ----------------------------------------------------------------

impl AppState {
    /// The folder a request names: `None` if not named; 404 if unknown.
    fn folder(&self, id: Option<&str>) -> Result<Option<usize>, ApiError> {
        let Some(id) = id else { return Ok(None) };
        match self.folder_ids.iter().position(|f| f == id) {
            Some(folder) => Ok(Some(folder)),
            None => Err(ApiError {
                status: StatusCode::NOT_FOUND,
                code: "FOLDER_NOT_FOUND",
                message: "Folder not found".to_owned(),
                details: json!({ "folderId": id }),
            }),
        }
    }

    /// The folder a file is in; `None` is the root.
    fn folder_of(&self, index: usize) -> Option<usize> {
        let h = Salt::AstraFolder.of(&self.dataset, index);
        (!h.is_multiple_of(10)).then(|| ((h >> 8) % FOLDERS.len() as u64) as usize)
    }

    fn count_folders(&self) -> Vec<FolderTotals> {
        let mut totals = vec![FolderTotals::default(); FOLDERS.len()];
        for index in 0..self.dataset.len() {
            if let Some(folder) = self.folder_of(index) {
                let slot = &mut totals[folder];
                slot.files += 1;
                slot.bytes += self.dataset.size_of(index);
                // Indices ascend with upload time: the last one seen is the newest.
                slot.newest = Some(self.dataset.created_at_of(index));
            }
        }
        totals
    }

    fn folder_body(&self, folder: usize, totals: &[FolderTotals]) -> FolderBody {
        let (name, parent) = FOLDERS[folder];
        let mut path = String::new();
        let mut at = Some(folder);
        let mut segments = Vec::new();
        while let Some(f) = at {
            segments.push(FOLDERS[f].0);
            at = FOLDERS[f].1;
        }
        for segment in segments.iter().rev() {
            path.push('/');
            path.push_str(segment);
        }
        // Folders were made before the first upload, parents first.
        let first_upload = if self.dataset.is_empty() {
            common::unix_now()
        } else {
            self.dataset.created_at_of(0)
        };
        let created = first_upload - 86_400 * (FOLDERS.len() - folder) as i64;
        let total = totals[folder];
        FolderBody {
            id: self.folder_ids[folder].clone(),
            name,
            parent_folder_id: parent.map(|p| self.folder_ids[p].clone()),
            path,
            file_count: total.files,
            total_size: total.bytes,
            subfolder_count: FOLDERS.iter().filter(|f| f.1 == Some(folder)).count(),
            created_at: common::iso(created),
            updated_at: common::iso(total.newest.unwrap_or(created)),
        }
    }

    /// The matching records, ascending in the selection's sort (blocking).
    fn select(&self, selection: &Selection) -> Vec<u32> {
        let dataset = &self.dataset;
        let base = dataset.sorted(selection.sort_by.key());
        dataset.filter(base.as_ref().map(|b| b.as_slice()), |index| {
            if selection.folder.is_some() && self.folder_of(index) != selection.folder {
                return false;
            }
            if selection
                .category
                .is_some_and(|c| Category::of(dataset.content_type_of(index)) != Some(c))
            {
                return false;
            }
            let Some(needle) = &selection.search else {
                return true;
            };
            common::lowercase_name_matches(dataset, index, |name| name.contains(needle.as_str()))
        })
    }

    /// The signature of a presigned link to `index` valid until `expires_at`.
    fn signature(&self, index: usize, expires_at: i64) -> String {
        common::signature(
            Salt::AstraSecret.of(&self.dataset, index),
            expires_at as u64,
            64,
        )
    }

    fn file_id(&self, index: usize) -> String {
        let value = self.cipher.opaque(&self.dataset, index, 32);
        format!("file_{}", common::hex(u128::from(value), 16))
    }

    fn lookup(&self, id: Result<Path<String>, PathRejection>) -> Result<usize, ApiError> {
        let id = id.map(|Path(id)| id).unwrap_or_default();
        let parse = |id: &str| {
            let digits = id.strip_prefix("file_").filter(|d| d.len() == 16)?;
            u64::from_str_radix(digits, 16).ok()
        };
        self.cipher
            .find(&id, self.dataset.len(), parse, |index| self.file_id(index))
            .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "FILE_NOT_FOUND", "File not found"))
    }

    fn file(&self, index: usize) -> FileBody {
        let file = self.dataset.file(index);
        let id = self.file_id(index);
        FileBody {
            url: format!("{}{STORAGE_PATH}/{id}", self.origin),
            id,
            name: file.file_name,
            size: file.size,
            content_type: file.content_type,
            folder_id: self.folder_of(index).map(|f| self.folder_ids[f].clone()),
            uploaded_at: common::iso(file.created_at),
            updated_at: common::iso(file.updated_at),
            metadata: metadata(&self.dataset, index, file.content_type),
        }
    }
}

/// Media dimensions and lengths, page counts: what the upload pipeline records.
fn metadata(dataset: &Dataset, index: usize, content_type: &str) -> serde_json::Value {
    const SIZES: [(u32, u32); 5] = [
        (1920, 1080),
        (1280, 720),
        (3840, 2160),
        (1080, 1350),
        (800, 600),
    ];
    let h = Salt::AstraMetadata.of(dataset, index);
    let (width, height) = *common::pick(&SIZES, h);
    let seconds = 5 + (h >> 16) % 3600;
    if content_type.starts_with("image/") {
        json!({ "width": width, "height": height })
    } else if content_type.starts_with("video/") {
        json!({ "width": width, "height": height, "durationSeconds": seconds })
    } else if content_type.starts_with("audio/") {
        json!({ "durationSeconds": seconds })
    } else if Category::of(content_type) == Some(Category::Document)
        && !content_type.starts_with("text/")
    {
        json!({ "pages": 1 + (h >> 32) % 120 })
    } else {
        json!({})
    }
}

#[derive(Serialize)]
struct FileBody {
    id: String,
    name: String,
    size: u64,
    #[serde(rename = "type")]
    content_type: &'static str,
    url: String,
    #[serde(rename = "folderId")]
    folder_id: Option<String>,
    #[serde(rename = "uploadedAt")]
    uploaded_at: String,
    #[serde(rename = "updatedAt")]
    updated_at: String,
    metadata: serde_json::Value,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FolderBody {
    id: String,
    name: &'static str,
    parent_folder_id: Option<String>,
    path: String,
    file_count: u64,
    total_size: u64,
    subfolder_count: usize,
    created_at: String,
    updated_at: String,
}

// ---- errors --------------------------------------------------------------------------------

#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: serde_json::Value,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            details: json!({}),
        }
    }

    fn malformed_query(why: String) -> ApiError {
        ApiError {
            details: json!({ "query": why }),
            ..ApiError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_PARAMETERS",
                "Invalid query parameters",
            )
        }
    }
}

impl From<Internal> for ApiError {
    fn from(_: Internal) -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "Internal server error",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        common::json(
            self.status,
            &json!({
                "success": false,
                "error": { "code": self.code, "message": self.message, "details": self.details },
            }),
        )
    }
}

/// Why a parameter was rejected, for `details`.
fn reason(error: ParamError) -> (&'static str, String) {
    let reason = match (error.name, &error.problem) {
        ("limit", _) => format!("Must be between 1 and {MAX_LIMIT}"),
        ("expires", _) => format!("Must be between {MIN_EXPIRES} and {MAX_EXPIRES} seconds"),
        (_, Problem::NotOneOf(allowed)) => format!("Must be one of {}", allowed.join(", ")),
        (_, Problem::TooSmall(min)) => format!("Must be an integer >= {min}"),
        (_, Problem::TooLarge(max)) => format!("Must be an integer <= {max}"),
        (_, _) => "Must be an integer".to_owned(),
    };
    (error.name, reason)
}

type Validation = Checks<(&'static str, String)>;

fn validation() -> Validation {
    Checks::new(reason)
}

/// `page` and `limit`.
fn page(check: &mut Validation, params: &Params) -> PageWindow {
    check.page(params, "limit", MAX_LIMIT, DEFAULT_LIMIT)
}

/// `sortOrder`, as a descending flag.
fn descending(check: &mut Validation, params: &Params, default: bool) -> bool {
    check
        .take(params.one_of("sortOrder", &[("asc", false), ("desc", true)]))
        .unwrap_or(default)
}

impl From<Vec<(&'static str, String)>> for ApiError {
    /// One `INVALID_PARAMETERS` whose `details` maps each parameter to its reason.
    fn from(problems: Vec<(&'static str, String)>) -> Self {
        let details: serde_json::Map<String, serde_json::Value> = problems
            .into_iter()
            .map(|(name, reason)| (name.to_owned(), reason.into()))
            .collect();
        ApiError {
            details: details.into(),
            ..ApiError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_PARAMETERS",
                "Invalid query parameters",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DemoServer;
    use crate::common::testkit::{
        self, Reply, assert_rate_limited, fixture, get, get_bearer, keys,
    };
    use serde_json::Value;
    use std::collections::{HashMap, HashSet};

    async fn server(files: usize) -> DemoServer {
        testkit::server("astracollab", files).await
    }

    fn listed<'a>(reply: &'a Reply, what: &str) -> &'a Vec<Value> {
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["success"], true);
        assert_rate_limited(reply);
        reply.body["data"][what].as_array().unwrap()
    }

    /// Record index by `uploadedAt`, checking the record against it.
    fn index_of(record: &Value, dataset: &Dataset) -> usize {
        let index = testkit::index_by_created(dataset, record["uploadedAt"].as_str().unwrap());
        let file = dataset.file(index);
        assert_eq!(record["name"], file.file_name.as_str());
        assert_eq!(record["size"], file.size);
        assert_eq!(record["type"], file.content_type);
        assert_eq!(record["updatedAt"], common::iso(file.updated_at));
        index
    }

    async fn all_pages(server: &DemoServer, path: &str, what: &str) -> Vec<Value> {
        let mut records = Vec::new();
        let separator = if path.contains('?') { '&' } else { '?' };
        for page in 1.. {
            let reply =
                get_bearer(server, &format!("{path}{separator}limit=100&page={page}")).await;
            records.extend(listed(&reply, what).iter().cloned());
            let pagination = &reply.body["data"]["pagination"];
            if pagination["hasNext"] == false {
                assert_eq!(
                    pagination["page"],
                    pagination["totalPages"].as_u64().unwrap().max(1)
                );
                break;
            }
        }
        records
    }

    fn assert_error(reply: &Reply, status: u16, code: &str) {
        assert_eq!(reply.status, status, "{}", reply.body);
        let sample = fixture("astracollab_error.json");
        assert_eq!(keys(&reply.body), keys(&sample));
        assert_eq!(keys(&reply.body["error"]), keys(&sample["error"]));
        assert_eq!(reply.body["success"], false);
        assert_eq!(reply.body["error"]["code"], code);
        assert!(reply.body["error"]["details"].is_object());
        assert_rate_limited(reply);
    }

    #[test]
    fn the_folder_tree_is_three_levels_with_parents_first() {
        for (position, (_, parent)) in FOLDERS.iter().enumerate() {
            assert!(parent.is_none_or(|p| p < position), "{position}");
        }
        let depth = |mut f: usize| {
            let mut depth = 1;
            while let Some(p) = FOLDERS[f].1 {
                f = p;
                depth += 1;
            }
            depth
        };
        assert_eq!((0..FOLDERS.len()).map(depth).max(), Some(3));
    }

    #[tokio::test]
    async fn first_page_has_the_fixture_shape() {
        let server = server(130).await;
        let reply = get_bearer(&server, "/v1/files").await;
        let sample = fixture("astracollab_page.json");
        assert_eq!(keys(&reply.body), keys(&sample));
        assert_eq!(keys(&reply.body["data"]), keys(&sample["data"]));
        assert_eq!(
            keys(&reply.body["data"]["pagination"]),
            keys(&sample["data"]["pagination"])
        );
        let files = listed(&reply, "files");
        assert_eq!(files.len(), 20);
        for file in files {
            assert_eq!(keys(file), keys(&sample["data"]["files"][0]));
            assert!(file["metadata"].is_object());
            assert!(
                file["url"]
                    .as_str()
                    .unwrap()
                    .ends_with(file["id"].as_str().unwrap())
            );
            index_of(file, &server.dataset);
        }
        let hundred = get_bearer(&server, "/v1/files?limit=100").await;
        let hundred = listed(&hundred, "files");
        assert!(hundred.iter().any(|f| f["folderId"].is_null()));
        assert!(hundred.iter().any(|f| f["folderId"].is_string()));
        let image = files
            .iter()
            .find(|f| f["type"].as_str().unwrap().starts_with("image/"));
        if let Some(image) = image {
            assert!(image["metadata"]["width"].is_u64());
        }
        assert_eq!(
            reply.body["data"]["pagination"],
            json!({"page": 1, "limit": 20, "total": 130, "totalPages": 7, "hasNext": true, "hasPrev": false})
        );
    }

    #[tokio::test]
    async fn paging_walks_every_file_once_newest_first() {
        let server = server(130).await;
        let mut seen = Vec::new();
        for page in 1..=3 {
            let reply = get_bearer(&server, &format!("/v1/files?limit=50&page={page}")).await;
            let files = listed(&reply, "files");
            assert_eq!(files.len(), if page < 3 { 50 } else { 30 });
            let p = &reply.body["data"]["pagination"];
            assert_eq!(p["hasNext"], page < 3);
            assert_eq!(p["hasPrev"], page > 1);
            assert_eq!(p["totalPages"], 3);
            seen.extend(files.iter().map(|f| index_of(f, &server.dataset)));
        }
        assert_eq!(seen, (0..130).rev().collect::<Vec<_>>());
        let reply = get_bearer(&server, "/v1/files?limit=50&page=4").await;
        assert!(listed(&reply, "files").is_empty());
        assert_eq!(reply.body["data"]["pagination"]["hasNext"], false);
    }

    #[tokio::test]
    async fn each_sort_field_orders_both_ways() {
        let server = server(250).await;
        for field in ["name", "size", "uploadedAt", "updatedAt"] {
            for order in ["asc", "desc"] {
                let files = all_pages(
                    &server,
                    &format!("/v1/files?sortBy={field}&sortOrder={order}"),
                    "files",
                )
                .await;
                assert_eq!(files.len(), 250);
                let keyed: Vec<(String, usize)> = files
                    .iter()
                    .map(|f| {
                        let key = match field {
                            "name" => f["name"].as_str().unwrap().to_lowercase(),
                            "size" => format!("{:020}", f["size"].as_u64().unwrap()),
                            _ => f[field].as_str().unwrap().to_owned(),
                        };
                        (key, index_of(f, &server.dataset))
                    })
                    .collect();
                let mut sorted = keyed.clone();
                sorted.sort();
                if order == "desc" {
                    sorted.reverse();
                }
                assert_eq!(keyed, sorted, "{field} {order}");
            }
        }
        // sortOrder defaults to desc for any field.
        let desc = all_pages(&server, "/v1/files?sortBy=size&sortOrder=desc", "files").await;
        let default = all_pages(&server, "/v1/files?sortBy=size", "files").await;
        assert_eq!(desc, default);
    }

    #[tokio::test]
    async fn type_search_and_folder_filters() {
        let server = server(900).await;
        let dataset = &server.dataset;
        let expect = |keep: &dyn Fn(usize) -> bool| -> Vec<usize> {
            (0..900).rev().filter(|&i| keep(i)).collect()
        };
        let cases: Vec<(&str, Vec<usize>)> = vec![
            (
                "type=image",
                expect(&|i| dataset.file(i).content_type.starts_with("image/")),
            ),
            (
                "type=video",
                expect(&|i| dataset.file(i).content_type.starts_with("video/")),
            ),
            (
                "type=document",
                expect(&|i| DOCUMENT_TYPES.contains(&dataset.file(i).content_type)),
            ),
            (
                "search=RePoRt",
                expect(&|i| dataset.file(i).file_name.to_lowercase().contains("report")),
            ),
            (
                "search=report&type=document",
                expect(&|i| {
                    let f = dataset.file(i);
                    f.file_name.to_lowercase().contains("report")
                        && DOCUMENT_TYPES.contains(&f.content_type)
                }),
            ),
        ];
        for (query, want) in cases {
            assert!(!want.is_empty(), "{query}");
            let files = all_pages(&server, &format!("/v1/files?{query}"), "files").await;
            let got: Vec<usize> = files.iter().map(|f| index_of(f, dataset)).collect();
            assert_eq!(got, want, "{query}");
        }
        // Folders: every file is in exactly one folder or at the root.
        let all = all_pages(&server, "/v1/files", "files").await;
        let folders = all_pages(&server, "/v1/folders", "folders").await;
        assert_eq!(folders.len(), FOLDERS.len());
        let mut in_folders = 0;
        for folder in &folders {
            let id = folder["id"].as_str().unwrap();
            let files = all_pages(&server, &format!("/v1/files?folderId={id}"), "files").await;
            assert!(files.iter().all(|f| f["folderId"] == id));
            assert_eq!(folder["fileCount"], files.len());
            let bytes: u64 = files.iter().map(|f| f["size"].as_u64().unwrap()).sum();
            assert_eq!(folder["totalSize"], bytes);
            let expected: Vec<&Value> = all.iter().filter(|f| f["folderId"] == id).collect();
            assert_eq!(files.iter().collect::<Vec<_>>(), expected);
            in_folders += files.len();
        }
        let at_root = all.iter().filter(|f| f["folderId"].is_null()).count();
        assert!(at_root > 0);
        assert_eq!(in_folders + at_root, all.len());
        // Nothing matches: an empty page.
        let reply = get_bearer(&server, "/v1/files?search=zzqqzz").await;
        assert!(listed(&reply, "files").is_empty());
        assert_eq!(
            reply.body["data"]["pagination"],
            json!({"page": 1, "limit": 20, "total": 0, "totalPages": 0, "hasNext": false, "hasPrev": false})
        );
    }

    #[tokio::test]
    async fn unknown_folders_are_folder_not_found() {
        let server = server(20).await;
        for path in [
            "/v1/files?folderId=folder_123",
            "/v1/folders?parentFolderId=nope",
        ] {
            let reply = get_bearer(&server, path).await;
            assert_error(&reply, 404, "FOLDER_NOT_FOUND");
            assert!(reply.body["error"]["details"]["folderId"].is_string());
        }
        // Parameters are checked first.
        let reply = get_bearer(&server, "/v1/files?folderId=folder_123&limit=0").await;
        assert_error(&reply, 400, "INVALID_PARAMETERS");
    }

    #[tokio::test]
    async fn folders_form_a_tree() {
        let server = server(300).await;
        let folders = all_pages(&server, "/v1/folders", "folders").await;
        let by_id: HashMap<&str, &Value> = folders
            .iter()
            .map(|f| (f["id"].as_str().unwrap(), f))
            .collect();
        assert_eq!(by_id.len(), FOLDERS.len());
        let fixture_like = [
            "fileCount",
            "id",
            "name",
            "parentFolderId",
            "path",
            "totalSize",
        ];
        for folder in &folders {
            let fields = keys(folder);
            assert!(
                fixture_like.iter().all(|k| fields.contains(&k.to_string())),
                "{fields:?}"
            );
            let path = folder["path"].as_str().unwrap();
            let name = folder["name"].as_str().unwrap();
            match folder["parentFolderId"].as_str() {
                None => assert_eq!(path, format!("/{name}")),
                Some(parent) => {
                    let parent = by_id[parent];
                    assert_eq!(path, format!("{}/{name}", parent["path"].as_str().unwrap()));
                }
            }
            assert!(path.matches('/').count() <= 3);
        }
        // Listed by name, ascending, by default; children of one folder.
        let names: Vec<String> = folders
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_lowercase())
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        let finance = folders.iter().find(|f| f["name"] == "Finance").unwrap();
        let children = all_pages(
            &server,
            &format!(
                "/v1/folders?parentFolderId={}",
                finance["id"].as_str().unwrap()
            ),
            "folders",
        )
        .await;
        let names: HashSet<&str> = children
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, HashSet::from(["Invoices", "Reports", "Receipts"]));
        assert_eq!(finance["subfolderCount"], 3);
        let reply = get_bearer(
            &server,
            "/v1/folders?search=RE&sortBy=name&sortOrder=desc&limit=3",
        )
        .await;
        let page = listed(&reply, "folders");
        assert_eq!(page.len(), 3);
        assert!(
            page.iter()
                .all(|f| f["name"].as_str().unwrap().to_lowercase().contains("re"))
        );
        // Shared, Reports, Releases, Recordings, Receipts, Press.
        assert_eq!(page[0]["name"], "Shared");
        assert_eq!(reply.body["data"]["pagination"]["total"], 6);
        assert_eq!(reply.body["data"]["pagination"]["hasNext"], true);
        let reply = get_bearer(&server, "/v1/folders?sortBy=size").await;
        assert_error(&reply, 400, "INVALID_PARAMETERS");
        assert_eq!(server.stats.list_requests(), 0);
    }

    #[tokio::test]
    async fn one_file_with_a_download_url() {
        let server = server(40).await;
        let reply = get_bearer(&server, "/v1/files?limit=5").await;
        let listed_file = listed(&reply, "files")[2].clone();
        let id = listed_file["id"].as_str().unwrap();
        let reply = get_bearer(&server, &format!("/v1/files/{id}?expires=600")).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body["data"]["file"], listed_file);
        let url = reply.body["data"]["downloadUrl"].as_str().unwrap();
        let expires: i64 = url
            .split("expires=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!((expires - common::unix_now() - 600).abs() <= 2, "{url}");
        assert!(url.contains(id) && url.contains("signature="));
        let reply = get_bearer(&server, &format!("/v1/files/{id}?expires=59")).await;
        assert_error(&reply, 400, "INVALID_PARAMETERS");
        assert!(reply.body["error"]["details"]["expires"].is_string());
        for bad in [
            "file_0000000000000000",
            "file_1",
            "nope",
            &id.to_uppercase(),
        ] {
            let reply = get_bearer(&server, &format!("/v1/files/{bad}")).await;
            assert_error(&reply, 404, "FILE_NOT_FOUND");
        }
    }

    #[tokio::test]
    async fn auth_failures_are_unauthorized() {
        let server = server(10).await;
        for headers in [
            &[][..],
            &[("authorization", "Bearer wrong")][..],
            &[("authorization", "demo")][..],
            &[("x-api-key", "demo")][..],
        ] {
            for path in ["/v1/files?limit=1000", "/v1/folders", "/v1/files/file_1"] {
                let reply = get(&server, path, headers).await;
                assert_error(&reply, 401, "UNAUTHORIZED");
            }
        }
        assert_eq!(server.stats.list_requests(), 4);
    }

    #[tokio::test]
    async fn bad_parameters_map_each_to_a_reason() {
        let server = server(10).await;
        let reply = get_bearer(&server, "/v1/files?limit=101").await;
        assert_error(&reply, 400, "INVALID_PARAMETERS");
        assert_eq!(reply.body, fixture("astracollab_error.json"));
        let reply = get_bearer(
            &server,
            "/v1/files?page=0&limit=0&sortBy=date&sortOrder=up&type=audio",
        )
        .await;
        assert_error(&reply, 400, "INVALID_PARAMETERS");
        assert_eq!(
            reply.body["error"]["details"],
            json!({
                "page": "Must be an integer >= 1",
                "limit": "Must be between 1 and 100",
                "sortBy": "Must be one of name, size, uploadedAt, updatedAt",
                "sortOrder": "Must be one of asc, desc",
                "type": "Must be one of image, document, video",
            })
        );
        let reply = get_bearer(&server, "/v2/files").await;
        assert_error(&reply, 404, "NOT_FOUND");
        let reply = testkit::send(&server, reqwest::Method::PUT, "/v1/folders").await;
        assert_error(&reply, 405, "METHOD_NOT_ALLOWED");
    }

    /// A deep page, a deep page sorted by name and a filtered search over a million files:
    /// full, distinct, in order, and matching. How fast is the benchmark's business.
    #[tokio::test]
    async fn a_page_over_a_million_files() {
        let auth = [("authorization", "Bearer demo")];
        for query in [
            "limit=100&page=5000",
            "limit=100&page=3000&sortBy=name&sortOrder=asc",
            "limit=100&page=30&type=image&search=img",
        ] {
            let reply = testkit::page_once(
                "astracollab",
                1_000_000,
                &format!("/v1/files?{query}"),
                &auth,
            )
            .await;
            let records = listed(&reply, "files");
            assert_eq!(records.len(), 100, "{query}");
            let ids: Vec<String> = records
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_owned())
                .collect();
            assert!(testkit::distinct(&ids), "{query}");
            if query.contains("sortBy=name") {
                let names: Vec<&str> = records
                    .iter()
                    .map(|r| r["name"].as_str().unwrap())
                    .collect();
                assert!(testkit::names_ascending(&names), "{query}: {names:?}");
            }
            if query.contains("type=image") {
                for r in records {
                    assert!(r["type"].as_str().unwrap().starts_with("image/"), "{query}");
                    let name = r["name"].as_str().unwrap().to_lowercase();
                    assert!(name.contains("img"), "{query}: {name}");
                }
            }
        }
    }

    #[tokio::test]
    async fn download_urls_are_presigned_storage_on_this_server() {
        let server = server(100).await;
        let index = testkit::sizable(&server.dataset);
        let records = all_pages(&server, FILES_PATH, "files").await;
        let record = records
            .iter()
            .find(|r| index_of(r, &server.dataset) == index)
            .unwrap();
        let id = record["id"].as_str().unwrap();
        let plain = record["url"].as_str().unwrap();
        assert_eq!(plain, format!("{}/storage/files/{id}", server.base_url));
        let refused = testkit::fetch(reqwest::Method::GET, plain, &[]).await;
        assert_eq!(refused.status, 403);
        assert_eq!(refused.json()["error"]["code"], "SIGNATURE_REQUIRED");

        let reply = get_bearer(&server, &format!("/v1/files/{id}")).await;
        let url = reply.body["data"]["downloadUrl"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            url.starts_with(&format!("{plain}/download?expires=")),
            "{url}"
        );
        testkit::assert_serves(&server, &url, index, &[]).await;

        let (base, query) = url.split_once('?').unwrap();
        let other = records.iter().find(|r| r["id"] != id).unwrap()["id"]
            .as_str()
            .unwrap();
        let past = common::unix_now() - 5;
        let past_signature = common::signature(
            Salt::AstraSecret.of(&server.dataset, index),
            past as u64,
            64,
        );
        for bad in [
            url.replace("signature=", "signature=0"),
            base.to_owned(),
            format!("{}/storage/files/{other}/download?{query}", server.base_url),
            format!("{base}?expires={past}&signature={past_signature}"),
        ] {
            let refused = testkit::fetch(reqwest::Method::GET, &bad, &[]).await;
            assert_eq!(refused.status, 403, "{bad}");
            assert_eq!(
                refused.json()["error"]["code"],
                "SIGNATURE_INVALID",
                "{bad}"
            );
        }
    }

    #[tokio::test]
    async fn delete_is_refused_the_server_is_read_only() {
        let server = server(30).await;
        let listed = get_bearer(&server, FILES_PATH).await;
        let id = listed.body["data"]["files"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let path = format!("/v1/files/{id}");
        let reply = testkit::send(&server, reqwest::Method::DELETE, &path).await;
        assert_error(&reply, 403, "READ_ONLY");
        assert!(
            reply.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("read-only")
        );
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
            "/v1/files/file_0000000000000000",
        )
        .await;
        assert_error(&reply, 404, "FILE_NOT_FOUND");
    }
}
