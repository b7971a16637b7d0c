//! The JSON:API shape: a page-based collection of `files` resources.
//!
//! - `GET /api/v1/files?page[number]=N&page[size]=M` (the brackets
//!   percent-encoded on the wire, `page%5Bnumber%5D`, or raw: both are read)
//!   → `{"meta": {"total", "totalPages"}, "data": [resource], "links":
//!   {"self", "first", "prev", "next", "last"}}`, content type
//!   `application/vnd.api+json` (errors too).
//! - `page[number]` >= 1 (default 1); `page[size]` 1..=100 (default 20).
//!   Anything else is a 400 listing every bad parameter, each as
//!   `{"status": "400", "title": "Invalid Query Parameter", "detail",
//!   "source": {"parameter"}}`. A page past the end has an empty `data`.
//! - `links`: absolute URLs on the request's `Host`, brackets
//!   percent-encoded, `page[number]` then `page[size]` (the size always
//!   given). `prev` is null on page 1, `next` null on the last page (and
//!   past it); `last` is page 1 when there are no files.
//! - Auth: `Authorization: Bearer <key>`; refusals are 401 `{"errors":
//!   [{"status": "401", "title": "Unauthorized", "detail"}]}` with
//!   `WWW-Authenticate: Bearer`, before parameters are read.
//! - Unknown paths: 404; other methods: 405; both in the `errors` form.
//!
//! Resources: `type` "files", `id` (the dataset's record id, a string),
//! `attributes` {`name`, `size`, `content-type`, `created-at`, `updated-at`
//! (RFC 3339 with milliseconds, `Z`)}, `links.self` (absolute; serves nothing).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use serde_json::{Value, json};

use crate::common::{
    self, Bearer, Checks, Context, PageWindow, ParamError, Params, Plumbing, RawQuery,
};
use crate::dataset::{Dataset, Order};

pub(super) const LIST_PATH: &str = "/api/v1/files";
const DEFAULT_SIZE: u64 = 20;
const MAX_SIZE: u64 = 100;
const MEDIA_TYPE: &str = "application/vnd.api+json";

struct AppState {
    dataset: Arc<Dataset>,
    api_key: String,
    /// This server's `http://HOST:PORT`, before every resource link.
    origin: String,
}

pub(super) fn router(context: Context) -> Router {
    let state = Arc::new(AppState {
        dataset: Arc::clone(&context.dataset),
        api_key: context.api_key.clone(),
        origin: context.origin.clone(),
    });
    let router = Router::new()
        .route(LIST_PATH, get(list_files))
        .method_not_allowed_fallback(|request: Request| async move {
            ApiErrors::one(
                StatusCode::METHOD_NOT_ALLOWED,
                "Method Not Allowed",
                format!("{} is not allowed here; use GET", request.method()),
            )
        })
        .fallback(|request: Request| async move {
            ApiErrors::one(
                StatusCode::NOT_FOUND,
                "Not Found",
                format!(
                    "No resource at {}; the files are at {LIST_PATH}",
                    super::echo(request.uri().path())
                ),
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

#[derive(Serialize)]
struct Document {
    meta: Meta,
    data: Vec<Resource>,
    links: Links,
}

#[derive(Serialize)]
struct Meta {
    total: u64,
    #[serde(rename = "totalPages")]
    total_pages: u64,
}

#[derive(Serialize)]
struct Links {
    #[serde(rename = "self")]
    this: String,
    first: String,
    prev: Option<String>,
    next: Option<String>,
    last: String,
}

#[derive(Serialize)]
struct Resource {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
    attributes: Attributes,
    links: ResourceLinks,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Attributes {
    name: String,
    size: u64,
    content_type: &'static str,
    created_at: String,
    updated_at: String,
}

#[derive(Serialize)]
struct ResourceLinks {
    #[serde(rename = "self")]
    this: String,
}

async fn list_files(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: RawQuery,
) -> Result<Response, ApiErrors> {
    authorize(&headers, &state.api_key)?;
    let params = Params::from_raw(query).map_err(|message| {
        ApiErrors::one(StatusCode::BAD_REQUEST, "Invalid Query Parameter", message)
    })?;
    let mut check = Checks::new(invalid_parameter);
    let page = check
        .take(params.integer("page[number]", 1, u64::MAX))
        .unwrap_or(1);
    let size = check
        .take(params.integer("page[size]", 1, MAX_SIZE))
        .unwrap_or(DEFAULT_SIZE);
    check.finish().map_err(|errors| ApiErrors {
        status: StatusCode::BAD_REQUEST,
        errors,
    })?;
    let window = PageWindow {
        page,
        size,
        total: state.dataset.len() as u64,
    };
    let (offset, limit) = window.positions();
    let order = Order::natural(state.dataset.len(), false);
    let data: Vec<Resource> = order
        .page(offset, limit)
        .map(|index| state.resource(index))
        .collect();
    let origin = common::origin(&headers);
    let link = |number: u64| {
        format!("{origin}{LIST_PATH}?page%5Bnumber%5D={number}&page%5Bsize%5D={size}")
    };
    let pages = window.pages();
    let document = Document {
        meta: Meta {
            total: window.total,
            total_pages: pages,
        },
        data,
        links: Links {
            this: link(page),
            first: link(1),
            prev: window.has_previous().then(|| link(page - 1)),
            next: window.has_next().then(|| link(page + 1)),
            last: link(pages.max(1)),
        },
    };
    Ok(api_json(StatusCode::OK, &document))
}

impl AppState {
    fn resource(&self, index: usize) -> Resource {
        let file = self.dataset.file(index);
        Resource {
            kind: "files",
            links: ResourceLinks {
                this: format!("{}{LIST_PATH}/{}", self.origin, file.id),
            },
            id: file.id,
            attributes: Attributes {
                name: file.file_name,
                size: file.size,
                content_type: file.content_type,
                created_at: super::iso_millis(file.created_at),
                updated_at: super::iso_millis(file.updated_at),
            },
        }
    }
}

fn api_json(status: StatusCode, body: &impl Serialize) -> Response {
    let mut response = common::json(status, body);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
    response
}

fn authorize(headers: &HeaderMap, api_key: &str) -> Result<(), ApiErrors> {
    let detail = match Bearer::check(headers, api_key) {
        Bearer::Valid => return Ok(()),
        Bearer::Missing => "No credentials: send Authorization: Bearer <key>.",
        Bearer::WrongScheme => "Unsupported authorization scheme: use Authorization: Bearer <key>.",
        Bearer::Invalid => "The bearer token is not valid.",
    };
    Err(ApiErrors::one(
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
        detail.to_owned(),
    ))
}

fn invalid_parameter(error: ParamError) -> Value {
    json!({
        "status": "400",
        "title": "Invalid Query Parameter",
        "detail": error.plain(),
        "source": {"parameter": error.name},
    })
}

/// A JSON:API error document: `{"errors": [...]}`.
#[derive(Debug)]
struct ApiErrors {
    status: StatusCode,
    errors: Vec<Value>,
}

impl ApiErrors {
    fn one(status: StatusCode, title: &str, detail: String) -> Self {
        ApiErrors {
            status,
            errors: vec![json!({
                "status": status.as_u16().to_string(),
                "title": title,
                "detail": detail,
            })],
        }
    }
}

impl IntoResponse for ApiErrors {
    fn into_response(self) -> Response {
        let mut response = api_json(self.status, &json!({ "errors": self.errors }));
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shapes::Shape;
    use crate::shapes::testing::{self, server};

    const AUTH: (&str, &str) = ("authorization", "Bearer demo");

    fn names(body: &Value) -> Vec<String> {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["attributes"]["name"].as_str().unwrap().to_owned())
            .collect()
    }

    #[tokio::test]
    async fn links_next_walks_every_file_once_in_order() {
        let server = server(Shape::Jsonapi, 250).await;
        let mut url = format!("{}{LIST_PATH}?page%5Bsize%5D=7", server.base_url);
        let (mut seen, mut pages) = (Vec::new(), 0);
        loop {
            let answer = testing::get_url(&url, &[AUTH]).await;
            assert_eq!(answer.status, 200, "{url}: {}", answer.body);
            assert_eq!(answer.content_type(), MEDIA_TYPE);
            pages += 1;
            seen.extend(names(&answer.body));
            assert_eq!(answer.body["meta"], json!({"total": 250, "totalPages": 36}));
            match answer.body["links"]["next"].as_str() {
                Some(next) => url = next.to_owned(),
                None => {
                    assert_eq!(answer.body["links"]["next"], Value::Null);
                    break;
                }
            }
            assert!(pages < 1000, "the walk does not end");
        }
        assert_eq!(pages, 36);
        assert_eq!(seen, testing::names(&server, 250));
    }

    #[tokio::test]
    async fn documents_and_links() {
        let server = server(Shape::Jsonapi, 250).await;
        let base = format!("{}{LIST_PATH}", server.base_url);
        let link = |n: u64, size: u64| format!("{base}?page%5Bnumber%5D={n}&page%5Bsize%5D={size}");
        let sample = testing::fixture("jsonapi.json");

        let first = testing::get(&server, LIST_PATH, &[AUTH]).await;
        assert_eq!(testing::keys(&first.body), testing::keys(&sample));
        assert_eq!(
            testing::keys(&first.body["links"]),
            testing::keys(&sample["links"])
        );
        assert_eq!(
            first.body["links"],
            json!({"self": link(1, 20), "first": link(1, 20), "prev": null,
                   "next": link(2, 20), "last": link(13, 20)})
        );
        assert_eq!(first.body["meta"], json!({"total": 250, "totalPages": 13}));
        let resource = &first.body["data"][3];
        let file = server.dataset.file(3);
        assert_eq!(
            testing::keys(resource),
            ["attributes", "id", "links", "type"]
        );
        assert_eq!(resource["type"], "files");
        assert_eq!(resource["id"], file.id);
        assert_eq!(
            resource["attributes"],
            json!({"name": file.file_name, "size": file.size, "content-type": file.content_type,
                   "created-at": crate::shapes::iso_millis(file.created_at),
                   "updated-at": crate::shapes::iso_millis(file.updated_at)})
        );
        assert_eq!(resource["links"]["self"], format!("{base}/{}", file.id));

        // Raw brackets are read too.
        let raw = testing::get(
            &server,
            &format!("{LIST_PATH}?page[number]=3&page[size]=100"),
            &[AUTH],
        )
        .await;
        assert_eq!(raw.body["data"].as_array().unwrap().len(), 50);
        assert_eq!(
            raw.body["links"],
            json!({"self": link(3, 100), "first": link(1, 100), "prev": link(2, 100),
                   "next": null, "last": link(3, 100)})
        );
        let past = testing::get(
            &server,
            &format!("{LIST_PATH}?page%5Bnumber%5D=9&page%5Bsize%5D=100"),
            &[AUTH],
        )
        .await;
        assert_eq!(past.status, 200);
        assert_eq!(past.body["data"], json!([]));
        assert_eq!(past.body["links"]["next"], Value::Null);
    }

    #[tokio::test]
    async fn bad_page_parameters() {
        let server = server(Shape::Jsonapi, 250).await;
        let answer = testing::get(
            &server,
            &format!("{LIST_PATH}?page%5Bsize%5D=101&page%5Bnumber%5D=0"),
            &[AUTH],
        )
        .await;
        assert_eq!(answer.status, 400);
        assert_eq!(answer.content_type(), MEDIA_TYPE);
        let errors = answer.body["errors"].as_array().unwrap();
        let parameters: Vec<&str> = errors
            .iter()
            .map(|e| e["source"]["parameter"].as_str().unwrap())
            .collect();
        assert_eq!(parameters, ["page[number]", "page[size]"]);
        assert!(errors.iter().all(|e| e["status"] == "400"));
        let most = testing::get(&server, &format!("{LIST_PATH}?page%5Bsize%5D=100"), &[AUTH]).await;
        assert_eq!(most.body["data"].as_array().unwrap().len(), 100);
        let bad = testing::get(&server, &format!("{LIST_PATH}?page%5Bsize%5D=x"), &[AUTH]).await;
        assert_eq!(bad.status, 400);
    }

    #[tokio::test]
    async fn unauthorized() {
        let server = server(Shape::Jsonapi, 10).await;
        for headers in [
            vec![],
            vec![("authorization", "Bearer nope")],
            vec![("authorization", "Token demo")],
        ] {
            let answer = testing::get(&server, LIST_PATH, &headers).await;
            assert_eq!(answer.status, 401, "{headers:?}");
            assert_eq!(answer.content_type(), MEDIA_TYPE);
            let error = &answer.body["errors"][0];
            assert_eq!(error["status"], "401");
            assert_eq!(error["title"], "Unauthorized");
            assert!(error["detail"].is_string());
        }
    }

    #[tokio::test]
    async fn unknown_paths_and_methods() {
        let server = server(Shape::Jsonapi, 10).await;
        let answer = testing::get(&server, "/api/v1/files/x/y", &[AUTH]).await;
        assert_eq!(answer.status, 404);
        assert_eq!(answer.content_type(), MEDIA_TYPE);
        assert_eq!(answer.body["errors"][0]["status"], "404");
        let post = testing::send(&server, reqwest::Method::POST, LIST_PATH, &[AUTH]).await;
        assert_eq!(post.status, 405);
        assert_eq!(post.body["errors"][0]["status"], "405");
    }

    #[tokio::test]
    async fn empty_dataset() {
        let server = server(Shape::Jsonapi, 0).await;
        let answer = testing::get(&server, LIST_PATH, &[AUTH]).await;
        assert_eq!(answer.body["data"], json!([]));
        assert_eq!(answer.body["meta"], json!({"total": 0, "totalPages": 0}));
        assert_eq!(answer.body["links"]["next"], Value::Null);
        assert_eq!(answer.body["links"]["last"], answer.body["links"]["first"]);
    }

    #[tokio::test]
    async fn a_million_files_deep_page() {
        let server = server(Shape::Jsonapi, 1_000_000).await;
        let deep = testing::get(
            &server,
            &format!("{LIST_PATH}?page%5Bnumber%5D=10000&page%5Bsize%5D=100"),
            &[AUTH],
        )
        .await;
        let want: Vec<String> = (999_900..1_000_000)
            .map(|i| server.dataset.file(i).file_name)
            .collect();
        assert_eq!(names(&deep.body), want);
        assert_eq!(deep.body["meta"]["totalPages"], 10_000);
    }
}
