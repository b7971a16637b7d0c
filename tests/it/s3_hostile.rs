//! S3 servers that lie (issue 22): list answers that are huge, endless, truncated without a
//! token, or hold a key that is not UTF-8. Each is an axum server on 127.0.0.1 inside the
//! test, answering ListObjectsV2 as the test says; the client and the binary are checked
//! against it.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use filescope::api::dialect::{Page, PageRequest};
use filescope::api::s3::{S3, Settings};
use filescope::api::{Client, Connection, ListQuery};

/// A hostile S3 endpoint answering every request with `body`, and the requests it served.
async fn hostile(body: String) -> (String, Arc<AtomicUsize>) {
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    let body = Arc::new(body);
    let app = axum::Router::new().fallback(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        let body = body.clone();
        async move { ([("content-type", "application/xml")], body.to_string()) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (endpoint, requests)
}

/// A ListObjectsV2 answer: `truncated`, then `inside` as it is.
fn list_result(truncated: bool, inside: &str) -> String {
    format!("<ListBucketResult><IsTruncated>{truncated}</IsTruncated>{inside}</ListBucketResult>")
}

fn contents(keys: impl IntoIterator<Item = String>) -> String {
    keys.into_iter()
        .map(|k| format!("<Contents><Key>{k}</Key><Size>1</Size></Contents>"))
        .collect()
}

/// The first page the client reads from a server answering `body`.
async fn first_page_of(body: String) -> Page {
    let (endpoint, _) = hostile(body).await;
    let dialect = S3::new(Settings {
        bucket: "bkt".into(),
        root: String::new(),
        signer: filescope::api::s3::credentials::Signer::unsigned("no credentials"),
        region: "us-east-1".into(),
        endpoint: Some(endpoint.parse().unwrap()),
        path_style: None,
        levels: false,
    });
    let conn = Connection::new(Arc::new(dialect), endpoint.parse().unwrap(), None);
    let client = Client::new(conn).unwrap();
    let query = ListQuery::new(client.dialect().capabilities().default_sort);
    let page = PageRequest {
        number: 1,
        size: 1000,
    };
    client.list_page(&query, page).await.unwrap()
}

/// `filescope ls s3://bkt --endpoint …` against a server answering `body`, with `config` as
/// the configuration file: its exit code, its stderr, and the requests the server served.
async fn ls_answering(tag: &str, config: &str, body: String) -> (Option<i32>, String, usize) {
    let (endpoint, requests) = hostile(body).await;
    let dir = common::fresh_dir(&format!("s3-hostile-{tag}"));
    std::fs::write(dir.join("config.toml"), config).unwrap();
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_filescope"));
        // No instance metadata service is asked: tests stay on loopback.
        cmd.env("AWS_EC2_METADATA_DISABLED", "true");
        common::aws_isolated(
            &mut cmd,
            &dir,
            &[
                ("AWS_ACCESS_KEY_ID", "AKIDHOSTILE"),
                ("AWS_SECRET_ACCESS_KEY", "hostile-secret"),
            ],
        )
        .env("HOME", &dir)
        .env("FILESCOPE_DATA_DIR", &dir)
        .env("FILESCOPE_CONFIG", dir.join("config.toml"))
        .args(["ls", "--dialect", "s3", "--url", "s3://bkt", "--endpoint"])
        .arg(&endpoint)
        .output()
        .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code(), stderr, requests.load(Ordering::SeqCst))
}

/// Item 8: `IsTruncated=true` with no token (or an empty one) is a broken answer, not the end.
#[tokio::test(flavor = "multi_thread")]
async fn a_truncated_answer_without_a_continuation_token_fails_with_exit_5_and_says_why() {
    for token in ["", "<NextContinuationToken></NextContinuationToken>"] {
        let body = list_result(
            true,
            &(token.to_string() + &contents(["a".into(), "b".into()])),
        );
        let (code, stderr, requests) = ls_answering("truncated", "", body).await;
        assert_eq!(code, Some(5), "{token:?}: {stderr}");
        assert!(
            stderr.contains("IsTruncated") && stderr.contains("no NextContinuationToken"),
            "{stderr}"
        );
        assert_eq!(requests, 1, "not retried");
    }
}

/// Item 9: one key that does not decode to UTF-8 keeps its page and says what is wrong.
#[tokio::test(flavor = "multi_thread")]
async fn a_key_that_is_not_utf8_keeps_its_page_and_lists_a_problem() {
    let keys = contents(["good-1".into(), "bad%FFname".into(), "good-2".into()]);
    let body = list_result(false, &format!("<EncodingType>url</EncodingType>{keys}"));
    let page = first_page_of(body).await;
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
    let body = format!(
        "<ListBucketResult><IsTruncated>false</IsTruncated>{}<Contents><Key>never closed",
        contents((0..11).map(|i| format!("k{i:03}")))
    );
    let (code, stderr, _) =
        ls_answering("max-records", "[network]\nmax_records = 10\n", body).await;
    assert_eq!(code, Some(5), "{stderr}");
    assert!(
        stderr.contains("the answer holds more than 10 records"),
        "{stderr}"
    );
    // Unrequested elements cost nothing: a flood of them is read through.
    let flood = "<a/>".repeat(1 << 20) + &contents(["k".to_string()]);
    assert_eq!(
        first_page_of(list_result(false, &flood))
            .await
            .records
            .len(),
        1
    );
}

/// Item 5: S3 the same way: a 64 KiB continuation token is refused at once (exit 5, one
/// request), not sent and retried as a network fault.
#[tokio::test(flavor = "multi_thread")]
async fn a_continuation_token_longer_than_the_cap_is_refused_with_exit_5() {
    let token = format!(
        "<NextContinuationToken>{}</NextContinuationToken>",
        "t".repeat(64 << 10)
    );
    let body = list_result(true, &(token + &contents(["a".to_string()])));
    let (code, stderr, requests) = ls_answering("long-token", "", body).await;
    assert_eq!(code, Some(5), "{stderr}");
    assert!(
        stderr.contains(
            "the server's cursor for the next page is 65,536 bytes, more than the 16,384"
        ),
        "{stderr}"
    );
    assert_eq!(requests, 1);
}
