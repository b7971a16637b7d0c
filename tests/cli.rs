//! The binary's non-interactive behaviour: what it says with no arguments or bad flags, and
//! `serve` for scripts.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn filescope() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_filescope"));
    let dir = std::env::temp_dir().join(format!("filescope-cli-{}", std::process::id()));
    cmd.env("FILESCOPE_DATA_DIR", dir)
        .env_remove("FILESCOPE_API_KEY");
    cmd
}

#[test]
fn no_arguments_says_how_to_start_in_two_lines() {
    let out = filescope().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].contains("filescope demo"), "{stderr}");
    assert!(lines[1].contains("--dialect filejar --url"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_flags_are_one_clear_error() {
    let out = filescope()
        .args(["--dialect", "filejar", "--url", "not a url"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("error: invalid value 'not a url' for '--url <URL>'"),
        "{stderr}"
    );

    let out = filescope()
        .args(["demo", "--latency", "-5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn serve_prints_its_url_and_answers_there() {
    let mut child = filescope()
        .args(["serve", "--dialect", "filejar", "--files", "25"])
        .env("FILESCOPE_API_KEY", "k")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line.trim().to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{base:?}");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let body: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/v1/files/organization-files?limit=10"))
        .header("x-api-key", "k")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(body["pagination"]["total"], 25);
    assert_eq!(body["files"].as_array().unwrap().len(), 10);
}
