//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::time::Instant;

use chrono::{TimeZone, Utc};
use filescope::api::dialect::{Page, by_id};
use filescope::api::{Client, Connection, FileRecord, Secret};
use filescope::app::{App, ConnectionInfo, Effect, Msg};
use filescope_demo::{DemoConfig, DemoServer};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::value::RawValue;

/// A FileJar-shaped record with predictable fields.
pub fn record(i: usize, name: &str) -> FileRecord {
    let created =
        Utc.with_ymd_and_hms(2024, 3, 2, 9, 14, 0).unwrap() + chrono::Duration::minutes(i as i64);
    let raw = serde_json::json!({"id": format!("id-{i}"), "file_name": name, "size": i * 1000});
    FileRecord {
        id: format!("id-{i}"),
        name: name.to_string(),
        size: Some(i as u64 * 1000),
        content_type: Some("application/pdf".to_string()),
        created_at: Some(created),
        updated_at: Some(created),
        url: Some(format!("https://cdn.example.test/{i}")),
        problems: Vec::new(),
        raw: RawValue::from_string(raw.to_string()).unwrap(),
    }
}

pub fn filejar_app(page_size: usize) -> App {
    app_for("filejar", page_size)
}

pub fn app_for(dialect: &str, page_size: usize) -> App {
    let dialect = by_id(dialect).unwrap();
    let info = ConnectionInfo {
        label: "test".into(),
        dialect: dialect.id(),
    };
    App::new(info, dialect, page_size)
}

/// An app on a `width`x`height` screen whose first page holds `names`, of `total` rows.
pub fn app_showing(names: &[&str], total: usize, width: u16, height: u16) -> App {
    dialect_app_showing("filejar", names, total, width, height)
}

/// Like [`app_showing`], for any dialect.
pub fn dialect_app_showing(
    dialect: &str,
    names: &[&str],
    total: usize,
    width: u16,
    height: u16,
) -> App {
    let mut app = app_for(dialect, 100);
    let now = Instant::now();
    let effects = app.start(width, height, now);
    let generation = app.list.generation();
    assert!(effects.iter().any(|e| matches!(e, Effect::Fetch { .. })));
    let page = Page {
        records: names
            .iter()
            .enumerate()
            .map(|(i, n)| record(i, n))
            .collect(),
        total: Some(total),
        has_next: None,
        scope: Some("Northwind Labs".into()),
        ..Page::default()
    };
    app.update(
        Msg::Page {
            generation,
            page: 1,
            result: Ok(page),
        },
        now,
    );
    app
}

/// Draws the app and returns the screen as text, one string per line.
pub fn render(app: &App, width: u16, height: u16) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| filescope::ui::draw(f, app)).unwrap();
    screen_lines(&terminal)
}

pub fn screen_lines(terminal: &Terminal<TestBackend>) -> Vec<String> {
    let buffer = terminal.backend().buffer();
    let width = buffer.area.width as usize;
    buffer
        .content
        .chunks(width)
        .map(|row| {
            // A wide character fills two cells; the second holds nothing of its own.
            let mut line = String::new();
            let mut skip = false;
            for cell in row {
                if !std::mem::take(&mut skip) {
                    line.push_str(cell.symbol());
                    skip = unicode_width::UnicodeWidthStr::width(cell.symbol()) > 1;
                }
            }
            line
        })
        .collect()
}

/// A demo server on 127.0.0.1 and a client for it with the right key.
pub async fn demo(files: usize) -> (DemoServer, Client) {
    let config = DemoConfig {
        files,
        api_key: "test-key".into(),
        ..DemoConfig::default()
    };
    let server = DemoServer::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let client = client_for(&server, Some("test-key"));
    (server, client)
}

pub fn client_for(server: &DemoServer, key: Option<&str>) -> Client {
    let conn = Connection::new(
        by_id("filejar").unwrap(),
        server.base_url.parse().unwrap(),
        key.map(Secret::new),
    );
    Client::new(conn).unwrap()
}

/// Carries out the app's effects against a real client until nothing is in flight, as the
/// runtime does, feeding each answer back in. Returns how many pages were fetched.
pub async fn settle(app: &mut App, client: &Client, mut effects: Vec<Effect>) -> usize {
    let mut fetched = 0;
    while !effects.is_empty() {
        let mut next = Vec::new();
        for effect in effects {
            if let Effect::Fetch {
                generation,
                query,
                page,
            } = effect
            {
                fetched += 1;
                let result = client.list_page(&query, page).await;
                next.extend(app.update(
                    Msg::Page {
                        generation,
                        page: page.number,
                        result,
                    },
                    Instant::now(),
                ));
            }
        }
        effects = next;
    }
    fetched
}
