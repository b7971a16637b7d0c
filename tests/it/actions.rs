//! Acting on files over real HTTP on 127.0.0.1, against the embedded demo server (or a small
//! axum server of the test's own where the demo cannot misbehave the way a test needs):
//! downloads in every dialect (complete, cancelled, resumed, checksum mismatch, a dropped
//! connection, a server without Range), the file-exists answers, the transfers panel's keys
//! and its queue, the copy menu, the preview, export and delete. The explorer's own event loop
//! runs on a TestBackend and the tests wait for what its screen shows, never for a fixed time.
//! Expected bytes and records come from the demo's own generator and dataset, never from the
//! client.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use crate::common;

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use common::{Screen, WatchedBackend};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use filescope::api::content::{Conflict, TransferError, download, part_path};
use filescope::api::dialect::by_id;
use filescope::api::{Client, Connection, FileRecord, ListQuery, PageRequest, Secret};
use filescope::app::App;
use filescope::config::Settings;
use filescope::runtime;
use filescope::test_support::RecordingHost;
use filescope_demo::content::{CORRUPT_INDEX, content};
use filescope_demo::{Dataset, DemoServer};
use ratatui::Terminal;

const KEY: &str = "test-key";

/// A cancel that never comes.
fn never() -> tokio_util::sync::CancellationToken {
    tokio_util::sync::CancellationToken::new()
}

async fn serve(dialect: &str, files: usize, bandwidth: Option<u64>) -> (DemoServer, Client) {
    let server = common::Demo::new(files)
        .key(KEY)
        .dialect(dialect)
        .bandwidth(bandwidth)
        .start()
        .await;
    let client = common::client(dialect, &server.base_url, Some(KEY));
    (server, client)
}

/// A fresh, empty directory for one test.
fn scratch(tag: &str) -> PathBuf {
    common::fresh_dir(&format!("actions-{tag}"))
}

/// The dataset index of every file whose name appears once, by name.
fn unique_names(dataset: &Dataset) -> HashMap<String, usize> {
    let mut seen: HashMap<String, Option<usize>> = HashMap::new();
    for i in 0..dataset.len() {
        seen.entry(dataset.file(i).file_name)
            .and_modify(|e| *e = None)
            .or_insert(Some(i));
    }
    seen.into_iter()
        .filter_map(|(name, i)| Some((name, i?)))
        .collect()
}

async fn first_records(client: &Client, n: usize) -> Vec<FileRecord> {
    let query = ListQuery::new(client.dialect().capabilities().default_sort);
    let size = client.dialect().capabilities().ui_page_size;
    let page = client
        .list_page(&query, PageRequest { number: 1, size })
        .await
        .unwrap();
    page.records.into_iter().take(n).collect()
}

/// Records of the first page whose content is known for sure (unique name), with their index.
async fn known_files(server: &DemoServer, client: &Client, n: usize) -> Vec<(FileRecord, usize)> {
    let names = unique_names(&server.dataset);
    let found: Vec<(FileRecord, usize)> = first_records(client, 50)
        .await
        .into_iter()
        .filter_map(|r| names.get(&r.name).map(|i| (r, *i)))
        .filter(|(_, i)| *i != CORRUPT_INDEX)
        .take(n)
        .collect();
    assert_eq!(
        found.len(),
        n,
        "enough uniquely named files on the first page"
    );
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn every_dialect_downloads_exactly_the_servers_bytes() {
    for dialect in filescope::api::dialect::ids() {
        let (server, client) = serve(dialect, 300, None).await;
        let dir = scratch(&format!("all-{dialect}"));
        for (record, index) in known_files(&server, &client, 3).await {
            let path = dir.join(filescope::api::content::safe_file_name(
                &record.name,
                &record.id,
            ));
            let saved = download(&client, &record, &path, Conflict::Fail, &never(), |_| {})
                .await
                .unwrap_or_else(|e| panic!("{dialect}: {}: {e}", record.name));
            let want = content(&server.dataset, index);
            let got = std::fs::read(&path).unwrap();
            assert_eq!(got.len(), want.len(), "{dialect}: {}", record.name);
            assert!(
                got == want,
                "{dialect}: {} has the server's bytes",
                record.name
            );
            assert_eq!(saved.bytes, want.len() as u64);
            assert!(
                !part_path(&path, &record.id).exists(),
                "no part file is left behind"
            );
            // FileGuard publishes a sha256 and it is checked; nobody else publishes one.
            assert_eq!(
                saved.verified.is_some(),
                dialect == "fileguard",
                "{dialect}"
            );
        }
        assert!(server.stats.content_requests() >= 3, "{dialect}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_that_exists_is_not_overwritten_unasked() {
    let (server, client) = serve("filejar", 100, None).await;
    let dir = scratch("exists");
    let (record, index) = known_files(&server, &client, 1).await.remove(0);
    let path = dir.join("taken.bin");
    std::fs::write(&path, b"mine").unwrap();
    let err = download(&client, &record, &path, Conflict::Fail, &never(), |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, TransferError::Exists(_)), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), b"mine");
    download(
        &client,
        &record,
        &path,
        Conflict::Overwrite,
        &never(),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        content(&server.dataset, index)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Cancelled half-way: nothing under the final name, the bytes so far kept aside; the next
/// attempt asks only for the rest (a Range request) and the file is whole.
#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_download_leaves_no_file_and_resumes_with_a_range() {
    for dialect in filescope::api::dialect::ids() {
        // 2 MiB/s: a file of a few MiB takes long enough to be caught half-way.
        let (server, client) = serve(dialect, 300, Some(2 << 20)).await;
        let dir = scratch(&format!("cancel-{dialect}"));
        let names = unique_names(&server.dataset);
        let (record, index) = first_records(&client, 100)
            .await
            .into_iter()
            .filter_map(|r| names.get(&r.name).map(|i| (r, *i)))
            .find(|(r, i)| *i != CORRUPT_INDEX && r.size.is_some_and(|s| s >= 3 << 20))
            .expect("a file of at least 3 MiB");
        let path = dir.join("big.bin");
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let cancel = tokio_util::sync::CancellationToken::new();
        let task = {
            let (client, record, path) = (client.clone(), record.clone(), path.clone());
            let cancel = cancel.clone();
            tokio::spawn(async move {
                download(&client, &record, &path, Conflict::Fail, &cancel, move |p| {
                    let _ = tx.send(p.done);
                })
                .await
            })
        };
        // Wait for some bytes, then cancel as the explorer's Esc does.
        loop {
            let done = rx.recv().await.expect("progress");
            if done >= 512 * 1024 {
                break;
            }
        }
        cancel.cancel();
        let err = task.await.unwrap().unwrap_err();
        assert!(matches!(err, TransferError::Cancelled), "{dialect}: {err}");
        assert!(!path.exists(), "{dialect}: nothing under the final name");
        let kept = std::fs::metadata(part_path(&path, &record.id))
            .unwrap()
            .len();
        let want = content(&server.dataset, index);
        assert!(
            kept > 0 && kept < want.len() as u64,
            "{dialect}: {kept} bytes kept"
        );

        let ranges_before = server.stats.range_requests();
        let saved = download(&client, &record, &path, Conflict::Fail, &never(), |_| {})
            .await
            .unwrap();
        assert_eq!(saved.resumed_from, kept, "{dialect}");
        assert!(
            std::fs::read(&path).unwrap() == want,
            "{dialect}: whole and exact"
        );
        assert_eq!(
            server.stats.range_requests(),
            ranges_before + 1,
            "{dialect}: one Range request for the rest"
        );
        assert!(!part_path(&path, &record.id).exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_checksum_mismatch_is_detected_and_nothing_is_saved() {
    let (server, client) = serve("fileguard", 100, None).await;
    let dir = scratch("checksum");
    let corrupt = server.dataset.file(CORRUPT_INDEX);
    let mut records = Vec::new();
    for page in 1..=5 {
        let query = ListQuery::new(client.dialect().capabilities().default_sort);
        let answer = client
            .list_page(
                &query,
                PageRequest {
                    number: page,
                    size: 20,
                },
            )
            .await
            .unwrap();
        records.extend(answer.records);
    }
    let record = records
        .into_iter()
        .find(|r| r.name == corrupt.file_name && r.size == Some(corrupt.size))
        .expect("the corrupt file is listed");
    let path = dir.join("corrupt.bin");
    let err = download(&client, &record, &path, Conflict::Fail, &never(), |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, TransferError::Checksum { .. }), "{err}");
    assert!(err.to_string().starts_with("checksum mismatch"), "{err}");
    assert!(!path.exists() && !part_path(&path, &record.id).exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_is_refused_unless_the_profile_allows_it() {
    let (_server, client) = serve("openwebui", 10, None).await;
    let record = first_records(&client, 1).await.remove(0);
    let err = client.delete_file(&record.id).await.unwrap_err();
    assert!(err.to_string().starts_with("read-only"), "{err}");

    // Allowed: the request goes out, and the demo (read-only itself) refuses in its envelope.
    let (server, _) = serve("openwebui", 10, None).await;
    let mut conn = Connection::new(
        by_id("openwebui").unwrap(),
        server.base_url.parse().unwrap(),
        Some(Secret::new(KEY)),
    );
    conn.allow_delete = true;
    let client = Client::new(conn).unwrap();
    let err = client.delete_file(&record.id).await.unwrap_err();
    assert!(err.to_string().contains("HTTP 403"), "{err}");
    assert!(err.to_string().contains("read-only"), "{err}");
}

/// The explorer on a server: its own event loop runs on a TestBackend while a script types.
struct Session {
    server: DemoServer,
    client: Client,
    app: App,
}

async fn session(dialect: &str, files: usize) -> Session {
    session_with(dialect, files, Settings::default(), None).await
}

async fn session_with(
    dialect: &str,
    files: usize,
    settings: Settings,
    bandwidth: Option<u64>,
) -> Session {
    let (server, client) = serve(dialect, files, bandwidth).await;
    let app = explorer(&client, settings);
    Session {
        server,
        client,
        app,
    }
}

/// The explorer's state for a client, as `filescope` builds it.
fn explorer(client: &Client, settings: Settings) -> App {
    let dialect = by_id(client.dialect().id()).unwrap();
    let page_size = dialect.capabilities().ui_page_size;
    let mut app = common::app_of(dialect, "demo", page_size, settings);
    app.set_allow_delete(client.connection().allow_delete);
    app
}

/// Keys typed into the running explorer, in order.
#[derive(Clone)]
struct Keys(futures::channel::mpsc::UnboundedSender<std::io::Result<Event>>);

impl Keys {
    fn send(&self, code: KeyCode, modifiers: KeyModifiers) {
        let _ = self
            .0
            .unbounded_send(Ok(Event::Key(KeyEvent::new(code, modifiers))));
    }

    fn press(&self, code: KeyCode) {
        self.send(code, KeyModifiers::NONE);
    }

    fn type_text(&self, text: &str) {
        for c in text.chars() {
            self.press(KeyCode::Char(c));
        }
    }
}

/// Runs the explorer's loop on a 120x30 TestBackend while `script` types keys and waits for
/// what the screen shows; once the script is done and every key it typed is handled, the
/// explorer is ended as a signal ends it, so the view the script left is the last frame
/// drawn. Returns the last screen and what reached the terminal outside the frames.
async fn drive<F, Fut>(s: &mut Session, script: F) -> (Vec<String>, RecordingHost)
where
    F: FnOnce(Keys, Screen) -> Fut,
    Fut: Future<Output = ()>,
{
    drive_app(&mut s.app, &s.client, script).await
}

async fn drive_app<F, Fut>(
    app: &mut App,
    client: &Client,
    script: F,
) -> (Vec<String>, RecordingHost)
where
    F: FnOnce(Keys, Screen) -> Fut,
    Fut: Future<Output = ()>,
{
    let (backend, screen) = WatchedBackend::new(120, 30);
    let mut terminal = Terminal::new(backend).unwrap();
    use futures::StreamExt as _;
    let (tx, rx) = futures::channel::mpsc::unbounded();
    // The keys end when the script drops them; the loop has handled them all when it reads
    // that end, and only then does the signal come (Ctrl-c would close a view, not quit).
    let (drained, ended) = futures::channel::oneshot::channel::<()>();
    let events = Box::pin(
        rx.chain(
            futures::stream::once(async move {
                let _ = drained.send(());
            })
            .filter_map(|()| async { None }),
        ),
    );
    let signals = Box::pin(futures::stream::once(async move {
        let _ = ended.await;
        runtime::Interrupt::Terminate
    }));
    let mut host = RecordingHost::default();
    let typed = {
        let screen = screen.clone();
        let keys = Keys(tx);
        async move {
            // Held until the script is done, even by a script that drops its own.
            script(keys.clone(), screen).await;
            drop(keys);
        }
    };
    let (result, ()) = tokio::join!(
        runtime::run(
            &mut terminal,
            app,
            client.clone(),
            events,
            signals,
            &mut host,
        ),
        typed
    );
    result.unwrap();
    (screen.lines(), host)
}

/// The value an OSC 52 write in `raw` carries (the first one), decoded.
fn osc52_values(raw: &[u8]) -> Vec<String> {
    use base64::Engine as _;
    let text = String::from_utf8_lossy(raw);
    text.split("\x1b]52;c;")
        .skip(1)
        .map(|rest| {
            let end = rest.find('\x07').expect("an OSC 52 ends with BEL");
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&rest[..end])
                .unwrap();
            String::from_utf8(bytes).unwrap()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn y_i_puts_the_selected_id_in_the_clipboard_by_osc52() {
    let mut s = session("filejar", 50).await;
    let newest = s.server.dataset.file(49);
    let (screen, host) = drive(&mut s, |keys, screen| async move {
        screen.wait_for("row 1 of 50").await;
        keys.type_text("yi");
        screen.wait_for("copied id (36 chars)").await;
    })
    .await;
    let want = filescope::clipboard::osc52(
        newest.id.as_bytes(),
        filescope::clipboard::Mux::detect(|k| std::env::var(k).ok()),
    )
    .unwrap();
    assert!(
        host.raw.windows(want.len()).any(|w| w == want.as_slice()),
        "the OSC 52 sequence of {} reached the terminal",
        newest.id
    );
    let screen = screen.join("\n");
    assert!(screen.contains("copied id (36 chars)"), "{screen}");
}

/// `y k`, `y j`, `y l` and `y c` each put the right value in the clipboard: the storage key and
/// the record as the server has them, a fresh link that serves the file's bytes, and a curl
/// command that lists the view's first page.
#[tokio::test(flavor = "multi_thread")]
async fn the_copy_menu_copies_the_key_the_record_a_link_and_a_curl_command() {
    // Plain OSC 52, whatever multiplexer the tests run in.
    let (server, client) = serve("filejar", 50, None).await;
    let mut app = explorer(&client, Settings::default());
    let newest = server.dataset.file(49);
    let (_, host) = drive_app(&mut app, &client, |keys, screen| async move {
        screen.wait_for("row 1 of 50").await;
        for (what, said) in [
            ('k', "copied storage key or path"),
            ('j', "copied the record as JSON"),
            ('l', "copied a fresh download link"),
            ('c', "copied this view's request as curl"),
        ] {
            keys.type_text(&format!("y{what}"));
            screen.wait_for(said).await;
        }
    })
    .await;
    let mut values = osc52_values(&host.raw);
    // Inside tmux each write goes twice (plain and wrapped).
    values.dedup();
    assert_eq!(values.len(), 4, "{values:?}");
    assert_eq!(values[0], newest.key, "y k: FileJar's storage key");
    let record: serde_json::Value = serde_json::from_str(&values[1]).unwrap();
    assert_eq!(record["id"], newest.id.as_str(), "y j: the server's record");
    assert_eq!(record["file_name"], newest.file_name.as_str());
    assert_eq!(record["size"], newest.size);
    assert_eq!(record["key"], newest.key.as_str());
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let link = http.get(&values[2]).send().await.unwrap();
    assert_eq!(link.status(), 200, "y l: {}", values[2]);
    assert!(
        link.bytes().await.unwrap() == content(&server.dataset, 49),
        "y l: the link serves the file's bytes"
    );
    // `y c`: the words of a curl command; the key is written as $FILESCOPE_API_KEY.
    let words = shell_words::split(&values[3]).unwrap();
    assert_eq!(words[0], "curl", "{words:?}");
    let url = words
        .iter()
        .find(|w| w.starts_with("http://"))
        .expect("a URL");
    assert!(url.starts_with(&server.base_url), "{url}");
    let mut request = http.get(url);
    for pair in words
        .windows(2)
        .filter(|p| p[0] == "-H" || p[0] == "--header")
    {
        let (name, value) = pair[1].split_once(':').unwrap();
        assert_eq!(
            value.trim(),
            "$FILESCOPE_API_KEY",
            "the key is never copied"
        );
        request = request.header(name.trim(), KEY);
    }
    let page: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
    assert_eq!(
        page["files"][0]["id"],
        newest.id.as_str(),
        "y c: the command lists the view's first page, newest first"
    );
    assert!(!values[3].contains(KEY));
}

/// `[ui] clipboard_cmd` is run (without a shell), the value on its standard input, instead of
/// OSC 52.
#[tokio::test(flavor = "multi_thread")]
async fn clipboard_cmd_receives_the_value_instead_of_osc52() {
    let dir = scratch("clipboard-cmd");
    let sink = dir.join("clipboard.txt");
    let settings = Settings {
        clipboard_cmd: Some(format!("tee {}", sink.display()).parse().unwrap()),
        ..Settings::default()
    };
    let mut s = session_with("filejar", 20, settings, None).await;
    let newest = s.server.dataset.file(19);
    let (_, host) = drive(&mut s, |keys, screen| async move {
        screen.wait_for("row 1 of 20").await;
        keys.type_text("yn");
        screen.wait_for("via tee").await;
    })
    .await;
    assert_eq!(std::fs::read_to_string(&sink).unwrap(), newest.file_name);
    assert!(host.raw.is_empty(), "no OSC 52 written");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The saved files' contents, sorted, for comparing downloads as a multiset.
fn saved_contents(dir: &Path) -> Vec<Vec<u8>> {
    let mut all: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| std::fs::read(e.path()).unwrap())
        .collect();
    all.sort();
    all
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_marked_files_download_into_the_chosen_directory() {
    let mut s = session("filejar", 200).await;
    let dir = scratch("ten");
    s.app.set_download_dir(dir.clone());
    let (screen, _) = drive(&mut s, |keys, screen| async move {
        screen.wait_for("row 1 of 200").await;
        for _ in 0..10 {
            keys.press(KeyCode::Char(' '));
        }
        screen.wait_for("10 marked").await;
        keys.press(KeyCode::Char('d'));
        keys.press(KeyCode::Enter);
        screen.wait_for("downloads finished").await;
    })
    .await;
    let screen = screen.join("\n");
    assert!(screen.contains("downloads finished: 10 saved"), "{screen}");
    // The ten newest files (two may share a name: the second is saved beside the first), each
    // with exactly the server's bytes, and nothing else.
    let mut want: Vec<Vec<u8>> = (190..200).map(|i| content(&s.server.dataset, i)).collect();
    want.sort();
    let got = saved_contents(&dir);
    assert_eq!(got.len(), 10, "ten files saved");
    assert!(got == want, "the ten newest files' bytes");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A download directory that does not exist yet is created, parents and all.
#[tokio::test(flavor = "multi_thread")]
async fn a_missing_download_directory_is_created() {
    let mut s = session("filejar", 30).await;
    let base = scratch("missing-dir");
    let dir = base.join("a/b/c");
    let typed = dir.display().to_string();
    let (screen, _) = drive(&mut s, |keys, screen| async move {
        screen.wait_for("row 1 of 30").await;
        keys.press(KeyCode::Char('d'));
        screen.wait_for(" to: ").await;
        // Ctrl-u clears the line; then the new directory.
        keys.send(KeyCode::Char('u'), KeyModifiers::CONTROL);
        keys.type_text(&typed);
        keys.press(KeyCode::Enter);
        screen.wait_for("downloads finished").await;
    })
    .await;
    assert!(
        screen.join("\n").contains("downloads finished: 1 saved"),
        "{screen:?}"
    );
    assert_eq!(saved_contents(&dir), [content(&s.server.dataset, 29)]);
    std::fs::remove_dir_all(&base).unwrap();
}

/// Files of the same names in the directory: one question for all of them. `Esc` cancels,
/// `s` skips those, `k` keeps both (the new file gets ` (1)`), `o` overwrites.
#[tokio::test(flavor = "multi_thread")]
async fn the_file_exists_answers_overwrite_keep_both_skip_and_cancel() {
    let mut s = session("filejar", 100).await;
    let names = unique_names(&s.server.dataset);
    // Two newest files with names of their own, rows 1 and 2 only if both are unique.
    let (a, b) = (99, 98);
    let (fa, fb) = (s.server.dataset.file(a), s.server.dataset.file(b));
    assert!(
        names.contains_key(&fa.file_name) && names.contains_key(&fb.file_name),
        "the two newest names are unique"
    );
    let name_a = filescope::api::content::safe_file_name(&fa.file_name, &fa.id);
    let name_b = filescope::api::content::safe_file_name(&fb.file_name, &fb.id);
    let (want_a, want_b) = (content(&s.server.dataset, a), content(&s.server.dataset, b));
    let dir = scratch("exists-answers");
    s.app.set_download_dir(dir.clone());
    std::fs::write(dir.join(&name_a), b"mine").unwrap();
    let (dir2, name_a2, name_b2) = (dir.clone(), name_a.clone(), name_b.clone());
    let (want_a2, want_b2) = (want_a.clone(), want_b.clone());
    drive(&mut s, |keys, screen| async move {
        let (dir, name_a, name_b) = (dir2, name_a2, name_b2);
        screen.wait_for("row 1 of 100").await;
        let mark_both = || {
            // Mark the first two rows, then `d` and Enter.
            keys.press(KeyCode::Char('g'));
            keys.type_text("  ");
        };
        let download = || {
            keys.press(KeyCode::Char('d'));
            keys.press(KeyCode::Enter);
        };
        // Esc: nothing happens (the marks stay).
        mark_both();
        download();
        screen.wait_for("1 of 2 files exist").await;
        keys.press(KeyCode::Esc);
        screen.wait_for("download cancelled").await;
        assert_eq!(std::fs::read(dir.join(&name_a)).unwrap(), b"mine");
        assert!(!dir.join(&name_b).exists());
        // s: the other file is saved, the existing one left alone.
        download();
        screen.wait_for("1 of 2 files exist").await;
        keys.press(KeyCode::Char('s'));
        screen.wait_for("downloads finished: 1 saved").await;
        assert_eq!(std::fs::read(dir.join(&name_a)).unwrap(), b"mine");
        assert!(std::fs::read(dir.join(&name_b)).unwrap() == want_b2);
        std::fs::remove_file(dir.join(&name_b)).unwrap();
        // k: both kept, the new one beside the old under ` (1)`.
        mark_both();
        download();
        screen.wait_for("1 of 2 files exist").await;
        keys.press(KeyCode::Char('k'));
        screen.wait_for("downloads finished: 3 saved").await;
        assert_eq!(std::fs::read(dir.join(&name_a)).unwrap(), b"mine");
        assert!(std::fs::read(dir.join(&name_b)).unwrap() == want_b2);
        let kept: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.') && *n != name_a && *n != name_b)
            .collect();
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert!(kept[0].contains(" (1)"), "{kept:?}");
        assert!(std::fs::read(dir.join(&kept[0])).unwrap() == want_a2);
        std::fs::remove_file(dir.join(&kept[0])).unwrap();
        // o: overwritten (the file of the other name too, which exists now).
        mark_both();
        download();
        screen.wait_for("2 of 2 files exist").await;
        keys.press(KeyCode::Char('o'));
        screen.wait_for("downloads finished: 5 saved").await;
    })
    .await;
    assert!(std::fs::read(dir.join(&name_a)).unwrap() == want_a);
    assert!(std::fs::read(dir.join(&name_b)).unwrap() == want_b);
    assert_eq!(saved_contents(&dir).len(), 2, "nothing else was written");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A FileJar-shaped server of a few files whose bytes the test chooses, its CDN on the same
/// origin, able to misbehave in ways the demo does not: hold the bytes until the test lets
/// them go, drop the connection in the middle of the first answer, ignore Range.
#[derive(Clone, Default)]
struct Cdn {
    files: Arc<Vec<(String, Vec<u8>)>>,
    gate: Option<Arc<tokio::sync::Semaphore>>,
    cut_first_at: Option<usize>,
    ignore_range: bool,
    /// Answer the first list request with a 429 and `Retry-After: 2`.
    throttle_first_list: bool,
    log: Arc<Mutex<CdnLog>>,
}

#[derive(Debug, Default)]
struct CdnLog {
    /// The Range header of every request for bytes, in order.
    ranges: Vec<Option<String>>,
    in_flight: usize,
    max_in_flight: usize,
    cut: bool,
    lists: usize,
}

/// Counts a request for bytes as in flight until it is dropped.
struct InFlight(Arc<Mutex<CdnLog>>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.lock().unwrap().in_flight -= 1;
    }
}

impl Cdn {
    fn new(files: Vec<(String, Vec<u8>)>) -> Self {
        Cdn {
            files: Arc::new(files),
            ..Cdn::default()
        }
    }

    fn log(&self) -> std::sync::MutexGuard<'_, CdnLog> {
        self.log.lock().unwrap()
    }

    /// Starts it on 127.0.0.1 and returns a client of the explorer's kind for it.
    async fn start(&self) -> (String, Client) {
        use axum::extract::{Path as UrlPath, State};
        use axum::http::{HeaderMap, StatusCode, header};
        use axum::response::{IntoResponse, Response};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        async fn list(State((cdn, base)): State<(Cdn, String)>) -> Response {
            let asked = {
                let mut log = cdn.log();
                log.lists += 1;
                log.lists
            };
            if asked == 1 && cdn.throttle_first_list {
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(header::RETRY_AFTER, "2")],
                    "slow down",
                )
                    .into_response();
            }
            let records: Vec<serde_json::Value> = cdn
                .files
                .iter()
                .enumerate()
                .map(|(i, (name, bytes))| {
                    serde_json::json!({
                        "id": format!("file-{i}"),
                        "key": format!("org/{name}"),
                        "url": format!("{base}/cdn/{i}"),
                        "file_name": name,
                        "content_type": "application/octet-stream",
                        "size": bytes.len(),
                        "created_at": format!("2024-03-02T09:{:02}:00Z", 59 - i),
                    })
                })
                .collect();
            axum::Json(serde_json::json!({
                "success": true,
                "org_name": "Test CDN",
                "pagination": {"total": records.len()},
                "files": records,
            }))
            .into_response()
        }
        async fn bytes(
            State((cdn, _)): State<(Cdn, String)>,
            UrlPath(i): UrlPath<usize>,
            headers: HeaderMap,
        ) -> Response {
            let range = headers
                .get(header::RANGE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let _flight = {
                let mut log = cdn.log();
                log.ranges.push(range.clone());
                log.in_flight += 1;
                log.max_in_flight = log.max_in_flight.max(log.in_flight);
                InFlight(cdn.log.clone())
            };
            if let Some(gate) = &cdn.gate {
                gate.acquire().await.unwrap().forget();
            }
            let whole = cdn.files[i].1.clone();
            let etag = [(header::ETAG, "\"v1\"")];
            let cut = cdn
                .cut_first_at
                .filter(|_| !std::mem::replace(&mut cdn.log().cut, true));
            if let Some(at) = cut {
                // The whole length announced, half the bytes sent, then the connection drops.
                let head = axum::body::Bytes::copy_from_slice(&whole[..at]);
                let stream = futures::stream::iter([
                    Ok(head),
                    Err(std::io::Error::other("connection dropped")),
                ]);
                return (
                    StatusCode::OK,
                    etag,
                    [(header::CONTENT_LENGTH, whole.len().to_string())],
                    axum::body::Body::from_stream(stream),
                )
                    .into_response();
            }
            let start = range
                .as_deref()
                .filter(|_| !cdn.ignore_range)
                .and_then(|r| r.strip_prefix("bytes="))
                .and_then(|r| r.split_once('-'))
                .map(|(a, b)| {
                    let a: usize = a.parse().unwrap();
                    let b: usize = b
                        .parse()
                        .map_or(whole.len() - 1, |b: usize| b.min(whole.len() - 1));
                    (a, b)
                });
            match start {
                Some((a, b)) => (
                    StatusCode::PARTIAL_CONTENT,
                    etag,
                    [(
                        header::CONTENT_RANGE,
                        format!("bytes {a}-{b}/{}", whole.len()),
                    )],
                    whole[a..=b].to_vec(),
                )
                    .into_response(),
                None => (StatusCode::OK, etag, whole).into_response(),
            }
        }
        let app = axum::Router::new()
            .route("/v1/files/organization-files", axum::routing::get(list))
            .route("/cdn/{i}", axum::routing::get(bytes))
            .with_state((self.clone(), base.clone()));
        tokio::spawn(async move { axum::serve(listener, app).await });
        let conn = Connection::new(
            by_id("filejar").unwrap(),
            base.parse().unwrap(),
            Some(Secret::new(KEY)),
        );
        (base, Client::new(conn).unwrap())
    }
}

/// Bytes that say where they are: any slice of them can be told from any other.
fn numbered(len: usize, salt: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(31) as u8) ^ ((i >> 8) as u8) ^ salt)
        .collect()
}

/// Three downloads run at once and the rest wait their turn; `j`/`k` choose a download in the
/// panel and `Esc` cancels the chosen one; `C` cancels all, and a queued download cancelled
/// never makes a request.
#[tokio::test(flavor = "multi_thread")]
async fn three_downloads_at_once_the_rest_queue_and_the_panel_keys_cancel() {
    let files: Vec<(String, Vec<u8>)> = (0..5)
        .map(|i| (format!("part-{i}.bin"), numbered(50_000, i as u8)))
        .collect();
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let cdn = Cdn {
        gate: Some(gate.clone()),
        ..Cdn::new(files.clone())
    };
    let (_base, client) = cdn.start().await;
    let dir = scratch("queue");
    let mut app = explorer(&client, Settings::default());
    app.set_download_dir(dir.clone());
    // Rows that say so (the panel's title counts them too).
    let queued = |screen: &str| {
        screen
            .lines()
            .filter(|l| l.contains("queued") && !l.contains("Transfers"))
            .count()
    };
    let (cdn2, gate2) = (cdn.clone(), gate.clone());
    drive_app(&mut app, &client, |keys, screen| async move {
        let (cdn, gate) = (cdn2, gate2);
        screen.wait_for("row 1 of 5").await;
        keys.type_text("     d");
        keys.press(KeyCode::Enter);
        // Three at the server, held there; two waiting in the panel.
        screen
            .wait_until("three running and two queued", |s| {
                cdn.log().in_flight == 3 && queued(s) == 2
            })
            .await;
        // `t` gives the panel the keys: down twice, up once, down once: the third download.
        keys.type_text("tjjkj");
        keys.press(KeyCode::Esc);
        // Seen cancelled before anything is let go: the keys and the answers race otherwise.
        screen.wait_for("cancelled").await;
        // Let every held answer go: the four left are saved, the third never is.
        gate.add_permits(5);
        screen.wait_for("downloads finished").await;
    })
    .await;
    assert_eq!(cdn.log().max_in_flight, 3, "never more than three at once");
    for (i, (name, bytes)) in files.iter().enumerate() {
        let path = dir.join(name);
        if i == 2 {
            assert!(!path.exists(), "the chosen download was cancelled");
        } else {
            assert!(std::fs::read(&path).unwrap() == *bytes, "{name}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();

    // `C` with three held at the server and two queued: nothing is saved, and the queued two
    // never ask.
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let cdn = Cdn {
        gate: Some(gate.clone()),
        ..Cdn::new(files.clone())
    };
    let (_base, client) = cdn.start().await;
    let dir = scratch("queue-cancel-all");
    let mut app = explorer(&client, Settings::default());
    app.set_download_dir(dir.clone());
    let cdn2 = cdn.clone();
    let (screen, _) = drive_app(&mut app, &client, |keys, screen| async move {
        let cdn = cdn2;
        screen.wait_for("row 1 of 5").await;
        keys.type_text("     d");
        keys.press(KeyCode::Enter);
        screen
            .wait_until("three running and two queued", |s| {
                cdn.log().in_flight == 3 && queued(s) == 2
            })
            .await;
        keys.type_text("tC");
        screen.wait_for("downloads finished: 0 saved").await;
    })
    .await;
    drop(gate);
    assert_eq!(cdn.log().ranges.len(), 3, "the queued two never asked");
    assert!(
        saved_contents(&dir).is_empty(),
        "nothing under a final name: {screen:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A connection that drops in the middle of a download is resumed with a Range request for
/// the rest, and the file is whole.
#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_connection_resumes_with_a_range_for_the_rest() {
    let bytes = numbered(3 << 20, 7);
    let cdn = Cdn {
        cut_first_at: Some(1 << 20),
        ..Cdn::new(vec![("big.bin".into(), bytes.clone())])
    };
    let (_base, client) = cdn.start().await;
    let dir = scratch("dropped");
    let mut app = explorer(&client, Settings::default());
    app.set_download_dir(dir.clone());
    let (screen, _) = drive_app(&mut app, &client, |keys, screen| async move {
        screen.wait_for("row 1 of 1").await;
        keys.press(KeyCode::Char('d'));
        keys.press(KeyCode::Enter);
        screen.wait_for("downloads finished").await;
    })
    .await;
    assert!(
        screen.join("\n").contains("downloads finished: 1 saved"),
        "{screen:?}"
    );
    assert!(std::fs::read(dir.join("big.bin")).unwrap() == bytes);
    let ranges = cdn.log().ranges.clone();
    assert_eq!(ranges.len(), 2, "{ranges:?}");
    assert_eq!(ranges[0], None, "the first request asks for everything");
    assert_eq!(
        ranges[1].as_deref(),
        Some("bytes=1048576-"),
        "the second asks for the rest only"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A server that ignores Range answers a resumed download with the whole file: the part is
/// started over, never spliced, and the file is exact.
#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_ignores_range_gets_the_whole_file_again() {
    let bytes = numbered(600_000, 3);
    let cdn = Cdn {
        ignore_range: true,
        ..Cdn::new(vec![("whole.bin".into(), bytes.clone())])
    };
    let (_base, client) = cdn.start().await;
    let dir = scratch("ignores-range");
    // What an earlier, interrupted attempt at this file left: its first 1000 bytes, wrong
    // on purpose so splicing would show.
    let part = part_path(&dir.join("whole.bin"), "file-0");
    std::fs::write(&part, vec![b'x'; 1000]).unwrap();
    let mut validator = part.as_os_str().to_owned();
    validator.push(".validator");
    std::fs::write(&validator, "\"v1\"").unwrap();
    let mut app = explorer(&client, Settings::default());
    app.set_download_dir(dir.clone());
    let (screen, _) = drive_app(&mut app, &client, |keys, screen| async move {
        screen.wait_for("row 1 of 1").await;
        keys.press(KeyCode::Char('d'));
        keys.press(KeyCode::Enter);
        screen.wait_for("downloads finished").await;
    })
    .await;
    assert!(
        screen.join("\n").contains("downloads finished: 1 saved"),
        "{screen:?}"
    );
    assert_eq!(
        cdn.log().ranges.first().cloned().flatten().as_deref(),
        Some("bytes=1000-"),
        "the resume was asked for"
    );
    assert!(std::fs::read(dir.join("whole.bin")).unwrap() == bytes);
    assert!(!part.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn p_shows_the_first_lines_of_a_text_file() {
    let mut s = session("filejar", 300).await;
    // The newest text file; its first line comes from the content generator.
    let index = (0..300)
        .rev()
        .find(|i| {
            let f = s.server.dataset.file(*i);
            f.content_type == "text/plain" && f.size > 100
        })
        .unwrap();
    let bytes = content(&s.server.dataset, index);
    let first_line = String::from_utf8_lossy(&bytes)
        .lines()
        .next()
        .unwrap()
        .to_string();
    // Newest first: dataset index i is row 300 - i, on the first page (loaded at start).
    let row = 300 - index;
    assert!(row <= 100, "row {row} is on the first page");
    let (screen, _) = drive(&mut s, |keys, screen| async move {
        screen.wait_for("row 1 of 300").await;
        keys.type_text(&format!(":{row}"));
        keys.press(KeyCode::Enter);
        keys.press(KeyCode::Char('p'));
        screen.wait_for("e opens in $PAGER").await;
    })
    .await;
    let screen = screen.join("\n");
    let shown: String = filescope::text::sanitize(&first_line)
        .chars()
        .take(60)
        .collect();
    assert!(screen.contains(&shown), "{shown:?} in\n{screen}");
    assert!(screen.contains(" text · "), "{screen}");
}

/// Bytes that are not text are shown as a hex dump: offset, sixteen bytes in hex, then ASCII.
#[tokio::test(flavor = "multi_thread")]
async fn p_shows_a_hex_dump_of_a_binary_file() {
    let mut s = session("filejar", 100).await;
    let index = (0..100)
        .rev()
        .find(|i| s.server.dataset.file(*i).content_type == "image/png")
        .expect("a PNG among the newest files");
    let bytes = content(&s.server.dataset, index);
    let hex: Vec<String> = bytes[..16].iter().map(|b| format!("{b:02x}")).collect();
    let first = format!("00000000  {}", hex.join(" "));
    let second: Vec<String> = bytes[16..32].iter().map(|b| format!("{b:02x}")).collect();
    let second = format!("00000010  {}", second.join(" "));
    let row = 100 - index;
    let (screen, _) = drive(&mut s, |keys, screen| async move {
        screen.wait_for("row 1 of 100").await;
        keys.type_text(&format!(":{row}"));
        keys.press(KeyCode::Enter);
        keys.press(KeyCode::Char('p'));
        screen.wait_for("binary: hex dump").await;
    })
    .await;
    let screen = screen.join("\n");
    assert!(screen.contains(&first), "{first:?} in\n{screen}");
    assert!(screen.contains(&second), "{second:?} in\n{screen}");
}

/// Open WebUI's preview is the API's extracted text (`/files/{id}/data/content`), not the
/// file's bytes.
#[tokio::test(flavor = "multi_thread")]
async fn open_webui_previews_the_extracted_text() {
    let mut s = session("openwebui", 40).await;
    let selected = first_records(&s.client, 1).await.remove(0);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let extracted: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/files/{}/data/content",
            s.server.base_url, selected.id
        ))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = extracted["content"].as_str().unwrap().to_string();
    let first_line = text.lines().next().unwrap().to_string();
    assert!(!first_line.trim().is_empty());
    let (screen, _) = drive(&mut s, |keys, screen| async move {
        screen.wait_for("row 1 of 40").await;
        keys.press(KeyCode::Char('p'));
        screen.wait_for("the API's extracted text").await;
    })
    .await;
    let screen = screen.join("\n");
    let shown: String = filescope::text::sanitize(&first_line)
        .chars()
        .take(50)
        .collect();
    assert!(screen.contains(&shown), "{shown:?} in\n{screen}");
}

/// The preview asks for the first 256 KiB only (`Range: bytes=0-262143`); from a server that
/// ignores Range it reads no further than that either.
#[tokio::test(flavor = "multi_thread")]
async fn the_preview_reads_only_the_first_256_kib() {
    let line = "a line of text that repeats\n";
    let text = line.repeat((1 << 20) / line.len()).into_bytes();
    for ignore_range in [false, true] {
        let cdn = Cdn {
            ignore_range,
            ..Cdn::new(vec![("long.txt".into(), text.clone())])
        };
        let (_base, client) = cdn.start().await;
        let mut app = explorer(&client, Settings::default());
        let (screen, _) = drive_app(&mut app, &client, |keys, screen| async move {
            screen.wait_for("row 1 of 1").await;
            keys.press(KeyCode::Char('p'));
            screen.wait_for("e opens in $PAGER").await;
        })
        .await;
        let screen = screen.join("\n");
        assert!(
            screen.contains("text · first 256"),
            "ignore_range {ignore_range}: {screen}"
        );
        assert!(screen.contains("a line of text that repeats"), "{screen}");
        // 262,144 bytes hold 9,362 whole lines and a piece of one more.
        assert!(screen.contains("of 9363"), "all the lines read: {screen}");
        assert_eq!(
            cdn.log().ranges,
            [Some("bytes=0-262143".to_string())],
            "ignore_range {ignore_range}"
        );
    }
}

/// Where a page of the listing is answered with a 429 first, the status line says the
/// explorer is waiting and retrying, then the rows arrive.
#[tokio::test(flavor = "multi_thread")]
async fn a_retry_is_said_in_the_status_line() {
    let files = (0..3)
        .map(|i| (format!("doc-{i}.txt"), vec![b'x'; 10]))
        .collect();
    let cdn = Cdn {
        throttle_first_list: true,
        ..Cdn::new(files)
    };
    let (_base, client) = cdn.start().await;
    let mut app = explorer(&client, Settings::default());
    let (screen, _) = drive_app(&mut app, &client, |_, screen| async move {
        screen
            .wait_for("rate limited by the server, retrying in 2 s (attempt 2 of 4)")
            .await;
        screen.wait_for("row 1 of 3").await;
    })
    .await;
    assert_eq!(cdn.log().lists, 2, "one refusal, then asked again");
    assert!(screen.join("\n").contains("doc-0.txt"), "{screen:?}");
}

/// Delete where the API has the endpoint and the profile allows it: the request reaches the
/// file's own URL (the demo looks the file up first, then refuses as read-only) and the
/// refusal is reported with the server's words.
#[tokio::test(flavor = "multi_thread")]
async fn delete_in_fileguard_and_astracollab_reaches_the_server_and_reports_its_refusal() {
    for dialect in ["fileguard", "astracollab"] {
        let (server, _) = serve(dialect, 20, None).await;
        let mut conn = Connection::new(
            by_id(dialect).unwrap(),
            server.base_url.parse().unwrap(),
            Some(Secret::new(KEY)),
        );
        conn.allow_delete = true;
        let client = Client::new(conn).unwrap();
        let mut app = explorer(&client, Settings::default());
        let (screen, _) = drive_app(&mut app, &client, |keys, screen| async move {
            screen.wait_for("row 1 of 20").await;
            keys.press(KeyCode::Char('D'));
            keys.type_text("1");
            keys.press(KeyCode::Enter);
            screen.wait_for("refused").await;
        })
        .await;
        let screen = screen.join("\n");
        assert!(
            screen.contains("deleted 0, 1 refused: HTTP 403"),
            "{dialect}: {screen}"
        );
        // The file's own URL, and the server's own words (the line is cut at the width).
        let (path, said) = match dialect {
            "fileguard" => ("/api/v1/files/file_", ": Read-only server"),
            _ => ("/v1/files/file_", ": READ_ONLY: The demo server"),
        };
        assert!(screen.contains(path), "{dialect}: {screen}");
        assert!(screen.contains(said), "{dialect}: {screen}");
        assert!(server.stats.requests() >= 2, "{dialect}");
    }
}

/// The export writes the view (its sort and filter, every page) or the marked files, in the
/// format its name says; checked against the demo's dataset, never against the client.
#[tokio::test(flavor = "multi_thread")]
async fn export_writes_the_sorted_filtered_view_and_the_marked_files_in_each_format() {
    let mut s = session("filejar", 2_500).await;
    let dataset = &s.server.dataset;
    // Independently: the files whose name, id or storage key contains "report" (FileJar's
    // search), largest first.
    let mut expected: Vec<_> = (0..dataset.len())
        .map(|i| dataset.file(i))
        .filter(|f| {
            [&f.id, &f.key, &f.file_name]
                .iter()
                .any(|t| t.to_lowercase().contains("report"))
        })
        .collect();
    expected.sort_by_key(|f| std::cmp::Reverse(f.size));
    assert!(expected.len() > 100, "more than a page: {}", expected.len());
    let by_id: HashMap<String, filescope_demo::DemoFile> =
        expected.iter().map(|f| (f.id.clone(), f.clone())).collect();
    let dir = scratch("export");
    let view = |ext: &str| dir.join(format!("view.{ext}"));
    let (ndjson, csv, json, marked, again) = (
        view("ndjson"),
        view("csv"),
        view("json"),
        dir.join("marked.json"),
        view("ndjson"),
    );
    let count = expected.len();
    let paths = [ndjson.clone(), csv.clone(), json.clone()];
    let (marked2, again2) = (marked.clone(), again.clone());
    drive(&mut s, |keys, screen| async move {
        screen.wait_for("row 1 of 2,500").await;
        // Sort by size (largest first), then filter.
        keys.type_text("os/report");
        keys.press(KeyCode::Enter);
        screen
            .wait_for(&format!("of {}", filescope::text::thousands(count)))
            .await;
        for path in &paths {
            keys.press(KeyCode::Char('x'));
            screen.wait_for("(.ndjson, .csv, .json)").await;
            keys.send(KeyCode::Char('u'), KeyModifiers::CONTROL);
            keys.type_text(&path.display().to_string());
            keys.press(KeyCode::Enter);
            screen
                .wait_for(&format!(
                    "exported {} records",
                    filescope::text::thousands(count)
                ))
                .await;
        }
        // An existing file is not overwritten.
        keys.press(KeyCode::Char('x'));
        screen.wait_for("(.ndjson, .csv, .json)").await;
        keys.send(KeyCode::Char('u'), KeyModifiers::CONTROL);
        keys.type_text(&again2.display().to_string());
        keys.press(KeyCode::Enter);
        // The prompt comes back offering a free name; Esc leaves the file as it was.
        screen.wait_for("that file exists").await;
        keys.press(KeyCode::Esc);
        // Three marked rows: the export holds just those.
        keys.press(KeyCode::Char('g'));
        keys.type_text("   x");
        screen.wait_for("(.ndjson, .csv, .json)").await;
        keys.send(KeyCode::Char('u'), KeyModifiers::CONTROL);
        keys.type_text(&marked2.display().to_string());
        keys.press(KeyCode::Enter);
        screen.wait_for("exported 3 records").await;
    })
    .await;

    // Each record: the dataset's file of that id, in size order, every match exactly once.
    let check = |format: &str, records: &[serde_json::Value]| {
        assert_eq!(records.len(), expected.len(), "{format}");
        for (record, want_size) in records.iter().zip(expected.iter().map(|f| f.size)) {
            let id = record["id"].as_str().unwrap();
            let file = by_id
                .get(id)
                .unwrap_or_else(|| panic!("{format}: {id} is not a match"));
            assert_eq!(record["size"].as_u64(), Some(file.size), "{format} {id}");
            assert_eq!(file.size, want_size, "{format}: largest first");
            assert_eq!(
                record["content_type"].as_str(),
                Some(file.content_type),
                "{format} {id}"
            );
        }
        let mut ids: Vec<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), expected.len(), "{format}: each once");
    };
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&ndjson)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    check("ndjson", &lines);
    for record in &lines {
        let file = &by_id[record["id"].as_str().unwrap()];
        assert_eq!(record["name"].as_str(), Some(file.file_name.as_str()));
    }
    let array: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(array, lines, "JSON holds the same records as NDJSON");
    let rows = parse_csv(&std::fs::read_to_string(&csv).unwrap());
    assert_eq!(
        rows[0],
        [
            "id",
            "name",
            "size",
            "content_type",
            "created_at",
            "updated_at",
            "url"
        ]
    );
    let from_csv: Vec<serde_json::Value> = rows[1..]
        .iter()
        .map(|r| serde_json::json!({"id": r[0], "size": r[2].parse::<u64>().unwrap(), "content_type": r[3]}))
        .collect();
    check("csv", &from_csv);
    for row in &rows[1..] {
        // Names a spreadsheet would not run, with no controls, are written as they are.
        let name = &by_id[&row[0]].file_name;
        if !name.starts_with(['=', '+', '-', '@', '\t', '\r'])
            && !name.chars().any(char::is_control)
        {
            assert_eq!(&row[1], name);
        }
    }
    let before = std::fs::read(&again).unwrap();
    assert_eq!(
        before,
        std::fs::read(&ndjson).unwrap(),
        "the first export is intact"
    );
    let marked: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&marked).unwrap()).unwrap();
    let marked_ids: Vec<&str> = marked.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let first_three: Vec<&str> = lines[..3]
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(marked_ids, first_three, "the three marked rows, in order");
    let hidden: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "no part file left behind");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// RFC 4180 CSV: quoted cells may hold commas, quotes (doubled) and line breaks.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, c) => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}

/// Bytes left by an attempt at content that has changed since (the validator no longer
/// matches): the server sends the whole file again and nothing old is spliced in.
#[tokio::test(flavor = "multi_thread")]
async fn a_part_from_changed_content_is_not_spliced_in() {
    let (server, client) = serve("filejar", 100, None).await;
    let dir = scratch("if-range");
    let (record, index) = known_files(&server, &client, 1).await.remove(0);
    let path = dir.join("f.bin");
    let part = part_path(&path, &record.id);
    std::fs::write(&part, vec![b'x'; 100]).unwrap();
    let mut validator = part.as_os_str().to_owned();
    validator.push(".validator");
    std::fs::write(&validator, "\"an-etag-from-before\"").unwrap();
    let saved = download(&client, &record, &path, Conflict::Fail, &never(), |_| {})
        .await
        .unwrap();
    assert_eq!(saved.resumed_from, 0, "started over");
    assert!(std::fs::read(&path).unwrap() == content(&server.dataset, index));
    assert!(!part.exists() && !std::path::Path::new(&validator).exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
