//! filescope: a keyboard-driven terminal explorer for remote file-storage APIs.
//!
//! Layers, from the bottom up (each only uses the ones above it in this list):
//! - [`api`]: dialects, the HTTP client, wire decoding and errors. Knows nothing of the UI.
//! - [`listing`]: the paged dataset, query and selection. Pure: no I/O, no terminal.
//! - [`app`]: application state, key handling and the event loop that ties them together.
//! - [`ui`]: views that only draw from state.
//! - [`tui`]: terminal setup and restore (panic hook, signals, suspend).
//! - [`clipboard`]: OSC 52 and clipboard commands (pure: decides and builds bytes).

pub mod api;
pub mod app;
pub mod cli;
pub mod clipboard;
pub mod commands;
pub mod config;
pub mod insight;
pub mod listing;
pub mod logging;
pub mod ls;
pub mod text;
pub mod tui;
pub mod ui;
