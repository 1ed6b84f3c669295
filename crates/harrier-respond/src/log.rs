//! The action log: an append-only, hash-chained record of every plan, decision and outcome.
//!
//! Each entry stores the SHA-256 of the previous entry's hash followed by its own canonical content, so
//! changing, removing or reordering any entry but the last ones breaks every hash after it.
//! [`ActionLog::verify`] walks the chain and returns the count and the head hash. Recorded elsewhere,
//! those two also reveal entries cut from the end. The log lives in `actions.sqlite` in the data directory; the tables have no update or delete
//! path in this code.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::planner::{Decision, PlannedAction};

pub const DATABASE_FILE: &str = "actions.sqlite";

/// The status of an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Observed: recorded, not to be carried out.
    Observed,
    /// Waiting for an analyst.
    Pending,
    /// Approved and waiting to be carried out.
    Approved,
    /// Being carried out. An action left here by a crash may or may not have taken effect, so it is never
    /// carried out again automatically: an analyst checks it.
    Executing,
    Rejected,
    /// Forbidden by a guard.
    Blocked,
    Done,
    Failed,
    Undone,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Observed => "observed",
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Executing => "executing",
            Status::Rejected => "rejected",
            Status::Blocked => "blocked",
            Status::Done => "done",
            Status::Failed => "failed",
            Status::Undone => "undone",
        }
    }

    fn from_decision(decision: Decision) -> Status {
        match decision {
            Decision::Observe => Status::Observed,
            Decision::AwaitApproval => Status::Pending,
            Decision::Execute => Status::Approved,
            Decision::Blocked => Status::Blocked,
        }
    }
}

/// One entry of the log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: u64,
    pub time: Timestamp,
    pub action_id: String,
    pub status: Status,
    /// The decider: `harrier` for the planner, else the analyst's name.
    pub actor: String,
    /// The planned action for the first entry of an action, else a note.
    pub detail: serde_json::Value,
    pub hash: String,
}

/// An action with its latest status.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ActionState {
    pub action: PlannedAction,
    pub status: Status,
    pub updated: Timestamp,
    pub by: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("action log {}: {source}", path.display())]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error("action log {}: entry {seq} does not match its hash: the log was changed after it was written", path.display())]
    Tampered { path: PathBuf, seq: u64 },
    #[error("action log {}: entry {seq} is missing: entries were deleted after they were written", path.display())]
    Missing { path: PathBuf, seq: u64 },
    #[error("no action {0:?} in the action log; `harrier actions list` shows the ids")]
    UnknownAction(String),
    #[error("action {id} is {status}, so it cannot be {verb}")]
    InvalidTransition { id: String, status: &'static str, verb: &'static str },
    #[error(
        "action log {} was written by an older harrier whose action ids (such as {id}) had 48 bits; this build \
         derives 128-bit ids, so replanning would record every action twice. Keep the old file for the record, \
         move it out of the data directory and run `harrier analyse` again",
        path.display()
    )]
    LegacyIds { path: PathBuf, id: String },
}

pub struct ActionLog {
    path: PathBuf,
    connection: Connection,
}

impl ActionLog {
    pub fn open(data_dir: &Path) -> Result<ActionLog, LogError> {
        let path = data_dir.join(DATABASE_FILE);
        let sqlite = |source| LogError::Sqlite { path: path.clone(), source };
        std::fs::create_dir_all(data_dir).map_err(|e| sqlite(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
        let connection = Connection::open(&path).map_err(sqlite)?;
        connection.pragma_update(None, "journal_mode", "WAL").map_err(sqlite)?;
        connection.execute_batch(SCHEMA).map_err(sqlite)?;
        let legacy: Option<String> = connection
            .query_row(&format!("SELECT action_id FROM entries WHERE action_id GLOB 'act-{}' LIMIT 1", "[0-9a-f]".repeat(12)), [], |r| r.get(0))
            .optional()
            .map_err(sqlite)?;
        if let Some(id) = legacy {
            return Err(LogError::LegacyIds { path, id });
        }
        Ok(ActionLog { path, connection })
    }

    fn error(&self, source: rusqlite::Error) -> LogError {
        LogError::Sqlite { path: self.path.clone(), source }
    }

    /// Records the actions of a plan that the log does not contain yet, with the status their decision
    /// gives, and returns how many were new.
    pub fn record_plan(&mut self, actions: &[PlannedAction], now: Timestamp) -> Result<usize, LogError> {
        Ok(self.record_new(actions, now)?.len())
    }

    /// Records the actions of a plan that the log does not contain yet and returns those it recorded.
    pub fn record_new<'a>(&mut self, actions: &'a [PlannedAction], now: Timestamp) -> Result<Vec<&'a PlannedAction>, LogError> {
        let mut added = Vec::new();
        for action in actions {
            if self.latest(&action.id)?.is_some() {
                continue;
            }
            let detail = serde_json::to_value(action).expect("actions serialise");
            self.append(&action.id, Status::from_decision(action.decision), "harrier", detail, now)?;
            added.push(action);
        }
        Ok(added)
    }

    /// Approves a pending action.
    pub fn approve(&mut self, id: &str, by: &str, now: Timestamp) -> Result<(), LogError> {
        self.transition(id, &[Status::Pending], Status::Approved, "approved", by, now)
    }

    /// Rejects a pending or approved action.
    pub fn reject(&mut self, id: &str, by: &str, now: Timestamp) -> Result<(), LogError> {
        self.transition(id, &[Status::Pending, Status::Approved], Status::Rejected, "rejected", by, now)
    }

    /// Returns what undoing an action needs, as recorded when it was carried out (done) or carried out in
    /// part (failed with undo data); null when nothing was recorded.
    pub fn undo_detail(&self, id: &str) -> Result<serde_json::Value, LogError> {
        let detail: Option<String> = self
            .connection
            .query_row(
                "SELECT detail FROM entries WHERE action_id = ?1 AND status IN ('done', 'failed') ORDER BY seq DESC LIMIT 1",
                [id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.error(e))?;
        let detail: serde_json::Value = detail.and_then(|d| serde_json::from_str(&d).ok()).unwrap_or_default();
        Ok(detail["undo"].clone())
    }

    /// Returns the planned action with this id.
    pub fn action(&self, id: &str) -> Result<ActionState, LogError> {
        self.actions()?.into_iter().find(|s| s.action.id == id).ok_or_else(|| LogError::UnknownAction(id.to_owned()))
    }

    /// Marks a done action, or a failed one that was carried out in part, as undone.
    pub fn undo(&mut self, id: &str, by: &str, now: Timestamp) -> Result<(), LogError> {
        let (status, _) = self.latest(id)?.ok_or_else(|| LogError::UnknownAction(id.to_owned()))?;
        if status == Status::Failed && self.undo_detail(id)?.is_null() {
            return Err(LogError::InvalidTransition { id: id.to_owned(), status: status.as_str(), verb: "undone" });
        }
        self.transition(id, &[Status::Done, Status::Failed], Status::Undone, "undone", by, now)
    }

    /// Records that carrying out an action failed after doing part of it, with what undoing that part needs.
    pub fn record_partial(&mut self, id: &str, message: String, undo: serde_json::Value, now: Timestamp) -> Result<(), LogError> {
        self.require(id, &[Status::Executing], "given an outcome")?;
        self.append(id, Status::Failed, "harrier", serde_json::json!({ "error": message, "undo": undo }), now)
    }

    /// Records the outcome of carrying out an approved action: on success, what undoing it needs.
    pub fn record_outcome(
        &mut self,
        id: &str,
        result: Result<serde_json::Value, String>,
        now: Timestamp,
    ) -> Result<(), LogError> {
        let (status, note) = match result {
            Ok(undo) => (Status::Done, serde_json::json!({ "undo": undo })),
            Err(message) => (Status::Failed, serde_json::json!({ "error": message })),
        };
        self.require(id, &[Status::Executing], "given an outcome")?;
        self.append(id, status, "harrier", note, now)
    }

    /// Marks an approved action as being carried out, before the call that carries it out.
    pub fn begin_execution(&mut self, id: &str, now: Timestamp) -> Result<(), LogError> {
        self.transition(id, &[Status::Approved], Status::Executing, "carried out", "harrier", now)
    }

    fn transition(
        &mut self,
        id: &str,
        from: &[Status],
        to: Status,
        verb: &'static str,
        by: &str,
        now: Timestamp,
    ) -> Result<(), LogError> {
        self.require(id, from, verb)?;
        self.append(id, to, by, serde_json::Value::Null, now)
    }

    fn require(&self, id: &str, from: &[Status], verb: &'static str) -> Result<(), LogError> {
        let (status, _) = self.latest(id)?.ok_or_else(|| LogError::UnknownAction(id.to_owned()))?;
        if !from.contains(&status) {
            return Err(LogError::InvalidTransition { id: id.to_owned(), status: status.as_str(), verb });
        }
        Ok(())
    }

    fn latest(&self, id: &str) -> Result<Option<(Status, u64)>, LogError> {
        let row: Option<(String, i64)> = self
            .connection
            .query_row("SELECT status, seq FROM entries WHERE action_id = ?1 ORDER BY seq DESC LIMIT 1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(|e| self.error(e))?;
        Ok(row.map(|(status, seq)| (parse_status(&status), seq as u64)))
    }

    fn append(
        &mut self,
        id: &str,
        status: Status,
        actor: &str,
        detail: serde_json::Value,
        now: Timestamp,
    ) -> Result<(), LogError> {
        // Inside `in_transaction` the entry joins the open transaction, which already holds the write lock.
        if !self.connection.is_autocommit() {
            return insert_entry(&self.connection, id, status, actor, &detail.to_string(), now)
                .map_err(|e| LogError::Sqlite { path: self.path.clone(), source: e });
        }
        // An immediate transaction takes the write lock first, so concurrent writers queue instead of
        // chaining onto the same previous entry.
        let transaction = self
            .connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| LogError::Sqlite { path: self.path.clone(), source: e })?;
        insert_entry(&transaction, id, status, actor, &detail.to_string(), now)
            .map_err(|e| LogError::Sqlite { path: self.path.clone(), source: e })?;
        transaction.commit().map_err(|e| LogError::Sqlite { path: self.path.clone(), source: e })
    }

    /// Runs `work` in one transaction: its entries are written together, with one sync to disk, or not at
    /// all when it fails.
    pub fn in_transaction<T>(&mut self, work: impl FnOnce(&mut ActionLog) -> Result<T, LogError>) -> Result<T, LogError> {
        self.connection.execute_batch("BEGIN IMMEDIATE").map_err(|e| self.error(e))?;
        match work(self) {
            Ok(value) => {
                self.connection.execute_batch("COMMIT").map_err(|e| self.error(e))?;
                Ok(value)
            }
            Err(error) => {
                if let Err(rollback) = self.connection.execute_batch("ROLLBACK") {
                    tracing::error!(path = %self.path.display(), error = %rollback, "cannot roll back the action log");
                }
                Err(error)
            }
        }
    }

    /// Returns the last findings-log sequence number whose incidents have been planned.
    pub fn planned_through(&self) -> Result<u64, LogError> {
        let seq: Option<i64> = self
            .connection
            .query_row("SELECT seq FROM planned_through WHERE id = 1", [], |r| r.get(0))
            .optional()
            .map_err(|e| self.error(e))?;
        Ok(seq.unwrap_or(0) as u64)
    }

    pub fn set_planned_through(&mut self, seq: u64) -> Result<(), LogError> {
        self.connection
            .execute("INSERT OR REPLACE INTO planned_through (id, seq) VALUES (1, ?1)", [seq as i64])
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    /// Returns the last entry delivered to this webhook URL, 0 when none was.
    pub fn webhook_through(&self, url: &str) -> Result<u64, LogError> {
        let seq: Option<i64> = self
            .connection
            .query_row("SELECT seq FROM webhook_through WHERE url = ?1", [url], |r| r.get(0))
            .optional()
            .map_err(|e| self.error(e))?;
        Ok(seq.unwrap_or(0) as u64)
    }

    pub fn set_webhook_through(&mut self, url: &str, seq: u64) -> Result<(), LogError> {
        self.connection
            .execute("INSERT OR REPLACE INTO webhook_through (url, seq) VALUES (?1, ?2)", params![url, seq as i64])
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    /// Returns every entry, oldest first.
    pub fn entries(&self) -> Result<Vec<Entry>, LogError> {
        let mut statement = self
            .connection
            .prepare("SELECT seq, time_ms, action_id, status, actor, detail, hash FROM entries ORDER BY seq")
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map([], |r| {
                Ok(Entry {
                    seq: r.get::<_, i64>(0)? as u64,
                    time: Timestamp::from_millisecond(r.get(1)?).unwrap_or(Timestamp::UNIX_EPOCH),
                    action_id: r.get(2)?,
                    status: parse_status(&r.get::<_, String>(3)?),
                    actor: r.get(4)?,
                    detail: serde_json::from_str(&r.get::<_, String>(5)?).unwrap_or(serde_json::Value::Null),
                    hash: r.get(6)?,
                })
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.error(e))?;
        Ok(rows)
    }

    /// Checks every entry's hash against its content and the entry before it, and returns the number of
    /// entries and the last hash.
    pub fn verify(&self) -> Result<(usize, String), LogError> {
        let mut statement = self
            .connection
            .prepare("SELECT seq, time_ms, action_id, status, actor, detail, hash FROM entries ORDER BY seq")
            .map_err(|e| self.error(e))?;
        let rows: Vec<(i64, i64, String, String, String, String, String)> = statement
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))?;
        let mut previous = String::new();
        // Sequence numbers start at 1 and have no gaps, because a rolled-back insert also rolls back the
        // counter, so a gap is a deleted entry.
        for (expected, (seq, time_ms, id, status, actor, detail, hash)) in (1..).zip(&rows) {
            if *seq != expected {
                return Err(LogError::Missing { path: self.path.clone(), seq: expected as u64 });
            }
            if chain_hash(&previous, *time_ms, id, status, actor, detail) != *hash {
                return Err(LogError::Tampered { path: self.path.clone(), seq: *seq as u64 });
            }
            previous = hash.clone();
        }
        Ok((rows.len(), previous))
    }

    /// Returns every action with its latest status, newest first.
    pub fn actions(&self) -> Result<Vec<ActionState>, LogError> {
        let entries = self.entries()?;
        let mut states: Vec<ActionState> = Vec::new();
        for entry in entries {
            match states.iter_mut().find(|s| s.action.id == entry.action_id) {
                Some(state) => {
                    state.status = entry.status;
                    state.updated = entry.time;
                    state.by = entry.actor;
                }
                None => {
                    let Ok(action) = serde_json::from_value::<PlannedAction>(entry.detail) else { continue };
                    states.push(ActionState { action, status: entry.status, updated: entry.time, by: entry.actor });
                }
            }
        }
        states.reverse();
        Ok(states)
    }

    /// Counts the actions of a tenant approved by the planner itself (autonomous) since `since`.
    pub fn autonomous_since(&self, tenant: &str, since: Timestamp) -> Result<usize, LogError> {
        Ok(self
            .actions()?
            .iter()
            .filter(|s| s.action.target.tenant == tenant && s.action.decision == Decision::Execute && s.updated >= since)
            .count())
    }
}

fn parse_status(text: &str) -> Status {
    match text {
        "observed" => Status::Observed,
        "pending" => Status::Pending,
        "approved" => Status::Approved,
        "executing" => Status::Executing,
        "rejected" => Status::Rejected,
        "blocked" => Status::Blocked,
        "done" => Status::Done,
        "undone" => Status::Undone,
        _ => Status::Failed,
    }
}

/// Appends one entry, chained to the newest by hash, on a connection that holds the write lock.
fn insert_entry(connection: &Connection, id: &str, status: Status, actor: &str, detail: &str, now: Timestamp) -> rusqlite::Result<()> {
    let previous: Option<String> =
        connection.query_row("SELECT hash FROM entries ORDER BY seq DESC LIMIT 1", [], |r| r.get(0)).optional()?;
    let hash = chain_hash(previous.as_deref().unwrap_or(""), now.as_millisecond(), id, status.as_str(), actor, detail);
    connection.execute(
        "INSERT INTO entries (time_ms, action_id, status, actor, detail, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![now.as_millisecond(), id, status.as_str(), actor, detail, hash],
    )?;
    Ok(())
}

/// Hashes an entry's content after the previous entry's hash, fields separated by NUL bytes.
fn chain_hash(previous: &str, time_ms: i64, id: &str, status: &str, actor: &str, detail: &str) -> String {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    for part in [previous, &time_ms.to_string(), id, status, actor, detail] {
        context.update(part.as_bytes());
        context.update(&[0]);
    }
    context.finish().as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time_ms INTEGER NOT NULL,
    action_id TEXT NOT NULL,
    status TEXT NOT NULL,
    actor TEXT NOT NULL,
    detail TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_by_action ON entries (action_id, seq);
CREATE TABLE IF NOT EXISTS planned_through (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS webhook_through (
    url TEXT PRIMARY KEY,
    seq INTEGER NOT NULL
);
";
