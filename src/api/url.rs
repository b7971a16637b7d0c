//! What a user types to say where an API is and what to send it: a base URL, an extra header,
//! a path prefix. Shared by the command line and the configuration file.

use reqwest::Url;

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

/// An API's base URL: http or https, with a host; or `s3://BUCKET/PREFIX` for S3.
pub fn parse_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text)
        .map_err(|e| format!("not a URL ({e}); expected e.g. https://files.example.com"))?;
    if !matches!(url.scheme(), "http" | "https" | "s3") {
        return Err(format!(
            "expected an http://, https:// or s3:// URL, got {}://",
            url.scheme()
        ));
    }
    if url.host_str().is_none() {
        return Err("the URL has no host".to_string());
    }
    Ok(url)
}
