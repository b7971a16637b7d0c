//! Everything that talks to a storage API: the dialects (what a listing is), the families
//! (how a store is reached: JSON APIs over HTTP, S3), the HTTP client, decoding of wire
//! bodies into [`FileRecord`]s, and the errors. This layer never imports the UI.

pub mod azure;
pub mod command;
pub mod decode;
pub mod dialect;
pub mod envelope;
pub mod family;
pub mod gcs;
pub mod http;
pub mod json;
pub mod keyspace;
pub mod query;
pub mod ranged;
pub mod record;
pub mod s3;
pub mod scan;
pub mod transfer;

// The HTTP modules keep their paths (`api::client`, `api::url` …)…
pub use http::{client, error, retry, url};
// So do the query's (`api::filter`, `api::plan`), and a file's bytes (`api::content`).
pub use query::{filter, plan};
pub use transfer as content;

pub use client::{Client, Connection, Notice, Secret};
pub use dialect::{Capabilities, Dialect, Page, PageRequest, Search};
pub use error::ApiError;
pub use family::{Reach, Store, Tail};
pub use filter::{Filter, Term, TermKey};
pub use plan::{Local, Plan, plan};
pub use query::{ListQuery, Order, Sort, SortField, Versions};
pub use record::FileRecord;
