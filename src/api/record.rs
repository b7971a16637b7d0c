//! The normalized record every dialect decodes into: what the UI, `ls` and the tests see.

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;

/// The normalized fields of a record, in the order `ls`, exports and `dialect check` give
/// them.
pub const FIELDS: [&str; 7] = [
    "id",
    "name",
    "size",
    "content_type",
    "created_at",
    "updated_at",
    "url",
];

/// One file as filescope understands it, whatever the API called its fields.
///
/// Fields the server sent but could not be read are `None` (or empty for `id`/`name`), and
/// each such problem is described in `problems`, so one bad field never hides a record.
/// The server's original object is kept untouched in `raw` for the detail pane.
#[derive(Debug, Clone)]
pub struct FileRecord {
    pub id: String,
    pub name: String,
    pub size: Option<u64>,
    pub content_type: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub url: Option<String>,
    pub problems: Vec<String>,
    pub raw: Box<RawValue>,
}

/// Two records are equal when everything decoded and the server's raw object are.
impl PartialEq for FileRecord {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.name == other.name
            && self.size == other.size
            && self.content_type == other.content_type
            && self.created_at == other.created_at
            && self.updated_at == other.updated_at
            && self.url == other.url
            && self.problems == other.problems
            && self.raw.get() == other.raw.get()
    }
}

impl Eq for FileRecord {}

impl FileRecord {
    /// The most recent of the two timestamps, which is what the table's date column shows.
    pub fn latest_date(&self) -> Option<DateTime<Utc>> {
        match (self.created_at, self.updated_at) {
            (Some(c), Some(u)) => Some(c.max(u)),
            (c, u) => c.or(u),
        }
    }
}

/// A version row's fields (`ls --versions`): a store that keeps versions puts them in the row's
/// raw record under S3's names, `VersionId`, `IsLatest` and `DeleteMarker`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct VersionFields {
    pub version_id: Option<String>,
    pub is_latest: Option<bool>,
    pub delete_marker: Option<bool>,
}

impl FileRecord {
    /// The version fields of the raw record (all `None` for a row that is no version).
    pub fn version_fields(&self) -> VersionFields {
        let Ok(raw) = serde_json::from_str::<serde_json::Value>(self.raw.get()) else {
            return VersionFields::default();
        };
        VersionFields {
            version_id: raw
                .get("VersionId")
                .and_then(|v| v.as_str())
                .map(str::to_string),
            is_latest: raw.get("IsLatest").and_then(|v| v.as_bool()),
            delete_marker: raw.get("DeleteMarker").and_then(|v| v.as_bool()),
        }
    }
}

/// The ids and names of some records, in order, hashed: two answers with the same fingerprint
/// list the same files (how a server that repeats a page is caught).
pub fn fingerprint(records: &[FileRecord]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for record in records {
        record.id.hash(&mut hasher);
        record.name.hash(&mut hasher);
    }
    hasher.finish()
}

/// The content type given to a row that is a folder (S3's common prefixes), so it reads as a
/// folder everywhere: the insight, the exports, the detail.
pub const FOLDER_TYPE: &str = "inode/directory";

/// A row of a listing that names objects and folders apart (S3's `Contents` and
/// `CommonPrefixes`, Azure's `Blob` and `BlobPrefix`).
pub(crate) enum Listed<O, F> {
    Object(O),
    Folder(F),
}

/// Objects and folders, each list in key order, as one list in the byte order of their keys
/// (as the stores count them; Azurite writes a page's folders first).
pub(crate) fn in_key_order<O, F>(
    objects: Vec<O>,
    folders: Vec<F>,
    object_key: impl Fn(&O) -> &str,
    folder_key: impl Fn(&F) -> &str,
) -> Vec<Listed<O, F>> {
    let mut out = Vec::with_capacity(objects.len() + folders.len());
    let mut objects = objects.into_iter().peekable();
    let mut folders = folders.into_iter().peekable();
    loop {
        let folder_first = match (objects.peek(), folders.peek()) {
            (Some(o), Some(f)) => folder_key(f).as_bytes() < object_key(o).as_bytes(),
            (None, Some(_)) => true,
            (Some(_), None) => false,
            (None, None) => break,
        };
        let next = if folder_first {
            folders.next().map(Listed::Folder)
        } else {
            objects.next().map(Listed::Object)
        };
        out.extend(next);
    }
    out
}
