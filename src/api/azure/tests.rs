use std::time::Duration;

use super::*;
use crate::api::client::Secret;
use crate::api::family::Reach;

fn azure(container: Option<&str>, root: &str, levels: bool) -> Azure {
    Azure {
        account: "devstoreaccount1".into(),
        container: container.map(str::to_string),
        root: root.into(),
        endpoint: Url::parse("http://127.0.0.1:10000/devstoreaccount1").unwrap(),
        credential: Credential::SharedKey {
            key: Secret::new(credentials::DEV_KEY),
            source: "test".into(),
        },
        levels,
        start_from: false,
    }
}

fn first_page() -> PageRequest {
    PageRequest {
        number: 1,
        size: 100,
    }
}

#[test]
fn list_requests_name_the_container_prefix_delimiter_and_marker() {
    let a = azure(Some("data"), "data/logs/", true);
    let q = ListQuery::new(CAPABILITIES.default_sort);
    let spec = a.list_request(&q, first_page());
    assert_eq!(spec.path, "/data");
    assert!(has(&spec, "restype", "container") && has(&spec, "comp", "list"));
    assert!(has(&spec, "prefix", "logs/") && has(&spec, "delimiter", "/"));
    assert!(has(&spec, "maxresults", "100"));
    let url = a.request_url(&spec.path, &spec.query).unwrap();
    assert_eq!(
        url.as_str(),
        "http://127.0.0.1:10000/devstoreaccount1/data?restype=container&comp=list&maxresults=100&prefix=logs%2F&delimiter=%2F"
    );
    let next = a.continue_request(
        &q,
        PageRequest {
            number: 2,
            size: 9000,
        },
        "2!88!MDAw",
    );
    assert!(has(&next, "marker", "2!88!MDAw") && has(&next, "maxresults", "5000"));
    // The account: its containers, and inside one, that container's blobs.
    let account = azure(None, "", true);
    let spec = account.list_request(&q, first_page());
    assert_eq!(spec.path, "");
    assert!(has(&spec, "comp", "list") && !has(&spec, "restype", "container"));
    let url = account.request_url(&spec.path, &spec.query).unwrap();
    assert_eq!(
        url.as_str(),
        "http://127.0.0.1:10000/devstoreaccount1?comp=list&maxresults=100"
    );
    let mut inside = q.clone();
    inside.terms.push(Term::Folder("data/sub/".into()));
    let spec = account.list_request(&inside, first_page());
    assert_eq!(spec.path, "/data");
    assert!(has(&spec, "prefix", "sub/"));
}

#[test]
fn blob_names_reach_the_store_byte_for_byte_and_dot_segments_are_refused() {
    let a = azure(Some("data"), "data/", true);
    let url = a.request_url("/data/a b+c%20/日.txt", &[]).unwrap();
    assert_eq!(
        url.as_str(),
        "http://127.0.0.1:10000/devstoreaccount1/data/a%20b%2Bc%2520/%E6%97%A5.txt"
    );
    assert!(a.request_url("/data/x/../y", &[]).is_err());
    assert!(a.request_url("/data/bad\u{fffd}", &[]).is_err());
    assert_eq!(
        a.place_of_url(&url),
        Some(("data".to_string(), Some("a b+c%20/日.txt".to_string())))
    );
    let container = a.request_url("/data", &[]).unwrap();
    assert_eq!(a.place_of_url(&container), Some(("data".to_string(), None)));
}

#[test]
fn a_page_lists_folders_and_blobs_in_name_order_and_names_them_from_the_folder() {
    let a = azure(Some("data"), "data/", true);
    let body = r#"<EnumerationResults><Blobs><BlobPrefix><Name>../</Name></BlobPrefix><BlobPrefix><Name>dir/</Name></BlobPrefix><Blob><Name>a.txt</Name><Properties><Content-Length>5</Content-Length><Content-Type>text/plain</Content-Type><Content-MD5>XUFAKrxLKna5cZ2REBfFkg==</Content-MD5></Properties></Blob><Blob><Name>z.txt</Name><Properties/></Blob></Blobs><NextMarker>m</NextMarker></EnumerationResults>"#;
    let q = ListQuery::new(CAPABILITIES.default_sort);
    let page = a
        .decode_page(&q, first_page(), body.as_bytes(), Limits::default())
        .unwrap();
    let rows: Vec<(&str, &str)> = page
        .records
        .iter()
        .map(|r| (r.id.as_str(), r.name.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("../", "%2E%2E/"),
            ("a.txt", "a.txt"),
            ("dir/", "dir/"),
            ("z.txt", "z.txt")
        ]
    );
    assert!(a.is_folder(&page.records[2]));
    assert_eq!(page.next, Some(Continuation::Cursor("m".into())));
    assert_eq!(page.records[1].size, Some(5));
    // The listing's Content-MD5 is the blob's MD5 of "hello".
    assert_eq!(
        a.checksum(&page.records[1]).map(|c| c.hex),
        Some("5d41402abc4b2a76b9719d911017c592".to_string())
    );
    assert_eq!(
        a.content_source(&page.records[1]),
        ContentSource::Endpoint(RequestSpec {
            path: "/data/a.txt".into(),
            query: vec![]
        })
    );
    // Rows up to the key a page starts after are not its rows.
    let mut after = q.clone();
    after.start_after = Some("a.txt".into());
    let page = a
        .decode_page(&after, first_page(), body.as_bytes(), Limits::default())
        .unwrap();
    assert_eq!(page.records[0].id, "dir/");
}

#[test]
fn the_account_lists_containers_as_folders_whose_ids_carry_the_container() {
    let a = azure(None, "", true);
    let q = ListQuery::new(CAPABILITIES.default_sort);
    let body = r#"<EnumerationResults><Containers><Container><Name>data</Name><Properties/></Container><Container><Name>logs</Name></Container></Containers><NextMarker/></EnumerationResults>"#;
    let page = a
        .decode_page(&q, first_page(), body.as_bytes(), Limits::default())
        .unwrap();
    let ids: Vec<&str> = page.records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["data/", "logs/"]);
    assert!(a.is_folder(&page.records[0]));
    assert_eq!(page.next, None);
    let mut inside = q.clone();
    inside.terms.push(Term::Folder("data/".into()));
    let body =
        r#"<EnumerationResults><Blobs><Blob><Name>k</Name></Blob></Blobs></EnumerationResults>"#;
    let page = a
        .decode_page(&inside, first_page(), body.as_bytes(), Limits::default())
        .unwrap();
    assert_eq!(
        (page.records[0].id.as_str(), page.records[0].name.as_str()),
        ("data/k", "k")
    );
    assert_eq!(
        a.detail_request("data/k").map(|s| s.path),
        Some("/data/k".to_string())
    );
}

#[test]
fn the_detail_reads_properties_md5_crc64_tier_and_lease() {
    let a = azure(Some("data"), "data/", true);
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("content-length", "5"),
        ("content-type", "text/plain"),
        ("content-md5", "XUFAKrxLKna5cZ2REBfFkg=="),
        ("x-ms-content-crc64", "AAAAAAAAAAA="),
        ("x-ms-access-tier", "Hot"),
        ("x-ms-lease-status", "unlocked"),
        ("x-ms-meta-owner", "me"),
        ("last-modified", "Tue, 08 Dec 2026 02:40:28 GMT"),
    ] {
        headers.insert(
            reqwest::header::HeaderName::from_static(name),
            value.parse().unwrap(),
        );
    }
    let r = a.decode_detail_answer("a.txt", &headers, b"").unwrap();
    assert_eq!(r.id, "a.txt");
    assert_eq!(r.size, Some(5));
    assert!(r.updated_at.is_some());
    let raw: serde_json::Value = serde_json::from_str(r.raw.get()).unwrap();
    assert_eq!(raw["AccessTier"], "Hot");
    assert_eq!(raw["LeaseStatus"], "unlocked");
    assert_eq!(raw["Metadata"]["owner"], "me");
    assert_eq!(a.checksum(&r).unwrap().algorithm, Algorithm::Md5);
    assert_eq!(a.checksum_text(&r).as_deref(), Some("crc64 AAAAAAAAAAA="));
}

#[test]
fn shared_key_signs_each_request_and_links_are_read_only_sases() {
    let a = azure(Some("data"), "data/", true);
    let url = a.request_url("/data/a b.txt", &[]).unwrap();
    let headers = a
        .sign(&reqwest::Method::GET, &url, &[("range", "bytes=0-9")])
        .unwrap();
    let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["x-ms-version", "x-ms-date", "authorization"]);
    assert!(headers[2].1.starts_with("SharedKey devstoreaccount1:"));
    let record = a.record("data/", "data/a b.txt", serde_json::json!({}));
    let link = a
        .share_link(&record, Duration::from_secs(900))
        .unwrap()
        .unwrap();
    let text = link.as_str();
    assert!(
        text.starts_with(
            "http://127.0.0.1:10000/devstoreaccount1/data/a%20b.txt?sv=2022-11-02&st="
        ),
        "{text}"
    );
    assert!(text.contains("&sr=b&sp=r&sig="), "{text}");
    assert!(!text.contains(credentials::DEV_KEY));
    // With a SAS, every URL carries it and no link can be made.
    let sas = Azure {
        credential: Credential::Sas {
            token: Secret::new("sv=1&sig=c2ln".to_string()),
            source: "the SAS in the URL".into(),
            var: None,
        },
        ..azure(Some("data"), "data/", true)
    };
    let conn = Connection::new(
        Arc::new(azure(Some("data"), "", true)),
        Url::parse("http://127.0.0.1:10000/devstoreaccount1").unwrap(),
        None,
    );
    let mut url = sas
        .request_url("/data", &[param_of("comp", "list")])
        .unwrap();
    sas.add_query_key(&conn, &mut url);
    assert_eq!(url.query(), Some("comp=list&sv=1&sig=c2ln"));
    sas.add_query_key(&conn, &mut url);
    assert_eq!(url.query(), Some("comp=list&sv=1&sig=c2ln"), "once");
    let why = sas
        .share_link(&record, Duration::from_secs(900))
        .unwrap()
        .unwrap_err();
    assert!(why.contains("not the account key"), "{why}");
    assert!(sas.secrets().contains(&"c2ln".to_string()));
}

fn param_of(name: &'static str, value: &str) -> Param {
    super::super::dialect::param(name, value)
}

use crate::api::client::Connection;
use std::sync::Arc;
