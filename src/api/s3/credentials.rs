//! Where S3 credentials, the region and the endpoint come from: the AWS SDK's own chain
//! (`aws-config`), in the standard order, so a machine already set up for the AWS CLI needs
//! nothing more.
//!
//! - Credentials: a profile named in filescope's own profile (`aws_profile`) is used alone,
//!   as `aws --profile` does. Otherwise the chain: `AWS_ACCESS_KEY_ID` /
//!   `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`; the profile `AWS_PROFILE` names (else
//!   `default`) in `~/.aws/credentials` and `~/.aws/config` (static keys, `credential_process`,
//!   `role_arn` with `source_profile` or `credential_source`, SSO); a web identity token
//!   (`AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN`); the container endpoint
//!   (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` / `_FULL_URI`); the instance metadata service
//!   (IMDSv2). With none, requests go unsigned (public buckets); `--no-sign-request` skips
//!   the chain.
//! - The chain is asked on the first request, not before: start-up reads two files and the
//!   environment, nothing more. Credentials that expire are asked for again five minutes
//!   before they do.
//! - Region: filescope's profile or `--region`; `AWS_REGION`; `AWS_DEFAULT_REGION`; the
//!   AWS profile's `region`; else `us-east-1` (corrected from the first answer if wrong).
//! - Endpoint: filescope's profile or `--endpoint`; `AWS_ENDPOINT_URL_S3`;
//!   `AWS_ENDPOINT_URL`; the AWS profile's `endpoint_url`; else AWS itself.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_config::profile::ProfileSet;
use aws_config::provider_config::ProviderConfig;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_types::os_shim_internal::{Env, Fs};

use crate::api::Secret;

/// How long before they expire credentials are asked for again (the AWS SDKs' own margin).
const REFRESH_BEFORE: Duration = Duration::from_secs(5 * 60);

/// How long the instance metadata service may take to answer, per request: on a machine
/// without one, this bounds what discovering that costs before an unsigned listing.
const METADATA_CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
const METADATA_READ_TIMEOUT: Duration = Duration::from_secs(1);

/// Access keys, as a source handed them out.
#[derive(Clone)]
pub struct Keys {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
    /// Where they came from, for messages: `environment (AWS_ACCESS_KEY_ID)`,
    /// `AWS profile prod (static keys in ~/.aws/credentials)`, …
    pub source: String,
    /// When they stop working, for temporary credentials.
    pub expiry: Option<SystemTime>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("access_key_id", &self.access_key_id)
            .field("source", &self.source)
            .field("expiry", &self.expiry)
            .finish_non_exhaustive()
    }
}

/// What the user said about the connection, before the chain fills the rest in.
#[derive(Debug, Clone)]
pub struct Asked {
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub aws_profile: Option<String>,
    /// How long a `credential_process` may take (`[network] command_timeout_secs`).
    pub command_timeout: Duration,
}

impl Default for Asked {
    fn default() -> Self {
        Asked {
            endpoint: None,
            region: None,
            aws_profile: None,
            command_timeout: crate::api::command::DEFAULT_TIMEOUT,
        }
    }
}

/// One place the chain looks, in order.
#[derive(Debug, Clone)]
enum Link {
    Environment,
    /// An AWS profile; `process` when its credentials come from a `credential_process` of
    /// its own, which filescope runs itself (bounded in time and output).
    Profile {
        name: String,
        process: Option<String>,
    },
    WebIdentity,
    Container,
    InstanceMetadata,
}

/// A link and how it is named in messages.
#[derive(Debug, Clone)]
struct Source {
    link: Link,
    label: String,
    /// The machine's configuration says this source has credentials (read without a
    /// network): the first such one is what `profiles` and the header name.
    configured: bool,
}

/// What the machine's configuration says, read from the environment and the AWS files
/// without a network.
#[derive(Debug, Clone)]
pub struct Found {
    /// The region and whether anyone named it (a guess is corrected silently).
    pub region: String,
    pub region_named: bool,
    pub endpoint: Option<String>,
    sources: Vec<Source>,
    command_timeout: Duration,
}

impl Found {
    /// Where the credentials will come from, for `profiles` and the header: the first
    /// source the configuration fills in, else the metadata service, else none.
    pub fn describe(&self) -> String {
        if let Some(source) = self.sources.iter().find(|s| s.configured) {
            return source.label.clone();
        }
        match self.sources.last() {
            Some(Source {
                link: Link::InstanceMetadata,
                ..
            }) => "instance metadata (IMDSv2) if there is one, else unsigned".to_string(),
            _ => UNSIGNED.to_string(),
        }
    }
}

const UNSIGNED: &str = "no credentials: requests go unsigned";

fn var(env: &Env, name: &str) -> Option<String> {
    env.get(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The AWS profiles, as the SDK reads them (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`,
/// `HOME`), and the files they came from.
fn profiles(env: &Env, fs: &Fs) -> Result<(ProfileSet, String), String> {
    let set = futures::executor::block_on(aws_config::profile::load(
        fs,
        env,
        &EnvConfigFiles::default(),
        None,
    ))
    .map_err(|e| format!("the AWS configuration files: {e}"))?;
    let home = var(env, "HOME");
    let shown = |name: &str, default: &str| {
        var(env, name).unwrap_or_else(|| match &home {
            Some(_) => default.to_string(),
            None => default.trim_start_matches("~/").to_string(),
        })
    };
    let files = format!(
        "{} or {}",
        shown("AWS_CONFIG_FILE", "~/.aws/config"),
        shown("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
    );
    Ok((set, files))
}

/// How a profile gives credentials, in words (never a secret), and whether it gives any.
fn profile_source(set: &ProfileSet, name: &str) -> (String, bool, Option<String>) {
    let Some(profile) = set.get_profile(name) else {
        return (
            format!("AWS profile {name} (not in the files)"),
            false,
            None,
        );
    };
    let get = |key: &str| profile.get(key).map(str::to_string);
    if let Some(role) = get("role_arn") {
        let from = if let Some(source) = get("source_profile") {
            format!("profile {source}")
        } else if let Some(source) = get("credential_source") {
            format!("credential_source {source}")
        } else if get("web_identity_token_file").is_some() {
            "a web identity token".to_string()
        } else {
            "no source_profile".to_string()
        };
        return (
            format!("AWS profile {name} (AssumeRole {role} from {from})"),
            true,
            None,
        );
    }
    if get("sso_session").is_some() || get("sso_start_url").is_some() {
        let session = get("sso_session").map_or(String::new(), |s| format!("session {s}, "));
        let account = get("sso_account_id").unwrap_or_else(|| "?".into());
        let role = get("sso_role_name").unwrap_or_else(|| "?".into());
        return (
            format!("AWS profile {name} (SSO, {session}account {account}, role {role})"),
            true,
            None,
        );
    }
    if get("aws_access_key_id").is_some() {
        return (format!("AWS profile {name} (static keys)"), true, None);
    }
    if let Some(command) = get("credential_process") {
        return (
            format!("AWS profile {name} (credential_process)"),
            true,
            Some(command),
        );
    }
    (
        format!("AWS profile {name} (no credentials in it)"),
        false,
        None,
    )
}

/// Reads the configuration: which sources the chain will try, the region, the endpoint.
pub fn resolve(asked: &Asked, env: &Env, fs: &Fs) -> Result<Found, String> {
    let (set, files) = profiles(env, fs)?;
    let named = asked.aws_profile.clone();
    if let Some(name) = &named
        && set.get_profile(name).is_none()
    {
        return Err(format!("AWS profile {name:?} is in neither of {files}"));
    }
    let profile_name = named
        .clone()
        .or_else(|| var(env, "AWS_PROFILE"))
        .unwrap_or_else(|| "default".to_string());
    let profile = |configured_only: bool| {
        let (label, configured, process) = profile_source(&set, &profile_name);
        (!configured_only || configured).then(|| Source {
            link: Link::Profile {
                name: profile_name.clone(),
                process,
            },
            label,
            configured,
        })
    };
    let mut sources = Vec::new();
    if named.is_some() {
        sources.extend(profile(false));
    } else {
        let env_keys = var(env, "AWS_ACCESS_KEY_ID");
        if env_keys.is_some() && var(env, "AWS_SECRET_ACCESS_KEY").is_none() {
            return Err("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not".to_string());
        }
        sources.push(Source {
            link: Link::Environment,
            label: "environment (AWS_ACCESS_KEY_ID)".to_string(),
            configured: env_keys.is_some(),
        });
        sources.extend(profile(false));
        let role = var(env, "AWS_ROLE_ARN");
        sources.push(Source {
            link: Link::WebIdentity,
            label: format!(
                "web identity token (AWS_WEB_IDENTITY_TOKEN_FILE) for {}",
                role.as_deref().unwrap_or("AWS_ROLE_ARN (unset)")
            ),
            configured: var(env, "AWS_WEB_IDENTITY_TOKEN_FILE").is_some(),
        });
        let container = [
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        ]
        .into_iter()
        .find(|name| var(env, name).is_some());
        sources.push(Source {
            link: Link::Container,
            label: format!(
                "container credentials endpoint ({})",
                container.unwrap_or("AWS_CONTAINER_CREDENTIALS_*_URI")
            ),
            configured: container.is_some(),
        });
        let disabled =
            var(env, "AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if !disabled {
            sources.push(Source {
                link: Link::InstanceMetadata,
                label: "instance metadata (IMDSv2)".to_string(),
                configured: false,
            });
        }
    }
    let setting = |key: &str| {
        set.get_profile(&profile_name)
            .and_then(|p| p.get(key))
            .map(str::to_string)
    };
    let named_region = asked
        .region
        .clone()
        .or_else(|| var(env, "AWS_REGION"))
        .or_else(|| var(env, "AWS_DEFAULT_REGION"))
        .or_else(|| setting("region"));
    let endpoint = asked
        .endpoint
        .clone()
        .or_else(|| var(env, "AWS_ENDPOINT_URL_S3"))
        .or_else(|| var(env, "AWS_ENDPOINT_URL"))
        .or_else(|| setting("endpoint_url"));
    Ok(Found {
        region_named: named_region.is_some(),
        region: named_region.unwrap_or_else(|| "us-east-1".to_string()),
        endpoint,
        sources,
        command_timeout: asked.command_timeout,
    })
}

/// Reads the process's own configuration.
pub fn resolve_here(asked: &Asked) -> Result<Found, String> {
    resolve(asked, &Env::real(), &Fs::real())
}

/// Runs a `credential_process` (without a shell: words are split as a shell would, nothing
/// more) and reads the JSON it prints: at most 1 MiB, within `timeout`. Blocking.
fn run_credential_process(command: &str, source: &str, timeout: Duration) -> Result<Keys, String> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Printed {
        access_key_id: String,
        secret_access_key: String,
        session_token: Option<String>,
        expiration: Option<String>,
    }
    let words =
        shell_words::split(command).map_err(|e| format!("{source}: credential_process: {e}"))?;
    let what = match words.first() {
        Some(program) => format!("{source}: credential_process {program:?}"),
        None => format!("{source}: credential_process"),
    };
    let output =
        crate::api::command::run_capped(&words, std::process::Stdio::null(), timeout, &what)?;
    if !output.status.success() {
        return Err(format!("{what} failed ({})", output.status));
    }
    let printed: Printed = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("{source}: credential_process printed no credentials JSON ({e})"))?;
    let expiry = match printed.expiration {
        Some(text) => Some(
            chrono::DateTime::parse_from_rfc3339(&text)
                .map_err(|_| format!("{what} printed an Expiration that is not a date"))?
                .into(),
        ),
        None => None,
    };
    Ok(Keys {
        access_key_id: printed.access_key_id,
        secret_access_key: Secret::new(printed.secret_access_key),
        session_token: printed.session_token.map(Secret::new),
        source: source.to_string(),
        expiry,
    })
}

/// A profile's own `credential_process`, run by filescope (bounded), as a link of the chain.
#[derive(Debug)]
struct Process {
    command: String,
    source: String,
    timeout: Duration,
}

impl ProvideCredentials for Process {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let (command, source, timeout) =
                (self.command.clone(), self.source.clone(), self.timeout);
            let keys = tokio::task::spawn_blocking(move || {
                run_credential_process(&command, &source, timeout)
            })
            .await
            .map_err(CredentialsError::unhandled)?
            .map_err(CredentialsError::provider_error)?;
            Ok(aws_credential_types::Credentials::new(
                keys.access_key_id,
                keys.secret_access_key.expose().to_string(),
                keys.session_token.map(|t| t.expose().to_string()),
                keys.expiry,
                "CredentialProcess",
            ))
        })
    }
}

/// The SDK's configuration for the providers that make requests: its own HTTP client, on the
/// same TLS library as the rest (rustls with ring), and the region. Built only when a source
/// that needs it is reached: making it loads the system's certificates (≈ 5 ms), which keys
/// from the environment or a file never need.
fn provider_config(found: &Found) -> ProviderConfig {
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    ProviderConfig::default()
        .with_http_client(http)
        .with_region(Some(aws_config::Region::new(found.region.clone())))
}

/// The AWS SDK's provider for one link (filescope's own for a profile's credential_process).
fn provider(
    found: &Found,
    source: &Source,
    config: impl FnOnce() -> ProviderConfig,
) -> SharedCredentialsProvider {
    use aws_config::{ecs, environment, imds, profile, web_identity_token};
    match &source.link {
        Link::Environment => SharedCredentialsProvider::new(
            environment::EnvironmentVariableCredentialsProvider::new(),
        ),
        Link::Profile {
            process: Some(command),
            ..
        } => SharedCredentialsProvider::new(Process {
            command: command.clone(),
            source: source.label.clone(),
            timeout: found.command_timeout,
        }),
        Link::Profile { name, .. } => SharedCredentialsProvider::new(
            profile::ProfileFileCredentialsProvider::builder()
                .configure(&config())
                .profile_name(name)
                .build(),
        ),
        Link::WebIdentity => SharedCredentialsProvider::new(
            web_identity_token::WebIdentityTokenCredentialsProvider::builder()
                .configure(&config())
                .build(),
        ),
        Link::Container => SharedCredentialsProvider::new(
            ecs::EcsCredentialsProvider::builder()
                .configure(&config())
                .build(),
        ),
        Link::InstanceMetadata => {
            let config = config();
            let client = imds::Client::builder()
                .configure(&config)
                .connect_timeout(METADATA_CONNECT_TIMEOUT)
                .read_timeout(METADATA_READ_TIMEOUT)
                .max_attempts(1)
                .build();
            SharedCredentialsProvider::new(
                imds::credentials::ImdsCredentialsProvider::builder()
                    .configure(&config)
                    .imds_client(client)
                    .build(),
            )
        }
    }
}

/// What a source's refusal says, in one line, with the hint the user needs: the SDK's error
/// and its causes, without the SDK's own wrappers ("an error occurred while loading
/// credentials") or a Debug dump.
fn refusal(source: &Source, error: &CredentialsError) -> String {
    const WRAPPERS: [&str; 5] = [
        "an error occurred while loading credentials",
        "the credential provider was not properly configured",
        "unexpected credentials error",
        "the credentials provider was not enabled",
        "dispatch failure",
    ];
    let mut said: Vec<String> = Vec::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = next {
        let text = e.to_string();
        let text = text.trim();
        if !text.is_empty() && !WRAPPERS.contains(&text) && !said.iter().any(|s| s.contains(text)) {
            said.push(text.to_string());
        }
        next = e.source();
    }
    if said.is_empty() {
        said.push(format!("{error:?}"));
    }
    let joined = said.join(": ").replace('\n', " ");
    let said = crate::text::sanitize(&joined);
    let said = said.trim_start_matches(&format!("{}: ", source.label));
    let hint = match &source.link {
        Link::Profile { name, .. }
            if source.label.contains("(SSO") && !said.contains("aws sso login") =>
        {
            format!("; run `aws sso login --profile {name}`")
        }
        _ => String::new(),
    };
    format!("{}: {said}{hint}", source.label)
}

/// What the chain settled on.
#[derive(Debug, Clone)]
enum State {
    /// Not asked yet.
    Unknown,
    Signed(Keys),
    /// No source had credentials (or `--no-sign-request`): requests go unsigned.
    Unsigned(String),
}

/// The credentials requests are signed with: given outright, none, or the chain's, asked
/// for on the first request and again before they expire. Cheap to read while signing.
pub struct Signer {
    state: Mutex<State>,
    /// The chain, built on first use; `None` for given or no credentials.
    chain: Option<Found>,
    /// Each link's provider, made when the chain first reaches it (so a source found early
    /// never pays for the ones after it), and the configuration they share.
    providers: Vec<std::sync::OnceLock<SharedCredentialsProvider>>,
    config: std::sync::OnceLock<ProviderConfig>,
    /// One refresh at a time: concurrent requests wait for it rather than ask again.
    refreshing: tokio::sync::Mutex<()>,
    /// Every secret handed out so far, to keep out of messages even after a refresh.
    seen: Mutex<Vec<String>>,
    /// Why the metadata service gave nothing, when it failed rather than had nothing.
    note: Mutex<Option<String>>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl Signer {
    fn with(state: State, chain: Option<Found>) -> Arc<Signer> {
        let seen = match &state {
            State::Signed(keys) => secrets_of(keys),
            _ => Vec::new(),
        };
        let links = chain.as_ref().map_or(0, |found| found.sources.len());
        Arc::new(Signer {
            state: Mutex::new(state),
            chain,
            providers: (0..links).map(|_| std::sync::OnceLock::new()).collect(),
            config: std::sync::OnceLock::new(),
            refreshing: tokio::sync::Mutex::new(()),
            seen: Mutex::new(seen),
            note: Mutex::new(None),
        })
    }

    /// Keys given outright (the demo's own pair, a test's).
    pub fn given(keys: Keys) -> Arc<Signer> {
        Signer::with(State::Signed(keys), None)
    }

    /// No signature at all (`--no-sign-request`).
    pub fn unsigned(why: &str) -> Arc<Signer> {
        Signer::with(State::Unsigned(why.to_string()), None)
    }

    /// The chain the configuration describes, asked on the first request.
    pub fn chain(found: Found) -> Arc<Signer> {
        Signer::with(State::Unknown, Some(found))
    }

    fn state(&self) -> State {
        match self.state.lock() {
            Ok(state) => state.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The keys to sign with now, if any.
    pub fn keys(&self) -> Option<Keys> {
        match self.state() {
            State::Signed(keys) => Some(keys),
            _ => None,
        }
    }

    /// Where the credentials come from (or why there are none), for messages.
    pub fn source(&self) -> String {
        match self.state() {
            State::Signed(keys) => keys.source,
            State::Unsigned(why) => why,
            State::Unknown => self
                .chain
                .as_ref()
                .map_or(UNSIGNED.to_string(), Found::describe),
        }
    }

    /// Keeps what the metadata service said, for the message of an unsigned request.
    fn note(&self, said: String) {
        if let Ok(mut note) = self.note.lock() {
            *note = Some(said);
        }
    }

    fn take_note(&self) -> Option<String> {
        self.note.lock().ok().and_then(|mut note| note.take())
    }

    /// Every secret handed out so far.
    pub fn secrets(&self) -> Vec<String> {
        match self.seen.lock() {
            Ok(seen) => seen.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn fresh(&self) -> bool {
        match self.state() {
            State::Unknown => self.chain.is_none(),
            State::Unsigned(_) => true,
            State::Signed(keys) => match (&self.chain, keys.expiry) {
                (Some(_), Some(expiry)) => expiry
                    .duration_since(SystemTime::now())
                    .is_ok_and(|left| left > REFRESH_BEFORE),
                _ => true,
            },
        }
    }

    /// Makes sure the keys are there and will not expire within five minutes, asking the
    /// chain if not. A failed refresh keeps keys that still work, with a warning in the log.
    pub async fn ready(&self) -> Result<(), String> {
        if self.fresh() {
            return Ok(());
        }
        let _one_at_a_time = self.refreshing.lock().await;
        if self.fresh() {
            return Ok(());
        }
        let Some(found) = &self.chain else {
            return Ok(());
        };
        let asked = self.ask(found).await;
        let mut state = match self.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        match asked {
            Ok(Some(keys)) => {
                tracing::info!(source = %keys.source, expiry = ?keys.expiry, "AWS credentials");
                let mut seen = match self.seen.lock() {
                    Ok(seen) => seen,
                    Err(poisoned) => poisoned.into_inner(),
                };
                for secret in secrets_of(&keys) {
                    if !seen.contains(&secret) {
                        seen.push(secret);
                    }
                }
                *state = State::Signed(keys);
                Ok(())
            }
            Ok(None) => {
                tracing::info!("no AWS credentials anywhere: unsigned requests");
                let mut why = format!(
                    "{UNSIGNED} (none in {})",
                    found
                        .sources
                        .iter()
                        .map(|s| short_name(&s.link))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                if let Some(note) = self.take_note() {
                    why.push_str("; ");
                    why.push_str(&note);
                }
                *state = State::Unsigned(why);
                Ok(())
            }
            Err(e) => match &*state {
                State::Signed(keys)
                    if keys.expiry.is_none_or(|expiry| expiry > SystemTime::now()) =>
                {
                    tracing::warn!(error = %e, "refreshing AWS credentials failed; the current ones still work");
                    Ok(())
                }
                _ => Err(e),
            },
        }
    }

    /// Asks each source in turn: the first with credentials wins, a source that has none
    /// passes on, a source that fails ends the search with its reason.
    async fn ask(&self, found: &Found) -> Result<Option<Keys>, String> {
        for (source, made) in found.sources.iter().zip(&self.providers) {
            let provider = made.get_or_init(|| {
                provider(found, source, || {
                    self.config.get_or_init(|| provider_config(found)).clone()
                })
            });
            match provider.provide_credentials().await {
                Ok(credentials) => {
                    return Ok(Some(Keys {
                        access_key_id: credentials.access_key_id().to_string(),
                        secret_access_key: Secret::new(credentials.secret_access_key()),
                        session_token: credentials.session_token().map(Secret::new),
                        source: source.label.clone(),
                        expiry: credentials.expiry(),
                    }));
                }
                Err(CredentialsError::CredentialsNotLoaded(_)) => {
                    tracing::debug!(source = %source.label, "no credentials there");
                }
                // The metadata service is the last resort: one that refuses or fails means
                // this machine has no role, and a public bucket still lists unsigned.
                Err(error) if matches!(source.link, Link::InstanceMetadata) => {
                    let said = refusal(source, &error);
                    tracing::info!(error = %said, "no instance role");
                    self.note(said);
                }
                Err(error) => return Err(refusal(source, &error)),
            }
        }
        Ok(None)
    }
}

fn short_name(link: &Link) -> Cow<'static, str> {
    match link {
        Link::Environment => "environment".into(),
        Link::Profile { name, .. } => format!("AWS profile {name}").into(),
        Link::WebIdentity => "web identity".into(),
        Link::Container => "container endpoint".into(),
        Link::InstanceMetadata => "instance metadata".into(),
    }
}

fn secrets_of(keys: &Keys) -> Vec<String> {
    let mut secrets = vec![keys.secret_access_key.expose().to_string()];
    if let Some(token) = &keys.session_token {
        secrets.push(token.expose().to_string());
    }
    secrets
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home_with(name: &str, credentials: &str, config: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("filescope-aws-{}-{name}", std::process::id()));
        std::fs::create_dir_all(dir.join(".aws")).unwrap();
        std::fs::write(dir.join(".aws/credentials"), credentials).unwrap();
        std::fs::write(dir.join(".aws/config"), config).unwrap();
        dir
    }

    fn found(
        vars: &[(&str, &str)],
        home: &std::path::Path,
        asked: &Asked,
    ) -> Result<Found, String> {
        let home = home.display().to_string();
        let mut all = vec![("HOME", home.as_str())];
        all.extend_from_slice(vars);
        resolve(asked, &Env::from_slice(&all), &Fs::real())
    }

    #[test]
    fn the_environment_comes_before_the_default_profile() {
        let home = home_with(
            "env-first",
            "[default]\naws_access_key_id = FROMFILE\naws_secret_access_key = s\n",
            "[default]\nregion = eu-west-3\n",
        );
        let vars = [
            ("AWS_ACCESS_KEY_ID", "FROMENV"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
        ];
        let f = found(&vars, &home, &Asked::default()).unwrap();
        assert_eq!(f.describe(), "environment (AWS_ACCESS_KEY_ID)");
        assert_eq!(f.region, "eu-west-3", "the profile's region still counts");
        // A profile named in filescope's own profile is used alone, as `aws --profile` does.
        let asked = Asked {
            aws_profile: Some("default".into()),
            ..Asked::default()
        };
        let f = found(&vars, &home, &asked).unwrap();
        assert_eq!(f.describe(), "AWS profile default (static keys)");
        assert_eq!(f.sources.len(), 1);
    }

    #[test]
    fn aws_profile_selects_a_section_of_both_files() {
        let home = home_with(
            "both-files",
            "[prod]\naws_access_key_id = PROD\naws_secret_access_key = s\naws_session_token = t\n",
            "[profile prod]\nregion = ap-south-1\nendpoint_url = http://127.0.0.1:9000\n",
        );
        let vars = [("AWS_PROFILE", "prod"), ("AWS_REGION", "us-west-2")];
        let f = found(&vars, &home, &Asked::default()).unwrap();
        assert_eq!(f.describe(), "AWS profile prod (static keys)");
        assert_eq!(f.region, "us-west-2", "AWS_REGION beats the profile");
        assert_eq!(f.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        let vars = [
            ("AWS_PROFILE", "prod"),
            ("AWS_ENDPOINT_URL_S3", "http://s3.local"),
        ];
        let f = found(&vars, &home, &Asked::default()).unwrap();
        assert_eq!(f.endpoint.as_deref(), Some("http://s3.local"));
        assert_eq!(f.region, "ap-south-1");
    }

    /// `profiles` and the header name each kind of source without asking it anything.
    #[test]
    fn every_source_is_described_without_a_network() {
        let home = home_with(
            "kinds",
            "",
            "[profile base]\naws_access_key_id = B\naws_secret_access_key = s\n\
             [profile role]\nrole_arn = arn:aws:iam::123456789012:role/reader\nsource_profile = base\n\
             [profile ec2]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Ec2InstanceMetadata\n\
             [profile sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\n\
             [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n\
             [profile proc]\ncredential_process = /bin/creds\n",
        );
        let describe =
            |vars: &[(&str, &str)]| found(vars, &home, &Asked::default()).unwrap().describe();
        assert_eq!(
            describe(&[("AWS_PROFILE", "role")]),
            "AWS profile role (AssumeRole arn:aws:iam::123456789012:role/reader from profile base)"
        );
        assert_eq!(
            describe(&[("AWS_PROFILE", "ec2")]),
            "AWS profile ec2 (AssumeRole arn:aws:iam::1:role/x from credential_source Ec2InstanceMetadata)"
        );
        assert_eq!(
            describe(&[("AWS_PROFILE", "sso")]),
            "AWS profile sso (SSO, session corp, account 111122223333, role ReadOnly)"
        );
        assert_eq!(
            describe(&[("AWS_PROFILE", "proc")]),
            "AWS profile proc (credential_process)"
        );
        assert_eq!(
            describe(&[
                ("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token"),
                ("AWS_ROLE_ARN", "arn:aws:iam::1:role/ci")
            ]),
            "web identity token (AWS_WEB_IDENTITY_TOKEN_FILE) for arn:aws:iam::1:role/ci"
        );
        assert_eq!(
            describe(&[(
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "/v2/credentials/x"
            )]),
            "container credentials endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)"
        );
        assert_eq!(
            describe(&[]),
            "instance metadata (IMDSv2) if there is one, else unsigned"
        );
        assert_eq!(
            describe(&[("AWS_EC2_METADATA_DISABLED", "true")]),
            "no credentials: requests go unsigned"
        );
    }

    #[test]
    fn mistakes_are_named() {
        let home = home_with("mistakes", "", "[profile x]\nregion = eu-west-1\n");
        let asked = Asked {
            aws_profile: Some("nope".into()),
            ..Asked::default()
        };
        let e = found(&[], &home, &asked).unwrap_err();
        assert!(e.contains("AWS profile \"nope\" is in neither of"), "{e}");
        let e = found(&[("AWS_ACCESS_KEY_ID", "A")], &home, &Asked::default()).unwrap_err();
        assert!(e.contains("AWS_SECRET_ACCESS_KEY is not"), "{e}");
    }

    /// A profile's own credential_process is run by filescope, without a shell, and its
    /// expiry is kept (so the keys are asked for again before it).
    #[tokio::test]
    async fn a_credential_process_is_run_without_a_shell() {
        let home = home_with(
            "process",
            "",
            "[profile proc]\ncredential_process = printf '{\"Version\": 1, \"AccessKeyId\": \"PROC\", \"SecretAccessKey\": \"s; echo hacked\", \"Expiration\": \"2099-01-01T00:00:00Z\"}'\n",
        );
        let vars = [("AWS_PROFILE", "proc")];
        let f = found(&vars, &home, &Asked::default()).unwrap();
        assert!(!f.region_named);
        assert_eq!(f.region, "us-east-1");
        let signer = Signer::chain(f);
        assert!(
            signer.keys().is_none(),
            "nothing is asked before the first request"
        );
        signer.ready().await.unwrap();
        let keys = signer.keys().unwrap();
        assert_eq!(keys.access_key_id, "PROC");
        assert_eq!(keys.secret_access_key.expose(), "s; echo hacked");
        assert_eq!(keys.source, "AWS profile proc (credential_process)");
        assert_eq!(
            keys.expiry,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(4_070_908_800))
        );
        assert_eq!(signer.secrets(), vec!["s; echo hacked".to_string()]);
    }
}
