//! Reading files: decompression, container detection and splitting into records.
//!
//! A file is classified by its content, never by its name: gzip by its magic bytes, then JSON or CSV by the
//! first significant byte. JSON lines and CSV are streamed line by line, so files of any size read in
//! constant memory. A JSON array or a single JSON document is read whole, because that is how Management
//! Activity API content blobs and Graph pages arrive (a few megabytes each).

use std::cell::RefCell;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::read::MultiGzDecoder;
use harrier_model::{Event, Record, SourceFormat, TenantId};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::detect::detect;
use crate::error::{FileError, Skip, SkipReason};
use crate::fields::{Fields, LazyObject};
use crate::normalize::{self, Context};

/// The largest document read whole (a JSON array or single object), after decompression.
pub const MAX_DOCUMENT_BYTES: u64 = 2 << 30;

/// How many bytes are examined to classify a file.
const SNIFF_BYTES: usize = 64 * 1024;

/// Settings for reading.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// Assign every record to this tenant instead of the one the record names.
    pub tenant: Option<TenantId>,
    /// Read every record as this schema instead of detecting it.
    pub format: Option<SourceFormat>,
    /// A counter of bytes read from files (before decompression), for progress display.
    pub bytes_read: Option<Arc<AtomicU64>>,
}

/// The container a file's records are stored in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Container {
    /// One JSON value per line.
    JsonLines,
    /// A JSON array of records, or one JSON object (a record, or a `value` / `records` wrapper).
    JsonDocument,
    /// CSV with a header row; a Purview export's `AuditData` column is read as the record.
    Csv,
}

impl Container {
    pub fn as_str(self) -> &'static str {
        match self {
            Container::JsonLines => "json_lines",
            Container::JsonDocument => "json_document",
            Container::Csv => "csv",
        }
    }
}

/// One record read from a file: normalised, or skipped with its reason.
#[derive(Debug)]
pub enum Item {
    Record(Box<Record>),
    Skipped(Skip),
}

/// One record read from a file by [`read_file_borrowed`], with the raw record borrowed from the reader's
/// buffer. A caller that copies the raw record elsewhere, such as into a store block, saves one copy.
#[derive(Debug)]
pub enum BorrowedItem<'a> {
    Record { event: Event, raw: &'a str },
    Skipped(Skip),
}

impl BorrowedItem<'_> {
    fn into_owned(self) -> Item {
        match self {
            BorrowedItem::Record { event, raw } => Item::Record(Box::new(Record { event, raw: raw.to_owned() })),
            BorrowedItem::Skipped(skip) => Item::Skipped(skip),
        }
    }
}

/// Facts about one file, for the summary.
#[derive(Clone, Debug)]
pub struct FileInfo {
    pub container: Container,
    pub compressed: bool,
}

/// Reads every record of one file, passing each normalised record or skip to `out`.
pub fn read_file(path: &Path, options: &ReadOptions, out: &mut dyn FnMut(Item)) -> Result<FileInfo, FileError> {
    read_file_borrowed(path, options, &mut |item| out(item.into_owned()))
}

/// Reads every record of one file like [`read_file`], lending each raw record to `out` instead of
/// copying it.
pub fn read_file_borrowed(
    path: &Path,
    options: &ReadOptions,
    out: &mut dyn FnMut(BorrowedItem<'_>),
) -> Result<FileInfo, FileError> {
    let file = File::open(path).map_err(|source| FileError::Io { path: path.to_path_buf(), source })?;
    let file = CountingReader { inner: file, counter: options.bytes_read.clone() };
    read_input(path, Box::new(BufReader::with_capacity(256 * 1024, file)), options, out)
}

/// Reads every record of an in-memory buffer (a downloaded content blob or Graph page) like
/// [`read_file`]. `source` names the buffer in skips and errors, in place of a file path, for example
/// `management-activity:Audit.Exchange/{contentId}`.
pub fn read_bytes(bytes: &[u8], source: &Path, options: &ReadOptions, out: &mut dyn FnMut(Item)) -> Result<FileInfo, FileError> {
    if let Some(counter) = &options.bytes_read {
        counter.fetch_add(bytes.len() as u64, Ordering::Relaxed);
    }
    read_input(source, Box::new(bytes), options, &mut |item| out(item.into_owned()))
}

/// Reads records from `input`, which `path` names in skips and errors.
fn read_input(
    path: &Path,
    mut input: Box<dyn BufRead + '_>,
    options: &ReadOptions,
    out: &mut dyn FnMut(BorrowedItem<'_>),
) -> Result<FileInfo, FileError> {
    let io_error = |source| FileError::Io { path: path.to_path_buf(), source };

    let compressed = input.fill_buf().map_err(io_error)?.starts_with(&[0x1f, 0x8b]);
    if compressed {
        input = Box::new(BufReader::with_capacity(256 * 1024, MultiGzDecoder::new(input)));
    }

    let mut head = Vec::with_capacity(SNIFF_BYTES);
    input.by_ref().take(SNIFF_BYTES as u64).read_to_end(&mut head).map_err(io_error)?;
    let container = sniff_container(&head).ok_or_else(|| FileError::UnknownFormat { path: path.to_path_buf() })?;
    let input: Box<dyn BufRead + '_> = Box::new(std::io::Cursor::new(head).chain(input));

    let mut emitter = Emitter { path, options, out };
    match container {
        Container::JsonLines => read_json_lines(input, &mut emitter).map_err(io_error)?,
        Container::JsonDocument => read_json_document(input, &mut emitter)?,
        Container::Csv => read_csv(input, &mut emitter)?,
    }
    Ok(FileInfo { container, compressed })
}

/// Adds the bytes it reads to an optional shared counter.
struct CountingReader<R> {
    inner: R,
    counter: Option<Arc<AtomicU64>>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(counter) = &self.counter {
            counter.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

/// Classifies the container from the first bytes of the (decompressed) content.
fn sniff_container(head: &[u8]) -> Option<Container> {
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
    let text = &text[start..];
    match text[0] {
        b'[' => Some(Container::JsonDocument),
        b'{' => {
            let first_line = text.split(|&b| b == b'\n').next().unwrap_or(text);
            if serde_json::from_slice::<&RawValue>(first_line).is_ok() {
                Some(Container::JsonLines)
            } else {
                Some(Container::JsonDocument)
            }
        }
        _ => {
            let first_line = text.split(|&b| b == b'\n').next().unwrap_or(text);
            let looks_like_header = first_line.contains(&b',')
                && first_line.iter().all(|&b| b >= 0x20 || b == b'\r' || b == b'\t');
            looks_like_header.then_some(Container::Csv)
        }
    }
}

/// Passes records on, expanding wrappers and normalising each record.
struct Emitter<'a> {
    path: &'a Path,
    options: &'a ReadOptions,
    out: &'a mut dyn FnMut(BorrowedItem<'_>),
}

impl Emitter<'_> {
    fn skip(&mut self, line: u64, reason: SkipReason) {
        (self.out)(BorrowedItem::Skipped(Skip { path: self.path.to_path_buf(), line, reason }));
    }

    /// Emits a top-level JSON text, parsing `text` and keeping `raw` as the raw record. A record of a typed
    /// shape takes the typed path, another plain record is read through a [`LazyObject`], and anything else
    /// takes the full parse of [`Emitter::value`].
    fn text(&mut self, line: u64, text: &str, raw: &str) -> Result<(), serde_json::Error> {
        if self.options.format.is_none() {
            let context = Context { tenant: self.options.tenant.as_ref() };
            if let Some(event) = normalize::normalize_typed(text, &context) {
                (self.out)(BorrowedItem::Record { event, raw });
                return Ok(());
            }
        }
        if let Some(object) = LazyObject::parse(text) {
            self.record(line, Fields::lazy(&object), raw);
            return Ok(());
        }
        let value = serde_json::from_str::<Value>(text)?;
        self.value(line, value, raw);
        Ok(())
    }

    /// Emits a top-level JSON value: a record, or a wrapper whose records are expanded.
    /// `raw` is the value's source text, kept as the raw record when the value is not a wrapper.
    fn value(&mut self, line: u64, value: Value, raw: &str) {
        let Value::Object(map) = value else {
            self.skip(line, SkipReason::NotAnObject(json_type_name(&value)));
            return;
        };
        if let Some(records) = wrapped_records(&map) {
            for record in records {
                let raw = record.to_string();
                self.value(line, record.clone(), &raw);
            }
            return;
        }
        if let Some(log) = panther_log(&map) {
            let raw = log.to_string();
            self.value(line, log.clone(), &raw);
            return;
        }
        self.record(line, Fields::new(&map), raw);
    }

    /// Normalises one record object.
    fn record(&mut self, line: u64, fields: Fields<'_>, raw: &str) {
        let Some(format) = self.options.format.or_else(|| detect(fields)) else {
            self.skip(line, SkipReason::Unrecognised(describe_unknown(fields)));
            return;
        };
        let context = Context { tenant: self.options.tenant.as_ref() };
        match normalize::normalize(format, fields, &context) {
            Ok(event) => (self.out)(BorrowedItem::Record { event, raw }),
            Err(reason) => self.skip(line, reason),
        }
    }
}

/// Returns the records of a Graph page (`value`) or an Azure Monitor / Event Hub batch (`records`).
fn wrapped_records(map: &serde_json::Map<String, Value>) -> Option<&Vec<Value>> {
    ["value", "records"].iter().find_map(|key| {
        let (_, value) = map.iter().find(|(name, _)| name.eq_ignore_ascii_case(key))?;
        value.as_array()
    })
}

/// Returns the event inside a Panther rule-test case (`{"log_type": .., "log": {..}}`).
fn panther_log(map: &serde_json::Map<String, Value>) -> Option<&Value> {
    if map.contains_key("log_type") { map.get("log").filter(|log| log.is_object()) } else { None }
}

fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Describes an unrecognised record by its first field names, so the operator can tell what it is.
fn describe_unknown(fields: Fields<'_>) -> String {
    let map = fields.to_map();
    let names: Vec<&str> = map.keys().take(8).map(String::as_str).collect();
    let more = if map.len() > names.len() { ", ..." } else { "" };
    format!(
        "no supported schema has the fields [{}{more}]; pass --format to force one of: {}",
        names.join(", "),
        crate::detect::format_names()
    )
}

/// Reads one record per line. A line that lies whole in the reader's buffer is read where it is, and only a
/// line that crosses the end of the buffer is copied out first.
fn read_json_lines(mut input: Box<dyn BufRead + '_>, emitter: &mut Emitter<'_>) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    let mut line_number = 0u64;
    loop {
        let available = match input.fill_buf() {
            Ok(available) => available,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if available.is_empty() {
            return Ok(());
        }
        line_number += 1;
        if let Some(end) = memchr::memchr(b'\n', available) {
            emit_line(emitter, line_number, &available[..end]);
            input.consume(end + 1);
        } else {
            buffer.clear();
            input.read_until(b'\n', &mut buffer)?;
            emit_line(emitter, line_number, &buffer);
        }
    }
}

fn emit_line(emitter: &mut Emitter<'_>, line_number: u64, line: &[u8]) {
    let bytes = if line_number == 1 { line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line) } else { line };
    let Ok(text) = std::str::from_utf8(bytes) else {
        emitter.skip(line_number, SkipReason::InvalidUtf8);
        return;
    };
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    if let Err(error) = emitter.text(line_number, text, text) {
        emitter.skip(line_number, SkipReason::InvalidJson(error.to_string()));
    }
}

fn read_json_document(input: Box<dyn BufRead + '_>, emitter: &mut Emitter<'_>) -> Result<(), FileError> {
    let path = emitter.path.to_path_buf();
    let mut document = Vec::new();
    input
        .take(MAX_DOCUMENT_BYTES + 1)
        .read_to_end(&mut document)
        .map_err(|source| FileError::Io { path: path.clone(), source })?;
    if document.len() as u64 > MAX_DOCUMENT_BYTES {
        return Err(FileError::TooLarge { path, limit: MAX_DOCUMENT_BYTES });
    }
    let body = document.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&document);
    let text = std::str::from_utf8(body).map_err(|error| FileError::InvalidDocument {
        path: path.clone(),
        line: line_of(body, error.valid_up_to()),
        message: "not valid UTF-8".into(),
    })?;
    let invalid = |error: serde_json::Error| FileError::InvalidDocument {
        path: path.clone(),
        line: error.line() as u64,
        message: error.to_string(),
    };

    let elements: Vec<&RawValue> = if text.trim_start().starts_with('[') {
        serde_json::from_str(text).map_err(invalid)?
    } else {
        vec![serde_json::from_str::<&RawValue>(text).map_err(invalid)?]
    };

    let mut lines = LineCounter::new(text);
    for element in elements {
        let line = lines.line_at(element.get());
        if let Err(error) = emitter.text(line, element.get(), element.get()) {
            emitter.skip(line, SkipReason::InvalidJson(error.to_string()));
        }
    }
    Ok(())
}

/// Turns positions of borrowed slices of a document into 1-based line numbers, scanning forward only.
struct LineCounter<'a> {
    text: &'a str,
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter { text, offset: 0, line: 1 }
    }

    /// Returns the line where `slice`, a part of the document, starts.
    fn line_at(&mut self, slice: &str) -> u64 {
        let start = (slice.as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize).min(self.text.len());
        if start >= self.offset {
            self.line += memchr::memchr_iter(b'\n', &self.text.as_bytes()[self.offset..start]).count() as u64;
            self.offset = start;
        }
        self.line
    }
}

fn line_of(bytes: &[u8], offset: usize) -> u64 {
    1 + memchr::memchr_iter(b'\n', &bytes[..offset.min(bytes.len())]).count() as u64
}

fn read_csv(input: Box<dyn BufRead + '_>, emitter: &mut Emitter<'_>) -> Result<(), FileError> {
    let path = emitter.path.to_path_buf();
    let newlines = Rc::new(RefCell::new(NewlineIndex::default()));
    let input = NewlineTracker { inner: input, index: newlines.clone(), offset: 0 };
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = reader
        .headers()
        .map_err(|error| FileError::InvalidDocument { path: path.clone(), line: 1, message: error.to_string() })?;
    let columns = column_names(headers);
    let audit_data = columns.iter().position(|name| name.eq_ignore_ascii_case("AuditData"));

    let mut row = csv::StringRecord::new();
    loop {
        let before = reader.position().byte();
        let result = reader.read_record(&mut row);
        let start = match &result {
            Ok(_) => row.position().map_or(before, |p| p.byte()),
            Err(error) => error.position().map_or(before, |p| p.byte()),
        };
        let line = newlines.borrow_mut().line_at(start.max(before));
        match result {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(error) => {
                if matches!(error.kind(), csv::ErrorKind::Io(_)) {
                    return Err(FileError::Io { path, source: std::io::Error::other(error.to_string()) });
                }
                emitter.skip(line, SkipReason::InvalidCsv(error.to_string()));
                continue;
            }
        }
        match audit_data {
            Some(index) => purview_row(emitter, line, row.get(index).unwrap_or("")),
            None => {
                let map = row_object(&columns, &row);
                let raw = serde_json::to_string(&map).expect("a map of strings serialises to JSON");
                emitter.record(line, Fields::new(&map), &raw);
            }
        }
    }
}

/// Passes bytes through while recording where each line feed is, so CSV rows get their true line numbers.
///
/// The csv crate's own line count is one short for rows that end in CRLF, as Purview and Log Analytics
/// exports do, because it counts a CRLF's line feed only when it reads the next row.
struct NewlineTracker<R> {
    inner: R,
    index: Rc<RefCell<NewlineIndex>>,
    offset: u64,
}

impl<R: Read> Read for NewlineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut index = self.index.borrow_mut();
        for position in memchr::memchr_iter(b'\n', &buf[..n]) {
            index.pending.push_back(self.offset + position as u64);
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// Line feeds read but not yet passed, and the line number reached.
#[derive(Default)]
struct NewlineIndex {
    pending: std::collections::VecDeque<u64>,
    passed: u64,
}

impl NewlineIndex {
    /// Returns the 1-based line of the row starting at byte `offset`. A row reported as starting on the line
    /// feed of a CRLF starts after it. Offsets must not decrease between calls.
    fn line_at(&mut self, offset: u64) -> u64 {
        while self.pending.front().is_some_and(|&newline| newline <= offset) {
            self.pending.pop_front();
            self.passed += 1;
        }
        self.passed + 1
    }
}

/// Reads a Purview / `Search-UnifiedAuditLog` export row, whose `AuditData` cell contains the audit record.
fn purview_row(emitter: &mut Emitter<'_>, line: u64, audit_data: &str) {
    if audit_data.trim().is_empty() {
        emitter.skip(line, SkipReason::MissingField("AuditData"));
        return;
    }
    if let Err(error) = emitter.text(line, audit_data, audit_data.trim()) {
        emitter.skip(line, SkipReason::InvalidJson(format!("in the AuditData column: {error}")));
    }
}

/// Normalises Log Analytics column names: strips the byte order mark and the ` [UTC]` suffix of time
/// columns, and names `X_dynamic` / `X_string` columns `X` when the export has no plain `X`.
fn column_names(headers: &csv::StringRecord) -> Vec<String> {
    let raw: Vec<String> = headers
        .iter()
        .map(|name| {
            let name = name.trim_start_matches('\u{feff}').trim();
            name.strip_suffix("[UTC]").map(str::trim_end).unwrap_or(name).to_owned()
        })
        .collect();
    let has = |name: &str| raw.iter().any(|existing| existing == name);
    raw.iter()
        .map(|name| {
            for suffix in ["_dynamic", "_string"] {
                if let Some(base) = name.strip_suffix(suffix) {
                    let dynamic_twin = format!("{base}_dynamic");
                    let prefer_dynamic = suffix == "_string" && has(&dynamic_twin);
                    if !has(base) && !prefer_dynamic {
                        return base.to_owned();
                    }
                }
            }
            name.clone()
        })
        .collect()
}

/// Builds a JSON object from a CSV row, leaving out empty cells.
fn row_object(columns: &[String], row: &csv::StringRecord) -> serde_json::Map<String, Value> {
    let mut map = serde_json::Map::with_capacity(columns.len());
    for (name, cell) in columns.iter().zip(row.iter()) {
        if !cell.is_empty() && !map.contains_key(name) {
            map.insert(name.clone(), Value::String(cell.to_owned()));
        }
    }
    map
}

/// Expands files and folders (recursively, in a stable order) into the files to read.
pub fn collect_paths(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<FileError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        for entry in walkdir::WalkDir::new(path).follow_links(true).sort_by_file_name() {
            match entry {
                Ok(entry) if entry.file_type().is_file() => {
                    if !is_ignored(entry.path()) {
                        files.push(entry.into_path());
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    let path = error.path().unwrap_or(path).to_path_buf();
                    let source = error.into_io_error().unwrap_or_else(|| std::io::Error::other("file system loop"));
                    errors.push(FileError::Io { path, source });
                }
            }
        }
    }
    (files, errors)
}

/// Skips the documentation and licence files that sit beside exported logs in folders.
fn is_ignored(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let upper = name.to_ascii_uppercase();
    name.starts_with('.')
        || upper.starts_with("LICENSE")
        || upper.starts_with("NOTICE")
        || upper.starts_with("README")
        || upper == "SOURCE.TXT"
        || upper.ends_with(".MD")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_are_sniffed() {
        assert_eq!(sniff_container(b"[{\"a\":1}]"), Some(Container::JsonDocument));
        assert_eq!(sniff_container(b"\xef\xbb\xbf  {\"a\":1}\n{\"a\":2}\n"), Some(Container::JsonLines));
        assert_eq!(sniff_container(b"{\n  \"value\": []\n}"), Some(Container::JsonDocument));
        assert_eq!(sniff_container(b"CreationDate,UserIds,Operations,AuditData\r\n"), Some(Container::Csv));
        assert_eq!(sniff_container(b"\x00\x01\x02binary"), None);
        assert_eq!(sniff_container(b"   "), None);
    }

    #[test]
    fn lines_across_buffer_ends_are_read() {
        // The first 64 KiB are read ahead to classify the input, so lines cross from that buffer to the next.
        let mut text = String::from("\u{feff}");
        for i in 0..3_000 {
            let record = format!(
                r#"{{"CreationTime":"2026-01-05T00:00:00","Id":"r{i}","Operation":"FileAccessed","Workload":"SharePoint"}}"#
            );
            text.push_str(&record);
            text.push_str(if i % 2 == 0 { "\r\n" } else { "\n\n" });
        }
        text.push_str("{\"a\": 1}");
        assert!(text.len() > 3 * SNIFF_BYTES);

        let mut ids = Vec::new();
        let mut skipped_lines = Vec::new();
        let options = ReadOptions::default();
        read_bytes(text.as_bytes(), Path::new("memory"), &options, &mut |item| match item {
            Item::Record(record) => ids.push(record.event.record_id),
            Item::Skipped(skip) => skipped_lines.push(skip.line),
        })
        .unwrap();
        assert_eq!(ids.len(), 3_000);
        assert_eq!(ids[0], "ma:r0");
        assert_eq!(ids[2_999], "ma:r2999");
        // Odd records are followed by a blank line, so the unrecognised last record is on line 4,501.
        assert_eq!(skipped_lines, vec![4_501]);
    }

    #[test]
    fn borrowed_items_match_owned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("records.jsonl");
        let lines = [
            r#"{"CreationTime":"2026-01-05T00:00:00","Id":"a","Operation":"FileAccessed","Workload":"SharePoint"}"#,
            "not json",
            r#"  {"CreationTime":"2026-01-05T00:00:01","Id":"b","Operation":"FileDeleted","Workload":"SharePoint"}"#,
        ];
        std::fs::write(&path, lines.join("\n")).unwrap();
        let options = ReadOptions::default();

        let mut owned = Vec::new();
        read_file(&path, &options, &mut |item| match item {
            Item::Record(record) => owned.push(Ok((record.event, record.raw))),
            Item::Skipped(skip) => owned.push(Err(skip.line)),
        })
        .unwrap();
        let mut borrowed = Vec::new();
        read_file_borrowed(&path, &options, &mut |item| match item {
            BorrowedItem::Record { event, raw } => borrowed.push(Ok((event, raw.to_owned()))),
            BorrowedItem::Skipped(skip) => borrowed.push(Err(skip.line)),
        })
        .unwrap();

        assert_eq!(owned.len(), 3);
        assert_eq!(borrowed, owned);
        assert_eq!(borrowed[2].as_ref().map(|(_, raw)| raw.as_str()), Ok(lines[2].trim()));
    }

    #[test]
    fn log_analytics_columns_are_renamed() {
        let headers = csv::StringRecord::from(vec![
            "\u{feff}TimeGenerated [UTC]",
            "Status_dynamic",
            "Status_string",
            "DeviceDetail_string",
            "Id",
            "Id_string",
        ]);
        assert_eq!(
            column_names(&headers),
            vec!["TimeGenerated", "Status", "Status_string", "DeviceDetail", "Id", "Id_string"]
        );
    }
}
