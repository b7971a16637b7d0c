//! Decoders never panic, whatever a server sends: random bytes, random JSON in each dialect's
//! envelope, records built from each dialect's own field names and types (right, wrong,
//! missing, hostile) in that dialect's own envelope, and the spec's fixtures cut and corrupted
//! at random, each decoded for random page requests. Four properties of 256 inputs each run
//! with every `cargo test`; `FUZZ_CASES=N` searches deeper. Failing inputs are kept by
//! proptest in `tests/proptest-regressions/fuzz_decoders.txt` (the corpus) and replayed first.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use filescope::api::ListQuery;
use filescope::api::dialect::{Dialect, PageRequest, by_id, ids};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const FIXTURES: [&[u8]; 10] = [
    include_bytes!("../fixtures/filejar_page.json"),
    include_bytes!("../fixtures/openwebui_page.json"),
    include_bytes!("../fixtures/openwebui_legacy_list.json"),
    include_bytes!("../fixtures/openwebui_search_nomatch.json"),
    include_bytes!("../fixtures/flextell_page.json"),
    include_bytes!("../fixtures/flextell_error.json"),
    include_bytes!("../fixtures/fileguard_page.json"),
    include_bytes!("../fixtures/fileguard_error.json"),
    include_bytes!("../fixtures/astracollab_page.json"),
    include_bytes!("../fixtures/astracollab_error.json"),
];

/// Feeds one body to every decoder of every dialect, as a page (of a plain listing and of a
/// search, for the pages asked) and as an error, a single record and a list of folders or
/// contexts.
fn decode_everything(body: &[u8], pages: &[PageRequest]) {
    for id in ids() {
        decode_as(id, body, pages);
    }
}

/// Every decoder of one dialect.
fn decode_as(id: &str, body: &[u8], pages: &[PageRequest]) {
    let d = by_id(id).unwrap();
    let mut search = ListQuery::new(d.capabilities().default_sort);
    search.search = "x".into();
    for query in [ListQuery::new(d.capabilities().default_sort), search] {
        for &request in pages {
            if let Ok(decoded) = d.decode_page(&query, request, body, Default::default()) {
                for r in &decoded.records {
                    // Whatever was decoded can be drawn and printed.
                    let _ = filescope::text::sanitize(&r.name);
                    let _ = r.latest_date();
                }
            }
        }
    }
    let _ = d.decode_error(body);
    let _ = d.decode_detail(body);
    let _ = d.decode_scopes(body);
    let _ = d.error_means_empty(&ListQuery::new(d.capabilities().default_sort), 404, body);
    // What a list answer that did not decode is read as (the wrong-dialect hint).
    let _ = filescope::api::envelope::list_dialect(body);
}

/// Page requests as the explorer makes them: any page size up to the largest an API takes
/// (1,000), any page number up to the last of a listing of 10^18 files (a hostile total).
fn page_request() -> impl Strategy<Value = PageRequest> {
    (1usize..=1_000)
        .prop_flat_map(|size| {
            let last = 1_000_000_000_000_000_000 / size;
            (
                prop_oneof![Just(1usize), 1usize..100, 1usize..=last, Just(last)],
                Just(size),
            )
        })
        .prop_map(|(number, size)| PageRequest { number, size })
}

/// The built-in dialects whose record fields are written out below.
const DIALECTS: [&str; 5] = [
    "filejar",
    "openwebui",
    "flextell",
    "fileguard",
    "astracollab",
];

/// What a field holds in a dialect's records.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Text,
    Int,
    Date,
    UnixTime,
    Url,
    Object(&'static [(&'static str, Kind)]),
}

const WEBUI_META: &[(&str, Kind)] = &[
    ("name", Kind::Text),
    ("content_type", Kind::Text),
    ("size", Kind::Int),
    ("file_hash", Kind::Text),
];
const WEBUI_DATA: &[(&str, Kind)] = &[("status", Kind::Text), ("content", Kind::Text)];
const ASTRA_METADATA: &[(&str, Kind)] = &[("width", Kind::Int), ("height", Kind::Int)];

/// Each dialect's record fields, as its spec (and `tests/fixtures`) has them.
fn record_fields(dialect: &str) -> &'static [(&'static str, Kind)] {
    match dialect {
        "filejar" => &[
            ("id", Kind::Text),
            ("key", Kind::Text),
            ("url", Kind::Url),
            ("file_name", Kind::Text),
            ("content_type", Kind::Text),
            ("size", Kind::Int),
            ("acknowledged_at", Kind::Date),
            ("created_at", Kind::Date),
            ("updated_at", Kind::Date),
        ],
        "openwebui" => &[
            ("id", Kind::Text),
            ("user_id", Kind::Text),
            ("hash", Kind::Text),
            ("filename", Kind::Text),
            ("path", Kind::Text),
            ("meta", Kind::Object(WEBUI_META)),
            ("data", Kind::Object(WEBUI_DATA)),
            ("created_at", Kind::UnixTime),
            ("updated_at", Kind::UnixTime),
        ],
        "flextell" => &[
            ("id", Kind::Int),
            ("name", Kind::Text),
            ("mime_type", Kind::Text),
            ("size", Kind::Int),
            ("type", Kind::Text),
            ("fileable_type", Kind::Text),
            ("fileable_id", Kind::Int),
            ("temporary_url", Kind::Url),
            ("temporary_thumbnail_url", Kind::Url),
            ("created_at", Kind::Date),
            ("updated_at", Kind::Date),
            ("deleted_at", Kind::Date),
        ],
        "fileguard" => &[
            ("file_id", Kind::Text),
            ("original_filename", Kind::Text),
            ("content_type", Kind::Text),
            ("size_bytes", Kind::Int),
            ("context_key", Kind::Text),
            ("uploaded_by", Kind::Text),
            ("download_count", Kind::Int),
            ("checksum", Kind::Text),
            ("created_at", Kind::Date),
            ("updated_at", Kind::Date),
            ("last_downloaded_at", Kind::Date),
        ],
        _ => &[
            ("id", Kind::Text),
            ("name", Kind::Text),
            ("type", Kind::Text),
            ("size", Kind::Int),
            ("folderId", Kind::Text),
            ("url", Kind::Url),
            ("uploadedAt", Kind::Date),
            ("updatedAt", Kind::Date),
            ("metadata", Kind::Object(ASTRA_METADATA)),
        ],
    }
}

/// A value of the field's own kind, mostly well-formed, sometimes at its edges.
fn value_of(kind: Kind) -> BoxedStrategy<Value> {
    match kind {
        Kind::Text => prop_oneof![
            "[a-z0-9._ -]{0,24}".prop_map(Value::from),
            ".{0,40}".prop_map(Value::from),
            Just(Value::from("\u{1b}]52;c;ZXZpbA==\u{7}")),
            Just(Value::from("invoice\u{202e}fdp.exe")),
        ]
        .boxed(),
        Kind::Int => prop_oneof![
            (0u64..10_000_000_000).prop_map(Value::from),
            Just(Value::from(u64::MAX)),
            Just(Value::from(-1)),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ]
        .boxed(),
        Kind::Date => prop_oneof![
            (0i64..4_000_000_000).prop_map(|t| {
                Value::from(
                    chrono::DateTime::from_timestamp(t, 0)
                        .unwrap()
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                )
            }),
            Just(Value::from("2024-02-30T25:61:00Z")),
            Just(Value::from("yesterday")),
            (0i64..4_000_000_000).prop_map(Value::from),
        ]
        .boxed(),
        Kind::UnixTime => prop_oneof![
            (0i64..4_000_000_000).prop_map(Value::from),
            Just(Value::from(i64::MAX)),
            Just(Value::from(-5)),
            Just(Value::from("2024-03-02T09:14:58Z")),
        ]
        .boxed(),
        Kind::Url => prop_oneof![
            "[a-z]{1,8}"
                .prop_map(|p| Value::from(format!("https://cdn.example.test/{p}?signature=x"))),
            Just(Value::from("/relative/path")),
            Just(Value::from("not a url")),
            Just(Value::from("javascript:alert(1)")),
        ]
        .boxed(),
        Kind::Object(fields) => object_of(fields),
    }
}

/// An object of these fields: each present with a value of its kind (mostly), of another
/// kind, null, or missing; sometimes an extra field.
fn object_of(fields: &'static [(&'static str, Kind)]) -> BoxedStrategy<Value> {
    let each: Vec<BoxedStrategy<Option<(String, Value)>>> = fields
        .iter()
        .map(|&(name, kind)| {
            prop_oneof![
                6 => value_of(kind).prop_map(move |v| Some((name.to_string(), v))),
                1 => json_value().prop_map(move |v| Some((name.to_string(), v))),
                1 => Just(Some((name.to_string(), Value::Null))),
                1 => Just(None),
            ]
            .boxed()
        })
        .collect();
    (each, prop::option::of(("[a-z_]{1,10}", json_value())))
        .prop_map(|(present, extra)| {
            let mut object: Map<String, Value> = present.into_iter().flatten().collect();
            if let Some((k, v)) = extra {
                object.entry(k).or_insert(v);
            }
            Value::Object(object)
        })
        .boxed()
}

/// A page in the dialect's own envelope, its paging fields typed as the spec says (or not).
fn dialect_page(dialect: &'static str) -> BoxedStrategy<Value> {
    let records = prop::collection::vec(object_of(record_fields(dialect)), 0..6);
    let count = || {
        prop_oneof![
            4 => (0u64..1_000_000).prop_map(Value::from),
            1 => json_value(),
        ]
    };
    let flag = || prop_oneof![4 => any::<bool>().prop_map(Value::from), 1 => json_value()];
    match dialect {
        "filejar" => (records, count(), count(), flag())
            .prop_map(|(files, total, page, has_next)| {
                json!({"success": true, "org_name": "Org", "files": files,
                    "pagination": {"page": page, "limit": 50, "total": total, "has_next": has_next}})
            })
            .boxed(),
        "openwebui" => (records, count(), any::<bool>())
            .prop_map(|(items, total, bare)| {
                if bare {
                    Value::Array(items)
                } else {
                    json!({"items": items, "total": total})
                }
            })
            .boxed(),
        "flextell" => (records, count(), count(), count())
            .prop_map(|(data, total, current, last)| {
                json!({"data": data,
                    "links": {"first": "https://x.test/v1/files?page=1", "next": "https://x.test/v1/files?page=2"},
                    "meta": {"current_page": current, "last_page": last, "per_page": 50, "total": total}})
            })
            .boxed(),
        "fileguard" => (records, count(), count(), flag())
            .prop_map(|(data, total_items, page, has_next)| {
                json!({"status": "SUCCESS", "data": {"data": data,
                    "pagination": {"page": page, "page_size": 50, "total_items": total_items,
                        "total_pages": 3, "has_next": has_next}}})
            })
            .boxed(),
        _ => (records, count(), count(), flag())
            .prop_map(|(files, total, page, has_next)| {
                json!({"success": true, "data": {"files": files,
                    "pagination": {"page": page, "limit": 50, "total": total, "hasNext": has_next}}})
            })
            .boxed(),
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::from),
        Just(Value::from("2024-02-30T25:61:00Z")),
        Just(Value::from("\u{1b}]52;c;ZXZpbA==\u{7}")),
        Just(Value::from(-1)),
        Just(Value::from(u64::MAX)),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("id".to_string()),
                    Just("name".to_string()),
                    Just("size".to_string()),
                    Just("file_name".to_string()),
                    Just("meta".to_string()),
                    Just("created_at".to_string()),
                    Just("uploadedAt".to_string()),
                    Just("total".to_string()),
                    "[a-z_]{1,12}",
                ],
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Random records inside each dialect's own envelope, so decoding gets past the envelope.
fn envelopes(records: Vec<Value>, extra: Value) -> Vec<Value> {
    vec![
        json!({"files": records, "pagination": extra, "org_name": extra}),
        json!({"items": records, "total": extra}),
        Value::Array(records.clone()),
        json!({"data": records, "links": extra, "meta": extra}),
        json!({"status": "SUCCESS", "data": {"data": records, "pagination": extra}}),
        json!({"success": true, "data": {"files": records, "pagination": extra, "folders": records}}),
        json!({"detail": extra, "error": extra, "message": extra, "errors": extra}),
        json!({"success": "true", "data": records.first().cloned().unwrap_or(Value::Null)}),
    ]
}

proptest! {
    // 256 inputs per property in every test run; FUZZ_CASES=100000 for a deeper search.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256),
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_bytes(
        body in prop::collection::vec(any::<u8>(), 0..512),
        pages in prop::collection::vec(page_request(), 1..3),
    ) {
        decode_everything(&body, &pages);
    }

    #[test]
    fn random_records_in_real_envelopes(
        records in prop::collection::vec(json_value(), 0..6),
        extra in json_value(),
        pages in prop::collection::vec(page_request(), 1..3),
    ) {
        for envelope in envelopes(records, extra) {
            decode_everything(envelope.to_string().as_bytes(), &pages);
        }
    }

    /// Records made of each dialect's own fields, in its own envelope: what gets past the
    /// envelope and into the field decoders.
    #[test]
    fn dialect_records_with_right_and_wrong_fields(
        (dialect, page) in (0..DIALECTS.len())
            .prop_flat_map(|i| (Just(DIALECTS[i]), dialect_page(DIALECTS[i]))),
        pages in prop::collection::vec(page_request(), 1..3),
    ) {
        let body = page.to_string();
        // In every dialect's decoder, its own shape and the others'.
        decode_as(dialect, body.as_bytes(), &pages);
        decode_everything(body.as_bytes(), &pages[..1]);
    }

    #[test]
    fn fixtures_cut_and_corrupted(
        which in 0..FIXTURES.len(),
        cut in any::<prop::sample::Index>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        pages in prop::collection::vec(page_request(), 1..3),
    ) {
        let mut body = FIXTURES[which].to_vec();
        for (at, byte) in flips {
            let i = at.index(body.len());
            body[i] = byte;
        }
        let end = cut.index(body.len() + 1);
        decode_everything(&body[..end], &pages);
    }
}

/// The generator does reach the fields each dialect reads: a page built from a dialect's own
/// fields decodes in that dialect into records that carry them (checked on a sample, so a
/// generator that drifted from the spec's names fails here rather than fuzzing nothing).
#[test]
fn generated_pages_reach_each_dialects_fields() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    for dialect in DIALECTS {
        let d = by_id(dialect).unwrap();
        let strategy = dialect_page(dialect);
        let (mut named, mut sized) = (0, 0);
        for _ in 0..200 {
            let page = strategy.new_tree(&mut runner).unwrap().current();
            let decoded = d.decode_page(
                &ListQuery::new(d.capabilities().default_sort),
                PageRequest {
                    number: 1,
                    size: 50,
                },
                page.to_string().as_bytes(),
                Default::default(),
            );
            if let Ok(decoded) = decoded {
                named += decoded
                    .records
                    .iter()
                    .filter(|r| !r.name.is_empty())
                    .count();
                sized += decoded.records.iter().filter(|r| r.size.is_some()).count();
            }
        }
        assert!(
            named > 50,
            "{dialect}: names decoded from generated records: {named}"
        );
        assert!(
            sized > 50,
            "{dialect}: sizes decoded from generated records: {sized}"
        );
    }
}

#[test]
fn every_fixture_decodes_in_its_own_dialect() {
    // The corruption above starts from bodies that really do decode.
    let pairs = [
        ("filejar", 0),
        ("openwebui", 1),
        ("openwebui", 2),
        ("flextell", 4),
        ("fileguard", 6),
        ("astracollab", 8),
    ];
    for (id, i) in pairs {
        let d: std::sync::Arc<dyn Dialect> = by_id(id).unwrap();
        let page = d
            .decode_page(
                &ListQuery::new(d.capabilities().default_sort),
                PageRequest {
                    number: 1,
                    size: 50,
                },
                FIXTURES[i],
                Default::default(),
            )
            .unwrap();
        assert!(!page.records.is_empty(), "{id}");
    }
}

// ---- S3's XML, the declared engine and the six shipped shapes ----

/// The decoders beyond the five seed dialects: S3 (one bucket, folders on and off) and every
/// shape shipped in docs/dialects (the declared engine: page numbers, offsets, cursors, next
/// links, `Link` headers, every field format they declare).
fn more_decoders() -> Vec<(String, std::sync::Arc<dyn Dialect>)> {
    use filescope::api::s3::{S3, Settings};
    let mut out: Vec<(String, std::sync::Arc<dyn Dialect>)> = Vec::new();
    for levels in [true, false] {
        let s3 = S3::new(Settings {
            bucket: "bucket".into(),
            root: "data/".into(),
            signer: filescope::api::s3::credentials::Signer::unsigned("no credentials"),
            region: "us-east-1".into(),
            endpoint: Some("http://127.0.0.1:9".parse().unwrap()),
            path_style: None,
            levels,
        });
        out.push((format!("s3 levels={levels}"), std::sync::Arc::new(s3)));
    }
    // Azure: a container one level at a time and whole, and an account (its containers).
    for (url, levels) in [
        ("az://acct/data/", true),
        ("az://acct/data/", false),
        ("az://acct/", true),
    ] {
        let conn = (filescope::api::azure::FAMILY.connect)(&filescope::api::family::Location {
            url: filescope::api::url::parse_url(url).unwrap(),
            endpoint: Some("http://127.0.0.1:9".into()),
            region: None,
            credentials: filescope::api::family::Credentials::Unsigned,
            path_style: None,
            levels,
        })
        .unwrap();
        out.push((format!("azure {url} levels={levels}"), conn.dialect));
    }
    for (name, _) in filescope::config::EXAMPLE_DIALECTS {
        out.push((
            name.to_string(),
            filescope::config::example_dialect(name).unwrap(),
        ));
    }
    // GCS last, so the shapes keep their places.
    for levels in [true, false] {
        use filescope::api::gcs::credentials::{Source, Tokens};
        let gcs = filescope::api::gcs::Gcs::new(filescope::api::gcs::Settings {
            bucket: "bucket".into(),
            root: "data/".into(),
            endpoint: "http://127.0.0.1:9".parse().unwrap(),
            tokens: std::sync::Arc::new(Tokens::new(Source::Anonymous("none".into()))),
            levels,
        });
        out.push((format!("gcs levels={levels}"), std::sync::Arc::new(gcs)));
    }
    out
}

/// An `objects.list` answer of GCS's own fields, right and wrong (sizes as strings, as
/// numbers, as anything), cut anywhere.
fn gcs_answer() -> impl Strategy<Value = String> {
    let item = (
        prop_oneof!["data/[a-z./]{0,10}".prop_map(Value::from), json_value()],
        prop_oneof!["[0-9]{1,8}".prop_map(Value::from), json_value()],
        prop_oneof![
            "2024-01-02T03:04:05.000Z".prop_map(Value::from),
            json_value()
        ],
        prop_oneof![
            "[A-Za-z0-9+/]{0,24}={0,2}".prop_map(Value::from),
            json_value()
        ],
    )
        .prop_map(|(name, size, updated, md5)| {
            serde_json::json!({"kind": "storage#object", "name": name, "size": size,
                "updated": updated, "timeCreated": updated, "md5Hash": md5, "crc32c": "4waSgw=="})
        });
    (
        prop::collection::vec(item, 0..6),
        prop::collection::vec(
            prop_oneof!["data/[a-z.]{0,4}/".prop_map(Value::from), json_value()],
            0..4,
        ),
        prop_oneof![
            Just(Value::Null),
            "[A-Za-z0-9_-]{0,12}".prop_map(Value::from),
            json_value()
        ],
        any::<prop::sample::Index>(),
        any::<bool>(),
    )
        .prop_map(|(items, prefixes, token, cut, whole)| {
            let body = serde_json::json!({"kind": "storage#objects", "items": items,
                "prefixes": prefixes, "nextPageToken": token})
            .to_string();
            if whole {
                body
            } else {
                let at = cut.index(body.len() + 1);
                String::from_utf8_lossy(&body.as_bytes()[..at]).into_owned()
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256),
        ..ProptestConfig::default()
    })]

    /// GCS answers made of GCS's own fields through every decoder, the GCS ones first.
    #[test]
    fn gcs_answers_right_and_wrong(
        body in gcs_answer(),
        pages in prop::collection::vec(page_request(), 1..3),
    ) {
        let headers = reqwest::header::HeaderMap::new();
        for (_, d) in more_decoders().iter().rev() {
            decode_answer_as(d.as_ref(), body.as_bytes(), &headers, &pages);
        }
    }
}

/// The GCS generator reaches the decoder: most whole answers decode into records.
#[test]
fn generated_gcs_answers_decode_into_records() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let decoders = more_decoders();
    let gcs = &decoders[decoders.len() - 1].1;
    let request = [PageRequest {
        number: 1,
        size: 50,
    }];
    let none = reqwest::header::HeaderMap::new();
    let mut records = 0;
    for _ in 0..200 {
        let body = gcs_answer().new_tree(&mut runner).unwrap().current();
        records += decode_answer_as(gcs.as_ref(), body.as_bytes(), &none, &request);
    }
    assert!(
        records > 50,
        "GCS records decoded from generated answers: {records}"
    );
}

/// Feeds one answer, with its headers, to every decoder of `d`.
fn decode_answer_as(
    d: &dyn Dialect,
    body: &[u8],
    headers: &reqwest::header::HeaderMap,
    pages: &[PageRequest],
) -> usize {
    let mut decoded = 0;
    let mut search = ListQuery::new(d.capabilities().default_sort);
    search.search = "x".into();
    for query in [ListQuery::new(d.capabilities().default_sort), search] {
        for &request in pages {
            if let Ok(page) = d.decode_answer(&query, request, headers, body, Default::default()) {
                decoded += page.records.len();
                for r in &page.records {
                    let _ = filescope::text::sanitize(&r.name);
                    let _ = r.latest_date();
                }
            }
            let _ = d.peek_next(request, headers, body);
        }
    }
    let _ = d.decode_error(body);
    let _ = d.decode_detail(body);
    decoded
}

/// A `Link` header as servers write it, and as they get it wrong.
fn link_header() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        "[ -~]{0,80}".prop_map(Some),
        (1u64..u64::MAX, 1u64..1000).prop_map(|(page, size)| Some(format!(
            "<http://127.0.0.1:9/x?page={page}&per_page={size}>; rel=\"next\", <http://127.0.0.1:9/x?page={}>; rel=\"last\"",
            page.saturating_add(9)
        ))),
        Just(Some("<>; rel=next".to_string())),
        Just(Some("<http://other.example/x?page=2>; rel=\"next\"; rel=\"last\",,<".to_string())),
    ]
}

fn headers_with(link: &Option<String>) -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(link) = link
        && let Ok(value) = reqwest::header::HeaderValue::from_str(link)
    {
        headers.insert("link", value);
    }
    headers
}

/// Text for XML elements: plain, hostile, entities good and bad, markup that does not close.
fn xml_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9/._ -]{0,24}",
        ".{0,24}".prop_map(|s| s.replace('<', "&lt;").replace('&', "&amp;")),
        Just("data/a%2Fb%FF%ZZ".to_string()),
        Just("&#x1b;]52;c;ZXZpbA==&#x7;".to_string()),
        Just("&#xD800;&#0;&bogus;&#x110000;".to_string()),
        Just("<![CDATA[x]]>".to_string()),
        Just("2024-02-30T25:61:00.000Z".to_string()),
        Just("-1".to_string()),
        Just("18446744073709551616".to_string()),
        Just("<Key>".to_string()),
    ]
}

/// A List Blobs or List Containers answer built of Azure's own elements, right and wrong.
fn azure_answer() -> impl Strategy<Value = String> {
    let blob = (xml_text(), xml_text(), xml_text(), any::<bool>()).prop_map(|(n, s, d, enc)| {
        let encoded = if enc { " Encoded=\"true\"" } else { "" };
        format!(
            "<Blob><Name{encoded}>{n}</Name><Properties><Content-Length>{s}</Content-Length><Last-Modified>{d}</Last-Modified><Content-MD5>{s}</Content-MD5></Properties></Blob>"
        )
    });
    let prefix = xml_text().prop_map(|p| format!("<BlobPrefix><Name>{p}</Name></BlobPrefix>"));
    let container =
        xml_text().prop_map(|c| format!("<Container><Name>{c}</Name><Properties/></Container>"));
    (
        prop::collection::vec(prop_oneof![blob, prefix], 0..8),
        prop::collection::vec(container, 0..4),
        prop::option::of(xml_text()),
        prop::option::of(any::<prop::sample::Index>()),
    )
        .prop_map(|(items, containers, marker, cut)| {
            let marker = marker
                .map(|m| format!("<NextMarker>{m}</NextMarker>"))
                .unwrap_or_default();
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults ServiceEndpoint=\"http://127.0.0.1:9/acct\"><Blobs>{}</Blobs><Containers>{}</Containers>{marker}</EnumerationResults>",
                items.concat(),
                containers.concat()
            );
            match cut {
                Some(at) => body[..body.floor_char_boundary(at.index(body.len() + 1))].to_string(),
                None => body,
            }
        })
}

/// A ListObjectsV2 answer built of S3's own elements, right and wrong.
fn s3_answer() -> impl Strategy<Value = String> {
    let object = (xml_text(), xml_text(), xml_text(), xml_text()).prop_map(|(k, s, d, e)| {
        format!(
            "<Contents><Key>{k}</Key><Size>{s}</Size><LastModified>{d}</LastModified><ETag>{e}</ETag><StorageClass>STANDARD</StorageClass></Contents>"
        )
    });
    let prefix =
        xml_text().prop_map(|p| format!("<CommonPrefixes><Prefix>{p}</Prefix></CommonPrefixes>"));
    (
        prop::collection::vec(prop_oneof![object, prefix], 0..8),
        prop_oneof![Just("true"), Just("false"), Just("maybe")],
        prop::option::of(xml_text()),
        any::<bool>(),
        prop::option::of(any::<prop::sample::Index>()),
    )
        .prop_map(|(items, truncated, token, encoded, cut)| {
            let token = token
                .map(|t| format!("<NextContinuationToken>{t}</NextContinuationToken>"))
                .unwrap_or_default();
            let encoding = if encoded { "<EncodingType>url</EncodingType>" } else { "" };
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>bucket</Name>{encoding}<IsTruncated>{truncated}</IsTruncated>{token}{}</ListBucketResult>",
                items.concat()
            );
            match cut {
                Some(at) => body[..body.floor_char_boundary(at.index(body.len() + 1))].to_string(),
                None => body,
            }
        })
}

/// Sets `value` at a dotted path (`meta.total`, `errors.0.detail`) of `root`, making objects
/// on the way; the empty path is the root itself.
fn set_path(root: &mut Value, path: &str, value: Value) {
    if path.is_empty() {
        *root = value;
        return;
    }
    let mut at = root;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        if !at.is_object() {
            *at = Value::Object(Map::new());
        }
        let map = at.as_object_mut().unwrap();
        if i + 1 == parts.len() {
            map.insert(part.to_string(), value);
            return;
        }
        at = map
            .entry(part.to_string())
            .or_insert(Value::Object(Map::new()));
    }
}

/// A shape's definition read from its shipped TOML: where records, fields, totals, cursors
/// and next links sit.
struct ShapePaths {
    records: String,
    fields: Vec<String>,
    others: Vec<String>,
}

fn shape_paths(name: &str) -> ShapePaths {
    let (_, text) = filescope::config::EXAMPLE_DIALECTS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap();
    let doc: toml::Table = toml::from_str(text).unwrap();
    let def = doc["dialects"][name].as_table().unwrap();
    let text_of = |v: &toml::Value| -> Option<String> {
        v.as_str()
            .map(str::to_string)
            .or_else(|| v.get("path").and_then(|p| p.as_str()).map(str::to_string))
    };
    let fields = def["fields"]
        .as_table()
        .unwrap()
        .values()
        .filter_map(text_of)
        .collect();
    let mut others: Vec<String> = ["total", "error_message"]
        .iter()
        .filter_map(|k| def.get(*k).and_then(text_of))
        .collect();
    if let Some(paging) = def.get("paging").and_then(|p| p.as_table()) {
        for key in ["cursor", "next", "has_more", "cursor_from_last"] {
            if let Some(path) = paging.get(key).and_then(text_of) {
                others.push(path);
            }
        }
    }
    ShapePaths {
        records: def
            .get("records")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string(),
        fields,
        others,
    }
}

/// A page in a shape's own envelope: records made of its declared field paths holding values
/// of every kind, and its total, cursor and next link holding the same.
fn shape_page(name: &'static str) -> BoxedStrategy<Value> {
    let paths = shape_paths(name);
    let field_count = paths.fields.len();
    let other_count = paths.others.len();
    (
        prop::collection::vec(prop::collection::vec(json_value(), field_count), 0..6),
        prop::collection::vec(json_value(), other_count),
    )
        .prop_map(move |(records, others)| {
            let paths = shape_paths(name);
            let records: Vec<Value> = records
                .into_iter()
                .map(|values| {
                    let mut record = Value::Object(Map::new());
                    for (path, value) in paths.fields.iter().zip(values) {
                        set_path(&mut record, path, value);
                    }
                    record
                })
                .collect();
            let mut page = Value::Object(Map::new());
            for (path, value) in paths.others.iter().zip(others) {
                set_path(&mut page, path, value);
            }
            set_path(&mut page, &paths.records, Value::Array(records));
            page
        })
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256),
        ..ProptestConfig::default()
    })]

    /// Random bytes and random headers through S3 and every shape.
    #[test]
    fn random_bytes_through_s3_and_the_declared_shapes(
        body in prop::collection::vec(any::<u8>(), 0..512),
        link in link_header(),
        pages in prop::collection::vec(page_request(), 1..3),
    ) {
        let headers = headers_with(&link);
        for (_, d) in more_decoders() {
            decode_answer_as(d.as_ref(), &body, &headers, &pages);
        }
    }

    /// S3 answers made of S3's own elements, cut anywhere, through the S3 decoder (and, as
    /// bytes that are not JSON, every shape).
    #[test]
    fn s3_answers_right_and_wrong(
        body in s3_answer(),
        pages in prop::collection::vec(page_request(), 1..3),
    ) {
        let headers = reqwest::header::HeaderMap::new();
        for (_, d) in more_decoders() {
            decode_answer_as(d.as_ref(), body.as_bytes(), &headers, &pages);
        }
    }

    /// Azure answers made of its own elements, cut anywhere, through every decoder here.
    #[test]
    fn azure_answers_right_and_wrong(
        body in azure_answer(),
        pages in prop::collection::vec(page_request(), 1..3),
    ) {
        let headers = reqwest::header::HeaderMap::new();
        for (_, d) in more_decoders() {
            decode_answer_as(d.as_ref(), body.as_bytes(), &headers, &pages);
        }
    }

    /// Pages in each shape's own envelope, with its field paths, totals, cursors and next
    /// links holding values of every kind, and a `Link` header right or wrong.
    #[test]
    fn shape_pages_with_right_and_wrong_fields(
        (which, page) in (0..6usize).prop_flat_map(|i| {
            let name = filescope::config::EXAMPLE_DIALECTS[i].0;
            (Just(i), shape_page(name))
        }),
        link in link_header(),
        pages in prop::collection::vec(page_request(), 1..3),
    ) {
        let body = page.to_string();
        let headers = headers_with(&link);
        let decoders = more_decoders();
        let (_, own) = &decoders[5 + which];
        decode_answer_as(own.as_ref(), body.as_bytes(), &headers, &pages);
        for (_, d) in &decoders {
            decode_answer_as(d.as_ref(), body.as_bytes(), &headers, &pages[..1]);
        }
    }
}

/// The generators reach what the decoders read: generated S3 answers and shape pages decode
/// into records in their own decoder (checked on a sample, so a generator that drifted from
/// the XML's element names or a shape's field paths fails here rather than fuzzing nothing).
#[test]
fn generated_s3_answers_and_shape_pages_decode_into_records() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let decoders = more_decoders();
    let request = [PageRequest {
        number: 1,
        size: 50,
    }];
    let none = reqwest::header::HeaderMap::new();
    let mut s3_records = 0;
    for _ in 0..200 {
        let body = s3_answer().new_tree(&mut runner).unwrap().current();
        s3_records += decode_answer_as(decoders[0].1.as_ref(), body.as_bytes(), &none, &request);
    }
    assert!(
        s3_records > 25,
        "S3 records decoded from generated answers: {s3_records}"
    );
    // The answers generated for Azure reach its records (a container's listing).
    let mut azure_records = 0;
    for _ in 0..200 {
        let body = azure_answer().new_tree(&mut runner).unwrap().current();
        azure_records += decode_answer_as(decoders[2].1.as_ref(), body.as_bytes(), &none, &request);
    }
    assert!(
        azure_records > 25,
        "Azure records decoded from generated answers: {azure_records}"
    );
    // S3 twice, Azure three times, the shapes, GCS twice.
    assert_eq!(
        decoders.len(),
        5 + filescope::config::EXAMPLE_DIALECTS.len() + 2
    );
    for (i, (name, _)) in filescope::config::EXAMPLE_DIALECTS.iter().enumerate() {
        let strategy = shape_page(name);
        let mut records = 0;
        for _ in 0..200 {
            let body = strategy
                .new_tree(&mut runner)
                .unwrap()
                .current()
                .to_string();
            records +=
                decode_answer_as(decoders[5 + i].1.as_ref(), body.as_bytes(), &none, &request);
        }
        assert!(
            records > 100,
            "{name}: records decoded from generated pages: {records}"
        );
    }
}
