//! What the bucket says about each object, derived from its record (or, for
//! the awkward keys, fixed): size, type, time, ETag, storage class, version
//! id, user metadata, checksum and bytes.
//!
//! - **Size** is the record's `size` and the bytes are generated to that
//!   length (see [`Content::sized`]): `Size` in a listing, `Content-Length`
//!   of a HEAD and the bytes of a GET always agree, as S3 clients expect.
//! - **ETag**: the demo has no MD5 (no crate for it in the workspace), and
//!   hashing every listed object's bytes would cost a page its whole data, so
//!   the ETag of a single-part object is 32 hex digits of a SHA-256 over the
//!   seed, the object and its size; it is *not* the MD5 of the bytes (as on
//!   S3 for SSE-KMS objects). Objects of 8 MiB or more were uploaded in
//!   8 MiB parts, as the AWS CLI does, so theirs is `"<32 hex>-<parts>"`.
//! - **Checksum**: single-part objects carry `x-amz-checksum-sha256`, the
//!   base64 SHA-256 of their bytes (`x-amz-checksum-type: FULL_OBJECT`), sent
//!   only with `x-amz-checksum-mode: ENABLED` and never with a range, as S3
//!   does; multipart ones were uploaded without a checksum. For the
//!   deliberately damaged file ([`crate::content::CORRUPT_INDEX`]) the
//!   checksum is that of the intended bytes, so a client that verifies it
//!   catches the flipped byte.
//! - **Storage class**: 3 in 100 `GLACIER` (half of them restored, with
//!   `x-amz-restore`; a GET of the others is 403 `InvalidObjectState`, as on
//!   S3), 8 in 100 `STANDARD_IA`, the rest `STANDARD` (no header).
//! - **Version id**: the newest 30 % of the records were uploaded after
//!   versioning was turned on and carry `x-amz-version-id`.
//! - **Metadata**: 40 in 100 carry `x-amz-meta-owner`, 25 in 100
//!   `x-amz-meta-project`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

use super::keys::AWKWARD_KEYS;
use super::wire;
use crate::common::{Salt, pick};
use crate::content::Content;
use crate::dataset::Dataset;

/// Objects this size or larger were uploaded in parts of this size.
pub(crate) const PART_SIZE: u64 = 8 * 1024 * 1024;
/// When every awkward key was uploaded: 2026-10-30T12:00:00Z.
pub(crate) const AWKWARD_TIME: i64 = 1_793_361_600;

/// An object of the bucket, by id: a record index, or `dataset.len() + k` for
/// `AWKWARD_KEYS[k]`; or an older version of a key (see [`super::versions`]),
/// never listed by ListObjectsV2 and reached only by its `versionId`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Object {
    File(usize),
    Awkward(usize),
    /// `HISTORY[key].1[version]`, a version (not a delete marker).
    Past {
        key: usize,
        version: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StorageClass {
    Standard,
    StandardIa,
    Glacier { restored: bool },
}

impl StorageClass {
    pub(crate) fn name(self) -> &'static str {
        match self {
            StorageClass::Standard => "STANDARD",
            StorageClass::StandardIa => "STANDARD_IA",
            StorageClass::Glacier { .. } => "GLACIER",
        }
    }
}

const OWNERS: [&str; 8] = [
    "alice", "bob", "carol", "dmitri", "eun-ji", "farah", "gustavo", "hiro",
];
const PROJECTS: [&str; 6] = [
    "apollo",
    "borealis",
    "cobalt",
    "delta-migration",
    "ember",
    "q3-launch",
];

impl Object {
    pub(crate) fn of(dataset: &Dataset, id: u32) -> Object {
        let id = id as usize;
        if id < dataset.len() {
            Object::File(id)
        } else {
            Object::Awkward(id - dataset.len())
        }
    }

    /// The id [`Object::of`] reads back.
    pub(crate) fn id(self, dataset: &Dataset) -> u32 {
        match self {
            Object::File(index) => index as u32,
            Object::Awkward(k) => (dataset.len() + k) as u32,
            // Past every live object; never in the deleted set's way.
            Object::Past { key, version } => {
                (dataset.len() + AWKWARD_KEYS.len() + 16 * key + version) as u32
            }
        }
    }

    pub(crate) fn size(self, dataset: &Dataset) -> u64 {
        match self {
            Object::File(index) => dataset.size_of(index),
            Object::Awkward(k) => awkward_text(k).len() as u64,
            Object::Past { key, version } => super::versions::past_text(key, version).len() as u64,
        }
    }

    pub(crate) fn content_type(self, dataset: &Dataset) -> &'static str {
        match self {
            Object::File(index) => dataset.content_type_of(index),
            Object::Awkward(_) | Object::Past { .. } => "text/plain",
        }
    }

    /// Unix seconds: the record's `updated_at` (an S3 object changes only by
    /// being written again).
    pub(crate) fn last_modified(self, dataset: &Dataset) -> i64 {
        match self {
            Object::File(index) => dataset.updated_at_of(index),
            Object::Awkward(_) => AWKWARD_TIME,
            Object::Past { key, version } => super::versions::past_time(key, version),
        }
    }

    /// The quoted ETag (see the module doc).
    pub(crate) fn etag(self, dataset: &Dataset) -> String {
        let size = self.size(dataset);
        let mut hasher = Sha256::new();
        hasher.update(Salt::S3ETag.global(dataset).to_le_bytes());
        hasher.update(self.id(dataset).to_le_bytes());
        hasher.update(size.to_le_bytes());
        let digest = hasher.finalize();
        let hex = wire::hex(&digest[..16]);
        if size >= PART_SIZE {
            format!("\"{hex}-{}\"", size.div_ceil(PART_SIZE))
        } else {
            format!("\"{hex}\"")
        }
    }

    pub(crate) fn is_multipart(self, dataset: &Dataset) -> bool {
        self.size(dataset) >= PART_SIZE
    }

    pub(crate) fn storage_class(self, dataset: &Dataset) -> StorageClass {
        let Object::File(index) = self else {
            return StorageClass::Standard;
        };
        let h = Salt::S3StorageClass.of(dataset, index);
        match h % 100 {
            0..3 => StorageClass::Glacier {
                restored: (h >> 8).is_multiple_of(2),
            },
            3..11 => StorageClass::StandardIa,
            _ => StorageClass::Standard,
        }
    }

    /// `x-amz-version-id`, for objects written since versioning was enabled.
    pub(crate) fn version_id(self, dataset: &Dataset) -> Option<String> {
        if let Object::Past { key, version } = self {
            return Some(super::versions::past_id(key, version).to_owned());
        }
        let Object::File(index) = self else {
            return None;
        };
        if index * 10 < dataset.len() * 7 {
            return None;
        }
        // 32 characters of the alphabet S3's version ids use.
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
        let mut out = String::with_capacity(32);
        for part in 0..4u32 {
            let mut h = dataset.derive(index, Salt::S3VersionId as u32 | part << 20);
            for _ in 0..8 {
                out.push(char::from(ALPHABET[(h % 64) as usize]));
                h /= 64;
            }
        }
        Some(out)
    }

    /// `x-amz-meta-*` headers, name without the prefix.
    pub(crate) fn metadata(self, dataset: &Dataset) -> Vec<(&'static str, &'static str)> {
        let Object::File(index) = self else {
            return Vec::new();
        };
        let h = Salt::S3Metadata.of(dataset, index);
        let mut out = Vec::new();
        if h % 100 < 40 {
            out.push(("owner", *pick(&OWNERS, h >> 8)));
        }
        if (h >> 16) % 100 < 25 {
            out.push(("project", *pick(&PROJECTS, h >> 24)));
        }
        out
    }

    /// The object's bytes, at its full size.
    pub(crate) fn content(self, dataset: &Dataset) -> Content {
        match self {
            Object::File(index) => Content::sized(dataset, index, dataset.size_of(index)),
            Object::Awkward(k) => Content::fixed(awkward_text(k)),
            Object::Past { key, version } => {
                Content::fixed(super::versions::past_text(key, version))
            }
        }
    }

    /// The base64 SHA-256 of the object's (intended) bytes, for single-part
    /// objects. Costs a pass over up to 8 MiB: run it off the async workers.
    pub(crate) fn checksum_sha256(self, dataset: &Dataset) -> Option<String> {
        (!self.is_multipart(dataset))
            .then(|| BASE64.encode(self.content(dataset).intended().sha256()))
    }
}

/// The text of `AWKWARD_KEYS[k]`: says why it is there, a few hundred bytes.
fn awkward_text(k: usize) -> String {
    let key = AWKWARD_KEYS[k];
    let mut text = format!(
        "filescope demo: an object whose key is awkward on purpose.\nIts key, escaped: {key:?}\n\n"
    );
    for line in 1..=12 {
        text.push_str(&format!(
            "line {line:02}: list it, encode it and ask for it back byte for byte.\n"
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_spread_as_documented() {
        let dataset = Dataset::new(42, 20_000);
        let objects: Vec<Object> = (0..20_000).map(Object::File).collect();
        let share = |test: &dyn Fn(&Object) -> bool| {
            objects.iter().filter(|o| test(o)).count() * 100 / objects.len()
        };
        let glacier = share(&|o| matches!(o.storage_class(&dataset), StorageClass::Glacier { .. }));
        assert!((2..=4).contains(&glacier), "{glacier}");
        let ia = share(&|o| o.storage_class(&dataset) == StorageClass::StandardIa);
        assert!((6..=10).contains(&ia), "{ia}");
        assert_eq!(share(&|o| o.version_id(&dataset).is_some()), 30);
        let owners = share(&|o| o.metadata(&dataset).iter().any(|(n, _)| *n == "owner"));
        assert!((35..=45).contains(&owners), "{owners}");
        let multipart = share(&|o| o.is_multipart(&dataset));
        assert!((1..50).contains(&multipart), "{multipart}");

        let etags: std::collections::HashSet<String> = objects
            .iter()
            .take(2000)
            .map(|o| o.etag(&dataset))
            .collect();
        assert_eq!(etags.len(), 2000);
        for object in objects.iter().take(2000) {
            let etag = object.etag(&dataset);
            let inner = etag.trim_matches('"');
            assert_eq!(etag.len(), inner.len() + 2);
            let (hex, parts) = inner.split_once('-').unwrap_or((inner, ""));
            assert_eq!(hex.len(), 32);
            assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()));
            if object.is_multipart(&dataset) {
                let parts: u64 = parts.parse().unwrap();
                assert_eq!(parts, object.size(&dataset).div_ceil(PART_SIZE));
                assert!(parts >= 1);
            } else {
                assert!(parts.is_empty());
            }
            let id = object.version_id(&dataset);
            assert!(id.is_none_or(|id| id.len() == 32));
        }
        // Same seed, same answers.
        let again = Dataset::new(42, 20_000);
        assert_eq!(objects[77].etag(&dataset), objects[77].etag(&again));
    }

    #[test]
    fn awkward_objects_are_small_text() {
        let dataset = Dataset::new(42, 10);
        for k in 0..AWKWARD_KEYS.len() {
            let object = Object::of(&dataset, (10 + k) as u32);
            assert_eq!(object, Object::Awkward(k));
            assert_eq!(object.id(&dataset), (10 + k) as u32);
            let bytes = object.content(&dataset).to_vec();
            assert_eq!(bytes.len() as u64, object.size(&dataset));
            assert!(bytes.len() > 500);
            let text = String::from_utf8(bytes).unwrap();
            assert!(!text.contains('\u{1b}'));
            assert_eq!(object.storage_class(&dataset), StorageClass::Standard);
            assert!(object.checksum_sha256(&dataset).is_some());
        }
    }
}
