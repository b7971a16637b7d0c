//! `filescope stats` against the demo server, checked against sums the test makes itself from
//! `filescope ls --all`.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use crate::common;

use std::process::{Command, Output};

const KEY: &str = "stats-key";

fn run(url: &str, args: &[&str]) -> Output {
    let dir = std::env::temp_dir().join(format!("filescope-stats-{}", std::process::id()));
    Command::new(env!("CARGO_BIN_EXE_filescope"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("FILESCOPE_DATA_DIR", &dir)
        .env("FILESCOPE_CONFIG", dir.join("none.toml"))
        .env("FILESCOPE_API_KEY", KEY)
        .args(args)
        .args(["--dialect", "filejar", "--url", url])
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn stats_json_equals_sums_made_from_ls() {
    let server = common::Demo::new(3_000).key(KEY).start().await;
    let url = server.base_url.clone();
    let (ls, stats) = tokio::task::spawn_blocking(move || {
        (
            run(&url, &["ls", "--all"]),
            run(&url, &["stats", "--format", "json"]),
        )
    })
    .await
    .unwrap();
    assert_eq!(
        stats.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&stats.stderr)
    );
    let records: Vec<serde_json::Value> = String::from_utf8(ls.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let s: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();

    let size = |r: &serde_json::Value| r["size"].as_u64().unwrap_or(0);
    assert_eq!(s["files"], records.len());
    assert_eq!(s["bytes"], records.iter().map(size).sum::<u64>());

    // Families whose rule is plain: the MIME type's top level.
    for family in ["image", "video", "audio"] {
        let mine: Vec<&serde_json::Value> = records
            .iter()
            .filter(|r| {
                r["content_type"]
                    .as_str()
                    .is_some_and(|t| t.starts_with(&format!("{family}/")))
            })
            .collect();
        let theirs = s["families"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["family"] == family)
            .unwrap();
        assert_eq!(theirs["files"], mine.len(), "{family}");
        assert_eq!(
            theirs["bytes"],
            mine.iter().map(|r| size(r)).sum::<u64>(),
            "{family}"
        );
    }
    let families_total: u64 = s["families"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["files"].as_u64().unwrap())
        .sum();
    assert_eq!(
        families_total,
        records.len() as u64,
        "every file in one family"
    );

    // Size buckets on a log scale: 0, then below 1 kB, 10 kB, … 10 GB, then the rest.
    let bounds = [
        1u64,
        1_000,
        10_000,
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
        1_000_000_000,
        10_000_000_000,
    ];
    let mut buckets = [0u64; 10];
    for r in &records {
        let n = size(r);
        buckets[bounds.iter().position(|b| n < *b).unwrap_or(9)] += 1;
    }
    let theirs: Vec<u64> = s["sizes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["files"].as_u64().unwrap())
        .collect();
    assert_eq!(theirs, buckets);

    // The largest, biggest first; ties in listing order.
    let mut by_size: Vec<(u64, usize)> = records
        .iter()
        .enumerate()
        .map(|(i, r)| (size(r), i))
        .collect();
    by_size.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let expected: Vec<&str> = by_size[..20]
        .iter()
        .map(|(_, i)| records[*i]["name"].as_str().unwrap())
        .collect();
    let largest: Vec<&str> = s["largest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(largest, expected);
    assert_eq!(
        s["newest"][0]["name"], records[0]["name"],
        "the listing is newest first"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_table_names_kinds_and_sanitizes_names() {
    let server = common::Demo::new(500).key(KEY).start().await;
    let url = server.base_url.clone();
    let out = tokio::task::spawn_blocking(move || run(&url, &["stats"]))
        .await
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("500 files, "), "{text}");
    assert!(text.contains("KIND        FILES        BYTES  SHARE"));
    assert!(!text.contains('\u{1b}'), "no raw escapes reach a terminal");
}

/// `stats --filter` sums only what the filter keeps (here FileJar's server-side size range),
/// and `stats -p NAME` reads its connection and key from a profile.
#[tokio::test(flavor = "multi_thread")]
async fn stats_takes_a_filter_and_a_profile() {
    let server = common::Demo::new(1_500).key(KEY).start().await;
    let url = server.base_url.clone();
    let out = tokio::task::spawn_blocking(move || {
        run(&url, &["stats", "--format", "json", "--filter", "size>1MB"])
    })
    .await
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Independently, from the dataset: the files over 1 MB (10^6 bytes).
    let big: Vec<u64> = (0..1_500)
        .map(|i| server.dataset.file(i).size)
        .filter(|n| *n > 1_000_000)
        .collect();
    assert!(!big.is_empty() && big.len() < 1_500);
    assert_eq!(s["files"], big.len());
    assert_eq!(s["bytes"], big.iter().sum::<u64>());

    // The same sums through a profile, its key from the environment variable it names.
    let dir = std::env::temp_dir().join(format!("filescope-stats-p-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[profiles.demo]\ndialect = \"filejar\"\nurl = \"{}\"\napi_key_env = \"STATS_PROFILE_KEY\"\n",
            server.base_url
        ),
    )
    .unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_filescope"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("FILESCOPE_DATA_DIR", &dir)
            .env("FILESCOPE_CONFIG", &path)
            .env_remove("FILESCOPE_API_KEY")
            .env("STATS_PROFILE_KEY", KEY)
            .args([
                "stats", "-p", "demo", "--format", "json", "--filter", "size>1MB",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(p["files"], s["files"]);
    assert_eq!(p["bytes"], s["bytes"]);
}

/// Names with C1 controls, DEL and a bidi override, among the largest and the newest files:
/// `stats --format json` writes them as JSON escapes (`\u009b`), exactly as `ls` does, so
/// neither can drive the terminal it prints to, and both still read back as the same names.
#[tokio::test(flavor = "multi_thread")]
async fn stats_json_escapes_what_ls_json_escapes() {
    const HOSTILE: [&str; 5] = [
        "csi\u{9b}31m.txt",
        "osc\u{9d}52;c;ZXZpbA==\u{9c}.txt",
        "nel\u{85}line.txt",
        "invoice\u{202e}fdp.exe",
        "del\u{7f}.txt",
    ];
    let records: Vec<serde_json::Value> = HOSTILE
        .iter()
        .enumerate()
        .map(|(i, name)| {
            serde_json::json!({
                "id": format!("f{i}"), "name": name, "size": 1000 + i,
                "created_at": format!("2026-01-0{}T00:00:00Z", i + 1),
            })
        })
        .collect();
    let answer = serde_json::json!({ "files": records, "more": false });
    let app = axum::Router::new().route(
        "/files",
        axum::routing::get(move || {
            let answer = answer.clone();
            async move { axum::Json(answer) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = std::env::temp_dir().join(format!("filescope-stats-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[dialects.plain]\nlist_path = \"/files\"\nrecords = \"files\"\n\
             [dialects.plain.paging]\nstyle = \"cursor\"\ncursor = \"next\"\n\
             cursor_param = \"token\"\nhas_more = \"more\"\nsize_param = \"n\"\nmax_size = 10\n\
             [dialects.plain.fields]\nid = \"id\"\nname = \"name\"\nsize = \"size\"\n\
             created_at = \"created_at\"\n\
             [profiles.it]\ndialect = \"plain\"\nurl = \"{url}\"\n"
        ),
    )
    .unwrap();
    let run = |args: &'static [&'static str]| {
        let config = config.clone();
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_filescope"))
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .env("FILESCOPE_CONFIG", &config)
                .env("FILESCOPE_DATA_DIR", config.parent().unwrap())
                .args(args)
                .args(["-p", "it"])
                .output()
                .unwrap()
        })
    };
    let stats = run(&["stats", "--format", "json"]).await.unwrap();
    let ls = run(&["ls", "--format", "json"]).await.unwrap();
    for (what, out) in [("stats", &stats), ("ls", &ls)] {
        assert_eq!(
            out.status.code(),
            Some(0),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout.clone()).unwrap();
        let raw: Vec<char> = text
            .chars()
            .filter(|&c| filescope::text::is_unsafe(c) && c != '\n')
            .collect();
        assert!(raw.is_empty(), "{what} printed raw {raw:?}:\n{text}");
        for escape in ["\\u009b", "\\u009d", "\\u0085", "\\u202e", "\\u007f"] {
            assert!(text.contains(escape), "{what} lacks {escape}:\n{text}");
        }
    }
    // The same names, read back.
    let s: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
    let mut largest: Vec<&str> = s["largest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    largest.sort_unstable();
    let mut want = HOSTILE.to_vec();
    want.sort_unstable();
    assert_eq!(largest, want);
}
