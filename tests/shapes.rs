//! Any paged JSON API, with no code: the six real-world shapes the demo server speaks (GitHub
//! assets, Django REST Framework, Stripe, Google Drive, JSON:API, Box), each read through the
//! definition shipped for it in docs/dialects/ — by `ls --all` through the real binary, and in
//! the explorer, where `G` jumps where the API can and walks where it cannot.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use std::time::{Duration, Instant};

use filescope::api::{Client, Connection, Secret};
use filescope::app::{App, ConnectionInfo, Effect, ListingEffect, Msg};
use filescope::config::{EXAMPLE_DIALECTS, example_dialect};
use filescope_demo::shapes::Shape;
use filescope_demo::{DemoConfig, DemoServer};

const KEY: &str = "shape-test-key";
const CEILING: Duration = Duration::from_secs(120);

async fn serve(shape: &str, files: usize) -> DemoServer {
    let config = DemoConfig {
        files,
        api_key: KEY.into(),
        shape: Shape::parse(shape),
        ..DemoConfig::default()
    };
    DemoServer::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap()
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
    let dir = std::env::temp_dir().join(format!("filescope-shape-{shape}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (_, definition) = EXAMPLE_DIALECTS.iter().find(|(n, _)| *n == shape).unwrap();
    let config = format!("{definition}\n[profiles.it]\ndialect = \"{shape}\"\nurl = \"{url}\"\n");
    std::fs::write(dir.join("config.toml"), config).unwrap();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_filescope"))
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

#[tokio::test(flavor = "multi_thread")]
async fn every_example_decodes_every_field_it_declares() {
    use chrono::TimeZone;
    for (shape, _) in EXAMPLE_DIALECTS {
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
            assert_eq!(record.name, file.file_name, "{shape} {i}");
            assert!(
                record.problems.is_empty(),
                "{shape} {i}: {:?}",
                record.problems
            );
            assert!(!record.id.is_empty(), "{shape} {i}");
            assert_eq!(record.size, Some(file.size), "{shape} {i}");
            let created = chrono::Utc.timestamp_opt(file.created_at, 0).unwrap();
            // Stripe and GitHub keep whole seconds; DRF adds microseconds of its own.
            let at = record.created_at.unwrap();
            assert!(
                (at - created).num_seconds().abs() <= 1,
                "{shape} {i}: {at} against {created}"
            );
        }
    }
}

/// An app on a shape's definition, started on a 120x40 screen and settled.
async fn explorer(shape: &str, server: &DemoServer) -> (App, Client) {
    let client = client(server, shape);
    let d = example_dialect(shape).unwrap();
    let info = ConnectionInfo {
        label: shape.to_string(),
        dialect: d.id(),
    };
    let page_size = d.capabilities().ui_page_size;
    let mut app = App::new(info, d, page_size, Default::default());
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
            matches!(app.status(), Some(filescope::app::Status::Info(s)) if s.starts_with("walking to the end: page 2")),
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
    let info = ConnectionInfo {
        label: "gdrive".into(),
        dialect: d.id(),
    };
    let settings = filescope::config::Settings {
        max_loaded_rows: 1_000,
        ..Default::default()
    };
    let mut app = App::new(info, d, 100, settings);
    let effects = app.start(120, 40, Instant::now());
    common::settle(&mut app, &client, effects).await;
    let mut effects = app.update(filescope::test_support::key(':'), Instant::now());
    for msg in filescope::test_support::typed("4321") {
        effects.extend(app.update(msg, Instant::now()));
    }
    tokio::time::timeout(CEILING, common::settle(&mut app, &client, effects))
        .await
        .unwrap();
    let all = names(&server);
    assert_eq!(app.selected().unwrap().name, all[4_320]);
    assert!(
        app.listing().pages().loaded_rows() <= 1_500,
        "the budget holds while walking: {}",
        app.listing().pages().loaded_rows()
    );
    // Back to the top: page 1 was forgotten, and is read again — from the start, as page 1
    // always is — and page 2 from the cursor kept for it.
    let before = server.stats.list_requests();
    let effects = app.update(filescope::test_support::key('g'), Instant::now());
    let asked: Vec<bool> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Listing(ListingEffect::Fetch { page, after, .. }) => {
                Some((page.number == 1) == after.is_none())
            }
            _ => None,
        })
        .collect();
    assert!(
        !asked.is_empty() && asked.iter().all(|ok| *ok),
        "{effects:?}"
    );
    common::settle(&mut app, &client, effects).await;
    assert_eq!(app.selected().unwrap().name, all[0]);
    let effects = app.update(
        Msg::Key(crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::PageDown,
            crossterm::event::KeyModifiers::NONE,
        )),
        Instant::now(),
    );
    common::settle(&mut app, &client, effects).await;
    assert!(server.stats.list_requests() - before <= 3);
    assert_eq!(
        app.selected().unwrap().name,
        all[app.cursor().selected],
        "a page fetched again from its cursor holds the same files"
    );
}
