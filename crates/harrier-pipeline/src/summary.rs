//! The account of a replay: what was read, stored and skipped, and why.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use harrier_ingest::{FileError, FileInfo, Skip};
use harrier_store::{InsertStats, PreparedBlock};
use jiff::Timestamp;
use serde::Serialize;

/// How many skipped records are listed one by one; the rest are only counted.
pub const MAX_SKIP_EXAMPLES: usize = 100;

/// The outcome of reading one input file.
#[derive(Clone, Debug, Serialize)]
pub struct FileReport {
    pub path: PathBuf,
    /// `json_lines`, `json_document`, `csv` or `mail`; absent when the file could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<&'static str>,
    pub compressed: bool,
    pub records: u64,
    pub skipped: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl FileReport {
    pub fn new(path: &Path, result: Result<FileInfo, FileError>, records: u64, skipped: u64) -> FileReport {
        let (container, compressed, error) = match result {
            Ok(info) => (Some(info.container.as_str()), info.compressed, None),
            Err(error) => (None, harrier_mail::is_gzip_file(path), Some(error.to_string())),
        };
        FileReport { path: path.to_path_buf(), container, compressed, records, skipped, error }
    }

    /// Creates the report of a mail file, whose container is `mail`.
    pub fn mail(path: &Path, error: Option<String>, records: u64, skipped: u64) -> FileReport {
        let container = error.is_none().then_some("mail");
        FileReport { path: path.to_path_buf(), container, compressed: harrier_mail::is_gzip_file(path), records, skipped, error }
    }

    /// Creates the report of a path that could not be listed or opened.
    pub fn failed(error: &FileError, path: PathBuf) -> FileReport {
        let compressed = harrier_mail::is_gzip_file(&path);
        FileReport { path, container: None, compressed, records: 0, skipped: 0, error: Some(error.to_string()) }
    }
}

/// One skipped record, with where it was and why.
#[derive(Clone, Debug, Serialize)]
pub struct SkipReport {
    pub path: PathBuf,
    pub line: u64,
    pub reason: String,
}

/// Record counts of a replay.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RecordCounts {
    /// Records found in the input, whether used or skipped.
    pub read: u64,
    /// Records normalised into events.
    pub normalised: u64,
    pub skipped: u64,
    /// Events newly stored.
    pub stored: u64,
    /// Events already in the store (the same record in overlapping exports or a repeated replay).
    pub duplicates: u64,
}

/// The first and last event time.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct TimeRange {
    pub first: Timestamp,
    pub last: Timestamp,
}

/// The account of one replay, printed as text or JSON.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub files: Vec<FileReport>,
    pub records: RecordCounts,
    /// Normalised records per source format.
    pub formats: BTreeMap<&'static str, u64>,
    /// Normalised records per event kind.
    pub kinds: BTreeMap<&'static str, u64>,
    /// Skipped records per reason.
    pub skipped: BTreeMap<String, u64>,
    /// The first skipped records, each with file, line and reason.
    pub skip_examples: Vec<SkipReport>,
    /// Normalised records per tenant.
    pub tenants: BTreeMap<String, u64>,
    /// The time range of the events read in this replay.
    pub time_range: Option<TimeRange>,
    pub bytes_read: u64,
    pub elapsed_seconds: f64,
    pub records_per_second: f64,
}

impl Summary {
    pub(crate) fn add_batch(&mut self, blocks: &[PreparedBlock], stats: InsertStats) {
        self.records.stored += stats.inserted;
        self.records.duplicates += stats.duplicates;
        for record in blocks.iter().flat_map(PreparedBlock::rows) {
            *self.formats.entry(record.format).or_default() += 1;
            *self.kinds.entry(record.kind).or_default() += 1;
            match self.tenants.get_mut(record.tenant.as_str()) {
                Some(count) => *count += 1,
                None => {
                    self.tenants.insert(record.tenant.as_str().to_owned(), 1);
                }
            }
            let time = Timestamp::from_millisecond(record.time_ms).unwrap_or(Timestamp::UNIX_EPOCH);
            self.time_range = Some(match self.time_range {
                None => TimeRange { first: time, last: time },
                Some(range) => TimeRange { first: range.first.min(time), last: range.last.max(time) },
            });
        }
    }

    pub(crate) fn add_skips(&mut self, skips: Vec<Skip>) {
        for skip in skips {
            *self.skipped.entry(skip.reason.category()).or_default() += 1;
            if self.skip_examples.len() < MAX_SKIP_EXAMPLES {
                self.skip_examples.push(SkipReport { path: skip.path, line: skip.line, reason: skip.reason.to_string() });
            }
        }
    }

    pub(crate) fn add_file(&mut self, report: FileReport) {
        self.records.normalised += report.records;
        self.records.skipped += report.skipped;
        self.records.read += report.records + report.skipped;
        self.files.push(report);
    }

    /// Adds files that could not be listed or opened before reading started.
    pub fn add_file_errors(&mut self, errors: &[FileError]) {
        for error in errors {
            let path = match error {
                FileError::Io { path, .. }
                | FileError::UnknownFormat { path }
                | FileError::InvalidDocument { path, .. }
                | FileError::TooLarge { path, .. } => path.clone(),
            };
            self.files.push(FileReport::failed(error, path));
        }
    }

    pub(crate) fn finish(&mut self, elapsed: Duration, bytes_read: u64) {
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
        self.skip_examples.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        self.bytes_read = bytes_read;
        self.elapsed_seconds = elapsed.as_secs_f64();
        self.records_per_second =
            if self.elapsed_seconds > 0.0 { self.records.normalised as f64 / self.elapsed_seconds } else { 0.0 };
    }

    /// Files that could not be read.
    pub fn failed_files(&self) -> impl Iterator<Item = &FileReport> {
        self.files.iter().filter(|f| f.error.is_some())
    }
}
