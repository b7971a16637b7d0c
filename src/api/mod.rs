//! Everything that talks to a storage API: the dialects (what a listing is), the families
//! (how a store is reached: JSON APIs over HTTP, S3), the HTTP client, decoding of wire
//! bodies into [`FileRecord`]s, and the errors. This layer never imports the UI.

pub mod client;
pub mod command;
pub mod content;
pub mod decode;
pub mod dialect;
pub mod envelope;
pub mod error;
pub mod family;
pub mod filter;
pub mod json;
pub mod keyspace;
pub mod plan;
pub mod probe;
pub mod query;
pub mod record;
pub mod retry;
pub mod s3;
pub mod scan;
pub mod url;

pub use client::{Client, Connection, Notice, Secret};
pub use dialect::{Capabilities, Dialect, Page, PageRequest, Search};
pub use error::ApiError;
pub use family::{Reach, Store, Tail};
pub use filter::{Filter, Term, TermKey};
pub use plan::{Local, Plan, plan};
pub use query::{ListQuery, Order, Sort, SortField};
pub use record::FileRecord;
