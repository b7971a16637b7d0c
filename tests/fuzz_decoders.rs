//! Decoders never panic, whatever a server sends: random bytes, random JSON in each dialect's
//! envelope, and the spec's fixtures cut and corrupted at random. A bounded pass (proptest,
//! a few thousand inputs) runs with every `cargo test`; `FUZZ_CASES=N` searches deeper. Failing
//! inputs are kept by proptest in `tests/fuzz_decoders.proptest-regressions` (the corpus) and
//! replayed first.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use filescope::api::ListQuery;
use filescope::api::dialect::{Dialect, PageRequest, by_id, ids};
use proptest::prelude::*;
use serde_json::{Value, json};

const FIXTURES: [&[u8]; 10] = [
    include_bytes!("fixtures/filejar_page.json"),
    include_bytes!("fixtures/openwebui_page.json"),
    include_bytes!("fixtures/openwebui_legacy_list.json"),
    include_bytes!("fixtures/openwebui_search_nomatch.json"),
    include_bytes!("fixtures/flextell_page.json"),
    include_bytes!("fixtures/flextell_error.json"),
    include_bytes!("fixtures/fileguard_page.json"),
    include_bytes!("fixtures/fileguard_error.json"),
    include_bytes!("fixtures/astracollab_page.json"),
    include_bytes!("fixtures/astracollab_error.json"),
];

/// Feeds one body to every decoder of every dialect, as a page of a plain listing and of a
/// search, as an error, a single record and a list of folders or contexts.
fn decode_everything(body: &[u8]) {
    for id in ids() {
        let d = by_id(id).unwrap();
        let mut search = ListQuery::new(d.capabilities().default_sort);
        search.search = "x".into();
        for query in [ListQuery::new(d.capabilities().default_sort), search] {
            for page in [1, 7] {
                let request = PageRequest {
                    number: page,
                    size: 50,
                };
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
    // 512 inputs per property in every test run; FUZZ_CASES=100000 for a deeper search.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(512),
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
        decode_everything(&body);
    }

    #[test]
    fn random_records_in_real_envelopes(
        records in prop::collection::vec(json_value(), 0..6),
        extra in json_value(),
    ) {
        for envelope in envelopes(records, extra) {
            decode_everything(envelope.to_string().as_bytes());
        }
    }

    #[test]
    fn fixtures_cut_and_corrupted(
        which in 0..FIXTURES.len(),
        cut in any::<prop::sample::Index>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
    ) {
        let mut body = FIXTURES[which].to_vec();
        for (at, byte) in flips {
            let i = at.index(body.len());
            body[i] = byte;
        }
        let end = cut.index(body.len() + 1);
        decode_everything(&body[..end]);
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
