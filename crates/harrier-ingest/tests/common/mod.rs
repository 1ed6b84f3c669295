//! Helpers shared by the reader tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use harrier_ingest::{Item, ReadOptions, Skip, read_file};
use harrier_model::{Activity, Record};

/// Returns the path of a fixture under the repository's `testdata` folder.
pub fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(relative)
}

/// Reads one file with default options, returning its records and skips.
pub fn read(path: &Path) -> (Vec<Record>, Vec<Skip>) {
    read_with(path, &ReadOptions::default())
}

pub fn read_with(path: &Path, options: &ReadOptions) -> (Vec<Record>, Vec<Skip>) {
    let mut records = Vec::new();
    let mut skips = Vec::new();
    read_file(path, options, &mut |item| match item {
        Item::Record(record) => records.push(*record),
        Item::Skipped(skip) => skips.push(skip),
    })
    .unwrap_or_else(|error| panic!("{error}"));
    (records, skips)
}

/// Writes `content` to a file named `name` in a new temporary folder and returns both.
pub fn temp_file(name: &str, content: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    (dir, path)
}

/// Returns the records whose operation is `operation`.
pub fn with_operation<'r>(records: &'r [Record], operation: &str) -> Vec<&'r Record> {
    records.iter().filter(|r| r.event.operation.eq_ignore_ascii_case(operation)).collect()
}

/// Returns the kinds of the records' activities, in order.
pub fn kinds(records: &[Record]) -> Vec<&'static str> {
    records.iter().map(|r| Activity::kind(&r.event.activity)).collect()
}
