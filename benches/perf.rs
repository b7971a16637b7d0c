//! The performance harness: `cargo bench --bench perf` (add `-- --quick` for a shorter run).
//!
//! It starts the embedded demo server with a chosen size and latency, drives the real app logic
//! and renderer (and the real binary in a pseudo-terminal for start-up), and prints every
//! figure of docs/PERFORMANCE.md beside its target and a naive baseline measured in the same
//! run. Nothing here asserts: the numbers are the result.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use crossterm::event::KeyCode;
use filescope::api::dialect::{Page, PageRequest};
use filescope::api::{Client, Connection, FileRecord, ListQuery, Order, Secret, Sort, SortField};
use filescope::app::{App, Effect, ListingEffect, ListingMsg, Msg};
use filescope::listing::{PagedList, Row};
use filescope::test_support::{Demo, Executor};
use filescope_demo::DemoServer;
use ratatui::Terminal;
use ratatui::backend::{CrosstermBackend, TestBackend};
use serde_json::value::RawValue;

/// The stand-ins for the services AWS credentials come from (IMDSv2, the container endpoint,
/// STS, the SSO portal), shared with the tests.
#[allow(dead_code)]
#[path = "../tests/it/aws_services.rs"]
mod aws_services;

const KEY: &str = "bench-key";
const WIDTH: u16 = 200;
const HEIGHT: u16 = 60;

/// One printed line: what, measured, target, baseline.
struct Line {
    id: &'static str,
    what: String,
    measured: String,
    target: String,
    baseline: String,
}

#[derive(Default)]
struct Report {
    lines: Vec<Line>,
}

impl Report {
    fn add(
        &mut self,
        id: &'static str,
        what: &str,
        measured: String,
        target: &str,
        baseline: String,
    ) {
        eprintln!("  {id:<3} {what}: {measured}");
        self.lines.push(Line {
            id,
            what: what.to_string(),
            measured,
            target: target.to_string(),
            baseline,
        });
    }

    fn print(&self) {
        println!("\n| # | figure | measured | target | naive baseline |");
        println!("|---|---|---|---|---|");
        for l in &self.lines {
            println!(
                "| {} | {} | {} | {} | {} |",
                l.id, l.what, l.measured, l.target, l.baseline
            );
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

async fn demo(files: usize, latency_ms: u64) -> DemoServer {
    Demo::new(files)
        .latency(Duration::from_millis(latency_ms))
        .key(KEY)
        .start()
        .await
}

fn client(server: &DemoServer) -> Client {
    filescope::test_support::client("filejar", &server.base_url, Some(KEY))
}

fn new_app() -> App {
    app_for("filejar")
}

fn app_for(dialect: &str) -> App {
    filescope::test_support::app_for(dialect, 100)
}

/// A key press, as the tests make them.
use filescope::test_support::code as key;

fn visible_pending(app: &App) -> bool {
    let len = app.row_count();
    app.cursor()
        .visible(len)
        .any(|i| matches!(app.row(i), Row::Pending))
}

/// Applies answers until the screen has no placeholder (or `limit` passes).
async fn settle_screen(app: &mut App, exec: &mut Executor, limit: Duration) -> Option<Instant> {
    let deadline = tokio::time::Instant::now() + limit;
    while visible_pending(app) || app.row_count() == 0 {
        let msg = tokio::time::timeout_at(deadline, exec.recv())
            .await
            .ok()??;
        let arrived = Instant::now();
        let effects = app.update(msg, arrived);
        exec.run(effects);
        if !visible_pending(app) && app.row_count() > 0 {
            return Some(arrived);
        }
    }
    Some(Instant::now())
}

// ---------------------------------------------------------------------------------------------
// 1. First rows: the real binary in a pseudo-terminal.

fn first_rows_once(files: usize, latency: u64) -> Duration {
    first_rows_of(&[
        "demo",
        "--files",
        &files.to_string(),
        "--latency",
        &latency.to_string(),
    ])
}

/// From exec to the first row on a 120x40 pty, of the binary started with `args`.
fn first_rows_of(args: &[&str]) -> Duration {
    first_rows_with(args, &[])
}

/// [`first_rows_of`], with environment variables of its own.
fn first_rows_with(args: &[&str], envs: &[(&str, &str)]) -> Duration {
    first_rows_of_binary(env!("CARGO_BIN_EXE_filescope"), args, envs)
}

/// [`first_rows_with`], of another build of filescope (a same-run "before").
fn first_rows_of_binary(binary: &str, args: &[&str], envs: &[(&str, &str)]) -> Duration {
    use portable_pty::{CommandBuilder, PtySize, native_pty_system};
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(binary);
    cmd.args(args);
    cmd.env("TERM", "xterm-256color");
    // No instance metadata service is asked unless a run says where one is.
    cmd.env("AWS_EC2_METADATA_DISABLED", "true");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.env(
        "FILESCOPE_DATA_DIR",
        std::env::temp_dir().join("filescope-bench"),
    );
    cmd.env(
        "FILESCOPE_CONFIG",
        std::env::temp_dir().join("filescope-bench/none.toml"),
    );
    let started = Instant::now();
    let mut child = pty.slave.spawn_command(cmd).unwrap();
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().unwrap();
    let mut writer = pty.master.take_writer().unwrap();
    let seen: Arc<Mutex<Option<Duration>>> = Arc::new(Mutex::new(None));
    let seen2 = Arc::clone(&seen);
    let reader_thread = std::thread::spawn(move || {
        let mut parser = vt100::Parser::new(
            NonZeroU16::new(40).unwrap(),
            NonZeroU16::new(120).unwrap(),
            0,
        );
        let mut buf = [0u8; 16384];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            parser.process(&buf[..n]);
            let mut s = seen2.lock().unwrap();
            if s.is_none() && parser.screen().contents().contains("row 1 of") {
                *s = Some(started.elapsed());
            }
        }
    });
    let wait = Instant::now();
    while seen.lock().unwrap().is_none() && wait.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(1));
    }
    let _ = writer.write_all(b"q");
    let _ = writer.flush();
    let _ = child.wait();
    drop(writer);
    drop(pty.master);
    let _ = reader_thread.join();
    seen.lock().unwrap().unwrap_or(Duration::MAX)
}

/// First rows through each source of the AWS credential chain: the demo's S3 (1,000 objects,
/// 20 ms a request) behind the loopback stand-ins, every source handing out the demo's key
/// pair; and what discovering that there is no instance role costs.
async fn s3_credential_sources(report: &mut Report, runs: usize) {
    use filescope_demo::{S3_ACCESS_KEY, S3_SECRET_KEY};
    let server = Demo::new(1_000)
        .latency(Duration::from_millis(20))
        .dialect("s3")
        .start()
        .await;
    let services = aws_services::Services::start(Some((S3_ACCESS_KEY, S3_SECRET_KEY))).await;
    let dir = std::env::temp_dir().join("filescope-bench-creds");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let keys =
        format!("aws_access_key_id = {S3_ACCESS_KEY}\naws_secret_access_key = {S3_SECRET_KEY}\n");
    let credentials = file("credentials", &format!("[default]\n{keys}"));
    let process = format!(
        "credential_process = printf '{{\"Version\": 1, \"AccessKeyId\": \"{S3_ACCESS_KEY}\", \"SecretAccessKey\": \"{S3_SECRET_KEY}\"}}'\n"
    );
    let config = file(
        "config",
        &format!(
            "[profile base]\n{keys}[profile role]\nrole_arn = {}\nsource_profile = base\n[profile process]\n{process}{}",
            aws_services::ROLE,
            aws_services::SSO_CONFIG
        ),
    );
    aws_services::sso_cache(
        &dir,
        "corp",
        aws_services::SSO_TOKEN,
        &aws_services::expiring_in(3600),
    );
    let token = file("web-identity-token", aws_services::WEB_IDENTITY_JWT);
    let nothing = dir.join("nothing").display().to_string();
    let container = format!("{}/container/credentials", services.url);
    let home = dir.display().to_string();
    // A metadata endpoint that accepts connections and never answers.
    let silent_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent = format!("http://{}", silent_listener.local_addr().unwrap());
    let url = services.url.clone();
    let sources: Vec<(&str, Vec<(&str, String)>)> = vec![
        (
            "environment",
            vec![
                ("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY.to_string()),
                ("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY.to_string()),
            ],
        ),
        (
            "static keys in ~/.aws/credentials",
            vec![("AWS_SHARED_CREDENTIALS_FILE", credentials.clone())],
        ),
        (
            "credential_process",
            vec![("AWS_PROFILE", "process".into())],
        ),
        (
            "AssumeRole from a source profile (STS)",
            vec![("AWS_PROFILE", "role".into())],
        ),
        (
            "SSO, cached token (SSO portal)",
            vec![("AWS_PROFILE", "sso".into())],
        ),
        (
            "web identity (STS)",
            vec![
                ("AWS_WEB_IDENTITY_TOKEN_FILE", token.clone()),
                ("AWS_ROLE_ARN", aws_services::ROLE.into()),
            ],
        ),
        (
            "container endpoint",
            vec![
                ("AWS_CONTAINER_CREDENTIALS_FULL_URI", container.clone()),
                (
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                    aws_services::CONTAINER_TOKEN.into(),
                ),
            ],
        ),
        (
            "instance role (IMDSv2)",
            vec![
                ("AWS_EC2_METADATA_DISABLED", "false".into()),
                ("AWS_EC2_METADATA_SERVICE_ENDPOINT", url.clone()),
            ],
        ),
    ];
    let base = server.base_url.clone();
    // `FILESCOPE_BENCH_BEFORE=PATH`: another build, timed beside this one for the sources it
    // knows (the environment, a file), as `--dialect s3 --url` (which every build takes).
    let before = std::env::var("FILESCOPE_BENCH_BEFORE").ok();
    let rows: Vec<(String, Duration, Option<Duration>)> = tokio::task::spawn_blocking(move || {
        sources
            .into_iter()
            .map(|(source, set)| {
                let set_is_old = source == "environment" || source.starts_with("static keys");
                let mut envs: Vec<(&str, String)> = vec![
                    ("HOME", home.clone()),
                    ("AWS_CONFIG_FILE", config.clone()),
                    ("AWS_SHARED_CREDENTIALS_FILE", nothing.clone()),
                    ("AWS_ENDPOINT_URL_STS", url.clone()),
                    ("AWS_ENDPOINT_URL_SSO", url.clone()),
                ];
                envs.extend(set);
                let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let args = [
                    "--dialect",
                    "s3",
                    "--url",
                    "s3://demo/uploads/",
                    "--endpoint",
                    &base,
                ];
                let times: Vec<Duration> =
                    (0..runs).map(|_| first_rows_with(&args, &envs)).collect();
                let old = before.as_deref().filter(|_| set_is_old).map(|binary| {
                    median(
                        (0..runs)
                            .map(|_| first_rows_of_binary(binary, &args, &envs))
                            .collect(),
                    )
                });
                (source.to_string(), median(times), old)
            })
            .collect()
    })
    .await
    .unwrap();
    let environment = rows[0].1;
    for (source, took, old) in &rows {
        let over = format!(
            "{:+} ms over the environment",
            took.as_millis() as i64 - environment.as_millis() as i64
        );
        report.add(
            "13",
            &format!("S3: first rows, credentials from {source} (median of {runs})"),
            ms(*took),
            "env/file: as fast as before",
            match old {
                Some(old) => format!("{over}; the build before, same run: {}", ms(*old)),
                None => over,
            },
        );
    }
    // No credentials anywhere: what finding out that there is no instance role costs, as the
    // time `ls` takes to be refused (the demo refuses unsigned requests) with a silent
    // metadata endpoint against with the metadata service turned off.
    let base = server.base_url.clone();
    let (silent_took, off_took) = tokio::task::spawn_blocking(move || {
        let run = |imds: &[(&str, &str)]| {
            let times: Vec<Duration> = (0..runs)
                .map(|_| {
                    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_filescope"));
                    for (name, _) in std::env::vars_os() {
                        if name.to_string_lossy().starts_with("AWS_") {
                            cmd.env_remove(name);
                        }
                    }
                    let started = Instant::now();
                    cmd.env("AWS_CONFIG_FILE", "/nonexistent")
                        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
                        .env(
                            "FILESCOPE_CONFIG",
                            std::env::temp_dir().join("filescope-bench/none.toml"),
                        )
                        .envs(imds.iter().copied())
                        .args(["ls", "s3://demo/", "--endpoint", &base, "--limit", "1"])
                        .output()
                        .unwrap();
                    started.elapsed()
                })
                .collect();
            median(times)
        };
        (
            run(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &silent)]),
            run(&[("AWS_EC2_METADATA_DISABLED", "true")]),
        )
    })
    .await
    .unwrap();
    report.add(
        "13",
        "S3: no credentials anywhere, a silent metadata endpoint: the cost of finding no role",
        format!("+{} ms", silent_took.saturating_sub(off_took).as_millis()),
        "≤ about 1 s",
        format!(
            "ls refused unsigned: {} with it, {} with it turned off",
            ms(silent_took),
            ms(off_took)
        ),
    );
    drop(silent_listener);
}

/// Naive: every page, one after another, then one frame.
async fn load_everything_then_show(files: usize, latency: u64) -> Duration {
    let started = Instant::now();
    let server = demo(files, latency).await;
    let client = client(&server);
    let query = ListQuery::new(Sort {
        field: SortField::Created,
        order: Order::Desc,
    });
    let mut records = Vec::new();
    for number in 1.. {
        let page = client
            .list_page(&query, PageRequest { number, size: 1000 })
            .await
            .unwrap();
        let done = page.has_next != Some(true);
        records.extend(page.records);
        if done {
            break;
        }
    }
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal
        .draw(|f| {
            let rows: Vec<ratatui::text::Line> = records
                .iter()
                .take(38)
                .map(|r| ratatui::text::Line::from(r.name.clone()))
                .collect();
            f.render_widget(ratatui::widgets::Paragraph::new(rows), f.area());
        })
        .unwrap();
    started.elapsed()
}

fn first_rows(report: &mut Report, rt: &tokio::runtime::Runtime, runs: usize) {
    for (files, latency) in [(1_000, 0), (1_000_000, 0), (1_000, 100), (1_000_000, 100)] {
        let times: Vec<Duration> = (0..runs).map(|_| first_rows_once(files, latency)).collect();
        let baseline = if files == 1_000_000 && latency > 0 {
            // 1,000 sequential requests at 100 ms: measured per page below, not worth 100 s.
            let per_page = rt.block_on(load_everything_then_show(100_000, 0)) / 100;
            format!(
                "≈ {:.1} s (1,000 pages × ({latency} ms + {}))",
                1000.0 * (latency as f64 / 1000.0 + per_page.as_secs_f64()),
                ms(per_page)
            )
        } else {
            ms(rt.block_on(load_everything_then_show(files, latency)))
        };
        let target = if latency == 0 {
            "≤ 60 ms".to_string()
        } else {
            format!("≤ {} ms", latency + 60)
        };
        report.add(
            "1",
            &format!("first rows, {files} files, {latency} ms latency (median of {runs})"),
            ms(median(times)),
            &target,
            baseline,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Jumps on 1,000,000 files.

async fn jumps(report: &mut Report) {
    for latency in [0, 100] {
        let server = demo(1_000_000, latency).await;
        let client = client(&server);
        let mut exec = Executor::new(&client);
        let mut app = new_app();
        let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).unwrap();
        let effects = app.start(WIDTH, HEIGHT, Instant::now());
        exec.run(effects);
        settle_screen(&mut app, &mut exec, Duration::from_secs(10)).await;
        let jumps: [(&str, Vec<Msg>); 2] = [
            ("G", vec![key(KeyCode::Char('G'))]),
            (
                ":50%",
                ":50%"
                    .chars()
                    .map(|c| key(KeyCode::Char(c)))
                    .chain([key(KeyCode::Enter)])
                    .collect(),
            ),
        ];
        for (name, keys) in jumps {
            let before = server.stats.list_requests();
            for k in keys {
                let effects = app.update(k, Instant::now());
                exec.run(effects);
            }
            let arrived = settle_screen(&mut app, &mut exec, Duration::from_secs(10))
                .await
                .unwrap();
            terminal.draw(|f| filescope::ui::draw(f, &app)).unwrap();
            let painted = arrived.elapsed();
            let requests = server.stats.list_requests() - before;
            report.add(
                "2",
                &format!("{name} on 1,000,000 files at {latency} ms: requests; answer → painted"),
                format!("{requests} request(s); {}", us(painted)),
                "≤ 2 requests; ≤ 30 ms",
                "load-all: 1,000 requests".to_string(),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 3 and 9. Scrolling in real time at 100 ms latency, with adaptive prefetch and without.

struct ScrollStats {
    presses: usize,
    frames_with_placeholders: usize,
    longest_wait: Duration,
    worst_key: Duration,
    requests: u64,
}

async fn scroll(
    server: &DemoServer,
    key_code: KeyCode,
    per_second: u32,
    presses: usize,
    prefetch: bool,
) -> ScrollStats {
    scroll_on(
        server,
        client(server),
        new_app(),
        key_code,
        per_second,
        presses,
        prefetch,
    )
    .await
}

/// Holds a key on `app` over `client`, as [`scroll`] does.
async fn scroll_on(
    server: &DemoServer,
    client: Client,
    mut app: App,
    key_code: KeyCode,
    per_second: u32,
    presses: usize,
    prefetch: bool,
) -> ScrollStats {
    let mut exec = Executor::new(&client);
    app.set_prefetch(prefetch);
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).unwrap();
    let effects = app.start(WIDTH, HEIGHT, Instant::now());
    exec.run(effects);
    settle_screen(&mut app, &mut exec, Duration::from_secs(10)).await;
    let before = server.stats.list_requests();
    let mut stats = ScrollStats {
        presses,
        frames_with_placeholders: 0,
        longest_wait: Duration::ZERO,
        worst_key: Duration::ZERO,
        requests: 0,
    };
    let interval = Duration::from_secs(1) / per_second;
    let mut next = tokio::time::Instant::now();
    for _ in 0..presses {
        next += interval;
        let pressed = Instant::now();
        let effects = app.update(key(key_code), pressed);
        exec.run(effects);
        terminal.draw(|f| filescope::ui::draw(f, &app)).unwrap();
        stats.worst_key = stats.worst_key.max(pressed.elapsed());
        let waiting = visible_pending(&app);
        if waiting {
            stats.frames_with_placeholders += 1;
        }
        // Answers until the next key press, each drawn as the runtime would.
        while let Ok(Some(msg)) = tokio::time::timeout_at(next, exec.recv()).await {
            let effects = app.update(msg, Instant::now());
            exec.run(effects);
            terminal.draw(|f| filescope::ui::draw(f, &app)).unwrap();
            if waiting && !visible_pending(&app) {
                stats.longest_wait = stats.longest_wait.max(pressed.elapsed());
            }
        }
        if visible_pending(&app) {
            stats.longest_wait = stats.longest_wait.max(pressed.elapsed());
        }
    }
    stats.requests = server.stats.list_requests() - before;
    stats
}

async fn scrolling(report: &mut Report, seconds: u32) {
    let server = demo(1_000_000, 100).await;
    let cases = [
        (
            "holding j (30 rows/s)",
            KeyCode::Char('j'),
            30,
            "0 frames with placeholders",
        ),
        (
            "holding PgDn (5 pages/s)",
            KeyCode::PageDown,
            5,
            "≤ 1 round trip per jump",
        ),
    ];
    let mut worst_key = Duration::ZERO;
    for (name, code, rate, target) in cases {
        let presses = (rate * seconds) as usize;
        let with = scroll(&server, code, rate, presses, true).await;
        let without = scroll(&server, code, rate, presses, false).await;
        worst_key = worst_key.max(with.worst_key);
        let describe = |s: &ScrollStats| {
            format!(
                "{} of {} frames with placeholders, longest wait {}, {} requests",
                s.frames_with_placeholders,
                s.presses,
                ms(s.longest_wait),
                s.requests
            )
        };
        report.add(
            "3",
            &format!("{name} for {seconds} s over 1,000,000 rows at 100 ms"),
            describe(&with),
            target,
            format!("no prefetch: {}", describe(&without)),
        );
    }
    report.add(
        "9",
        "key handled and painted (200x60) while requests are in flight, worst",
        ms(worst_key),
        "≤ 16 ms",
        "—".to_string(),
    );
}

// ---------------------------------------------------------------------------------------------
// 4 and 5. Frame cost and memory with synthetic records (no network).

/// A synthetic record. Names and sizes are scattered (not in index order), so sorts do real
/// work rather than meeting an already sorted input.
fn record(i: usize) -> FileRecord {
    const WORDS: [&str; 8] = [
        "report", "Invoice", "photo", "Budget", "notes", "contract", "scan", "Backup",
    ];
    let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20;
    let created =
        Utc.with_ymd_and_hms(2024, 3, 2, 9, 14, 0).unwrap() + chrono::Duration::seconds(i as i64);
    let name = format!("{}-{:06}.pdf", WORDS[(h % 8) as usize], h % 1_000_000);
    let size = h % 5_000_000_000;
    let raw = format!(
        "{{\"id\":\"{i:032x}\",\"file_name\":\"{name}\",\"size\":{size},\"content_type\":\"application/pdf\"}}"
    );
    FileRecord {
        id: format!("{i:032x}"),
        name,
        size: Some(size),
        content_type: Some("application/pdf".into()),
        created_at: Some(created),
        updated_at: Some(created),
        url: Some(format!("https://cdn.example.test/{i}")),
        problems: Vec::new(),
        raw: RawValue::from_string(raw).unwrap(),
    }
}

fn string_bytes(r: &FileRecord) -> usize {
    r.id.len()
        + r.name.len()
        + r.content_type.as_ref().map_or(0, String::len)
        + r.url.as_ref().map_or(0, String::len)
        + r.raw.get().len()
}

/// Fills an app's listing with `rows` synthetic records, as if every page had been answered.
fn loaded_app(rows: usize) -> App {
    loaded("filejar", rows)
}

/// An app on `dialect` with `rows` synthetic records loaded, as if every page had been
/// answered (nothing forgotten), the middle row selected.
fn loaded(dialect: &str, rows: usize) -> App {
    let settings = filescope::config::Settings {
        max_loaded_rows: usize::MAX,
        ..Default::default()
    };
    let mut app = filescope::test_support::app_with(dialect, 100, settings);
    let now = Instant::now();
    let mut effects = app.start(WIDTH, HEIGHT, now);
    effects.extend(app.want_rows(0..rows));
    let answers = effects.into_iter().filter_map(|effect| match effect {
        Effect::Listing(ListingEffect::Fetch {
            generation, page, ..
        }) => {
            let first = (page.number - 1) * 100;
            let answer = Page {
                records: (first..(first + 100).min(rows)).map(record).collect(),
                total: Some(rows),
                ..Page::default()
            };
            Some((generation, page.number, answer))
        }
        _ => None,
    });
    app.file_pages(answers);
    app.select(rows / 2);
    app
}

fn frame_cost(report: &mut Report) {
    let mut costs = Vec::new();
    for rows in [1_000, 1_000_000] {
        let app = loaded_app(rows);
        let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).unwrap();
        terminal.draw(|f| filescope::ui::draw(f, &app)).unwrap();
        let n = 300;
        let started = Instant::now();
        for _ in 0..n {
            terminal.draw(|f| filescope::ui::draw(f, &app)).unwrap();
        }
        costs.push(started.elapsed() / n);
    }
    report.add(
        "4",
        "drawing 200x60, 1,000 vs 1,000,000 loaded rows",
        format!("{} vs {}", us(costs[0]), us(costs[1])),
        "< 1 ms, within 10%",
        "—".to_string(),
    );
}

fn resident_bytes() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|n| n.parse::<usize>().ok())
        })
        .map_or(0, |pages| pages * 4096)
}

/// Runs a memory probe in a fresh process, so no earlier allocation muddies its figures.
fn probe(args: &[&str]) -> Vec<usize> {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("--memory-probe")
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect()
}

fn memory(report: &mut Report, scroll_rows: usize) {
    let per = probe(&["per-record"]);
    let (grown, strings, rows) = (per[0], per[1], per[2]);
    let per_record = grown.saturating_sub(strings) / rows;
    report.add(
        "5",
        "resident bytes per loaded record beyond its strings (1,000,000 loaded)",
        format!(
            "{per_record} B ({} MB resident for {} MB of strings)",
            grown >> 20,
            strings >> 20
        ),
        "≤ 400 B",
        "—".to_string(),
    );
    let scroll = probe(&["scroll", &scroll_rows.to_string()]);
    let (peak, start, secs) = (scroll[0], scroll[1], scroll[2]);
    report.add(
        "5",
        &format!(
            "resident memory after paging through {scroll_rows} rows ({secs} s, default budget {} rows)",
            filescope::config::DEFAULT_MAX_LOADED_ROWS
        ),
        format!("{} MB peak (process start: {} MB)", peak >> 20, start >> 20),
        "< 150 MB",
        format!(
            "no eviction: ≈ {} MB ({scroll_rows} × (strings + {per_record} B))",
            (scroll_rows as u64 * (strings as u64 / rows as u64 + per_record as u64)) >> 20
        ),
    );
}

/// `--memory-probe per-record`: prints resident growth, string bytes, rows.
/// `--memory-probe scroll N`: prints peak resident, resident at start, seconds.
fn memory_probe(args: &[String]) {
    match args.first().map(String::as_str) {
        Some("per-record") => {
            let (grown, strings, rows) = per_record_probe();
            println!("{grown} {strings} {rows}");
        }
        Some("scroll") => {
            let rows = args
                .get(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or(10_000_000);
            let (peak, start, secs) = scroll_probe(rows);
            println!("{peak} {start} {secs}");
        }
        _ => eprintln!("unknown probe"),
    }
}

fn per_record_probe() -> (usize, usize, usize) {
    // Bytes per record beyond its strings.
    let before = resident_bytes();
    let mut list = PagedList::new(100);
    let generation = list.reset();
    let rows = 1_000_000;
    list.request_rows(0..rows);
    let mut strings = 0;
    for page in 1..=rows / 100 {
        let records: Vec<FileRecord> = ((page - 1) * 100..page * 100).map(record).collect();
        strings += records.iter().map(string_bytes).sum::<usize>();
        let answer = Page {
            records,
            total: Some(rows),
            has_next: None,
            scope: None,
            ..Page::default()
        };
        list.apply(generation, page, Ok(answer));
    }
    let grown = resident_bytes().saturating_sub(before);
    drop(list);
    (grown, strings, rows)
}

fn scroll_probe(scroll_rows: usize) -> (usize, usize, u64) {
    // Paging through millions of rows with the default budget.
    let mut app = new_app();
    let effects = app.start(WIDTH, HEIGHT, Instant::now());
    let mut pending = effects;
    let mut peak = 0;
    let start_rss = resident_bytes();
    let answer = |app: &mut App, effects: Vec<Effect>| -> Vec<Effect> {
        let mut next = Vec::new();
        for e in effects {
            if let Effect::Listing(ListingEffect::Fetch {
                generation, page, ..
            }) = e
            {
                let first = (page.number - 1) * page.size;
                let records = (first..(first + page.size).min(scroll_rows))
                    .map(record)
                    .collect();
                let msg = Msg::Listing(ListingMsg::Page {
                    generation,
                    page: page.number,
                    result: Ok(Page {
                        records,
                        total: Some(scroll_rows),
                        has_next: None,
                        scope: None,
                        ..Page::default()
                    }),
                });
                next.extend(app.update(msg, Instant::now()));
            }
        }
        next
    };
    let started = Instant::now();
    while app.cursor().selected + 1 < scroll_rows {
        while !pending.is_empty() {
            pending = answer(&mut app, pending);
        }
        pending = app.update(key(KeyCode::PageDown), Instant::now());
        if app.cursor().selected % 200_000 < 60 {
            peak = peak.max(resident_bytes());
        }
    }
    peak = peak.max(resident_bytes());
    (peak, start_rss, started.elapsed().as_secs())
}

// ---------------------------------------------------------------------------------------------
// 6. Local filter and sort over 1,000,000 loaded records.

fn local_ops(report: &mut Report) {
    // FileGuard sorts and searches nothing itself: every change below is filescope's work.
    let keys = |text: &str| -> Vec<Msg> { text.chars().map(|c| key(KeyCode::Char(c))).collect() };
    let cases: [(&str, Vec<Msg>, &str); 3] = [
        ("sort by size (o s)", keys("os"), "size"),
        ("sort by name (o n)", keys("on"), "name"),
        (
            "filter \"report-00\" (/ … Enter)",
            keys("/report-00")
                .into_iter()
                .chain([key(KeyCode::Enter)])
                .collect(),
            "filter",
        ),
    ];
    for (name, presses, _) in cases {
        let mut app = loaded("fileguard", 1_000_000);
        let mut blocked = Duration::ZERO;
        let mut jobs = Vec::new();
        for press in presses {
            let started = Instant::now();
            let effects = app.update(press, started);
            blocked = blocked.max(started.elapsed());
            jobs.extend(effects.into_iter().filter_map(|e| match e {
                Effect::Listing(ListingEffect::BuildView(job)) => Some(job),
                _ => None,
            }));
        }
        let job = jobs
            .pop()
            .expect("a local change over 1,000,000 rows is a job");
        let started = Instant::now();
        let msg = job.run();
        let computed = started.elapsed();
        let started = Instant::now();
        app.update(msg, Instant::now());
        let installed = started.elapsed();
        let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).unwrap();
        terminal.draw(|f| filescope::ui::draw(f, &app)).unwrap();
        report.add(
            "6",
            &format!("local {name} over 1,000,000 loaded records"),
            format!(
                "UI task blocked {} per key; result after {} off the UI task (+{} to install, {} rows)",
                ms(blocked),
                ms(computed),
                ms(installed),
                app.row_count()
            ),
            "≤ 50 ms, off the UI task",
            format!("on the UI task: blocks keys for {}", ms(computed)),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 7. Bytes written to the terminal per scroll step.

#[derive(Clone, Default)]
struct Counting(Arc<Mutex<usize>>);

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        *self.0.lock().unwrap() += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn terminal_bytes(report: &mut Report) {
    let mut app = loaded_app(10_000);
    app.select(100);
    let counter = Counting::default();
    let backend = CrosstermBackend::new(counter.clone());
    let mut terminal = Terminal::with_options(
        backend,
        ratatui::TerminalOptions {
            viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, WIDTH, HEIGHT)),
        },
    )
    .unwrap();
    terminal.draw(|f| filescope::ui::draw(f, &app)).unwrap();
    let mut step = |app: &mut App, code: KeyCode| {
        let _ = app.update(key(code), Instant::now());
        *counter.0.lock().unwrap() = 0;
        terminal.draw(|f| filescope::ui::draw(f, app)).unwrap();
        *counter.0.lock().unwrap()
    };
    let j = step(&mut app, KeyCode::Char('j'));
    let pgdn = step(&mut app, KeyCode::PageDown);
    // Baseline: a full redraw of the same screen (what a TUI that clears every frame sends).
    let full = {
        let counter = Counting::default();
        let mut t = Terminal::with_options(
            CrosstermBackend::new(counter.clone()),
            ratatui::TerminalOptions {
                viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, WIDTH, HEIGHT)),
            },
        )
        .unwrap();
        t.draw(|f| filescope::ui::draw(f, &app)).unwrap();
        *counter.0.lock().unwrap()
    };
    report.add(
        "7",
        "bytes written for one j / one PgDn (200x60, detail pane on)",
        format!("{j} B / {pgdn} B"),
        "only what changed",
        format!("full redraw: {full} B"),
    );
}

// ---------------------------------------------------------------------------------------------
// 11. Sequential sources: a declared cursor dialect (Google Drive's shape) over the demo.

async fn shape_server(shape: &str, files: usize, latency_ms: u64) -> DemoServer {
    Demo::new(files)
        .latency(Duration::from_millis(latency_ms))
        .key(KEY)
        .shape(shape)
        .start()
        .await
}

fn shape_client(server: &DemoServer, shape: &str) -> Client {
    let conn = Connection::new(
        filescope::config::example_dialect(shape).unwrap(),
        server.base_url.parse().unwrap(),
        Some(Secret::new(KEY)),
    );
    Client::new(conn).unwrap()
}

fn shape_app(shape: &str) -> App {
    let dialect = filescope::config::example_dialect(shape).unwrap();
    filescope::test_support::app_of(dialect, shape, 100, Default::default())
}

/// `filescope serve` in a process of its own: the child and the base URL it printed.
fn serve_child(args: &[&str], data_dir: &str) -> (std::process::Child, String) {
    use std::io::BufRead as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_filescope"))
        .arg("serve")
        .args(args)
        .env("FILESCOPE_DATA_DIR", std::env::temp_dir().join(data_dir))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line.trim().to_string())
}

/// `filescope ls --all` through a profile of the shape's definition.
fn run_ls_shape(shape: &str, url: &str, key: &str) -> Duration {
    let dir = std::env::temp_dir().join("filescope-bench-shape");
    std::fs::create_dir_all(&dir).unwrap();
    let (_, definition) = filescope::config::EXAMPLE_DIALECTS
        .iter()
        .find(|(n, _)| *n == shape)
        .unwrap();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!("{definition}\n[profiles.bench]\ndialect = \"{shape}\"\nurl = \"{url}\"\n"),
    )
    .unwrap();
    let started = Instant::now();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_filescope"))
        .args(["ls", "-p", "bench", "--all"])
        .env("FILESCOPE_API_KEY", key)
        .env("FILESCOPE_DATA_DIR", &dir)
        .env("FILESCOPE_CONFIG", &config)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "ls failed");
    started.elapsed()
}

async fn sequential(report: &mut Report, runs: usize, seconds: u32) {
    // First rows of a 1,000,000-file listing read in order, at 100 ms.
    let times: Vec<Duration> = (0..runs)
        .map(|_| {
            first_rows_of(&[
                "demo",
                "--shape",
                "gdrive",
                "--files",
                "1000000",
                "--latency",
                "100",
            ])
        })
        .collect();
    report.add(
        "11",
        &format!("sequential source (cursor): first rows, 1,000,000 files, 100 ms latency (median of {runs})"),
        ms(median(times)),
        "≤ 160 ms",
        "walking to the end first: ≈ 1,000 round trips".to_string(),
    );

    // Holding j over it: rows ahead come from the cursor kept for each page.
    let server = shape_server("gdrive", 1_000_000, 100).await;
    let presses = (30 * seconds) as usize;
    let with = scroll_on(
        &server,
        shape_client(&server, "gdrive"),
        shape_app("gdrive"),
        KeyCode::Char('j'),
        30,
        presses,
        true,
    )
    .await;
    let without = scroll_on(
        &server,
        shape_client(&server, "gdrive"),
        shape_app("gdrive"),
        KeyCode::Char('j'),
        30,
        presses,
        false,
    )
    .await;
    let describe = |s: &ScrollStats| {
        format!(
            "{} of {} frames with placeholders, longest wait {}, {} requests",
            s.frames_with_placeholders,
            s.presses,
            ms(s.longest_wait),
            s.requests
        )
    };
    report.add(
        "11",
        &format!(
            "sequential source: holding j (30 rows/s) for {seconds} s over 1,000,000 rows at 100 ms"
        ),
        describe(&with),
        "0 frames with placeholders",
        format!("no prefetch: {}", describe(&without)),
    );
    drop(server);

    // ls --all: one request in flight (the cursor forces it), against the same walk in
    // process: each page fetched and its token read, nothing decoded or written. The server
    // runs in a process of its own here, as a real one would, so that neither side shares a
    // runtime with it.
    let (mut child, base) = serve_child(
        &["--shape", "gdrive", "--files", "100000", "--latency", "20"],
        "filescope-bench-shape",
    );
    let url = base.clone();
    let ls = tokio::task::spawn_blocking(move || {
        median(
            (0..3)
                .map(|_| run_ls_shape("gdrive", &url, "demo"))
                .collect(),
        )
    })
    .await
    .unwrap();
    #[derive(serde::Deserialize)]
    struct Token {
        #[serde(rename = "nextPageToken")]
        next: Option<String>,
    }
    let http = reqwest::Client::new();
    let mut loops = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let mut token: Option<String> = None;
        loop {
            let mut url = format!("{base}/drive/v3/files?pageSize=1000&key=demo");
            if let Some(t) = &token {
                url.push_str(&format!("&pageToken={t}"));
            }
            let body = http.get(url).send().await.unwrap().bytes().await.unwrap();
            let page: Token = serde_json::from_slice(&body).unwrap();
            token = page.next;
            if token.is_none() {
                break;
            }
        }
        loops.push(started.elapsed());
    }
    let _ = child.kill();
    let _ = child.wait();
    let walk = median(loops);
    report.add(
        "11",
        "sequential source: ls --all, 100,000 files at 20 ms (100 pages of 1,000, one in flight)",
        format!(
            "{} ({:+.0}% against the loop)",
            ms(ls),
            100.0 * (ls.as_secs_f64() / walk.as_secs_f64() - 1.0)
        ),
        "within 10% of the in-process page loop",
        format!("in-process sequential page loop: {}", ms(walk)),
    );
}

// ---------------------------------------------------------------------------------------------
// 12. S3: the demo's bucket of 1,000,000 objects.

fn s3_client(endpoint: &str, levels: bool) -> Client {
    s3_client_at(endpoint, "", levels)
}

fn s3_client_at(endpoint: &str, root: &str, levels: bool) -> Client {
    use filescope::api::s3::{
        S3, Settings,
        credentials::{Keys, Signer},
    };
    let dialect = S3::new(Settings {
        bucket: filescope_demo::S3_BUCKET.into(),
        root: root.into(),
        signer: Signer::given(Keys {
            access_key_id: filescope_demo::S3_ACCESS_KEY.into(),
            secret_access_key: Secret::new(filescope_demo::S3_SECRET_KEY),
            session_token: None,
            source: "bench".into(),
            expiry: None,
        }),
        region: filescope_demo::S3_REGION.into(),
        endpoint: Some(endpoint.parse().unwrap()),
        path_style: Some(true),
        levels,
    });
    let conn = Connection::new(Arc::new(dialect), endpoint.parse().unwrap(), None);
    Client::new(conn).unwrap()
}

/// What `G` cost in the explorer: requests (the first page's too) and the time from the key
/// to the last row painted.
struct GFigures {
    all_requests: usize,
    g_requests: usize,
    took: Duration,
    landed: Option<String>,
}

/// Opens the explorer on `client`, waits for the first rows, presses `G` and waits for the
/// last row to be painted.
async fn g_on(server: &DemoServer, client: &Client) -> GFigures {
    let mut exec = Executor::new(client);
    let mut app = filescope::test_support::app_on(client);
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).unwrap();
    let at_start = server.stats.list_requests();
    let effects = app.start(WIDTH, HEIGHT, Instant::now());
    exec.run(effects);
    settle_screen(&mut app, &mut exec, Duration::from_secs(60)).await;
    let before = server.stats.list_requests();
    let pressed = Instant::now();
    let effects = app.update(key(KeyCode::Char('G')), Instant::now());
    exec.run(effects);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !(app.listing().tail_floor().is_some() && app.is_count_known() && !app.is_loading()) {
        let Ok(Some(msg)) = tokio::time::timeout_at(deadline, exec.recv()).await else {
            break;
        };
        let effects = app.update(msg, Instant::now());
        exec.run(effects);
    }
    terminal.draw(|f| filescope::ui::draw(f, &app)).unwrap();
    let took = pressed.elapsed();
    let after = server.stats.list_requests();
    GFigures {
        all_requests: (after - at_start) as usize,
        g_requests: (after - before) as usize,
        took,
        landed: app.selected().map(|r| r.id.clone()),
    }
}

/// `G` on key spaces shaped as real buckets are (issue 29), one level as the explorer lists,
/// at 100 ms: requests from the first page on, and the time from the key to the last row.
async fn s3_key_spaces(report: &mut Report) {
    use filescope_demo::s3::KeySpace;
    for (space, files, what) in [
        (KeySpace::Uuids, 100_000, "100,000 random UUIDs"),
        (
            KeySpace::HexFolders,
            100_000,
            "100,000 folders named by 16 hex digits",
        ),
        (
            KeySpace::Numbered,
            90_000,
            "90,000 numbered keys in one folder (logs/2025/app/000000123.log)",
        ),
        (
            KeySpace::Counter,
            100_017,
            "100,017 keys obj-00000 … obj-100016",
        ),
        (
            KeySpace::Timestamped,
            100_000,
            "100,000 timestamped names (export-20250314T092653Z-1a2b.json.gz)",
        ),
        (
            KeySpace::SparseEnds,
            100_000,
            "100,000 keys: a dense middle, a few far apart at each end",
        ),
    ] {
        let server = Demo::new(files)
            .latency(Duration::from_millis(100))
            .dialect("s3")
            .key_space(space)
            .start()
            .await;
        let client = s3_client_at(&server.base_url, space.folder(), true);
        // The key index is built before the clock starts, as a real bucket has it.
        let query = ListQuery::new(client.dialect().capabilities().default_sort);
        client
            .list_page(&query, PageRequest { number: 1, size: 1 })
            .await
            .unwrap();
        let g = g_on(&server, &client).await;
        let page = client.dialect().capabilities().ui_page_size;
        report.add(
            "12",
            &format!(
                "S3: G on {what} at 100 ms: requests (first page + G); key → last row painted"
            ),
            format!(
                "{} requests ({} for G); {}; landed on {}",
                g.all_requests,
                g.g_requests,
                ms(g.took),
                g.landed.unwrap_or_default()
            ),
            "≤ 40 requests; ≤ 1.5 s",
            format!(
                "walking: {} requests, ≈ {:.0} s",
                files.div_ceil(page),
                files.div_ceil(page) as f64 * 0.1
            ),
        );
        drop(server);
    }
}

// 13. GCS: the demo's bucket of 1,000,000 objects through the JSON API.

/// A client of the demo's GCS bucket with its own token.
fn gcs_client(endpoint: &str, root: &str, levels: bool) -> Client {
    use filescope::api::gcs::credentials::{Source, Tokens};
    use filescope::api::gcs::{Gcs, Settings};
    let gcs = Gcs::new(Settings {
        bucket: filescope_demo::GCS_BUCKET.into(),
        root: root.into(),
        endpoint: endpoint.parse().unwrap(),
        tokens: Arc::new(Tokens::new(Source::Given(Secret::new(
            filescope_demo::GCS_TOKEN,
        )))),
        levels,
    });
    let conn = Connection::new(Arc::new(gcs), endpoint.parse().unwrap(), None);
    Client::new(conn).unwrap()
}

/// `G` on 1,000,000 objects at 100 ms, as S3's rows of section 12: a prefix of 1,000,000
/// (the demo's uploads/ of 10,000,000) one level, every name of nested prefixes, and random
/// UUIDs.
async fn gcs_bench(report: &mut Report) {
    use filescope_demo::s3::KeySpace;
    for (files, space, root, levels, what) in [
        (
            10_000_000,
            KeySpace::Dataset,
            "uploads/",
            true,
            "a prefix of 1,000,000 objects (explorer, one level)",
        ),
        (
            1_000_000,
            KeySpace::Dataset,
            "",
            false,
            "1,000,000 objects in nested prefixes, listed recursively",
        ),
        (
            1_000_000,
            KeySpace::Uuids,
            "",
            true,
            "1,000,000 random UUIDs",
        ),
    ] {
        let server = Demo::new(files)
            .latency(Duration::from_millis(100))
            .dialect("gcs")
            .key_space(space)
            .start()
            .await;
        let client = gcs_client(&server.base_url, root, levels);
        let query = ListQuery::new(client.dialect().capabilities().default_sort);
        client
            .list_page(&query, PageRequest { number: 1, size: 1 })
            .await
            .unwrap();
        let g = g_on(&server, &client).await;
        report.add(
            "14",
            &format!(
                "GCS: G on {what} at 100 ms: requests (first page + G); key → last row painted"
            ),
            format!(
                "{} requests ({} for G); {}; landed on {}",
                g.all_requests,
                g.g_requests,
                ms(g.took),
                g.landed.unwrap_or_default()
            ),
            "≤ 40 requests; ≤ 1.5 s",
            "walking: 5,000 requests, ≈ 500 s".to_string(),
        );
        drop(server);
    }
}

/// A client of the demo's Azure container with its account key.
fn azure_client(endpoint: &str, root: &str) -> Client {
    use filescope::api::family::{Credentials, Location};
    let location = Location {
        url: filescope::api::url::parse_url(&format!(
            "az://{}/{}/{root}",
            filescope_demo::AZURE_ACCOUNT,
            filescope_demo::S3_BUCKET
        ))
        .unwrap(),
        endpoint: Some(endpoint.to_string()),
        region: None,
        credentials: Credentials::Given {
            id: filescope_demo::AZURE_ACCOUNT.into(),
            secret: Secret::new(filescope_demo::AZURE_KEY),
            token: None,
            source: "the demo's account key".into(),
        },
        path_style: None,
        levels: true,
    };
    let conn = (filescope::api::azure::FAMILY.connect)(&location).unwrap();
    Client::new(conn).unwrap()
}

/// The three object stores side by side on the demo at 100 ms, 1,000,000 objects: first rows
/// from exec (median of `runs`), and Azure's `G` on the demo, which walks (the search by
/// `startFrom` is used only on Azure's own hosts, see docs/DIALECTS.md).
async fn clouds(report: &mut Report, runs: usize) {
    let dir = std::env::temp_dir().join("filescope-bench-clouds");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let home = dir.display().to_string();
    for dialect in ["s3", "azure", "gcs"] {
        let server = Demo::new(1_000_000)
            .latency(Duration::from_millis(100))
            .dialect(dialect)
            .start()
            .await;
        let base = server.base_url.clone();
        // Wait for the key index: one listing answered.
        let warm = match dialect {
            "s3" => s3_client(&base, true),
            "azure" => azure_client(&base, ""),
            _ => gcs_client(&base, "", true),
        };
        let query = ListQuery::new(warm.dialect().capabilities().default_sort);
        warm.list_page(&query, PageRequest { number: 1, size: 1 })
            .await
            .unwrap();
        let host = base.trim_start_matches("http://").to_string();
        let (location, envs): (String, Vec<(&str, String)>) = match dialect {
            "s3" => (
                format!("s3://{}/", filescope_demo::S3_BUCKET),
                vec![
                    ("AWS_ACCESS_KEY_ID", filescope_demo::S3_ACCESS_KEY.into()),
                    (
                        "AWS_SECRET_ACCESS_KEY",
                        filescope_demo::S3_SECRET_KEY.into(),
                    ),
                ],
            ),
            "azure" => (
                format!(
                    "az://{}/{}/",
                    filescope_demo::AZURE_ACCOUNT,
                    filescope_demo::S3_BUCKET
                ),
                vec![
                    (
                        "AZURE_STORAGE_ACCOUNT",
                        filescope_demo::AZURE_ACCOUNT.into(),
                    ),
                    ("AZURE_STORAGE_KEY", filescope_demo::AZURE_KEY.into()),
                ],
            ),
            _ => (
                format!("gs://{}/", filescope_demo::GCS_BUCKET),
                vec![("GCE_METADATA_HOST", host)],
            ),
        };
        let home = home.clone();
        let took = tokio::task::spawn_blocking(move || {
            let mut envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            envs.push(("HOME", &home));
            median(
                (0..runs)
                    .map(|_| first_rows_with(&[&location, "--endpoint", &base], &envs))
                    .collect(),
            )
        })
        .await
        .unwrap();
        report.add(
            "14",
            &format!("{dialect}: first rows, 1,000,000 objects at 100 ms (median of {runs})"),
            ms(took),
            "≤ 160 ms, as S3",
            "listing everything first: ≈ 200–1,000 requests".to_string(),
        );
        if dialect == "azure" {
            // G on the demo walks: 5,000 names a page, in the demo's uploads/ (the largest
            // folder, listed one level as the explorer does).
            let client = azure_client(&server.base_url, "uploads/");
            let mut exec = Executor::new(&client);
            let mut app = filescope::test_support::app_on(&client);
            let effects = app.start(WIDTH, HEIGHT, Instant::now());
            exec.run(effects);
            settle_screen(&mut app, &mut exec, Duration::from_secs(60)).await;
            let before = server.stats.list_requests();
            let pressed = Instant::now();
            let effects = app.update(key(KeyCode::Char('G')), Instant::now());
            exec.run(effects);
            let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
            while !(app.is_count_known()
                && !app.is_loading()
                && app.cursor().selected + 1 == app.row_count())
            {
                let Ok(Some(msg)) = tokio::time::timeout_at(deadline, exec.recv()).await else {
                    break;
                };
                let effects = app.update(msg, Instant::now());
                exec.run(effects);
            }
            report.add(
                "14",
                "azure: G in uploads/ of 1,000,000 objects at 100 ms on the demo (walks: startFrom only on Azure's hosts)",
                format!(
                    "{} requests; {}; row {} of {}",
                    server.stats.list_requests() - before,
                    ms(pressed.elapsed()),
                    app.cursor().selected + 1,
                    app.row_count()
                ),
                "≤ 40 requests where the store takes startFrom",
                "a walk: one request per 5,000 names".to_string(),
            );
        }
        drop(server);
    }
}

/// A process's peak resident memory so far (VmHWM), in bytes.
fn peak_rss(pid: u32) -> Option<usize> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

async fn s3_bench(report: &mut Report, runs: usize) {
    // First rows of a 1,000,000-object bucket at 100 ms, from exec, against a server already
    // up (a bucket exists before anyone looks at it; the demo's own start-up builds its key
    // index first).
    let (mut child, base) = serve_child(
        &["--dialect", "s3", "--files", "1000000", "--latency", "100"],
        "filescope-bench-s3",
    );
    // Wait for the index: one listing answered.
    let warm = s3_client(&base, true);
    let query = ListQuery::new(warm.dialect().capabilities().default_sort);
    warm.list_page(&query, PageRequest { number: 1, size: 1 })
        .await
        .unwrap();
    let url = base.clone();
    let times: Vec<Duration> = tokio::task::spawn_blocking(move || {
        let dir = std::env::temp_dir().join("filescope-bench-s3");
        let envs = [
            ("AWS_ACCESS_KEY_ID", filescope_demo::S3_ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", filescope_demo::S3_SECRET_KEY),
            ("HOME", dir.to_str().unwrap()),
        ];
        (0..runs)
            .map(|_| {
                first_rows_with(
                    &[
                        "--dialect",
                        "s3",
                        "--url",
                        "s3://demo/uploads/",
                        "--endpoint",
                        &url,
                    ],
                    &envs,
                )
            })
            .collect()
    })
    .await
    .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    report.add(
        "12",
        &format!("S3: first rows, 1,000,000 objects, 100 ms latency (median of {runs})"),
        ms(median(times)),
        "≤ 160 ms",
        "listing the prefix first: ≈ 1,000 requests".to_string(),
    );

    // G: the last rows of a prefix of 1,000,000 objects (the demo's uploads/ of 10,000,000),
    // one level as the explorer lists it, found by key against walking to them; and of the
    // whole bucket of 1,000,000 listed recursively (nested prefixes).
    for (files, root, levels, what) in [
        (
            10_000_000,
            "uploads/",
            true,
            "a prefix of 1,000,000 objects (explorer, one level)",
        ),
        (
            1_000_000,
            "",
            false,
            "1,000,000 objects in nested prefixes, listed recursively (as ls lists; the explorer never does)",
        ),
    ] {
        let server = Demo::new(files)
            .latency(Duration::from_millis(100))
            .dialect("s3")
            .start()
            .await;
        let client = s3_client_at(&server.base_url, root, levels);
        let page = client.dialect().capabilities().ui_page_size;
        let g = g_on(&server, &client).await;
        let walk_pages = 1_000_000usize.div_ceil(page);
        report.add(
            "12",
            &format!("S3: G on {what} at 100 ms: requests; key → last row painted"),
            format!(
                "{} requests ({} with the first page); {}",
                g.g_requests,
                g.all_requests,
                ms(g.took)
            ),
            "≤ 40 requests; ≤ 1.5 s",
            format!(
                "walking: {walk_pages} requests, ≈ {:.0} s",
                walk_pages as f64 * 0.1
            ),
        );
        drop(server);
    }

    // ls --all over 1,000,000 objects at 20 ms, one request in flight (the continuation token
    // forces it), against an in-process loop that only reads each page's token. The server
    // runs in a process of its own.
    let (mut child, base) = serve_child(
        &["--dialect", "s3", "--files", "1000000", "--latency", "20"],
        "filescope-bench-s3",
    );
    let dir = std::env::temp_dir().join("filescope-bench-s3");
    std::fs::create_dir_all(&dir).unwrap();
    let url = base.clone();
    let (ls, peak) = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut ls = std::process::Command::new(env!("CARGO_BIN_EXE_filescope"))
            .args([
                "ls",
                "--dialect",
                "s3",
                "--url",
                "s3://demo",
                "--endpoint",
                &url,
                "--all",
            ])
            .env("HOME", &dir)
            .env("FILESCOPE_DATA_DIR", &dir)
            .env("FILESCOPE_CONFIG", dir.join("none.toml"))
            .env("AWS_ACCESS_KEY_ID", filescope_demo::S3_ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", filescope_demo::S3_SECRET_KEY)
            .env("AWS_CONFIG_FILE", dir.join("none"))
            .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("none"))
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut peak = 0;
        loop {
            if let Some(now) = peak_rss(ls.id()) {
                peak = peak.max(now);
            }
            if let Ok(Some(status)) = ls.try_wait() {
                assert!(status.success(), "ls failed");
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        (started.elapsed(), peak)
    })
    .await
    .unwrap();
    let loop_client = s3_client(&base, false);
    let started = Instant::now();
    let query = ListQuery::new(loop_client.dialect().capabilities().default_sort);
    let http = reqwest::Client::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        // Signed as the client signs; only the token is read.
        let spec = loop_client.dialect().list_request(
            &query,
            PageRequest {
                number: 1,
                size: 1000,
            },
        );
        let mut q = spec.query.clone();
        if let Some(t) = &token {
            q.push(filescope::api::dialect::param(
                "continuation-token",
                t.clone(),
            ));
        }
        let url = loop_client.url_for(&spec.path, &q).unwrap();
        let signed = loop_client
            .reach()
            .sign(&reqwest::Method::GET, &url, &[])
            .unwrap();
        let mut request = http.get(url);
        for (k, v) in signed {
            request = request.header(k, v);
        }
        let body = request.send().await.unwrap().text().await.unwrap();
        pages += 1;
        token = body
            .split_once("<NextContinuationToken>")
            .and_then(|(_, rest)| rest.split_once("</NextContinuationToken>"))
            .map(|(t, _)| t.to_string());
        if token.is_none() {
            break;
        }
    }
    let walk = started.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    report.add(
        "12",
        &format!("S3: ls --all, 1,000,000 objects at 20 ms ({pages} pages of 1,000, one in flight); peak memory"),
        format!(
            "{} ({:+.0}% against the loop); {} MB peak resident",
            ms(ls),
            100.0 * (ls.as_secs_f64() / walk.as_secs_f64() - 1.0),
            peak >> 20
        ),
        "within 10% of the loop; memory bounded",
        format!("in-process continuation-token loop: {}", ms(walk)),
    );
}

// ---------------------------------------------------------------------------------------------
// 13. A whole S3 listing read by key range (issue 26), beside the walk and the peers.

/// A child process run to its end, its output discarded: wall time, peak resident memory, and
/// whether it succeeded.
fn timed_child(mut cmd: std::process::Command) -> (Duration, usize, bool) {
    let started = Instant::now();
    let mut child = match cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(child) => child,
        Err(_) => return (Duration::ZERO, 0, false),
    };
    let mut peak = 0;
    loop {
        if let Some(now) = peak_rss(child.id()) {
            peak = peak.max(now);
        }
        if let Ok(Some(status)) = child.try_wait() {
            return (started.elapsed(), peak, status.success());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `filescope ARGS` against the demo's S3 at `endpoint`, isolated from the machine's AWS
/// configuration.
fn filescope_s3(args: &[&str], endpoint: &str) -> std::process::Command {
    let dir = std::env::temp_dir().join("filescope-bench-s3-list");
    std::fs::create_dir_all(&dir).unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_filescope"));
    cmd.args(args)
        .args([
            "--dialect",
            "s3",
            "--url",
            "s3://demo",
            "--endpoint",
            endpoint,
        ])
        .env("HOME", &dir)
        .env("FILESCOPE_DATA_DIR", &dir)
        .env("FILESCOPE_CONFIG", dir.join("none.toml"));
    aws_env(&mut cmd, &dir);
    cmd
}

/// The demo's credentials, and nothing of the machine's AWS configuration.
fn aws_env(cmd: &mut std::process::Command, dir: &std::path::Path) {
    cmd.env("AWS_ACCESS_KEY_ID", filescope_demo::S3_ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", filescope_demo::S3_SECRET_KEY)
        .env("AWS_DEFAULT_REGION", filescope_demo::S3_REGION)
        .env("AWS_REGION", filescope_demo::S3_REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("none"));
}

/// A peer's command against the demo's S3 at `endpoint`, if the peer is installed.
fn peer(name: &str, endpoint: &str) -> Option<std::process::Command> {
    let dir = std::env::temp_dir().join("filescope-bench-s3-list");
    std::fs::create_dir_all(&dir).unwrap();
    let found = std::process::Command::new(name)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let version = std::process::Command::new(name)
        .arg("version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found && !version {
        return None;
    }
    let mut cmd = std::process::Command::new(name);
    match name {
        "aws" => {
            cmd.args([
                "s3",
                "ls",
                "--recursive",
                "s3://demo",
                "--endpoint-url",
                endpoint,
            ]);
        }
        "s5cmd" => {
            cmd.args(["--endpoint-url", endpoint, "ls", "s3://demo/*"]);
        }
        "rclone" => {
            cmd.args([
                "lsf",
                "-R",
                ":s3:demo",
                "--s3-provider",
                "Other",
                "--s3-endpoint",
                endpoint,
                "--s3-access-key-id",
                filescope_demo::S3_ACCESS_KEY,
                "--s3-secret-access-key",
                filescope_demo::S3_SECRET_KEY,
                "--s3-force-path-style",
                "--config",
                "/dev/null",
            ]);
        }
        _ => return None,
    }
    cmd.env("HOME", &dir);
    aws_env(&mut cmd, &dir);
    // A CA bundle of the machine's makes rclone refuse a plain-HTTP endpoint.
    cmd.env_remove("AWS_CA_BUNDLE");
    Some(cmd)
}

/// The demo's S3 serving `files` keys shaped as `space` at `latency_ms`, its key index built.
async fn s3_list_server(
    space: filescope_demo::s3::KeySpace,
    files: usize,
    latency_ms: u64,
) -> DemoServer {
    let server = Demo::new(files)
        .latency(Duration::from_millis(latency_ms))
        .dialect("s3")
        .key_space(space)
        .start()
        .await;
    let client = s3_client(&server.base_url, false);
    let query = ListQuery::new(client.dialect().capabilities().default_sort);
    client
        .list_page(&query, PageRequest { number: 1, size: 1 })
        .await
        .unwrap();
    server
}

/// Runs `cmd` against `server`: its wall time, peak memory and list requests.
async fn measured(server: &DemoServer, cmd: std::process::Command) -> (Duration, usize, u64, bool) {
    let before = server.stats.list_requests();
    let (took, peak, ok) = tokio::task::spawn_blocking(move || timed_child(cmd))
        .await
        .unwrap();
    (took, peak, server.stats.list_requests() - before, ok)
}

async fn s3_listing(report: &mut Report, peers: bool) {
    use filescope_demo::s3::KeySpace;
    let million = 1_000_000;
    // The demo's own bucket (nested prefixes, awkward keys), walked and read by key range.
    let server = s3_list_server(KeySpace::Dataset, million, 20).await;
    let url = server.base_url.clone();
    let (walk, walk_peak, walk_requests, _) =
        measured(&server, filescope_s3(&["ls", "--all", "--jobs", "1"], &url)).await;
    let (ranged, peak, requests, ok) =
        measured(&server, filescope_s3(&["ls", "--all"], &url)).await;
    report.add(
        "15",
        "S3: ls --all, 1,000,000 keys (the demo's bucket) at 20 ms, by key range (--jobs 8); peak memory",
        format!(
            "{} ({:.1}× the walk; {requests} requests); {} MB peak resident{}",
            ms(ranged),
            walk.as_secs_f64() / ranged.as_secs_f64().max(1e-9),
            peak >> 20,
            if ok { "" } else { " — FAILED" }
        ),
        "≤ 4 s (≥ 6×); ≤ 64 MB",
        format!(
            "--jobs 1 (one page after another): {}, {walk_requests} requests, {} MB",
            ms(walk),
            walk_peak >> 20
        ),
    );
    let (stats, stats_peak, stats_requests, ok) =
        measured(&server, filescope_s3(&["stats"], &url)).await;
    report.add(
        "15",
        "S3: stats, 1,000,000 keys at 20 ms; peak memory",
        format!(
            "{} ({stats_requests} requests); {} MB peak resident{}",
            ms(stats),
            stats_peak >> 20,
            if ok { "" } else { " — FAILED" }
        ),
        "≤ 4 s",
        format!("ls --all --jobs 1: {}", ms(walk)),
    );
    drop(server);

    // At 100 ms: the walk would take about 1,000 × 100 ms.
    let server = s3_list_server(KeySpace::Dataset, million, 100).await;
    let (took, peak, requests, ok) =
        measured(&server, filescope_s3(&["ls", "--all"], &server.base_url)).await;
    report.add(
        "15",
        "S3: ls --all, 1,000,000 keys at 100 ms, by key range; peak memory",
        format!(
            "{} ({requests} requests); {} MB peak resident{}",
            ms(took),
            peak >> 20,
            if ok { "" } else { " — FAILED" }
        ),
        "≤ 15 s; ≤ 64 MB",
        "one page after another: ≈ 1,000 × 100 ms ≈ 100 s (estimate)".to_string(),
    );
    drop(server);

    for (space, what) in [
        (
            KeySpace::Skewed,
            "skewed: 900,000 keys under one prefix + 100,000 spread",
        ),
        (KeySpace::Uuids, "1,000,000 random UUIDs"),
        (
            KeySpace::DatePartitioned,
            "1,000,000 date-partitioned keys (dt=2025-03-14/part-…)",
        ),
    ] {
        let server = s3_list_server(space, million, 20).await;
        let url = server.base_url.clone();
        let (ranged, peak, requests, ok) =
            measured(&server, filescope_s3(&["ls", "--all"], &url)).await;
        report.add(
            "15",
            &format!("S3: ls --all, {what}, at 20 ms, by key range; peak memory"),
            format!(
                "{} ({requests} requests); {} MB peak resident{}",
                ms(ranged),
                peak >> 20,
                if ok { "" } else { " — FAILED" }
            ),
            "≤ 5 s; ≤ 64 MB",
            "one page after another: ≈ 1,000 × 20 ms ≈ 25 s".to_string(),
        );
        // The peers on the UUID bucket: the demo's own holds a key with an escape character,
        // which s5cmd cannot read without `encoding-type=url`.
        if space == KeySpace::Uuids && peers {
            s3_peers(report, &server, ranged).await;
        }
        drop(server);
    }
}

/// `aws s3 ls --recursive`, `s5cmd ls` and `rclone lsf -R` on `server`'s bucket, beside
/// filescope's `ranged` time there.
async fn s3_peers(report: &mut Report, server: &DemoServer, ranged: Duration) {
    let url = server.base_url.clone();
    for (name, command) in [
        ("aws", "aws s3 ls --recursive"),
        ("s5cmd", "s5cmd ls 's3://demo/*'"),
        ("rclone", "rclone lsf -R"),
    ] {
        let figure = match peer(name, &url) {
            Some(cmd) => {
                let (took, peak, requests, ok) = measured(server, cmd).await;
                format!(
                    "{}, {requests} requests, {} MB peak resident{}",
                    ms(took),
                    peak >> 20,
                    if ok { "" } else { " — FAILED" }
                )
            }
            None => "not installed".to_string(),
        };
        report.add(
            "15",
            &format!("S3: peer {command}, 1,000,000 random UUIDs at 20 ms"),
            figure,
            "—",
            format!("filescope ls --all on it: {}", ms(ranged)),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 8. ls --all throughput, and the demo server's own speed.

/// `filescope ls --all` against `url`, output discarded; its wall time.
fn run_ls(url: &str, jobs: &str) -> Duration {
    let started = Instant::now();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_filescope"))
        .args([
            "ls",
            "--dialect",
            "filejar",
            "--url",
            url,
            "--all",
            "--jobs",
            jobs,
        ])
        .env("FILESCOPE_API_KEY", KEY)
        .env(
            "FILESCOPE_DATA_DIR",
            std::env::temp_dir().join("filescope-bench"),
        )
        .env(
            "FILESCOPE_CONFIG",
            std::env::temp_dir().join("filescope-bench/none.toml"),
        )
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "ls failed");
    started.elapsed()
}

async fn ls_throughput(report: &mut Report) {
    let server = demo(100_000, 20).await;
    let url = server.base_url.clone();
    let default = tokio::task::spawn_blocking({
        let url = url.clone();
        move || median((0..3).map(|_| run_ls(&url, "8")).collect())
    })
    .await
    .unwrap();
    let one = tokio::task::spawn_blocking(move || run_ls(&url, "1"))
        .await
        .unwrap();
    // The naive loop: one page after another, as a shell loop over curl would.
    let http = reqwest::Client::new();
    let page_url = |p: usize| {
        format!(
            "{}/v1/files/organization-files?page={p}&limit=1000",
            server.base_url
        )
    };
    let started = Instant::now();
    for p in 1..=100 {
        let body = http
            .get(page_url(p))
            .header("x-api-key", KEY)
            .send()
            .await
            .unwrap();
        body.bytes().await.unwrap();
    }
    let sequential = started.elapsed();
    // What the server can serve with eight requests in flight and nothing decoded.
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(1));
    for _ in 0..8 {
        let (http, next, base) = (http.clone(), Arc::clone(&next), server.base_url.clone());
        tasks.spawn(async move {
            loop {
                let p = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if p > 100 {
                    break;
                }
                let url = format!("{base}/v1/files/organization-files?page={p}&limit=1000");
                let r = http.get(url).header("x-api-key", KEY).send().await.unwrap();
                r.bytes().await.unwrap();
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let capacity = started.elapsed();
    report.add(
        "8",
        "ls --all, 100,000 files at 20 ms (default --jobs 8; --jobs 1)",
        format!(
            "{} ({:.1}× the loop; {:.0}% of server capacity {}); --jobs 1: {}",
            ms(default),
            sequential.as_secs_f64() / default.as_secs_f64(),
            100.0 * capacity.as_secs_f64() / default.as_secs_f64(),
            ms(capacity),
            ms(one)
        ),
        "≥ 5× the loop, within 20% of the server",
        format!("sequential page loop: {}", ms(sequential)),
    );
}

async fn server_speed(report: &mut Report) {
    let server = demo(1_000_000, 0).await;
    let http = reqwest::Client::new();
    let mut times = Vec::new();
    for i in 0..200 {
        let p = 1 + (i * 7_919) % 10_000;
        let url = format!(
            "{}/v1/files/organization-files?page={p}&limit=100",
            server.base_url
        );
        let started = Instant::now();
        let r = http.get(url).header("x-api-key", KEY).send().await.unwrap();
        r.bytes().await.unwrap();
        times.push(started.elapsed());
    }
    report.add(
        "—",
        "demo server: a page of 100 from 1,000,000 files, full HTTP round trip (median of 200)",
        us(median(times)),
        "not the bottleneck (≪ 10 ms)",
        "—".to_string(),
    );
}

// ---------------------------------------------------------------------------------------------
// 10. Downloads: ten files the way `d` fetches them, against a sequential loop.

async fn downloads(report: &mut Report) {
    use filescope::api::content::download;
    let server = demo(2_000, 20).await;
    let client = client(&server);
    let query = ListQuery::new(Sort {
        field: SortField::Size,
        order: Order::Desc,
    });
    // The ten largest: each is served at the demo's 4 MiB cap.
    let records = client
        .list_page(
            &query,
            PageRequest {
                number: 1,
                size: 10,
            },
        )
        .await
        .unwrap()
        .records;
    let dir = std::env::temp_dir().join(format!("filescope-bench-dl-{}", std::process::id()));
    let fresh = || {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
    };
    let mut ours = Vec::new();
    let mut bytes = 0;
    for _ in 0..3 {
        fresh();
        let permits = Arc::new(tokio::sync::Semaphore::new(
            filescope::app::actions::DOWNLOAD_CONCURRENCY,
        ));
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for (i, record) in records.iter().cloned().enumerate() {
            let (client, permits, path) = (
                client.clone(),
                Arc::clone(&permits),
                dir.join(format!("{i}.bin")),
            );
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await.unwrap();
                download(
                    &client,
                    &record,
                    &path,
                    filescope::api::content::Conflict::Fail,
                    &tokio_util::sync::CancellationToken::new(),
                    |_| {},
                )
                .await
                .unwrap()
                .bytes
            });
        }
        bytes = 0;
        while let Some(n) = tasks.join_next().await {
            bytes += n.unwrap();
        }
        ours.push(started.elapsed());
    }
    // The naive way: one after another, each answer buffered whole, then written.
    let http = reqwest::Client::new();
    let mut naive = Vec::new();
    for _ in 0..3 {
        fresh();
        let started = Instant::now();
        for (i, record) in records.iter().enumerate() {
            let body = http
                .get(record.url.clone().unwrap())
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            std::fs::write(dir.join(format!("{i}.bin")), &body).unwrap();
        }
        naive.push(started.elapsed());
    }
    let _ = std::fs::remove_dir_all(&dir);
    let ours = median(ours);
    let naive = median(naive);
    let rate = |d: Duration| bytes as f64 / d.as_secs_f64() / (1 << 20) as f64;
    report.add(
        "10",
        "download 10 files (4 MiB each) at 20 ms: part file, fsync, rename",
        format!(
            "{} ({:.0} MiB/s; {:.1}× the loop)",
            ms(ours),
            rate(ours),
            naive.as_secs_f64() / ours.as_secs_f64()
        ),
        "faster than a curl loop, bounded memory",
        format!(
            "sequential buffered loop: {} ({:.0} MiB/s)",
            ms(naive),
            rate(naive)
        ),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--memory-probe") {
        memory_probe(&args[i + 1..]);
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    // `cargo bench` passes --bench; nothing else is expected.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut report = Report::default();
    eprintln!(
        "filescope benchmark{} — figures as they come:",
        if quick { " (quick)" } else { "" }
    );
    let started = Instant::now();
    // `-- --only local` runs one part: server, first-rows, jumps, scrolling, frames, memory,
    // local, bytes, ls, download, sequential, s3 (s3-keys: only its key spaces; s3-creds: only
    // the credential sources), s3-list (a whole listing by key range, beside the walk and the
    // peers), clouds (the three object stores side by side), gcs.
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1));
    let run = |part: &str| only.is_none_or(|o| o == part);
    if run("server") {
        rt.block_on(server_speed(&mut report));
    }
    if run("first-rows") {
        first_rows(&mut report, &rt, if quick { 3 } else { 7 });
    }
    if run("jumps") {
        rt.block_on(jumps(&mut report));
    }
    if run("scrolling") {
        rt.block_on(scrolling(&mut report, if quick { 4 } else { 10 }));
    }
    if run("frames") {
        frame_cost(&mut report);
    }
    if run("memory") {
        memory(&mut report, if quick { 2_000_000 } else { 10_000_000 });
    }
    if run("local") {
        local_ops(&mut report);
    }
    if run("bytes") {
        terminal_bytes(&mut report);
    }
    if run("ls") {
        rt.block_on(ls_throughput(&mut report));
    }
    if run("download") {
        rt.block_on(downloads(&mut report));
    }
    if run("s3") {
        rt.block_on(s3_bench(&mut report, if quick { 3 } else { 7 }));
    }
    if run("s3") || run("s3-creds") {
        rt.block_on(s3_credential_sources(
            &mut report,
            if quick { 3 } else { 7 },
        ));
    }
    if run("s3") || run("s3-keys") {
        rt.block_on(s3_key_spaces(&mut report));
    }
    if run("clouds") {
        rt.block_on(clouds(&mut report, if quick { 3 } else { 5 }));
    }
    if run("gcs") {
        rt.block_on(gcs_bench(&mut report));
    }
    if run("s3-list") {
        rt.block_on(s3_listing(&mut report, !quick));
    }
    if run("sequential") {
        rt.block_on(sequential(
            &mut report,
            if quick { 3 } else { 7 },
            if quick { 4 } else { 10 },
        ));
    }
    report.print();
    println!(
        "\n{} cores, {} s in all",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        started.elapsed().as_secs()
    );
}
