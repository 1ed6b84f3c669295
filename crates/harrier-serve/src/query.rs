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
        let mut conditions = Conditions::new(scope, "i.tenant");
        conditions.add("i.tenant = ?", filter.tenant.clone());
        const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];
        if let Some(severity) = &filter.severity
            && !SEVERITIES.contains(&severity.as_str())
        {
            return Err(QueryError::Invalid(format!("severity {severity:?} is not one of {}", SEVERITIES.join(", "))));
        }
        conditions.add("i.severity = ?", filter.severity.clone());
        conditions.add("i.user = ?", filter.user.clone());
        if let Some(status) = &filter.status
            && !crate::db::INCIDENT_STATUSES.contains(&status.as_str())
        {
            return Err(QueryError::Invalid(format!("status {status:?} is not one of {}", crate::db::INCIDENT_STATUSES.join(", "))));
        }
        conditions.add("COALESCE(s.status, 'new') = ?", filter.status.clone());
        conditions.add("s.assignee = ?", filter.assignee.clone());
        conditions.add("EXISTS (SELECT 1 FROM json_each(i.json, '$.models') m WHERE m.value = ?)", filter.model.clone());
        conditions.add("i.last_ms >= ?", filter.since.map(|t| t.as_millisecond()));
        conditions.add("i.last_ms < ?", filter.until.map(|t| t.as_millisecond()));

        let order = order_by(filter.sort.as_deref().unwrap_or("-last"))?;
        let from = "FROM incidents i LEFT JOIN serve.incident_state s ON s.tenant = i.tenant AND s.incident = i.id";
        let columns = "i.json, s.status, s.assignee, s.updated_ms, s.updated_by";
        self.page(columns, from, &conditions, order, filter.limit, filter.offset, |row| {
            let json: String = row.get(0)?;
            let updated_ms: Option<i64> = row.get(3)?;
            let state = IncidentState {
                status: row.get::<_, Option<String>>(1)?.unwrap_or_else(|| "new".to_owned()),
                assignee: row.get(2)?,
                updated: updated_ms.and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok()),
                updated_by: row.get(4)?,
            };
            Ok((json, state))
        })
        .and_then(|page| {
            page.try_map(|(json, state)| {
                let incident = serde_json::from_str(&json).map_err(|e| self.corrupt("incident", e))?;
                Ok(IncidentRow { incident, state })
            })
        })
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
        let mut conditions = Conditions::new(scope, "tenant");
        conditions.add("tenant = ?", filter.tenant.clone());
        conditions.add("model_id = ?", filter.model.clone());
        conditions.add("user = ?", filter.user.clone());
        conditions.add("time_ms >= ?", filter.since.map(|t| t.as_millisecond()));
        conditions.add("time_ms < ?", filter.until.map(|t| t.as_millisecond()));
        self.page("json", "FROM breaches", &conditions, "time_ms DESC, id", filter.limit, filter.offset, |row| row.get::<_, String>(0))
            .and_then(|page| page.try_map(|json| serde_json::from_str(&json).map_err(|e| self.corrupt("breach", e))))
    }

    /// Counts the rows `from` and `conditions` select and reads one page of them in `order`.
    #[allow(clippy::too_many_arguments)]
    fn page<T>(
        &self,
        columns: &str,
        from: &str,
        conditions: &Conditions,
        order: &str,
        limit: Option<usize>,
        offset: Option<usize>,
        read: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Page<T>, QueryError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
        let offset = offset.unwrap_or(0);
        let filter = format!("{from} WHERE {}", conditions.sql());
        let values = rusqlite::params_from_iter(conditions.values.iter());
        let total: i64 =
            self.connection.query_row(&format!("SELECT COUNT(*) {filter}"), values, |row| row.get(0)).map_err(|e| self.error(e))?;

        let sql = format!("SELECT {columns} {filter} ORDER BY {order} LIMIT {limit} OFFSET {offset}");
        let mut statement = self.connection.prepare(&sql).map_err(|e| self.error(e))?;
        let items = statement
            .query_map(rusqlite::params_from_iter(conditions.values.iter()), read)
            .and_then(|rows| rows.collect::<Result<Vec<T>, _>>())
            .map_err(|e| self.error(e))?;
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

impl<T> Page<T> {
    fn try_map<U>(self, convert: impl FnMut(T) -> Result<U, QueryError>) -> Result<Page<U>, QueryError> {
        let items = self.items.into_iter().map(convert).collect::<Result<_, _>>()?;
        Ok(Page { total: self.total, limit: self.limit, offset: self.offset, items })
    }
}

/// The WHERE clause of a listing, with its values bound as numbered parameters.
struct Conditions {
    clauses: Vec<String>,
    values: Vec<rusqlite::types::Value>,
}

impl Conditions {
    /// Starts with the principal's scope on `tenant_column`.
    fn new(scope: &Scope, tenant_column: &str) -> Conditions {
        let mut conditions = Conditions { clauses: Vec::new(), values: Vec::new() };
        if let Scope::Tenants(tenants) = scope {
            let list = serde_json::to_string(tenants).expect("string sets serialise");
            conditions.add(&format!("{tenant_column} IN (SELECT value FROM json_each(?))"), Some(list));
        }
        conditions
    }

    /// Adds `clause`, whose one `?` takes `value`, when a value is given.
    fn add<V: Into<rusqlite::types::Value>>(&mut self, clause: &str, value: Option<V>) {
        if let Some(value) = value {
            self.values.push(value.into());
            self.clauses.push(clause.replace('?', &format!("?{}", self.values.len())));
        }
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() { "1 = 1".to_owned() } else { self.clauses.join(" AND ") }
    }
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
