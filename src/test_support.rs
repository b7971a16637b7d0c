//! Helpers for the tests and the benchmark, behind the `test-support` feature so they are
//! written once and never reach a release binary: a terminal host that records instead of
//! writing, and builders for records, apps, keys and rendered screens.
#![allow(clippy::unwrap_used)]

use std::io;

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::{Backend, TestBackend};
use serde_json::value::RawValue;

use crate::api::FileRecord;
use crate::api::dialect::by_id;
use crate::app::{App, ConnectionInfo, Msg};
use crate::config::Settings;
use crate::runtime::Host;

/// A host for tests: records what would reach the terminal, runs no programs.
#[derive(Debug, Default)]
pub struct RecordingHost {
    pub raw: Vec<u8>,
    pub programs: Vec<String>,
}

impl<B: Backend> Host<B> for RecordingHost {
    fn suspend(&mut self, _terminal: &mut Terminal<B>) -> io::Result<()> {
        Ok(())
    }

    fn write_raw(&mut self, _terminal: &mut Terminal<B>, bytes: &[u8]) -> io::Result<()> {
        self.raw.extend_from_slice(bytes);
        Ok(())
    }

    fn hand_over(
        &mut self,
        _terminal: &mut Terminal<B>,
        command: &mut std::process::Command,
    ) -> io::Result<std::process::ExitStatus> {
        self.programs
            .push(command.get_program().to_string_lossy().into_owned());
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "no programs are run in tests",
        ))
    }
}

/// A FileJar-shaped record with predictable fields: id `id-{i}`, size `i × 1000`, a PDF
/// created `i` minutes after 2024-03-02 09:14 UTC.
/// A record that is only its id (as its name too): no size, type, dates or link.
pub fn bare_record(id: &str) -> FileRecord {
    FileRecord {
        id: id.to_string(),
        name: id.to_string(),
        size: None,
        content_type: None,
        created_at: None,
        updated_at: None,
        url: None,
        problems: Vec::new(),
        raw: RawValue::from_string("{}".into()).expect("{} is JSON"),
    }
}

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

/// An app on a dialect with the default settings.
pub fn app_for(dialect: &str, page_size: usize) -> App {
    app_with(dialect, page_size, Settings::default())
}

/// An app on a dialect with these settings.
pub fn app_with(dialect: &str, page_size: usize, settings: Settings) -> App {
    app_of(by_id(dialect).unwrap(), "test", page_size, settings)
}

/// The one app builder: the explorer's state on `store` (a dialect, built-in or declared, is
/// a JSON API over HTTP; a connection's store says its family), its connection called
/// `label`, pages of `page_size` rows.
pub fn app_of(
    store: impl Into<crate::api::Store>,
    label: &str,
    page_size: usize,
    settings: Settings,
) -> App {
    let store = store.into();
    let info = ConnectionInfo {
        label: label.to_string(),
        dialect: store.dialect.id().to_string(),
    };
    App::new(info, store, page_size, settings)
}

/// A key press of a character.
pub fn key(c: char) -> Msg {
    code(KeyCode::Char(c))
}

/// A key press.
pub fn code(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// A key press with Ctrl.
pub fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// The keys that type `text` and press Enter (a prompt's answer).
pub fn typed(text: &str) -> Vec<Msg> {
    text.chars()
        .map(key)
        .chain(std::iter::once(code(KeyCode::Enter)))
        .collect()
}

/// The explorer's state on a client's connection as `filescope` starts it: the dialect's
/// own page size, default settings, the dialect's name as the label.
pub fn app_on(client: &crate::api::Client) -> App {
    let store = client.connection().store();
    let page = store.dialect.capabilities().ui_page_size;
    let label = store.dialect.id().to_string();
    app_of(store, &label, page, Settings::default())
}

/// Draws the app and returns the screen as text, one string per line.
pub fn render(app: &App, width: u16, height: u16) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| crate::ui::draw(f, app)).unwrap();
    screen_lines(&terminal)
}

/// The screen of a test terminal as text, one string per line.
pub fn screen_lines(terminal: &Terminal<TestBackend>) -> Vec<String> {
    buffer_lines(terminal.backend().buffer())
}

/// A buffer as text, one string per line.
pub fn buffer_lines(buffer: &ratatui::buffer::Buffer) -> Vec<String> {
    let width = buffer.area.width as usize;
    buffer
        .content
        .chunks(width.max(1))
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

/// The runtime's own executor of listing effects (fetches, tail searches, details, folders,
/// local views, scans, cancelling), driven by a test or the benchmark instead of the event
/// loop: effects in, the app's messages out, exactly as `filescope` carries them out.
pub struct Executor {
    listings: crate::runtime::Listings,
    rx: tokio::sync::mpsc::UnboundedReceiver<Msg>,
    /// Each task the executor starts holds a sender until it ends: when only the executor's
    /// own is left, nothing is in flight.
    senders: tokio::sync::mpsc::WeakUnboundedSender<Msg>,
}

impl Executor {
    /// An executor on `client`'s connection. Its tasks are spawned on the current tokio
    /// runtime.
    pub fn new(client: &crate::api::Client) -> Self {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let senders = tx.downgrade();
        Executor {
            listings: crate::runtime::Listings::new(client.clone(), tx),
            rx,
            senders,
        }
    }

    /// Carries out the listing effects among `effects` and returns the others (the terminal's,
    /// the files': not this executor's work).
    pub fn run(
        &mut self,
        effects: impl IntoIterator<Item = crate::app::Effect>,
    ) -> Vec<crate::app::Effect> {
        let mut others = Vec::new();
        for effect in effects {
            match effect {
                crate::app::Effect::Listing(effect) => self.listings.run(effect),
                other => others.push(other),
            }
        }
        others
    }

    /// Whether a task it started is still running (an answer may yet come).
    pub fn in_flight(&self) -> bool {
        self.senders.strong_count() > 1
    }

    /// The next answer, as it arrives; `None` once nothing is in flight and every answer has
    /// been taken.
    pub async fn next(&mut self) -> Option<Msg> {
        loop {
            if let Ok(msg) = self.rx.try_recv() {
                return Some(msg);
            }
            if !self.in_flight() {
                // A task sends its answer before it lets go of its sender.
                return self.rx.try_recv().ok();
            }
            // A task may end without an answer (a cancelled fetch, a detail that found
            // nothing), so the wait is in short turns, each ending at an answer.
            tokio::select! {
                msg = self.rx.recv() => return msg,
                () = tokio::time::sleep(std::time::Duration::from_millis(2)) => {}
            }
        }
    }

    /// The next answer, waiting for it however long (the benchmark's loop puts its own
    /// deadline around this).
    pub async fn recv(&mut self) -> Option<Msg> {
        self.rx.recv().await
    }

    /// Carries out `effects` and feeds every answer to `app`, and the effects those answers
    /// make, until nothing is in flight. Returns each page fetched, in the order asked (a walk's
    /// pages as the walker read them): its number and what the request carried to continue
    /// from the page before.
    pub async fn settle(
        &mut self,
        app: &mut App,
        effects: Vec<crate::app::Effect>,
    ) -> Vec<(usize, Option<crate::api::dialect::Continuation>)> {
        use crate::app::{Effect, ListingEffect, ListingMsg};
        let mut fetched = Vec::new();
        let mut effects = effects;
        // A walk's pages come back one by one: the page number each starts at, what its
        // request carried (the cursor of the page before) and the page size.
        let mut walk: Option<(usize, Option<crate::api::dialect::Continuation>, usize)> = None;
        loop {
            for effect in &effects {
                match effect {
                    Effect::Listing(ListingEffect::Fetch { page, after, .. }) => {
                        fetched.push((page.number, after.clone()));
                    }
                    Effect::Listing(ListingEffect::Walk { from, after, .. }) => {
                        walk = Some((from.number, after.clone(), from.size.max(1)));
                    }
                    _ => {}
                }
            }
            self.run(effects);
            let Some(msg) = self.next().await else {
                return fetched;
            };
            if let (
                Msg::Listing(ListingMsg::Walked {
                    result: Ok(page), ..
                }),
                Some(walk),
            ) = (&msg, walk.as_mut())
            {
                fetched.push((walk.0, walk.1.take()));
                walk.1 = page.next.clone();
                walk.0 += page.records.len().div_ceil(walk.2).max(1);
            }
            effects = app.update(msg, std::time::Instant::now());
        }
    }
}

/// A client for the dialect `dialect` at `url`, with `key` if any.
pub fn client(dialect: &str, url: &str, key: Option<&str>) -> crate::api::Client {
    let conn = crate::api::Connection::new(
        by_id(dialect).unwrap_or_else(|| panic!("no dialect {dialect}")),
        url.parse().unwrap(),
        key.map(crate::api::Secret::new),
    );
    crate::api::Client::new(conn).unwrap()
}

/// The one way the tests and the benchmark start the demo server: on 127.0.0.1 at a port of
/// its own, in the current tokio runtime, as the builder says (the demo's defaults
/// otherwise).
///
/// ```ignore
/// let server = Demo::new(500).dialect("fileguard").key(KEY).start().await;
/// ```
#[cfg(feature = "demo")]
#[derive(Debug, Clone, Default)]
pub struct Demo {
    config: filescope_demo::DemoConfig,
    s3: filescope_demo::s3::S3Options,
    key_space: filescope_demo::s3::KeySpace,
    gcs: filescope_demo::GcsOptions,
}

#[cfg(feature = "demo")]
impl Demo {
    /// A server of `files` files.
    pub fn new(files: usize) -> Self {
        let mut demo = Demo::default();
        demo.config.files = files;
        demo
    }

    /// The one key it accepts.
    pub fn key(mut self, key: &str) -> Self {
        self.config.api_key = key.to_string();
        self
    }

    /// The dialect it speaks (one of `filescope_demo::DIALECTS`).
    pub fn dialect(mut self, dialect: &str) -> Self {
        self.config.dialect = dialect.to_string();
        self
    }

    /// A real-world list-API shape it speaks instead of a dialect.
    pub fn shape(mut self, shape: &str) -> Self {
        self.config.shape = filescope_demo::shapes::Shape::parse(shape);
        assert!(self.config.shape.is_some(), "no shape {shape}");
        self
    }

    /// A way to misbehave on purpose.
    pub fn hostile(mut self, mode: filescope_demo::hostile::Hostile) -> Self {
        self.config.hostile = Some(mode);
        self
    }

    /// The share of requests answered with a fault.
    pub fn chaos(mut self, chaos: f64) -> Self {
        self.config.chaos = chaos;
        self
    }

    /// Bytes per second per file content answer.
    pub fn bandwidth(mut self, bandwidth: Option<u64>) -> Self {
        self.config.bandwidth = bandwidth;
        self
    }

    /// A delay before every answer.
    pub fn latency(mut self, latency: std::time::Duration) -> Self {
        self.config.latency = latency;
        self
    }

    /// The S3 bucket's region.
    pub fn region(mut self, region: &str) -> Self {
        self.s3.region = region.to_string();
        self
    }

    /// More buckets the S3 dialect's ListBuckets names, as (name, region): listed only.
    pub fn other_buckets(mut self, buckets: &[(&str, &str)]) -> Self {
        self.s3.other_buckets = buckets
            .iter()
            .map(|(name, region)| (name.to_string(), region.to_string()))
            .collect();
        self
    }

    /// How the S3 dialect shapes its keys.
    pub fn key_space(mut self, key_space: filescope_demo::s3::KeySpace) -> Self {
        self.key_space = key_space;
        self
    }

    /// What the GCS dialect's token endpoint takes, and whether it wants a token at all.
    pub fn gcs(mut self, options: filescope_demo::GcsOptions) -> Self {
        self.gcs = options;
        self
    }

    /// Binds and serves; panics (naming what was asked) if the server cannot start.
    pub async fn start(self) -> filescope_demo::DemoServer {
        let what = format!(
            "the demo server ({} files, {})",
            self.config.files, self.config.dialect
        );
        if self.config.dialect == "gcs" {
            return filescope_demo::DemoServer::start_with_gcs(
                std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
                self.config,
                self.gcs,
                self.key_space,
            )
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        }
        filescope_demo::DemoServer::start_with_key_space(
            std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            self.config,
            self.s3,
            self.key_space,
        )
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"))
    }
}
