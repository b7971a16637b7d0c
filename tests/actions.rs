//! Acting on files against the embedded demo server over real HTTP on 127.0.0.1: downloads in
//! every dialect (complete, cancelled, resumed, checksum mismatch), the copy menu's OSC 52
//! bytes, the preview, export equal to `ls`, and delete refused. Expected bytes come from the
//! demo's own content generator, never from the client.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use filescope::api::content::{Conflict, TransferError, download, part_path};
use filescope::api::dialect::by_id;
use filescope::api::{Client, Connection, FileRecord, ListQuery, PageRequest, Secret};
use filescope::app::{App, ConnectionInfo};
use filescope::runtime;
use filescope::test_support::RecordingHost;
use filescope_demo::content::{CORRUPT_INDEX, content};
use filescope_demo::{Dataset, DemoConfig, DemoServer};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const KEY: &str = "test-key";

/// A cancel that never comes.
fn never() -> tokio_util::sync::CancellationToken {
    tokio_util::sync::CancellationToken::new()
}

async fn serve(dialect: &str, files: usize, bandwidth: Option<u64>) -> (DemoServer, Client) {
    let server = DemoServer::start(
        "127.0.0.1:0".parse().unwrap(),
        DemoConfig {
            files,
            api_key: KEY.into(),
            dialect: dialect.into(),
            bandwidth,
            ..DemoConfig::default()
        },
    )
    .await
    .unwrap();
    let conn = Connection::new(
        by_id(dialect).unwrap(),
        server.base_url.parse().unwrap(),
        Some(Secret::new(KEY)),
    );
    (server, Client::new(conn).unwrap())
}

/// A fresh, empty directory for one test.
fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("filescope-actions-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
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
            assert_eq!(saved.verified, dialect == "fileguard", "{dialect}");
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

/// The explorer's own loop on a TestBackend, keys typed as a user would.
struct Session {
    server: DemoServer,
    client: Client,
    app: App,
}

async fn session(dialect: &str, files: usize) -> Session {
    let (server, client) = serve(dialect, files, None).await;
    let dialect = by_id(dialect).unwrap();
    let page_size = dialect.capabilities().ui_page_size;
    let app = App::new(
        ConnectionInfo {
            label: "demo".into(),
            dialect: dialect.id(),
        },
        dialect,
        page_size,
        Default::default(),
    );
    Session {
        server,
        client,
        app,
    }
}

fn key(code: KeyCode) -> std::io::Result<Event> {
    Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// Runs the loop, typing `script` (a key, then a pause in milliseconds), and returns the
/// screen and what reached the terminal outside the frames.
async fn drive(s: &mut Session, script: Vec<(KeyCode, u64)>) -> (Vec<String>, RecordingHost) {
    let mut terminal = Terminal::new(TestBackend::new(120, 30)).unwrap();
    let (tx, rx) = futures::channel::mpsc::unbounded();
    let driver = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        for (code, pause) in script {
            tx.unbounded_send(key(code)).unwrap();
            tokio::time::sleep(Duration::from_millis(pause)).await;
        }
        // Ctrl-c quits from any view and leaves that view as the last frame drawn.
        tx.unbounded_send(Ok(Event::Key(KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL,
        ))))
        .unwrap();
        // Closes the queue only after the loop has seen the quit.
        tokio::time::sleep(Duration::from_millis(500)).await;
        drop(tx);
    });
    let mut host = RecordingHost::default();
    runtime::run(
        &mut terminal,
        &mut s.app,
        s.client.clone(),
        rx,
        std::future::pending(),
        &mut host,
    )
    .await
    .unwrap();
    driver.abort();
    (common::screen_lines(&terminal), host)
}

#[tokio::test(flavor = "multi_thread")]
async fn y_i_puts_the_selected_id_in_the_clipboard_by_osc52() {
    let mut s = session("filejar", 50).await;
    let newest = s.server.dataset.file(49);
    let (screen, host) = drive(
        &mut s,
        vec![(KeyCode::Char('y'), 100), (KeyCode::Char('i'), 200)],
    )
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

#[tokio::test(flavor = "multi_thread")]
async fn ten_marked_files_download_into_the_chosen_directory() {
    let mut s = session("filejar", 200).await;
    let dir = scratch("ten");
    s.app.set_download_dir(dir.clone());
    let mut script: Vec<(KeyCode, u64)> = (0..10).map(|_| (KeyCode::Char(' '), 30)).collect();
    script.push((KeyCode::Char('d'), 100));
    script.push((KeyCode::Enter, 3000));
    let (screen, _) = drive(&mut s, script).await;
    let screen = screen.join("\n");
    assert!(screen.contains("downloads finished: 10 saved"), "{screen}");
    let names = unique_names(&s.server.dataset);
    let mut saved = 0;
    for i in (190..200).rev() {
        let file = s.server.dataset.file(i);
        let name = filescope::api::content::safe_file_name(&file.file_name, &file.id);
        let got = std::fs::read(dir.join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        if names.contains_key(&file.file_name) {
            assert!(got == content(&s.server.dataset, i), "{name}");
        }
        saved += 1;
    }
    assert_eq!(saved, 10);
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
    // Newest first: dataset index i is row 300 - i.
    let row = (300 - index).to_string();
    let script: Vec<(KeyCode, u64)> = std::iter::once((KeyCode::Char(':'), 50))
        .chain(row.chars().map(|c| (KeyCode::Char(c), 5)))
        .chain([(KeyCode::Enter, 500), (KeyCode::Char('p'), 800)])
        .collect();
    let (screen, _) = drive(&mut s, script).await;
    let screen = screen.join("\n");
    let shown: String = filescope::text::sanitize(&first_line)
        .chars()
        .take(60)
        .collect();
    assert!(screen.contains(&shown), "{shown:?} in\n{screen}");
    assert!(screen.contains("e opens in $PAGER"), "{screen}");
}

/// Export of the whole view writes exactly what `filescope ls --all` prints for it.
#[tokio::test(flavor = "multi_thread")]
async fn export_of_the_view_equals_ls() {
    let mut s = session("filejar", 2_500).await;
    let dir = scratch("export");
    s.app.set_download_dir(dir.clone());
    let (_, _) = drive(
        &mut s,
        vec![(KeyCode::Char('x'), 100), (KeyCode::Enter, 2500)],
    )
    .await;
    let exported = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "ndjson"))
        .expect("an export file");
    let ls = std::process::Command::new(env!("CARGO_BIN_EXE_filescope"))
        .env("FILESCOPE_DATA_DIR", &dir)
        .env("FILESCOPE_API_KEY", KEY)
        .env("FILESCOPE_CONFIG", dir.join("none.toml"))
        .args([
            "ls",
            "--dialect",
            "filejar",
            "--url",
            &s.server.base_url,
            "--all",
        ])
        .output()
        .unwrap();
    assert!(
        ls.status.success(),
        "{}",
        String::from_utf8_lossy(&ls.stderr)
    );
    let written = std::fs::read(&exported).unwrap();
    assert_eq!(written.iter().filter(|b| **b == b'\n').count(), 2_500);
    assert!(
        written == ls.stdout,
        "the export is byte for byte the ls output"
    );
    std::fs::remove_dir_all(&dir).unwrap();
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
