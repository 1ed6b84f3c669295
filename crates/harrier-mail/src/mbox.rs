//! Streaming mbox splitter.
//!
//! Messages are split at `From ` lines that start the file or follow a blank line, which is the rule the
//! mboxrd and mboxo variants share. Lines of the form `>From `, `>>From ` and so on lose one `>`, which
//! undoes mboxrd escaping. Memory use is bounded by the size limit: once a message passes the limit its
//! bytes are dropped and only counted until the next separator.

use std::io::BufRead;
use std::path::PathBuf;

use crate::origin::{MailFormat, MessageOrigin, SkipReason, Skipped};
use crate::read::{RawMessage, ReadItem};

/// A streaming reader that yields each message of an mbox in order.
pub struct MboxReader<R> {
    input: R,
    path: PathBuf,
    limit: u64,
    next_index: usize,
    /// Envelope of the message that starts at the separator line already consumed.
    pending_envelope: Option<String>,
    finished: bool,
}

/// One message's bytes while they are collected.
struct Collected {
    envelope: Option<String>,
    bytes: Vec<u8>,
    size: u64,
    over_limit: bool,
    /// Length of the last line when it is blank (`\n` or `\r\n`), else 0.
    trailing_blank: usize,
}

impl<R: BufRead> MboxReader<R> {
    /// Creates a reader over `input`, naming `path` in origins and skip reasons, that skips messages larger
    /// than `limit` bytes.
    pub fn new(input: R, path: impl Into<PathBuf>, limit: u64) -> Self {
        Self {
            input,
            path: path.into(),
            limit,
            next_index: 0,
            pending_envelope: None,
            finished: false,
        }
    }

    fn origin(&self, index: usize) -> MessageOrigin {
        MessageOrigin { path: self.path.clone(), index, format: MailFormat::Mbox }
    }

    /// Reads one line, keeping at most `cap` bytes of it, and returns the full line length (0 at end of input).
    fn read_line_capped(&mut self, line: &mut Vec<u8>, cap: usize) -> std::io::Result<usize> {
        line.clear();
        let mut total = 0;
        loop {
            let chunk = self.input.fill_buf()?;
            if chunk.is_empty() {
                return Ok(total);
            }
            let (take, done) = match memchr::memchr(b'\n', chunk) {
                Some(pos) => (pos + 1, true),
                None => (chunk.len(), false),
            };
            let room = cap.saturating_sub(line.len()).min(take);
            line.extend_from_slice(&chunk[..room]);
            self.input.consume(take);
            total += take;
            if done {
                return Ok(total);
            }
        }
    }

    /// Collects lines up to the next separator or the end of input.
    fn collect_message(&mut self) -> std::io::Result<Collected> {
        let cap = usize::try_from(self.limit).unwrap_or(usize::MAX).saturating_add(1);
        let envelope = self.pending_envelope.take();
        let mut collected = Collected { envelope, bytes: Vec::new(), size: 0, over_limit: false, trailing_blank: 0 };
        let mut line = Vec::new();
        let mut previous_blank = true;
        loop {
            let length = self.read_line_capped(&mut line, cap)?;
            if length == 0 {
                self.finished = true;
                break;
            }
            if previous_blank && line.starts_with(b"From ") {
                let envelope = Some(envelope_of(&line));
                if collected.is_empty() {
                    collected.envelope = envelope;
                    continue;
                }
                self.pending_envelope = envelope;
                break;
            }
            if collected.is_empty() && is_blank(&line) {
                continue;
            }
            previous_blank = is_blank(&line);
            let unescaped = unescape_from(&line);
            let dropped = u64::try_from(length - line.len()).unwrap_or(u64::MAX);
            collected.push(unescaped, dropped, self.limit);
        }
        collected.strip_separator_blank_line();
        Ok(collected)
    }
}

impl Collected {
    fn is_empty(&self) -> bool {
        self.size == 0 && self.envelope.is_none()
    }

    fn push(&mut self, line: &[u8], dropped: u64, limit: u64) {
        self.trailing_blank = if is_blank(line) { line.len() } else { 0 };
        self.size += line.len() as u64 + dropped;
        if self.over_limit {
            return;
        }
        if self.size > limit {
            self.over_limit = true;
            self.bytes = Vec::new();
            return;
        }
        self.bytes.extend_from_slice(line);
    }

    /// Removes the blank line that mbox writers put before the next `From ` separator.
    fn strip_separator_blank_line(&mut self) {
        let blank = self.trailing_blank as u64;
        if blank == 0 || self.size <= blank {
            return;
        }
        self.size -= blank;
        if !self.over_limit {
            self.bytes.truncate(self.bytes.len() - self.trailing_blank);
        }
    }
}

fn is_blank(line: &[u8]) -> bool {
    line == b"\n" || line == b"\r\n"
}

/// Returns the line without one leading `>` when it matches `>+From `.
// NOTE: in an mboxo file, where writers escape `From ` but not `>From `, a body line that really began with
// `>From ` also loses its `>`. The file does not show which variant it is.
fn unescape_from(line: &[u8]) -> &[u8] {
    let quotes = line.iter().take_while(|&&byte| byte == b'>').count();
    if quotes > 0 && line[quotes..].starts_with(b"From ") { &line[1..] } else { line }
}

/// Returns the text after `From ` on a separator line: the envelope sender and date.
fn envelope_of(line: &[u8]) -> String {
    String::from_utf8_lossy(&line[5..]).trim().to_string()
}

impl<R: BufRead> Iterator for MboxReader<R> {
    type Item = ReadItem;

    fn next(&mut self) -> Option<ReadItem> {
        if self.finished {
            return None;
        }
        let index = self.next_index;
        let collected = match self.collect_message() {
            Ok(collected) => collected,
            Err(error) => {
                self.finished = true;
                let reason = SkipReason::Unreadable { error: error.to_string() };
                return Some(ReadItem::Skipped(Skipped { origin: self.origin(index), reason }));
            }
        };
        // Input that is empty, or blank lines after the last message, is not a message.
        if collected.is_empty() {
            return None;
        }
        self.next_index += 1;
        let origin = self.origin(index);
        if collected.over_limit {
            let reason = SkipReason::TooLarge { size: collected.size, limit: self.limit };
            return Some(ReadItem::Skipped(Skipped { origin, reason }));
        }
        Some(ReadItem::Message(RawMessage { origin, envelope_from: collected.envelope, bytes: collected.bytes }))
    }
}
