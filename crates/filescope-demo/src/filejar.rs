//! The FileJar dialect over HTTP: `GET /v1/files/organization-files`, and
//! the public CDN its records' `url`s point at.
//!
//! - `GET/HEAD /cdn/<code>/<key>` (the record's `url`, on this server's own
//!   origin) serves the file's bytes with no authentication, as a public CDN
//!   does, with ranges (see [`super::content`]). `<code>` carries the index
//!   (see [`DemoFile::url`]); the rest must be the record's key, else 404.
//!
//! Query parameters are parsed by hand from the raw map so every invalid value
//! gets FileJar's JSON error body (`{"success": false, "error", "message"}`)
//! instead of axum's plain-text rejection; clients must be able to show the
//! server's own message.

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use super::common::{
    self, Context, IdCipher, Internal, Params, Plumbing, RawQuery, iso as timestamp,
};
use super::content::Blobs;
use super::dataset::{Dataset, DatasetQuery, DemoFile, Order, SortKey};

/// The listing endpoint.
pub(super) const LIST_PATH: &str = "/v1/files/organization-files";
const MAX_LIMIT: u64 = 1000;
const DEFAULT_LIMIT: u64 = 100;

/// Everything a request needs, shared by all of them.
pub(super) struct AppState {
    dataset: Arc<Dataset>,
    api_key: String,
    /// This server's `http://HOST:PORT`, before every CDN path.
    origin: String,
    cipher: IdCipher,
    blobs: Option<Blobs>,
    // Constant per dataset: computed once rather than per page.
    org_id: String,
    org_name: String,
}

impl AppState {
    fn new(dataset: Arc<Dataset>, api_key: String) -> Self {
        AppState {
            org_id: dataset.org_id(),
            org_name: dataset.org_name(),
            cipher: IdCipher::new(&dataset),
            dataset,
            api_key,
            origin: String::new(),
            blobs: None,
        }
    }
}

pub(super) fn router(context: Context) -> Router {
    let state = Arc::new(AppState {
        origin: context.origin.clone(),
        blobs: Some(Blobs::new(&context)),
        ..AppState::new(Arc::clone(&context.dataset), context.api_key.clone())
    });
    let router = Router::new()
        .route(LIST_PATH, get(list_files))
        .route("/cdn/{code}/{*key}", get(cdn))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
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

async fn list_files(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: RawQuery,
) -> Result<Response, ApiError> {
    // Authentication comes first, as on the real service: an unauthenticated
    // client learns nothing about parameters.
    authorize(&headers, &state.api_key)?;
    let raw = Params::from_raw(query).map_err(ApiError::invalid_parameter)?;
    let params = ListParams::parse(&raw)?;
    let order = common::dataset_order(&state.dataset, params.query.clone()).await?;
    let body = render_page(&state, &order, &params);
    Ok(common::json_bytes(StatusCode::OK, body))
}

/// The public CDN: no key needed, only a path this server handed out.
async fn cdn(
    State(state): State<Arc<AppState>>,
    path: Result<Path<(String, String)>, PathRejection>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let not_found = || ApiError {
        status: StatusCode::NOT_FOUND,
        code: "not_found",
        message: "no such file on the CDN".to_owned(),
    };
    let Ok(Path((code, key))) = path else {
        return Err(not_found());
    };
    let code = Some(code.as_str())
        .filter(|c| c.len() == 8)
        .and_then(|c| u32::from_str_radix(c, 16).ok())
        .ok_or_else(not_found)?;
    let index = state.cipher.decode(code);
    if index >= state.dataset.len() || state.dataset.file(index).key != key {
        return Err(not_found());
    }
    let blobs = state.blobs.as_ref().ok_or_else(not_found)?;
    Ok(blobs.respond(index, &method, &headers))
}

async fn not_found(request: Request) -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        code: "not_found",
        message: format!(
            "no such endpoint: {}; the file listing is GET {LIST_PATH}",
            request.uri().path()
        ),
    }
}

async fn method_not_allowed(request: Request) -> Response {
    let mut response = ApiError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        code: "method_not_allowed",
        message: format!("{} is not allowed here; use GET", request.method()),
    }
    .into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    response
}

fn authorize(headers: &HeaderMap, api_key: &str) -> Result<(), ApiError> {
    match headers.get("x-api-key") {
        Some(given) if given.as_bytes() == api_key.as_bytes() => Ok(()),
        Some(_) => Err(ApiError::unauthorized("invalid API key")),
        None if headers
            .get(header::AUTHORIZATION)
            .is_some_and(|value| value.as_bytes().starts_with(b"Bearer ")) =>
        {
            Err(ApiError::unauthorized(
                "FileJar authenticates with the x-api-key header, not Authorization: Bearer",
            ))
        }
        None => Err(ApiError::unauthorized("missing x-api-key header")),
    }
}

/// Validated listing parameters.
#[derive(Debug, Clone, PartialEq)]
struct ListParams {
    page: u64,
    limit: u64,
    skip: Option<u64>,
    query: DatasetQuery,
}

impl ListParams {
    fn parse(raw: &Params) -> Result<ListParams, ApiError> {
        let integer = |name: &'static str, min: u64, max: u64, rule: &str| {
            raw.integer(name, min, max).map_err(|error| {
                ApiError::invalid_parameter(format!(
                    "{name} must be {rule} (got {})",
                    common::quoted(&error.value)
                ))
            })
        };
        let page = integer("page", 1, u64::MAX, "an integer >= 1")?.unwrap_or(1);
        let limit = integer(
            "limit",
            1,
            MAX_LIMIT,
            &format!("an integer between 1 and {MAX_LIMIT}"),
        )?
        .unwrap_or(DEFAULT_LIMIT);
        let skip = integer("skip", 0, u64::MAX, "an integer >= 0")?;
        let size_gte = integer("size__gte", 0, u64::MAX, "an integer >= 0 (bytes)")?;
        let size_lte = integer("size__lte", 0, u64::MAX, "an integer >= 0 (bytes)")?;
        let sort_keys = SortKey::ALL.map(|key| (key.as_str(), key));
        let sort_by = raw
            .one_of("sort_by", &sort_keys)
            .map_err(|error| {
                let allowed: Vec<&str> = sort_keys.iter().map(|(name, _)| *name).collect();
                ApiError::invalid_parameter(format!(
                    "sort_by must be one of {} (got {})",
                    allowed.join(", "),
                    common::quoted(&error.value)
                ))
            })?
            .unwrap_or(SortKey::CreatedAt);
        let descending = raw
            .one_of("sort", &[("desc", true), ("asc", false)])
            .map_err(|error| {
                ApiError::invalid_parameter(format!(
                    "sort must be asc or desc (got {})",
                    common::quoted(&error.value)
                ))
            })?
            .unwrap_or(true);
        Ok(ListParams {
            page,
            limit,
            skip,
            query: DatasetQuery {
                search: raw.text("search").map(str::to_owned),
                content_type: raw.text("content_type").map(str::to_owned),
                size_gte,
                size_lte,
                sort_by,
                descending,
            },
        })
    }

    /// Records skipped before this page: `skip` wins over `page`.
    fn offset(&self) -> u64 {
        self.skip
            .unwrap_or_else(|| (self.page - 1).saturating_mul(self.limit))
    }
}

#[derive(Serialize)]
struct PageBody<'a> {
    success: bool,
    org_id: &'a str,
    org_name: &'a str,
    files: Vec<FileBody>,
    pagination: Pagination,
    count: usize,
}

#[derive(Debug, Serialize, PartialEq)]
struct Pagination {
    page: u64,
    limit: u64,
    skip: u64,
    total: u64,
    total_pages: u64,
    has_next: bool,
    has_previous: bool,
}

#[derive(Serialize)]
struct FileBody {
    id: String,
    key: String,
    url: String,
    file_name: String,
    content_type: &'static str,
    size: u64,
    acknowledged_at: Option<String>,
    created_at: String,
    updated_at: String,
}

impl FileBody {
    /// The record as listed, its CDN path on `origin`.
    fn new(file: DemoFile, origin: &str) -> Self {
        FileBody {
            id: file.id,
            key: file.key,
            url: format!("{origin}{}", file.url),
            file_name: file.file_name,
            content_type: file.content_type,
            size: file.size,
            acknowledged_at: file.acknowledged_at.map(timestamp),
            created_at: timestamp(file.created_at),
            updated_at: timestamp(file.updated_at),
        }
    }
}

fn pagination(params: &ListParams, total: u64) -> Pagination {
    let offset = params.offset();
    Pagination {
        // With skip, report the page that skip falls in.
        page: match params.skip {
            Some(skip) => skip / params.limit + 1,
            None => params.page,
        },
        limit: params.limit,
        skip: offset,
        total,
        total_pages: total.div_ceil(params.limit),
        has_next: offset.saturating_add(params.limit) < total,
        has_previous: offset > 0,
    }
}

/// The JSON page for already-validated parameters over an already-built order.
fn render_page(state: &AppState, order: &Order, params: &ListParams) -> Vec<u8> {
    let offset = usize::try_from(params.offset()).unwrap_or(usize::MAX);
    let limit = usize::try_from(params.limit).unwrap_or(usize::MAX);
    let files: Vec<FileBody> = order
        .page(offset, limit)
        .map(|index| FileBody::new(state.dataset.file(index), &state.origin))
        .collect();
    let body = PageBody {
        success: true,
        org_id: &state.org_id,
        org_name: &state.org_name,
        count: files.len(),
        files,
        pagination: pagination(params, order.len() as u64),
    };
    serde_json::to_vec(&body).expect("page bodies always serialise")
}

/// FileJar's (undocumented) error body.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn unauthorized(message: &str) -> Self {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            message: message.to_owned(),
        }
    }

    fn invalid_parameter(message: String) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_parameter",
            message,
        }
    }
}

impl From<Internal> for ApiError {
    fn from(_: Internal) -> Self {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal_error",
            message: "internal server error".to_owned(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "success": false,
            "error": self.code,
            "message": self.message,
        });
        common::json(self.status, &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DemoServer;
    use crate::common::testkit::{self, client};
    use serde_json::Value;

    fn params(pairs: &[(&str, &str)]) -> Result<ListParams, ApiError> {
        let query = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ListParams::parse(&Params::from_raw(Ok(axum::extract::Query(query))).unwrap())
    }

    async fn server(files: usize) -> DemoServer {
        testkit::server("filejar", files).await
    }

    /// GETs `path_and_query` with the demo key; returns status and JSON body.
    async fn get_json(server: &DemoServer, path_and_query: &str) -> (u16, Value) {
        get_with(server, path_and_query, &[("x-api-key", testkit::KEY)]).await
    }

    async fn get_with(
        server: &DemoServer,
        path_and_query: &str,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let reply = testkit::get(server, path_and_query, headers).await;
        (reply.status, reply.body)
    }

    fn list(query: &str) -> String {
        format!("{LIST_PATH}?{query}")
    }

    fn indices(body: &Value, dataset: &Dataset) -> Vec<usize> {
        // Map ids back to record indices through the dataset (ids are unique).
        body["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let id = f["id"].as_str().unwrap();
                (0..dataset.len())
                    .find(|&i| dataset.file(i).id == id)
                    .expect("id belongs to the dataset")
            })
            .collect()
    }

    fn assert_error(status: u16, body: &Value, want_status: u16, code: &str, needles: &[&str]) {
        assert_eq!(status, want_status, "{body}");
        assert_eq!(body["success"], false, "{body}");
        assert_eq!(body["error"], code, "{body}");
        let message = body["message"].as_str().unwrap();
        for needle in needles {
            assert!(message.contains(needle), "{message:?} lacks {needle:?}");
        }
    }

    #[test]
    fn parameters_default_and_parse() {
        let p = params(&[]).unwrap();
        assert_eq!((p.page, p.limit, p.skip), (1, 100, None));
        assert_eq!(p.query, DatasetQuery::default());
        let p = params(&[
            ("page", "3"),
            ("limit", "1000"),
            ("search", "Report"),
            ("content_type", "image/png"),
            ("size__gte", "0"),
            ("size__lte", "10"),
            ("sort_by", "file_name"),
            ("sort", "asc"),
            ("unknown", "ignored"),
        ])
        .unwrap();
        assert_eq!((p.page, p.limit, p.offset()), (3, 1000, 2000));
        assert_eq!(p.query.search.as_deref(), Some("Report"));
        assert_eq!(p.query.content_type.as_deref(), Some("image/png"));
        assert_eq!((p.query.size_gte, p.query.size_lte), (Some(0), Some(10)));
        assert_eq!(p.query.sort_by, SortKey::FileName);
        assert!(!p.query.descending);
        let p = params(&[("page", "9"), ("skip", "5"), ("limit", "2")]).unwrap();
        assert_eq!(p.offset(), 5);
        let p = params(&[("search", ""), ("content_type", "")]).unwrap();
        assert!(!p.query.is_filtered());
    }

    #[test]
    fn invalid_parameters_name_the_parameter_and_range() {
        let cases: &[(&str, &str, &[&str])] = &[
            ("limit", "0", &["limit", "between 1 and 1000"]),
            ("limit", "1001", &["limit", "between 1 and 1000"]),
            ("limit", "abc", &["limit", "integer", "\"abc\""]),
            ("page", "0", &["page", ">= 1"]),
            ("page", "-2", &["page", ">= 1"]),
            ("page", "1.5", &["page", "integer"]),
            ("skip", "-1", &["skip", ">= 0"]),
            ("size__gte", "-1", &["size__gte", ">= 0"]),
            ("size__lte", "big", &["size__lte", ">= 0"]),
            (
                "sort_by",
                "bogus",
                &["sort_by must be one of created_at, updated_at, file_name, size, content_type"],
            ),
            ("sort", "up", &["sort must be asc or desc"]),
        ];
        for (name, value, needles) in cases {
            let error = params(&[(name, value)]).unwrap_err();
            assert_eq!(error.status, StatusCode::BAD_REQUEST);
            assert_eq!(error.code, "invalid_parameter");
            for needle in *needles {
                assert!(
                    error.message.contains(needle),
                    "{:?} lacks {needle:?}",
                    error.message
                );
            }
        }
        // Echoed values cannot smuggle control characters into a terminal.
        let error = params(&[("sort_by", "\u{1b}[31mx")]).unwrap_err();
        assert!(!error.message.contains('\u{1b}'));
        let error = params(&[("limit", &"9".repeat(500))]).unwrap_err();
        assert!(error.message.len() < 200);
    }

    #[test]
    fn pagination_numbers() {
        let p = params(&[("page", "3"), ("limit", "2")]).unwrap();
        assert_eq!(
            pagination(&p, 5),
            Pagination {
                page: 3,
                limit: 2,
                skip: 4,
                total: 5,
                total_pages: 3,
                has_next: false,
                has_previous: true,
            }
        );
        let p = params(&[("skip", "5"), ("limit", "2"), ("page", "1")]).unwrap();
        let got = pagination(&p, 10);
        assert_eq!(
            (got.page, got.skip, got.has_next, got.has_previous),
            (3, 5, true, true)
        );
        let got = pagination(&params(&[]).unwrap(), 0);
        assert_eq!(
            (got.total_pages, got.has_next, got.has_previous),
            (0, false, false)
        );
        // Absurd pages do not overflow.
        let p = params(&[("page", &u64::MAX.to_string()), ("limit", "1000")]).unwrap();
        let got = pagination(&p, 10);
        assert!(!got.has_next && got.has_previous);
    }

    #[test]
    fn timestamps_are_utc_seconds_with_z() {
        assert_eq!(timestamp(1_709_370_898), "2024-03-02T09:14:58Z");
        assert_eq!(timestamp(0), "1970-01-01T00:00:00Z");
    }

    /// A page over a million files: the render path used by the server, no HTTP.
    #[test]
    fn page_over_a_million_files() {
        let dataset = Arc::new(Dataset::new(42, 1_000_000));
        let state = AppState::new(Arc::clone(&dataset), "demo".into());
        let p = params(&[("page", "2"), ("limit", "100")]).unwrap();
        let order = dataset
            .cached_order(&p.query)
            .expect("natural order is free");
        let body: Value = serde_json::from_slice(&render_page(&state, &order, &p)).unwrap();
        assert_eq!(body["count"], 100);
        assert_eq!(body["files"][0]["id"], dataset.file(999_899).id);
        assert_eq!(body["pagination"]["total_pages"], 10_000);
    }

    #[tokio::test]
    async fn pages_have_the_filejar_shape() {
        let server = server(5).await;
        let (status, body) = get_json(&server, &list("limit=2")).await;
        assert_eq!(status, 200);
        assert_eq!(body["success"], true);
        assert_eq!(body["org_id"], server.dataset.org_id());
        assert_eq!(body["org_name"], server.dataset.org_name());
        assert_eq!(body["count"], 2);
        assert_eq!(
            body["pagination"],
            serde_json::json!({"page": 1, "limit": 2, "skip": 0, "total": 5,
                "total_pages": 3, "has_next": true, "has_previous": false})
        );
        // Newest first: the last index is first.
        let first = &body["files"][0];
        let newest = server.dataset.file(4);
        assert_eq!(first["id"], newest.id);
        assert_eq!(first["key"], newest.key);
        assert_eq!(first["url"], format!("{}{}", server.base_url, newest.url));
        assert_eq!(first["file_name"], newest.file_name);
        assert_eq!(first["content_type"], newest.content_type);
        assert_eq!(first["size"], newest.size);
        assert_eq!(first["created_at"], timestamp(newest.created_at));
        assert_eq!(first["updated_at"], timestamp(newest.updated_at));
        let fields: Vec<&String> = first.as_object().unwrap().keys().collect();
        assert_eq!(fields.len(), 9, "{fields:?}");
        let acknowledged = &first["acknowledged_at"];
        assert!(acknowledged.is_null() || acknowledged.as_str().unwrap().ends_with('Z'));
    }

    #[tokio::test]
    async fn paging_walks_every_record_once() {
        let server = server(23).await;
        let mut seen = Vec::new();
        for page in 1..=5 {
            let (status, body) = get_json(&server, &list(&format!("page={page}&limit=5"))).await;
            assert_eq!(status, 200);
            let p = &body["pagination"];
            assert_eq!(p["page"], page);
            assert_eq!(p["skip"], (page - 1) * 5);
            assert_eq!(p["total"], 23);
            assert_eq!(p["total_pages"], 5);
            assert_eq!(p["has_previous"], page > 1);
            assert_eq!(p["has_next"], page < 5, "page {page}");
            assert_eq!(body["count"], if page < 5 { 5 } else { 3 });
            seen.extend(indices(&body, &server.dataset));
        }
        assert_eq!(seen, (0..23).rev().collect::<Vec<_>>());
        // Past the end: empty, not an error.
        let (status, body) = get_json(&server, &list("page=6&limit=5")).await;
        assert_eq!(status, 200);
        assert_eq!(body["count"], 0);
        assert_eq!(body["pagination"]["has_next"], false);
    }

    #[tokio::test]
    async fn skip_wins_over_page() {
        let server = server(23).await;
        let (_, body) = get_json(&server, &list("page=4&skip=3&limit=5&sort=asc")).await;
        assert_eq!(indices(&body, &server.dataset), [3, 4, 5, 6, 7]);
        let p = &body["pagination"];
        assert_eq!((p["page"].as_u64(), p["skip"].as_u64()), (Some(1), Some(3)));
        assert_eq!(p["has_previous"], true);
        let (_, body) = get_json(&server, &list("skip=20&limit=5")).await;
        assert_eq!(indices(&body, &server.dataset), [2, 1, 0]);
        assert_eq!(body["pagination"]["page"], 5);
        assert_eq!(body["pagination"]["has_next"], false);
    }

    #[tokio::test]
    async fn sorting_and_filters_over_http() {
        let server = server(300).await;
        let (_, body) = get_json(&server, &list("sort_by=size&sort=desc&limit=1000")).await;
        let sizes: Vec<u64> = body["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["size"].as_u64().unwrap())
            .collect();
        assert_eq!(sizes.len(), 300);
        assert!(sizes.windows(2).all(|w| w[0] >= w[1]));

        let (_, body) = get_json(&server, &list("content_type=image%2Fpng&size__gte=1024")).await;
        let files = body["files"].as_array().unwrap();
        assert!(!files.is_empty());
        assert!(
            files
                .iter()
                .all(|f| f["content_type"] == "image/png" && f["size"].as_u64() >= Some(1024))
        );
        assert_eq!(body["pagination"]["total"], files.len());

        // The ANSI-coloured name at index 7, found case-insensitively.
        let (_, body) = get_json(&server, &list("search=RED%1B")).await;
        assert!(indices(&body, &server.dataset).contains(&7));
        assert_eq!(
            server.dataset.file(7).file_name,
            body["files"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["id"] == server.dataset.file(7).id)
                .unwrap()["file_name"]
        );
    }

    #[tokio::test]
    async fn unauthorized_without_or_with_wrong_key_or_bearer_only() {
        let server = server(10).await;
        let (status, body) = get_with(&server, LIST_PATH, &[]).await;
        assert_error(status, &body, 401, "unauthorized", &["x-api-key"]);
        let (status, body) = get_with(&server, LIST_PATH, &[("x-api-key", "nope")]).await;
        assert_error(status, &body, 401, "unauthorized", &["invalid"]);
        let (status, body) =
            get_with(&server, LIST_PATH, &[("authorization", "Bearer demo")]).await;
        assert_error(status, &body, 401, "unauthorized", &["x-api-key", "Bearer"]);
        // Auth is checked before parameters.
        let (status, _) = get_with(&server, &list("limit=0"), &[]).await;
        assert_eq!(status, 401);
        // A Bearer header alongside the right key is harmless.
        let (status, _) = get_with(
            &server,
            LIST_PATH,
            &[("authorization", "Bearer x"), ("x-api-key", "demo")],
        )
        .await;
        assert_eq!(status, 200);
    }

    #[tokio::test]
    async fn bad_parameters_get_json_400s() {
        let server = server(10).await;
        let cases: &[(&str, &[&str])] = &[
            ("limit=0", &["limit", "between 1 and 1000"]),
            ("limit=1001", &["limit", "between 1 and 1000"]),
            ("limit=abc", &["limit", "integer"]),
            ("page=0", &["page", ">= 1"]),
            (
                "sort_by=bogus",
                &[
                    "sort_by",
                    "created_at, updated_at, file_name, size, content_type",
                ],
            ),
            ("size__gte=-1", &["size__gte", ">= 0"]),
            ("sort=sideways", &["sort", "asc or desc"]),
        ];
        for (query, needles) in cases {
            let (status, body) = get_json(&server, &list(query)).await;
            assert_error(status, &body, 400, "invalid_parameter", needles);
        }
    }

    #[tokio::test]
    async fn unknown_paths_and_methods() {
        let server = server(10).await;
        for path in [
            "/",
            "/v1/files",
            "/v1/files/organization-files/",
            "/v2/files/organization-files",
        ] {
            let (status, body) = get_json(&server, path).await;
            assert_error(status, &body, 404, "not_found", &[LIST_PATH]);
        }
        let response = client()
            .post(format!("{}{LIST_PATH}", server.base_url))
            .header("x-api-key", "demo")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 405);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "method_not_allowed");
    }

    #[tokio::test]
    async fn requests_are_counted() {
        let server = server(10).await;
        assert_eq!(
            (server.stats.requests(), server.stats.list_requests()),
            (0, 0)
        );
        get_json(&server, LIST_PATH).await;
        get_json(&server, &list("limit=0")).await;
        get_with(&server, LIST_PATH, &[]).await;
        get_json(&server, "/elsewhere").await;
        assert_eq!(server.stats.requests(), 4);
        assert_eq!(server.stats.list_requests(), 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_first_sorts_and_scans_agree() {
        // The first name sort and search scan run on blocking threads; racing
        // requests for them must all get the same page.
        let server = server(20_000).await;
        let url = format!(
            "{}{}",
            server.base_url,
            list("sort_by=file_name&limit=3&search=a")
        );
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let url = url.clone();
                tokio::spawn(async move {
                    let response = client()
                        .get(url)
                        .header("x-api-key", "demo")
                        .send()
                        .await
                        .unwrap();
                    let status = response.status().as_u16();
                    (status, response.json::<Value>().await.unwrap())
                })
            })
            .collect();
        let mut bodies = Vec::new();
        for handle in handles {
            bodies.push(handle.await.unwrap());
        }
        assert_eq!(bodies[0].0, 200);
        assert_eq!(bodies[0].1["count"], 3);
        assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    }

    #[tokio::test]
    async fn the_cdn_serves_every_file_without_a_key() {
        let server = server(5000).await;
        let dataset = &server.dataset;
        let index = testkit::sizable(dataset);
        let (_, body) = get_json(&server, &list("limit=1000&sort=asc")).await;
        let record = &body["files"][index];
        assert_eq!(record["id"], dataset.file(index).id);
        let url = record["url"].as_str().unwrap();
        assert!(
            url.starts_with(&format!("{}/cdn/", server.base_url)),
            "{url}"
        );
        testkit::assert_serves(&server, url, index, &[]).await;

        // Hostile names (control characters, RTL, a path-traversal name) are
        // served at their listed URL too, as what they are.
        let hostile: Vec<usize> = (0..dataset.len())
            .filter(|&i| {
                dataset
                    .file(i)
                    .file_name
                    .chars()
                    .any(|c| c.is_control() || c == '/')
            })
            .take(12)
            .chain([1, 7, dataset.len() - 1])
            .collect();
        for i in hostile {
            let url = format!("{}{}", server.base_url, dataset.file(i).url);
            let head = testkit::fetch(reqwest::Method::GET, &url, &[]).await;
            assert_eq!(head.status, 200, "{i}: {url}");
            assert_eq!(head.bytes, crate::content::content(dataset, i), "{i}");
        }

        // A path this server did not hand out is a JSON 404; no DELETE.
        let good = dataset.file(index).url;
        let (code, key) = good["/cdn/".len()..].split_once('/').unwrap();
        let other = dataset.file(index + 1).key;
        for bad in [
            format!("/cdn/{code}/{other}"),
            format!("/cdn/{code}x/{key}"),
            format!("/cdn/ffffffff/{key}"),
            "/cdn/zz".to_owned(),
        ] {
            let (status, body) = get_with(&server, &bad, &[]).await;
            assert_error(status, &body, 404, "not_found", &[]);
        }
        let delete =
            testkit::fetch(reqwest::Method::DELETE, url, &[("x-api-key", testkit::KEY)]).await;
        assert_eq!(delete.status, 405);
    }

    #[tokio::test]
    async fn a_path_traversal_name_is_served_at_its_own_url() {
        // The first such record of the default seed: draws do not depend on
        // the dataset's length, so a server just big enough holds it.
        let probe = Dataset::new(42, 2_000_000);
        let mut name = String::new();
        let index = (0..probe.len())
            .find(|&i| {
                name.clear();
                probe.write_file_name(i, &mut name);
                name.starts_with("../")
            })
            .expect("a path-traversal name");
        let server = server(index + 2).await;
        let file = server.dataset.file(index);
        assert!(
            file.url.ends_with("/..%2F..%2F..%2Fetc%2Fpasswd"),
            "{}",
            file.url
        );
        let url = format!("{}{}", server.base_url, file.url);
        let reply = testkit::fetch(reqwest::Method::GET, &url, &[]).await;
        assert_eq!(reply.status, 200, "{url}");
        assert_eq!(reply.bytes, crate::content::content(&server.dataset, index));
    }
}
