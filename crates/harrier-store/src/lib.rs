//! The embedded event store.
//!
//! Events are kept in one SQLite database under the data directory. Each row contains the normalised event and
//! the source record, compressed together with zstd and a dictionary trained per store (see [`Codec`]).
//! Every row is keyed by tenant, and a record seen twice (overlapping content blobs, the same export
//! replayed) is stored once. The key is a 128-bit hash of the tenant and the record's id in a
//! unique index, so a duplicate insert is a cheap no-op rather than a read before every write.
//!
//! Readers hand records over in whatever order the files hold them; [`Store::for_each_event`] returns them
//! ordered by event time, which is the order the learning stages consume.

mod codec;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use harrier_model::{Event, Record, TenantId};
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

pub use codec::Codec;
use codec::{Decoder, Dictionary};

/// The name of the database file inside the data directory.
pub const DATABASE_FILE: &str = "harrier.sqlite";

/// The schema version this build writes, kept in SQLite's `user_version`.
const SCHEMA_VERSION: i64 = 2;

/// The page size of new databases, in bytes.
const PAGE_SIZE: i64 = 8192;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {}: {source}", path.display())]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("database {}: {source}", path.display())]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error(
        "database {} has schema version {found}, but this build of harrier reads version {SCHEMA_VERSION}; \
         use a matching harrier or a new data directory",
        path.display()
    )]
    SchemaVersion { path: PathBuf, found: i64 },
    #[error("stored event {seq} is not valid: {source}")]
    CorruptEvent { seq: i64, source: serde_json::Error },
    #[error("stored event {seq} cannot be decompressed: {source}; the database is damaged")]
    CorruptRow { seq: i64, source: std::io::Error },
    #[error(
        "stored event {seq} is not valid: its event length {event_bytes} exceeds its payload of {payload_bytes} \
         bytes; the database is damaged"
    )]
    EventLength { seq: i64, event_bytes: i64, payload_bytes: usize },
}

/// Counts of what one [`Store::insert`] call stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InsertStats {
    pub inserted: u64,
    /// Records whose tenant and id were already stored.
    pub duplicates: u64,
}

/// A time range of stored events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeRange {
    pub first: Timestamp,
    pub last: Timestamp,
}

/// The event store of one data directory.
pub struct Store {
    path: PathBuf,
    connection: Connection,
    tenant_ids: HashMap<TenantId, i64>,
    codec: Arc<Codec>,
    /// Whether the codec's dictionary is already in the `dictionaries` table.
    dictionary_stored: bool,
}

impl Store {
    /// Opens the store in `data_dir`, creating the directory and the database when they do not exist.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|source| StoreError::CreateDir { path: data_dir.to_path_buf(), source })?;
        let path = data_dir.join(DATABASE_FILE);
        let connection = Connection::open(&path).map_err(|source| StoreError::Sqlite { path: path.clone(), source })?;
        let mut store = Store {
            path,
            connection,
            tenant_ids: HashMap::new(),
            codec: Arc::new(Codec::default()),
            dictionary_stored: false,
        };
        store.configure().map_err(|source| store.error(source))?;
        store.migrate()?;
        let dictionary = store.load_dictionary().map_err(|source| store.error(source))?;
        store.dictionary_stored = dictionary.is_some();
        store.codec = Arc::new(Codec::new(dictionary));
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Returns the codec that [`PreparedRecord::new`] needs to prepare records for this store.
    pub fn codec(&self) -> Arc<Codec> {
        self.codec.clone()
    }

    fn error(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite { path: self.path.clone(), source }
    }

    /// Sets the pragmas for a single writer that favours throughput: write-ahead logging, and a sync only at
    /// checkpoints, which can lose the last transactions on power loss but never corrupts the database.
    fn configure(&self) -> rusqlite::Result<()> {
        self.connection.pragma_update(None, "journal_mode", "WAL")?;
        self.connection.pragma_update(None, "synchronous", "NORMAL")?;
        self.connection.pragma_update(None, "cache_size", -262_144)?;
        self.connection.pragma_update(None, "temp_store", "MEMORY")?;
        self.connection.busy_timeout(std::time::Duration::from_secs(30))?;
        Ok(())
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let version: i64 =
            self.connection.pragma_query_value(None, "user_version", |row| row.get(0)).map_err(|e| self.error(e))?;
        match version {
            0 => {
                // The page size of a database is fixed when its first table is created.
                self.connection.pragma_update(None, "page_size", PAGE_SIZE).map_err(|e| self.error(e))?;
                self.connection.execute_batch(SCHEMA).map_err(|e| self.error(e))
            }
            SCHEMA_VERSION => Ok(()),
            found => Err(StoreError::SchemaVersion { path: self.path.clone(), found }),
        }
    }

    /// Loads the newest compression dictionary, if the store has one.
    fn load_dictionary(&self) -> rusqlite::Result<Option<Dictionary>> {
        self.connection
            .query_row("SELECT id, bytes FROM dictionaries ORDER BY id DESC LIMIT 1", [], |row| {
                Ok(Dictionary { id: row.get(0)?, bytes: row.get(1)? })
            })
            .optional()
    }

    /// Returns the numeric id of a tenant, adding the tenant on first sight.
    fn tenant_id(&mut self, tenant: &TenantId) -> rusqlite::Result<i64> {
        if let Some(&id) = self.tenant_ids.get(tenant) {
            return Ok(id);
        }
        self.connection.execute("INSERT OR IGNORE INTO tenants (name) VALUES (?1)", [tenant.as_str()])?;
        let id = self.connection.query_row("SELECT id FROM tenants WHERE name = ?1", [tenant.as_str()], |r| r.get(0))?;
        self.tenant_ids.insert(tenant.clone(), id);
        Ok(id)
    }

    /// Stores records in one transaction, skipping records already stored.
    pub fn insert(&mut self, records: &[Record]) -> Result<InsertStats, StoreError> {
        let prepared: Vec<PreparedRecord> =
            records.iter().cloned().map(|record| PreparedRecord::new(record, &self.codec)).collect();
        self.insert_prepared(&prepared)
    }

    /// Stores prepared records in one transaction, skipping records already stored.
    ///
    /// Every transaction rewrites the pages of the deduplication index it touches, and record keys are
    /// random, so callers should pass thousands of records at a time.
    pub fn insert_prepared(&mut self, records: &[PreparedRecord]) -> Result<InsertStats, StoreError> {
        self.insert_batch(records).map_err(|source| self.error(source))
    }

    fn insert_batch(&mut self, records: &[PreparedRecord]) -> rusqlite::Result<InsertStats> {
        let mut tenant_ids = Vec::with_capacity(records.len());
        for record in records {
            tenant_ids.push(self.tenant_id(&record.tenant)?);
        }

        let transaction = self.connection.transaction()?;
        let dictionary_used = records.iter().any(|record| record.dictionary_id.is_some());
        if dictionary_used && !self.dictionary_stored {
            let dictionary = self.codec.dictionary().expect("records name a dictionary only after it is trained");
            // A plain insert fails when another writer stored a different dictionary under the same id
            // since this store was opened, rather than keep rows that the stored dictionary cannot read.
            transaction.execute(
                "INSERT INTO dictionaries (id, bytes) VALUES (?1, ?2)",
                params![dictionary.id, dictionary.bytes],
            )?;
        }
        let mut stats = InsertStats::default();
        {
            let mut statement = transaction.prepare_cached(INSERT_EVENT)?;
            for (record, tenant_id) in records.iter().zip(tenant_ids) {
                let changed = statement.execute(params![
                    tenant_id,
                    record.key.as_slice(),
                    record.time_ms,
                    record.kind,
                    record.format,
                    record.operation,
                    record.user,
                    record.ip,
                    record.asn,
                    record.country,
                    record.ip_class,
                    record.outcome,
                    record.dictionary_id,
                    record.event_bytes,
                    record.payload,
                ])?;
                if changed == 0 {
                    stats.duplicates += 1;
                } else {
                    stats.inserted += 1;
                }
            }
        }
        transaction.commit()?;
        self.dictionary_stored |= dictionary_used;
        Ok(stats)
    }

    /// Counts stored events, of one tenant or of all.
    pub fn event_count(&self, tenant: Option<&TenantId>) -> Result<u64, StoreError> {
        let count: i64 = match tenant {
            Some(tenant) => self.connection.query_row(
                "SELECT count(*) FROM events JOIN tenants ON tenants.id = events.tenant_id WHERE tenants.name = ?1",
                [tenant.as_str()],
                |row| row.get(0),
            ),
            None => self.connection.query_row("SELECT count(*) FROM events", [], |row| row.get(0)),
        }
        .map_err(|e| self.error(e))?;
        Ok(count as u64)
    }

    /// Returns the first and last event time of the stored events, if any.
    pub fn time_range(&self) -> Result<Option<TimeRange>, StoreError> {
        let range: Option<(i64, i64)> = self
            .connection
            .query_row("SELECT min(time_ms), max(time_ms) FROM events HAVING count(*) > 0", [], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()
            .map_err(|e| self.error(e))?;
        Ok(range.map(|(first, last)| TimeRange { first: from_millis(first), last: from_millis(last) }))
    }

    /// Lists the stored tenants.
    pub fn tenants(&self) -> Result<Vec<TenantId>, StoreError> {
        let mut statement = self.connection.prepare("SELECT name FROM tenants ORDER BY name").map_err(|e| self.error(e))?;
        let names = statement
            .query_map([], |row| row.get::<_, String>(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.error(e))?;
        Ok(names.into_iter().map(TenantId).collect())
    }

    /// Calls `visit` with every event of `tenant` in time order (ties in the order they were stored), and
    /// stops early when `visit` returns `false`.
    pub fn for_each_event(&self, tenant: &TenantId, mut visit: impl FnMut(Event) -> bool) -> Result<(), StoreError> {
        let mut statement = self.connection.prepare_cached(SELECT_EVENTS).map_err(|e| self.error(e))?;
        let mut rows = statement.query([tenant.as_str()]).map_err(|e| self.error(e))?;
        let mut decoder = Decoder::new(&self.codec);
        while let Some(row) = rows.next().map_err(|e| self.error(e))? {
            let event = self.decode_row(row, &mut decoder)?;
            if !visit(event) {
                break;
            }
        }
        Ok(())
    }

    /// Decompresses one row of `SELECT_EVENTS` and parses its event.
    fn decode_row(&self, row: &rusqlite::Row<'_>, decoder: &mut Decoder<'_>) -> Result<Event, StoreError> {
        let seq: i64 = row.get(0).map_err(|e| self.error(e))?;
        let dictionary_id: Option<i64> = row.get(1).map_err(|e| self.error(e))?;
        let event_bytes: i64 = row.get(2).map_err(|e| self.error(e))?;
        let frame = row.get_ref(3).map_err(|e| self.error(e))?;
        let frame = frame.as_blob().map_err(|source| {
            self.error(rusqlite::Error::FromSqlConversionFailure(3, frame.data_type(), Box::new(source)))
        })?;
        let payload =
            decoder.decompress(dictionary_id, frame).map_err(|source| StoreError::CorruptRow { seq, source })?;
        let json = usize::try_from(event_bytes)
            .ok()
            .and_then(|end| payload.get(..end))
            .ok_or(StoreError::EventLength { seq, event_bytes, payload_bytes: payload.len() })?;
        serde_json::from_slice(json).map_err(|source| StoreError::CorruptEvent { seq, source })
    }
}

/// A record turned into the values of one row, ready to insert.
///
/// Preparing serialises and compresses the event and raw record and hashes the key, the costly part of
/// storing, so reader threads can do it in parallel and leave only the inserts to the single writer.
#[derive(Clone, Debug)]
pub struct PreparedRecord {
    pub tenant: TenantId,
    key: [u8; 16],
    pub time_ms: i64,
    pub kind: &'static str,
    pub format: &'static str,
    operation: String,
    user: Option<String>,
    ip: Option<String>,
    asn: Option<u32>,
    country: Option<String>,
    ip_class: Option<&'static str>,
    outcome: &'static str,
    dictionary_id: Option<i64>,
    /// The length of the event JSON at the start of the payload, in bytes.
    event_bytes: i64,
    /// The event JSON followed by the source record, compressed.
    payload: Vec<u8>,
}

impl PreparedRecord {
    /// Prepares `record` for the store whose codec is `codec`.
    pub fn new(record: Record, codec: &Codec) -> PreparedRecord {
        let Record { mut event, raw } = record;
        let mut payload = Vec::with_capacity(2 * raw.len() + 256);
        serde_json::to_writer(&mut payload, &event).expect("events serialise to JSON");
        let event_bytes = payload.len() as i64;
        payload.extend_from_slice(raw.as_bytes());
        let compressed = codec.compress(&payload);

        // The event is serialised, so its strings move into the row's columns without copies.
        let kind = event.kind();
        let ip_info = event.ip_info.as_mut();
        PreparedRecord {
            key: record_key(&event.tenant, &event.record_id),
            time_ms: event.time.as_millisecond(),
            kind,
            format: event.format.as_str(),
            ip: event.client.ip.map(|ip| ip.to_string()),
            asn: ip_info.as_ref().and_then(|info| info.asn),
            ip_class: ip_info.as_ref().map(|info| info.class.as_str()),
            country: ip_info.and_then(|info| info.country.take()),
            outcome: event.outcome.as_str(),
            operation: std::mem::take(&mut event.operation),
            user: event.actor.user.take(),
            tenant: event.tenant,
            dictionary_id: compressed.dictionary_id,
            event_bytes,
            payload: compressed.frame,
        }
    }
}

/// Hashes a tenant and record id into the 16-byte deduplication key.
fn record_key(tenant: &TenantId, record_id: &str) -> [u8; 16] {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(tenant.as_str().as_bytes());
    hasher.update(&[0]);
    hasher.update(record_id.as_bytes());
    hasher.digest128().to_be_bytes()
}

fn from_millis(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

const SCHEMA: &str = "
BEGIN;
CREATE TABLE dictionaries (
    id INTEGER PRIMARY KEY,
    bytes BLOB NOT NULL
);
CREATE TABLE tenants (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    record_key BLOB NOT NULL,
    time_ms INTEGER NOT NULL,
    kind TEXT NOT NULL,
    format TEXT NOT NULL,
    operation TEXT NOT NULL,
    user TEXT,
    ip TEXT,
    asn INTEGER,
    country TEXT,
    ip_class TEXT,
    outcome TEXT NOT NULL,
    dictionary_id INTEGER REFERENCES dictionaries (id),
    event_bytes INTEGER NOT NULL,
    payload BLOB NOT NULL
);
CREATE UNIQUE INDEX events_by_key ON events (record_key);
CREATE INDEX events_by_time ON events (tenant_id, time_ms);
PRAGMA user_version = 2;
COMMIT;
";

const INSERT_EVENT: &str = "
INSERT OR IGNORE INTO events
    (tenant_id, record_key, time_ms, kind, format, operation, user, ip, asn, country, ip_class, outcome,
     dictionary_id, event_bytes, payload)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";

const SELECT_EVENTS: &str = "
SELECT seq, dictionary_id, event_bytes, payload FROM events
WHERE tenant_id = (SELECT id FROM tenants WHERE name = ?1)
ORDER BY time_ms, seq";
