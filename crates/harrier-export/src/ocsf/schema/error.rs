use std::path::PathBuf;

/// Failure to load or resolve the OCSF schema, naming the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("failed to read OCSF schema file {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid JSON in OCSF schema file {}: {source}", .path.display())]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("invalid OCSF schema file {}: {message}", .path.display())]
    Invalid { path: PathBuf, message: String },
}

impl SchemaError {
    pub(super) fn invalid(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }
}
