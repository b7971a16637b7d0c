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
const SECRET_PARAMS: [&str; 12] = [
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
    // A GCS V4 signed URL's.
    "x-goog-signature",
    "x-goog-credential",
];

/// `text` with every occurrence of a secret (four characters or more) replaced by `***`, and
/// the values of credential-carrying query parameters (`signature=…`, `X-Amz-Signature=…`)
/// too.
///
/// A server may echo a secret transformed. Covered: any change of ASCII case (`SK-LIVE-…`),
/// percent-encoding of any byte (`%2F` or `%2f`, and `+` for a space), JSON's `\/`, base64
/// in the standard and URL-safe alphabets, with or without padding, alone or inside a longer
/// base64 text (`Basic base64(user:key)`, at any of the three alignments), and a secret split
/// into pieces: every run of at least [`SPLIT_PIECE`] characters of a secret (or of its
/// base64) is taken out wherever it is. Not covered: pieces shorter than that, a secret
/// reversed, hex- or base32-encoded, encoded twice, or a piece of one base64-encoded on its
/// own. A secret of four to seven characters is taken out only whole.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let out = redact_secrets(text, secrets);
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

/// The shortest piece of a split secret that is still recognised (and the length of the
/// pieces a long secret is looked for by).
pub const SPLIT_PIECE: usize = 8;

/// Text made comparable with a secret whatever a server did to it: ASCII lower case,
/// `%hh` decoded, `+` read as a space, `\/` as `/`. Each byte keeps where it came from in the
/// original text.
struct Folded {
    bytes: Vec<u8>,
    /// The original byte range of each folded byte.
    from: Vec<(usize, usize)>,
}

fn fold(text: &str) -> Folded {
    let raw = text.as_bytes();
    let mut folded = Folded {
        bytes: Vec::with_capacity(raw.len()),
        from: Vec::with_capacity(raw.len()),
    };
    let hex = |b: u8| (b as char).to_digit(16);
    let mut i = 0;
    while i < raw.len() {
        let (byte, len) = match raw[i] {
            b'%' if i + 2 < raw.len() => match (hex(raw[i + 1]), hex(raw[i + 2])) {
                (Some(h), Some(l)) => ((h * 16 + l) as u8, 3),
                _ => (b'%', 1),
            },
            b'\\' if raw.get(i + 1) == Some(&b'/') => (b'/', 2),
            b => (b, 1),
        };
        let byte = match byte.to_ascii_lowercase() {
            b'+' => b' ',
            b => b,
        };
        folded.bytes.push(byte);
        folded.from.push((i, i + len));
        i += len;
    }
    folded
}

/// The forms of a secret a server might echo, folded as [`fold`] folds text: the secret and
/// the parts of its base64 encodings that do not depend on what surrounds it.
fn forms(secret: &str) -> Vec<Vec<u8>> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let mut forms = vec![fold(secret).bytes];
    for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
        // The secret after `shift` bytes of something else: the first characters mix in the
        // bytes before it, the last one (when the length is not a multiple of three) the
        // bytes after it; what is between is always the same.
        for shift in 0..3 {
            let mut bytes = vec![0u8; shift];
            bytes.extend_from_slice(secret.as_bytes());
            let encoded = engine.encode(&bytes);
            let skip = [0, 2, 3][shift];
            let end = if bytes.len() % 3 == 0 {
                encoded.len()
            } else {
                encoded.len() - 1
            };
            if end >= skip + 4 {
                forms.push(fold(&encoded[skip..end]).bytes);
            }
        }
    }
    forms
}

/// Every secret, in any of its [`forms`], whole or in pieces of [`SPLIT_PIECE`] characters or
/// more, replaced by `***`.
fn redact_secrets(text: &str, secrets: &[&str]) -> String {
    let secrets: Vec<&str> = secrets.iter().copied().filter(|s| s.len() >= 4).collect();
    if secrets.is_empty() || text.is_empty() {
        return text.to_string();
    }
    let folded = fold(text);
    let mut hidden = vec![false; folded.bytes.len()];
    let mut pieces: std::collections::HashSet<&[u8]> = std::collections::HashSet::new();
    let all: Vec<Vec<u8>> = secrets.iter().flat_map(|s| forms(s)).collect();
    for form in &all {
        if form.len() < SPLIT_PIECE {
            // Short: only whole.
            for at in find_all(&folded.bytes, form) {
                hidden[at..at + form.len()].fill(true);
            }
        } else {
            pieces.extend(form.windows(SPLIT_PIECE));
        }
    }
    if !pieces.is_empty() {
        for (at, window) in folded.bytes.windows(SPLIT_PIECE).enumerate() {
            if pieces.contains(window) {
                hidden[at..at + SPLIT_PIECE].fill(true);
            }
        }
    }
    if !hidden.contains(&true) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < hidden.len() {
        if !hidden[i] {
            i += 1;
            continue;
        }
        let run = i;
        while i < hidden.len() && hidden[i] {
            i += 1;
        }
        let mut start = folded.from[run].0;
        let mut end = folded.from[i - 1].1;
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        while !text.is_char_boundary(end) {
            end += 1;
        }
        if start >= copied {
            out.push_str(&text[copied..start]);
            out.push_str("***");
        }
        copied = copied.max(end);
    }
    out.push_str(&text[copied..]);
    out
}

/// Where `needle` occurs in `haystack`, without overlaps.
fn find_all<'a>(haystack: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    let mut at = 0;
    std::iter::from_fn(move || {
        let found = memchr::memmem::find(&haystack[at..], needle)? + at;
        at = found + needle.len();
        Some(found)
    })
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

    /// Signed links of every family keep their signatures out of messages: S3's, Azure's SAS
    /// and GCS's V4 (`X-Goog-Signature`).
    #[test]
    fn signed_link_parameters_are_redacted_by_name() {
        for (url, secret) in [
            (
                "https://b.s3.amazonaws.com/k?X-Amz-Signature=abc123def&X-Amz-Date=1",
                "abc123def",
            ),
            (
                "https://a.blob.core.windows.net/c/k?sv=2024&sig=s1g%2Bnat",
                "s1g%2Bnat",
            ),
            (
                "https://storage.googleapis.com/b/k?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=sa%40p.iam%2F20261208&X-Goog-Signature=0f1e2d3c",
                "0f1e2d3c",
            ),
        ] {
            let said = redact(&format!("failed: {url}"), &[]);
            assert!(!said.contains(secret), "{said}");
        }
        let said = redact("X-Goog-Credential=sa%40p.iam%2F20261208&x=1", &[]);
        assert!(!said.contains("sa%40p"), "{said}");
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

    /// A server that echoes the key lower-cased, upper-cased, percent-encoded, in base64
    /// (alone or inside `Basic …`, either alphabet, padded or not) or split in two does not get
    /// it printed.
    #[test]
    fn transformed_echoes_of_a_secret_are_redacted() {
        use base64::Engine;
        use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
        // `?>` and `~` make base64's `+`/`/` and `-`/`_` differ; `/`, `+`, ` ` need encoding.
        let secret = "Sk-Live/9f+2 c?>~~QxZ";
        let gone = |echo: &str| {
            let shown = redact(&format!("echo: {echo} (end)"), &[secret]);
            assert!(shown.contains("***"), "{echo:?} -> {shown:?}");
            assert!(
                shown.ends_with(" (end)") && shown.starts_with("echo: "),
                "{shown:?}"
            );
            for piece in ["9f+2", "Live", "LIVE", "live", "c?>~", "C?>~"] {
                assert!(!shown.contains(piece), "{echo:?} -> {shown:?}");
            }
        };
        gone(secret);
        gone(&secret.to_lowercase());
        gone(&secret.to_uppercase());
        let encoded: String =
            percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        gone(&encoded);
        gone(&encoded.to_lowercase());
        gone(&secret.replace(' ', "+").replace('/', "%2f"));
        gone(&secret.replace('/', "\\/"));
        for user in ["", "a", "ab", "abc"] {
            let plain = format!("{user}:{secret}");
            for b64 in [
                STANDARD.encode(&plain),
                URL_SAFE.encode(&plain),
                URL_SAFE_NO_PAD.encode(&plain),
                STANDARD.encode(secret),
                URL_SAFE_NO_PAD.encode(secret),
            ] {
                let shown = redact(&format!("Authorization: Basic {b64}"), &[secret]);
                assert!(shown.contains("***"), "{b64} -> {shown}");
                // The user's part is left, and at most the few characters that mix in the
                // bytes around the secret.
                let left = shown
                    .trim_start_matches("Authorization: Basic ")
                    .replace("***", "");
                let most = (user.len() + 1) * 4 / 3 + 4;
                assert!(left.trim_end_matches('=').len() <= most, "{b64} -> {shown}");
            }
        }
        // Split into pieces of eight characters or more, anywhere in the text.
        gone(&format!("{} … and … {}", &secret[..10], &secret[10..]));
        // Ordinary text stays.
        let plain = "Invalid API key: check the x-api-key header";
        assert_eq!(redact(plain, &[secret]), plain);
    }

    /// What is not covered, said by a test so the doc cannot drift: pieces shorter than
    /// SPLIT_PIECE, and short secrets in pieces.
    #[test]
    fn short_pieces_are_not_recognised() {
        let secret = "sk-canary-7f3a9c1e55";
        let shown = redact("first sk-can then ary-7f3 then a9c1e55", &[secret]);
        assert_eq!(shown, "first sk-can then ary-7f3 then a9c1e55");
        assert_eq!(redact("key abcd!", &["abcd"]), "key ***!");
        assert_eq!(redact("key ABCD!", &["abcd"]), "key ***!");
        assert_eq!(redact("key ab cd!", &["abcd"]), "key ab cd!");
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
