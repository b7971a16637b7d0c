//! Azure Storage's own signatures, written from the specification ("Authorize with Shared
//! Key", "Create a service SAS"): a Shared Key `Authorization` header over the canonicalized
//! headers and resource, and a read-only service SAS for links to share. Both are an
//! HMAC-SHA256 with the account key (RustCrypto's `hmac` and `sha2`).

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, percent_decode_str, utf8_percent_encode};
use reqwest::Url;

use crate::api::client::Secret;

/// The service version requests ask for (`x-ms-version`).
pub const VERSION: &str = "2026-02-06";
/// The service version of the SAS made for links (`sv`): its string to sign is the one every
/// version since 2020-12-06 uses.
pub const SAS_VERSION: &str = "2022-11-02";
/// The longest a link made here lives (what `y w` asks for).
pub const MAX_SAS: Duration = Duration::from_secs(7 * 24 * 3600);

/// Query values are encoded but for RFC 3986's unreserved characters.
pub const QUERY: &AsciiSet = crate::api::url::UNRESERVED;

/// The account key's bytes; an error never shows the key.
fn key_bytes(key: &Secret) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(key.expose().trim())
        .map_err(|_| "the account key is not base64, as Azure's keys are".to_string())
}

fn hmac_base64(key: &Secret, text: &str) -> Result<String, String> {
    let bytes = key_bytes(key)?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&bytes)
        .map_err(|_| "the account key cannot key an HMAC".to_string())?;
    mac.update(text.as_bytes());
    Ok(base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

/// The date as `x-ms-date` carries it.
pub fn http_date(now: SystemTime) -> String {
    httpdate::fmt_http_date(now)
}

/// The value of `name` among `headers` (case-insensitively), or empty.
fn header<'h>(headers: &[(&str, &'h str)], name: &str) -> &'h str {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map_or("", |(_, v)| v)
}

/// The string a Shared Key signature signs, for a request with `headers` (those the request
/// carries, `x-ms-date` and `x-ms-version` among them).
pub fn string_to_sign(account: &str, method: &str, url: &Url, headers: &[(&str, &str)]) -> String {
    let mut text = String::new();
    text.push_str(method);
    text.push('\n');
    for name in [
        "content-encoding",
        "content-language",
        "content-length",
        "content-md5",
        "content-type",
        "date",
        "if-modified-since",
        "if-match",
        "if-none-match",
        "if-unmodified-since",
        "range",
    ] {
        let value = header(headers, name);
        // Since 2015-02-21 a zero length is signed as an empty one.
        if !(name == "content-length" && value == "0") {
            text.push_str(value);
        }
        text.push('\n');
    }
    let mut ms: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| n.to_ascii_lowercase().starts_with("x-ms-"))
        .map(|(n, v)| {
            let value = v.split_whitespace().collect::<Vec<_>>().join(" ");
            (n.to_ascii_lowercase(), value)
        })
        .collect();
    ms.sort();
    ms.dedup_by(|a, b| a.0 == b.0);
    for (name, value) in ms {
        text.push_str(&format!("{name}:{value}\n"));
    }
    text.push('/');
    text.push_str(account);
    text.push_str(url.path());
    let mut query: Vec<(String, String)> = url
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            (decode(k).to_ascii_lowercase(), decode(v))
        })
        .collect();
    query.sort();
    let mut names: Vec<&str> = query.iter().map(|(k, _)| k.as_str()).collect();
    names.dedup();
    for name in names {
        let values: Vec<&str> = query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect();
        text.push_str(&format!("\n{name}:{}", values.join(",")));
    }
    text
}

/// The `Authorization` header of a Shared Key request.
pub fn shared_key(
    account: &str,
    key: &Secret,
    method: &str,
    url: &Url,
    headers: &[(&str, &str)],
) -> Result<String, String> {
    let signature = hmac_base64(key, &string_to_sign(account, method, url, headers))?;
    Ok(format!("SharedKey {account}:{signature}"))
}

fn sas_time(at: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(at)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A read-only service SAS, valid from a few minutes ago (for clocks behind ours) until
/// `expires` from `now` (at most [`MAX_SAS`]): for one blob (`sr=b`, `sp=r`), or with no blob
/// for the container's listing and blobs (`sr=c`, `sp=rl`). The query string to put after
/// the URL.
pub fn read_sas(
    account: &str,
    key: &Secret,
    container: &str,
    blob: Option<&str>,
    expires: Duration,
    now: SystemTime,
) -> Result<String, String> {
    let start = sas_time(now - Duration::from_secs(300));
    let expiry = sas_time(now + expires.min(MAX_SAS));
    let (resource, kind, permissions) = match blob {
        Some(blob) => (format!("/blob/{account}/{container}/{blob}"), "b", "r"),
        None => (format!("/blob/{account}/{container}"), "c", "rl"),
    };
    // permissions, start, expiry, resource, identifier, IP, protocol, version, resource
    // type, snapshot time, encryption scope, and the five response headers.
    let fields = [
        permissions,
        &start,
        &expiry,
        &resource,
        "",
        "",
        "",
        SAS_VERSION,
        kind,
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ];
    let signature = hmac_base64(key, &fields.join("\n"))?;
    let enc = |s: &str| utf8_percent_encode(s, QUERY).to_string();
    Ok(format!(
        "sv={SAS_VERSION}&st={}&se={}&sr={kind}&sp={permissions}&sig={}",
        enc(&start),
        enc(&expiry),
        enc(&signature)
    ))
}

/// The signature of a SAS query string (`sig`), decoded: a secret to keep out of messages.
pub fn sas_signature(query: &str) -> Option<String> {
    query
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("sig="))
        .map(|sig| percent_decode_str(sig).decode_utf8_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Azurite's published development key.
    const DEV_KEY: &str =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    #[test]
    fn the_string_to_sign_follows_the_specification() {
        let url = Url::parse(
            "http://127.0.0.1:10000/devstoreaccount1/data?restype=container&comp=list&prefix=a%20b&include=metadata&include=tags",
        )
        .unwrap();
        let text = string_to_sign(
            "devstoreaccount1",
            "GET",
            &url,
            &[
                ("x-ms-version", VERSION),
                ("x-ms-date", "Tue, 08 Dec 2026 02:40:28 GMT"),
                ("Range", "bytes=0-9"),
                ("content-length", "0"),
            ],
        );
        assert_eq!(
            text,
            "GET\n\n\n\n\n\n\n\n\n\n\nbytes=0-9\nx-ms-date:Tue, 08 Dec 2026 02:40:28 GMT\nx-ms-version:2026-02-06\n/devstoreaccount1/devstoreaccount1/data\ncomp:list\ninclude:metadata,tags\nprefix:a b\nrestype:container"
        );
        let auth = shared_key("devstoreaccount1", &Secret::new(DEV_KEY), "GET", &url, &[]).unwrap();
        assert!(auth.starts_with("SharedKey devstoreaccount1:"), "{auth}");
        assert!(!auth.contains(DEV_KEY));
        let bad = shared_key("a", &Secret::new("not base64!"), "GET", &url, &[]).unwrap_err();
        assert!(!bad.contains("not base64!"), "{bad}");
    }

    #[test]
    fn a_blob_sas_is_read_only_and_capped_at_seven_days() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let sas = read_sas(
            "devstoreaccount1",
            &Secret::new(DEV_KEY),
            "data",
            Some("a b.txt"),
            Duration::from_secs(30 * 24 * 3600),
            now,
        )
        .unwrap();
        assert!(sas.starts_with("sv=2022-11-02&st=2027-01-15T07%3A55%3A00Z&se=2027-01-22T08%3A00%3A00Z&sr=b&sp=r&sig="), "{sas}");
        assert!(sas_signature(&sas).is_some_and(|s| s.len() == 44));
    }
}
