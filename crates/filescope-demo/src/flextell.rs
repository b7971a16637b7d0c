//! The Flextell dialect over HTTP, as its Laravel API answers.
//!
//! - `GET /v1/files`: a Laravel length-aware paginator (`data`, `links`,
//!   `meta`). `per_page` 1..=100, default 15 (Laravel's). `links` and
//!   `meta.links` are absolute URLs built from the request's `Host`, and, as
//!   Laravel's paginator does unless told `withQueryString()`, they carry only
//!   `page`: following `links.next` literally drops `per_page`, sorting and
//!   filters. `links.next` is null on the last page; `from`/`to` are null on an
//!   empty page; `last_page` is at least 1.
//! - Sorting: `sort_by` name|size|type|created_at|updated_at (default
//!   `created_at`), `sort_order` asc|desc (default `desc`); `type` sorts by the
//!   category name. Ties go by id, reversed for desc.
//! - Filters: `type` (category), `fileable_type`, `fileable_id` (alone it
//!   matches that id under any type), `trashed`. Trashed files (about 3 in
//!   100, with `deleted_at` set) are left out unless `trashed` is true, which
//!   lists only them, as Eloquent's `onlyTrashed()`. `trashed` accepts
//!   true/false/1/0, any case; anything else is a 422.
//! - `X-Tenant: <n>` (optional) scopes every endpoint to tenant n: each file
//!   belongs to one of tenants 1..=12 (a file attached to a tenant belongs to
//!   that one); other numbers are accepted and see nothing. A value that is not
//!   a non-negative integer is a 400 `invalid_tenant`.
//! - `GET /v1/files/{id}` → `{success, data}`: `success` is the string "true"
//!   for even ids and `true` for odd ones, so clients meet both spellings.
//!   Trashed files are still found here (the route is declared `withTrashed`).
//!
//! - `temporary_url` is `{origin}/storage/{id}?expires=E&signature=S` on this
//!   server's own origin (`temporary_thumbnail_url` the same under
//!   `/storage/{id}/thumbnail`), like Laravel's `URL::temporarySignedRoute`:
//!   `GET/HEAD` of it needs no token, only the signature, and serves the
//!   file's bytes with ranges (see [`super::content`]; a thumbnail is the
//!   image itself). A missing or wrong signature, or a past `expires`, is a
//!   403 `{error: "invalid_signature", message}`.
//!
//! Ids are integers, `index + 1`. Auth is `Authorization: Bearer <key>`;
//! failures are 401 `{error: "invalid_token", message}` with a
//! `WWW-Authenticate` header. Invalid parameters are all reported in one 422
//! that carries both documented envelopes: `{error: "validation_error",
//! message, errors: {field: [...]}}`. Every response carries
//! `X-RateLimit-Limit/Remaining/Reset` (1000 a minute; never enforced).

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use serde_json::json;

use super::common::{
    self, Bearer, Checks, Context, Internal, PageWindow, ParamError, Params, Plumbing, Problem,
    RawQuery, Salt, ScanCache, pick,
};
use super::content::Blobs;
use super::dataset::{Dataset, Order, SortKey};

const LIST_PATH: &str = "/v1/files";
const MAX_PER_PAGE: u64 = 100;
const DEFAULT_PER_PAGE: u64 = 15;
const RATE_LIMIT: u64 = 1000;
/// Tenants own files `1..=TENANTS`.
pub(super) const TENANTS: u64 = 12;
/// Where signed links point, under this server's origin.
const STORAGE_PATH: &str = "/storage";
/// What the signature of a download and of a thumbnail link is salted with.
const DOWNLOAD_SALT: u64 = 1;
const THUMBNAIL_SALT: u64 = 2;

/// The `type` of a file: a category, not a MIME type. In name order, which is
/// the order `sort_by=type` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Category {
    Audio,
    Catalog,
    Certificate,
    FormImage,
    Image,
    Other,
}

/// In the order the spec lists them.
const CATEGORIES: [(&str, Category); 6] = [
    ("form_image", Category::FormImage),
    ("audio", Category::Audio),
    ("catalog", Category::Catalog),
    ("certificate", Category::Certificate),
    ("image", Category::Image),
    ("other", Category::Other),
];

impl Category {
    fn as_str(self) -> &'static str {
        CATEGORIES
            .iter()
            .find(|(_, c)| *c == self)
            .map(|(name, _)| *name)
            .expect("every category has a name")
    }

    fn of(dataset: &Dataset, index: usize) -> Category {
        let content_type = dataset.content_type_of(index);
        let roll = Salt::FlextellCategory.of(dataset, index) % 100;
        if content_type.starts_with("image/") {
            match roll {
                0..20 => Category::FormImage,
                20..30 => Category::Certificate,
                _ => Category::Image,
            }
        } else if content_type.starts_with("audio/") {
            Category::Audio
        } else if content_type == "application/pdf" {
            match roll {
                0..35 => Category::Catalog,
                35..55 => Category::Certificate,
                _ => Category::Other,
            }
        } else {
            Category::Other
        }
    }
}

/// What a file is attached to (`fileable_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Fileable {
    Customer,
    User,
    Tenant,
    ChatLog,
    AiReport,
}

/// Wire name, share of files (percent) and how many such owners exist.
const FILEABLES: [(&str, Fileable, u64, u64); 5] = [
    ("customer", Fileable::Customer, 45, 2000),
    ("user", Fileable::User, 20, 150),
    ("tenant", Fileable::Tenant, 10, TENANTS),
    ("chat_log", Fileable::ChatLog, 15, 40_000),
    ("ai_report", Fileable::AiReport, 10, 3000),
];

/// Who owns a file: attached-to, its id, and the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Owner {
    fileable: Fileable,
    fileable_id: u64,
    tenant: u64,
}

impl Owner {
    fn of(dataset: &Dataset, index: usize) -> Owner {
        let h = Salt::FlextellFileable.of(dataset, index);
        let mut roll = h % 100;
        let (_, fileable, _, count) = FILEABLES
            .into_iter()
            .find(|&(_, _, share, _)| {
                let hit = roll < share;
                roll = roll.saturating_sub(share);
                hit
            })
            .expect("shares add up to 100");
        let fileable_id = 1 + (h >> 8) % count;
        Owner {
            fileable,
            fileable_id,
            tenant: if fileable == Fileable::Tenant {
                fileable_id
            } else {
                1 + (h >> 40) % TENANTS
            },
        }
    }

    fn type_name(self) -> &'static str {
        FILEABLES
            .iter()
            .find(|f| f.1 == self.fileable)
            .map(|f| f.0)
            .expect("every fileable has a name")
    }
}

/// When the file was soft-deleted, for about 3 files in 100.
fn deleted_at(dataset: &Dataset, index: usize) -> Option<i64> {
    let h = Salt::FlextellTrashed.of(dataset, index);
    (h % 100 < 3).then(|| dataset.updated_at_of(index) + 60 + ((h >> 8) % (7 * 86_400)) as i64)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum SortBy {
    Name,
    Size,
    Type,
    CreatedAt,
    UpdatedAt,
}

const SORTS: [(&str, SortBy); 5] = [
    ("name", SortBy::Name),
    ("size", SortBy::Size),
    ("type", SortBy::Type),
    ("created_at", SortBy::CreatedAt),
    ("updated_at", SortBy::UpdatedAt),
];

/// A listing's selection: everything but the direction and the page.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Selection {
    sort_by: SortBy,
    category: Option<Category>,
    fileable: Option<Fileable>,
    fileable_id: Option<u64>,
    trashed: bool,
    tenant: Option<u64>,
}

impl Selection {
    fn keeps(&self, dataset: &Dataset, index: usize) -> bool {
        if deleted_at(dataset, index).is_some() != self.trashed {
            return false;
        }
        if self
            .category
            .is_some_and(|c| c != Category::of(dataset, index))
        {
            return false;
        }
        if self.fileable.is_none() && self.fileable_id.is_none() && self.tenant.is_none() {
            return true;
        }
        let owner = Owner::of(dataset, index);
        self.fileable.is_none_or(|f| f == owner.fileable)
            && self.fileable_id.is_none_or(|id| id == owner.fileable_id)
            && self.tenant.is_none_or(|t| t == owner.tenant)
    }
}

struct AppState {
    dataset: Arc<Dataset>,
    api_key: String,
    groups: Vec<String>,
    /// Ascending by category name, ties by index: `sort_by=type`.
    by_category: OnceLock<Arc<Vec<u32>>>,
    selections: ScanCache<Selection>,
    /// This server's `http://HOST:PORT`, before every signed link.
    origin: String,
    blobs: Blobs,
}

pub(super) fn router(context: Context) -> Router {
    let dataset = Arc::clone(&context.dataset);
    let groups_seed = Salt::FlextellGroups.global(&dataset);
    let groups = (0..40u64)
        .map(|n| {
            format!(
                "g-{}",
                common::hex(u128::from(common::mix(groups_seed ^ n)), 4)
            )
        })
        .collect();
    let state = Arc::new(AppState {
        dataset,
        api_key: context.api_key.clone(),
        groups,
        by_category: OnceLock::new(),
        selections: ScanCache::new(),
        origin: context.origin.clone(),
        blobs: Blobs::new(&context),
    });
    let router = Router::new()
        .route(LIST_PATH, get(list_files))
        .route("/v1/files/{id}", get(get_file))
        .route("/storage/{id}", get(signed_download))
        .route("/storage/{id}/thumbnail", get(signed_thumbnail))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .with_state(state);
    common::serve(
        router,
        &context,
        Plumbing {
            is_list: |path| path == LIST_PATH,
            rate_limit: Some(RATE_LIMIT),
        },
    )
}

// ---- handlers -------------------------------------------------------------------

async fn list_files(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: RawQuery,
) -> Result<Response, ApiError> {
    authorize(&headers, &state.api_key)?;
    let tenant = tenant(&headers)?;
    let params = Params::from_raw(query).map_err(|why| ApiError::invalid("query", why))?;
    let mut check = Checks::new(|error| (error.name, laravel_message(&error)));
    let window = check.page(&params, "per_page", MAX_PER_PAGE, DEFAULT_PER_PAGE);
    let sort_by = check
        .take(params.one_of("sort_by", &SORTS))
        .unwrap_or(SortBy::CreatedAt);
    let descending = check
        .take(params.one_of("sort_order", &[("asc", false), ("desc", true)]))
        .unwrap_or(true);
    let category = check.take(params.one_of("type", &CATEGORIES));
    let fileables = FILEABLES.map(|(name, fileable, ..)| (name, fileable));
    let fileable = check.take(params.one_of("fileable_type", &fileables));
    let fileable_id = check.take(params.integer("fileable_id", 1, u64::MAX));
    let trashed = check
        .take(params.boolean("trashed", &["true", "1"], &["false", "0"]))
        .unwrap_or(false);
    check.finish()?;

    let selection = Selection {
        sort_by,
        category,
        fileable,
        fileable_id,
        trashed,
        tenant,
    };
    let matched = state
        .selections
        .select(&state, &selection, AppState::select)
        .await?;
    let order = Order::of(matched, descending);
    let window = PageWindow {
        total: order.len() as u64,
        ..window
    };
    let (offset, limit) = window.positions();
    let data: Vec<FileBody> = order
        .page(offset, limit)
        .map(|index| state.file(index))
        .collect();
    let path = format!("{}{LIST_PATH}", common::origin(&headers));
    let body = paginator(&path, window, data);
    Ok(common::json(StatusCode::OK, &body))
}

async fn get_file(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    authorize(&headers, &state.api_key)?;
    let tenant = tenant(&headers)?;
    let index = id
        .ok()
        .and_then(|Path(id)| id.parse::<u64>().ok())
        .and_then(|id| usize::try_from(id.checked_sub(1)?).ok())
        .filter(|&index| index < state.dataset.len())
        .filter(|&index| tenant.is_none_or(|t| Owner::of(&state.dataset, index).tenant == t))
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "File not found."))?;
    let file = state.file(index);
    let success = if file.id % 2 == 0 {
        json!("true")
    } else {
        json!(true)
    };
    Ok(common::json(
        StatusCode::OK,
        &json!({ "success": success, "data": file }),
    ))
}

/// The signature of a link to file `secret`'s download or thumbnail.
fn link_signature(secret: u64, salt: u64, expires: i64) -> String {
    common::signature(secret ^ salt, expires as u64, 64)
}

async fn signed_download(
    State(state): State<Arc<AppState>>,
    id: Result<Path<String>, PathRejection>,
    query: RawQuery,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let index = state.check_signed(id, query, DOWNLOAD_SALT)?;
    Ok(state.blobs.respond(index, &method, &headers))
}

async fn signed_thumbnail(
    State(state): State<Arc<AppState>>,
    id: Result<Path<String>, PathRejection>,
    query: RawQuery,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let index = state.check_signed(id, query, THUMBNAIL_SALT)?;
    Ok(state.blobs.respond(index, &method, &headers))
}

impl AppState {
    /// The file a signed link names, if its signature is this server's and it
    /// has not expired. No token and no tenant: the signature is the grant.
    fn check_signed(
        &self,
        id: Result<Path<String>, PathRejection>,
        query: RawQuery,
        salt: u64,
    ) -> Result<usize, ApiError> {
        let index = id
            .ok()
            .and_then(|Path(id)| id.parse::<u64>().ok())
            .and_then(|id| usize::try_from(id.checked_sub(1)?).ok())
            .filter(|&index| index < self.dataset.len())
            .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "File not found."))?;
        let secret = Salt::FlextellSecret.of(&self.dataset, index);
        common::check_signed_link(query, "signature", |expires| {
            link_signature(secret, salt, expires)
        })
        .map_err(|why| {
            let message = match why {
                common::LinkRefusal::Expired => "Invalid signature: the link has expired.",
                _ => "Invalid signature.",
            };
            ApiError::new(StatusCode::FORBIDDEN, "invalid_signature", message)
        })?;
        Ok(index)
    }
}

async fn not_found(request: Request) -> ApiError {
    let route = request.uri().path().trim_start_matches('/').to_owned();
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("The route {route} could not be found."),
    )
}

async fn method_not_allowed(request: Request) -> Response {
    let route = request.uri().path().trim_start_matches('/').to_owned();
    let mut response = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "The {} method is not supported for route {route}. Supported methods: GET, HEAD.",
            request.method()
        ),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    response
}

fn authorize(headers: &HeaderMap, api_key: &str) -> Result<(), ApiError> {
    let message = match Bearer::check(headers, api_key) {
        Bearer::Valid => return Ok(()),
        Bearer::Missing => "No access token was provided.",
        Bearer::WrongScheme => "The Authorization header must use the Bearer scheme.",
        Bearer::Invalid => "The access token is invalid or has expired.",
    };
    Err(ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        message,
    ))
}

/// The `X-Tenant` header: absent, or a non-negative integer.
fn tenant(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get("x-tenant") else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse::<u64>().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_tenant",
                "The X-Tenant header must be a tenant number.",
            )
        })
}

// ---- selections -------------------------------------------------------------------

impl AppState {
    /// The records `selection` keeps, ascending in its sort order (blocking).
    fn select(&self, selection: &Selection) -> Vec<u32> {
        let dataset = &self.dataset;
        let base = match selection.sort_by {
            SortBy::Name => dataset.sorted(SortKey::FileName),
            SortBy::Size => dataset.sorted(SortKey::Size),
            SortBy::CreatedAt => None,
            SortBy::UpdatedAt => dataset.sorted(SortKey::UpdatedAt),
            SortBy::Type => Some(Arc::clone(
                self.by_category
                    .get_or_init(|| Arc::new(self.sort_by_category())),
            )),
        };
        dataset.filter(base.as_ref().map(|b| b.as_slice()), |index| {
            selection.keeps(dataset, index)
        })
    }

    fn sort_by_category(&self) -> Vec<u32> {
        let mut buckets: Vec<Vec<u32>> = vec![Vec::new(); CATEGORIES.len()];
        let mut names: Vec<(&str, Category)> = CATEGORIES.to_vec();
        names.sort_unstable_by_key(|(name, _)| *name);
        for index in 0..self.dataset.len() {
            let category = Category::of(&self.dataset, index);
            let slot = names.iter().position(|(_, c)| *c == category).unwrap_or(0);
            buckets[slot].push(index as u32);
        }
        buckets.concat()
    }

    fn file(&self, index: usize) -> FileBody {
        let dataset = &self.dataset;
        let file = dataset.file(index);
        let id = index as u64 + 1;
        let category = Category::of(dataset, index);
        let owner = Owner::of(dataset, index);
        let group = Salt::FlextellGroup.of(dataset, index);
        let description = Salt::FlextellDescription.of(dataset, index);
        // Links expire at the end of the next full hour, so they are stable
        // for a while and then change, like real signed links.
        let expires = (common::unix_now() / 3600 + 2) * 3600;
        let secret = Salt::FlextellSecret.of(dataset, index);
        let origin = &self.origin;
        let signed = |what: &str, salt: u64| {
            format!(
                "{origin}{STORAGE_PATH}/{id}{what}?expires={expires}&signature={}",
                link_signature(secret, salt, expires)
            )
        };
        FileBody {
            id,
            description: (!description.is_multiple_of(10)).then(|| {
                let what = match category {
                    Category::FormImage => "Photo of a completed form",
                    Category::Audio => "Call recording",
                    Category::Catalog => "Product catalog",
                    Category::Certificate => "Scanned certificate",
                    Category::Image => "Uploaded image",
                    Category::Other => "Attachment",
                };
                format!("{what} for {} #{}", owner.type_name(), owner.fileable_id)
            }),
            category: category.as_str(),
            mime_type: file.content_type,
            formatted_size: common::human_size(file.size),
            size: file.size,
            group_id: (group % 100 >= 15).then(|| pick(&self.groups, group >> 8).clone()),
            fileable_type: owner.type_name(),
            fileable_id: owner.fileable_id,
            temporary_url: signed("", DOWNLOAD_SALT),
            temporary_thumbnail_url: file
                .content_type
                .starts_with("image/")
                .then(|| signed("/thumbnail", THUMBNAIL_SALT)),
            created_at: common::iso(file.created_at),
            updated_at: common::iso(file.updated_at),
            deleted_at: deleted_at(dataset, index).map(common::iso),
            name: file.file_name,
        }
    }
}

// ---- bodies --------------------------------------------------------------------------

#[derive(Serialize)]
struct FileBody {
    id: u64,
    name: String,
    description: Option<String>,
    #[serde(rename = "type")]
    category: &'static str,
    mime_type: &'static str,
    size: u64,
    formatted_size: String,
    group_id: Option<String>,
    fileable_type: &'static str,
    fileable_id: u64,
    temporary_url: String,
    temporary_thumbnail_url: Option<String>,
    created_at: String,
    updated_at: String,
    deleted_at: Option<String>,
}

#[derive(Serialize)]
struct Paginator {
    data: Vec<FileBody>,
    links: Links,
    meta: Meta,
}

#[derive(Serialize)]
struct Links {
    first: String,
    last: String,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(Serialize)]
struct Meta {
    current_page: u64,
    from: Option<u64>,
    last_page: u64,
    links: Vec<PageLink>,
    path: String,
    per_page: u64,
    to: Option<u64>,
    total: u64,
}

#[derive(Debug, Serialize, PartialEq)]
struct PageLink {
    url: Option<String>,
    label: String,
    active: bool,
}

/// Laravel's `LengthAwarePaginator::toArray()` for this page.
fn paginator(path: &str, window: PageWindow, data: Vec<FileBody>) -> Paginator {
    let url = |page: u64| format!("{path}?page={page}");
    let last_page = window.pages().max(1);
    let current = window.page;
    let prev = (current > 1).then(|| url(current - 1));
    let next = (current < last_page).then(|| url(current + 1));
    let count = data.len() as u64;
    let from = (count > 0).then(|| window.offset() + 1);
    let mut links = vec![PageLink {
        url: prev.clone(),
        label: "&laquo; Previous".to_owned(),
        active: false,
    }];
    for element in page_elements(current, last_page) {
        links.push(match element {
            Some(page) => PageLink {
                url: Some(url(page)),
                label: page.to_string(),
                active: page == current,
            },
            None => PageLink {
                url: None,
                label: "...".to_owned(),
                active: false,
            },
        });
    }
    links.push(PageLink {
        url: next.clone(),
        label: "Next &raquo;".to_owned(),
        active: false,
    });
    Paginator {
        data,
        links: Links {
            first: url(1),
            last: url(last_page),
            prev,
            next,
        },
        meta: Meta {
            current_page: current,
            from,
            last_page,
            links,
            path: path.to_owned(),
            per_page: window.size,
            to: from.map(|from| from + count - 1),
            total: window.total,
        },
    }
}

/// The numbered page links of Laravel's `UrlWindow` (`onEachSide` 3); `None`
/// is a "..." gap.
fn page_elements(current: u64, last: u64) -> Vec<Option<u64>> {
    const ON_EACH_SIDE: u64 = 3;
    const WINDOW: u64 = ON_EACH_SIDE + 4;
    let range = |from: u64, to: u64| (from..=to).map(Some).collect::<Vec<_>>();
    if last < ON_EACH_SIDE * 2 + 8 {
        return range(1, last);
    }
    let (first, slider, tail) = if current <= WINDOW {
        (range(1, WINDOW + ON_EACH_SIDE), None, range(last - 1, last))
    } else if current > last - WINDOW {
        (
            range(1, 2),
            None,
            range(last - (WINDOW + ON_EACH_SIDE - 1), last),
        )
    } else {
        (
            range(1, 2),
            Some(range(current - ON_EACH_SIDE, current + ON_EACH_SIDE)),
            range(last - 1, last),
        )
    };
    let mut elements = first;
    if let Some(slider) = slider {
        elements.push(None);
        elements.extend(slider);
    }
    elements.push(None);
    elements.extend(tail);
    elements
}

// ---- errors ---------------------------------------------------------------------------

#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    body: serde_json::Value,
}

impl ApiError {
    fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: json!({ "error": code, "message": message.into() }),
        }
    }

    /// A 422 for one field.
    fn invalid(field: &str, message: String) -> ApiError {
        let mut errors = serde_json::Map::new();
        errors.insert(field.to_owned(), json!([message]));
        ApiError::validation(message, errors)
    }

    fn validation(message: String, errors: serde_json::Map<String, serde_json::Value>) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: json!({ "error": "validation_error", "message": message, "errors": errors }),
        }
    }
}

impl From<Internal> for ApiError {
    fn from(_: Internal) -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "Server Error",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = common::json(self.status, &self.body);
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        response
    }
}

impl From<Vec<(&'static str, String)>> for ApiError {
    /// Laravel's 422: the first message (with a count of the others) and
    /// every message by field.
    fn from(problems: Vec<(&'static str, String)>) -> Self {
        let first = problems.first().map(|(_, m)| m.clone()).unwrap_or_default();
        let message = match problems.len() {
            0 | 1 => first,
            2 => format!("{first} (and 1 more error)"),
            n => format!("{first} (and {} more errors)", n - 1),
        };
        let errors = problems
            .into_iter()
            .map(|(field, message)| (field.to_owned(), json!([message])))
            .collect();
        ApiError::validation(message, errors)
    }
}

/// A rule a parameter failed, worded as Laravel's validator words it.
fn laravel_message(error: &ParamError) -> String {
    let field = error.name.replace('_', " ");
    match &error.problem {
        Problem::TooSmall(_) | Problem::TooLarge(_) if error.name == "per_page" => {
            format!("The {field} field must be between 1 and {MAX_PER_PAGE}.")
        }
        Problem::TooSmall(min) => format!("The {field} field must be at least {min}."),
        Problem::TooLarge(max) => format!("The {field} field must not be greater than {max}."),
        Problem::NotInteger => format!("The {field} field must be an integer."),
        Problem::NotOneOf(_) | Problem::Invalid(_) => format!("The selected {field} is invalid."),
        Problem::NotBoolean => format!("The {field} field must be true or false."),
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
    use std::collections::HashSet;

    async fn server(files: usize) -> DemoServer {
        testkit::server("flextell", files).await
    }

    fn data(reply: &Reply) -> &Vec<Value> {
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["data"].as_array().unwrap()
    }

    fn ids(records: &[Value]) -> Vec<u64> {
        records.iter().map(|r| r["id"].as_u64().unwrap()).collect()
    }

    /// Every page of a listing, following page numbers (not `links.next`, which
    /// drops the query) until `links.next` is null.
    async fn all_pages(server: &DemoServer, query: &str) -> Vec<Value> {
        let mut records = Vec::new();
        for page in 1.. {
            let reply = get_bearer(server, &format!("/v1/files?{query}&page={page}")).await;
            records.extend(data(&reply).iter().cloned());
            if reply.body["links"]["next"].is_null() {
                assert_eq!(reply.body["meta"]["last_page"], page);
                break;
            }
        }
        records
    }

    #[test]
    fn page_links_follow_laravels_url_window() {
        let show = |current, last| -> String {
            page_elements(current, last)
                .into_iter()
                .map(|e| e.map_or("...".to_owned(), |p| p.to_string()))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(show(1, 1), "1");
        assert_eq!(show(2, 13), "1 2 3 4 5 6 7 8 9 10 11 12 13");
        assert_eq!(show(1, 14), "1 2 3 4 5 6 7 8 9 10 ... 13 14");
        assert_eq!(show(7, 50), "1 2 3 4 5 6 7 8 9 10 ... 49 50");
        assert_eq!(show(8, 50), "1 2 ... 5 6 7 8 9 10 11 ... 49 50");
        assert_eq!(show(43, 50), "1 2 ... 40 41 42 43 44 45 46 ... 49 50");
        assert_eq!(show(44, 50), "1 2 ... 41 42 43 44 45 46 47 48 49 50");
        assert_eq!(show(900, 50), "1 2 ... 41 42 43 44 45 46 47 48 49 50");
    }

    #[test]
    fn laravel_wording() {
        let error = |name, problem| ParamError {
            name,
            value: "x".into(),
            problem,
        };
        assert_eq!(
            laravel_message(&error("per_page", Problem::TooLarge(100))),
            "The per page field must be between 1 and 100."
        );
        assert_eq!(
            laravel_message(&error("sort_by", Problem::NotOneOf(vec![]))),
            "The selected sort by is invalid."
        );
        assert_eq!(
            laravel_message(&error("fileable_id", Problem::TooSmall(1))),
            "The fileable id field must be at least 1."
        );
    }

    #[tokio::test]
    async fn first_page_has_the_fixture_shape() {
        let server = server(40).await;
        let reply = get_bearer(&server, "/v1/files").await;
        let sample = fixture("flextell_page.json");
        assert_eq!(keys(&reply.body), keys(&sample));
        assert_eq!(keys(&reply.body["links"]), keys(&sample["links"]));
        assert_eq!(keys(&reply.body["meta"]), keys(&sample["meta"]));
        let records = data(&reply);
        assert_eq!(records.len(), 15);
        for record in records {
            assert_eq!(keys(record), keys(&sample["data"][0]));
            let file = server
                .dataset
                .file(record["id"].as_u64().unwrap() as usize - 1);
            assert_eq!(record["name"], file.file_name.as_str());
            assert_eq!(record["mime_type"], file.content_type);
            assert_eq!(record["size"], file.size);
            assert_eq!(record["created_at"], common::iso(file.created_at));
            assert_eq!(record["updated_at"], common::iso(file.updated_at));
            assert!(record["deleted_at"].is_null());
            let url = record["temporary_url"].as_str().unwrap();
            assert!(
                url.contains("?expires=") && url.contains("&signature="),
                "{url}"
            );
            assert!(record["formatted_size"].as_str().unwrap().ends_with('B'));
        }
        for link in reply.body["meta"]["links"].as_array().unwrap() {
            assert_eq!(keys(link), ["active", "label", "url"]);
        }
        let meta = &reply.body["meta"];
        let path = format!("{}/v1/files", server.base_url);
        assert_eq!(meta["path"], path.as_str());
        assert_eq!(reply.body["links"]["first"], format!("{path}?page=1"));
        assert_eq!(
            (meta["current_page"].as_u64(), meta["per_page"].as_u64()),
            (Some(1), Some(15))
        );
        assert_eq!(
            (meta["from"].as_u64(), meta["to"].as_u64()),
            (Some(1), Some(15))
        );
        assert!(reply.body["links"]["prev"].is_null());
        assert_eq!(reply.body["links"]["next"], format!("{path}?page=2"));
        // Newest first by default.
        let created: Vec<&str> = records
            .iter()
            .map(|r| r["created_at"].as_str().unwrap())
            .collect();
        assert!(created.windows(2).all(|w| w[0] >= w[1]));
        assert_rate_limited(&reply);
    }

    #[tokio::test]
    async fn paging_walks_every_file_once_trashed_apart() {
        let server = server(700).await;
        let live = all_pages(&server, "per_page=100").await;
        let trashed = all_pages(&server, "per_page=100&trashed=true").await;
        assert!(
            !trashed.is_empty() && trashed.len() < 60,
            "{}",
            trashed.len()
        );
        assert!(live.iter().all(|r| r["deleted_at"].is_null()));
        for record in &trashed {
            let deleted = record["deleted_at"].as_str().unwrap();
            assert!(deleted > record["updated_at"].as_str().unwrap());
        }
        let mut every: Vec<u64> = ids(&live).into_iter().chain(ids(&trashed)).collect();
        every.sort_unstable();
        assert_eq!(every, (1..=700).collect::<Vec<u64>>());
        assert_eq!(
            ids(&all_pages(&server, "per_page=7&trashed=0").await),
            ids(&live)
        );
        // The last page's numbers.
        let total = live.len() as u64;
        let last_page = total.div_ceil(100);
        let reply = get_bearer(&server, &format!("/v1/files?per_page=100&page={last_page}")).await;
        let meta = &reply.body["meta"];
        assert_eq!(meta["total"], total);
        assert_eq!(meta["to"], total);
        assert_eq!(meta["from"], (last_page - 1) * 100 + 1);
        assert!(reply.body["links"]["next"].is_null());
        assert_eq!(
            reply.body["links"]["prev"],
            format!("{}/v1/files?page={}", server.base_url, last_page - 1)
        );
        // Past the end: empty page, null from/to, still numbered.
        let reply = get_bearer(&server, "/v1/files?per_page=100&page=99").await;
        assert!(data(&reply).is_empty());
        let meta = &reply.body["meta"];
        assert!(meta["from"].is_null() && meta["to"].is_null());
        assert_eq!(meta["current_page"], 99);
        assert!(reply.body["links"]["next"].is_null());
    }

    #[tokio::test]
    async fn each_sort_field_orders_both_ways() {
        let server = server(400).await;
        let key = |field: &'static str| {
            move |r: &Value| -> (String, u64) {
                let id = r["id"].as_u64().unwrap();
                match field {
                    "size" => (format!("{:020}", r["size"].as_u64().unwrap()), id),
                    "name" => (r["name"].as_str().unwrap().to_lowercase(), id),
                    "type" => (r["type"].as_str().unwrap().to_owned(), id),
                    other => (r[other].as_str().unwrap().to_owned(), id),
                }
            }
        };
        for field in ["name", "size", "type", "created_at", "updated_at"] {
            for order in ["asc", "desc"] {
                let records = all_pages(
                    &server,
                    &format!("per_page=100&sort_by={field}&sort_order={order}"),
                )
                .await;
                let keys: Vec<(String, u64)> = records.iter().map(key(field)).collect();
                let mut sorted = keys.clone();
                sorted.sort();
                if order == "desc" {
                    sorted.reverse();
                }
                assert_eq!(keys, sorted, "{field} {order}");
            }
        }
    }

    #[tokio::test]
    async fn filters_select_what_they_say() {
        let server = server(600).await;
        let all = all_pages(&server, "per_page=100").await;
        let mut by_type = 0;
        for (category, _) in CATEGORIES {
            let records = all_pages(&server, &format!("per_page=100&type={category}")).await;
            assert!(records.iter().all(|r| r["type"] == category));
            by_type += records.len();
            let expected: Vec<u64> = ids(&all)
                .into_iter()
                .filter(|id| all.iter().any(|r| r["id"] == *id && r["type"] == category))
                .collect();
            assert_eq!(ids(&records), expected, "{category}");
        }
        assert_eq!(by_type, all.len());
        assert!(all.iter().any(
            |r| r["type"] == "image" && r["mime_type"].as_str().unwrap().starts_with("image/")
        ));
        // fileable_type and fileable_id, alone and together.
        let customer = all
            .iter()
            .find(|r| r["fileable_type"] == "customer")
            .unwrap();
        let customer_id = customer["fileable_id"].as_u64().unwrap();
        for (query, keep) in [
            (
                format!("fileable_type=customer&fileable_id={customer_id}"),
                Box::new(|r: &Value| {
                    r["fileable_type"] == "customer" && r["fileable_id"] == customer_id
                }) as Box<dyn Fn(&Value) -> bool>,
            ),
            (
                "fileable_type=chat_log".to_owned(),
                Box::new(|r: &Value| r["fileable_type"] == "chat_log"),
            ),
            (
                format!("fileable_id={customer_id}"),
                Box::new(move |r: &Value| r["fileable_id"] == customer_id),
            ),
        ] {
            let records = all_pages(&server, &format!("per_page=100&{query}")).await;
            let expected: Vec<u64> = all
                .iter()
                .filter(|r| keep(r))
                .map(|r| r["id"].as_u64().unwrap())
                .collect();
            assert!(!expected.is_empty(), "{query}");
            assert_eq!(ids(&records), expected, "{query}");
        }
        // Nothing matches: an empty paginator.
        let reply = get_bearer(&server, "/v1/files?fileable_type=tenant&fileable_id=999999").await;
        assert!(data(&reply).is_empty());
        let meta = &reply.body["meta"];
        assert_eq!(
            (meta["total"].as_u64(), meta["last_page"].as_u64()),
            (Some(0), Some(1))
        );
        assert!(meta["from"].is_null() && meta["to"].is_null());
        assert!(reply.body["links"]["next"].is_null() && reply.body["links"]["prev"].is_null());
    }

    #[tokio::test]
    async fn tenants_partition_the_files() {
        let server = server(500).await;
        let all = all_pages(&server, "per_page=100").await;
        let mut seen = HashSet::new();
        for tenant in 1..=TENANTS {
            let reply = get(
                &server,
                "/v1/files?per_page=100",
                &[
                    ("authorization", "Bearer demo"),
                    ("x-tenant", &tenant.to_string()),
                ],
            )
            .await;
            let records = data(&reply);
            for record in records {
                assert!(seen.insert(record["id"].as_u64().unwrap()));
                if record["fileable_type"] == "tenant" {
                    assert_eq!(record["fileable_id"], tenant);
                }
            }
        }
        assert_eq!(seen.len(), all.len());
        let auth = ("authorization", "Bearer demo");
        let reply = get(&server, "/v1/files", &[auth, ("x-tenant", "999")]).await;
        assert_eq!(reply.body["meta"]["total"], 0);
        for bad in ["abc", "-1", "1.5", ""] {
            let reply = get(&server, "/v1/files", &[auth, ("x-tenant", bad)]).await;
            assert_eq!(reply.status, 400, "{bad:?}");
            assert_eq!(reply.body["error"], "invalid_tenant");
            assert_rate_limited(&reply);
        }
    }

    #[tokio::test]
    async fn auth_failures_are_invalid_token_401s() {
        let server = server(10).await;
        let sample = fixture("flextell_error.json");
        for headers in [
            &[][..],
            &[("authorization", "Bearer nope")][..],
            &[("authorization", "Token demo")][..],
            &[("x-api-key", "demo")][..],
        ] {
            let reply = get(&server, "/v1/files?per_page=500", headers).await;
            assert_eq!(reply.status, 401, "{headers:?}");
            assert_eq!(keys(&reply.body), keys(&sample));
            assert_eq!(reply.body["error"], "invalid_token");
            assert_eq!(
                reply.header("www-authenticate"),
                "Bearer error=\"invalid_token\""
            );
            assert_rate_limited(&reply);
        }
        let reply = get(&server, "/v1/files", &[("authorization", "Bearer nope")]).await;
        assert_eq!(reply.body, sample);
        assert_eq!(server.stats.list_requests(), 5);
    }

    #[tokio::test]
    async fn invalid_parameters_are_one_422() {
        let server = server(10).await;
        let cases: &[(&str, &[(&str, &str)])] = &[
            (
                "per_page=101",
                &[("per_page", "The per page field must be between 1 and 100.")],
            ),
            (
                "per_page=0",
                &[("per_page", "The per page field must be between 1 and 100.")],
            ),
            ("page=0", &[("page", "The page field must be at least 1.")]),
            (
                "page=two",
                &[("page", "The page field must be an integer.")],
            ),
            (
                "sort_by=mime_type",
                &[("sort_by", "The selected sort by is invalid.")],
            ),
            (
                "sort_order=up",
                &[("sort_order", "The selected sort order is invalid.")],
            ),
            ("type=video", &[("type", "The selected type is invalid.")]),
            (
                "fileable_type=order",
                &[("fileable_type", "The selected fileable type is invalid.")],
            ),
            (
                "fileable_id=0",
                &[("fileable_id", "The fileable id field must be at least 1.")],
            ),
            (
                "trashed=yes",
                &[("trashed", "The trashed field must be true or false.")],
            ),
            (
                "per_page=1000&type=video&trashed=maybe",
                &[
                    ("per_page", "The per page field must be between 1 and 100."),
                    ("type", "The selected type is invalid."),
                    ("trashed", "The trashed field must be true or false."),
                ],
            ),
        ];
        for (query, problems) in cases {
            let reply = get_bearer(&server, &format!("/v1/files?{query}")).await;
            assert_eq!(reply.status, 422, "{query}");
            assert_eq!(reply.body["error"], "validation_error");
            let errors = reply.body["errors"].as_object().unwrap();
            assert_eq!(errors.len(), problems.len(), "{query}: {errors:?}");
            for (field, message) in *problems {
                assert_eq!(errors[*field], json!([message]), "{query}");
            }
            let message = reply.body["message"].as_str().unwrap();
            assert!(message.starts_with(problems[0].1), "{message}");
            if problems.len() == 3 {
                assert!(message.ends_with("(and 2 more errors)"), "{message}");
            }
        }
    }

    #[tokio::test]
    async fn one_file_by_id_in_either_success_spelling() {
        let server = server(50).await;
        let list = get_bearer(&server, "/v1/files?per_page=100").await;
        let records = data(&list);
        let mut spellings = HashSet::new();
        for record in records.iter().take(4) {
            let id = record["id"].as_u64().unwrap();
            let reply = get_bearer(&server, &format!("/v1/files/{id}")).await;
            assert_eq!(reply.status, 200);
            let success = &reply.body["success"];
            assert!(success == true || success == "true", "{success}");
            spellings.insert(success.to_string());
            let mut one = reply.body["data"].clone();
            let mut listed = record.clone();
            // Signed links may roll over between the two requests.
            for field in ["temporary_url", "temporary_thumbnail_url"] {
                one[field] = Value::Null;
                listed[field] = Value::Null;
            }
            assert_eq!(one, listed);
        }
        assert_eq!(spellings.len(), 2);
        for id in ["0", "51", "abc", "-1", "99999999999999999999999"] {
            let reply = get_bearer(&server, &format!("/v1/files/{id}")).await;
            assert_eq!(reply.status, 404, "{id}");
            assert_eq!(reply.body["error"], "not_found");
        }
        let reply = get(&server, "/v1/files/1", &[]).await;
        assert_eq!(reply.status, 401);
    }

    #[tokio::test]
    async fn unknown_routes_and_methods_in_the_envelope() {
        let server = server(10).await;
        let reply = get_bearer(&server, "/v2/files").await;
        assert_eq!(reply.status, 404);
        assert_eq!(
            reply.body,
            json!({"error": "not_found", "message": "The route v2/files could not be found."})
        );
        assert_rate_limited(&reply);
        let reply = testkit::send(&server, reqwest::Method::DELETE, "/v1/files").await;
        assert_eq!(reply.status, 405);
        assert_eq!(reply.body["error"], "method_not_allowed");
        assert_rate_limited(&reply);
    }

    /// A deep page, a deep page sorted by name and a filtered page over a million files:
    /// full, distinct, in order, and matching the filter. How fast is the benchmark's business.
    #[tokio::test]
    async fn a_page_over_a_million_files() {
        let auth = [("authorization", "Bearer demo")];
        for query in [
            "per_page=100&page=5000",
            "per_page=100&page=3000&sort_by=name&sort_order=asc",
            "per_page=100&page=20&type=certificate&fileable_type=customer",
        ] {
            let reply =
                testkit::page_once("flextell", 1_000_000, &format!("/v1/files?{query}"), &auth)
                    .await;
            let records = data(&reply);
            assert_eq!(records.len(), 100, "{query}");
            let ids: Vec<String> = records.iter().map(|r| r["id"].to_string()).collect();
            assert!(testkit::distinct(&ids), "{query}");
            if query.contains("sort_by=name") {
                let names: Vec<&str> = records
                    .iter()
                    .map(|r| r["name"].as_str().unwrap())
                    .collect();
                assert!(testkit::names_ascending(&names), "{query}: {names:?}");
            }
            if query.contains("type=certificate") {
                for r in records {
                    assert_eq!(r["type"], "certificate", "{query}");
                    assert_eq!(r["fileable_type"], "customer", "{query}");
                }
            }
        }
    }

    #[tokio::test]
    async fn temporary_urls_serve_the_bytes_without_a_token() {
        let server = server(100).await;
        let index = testkit::sizable(&server.dataset);
        let reply = get_bearer(&server, &format!("/v1/files/{}", index + 1)).await;
        let url = reply.body["data"]["temporary_url"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            url.starts_with(&format!(
                "{}/storage/{}?expires=",
                server.base_url,
                index + 1
            )),
            "{url}"
        );
        testkit::assert_serves(&server, &url, index, &[]).await;

        // An image's thumbnail link serves too.
        let image = (0..100)
            .find(|&i| server.dataset.content_type_of(i).starts_with("image/"))
            .unwrap();
        let reply = get_bearer(&server, &format!("/v1/files/{}", image + 1)).await;
        let thumbnail = reply.body["data"]["temporary_thumbnail_url"]
            .as_str()
            .unwrap();
        let served = testkit::fetch(reqwest::Method::GET, thumbnail, &[]).await;
        assert_eq!(served.status, 200, "{thumbnail}");
        assert_eq!(
            served.bytes,
            crate::content::content(&server.dataset, image)
        );

        // Tampered, missing, swapped or expired signatures are 403s.
        let (base, _) = url.split_once('?').unwrap();
        let expires: i64 = url.split("expires=").nth(1).unwrap()[..10].parse().unwrap();
        let secret = Salt::FlextellSecret.of(&server.dataset, index);
        let past = common::unix_now() - 10;
        let other = format!("{}/storage/{}", server.base_url, index + 2);
        let query = url.split_once('?').unwrap().1;
        for bad in [
            url.replace("signature=", "signature=0"),
            base.to_owned(),
            format!("{base}?expires={expires}"),
            format!("{other}?{query}"),
            format!(
                "{base}?expires={}&signature={}",
                expires + 1,
                link_signature(secret, DOWNLOAD_SALT, expires)
            ),
            format!(
                "{base}?expires={past}&signature={}",
                link_signature(secret, DOWNLOAD_SALT, past)
            ),
            format!("{base}/thumbnail?{query}"),
        ] {
            let refused = testkit::fetch(reqwest::Method::GET, &bad, &[]).await;
            assert_eq!(refused.status, 403, "{bad}");
            assert_eq!(refused.json()["error"], "invalid_signature", "{bad}");
        }
        let expired = format!(
            "{base}?expires={past}&signature={}",
            link_signature(secret, DOWNLOAD_SALT, past)
        );
        let refused = testkit::fetch(reqwest::Method::GET, &expired, &[]).await;
        assert!(
            refused.json()["message"]
                .as_str()
                .unwrap()
                .contains("expired")
        );
        // No delete in this dialect.
        let reply = testkit::send(&server, reqwest::Method::DELETE, "/v1/files/1").await;
        assert_eq!(reply.status, 405);
    }
}
