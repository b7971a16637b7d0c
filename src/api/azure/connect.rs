//! Azure Blob Storage's line in [`crate::api::family::FAMILIES`] and the connection to an
//! account or a container from a location: `az://ACCOUNT[/CONTAINER/PREFIX/]`, or a pasted
//! blob URL (`https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX?sv=…&sig=…`, or
//! Azurite's `http://127.0.0.1:10000/ACCOUNT/CONTAINER/…`) whose SAS is used as is. The
//! endpoint is `--endpoint`, else the connection string's `BlobEndpoint`, else the pasted
//! URL's, else `https://ACCOUNT.blob.core.windows.net`.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;

use super::Azure;
use super::credentials::{self, ConnectionString, Credential, Env, Tokens};
use crate::api::client::{Connection, Secret};
use crate::api::family::{Credentials, Family, Location, Store};

/// Azure Blob Storage's line in the family registry.
pub const FAMILY: Family = Family {
    name: "azure",
    scheme: "az",
    url_form: "az://ACCOUNT[/CONTAINER/PREFIX/]",
    connect,
    key_source,
};

/// One account's listing and reach are the same `Azure`.
impl From<Arc<Azure>> for Store {
    fn from(azure: Arc<Azure>) -> Self {
        Store {
            dialect: azure.clone(),
            reach: azure,
        }
    }
}

/// The host suffixes of Azure's own blob endpoints (public and sovereign clouds), which
/// take List Blobs' `startFrom`.
const CLOUDS: &[&str] = &[
    ".blob.core.windows.net",
    ".blob.core.usgovcloudapi.net",
    ".blob.core.chinacloudapi.cn",
];

/// Whether an endpoint's host names the account in its path (an emulator on an address or
/// `localhost`), as Azure's SDKs judge it.
fn path_style(url: &Url) -> bool {
    match url.host_str() {
        Some(host) => {
            host.eq_ignore_ascii_case("localhost")
                || host.trim_matches(['[', ']']).parse::<IpAddr>().is_ok()
        }
        None => false,
    }
}

/// Whether an http(s) URL is an Azure blob URL to open as the azure family: a host of
/// Azure's own, or a SAS in the query (`sv=` and `sig=`).
pub fn is_azure_url(url: &Url) -> bool {
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    let own = CLOUDS.iter().any(|suffix| host.ends_with(suffix));
    let names: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
    own || (names.iter().any(|k| k == "sv") && names.iter().any(|k| k == "sig"))
}

/// What a location's URL says.
#[derive(Default, PartialEq, Eq)]
struct Place {
    account: String,
    container: Option<String>,
    prefix: String,
    /// The blob endpoint a pasted URL names.
    endpoint: Option<Url>,
    /// The SAS a pasted URL carries.
    sas: Option<String>,
}

/// Every part but the SAS, which is said to be there and no more.
impl std::fmt::Debug for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Place")
            .field("account", &self.account)
            .field("container", &self.container)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("sas", &self.sas.as_ref().map(|_| "***"))
            .finish()
    }
}

fn decoded(text: &str) -> Result<String, String> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|t| t.into_owned())
        .map_err(|_| "the path in the URL is not UTF-8".to_string())
}

/// Splits `CONTAINER/PREFIX` (the prefix as written: `logs/` names a folder).
fn container_and_prefix(path: &str) -> Result<(Option<String>, String), String> {
    let path = decoded(path.trim_start_matches('/'))?;
    match path.split_once('/') {
        Some((container, prefix)) if !container.is_empty() => {
            Ok((Some(container.to_string()), prefix.to_string()))
        }
        None if !path.is_empty() => Ok((Some(path), String::new())),
        _ => Ok((None, String::new())),
    }
}

fn place(url: &Url) -> Result<Place, String> {
    match url.scheme() {
        "az" => {
            let account = url.host_str().unwrap_or("").to_string();
            if account.is_empty() {
                return Err(format!(
                    "the URL {url} names no account; the form is {}",
                    FAMILY.url_form
                ));
            }
            let (container, prefix) = container_and_prefix(url.path())?;
            Ok(Place {
                account,
                container,
                prefix,
                ..Place::default()
            })
        }
        "http" | "https" => {
            // The SAS is the query less the operation's own parameters: a pasted listing URL
            // (`?restype=container&comp=list&sv=…&sig=…`) would otherwise send them with
            // every request, a blob's GET and HEAD too.
            const OPERATION: [&str; 10] = [
                "restype",
                "comp",
                "prefix",
                "delimiter",
                "marker",
                "maxresults",
                "include",
                "startfrom",
                "timeout",
                "showonly",
            ];
            let sas = url
                .query()
                .filter(|q| q.split('&').any(|p| p.starts_with("sig=")))
                .map(|q| {
                    q.split('&')
                        .filter(|pair| {
                            let name = pair.split('=').next().unwrap_or("");
                            !OPERATION.contains(&name.to_ascii_lowercase().as_str())
                        })
                        .collect::<Vec<_>>()
                        .join("&")
                });
            let mut endpoint = url.clone();
            endpoint.set_query(None);
            endpoint.set_fragment(None);
            let (account, rest) = if path_style(url) {
                let path = url.path().trim_start_matches('/');
                let (account, rest) = path.split_once('/').unwrap_or((path, ""));
                endpoint.set_path(&format!("/{account}"));
                (decoded(account)?, rest.to_string())
            } else {
                let host = url.host_str().unwrap_or("");
                let account = host.split('.').next().unwrap_or("").to_string();
                endpoint.set_path("/");
                (account, url.path().to_string())
            };
            if account.is_empty() {
                return Err(format!(
                    "the URL {} names no account",
                    crate::api::error::display_url(url)
                ));
            }
            let (container, prefix) = container_and_prefix(&rest)?;
            Ok(Place {
                account,
                container,
                prefix,
                endpoint: Some(endpoint),
                sas,
            })
        }
        other => Err(format!(
            "the azure dialect takes an {} URL or an https:// blob URL, not {other}://",
            FAMILY.url_form
        )),
    }
}

/// An endpoint as given: an http(s) URL; one on an address or `localhost` without a path
/// gets the account as its path, as Azurite wants it.
fn endpoint_of(text: &str, account: &str, what: &str) -> Result<Url, String> {
    let mut url = crate::api::url::parse_url(text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| format!("the {what} {text:?} is not an http:// or https:// URL"))?;
    if path_style(&url) && matches!(url.path(), "" | "/") {
        url.set_path(&format!("/{account}"));
    }
    Ok(url)
}

/// The credential and endpoint the environment gives for `account`, in order: the pasted
/// URL's SAS, the connection string, the account key, a SAS token, then Entra ID.
fn resolve(
    at: &Place,
    env: &Env,
    command_timeout: Duration,
) -> Result<(Credential, Option<Url>), String> {
    if let Some(sas) = &at.sas {
        return Ok((
            Credential::Sas {
                token: Secret::new(sas.clone()),
                source: "the SAS in the URL".to_string(),
                var: None,
            },
            None,
        ));
    }
    if let Some(text) = env("AZURE_STORAGE_CONNECTION_STRING") {
        let cs = ConnectionString::parse(&text)?;
        if let Some(named) = &cs.account
            && named != &at.account
        {
            return Err(format!(
                "AZURE_STORAGE_CONNECTION_STRING is for account {}, the URL names {}",
                crate::text::sanitize(named),
                crate::text::sanitize(&at.account)
            ));
        }
        let endpoint = match &cs.blob_endpoint {
            Some(e) => Some(endpoint_of(
                e,
                &at.account,
                "connection string's BlobEndpoint",
            )?),
            None => None,
        };
        let source = "AZURE_STORAGE_CONNECTION_STRING".to_string();
        let credential = match (cs.key, cs.sas) {
            (Some(key), _) => Credential::SharedKey {
                key: Secret::new(key),
                source,
            },
            (None, Some(sas)) => Credential::Sas {
                token: Secret::new(sas),
                source,
                var: None,
            },
            (None, None) => Credential::Anonymous(
                "AZURE_STORAGE_CONNECTION_STRING has no AccountKey or SharedAccessSignature: anonymous requests".to_string(),
            ),
        };
        return Ok((credential, endpoint));
    }
    if let Some(key) = env("AZURE_STORAGE_KEY") {
        let named = env("AZURE_STORAGE_ACCOUNT");
        if named.as_deref().is_none_or(|n| n == at.account) {
            return Ok((
                Credential::SharedKey {
                    key: Secret::new(key),
                    source: "AZURE_STORAGE_KEY".to_string(),
                },
                None,
            ));
        }
    }
    if let Some(sas) = env("AZURE_STORAGE_SAS_TOKEN") {
        return Ok((
            Credential::Sas {
                token: Secret::new(sas.trim_start_matches('?').to_string()),
                source: "AZURE_STORAGE_SAS_TOKEN".to_string(),
                var: Some("AZURE_STORAGE_SAS_TOKEN"),
            },
            None,
        ));
    }
    Ok((
        Credential::Entra(Tokens::new(credentials::token_sources(
            env,
            command_timeout,
        ))),
        None,
    ))
}

/// A connection to an account or a container, the environment read now.
fn connect(at: &Location) -> Result<Connection, String> {
    connect_with(at, &credentials::process_env)
}

fn connect_with(at: &Location, env: &Env) -> Result<Connection, String> {
    let place = place(&at.url)?;
    let (credential, from_env) = match &at.credentials {
        Credentials::Found {
            command_timeout, ..
        } => resolve(&place, env, *command_timeout)?,
        Credentials::Unsigned => (
            Credential::Anonymous("--no-sign-request: anonymous requests".to_string()),
            None,
        ),
        Credentials::Given { secret, source, .. } => (
            Credential::SharedKey {
                key: secret.clone(),
                source: source.clone(),
            },
            None,
        ),
    };
    let endpoint = match &at.endpoint {
        Some(text) => endpoint_of(text, &place.account, "endpoint")?,
        None => match from_env.or_else(|| place.endpoint.clone()) {
            Some(endpoint) => endpoint,
            None => Url::parse(&format!("https://{}.blob.core.windows.net", place.account))
                .map_err(|_| {
                    format!(
                        "the account {:?} cannot be a host name",
                        crate::text::sanitize(&place.account)
                    )
                })?,
        },
    };
    let host = endpoint.host_str().unwrap_or("").to_ascii_lowercase();
    let start_from = CLOUDS.iter().any(|suffix| host.ends_with(suffix));
    let root = match &place.container {
        Some(container) => format!("{container}/{}", place.prefix),
        None => String::new(),
    };
    let label = format!("az://{}/{root}", place.account);
    let azure = Azure {
        account: place.account,
        container: place.container,
        root,
        endpoint: endpoint.clone(),
        credential,
        levels: at.levels,
        start_from,
    };
    let source = azure.credential.source();
    let mut conn = Connection::new(Arc::new(azure), endpoint, None);
    conn.key_source = source;
    conn.label = label;
    Ok(conn)
}

/// Where a profile's Azure credentials come from, for `filescope profiles`: read from the
/// environment, asking no one.
fn key_source(_profile: Option<&str>) -> String {
    let env = credentials::process_env;
    if env("AZURE_STORAGE_CONNECTION_STRING").is_some() {
        "AZURE_STORAGE_CONNECTION_STRING".to_string()
    } else if env("AZURE_STORAGE_KEY").is_some() {
        "AZURE_STORAGE_KEY".to_string()
    } else if env("AZURE_STORAGE_SAS_TOKEN").is_some() {
        "AZURE_STORAGE_SAS_TOKEN".to_string()
    } else {
        Tokens::new(credentials::token_sources(
            &env,
            crate::api::command::DEFAULT_TIMEOUT,
        ))
        .source()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn location(url: &str, endpoint: Option<&str>) -> Location {
        Location {
            url: crate::api::url::parse_url(url).unwrap(),
            endpoint: endpoint.map(str::to_string),
            region: None,
            credentials: Credentials::Found {
                profile: None,
                command_timeout: Duration::from_secs(5),
            },
            path_style: None,
            levels: true,
        }
    }

    #[test]
    fn urls_name_the_account_container_and_prefix() {
        let p = place(&Url::parse("az://acct/logs/2025/").unwrap()).unwrap();
        assert_eq!(
            (
                p.account.as_str(),
                p.container.as_deref(),
                p.prefix.as_str()
            ),
            ("acct", Some("logs"), "2025/")
        );
        let p = place(&Url::parse("az://acct/").unwrap()).unwrap();
        assert_eq!(p.container, None);
        let p = place(
            &Url::parse("https://acct.blob.core.windows.net/c/a%20b/?sv=2022-11-02&sig=abc%3D")
                .unwrap(),
        )
        .unwrap();
        assert_eq!(p.account, "acct");
        assert_eq!(p.container.as_deref(), Some("c"));
        assert_eq!(p.prefix, "a b/");
        assert_eq!(p.sas.as_deref(), Some("sv=2022-11-02&sig=abc%3D"));
        assert_eq!(
            p.endpoint.unwrap().as_str(),
            "https://acct.blob.core.windows.net/"
        );
        let p = place(
            &Url::parse("http://127.0.0.1:10000/devstoreaccount1/data/x?sv=1&sig=2").unwrap(),
        )
        .unwrap();
        assert_eq!(p.account, "devstoreaccount1");
        assert_eq!(
            p.endpoint.unwrap().as_str(),
            "http://127.0.0.1:10000/devstoreaccount1"
        );
        // A pasted listing URL: its SAS is kept, the listing's own parameters are not.
        let p = place(
            &Url::parse(
                "https://acct.blob.core.windows.net/c?restype=container&comp=list&prefix=a%2F&sv=2022-11-02&sp=rl&sig=abc%3D",
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(p.sas.as_deref(), Some("sv=2022-11-02&sp=rl&sig=abc%3D"));
        assert!(place(&Url::parse("az:///c/").unwrap()).is_err());
        assert!(is_azure_url(
            &Url::parse("http://127.0.0.1:1/a/b?sv=1&sig=2").unwrap()
        ));
        assert!(is_azure_url(
            &Url::parse("https://a.blob.core.windows.net/c").unwrap()
        ));
        assert!(!is_azure_url(
            &Url::parse("https://files.example.com/?sig=2").unwrap()
        ));
    }

    #[test]
    fn credentials_come_in_order_and_endpoints_from_the_connection_string() {
        let env = env_of(&[
            (
                "AZURE_STORAGE_CONNECTION_STRING",
                "AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1",
            ),
            ("AZURE_STORAGE_KEY", "b3RoZXI="),
        ]);
        let conn = connect_with(&location("az://devstoreaccount1/data/", None), &env).unwrap();
        assert_eq!(conn.key_source, "AZURE_STORAGE_CONNECTION_STRING");
        assert_eq!(
            conn.base_url.as_str(),
            "http://127.0.0.1:10000/devstoreaccount1"
        );
        assert!(conn.secrets().contains(&"a2V5".to_string()));
        let other = connect_with(&location("az://someone/data/", None), &env).unwrap_err();
        assert!(other.contains("is for account devstoreaccount1"), "{other}");
        // --endpoint on an address gets the account as its path.
        let env = env_of(&[("AZURE_STORAGE_KEY", "a2V5")]);
        let conn = connect_with(
            &location("az://devstoreaccount1/data/", Some("http://127.0.0.1:9")),
            &env,
        )
        .unwrap();
        assert_eq!(
            conn.base_url.as_str(),
            "http://127.0.0.1:9/devstoreaccount1"
        );
        assert_eq!(conn.key_source, "AZURE_STORAGE_KEY");
        let env = env_of(&[("AZURE_STORAGE_SAS_TOKEN", "?sv=1&sig=c2ln")]);
        let conn = connect_with(&location("az://acct/c/", None), &env).unwrap();
        assert_eq!(
            conn.base_url.as_str(),
            "https://acct.blob.core.windows.net/"
        );
        assert!(conn.secrets().contains(&"c2ln".to_string()));
        let conn = connect_with(&location("az://acct/c/", None), &env_of(&[])).unwrap();
        assert!(
            conn.key_source.starts_with("Entra ID"),
            "{}",
            conn.key_source
        );
    }
}
