//! Dialects declared as data: the engine that speaks a TOML definition (filescope's own
//! FileJar, Flextell, AstraCollab and FileGuard, the example shapes and a user's
//! `[dialects.NAME]`), and the two commands that help write one: `dialect check` and
//! `dialect infer`.

pub mod check;
mod engine;
pub mod infer;

pub use engine::*;
