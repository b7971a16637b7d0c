//! Versions: ListObjectVersions (`GET /?versions`), paged by `key-marker` and
//! `version-id-marker`, and the rows it gives, each one version of a key or a delete marker,
//! whose preview, download, detail and links name that version (`versionId=`, signed).
//!
//! A version row's id is its key, U+FFFD, `v` (a version) or `m` (a delete marker), and the
//! version id. U+FFFD can stand there because no key holding it is ever sent (it stands for
//! bytes that were not UTF-8, see [`super::S3::url`]), so a version row's id is never taken
//! for a key and no key for a version row. The row's raw record holds `VersionId`,
//! `IsLatest` and `DeleteMarker` besides S3's other fields.

use std::time::Duration;

use chrono::{DateTime, Utc};
use percent_encoding::utf8_percent_encode;
use reqwest::Url;

use super::xml::{Event, Reader, child, decode_key, too_many_records};
use super::{FOLDER_TYPE, QUERY, S3, guess_type};
use crate::api::dialect::{Continuation, Page, Param, RequestSpec, param, params};
use crate::api::query::{ListQuery, Versions};
use crate::api::record::FileRecord;

/// What separates a version row's key from its version (see the module doc).
const SEPARATOR: char = '\u{fffd}';

/// An object as a request names it: its key, and the version when a version row names one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Named<'a> {
    pub key: &'a str,
    pub version: Option<&'a str>,
    pub delete_marker: bool,
}

/// Reads a row's id: a key, or a version row's key and version.
pub(super) fn named(id: &str) -> Named<'_> {
    if let Some((key, tagged)) = id.rsplit_once(SEPARATOR) {
        let marker = tagged.strip_prefix('m');
        if let Some(version) = marker.or_else(|| tagged.strip_prefix('v')) {
            return Named {
                key,
                version: Some(version),
                delete_marker: marker.is_some(),
            };
        }
    }
    Named {
        key: id,
        version: None,
        delete_marker: false,
    }
}

/// The id of a version row (see the module doc).
fn row_id(key: &str, version: &str, delete_marker: bool) -> String {
    let tag = if delete_marker { 'm' } else { 'v' };
    format!("{key}{SEPARATOR}{tag}{version}")
}

/// The request of an object a row names: `/key`, with `versionId` for a version row.
pub(super) fn object_spec(id: &str) -> RequestSpec {
    let named = named(id);
    RequestSpec {
        path: format!("/{}", named.key),
        query: named
            .version
            .map(|v| vec![param("versionId", v)])
            .unwrap_or_default(),
    }
}

/// One `<Version>` or `<DeleteMarker>`, its key not yet decoded.
#[derive(Default)]
struct RawVersion {
    key: String,
    version_id: String,
    is_latest: bool,
    delete_marker: bool,
    size: Option<u64>,
    last_modified: Option<DateTime<Utc>>,
    etag: Option<String>,
    storage_class: Option<String>,
}

/// One page of ListObjectVersions.
#[derive(Default)]
struct VersionListing {
    versions: Vec<RawVersion>,
    prefixes: Vec<String>,
    truncated: bool,
    next_key: Option<String>,
    next_version: Option<String>,
    url_encoded: bool,
}

fn version(reader: &mut Reader<'_>, delete_marker: bool) -> Result<RawVersion, String> {
    let mut v = RawVersion {
        delete_marker,
        ..RawVersion::default()
    };
    while let Some(event) = reader.next()? {
        match event {
            Event::End => break,
            Event::Text(_) => {}
            Event::Start(name) => match name {
                "Key" => v.key = reader.text_of()?,
                "VersionId" => v.version_id = reader.text_of()?,
                "IsLatest" => v.is_latest = reader.text_of()?.trim() == "true",
                "Size" => v.size = reader.text_of()?.trim().parse().ok(),
                "LastModified" => {
                    v.last_modified = DateTime::parse_from_rfc3339(reader.text_of()?.trim())
                        .ok()
                        .map(|t| t.with_timezone(&Utc));
                }
                "ETag" => v.etag = Some(reader.text_of()?),
                "StorageClass" => v.storage_class = Some(reader.text_of()?),
                _ => reader.skip_element()?,
            },
        }
    }
    Ok(v)
}

/// Reads a ListVersionsResult, refusing it as soon as it holds more than `max_records`
/// versions, delete markers and folders together.
fn listing(body: &str, max_records: usize) -> Result<VersionListing, String> {
    let mut reader = Reader::new(body);
    match reader.next()? {
        Some(Event::Start("ListVersionsResult")) => {}
        Some(Event::Start(other)) => {
            return Err(format!("expected a ListVersionsResult, got <{other}>"));
        }
        _ => return Err("not XML: no element".to_string()),
    }
    let mut out = VersionListing::default();
    let (mut encoding, mut truncated) = (None, None);
    while let Some(event) = reader.next()? {
        let name = match event {
            Event::End => break,
            Event::Text(_) => continue,
            Event::Start(name) => name,
        };
        let counted = matches!(name, "Version" | "DeleteMarker" | "CommonPrefixes");
        if counted && out.versions.len() + out.prefixes.len() == max_records {
            return Err(too_many_records(max_records));
        }
        match name {
            "Version" => out.versions.push(version(&mut reader, false)?),
            "DeleteMarker" => out.versions.push(version(&mut reader, true)?),
            "CommonPrefixes" => {
                if let Some(prefix) = child(&mut reader, "Prefix")? {
                    out.prefixes.push(prefix);
                }
            }
            "EncodingType" if encoding.is_none() => encoding = Some(reader.text_of()?),
            "IsTruncated" if truncated.is_none() => truncated = Some(reader.text_of()?),
            "NextKeyMarker" if out.next_key.is_none() => out.next_key = Some(reader.text_of()?),
            "NextVersionIdMarker" if out.next_version.is_none() => {
                out.next_version = Some(reader.text_of()?);
            }
            _ => reader.skip_element()?,
        }
    }
    if reader.next()?.is_some() {
        return Err("not XML: content after the root element".to_string());
    }
    out.url_encoded = encoding.is_some_and(|e| e.eq_ignore_ascii_case("url"));
    out.truncated = truncated.is_some_and(|t| t.trim() == "true");
    out.next_key = out.next_key.filter(|k| !k.is_empty());
    out.next_version = out.next_version.filter(|v| !v.is_empty());
    Ok(out)
}

impl S3 {
    /// The prefix a versions listing asks for, and the one key it keeps, if one.
    fn versions_prefix<'a>(&self, query: &'a ListQuery) -> (String, Option<&'a str>) {
        match &query.versions {
            Some(Versions::Of(key)) => (key.clone(), Some(key.as_str())),
            _ => (self.prefix_for(query), None),
        }
    }

    /// ListObjectVersions for a page of `size`; `markers` where the page before ended.
    pub(super) fn versions_spec(
        &self,
        query: &ListQuery,
        size: usize,
        markers: Option<(String, Option<String>)>,
    ) -> RequestSpec {
        let (prefix, key) = self.versions_prefix(query);
        let mut q = vec![
            ("versions", String::new()),
            ("max-keys", size.clamp(1, 1000).to_string()),
            ("encoding-type", "url".to_string()),
        ];
        if !prefix.is_empty() {
            q.push(("prefix", prefix));
        }
        if key.is_none() && self.levels && !query.recursive {
            q.push(("delimiter", "/".to_string()));
        }
        match markers {
            Some((key, version)) => {
                q.push(("key-marker", key));
                if let Some(version) = version {
                    q.push(("version-id-marker", version));
                }
            }
            None => {
                if let Some(after) = &query.start_after {
                    q.push(("key-marker", after.clone()));
                }
            }
        }
        RequestSpec {
            path: String::new(),
            query: params(q),
        }
    }

    /// The next page's request, from a cursor [`S3::decode_versions`] made.
    pub(super) fn versions_continue(
        &self,
        query: &ListQuery,
        size: usize,
        cursor: &str,
    ) -> RequestSpec {
        let markers = serde_json::from_str::<(String, Option<String>)>(cursor)
            .unwrap_or_else(|_| (cursor.to_string(), None));
        self.versions_spec(query, size, Some(markers))
    }

    /// A page of versions as rows: each version and delete marker a row of its own, folders
    /// (with a delimiter) after them in key order; for one key's versions, that key's alone.
    pub(super) fn decode_versions(
        &self,
        query: &ListQuery,
        body: &str,
        max_records: usize,
    ) -> Result<Page, String> {
        let listing = listing(body, max_records)?;
        if listing.truncated && listing.next_key.is_none() {
            return Err(format!(
                "the answer says more versions follow (IsTruncated) but gives no NextKeyMarker to ask for them; {} listed on this page",
                crate::text::thousands(listing.versions.len() + listing.prefixes.len())
            ));
        }
        let (prefix, only) = self.versions_prefix(query);
        let folder_base = match prefix.rfind('/') {
            Some(i) => prefix[..=i].to_string(),
            None => String::new(),
        };
        let base = if self.levels || only.is_some() {
            folder_base.as_str()
        } else {
            self.root.as_str()
        };
        let mut records = Vec::with_capacity(listing.versions.len() + listing.prefixes.len());
        // A longer key that `only` is a prefix of comes after all of its versions: the end.
        let mut past_the_key = false;
        for v in listing.versions {
            let (key, problem) = decode_key(&v.key, listing.url_encoded);
            if only.is_some_and(|only| only != key) {
                past_the_key = true;
                break;
            }
            let raw = serde_json::json!({
                "Key": key,
                "VersionId": v.version_id,
                "IsLatest": v.is_latest,
                "DeleteMarker": v.delete_marker,
                "Size": v.size,
                "LastModified": v.last_modified.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
                "ETag": v.etag,
                "StorageClass": v.storage_class,
            });
            let mut record = self.record(base, &key, raw);
            record.id = row_id(&key, &v.version_id, v.delete_marker);
            record.size = v.size;
            record.created_at = v.last_modified;
            record.updated_at = v.last_modified;
            if !v.delete_marker {
                record.content_type = guess_type(&key).map(str::to_string);
            }
            record.url = Some(format!(
                "s3://{}/{key}?versionId={}",
                self.bucket,
                utf8_percent_encode(&v.version_id, QUERY)
            ));
            record.problems = problem.into_iter().collect();
            records.push(record);
        }
        if only.is_none() {
            for p in &listing.prefixes {
                let (prefix, problem) = decode_key(p, listing.url_encoded);
                let mut record =
                    self.record(base, &prefix, serde_json::json!({ "Prefix": prefix }));
                record.content_type = Some(FOLDER_TYPE.to_string());
                record.url = None;
                record.problems = problem
                    .map(|p| p.replacen("Key:", "Prefix:", 1))
                    .into_iter()
                    .collect();
                records.push(record);
            }
            records.sort_by(|a, b| named(&a.id).key.as_bytes().cmp(named(&b.id).key.as_bytes()));
        }
        let next = (listing.truncated && !past_the_key)
            .then(|| {
                let key = listing.next_key?;
                let key = decode_key(&key, listing.url_encoded).0;
                serde_json::to_string(&(key, listing.next_version)).ok()
            })
            .flatten()
            .map(Continuation::Cursor);
        Ok(Page {
            records,
            total: None,
            has_next: Some(next.is_some()),
            next,
            ..Page::default()
        })
    }

    /// A presigned GET of the object or version a row names, valid for `expires`.
    pub(super) fn presign_row(&self, id: &str, expires: Duration) -> Result<Url, String> {
        let named = named(id);
        if named.delete_marker {
            return Err(delete_marker_refusal());
        }
        let query: Vec<Param> = named
            .version
            .map(|v| vec![param("versionId", v)])
            .unwrap_or_default();
        self.presign_object(named.key, &query, expires)
    }
}

/// What a delete marker row answers to preview, download and links.
pub(super) fn delete_marker_refusal() -> String {
    "a delete marker: the key was deleted then, and it has no content to fetch; choose a version below it".to_string()
}

/// Whether a record is a delete marker's row.
pub(super) fn is_delete_marker(record: &FileRecord) -> bool {
    named(&record.id).delete_marker
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::dialect::{Dialect, PageRequest};
    use crate::api::query::{Order, Sort, SortField};

    fn s3() -> S3 {
        S3::new(super::super::Settings {
            bucket: "demo".into(),
            root: String::new(),
            signer: crate::api::s3::credentials::Signer::unsigned("no credentials"),
            region: "us-east-1".into(),
            endpoint: Some(Url::parse("http://127.0.0.1:9000").unwrap()),
            path_style: None,
            levels: true,
        })
    }

    fn query(versions: Versions) -> ListQuery {
        let mut q = ListQuery::new(Sort {
            field: SortField::Name,
            order: Order::Asc,
        });
        q.versions = Some(versions);
        q
    }

    #[test]
    fn a_version_row_id_names_its_key_and_version_and_a_key_is_a_key() {
        let id = row_id("a/b.txt", "3sL4", false);
        assert_eq!(
            named(&id),
            Named {
                key: "a/b.txt",
                version: Some("3sL4"),
                delete_marker: false
            }
        );
        assert!(named(&row_id("k", "m1", true)).delete_marker);
        assert_eq!(named("a/b.txt").version, None);
        let spec = object_spec(&id);
        assert_eq!(spec.path, "/a/b.txt");
        assert_eq!(spec.query, vec![param("versionId", "3sL4")]);
    }

    #[test]
    fn one_keys_versions_stop_at_a_longer_key_and_pages_carry_both_markers() {
        let d = s3();
        let q = query(Versions::Of("weird/a.txt".into()));
        let spec = d.versions_spec(&q, 2, None);
        let url = d.request_url(&spec.path, &spec.query).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9000/demo?versions=&max-keys=2&encoding-type=url&prefix=weird%2Fa.txt"
        );
        let body = r#"<ListVersionsResult><IsTruncated>true</IsTruncated>
            <NextKeyMarker>weird/a.txt</NextKeyMarker><NextVersionIdMarker>v2</NextVersionIdMarker>
            <Version><Key>weird/a.txt</Key><VersionId>v3</VersionId><IsLatest>true</IsLatest><Size>4</Size></Version>
            <DeleteMarker><Key>weird/a.txt</Key><VersionId>v2</VersionId><IsLatest>false</IsLatest></DeleteMarker>
            </ListVersionsResult>"#;
        let page = d.decode_versions(&q, body, 100).unwrap();
        let ids: Vec<Named<'_>> = page.records.iter().map(|r| named(&r.id)).collect();
        assert_eq!(ids[0].version, Some("v3"));
        assert!(ids[1].delete_marker);
        assert_eq!(page.records[0].name, "a.txt");
        let Some(Continuation::Cursor(cursor)) = &page.next else {
            panic!("{:?}", page.next)
        };
        let next = d.continue_request(&q, PageRequest { number: 2, size: 2 }, cursor);
        let url = d.request_url(&next.path, &next.query).unwrap();
        assert!(
            url.as_str()
                .ends_with("&key-marker=weird%2Fa.txt&version-id-marker=v2"),
            "{url}"
        );
        let longer = r#"<ListVersionsResult><IsTruncated>true</IsTruncated>
            <NextKeyMarker>weird/a.txt.bak</NextKeyMarker><NextVersionIdMarker>x</NextVersionIdMarker>
            <Version><Key>weird/a.txt</Key><VersionId>v1</VersionId><IsLatest>false</IsLatest></Version>
            <Version><Key>weird/a.txt.bak</Key><VersionId>x</VersionId><IsLatest>true</IsLatest></Version>
            </ListVersionsResult>"#;
        let page = d.decode_versions(&q, longer, 100).unwrap();
        assert_eq!(page.records.len(), 1);
        assert_eq!(page.next, None, "the key's versions have all been read");
    }
}
