//! The Stripe shape: "List all files".
//!
//! - `GET /v1/files?limit=N&starting_after=ID` (or `ending_before=ID`) →
//!   `{"object": "list", "url": "/v1/files", "has_more", "data"}`. No total.
//! - `limit`: 1..=100, default 10; anything else is a 400 with Stripe's
//!   envelope `{"error": {"type": "invalid_request_error", "message", "param":
//!   "limit"}}`.
//! - `starting_after`: the `id` of the last record of the previous page; the
//!   answer holds the records after it, `has_more` says whether more follow.
//!   `ending_before` is the other direction: the `limit` records just before
//!   it, `has_more` saying whether more precede them. Both at once, an empty
//!   value, or an id this server did not give out is a 400 (`"No such file:
//!   '<id>'"`, `param` naming the parameter).
//! - Auth: `Authorization: Bearer <key>` (scheme case-insensitive). No
//!   header, another scheme or a wrong key is a 401 in the same envelope
//!   (no `param`), with `WWW-Authenticate: Bearer realm="Stripe"`.
//! - Unknown paths: 404 `"Unrecognized request URL (GET: /path)."`; other
//!   methods on the list path: 405, same envelope.
//!
//! Ids are `file_` + 24 base-62 characters: the first 12 (`1` then 11 digits)
//! carry the record's [`IdCipher`] code, so an id decodes back to its index in
//! O(1); the rest is derived noise, checked too, so an id is valid only
//! exactly as handed out. `type` is the name's extension (null if it has
//! none); `url` is `{origin}/v1/files/<id>/contents` (it serves nothing).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use serde_json::json;

use crate::common::{self, Bearer, Context, IdCipher, Params, Plumbing, Problem, RawQuery, Salt};
use crate::dataset::Dataset;

pub(super) const LIST_PATH: &str = "/v1/files";
const DEFAULT_LIMIT: u64 = 10;
const MAX_LIMIT: u64 = 100;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ID_PREFIX: &str = "file_1";
/// Base-62 digits of the code part and of the noise part of an id.
const CODE_DIGITS: usize = 11;
const NOISE_DIGITS: usize = 12;

struct AppState {
    dataset: Arc<Dataset>,
    api_key: String,
    /// This server's `http://HOST:PORT`, before every contents URL.
    origin: String,
    cipher: IdCipher,
}

pub(super) fn router(context: Context) -> Router {
    let state = Arc::new(AppState {
        cipher: IdCipher::new(&context.dataset),
        dataset: Arc::clone(&context.dataset),
        api_key: context.api_key.clone(),
        origin: context.origin.clone(),
    });
    let router = Router::new()
        .route(LIST_PATH, get(list_files))
        .method_not_allowed_fallback(|request: Request| async move {
            StripeError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!(
                    "Unrecognized request URL ({}: {}).",
                    request.method(),
                    request.uri().path()
                ),
                None,
            )
        })
        .fallback(|request: Request| async move {
            StripeError::new(
                StatusCode::NOT_FOUND,
                format!(
                    "Unrecognized request URL ({}: {}).",
                    request.method(),
                    super::echo(request.uri().path())
                ),
                None,
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
struct ListBody {
    object: &'static str,
    url: &'static str,
    has_more: bool,
    data: Vec<FileObject>,
}

#[derive(Serialize)]
struct FileObject {
    id: String,
    object: &'static str,
    created: i64,
    expires_at: Option<i64>,
    filename: String,
    links: FileLinks,
    purpose: &'static str,
    size: u64,
    title: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    url: String,
}

#[derive(Serialize)]
struct FileLinks {
    object: &'static str,
    data: [(); 0],
    has_more: bool,
    url: String,
}

async fn list_files(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: RawQuery,
) -> Result<Response, StripeError> {
    authorize(&headers, &state.api_key)?;
    let params = Params::from_raw(query)
        .map_err(|_| StripeError::invalid("Invalid query string.".to_owned(), None))?;
    let limit = params
        .integer("limit", 1, MAX_LIMIT)
        .map_err(|error| {
            let message = match error.problem {
                Problem::TooSmall(min) => {
                    format!("This value must be greater than or equal to {min}.")
                }
                Problem::TooLarge(max) => {
                    format!("This value must be less than or equal to {max}.")
                }
                _ => format!("Invalid integer: {}", super::echo(&error.value)),
            };
            StripeError::invalid(message, Some("limit"))
        })?
        .unwrap_or(DEFAULT_LIMIT) as usize;
    let len = state.dataset.len();
    let (start, end, has_more) = match (params.raw("starting_after"), params.raw("ending_before")) {
        (Some(_), Some(_)) => {
            return Err(StripeError::invalid(
                "You may only specify one of these parameters: ending_before, starting_after."
                    .to_owned(),
                None,
            ));
        }
        (Some(after), None) => {
            let index = state.lookup(after, "starting_after")?;
            let end = (index + 1).saturating_add(limit).min(len);
            (index + 1, end, end < len)
        }
        (None, Some(before)) => {
            let index = state.lookup(before, "ending_before")?;
            let start = index.saturating_sub(limit);
            (start, index, start > 0)
        }
        (None, None) => {
            let end = limit.min(len);
            (0, end, end < len)
        }
    };
    let body = ListBody {
        object: "list",
        url: LIST_PATH,
        has_more,
        data: (start..end).map(|index| state.file(index)).collect(),
    };
    Ok(common::json(StatusCode::OK, &body))
}

impl AppState {
    fn id(&self, index: usize) -> String {
        let code = self.cipher.opaque(&self.dataset, index, 32);
        let noise = Salt::StripeIdTail.of(&self.dataset, index);
        let mut id = String::with_capacity(ID_PREFIX.len() + CODE_DIGITS + NOISE_DIGITS);
        id.push_str(ID_PREFIX);
        push_base62(&mut id, code, CODE_DIGITS);
        push_base62(&mut id, noise, NOISE_DIGITS);
        id
    }

    /// The record of an id handed out by this server, or Stripe's 400.
    fn lookup(&self, id: &str, param: &'static str) -> Result<usize, StripeError> {
        if id.is_empty() {
            return Err(StripeError::invalid(
                format!(
                    "You passed an empty string for '{param}'. We assume empty values are an \
                     attempt to unset a parameter; however '{param}' cannot be unset. You should \
                     remove '{param}' from your request or supply a non-empty value."
                ),
                Some(param),
            ));
        }
        let parse = |id: &str| {
            let digits = id.strip_prefix(ID_PREFIX)?.get(..CODE_DIGITS)?;
            parse_base62(digits)
        };
        self.cipher
            .find(id, self.dataset.len(), parse, |index| self.id(index))
            .ok_or_else(|| {
                StripeError::invalid(format!("No such file: '{}'", super::echo(id)), Some(param))
            })
    }

    fn file(&self, index: usize) -> FileObject {
        let file = self.dataset.file(index);
        let id = self.id(index);
        FileObject {
            object: "file",
            created: file.created_at,
            expires_at: None,
            links: FileLinks {
                object: "list",
                data: [],
                has_more: false,
                url: format!("/v1/file_links?file={id}"),
            },
            purpose: "dispute_evidence",
            size: file.size,
            title: None,
            kind: super::extension(&file.file_name),
            filename: file.file_name,
            url: format!("{}/v1/files/{id}/contents", self.origin),
            id,
        }
    }
}

fn push_base62(out: &mut String, mut value: u64, digits: usize) {
    let mut text = vec![b'0'; digits];
    for slot in text.iter_mut().rev() {
        *slot = BASE62[(value % 62) as usize];
        value /= 62;
    }
    out.push_str(std::str::from_utf8(&text).expect("base-62 digits are ASCII"));
}

fn parse_base62(digits: &str) -> Option<u64> {
    digits.bytes().try_fold(0u64, |value, byte| {
        let digit = BASE62.iter().position(|&c| c == byte)? as u64;
        value.checked_mul(62)?.checked_add(digit)
    })
}

fn authorize(headers: &HeaderMap, api_key: &str) -> Result<(), StripeError> {
    let message = match Bearer::check(headers, api_key) {
        Bearer::Valid => return Ok(()),
        Bearer::Missing | Bearer::WrongScheme => {
            "You did not provide an API key. You need to provide your API key in the \
             Authorization header, using Bearer auth (e.g. 'Authorization: Bearer \
             YOUR_SECRET_KEY')."
                .to_owned()
        }
        Bearer::Invalid => "Invalid API Key provided.".to_owned(),
    };
    Err(StripeError::new(StatusCode::UNAUTHORIZED, message, None))
}

/// Stripe's error body: `{"error": {"type", "message", "param"?}}`.
#[derive(Debug)]
struct StripeError {
    status: StatusCode,
    message: String,
    param: Option<&'static str>,
}

impl StripeError {
    fn new(status: StatusCode, message: String, param: Option<&'static str>) -> Self {
        StripeError {
            status,
            message,
            param,
        }
    }

    fn invalid(message: String, param: Option<&'static str>) -> Self {
        StripeError::new(StatusCode::BAD_REQUEST, message, param)
    }
}

impl IntoResponse for StripeError {
    fn into_response(self) -> Response {
        let mut error = json!({
            "type": "invalid_request_error",
            "message": self.message,
        });
        if let Some(param) = self.param {
            error["param"] = json!(param);
        }
        let mut response = common::json(self.status, &json!({ "error": error }));
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"Stripe\""),
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

    fn state_over(dataset: Dataset) -> AppState {
        AppState {
            cipher: IdCipher::new(&dataset),
            dataset: Arc::new(dataset),
            api_key: String::new(),
            origin: String::new(),
        }
    }

    fn data(body: &Value) -> &Vec<Value> {
        body["data"].as_array().unwrap()
    }

    fn names(body: &Value) -> Vec<String> {
        data(body)
            .iter()
            .map(|f| f["filename"].as_str().unwrap().to_owned())
            .collect()
    }

    #[tokio::test]
    async fn starting_after_walks_every_file_once_in_order() {
        let server = server(Shape::Stripe, 250).await;
        let mut query = "limit=7".to_owned();
        let (mut seen, mut pages) = (Vec::new(), 0);
        loop {
            let answer = testing::get(&server, &format!("{LIST_PATH}?{query}"), &[AUTH]).await;
            assert_eq!(answer.status, 200, "{query}: {}", answer.body);
            pages += 1;
            seen.extend(names(&answer.body));
            if answer.body["has_more"] == false {
                break;
            }
            let last = data(&answer.body).last().unwrap()["id"].as_str().unwrap();
            query = format!("limit=7&starting_after={last}");
            assert!(pages < 1000, "the walk does not end");
        }
        assert_eq!(pages, 36);
        assert_eq!(seen, testing::names(&server, 250));

        // And back with ending_before from the first record of the last page.
        let answer = testing::get(&server, &format!("{LIST_PATH}?{query}"), &[AUTH]).await;
        let first = data(&answer.body)[0]["id"].as_str().unwrap().to_owned();
        let back = testing::get(
            &server,
            &format!("{LIST_PATH}?limit=7&ending_before={first}"),
            &[AUTH],
        )
        .await;
        assert_eq!(names(&back.body), testing::names(&server, 245)[238..]);
        assert_eq!(back.body["has_more"], true);
        let id1 = data(
            &testing::get(&server, &format!("{LIST_PATH}?limit=2"), &[AUTH])
                .await
                .body,
        )[1]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let start = testing::get(
            &server,
            &format!("{LIST_PATH}?ending_before={id1}"),
            &[AUTH],
        )
        .await;
        assert_eq!(names(&start.body), testing::names(&server, 1));
        assert_eq!(start.body["has_more"], false);
    }

    #[tokio::test]
    async fn files_look_like_the_docs_sample() {
        let server = server(Shape::Stripe, 50).await;
        let answer = testing::get(&server, &format!("{LIST_PATH}?limit=100"), &[AUTH]).await;
        let sample = testing::fixture("stripe_files.json");
        assert_eq!(testing::keys(&answer.body), testing::keys(&sample));
        assert_eq!(answer.body["object"], "list");
        assert_eq!(answer.body["url"], "/v1/files");
        assert_eq!(answer.body["has_more"], false);
        let mut ids = std::collections::HashSet::new();
        for (index, file) in data(&answer.body).iter().enumerate() {
            testing::assert_same_fields(&sample["data"][0], file, "file", &["expires_at", "type"]);
            assert_eq!(testing::keys(file), testing::keys(&sample["data"][0]));
            let record = server.dataset.file(index);
            let id = file["id"].as_str().unwrap();
            assert!(id.starts_with("file_") && id.len() == 29, "{id}");
            assert!(id[5..].bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
            assert!(ids.insert(id.to_owned()));
            assert_eq!(file["object"], "file");
            assert_eq!(file["created"], record.created_at);
            assert_eq!(file["expires_at"], Value::Null);
            assert_eq!(file["filename"], record.file_name);
            assert_eq!(file["size"], record.size);
            assert_eq!(file["purpose"], "dispute_evidence");
            assert_eq!(file["title"], Value::Null);
            assert_eq!(file["links"]["url"], format!("/v1/file_links?file={id}"));
            assert_eq!(file["links"]["data"], serde_json::json!([]));
            assert_eq!(
                file["url"],
                format!("{}/v1/files/{id}/contents", server.base_url)
            );
            let kind = &file["type"];
            match record.file_name.rsplit_once('.') {
                Some((_, ext)) if kind.is_string() => assert_eq!(kind, &ext.to_lowercase()),
                _ => assert!(kind.is_null(), "{kind} for {:?}", record.file_name),
            }
        }
        assert_eq!(
            data(&answer.body)[0]["type"],
            crate::shapes::extension(&server.dataset.file(0).file_name).unwrap()
        );
    }

    #[tokio::test]
    async fn limits() {
        let server = server(Shape::Stripe, 250).await;
        let cases = [
            ("limit=0", "This value must be greater than or equal to 1."),
            ("limit=101", "This value must be less than or equal to 100."),
            ("limit=ten", "Invalid integer: ten"),
        ];
        for (query, message) in cases {
            let answer = testing::get(&server, &format!("{LIST_PATH}?{query}"), &[AUTH]).await;
            assert_eq!(answer.status, 400, "{query}");
            assert_eq!(
                answer.body,
                json!({"error": {"type": "invalid_request_error", "message": message, "param": "limit"}})
            );
        }
        let most = testing::get(&server, &format!("{LIST_PATH}?limit=100"), &[AUTH]).await;
        assert_eq!(data(&most.body).len(), 100);
        let default = testing::get(&server, LIST_PATH, &[AUTH]).await;
        assert_eq!(data(&default.body).len(), 10);
        assert_eq!(default.body["has_more"], true);
    }

    #[tokio::test]
    async fn unknown_cursors_are_400s() {
        let server = server(Shape::Stripe, 250).await;
        let answer = testing::get(&server, &format!("{LIST_PATH}?limit=3"), &[AUTH]).await;
        let good = data(&answer.body)[2]["id"].as_str().unwrap().to_owned();
        let mut forged = good.clone().into_bytes();
        let last = forged.len() - 1;
        forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(forged).unwrap();
        // A real id of the same seed, past the end of this dataset.
        let far = state_over(Dataset::new(42, 10_000)).id(5000);
        let lowercase = good.to_lowercase();
        for bad in [
            forged.as_str(),
            "file_nope",
            "cus_123",
            far.as_str(),
            &lowercase,
        ] {
            let answer = testing::get(
                &server,
                &format!("{LIST_PATH}?starting_after={bad}"),
                &[AUTH],
            )
            .await;
            assert_eq!(answer.status, 400, "{bad}");
            assert_eq!(
                answer.body,
                json!({"error": {"type": "invalid_request_error",
                    "message": format!("No such file: '{bad}'"), "param": "starting_after"}})
            );
        }
        let before = testing::get(
            &server,
            &format!("{LIST_PATH}?ending_before=file_x"),
            &[AUTH],
        )
        .await;
        assert_eq!(before.body["error"]["param"], "ending_before");
        let empty = testing::get(&server, &format!("{LIST_PATH}?starting_after="), &[AUTH]).await;
        assert_eq!(empty.status, 400);
        let both = testing::get(
            &server,
            &format!("{LIST_PATH}?starting_after={good}&ending_before={good}"),
            &[AUTH],
        )
        .await;
        assert_eq!(both.status, 400);
        // A hostile cursor is echoed escaped.
        let hostile = testing::get(
            &server,
            &format!("{LIST_PATH}?starting_after=%1B%5D0%3Bx"),
            &[AUTH],
        )
        .await;
        let message = hostile.body["error"]["message"].as_str().unwrap();
        assert!(!message.contains('\u{1b}'), "{message}");
    }

    #[tokio::test]
    async fn authentication() {
        let server = server(Shape::Stripe, 10).await;
        for headers in [
            vec![],
            vec![("authorization", "Bearer nope")],
            vec![("authorization", "Basic ZGVtbzo=")],
        ] {
            let answer = testing::get(&server, LIST_PATH, &headers).await;
            assert_eq!(answer.status, 401, "{headers:?}");
            let error = &answer.body["error"];
            assert_eq!(error["type"], "invalid_request_error");
            assert!(error["message"].is_string());
            assert_eq!(testing::keys(&answer.body), ["error"]);
            assert_eq!(
                answer.header("www-authenticate"),
                Some("Bearer realm=\"Stripe\"")
            );
        }
        let answer = testing::get(&server, &format!("{LIST_PATH}?limit=0"), &[]).await;
        assert_eq!(answer.status, 401, "auth comes first");
    }

    #[tokio::test]
    async fn unknown_paths_and_methods() {
        let server = server(Shape::Stripe, 10).await;
        let answer = testing::get(&server, "/v1/customers", &[AUTH]).await;
        assert_eq!(answer.status, 404);
        assert_eq!(
            answer.body,
            json!({"error": {"type": "invalid_request_error",
                "message": "Unrecognized request URL (GET: /v1/customers)."}})
        );
        let post = testing::send(&server, reqwest::Method::POST, LIST_PATH, &[AUTH]).await;
        assert_eq!(post.status, 405);
        assert_eq!(post.body["error"]["type"], "invalid_request_error");
    }

    #[tokio::test]
    async fn a_million_files_deep_cursor() {
        let server = server(Shape::Stripe, 1_000_000).await;
        let first = testing::get(&server, &format!("{LIST_PATH}?limit=100"), &[AUTH]).await;
        assert_eq!(names(&first.body), testing::names(&server, 100));
        // The id of record 999,899, as this server writes it.
        let state = state_over(Dataset::new(42, 1_000_000));
        let cursor = state.id(999_899);
        assert_eq!(state.lookup(&cursor, "starting_after").unwrap(), 999_899);
        let deep = testing::get(
            &server,
            &format!("{LIST_PATH}?limit=100&starting_after={cursor}"),
            &[AUTH],
        )
        .await;
        let want: Vec<String> = (999_900..1_000_000)
            .map(|i| server.dataset.file(i).file_name)
            .collect();
        assert_eq!(names(&deep.body), want);
        assert_eq!(deep.body["has_more"], false);
    }

    #[test]
    fn base62_round_trips() {
        for value in [0, 1, 61, 62, u64::MAX, 0x1234_5678_9abc_def0] {
            let mut text = String::new();
            push_base62(&mut text, value, CODE_DIGITS);
            assert_eq!(text.len(), CODE_DIGITS);
            assert_eq!(parse_base62(&text), Some(value));
        }
        assert_eq!(parse_base62("zzzzzzzzzzzzz"), None, "overflow");
        assert_eq!(parse_base62("a-"), None);
    }
}
