//! The family of JSON APIs over HTTP: every request under the connection's base URL (and the
//! dialect's path prefix), the key in a header or a query parameter as the dialect's
//! [`Auth`] says. Each API's listing is its dialect ([`crate::api::dialect`]).

use reqwest::Url;

use super::client::Connection;
use super::dialect::{Auth, Param};
use super::family::Reach;
use crate::text::shell::{Part, text};

/// How a JSON API is reached.
#[derive(Debug, Clone, Copy, Default)]
pub struct Http;

impl Reach for Http {
    fn url(&self, conn: &Connection, path: &str, query: &[Param]) -> Result<Url, String> {
        let mut url = conn.base_url.clone();
        let prefix = conn
            .path_prefix
            .as_deref()
            .unwrap_or(conn.dialect.capabilities().path_prefix);
        let joined = format!(
            "{}{}{}",
            url.path().trim_end_matches('/'),
            prefix.trim_end_matches('/'),
            path
        );
        if super::url::dot_segment(&joined).is_some() {
            return Err(super::url::dot_segment_refusal(&joined));
        }
        url.set_path(&joined);
        url.set_query(None);
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (k.as_ref(), v.as_str())));
        }
        Ok(url)
    }

    fn add_query_key(&self, conn: &Connection, url: &mut Url) {
        if let (Auth::Query(param), Some(key)) = (conn.dialect.auth(), &conn.api_key)
            && !url.query_pairs().any(|(k, _)| k == *param)
        {
            url.query_pairs_mut().append_pair(param, key.expose());
        }
    }

    fn key_header<'c>(&self, conn: &'c Connection) -> Option<(&'c str, String)> {
        let key = conn.api_key.as_ref()?;
        conn.dialect.auth().header(key.expose())
    }

    fn credential_hint(&self, conn: &Connection, status: u16) -> String {
        let credential = conn.dialect.auth().describe();
        let source = &conn.key_source;
        match (&conn.api_key, status) {
            (None, _) => format!("no key was sent; set {source} to send {credential}"),
            (Some(_), 403) => format!(
                "{credential} from {source} was accepted but lacks permission; supply a key with more access in {source}"
            ),
            (Some(_), _) => {
                format!("{credential} from {source} was rejected; set {source} to a valid key")
            }
        }
    }

    fn curl_target(
        &self,
        conn: &Connection,
        url: &Url,
        key_var: &'static str,
    ) -> Vec<Vec<Part<'static>>> {
        let auth = conn.dialect.auth();
        let mut words = vec![match auth {
            // The key joins the URL outside the quotes, where the shell expands it.
            Auth::Query(param) => vec![
                text(format!(
                    "{url}{}{param}=",
                    if url.query().is_some() { "&" } else { "?" }
                )),
                Part::Var(key_var),
            ],
            _ => vec![text(url.as_str().to_string())],
        }];
        let marker = format!("${key_var}");
        if let Some((name, value)) = auth.header(&marker) {
            // The header's value around the key, the key itself a variable.
            let mut header = vec![text(format!("{name}: "))];
            let mut rest = value.as_str();
            while let Some(at) = rest.find(&marker) {
                if at > 0 {
                    header.push(text(rest[..at].to_string()));
                }
                header.push(Part::Var(key_var));
                rest = &rest[at + marker.len()..];
            }
            if !rest.is_empty() {
                header.push(text(rest.to_string()));
            }
            words.push(vec![text("-H")]);
            words.push(header);
        }
        words
    }
}
