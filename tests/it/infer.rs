//! Writing a dialect for your own API, through the real binary: `dialect infer` on sample
//! answers copied from six real APIs' documentation (tests/fixtures/shapes/), served as they
//! document them, and `dialect check` against a server with a definition that is right and
//! one that is wrong.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use crate::common;

use std::path::Path;

use axum::http::{HeaderMap, HeaderValue};
use axum::routing::get;
use filescope::api::PageRequest;
use filescope_demo::DemoServer;

const KEY: &str = "sk-infer-canary-5a1c";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/shapes")
            .join(name),
    )
    .unwrap()
}

/// Every sample answer at the path its API documents, GitHub's with the Link header its docs
/// show (pointed at this server).
async fn fixture_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let json = |name: &'static str| {
        let body = fixture(name);
        get(move || {
            let body = body.clone();
            async move { ([("content-type", "application/json")], body) }
        })
    };
    let assets = {
        let body = fixture("github_assets.json");
        let link = format!(
            "<{origin}/repos/octocat/Hello-World/releases/1/assets?per_page=1&page=2>; rel=\"next\", <{origin}/repos/octocat/Hello-World/releases/1/assets?per_page=1&page=4>; rel=\"last\""
        );
        get(move || {
            let (body, link) = (body.clone(), link.clone());
            async move {
                let mut headers = HeaderMap::new();
                headers.insert("link", HeaderValue::from_str(&link).unwrap());
                headers.insert("content-type", HeaderValue::from_static("application/json"));
                (headers, body)
            }
        })
    };
    let app = axum::Router::new()
        .route("/repos/octocat/Hello-World/releases/1/assets", assets)
        .route("/accounts/", json("drf.json"))
        .route("/v1/files", json("stripe_files.json"))
        .route("/drive/v3/files", json("gdrive_files.json"))
        .route("/articles", json("jsonapi.json"))
        .route("/2.0/folders/0/items", json("box_items.json"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    origin
}

async fn filescope(args: Vec<String>, key: Option<&str>) -> std::process::Output {
    let dir = std::env::temp_dir().join(format!("filescope-infer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = key.map(str::to_string);
    tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_filescope"));
        // No instance metadata service is asked: tests stay on loopback.
        cmd.env("AWS_EC2_METADATA_DISABLED", "true");
        cmd.env("FILESCOPE_CONFIG", dir.join("none.toml"))
            .env("FILESCOPE_DATA_DIR", &dir)
            .env_remove("FILESCOPE_API_KEY")
            .args(&args);
        if let Some(key) = key {
            cmd.env("FILESCOPE_API_KEY", key);
        }
        cmd.output().unwrap()
    })
    .await
    .unwrap()
}

/// What a sample answer must read as, through the inferred definition.
struct Expect {
    shape: &'static str,
    path: &'static str,
    fixture: &'static str,
    args: &'static [&'static str],
    /// The inferred paging style.
    style: &'static str,
    /// (id, name, size, content type) of the first record.
    first: (
        &'static str,
        &'static str,
        Option<u64>,
        Option<&'static str>,
    ),
    records: usize,
}

const EXPECT: [Expect; 6] = [
    Expect {
        shape: "github",
        path: "/repos/octocat/Hello-World/releases/1/assets?per_page=1",
        fixture: "github_assets.json",
        args: &["--header", "Authorization: token sk-infer-canary-5a1c"],
        style: "link_header",
        first: ("1", "example.zip", Some(1024), Some("application/zip")),
        records: 1,
    },
    Expect {
        shape: "drf",
        path: "/accounts/?page=4",
        fixture: "drf.json",
        args: &["--header", "Authorization: Token sk-infer-canary-5a1c"],
        style: "next_link",
        first: ("", "", None, None),
        records: 0,
    },
    Expect {
        shape: "stripe",
        path: "/v1/files?limit=3",
        fixture: "stripe_files.json",
        args: &[],
        style: "cursor",
        first: (
            "file_1Mr4LDLkdIwHu7ixFCz0dZiH",
            "file.png",
            Some(8429),
            None,
        ),
        records: 1,
    },
    Expect {
        shape: "gdrive",
        path: "/drive/v3/files?pageSize=2",
        fixture: "gdrive_files.json",
        args: &["--auth-query", "key"],
        style: "cursor",
        first: (
            "1a2B3c4D5e6F7g8H9i0JkLmNoPqRsTuVw",
            "Q3 report.pdf",
            Some(482_113),
            Some("application/pdf"),
        ),
        records: 2,
    },
    Expect {
        shape: "jsonapi",
        path: "/articles?page%5Bnumber%5D=3&page%5Bsize%5D=1",
        fixture: "jsonapi.json",
        args: &[],
        style: "next_link",
        first: ("3", "JSON:API paints my bikeshed!", None, None),
        records: 1,
    },
    Expect {
        shape: "box",
        path: "/2.0/folders/0/items?offset=2000&limit=1000",
        fixture: "box_items.json",
        args: &[],
        style: "offset",
        first: ("12345", "Contract.pdf", None, None),
        records: 1,
    },
];

#[tokio::test(flavor = "multi_thread")]
async fn infer_writes_a_definition_that_reads_each_documented_answer() {
    let origin = fixture_server().await;
    let mut without_edits = Vec::new();
    for e in &EXPECT {
        let mut args: Vec<String> = ["dialect", "infer"].iter().map(|s| s.to_string()).collect();
        args.push(format!("{origin}{}", e.path));
        args.extend(["--name".to_string(), e.shape.to_string()]);
        args.extend(e.args.iter().map(|s| s.to_string()));
        let out = filescope(args, Some(KEY)).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{}: {stderr}", e.shape);
        let definition = String::from_utf8(out.stdout).unwrap();
        assert!(
            !definition.contains(KEY),
            "{}: the key is never written back:\n{definition}",
            e.shape
        );
        assert!(
            definition.contains(&format!("style = \"{}\"", e.style)),
            "{}:\n{definition}",
            e.shape
        );
        // The definition is valid configuration, and reads the sample as documented.
        let loaded = filescope::config::parse(Path::new("/tmp/inferred.toml"), definition.clone())
            .unwrap_or_else(|err| panic!("{}: {err}\n{definition}", e.shape));
        let dialect = loaded.dialect(e.shape).unwrap();
        let body = fixture(e.fixture);
        let query = filescope::api::ListQuery::new(dialect.capabilities().default_sort);
        let page = dialect
            .decode_answer(
                &query,
                PageRequest {
                    number: 2,
                    size: 100,
                },
                &reqwest::header::HeaderMap::new(),
                body.as_bytes(),
                Default::default(),
            )
            .unwrap_or_else(|err| panic!("{}: {err}\n{definition}", e.shape));
        assert_eq!(page.records.len(), e.records, "{}", e.shape);
        if let Some(r) = page.records.first() {
            assert_eq!(
                (
                    r.id.as_str(),
                    r.name.as_str(),
                    r.size,
                    r.content_type.as_deref()
                ),
                e.first,
                "{}:\n{definition}",
                e.shape
            );
        }
        if !definition.contains("# check:") {
            without_edits.push(e.shape);
        }
    }
    // DRF's documented answer has no records to read fields from: its fields need writing.
    assert_eq!(
        without_edits,
        ["github", "stripe", "gdrive", "jsonapi", "box"],
        "the definitions that need no edit at all"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn infer_templates_the_key_wherever_it_was_given() {
    let origin = fixture_server().await;
    let infer = |path: &str, extra: &[&str]| {
        let mut args: Vec<String> =
            vec!["dialect".into(), "infer".into(), format!("{origin}{path}")];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let out = filescope(
        infer(
            "/v1/files",
            &["--header", "X-Api-Key: sk-infer-canary-5a1c"],
        ),
        Some(KEY),
    )
    .await;
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("auth = { header = \"X-Api-Key\", value = \"{key}\" }"),
        "{text}"
    );
    let out = filescope(
        infer("/drive/v3/files", &["--auth-query", "key"]),
        Some(KEY),
    )
    .await;
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("auth = { query = \"key\" }"), "{text}");
    assert!(!text.contains(KEY), "{text}");
}

/// Issue 27, expected 8: a 401 leads with the header to send: the scheme the answer's
/// `WWW-Authenticate` names (else `Bearer`), `…` for the key, which is never printed; a scheme
/// that is not plain letters (one that would break the quoting) is not repeated. Exit 3, as
/// every refused key.
#[tokio::test(flavor = "multi_thread")]
async fn infer_on_a_401_names_the_header_to_send() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let refuse = |scheme: Option<&'static str>| {
        get(move || async move {
            let mut headers = HeaderMap::new();
            if let Some(scheme) = scheme {
                headers.insert("www-authenticate", HeaderValue::from_static(scheme));
            }
            (
                axum::http::StatusCode::UNAUTHORIZED,
                headers,
                "{\"detail\": \"Authentication credentials were not provided.\"}",
            )
        })
    };
    let app = axum::Router::new()
        .route("/token", refuse(Some("Token realm=\"api\"")))
        .route("/plain", refuse(None))
        .route("/odd", refuse(Some("x';touch${IFS}/tmp/owned;' realm")));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let infer = |path: &str| vec!["dialect".into(), "infer".into(), format!("{origin}{path}")];
    let stderr = |out: &std::process::Output| String::from_utf8(out.stderr.clone()).unwrap();

    let out = filescope(infer("/token"), None).await;
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let text = stderr(&out);
    assert!(
        text.starts_with("filescope: send the API key: --header 'Authorization: Token …'"),
        "{text}"
    );
    assert!(text.contains("HTTP 401 from "), "{text}");

    let text = stderr(&filescope(infer("/plain"), None).await);
    assert!(
        text.starts_with("filescope: send the API key: --header 'Authorization: Bearer …'"),
        "{text}"
    );

    let text = stderr(&filescope(infer("/odd"), None).await);
    assert!(text.contains("'Authorization: Bearer …'"), "{text}");
    assert!(!text.contains("touch"), "{text}");

    // A key that was sent and refused: check it, or send it as the server says.
    let text = stderr(&filescope(infer("/token"), Some(KEY)).await);
    assert!(
        text.starts_with("filescope: check the key, or send it as the API's docs say: --header 'Authorization: Token …'"),
        "{text}"
    );
    assert!(text.contains("sent as 'Authorization: Bearer …'"), "{text}");
    assert!(!text.contains(KEY), "{text}");
}

async fn drf_demo() -> DemoServer {
    common::Demo::new(120).key(KEY).shape("drf").start().await
}

#[tokio::test(flavor = "multi_thread")]
async fn check_reads_two_pages_and_says_what_each_field_resolved() {
    let server = drf_demo().await;
    let dir = std::env::temp_dir().join(format!("filescope-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (_, drf) = filescope::config::EXAMPLE_DIALECTS
        .iter()
        .find(|(n, _)| *n == "drf")
        .unwrap();
    let run = |definition: String| {
        let dir = dir.clone();
        let url = server.base_url.clone();
        async move {
            let config = dir.join("config.toml");
            std::fs::write(
                &config,
                format!("{definition}\n[profiles.it]\ndialect = \"drf\"\nurl = \"{url}\"\n"),
            )
            .unwrap();
            tokio::task::spawn_blocking(move || {
                std::process::Command::new(env!("CARGO_BIN_EXE_filescope"))
                    .env("AWS_EC2_METADATA_DISABLED", "true")
                    .env("FILESCOPE_CONFIG", &config)
                    .env("FILESCOPE_DATA_DIR", config.parent().unwrap())
                    .env("FILESCOPE_API_KEY", KEY)
                    .args(["dialect", "check", "-p", "it"])
                    .output()
                    .unwrap()
            })
            .await
            .unwrap()
        }
    };
    let out = run(drf.to_string()).await;
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "page 1: 20 records");
    assert!(
        lines[1].starts_with("  paging: total 120 · has_more true · next link http://127.0.0.1:"),
        "{}",
        lines[1]
    );
    let name = lines
        .iter()
        .find(|l| l.trim_start().starts_with("name"))
        .unwrap();
    assert!(name.contains("20 of 20"), "{name}");
    assert!(text.contains("page 2: 20 records"), "{text}");
    assert!(!text.contains(KEY), "{text}");

    // A wrong path: said, with the keys the records do have.
    let out = run(drf.replace("name = \"filename\"", "name = \"file_name\"")).await;
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{text}");
    let name = text
        .lines()
        .find(|l| l.trim_start().starts_with("name"))
        .unwrap();
    assert!(name.contains("0 of 20"), "{name}");
    assert!(
        text.contains("fields.name = \"file_name\" resolved nothing on page 1; a record has the keys bytes, created, download_url, filename"),
        "{text}"
    );
}

/// A server whose key names hold bidirectional overrides, isolates, C1 and C0 controls and a
/// newline that tries to open a table: every string written into the definition escapes them
/// (`\uXXXX`), no comment carries one as it is, and the TOML reads back to the very key names.
#[tokio::test(flavor = "multi_thread")]
async fn infer_escapes_the_servers_text_in_every_string_and_comment() {
    let hostile = "fil\u{202e}sel\u{2066}if\u{9b}31m\u{7f}\u{1b}]52;\u{7}\n[profiles.evil]\nx=\"";
    let inner = "in\u{200f}ner\u{61c}";
    let body = serde_json::json!({
        hostile: { inner: [{ "id": "1", "name": "a.txt" }, { "id": "2", "name": "b.txt" }] }
    })
    .to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/list",
        get(move || {
            let body = body.clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let out = filescope(
        vec!["dialect".into(), "infer".into(), format!("{origin}/list")],
        None,
    )
    .await;
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let raw = text
        .chars()
        .find(|&c| c != '\n' && filescope::text::is_unsafe(c));
    assert_eq!(raw, None, "a raw unsafe character in:\n{text}");
    let parsed: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(
        parsed["dialects"]["myapi"]["records"].as_str(),
        Some(format!("{hostile}.{inner}").as_str()),
        "{text}"
    );
    assert!(
        !parsed["profiles"].as_table().unwrap().contains_key("evil"),
        "{text}"
    );
}

/// `--name` becomes a table name, so only a bare TOML key is accepted: anything else (a
/// newline and a table, a dot, a quote, a space, a bidi override, nothing) is exit 2 with one
/// line, before any request, and nothing on standard output.
#[tokio::test(flavor = "multi_thread")]
async fn infer_refuses_a_name_that_is_not_a_bare_key() {
    let origin = fixture_server().await;
    let named = |name: &str| {
        let args = [
            "dialect",
            "infer",
            &format!("{origin}/v1/files"),
            "--name",
            name,
        ];
        filescope(args.iter().map(|a| a.to_string()).collect(), None)
    };
    for name in [
        "x]\n[profiles.evil]\nurl = \"http://evil.test\"\n[dialects.y",
        "a.b",
        "a\"b",
        "my api",
        "api\u{202e}",
        "",
    ] {
        let out = named(name).await;
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{name:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{name:?}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("a dialect's name is letters, digits, `_` and `-` only"),
            "{stderr}"
        );
        assert!(!stderr.contains('\u{202e}'), "{stderr}");
    }
    // A bare key with `_` and `-` is fine.
    let out = named("my_api-2").await;
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("[dialects.my_api-2]")
    );
}
