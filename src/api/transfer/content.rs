//! What the API can do with one file: resolve where its bytes are (each dialect its own way),
//! open them (ranged, resumable), read the first bytes or the extracted text for a preview,
//! delete, and say the listing request as a curl command. Links are secrets (signed URLs):
//! they appear in no log line and no error message.

use std::fmt;
use std::time::Duration;

use reqwest::header::RANGE;
use reqwest::{StatusCode, Url};

use super::Published;
use crate::api::client::Client;
use crate::api::dialect::{ContentSource, PageRequest};
use crate::api::error::{ApiError, display_url};
use crate::api::query::ListQuery;
use crate::api::record::FileRecord;

/// Where to fetch a file's bytes, and whether the credential goes along: only to an endpoint of
/// the API itself, never with a link the API handed out (a CDN, a signed URL), even on the same
/// origin. `Debug` hides the query string, where signatures live.
#[derive(Clone)]
pub struct ContentLink {
    pub url: Url,
    pub authed: bool,
}

impl fmt::Debug for ContentLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ContentLink({}, authed: {})",
            display_url(&self.url),
            self.authed
        )
    }
}

impl Client {
    /// Where the file's bytes are, resolved now. For FileGuard this call counts a download.
    pub async fn content_link(&self, record: &FileRecord) -> Result<ContentLink, ApiError> {
        let source = self.dialect().content_source(record);
        let endpoint = matches!(source, ContentSource::Endpoint(_));
        let url = match source {
            ContentSource::Link(link) => Url::parse(&link).map_err(|_| ApiError::Decode {
                url: "the record's link".to_string(),
                reason: "it is not a URL".to_string(),
            })?,
            ContentSource::Endpoint(spec) => self.url_for(&spec.path, &spec.query)?,
            ContentSource::Resolve { request, pointer } => {
                let at = self.url_for(&request.path, &request.query)?;
                let link = self
                    .get_decoded(&request, |body| {
                        let value: serde_json::Value =
                            serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
                        value
                            .pointer(&pointer)
                            .and_then(|v| v.as_str())
                            .map(str::to_string)
                            .ok_or_else(|| format!("no download link at {pointer}"))
                    })
                    .await?;
                Url::parse(&link).map_err(|_| ApiError::Decode {
                    url: display_url(&at),
                    reason: format!("the link at {pointer} is not a URL"),
                })?
            }
            ContentSource::Unavailable(reason) => return Err(ApiError::Config(reason)),
        };
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ApiError::Config(format!(
                "the file's link is not http or https ({}:)",
                url.scheme()
            )));
        }
        // The family judges which of the store's URLs are its own (S3's bucket hosts too).
        let authed = endpoint && self.reach().is_own(self.connection(), &url);
        Ok(ContentLink { url, authed })
    }

    /// The checksum the API publishes for the file, if any (from the record, or FileGuard's
    /// `/metadata`, which is free to call).
    pub async fn published_checksum(&self, record: &FileRecord) -> Result<Published, ApiError> {
        let judge = |record: &FileRecord| match self.dialect().checksum(record) {
            Some(sum) => Published::Sum(sum),
            None => match self.dialect().checksum_text(record) {
                Some(text) => Published::Unusable(text),
                None => Published::None,
            },
        };
        let here = judge(record);
        if here != Published::None || !self.dialect().checksum_in_detail() {
            return Ok(here);
        }
        Ok(self
            .detail(&record.id)
            .await?
            .map_or(Published::None, |full| judge(&full)))
    }

    /// Starts fetching the bytes from `from` on (a Range request when `from > 0` or `upto`
    /// is set). Retries like every request; errors come in the API's envelope when the link is
    /// the API's own.
    pub async fn open_content(
        &self,
        link: &ContentLink,
        from: u64,
        upto: Option<u64>,
        if_range: Option<&str>,
    ) -> Result<reqwest::Response, ApiError> {
        let shown = display_url(&link.url);
        let range = match (from, upto) {
            (0, None) => None,
            (from, None) => Some(format!("bytes={from}-")),
            (from, Some(last)) => Some(format!("bytes={from}-{last}")),
        };
        let (status, mut response, _) = self
            .with_retries(&link.url, || async {
                // The range and its condition, signed with the request where the family
                // signs headers (Azure's Shared Key covers Range and If-Match).
                let mut ranged: Vec<(&str, &str)> = Vec::new();
                if let Some(range) = &range {
                    ranged.push((RANGE.as_str(), range));
                    if let Some(validator) = if_range {
                        // S3 ignores If-Range: there, If-Match makes changed bytes a 412.
                        let condition = if self.reach().resumes_with_if_match() {
                            "if-match"
                        } else {
                            "if-range"
                        };
                        ranged.push((condition, validator));
                    }
                }
                let request = if link.authed {
                    let mut headers: Vec<(&str, &str)> = self.reach().content_headers();
                    headers.extend(ranged.iter().copied());
                    // No limit on the whole transfer; the read timeout still catches a stall.
                    self.request(reqwest::Method::GET, &link.url, &headers)
                        .await?
                        .timeout(Duration::from_secs(7 * 24 * 3600))
                } else {
                    let mut request = self.bare.get(link.url.clone());
                    for (name, value) in &ranged {
                        request = request.header(*name, *value);
                    }
                    request
                };
                let response = request
                    .send()
                    .await
                    .map_err(|e| self.transport_error(&shown, e))?;
                let headers = response.headers().clone();
                Ok((response.status(), response, headers))
            })
            .await?;
        if status.is_success() {
            return Ok(response);
        }
        if status == StatusCode::RANGE_NOT_SATISFIABLE
            || (status == StatusCode::PRECONDITION_FAILED && if_range.is_some())
        {
            return Ok(response);
        }
        // An error page is read only as far as its message can be shown (a refused link may
        // answer with the whole object, or gigabytes of nothing).
        let mut body = Vec::new();
        while body.len() < ERROR_BODY_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                _ => break,
            }
        }
        body.truncate(ERROR_BODY_BYTES);
        if link.authed {
            Err(self.http_error(status, shown, &body))
        } else {
            Err(ApiError::Http {
                status: status.as_u16(),
                url: shown,
                code: None,
                message: status
                    .canonical_reason()
                    .unwrap_or("the link was refused")
                    .to_string(),
                hint: matches!(status.as_u16(), 401 | 403)
                    .then(|| "the link may have expired; try again for a fresh one".to_string()),
            })
        }
    }

    /// The first `limit` bytes of the file (fewer when it is shorter), by Range where the
    /// server allows it; a server that ignores Range is read only as far as needed.
    pub async fn head_bytes(&self, record: &FileRecord, limit: usize) -> Result<Vec<u8>, ApiError> {
        let link = self.content_link(record).await?;
        let shown = display_url(&link.url);
        let mut response = self
            .open_content(&link, 0, Some(limit.saturating_sub(1) as u64), None)
            .await?;
        if response.status() == StatusCode::RANGE_NOT_SATISFIABLE {
            return Ok(Vec::new());
        }
        let mut out = Vec::with_capacity(limit.min(1 << 20));
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(&shown, e))?
        {
            let room = limit - out.len();
            out.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// The file's extracted text, where the API keeps one (Open WebUI).
    pub async fn extracted_text(&self, id: &str) -> Result<Option<String>, ApiError> {
        let Some((spec, pointer)) = self.dialect().text_request(id) else {
            return Ok(None);
        };
        self.get_decoded(&spec, |body| {
            let value: serde_json::Value =
                serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
            Ok(value
                .pointer(pointer)
                .and_then(|v| v.as_str())
                .map(str::to_string))
        })
        .await
    }

    /// Deletes a file; `Ok` only when the server confirmed it.
    pub async fn delete_file(&self, id: &str) -> Result<(), ApiError> {
        if !self.connection().allow_delete {
            return Err(ApiError::Config(
                "read-only: deleting needs allow_delete = true in the connection's profile"
                    .to_string(),
            ));
        }
        let Some(spec) = self.dialect().delete_request(id) else {
            return Err(ApiError::Config(format!(
                "{} has no delete endpoint",
                self.dialect().id()
            )));
        };
        let url = self.url_for(&spec.path, &spec.query)?;
        let (status, body, _) = self
            .with_retries(&url, || self.send_once(reqwest::Method::DELETE, &url))
            .await?;
        if status.is_success() {
            Ok(())
        } else {
            Err(self.http_error(status, display_url(&url), &body))
        }
    }

    /// The request for a page of `query` as a curl command, the credential written as
    /// `$FILESCOPE_API_KEY` so the command can be shared and still works where it is set.
    /// Every value is one word quoted by [`crate::text::shell`], whatever it holds.
    pub fn curl_command(&self, query: &ListQuery, page: PageRequest) -> Result<String, ApiError> {
        let spec = self.dialect().list_request(query, page);
        let url = self.url_without_key(&spec.path, &spec.query)?;
        self.curl_of(&url)
    }

    /// The GET of a file's bytes as a curl command, where they are at an endpoint of the API
    /// itself (S3's object, a version row's with its `versionId`), the credential as for
    /// [`Client::curl_command`].
    pub fn curl_file(&self, record: &FileRecord) -> Result<String, ApiError> {
        match self.dialect().content_source(record) {
            ContentSource::Endpoint(spec) => {
                let url = self.url_without_key(&spec.path, &spec.query)?;
                self.curl_of(&url)
            }
            ContentSource::Unavailable(reason) => Err(ApiError::Config(reason)),
            _ => Err(ApiError::Config(
                "the file's bytes are at a link, not a request of the API's own".to_string(),
            )),
        }
    }

    /// `curl -sS` of `url`, as the family writes its target and credential.
    fn curl_of(&self, url: &Url) -> Result<String, ApiError> {
        use crate::text::shell::{self, text};
        const KEY_VAR: &str = "FILESCOPE_API_KEY";
        let mut words = vec![vec![text("curl")], vec![text("-sS")]];
        words.extend(self.reach().curl_target(self.connection(), url, KEY_VAR));
        for (name, value) in &self.connection().headers {
            words.push(vec![text("-H")]);
            words.push(vec![text(format!("{name}: {value}"))]);
        }
        shell::command(&words)
            .map_err(|e| ApiError::Config(format!("cannot write the request as a command: {e}")))
    }
}

/// How much of a refused content request's body is read for its message.
const ERROR_BODY_BYTES: usize = 64 << 10;

#[cfg(test)]
mod tests {
    use super::*;

    /// A link refused with a body that never ends (an error page streaming forever) is
    /// reported from the first 64 KiB at once; it was read to its end before.
    #[tokio::test]
    async fn a_refused_link_is_reported_without_reading_an_endless_error_body() {
        let app = axum::Router::new().fallback(|| async {
            let chunk = axum::body::Bytes::from(vec![b'e'; 16 << 10]);
            let endless =
                futures::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
            (
                axum::http::StatusCode::FORBIDDEN,
                axum::body::Body::from_stream(endless),
            )
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let client = Client::new(crate::api::Connection::new(
            crate::api::dialect::by_id("openwebui").unwrap(),
            Url::parse(&url).unwrap(),
            Some(crate::api::Secret::new("k")),
        ))
        .unwrap();
        let record = crate::test_support::bare_record("f1");
        let error = tokio::time::timeout(Duration::from_secs(60), client.head_bytes(&record, 10))
            .await
            .expect("the error body was read to its end")
            .unwrap_err();
        assert!(error.to_string().starts_with("HTTP 403 from "), "{error}");
        assert!(
            error.to_string().len() < 8 << 10,
            "{} bytes",
            error.to_string().len()
        );
    }

    /// An id of `.` or `..` from any JSON dialect never becomes a request: as a path segment
    /// a URL resolves it away (Open WebUI's delete of `..` was `DELETE /api/v1/`). Refused
    /// before anything is sent (nothing listens on port 9: a request would say "cannot
    /// reach"); an id holding `/` stays one segment.
    #[tokio::test]
    async fn an_id_of_dot_or_dot_dot_is_refused_before_any_request_in_every_dialect() {
        let mut checked = 0;
        for dialect in crate::api::dialect::ids() {
            if crate::api::family::by_name(dialect).is_some() {
                continue;
            }
            let mut conn = crate::api::Connection::new(
                crate::api::dialect::by_id(dialect).unwrap(),
                Url::parse("http://127.0.0.1:9/base").unwrap(),
                Some(crate::api::Secret::new("k")),
            );
            conn.allow_delete = true;
            conn.retry.attempts = 1;
            let client = Client::new(conn).unwrap();
            for id in [".", ".."] {
                let mut errors = Vec::new();
                if client.dialect().delete_request(id).is_some() {
                    errors.push(client.delete_file(id).await.unwrap_err());
                }
                if client.dialect().detail_request(id).is_some() {
                    errors.push(client.detail(id).await.unwrap_err());
                }
                let record = crate::test_support::bare_record(id);
                if matches!(
                    client.dialect().content_source(&record),
                    ContentSource::Endpoint(_)
                ) {
                    errors.push(client.content_link(&record).await.unwrap_err());
                }
                checked += errors.len();
                if dialect == "openwebui" {
                    assert!(errors.len() >= 2, "delete and content: {errors:?}");
                }
                for error in errors {
                    assert!(
                        error.to_string().contains("cannot be addressed over HTTP"),
                        "{dialect} {id:?}: {error}"
                    );
                }
            }
            if let Some(spec) = client.dialect().delete_request("a/../b") {
                let url = client.url_for(&spec.path, &spec.query).unwrap();
                assert!(url.path().contains("/a%2F..%2Fb"), "{dialect}: {url}");
            }
        }
        assert!(checked >= 8, "{checked} requests by id checked");
    }

    /// The key goes with an API endpoint, never with a link the API handed out, even one on
    /// the API's own host.
    #[tokio::test]
    async fn the_key_goes_only_to_api_endpoints() {
        let client = |dialect: &str| {
            Client::new(crate::api::Connection::new(
                crate::api::dialect::by_id(dialect).unwrap(),
                Url::parse("http://127.0.0.1:9").unwrap(),
                Some(crate::api::Secret::new("k")),
            ))
            .unwrap()
        };
        let record = FileRecord {
            id: "f1".into(),
            name: "a.txt".into(),
            size: None,
            content_type: None,
            created_at: None,
            updated_at: None,
            url: Some("http://127.0.0.1:9/cdn/a.txt".to_string()),
            problems: Vec::new(),
            raw: serde_json::value::RawValue::from_string("{}".into()).unwrap(),
        };
        let jar = client("filejar").content_link(&record).await.unwrap();
        assert!(!jar.authed, "a CDN link on the API's host gets no key");
        let webui = client("openwebui").content_link(&record).await.unwrap();
        assert!(webui.authed);
        assert_eq!(webui.url.path(), "/api/v1/files/f1/content");
        assert!(!format!("{webui:?}").contains('?'));
    }

    #[test]
    fn curl_commands_never_hold_the_key() {
        let conn = crate::api::Connection::new(
            crate::api::dialect::by_id("filejar").unwrap(),
            Url::parse("http://127.0.0.1:9").unwrap(),
            Some(crate::api::Secret::new("sk-canary-0000")),
        );
        let client = Client::new(conn).unwrap();
        let query = ListQuery::new(client.dialect().capabilities().default_sort);
        let curl = client
            .curl_command(
                &query,
                PageRequest {
                    number: 1,
                    size: 50,
                },
            )
            .unwrap();
        assert!(!curl.contains("sk-canary"), "{curl}");
        assert!(
            curl.contains("-H 'x-api-key: '\"$FILESCOPE_API_KEY\""),
            "{curl}"
        );
        assert!(curl.starts_with("curl -sS 'http://127.0.0.1:9/"), "{curl}");
    }

    /// Every value in `y c`'s command is one word: a search, a header from the profile and the
    /// key's variable, run through `sh` with `curl` a function printing its arguments, reach
    /// curl exactly, and nothing else runs.
    #[test]
    fn a_curl_command_gives_curl_exactly_its_words_whatever_the_values_hold() {
        let hostile = "a';touch pwned;echo '$(touch pwned2)`touch pwned3`";
        for dialect in ["openwebui", "filejar", "flextell"] {
            let mut conn = crate::api::Connection::new(
                crate::api::dialect::by_id(dialect).unwrap(),
                Url::parse("http://127.0.0.1:9").unwrap(),
                Some(crate::api::Secret::new("sk-canary-0000")),
            );
            conn.headers = vec![("X-Tenant".into(), hostile.into())];
            let client = Client::new(conn).unwrap();
            let mut query = ListQuery::new(client.dialect().capabilities().default_sort);
            query.search = hostile.to_string();
            let page = PageRequest {
                number: 1,
                size: 50,
            };
            let curl = client.curl_command(&query, page).unwrap();
            let dir = std::env::temp_dir()
                .join(format!("filescope-curl-{dialect}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            let out = std::process::Command::new("/bin/sh")
                .arg("-c")
                .arg(format!("curl() {{ printf '%s\\n' \"$@\"; }}; {curl}"))
                .current_dir(&dir)
                .env("FILESCOPE_API_KEY", "the-key")
                .output()
                .unwrap();
            assert!(out.status.success(), "{curl}: {out:?}");
            assert_eq!(
                std::fs::read_dir(&dir).unwrap().count(),
                0,
                "{curl} ran a command"
            );
            let words: Vec<String> = String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect();
            let url = client
                .url_without_key(
                    &client.dialect().list_request(&query, page).path,
                    &client.dialect().list_request(&query, page).query,
                )
                .unwrap();
            let mut expected = vec!["-sS".to_string(), url.to_string()];
            if let Some((name, value)) = client.dialect().auth().header("the-key") {
                expected.extend(["-H".to_string(), format!("{name}: {value}")]);
            } else {
                expected[1] = client
                    .url_for(
                        &client.dialect().list_request(&query, page).path,
                        &client.dialect().list_request(&query, page).query,
                    )
                    .unwrap()
                    .to_string()
                    .replace("sk-canary-0000", "the-key");
            }
            expected.extend(["-H".to_string(), format!("X-Tenant: {hostile}")]);
            assert_eq!(words, expected, "{dialect}: {curl}");
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}
