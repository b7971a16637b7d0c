//! FileGuard files: `GET /api/v1/files` with page/page_size paging, Bearer `fg_…` keys, context
//! and uploader filters. No server-side sort or search: those are done locally. The detail pane
//! reads `/metadata`; the download endpoint is never called for it (each call counts as a
//! download).

use serde::Deserialize;
use std::borrow::Cow;

use serde_json::Value;
use serde_json::value::RawValue;

use super::{
    Auth, Capabilities, Dialect, ErrorInfo, Page, PageRequest, RequestSpec, Scope, ScopeKind,
    ScopePage, Search, with_details,
};
use crate::api::decode::{Fields, Limits, Normalized, count, decode_records, flag, json_error};
use crate::api::filter::{Term, TermKey};
use crate::api::query::{ListQuery, Order, Sort, SortField};
use crate::api::record::FileRecord;

#[derive(Debug, Clone, Copy)]
pub struct FileGuard;

static CAPABILITIES: Capabilities = Capabilities {
    id: Cow::Borrowed("fileguard"),
    auth: Auth::Bearer,
    sort_fields: Cow::Borrowed(&[]),
    // Undocumented: the listing is shown as served, and any sort is local.
    default_sort: Sort {
        field: SortField::Created,
        order: Order::Desc,
    },
    order_known: false,
    search: Search::None,
    terms: Cow::Borrowed(&[TermKey::Context, TermKey::UploadedBy]),
    max_page_size: 100,
    ui_page_size: 100,
    path_prefix: Cow::Borrowed(""),
};

fn decode_file(f: &mut Fields<'_>) -> Normalized {
    Normalized {
        id: f.id("file_id"),
        name: f.string("original_filename").unwrap_or_default(),
        size: f.size("size_bytes"),
        content_type: f.string("content_type"),
        created_at: f.iso_time("created_at"),
        // Only the metadata endpoint has it.
        updated_at: f.iso_time("updated_at"),
        // Downloads go through a counted endpoint; there is no URL in the record.
        url: None,
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    status: Option<Value>,
    message: Option<Value>,
    #[serde(borrow)]
    data: Option<Data<'a>>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(borrow)]
    data: Option<&'a RawValue>,
    pagination: Option<Value>,
}

/// `status: "ERROR"` can come with a 200; it is a failure all the same.
fn check_status(status: Option<&Value>, message: Option<&Value>) -> Result<(), String> {
    match status.and_then(Value::as_str) {
        Some(s) if s.eq_ignore_ascii_case("error") => Err(format!(
            "the server reported failure: {}",
            message.and_then(Value::as_str).unwrap_or("no reason given")
        )),
        _ => Ok(()),
    }
}

impl Dialect for FileGuard {
    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }

    fn list_request(&self, query: &ListQuery, page: PageRequest) -> RequestSpec {
        let mut params = vec![
            ("page", page.number.to_string()),
            ("page_size", page.size.to_string()),
        ];
        for term in &query.terms {
            match term {
                Term::Context(key) => params.push(("context", key.clone())),
                Term::UploadedBy(who) => params.push(("uploaded_by", who.clone())),
                _ => {}
            }
        }
        RequestSpec {
            path: "/api/v1/files".to_string(),
            query: super::params(params),
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
        check_status(envelope.status.as_ref(), envelope.message.as_ref())?;
        let Some(Data {
            data: Some(items),
            pagination,
        }) = envelope.data
        else {
            return Err("expected a `data.data` array in the answer".to_string());
        };
        let pagination = pagination.unwrap_or(Value::Null);
        let records = decode_records(items, limits, decode_file)?;
        let len = records.len();
        let total = count(&pagination, "total_items");
        let has_next =
            flag(&pagination, "has_next").or_else(|| total.map(|t| page.first_row() + len < t));
        Ok(Page {
            records,
            total,
            has_next,
            scope: None,
            ..Page::default()
        })
    }

    /// `GET /files/{id}` hands out a signed link and counts a download, so it is called only
    /// for a download or a fresh link the user asked for.
    fn content_source(&self, record: &FileRecord) -> super::ContentSource {
        super::ContentSource::Resolve {
            request: RequestSpec {
                path: format!("/api/v1/files/{}", super::path_segment(&record.id)),
                query: super::params(vec![("expires_in", "300".to_string())]),
            },
            pointer: Cow::Borrowed("/data/download_url"),
        }
    }

    fn link_counts_as_download(&self) -> bool {
        true
    }

    /// `checksum: "sha256:<hex>"`, in the `/metadata` record only.
    fn checksum(&self, record: &FileRecord) -> Option<crate::api::content::Checksum> {
        let checksum = super::raw_str(record, "/checksum")?;
        let hex = checksum.strip_prefix("sha256:")?;
        (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| {
            crate::api::content::Checksum {
                algorithm: crate::api::content::Algorithm::Sha256,
                hex: hex.to_ascii_lowercase(),
            }
        })
    }

    fn checksum_text(&self, record: &FileRecord) -> Option<String> {
        super::raw_str(record, "/checksum")
    }

    fn checksum_in_detail(&self) -> bool {
        true
    }

    /// Not in the spec's endpoint list; the REST form the API's other paths imply [guess].
    fn delete_request(&self, id: &str) -> Option<RequestSpec> {
        Some(RequestSpec {
            path: format!("/api/v1/files/{}", super::path_segment(id)),
            query: Vec::new(),
        })
    }

    /// `{"status": "ERROR", "message": …, "errors": [..]}`.
    fn decode_error(&self, body: &[u8]) -> Option<ErrorInfo> {
        let value: Value = serde_json::from_slice(body).ok()?;
        let message = value.get("message").and_then(Value::as_str)?;
        Some(ErrorInfo {
            code: None,
            message: with_details(message.to_string(), value.get("errors")),
        })
    }

    fn scope_kind(&self) -> Option<ScopeKind> {
        Some(ScopeKind::Contexts)
    }

    fn scopes_request(&self, _parent: Option<&str>, page: PageRequest) -> Option<RequestSpec> {
        Some(RequestSpec {
            path: "/api/v1/contexts".to_string(),
            query: super::params(vec![
                ("page", page.number.to_string()),
                (
                    "page_size",
                    page.size.min(CAPABILITIES.max_page_size).to_string(),
                ),
            ]),
        })
    }

    /// `{"status": "SUCCESS", "data": {"data": [{context_key, display_name, …}], "pagination"}}`.
    fn decode_scopes(&self, body: &[u8]) -> Result<ScopePage, String> {
        let value: Value = serde_json::from_slice(body).map_err(|e| json_error(&e))?;
        check_status(value.get("status"), value.get("message"))?;
        let items = crate::api::decode::lookup(&value, "data.data")
            .and_then(Value::as_array)
            .ok_or("expected a `data.data` array in the answer")?;
        let scopes = items
            .iter()
            .filter_map(|c| {
                let key = c.get("context_key").and_then(Value::as_str)?.to_string();
                let name = c
                    .get("display_name")
                    .and_then(Value::as_str)
                    .unwrap_or(&key)
                    .to_string();
                let files = count(c, "file_count");
                Some(Scope {
                    note: Some(match files {
                        Some(n) => format!("{key} · {} files", crate::text::thousands(n)),
                        None => key.clone(),
                    }),
                    files: files.map(|n| n as u64),
                    bytes: None,
                    id: key,
                    name,
                })
            })
            .collect();
        Ok(ScopePage {
            scopes,
            has_next: flag(&value, "data.pagination.has_next").unwrap_or(false),
        })
    }

    fn scope_term(&self, id: &str) -> Term {
        Term::Context(id.to_string())
    }

    fn detail_request(&self, id: &str) -> Option<RequestSpec> {
        Some(RequestSpec {
            path: format!("/api/v1/files/{}/metadata", super::path_segment(id)),
            query: Vec::new(),
        })
    }

    fn decode_detail(&self, body: &[u8]) -> Result<FileRecord, String> {
        let value: Value = serde_json::from_slice(body).map_err(|e| json_error(&e))?;
        check_status(value.get("status"), value.get("message"))?;
        super::one_record(&value, "data", decode_file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::filter;

    const PAGE: &[u8] = include_bytes!("../../../tests/fixtures/fileguard_page.json");
    const ERROR: &[u8] = include_bytes!("../../../tests/fixtures/fileguard_error.json");

    fn first() -> PageRequest {
        PageRequest { number: 1, size: 2 }
    }

    #[test]
    fn decodes_the_fixture() {
        let q = ListQuery::new(CAPABILITIES.default_sort);
        let page = FileGuard
            .decode_page(&q, first(), PAGE, Default::default())
            .unwrap();
        assert_eq!(page.total, Some(3));
        assert_eq!(page.has_next, Some(true));
        let r = &page.records[0];
        assert_eq!(r.id, "file_q8w7e6r5t4y3");
        assert_eq!(r.name, "lab-results.pdf");
        assert_eq!(r.size, Some(245_678));
        assert_eq!(r.content_type.as_deref(), Some("application/pdf"));
        assert_eq!(
            r.created_at.unwrap().to_rfc3339(),
            "2026-01-04T10:00:00+00:00"
        );
        assert_eq!((r.updated_at, r.url.as_deref()), (None, None));
        let raw: serde_json::Value = serde_json::from_str(r.raw.get()).unwrap();
        assert_eq!(raw["download_count"], 47, "the raw record is kept whole");
    }

    #[test]
    fn an_error_status_in_a_200_is_a_failure() {
        let q = ListQuery::new(CAPABILITIES.default_sort);
        let err = FileGuard
            .decode_page(&q, first(), ERROR, Default::default())
            .unwrap_err();
        assert_eq!(err, "the server reported failure: Insufficient scope");
    }

    #[test]
    fn context_and_uploader_go_to_the_server_the_rest_is_local() {
        let f = filter::parse(
            "lab context:patient_reports uploaded_by:key_abc123 type:image",
            &FileGuard.filter_keys(),
        )
        .unwrap();
        let sort = Sort {
            field: SortField::Name,
            order: Order::Asc,
        };
        let plan = crate::api::plan(&FileGuard, Some(sort), &f);
        assert_eq!(plan.local.sort, Some(sort));
        assert_eq!(plan.local.text.as_deref(), Some("lab"));
        assert_eq!(plan.local.terms, vec![Term::Type("image".into())]);
        let spec = FileGuard.list_request(&plan.server, first());
        assert_eq!(spec.path, "/api/v1/files");
        assert_eq!(
            spec.query,
            crate::api::dialect::params(vec![
                ("page", "1".into()),
                ("page_size", "2".into()),
                ("context", "patient_reports".into()),
                ("uploaded_by", "key_abc123".into()),
            ])
        );
        assert!(filter::parse("trashed:true", &FileGuard.filter_keys()).is_err());
    }

    #[test]
    fn contexts_are_scopes_that_filter_by_context() {
        let body = br#"{"status": "SUCCESS", "data": {"data": [
            {"context_key": "patient_reports", "display_name": "Patient reports", "file_count": 3},
            {"context_key": "invoices"}, {"display_name": "no key"}],
            "pagination": {"has_next": false}}}"#;
        let page = FileGuard.decode_scopes(body).unwrap();
        assert!(!page.has_next);
        assert_eq!(page.scopes.len(), 2);
        assert_eq!(page.scopes[0].name, "Patient reports");
        assert_eq!(
            page.scopes[0].note.as_deref(),
            Some("patient_reports · 3 files")
        );
        assert_eq!(page.scopes[1].name, "invoices");
        assert_eq!(
            FileGuard.scope_term("invoices"),
            Term::Context("invoices".into())
        );
        let spec = FileGuard.scopes_request(None, first()).unwrap();
        assert_eq!(spec.path, "/api/v1/contexts");
    }

    #[test]
    fn reads_the_error_envelope_with_its_reasons() {
        let info = FileGuard.decode_error(ERROR).unwrap();
        assert_eq!(
            info.message,
            "Insufficient scope (API key lacks the 'metadata' scope)"
        );
    }

    #[test]
    fn detail_uses_metadata_never_the_counted_download() {
        let spec = FileGuard.detail_request("file/../x").unwrap();
        assert_eq!(spec.path, "/api/v1/files/file%2F..%2Fx/metadata");
        let body =
            br#"{"status": "SUCCESS", "data": {"file_id": "f1", "original_filename": "a.pdf",
            "checksum": "sha256:00", "updated_at": "2026-01-05T00:00:00Z"}}"#;
        let r = FileGuard.decode_detail(body).unwrap();
        assert_eq!(r.id, "f1");
        assert!(r.updated_at.is_some());
        assert!(r.raw.get().contains("sha256:00"));
    }
}
