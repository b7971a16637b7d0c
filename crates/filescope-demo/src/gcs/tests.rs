//! The GCS dialect against GCS's documented contract, over real HTTP.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD as BASE64_URL};
use ring::signature::KeyPair as _;
use serde_json::{Value, json};

use super::*;
use crate::DemoConfig;
use crate::common::testkit;

const EMAIL: &str = "lister@demo-project.iam.gserviceaccount.com";

/// The test service account's RSA key pair (PKCS#8, made with `openssl genpkey`).
fn key_pair() -> ring::signature::RsaKeyPair {
    let pem = include_str!("../../../../tests/fixtures/gcs/test-service-account.pem");
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    ring::signature::RsaKeyPair::from_pkcs8(&BASE64.decode(body).unwrap()).unwrap()
}

async fn server(files: usize, options: GcsOptions) -> crate::DemoServer {
    let config = DemoConfig {
        files,
        dialect: "gcs".into(),
        ..DemoConfig::default()
    };
    crate::DemoServer::start_with_gcs(
        "127.0.0.1:0".parse().unwrap(),
        config,
        options,
        KeySpace::Dataset,
    )
    .await
    .unwrap()
}

fn with_account() -> GcsOptions {
    GcsOptions {
        service_accounts: vec![(EMAIL.into(), key_pair().public_key().as_ref().to_vec())],
        ..GcsOptions::default()
    }
}

async fn get(url: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = testkit::client().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Every name and prefix of a listing, page by page, with the pages' count.
async fn walk(base: &str, query: &str) -> (Vec<String>, Vec<String>, usize) {
    let (mut names, mut prefixes, mut pages) = (Vec::new(), Vec::new(), 0);
    let mut token: Option<String> = None;
    loop {
        let mut url = format!("{base}/storage/v1/b/demo/o?{query}");
        if let Some(token) = &token {
            url.push_str(&format!("&pageToken={token}"));
        }
        let (status, body) = get(&url, Some(GCS_TOKEN)).await;
        assert_eq!(status, 200, "{body}");
        pages += 1;
        for item in body["items"].as_array().into_iter().flatten() {
            assert!(item["size"].is_string(), "sizes are strings: {item}");
            names.push(item["name"].as_str().unwrap().to_string());
        }
        for prefix in body["prefixes"].as_array().into_iter().flatten() {
            prefixes.push(prefix.as_str().unwrap().to_string());
        }
        match body["nextPageToken"].as_str() {
            Some(next) => token = Some(next.to_string()),
            None => return (names, prefixes, pages),
        }
    }
}

#[tokio::test]
async fn a_listing_pages_by_token_rolls_up_folders_and_honours_offsets() {
    let server = server(3000, GcsOptions::default()).await;
    let base = &server.base_url;
    let (all, none, pages) = walk(base, "maxResults=1000").await;
    assert!(none.is_empty());
    assert_eq!(all.len(), 3000 + super::super::s3::AWKWARD_KEYS.len());
    assert_eq!(pages, all.len().div_ceil(1000));
    assert!(all.windows(2).all(|w| w[0].as_bytes() < w[1].as_bytes()));
    // maxResults bounds items and prefixes together; pages of 7 list the same.
    let (names, prefixes, pages) = walk(base, "delimiter=%2F&maxResults=7").await;
    assert!(names.is_empty(), "every key is in a folder: {names:?}");
    assert!(prefixes.contains(&"weird/".to_string()) && prefixes.contains(&"日本語/".to_string()));
    assert_eq!(pages, prefixes.len().div_ceil(7));
    let (weird, _, _) = walk(base, "prefix=weird%2F&maxResults=2").await;
    assert_eq!(weird.len(), 4, "{weird:?}");
    assert!(weird.contains(&"weird/ctl\u{1b}[31mred.txt".to_string()));
    // startOffset is inclusive, endOffset exclusive.
    let encode = |s: &str| wire::uri_encode(s.as_bytes(), false);
    let (between, _, _) = walk(
        base,
        &format!(
            "startOffset={}&endOffset={}",
            encode(&all[10]),
            encode(&all[20])
        ),
    )
    .await;
    assert_eq!(between, all[10..20]);
    // A forged token and a bad maxResults are refused in GCS's envelope.
    let (status, body) = get(
        &format!("{base}/storage/v1/b/demo/o?pageToken=Zm9yZ2Vk"),
        Some(GCS_TOKEN),
    )
    .await;
    assert_eq!(
        (status, body["error"]["errors"][0]["reason"].as_str()),
        (400, Some("invalid"))
    );
    let (status, _) = get(
        &format!("{base}/storage/v1/b/demo/o?maxResults=-1"),
        Some(GCS_TOKEN),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn metadata_carries_the_checksums_of_the_bytes_and_media_honours_range() {
    let server = server(200, GcsOptions::default()).await;
    let base = &server.base_url;
    let name = "weird/a+b c%20d.txt";
    let path = format!(
        "{base}/storage/v1/b/demo/o/{}",
        wire::uri_encode(name.as_bytes(), false)
    );
    let (status, meta) = get(&path, Some(GCS_TOKEN)).await;
    assert_eq!(status, 200, "{meta}");
    assert_eq!(meta["name"], name);
    let client = testkit::client();
    let bytes = client
        .get(format!("{path}?alt=media"))
        .bearer_auth(GCS_TOKEN)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(meta["size"], bytes.len().to_string());
    let md5 = <md5::Md5 as md5::Digest>::digest(&bytes);
    assert_eq!(meta["md5Hash"], BASE64.encode(md5.as_slice()));
    let crc = crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32Iscsi, &bytes) as u32;
    assert_eq!(meta["crc32c"], BASE64.encode(crc.to_be_bytes()));
    let part = client
        .get(format!("{path}?alt=media"))
        .bearer_auth(GCS_TOKEN)
        .header("range", "bytes=3-9")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap(), bytes[3..10]);
    let (status, body) = get(&format!("{base}/storage/v1/b/demo/o/nope"), Some(GCS_TOKEN)).await;
    assert_eq!((status, body["error"]["code"].as_u64()), (404, Some(404)));
}

/// A JWT as a service account's key signs it.
fn jwt(claims: &Value) -> String {
    let head = BASE64_URL.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let body = BASE64_URL.encode(claims.to_string());
    let signed = format!("{head}.{body}");
    let mut signature = vec![0; key_pair().public().modulus_len()];
    key_pair()
        .sign(
            &ring::signature::RSA_PKCS1_SHA256,
            &ring::rand::SystemRandom::new(),
            signed.as_bytes(),
            &mut signature,
        )
        .unwrap();
    format!("{signed}.{}", BASE64_URL.encode(signature))
}

async fn exchange(base: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let body = form
        .iter()
        .map(|(k, v)| format!("{k}={}", wire::uri_encode(v.as_bytes(), false)))
        .collect::<Vec<_>>()
        .join("&");
    let response = testkit::client()
        .post(format!("{base}/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn the_token_endpoint_takes_only_a_jwt_signed_by_a_known_key_and_tokens_open_the_bucket() {
    let mut options = with_account();
    options.authorized_users = vec![("cid".into(), "csecret".into(), "rtoken".into())];
    let server = server(20, options).await;
    let base = &server.base_url;
    let list = format!("{base}/storage/v1/b/demo/o");
    let (status, body) = get(&list, None).await;
    assert_eq!(
        (status, body["error"]["errors"][0]["reason"].as_str()),
        (401, Some("required"))
    );
    let now = common::unix_now();
    let claims = json!({
        "iss": EMAIL,
        "scope": "https://www.googleapis.com/auth/devstorage.read_only",
        "aud": format!("{base}/token"),
        "iat": now,
        "exp": now + 3600,
    });
    let (status, token) = exchange(
        base,
        &[("grant_type", JWT_BEARER), ("assertion", &jwt(&claims))],
    )
    .await;
    assert_eq!(status, 200, "{token}");
    let access = token["access_token"].as_str().unwrap();
    assert_eq!(get(&list, Some(access)).await.0, 200);
    assert_eq!(get(&list, Some("ya29.made-up")).await.0, 401);
    // A signature by the key over other claims, another audience, too long a life.
    let good = jwt(&claims);
    let mut parts: Vec<&str> = good.split('.').collect();
    let forged = BASE64_URL.encode(json!({"iss": EMAIL, "aud": "x"}).to_string());
    parts[1] = &forged;
    for (assertion, said) in [
        (parts.join("."), "Invalid JWT Signature."),
        (
            jwt(
                &json!({"iss": EMAIL, "scope": "s", "aud": "https://oauth2.googleapis.com/token", "iat": now, "exp": now + 60}),
            ),
            "Invalid JWT: Failed audience check.",
        ),
        (
            jwt(
                &json!({"iss": EMAIL, "scope": "s", "aud": format!("{base}/token"), "iat": now, "exp": now + 7200}),
            ),
            "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.",
        ),
    ] {
        let (status, body) = exchange(
            base,
            &[("grant_type", JWT_BEARER), ("assertion", &assertion)],
        )
        .await;
        assert_eq!(
            (status, body["error_description"].as_str()),
            (400, Some(said))
        );
    }
    // gcloud's refresh token.
    let refresh = [
        ("grant_type", "refresh_token"),
        ("client_id", "cid"),
        ("client_secret", "csecret"),
        ("refresh_token", "rtoken"),
    ];
    let (status, token) = exchange(base, &refresh).await;
    assert_eq!(status, 200);
    assert_eq!(get(&list, token["access_token"].as_str()).await.0, 200);
    let (status, _) = exchange(base, &refresh[..3]).await;
    assert_eq!(status, 400);
    // The metadata server's, only asked as one.
    let url = format!("{base}/computeMetadata/v1/instance/service-accounts/default/token");
    let plain = testkit::client().get(&url).send().await.unwrap();
    assert_eq!(plain.status(), 403);
    let flavored = testkit::client()
        .get(&url)
        .header("Metadata-Flavor", "Google")
        .send()
        .await
        .unwrap();
    let token: Value = flavored.json().await.unwrap();
    assert_eq!(get(&list, token["access_token"].as_str()).await.0, 200);
}

#[tokio::test]
async fn an_emulator_serves_without_a_token() {
    let server = server(
        20,
        GcsOptions {
            anonymous: true,
            ..GcsOptions::default()
        },
    )
    .await;
    let (status, body) = get(&format!("{}/storage/v1/b/demo/o", server.base_url), None).await;
    assert_eq!(status, 200, "{body}");
}
