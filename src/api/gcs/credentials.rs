//! Where GCS's bearer tokens come from: Application Default Credentials, in the order
//! Google's client libraries resolve them, so a machine set up for `gcloud` or running on
//! Google Cloud needs nothing more.
//!
//! 1. `GOOGLE_APPLICATION_CREDENTIALS`: a JSON key file. A service account's key
//!    (`"type": "service_account"`) signs an RS256 JWT that its `token_uri` exchanges for a
//!    token (OAuth's JWT-bearer grant); an `authorized_user` file holds a refresh token.
//!    External accounts (workload identity federation) are named and refused.
//! 2. gcloud's ADC file, `gcloud auth application-default login`'s:
//!    `$CLOUDSDK_CONFIG/application_default_credentials.json`, else
//!    `~/.config/gcloud/application_default_credentials.json` (`%APPDATA%\gcloud\…` on
//!    Windows): a refresh token exchanged at its `token_uri`.
//! 3. The metadata server on GCE, GKE and Cloud Run (`GCE_METADATA_HOST`, else
//!    169.254.169.254), asked with `Metadata-Flavor: Google`; `NO_GCE_CHECK=true` skips it.
//!    Where none answers, requests go without a token (public buckets).
//!
//! Tokens are asked for on the first request, not before, and again five minutes before
//! they expire (halfway through a shorter life). The JWT is signed with `ring` (which rustls
//! already builds); no Google crate is used: `gcp_auth` and `google-cloud-auth` bring an
//! HTTP stack of their own and neither signs V4 URLs, which need the key anyway.

use crate::api::url::lock;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD as BASE64_URL};
use serde_json::Value;

use crate::api::Secret;

/// Google's token endpoint, where a key file names none.
const GOOGLE_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
/// The metadata server's address where `GCE_METADATA_HOST` names none.
const METADATA_HOST: &str = "169.254.169.254";
/// What the tokens may do: read, and delete where the profile allows it.
const SCOPE: &str = "https://www.googleapis.com/auth/devstorage.read_write";
/// How long before they expire tokens are asked for again.
const REFRESH_BEFORE: Duration = Duration::from_secs(5 * 60);
/// How long a token endpoint or the metadata server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(1500);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// A service account's key, as its JSON key file gives it.
#[derive(Clone)]
pub struct ServiceAccount {
    pub email: String,
    key_id: Option<String>,
    /// The private key, PKCS#8 DER.
    key: Secret,
    token_uri: String,
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("email", &self.email)
            .field("token_uri", &self.token_uri)
            .finish_non_exhaustive()
    }
}

impl ServiceAccount {
    /// An RSA-SHA256 (PKCS#1 v1.5) signature of `message` with the account's key: the JWT's,
    /// and a V4 signed URL's.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        let der = BASE64
            .decode(self.key.expose())
            .map_err(|_| "the service account's private key is not base64".to_string())?;
        let pair = ring::signature::RsaKeyPair::from_pkcs8(&der).map_err(|_| {
            format!(
                "the private key of service account {} is not an RSA key in PKCS#8 PEM",
                self.email
            )
        })?;
        let mut signature = vec![0; pair.public().modulus_len()];
        pair.sign(
            &ring::signature::RSA_PKCS1_SHA256,
            &ring::rand::SystemRandom::new(),
            message,
            &mut signature,
        )
        .map_err(|_| format!("could not sign with service account {}'s key", self.email))?;
        Ok(signature)
    }

    /// The JWT the token endpoint exchanges for a token, valid an hour from `now`.
    fn assertion(&self, now: u64) -> Result<String, String> {
        let mut head = serde_json::json!({ "alg": "RS256", "typ": "JWT" });
        if let Some(kid) = &self.key_id {
            head["kid"] = kid.clone().into();
        }
        let claims = serde_json::json!({
            "iss": self.email,
            "scope": SCOPE,
            "aud": self.token_uri,
            "iat": now,
            "exp": now + 3600,
        });
        let signed = format!(
            "{}.{}",
            BASE64_URL.encode(head.to_string()),
            BASE64_URL.encode(claims.to_string())
        );
        let signature = self.sign(signed.as_bytes())?;
        Ok(format!("{signed}.{}", BASE64_URL.encode(signature)))
    }
}

/// Where the tokens come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A token given outright (the demo's own, a test's).
    Given(Secret),
    /// None: requests go without a token, for this reason.
    Anonymous(String),
    ServiceAccount {
        account: ServiceAccount,
        /// Where the key was read from, for messages.
        from: String,
    },
    /// A refresh token (gcloud's ADC file, or an `authorized_user` file).
    AuthorizedUser {
        client_id: String,
        client_secret: Secret,
        refresh_token: Secret,
        token_uri: String,
        from: String,
    },
    /// The metadata server at this `host[:port]`.
    Metadata { host: String },
}

impl Source {
    /// Where the tokens come from, in words (never a secret).
    pub fn describe(&self) -> String {
        match self {
            Source::Given(_) => "a token given outright".to_string(),
            Source::Anonymous(why) => why.clone(),
            Source::ServiceAccount { account, from } => {
                format!("service account {} (key in {from})", account.email)
            }
            Source::AuthorizedUser { from, .. } => format!("user credentials in {from}"),
            Source::Metadata { host } => {
                format!("the metadata server at {host}")
            }
        }
    }

    fn secrets(&self) -> Vec<String> {
        match self {
            Source::Given(token) => vec![token.expose().to_string()],
            Source::ServiceAccount { account, .. } => vec![account.key.expose().to_string()],
            Source::AuthorizedUser {
                client_secret,
                refresh_token,
                ..
            } => vec![
                client_secret.expose().to_string(),
                refresh_token.expose().to_string(),
            ],
            Source::Anonymous(_) | Source::Metadata { .. } => Vec::new(),
        }
    }
}

/// Reads a JSON credentials file (`GOOGLE_APPLICATION_CREDENTIALS`'s or gcloud's), naming
/// it `from` in messages.
pub fn read_file(path: &std::path::Path, from: &str) -> Result<Source, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{from}: {e}"))?;
    let value: Value =
        serde_json::from_str(&text).map_err(|_| format!("{from}: not a JSON credentials file"))?;
    let field = |name: &str| {
        value
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let need = |name: &str| field(name).ok_or_else(|| format!("{from}: no {name}"));
    let kind = field("type").unwrap_or_default();
    match kind.as_str() {
        "service_account" => {
            let pem = need("private_key")?;
            let body: String = pem
                .lines()
                .map(str::trim)
                .filter(|l| !l.starts_with("-----"))
                .collect();
            Ok(Source::ServiceAccount {
                account: ServiceAccount {
                    email: need("client_email")?,
                    key_id: field("private_key_id"),
                    key: Secret::new(body),
                    token_uri: field("token_uri").unwrap_or_else(|| GOOGLE_TOKEN_URI.to_string()),
                },
                from: from.to_string(),
            })
        }
        "authorized_user" => Ok(Source::AuthorizedUser {
            client_id: need("client_id")?,
            client_secret: Secret::new(need("client_secret")?),
            refresh_token: Secret::new(need("refresh_token")?),
            token_uri: field("token_uri").unwrap_or_else(|| GOOGLE_TOKEN_URI.to_string()),
            from: from.to_string(),
        }),
        "" => Err(format!("{from}: no \"type\"")),
        other => Err(format!(
            "{from}: credentials of type {:?} (workload identity federation, impersonation) are not read by filescope; use a service-account key, `gcloud auth application-default login`, or the metadata server",
            crate::text::sanitize(other)
        )),
    }
}

/// The Application Default Credentials this environment names, read without a network:
/// `var` reads the environment.
pub fn resolve(var: &dyn Fn(&str) -> Option<String>) -> Result<Source, String> {
    if let Some(path) = var("GOOGLE_APPLICATION_CREDENTIALS") {
        return read_file(
            std::path::Path::new(&path),
            &format!("GOOGLE_APPLICATION_CREDENTIALS ({path})"),
        );
    }
    let config = var("CLOUDSDK_CONFIG")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            if cfg!(windows) {
                var("APPDATA").map(|d| std::path::Path::new(&d).join("gcloud"))
            } else {
                var("HOME").map(|h| std::path::Path::new(&h).join(".config/gcloud"))
            }
        });
    if let Some(file) = config.map(|c| c.join("application_default_credentials.json"))
        && file.exists()
    {
        return read_file(&file, &format!("gcloud's ADC file ({})", file.display()));
    }
    if var("NO_GCE_CHECK").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return Ok(Source::Anonymous(
            "no credentials (NO_GCE_CHECK=true): requests go without a token".to_string(),
        ));
    }
    Ok(Source::Metadata {
        host: var("GCE_METADATA_HOST").unwrap_or_else(|| METADATA_HOST.to_string()),
    })
}

/// The environment as [`resolve`] reads it: set and not blank.
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Why a request for a token got no answer, without its URL (which may carry nothing
/// secret, but one judge says what a transport error shows).
fn reason(e: reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "could not connect".to_string()
    } else {
        crate::text::sanitize(&e.without_url().to_string()).into_owned()
    }
}

/// A POST of `fields` as `application/x-www-form-urlencoded`, as OAuth's token endpoints
/// take them.
fn form(request: reqwest::RequestBuilder, fields: &[(&str, &str)]) -> reqwest::RequestBuilder {
    request
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::api::url::form(fields))
}

/// A token and when to ask for the next one.
#[derive(Debug, Clone)]
struct Token {
    access: Secret,
    refresh_at: Option<SystemTime>,
    expiry: Option<SystemTime>,
}

/// The bearer tokens requests carry: given, none, or a source's, asked for on the first
/// request and again before they expire.
pub struct Tokens {
    source: Source,
    token: Mutex<Option<Token>>,
    /// Set once no token is to be had (no metadata server): why.
    none: Mutex<Option<String>>,
    refreshing: tokio::sync::Mutex<()>,
    /// Every token handed out so far, to keep out of messages even after a refresh.
    seen: Mutex<Vec<String>>,
    http: std::sync::OnceLock<reqwest::Client>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("source", &self.source.describe())
            .finish_non_exhaustive()
    }
}

impl Tokens {
    pub fn new(source: Source) -> Tokens {
        let token = match &source {
            Source::Given(token) => Some(Token {
                access: token.clone(),
                refresh_at: None,
                expiry: None,
            }),
            _ => None,
        };
        Tokens {
            source,
            token: Mutex::new(token),
            none: Mutex::new(None),
            refreshing: tokio::sync::Mutex::new(()),
            seen: Mutex::new(Vec::new()),
            http: std::sync::OnceLock::new(),
        }
    }

    /// The token to send now, if any.
    pub fn bearer(&self) -> Option<String> {
        lock(&self.token)
            .as_ref()
            .map(|t| t.access.expose().to_string())
    }

    /// Where the tokens come from (or why there are none), for messages.
    pub fn source(&self) -> String {
        match &*lock(&self.none) {
            Some(why) => why.clone(),
            None => self.source.describe(),
        }
    }

    /// Whether requests go without a token.
    pub fn anonymous(&self) -> bool {
        matches!(self.source, Source::Anonymous(_)) || lock(&self.none).is_some()
    }

    /// The service account whose key signs, if the tokens come from one.
    pub fn service_account(&self) -> Option<&ServiceAccount> {
        match &self.source {
            Source::ServiceAccount { account, .. } => Some(account),
            _ => None,
        }
    }

    /// Every secret held or handed out so far.
    pub fn secrets(&self) -> Vec<String> {
        let mut secrets = self.source.secrets();
        secrets.extend(lock(&self.seen).iter().cloned());
        secrets
    }

    fn fresh(&self) -> bool {
        if matches!(self.source, Source::Given(_) | Source::Anonymous(_))
            || lock(&self.none).is_some()
        {
            return true;
        }
        lock(&self.token)
            .as_ref()
            .is_some_and(|t| t.refresh_at.is_none_or(|at| SystemTime::now() < at))
    }

    /// Makes sure a token is there and not about to expire, asking the source if not. A
    /// failed refresh keeps a token that still works, with a warning in the log.
    pub async fn ready(&self) -> Result<(), String> {
        if self.fresh() {
            return Ok(());
        }
        let _one_at_a_time = self.refreshing.lock().await;
        if self.fresh() {
            return Ok(());
        }
        match self.ask().await {
            Ok(Some(token)) => {
                tracing::info!(source = %self.source.describe(), expiry = ?token.expiry, "GCS token");
                let mut seen = lock(&self.seen);
                if !seen.iter().any(|s| s == token.access.expose()) {
                    seen.push(token.access.expose().to_string());
                }
                *lock(&self.token) = Some(token);
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(e) => {
                let still = lock(&self.token)
                    .as_ref()
                    .is_some_and(|t| t.expiry.is_none_or(|at| at > SystemTime::now()));
                if still {
                    tracing::warn!(error = %e, "refreshing the GCS token failed; the current one still works");
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }

    fn http(&self) -> Result<&reqwest::Client, String> {
        if let Some(client) = self.http.get() {
            return Ok(client);
        }
        // A token may be asked for before the client's first request installs it.
        crate::api::client::install_crypto();
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot make an HTTP client for the token: {e}"))?;
        Ok(self.http.get_or_init(|| client))
    }

    /// Asks the source for a token: `Ok(None)` when there is none to be had (no metadata
    /// server), which makes requests go without one.
    async fn ask(&self) -> Result<Option<Token>, String> {
        let now = SystemTime::now();
        let unix = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let http = self.http()?;
        let (request, said) = match &self.source {
            Source::Given(_) | Source::Anonymous(_) => return Ok(None),
            Source::ServiceAccount { account, from } => (
                form(
                    http.post(&account.token_uri),
                    &[
                        ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                        ("assertion", &account.assertion(unix)?),
                    ],
                ),
                format!(
                    "service account {} ({from}): the token endpoint {}",
                    account.email,
                    crate::text::sanitize(&account.token_uri)
                ),
            ),
            Source::AuthorizedUser {
                client_id,
                client_secret,
                refresh_token,
                token_uri,
                from,
            } => (
                form(
                    http.post(token_uri),
                    &[
                        ("grant_type", "refresh_token"),
                        ("client_id", client_id.as_str()),
                        ("client_secret", client_secret.expose()),
                        ("refresh_token", refresh_token.expose()),
                    ],
                ),
                format!(
                    "user credentials in {from}: the token endpoint {}",
                    crate::text::sanitize(token_uri)
                ),
            ),
            Source::Metadata { host } => (
                http.get(format!(
                    "http://{host}/computeMetadata/v1/instance/service-accounts/default/token"
                ))
                .header("Metadata-Flavor", "Google"),
                format!("the metadata server at {}", crate::text::sanitize(host)),
            ),
        };
        let metadata = matches!(self.source, Source::Metadata { .. });
        let answer = match request.send().await {
            Ok(answer) => answer,
            // No metadata server: not on Google Cloud, and a public bucket still lists.
            Err(e) if metadata => {
                let why = format!(
                    "no credentials (none in GOOGLE_APPLICATION_CREDENTIALS or gcloud's ADC file, and {said} did not answer: {})",
                    reason(e)
                );
                tracing::info!(%why, "no GCS credentials");
                *lock(&self.none) = Some(why);
                return Ok(None);
            }
            Err(e) => {
                return Err(format!("{said} could not be reached: {}", reason(e)));
            }
        };
        let status = answer.status();
        let body = answer
            .bytes()
            .await
            .map_err(|e| format!("{said}: {}", reason(e)))?;
        let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let text = |name: &str| value.get(name).and_then(Value::as_str).unwrap_or("");
        if !status.is_success() {
            let mut why = format!("{said} refused: HTTP {}", status.as_u16());
            for part in [text("error"), text("error_description")] {
                if !part.is_empty() {
                    why.push_str(": ");
                    why.push_str(&crate::text::sanitize(
                        &part.chars().take(300).collect::<String>(),
                    ));
                }
            }
            return Err(why);
        }
        let access = text("access_token");
        if access.is_empty() || !access.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!("{said} answered without a usable access_token"));
        }
        let life = value
            .get("expires_in")
            .and_then(Value::as_u64)
            .map(Duration::from_secs);
        Ok(Some(Token {
            access: Secret::new(access),
            refresh_at: life.map(|life| now + life - REFRESH_BEFORE.min(life / 2)),
            expiry: life.map(|life| now + life),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn application_default_credentials_are_found_in_googles_order() {
        let dir = std::env::temp_dir().join(format!("filescope-gcs-adc-{}", std::process::id()));
        let gcloud = dir.join("gcloud");
        std::fs::create_dir_all(&gcloud).unwrap();
        let user = gcloud.join("application_default_credentials.json");
        std::fs::write(
            &user,
            r#"{"type":"authorized_user","client_id":"cid","client_secret":"cs","refresh_token":"rt"}"#,
        )
        .unwrap();
        let key = dir.join("key.json");
        std::fs::write(
            &key,
            r#"{"type":"service_account","client_email":"a@p.iam.gserviceaccount.com","private_key":"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n","token_uri":"http://127.0.0.1:9/token"}"#,
        )
        .unwrap();
        let home = dir.to_str().unwrap().replace("/gcloud", "");
        let key_path = key.to_str().unwrap();
        let config = gcloud.to_str().unwrap();
        let found = resolve(&env(&[
            ("GOOGLE_APPLICATION_CREDENTIALS", key_path),
            ("CLOUDSDK_CONFIG", config),
        ]))
        .unwrap();
        assert!(
            found
                .describe()
                .starts_with("service account a@p.iam.gserviceaccount.com"),
            "{}",
            found.describe()
        );
        let found = resolve(&env(&[("CLOUDSDK_CONFIG", config)])).unwrap();
        assert!(
            matches!(&found, Source::AuthorizedUser { token_uri, .. } if token_uri == GOOGLE_TOKEN_URI)
        );
        assert!(found.secrets().contains(&"rt".to_string()));
        let found = resolve(&env(&[
            ("HOME", &home),
            ("GCE_METADATA_HOST", "127.0.0.1:9"),
        ]))
        .unwrap();
        assert_eq!(found.describe(), "the metadata server at 127.0.0.1:9");
        let found = resolve(&env(&[("NO_GCE_CHECK", "True")])).unwrap();
        assert!(matches!(found, Source::Anonymous(_)));
        std::fs::write(&key, r#"{"type":"external_account","audience":"x"}"#).unwrap();
        let error = resolve(&env(&[("GOOGLE_APPLICATION_CREDENTIALS", key_path)])).unwrap_err();
        assert!(error.contains("\"external_account\""), "{error}");
        let missing = resolve(&env(&[(
            "GOOGLE_APPLICATION_CREDENTIALS",
            "/nonexistent/k.json",
        )]))
        .unwrap_err();
        assert!(
            missing.starts_with("GOOGLE_APPLICATION_CREDENTIALS (/nonexistent/k.json)"),
            "{missing}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
