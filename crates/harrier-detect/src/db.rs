//! The analysis database: breaches, incidents and the engine state of each tenant.
//!
//! It sits beside the event store in the data directory (`analysis.sqlite`). Breaches and incidents are kept
//! as JSON with the columns listings filter on. The engine state is one serialised blob per tenant. It is
//! written in the same transaction as the breaches and incidents it produced, so a crash never separates them.
//!
//! Every breach written and every incident opened or changed also appends a row to the findings log, whose
//! sequence numbers only grow. Exporters keep the last sequence number they delivered and read on from
//! there, so they see each change once and in the order it was made.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use harrier_mail::analysis::ReportModel;
use harrier_mail::analysis::reported::Label;
use harrier_model::TenantId;
use rusqlite::{Connection, OptionalExtension, params};

use crate::breach::Breach;
use crate::engine::TenantState;
use crate::incident::Incident;
use crate::index::{IndexBatch, IndexKey, IndexedEvents};

pub const DATABASE_FILE: &str = "analysis.sqlite";

/// The state blob's format version; a blob of another version is discarded and the tenant relearned.
const STATE_VERSION: i64 = 4;
/// Format version of the saved [`ReportModel`]s; a model of another version is not read.
const REPORT_MODEL_VERSION: i64 = 1;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database {}: {source}", path.display())]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error("database {}: stored {what} is not valid: {message}", path.display())]
    Corrupt { path: PathBuf, what: String, message: String },
}

/// Whether a findings log entry names a breach or an incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindingKind {
    Breach,
    Incident,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Breach => "breach",
            FindingKind::Incident => "incident",
        }
    }
}

/// A breach or an incident.
#[derive(Clone, Debug, PartialEq)]
pub enum Finding {
    Breach(Breach),
    Incident(Incident),
}

impl Finding {
    pub fn kind(&self) -> FindingKind {
        match self {
            Finding::Breach(_) => FindingKind::Breach,
            Finding::Incident(_) => FindingKind::Incident,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Finding::Breach(breach) => &breach.id,
            Finding::Incident(incident) => &incident.id,
        }
    }
}

/// One entry of the findings log.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// The entry's sequence number.
    pub seq: u64,
    /// The sequence number of the first entry for the same finding: equal to `seq` when this entry created
    /// it.
    pub first_seq: u64,
    /// The incident the finding belongs to: for a breach, the incident it was chained into, if any; for an
    /// incident, itself.
    pub incident: Option<String>,
    /// The finding as it is now, which may be newer than at the time of this entry.
    pub finding: Finding,
}

pub struct AnalysisDb {
    path: PathBuf,
    connection: Connection,
}

impl AnalysisDb {
    pub fn open(data_dir: &Path) -> Result<AnalysisDb, DbError> {
        let path = data_dir.join(DATABASE_FILE);
        let sqlite = |source| DbError::Sqlite { path: path.clone(), source };
        std::fs::create_dir_all(data_dir)
            .map_err(|e| sqlite(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
        let mut connection = Connection::open(&path).map_err(sqlite)?;
        connection.pragma_update(None, "journal_mode", "WAL").map_err(sqlite)?;
        connection.pragma_update(None, "synchronous", "NORMAL").map_err(sqlite)?;
        connection.execute_batch(SCHEMA).map_err(sqlite)?;
        // The check and the backfill share one immediate transaction, so two processes opening an older
        // database together backfill it once.
        let transaction =
            connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(sqlite)?;
        let log_empty: bool =
            transaction.query_row("SELECT NOT EXISTS (SELECT 1 FROM findings_log)", [], |r| r.get(0)).map_err(sqlite)?;
        if log_empty {
            transaction.execute_batch(BACKFILL_LOG).map_err(sqlite)?;
        }
        transaction.commit().map_err(sqlite)?;
        Ok(AnalysisDb { path, connection })
    }

    fn error(&self, source: rusqlite::Error) -> DbError {
        DbError::Sqlite { path: self.path.clone(), source }
    }

    /// Loads a tenant's engine state; a fresh state when none was saved or the saved one is of another
    /// format version.
    pub fn load_state(&self, tenant: &TenantId) -> Result<TenantState, DbError> {
        let row: Option<(i64, Vec<u8>)> = self
            .connection
            .query_row("SELECT version, state FROM tenant_state WHERE tenant = ?1", [tenant.as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(|e| self.error(e))?;
        match row {
            Some((STATE_VERSION, blob)) => postcard::from_bytes(&blob).map_err(|e| DbError::Corrupt {
                path: self.path.clone(),
                what: format!("state of tenant {tenant}"),
                message: e.to_string(),
            }),
            _ => Ok(TenantState::default()),
        }
    }

    /// Loads the words a tenant's analysts taught the engine; `None` when nothing was learned or the
    /// saved model is of another format version.
    pub fn load_report_model(&self, tenant: &TenantId) -> Result<Option<ReportModel>, DbError> {
        load_model(&self.connection, &self.path, tenant)
    }

    /// Reads the words a tenant's analysts taught the engine, without writing to the data directory. Returns
    /// `None` when the analysis database is missing, has no words for the tenant, or has another version.
    pub fn read_report_model(data_dir: &Path, tenant: &TenantId) -> Result<Option<ReportModel>, DbError> {
        let path = data_dir.join(DATABASE_FILE);
        if !path.exists() {
            return Ok(None);
        }
        let sqlite = |source| DbError::Sqlite { path: path.clone(), source };
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(&path, flags).map_err(sqlite)?;
        let has_table: bool = connection
            .query_row("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'report_model')", [], |r| r.get(0))
            .map_err(sqlite)?;
        if !has_table {
            return Ok(None);
        }
        load_model(&connection, &path, tenant)
    }

    /// Saves the words a tenant's analysts taught the engine in place of the ones saved before, and drops
    /// the index of the messages the old words came from.
    pub fn save_report_model(&mut self, tenant: &TenantId, model: &ReportModel) -> Result<(), DbError> {
        let mut update = self.begin_model_update(tenant, true)?;
        update.model = model.clone();
        update.commit()
    }

    /// Starts a change to a tenant's learned words. The database stays locked for writing until the
    /// update is committed or dropped, so two runs at once cannot lose each other's messages. With
    /// `reset`, or when no model of this version was saved, the update starts from an empty model.
    pub fn begin_model_update(&mut self, tenant: &TenantId, reset: bool) -> Result<ModelUpdate<'_>, DbError> {
        let path = self.path.clone();
        let sqlite = |source| DbError::Sqlite { path: path.clone(), source };
        let transaction = self.connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(sqlite)?;
        let model = if reset { None } else { load_model(&transaction, &path, tenant)? };
        if model.is_none() {
            // The index describes the model it was saved with; without that model it describes nothing.
            transaction.execute("DELETE FROM report_messages WHERE tenant = ?1", [tenant.as_str()]).map_err(sqlite)?;
        }
        let model = model.unwrap_or_default();
        let indexed: i64 = transaction
            .query_row("SELECT COUNT(*) FROM report_messages WHERE tenant = ?1", [tenant.as_str()], |r| r.get(0))
            .map_err(sqlite)?;
        let learned = u64::from(model.messages(Label::Reported)) + u64::from(model.messages(Label::Legitimate));
        let unindexed = learned.saturating_sub(indexed as u64);
        Ok(ModelUpdate { transaction, path, tenant: tenant.clone(), model, unindexed, changes: HashMap::new() })
    }

    /// Saves a tenant's state with the breaches, incidents and event index entries produced since the last
    /// save, atomically.
    pub fn save(
        &mut self,
        tenant: &TenantId,
        state: &TenantState,
        breaches: &[Breach],
        incidents: &[Incident],
        index: &mut IndexBatch,
    ) -> Result<(), DbError> {
        let blob = postcard::to_stdvec(state).expect("engine state serialises");
        self.write(tenant, &blob, state.cursor.stored_seq, breaches, incidents, index).map_err(|e| self.error(e))
    }

    fn write(
        &mut self,
        tenant: &TenantId,
        blob: &[u8],
        stored_seq: i64,
        breaches: &[Breach],
        incidents: &[Incident],
        index: &mut IndexBatch,
    ) -> rusqlite::Result<()> {
        let transaction = self.connection.transaction()?;
        {
            let mut insert_entry = transaction.prepare_cached(INSERT_INDEX_ENTRY)?;
            for &(key, time_ms, seq) in index.sorted() {
                insert_entry.execute(params![key, time_ms, seq])?;
            }
            transaction.execute(
                "INSERT OR REPLACE INTO event_index_progress (tenant, stored_seq) VALUES (?1, ?2)",
                params![tenant.as_str(), stored_seq],
            )?;

            let mut append_log = transaction.prepare_cached(APPEND_LOG)?;
            let mut link_breach = transaction.prepare_cached(LINK_BREACH)?;
            let mut insert_breach = transaction.prepare_cached(INSERT_BREACH)?;
            for breach in breaches {
                let json = serde_json::to_string(breach).expect("breaches serialise");
                insert_breach.execute(params![
                    breach.id,
                    breach.tenant.as_str(),
                    breach.user,
                    breach.time.as_millisecond(),
                    breach.model_id,
                    breach.score,
                    json
                ])?;
                append_log.execute(params![FindingKind::Breach.as_str(), breach.id])?;
            }
            let mut upsert_incident = transaction.prepare_cached(UPSERT_INCIDENT)?;
            for incident in incidents {
                let json = serde_json::to_string(incident).expect("incidents serialise");
                upsert_incident.execute(params![
                    incident.id,
                    incident.tenant.as_str(),
                    incident.user,
                    incident.first.as_millisecond(),
                    incident.last.as_millisecond(),
                    incident.score,
                    incident.severity.as_str(),
                    json
                ])?;
                append_log.execute(params![FindingKind::Incident.as_str(), incident.id])?;
                for breach_id in &incident.breaches {
                    link_breach.execute(params![breach_id, incident.id])?;
                }
            }
            transaction.execute(
                "INSERT OR REPLACE INTO tenant_state (tenant, version, state) VALUES (?1, ?2, ?3)",
                params![tenant.as_str(), STATE_VERSION, blob],
            )?;
        }
        transaction.commit()
    }

    /// Returns the store sequence numbers of `tenant`'s events under `key`, in time order, and how far the
    /// index reaches.
    pub fn indexed_events(&self, tenant: &TenantId, key: IndexKey<'_>) -> Result<IndexedEvents, DbError> {
        let through: i64 = self
            .connection
            .query_row("SELECT stored_seq FROM event_index_progress WHERE tenant = ?1", [tenant.as_str()], |r| r.get(0))
            .optional()
            .map_err(|e| self.error(e))?
            .unwrap_or(0);
        let mut statement = self.connection.prepare_cached(SELECT_INDEX_ENTRIES).map_err(|e| self.error(e))?;
        let seqs = statement
            .query_map(params![key.hash(tenant), through], |row| row.get(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<i64>>>())
            .map_err(|e| self.error(e))?;
        Ok(IndexedEvents { seqs, through })
    }

    /// Lists incidents, newest first.
    pub fn incidents(&self) -> Result<Vec<Incident>, DbError> {
        self.query_json("SELECT json FROM incidents ORDER BY last_ms DESC, id", [], "incident")
    }

    pub fn incident(&self, id: &str) -> Result<Option<Incident>, DbError> {
        Ok(self.query_json("SELECT json FROM incidents WHERE id = ?1", [id], "incident")?.into_iter().next())
    }

    /// Lists breaches, oldest first.
    pub fn breaches(&self) -> Result<Vec<Breach>, DbError> {
        self.query_json("SELECT json FROM breaches ORDER BY time_ms, id", [], "breach")
    }

    /// Returns the breaches with the given ids that exist, in the order given.
    pub fn breaches_by_id<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Result<Vec<Breach>, DbError> {
        let mut found = Vec::new();
        for id in ids {
            found.extend(self.breach(id)?);
        }
        Ok(found)
    }

    pub fn breach(&self, id: &str) -> Result<Option<Breach>, DbError> {
        Ok(self.query_json("SELECT json FROM breaches WHERE id = ?1", [id], "breach")?.into_iter().next())
    }

    /// Returns the sequence number of the latest entry in the findings log, 0 when it is empty.
    pub fn last_change(&self) -> Result<u64, DbError> {
        self.connection
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM findings_log", [], |row| row.get::<_, i64>(0))
            .map(|seq| seq as u64)
            .map_err(|e| self.error(e))
    }

    /// Returns up to `limit` entries of the findings log after sequence number `after`, in order, each with
    /// the breach or incident as it is now. An incident changed several times appears once per change, each
    /// time in its current state.
    pub fn changes_after(&self, after: u64, limit: usize) -> Result<Vec<Change>, DbError> {
        let mut statement = self.connection.prepare_cached(CHANGES_AFTER).map_err(|e| self.error(e))?;
        type Row = (i64, String, i64, Option<String>, Option<String>);
        let rows: Vec<Row> = statement
            .query_map(params![after as i64, limit as i64], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?))
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))?;
        let mut changes = Vec::with_capacity(rows.len());
        for (seq, kind, first_seq, json, incident) in rows {
            let corrupt = |message: String| DbError::Corrupt {
                path: self.path.clone(),
                what: format!("findings log entry {seq}"),
                message,
            };
            let json = json.ok_or_else(|| corrupt(format!("the {kind} it names is missing")))?;
            let finding = match kind.as_str() {
                "breach" => Finding::Breach(serde_json::from_str(&json).map_err(|e| corrupt(e.to_string()))?),
                "incident" => Finding::Incident(serde_json::from_str(&json).map_err(|e| corrupt(e.to_string()))?),
                other => return Err(corrupt(format!("unknown kind {other:?}"))),
            };
            changes.push(Change { seq: seq as u64, first_seq: first_seq as u64, incident, finding });
        }
        Ok(changes)
    }

    fn query_json<T: serde::de::DeserializeOwned, P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
        what: &str,
    ) -> Result<Vec<T>, DbError> {
        let mut statement = self.connection.prepare(sql).map_err(|e| self.error(e))?;
        let texts: Vec<String> = statement
            .query_map(params, |row| row.get(0))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))?;
        texts
            .iter()
            .map(|text| {
                serde_json::from_str(text).map_err(|e| DbError::Corrupt {
                    path: self.path.clone(),
                    what: what.to_owned(),
                    message: e.to_string(),
                })
            })
            .collect()
    }
}

/// A change to a tenant's learned words, made under the database's write lock from loading to saving.
pub struct ModelUpdate<'a> {
    transaction: rusqlite::Transaction<'a>,
    path: PathBuf,
    tenant: TenantId,
    /// The model as loaded, with the changes made so far.
    pub model: ReportModel,
    /// Messages the loaded model counts that the message index does not know: learned before the index
    /// was kept. They count again when learned again, and cannot be moved or taken back.
    pub unindexed: u64,
    /// Messages learned or taken back in this update, by key, with their label now.
    changes: HashMap<[u8; 16], Option<Label>>,
}

impl ModelUpdate<'_> {
    /// Returns the label the message with [`message_key`] `key` is learned with, if it is.
    ///
    /// [`message_key`]: harrier_mail::analysis::reported::message_key
    pub fn label(&self, key: &[u8; 16]) -> Result<Option<Label>, DbError> {
        if let Some(label) = self.changes.get(key) {
            return Ok(*label);
        }
        let code: Option<i64> = self
            .transaction
            .prepare_cached("SELECT label FROM report_messages WHERE tenant = ?1 AND key = ?2")
            .and_then(|mut statement| statement.query_row(params![self.tenant.as_str(), key.as_slice()], |r| r.get(0)).optional())
            .map_err(|source| DbError::Sqlite { path: self.path.clone(), source })?;
        Ok(code.and_then(label_of_code))
    }

    /// Records that the message with `key` is now learned with `label`, or taken back with `None`.
    pub fn set_label(&mut self, key: [u8; 16], label: Option<Label>) {
        self.changes.insert(key, label);
    }

    /// Saves the model and the changed messages, and releases the lock.
    pub fn commit(self) -> Result<(), DbError> {
        let sqlite = |source| DbError::Sqlite { path: self.path.clone(), source };
        let blob = postcard::to_stdvec(&self.model).expect("a word model serialises");
        let tenant = self.tenant.as_str();
        self.transaction
            .execute(
                "INSERT OR REPLACE INTO report_model (tenant, version, model) VALUES (?1, ?2, ?3)",
                params![tenant, REPORT_MODEL_VERSION, blob],
            )
            .map_err(sqlite)?;
        {
            let mut upsert = self
                .transaction
                .prepare("INSERT OR REPLACE INTO report_messages (tenant, key, label) VALUES (?1, ?2, ?3)")
                .map_err(sqlite)?;
            let mut delete =
                self.transaction.prepare("DELETE FROM report_messages WHERE tenant = ?1 AND key = ?2").map_err(sqlite)?;
            for (key, label) in &self.changes {
                match label {
                    Some(label) => upsert.execute(params![tenant, key.as_slice(), code_of_label(*label)]),
                    None => delete.execute(params![tenant, key.as_slice()]),
                }
                .map_err(sqlite)?;
            }
        }
        self.transaction.commit().map_err(sqlite)
    }
}

/// Loads a tenant's saved model; `None` when none was saved or it is of another format version.
fn load_model(connection: &Connection, path: &Path, tenant: &TenantId) -> Result<Option<ReportModel>, DbError> {
    let row: Option<(i64, Vec<u8>)> = connection
        .query_row("SELECT version, model FROM report_model WHERE tenant = ?1", [tenant.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(|source| DbError::Sqlite { path: path.to_path_buf(), source })?;
    match row {
        Some((REPORT_MODEL_VERSION, blob)) => postcard::from_bytes(&blob).map(Some).map_err(|e| DbError::Corrupt {
            path: path.to_path_buf(),
            what: format!("learned words of tenant {tenant}"),
            message: e.to_string(),
        }),
        _ => Ok(None),
    }
}

/// Returns the code of a label in `report_messages`.
fn code_of_label(label: Label) -> i64 {
    match label {
        Label::Reported => 1,
        Label::Legitimate => 2,
    }
}

/// Returns the label of a code in `report_messages`; `None` for a code this version does not know.
fn label_of_code(code: i64) -> Option<Label> {
    match code {
        1 => Some(Label::Reported),
        2 => Some(Label::Legitimate),
        _ => None,
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tenant_state (
    tenant TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    state BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS report_model (
    tenant TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    model BLOB NOT NULL
);
-- The messages each tenant's model has learned, by the key of their words, and the label each was learned
-- with (1 reported, 2 legitimate), so that a message is counted once and can be moved or taken back.
CREATE TABLE IF NOT EXISTS report_messages (
    tenant TEXT NOT NULL,
    key BLOB NOT NULL,
    label INTEGER NOT NULL,
    PRIMARY KEY (tenant, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS breaches (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    user TEXT,
    time_ms INTEGER NOT NULL,
    model_id TEXT NOT NULL,
    score REAL NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS breaches_by_time ON breaches (tenant, time_ms);
CREATE TABLE IF NOT EXISTS incidents (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    user TEXT,
    first_ms INTEGER NOT NULL,
    last_ms INTEGER NOT NULL,
    score REAL NOT NULL,
    severity TEXT NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_by_time ON incidents (tenant, last_ms);
CREATE TABLE IF NOT EXISTS findings_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS findings_log_by_id ON findings_log (kind, id, seq);
-- The store sequence numbers of each tenant's events by user and kind, in time order, so that pages on one
-- user or on messages read only those events from the store.
-- key is a 64-bit hash of the tenant and the user or kind.
CREATE TABLE IF NOT EXISTS event_index (
    key INTEGER NOT NULL,
    time_ms INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (key, time_ms, seq)
) WITHOUT ROWID;
-- The largest store sequence number each tenant's index covers.
CREATE TABLE IF NOT EXISTS event_index_progress (
    tenant TEXT PRIMARY KEY,
    stored_seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS incident_breaches (
    breach_id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL
) WITHOUT ROWID;
";

/// Fills the findings log from a database written before the log existed, breaches before incidents and each
/// in time order, so exporters see those findings too.
const BACKFILL_LOG: &str = "
INSERT OR IGNORE INTO incident_breaches (breach_id, incident_id)
SELECT j.value, i.id FROM incidents i, json_each(i.json, '$.breaches') j;
INSERT INTO findings_log (kind, id) SELECT 'breach', id FROM breaches ORDER BY time_ms, id;
INSERT INTO findings_log (kind, id) SELECT 'incident', id FROM incidents ORDER BY last_ms, id;
";

const INSERT_INDEX_ENTRY: &str = "INSERT OR IGNORE INTO event_index (key, time_ms, seq) VALUES (?1, ?2, ?3)";

/// Entries up to the progress mark only, since readers take the events stored after it from the store, and
/// an event must not be read twice.
const SELECT_INDEX_ENTRIES: &str = "
SELECT seq FROM event_index WHERE key = ?1 AND seq <= ?2 ORDER BY time_ms, seq";

const LINK_BREACH: &str = "INSERT OR IGNORE INTO incident_breaches (breach_id, incident_id) VALUES (?1, ?2)";

const APPEND_LOG: &str = "INSERT INTO findings_log (kind, id) VALUES (?1, ?2)";

/// Log entries after a sequence number, with the current JSON of what each names and the sequence number of
/// the first entry for the same finding.
const CHANGES_AFTER: &str = "
SELECT l.seq, l.kind,
       (SELECT MIN(f.seq) FROM findings_log f WHERE f.kind = l.kind AND f.id = l.id),
       CASE l.kind WHEN 'breach' THEN (SELECT json FROM breaches b WHERE b.id = l.id)
                   ELSE (SELECT json FROM incidents i WHERE i.id = l.id) END,
       CASE l.kind WHEN 'breach' THEN (SELECT incident_id FROM incident_breaches ib WHERE ib.breach_id = l.id)
                   ELSE l.id END
FROM findings_log l
WHERE l.seq > ?1
ORDER BY l.seq
LIMIT ?2";

const INSERT_BREACH: &str = "
INSERT OR REPLACE INTO breaches (id, tenant, user, time_ms, model_id, score, json)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

const UPSERT_INCIDENT: &str = "
INSERT OR REPLACE INTO incidents (id, tenant, user, first_ms, last_ms, score, severity, json)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
