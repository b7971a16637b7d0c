//! `filescope ls` as a script sees it: the real binary against a demo server on 127.0.0.1 (or
//! a small axum server that misbehaves on purpose), its stdout, stderr and exit status.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use crate::common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Output, Stdio};

use filescope_demo::DemoServer;

const KEY: &str = "ls-test-key";

async fn demo(files: usize) -> DemoServer {
    common::Demo::new(files).key(KEY).start().await
}

fn ls_command(url: &str, args: &[&str]) -> Command {
    ls_dialect_command("filejar", url, args)
}

/// `filescope ls` on a dialect, with a data directory and a (missing) configuration file of
/// the test's own: whatever the developer's own configuration says never reaches a test.
fn ls_dialect_command(dialect: &str, url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_filescope"));
    // No instance metadata service is asked: tests stay on loopback.
    cmd.env("AWS_EC2_METADATA_DISABLED", "true");
    let dir = std::env::temp_dir().join(format!("filescope-ls-{}", std::process::id()));
    cmd.env("FILESCOPE_DATA_DIR", &dir)
        .env("FILESCOPE_CONFIG", dir.join("no-config.toml"))
        .env("FILESCOPE_API_KEY", KEY)
        // A table fits $COLUMNS off a terminal: only where a test sets it.
        .env_remove("COLUMNS")
        .args(["ls", "--dialect", dialect, "--url", url])
        .args(args);
    cmd
}

async fn ls_dialect(dialect: &str, url: &str, args: &[&str]) -> Output {
    let mut cmd = ls_dialect_command(dialect, url, args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

async fn demo_of(dialect: &str, files: usize) -> DemoServer {
    common::Demo::new(files)
        .key(KEY)
        .dialect(dialect)
        .start()
        .await
}

fn records_of(out: &Output) -> Vec<serde_json::Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Runs `ls` off the async runtime (the demo server lives on it).
async fn ls(url: &str, args: &[&str]) -> Output {
    let mut cmd = ls_command(url, args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn names_of(ndjson: &str) -> Vec<String> {
    ndjson
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["name"].as_str().unwrap().to_string()
        })
        .collect()
}

/// The dataset's names in the server's default order (created, newest first).
fn newest_first(server: &DemoServer) -> Vec<String> {
    let mut files: Vec<_> = (0..server.dataset.len())
        .map(|i| server.dataset.file(i))
        .collect();
    files.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.index.cmp(&a.index)));
    files.into_iter().map(|f| f.file_name).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn ndjson_records_are_the_normalized_record() {
    let server = demo(50).await;
    let out = ls(&server.base_url, &["--limit", "5"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 5, "not a terminal: ndjson");
    let line = text.lines().next().unwrap();
    let first: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(first.as_object().unwrap().len(), 7, "{line}");
    let positions: Vec<usize> = [
        "id",
        "name",
        "size",
        "content_type",
        "created_at",
        "updated_at",
        "url",
    ]
    .iter()
    .map(|k| {
        line.find(&format!("\"{k}\":"))
            .unwrap_or_else(|| panic!("{k} in {line}"))
    })
    .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "field order: {line}"
    );
    let f = server.dataset.file(49);
    assert_eq!(
        first["name"],
        f.file_name.as_str(),
        "newest first, exactly as sent"
    );
    assert_eq!(first["size"], f.size);
    assert!(first["created_at"].as_str().unwrap().ends_with('Z'));

    let out = ls(&server.base_url, &["--limit", "1", "--raw"]).await;
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(
        v["raw"]["key"],
        f.key.as_str(),
        "raw is the server's object"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn json_csv_and_table_formats() {
    let server = demo(30).await;
    let out = ls(&server.base_url, &["--limit", "3", "--format", "json"]).await;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);

    let out = ls(&server.base_url, &["--limit", "3", "--format", "csv"]).await;
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "id,name,size,content_type,created_at,updated_at,url"
    );
    assert_eq!(lines.len(), 4);

    let out = ls(
        &server.base_url,
        &["--all", "--format", "table", "--sort", "name"],
    )
    .await;
    let text = stdout(&out);
    assert!(text.starts_with("NAME "), "{text}");
    assert_eq!(text.lines().count(), 31);
    assert!(
        !text.contains('\u{1b}'),
        "a table is for terminals: no raw escapes"
    );
    // Hostile names come out as visible escapes in a table, exactly as sent in JSON.
    let hostile = server.dataset.file(1).file_name;
    let shown = filescope::text::sanitize(&hostile);
    assert_ne!(shown, hostile.as_str(), "{hostile:?} is hostile");
    assert!(text.contains(&*shown), "{text}");
    let out = ls(&server.base_url, &["--all"]).await;
    assert!(names_of(&stdout(&out)).contains(&hostile));
}

#[tokio::test(flavor = "multi_thread")]
async fn all_is_complete_and_in_order_with_any_number_of_jobs() {
    let server = demo(2_500).await;
    let expected = newest_first(&server);
    for jobs in ["1", "8"] {
        let out = ls(&server.base_url, &["--all", "--jobs", jobs]).await;
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(names_of(&stdout(&out)), expected, "--jobs {jobs}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_side_sort_keeps_the_servers_order() {
    let server = demo(400).await;
    let out = ls(
        &server.base_url,
        &["--all", "--sort", "size", "--order", "asc"],
    )
    .await;
    let sizes: Vec<u64> = stdout(&out)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["size"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(sizes.len(), 400);
    assert!(sizes.windows(2).all(|w| w[0] <= w[1]));
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_codes_say_what_went_wrong() {
    let server = demo(10).await;
    // 2: usage, with a one-line message naming the allowed terms.
    let out = ls(&server.base_url, &["--filter", "colour:red"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1);
    assert!(stderr(&out).contains("this API takes: type:image size>1MB"));
    // 3: the key was refused; the key itself is never printed.
    let mut cmd = ls_command(&server.base_url, &[]);
    cmd.env("FILESCOPE_API_KEY", "wrong-key-canary");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("FILESCOPE_API_KEY"));
    assert!(!stderr(&out).contains("canary"));
    // 4: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = ls(&format!("http://127.0.0.1:{port}"), &[]).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).starts_with("filescope: cannot reach http://127.0.0.1:"));
    // 0: an empty result is a result.
    let out = ls(&server.base_url, &["--search", "zzz-no-such-file"]).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_that_is_not_a_page_is_exit_5() {
    let app = axum::Router::new().route(
        "/v1/files/organization-files",
        axum::routing::get(|| async { "<html>maintenance</html>" }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let out = ls(&url, &[]).await;
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("could not be understood"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_pipe_ends_quietly_with_success() {
    let server = demo(100_000).await;
    let mut cmd = ls_command(&server.base_url, &["--all"]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let (status, first, err) = tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().unwrap();
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        reader.read_line(&mut first).unwrap();
        drop(reader); // `| head -1`
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        (child.wait().unwrap(), first, err)
    })
    .await
    .unwrap();
    assert!(first.starts_with("{\"id\":"), "{first}");
    assert_eq!(status.code(), Some(0));
    assert_eq!(err, "", "nothing said about the closed pipe");
}

/// `ls -p NAME` with a configuration file written for the test.
async fn ls_profile(config: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = std::env::temp_dir().join(format!(
        "filescope-ls-profile-{}-{}",
        std::process::id(),
        config.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.toml");
    std::fs::write(&path, config).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_filescope"));
    // No instance metadata service is asked: tests stay on loopback.
    cmd.env("AWS_EC2_METADATA_DISABLED", "true");
    cmd.env("FILESCOPE_DATA_DIR", &dir)
        .env("FILESCOPE_CONFIG", &path)
        .env_remove("FILESCOPE_API_KEY")
        .arg("ls")
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn profiles_supply_the_connection_and_the_key() {
    let server = demo(20).await;
    let from_env = format!(
        "[profiles.demo]\ndialect = \"filejar\"\nurl = \"{}\"\napi_key_env = \"LS_TEST_KEY\"\n",
        server.base_url
    );
    let out = ls_profile(
        &from_env,
        &["-p", "demo", "--limit", "2"],
        &[("LS_TEST_KEY", KEY)],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 2);

    let out = ls_profile(&from_env, &["-p", "demo"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("the environment variable LS_TEST_KEY (api_key_env) is not set"),
        "{}",
        stderr(&out)
    );

    let from_cmd = format!(
        "default_profile = \"demo\"\n[profiles.demo]\ndialect = \"filejar\"\nurl = \"{}\"\napi_key_cmd = \"printf {KEY}\"\n",
        server.base_url
    );
    let out = ls_profile(&from_cmd, &["--limit", "3"], &[]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "the default profile: {}",
        stderr(&out)
    );
    assert_eq!(stdout(&out).lines().count(), 3);

    let out = ls_profile(&from_cmd, &["-p", "prod"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no profile named \"prod\"; defined: demo"));

    let wrong = from_cmd.replace(&format!("printf {KEY}"), "printf nope");
    let out = ls_profile(&wrong, &[], &[]).await;
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("from api_key_cmd of profile demo was rejected"),
        "the hint names where the key came from: {}",
        stderr(&out)
    );
}

/// Faults injected into one request in eight (503s, 429s, bodies cut short, stalls): retries
/// make `ls --all` print exactly what a clean server gives.
#[tokio::test(flavor = "multi_thread")]
async fn all_survives_a_faulty_server_with_exactly_the_same_output() {
    let clean = demo(5_000).await;
    let faulty = common::Demo::new(5_000).key(KEY).chaos(0.125).start().await;
    let good = ls(&clean.base_url, &["--all", "--raw"]).await;
    // Which requests get a fault follows the server's request count, so this is repeatable.
    let mut outputs = Vec::new();
    for _ in 0..3 {
        let out = ls(&faulty.base_url, &["--all", "--raw", "--jobs", "4"]).await;
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        outputs.push(out.stdout);
    }
    let requests = faulty.stats.requests();
    // FileJar's urls are on each server's own origin (its /cdn): compare without it.
    let text =
        |stdout: &[u8], origin: &str| String::from_utf8_lossy(stdout).replace(origin, "ORIGIN");
    let good = text(&good.stdout, &clean.base_url);
    for out in outputs {
        assert!(
            text(&out, &faulty.base_url) == good,
            "the same records in the same order"
        );
    }
    assert!(
        requests > 15,
        "retries happened: {requests} requests for 5 pages × 3 runs"
    );
}

/// `[network] attempts` reaches the client: a server that is always unavailable is asked exactly
/// that many times before `ls` gives up with exit 4.
#[tokio::test(flavor = "multi_thread")]
async fn network_attempts_from_the_configuration_bound_the_retries() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let asked = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let app = axum::Router::new().route(
        "/v1/files/organization-files",
        axum::routing::get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { (axum::http::StatusCode::SERVICE_UNAVAILABLE, "down") }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let config = |attempts: u32| {
        format!(
            "[profiles.flaky]\ndialect = \"filejar\"\nurl = \"{url}\"\napi_key_env = \"LS_TEST_KEY\"\n[network]\nattempts = {attempts}\n"
        )
    };
    for attempts in [1, 3] {
        asked.store(0, Ordering::SeqCst);
        let out = ls_profile(&config(attempts), &["-p", "flaky"], &[("LS_TEST_KEY", KEY)]).await;
        assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
        assert_eq!(asked.load(Ordering::SeqCst), attempts as usize);
    }
}

/// Characters that must never reach a terminal raw, as `text::is_unsafe` defines them.
fn unsafe_chars(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| *c != '\n' && filescope::text::is_unsafe(*c))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn json_output_escapes_every_control_and_still_holds_the_exact_names() {
    let server = demo(300).await;
    let expected = newest_first(&server);
    assert!(
        expected
            .iter()
            .any(|n| n.contains('\u{9b}') || n.contains('\u{202e}')),
        "the dataset has names with C1 and bidi controls"
    );
    for format in ["ndjson", "json"] {
        let out = ls(&server.base_url, &["--all", "--raw", "--format", format]).await;
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = stdout(&out);
        assert_eq!(unsafe_chars(&text), Vec::<char>::new(), "{format}");
        let records: Vec<serde_json::Value> = if format == "json" {
            serde_json::from_str(&text).unwrap()
        } else {
            text.lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        };
        let names: Vec<&str> = records
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, expected, "{format}: the exact data, once decoded");
        // The server's own record too: its name is the same string.
        let raw_names: Vec<&str> = records
            .iter()
            .map(|r| r["raw"]["file_name"].as_str().unwrap())
            .collect();
        assert_eq!(raw_names, expected, "{format}: raw");
    }
}

/// A FileJar server whose names would run as spreadsheet formulas or drive a terminal.
async fn formula_server() -> String {
    let names = [
        "=HYPERLINK(\"http://x.test\")",
        "+1+1",
        "-2",
        "@SUM(A1)",
        "\tlead-tab",
        "\rlead-cr",
        "plain,comma",
        "esc\u{1b}[31m.txt",
    ];
    let files: Vec<serde_json::Value> = names
        .iter()
        .enumerate()
        .map(|(i, n)| serde_json::json!({"id": format!("f{i}"), "file_name": n, "size": i}))
        .collect();
    let body =
        serde_json::json!({"files": files, "pagination": {"total": names.len()}}).to_string();
    let app = axum::Router::new().route(
        "/v1/files/organization-files",
        axum::routing::get(move || {
            let body = body.clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_is_exact_for_scripts_and_spreadsheet_safe_with_safe() {
    let url = formula_server().await;
    let names = |csv: &str| -> Vec<String> {
        // The name is the second column; quoted cells may hold commas and CR.
        let mut out = Vec::new();
        let mut rest = csv.split_once('\n').unwrap().1;
        while !rest.is_empty() {
            let (_, after_id) = rest.split_once(',').unwrap();
            let (name, tail) = if let Some(quoted) = after_id.strip_prefix('"') {
                let end = quoted.find("\",").unwrap();
                (quoted[..end].replace("\"\"", "\""), &quoted[end + 2..])
            } else {
                let end = after_id.find(',').unwrap();
                (after_id[..end].to_string(), &after_id[end + 1..])
            };
            out.push(name);
            rest = tail.split_once('\n').map_or("", |(_, r)| r);
        }
        out
    };
    let exact = ls(&url, &["--format", "csv"]).await;
    assert_eq!(exact.status.code(), Some(0), "{}", stderr(&exact));
    assert_eq!(
        names(&stdout(&exact)),
        [
            "=HYPERLINK(\"http://x.test\")",
            "+1+1",
            "-2",
            "@SUM(A1)",
            "\tlead-tab",
            "\rlead-cr",
            "plain,comma",
            "esc\u{1b}[31m.txt"
        ],
        "into a pipe, CSV is the data"
    );
    let safe = ls(&url, &["--format", "csv", "--safe"]).await;
    assert_eq!(safe.status.code(), Some(0), "{}", stderr(&safe));
    let text = stdout(&safe);
    assert_eq!(unsafe_chars(&text), Vec::<char>::new());
    assert_eq!(
        names(&text),
        [
            "'=HYPERLINK(\"http://x.test\")",
            "'+1+1",
            "'-2",
            "'@SUM(A1)",
            "'\\tlead-tab",
            "'\\rlead-cr",
            "plain,comma",
            "esc\\x1b[31m.txt"
        ],
        "formulas neutralised, controls visible"
    );
}

/// `ls --all` in every dialect prints every file of the dataset once, each with its name and
/// size as the dataset has them (Flextell's bin is opened with `trashed:true`).
#[tokio::test(flavor = "multi_thread")]
async fn every_dialect_lists_the_whole_dataset() {
    for dialect in filescope::api::dialect::ids() {
        let server = demo_of(dialect, 250).await;
        let out = ls_dialect(dialect, &server.base_url, &["--all"]).await;
        assert_eq!(out.status.code(), Some(0), "{dialect}: {}", stderr(&out));
        let mut records = records_of(&out);
        if dialect == "flextell" {
            let bin = ls_dialect(
                dialect,
                &server.base_url,
                &["--all", "--filter", "trashed:true"],
            )
            .await;
            assert_eq!(bin.status.code(), Some(0), "{}", stderr(&bin));
            records.extend(records_of(&bin));
        }
        let mut listed: Vec<(String, u64)> = records
            .iter()
            .map(|r| {
                (
                    r["name"].as_str().unwrap().to_string(),
                    r["size"].as_u64().unwrap(),
                )
            })
            .collect();
        listed.sort();
        let mut expected: Vec<(String, u64)> = (0..250)
            .map(|i| {
                let f = server.dataset.file(i);
                (f.file_name, f.size)
            })
            .collect();
        expected.sort();
        assert_eq!(listed, expected, "{dialect}");
        for r in &records {
            assert_eq!(r.as_object().unwrap().len(), 7, "{dialect}: {r}");
            assert!(
                r["id"].as_str().is_some_and(|id| !id.is_empty()),
                "{dialect}"
            );
        }
    }
}

/// A sort the API cannot do itself needs every record: without `--all`, exit 2 and why.
#[tokio::test(flavor = "multi_thread")]
async fn a_local_sort_without_all_is_a_usage_error() {
    let server = demo_of("fileguard", 50).await;
    let out = ls_dialect("fileguard", &server.base_url, &["--sort", "size"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("--all"), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    // With --all it is sorted, over everything.
    let out = ls_dialect("fileguard", &server.base_url, &["--sort", "size", "--all"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let sizes: Vec<u64> = records_of(&out)
        .iter()
        .map(|r| r["size"].as_u64().unwrap())
        .collect();
    let mut expected: Vec<u64> = (0..50).map(|i| server.dataset.file(i).size).collect();
    expected.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(sizes, expected);
}

/// A search the API cannot do (FileGuard) is matched locally against names and ids, and works
/// with `--limit`: pages are read until enough records match, in the server's order.
#[tokio::test(flavor = "multi_thread")]
async fn a_local_filter_with_limit_reads_until_enough_match() {
    let server = demo_of("fileguard", 600).await;
    let all = ls_dialect("fileguard", &server.base_url, &["--all"]).await;
    let matching: Vec<String> = records_of(&all)
        .iter()
        .filter(|r| {
            [&r["name"], &r["id"]]
                .iter()
                .any(|v| v.as_str().unwrap().to_lowercase().contains("report"))
        })
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert!(matching.len() > 8, "{} matches", matching.len());
    // The 8th match lies beyond the first page of 100, so more than one page is read.
    let out = ls_dialect(
        "fileguard",
        &server.base_url,
        &["--search", "report", "--limit", "8"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ids: Vec<String> = records_of(&out)
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, matching[..8]);
}

/// `--header` reaches the server with every request (Flextell scopes to the tenant it names,
/// and refuses one that is not a number), and `--path-prefix` moves every path (an older Open
/// WebUI under `/api` answers with its legacy list).
#[tokio::test(flavor = "multi_thread")]
async fn header_and_path_prefix_reach_the_server() {
    let server = demo_of("flextell", 400).await;
    let all = ls_dialect("flextell", &server.base_url, &["--all"]).await;
    let tenant = ls_dialect(
        "flextell",
        &server.base_url,
        &["--all", "--header", "X-Tenant: 3"],
    )
    .await;
    assert_eq!(tenant.status.code(), Some(0), "{}", stderr(&tenant));
    let ids = |out: &Output| -> std::collections::BTreeSet<String> {
        records_of(out)
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (all, tenant) = (ids(&all), ids(&tenant));
    assert!(
        !tenant.is_empty() && tenant.len() < all.len() && tenant.is_subset(&all),
        "{} of {}",
        tenant.len(),
        all.len()
    );
    let refused = ls_dialect(
        "flextell",
        &server.base_url,
        &["--header", "X-Tenant: nope"],
    )
    .await;
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("HTTP 400"),
        "{}",
        stderr(&refused)
    );

    let server = demo_of("openwebui", 120).await;
    let out = ls_dialect(
        "openwebui",
        &server.base_url,
        &["--all", "--path-prefix", "/api"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let names = names_of(&stdout(&out));
    let in_index_order: Vec<String> = (0..120).map(|i| server.dataset.file(i).file_name).collect();
    assert_eq!(
        names, in_index_order,
        "the legacy list: every file, as stored"
    );
    assert_eq!(server.stats.list_requests(), 1, "one answer holds them all");
}

/// `[network] request_timeout_secs` and `max_body_mb` in action: a server that never answers
/// is given up on after the configured second (not the default 30 s), and an answer larger
/// than the configured cap is refused, naming the limit.
#[tokio::test(flavor = "multi_thread")]
async fn the_request_timeout_and_the_body_cap_from_the_configuration_hold() {
    // Takes connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    // Answers with a page of 2 MiB.
    let padding = "x".repeat(2 << 20);
    let big = axum::Router::new().route(
        "/v1/files/organization-files",
        axum::routing::get(move || {
            let body = serde_json::json!({"files": [], "pagination": {"total": 0}, "pad": padding})
                .to_string();
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let big_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, big).await });

    let config = |url: &str| {
        format!(
            "[profiles.p]\ndialect = \"filejar\"\nurl = \"{url}\"\napi_key_env = \"LS_TEST_KEY\"\n[network]\nrequest_timeout_secs = 1\nattempts = 1\nmax_body_mb = 1\n"
        )
    };
    // The message names the configured second (the default is 30): no clock needed.
    let out = ls_profile(&config(&silent_url), &["-p", "p"], &[("LS_TEST_KEY", KEY)]).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("did not answer within 1 s"),
        "{}",
        stderr(&out)
    );

    let out = ls_profile(&config(&big_url), &["-p", "p"], &[("LS_TEST_KEY", KEY)]).await;
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("larger than the 1 MiB limit"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
}

/// Issue 16: `--format table` fits the width it is given (a terminal's, or $COLUMNS), cutting
/// the type column first with `…`, and `--columns` chooses the columns, the id among them.
#[tokio::test]
async fn a_table_fits_the_width_and_shows_the_columns_asked_for() {
    let server = demo(60).await;
    let url = server.base_url.clone();
    let out = tokio::task::spawn_blocking(move || {
        ls_command(
            &url,
            &[
                "--format",
                "table",
                "--columns",
                "id,name,size,type",
                "--limit",
                "60",
            ],
        )
        .env("COLUMNS", "80")
        .output()
        .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("ID"), "{}", lines[0]);
    assert!(lines[0].contains("NAME") && lines[0].contains("SIZE") && lines[0].contains("TYPE"));
    for line in &lines {
        assert!(
            unicode_width::UnicodeWidthStr::width(*line) <= 80,
            "{} columns: {line}",
            unicode_width::UnicodeWidthStr::width(*line)
        );
    }
    // Ids are whole (36 characters); long types are cut, visibly.
    let dataset = &server.dataset;
    let newest = dataset.file(59);
    assert!(lines[1].starts_with(&newest.id), "{}", lines[1]);
    assert!(
        lines.iter().any(|l| l.ends_with('…')),
        "a long type is cut with …:\n{text}"
    );
    // Without a width, nothing is cut.
    let url = server.base_url.clone();
    let out = tokio::task::spawn_blocking(move || {
        ls_command(
            &url,
            &["--format", "table", "--columns", "id,type", "--limit", "60"],
        )
        .output()
        .unwrap()
    })
    .await
    .unwrap();
    assert!(!stdout(&out).contains('…'), "{}", stdout(&out));
    // --columns is for the table.
    let url = server.base_url.clone();
    let out = tokio::task::spawn_blocking(move || {
        ls_command(&url, &["--format", "csv", "--columns", "id"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// Bug 26 (issue 27): a table whose listing fails prints nothing on stdout, not a header
/// above the error.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_table_prints_no_header() {
    let server = demo(10).await;
    let mut cmd = ls_command(&server.base_url, &["--format", "table"]);
    cmd.env("FILESCOPE_API_KEY", "wrong-key");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(stdout(&out), "", "stderr: {}", stderr(&out));
}
