//! Every request each dialect builds, and how it reads a set of answers, written out as text
//! and compared with `conformance.txt`. The built-in dialects moved from hand-written code to
//! embedded definitions read by the declared engine; this pins them request for request (path,
//! parameters and their order) and answer for answer. After a deliberate change, write the file
//! again with `FILESCOPE_BLESS=1 cargo test --lib conformance` and read the diff.

use std::fmt::Write as _;
use std::sync::Arc;

use super::{Dialect, PageRequest, RequestSpec};
use crate::api::decode::Limits;
use crate::api::filter;
use crate::api::query::{ListQuery, Order, Sort, SortField};

const EXPECTED: &str = include_str!("conformance.txt");

/// The example shapes of docs/dialects/, parsed as the configuration file would.
fn examples() -> Vec<(String, Arc<dyn Dialect>)> {
    let texts = [
        include_str!("../../../docs/dialects/github.toml"),
        include_str!("../../../docs/dialects/drf.toml"),
        include_str!("../../../docs/dialects/stripe.toml"),
        include_str!("../../../docs/dialects/gdrive.toml"),
        include_str!("../../../docs/dialects/jsonapi.toml"),
        include_str!("../../../docs/dialects/box.toml"),
    ];
    #[derive(serde::Deserialize)]
    struct File {
        dialects: std::collections::BTreeMap<String, super::declared::Definition>,
    }
    texts
        .iter()
        .flat_map(|text| {
            let file: File = toml::from_str(text).unwrap();
            file.dialects.into_iter().map(|(name, def)| {
                def.check().unwrap();
                let d: Arc<dyn Dialect> = Arc::new(super::declared::Declared::new(&name, def));
                (name, d)
            })
        })
        .collect()
}

fn spec(out: &mut String, label: &str, spec: &RequestSpec) {
    let query: Vec<String> = spec.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let _ = writeln!(out, "  {label}: {} ? {}", spec.path, query.join("&"));
}

const FILTERS: [&str; 14] = [
    "",
    "report",
    "type:application/pdf",
    "type:image",
    "type:IMAGE/PNG",
    "type:certificate",
    "type:Document",
    "size>1KB size<=2MB",
    "size>1KB type:application/pdf size<5MB",
    "type:a/b type:c/d",
    "trashed:true fileable:customer#912 type:certificate",
    "fileable:customer",
    "context:patient uploaded_by:key_1",
    "folder:f_1 hero",
];

const ANSWERS: [&[u8]; 14] = [
    include_bytes!("../../../tests/fixtures/filejar_page.json"),
    include_bytes!("../../../tests/fixtures/flextell_page.json"),
    include_bytes!("../../../tests/fixtures/astracollab_page.json"),
    include_bytes!("../../../tests/fixtures/fileguard_page.json"),
    include_bytes!("../../../tests/fixtures/openwebui_page.json"),
    br#"{"success": false, "message": "org suspended"}"#,
    br#"{"success": false}"#,
    br#"{"status": "ERROR", "message": "bad"}"#,
    br#"{"files": [{"id": 1, "file_name": "a", "size": "x"}], "pagination": {"total": 9}}"#,
    br#"{"data": [{"id": 1, "name": "a"}], "links": {"next": null}, "meta": {"total": 1}}"#,
    br#"{"data": [{"id": 1, "name": "a"}], "meta": {"total": 5}}"#,
    br#"{"data": {"files": [{"id": "x", "name": "b"}], "pagination": {"total": 3}}}"#,
    br#"[]"#,
    br#"{"files": ["#,
];

const ERRORS: [&[u8]; 8] = [
    include_bytes!("../../../tests/fixtures/filejar_page.json"),
    include_bytes!("../../../tests/fixtures/flextell_error.json"),
    include_bytes!("../../../tests/fixtures/astracollab_error.json"),
    include_bytes!("../../../tests/fixtures/fileguard_error.json"),
    br#"{"success": false, "error": "unauthorized", "message": "Invalid API key"}"#,
    br#"{"message": "The given data was invalid.", "errors": {"per_page": ["max 100"]}}"#,
    br#"{"detail": [{"loc": ["query", "page"], "msg": "bad"}]}"#,
    b"<html>502</html>",
];

fn dump(name: &str, d: &dyn Dialect, out: &mut String) {
    let caps = d.capabilities();
    let _ = writeln!(out, "== {name}");
    let _ = writeln!(
        out,
        "  caps: id={} auth={:?} sorts={:?} default={} known={} search={:?} terms={:?} max={} ui={} prefix={:?}",
        caps.id,
        caps.auth,
        caps.sort_fields,
        caps.default_sort,
        caps.order_known,
        caps.search,
        caps.terms,
        caps.max_page_size,
        caps.ui_page_size,
        caps.path_prefix
    );
    let _ = writeln!(
        out,
        "  access={:?} other_origins={} filter_keys={:?} scope_kind={:?} counts={} checksum_in_detail={} auth_describe={:?} header={:?}",
        d.access(),
        d.follows_other_origins(),
        d.filter_keys(),
        d.scope_kind(),
        d.link_counts_as_download(),
        d.checksum_in_detail(),
        d.auth().describe(),
        d.auth().header("KEY"),
    );
    let pages = [
        PageRequest {
            number: 1,
            size: 100,
        },
        PageRequest {
            number: 3,
            size: 50,
        },
        PageRequest {
            number: 2,
            size: 1000,
        },
    ];
    for field in SortField::ALL {
        for order in [Order::Asc, Order::Desc] {
            for asked in [false, true] {
                let mut q = ListQuery::new(Sort { field, order });
                q.sort_asked = asked;
                spec(
                    out,
                    &format!("sort {field:?} {order:?} asked={asked}"),
                    &d.list_request(&q, pages[0]),
                );
            }
        }
    }
    for (i, text) in FILTERS.iter().enumerate() {
        let Ok(f) = filter::parse(text, &d.filter_keys()) else {
            let _ = writeln!(out, "  filter {text:?}: refused");
            continue;
        };
        let sorts = [
            None,
            Some(Sort {
                field: SortField::Name,
                order: Order::Asc,
            }),
            Some(caps.default_sort),
            Some(Sort {
                field: SortField::Type,
                order: Order::Desc,
            }),
        ];
        let plan = crate::api::plan(d, sorts[i % sorts.len()], &f);
        let _ = writeln!(
            out,
            "  filter {text:?} sort={:?}: local={:?}",
            sorts[i % sorts.len()],
            plan.local
        );
        for page in pages {
            spec(out, "    list", &d.list_request(&plan.server, page));
        }
        spec(
            out,
            "    continue",
            &d.continue_request(&plan.server, pages[1], "tok/1"),
        );
    }
    for id in ["a1", "a b/c?d"] {
        if let Some(s) = d.detail_request(id) {
            spec(out, &format!("detail {id:?}"), &s);
        }
        if let Some(s) = d.delete_request(id) {
            spec(out, &format!("delete {id:?}"), &s);
        }
        if let Some((s, pointer)) = d.text_request(id) {
            spec(out, &format!("text {id:?} at {pointer}"), &s);
        }
    }
    for parent in [None, Some("f 1")] {
        for page in pages {
            if let Some(s) = d.scopes_request(parent, page) {
                spec(out, &format!("scopes {parent:?} {page:?}"), &s);
            }
        }
    }
    let _ = writeln!(out, "  scope_term: {:?}", d.scope_term("ctx_1"));
    for (i, body) in ANSWERS.iter().enumerate() {
        let q = ListQuery::new(caps.default_sort);
        for page in [
            PageRequest { number: 1, size: 2 },
            PageRequest { number: 2, size: 1 },
        ] {
            match d.decode_page(&q, page, body, Limits::default()) {
                Ok(p) => {
                    let _ = writeln!(
                        out,
                        "  answer {i} {page:?}: total={:?} next={:?} scope={:?} estimate={} cont={:?} last={:?} warning={:?}",
                        p.total,
                        p.has_next,
                        p.scope,
                        p.total_is_estimate,
                        p.next,
                        p.last_page,
                        p.warning
                    );
                    for r in &p.records {
                        let _ = writeln!(
                            out,
                            "    {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} key={:?} content={:?} sum={:?} sum_text={:?}",
                            r.id,
                            r.name,
                            r.size,
                            r.content_type,
                            r.created_at,
                            r.updated_at,
                            r.url,
                            r.problems,
                            d.storage_key(r),
                            d.content_source(r),
                            d.checksum(r),
                            d.checksum_text(r),
                        );
                    }
                }
                Err(e) => {
                    let _ = writeln!(out, "  answer {i} {page:?}: error {e}");
                }
            }
        }
        match d.decode_detail(body) {
            Ok(r) => {
                let _ = writeln!(
                    out,
                    "  detail {i}: {:?} {:?} {:?}",
                    r.id, r.name, r.problems
                );
            }
            Err(e) => {
                let _ = writeln!(out, "  detail {i}: error {e}");
            }
        }
        match d.decode_scopes(body) {
            Ok(s) => {
                let _ = writeln!(out, "  scopes {i}: {:?} {}", s.scopes, s.has_next);
            }
            Err(e) => {
                let _ = writeln!(out, "  scopes {i}: error {e}");
            }
        }
    }
    for (i, body) in ERRORS.iter().enumerate() {
        let _ = writeln!(out, "  error {i}: {:?}", d.decode_error(body));
    }
    let scopes = br#"{"success": true, "status": "ok", "data": {"folders": [
        {"id": "folder_123", "name": "Marketing", "fileCount": 1200, "totalSize": 5},
        {"id": 7}, {"name": "no id"}], "data": [{"context_key": "k1", "display_name": "K", "file_count": 3}, {"context_key": "k2"}],
        "pagination": {"page": 1, "hasNext": true, "has_next": true}}}"#;
    let _ = writeln!(out, "  scopes: {:?}", d.decode_scopes(scopes));
}

#[test]
fn every_dialect_asks_and_reads_as_pinned() {
    let mut out = String::new();
    for (name, make) in super::REGISTRY {
        dump(name, make().as_ref(), &mut out);
    }
    for (name, d) in examples() {
        dump(&name, d.as_ref(), &mut out);
    }
    if std::env::var_os("FILESCOPE_BLESS").is_some() {
        std::fs::write(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/src/api/dialect/conformance.txt"
            ),
            &out,
        )
        .unwrap();
        return;
    }
    if out != EXPECTED {
        let first = out
            .lines()
            .zip(EXPECTED.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "requests or answers differ from conformance.txt from line {}:\n  now:    {}\n  pinned: {}",
            first + 1,
            out.lines().nth(first).unwrap_or(""),
            EXPECTED.lines().nth(first).unwrap_or("")
        );
    }
}
