//! How GCS is reached: requests under the API root carrying a bearer token (refreshed
//! before it expires), V4 signed URLs from a service account's key, the tokens and keys
//! kept out of messages, curl with gcloud's token, and the tail search by `startOffset`.

use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use percent_encoding::{AsciiSet, utf8_percent_encode};
use reqwest::Url;
use sha2::{Digest, Sha256};

use super::Gcs;
use crate::api::client::{Client, Connection};
use crate::api::dialect::{Dialect, Param};
use crate::api::error::ApiError;
use crate::api::family::{Reach, Tail};
use crate::api::query::ListQuery;
use crate::api::record::FileRecord;
use crate::text::shell::{Part, text};

/// What a V4 signature encodes in a query: everything but RFC 3986's unreserved characters.
const QUERY: &AsciiSet = super::ENCODE;
/// In the XML API's path, an object name keeps its `/`.
const PATH: &AsciiSet = &super::ENCODE.remove(b'/');
/// The longest a V4 signed URL may live: seven days.
const MAX_EXPIRY: Duration = Duration::from_secs(7 * 24 * 3600);

impl Gcs {
    /// A V4 signed URL (`GOOG4-RSA-SHA256`) of the XML API's GET of `name`, valid for
    /// `expires` (at most seven days) from `now`.
    pub fn signed_url(
        &self,
        name: &str,
        expires: Duration,
        now: SystemTime,
    ) -> Result<Url, String> {
        let Some(account) = self.tokens.service_account() else {
            return Err(format!(
                "a signed link needs a service account's key (GOOGLE_APPLICATION_CREDENTIALS); the token here comes from {}, which cannot sign",
                self.tokens.source()
            ));
        };
        let path = format!(
            "{}/{}/{}",
            self.endpoint.path().trim_end_matches('/'),
            utf8_percent_encode(&self.bucket, QUERY),
            utf8_percent_encode(name, PATH)
        );
        if name.contains('\u{fffd}') || crate::api::url::dot_segment(&path).is_some() {
            return Err(format!(
                "the name {} cannot be put in a signed link exactly",
                crate::text::sanitize(&name.chars().take(200).collect::<String>())
            ));
        }
        let at = chrono::DateTime::<chrono::Utc>::from(now);
        let datetime = at.format("%Y%m%dT%H%M%SZ").to_string();
        let scope = format!("{}/auto/storage/goog4_request", at.format("%Y%m%d"));
        let host = match self.endpoint.port() {
            Some(port) => format!("{}:{port}", self.endpoint.host_str().unwrap_or("")),
            None => self.endpoint.host_str().unwrap_or("").to_string(),
        };
        let expires = expires.min(MAX_EXPIRY).as_secs().max(1);
        let mut query = [
            ("X-Goog-Algorithm", "GOOG4-RSA-SHA256".to_string()),
            ("X-Goog-Credential", format!("{}/{scope}", account.email)),
            ("X-Goog-Date", datetime.clone()),
            ("X-Goog-Expires", expires.to_string()),
            ("X-Goog-SignedHeaders", "host".to_string()),
        ]
        .map(|(k, v)| format!("{k}={}", utf8_percent_encode(&v, QUERY)));
        query.sort();
        let canonical_query = query.join("&");
        let canonical =
            format!("GET\n{path}\n{canonical_query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD");
        let string_to_sign = format!(
            "GOOG4-RSA-SHA256\n{datetime}\n{scope}\n{}",
            crate::api::content::hex(&Sha256::digest(canonical.as_bytes()))
        );
        let signature = crate::api::content::hex(&account.sign(string_to_sign.as_bytes())?);
        let mut url = self.endpoint.clone();
        url.set_path(&path);
        url.set_query(Some(&format!(
            "{canonical_query}&X-Goog-Signature={signature}"
        )));
        Ok(url)
    }
}

impl Reach for Gcs {
    fn url(&self, _conn: &Connection, path: &str, query: &[Param]) -> Result<Url, String> {
        self.request_url(path, query)
    }

    fn sign(
        &self,
        _method: &reqwest::Method,
        _url: &Url,
        _headers: &[(&str, &str)],
    ) -> Result<Vec<(String, String)>, String> {
        Ok(self
            .tokens
            .bearer()
            .map(|token| vec![("authorization".to_string(), format!("Bearer {token}"))])
            .unwrap_or_default())
    }

    fn share_link(&self, record: &FileRecord, expires: Duration) -> Option<Result<Url, String>> {
        (!self.is_folder(record)).then(|| self.signed_url(&record.id, expires, SystemTime::now()))
    }

    fn secrets(&self) -> Vec<String> {
        self.tokens.secrets()
    }

    fn ready(&self) -> Option<BoxFuture<'_, Result<(), String>>> {
        Some(Box::pin(self.tokens.ready()))
    }

    fn credential_source(&self) -> Option<String> {
        Some(self.tokens.source())
    }

    fn credential_hint(&self, _conn: &Connection, status: u16) -> String {
        if self.tokens.anonymous() {
            return format!(
                "the request went without a token: {}; set GOOGLE_APPLICATION_CREDENTIALS to a service-account key, run `gcloud auth application-default login`, or run on Google Cloud (the metadata server)",
                self.tokens.source()
            );
        }
        match status {
            403 => format!(
                "the token from {} lacks permission for bucket {} (storage.objects.list, storage.objects.get)",
                self.tokens.source(),
                self.bucket
            ),
            _ => format!("the token from {} was refused", self.tokens.source()),
        }
    }

    fn curl_target(
        &self,
        _conn: &Connection,
        url: &Url,
        _key_var: &'static str,
    ) -> Vec<Vec<Part<'static>>> {
        let mut args = vec![vec![text(url.to_string())]];
        if !self.tokens.anonymous() {
            args.push(vec![text("-H")]);
            args.push(vec![
                text("Authorization: Bearer "),
                Part::Command("gcloud auth print-access-token"),
            ]);
        }
        args
    }

    fn finds_tail(&self) -> bool {
        true
    }

    /// The search S3's `G` makes (`crate::api::s3::find_tail`), by `startOffset`: it asks
    /// the dialect to list after a key, which this one does.
    fn find_tail<'a>(
        &'a self,
        client: &'a Client,
        query: &'a ListQuery,
        want: usize,
        from: Option<&'a str>,
    ) -> Option<BoxFuture<'a, Result<Tail, ApiError>>> {
        Some(Box::pin(crate::api::s3::find_tail(
            client, query, want, from,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::gcs::credentials::{Source, Tokens};
    use std::sync::Arc;

    #[test]
    fn without_a_key_a_link_says_why_and_curl_asks_gcloud_for_the_token() {
        let gcs = Gcs::new(super::super::Settings {
            bucket: "demo".into(),
            root: String::new(),
            endpoint: Url::parse("https://storage.googleapis.com").unwrap(),
            tokens: Arc::new(Tokens::new(Source::Given(crate::api::Secret::new("tok")))),
            levels: true,
        });
        let error = gcs
            .signed_url("a.txt", Duration::from_secs(900), SystemTime::now())
            .unwrap_err();
        assert!(error.contains("service account's key"), "{error}");
        let url = Url::parse("https://storage.googleapis.com/storage/v1/b/demo/o/a.txt?alt=media")
            .unwrap();
        let words = gcs.curl_target(
            &crate::api::client::Connection::new(
                std::sync::Arc::new(Gcs::new(super::super::Settings {
                    bucket: "demo".into(),
                    root: String::new(),
                    endpoint: url.clone(),
                    tokens: Arc::new(Tokens::new(Source::Anonymous("none".into()))),
                    levels: true,
                })),
                url.clone(),
                None,
            ),
            &url,
            "FILESCOPE_API_KEY",
        );
        let line = crate::text::shell::command(&words).unwrap();
        assert_eq!(
            line,
            "'https://storage.googleapis.com/storage/v1/b/demo/o/a.txt?alt=media' -H 'Authorization: Bearer '\"$(gcloud auth print-access-token)\""
        );
    }
}
