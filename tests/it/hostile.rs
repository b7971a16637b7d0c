//! filescope against servers that lie, loop and attack: the demo server's hostile modes on
//! 127.0.0.1. Every listing must end, every answer must cost what its records cost, and a
//! server's contradictions must be reported as such.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use crate::common;

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use filescope::api::dialect::{PageRequest, by_id, ids};
use filescope::api::{Client, Connection, Filter, ListQuery, Secret};
use filescope::app::{FileMsg, Msg};
use filescope::ls;
use filescope_demo::DemoServer;
use filescope_demo::hostile::Hostile;

const KEY: &str = "hostile-test-key";
/// Long enough for a loaded CI machine; a listing that never ends fails here.
const CEILING: Duration = Duration::from_secs(60);

async fn hostile(mode: Hostile, dialect: &str, files: usize) -> (DemoServer, Client) {
    let server = common::Demo::new(files)
        .dialect(dialect)
        .key(KEY)
        .hostile(mode)
        .start()
        .await;
    let client = common::client(dialect, &server.base_url, Some(KEY));
    (server, client)
}

fn all(jobs: usize) -> ls::Options {
    ls::Options {
        sort: None,
        filter: Filter::default(),
        limit: None,
        all: true,
        format: ls::Format::Ndjson,
        raw: false,
        jobs,
        terminal: false,
        safe: false,
        columns: Vec::new(),
        width: None,
        versions: None,
    }
}

fn printed_ids(out: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["id"].as_str().unwrap().to_string()
        })
        .collect()
}

#[tokio::test]
async fn ls_all_stops_when_any_dialect_repeats_a_page_and_prints_no_duplicate() {
    for dialect in ids() {
        let (server, client) = hostile(Hostile::Repeat, dialect, 10).await;
        let mut out = Vec::new();
        let err = tokio::time::timeout(CEILING, ls::run(&client, &all(8), &mut out))
            .await
            .expect("ls --all ends")
            .unwrap_err();
        assert_eq!(err.exit_code(), 5, "{dialect}: {err}");
        assert_eq!(
            err.to_string(),
            "page 2 repeats page 1 (the same 100 files); listed 100",
            "{dialect}"
        );
        assert_eq!(server.stats.list_requests(), 2, "{dialect}");
        let printed = printed_ids(&out);
        let unique: std::collections::HashSet<&String> = printed.iter().collect();
        assert_eq!((printed.len(), unique.len()), (100, 100), "{dialect}");
    }
}

#[tokio::test]
async fn ls_all_stops_at_the_first_empty_page_of_a_listing_claiming_a_huge_total() {
    for jobs in [1, 8] {
        let (server, client) = hostile(Hostile::HugeTotal, "filejar", 10).await;
        let mut out = Vec::new();
        let err = tokio::time::timeout(CEILING, ls::run(&client, &all(jobs), &mut out))
            .await
            .expect("ls --all ends")
            .unwrap_err();
        assert_eq!(err.exit_code(), 5, "--jobs {jobs}: {err}");
        assert_eq!(
            err.to_string(),
            "the server said 1,000,000,000,000,000,000 files but page 2 is empty; listed 3",
            "--jobs {jobs}"
        );
        assert_eq!(printed_ids(&out).len(), 3);
        // Page 1, then at most one page per job before the empty one stops the walk.
        let requests = server.stats.list_requests();
        assert!(
            requests <= 1 + jobs as u64,
            "--jobs {jobs}: {requests} requests"
        );
    }
}

#[tokio::test]
async fn stats_stops_on_a_repeating_server() {
    // Each lie reported as itself, as `ls` reports it: any unreadable answer would give
    // exit 5 too.
    for (mode, says) in [
        (
            Hostile::Repeat,
            "page 2 repeats page 1 (the same 100 files)",
        ),
        (
            Hostile::HugeTotal,
            "the server said 1,000,000,000,000,000,000 files but page 2 is empty",
        ),
    ] {
        let (server, client) = hostile(mode, "fileguard", 10).await;
        let plan = filescope::api::plan(client.dialect(), None, &Filter::default());
        let result = tokio::time::timeout(
            CEILING,
            filescope::insight::scan(&client, &plan, 8, |_, _| true),
        )
        .await
        .expect("the scan ends");
        let err = result.unwrap_err();
        assert!(err.to_string().starts_with(says), "{}: {err}", mode.name());
        assert_eq!(
            filescope::ls::LsError::Api(err).exit_code(),
            5,
            "{}",
            mode.name()
        );
        assert!(server.stats.list_requests() <= 9, "{}", mode.name());
    }
}

#[tokio::test]
async fn loading_everything_in_the_explorer_ends_on_a_repeating_server() {
    // Open WebUI cannot sort: a sort is local, and `A` reads every page for it.
    let (server, client) = hostile(Hostile::Repeat, "openwebui", 10).await;
    let mut app = common::app_for("openwebui", 50);
    let now = Instant::now();
    let effects = app.start(120, 40, now);
    tokio::time::timeout(CEILING, async {
        common::settle(&mut app, &client, effects).await;
        let key = |c| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        let effects = app.update(key('s'), Instant::now());
        common::settle(&mut app, &client, effects).await;
        let effects = app.update(key('A'), Instant::now());
        common::settle(&mut app, &client, effects).await;
    })
    .await
    .expect("loading everything ends");
    assert!(
        server.stats.list_requests() <= 3,
        "{} requests",
        server.stats.list_requests()
    );
    let status = format!("{:?}", app.status());
    assert!(status.contains(" repeats page "), "{status}");
    assert_eq!(app.row_count(), 100, "the first page, shown once");
}

#[tokio::test]
async fn one_oversized_answer_costs_what_its_rows_cost_and_the_row_budget_holds() {
    let (_server, client) = hostile(Hostile::HugeAnswer, "filejar", 100_000).await;
    let settings = filescope::config::Settings {
        max_loaded_rows: 10_000,
        ..Default::default()
    };
    let mut app = common::app_with("filejar", 100, settings);
    let effects = app.start(120, 40, Instant::now());
    tokio::time::timeout(CEILING, common::settle(&mut app, &client, effects))
        .await
        .expect("the answer is filed");
    assert_eq!(app.row_count(), 100_000);
    assert!(
        app.listing().pages().loaded_rows() <= 10_000,
        "{} rows kept",
        app.listing().pages().loaded_rows()
    );
    for (page, records) in app.listing().pages().snapshot() {
        // Each page holds exactly its rows, not the rest of the answer's capacity.
        assert!(
            records.len() <= 100 && records.capacity() <= 100,
            "page {page}: {} rows in room for {}",
            records.len(),
            records.capacity()
        );
    }
    let first = app.listing().pages().record(0).unwrap();
    assert_eq!((first.id.as_str(), first.name.as_str()), ("0", ""));
}

#[tokio::test]
async fn an_answer_with_more_records_than_allowed_is_refused_with_the_limit_named() {
    let (_server, client) = hostile(Hostile::EmptyRecords, "filejar", 200_001).await;
    let query = ListQuery::new(by_id("filejar").unwrap().capabilities().default_sort);
    let page = PageRequest {
        number: 1,
        size: 100,
    };
    let err = client.list_page(&query, page).await.unwrap_err();
    assert!(
        err.to_string()
            .ends_with("the answer holds more than 200,000 records, the most one answer may hold ([network] max_records)"),
        "{err}"
    );
    // Up to the limit, every record is kept (and each empty one says what it lacks).
    let (_server, client) = hostile(Hostile::EmptyRecords, "filejar", 200_000).await;
    let answer = client.list_page(&query, page).await.unwrap();
    assert_eq!(answer.records.len(), 200_000);
    assert_eq!(answer.records[7].problems, ["id: missing"]);
}

#[tokio::test]
async fn a_bad_record_never_hides_its_page_nor_its_own_id_and_name() {
    for dialect in ids() {
        let (_server, client) = hostile(Hostile::BadRecords, dialect, 3).await;
        let d = by_id(dialect).unwrap();
        let query = ListQuery::new(d.capabilities().default_sort);
        let page = PageRequest {
            number: 1,
            size: 10,
        };
        let answer = client.list_page(&query, page).await.unwrap();
        let shown: Vec<(&str, &str)> = answer
            .records
            .iter()
            .map(|r| (r.id.as_str(), r.name.as_str()))
            .collect();
        // Flextell's ids are integers, counted from 1.
        let id = |i: usize| match dialect {
            "flextell" => (i + 1).to_string(),
            _ => format!("f-{i}"),
        };
        let (one, two, three) = (id(1), id(2), id(3));
        assert_eq!(
            shown,
            [
                (one.as_str(), "file-1.txt"),
                (two.as_str(), "file-2.txt"),
                (three.as_str(), "file-3.txt")
            ],
            "{dialect}"
        );
        let problems: Vec<String> = answer
            .records
            .iter()
            .map(|r| r.problems.join("; "))
            .collect();
        assert_eq!(
            problems,
            [
                "invalid UTF-8 in the server's answer was replaced with U+FFFD".to_string(),
                "note: a lone UTF-16 surrogate was replaced with U+FFFD".to_string(),
                "note: could not be read (recursion limit exceeded)".to_string(),
            ],
            "{dialect}"
        );
    }
}

// ---- the real binary against hostile servers: what reaches stdout, stderr and the log ----

/// Runs the real binary with its own config and data directory (none of the developer's),
/// a canary key and a trace-level log; returns the output and the log's text.
async fn run_binary(args: Vec<String>, tag: &str) -> (std::process::Output, String, u32) {
    let dir = common::fresh_dir(&format!("hostile-{tag}"));
    let log = dir.join("filescope.log");
    let out = tokio::task::spawn_blocking({
        let (dir, log) = (dir.clone(), log.clone());
        move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_filescope"))
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .env("FILESCOPE_API_KEY", CANARY)
                .env("FILESCOPE_LOG", "trace")
                .env("FILESCOPE_DATA_DIR", &dir)
                .env("FILESCOPE_CONFIG", dir.join("none.toml"))
                // No AWS credentials of the developer's: S3 requests go unsigned.
                .env("AWS_CONFIG_FILE", dir.join("none"))
                .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("none"))
                .env_remove("AWS_PROFILE")
                .env_remove("AWS_ACCESS_KEY_ID")
                .env_remove("AWS_SECRET_ACCESS_KEY")
                .env_remove("AWS_SESSION_TOKEN")
                .args(&args)
                .arg("--log-file")
                .arg(&log)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    // A run that wrote no log fails here: an absent log is not an empty one.
    let text = std::fs::read_to_string(&log)
        .unwrap_or_else(|e| panic!("no log at {}: {e}", log.display()));
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(&log).map_or(0, |m| m.permissions().mode() & 0o777)
    };
    (out, text, mode)
}

const CANARY: &str = "sk-hostile-canary-8d2f";

async fn hostile_with_canary(mode: Hostile, dialect: &str) -> DemoServer {
    common::Demo::new(10)
        .dialect(dialect)
        .key(CANARY)
        .hostile(mode)
        .start()
        .await
}

fn args(command: &[&str], dialect: &str, url: &str) -> Vec<String> {
    command
        .iter()
        .map(|s| s.to_string())
        .chain([
            "--dialect".into(),
            dialect.into(),
            "--url".into(),
            url.into(),
        ])
        .collect()
}

/// Bytes that would drive a terminal: ESC, BEL, a C1 CSI, a right-to-left override.
fn drives_a_terminal(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    text.contains(['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'])
}

/// `INJECTED` as it must be shown: every byte that drives a terminal made a visible escape.
const ESCAPED: &str =
    "bad key\\x1b]52;c;cm0gLXJmIH4=\\x07\\x1b]0;pwned\\x07\\x9b31mred\\u{202e}fdp.exe";

#[tokio::test(flavor = "multi_thread")]
async fn server_messages_reach_stderr_and_the_log_only_as_visible_escapes() {
    for dialect in ids() {
        let server = hostile_with_canary(Hostile::Inject, dialect).await;
        for command in [&["ls"][..], &["stats"][..]] {
            let (out, log, _) = run_binary(
                args(command, dialect, &server.base_url),
                &format!("inject-{dialect}"),
            )
            .await;
            assert_eq!(out.status.code(), Some(3), "{dialect} {command:?}");
            assert!(
                !drives_a_terminal(&out.stderr) && !drives_a_terminal(log.as_bytes()),
                "{dialect} {command:?}: {:?}",
                String::from_utf8_lossy(&out.stderr)
            );
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.contains(ESCAPED),
                "{dialect} {command:?}: the message is on stderr, escaped: {stderr}"
            );
            assert!(
                log.contains(ESCAPED),
                "{dialect} {command:?}: the message is in the log, escaped: {log}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_the_server_echoes_is_never_printed_or_logged_and_the_log_is_private() {
    for dialect in ids() {
        let server = hostile_with_canary(Hostile::EchoKey, dialect).await;
        let (out, log, mode) = run_binary(
            args(&["ls"], dialect, &server.base_url),
            &format!("echo-{dialect}"),
        )
        .await;
        assert_eq!(out.status.code(), Some(3), "{dialect}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("invalid credentials in request"),
            "{dialect}: the server's message is shown: {stderr}"
        );
        for (what, text) in [("stderr", stderr.as_ref()), ("log", log.as_str())] {
            assert!(
                !text.contains(CANARY),
                "{dialect}: the key is in the {what}: {text}"
            );
        }
        assert_eq!(mode, 0o600, "{dialect}: the log is private");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_loop_is_the_servers_fault_reported_once() {
    let server = hostile_with_canary(Hostile::RedirectLoop, "filejar").await;
    let (out, _, _) = run_binary(args(&["ls"], "filejar", &server.base_url), "loop").await;
    assert_eq!(out.status.code(), Some(5));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("redirects in a loop"), "{stderr}");
    // One request and the five redirects followed, not four attempts of them.
    assert!(server.stats.requests() <= 6, "{}", server.stats.requests());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_204_is_an_empty_listing() {
    let server = hostile_with_canary(Hostile::NoContent, "filejar").await;
    let (out, _, _) = run_binary(args(&["ls", "--all"], "filejar", &server.base_url), "204").await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn json_that_ends_early_is_asked_for_again_then_fails_as_a_network_fault() {
    let server = hostile_with_canary(Hostile::CutJson, "filejar").await;
    let (out, _, _) = run_binary(args(&["ls"], "filejar", &server.base_url), "cut").await;
    assert_eq!(out.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the answer ended early") && stderr.contains("4 attempts"),
        "{stderr}"
    );
    assert_eq!(server.stats.list_requests(), 4, "asked four times in all");
}

/// A FileGuard-shaped server whose one file publishes `checksum` and is listed at 10 bytes,
/// while its link serves `served` bytes.
async fn fileguard_lying_about(checksum: &'static str, served: usize) -> String {
    use axum::routing::get;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let record = serde_json::json!({"file_id": "f1", "original_filename": "report.pdf",
        "content_type": "application/pdf", "size_bytes": 10});
    let list = serde_json::json!({"status": "SUCCESS", "data": {"data": [record.clone()],
        "pagination": {"page": 1, "total_items": 1, "has_next": false}}});
    let mut full = record.clone();
    full["checksum"] = serde_json::Value::from(checksum);
    let metadata = serde_json::json!({"status": "SUCCESS", "data": full});
    let link = serde_json::json!({"status": "SUCCESS",
        "data": {"download_url": format!("{origin}/blob/f1")}});
    let app = axum::Router::new()
        .route(
            "/api/v1/files",
            get(move || async move { axum::Json(list) }),
        )
        .route(
            "/api/v1/files/f1/metadata",
            get(move || async move { axum::Json(metadata) }),
        )
        .route(
            "/api/v1/files/f1",
            get(move || async move { axum::Json(link) }),
        )
        .route("/blob/f1", get(move || async move { vec![b'x'; served] }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    origin
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unusable_checksum_and_a_size_unlike_the_listing_are_said_not_hidden() {
    let url = fileguard_lying_about("sha256:ZZZ", 300_000).await;
    let conn = Connection::new(
        by_id("fileguard").unwrap(),
        url.parse().unwrap(),
        Some(Secret::new(KEY)),
    );
    let client = Client::new(conn).unwrap();
    let query = ListQuery::new(by_id("fileguard").unwrap().capabilities().default_sort);
    let page = PageRequest {
        number: 1,
        size: 10,
    };
    let record = client
        .list_page(&query, page)
        .await
        .unwrap()
        .records
        .remove(0);
    let dir = common::fresh_dir("lying");
    let saved = filescope::api::content::download(
        &client,
        &record,
        &dir.join("report.pdf"),
        filescope::api::content::Conflict::Fail,
        &tokio_util::sync::CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(saved.bytes, 300_000);
    assert_eq!(saved.verified, None);
    assert_eq!(
        saved.notes,
        [
            "the published checksum \"sha256:ZZZ\" is not one this can check: not verified",
            "293 KiB saved where the listing said 10 B"
        ]
    );

    // The transfers panel says both, on the file's own line.
    let mut app = common::app_for("fileguard", 20);
    app.update(
        Msg::Resize {
            width: 200,
            height: 30,
        },
        Instant::now(),
    );
    let effects = app.start(200, 30, Instant::now());
    common::settle(&mut app, &client, effects).await;
    app.update(filescope::test_support::key(' '), Instant::now());
    app.update(filescope::test_support::key('d'), Instant::now());
    let effects = app.update(
        filescope::test_support::code(KeyCode::Enter),
        Instant::now(),
    );
    let Some(filescope::app::Effect::Files(filescope::app::FileEffect::PrepareDownload {
        records,
        ..
    })) = effects.into_iter().next()
    else {
        panic!("no download asked for")
    };
    app.update(
        Msg::Files(FileMsg::TargetsChecked {
            dir: dir.clone(),
            records,
            existing: Vec::new(),
        }),
        Instant::now(),
    );
    let id = app.transfers().items[0].id;
    app.update(
        Msg::Files(FileMsg::Transfer {
            id,
            event: filescope::app::actions::TransferEvent::Done(saved),
        }),
        Instant::now(),
    );
    let screen = common::render(&app, 200, 30).join("\n");
    assert!(
        screen.contains(
            "not one this can check: not verified · 293 KiB saved where the listing said 10 B"
        ),
        "{screen}"
    );
}

// ---- declared dialects against servers that loop, lie and leak ----

/// A server for a declared cursor dialect: `{"files": [...], "next": TOKEN, "more": bool}`;
/// `answer(page_token)` decides each answer.
async fn cursor_server(
    answer: impl Fn(Option<String>) -> serde_json::Value + Send + Sync + Clone + 'static,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let calls = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&calls);
    let app = axum::Router::new().route(
        "/files",
        axum::routing::get(
            move |axum::extract::Query(q): axum::extract::Query<
                std::collections::HashMap<String, String>,
            >| {
                let answer = answer.clone();
                counter.fetch_add(1, Ordering::SeqCst);
                async move { axum::Json(answer(q.get("token").cloned())) }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, calls)
}

const CURSOR_DIALECT: &str = "[dialects.loopy]\nlist_path = \"/files\"\nrecords = \"files\"\n[dialects.loopy.paging]\nstyle = \"cursor\"\ncursor = \"next\"\ncursor_param = \"token\"\nhas_more = \"more\"\nsize_param = \"n\"\nmax_size = 10\n[dialects.loopy.fields]\nid = \"id\"\nname = \"name\"\n";

fn files(from: usize, n: usize) -> serde_json::Value {
    serde_json::Value::Array(
        (from..from + n)
            .map(|i| serde_json::json!({"id": format!("f{i}"), "name": format!("n{i}")}))
            .collect(),
    )
}

/// `filescope ls --all` on the declared dialect `name` of `definition`, at `url`.
async fn ls_declared(
    definition: &str,
    name: &str,
    url: &str,
    tag: &str,
) -> (std::process::Output, String) {
    let dir = common::fresh_dir(&format!("declared-{tag}"));
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!("{definition}\n[profiles.it]\ndialect = \"{name}\"\nurl = \"{url}\"\n"),
    )
    .unwrap();
    let log = dir.join("filescope.log");
    let out = tokio::task::spawn_blocking({
        let log = log.clone();
        move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_filescope"))
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .env("FILESCOPE_CONFIG", &config)
                .env("FILESCOPE_DATA_DIR", config.parent().unwrap())
                .env("FILESCOPE_API_KEY", CANARY)
                .env("FILESCOPE_LOG", "trace")
                .args(["ls", "-p", "it", "--all", "--log-file"])
                .arg(&log)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let logged = std::fs::read_to_string(&log)
        .unwrap_or_else(|e| panic!("no log at {}: {e}", log.display()));
    (out, logged)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cursor_that_repeats_stops_the_listing_once_with_exit_5() {
    let (url, calls) = cursor_server(|token| {
        let n = token.as_deref().map_or(0, |t| t.len());
        // Page 1 says "A", every later page says "AA": the third request would loop.
        let next = if n == 0 { "A" } else { "AA" };
        serde_json::json!({"files": files(n * 10, 10), "next": next, "more": true})
    })
    .await;
    let (out, _) = ls_declared(CURSOR_DIALECT, "loopy", &url, "repeat").await;
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "filescope: the server's cursor after page 3 repeats the one for page 3; listed 30\n"
    );
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 3);
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 30);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_page_where_more_were_promised_stops_a_cursor_listing() {
    let (url, calls) = cursor_server(|token| match token {
        None => serde_json::json!({"files": files(0, 10), "next": "B", "more": true}),
        Some(_) => serde_json::json!({"files": [], "next": "C", "more": true}),
    })
    .await;
    let (out, _) = ls_declared(CURSOR_DIALECT, "loopy", &url, "empty").await;
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "filescope: page 2 is empty but the server says more pages follow; listed 10\n"
    );
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_total_that_changes_mid_listing_stops_ls_with_exit_5_after_that_page() {
    let (url, _) = cursor_server(|token| {
        let n = token.as_deref().map_or(0, str::len);
        // 30 files, until page 2 says 31: someone uploaded one while we listed.
        let total = if n == 0 { 30 } else { 31 };
        let next = "A".repeat(n + 1);
        serde_json::json!({"files": files(n * 10, 10), "next": next, "more": true, "total": total})
    })
    .await;
    let definition = CURSOR_DIALECT.replace(
        "records = \"files\"\n",
        "records = \"files\"\ntotal = \"total\"\n",
    );
    let (out, _) = ls_declared(&definition, "loopy", &url, "total").await;
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "filescope: the server's total changed from 30 to 31 at page 2; listed 20\n"
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 20);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_explorer_ends_a_listing_whose_cursor_repeats() {
    let (url, calls) = cursor_server(|token| {
        let next = if token.is_none() { "A" } else { "AA" };
        let from = token.as_deref().map_or(0, |t| t.len() * 10);
        serde_json::json!({"files": files(from, 10), "next": next, "more": true})
    })
    .await;
    let loaded = filescope::config::parse(
        std::path::Path::new("/tmp/loopy.toml"),
        CURSOR_DIALECT.to_string(),
    )
    .unwrap();
    let conn = Connection::new(
        loaded.dialect("loopy").unwrap(),
        url.parse().unwrap(),
        Some(Secret::new(KEY)),
    );
    let client = Client::new(conn).unwrap();
    let mut app = common::app_of(
        loaded.dialect("loopy").unwrap(),
        "loopy",
        10,
        Default::default(),
    );
    // Filling the first screen reads page after page until the cursor comes back.
    let effects = app.start(120, 40, Instant::now());
    tokio::time::timeout(CEILING, common::settle(&mut app, &client, effects))
        .await
        .expect("the listing ends");
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 3);
    assert!(app.is_count_known());
    assert_eq!(app.row_count(), 30);
    assert!(
        format!("{:?}", app.status()).contains("repeats the one for page 3"),
        "{:?}",
        app.status()
    );
    // G goes to the end it found, asking nothing more.
    let effects = app.update(filescope::test_support::key('G'), Instant::now());
    common::settle(&mut app, &client, effects).await;
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 3);
    assert_eq!(app.cursor().selected, 29);
}

/// A server whose next link names `next` (absolute), and records every `x-api-key` it sees.
async fn linking_server(
    next: impl Fn(&str) -> Option<String> + Send + Sync + Clone + 'static,
) -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<Option<String>>>>,
) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = std::sync::Arc::clone(&seen);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let me = origin.clone();
    let app = axum::Router::new().fallback(
        move |headers: axum::http::HeaderMap, uri: axum::http::Uri| {
            let (log, next, me) = (std::sync::Arc::clone(&log), next.clone(), me.clone());
            async move {
                log.lock().unwrap().push(
                    headers
                        .get("x-api-key")
                        .map(|v| v.to_str().unwrap_or("").to_string()),
                );
                let page: usize = uri
                    .query()
                    .and_then(|q| q.strip_prefix("p="))
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(1);
                axum::Json(serde_json::json!({
                    "files": files(page * 10, 10),
                    "next": next(&me).filter(|_| page == 1),
                }))
            }
        },
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (origin, seen)
}

const LINK_DIALECT: &str = "[dialects.linky]\nlist_path = \"/files\"\nrecords = \"files\"\nauth = { header = \"x-api-key\", value = \"{key}\" }\n[dialects.linky.paging]\nstyle = \"next_link\"\nnext = \"next\"\n[dialects.linky.fields]\nid = \"id\"\nname = \"name\"\n";

#[tokio::test(flavor = "multi_thread")]
async fn a_next_link_to_another_origin_is_refused_or_followed_without_the_key() {
    let (other, other_seen) = linking_server(|_| None).await;
    let (url, seen) = {
        let other = other.clone();
        linking_server(move |_| Some(format!("{other}/files?p=2"))).await
    };
    let (out, _) = ls_declared(LINK_DIALECT, "linky", &url, "origin").await;
    assert_eq!(out.status.code(), Some(5));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("next link goes to another origin"),
        "{stderr}"
    );
    assert!(other_seen.lock().unwrap().is_empty(), "never asked");
    assert_eq!(seen.lock().unwrap().len(), 1);

    let allowed = LINK_DIALECT.replace(
        "records = \"files\"\n",
        "records = \"files\"\nfollow_other_origins = true\n",
    );
    let (out, _) = ls_declared(&allowed, "linky", &url, "origin-allowed").await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 20);
    assert_eq!(
        *other_seen.lock().unwrap(),
        [None],
        "followed once, without the key"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_in_the_query_is_added_to_next_links_and_never_printed_or_logged() {
    // The server's next link does not carry the key: the client adds it. Page 2 is refused
    // with a message that echoes the request URL, key included. Every query is kept.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let me = origin.clone();
    let queries = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = std::sync::Arc::clone(&queries);
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let (me, seen) = (me.clone(), std::sync::Arc::clone(&seen));
        async move {
            let query = uri.query().unwrap_or("").to_string();
            seen.lock().unwrap().push(query.clone());
            if !query.contains(&format!("key={CANARY}")) {
                return (
                    axum::http::StatusCode::FORBIDDEN,
                    axum::Json(serde_json::json!({"message": "no key"})),
                );
            }
            if query.contains("p=2") {
                return (
                    axum::http::StatusCode::BAD_REQUEST,
                    axum::Json(serde_json::json!({"message": format!("bad page in {me}{uri}")})),
                );
            }
            (
                axum::http::StatusCode::OK,
                axum::Json(serde_json::json!({
                    "files": files(0, 10),
                    "next": format!("{me}/files?p=2"),
                })),
            )
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    let definition = LINK_DIALECT.replace(
        "auth = { header = \"x-api-key\", value = \"{key}\" }",
        "auth = { query = \"key\" }\nerror_message = \"message\"",
    );
    let (out, log) = ls_declared(&definition, "linky", &origin, "query-key").await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Page 2 was asked for at the server's link, with the key added to it.
    let queries = queries.lock().unwrap().clone();
    assert_eq!(queries.len(), 2, "{queries:?}");
    assert!(
        queries[1].contains("p=2") && queries[1].contains(&format!("key={CANARY}")),
        "page 2 carries the key: {queries:?}"
    );
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad page in") && stderr.contains("p=2"),
        "the server's message about page 2 is shown: {stderr}"
    );
    for (what, text) in [("stderr", stderr.as_ref()), ("log", log.as_str())] {
        assert!(!text.contains(CANARY), "the key is in the {what}: {text}");
    }
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 10);
}

// ---- a server's huge error text ----

/// A server that answers every request with `status` and `body`.
async fn answering(status: u16, content_type: &'static str, body: String) -> String {
    let app = axum::Router::new().fallback(move || {
        let body = body.clone();
        async move {
            (
                axum::http::StatusCode::from_u16(status).unwrap(),
                [(axum::http::header::CONTENT_TYPE, content_type)],
                body,
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// An 8 MB `message`, `detail` or S3 `<Message>`, or an 8 MB string where the records were
/// expected, is cut to 4 KiB (ending with `…`) where the error is built: stderr and every log
/// line stay small, whatever channel the error takes.
#[tokio::test(flavor = "multi_thread")]
async fn a_huge_error_text_is_cut_to_4_kib_on_stderr_and_in_the_log() {
    const HUGE: usize = 8 << 20;
    let filler = "x".repeat(HUGE);
    let cases = [
        (
            "filejar",
            answering(
                400,
                "application/json",
                serde_json::json!({"success": false, "error": "bad", "message": filler})
                    .to_string(),
            )
            .await,
        ),
        (
            "openwebui",
            answering(
                400,
                "application/json",
                serde_json::json!({ "detail": filler }).to_string(),
            )
            .await,
        ),
        (
            "filejar",
            answering(
                200,
                "application/json",
                serde_json::json!({"success": true, "files": filler}).to_string(),
            )
            .await,
        ),
        (
            "s3",
            answering(
                400,
                "application/xml",
                format!(
                    "<?xml version=\"1.0\"?><Error><Code>InvalidArgument</Code><Message>{filler}</Message></Error>"
                ),
            )
            .await,
        ),
    ];
    for (i, (dialect, url)) in cases.into_iter().enumerate() {
        let args = if dialect == "s3" {
            vec![
                "ls".to_string(),
                "--dialect".into(),
                "s3".into(),
                "--url".into(),
                "s3://bkt".into(),
                "--endpoint".into(),
                url.clone(),
            ]
        } else {
            args(&["ls"], dialect, &url)
        };
        let (out, log, _) = run_binary(args, &format!("huge-{i}")).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "{dialect}: {stderr}");
        assert!(
            stderr.contains("xxxx…"),
            "{dialect}: the cut is said: {}",
            &stderr[..stderr.len().min(300)]
        );
        assert!(
            out.stderr.len() < 12 << 10,
            "{dialect}: {} bytes on stderr",
            out.stderr.len()
        );
        let longest = log.lines().map(str::len).max().unwrap_or(0);
        assert!(longest < 12 << 10, "{dialect}: a {longest}-byte log line");
        assert!(log.len() < 64 << 10, "{dialect}: a {}-byte log", log.len());
    }
}

/// A server that echoes the key it was sent lower-cased, upper-cased, in base64 (both
/// alphabets), percent-encoded and split in two: none of it reaches stderr or the log.
#[tokio::test(flavor = "multi_thread")]
async fn a_key_echoed_transformed_is_never_printed_or_logged() {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let app = axum::Router::new().fallback(|headers: axum::http::HeaderMap| async move {
        let key = headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let (a, b) = key.split_at(key.len() / 2);
        let message = format!(
            "lower {} upper {} b64 {} b64url {} basic {} pct {} split {a} / {b}",
            key.to_lowercase(),
            key.to_uppercase(),
            STANDARD.encode(&key),
            URL_SAFE_NO_PAD.encode(&key),
            STANDARD.encode(format!("user:{key}")),
            percent_encoding::utf8_percent_encode(&key, percent_encoding::NON_ALPHANUMERIC),
        );
        (
            axum::http::StatusCode::UNAUTHORIZED,
            axum::Json(
                serde_json::json!({"success": false, "error": "unauthorized", "message": message}),
            ),
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let (out, log, _) = run_binary(args(&["ls"], "filejar", &url), "echo-transformed").await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("lower *** upper ***"), "{stderr}");
    let (a, b) = CANARY.split_at(CANARY.len() / 2);
    let forms = [
        CANARY.to_lowercase(),
        CANARY.to_uppercase(),
        STANDARD.encode(CANARY),
        URL_SAFE_NO_PAD.encode(CANARY),
        STANDARD.encode(format!("user:{CANARY}"))[8..].to_string(),
        percent_encoding::utf8_percent_encode(CANARY, percent_encoding::NON_ALPHANUMERIC)
            .to_string(),
        a.to_string(),
        b.to_string(),
    ];
    for (what, text) in [("stderr", stderr.as_ref()), ("log", log.as_str())] {
        for form in &forms {
            assert!(
                !text.contains(form.as_str()),
                "{form} in the {what}: {text}"
            );
        }
    }
}

/// Issue 22, item 5: a cursor too long to follow (64 KiB: no valid URL holds it) is refused
/// once with exit 5 and a line naming its length and the cap; it was sent, failed as "not a
/// valid Uri" with exit 4, and retried as a network fault.
#[tokio::test(flavor = "multi_thread")]
async fn a_cursor_longer_than_the_cap_is_refused_once_with_exit_5_not_retried() {
    let (url, calls) = cursor_server(|token| {
        let from = token.as_deref().map_or(0, |t| t.len().min(1) * 10);
        serde_json::json!({"files": files(from, 10), "next": "C".repeat(64 << 10), "more": true})
    })
    .await;
    let (out, _) = ls_declared(CURSOR_DIALECT, "loopy", &url, "long-cursor").await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(
            "the server's cursor for the next page is 65,536 bytes, more than the 16,384 a cursor may be; not followed"
        ),
        "{stderr}"
    );
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
}
