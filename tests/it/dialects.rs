//! Every dialect against the demo server speaking it, over real HTTP on 127.0.0.1: the client
//! (`api::Client` + the dialect) and the explorer (`App`) must list, page, sort and filter each
//! API as its users expect. Expected values come from the demo's dataset (the files every
//! dialect serves), never from the client under test.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use crate::common;

use std::collections::BTreeMap;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use filescope::api::dialect::{PageRequest, by_id};
use filescope::api::plan::compare_by;
use filescope::api::{
    ApiError, Client, Connection, FileRecord, ListQuery, Order, Secret, Sort, Term, filter,
};
use filescope::app::Msg;
use filescope_demo::DemoServer;

/// Every dialect the client speaks, from its registry.
fn dialects() -> Vec<&'static str> {
    filescope::api::dialect::ids()
}
const KEY: &str = "test-key";

async fn serve(dialect: &str, files: usize) -> DemoServer {
    common::Demo::new(files)
        .key(KEY)
        .dialect(dialect)
        .start()
        .await
}

fn client(server: &DemoServer, dialect: &str, key: Option<&str>) -> Client {
    common::client(dialect, &server.base_url, key)
}

/// Every record of a listing, page by page as the explorer reads it, until the API says the end.
async fn list_all(client: &Client, query: &ListQuery) -> Vec<FileRecord> {
    let size = client.dialect().capabilities().ui_page_size;
    let mut all = Vec::new();
    for number in 1.. {
        let page = client
            .list_page(query, PageRequest { number, size })
            .await
            .unwrap_or_else(|e| panic!("{} page {number}: {e}", client.dialect().id()));
        let len = page.records.len();
        all.extend(page.records);
        let done = match (page.has_next, page.total) {
            (Some(next), _) => !next,
            (None, Some(total)) => all.len() >= total,
            (None, None) => len < size,
        };
        if done || len == 0 {
            break;
        }
        assert!(number < 10_000, "the listing never ends");
    }
    all
}

fn default_query(dialect: &str) -> ListQuery {
    ListQuery::new(by_id(dialect).unwrap().capabilities().default_sort)
}

/// Flextell hides trashed files unless asked for them with `trashed:true`; every other
/// dialect lists everything by default.
async fn trashed(client: &Client, dialect: &str) -> Vec<FileRecord> {
    if dialect != "flextell" {
        return Vec::new();
    }
    let mut query = default_query(dialect);
    query.terms = vec![Term::Trashed(true)];
    list_all(client, &query).await
}

/// `(name, size)` of every file the demo holds, counted.
fn dataset_files(server: &DemoServer) -> BTreeMap<(String, u64), usize> {
    let mut files = BTreeMap::new();
    for i in 0..server.dataset.len() {
        let f = server.dataset.file(i);
        *files.entry((f.file_name, f.size)).or_default() += 1;
    }
    files
}

fn listed_files(records: &[FileRecord]) -> BTreeMap<(String, u64), usize> {
    let mut files = BTreeMap::new();
    for r in records {
        *files
            .entry((r.name.clone(), r.size.expect("every demo file has a size")))
            .or_default() += 1;
    }
    files
}

#[tokio::test]
async fn every_dialect_lists_the_whole_dataset_once() {
    for dialect in dialects() {
        let server = serve(dialect, 260).await;
        let client = client(&server, dialect, Some(KEY));
        let mut records = list_all(&client, &default_query(dialect)).await;
        let bin = trashed(&client, dialect).await;
        assert!(
            bin.iter()
                .all(|r| raw_field(r, "deleted_at").is_some_and(|v| !v.is_null())),
            "{dialect}: trashed files say so"
        );
        assert!(
            records
                .iter()
                .all(|r| raw_field(r, "deleted_at").is_none_or(|v| v.is_null())),
            "{dialect}: the default listing has no trashed files"
        );
        records.extend(bin);
        assert_eq!(records.len(), 260, "{dialect}");
        assert_eq!(listed_files(&records), dataset_files(&server), "{dialect}");
        let mut ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 260, "{dialect}: ids are unique");
        assert!(
            records.iter().all(|r| r.problems.is_empty()),
            "{dialect}: {:?}",
            records.iter().find(|r| !r.problems.is_empty())
        );
    }
}

#[tokio::test]
async fn every_server_side_sort_orders_the_whole_listing() {
    for dialect in dialects() {
        let server = serve(dialect, 230).await;
        let client = client(&server, dialect, Some(KEY));
        let listed = 230 - trashed(&client, dialect).await.len();
        for &field in client.dialect().capabilities().sort_fields.iter() {
            for order in [Order::Asc, Order::Desc] {
                let sort = Sort { field, order };
                let records = list_all(&client, &ListQuery::new(sort)).await;
                assert_eq!(records.len(), listed, "{dialect} {sort}");
                for pair in records.windows(2) {
                    let ordering = compare_by(sort, &pair[0], &pair[1]);
                    assert_ne!(
                        ordering,
                        std::cmp::Ordering::Greater,
                        "{dialect} {sort}: {:?} before {:?}",
                        pair[0].name,
                        pair[1].name
                    );
                }
            }
        }
    }
}

/// Server-side search returns every matching file and nothing else. FileJar's search also
/// matches ids and storage keys (its spec says so); the others match names only.
#[tokio::test]
async fn server_side_search_finds_exactly_the_matching_names() {
    for dialect in ["filejar", "openwebui", "astracollab"] {
        let server = serve(dialect, 400).await;
        let client = client(&server, dialect, Some(KEY));
        let all = list_all(&client, &default_query(dialect)).await;
        assert_eq!(all.len(), 400, "{dialect}: the unfiltered listing is whole");
        let mut query = default_query(dialect);
        query.search = "report".into();
        let found = list_all(&client, &query).await;
        let matches = |r: &FileRecord| {
            let mut fields = vec![r.name.clone()];
            if dialect == "filejar" {
                fields.push(r.id.clone());
                fields.extend(raw_field(r, "key").and_then(|v| v.as_str().map(str::to_string)));
            }
            fields.iter().any(|f| f.to_lowercase().contains("report"))
        };
        let expected = ids(all.iter().filter(|r| matches(r)));
        assert!(!expected.is_empty(), "{dialect}: the dataset has reports");
        assert_eq!(
            ids(found.iter()),
            expected,
            "{dialect}: every match, and only matches"
        );
        assert_eq!(found.len(), expected.len(), "{dialect}: each once");
    }
}

/// The ids of some records, sorted, for comparing listings as sets.
fn ids<'a>(records: impl Iterator<Item = &'a FileRecord>) -> Vec<String> {
    let mut ids: Vec<String> = records.map(|r| r.id.clone()).collect();
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn a_search_that_matches_nothing_is_an_empty_listing() {
    for dialect in ["filejar", "openwebui", "astracollab"] {
        let server = serve(dialect, 50).await;
        let client = client(&server, dialect, Some(KEY));
        let mut query = default_query(dialect);
        query.search = "no-such-file-zzzz".into();
        let page = client
            .list_page(
                &query,
                PageRequest {
                    number: 1,
                    size: 50,
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{dialect}: {e}"));
        assert!(page.records.is_empty(), "{dialect}");
        assert_ne!(page.has_next, Some(true), "{dialect}");
    }
}

/// Every server-side filter term of every dialect, checked against the records' own fields:
/// each returned record matches (soundness), and every record of the unfiltered listing that
/// matches came back (completeness).
#[tokio::test]
async fn server_side_filters_keep_exactly_what_they_promise() {
    type Holds = fn(&FileRecord) -> bool;
    let cases: &[(&str, &str, Holds)] = &[
        ("filejar", "type:application/pdf", |r| {
            r.content_type.as_deref() == Some("application/pdf")
        }),
        ("filejar", "size>1MB size<=50MB", |r| {
            r.size.is_some_and(|s| s > 1_000_000 && s <= 50_000_000)
        }),
        ("astracollab", "type:image", |r| {
            r.content_type
                .as_deref()
                .is_some_and(|t| t.starts_with("image/"))
        }),
        ("flextell", "trashed:true", |r| {
            raw_field(r, "deleted_at").is_some_and(|v| !v.is_null())
        }),
        ("flextell", "type:form_image", |r| {
            raw_field(r, "type").and_then(|v| v.as_str().map(str::to_string))
                == Some("form_image".into())
        }),
    ];
    for &(dialect, text, holds) in cases {
        let server = serve(dialect, 300).await;
        let client = client(&server, dialect, Some(KEY));
        let dialect_ref = by_id(dialect).unwrap();
        let parsed = filter::parse(text, &dialect_ref.filter_keys()).unwrap();
        let plan = filescope::api::plan(dialect_ref.as_ref(), None, &parsed);
        assert!(
            plan.local.terms.is_empty(),
            "{dialect} {text}: all server-side"
        );
        // What the filter chooses from: the default listing, plus (for `trashed:true`) the
        // bin it opens; together they are the whole dataset.
        let mut base = list_all(&client, &default_query(dialect)).await;
        let bin = trashed(&client, dialect).await;
        assert_eq!(base.len() + bin.len(), 300, "{dialect}: every file listed");
        if text == "trashed:true" {
            base.extend(bin);
        }
        let found = list_all(&client, &plan.server).await;
        assert!(!found.is_empty(), "{dialect} {text}: the dataset has some");
        assert!(found.len() < 300, "{dialect} {text}: the filter filters");
        assert!(found.iter().all(holds), "{dialect} {text}: only matches");
        assert_eq!(
            ids(found.iter()),
            ids(base.iter().filter(|r| holds(r))),
            "{dialect} {text}: every match came back, once"
        );
    }
}

fn raw_field(record: &FileRecord, key: &str) -> Option<serde_json::Value> {
    let value: serde_json::Value = serde_json::from_str(record.raw.get()).ok()?;
    value.get(key).cloned()
}

#[tokio::test]
async fn contexts_and_folders_narrow_the_listing() {
    // FileGuard: every context the API lists, filtered server-side, partitions the files.
    let server = serve("fileguard", 300).await;
    let guard = client(&server, "fileguard", Some(KEY));
    let contexts = guard
        .scopes(
            None,
            PageRequest {
                number: 1,
                size: 100,
            },
        )
        .await
        .unwrap();
    assert!(contexts.scopes.len() >= 2);
    let mut total = 0;
    for context in &contexts.scopes {
        let mut query = default_query("fileguard");
        query.terms = vec![Term::Context(context.id.clone())];
        let found = list_all(&guard, &query).await;
        assert!(found.iter().all(|r| {
            raw_field(r, "context_key").and_then(|v| v.as_str().map(str::to_string))
                == Some(context.id.clone())
        }));
        total += found.len();
    }
    assert_eq!(total, 300, "every file is in exactly one context");

    // AstraCollab: a folder's listing holds only that folder's files.
    let server = serve("astracollab", 300).await;
    let astra = client(&server, "astracollab", Some(KEY));
    let folders = astra
        .scopes(
            None,
            PageRequest {
                number: 1,
                size: 100,
            },
        )
        .await
        .unwrap();
    let folder = folders.scopes.first().expect("the demo has folders");
    let mut query = default_query("astracollab");
    query.terms = vec![Term::Folder(folder.id.clone())];
    let found = list_all(&astra, &query).await;
    let in_folder = |r: &FileRecord| {
        raw_field(r, "folderId").and_then(|v| v.as_str().map(str::to_string))
            == Some(folder.id.clone())
    };
    assert!(!found.is_empty(), "the first folder holds files");
    assert!(found.iter().all(in_folder), "only that folder's files");
    // Without a folder every file is listed, wherever it lives.
    let everything = list_all(&astra, &default_query("astracollab")).await;
    assert_eq!(everything.len(), 300);
    assert_eq!(
        ids(found.iter()),
        ids(everything.iter().filter(|r| in_folder(r))),
        "every file of that folder"
    );
}

#[tokio::test]
async fn a_wrong_key_is_one_line_naming_the_credential() {
    for dialect in dialects() {
        let server = serve(dialect, 10).await;
        let client = client(&server, dialect, Some("wrong-key"));
        let err = client
            .list_page(
                &default_query(dialect),
                PageRequest {
                    number: 1,
                    size: 10,
                },
            )
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(
                err,
                ApiError::Http {
                    status: 401 | 403,
                    ..
                }
            ),
            "{dialect}: {text}"
        );
        let credential = by_id(dialect).unwrap().auth().describe();
        assert!(text.contains(&credential), "{dialect}: {text}");
        assert!(text.contains("FILESCOPE_API_KEY"), "{dialect}: {text}");
        assert!(
            !text.contains("wrong-key"),
            "{dialect}: the key leaked: {text}"
        );
        assert!(!text.contains('\n'), "{dialect}");
    }
}

#[tokio::test]
async fn an_out_of_range_page_size_reports_the_apis_own_message() {
    for dialect in ["filejar", "flextell", "fileguard", "astracollab"] {
        let server = serve(dialect, 10).await;
        let client = client(&server, dialect, Some(KEY));
        let too_big = client.dialect().capabilities().max_page_size + 1;
        let err = client
            .list_page(
                &default_query(dialect),
                PageRequest {
                    number: 1,
                    size: too_big,
                },
            )
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(
                err,
                ApiError::Http {
                    status: 400 | 422,
                    ..
                }
            ),
            "{dialect}: {text}"
        );
        // Each API's own words, from its spec (and so the demo's).
        let said = match dialect {
            "filejar" => "between 1 and 1000",
            "flextell" => "The per page field must be between 1 and 100.",
            "fileguard" => "page_size must be at most 100",
            _ => "Must be between 1 and 100",
        };
        assert!(
            text.contains(said),
            "{dialect}: the API's message {said:?} is shown: {text}"
        );
    }
}

#[tokio::test]
async fn past_the_last_page_there_is_nothing_more() {
    for dialect in dialects() {
        let server = serve(dialect, 120).await;
        let client = client(&server, dialect, Some(KEY));
        let size = client.dialect().capabilities().ui_page_size;
        let listed = 120 - trashed(&client, dialect).await.len();
        let last = listed.div_ceil(size);
        let page = client
            .list_page(&default_query(dialect), PageRequest { number: last, size })
            .await
            .unwrap();
        assert_eq!(page.records.len(), listed - (last - 1) * size, "{dialect}");
        assert_ne!(
            page.has_next,
            Some(true),
            "{dialect}: the last page says so"
        );
    }
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

/// The explorer on each dialect: sort by size locally where the API cannot, load everything
/// with `A`, and the rows must be exactly the dataset in size order, marked as local.
#[tokio::test]
async fn local_sorts_are_marked_and_complete_once_everything_is_loaded() {
    for dialect in ["openwebui", "fileguard"] {
        let server = serve(dialect, 330).await;
        let client = client(&server, dialect, Some(KEY));
        let d = by_id(dialect).unwrap();
        let page_size = d.capabilities().ui_page_size;
        let mut app = common::app_of(d, "test", page_size, Default::default());
        let now = Instant::now();
        let effects = app.start(120, 30, now);
        common::settle(&mut app, &client, effects).await;
        app.update(key('o'), now);
        let effects = app.update(key('s'), now);
        common::settle(&mut app, &client, effects).await;
        let header = filescope::ui::local_text(&app).unwrap();
        assert!(
            header.starts_with("sorted locally · "),
            "{dialect}: {header}"
        );
        assert!(header.ends_with("A loads all"), "{dialect}: {header}");
        let effects = app.update(key('A'), now);
        common::settle(&mut app, &client, effects).await;
        assert_eq!(
            filescope::ui::local_text(&app).unwrap(),
            "sorted locally · all 330 loaded",
            "{dialect}"
        );
        let shown: Vec<u64> = (0..app.row_count())
            .map(|i| match app.row(i) {
                filescope::listing::Row::Loaded(r) => r.size.unwrap(),
                other => panic!("{dialect}: row {i} is {other:?}"),
            })
            .collect();
        let mut expected: Vec<u64> = (0..330).map(|i| server.dataset.file(i).size).collect();
        expected.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(shown, expected, "{dialect}");
    }
}

#[tokio::test]
async fn the_detail_pane_reads_the_richer_record_and_never_counts_a_download() {
    // FileGuard: /metadata adds the checksum; the download counter does not move.
    let server = serve("fileguard", 40).await;
    let guard = client(&server, "fileguard", Some(KEY));
    let first = list_all(&guard, &default_query("fileguard")).await;
    let target = &first[3];
    let count_before = raw_field(target, "download_count").unwrap();
    for _ in 0..3 {
        let full = guard
            .detail(&target.id)
            .await
            .unwrap()
            .expect("FileGuard has detail");
        assert_eq!(full.id, target.id);
        assert!(
            raw_field(&full, "checksum")
                .is_some_and(|c| c.as_str().is_some_and(|c| c.starts_with("sha256:"))),
            "{}",
            full.raw.get()
        );
    }
    let again = list_all(&guard, &default_query("fileguard")).await;
    let after = again.iter().find(|r| r.id == target.id).unwrap();
    assert_eq!(raw_field(after, "download_count").unwrap(), count_before);

    // Flextell: /v1/files/{id} answers with `data`.
    let server = serve("flextell", 40).await;
    let flex = client(&server, "flextell", Some(KEY));
    let listed = list_all(&flex, &default_query("flextell")).await;
    let full = flex.detail(&listed[0].id).await.unwrap().unwrap();
    assert_eq!(
        (full.id.as_str(), full.name.as_str()),
        (listed[0].id.as_str(), listed[0].name.as_str())
    );

    // The others have no free single-file endpoint: nothing is requested.
    let server = serve("astracollab", 5).await;
    let astra = client(&server, "astracollab", Some(KEY));
    let before = server.stats.requests();
    assert!(astra.detail("file_x").await.unwrap().is_none());
    assert_eq!(server.stats.requests(), before);
}

#[tokio::test]
async fn flextell_tenants_come_from_a_header() {
    let server = serve("flextell", 600).await;
    let all = list_all(
        &client(&server, "flextell", Some(KEY)),
        &default_query("flextell"),
    )
    .await;
    let mut conn = Connection::new(
        by_id("flextell").unwrap(),
        server.base_url.parse().unwrap(),
        Some(Secret::new(KEY)),
    );
    conn.headers = vec![("X-Tenant".into(), "3".into())];
    let tenant = list_all(&Client::new(conn).unwrap(), &default_query("flextell")).await;
    assert!(
        !tenant.is_empty() && tenant.len() < all.len(),
        "{} of {}",
        tenant.len(),
        all.len()
    );
}

#[tokio::test]
async fn older_open_webui_servers_under_api_send_everything_at_once() {
    let server = serve("openwebui", 300).await;
    let mut conn = Connection::new(
        by_id("openwebui").unwrap(),
        server.base_url.parse().unwrap(),
        Some(Secret::new(KEY)),
    );
    conn.path_prefix = Some("/api".into());
    let client = Client::new(conn).unwrap();
    let page = client
        .list_page(
            &default_query("openwebui"),
            PageRequest {
                number: 1,
                size: 50,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.records.len(), 300, "the legacy list is one bare array");
    assert_eq!((page.total, page.has_next), (Some(300), Some(false)));

    // The explorer files it as six pages of 50 and asks for nothing more.
    let d = by_id("openwebui").unwrap();
    let mut app = common::app_of(d, "legacy", 50, Default::default());
    let effects = app.start(120, 30, Instant::now());
    let before = server.stats.list_requests();
    common::settle(&mut app, &client, effects).await;
    let effects = app.update(key('G'), Instant::now());
    common::settle(&mut app, &client, effects).await;
    assert_eq!(
        server.stats.list_requests() - before,
        1,
        "one request for everything"
    );
    assert_eq!(app.row_count(), 300);
    assert!(matches!(app.row(299), filescope::listing::Row::Loaded(_)));
}

#[test]
fn the_demo_serves_every_dialect_of_the_registry() {
    for id in dialects() {
        assert!(
            filescope_demo::DIALECTS.contains(&id),
            "the demo server does not speak {id}"
        );
    }
}

/// Issue 16, bug 3: on Flextell `type:image` is every `image/…` file, as docs/FILTERS.md
/// promises and as `stats` counts them, not only the server's `image` category (which leaves
/// out `form_image` and `certificate` scans).
#[tokio::test]
async fn flextell_type_image_counts_what_stats_counts_as_image() {
    let server = serve("flextell", 1_000).await;
    let client = client(&server, "flextell", Some(KEY));
    let dialect = by_id("flextell").unwrap();
    let everything = filescope::api::plan(dialect.as_ref(), None, &Default::default());
    let stats = filescope::insight::scan(&client, &everything, 4, |_, _| true)
        .await
        .unwrap();
    let images = stats.families[&filescope::insight::Family::Image].files;
    let parsed = filter::parse("type:image", &dialect.filter_keys()).unwrap();
    let plan = filescope::api::plan(dialect.as_ref(), None, &parsed);
    let filtered = filescope::insight::scan(&client, &plan, 4, |_, _| true)
        .await
        .unwrap();
    assert!(images > 0, "the dataset has images");
    assert_eq!(
        filtered.total.files, images,
        "type:image finds {} files where stats counts {images} image/… files",
        filtered.total.files
    );
}

/// Issue 16, bug 5: a server speaking another dialect is named as such, never blamed on the
/// key: each of the 20 pairs says which API it reads like, from an error envelope or, where the
/// other API answers 200, from its list envelope.
#[tokio::test]
async fn a_wrong_dialect_is_named_not_blamed_on_the_key() {
    let builtin = [
        "filejar",
        "openwebui",
        "flextell",
        "fileguard",
        "astracollab",
    ];
    let mut named = 0;
    for server_dialect in builtin {
        let server = serve(server_dialect, 30).await;
        for client_dialect in builtin.iter().filter(|d| **d != server_dialect) {
            let client = client(&server, client_dialect, Some(KEY));
            let query = default_query(client_dialect);
            let err = client
                .list_page(
                    &query,
                    PageRequest {
                        number: 1,
                        size: 10,
                    },
                )
                .await
                .err();
            let Some(err) = err else {
                panic!("{client_dialect} client on a {server_dialect} server read a page");
            };
            let text = err.to_string();
            assert!(
                !text.contains("was rejected") && !text.contains("to a valid key"),
                "{client_dialect} client on a {server_dialect} server blames the key: {text}"
            );
            // An error envelope (most pairs) or a 200 in another API's list envelope.
            let what = match err {
                ApiError::Http { .. } => "",
                ApiError::Decode { .. } => " list",
                _ => panic!("{client_dialect} client on a {server_dialect} server: {text}"),
            };
            assert!(
                text.contains(&format!("this answer is not {client_dialect}'s:"))
                    && text.contains(&format!("reads like {server_dialect}'s{what}"))
                    && text.contains(&format!("--dialect {server_dialect}?")),
                "{client_dialect} client on a {server_dialect} server: {text}"
            );
            named += 1;
        }
    }
    assert_eq!(named, 20, "every wrong pair is named");
}
