//! How the S3 dialect scales: start a server over N files (default a
//! million), then time the key index (the first listing waits for it) and
//! ListObjectsV2 pages of 1000 deep into the bucket, over loopback.
//!
//! `cargo run --release -p filescope-demo --example s3_scale -- 1000000`;
//! wrap it in `/usr/bin/time -v` for the peak memory.

use std::time::{Duration, Instant};

use filescope_demo::{DemoConfig, DemoServer, S3_ACCESS_KEY, S3_REGION, S3_SECRET_KEY};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac(key: &[u8], message: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(message.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A presigned `GET /demo?{query}` (query pairs unencoded).
fn presign(base_url: &str, query: &[(&str, &str)]) -> String {
    let now = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let date = &now[..8];
    let scope = format!("{date}/{S3_REGION}/s3/aws4_request");
    let credential = format!("{S3_ACCESS_KEY}/{scope}");
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .map(|(n, v)| (encode(n), encode(v)))
        .chain([
            ("X-Amz-Algorithm".into(), "AWS4-HMAC-SHA256".into()),
            ("X-Amz-Credential".into(), encode(&credential)),
            ("X-Amz-Date".into(), now.clone()),
            ("X-Amz-Expires".into(), "300".into()),
            ("X-Amz-SignedHeaders".into(), "host".into()),
        ])
        .collect();
    pairs.sort();
    let query: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
    let query = query.join("&");
    let host = base_url.trim_start_matches("http://");
    let canonical = format!("GET\n/demo\n{query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{now}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut key = hmac(format!("AWS4{S3_SECRET_KEY}").as_bytes(), date);
    for part in [S3_REGION, "s3", "aws4_request"] {
        key = hmac(&key, part);
    }
    let signature = hex(&hmac(&key, &to_sign));
    format!("{base_url}/demo?{query}&X-Amz-Signature={signature}")
}

#[tokio::main]
async fn main() {
    let files: usize = std::env::args()
        .nth(1)
        .map_or(1_000_000, |n| n.parse().expect("a number of files"));
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();

    let started = Instant::now();
    let config = DemoConfig {
        files,
        dialect: "s3".into(),
        ..DemoConfig::default()
    };
    let server = DemoServer::start("127.0.0.1:0".parse().expect("an address"), config)
        .await
        .expect("the server starts");
    println!("started in {:?}", started.elapsed());

    let get = async |query: &[(&str, &str)]| {
        let response = client
            .get(presign(&server.base_url, query))
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), 200);
        response.text().await.expect("a body")
    };
    let first = get(&[("list-type", "2"), ("max-keys", "1000")]).await;
    println!(
        "first page (waits for the key index) after {:?} from start, {} bytes",
        started.elapsed(),
        first.len()
    );

    let mut times: Vec<Duration> = Vec::new();
    for start_after in [
        "analytics/",
        "docs/reports/2023/",
        "logs/2024/06/",
        "photos/2022/",
        "uploads/m",
        "videos/2025/",
    ]
    .iter()
    .cycle()
    .take(24)
    {
        let at = Instant::now();
        let page = get(&[
            ("list-type", "2"),
            ("max-keys", "1000"),
            ("start-after", start_after),
            ("encoding-type", "url"),
        ])
        .await;
        times.push(at.elapsed());
        assert_eq!(page.matches("<Contents>").count(), 1000);
    }
    times.sort_unstable();
    println!(
        "ListObjectsV2 page of 1000 deep in {files} files: median {:?}, best {:?}, worst {:?}",
        times[times.len() / 2],
        times[0],
        times[times.len() - 1]
    );
    let mut times = Vec::new();
    for prefix in ["", "docs/", "logs/", "uploads/", "recordings/"]
        .iter()
        .cycle()
        .take(20)
    {
        let at = Instant::now();
        get(&[("list-type", "2"), ("prefix", prefix), ("delimiter", "/")]).await;
        times.push(at.elapsed());
    }
    times.sort_unstable();
    println!(
        "ListObjectsV2 delimiter=/ (folders skipped by binary search): median {:?}",
        times[times.len() / 2]
    );
    server.shutdown_and_wait().await;
}
