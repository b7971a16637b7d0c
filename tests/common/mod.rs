//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::time::Instant;

use filescope::api::dialect::{Page, by_id};
use filescope::api::{Client, Connection, Secret};
use filescope::app::{App, Effect, ListingEffect, ListingMsg, Msg};
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
        Msg::Listing(ListingMsg::Page {
            generation,
            page: 1,
            result: Ok(page),
        }),
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

/// Carries out the app's listing effects (fetches, and S3's tail searches) against a real
/// client until nothing is in flight, as the runtime does, feeding each answer back in.
/// Returns how many pages were fetched.
pub async fn settle(app: &mut App, client: &Client, effects: Vec<Effect>) -> usize {
    settle_recording(app, client, effects).await.len()
}

/// [`settle`], returning every page fetched, in order: its number and what the request
/// carried to continue from the page before.
pub async fn settle_recording(
    app: &mut App,
    client: &Client,
    mut effects: Vec<Effect>,
) -> Vec<(usize, Option<filescope::api::dialect::Continuation>)> {
    let mut fetched = Vec::new();
    while !effects.is_empty() {
        let mut next = Vec::new();
        for effect in effects {
            match effect {
                Effect::Listing(ListingEffect::Fetch {
                    generation,
                    query,
                    page,
                    after,
                }) => {
                    fetched.push((page.number, after.clone()));
                    let result = client.list_page_after(&query, page, after.as_ref()).await;
                    next.extend(app.update(
                        Msg::Listing(ListingMsg::Page {
                            generation,
                            page: page.number,
                            result,
                        }),
                        Instant::now(),
                    ));
                }
                Effect::Listing(ListingEffect::Walk {
                    generation,
                    query,
                    from,
                    after,
                    until,
                }) => {
                    // As the runtime walks: every page in turn, with the walker `ls` uses.
                    let (mut at, mut carried, mut stop) = (from.number, after.clone(), false);
                    let walked =
                        filescope::api::scan::walk_from(client, &query, from, after, |page| {
                            fetched.push((at, carried.take()));
                            carried = page.next.clone();
                            at += page.records.len().div_ceil(from.size.max(1)).max(1);
                            let effects = app.update(
                                Msg::Listing(ListingMsg::Walked {
                                    generation,
                                    result: Ok(page),
                                }),
                                Instant::now(),
                            );
                            stop |= effects
                                .iter()
                                .any(|e| matches!(e, Effect::Listing(ListingEffect::StopWalk)));
                            next.extend(effects);
                            !stop && until.is_none_or(|until| at <= until)
                        })
                        .await;
                    if let Err(e) = walked {
                        next.extend(app.update(
                            Msg::Listing(ListingMsg::Walked {
                                generation,
                                result: Err(e),
                            }),
                            Instant::now(),
                        ));
                    }
                    next.extend(app.update(
                        Msg::Listing(ListingMsg::WalkDone { generation }),
                        Instant::now(),
                    ));
                }
                Effect::Listing(ListingEffect::FindTail {
                    generation,
                    query,
                    from,
                    want,
                }) => {
                    let result =
                        filescope::api::s3::find_tail(client, &query, want, from.as_deref()).await;
                    next.extend(app.update(
                        Msg::Listing(ListingMsg::TailFound { generation, result }),
                        Instant::now(),
                    ));
                }
                _ => {}
            }
        }
        effects = next;
    }
    fetched
}

/// A test terminal whose last flushed frame can be read by another task while the event loop
/// owns the terminal: tests wait for what the screen shows instead of sleeping.
pub struct WatchedBackend {
    inner: ratatui::backend::TestBackend,
    screen: Screen,
}

/// The lines of the last frame a [`WatchedBackend`] flushed.
#[derive(Clone, Default)]
pub struct Screen(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

/// A generous ceiling for waiting on the screen or the disk: a guard against a hung test on a
/// loaded machine, never a timing assertion.
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

impl Screen {
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    pub fn text(&self) -> String {
        self.lines().join("\n")
    }

    /// Waits until the screen satisfies `done`, and returns it; panics after [`PATIENCE`].
    pub async fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let text = self.text();
            if done(&text) {
                return text;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "never saw {what}; screen:\n{text}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// Waits until the screen contains `what`, and returns it.
    pub async fn wait_for(&self, what: &str) -> String {
        self.wait_until(&format!("{what:?}"), |s| s.contains(what))
            .await
    }
}

impl WatchedBackend {
    pub fn new(width: u16, height: u16) -> (Self, Screen) {
        let screen = Screen::default();
        let backend = WatchedBackend {
            inner: ratatui::backend::TestBackend::new(width, height),
            screen: screen.clone(),
        };
        (backend, screen)
    }
}

impl ratatui::backend::Backend for WatchedBackend {
    type Error = <ratatui::backend::TestBackend as ratatui::backend::Backend>::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a ratatui::buffer::Cell)>,
    {
        self.inner.draw(content)
    }

    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> Result<ratatui::layout::Position, Self::Error> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<ratatui::layout::Position>>(
        &mut self,
        position: P,
    ) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ratatui::backend::ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> Result<ratatui::layout::Size, Self::Error> {
        self.inner.size()
    }

    fn window_size(&mut self) -> Result<ratatui::backend::WindowSize, Self::Error> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()?;
        let lines = filescope::test_support::buffer_lines(self.inner.buffer());
        *self.screen.0.lock().unwrap() = lines;
        Ok(())
    }
}

/// The binary with no AWS setting of the machine's: every `AWS_*` variable of this process
/// removed (a developer's `AWS_SESSION_TOKEN` or `AWS_ENDPOINT_URL_S3` would change what is
/// signed or where it goes), the AWS files pointed at nothing under `dir`, no metadata service
/// asked, then `set` given.
pub fn aws_isolated<'a>(
    cmd: &'a mut std::process::Command,
    dir: &std::path::Path,
    set: &[(&str, &str)],
) -> &'a mut std::process::Command {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("no-aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (name, value) in set {
        cmd.env(name, value);
    }
    cmd
}
