//! Read-only queries of the analysis database for the API, with the service database attached so
//! incident listings filter and sort on the analyst's status and assignee in SQL.
//!
//! Each request opens its own read-only connection: SQLite in WAL mode lets it read while analysis writes.
//! The queries read the columns `harrier_detect::AnalysisDb` writes (`incidents`, `breaches`).

use std::path::{Path, PathBuf};

use harrier_detect::{Breach, Incident};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::auth::Scope;
use crate::db::IncidentState;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("analysis database {}: {source}", path.display())]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error("analysis database {}: stored {what} is not valid: {message}", path.display())]
    Corrupt { path: PathBuf, what: String, message: String },
    #[error("{0}")]
    Invalid(String),
}

/// Filters, order and page of an incident listing, as query parameters.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentFilter {
    pub tenant: Option<String>,
    pub severity: Option<String>,
    pub status: Option<String>,
    pub user: Option<String>,
    pub model: Option<String>,
    pub assignee: Option<String>,
    /// Incidents whose latest breach is at or after this time (RFC 3339).
    pub since: Option<jiff::Timestamp>,
    /// Incidents whose latest breach is before this time (RFC 3339).
    pub until: Option<jiff::Timestamp>,
    /// `last`, `first`, `score` or `severity`, with a leading `-` for descending; `-last` by default.
    pub sort: Option<String>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

/// The largest page of a listing.
pub const MAX_LIMIT: usize = 500;
const DEFAULT_LIMIT: usize = 50;

#[derive(Clone, Debug, Serialize)]
pub struct IncidentRow {
    #[serde(flatten)]
    pub incident: Incident,
    pub state: IncidentState,
}

#[derive(Clone, Debug, Serialize)]
pub struct Page<T> {
    pub total: u64,
    pub limit: usize,
    pub offset: usize,
    pub items: Vec<T>,
}

pub struct Reader {
    path: PathBuf,
    connection: Connection,
}

impl Reader {
    /// Opens the analysis database for queries only and attaches the service database; a data directory that was
    /// never analysed reads as empty.
    pub fn open(data_dir: &Path) -> Result<Reader, QueryError> {
        let path = data_dir.join(harrier_detect::DATABASE_FILE);
        let sqlite = |source| QueryError::Sqlite { path: path.clone(), source };
        let connection = if path.exists() {
            // Read-write without create, with query_only set below: a read-only connection cannot create the
            // WAL index file that SQLite deletes when the last writer closes.
            Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(sqlite)?
        } else {
            let connection = Connection::open_in_memory().map_err(sqlite)?;
            connection.execute_batch(EMPTY_ANALYSIS).map_err(sqlite)?;
            connection
        };
        connection.busy_timeout(std::time::Duration::from_secs(5)).map_err(sqlite)?;
        let serve = data_dir.join(crate::db::DATABASE_FILE);
        connection.execute("ATTACH DATABASE ?1 AS serve", [serve.to_string_lossy()]).map_err(sqlite)?;
        connection.pragma_update(None, "query_only", true).map_err(sqlite)?;
        Ok(Reader { path, connection })
    }

    fn error(&self, source: rusqlite::Error) -> QueryError {
        QueryError::Sqlite { path: self.path.clone(), source }
    }

    fn corrupt(&self, what: &str, error: serde_json::Error) -> QueryError {
        QueryError::Corrupt { path: self.path.clone(), what: what.to_owned(), message: error.to_string() }
    }

    /// Lists the incidents in `scope` that match `filter`, one page.
    pub fn incidents(&self, scope: &Scope, filter: &IncidentFilter) -> Result<Page<IncidentRow>, QueryError> {
        let mut conditions = vec!["1 = 1".to_owned()];
        let mut values: Vec<rusqlite::types::Value> = Vec::new();
        let mut bind = |condition: &str, value: rusqlite::types::Value, conditions: &mut Vec<String>| {
            values.push(value);
            conditions.push(condition.replace('?', &format!("?{}", values.len())));
        };
        if let Scope::Tenants(tenants) = scope {
            let list = serde_json::to_string(tenants).expect("string sets serialise");
            bind("i.tenant IN (SELECT value FROM json_each(?))", list.into(), &mut conditions);
        }
        if let Some(tenant) = &filter.tenant {
            bind("i.tenant = ?", tenant.clone().into(), &mut conditions);
        }
        if let Some(severity) = &filter.severity {
            bind("i.severity = ?", severity.clone().into(), &mut conditions);
        }
        if let Some(user) = &filter.user {
            bind("i.user = ?", user.clone().into(), &mut conditions);
        }
        if let Some(status) = &filter.status {
            if !crate::db::INCIDENT_STATUSES.contains(&status.as_str()) {
                return Err(QueryError::Invalid(format!(
                    "status {status:?} is not one of {}",
                    crate::db::INCIDENT_STATUSES.join(", ")
                )));
            }
            bind("COALESCE(s.status, 'new') = ?", status.clone().into(), &mut conditions);
        }
        if let Some(assignee) = &filter.assignee {
            bind("s.assignee = ?", assignee.clone().into(), &mut conditions);
        }
        if let Some(model) = &filter.model {
            bind("EXISTS (SELECT 1 FROM json_each(i.json, '$.models') m WHERE m.value = ?)", model.clone().into(), &mut conditions);
        }
        if let Some(since) = filter.since {
            bind("i.last_ms >= ?", since.as_millisecond().into(), &mut conditions);
        }
        if let Some(until) = filter.until {
            bind("i.last_ms < ?", until.as_millisecond().into(), &mut conditions);
        }
        let order = order_by(filter.sort.as_deref().unwrap_or("-last"))?;
        let limit = filter.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
        let offset = filter.offset.unwrap_or(0);
        let from = format!(
            "FROM incidents i LEFT JOIN serve.incident_state s ON s.tenant = i.tenant AND s.incident = i.id WHERE {}",
            conditions.join(" AND ")
        );
        let total: i64 = self
            .connection
            .query_row(&format!("SELECT COUNT(*) {from}"), rusqlite::params_from_iter(values.iter()), |row| row.get(0))
            .map_err(|e| self.error(e))?;
        let sql = format!(
            "SELECT i.json, s.status, s.assignee, s.updated_ms, s.updated_by {from} ORDER BY {order} LIMIT {limit} OFFSET {offset}"
        );
        let mut statement = self.connection.prepare(&sql).map_err(|e| self.error(e))?;
        type Row = (String, Option<String>, Option<String>, Option<i64>, Option<String>);
        let rows: Vec<Row> = statement
            .query_map(rusqlite::params_from_iter(values.iter()), |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?))
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))?;
        let mut items = Vec::with_capacity(rows.len());
        for (json, status, assignee, updated_ms, updated_by) in rows {
            let incident: Incident = serde_json::from_str(&json).map_err(|e| self.corrupt("incident", e))?;
            let state = IncidentState {
                status: status.unwrap_or_else(|| "new".to_owned()),
                assignee,
                updated: updated_ms.and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok()),
                updated_by,
            };
            items.push(IncidentRow { incident, state });
        }
        Ok(Page { total: total as u64, limit, offset, items })
    }

    pub fn incident(&self, id: &str) -> Result<Option<Incident>, QueryError> {
        let json: Option<String> = self
            .connection
            .query_row("SELECT json FROM incidents WHERE id = ?1", [id], |row| row.get(0))
            .optional()
            .map_err(|e| self.error(e))?;
        json.map(|json| serde_json::from_str(&json).map_err(|e| self.corrupt("incident", e))).transpose()
    }

    pub fn breaches_by_id<'a>(&self, ids: impl IntoIterator<Item = &'a String>) -> Result<Vec<Breach>, QueryError> {
        let mut statement = self.connection.prepare_cached("SELECT json FROM breaches WHERE id = ?1").map_err(|e| self.error(e))?;
        let mut breaches = Vec::new();
        for id in ids {
            let json: Option<String> = statement.query_row([id], |row| row.get(0)).optional().map_err(|e| self.error(e))?;
            if let Some(json) = json {
                breaches.push(serde_json::from_str(&json).map_err(|e| self.corrupt("breach", e))?);
            }
        }
        Ok(breaches)
    }

    /// Lists breaches in `scope`, newest first, filtered by tenant, model, user and time.
    pub fn breaches(&self, scope: &Scope, filter: &BreachFilter) -> Result<Page<Breach>, QueryError> {
        let mut conditions = vec!["1 = 1".to_owned()];
        let mut values: Vec<rusqlite::types::Value> = Vec::new();
        let mut bind = |condition: &str, value: rusqlite::types::Value, conditions: &mut Vec<String>| {
            values.push(value);
            conditions.push(condition.replace('?', &format!("?{}", values.len())));
        };
        if let Scope::Tenants(tenants) = scope {
            let list = serde_json::to_string(tenants).expect("string sets serialise");
            bind("tenant IN (SELECT value FROM json_each(?))", list.into(), &mut conditions);
        }
        if let Some(tenant) = &filter.tenant {
            bind("tenant = ?", tenant.clone().into(), &mut conditions);
        }
        if let Some(model) = &filter.model {
            bind("model_id = ?", model.clone().into(), &mut conditions);
        }
        if let Some(user) = &filter.user {
            bind("user = ?", user.clone().into(), &mut conditions);
        }
        if let Some(since) = filter.since {
            bind("time_ms >= ?", since.as_millisecond().into(), &mut conditions);
        }
        if let Some(until) = filter.until {
            bind("time_ms < ?", until.as_millisecond().into(), &mut conditions);
        }
        let limit = filter.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
        let offset = filter.offset.unwrap_or(0);
        let from = format!("FROM breaches WHERE {}", conditions.join(" AND "));
        let total: i64 = self
            .connection
            .query_row(&format!("SELECT COUNT(*) {from}"), rusqlite::params_from_iter(values.iter()), |row| row.get(0))
            .map_err(|e| self.error(e))?;
        let sql = format!("SELECT json {from} ORDER BY time_ms DESC, id LIMIT {limit} OFFSET {offset}");
        let mut statement = self.connection.prepare(&sql).map_err(|e| self.error(e))?;
        let texts: Vec<String> = statement
            .query_map(rusqlite::params_from_iter(values.iter()), |row| row.get(0))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))?;
        let items = texts.iter().map(|json| serde_json::from_str(json).map_err(|e| self.corrupt("breach", e))).collect::<Result<_, _>>()?;
        Ok(Page { total: total as u64, limit, offset, items })
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreachFilter {
    pub tenant: Option<String>,
    pub model: Option<String>,
    pub user: Option<String>,
    pub since: Option<jiff::Timestamp>,
    pub until: Option<jiff::Timestamp>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

/// Maps a sort key to an ORDER BY clause; only these fixed clauses reach the SQL.
fn order_by(sort: &str) -> Result<&'static str, QueryError> {
    Ok(match sort {
        "last" => "i.last_ms ASC, i.id",
        "-last" => "i.last_ms DESC, i.id",
        "first" => "i.first_ms ASC, i.id",
        "-first" => "i.first_ms DESC, i.id",
        "score" => "i.score ASC, i.id",
        "-score" => "i.score DESC, i.id",
        "severity" => "CASE i.severity WHEN 'low' THEN 0 WHEN 'medium' THEN 1 WHEN 'high' THEN 2 ELSE 3 END ASC, i.score ASC, i.id",
        "-severity" => "CASE i.severity WHEN 'low' THEN 0 WHEN 'medium' THEN 1 WHEN 'high' THEN 2 ELSE 3 END DESC, i.score DESC, i.id",
        other => {
            return Err(QueryError::Invalid(format!(
                "sort {other:?} is not one of last, first, score, severity (each optionally with a leading -)"
            )));
        }
    })
}

/// The tables queried, for a data directory without an analysis database yet.
const EMPTY_ANALYSIS: &str = "
CREATE TABLE incidents (id TEXT, tenant TEXT, user TEXT, first_ms INTEGER, last_ms INTEGER, score REAL, severity TEXT, json TEXT);
CREATE TABLE breaches (id TEXT, tenant TEXT, user TEXT, time_ms INTEGER, model_id TEXT, score REAL, json TEXT);
";
