//! How S3 is reached: requests placed in its own URL style and signed with Signature V4,
//! the bucket's region adopted when an answer names another, presigned links, the AWS
//! credentials kept out of messages, curl's own `--aws-sigv4`, and the tail search.

use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::Url;
use reqwest::header::HeaderMap;

use super::{S3, aws_endpoint, header_text, is_region, xml};
use crate::api::client::{Client, Connection};
use crate::api::dialect::{Dialect, Param};
use crate::api::error::ApiError;
use crate::api::family::{Reach, Relocation, Tail};
use crate::api::query::ListQuery;
use crate::api::record::FileRecord;
use crate::text::shell::{Part, text};

/// `url` with its query's parameters in Signature V4's canonical order (by name, then
/// value). A curl that signs the query as written (7.88 does) then signs what the store
/// computes; the store reads them in any order.
fn query_sorted(url: &Url) -> Url {
    let Some(query) = url.query() else {
        return url.clone();
    };
    let mut pairs: Vec<(&str, &str)> = query
        .split('&')
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .collect();
    pairs.sort_unstable();
    let sorted: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut out = url.clone();
    out.set_query(Some(&sorted.join("&")));
    out
}

/// The SHA-256 of an empty body, in hex: what `x-amz-content-sha256` says for a GET.
const EMPTY_BODY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

impl Reach for S3 {
    fn url(&self, _conn: &Connection, path: &str, query: &[Param]) -> Result<Url, String> {
        self.request_url(path, query)
    }

    /// The bucket may be in the host name: every URL S3 places is its own.
    fn is_own(&self, _conn: &Connection, _url: &Url) -> bool {
        true
    }

    fn sign(
        &self,
        method: &reqwest::Method,
        url: &Url,
        headers: &[(&str, &str)],
    ) -> Result<Vec<(String, String)>, String> {
        self.sign_with(method.as_str(), url.as_str(), headers, None)
            .map(|(headers, _)| headers)
    }

    fn may_relocate(&self, status: u16) -> bool {
        matches!(status, 301 | 307 | 400 | 403)
    }

    fn relocate(
        &self,
        status: u16,
        headers: &HeaderMap,
        body: &[u8],
        url: &Url,
    ) -> Result<Option<Relocation>, String> {
        if !self.may_relocate(status) {
            return Ok(None);
        }
        let named = header_text(headers, "x-amz-bucket-region")
            .or_else(|| xml::error(std::str::from_utf8(body).ok()?).and_then(|e| e.region));
        let Some(named) = named else {
            return Ok(None);
        };
        let named = named.trim();
        if named.is_empty() {
            return Ok(None);
        }
        // The region is signed for, put in a host name and written into `y c`'s command:
        // only a region's shape is taken.
        if !is_region(named) {
            let shown: String = named.chars().take(40).collect();
            return Err(format!(
                "the store named the region {:?}{} for bucket {}, which is not a region name (1–32 of a–z, 0–9, -); the answer is refused",
                crate::text::sanitize(&shown),
                if shown.len() < named.len() {
                    " (cut)"
                } else {
                    ""
                },
                crate::text::sanitize(&self.bucket),
            ));
        }
        let mut place = match self.place.write() {
            Ok(place) => place,
            Err(poisoned) => poisoned.into_inner(),
        };
        if named == place.region {
            return Ok(None);
        }
        tracing::info!(from = %place.region, to = %named, "the bucket answers from another region; signing for it");
        let old_endpoint = place.endpoint.clone();
        let from = std::mem::replace(&mut place.region, named.to_string());
        if place.endpoint_from_region {
            place.endpoint = aws_endpoint(&place.region);
        }
        let new = place.clone();
        drop(place);
        // The same request, at the endpoint that serves the region.
        let mut moved = url.clone();
        if new.endpoint != old_endpoint {
            let old_host = old_endpoint.host_str().unwrap_or("");
            let new_host = new.endpoint.host_str().unwrap_or("");
            let host = url.host_str().unwrap_or("").replacen(old_host, new_host, 1);
            if moved.set_host(Some(&host)).is_err() {
                return Ok(None);
            }
        }
        Ok(Some(Relocation {
            url: moved,
            from,
            to: new.region,
        }))
    }

    fn share_link(&self, record: &FileRecord, expires: Duration) -> Option<Result<Url, String>> {
        (!self.is_folder(record)).then(|| self.presign_row(&record.id, expires))
    }

    fn secrets(&self) -> Vec<String> {
        self.signer.secrets()
    }

    fn credential_source(&self) -> Option<String> {
        Some(self.signer.source())
    }

    fn ready(&self) -> Option<BoxFuture<'_, Result<(), String>>> {
        Some(Box::pin(self.signer.ready()))
    }

    fn credential_hint(&self, _conn: &Connection, status: u16) -> String {
        match (self.signer.keys(), status) {
            (None, _) => format!(
                "the request went unsigned ({}); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or aws_profile in the filescope profile",
                self.signer.source()
            ),
            (Some(keys), 403) => format!(
                "access key {} from {} was refused or lacks permission for bucket {}",
                keys.access_key_id, keys.source, self.bucket
            ),
            (Some(keys), _) => format!(
                "access key {} from {} was rejected",
                keys.access_key_id, keys.source
            ),
        }
    }

    fn curl_target(
        &self,
        _conn: &Connection,
        url: &Url,
        _key_var: &'static str,
    ) -> Vec<Vec<Part<'static>>> {
        let mut args = vec![vec![text(query_sorted(url).to_string())]];
        let Some(keys) = self.signer.keys() else {
            return args;
        };
        args.extend([
            vec![text("--aws-sigv4")],
            vec![text(format!("aws:amz:{}:s3", self.region()))],
            vec![text("--user")],
            vec![
                Part::Var("AWS_ACCESS_KEY_ID"),
                text(":"),
                Part::Var("AWS_SECRET_ACCESS_KEY"),
            ],
            // S3 refuses a signed request without the hash of its body, which not every curl
            // sends with `--aws-sigv4` (7.88 does not); one that does signs this value (a
            // GET's body is empty).
            vec![text("-H")],
            vec![text(format!("x-amz-content-sha256: {EMPTY_BODY_SHA256}"))],
        ]);
        if keys.session_token.is_some() {
            args.push(vec![text("-H")]);
            args.push(vec![
                text("x-amz-security-token: "),
                Part::Var("AWS_SESSION_TOKEN"),
            ]);
        }
        args
    }

    fn content_headers(&self) -> Vec<(&'static str, &'static str)> {
        vec![("x-amz-checksum-mode", "ENABLED")]
    }

    fn resumes_with_if_match(&self) -> bool {
        true
    }

    fn finds_tail(&self) -> bool {
        true
    }

    fn lists_by_key(&self, query: &ListQuery) -> bool {
        // Versions are read in order (a key's versions share it).
        query.versions.is_none()
    }

    fn find_tail<'a>(
        &'a self,
        client: &'a Client,
        query: &'a ListQuery,
        want: usize,
        from: Option<&'a str>,
    ) -> Option<BoxFuture<'a, Result<Tail, ApiError>>> {
        // Versions are read in order: the search by key does not place them.
        if query.versions.is_some() {
            return None;
        }
        Some(Box::pin(super::find_tail(client, query, want, from)))
    }
}
