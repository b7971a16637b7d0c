//! GCS as a family: its line in [`crate::api::family::FAMILIES`] (`gs://`, the `gcs`
//! dialect), and the connection to a bucket from a location: the API root (`--endpoint`,
//! else `STORAGE_EMULATOR_HOST`, else Google's) and the tokens (Application Default
//! Credentials, none for an emulator, or as given).

use std::sync::Arc;

use reqwest::Url;

use super::credentials::{self, Source, Tokens};
use super::{GOOGLE_ENDPOINT, Gcs, Settings, parse_gs_url};
use crate::api::client::Connection;
use crate::api::family::{Credentials, Family, Location, Store};

/// GCS's line in the family registry.
pub const FAMILY: Family = Family {
    name: "gcs",
    scheme: "gs",
    url_form: "gs://BUCKET[/PREFIX/]",
    connect,
    key_source,
};

/// One bucket's listing and reach are the same `Gcs`.
impl From<Arc<Gcs>> for Store {
    fn from(gcs: Arc<Gcs>) -> Self {
        Store {
            dialect: gcs.clone(),
            reach: gcs,
        }
    }
}

/// An endpoint as written: a URL, or (`STORAGE_EMULATOR_HOST`) a bare `host:port`.
fn endpoint_url(text: &str, named: &str) -> Result<Url, String> {
    let text = if text.contains("://") {
        text.to_string()
    } else {
        format!("http://{text}")
    };
    crate::api::url::parse_url(&text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| format!("{named} {text:?} is not an http:// or https:// URL"))
}

/// The connection to `gs://BUCKET[/PREFIX]`. `--endpoint` sets the API root and keeps the
/// credentials; without it `STORAGE_EMULATOR_HOST` sends requests to an emulator without
/// a token, as Google's client libraries do.
fn connect(at: &Location) -> Result<Connection, String> {
    let (bucket, root) = parse_gs_url(&at.url)?;
    let emulator = credentials::env_var("STORAGE_EMULATOR_HOST");
    let (endpoint, emulated) = match (&at.endpoint, &emulator) {
        (Some(endpoint), _) => (endpoint_url(endpoint, "the GCS endpoint")?, false),
        (None, Some(host)) => (endpoint_url(host, "STORAGE_EMULATOR_HOST")?, true),
        (None, None) => (
            Url::parse(GOOGLE_ENDPOINT).map_err(|e| format!("GCS's endpoint: {e}"))?,
            false,
        ),
    };
    let source = match &at.credentials {
        Credentials::Given { secret, .. } => Source::Given(secret.clone()),
        Credentials::Unsigned => {
            Source::Anonymous("--no-sign-request: requests go without a token".to_string())
        }
        Credentials::Found { .. } if emulated => Source::Anonymous(format!(
            "STORAGE_EMULATOR_HOST={}: requests go to the emulator without a token",
            crate::text::sanitize(emulator.as_deref().unwrap_or(""))
        )),
        Credentials::Found { .. } => credentials::resolve(&credentials::env_var)?,
    };
    let tokens = Arc::new(Tokens::new(source));
    let described = tokens.source();
    let label = match root.as_str() {
        "" => format!("gs://{bucket}"),
        root => format!("gs://{bucket}/{root}"),
    };
    let gcs = Gcs::new(Settings {
        bucket,
        root,
        endpoint: endpoint.clone(),
        tokens,
        levels: at.levels,
    });
    let mut conn = Connection::new(Arc::new(gcs), endpoint, None);
    conn.key_source = described;
    conn.label = label;
    Ok(conn)
}

/// Where a profile's GCS credentials come from, for `filescope profiles`: read from the
/// environment and the files, asking no one.
fn key_source(_profile: Option<&str>) -> String {
    if let Some(host) = credentials::env_var("STORAGE_EMULATOR_HOST") {
        return format!(
            "STORAGE_EMULATOR_HOST={}: no token (unless the profile sets an endpoint)",
            crate::text::sanitize(&host)
        );
    }
    match credentials::resolve(&credentials::env_var) {
        Ok(source) => source.describe(),
        Err(e) => e,
    }
}
