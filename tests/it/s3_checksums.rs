//! Downloads from S3 verify the checksum the store keeps, in whichever algorithm it keeps it:
//! a whole-object `x-amz-checksum-*` (SHA-256, CRC64NVME — AWS's default for new uploads —,
//! CRC32C, CRC32, SHA-1), else the ETag of a single-part upload as its MD5. An axum server in
//! the test plays the store, because it must also say things no honest store says (a wrong
//! checksum, an ETag that is not an MD5); the expected values are the CRC catalogue's check
//! values and a bitwise CRC written here, never the client's own hashing.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use filescope::api::content::{Algorithm, Conflict, Saved, TransferError, download};
use filescope::api::s3::{
    S3, Settings,
    credentials::{Keys, Signer},
};
use filescope::api::{Client, Connection, Secret};

/// An object's bytes and the headers its HEAD and GET carry.
type Object = (Vec<u8>, Vec<(&'static str, String)>);
type Objects = Arc<HashMap<String, Object>>;

async fn object(
    State(objects): State<Objects>,
    Path((_bucket, key)): Path<(String, String)>,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let Some((body, headers)) = objects.get(&key) else {
        return (StatusCode::NOT_FOUND, HeaderMap::new(), Vec::new());
    };
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    (StatusCode::OK, map, body.clone())
}

async fn store(objects: Objects) -> String {
    let app = axum::Router::new()
        .route("/{bucket}/{*key}", axum::routing::get(object))
        .with_state(objects);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn client(url: &str) -> Client {
    let dialect = S3::new(Settings {
        bucket: "bucket".into(),
        root: String::new(),
        signer: Signer::given(Keys {
            access_key_id: "AKIDTEST".into(),
            secret_access_key: Secret::new("test-secret"),
            session_token: None,
            source: "the test".into(),
            expiry: None,
        }),
        region: "us-east-1".into(),
        endpoint: Some(url.parse().unwrap()),
        path_style: None,
        levels: false,
    });
    Client::new(Connection::new(
        Arc::new(dialect),
        url.parse().unwrap(),
        None,
    ))
    .unwrap()
}

/// A reflected CRC, bit by bit: the oracle for bodies with no catalogue value.
fn crc(poly: u64, width: u32, bytes: &[u8]) -> Vec<u8> {
    let mask = if width == 64 {
        u64::MAX
    } else {
        (1 << width) - 1
    };
    let mut crc = mask;
    for &byte in bytes {
        crc ^= u64::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ poly
            } else {
                crc >> 1
            };
        }
    }
    let value = (crc ^ mask) & mask;
    value.to_be_bytes()[(8 - width as usize / 8)..].to_vec()
}

const CRC32: (u64, u32) = (0xEDB8_8320, 32);
const CRC32C: (u64, u32) = (0x82F6_3B78, 32);
const CRC64NVME: (u64, u32) = (0x9A6C_9329_AC4B_C9B5, 64);

/// 600,000 bytes that are not all alike: more than two of the download's 256 KiB reads.
fn big_body() -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..600_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

async fn fetch(client: &Client, key: &str, dir: &std::path::Path) -> Result<Saved, TransferError> {
    let record = client.detail(key).await.unwrap().unwrap();
    download(
        client,
        &record,
        &dir.join(key),
        Conflict::Overwrite,
        &tokio_util::sync::CancellationToken::new(),
        |_| {},
    )
    .await
}

fn scratch(tag: &str) -> std::path::PathBuf {
    crate::common::fresh_dir(&format!("s3sum-{tag}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_whole_object_checksum_s3_keeps_is_verified_and_the_etag_as_md5_otherwise() {
    // The oracle first: it gives the catalogue's check values.
    assert_eq!(
        crc(CRC32.0, CRC32.1, b"123456789"),
        [0xcb, 0xf4, 0x39, 0x26]
    );
    assert_eq!(
        crc(CRC64NVME.0, CRC64NVME.1, b"123456789"),
        [0xae, 0x8b, 0x14, 0x86, 0x0a, 0x79, 0x98, 0x88]
    );
    let big = big_body();
    let small = b"123456789".to_vec();
    let b64 = |bytes: &[u8]| BASE64.encode(bytes);
    let hex = |s: &str| {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect::<Vec<u8>>()
    };
    // Each object carries a non-MD5 ETag too, so a pass proves the checksum header was used.
    let not_md5 = "\"0123456789abcdef0123456789abcdef\"".to_string();
    let cases: Vec<(&str, Vec<u8>, &'static str, String, Algorithm)> = vec![
        (
            "sha256",
            small.clone(),
            "x-amz-checksum-sha256",
            b64(&hex(
                "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225",
            )),
            Algorithm::Sha256,
        ),
        (
            "sha1",
            small.clone(),
            "x-amz-checksum-sha1",
            b64(&hex("f7c3bc1d808e04732adf679965ccc34ca7ae3441")),
            Algorithm::Sha1,
        ),
        (
            "crc64nvme",
            big.clone(),
            "x-amz-checksum-crc64nvme",
            b64(&crc(CRC64NVME.0, CRC64NVME.1, &big)),
            Algorithm::Crc64Nvme,
        ),
        (
            "crc32c",
            big.clone(),
            "x-amz-checksum-crc32c",
            b64(&crc(CRC32C.0, CRC32C.1, &big)),
            Algorithm::Crc32c,
        ),
        (
            "crc32",
            big.clone(),
            "x-amz-checksum-crc32",
            b64(&crc(CRC32.0, CRC32.1, &big)),
            Algorithm::Crc32,
        ),
    ];
    let mut objects = HashMap::new();
    for (key, body, header, value, _) in &cases {
        objects.insert(
            key.to_string(),
            (
                body.clone(),
                vec![
                    ("etag", not_md5.clone()),
                    (*header, value.clone()),
                    ("x-amz-checksum-type", "FULL_OBJECT".to_string()),
                ],
            ),
        );
    }
    objects.insert(
        "md5".into(),
        (
            small.clone(),
            vec![("etag", "\"25f9e794323b453885f5181f1b624d0b\"".to_string())],
        ),
    );
    let url = store(Arc::new(objects)).await;
    let client = client(&url);
    let dir = scratch("verified");
    for (key, body, _, _, algorithm) in &cases {
        let saved = fetch(&client, key, &dir).await.unwrap();
        assert_eq!(saved.verified, Some(*algorithm), "{key}");
        assert_eq!(&std::fs::read(dir.join(key)).unwrap(), body, "{key}");
    }
    let saved = fetch(&client, "md5", &dir).await.unwrap();
    assert_eq!(saved.verified, Some(Algorithm::EtagMd5));
    assert!(saved.notes.is_empty(), "{:?}", saved.notes);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_checksum_saves_nothing_and_a_wrong_etag_is_said_beside_the_file() {
    let body = big_body();
    let other = crc(CRC64NVME.0, CRC64NVME.1, b"other bytes");
    let not_md5 = "\"0123456789abcdef0123456789abcdef\"".to_string();
    let objects: HashMap<String, Object> = HashMap::from([
        (
            "wrong-crc".to_string(),
            (
                body.clone(),
                vec![("x-amz-checksum-crc64nvme", BASE64.encode(&other))],
            ),
        ),
        (
            "wrong-etag".to_string(),
            (body.clone(), vec![("etag", not_md5.clone())]),
        ),
        (
            "kms".to_string(),
            (
                body.clone(),
                vec![
                    ("etag", not_md5.clone()),
                    ("x-amz-server-side-encryption", "aws:kms".to_string()),
                ],
            ),
        ),
        (
            "per-part".to_string(),
            (
                body.clone(),
                vec![
                    ("etag", "\"0123456789abcdef0123456789abcdef-2\"".to_string()),
                    ("x-amz-checksum-crc32", "AAAAAA==-2".to_string()),
                    ("x-amz-checksum-type", "COMPOSITE".to_string()),
                ],
            ),
        ),
    ]);
    let url = store(Arc::new(objects)).await;
    let client = client(&url);
    let dir = scratch("wrong");

    // A checksum proves the bytes wrong: nothing is saved, no part is left to resume from.
    let err = fetch(&client, "wrong-crc", &dir).await.unwrap_err();
    assert!(
        matches!(
            err,
            TransferError::Checksum {
                algorithm: Algorithm::Crc64Nvme,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("checksum mismatch: nothing saved (crc64nvme published"),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");

    // An ETag only suggests an MD5: the file is kept, and the panel says it is unverified.
    let saved = fetch(&client, "wrong-etag", &dir).await.unwrap();
    assert_eq!(saved.verified, None);
    assert_eq!(std::fs::read(dir.join("wrong-etag")).unwrap(), body);
    assert!(
        saved
            .notes
            .iter()
            .any(|n| n.starts_with("the ETag is not the MD5 of the bytes received")),
        "{:?}",
        saved.notes
    );

    // KMS objects' ETags are not MD5s, so nothing is claimed either way.
    let saved = fetch(&client, "kms", &dir).await.unwrap();
    assert_eq!((saved.verified, saved.notes.len()), (None, 0));

    // A per-part checksum cannot check the whole file: said, not ignored.
    let saved = fetch(&client, "per-part", &dir).await.unwrap();
    assert_eq!(saved.verified, None);
    assert_eq!(
        saved.notes,
        [
            "the published checksum \"crc32 per part AAAAAA==-2\" is not one this can check: not verified"
        ]
    );
}
