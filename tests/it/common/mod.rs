//! Helpers shared by the integration tests (with src/test_support.rs, which the benchmark
//! shares too: the demo server's one starter, the app builders, the runtime's executor).
#![allow(dead_code)]

pub mod azurite;

use std::time::Instant;

use filescope::api::Client;
use filescope::api::dialect::Page;
use filescope::app::{App, Effect, ListingEffect, ListingMsg, Msg};
use filescope::config::Settings;
use filescope_demo::DemoServer;

#[allow(unused_imports)]
pub use filescope::test_support::{
    Demo, Executor, app_for, app_of, app_with, client, record, render, screen_lines,
};

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
    let store = filescope::api::dialect::by_id(dialect).unwrap();
    labelled_showing(store, "test", settings, names, total, width, height)
}

/// Like [`showing_with`], on any store, its connection called `label`.
pub fn labelled_showing(
    store: impl Into<filescope::api::Store>,
    label: &str,
    settings: Settings,
    names: &[&str],
    total: usize,
    width: u16,
    height: u16,
) -> App {
    let mut app = app_of(store, label, 100, settings);
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

/// A FileJar demo server of `files` files and a client for it with the right key.
pub async fn demo(files: usize) -> (DemoServer, Client) {
    let server = Demo::new(files).key("test-key").start().await;
    let client = client_for(&server, Some("test-key"));
    (server, client)
}

/// A FileJar client for `server`.
pub fn client_for(server: &DemoServer, key: Option<&str>) -> Client {
    client("filejar", &server.base_url, key)
}

/// Carries out the app's listing effects with the runtime's own executor until nothing is in
/// flight, feeding each answer back in. Returns how many pages were fetched.
pub async fn settle(app: &mut App, client: &Client, effects: Vec<Effect>) -> usize {
    settle_recording(app, client, effects).await.len()
}

/// [`settle`], returning every page fetched, in the order asked: its number and what the
/// request carried to continue from the page before.
pub async fn settle_recording(
    app: &mut App,
    client: &Client,
    effects: Vec<Effect>,
) -> Vec<(usize, Option<filescope::api::dialect::Continuation>)> {
    Executor::new(client).settle(app, effects).await
}

/// A fresh, empty directory for one test, `filescope-{name}-{pid}` under the temporary
/// directory: whatever an earlier run with the same process id left there is gone. Tests
/// share this process, so `name` says the module as well as the test.
pub fn fresh_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("filescope-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the test `name` (its path in this binary, as `module_path!()` and the function name
/// give it) alone in a child process of this binary, for a test that must change what is
/// global to a process (the log a `filescope` installs). Returns true in the child, which then
/// runs the test's body; in this process it waits for the child and fails if the test failed.
pub fn in_own_process(module: &str, name: &str) -> bool {
    const CHILD: &str = "FILESCOPE_TEST_CHILD";
    let test = format!(
        "{}::{name}",
        module.split_once("::").map_or(module, |(_, m)| m)
    );
    if std::env::var_os(CHILD).is_some_and(|t| t == test.as_str()) {
        return true;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([test.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, &test)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{test} in its own process: {}\n{stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    false
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

/// A connection to the S3 service at `endpoint` (`s3://` alone: the list of buckets) with the
/// key pair `id`/`secret`, signing for `region` until a bucket says otherwise, as the explorer
/// makes it.
pub fn s3_service(endpoint: &str, id: &str, secret: &str, region: &str) -> Client {
    let family = filescope::api::family::by_name("s3").unwrap();
    let conn = (family.connect)(&filescope::api::family::Location {
        url: filescope::api::url::parse_url("s3://").unwrap(),
        endpoint: Some(endpoint.to_string()),
        region: Some(region.into()),
        credentials: filescope::api::family::Credentials::Given {
            id: id.into(),
            secret: filescope::api::Secret::new(secret),
            token: None,
            source: "the test".into(),
        },
        path_style: None,
        levels: true,
    })
    .unwrap();
    Client::new(conn).unwrap()
}

/// A client of bucket `bucket` at `endpoint` (the demo's S3, or a stand-in) signed with the
/// demo's key pair for `region`: every key under `root` as `ls` lists (`levels` false), or one
/// level as the explorer does.
pub fn demo_s3_client(
    endpoint: &str,
    bucket: &str,
    root: &str,
    region: &str,
    levels: bool,
) -> Client {
    use filescope::api::s3::credentials::{Keys, Signer};
    use filescope::api::s3::{S3, Settings};
    let dialect = S3::new(Settings {
        bucket: bucket.into(),
        root: root.into(),
        signer: Signer::given(Keys {
            access_key_id: filescope_demo::S3_ACCESS_KEY.into(),
            secret_access_key: filescope::api::Secret::new(filescope_demo::S3_SECRET_KEY),
            session_token: None,
            source: "the test".into(),
            expiry: None,
        }),
        region: region.into(),
        endpoint: Some(endpoint.parse().unwrap()),
        path_style: None,
        levels,
    });
    let conn = filescope::api::Connection::new(
        std::sync::Arc::new(dialect),
        endpoint.parse().unwrap(),
        None,
    );
    Client::new(conn).unwrap()
}
