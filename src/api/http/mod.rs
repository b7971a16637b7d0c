//! HTTP, whatever the store: the client (one connection and the calls made over it), retries
//! with backoff, URL rules, and the errors every call answers with.

pub mod client;
pub mod error;
pub mod retry;
pub mod url;
