//! Where S3 credentials, the region and the endpoint come from: the standard AWS chain, in
//! the standard order, so a machine already set up for the AWS CLI needs nothing more.
//!
//! - Credentials: a profile named in filescope's own profile (`aws_profile`) wins; then
//!   `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`; then the profile
//!   `AWS_PROFILE` names (else `default`) in `~/.aws/credentials` and `~/.aws/config`
//!   (`AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`), static keys or a
//!   `credential_process`. With none, requests go unsigned (public buckets).
//! - Region: filescope's profile or `--region`; `AWS_REGION`; `AWS_DEFAULT_REGION`; the
//!   AWS profile's `region`; else `us-east-1` (corrected from the first answer if wrong).
//! - Endpoint: filescope's profile or `--endpoint`; `AWS_ENDPOINT_URL_S3`;
//!   `AWS_ENDPOINT_URL`; the AWS profile's `endpoint_url`; else AWS itself.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::api::Secret;

/// Access keys, as the chain found them.
#[derive(Clone)]
pub struct Keys {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
    /// Where they came from, for messages: `AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY`,
    /// `profile prod in ~/.aws/credentials`, …
    pub source: String,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("access_key_id", &self.access_key_id)
            .field("source", &self.source)
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

/// The chain's answer.
#[derive(Debug, Clone)]
pub struct Found {
    pub keys: Option<Keys>,
    /// The region and whether anyone named it (a guess is corrected silently).
    pub region: String,
    pub region_named: bool,
    pub endpoint: Option<String>,
}

/// The process environment and home directory, so tests can give their own.
pub struct Env<'a> {
    pub var: &'a dyn Fn(&str) -> Option<String>,
    pub home: Option<PathBuf>,
}

impl Env<'_> {
    fn get(&self, name: &str) -> Option<String> {
        (self.var)(name).filter(|v| !v.trim().is_empty())
    }
}

/// The process's own environment.
pub fn process_env() -> Env<'static> {
    Env {
        var: &|name| std::env::var(name).ok(),
        home: directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf()),
    }
}

/// One profile's settings, the credentials file's over the config file's.
type Section = HashMap<String, String>;

/// The sections of an AWS INI file: `[name]` in the credentials file, `[profile name]` (or
/// `[default]`) in the config file.
fn read_ini(path: &Path, config_style: bool) -> Result<HashMap<String, Section>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let mut sections: HashMap<String, Section> = HashMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.trim();
            let name = if config_style {
                name.strip_prefix("profile ").map(str::trim).unwrap_or(name)
            } else {
                name
            };
            current = Some(name.to_string());
            sections.entry(name.to_string()).or_default();
            continue;
        }
        if let (Some(section), Some((key, value))) = (&current, line.split_once('=')) {
            sections
                .entry(section.clone())
                .or_default()
                .insert(key.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    Ok(sections)
}

/// Home-relative paths as the AWS tools write them (`~/.aws/config`).
fn expand(path: &str, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

/// The named AWS profile's settings, merged from both files, and where it was found.
fn profile(env: &Env<'_>, name: &str) -> Result<Option<(Section, String)>, String> {
    let home = env.home.as_deref();
    let credentials = env
        .get("AWS_SHARED_CREDENTIALS_FILE")
        .map(|p| expand(&p, home))
        .or_else(|| home.map(|h| h.join(".aws/credentials")));
    let config = env
        .get("AWS_CONFIG_FILE")
        .map(|p| expand(&p, home))
        .or_else(|| home.map(|h| h.join(".aws/config")));
    let mut merged = Section::new();
    let mut found = Vec::new();
    if let Some(path) = &config
        && let Some(section) = read_ini(path, true)?.remove(name)
    {
        merged.extend(section);
        found.push(path.display().to_string());
    }
    if let Some(path) = &credentials
        && let Some(section) = read_ini(path, false)?.remove(name)
    {
        merged.extend(section);
        found.push(path.display().to_string());
    }
    if found.is_empty() {
        return Ok(None);
    }
    Ok(Some((merged, found.join(" and "))))
}

/// The keys a profile holds: static ones, or what its `credential_process` prints.
fn profile_keys(
    name: &str,
    section: &Section,
    files: &str,
    timeout: Duration,
) -> Result<Option<Keys>, String> {
    let source = format!("AWS profile {name} ({files})");
    if let (Some(id), Some(secret)) = (
        section.get("aws_access_key_id"),
        section.get("aws_secret_access_key"),
    ) {
        return Ok(Some(Keys {
            access_key_id: id.clone(),
            secret_access_key: Secret::new(secret.as_str()),
            session_token: section
                .get("aws_session_token")
                .map(|t| Secret::new(t.as_str())),
            source,
        }));
    }
    if let Some(command) = section.get("credential_process") {
        return run_credential_process(command, &source, timeout).map(Some);
    }
    if section.contains_key("role_arn") || section.keys().any(|k| k.starts_with("sso_")) {
        return Err(format!(
            "{source}: role and SSO profiles are not supported; use static keys or a credential_process (e.g. `aws configure export-credentials --format process`)"
        ));
    }
    Ok(None)
}

/// Runs a `credential_process` (without a shell: words are split as a shell would, nothing
/// more) and reads the JSON it prints: at most 1 MiB, within `timeout`.
fn run_credential_process(command: &str, source: &str, timeout: Duration) -> Result<Keys, String> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Printed {
        access_key_id: String,
        secret_access_key: String,
        session_token: Option<String>,
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
    Ok(Keys {
        access_key_id: printed.access_key_id,
        secret_access_key: Secret::new(printed.secret_access_key),
        session_token: printed.session_token.map(Secret::new),
        source: format!("{source}, credential_process"),
    })
}

/// Walks the chain.
pub fn resolve(asked: &Asked, env: &Env<'_>) -> Result<Found, String> {
    let named_profile = asked.aws_profile.clone();
    let profile_name = named_profile
        .clone()
        .or_else(|| env.get("AWS_PROFILE"))
        .unwrap_or_else(|| "default".to_string());
    let section = profile(env, &profile_name)?;
    if named_profile.is_some() && section.is_none() {
        return Err(format!(
            "AWS profile {profile_name:?} is in neither ~/.aws/credentials nor ~/.aws/config"
        ));
    }
    let from_env = match (
        env.get("AWS_ACCESS_KEY_ID"),
        env.get("AWS_SECRET_ACCESS_KEY"),
    ) {
        (Some(id), Some(secret)) => Some(Keys {
            access_key_id: id.trim().to_string(),
            secret_access_key: Secret::new(secret.trim()),
            session_token: env.get("AWS_SESSION_TOKEN").map(|t| Secret::new(t.trim())),
            source: "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY".to_string(),
        }),
        (Some(_), None) => {
            return Err("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not".to_string());
        }
        _ => None,
    };
    let from_profile = || -> Result<Option<Keys>, String> {
        match &section {
            Some((s, files)) => profile_keys(&profile_name, s, files, asked.command_timeout),
            None => Ok(None),
        }
    };
    let keys = if named_profile.is_some() {
        from_profile()?
    } else {
        match from_env {
            Some(keys) => Some(keys),
            None => from_profile()?,
        }
    };
    let setting = |key: &str| section.as_ref().and_then(|(s, _)| s.get(key).cloned());
    let named_region = asked
        .region
        .clone()
        .or_else(|| env.get("AWS_REGION"))
        .or_else(|| env.get("AWS_DEFAULT_REGION"))
        .or_else(|| setting("region"));
    let endpoint = asked
        .endpoint
        .clone()
        .or_else(|| env.get("AWS_ENDPOINT_URL_S3"))
        .or_else(|| env.get("AWS_ENDPOINT_URL"))
        .or_else(|| setting("endpoint_url"));
    Ok(Found {
        keys,
        region_named: named_region.is_some(),
        region: named_region.unwrap_or_else(|| "us-east-1".to_string()),
        endpoint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of<'a>(vars: &'a [(&'a str, &'a str)], home: &Path) -> Env<'a> {
        Env {
            var: Box::leak(Box::new(move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            })),
            home: Some(home.to_path_buf()),
        }
    }

    fn home_with(credentials: &str, config: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "filescope-aws-{}-{}",
            std::process::id(),
            credentials.len() * 31 + config.len()
        ));
        std::fs::create_dir_all(dir.join(".aws")).unwrap();
        std::fs::write(dir.join(".aws/credentials"), credentials).unwrap();
        std::fs::write(dir.join(".aws/config"), config).unwrap();
        dir
    }

    #[test]
    fn the_environment_comes_before_the_default_profile() {
        let home = home_with(
            "[default]\naws_access_key_id = FROMFILE\naws_secret_access_key = s\n",
            "[default]\nregion = eu-west-3\n",
        );
        let vars = [
            ("AWS_ACCESS_KEY_ID", "FROMENV"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
        ];
        let found = resolve(&Asked::default(), &env_of(&vars, &home)).unwrap();
        let keys = found.keys.unwrap();
        assert_eq!(keys.access_key_id, "FROMENV");
        assert_eq!(keys.source, "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY");
        assert_eq!(
            found.region, "eu-west-3",
            "the profile's region still counts"
        );
        // A profile named in filescope's own profile wins over the environment.
        let asked = Asked {
            aws_profile: Some("default".into()),
            ..Asked::default()
        };
        let found = resolve(&asked, &env_of(&vars, &home)).unwrap();
        assert_eq!(found.keys.unwrap().access_key_id, "FROMFILE");
    }

    #[test]
    fn aws_profile_selects_a_section_of_both_files() {
        let home = home_with(
            "[prod]\naws_access_key_id = PROD\naws_secret_access_key = s\naws_session_token = t\n",
            "[profile prod]\nregion = ap-south-1\nendpoint_url = http://127.0.0.1:9000\n",
        );
        let vars = [("AWS_PROFILE", "prod"), ("AWS_REGION", "us-west-2")];
        let found = resolve(&Asked::default(), &env_of(&vars, &home)).unwrap();
        let keys = found.keys.unwrap();
        assert_eq!(keys.access_key_id, "PROD");
        assert_eq!(keys.session_token.unwrap().expose(), "t");
        assert!(keys.source.starts_with("AWS profile prod ("));
        assert_eq!(found.region, "us-west-2", "AWS_REGION beats the profile");
        assert_eq!(found.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        let vars = [
            ("AWS_PROFILE", "prod"),
            ("AWS_ENDPOINT_URL_S3", "http://s3.local"),
        ];
        let found = resolve(&Asked::default(), &env_of(&vars, &home)).unwrap();
        assert_eq!(found.endpoint.as_deref(), Some("http://s3.local"));
        assert_eq!(found.region, "ap-south-1");
    }

    #[test]
    fn a_credential_process_is_run_without_a_shell() {
        let home = home_with(
            "",
            "[profile proc]\ncredential_process = printf '{\"Version\": 1, \"AccessKeyId\": \"PROC\", \"SecretAccessKey\": \"s; echo hacked\"}'\n",
        );
        let vars = [("AWS_PROFILE", "proc")];
        let found = resolve(&Asked::default(), &env_of(&vars, &home)).unwrap();
        let keys = found.keys.unwrap();
        assert_eq!(keys.access_key_id, "PROC");
        assert_eq!(keys.secret_access_key.expose(), "s; echo hacked");
        assert!(!found.region_named);
        assert_eq!(found.region, "us-east-1");
    }

    #[test]
    fn mistakes_are_named() {
        let home = home_with("", "[profile role]\nrole_arn = arn:aws:iam::1:role/x\n");
        let e = resolve(
            &Asked::default(),
            &env_of(&[("AWS_PROFILE", "role")], &home),
        )
        .unwrap_err();
        assert!(e.contains("role and SSO profiles are not supported"), "{e}");
        let asked = Asked {
            aws_profile: Some("nope".into()),
            ..Asked::default()
        };
        let e = resolve(&asked, &env_of(&[], &home)).unwrap_err();
        assert!(e.contains("\"nope\" is in neither"), "{e}");
        let e = resolve(
            &Asked::default(),
            &env_of(&[("AWS_ACCESS_KEY_ID", "A")], &home),
        )
        .unwrap_err();
        assert!(e.contains("AWS_SECRET_ACCESS_KEY is not"), "{e}");
        let found = resolve(&Asked::default(), &env_of(&[], &home)).unwrap();
        assert!(found.keys.is_none(), "no credentials: unsigned requests");
    }
}
