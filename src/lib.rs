//! filescope: a keyboard-driven terminal explorer for remote file-storage APIs.
//!
//! Layers, from the bottom up (docs/ARCHITECTURE.md has the table `tests/architecture.rs`
//! checks):
//! - [`text`], [`geometry`], [`keymap`], [`clipboard`]: leaves.
//! - [`api`]: dialects, the HTTP client, wire decoding and errors. Knows nothing of the UI.
//! - [`listing`], [`insight`], [`export`]: pure data over records.
//! - [`config`]: the configuration file, parsed once into types.
//! - [`app`]: application state and its pure `update`.
//! - [`ui`]: views that only draw from state.
//! - [`runtime`]: the event loop and the executors that carry effects out.
//! - [`tui`], [`ls`], [`cli`], [`commands`]: the edge.
//!
//! The demo server is the `filescope-demo` crate, behind the default `demo` feature.

pub mod api;
pub mod app;
pub mod cli;
pub mod clipboard;
pub mod commands;
pub mod config;
pub mod export;
pub mod geometry;
pub mod insight;
pub mod keymap;
pub mod listing;
pub mod logging;
pub mod ls;
pub mod runtime;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;
pub mod text;
pub mod tui;
pub mod ui;
