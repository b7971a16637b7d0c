//! Flextell files, a Laravel API: `GET /v1/files` with page/per_page paging and Laravel's
//! paginator (`data`, `links.next`, `meta.total`), Bearer auth plus an optional `X-Tenant`
//! header (a `--header`), server-side sort, category, fileable and trashed filters, no search.

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::{
    Auth, Capabilities, Dialect, ErrorInfo, Page, PageRequest, RequestSpec, Search, with_details,
};
use crate::api::decode::{Fields, Limits, Normalized, count, decode_records, flag, json_error};
use crate::api::filter::{Term, TermKey};
use crate::api::query::{ListQuery, Order, Sort, SortField};
use crate::api::record::FileRecord;

#[derive(Debug, Clone, Copy)]
pub struct Flextell;

/// Flextell's file categories (`type`), which the server filters by.
pub const CATEGORIES: [&str; 6] = [
    "form_image",
    "audio",
    "catalog",
    "certificate",
    "image",
    "other",
];

static CAPABILITIES: Capabilities = Capabilities {
    id: "flextell",
    auth: Auth::Bearer,
    // Flextell's `type` sort orders by category, not by the MIME type filescope shows in its
    // Type column, so a type sort is done locally where the column reads in order.
    sort_fields: &[
        SortField::Name,
        SortField::Size,
        SortField::Created,
        SortField::Updated,
    ],
    default_sort: Sort {
        field: SortField::Created,
        order: Order::Desc,
    },
    order_known: true,
    search: Search::None,
    terms: &[TermKey::Type, TermKey::Trashed, TermKey::Fileable],
    max_page_size: 100,
    ui_page_size: 100,
    path_prefix: "",
};

fn sort_param(field: SortField) -> &'static str {
    match field {
        SortField::Name => "name",
        SortField::Size => "size",
        SortField::Type => "type",
        SortField::Created => "created_at",
        SortField::Updated => "updated_at",
    }
}

fn decode_file(f: &mut Fields<'_>) -> Normalized {
    Normalized {
        id: f.id("id"),
        name: f.string("name").unwrap_or_default(),
        size: f.size("size"),
        content_type: f.string("mime_type"),
        created_at: f.iso_time("created_at"),
        updated_at: f.iso_time("updated_at"),
        url: f.string("temporary_url"),
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    data: Option<&'a RawValue>,
    links: Option<Value>,
    meta: Option<Value>,
}

impl Dialect for Flextell {
    fn capabilities(&self) -> &'static Capabilities {
        &CAPABILITIES
    }

    fn list_request(&self, query: &ListQuery, page: PageRequest) -> RequestSpec {
        let mut params = vec![
            ("page", page.number.to_string()),
            ("per_page", page.size.to_string()),
            ("sort_by", sort_param(query.sort.field).to_string()),
            ("sort_order", query.sort.order.name().to_string()),
        ];
        for term in &query.terms {
            match term {
                Term::Type(category) => params.push(("type", category.to_ascii_lowercase())),
                Term::Trashed(trashed) => params.push(("trashed", trashed.to_string())),
                Term::Fileable { kind, id } => {
                    params.push(("fileable_type", kind.clone()));
                    if let Some(id) = id {
                        params.push(("fileable_id", id.to_string()));
                    }
                }
                _ => {}
            }
        }
        RequestSpec {
            path: "/v1/files".to_string(),
            query: super::params(params),
        }
    }

    /// The server filters by category; `type:application/pdf` and other MIME types are local.
    /// So is `type:image`: it means every `image/…` type (docs/FILTERS.md), and Flextell's
    /// `image` category leaves out the images it files as `form_image` and `certificate`.
    fn applies_on_server(&self, term: &Term) -> bool {
        match term {
            Term::Type(value) => {
                let value = value.to_ascii_lowercase();
                value != "image" && CATEGORIES.contains(&value.as_str())
            }
            Term::Trashed(_) | Term::Fileable { .. } => true,
            _ => false,
        }
    }

    fn decode_page(
        &self,
        _query: &ListQuery,
        page: PageRequest,
        body: &[u8],
        limits: Limits,
    ) -> Result<Page, String> {
        let envelope: Envelope = serde_json::from_slice(body).map_err(|e| json_error(&e))?;
        let Some(items) = envelope.data else {
            return Err("expected a `data` array in the answer".to_string());
        };
        let meta = envelope.meta.unwrap_or(Value::Null);
        let records = decode_records(items, limits, decode_file)?;
        let len = records.len();
        let total = count(&meta, "total");
        // `links.next` is null on the last page; without links, fall back to the count.
        let has_next = match envelope.links.as_ref().and_then(|l| l.get("next")) {
            Some(next) => Some(!next.is_null()),
            None => total
                .map(|t| page.first_row() + len < t)
                .or(Some(len >= page.size)),
        };
        Ok(Page {
            records,
            total,
            has_next,
            scope: None,
            ..Page::default()
        })
    }

    /// `{"error": "invalid_token", "message": …}`, or Laravel's `{"message", "errors": {field:
    /// [..]}}`.
    fn decode_error(&self, body: &[u8]) -> Option<ErrorInfo> {
        let info = super::common_error(body)?;
        let value: Value = serde_json::from_slice(body).ok()?;
        Some(ErrorInfo {
            message: with_details(info.message, value.get("errors")),
            code: info.code,
        })
    }

    /// `temporary_url` expires, and the one in a listing may be old: `GET /v1/files/{id}`
    /// signs a fresh one for every download or copied link.
    fn content_source(&self, record: &crate::api::FileRecord) -> super::ContentSource {
        super::ContentSource::Resolve {
            request: RequestSpec {
                path: format!("/v1/files/{}", super::path_segment(&record.id)),
                query: Vec::new(),
            },
            pointer: "/data/temporary_url",
        }
    }

    fn detail_request(&self, id: &str) -> Option<RequestSpec> {
        Some(RequestSpec {
            path: format!("/v1/files/{}", super::path_segment(id)),
            query: Vec::new(),
        })
    }

    /// `{"success": true or "true", "data": File}`.
    fn decode_detail(&self, body: &[u8]) -> Result<FileRecord, String> {
        let value: Value = serde_json::from_slice(body).map_err(|e| json_error(&e))?;
        if flag(&value, "success") == Some(false) {
            return Err("the server reported failure".to_string());
        }
        super::one_record(&value, "data", decode_file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::filter;

    const PAGE: &[u8] = include_bytes!("../../../tests/fixtures/flextell_page.json");
    const ERROR: &[u8] = include_bytes!("../../../tests/fixtures/flextell_error.json");

    fn first() -> PageRequest {
        PageRequest { number: 1, size: 1 }
    }

    #[test]
    fn decodes_the_fixture() {
        let q = ListQuery::new(CAPABILITIES.default_sort);
        let page = Flextell
            .decode_page(&q, first(), PAGE, Default::default())
            .unwrap();
        assert_eq!(page.total, Some(3));
        assert_eq!(page.has_next, Some(true));
        let r = &page.records[0];
        assert_eq!(r.id, "4411");
        assert_eq!(r.name, "warranty-card.png");
        assert_eq!(r.size, Some(88_213));
        assert_eq!(r.content_type.as_deref(), Some("image/png"));
        assert_eq!(
            r.created_at.unwrap().to_rfc3339(),
            "2023-11-07T05:31:56+00:00"
        );
        assert!(
            r.url
                .as_deref()
                .unwrap()
                .starts_with("https://files.example.test/4411?")
        );
        assert!(r.problems.is_empty(), "{:?}", r.problems);
    }

    #[test]
    fn the_last_page_has_no_next_link() {
        let q = ListQuery::new(CAPABILITIES.default_sort);
        let body = br#"{"data": [], "links": {"next": null}, "meta": {"total": 0, "from": null, "to": null}}"#;
        let page = Flextell
            .decode_page(&q, first(), body, Default::default())
            .unwrap();
        assert_eq!(page.has_next, Some(false));
        assert_eq!(page.total, Some(0));
    }

    #[test]
    fn categories_fileable_and_trashed_go_to_the_server() {
        let f = filter::parse(
            "type:certificate fileable:customer#912 trashed:true type:image/png size>1KB",
            &Flextell.filter_keys(),
        )
        .unwrap();
        let sort = Sort {
            field: SortField::Size,
            order: Order::Asc,
        };
        let plan = crate::api::plan(&Flextell, Some(sort), &f);
        assert_eq!(
            plan.local.terms,
            vec![
                Term::Type("image/png".into()),
                Term::Size(filter::Cmp::Gt, 1000)
            ]
        );
        assert_eq!(plan.local.sort, None);
        let spec = Flextell.list_request(
            &plan.server,
            PageRequest {
                number: 2,
                size: 100,
            },
        );
        assert_eq!(spec.path, "/v1/files");
        assert_eq!(
            spec.query,
            crate::api::dialect::params(vec![
                ("page", "2".into()),
                ("per_page", "100".into()),
                ("sort_by", "size".into()),
                ("sort_order", "asc".into()),
                ("type", "certificate".into()),
                ("fileable_type", "customer".into()),
                ("fileable_id", "912".into()),
                ("trashed", "true".into()),
            ])
        );
        assert!(filter::parse("context:x", &Flextell.filter_keys()).is_err());
    }

    #[test]
    fn search_and_type_sort_are_local() {
        let f = filter::parse("warranty", &Flextell.filter_keys()).unwrap();
        let sort = Sort {
            field: SortField::Type,
            order: Order::Asc,
        };
        let plan = crate::api::plan(&Flextell, Some(sort), &f);
        assert_eq!(plan.server.search, "");
        assert_eq!(plan.local.text.as_deref(), Some("warranty"));
        assert_eq!(plan.local.sort, Some(sort));
    }

    #[test]
    fn reads_both_error_shapes() {
        let info = Flextell.decode_error(ERROR).unwrap();
        assert_eq!(info.code.as_deref(), Some("invalid_token"));
        assert_eq!(info.message, "The access token is invalid or has expired.");
        let laravel = br#"{"message": "The given data was invalid.", "errors": {"per_page": ["The per page must not be greater than 100."]}}"#;
        let info = Flextell.decode_error(laravel).unwrap();
        assert_eq!(
            info.message,
            "The given data was invalid. (per_page: The per page must not be greater than 100.)"
        );
    }

    #[test]
    fn detail_reads_success_as_a_string_too() {
        let body = br#"{"success": "true", "data": {"id": 7, "name": "a.png", "size": 5}}"#;
        let r = Flextell.decode_detail(body).unwrap();
        assert_eq!((r.id.as_str(), r.name.as_str()), ("7", "a.png"));
        assert!(Flextell.decode_detail(br#"{"success": false}"#).is_err());
        assert_eq!(
            Flextell.detail_request("4411").unwrap().path,
            "/v1/files/4411"
        );
    }
}
