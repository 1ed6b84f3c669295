//! Tests that broken and hostile input is summarised and flagged, never a panic.

mod common;

use std::io::Cursor;
use std::path::PathBuf;

use common::{fixture_message_bytes, parse_fixture};
use harrier_mail::{Defect, MailFormat, MboxReader, MessageOrigin, RawMessage, ReadItem, parse_message};

const FIXTURES: [&str; 10] = [
    "authres.eml",
    "badmime.eml",
    "badmime2.eml",
    "base64-attachment.eml",
    "dkim-authres.eml",
    "gb2312.eml",
    "html-from-line.eml",
    "html-qp-latin1.eml",
    "macro-xlsm.eml",
    "renamed-macro.eml",
];

fn raw_message(bytes: &[u8]) -> RawMessage {
    let origin = MessageOrigin { path: PathBuf::from("memory.eml"), index: 0, format: MailFormat::Eml };
    RawMessage { origin, envelope_from: None, bytes: bytes.to_vec() }
}

/// Deterministic xorshift bytes, so a failure can be reproduced.
fn pseudo_random_bytes(seed: u64, length: usize) -> Vec<u8> {
    let mut state = seed;
    (0..length)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

#[test]
fn repeated_content_type_flagged() {
    let message = parse_fixture("badmime2.eml");

    assert!(message.defects.contains(&Defect::RepeatedContentType));
    assert!(message.defects.contains(&Defect::MultipartNotParsed));
    assert!(message.text_body.is_some(), "body is still read as one part");
}

#[test]
fn unterminated_multipart_flagged() {
    let bytes = fixture_message_bytes("renamed-macro.eml");
    let text = String::from_utf8(bytes).unwrap();
    let cut = text.rfind("--glH4Xu///GdMpZLh--").expect("closing boundary");

    let message = parse_message(&raw_message(&text.as_bytes()[..cut]));

    assert!(message.defects.contains(&Defect::UnterminatedMultipart), "{:?}", message.defects);
    assert_eq!(message.subject.as_deref(), Some("renamed macro"));
    assert_eq!(message.attachments.len(), 1, "the attachment before the cut is kept");
}

#[test]
fn multipart_without_boundary_flagged() {
    let bytes = b"Subject: x\r\nContent-Type: multipart/mixed\r\n\r\n--a\r\nContent-Type: text/plain\r\n\r\nhi\r\n--a--\r\n";

    let message = parse_message(&raw_message(bytes));

    assert!(
        message.defects.contains(&Defect::MultipartWithoutBoundary)
            || message.defects.contains(&Defect::MultipartNotParsed),
        "{:?}",
        message.defects
    );
}

#[test]
fn empty_input_is_flagged() {
    let message = parse_message(&raw_message(b""));

    assert!(!message.defects.is_empty());
    assert!(message.record_id.starts_with("xxh3:"));
    assert!(message.subject.is_none());
}

#[test]
fn random_bytes_never_panic() {
    for seed in 1..200u64 {
        let bytes = pseudo_random_bytes(seed, (seed as usize * 37) % 4096);

        let message = parse_message(&raw_message(&bytes));

        assert_eq!(message.size, bytes.len() as u64);
        assert!(!message.record_id.is_empty());
    }
}

#[test]
fn truncated_fixtures_never_panic() {
    for name in FIXTURES {
        let bytes = fixture_message_bytes(name);
        for cut in (0..bytes.len()).step_by(97) {
            let message = parse_message(&raw_message(&bytes[..cut]));
            assert_eq!(message.size, cut as u64, "{name} cut at {cut}");
        }
    }
}

#[test]
fn random_mbox_never_panics() {
    for seed in 1..50u64 {
        let mut bytes = b"From x@example.org Mon Jan  1 00:00:00 2024\n".to_vec();
        bytes.extend(pseudo_random_bytes(seed, 3000));

        let items: Vec<ReadItem> = MboxReader::new(Cursor::new(bytes), "random.mbox", 1000).collect();

        assert!(!items.is_empty());
        for item in items {
            if let ReadItem::Message(raw) = item {
                assert!(raw.bytes.len() <= 1000);
                parse_message(&raw);
            }
        }
    }
}
