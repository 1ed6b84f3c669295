//! Turning records of each schema into [`Event`]s.
//!
//! The modules follow the sources' own split. `office` reads the unified audit log in its Management
//! Activity API and Sentinel `OfficeActivity` shapes and hands each operation to `exchange`, `sharepoint`
//! or `entra` by workload. `entra` also reads Entra ID sign-in and directory-audit logs in their Graph,
//! Azure Monitor and Sentinel shapes. Helpers shared by all of them live here.

mod entra;
mod exchange;
mod office;
mod sharepoint;
pub(crate) mod typed;

use std::net::IpAddr;

use harrier_model::{Event, SourceFormat, TenantId};
use jiff::Timestamp;

use crate::error::SkipReason;
use crate::fields::Fields;
use crate::time::parse_timestamp;

pub(crate) use typed::normalize as normalize_typed;

/// The settings a normaliser needs besides the record.
#[derive(Clone, Copy, Debug, Default)]
pub struct Context<'a> {
    /// The operator's `--tenant`, which wins over the tenant the record names.
    pub tenant: Option<&'a TenantId>,
}

/// Normalises one record of a known schema.
pub fn normalize(format: SourceFormat, record: Fields<'_>, context: &Context<'_>) -> Result<Event, SkipReason> {
    match format {
        SourceFormat::ManagementActivity | SourceFormat::SentinelOfficeActivity => {
            office::normalize(format, record, context)
        }
        SourceFormat::GraphSignIn | SourceFormat::AzureMonitorSignIn | SourceFormat::SentinelSigninLogs => {
            entra::sign_in(format, record, context)
        }
        SourceFormat::GraphDirectoryAudit | SourceFormat::AzureMonitorAudit | SourceFormat::SentinelAuditLogs => {
            entra::directory_audit(format, record, context)
        }
        SourceFormat::GraphSecurityAlert => entra::security_alert(record, context),
        SourceFormat::DefenderHunting => entra::defender_hunting(record, context),
        SourceFormat::Mail => Err(SkipReason::Unrecognised("a mail message is not a log record".into())),
        SourceFormat::LinkLock => Err(SkipReason::Unrecognised(
            "link_lock events are written by harrier's link-lock endpoint, not read from files".to_owned(),
        )),
    }
}

/// Picks the tenant: the operator's override, else the first id the record names (lower-cased so the same
/// tenant read from different sources has one key), else [`TenantId::DEFAULT`].
pub(crate) fn tenant(context: &Context<'_>, named: Option<&str>) -> TenantId {
    if let Some(tenant) = context.tenant {
        return tenant.clone();
    }
    match named.map(str::trim).filter(|t| !t.is_empty() && !t.starts_with('$')) {
        Some(id) => TenantId::new(id.to_ascii_lowercase()),
        None => TenantId::new(TenantId::DEFAULT),
    }
}

/// Reads the event time from the first of `names` that is present.
///
/// `names` is written as one comma-separated list so the skip reason can name every field tried.
pub(crate) fn time(record: Fields<'_>, names: &'static str) -> Result<Timestamp, SkipReason> {
    for name in names.split(", ") {
        if let Some(text) = record.str(name) {
            return parse_timestamp(text)
                .ok_or_else(|| SkipReason::InvalidTime { field: name.to_owned(), value: text.to_owned() });
        }
    }
    Err(SkipReason::MissingTime(names))
}

/// Parses a client address, stripping a port (`1.2.3.4:5678`, `[2001:db8::1]:443`); IPv4-mapped IPv6
/// addresses become IPv4. Returns `None` for text that is not an address.
pub(crate) fn parse_ip(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Some(rest) = text.strip_prefix('[') {
        let (host, _) = rest.split_once(']')?;
        return host.parse::<IpAddr>().ok().map(|ip| ip.to_canonical());
    }
    let (host, port) = text.rsplit_once(':')?;
    if port.bytes().all(|b| b.is_ascii_digit()) {
        return host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4);
    }
    None
}

/// Lower-cases and trims a user name or address, so one user has one key.
pub(crate) fn user_key(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_lowercase())
}

/// Splits a list written as `a;b`, `a,b` or a JSON array of strings into its items.
pub(crate) fn split_list(text: &str) -> Vec<String> {
    let trimmed = text.trim();
    if trimmed.starts_with('[')
        && let Ok(items) = serde_json::from_str::<Vec<String>>(trimmed)
    {
        return items.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
    }
    trimmed.split([';', ',']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// Returns the record id prefixed with its namespace, or a hash of the record's content when it has none.
///
/// The namespaces let the same record read from two exports (the Management Activity API and Sentinel's
/// `OfficeActivity`, or Graph and Azure Monitor sign-ins) get the same id, while ids of different logs
/// never collide.
pub(crate) fn record_id(namespace: &str, id: Option<&str>, record: Fields<'_>) -> String {
    prefixed_id(namespace, id).unwrap_or_else(|| {
        let content = serde_json::to_string(&record.to_map()).unwrap_or_default();
        format!("{namespace}:sha:{:032x}", xxhash_rust::xxh3::xxh3_128(content.as_bytes()))
    })
}

/// Returns the record id prefixed with its namespace, or `None` when the record has no id.
pub(crate) fn prefixed_id(namespace: &str, id: Option<&str>) -> Option<String> {
    let id = id.map(str::trim).filter(|id| !id.is_empty())?;
    // One allocation of the final length, where `format!` with `to_ascii_lowercase` made two and ran the
    // formatting machinery for every record.
    let mut prefixed = String::with_capacity(namespace.len() + 1 + id.len());
    prefixed.push_str(namespace);
    prefixed.push(':');
    prefixed.push_str(id);
    prefixed[namespace.len() + 1..].make_ascii_lowercase();
    Some(prefixed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_id_lowercases_only_the_id() {
        assert_eq!(prefixed_id("ma", Some("  AbC-1Ä ")).as_deref(), Some("ma:abc-1Ä"));
        assert_eq!(prefixed_id("Ns", Some("X")).as_deref(), Some("Ns:x"));
        assert_eq!(prefixed_id("ma", Some("  ")), None);
        assert_eq!(prefixed_id("ma", None), None);
    }

    #[test]
    fn ports_are_stripped() {
        let cases = [
            ("1.2.3.4", "1.2.3.4"),
            ("1.2.3.4:5678", "1.2.3.4"),
            ("[2a01:110:8068:7:9bf8:aa87:e00a:5f1f]:36185", "2a01:110:8068:7:9bf8:aa87:e00a:5f1f"),
            ("2a01:110::1", "2a01:110::1"),
            ("::ffff:10.0.0.1", "10.0.0.1"),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_ip(text).map(|ip| ip.to_string()).as_deref(), Some(expected), "{text}");
        }
        assert_eq!(parse_ip("not an address"), None);
        assert_eq!(parse_ip("<null>"), None);
    }

    #[test]
    fn lists_in_every_spelling() {
        assert_eq!(split_list("a@x.com;b@y.com"), vec!["a@x.com", "b@y.com"]);
        assert_eq!(split_list("[\"Mail.Read\", \"offline_access\"]"), vec!["Mail.Read", "offline_access"]);
        assert!(split_list("  ").is_empty());
    }
}
