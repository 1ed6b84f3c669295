//! Checkpoints and processed content ids, in `collect.sqlite` under the data directory.
//!
//! A checkpoint is written only after the records it covers are committed to the event store, and both
//! databases sync every commit, so a restart resumes from the checkpoint with nothing lost. Records read
//! again after a crash between the two commits are stored once, because the store skips known record ids.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use harrier_model::TenantId;
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

/// The name of the checkpoint database inside the data directory.
pub const CHECKPOINT_FILE: &str = "collect.sqlite";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS checkpoints (
    tenant TEXT NOT NULL,
    source TEXT NOT NULL,
    position TEXT NOT NULL,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (tenant, source)
) WITHOUT ROWID;
-- Management Activity content blobs whose records are stored, kept while the API can still list them.
CREATE TABLE IF NOT EXISTS content_done (
    tenant TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content_id TEXT NOT NULL,
    done_ms INTEGER NOT NULL,
    PRIMARY KEY (tenant, content_type, content_id)
) WITHOUT ROWID;
-- Failed downloads or reads of a content blob, so that one broken blob is given up after a few polls.
CREATE TABLE IF NOT EXISTS content_failures (
    tenant TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content_id TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    PRIMARY KEY (tenant, content_type, content_id)
) WITHOUT ROWID;
";

#[derive(Debug, thiserror::Error)]
#[error("checkpoint database {}: {source}", path.display())]
pub struct CheckpointError {
    path: PathBuf,
    source: rusqlite::Error,
}

/// One tenant's view of the checkpoint database.
pub struct Checkpoints {
    path: PathBuf,
    /// The lock makes the checkpoints `Sync`, so a poll's future can move between threads.
    connection: Mutex<Connection>,
    tenant: String,
}

impl Checkpoints {
    pub fn open(data_dir: &Path, tenant: &TenantId) -> Result<Checkpoints, CheckpointError> {
        let path = data_dir.join(CHECKPOINT_FILE);
        let error = |source| CheckpointError { path: path.clone(), source };
        let connection = Connection::open(&path).map_err(error)?;
        connection.pragma_update(None, "journal_mode", "WAL").map_err(error)?;
        connection.pragma_update(None, "synchronous", "FULL").map_err(error)?;
        connection.busy_timeout(std::time::Duration::from_secs(30)).map_err(error)?;
        connection.execute_batch(SCHEMA).map_err(error)?;
        Ok(Checkpoints { path, connection: Mutex::new(connection), tenant: tenant.as_str().to_owned() })
    }

    fn error(&self, source: rusqlite::Error) -> CheckpointError {
        CheckpointError { path: self.path.clone(), source }
    }

    fn connection(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves no transaction open, so the connection is still usable.
        self.connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Returns a source's position and when it was last written.
    pub fn position(&self, source: &str) -> Result<Option<(String, Timestamp)>, CheckpointError> {
        self.connection()
            .query_row(
                "SELECT position, updated_ms FROM checkpoints WHERE tenant = ?1 AND source = ?2",
                params![self.tenant, source],
                |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)),
            )
            .optional()
            .map(|found| found.map(|(position, ms)| (position, Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH))))
            .map_err(|e| self.error(e))
    }

    pub fn set_position(&self, source: &str, position: &str) -> Result<(), CheckpointError> {
        self.connection()
            .execute(
                "INSERT INTO checkpoints (tenant, source, position, updated_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (tenant, source) DO UPDATE SET position = excluded.position, updated_ms = excluded.updated_ms",
                params![self.tenant, source, position, Timestamp::now().as_millisecond()],
            )
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    /// Forgets a source's position, so its next poll starts as on first start.
    pub fn clear(&self, source: &str) -> Result<(), CheckpointError> {
        self.connection()
            .execute("DELETE FROM checkpoints WHERE tenant = ?1 AND source = ?2", params![self.tenant, source])
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    /// Returns a time checkpoint; a position that is not a timestamp counts as none.
    pub fn time(&self, source: &str) -> Result<Option<Timestamp>, CheckpointError> {
        Ok(self.position(source)?.and_then(|(position, _)| position.parse().ok()))
    }

    pub fn set_time(&self, source: &str, time: Timestamp) -> Result<(), CheckpointError> {
        self.set_position(source, &time.to_string())
    }

    pub fn content_done(&self, content_type: &str, content_id: &str) -> Result<bool, CheckpointError> {
        self.connection()
            .query_row(
                "SELECT 1 FROM content_done WHERE tenant = ?1 AND content_type = ?2 AND content_id = ?3",
                params![self.tenant, content_type, content_id],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
            .map_err(|e| self.error(e))
    }

    /// Records that a content blob's records are stored, in one transaction with clearing its failures.
    pub fn mark_content_done(&self, content_type: &str, content_id: &str) -> Result<(), CheckpointError> {
        let mut connection = self.connection();
        let mark = |connection: &mut Connection| -> rusqlite::Result<()> {
            let transaction = connection.transaction()?;
            transaction.execute(
                "INSERT OR IGNORE INTO content_done (tenant, content_type, content_id, done_ms) VALUES (?1, ?2, ?3, ?4)",
                params![self.tenant, content_type, content_id, Timestamp::now().as_millisecond()],
            )?;
            transaction.execute(
                "DELETE FROM content_failures WHERE tenant = ?1 AND content_type = ?2 AND content_id = ?3",
                params![self.tenant, content_type, content_id],
            )?;
            transaction.commit()
        };
        mark(&mut connection).map_err(|e| self.error(e))
    }

    /// Counts one more failure of a content blob and returns its failures so far.
    pub fn add_content_failure(&self, content_type: &str, content_id: &str) -> Result<u32, CheckpointError> {
        self.connection()
            .query_row(
                "INSERT INTO content_failures (tenant, content_type, content_id, attempts) VALUES (?1, ?2, ?3, 1)
                 ON CONFLICT (tenant, content_type, content_id) DO UPDATE SET attempts = attempts + 1
                 RETURNING attempts",
                params![self.tenant, content_type, content_id],
                |row| row.get(0),
            )
            .map_err(|e| self.error(e))
    }

    /// Forgets content ids processed before `before`, which the API no longer lists.
    pub fn prune_content(&self, before: Timestamp) -> Result<(), CheckpointError> {
        self.connection()
            .execute(
                "DELETE FROM content_done WHERE tenant = ?1 AND done_ms < ?2",
                params![self.tenant, before.as_millisecond()],
            )
            .map(|_| ())
            .map_err(|e| self.error(e))
    }
}
