//! Versions: ListObjectVersions and the objects a `versionId` names.
//!
//! Every live object is one version: its `x-amz-version-id`, or `null` for
//! the objects written before versioning was turned on (see `objects.rs`),
//! and the latest of its key. A few keys have a past besides, fixed in
//! [`HISTORY`] (a small side table: the key index and its million-key
//! listings are untouched): `weird/100%.txt` two older versions under its
//! live `null` one; `weird/deleted.txt` a delete marker (so ListObjectsV2
//! does not list it) over two versions. The older versions are small texts
//! that say which version they are, served by GET and HEAD with their
//! `versionId` (ETag, checksum, ranges and conditions as for any object); a
//! delete marker's `versionId` is 405 `MethodNotAllowed` with
//! `x-amz-delete-marker: true`, as S3 answers.
//!
//! `GET /demo?versions&prefix&delimiter&key-marker&version-id-marker&
//! max-keys&encoding-type=url`: in key order (UTF-8 bytes), each key's
//! versions newest first, `Version` and `DeleteMarker` elements in that one
//! order, then `CommonPrefixes`; `max-keys` bounds all three together. A page
//! that ends inside a key's versions names it in `NextKeyMarker` and its last
//! version in `NextVersionIdMarker`; the next page lists that key's later
//! versions first. `key-marker` alone lists the keys after it; a
//! `version-id-marker` without a `key-marker`, or one the key does not have,
//! is 400 `InvalidArgument`.

use std::sync::Arc;

use axum::http::{HeaderName, StatusCode};
use axum::response::Response;

use super::keys::{Entry, Keys, ListQuery};
use super::objects::{AWKWARD_TIME, Object};
use super::wire::{self, Query, S3Error, Xml};
use super::{Bucket, S3_BUCKET, not_utf8, page_options};

/// One older version of a key, or a delete marker.
#[derive(Debug, Clone, Copy)]
pub(super) enum Past {
    Version { id: &'static str, days_before: i64 },
    Marker { id: &'static str, days_before: i64 },
}

impl Past {
    fn id(self) -> &'static str {
        match self {
            Past::Version { id, .. } | Past::Marker { id, .. } => id,
        }
    }
}

/// Keys with a past, in key order; each past newest first. Times are days
/// before the awkward keys' upload (2026-10-30T12:00:00Z).
pub(super) const HISTORY: [(&str, &[Past]); 2] = [
    (
        "weird/100%.txt",
        &[
            Past::Version {
                id: "3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrH",
                days_before: 10,
            },
            Past::Version {
                id: "Gw_QzPp0cvYm9Lr7.TtK2jXWnB4hFsAe",
                days_before: 40,
            },
        ],
    ),
    (
        "weird/deleted.txt",
        &[
            Past::Marker {
                id: "dM8vR2kq9TzLx.wQp_4nYc7HbF0sJgUe",
                days_before: 2,
            },
            Past::Version {
                id: "pX1rT7mQ2wLk9.Zc_5nVb8JhG3sDfAe",
                days_before: 30,
            },
            Past::Version {
                id: "a9Kd2Lq7Wm4Xr_Tz.1Bn6Vc3Hj8Gf5Sp",
                days_before: 60,
            },
        ],
    ),
];

fn days_before(past: Past) -> i64 {
    match past {
        Past::Version { days_before, .. } | Past::Marker { days_before, .. } => days_before,
    }
}

pub(super) fn past_id(key: usize, version: usize) -> &'static str {
    HISTORY[key].1[version].id()
}

pub(super) fn past_time(key: usize, version: usize) -> i64 {
    AWKWARD_TIME - days_before(HISTORY[key].1[version]) * 86_400
}

/// An older version's bytes: which version of which key it is.
pub(super) fn past_text(key: usize, version: usize) -> String {
    let (name, past) = HISTORY[key];
    let n = past.len() - version;
    let mut text = format!(
        "filescope demo: version {n} of {name:?} ({}), replaced since.\n",
        past_id(key, version)
    );
    for line in 1..=4 {
        text.push_str(&format!("old line {line} of version {n}.\n"));
    }
    text
}

fn history(key: &str) -> Option<usize> {
    HISTORY.iter().position(|(name, _)| *name == key)
}

/// One row of a versions listing.
enum Row {
    /// A version (the live object or an older one) or a delete marker.
    Version {
        key: String,
        id: String,
        latest: bool,
        /// `None`: a delete marker, at this time.
        object: Option<Object>,
        time: i64,
    },
    Prefix(String),
}

impl Bucket {
    /// The versions of `key`, newest first: the live object, then its past.
    fn versions_of(&self, keys: &Keys, key: &str) -> Vec<Row> {
        let mut rows = Vec::new();
        if let Ok(object) = self.lookup(keys, key) {
            rows.push(Row::Version {
                key: key.to_owned(),
                id: object
                    .version_id(&self.dataset)
                    .unwrap_or_else(|| "null".to_owned()),
                latest: true,
                object: Some(object),
                time: object.last_modified(&self.dataset),
            });
        }
        if let Some(k) = history(key) {
            for (j, past) in HISTORY[k].1.iter().enumerate() {
                rows.push(Row::Version {
                    key: key.to_owned(),
                    id: past.id().to_owned(),
                    latest: rows.is_empty(),
                    object: match past {
                        Past::Version { .. } => Some(Object::Past { key: k, version: j }),
                        Past::Marker { .. } => None,
                    },
                    time: past_time(k, j),
                });
            }
        }
        rows
    }

    /// The object a `versionId` names: the live one, or one of the past. A
    /// delete marker is 405, an unknown version 404 `NoSuchVersion`, a key
    /// with neither 404 `NoSuchKey`.
    pub(super) fn version(&self, keys: &Keys, key: &str, asked: &[u8]) -> Result<Object, S3Error> {
        let live = self.lookup(keys, key);
        if let Ok(object) = &live
            && asked
                == object
                    .version_id(&self.dataset)
                    .as_deref()
                    .unwrap_or("null")
                    .as_bytes()
        {
            return Ok(*object);
        }
        let Some(k) = history(key) else {
            live?;
            return Err(no_such_version(key, asked));
        };
        match HISTORY[k]
            .1
            .iter()
            .enumerate()
            .find(|(_, past)| past.id().as_bytes() == asked)
        {
            Some((j, Past::Version { .. })) => Ok(Object::Past { key: k, version: j }),
            Some((_, Past::Marker { id, .. })) => Err(S3Error::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
            )
            .with("Method", "GET")
            .with("ResourceType", "DeleteMarker")
            .header(HeaderName::from_static("x-amz-delete-marker"), "true")
            .header(HeaderName::from_static("x-amz-version-id"), *id)),
            None => Err(no_such_version(key, asked)),
        }
    }

    /// ListObjectVersions (see the module doc).
    pub(super) async fn list_versions(
        self: &Arc<Self>,
        query: &Query,
    ) -> Result<Response, S3Error> {
        let text = |name: &'static str| query.text(name).map_err(|()| not_utf8(name));
        let prefix = text("prefix")?.unwrap_or("");
        let delimiter = text("delimiter")?.filter(|d| !d.is_empty());
        let key_marker = text("key-marker")?.filter(|m| !m.is_empty());
        let version_marker = text("version-id-marker")?.filter(|m| !m.is_empty());
        let (max, url) = page_options(query)?;
        if version_marker.is_some() && key_marker.is_none() {
            return Err(S3Error::invalid_argument(
                "A version-id marker cannot be specified without a key marker.",
                "version-id-marker",
                version_marker.unwrap_or(""),
            ));
        }
        let keys = self.keys().await?;
        let mut rows = Vec::new();
        // The rest of the key a page ended inside.
        if let (Some(key), Some(marker)) = (key_marker, version_marker) {
            let versions = self.versions_of(&keys, key);
            let at = versions
                .iter()
                .position(|row| matches!(row, Row::Version { id, .. } if id == marker))
                .ok_or_else(|| {
                    S3Error::invalid_argument(
                        "Invalid version id specified",
                        "version-id-marker",
                        marker,
                    )
                })?;
            rows.extend(versions.into_iter().skip(at + 1));
        }
        let page = {
            let deleted = self.deleted.read().unwrap_or_else(|e| e.into_inner());
            keys.list(
                ListQuery {
                    prefix,
                    delimiter,
                    after: key_marker,
                    max: if max == 0 { 0 } else { max + 1 },
                },
                |id| deleted.contains(&id),
            )
        };
        // The keys and common prefixes after the marker: the live ones, and
        // the keys that have only a past, rolled up as the listing does.
        let mut entries: Vec<(String, bool)> = page
            .entries
            .iter()
            .map(|entry| {
                (
                    keys.entry_text(entry).to_owned(),
                    matches!(entry, Entry::Prefix(_)),
                )
            })
            .collect();
        let last_read = page
            .truncated
            .then(|| entries.last().map(|(t, _)| t.clone()));
        for (key, _) in HISTORY {
            if !key.starts_with(prefix) || self.lookup(&keys, key).is_ok() {
                continue;
            }
            let rolled = delimiter.and_then(|d| {
                let rest = &key[prefix.len()..];
                rest.find(d).map(|at| &key[..prefix.len() + at + d.len()])
            });
            let entry = (rolled.unwrap_or(key).to_owned(), rolled.is_some());
            let after_marker = key_marker.is_none_or(|m| entry.0.as_str() > m);
            let read = match &last_read {
                Some(Some(last)) => entry.0 <= *last,
                _ => true,
            };
            if after_marker && read && !entries.contains(&entry) {
                entries.push(entry);
            }
        }
        entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        for (text, is_prefix) in entries {
            if is_prefix {
                rows.push(Row::Prefix(text));
            } else {
                rows.extend(self.versions_of(&keys, &text));
            }
        }
        let truncated = max > 0 && (rows.len() > max || page.truncated);
        rows.truncate(max);

        let encode = |text: &str| {
            if url {
                wire::list_encode(text)
            } else {
                text.to_owned()
            }
        };
        let mut xml = Xml::document("ListVersionsResult");
        xml.element("Name", S3_BUCKET)
            .element("Prefix", &encode(prefix))
            .element("KeyMarker", &encode(key_marker.unwrap_or("")))
            .element("VersionIdMarker", version_marker.unwrap_or(""));
        if truncated {
            match rows.last() {
                Some(Row::Version { key, id, .. }) => {
                    xml.element("NextKeyMarker", &encode(key))
                        .element("NextVersionIdMarker", id);
                }
                Some(Row::Prefix(prefix)) => {
                    xml.element("NextKeyMarker", &encode(prefix));
                }
                None => {}
            }
        }
        xml.element("MaxKeys", &max.to_string());
        if let Some(delimiter) = delimiter {
            xml.element("Delimiter", &encode(delimiter));
        }
        xml.element("IsTruncated", if truncated { "true" } else { "false" });
        if url {
            xml.element("EncodingType", "url");
        }
        for row in &rows {
            let Row::Version {
                key,
                id,
                latest,
                object,
                time,
            } = row
            else {
                continue;
            };
            let element = if object.is_some() {
                "Version"
            } else {
                "DeleteMarker"
            };
            xml.open(element)
                .element("Key", &encode(key))
                .element("VersionId", id)
                .element("IsLatest", if *latest { "true" } else { "false" })
                .element("LastModified", &wire::iso_millis(*time));
            if let Some(object) = object {
                xml.element("ETag", &object.etag(&self.dataset))
                    .element("Size", &object.size(&self.dataset).to_string())
                    .element("StorageClass", object.storage_class(&self.dataset).name());
            }
            self.owner(&mut xml);
            xml.close(element);
        }
        for row in &rows {
            if let Row::Prefix(common) = row {
                xml.open("CommonPrefixes")
                    .element("Prefix", &encode(common))
                    .close("CommonPrefixes");
            }
        }
        Ok(wire::xml_response(
            StatusCode::OK,
            xml.finish("ListVersionsResult"),
        ))
    }
}

fn no_such_version(key: &str, asked: &[u8]) -> S3Error {
    S3Error::new(
        StatusCode::NOT_FOUND,
        "NoSuchVersion",
        "The specified version does not exist.",
    )
    .with("Key", key)
    .with("VersionId", String::from_utf8_lossy(asked))
}
