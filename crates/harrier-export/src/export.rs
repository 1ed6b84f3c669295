//! The exporter: from the findings log to files, object stores, webhooks and syslog.
//!
//! The exporter reads the analysis database's findings log after the last sequence number it delivered
//! (its checkpoint), maps each change to a Detection Finding and delivers it. For file destinations (a
//! directory or S3) a batch goes through local staging first:
//!
//! 1. each file of the batch is written under `staging/` with a `.partial` suffix, flushed to disk and
//!    renamed to its final name, which contains the batch's range of sequence numbers;
//! 2. the checkpoint moves past the batch (written to a temporary file and renamed);
//! 3. each staged file is uploaded under the same name and then deleted.
//!
//! A crash before step 2 leaves staged files whose range lies after the checkpoint: the next run deletes
//! them and builds the batch again. A crash or failed upload after step 2 leaves staged files that the next
//! run uploads first. An upload repeated after a crash writes the same name again, so the destination
//! contains each finding once.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use harrier_detect::{AnalysisDb, Breach, Change, Finding};
use harrier_enrich::IpIntel;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use object_store::{ObjectStore, ObjectStoreExt};
use object_store::path::Path as ObjectPath;
use serde::{Deserialize, Serialize};

use crate::encode::{self, Format};
use crate::error::ExportError;
use crate::layout::{self, Layout};
use crate::ocsf::finding::DetectionFinding;
use crate::ocsf::map::{ChangeInfo, MapContext, breach_finding, incident_finding};
use crate::ocsf::schema::Schema;
use crate::sink::{Syslog, Webhook};

/// The folder under the data directory that contains each destination's checkpoint and staging area.
pub const EXPORT_DIR: &str = "export";

const STAGING_DIR: &str = "staging";
const PARTIAL_SUFFIX: &str = ".partial";
const CHECKPOINT_FILE: &str = "checkpoint.json";

/// A destination for findings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// A local directory, in the Security Lake layout.
    Dir(PathBuf),
    /// An S3 or S3-compatible bucket, in the Security Lake layout under `prefix`.
    S3 { bucket: String, prefix: String },
    /// An HTTP or HTTPS endpoint that receives JSON arrays of findings by POST.
    Webhook { url: String },
    /// A syslog receiver, one RFC 5424 message per finding.
    Syslog { address: String, tcp: bool },
}

impl Destination {
    /// Reads `s3://bucket/prefix`, `http(s)://...`, `syslog+tcp://host:port`, `syslog+udp://host:port` or a
    /// directory path.
    pub fn parse(text: &str) -> Result<Destination, ExportError> {
        if let Some(rest) = text.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(ExportError::Config(format!("{text:?} names no bucket; write s3://BUCKET/PREFIX")));
            }
            return Ok(Destination::S3 { bucket: bucket.to_owned(), prefix: prefix.trim_matches('/').to_owned() });
        }
        if text.starts_with("http://") || text.starts_with("https://") {
            if let Err(error) = url::Url::parse(text) {
                return Err(ExportError::Config(format!("the webhook URL is invalid: {error}")));
            }
            return Ok(Destination::Webhook { url: text.to_owned() });
        }
        for (scheme, tcp) in [("syslog+tcp://", true), ("syslog+udp://", false)] {
            if let Some(address) = text.strip_prefix(scheme) {
                if !address.contains(':') {
                    return Err(ExportError::Config(format!("{text:?} names no port; write {scheme}HOST:PORT")));
                }
                return Ok(Destination::Syslog { address: address.trim_end_matches('/').to_owned(), tcp });
            }
        }
        if text.contains("://") {
            return Err(ExportError::Config(format!(
                "unknown destination {text:?}; use a directory, s3://BUCKET/PREFIX, https://URL, \
                 syslog+tcp://HOST:PORT or syslog+udp://HOST:PORT"
            )));
        }
        Ok(Destination::Dir(PathBuf::from(text)))
    }

    /// Returns the destination without credentials or query strings, for messages.
    pub fn describe(&self) -> String {
        match self {
            Destination::Dir(path) => path.display().to_string(),
            Destination::S3 { bucket, prefix } => format!("s3://{bucket}/{prefix}"),
            Destination::Webhook { url } => match url::Url::parse(url) {
                Ok(mut parsed) => {
                    // Clearing credentials fails only for URLs that cannot have them, which have none.
                    let _ = parsed.set_username("");
                    let _ = parsed.set_password(None);
                    parsed.set_query(None);
                    parsed.set_fragment(None);
                    parsed.to_string()
                }
                // An unparsable URL may still hold a secret, so none of it is shown.
                Err(error) => format!("an invalid webhook URL ({error})"),
            },
            Destination::Syslog { address, tcp } => {
                format!("syslog+{}://{address}", if *tcp { "tcp" } else { "udp" })
            }
        }
    }

    fn writes_files(&self) -> bool {
        matches!(self, Destination::Dir(_) | Destination::S3 { .. })
    }
}

/// Options for building and writing records.
#[derive(Clone)]
pub struct ExportOptions {
    pub format: Format,
    pub layout: Layout,
    /// Leaves out findings whose time is before this.
    pub since: Option<Timestamp>,
    /// Findings-log entries per batch: a batch is written once this many are pending, or at the end.
    pub batch_changes: usize,
    /// Checks every record against the OCSF schema before writing it; records that fail are left out
    /// and counted.
    pub schema: Option<Arc<Schema>>,
    /// Signs webhook requests with HMAC-SHA256 under this key.
    pub webhook_secret: Option<String>,
}

impl ExportOptions {
    pub fn new(format: Format, layout: Layout) -> ExportOptions {
        ExportOptions { format, layout, since: None, batch_changes: 50_000, schema: None, webhook_secret: None }
    }
}

/// Counts of one export run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ExportSummary {
    /// Findings-log entries read.
    pub changes: u64,
    /// Records written or delivered.
    pub findings: u64,
    pub breaches: u64,
    pub incidents: u64,
    /// Entries left out because an incident changed again later in the same batch.
    pub superseded: u64,
    /// Records left out because they are older than `since`.
    pub before_since: u64,
    /// Records left out because they failed schema validation.
    pub invalid: u64,
    pub files_staged: u64,
    pub files_uploaded: u64,
    pub bytes_uploaded: u64,
    /// Staged files of a batch that was not completed, deleted and built again.
    pub files_discarded: u64,
    /// The checkpoint after the run.
    pub last_seq: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Checkpoint {
    /// The last findings-log sequence number that has been staged or delivered.
    last_seq: u64,
}

/// Exports findings to one destination.
pub struct Exporter<'a> {
    destination: Destination,
    options: ExportOptions,
    context: MapContext<'a>,
    state_dir: PathBuf,
    checkpoint: Checkpoint,
    runtime: tokio::runtime::Runtime,
    store: Option<Store>,
    webhook: Option<Webhook>,
    syslog: Option<Syslog>,
    /// Held for the exporter's lifetime, so two exports to one destination never interleave.
    _lock: std::fs::File,
}

/// An object store and the prefix of every key written to it.
type Store = (Arc<dyn ObjectStore>, String);

impl<'a> Exporter<'a> {
    /// Prepares an export to `destination`, keeping its checkpoint and staging area under
    /// `data_dir/export/`. The same destination, format, layout and `since` always use the same state,
    /// so a repeated run continues where the last one stopped.
    pub fn new(
        data_dir: &Path,
        destination: Destination,
        options: ExportOptions,
        intel: Option<&'a IpIntel>,
    ) -> Result<Exporter<'a>, ExportError> {
        install_crypto_provider();
        let state_dir = data_dir.join(EXPORT_DIR).join(state_name(&destination, &options));
        std::fs::create_dir_all(state_dir.join(STAGING_DIR)).map_err(ExportError::io(&state_dir))?;
        let lock_path = state_dir.join("lock");
        let lock = std::fs::File::create(&lock_path).map_err(ExportError::io(&lock_path))?;
        lock.try_lock().map_err(|_| {
            ExportError::Config(format!(
                "another export to this destination is already running (lock {} is taken); wait for it to finish or stop it",
                lock_path.display()
            ))
        })?;
        let checkpoint = read_checkpoint(&state_dir.join(CHECKPOINT_FILE))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(ExportError::io(&state_dir))?;
        let store = open_store(&destination)?;
        let webhook = match &destination {
            Destination::Webhook { url } => Some(Webhook::new(url, options.webhook_secret.as_deref())?),
            _ => None,
        };
        let syslog = match &destination {
            Destination::Syslog { address, tcp } => Some(Syslog::new(address, *tcp)),
            _ => None,
        };
        Ok(Exporter {
            destination,
            options,
            context: MapContext { intel, product_version: env!("CARGO_PKG_VERSION") },
            state_dir,
            checkpoint,
            runtime,
            store,
            webhook,
            syslog,
            _lock: lock,
        })
    }

    /// Returns the folder that contains this destination's checkpoint and staging area.
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// Returns true when staged files wait for upload, as after a failed upload.
    pub fn has_staged(&self) -> bool {
        staged_files(&self.state_dir.join(STAGING_DIR)).is_ok_and(|files| !files.is_empty())
    }

    /// Returns the last findings-log sequence number staged or delivered.
    pub fn checkpoint(&self) -> u64 {
        self.checkpoint.last_seq
    }

    /// Exports everything after the checkpoint: uploads what an earlier run staged, then stages and
    /// uploads the new findings batch by batch.
    pub fn run(&mut self, db: &AnalysisDb) -> Result<ExportSummary, ExportError> {
        let mut summary = ExportSummary::default();
        if self.destination.writes_files() {
            summary.files_discarded = self.discard_uncommitted()?;
            self.upload_staged(&mut summary)?;
        }
        while self.stage_batch(db, &mut summary)? {
            if self.destination.writes_files() {
                self.upload_staged(&mut summary)?;
            }
        }
        summary.last_seq = self.checkpoint.last_seq;
        Ok(summary)
    }

    /// Builds and stages (or, for webhooks and syslog, delivers) the next batch and moves the checkpoint
    /// past it. Returns false when nothing was pending. Files are left staged for [`Exporter::run`] or the
    /// next run to upload.
    pub fn stage_batch(&mut self, db: &AnalysisDb, summary: &mut ExportSummary) -> Result<bool, ExportError> {
        let changes = db.changes_after(self.checkpoint.last_seq, self.options.batch_changes.max(1))?;
        let (Some(first), Some(last)) = (changes.first(), changes.last()) else {
            return Ok(false);
        };
        let (first_seq, last_seq) = (first.seq, last.seq);
        summary.changes += changes.len() as u64;
        let findings = self.map_batch(db, &changes, first_seq, summary)?;
        summary.findings += findings.len() as u64;

        if let Some(webhook) = &self.webhook {
            self.runtime.block_on(webhook.deliver(&findings))?;
        } else if let Some(syslog) = &self.syslog {
            syslog.deliver(&findings)?;
        } else {
            for (day, records) in by_day(findings) {
                let key = self.options.layout.key(day, first_seq, last_seq, self.options.format);
                let bytes = encode::encode(&records, self.options.format)?;
                self.stage_file(&key, &bytes)?;
                summary.files_staged += 1;
            }
        }
        self.save_checkpoint(last_seq)?;
        Ok(true)
    }

    /// Maps a batch of changes to records. An incident changed more than once in the batch is written
    /// once, in its latest state. Records before `since` and records that fail validation are left out.
    fn map_batch(
        &self,
        db: &AnalysisDb,
        changes: &[Change],
        first_seq: u64,
        summary: &mut ExportSummary,
    ) -> Result<Vec<DetectionFinding>, ExportError> {
        let mut latest: HashMap<&str, u64> = HashMap::new();
        for change in changes {
            if let Finding::Incident(incident) = &change.finding {
                latest.insert(&incident.id, change.seq);
            }
        }
        let in_batch: HashMap<&str, &Breach> = changes
            .iter()
            .filter_map(|c| match &c.finding {
                Finding::Breach(breach) => Some((breach.id.as_str(), breach)),
                Finding::Incident(_) => None,
            })
            .collect();

        let mut records = Vec::with_capacity(changes.len());
        for change in changes {
            let info = ChangeInfo {
                seq: change.seq,
                created: change.first_seq >= first_seq,
                incident: change.incident.as_deref(),
            };
            let record = match &change.finding {
                Finding::Breach(breach) => {
                    summary.breaches += 1;
                    breach_finding(breach, info, &self.context)
                }
                Finding::Incident(incident) => {
                    if latest.get(incident.id.as_str()) != Some(&change.seq) {
                        summary.superseded += 1;
                        continue;
                    }
                    let missing: Vec<&str> = incident
                        .breaches
                        .iter()
                        .map(String::as_str)
                        .filter(|id| !in_batch.contains_key(id))
                        .collect();
                    let mut steps = db.breaches_by_id(missing)?;
                    steps.extend(incident.breaches.iter().filter_map(|id| in_batch.get(id.as_str()).map(|b| (*b).clone())));
                    summary.incidents += 1;
                    incident_finding(incident, &steps, info, &self.context)
                }
            };
            // An incident is judged by its start, not by its latest change: one that began before `since`
            // is left out in every version, so no destination receives an Update without the Create.
            let start = record.start_time.unwrap_or(record.time);
            if let Some(since) = self.options.since
                && start < since.as_millisecond()
            {
                summary.before_since += 1;
                continue;
            }
            if let Some(schema) = &self.options.schema
                && let Err(error) = validate(schema, &record)
            {
                tracing::error!(%error, "finding left out of the export");
                summary.invalid += 1;
                continue;
            }
            records.push(record);
        }
        Ok(records)
    }

    fn staging_path(&self, key: &str) -> PathBuf {
        self.state_dir.join(STAGING_DIR).join(key)
    }

    /// Writes a staged file: to a `.partial` file first, flushed to disk, then renamed.
    fn stage_file(&self, key: &str, bytes: &[u8]) -> Result<(), ExportError> {
        let path = self.staging_path(key);
        let dir = path.parent().expect("keys have folders");
        let staging = self.state_dir.join(STAGING_DIR);
        let mut missing = Vec::new();
        let mut ancestor = Some(dir);
        while let Some(folder) = ancestor.filter(|f| *f != staging && !f.exists()) {
            missing.push(folder.to_owned());
            ancestor = folder.parent();
        }
        std::fs::create_dir_all(dir).map_err(ExportError::io(dir))?;
        // New folders are made durable in their parents before the checkpoint can depend on them.
        for folder in &missing {
            sync_dir(folder.parent().expect("under staging"))?;
        }
        let partial = PathBuf::from(format!("{}{PARTIAL_SUFFIX}", path.display()));
        let mut file = std::fs::File::create(&partial).map_err(ExportError::io(&partial))?;
        file.write_all(bytes).map_err(ExportError::io(&partial))?;
        file.sync_all().map_err(ExportError::io(&partial))?;
        std::fs::rename(&partial, &path).map_err(ExportError::io(&path))?;
        sync_dir(dir)?;
        Ok(())
    }

    /// Deletes partial files and files of a batch the checkpoint does not cover, and returns how many.
    fn discard_uncommitted(&self) -> Result<u64, ExportError> {
        let mut discarded = 0;
        for path in staged_files(&self.state_dir.join(STAGING_DIR))? {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let committed = !name.ends_with(PARTIAL_SUFFIX)
                && layout::parse_batch_range(name).is_some_and(|(_, last)| last <= self.checkpoint.last_seq);
            if !committed {
                std::fs::remove_file(&path).map_err(ExportError::io(&path))?;
                discarded += 1;
            }
        }
        Ok(discarded)
    }

    /// Uploads every staged file under its key and deletes it once the upload succeeded.
    fn upload_staged(&self, summary: &mut ExportSummary) -> Result<(), ExportError> {
        let Some((store, prefix)) = &self.store else { return Ok(()) };
        let staging = self.state_dir.join(STAGING_DIR);
        for path in staged_files(&staging)? {
            if path.to_string_lossy().ends_with(PARTIAL_SUFFIX) {
                continue;
            }
            let relative = path.strip_prefix(&staging).expect("under staging");
            let key: Vec<String> = relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            let key = key.join("/");
            let location = ObjectPath::from(if prefix.is_empty() { key.clone() } else { format!("{prefix}/{key}") });
            let bytes = std::fs::read(&path).map_err(ExportError::io(&path))?;
            let size = bytes.len() as u64;
            self.runtime
                .block_on(store.put(&location, bytes.into()))
                .map_err(|e| ExportError::Upload { key: location.to_string(), message: e.to_string() })?;
            std::fs::remove_file(&path).map_err(ExportError::io(&path))?;
            remove_empty_parents(&path, &staging);
            summary.files_uploaded += 1;
            summary.bytes_uploaded += size;
            tracing::info!(key = %location, bytes = size, "uploaded");
        }
        Ok(())
    }

    fn save_checkpoint(&mut self, last_seq: u64) -> Result<(), ExportError> {
        let checkpoint = Checkpoint { last_seq };
        let path = self.state_dir.join(CHECKPOINT_FILE);
        let temporary = self.state_dir.join(format!("{CHECKPOINT_FILE}{PARTIAL_SUFFIX}"));
        let text = serde_json::to_vec(&checkpoint).expect("checkpoints serialise");
        let mut file = std::fs::File::create(&temporary).map_err(ExportError::io(&temporary))?;
        file.write_all(&text).map_err(ExportError::io(&temporary))?;
        file.sync_all().map_err(ExportError::io(&temporary))?;
        std::fs::rename(&temporary, &path).map_err(ExportError::io(&path))?;
        sync_dir(&self.state_dir)?;
        self.checkpoint = checkpoint;
        Ok(())
    }
}

/// When a continuous export writes a batch: once `max_pending` entries wait, or once the oldest has
/// waited `interval`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlushPolicy {
    pub max_pending: u64,
    pub interval: Duration,
}

impl FlushPolicy {
    /// The minimum time limit: Security Lake and most SIEMs expect batches, not a file per finding.
    pub const MIN_INTERVAL: Duration = Duration::from_secs(5 * 60);
    /// The maximum time limit, so that findings reach the lake within a day.
    pub const MAX_INTERVAL: Duration = Duration::from_secs(24 * 60 * 60);

    pub fn new(max_pending: u64, interval: Duration) -> Result<FlushPolicy, ExportError> {
        if !(Self::MIN_INTERVAL..=Self::MAX_INTERVAL).contains(&interval) {
            return Err(ExportError::Config(format!(
                "flush interval {}s is outside 5 minutes to 24 hours",
                interval.as_secs()
            )));
        }
        if max_pending == 0 {
            return Err(ExportError::Config("the batch size must be at least 1".to_owned()));
        }
        Ok(FlushPolicy { max_pending, interval })
    }

    /// Returns whether to write now, given how many entries wait and how long the oldest has waited.
    pub fn due(&self, pending: u64, oldest_waiting: Option<Duration>) -> bool {
        pending >= self.max_pending || (pending > 0 && oldest_waiting.is_some_and(|age| age >= self.interval))
    }
}

/// Groups records by the UTC day of their time, each group sorted by time and then record id.
fn by_day(records: Vec<DetectionFinding>) -> BTreeMap<jiff::civil::Date, Vec<DetectionFinding>> {
    let mut days: BTreeMap<jiff::civil::Date, Vec<DetectionFinding>> = BTreeMap::new();
    for record in records {
        let day = Timestamp::from_millisecond(record.time)
            .map(|t| t.to_zoned_datetime(TimeZone::UTC).date())
            .unwrap_or(jiff::civil::date(1970, 1, 1));
        days.entry(day).or_default().push(record);
    }
    for records in days.values_mut() {
        records.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.metadata.uid.cmp(&b.metadata.uid)));
    }
    days
}

/// Validates one record and describes its violations.
pub fn validate(schema: &Schema, record: &DetectionFinding) -> Result<(), ExportError> {
    let value = serde_json::to_value(record).expect("findings serialise to JSON");
    schema.validate(&value).map_err(|violations| ExportError::Invalid {
        uid: record.metadata.uid.clone(),
        version: schema.version().to_owned(),
        problems: violations.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("; "),
    })
}

/// Returns a folder name for a destination's state, stable for the same destination and options.
fn state_name(destination: &Destination, options: &ExportOptions) -> String {
    let key = format!(
        "{destination:?}\0{}\0{:?}\0{:?}",
        options.format.extension(),
        options.layout,
        options.since.map(|t| t.as_millisecond())
    );
    let kind = match destination {
        Destination::Dir(_) => "dir",
        Destination::S3 { .. } => "s3",
        Destination::Webhook { .. } => "webhook",
        Destination::Syslog { .. } => "syslog",
    };
    format!("{kind}-{:016x}", xxhash_rust::xxh3::xxh3_64(key.as_bytes()))
}

fn read_checkpoint(path: &Path) -> Result<Checkpoint, ExportError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| ExportError::State { path: path.to_owned(), message: e.to_string() }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Checkpoint::default()),
        Err(error) => Err(ExportError::Io { path: path.to_owned(), source: error }),
    }
}

fn open_store(destination: &Destination) -> Result<Option<Store>, ExportError> {
    match destination {
        Destination::Dir(dir) => {
            std::fs::create_dir_all(dir).map_err(ExportError::io(dir))?;
            let store = object_store::local::LocalFileSystem::new_with_prefix(dir)
                .map_err(|e| ExportError::Config(format!("{}: {e}", dir.display())))?
                .with_fsync(true);
            Ok(Some((Arc::new(store), String::new())))
        }
        Destination::S3 { bucket, prefix } => {
            // Credentials, region and endpoint come from the standard AWS_* environment variables.
            let store = object_store::aws::AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .build()
                .map_err(|e| ExportError::Config(format!("s3://{bucket}: {e}")))?;
            Ok(Some((Arc::new(store), prefix.clone())))
        }
        Destination::Webhook { .. } | Destination::Syslog { .. } => Ok(None),
    }
}

/// Lists the files under `dir`, recursively, in name order.
fn staged_files(dir: &Path) -> Result<Vec<PathBuf>, ExportError> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(ExportError::Io { path: dir, source: error }),
        };
        for entry in entries {
            let entry = entry.map_err(ExportError::io(&dir))?;
            let path = entry.path();
            if entry.file_type().map_err(ExportError::io(&path))?.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Removes the folders above `file` up to `root` that are left empty.
fn remove_empty_parents(file: &Path, root: &Path) {
    let mut dir = file.parent();
    while let Some(current) = dir {
        // remove_dir fails on a folder that still has entries, which ends the walk.
        if current == root || std::fs::remove_dir(current).is_err() {
            break;
        }
        dir = current.parent();
    }
}

fn sync_dir(dir: &Path) -> Result<(), ExportError> {
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(ExportError::io(dir))
}

/// Makes ring the process's TLS crypto provider, once, for the S3 and webhook clients.
fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // rustls marks its ring provider deprecated because ring lacks post-quantum key exchange. It is
        // kept because one crypto back-end (ring, which object_store signs with) builds faster than two.
        // Installing fails only when another provider was installed first, which works as well.
        #[allow(deprecated)]
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_parse() {
        assert_eq!(
            Destination::parse("s3://lake/harrier/findings").unwrap(),
            Destination::S3 { bucket: "lake".into(), prefix: "harrier/findings".into() }
        );
        assert_eq!(Destination::parse("s3://lake").unwrap(), Destination::S3 { bucket: "lake".into(), prefix: "".into() });
        assert!(Destination::parse("s3:///x").is_err());
        assert_eq!(
            Destination::parse("syslog+tcp://127.0.0.1:6514").unwrap(),
            Destination::Syslog { address: "127.0.0.1:6514".into(), tcp: true }
        );
        assert!(Destination::parse("syslog+udp://localhost").is_err());
        assert!(Destination::parse("ftp://x").is_err());
        assert_eq!(Destination::parse("out/lake").unwrap(), Destination::Dir("out/lake".into()));
    }

    #[test]
    fn describe_hides_credentials() {
        let webhook = Destination::parse("https://user:secret@siem.example/hook?token=abc").unwrap();
        assert_eq!(webhook.describe(), "https://siem.example/hook");
        let at_in_path = Destination::parse("https://siem.example/hooks/team@corp#frag").unwrap();
        assert_eq!(at_in_path.describe(), "https://siem.example/hooks/team@corp");
        let secret_only = Destination::parse("https://:pass@siem.example:8443/h").unwrap();
        assert_eq!(secret_only.describe(), "https://siem.example:8443/h");
    }

    #[test]
    fn flush_policy_bounds_and_triggers() {
        assert!(FlushPolicy::new(10, Duration::from_secs(60)).is_err());
        assert!(FlushPolicy::new(10, Duration::from_secs(2 * 24 * 3600)).is_err());
        let policy = FlushPolicy::new(10, Duration::from_secs(300)).unwrap();
        assert!(!policy.due(0, Some(Duration::from_secs(900))));
        assert!(!policy.due(3, Some(Duration::from_secs(299))));
        assert!(policy.due(3, Some(Duration::from_secs(300))));
        assert!(policy.due(10, None));
    }
}
