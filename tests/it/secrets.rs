//! A canary key must never show up anywhere filescope writes: stdout, stderr or the log, on
//! success, on refusal, through retries, on a server's error that echoes it back, a request
//! the server rejects, a timeout and an unreachable server, with the log at trace level. The
//! explorer (listing, preview, download, copy, in a pty) is checked the same way in
//! `tests/it/e2e_pty.rs` (`the_explorer_never_shows_or_logs_the_key`).
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use crate::common;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use filescope_demo::DemoServer;

const CANARY: &str = "sk-canary-7f3a9c1e55";

async fn server(dialect: &str, key: &str, chaos: f64) -> DemoServer {
    common::Demo::new(300)
        .key(key)
        .dialect(dialect)
        .chaos(chaos)
        .start()
        .await
}

/// A server that answers every request with a 401 echoing the request's headers, key
/// included (the demo's `echo-key` hostile mode).
async fn echoing(dialect: &str) -> DemoServer {
    common::Demo::new(10)
        .key(CANARY)
        .dialect(dialect)
        .hostile(filescope_demo::hostile::Hostile::parse("echo-key").unwrap())
        .start()
        .await
}

/// A server that rejects every request with a 400 in FileJar's envelope whose message echoes
/// the request (its path, query and headers, the key included), as a careless validation
/// error does; and counts the requests, so a test sees that one arrived.
async fn rejecting() -> (String, Arc<AtomicUsize>) {
    use axum::http::{HeaderMap, StatusCode, Uri};

    let hits = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&hits);
    let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
        let counted = Arc::clone(&counted);
        async move {
            counted.fetch_add(1, Ordering::SeqCst);
            let echoed = headers
                .iter()
                .map(|(k, v)| format!("{k}: {}", String::from_utf8_lossy(v.as_bytes())))
                .collect::<Vec<_>>()
                .join("; ");
            let message = format!("rejected parameter in {uri} ({echoed})");
            (
                StatusCode::BAD_REQUEST,
                axum::Json(serde_json::json!({
                    "success": false, "error": "bad_request", "message": message
                })),
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, hits)
}

/// An address where nothing listens: a port the system gave out, bound then let go (not a
/// fixed port some machine may use).
fn unreachable() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

/// A server that takes the request and never answers.
async fn silent() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread")]
async fn the_canary_key_is_never_written() {
    let dir = common::fresh_dir("canary");
    let log = dir.join("debug.log");
    let accepting = server("flextell", CANARY, 0.2).await;
    let refusing = server("filejar", "another-key", 0.0).await;
    let echo = echoing("filejar").await;
    let plain = server("filejar", CANARY, 0.0).await;
    let (rejected, rejections) = rejecting().await;
    let stalled = silent().await;
    let nowhere = unreachable();
    // A request timeout of one second, for the server that never answers.
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        "[network]\nrequest_timeout_secs = 1\nattempts = 1\n",
    )
    .unwrap();
    let patient = dir.join("patient.toml");
    std::fs::write(&patient, "[network]\nattempts = 10\n").unwrap();
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
        (echo.base_url.clone(), "filejar", vec!["ls"]),
        (echo.base_url.clone(), "filejar", vec!["stats"]),
        // A parameter the server rejects: a 400 whose message echoes the request.
        (rejected.clone(), "filejar", vec!["ls", "--limit", "5000"]),
        (
            plain.base_url.clone(),
            "filejar",
            vec!["ls", "--filter", "colour:red"],
        ),
        (plain.base_url.clone(), "filejar", vec!["dialect", "check"]),
        (stalled.clone(), "filejar", vec!["ls"]),
        (nowhere.clone(), "filejar", vec!["ls"]),
    ];
    let mut seen = String::new();
    let mut codes = Vec::new();
    let mut outputs = Vec::new();
    for (url, dialect, args) in runs {
        // The one-second timeout only where nothing answers; retries everywhere else, ten
        // attempts where one request in five fails (so exit 0 is certain, not likely).
        let config = if url == stalled {
            config.clone()
        } else if url == accepting.base_url {
            patient.clone()
        } else {
            dir.join("none.toml")
        };
        let (args, dir, log) = (args.clone(), dir.clone(), log.clone());
        let out = tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_filescope"))
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .env("FILESCOPE_API_KEY", CANARY)
                .env("FILESCOPE_LOG", "trace")
                .env("FILESCOPE_DATA_DIR", &dir)
                .env("FILESCOPE_CONFIG", &config)
                .args(&args)
                .args(["--dialect", dialect, "--url", &url, "--log-file"])
                .arg(&log)
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        codes.push(out.status.code());
        let this = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        seen.push_str(&this);
        outputs.push(this);
    }
    // Every path was taken, each to its own exit status: the listing and the stats through
    // the faults, then refused, echoed twice, rejected (a 400), a filter FileJar cannot do
    // (a usage error), the check, timed out, unreachable.
    assert_eq!(
        codes,
        [
            Some(0),
            Some(0),
            Some(3),
            Some(3),
            Some(3),
            Some(2),
            Some(2),
            Some(0),
            Some(4),
            Some(4)
        ],
        "{seen}"
    );
    // The 400 came from the server, for a request that reached it, and its echo of the
    // request was printed with the key taken out.
    assert_eq!(
        rejections.load(Ordering::SeqCst),
        1,
        "one request reached the rejecting server, not retried: {}",
        outputs[5]
    );
    assert!(outputs[5].contains("400"), "{}", outputs[5]);
    assert!(
        outputs[5].contains("rejected parameter in") && outputs[5].contains("x-api-key: ***"),
        "the rejection's echo, redacted: {}",
        outputs[5]
    );
    assert!(seen.contains("did not answer within 1 s"), "{seen}");
    assert!(
        seen.contains("x-api-key: ***"),
        "the echo was redacted: {seen}"
    );
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("retrying"),
        "the runs went through retries:\n{logged}"
    );
    assert!(seen.contains("was rejected"), "a refusal was reported");
    assert!(logged.contains("TRACE"), "the log is at trace level");
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

/// S3 at trace level with a session token: a presigned link and signed requests (a listing)
/// never put the secret key or the session token into the log, whatever the level asks of
/// the signer. Through the log `filescope` itself installs, which is global to a process: so
/// in a process of its own, where no other test's events reach the log or find it installed.
#[tokio::test(flavor = "multi_thread")]
async fn s3_signing_at_trace_logs_no_secret() {
    if !common::in_own_process(module_path!(), "s3_signing_at_trace_logs_no_secret") {
        return;
    }
    use filescope::api::s3::{
        S3, Settings,
        credentials::{Keys, Signer},
    };
    use filescope::api::{Client, Connection, ListQuery, PageRequest, Secret};
    use filescope_demo::{S3_ACCESS_KEY, S3_BUCKET, S3_SECRET_KEY};

    const TOKEN: &str = "IQoJb3JpZ2luX2VjEBcanarySessionToken7f3a9c1e55";
    let dir = common::fresh_dir("s3canary");
    let log = dir.join("trace.log");
    filescope::logging::init_at(
        Some(&log),
        "trace,aws_sigv4=trace,aws_credential_types=trace",
    )
    .unwrap();

    let server = common::Demo::new(20)
        .dialect("s3")
        .region("us-east-1")
        .start()
        .await;
    let s3 = S3::new(Settings {
        bucket: S3_BUCKET.into(),
        root: String::new(),
        signer: Signer::given(Keys {
            access_key_id: S3_ACCESS_KEY.into(),
            secret_access_key: Secret::new(S3_SECRET_KEY),
            session_token: Some(Secret::new(TOKEN)),
            source: "the test".into(),
            expiry: None,
        }),
        region: "us-east-1".into(),
        endpoint: Some(server.base_url.parse().unwrap()),
        path_style: None,
        levels: false,
    });
    let link = s3
        .presign_get("some/key.txt", std::time::Duration::from_secs(600))
        .unwrap();
    assert!(link.as_str().contains("X-Amz-Security-Token"), "{link}");
    let conn = Connection::new(Arc::new(s3), server.base_url.parse().unwrap(), None);
    let client = Client::new(conn).unwrap();
    let query = ListQuery::new(client.dialect().capabilities().default_sort);
    // Whether the demo takes the token or not, the request was signed with it.
    let _ = client
        .list_page(
            &query,
            PageRequest {
                number: 1,
                size: 10,
            },
        )
        .await;
    tracing::trace!("the end of the signed requests");

    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("TRACE"),
        "the log is at trace level:\n{logged}"
    );
    assert!(
        logged.contains("the end of the signed requests"),
        "{logged}"
    );
    for (what, secret) in [("session token", TOKEN), ("secret key", S3_SECRET_KEY)] {
        assert!(
            !logged.contains(secret),
            "the {what} reached the log:\n{logged}"
        );
        assert!(
            !logged.contains("7f3a9c1e55"),
            "part of the {what} reached the log"
        );
    }
}

/// Azure at trace level: requests signed with the account key (Shared Key) and requests
/// carrying a SAS (a pasted URL) never put the key or the SAS signature into the log or an
/// error; the error of a refused SAS names neither. In a process of its own, for the log.
#[tokio::test(flavor = "multi_thread")]
async fn azure_signing_at_trace_logs_no_secret() {
    if !common::in_own_process(module_path!(), "azure_signing_at_trace_logs_no_secret") {
        return;
    }
    use common::azurite::{ACCOUNT, Azurite, KEY};
    use filescope::api::family::{Credentials, Location};
    use filescope::api::{Client, ListQuery, PageRequest, Secret};

    let dir = common::fresh_dir("azurecanary");
    let log = dir.join("trace.log");
    filescope::logging::init_at(Some(&log), "trace").unwrap();
    let azurite = Azurite::start();
    azurite.seed("data", &[("dir/a.txt", "a")]);
    let sas_url = azurite
        .sdk("sas", serde_json::json!({ "container": "data" }))
        .as_str()
        .unwrap()
        .to_string();
    let sig = percent_encoding::percent_decode_str(sas_url.split("sig=").nth(1).unwrap())
        .decode_utf8_lossy()
        .into_owned();
    let family = filescope::api::family::by_name("azure").unwrap();
    let page = PageRequest {
        number: 1,
        size: 10,
    };
    let mut errors = Vec::new();
    for (url, endpoint, credentials) in [
        (
            "az://devstoreaccount1/data/".to_string(),
            Some(azurite.endpoint()),
            Credentials::Given {
                id: ACCOUNT.into(),
                secret: Secret::new(KEY),
                token: None,
                source: "the test".into(),
            },
        ),
        (
            sas_url.clone(),
            None,
            Credentials::Found {
                profile: None,
                command_timeout: std::time::Duration::from_secs(5),
            },
        ),
        // The SAS for another container: refused, and said so without it.
        (
            sas_url.replacen("/data", "/other", 1),
            None,
            Credentials::Found {
                profile: None,
                command_timeout: std::time::Duration::from_secs(5),
            },
        ),
    ] {
        let conn = (family.connect)(&Location {
            url: filescope::api::url::parse_url(&url).unwrap(),
            endpoint,
            region: None,
            credentials,
            path_style: None,
            levels: true,
        })
        .unwrap();
        let client = Client::new(conn).unwrap();
        let query = ListQuery::new(client.dialect().capabilities().default_sort);
        match client.list_page(&query, page).await {
            Ok(page) => assert_eq!(page.records.len(), 1),
            Err(e) => errors.push(e.to_string()),
        }
    }
    assert_eq!(errors.len(), 1, "{errors:?}");
    tracing::trace!("the end of the signed requests");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("the end of the signed requests"),
        "{logged}"
    );
    for (what, secret) in [("account key", KEY), ("SAS signature", sig.as_str())] {
        assert!(
            !logged.contains(secret),
            "the {what} reached the log:\n{logged}"
        );
        assert!(!errors[0].contains(secret), "the {what} reached the error");
    }
}

/// GCS's secrets — a service account's private key, gcloud's client secret and refresh
/// token, and the access tokens they are exchanged for — never reach stdout, stderr or the
/// log at trace level: listed with each source, and refused (a refresh token the token
/// endpoint does not know).
#[tokio::test(flavor = "multi_thread")]
async fn gcs_keys_refresh_tokens_and_access_tokens_are_never_written() {
    use base64::Engine as _;
    use ring::signature::KeyPair as _;

    const KEY_PEM: &str = include_str!("../fixtures/gcs/test-service-account.pem");
    const EMAIL: &str = "canary@demo-project.iam.gserviceaccount.com";
    const CLIENT_SECRET: &str = "gcs-client-secret-7f3a9c1e55";
    const REFRESH: &str = "1//gcs-refresh-7f3a9c1e55";
    let body: String = KEY_PEM
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(&body)
        .unwrap();
    let public = ring::signature::RsaKeyPair::from_pkcs8(&der)
        .unwrap()
        .public_key()
        .as_ref()
        .to_vec();
    let server = common::Demo::new(50)
        .dialect("gcs")
        .gcs(filescope_demo::GcsOptions {
            service_accounts: vec![(EMAIL.into(), public)],
            authorized_users: vec![("cid".into(), CLIENT_SECRET.into(), REFRESH.into())],
            ..filescope_demo::GcsOptions::default()
        })
        .start()
        .await;
    let dir = common::fresh_dir("gcs-canary");
    let log = dir.join("trace.log");
    let token_uri = format!("{}/token", server.base_url);
    let key = dir.join("key.json");
    std::fs::write(
        &key,
        serde_json::json!({"type": "service_account", "client_email": EMAIL,
            "private_key": KEY_PEM, "private_key_id": "kid", "token_uri": token_uri})
        .to_string(),
    )
    .unwrap();
    let adc = |name: &str, refresh: &str| {
        let config = dir.join(name);
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(
            config.join("application_default_credentials.json"),
            serde_json::json!({"type": "authorized_user", "client_id": "cid",
                "client_secret": CLIENT_SECRET, "refresh_token": refresh, "token_uri": token_uri})
            .to_string(),
        )
        .unwrap();
        config
    };
    let good = adc("good", REFRESH);
    let refused = adc("refused", "1//refused-7f3a9c1e55");
    let runs = [
        ("GOOGLE_APPLICATION_CREDENTIALS", key.clone(), true),
        ("CLOUDSDK_CONFIG", good, true),
        ("CLOUDSDK_CONFIG", refused, false),
    ];
    let mut seen = String::new();
    for (name, value, succeeds) in runs {
        let (dir, log, endpoint) = (dir.clone(), log.clone(), server.base_url.clone());
        let out = tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_filescope"))
                .env_remove("GOOGLE_APPLICATION_CREDENTIALS")
                .env_remove("CLOUDSDK_CONFIG")
                .env_remove("STORAGE_EMULATOR_HOST")
                .env("GCE_METADATA_HOST", "127.0.0.1:9")
                .env(name, &value)
                .env("HOME", &dir)
                .env("FILESCOPE_CONFIG", dir.join("none.toml"))
                .env("FILESCOPE_LOG", "trace")
                .args([
                    "ls",
                    "gs://demo/",
                    "--endpoint",
                    &endpoint,
                    "--all",
                    "--log-file",
                ])
                .arg(&log)
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.success(), succeeds, "{name}: {stderr}");
        if !succeeds {
            assert!(
                stderr.contains("invalid_grant"),
                "the refusal is said: {stderr}"
            );
        }
        seen.push_str(&String::from_utf8_lossy(&out.stdout));
        seen.push_str(&stderr);
    }
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("TRACE"), "the log is at trace level");
    let key_line = KEY_PEM.lines().nth(1).unwrap();
    for (what, text) in [("output", &seen), ("log", &logged)] {
        for secret in [
            "7f3a9c1e55",
            key_line,
            &body[body.len() - 40..],
            "ya29.demo-",
        ] {
            assert!(
                !text.contains(secret),
                "{secret:?} reached the {what}:\n{text}"
            );
        }
    }
}
