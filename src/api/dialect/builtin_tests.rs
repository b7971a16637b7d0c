//! The unit tests of FileJar, Flextell, AstraCollab and FileGuard, kept as they were when each was a
//! file of hand-written code: now they test the embedded definitions the declared engine reads.

mod filejar {
    use super::super::{Dialect, Page, PageRequest};
    use crate::api::filter::Term;
    use crate::api::query::{ListQuery, Order, Sort, SortField};

    #[allow(non_upper_case_globals)]
    static FileJar: std::sync::LazyLock<std::sync::Arc<dyn Dialect>> =
        std::sync::LazyLock::new(|| super::super::by_id("filejar").unwrap());

    fn caps() -> &'static super::super::Capabilities {
        FileJar.capabilities()
    }

    const PAGE: &[u8] = include_bytes!("../../../tests/fixtures/filejar_page.json");

    fn query() -> ListQuery {
        ListQuery::new(caps().default_sort)
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
        let plan = crate::api::plan(FileJar.as_ref(), Some(caps().default_sort), &filter);
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

mod flextell {
    use super::super::{Dialect, PageRequest};
    use crate::api::filter::Term;
    use crate::api::query::{ListQuery, Order, Sort, SortField};

    #[allow(non_upper_case_globals)]
    static Flextell: std::sync::LazyLock<std::sync::Arc<dyn Dialect>> =
        std::sync::LazyLock::new(|| super::super::by_id("flextell").unwrap());

    fn caps() -> &'static super::super::Capabilities {
        Flextell.capabilities()
    }
    use crate::api::filter;

    const PAGE: &[u8] = include_bytes!("../../../tests/fixtures/flextell_page.json");
    const ERROR: &[u8] = include_bytes!("../../../tests/fixtures/flextell_error.json");

    fn first() -> PageRequest {
        PageRequest { number: 1, size: 1 }
    }

    #[test]
    fn decodes_the_fixture() {
        let q = ListQuery::new(caps().default_sort);
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
        let q = ListQuery::new(caps().default_sort);
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
        let plan = crate::api::plan(Flextell.as_ref(), Some(sort), &f);
        assert_eq!(
            plan.local.terms,
            vec![
                Term::Type("image/png".into()),
                Term::Size(filter::Cmp::Gt, 1000, filter::SizeUnit::KB)
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
        let plan = crate::api::plan(Flextell.as_ref(), Some(sort), &f);
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

mod astracollab {
    use super::super::{Dialect, PageRequest, Scope};
    use crate::api::filter::Term;
    use crate::api::query::{ListQuery, Order, Sort, SortField};

    #[allow(non_upper_case_globals)]
    static AstraCollab: std::sync::LazyLock<std::sync::Arc<dyn Dialect>> =
        std::sync::LazyLock::new(|| super::super::by_id("astracollab").unwrap());

    fn caps() -> &'static super::super::Capabilities {
        AstraCollab.capabilities()
    }
    use crate::api::filter;

    const PAGE: &[u8] = include_bytes!("../../../tests/fixtures/astracollab_page.json");
    const ERROR: &[u8] = include_bytes!("../../../tests/fixtures/astracollab_error.json");

    fn first() -> PageRequest {
        PageRequest {
            number: 1,
            size: 20,
        }
    }

    #[test]
    fn decodes_the_fixture() {
        let q = ListQuery::new(caps().default_sort);
        let page = AstraCollab
            .decode_page(&q, first(), PAGE, Default::default())
            .unwrap();
        assert_eq!(page.total, Some(1));
        assert_eq!(page.has_next, Some(false));
        let r = &page.records[0];
        assert_eq!(r.id, "file_7c1d9e2f3a4b5c6d");
        assert_eq!(r.name, "hero-banner.jpg");
        assert_eq!(r.size, Some(1_024_000));
        assert_eq!(r.content_type.as_deref(), Some("image/jpeg"));
        assert_eq!(
            r.created_at.unwrap().to_rfc3339(),
            "2024-01-15T10:30:00+00:00"
        );
        assert!(r.url.is_some());
        assert!(r.problems.is_empty());
    }

    #[test]
    fn search_category_folder_and_sort_go_to_the_server() {
        let f = filter::parse(
            "hero type:image folder:folder_123 type:image/png",
            &AstraCollab.filter_keys(),
        )
        .unwrap();
        let sort = Sort {
            field: SortField::Updated,
            order: Order::Asc,
        };
        let plan = crate::api::plan(AstraCollab.as_ref(), Some(sort), &f);
        assert_eq!(plan.local.terms, vec![Term::Type("image/png".into())]);
        assert_eq!(plan.local.sort, None);
        let spec = AstraCollab.list_request(&plan.server, first());
        assert_eq!(
            spec.query,
            crate::api::dialect::params(vec![
                ("page", "1".into()),
                ("limit", "20".into()),
                ("sortBy", "updatedAt".into()),
                ("sortOrder", "asc".into()),
                ("search", "hero".into()),
                ("type", "image".into()),
                ("folderId", "folder_123".into()),
            ])
        );
    }

    #[test]
    fn folders_are_a_tree_of_scopes() {
        let spec = AstraCollab
            .scopes_request(
                Some("folder_1"),
                PageRequest {
                    number: 2,
                    size: 500,
                },
            )
            .unwrap();
        assert_eq!(spec.path, "/v1/folders");
        assert!(spec.query.contains(&crate::api::dialect::param(
            "parentFolderId",
            "folder_1".to_string()
        )));
        assert!(
            spec.query
                .contains(&crate::api::dialect::param("limit", "100".to_string()))
        );
        let body = br#"{"success": true, "data": {"folders": [
            {"id": "folder_123", "name": "Marketing", "parentFolderId": null, "fileCount": 1200},
            {"id": 7}, {"name": "no id"}],
            "pagination": {"page": 1, "hasNext": true}}}"#;
        let page = AstraCollab.decode_scopes(body).unwrap();
        assert!(page.has_next);
        assert_eq!(
            page.scopes,
            vec![
                Scope {
                    id: "folder_123".into(),
                    name: "Marketing".into(),
                    note: Some("1,200 files".into()),
                    files: Some(1_200),
                    bytes: None,
                },
                Scope {
                    id: "7".into(),
                    name: "7".into(),
                    note: None,
                    files: None,
                    bytes: None,
                },
            ]
        );
        assert_eq!(
            AstraCollab.scope_term("folder_123"),
            Term::Folder("folder_123".into())
        );
    }

    #[test]
    fn reads_the_error_envelope_with_details() {
        let info = AstraCollab.decode_error(ERROR).unwrap();
        assert_eq!(info.code.as_deref(), Some("INVALID_PARAMETERS"));
        assert_eq!(
            info.message,
            "Invalid query parameters (limit: Must be between 1 and 100)"
        );
    }
}

mod fileguard {
    use super::super::{Dialect, PageRequest};
    use crate::api::filter::Term;
    use crate::api::query::{ListQuery, Order, Sort, SortField};

    #[allow(non_upper_case_globals)]
    static FileGuard: std::sync::LazyLock<std::sync::Arc<dyn Dialect>> =
        std::sync::LazyLock::new(|| super::super::by_id("fileguard").unwrap());

    fn caps() -> &'static super::super::Capabilities {
        FileGuard.capabilities()
    }
    use crate::api::filter;

    const PAGE: &[u8] = include_bytes!("../../../tests/fixtures/fileguard_page.json");
    const ERROR: &[u8] = include_bytes!("../../../tests/fixtures/fileguard_error.json");

    fn first() -> PageRequest {
        PageRequest { number: 1, size: 2 }
    }

    #[test]
    fn decodes_the_fixture() {
        let q = ListQuery::new(caps().default_sort);
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
        let q = ListQuery::new(caps().default_sort);
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
        let plan = crate::api::plan(FileGuard.as_ref(), Some(sort), &f);
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

/// The built-in definitions are what a user can write: each, declared under another name in a
/// configuration, asks for every page exactly as the built-in does.
mod as_a_users_own {
    use super::super::{Dialects, PageRequest, by_id};
    use crate::api::query::{ListQuery, Order, Sort, SortField};

    #[derive(serde::Deserialize)]
    struct File {
        dialects: std::collections::BTreeMap<String, super::super::declared::Definition>,
    }

    #[test]
    fn a_copy_of_each_builtin_definition_asks_as_the_builtin() {
        for (name, text) in super::super::BUILTIN_DEFINITIONS {
            let file: File = toml::from_str(text).unwrap();
            let def = file.dialects[name].clone();
            let mine = format!("my-{name}");
            let mut dialects = Dialects::default();
            dialects.declare(&mine, def.clone()).unwrap();
            // The built-in name itself is refused.
            assert!(dialects.declare(name, def).is_err());
            let copy = dialects.get(&mine).unwrap();
            let builtin = by_id(name).unwrap();
            assert_eq!(copy.id(), mine);
            let (a, b) = (copy.capabilities(), builtin.capabilities());
            assert_eq!(
                (
                    &a.auth,
                    &a.sort_fields,
                    a.default_sort,
                    a.order_known,
                    a.search
                ),
                (
                    &b.auth,
                    &b.sort_fields,
                    b.default_sort,
                    b.order_known,
                    b.search
                ),
                "{name}"
            );
            assert_eq!(a.terms, b.terms, "{name}");
            assert_eq!(copy.filter_keys(), builtin.filter_keys(), "{name}");
            for field in SortField::ALL {
                let mut q = ListQuery::new(Sort {
                    field,
                    order: Order::Asc,
                });
                q.search = "report".into();
                let page = PageRequest {
                    number: 3,
                    size: 40,
                };
                assert_eq!(
                    copy.list_request(&q, page),
                    builtin.list_request(&q, page),
                    "{name}"
                );
            }
            assert_eq!(copy.detail_request("a/b"), builtin.detail_request("a/b"));
            assert_eq!(copy.delete_request("a/b"), builtin.delete_request("a/b"));
            assert_eq!(copy.scope_kind(), builtin.scope_kind());
        }
    }
}
