//! AWS Signature Version 4, verified as S3 verifies it: from the request's
//! method, path, query and headers, the canonical request and the string to
//! sign are rebuilt and signed with HMAC-SHA256 under the secret key, and the
//! signature must be the one sent. Both forms are read: presigned query
//! parameters (`X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
//! `X-Amz-Expires`, `X-Amz-SignedHeaders`, `X-Amz-Signature`, optionally
//! `X-Amz-Security-Token`, payload `UNSIGNED-PAYLOAD`), and the
//! `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…,
//! Signature=…` header with `x-amz-date` (or `Date`) and
//! `x-amz-content-sha256`.
//!
//! Canonical request, per the AWS documentation: the method; the path
//! decoded and encoded again once, each byte but RFC 3986's unreserved ones
//! and `/` as `%XX` (S3 does not encode twice, nor normalise `.` segments);
//! the query parameters decoded, encoded the same way (`/` too), sorted by
//! name then value, `X-Amz-Signature` left out; each signed header as
//! `name:value` with the value trimmed and inner runs of spaces collapsed;
//! the signed header names; the payload hash. The verifier is pinned by the
//! AWS documentation's own example (see the tests), not only by a signer of
//! ours.
//!
//! As S3 does, every `x-amz-*` header of the request must be signed (except
//! `x-amz-content-sha256`), presigned or not, and `host` always.

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::wire::{self, Query};

type HmacSha256 = Hmac<Sha256>;

pub(super) const ALGORITHM: &str = "AWS4-HMAC-SHA256";
pub(super) const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// The longest a presigned URL may live: seven days.
const MAX_EXPIRES: u64 = 7 * 86_400;
/// How far a header-signed request's time may be from the server's.
pub(super) const MAX_SKEW_SECONDS: i64 = 15 * 60;
/// The SHA-256 of nothing: the payload hash of a request without a body.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// What a signature covers, as the request arrived.
#[derive(Debug, Clone, Copy)]
pub(super) struct Request<'a> {
    pub method: &'a str,
    /// Raw, as sent (still percent-encoded).
    pub path: &'a str,
    /// Raw, as sent, without the `?`.
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Who may sign, and where the bucket lives.
#[derive(Debug, Clone, Copy)]
pub(super) struct Credentials<'a> {
    pub access_key: &'a str,
    pub secret_key: &'a str,
    pub region: &'a str,
}

/// Why a request's authentication was refused; [`super`] words each as S3's
/// error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Refusal {
    /// Neither a signature header nor presigned parameters.
    Missing,
    /// Both at once.
    BothMechanisms,
    /// An `Authorization` header of another scheme (SigV2's `AWS id:sig`, ...).
    UnsupportedMechanism,
    /// A malformed `Authorization` header.
    MalformedHeader(String),
    /// Malformed presigned parameters.
    MalformedQuery(String),
    /// Signed for another region than the bucket's.
    WrongRegion {
        signed_for: String,
        presigned: bool,
    },
    UnknownAccessKey(String),
    SignatureMismatch {
        access_key: String,
        string_to_sign: String,
        canonical_request: String,
        provided: String,
    },
    /// A presigned URL past `X-Amz-Date + X-Amz-Expires`.
    Expired {
        expired_at: i64,
        expires: u64,
    },
    /// A presigned URL dated in the future beyond the allowed skew.
    NotYetValid,
    /// A header-signed request without `x-amz-date` or `Date`.
    MissingDate,
    /// A header-signed request whose time is off by more than 15 minutes.
    Skewed {
        request_time: i64,
    },
    MissingContentSha256,
    InvalidContentSha256(String),
    ContentSha256Mismatch {
        client: String,
        computed: String,
    },
    /// `x-amz-*` headers (or `host`) present but not signed.
    HeadersNotSigned(String),
}

/// The signature's parts, however they were sent.
struct Parsed {
    presigned: bool,
    access_key: String,
    date: String,
    region: String,
    service: String,
    terminator: String,
    amz_date: String,
    signed_headers: String,
    signature: String,
    payload_hash: String,
    expires: Option<u64>,
}

/// Checks `request`'s signature: `Ok` if it was signed with `credentials`'
/// keys for their region (any region if `any_region`, for the calls S3
/// answers whatever region they are signed for), is in date, and covers
/// what S3 requires. `now` is the server's Unix time.
pub(super) fn verify(
    request: &Request<'_>,
    credentials: &Credentials<'_>,
    now: i64,
    any_region: bool,
) -> Result<(), Refusal> {
    let query = Query::parse(request.query);
    let parsed = parse(request, &query)?;
    if parsed.service != "s3" {
        return Err(malformed(
            &parsed,
            format!(
                "The authorization header is malformed; incorrect service \"{}\". This endpoint belongs to \"s3\".",
                parsed.service
            ),
        ));
    }
    if parsed.terminator != "aws4_request" {
        return Err(malformed(
            &parsed,
            format!(
                "The authorization header is malformed; incorrect terminal \"{}\". This endpoint uses \"aws4_request\".",
                parsed.terminator
            ),
        ));
    }
    if !any_region && parsed.region != credentials.region {
        return Err(Refusal::WrongRegion {
            signed_for: parsed.region.clone(),
            presigned: parsed.presigned,
        });
    }
    let Some(signed_at) = wire::parse_amz_date(&parsed.amz_date) else {
        return Err(if parsed.presigned {
            Refusal::MalformedQuery(
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"".into(),
            )
        } else {
            Refusal::MissingDate
        });
    };
    if !parsed.amz_date.starts_with(&parsed.date) {
        return Err(malformed(
            &parsed,
            format!(
                "Invalid credential date \"{}\". This date is not the same as X-Amz-Date: \"{}\".",
                parsed.date,
                &parsed.amz_date[..8]
            ),
        ));
    }
    if parsed.access_key != credentials.access_key {
        return Err(Refusal::UnknownAccessKey(parsed.access_key));
    }
    if !parsed.presigned {
        check_payload(&parsed.payload_hash, request.body)?;
    }

    let signed: Vec<&str> = parsed.signed_headers.split(';').collect();
    let canonical_request = canonical_request(
        request.method,
        request.path,
        &query,
        request.headers,
        &signed,
        &parsed.signed_headers,
        &parsed.payload_hash,
    );
    let scope = format!(
        "{}/{}/{}/{}",
        parsed.date, parsed.region, parsed.service, parsed.terminator
    );
    let string_to_sign = string_to_sign(&parsed.amz_date, &scope, &canonical_request);
    let key = signing_key(
        credentials.secret_key,
        &parsed.date,
        &parsed.region,
        &parsed.service,
    );
    if !same_signature(&hmac(&key, string_to_sign.as_bytes()), &parsed.signature) {
        return Err(Refusal::SignatureMismatch {
            access_key: parsed.access_key,
            string_to_sign,
            canonical_request,
            provided: parsed.signature,
        });
    }

    let unsigned = unsigned_headers(request.headers, &signed);
    if !unsigned.is_empty() {
        return Err(Refusal::HeadersNotSigned(unsigned.join(", ")));
    }
    match parsed.expires {
        Some(expires) => {
            let expired_at = signed_at + expires as i64;
            if now > expired_at {
                return Err(Refusal::Expired {
                    expired_at,
                    expires,
                });
            }
            if signed_at > now + MAX_SKEW_SECONDS {
                return Err(Refusal::NotYetValid);
            }
        }
        None => {
            if (signed_at - now).abs() > MAX_SKEW_SECONDS {
                return Err(Refusal::Skewed {
                    request_time: signed_at,
                });
            }
        }
    }
    Ok(())
}

fn malformed(parsed: &Parsed, message: String) -> Refusal {
    if parsed.presigned {
        Refusal::MalformedQuery(message.replace(
            "The authorization header is malformed;",
            "Error parsing the X-Amz-Credential parameter;",
        ))
    } else {
        Refusal::MalformedHeader(message)
    }
}

/// The signature's parts from the `Authorization` header or the query.
fn parse(request: &Request<'_>, query: &Query) -> Result<Parsed, Refusal> {
    let header = request
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let presigned = query.has("X-Amz-Algorithm")
        || query.has("X-Amz-Signature")
        || query.has("X-Amz-Credential");
    match (header, presigned) {
        (Some(_), true) => Err(Refusal::BothMechanisms),
        (None, false) => Err(Refusal::Missing),
        (Some(header), false) => parse_header(request, &header),
        (None, true) => parse_query(query),
    }
}

/// `AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3/aws4_request,
/// SignedHeaders=host;range;x-amz-date, Signature=…`.
fn parse_header(request: &Request<'_>, header: &str) -> Result<Parsed, Refusal> {
    let Some(rest) = header.strip_prefix(ALGORITHM) else {
        return Err(Refusal::UnsupportedMechanism);
    };
    if !rest.starts_with(' ') {
        return Err(Refusal::UnsupportedMechanism);
    }
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let Some((name, value)) = part.trim().split_once('=') else {
            return Err(Refusal::MalformedHeader(format!(
                "The authorization header is malformed; the authorization component \"{}\" is malformed.",
                part.trim()
            )));
        };
        let slot = match name.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => {
                return Err(Refusal::MalformedHeader(format!(
                    "The authorization header is malformed; the authorization component \"{}\" is malformed.",
                    part.trim()
                )));
            }
        };
        *slot = Some(value.trim().to_owned());
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(Refusal::MalformedHeader(
            "The authorization header is malformed; it must hold Credential, SignedHeaders and Signature.".into(),
        ));
    };
    let scope = Scope::parse(&credential).ok_or_else(|| {
        Refusal::MalformedHeader(format!(
            "The authorization header is malformed; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\". (got {credential:?})"
        ))
    })?;
    let header_text = |name: &str| {
        request
            .headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned())
    };
    let amz_date = match header_text("x-amz-date") {
        Some(date) => date,
        None => header_text("date")
            .and_then(|date| wire::parse_http_date(&date))
            .map(wire::amz_date)
            .ok_or(Refusal::MissingDate)?,
    };
    let payload_hash = header_text("x-amz-content-sha256").ok_or(Refusal::MissingContentSha256)?;
    Ok(Parsed {
        presigned: false,
        access_key: scope.access_key,
        date: scope.date,
        region: scope.region,
        service: scope.service,
        terminator: scope.terminator,
        amz_date,
        signed_headers,
        signature,
        payload_hash,
        expires: None,
    })
}

fn parse_query(query: &Query) -> Result<Parsed, Refusal> {
    let text = |name: &str| {
        query
            .raw(name)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    };
    let (
        Some(algorithm),
        Some(credential),
        Some(amz_date),
        Some(expires),
        Some(signed_headers),
        Some(signature),
    ) = (
        text("X-Amz-Algorithm"),
        text("X-Amz-Credential"),
        text("X-Amz-Date"),
        text("X-Amz-Expires"),
        text("X-Amz-SignedHeaders"),
        text("X-Amz-Signature"),
    )
    else {
        return Err(Refusal::MalformedQuery(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.".into(),
        ));
    };
    if algorithm != ALGORITHM {
        return Err(Refusal::MalformedQuery(
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"".into(),
        ));
    }
    let expires = match expires.parse::<u64>() {
        Ok(seconds) if seconds <= MAX_EXPIRES => seconds,
        Ok(_) => {
            return Err(Refusal::MalformedQuery(
                "X-Amz-Expires must be less than a week (in seconds) that is 604800".into(),
            ));
        }
        Err(_) => {
            return Err(Refusal::MalformedQuery(
                "X-Amz-Expires should be a number".into(),
            ));
        }
    };
    let scope = Scope::parse(&credential).ok_or_else(|| {
        Refusal::MalformedQuery(format!(
            "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\". (got {credential:?})"
        ))
    })?;
    Ok(Parsed {
        presigned: true,
        access_key: scope.access_key,
        date: scope.date,
        region: scope.region,
        service: scope.service,
        terminator: scope.terminator,
        amz_date,
        signed_headers,
        signature,
        payload_hash: text("X-Amz-Content-Sha256").unwrap_or_else(|| UNSIGNED_PAYLOAD.into()),
        expires: Some(expires),
    })
}

/// `AKID/YYYYMMDD/REGION/SERVICE/aws4_request`.
struct Scope {
    access_key: String,
    date: String,
    region: String,
    service: String,
    terminator: String,
}

impl Scope {
    fn parse(credential: &str) -> Option<Scope> {
        // The access key id holds no '/', so split from the right.
        let mut parts = credential.rsplitn(5, '/');
        let terminator = parts.next()?.to_owned();
        let service = parts.next()?.to_owned();
        let region = parts.next()?.to_owned();
        let date = parts.next()?.to_owned();
        let access_key = parts.next()?.to_owned();
        let valid_date = date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit());
        (valid_date && !access_key.is_empty() && !region.is_empty()).then_some(Scope {
            access_key,
            date,
            region,
            service,
            terminator,
        })
    }
}

/// Checks a header-signed request's `x-amz-content-sha256` against its body.
fn check_payload(claimed: &str, body: &[u8]) -> Result<(), Refusal> {
    if claimed == UNSIGNED_PAYLOAD || claimed.starts_with("STREAMING-") {
        return Ok(());
    }
    let is_hex = claimed.len() == 64 && claimed.bytes().all(|b| b.is_ascii_hexdigit());
    if !is_hex {
        return Err(Refusal::InvalidContentSha256(claimed.to_owned()));
    }
    let computed = if body.is_empty() {
        EMPTY_SHA256.to_owned()
    } else {
        wire::hex(&Sha256::digest(body))
    };
    if !claimed.eq_ignore_ascii_case(&computed) {
        return Err(Refusal::ContentSha256Mismatch {
            client: claimed.to_owned(),
            computed,
        });
    }
    Ok(())
}

/// The request's `x-amz-*` headers missing from `signed` (and `host` if it
/// is not signed), sorted.
fn unsigned_headers(headers: &HeaderMap, signed: &[&str]) -> Vec<String> {
    let mut missing: Vec<String> = headers
        .keys()
        .map(|name| name.as_str())
        .filter(|name| name.starts_with("x-amz-") && *name != "x-amz-content-sha256")
        .filter(|name| !signed.contains(name))
        .map(str::to_owned)
        .collect();
    if !signed.contains(&"host") {
        missing.push("host".to_owned());
    }
    missing.sort();
    missing.dedup();
    missing
}

/// The canonical request of SigV4 (see the module doc).
pub(super) fn canonical_request(
    method: &str,
    raw_path: &str,
    query: &Query,
    headers: &HeaderMap,
    signed: &[&str],
    signed_headers: &str,
    payload_hash: &str,
) -> String {
    let mut out = String::with_capacity(512);
    out.push_str(method);
    out.push('\n');
    out.push_str(&canonical_uri(raw_path));
    out.push('\n');
    out.push_str(&canonical_query(query));
    out.push('\n');
    for name in signed {
        out.push_str(name);
        out.push(':');
        let values: Vec<String> = headers
            .get_all(*name)
            .iter()
            .map(|value| collapse(&String::from_utf8_lossy(value.as_bytes())))
            .collect();
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(signed_headers);
    out.push('\n');
    out.push_str(payload_hash);
    out
}

/// The path decoded once and encoded once, `/` kept; `/` if empty.
pub(super) fn canonical_uri(raw_path: &str) -> String {
    if raw_path.is_empty() {
        return "/".to_owned();
    }
    wire::uri_encode(&wire::percent_decode(raw_path, false), true)
}

/// Every parameter but `X-Amz-Signature`, encoded, sorted by name then value.
pub(super) fn canonical_query(query: &Query) -> String {
    let mut pairs: Vec<(String, String)> = query
        .pairs
        .iter()
        .filter(|(name, _)| name != b"X-Amz-Signature")
        .map(|(name, value)| {
            (
                wire::uri_encode(name, false),
                wire::uri_encode(value, false),
            )
        })
        .collect();
    pairs.sort();
    let parts: Vec<String> = pairs
        .into_iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    parts.join("&")
}

/// A header value trimmed, inner runs of spaces as one.
fn collapse(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        wire::hex(&Sha256::digest(canonical_request.as_bytes()))
    )
}

/// `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub(super) fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let key = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let key = hmac(&key, region.as_bytes());
    let key = hmac(&key, service.as_bytes());
    hmac(&key, b"aws4_request")
}

pub(super) fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Whether `provided` is the hex of `expected`, compared in constant time.
fn same_signature(expected: &[u8; 32], provided: &str) -> bool {
    let provided = provided.as_bytes();
    if provided.len() != 64 {
        return false;
    }
    let mut difference = 0u8;
    for (at, byte) in expected.iter().enumerate() {
        let high = char::from(provided[2 * at]).to_digit(16);
        let low = char::from(provided[2 * at + 1]).to_digit(16);
        match (high, low) {
            (Some(high), Some(low)) => difference |= byte ^ ((high << 4 | low) as u8),
            _ => difference |= 0xff,
        }
    }
    // Upper-case hex is not what AWS sends: S3 compares lower-case hex.
    difference == 0 && !provided.iter().any(u8::is_ascii_uppercase)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    /// The AWS documentation's keys for its examples.
    const AWS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
    const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const AWS: Credentials<'static> = Credentials {
        access_key: AWS_KEY,
        secret_key: AWS_SECRET,
        region: "us-east-1",
    };
    /// 2013-05-24T00:00:00Z, when every example was signed.
    const EXAMPLE_TIME: i64 = 1_369_353_600;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn check(
        method: &str,
        path: &str,
        query: &str,
        headers: &HeaderMap,
        now: i64,
    ) -> Result<(), Refusal> {
        let request = Request {
            method,
            path,
            query,
            headers,
            body: b"",
        };
        verify(&request, &AWS, now, false)
    }

    /// "Authenticating Requests: Using Query Parameters (AWS Signature
    /// Version 4)", the example: GET /test.txt of examplebucket presigned for
    /// 86400 seconds from 2013-05-24T00:00:00Z. Its signature,
    /// aeeed9bb…f604d404, comes from the AWS documentation, not from us.
    #[test]
    fn the_aws_documentation_presigned_example_verifies() {
        const QUERY: &str = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
        let host = headers(&[("host", "examplebucket.s3.amazonaws.com")]);
        assert_eq!(
            check("GET", "/test.txt", QUERY, &host, EXAMPLE_TIME + 60),
            Ok(())
        );
        // The intermediate values the documentation shows.
        let query = Query::parse(QUERY);
        let canonical = canonical_request(
            "GET",
            "/test.txt",
            &query,
            &host,
            &["host"],
            "host",
            UNSIGNED_PAYLOAD,
        );
        assert_eq!(
            canonical,
            "GET\n/test.txt\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\nhost:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD"
        );
        assert_eq!(
            string_to_sign(
                "20130524T000000Z",
                "20130524/us-east-1/s3/aws4_request",
                &canonical
            ),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04"
        );

        // Anything changed, and the signature no longer matches.
        let mismatch = |method: &str, path: &str, query: &str, host: &HeaderMap| {
            matches!(
                check(method, path, query, host, EXAMPLE_TIME + 60),
                Err(Refusal::SignatureMismatch { .. })
            )
        };
        assert!(mismatch(
            "GET",
            "/test.txt",
            &QUERY.replace("aeeed9", "aeeed8"),
            &host
        ));
        assert!(mismatch("HEAD", "/test.txt", QUERY, &host));
        assert!(mismatch("GET", "/test.txT", QUERY, &host));
        assert!(mismatch(
            "GET",
            "/test.txt",
            &QUERY.replace("86400", "86401"),
            &host
        ));
        let other_host = headers(&[("host", "examplebucket.s3.amazonaws.com:80")]);
        assert!(mismatch("GET", "/test.txt", QUERY, &other_host));
        // Past its 24 hours it has expired, however well signed.
        assert_eq!(
            check("GET", "/test.txt", QUERY, &host, EXAMPLE_TIME + 86_401),
            Err(Refusal::Expired {
                expired_at: EXAMPLE_TIME + 86_400,
                expires: 86_400
            })
        );
        // The same signature with another secret is someone else's.
        let stranger = Credentials {
            secret_key: "not-the-secret",
            ..AWS
        };
        let request = Request {
            method: "GET",
            path: "/test.txt",
            query: QUERY,
            headers: &host,
            body: b"",
        };
        assert!(matches!(
            verify(&request, &stranger, EXAMPLE_TIME, false),
            Err(Refusal::SignatureMismatch { .. })
        ));
        // Signed for us-east-1, verified by a bucket in eu-west-1.
        let elsewhere = Credentials {
            region: "eu-west-1",
            ..AWS
        };
        assert_eq!(
            verify(&request, &elsewhere, EXAMPLE_TIME, false),
            Err(Refusal::WrongRegion {
                signed_for: "us-east-1".into(),
                presigned: true
            })
        );
        assert_eq!(verify(&request, &elsewhere, EXAMPLE_TIME, true), Ok(()));
    }

    /// "Examples: Signature Calculations in AWS Signature Version 4", GET
    /// Object: the header form, with a signed Range header.
    #[test]
    fn the_aws_documentation_header_example_verifies() {
        let signed = headers(&[
            ("host", "examplebucket.s3.amazonaws.com"),
            ("range", "bytes=0-9"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            ("x-amz-date", "20130524T000000Z"),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
            ),
        ]);
        assert_eq!(
            check("GET", "/test.txt", "", &signed, EXAMPLE_TIME + 5),
            Ok(())
        );
        // Fifteen minutes later the clock skew is too large.
        assert_eq!(
            check("GET", "/test.txt", "", &signed, EXAMPLE_TIME + 901),
            Err(Refusal::Skewed {
                request_time: EXAMPLE_TIME
            })
        );
        // A header the signature does not cover.
        let mut extra = signed.clone();
        extra.insert("x-amz-checksum-mode", HeaderValue::from_static("ENABLED"));
        assert_eq!(
            check("GET", "/test.txt", "", &extra, EXAMPLE_TIME),
            Err(Refusal::HeadersNotSigned("x-amz-checksum-mode".into()))
        );
        // A different range is a different request.
        let mut other = signed.clone();
        other.insert("range", HeaderValue::from_static("bytes=0-10"));
        assert!(matches!(
            check("GET", "/test.txt", "", &other, EXAMPLE_TIME),
            Err(Refusal::SignatureMismatch { .. })
        ));
    }

    /// The documentation's GET Bucket (List Objects) example: a query signed
    /// in the header form.
    #[test]
    fn the_aws_documentation_list_example_verifies() {
        let signed = headers(&[
            ("host", "examplebucket.s3.amazonaws.com"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            ("x-amz-date", "20130524T000000Z"),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
            ),
        ]);
        assert_eq!(
            check("GET", "/", "max-keys=2&prefix=J", &signed, EXAMPLE_TIME),
            Ok(())
        );
        // The query's order does not matter; its values do.
        assert_eq!(
            check("GET", "/", "prefix=J&max-keys=2", &signed, EXAMPLE_TIME),
            Ok(())
        );
        assert!(matches!(
            check("GET", "/", "max-keys=3&prefix=J", &signed, EXAMPLE_TIME),
            Err(Refusal::SignatureMismatch { .. })
        ));
    }

    #[test]
    fn refusals_say_what_is_wrong() {
        let none = HeaderMap::new();
        assert_eq!(check("GET", "/a", "", &none, 0), Err(Refusal::Missing));
        let v2 = headers(&[(
            "authorization",
            "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
        )]);
        assert_eq!(
            check("GET", "/a", "", &v2, 0),
            Err(Refusal::UnsupportedMechanism)
        );
        let both = headers(&[("authorization", "AWS4-HMAC-SHA256 Credential=x")]);
        assert_eq!(
            check("GET", "/a", "X-Amz-Signature=00", &both, 0),
            Err(Refusal::BothMechanisms)
        );
        assert!(matches!(
            check("GET", "/a", "X-Amz-Signature=00", &none, 0),
            Err(Refusal::MalformedQuery(_))
        ));
        let query = |credential: &str, expires: &str| {
            format!(
                "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={credential}&X-Amz-Date=20130524T000000Z&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-Signature=00"
            )
        };
        let host = headers(&[("host", "h")]);
        assert_eq!(
            check(
                "GET",
                "/a",
                &query("nobody%2F20130524%2Fus-east-1%2Fs3%2Faws4_request", "60"),
                &host,
                EXAMPLE_TIME
            ),
            Err(Refusal::UnknownAccessKey("nobody".into()))
        );
        assert!(matches!(
            check(
                "GET",
                "/a",
                &query(
                    "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request",
                    "604801"
                ),
                &host,
                EXAMPLE_TIME
            ),
            Err(Refusal::MalformedQuery(_))
        ));
        assert!(matches!(
            check(
                "GET",
                "/a",
                &query(
                    "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fec2%2Faws4_request",
                    "60"
                ),
                &host,
                EXAMPLE_TIME
            ),
            Err(Refusal::MalformedQuery(_))
        ));
        assert!(matches!(
            check(
                "GET",
                "/a",
                &query(
                    "AKIAIOSFODNN7EXAMPLE%2F20130525%2Fus-east-1%2Fs3%2Faws4_request",
                    "60"
                ),
                &host,
                EXAMPLE_TIME
            ),
            Err(Refusal::MalformedQuery(_))
        ));
        let no_hash = headers(&[
            ("host", "h"),
            ("x-amz-date", "20130524T000000Z"),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
            ),
        ]);
        assert_eq!(
            check("GET", "/a", "", &no_hash, EXAMPLE_TIME),
            Err(Refusal::MissingContentSha256)
        );
        let mut wrong_hash = no_hash.clone();
        wrong_hash.insert(
            "x-amz-content-sha256",
            HeaderValue::from_static(
                "0000000000000000000000000000000000000000000000000000000000000000",
            ),
        );
        assert!(matches!(
            check("GET", "/a", "", &wrong_hash, EXAMPLE_TIME),
            Err(Refusal::ContentSha256Mismatch { .. })
        ));
        wrong_hash.insert("x-amz-content-sha256", HeaderValue::from_static("nonsense"));
        assert!(matches!(
            check("GET", "/a", "", &wrong_hash, EXAMPLE_TIME),
            Err(Refusal::InvalidContentSha256(_))
        ));
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(
            canonical_uri("/demo/a%20b+c/%E6%97%A5.txt"),
            "/demo/a%20b%2Bc/%E6%97%A5.txt"
        );
        assert_eq!(canonical_uri("/demo/a b"), "/demo/a%20b");
        assert_eq!(canonical_uri("/demo/x%2Fy"), "/demo/x/y");
        assert_eq!(canonical_uri(""), "/");
        let query =
            Query::parse("prefix=a b&list-type=2&delimiter=%2F&X-Amz-Signature=zz&location");
        assert_eq!(
            canonical_query(&query),
            "delimiter=%2F&list-type=2&location=&prefix=a%20b"
        );
        assert_eq!(collapse("  a   b  c "), "a b c");
        let key = signing_key(AWS_SECRET, "20130524", "us-east-1", "s3");
        assert!(!same_signature(&key, &wire::hex(&key).to_uppercase()));
        assert!(same_signature(&key, &wire::hex(&key)));
        assert!(!same_signature(&key, "zz"));
    }
}
