//! `s3://` with no bucket: the service, whose listing is its buckets (ListBuckets, `GET /` on
//! the endpoint, paged by `max-buckets` and `continuation-token` where the store pages it).
//!
//! A bucket is a folder row whose id is `BUCKET/`; entering it narrows the listing to the
//! folder `BUCKET/`, and everything under it is a bucket's own listing with its ids written
//! `BUCKET/KEY`. So the explorer goes into a bucket and back up to the list with the keys it
//! uses for folders, and every record says which bucket it is in.
//!
//! Each bucket entered is an [`S3`] of its own, made on its first request (with the region
//! the list named for it, where it did), so each corrects its own region; the service's
//! requests are signed by one more `S3` that names no bucket. A request's URL tells whose
//! it is ([`Buckets::owner`]), for signing it and for reading where the store says it
//! belongs.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use reqwest::Url;
use reqwest::header::HeaderMap;

use super::xml::buckets::{Bucket, bucket_list};
use super::{CAPABILITIES, FOLDER_TYPE, QUERY, S3, Settings, is_region};
use crate::api::client::Connection;
use crate::api::content::Checksum;
use crate::api::decode::Limits;
use crate::api::dialect::{
    Access, Capabilities, ContentSource, Continuation, Dialect, ErrorInfo, Page, PageRequest,
    Param, RequestSpec, ScopeKind, param,
};
use crate::api::family::{Reach, Relocation, Store};
use crate::api::filter::Term;
use crate::api::query::ListQuery;
use crate::api::record::FileRecord;
use crate::text::shell::Part;

/// The buckets of one S3 service (an endpoint and a key pair), and each bucket entered.
#[derive(Debug)]
pub struct Buckets {
    /// Signs and relocates the service's own requests: an `S3` naming no bucket.
    service: S3,
    /// What a bucket's `S3` is made of, but its name and region.
    template: Settings,
    /// The region the list named for each bucket, where it named one.
    regions: RwLock<HashMap<String, String>>,
    /// Each bucket requested so far.
    opened: RwLock<HashMap<String, Arc<S3>>>,
}

/// The service and every bucket in it are reached the same way it is.
impl From<Arc<Buckets>> for Store {
    fn from(buckets: Arc<Buckets>) -> Self {
        Store {
            dialect: buckets.clone(),
            reach: buckets,
        }
    }
}

/// A connection to the service a settings' endpoint names (`s3://` alone): the list of its
/// buckets first.
pub(super) fn connection(settings: Settings) -> Connection {
    let buckets = Buckets::new(settings);
    let base = buckets.service_url(&[]);
    let mut conn = Connection::new(Arc::new(buckets), base, None);
    conn.label = "s3://".to_string();
    conn
}

/// `BUCKET/KEY` as the bucket and the key (`BUCKET/` as the bucket and `""`).
fn split(id: &str) -> Option<(&str, &str)> {
    id.split_once('/').filter(|(bucket, _)| !bucket.is_empty())
}

/// A request of a bucket's, as the service's: its path under `/BUCKET`.
fn under(bucket: &str, spec: RequestSpec) -> RequestSpec {
    RequestSpec {
        path: format!("/{bucket}{}", spec.path),
        query: spec.query,
    }
}

/// A bucket's record as the service lists it: its id with the bucket in front.
fn in_bucket(bucket: &str, mut record: FileRecord) -> FileRecord {
    record.id = format!("{bucket}/{}", record.id);
    record
}

/// A record of the service as its bucket knows it: the id without the bucket.
fn as_bucket_has_it(record: &FileRecord) -> Option<(&str, FileRecord)> {
    let (bucket, key) = split(&record.id)?;
    let mut inner = record.clone();
    inner.id = key.to_string();
    Some((bucket, inner))
}

impl Buckets {
    /// The service at `settings`' endpoint (its bucket and root are not used).
    pub fn new(settings: Settings) -> Buckets {
        let template = Settings {
            bucket: String::new(),
            root: String::new(),
            ..settings
        };
        Buckets {
            service: S3::new(template.clone()),
            template,
            regions: RwLock::new(HashMap::new()),
            opened: RwLock::new(HashMap::new()),
        }
    }

    /// The bucket's `S3`, made on first use in the region the list named for it (else the
    /// service's, corrected by the bucket's first answer).
    fn bucket(&self, name: &str) -> Arc<S3> {
        if let Some(s3) = read(&self.opened).get(name) {
            return s3.clone();
        }
        let region = read(&self.regions)
            .get(name)
            .cloned()
            .unwrap_or_else(|| self.service.region());
        let mut opened = match self.opened.write() {
            Ok(opened) => opened,
            Err(poisoned) => poisoned.into_inner(),
        };
        opened
            .entry(name.to_string())
            .or_insert_with(|| {
                Arc::new(S3::new(Settings {
                    bucket: name.to_string(),
                    region,
                    ..self.template.clone()
                }))
            })
            .clone()
    }

    /// The region requests for `bucket` are signed for now (the service's until it is
    /// requested, or the one the list named).
    pub fn region_of(&self, bucket: &str) -> String {
        if let Some(s3) = read(&self.opened).get(bucket) {
            return s3.region();
        }
        read(&self.regions)
            .get(bucket)
            .cloned()
            .unwrap_or_else(|| self.service.region())
    }

    /// The bucket a query lists (its folder's first segment) and the query as that bucket
    /// takes it; `None` for the list of buckets.
    fn inner(&self, query: &ListQuery) -> Option<(String, ListQuery)> {
        let folder = query.term(|t| match t {
            Term::Folder(f) => Some(f.clone()),
            _ => None,
        })?;
        let (bucket, rest) = split(&folder)?;
        let mut inner = query.clone();
        inner.terms.retain(|t| !matches!(t, Term::Folder(_)));
        if !rest.is_empty() {
            inner.terms.push(Term::Folder(rest.to_string()));
        }
        let own = format!("{bucket}/");
        inner.start_after = query
            .start_after
            .as_ref()
            .and_then(|after| after.strip_prefix(&own).map(str::to_string));
        Some((bucket.to_string(), inner))
    }

    /// Whose request `url` is: a bucket's (by the URL it places its requests at) or, `None`,
    /// the service's.
    fn owner(&self, url: &Url) -> Option<Arc<S3>> {
        read(&self.opened)
            .values()
            .find(|s3| {
                let Ok(own) = s3.request_url("", &[]) else {
                    return false;
                };
                let base = own.path().trim_end_matches('/');
                own.origin() == url.origin()
                    && (base.is_empty()
                        || url.path() == base
                        || url.path().starts_with(&format!("{base}/")))
            })
            .cloned()
    }

    /// The service's URL (`GET /` on the endpoint) with `query`.
    fn service_url(&self, query: &[Param]) -> Url {
        let mut url = self.service.place().endpoint;
        let base = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base}/"));
        if query.is_empty() {
            url.set_query(None);
        } else {
            let text: Vec<String> = query
                .iter()
                .map(|(k, v)| format!("{k}={}", percent_encoding::utf8_percent_encode(v, QUERY)))
                .collect();
            url.set_query(Some(&text.join("&")));
        }
        url
    }

    fn list_buckets(&self, size: usize, token: Option<&str>) -> RequestSpec {
        let mut query = vec![param("max-buckets", size.clamp(1, 1000).to_string())];
        if let Some(token) = token {
            query.push(param("continuation-token", token));
        }
        RequestSpec {
            path: String::new(),
            query,
        }
    }

    /// A bucket of the list as a folder row: `NAME/`, its creation date, its region where
    /// the store named one (taken for its requests, so the first is signed right).
    fn row(&self, bucket: Bucket) -> FileRecord {
        let mut problems = Vec::new();
        // A name a request could not carry as one path segment is shown, never entered.
        let enterable = !bucket.name.contains('/') && bucket.name != "." && bucket.name != "..";
        if !enterable {
            problems.push("Name: not a bucket name a request can carry; not opened".to_string());
        }
        let region = match bucket.region {
            Some(region) if is_region(&region) => {
                if enterable {
                    let mut regions = match self.regions.write() {
                        Ok(regions) => regions,
                        Err(poisoned) => poisoned.into_inner(),
                    };
                    regions.insert(bucket.name.clone(), region.clone());
                }
                Some(region)
            }
            Some(region) => {
                problems.push(format!(
                    "BucketRegion: {:?} is not a region name; not used",
                    crate::text::sanitize(&region.chars().take(40).collect::<String>())
                ));
                None
            }
            None => None,
        };
        let raw = serde_json::json!({
            "Name": bucket.name,
            "CreationDate": bucket.created.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            "BucketRegion": region,
        });
        FileRecord {
            id: format!("{}/", bucket.name),
            name: format!("{}/", bucket.name),
            size: None,
            content_type: enterable.then(|| FOLDER_TYPE.to_string()),
            created_at: bucket.created,
            updated_at: None,
            url: enterable.then(|| format!("s3://{}/", bucket.name)),
            problems,
            raw: serde_json::value::to_raw_value(&raw).unwrap_or_default(),
        }
    }

    fn decode_buckets(
        &self,
        query: &ListQuery,
        body: &[u8],
        limits: Limits,
    ) -> Result<Page, String> {
        let text = std::str::from_utf8(body).map_err(|_| "the answer is not UTF-8".to_string())?;
        let list = bucket_list(text, limits.max_records)?;
        // A name's beginning (`/logs`, `prefix:logs`) is applied here: not every store
        // filters the list.
        let asked = query
            .term(|t| match t {
                Term::Prefix(p) => Some(p.clone()),
                _ => None,
            })
            .unwrap_or_else(|| query.search.clone());
        let asked = asked.trim_start_matches('/');
        let records = list
            .buckets
            .into_iter()
            .filter(|b| b.name.starts_with(asked))
            .map(|b| self.row(b))
            .collect();
        let next = list.next_token.map(Continuation::Cursor);
        Ok(Page {
            records,
            total: None,
            has_next: Some(next.is_some()),
            next,
            ..Page::default()
        })
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    match lock.read() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl Dialect for Buckets {
    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }

    fn list_request(&self, query: &ListQuery, page: PageRequest) -> RequestSpec {
        match self.inner(query) {
            None => self.list_buckets(page.size, None),
            Some((bucket, inner)) => {
                under(&bucket, self.bucket(&bucket).list_request(&inner, page))
            }
        }
    }

    fn access(&self) -> Access {
        Access::Sequential
    }

    fn continue_request(&self, query: &ListQuery, page: PageRequest, cursor: &str) -> RequestSpec {
        match self.inner(query) {
            None => self.list_buckets(page.size, Some(cursor)),
            Some((bucket, inner)) => under(
                &bucket,
                self.bucket(&bucket).continue_request(&inner, page, cursor),
            ),
        }
    }

    fn peek_next(
        &self,
        page: PageRequest,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Option<Continuation> {
        // A bucket list is short: its decode says what follows.
        self.service.peek_next(page, headers, body)
    }

    fn decode_page(
        &self,
        query: &ListQuery,
        page: PageRequest,
        body: &[u8],
        limits: Limits,
    ) -> Result<Page, String> {
        let Some((bucket, inner)) = self.inner(query) else {
            return self.decode_buckets(query, body, limits);
        };
        let mut page = self
            .bucket(&bucket)
            .decode_page(&inner, page, body, limits)?;
        page.records = std::mem::take(&mut page.records)
            .into_iter()
            .map(|r| in_bucket(&bucket, r))
            .collect();
        Ok(page)
    }

    fn decode_error(&self, body: &[u8]) -> Option<ErrorInfo> {
        self.service.decode_error(body)
    }

    fn detail_request(&self, id: &str) -> Option<RequestSpec> {
        let (bucket, key) = split(id).filter(|(_, key)| !key.is_empty())?;
        Some(under(bucket, self.bucket(bucket).detail_request(key)?))
    }

    fn detail_method(&self) -> reqwest::Method {
        self.service.detail_method()
    }

    fn decode_detail_answer(
        &self,
        id: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<FileRecord, String> {
        let (bucket, key) = split(id).ok_or_else(|| format!("{id:?} names no bucket"))?;
        let record = self
            .bucket(bucket)
            .decode_detail_answer(key, headers, body)?;
        Ok(in_bucket(bucket, record))
    }

    fn content_source(&self, record: &FileRecord) -> ContentSource {
        let Some((bucket, inner)) = as_bucket_has_it(record).filter(|_| !self.is_folder(record))
        else {
            return ContentSource::Unavailable("a folder: Enter goes into it".to_string());
        };
        match self.bucket(bucket).content_source(&inner) {
            ContentSource::Endpoint(spec) => ContentSource::Endpoint(under(bucket, spec)),
            other => other,
        }
    }

    fn checksum(&self, record: &FileRecord) -> Option<Checksum> {
        self.service.checksum(record)
    }

    fn checksum_text(&self, record: &FileRecord) -> Option<String> {
        self.service.checksum_text(record)
    }

    fn checksum_in_detail(&self) -> bool {
        self.service.checksum_in_detail()
    }

    fn delete_request(&self, id: &str) -> Option<RequestSpec> {
        let (bucket, key) = split(id).filter(|(_, key)| !key.is_empty())?;
        Some(under(bucket, self.bucket(bucket).delete_request(key)?))
    }

    fn storage_key(&self, record: &FileRecord) -> Option<String> {
        Some(record.id.clone())
    }

    fn scope_kind(&self) -> Option<ScopeKind> {
        self.service.scope_kind()
    }

    fn scope_term(&self, id: &str) -> Term {
        Term::Folder(id.to_string())
    }

    fn is_folder(&self, record: &FileRecord) -> bool {
        self.service.is_folder(record)
    }

    fn key_prefix(&self, query: &ListQuery) -> String {
        match self.inner(query) {
            None => String::new(),
            Some((bucket, inner)) => {
                format!("{bucket}/{}", self.bucket(&bucket).key_prefix(&inner))
            }
        }
    }

    fn extra_fields(&self, query: &ListQuery) -> Vec<(&'static str, &'static str)> {
        match self.inner(query) {
            None => vec![("region", "/BucketRegion")],
            Some(_) => Vec::new(),
        }
    }
}

impl Reach for Buckets {
    /// `""` is the service; `/BUCKET` and `/BUCKET/KEY` are a bucket's, placed by it.
    fn url(&self, _conn: &Connection, path: &str, query: &[Param]) -> Result<Url, String> {
        let Some(path) = path.strip_prefix('/') else {
            return Ok(self.service_url(query));
        };
        let (bucket, inner) = match path.split_once('/') {
            Some((bucket, key)) => (bucket, format!("/{key}")),
            None => (path, String::new()),
        };
        self.bucket(bucket).request_url(&inner, query)
    }

    fn is_own(&self, _conn: &Connection, _url: &Url) -> bool {
        true
    }

    fn sign(
        &self,
        method: &reqwest::Method,
        url: &Url,
        headers: &[(&str, &str)],
    ) -> Result<Vec<(String, String)>, String> {
        match self.owner(url) {
            Some(bucket) => bucket.sign(method, url, headers),
            None => self.service.sign(method, url, headers),
        }
    }

    fn may_relocate(&self, status: u16) -> bool {
        self.service.may_relocate(status)
    }

    fn relocate(
        &self,
        status: u16,
        headers: &HeaderMap,
        body: &[u8],
        url: &Url,
    ) -> Result<Option<Relocation>, String> {
        match self.owner(url) {
            Some(bucket) => bucket.relocate(status, headers, body, url),
            None => self.service.relocate(status, headers, body, url),
        }
    }

    fn share_link(&self, record: &FileRecord, expires: Duration) -> Option<Result<Url, String>> {
        let (bucket, inner) = as_bucket_has_it(record)?;
        self.bucket(bucket).share_link(&inner, expires)
    }

    fn secrets(&self) -> Vec<String> {
        self.service.secrets()
    }

    /// Every bucket's S3 signs with the service's credentials (one signer, shared).
    fn ready(&self) -> Option<futures::future::BoxFuture<'_, Result<(), String>>> {
        self.service.ready()
    }

    fn credential_source(&self) -> Option<String> {
        self.service.credential_source()
    }

    fn credential_hint(&self, conn: &Connection, status: u16) -> String {
        let hint = self.service.credential_hint(conn, status);
        let hint = hint.trim_end_matches(" for bucket ");
        if status == 403 {
            format!(
                "{hint} (listing the buckets needs s3:ListAllMyBuckets; a bucket you may read opens as s3://BUCKET/)"
            )
        } else {
            hint.to_string()
        }
    }

    fn curl_target(
        &self,
        conn: &Connection,
        url: &Url,
        key_var: &'static str,
    ) -> Vec<Vec<Part<'static>>> {
        match self.owner(url) {
            Some(bucket) => bucket.curl_target(conn, url, key_var),
            None => self.service.curl_target(conn, url, key_var),
        }
    }

    fn content_headers(&self) -> Vec<(&'static str, &'static str)> {
        self.service.content_headers()
    }

    fn resumes_with_if_match(&self) -> bool {
        self.service.resumes_with_if_match()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(endpoint: Option<&str>) -> Buckets {
        Buckets::new(super::super::tests::settings(endpoint, true))
    }

    fn conn() -> Connection {
        Connection::new(
            Arc::new(service(None)),
            Url::parse("http://127.0.0.1:9").unwrap(),
            None,
        )
    }

    const PAGE: PageRequest = PageRequest {
        number: 1,
        size: 200,
    };

    const LIST: &str = "<ListAllMyBucketsResult><Buckets>\
        <Bucket><Name>alpha</Name><CreationDate>2024-01-02T03:04:05.000Z</CreationDate><BucketRegion>eu-west-1</BucketRegion></Bucket>\
        <Bucket><Name>beta</Name></Bucket>\
        <Bucket><Name>bad</Name><BucketRegion>EU WEST</BucketRegion></Bucket>\
        </Buckets><ContinuationToken>t1</ContinuationToken></ListAllMyBucketsResult>";

    fn url_of(b: &Buckets, spec: &RequestSpec) -> String {
        b.url(&conn(), &spec.path, &spec.query).unwrap().to_string()
    }

    fn folder(id: &str) -> ListQuery {
        let mut q = ListQuery::new(CAPABILITIES.default_sort);
        q.terms.push(Term::Folder(id.into()));
        q
    }

    /// The list is `GET /` on the endpoint; each bucket a folder row `NAME/`; inside one,
    /// its own listing with ids `BUCKET/KEY`, each request placed and signed as the bucket's.
    #[test]
    fn buckets_are_folder_rows_and_a_bucket_s_requests_are_its_own() {
        let b = service(Some("http://127.0.0.1:9000"));
        let root = ListQuery::new(CAPABILITIES.default_sort);
        assert_eq!(
            url_of(&b, &b.list_request(&root, PAGE)),
            "http://127.0.0.1:9000/?max-buckets=200"
        );
        assert_eq!(
            url_of(&b, &b.continue_request(&root, PAGE, "t+1/")),
            "http://127.0.0.1:9000/?max-buckets=200&continuation-token=t%2B1%2F"
        );
        let page = b
            .decode_page(&root, PAGE, LIST.as_bytes(), Limits::default())
            .unwrap();
        let rows: Vec<(&str, bool)> = page
            .records
            .iter()
            .map(|r| (r.id.as_str(), b.is_folder(r)))
            .collect();
        assert_eq!(rows, [("alpha/", true), ("beta/", true), ("bad/", true)]);
        assert_eq!(page.next, Some(Continuation::Cursor("t1".into())));
        assert!(page.records[2].problems[0].contains("not a region name"));
        assert_eq!(b.extra_fields(&root), [("region", "/BucketRegion")]);
        assert!(b.detail_request("alpha/").is_none(), "a bucket has no HEAD");

        let inside = folder("alpha/");
        assert!(b.extra_fields(&inside).is_empty());
        assert_eq!(
            url_of(&b, &b.list_request(&inside, PAGE)),
            "http://127.0.0.1:9000/alpha?list-type=2&max-keys=200&encoding-type=url&delimiter=%2F"
        );
        let body = "<ListBucketResult><IsTruncated>false</IsTruncated>\
            <Contents><Key>logs/a.txt</Key><Size>3</Size></Contents>\
            <CommonPrefixes><Prefix>logs/b/</Prefix></CommonPrefixes></ListBucketResult>";
        let deeper = folder("alpha/logs/");
        assert_eq!(b.key_prefix(&deeper), "alpha/logs/");
        let page = b
            .decode_page(&deeper, PAGE, body.as_bytes(), Limits::default())
            .unwrap();
        let rows: Vec<(&str, &str)> = page
            .records
            .iter()
            .map(|r| (r.id.as_str(), r.name.as_str()))
            .collect();
        assert_eq!(
            rows,
            [("alpha/logs/a.txt", "a.txt"), ("alpha/logs/b/", "b/")]
        );
        let detail = b.detail_request("alpha/logs/a.txt").unwrap();
        assert_eq!(
            url_of(&b, &detail),
            "http://127.0.0.1:9000/alpha/logs/a.txt"
        );
        let ContentSource::Endpoint(get) = b.content_source(&page.records[0]) else {
            panic!("an object's bytes are the bucket's")
        };
        assert_eq!(url_of(&b, &get), "http://127.0.0.1:9000/alpha/logs/a.txt");
        let link = b
            .share_link(&page.records[0], Duration::from_secs(60))
            .unwrap()
            .unwrap();
        assert!(link.as_str().contains("/alpha/logs/a.txt?"), "{link}");
        assert!(link.as_str().contains("%2Feu-west-1%2Fs3%2F"), "{link}");
        // Going on from a key of the bucket's: the key as the bucket has it.
        let mut after = folder("alpha/");
        after.start_after = Some("alpha/logs/a.txt".into());
        let spec = b.list_request(&after, PAGE);
        assert!(url_of(&b, &spec).contains("start-after=logs%2Fa.txt"));
    }

    /// The region the list names is the bucket's from its first request; a bucket listed
    /// without one is corrected by its own first answer, and the service's stays.
    #[test]
    fn each_bucket_is_signed_for_its_own_region() {
        let b = service(None);
        let root = ListQuery::new(CAPABILITIES.default_sort);
        assert_eq!(
            url_of(&b, &b.list_request(&root, PAGE)),
            "https://s3.us-east-1.amazonaws.com/?max-buckets=200"
        );
        b.decode_page(&root, PAGE, LIST.as_bytes(), Limits::default())
            .unwrap();
        assert_eq!(b.region_of("alpha"), "eu-west-1");
        assert_eq!(b.region_of("beta"), "us-east-1");
        let alpha = Url::parse(&url_of(&b, &b.list_request(&folder("alpha/"), PAGE))).unwrap();
        assert_eq!(alpha.host_str(), Some("alpha.s3.eu-west-1.amazonaws.com"));
        let scope = |url: &Url| {
            let headers = b.sign(&reqwest::Method::GET, url, &[]).unwrap();
            let auth = headers
                .iter()
                .find(|(k, _)| k == "authorization")
                .map(|(_, v)| v.clone())
                .unwrap();
            auth.split('/').nth(2).unwrap().to_string()
        };
        assert_eq!(scope(&alpha), "eu-west-1");
        let service_url = b.service_url(&[]);
        assert_eq!(scope(&service_url), "us-east-1");

        let beta = Url::parse(&url_of(&b, &b.list_request(&folder("beta/"), PAGE))).unwrap();
        assert_eq!(scope(&beta), "us-east-1");
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-bucket-region", "ap-east-1".parse().unwrap());
        let moved = b.relocate(301, &headers, b"", &beta).unwrap().unwrap();
        assert_eq!(
            moved.url.host_str(),
            Some("beta.s3.ap-east-1.amazonaws.com")
        );
        assert_eq!(scope(&moved.url), "ap-east-1");
        assert_eq!(
            (b.region_of("beta"), b.region_of("alpha")),
            ("ap-east-1".to_string(), "eu-west-1".to_string())
        );
        assert_eq!(scope(&service_url), "us-east-1");
    }

    /// A name a request could not carry is shown, not entered; a name filter applies to the
    /// list even where the store does not filter it.
    #[test]
    fn a_bucket_name_search_is_applied_to_the_list() {
        let b = service(Some("http://127.0.0.1:9000"));
        let mut q = ListQuery::new(CAPABILITIES.default_sort);
        q.search = "/be".into();
        let page = b
            .decode_page(&q, PAGE, LIST.as_bytes(), Limits::default())
            .unwrap();
        let ids: Vec<&str> = page.records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["beta/"]);
        let odd = "<ListAllMyBucketsResult><Buckets><Bucket><Name>..</Name></Bucket></Buckets></ListAllMyBucketsResult>";
        let page = b
            .decode_page(
                &ListQuery::new(CAPABILITIES.default_sort),
                PAGE,
                odd.as_bytes(),
                Limits::default(),
            )
            .unwrap();
        assert!(!b.is_folder(&page.records[0]));
        assert!(!page.records[0].problems.is_empty());
    }
}
