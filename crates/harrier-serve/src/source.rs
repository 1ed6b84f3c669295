//! The sources a tenant's poll loop reads: anything that stores new events and reports what it did.
//!
//! A source stores its events in the event store itself, so it can keep its own checkpoint in the same
//! order (store first, then move the checkpoint). The poll loop runs analysis, response planning and the
//! exporters after each round in which any source stored something.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::Serialize;

/// What one poll of a source did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PollReport {
    /// Events newly stored, per stream of the source (a content type, `sign_ins`, a spool folder).
    pub stored: BTreeMap<String, u64>,
    /// How far behind now the newest event read is, per stream.
    pub lag: BTreeMap<String, Duration>,
    /// Errors the source handled and counted instead of failing the poll, per kind (`throttled`,
    /// `unreadable_file`, ...).
    pub errors: BTreeMap<String, u64>,
}

impl PollReport {
    pub fn stored_total(&self) -> u64 {
        self.stored.values().sum()
    }
}

/// A failed poll. The loop logs it, counts it under `kind` and polls again at the next interval.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SourceError {
    /// A short machine-readable kind for metrics, such as `io`, `auth` or `store`.
    pub kind: &'static str,
    pub message: String,
}

impl SourceError {
    pub fn new(kind: &'static str, message: impl Into<String>) -> SourceError {
        SourceError { kind, message: message.into() }
    }
}

pub type PollFuture<'a> = Pin<Box<dyn Future<Output = Result<PollReport, SourceError>> + Send + 'a>>;

/// A source of events for one tenant.
///
/// `poll` is called once per interval and never while an earlier poll of the same source still runs. It
/// should return once the events available now are stored. Blocking work (files, SQLite) belongs in
/// `tokio::task::spawn_blocking`. At shutdown the loop waits for the poll in progress to finish, so a
/// source writes its checkpoint before it returns.
///
/// The Microsoft 365 collector plugs in with a small adapter:
///
/// ```ignore
/// impl Source for TenantCollector {
///     fn name(&self) -> &str { "m365" }
///     fn interval(&self) -> Duration { self.settings.poll_interval }
///     fn poll(&mut self) -> PollFuture<'_> {
///         Box::pin(async move { TenantCollector::poll(self).await.map(Into::into).map_err(|e| SourceError::new("collect", format!("{e:#}"))) })
///     }
/// }
/// ```
pub trait Source: Send {
    /// A short name for logs and metric labels.
    fn name(&self) -> &str;

    /// How long the loop waits between the end of one poll and the start of the next.
    fn interval(&self) -> Duration;

    fn poll(&mut self) -> PollFuture<'_>;
}
