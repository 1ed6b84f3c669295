//! Errors raised when a mail source cannot be opened at all.

use std::path::PathBuf;

/// An error that stops a whole source from being read.
///
/// Problems with a single message (too large, unreadable maildir file) are not errors: the readers yield a
/// [`crate::Skipped`] item for them and go on with the next message.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The path could not be opened or inspected.
    #[error("failed to read mail source {path}: {source}")]
    Io {
        /// Path of the source that failed.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },

    /// The path is a directory without the `cur/` or `new/` folders of a maildir.
    #[error("{path} is a directory but not a maildir (no cur/ or new/ folder); pass a maildir or a mail file")]
    NotMaildir {
        /// The directory that was passed.
        path: PathBuf,
    },
}
