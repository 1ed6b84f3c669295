//! Format detection and the readers for `.eml` files, mbox files and maildir folders.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use crate::error::MailError;
use crate::mbox::MboxReader;
use crate::origin::{MailFormat, MessageOrigin, SkipReason, Skipped};

/// Default per-message size limit: 50 MiB, above the 25 to 35 MiB that common mail services accept.
pub const DEFAULT_MAX_MESSAGE_BYTES: u64 = 50 * 1024 * 1024;

/// Settings shared by all readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// Messages larger than this many bytes are skipped with [`SkipReason::TooLarge`].
    pub max_message_bytes: u64,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self { max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES }
    }
}

/// The unparsed bytes of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    /// The source file and position of the message.
    pub origin: MessageOrigin,
    /// The text after `From ` on the mbox separator line (envelope sender and date), when there was one.
    pub envelope_from: Option<String>,
    /// The RFC 5322 message, with the mbox separator removed and `>From ` escaping undone.
    pub bytes: Vec<u8>,
}

/// One item produced by a reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadItem {
    /// A message that was read.
    Message(RawMessage),
    /// A message that was passed over, with the reason.
    Skipped(Skipped),
}

/// Detects the format of `path`: a directory with `cur/` or `new/` is a maildir, a file whose first line
/// starts with `From ` is an mbox, and any other file is a single message.
///
/// A single message that starts with an mbox envelope line is read as an mbox of one message, which strips
/// that line.
pub fn detect_format(path: &Path) -> Result<MailFormat, MailError> {
    let io_error = |source| MailError::Io { path: path.to_path_buf(), source };
    let metadata = std::fs::metadata(path).map_err(io_error)?;
    if metadata.is_dir() {
        if path.join("cur").is_dir() || path.join("new").is_dir() {
            return Ok(MailFormat::Maildir);
        }
        return Err(MailError::NotMaildir { path: path.to_path_buf() });
    }
    let mut start = [0u8; 5];
    let mut input = open_file(path).map_err(io_error)?;
    // A file whose start cannot be read (a truncated gzip stream, for one) is taken as a single message,
    // which the reader then skips with the reason, so that one bad file does not stop a folder.
    let Ok(read) = read_prefix(&mut input, &mut start) else { return Ok(MailFormat::Eml) };
    if &start[..read] == b"From " { Ok(MailFormat::Mbox) } else { Ok(MailFormat::Eml) }
}

/// The first bytes of a gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Opens a file for reading, through a gzip decoder when it starts with the gzip magic bytes: mailing-list
/// archives and exported mailboxes are often kept compressed.
fn open_file(path: &Path) -> std::io::Result<Box<dyn Read + Send>> {
    let mut file = BufReader::new(File::open(path)?);
    let compressed = std::io::BufRead::fill_buf(&mut file)?.starts_with(&GZIP_MAGIC);
    if compressed { Ok(Box::new(flate2::bufread::MultiGzDecoder::new(file))) } else { Ok(Box::new(file)) }
}

/// Returns whether the file at `path` starts with the gzip magic bytes, whether or not the rest decodes.
pub fn is_gzip_file(path: &Path) -> bool {
    let mut magic = [0u8; 2];
    File::open(path).and_then(|mut file| file.read_exact(&mut magic)).is_ok() && magic == GZIP_MAGIC
}

fn read_prefix(input: &mut dyn Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        let read = input.read(&mut buffer[filled..])?;
        if read == 0 {
            break;
        }
        filled += read;
    }
    Ok(filled)
}

/// Returns whether `bytes` start like a message: with a header field (`Name: value`) or an mbox `From `
/// line. RFC 5322 allows any printable character but the colon in a field name. This check takes only the
/// letters, digits, hyphens and underscores that mail programs write, because the first line of a CSV or
/// JSON log has commas, quotes or spaces before any colon.
pub fn looks_like_message(bytes: &[u8]) -> bool {
    // Some programs save messages with a byte-order mark, blank lines or an escaped `>From ` line first.
    let bytes = &bytes[leading_noise(bytes)..];
    if bytes.starts_with(b"From ") || bytes.starts_with(b">From ") {
        return true;
    }
    let first_line = bytes.split(|byte| *byte == b'\n').next().unwrap_or_default();
    let Some(colon) = first_line.iter().position(|byte| *byte == b':') else { return false };
    let name = &first_line[..colon];
    !name.is_empty()
        && name[0].is_ascii_alphabetic()
        && name.iter().all(|byte| byte.is_ascii_alphanumeric() || *byte == b'-' || *byte == b'_')
}

/// Returns the length of the byte-order mark and blank lines that some programs write before a message.
fn leading_noise(bytes: &[u8]) -> usize {
    let mark = if bytes.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    mark + bytes[mark..].iter().take_while(|byte| matches!(byte, b'\r' | b'\n')).count()
}

/// Returns whether the file at `path` contains mail by its first bytes ([`looks_like_message`]), read
/// through a gzip decoder when the file is compressed. An unreadable file contains none.
pub fn is_mail_file(path: &Path) -> bool {
    let mut head = [0u8; 1024];
    let Ok(mut input) = open_file(path) else { return false };
    match read_prefix(&mut input, &mut head) {
        Ok(read) => looks_like_message(&head[..read]),
        Err(_) => false,
    }
}

/// Opens `path`, detects its format with [`detect_format`] and returns a reader over its messages. Files
/// compressed with gzip are read through a decoder.
pub fn open(path: &Path, options: ReadOptions) -> Result<MailReader, MailError> {
    let source = match detect_format(path)? {
        MailFormat::Eml => Source::Files(vec![path.to_path_buf()].into_iter(), MailFormat::Eml),
        MailFormat::Mbox => {
            let input = open_file(path).map_err(|source| MailError::Io { path: path.to_path_buf(), source })?;
            let limit = options.max_message_bytes;
            Source::Mbox(Box::new(MboxReader::new(BufReader::new(input), path, limit)))
        }
        MailFormat::Maildir => Source::Files(list_maildir(path)?.into_iter(), MailFormat::Maildir),
    };
    Ok(MailReader { source, options, index: 0 })
}

/// Lists the message files under a maildir's `cur/` and `new/`, sorted by path, without hidden files.
fn list_maildir(root: &Path) -> Result<Vec<PathBuf>, MailError> {
    let mut files = Vec::new();
    for folder in ["cur", "new"] {
        let dir = root.join(folder);
        if !dir.is_dir() {
            continue;
        }
        let io_error = |source| MailError::Io { path: dir.clone(), source };
        for entry in std::fs::read_dir(&dir).map_err(io_error)? {
            let entry = entry.map_err(io_error)?;
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if !hidden && entry.file_type().map_err(io_error)?.is_file() {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    Ok(files)
}

enum Source {
    /// Files that each contain one message: a single `.eml`, or a maildir's listing.
    Files(std::vec::IntoIter<PathBuf>, MailFormat),
    Mbox(Box<MboxReader<BufReader<Box<dyn Read + Send>>>>),
}

/// An iterator over the messages of one source, created by [`open`].
pub struct MailReader {
    source: Source,
    options: ReadOptions,
    index: usize,
}

impl Iterator for MailReader {
    type Item = ReadItem;

    fn next(&mut self) -> Option<ReadItem> {
        match &mut self.source {
            Source::Mbox(reader) => reader.next(),
            Source::Files(paths, format) => {
                let path = paths.next()?;
                let origin = MessageOrigin { path, index: self.index, format: *format };
                self.index += 1;
                Some(read_message_file(origin, self.options.max_message_bytes))
            }
        }
    }
}

/// Reads a file that contains one message, checking its size before reading it.
fn read_message_file(origin: MessageOrigin, limit: u64) -> ReadItem {
    let skipped = |origin, reason| ReadItem::Skipped(Skipped { origin, reason });
    let unreadable = |error: std::io::Error| SkipReason::Unreadable { error: error.to_string() };
    let size = match std::fs::metadata(&origin.path) {
        Ok(metadata) => metadata.len(),
        Err(error) => return skipped(origin, unreadable(error)),
    };
    if size > limit {
        return skipped(origin, SkipReason::TooLarge { size, limit });
    }
    // A compressed file can expand past the limit, so at most one byte more than the limit is read.
    let mut bytes = Vec::new();
    let read = open_file(&origin.path).and_then(|input| input.take(limit + 1).read_to_end(&mut bytes));
    if let Err(error) = read {
        return skipped(origin, unreadable(error));
    }
    if bytes.len() as u64 > limit {
        return skipped(origin, SkipReason::TooLarge { size: bytes.len() as u64, limit });
    }
    if !looks_like_message(&bytes) {
        return skipped(origin, SkipReason::NotMail);
    }
    // A byte-order mark or blank lines before the headers would end the header section at once.
    let start = leading_noise(&bytes);
    bytes.drain(..start);
    ReadItem::Message(RawMessage { origin, envelope_from: None, bytes })
}
