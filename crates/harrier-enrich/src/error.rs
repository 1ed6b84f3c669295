//! Errors raised while loading IP intelligence data.
//!
//! Lookups cannot fail, so every error here comes from [`crate::IpIntelBuilder::build`]: a
//! snapshot or ASN list that cannot be read or does not parse.

use std::io;
use std::path::PathBuf;

/// An error raised while loading the snapshot or an ASN list.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IntelError {
    /// The snapshot file could not be read.
    #[error("cannot read IP intelligence snapshot {}: {error}", path.display())]
    ReadSnapshot {
        /// The path the operator configured.
        path: PathBuf,
        /// The I/O error from the file system.
        error: io::Error,
    },

    /// The snapshot was read but its contents are invalid, for example truncated or corrupted.
    #[error(
        "invalid IP intelligence snapshot {origin}: {defect}; rebuild it with \
         tools/ipintel/build_snapshot.py, or drop the setting to use the built-in snapshot"
    )]
    InvalidSnapshot {
        /// The snapshot's path, or "built-in snapshot" for the embedded one.
        origin: String,
        /// The defect found in it.
        defect: SnapshotDefect,
    },

    /// An ASN list file could not be read.
    #[error("cannot read ASN list {}: {error}", path.display())]
    ReadAsnList {
        /// The path the operator configured.
        path: PathBuf,
        /// The I/O error from the file system.
        error: io::Error,
    },

    /// A line of an ASN list does not parse.
    #[error("invalid ASN list {origin}, line {line}: {detail}")]
    InvalidAsnList {
        /// The list's path, or the name of a built-in list.
        origin: String,
        /// The 1-based line number.
        line: usize,
        /// The problem with the line.
        detail: String,
    },
}

/// A defect that makes a snapshot invalid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotDefect {
    /// The file does not start with the snapshot magic bytes.
    #[error(
        "the file does not start with the magic bytes {:?}",
        String::from_utf8_lossy(crate::snapshot::MAGIC)
    )]
    BadMagic,

    /// The format version is newer or older than this build reads.
    #[error("format version {found} is not supported; this build reads version {supported}")]
    UnsupportedVersion {
        /// The version in the file.
        found: u16,
        /// The version this build reads.
        supported: u16,
    },

    /// The body uses a compression method this build does not know.
    #[error("compression code {0} is not supported; this build reads 1 (zstd)")]
    UnsupportedCompression(u8),

    /// The data ends before a section is complete.
    #[error("truncated in {section}: {needed} bytes needed, {available} left")]
    Truncated {
        /// The section being read.
        section: &'static str,
        /// Bytes the section needs.
        needed: u64,
        /// Bytes left in the data.
        available: u64,
    },

    /// Bytes follow the last section.
    #[error("{count} unexpected bytes after {section}")]
    TrailingBytes {
        /// The last section read.
        section: &'static str,
        /// How many bytes follow it.
        count: u64,
    },

    /// The header declares a body larger than this build accepts.
    #[error("the header declares a body of {0} bytes, over the limit of {max} bytes", max = crate::snapshot::MAX_BODY_BYTES)]
    BodyTooLarge(u64),

    /// The zstd decoder rejected the body, which covers a failed content checksum.
    #[error("the compressed body does not decode: {0}")]
    Decompress(String),

    /// The decoded body's length differs from the header's.
    #[error("the decoded body has {actual} bytes, but the header declares {expected}")]
    BodyLength {
        /// The length in the header.
        expected: u64,
        /// The decoded length.
        actual: u64,
    },

    /// A section has a value that breaks the format's rules.
    #[error("invalid {section}: {detail}")]
    Invalid {
        /// The section being read.
        section: &'static str,
        /// The rule the value breaks.
        detail: String,
    },
}
