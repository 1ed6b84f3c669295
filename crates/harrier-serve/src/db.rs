//! The service database (`serve.sqlite` in the data directory): API tokens, local users and their
//! sessions, the analyst's state of each incident (status, assignee, comments) and the audit log.
//!
//! Tokens, session ids and CSRF tokens are stored as SHA-256 hashes, passwords as Argon2id PHC strings.
//! Incident state is keyed by tenant and incident id. The audit log and the comments are append-only:
//! triggers abort any UPDATE or DELETE on them.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::auth::{self, Credential, Principal, Role, Scope};

pub const DATABASE_FILE: &str = "serve.sqlite";

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("service database {}: {source}", path.display())]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error("{0}")]
    Invalid(String),
    #[error("{0} not found")]
    NotFound(String),
}

/// The status an analyst gives an incident.
pub const INCIDENT_STATUSES: [&str; 4] = ["new", "investigating", "resolved", "false_positive"];

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub tenants: Vec<String>,
    pub created: Timestamp,
    pub created_by: String,
    pub revoked: Option<Timestamp>,
}

/// A local user as `harrier users list` shows it; the password hash is never read out.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UserInfo {
    pub name: String,
    pub role: Role,
    pub tenants: Vec<String>,
    /// When the user was first added; setting a new password or role keeps it.
    pub created: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IncidentState {
    pub status: String,
    pub assignee: Option<String>,
    pub updated: Option<Timestamp>,
    pub updated_by: Option<String>,
}

impl Default for IncidentState {
    fn default() -> IncidentState {
        IncidentState { status: "new".to_owned(), assignee: None, updated: None, updated_by: None }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comment {
    pub id: i64,
    pub author: String,
    pub time: Timestamp,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub time: Timestamp,
    pub actor: String,
    pub tenant: Option<String>,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
}

/// One change to record in the audit log.
pub struct Audit<'a> {
    pub actor: &'a str,
    pub tenant: Option<&'a str>,
    pub action: &'a str,
    pub target: &'a str,
    pub detail: serde_json::Value,
}

pub struct ServeDb {
    path: PathBuf,
    connection: Connection,
}

impl ServeDb {
    pub fn open(data_dir: &Path) -> Result<ServeDb, DbError> {
        let path = data_dir.join(DATABASE_FILE);
        let sqlite = |source| DbError::Sqlite { path: path.clone(), source };
        std::fs::create_dir_all(data_dir).map_err(|e| sqlite(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
        let connection = Connection::open(&path).map_err(sqlite)?;
        connection.pragma_update(None, "journal_mode", "WAL").map_err(sqlite)?;
        connection.busy_timeout(std::time::Duration::from_secs(5)).map_err(sqlite)?;
        connection.execute_batch(SCHEMA).map_err(sqlite)?;
        Ok(ServeDb { path, connection })
    }

    fn error(&self, source: rusqlite::Error) -> DbError {
        DbError::Sqlite { path: self.path.clone(), source }
    }

    /// Appends an entry to the audit log.
    pub fn audit(&self, audit: Audit<'_>, now: Timestamp) -> Result<(), DbError> {
        insert_audit(&self.connection, &audit, now).map_err(|e| self.error(e))
    }

    /// Lists audit entries newest first, only those of tenants in `scope` (entries without a tenant, such as
    /// token changes, only for `Scope::All`).
    pub fn audit_entries(&self, scope: &Scope, limit: usize, offset: usize) -> Result<Vec<AuditEntry>, DbError> {
        let mut statement = self
            .connection
            .prepare("SELECT seq, time_ms, actor, tenant, action, target, detail FROM audit_log ORDER BY seq DESC")
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map([], |row| {
                Ok(AuditEntry {
                    seq: row.get(0)?,
                    time: timestamp(row.get(1)?),
                    actor: row.get(2)?,
                    tenant: row.get(3)?,
                    action: row.get(4)?,
                    target: row.get(5)?,
                    detail: serde_json::from_str(&row.get::<_, String>(6)?).unwrap_or(serde_json::Value::Null),
                })
            })
            .map_err(|e| self.error(e))?;
        let mut entries = Vec::new();
        for row in rows {
            let entry = row.map_err(|e| self.error(e))?;
            let visible = match (&entry.tenant, scope) {
                (_, Scope::All) => true,
                (Some(tenant), scope) => scope.allows(tenant),
                (None, _) => false,
            };
            if visible {
                entries.push(entry);
            }
        }
        Ok(entries.into_iter().skip(offset).take(limit).collect())
    }

    /// Creates an API token and returns it with the secret, which is shown once and stored only hashed.
    pub fn create_token(&mut self, name: &str, role: Role, scope: &Scope, by: &str, now: Timestamp) -> Result<(TokenInfo, String), DbError> {
        if name.trim().is_empty() {
            return Err(DbError::Invalid("a token needs a name".to_owned()));
        }
        let secret = auth::random_secret("hrr_");
        let info = TokenInfo {
            id: auth::random_id("tok-"),
            name: name.to_owned(),
            role,
            tenants: scope.to_list(),
            created: now,
            created_by: by.to_owned(),
            revoked: None,
        };
        let transaction = self.connection.transaction().map_err(|e| DbError::Sqlite { path: self.path.clone(), source: e })?;
        let result = (|| {
            transaction.execute(
                "INSERT INTO tokens (id, name, hash, role, tenants, created_ms, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![info.id, info.name, auth::hash_secret(&secret), role.as_str(), json_list(&info.tenants), now.as_millisecond(), by],
            )?;
            let detail = serde_json::json!({ "name": name, "role": role, "tenants": info.tenants });
            insert_audit(&transaction, &Audit { actor: by, tenant: None, action: "token.create", target: &info.id, detail }, now)?;
            transaction.commit()
        })();
        result.map_err(|e| self.error(e))?;
        Ok((info, secret))
    }

    pub fn tokens(&self) -> Result<Vec<TokenInfo>, DbError> {
        let mut statement = self
            .connection
            .prepare("SELECT id, name, role, tenants, created_ms, created_by, revoked_ms FROM tokens ORDER BY created_ms, id")
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map([], |row| {
                Ok(TokenInfo {
                    id: row.get(0)?,
                    name: row.get(1)?,
                    role: Role::parse(&row.get::<_, String>(2)?).unwrap_or(Role::Viewer),
                    tenants: parse_list(&row.get::<_, String>(3)?),
                    created: timestamp(row.get(4)?),
                    created_by: row.get(5)?,
                    revoked: row.get::<_, Option<i64>>(6)?.map(timestamp),
                })
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))?;
        Ok(rows)
    }

    /// Revokes a token by id; revoking a revoked token is an error.
    pub fn revoke_token(&mut self, id: &str, by: &str, now: Timestamp) -> Result<(), DbError> {
        let transaction = self.connection.transaction().map_err(|e| DbError::Sqlite { path: self.path.clone(), source: e })?;
        let changed = transaction
            .execute("UPDATE tokens SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms IS NULL", params![id, now.as_millisecond()])
            .map_err(|e| DbError::Sqlite { path: self.path.clone(), source: e })?;
        if changed == 0 {
            return Err(DbError::NotFound(format!("active token {id:?}")));
        }
        let audit = Audit { actor: by, tenant: None, action: "token.revoke", target: id, detail: serde_json::Value::Null };
        insert_audit(&transaction, &audit, now).and_then(|()| transaction.commit()).map_err(|e| self.error(e))
    }

    /// Returns the principal of an active token.
    pub fn authenticate_token(&self, secret: &str) -> Result<Option<Principal>, DbError> {
        let row: Option<(String, String, String)> = self
            .connection
            .query_row(
                "SELECT name, role, tenants FROM tokens WHERE hash = ?1 AND revoked_ms IS NULL",
                [auth::hash_secret(secret)],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()
            .map_err(|e| self.error(e))?;
        Ok(row.and_then(|(name, role, tenants)| principal(format!("token:{name}"), &role, &tenants, Credential::Bearer)))
    }

    /// Adds a local user or replaces the password, role and tenants of an existing one.
    pub fn add_user(&mut self, name: &str, password: &str, role: Role, scope: &Scope, by: &str, now: Timestamp) -> Result<(), DbError> {
        if name.trim().is_empty() || name.contains(char::is_whitespace) {
            return Err(DbError::Invalid(format!("{name:?} is not a valid user name: use letters, digits and punctuation without spaces")));
        }
        if password.chars().count() < 12 {
            return Err(DbError::Invalid("the password must have at least 12 characters".to_owned()));
        }
        let phc = auth::hash_password(password).map_err(|e| DbError::Invalid(format!("cannot hash the password: {e}")))?;
        let tenants = scope.to_list();
        let transaction = self.connection.transaction().map_err(|e| DbError::Sqlite { path: self.path.clone(), source: e })?;
        let result = (|| {
            transaction.execute(
                "INSERT INTO users (name, password, role, tenants, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (name) DO UPDATE SET password = excluded.password, role = excluded.role, tenants = excluded.tenants",
                params![name, phc, role.as_str(), json_list(&tenants), now.as_millisecond()],
            )?;
            // A new password ends the user's sessions.
            transaction.execute("DELETE FROM sessions WHERE user = ?1", [name])?;
            let detail = serde_json::json!({ "role": role, "tenants": tenants });
            insert_audit(&transaction, &Audit { actor: by, tenant: None, action: "user.set", target: name, detail }, now)?;
            transaction.commit()
        })();
        result.map_err(|e| self.error(e))
    }

    /// Returns the local users, ordered by name.
    pub fn users(&self) -> Result<Vec<UserInfo>, DbError> {
        let mut statement =
            self.connection.prepare("SELECT name, role, tenants, created_ms FROM users ORDER BY name").map_err(|e| self.error(e))?;
        let rows = statement
            .query_map([], |row| {
                Ok(UserInfo {
                    name: row.get(0)?,
                    role: Role::parse(&row.get::<_, String>(1)?).unwrap_or(Role::Viewer),
                    tenants: parse_list(&row.get::<_, String>(2)?),
                    created: timestamp(row.get(3)?),
                })
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))?;
        Ok(rows)
    }

    /// Checks a user's password and opens a session. Returns the session id and the CSRF token, both shown
    /// once, or None when the name or password is wrong.
    pub fn login(&mut self, name: &str, password: &str, ttl: std::time::Duration, now: Timestamp) -> Result<Option<(String, String)>, DbError> {
        let phc: Option<String> = self
            .connection
            .query_row("SELECT password FROM users WHERE name = ?1", [name], |row| row.get(0))
            .optional()
            .map_err(|e| self.error(e))?;
        // An unknown user still costs one hash, so timing does not tell which names exist.
        let known = match &phc {
            Some(phc) => auth::verify_password(password, phc),
            None => {
                auth::verify_password(password, DUMMY_PHC);
                false
            }
        };
        if !known {
            return Ok(None);
        }
        let session = auth::random_secret("hrs_");
        let csrf = auth::random_secret("");
        let expires = now.as_millisecond().saturating_add(ttl.as_millis() as i64);
        self.connection
            .execute(
                "INSERT INTO sessions (hash, user, csrf_hash, created_ms, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![auth::hash_secret(&session), name, auth::hash_secret(&csrf), now.as_millisecond(), expires],
            )
            .map_err(|e| self.error(e))?;
        self.connection.execute("DELETE FROM sessions WHERE expires_ms < ?1", [now.as_millisecond()]).map_err(|e| self.error(e))?;
        Ok(Some((session, csrf)))
    }

    /// Returns the principal of an unexpired session.
    pub fn authenticate_session(&self, session: &str, now: Timestamp) -> Result<Option<Principal>, DbError> {
        let row: Option<(String, String, String, String)> = self
            .connection
            .query_row(
                "SELECT u.name, u.role, u.tenants, s.csrf_hash FROM sessions s JOIN users u ON u.name = s.user
                 WHERE s.hash = ?1 AND s.expires_ms > ?2",
                params![auth::hash_secret(session), now.as_millisecond()],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .optional()
            .map_err(|e| self.error(e))?;
        Ok(row.and_then(|(name, role, tenants, csrf_hash)| principal(format!("user:{name}"), &role, &tenants, Credential::Session { csrf_hash })))
    }

    pub fn logout(&self, session: &str) -> Result<(), DbError> {
        self.connection.execute("DELETE FROM sessions WHERE hash = ?1", [auth::hash_secret(session)]).map_err(|e| self.error(e))?;
        Ok(())
    }

    /// Returns the state of every incident of `tenant` that an analyst changed.
    pub fn incident_states(&self) -> Result<std::collections::HashMap<(String, String), IncidentState>, DbError> {
        let mut statement = self
            .connection
            .prepare("SELECT tenant, incident, status, assignee, updated_ms, updated_by FROM incident_state")
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    (row.get(0)?, row.get(1)?),
                    IncidentState {
                        status: row.get(2)?,
                        assignee: row.get(3)?,
                        updated: row.get::<_, Option<i64>>(4)?.map(timestamp),
                        updated_by: row.get(5)?,
                    },
                ))
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))?;
        Ok(rows)
    }

    pub fn incident_state(&self, tenant: &str, incident: &str) -> Result<IncidentState, DbError> {
        let state = self
            .connection
            .query_row(
                "SELECT status, assignee, updated_ms, updated_by FROM incident_state WHERE tenant = ?1 AND incident = ?2",
                [tenant, incident],
                |row| {
                    Ok(IncidentState {
                        status: row.get(0)?,
                        assignee: row.get(1)?,
                        updated: row.get::<_, Option<i64>>(2)?.map(timestamp),
                        updated_by: row.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.error(e))?;
        Ok(state.unwrap_or_default())
    }

    /// Sets an incident's status and records it in the audit log, in one transaction.
    pub fn set_status(&mut self, tenant: &str, incident: &str, status: &str, by: &str, now: Timestamp) -> Result<(), DbError> {
        if !INCIDENT_STATUSES.contains(&status) {
            return Err(DbError::Invalid(format!("{status:?} is not an incident status; use one of {}", INCIDENT_STATUSES.join(", "))));
        }
        self.change_incident(tenant, incident, "incident.status", serde_json::json!({ "status": status }), by, now, |t| {
            t.execute(
                "INSERT INTO incident_state (tenant, incident, status, updated_ms, updated_by) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (tenant, incident) DO UPDATE SET status = excluded.status, updated_ms = excluded.updated_ms,
                 updated_by = excluded.updated_by",
                params![tenant, incident, status, now.as_millisecond(), by],
            )
            .map(|_| ())
        })
    }

    /// Assigns an incident, or unassigns it with `None`, and records it in the audit log.
    pub fn set_assignee(&mut self, tenant: &str, incident: &str, assignee: Option<&str>, by: &str, now: Timestamp) -> Result<(), DbError> {
        self.change_incident(tenant, incident, "incident.assign", serde_json::json!({ "assignee": assignee }), by, now, |t| {
            t.execute(
                "INSERT INTO incident_state (tenant, incident, status, assignee, updated_ms, updated_by) VALUES (?1, ?2, 'new', ?3, ?4, ?5)
                 ON CONFLICT (tenant, incident) DO UPDATE SET assignee = excluded.assignee, updated_ms = excluded.updated_ms,
                 updated_by = excluded.updated_by",
                params![tenant, incident, assignee, now.as_millisecond(), by],
            )
            .map(|_| ())
        })
    }

    /// Adds a comment to an incident and records it in the audit log.
    pub fn add_comment(&mut self, tenant: &str, incident: &str, text: &str, by: &str, now: Timestamp) -> Result<(), DbError> {
        if text.trim().is_empty() {
            return Err(DbError::Invalid("the comment is empty".to_owned()));
        }
        if text.len() > MAX_COMMENT_BYTES {
            return Err(DbError::Invalid(format!("the comment has more than {MAX_COMMENT_BYTES} bytes")));
        }
        self.change_incident(tenant, incident, "incident.comment", serde_json::json!({ "text": text }), by, now, |t| {
            t.execute(
                "INSERT INTO comments (tenant, incident, author, time_ms, text) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![tenant, incident, by, now.as_millisecond(), text],
            )
            .map(|_| ())
        })
    }

    pub fn comments(&self, tenant: &str, incident: &str) -> Result<Vec<Comment>, DbError> {
        let mut statement = self
            .connection
            .prepare("SELECT id, author, time_ms, text FROM comments WHERE tenant = ?1 AND incident = ?2 ORDER BY id")
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map([tenant, incident], |row| {
                Ok(Comment { id: row.get(0)?, author: row.get(1)?, time: timestamp(row.get(2)?), text: row.get(3)? })
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))?;
        Ok(rows)
    }

    #[allow(clippy::too_many_arguments)]
    fn change_incident(
        &mut self,
        tenant: &str,
        incident: &str,
        action: &str,
        detail: serde_json::Value,
        by: &str,
        now: Timestamp,
        change: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<()>,
    ) -> Result<(), DbError> {
        let path = self.path.clone();
        let transaction = self.connection.transaction().map_err(|source| DbError::Sqlite { path: path.clone(), source })?;
        let result = (|| {
            change(&transaction)?;
            insert_audit(&transaction, &Audit { actor: by, tenant: Some(tenant), action, target: incident, detail }, now)?;
            transaction.commit()
        })();
        result.map_err(|source| DbError::Sqlite { path, source })
    }
}

/// The longest comment accepted.
const MAX_COMMENT_BYTES: usize = 16 * 1024;

/// A valid Argon2id hash of a random password, checked against when the user does not exist.
const DUMMY_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$qLml5cbpXMr+ua6WD0bFmvJjZ+CQQVyJ8qHQWTrbkhk";

fn insert_audit(connection: &Connection, audit: &Audit<'_>, now: Timestamp) -> rusqlite::Result<()> {
    connection.execute(
        "INSERT INTO audit_log (time_ms, actor, tenant, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![now.as_millisecond(), audit.actor, audit.tenant, audit.action, audit.target, audit.detail.to_string()],
    )?;
    Ok(())
}

fn principal(name: String, role: &str, tenants: &str, credential: Credential) -> Option<Principal> {
    let role = Role::parse(role)?;
    let scope = Scope::from_list(&parse_list(tenants)).ok()?;
    Some(Principal { name, role, scope, credential })
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).expect("string lists serialise")
}

fn parse_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

fn timestamp(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    tenants TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    revoked_ms INTEGER
);
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    password TEXT NOT NULL,
    role TEXT NOT NULL,
    tenants TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    hash TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    csrf_hash TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS incident_state (
    tenant TEXT NOT NULL,
    incident TEXT NOT NULL,
    status TEXT NOT NULL,
    assignee TEXT,
    updated_ms INTEGER,
    updated_by TEXT,
    PRIMARY KEY (tenant, incident)
);
CREATE TABLE IF NOT EXISTS comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL,
    incident TEXT NOT NULL,
    author TEXT NOT NULL,
    time_ms INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS comments_by_incident ON comments (tenant, incident);
CREATE TABLE IF NOT EXISTS audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    tenant TEXT,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS comments_no_update BEFORE UPDATE ON comments
BEGIN SELECT RAISE(ABORT, 'comments are append-only'); END;
CREATE TRIGGER IF NOT EXISTS comments_no_delete BEFORE DELETE ON comments
BEGIN SELECT RAISE(ABORT, 'comments are append-only'); END;
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_authenticates_until_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = ServeDb::open(dir.path()).unwrap();
        let scope = Scope::from_list(&["a".to_owned()]).unwrap();
        let (info, secret) = db.create_token("ci", Role::Viewer, &scope, "cli:test", Timestamp::now()).unwrap();
        let principal = db.authenticate_token(&secret).unwrap().unwrap();
        assert_eq!(principal.role, Role::Viewer);
        assert!(principal.scope.allows("a"));
        assert!(!principal.scope.allows("b"));
        assert!(db.authenticate_token("hrr_wrong").unwrap().is_none());
        db.revoke_token(&info.id, "cli:test", Timestamp::now()).unwrap();
        assert!(db.authenticate_token(&secret).unwrap().is_none());
        assert!(db.revoke_token(&info.id, "cli:test", Timestamp::now()).is_err());
        let actions: Vec<String> = db.audit_entries(&Scope::All, 10, 0).unwrap().into_iter().map(|e| e.action).collect();
        assert_eq!(actions, ["token.revoke", "token.create"]);
        let stored: String = db.connection.query_row("SELECT hash FROM tokens", [], |r| r.get(0)).unwrap();
        assert_ne!(stored, secret, "the token is stored hashed");
    }

    #[test]
    fn audit_log_rejects_changes() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = ServeDb::open(dir.path()).unwrap();
        db.set_status("a", "inc-1", "investigating", "user:x", Timestamp::now()).unwrap();
        let error = db.connection.execute("DELETE FROM audit_log", []).unwrap_err();
        assert!(error.to_string().contains("append-only"), "{error}");
        assert!(db.connection.execute("UPDATE audit_log SET actor = 'y'", []).is_err());
    }

    #[test]
    fn login_checks_password_and_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = ServeDb::open(dir.path()).unwrap();
        let now = Timestamp::now();
        db.add_user("alice", "a long enough password", Role::Analyst, &Scope::All, "cli:test", now).unwrap();
        assert!(db.login("alice", "wrong password here", std::time::Duration::from_secs(60), now).unwrap().is_none());
        assert!(db.login("bob", "a long enough password", std::time::Duration::from_secs(60), now).unwrap().is_none());
        let (session, _csrf) = db.login("alice", "a long enough password", std::time::Duration::from_secs(60), now).unwrap().unwrap();
        let principal = db.authenticate_session(&session, now).unwrap().unwrap();
        assert_eq!(principal.name, "user:alice");
        let later = now + jiff::SignedDuration::from_secs(61);
        assert!(db.authenticate_session(&session, later).unwrap().is_none(), "the session expired");
        assert!(db.add_user("bob", "short", Role::Viewer, &Scope::All, "cli:test", now).is_err());
    }

    #[test]
    fn users_listed_without_passwords() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = ServeDb::open(dir.path()).unwrap();
        let now = Timestamp::now();
        db.add_user("carol", "a long enough password", Role::Viewer, &Scope::All, "cli:test", now).unwrap();
        db.add_user("alice", "a long enough password", Role::Analyst, &Scope::All, "cli:test", now).unwrap();
        db.add_user("alice", "another long password", Role::Admin, &Scope::All, "cli:test", now).unwrap();

        let users = db.users().unwrap();
        let names: Vec<&str> = users.iter().map(|user| user.name.as_str()).collect();
        assert_eq!(names, ["alice", "carol"]);
        assert_eq!(users[0].role, Role::Admin, "the second add_user replaced the role");
        assert_eq!(users[0].tenants, ["*"]);
        let json = serde_json::to_string(&users).unwrap();
        assert!(!json.contains("argon2"), "no password hash in {json}");
    }

    #[test]
    fn dummy_hash_is_valid() {
        assert!(argon2::password_hash::PasswordHash::new(DUMMY_PHC).is_ok());
    }
}
