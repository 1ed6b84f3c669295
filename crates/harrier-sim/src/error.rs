//! Errors of a simulation run.

use std::path::PathBuf;

/// The reason a simulation could not run or could not write its output.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The configuration cannot produce a tenant, for example zero users or days.
    #[error("invalid simulation config: {0}")]
    InvalidConfig(String),
    /// Creating, writing or closing an output file failed.
    #[error("failed to write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A record could not be encoded as JSON.
    #[error("failed to encode a record as JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl SimError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> SimError {
        let path = path.into();
        move |source| SimError::Io { path, source }
    }
}
