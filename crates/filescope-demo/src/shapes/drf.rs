//! The Django REST framework shape: a `ModelViewSet` list with
//! `PageNumberPagination`, `SearchFilter` and `OrderingFilter`.
//!
//! - `GET /api/files/?page=N&page_size=M&search=TEXT&ordering=F` →
//!   `{"count", "next", "previous", "results"}`.
//! - `page`: default 1, or `last` (DRF's `last_page_strings`). Anything that is
//!   not a page of the result (not an integer, < 1, past the last page) is a
//!   404 `{"detail": "Invalid page."}`. An empty result still has its page 1.
//! - `page_size`: default 50; a larger value is clamped to 100; a value that
//!   is not a positive integer falls back to 50, as DRF's `_positive_int` does.
//! - `next` / `previous`: absolute URLs on the request's `Host`, or null. As
//!   DRF's `replace_query_param` builds them, they keep every other query
//!   parameter of the request, set `page`, and list the parameters sorted by
//!   name, form-encoded (space as `+`); the link back to page 1 drops `page`
//!   altogether (`remove_query_param`).
//! - `search`: a case-insensitive substring of `filename` (empty: no filter).
//! - `ordering`: `filename`, `-filename`, `bytes`, `-bytes`, `created`,
//!   `-created` (default: `created`, which is index order); anything else is
//!   a 400 `{"ordering": ["Invalid ordering field."]}`. Ties go by index
//!   (reversed with `-`). Name order is the lowercased name's.
//! - Auth: `Authorization: Token <key>` (keyword case-insensitive). No header
//!   or another scheme → 401 `{"detail": "Authentication credentials were not
//!   provided."}`; a wrong token → 401 `{"detail": "Invalid token."}`; both
//!   with `WWW-Authenticate: Token`. Checked before everything else.
//! - Unknown paths: 404 `{"detail": "Not found."}`; other methods: 405
//!   `{"detail": "Method \"POST\" not allowed."}`.
//!
//! Records: `uuid` (the dataset's record id), `filename`, `bytes`, `mimetype`,
//! `created` (ISO 8601 with microseconds and `+00:00`), `last_modified` (Unix
//! milliseconds, same sub-second part), `download_url` (absolute, serves
//! nothing) and `owner.username`.

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use serde_json::json;

use crate::common::{self, Context, Internal, Plumbing, Salt, ScanCache, pick};
use crate::dataset::{Dataset, DatasetQuery, Order, SortKey};

pub(super) const LIST_PATH: &str = "/api/files/";
const DEFAULT_PAGE_SIZE: u64 = 50;
const MAX_PAGE_SIZE: u64 = 100;
const ORDERINGS: [(&str, (SortKey, bool)); 6] = [
    ("filename", (SortKey::FileName, false)),
    ("-filename", (SortKey::FileName, true)),
    ("bytes", (SortKey::Size, false)),
    ("-bytes", (SortKey::Size, true)),
    ("created", (SortKey::CreatedAt, false)),
    ("-created", (SortKey::CreatedAt, true)),
];
const USERNAMES: [&str; 6] = ["alice", "bob", "carol", "dmitri", "emeka", "fatima"];

/// A search: the lowercased needle and the order its matches are kept in.
type Search = (String, SortKey);

struct AppState {
    dataset: Arc<Dataset>,
    api_key: String,
    /// This server's `http://HOST:PORT`, before every download URL.
    origin: String,
    searches: ScanCache<Search>,
}

type PairsQuery = Result<Query<Vec<(String, String)>>, QueryRejection>;

pub(super) fn router(context: Context) -> Router {
    let state = Arc::new(AppState {
        dataset: Arc::clone(&context.dataset),
        api_key: context.api_key.clone(),
        origin: context.origin.clone(),
        searches: ScanCache::new(),
    });
    let router = Router::new()
        .route(LIST_PATH, get(list_files))
        .method_not_allowed_fallback(|request: Request| async move {
            DrfError::detail(
                StatusCode::METHOD_NOT_ALLOWED,
                &format!("Method \"{}\" not allowed.", request.method()),
            )
        })
        .fallback(|_: Request| async { DrfError::detail(StatusCode::NOT_FOUND, "Not found.") })
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

#[derive(Serialize)]
struct PageBody {
    count: usize,
    next: Option<String>,
    previous: Option<String>,
    results: Vec<Record>,
}

#[derive(Serialize)]
struct Record {
    uuid: String,
    filename: String,
    bytes: u64,
    mimetype: &'static str,
    created: String,
    last_modified: i64,
    download_url: String,
    owner: Owner,
}

#[derive(Serialize)]
struct Owner {
    username: &'static str,
}

async fn list_files(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: PairsQuery,
) -> Result<Response, DrfError> {
    authorize(&headers, &state.api_key)?;
    let Ok(Query(pairs)) = query else {
        return Err(DrfError::detail(
            StatusCode::BAD_REQUEST,
            "Malformed query string.",
        ));
    };
    // Django's `QueryDict.get`: the last value of a repeated parameter.
    let param = |name: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let (sort_by, descending) = match param("ordering").filter(|v| !v.is_empty()) {
        None => (SortKey::CreatedAt, false),
        Some(wanted) => ORDERINGS
            .iter()
            .find(|(name, _)| *name == wanted)
            .map(|(_, order)| *order)
            .ok_or(DrfError::InvalidOrdering)?,
    };
    let order = match param("search").filter(|v| !v.is_empty()) {
        None => {
            let query = DatasetQuery {
                sort_by,
                descending,
                ..DatasetQuery::default()
            };
            common::dataset_order(&state.dataset, query).await?
        }
        Some(search) => {
            let key = (search.to_lowercase(), sort_by);
            let matched = state
                .searches
                .select(&state, &key, AppState::select)
                .await?;
            Order::of(matched, descending)
        }
    };
    let page_size = param("page_size")
        .and_then(positive_int)
        .map_or(DEFAULT_PAGE_SIZE, |size| size.min(MAX_PAGE_SIZE));
    // Django's Paginator: an empty result still has page 1.
    let pages = (order.len() as u64).div_ceil(page_size).max(1);
    let page = match param("page") {
        None => 1,
        Some("last") => pages,
        Some(page) => page
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|page| (1..=pages).contains(page))
            .ok_or(DrfError::InvalidPage)?,
    };
    let offset = usize::try_from((page - 1) * page_size).unwrap_or(usize::MAX);
    let results: Vec<Record> = order
        .page(offset, page_size as usize)
        .map(|index| state.record(index))
        .collect();
    let url = format!("{}{LIST_PATH}", common::origin(&headers));
    let body = PageBody {
        count: order.len(),
        next: (page < pages).then(|| with_page(&url, &pairs, Some(page + 1))),
        previous: (page > 1).then(|| with_page(&url, &pairs, Some(page - 1).filter(|&p| p > 1))),
        results,
    };
    Ok(common::json(StatusCode::OK, &body))
}

/// DRF's `_positive_int(value, strict=True)`: a positive integer, else `None`.
fn positive_int(value: &str) -> Option<u64> {
    value.trim().parse::<u64>().ok().filter(|&n| n > 0)
}

/// `url` with the request's query, `page` set to `page` (removed if `None`),
/// the parameters sorted by name, as DRF's `replace_query_param` and
/// `remove_query_param` write it.
fn with_page(url: &str, pairs: &[(String, String)], page: Option<u64>) -> String {
    let page = page.map(|p| p.to_string());
    let mut kept: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(k, _)| k != "page")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .chain(page.as_deref().map(|p| ("page", p)))
        .collect();
    // Stable: repeated parameters keep their order, as `parse_qs` groups them.
    kept.sort_by(|a, b| a.0.cmp(b.0));
    if kept.is_empty() {
        return url.to_owned();
    }
    let query: Vec<String> = kept
        .iter()
        .map(|(k, v)| format!("{}={}", super::form_encode(k), super::form_encode(v)))
        .collect();
    format!("{url}?{}", query.join("&"))
}

impl AppState {
    fn record(&self, index: usize) -> Record {
        let file = self.dataset.file(index);
        let micros = (Salt::DrfMicros.of(&self.dataset, index) % 1_000_000) as u32;
        Record {
            download_url: format!("{}{LIST_PATH}{}/download/", self.origin, file.id),
            uuid: file.id,
            filename: file.file_name,
            bytes: file.size,
            mimetype: file.content_type,
            created: super::iso_micros_offset(file.created_at, micros),
            last_modified: file.updated_at * 1000 + i64::from(micros / 1000),
            owner: Owner {
                username: pick::<&str>(&USERNAMES, Salt::DrfOwner.of(&self.dataset, index)),
            },
        }
    }

    /// The records whose lowercased name contains the needle, ascending in
    /// the key's order (blocking: a scan of the whole dataset).
    fn select(&self, (needle, sort_by): &Search) -> Vec<u32> {
        let dataset = &self.dataset;
        let base = dataset.sorted(*sort_by);
        dataset.filter(base.as_ref().map(|b| b.as_slice()), |index| {
            common::lowercase_name_matches(dataset, index, |name| name.contains(needle.as_str()))
        })
    }
}

fn authorize(headers: &HeaderMap, api_key: &str) -> Result<(), DrfError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(DrfError::NotAuthenticated);
    };
    let mut words = value
        .as_bytes()
        .split(|&b| b == b' ')
        .filter(|w| !w.is_empty());
    match words.next() {
        Some(keyword) if keyword.eq_ignore_ascii_case(b"token") => {}
        // Another scheme is not this authentication's business: not authenticated.
        _ => return Err(DrfError::NotAuthenticated),
    }
    let token = words.next();
    if words.next().is_some() {
        return Err(DrfError::unauthorized(
            "Invalid token header. Token string should not contain spaces.",
        ));
    }
    match token {
        None => Err(DrfError::unauthorized(
            "Invalid token header. No credentials provided.",
        )),
        Some(token) if token == api_key.as_bytes() => Ok(()),
        Some(_) => Err(DrfError::unauthorized("Invalid token.")),
    }
}

/// DRF's error bodies.
#[derive(Debug)]
enum DrfError {
    NotAuthenticated,
    InvalidPage,
    InvalidOrdering,
    /// `{"detail": message}` with this status (a 401 gets `WWW-Authenticate`).
    Detail(StatusCode, String),
}

impl DrfError {
    fn detail(status: StatusCode, message: &str) -> Self {
        DrfError::Detail(status, message.to_owned())
    }

    fn unauthorized(message: &str) -> Self {
        DrfError::detail(StatusCode::UNAUTHORIZED, message)
    }
}

impl From<Internal> for DrfError {
    fn from(_: Internal) -> Self {
        DrfError::detail(
            StatusCode::INTERNAL_SERVER_ERROR,
            "A server error occurred.",
        )
    }
}

impl IntoResponse for DrfError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            DrfError::NotAuthenticated => (
                StatusCode::UNAUTHORIZED,
                json!({"detail": "Authentication credentials were not provided."}),
            ),
            DrfError::InvalidPage => (StatusCode::NOT_FOUND, json!({"detail": "Invalid page."})),
            DrfError::InvalidOrdering => (
                StatusCode::BAD_REQUEST,
                json!({"ordering": ["Invalid ordering field."]}),
            ),
            DrfError::Detail(status, message) => (status, json!({ "detail": message })),
        };
        let mut response = common::json(status, &body);
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shapes::Shape;
    use crate::shapes::testing::{self, server};
    use serde_json::Value;

    const AUTH: (&str, &str) = ("authorization", "Token demo");

    fn names(body: &Value) -> Vec<String> {
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["filename"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Follows `next` from `first` to the end: every name, and the pages seen.
    async fn walk(server: &crate::DemoServer, first: &str) -> (Vec<String>, usize, Value) {
        let mut url = format!("{}{first}", server.base_url);
        let (mut seen, mut pages) = (Vec::new(), 0);
        loop {
            let answer = testing::get_url(&url, &[AUTH]).await;
            assert_eq!(answer.status, 200, "{url}: {}", answer.body);
            pages += 1;
            seen.extend(names(&answer.body));
            match answer.body["next"].as_str() {
                Some(next) => url = next.to_owned(),
                None => return (seen, pages, answer.body),
            }
            assert!(pages < 10_000, "the walk does not end");
        }
    }

    #[tokio::test]
    async fn next_walks_every_file_once_in_order() {
        let server = server(Shape::Drf, 250).await;
        let (seen, pages, last) = walk(&server, &format!("{LIST_PATH}?page_size=7")).await;
        assert_eq!(seen, testing::names(&server, 250));
        assert_eq!(pages, 36);
        assert_eq!(last["count"], 250);
        assert_eq!(last["next"], Value::Null);
        let base = format!("{}{LIST_PATH}", server.base_url);
        assert_eq!(last["previous"], format!("{base}?page=35&page_size=7"));
        assert_eq!(server.stats.list_requests(), 36);

        let first = testing::get(&server, LIST_PATH, &[AUTH]).await;
        assert_eq!(first.body["count"], 250);
        assert_eq!(first.body["previous"], Value::Null);
        assert_eq!(first.body["next"], format!("{base}?page=2"));
        assert_eq!(first.body["results"].as_array().unwrap().len(), 50);
        // The way back to page 1 drops `page`, as DRF writes it.
        let second =
            testing::get(&server, &format!("{LIST_PATH}?page=2&page_size=7"), &[AUTH]).await;
        assert_eq!(second.body["previous"], format!("{base}?page_size=7"));
    }

    #[tokio::test]
    async fn next_keeps_every_other_parameter_sorted() {
        let server = server(Shape::Drf, 250).await;
        let answer = testing::get(
            &server,
            &format!("{LIST_PATH}?search=a&page_size=2&ordering=-bytes&page=2&x=a+b%2F"),
            &[AUTH],
        )
        .await;
        let base = format!("{}{LIST_PATH}", server.base_url);
        assert_eq!(
            answer.body["next"],
            format!("{base}?ordering=-bytes&page=3&page_size=2&search=a&x=a+b%2F")
        );
        assert_eq!(
            answer.body["previous"],
            format!("{base}?ordering=-bytes&page_size=2&search=a&x=a+b%2F")
        );
    }

    #[tokio::test]
    async fn records_look_like_drf_records() {
        let server = server(Shape::Drf, 20).await;
        let answer = testing::get(&server, LIST_PATH, &[AUTH]).await;
        let sample = testing::fixture("drf.json");
        assert_eq!(testing::keys(&answer.body), testing::keys(&sample));
        for (index, record) in answer.body["results"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            let file = server.dataset.file(index);
            assert_eq!(
                testing::keys(record),
                [
                    "bytes",
                    "created",
                    "download_url",
                    "filename",
                    "last_modified",
                    "mimetype",
                    "owner",
                    "uuid"
                ]
            );
            assert_eq!(record["uuid"], file.id);
            assert_eq!(record["filename"], file.file_name);
            assert_eq!(record["bytes"], file.size);
            assert_eq!(record["mimetype"], file.content_type);
            let created = record["created"].as_str().unwrap();
            let parsed = chrono::DateTime::parse_from_rfc3339(created).unwrap();
            assert_eq!(parsed.timestamp(), file.created_at);
            assert!(
                created.ends_with("+00:00") && created.len() == 32,
                "{created}"
            );
            let modified = record["last_modified"].as_i64().unwrap();
            assert_eq!(modified.div_euclid(1000), file.updated_at);
            let url = record["download_url"].as_str().unwrap();
            assert!(url.starts_with(&server.base_url), "{url}");
            assert!(record["owner"]["username"].is_string());
        }
    }

    #[tokio::test]
    async fn search_and_ordering_match_brute_force() {
        let server = server(Shape::Drf, 3000).await;
        let dataset = &server.dataset;
        let files: Vec<_> = (0..dataset.len()).map(|i| dataset.file(i)).collect();

        let (seen, _, last) =
            walk(&server, &format!("{LIST_PATH}?search=RePoRt&page_size=100")).await;
        let want: Vec<String> = files
            .iter()
            .filter(|f| f.file_name.to_lowercase().contains("report"))
            .map(|f| f.file_name.clone())
            .collect();
        assert!(want.len() > 10, "{}", want.len());
        assert_eq!(seen, want);
        assert_eq!(last["count"], want.len());

        let (seen, _, _) = walk(
            &server,
            &format!("{LIST_PATH}?ordering=-bytes&page_size=100"),
        )
        .await;
        let mut by_size: Vec<_> = files.iter().collect();
        by_size.sort_by(|a, b| b.size.cmp(&a.size).then(b.index.cmp(&a.index)));
        let want: Vec<String> = by_size.iter().map(|f| f.file_name.clone()).collect();
        assert_eq!(seen, want);

        let (seen, _, _) = walk(
            &server,
            &format!("{LIST_PATH}?ordering=filename&search=%E5%A0%B1&page_size=100"),
        )
        .await;
        let mut matched: Vec<_> = files
            .iter()
            .filter(|f| f.file_name.contains('報'))
            .collect();
        matched.sort_by(|a, b| {
            a.file_name
                .to_lowercase()
                .cmp(&b.file_name.to_lowercase())
                .then(a.index.cmp(&b.index))
        });
        let want: Vec<String> = matched.iter().map(|f| f.file_name.clone()).collect();
        assert!(want.len() > 1, "{}", want.len());
        assert_eq!(seen, want);

        let (seen, _, _) = walk(
            &server,
            &format!("{LIST_PATH}?ordering=-created&page_size=100"),
        )
        .await;
        let want: Vec<String> = files.iter().rev().map(|f| f.file_name.clone()).collect();
        assert_eq!(seen, want);

        // Nothing matches: page 1 is empty, page 2 is invalid.
        let none = testing::get(&server, &format!("{LIST_PATH}?search=zzzzzzzz"), &[AUTH]).await;
        assert_eq!(none.status, 200);
        assert_eq!(none.body["count"], 0);
        assert_eq!(none.body["next"], Value::Null);
        let past = testing::get(
            &server,
            &format!("{LIST_PATH}?search=zzzzzzzz&page=2"),
            &[AUTH],
        )
        .await;
        assert_eq!(past.status, 404);
    }

    #[tokio::test]
    async fn bad_ordering_and_pages() {
        let server = server(Shape::Drf, 250).await;
        for ordering in ["size", "-size", "filename,-bytes", "Filename"] {
            let answer = testing::get(
                &server,
                &format!("{LIST_PATH}?ordering={ordering}"),
                &[AUTH],
            )
            .await;
            assert_eq!(answer.status, 400, "{ordering}");
            assert_eq!(
                answer.body,
                json!({"ordering": ["Invalid ordering field."]})
            );
        }
        for page in ["0", "-1", "x", "", "6", "2.0"] {
            let answer = testing::get(&server, &format!("{LIST_PATH}?page={page}"), &[AUTH]).await;
            assert_eq!(answer.status, 404, "{page}");
            assert_eq!(answer.body, json!({"detail": "Invalid page."}));
        }
        let last = testing::get(
            &server,
            &format!("{LIST_PATH}?page=last&page_size=100"),
            &[AUTH],
        )
        .await;
        assert_eq!(last.status, 200);
        assert_eq!(last.body["results"].as_array().unwrap().len(), 50);
        assert_eq!(last.body["next"], Value::Null);
    }

    #[tokio::test]
    async fn page_size_is_clamped_or_defaulted() {
        let server = server(Shape::Drf, 250).await;
        let count = async |query: &str| {
            let answer = testing::get(&server, &format!("{LIST_PATH}?{query}"), &[AUTH]).await;
            assert_eq!(answer.status, 200, "{query}");
            answer.body["results"].as_array().unwrap().len()
        };
        assert_eq!(count("page_size=1000").await, 100);
        assert_eq!(count("page_size=100").await, 100);
        assert_eq!(count("page_size=3").await, 3);
        assert_eq!(count("page_size=0").await, 50);
        assert_eq!(count("page_size=-4").await, 50);
        assert_eq!(count("page_size=abc").await, 50);
        let clamped = testing::get(&server, &format!("{LIST_PATH}?page_size=1000"), &[AUTH]).await;
        // The next link keeps the parameter as given; the server clamps it again.
        assert!(
            clamped.body["next"]
                .as_str()
                .unwrap()
                .ends_with("?page=2&page_size=1000")
        );
    }

    #[tokio::test]
    async fn authentication() {
        let server = server(Shape::Drf, 10).await;
        let cases: [(&[(&str, &str)], &str); 6] = [
            (&[], "Authentication credentials were not provided."),
            (
                &[("authorization", "Bearer demo")],
                "Authentication credentials were not provided.",
            ),
            (&[("authorization", "Token nope")], "Invalid token."),
            (
                &[("authorization", "Token")],
                "Invalid token header. No credentials provided.",
            ),
            (
                &[("authorization", "Token demo demo")],
                "Invalid token header. Token string should not contain spaces.",
            ),
            (
                &[("x-api-key", "demo")],
                "Authentication credentials were not provided.",
            ),
        ];
        for (headers, detail) in cases {
            let answer = testing::get(&server, LIST_PATH, headers).await;
            assert_eq!(answer.status, 401, "{headers:?}");
            assert_eq!(answer.body, json!({ "detail": detail }));
            assert_eq!(answer.header("www-authenticate"), Some("Token"));
        }
        let answer = testing::get(&server, &format!("{LIST_PATH}?ordering=bogus"), &[]).await;
        assert_eq!(answer.status, 401, "auth comes first");
        let answer = testing::get(&server, LIST_PATH, &[("authorization", "token demo")]).await;
        assert_eq!(answer.status, 200);
    }

    #[tokio::test]
    async fn unknown_paths_and_methods() {
        let server = server(Shape::Drf, 10).await;
        for path in ["/api/files", "/api/files/1/", "/"] {
            let answer = testing::get(&server, path, &[AUTH]).await;
            assert_eq!(answer.status, 404, "{path}");
            assert_eq!(answer.body, json!({"detail": "Not found."}));
        }
        let post = testing::send(&server, reqwest::Method::POST, LIST_PATH, &[AUTH]).await;
        assert_eq!(post.status, 405);
        assert_eq!(post.body, json!({"detail": "Method \"POST\" not allowed."}));
    }

    #[tokio::test]
    async fn a_million_files_first_and_deep_pages() {
        let server = server(Shape::Drf, 1_000_000).await;
        let first = testing::get(&server, &format!("{LIST_PATH}?page_size=25"), &[AUTH]).await;
        assert_eq!(first.body["count"], 1_000_000);
        assert_eq!(names(&first.body), testing::names(&server, 25));
        let deep = testing::get(
            &server,
            &format!("{LIST_PATH}?page=40000&page_size=25"),
            &[AUTH],
        )
        .await;
        assert_eq!(deep.status, 200);
        let want: Vec<String> = (999_975..1_000_000)
            .map(|i| server.dataset.file(i).file_name)
            .collect();
        assert_eq!(names(&deep.body), want);
        assert_eq!(deep.body["next"], Value::Null);
        let past = testing::get(
            &server,
            &format!("{LIST_PATH}?page=40001&page_size=25"),
            &[AUTH],
        )
        .await;
        assert_eq!(past.status, 404);
    }
}
