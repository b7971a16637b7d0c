//! The app logic against the embedded demo server, over real HTTP on 127.0.0.1.
//! Expected values come from the dataset itself or from independent checks, never from the app.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use crate::common;

use std::time::{Duration, Instant};

use common::{WatchedBackend, client_for, demo, filejar_app, settle};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use filescope::api::{ApiError, ListQuery, Order, PageRequest, Sort, SortField};
use filescope::app::{App, Msg};
use filescope::listing::Row;
use ratatui::Terminal;

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

async fn started(app: &mut App, client: &filescope::api::Client) {
    let effects = app.start(120, 40, Instant::now());
    settle(app, client, effects).await;
}

/// The first page of the default listing (newest first) with `size` rows.
async fn first_page(
    client: &filescope::api::Client,
    size: usize,
) -> Result<filescope::api::dialect::Page, ApiError> {
    let query = ListQuery::new(Sort {
        field: SortField::Created,
        order: Order::Desc,
    });
    client
        .list_page(&query, PageRequest { number: 1, size })
        .await
}

fn loaded_names(app: &App, rows: std::ops::Range<usize>) -> Vec<String> {
    rows.map(|i| match app.listing().pages().row(i) {
        Row::Loaded(r) => r.name.clone(),
        other => panic!("row {i} is not loaded: {other:?}"),
    })
    .collect()
}

#[tokio::test]
async fn first_page_is_the_newest_files() {
    let (server, client) = demo(5_000).await;
    let mut app = filejar_app(100);
    started(&mut app, &client).await;
    assert_eq!(server.stats.list_requests(), 1);
    assert_eq!(app.listing().pages().row_count(), 5_000);
    assert_eq!(app.org(), Some(server.dataset.org_name().as_str()));
    // created_at desc with ties broken by index: the newest file has the highest index.
    let expected: Vec<String> = (0..100)
        .map(|i| server.dataset.file(4_999 - i).file_name)
        .collect();
    assert_eq!(loaded_names(&app, 0..100), expected);
}

#[tokio::test]
async fn end_jump_makes_one_request_and_shows_the_oldest_file() {
    let (server, client) = demo(100_000).await;
    let mut app = filejar_app(100);
    started(&mut app, &client).await;
    let before = server.stats.list_requests();
    let effects = app.update(key('G'), Instant::now());
    settle(&mut app, &client, effects).await;
    assert_eq!(
        server.stats.list_requests() - before,
        1,
        "G fetches only the last page"
    );
    assert_eq!(app.cursor().selected, 99_999);
    assert_eq!(
        app.selected().unwrap().name,
        server.dataset.file(0).file_name
    );
}

#[tokio::test]
async fn scrolling_through_requests_each_page_once() {
    let (server, client) = demo(1_000).await;
    let mut app = filejar_app(100);
    started(&mut app, &client).await;
    for _ in 0..1_200 {
        let effects = app.update(key('j'), Instant::now());
        settle(&mut app, &client, effects).await;
    }
    assert_eq!(app.cursor().selected, 999);
    assert_eq!(
        server.stats.list_requests(),
        10,
        "ten pages, each requested once"
    );
    assert_eq!(app.listing().pages().loaded_rows(), 1_000);
}

#[tokio::test]
async fn sort_by_name_is_server_side_and_ordered() {
    let (server, client) = demo(3_000).await;
    let mut app = filejar_app(100);
    started(&mut app, &client).await;
    app.update(key('o'), Instant::now());
    let effects = app.update(key('n'), Instant::now());
    settle(&mut app, &client, effects).await;
    assert_eq!(
        app.listing().query().sort,
        Sort {
            field: SortField::Name,
            order: Order::Asc
        }
    );
    let names = loaded_names(&app, 0..100);
    // Independently: the 100 smallest names of the whole dataset, case-insensitively.
    let mut all: Vec<(String, usize)> = (0..3_000)
        .map(|i| (server.dataset.file(i).file_name.to_lowercase(), i))
        .collect();
    all.sort();
    let expected: Vec<String> = all[..100]
        .iter()
        .map(|(_, i)| server.dataset.file(*i).file_name)
        .collect();
    assert_eq!(names, expected);

    let effects = app.update(key('S'), Instant::now());
    settle(&mut app, &client, effects).await;
    let first = app.selected().unwrap().name.to_lowercase();
    assert_eq!(
        first,
        all.last().unwrap().0,
        "descending starts at the largest name"
    );
}

#[tokio::test]
async fn size_sort_is_descending_first() {
    let (server, client) = demo(2_000).await;
    let mut app = filejar_app(100);
    started(&mut app, &client).await;
    app.update(key('o'), Instant::now());
    let effects = app.update(key('s'), Instant::now());
    settle(&mut app, &client, effects).await;
    let sizes: Vec<u64> = (0..100)
        .map(|i| app.listing().pages().record(i).unwrap().size.unwrap())
        .collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
    let largest = (0..2_000)
        .map(|i| server.dataset.file(i).size)
        .max()
        .unwrap();
    assert_eq!(sizes[0], largest);
}

#[tokio::test]
async fn filter_is_sent_as_the_server_side_search() {
    let (server, client) = demo(4_000).await;
    let mut app = filejar_app(100);
    started(&mut app, &client).await;
    app.update(key('/'), Instant::now());
    for c in "REPORT".chars() {
        app.update(key(c), Instant::now());
    }
    let effects = app.update(
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
        Instant::now(),
    );
    settle(&mut app, &client, effects).await;
    let expected = (0..4_000)
        .map(|i| server.dataset.file(i))
        .filter(|f| {
            [&f.id, &f.key, &f.file_name]
                .iter()
                .any(|s| s.to_lowercase().contains("report"))
        })
        .count();
    assert!(expected > 0);
    assert_eq!(app.listing().pages().row_count(), expected);
    let shown = app.listing().pages().loaded_rows();
    for i in 0..shown {
        let r = app.listing().pages().record(i).unwrap();
        let raw = r.raw.get().to_lowercase();
        assert!(raw.contains("report"), "{} does not match", r.name);
    }
}

#[tokio::test]
async fn a_filter_nothing_matches_is_an_empty_listing() {
    let (_server, client) = demo(500).await;
    let mut app = filejar_app(100);
    started(&mut app, &client).await;
    app.update(key('/'), Instant::now());
    for c in "zzzz-no-such-file".chars() {
        app.update(key(c), Instant::now());
    }
    let effects = app.update(
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
        Instant::now(),
    );
    settle(&mut app, &client, effects).await;
    assert_eq!(app.listing().pages().row_count(), 0);
    assert!(app.listing().pages().is_count_known());
    assert!(app.status().is_none());
}

#[tokio::test]
async fn a_wrong_key_is_named_in_one_line() {
    let (server, _) = demo(10).await;
    let client = client_for(&server, Some("wrong"));
    let err = first_page(&client, 10).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ApiError::Http { status: 401, .. }), "{text}");
    assert!(
        text.contains("x-api-key") && text.contains("FILESCOPE_API_KEY"),
        "{text}"
    );
    assert!(
        !text.contains("wrong"),
        "the key itself never appears: {text}"
    );
    assert!(!text.contains('\n'));

    let anonymous = client_for(&server, None);
    let err = first_page(&anonymous, 10).await.unwrap_err();
    assert!(err.to_string().contains("no key was sent"), "{err}");
}

#[tokio::test]
async fn an_out_of_range_parameter_reports_the_servers_message() {
    let (_server, client) = demo(10).await;
    let err = first_page(&client, 5_000).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("HTTP 400 from http://127.0.0.1:"),
        "{text}"
    );
    assert!(text.contains("limit"), "{text}");
}

#[tokio::test]
async fn an_unreachable_server_is_one_line() {
    // Bind then drop a listener: the port is free, so the connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let conn = filescope::api::Connection::new(
        filescope::api::dialect::by_id("filejar").unwrap(),
        format!("http://127.0.0.1:{port}").parse().unwrap(),
        None,
    );
    let client = filescope::api::Client::new(conn).unwrap();
    let err = first_page(&client, 10).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("cannot reach http://127.0.0.1:{port}/v1/files")),
        "{text}"
    );
    assert!(
        !text.contains("?page"),
        "no query string in messages: {text}"
    );
}

/// The real event loop, on a TestBackend, fed keys as a user would type them: it waits for
/// what the screen shows before each key, never for a fixed time.
#[tokio::test]
async fn the_event_loop_end_to_end_on_a_test_backend() {
    let (server, client) = demo(20_000).await;
    let mut app = filejar_app(100);
    let (backend, screen) = WatchedBackend::new(100, 20);
    let mut terminal = Terminal::new(backend).unwrap();
    let (tx, rx) = futures::channel::mpsc::unbounded::<std::io::Result<Event>>();
    let oldest = filescope::text::sanitize(&server.dataset.file(0).file_name).into_owned();
    let send = move |c: char| {
        tx.unbounded_send(Ok(Event::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        ))))
        .unwrap()
    };
    let typed = {
        let (screen, oldest) = (screen.clone(), oldest.clone());
        async move {
            screen.wait_for("row 1 of 20,000").await;
            send('G');
            screen.wait_for("row 20,000 of 20,000").await;
            screen.wait_for(&oldest).await;
            send('q');
        }
    };
    let mut host = filescope::test_support::RecordingHost::default();
    let (result, ()) = tokio::join!(
        filescope::runtime::run(
            &mut terminal,
            &mut app,
            client,
            rx,
            futures::stream::pending(),
            &mut host,
        ),
        typed
    );
    result.unwrap();
    assert_eq!(
        server.stats.list_requests(),
        2,
        "the first page and the last"
    );
    let screen = screen.text();
    assert!(screen.contains("row 20,000 of 20,000"), "{screen}");
    assert!(
        screen.contains(&oldest),
        "the oldest file {oldest:?} is on screen:\n{screen}"
    );
}

/// The explorer against a server that faults one request in six: with retries, scrolling
/// through the whole listing shows exactly the dataset, row for row.
#[tokio::test]
async fn scrolling_a_faulty_server_shows_exactly_the_dataset() {
    let server = common::Demo::new(1_500)
        .key("test-key")
        .chaos(1.0 / 6.0)
        .start()
        .await;
    let mut conn = filescope::api::Connection::new(
        filescope::api::dialect::by_id("filejar").unwrap(),
        server.base_url.parse().unwrap(),
        Some(filescope::api::Secret::new("test-key")),
    );
    conn.retry.base = Duration::from_millis(5);
    let client = filescope::api::Client::new(conn).unwrap();
    let mut app = filejar_app(100);
    started(&mut app, &client).await;
    let mut pages_done = 0;
    while app.cursor().selected + 1 < 1_500 {
        let effects = app.update(
            Msg::Key(KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE)),
            Instant::now(),
        );
        pages_done += settle(&mut app, &client, effects).await;
    }
    assert!(pages_done >= 14, "the listing was read page by page");
    assert!(
        server.stats.requests() > 15,
        "faults were met and retried: {} requests",
        server.stats.requests()
    );
    let expected: Vec<String> = (0..1_500)
        .rev()
        .map(|i| server.dataset.file(i).file_name)
        .collect();
    assert_eq!(loaded_names(&app, 0..1_500), expected);
}
