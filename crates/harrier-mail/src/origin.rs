//! Message origins and skip reasons.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// The container format of a mail source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MailFormat {
    /// One RFC 5322 message per file.
    Eml,
    /// Messages joined by `From ` separator lines (mboxrd escaping is undone on read).
    Mbox,
    /// A maildir folder: one message per file under `cur/` and `new/`.
    Maildir,
}

/// The place of one message within its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageOrigin {
    /// The file the message was read from (for maildir, the message's own file).
    pub path: PathBuf,
    /// Zero-based position of the message in the source: within the mbox file, or within the sorted
    /// maildir listing. Always 0 for an `.eml` file.
    pub index: usize,
    /// The container format the message was read from.
    pub format: MailFormat,
}

impl fmt::Display for MessageOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} message index {}", self.path.display(), self.index)
    }
}

/// The reason a message was not returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SkipReason {
    /// The message is larger than [`crate::ReadOptions::max_message_bytes`].
    TooLarge {
        /// Size of the message in bytes, after mbox unescaping.
        size: u64,
        /// The limit in force, in bytes.
        limit: u64,
    },
    /// Reading the message failed with an I/O error.
    Unreadable {
        /// The I/O error, as text.
        error: String,
    },
    /// The file is empty, or its first line is neither a header field (`Name: value`) nor an mbox
    /// `From ` line, so it contains no message: a note, a listing, or other data in a mail folder.
    NotMail,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { size, limit } => {
                write!(f, "message is {size} bytes, over the limit of {limit} bytes")
            }
            Self::Unreadable { error } => write!(f, "failed to read message: {error}"),
            Self::NotMail => write!(
                f,
                "not a mail message: the file is empty or its first line is neither a header field nor an mbox From line"
            ),
        }
    }
}

/// A message that a reader passed over, with where it was and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The source file and position of the skipped message.
    pub origin: MessageOrigin,
    /// The reason it was skipped.
    pub reason: SkipReason,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "skipped {}: {}", self.origin, self.reason)
    }
}
