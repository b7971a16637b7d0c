//! Every source of the AWS credential chain, on loopback: `s3s-fs` (a real S3 server that
//! verifies Signature V4) holds a bucket and knows the keys each source hands out, and small
//! stand-ins written here play the instance metadata service (IMDSv2: the token PUT is
//! required), the container credentials endpoint (its authorization token is required), STS
//! (AssumeRole, signed by the source profile's keys; AssumeRoleWithWebIdentity, with the
//! token from the file) and the SSO portal (`GET /federation/credentials` with the cached
//! token from `aws sso login`). The binary lists the bucket through each; the S3 side checks
//! that every request was signed by the key that source handed out, with its session token.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use crate::aws_services::*;
use crate::common;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

const BUCKET: &str = "bucket";
/// Every key a source may hand out: the instance role's come numbered, one per time asked.
fn handed_out() -> Vec<String> {
    let mut keys: Vec<String> = (0..64).map(|n| format!("AKIDIMDS{n:02}")).collect();
    keys.extend(["AKIDCONTAINER", "AKIDROLE", "AKIDWEBIDENTITY", "AKIDSSO"].map(String::from));
    keys
}

/// An S3 server over a fresh directory with `count` objects in one bucket: signatures
/// verified against the keys sources hand out (or, `signed` false, none asked for), the
/// session token checked against the one handed out with the key, and every request's key
/// (or `-` for an unsigned one) recorded in order.
struct Store {
    endpoint: String,
    signed_by: Arc<Mutex<Vec<String>>>,
    keys: Vec<String>,
    _dir: PathBuf,
}

async fn store(tag: &str, count: usize, signed: bool) -> Store {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use s3s::service::S3ServiceBuilder;
    let dir = common::fresh_dir(&format!("s3cred-{tag}"));
    let root = dir.join("root");
    let mut keys: Vec<String> = (0..count)
        .map(|i| format!("data/object-{i:05}.txt"))
        .collect();
    keys.sort();
    for key in &keys {
        let path = root.join(BUCKET).join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, key.as_bytes()).unwrap();
    }
    std::fs::create_dir_all(root.join(BUCKET)).unwrap();
    let mut builder = S3ServiceBuilder::new(s3s_fs::FileSystem::new(&root).unwrap());
    if signed {
        let mut auth = s3s::auth::SimpleAuth::new();
        for key in handed_out() {
            auth.register(key.clone(), secret_of(&key).into());
        }
        builder.set_auth(auth);
    }
    let service = builder.build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let signed_by = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&signed_by);
    tokio::spawn(async move {
        let http = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                continue;
            };
            let service = service.clone();
            let record = Arc::clone(&record);
            let checked = hyper::service::service_fn(move |request: hyper::Request<_>| {
                let service = service.clone();
                let record = Arc::clone(&record);
                async move {
                    let headers = request.headers();
                    let key = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.split("Credential=").nth(1))
                        .and_then(|v| v.split('/').next())
                        .unwrap_or("-")
                        .to_string();
                    let token = headers
                        .get("x-amz-security-token")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    record.lock().unwrap().push(key.clone());
                    if key != "-" && token != Some(token_of(&key)) {
                        // A temporary key is worth nothing without its own session token.
                        return Ok(hyper::Response::builder()
                            .status(403)
                            .body(s3s::Body::from(
                                "<Error><Code>InvalidToken</Code><Message>The provided token is malformed or otherwise invalid.</Message></Error>".to_string(),
                            ))
                            .unwrap());
                    }
                    hyper::service::Service::call(&service, request).await
                }
            });
            let conn = http
                .serve_connection(TokioIo::new(socket), checked)
                .into_owned();
            tokio::spawn(async move {
                let _ = conn.await;
            });
        }
    });
    Store {
        endpoint,
        signed_by,
        keys,
        _dir: dir,
    }
}

/// `filescope ls s3://bucket/ --all` against `store`, in an environment with no AWS setting
/// of the machine's, `set` given, HOME at `dir`, and (unless `set` says otherwise) every
/// credential service pointed at the stand-ins.
async fn ls(
    dir: &Path,
    store: &Store,
    services: &Services,
    set: &[(&str, &str)],
    extra: &[&str],
) -> std::process::Output {
    let dir = dir.to_path_buf();
    let mut vars: Vec<(String, String)> = vec![
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ("AWS_ENDPOINT_URL_STS".into(), services.url.clone()),
        ("AWS_ENDPOINT_URL_SSO".into(), services.url.clone()),
    ];
    vars.extend(set.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    // The location as users write it; `s3://` in `extra` names another.
    let location = extra
        .iter()
        .find(|a| a.starts_with("s3://"))
        .copied()
        .unwrap_or("s3://bucket/");
    let extra: Vec<&str> = extra
        .iter()
        .copied()
        .filter(|a| !a.starts_with("s3://"))
        .collect();
    let mut args: Vec<String> = ["ls", location, "--endpoint"].map(String::from).to_vec();
    args.push(store.endpoint.clone());
    args.extend(["--all", "--format", "ndjson"].map(String::from));
    args.extend(extra.iter().map(|s| s.to_string()));
    tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_filescope"));
        let set: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        common::aws_isolated(&mut cmd, &dir, &set)
            .env("HOME", &dir)
            .env("FILESCOPE_CONFIG", dir.join("none.toml"))
            .env("FILESCOPE_DATA_DIR", &dir)
            .env("FILESCOPE_LOG", "debug")
            .args(&args)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn ids(out: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["id"].as_str().unwrap().to_string()
        })
        .collect()
}

/// The listing is exactly the bucket, and every request to the store was signed by `key`.
fn listed_exactly_signed_by(out: &std::process::Output, store: &Store, key: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(ids(out), store.keys, "{stderr}");
    let signed_by = store.signed_by.lock().unwrap().clone();
    assert!(!signed_by.is_empty());
    assert!(signed_by.iter().all(|k| k == key), "{signed_by:?}");
}

/// A run refused by its credential source: exit 2 and one line on stderr, returned.
fn refused_in_one_line(out: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    stderr
}

/// The instance metadata service turned on, at `url`.
fn metadata_at(url: &str) -> [(&'static str, &str); 2] {
    [
        ("AWS_EC2_METADATA_DISABLED", "false"),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", url),
    ]
}

fn aws_config(dir: &Path, text: &str) -> String {
    let path = dir.join("aws-config");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_instance_role_lists_through_imdsv2() {
    let store = store("imds", 30, true).await;
    let services = Services::start(None).await;
    let dir = common::fresh_dir("s3cred-imds-home");
    let out = ls(&dir, &store, &services, &metadata_at(&services.url), &[]).await;
    listed_exactly_signed_by(&out, &store, "AKIDIMDS00");
    let asked = &services.asked;
    assert_eq!(asked.imds_token_puts.load(Ordering::SeqCst), 1);
    assert_eq!(
        asked.imds_credentials.load(Ordering::SeqCst),
        1,
        "asked once, kept"
    );
    // The list of buckets is signed by the same chain.
    store.signed_by.lock().unwrap().clear();
    let out = ls(
        &dir,
        &store,
        &services,
        &metadata_at(&services.url),
        &["s3://"],
    )
    .await;
    assert_eq!(
        ids(&out),
        ["bucket/"],
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(*store.signed_by.lock().unwrap(), ["AKIDIMDS01"]);
    assert_eq!(
        asked.imds_refused.load(Ordering::SeqCst),
        0,
        "every GET carried the token"
    );
}

/// Keys that expire within the refresh margin are asked for again before the next request:
/// a walk of three pages, each signed by a newer key, lists the bucket exactly.
#[tokio::test(flavor = "multi_thread")]
async fn expiring_credentials_are_refreshed_mid_walk() {
    let store = store("refresh", 2_100, true).await;
    let services = Services::start(None).await;
    // Two minutes: inside the five-minute margin, so each request asks again.
    services.asked.imds_lifetime.store(120, Ordering::SeqCst);
    let dir = common::fresh_dir("s3cred-refresh-home");
    let out = ls(&dir, &store, &services, &metadata_at(&services.url), &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(ids(&out), store.keys);
    let signed_by = store.signed_by.lock().unwrap().clone();
    assert!(signed_by.len() >= 3, "{signed_by:?}");
    let distinct: std::collections::BTreeSet<&String> = signed_by.iter().collect();
    assert_eq!(
        distinct.len(),
        signed_by.len(),
        "a fresh key per request: {signed_by:?}"
    );
    assert!(services.asked.imds_credentials.load(Ordering::SeqCst) >= 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_container_endpoint_lists_with_its_authorization_token() {
    let store = store("container", 30, true).await;
    let services = Services::start(None).await;
    let dir = common::fresh_dir("s3cred-container-home");
    let uri = format!("{}/container/credentials", services.url);
    let out = ls(
        &dir,
        &store,
        &services,
        &[
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", CONTAINER_TOKEN),
        ],
        &[],
    )
    .await;
    listed_exactly_signed_by(&out, &store, "AKIDCONTAINER");
    // The token from a file (EKS Pod Identity's way).
    store.signed_by.lock().unwrap().clear();
    let token_file = dir.join("container-token");
    std::fs::write(&token_file, CONTAINER_TOKEN).unwrap();
    let out = ls(
        &dir,
        &store,
        &services,
        &[
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri),
            (
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                &token_file.display().to_string(),
            ),
        ],
        &[],
    )
    .await;
    listed_exactly_signed_by(&out, &store, "AKIDCONTAINER");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_web_identity_token_is_exchanged_at_sts() {
    let store = store("webid", 30, true).await;
    let services = Services::start(None).await;
    let dir = common::fresh_dir("s3cred-webid-home");
    let token_file = dir.join("token");
    std::fs::write(&token_file, WEB_IDENTITY_JWT).unwrap();
    let out = ls(
        &dir,
        &store,
        &services,
        &[
            (
                "AWS_WEB_IDENTITY_TOKEN_FILE",
                &token_file.display().to_string(),
            ),
            ("AWS_ROLE_ARN", ROLE),
        ],
        &[],
    )
    .await;
    listed_exactly_signed_by(&out, &store, "AKIDWEBIDENTITY");
    assert_eq!(
        *services.asked.sts.lock().unwrap(),
        [format!("AssumeRoleWithWebIdentity {ROLE}")]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_profile_assumes_its_role_with_the_source_profile_s_keys() {
    let store = store("role", 30, true).await;
    let services = Services::start(None).await;
    let dir = common::fresh_dir("s3cred-role-home");
    let config = aws_config(
        &dir,
        &format!(
            "[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n\
             [profile reader]\nrole_arn = {ROLE}\nsource_profile = base\n\
             [profile denied]\nrole_arn = {DENIED_ROLE}\nsource_profile = base\n\
             [profile on-instance]\nrole_arn = {ROLE}\ncredential_source = Ec2InstanceMetadata\n"
        ),
    );
    let out = ls(
        &dir,
        &store,
        &services,
        &[("AWS_CONFIG_FILE", &config), ("AWS_PROFILE", "reader")],
        &[],
    )
    .await;
    listed_exactly_signed_by(&out, &store, "AKIDROLE");
    assert_eq!(
        *services.asked.sts.lock().unwrap(),
        [format!("AssumeRole {ROLE}")]
    );

    // A role assumed with the instance role's keys (`credential_source`).
    store.signed_by.lock().unwrap().clear();
    let out = ls(
        &dir,
        &store,
        &services,
        &[
            ("AWS_CONFIG_FILE", &config),
            ("AWS_PROFILE", "on-instance"),
            ("AWS_EC2_METADATA_DISABLED", "false"),
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", &services.url),
        ],
        &[],
    )
    .await;
    listed_exactly_signed_by(&out, &store, "AKIDROLE");
    assert_eq!(services.asked.imds_credentials.load(Ordering::SeqCst), 1);
    assert_eq!(services.asked.sts.lock().unwrap().len(), 2);

    // A refusal names the profile, the role and what STS said, in one line; exit 2.
    let out = ls(
        &dir,
        &store,
        &services,
        &[("AWS_CONFIG_FILE", &config), ("AWS_PROFILE", "denied")],
        &[],
    )
    .await;
    let stderr = refused_in_one_line(&out);
    assert!(
        stderr.starts_with(&format!(
            "filescope: AWS profile denied (AssumeRole {DENIED_ROLE} from profile base): "
        )),
        "{stderr}"
    );
    assert!(stderr.contains("AccessDenied"), "{stderr}");
    assert!(
        stderr.contains("is not authorized to perform: sts:AssumeRole"),
        "{stderr}"
    );
    assert!(!stderr.contains("base-secret"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_sso_profile_lists_with_the_cached_token() {
    let store = store("sso", 30, true).await;
    let services = Services::start(None).await;
    let dir = common::fresh_dir("s3cred-sso-home");
    let config = aws_config(&dir, SSO_CONFIG);
    sso_cache(&dir, "corp", SSO_TOKEN, &expiring_in(3600));
    let out = ls(
        &dir,
        &store,
        &services,
        &[("AWS_CONFIG_FILE", &config), ("AWS_PROFILE", "sso")],
        &[],
    )
    .await;
    listed_exactly_signed_by(&out, &store, "AKIDSSO");
    assert_eq!(services.asked.sso.load(Ordering::SeqCst), 1);

    // The legacy form: the start URL in the profile itself, the cache named by its hash.
    store.signed_by.lock().unwrap().clear();
    let start = "https://legacy.awsapps.com/start";
    let config = aws_config(
        &dir,
        &format!(
            "[profile legacy]\nsso_start_url = {start}\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = ReadOnly\n"
        ),
    );
    sso_cache(&dir, start, SSO_TOKEN, &expiring_in(3600));
    let out = ls(
        &dir,
        &store,
        &services,
        &[("AWS_CONFIG_FILE", &config), ("AWS_PROFILE", "legacy")],
        &[],
    )
    .await;
    listed_exactly_signed_by(&out, &store, "AKIDSSO");
    assert_eq!(services.asked.sso.load(Ordering::SeqCst), 2);
}

/// A token the portal refuses, and one past its expiry: one line that names `aws sso login`.
#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_or_expired_sso_token_says_to_run_aws_sso_login() {
    let store = store("sso-bad", 3, true).await;
    let services = Services::start(None).await;
    let dir = common::fresh_dir("s3cred-sso-bad-home");
    let config = aws_config(&dir, SSO_CONFIG);
    for (token, expires) in [
        ("a-token-the-portal-never-gave", expiring_in(3600)),
        (SSO_TOKEN, expiring_in(-60)),
    ] {
        sso_cache(&dir, "corp", token, &expires);
        let out = ls(
            &dir,
            &store,
            &services,
            &[("AWS_CONFIG_FILE", &config), ("AWS_PROFILE", "sso")],
            &[],
        )
        .await;
        let stderr = refused_in_one_line(&out);
        assert!(stderr.starts_with("filescope: AWS profile sso (SSO, session corp, account 123456789012, role ReadOnly): "), "{stderr}");
        assert!(stderr.contains("aws sso login"), "{stderr}");
        assert!(!stderr.contains(token), "{stderr}");
    }
    assert!(
        store.signed_by.lock().unwrap().is_empty(),
        "nothing reached the store"
    );
}

/// Keys in the environment: no credential service is asked (the metadata service is there
/// and enabled, and never hears from filescope).
#[tokio::test(flavor = "multi_thread")]
async fn keys_from_the_environment_ask_no_service() {
    let store = store("env", 30, true).await;
    let services = Services::start(None).await;
    let dir = common::fresh_dir("s3cred-env-home");
    let key = "AKIDCONTAINER";
    let out = ls(
        &dir,
        &store,
        &services,
        &[
            ("AWS_EC2_METADATA_DISABLED", "false"),
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", &services.url),
            ("AWS_ACCESS_KEY_ID", key),
            ("AWS_SECRET_ACCESS_KEY", &secret_of(key)),
            ("AWS_SESSION_TOKEN", &token_of(key)),
        ],
        &[],
    )
    .await;
    listed_exactly_signed_by(&out, &store, key);
    let asked = &services.asked;
    assert_eq!(asked.imds_token_puts.load(Ordering::SeqCst), 0);
    assert_eq!(asked.container.load(Ordering::SeqCst), 0);
}

/// No credentials anywhere and a metadata endpoint that accepts connections but never
/// answers, or one that refuses: the public bucket still lists, unsigned. `--no-sign-request` skips the chain even
/// with keys in the environment.
#[tokio::test(flavor = "multi_thread")]
async fn a_public_bucket_lists_unsigned_without_credentials_or_with_no_sign_request() {
    let store = store("public", 30, false).await;
    let services = Services::start(None).await;
    let dir = common::fresh_dir("s3cred-public-home");
    // Connections are accepted (by the kernel's backlog) and never answered.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    let out = ls(
        &dir,
        &store,
        &services,
        &[
            ("AWS_EC2_METADATA_DISABLED", "false"),
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", &silent_url),
        ],
        &[],
    )
    .await;
    listed_exactly_signed_by(&out, &store, "-");
    // A metadata service that refuses (turned off on the instance) is no role either.
    store.signed_by.lock().unwrap().clear();
    services.asked.imds_forbidden.store(1, Ordering::SeqCst);
    let out = ls(&dir, &store, &services, &metadata_at(&services.url), &[]).await;
    listed_exactly_signed_by(&out, &store, "-");
    assert_eq!(services.asked.imds_token_puts.load(Ordering::SeqCst), 1);
    services.asked.imds_token_puts.store(0, Ordering::SeqCst);
    store.signed_by.lock().unwrap().clear();
    let out = ls(
        &dir,
        &store,
        &services,
        &[
            ("AWS_EC2_METADATA_DISABLED", "false"),
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", &services.url),
            ("AWS_ACCESS_KEY_ID", "AKIDCONTAINER"),
            ("AWS_SECRET_ACCESS_KEY", "unused"),
        ],
        &["--no-sign-request"],
    )
    .await;
    listed_exactly_signed_by(&out, &store, "-");
    assert_eq!(services.asked.imds_token_puts.load(Ordering::SeqCst), 0);
    drop(silent);
}
