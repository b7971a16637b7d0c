//! `filescope stats` against the demo server, checked against sums the test makes itself from
//! `filescope ls --all`.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use std::process::{Command, Output};

use filescope_demo::{DemoConfig, DemoServer};

const KEY: &str = "stats-key";

fn run(url: &str, args: &[&str]) -> Output {
    let dir = std::env::temp_dir().join(format!("filescope-stats-{}", std::process::id()));
    Command::new(env!("CARGO_BIN_EXE_filescope"))
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
    let config = DemoConfig {
        files: 3_000,
        api_key: KEY.into(),
        ..DemoConfig::default()
    };
    let server = DemoServer::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
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
    let config = DemoConfig {
        files: 500,
        api_key: KEY.into(),
        ..DemoConfig::default()
    };
    let server = DemoServer::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let url = server.base_url.clone();
    let out = tokio::task::spawn_blocking(move || run(&url, &["stats"]))
        .await
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("500 files, "), "{text}");
    assert!(text.contains("KIND        FILES        BYTES  SHARE"));
    assert!(!text.contains('\u{1b}'), "no raw escapes reach a terminal");
}
