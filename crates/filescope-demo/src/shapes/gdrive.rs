//! The Google Drive shape: Drive API v3 `files.list`.
//!
//! - `GET /drive/v3/files?pageSize=N&pageToken=T&key=KEY` →
//!   `{"kind": "drive#fileList", "nextPageToken"?, "incompleteSearch": false,
//!   "files": [...]}`. `nextPageToken` is absent on the last page. No total.
//! - `pageSize`: default 100; above 1000 it is clamped to 1000; below 1 or
//!   not an integer it is a 400 `INVALID_ARGUMENT`.
//! - `pageToken`: opaque (URL-safe base64, no padding, of the next offset and
//!   a check derived from the seed); it carries only the position, so the
//!   page size may change between pages. An empty token is the first page; a
//!   token this server did not hand out is a 400 `{"error": {"code": 400,
//!   "message": "Invalid Value", "errors": [{..., "reason": "invalid",
//!   "location": "pageToken", "locationType": "parameter"}], "status":
//!   "INVALID_ARGUMENT"}}`.
//! - Auth: the API key as the query parameter `key` (nothing else is read).
//!   Missing or empty → 403 `PERMISSION_DENIED` "The request is missing a
//!   valid API key." (reason `forbidden`); wrong → 400 `INVALID_ARGUMENT`
//!   "API key not valid. Please pass a valid API key." (reason `badRequest`).
//!   An unreadable query string is a 400 before anything else.
//! - Unknown paths: 404 `NOT_FOUND` (reason `notFound`); other methods: 405,
//!   both in Google's envelope.
//!
//! Files: `kind`, `id` (33 characters of `[A-Za-z0-9_-]`, starting with `1`,
//! unique per record), `name`, `mimeType`, `size` (a decimal **string**, as
//! Google's int64 fields are), `createdTime`/`modifiedTime` (RFC 3339 with
//! milliseconds, `Z`), `webContentLink` (absolute, serves nothing).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use serde_json::json;

use crate::common::{self, Context, IdCipher, Params, Plumbing, RawQuery, Salt, mix};
use crate::dataset::Dataset;

pub(super) const LIST_PATH: &str = "/drive/v3/files";
const DEFAULT_PAGE_SIZE: u64 = 100;
const MAX_PAGE_SIZE: u64 = 1000;

struct AppState {
    dataset: Arc<Dataset>,
    api_key: String,
    /// This server's `http://HOST:PORT`, before every download link.
    origin: String,
    cipher: IdCipher,
    /// What page tokens are checked with.
    token_secret: u64,
}

pub(super) fn router(context: Context) -> Router {
    let state = Arc::new(AppState {
        cipher: IdCipher::new(&context.dataset),
        token_secret: Salt::DrivePageToken.global(&context.dataset),
        dataset: Arc::clone(&context.dataset),
        api_key: context.api_key.clone(),
        origin: context.origin.clone(),
    });
    let router = Router::new()
        .route(LIST_PATH, get(list_files))
        .method_not_allowed_fallback(|| async {
            GoogleError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "Method Not Allowed",
                "METHOD_NOT_ALLOWED",
                "methodNotAllowed",
            )
        })
        .fallback(|_: Request| async {
            GoogleError::new(StatusCode::NOT_FOUND, "Not Found", "NOT_FOUND", "notFound")
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
#[serde(rename_all = "camelCase")]
struct FileList {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page_token: Option<String>,
    incomplete_search: bool,
    files: Vec<DriveFile>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DriveFile {
    kind: &'static str,
    id: String,
    name: String,
    mime_type: &'static str,
    size: String,
    created_time: String,
    modified_time: String,
    web_content_link: String,
}

async fn list_files(
    State(state): State<Arc<AppState>>,
    query: RawQuery,
) -> Result<Response, GoogleError> {
    let params = Params::from_raw(query).map_err(|_| GoogleError::invalid_value(None))?;
    match params.raw("key") {
        None | Some("") => {
            return Err(GoogleError::new(
                StatusCode::FORBIDDEN,
                "The request is missing a valid API key.",
                "PERMISSION_DENIED",
                "forbidden",
            ));
        }
        Some(key) if key != state.api_key => {
            return Err(GoogleError::new(
                StatusCode::BAD_REQUEST,
                "API key not valid. Please pass a valid API key.",
                "INVALID_ARGUMENT",
                "badRequest",
            ));
        }
        Some(_) => {}
    }
    let page_size = match params.raw("pageSize") {
        None => DEFAULT_PAGE_SIZE,
        Some(value) => match value.parse::<i128>() {
            Ok(size) if size >= 1 => size.min(i128::from(MAX_PAGE_SIZE)) as u64,
            _ => {
                return Err(GoogleError::parameter(
                    &format!(
                        "Invalid value '{}'. Values must be within the range: [1, {MAX_PAGE_SIZE}]",
                        super::echo(value)
                    ),
                    "pageSize",
                ));
            }
        },
    };
    let len = state.dataset.len();
    let offset = match params.raw("pageToken") {
        None | Some("") => 0,
        Some(token) => state
            .offset_of(token)
            .ok_or_else(|| GoogleError::invalid_value(Some("pageToken")))?,
    };
    let end = offset.saturating_add(page_size as usize).min(len);
    let body = FileList {
        kind: "drive#fileList",
        next_page_token: (end < len).then(|| state.token(end)),
        incomplete_search: false,
        files: (offset..end).map(|index| state.file(index)).collect(),
    };
    Ok(common::json(StatusCode::OK, &body))
}

impl AppState {
    /// The token of the page starting at `offset`.
    fn token(&self, offset: usize) -> String {
        let offset = offset as u64;
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&offset.to_be_bytes());
        bytes[8..].copy_from_slice(&mix(self.token_secret ^ offset).to_be_bytes());
        super::base64_url(&bytes)
    }

    /// The offset a token of this server names, `None` for anything else.
    fn offset_of(&self, token: &str) -> Option<usize> {
        let bytes = super::base64_url_decode(token)?;
        let bytes: [u8; 16] = bytes.try_into().ok()?;
        let offset = u64::from_be_bytes(bytes[..8].try_into().ok()?);
        let check = u64::from_be_bytes(bytes[8..].try_into().ok()?);
        let offset = usize::try_from(offset).ok()?;
        // Exactly as handed out, and never past the end of this dataset.
        (check == mix(self.token_secret ^ offset as u64)
            && offset <= self.dataset.len()
            && self.token(offset) == token)
            .then_some(offset)
    }

    fn file(&self, index: usize) -> DriveFile {
        let file = self.dataset.file(index);
        let mut raw = [0u8; 24];
        raw[..8].copy_from_slice(&self.cipher.opaque(&self.dataset, index, 32).to_be_bytes());
        let noise = Salt::DriveId.of(&self.dataset, index);
        raw[8..16].copy_from_slice(&noise.to_be_bytes());
        raw[16..].copy_from_slice(&mix(noise).to_be_bytes());
        let id = format!("1{}", &super::base64_url(&raw)[..32]);
        DriveFile {
            kind: "drive#file",
            web_content_link: format!("{}/uc?id={id}&export=download", self.origin),
            id,
            name: file.file_name,
            mime_type: file.content_type,
            size: file.size.to_string(),
            created_time: super::iso_millis(file.created_at),
            modified_time: super::iso_millis(file.updated_at),
        }
    }
}

/// Google's error body: `{"error": {"code", "message", "errors": [{"message",
/// "domain", "reason", "location"?, "locationType"?}], "status"}}`.
#[derive(Debug)]
struct GoogleError {
    status: StatusCode,
    message: String,
    grpc: &'static str,
    reason: &'static str,
    /// The query parameter at fault, if any.
    location: Option<&'static str>,
}

impl GoogleError {
    fn new(status: StatusCode, message: &str, grpc: &'static str, reason: &'static str) -> Self {
        GoogleError {
            status,
            message: message.to_owned(),
            grpc,
            reason,
            location: None,
        }
    }

    /// 400 "Invalid Value" (about `location` if given).
    fn invalid_value(location: Option<&'static str>) -> Self {
        GoogleError {
            location,
            ..GoogleError::new(
                StatusCode::BAD_REQUEST,
                "Invalid Value",
                "INVALID_ARGUMENT",
                "invalid",
            )
        }
    }

    fn parameter(message: &str, location: &'static str) -> Self {
        GoogleError {
            location: Some(location),
            ..GoogleError::new(
                StatusCode::BAD_REQUEST,
                message,
                "INVALID_ARGUMENT",
                "invalid",
            )
        }
    }
}

impl IntoResponse for GoogleError {
    fn into_response(self) -> Response {
        let mut detail = json!({
            "message": self.message,
            "domain": "global",
            "reason": self.reason,
        });
        if let Some(location) = self.location {
            detail["location"] = json!(location);
            detail["locationType"] = json!("parameter");
        }
        let body = json!({
            "error": {
                "code": self.status.as_u16(),
                "message": self.message,
                "errors": [detail],
                "status": self.grpc,
            }
        });
        common::json(self.status, &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shapes::Shape;
    use crate::shapes::testing::{self, server};
    use serde_json::Value;

    fn files(body: &Value) -> &Vec<Value> {
        body["files"].as_array().unwrap()
    }

    fn names(body: &Value) -> Vec<String> {
        files(body)
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_owned())
            .collect()
    }

    fn list(query: &str) -> String {
        format!("{LIST_PATH}?key=demo&{query}")
    }

    #[tokio::test]
    async fn next_page_tokens_walk_every_file_once_in_order() {
        let server = server(Shape::Gdrive, 250).await;
        let mut query = "pageSize=7".to_owned();
        let (mut seen, mut pages, mut tokens) = (Vec::new(), 0, Vec::new());
        loop {
            let answer = testing::get(&server, &list(&query), &[]).await;
            assert_eq!(answer.status, 200, "{query}: {}", answer.body);
            pages += 1;
            seen.extend(names(&answer.body));
            assert_eq!(answer.body["kind"], "drive#fileList");
            assert_eq!(answer.body["incompleteSearch"], false);
            let Some(token) = answer.body["nextPageToken"].as_str() else {
                assert!(
                    answer.body.get("nextPageToken").is_none(),
                    "absent, not null"
                );
                break;
            };
            assert!(
                token
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{token}"
            );
            tokens.push(token.to_owned());
            query = format!("pageSize=7&pageToken={token}");
            assert!(pages < 1000, "the walk does not end");
        }
        assert_eq!(pages, 36);
        assert_eq!(seen, testing::names(&server, 250));
        // Tokens are opaque: not the offsets in plain sight, all different.
        assert!(
            tokens
                .iter()
                .all(|t| t.parse::<u64>().is_err() && t.len() >= 16)
        );
        let distinct: std::collections::HashSet<&String> = tokens.iter().collect();
        assert_eq!(distinct.len(), tokens.len());
        // A token carries a position only: the page size may change.
        let answer = testing::get(
            &server,
            &list(&format!("pageSize=3&pageToken={}", tokens[0])),
            &[],
        )
        .await;
        assert_eq!(names(&answer.body), testing::names(&server, 10)[7..]);
    }

    #[tokio::test]
    async fn files_look_like_drive_files() {
        let server = server(Shape::Gdrive, 30).await;
        let answer = testing::get(&server, &list(""), &[]).await;
        assert_eq!(
            testing::keys(&answer.body),
            ["files", "incompleteSearch", "kind"],
            "one page: no nextPageToken"
        );
        let mut ids = std::collections::HashSet::new();
        for (index, file) in files(&answer.body).iter().enumerate() {
            let record = server.dataset.file(index);
            assert_eq!(
                testing::keys(file),
                [
                    "createdTime",
                    "id",
                    "kind",
                    "mimeType",
                    "modifiedTime",
                    "name",
                    "size",
                    "webContentLink"
                ]
            );
            assert_eq!(file["kind"], "drive#file");
            assert_eq!(file["name"], record.file_name);
            assert_eq!(file["mimeType"], record.content_type);
            assert_eq!(file["size"], record.size.to_string());
            assert_eq!(
                file["createdTime"],
                crate::shapes::iso_millis(record.created_at)
            );
            assert_eq!(
                file["modifiedTime"],
                crate::shapes::iso_millis(record.updated_at)
            );
            let id = file["id"].as_str().unwrap();
            assert_eq!(id.len(), 33, "{id}");
            assert!(id.starts_with('1'));
            assert!(ids.insert(id.to_owned()));
            let link = file["webContentLink"].as_str().unwrap();
            assert_eq!(
                link,
                format!("{}/uc?id={id}&export=download", server.base_url)
            );
        }
        assert!(
            files(&answer.body)[0]["createdTime"]
                .as_str()
                .unwrap()
                .ends_with(".000Z")
        );
    }

    #[tokio::test]
    async fn page_size_default_and_clamp() {
        let server = server(Shape::Gdrive, 2500).await;
        let count = async |query: &str| {
            let answer = testing::get(&server, &list(query), &[]).await;
            assert_eq!(answer.status, 200, "{query}");
            files(&answer.body).len()
        };
        assert_eq!(count("").await, 100);
        assert_eq!(count("pageSize=1000").await, 1000);
        assert_eq!(count("pageSize=5000").await, 1000);
        assert_eq!(count("pageSize=1").await, 1);
        for bad in ["0", "-1", "many", ""] {
            let answer = testing::get(&server, &list(&format!("pageSize={bad}")), &[]).await;
            assert_eq!(answer.status, 400, "{bad}");
            assert_eq!(answer.body["error"]["status"], "INVALID_ARGUMENT");
            assert_eq!(answer.body["error"]["errors"][0]["location"], "pageSize");
        }
    }

    #[tokio::test]
    async fn bad_tokens_are_invalid_values() {
        let server = server(Shape::Gdrive, 250).await;
        let answer = testing::get(&server, &list("pageSize=100"), &[]).await;
        let good = answer.body["nextPageToken"].as_str().unwrap().to_owned();
        let mut tampered = good.clone().into_bytes();
        tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        // A real token of a bigger dataset (same seed), past this one's end.
        let big = AppState {
            cipher: IdCipher::new(&server.dataset),
            token_secret: Salt::DrivePageToken.global(&server.dataset),
            dataset: Arc::new(Dataset::new(42, 10_000)),
            api_key: String::new(),
            origin: String::new(),
        };
        let past = big.token(5000);
        assert_eq!(big.offset_of(&past), Some(5000));
        for bad in [
            tampered.as_str(),
            "100",
            "bm90IGEgdG9rZW4",
            past.as_str(),
            "%%%",
            &format!("{good}="),
        ] {
            let answer = testing::get(&server, &list(&format!("pageToken={bad}")), &[]).await;
            assert_eq!(answer.status, 400, "{bad}");
            assert_eq!(
                answer.body,
                json!({"error": {"code": 400, "message": "Invalid Value",
                    "errors": [{"message": "Invalid Value", "domain": "global", "reason": "invalid",
                                "location": "pageToken", "locationType": "parameter"}],
                    "status": "INVALID_ARGUMENT"}})
            );
        }
        let again = testing::get(&server, &list(&format!("pageToken={good}")), &[]).await;
        assert_eq!(names(&again.body), testing::names(&server, 200)[100..]);
    }

    #[tokio::test]
    async fn api_keys() {
        let server = server(Shape::Gdrive, 10).await;
        for path in [LIST_PATH.to_owned(), format!("{LIST_PATH}?key=")] {
            let answer = testing::get(&server, &path, &[("authorization", "Bearer demo")]).await;
            assert_eq!(answer.status, 403, "{path}");
            assert_eq!(
                answer.body,
                json!({"error": {"code": 403, "message": "The request is missing a valid API key.",
                    "errors": [{"message": "The request is missing a valid API key.",
                                "domain": "global", "reason": "forbidden"}],
                    "status": "PERMISSION_DENIED"}})
            );
        }
        let wrong = testing::get(&server, &format!("{LIST_PATH}?key=nope"), &[]).await;
        assert_eq!(wrong.status, 400);
        assert_eq!(wrong.body["error"]["status"], "INVALID_ARGUMENT");
        assert_eq!(
            wrong.body["error"]["message"],
            "API key not valid. Please pass a valid API key."
        );
        assert_eq!(wrong.body["error"]["errors"][0]["reason"], "badRequest");
        // The key is checked before the other parameters.
        let answer = testing::get(&server, &format!("{LIST_PATH}?pageSize=0"), &[]).await;
        assert_eq!(answer.status, 403);
    }

    #[tokio::test]
    async fn unknown_paths_and_methods() {
        let server = server(Shape::Gdrive, 10).await;
        let answer = testing::get(&server, "/drive/v2/files?key=demo", &[]).await;
        assert_eq!(answer.status, 404);
        assert_eq!(answer.body["error"]["code"], 404);
        assert_eq!(answer.body["error"]["status"], "NOT_FOUND");
        let post = testing::send(&server, reqwest::Method::POST, &list(""), &[]).await;
        assert_eq!(post.status, 405);
        assert_eq!(post.body["error"]["code"], 405);
    }

    #[tokio::test]
    async fn a_million_files_deep_token() {
        let server = server(Shape::Gdrive, 1_000_000).await;
        let first = testing::get(&server, &list("pageSize=100"), &[]).await;
        assert_eq!(names(&first.body), testing::names(&server, 100));
        let state = AppState {
            cipher: IdCipher::new(&server.dataset),
            token_secret: Salt::DrivePageToken.global(&server.dataset),
            dataset: Arc::clone(&server.dataset),
            api_key: String::new(),
            origin: String::new(),
        };
        let token = state.token(999_900);
        let deep = testing::get(
            &server,
            &list(&format!("pageSize=100&pageToken={token}")),
            &[],
        )
        .await;
        let want: Vec<String> = (999_900..1_000_000)
            .map(|i| server.dataset.file(i).file_name)
            .collect();
        assert_eq!(names(&deep.body), want);
        assert!(deep.body.get("nextPageToken").is_none());
    }
}
