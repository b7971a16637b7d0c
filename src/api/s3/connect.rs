//! S3 as a family: its line in [`crate::api::family::FAMILIES`], the connection to a bucket
//! from a location (credentials, region and endpoint from the AWS chain in
//! [`super::credentials`]), and the store it makes (one `S3` that is both the dialect and
//! the reach, sharing the region it corrects).

use std::sync::Arc;

use super::credentials::{self, Keys, Signer};
use super::{S3, Settings, parse_s3_url};
use crate::api::client::Connection;
use crate::api::family::{Credentials, Family, Location, Store};

/// S3's line in the family registry.
pub const FAMILY: Family = Family {
    name: "s3",
    scheme: "s3",
    url_form: "s3://BUCKET[/PREFIX/]",
    connect,
    key_source,
};

/// One bucket's listing and reach are the same `S3`: the region the reach corrects is the
/// one it signs for.
impl From<Arc<S3>> for Store {
    fn from(s3: Arc<S3>) -> Self {
        Store {
            dialect: s3.clone(),
            reach: s3,
        }
    }
}

/// A connection to a bucket: `s3://BUCKET[/PREFIX]`, credentials, region and endpoint from
/// the AWS chain, or as given.
fn connect(at: &Location) -> Result<Connection, String> {
    let (bucket, root) = parse_s3_url(&at.url)?;
    let (signer, region, endpoint) = match &at.credentials {
        Credentials::Found {
            profile,
            command_timeout,
        } => {
            let asked = credentials::Asked {
                endpoint: at.endpoint.clone(),
                region: at.region.clone(),
                aws_profile: profile.clone(),
                command_timeout: *command_timeout,
            };
            let found = credentials::resolve_here(&asked)?;
            let (region, endpoint) = (found.region.clone(), found.endpoint.clone());
            (Signer::chain(found), region, endpoint)
        }
        Credentials::Unsigned => {
            // The region and endpoint still come from the configuration; no credential does,
            // so a half-set key pair in the environment is no error here.
            let asked = credentials::Asked {
                endpoint: at.endpoint.clone(),
                region: at.region.clone(),
                ..credentials::Asked::default()
            };
            let (region, endpoint) = match credentials::resolve_here(&asked) {
                Ok(found) => (found.region, found.endpoint),
                Err(_) => (
                    at.region.clone().unwrap_or_else(|| "us-east-1".to_string()),
                    at.endpoint.clone(),
                ),
            };
            (
                Signer::unsigned("--no-sign-request: requests go unsigned"),
                region,
                endpoint,
            )
        }
        Credentials::Given {
            id,
            secret,
            token,
            source,
        } => (
            Signer::given(Keys {
                access_key_id: id.clone(),
                secret_access_key: secret.clone(),
                session_token: token.clone(),
                source: source.clone(),
                expiry: None,
            }),
            at.region.clone().unwrap_or_else(|| "us-east-1".to_string()),
            at.endpoint.clone(),
        ),
    };
    let endpoint = match &endpoint {
        Some(text) => Some(
            crate::api::url::parse_url(text)
                .ok()
                .filter(|u| u.scheme() != "s3")
                .ok_or_else(|| {
                    format!("the S3 endpoint {text:?} is not an http:// or https:// URL")
                })?,
        ),
        None => None,
    };
    let source = signer.source();
    // The header names where the listing starts: `s3://demo/uploads/`, not the bucket alone.
    let label = match root.as_str() {
        "" => format!("s3://{bucket}"),
        root => format!("s3://{bucket}/{root}"),
    };
    let settings = Settings {
        bucket: bucket.clone(),
        root,
        signer,
        region,
        endpoint: endpoint.clone(),
        path_style: at.path_style,
        levels: at.levels,
    };
    if bucket.is_empty() {
        let mut conn = super::buckets::connection(settings);
        conn.key_source = source;
        return Ok(conn);
    }
    let dialect = S3::new(settings);
    let base = match endpoint {
        Some(endpoint) => endpoint,
        None => dialect
            .request_url("", &[])
            .unwrap_or_else(|_| at.url.clone()),
    };
    let mut conn = Connection::new(Arc::new(dialect), base, None);
    conn.key_source = source;
    conn.label = label;
    Ok(conn)
}

/// Where a profile's AWS credentials come from, for `filescope profiles`: S3 signs with
/// them, never with an API key. Read from the environment and the AWS files, asking no one.
fn key_source(aws_profile: Option<&str>) -> String {
    let asked = credentials::Asked {
        aws_profile: aws_profile.map(str::to_string),
        ..credentials::Asked::default()
    };
    match credentials::resolve_here(&asked) {
        Ok(found) => found.describe(),
        Err(e) => e,
    }
}
