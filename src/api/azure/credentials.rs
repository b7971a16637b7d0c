//! Where an Azure store's credentials come from, in the order Azure's own tools look, with
//! the storage ones first: a SAS in the pasted URL; `AZURE_STORAGE_CONNECTION_STRING` (its
//! key or SAS, and its `BlobEndpoint`); `AZURE_STORAGE_ACCOUNT` + `AZURE_STORAGE_KEY`
//! (Shared Key); `AZURE_STORAGE_SAS_TOKEN`; then Microsoft Entra ID tokens as
//! `DefaultAzureCredential` finds them — a client secret (`AZURE_TENANT_ID`,
//! `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`), workload identity (`AZURE_FEDERATED_TOKEN_FILE`),
//! managed identity (App Service's `IDENTITY_ENDPOINT`, else IMDS), the Azure CLI (`az
//! account get-access-token`) — asked on the first request and again before the token
//! expires ([`Tokens::ready`]). With none of them, requests go anonymous (a public container).
//!
//! The token requests are a few lines of HTTP written here with the client's own reqwest and
//! rustls, not `azure_identity`: that crate brings its own HTTP pipeline (`typespec_client_core`)
//! and TLS choice, and its authority host and IMDS address are not all settable from the
//! environment, which the tests need to point them at loopback stand-ins.

use crate::api::url::{form, lock};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use crate::api::client::Secret;

/// The scope (v2 token endpoint) and resource (managed identity, CLI) of Azure Storage.
pub const SCOPE: &str = "https://storage.azure.com/.default";
pub const RESOURCE: &str = "https://storage.azure.com/";
/// Microsoft Entra ID's public cloud, unless `AZURE_AUTHORITY_HOST` says another.
const AUTHORITY: &str = "https://login.microsoftonline.com";
/// The instance metadata service, unless `AZURE_POD_IDENTITY_AUTHORITY_HOST` says another.
const IMDS: &str = "http://169.254.169.254";
/// Azurite's development account and its published key (`UseDevelopmentStorage=true`).
pub const DEV_ACCOUNT: &str = "devstoreaccount1";
pub const DEV_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
/// A token is fetched again when it has less than this left.
const REFRESH_BEFORE: Duration = Duration::from_secs(300);

/// How requests to the store are authorized.
#[derive(Debug)]
pub enum Credential {
    /// None found, or asked for none: anonymous requests (a public container); why.
    Anonymous(String),
    /// The account key: every request signed with Shared Key.
    SharedKey { key: Secret, source: String },
    /// A SAS token (the query string, without `?`), put on every URL. `var` names the
    /// environment variable it came from, for `y c`'s command.
    Sas {
        token: Secret,
        source: String,
        var: Option<&'static str>,
    },
    /// Microsoft Entra ID bearer tokens.
    Entra(Tokens),
}

impl Credential {
    /// Where it comes from, for the header and messages.
    pub fn source(&self) -> String {
        match self {
            Credential::Anonymous(why) => why.clone(),
            Credential::SharedKey { source, .. } | Credential::Sas { source, .. } => source.clone(),
            Credential::Entra(tokens) => tokens.source(),
        }
    }

    /// Every secret it holds or has handed out.
    pub fn secrets(&self) -> Vec<String> {
        match self {
            Credential::Anonymous(_) => Vec::new(),
            Credential::SharedKey { key, .. } => vec![key.expose().to_string()],
            Credential::Sas { token, .. } => {
                // The whole token, and its signature as written and decoded.
                let mut secrets = vec![token.expose().to_string()];
                secrets.extend(
                    token
                        .expose()
                        .split('&')
                        .find_map(|p| p.strip_prefix("sig="))
                        .map(str::to_string),
                );
                secrets.extend(super::sign::sas_signature(token.expose()));
                secrets
            }
            Credential::Entra(tokens) => tokens.secrets(),
        }
    }
}

/// A connection string's settings (`Key=Value;…`, keys caseless).
#[derive(Default, Clone)]
pub struct ConnectionString {
    pub account: Option<String>,
    pub key: Option<String>,
    pub sas: Option<String>,
    pub blob_endpoint: Option<String>,
    pub protocol: Option<String>,
    pub suffix: Option<String>,
    pub development: bool,
}

/// Every setting but the key and the SAS, which are said to be there and no more.
impl std::fmt::Debug for ConnectionString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionString")
            .field("account", &self.account)
            .field("key", &self.key.as_ref().map(|_| "***"))
            .field("sas", &self.sas.as_ref().map(|_| "***"))
            .field("blob_endpoint", &self.blob_endpoint)
            .field("protocol", &self.protocol)
            .field("suffix", &self.suffix)
            .field("development", &self.development)
            .finish()
    }
}

impl ConnectionString {
    /// Reads one; an error names the setting, never a value.
    pub fn parse(text: &str) -> Result<ConnectionString, String> {
        let mut cs = ConnectionString::default();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((name, value)) = part.split_once('=') else {
                return Err(
                    "AZURE_STORAGE_CONNECTION_STRING: a part without `=` (expected Name=Value;…)"
                        .to_string(),
                );
            };
            let value = value.trim().to_string();
            match name.trim().to_ascii_lowercase().as_str() {
                "accountname" => cs.account = Some(value),
                "accountkey" => cs.key = Some(value),
                "sharedaccesssignature" => cs.sas = Some(value.trim_start_matches('?').to_string()),
                "blobendpoint" => cs.blob_endpoint = Some(value),
                "defaultendpointsprotocol" => cs.protocol = Some(value),
                "endpointsuffix" => cs.suffix = Some(value),
                "usedevelopmentstorage" => cs.development = value.eq_ignore_ascii_case("true"),
                _ => {}
            }
        }
        if cs.development {
            cs.account.get_or_insert_with(|| DEV_ACCOUNT.to_string());
            cs.key.get_or_insert_with(|| DEV_KEY.to_string());
            cs.blob_endpoint
                .get_or_insert_with(|| format!("http://127.0.0.1:10000/{DEV_ACCOUNT}"));
        }
        if cs.blob_endpoint.is_none()
            && let Some(account) = &cs.account
            && cs.suffix.is_some()
        {
            cs.blob_endpoint = Some(format!(
                "{}://{account}.blob.{}",
                cs.protocol.as_deref().unwrap_or("https"),
                cs.suffix.as_deref().unwrap_or("core.windows.net")
            ));
        }
        Ok(cs)
    }
}

/// What the environment says, read once (a test passes its own).
pub type Env = dyn Fn(&str) -> Option<String> + Send + Sync;

/// The process's environment, blank values as unset.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Where an Entra ID token comes from.
#[derive(Debug, Clone)]
pub enum TokenSource {
    /// `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`: the client credentials
    /// grant at the tenant's token endpoint.
    ClientSecret {
        authority: String,
        tenant: String,
        client: String,
        secret: Secret,
    },
    /// `AZURE_FEDERATED_TOKEN_FILE` (with the tenant and client): the file's token as the
    /// client assertion.
    Workload {
        authority: String,
        tenant: String,
        client: String,
        file: String,
    },
    /// App Service and Functions: `IDENTITY_ENDPOINT` with `IDENTITY_HEADER`.
    AppService {
        endpoint: String,
        header: Secret,
        client: Option<String>,
    },
    /// The instance metadata service of a VM, a scale set or AKS.
    Imds {
        host: String,
        client: Option<String>,
    },
    /// `az account get-access-token`.
    Cli { timeout: Duration },
}

impl TokenSource {
    fn label(&self) -> &'static str {
        match self {
            TokenSource::ClientSecret { .. } => {
                "Entra ID client secret (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)"
            }
            TokenSource::Workload { .. } => {
                "Entra ID workload identity (AZURE_FEDERATED_TOKEN_FILE)"
            }
            TokenSource::AppService { .. } => "managed identity (IDENTITY_ENDPOINT)",
            TokenSource::Imds { .. } => "managed identity (IMDS)",
            TokenSource::Cli { .. } => "the Azure CLI (az account get-access-token)",
        }
    }

    /// Whether it may have nothing to give without that being an error (IMDS off Azure, no
    /// `az` installed or logged in): the chain then asks the next one.
    fn may_pass(&self) -> bool {
        matches!(self, TokenSource::Imds { .. } | TokenSource::Cli { .. })
    }
}

/// The token sources the environment configures, in `DefaultAzureCredential`'s order.
pub fn token_sources(env: &Env, command_timeout: Duration) -> Vec<TokenSource> {
    let authority = env("AZURE_AUTHORITY_HOST")
        .unwrap_or_else(|| AUTHORITY.to_string())
        .trim_end_matches('/')
        .to_string();
    let tenant = env("AZURE_TENANT_ID");
    let client = env("AZURE_CLIENT_ID");
    let mut sources = Vec::new();
    if let (Some(tenant), Some(client), Some(secret)) =
        (&tenant, &client, env("AZURE_CLIENT_SECRET"))
    {
        sources.push(TokenSource::ClientSecret {
            authority: authority.clone(),
            tenant: tenant.clone(),
            client: client.clone(),
            secret: Secret::new(secret),
        });
    }
    if let (Some(tenant), Some(client), Some(file)) =
        (&tenant, &client, env("AZURE_FEDERATED_TOKEN_FILE"))
    {
        sources.push(TokenSource::Workload {
            authority,
            tenant: tenant.clone(),
            client: client.clone(),
            file,
        });
    }
    if let (Some(endpoint), Some(header)) = (env("IDENTITY_ENDPOINT"), env("IDENTITY_HEADER")) {
        sources.push(TokenSource::AppService {
            endpoint,
            header: Secret::new(header),
            client: client.clone(),
        });
    } else {
        sources.push(TokenSource::Imds {
            host: env("AZURE_POD_IDENTITY_AUTHORITY_HOST")
                .unwrap_or_else(|| IMDS.to_string())
                .trim_end_matches('/')
                .to_string(),
            client: client.clone(),
        });
    }
    sources.push(TokenSource::Cli {
        timeout: command_timeout,
    });
    sources
}

/// A bearer token and when it expires.
#[derive(Debug, Clone)]
pub struct Token {
    pub value: Secret,
    pub expires: SystemTime,
    pub source: &'static str,
}

#[derive(Debug, Clone)]
enum State {
    Unknown,
    Got(Token),
    /// No source had a token: anonymous requests; why.
    None(String),
}

/// Entra ID tokens from the first source that has one, fetched on the first request and
/// again before they expire. Cheap to read while signing.
pub struct Tokens {
    sources: Vec<TokenSource>,
    state: Mutex<State>,
    refreshing: tokio::sync::Mutex<()>,
    /// Every token and secret handed out or held, to keep out of messages.
    seen: Mutex<Vec<String>>,
}

/// Names its sources, never a token or secret (a `Connection` is printed with `{:?}`).
impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sources: Vec<&str> = self.sources.iter().map(TokenSource::label).collect();
        f.debug_struct("Tokens")
            .field("sources", &sources)
            .finish_non_exhaustive()
    }
}

impl Tokens {
    pub fn new(sources: Vec<TokenSource>) -> Tokens {
        let seen = sources
            .iter()
            .filter_map(|s| match s {
                TokenSource::ClientSecret { secret, .. } => Some(secret.expose().to_string()),
                TokenSource::AppService { header, .. } => Some(header.expose().to_string()),
                _ => None,
            })
            .collect();
        Tokens {
            sources,
            state: Mutex::new(State::Unknown),
            refreshing: tokio::sync::Mutex::new(()),
            seen: Mutex::new(seen),
        }
    }

    /// The token to send now, if any.
    pub fn token(&self) -> Option<Token> {
        match &*lock(&self.state) {
            State::Got(token) => Some(token.clone()),
            _ => None,
        }
    }

    pub fn source(&self) -> String {
        match &*lock(&self.state) {
            State::Got(token) => token.source.to_string(),
            State::None(why) => why.clone(),
            State::Unknown => format!(
                "Entra ID, asked on the first request: {}",
                self.sources
                    .iter()
                    .map(TokenSource::label)
                    .collect::<Vec<_>>()
                    .join(", then ")
            ),
        }
    }

    pub fn secrets(&self) -> Vec<String> {
        lock(&self.seen).clone()
    }

    fn fresh(&self) -> bool {
        match &*lock(&self.state) {
            State::Unknown => false,
            State::None(_) => true,
            State::Got(token) => token
                .expires
                .duration_since(SystemTime::now())
                .is_ok_and(|left| left > REFRESH_BEFORE),
        }
    }

    /// Makes sure a token is there and will not expire within five minutes, asking the
    /// sources in turn if not. A failed refresh keeps a token that still works.
    pub async fn ready(&self) -> Result<(), String> {
        if self.fresh() {
            return Ok(());
        }
        let _one = self.refreshing.lock().await;
        if self.fresh() {
            return Ok(());
        }
        let mut passed = Vec::new();
        let mut outcome = Ok(None);
        for source in &self.sources {
            match fetch(source).await {
                Ok(token) => {
                    outcome = Ok(Some(token));
                    break;
                }
                Err(e) if source.may_pass() => {
                    tracing::info!(source = source.label(), error = %e, "no token here; asking the next source");
                    passed.push(format!("{}: {e}", source.label()));
                }
                Err(e) => {
                    outcome = Err(format!("{}: {e}", source.label()));
                    break;
                }
            }
        }
        let mut state = lock(&self.state);
        match outcome {
            Ok(Some(token)) => {
                tracing::info!(source = token.source, "Entra ID token");
                let mut seen = lock(&self.seen);
                if !seen.contains(&token.value.expose().to_string()) {
                    seen.push(token.value.expose().to_string());
                }
                *state = State::Got(token);
                Ok(())
            }
            Ok(None) => {
                *state = State::None(format!(
                    "no Azure credentials: anonymous requests ({})",
                    passed.join("; ")
                ));
                Ok(())
            }
            Err(e) => match &*state {
                State::Got(token) if token.expires > SystemTime::now() => {
                    tracing::warn!(error = %e, "refreshing the Entra ID token failed; the current one still works");
                    Ok(())
                }
                _ => Err(e),
            },
        }
    }
}

/// A token request's client: rustls, short timeouts (IMDS off Azure must fail fast).
fn http(connect: Duration) -> Result<reqwest::Client, String> {
    crate::api::client::install_crypto();
    reqwest::Client::builder()
        .user_agent(concat!("filescope/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(connect)
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot set up HTTP: {}", e.without_url()))
}

/// Seconds as a number or a string (`"3599"`).
fn seconds(value: Option<&serde_json::Value>) -> Option<u64> {
    match value? {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Reads a token answer: `access_token` with `expires_in` (seconds from now) or `expires_on`
/// (seconds since 1970); the CLI's `accessToken` with `expires_on`.
fn token_of(body: &[u8], source: &'static str) -> Result<Token, String> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| "the answer is not JSON with an access token".to_string())?;
    let token = value
        .get("access_token")
        .or_else(|| value.get("accessToken"))
        .and_then(|t| t.as_str())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| "the answer has no access_token".to_string())?;
    let now = SystemTime::now();
    let expires = if let Some(secs) = seconds(value.get("expires_in")) {
        now + Duration::from_secs(secs)
    } else if let Some(at) = seconds(value.get("expires_on")) {
        SystemTime::UNIX_EPOCH + Duration::from_secs(at)
    } else {
        // No expiry said: ask again in ten minutes.
        now + Duration::from_secs(600)
    };
    Ok(Token {
        value: Secret::new(token),
        expires,
        source,
    })
}

/// The error of a token endpoint, in one line (OAuth's `error` and the first line of
/// `error_description`), made safe to print.
fn refusal(status: u16, body: &[u8]) -> String {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let error = value.get("error").and_then(|e| e.as_str()).unwrap_or("");
    let description = value
        .get("error_description")
        .and_then(|e| e.as_str())
        .and_then(|d| d.lines().next())
        .unwrap_or("");
    let said = [error, description]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(": ");
    let said: String = said.chars().take(300).collect();
    format!(
        "HTTP {status}{}",
        if said.is_empty() {
            String::new()
        } else {
            format!(" ({})", crate::text::sanitize(&said))
        }
    )
}

/// The client credentials grant for Azure Storage at the tenant's token endpoint, with the
/// client's own `pairs` (its id and a secret or an assertion).
fn client_credentials(
    authority: &str,
    tenant: &str,
    pairs: &[(&str, &str)],
) -> Result<reqwest::RequestBuilder, String> {
    let mut all = pairs.to_vec();
    all.extend([("scope", SCOPE), ("grant_type", "client_credentials")]);
    Ok(http(Duration::from_secs(10))?
        .post(format!("{authority}/{tenant}/oauth2/v2.0/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&all)))
}

async fn fetch(source: &TokenSource) -> Result<Token, String> {
    let label = source.label();
    let send = |request: reqwest::RequestBuilder| async move {
        let response = request
            .send()
            .await
            .map_err(|e| format!("cannot reach it ({})", e.without_url()))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("the answer broke off ({})", e.without_url()))?;
        if !(200..300).contains(&status) {
            return Err(refusal(status, &body));
        }
        token_of(&body, label)
    };
    match source {
        TokenSource::ClientSecret {
            authority,
            tenant,
            client,
            secret,
        } => {
            let pairs = [
                ("client_id", client.as_str()),
                ("client_secret", secret.expose()),
            ];
            send(client_credentials(authority, tenant, &pairs)?).await
        }
        TokenSource::Workload {
            authority,
            tenant,
            client,
            file,
        } => {
            let assertion =
                std::fs::read_to_string(file).map_err(|e| format!("cannot read {file}: {e}"))?;
            let pairs = [
                ("client_id", client.as_str()),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", assertion.trim()),
            ];
            send(client_credentials(authority, tenant, &pairs)?).await
        }
        TokenSource::AppService {
            endpoint,
            header,
            client,
        } => {
            let mut query = vec![("api-version", "2019-08-01"), ("resource", RESOURCE)];
            if let Some(client) = client {
                query.push(("client_id", client));
            }
            let url = format!("{endpoint}?{}", form(&query));
            send(
                http(Duration::from_secs(10))?
                    .get(url)
                    .header("x-identity-header", header.expose()),
            )
            .await
        }
        TokenSource::Imds { host, client } => {
            let mut query = vec![("api-version", "2018-02-01"), ("resource", RESOURCE)];
            if let Some(client) = client {
                query.push(("client_id", client));
            }
            let url = format!("{host}/metadata/identity/oauth2/token?{}", form(&query));
            // Off Azure nothing answers there: give up within a second.
            send(
                http(Duration::from_secs(1))?
                    .get(url)
                    .header("metadata", "true"),
            )
            .await
        }
        TokenSource::Cli { timeout } => {
            let words: Vec<String> = [
                "az",
                "account",
                "get-access-token",
                "--resource",
                RESOURCE,
                "--output",
                "json",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            let timeout = *timeout;
            let finished = tokio::task::spawn_blocking(move || {
                crate::api::command::run_capped(
                    &words,
                    std::process::Stdio::null(),
                    timeout,
                    "az account get-access-token",
                )
            })
            .await
            .map_err(|_| "the command did not finish".to_string())??;
            if !finished.status.success() {
                return Err(format!(
                    "it ended with {} (`az login` first)",
                    finished.status
                ));
            }
            token_of(&finished.stdout, label)
        }
    }
}

#[cfg(test)]
mod tests {

    /// Debug output (a `Connection` printed with `{:?}`) names where tokens come from and
    /// never holds a secret: the client secret, the App Service header, a connection
    /// string's key or SAS.
    #[test]
    fn debug_output_holds_no_secret() {
        let tokens = Tokens::new(vec![
            TokenSource::ClientSecret {
                authority: "http://127.0.0.1:9".into(),
                tenant: "t".into(),
                client: "c".into(),
                secret: crate::api::Secret::new("client-secret-canary"),
            },
            TokenSource::AppService {
                endpoint: "http://127.0.0.1:9".into(),
                header: crate::api::Secret::new("identity-header-canary"),
                client: None,
            },
        ]);
        let shown = format!("{tokens:?}");
        assert!(!shown.contains("canary"), "{shown}");
        assert!(shown.contains("client secret"), "{shown}");
        let cs = ConnectionString {
            account: Some("acct".into()),
            key: Some("account-key-canary".into()),
            sas: Some("sig=sas-canary".into()),
            ..ConnectionString::default()
        };
        let shown = format!("{cs:?}");
        assert!(
            !shown.contains("canary") && shown.contains("acct"),
            "{shown}"
        );
    }

    use super::*;

    #[test]
    fn connection_strings_give_the_account_key_sas_and_endpoint() {
        let cs = ConnectionString::parse(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=abc==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;",
        )
        .unwrap();
        assert_eq!(cs.account.as_deref(), Some("devstoreaccount1"));
        assert_eq!(cs.key.as_deref(), Some("abc=="));
        assert_eq!(
            cs.blob_endpoint.as_deref(),
            Some("http://127.0.0.1:10000/devstoreaccount1")
        );
        let dev = ConnectionString::parse("UseDevelopmentStorage=true").unwrap();
        assert_eq!(dev.key.as_deref(), Some(DEV_KEY));
        let cloud = ConnectionString::parse(
            "AccountName=acct;SharedAccessSignature=?sv=1&sig=x;EndpointSuffix=core.windows.net",
        )
        .unwrap();
        assert_eq!(cloud.sas.as_deref(), Some("sv=1&sig=x"));
        assert_eq!(
            cloud.blob_endpoint.as_deref(),
            Some("https://acct.blob.core.windows.net")
        );
        let bad = ConnectionString::parse("AccountKey").unwrap_err();
        assert!(bad.contains("without `=`"), "{bad}");
    }

    #[test]
    fn token_answers_read_every_expiry_form() {
        let t = token_of(br#"{"access_token":"tok","expires_in":3599}"#, "x").unwrap();
        assert_eq!(t.value.expose(), "tok");
        assert!(t.expires > SystemTime::now() + Duration::from_secs(3000));
        let t = token_of(br#"{"access_token":"tok","expires_on":"4102444800"}"#, "x").unwrap();
        assert_eq!(
            t.expires,
            SystemTime::UNIX_EPOCH + Duration::from_secs(4_102_444_800)
        );
        let t = token_of(br#"{"accessToken":"cli","expires_on":4102444800}"#, "x").unwrap();
        assert_eq!(t.value.expose(), "cli");
        assert!(token_of(b"{}", "x").is_err());
        let said = refusal(
            401,
            br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret.\r\nTrace ID: 1"}"#,
        );
        assert_eq!(
            said,
            "HTTP 401 (invalid_client: AADSTS7000215: Invalid client secret.)"
        );
    }

    #[test]
    fn the_chain_follows_default_azure_credential_order() {
        let env = |name: &str| {
            match name {
                "AZURE_TENANT_ID" => Some("t"),
                "AZURE_CLIENT_ID" => Some("c"),
                "AZURE_CLIENT_SECRET" => Some("s"),
                "AZURE_FEDERATED_TOKEN_FILE" => Some("/f"),
                "AZURE_AUTHORITY_HOST" => Some("http://127.0.0.1:9/"),
                _ => None,
            }
            .map(str::to_string)
        };
        let sources = token_sources(&env, Duration::from_secs(5));
        let labels: Vec<&str> = sources.iter().map(TokenSource::label).collect();
        assert_eq!(labels.len(), 4, "{labels:?}");
        assert!(
            matches!(&sources[0], TokenSource::ClientSecret { authority, .. } if authority == "http://127.0.0.1:9")
        );
        assert!(matches!(sources[1], TokenSource::Workload { .. }));
        assert!(matches!(&sources[2], TokenSource::Imds { host, .. } if host == IMDS));
        assert!(matches!(sources[3], TokenSource::Cli { .. }));
        let tokens = Tokens::new(sources);
        assert!(tokens.secrets().contains(&"s".to_string()));
    }
}
