//! Roles, tenant scopes, the principal behind a request, and the secrets that identify one: API tokens,
//! session ids and CSRF tokens, all 256-bit random values of which only the SHA-256 is stored.

use std::collections::BTreeSet;

use base64::Engine;
use serde::{Deserialize, Serialize};

/// The permission level of a principal. Each role may do everything the roles before it may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything in scope and changes nothing.
    Viewer,
    /// Also sets incident status, assigns, comments and decides actions.
    Analyst,
    /// Also reads the audit log.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "viewer" => Some(Role::Viewer),
            "analyst" => Some(Role::Analyst),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// Checks a tenant id given by an operator, and rejects an empty or blank one.
pub fn check_tenant_id(id: &str) -> Result<(), String> {
    if id.trim().is_empty() {
        return Err(format!("{id:?} is not a tenant id"));
    }
    Ok(())
}

/// The tenants a principal may read: a list, or `*` for every tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    All,
    Tenants(BTreeSet<String>),
}

impl Scope {
    /// Reads a list of tenant ids, where `*` stands for every tenant.
    pub fn from_list(tenants: &[String]) -> Result<Scope, String> {
        if tenants.is_empty() {
            return Err("give at least one tenant, or * for every tenant".to_owned());
        }
        if tenants.iter().any(|t| t == "*") {
            return Ok(Scope::All);
        }
        for tenant in tenants {
            check_tenant_id(tenant)?;
        }
        Ok(Scope::Tenants(tenants.iter().cloned().collect()))
    }

    pub fn to_list(&self) -> Vec<String> {
        match self {
            Scope::All => vec!["*".to_owned()],
            Scope::Tenants(tenants) => tenants.iter().cloned().collect(),
        }
    }

    pub fn allows(&self, tenant: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Tenants(tenants) => tenants.contains(tenant),
        }
    }
}

/// The credential a request authenticated with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// `Authorization: Bearer TOKEN`, which a browser never sends by itself, so no CSRF token is needed.
    Bearer,
    /// The session cookie, with the hash of the session's CSRF token.
    Session { csrf_hash: String },
}

/// The token or user behind a request.
#[derive(Clone, Debug)]
pub struct Principal {
    /// `token:NAME` or `user:NAME`, as recorded in the audit log.
    pub name: String,
    pub role: Role,
    pub scope: Scope,
    pub credential: Credential,
}

/// Failed logins per user name within a window, to slow down password guessing.
pub struct LoginLimiter {
    max_failures: usize,
    window: std::time::Duration,
    failures: std::sync::Mutex<std::collections::HashMap<String, Vec<std::time::Instant>>>,
}

impl LoginLimiter {
    pub fn new(max_failures: usize, window: std::time::Duration) -> LoginLimiter {
        LoginLimiter { max_failures, window, failures: Default::default() }
    }

    /// Returns whether `user` may try a password now: false after `max_failures` failures within the
    /// window, until the oldest of them leaves it.
    pub fn allows(&self, user: &str, now: std::time::Instant) -> bool {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let Some(times) = failures.get_mut(user) else { return true };
        times.retain(|time| now.duration_since(*time) < self.window);
        times.len() < self.max_failures
    }

    pub fn record_failure(&self, user: &str, now: std::time::Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.entry(user.to_owned()).or_default().push(now);
    }

    pub fn clear(&self, user: &str) {
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(user);
    }
}

/// Returns a new 256-bit random secret, base64url-encoded, after `prefix`.
pub fn random_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).expect("the system random source works");
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Returns a short random id for listings, such as `tok-1f2e3d4c5b6a7988`.
pub fn random_id(prefix: &str) -> String {
    let mut bytes = [0u8; 8];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).expect("the system random source works");
    format!("{prefix}{}", hex(&bytes))
}

/// Returns the hex SHA-256 of a secret, as stored.
pub fn hash_secret(secret: &str) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, secret.as_bytes()).as_ref())
}

/// Compares two SHA-256 hashes of secrets. Plain comparison is enough: its timing can reveal only a
/// prefix of a hash, and finding a secret with a given hash prefix needs a preimage search.
pub fn same_hash(a: &str, b: &str) -> bool {
    a == b
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hashes a password with Argon2id and a random salt, in the PHC string format.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut bytes = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).expect("the system random source works");
    let salt = SaltString::encode_b64(&bytes)?;
    Ok(argon2::Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

/// Checks a password against a PHC string; false for a wrong password or an unreadable hash.
pub fn verify_password(password: &str, phc: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(phc).is_ok_and(|hash| argon2::Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_differ_and_hash_stably() {
        let a = random_secret("hrr_");
        let b = random_secret("hrr_");
        assert_ne!(a, b);
        assert!(a.starts_with("hrr_"));
        assert_eq!(a.len(), 4 + 43, "32 bytes in base64url without padding");
        assert_eq!(hash_secret(&a), hash_secret(&a));
        assert_ne!(hash_secret(&a), hash_secret(&b));
    }

    #[test]
    fn password_round_trip() {
        let phc = hash_password("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("wrong horse", &phc));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn login_limiter_blocks_then_forgets() {
        let limiter = LoginLimiter::new(2, std::time::Duration::from_secs(60));
        let start = std::time::Instant::now();
        assert!(limiter.allows("alice", start));
        limiter.record_failure("alice", start);
        limiter.record_failure("alice", start);
        assert!(!limiter.allows("alice", start));
        assert!(limiter.allows("bob", start), "another user is not blocked");
        assert!(limiter.allows("alice", start + std::time::Duration::from_secs(61)), "failures leave the window");
        limiter.record_failure("bob", start);
        limiter.clear("bob");
        limiter.record_failure("bob", start);
        assert!(limiter.allows("bob", start));
    }

    #[test]
    fn scope_star_allows_all() {
        let all = Scope::from_list(&["*".to_owned()]).unwrap();
        assert!(all.allows("anything"));
        let some = Scope::from_list(&["a".to_owned()]).unwrap();
        assert!(some.allows("a"));
        assert!(!some.allows("b"));
        assert!(Scope::from_list(&[]).is_err());
    }
}
