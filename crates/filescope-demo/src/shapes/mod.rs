//! Six common real-world list-API shapes over the demo dataset.
//!
//! Besides its five dialects the demo server can speak the list endpoint of
//! six well-known public APIs ([`Shape`]), each as its public documentation
//! describes it: GitHub's release assets (`Link` header paging), Django REST
//! framework's `PageNumberPagination` (`next` URLs), Stripe's list objects
//! (`starting_after` cursors), Google Drive v3 (`nextPageToken`), JSON:API
//! (`links.next`) and Box collections (`offset`/`limit`). Every shape serves
//! the same [`Dataset`](super::Dataset) in index order (file 0 first) by
//! default, builds only the records of the page asked for (a deep page of a
//! million files costs what the first one does), and keeps names exactly as the
//! dataset has them (control characters included; serde_json escapes them).
//!
//! Each shape has one list endpoint ([`Shape::list_path`]), its own auth and
//! its own error envelope for every refusal, unknown path (404) and wrong
//! method (405). Latency, chaos and request counting apply as for the dialects;
//! `list_requests` counts the shape's list endpoint, rejected requests
//! included. Record URLs (`url`, `download_url`, ...) are absolute on this
//! server's origin but serve no bytes: shapes are about listing.

mod boxapi;
mod drf;
mod gdrive;
mod github;
mod jsonapi;
mod stripe;

use axum::Router;
use chrono::{DateTime, SecondsFormat};

use super::common::{self, Context};

/// A real-world list-API shape the demo server can speak instead of a dialect
/// (see [`crate::DemoConfig::shape`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    /// GitHub REST: `GET /repos/demo/filescope/releases/1/assets`, a bare
    /// array paged by `page`/`per_page` and the `Link` header.
    Github,
    /// Django REST framework: `GET /api/files/`, `{count, next, previous, results}`.
    Drf,
    /// Stripe: `GET /v1/files`, `{object: "list", has_more, data}` with
    /// `starting_after` cursors.
    Stripe,
    /// Google Drive v3: `GET /drive/v3/files`, `{files, nextPageToken}`, auth by `key=`.
    Gdrive,
    /// JSON:API: `GET /api/v1/files`, `{data, links, meta}` paged by
    /// `page[number]`/`page[size]`.
    Jsonapi,
    /// Box: `GET /2.0/folders/0/items`, `{entries, total_count, offset, limit}`.
    Box,
}

impl Shape {
    /// Every shape, by the name the CLI and configs use.
    pub const ALL: [(&'static str, Shape); 6] = [
        ("github", Shape::Github),
        ("drf", Shape::Drf),
        ("stripe", Shape::Stripe),
        ("gdrive", Shape::Gdrive),
        ("jsonapi", Shape::Jsonapi),
        ("box", Shape::Box),
    ];

    /// The shape named `name` (exact, lowercase), if any.
    pub fn parse(name: &str) -> Option<Shape> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
    }

    /// The shape's name in [`Shape::ALL`].
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, s)| *s == self)
            .map_or("?", |(n, _)| n)
    }

    /// The path of the shape's list endpoint (the only one it serves).
    pub fn list_path(self) -> &'static str {
        match self {
            Shape::Github => github::LIST_PATH,
            Shape::Drf => drf::LIST_PATH,
            Shape::Stripe => stripe::LIST_PATH,
            Shape::Gdrive => gdrive::LIST_PATH,
            Shape::Jsonapi => jsonapi::LIST_PATH,
            Shape::Box => boxapi::LIST_PATH,
        }
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The shape's finished router, wrapped in the shared middleware.
pub(super) fn router(shape: Shape, context: Context) -> Router {
    match shape {
        Shape::Github => github::router(context),
        Shape::Drf => drf::router(context),
        Shape::Stripe => stripe::router(context),
        Shape::Gdrive => gdrive::router(context),
        Shape::Jsonapi => jsonapi::router(context),
        Shape::Box => boxapi::router(context),
    }
}

// ---- formats shared by the shapes ---------------------------------------------------

/// RFC 3339 in UTC with `precision`, written `Z` or `+00:00`.
fn rfc3339(unix_seconds: i64, nanos: u32, precision: SecondsFormat, zulu: bool) -> String {
    DateTime::from_timestamp(unix_seconds, nanos)
        .unwrap_or_default()
        .to_rfc3339_opts(precision, zulu)
}

/// `2024-03-02T09:14:58Z`.
fn iso_seconds(unix_seconds: i64) -> String {
    common::iso(unix_seconds)
}

/// `2024-03-02T09:14:58.000Z`.
fn iso_millis(unix_seconds: i64) -> String {
    rfc3339(unix_seconds, 0, SecondsFormat::Millis, true)
}

/// `2024-03-02T09:14:58+00:00`.
fn iso_offset(unix_seconds: i64) -> String {
    rfc3339(unix_seconds, 0, SecondsFormat::Secs, false)
}

/// `2024-03-02T09:14:58.123456+00:00`.
fn iso_micros_offset(unix_seconds: i64, micros: u32) -> String {
    rfc3339(
        unix_seconds,
        micros.min(999_999) * 1000,
        SecondsFormat::Micros,
        false,
    )
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64_URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Standard base64 with `=` padding.
fn base64(bytes: &[u8]) -> String {
    encode64(bytes, BASE64, true)
}

/// URL-safe base64 without padding.
fn base64_url(bytes: &[u8]) -> String {
    encode64(bytes, BASE64_URL, false)
}

fn encode64(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        let digits = chunk.len() + 1;
        for position in 0..4 {
            if position < digits {
                out.push(alphabet[(n >> (18 - 6 * position) & 63) as usize] as char);
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// The bytes of URL-safe base64 (padding optional), `None` if it is not that.
fn base64_url_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut bits, mut held) = (0u32, 0u32);
    for byte in text.bytes() {
        let value = BASE64_URL.iter().position(|&c| c == byte)? as u32;
        bits = bits << 6 | value;
        held += 6;
        if held >= 8 {
            held -= 8;
            out.push((bits >> held) as u8);
            bits &= (1 << held) - 1;
        }
    }
    // Canonical only: the unused low bits of the last digit are zero.
    (bits == 0).then_some(out)
}

/// `value` as `application/x-www-form-urlencoded` writes it (Python's
/// `quote_plus`): unreserved bytes kept, space as `+`, the rest `%XX`.
fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for &byte in value.as_bytes() {
        match byte {
            b' ' => out.push('+'),
            b if b.is_ascii_alphanumeric() || b"-._~".contains(&b) => out.push(b as char),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `value` as one URL path segment: unreserved bytes kept, the rest `%XX`
/// (a `/` in a name stays inside its segment).
fn path_segment(value: &str) -> String {
    form_encode(value).replace('+', "%20")
}

/// A client-given value for an error message, without its quotes: shortened,
/// control characters escaped, so the message is safe to print.
fn echo(value: &str) -> String {
    let quoted = common::quoted(value);
    quoted[1..quoted.len() - 1].to_owned()
}

/// The extension of a file name (`"pdf"`), lowercased, if it has a plausible one.
fn extension(name: &str) -> Option<String> {
    let (stem, extension) = name.rsplit_once('.')?;
    (!stem.is_empty()
        && (1..=10).contains(&extension.len())
        && extension.bytes().all(|b| b.is_ascii_alphanumeric()))
    .then(|| extension.to_ascii_lowercase())
}

#[cfg(test)]
pub(super) mod testing {
    //! Real HTTP against a shape server on 127.0.0.1.

    use std::time::Duration;

    use axum::http::HeaderMap;
    use serde_json::Value;

    use super::Shape;
    use crate::common::testkit;
    use crate::{DemoConfig, DemoServer};

    pub use crate::common::testkit::KEY;

    /// A server speaking `shape` over `files` files, with 1 ms of latency.
    pub async fn server(shape: Shape, files: usize) -> DemoServer {
        let config = DemoConfig {
            files,
            shape: Some(shape),
            latency: Duration::from_millis(1),
            ..DemoConfig::default()
        };
        DemoServer::start("127.0.0.1:0".parse().unwrap(), config)
            .await
            .unwrap()
    }

    /// A whole answer: status, headers and the body as JSON (`null` if empty).
    #[derive(Debug)]
    pub struct Answer {
        pub status: u16,
        pub headers: HeaderMap,
        pub body: Value,
    }

    impl Answer {
        pub fn header(&self, name: &str) -> Option<&str> {
            self.headers.get(name).map(|v| v.to_str().unwrap())
        }

        pub fn content_type(&self) -> &str {
            self.header("content-type").unwrap_or_default()
        }
    }

    /// GETs an absolute `url` with these headers.
    pub async fn get_url(url: &str, headers: &[(&str, &str)]) -> Answer {
        let raw = testkit::fetch(reqwest::Method::GET, url, headers).await;
        let body = if raw.bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&raw.bytes)
                .unwrap_or_else(|e| panic!("{url}: not JSON ({e}): {:?}", raw.bytes))
        };
        Answer {
            status: raw.status,
            headers: raw.headers,
            body,
        }
    }

    /// GETs `path_and_query` on `server` with these headers.
    pub async fn get(
        server: &DemoServer,
        path_and_query: &str,
        headers: &[(&str, &str)],
    ) -> Answer {
        get_url(&format!("{}{path_and_query}", server.base_url), headers).await
    }

    /// Sends `method` to `path` with these headers.
    pub async fn send(
        server: &DemoServer,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Answer {
        let url = format!("{}{path}", server.base_url);
        let raw = testkit::fetch(method, &url, headers).await;
        Answer {
            status: raw.status,
            body: serde_json::from_slice(&raw.bytes).unwrap_or(Value::Null),
            headers: raw.headers,
        }
    }

    /// The names of records `0..count` of the server's dataset, in order.
    pub fn names(server: &DemoServer, count: usize) -> Vec<String> {
        (0..count)
            .map(|i| server.dataset.file(i).file_name)
            .collect()
    }

    /// The field names of a JSON object, sorted.
    pub fn keys(value: &Value) -> Vec<String> {
        testkit::keys(value)
    }

    /// A sample answer from the API's own documentation (tests/fixtures/shapes).
    pub fn fixture(name: &str) -> Value {
        testkit::fixture(&format!("shapes/{name}"))
    }

    /// Asserts every field of `sample` is in `record` with a value of the same
    /// JSON type, recursively into objects. A `null` in the sample matches
    /// anything; a `null` in the record matches only where the field is one
    /// of `nullable` (the API documents it as nullable).
    pub fn assert_same_fields(sample: &Value, record: &Value, at: &str, nullable: &[&str]) {
        let kind = |v: &Value| match v {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let sample = sample.as_object().unwrap();
        for (key, want) in sample {
            let got = record
                .get(key)
                .unwrap_or_else(|| panic!("{at}.{key} missing from {record}"));
            if want.is_null() || (got.is_null() && nullable.contains(&key.as_str())) {
                continue;
            }
            assert_eq!(kind(got), kind(want), "{at}.{key}: {got} vs {want}");
            if want.is_object() {
                assert_same_fields(want, got, &format!("{at}.{key}"), nullable);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{self, server};
    use super::*;

    #[test]
    fn names_round_trip() {
        for (name, shape) in Shape::ALL {
            assert_eq!(Shape::parse(name), Some(shape));
            assert_eq!(shape.name(), name);
            assert_eq!(shape.to_string(), name);
        }
        assert_eq!(Shape::parse("GitHub"), None);
        assert_eq!(Shape::parse("filejar"), None);
        let paths: std::collections::HashSet<&str> =
            Shape::ALL.iter().map(|(_, s)| s.list_path()).collect();
        assert_eq!(paths.len(), 6);
    }

    #[test]
    fn base64_both_ways() {
        assert_eq!(base64(b"012:ReleaseAsset1"), "MDEyOlJlbGVhc2VBc3NldDE=");
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64_url(&[0xfb, 0xff]), "-_8");
        for len in 0..40u8 {
            let bytes: Vec<u8> = (0..len).map(|b| b.wrapping_mul(97)).collect();
            assert_eq!(base64_url_decode(&base64_url(&bytes)), Some(bytes));
        }
        assert_eq!(base64_url_decode("Zm8="), Some(b"fo".to_vec()));
        assert_eq!(base64_url_decode("Zm9"), None, "non-canonical last digit");
        assert_eq!(base64_url_decode("a"), None);
        assert_eq!(base64_url_decode("a+b/"), None);
    }

    #[test]
    fn encodings_and_formats() {
        assert_eq!(form_encode("a b/é~"), "a+b%2F%C3%A9~");
        assert_eq!(path_segment("a b/c"), "a%20b%2Fc");
        assert_eq!(echo("x\u{1b}[31m"), "x\\u{1b}[31m");
        assert_eq!(extension("report.PDF"), Some("pdf".into()));
        assert_eq!(extension(".bashrc"), None);
        assert_eq!(extension("noext"), None);
        assert_eq!(extension("../../etc/passwd"), None);
        assert_eq!(iso_seconds(1_709_370_898), "2024-03-02T09:14:58Z");
        assert_eq!(iso_millis(1_709_370_898), "2024-03-02T09:14:58.000Z");
        assert_eq!(iso_offset(1_709_370_898), "2024-03-02T09:14:58+00:00");
        assert_eq!(
            iso_micros_offset(1_709_370_898, 123_456),
            "2024-03-02T09:14:58.123456+00:00"
        );
        assert_eq!(
            iso_micros_offset(1_709_370_898, 0),
            "2024-03-02T09:14:58.000000+00:00"
        );
    }

    #[tokio::test]
    async fn every_shape_starts_and_answers_its_own_404() {
        for (name, shape) in Shape::ALL {
            let server = server(shape, 10).await;
            let reply = testing::get(&server, "/no/such/path", &[]).await;
            assert_eq!(reply.status, 404, "{name}");
            assert!(reply.body.is_object(), "{name}: {:?}", reply.body);
            assert_eq!(server.stats.requests(), 1, "{name}");
            assert_eq!(server.stats.list_requests(), 0, "{name}");
            // The list endpoint is counted, refused or not.
            let refused = testing::get(&server, shape.list_path(), &[]).await;
            assert!(
                [401, 403].contains(&refused.status),
                "{name}: {}",
                refused.status
            );
            assert_eq!(server.stats.list_requests(), 1, "{name}");
            server.shutdown_and_wait().await;
        }
    }

    #[tokio::test]
    async fn latency_and_chaos_apply_to_shapes() {
        let config = crate::DemoConfig {
            files: 10,
            shape: Some(Shape::Box),
            chaos: 1.0,
            ..crate::DemoConfig::default()
        };
        let server = crate::DemoServer::start("127.0.0.1:0".parse().unwrap(), config)
            .await
            .unwrap();
        let client = common::testkit::client();
        let url = format!("{}{}", server.base_url, boxapi::LIST_PATH);
        let mut faults = 0;
        for _ in 0..8 {
            let sent = client
                .get(&url)
                .header("authorization", "Bearer demo")
                .send()
                .await;
            // A fault may also be a body cut short: the connection drops.
            let Ok(response) = sent else {
                faults += 1;
                continue;
            };
            let status = response.status().as_u16();
            let whole = response.bytes().await.is_ok();
            if status == 503 || status == 429 || !whole {
                faults += 1;
            }
        }
        assert!(faults > 0, "chaos 1.0 injects faults");
        assert_eq!(server.stats.list_requests(), 8);
    }
}
