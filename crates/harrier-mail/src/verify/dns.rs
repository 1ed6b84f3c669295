//! In-flow verification: SPF, DKIM, DMARC and ARC checked with `mail-auth` against DNS.
//!
//! [`Verifier`] wraps a `mail-auth` authenticator (a hickory resolver) and a [`DnsCache`] that every
//! lookup goes through first. Tests pre-seed the cache and point the resolver at a closed loopback port,
//! so a record left out of the cache becomes a DNS failure instead of a query to a real server.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::dmarc::Dmarc;
use mail_auth::dmarc::verify::DmarcParameters;
use mail_auth::hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};
use mail_auth::hickory_resolver::proto::op::ResponseCode;
use mail_auth::spf::Spf;
use mail_auth::spf::verify::SpfParameters;
use mail_auth::{
    AuthenticatedMessage, DkimResult, DmarcResult, MX, MessageAuthenticator, Parameters, RecordSet, ResolverCache,
    SpfResult, Txt,
};

use super::{AuthOutcome, AuthSource, MethodResult, Status};

/// The SMTP envelope of a message in the mail flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The address of the connecting client.
    pub client_ip: IpAddr,
    /// The name the client gave in HELO or EHLO.
    pub helo: String,
    /// The MAIL FROM address; empty for bounces.
    pub mail_from: String,
    /// The name of the receiving host, used in SPF macros and explanations.
    pub host_domain: String,
}

/// An in-memory resolver cache with expiry, for one record type.
pub struct MemoryCache<K, V> {
    entries: Mutex<HashMap<K, (V, Instant)>>,
}

impl<K, V> Default for MemoryCache<K, V> {
    fn default() -> Self {
        MemoryCache { entries: Mutex::new(HashMap::new()) }
    }
}

impl<K: Hash + Eq, V: Clone> ResolverCache<K, V> for MemoryCache<K, V> {
    fn get<Q>(&self, name: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.get(name).filter(|(_, valid_until)| *valid_until > Instant::now()).map(|(value, _)| value.clone())
    }

    fn remove<Q>(&self, name: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.remove(name).map(|(value, _)| value)
    }

    fn insert(&self, key: K, value: V, valid_until: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.insert(key, (value, valid_until));
    }
}

/// The resolver caches of a [`Verifier`], one per record type.
#[derive(Default)]
pub struct DnsCache {
    pub txt: MemoryCache<Box<str>, Txt>,
    pub mx: MemoryCache<Box<str>, RecordSet<MX>>,
    pub ipv4: MemoryCache<Box<str>, RecordSet<Ipv4Addr>>,
    pub ipv6: MemoryCache<Box<str>, RecordSet<Ipv6Addr>>,
    pub ptr: MemoryCache<IpAddr, RecordSet<Box<str>>>,
}

/// A TXT record given to [`DnsCache::add_txt`] that does not parse as the record its name calls for.
#[derive(Debug, thiserror::Error)]
#[error("invalid {kind} record for {name}: {reason}")]
pub struct InvalidRecord {
    pub name: String,
    pub kind: &'static str,
    pub reason: String,
}

impl DnsCache {
    /// Adds a TXT record, valid for `ttl`. The name says how it is parsed: a name under `_dmarc.` is a
    /// DMARC policy, a name with a `._domainkey.` label is a DKIM key, and any other name an SPF record.
    pub fn add_txt(&self, name: &str, record: &str, ttl: Duration) -> Result<(), InvalidRecord> {
        let name = fqdn(name);
        let invalid = |kind: &'static str, error: mail_auth::Error| InvalidRecord {
            name: name.to_string(),
            kind,
            reason: error.to_string(),
        };
        let value: Txt = if name.starts_with("_dmarc.") {
            Dmarc::parse(record.as_bytes()).map_err(|error| invalid("DMARC", error))?.into()
        } else if name.contains("._domainkey.") {
            DomainKey::parse(record.as_bytes()).map_err(|error| invalid("DKIM key", error))?.into()
        } else {
            Spf::parse(record.as_bytes()).map_err(|error| invalid("SPF", error))?.into()
        };
        self.txt.insert(name, value, Instant::now() + ttl);
        Ok(())
    }

    /// Records that `name` has no TXT record (NXDOMAIN), valid for `ttl`.
    pub fn add_missing_txt(&self, name: &str, ttl: Duration) {
        let missing = mail_auth::Error::Dns(mail_auth::DnsError::RecordNotFound(ResponseCode::NXDomain));
        self.txt.insert(fqdn(name), Txt::Error(missing), Instant::now() + ttl);
    }
}

/// Returns `name` lower-cased with a trailing dot, as `mail-auth` keys its caches.
fn fqdn(name: &str) -> Box<str> {
    let mut name = name.trim().to_ascii_lowercase();
    if !name.ends_with('.') {
        name.push('.');
    }
    name.into_boxed_str()
}

/// A failure to set up the resolver.
#[derive(Debug, thiserror::Error)]
#[error("failed to set up the DNS resolver: {0}")]
pub struct ResolverError(String);

/// Checks SPF, DKIM, DMARC and ARC of messages in the mail flow.
pub struct Verifier {
    authenticator: MessageAuthenticator,
    cache: DnsCache,
}

impl Verifier {
    /// Creates a verifier from an authenticator and a cache.
    pub fn new(authenticator: MessageAuthenticator, cache: DnsCache) -> Self {
        Verifier { authenticator, cache }
    }

    /// Creates a verifier that uses the resolvers of the system configuration (`/etc/resolv.conf`).
    pub fn from_system_conf() -> Result<Self, ResolverError> {
        let authenticator = MessageAuthenticator::new_system_conf().map_err(|error| ResolverError(error.to_string()))?;
        Ok(Verifier::new(authenticator, DnsCache::default()))
    }

    /// Creates a verifier that asks the name servers at `servers` over UDP and TCP, each query timing out
    /// after `timeout` with one attempt.
    pub fn with_name_servers(servers: &[SocketAddr], timeout: Duration) -> Result<Self, ResolverError> {
        let name_servers = servers
            .iter()
            .map(|server| {
                let connections = [ConnectionConfig::udp(), ConnectionConfig::tcp()]
                    .into_iter()
                    .map(|mut connection| {
                        connection.port = server.port();
                        connection
                    })
                    .collect();
                NameServerConfig::new(server.ip(), true, connections)
            })
            .collect();
        let config = ResolverConfig::from_parts(None, Vec::new(), name_servers);
        let mut options = ResolverOpts::default();
        options.timeout = timeout;
        options.attempts = 1;
        let authenticator =
            MessageAuthenticator::new(config, options).map_err(|error| ResolverError(error.to_string()))?;
        Ok(Verifier::new(authenticator, DnsCache::default()))
    }

    /// Returns the cache, to pre-seed records.
    pub fn cache(&self) -> &DnsCache {
        &self.cache
    }

    /// Checks `raw` as received from `envelope`. Returns `None` when the message has no header to check.
    ///
    /// NOTE: `mail-auth` 0.13 reads the system clock to decide whether a DKIM signature has expired
    /// (`x=`), so that one check cannot follow an injected clock.
    pub async fn verify(&self, raw: &[u8], envelope: &Envelope) -> Option<AuthOutcome> {
        let message = AuthenticatedMessage::parse(raw)?;
        let dkim = self.authenticator.verify_dkim(self.parameters(&message)).await;
        let arc = self.authenticator.verify_arc(self.parameters(&message)).await;
        let spf_parameters =
            SpfParameters::verify(envelope.client_ip, &envelope.helo, &envelope.host_domain, &envelope.mail_from);
        let spf = self.authenticator.verify_spf(self.parameters(spf_parameters)).await;
        let mail_from_domain = match envelope.mail_from.rsplit_once('@') {
            Some((_, domain)) => domain.to_string(),
            None => envelope.helo.clone(),
        };
        let dmarc_parameters = DmarcParameters::new(&message, &dkim, &mail_from_domain, &spf);
        let dmarc = self.authenticator.verify_dmarc(self.parameters(dmarc_parameters)).await;

        let dkim_results = dkim
            .iter()
            .map(|output| {
                let domain = output.signature().map(|signature| signature.d.to_ascii_lowercase());
                dkim_result(output.result(), domain)
            })
            .collect();
        let arc_result = match arc.result() {
            DkimResult::None => None,
            result => Some(dkim_result(result, arc.sets().last().map(|set| set.signature.header.d.to_ascii_lowercase()))),
        };
        let from_domain = message.from.first().and_then(|from| from.rsplit_once('@')).map(|(_, domain)| domain.to_ascii_lowercase());
        let policy = match dmarc.policy() {
            mail_auth::dmarc::Policy::None => Some("none"),
            mail_auth::dmarc::Policy::Quarantine => Some("quarantine"),
            mail_auth::dmarc::Policy::Reject => Some("reject"),
            mail_auth::dmarc::Policy::Unspecified => None,
        };
        Some(AuthOutcome {
            source: AuthSource::Verified,
            spf: Some(spf_result(spf.result(), spf.domain())),
            dkim: dkim_results,
            dmarc: Some(dmarc_result(&dmarc.result(), from_domain)),
            dmarc_policy: policy.map(str::to_string),
            arc: arc_result,
            compauth: None,
        })
    }

    /// Wraps lookup parameters with this verifier's caches.
    #[allow(clippy::type_complexity)]
    fn parameters<'x, P>(
        &'x self,
        params: P,
    ) -> Parameters<
        'x,
        P,
        MemoryCache<Box<str>, Txt>,
        MemoryCache<Box<str>, RecordSet<MX>>,
        MemoryCache<Box<str>, RecordSet<Ipv4Addr>>,
        MemoryCache<Box<str>, RecordSet<Ipv6Addr>>,
        MemoryCache<IpAddr, RecordSet<Box<str>>>,
    > {
        Parameters::new(params)
            .with_txt_cache(&self.cache.txt)
            .with_mx_cache(&self.cache.mx)
            .with_ipv4_cache(&self.cache.ipv4)
            .with_ipv6_cache(&self.cache.ipv6)
            .with_ptr_cache(&self.cache.ptr)
    }
}

fn dkim_result(result: &DkimResult, domain: Option<String>) -> MethodResult {
    let (status, reason) = match result {
        DkimResult::Pass => (Status::Pass, None),
        // mail-auth 0.13 reports a body changed after signing as neutral, but RFC 6376 section 6.1.3 makes a
        // body hash mismatch a failed verification.
        DkimResult::Neutral(error @ mail_auth::Error::Dkim(mail_auth::dkim::DkimError::FailedBodyHashMatch)) => {
            (Status::Fail, Some(error.to_string()))
        }
        DkimResult::Neutral(error) => (Status::Neutral, Some(error.to_string())),
        DkimResult::Fail(error) => (Status::Fail, Some(error.to_string())),
        DkimResult::PermError(error) => (Status::PermError, Some(error.to_string())),
        DkimResult::TempError(error) => (Status::TempError, Some(error.to_string())),
        DkimResult::None => (Status::None, None),
    };
    MethodResult { status, domain, reason }
}

fn spf_result(result: SpfResult, domain: &str) -> MethodResult {
    let status = match result {
        SpfResult::Pass => Status::Pass,
        SpfResult::Fail => Status::Fail,
        SpfResult::SoftFail => Status::SoftFail,
        SpfResult::Neutral => Status::Neutral,
        SpfResult::TempError => Status::TempError,
        SpfResult::PermError => Status::PermError,
        SpfResult::None => Status::None,
    };
    let domain = (!domain.is_empty()).then(|| domain.to_ascii_lowercase());
    MethodResult { status, domain, reason: None }
}

fn dmarc_result(result: &DmarcResult, domain: Option<String>) -> MethodResult {
    let (status, reason) = match result {
        DmarcResult::Pass => (Status::Pass, None),
        DmarcResult::Fail(error) => (Status::Fail, Some(error.to_string())),
        DmarcResult::TempError(error) => (Status::TempError, Some(error.to_string())),
        DmarcResult::PermError(error) => (Status::PermError, Some(error.to_string())),
        DmarcResult::None => (Status::None, None),
    };
    MethodResult { status, domain, reason }
}
