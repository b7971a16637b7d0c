//! The integration tests, one binary: each module is what was once a file of its own under
//! tests/ (linking the crate once instead of sixteen times). Run one module with
//! `cargo test --test it MODULE::` or one test with `cargo test --test it NAME`.
//!
//! Tests here share one process: each makes its own directories and gives the binaries it runs
//! their own environment; none sets a variable of this process or installs global state
//! (the one that must, a global log, runs itself in a child process: see
//! [`common::in_own_process`]).
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

mod actions;
mod aws_services;
mod azure;
mod demo_http;
mod dialects;
mod e2e_pty;
mod fuzz_decoders;
mod gcs;
mod hostile;
mod infer;
mod ls;
mod render;
mod s3;
mod s3_checksums;
mod s3_credentials;
mod s3_demo;
mod s3_hostile;
mod s3_ranged;
mod secrets;
mod shapes;
mod stats;
