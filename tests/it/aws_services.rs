//! Stand-ins for the services AWS credentials come from, on one loopback server: the
//! instance metadata service (IMDSv2: the token PUT is required, and its TTL said back), the
//! container credentials endpoint (its authorization token is required), STS (AssumeRole,
//! which must be signed by the source profile's keys `AKIDBASE` (or the fixed pair); AssumeRoleWithWebIdentity,
//! with the token from the file) and the SSO portal (`GET /federation/credentials` with the
//! cached token). Each hands out a key of its own (`AKIDIMDS00`, `AKIDCONTAINER`, …) whose
//! secret and session token are derived from it, so an S3 server can know them in advance;
//! or, [`Services::start`] given one key pair, that pair (the demo store knows only its own).
//! Used by tests/it/s3_credentials.rs and by the benchmark (benches/perf.rs).
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};

/// The IMDS session token the stand-in hands out on PUT and requires on every GET.
pub const IMDS_TOKEN: &str = "imds-session-token";
pub const CONTAINER_TOKEN: &str = "container-authorization-token";
pub const WEB_IDENTITY_JWT: &str = "web-identity-jwt";
pub const SSO_TOKEN: &str = "sso-access-token";
pub const ROLE: &str = "arn:aws:iam::123456789012:role/reader";
pub const DENIED_ROLE: &str = "arn:aws:iam::123456789012:role/denied";

/// The secret and session token of a key a source hands out (both derived from the key, so
/// the S3 side knows them in advance).
pub fn secret_of(key: &str) -> String {
    format!("secret-of-{key}")
}

pub fn token_of(key: &str) -> String {
    format!("session-token-of-{key}")
}

/// What the stand-ins were asked, and how long the instance role's keys last.
#[derive(Default)]
pub struct Asked {
    pub imds_token_puts: AtomicUsize,
    pub imds_credentials: AtomicUsize,
    pub imds_refused: AtomicUsize,
    pub container: AtomicUsize,
    pub sts: Mutex<Vec<String>>,
    pub sso: AtomicUsize,
    /// Seconds the instance role's keys are valid for.
    pub imds_lifetime: AtomicUsize,
    /// Nonzero: the metadata service refuses the token PUT (403), as one turned off does.
    pub imds_forbidden: AtomicUsize,
    /// The one key pair every source hands out, if set (else each its own).
    pub fixed: Option<(String, String)>,
}

impl Asked {
    /// The key, secret and session token a source named `key` hands out.
    fn handout(&self, key: &str) -> (String, String, String) {
        match &self.fixed {
            Some((id, secret)) => (id.clone(), secret.clone(), token_of(key)),
            None => (key.to_string(), secret_of(key), token_of(key)),
        }
    }
}

/// The credential services, each at its own path of one loopback server.
pub struct Services {
    pub url: String,
    pub asked: Arc<Asked>,
}

pub fn expiring_in(seconds: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(seconds))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn credentials_json(asked: &Asked, key: &str, seconds: i64) -> String {
    let (key, secret, token) = asked.handout(key);
    serde_json::json!({
        "Code": "Success",
        "Type": "AWS-HMAC",
        "AccessKeyId": key,
        "SecretAccessKey": secret,
        "Token": token,
        "Expiration": expiring_in(seconds),
    })
    .to_string()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn imds_token(State(asked): State<Arc<Asked>>, headers: HeaderMap) -> Response {
    asked.imds_token_puts.fetch_add(1, Ordering::SeqCst);
    if asked.imds_forbidden.load(Ordering::SeqCst) != 0 {
        return StatusCode::FORBIDDEN.into_response();
    }
    let Some(ttl) = header(&headers, "x-aws-ec2-metadata-token-ttl-seconds") else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    // The real service says the token's lifetime back.
    (
        [("x-aws-ec2-metadata-token-ttl-seconds", ttl.to_string())],
        IMDS_TOKEN,
    )
        .into_response()
}

async fn imds_get(State(asked): State<Arc<Asked>>, headers: HeaderMap, uri: Uri) -> Response {
    if header(&headers, "x-aws-ec2-metadata-token") != Some(IMDS_TOKEN) {
        asked.imds_refused.fetch_add(1, Ordering::SeqCst);
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let path = uri.path();
    if path.ends_with("/security-credentials/") {
        return "filescope-instance-role".into_response();
    }
    if path.ends_with("/security-credentials/filescope-instance-role") {
        let n = asked.imds_credentials.fetch_add(1, Ordering::SeqCst);
        let lifetime = asked.imds_lifetime.load(Ordering::SeqCst) as i64;
        return credentials_json(&asked, &format!("AKIDIMDS{n:02}"), lifetime).into_response();
    }
    StatusCode::NOT_FOUND.into_response()
}

async fn container(State(asked): State<Arc<Asked>>, headers: HeaderMap) -> Response {
    asked.container.fetch_add(1, Ordering::SeqCst);
    if header(&headers, "authorization") != Some(CONTAINER_TOKEN) {
        return (StatusCode::UNAUTHORIZED, "no authorization token").into_response();
    }
    credentials_json(&asked, "AKIDCONTAINER", 3600).into_response()
}

fn sts_answer(asked: &Asked, action: &str, key: &str) -> Response {
    let (key, secret, token) = asked.handout(key);
    let body = format!(
        "<{action}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><{action}Result>\
         <AssumedRoleUser><AssumedRoleId>AROATEST:filescope</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/reader/filescope</Arn></AssumedRoleUser>\
         <Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey><SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials>\
         </{action}Result><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></{action}Response>",
        secret,
        token,
        expiring_in(3600),
    );
    ([("content-type", "text/xml")], body).into_response()
}

fn sts_refusal(message: &str) -> Response {
    let body = format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>{message}</Message></Error><RequestId>2</RequestId></ErrorResponse>"
    );
    (StatusCode::FORBIDDEN, [("content-type", "text/xml")], body).into_response()
}

async fn sts(State(asked): State<Arc<Asked>>, headers: HeaderMap, body: String) -> Response {
    let form: HashMap<String, String> = reqwest::Url::parse(&format!("http://x/?{body}"))
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    let action = form.get("Action").cloned().unwrap_or_default();
    let role = form.get("RoleArn").cloned().unwrap_or_default();
    asked.sts.lock().unwrap().push(format!("{action} {role}"));
    match action.as_str() {
        "AssumeRole" => {
            // Signed by the source profile's own keys.
            let base = asked
                .fixed
                .as_ref()
                .map_or("AKIDBASE", |(id, _)| id.as_str());
            // By the source profile's keys, or by the instance role's (`credential_source =
            // Ec2InstanceMetadata`).
            let signed_by_base = header(&headers, "authorization").is_some_and(|a| {
                a.contains(&format!("Credential={base}/")) || a.contains("Credential=AKIDIMDS")
            });
            if !signed_by_base {
                return sts_refusal("the request was not signed by the source profile");
            }
            if role == DENIED_ROLE {
                return sts_refusal(&format!(
                    "User: arn:aws:iam::123456789012:user/base is not authorized to perform: sts:AssumeRole on resource: {DENIED_ROLE}"
                ));
            }
            sts_answer(&asked, "AssumeRole", "AKIDROLE")
        }
        "AssumeRoleWithWebIdentity" => {
            if form.get("WebIdentityToken").map(String::as_str) != Some(WEB_IDENTITY_JWT) {
                return sts_refusal("not the token in the file");
            }
            sts_answer(&asked, "AssumeRoleWithWebIdentity", "AKIDWEBIDENTITY")
        }
        _ => sts_refusal("unknown action"),
    }
}

async fn sso(State(asked): State<Arc<Asked>>, headers: HeaderMap) -> Response {
    asked.sso.fetch_add(1, Ordering::SeqCst);
    if header(&headers, "x-amz-sso_bearer_token") != Some(SSO_TOKEN) {
        return (
            StatusCode::UNAUTHORIZED,
            [("x-amzn-errortype", "UnauthorizedException")],
            r#"{"message":"Session token not found or invalid"}"#,
        )
            .into_response();
    }
    let (key, secret, token) = asked.handout("AKIDSSO");
    let expiration = (chrono::Utc::now() + chrono::Duration::hours(1)).timestamp_millis();
    axum::Json(serde_json::json!({
        "roleCredentials": {
            "accessKeyId": key,
            "secretAccessKey": secret,
            "sessionToken": token,
            "expiration": expiration,
        }
    }))
    .into_response()
}

impl Services {
    /// The stand-ins on a port of their own; every source hands out `fixed` if given.
    pub async fn start(fixed: Option<(&str, &str)>) -> Services {
        let asked = Asked {
            fixed: fixed.map(|(id, secret)| (id.to_string(), secret.to_string())),
            ..Asked::default()
        };
        asked.imds_lifetime.store(6 * 3600, Ordering::SeqCst);
        start(Arc::new(asked)).await
    }
}

async fn start(asked: Arc<Asked>) -> Services {
    let app = axum::Router::new()
        .route("/latest/api/token", put(imds_token))
        .route("/latest/meta-data/{*rest}", get(imds_get))
        .route("/container/credentials", get(container))
        .route("/", axum::routing::post(sts))
        .route("/federation/credentials", get(sso))
        .with_state(Arc::clone(&asked));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Services { url, asked }
}

/// The SSO cache file `aws sso login` writes for a session (named by the SHA-1 of the
/// session's name, as the AWS tools name it).
pub fn sso_cache(dir: &Path, session: &str, token: &str, expires_at: &str) {
    use sha1::Digest;
    let name: String = sha1::Sha1::digest(session.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let cache = dir.join(".aws/sso/cache");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(
        cache.join(format!("{name}.json")),
        serde_json::json!({
            "accessToken": token,
            "expiresAt": expires_at,
            "region": "us-east-1",
            "startUrl": "https://corp.awsapps.com/start",
        })
        .to_string(),
    )
    .unwrap();
}

pub const SSO_CONFIG: &str = "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = ReadOnly\nregion = us-east-1\n\
     [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n";
