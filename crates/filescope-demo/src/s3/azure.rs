//! Azure Blob Storage over the same synthetic bucket as S3 (the same keys, awkward ones
//! included, and the same objects), for `filescope demo --dialect azure` and `serve`: the
//! account [`AZURE_ACCOUNT`] path style (`/ACCOUNT/CONTAINER/BLOB`, as Azurite), its one
//! container [`S3_BUCKET`]. List Containers, List Blobs (`prefix`, `delimiter`,
//! `maxresults` up to 5,000, `marker`/`NextMarker`, `startFrom` inclusive), Get Blob
//! Properties and ranged Get Blob with `Content-MD5`. Written from Azure's REST reference;
//! it checks no signature (Azurite, in the tests, does).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::keys::{Entry, ListQuery};
use super::wire::{self, Query, Xml};
use super::{Bucket, S3_BUCKET};
use crate::common::{self, Context, Plumbing};
use crate::content::{self, Wanted};

/// The demo's storage account.
pub const AZURE_ACCOUNT: &str = "filescope";
/// A key for it (base64, as Azure's are); the demo checks no signature.
pub const AZURE_KEY: &str = "ZmlsZXNjb3BlLWRlbW8tYWNjb3VudC1rZXk=";
/// The largest page List Blobs gives.
const MAX_RESULTS: usize = 5000;

/// How to open the demo's container with filescope, for `serve`'s stderr.
pub fn connect_hint(base_url: &str) -> Vec<String> {
    vec![format!(
        "try  AZURE_STORAGE_ACCOUNT={AZURE_ACCOUNT} AZURE_STORAGE_KEY={AZURE_KEY} filescope az://{AZURE_ACCOUNT}/{S3_BUCKET}/ --endpoint {base_url}"
    )]
}

fn is_list(path: &str) -> bool {
    path == format!("/{AZURE_ACCOUNT}/{S3_BUCKET}")
}

pub(crate) fn router(context: Context) -> Router {
    let bucket = Bucket::serving(&context);
    let router = Router::new().fallback(handle).with_state(bucket);
    common::serve(
        router,
        &context,
        Plumbing {
            is_list,
            rate_limit: None,
        },
    )
}

/// Azure's error: the status, `x-ms-error-code` and the XML envelope.
fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let mut xml = Xml::bare("Error");
    xml.element("Code", code)
        .element("Message", &format!("{message}\nRequestId:0\nTime:0"));
    let mut response = wire::xml_response(status, xml.finish("Error"));
    if let Ok(value) = HeaderValue::from_str(code) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-ms-error-code"), value);
    }
    response
}

async fn handle(
    State(bucket): State<Arc<Bucket>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let query = Query::parse(uri.query().unwrap_or(""));
    let path = uri.path().trim_start_matches('/');
    let (account, rest) = path.split_once('/').unwrap_or((path, ""));
    if account != AZURE_ACCOUNT {
        return error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "The specified resource does not exist.",
        );
    }
    let (container, blob) = rest.split_once('/').unwrap_or((rest, ""));
    let mut response = if container.is_empty() {
        containers(&query)
    } else if container != S3_BUCKET {
        error(
            StatusCode::NOT_FOUND,
            "ContainerNotFound",
            "The specified container does not exist.",
        )
    } else if blob.is_empty() {
        blobs(&bucket, &query).await
    } else {
        match String::from_utf8(wire::percent_decode(blob, false)) {
            Ok(name) => self::blob(&bucket, &method, &headers, &name).await,
            Err(_) => error(
                StatusCode::BAD_REQUEST,
                "InvalidUri",
                "The blob name is not UTF-8.",
            ),
        }
    };
    response.headers_mut().insert(
        HeaderName::from_static("x-ms-version"),
        HeaderValue::from_static("2026-02-06"),
    );
    response
}

/// List Containers: the one container.
fn containers(query: &Query) -> Response {
    if query.text("comp") != Ok(Some("list")) {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidQueryParameterValue",
            "Value for one of the query parameters specified in the request URI is invalid.",
        );
    }
    let prefix = query.text("prefix").ok().flatten().unwrap_or("");
    let mut xml = Xml::bare("EnumerationResults");
    xml.open("Containers");
    if S3_BUCKET.starts_with(prefix) {
        xml.open("Container")
            .element("Name", S3_BUCKET)
            .open("Properties")
            .element("Last-Modified", &wire::http_date(1_700_000_000))
            .element("Etag", "\"0x8DC0000000000000\"")
            .element("LeaseStatus", "unlocked")
            .close("Properties")
            .close("Container");
    }
    xml.close("Containers").element("NextMarker", "");
    wire::xml_response(StatusCode::OK, xml.finish("EnumerationResults"))
}

/// A name as List Blobs writes it: percent-encoded with `Encoded="true"` where XML cannot
/// carry it (control characters), as Azure does.
fn name_element(xml: &mut Xml, name: &str) {
    if name
        .chars()
        .any(|c| (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{fffe}')
    {
        xml.open("Name Encoded=\"true\"")
            .text(&wire::uri_encode(name.as_bytes(), true))
            .close("Name");
    } else {
        xml.element("Name", name);
    }
}

/// The blob's Content-MD5: the MD5 of its bytes, base64.
fn content_md5(bytes: &[u8]) -> String {
    use md5::Digest as _;
    BASE64.encode(md5::Md5::digest(bytes))
}

/// List Blobs.
async fn blobs(bucket: &Arc<Bucket>, query: &Query) -> Response {
    if query.text("restype") != Ok(Some("container")) || query.text("comp") != Ok(Some("list")) {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidQueryParameterValue",
            "Value for one of the query parameters specified in the request URI is invalid.",
        );
    }
    let text = |name: &str| query.text(name).ok().flatten();
    let prefix = text("prefix").unwrap_or("");
    let delimiter = text("delimiter").filter(|d| !d.is_empty());
    let max = match text("maxresults").map(str::parse::<usize>) {
        None => MAX_RESULTS,
        Some(Ok(n)) if (1..=MAX_RESULTS).contains(&n) => n,
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "OutOfRangeQueryParameterValue",
                "One of the query parameters specified in the request URI is outside the permissible range.",
            );
        }
    };
    // The marker is the last entry listed; startFrom is inclusive: the key before it.
    let marker = text("marker").filter(|m| !m.is_empty());
    let from = text("startFrom");
    let Ok(keys) = bucket.keys().await else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "The keys could not be indexed.",
        );
    };
    let after = marker.map(str::to_string).or_else(|| {
        // Everything at or after startFrom: list after the greatest key below it.
        from.map(|f| {
            let position = keys.first_not_below(f);
            if position == 0 {
                String::new()
            } else {
                keys.key(position - 1).to_string()
            }
        })
    });
    let page = {
        let deleted = bucket.deleted.read().unwrap_or_else(|e| e.into_inner());
        keys.list(
            ListQuery {
                prefix,
                delimiter,
                after: after.as_deref().filter(|a| !a.is_empty()),
                max,
            },
            |id| deleted.contains(&id),
        )
    };
    let mut xml = Xml::bare("EnumerationResults");
    xml.element("Prefix", prefix)
        .element("MaxResults", &max.to_string());
    if let Some(delimiter) = delimiter {
        xml.element("Delimiter", delimiter);
    }
    xml.open("Blobs");
    for entry in &page.entries {
        match entry {
            Entry::Prefix(common) => {
                xml.open("BlobPrefix");
                name_element(&mut xml, common);
                xml.close("BlobPrefix");
            }
            Entry::Object(position) => {
                let object = super::Object::of(&bucket.dataset, keys.id(*position));
                let dataset = &bucket.dataset;
                xml.open("Blob");
                name_element(&mut xml, keys.key(*position));
                xml.open("Properties")
                    .element(
                        "Last-Modified",
                        &wire::http_date(object.last_modified(dataset)),
                    )
                    .element("Etag", &object.etag(dataset))
                    .element("Content-Length", &object.size(dataset).to_string())
                    .element("Content-Type", object.content_type(dataset))
                    .element("BlobType", "BlockBlob")
                    .element("AccessTier", "Hot")
                    .element("LeaseStatus", "unlocked")
                    .close("Properties")
                    .close("Blob");
            }
        }
    }
    xml.close("Blobs");
    let next = page
        .truncated
        .then(|| page.entries.last().map(|e| keys.entry_text(e).to_string()))
        .flatten()
        .unwrap_or_default();
    xml.element("NextMarker", &next);
    wire::xml_response(StatusCode::OK, xml.finish("EnumerationResults"))
}

/// Get Blob Properties (HEAD) and Get Blob, ranged.
async fn blob(bucket: &Arc<Bucket>, method: &Method, headers: &HeaderMap, name: &str) -> Response {
    let Ok(keys) = bucket.keys().await else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "The keys could not be indexed.",
        );
    };
    let Some(object) = keys
        .find(name)
        .map(|position| keys.id(position))
        .filter(|&id| !bucket.is_deleted(id))
        .map(|id| super::Object::of(&bucket.dataset, id))
    else {
        return error(
            StatusCode::NOT_FOUND,
            "BlobNotFound",
            "The specified blob does not exist.",
        );
    };
    let dataset = &bucket.dataset;
    let etag = object.etag(dataset);
    let size = object.size(dataset);
    if let Some(wanted) = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok())
        && wanted != etag
        && wanted != "*"
    {
        return error(
            StatusCode::PRECONDITION_FAILED,
            "ConditionNotMet",
            "The condition specified using HTTP conditional header(s) is not met.",
        );
    }
    let (start, end) = match content::wanted(headers, &etag, size) {
        Wanted::Unsatisfiable => {
            let mut response = error(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "InvalidRange",
                "The range specified is invalid for the current size of the resource.",
            );
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return response;
        }
        Wanted::Whole => (0, size),
        Wanted::Part(first, last) => (first, last + 1),
    };
    let partial = (start, end) != (0, size);
    let bytes = object.content(dataset);
    // The MD5 of the whole blob, as Azure keeps it for a blob uploaded whole (here for
    // blobs up to 16 MiB, so a HEAD of a large one stays cheap).
    let md5 = if size <= 16 << 20 {
        let whole = bytes.clone();
        common::blocking(move || content_md5(&whole.to_vec()))
            .await
            .ok()
    } else {
        None
    };
    let mut response = content::stream(bytes, start, end, method, bucket.bandwidth);
    let out = response.headers_mut();
    let mut set = |name: HeaderName, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            out.insert(name, value);
        }
    };
    if partial {
        set(
            header::CONTENT_RANGE,
            &format!("bytes {start}-{}/{size}", end - 1),
        );
    }
    set(header::CONTENT_TYPE, object.content_type(dataset));
    set(header::ETAG, &etag);
    set(
        header::LAST_MODIFIED,
        &wire::http_date(object.last_modified(dataset)),
    );
    set(header::ACCEPT_RANGES, "bytes");
    if let Some(md5) = &md5 {
        set(
            HeaderName::from_static(if partial {
                "x-ms-blob-content-md5"
            } else {
                "content-md5"
            }),
            md5,
        );
    }
    for (name, value) in [
        ("x-ms-blob-type", "BlockBlob"),
        ("x-ms-access-tier", "Hot"),
        ("x-ms-lease-status", "unlocked"),
        ("x-ms-lease-state", "available"),
        ("x-ms-server-encrypted", "true"),
    ] {
        set(HeaderName::from_static(name), value);
    }
    for (name, value) in object.metadata(dataset) {
        if let Ok(name) = HeaderName::from_bytes(format!("x-ms-meta-{name}").as_bytes()) {
            set(name, value);
        }
    }
    if partial {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
    }
    response.into_response()
}
