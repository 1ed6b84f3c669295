//! Tests of format detection and the eml, mbox and maildir readers.

mod common;

use std::io::Cursor;

use common::{fixture, fixture_message_bytes, messages, parse_fixture, read_all, write_mbox};
use harrier_mail::{
    MailError, MailFormat, MboxReader, ReadItem, ReadOptions, SkipReason, detect_format, open, parse_message,
};

const MBOX_FIXTURES: [&str; 4] = ["html-from-line.eml", "gb2312.eml", "phishing-link.eml", "renamed-macro.eml"];

#[test]
fn eml_reads_one_message() {
    let items = read_all(&fixture("phishing-link.eml"));

    assert_eq!(detect_format(&fixture("phishing-link.eml")).unwrap(), MailFormat::Eml);
    let raw = messages(items);
    assert_eq!(raw.len(), 1);
    assert_eq!(raw[0].origin.index, 0);
    assert_eq!(raw[0].origin.format, MailFormat::Eml);
    assert!(raw[0].envelope_from.is_none());
    assert!(raw[0].bytes == std::fs::read(fixture("phishing-link.eml")).unwrap());
}

#[test]
fn eml_with_envelope_line_reads_as_mbox() {
    let path = fixture("gb2312.eml");

    assert_eq!(detect_format(&path).unwrap(), MailFormat::Mbox);
    let raw = messages(read_all(&path));
    assert_eq!(raw.len(), 1);
    assert!(raw[0].envelope_from.is_some());
    assert!(!raw[0].bytes.starts_with(b"From "));
    let original = fixture_message_bytes("gb2312.eml");
    assert!(original.ends_with(b"\n\n"));
    assert_eq!(raw[0].bytes.len(), original.len() - 1, "the final blank line is the mbox separator");
    assert!(original.starts_with(&raw[0].bytes));
}

#[test]
fn mbox_counts_and_unescapes_messages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.mbox");
    let originals: Vec<Vec<u8>> = MBOX_FIXTURES.iter().map(|name| fixture_message_bytes(name)).collect();
    write_mbox(&path, &originals);
    let written = std::fs::read(&path).unwrap();
    let escaped_line = b"\n>From home recordings";
    assert!(written.windows(escaped_line.len()).any(|window| window == escaped_line), "builder escaped the line");

    assert_eq!(detect_format(&path).unwrap(), MailFormat::Mbox);
    let raw = messages(read_all(&path));

    assert_eq!(raw.len(), MBOX_FIXTURES.len());
    for (index, (message, original)) in raw.iter().zip(&originals).enumerate() {
        assert_eq!(message.origin.index, index);
        assert_eq!(message.origin.format, MailFormat::Mbox);
        assert_eq!(message.envelope_from.as_deref(), Some("sender@example.org Thu Jan  1 00:00:00 2004"));
        assert_eq!(message.bytes.len(), original.len(), "message {index} length");
        assert!(&message.bytes == original, "message {index} round-trips through the mbox");
    }
    let html = parse_message(&raw[0]).html_body.unwrap();
    assert!(html.contains("\nFrom home recordings"));
    assert!(!html.contains(">From home recordings"));
}

#[test]
fn mbox_removes_one_quote_level() {
    let mbox = b"From a@example.org Mon Jan  1 00:00:00 2024\nSubject: one\n\n>From here\n>>From there\n>Fromage\n\n\
From b@example.org Mon Jan  1 00:00:00 2024\nSubject: two\n\nbody\n";
    let items: Vec<ReadItem> = MboxReader::new(Cursor::new(&mbox[..]), "memory.mbox", 1024).collect();
    let raw = messages(items);

    assert_eq!(raw.len(), 2);
    assert_eq!(raw[0].bytes, b"Subject: one\n\nFrom here\n>From there\n>Fromage\n");
    assert_eq!(raw[1].bytes, b"Subject: two\n\nbody\n");
}

#[test]
fn mbox_from_line_inside_paragraph_is_body() {
    let mbox = b"From a@example.org Mon Jan  1 00:00:00 2024\nSubject: one\n\nline\nFrom inside a paragraph\n";
    let raw = messages(MboxReader::new(Cursor::new(&mbox[..]), "memory.mbox", 1024).collect());

    assert_eq!(raw.len(), 1);
    assert!(raw[0].bytes.ends_with(b"line\nFrom inside a paragraph\n"));
}

#[test]
fn mbox_skips_oversized_message_with_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.mbox");
    let small = b"Subject: small\n\nshort body\n".to_vec();
    let large = [b"Subject: large\n\n".to_vec(), vec![b'x'; 5000], b"\n".to_vec()].concat();
    write_mbox(&path, &[small.clone(), large, small.clone()]);

    let items: Vec<ReadItem> = open(&path, ReadOptions { max_message_bytes: 1000 }).unwrap().collect();

    assert_eq!(items.len(), 3);
    let ReadItem::Message(first) = &items[0] else { panic!("first message is read: {:?}", items[0]) };
    assert!(first.bytes == small);
    let ReadItem::Skipped(skipped) = &items[1] else { panic!("second message is skipped: {:?}", items[1]) };
    assert_eq!(skipped.origin.index, 1);
    assert_eq!(skipped.origin.path, path);
    assert_eq!(skipped.reason, SkipReason::TooLarge { size: 5017, limit: 1000 });
    let text = skipped.to_string();
    assert!(text.contains("mixed.mbox message index 1"), "{text}");
    assert!(text.contains("5017 bytes, over the limit of 1000 bytes"), "{text}");
    let ReadItem::Message(third) = &items[2] else { panic!("third message is read: {:?}", items[2]) };
    assert_eq!(third.origin.index, 2);
    assert!(third.bytes == small);
}

#[test]
fn eml_oversized_is_skipped() {
    let path = fixture("renamed-macro.eml");
    let size = std::fs::metadata(&path).unwrap().len();

    let items: Vec<ReadItem> = open(&path, ReadOptions { max_message_bytes: 1024 }).unwrap().collect();

    assert_eq!(items.len(), 1);
    let ReadItem::Skipped(skipped) = &items[0] else { panic!("message is skipped") };
    assert_eq!(skipped.reason, SkipReason::TooLarge { size, limit: 1024 });
    assert!(skipped.to_string().contains("renamed-macro.eml message index 0"));
}

#[test]
fn maildir_reads_cur_and_new() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("Maildir");
    for folder in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(root.join(folder)).unwrap();
    }
    std::fs::write(root.join("cur/1000.a.host:2,S"), fixture_message_bytes("phishing-link.eml")).unwrap();
    std::fs::write(root.join("new/1001.b.host"), fixture_message_bytes("renamed-macro.eml")).unwrap();
    std::fs::write(root.join("new/.hidden"), b"not a message").unwrap();
    std::fs::write(root.join("tmp/1002.c.host"), b"being delivered").unwrap();

    assert_eq!(detect_format(&root).unwrap(), MailFormat::Maildir);
    let raw = messages(read_all(&root));

    assert_eq!(raw.len(), 2);
    assert!(raw.iter().all(|message| message.origin.format == MailFormat::Maildir));
    assert_eq!(raw[0].origin.index, 0);
    assert_eq!(raw[1].origin.index, 1);
    assert_eq!(parse_message(&raw[0]).subject.as_deref(), Some("Phishing Test OpenPhish"));
    assert_eq!(parse_message(&raw[1]).subject.as_deref(), Some("renamed macro"));
}

#[test]
fn plain_directory_is_rejected() {
    let dir = tempfile::tempdir().unwrap();

    let error = detect_format(dir.path()).unwrap_err();

    assert!(matches!(error, MailError::NotMaildir { .. }));
    assert!(error.to_string().contains("not a maildir"));
}

#[test]
fn missing_path_is_io_error() {
    let error = open(&fixture("no-such-file.eml"), ReadOptions::default()).err().expect("open fails");

    assert!(matches!(error, MailError::Io { .. }));
    assert!(error.to_string().contains("no-such-file.eml"));
}

#[test]
fn parse_fixture_sets_origin() {
    let message = parse_fixture("phishing-link.eml");

    assert!(message.origin.path.ends_with("phishing-link.eml"));
    assert_eq!(message.size, 643);
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn gzip_eml_reads_decompressed() {
    let dir = tempfile::tempdir().unwrap();
    let plain = std::fs::read(fixture("phishing-link.eml")).unwrap();
    let path = dir.path().join("message.eml.gz");
    std::fs::write(&path, gzip(&plain)).unwrap();

    assert!(harrier_mail::is_mail_file(&path));
    let raw = messages(read_all(&path));
    assert_eq!(raw.len(), 1);
    assert!(raw[0].bytes == plain);
}

#[test]
fn gzip_mbox_reads_every_message() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("archive.mbox");
    let bodies: Vec<Vec<u8>> = MBOX_FIXTURES.iter().map(|name| fixture_message_bytes(name)).collect();
    write_mbox(&plain, &bodies);
    let path = dir.path().join("archive.mbox.gz");
    std::fs::write(&path, gzip(&std::fs::read(&plain).unwrap())).unwrap();

    assert_eq!(detect_format(&path).unwrap(), MailFormat::Mbox);
    assert_eq!(messages(read_all(&path)).len(), MBOX_FIXTURES.len());
}

#[test]
fn gzip_eml_over_limit_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.eml.gz");
    let mut message = b"Subject: zeros\r\n\r\n".to_vec();
    message.resize(100_000, b'0');
    std::fs::write(&path, gzip(&message)).unwrap();

    let items: Vec<ReadItem> = open(&path, ReadOptions { max_message_bytes: 10_000 }).unwrap().collect();
    let ReadItem::Skipped(skipped) = &items[0] else { panic!("{items:?}") };
    assert!(matches!(skipped.reason, SkipReason::TooLarge { limit: 10_000, .. }), "{skipped:?}");
}

#[test]
fn truncated_gzip_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.eml.gz");
    std::fs::write(&path, [0x1f, 0x8b]).unwrap();
    let items = read_all(&path);
    let ReadItem::Skipped(skipped) = &items[0] else { panic!("{items:?}") };
    assert!(matches!(skipped.reason, SkipReason::Unreadable { .. }), "{skipped:?}");
}

#[test]
fn message_with_bom_or_blank_line_is_mail() {
    for start in [&b"\xEF\xBB\xBFSubject: hi\r\n"[..], b"\r\nSubject: hi\r\n", b">From a@example.org Mon Jan  1 00:00:00 2024\n"] {
        assert!(harrier_mail::looks_like_message(start), "{start:?}");
    }
    // The headers after the mark or blank line are parsed.
    let dir = tempfile::tempdir().unwrap();
    for (name, start) in [("bom.eml", &b"\xEF\xBB\xBF"[..]), ("blank.eml", b"\r\n")] {
        let path = dir.path().join(name);
        let mut message = start.to_vec();
        message.extend_from_slice(b"From: Ann <ann@example.org>\r\nSubject: hi\r\n\r\nbody\r\n");
        std::fs::write(&path, message).unwrap();
        let parsed = parse_message(&messages(read_all(&path))[0]);
        assert_eq!(parsed.subject.as_deref(), Some("hi"), "{name}");
        assert!(parsed.from.is_some(), "{name}");
    }
}

#[test]
fn file_without_header_is_not_mail() {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in [("empty.eml", &b""[..]), ("notes.md", b"# Notes\n\nNothing here: just text.\n"), ("junk.eml", &[0u8, 159, 146, 150, 7, 1][..])] {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let items = read_all(&path);
        let ReadItem::Skipped(skipped) = &items[0] else { panic!("{name}: {items:?}") };
        assert_eq!(skipped.reason, SkipReason::NotMail, "{name}");
    }
}
