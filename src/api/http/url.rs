//! What a user types to say where an API is and what to send it: a base URL, an extra header,
//! a path prefix. Shared by the command line and the configuration file.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use reqwest::Url;

/// RFC 3986's unreserved characters stay, everything else is percent-encoded: how the object
/// stores want a query value, and a key or name in a path (`/` is encoded too; a family
/// that keeps it as the separator removes it from this set).
pub const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `name=value` pairs joined by `&`, each value percent-encoded but for the unreserved
/// characters: a form body (OAuth's token endpoints) or a query string.
pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                percent_encoding::utf8_percent_encode(v, UNRESERVED)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A mutex's guard, taken over from a thread that panicked holding it (the data is a cache
/// of credentials or state that stays usable).
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `Name: value`, as curl takes it. The name must be a valid header name; the value is trimmed.
pub fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| "expected 'Name: value', e.g. 'X-Tenant: 42'".to_string())?;
    let name = name.trim();
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !valid {
        return Err(format!("{name:?} is not a valid header name"));
    }
    let value = value.trim();
    if value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
        return Err(format!("the value of {name} holds control characters"));
    }
    Ok((name.to_string(), value.to_string()))
}

/// A path prefix such as `/api`: leading slash, no trailing one, no query or fragment.
pub fn parse_prefix(text: &str) -> Result<String, String> {
    let trimmed = text.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    if !trimmed.starts_with('/') || trimmed.contains(['?', '#']) {
        return Err("expected a path such as /api".to_string());
    }
    Ok(trimmed.to_string())
}

/// An API's base URL: http or https, with a host; or a family's own (`s3://BUCKET/PREFIX`).
pub fn parse_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text)
        .map_err(|e| format!("not a URL ({e}); expected e.g. https://files.example.com"))?;
    let scheme = url.scheme();
    if !matches!(scheme, "http" | "https") && crate::api::family::for_scheme(scheme).is_none() {
        let schemes: Vec<String> = ["http", "https"]
            .into_iter()
            .chain(crate::api::family::schemes())
            .map(|s| format!("{s}://"))
            .collect();
        let (last, rest) = schemes.split_last().unwrap_or((&schemes[0], &[]));
        return Err(format!(
            "expected an {} or {last} URL, got {scheme}://",
            rest.join(", ")
        ));
    }
    // A family's URL without a host names its service (`s3://`: the buckets); the family
    // judges it.
    if url.host_str().is_none_or(str::is_empty) && matches!(scheme, "http" | "https") {
        return Err("the URL has no host".to_string());
    }
    Ok(url)
}

/// The first segment of `path` that a URL parser resolves away (`.`, `..`, or their
/// percent-encoded forms `%2e`, `.%2E` …, as the WHATWG URL standard and the `url` crate
/// read them): a path holding one would reach another resource than it names, so no request
/// is sent with it.
pub fn dot_segment(path: &str) -> Option<&str> {
    path.split('/').find(|segment| {
        let lower = segment.to_ascii_lowercase();
        let decoded = lower.replace("%2e", ".");
        matches!(decoded.as_str(), "." | "..")
    })
}

/// The one refusal for a path with a dot segment, naming the path (made safe to print).
pub fn dot_segment_refusal(path: &str) -> String {
    let shown: String = path.chars().take(200).collect();
    format!(
        "refused: the path {} has a `.` or `..` segment, which every URL resolves to another resource; a file whose id or key is `.` or `..` cannot be addressed over HTTP",
        crate::text::sanitize(&shown)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_are_found_in_every_spelling_the_url_parser_resolves() {
        for path in [
            "/a/../b",
            "/a/./b",
            "/..",
            "/.",
            "/x/%2e%2E",
            "/x/.%2e/y",
            "/x/%2E",
            "/x/%2e.",
        ] {
            assert!(dot_segment(path).is_some(), "{path}");
            // The parser agrees: the path it keeps is not the one given.
            let mut url = Url::parse("http://h/").unwrap();
            url.set_path(path);
            assert_ne!(url.path(), path, "{path}");
        }
        for path in [
            "/a..b/c",
            "/...",
            "/a/.b/",
            "/%2e%2e%2e",
            "/a//b",
            "/trail/",
        ] {
            assert_eq!(dot_segment(path), None, "{path}");
            let mut url = Url::parse("http://h/").unwrap();
            url.set_path(path);
            assert_eq!(url.path(), path, "{path}");
        }
    }
}
