//! A file's bytes: where they are and what the API can do with one file ([`content`]),
//! downloads to disk with resume ([`download`]), and checksums ([`checksum`]). Known to the
//! rest of the crate as `api::content`, everything re-exported here.

pub mod checksum;
pub mod content;
pub mod download;

pub use checksum::{Algorithm, Checksum, Hasher, Published, hex};
pub use content::ContentLink;
pub use download::{
    Claim, Conflict, Progress, Saved, TransferError, claim, download, finish, numbered, part_path,
    safe_file_name,
};
