//! Mail authentication: SPF, DKIM, DMARC and ARC results, and the factors they give the analysis.
//!
//! Results come from one of two places, and [`AuthOutcome::source`] says which:
//!
//! - In the mail flow, [`Verifier`] checks the message itself with `mail-auth`, looking up SPF, DKIM key
//!   and DMARC records in DNS through an injectable resolver and a [`DnsCache`] that tests pre-seed.
//! - For delivered mail, [`from_trusted_headers`] reads the Authentication-Results header written by a
//!   hop the operator trusts ([`TrustedHops`]). A header from any other hop travelled with the message,
//!   so a sender could have written it, and it is never read as evidence.
//!
//! A DNS failure is a [`Status::TempError`], kept apart from [`Status::Fail`]: the analysis adds no
//! failure points for it.

mod dns;
mod headers;

use serde::Serialize;

use crate::analysis::{Factor, FactorKind, registrable_domain};

pub use dns::{DnsCache, Envelope, Verifier};
pub use headers::{TrustedHops, from_trusted_headers};

/// The result of one authentication method, in RFC 8601 terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    SoftFail,
    Neutral,
    /// Nothing to check: no SPF record, no signature, no DMARC policy.
    None,
    /// A DNS lookup failed or timed out. The same check may pass later.
    TempError,
    /// A record or signature could not be used (syntax error, too many lookups).
    PermError,
}

impl Status {
    /// Parses a result word of an Authentication-Results header (`pass`, `fail`, `softfail`, ...).
    pub fn from_word(word: &str) -> Option<Status> {
        Some(match word.to_ascii_lowercase().as_str() {
            "pass" | "bestguesspass" => Status::Pass,
            "fail" | "hardfail" => Status::Fail,
            "softfail" => Status::SoftFail,
            "neutral" | "policy" => Status::Neutral,
            "none" => Status::None,
            "temperror" => Status::TempError,
            "permerror" => Status::PermError,
            _ => return None,
        })
    }

    /// Returns the result word written in Authentication-Results headers.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::SoftFail => "softfail",
            Status::Neutral => "neutral",
            Status::None => "none",
            Status::TempError => "temperror",
            Status::PermError => "permerror",
        }
    }
}

/// One method's result with the domain it was checked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MethodResult {
    pub status: Status,
    /// The domain checked: the MAIL FROM (or HELO) domain for SPF, the signing domain (`d=`) for DKIM and
    /// ARC, the From domain for DMARC.
    pub domain: Option<String>,
    /// Why the method failed or erred, in the verifier's words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl MethodResult {
    pub fn new(status: Status, domain: Option<String>) -> Self {
        MethodResult { status, domain, reason: None }
    }
}

/// Where an [`AuthOutcome`] came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AuthSource {
    /// harrier checked the message itself against DNS.
    Verified,
    /// Read from an Authentication-Results header of a trusted hop.
    TrustedHeader {
        /// The authserv-id of the header, or the host that wrote it when the header names none (Exchange
        /// Online writes no authserv-id).
        authserv_id: String,
    },
}

/// The SPF, DKIM, DMARC and ARC results of one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthOutcome {
    pub source: AuthSource,
    pub spf: Option<MethodResult>,
    /// One result per DKIM signature, in header order.
    pub dkim: Vec<MethodResult>,
    pub dmarc: Option<MethodResult>,
    /// The DMARC policy the From domain publishes (`none`, `quarantine`, `reject`), when known.
    pub dmarc_policy: Option<String>,
    pub arc: Option<MethodResult>,
    /// Microsoft's composite authentication, which Exchange Online writes in its headers.
    pub compauth: Option<MethodResult>,
}

impl AuthOutcome {
    /// Returns the signing domains of the DKIM signatures that passed.
    pub fn dkim_pass_domains(&self) -> Vec<String> {
        let mut domains: Vec<String> = self
            .dkim
            .iter()
            .filter(|result| result.status == Status::Pass)
            .filter_map(|result| result.domain.clone())
            .collect();
        domains.sort();
        domains.dedup();
        domains
    }

    /// Returns the combined DKIM status: pass when any signature passes, temperror when none passes and
    /// a lookup failed, fail when a signature failed, and none without signatures.
    pub fn dkim_status(&self) -> Status {
        let has = |status: Status| self.dkim.iter().any(|result| result.status == status);
        if has(Status::Pass) {
            Status::Pass
        } else if has(Status::TempError) {
            Status::TempError
        } else if has(Status::Fail) {
            Status::Fail
        } else if has(Status::PermError) {
            Status::PermError
        } else if has(Status::Neutral) {
            Status::Neutral
        } else {
            Status::None
        }
    }

    /// Turns the results into analysis factors. `protected_domains` are registrable domains of the
    /// organisation and its correspondents: a DMARC failure for one of them is a factor of its own.
    /// Temporary errors give a factor without points, so a report shows that the check did not complete.
    pub fn factors(&self, protected_domains: &[String]) -> Vec<Factor> {
        let mut factors = Vec::new();
        let by = match &self.source {
            AuthSource::Verified => "harrier".to_string(),
            AuthSource::TrustedHeader { authserv_id } => authserv_id.clone(),
        };
        let detail = |method: &str, result: &MethodResult| {
            let domain = result.domain.as_deref().unwrap_or("?");
            format!("{method}={} for {domain} by {by}", result.status.as_str())
        };
        let mut temporary = Vec::new();
        if let Some(spf) = &self.spf {
            match spf.status {
                Status::Fail => factors.push(Factor::new(FactorKind::SpfFail, detail("spf", spf))),
                Status::SoftFail => factors.push(Factor::new(FactorKind::SpfSoftfail, detail("spf", spf))),
                Status::TempError => temporary.push(detail("spf", spf)),
                _ => {}
            }
        }
        match self.dkim_status() {
            Status::Fail => {
                let failed = self.dkim.iter().find(|result| result.status == Status::Fail).expect("a fail result");
                factors.push(Factor::new(FactorKind::DkimFail, detail("dkim", failed)));
            }
            Status::TempError => {
                let failed = self.dkim.iter().find(|result| result.status == Status::TempError).expect("a temperror");
                temporary.push(detail("dkim", failed));
            }
            _ => {}
        }
        if let Some(dmarc) = &self.dmarc {
            match dmarc.status {
                Status::Fail => {
                    let protected = dmarc
                        .domain
                        .as_deref()
                        .and_then(registrable_domain)
                        .is_some_and(|domain| protected_domains.contains(&domain));
                    let kind = if protected { FactorKind::DmarcFailProtectedDomain } else { FactorKind::DmarcFail };
                    factors.push(Factor::new(kind, detail("dmarc", dmarc)));
                }
                Status::TempError => temporary.push(detail("dmarc", dmarc)),
                _ => {}
            }
        }
        if let Some(arc) = &self.arc {
            match arc.status {
                Status::Fail => factors.push(Factor::new(FactorKind::ArcFail, detail("arc", arc))),
                Status::TempError => temporary.push(detail("arc", arc)),
                _ => {}
            }
        }
        if let Some(compauth) = &self.compauth
            && compauth.status == Status::Fail
        {
            factors.push(Factor::new(FactorKind::CompauthFail, format!("compauth=fail by {by}")));
        }
        if !temporary.is_empty() {
            let count = temporary.len() as u32;
            factors.push(Factor { kind: FactorKind::AuthTemporaryError, detail: temporary.join("; "), count });
        }
        factors
    }
}

/// Returns the signing domains (`d=`) of the message's DKIM-Signature headers, lower-cased and without
/// repeats, whether or not the signatures verify.
pub fn dkim_signature_domains(raw: &[u8]) -> Vec<String> {
    let Some(message) = mail_auth::AuthenticatedMessage::parse(raw) else { return Vec::new() };
    let mut domains: Vec<String> = message.dkim_headers.iter().map(|header| header.header.d.to_ascii_lowercase()).collect();
    domains.sort();
    domains.dedup();
    domains
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(dmarc: Status, domain: &str) -> AuthOutcome {
        AuthOutcome {
            source: AuthSource::Verified,
            spf: Some(MethodResult::new(Status::TempError, Some(domain.into()))),
            dkim: vec![MethodResult::new(Status::Fail, Some(domain.into())), MethodResult::new(Status::Pass, Some("esp.example".into()))],
            dmarc: Some(MethodResult::new(dmarc, Some(domain.into()))),
            dmarc_policy: Some("reject".into()),
            arc: None,
            compauth: None,
        }
    }

    #[test]
    fn dmarc_fail_on_protected_domain() {
        let factors = outcome(Status::Fail, "mail.contoso.com").factors(&["contoso.com".into()]);
        let kinds: Vec<FactorKind> = factors.iter().map(|factor| factor.kind).collect();
        assert!(kinds.contains(&FactorKind::DmarcFailProtectedDomain), "{kinds:?}");
        assert!(!kinds.contains(&FactorKind::DmarcFail), "{kinds:?}");
    }

    #[test]
    fn dmarc_fail_elsewhere_is_plain() {
        let factors = outcome(Status::Fail, "example.net").factors(&["contoso.com".into()]);
        assert!(factors.iter().any(|factor| factor.kind == FactorKind::DmarcFail));
    }

    #[test]
    fn temporary_errors_are_not_failures() {
        let factors = outcome(Status::TempError, "example.net").factors(&[]);
        let kinds: Vec<FactorKind> = factors.iter().map(|factor| factor.kind).collect();
        assert_eq!(kinds, vec![FactorKind::AuthTemporaryError], "one signature passed, so DKIM passes");
        assert_eq!(factors[0].count, 2, "spf and dmarc");
    }

    #[test]
    fn any_passing_signature_passes_dkim() {
        assert_eq!(outcome(Status::Pass, "example.net").dkim_status(), Status::Pass);
        assert_eq!(outcome(Status::Pass, "example.net").dkim_pass_domains(), vec!["esp.example".to_string()]);
    }
}
