//! The errors of the API layer. Each renders as one line naming what failed, where (a URL with
//! no query string, so no signature or token can leak), and the API's own code and message.

use reqwest::Url;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("cannot reach {url}: {reason}")]
    Network { url: String, reason: String },
    #[error("{url} did not answer within {secs} s")]
    Timeout { url: String, secs: u64 },
    #[error(
        "HTTP {status} from {url}: {}{}",
        code_and_message(code, message),
        hint_suffix(hint)
    )]
    Http {
        status: u16,
        url: String,
        code: Option<String>,
        message: String,
        /// What the user can do about it (which credential was refused, how to pass another).
        hint: Option<String>,
    },
    #[error("the answer from {url} could not be understood: {reason}")]
    Decode { url: String, reason: String },
    #[error(
        "{url} redirected to another origin ({to}); not followed, so the credential stays with the server it was meant for"
    )]
    CrossOriginRedirect { url: String, to: String },
    /// The server's answers contradict each other: a page repeats, a listing never ends, an
    /// empty page where more were promised.
    #[error("{0}")]
    Inconsistent(String),
    #[error("{0}")]
    Config(String),
}

/// `code: message`, or whichever of the two the server gave (S3 stores may send a code with
/// an empty message).
fn code_and_message(code: &Option<String>, message: &str) -> String {
    match (code.as_deref(), message.trim()) {
        (Some(code), "") => code.to_string(),
        (Some(code), message) => format!("{code}: {message}"),
        (None, message) => message.to_string(),
    }
}

fn hint_suffix(hint: &Option<String>) -> String {
    hint.as_ref().map(|h| format!(" — {h}")).unwrap_or_default()
}

/// How an error should be treated by callers (exit codes, retry, wording).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The credential was refused (401/403).
    Auth,
    /// The network or the server failed; trying again may help.
    Unavailable,
    /// The server answered, but with something we could not read.
    Unreadable,
    /// The request itself was wrong (other 4xx) or the configuration is.
    Usage,
}

impl ApiError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            ApiError::Network { .. } | ApiError::Timeout { .. } => ErrorKind::Unavailable,
            ApiError::Http { status, .. } => match status {
                401 | 403 => ErrorKind::Auth,
                429 | 500..=599 => ErrorKind::Unavailable,
                _ => ErrorKind::Usage,
            },
            ApiError::Decode { .. }
            | ApiError::CrossOriginRedirect { .. }
            | ApiError::Inconsistent(_) => ErrorKind::Unreadable,
            ApiError::Config(_) => ErrorKind::Usage,
        }
    }
}

impl ApiError {
    /// The same error with every secret in `secrets` (and every signed-link parameter) taken
    /// out of the text a server put in it: a server that echoes the request's headers must
    /// not get the key printed or logged. Each text is also cut to [`MAX_SERVER_TEXT`]: a
    /// server's 50 MB message must not become a 50 MB line on stderr, in the log and in the
    /// explorer's memory. Every error the client builds from an answer passes through here.
    pub fn redacted(self, secrets: &[&str]) -> ApiError {
        // Cut loosely first (so redacting costs what the kept text costs), redact, then cut
        // to the limit: a secret across the first cut is still whole when redacted.
        let r = |text: String| capped(redact(&cut(text, 2 * MAX_SERVER_TEXT), secrets));
        match self {
            ApiError::Network { url, reason } => ApiError::Network {
                url: r(url),
                reason: r(reason),
            },
            ApiError::Timeout { url, secs } => ApiError::Timeout { url: r(url), secs },
            ApiError::Http {
                status,
                url,
                code,
                message,
                hint,
            } => ApiError::Http {
                status,
                url: r(url),
                code: code.map(r),
                message: r(message),
                hint,
            },
            ApiError::Decode { url, reason } => ApiError::Decode {
                url: r(url),
                reason: r(reason),
            },
            ApiError::CrossOriginRedirect { url, to } => ApiError::CrossOriginRedirect {
                url: r(url),
                to: r(to),
            },
            ApiError::Inconsistent(text) => ApiError::Inconsistent(r(text)),
            ApiError::Config(text) => ApiError::Config(r(text)),
        }
    }
}

/// The most of one text from a server (a message, a code, a quoted body) an error keeps, in
/// bytes: enough for any real explanation, and a bound on what a hostile one costs.
pub const MAX_SERVER_TEXT: usize = 4096;

/// `text` cut to at most [`MAX_SERVER_TEXT`] bytes (at a character boundary), ending with `…`
/// when anything was cut, so a cut is never silent.
pub fn capped(text: String) -> String {
    cut(text, MAX_SERVER_TEXT)
}

fn cut(mut text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.shrink_to_fit();
    text.push('…');
    text
}

/// Query parameters that carry credentials in signed links and token-in-URL APIs.
const SECRET_PARAMS: [&str; 10] = [
    "signature",
    "sig",
    "token",
    "access_token",
    "api_key",
    "apikey",
    "key",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
];

/// `text` with every occurrence of a secret (four characters or more) replaced by `***`, and
/// the values of credential-carrying query parameters (`signature=…`, `X-Amz-Signature=…`)
/// too.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        if out.contains(secret) {
            out = out.replace(secret, "***");
        }
    }
    if !out.contains('=') {
        return out;
    }
    let mut result = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(eq) = rest.find('=') {
        let before = &rest[..eq];
        let name_start = before
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .map_or(0, |i| i + 1);
        let name = &before[name_start..];
        result.push_str(&rest[..=eq]);
        rest = &rest[eq + 1..];
        let secret = SECRET_PARAMS.iter().any(|p| name.eq_ignore_ascii_case(p));
        if secret {
            let end = rest
                .find(|c: char| c == '&' || c == '"' || c == '\'' || c.is_whitespace())
                .unwrap_or(rest.len());
            if end > 0 {
                result.push_str("***");
            }
            rest = &rest[end..];
        }
    }
    result.push_str(rest);
    result
}

/// Which built-in dialect an error body's envelope is, by its shape: FileJar `{success:
/// false, error: "code", message}`, AstraCollab `{success: false, error: {code, message}}`,
/// FileGuard `{status: "ERROR", message}`, Open WebUI (FastAPI) `{detail}`, Flextell
/// (Laravel) `{message}` with an `error` code or `errors`, and no `success`. `None` for
/// anything else. An answer in another API's envelope means the dialect is wrong, not the key.
pub fn envelope_dialect(body: &[u8]) -> Option<&'static str> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let obj = value.as_object()?;
    let error = obj.get("error");
    if obj.get("success") == Some(&serde_json::Value::Bool(false)) {
        return match error {
            Some(serde_json::Value::String(_)) => Some("filejar"),
            Some(serde_json::Value::Object(_)) => Some("astracollab"),
            _ => None,
        };
    }
    if obj.get("status").and_then(|s| s.as_str()) == Some("ERROR") {
        return Some("fileguard");
    }
    if obj.contains_key("detail") && !obj.contains_key("message") {
        return Some("openwebui");
    }
    let laravel = matches!(error, Some(serde_json::Value::String(_)) | None)
        && obj.get("message").is_some_and(|m| m.is_string())
        && !obj.contains_key("success");
    laravel.then_some("flextell")
}

/// A URL as it may appear in messages and logs: scheme, host, port and path, never the query
/// string or user info, which is where signatures and tokens live.
pub fn display_url(url: &Url) -> String {
    let mut shown = format!("{}://{}", url.scheme(), url.host_str().unwrap_or("?"));
    if let Some(port) = url.port() {
        shown.push_str(&format!(":{port}"));
    }
    shown.push_str(url.path());
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_secrets() {
        let url = Url::parse("https://user:pw@files.example.test:8443/a/b?signature=abc&expires=1")
            .unwrap();
        assert_eq!(display_url(&url), "https://files.example.test:8443/a/b");
    }

    #[test]
    fn envelopes_say_which_api_answered() {
        let cases: [(&str, Option<&str>); 7] = [
            (
                r#"{"error":"unauthorized","message":"invalid API key","success":false}"#,
                Some("filejar"),
            ),
            (
                r#"{"error":{"code":"UNAUTHORIZED","details":{},"message":"x"},"success":false}"#,
                Some("astracollab"),
            ),
            (
                r#"{"errors":["No endpoint"],"message":"Not found","status":"ERROR"}"#,
                Some("fileguard"),
            ),
            (r#"{"detail":"Not Found"}"#, Some("openwebui")),
            (
                r#"{"error":"invalid_token","message":"No access token was provided."}"#,
                Some("flextell"),
            ),
            (r#"[1, 2]"#, None),
            ("<html>nginx</html>", None),
        ];
        for (body, want) in cases {
            assert_eq!(envelope_dialect(body.as_bytes()), want, "{body}");
        }
    }

    #[test]
    fn a_huge_server_text_is_cut_to_the_limit_with_an_ellipsis() {
        let huge = "é".repeat(3 * MAX_SERVER_TEXT);
        let err = ApiError::Http {
            status: 400,
            url: "http://127.0.0.1:1/v1/files".into(),
            code: Some("c".repeat(10 * MAX_SERVER_TEXT)),
            message: huge.clone(),
            hint: None,
        }
        .redacted(&[]);
        let ApiError::Http { code, message, .. } = &err else {
            unreachable!()
        };
        for text in [code.as_deref().unwrap(), message.as_str()] {
            assert!(
                text.len() <= MAX_SERVER_TEXT + '…'.len_utf8(),
                "{}",
                text.len()
            );
            assert!(text.ends_with('…'));
        }
        assert!(err.to_string().len() < 3 * MAX_SERVER_TEXT);
        // Short texts are kept whole.
        assert_eq!(capped("short".into()), "short");
        let err = ApiError::Decode {
            url: "u".into(),
            reason: format!("invalid type: string {huge:?}"),
        }
        .redacted(&[]);
        assert!(
            err.to_string().len() < 2 * MAX_SERVER_TEXT,
            "{}",
            err.to_string().len()
        );
    }

    #[test]
    fn a_secret_across_the_cut_is_redacted_whole() {
        let secret = "sk-live-0123456789abcdef";
        let mut text = "x".repeat(MAX_SERVER_TEXT - 10);
        text.push_str(secret);
        text.push_str(&"y".repeat(2 * MAX_SERVER_TEXT));
        let err = ApiError::Inconsistent(text).redacted(&[secret]);
        let shown = err.to_string();
        assert!(
            !shown.contains("sk-live-01"),
            "{}",
            &shown[shown.len() - 40..]
        );
        assert!(shown.ends_with('…'));
    }

    #[test]
    fn http_errors_read_as_one_line() {
        let err = ApiError::Http {
            status: 401,
            url: "http://127.0.0.1:1/v1/files".into(),
            code: Some("unauthorized".into()),
            message: "Invalid API key".into(),
            hint: Some("the x-api-key header was rejected".into()),
        };
        assert_eq!(
            err.to_string(),
            "HTTP 401 from http://127.0.0.1:1/v1/files: unauthorized: Invalid API key — the x-api-key header was rejected"
        );
        assert_eq!(err.kind(), ErrorKind::Auth);
        // A code with an empty message (some S3 stores) reads as the code alone.
        let err = ApiError::Http {
            status: 403,
            url: "http://127.0.0.1:1/bucket".into(),
            code: Some("SignatureDoesNotMatch".into()),
            message: " ".into(),
            hint: None,
        };
        assert_eq!(
            err.to_string(),
            "HTTP 403 from http://127.0.0.1:1/bucket: SignatureDoesNotMatch"
        );
    }
}
