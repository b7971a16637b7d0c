//! S3 behaviours `s3s-fs` 0.14.1 does not have, against the demo server's S3 (built from the
//! AWS documentation, its Signature V4 checked against AWS's published example): keys
//! URL-encoded under `encoding-type=url`, a bucket in another region, `If-Match` on a resumed
//! download, and checksums sent only when asked for.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use crate::common;

use std::sync::Arc;

use filescope::api::content::{Conflict, download, part_path};
use filescope::api::s3::{
    S3, Settings,
    credentials::{Keys, Signer},
};
use filescope::api::{Client, Connection, ListQuery, PageRequest, Secret};
use filescope_demo::s3::{AWKWARD_KEYS, KeySpace};
use filescope_demo::{DemoServer, S3_ACCESS_KEY, S3_BUCKET, S3_SECRET_KEY};

async fn demo(files: usize, region: &str) -> DemoServer {
    common::Demo::new(files)
        .dialect("s3")
        .region(region)
        .start()
        .await
}

fn client(server: &DemoServer, root: &str, region: &str) -> Client {
    client_of(server, root, region, false)
}

/// A client as `ls` has it (`levels` false: every key under `root`) or as the explorer has it
/// (one level, folders as rows).
fn client_of(server: &DemoServer, root: &str, region: &str, levels: bool) -> Client {
    common::demo_s3_client(&server.base_url, S3_BUCKET, root, region, levels)
}

fn scratch(tag: &str) -> std::path::PathBuf {
    common::fresh_dir(&format!("s3demo-{tag}"))
}

async fn first_page(client: &Client) -> Vec<filescope::api::FileRecord> {
    let query = ListQuery::new(client.dialect().capabilities().default_sort);
    client
        .list_page(
            &query,
            PageRequest {
                number: 1,
                size: 1000,
            },
        )
        .await
        .unwrap()
        .records
}

/// `filescope ls --dialect s3` with the demo's credentials, nothing of the machine's AWS
/// setup (nor its instance metadata), and `args` after the dialect.
fn ls_on_demo(dir: &std::path::Path, at: &[&str], args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_filescope"));
    // No instance metadata service is asked: tests stay on loopback.
    cmd.env("AWS_EC2_METADATA_DISABLED", "true");
    common::aws_isolated(
        &mut cmd,
        dir,
        &[
            ("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY),
        ],
    )
    .env("HOME", dir)
    .env("FILESCOPE_CONFIG", dir.join("none.toml"))
    .env("FILESCOPE_DATA_DIR", dir)
    .env("COLUMNS", "200")
    .args(["ls", "--dialect", "s3"])
    .args(at)
    .args(args)
    .output()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn awkward_keys_round_trip_exactly_through_ls() {
    let server = demo(50, "us-east-1").await;
    let dir = scratch("ls");
    let endpoint = server.base_url.clone();
    let out = tokio::task::spawn_blocking(move || {
        ls_on_demo(
            &dir,
            &["--url", "s3://demo", "--endpoint", &endpoint],
            &["--all", "--format", "ndjson"],
        )
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ids: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for key in AWKWARD_KEYS {
        assert!(
            ids.iter().any(|id| id == key),
            "{key:?} did not come back exactly"
        );
    }
    // In S3's order: UTF-8 bytes.
    let mut sorted = ids.clone();
    sorted.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(ids, sorted);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bucket_in_another_region_is_signed_for_again_not_redirected() {
    let server = demo(30, "eu-north-1").await;
    let client = client(&server, "", "us-east-1");
    let records = first_page(&client).await;
    assert!(!records.is_empty());
    assert_eq!(
        server.stats.list_requests(),
        2,
        "refused once for the wrong region, then signed again for the bucket's"
    );
    // The region the bucket named is kept for every later request.
    let before = server.stats.list_requests();
    let again = first_page(&client).await;
    assert_eq!(again.len(), records.len());
    assert_eq!(
        server.stats.list_requests() - before,
        1,
        "signed right the first time now"
    );
}

/// Downloads `record` to `target` as the explorer does, resuming from a part file if any.
async fn download_to(
    client: &Client,
    record: &filescope::api::FileRecord,
    target: &std::path::Path,
) -> filescope::api::content::Saved {
    download(
        client,
        record,
        target,
        Conflict::Overwrite,
        &tokio_util::sync::CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap()
}

/// A part file of `bytes` with `etag` as its validator, as an interrupted download leaves it.
fn part_file(target: &std::path::Path, id: &str, bytes: &[u8], etag: &str) {
    let part = part_path(target, id);
    std::fs::write(&part, bytes).unwrap();
    let mut validator = part.as_os_str().to_owned();
    validator.push(".validator");
    std::fs::write(validator, etag).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_object_restarts_a_resumed_download_by_if_match() {
    let server = demo(40, "us-east-1").await;
    let client = client(&server, "", "us-east-1");
    let records = first_page(&client).await;
    let record = records
        .iter()
        .find(|r| r.size.is_some_and(|s| (10_000..4_000_000).contains(&s)))
        .unwrap()
        .clone();
    let answer = reqwest::get(
        client
            .reach()
            .share_link(&record, std::time::Duration::from_secs(60))
            .unwrap()
            .unwrap(),
    )
    .await
    .unwrap();
    let etag = answer.headers()["etag"].to_str().unwrap().to_string();
    let whole = answer.bytes().await.unwrap();
    let dir = scratch("ifmatch");

    // The control: a part file of this very object, with its ETag, is resumed where it
    // ends, by a range the ETag guards.
    let target = dir.join("resumed");
    part_file(&target, &record.id, &whole[..1_000], &etag);
    let ranges = server.stats.range_requests();
    let saved = download_to(&client, &record, &target).await;
    assert_eq!(saved.resumed_from, 1_000, "the part file was kept");
    assert_eq!(
        server.stats.range_requests() - ranges,
        1,
        "one range asked for"
    );
    assert_eq!(
        server.stats.if_match(),
        [(etag.clone(), 206)],
        "the range carried the part's ETag in If-Match and got the rest"
    );
    assert_eq!(std::fs::read(&target).unwrap(), whole.as_ref());

    // A part file of an object that has changed since: its ETag no longer matches, the store
    // says 412, and the download starts over from the first byte.
    let stale = "\"0000000000000000000000000000dead\"";
    let target = dir.join("restarted");
    part_file(
        &target,
        &record.id,
        b"stale bytes of an older version",
        stale,
    );
    let saved = download_to(&client, &record, &target).await;
    assert_eq!(
        server.stats.if_match()[1..],
        [(stale.to_string(), 412)],
        "the range carried the stale ETag and was refused"
    );
    assert_eq!(saved.resumed_from, 0, "the stale part was not kept");
    assert_eq!(std::fs::read(&target).unwrap(), whole.as_ref());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_checksum_s3_keeps_is_asked_for_and_verified() {
    let server = demo(60, "us-east-1").await;
    let client = client(&server, "", "us-east-1");
    let records = first_page(&client).await;
    // A single-part object (under 8 MiB): S3 keeps a SHA-256 of it, and tells only when asked.
    let record = records
        .iter()
        .find(|r| r.size.is_some_and(|s| (1..8 << 20).contains(&s)))
        .unwrap()
        .clone();
    let detail = client.detail(&record.id).await.unwrap().unwrap();
    let raw: serde_json::Value = serde_json::from_str(detail.raw.get()).unwrap();
    assert!(raw["ChecksumSHA256"].as_str().is_some(), "{raw}");
    let dir = scratch("checksum");
    let saved = download(
        &client,
        &record,
        &dir.join("file"),
        Conflict::Overwrite,
        &tokio_util::sync::CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(
        saved.verified,
        Some(filescope::api::content::Algorithm::Sha256),
        "the SHA-256 was not checked"
    );
}

/// The demo bucket holds keys with `..` segments (a file named `../../../etc/passwd` under
/// `uploads/`), and its store verifies Signature V4 as S3 does (the canonical path is the
/// decoded key, `/` as separators). Each such key is sent as one segment (`%2F` for its `/`),
/// signed as S3 reads it, and reaches exactly its own object: HEAD gives the listed size, a
/// ranged GET and the presigned link give the same bytes — never another object's, never a
/// 403.
#[tokio::test(flavor = "multi_thread")]
async fn keys_with_dot_segments_reach_their_own_object_signed_as_s3_reads_them() {
    // One record in 500 has a hostile name, one of those in 15 a path traversal.
    let server = demo(30_000, "us-east-1").await;
    let client = client(&server, "", "us-east-1");
    let query = ListQuery::new(client.dialect().capabilities().default_sort);
    let mut records = Vec::new();
    let mut after = None;
    for number in 1.. {
        let page = client
            .list_page_after(&query, PageRequest { number, size: 1000 }, after.as_ref())
            .await
            .unwrap();
        records.extend(page.records);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert!(records.len() >= 30_000);
    let dotted: Vec<_> = records
        .iter()
        .filter(|r| r.id.split('/').any(|s| s == ".." || s == "."))
        .collect();
    assert!(
        !dotted.is_empty(),
        "the demo bucket has keys with dot segments"
    );
    for record in dotted {
        let detail = client.detail(&record.id).await.unwrap().unwrap();
        assert_eq!(detail.size, record.size, "HEAD {}", record.id);
        let head = client.head_bytes(&detail, 64).await.unwrap();
        let link = client
            .reach()
            .share_link(&detail, std::time::Duration::from_secs(60))
            .unwrap()
            .unwrap();
        assert!(link.path().contains("%2F..%2F"), "{link}");
        let answer = reqwest::get(link).await.unwrap();
        assert_eq!(answer.status(), 200, "the presigned link of {}", record.id);
        let whole = answer.bytes().await.unwrap();
        assert_eq!(whole.len() as u64, record.size.unwrap(), "{}", record.id);
        assert_eq!(&whole[..head.len()], &head[..], "{}", record.id);
    }
}

// ---- `G` on key spaces shaped as real buckets are (issue 29) ----------------------------

/// Every entry of the listing one level under `root`, in order, read page after page.
async fn every_entry(client: &Client) -> Vec<String> {
    let mut query = ListQuery::new(client.dialect().capabilities().default_sort);
    let mut all: Vec<String> = Vec::new();
    loop {
        let page = client
            .list_page(
                &query,
                PageRequest {
                    number: 1,
                    size: 1000,
                },
            )
            .await
            .unwrap();
        all.extend(page.records.iter().map(|r| r.id.clone()));
        if page.has_next != Some(true) {
            return all;
        }
        // A folder row rolls up everything under it: list after all of it.
        query.start_after = all.last().map(|id| filescope::api::keyspace::past(id));
    }
}

/// Opens the explorer on `space` (one level, in its folder), presses `G`, and checks the
/// landing is exact: the last entry selected, the rows shown the true last ones in order,
/// the "of ≥ N" a true lower bound; and that the first page and `G` took at most 40 requests.
async fn g_lands_exactly_on(space: KeySpace, files: usize) {
    if std::env::var_os("TRACE_TAIL").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("filescope::api::s3::tail=debug")
            .with_writer(std::io::stderr)
            .try_init();
    }
    let server = common::Demo::new(files)
        .dialect("s3")
        .key_space(space)
        .start()
        .await;
    let dialect = S3::new(Settings {
        bucket: S3_BUCKET.into(),
        root: space.folder().into(),
        signer: Signer::given(Keys {
            access_key_id: S3_ACCESS_KEY.into(),
            secret_access_key: Secret::new(S3_SECRET_KEY),
            session_token: None,
            source: "the test".into(),
            expiry: None,
        }),
        region: "us-east-1".into(),
        endpoint: Some(server.base_url.parse().unwrap()),
        path_style: None,
        levels: true,
    });
    let conn = Connection::new(Arc::new(dialect), server.base_url.parse().unwrap(), None);
    let client = Client::new(conn).unwrap();
    let all = every_entry(&client).await;
    assert!(all.len() > 50_000, "{space:?}: {}", all.len());

    let before = server.stats.list_requests();
    let mut app = filescope::test_support::app_on(&client);
    let effects = app.start(120, 40, std::time::Instant::now());
    common::settle(&mut app, &client, effects).await;
    assert!(!app.is_count_known());
    let effects = app.update(filescope::test_support::key('G'), std::time::Instant::now());
    common::settle(&mut app, &client, effects).await;
    let requests = server.stats.list_requests() - before;
    eprintln!("{space:?}: first page + G: {requests} requests");

    assert_eq!(
        app.selected().map(|r| r.id.clone()).as_ref(),
        all.last(),
        "{space:?}"
    );
    let shown: Vec<String> = (0..app.row_count())
        .filter_map(|i| match app.row(i) {
            filescope::listing::Row::Loaded(r) => Some(r.id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(shown.len(), app.row_count(), "{space:?}: every row loaded");
    assert!(shown.len() >= 30, "{space:?}: only {} rows", shown.len());
    assert_eq!(shown, all[all.len() - shown.len()..], "{space:?}");
    let floor = app.listing().tail_floor().unwrap();
    assert!(
        floor <= all.len() && floor >= shown.len(),
        "{space:?}: of ≥ {floor} with {} entries",
        all.len()
    );
    let header = common::render(&app, 120, 40)[0].clone();
    let said = format!("of ≥ {})", filescope::text::thousands(floor));
    assert!(
        header.contains(&said),
        "{space:?}: {header} (expected {said})"
    );
    assert!(
        requests <= 40,
        "{space:?}: the first page and G took {requests} requests"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn g_on_uuids_lands_on_the_last_key_in_at_most_40_requests() {
    g_lands_exactly_on(KeySpace::Uuids, 100_000).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn g_on_hex_folders_lands_on_the_last_folder_in_at_most_40_requests() {
    g_lands_exactly_on(KeySpace::HexFolders, 100_000).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn g_on_numbered_keys_lands_on_the_last_key_in_at_most_40_requests() {
    g_lands_exactly_on(KeySpace::Numbered, 90_000).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn g_on_a_counter_past_its_width_lands_on_the_last_key_in_at_most_40_requests() {
    g_lands_exactly_on(KeySpace::Counter, 100_017).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn g_on_timestamped_names_lands_on_the_last_key_in_at_most_40_requests() {
    g_lands_exactly_on(KeySpace::Timestamped, 100_000).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn g_on_a_dense_middle_with_far_ends_lands_on_the_last_key_in_at_most_40_requests() {
    g_lands_exactly_on(KeySpace::SparseEnds, 100_000).await;
}

// ---- folders and the copied command (issue 27) -------------------------------------------

/// `y c`'s command, run as a person would paste it: `sh -c` with the AWS keys in the
/// environment and curl's own `--aws-sigv4`. The demo's store verifies Signature V4 as S3
/// does, and refused the command for want of `x-amz-content-sha256`; now it lists, at the
/// bucket's root and inside a folder (a prefix with its `/` encoded).
#[tokio::test(flavor = "multi_thread")]
async fn the_copied_curl_command_is_accepted_by_the_store() {
    let server = demo(300, "us-east-1").await;
    let client = client_of(&server, "", "us-east-1", true);
    let mut query = ListQuery::new(client.dialect().capabilities().default_sort);
    let page = PageRequest {
        number: 1,
        size: 200,
    };
    let at_root = client.curl_command(&query, page).unwrap();
    query
        .terms
        .push(filescope::api::Term::Folder("logs/".into()));
    let in_folder = client.curl_command(&query, page).unwrap();
    for (command, expect) in [
        (at_root, "<Prefix>logs/</Prefix>"),
        (in_folder, "<Prefix>logs/2"),
    ] {
        assert!(command.starts_with("curl "), "{command}");
        let run = command.clone();
        let out = tokio::task::spawn_blocking(move || {
            let mut sh = std::process::Command::new("sh");
            for proxy in ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"] {
                sh.env_remove(proxy);
            }
            sh.env("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY)
                .env("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY)
                .args(["-c", &run])
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let body = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && body.contains("<ListBucketResult") && body.contains(expect),
            "{command}\n{}: {body}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The insight view's scan of the bucket's root, where every row is a folder, sums every
/// file under it (the bucket's files plus its five awkward keys), as `stats` does; it summed
/// none, the folders being rows and not files.
#[tokio::test(flavor = "multi_thread")]
async fn the_insight_scan_of_the_root_sums_every_file_in_the_bucket() {
    let server = demo(3_000, "us-east-1").await;
    let client = client_of(&server, "", "us-east-1", true);
    let mut app = filescope::test_support::app_on(&client);
    let now = std::time::Instant::now;
    let effects = app.start(120, 40, now());
    common::settle(&mut app, &client, effects).await;
    assert!(
        app.selected()
            .is_some_and(|r| r.content_type.as_deref() == Some(filescope::api::record::FOLDER_TYPE)),
        "the root lists folders"
    );
    app.update(filescope::test_support::key('i'), now());
    let effects = app.update(filescope::test_support::key('a'), now());
    common::settle(&mut app, &client, effects).await;
    let filescope::app::Overlay::Insight(view) = app.overlay() else {
        panic!("{:?}", app.mode());
    };
    assert_eq!(view.error, None);
    assert_eq!(view.source, filescope::app::insight::Source::Scanned);
    assert_eq!(view.stats.total.files, 3_005, "{:?}", view.stats.total);
}

// ---- versions ---------------------------------------------------------------------------

/// The demo's versions under `weird/` (its side table, `crates/filescope-demo/src/s3/
/// versions.rs`), in S3's order: each key's versions newest first, the live awkward keys
/// `null` (written before versioning), `weird/100%.txt` with two older versions and
/// `weird/deleted.txt` a delete marker over two.
const WEIRD_VERSIONS: [(&str, &str, bool, bool); 9] = [
    ("weird/100%.txt", "null", true, false),
    (
        "weird/100%.txt",
        "3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrH",
        false,
        false,
    ),
    (
        "weird/100%.txt",
        "Gw_QzPp0cvYm9Lr7.TtK2jXWnB4hFsAe",
        false,
        false,
    ),
    ("weird/a+b c%20d.txt", "null", true, false),
    ("weird/ctl\u{1b}[31mred.txt", "null", true, false),
    (
        "weird/deleted.txt",
        "dM8vR2kq9TzLx.wQp_4nYc7HbF0sJgUe",
        true,
        true,
    ),
    (
        "weird/deleted.txt",
        "pX1rT7mQ2wLk9.Zc_5nVb8JhG3sDfAe",
        false,
        false,
    ),
    (
        "weird/deleted.txt",
        "a9Kd2Lq7Wm4Xr_Tz.1Bn6Vc3Hj8Gf5Sp",
        false,
        false,
    ),
    ("weird/trailing space .txt", "null", true, false),
];

/// A version row's key and fields, from its record.
fn version_of(record: &filescope::api::FileRecord) -> (String, String, bool, bool) {
    let raw: serde_json::Value = serde_json::from_str(record.raw.get()).unwrap();
    let v = record.version_fields();
    (
        raw["Key"].as_str().unwrap().to_string(),
        v.version_id.unwrap(),
        v.is_latest.unwrap(),
        v.delete_marker.unwrap(),
    )
}

fn expected_weird() -> Vec<(String, String, bool, bool)> {
    WEIRD_VERSIONS
        .iter()
        .map(|(k, v, l, m)| (k.to_string(), v.to_string(), *l, *m))
        .collect()
}

/// `ls s3://demo/weird/ --versions` prints every version and delete marker, exactly, with
/// `version_id`, `is_latest` and `delete_marker` in NDJSON, and in the table's columns.
#[tokio::test(flavor = "multi_thread")]
async fn ls_versions_prints_every_version_and_delete_marker_exactly() {
    let server = demo(50, "us-east-1").await;
    let dir = scratch("ls-versions");
    let endpoint = server.base_url.clone();
    let run = move |format: &'static str| {
        let (dir, endpoint) = (dir.clone(), endpoint.clone());
        move || {
            ls_on_demo(
                &dir,
                &["--url", "s3://demo/weird/", "--endpoint", &endpoint],
                &["--versions", "--all", "--format", format],
            )
        }
    };
    let out = tokio::task::spawn_blocking(run("ndjson")).await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Vec<(String, String, bool, bool)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let url = v["url"].as_str().unwrap();
            let key = url
                .strip_prefix("s3://demo/")
                .and_then(|u| u.split_once("?versionId="))
                .unwrap()
                .0
                .to_string();
            (
                key,
                v["version_id"].as_str().unwrap().to_string(),
                v["is_latest"].as_bool().unwrap(),
                v["delete_marker"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(printed, expected_weird());

    let out = tokio::task::spawn_blocking(run("table")).await.unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 10, "{table}");
    for word in ["NAME", "VERSION", "LATEST", "DELETE MARKER"] {
        assert!(lines[0].contains(word), "{table}");
    }
    let marker = lines
        .iter()
        .find(|l| l.contains("dM8vR2kq9TzLx.wQp_4nYc7HbF0sJgUe"))
        .unwrap();
    let words: Vec<&str> = marker.split_whitespace().collect();
    assert_eq!(words[words.len() - 2..], ["true", "true"], "{marker}");
}

/// Paged two at a time, a page ends inside `weird/100%.txt`'s versions: the next one
/// carries both `key-marker` and `version-id-marker` and starts at that key's next version;
/// every row comes once, in order.
#[tokio::test(flavor = "multi_thread")]
async fn versions_page_across_a_version_id_marker_exactly() {
    let server = demo(50, "us-east-1").await;
    let client = client(&server, "weird/", "us-east-1");
    let mut query = ListQuery::new(client.dialect().capabilities().default_sort);
    query.versions = Some(filescope::api::Versions::Listing);
    let mut rows = Vec::new();
    let mut pages = 0;
    filescope::api::scan::each_page(&client, &query, 2, 1, |page, _| {
        pages += 1;
        rows.extend(page.records.iter().map(version_of));
        true
    })
    .await
    .unwrap();
    assert_eq!(rows, expected_weird());
    assert_eq!(pages, 5);
    let second = client
        .dialect()
        .continue_request(
            &query,
            PageRequest { number: 2, size: 2 },
            r#"["weird/100%.txt","3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrH"]"#,
        )
        .query;
    assert!(
        second
            .iter()
            .any(|(k, v)| k == "version-id-marker" && v == "3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrH"),
        "{second:?}"
    );
}

/// The versions of one key, as `v` lists them.
async fn versions_of(client: &Client, key: &str) -> Vec<filescope::api::FileRecord> {
    let mut query = ListQuery::new(client.dialect().capabilities().default_sort);
    query.versions = Some(filescope::api::Versions::Of(key.into()));
    client
        .list_page(
            &query,
            PageRequest {
                number: 1,
                size: 200,
            },
        )
        .await
        .unwrap()
        .records
}

/// An older version's preview and download are that version's bytes (the download checked
/// against that version's SHA-256, from its own HEAD); its presigned link and its `y c`
/// command, run by `sh`, fetch it too; a delete marker refuses them in one line.
#[tokio::test(flavor = "multi_thread")]
async fn an_older_version_is_previewed_downloaded_linked_and_curled_as_itself() {
    let server = demo(50, "us-east-1").await;
    let client = client(&server, "", "us-east-1");
    let rows = versions_of(&client, "weird/100%.txt").await;
    assert_eq!(rows.len(), 3, "{rows:?}");
    let old = rows
        .iter()
        .find(|r| {
            r.version_fields().version_id.as_deref() == Some("Gw_QzPp0cvYm9Lr7.TtK2jXWnB4hFsAe")
        })
        .unwrap();
    let old_text = "filescope demo: version 1 of \"weird/100%.txt\" (Gw_QzPp0cvYm9Lr7.TtK2jXWnB4hFsAe), replaced since.\n";

    let preview = client.head_bytes(old, 4096).await.unwrap();
    assert!(
        String::from_utf8_lossy(&preview).starts_with(old_text),
        "{}",
        String::from_utf8_lossy(&preview)
    );
    let dir = scratch("versions");
    let saved = download_to(&client, old, &dir.join("old")).await;
    assert_eq!(
        saved.verified,
        Some(filescope::api::content::Algorithm::Sha256),
        "the version's own checksum was checked"
    );
    let bytes = std::fs::read(dir.join("old")).unwrap();
    assert_eq!(bytes, preview, "the download is the version previewed");
    let latest = client
        .head_bytes(
            &first_page(&client)
                .await
                .into_iter()
                .find(|r| r.id == "weird/100%.txt")
                .unwrap(),
            4096,
        )
        .await
        .unwrap();
    assert_ne!(bytes, latest, "not the live object's bytes");

    let link = client
        .reach()
        .share_link(old, std::time::Duration::from_secs(60))
        .unwrap()
        .unwrap();
    assert!(
        link.as_str()
            .contains("versionId=Gw_QzPp0cvYm9Lr7.TtK2jXWnB4hFsAe"),
        "{link}"
    );
    let fetched = reqwest::get(link).await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), bytes.as_slice());

    let command = client.curl_file(old).unwrap();
    assert!(
        command.contains("versionId=Gw_QzPp0cvYm9Lr7.TtK2jXWnB4hFsAe"),
        "{command}"
    );
    let run = command.clone();
    let out = tokio::task::spawn_blocking(move || {
        let mut sh = std::process::Command::new("sh");
        for proxy in ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"] {
            sh.env_remove(proxy);
        }
        sh.env("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .args(["-c", &run])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(
        out.stdout,
        bytes,
        "{command}\n{}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );

    let marker = versions_of(&client, "weird/deleted.txt").await;
    assert_eq!(marker.len(), 3);
    assert_eq!(marker[0].version_fields().delete_marker, Some(true));
    let refused = client
        .head_bytes(&marker[0], 10)
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("a delete marker"), "{refused}");
    assert!(!refused.contains('\n'), "one line: {refused}");
    let older = client.head_bytes(&marker[1], 4096).await.unwrap();
    assert!(
        String::from_utf8_lossy(&older)
            .starts_with("filescope demo: version 2 of \"weird/deleted.txt\"")
    );
}

/// `v` on a key lists its versions, the header saying whose; Backspace goes back to the
/// live files with the key selected again.
#[tokio::test(flavor = "multi_thread")]
async fn v_shows_the_selected_keys_versions_and_backspace_goes_back() {
    use filescope::test_support::{code, key, render};
    let server = demo(50, "us-east-1").await;
    let client = client_of(&server, "weird/", "us-east-1", true);
    let mut app = filescope::test_support::app_on(&client);
    let now = std::time::Instant::now;
    let effects = app.start(160, 30, now());
    common::settle(&mut app, &client, effects).await;
    assert_eq!(app.row_count(), 4, "the live keys");
    assert_eq!(app.selected().unwrap().id, "weird/100%.txt");

    let effects = app.update(key('v'), now());
    common::settle(&mut app, &client, effects).await;
    let shown: Vec<_> = (0..app.row_count())
        .map(|i| match app.row(i) {
            filescope::listing::Row::Loaded(r) => version_of(r),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(shown, expected_weird()[..3]);
    let screen = render(&app, 160, 30).join("\n");
    assert!(screen.contains("versions of weird/100%.txt"), "{screen}");
    for shown in ["Version", "Latest", "Marker", "Gw_QzPp0cvYm9", "true"] {
        assert!(screen.contains(shown), "{shown}: {screen}");
    }

    let effects = app.update(code(crossterm::event::KeyCode::Backspace), now());
    common::settle(&mut app, &client, effects).await;
    assert_eq!(app.row_count(), 4);
    assert_eq!(app.selected().unwrap().id, "weird/100%.txt");
    assert!(!render(&app, 120, 30).join("\n").contains("versions of"));

    // Another key's, and Esc back.
    let effects = app.update(key('G'), now());
    common::settle(&mut app, &client, effects).await;
    let effects = app.update(key('v'), now());
    common::settle(&mut app, &client, effects).await;
    assert_eq!(app.row_count(), 1, "the selected key's");
    assert!(
        render(&app, 120, 30)
            .join("\n")
            .contains("versions of weird/trailing space .txt")
    );
    let effects = app.update(code(crossterm::event::KeyCode::Esc), now());
    common::settle(&mut app, &client, effects).await;
    assert_eq!(app.row_count(), 4, "Esc goes back too");
}

/// Issue 24, item 3: the list of buckets is read page by page by `continuation-token`
/// (every bucket once, in the store's order), and a bucket whose region the list names is
/// signed for it from its first request: no refusal for the wrong region.
#[tokio::test(flavor = "multi_thread")]
async fn the_bucket_list_is_paged_and_a_listed_region_is_used_from_the_first_request() {
    let server = common::Demo::new(30)
        .dialect("s3")
        .region("eu-north-1")
        .other_buckets(&[("alpha", "ap-south-1"), ("zeta", "us-west-2")])
        .start()
        .await;
    let client = common::s3_service(&server.base_url, S3_ACCESS_KEY, S3_SECRET_KEY, "us-east-1");
    let query = ListQuery::new(client.dialect().capabilities().default_sort);
    let mut names = Vec::new();
    let mut pages = 0;
    filescope::api::scan::each_page(&client, &query, 1, 1, |page, _| {
        pages += 1;
        names.extend(page.records.into_iter().map(|r| r.id));
        true
    })
    .await
    .unwrap();
    assert_eq!(names, ["alpha/", "demo/", "zeta/"]);
    assert_eq!(pages, 3, "one bucket a page");

    let mut inside = query.clone();
    inside
        .terms
        .push(filescope::api::Term::Folder("demo/".into()));
    let before = server.stats.list_requests();
    let page = client
        .list_page(
            &inside,
            PageRequest {
                number: 1,
                size: 1000,
            },
        )
        .await
        .unwrap();
    assert!(!page.records.is_empty());
    assert!(page.records.iter().all(|r| r.id.starts_with("demo/")));
    assert_eq!(
        server.stats.list_requests() - before,
        1,
        "signed for eu-north-1, as the list said, the first time"
    );
}
