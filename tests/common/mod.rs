//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::time::Instant;

use filescope::api::dialect::{Page, by_id};
use filescope::api::{Client, Connection, Secret};
use filescope::app::{App, Effect, ListingEffect, Msg};
use filescope::config::Settings;
use filescope_demo::{DemoConfig, DemoServer};

#[allow(unused_imports)]
pub use filescope::test_support::{app_for, app_with, record, render, screen_lines};

pub fn filejar_app(page_size: usize) -> App {
    app_for("filejar", page_size)
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
    showing_with(dialect, Settings::default(), names, total, width, height)
}

/// Like [`dialect_app_showing`], with settings of its own.
pub fn showing_with(
    dialect: &str,
    settings: Settings,
    names: &[&str],
    total: usize,
    width: u16,
    height: u16,
) -> App {
    let mut app = app_with(dialect, 100, settings);
    let now = Instant::now();
    let effects = app.start(width, height, now);
    let generation = app.listing().pages().generation();
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Listing(ListingEffect::Fetch { .. })))
    );
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
            if let Effect::Listing(ListingEffect::Fetch {
                generation,
                query,
                page,
                after,
            }) = effect
            {
                fetched += 1;
                let result = client.list_page_after(&query, page, after.as_ref()).await;
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
