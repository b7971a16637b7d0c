//! S3, against a real S3 implementation: `s3s-fs` (an S3 server over a directory) started
//! in-process on 127.0.0.1 by each test. Listing across many continuation tokens, prefixes as
//! folders, the last rows found by key, HEAD, presigned links, ranged reads and resumed
//! downloads, wrong credentials and a missing bucket — through the binary, the explorer's
//! state, and the client.
//!
//! What s3s-fs 0.14.1 does not do like S3 (URL-encoded keys, `If-Match`, checksums only on
//! request, a bucket's region) is tested against the demo server's S3 in tests/it/s3_demo.rs.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use filescope::api::s3::{
    S3, Settings,
    credentials::{Keys, Signer},
};
use filescope::api::{Client, Connection, Secret};
use filescope::app::Msg;

const ACCESS: &str = "AKIDFILESCOPETEST";
const SECRET: &str = "s3cr3t-canary-9d1f-never-printed";
const BUCKET: &str = "bucket";
const CEILING: Duration = Duration::from_secs(120);

/// An S3 server over a fresh directory holding `objects`, and the requests it has served.
struct S3Fs {
    endpoint: String,
    requests: Arc<AtomicUsize>,
    /// The `Range` header of every GET of an object, in order.
    ranges: Arc<std::sync::Mutex<Vec<Option<String>>>>,
    _dir: PathBuf,
}

fn scratch(tag: &str) -> PathBuf {
    common::fresh_dir(&format!("s3-{tag}"))
}

async fn s3fs(tag: &str, objects: &[(String, Vec<u8>)]) -> S3Fs {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use s3s::service::S3ServiceBuilder;
    let dir = scratch(tag);
    let root = dir.join("root");
    for (key, bytes) in objects {
        let path = root.join(BUCKET).join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    std::fs::create_dir_all(root.join(BUCKET)).unwrap();
    let fs = s3s_fs::FileSystem::new(&root).unwrap();
    let mut builder = S3ServiceBuilder::new(fs);
    builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS, SECRET));
    let service = builder.build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&requests);
    let ranges = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen_ranges = Arc::clone(&ranges);
    tokio::spawn(async move {
        let http = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                continue;
            };
            let service = service.clone();
            let counter = Arc::clone(&counter);
            let seen_ranges = Arc::clone(&seen_ranges);
            let counted = hyper::service::service_fn(move |request: hyper::Request<_>| {
                counter.fetch_add(1, Ordering::SeqCst);
                if request.method() == hyper::Method::GET && request.uri().query().is_none() {
                    let range = request.headers().get("range");
                    seen_ranges
                        .lock()
                        .unwrap()
                        .push(range.map(|r| r.to_str().unwrap().to_string()));
                }
                hyper::service::Service::call(&service, request)
            });
            let conn = http
                .serve_connection(TokioIo::new(socket), counted)
                .into_owned();
            tokio::spawn(async move {
                let _ = conn.await;
            });
        }
    });
    S3Fs {
        endpoint,
        requests,
        ranges,
        _dir: dir,
    }
}

/// What one level at the top of `objects` shows: each folder once, then the files, in key
/// order.
fn top_level(objects: &[(String, Vec<u8>)]) -> Vec<String> {
    let mut top: Vec<String> = objects
        .iter()
        .map(|(k, _)| match k.split_once('/') {
            Some((folder, _)) => format!("{folder}/"),
            None => k.clone(),
        })
        .collect();
    top.dedup();
    top
}

/// `count` small objects in nested prefixes, with spaces and non-ASCII in some keys, in the
/// order S3 lists them (UTF-8 bytes), computed here rather than asked of the server.
fn dataset(count: usize) -> Vec<(String, Vec<u8>)> {
    let mut objects: Vec<(String, Vec<u8>)> = (0..count)
        .map(|i| {
            let key = match i % 5 {
                0 => format!("logs/2025/{:02}/app-{i:05}.log", i % 12 + 1),
                1 => format!("images/raw/photo {i:05}.jpg"),
                2 => format!("reports/q{}/report-{i:05}.pdf", i % 4 + 1),
                3 => format!("日本語/ファイル-{i:05}.txt"),
                _ => format!("top-{i:05}.csv"),
            };
            let bytes = format!("object {i}\n").repeat(i % 7 + 1).into_bytes();
            (key, bytes)
        })
        .collect();
    objects.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    objects
}

fn keys() -> Keys {
    Keys {
        access_key_id: ACCESS.into(),
        secret_access_key: Secret::new(SECRET),
        session_token: None,
        source: "the test".into(),
        expiry: None,
    }
}

fn client(server: &S3Fs, root: &str, levels: bool, keys: Option<Keys>) -> Client {
    let dialect = S3::new(Settings {
        bucket: BUCKET.into(),
        root: root.into(),
        signer: keys.map_or_else(|| Signer::unsigned("no credentials"), Signer::given),
        region: "us-east-1".into(),
        endpoint: Some(server.endpoint.parse().unwrap()),
        path_style: None,
        levels,
    });
    let conn = Connection::new(Arc::new(dialect), server.endpoint.parse().unwrap(), None);
    Client::new(conn).unwrap()
}

/// Runs the binary with a home, configuration and data directory of its own (no
/// `~/.aws` of the developer's), the test's credentials in the environment.
async fn binary(dir: &Path, secret: &str, args: &[&str]) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let dir = dir.to_path_buf();
    let secret = secret.to_string();
    tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_filescope"));
        // No instance metadata service is asked: tests stay on loopback.
        cmd.env("AWS_EC2_METADATA_DISABLED", "true");
        common::aws_isolated(
            &mut cmd,
            &dir,
            &[
                ("AWS_ACCESS_KEY_ID", ACCESS),
                ("AWS_SECRET_ACCESS_KEY", &secret),
            ],
        )
        .env("HOME", &dir)
        .env("FILESCOPE_CONFIG", dir.join("none.toml"))
        .env("FILESCOPE_DATA_DIR", &dir)
        .env("FILESCOPE_LOG", "trace")
        .args(&args)
        .output()
        .unwrap()
    })
    .await
    .unwrap()
}

/// `filescope ls --dialect s3 --url URL --endpoint ENDPOINT` and `extra` flags.
async fn ls(
    dir: &Path,
    secret: &str,
    url: &str,
    endpoint: &str,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec![
        "ls",
        "--dialect",
        "s3",
        "--url",
        url,
        "--endpoint",
        endpoint,
    ];
    args.extend_from_slice(extra);
    binary(dir, secret, &args).await
}

fn ids(stdout: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["id"].as_str().unwrap().to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn ls_lists_every_key_under_the_prefix_in_key_order_across_continuation_tokens() {
    let objects = dataset(2_345);
    let server = s3fs("ls", &objects).await;
    let dir = scratch("ls-home");
    let url = format!("s3://{BUCKET}");
    // One page after another (`--jobs 1`; by key range, parts at once, is tests/it/s3_ranged.rs).
    let out = ls(
        &dir,
        SECRET,
        &url,
        &server.endpoint,
        &["--all", "--jobs", "1", "--format", "ndjson"],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: Vec<String> = objects.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(ids(&out.stdout), expected);
    // Three pages of at most 1,000 keys: two continuation tokens followed.
    assert_eq!(server.requests.load(Ordering::SeqCst), 3);

    // Under a prefix, one level at a time: the folders there and the objects directly in it.
    let url = format!("s3://{BUCKET}/logs/2025/");
    let out = ls(
        &dir,
        SECRET,
        &url,
        &server.endpoint,
        &["--all", "--delimiter", "/", "--format", "ndjson"],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut months: Vec<String> = objects
        .iter()
        .filter_map(|(k, _)| k.strip_prefix("logs/2025/"))
        .map(|rest| format!("logs/2025/{}/", rest.split('/').next().unwrap()))
        .collect();
    months.dedup();
    assert_eq!(ids(&out.stdout), months);

    // The log holds no secret, and no signature.
    let log = std::fs::read_to_string(dir.join("filescope.log")).unwrap();
    assert!(!log.contains(SECRET), "the secret key is in the log");
    assert!(!log.contains("Signature="), "a signature is in the log");
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_credentials_exit_3_and_a_missing_bucket_exit_2_each_with_one_clear_line() {
    let server = s3fs("creds", &dataset(10)).await;
    let dir = scratch("creds-home");
    let url = format!("s3://{BUCKET}");
    let out = ls(&dir, "wrong-secret", &url, &server.endpoint, &[]).await;
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("SignatureDoesNotMatch"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "access key {ACCESS} from environment (AWS_ACCESS_KEY_ID) was refused"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong-secret"));

    let out = ls(&dir, SECRET, "s3://no-such-bucket", &server.endpoint, &[]).await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("NoSuchBucket"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_credentials_in_the_explorer_say_which_key_was_refused_and_never_the_secret() {
    let server = s3fs("creds-ui", &dataset(10)).await;
    let wrong = Keys {
        secret_access_key: Secret::new("wrong-secret-never-shown"),
        source: "environment (AWS_ACCESS_KEY_ID)".into(),
        ..keys()
    };
    let client = client(&server, "", true, Some(wrong));
    let mut app = filescope::test_support::app_on(&client);
    let effects = app.start(120, 20, Instant::now());
    common::settle(&mut app, &client, effects).await;
    let screen = common::render(&app, 120, 20);
    // The table's side of the screen (the detail pane is to the right), its wrapped lines
    // joined again.
    let table: Vec<&str> = screen[2..]
        .iter()
        .map(|l| l.split('│').next().unwrap_or("").trim_end())
        .collect();
    let said = table.join(" ");
    assert!(
        said.contains("HTTP 403 from") && said.contains("/bucket: SignatureDoesNotMatch —"),
        "{screen:#?}"
    );
    assert!(
        said.contains(&format!(
            "access key {ACCESS} from environment (AWS_ACCESS_KEY_ID) was refused"
        )),
        "{said}"
    );
    assert!(!screen.join("\n").contains("wrong-secret"), "{screen:#?}");
    assert_eq!(
        app.row_count(),
        0,
        "no rows made up for a listing that failed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn folders_are_rows_entered_with_enter_and_left_with_backspace() {
    let objects = dataset(300);
    let server = s3fs("folders", &objects).await;
    let client = client(&server, "", true, Some(keys()));
    let mut app = filescope::test_support::app_on(&client);
    let effects = app.start(120, 40, Instant::now());
    common::settle(&mut app, &client, effects).await;
    let names: Vec<String> = (0..app.row_count())
        .map(|i| match app.row(i) {
            filescope::listing::Row::Loaded(r) => r.name.clone(),
            _ => String::new(),
        })
        .collect();
    let top = top_level(&objects);
    assert_eq!(names, top);
    let screen = common::render(&app, 120, 40).join("\n");
    assert!(screen.contains("images/"), "{screen}");

    // Enter on `reports/` lists inside it; the header says where.
    let at = names.iter().position(|n| n == "reports/").unwrap();
    app.update(
        Msg::Resize {
            width: 120,
            height: 40,
        },
        Instant::now(),
    );
    for _ in 0..at {
        app.update(filescope::test_support::key('j'), Instant::now());
    }
    let effects = app.update(
        filescope::test_support::code(crossterm::event::KeyCode::Enter),
        Instant::now(),
    );
    common::settle(&mut app, &client, effects).await;
    let inside: Vec<String> = (0..app.row_count())
        .filter_map(|i| match app.row(i) {
            filescope::listing::Row::Loaded(r) => Some(r.name.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(inside, ["q1/", "q2/", "q3/", "q4/"]);
    let header = common::render(&app, 120, 40)[0].clone();
    assert!(header.contains("reports/"), "{header}");

    let effects = app.update(
        filescope::test_support::code(crossterm::event::KeyCode::Backspace),
        Instant::now(),
    );
    common::settle(&mut app, &client, effects).await;
    assert_eq!(app.row_count(), top.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn g_finds_the_last_rows_by_key_without_walking_and_g_goes_back() {
    // One flat prefix of 20,000 keys: a walk would take 100 pages of 200.
    let objects: Vec<(String, Vec<u8>)> = {
        let mut o: Vec<(String, Vec<u8>)> = (0..20_000u64)
            .map(|i| {
                // Scattered names, as real keys are, not a counter.
                let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
                (format!("flat/{h:07x}-{i}.bin"), vec![b'x'; 3])
            })
            .collect();
        o.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        o
    };
    let server = s3fs("tail", &objects).await;
    let client = client(&server, "flat/", true, Some(keys()));
    let mut app = filescope::test_support::app_on(&client);
    let effects = app.start(120, 40, Instant::now());
    common::settle(&mut app, &client, effects).await;
    assert!(!app.is_count_known());
    let before = server.requests.load(Ordering::SeqCst);
    let effects = app.update(filescope::test_support::key('G'), Instant::now());
    tokio::time::timeout(CEILING, common::settle(&mut app, &client, effects))
        .await
        .unwrap();
    let requests = server.requests.load(Ordering::SeqCst) - before;
    let last = &objects.last().unwrap().0;
    assert_eq!(app.selected().map(|r| r.id.clone()).as_ref(), Some(last));
    assert!(requests <= 40, "G made {requests} requests");
    let header = common::render(&app, 120, 40)[0].clone();
    assert!(header.contains("of the last"), "{header}");
    // Every row shown after the search is really among the last ones, in order.
    let shown: Vec<String> = (0..app.row_count())
        .filter_map(|i| match app.row(i) {
            filescope::listing::Row::Loaded(r) => Some(r.id.clone()),
            _ => None,
        })
        .collect();
    let tail: Vec<String> = objects[objects.len() - shown.len()..]
        .iter()
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(shown, tail);

    let effects = app.update(filescope::test_support::key('g'), Instant::now());
    common::settle(&mut app, &client, effects).await;
    assert_eq!(
        app.selected().map(|r| r.id.clone()).as_ref(),
        Some(&objects[0].0)
    );
    assert!(!common::render(&app, 120, 40)[0].contains("of the last"));
}

#[tokio::test(flavor = "multi_thread")]
async fn head_fills_the_detail_and_a_presigned_link_works_for_a_plain_get() {
    let objects = dataset(20);
    let server = s3fs("head", &objects).await;
    let client = client(&server, "", false, Some(keys()));
    let (key, bytes) = &objects[3];
    let record = client.detail(key).await.unwrap().unwrap();
    assert_eq!(record.id, *key);
    assert_eq!(record.size, Some(bytes.len() as u64));
    assert!(record.updated_at.is_some());
    let raw: serde_json::Value = serde_json::from_str(record.raw.get()).unwrap();
    assert!(raw["ETag"].as_str().is_some(), "{raw}");

    let link = client
        .reach()
        .share_link(&record, Duration::from_secs(900))
        .unwrap()
        .unwrap();
    // Anyone holding the link: no credentials, no headers.
    let got = reqwest::get(link).await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap().as_ref(), bytes.as_slice());
}

#[tokio::test(flavor = "multi_thread")]
async fn previews_read_a_range_and_downloads_resume_where_the_part_file_ends_checked_by_etag() {
    let big: Vec<u8> = (0..700_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let objects = vec![("data/big.bin".to_string(), big.clone())];
    let server = s3fs("range", &objects).await;
    let client = client(&server, "", false, Some(keys()));
    let page = client
        .list_page(
            &filescope::api::ListQuery::new(client.dialect().capabilities().default_sort),
            filescope::api::PageRequest {
                number: 1,
                size: 10,
            },
        )
        .await
        .unwrap();
    let record = page.records[0].clone();
    let head = client.head_bytes(&record, 256 << 10).await.unwrap();
    assert_eq!(head, big[..256 << 10]);
    // Only the preview's bytes were asked for, not the 700 KB object cut short here.
    assert_eq!(
        *server.ranges.lock().unwrap(),
        [Some("bytes=0-262143".to_string())]
    );

    // A part file holding the first 300,000 bytes: the download asks for the rest only.
    let dir = scratch("range-dl");
    let target = dir.join("big.bin");
    let part = filescope::api::content::part_path(&target, &record.id);
    std::fs::write(&part, &big[..300_000]).unwrap();
    let mut resumed = None;
    let saved = filescope::api::content::download(
        &client,
        &record,
        &target,
        filescope::api::content::Conflict::Overwrite,
        &tokio_util::sync::CancellationToken::new(),
        |p| {
            resumed.get_or_insert(p.done);
        },
    )
    .await;
    assert_eq!(
        resumed,
        Some(300_000),
        "the download started where the part file ended"
    );
    assert_eq!(std::fs::read(&target).unwrap(), big);
    assert_eq!(
        server.ranges.lock().unwrap()[1..],
        [Some("bytes=300000-".to_string())],
        "the download asked for the rest only"
    );
    // s3s-fs makes a single-part object's ETag the MD5 of its bytes, as S3 does: the resumed
    // file is checked whole against it.
    assert_eq!(
        saved.unwrap().verified,
        Some(filescope::api::content::Algorithm::EtagMd5)
    );
}

/// A store that records the exact request target of every request it is sent (method, path
/// and query as they arrived) and answers like S3 with a one-byte object; its first list
/// request, when `region` is set, is a 301 naming that region.
async fn recording_store(
    region: Option<&'static str>,
) -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    use axum::http::{HeaderMap, Method, StatusCode, Uri};
    use axum::response::IntoResponse;
    let seen = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let log = Arc::clone(&seen);
    let redirected = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let app = axum::Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap| {
        let log = Arc::clone(&log);
        let redirected = Arc::clone(&redirected);
        async move {
            let target = uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default();
            log.lock().unwrap().push(format!("{method} {target}"));
            let listing = uri.query().is_some_and(|q| q.contains("list-type=2"));
            if listing
                && let Some(region) = region
                && !redirected.swap(true, Ordering::SeqCst)
            {
                let body = format!(
                    "<Error><Code>PermanentRedirect</Code><Message>elsewhere</Message><Region>{region}</Region></Error>"
                );
                return (StatusCode::MOVED_PERMANENTLY, body).into_response();
            }
            let ok = [
                ("etag", "\"9dd4e461268c8034f5c8564e155c67a6\""),
                ("last-modified", "Mon, 01 Dec 2025 10:00:00 GMT"),
            ];
            match method {
                Method::DELETE => StatusCode::NO_CONTENT.into_response(),
                Method::HEAD => (ok, [("content-length", "1")]).into_response(),
                _ if listing => (
                    ok,
                    "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>k</Key><Size>1</Size></Contents></ListBucketResult>",
                )
                    .into_response(),
                _ if headers.contains_key("range") => (
                    StatusCode::PARTIAL_CONTENT,
                    ok,
                    [("content-range", "bytes 0-0/1")],
                    "x",
                )
                    .into_response(),
                _ => (ok, "x").into_response(),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (endpoint, seen)
}

fn recording_client(endpoint: &str, keys: Option<Keys>, delete: bool) -> Client {
    let dialect = S3::new(Settings {
        bucket: BUCKET.into(),
        root: String::new(),
        signer: keys.map_or_else(|| Signer::unsigned("no credentials"), Signer::given),
        region: "us-east-1".into(),
        endpoint: Some(endpoint.parse().unwrap()),
        path_style: None,
        levels: true,
    });
    let mut conn = Connection::new(Arc::new(dialect), endpoint.parse().unwrap(), None);
    conn.allow_delete = delete;
    conn.retry.attempts = 1;
    Client::new(conn).unwrap()
}

fn object(key: &str) -> filescope::api::FileRecord {
    let mut record = filescope::test_support::bare_record(key);
    record.size = Some(1);
    record
}

/// Keys with `.`, `..` and empty segments reach the store byte for byte in every request
/// filescope makes of an object (HEAD, ranged GET, GET for a download, DELETE, a presigned
/// link): a URL would resolve `junk/../important.db` to `important.db`, so such a key's `/`
/// are encoded and the store decodes the key back; a key that is itself `.` or `..` is refused
/// before any request.
#[tokio::test(flavor = "multi_thread")]
async fn keys_with_dot_segments_reach_the_store_byte_for_byte_or_are_refused() {
    let (endpoint, seen) = recording_store(None).await;
    let client = recording_client(&endpoint, Some(keys()), true);
    let dir = scratch("dot-keys");
    // The key → the path the store must see (its decoding is the key again).
    let cases = [
        ("a/./b", "/bucket/a%2F.%2Fb"),
        ("a/../b", "/bucket/a%2F..%2Fb"),
        ("junk/../important.db", "/bucket/junk%2F..%2Fimportant.db"),
        (
            "x/../../otherbucket/secret.txt",
            "/bucket/x%2F..%2F..%2Fotherbucket%2Fsecret.txt",
        ),
        ("../../../etc/file", "/bucket/..%2F..%2F..%2Fetc%2Ffile"),
        ("a//b", "/bucket/a//b"),
        ("/lead", "/bucket//lead"),
        ("trail/x", "/bucket/trail/x"),
    ];
    for (key, path) in cases {
        let decoded = percent_encoding::percent_decode_str(&path["/bucket/".len()..])
            .decode_utf8()
            .unwrap();
        assert_eq!(decoded, key, "the store decodes {path} to the key");
        seen.lock().unwrap().clear();
        let record = object(key);
        client.detail(key).await.unwrap();
        client.head_bytes(&record, 1).await.unwrap();
        let cancel = tokio_util::sync::CancellationToken::new();
        let saved = filescope::api::content::download(
            &client,
            &record,
            &dir.join(format!("out-{}", path.len())),
            filescope::api::content::Conflict::Rename,
            &cancel,
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(std::fs::read(&saved.path).unwrap(), b"x");
        client.delete_file(key).await.unwrap();
        let requests = seen.lock().unwrap().clone();
        assert!(requests.len() >= 4, "{requests:?}");
        for request in &requests {
            let target = request.split_once(' ').unwrap().1;
            assert_eq!(
                target.split('?').next().unwrap(),
                path,
                "{key:?}: {request}"
            );
        }
        assert!(
            requests.iter().any(|r| r.starts_with("DELETE ")),
            "{requests:?}"
        );
        let link = client
            .reach()
            .share_link(&record, Duration::from_secs(900))
            .unwrap()
            .unwrap();
        assert_eq!(link.path(), path, "the presigned link of {key:?}");
    }
    // `.` and `..` are no object a URL can name: refused, nothing sent.
    seen.lock().unwrap().clear();
    for key in [".", ".."] {
        let record = object(key);
        let errors = [
            client.detail(key).await.unwrap_err().to_string(),
            client.head_bytes(&record, 1).await.unwrap_err().to_string(),
            client.delete_file(key).await.unwrap_err().to_string(),
            client
                .reach()
                .share_link(&record, Duration::from_secs(900))
                .unwrap()
                .unwrap_err(),
        ];
        for error in errors {
            assert!(
                error.contains("cannot be addressed over HTTP"),
                "{key:?}: {error}"
            );
        }
    }
    assert_eq!(
        *seen.lock().unwrap(),
        Vec::<String>::new(),
        "no request for . or .."
    );
}

/// A store that names a region which is a shell command is refused with one clear error, its
/// region never adopted, so `y c`'s command stays what was asked for; run through `sh` with
/// `curl` standing for a function that prints its arguments, the command creates no file and
/// gives curl exactly the words filescope meant. A real region change is told to the listener
/// (the explorer's status line) and lands in the command quoted.
#[tokio::test(flavor = "multi_thread")]
async fn a_region_named_by_the_store_cannot_inject_a_command_into_y_c() {
    let page = filescope::api::PageRequest {
        number: 1,
        size: 100,
    };
    let run = |command: String, dir: PathBuf| {
        std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(format!("curl() {{ printf '%s\\n' \"$@\"; }}; {command}"))
            .current_dir(dir)
            .env("AWS_ACCESS_KEY_ID", "id")
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .output()
            .unwrap()
    };
    let (endpoint, seen) = recording_store(Some("us-east-1';touch pwned;echo '")).await;
    let client = recording_client(&endpoint, Some(keys()), false);
    let query = filescope::api::ListQuery::new(client.dialect().capabilities().default_sort);
    let error = client.list_page(&query, page).await.unwrap_err();
    assert!(
        error.to_string().contains("is not a region name"),
        "{error}"
    );
    assert_eq!(seen.lock().unwrap().len(), 1, "not asked again elsewhere");
    let dir = scratch("region-inject");
    let command = client.curl_command(&query, page).unwrap();
    let out = run(command.clone(), dir.clone());
    assert!(out.status.success(), "{command}: {out:?}");
    assert!(
        !dir.join("pwned").exists(),
        "the command ran touch: {command}"
    );
    let words = String::from_utf8(out.stdout).unwrap();
    assert!(
        words.contains("\n--aws-sigv4\naws:amz:us-east-1:s3\n--user\nid:secret\n"),
        "{words}"
    );

    // An honest move to another region: adopted, told, and in the command.
    let (endpoint, _) = recording_store(Some("eu-west-3")).await;
    let told = Arc::new(std::sync::Mutex::new(Vec::new()));
    let heard = Arc::clone(&told);
    let client = recording_client(&endpoint, Some(keys()), false)
        .with_notifier(move |n| heard.lock().unwrap().push(n.describe()));
    client.list_page(&query, page).await.unwrap();
    assert_eq!(
        *told.lock().unwrap(),
        [
            "the bucket answers from region eu-west-3, not us-east-1 as asked: requests are signed for eu-west-3 now"
        ]
    );
    let out = run(client.curl_command(&query, page).unwrap(), dir);
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("\naws:amz:eu-west-3:s3\n")
    );
}

/// The store's buckets (s3s-fs: the directories under its root), made beside the test's.
fn more_buckets(server: &S3Fs, names: &[&str]) {
    for name in names {
        std::fs::create_dir_all(server._dir.join("root").join(name).join("in")).unwrap();
        std::fs::write(
            server._dir.join("root").join(name).join("in").join("x.txt"),
            name.as_bytes(),
        )
        .unwrap();
    }
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

fn loaded_names(app: &filescope::app::App) -> Vec<String> {
    (0..app.row_count())
        .filter_map(|i| match app.row(i) {
            filescope::listing::Row::Loaded(r) => Some(r.name.clone()),
            _ => None,
        })
        .collect()
}

/// Issue 24, item 3: `ls s3://` prints the buckets, exactly, as folder rows with their
/// creation date (and a region column, empty where the store names none), in every format;
/// `ls s3://BUCKET/PREFIX/` (a location, as `aws s3 ls` takes it) and `--url s3://…` need no
/// `--dialect`.
#[tokio::test(flavor = "multi_thread")]
async fn ls_s3_lists_exactly_the_buckets_and_a_location_needs_no_dialect() {
    let objects = dataset(20);
    let server = s3fs("ls-buckets", &objects).await;
    more_buckets(&server, &["alpha", "zeta-2"]);
    let dir = scratch("ls-buckets-run");
    let out = binary(
        &dir,
        SECRET,
        &["ls", "s3://", "--endpoint", &server.endpoint],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // s3s-fs lists its directories in the order the file system gives them.
    assert_eq!(sorted(ids(&out.stdout)), ["alpha/", "bucket/", "zeta-2/"]);
    let first: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(
        first["url"],
        format!("s3://{}", first["id"].as_str().unwrap())
    );
    assert_eq!(first["content_type"], "inode/directory");
    assert!(first["created_at"].is_string(), "{first}");
    assert!(first.get("region").is_some(), "{first}");

    // A column of its own in CSV and the table; a line per bucket after the header.
    for (format, header) in [
        (
            "csv",
            "id,name,size,content_type,created_at,updated_at,url,region",
        ),
        ("table", "REGION"),
    ] {
        let args = [
            "ls",
            "s3://",
            "--endpoint",
            &server.endpoint,
            "--format",
            format,
        ];
        let out = binary(&dir, SECRET, &args).await;
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(text.lines().next().unwrap().ends_with(header), "{text}");
        assert_eq!(text.lines().count(), 4, "{text}");
    }

    // A location names a bucket and a prefix; --url s3://… alone is the same.
    let expected: Vec<String> = objects
        .iter()
        .filter(|(k, _)| k.starts_with("reports/"))
        .map(|(k, _)| k.clone())
        .collect();
    for args in [
        vec!["ls", "s3://bucket/reports/", "--endpoint", &server.endpoint],
        vec![
            "ls",
            "--url",
            "s3://bucket/reports/",
            "--endpoint",
            &server.endpoint,
        ],
    ] {
        let out = binary(&dir, SECRET, &args).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert_eq!(ids(&out.stdout), expected, "{args:?}");
    }
    // Entered from the list, a bucket's keys are named with their bucket.
    let inner = binary(
        &dir,
        SECRET,
        &["ls", "s3://alpha/", "--endpoint", &server.endpoint],
    )
    .await;
    assert_eq!(ids(&inner.stdout), ["in/x.txt"]);
}

/// Issue 24, item 3: in the explorer `s3://` shows the buckets as folder rows; Enter lists
/// the bucket (its folders as rows), Backspace returns to the buckets with the one left
/// selected.
#[tokio::test(flavor = "multi_thread")]
async fn the_explorer_shows_buckets_as_folders_enter_goes_in_and_backspace_returns() {
    let objects = dataset(30);
    let server = s3fs("explore-buckets", &objects).await;
    more_buckets(&server, &["alpha", "zeta"]);
    let client = common::s3_service(&server.endpoint, ACCESS, SECRET, "us-east-1");
    let mut app = filescope::test_support::app_on(&client);
    let effects = app.start(120, 40, Instant::now());
    common::settle(&mut app, &client, effects).await;
    let buckets = loaded_names(&app);
    assert_eq!(sorted(buckets.clone()), ["alpha/", "bucket/", "zeta/"]);
    assert!(
        app.selected()
            .is_some_and(|r| client.dialect().is_folder(r))
    );

    let at = buckets.iter().position(|b| b == "bucket/").unwrap();
    for _ in 0..at {
        app.update(filescope::test_support::key('j'), Instant::now());
    }
    assert_eq!(app.selected().unwrap().id, "bucket/");
    let effects = app.update(
        filescope::test_support::code(crossterm::event::KeyCode::Enter),
        Instant::now(),
    );
    common::settle(&mut app, &client, effects).await;
    let top = top_level(&objects);
    assert_eq!(loaded_names(&app), top);
    let header = common::render(&app, 120, 40)[0].clone();
    assert!(header.contains("bucket/"), "{header}");

    // A file in the bucket: its detail is the bucket's HEAD.
    let file = (0..app.row_count())
        .position(|i| match app.row(i) {
            filescope::listing::Row::Loaded(r) => !r.name.ends_with('/'),
            _ => false,
        })
        .unwrap();
    for _ in 0..file {
        app.update(filescope::test_support::key('j'), Instant::now());
    }
    let id = app.selected().unwrap().id.clone();
    assert!(id.starts_with("bucket/top-"), "{id}");

    let effects = app.update(
        filescope::test_support::code(crossterm::event::KeyCode::Backspace),
        Instant::now(),
    );
    common::settle(&mut app, &client, effects).await;
    assert_eq!(loaded_names(&app), buckets);
    assert_eq!(
        app.selected().unwrap().id,
        "bucket/",
        "back on the bucket left"
    );

    // Another bucket: its own listing.
    app.update(filescope::test_support::key('g'), Instant::now());
    let alpha = buckets.iter().position(|b| b == "alpha/").unwrap();
    for _ in 0..alpha {
        app.update(filescope::test_support::key('j'), Instant::now());
    }
    let effects = app.update(
        filescope::test_support::code(crossterm::event::KeyCode::Enter),
        Instant::now(),
    );
    common::settle(&mut app, &client, effects).await;
    assert_eq!(loaded_names(&app), ["in/"]);
}

/// A whole listing read by key range (issue 26) against s3s-fs, an S3 written by others:
/// exactly the walk's entries, in order, each once, recursively and one level at a time
/// (folders that span a cut point listed once), in parts read at once.
#[tokio::test(flavor = "multi_thread")]
async fn a_listing_by_key_range_is_exactly_the_walk_against_s3s_fs() {
    let objects = dataset(3000);
    let server = s3fs("ranged", &objects).await;
    for levels in [false, true] {
        let client = client(&server, "", levels, Some(keys()));
        let query = filescope::api::ListQuery::new(client.dialect().capabilities().default_sort);
        let mut walk = Vec::new();
        filescope::api::scan::each_page(&client, &query, 50, 1, |page, _| {
            walk.extend(page.records.into_iter().map(|r| r.id));
            true
        })
        .await
        .unwrap();
        let mut ids = Vec::new();
        let options = filescope::api::ranged::Options {
            jobs: 8,
            buffer_bytes: 32 * 1024,
        };
        let listed = filescope::api::ranged::each_page(&client, &query, 50, options, |page, _| {
            ids.extend(page.records.into_iter().map(|r| r.id));
            true
        })
        .await
        .unwrap();
        assert_eq!(ids.len(), walk.len(), "levels {levels}");
        assert!(ids == walk, "levels {levels}: not the walk's order");
        assert_eq!(listed.in_order, None, "levels {levels}");
        if levels {
            assert_eq!(ids, top_level(&objects));
        } else {
            let every: Vec<String> = objects.iter().map(|(k, _)| k.clone()).collect();
            assert!(ids == every);
            assert!(listed.parts > 4, "{listed:?}");
        }
    }
}
