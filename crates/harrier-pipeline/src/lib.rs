//! The event pipeline: files in, normalised and enriched events stored.
//!
//! Replay runs as a stream of stages on threads joined by bounded channels, not as a batch job. Reader
//! threads take files one at a time, normalise each record and enrich it with IP intelligence. They pass
//! batches to one writer that stores them. The bounded channel keeps memory flat whatever the input size, and
//! the same stages serve the long-running service, where collectors take the place of files.

mod mail;
mod summary;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};

use harrier_enrich::IpIntel;
use harrier_ingest::{BorrowedItem, FileError, Item, ReadOptions, Skip, read_file_borrowed};
use harrier_model::{Event, Record};
use harrier_store::{BlockBuilder, PreparedBlock, Store, StoreError};

pub use mail::{MailOptions, email_message, is_mail_file, mail_record};
pub use summary::{FileReport, MAX_SKIP_EXAMPLES, SkipReport, Summary};

/// How many blocks travel together from a reader to the writer (4,096 records when the blocks are full).
const BATCH_BLOCKS: usize = 4096 / harrier_store::BLOCK_RECORDS;

/// How many records the writer stores in one transaction at most. Record keys are random, so each
/// transaction rewrites most pages of the table of deduplication keys: large transactions amortise that.
const TRANSACTION_RECORDS: usize = 65_536;

/// The maximum time records wait in the writer before they are stored.
const TRANSACTION_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// How many batches may wait for the writer before readers block.
const QUEUE_BATCHES: usize = 8;

/// Settings for one replay.
#[derive(Clone, Debug, Default)]
pub struct ReplayOptions {
    pub read: ReadOptions,
    /// Reader threads; 0 picks one less than the available cores (at least one).
    pub threads: usize,
    /// Settings for the mail files among the inputs.
    pub mail: MailOptions,
}

/// Progress notifications for a display; every method is called from reader threads or the writer.
pub trait Progress: Sync {
    /// Called after each batch is stored with the number of records in it.
    fn stored(&self, _records: u64) {}
    /// Called when a file has been read.
    fn file_done(&self, _path: &Path) {}
}

/// A progress sink that shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {}

/// Messages from readers to the writer.
enum Message {
    Batch(Vec<PreparedBlock>),
    Skips(Vec<Skip>),
    File(FileReport),
}

/// Reads `files`, normalises, enriches and stores every record, and returns the summary.
///
/// Returns an error only when the store fails, because unreadable files and records are counted in the
/// summary instead.
pub fn replay(
    files: &[PathBuf],
    options: &ReplayOptions,
    intel: &IpIntel,
    store: &mut Store,
    progress: &dyn Progress,
) -> Result<Summary, StoreError> {
    let started = std::time::Instant::now();
    let threads = reader_threads(options.threads, files.len());
    let next_file = AtomicUsize::new(0);
    let bytes_read = options.read.bytes_read.clone().unwrap_or_else(|| Arc::new(AtomicU64::new(0)));
    let bytes_before = bytes_read.load(Ordering::Relaxed);
    let read_options = ReadOptions { bytes_read: Some(bytes_read.clone()), ..options.read.clone() };
    let (sender, receiver) = sync_channel::<Message>(QUEUE_BATCHES);

    let mut summary = Summary::default();
    let mut store_error = None;
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let sender = sender.clone();
            let reader =
                Reader { files, next_file: &next_file, options: &read_options, mail: &options.mail, intel, progress };
            scope.spawn(move || reader.run(sender));
        }
        drop(sender);

        let mut writer =
            Writer { store, pending: Vec::new(), pending_records: 0, last_flush: std::time::Instant::now(), progress };
        for message in receiver {
            match message {
                Message::Batch(records) if store_error.is_none() => {
                    if let Err(error) = writer.add(records, &mut summary) {
                        store_error = Some(error);
                    }
                }
                Message::Batch(_) => {}
                Message::Skips(skips) => summary.add_skips(skips),
                Message::File(report) => summary.add_file(report),
            }
        }
        if store_error.is_none() {
            store_error = writer.flush(&mut summary).err();
        }
    });
    if let Some(error) = store_error {
        return Err(error);
    }

    summary.finish(started.elapsed(), bytes_read.load(Ordering::Relaxed) - bytes_before);
    Ok(summary)
}

/// Gathers prepared blocks into large transactions.
struct Writer<'a> {
    store: &'a mut Store,
    pending: Vec<PreparedBlock>,
    /// The number of records in `pending`.
    pending_records: usize,
    last_flush: std::time::Instant,
    progress: &'a dyn Progress,
}

impl Writer<'_> {
    fn add(&mut self, mut blocks: Vec<PreparedBlock>, summary: &mut Summary) -> Result<(), StoreError> {
        self.pending_records += blocks.iter().map(|block| block.rows().len()).sum::<usize>();
        if self.pending.is_empty() {
            self.pending = std::mem::take(&mut blocks);
        } else {
            self.pending.append(&mut blocks);
        }
        if self.pending_records >= TRANSACTION_RECORDS || self.last_flush.elapsed() >= TRANSACTION_INTERVAL {
            self.flush(summary)?;
        }
        Ok(())
    }

    fn flush(&mut self, summary: &mut Summary) -> Result<(), StoreError> {
        self.last_flush = std::time::Instant::now();
        if self.pending.is_empty() {
            return Ok(());
        }
        let stats = self.store.insert_prepared(&self.pending)?;
        summary.add_batch(&self.pending, stats);
        self.progress.stored(self.pending_records as u64);
        self.pending.clear();
        self.pending_records = 0;
        Ok(())
    }
}

fn reader_threads(requested: usize, files: usize) -> usize {
    let available = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = if requested == 0 { available.saturating_sub(1).max(1) } else { requested };
    threads.min(files.max(1))
}

/// The state one reader thread shares with the others.
struct Reader<'a> {
    files: &'a [PathBuf],
    next_file: &'a AtomicUsize,
    options: &'a ReadOptions,
    mail: &'a MailOptions,
    intel: &'a IpIntel,
    progress: &'a dyn Progress,
}

impl Reader<'_> {
    /// Reads files, taking the next unread file until none is left.
    fn run(self, sender: SyncSender<Message>) {
        let mut batch = Batch { blocks: Vec::with_capacity(BATCH_BLOCKS), builder: BlockBuilder::new() };
        loop {
            let index = self.next_file.fetch_add(1, Ordering::Relaxed);
            let Some(path) = self.files.get(index) else { break };
            self.read(path, &mut batch, &sender);
        }
        let Batch { mut blocks, mut builder } = batch;
        blocks.extend(builder.finish());
        if !blocks.is_empty() {
            let _ = sender.send(Message::Batch(blocks));
        }
    }

    /// Reads one file, sending full batches of prepared blocks, then the file's skips and report.
    ///
    /// The block being filled carries on into the next file, so a small file does not make a small block.
    fn read(&self, path: &Path, batch: &mut Batch, sender: &SyncSender<Message>) {
        if is_mail_file(path) {
            return self.read_mail(path, batch, sender);
        }
        let mut records = 0u64;
        let mut skips = Vec::new();
        let result = read_file_borrowed(path, self.options, &mut |item| match item {
            BorrowedItem::Record { mut event, raw } => {
                enrich_event(&mut event, self.intel);
                records += 1;
                batch.push_event(event, raw, sender);
            }
            BorrowedItem::Skipped(skip) => skips.push(skip),
        });
        let report = FileReport::new(path, result, records, skips.len() as u64);
        self.finish_file(path, skips, report, sender);
    }

    /// Reads one mail file (an `.eml` message, an mbox, or one file of a maildir) like [`Reader::read`].
    fn read_mail(&self, path: &Path, batch: &mut Batch, sender: &SyncSender<Message>) {
        let mut records = 0u64;
        let mut skips = Vec::new();
        let mut error = None;
        match harrier_mail::open(path, harrier_mail::ReadOptions::default()) {
            Ok(reader) => {
                for item in reader {
                    match item {
                        harrier_mail::ReadItem::Message(raw) => {
                            if let Some(counter) = &self.options.bytes_read {
                                counter.fetch_add(raw.bytes.len() as u64, Ordering::Relaxed);
                            }
                            match mail_record(&raw, self.options.tenant.as_ref(), self.mail, self.intel) {
                                Ok(record) => {
                                    records += 1;
                                    batch.push(record, sender);
                                }
                                Err(skip) => skips.push(skip),
                            }
                        }
                        harrier_mail::ReadItem::Skipped(skipped) => skips.push(Skip {
                            path: skipped.origin.path.clone(),
                            line: skipped.origin.index as u64 + 1,
                            reason: harrier_ingest::SkipReason::Unrecognised(skipped.reason.to_string()),
                        }),
                    }
                }
            }
            Err(open_error) => error = Some(open_error.to_string()),
        }
        let report = FileReport::mail(path, error, records, skips.len() as u64);
        self.finish_file(path, skips, report, sender);
    }

    /// Sends a file's skips and report.
    fn finish_file(&self, path: &Path, skips: Vec<Skip>, report: FileReport, sender: &SyncSender<Message>) {
        if !skips.is_empty() {
            let _ = sender.send(Message::Skips(skips));
        }
        self.progress.file_done(path);
        let _ = sender.send(Message::File(report));
    }
}

/// A reader's prepared blocks not yet sent, and the block it is filling.
struct Batch {
    blocks: Vec<PreparedBlock>,
    builder: BlockBuilder,
}

impl Batch {
    /// Adds a record, sending the blocks once a batch is full.
    fn push(&mut self, record: Record, sender: &SyncSender<Message>) {
        self.builder.push(record);
        self.send_when_full(sender);
    }

    /// Adds an event and its raw record like [`Batch::push`].
    fn push_event(&mut self, event: Event, raw: &str, sender: &SyncSender<Message>) {
        self.builder.push_event(event, raw);
        self.send_when_full(sender);
    }

    fn send_when_full(&mut self, sender: &SyncSender<Message>) {
        if self.builder.is_full() {
            self.blocks.extend(self.builder.finish());
            if self.blocks.len() == BATCH_BLOCKS {
                let full = std::mem::replace(&mut self.blocks, Vec::with_capacity(BATCH_BLOCKS));
                let _ = sender.send(Message::Batch(full));
            }
        }
    }
}

/// The records and skips read from one in-memory buffer.
#[derive(Debug, Default)]
pub struct BufferRecords {
    pub records: Vec<Record>,
    pub skips: Vec<Skip>,
}

/// Reads, normalises and enriches the records of an in-memory buffer, such as a downloaded Management
/// Activity content blob or Graph page, through the same reader as [`replay`]'s files. `source` names the
/// buffer in skips and errors. An error means the buffer as a whole could not be read (cut or invalid
/// JSON), and no record of it is returned.
pub fn read_buffer(bytes: &[u8], source: &str, options: &ReadOptions, intel: &IpIntel) -> Result<BufferRecords, FileError> {
    let mut read = BufferRecords::default();
    harrier_ingest::read_bytes(bytes, Path::new(source), options, &mut |item| match item {
        Item::Record(mut record) => {
            enrich(&mut record, intel);
            read.records.push(*record);
        }
        Item::Skipped(skip) => read.skips.push(skip),
    })?;
    Ok(read)
}

/// Attaches IP intelligence to a record's client address.
pub fn enrich(record: &mut Record, intel: &IpIntel) {
    enrich_event(&mut record.event, intel);
}

fn enrich_event(event: &mut Event, intel: &IpIntel) {
    if let Some(ip) = event.client.ip {
        event.ip_info = Some(intel.lookup(ip));
    }
}

/// Expands the paths given on the command line into files, keeping errors for paths that cannot be listed.
pub fn collect_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<FileError>) {
    harrier_ingest::collect_paths(paths)
}
