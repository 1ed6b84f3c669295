//! Errors of the exporter.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Db(#[from] harrier_detect::DbError),
    #[error("cannot encode findings: {0}")]
    Encode(String),
    #[error("{0}")]
    Config(String),
    #[error("cannot upload {key}: {message}")]
    Upload { key: String, message: String },
    #[error("cannot deliver findings to {target}: {message}")]
    Deliver { target: String, message: String },
    #[error("export state {}: {message}; delete the file to export again from the start", path.display())]
    State { path: PathBuf, message: String },
    #[error("finding {uid} does not conform to OCSF {version}: {problems}")]
    Invalid { uid: String, version: String, problems: String },
}

impl ExportError {
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
        move |source| ExportError::Io { path: path.to_owned(), source }
    }

    pub(crate) fn parquet(error: parquet::errors::ParquetError) -> ExportError {
        ExportError::Encode(error.to_string())
    }
}
