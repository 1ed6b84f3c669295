//! The embedded event store.
//!
//! Events are kept in one SQLite database under the data directory. Records are stored in blocks of
//! consecutive records, each block holding the normalised events (MessagePack) and the source records
//! compressed with zstd (see [`BLOCK_RECORDS`] and the `codec` module). Every record has a row, ordered by
//! tenant and time, whose `seq` names its block and slot. A record seen twice (overlapping content blobs, the same export
//! replayed) is stored once. The key is a 128-bit hash of the tenant and the record's id. Each block's row in
//! `block_keys` keeps the keys of its records. A store checks new records against all stored keys, which it
//! loads into memory on its first insert and brings up to date at the start of every insert transaction.
//!
//! Readers hand records over in whatever order the files hold them; [`Store::for_each_event`] returns them
//! ordered by event time, which is the order the learning stages consume.

mod codec;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use harrier_model::{Event, Record, TenantId};
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

pub use codec::BLOCK_RECORDS;
use codec::{Decoder, Section, SectionBuilder};

/// The name of the database file inside the data directory.
pub const DATABASE_FILE: &str = "harrier.sqlite";

/// The schema version this build writes, kept in SQLite's `user_version`. Version 5 keeps the deduplication
/// keys per block in `block_keys`, version 4 kept one `record_keys` row per record, and version 3 stored
/// events as JSON.
const SCHEMA_VERSION: i64 = 5;

/// The oldest schema version this build opens. Opening a version 4 store adds the `block_keys` table and
/// keeps its `record_keys` rows as the keys of the records stored before.
const OLDEST_MIGRATED_VERSION: i64 = 4;

/// The length of a deduplication key, in bytes.
const KEY_LEN: usize = 16;

/// The page size of new databases, in bytes.
const PAGE_SIZE: i64 = 8192;

/// A row's `seq` is its block id times this factor plus its slot in the block.
const SLOTS_PER_BLOCK: i64 = 256;

const _: () = assert!(BLOCK_RECORDS as i64 <= SLOTS_PER_BLOCK);

/// How many decompressed blocks a reader keeps. Events read in time order come from the blocks that were
/// being filled at that time, one per input file read at once. On records written by `bench/gen_logs.py`, a
/// block of events is about 128 KB decompressed, so 256 blocks take about 32 MB.
const BLOCK_CACHE: usize = 256;

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
    #[error(
        "the store in {} was written by an older harrier (schema version {found}), and this build reads only \
         versions {OLDEST_MIGRATED_VERSION} to {SCHEMA_VERSION}; replay the source logs into a new data \
         directory, or delete {} and replay them again",
        data_dir.display(),
        data_dir.display()
    )]
    OlderSchema { data_dir: PathBuf, found: i64 },
    #[error("stored event {seq} is not valid: {source}")]
    CorruptEvent { seq: i64, source: rmp_serde::decode::Error },
    #[error("stored event {seq} cannot be decompressed (block {block}): {source}; the database is damaged")]
    CorruptRow { seq: i64, block: i64, source: std::io::Error },
    #[error("stored event {seq} names slot {slot} of block {block}, which has no such slot; the database is damaged")]
    MissingSlot { seq: i64, block: i64, slot: i64 },
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
    data_dir: PathBuf,
    path: PathBuf,
    connection: Connection,
    tenant_ids: HashMap<TenantId, i64>,
    /// The keys of all stored records, loaded on the first insert. `None` until then, and again after a failed
    /// insert, whose keys may be in the set without being stored.
    keys: Option<StoredKeys>,
}

impl Store {
    /// Opens the store in `data_dir`, creating the directory and the database when they do not exist.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|source| StoreError::CreateDir { path: data_dir.to_path_buf(), source })?;
        let path = data_dir.join(DATABASE_FILE);
        let connection = Connection::open(&path).map_err(|source| StoreError::Sqlite { path: path.clone(), source })?;
        let mut store =
            Store { data_dir: data_dir.to_path_buf(), path, connection, tenant_ids: HashMap::new(), keys: None };
        store.configure().map_err(|source| store.error(source))?;
        store.migrate()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Makes every later commit of this connection return only once it is on disk (`synchronous=FULL`).
    ///
    /// Collectors call this before they record that records are stored, so that power loss never leaves
    /// a checkpoint ahead of the stored records.
    pub fn sync_every_commit(&self) -> Result<(), StoreError> {
        self.connection.pragma_update(None, "synchronous", "FULL").map_err(|e| self.error(e))
    }

    /// Sets this connection's page cache to `mebibytes` MiB, in place of the 256 MiB set on opening.
    ///
    /// A connection that only appends can use a small cache: most pages it writes are blob pages that it
    /// never reads again, and the large cache would keep them all in memory until it is full.
    pub fn set_cache_mebibytes(&self, mebibytes: u32) -> Result<(), StoreError> {
        // A negative cache size is in KiB.
        let kibibytes = -i64::from(mebibytes) * 1024;
        self.connection.pragma_update(None, "cache_size", kibibytes).map_err(|e| self.error(e))
    }

    fn error(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite { path: self.path.clone(), source }
    }

    /// Sets the pragmas for a single writer that favours throughput: write-ahead logging, and a sync only at
    /// checkpoints, which can lose the last transactions on power loss but never corrupts the database.
    fn configure(&self) -> rusqlite::Result<()> {
        // The page size of a database is fixed when its first table is created, and a database in WAL mode
        // keeps its page size, so the page size is set first. It does not change an existing database.
        self.connection.pragma_update(None, "page_size", PAGE_SIZE)?;
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
            0 => self.connection.execute_batch(SCHEMA).map_err(|e| self.error(e)),
            4 => self.connection.execute_batch(MIGRATE_4_TO_5).map_err(|e| self.error(e)),
            SCHEMA_VERSION => Ok(()),
            found if found < SCHEMA_VERSION => Err(StoreError::OlderSchema { data_dir: self.data_dir.clone(), found }),
            found => Err(StoreError::SchemaVersion { path: self.path.clone(), found }),
        }
    }

    /// Returns the numeric id of a tenant, adding the tenant on first sight.
    fn tenant_id(&mut self, tenant: &TenantId) -> rusqlite::Result<i64> {
        if let Some(&id) = self.tenant_ids.get(tenant) {
            return Ok(id);
        }
        self.connection.execute("INSERT OR IGNORE INTO tenants (name) VALUES (?1)", [tenant.as_str()])?;
        let id =
            self.connection.query_row("SELECT id FROM tenants WHERE name = ?1", [tenant.as_str()], |r| r.get(0))?;
        self.tenant_ids.insert(tenant.clone(), id);
        Ok(id)
    }

    /// Stores records in one transaction, skipping records already stored.
    pub fn insert(&mut self, records: &[Record]) -> Result<InsertStats, StoreError> {
        let mut blocks = Vec::with_capacity(records.len().div_ceil(BLOCK_RECORDS));
        let mut builder = BlockBuilder::new();
        for record in records {
            builder.push(record.clone());
            if builder.is_full() {
                blocks.extend(builder.finish());
            }
        }
        blocks.extend(builder.finish());
        self.insert_prepared(&blocks)
    }

    /// Stores prepared blocks in one transaction, skipping records already stored.
    ///
    /// Every transaction rewrites the pages of the deduplication keys it touches, and record keys are
    /// random, so callers should pass thousands of records at a time.
    pub fn insert_prepared(&mut self, blocks: &[PreparedBlock]) -> Result<InsertStats, StoreError> {
        self.insert_blocks(blocks).map_err(|source| self.error(source))
    }

    fn insert_blocks(&mut self, blocks: &[PreparedBlock]) -> rusqlite::Result<InsertStats> {
        let mut tenant_ids = TenantIds::default();
        for row in blocks.iter().flat_map(|block| &block.rows) {
            if tenant_ids.get(&row.tenant).is_none() {
                tenant_ids.insert(&row.tenant, self.tenant_id(&row.tenant)?);
            }
        }

        let result = insert_in_transaction(&mut self.connection, &mut self.keys, &mut tenant_ids, blocks);
        if result.is_err() {
            // The failed transaction was rolled back, but its keys are in the set.
            self.keys = None;
        }
        result
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
        let mut statement =
            self.connection.prepare("SELECT name FROM tenants ORDER BY name").map_err(|e| self.error(e))?;
        let names = statement
            .query_map([], |row| row.get::<_, String>(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.error(e))?;
        Ok(names.into_iter().map(TenantId).collect())
    }

    /// Calls `visit` with every event of `tenant` in time order (ties in the order they were stored), and
    /// stops early when `visit` returns `false`.
    pub fn for_each_event(&self, tenant: &TenantId, mut visit: impl FnMut(Event) -> bool) -> Result<(), StoreError> {
        self.for_each_row(tenant, i64::MIN, false, |row| Ok(visit(row.event()?)))
    }

    /// Calls `visit` with the store sequence number and the event of every event of `tenant` stored after
    /// sequence number `after`, in time order (ties in the order they were stored), and stops early when
    /// `visit` returns `false`.
    ///
    /// Sequence numbers grow with every insert. A reader that keeps the largest one it was given therefore
    /// reads next time exactly the events stored since, whatever their time, and misses no record that
    /// arrived late with a time before events already read. Blocks holding only older events are not decompressed.
    pub fn for_each_event_stored_after(
        &self,
        tenant: &TenantId,
        after: i64,
        mut visit: impl FnMut(i64, Event) -> bool,
    ) -> Result<(), StoreError> {
        self.for_each_row(tenant, after, false, |row| Ok(visit(row.seq, row.event()?)))
    }

    /// Calls `visit` with each event named by a store sequence number in `seqs`, in the order given, and
    /// stops early when `visit` returns `false`. Callers take the numbers from an index of events (see
    /// [`Store::for_each_event_stored_after`]); a number that names no stored event is an error.
    pub fn for_each_event_by_seq(
        &self,
        seqs: impl IntoIterator<Item = i64>,
        mut visit: impl FnMut(i64, Event) -> bool,
    ) -> Result<(), StoreError> {
        self.visit_rows(seqs.into_iter().map(Ok), false, |row| Ok(visit(row.seq, row.event()?)))
    }

    /// Calls `visit` with every record of `tenant`, the event and the raw record as read, in the order of
    /// [`Store::for_each_event`], and stops early when `visit` returns `false`.
    pub fn for_each_record(&self, tenant: &TenantId, mut visit: impl FnMut(Record) -> bool) -> Result<(), StoreError> {
        self.for_each_row(tenant, i64::MIN, true, |row| {
            let event = row.event()?;
            let raw = row.raw()?;
            Ok(visit(Record { event, raw }))
        })
    }

    /// Walks the rows of `tenant` stored after sequence number `after` in time order, decompressing each
    /// block once while it stays in the cache.
    fn for_each_row(
        &self,
        tenant: &TenantId,
        after: i64,
        with_raw: bool,
        visit: impl FnMut(StoredRow<'_>) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let mut statement = self.connection.prepare_cached(SELECT_EVENTS).map_err(|e| self.error(e))?;
        let mut rows = statement.query(params![tenant.as_str(), after]).map_err(|e| self.error(e))?;
        let seqs = std::iter::from_fn(|| match rows.next() {
            Ok(Some(row)) => Some(row.get(0).map_err(|e| self.error(e))),
            Ok(None) => None,
            Err(e) => Some(Err(self.error(e))),
        });
        self.visit_rows(seqs, with_raw, visit)
    }

    /// Calls `visit` with the row of each sequence number in turn, decompressing each block once while it
    /// stays in the cache.
    fn visit_rows(
        &self,
        seqs: impl IntoIterator<Item = Result<i64, StoreError>>,
        with_raw: bool,
        mut visit: impl FnMut(StoredRow<'_>) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let mut select_block = self
            .connection
            .prepare_cached(if with_raw { SELECT_BLOCK_WITH_RAW } else { SELECT_BLOCK })
            .map_err(|e| self.error(e))?;
        let mut decoder = Decoder::new().map_err(|source| StoreError::CorruptRow { seq: 0, block: 0, source })?;
        let mut cache = BlockCache::default();
        for seq in seqs {
            let seq = seq?;
            let (block, slot) = (seq / SLOTS_PER_BLOCK, seq % SLOTS_PER_BLOCK);
            if !cache.contains(block) {
                let loaded = self.load_block(&mut select_block, &mut decoder, seq, block, with_raw)?;
                cache.insert(loaded);
            }
            let cached = cache.get(block).expect("the block was just loaded");
            let stored = StoredRow { seq, block, slot, cached };
            if !visit(stored)? {
                break;
            }
        }
        Ok(())
    }

    /// Reads and decompresses one block.
    fn load_block(
        &self,
        select_block: &mut rusqlite::CachedStatement<'_>,
        decoder: &mut Decoder,
        seq: i64,
        block: i64,
        with_raw: bool,
    ) -> Result<CachedBlock, StoreError> {
        let corrupt = |source| StoreError::CorruptRow { seq, block, source };
        let missing = || corrupt(std::io::Error::new(std::io::ErrorKind::NotFound, "the block is missing"));
        let mut rows = select_block.query([block]).map_err(|e| self.error(e))?;
        let row = rows.next().map_err(|e| self.error(e))?.ok_or_else(missing)?;
        let frame =
            |index: usize| -> Result<Vec<u8>, StoreError> { row.get::<_, Vec<u8>>(index).map_err(|e| self.error(e)) };
        let events = decoder.decompress(&frame(0)?).map_err(corrupt)?;
        let raws = if with_raw { Some(decoder.decompress(&frame(1)?).map_err(corrupt)?) } else { None };
        Ok(CachedBlock { id: block, events, raws, last_used: 0 })
    }
}

/// The numeric ids of the tenants of one insert, with the last tenant looked up. Consecutive rows nearly
/// always share a tenant, and comparing with the last one costs less than hashing the name.
#[derive(Default)]
struct TenantIds<'b> {
    ids: HashMap<&'b TenantId, i64, foldhash::fast::RandomState>,
    last: Option<(&'b TenantId, i64)>,
}

impl<'b> TenantIds<'b> {
    fn get(&mut self, tenant: &'b TenantId) -> Option<i64> {
        if let Some((last, id)) = self.last
            && last == tenant
        {
            return Some(id);
        }
        let id = *self.ids.get(tenant)?;
        self.last = Some((tenant, id));
        Some(id)
    }

    fn insert(&mut self, tenant: &'b TenantId, id: i64) {
        self.ids.insert(tenant, id);
    }
}

/// Inserts the blocks' new records in one transaction and adds their keys to `keys`, loading the stored keys
/// first when `keys` is `None`. On error `keys` may hold keys that were not stored, and the caller drops it.
fn insert_in_transaction<'b>(
    connection: &mut Connection,
    keys: &mut Option<StoredKeys>,
    tenant_ids: &mut TenantIds<'b>,
    blocks: &'b [PreparedBlock],
) -> rusqlite::Result<InsertStats> {
    // The write lock is taken before the keys are brought up to date, so that no other connection stores a
    // block between the check and the inserts.
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let keys = StoredKeys::load(keys, &transaction)?;
    let mut stats = InsertStats::default();
    {
        let mut next_block: i64 =
            transaction.query_row("SELECT coalesce(max(id), 0) + 1 FROM blocks", [], |row| row.get(0))?;
        let mut insert_event = transaction.prepare_cached(INSERT_EVENT)?;
        let mut insert_full_block_events = transaction.prepare_cached(&INSERT_FULL_BLOCK_EVENTS)?;
        let mut insert_block = transaction.prepare_cached(INSERT_BLOCK)?;
        let mut insert_block_keys = transaction.prepare_cached(INSERT_BLOCK_KEYS)?;
        let mut is_new = Vec::with_capacity(BLOCK_RECORDS);
        let mut new_keys = Vec::with_capacity(BLOCK_RECORDS * KEY_LEN);
        for block in blocks {
            // A key that occurs twice among the blocks is new only at its first occurrence.
            is_new.clear();
            is_new.extend(block.rows.iter().map(|row| keys.keys.insert(row.key)));
            let inserted = is_new.iter().filter(|&&new| new).count();
            stats.inserted += inserted as u64;
            stats.duplicates += (block.rows.len() - inserted) as u64;
            if inserted == 0 {
                continue;
            }
            // A row's slot counts the new rows of its block before it, because the duplicates are
            // dropped from the block below.
            let new_rows = block.rows.iter().zip(&is_new).filter(|(_, new)| **new).map(|(row, _)| row);
            new_keys.clear();
            for row in new_rows.clone() {
                new_keys.extend_from_slice(&row.key);
            }
            let values = new_rows.enumerate().map(|(slot, row)| {
                let tenant_id = tenant_ids.get(&row.tenant).expect("every row's tenant was added above");
                (slot, [tenant_id, row.time_ms, next_block * SLOTS_PER_BLOCK + slot as i64])
            });
            if inserted == BLOCK_RECORDS {
                // One statement for all the rows of a full block saves SQLite starting a statement per row.
                for (slot, row_values) in values {
                    for (column, value) in row_values.into_iter().enumerate() {
                        insert_full_block_events.raw_bind_parameter(3 * slot + column + 1, value)?;
                    }
                }
                insert_full_block_events.raw_execute()?;
            } else {
                for (_, row_values) in values {
                    insert_event.execute(row_values)?;
                }
            }
            if inserted == block.rows.len() {
                insert_block.execute(params![next_block, block.events, block.raws])?;
            } else {
                let (events, raws) = block.retain(&is_new);
                insert_block.execute(params![next_block, events, raws])?;
            }
            insert_block_keys.execute(params![next_block, new_keys])?;
            keys.through_block = next_block;
            next_block += 1;
        }
    }
    transaction.commit()?;
    Ok(stats)
}

/// The deduplication keys of all stored records, kept in memory so that checking a record costs one hash
/// lookup instead of a B-tree insert.
///
/// NOTE: the set takes 19 to 39 bytes per stored record (17-byte hash table buckets, at most 7/8 full, in
/// powers of two). A store of 100 million records therefore needs about 2.3 GB from its first insert on,
/// and that insert reads every stored key.
struct StoredKeys {
    /// Hashed with foldhash, which costs less than SipHash per insert. The keys are already xxh3 hashes of
    /// the record ids, so they need no keyed hash to spread them.
    keys: HashSet<[u8; KEY_LEN], foldhash::fast::RandomState>,
    /// The largest block id whose keys are in `keys`. Block ids grow with every insert and blocks are never
    /// deleted, so the rows of `block_keys` after it are the blocks other connections stored since.
    through_block: i64,
}

impl StoredKeys {
    /// Loads the stored keys into `keys` when it is `None`, and adds those of blocks stored since by other
    /// connections. Callers hold the write lock, so no block can be added between this and their inserts.
    fn load<'k>(keys: &'k mut Option<StoredKeys>, connection: &Connection) -> rusqlite::Result<&'k mut StoredKeys> {
        let stored_keys = match keys {
            Some(stored_keys) => stored_keys,
            None => {
                let mut stored_keys = StoredKeys { keys: HashSet::default(), through_block: 0 };
                // Rows of stores migrated from schema version 4, which kept one row per record.
                let mut select = connection.prepare("SELECT key FROM record_keys")?;
                let mut rows = select.query([])?;
                while let Some(row) = rows.next()? {
                    let key = row.get_ref(0)?.as_blob()?;
                    stored_keys.add(key, 0)?;
                }
                keys.insert(stored_keys)
            }
        };
        let mut select = connection.prepare_cached(SELECT_BLOCK_KEYS)?;
        let mut rows = select.query([stored_keys.through_block])?;
        while let Some(row) = rows.next()? {
            let block: i64 = row.get(0)?;
            stored_keys.add(row.get_ref(1)?.as_blob()?, block)?;
            stored_keys.through_block = block;
        }
        Ok(stored_keys)
    }

    /// Adds the keys in `bytes`, [`KEY_LEN`] bytes each, stored with `block` (0 for `record_keys`).
    fn add(&mut self, bytes: &[u8], block: i64) -> rusqlite::Result<()> {
        if bytes.len() % KEY_LEN != 0 {
            let message = format!(
                "the deduplication keys of block {block} are {} bytes long, not a multiple of {KEY_LEN}; \
                 the database is damaged",
                bytes.len()
            );
            let source = std::io::Error::new(std::io::ErrorKind::InvalidData, message);
            return Err(rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Blob, Box::new(source)));
        }
        self.keys.reserve(bytes.len() / KEY_LEN);
        for key in bytes.chunks_exact(KEY_LEN) {
            self.keys.insert(key.try_into().expect("chunks_exact returns KEY_LEN bytes"));
        }
        Ok(())
    }
}

/// The decompressed blocks a reader keeps, evicting the least recently used.
///
/// NOTE: when the rows of more than [`BLOCK_CACHE`] blocks interleave in time, as when many input files
/// cover the same hours, a read decompresses some blocks more than once.
#[derive(Default)]
struct BlockCache {
    blocks: HashMap<i64, CachedBlock>,
    /// Counts lookups, so that each block's `last_used` orders the blocks by their last use.
    clock: u64,
}

impl BlockCache {
    fn contains(&self, id: i64) -> bool {
        self.blocks.contains_key(&id)
    }

    fn get(&mut self, id: i64) -> Option<&CachedBlock> {
        self.clock += 1;
        let block = self.blocks.get_mut(&id)?;
        block.last_used = self.clock;
        Some(block)
    }

    fn insert(&mut self, block: CachedBlock) {
        if self.blocks.len() >= BLOCK_CACHE {
            let oldest = self.blocks.values().min_by_key(|cached| cached.last_used).map(|cached| cached.id);
            if let Some(oldest) = oldest {
                self.blocks.remove(&oldest);
            }
        }
        self.blocks.insert(block.id, block);
    }
}

/// A decompressed block in a reader's cache.
struct CachedBlock {
    id: i64,
    events: Section,
    raws: Option<Section>,
    last_used: u64,
}

/// One stored row as a reader walks them, with its decompressed block.
struct StoredRow<'a> {
    seq: i64,
    block: i64,
    slot: i64,
    cached: &'a CachedBlock,
}

impl StoredRow<'_> {
    fn value<'s>(&self, section: &'s Section) -> Result<&'s [u8], StoreError> {
        usize::try_from(self.slot).ok().and_then(|slot| section.get(slot)).ok_or(StoreError::MissingSlot {
            seq: self.seq,
            block: self.block,
            slot: self.slot,
        })
    }

    fn event(&self) -> Result<Event, StoreError> {
        let bytes = self.value(&self.cached.events)?;
        decode_event(bytes).map_err(|source| StoreError::CorruptEvent { seq: self.seq, source })
    }

    fn raw(&self) -> Result<String, StoreError> {
        let raws = self.cached.raws.as_ref().expect("blocks are loaded with raw records for this walk");
        let raw = self.value(raws)?;
        String::from_utf8(raw.to_vec()).map_err(|_| StoreError::CorruptRow {
            seq: self.seq,
            block: self.block,
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, "the raw record is not valid UTF-8"),
        })
    }
}

/// The values of one record's row, besides its block and slot, and what a replay summary counts.
#[derive(Clone, Debug)]
pub struct PreparedRow {
    pub tenant: TenantId,
    key: [u8; KEY_LEN],
    pub time_ms: i64,
    pub kind: &'static str,
    pub format: &'static str,
}

/// A block of records turned into rows and compressed frames, ready to insert.
///
/// Preparing serialises and compresses the events and raw records and hashes the keys, the costly part of
/// storing, so reader threads can do it in parallel and leave only the inserts to the single writer.
#[derive(Clone, Debug)]
pub struct PreparedBlock {
    rows: Vec<PreparedRow>,
    /// The events in MessagePack, one section compressed.
    events: Vec<u8>,
    /// The raw records, one section compressed.
    raws: Vec<u8>,
}

impl PreparedBlock {
    pub fn rows(&self) -> &[PreparedRow] {
        &self.rows
    }

    /// Recompresses the block with only the records whose `keep` flag is set, in order.
    fn retain(&self, keep: &[bool]) -> (Vec<u8>, Vec<u8>) {
        let mut decoder = Decoder::new().expect("zstd creates a decompression context");
        let mut recompress = |frame: &[u8]| {
            let section = decoder.decompress(frame).expect("a frame this process compressed decompresses");
            let mut kept = SectionBuilder::default();
            for (value, _) in section.values().zip(keep).filter(|(_, keep)| **keep) {
                kept.push(value);
            }
            kept.compress()
        };
        let events = recompress(&self.events);
        let raws = recompress(&self.raws);
        (events, raws)
    }
}

/// Gathers records into a block, serialising each event as it is added.
#[derive(Debug, Default)]
pub struct BlockBuilder {
    rows: Vec<PreparedRow>,
    events: SectionBuilder,
    raws: SectionBuilder,
}

impl BlockBuilder {
    pub fn new() -> BlockBuilder {
        BlockBuilder::default()
    }

    /// Returns whether the block has [`BLOCK_RECORDS`] records.
    pub fn is_full(&self) -> bool {
        self.rows.len() >= BLOCK_RECORDS
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Adds a record. Callers finish the block once [`BlockBuilder::is_full`] returns `true`.
    pub fn push(&mut self, record: Record) {
        let Record { event, raw } = record;
        self.push_event(event, &raw);
    }

    /// Adds an event and its raw record, like [`BlockBuilder::push`] without a [`Record`] to own the raw
    /// record.
    pub fn push_event(&mut self, event: Event, raw: &str) {
        encode_event(&event, self.events.data());
        self.events.end_value();
        self.raws.push(raw.as_bytes());

        self.rows.push(PreparedRow {
            key: record_key(&event.tenant, &event.record_id),
            time_ms: event.time.as_millisecond(),
            kind: event.kind(),
            format: event.format.as_str(),
            tenant: event.tenant,
        });
    }

    /// Compresses the records added since the last call into a block, or returns `None` when there are none.
    pub fn finish(&mut self) -> Option<PreparedBlock> {
        if self.rows.is_empty() {
            return None;
        }
        debug_assert_eq!(self.events.len(), self.rows.len());
        let block = PreparedBlock {
            rows: std::mem::replace(&mut self.rows, Vec::with_capacity(BLOCK_RECORDS)),
            events: self.events.compress(),
            raws: self.raws.compress(),
        };
        self.events.clear();
        self.raws.clear();
        Some(block)
    }
}

/// Appends an event in MessagePack to `out`.
///
/// Structs are written as maps with field names, because `Activity` is an internally tagged enum and many
/// fields are skipped when empty, which a format that writes structs as arrays cannot read back. Both sides
/// use the human-readable forms (addresses and timestamps as text), because serde (1.0.229) reads the fields
/// of an internally tagged enum through a buffered deserializer that reports itself as human-readable. MessagePack takes less CPU to write
/// than JSON, which escapes every string, and gives zstd less to compress.
fn encode_event(event: &Event, out: &mut Vec<u8>) {
    let mut serializer = rmp_serde::Serializer::new(out).with_struct_map().with_human_readable();
    event.serialize(&mut serializer).expect("events serialise to MessagePack");
}

/// Reads an event that [`encode_event`] wrote.
fn decode_event(bytes: &[u8]) -> Result<Event, rmp_serde::decode::Error> {
    let mut deserializer = rmp_serde::Deserializer::from_read_ref(bytes).with_human_readable();
    Event::deserialize(&mut deserializer)
}

/// Hashes a tenant and record id into the 16-byte deduplication key.
fn record_key(tenant: &TenantId, record_id: &str) -> [u8; KEY_LEN] {
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
CREATE TABLE tenants (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE blocks (
    id INTEGER PRIMARY KEY,
    events BLOB NOT NULL,
    raws BLOB NOT NULL
);
-- One row per record, clustered by tenant and time so that reads in time order scan the table.
-- seq is the block id times 256 plus the record's slot in the block, which also orders the records by
-- when they were stored.
CREATE TABLE events (
    tenant_id INTEGER NOT NULL,
    time_ms INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, time_ms, seq)
) WITHOUT ROWID;
-- The deduplication keys of the records of each block, 16 bytes each in slot order.
CREATE TABLE block_keys (
    block INTEGER PRIMARY KEY,
    keys BLOB NOT NULL
);
-- The deduplication keys of records stored by schema version 4, which kept one row per record. New stores
-- leave it empty.
CREATE TABLE record_keys (
    key BLOB PRIMARY KEY
) WITHOUT ROWID;
PRAGMA user_version = 5;
COMMIT;
";

/// Moves a version 4 store to version 5. Its `record_keys` rows stay, as the keys of the records stored
/// before, and new blocks keep their keys in `block_keys`. The write lock makes a second process that opens
/// the same store at once wait, and then find the table already there.
const MIGRATE_4_TO_5: &str = "
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS block_keys (
    block INTEGER PRIMARY KEY,
    keys BLOB NOT NULL
);
PRAGMA user_version = 5;
COMMIT;
";

const INSERT_EVENT: &str = "
INSERT INTO events (tenant_id, time_ms, seq) VALUES (?1, ?2, ?3)";

/// Inserts the rows of a full block: [`INSERT_EVENT`] with [`BLOCK_RECORDS`] rows of values.
static INSERT_FULL_BLOCK_EVENTS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let values = vec!["(?, ?, ?)"; BLOCK_RECORDS].join(", ");
    format!("INSERT INTO events (tenant_id, time_ms, seq) VALUES {values}")
});

const INSERT_BLOCK_KEYS: &str = "INSERT INTO block_keys (block, keys) VALUES (?1, ?2)";

const SELECT_BLOCK_KEYS: &str = "SELECT block, keys FROM block_keys WHERE block > ?1 ORDER BY block";

const INSERT_BLOCK: &str = "INSERT INTO blocks (id, events, raws) VALUES (?1, ?2, ?3)";

const SELECT_EVENTS: &str = "
SELECT seq FROM events
WHERE tenant_id = (SELECT id FROM tenants WHERE name = ?1) AND seq > ?2
ORDER BY time_ms, seq";

const SELECT_BLOCK: &str = "SELECT events FROM blocks WHERE id = ?1";

const SELECT_BLOCK_WITH_RAW: &str = "SELECT events, raws FROM blocks WHERE id = ?1";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_size_is_set() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.set_cache_mebibytes(1).unwrap();

        let kibibytes: i64 = store.connection.pragma_query_value(None, "cache_size", |row| row.get(0)).unwrap();

        assert_eq!(kibibytes, -1024);
    }
}
