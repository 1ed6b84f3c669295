//! Snapshots of the normalised events and skip reasons of every SaaS log fixture.
//!
//! Any change to how a record is parsed or normalised shows up as a changed snapshot. The snapshots live in
//! `tests/snapshots/`. After an intended change to a normaliser, review the new output with `cargo insta
//! review`, or accept it with `INSTA_UPDATE=always` and read the diff before committing.

mod common;

use std::fmt::Write;
use std::path::Path;

use common::{fixture, temp_file};
use harrier_ingest::{Item, ReadOptions, collect_paths, read_file};

/// Reads one file and writes each event as JSON and each skip with its line and reason, one per line, in
/// the order the reader emits them. Paths in errors are written relative to `root`.
fn describe(path: &Path, root: &Path) -> String {
    let mut out = String::new();
    let result = read_file(path, &ReadOptions::default(), &mut |item| match item {
        Item::Record(record) => writeln!(out, "{}", serde_json::to_string(&record.event).unwrap()).unwrap(),
        Item::Skipped(skip) => {
            assert_eq!(skip.path, path, "a skip names the file it was read from");
            writeln!(out, "skipped line {}: {}", skip.line, skip.reason).unwrap();
        }
    });
    if let Err(error) = result {
        let message = error.to_string().replace(&root.display().to_string(), "");
        writeln!(out, "file error: {message}").unwrap();
    }
    out
}

#[test]
fn saas_fixtures_normalise_as_recorded() {
    let root = fixture("saas");
    let (paths, errors) = collect_paths(std::slice::from_ref(&root));
    assert!(errors.is_empty(), "{errors:?}");
    let log_files: Vec<_> = paths.iter().filter(|path| path.extension().is_some_and(|ext| ext != "md")).collect();
    assert!(log_files.len() >= 20, "only {} fixture files were found", log_files.len());

    for path in log_files {
        let name = path.strip_prefix(&root).unwrap().display().to_string().replace(['/', '.'], "_");
        insta::assert_snapshot!(name, describe(path, &root));
    }
}

#[test]
fn bad_records_are_named_as_recorded() {
    // Graph sign-ins and Management Activity records, the two schemas `bench/gen_logs.py` writes. Each is
    // followed by broken copies: a bad time, a missing time (which leaves the record unrecognised), a `\u`
    // escape that takes the full parse, a lone surrogate, a bad month, truncated JSON and an array.
    let lines = [
        r#"{"id":"a1","createdDateTime":"2026-01-05T00:00:13Z","userPrincipalName":"u@example.com","appId":"app","ipAddress":"203.0.113.9","status":{"errorCode":50126,"failureReason":"Invalid password"}}"#,
        r#"{"id":"a2","createdDateTime":"yesterday","userPrincipalName":"u@example.com","status":{"errorCode":0}}"#,
        r#"{"id":"a3","userPrincipalName":"u@example.com","status":{"errorCode":0}}"#,
        r#"{"id":"a4","createdDateTime":"2026-01-05T00:00:14Z","userPrincipalName":"\u0055@example.com","status":{"errorCode":0}}"#,
        r#"{"id":"a5","createdDateTime":"2026-01-05T00:00:15Z","userPrincipalName":"\ud800","status":{"errorCode":0}}"#,
        r#"{"CreationTime":"2026-01-05T00:00:00","Id":"b1","Operation":"MailItemsAccessed","OrganizationId":"t1","RecordType":2,"UserId":"u@example.com","Workload":"Exchange","ClientIP":"198.51.100.7:443"}"#,
        r#"{"CreationTime":"2026-13-05T00:00:00","Id":"b2","Operation":"MailItemsAccessed","OrganizationId":"t1","RecordType":2,"Workload":"Exchange"}"#,
        r#"{"CreationTime":"2026-01-05T00:00:00","Id":"b3","Operation":"#,
        "[1, 2]",
    ];
    let (dir, path) = temp_file("mixed.jsonl", lines.join("\n").as_bytes());
    insta::assert_snapshot!(describe(&path, dir.path()));
}
