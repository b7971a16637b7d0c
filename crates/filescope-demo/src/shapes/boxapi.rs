//! The Box shape: "List items in folder" for the root folder, offset paging.
//!
//! - `GET /2.0/folders/0/items?offset=K&limit=M` → `{"total_count", "limit",
//!   "offset", "order", "entries"}`. `offset`: any integer >= 0 (default 0;
//!   no 9,999 cap: the dataset may hold millions); `limit`: default 100, above
//!   1000 it is clamped to 1000 (and the answer's `limit` says so); `limit`
//!   below 1, or either not an integer, is a 400. The next page is at
//!   `offset + limit`; the walk ends when that reaches `total_count`. An
//!   offset past the end has no entries.
//! - `order` is always `[{"by": "type", "direction": "ASC"}, {"by": "name",
//!   "direction": "ASC"}]`, as Box answers it, although the entries come in
//!   index order, as every shape serves them.
//! - Auth: `Authorization: Bearer <key>`; refusals are 401 `{"type": "error",
//!   "status": 401, "code": "unauthorized", "message"}` with
//!   `WWW-Authenticate: Bearer realm="Service"`, before parameters are read.
//! - Other folders and unknown paths: 404 `code: "not_found"`; other
//!   methods: 405 `code: "method_not_allowed"`; bad parameters: 400
//!   `code: "bad_request"`; all in the same envelope.
//!
//! Entries: `type` "file", `id` (a 13-digit numeric string, unique per
//! record), `etag` "1", `sequence_id` "1", `name`, `size`, `created_at` /
//! `modified_at` (`2024-03-02T09:14:58+00:00`), `sha1` (40 hex digits, derived).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use serde_json::json;

use crate::common::{self, Bearer, Context, IdCipher, Params, Plumbing, RawQuery, Salt};
use crate::dataset::{Dataset, Order};

pub(super) const LIST_PATH: &str = "/2.0/folders/0/items";
const DEFAULT_LIMIT: u64 = 100;
const MAX_LIMIT: u64 = 1000;
/// Added to every record's cipher code to make a Box-like id.
const ID_BASE: u64 = 1_000_000_000_000;

struct AppState {
    dataset: Arc<Dataset>,
    api_key: String,
    cipher: IdCipher,
}

pub(super) fn router(context: Context) -> Router {
    let state = Arc::new(AppState {
        cipher: IdCipher::new(&context.dataset),
        dataset: Arc::clone(&context.dataset),
        api_key: context.api_key.clone(),
    });
    let router = Router::new()
        .route(LIST_PATH, get(list_items))
        .method_not_allowed_fallback(|request: Request| async move {
            BoxError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("Method Not Allowed: {}", request.method()),
            )
        })
        .fallback(|_: Request| async {
            BoxError::new(StatusCode::NOT_FOUND, "not_found", "Not Found".to_owned())
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

#[derive(Serialize)]
struct Collection {
    total_count: u64,
    limit: u64,
    offset: u64,
    order: [OrderBy; 2],
    entries: Vec<Entry>,
}

#[derive(Serialize)]
struct OrderBy {
    by: &'static str,
    direction: &'static str,
}

#[derive(Serialize)]
struct Entry {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
    etag: &'static str,
    sequence_id: &'static str,
    name: String,
    size: u64,
    created_at: String,
    modified_at: String,
    sha1: String,
}

async fn list_items(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: RawQuery,
) -> Result<Response, BoxError> {
    authorize(&headers, &state.api_key)?;
    let params = Params::from_raw(query).map_err(BoxError::bad_request)?;
    let offset = params
        .integer("offset", 0, u64::MAX)
        .map_err(|e| BoxError::bad_request(e.plain()))?
        .unwrap_or(0);
    let limit = params
        .integer("limit", 1, u64::MAX)
        .map_err(|e| BoxError::bad_request(e.plain()))?
        .map_or(DEFAULT_LIMIT, |limit| limit.min(MAX_LIMIT));
    let len = state.dataset.len();
    let order = Order::natural(len, false);
    let entries: Vec<Entry> = order
        .page(
            usize::try_from(offset).unwrap_or(usize::MAX),
            limit as usize,
        )
        .map(|index| state.entry(index))
        .collect();
    let body = Collection {
        total_count: len as u64,
        limit,
        offset,
        order: [
            OrderBy {
                by: "type",
                direction: "ASC",
            },
            OrderBy {
                by: "name",
                direction: "ASC",
            },
        ],
        entries,
    };
    Ok(common::json(StatusCode::OK, &body))
}

impl AppState {
    fn entry(&self, index: usize) -> Entry {
        let file = self.dataset.file(index);
        let mut sha1 = common::digest(&self.dataset, index, Salt::BoxSha1);
        sha1.truncate(40);
        Entry {
            kind: "file",
            id: (ID_BASE + u64::from(self.cipher.encode(index))).to_string(),
            etag: "1",
            sequence_id: "1",
            name: file.file_name,
            size: file.size,
            created_at: super::iso_offset(file.created_at),
            modified_at: super::iso_offset(file.updated_at),
            sha1,
        }
    }
}

fn authorize(headers: &HeaderMap, api_key: &str) -> Result<(), BoxError> {
    let message = match Bearer::check(headers, api_key) {
        Bearer::Valid => return Ok(()),
        Bearer::Missing | Bearer::WrongScheme => {
            "No access token: send Authorization: Bearer <key>"
        }
        Bearer::Invalid => "The access token is invalid or expired",
    };
    Err(BoxError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        message.to_owned(),
    ))
}

/// Box's error body: `{"type": "error", "status", "code", "message"}`.
#[derive(Debug)]
struct BoxError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl BoxError {
    fn new(status: StatusCode, code: &'static str, message: String) -> Self {
        BoxError {
            status,
            code,
            message,
        }
    }

    fn bad_request(message: String) -> Self {
        BoxError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
}

impl IntoResponse for BoxError {
    fn into_response(self) -> Response {
        let body = json!({
            "type": "error",
            "status": self.status.as_u16(),
            "code": self.code,
            "message": self.message,
        });
        let mut response = common::json(self.status, &body);
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"Service\""),
            );
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

    const AUTH: (&str, &str) = ("authorization", "Bearer demo");

    fn names(body: &Value) -> Vec<String> {
        body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_owned())
            .collect()
    }

    #[tokio::test]
    async fn offsets_walk_every_file_once_in_order() {
        let server = server(Shape::Box, 250).await;
        let (mut offset, limit) = (0u64, 7u64);
        let (mut seen, mut pages) = (Vec::new(), 0);
        loop {
            let answer = testing::get(
                &server,
                &format!("{LIST_PATH}?offset={offset}&limit={limit}"),
                &[AUTH],
            )
            .await;
            assert_eq!(answer.status, 200, "{}", answer.body);
            pages += 1;
            seen.extend(names(&answer.body));
            let body = &answer.body;
            assert_eq!(body["offset"], offset);
            assert_eq!(body["limit"], limit);
            let total = body["total_count"].as_u64().unwrap();
            assert_eq!(total, 250);
            offset += body["limit"].as_u64().unwrap();
            if offset >= total {
                break;
            }
            assert!(pages < 1000, "the walk does not end");
        }
        assert_eq!(pages, 36);
        assert_eq!(seen, testing::names(&server, 250));
        let past = testing::get(&server, &format!("{LIST_PATH}?offset=250"), &[AUTH]).await;
        assert_eq!(past.status, 200);
        assert_eq!(past.body["entries"], json!([]));
    }

    #[tokio::test]
    async fn entries_look_like_box_files() {
        let server = server(Shape::Box, 30).await;
        let answer = testing::get(&server, LIST_PATH, &[AUTH]).await;
        let sample = testing::fixture("box_items.json");
        assert_eq!(testing::keys(&answer.body), testing::keys(&sample));
        assert_eq!(
            answer.body["order"],
            json!([{"by": "type", "direction": "ASC"}, {"by": "name", "direction": "ASC"}])
        );
        assert_eq!(
            (
                answer.body["limit"].as_u64(),
                answer.body["offset"].as_u64()
            ),
            (Some(100), Some(0))
        );
        let mut ids = std::collections::HashSet::new();
        for (index, entry) in answer.body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            let file = server.dataset.file(index);
            // The guide's sample has numbers where real answers have strings.
            for key in testing::keys(&sample["entries"][0]) {
                assert!(entry.get(&key).is_some(), "{key}");
            }
            assert_eq!(
                testing::keys(entry),
                [
                    "created_at",
                    "etag",
                    "id",
                    "modified_at",
                    "name",
                    "sequence_id",
                    "sha1",
                    "size",
                    "type"
                ]
            );
            assert_eq!(entry["type"], "file");
            assert_eq!(entry["etag"], "1");
            assert_eq!(entry["sequence_id"], "1");
            assert_eq!(entry["name"], file.file_name);
            assert_eq!(entry["size"], file.size);
            assert_eq!(
                entry["created_at"],
                crate::shapes::iso_offset(file.created_at)
            );
            assert_eq!(
                entry["modified_at"],
                crate::shapes::iso_offset(file.updated_at)
            );
            let id = entry["id"].as_str().unwrap();
            assert!(
                id.len() == 13 && id.bytes().all(|b| b.is_ascii_digit()),
                "{id}"
            );
            assert!(ids.insert(id.to_owned()));
            let sha1 = entry["sha1"].as_str().unwrap();
            assert!(
                sha1.len() == 40 && sha1.bytes().all(|b| b.is_ascii_hexdigit()),
                "{sha1}"
            );
        }
        assert!(
            answer.body["entries"][0]["created_at"]
                .as_str()
                .unwrap()
                .ends_with("+00:00")
        );
    }

    #[tokio::test]
    async fn limits_are_clamped_and_bad_values_refused() {
        let server = server(Shape::Box, 2500).await;
        let big = testing::get(
            &server,
            &format!("{LIST_PATH}?limit=5000&offset=1000"),
            &[AUTH],
        )
        .await;
        assert_eq!(big.status, 200);
        assert_eq!(big.body["limit"], 1000);
        assert_eq!(big.body["entries"].as_array().unwrap().len(), 1000);
        let deep = testing::get(
            &server,
            &format!("{LIST_PATH}?offset=2400&limit=1000"),
            &[AUTH],
        )
        .await;
        assert_eq!(deep.body["entries"].as_array().unwrap().len(), 100);
        for bad in ["limit=0", "limit=x", "offset=-1", "offset=1.5"] {
            let answer = testing::get(&server, &format!("{LIST_PATH}?{bad}"), &[AUTH]).await;
            assert_eq!(answer.status, 400, "{bad}");
            assert_eq!(answer.body["type"], "error");
            assert_eq!(answer.body["status"], 400);
            assert_eq!(answer.body["code"], "bad_request");
            assert!(answer.body["message"].is_string());
        }
    }

    #[tokio::test]
    async fn unauthorized() {
        let server = server(Shape::Box, 10).await;
        for headers in [
            vec![],
            vec![("authorization", "Bearer nope")],
            vec![("authorization", "demo")],
        ] {
            let answer = testing::get(&server, &format!("{LIST_PATH}?limit=0"), &headers).await;
            assert_eq!(answer.status, 401, "{headers:?}");
            assert_eq!(
                testing::keys(&answer.body),
                ["code", "message", "status", "type"]
            );
            assert_eq!(answer.body["type"], "error");
            assert_eq!(answer.body["status"], 401);
            assert_eq!(answer.body["code"], "unauthorized");
            assert_eq!(
                answer.header("www-authenticate"),
                Some("Bearer realm=\"Service\"")
            );
        }
    }

    #[tokio::test]
    async fn unknown_paths_and_methods() {
        let server = server(Shape::Box, 10).await;
        for path in ["/2.0/folders/1/items", "/2.0/files/1", "/"] {
            let answer = testing::get(&server, path, &[AUTH]).await;
            assert_eq!(answer.status, 404, "{path}");
            assert_eq!(
                answer.body,
                json!({"type": "error", "status": 404, "code": "not_found", "message": "Not Found"})
            );
        }
        let post = testing::send(&server, reqwest::Method::POST, LIST_PATH, &[AUTH]).await;
        assert_eq!(post.status, 405);
        assert_eq!(post.body["code"], "method_not_allowed");
    }

    #[tokio::test]
    async fn a_million_files_first_and_deep_pages() {
        let server = server(Shape::Box, 1_000_000).await;
        let first = testing::get(&server, LIST_PATH, &[AUTH]).await;
        assert_eq!(first.body["total_count"], 1_000_000);
        assert_eq!(names(&first.body), testing::names(&server, 100));
        let deep = testing::get(
            &server,
            &format!("{LIST_PATH}?offset=999900&limit=100"),
            &[AUTH],
        )
        .await;
        let want: Vec<String> = (999_900..1_000_000)
            .map(|i| server.dataset.file(i).file_name)
            .collect();
        assert_eq!(names(&deep.body), want);
        assert_eq!(deep.body["offset"], 999_900);
    }
}
