//! alertlint: proves that failures of critical GitHub Actions workflows reach a person.
//!
//! The pipeline is one-way: [`repo`] loads a repository, [`analysis`] judges it into a
//! [`findings::Report`], [`exceptions`] marks the findings people have accepted, and
//! [`output`] renders that report. The binary in `main.rs` wires them to the command line.

pub mod analysis;
pub mod atomic_write;
pub mod config;
pub mod debug_hooks;
pub mod exceptions;
pub mod findings;
pub mod online;
pub mod output;
pub mod redact;
pub mod repo;
pub mod rules;
