//! The GitHub shape: REST "List release assets".
//!
//! - `GET /repos/demo/filescope/releases/1/assets?page=N&per_page=M`: a bare
//!   JSON array of release assets, as in the docs' sample. `page` >= 1
//!   (default 1), `per_page` 1..=100 (default 30); anything else (not an
//!   integer, out of range, an unreadable query) is a 422
//!   `{"message", "documentation_url"}`. A page past the end is `[]`.
//! - Paging is the `Link` header only (RFC 8288), absolute URLs on the
//!   request's `Host`, `page` then the same `per_page`: the first page has
//!   `next` and `last`; a middle page `prev`, `next`, `first`, `last`; the last
//!   page (and any page past it) `prev` and `first`. When everything fits on
//!   one page there is no `Link` header at all. No total anywhere.
//! - Auth: `Authorization: Bearer <key>` or `token <key>` (scheme
//!   case-insensitive); anything else is a 401 `{"message": "Bad credentials",
//!   "documentation_url"}`, checked before parameters.
//! - Unknown paths are a 404 `{"message": "Not Found", "documentation_url"}`,
//!   other methods a 405 in the same envelope.
//!
//! Asset ids are `1000 + index`; `node_id` is GitHub's base64 of
//! `012:ReleaseAsset<id>`; `label` is null; `download_count` and `digest`
//! are derived from the record. `url` and `browser_download_url` are absolute
//! on this server (they serve nothing); `uploader` is one fixed user.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use crate::common::{self, Context, PageWindow, Params, Plumbing, RawQuery, Salt};
use crate::dataset::{Dataset, Order};

pub(super) const LIST_PATH: &str = "/repos/demo/filescope/releases/1/assets";
const DEFAULT_PER_PAGE: u64 = 30;
const MAX_PER_PAGE: u64 = 100;
const DOCUMENTATION_URL: &str = "https://docs.github.com/rest";
/// The first asset's id; asset `index` is `FIRST_ID + index`.
const FIRST_ID: u64 = 1000;

struct AppState {
    dataset: Arc<Dataset>,
    api_key: String,
    /// This server's `http://HOST:PORT`, before every record URL.
    origin: String,
    uploader: User,
}

/// A GitHub user, as `uploader` carries it.
#[derive(Serialize)]
struct User {
    login: String,
    id: u64,
    node_id: String,
    avatar_url: String,
    gravatar_id: String,
    url: String,
    html_url: String,
    followers_url: String,
    following_url: String,
    gists_url: String,
    starred_url: String,
    subscriptions_url: String,
    organizations_url: String,
    repos_url: String,
    events_url: String,
    received_events_url: String,
    #[serde(rename = "type")]
    kind: &'static str,
    site_admin: bool,
}

impl User {
    fn new(origin: &str, login: &str, id: u64) -> User {
        let api = format!("{origin}/users/{login}");
        User {
            login: login.to_owned(),
            id,
            node_id: super::base64(format!("04:User{id}").as_bytes()),
            avatar_url: format!("{origin}/avatars/u/{id}?v=4"),
            gravatar_id: String::new(),
            html_url: format!("{origin}/{login}"),
            followers_url: format!("{api}/followers"),
            following_url: format!("{api}/following{{/other_user}}"),
            gists_url: format!("{api}/gists{{/gist_id}}"),
            starred_url: format!("{api}/starred{{/owner}}{{/repo}}"),
            subscriptions_url: format!("{api}/subscriptions"),
            organizations_url: format!("{api}/orgs"),
            repos_url: format!("{api}/repos"),
            events_url: format!("{api}/events{{/privacy}}"),
            received_events_url: format!("{api}/received_events"),
            url: api,
            kind: "User",
            site_admin: false,
        }
    }
}

#[derive(Serialize)]
struct Asset<'a> {
    url: String,
    browser_download_url: String,
    id: u64,
    node_id: String,
    name: String,
    label: Option<String>,
    state: &'static str,
    content_type: &'static str,
    size: u64,
    digest: String,
    download_count: u64,
    created_at: String,
    updated_at: String,
    uploader: &'a User,
}

pub(super) fn router(context: Context) -> Router {
    let state = Arc::new(AppState {
        dataset: Arc::clone(&context.dataset),
        api_key: context.api_key.clone(),
        uploader: User::new(&context.origin, "demo", 583_231),
        origin: context.origin.clone(),
    });
    let router = Router::new()
        .route(LIST_PATH, get(list_assets))
        .method_not_allowed_fallback(|| async {
            GithubError::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
        })
        .fallback(|_: Request| async { GithubError::new(StatusCode::NOT_FOUND, "Not Found") })
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

async fn list_assets(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: RawQuery,
) -> Result<Response, GithubError> {
    authorize(&headers, &state.api_key)?;
    let params = Params::from_raw(query).map_err(GithubError::unprocessable)?;
    let page = params
        .integer("page", 1, u64::MAX)
        .map_err(|e| GithubError::unprocessable(e.plain()))?
        .unwrap_or(1);
    let per_page = params
        .integer("per_page", 1, MAX_PER_PAGE)
        .map_err(|e| GithubError::unprocessable(e.plain()))?
        .unwrap_or(DEFAULT_PER_PAGE);
    let window = PageWindow {
        page,
        size: per_page,
        total: state.dataset.len() as u64,
    };
    let (offset, limit) = window.positions();
    let order = Order::natural(state.dataset.len(), false);
    let assets: Vec<Asset> = order
        .page(offset, limit)
        .map(|index| state.asset(index))
        .collect();
    let mut response = common::json(StatusCode::OK, &assets);
    if let Some(link) = link_header(&common::origin(&headers), window) {
        response.headers_mut().insert(
            header::LINK,
            HeaderValue::from_str(&link).expect("origins and digits are valid header text"),
        );
    }
    Ok(response)
}

impl AppState {
    fn asset(&self, index: usize) -> Asset<'_> {
        let file = self.dataset.file(index);
        let id = FIRST_ID + index as u64;
        let downloads = Salt::GithubDownloads.of(&self.dataset, index);
        Asset {
            url: format!("{}/repos/demo/filescope/releases/assets/{id}", self.origin),
            browser_download_url: format!(
                "{}/demo/filescope/releases/download/v1.0.0/{}",
                self.origin,
                super::path_segment(&file.file_name)
            ),
            id,
            node_id: super::base64(format!("012:ReleaseAsset{id}").as_bytes()),
            name: file.file_name,
            label: None,
            state: "uploaded",
            content_type: file.content_type,
            size: file.size,
            digest: format!(
                "sha256:{}",
                common::digest(&self.dataset, index, Salt::GithubDigest)
            ),
            // Most assets are fetched a little, a few a lot.
            download_count: (downloads % 200) << (downloads >> 61),
            created_at: super::iso_seconds(file.created_at),
            updated_at: super::iso_seconds(file.updated_at),
            uploader: &self.uploader,
        }
    }
}

/// The `Link` header of page `window.page`, `None` when every record fits on
/// one page.
fn link_header(origin: &str, window: PageWindow) -> Option<String> {
    let pages = window.pages();
    let link = |page: u64, rel: &str| {
        format!(
            "<{origin}{LIST_PATH}?page={page}&per_page={}>; rel=\"{rel}\"",
            window.size
        )
    };
    let mut links = Vec::with_capacity(4);
    if window.page > 1 {
        links.push(link(window.page - 1, "prev"));
    }
    if window.page < pages {
        links.push(link(window.page + 1, "next"));
    }
    if window.page > 1 {
        links.push(link(1, "first"));
    }
    if window.page < pages {
        links.push(link(pages, "last"));
    }
    (!links.is_empty()).then(|| links.join(", "))
}

/// `Bearer <key>` or `token <key>`.
fn authorize(headers: &HeaderMap, api_key: &str) -> Result<(), GithubError> {
    let given = headers
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes)
        .and_then(|value| {
            let space = value.iter().position(|&b| b == b' ')?;
            let (scheme, token) = value.split_at(space);
            (scheme.eq_ignore_ascii_case(b"bearer") || scheme.eq_ignore_ascii_case(b"token"))
                .then(|| token.trim_ascii())
        });
    match given {
        Some(token) if token == api_key.as_bytes() => Ok(()),
        _ => Err(GithubError::new(
            StatusCode::UNAUTHORIZED,
            "Bad credentials",
        )),
    }
}

/// GitHub's error body: `{"message", "documentation_url"}`.
#[derive(Debug)]
struct GithubError {
    status: StatusCode,
    message: String,
}

impl GithubError {
    fn new(status: StatusCode, message: &str) -> Self {
        GithubError {
            status,
            message: message.to_owned(),
        }
    }

    fn unprocessable(message: String) -> Self {
        GithubError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message,
        }
    }
}

impl IntoResponse for GithubError {
    fn into_response(self) -> Response {
        common::json(
            self.status,
            &serde_json::json!({
                "message": self.message,
                "documentation_url": DOCUMENTATION_URL,
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shapes::testing::{self, Answer, KEY, server};
    use crate::shapes::{Shape, iso_seconds};
    use serde_json::Value;

    const AUTH: (&str, &str) = ("authorization", "Bearer demo");

    /// The `Link` header as (rel, url) pairs, in order.
    fn links(answer: &Answer) -> Vec<(String, String)> {
        let Some(header) = answer.header("link") else {
            return Vec::new();
        };
        header
            .split(", ")
            .map(|part| {
                let (url, rel) = part.split_once("; ").unwrap();
                let url = url.strip_prefix('<').unwrap().strip_suffix('>').unwrap();
                let rel = rel
                    .strip_prefix("rel=\"")
                    .unwrap()
                    .strip_suffix('"')
                    .unwrap();
                (rel.to_owned(), url.to_owned())
            })
            .collect()
    }

    fn rels(answer: &Answer) -> Vec<String> {
        links(answer).into_iter().map(|(rel, _)| rel).collect()
    }

    fn link(answer: &Answer, rel: &str) -> Option<String> {
        links(answer)
            .into_iter()
            .find(|(r, _)| r == rel)
            .map(|(_, url)| url)
    }

    fn names(body: &Value) -> Vec<String> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_owned())
            .collect()
    }

    #[tokio::test]
    async fn the_link_header_walks_every_asset_once_in_order() {
        let server = server(Shape::Github, 250).await;
        let mut url = format!("{}{LIST_PATH}?per_page=7", server.base_url);
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let answer = testing::get_url(&url, &[AUTH]).await;
            assert_eq!(answer.status, 200, "{url}: {}", answer.body);
            assert_eq!(answer.content_type(), "application/json");
            pages += 1;
            seen.extend(names(&answer.body));
            let rels = rels(&answer);
            let expected: &[&str] = match pages {
                1 => &["next", "last"],
                36 => &["prev", "first"],
                _ => &["prev", "next", "first", "last"],
            };
            assert_eq!(rels, expected, "page {pages}");
            match link(&answer, "next") {
                Some(next) => url = next,
                None => break,
            }
        }
        assert_eq!(pages, 36);
        assert_eq!(seen, testing::names(&server, 250));
        assert_eq!(server.stats.list_requests(), 36);
    }

    #[tokio::test]
    async fn links_are_absolute_rfc_8288_with_the_same_per_page() {
        let server = server(Shape::Github, 250).await;
        let base = format!("{}{LIST_PATH}", server.base_url);
        let first = testing::get(&server, LIST_PATH, &[AUTH]).await;
        assert_eq!(first.body.as_array().unwrap().len(), 30);
        assert_eq!(
            first.header("link").unwrap(),
            format!(
                "<{base}?page=2&per_page=30>; rel=\"next\", <{base}?page=9&per_page=30>; rel=\"last\""
            )
        );
        let middle = testing::get(
            &server,
            &format!("{LIST_PATH}?page=3&per_page=100"),
            &[AUTH],
        )
        .await;
        assert_eq!(middle.body.as_array().unwrap().len(), 50);
        assert_eq!(
            middle.header("link").unwrap(),
            format!(
                "<{base}?page=2&per_page=100>; rel=\"prev\", <{base}?page=1&per_page=100>; rel=\"first\""
            )
        );
        let second = testing::get(
            &server,
            &format!("{LIST_PATH}?page=2&per_page=100"),
            &[AUTH],
        )
        .await;
        assert_eq!(
            second.header("link").unwrap(),
            format!(
                "<{base}?page=1&per_page=100>; rel=\"prev\", <{base}?page=3&per_page=100>; rel=\"next\", \
                 <{base}?page=1&per_page=100>; rel=\"first\", <{base}?page=3&per_page=100>; rel=\"last\""
            )
        );
        // Past the end: an empty array, still a way back.
        let past = testing::get(&server, &format!("{LIST_PATH}?page=40&per_page=7"), &[AUTH]).await;
        assert_eq!(past.status, 200);
        assert_eq!(past.body, serde_json::json!([]));
        assert_eq!(rels(&past), ["prev", "first"]);
        assert_eq!(
            link(&past, "prev").unwrap(),
            format!("{base}?page=39&per_page=7")
        );
        // Everything on one page: no Link header at all.
        let small = testing::server(Shape::Github, 5).await;
        let all = testing::get(&small, LIST_PATH, &[AUTH]).await;
        assert_eq!(all.body.as_array().unwrap().len(), 5);
        assert!(all.header("link").is_none());
    }

    #[tokio::test]
    async fn assets_look_like_the_docs_sample() {
        let server = server(Shape::Github, 20).await;
        let answer = testing::get(&server, &format!("{LIST_PATH}?per_page=10"), &[AUTH]).await;
        let sample = &testing::fixture("github_assets.json")[0];
        let assets = answer.body.as_array().unwrap();
        for (index, asset) in assets.iter().enumerate() {
            testing::assert_same_fields(sample, asset, "asset", &["label"]);
            assert_eq!(testing::keys(asset), testing::keys(sample));
            assert_eq!(
                testing::keys(&asset["uploader"]),
                testing::keys(&sample["uploader"])
            );
            let file = server.dataset.file(index);
            assert_eq!(asset["id"], 1000 + index as u64);
            assert_eq!(asset["name"], file.file_name);
            assert_eq!(asset["size"], file.size);
            assert_eq!(asset["content_type"], file.content_type);
            assert_eq!(asset["label"], Value::Null);
            assert_eq!(asset["state"], "uploaded");
            assert_eq!(asset["created_at"], iso_seconds(file.created_at));
            assert_eq!(asset["updated_at"], iso_seconds(file.updated_at));
            assert!(asset["download_count"].is_u64());
            for field in ["url", "browser_download_url"] {
                let url = asset[field].as_str().unwrap();
                assert!(url.starts_with(&server.base_url), "{url}");
                assert!(url.is_ascii() && !url.contains(' '), "{url}");
            }
            let digest = asset["digest"].as_str().unwrap();
            assert_eq!(digest.len(), "sha256:".len() + 64);
        }
        assert_eq!(
            assets[0]["node_id"],
            crate::shapes::base64(b"012:ReleaseAsset1000")
        );
        // The ANSI-coloured name at index 7 comes through as it is.
        assert_eq!(assets[7]["name"], "\u{1b}[31mred\u{1b}[0m.txt");
    }

    #[tokio::test]
    async fn bad_credentials() {
        let server = server(Shape::Github, 10).await;
        for headers in [
            vec![],
            vec![("authorization", "Bearer nope")],
            vec![("authorization", "Basic demo")],
            vec![("authorization", "demo")],
            vec![("x-api-key", "demo")],
        ] {
            let answer = testing::get(&server, LIST_PATH, &headers).await;
            assert_eq!(answer.status, 401, "{headers:?}");
            assert_eq!(
                answer.body,
                serde_json::json!({"message": "Bad credentials",
                    "documentation_url": "https://docs.github.com/rest"})
            );
        }
        // Auth before parameters.
        let answer = testing::get(&server, &format!("{LIST_PATH}?per_page=0"), &[]).await;
        assert_eq!(answer.status, 401);
        let token = format!("token {KEY}");
        for scheme in [token.as_str(), "Token demo", "bearer demo"] {
            let answer = testing::get(&server, LIST_PATH, &[("authorization", scheme)]).await;
            assert_eq!(answer.status, 200, "{scheme}");
        }
    }

    #[tokio::test]
    async fn bad_paging_values_are_422s() {
        let server = server(Shape::Github, 10).await;
        for query in [
            "per_page=101",
            "per_page=0",
            "per_page=x",
            "page=0",
            "page=-1",
            "page=a",
        ] {
            let answer = testing::get(&server, &format!("{LIST_PATH}?{query}"), &[AUTH]).await;
            assert_eq!(answer.status, 422, "{query}");
            assert_eq!(answer.body["documentation_url"], DOCUMENTATION_URL);
            let message = answer.body["message"].as_str().unwrap();
            assert!(
                message.contains(query.split('=').next().unwrap()),
                "{message}"
            );
        }
        let max = testing::get(&server, &format!("{LIST_PATH}?per_page=100"), &[AUTH]).await;
        assert_eq!(max.status, 200);
    }

    #[tokio::test]
    async fn unknown_paths_and_methods() {
        let server = server(Shape::Github, 10).await;
        for path in [
            "/",
            "/repos/demo/filescope/releases/2/assets",
            "/repos/demo/filescope/releases/1/assets/",
        ] {
            let answer = testing::get(&server, path, &[AUTH]).await;
            assert_eq!(answer.status, 404, "{path}");
            assert_eq!(answer.body["message"], "Not Found");
            assert_eq!(answer.body["documentation_url"], DOCUMENTATION_URL);
        }
        let post = testing::send(&server, reqwest::Method::POST, LIST_PATH, &[AUTH]).await;
        assert_eq!(post.status, 405);
        assert_eq!(post.body["documentation_url"], DOCUMENTATION_URL);
    }

    #[tokio::test]
    async fn a_million_assets_deep_page() {
        let server = server(Shape::Github, 1_000_000).await;
        let answer = testing::get(
            &server,
            &format!("{LIST_PATH}?page=10000&per_page=100"),
            &[AUTH],
        )
        .await;
        assert_eq!(answer.status, 200);
        let got = names(&answer.body);
        let want: Vec<String> = (999_900..1_000_000)
            .map(|i| server.dataset.file(i).file_name)
            .collect();
        assert_eq!(got, want);
        assert_eq!(rels(&answer), ["prev", "first"]);
    }
}
