//! Servers that lie, loop and attack: `serve --hostile MODE` answers every request the way one
//! misbehaving server would, in the chosen dialect's own envelope, so a client can be tried
//! (and measured) against it on loopback. Nothing here is a real API; each mode is one lie.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::ServerStats;

/// One way of misbehaving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hostile {
    /// Every list request gets the same page of 100 files and "more follow", forever.
    Repeat,
    /// Page 1 holds 3 files and claims a total of 10^18; every later page is empty.
    HugeTotal,
    /// The first page holds every file of the dataset size (`--files`) at once, each record a
    /// few bytes: `{"id":"7"}`.
    HugeAnswer,
    /// One page of `--files` empty objects `{}` (4,000,000 of them fit in 12 MB).
    EmptyRecords,
    /// Every request is refused (401) with a message carrying terminal escapes: OSC 52, an OSC
    /// 0 title, a C1 CSI and a right-to-left override.
    Inject,
    /// Every request is refused (401) with a message that echoes the request's headers, the
    /// credential included.
    EchoKey,
    /// Every request is redirected to itself.
    RedirectLoop,
    /// A 200 whose JSON ends early, with a `Content-Length` that matches what is sent.
    CutJson,
    /// A page whose records carry invalid UTF-8, a lone surrogate escape and a field nested
    /// 200 deep beside valid ids and names.
    BadRecords,
    /// A 204 with no body to every list request.
    NoContent,
    /// Not a lie: an older Open WebUI's whole listing, `--files` realistic records in one bare
    /// array, as such a server sends it to every list request.
    LegacyArray,
}

impl Hostile {
    pub const ALL: [(&'static str, Hostile); 11] = [
        ("repeat", Hostile::Repeat),
        ("huge-total", Hostile::HugeTotal),
        ("huge-answer", Hostile::HugeAnswer),
        ("empty-records", Hostile::EmptyRecords),
        ("inject", Hostile::Inject),
        ("echo-key", Hostile::EchoKey),
        ("redirect-loop", Hostile::RedirectLoop),
        ("cut-json", Hostile::CutJson),
        ("bad-records", Hostile::BadRecords),
        ("no-content", Hostile::NoContent),
        ("legacy-array", Hostile::LegacyArray),
    ];

    pub fn parse(name: &str) -> Option<Hostile> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, h)| *h)
    }

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, h)| *h == self)
            .map_or("?", |(n, _)| n)
    }
}

/// The message `inject` carries: a clipboard write, a title change, a C1 CSI and an RLO.
pub const INJECTED: &str =
    "bad key\u{1b}]52;c;cm0gLXJmIH4=\u{7}\u{1b}]0;pwned\u{7}\u{9b}31mred\u{202e}fdp.exe";

struct Hostility {
    mode: Hostile,
    dialect: String,
    files: usize,
    stats: Arc<ServerStats>,
}

pub(super) fn router(
    mode: Hostile,
    dialect: &str,
    files: usize,
    stats: Arc<ServerStats>,
) -> Router {
    let state = Arc::new(Hostility {
        mode,
        dialect: dialect.to_string(),
        files,
        stats,
    });
    Router::new().fallback(answer).with_state(state)
}

/// The page number a list request asks for (`page`, or `skip`/`limit`), 1 when absent.
fn page_of(request: &Request) -> u64 {
    let query = request.uri().query().unwrap_or("");
    let param = |name: &str| {
        query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == name).then(|| v.parse::<u64>().ok()).flatten()
        })
    };
    match (param("skip"), param("limit")) {
        (Some(skip), Some(limit)) if limit > 0 => skip / limit + 1,
        _ => param("page").unwrap_or(1).max(1),
    }
}

async fn answer(State(h): State<Arc<Hostility>>, request: Request) -> Response {
    h.stats.requests.fetch_add(1, Ordering::Relaxed);
    h.stats.list_requests.fetch_add(1, Ordering::Relaxed);
    let page = page_of(&request);
    let d = h.dialect.as_str();
    match h.mode {
        Hostile::Repeat => {
            let records: Vec<Value> = (0..100).map(|i| record(d, i)).collect();
            json_response(
                StatusCode::OK,
                envelope(d, records, None, true, page).to_string(),
            )
        }
        Hostile::HugeTotal => {
            let records = if page == 1 {
                (0..3).map(|i| record(d, i)).collect()
            } else {
                Vec::new()
            };
            let total = 1_000_000_000_000_000_000u64;
            json_response(
                StatusCode::OK,
                envelope(d, records, Some(total), true, page).to_string(),
            )
        }
        Hostile::HugeAnswer | Hostile::EmptyRecords => {
            let tiny = h.mode == Hostile::HugeAnswer;
            let files = h.files;
            // Built by hand: a million `Value`s would cost the server what it means to test.
            let mut items = String::with_capacity(files * if tiny { 16 } else { 3 } + 2);
            items.push('[');
            for i in 0..files {
                if i > 0 {
                    items.push(',');
                }
                if tiny {
                    items.push_str(&format!("{{\"{}\":\"{i}\"}}", id_key(d)));
                } else {
                    items.push_str("{}");
                }
            }
            items.push(']');
            let shell = envelope(d, Vec::new(), Some(files as u64), false, page).to_string();
            // The envelope's one empty array is where the records go.
            let body = shell.replacen("[]", &items, 1);
            json_response(StatusCode::OK, body)
        }
        Hostile::Inject => json_response(
            StatusCode::UNAUTHORIZED,
            error_envelope(d, INJECTED).to_string(),
        ),
        Hostile::EchoKey => {
            let echoed = echo_headers(request.headers());
            json_response(
                StatusCode::UNAUTHORIZED,
                error_envelope(d, &format!("invalid credentials in request: {echoed}")).to_string(),
            )
        }
        Hostile::RedirectLoop => {
            let target = request
                .uri()
                .path_and_query()
                .map_or("/".to_string(), |p| p.to_string());
            (StatusCode::FOUND, [(header::LOCATION, target)]).into_response()
        }
        Hostile::CutJson => {
            let records: Vec<Value> = (0..10).map(|i| record(d, i)).collect();
            let full = envelope(d, records, Some(10), false, page).to_string();
            json_response(StatusCode::OK, full[..full.len() / 2].to_string())
        }
        Hostile::BadRecords => bad_records(d, page),
        Hostile::NoContent => StatusCode::NO_CONTENT.into_response(),
        Hostile::LegacyArray => {
            let records: Vec<Value> = (0..h.files as u64)
                .map(|i| {
                    json!({"id": format!("{i:08x}-5f1e-4c2a-9b7d-{i:012x}"),
                        "user_id": "7d1c2a9e-3b4f-4e8a-a1c6-0f2b3c4d5e6f",
                        "filename": format!("quarterly-report-{i}.pdf"),
                        "path": format!("/app/backend/data/uploads/{i:08x}_quarterly-report-{i}.pdf"),
                        "meta": {"name": format!("quarterly-report-{i}.pdf"),
                                 "content_type": "application/pdf", "size": 10_000 + i * 7},
                        "created_at": 1_700_000_000 + i, "updated_at": 1_700_000_000 + i})
                })
                .collect();
            json_response(StatusCode::OK, Value::Array(records).to_string())
        }
    }
}

/// Every request header as `name: value`, the way a careless error page echoes them.
fn echo_headers(headers: &HeaderMap) -> String {
    headers
        .iter()
        .map(|(k, v)| format!("{k}: {}", String::from_utf8_lossy(v.as_bytes())))
        .collect::<Vec<_>>()
        .join("; ")
}

fn json_response(status: StatusCode, body: impl Into<Body>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.into(),
    )
        .into_response()
}

fn id_key(dialect: &str) -> &'static str {
    match dialect {
        "fileguard" => "file_id",
        _ => "id",
    }
}

/// A minimal record of the dialect: an id and a name.
fn record(dialect: &str, i: u64) -> Value {
    match dialect {
        "openwebui" => json!({"id": format!("f-{i}"), "filename": format!("file-{i}.txt"),
                              "meta": {"size": i}, "created_at": 1_700_000_000 + i}),
        "flextell" => json!({"id": i + 1, "name": format!("file-{i}.txt"), "size": i}),
        "fileguard" => json!({"file_id": format!("f-{i}"),
                              "original_filename": format!("file-{i}.txt"), "size_bytes": i}),
        "astracollab" => json!({"id": format!("f-{i}"), "name": format!("file-{i}.txt"),
                                "size": i}),
        _ => json!({"id": format!("f-{i}"), "file_name": format!("file-{i}.txt"), "size": i}),
    }
}

/// A list answer in the dialect's envelope.
fn envelope(
    dialect: &str,
    records: Vec<Value>,
    total: Option<u64>,
    has_next: bool,
    page: u64,
) -> Value {
    match dialect {
        "openwebui" => json!({"items": records, "total": total}),
        "flextell" => {
            let next = has_next.then(|| format!("/v1/files?page={}", page + 1));
            json!({"data": records, "links": {"next": next},
                   "meta": {"current_page": page, "total": total}})
        }
        "fileguard" => json!({"status": "SUCCESS", "data": {"data": records,
            "pagination": {"page": page, "total_items": total, "has_next": has_next}}}),
        "astracollab" => json!({"success": true, "data": {"files": records,
            "pagination": {"page": page, "total": total, "hasNext": has_next}}}),
        _ => json!({"success": true, "files": records,
                    "pagination": {"page": page, "total": total, "has_next": has_next}}),
    }
}

/// An error answer in the dialect's envelope.
fn error_envelope(dialect: &str, message: &str) -> Value {
    match dialect {
        "openwebui" => json!({"detail": message}),
        "flextell" => json!({"error": "invalid_token", "message": message}),
        "fileguard" => json!({"status": "ERROR", "message": message, "errors": [message]}),
        "astracollab" => json!({"success": false,
                                "error": {"code": "UNAUTHORIZED", "message": message}}),
        _ => json!({"success": false, "error": "unauthorized", "message": message}),
    }
}

/// Three records, one with invalid UTF-8 in its name, one with a lone surrogate in another
/// field, one with a field nested 200 deep; each keeps a valid id (and the last two a valid
/// name).
fn bad_records(dialect: &str, page: u64) -> Response {
    let mut good = record(dialect, 1);
    let mut surrogate = record(dialect, 2);
    let mut deep = record(dialect, 3);
    if let (Some(a), Some(b), Some(c)) = (
        good.as_object_mut(),
        surrogate.as_object_mut(),
        deep.as_object_mut(),
    ) {
        a.insert("note".into(), json!("BADUTF8"));
        b.insert("note".into(), json!("LONESURROGATE"));
        c.insert("note".into(), json!("DEEP"));
    }
    let body = envelope(dialect, vec![good, surrogate, deep], Some(3), false, page).to_string();
    let nested = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    let body =
        body.replacen("\"DEEP\"", &nested, 1)
            .replacen("\"LONESURROGATE\"", "\"x\\ud800y\"", 1);
    let mut bytes = body.into_bytes();
    // Invalid UTF-8 inside a string: a lone continuation byte and a truncated sequence.
    if let Some(at) = find(&bytes, b"BADUTF8") {
        bytes.splice(at..at + 7, [b'b', 0x80, b'a', 0xE2, 0x82, b'd']);
    }
    json_response(StatusCode::OK, bytes)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
