//! The S3 dialect over real HTTP on 127.0.0.1, requests signed by a small
//! signer of this module (the verifier itself is pinned by the AWS
//! documentation's examples in `sigv4`), answers read with a small XML
//! reader of this module, listings checked against a brute-force oracle.

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::keys::record_key;
use super::*;
use crate::common::testkit::{Raw, client};
use crate::{DemoConfig, DemoServer};

async fn server(files: usize) -> DemoServer {
    server_in(files, S3_REGION).await
}

async fn server_in(files: usize, region: &str) -> DemoServer {
    let config = DemoConfig {
        files,
        dialect: "s3".into(),
        latency: Duration::ZERO,
        ..DemoConfig::default()
    };
    let options = S3Options {
        region: region.into(),
        ..S3Options::default()
    };
    DemoServer::start_with_s3("127.0.0.1:0".parse().unwrap(), config, options)
        .await
        .unwrap()
}

// ---- a small SigV4 signer ---------------------------------------------------------------

/// RFC 3986 encoding of everything but unreserved characters (and `/` in paths).
fn encode(text: &str, path: bool) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) || (path && byte == b'/') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Clone, Copy)]
struct Signer<'a> {
    access_key: &'a str,
    secret_key: &'a str,
    region: &'a str,
}

const SIGNER: Signer<'static> = Signer {
    access_key: S3_ACCESS_KEY,
    secret_key: S3_SECRET_KEY,
    region: S3_REGION,
};

/// What to send: the path (unencoded, `/demo/...`), query parameters
/// (unencoded) and headers besides `host`.
struct Call<'a> {
    method: &'a str,
    path: &'a str,
    query: Vec<(&'a str, String)>,
    headers: Vec<(&'a str, String)>,
}

impl<'a> Call<'a> {
    fn get(path: &'a str) -> Call<'a> {
        Call {
            method: "GET",
            path,
            query: Vec::new(),
            headers: Vec::new(),
        }
    }

    fn method(mut self, method: &'a str) -> Self {
        self.method = method;
        self
    }

    fn query(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.query.push((name, value.into()));
        self
    }

    fn header(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

impl Signer<'_> {
    /// The signature of a canonical request signed at `time`.
    fn sign(&self, time: i64, canonical: &str) -> String {
        let date = wire::amz_date(time);
        let scope = format!("{}/{}/s3/aws4_request", &date[..8], self.region);
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{date}\n{scope}\n{}",
            sha256_hex(canonical.as_bytes())
        );
        let key = sigv4::signing_key(self.secret_key, &date[..8], self.region, "s3");
        wire::hex(&sigv4::hmac(&key, to_sign.as_bytes()))
    }

    fn canonical(
        method: &str,
        path: &str,
        query: &[(String, String)],
        headers: &[(String, String)],
        payload: &str,
    ) -> String {
        let mut query: Vec<String> = query
            .iter()
            .map(|(n, v)| format!("{}={}", encode(n, false), encode(v, false)))
            .collect();
        query.sort();
        let block: String = headers.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
        let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
        format!(
            "{method}\n{}\n{}\n{block}\n{}\n{payload}",
            encode(path, true),
            query.join("&"),
            names.join(";")
        )
    }

    /// A presigned URL for `call` (its headers are signed too), signed at
    /// `time` for `expires` seconds.
    fn presign(&self, base_url: &str, call: &Call<'_>, time: i64, expires: u64) -> String {
        let host = base_url.trim_start_matches("http://");
        let mut headers: Vec<(String, String)> = call
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone()))
            .chain([("host".to_owned(), host.to_owned())])
            .collect();
        headers.sort();
        let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
        let date = wire::amz_date(time);
        let mut query: Vec<(String, String)> = call
            .query
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone()))
            .collect();
        query.extend([
            ("X-Amz-Algorithm".into(), "AWS4-HMAC-SHA256".into()),
            (
                "X-Amz-Credential".into(),
                format!(
                    "{}/{}/{}/s3/aws4_request",
                    self.access_key,
                    &date[..8],
                    self.region
                ),
            ),
            ("X-Amz-Date".into(), date.clone()),
            ("X-Amz-Expires".into(), expires.to_string()),
            ("X-Amz-SignedHeaders".into(), names.join(";")),
        ]);
        let canonical =
            Self::canonical(call.method, call.path, &query, &headers, "UNSIGNED-PAYLOAD");
        query.push(("X-Amz-Signature".into(), self.sign(time, &canonical)));
        let query: Vec<String> = query
            .iter()
            .map(|(n, v)| format!("{}={}", encode(n, false), encode(v, false)))
            .collect();
        format!("{base_url}{}?{}", encode(call.path, true), query.join("&"))
    }

    /// The URL and headers of `call` signed in the `Authorization` header.
    fn sign_header(
        &self,
        base_url: &str,
        call: &Call<'_>,
        time: i64,
    ) -> (String, Vec<(String, String)>) {
        let host = base_url.trim_start_matches("http://");
        let payload = sha256_hex(b"");
        let mut headers: Vec<(String, String)> = call
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone()))
            .chain([
                ("host".to_owned(), host.to_owned()),
                ("x-amz-content-sha256".to_owned(), payload.clone()),
                ("x-amz-date".to_owned(), wire::amz_date(time)),
            ])
            .collect();
        headers.sort();
        let query: Vec<(String, String)> = call
            .query
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone()))
            .collect();
        let canonical = Self::canonical(call.method, call.path, &query, &headers, &payload);
        let signature = self.sign(time, &canonical);
        let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
        let date = wire::amz_date(time);
        headers.push((
            "authorization".into(),
            format!(
                "AWS4-HMAC-SHA256 Credential={}/{}/{}/s3/aws4_request, SignedHeaders={}, Signature={signature}",
                self.access_key,
                &date[..8],
                self.region,
                names.join(";")
            ),
        ));
        headers.retain(|(n, _)| n != "host");
        let query: Vec<String> = query
            .iter()
            .map(|(n, v)| format!("{}={}", encode(n, false), encode(v, false)))
            .collect();
        let url = if query.is_empty() {
            format!("{base_url}{}", encode(call.path, true))
        } else {
            format!("{base_url}{}?{}", encode(call.path, true), query.join("&"))
        };
        (url, headers)
    }
}

/// Sends `url` with `headers` (and nothing else).
async fn send(method: &str, url: &str, headers: &[(String, String)]) -> Raw {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = client().request(method, url);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let response = request.send().await.unwrap();
    Raw {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        bytes: response.bytes().await.unwrap().to_vec(),
    }
}

/// `call` presigned (its headers signed and sent).
async fn presigned(server: &DemoServer, call: Call<'_>) -> Raw {
    presigned_by(server, &SIGNER, call).await
}

async fn presigned_by(server: &DemoServer, signer: &Signer<'_>, call: Call<'_>) -> Raw {
    let url = signer.presign(&server.base_url, &call, common::unix_now(), 300);
    let headers: Vec<(String, String)> = call
        .headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.clone()))
        .collect();
    send(call.method, &url, &headers).await
}

/// `call` signed in the `Authorization` header.
async fn header_signed(server: &DemoServer, signer: &Signer<'_>, call: Call<'_>) -> Raw {
    let (url, headers) = signer.sign_header(&server.base_url, &call, common::unix_now());
    send(call.method, &url, &headers).await
}

// ---- reading XML ------------------------------------------------------------------------

fn text(raw: &Raw) -> String {
    String::from_utf8(raw.bytes.clone()).unwrap()
}

/// The raw contents of every `<tag>…</tag>` (not nested in itself).
fn tags<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let end = after.find(&close).expect("closed");
        out.push(&after[..end]);
        rest = &after[end + close.len()..];
    }
    out
}

/// XML character data decoded: the five entities and character references.
fn unescape(raw: &str) -> String {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let end = rest[at..].find(';').unwrap() + at;
        let entity = &rest[at + 1..end];
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            e if e.starts_with("#x") => {
                char::from_u32(u32::from_str_radix(&e[2..], 16).unwrap()).unwrap()
            }
            e => char::from_u32(e[1..].parse().unwrap()).unwrap(),
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The decoded text of the first `<tag>`, if any.
fn first(xml: &str, tag: &str) -> Option<String> {
    tags(xml, tag).first().map(|raw| unescape(raw))
}

/// `encoding-type=url` undone: `+` is a space, then percent-decoding.
fn url_decode(text: &str) -> String {
    String::from_utf8(wire::percent_decode(&text.replace('+', " "), false)).unwrap()
}

/// A ListObjectsV2 answer, decoded.
#[derive(Debug)]
struct Listing {
    keys: Vec<String>,
    /// `(ETag, Size, LastModified, StorageClass)` of each key.
    details: Vec<(String, u64, String, String)>,
    prefixes: Vec<String>,
    truncated: bool,
    next: Option<String>,
    key_count: usize,
    max_keys: usize,
}

fn listing(raw: &Raw) -> Listing {
    assert_eq!(raw.status, 200, "{}", text(raw));
    assert_eq!(raw.header("content-type"), "application/xml");
    let xml = text(raw);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert!(xml.contains("<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"));
    let url = first(&xml, "EncodingType").as_deref() == Some("url");
    let decode = |raw: &str| {
        let text = unescape(raw);
        if url { url_decode(&text) } else { text }
    };
    let contents = tags(&xml, "Contents");
    let listing = Listing {
        keys: contents.iter().map(|c| decode(tags(c, "Key")[0])).collect(),
        details: contents
            .iter()
            .map(|c| {
                (
                    first(c, "ETag").unwrap(),
                    first(c, "Size").unwrap().parse().unwrap(),
                    first(c, "LastModified").unwrap(),
                    first(c, "StorageClass").unwrap(),
                )
            })
            .collect(),
        prefixes: tags(&xml, "CommonPrefixes")
            .iter()
            .map(|c| decode(tags(c, "Prefix")[0]))
            .collect(),
        truncated: first(&xml, "IsTruncated").unwrap() == "true",
        next: first(&xml, "NextContinuationToken"),
        key_count: first(&xml, "KeyCount").unwrap().parse().unwrap(),
        max_keys: first(&xml, "MaxKeys").unwrap().parse().unwrap(),
    };
    assert_eq!(
        listing.key_count,
        listing.keys.len() + listing.prefixes.len()
    );
    assert_eq!(listing.truncated, listing.next.is_some());
    listing
}

/// The `<Error>` of an answer: its code, and the answer checked for S3's shape.
fn error_code(raw: &Raw) -> String {
    assert_eq!(raw.header("content-type"), "application/xml");
    let xml = text(raw);
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"),
        "{xml}"
    );
    assert_eq!(
        first(&xml, "RequestId").unwrap(),
        raw.header("x-amz-request-id")
    );
    assert!(first(&xml, "Message").is_some_and(|m| !m.is_empty()));
    first(&xml, "Code").unwrap()
}

// ---- the oracle -------------------------------------------------------------------------

/// Every key of a server's bucket, worked out from the dataset alone: each
/// record's key under the documented layout (and the awkward keys), sorted
/// with `sort`, a repeated key renamed ` (2)`, ` (3)`... in order of record.
fn oracle(dataset: &Dataset) -> Vec<String> {
    let mut keys: Vec<(String, usize)> = (0..dataset.len())
        .map(|i| (record_key(dataset, i), i))
        .chain(
            AWKWARD_KEYS
                .iter()
                .enumerate()
                .map(|(k, key)| (key.to_string(), dataset.len() + k)),
        )
        .collect();
    keys.sort();
    let mut taken: HashSet<String> = keys.iter().map(|(k, _)| k.clone()).collect();
    let mut out: Vec<String> = Vec::new();
    let mut previous: Option<&str> = None;
    for (key, _) in &keys {
        if previous == Some(key.as_str()) {
            let (stem, ext) = match key.rfind('.') {
                Some(dot) if dot > key.rfind('/').map_or(0, |s| s + 1) => key.split_at(dot),
                _ => (key.as_str(), ""),
            };
            let renamed = (2..)
                .map(|n| format!("{stem} ({n}){ext}"))
                .find(|candidate| !taken.contains(candidate))
                .unwrap();
            taken.insert(renamed.clone());
            out.push(renamed);
        } else {
            out.push(key.clone());
        }
        previous = Some(key);
    }
    out.sort();
    out
}

/// The entries S3 lists under `prefix` rolled up at `delimiter`, in order.
fn rolled_up(all: &[String], prefix: &str, delimiter: &str) -> (Vec<String>, Vec<String>) {
    let mut keys = Vec::new();
    let mut prefixes = BTreeSet::new();
    for key in all.iter().filter(|k| k.starts_with(prefix)) {
        match key[prefix.len()..].find(delimiter) {
            Some(at) => {
                prefixes.insert(key[..prefix.len() + at + delimiter.len()].to_owned());
            }
            None => keys.push(key.clone()),
        }
    }
    (keys, prefixes.into_iter().collect())
}

/// Lists all pages of `prefix`/`delimiter` with `max-keys`, following the
/// continuation tokens.
async fn list_all(
    server: &DemoServer,
    prefix: &str,
    delimiter: Option<&str>,
    max_keys: usize,
    url: bool,
) -> (Vec<String>, Vec<String>, usize) {
    let (mut keys, mut prefixes, mut pages) = (Vec::new(), Vec::new(), 0);
    let mut token: Option<String> = None;
    loop {
        let mut call = Call::get("/demo")
            .query("list-type", "2")
            .query("prefix", prefix)
            .query("max-keys", max_keys.to_string());
        if let Some(delimiter) = delimiter {
            call = call.query("delimiter", delimiter);
        }
        if url {
            call = call.query("encoding-type", "url");
        }
        if let Some(token) = &token {
            call = call.query("continuation-token", token.clone());
        }
        let page = listing(&presigned(server, call).await);
        pages += 1;
        assert!(page.key_count <= max_keys);
        keys.extend(page.keys);
        prefixes.extend(page.prefixes);
        match page.next {
            Some(next) => {
                assert_eq!(page.key_count, max_keys);
                token = Some(next);
            }
            None => break,
        }
        assert!(pages < 10_000, "the listing does not end");
    }
    (keys, prefixes, pages)
}

// ---- listing ------------------------------------------------------------------------------

#[tokio::test]
async fn paging_reaches_every_key_once_in_order() {
    let server = server(3000).await;
    let expected = oracle(&server.dataset);
    assert_eq!(expected.len(), 3005);
    let (keys, prefixes, pages) = list_all(&server, "", None, 137, true).await;
    assert!(prefixes.is_empty());
    assert_eq!(pages, expected.len().div_ceil(137));
    assert_eq!(keys, expected);
    // The tokens look like S3's: standard base64, opaque.
    let page = listing(
        &presigned(
            &server,
            Call::get("/demo")
                .query("list-type", "2")
                .query("max-keys", "1"),
        )
        .await,
    );
    let token = page.next.unwrap();
    assert!(
        base64::engine::general_purpose::STANDARD
            .decode(&token)
            .is_ok()
    );
    assert!(!token.contains(&page.keys[0]));
    // Without encoding-type the keys come back XML-escaped only, same order.
    let (plain, _, _) = list_all(&server, "", None, 1000, false).await;
    assert_eq!(plain, expected);
    assert!(server.stats.list_requests() >= 27);
}

#[tokio::test]
async fn a_page_of_a_deep_listing_costs_a_binary_search() {
    // Not a timing test (a shared machine is too noisy for one): a page far
    // into a big listing is served at once, found from its token alone.
    let server = server(200_000).await;
    let start_after = "uploads/m";
    let page = listing(
        &presigned(
            &server,
            Call::get("/demo")
                .query("list-type", "2")
                .query("start-after", start_after)
                .query("max-keys", "1000"),
        )
        .await,
    );
    assert_eq!(page.keys.len(), 1000);
    assert!(page.keys.iter().all(|k| k.as_str() > start_after));
    assert!(page.keys.windows(2).all(|w| w[0] < w[1]));
}

#[tokio::test]
async fn start_after_a_key_that_is_not_there() {
    let server = server(2000).await;
    let expected = oracle(&server.dataset);
    // Between two keys, and matching none.
    let start_after = format!("{}\u{1}", &expected[500]);
    assert!(!expected.contains(&start_after));
    let reply = presigned(
        &server,
        Call::get("/demo")
            .query("list-type", "2")
            .query("start-after", start_after.clone())
            .query("max-keys", "10")
            .query("encoding-type", "url"),
    )
    .await;
    let xml = text(&reply);
    let page = listing(&reply);
    assert_eq!(page.keys, expected[501..511]);
    assert_eq!(url_decode(&first(&xml, "StartAfter").unwrap()), start_after);
    // Past every key: an empty page, not truncated.
    let end = listing(
        &presigned(
            &server,
            Call::get("/demo")
                .query("list-type", "2")
                .query("start-after", "\u{10ffff}"),
        )
        .await,
    );
    assert_eq!((end.keys.len(), end.truncated), (0, false));
    // A continuation token wins over start-after.
    let first_page = listing(
        &presigned(
            &server,
            Call::get("/demo")
                .query("list-type", "2")
                .query("max-keys", "3"),
        )
        .await,
    );
    let second = listing(
        &presigned(
            &server,
            Call::get("/demo")
                .query("list-type", "2")
                .query("max-keys", "3")
                .query("start-after", start_after)
                .query("continuation-token", first_page.next.unwrap()),
        )
        .await,
    );
    assert_eq!(second.keys, expected[3..6]);
}

#[tokio::test]
async fn prefix_and_delimiter_roll_up_as_brute_force_does() {
    let server = server(5000).await;
    let all = oracle(&server.dataset);
    let logs_year = all
        .iter()
        .find(|k| k.starts_with("logs/"))
        .map(|k| k[..10].to_owned())
        .unwrap();
    for prefix in [
        "",
        "docs/",
        "logs/",
        logs_year.as_str(),
        "uploads/",
        "nothing/",
        "weird/",
    ] {
        for max_keys in [7, 1000] {
            let (keys, prefixes, _) = list_all(&server, prefix, Some("/"), max_keys, true).await;
            let (expected_keys, expected_prefixes) = rolled_up(&all, prefix, "/");
            assert_eq!(prefixes, expected_prefixes, "{prefix:?} {max_keys}");
            assert_eq!(keys, expected_keys, "{prefix:?} {max_keys}");
        }
    }
    let (_, top) = rolled_up(&all, "", "/");
    assert!(top.len() >= 20, "{top:?}");
    assert!(top.contains(&"日本語/".to_owned()));
    // A delimiter of more than one character.
    let (keys, prefixes, _) = list_all(&server, "", Some("s/"), 50, false).await;
    assert_eq!((keys, prefixes), rolled_up(&all, "", "s/"));
}

#[tokio::test]
async fn encoding_type_url_round_trips_the_awkward_keys() {
    let server = server(100).await;
    let reply = presigned(
        &server,
        Call::get("/demo")
            .query("list-type", "2")
            .query("prefix", "weird/")
            .query("encoding-type", "url"),
    )
    .await;
    let xml = text(&reply);
    // As S3 encodes: a space is '+', a '+' is %2B, '/' stays.
    for raw in [
        "<Key>weird/a%2Bb+c%2520d.txt</Key>",
        "<Key>weird/100%25.txt</Key>",
        "<Key>weird/ctl%1B%5B31mred.txt</Key>",
        "<Key>weird/trailing+space+.txt</Key>",
        "<Prefix>weird/</Prefix>",
        "<EncodingType>url</EncodingType>",
    ] {
        assert!(xml.contains(raw), "{raw} not in {xml}");
    }
    let mut weird: Vec<String> = AWKWARD_KEYS
        .iter()
        .filter(|k| k.starts_with("weird/"))
        .map(|k| k.to_string())
        .collect();
    weird.sort();
    assert_eq!(listing(&reply).keys, weird);

    let japanese = presigned(
        &server,
        Call::get("/demo")
            .query("list-type", "2")
            .query("prefix", "日本")
            .query("delimiter", "/")
            .query("encoding-type", "url"),
    )
    .await;
    let xml = text(&japanese);
    assert!(xml.contains("<Prefix>%E6%97%A5%E6%9C%AC</Prefix>"), "{xml}");
    assert!(xml.contains("<Delimiter>/</Delimiter>"));
    assert!(
        xml.contains(
            "<CommonPrefixes><Prefix>%E6%97%A5%E6%9C%AC%E8%AA%9E/</Prefix></CommonPrefixes>"
        ),
        "{xml}"
    );

    // Without it, the escape character is a character reference, as S3 writes it.
    let plain = text(
        &presigned(
            &server,
            Call::get("/demo")
                .query("list-type", "2")
                .query("prefix", "weird/ctl"),
        )
        .await,
    );
    assert!(
        plain.contains("<Key>weird/ctl&#x1b;[31mred.txt</Key>"),
        "{plain}"
    );

    // Every awkward key can be asked for by its key.
    for key in AWKWARD_KEYS {
        let path = format!("/demo/{key}");
        let head = presigned(&server, Call::get(&path).method("HEAD")).await;
        assert_eq!(head.status, 200, "{key:?}");
        let get = presigned(&server, Call::get(&path)).await;
        assert_eq!(get.status, 200, "{key:?}");
        assert!(text(&get).contains(&format!("{key:?}")));
        assert_eq!(get.header("content-type"), "text/plain");
    }
}

#[tokio::test]
async fn max_keys_bounds_keys_and_prefixes_together() {
    let server = server(3000).await;
    let list = |max_keys: &str, delimiter: bool| {
        let mut call = Call::get("/demo")
            .query("list-type", "2")
            .query("max-keys", max_keys.to_owned());
        if delimiter {
            call = call.query("delimiter", "/");
        }
        presigned(&server, call)
    };
    let none = listing(&list("0", false).await);
    assert_eq!(
        (none.key_count, none.truncated, none.max_keys),
        (0, false, 0)
    );
    let capped = listing(&list("5000", false).await);
    assert_eq!((capped.keys.len(), capped.max_keys), (1000, 1000));
    assert!(capped.truncated);
    let default = listing(&presigned(&server, Call::get("/demo").query("list-type", "2")).await);
    assert_eq!((default.keys.len(), default.max_keys), (1000, 1000));
    // Three entries, counting common prefixes: the top level is all folders.
    let folders = listing(&list("3", true).await);
    assert_eq!((folders.prefixes.len(), folders.key_count), (3, 3));
    assert!(folders.truncated);
    for bad in ["-1", "ten", "1.5", "99999999999"] {
        let reply = list(bad, false).await;
        assert_eq!(reply.status, 400, "{bad}");
        assert_eq!(error_code(&reply), "InvalidArgument");
    }
    let encoding = presigned(
        &server,
        Call::get("/demo")
            .query("list-type", "2")
            .query("encoding-type", "base64"),
    )
    .await;
    assert_eq!(error_code(&encoding), "InvalidArgument");
    // A token this server did not make.
    let forged = presigned(
        &server,
        Call::get("/demo")
            .query("list-type", "2")
            .query("continuation-token", "bm90LWEtdG9rZW4="),
    )
    .await;
    assert_eq!(forged.status, 400);
    assert_eq!(error_code(&forged), "InvalidArgument");
    assert!(text(&forged).contains("<ArgumentName>continuation-token</ArgumentName>"));
}

#[tokio::test]
async fn list_objects_version_1_and_bucket_calls() {
    let server = server(500).await;
    let all = oracle(&server.dataset);
    let v1 = presigned(
        &server,
        Call::get("/demo")
            .query("max-keys", "2")
            .query("marker", all[10].clone()),
    )
    .await;
    let xml = text(&v1);
    assert_eq!(v1.status, 200);
    let keys: Vec<String> = tags(&xml, "Contents")
        .iter()
        .map(|c| first(c, "Key").unwrap())
        .collect();
    assert_eq!(keys, all[11..13]);
    assert!(xml.contains("<Owner><ID>"));
    assert_eq!(first(&xml, "Marker").unwrap(), all[10]);
    assert!(first(&xml, "NextMarker").is_none());

    let location = presigned(&server, Call::get("/demo").query("location", "")).await;
    assert_eq!(location.status, 200);
    assert!(text(&location).contains("<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></LocationConstraint>"));
    let head = presigned(&server, Call::get("/demo").method("HEAD")).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("x-amz-bucket-region"), "us-east-1");
    let buckets = presigned(&server, Call::get("/")).await;
    assert!(text(&buckets).contains("<Bucket><Name>demo</Name>"));
    assert!(buckets.headers.get("x-amz-bucket-region").is_none());
    let put = presigned(&server, Call::get("/demo/new.txt").method("PUT")).await;
    assert_eq!(put.status, 405);
    assert_eq!(error_code(&put), "MethodNotAllowed");
    let acl = presigned(&server, Call::get("/demo").query("acl", "")).await;
    assert_eq!(acl.status, 501);
}

/// ListBuckets pages by `max-buckets` and `ContinuationToken` as AWS does, every bucket
/// once in name order with its region; a bad `max-buckets` is 400.
#[tokio::test]
async fn the_bucket_list_pages_by_continuation_token() {
    let config = DemoConfig {
        files: 3,
        dialect: "s3".into(),
        latency: Duration::ZERO,
        ..DemoConfig::default()
    };
    let options = S3Options {
        other_buckets: vec![
            ("zeta".into(), "eu-west-1".into()),
            ("alpha".into(), "ap-south-1".into()),
            ("mid".into(), "us-east-1".into()),
        ],
        ..S3Options::default()
    };
    let server = DemoServer::start_with_s3("127.0.0.1:0".parse().unwrap(), config, options)
        .await
        .unwrap();
    let mut names = Vec::new();
    let mut regions = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut call = Call::get("/").query("max-buckets", "2");
        if let Some(token) = &token {
            call = call.query("continuation-token", token);
        }
        let xml = text(&presigned(&server, call).await);
        pages += 1;
        names.extend(tags(&xml, "Name").into_iter().map(unescape));
        regions.extend(tags(&xml, "BucketRegion").into_iter().map(unescape));
        token = first(&xml, "ContinuationToken");
        if token.is_none() {
            break;
        }
    }
    assert_eq!(names, ["alpha", "demo", "mid", "zeta"]);
    assert_eq!(
        regions,
        ["ap-south-1", "us-east-1", "us-east-1", "eu-west-1"]
    );
    assert_eq!(pages, 2);
    let bad = presigned(&server, Call::get("/").query("max-buckets", "0")).await;
    assert_eq!(
        (bad.status, error_code(&bad).as_str()),
        (400, "InvalidArgument")
    );
}

// ---- objects ------------------------------------------------------------------------------

/// The listing's view of every object: key → (ETag, Size, LastModified, StorageClass).
async fn details(
    server: &DemoServer,
    prefix: &str,
) -> Vec<(String, (String, u64, String, String))> {
    let page = listing(
        &presigned(
            server,
            Call::get("/demo")
                .query("list-type", "2")
                .query("prefix", prefix),
        )
        .await,
    );
    page.keys.into_iter().zip(page.details).collect()
}

#[tokio::test]
async fn head_says_what_the_listing_says() {
    let server = server(1500).await;
    let objects = details(&server, "").await;
    let mut seen = HashSet::new();
    for (key, (etag, size, modified, class)) in objects.iter().step_by(3) {
        let head = presigned(&server, Call::get(&format!("/demo/{key}")).method("HEAD")).await;
        assert_eq!(head.status, 200, "{key:?}");
        assert!(head.bytes.is_empty());
        assert_eq!(head.header("etag"), etag);
        assert_eq!(head.header("content-length"), size.to_string());
        let modified = chrono::DateTime::parse_from_rfc3339(modified).unwrap();
        assert_eq!(
            head.header("last-modified"),
            modified.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
        );
        assert_eq!(
            head.headers
                .get("x-amz-storage-class")
                .map_or("STANDARD", |v| v.to_str().unwrap()),
            class
        );
        assert_eq!(head.header("x-amz-bucket-region"), "us-east-1");
        assert!(!head.header("content-type").is_empty());
        assert!(head.headers.get("x-amz-checksum-sha256").is_none());
        seen.insert(class.clone());
        for name in ["x-amz-version-id", "x-amz-meta-owner", "x-amz-meta-project"] {
            if head.headers.contains_key(name) {
                seen.insert(name.to_owned());
            }
        }
        let multipart = etag.contains('-');
        if multipart {
            seen.insert("multipart".to_owned());
            let parts: u64 = etag
                .trim_matches('"')
                .split('-')
                .nth(1)
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(parts, size.div_ceil(8 << 20));
        }
    }
    for wanted in [
        "STANDARD",
        "STANDARD_IA",
        "GLACIER",
        "x-amz-version-id",
        "x-amz-meta-owner",
        "x-amz-meta-project",
        "multipart",
    ] {
        assert!(seen.contains(wanted), "no {wanted} among {seen:?}");
    }
    // A key that is not there: 404, and no body for a HEAD.
    let missing = presigned(&server, Call::get("/demo/no/such.txt").method("HEAD")).await;
    assert_eq!(missing.status, 404);
    assert!(missing.bytes.is_empty());
    let missing = presigned(&server, Call::get("/demo/no/such.txt")).await;
    assert_eq!(error_code(&missing), "NoSuchKey");
    assert!(text(&missing).contains("<Key>no/such.txt</Key>"));
}

/// A small, STANDARD, single-part object of `server` (not the damaged one).
async fn small_object(server: &DemoServer) -> (String, u64) {
    let damaged = record_key(&server.dataset, crate::content::CORRUPT_INDEX);
    details(server, "docs/")
        .await
        .into_iter()
        .find(|(key, (etag, size, _, class))| {
            class == "STANDARD"
                && !etag.contains('-')
                && (2000..200_000).contains(size)
                && *key != damaged
        })
        .map(|(key, (_, size, _, _))| (key, size))
        .expect("a small object")
}

#[tokio::test]
async fn ranges_are_slices_of_the_whole() {
    let server = server(1000).await;
    let (key, size) = small_object(&server).await;
    let path = format!("/demo/{key}");
    let whole = presigned(&server, Call::get(&path)).await;
    assert_eq!(whole.status, 200);
    assert_eq!(whole.bytes.len() as u64, size);
    assert_eq!(whole.header("accept-ranges"), "bytes");
    let part = presigned(&server, Call::get(&path).header("range", "bytes=10-99")).await;
    assert_eq!(part.status, 206);
    assert_eq!(part.header("content-range"), format!("bytes 10-99/{size}"));
    assert_eq!(part.bytes, whole.bytes[10..100]);
    let tail = presigned(
        &server,
        Call::get(&path).header("range", format!("bytes={}-", size - 5)),
    )
    .await;
    assert_eq!(tail.status, 206);
    assert_eq!(tail.bytes, whole.bytes[size as usize - 5..]);
    let past = presigned(
        &server,
        Call::get(&path).header("range", format!("bytes={size}-")),
    )
    .await;
    assert_eq!(past.status, 416);
    assert_eq!(past.header("content-range"), format!("bytes */{size}"));
    assert_eq!(error_code(&past), "InvalidRange");
    assert!(server.stats.range_requests() >= 2);
    // Objects are served at their listed size, even past the other dialects' cap.
    let big = details(&server, "")
        .await
        .into_iter()
        .find(|(_, (_, size, _, class))| class == "STANDARD" && *size > crate::content::CONTENT_CAP)
        .unwrap();
    let (key, (_, size, _, _)) = big;
    let end = presigned(
        &server,
        Call::get(&format!("/demo/{key}"))
            .header("range", format!("bytes={}-{}", size - 10, size - 1)),
    )
    .await;
    assert_eq!((end.status, end.bytes.len()), (206, 10));
}

#[tokio::test]
async fn conditional_requests() {
    let server = server(1000).await;
    let (key, _) = small_object(&server).await;
    let path = format!("/demo/{key}");
    let etag = presigned(&server, Call::get(&path).method("HEAD"))
        .await
        .header("etag")
        .to_owned();
    let other = presigned(&server, Call::get(&path).header("if-match", "\"0000\"")).await;
    assert_eq!(other.status, 412);
    assert_eq!(error_code(&other), "PreconditionFailed");
    assert!(text(&other).contains("<Condition>If-Match</Condition>"));
    let same = presigned(&server, Call::get(&path).header("if-match", etag.clone())).await;
    assert_eq!(same.status, 200);
    let unchanged = presigned(
        &server,
        Call::get(&path).header("if-none-match", etag.clone()),
    )
    .await;
    assert_eq!(unchanged.status, 304);
    assert!(unchanged.bytes.is_empty());
    assert_eq!(unchanged.header("etag"), etag);
    let changed = presigned(
        &server,
        Call::get(&path).header("if-none-match", "\"0000\""),
    )
    .await;
    assert_eq!(changed.status, 200);
    let later = presigned(
        &server,
        Call::get(&path).header("if-modified-since", "Fri, 01 Jan 2100 00:00:00 GMT"),
    )
    .await;
    assert_eq!(later.status, 304);
}

#[tokio::test]
async fn the_checksum_comes_only_when_asked_for() {
    let server = server(1000).await;
    let (key, _) = small_object(&server).await;
    let path = format!("/demo/{key}");
    let plain = presigned(&server, Call::get(&path)).await;
    assert!(plain.headers.get("x-amz-checksum-sha256").is_none());
    let asked = presigned(
        &server,
        Call::get(&path).header("x-amz-checksum-mode", "ENABLED"),
    )
    .await;
    assert_eq!(asked.status, 200);
    let expected = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&asked.bytes));
    assert_eq!(asked.header("x-amz-checksum-sha256"), expected);
    assert_eq!(asked.header("x-amz-checksum-type"), "FULL_OBJECT");
    let head = presigned(
        &server,
        Call::get(&path)
            .method("HEAD")
            .header("x-amz-checksum-mode", "ENABLED"),
    )
    .await;
    assert_eq!(head.header("x-amz-checksum-sha256"), expected);
    // Not for a range, as S3.
    let part = presigned(
        &server,
        Call::get(&path)
            .header("x-amz-checksum-mode", "ENABLED")
            .header("range", "bytes=0-9"),
    )
    .await;
    assert_eq!(part.status, 206);
    assert!(part.headers.get("x-amz-checksum-sha256").is_none());
    // As on S3, the header must be signed: sent beside a URL that does not sign it, it is refused.
    let url = SIGNER.presign(&server.base_url, &Call::get(&path), common::unix_now(), 60);
    let unsigned = send(
        "GET",
        &url,
        &[("x-amz-checksum-mode".into(), "ENABLED".into())],
    )
    .await;
    assert_eq!(unsigned.status, 403);
    assert_eq!(error_code(&unsigned), "AccessDenied");
    assert!(text(&unsigned).contains("<HeadersNotSigned>x-amz-checksum-mode</HeadersNotSigned>"));
}

#[tokio::test]
async fn glacier_objects_must_be_restored_before_a_get() {
    let server = server(2000).await;
    let mut refused = 0;
    for (key, (_, _, _, class)) in details(&server, "").await {
        if class != "GLACIER" {
            continue;
        }
        let path = format!("/demo/{key}");
        let head = presigned(&server, Call::get(&path).method("HEAD")).await;
        assert_eq!(head.status, 200);
        let restored = head.headers.contains_key("x-amz-restore");
        let get = presigned(&server, Call::get(&path).header("range", "bytes=0-0")).await;
        if restored {
            assert!(
                head.header("x-amz-restore")
                    .starts_with("ongoing-request=\"false\"")
            );
            assert!(matches!(get.status, 206 | 416), "{}", get.status);
        } else {
            assert_eq!(get.status, 403);
            assert_eq!(error_code(&get), "InvalidObjectState");
            refused += 1;
        }
    }
    assert!(refused > 0);
}

#[tokio::test]
async fn delete_takes_the_key_out_of_later_answers() {
    let server = server(300).await;
    let (key, _) = small_object(&server).await;
    let path = format!("/demo/{key}");
    let deleted = presigned(&server, Call::get(&path).method("DELETE")).await;
    assert_eq!(deleted.status, 204);
    let head = presigned(&server, Call::get(&path).method("HEAD")).await;
    assert_eq!(head.status, 404);
    let (keys, _, _) = list_all(&server, "", None, 1000, true).await;
    assert!(!keys.contains(&key));
    assert_eq!(keys.len(), 304);
    // Deleting again, or what never was, is still a 204.
    let again = presigned(&server, Call::get(&path).method("DELETE")).await;
    assert_eq!(again.status, 204);
    // A folder whose every key is deleted is no longer a common prefix.
    for weird in AWKWARD_KEYS.iter().filter(|k| k.starts_with("weird/")) {
        let gone = presigned(
            &server,
            Call::get(&format!("/demo/{weird}")).method("DELETE"),
        )
        .await;
        assert_eq!(gone.status, 204);
    }
    let (_, prefixes, _) = list_all(&server, "", Some("/"), 1000, true).await;
    assert!(!prefixes.contains(&"weird/".to_owned()), "{prefixes:?}");
}

// ---- authentication -------------------------------------------------------------------------

#[tokio::test]
async fn header_signatures_work_too() {
    let server = server(100).await;
    let page = listing(
        &header_signed(
            &server,
            &SIGNER,
            Call::get("/demo")
                .query("list-type", "2")
                .query("prefix", "weird/")
                .query("encoding-type", "url"),
        )
        .await,
    );
    assert_eq!(page.keys.len(), 4);
    let key = &page.keys[0];
    let object = header_signed(
        &server,
        &SIGNER,
        Call::get(&format!("/demo/{key}")).header("range", "bytes=0-3"),
    )
    .await;
    assert_eq!(object.status, 206);
    assert_eq!(object.bytes, b"file");
}

#[tokio::test]
async fn wrong_credentials_are_refused_as_s3_refuses_them() {
    let server = server(100).await;
    let call = || Call::get("/demo").query("list-type", "2");
    let wrong_secret = Signer {
        secret_key: "not-the-secret",
        ..SIGNER
    };
    for reply in [
        presigned_by(&server, &wrong_secret, call()).await,
        header_signed(&server, &wrong_secret, call()).await,
    ] {
        assert_eq!(reply.status, 403);
        assert_eq!(error_code(&reply), "SignatureDoesNotMatch");
        let xml = text(&reply);
        let canonical = first(&xml, "CanonicalRequest").unwrap();
        assert!(canonical.starts_with("GET\n/demo\n"), "{canonical}");
        assert!(
            first(&xml, "StringToSign")
                .unwrap()
                .starts_with("AWS4-HMAC-SHA256\n")
        );
        assert_eq!(reply.header("x-amz-bucket-region"), "us-east-1");
    }
    let stranger = Signer {
        access_key: "AKIASTRANGER",
        ..SIGNER
    };
    let unknown = presigned_by(&server, &stranger, call()).await;
    assert_eq!(unknown.status, 403);
    assert_eq!(error_code(&unknown), "InvalidAccessKeyId");
    assert!(text(&unknown).contains("<AWSAccessKeyId>AKIASTRANGER</AWSAccessKeyId>"));

    let anonymous = send("GET", &format!("{}/demo?list-type=2", server.base_url), &[]).await;
    assert_eq!(anonymous.status, 403);
    assert_eq!(error_code(&anonymous), "AccessDenied");

    // Signed two hours ago for one hour.
    let url = SIGNER.presign(&server.base_url, &call(), common::unix_now() - 7200, 3600);
    let expired = send("GET", &url, &[]).await;
    assert_eq!(expired.status, 403);
    assert_eq!(error_code(&expired), "AccessDenied");
    assert!(text(&expired).contains("<Message>Request has expired</Message>"));

    // A signed URL with a parameter changed.
    let url = SIGNER.presign(
        &server.base_url,
        &Call::get("/demo")
            .query("list-type", "2")
            .query("max-keys", "5"),
        common::unix_now(),
        60,
    );
    let tampered = send("GET", &url.replace("max-keys=5", "max-keys=6"), &[]).await;
    assert_eq!(error_code(&tampered), "SignatureDoesNotMatch");
    assert_eq!(tampered.status, 403);
}

#[tokio::test]
async fn another_region_is_400_with_the_real_one() {
    let server = server_in(100, "eu-central-1").await;
    let call = || Call::get("/demo").query("list-type", "2");
    let presigned_elsewhere = presigned(&server, call()).await;
    assert_eq!(presigned_elsewhere.status, 400);
    assert_eq!(
        error_code(&presigned_elsewhere),
        "AuthorizationQueryParametersError"
    );
    assert!(text(&presigned_elsewhere).contains("<Region>eu-central-1</Region>"));
    assert_eq!(
        presigned_elsewhere.header("x-amz-bucket-region"),
        "eu-central-1"
    );
    let header_elsewhere = header_signed(&server, &SIGNER, call()).await;
    assert_eq!(header_elsewhere.status, 400);
    assert_eq!(
        error_code(&header_elsewhere),
        "AuthorizationHeaderMalformed"
    );
    assert!(text(&header_elsewhere).contains("<Region>eu-central-1</Region>"));
    // HEAD of the bucket: no body, the region in the header, as clients probe it.
    let head = presigned(&server, Call::get("/demo").method("HEAD")).await;
    assert_eq!(head.status, 400);
    assert!(head.bytes.is_empty());
    assert_eq!(head.header("x-amz-bucket-region"), "eu-central-1");
    // GetBucketLocation answers whatever region it is signed for.
    let location = presigned(&server, Call::get("/demo").query("location", "")).await;
    assert_eq!(location.status, 200);
    assert!(text(&location).contains(">eu-central-1</LocationConstraint>"));
    // Signed for the right region, all is well.
    let right = Signer {
        region: "eu-central-1",
        ..SIGNER
    };
    let page = listing(&presigned_by(&server, &right, call()).await);
    assert_eq!(page.keys.len(), 105);
    assert_eq!(
        server.connect_hint().unwrap()[1],
        format!(
            "try  AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo-secret-key AWS_REGION=eu-central-1 filescope s3://demo/ --endpoint {}   (s3:// lists the buckets)",
            server.base_url
        )
    );
}

#[tokio::test]
async fn another_bucket_is_404() {
    let server = server(10).await;
    let reply = presigned(&server, Call::get("/other").query("list-type", "2")).await;
    assert_eq!(reply.status, 404);
    assert_eq!(error_code(&reply), "NoSuchBucket");
    assert!(text(&reply).contains("<BucketName>other</BucketName>"));
    assert!(reply.headers.get("x-amz-bucket-region").is_none());
    let object = presigned(&server, Call::get("/other/a.txt")).await;
    assert_eq!(error_code(&object), "NoSuchBucket");
}

#[test]
fn the_connect_hint_says_how_to_connect() {
    let lines = connect_hint("http://127.0.0.1:9000", 100_000, S3_REGION);
    assert_eq!(
        lines,
        [
            "serving 100005 objects in bucket \"demo\" (region us-east-1) at http://127.0.0.1:9000; credentials AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo-secret-key",
            "try  AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo-secret-key filescope s3://demo/ --endpoint http://127.0.0.1:9000   (s3:// lists the buckets)",
        ]
    );
}
