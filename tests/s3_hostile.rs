//! S3 servers that lie (issue 22): list answers that are huge, endless, truncated without a
//! token, or hold a key that is not UTF-8. Each is an axum server on 127.0.0.1 inside the
//! test, answering ListObjectsV2 as the test says; the client and the binary are checked
//! against it.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use filescope::api::dialect::PageRequest;
use filescope::api::s3::{S3, Settings};
use filescope::api::{Client, Connection, ListQuery};

/// What the server answers to a list request, given its query parameters.
type Answer = Arc<dyn Fn(&HashMap<String, String>) -> String + Send + Sync>;

/// A hostile S3 endpoint and the list requests it has served.
struct Hostile {
    endpoint: String,
    requests: Arc<AtomicUsize>,
}

async fn hostile(answer: Answer) -> Hostile {
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    let app = axum::Router::new().fallback(
        move |axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>| {
            let answer = answer.clone();
            counted.fetch_add(1, Ordering::SeqCst);
            async move { ([("content-type", "application/xml")], answer(&q)) }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Hostile { endpoint, requests }
}

fn client(server: &Hostile) -> Client {
    let dialect = S3::new(Settings {
        bucket: "bkt".into(),
        root: String::new(),
        keys: None,
        region: "us-east-1".into(),
        endpoint: Some(server.endpoint.parse().unwrap()),
        path_style: None,
        levels: false,
    });
    let conn = Connection::new(Arc::new(dialect), server.endpoint.parse().unwrap(), None);
    Client::new(conn).unwrap()
}

fn scratch(tag: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("filescope-s3-hostile-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `filescope ls s3://bkt --endpoint …` with `config` as the configuration file.
async fn ls(dir: &Path, server: &Hostile, config: &str, extra: &[&str]) -> std::process::Output {
    std::fs::write(dir.join("config.toml"), config).unwrap();
    let mut args: Vec<String> = ["ls", "--dialect", "s3", "--url", "s3://bkt", "--endpoint"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.push(server.endpoint.clone());
    args.extend(extra.iter().map(|s| s.to_string()));
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_filescope"))
            .env("HOME", &dir)
            .env("FILESCOPE_CONFIG", dir.join("config.toml"))
            .env("FILESCOPE_DATA_DIR", &dir)
            .env("AWS_ACCESS_KEY_ID", "AKIDHOSTILE")
            .env("AWS_SECRET_ACCESS_KEY", "hostile-secret")
            .env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                dir.join("no-aws-credentials"),
            )
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_REGION")
            .env_remove("AWS_DEFAULT_REGION")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_ENDPOINT_URL_S3")
            .args(&args)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn contents(keys: impl IntoIterator<Item = String>) -> String {
    keys.into_iter()
        .map(|k| format!("<Contents><Key>{k}</Key><Size>1</Size></Contents>"))
        .collect()
}

fn first_page() -> PageRequest {
    PageRequest {
        number: 1,
        size: 1000,
    }
}

fn query(client: &Client) -> ListQuery {
    ListQuery::new(client.dialect().capabilities().default_sort)
}

/// Item 8: `IsTruncated=true` with no token (or an empty one) is a broken answer, not the end.
#[tokio::test(flavor = "multi_thread")]
async fn a_truncated_answer_without_a_continuation_token_fails_with_exit_5_and_says_why() {
    for token in ["", "<NextContinuationToken></NextContinuationToken>"] {
        let answer: Answer = Arc::new(move |_| {
            format!(
                "<ListBucketResult><IsTruncated>true</IsTruncated>{token}{}</ListBucketResult>",
                contents(["a".to_string(), "b".to_string()])
            )
        });
        let server = hostile(answer).await;
        let dir = scratch("truncated");
        let out = ls(&dir, &server, "", &[]).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(5), "{token:?}: {stderr}");
        assert!(
            stderr.contains("IsTruncated") && stderr.contains("no NextContinuationToken"),
            "{stderr}"
        );
        assert_eq!(server.requests.load(Ordering::SeqCst), 1, "not retried");
    }
}

/// Item 9: one key that does not decode to UTF-8 keeps its page and says what is wrong.
#[tokio::test(flavor = "multi_thread")]
async fn a_key_that_is_not_utf8_keeps_its_page_and_lists_a_problem() {
    let answer: Answer = Arc::new(|_| {
        format!(
            "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>{}</ListBucketResult>",
            contents(["good-1".into(), "bad%FFname".into(), "good-2".into()])
        )
    });
    let server = hostile(answer).await;
    let client = client(&server);
    let page = client
        .list_page(&query(&client), first_page())
        .await
        .unwrap();
    let names: Vec<&str> = page.records.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["good-1", "bad\u{fffd}name", "good-2"]);
    assert!(page.records[0].problems.is_empty());
    assert!(page.records[2].problems.is_empty());
    let problems = page.records[1].problems.join("; ");
    assert!(
        problems.contains("does not decode to UTF-8 (sent as \"bad%FFname\")"),
        "{problems}"
    );
}

/// Item 6: the answer is read as a stream, so the max_records refusal comes as soon as the
/// count passes the limit: here before the end of an answer that never closes (a tree built
/// whole first would fail on the broken XML instead, after holding all of it).
#[tokio::test(flavor = "multi_thread")]
async fn too_many_records_are_refused_as_soon_as_the_count_passes_the_limit() {
    let answer: Answer = Arc::new(|_| {
        format!(
            "<ListBucketResult><IsTruncated>false</IsTruncated>{}<Contents><Key>never closed",
            contents((0..11).map(|i| format!("k{i:03}")))
        )
    });
    let server = hostile(answer).await;
    let dir = scratch("max-records");
    let out = ls(&dir, &server, "[network]\nmax_records = 10\n", &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains("the answer holds more than 10 records"),
        "{stderr}"
    );
    // Unrequested elements cost nothing: a flood of them is read through.
    let answer: Answer = Arc::new(|_| {
        format!(
            "<ListBucketResult><IsTruncated>false</IsTruncated>{}{}</ListBucketResult>",
            "<a/>".repeat(1 << 20),
            contents(["k".to_string()])
        )
    });
    let server = hostile(answer).await;
    let client = client(&server);
    let page = client
        .list_page(&query(&client), first_page())
        .await
        .unwrap();
    assert_eq!(page.records.len(), 1);
}

/// Item 5: S3 the same way: a 64 KiB continuation token is refused at once (exit 5, one
/// request), not sent and retried as a network fault.
#[tokio::test(flavor = "multi_thread")]
async fn a_continuation_token_longer_than_the_cap_is_refused_with_exit_5() {
    let answer: Answer = Arc::new(|_| {
        format!(
            "<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>{}</NextContinuationToken>{}</ListBucketResult>",
            "t".repeat(64 << 10),
            contents(["a".to_string()])
        )
    });
    let server = hostile(answer).await;
    let dir = scratch("long-token");
    let out = ls(&dir, &server, "", &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains(
            "the server's cursor for the next page is 65,536 bytes, more than the 16,384"
        ),
        "{stderr}"
    );
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
}
