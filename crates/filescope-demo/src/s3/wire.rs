//! How S3 writes things on the wire: percent-encodings (SigV4's, and
//! `encoding-type=url`'s), query strings, XML text, error bodies and dates.

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::DateTime;

/// `xmlns` of every S3 answer body.
pub(crate) const XMLNS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~')
}

/// SigV4's `UriEncode`: every byte but RFC 3986's unreserved ones as `%XX`
/// (upper-case hex), `/` kept when `keep_slash` (paths) and encoded otherwise
/// (query names and values). A space is `%20`, never `+`.
pub(crate) fn uri_encode(bytes: &[u8], keep_slash: bool) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &byte in bytes {
        if unreserved(byte) || (keep_slash && byte == b'/') {
            out.push(char::from(byte));
        } else {
            push_escape(&mut out, byte);
        }
    }
    out
}

/// The encoding S3 applies to `Key`, `Prefix`, `Delimiter`, `StartAfter`
/// and `CommonPrefixes/Prefix` under `encoding-type=url`. S3 encodes like an
/// HTML form, except for `/`: a space becomes `+` and a literal `+` becomes
/// `%2B` (measured against real S3: `a b.txt` is listed as `a+b.txt`,
/// `a+b.txt` as `a%2Bb.txt`, `100%.csv` as `100%25.csv`, `한글/x.txt` as
/// `%ED%95%9C%EA%B8%80/x.txt`; boto3 and rusty-s3 decode with `+` as a
/// space for that reason). Which of `*` and `~` S3 leaves bare is not
/// established; both decode the same either way, so RFC 3986's unreserved
/// set is kept bare here.
pub(crate) fn list_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for &byte in text.as_bytes() {
        match byte {
            b' ' => out.push('+'),
            b'/' => out.push('/'),
            byte if unreserved(byte) => out.push(char::from(byte)),
            byte => push_escape(&mut out, byte),
        }
    }
    out
}

fn push_escape(out: &mut String, byte: u8) {
    out.push('%');
    out.push(char::from(HEX[usize::from(byte >> 4)]));
    out.push(char::from(HEX[usize::from(byte & 0xf)]));
}

/// Percent-decodes `text` (a `%` not followed by two hex digits stays as it
/// is); with `plus_is_space`, as in a query string, `+` is a space.
pub(crate) fn percent_decode(text: &str, plus_is_space: bool) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        let digits = bytes
            .get(at + 1..at + 3)
            .and_then(|pair| Some((hex_value(pair[0])?, hex_value(pair[1])?)));
        match (byte, digits) {
            (b'%', Some((high, low))) => {
                out.push(high << 4 | low);
                at += 3;
                continue;
            }
            (b'+', _) if plus_is_space => out.push(b' '),
            _ => out.push(byte),
        }
        at += 1;
    }
    out
}

fn hex_value(byte: u8) -> Option<u8> {
    char::from(byte).to_digit(16).map(|d| d as u8)
}

/// A query string's parameters, decoded (`+` is a space, as S3 reads
/// queries), in the order sent. A parameter without `=` has an empty value.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    pub pairs: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Query {
    pub(crate) fn parse(raw: &str) -> Query {
        let pairs = raw
            .split('&')
            .filter(|part| !part.is_empty())
            .map(|part| {
                let (name, value) = part.split_once('=').unwrap_or((part, ""));
                (percent_decode(name, true), percent_decode(value, true))
            })
            .collect();
        Query { pairs }
    }

    /// The first value of `name`, if it is there.
    pub(crate) fn raw(&self, name: &str) -> Option<&[u8]> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name.as_bytes())
            .map(|(_, v)| v.as_slice())
    }

    /// The first value of `name` as text; `Err` if it is not UTF-8.
    pub(crate) fn text(&self, name: &str) -> Result<Option<&str>, ()> {
        self.raw(name)
            .map(|value| std::str::from_utf8(value).map_err(|_| ()))
            .transpose()
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        self.raw(name).is_some()
    }
}

/// Appends `text` as XML character data, as S3 writes it: `&`, `<`, `>` and
/// `"` as entities (S3 writes an ETag as `&quot;…&quot;`), and every C0
/// control character, U+FFFE and U+FFFF as a hexadecimal character reference
/// (`ESC` → `&#x1b;`). S3 does write such references although XML 1.0 does
/// not allow the characters they stand for (only tab, LF and CR below
/// U+0020): strict parsers refuse the whole answer, which is why S3 offers
/// `encoding-type=url` and why clients should ask for it. Tab, LF and CR are
/// referenced too, so that no parser's newline normalisation changes a key.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if u32::from(c) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {
                out.push_str(&format!("&#x{:x};", u32::from(c)));
            }
            c => out.push(c),
        }
    }
}

/// An XML document built by appending.
pub(crate) struct Xml(String);

impl Xml {
    /// `<?xml …?>` and the opening tag of `root` with S3's namespace.
    pub(crate) fn document(root: &str) -> Xml {
        let mut out = String::with_capacity(4096);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
        out.push_str(root);
        out.push_str(" xmlns=\"");
        out.push_str(XMLNS);
        out.push_str("\">");
        Xml(out)
    }

    /// `<?xml …?>` and `<root>` without a namespace (error bodies have none).
    pub(crate) fn bare(root: &str) -> Xml {
        let mut out = String::with_capacity(512);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
        out.push_str(root);
        out.push('>');
        Xml(out)
    }

    pub(crate) fn open(&mut self, name: &str) -> &mut Self {
        self.0.push('<');
        self.0.push_str(name);
        self.0.push('>');
        self
    }

    pub(crate) fn close(&mut self, name: &str) -> &mut Self {
        self.0.push_str("</");
        self.0.push_str(name);
        self.0.push('>');
        self
    }

    /// Character data, escaped.
    pub(crate) fn text(&mut self, text: &str) -> &mut Self {
        escape_into(&mut self.0, text);
        self
    }

    /// `<name>text</name>`, the text escaped.
    pub(crate) fn element(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name);
        escape_into(&mut self.0, text);
        self.close(name)
    }

    pub(crate) fn finish(mut self, root: &str) -> String {
        self.close(root);
        self.0
    }
}

/// A 200 (or `status`) with an XML body.
pub(crate) fn xml_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml"),
        )],
        body,
    )
        .into_response()
}

/// An S3 error: its status, code and message, the extra elements that code
/// carries (`Key`, `BucketName`, `Region`, ...), and headers (`Content-Range`
/// of a 416). The body is `<Error>` with `RequestId` and `HostId` last; a
/// HEAD gets the status and headers only, as from S3.
#[derive(Debug, Clone)]
pub(crate) struct S3Error {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: Vec<(&'static str, String)>,
    pub headers: Vec<(HeaderName, String)>,
}

impl S3Error {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        S3Error {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
            headers: Vec::new(),
        }
    }

    pub(crate) fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.fields.push((name, value.into()));
        self
    }

    pub(crate) fn header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub(crate) fn invalid_argument(message: impl Into<String>, name: &str, value: &str) -> Self {
        S3Error::new(StatusCode::BAD_REQUEST, "InvalidArgument", message)
            .with("ArgumentName", name)
            .with("ArgumentValue", value)
    }

    pub(crate) fn respond(self, head: bool, request_id: &str, host_id: &str) -> Response {
        let mut response = if head {
            self.status.into_response()
        } else {
            let mut xml = Xml::bare("Error");
            xml.element("Code", self.code)
                .element("Message", &self.message);
            for (name, value) in &self.fields {
                xml.element(name, value);
            }
            xml.element("RequestId", request_id)
                .element("HostId", host_id);
            xml_response(self.status, xml.finish("Error"))
        };
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

/// `2024-03-02T09:14:58.000Z`, as listings write times.
pub(crate) fn iso_millis(unix_seconds: i64) -> String {
    DateTime::from_timestamp(unix_seconds, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S.000Z")
        .to_string()
}

/// `Sat, 02 Mar 2024 09:14:58 GMT` (RFC 7231), as headers write times.
pub(crate) fn http_date(unix_seconds: i64) -> String {
    DateTime::from_timestamp(unix_seconds, 0)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// An RFC 7231 date (or the obsolete forms chrono's RFC 2822 parser reads).
pub(crate) fn parse_http_date(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc2822(text.trim())
        .ok()
        .map(|at| at.timestamp())
}

/// `YYYYMMDDTHHMMSSZ`, SigV4's time format.
pub(crate) fn parse_amz_date(text: &str) -> Option<i64> {
    chrono::NaiveDateTime::parse_from_str(text, "%Y%m%dT%H%M%SZ")
        .ok()
        .filter(|_| text.len() == 16)
        .map(|at| at.and_utc().timestamp())
}

/// `YYYYMMDDTHHMMSSZ` of a Unix time.
pub(crate) fn amz_date(unix_seconds: i64) -> String {
    DateTime::from_timestamp(unix_seconds, 0)
        .unwrap_or_default()
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(HEX[usize::from(byte >> 4)].to_ascii_lowercase()));
        out.push(char::from(
            HEX[usize::from(byte & 0xf)].to_ascii_lowercase(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigv4_uri_encoding() {
        assert_eq!(uri_encode(b"a b+c/d~e", true), "a%20b%2Bc/d~e");
        assert_eq!(uri_encode(b"a/b", false), "a%2Fb");
        assert_eq!(uri_encode("é\u{1b}*".as_bytes(), true), "%C3%A9%1B%2A");
    }

    #[test]
    fn listing_encoding_is_s3s() {
        // The pairs measured against real S3.
        assert_eq!(list_encode("a b.txt"), "a+b.txt");
        assert_eq!(list_encode("a+b.txt"), "a%2Bb.txt");
        assert_eq!(list_encode("100%.csv"), "100%25.csv");
        assert_eq!(list_encode("한글/x.txt"), "%ED%95%9C%EA%B8%80/x.txt");
        assert_eq!(list_encode("run books/"), "run+books/");
        assert_eq!(list_encode("ctl\u{1b}[31m"), "ctl%1B%5B31m");
    }

    #[test]
    fn decoding() {
        assert_eq!(percent_decode("a+b%20c%2Bd", true), b"a b c+d");
        assert_eq!(percent_decode("a+b", false), b"a+b");
        assert_eq!(percent_decode("100%", false), b"100%");
        assert_eq!(percent_decode("%zz%4", false), b"%zz%4");
        assert_eq!(percent_decode("%e6%97%a5", false), "日".as_bytes());
        let query = Query::parse("list-type=2&prefix=a+b%2F&location&x=1&x=2&&bad=%FF");
        assert_eq!(query.text("prefix"), Ok(Some("a b/")));
        assert_eq!(query.text("location"), Ok(Some("")));
        assert_eq!(query.text("x"), Ok(Some("1")));
        assert_eq!(query.text("missing"), Ok(None));
        assert_eq!(query.text("bad"), Err(()));
        assert!(query.has("location") && !query.has("loc"));
    }

    #[test]
    fn xml_text_is_escaped_as_s3_does() {
        let mut out = String::new();
        escape_into(&mut out, "a&b<c>\"d\"'e\u{1b}[0m\u{0}\t\n\r\u{7f}é");
        assert_eq!(
            out,
            "a&amp;b&lt;c&gt;&quot;d&quot;'e&#x1b;[0m&#x0;&#x9;&#xa;&#xd;\u{7f}é"
        );
    }

    #[test]
    fn dates() {
        assert_eq!(iso_millis(1_709_370_898), "2024-03-02T09:14:58.000Z");
        assert_eq!(http_date(1_709_370_898), "Sat, 02 Mar 2024 09:14:58 GMT");
        assert_eq!(
            parse_http_date("Sat, 02 Mar 2024 09:14:58 GMT"),
            Some(1_709_370_898)
        );
        assert_eq!(parse_amz_date("20240302T091458Z"), Some(1_709_370_898));
        assert_eq!(amz_date(1_709_370_898), "20240302T091458Z");
        assert_eq!(parse_amz_date("2024-03-02T09:14:58Z"), None);
        assert_eq!(hex(&[0x0a, 0xff]), "0aff");
    }
}
