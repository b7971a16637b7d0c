//! How Azure Blob Storage is reached: requests placed under the account's blob endpoint and
//! authorized by Shared Key, a SAS on the URL, or an Entra ID bearer token (refreshed before
//! it expires); read-only service SASes to share; the secrets kept out of messages; curl's
//! words; the tail search where the store takes `startFrom`.

use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use reqwest::Url;

use super::credentials::Credential;
use super::{Azure, sign};
use crate::api::client::{Client, Connection};
use crate::api::dialect::{Dialect, Param};
use crate::api::error::ApiError;
use crate::api::family::{Reach, Tail};
use crate::api::query::ListQuery;
use crate::api::record::FileRecord;
use crate::text::shell::{Part, text};

impl Azure {
    /// A SAS query string that lets anyone read the blob at `url` (or list and read the
    /// container it names) for `expires`, made with the account key; why not where there is
    /// none.
    fn sas_for(&self, url: &Url, expires: Duration) -> Result<String, String> {
        let Credential::SharedKey { key, .. } = &self.credential else {
            return Err(match &self.credential {
                Credential::Sas { .. } => "the store is reached with a SAS, not the account key: a new SAS needs the key (AZURE_STORAGE_KEY or a connection string with AccountKey)".to_string(),
                Credential::Entra(_) => "the store is reached with an Entra ID token: a user delegation SAS is not made yet; a link needs the account key (AZURE_STORAGE_KEY)".to_string(),
                _ => "no account key to sign a SAS with".to_string(),
            });
        };
        let (container, blob) = self
            .place_of_url(url)
            .ok_or_else(|| "the URL names no container".to_string())?;
        sign::read_sas(
            &self.account,
            key,
            &container,
            blob.as_deref(),
            expires,
            SystemTime::now(),
        )
    }
}

impl Reach for Azure {
    fn url(&self, _conn: &Connection, path: &str, query: &[Param]) -> Result<Url, String> {
        self.request_url(path, query)
    }

    /// The SAS goes on every URL of the store's that does not carry one.
    fn add_query_key(&self, _conn: &Connection, url: &mut Url) {
        let Credential::Sas { token, .. } = &self.credential else {
            return;
        };
        if url.query_pairs().any(|(k, _)| k == "sig") {
            return;
        }
        let joined = match url.query() {
            Some(q) if !q.is_empty() => format!("{q}&{}", token.expose()),
            _ => token.expose().to_string(),
        };
        url.set_query(Some(&joined));
    }

    fn is_own(&self, _conn: &Connection, url: &Url) -> bool {
        url.origin() == self.endpoint.origin()
    }

    fn sign(
        &self,
        method: &reqwest::Method,
        url: &Url,
        headers: &[(&str, &str)],
    ) -> Result<Vec<(String, String)>, String> {
        let mut out = vec![("x-ms-version".to_string(), sign::VERSION.to_string())];
        match &self.credential {
            Credential::SharedKey { key, .. } => {
                let date = sign::http_date(SystemTime::now());
                let mut all: Vec<(&str, &str)> = headers.to_vec();
                all.push(("x-ms-date", &date));
                all.push(("x-ms-version", sign::VERSION));
                let auth = sign::shared_key(&self.account, key, method.as_str(), url, &all)?;
                out.push(("x-ms-date".to_string(), date.clone()));
                out.push(("authorization".to_string(), auth));
            }
            Credential::Entra(tokens) => {
                if let Some(token) = tokens.token() {
                    out.push((
                        "authorization".to_string(),
                        format!("Bearer {}", token.value.expose()),
                    ));
                }
            }
            Credential::Sas { .. } | Credential::Anonymous(_) => {}
        }
        Ok(out)
    }

    fn share_link(&self, record: &FileRecord, expires: Duration) -> Option<Result<Url, String>> {
        if self.is_folder(record) {
            return None;
        }
        let spec = self.detail_request(&record.id)?;
        Some((|| {
            let mut url = self.request_url(&spec.path, &[])?;
            if let Credential::Anonymous(_) = &self.credential {
                // A public container's blobs need nothing.
                return Ok(url);
            }
            let sas = self.sas_for(&url, expires)?;
            url.set_query(Some(&sas));
            Ok(url)
        })())
    }

    fn secrets(&self) -> Vec<String> {
        self.credential.secrets()
    }

    fn ready(&self) -> Option<BoxFuture<'_, Result<(), String>>> {
        match &self.credential {
            Credential::Entra(tokens) => Some(Box::pin(tokens.ready())),
            _ => None,
        }
    }

    fn credential_source(&self) -> Option<String> {
        let mut source = self.credential.source();
        if !self.start_from && self.container.is_some() {
            source.push_str("; G walks the listing (this endpoint takes no startFrom)");
        }
        Some(source)
    }

    fn credential_hint(&self, _conn: &Connection, status: u16) -> String {
        let source = self.credential.source();
        match (&self.credential, status) {
            (Credential::Anonymous(_), _) => format!(
                "the request went anonymous ({source}); set AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN, or sign in with `az login`"
            ),
            (_, 403) => format!(
                "the credential from {source} was refused or lacks permission for account {}",
                self.account
            ),
            _ => format!("the credential from {source} was rejected"),
        }
    }

    fn curl_target(
        &self,
        _conn: &Connection,
        url: &Url,
        _key_var: &'static str,
    ) -> Vec<Vec<Part<'static>>> {
        let sep = if url.query().is_some_and(|q| !q.is_empty()) {
            "&"
        } else {
            "?"
        };
        match &self.credential {
            Credential::SharedKey { .. } => match self.sas_for(url, Duration::from_secs(3600)) {
                // curl cannot sign Shared Key: a read-only SAS for an hour does instead.
                Ok(sas) => vec![vec![text(format!("{url}{sep}{sas}"))]],
                Err(_) => vec![vec![text(url.to_string())]],
            },
            Credential::Sas { var: Some(var), .. } => {
                vec![vec![text(format!("{url}{sep}")), Part::Var(var)]]
            }
            Credential::Sas { token, .. } => {
                vec![vec![text(format!("{url}{sep}{}", token.expose()))]]
            }
            Credential::Entra(_) => vec![
                vec![text(url.to_string())],
                vec![text("-H")],
                vec![
                    text("Authorization: Bearer "),
                    Part::Var("AZURE_ACCESS_TOKEN"),
                ],
                vec![text("-H")],
                vec![text(format!("x-ms-version: {}", sign::VERSION))],
            ],
            Credential::Anonymous(_) => vec![vec![text(url.to_string())]],
        }
    }

    fn resumes_with_if_match(&self) -> bool {
        true
    }

    /// Within a container opened by its own URL, on a store that takes `startFrom`.
    fn finds_tail(&self) -> bool {
        self.start_from && self.container.is_some()
    }

    fn find_tail<'a>(
        &'a self,
        client: &'a Client,
        query: &'a ListQuery,
        want: usize,
        from: Option<&'a str>,
    ) -> Option<BoxFuture<'a, Result<Tail, ApiError>>> {
        self.finds_tail()
            .then(|| Box::pin(crate::api::s3::find_tail(client, query, want, from)) as _)
    }
}
