//! A canary key must never show up anywhere filescope writes: stdout, stderr or the log, on
//! success, on refusal, through retries, at debug level.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use std::process::Command;

use filescope_demo::{DemoConfig, DemoServer};

const CANARY: &str = "sk-canary-7f3a9c1e55";

async fn server(dialect: &str, key: &str, chaos: f64) -> DemoServer {
    DemoServer::start(
        "127.0.0.1:0".parse().unwrap(),
        DemoConfig {
            files: 300,
            api_key: key.into(),
            dialect: dialect.into(),
            chaos,
            ..DemoConfig::default()
        },
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_canary_key_is_never_written() {
    let dir = std::env::temp_dir().join(format!("filescope-canary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("debug.log");
    let accepting = server("flextell", CANARY, 0.2).await;
    let refusing = server("filejar", "another-key", 0.0).await;
    let runs = [
        (
            accepting.base_url.clone(),
            "flextell",
            vec!["ls", "--all", "--raw"],
        ),
        (
            accepting.base_url.clone(),
            "flextell",
            vec!["stats", "--format", "json"],
        ),
        (refusing.base_url.clone(), "filejar", vec!["ls"]),
        ("http://127.0.0.1:9".to_string(), "filejar", vec!["ls"]),
    ];
    let mut seen = String::new();
    for (url, dialect, args) in runs {
        let out = Command::new(env!("CARGO_BIN_EXE_filescope"))
            .env("FILESCOPE_API_KEY", CANARY)
            .env("FILESCOPE_LOG", "debug")
            .env("FILESCOPE_DATA_DIR", &dir)
            .env("FILESCOPE_CONFIG", dir.join("none.toml"))
            .args(&args)
            .args(["--dialect", dialect, "--url", &url, "--log-file"])
            .arg(&log)
            .output()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&out.stdout));
        seen.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        logged.contains("retrying"),
        "the runs went through retries:\n{logged}"
    );
    assert!(seen.contains("was rejected"), "a refusal was reported");
    for (what, text) in [("output", &seen), ("log", &logged)] {
        assert!(!text.contains(CANARY), "the key leaked into the {what}");
        assert!(
            !text.contains("7f3a9c1e55"),
            "part of the key leaked into the {what}"
        );
    }
    // Flextell's signed links are records' data: printed with the records, never logged.
    assert!(seen.contains("signature="), "ls prints the records' links");
    assert!(
        !logged.contains("signature="),
        "signed URLs stay out of the log"
    );
}
