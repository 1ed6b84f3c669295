//! Shared helpers: fixture paths and mbox/maildir builders.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use harrier_mail::{MailMessage, ReadItem, ReadOptions, RawMessage, open, parse_message};

/// Returns the path of a file under `testdata/mail/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/mail").join(name)
}

/// Returns the fixture's bytes without the mbox envelope line some of them start with.
pub fn fixture_message_bytes(name: &str) -> Vec<u8> {
    let bytes = std::fs::read(fixture(name)).expect("fixture is readable");
    if bytes.starts_with(b"From ") {
        let end = bytes.iter().position(|&byte| byte == b'\n').expect("envelope line ends");
        return bytes[end + 1..].to_vec();
    }
    bytes
}

/// Reads every item of a source with default options.
pub fn read_all(path: &Path) -> Vec<ReadItem> {
    open(path, ReadOptions::default()).expect("source opens").collect()
}

/// Returns the messages of the items, panicking on a skipped item.
pub fn messages(items: Vec<ReadItem>) -> Vec<RawMessage> {
    items
        .into_iter()
        .map(|item| match item {
            ReadItem::Message(raw) => raw,
            ReadItem::Skipped(skipped) => panic!("unexpected skip: {skipped}"),
        })
        .collect()
}

/// Reads and parses a fixture that contains one message.
pub fn parse_fixture(name: &str) -> MailMessage {
    let raw = messages(read_all(&fixture(name)));
    assert_eq!(raw.len(), 1, "{name} holds one message");
    parse_message(&raw[0])
}

/// Escapes a message for mboxrd: every line matching `>*From ` gains one `>`.
pub fn mboxrd_escape(message: &[u8]) -> Vec<u8> {
    let mut escaped = Vec::with_capacity(message.len());
    for line in message.split_inclusive(|&byte| byte == b'\n') {
        let quotes = line.iter().take_while(|&&byte| byte == b'>').count();
        if line[quotes..].starts_with(b"From ") {
            escaped.push(b'>');
        }
        escaped.extend_from_slice(line);
    }
    escaped
}

/// Writes an mboxrd file holding the given messages, each after a `From ` separator line.
pub fn write_mbox(path: &Path, messages: &[Vec<u8>]) {
    let mut mbox = Vec::new();
    for message in messages {
        mbox.extend_from_slice(b"From sender@example.org Thu Jan  1 00:00:00 2004\n");
        mbox.extend_from_slice(&mboxrd_escape(message));
        if !mbox.ends_with(b"\n") {
            mbox.push(b'\n');
        }
        mbox.push(b'\n');
    }
    std::fs::write(path, mbox).expect("mbox is written");
}
