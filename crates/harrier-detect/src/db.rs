//! The analysis database: breaches, incidents and the engine state of each tenant.
//!
//! It sits beside the event store in the data directory (`analysis.sqlite`). Breaches and incidents are kept
//! as JSON with the columns listings filter on. The engine state is one serialised blob per tenant. It is
//! written in the same transaction as the breaches and incidents it produced, so a crash never separates them.

use std::path::{Path, PathBuf};

use harrier_model::TenantId;
use rusqlite::{Connection, OptionalExtension, params};

use crate::breach::Breach;
use crate::engine::TenantState;
use crate::incident::Incident;

pub const DATABASE_FILE: &str = "analysis.sqlite";

/// The state blob's format version; a blob of another version is discarded and the tenant relearned.
const STATE_VERSION: i64 = 2;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database {}: {source}", path.display())]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error("database {}: stored {what} is not valid: {message}", path.display())]
    Corrupt { path: PathBuf, what: String, message: String },
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
        let connection = Connection::open(&path).map_err(sqlite)?;
        connection.pragma_update(None, "journal_mode", "WAL").map_err(sqlite)?;
        connection.pragma_update(None, "synchronous", "NORMAL").map_err(sqlite)?;
        connection.execute_batch(SCHEMA).map_err(sqlite)?;
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

    /// Saves a tenant's state with the breaches and incidents produced since the last save, atomically.
    pub fn save(
        &mut self,
        tenant: &TenantId,
        state: &TenantState,
        breaches: &[Breach],
        incidents: &[Incident],
    ) -> Result<(), DbError> {
        let blob = postcard::to_stdvec(state).expect("engine state serialises");
        self.write(tenant, &blob, breaches, incidents).map_err(|e| self.error(e))
    }

    fn write(&mut self, tenant: &TenantId, blob: &[u8], breaches: &[Breach], incidents: &[Incident]) -> rusqlite::Result<()> {
        let transaction = self.connection.transaction()?;
        {
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
            }
            transaction.execute(
                "INSERT OR REPLACE INTO tenant_state (tenant, version, state) VALUES (?1, ?2, ?3)",
                params![tenant.as_str(), STATE_VERSION, blob],
            )?;
        }
        transaction.commit()
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

    pub fn breach(&self, id: &str) -> Result<Option<Breach>, DbError> {
        Ok(self.query_json("SELECT json FROM breaches WHERE id = ?1", [id], "breach")?.into_iter().next())
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

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tenant_state (
    tenant TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    state BLOB NOT NULL
);
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
";

const INSERT_BREACH: &str = "
INSERT OR REPLACE INTO breaches (id, tenant, user, time_ms, model_id, score, json)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

const UPSERT_INCIDENT: &str = "
INSERT OR REPLACE INTO incidents (id, tenant, user, first_ms, last_ms, score, severity, json)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
