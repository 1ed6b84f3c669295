//! Live collection from a Microsoft 365 tenant.
//!
//! A [`TenantCollector`] reads one tenant's Office 365 Management Activity API content blobs, Graph
//! sign-in and directory-audit logs, and the inboxes of chosen mailboxes through Graph delta queries. Each
//! [`TenantCollector::poll`] runs one cycle over every source. Records are normalised by the same readers
//! as exported files, enriched with IP intelligence and stored in the data directory's event store. Each
//! source's checkpoint is written after its records are committed, so a restart resumes where the last
//! committed poll stopped. The first poll of a source reads [`CollectorSettings::backfill`] back.
//!
//! Collectors share no global state, so one process runs one per tenant. They may share a data
//! directory, because SQLite serialises their writes.

mod checkpoint;
mod graph;
mod mail;
mod management;
mod settings;
mod store;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use harrier_enrich::IpIntel;
use harrier_m365::M365Client;
use harrier_mail::analysis::ReportModel;
use harrier_model::TenantId;
use jiff::Timestamp;

pub use checkpoint::{CHECKPOINT_FILE, CheckpointError};
pub use harrier_m365::{Credentials, ErrorKind, RetryPolicy};
pub use settings::{CONTENT_TYPES, CollectorSettings, MAX_BACKFILL, SettingsError};

use checkpoint::Checkpoints;
use store::StoreWriter;

#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(transparent)]
    Store(#[from] harrier_store::StoreError),
    #[error("cannot make the HTTP client: {0}")]
    Client(#[from] harrier_m365::M365Error),
}

/// The counts of one poll of one source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceReport {
    /// Records read from the responses (normalised, before de-duplication).
    pub read: u64,
    /// Records newly stored.
    pub stored: u64,
    /// Records already stored, from overlapping blobs or re-read windows.
    pub duplicates: u64,
    /// Records the readers skipped, such as an unrecognised record in a blob.
    pub skipped: u64,
    /// Now minus the source's checkpoint after the poll: how far behind the source is.
    pub lag: Option<Duration>,
    /// Failures caught in this poll, by kind.
    pub errors: BTreeMap<ErrorKind, u64>,
    /// The last failure's message, naming the request or content blob.
    pub last_error: Option<String>,
}

impl SourceReport {
    fn add_error(&mut self, kind: ErrorKind, message: String) {
        *self.errors.entry(kind).or_default() += 1;
        self.last_error = Some(message);
    }
}

/// The outcome of one [`TenantCollector::poll`], by source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PollReport {
    pub tenant: TenantId,
    pub started: Timestamp,
    pub duration: Duration,
    /// Reports by source: `management:{content type}`, `graph:signIns`, `graph:signIns:nonInteractive`,
    /// `graph:directoryAudits` and `mail:{mailbox}`.
    pub sources: BTreeMap<String, SourceReport>,
    /// Requests repeated during this poll, by the kind of failure before them. A 401 that led to a new
    /// token counts as [`ErrorKind::Auth`].
    pub retries: BTreeMap<ErrorKind, u64>,
}

impl PollReport {
    /// Returns the failures of every source, by kind.
    pub fn errors(&self) -> BTreeMap<ErrorKind, u64> {
        let mut total = BTreeMap::new();
        for report in self.sources.values() {
            for (kind, count) in &report.errors {
                *total.entry(*kind).or_default() += count;
            }
        }
        total
    }

    /// Returns the records newly stored by every source.
    pub fn stored(&self) -> u64 {
        self.sources.values().map(|report| report.stored).sum()
    }
}

/// A failure that ends one source's poll, or one content blob's.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SourceError {
    #[error(transparent)]
    Api(#[from] harrier_m365::M365Error),
    #[error("{0}")]
    Malformed(String),
    #[error("{0}")]
    Storage(String),
}

impl SourceError {
    fn kind(&self) -> ErrorKind {
        match self {
            SourceError::Api(error) => error.kind(),
            SourceError::Malformed(_) => ErrorKind::Malformed,
            SourceError::Storage(_) => ErrorKind::Storage,
        }
    }
}

impl From<CheckpointError> for SourceError {
    fn from(error: CheckpointError) -> Self {
        SourceError::Storage(error.to_string())
    }
}

/// The client, checkpoints and store the sources use during one poll.
pub(crate) struct Context<'a> {
    pub settings: &'a CollectorSettings,
    pub client: &'a M365Client,
    pub checkpoints: &'a Checkpoints,
    pub store: &'a StoreWriter,
}

impl Context<'_> {
    /// Records a caught failure in the report and the log.
    pub(crate) fn fail(&self, source: &str, report: &mut SourceReport, error: &SourceError) {
        tracing::error!(tenant = %self.settings.tenant, source, kind = error.kind().as_str(), %error, "collection failed");
        report.add_error(error.kind(), error.to_string());
    }

    /// Returns the start of the next read of a time-ordered source: its checkpoint less the overlap, or
    /// the backfill on first start, never earlier than `earliest`.
    pub(crate) fn resume_time(&self, source: &str, now: Timestamp, earliest: Timestamp) -> Result<Timestamp, SourceError> {
        let overlap = jiff::SignedDuration::try_from(self.settings.overlap).unwrap_or(jiff::SignedDuration::ZERO);
        let backfill = jiff::SignedDuration::try_from(self.settings.backfill).unwrap_or(jiff::SignedDuration::ZERO);
        let start = match self.checkpoints.time(source)? {
            Some(checkpoint) => {
                let start = checkpoint - overlap;
                if start < earliest {
                    tracing::warn!(
                        tenant = %self.settings.tenant,
                        source,
                        from = %start,
                        to = %earliest,
                        "records between the checkpoint and the oldest time the API serves are lost"
                    );
                }
                start
            }
            None => now - backfill,
        };
        Ok(whole_seconds(start.max(earliest)))
    }
}

/// Truncates a time to whole seconds, the precision the Management Activity API takes.
pub(crate) fn whole_seconds(time: Timestamp) -> Timestamp {
    Timestamp::from_second(time.as_second()).unwrap_or(time)
}

/// Returns whether a link from a response (`@odata.nextLink`, `NextPageUri`, `contentUri`) points at the
/// configured service, so the bearer token is never sent to another host.
pub(crate) fn same_origin(link: &str, base: &str) -> bool {
    match (url::Url::parse(link), url::Url::parse(base)) {
        (Ok(link), Ok(base)) => link.origin() == base.origin(),
        _ => false,
    }
}

/// One tenant's collector. Make one per tenant and call [`TenantCollector::poll`] on a timer.
pub struct TenantCollector {
    settings: CollectorSettings,
    client: M365Client,
    checkpoints: Checkpoints,
    store: StoreWriter,
    /// Content types whose subscription this collector has started or found started.
    subscribed: std::collections::BTreeSet<String>,
    /// The client's retry counts at the end of the last poll.
    retries_before: BTreeMap<ErrorKind, u64>,
}

impl std::fmt::Debug for TenantCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantCollector").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl TenantCollector {
    /// Checks the settings and opens the event store and the checkpoints in the data directory. Nothing
    /// is requested until the first poll.
    pub fn new(settings: CollectorSettings, intel: Arc<IpIntel>) -> Result<TenantCollector, CollectError> {
        settings.validate()?;
        let client = M365Client::new(settings.credentials.clone(), &settings.authority, settings.retry.clone())?;
        let store = harrier_store::Store::open(&settings.data_dir)?;
        store.sync_every_commit()?;
        let checkpoints = Checkpoints::open(&settings.data_dir, &settings.tenant)?;
        tracing::info!(
            tenant = %settings.tenant,
            directory = %settings.credentials.tenant,
            content_types = settings.content_types.len(),
            mailboxes = settings.mailboxes.len(),
            "collector started"
        );
        Ok(TenantCollector {
            store: StoreWriter::new(store, intel, settings.tenant.clone()),
            settings,
            client,
            checkpoints,
            subscribed: Default::default(),
            retries_before: BTreeMap::new(),
        })
    }

    pub fn settings(&self) -> &CollectorSettings {
        &self.settings
    }

    /// Sets the words learned by `harrier learn mail` for analysing mail read from the mailboxes. They apply
    /// from the next poll on, and `None` turns them off.
    pub fn set_learned_words(&mut self, words: Option<Arc<ReportModel>>) {
        self.settings.mail.reported = words;
    }

    /// Runs one collection cycle over every source that is on. A failing source is counted in its report
    /// and the others still run; an error is returned only when the report itself cannot be made.
    pub async fn poll(&mut self) -> Result<PollReport, CollectError> {
        let started = Timestamp::now();
        let clock = std::time::Instant::now();
        let mut sources = BTreeMap::new();
        let context = Context { settings: &self.settings, client: &self.client, checkpoints: &self.checkpoints, store: &self.store };

        for content_type in &self.settings.content_types {
            let source = management::source_name(content_type);
            let report = management::poll(&context, content_type, &mut self.subscribed).await;
            sources.insert(source, report);
        }
        for kind in graph::AuditLog::enabled(&self.settings) {
            let report = graph::poll(&context, kind).await;
            sources.insert(kind.source_name().to_owned(), report);
        }
        for mailbox in &self.settings.mailboxes {
            let report = mail::poll(&context, mailbox).await;
            sources.insert(mail::source_name(mailbox), report);
        }
        if !self.settings.content_types.is_empty() {
            let keep = jiff::SignedDuration::from_hours(24 * 8);
            if let Err(error) = self.checkpoints.prune_content(started - keep) {
                tracing::warn!(tenant = %self.settings.tenant, %error, "cannot forget old content ids");
            }
        }

        let mut retries = BTreeMap::new();
        for (kind, count) in self.client.retries().snapshot() {
            let before = self.retries_before.insert(kind, count).unwrap_or(0);
            if count > before {
                retries.insert(kind, count - before);
            }
        }
        let report = PollReport { tenant: self.settings.tenant.clone(), started, duration: clock.elapsed(), sources, retries };
        tracing::info!(
            tenant = %report.tenant,
            stored = report.stored(),
            errors = report.errors().values().sum::<u64>(),
            duration_ms = report.duration.as_millis() as u64,
            "poll finished"
        );
        Ok(report)
    }
}

/// Returns how far `checkpoint` is behind now.
pub(crate) fn lag(checkpoint: Option<Timestamp>) -> Option<Duration> {
    let checkpoint = checkpoint?;
    let behind = Timestamp::now().duration_since(checkpoint);
    Some(Duration::try_from(behind).unwrap_or(Duration::ZERO))
}
