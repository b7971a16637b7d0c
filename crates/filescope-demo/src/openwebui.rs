//! The Open WebUI dialect over HTTP, as its FastAPI server answers.
//!
//! - `GET /api/v1/files/?page=N&content=B`: `{"items": [File], "total": N}`, a
//!   fixed 50 per page, ordered by `updated_at` desc then `id` desc. Files whose
//!   `updated_at` is null sort last (SQLite, Open WebUI's default database, puts
//!   NULLs last in a descending sort). `page` defaults to 1; a page past the end
//!   is an empty `items`, not an error.
//! - `GET /api/v1/files` (no trailing slash) answers 307 to the slashed URL,
//!   query kept, before any authentication, as Starlette's `redirect_slashes` does.
//! - `GET /api/v1/files/search?filename=<glob>&content=B&skip=K&limit=L`: a bare
//!   array in list order. The glob is `fnmatch`'s (`*`, `?`, `[seq]`, `[!seq]`)
//!   over the whole lowercased name. A pattern nothing matches is a 404
//!   `{"detail": "No files found matching the pattern."}`; a `skip` past the
//!   matches is `[]`.
//! - `GET /api/v1/files/{id}` (the full record: `path` and `data.content`
//!   always) and `GET /api/v1/files/{id}/data/content` (`{"content"}`).
//! - `GET/HEAD /api/v1/files/{id}/content` (and `/api/files/{id}/content`):
//!   the file's bytes, with ranges (see [`super::content`]); `?attachment=true`
//!   is accepted (the answer is always an attachment). Text types' bytes are
//!   readable text, but `data/content` stays the extracted text the record
//!   embeds (a whole 4 MiB file would not be embedded in every list page).
//! - `DELETE /api/v1/files/{id}` (and under `/api`): after auth and lookup,
//!   403 `{"detail": ...}`: the demo server is read-only.
//! - Legacy servers, under the `/api` prefix: `GET /api/files?content=B` (also
//!   with a trailing slash) is a bare array of every file in insertion (index)
//!   order, capped at the first [`LEGACY_CAP`] files of the dataset: a legacy
//!   server listing 100,000 records in one unpaged array is not a thing worth
//!   simulating. `GET /api/files/{id}` is the record.
//!
//! `content` defaults to true, as on the real server: without `content=false`
//! every completed record embeds its extracted text in `data.content`.
//!
//! Auth is `Authorization: Bearer <key>` (a JWT or an `sk-` key on the real
//! server; here the configured key). No token, or another scheme → 403
//! `{"detail": "Not authenticated"}`; a wrong token → 401. Routing comes first
//! (unknown paths are 404 even unauthenticated), then auth, then parameters;
//! invalid parameters are all reported at once in a pydantic-style 422 list.
//!
//! Timestamps are integer Unix seconds; about 1 file in 20 has a null
//! `updated_at`. Owners (`user_id`), hashes, `path`, processing status and the
//! extracted text are derived from the record index and the seed.

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use serde::Serialize;
use serde_json::json;

use super::common::{
    self, Bearer, Checks, Context, Internal, ParamError, Params, Plumbing, Problem, RawQuery, Salt,
    ScanCache, pick,
};
use super::content::Blobs;
use super::dataset::{Dataset, Order};

/// The current list endpoint (the trailing slash is part of it).
const LIST_PATH: &str = "/api/v1/files/";
const SEARCH_PATH: &str = "/api/v1/files/search";
/// The list of older servers: a bare array, no paging.
const LEGACY_PATH: &str = "/api/files";
/// Fixed page size of the current list endpoint.
pub(super) const PAGE_SIZE: usize = 50;
/// How many files the legacy bare-array list returns at most (see the module doc).
pub(super) const LEGACY_CAP: usize = 2000;
const SEARCH_MAX_LIMIT: u64 = 1000;
const SEARCH_DEFAULT_LIMIT: u64 = 100;
/// How many distinct users own the files.
const USERS: usize = 6;
/// Where the real server keeps uploads.
const UPLOAD_DIR: &str = "/app/backend/data/uploads";

const NOT_FOUND: &str = "We could not find what you're looking for :/";
const NO_MATCH: &str = "No files found matching the pattern.";
const READ_ONLY: &str = "The demo server is read-only: nothing is deleted.";

struct AppState {
    dataset: Arc<Dataset>,
    api_key: String,
    users: Vec<String>,
    /// Every record in list order (`updated_at` desc, nulls last, then `id` desc).
    list_order: OnceLock<Arc<Vec<u32>>>,
    /// Ids for `GET /api/v1/files/{id}`: built on first use.
    ids: OnceLock<Arc<IdTable>>,
    /// Search results (in list order) by lowercased pattern.
    searches: ScanCache<String>,
    blobs: Blobs,
}

pub(super) fn router(context: Context) -> Router {
    let dataset = Arc::clone(&context.dataset);
    let users = (0..USERS)
        .map(|n| uuid_from(Salt::OpenWebUiUsers.global(&dataset), n as u64))
        .collect();
    let state = Arc::new(AppState {
        dataset,
        api_key: context.api_key.clone(),
        users,
        list_order: OnceLock::new(),
        ids: OnceLock::new(),
        searches: ScanCache::new(),
        blobs: Blobs::new(&context),
    });
    let router = Router::new()
        .route(LIST_PATH, get(list_files))
        .route("/api/v1/files", get(add_slash))
        .route(SEARCH_PATH, get(search_files))
        .route(
            "/api/v1/files/{id}",
            get(get_file).merge(delete(delete_file)),
        )
        .route("/api/v1/files/{id}/content", get(file_bytes))
        .route("/api/v1/files/{id}/data/content", get(get_content))
        .route(LEGACY_PATH, get(legacy_list))
        .route("/api/files/", get(legacy_list))
        .route("/api/files/{id}", get(get_file).merge(delete(delete_file)))
        .route("/api/files/{id}/content", get(file_bytes))
        .method_not_allowed_fallback(|| async {
            ApiError::detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
        })
        .fallback(|| async { ApiError::detail(StatusCode::NOT_FOUND, "Not Found") })
        .with_state(state);
    common::serve(
        router,
        &context,
        Plumbing {
            is_list: |path| matches!(path, LIST_PATH | SEARCH_PATH | LEGACY_PATH | "/api/files/"),
            rate_limit: None,
        },
    )
}

// ---- handlers -----------------------------------------------------------------

async fn list_files(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: RawQuery,
) -> Result<Response, ApiError> {
    authorize(&headers, &state.api_key)?;
    let params = Params::from_raw(query).map_err(ApiError::malformed_query)?;
    let mut check = Checks::new(Invalid::from);
    let content = content(&mut check, &params);
    let page = check.take(params.integer("page", 1, u64::MAX)).unwrap_or(1);
    check.finish()?;
    let order = state.list_order().await?;
    let window = common::PageWindow {
        page,
        size: PAGE_SIZE as u64,
        total: order.len() as u64,
    };
    let (offset, limit) = window.positions();
    let items: Vec<FileBody> = order
        .page(offset, limit)
        .map(|index| state.file(index, Shape::List { content }))
        .collect();
    Ok(common::json(
        StatusCode::OK,
        &json!({"items": items, "total": order.len()}),
    ))
}

/// Starlette's `redirect_slashes`: the same URL with the slash, absolute.
async fn add_slash(headers: HeaderMap, request: Request) -> Response {
    let query = request
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let location = format!("{}{LIST_PATH}{query}", common::origin(&headers));
    match HeaderValue::from_str(&location) {
        Ok(location) => (
            StatusCode::TEMPORARY_REDIRECT,
            [(header::LOCATION, location)],
        )
            .into_response(),
        Err(_) => ApiError::detail(StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}

async fn search_files(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: RawQuery,
) -> Result<Response, ApiError> {
    authorize(&headers, &state.api_key)?;
    let params = Params::from_raw(query).map_err(ApiError::malformed_query)?;
    let mut check = Checks::new(Invalid::from);
    let pattern = params.raw("filename").map(str::to_lowercase);
    if pattern.is_none() {
        check.push(Invalid::missing("filename"));
    }
    let content = content(&mut check, &params);
    let skip = check.take(params.integer("skip", 0, u64::MAX)).unwrap_or(0);
    let limit = check
        .take(params.integer("limit", 1, SEARCH_MAX_LIMIT))
        .unwrap_or(SEARCH_DEFAULT_LIMIT);
    check.finish()?;
    let pattern = pattern.expect("checked above");
    let matched = state
        .searches
        .select(&state, &pattern, |state, pattern| {
            state.search(&Glob::new(pattern))
        })
        .await?;
    if matched.is_empty() {
        return Err(ApiError::detail(StatusCode::NOT_FOUND, NO_MATCH));
    }
    let skip = usize::try_from(skip).unwrap_or(usize::MAX);
    let files: Vec<FileBody> = Order::of(matched, false)
        .page(skip, limit as usize)
        .map(|index| state.file(index, Shape::List { content }))
        .collect();
    Ok(common::json(StatusCode::OK, &files))
}

async fn get_file(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    authorize(&headers, &state.api_key)?;
    let index = state.lookup(id).await?;
    Ok(common::json(
        StatusCode::OK,
        &state.file(index, Shape::Full),
    ))
}

async fn get_content(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    authorize(&headers, &state.api_key)?;
    let index = state.lookup(id).await?;
    let content = extracted_text(&state.dataset, index);
    Ok(common::json(StatusCode::OK, &json!({ "content": content })))
}

/// The raw bytes (`?attachment=true` or not: always an attachment here).
async fn file_bytes(
    State(state): State<Arc<AppState>>,
    method: Method,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    authorize(&headers, &state.api_key)?;
    let index = state.lookup(id).await?;
    Ok(state.blobs.respond(index, &method, &headers))
}

/// A known file, an authorised caller, and still nothing deleted.
async fn delete_file(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    authorize(&headers, &state.api_key)?;
    state.lookup(id).await?;
    Err(ApiError::detail(StatusCode::FORBIDDEN, READ_ONLY))
}

async fn legacy_list(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: RawQuery,
) -> Result<Response, ApiError> {
    authorize(&headers, &state.api_key)?;
    let params = Params::from_raw(query).map_err(ApiError::malformed_query)?;
    let mut check = Checks::new(Invalid::from);
    let content = content(&mut check, &params);
    check.finish()?;
    let files: Vec<FileBody> = (0..state.dataset.len().min(LEGACY_CAP))
        .map(|index| state.file(index, Shape::Legacy { content }))
        .collect();
    Ok(common::json(StatusCode::OK, &files))
}

fn authorize(headers: &HeaderMap, api_key: &str) -> Result<(), ApiError> {
    match Bearer::check(headers, api_key) {
        Bearer::Valid => Ok(()),
        // FastAPI's HTTPBearer(auto_error=False) sees no credentials at all.
        Bearer::Missing | Bearer::WrongScheme => {
            Err(ApiError::detail(StatusCode::FORBIDDEN, "Not authenticated"))
        }
        Bearer::Invalid => Err(ApiError::detail(
            StatusCode::UNAUTHORIZED,
            "Your session has expired or the token is invalid. Please sign in again.",
        )),
    }
}

// ---- orders, search and lookup ---------------------------------------------------

impl AppState {
    async fn list_order(self: &Arc<Self>) -> Result<Order, Internal> {
        let order =
            common::lazily(self, |s| &s.list_order, |s| Arc::new(s.build_list_order())).await?;
        Ok(Order::of(order, false))
    }

    fn build_list_order(&self) -> Vec<u32> {
        let dataset = &self.dataset;
        let mut keyed: Vec<(i64, u128, u32)> = (0..dataset.len())
            .map(|i| {
                // Null sorts below every time, so last when descending.
                let updated = updated_at(dataset, i).unwrap_or(i64::MIN);
                (updated, dataset.id_order_key(i), i as u32)
            })
            .collect();
        keyed.sort_unstable_by_key(|&(updated, id, _)| std::cmp::Reverse((updated, id)));
        keyed.into_iter().map(|(_, _, i)| i).collect()
    }

    /// Indices whose lowercased name matches, in list order (blocking).
    fn search(&self, glob: &Glob) -> Vec<u32> {
        let order = self
            .list_order
            .get_or_init(|| Arc::new(self.build_list_order()));
        self.dataset.filter(Some(order), |index| {
            common::lowercase_name_matches(&self.dataset, index, |name| glob.matches(name))
        })
    }

    /// The record index of a path's id; 404 for anything else.
    async fn lookup(
        self: &Arc<Self>,
        id: Result<Path<String>, PathRejection>,
    ) -> Result<usize, ApiError> {
        let not_found = || ApiError::detail(StatusCode::NOT_FOUND, NOT_FOUND);
        let Ok(Path(id)) = id else {
            return Err(not_found());
        };
        let key = parse_uuid(&id).ok_or_else(not_found)?;
        let table =
            common::lazily(self, |s| &s.ids, |s| Arc::new(IdTable::new(&s.dataset))).await?;
        table
            .find(key)
            .filter(|&index| self.dataset.file(index).id == id)
            .ok_or_else(not_found)
    }
}

/// Record ids sorted, for lookups: the ids are random draws, so they cannot be
/// mapped back to an index by arithmetic. 20 bytes per record, built once.
struct IdTable {
    keys: Vec<u128>,
    indices: Vec<u32>,
}

impl IdTable {
    fn new(dataset: &Dataset) -> IdTable {
        let mut pairs: Vec<(u128, u32)> = (0..dataset.len())
            .map(|i| (dataset.id_order_key(i), i as u32))
            .collect();
        pairs.sort_unstable();
        let (keys, indices) = pairs.into_iter().unzip();
        IdTable { keys, indices }
    }

    fn find(&self, key: u128) -> Option<usize> {
        let position = self.keys.binary_search(&key).ok()?;
        Some(self.indices[position] as usize)
    }
}

/// The 128 bits of a canonical UUID (8-4-4-4-12 hex digits).
fn parse_uuid(id: &str) -> Option<u128> {
    let bytes = id.as_bytes();
    if bytes.len() != 36 || [8, 13, 18, 23].iter().any(|&at| bytes[at] != b'-') {
        return None;
    }
    let digits: String = id.chars().filter(|&c| c != '-').collect();
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(&digits, 16).ok()
}

/// A UUID-looking id drawn from `(h, n)`.
fn uuid_from(h: u64, n: u64) -> String {
    let a = common::hex(u128::from(h.rotate_left(n as u32 * 11) ^ n), 16);
    let b = common::hex(u128::from(h.wrapping_mul(2 * n + 1) ^ 0x5bd1_e995), 16);
    format!(
        "{}-{}-4{}-a{}-{}",
        &a[..8],
        &a[8..12],
        &a[13..16],
        &b[..3],
        &b[4..16]
    )
}

/// One `fnmatch` pattern, parsed.
struct Glob(Vec<Token>);

enum Token {
    Star,
    Any,
    Char(char),
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

impl Glob {
    /// Parses like Python's `fnmatch.translate`: `[` without a closing `]` is a
    /// literal, and a `]` right after `[` or `[!` is a member.
    fn new(pattern: &str) -> Glob {
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut at = 0;
        while at < chars.len() {
            let token = match chars[at] {
                '*' => {
                    // Consecutive stars are one star.
                    if !matches!(tokens.last(), Some(Token::Star)) {
                        tokens.push(Token::Star);
                    }
                    at += 1;
                    continue;
                }
                '?' => Token::Any,
                '[' => match Self::class(&chars, at + 1) {
                    Some((token, end)) => {
                        tokens.push(token);
                        at = end + 1;
                        continue;
                    }
                    None => Token::Char('['),
                },
                c => Token::Char(c),
            };
            tokens.push(token);
            at += 1;
        }
        Glob(tokens)
    }

    /// The class starting after a `[` at `start`, and the position of its `]`.
    fn class(chars: &[char], start: usize) -> Option<(Token, usize)> {
        let mut at = start;
        let negated = chars.get(at) == Some(&'!');
        if negated {
            at += 1;
        }
        let first = at;
        let mut ranges = Vec::new();
        loop {
            let c = *chars.get(at)?;
            if c == ']' && at > first {
                return Some((Token::Class { negated, ranges }, at));
            }
            if chars.get(at + 1) == Some(&'-') && chars.get(at + 2).is_some_and(|&e| e != ']') {
                ranges.push((c, chars[at + 2]));
                at += 3;
            } else {
                ranges.push((c, c));
                at += 1;
            }
        }
    }

    /// Whether the whole of `name` matches (greedy star with backtracking).
    fn matches(&self, name: &str) -> bool {
        let name: Vec<char> = name.chars().collect();
        let (mut t, mut n) = (0, 0);
        let mut backtrack: Option<(usize, usize)> = None;
        while n < name.len() {
            match self.0.get(t) {
                Some(Token::Star) => {
                    backtrack = Some((t, n));
                    t += 1;
                    continue;
                }
                Some(token) if token.accepts(name[n]) => {
                    t += 1;
                    n += 1;
                    continue;
                }
                _ => {}
            }
            match backtrack {
                Some((star, from)) => {
                    // Let the last star eat one more character.
                    backtrack = Some((star, from + 1));
                    t = star + 1;
                    n = from + 1;
                }
                None => return false,
            }
        }
        self.0[t..].iter().all(|token| matches!(token, Token::Star))
    }
}

impl Token {
    fn accepts(&self, c: char) -> bool {
        match self {
            Token::Star | Token::Any => true,
            Token::Char(want) => *want == c,
            Token::Class { negated, ranges } => {
                ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&c)) != *negated
            }
        }
    }
}

// ---- records -------------------------------------------------------------------------

/// Which flavour of the record an endpoint returns.
#[derive(Clone, Copy)]
enum Shape {
    /// `FileModelResponse` of the current list and search: no `path`.
    List { content: bool },
    /// The legacy list: `path`, no `hash`, a bare `meta`.
    Legacy { content: bool },
    /// `GET /files/{id}`: everything, content included.
    Full,
}

#[derive(Serialize)]
struct FileBody {
    id: String,
    user_id: String,
    #[serde(skip_serializing_if = "Absent::is_absent")]
    hash: Absent<String>,
    filename: String,
    #[serde(skip_serializing_if = "Absent::is_absent")]
    path: Absent<String>,
    data: Option<DataBody>,
    meta: MetaBody,
    created_at: i64,
    updated_at: Option<i64>,
}

/// A field that is left out, or present (possibly null).
enum Absent<T> {
    Out,
    In(Option<T>),
}

impl<T> Absent<T> {
    fn is_absent(&self) -> bool {
        matches!(self, Absent::Out)
    }
}

impl<T: Serialize> Serialize for Absent<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Absent::Out | Absent::In(None) => serializer.serialize_none(),
            Absent::In(Some(value)) => value.serialize(serializer),
        }
    }
}

#[derive(Serialize)]
struct DataBody {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
}

#[derive(Serialize)]
struct MetaBody {
    name: String,
    content_type: Option<&'static str>,
    size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_hash: Option<String>,
    /// Always `{}` where present (the real server keeps upload form data here).
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Processing state of a file, as Open WebUI's `data.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    /// `data` is null: uploaded before processing existed.
    NoData,
    Pending,
    Processing,
    Completed,
    Failed,
}

fn status(dataset: &Dataset, index: usize) -> Status {
    match Salt::OpenWebUiStatus.of(dataset, index) % 100 {
        0..5 => Status::NoData,
        5..7 => Status::Pending,
        7..10 => Status::Processing,
        10..13 => Status::Failed,
        _ => Status::Completed,
    }
}

/// `updated_at`, null for about 1 file in 20.
fn updated_at(dataset: &Dataset, index: usize) -> Option<i64> {
    let nulls = Salt::OpenWebUiNulls.of(dataset, index);
    (!nulls.is_multiple_of(20)).then(|| dataset.updated_at_of(index))
}

impl AppState {
    fn file(&self, index: usize, shape: Shape) -> FileBody {
        let dataset = &self.dataset;
        let file = dataset.file(index);
        let nulls = Salt::OpenWebUiNulls.of(dataset, index);
        let (content, legacy) = match shape {
            Shape::List { content } => (content, false),
            Shape::Legacy { content } => (content, true),
            Shape::Full => (true, false),
        };
        let status = status(dataset, index);
        let data = match status {
            Status::NoData => None,
            Status::Pending | Status::Processing | Status::Failed | Status::Completed => {
                Some(DataBody {
                    status: match status {
                        Status::Pending => "pending",
                        Status::Processing => "processing",
                        Status::Failed => "failed",
                        _ => "completed",
                    },
                    content: (content && status == Status::Completed)
                        .then(|| extracted_text(dataset, index)),
                    error: (status == Status::Failed)
                        .then_some("Extracted content is not available for this file."),
                })
            }
        };
        let hash = (!Salt::OpenWebUiHash.of(dataset, index).is_multiple_of(5))
            .then(|| common::digest(dataset, index, Salt::OpenWebUiHash));
        let path = (!(nulls >> 16).is_multiple_of(50))
            .then(|| format!("{UPLOAD_DIR}/{}_{}", file.id, file.file_name));
        FileBody {
            user_id: pick(&self.users, Salt::OpenWebUiUser.of(dataset, index)).clone(),
            hash: if legacy {
                Absent::Out
            } else {
                Absent::In(hash)
            },
            path: match shape {
                Shape::List { .. } => Absent::Out,
                _ => Absent::In(path),
            },
            data,
            meta: MetaBody {
                name: file.file_name.clone(),
                content_type: (!(nulls >> 8).is_multiple_of(25)).then_some(file.content_type),
                size: file.size,
                file_hash: (!legacy && Salt::OpenWebUiFileHash.of(dataset, index) % 10 < 7)
                    .then(|| common::digest(dataset, index, Salt::OpenWebUiFileHash)),
                data: (!legacy).then(serde_json::Map::new),
            },
            created_at: file.created_at,
            updated_at: updated_at(dataset, index),
            id: file.id,
            filename: file.file_name,
        }
    }
}

const SENTENCES: &[&str] = &[
    "This document summarises the decisions taken during the quarter.",
    "Figures are provisional until the audit is complete.",
    "Action items are listed at the end of each section.",
    "Please review the attached schedule before the next meeting.",
    "The budget variance is explained in the appendix.",
    "Customer feedback was broadly positive, with two exceptions.",
    "All amounts are in euros unless stated otherwise.",
    "Open questions are marked TODO and tracked separately.",
    "The previous version of this file is superseded.",
    "Contact the owner for access to the raw data.",
];

/// The text Open WebUI would have extracted: documents and text files get
/// paragraphs (up to several kilobytes), media files none.
fn extracted_text(dataset: &Dataset, index: usize) -> String {
    let content_type = dataset.content_type_of(index);
    if ["image/", "video/", "audio/"]
        .iter()
        .any(|media| content_type.starts_with(media))
    {
        return String::new();
    }
    let h = Salt::OpenWebUiContent.of(dataset, index);
    let mut text = String::new();
    dataset.write_file_name(index, &mut text);
    text.push_str("\n\n");
    for sentence in 0..(1 + h % 60) {
        text.push_str(pick::<&str>(
            SENTENCES,
            h.rotate_left(sentence as u32 * 5) ^ sentence,
        ));
        text.push(if sentence % 4 == 3 { '\n' } else { ' ' });
    }
    text
}

// ---- errors ------------------------------------------------------------------------------

/// FastAPI's error bodies: `{"detail": "..."}`, or a list of problems for 422.
#[derive(Debug)]
enum ApiError {
    Detail(StatusCode, &'static str),
    Invalid(Vec<Invalid>),
}

impl ApiError {
    fn detail(status: StatusCode, message: &'static str) -> ApiError {
        ApiError::Detail(status, message)
    }

    fn malformed_query(_why: String) -> ApiError {
        ApiError::Invalid(vec![Invalid {
            kind: "query_parsing",
            loc: ["query", "*"],
            msg: "The query string could not be parsed".to_owned(),
            input: None,
            ctx: None,
        }])
    }
}

impl From<Internal> for ApiError {
    fn from(_: Internal) -> Self {
        ApiError::Detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Detail(status, detail) => common::json(status, &json!({ "detail": detail })),
            ApiError::Invalid(problems) => common::json(
                StatusCode::UNPROCESSABLE_ENTITY,
                &json!({ "detail": problems }),
            ),
        }
    }
}

/// One entry of a 422 `detail` list, as pydantic v2 words it.
#[derive(Debug, Serialize)]
struct Invalid {
    #[serde(rename = "type")]
    kind: &'static str,
    loc: [&'static str; 2],
    msg: String,
    input: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ctx: Option<serde_json::Value>,
}

impl Invalid {
    fn missing(name: &'static str) -> Invalid {
        Invalid {
            kind: "missing",
            loc: ["query", name],
            msg: "Field required".to_owned(),
            input: None,
            ctx: None,
        }
    }
}

impl From<ParamError> for Invalid {
    fn from(error: ParamError) -> Invalid {
        let (kind, msg, ctx) = match error.problem {
            Problem::TooSmall(min) => (
                "greater_than_equal",
                format!("Input should be greater than or equal to {min}"),
                Some(json!({ "ge": min })),
            ),
            Problem::TooLarge(max) => (
                "less_than_equal",
                format!("Input should be less than or equal to {max}"),
                Some(json!({ "le": max })),
            ),
            Problem::NotBoolean => (
                "bool_parsing",
                "Input should be a valid boolean, unable to interpret input".to_owned(),
                None,
            ),
            Problem::NotInteger | Problem::NotOneOf(_) | Problem::Invalid(_) => (
                "int_parsing",
                "Input should be a valid integer, unable to parse string as an integer".to_owned(),
                None,
            ),
        };
        Invalid {
            kind,
            loc: ["query", error.name],
            msg,
            input: Some(error.value),
            ctx,
        }
    }
}

/// pydantic's spellings of a boolean.
const TRUTHY: &[&str] = &["true", "1", "yes", "on", "t", "y"];
const FALSY: &[&str] = &["false", "0", "no", "off", "f", "n"];

/// `content`, true unless said otherwise.
fn content(check: &mut Checks<Invalid>, params: &Params) -> bool {
    check
        .take(params.boolean("content", TRUTHY, FALSY))
        .unwrap_or(true)
}

impl From<Vec<Invalid>> for ApiError {
    /// FastAPI reports every bad parameter at once.
    fn from(problems: Vec<Invalid>) -> Self {
        ApiError::Invalid(problems)
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
        testkit::server("openwebui", files).await
    }

    fn items(reply: &Reply) -> &Vec<Value> {
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["items"].as_array().unwrap()
    }

    /// Record index of every id, through the dataset.
    fn indices(records: &[Value], dataset: &Dataset) -> Vec<usize> {
        records
            .iter()
            .map(|r| {
                (0..dataset.len())
                    .find(|&i| dataset.file(i).id == r["id"].as_str().unwrap())
                    .expect("id belongs to the dataset")
            })
            .collect()
    }

    /// Every file once, with the dataset's values, in list order.
    fn assert_list_order(records: &[Value], dataset: &Dataset) {
        let found = indices(records, dataset);
        for (record, &index) in records.iter().zip(&found) {
            let file = dataset.file(index);
            assert_eq!(record["filename"], file.file_name.as_str());
            assert_eq!(record["meta"]["name"], file.file_name.as_str());
            assert_eq!(record["meta"]["size"], file.size);
            assert_eq!(record["created_at"], file.created_at);
            assert!(
                record["updated_at"].is_null() || record["updated_at"] == file.updated_at,
                "{record}"
            );
            let content_type = &record["meta"]["content_type"];
            assert!(content_type.is_null() || content_type == file.content_type);
        }
        // updated_at desc with nulls last, then id desc: checked pairwise.
        let key = |r: &Value| {
            (
                r["updated_at"].as_i64(),
                r["id"].as_str().unwrap().to_owned(),
            )
        };
        for pair in records.windows(2) {
            let (a, b) = (key(&pair[0]), key(&pair[1]));
            let ordered = match (a.0, b.0) {
                (Some(x), Some(y)) => x > y || (x == y && a.1 > b.1),
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => a.1 > b.1,
            };
            assert!(ordered, "{a:?} before {b:?}");
        }
        let unique: HashSet<usize> = found.iter().copied().collect();
        assert_eq!(unique.len(), found.len());
    }

    #[test]
    fn globs_match_like_fnmatch() {
        let cases: &[(&str, &str, bool)] = &[
            ("*report*", "q1-report.pdf", true),
            ("*report*", "report", true),
            ("report", "q1-report.pdf", false),
            ("*.pdf", "a.pdf", true),
            ("*.pdf", "a.pdf.txt", false),
            ("img_????.*", "img_0042.jpg", true),
            ("img_????.*", "img_042.jpg", false),
            ("[abc]*", "banana", true),
            ("[!abc]*", "banana", false),
            ("[a-c]x", "bx", true),
            ("[]]x", "]x", true),
            ("[x", "[x", true),
            ("a**b", "ab", true),
            ("*", "", true),
            ("?", "", false),
            ("*line*", "line\none\r\ttab.txt", true),
            ("*é*", "résumé", true),
        ];
        for (pattern, name, want) in cases {
            assert_eq!(
                Glob::new(pattern).matches(name),
                *want,
                "{pattern} vs {name:?}"
            );
        }
    }

    #[test]
    fn uuids_parse_and_users_look_like_uuids() {
        let dataset = Dataset::new(42, 5);
        for i in 0..5 {
            let id = dataset.file(i).id;
            assert_eq!(parse_uuid(&id), Some(dataset.id_order_key(i)));
        }
        assert_eq!(parse_uuid("not-a-uuid"), None);
        assert_eq!(parse_uuid("0123456789abcdef0123456789abcdef0123"), None);
        let user = uuid_from(7, 3);
        assert_eq!(user.len(), 36);
        assert!(parse_uuid(&user).is_some(), "{user}");
    }

    #[tokio::test]
    async fn first_page_has_the_fixture_shape() {
        let server = server(120).await;
        let reply = get_bearer(&server, "/api/v1/files/?page=1&content=false").await;
        let sample = fixture("openwebui_page.json");
        assert_eq!(keys(&reply.body), keys(&sample));
        assert_eq!(reply.body["total"], 120);
        let records = items(&reply);
        assert_eq!(records.len(), PAGE_SIZE);
        let fields = keys(&sample["items"][0]);
        let meta_fields: HashSet<String> = keys(&sample["items"][0]["meta"]).into_iter().collect();
        for record in records {
            assert_eq!(keys(record), fields, "{record}");
            assert!(record["created_at"].is_i64());
            assert!(record["updated_at"].is_i64() || record["updated_at"].is_null());
            assert!(
                keys(&record["meta"])
                    .iter()
                    .all(|k| meta_fields.contains(k))
            );
            assert_eq!(record["meta"]["data"], json!({}));
            let data = &record["data"];
            assert!(data.is_null() || data.get("content").is_none(), "{data}");
        }
        assert_eq!(server.stats.list_requests(), 1);
        // The nullable fields do turn up null.
        let mut all = Vec::new();
        for page in 1..=3 {
            let reply = get_bearer(
                &server,
                &format!("/api/v1/files/?page={page}&content=false"),
            )
            .await;
            all.extend(items(&reply).iter().cloned());
        }
        for null in ["/updated_at", "/data", "/hash", "/meta/content_type"] {
            assert!(
                all.iter().any(|r| r.pointer(null).unwrap().is_null()),
                "{null} never null"
            );
        }
        assert!(all.iter().any(|r| r.pointer("/meta/file_hash").is_none()));
    }

    #[tokio::test]
    async fn paging_walks_every_file_once_in_list_order() {
        let server = server(120).await;
        let mut all = Vec::new();
        for page in 1..=3 {
            let reply = get_bearer(
                &server,
                &format!("/api/v1/files/?page={page}&content=false"),
            )
            .await;
            assert_eq!(reply.body["total"], 120);
            let records = items(&reply);
            assert_eq!(records.len(), if page < 3 { 50 } else { 20 });
            all.extend(records.iter().cloned());
        }
        assert_list_order(&all, &server.dataset);
        let mut seen = indices(&all, &server.dataset);
        seen.sort_unstable();
        assert_eq!(seen, (0..120).collect::<Vec<_>>());
        // Past the end: empty, which is the end-of-list signal.
        let reply = get_bearer(&server, "/api/v1/files/?page=4&content=false").await;
        assert!(items(&reply).is_empty());
        assert_eq!(reply.body["total"], 120);
        // No page means the first one.
        let reply = get_bearer(&server, "/api/v1/files/?content=false").await;
        assert_eq!(items(&reply)[0], all[0]);
    }

    #[tokio::test]
    async fn content_is_embedded_unless_refused() {
        let server = server(200).await;
        let completed_doc = |r: &&Value| {
            r["data"]["status"] == "completed"
                && r["meta"]["content_type"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("application/") || t.starts_with("text/"))
        };
        for query in ["", "?content=true", "?page=1&content=TRUE", "?content=1"] {
            let reply = get_bearer(&server, &format!("/api/v1/files/{query}")).await;
            let records = items(&reply);
            let docs: Vec<&Value> = records.iter().filter(completed_doc).collect();
            assert!(!docs.is_empty());
            for doc in docs {
                let content = doc["data"]["content"].as_str().unwrap();
                assert!(
                    content.starts_with(doc["filename"].as_str().unwrap()),
                    "{query}"
                );
                assert!(content.len() > 40);
            }
            assert!(
                records
                    .iter()
                    .filter(|r| r["data"]["status"] != "completed")
                    .all(|r| r["data"].get("content").is_none())
            );
        }
        let reply = get_bearer(&server, "/api/v1/files/?content=false").await;
        assert!(
            items(&reply)
                .iter()
                .all(|r| r["data"].get("content").is_none())
        );
        let reply = get_bearer(&server, "/api/v1/files/search?filename=*&limit=200").await;
        assert!(
            reply
                .body
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["data"]["content"].is_string())
        );
    }

    #[tokio::test]
    async fn without_the_slash_the_list_redirects_with_its_query() {
        let server = server(10).await;
        for headers in [&[][..], &[("authorization", "Bearer demo")][..]] {
            let reply = get(&server, "/api/v1/files?page=2&content=false", headers).await;
            assert_eq!(reply.status, 307);
            assert_eq!(
                reply.header("location"),
                format!("{}/api/v1/files/?page=2&content=false", server.base_url)
            );
        }
        let reply = get(&server, "/api/v1/files", &[]).await;
        assert_eq!(
            reply.header("location"),
            format!("{}/api/v1/files/", server.base_url)
        );
        assert_eq!(server.stats.list_requests(), 0);
        // A client that follows it gets the page (same host: the token is kept).
        let _ = testkit::client();
        let followed = reqwest::Client::new()
            .get(format!("{}/api/v1/files?content=false", server.base_url))
            .bearer_auth(testkit::KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(followed.status(), 200);
        let body: Value = followed.json().await.unwrap();
        assert_eq!(body["total"], 10);
        assert_eq!(server.stats.list_requests(), 1);
    }

    #[tokio::test]
    async fn search_is_a_whole_name_case_insensitive_glob() {
        let server = server(3000).await;
        let dataset = &server.dataset;
        let names: Vec<String> = (0..dataset.len())
            .map(|i| dataset.file(i).file_name)
            .collect();
        let expected = |keep: &dyn Fn(&str) -> bool| -> HashSet<usize> {
            (0..names.len())
                .filter(|&i| keep(&names[i].to_lowercase()))
                .collect()
        };
        let cases: Vec<(&str, HashSet<usize>)> = vec![
            ("*REPORT*", expected(&|n| n.contains("report"))),
            ("*.pdf", expected(&|n| n.ends_with(".pdf"))),
            (
                "img_????.*",
                expected(&|n| {
                    let chars: Vec<char> = n.chars().collect();
                    n.starts_with("img_") && chars.len() >= 9 && chars[8] == '.'
                }),
            ),
        ];
        for (pattern, want) in cases {
            assert!(!want.is_empty(), "{pattern} matches nothing in the dataset");
            let reply = get_bearer(
                &server,
                &format!(
                    "/api/v1/files/search?filename={}&content=false&limit=1000",
                    urlencode(pattern)
                ),
            )
            .await;
            assert_eq!(reply.status, 200, "{pattern}: {}", reply.body);
            let records = reply.body.as_array().unwrap();
            let got: HashSet<usize> = indices(records, dataset).into_iter().collect();
            assert_eq!(got, want, "{pattern}");
            assert_list_order(records, dataset);
        }
        // Skip and limit page through the matches.
        let all = get_bearer(
            &server,
            "/api/v1/files/search?filename=*&content=false&limit=1000",
        )
        .await;
        let all = all.body.as_array().unwrap();
        assert_eq!(all.len(), 1000);
        let page = get_bearer(
            &server,
            "/api/v1/files/search?filename=*&content=false&skip=10&limit=5",
        )
        .await;
        assert_eq!(page.body.as_array().unwrap()[..], all[10..15]);
        let reply = get_bearer(
            &server,
            "/api/v1/files/search?filename=*&content=false&skip=2999",
        )
        .await;
        assert_eq!(reply.body.as_array().unwrap().len(), 1);
        // The whole name must match: a bare word is not a substring search.
        let bare = get_bearer(
            &server,
            "/api/v1/files/search?filename=report&content=false",
        )
        .await;
        assert_eq!(bare.status, 404);
    }

    #[tokio::test]
    async fn no_match_is_a_404_but_an_empty_page_is_not() {
        let server = server(300).await;
        let reply = get_bearer(
            &server,
            "/api/v1/files/search?filename=zzzz*qqq&content=false",
        )
        .await;
        assert_eq!(reply.status, 404);
        assert_eq!(reply.body, fixture("openwebui_search_nomatch.json"));
        let reply = get_bearer(
            &server,
            "/api/v1/files/search?filename=*&content=false&skip=300",
        )
        .await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, json!([]));
        assert_eq!(server.stats.list_requests(), 2);
    }

    #[tokio::test]
    async fn bad_parameters_are_pydantic_422_lists() {
        let server = server(10).await;
        // Path, then (parameter, error type, input) for each problem.
        type Problems = &'static [(&'static str, &'static str, &'static str)];
        let cases: &[(&str, Problems)] = &[
            (
                "/api/v1/files/?page=0",
                &[("page", "greater_than_equal", "0")],
            ),
            (
                "/api/v1/files/?page=x&content=maybe",
                &[
                    ("content", "bool_parsing", "maybe"),
                    ("page", "int_parsing", "x"),
                ],
            ),
            (
                "/api/v1/files/search?filename=*&limit=1001",
                &[("limit", "less_than_equal", "1001")],
            ),
            (
                "/api/v1/files/search?filename=*&limit=0",
                &[("limit", "greater_than_equal", "0")],
            ),
            (
                "/api/v1/files/search?filename=*&skip=-1",
                &[("skip", "greater_than_equal", "-1")],
            ),
            ("/api/files?content=2", &[("content", "bool_parsing", "2")]),
        ];
        for (path, problems) in cases {
            let reply = get_bearer(&server, path).await;
            assert_eq!(reply.status, 422, "{path}");
            let detail = reply.body["detail"].as_array().unwrap();
            assert_eq!(detail.len(), problems.len(), "{path}: {detail:?}");
            for (name, kind, input) in *problems {
                let entry = detail
                    .iter()
                    .find(|d| d["loc"] == json!(["query", name]))
                    .unwrap_or_else(|| panic!("{path}: no {name} in {detail:?}"));
                assert_eq!(entry["type"], *kind, "{path}");
                assert_eq!(entry["input"], *input, "{path}");
                assert!(
                    entry["msg"]
                        .as_str()
                        .unwrap()
                        .starts_with("Input should be")
                );
            }
        }
        let reply = get_bearer(&server, "/api/v1/files/search?content=false").await;
        assert_eq!(reply.status, 422);
        assert_eq!(reply.body["detail"][0]["type"], "missing");
        assert_eq!(reply.body["detail"][0]["loc"], json!(["query", "filename"]));
        let reply = get_bearer(&server, "/api/v1/files/search?filename=*&limit=1000").await;
        assert_eq!(reply.status, 200);
    }

    #[tokio::test]
    async fn auth_is_bearer_only_403_without_401_when_wrong() {
        let server = server(10).await;
        let forbidden = json!({"detail": "Not authenticated"});
        for headers in [
            &[][..],
            &[("x-api-key", "demo")][..],
            &[("authorization", "Basic ZGVtbzpkZW1v")][..],
            &[("authorization", "demo")][..],
        ] {
            let reply = get(&server, "/api/v1/files/?content=false", headers).await;
            assert_eq!(
                (reply.status, &reply.body),
                (403, &forbidden),
                "{headers:?}"
            );
        }
        for path in [
            "/api/v1/files/?page=0",
            "/api/v1/files/search?filename=*",
            "/api/files",
        ] {
            let reply = get(&server, path, &[("authorization", "Bearer wrong")]).await;
            assert_eq!(reply.status, 401, "{path}");
            assert!(
                reply.body["detail"]
                    .as_str()
                    .unwrap()
                    .contains("token is invalid")
            );
        }
        // Unknown paths are 404 before auth.
        let reply = get(&server, "/api/v2/files/", &[]).await;
        assert_eq!(
            (reply.status, reply.body),
            (404, json!({"detail": "Not Found"}))
        );
        let reply = testkit::send(&server, reqwest::Method::POST, "/api/v1/files/search").await;
        assert_eq!(
            (reply.status, reply.body),
            (405, json!({"detail": "Method Not Allowed"}))
        );
    }

    #[tokio::test]
    async fn one_file_by_id_is_the_full_record() {
        let server = server(200).await;
        // A completed document, found from the dataset side.
        let index = (0..200)
            .find(|&i| {
                status(&server.dataset, i) == Status::Completed
                    && server.dataset.file(i).content_type == "application/pdf"
            })
            .unwrap();
        let file = server.dataset.file(index);
        for prefix in ["/api/v1/files/", "/api/files/"] {
            let reply = get_bearer(&server, &format!("{prefix}{}", file.id)).await;
            assert_eq!(reply.status, 200);
            assert_eq!(reply.body["id"], file.id.as_str());
            assert_eq!(reply.body["filename"], file.file_name.as_str());
            assert!(reply.body["data"]["content"].as_str().unwrap().len() > 40);
            assert!(reply.body.get("path").is_some());
        }
        let reply = get_bearer(&server, &format!("/api/v1/files/{}/data/content", file.id)).await;
        assert!(
            reply.body["content"]
                .as_str()
                .unwrap()
                .starts_with(&file.file_name)
        );
        let unknown = "00000000-0000-4000-8000-000000000000";
        for id in [unknown, "nope", &file.id.to_uppercase()] {
            let reply = get_bearer(&server, &format!("/api/v1/files/{id}")).await;
            assert_eq!(
                (reply.status, reply.body),
                (404, json!({"detail": NOT_FOUND})),
                "{id}"
            );
        }
    }

    #[tokio::test]
    async fn legacy_list_is_a_bare_capped_array_in_insertion_order() {
        let server = server(LEGACY_CAP + 500).await;
        let reply = get_bearer(&server, "/api/files?content=false").await;
        assert_eq!(reply.status, 200);
        let records = reply.body.as_array().unwrap();
        assert_eq!(records.len(), LEGACY_CAP);
        let sample = fixture("openwebui_legacy_list.json");
        let fields = keys(&sample[0]);
        for (index, record) in records.iter().enumerate() {
            assert_eq!(keys(record), fields);
            assert_eq!(record["id"], server.dataset.file(index).id.as_str());
            assert_eq!(keys(&record["meta"]), keys(&sample[0]["meta"]));
        }
        let small = testkit::server("openwebui", 3).await;
        let reply = get_bearer(&small, "/api/files/?content=false").await;
        assert_eq!(reply.body.as_array().unwrap().len(), 3);
        assert_eq!(small.stats.list_requests(), 1);
    }

    /// A deep page and a deep page of a search over a million files: full, distinct, and
    /// (the search) only PDFs. How fast is measured by the benchmark, not here.
    #[tokio::test]
    async fn a_page_over_a_million_files() {
        let auth = [("authorization", "Bearer demo")];
        let reply = testkit::page_once(
            "openwebui",
            1_000_000,
            "/api/v1/files/?page=10000&content=false",
            &auth,
        )
        .await;
        let ids: Vec<String> = items(&reply)
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids.len(), PAGE_SIZE);
        assert!(testkit::distinct(&ids));
        let reply = testkit::page_once(
            "openwebui",
            1_000_000,
            "/api/v1/files/search?filename=*.pdf&content=false&skip=5000&limit=100",
            &auth,
        )
        .await;
        let found = reply.body.as_array().unwrap();
        assert_eq!(found.len(), 100);
        for r in found {
            let name = r["filename"].as_str().unwrap();
            assert!(name.to_lowercase().ends_with(".pdf"), "{name}");
        }
    }

    fn urlencode(text: &str) -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }

    #[tokio::test]
    async fn content_serves_the_bytes_with_the_bearer_key() {
        let server = server(100).await;
        let index = testkit::sizable(&server.dataset);
        let id = server.dataset.file(index).id;
        let bearer = format!("Bearer {}", testkit::KEY);
        let auth = [("authorization", bearer.as_str())];
        for path in [
            format!("/api/v1/files/{id}/content"),
            format!("/api/v1/files/{id}/content?attachment=true"),
            format!("/api/files/{id}/content"),
        ] {
            let url = format!("{}{path}", server.base_url);
            testkit::assert_serves(&server, &url, index, &auth).await;
        }
        let url = format!("{}/api/v1/files/{id}/content", server.base_url);
        let refused = testkit::fetch(reqwest::Method::GET, &url, &[]).await;
        assert_eq!(refused.status, 403);
        assert_eq!(refused.json(), json!({"detail": "Not authenticated"}));
        let unknown = format!(
            "{}/api/v1/files/00000000-0000-4000-8000-000000000000/content",
            server.base_url
        );
        let missing = testkit::fetch(reqwest::Method::GET, &unknown, &auth).await;
        assert_eq!(missing.status, 404);
    }

    #[tokio::test]
    async fn delete_is_refused_the_server_is_read_only() {
        let server = server(20).await;
        let id = server.dataset.file(3).id;
        for prefix in ["/api/v1/files/", "/api/files/"] {
            let path = format!("{prefix}{id}");
            let reply = testkit::send(&server, reqwest::Method::DELETE, &path).await;
            assert_eq!(
                (reply.status, reply.body),
                (403, json!({"detail": READ_ONLY}))
            );
            let url = format!("{}{path}", server.base_url);
            let anonymous = testkit::fetch(reqwest::Method::DELETE, &url, &[]).await;
            assert_eq!(anonymous.status, 403);
            assert_eq!(anonymous.json(), json!({"detail": "Not authenticated"}));
        }
        let unknown = "/api/v1/files/00000000-0000-4000-8000-000000000000";
        let reply = testkit::send(&server, reqwest::Method::DELETE, unknown).await;
        assert_eq!(
            (reply.status, reply.body),
            (404, json!({"detail": NOT_FOUND}))
        );
        // Still there.
        let reply = get_bearer(&server, &format!("/api/v1/files/{id}")).await;
        assert_eq!(reply.status, 200);
    }
}
