//! FileJar organization files: `GET /v1/files/organization-files`, `x-api-key` auth, page/limit
//! paging with a total, server-side search, content-type and size filters and every sort field.

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::{
    Auth, Capabilities, Dialect, ErrorInfo, Page, PageRequest, RequestSpec, Search, size_bounds,
};
use crate::api::decode::{Fields, Limits, Normalized, decode_records, json_error};
use crate::api::filter::{Term, TermKey};
use crate::api::query::{ListQuery, Order, Sort, SortField};

#[derive(Debug, Clone, Copy)]
pub struct FileJar;

static CAPABILITIES: Capabilities = Capabilities {
    id: "filejar",
    auth: Auth::ApiKeyHeader("x-api-key"),
    sort_fields: &SortField::ALL,
    default_sort: Sort {
        field: SortField::Created,
        order: Order::Desc,
    },
    order_known: true,
    search: Search::Substring,
    terms: &[TermKey::Type, TermKey::Size],
    max_page_size: 1000,
    ui_page_size: 100,
    path_prefix: "",
};

fn sort_param(field: SortField) -> &'static str {
    match field {
        SortField::Name => "file_name",
        SortField::Size => "size",
        SortField::Type => "content_type",
        SortField::Created => "created_at",
        SortField::Updated => "updated_at",
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    files: Option<&'a RawValue>,
    pagination: Option<Value>,
    org_name: Option<Value>,
    success: Option<Value>,
    message: Option<Value>,
}

impl Dialect for FileJar {
    fn capabilities(&self) -> &'static Capabilities {
        &CAPABILITIES
    }

    fn list_request(&self, query: &ListQuery, page: PageRequest) -> RequestSpec {
        let mut params = vec![
            ("page", page.number.to_string()),
            ("limit", page.size.to_string()),
            ("sort_by", sort_param(query.sort.field).to_string()),
            ("sort", query.sort.order.name().to_string()),
        ];
        if !query.search.is_empty() {
            params.push(("search", query.search.clone()));
        }
        if let Some(mime) = query.term(|t| match t {
            Term::Type(mime) => Some(mime),
            _ => None,
        }) {
            params.push(("content_type", mime.clone()));
        }
        let (gte, lte) = size_bounds(&query.terms);
        if let Some(n) = gte {
            params.push(("size__gte", n.to_string()));
        }
        if let Some(n) = lte {
            params.push(("size__lte", n.to_string()));
        }
        RequestSpec {
            path: "/v1/files/organization-files".to_string(),
            query: super::params(params),
        }
    }

    /// Content types are matched exactly by the server, so only a full MIME type is sent;
    /// `type:image` is applied locally.
    fn applies_on_server(&self, term: &Term) -> bool {
        match term {
            Term::Type(value) => value.contains('/'),
            Term::Size(..) => term.size_range().is_some(),
            _ => false,
        }
    }

    fn decode_page(
        &self,
        _query: &ListQuery,
        _page: PageRequest,
        body: &[u8],
        limits: Limits,
    ) -> Result<Page, String> {
        let envelope: Envelope = serde_json::from_slice(body).map_err(|e| json_error(&e))?;
        let Some(files) = envelope.files else {
            if envelope.success == Some(Value::Bool(false)) {
                let why = envelope
                    .message
                    .as_ref()
                    .and_then(Value::as_str)
                    .unwrap_or("no reason given");
                return Err(format!("the server reported failure: {why}"));
            }
            return Err("expected a `files` array in the answer".to_string());
        };
        let pagination = envelope.pagination.unwrap_or(Value::Null);
        let total = pagination
            .get("total")
            .and_then(Value::as_u64)
            .map(|n| n as usize);
        let has_next = pagination.get("has_next").and_then(Value::as_bool);
        let records = decode_records(files, limits, |f: &mut Fields<'_>| Normalized {
            id: f.id("id"),
            name: f.string("file_name").unwrap_or_default(),
            size: f.size("size"),
            content_type: f.string("content_type"),
            created_at: f.iso_time("created_at"),
            updated_at: f.iso_time("updated_at"),
            url: f.string("url"),
        })?;
        Ok(Page {
            records,
            total,
            has_next,
            scope: envelope
                .org_name
                .as_ref()
                .and_then(Value::as_str)
                .map(str::to_string),
            ..Page::default()
        })
    }

    fn storage_key(&self, record: &crate::api::FileRecord) -> Option<String> {
        super::raw_str(record, "/key")
    }

    fn decode_error(&self, body: &[u8]) -> Option<ErrorInfo> {
        super::common_error(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &[u8] = include_bytes!("../../../tests/fixtures/filejar_page.json");

    fn query() -> ListQuery {
        ListQuery::new(CAPABILITIES.default_sort)
    }

    fn first() -> PageRequest {
        PageRequest {
            number: 1,
            size: 100,
        }
    }

    fn decode(body: &[u8]) -> Result<Page, String> {
        FileJar.decode_page(&query(), first(), body, Default::default())
    }

    #[test]
    fn decodes_the_fixture() {
        let page = decode(PAGE).unwrap();
        assert_eq!(page.total, Some(5));
        assert_eq!(page.has_next, Some(true));
        assert_eq!(page.scope.as_deref(), Some("Northwind Labs"));
        assert_eq!(page.records.len(), 2);
        let r = &page.records[0];
        assert_eq!(r.id, "0a6c1e7e-2f0b-4c59-9d3e-7b1f0e2d9a11");
        assert_eq!(r.name, "2024-q1-master.pdf");
        assert_eq!(r.size, Some(482_113));
        assert_eq!(r.content_type.as_deref(), Some("application/pdf"));
        assert_eq!(
            r.created_at.unwrap().to_rfc3339(),
            "2024-03-02T09:14:58+00:00"
        );
        assert_eq!(
            r.url.as_deref(),
            Some("https://cdn.example.test/9b1f3c2e/contracts/2024-q1-master.pdf")
        );
        assert!(r.problems.is_empty());
        assert!(r.raw.get().contains("\"acknowledged_at\""));
    }

    #[test]
    fn a_bad_record_does_not_hide_the_page() {
        let body = br#"{"files": [{"id": "a", "file_name": "ok.txt", "size": 1},
            {"id": "b", "file_name": ["no"], "size": "huge", "created_at": "never"}, 7],
            "pagination": {"total": "three"}}"#;
        let page = decode(body).unwrap();
        assert_eq!(page.records.len(), 3);
        assert_eq!(page.total, None);
        let bad = &page.records[1];
        assert_eq!(bad.id, "b");
        assert_eq!(bad.name, "");
        assert_eq!(bad.size, None);
        assert_eq!(bad.problems.len(), 3, "{:?}", bad.problems);
        assert_eq!(
            page.records[2].problems,
            ["record: expected an object, got a number", "id: missing"]
        );
    }

    #[test]
    fn unreadable_envelopes_are_errors() {
        assert!(
            FileJar
                .decode_page(&query(), first(), b"{\"files\": [", Default::default())
                .unwrap_err()
                .contains("line 1")
        );
        assert!(decode(b"[]").is_err());
        let failed = br#"{"success": false, "message": "org suspended"}"#;
        assert_eq!(
            decode(failed).unwrap_err(),
            "the server reported failure: org suspended"
        );
    }

    #[test]
    fn builds_requests_with_the_apis_own_names() {
        let mut q = ListQuery::new(Sort {
            field: SortField::Name,
            order: Order::Asc,
        });
        q.search = "report".into();
        let spec = FileJar.list_request(
            &q,
            PageRequest {
                number: 3,
                size: 100,
            },
        );
        assert_eq!(spec.path, "/v1/files/organization-files");
        assert_eq!(
            spec.query,
            crate::api::dialect::params(vec![
                ("page", "3".to_string()),
                ("limit", "100".to_string()),
                ("sort_by", "file_name".to_string()),
                ("sort", "asc".to_string()),
                ("search", "report".to_string()),
            ])
        );
    }

    #[test]
    fn exact_types_and_sizes_go_to_the_server() {
        let filter = crate::api::filter::parse(
            "type:application/pdf size>1KB size<=2MB type:image",
            &FileJar.filter_keys(),
        )
        .unwrap();
        let plan = crate::api::plan(&FileJar, Some(CAPABILITIES.default_sort), &filter);
        assert_eq!(plan.local.terms, vec![Term::Type("image".into())]);
        let spec = FileJar.list_request(&plan.server, first());
        let has = |k: &str, v: &str| spec.query.iter().any(|(n, x)| n == k && x == v);
        assert!(has("content_type", "application/pdf"), "{:?}", spec.query);
        assert!(has("size__gte", "1001"), "{:?}", spec.query);
        assert!(has("size__lte", "2000000"), "{:?}", spec.query);
    }

    #[test]
    fn reads_error_bodies() {
        let info = FileJar
            .decode_error(
                br#"{"success": false, "error": "unauthorized", "message": "Invalid API key"}"#,
            )
            .unwrap();
        assert_eq!(info.code.as_deref(), Some("unauthorized"));
        assert_eq!(info.message, "Invalid API key");
        assert_eq!(FileJar.decode_error(b"<html>502</html>"), None);
    }
}
