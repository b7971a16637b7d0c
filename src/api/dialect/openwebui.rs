//! Open WebUI files: `GET {prefix}/files/?page=N&content=false` (fixed pages of 50, newest
//! update first), or a bare array of every file from older servers; search by whole-name glob at
//! `{prefix}/files/search`. Bearer auth, FastAPI `{"detail": …}` errors. No server-side sort or
//! type/size filter: those are done locally.

use std::borrow::Cow;

use serde_json::Value;
use serde_json::value::RawValue;

use super::{Auth, Capabilities, Dialect, ErrorInfo, Page, PageRequest, RequestSpec, Search};
use crate::api::decode::{Fields, Limits, Normalized, count, decode_records, json_error};
use crate::api::query::{ListQuery, Order, Sort, SortField};

#[derive(Debug, Clone, Copy)]
pub struct OpenWebUi;

#[derive(serde::Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    items: Option<&'a RawValue>,
    total: Option<Value>,
}

/// The list endpoint's fixed page size; the search endpoint is asked for the same.
const PAGE_SIZE: usize = 50;

static CAPABILITIES: Capabilities = Capabilities {
    id: Cow::Borrowed("openwebui"),
    auth: Auth::Bearer,
    sort_fields: Cow::Borrowed(&[]),
    default_sort: Sort {
        field: SortField::Updated,
        order: Order::Desc,
    },
    order_known: true,
    search: Search::Glob,
    terms: Cow::Borrowed(&[]),
    max_page_size: PAGE_SIZE,
    ui_page_size: PAGE_SIZE,
    path_prefix: Cow::Borrowed("/api/v1"),
};

/// A user's `report` becomes `*report*`, since the server's glob must match the whole name; a
/// user who typed a glob gets it as typed.
pub fn glob_for(text: &str) -> String {
    if text.contains(['*', '?']) {
        text.to_string()
    } else {
        format!("*{text}*")
    }
}

fn decode_file(f: &mut Fields<'_>) -> Normalized {
    let name = f
        .string("filename")
        .or_else(|| f.string("meta.name"))
        .unwrap_or_default();
    Normalized {
        id: f.id("id"),
        name,
        size: f.size("meta.size"),
        content_type: f.string("meta.content_type"),
        created_at: f.unix_time("created_at"),
        updated_at: f.unix_time("updated_at"),
        // Files are fetched from the content endpoint; there is no URL in the record.
        url: None,
    }
}

impl Dialect for OpenWebUi {
    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }

    fn list_request(&self, query: &ListQuery, page: PageRequest) -> RequestSpec {
        if query.search.is_empty() {
            // The trailing slash matters: without it the server answers 307.
            return RequestSpec {
                path: "/files/".to_string(),
                query: super::params(vec![
                    ("page", page.number.to_string()),
                    // The default embeds every file's extracted text: megabytes per page.
                    ("content", "false".to_string()),
                ]),
            };
        }
        RequestSpec {
            path: "/files/search".to_string(),
            query: super::params(vec![
                ("filename", glob_for(&query.search)),
                ("content", "false".to_string()),
                ("skip", page.first_row().to_string()),
                ("limit", page.size.to_string()),
            ]),
        }
    }

    fn decode_page(
        &self,
        query: &ListQuery,
        page: PageRequest,
        body: &[u8],
        limits: Limits,
    ) -> Result<Page, String> {
        // Detect the shape, never the version: a bare array is a search answer, or an older
        // server's whole listing in one go.
        let is_array = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
        if is_array {
            let items: &RawValue = serde_json::from_slice(body).map_err(|e| json_error(&e))?;
            let records = decode_records(items, limits, decode_file)?;
            let len = records.len();
            return Ok(if query.search.is_empty() {
                // The whole listing, whatever page was asked for: page 1 takes all of it (the
                // rest fills the following pages); a later page, asked again after being
                // forgotten, takes only its own rows.
                let records = if page.number > 1 {
                    records
                        .into_iter()
                        .skip(page.first_row())
                        .take(page.size)
                        .collect()
                } else {
                    records
                };
                Page {
                    records,
                    total: Some(len),
                    has_next: Some(false),
                    scope: None,
                    ..Page::default()
                }
            } else {
                Page {
                    records,
                    total: (len < page.size).then_some(page.first_row() + len),
                    has_next: Some(len >= page.size),
                    scope: None,
                    ..Page::default()
                }
            });
        }
        let envelope: Envelope = serde_json::from_slice(body).map_err(|e| json_error(&e))?;
        let Some(items) = envelope.items else {
            return Err("expected an `items` array or a bare array".to_string());
        };
        let records = decode_records(items, limits, decode_file)?;
        let len = records.len();
        let total = envelope.total.as_ref().and_then(|t| count(t, ""));
        Ok(Page {
            records,
            total,
            has_next: Some(match total {
                Some(total) => page.first_row() + len < total,
                None => len >= PAGE_SIZE,
            }),
            scope: None,
            ..Page::default()
        })
    }

    fn content_source(&self, record: &crate::api::FileRecord) -> super::ContentSource {
        super::ContentSource::Endpoint(RequestSpec {
            path: format!("/files/{}/content", super::path_segment(&record.id)),
            query: Vec::new(),
        })
    }

    fn text_request(&self, id: &str) -> Option<(RequestSpec, &'static str)> {
        Some((
            RequestSpec {
                path: format!("/files/{}/data/content", super::path_segment(id)),
                query: Vec::new(),
            },
            "/content",
        ))
    }

    fn delete_request(&self, id: &str) -> Option<RequestSpec> {
        Some(RequestSpec {
            path: format!("/files/{}", super::path_segment(id)),
            query: Vec::new(),
        })
    }

    fn storage_key(&self, record: &crate::api::FileRecord) -> Option<String> {
        super::raw_str(record, "/path")
    }

    /// FastAPI's `{"detail": "…"}`, or for 422 a list of `{loc, msg}`.
    fn decode_error(&self, body: &[u8]) -> Option<ErrorInfo> {
        let value: Value = serde_json::from_slice(body).ok()?;
        match value.get("detail")? {
            Value::String(message) => Some(ErrorInfo {
                code: None,
                message: message.clone(),
            }),
            Value::Array(items) => {
                let parts: Vec<String> = items
                    .iter()
                    .take(3)
                    .map(|item| {
                        let loc = item
                            .get("loc")
                            .and_then(Value::as_array)
                            .map(|loc| {
                                loc.iter()
                                    .map(|p| p.as_str().map_or(p.to_string(), str::to_string))
                                    .collect::<Vec<_>>()
                                    .join(".")
                            })
                            .unwrap_or_default();
                        let msg = item.get("msg").and_then(Value::as_str).unwrap_or("invalid");
                        if loc.is_empty() {
                            msg.to_string()
                        } else {
                            format!("{loc}: {msg}")
                        }
                    })
                    .collect();
                Some(ErrorInfo {
                    code: None,
                    message: parts.join("; "),
                })
            }
            _ => None,
        }
    }

    /// A search that matches nothing answers 404 "No files found"; that is an empty result.
    fn error_means_empty(&self, query: &ListQuery, status: u16, _body: &[u8]) -> bool {
        status == 404 && !query.search.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &[u8] = include_bytes!("../../../tests/fixtures/openwebui_page.json");
    const LEGACY: &[u8] = include_bytes!("../../../tests/fixtures/openwebui_legacy_list.json");
    const NO_MATCH: &[u8] = include_bytes!("../../../tests/fixtures/openwebui_search_nomatch.json");

    fn first() -> PageRequest {
        PageRequest {
            number: 1,
            size: PAGE_SIZE,
        }
    }

    fn listing() -> ListQuery {
        ListQuery::new(CAPABILITIES.default_sort)
    }

    fn search(text: &str) -> ListQuery {
        let mut q = listing();
        q.search = text.to_string();
        q
    }

    #[test]
    fn decodes_the_current_shape() {
        let page = OpenWebUi
            .decode_page(&listing(), first(), PAGE, Default::default())
            .unwrap();
        assert_eq!(page.total, Some(2));
        assert_eq!(page.has_next, Some(false));
        let r = &page.records[0];
        assert_eq!(r.id, "378198ac-4b9d-4cfd-a633-6b0f9b190521");
        assert_eq!(r.name, "meeting-notes.txt");
        assert_eq!(r.size, Some(6));
        assert_eq!(r.content_type.as_deref(), Some("text/plain"));
        assert_eq!(r.created_at.unwrap().timestamp(), 1_795_414_538);
        assert_eq!(r.url, None);
        let second = &page.records[1];
        assert_eq!(second.content_type, None);
        assert_eq!(second.updated_at, None);
        assert!(second.problems.is_empty(), "nulls are not problems");
    }

    #[test]
    fn decodes_the_legacy_bare_array_as_the_whole_listing() {
        let page = OpenWebUi
            .decode_page(&listing(), first(), LEGACY, Default::default())
            .unwrap();
        assert_eq!(page.total, Some(1));
        assert_eq!(page.has_next, Some(false));
        assert_eq!(page.records[0].name, "document.pdf");
        assert_eq!(page.records[0].size, Some(153_600));
    }

    #[test]
    fn a_name_falls_back_to_meta_name() {
        let body = br#"{"items": [{"id": "x", "meta": {"name": "from-meta.txt"}}], "total": 1}"#;
        let page = OpenWebUi
            .decode_page(&listing(), first(), body, Default::default())
            .unwrap();
        assert_eq!(page.records[0].name, "from-meta.txt");
    }

    #[test]
    fn requests_keep_the_slash_and_never_ask_for_content() {
        let spec = OpenWebUi.list_request(
            &listing(),
            PageRequest {
                number: 3,
                size: 50,
            },
        );
        assert_eq!(spec.path, "/files/");
        assert_eq!(
            spec.query,
            crate::api::dialect::params(vec![("page", "3".into()), ("content", "false".into())])
        );
        let spec = OpenWebUi.list_request(
            &search("report"),
            PageRequest {
                number: 3,
                size: 50,
            },
        );
        assert_eq!(spec.path, "/files/search");
        assert_eq!(
            spec.query,
            crate::api::dialect::params(vec![
                ("filename", "*report*".into()),
                ("content", "false".into()),
                ("skip", "100".into()),
                ("limit", "50".into()),
            ])
        );
        assert_eq!(glob_for("*.pdf"), "*.pdf");
    }

    #[test]
    fn a_search_page_shorter_than_asked_is_the_last() {
        let body = LEGACY;
        let page = OpenWebUi
            .decode_page(&search("doc"), first(), body, Default::default())
            .unwrap();
        assert_eq!(page.has_next, Some(false));
        assert_eq!(page.total, Some(1));
    }

    #[test]
    fn no_match_is_empty_only_for_searches() {
        assert!(OpenWebUi.error_means_empty(&search("zzz"), 404, NO_MATCH));
        assert!(!OpenWebUi.error_means_empty(&listing(), 404, NO_MATCH));
        assert!(!OpenWebUi.error_means_empty(&search("zzz"), 500, NO_MATCH));
    }

    #[test]
    fn reads_fastapi_errors() {
        let info = OpenWebUi.decode_error(NO_MATCH).unwrap();
        assert_eq!(info.message, "No files found matching the pattern.");
        let info = OpenWebUi
            .decode_error(
                br#"{"detail": [{"loc": ["query", "page"], "msg": "Input should be greater than 0", "type": "greater_than"}]}"#,
            )
            .unwrap();
        assert_eq!(info.message, "query.page: Input should be greater than 0");
        assert_eq!(OpenWebUi.decode_error(b"Internal Server Error"), None);
    }
}
