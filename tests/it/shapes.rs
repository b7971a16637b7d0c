//! Any paged JSON API, with no code: the six real-world shapes the demo server speaks (GitHub
//! assets, Django REST Framework, Stripe, Google Drive, JSON:API, Box), each read through the
//! definition shipped for it in docs/dialects/ — by `ls --all` through the real binary, and in
//! the explorer, where `G` jumps where the API can and walks where it cannot.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use crate::common;

use std::time::{Duration, Instant};

use filescope::api::{Client, Connection, Secret};
use filescope::app::{App, Msg};
use filescope::config::{EXAMPLE_DIALECTS, example_dialect};
use filescope_demo::DemoServer;

const KEY: &str = "shape-test-key";
const CEILING: Duration = Duration::from_secs(120);

async fn serve(shape: &str, files: usize) -> DemoServer {
    common::Demo::new(files).key(KEY).shape(shape).start().await
}

fn client(server: &DemoServer, shape: &str) -> Client {
    let conn = Connection::new(
        example_dialect(shape).unwrap(),
        server.base_url.parse().unwrap(),
        Some(Secret::new(KEY)),
    );
    Client::new(conn).unwrap()
}

/// The dataset's names in the order every shape serves them: by index.
fn names(server: &DemoServer) -> Vec<String> {
    (0..server.dataset.len())
        .map(|i| server.dataset.file(i).file_name)
        .collect()
}

/// Runs the real binary with the shape's definition in a configuration of its own, and a
/// profile for the server.
async fn binary(shape: &str, url: &str, args: &[&str]) -> std::process::Output {
    let dir = common::fresh_dir(&format!("shape-{shape}"));
    let (_, definition) = EXAMPLE_DIALECTS.iter().find(|(n, _)| *n == shape).unwrap();
    let config = format!("{definition}\n[profiles.it]\ndialect = \"{shape}\"\nurl = \"{url}\"\n");
    std::fs::write(dir.join("config.toml"), config).unwrap();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_filescope"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("FILESCOPE_CONFIG", dir.join("config.toml"))
            .env("FILESCOPE_DATA_DIR", &dir)
            .env("FILESCOPE_API_KEY", KEY)
            .args(&args)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_example_lists_exactly_through_ls_all() {
    for (shape, _) in EXAMPLE_DIALECTS {
        let server = serve(shape, 1_234).await;
        let out = binary(shape, &server.base_url, &["ls", "-p", "it", "--all"]).await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "{shape}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let listed: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["name"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(
            listed,
            names(&server),
            "{shape}: every file, once, in order"
        );
    }
}

/// The value at a dotted path (`attributes.size`) of a record's JSON.
fn at<'a>(raw: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    path.split('.').fold(raw, |value, key| &value[key])
}

/// A time as the definition declares it: RFC 3339 text, or unix seconds (milliseconds when
/// the format says `unix_ms`).
fn declared_time(value: &serde_json::Value, format: Option<&str>) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    match value {
        serde_json::Value::String(text) => chrono::DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&chrono::Utc),
        number => {
            let n = number.as_i64().unwrap();
            match format {
                Some("unix_ms") => chrono::Utc.timestamp_millis_opt(n).unwrap(),
                _ => chrono::Utc.timestamp_opt(n, 0).unwrap(),
            }
        }
    }
}

/// Each field of a page, decoded through the shipped definition, against both the answer's
/// JSON at the path the definition declares (exactly, in the declared format) and the dataset
/// the server was built from; a field the definition does not declare stays empty.
#[tokio::test(flavor = "multi_thread")]
async fn every_example_decodes_every_field_it_declares() {
    for (shape, definition) in EXAMPLE_DIALECTS {
        let table: toml::Table = definition.parse().unwrap();
        let fields = table["dialects"][shape]["fields"]
            .as_table()
            .unwrap()
            .clone();
        // The path and format the definition declares for a field.
        let declared = |field: &str| -> Option<(String, Option<String>)> {
            match fields.get(field)? {
                toml::Value::String(path) => Some((path.clone(), None)),
                toml::Value::Table(t) => Some((
                    t["path"].as_str().unwrap().to_string(),
                    t.get("format").and_then(|f| f.as_str()).map(String::from),
                )),
                other => panic!("{shape}: {field} = {other:?}"),
            }
        };
        let server = serve(shape, 40).await;
        let client = client(&server, shape);
        let d = example_dialect(shape).unwrap();
        let query = filescope::api::ListQuery::new(d.capabilities().default_sort);
        let page = filescope::api::PageRequest {
            number: 1,
            size: 20,
        };
        let answer = client.list_page(&query, page).await.unwrap();
        assert_eq!(answer.records.len(), 20, "{shape}");
        for (i, record) in answer.records.iter().enumerate() {
            let file = server.dataset.file(i);
            let raw: serde_json::Value = serde_json::from_str(record.raw.get()).unwrap();
            let value = |field: &str| declared(field).map(|(path, _)| at(&raw, &path).clone());
            let time = |field: &str| {
                declared(field)
                    .map(|(path, format)| declared_time(at(&raw, &path), format.as_deref()))
            };
            let at = format!("{shape} record {i}");
            assert!(record.problems.is_empty(), "{at}: {:?}", record.problems);

            // The id: the declared value, as text (a number's digits); the dataset's own id
            // where the shape serves it as it is.
            let id = value("id").unwrap();
            assert_eq!(
                record.id,
                id.as_str().map_or_else(|| id.to_string(), String::from),
                "{at}"
            );
            assert!(!record.id.is_empty(), "{at}");
            if ["drf", "jsonapi"].contains(&shape) {
                assert_eq!(record.id, file.id, "{at}");
            }
            assert_eq!(record.name, file.file_name, "{at}");
            assert_eq!(value("name").unwrap(), file.file_name.as_str(), "{at}");
            assert_eq!(record.size, Some(file.size), "{at}");
            assert_eq!(
                record.content_type.as_deref(),
                declared("content_type").map(|_| file.content_type),
                "{at}: content_type"
            );
            // Times exactly as answered (DRF's microseconds, its unix_ms), and in the
            // dataset's second.
            assert_eq!(record.created_at, time("created_at"), "{at}: created_at");
            assert_eq!(
                record.created_at.map(|t| t.timestamp()),
                Some(file.created_at),
                "{at}: created_at"
            );
            assert_eq!(record.updated_at, time("updated_at"), "{at}: updated_at");
            assert_eq!(
                record.updated_at.map(|t| t.timestamp()),
                declared("updated_at").map(|_| file.updated_at),
                "{at}: updated_at"
            );
            // The link: the declared one, on the server, naming the file where its id does.
            assert_eq!(
                record.url.as_deref(),
                value("url").as_ref().map(|u| u.as_str().unwrap()),
                "{at}: url"
            );
            if let Some(url) = &record.url {
                assert!(url.starts_with(&server.base_url), "{at}: {url}");
                if ["drf", "jsonapi"].contains(&shape) {
                    assert!(url.contains(&file.id), "{at}: {url}");
                }
            }
        }
    }
}

/// An app on a shape's definition, started on a 120x40 screen and settled.
async fn explorer(shape: &str, server: &DemoServer) -> (App, Client) {
    let client = client(server, shape);
    let d = example_dialect(shape).unwrap();
    let page_size = d.capabilities().ui_page_size;
    let mut app = common::app_of(d, shape, page_size, Default::default());
    let effects = app.start(120, 40, Instant::now());
    common::settle(&mut app, &client, effects).await;
    (app, client)
}

#[tokio::test(flavor = "multi_thread")]
async fn g_uses_the_total_or_the_last_link_where_the_api_gives_one() {
    for shape in ["drf", "jsonapi", "box", "github"] {
        let server = serve(shape, 10_000).await;
        let (mut app, client) = explorer(shape, &server).await;
        let all = names(&server);
        assert_eq!(app.selected().unwrap().name, all[0], "{shape}");
        let before = server.stats.list_requests();
        let effects = app.update(filescope::test_support::key('G'), Instant::now());
        tokio::time::timeout(CEILING, common::settle(&mut app, &client, effects))
            .await
            .unwrap();
        let requests = server.stats.list_requests() - before;
        assert!(requests <= 2, "{shape}: G made {requests} requests");
        assert_eq!(
            app.selected().map(|r| r.name.clone()),
            all.last().cloned(),
            "{shape}: G lands on the last file"
        );
        assert!(app.is_count_known(), "{shape}");
        assert_eq!(app.row_count(), 10_000, "{shape}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn g_walks_a_listing_read_in_order_with_progress_and_a_key_stops_it() {
    for shape in ["stripe", "gdrive"] {
        let server = serve(shape, 2_000).await;
        let (mut app, client) = explorer(shape, &server).await;
        let all = names(&server);
        assert!(!app.is_count_known(), "{shape}: no total");
        let header = common::render(&app, 120, 40)[0].clone();
        assert!(header.contains("+"), "{shape}: the count is open: {header}");

        // A key stops the walk after its first step.
        let effects = app.update(filescope::test_support::key('G'), Instant::now());
        assert!(
            matches!(app.status(), Some(filescope::app::Status::Info(s)) if s.contains("walking to the end: page 2")),
            "{shape}: {:?}",
            app.status()
        );
        app.update(filescope::test_support::key('j'), Instant::now());
        assert!(
            matches!(app.status(), Some(filescope::app::Status::Info(s)) if s.starts_with("stopped walking")),
            "{shape}: {:?}",
            app.status()
        );
        // Its answer changes nothing now (the page joins the loaded rows).
        common::settle(&mut app, &client, effects).await;
        assert_eq!(
            app.cursor().selected,
            0,
            "{shape}: the key did nothing else"
        );

        // Walking to the end reads every page not read yet once, in order, and lands on the
        // last file.
        let read = app.listing().pages().furthest_answered().unwrap();
        let before = server.stats.list_requests();
        let effects = app.update(filescope::test_support::key('G'), Instant::now());
        tokio::time::timeout(CEILING, common::settle(&mut app, &client, effects))
            .await
            .unwrap();
        let pages = 2_000usize.div_ceil(app.listing().page_size());
        let requests = (server.stats.list_requests() - before) as usize;
        assert_eq!(
            requests,
            pages - read,
            "{shape}: {read} of {pages} pages were read"
        );
        assert_eq!(app.selected().map(|r| r.name.clone()), all.last().cloned());
        assert!(app.is_count_known(), "{shape}");
        assert_eq!(app.row_count(), 2_000, "{shape}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_row_number_is_walked_to_and_forgotten_pages_come_back_from_their_cursor() {
    let server = serve("gdrive", 5_000).await;
    let client = client(&server, "gdrive");
    let d = example_dialect("gdrive").unwrap();
    let settings = filescope::config::Settings {
        max_loaded_rows: 1_000,
        ..Default::default()
    };
    let mut app = common::app_of(d, "gdrive", 100, settings);
    let effects = app.start(120, 40, Instant::now());
    common::settle(&mut app, &client, effects).await;
    let mut effects = app.update(filescope::test_support::key(':'), Instant::now());
    for msg in filescope::test_support::typed("4321") {
        effects.extend(app.update(msg, Instant::now()));
    }
    let walk = tokio::time::timeout(
        CEILING,
        common::settle_recording(&mut app, &client, effects),
    )
    .await
    .unwrap();
    let all = names(&server);
    assert_eq!(app.selected().unwrap().name, all[4_320]);
    assert!(
        app.listing().pages().loaded_rows() <= 1_500,
        "the budget holds while walking: {}",
        app.listing().pages().loaded_rows()
    );
    // The walk read page 2 with the cursor page 1's answer gave; page 2 has been forgotten
    // since, and that cursor is kept for it.
    let mut walked: Vec<usize> = walk.iter().map(|(page, _)| *page).collect();
    // On a loaded machine the landing page may also be fetched for the view while the walk's
    // own read of it is in flight (seen once in four full runs on 2 cores): the order and
    // the pages read are what this checks, so a repeat of one page in a row counts once.
    walked.dedup();
    assert_eq!(walked, (2..=44).collect::<Vec<_>>(), "the walk, in order");
    let cursor = walk[0].1.clone();
    assert!(cursor.is_some(), "page 2 was read from a cursor: {walk:?}");
    assert!(
        !app.listing().pages().loaded_page_numbers().contains(&2),
        "page 2 was forgotten"
    );
    assert_eq!(
        app.listing().pages().continuation(2),
        cursor.as_ref(),
        "the cursor of a forgotten page is kept"
    );

    // Back to the top: page 1 is read again from the start, as page 1 always is.
    let before = server.stats.list_requests();
    let effects = app.update(filescope::test_support::key('g'), Instant::now());
    let mut fetched = tokio::time::timeout(
        CEILING,
        common::settle_recording(&mut app, &client, effects),
    )
    .await
    .unwrap();
    assert_eq!(app.selected().unwrap().name, all[0]);
    assert!(
        fetched.contains(&(1, None)),
        "page 1 from the start: {fetched:?}"
    );
    // Down into page 2 (rows 100..200): it is read once, from the cursor kept for it, and
    // holds the files it held when it was first answered.
    for _ in 0..10 {
        if app.cursor().selected >= 150 {
            break;
        }
        let effects = app.update(
            Msg::Key(crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::PageDown,
                crossterm::event::KeyModifiers::NONE,
            )),
            Instant::now(),
        );
        let more = tokio::time::timeout(
            CEILING,
            common::settle_recording(&mut app, &client, effects),
        )
        .await
        .unwrap();
        fetched.extend(more);
    }
    let page_two: Vec<_> = fetched.iter().filter(|(page, _)| *page == 2).collect();
    assert_eq!(
        page_two,
        [&(2, cursor.clone())],
        "page 2 read once, from its kept cursor: {fetched:?}"
    );
    // Nothing else was read twice: each page once, from the start or from its cursor.
    let pages: Vec<usize> = fetched.iter().map(|(page, _)| *page).collect();
    assert_eq!(pages, (1..=pages.len()).collect::<Vec<_>>(), "{fetched:?}");
    assert_eq!(server.stats.list_requests() - before, fetched.len() as u64);
    let shown: Vec<String> = (100..200)
        .map(|row| {
            let record = app.listing().pages().record(row);
            record.map_or_else(|| format!("row {row} not loaded"), |r| r.name.clone())
        })
        .collect();
    assert_eq!(
        shown,
        all[100..200],
        "a page fetched again from its cursor holds the same files"
    );
    assert_eq!(
        app.selected().unwrap().name,
        all[app.cursor().selected],
        "{}",
        app.cursor().selected
    );
}

/// Issue 27 (docs that disagree): `serve --shape` prints a configuration to paste — the
/// profile and the whole definition — and, pasted as printed, it lists the server exactly. A
/// user with only the binary has no docs/dialects/ to read.
#[tokio::test(flavor = "multi_thread")]
async fn serve_for_a_shape_prints_a_configuration_that_works_pasted_as_is() {
    use std::io::BufRead;
    let dir = common::fresh_dir("shape-paste");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_filescope"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["serve", "--shape", "stripe", "--files", "57"])
        .env_remove("FILESCOPE_API_KEY")
        .env("FILESCOPE_DATA_DIR", &dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut told = Vec::new();
    loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "{told:?}");
        let done = line.starts_with("filescope: then run");
        told.push(line);
        if done {
            break;
        }
    }
    let paste: String = told
        .iter()
        .skip_while(|l| !l.contains("paste into your configuration"))
        .skip(1)
        .take_while(|l| !l.starts_with("filescope: "))
        .cloned()
        .collect();
    assert!(paste.contains("[profiles.stripe]"), "{told:?}");
    let run = told.last().unwrap();
    assert!(
        run.contains("FILESCOPE_API_KEY=demo filescope -p stripe"),
        "{run}"
    );
    std::fs::write(dir.join("config.toml"), &paste).unwrap();
    let out = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_filescope"))
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .env("FILESCOPE_CONFIG", dir.join("config.toml"))
                .env("FILESCOPE_DATA_DIR", &dir)
                .env("FILESCOPE_API_KEY", "demo")
                .args(["ls", "-p", "stripe", "--all", "--format", "ndjson"])
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 57);
}
