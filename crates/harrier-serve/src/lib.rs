//! The long-running harrier service behind `harrier serve`: its configuration, the poll loop that feeds
//! sources through analysis, response planning and export, and the HTTP API with its tokens, local users,
//! sessions and audit log.
//!
//! A source is anything implementing [`Source`]; [`spool::SpoolSource`] replays files dropped in a folder.
//! [`service::run`] starts every configured part in one tokio runtime and stops them on a shutdown flag,
//! letting work in progress finish.

pub mod actions;
mod activity;
pub mod api;
pub mod auth;
mod collector;
mod baseline;
pub mod config;
pub mod db;
pub mod learned;
pub mod metrics;
pub mod query;
pub mod service;
pub mod source;
pub mod spool;
pub mod ui;

pub use config::{Config, ConfigError};
pub use source::{PollFuture, PollReport, Source, SourceError};
