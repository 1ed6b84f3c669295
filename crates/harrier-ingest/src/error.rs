//! Errors and skip reasons.
//!
//! A file that cannot be read at all is a [`FileError`]. A record inside a readable file that cannot be
//! turned into an event is a [`Skip`]: it is counted under its [`SkipReason::category`] and reported with
//! the file and line, and the rest of the file is still read.

use std::path::PathBuf;

/// The reason one record was not turned into an event.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SkipReason {
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    #[error("invalid CSV row: {0}")]
    InvalidCsv(String),
    #[error("line is not valid UTF-8")]
    InvalidUtf8,
    #[error("not a JSON object: each record must be an object, found {0}")]
    NotAnObject(&'static str),
    #[error("unrecognised record: {0}")]
    Unrecognised(String),
    #[error("missing time: the record has none of the fields {0}")]
    MissingTime(&'static str),
    #[error("invalid time in field {field}: {value:?}")]
    InvalidTime { field: String, value: String },
    #[error("missing field {0}")]
    MissingField(&'static str),
    #[error("invalid value in field {field}: {value:?}")]
    InvalidField { field: &'static str, value: String },
}

impl SkipReason {
    /// Returns a stable, low-cardinality name for counting skips by reason in summaries.
    pub fn category(&self) -> String {
        match self {
            SkipReason::InvalidJson(_) => "invalid_json".into(),
            SkipReason::InvalidCsv(_) => "invalid_csv".into(),
            SkipReason::InvalidUtf8 => "invalid_utf8".into(),
            SkipReason::NotAnObject(_) => "not_an_object".into(),
            SkipReason::Unrecognised(_) => "unrecognised_record".into(),
            SkipReason::MissingTime(_) => "missing_time".into(),
            SkipReason::InvalidTime { .. } => "invalid_time".into(),
            SkipReason::MissingField(field) => format!("missing_field:{field}"),
            SkipReason::InvalidField { field, .. } => format!("invalid_field:{field}"),
        }
    }
}

/// A record that was skipped, with where it was.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: {reason}", path.display())]
pub struct Skip {
    pub path: PathBuf,
    /// The 1-based line (or CSV row's starting line) where the record begins.
    pub line: u64,
    pub reason: SkipReason,
}

/// A file that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "{}: not a supported log format; expected JSON (array, lines or a single object, optionally \
         gzip-compressed) or CSV with a header row, holding Management Activity API, Sentinel, Graph or \
         Azure Monitor records; pass --format to force one of: {}",
        path.display(),
        crate::detect::format_names()
    )]
    UnknownFormat { path: PathBuf },
    #[error("{}: invalid JSON document at line {line}: {message}", path.display())]
    InvalidDocument { path: PathBuf, line: u64, message: String },
    #[error("{}: decompressed size exceeds the limit of {limit} bytes for whole-document formats", path.display())]
    TooLarge { path: PathBuf, limit: u64 },
}
