//! Reading downloaded buffers and storing their records, off the async threads.

use std::sync::{Arc, Mutex};

use harrier_enrich::IpIntel;
use harrier_ingest::ReadOptions;
use harrier_model::{Record, SourceFormat, TenantId};
use harrier_pipeline::{MailOptions, mail_record, read_buffer};
use harrier_store::Store;

use crate::SourceError;

/// Counts of one stored buffer or batch.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Stored {
    pub read: u64,
    pub inserted: u64,
    pub duplicates: u64,
    pub skipped: u64,
}

/// The event store and IP intelligence, shared with blocking tasks.
pub(crate) struct StoreWriter {
    store: Arc<Mutex<Store>>,
    intel: Arc<IpIntel>,
    tenant: TenantId,
}

impl StoreWriter {
    pub fn new(store: Store, intel: Arc<IpIntel>, tenant: TenantId) -> StoreWriter {
        StoreWriter { store: Arc::new(Mutex::new(store)), intel, tenant }
    }

    /// Reads a content blob or Graph page as `format` and stores its records under the collector's
    /// tenant. `source` names the buffer in errors. A buffer that is not valid JSON stores nothing.
    pub async fn store_buffer(&self, bytes: Vec<u8>, source: String, format: SourceFormat) -> Result<Stored, SourceError> {
        let store = self.store.clone();
        let intel = self.intel.clone();
        let options = ReadOptions { tenant: Some(self.tenant.clone()), format: Some(format), bytes_read: None };
        run_blocking(move || {
            let read = read_buffer(&bytes, &source, &options, &intel).map_err(|error| SourceError::Malformed(error.to_string()))?;
            for skip in &read.skips {
                tracing::warn!(source = %skip.path.display(), line = skip.line, reason = %skip.reason, "record skipped");
            }
            let mut stored = insert(&store, &read.records)?;
            stored.skipped = read.skips.len() as u64;
            Ok(stored)
        })
        .await
    }

    /// Analyses raw MIME messages and stores them as email events. Each message is `(name, bytes)`, where
    /// the name is kept as the event's reference to its source.
    pub async fn store_mail(&self, messages: Vec<(String, Vec<u8>)>, options: MailOptions) -> Result<Stored, SourceError> {
        let store = self.store.clone();
        let intel = self.intel.clone();
        let tenant = self.tenant.clone();
        run_blocking(move || {
            let mut records: Vec<Record> = Vec::with_capacity(messages.len());
            let mut skipped = 0;
            for (name, bytes) in messages {
                let raw = harrier_mail::RawMessage {
                    origin: harrier_mail::MessageOrigin { path: name.into(), index: 0, format: harrier_mail::MailFormat::Eml },
                    envelope_from: None,
                    bytes,
                };
                match mail_record(&raw, Some(&tenant), &options, &intel) {
                    Ok(record) => records.push(record),
                    Err(skip) => {
                        tracing::warn!(source = %skip.path.display(), reason = %skip.reason, "message skipped");
                        skipped += 1;
                    }
                }
            }
            let mut stored = insert(&store, &records)?;
            stored.skipped = skipped;
            Ok(stored)
        })
        .await
    }
}

fn insert(store: &Mutex<Store>, records: &[Record]) -> Result<Stored, SourceError> {
    if records.is_empty() {
        return Ok(Stored::default());
    }
    let mut store = store.lock().map_err(|_| SourceError::Storage("the event store lock is poisoned".to_owned()))?;
    let stats = store.insert(records).map_err(|error| SourceError::Storage(error.to_string()))?;
    Ok(Stored { read: records.len() as u64, inserted: stats.inserted, duplicates: stats.duplicates, skipped: 0 })
}

async fn run_blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T, SourceError> + Send + 'static) -> Result<T, SourceError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| SourceError::Storage(format!("the storing task failed: {error}")))?
}
