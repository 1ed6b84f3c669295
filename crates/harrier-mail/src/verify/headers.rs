//! Authentication results of delivered mail, read from the headers of trusted hops only.
//!
//! Every MTA on the way may add an Authentication-Results header, and so may the sender, so a header
//! is evidence only when a host the operator trusts wrote it. A receiving MTA adds its Received header
//! and then its Authentication-Results header above it, so the writer of a header is the `by` host of
//! the Received header directly below it. Headers are read from the top down while every hop above is
//! trusted. At the first untrusted hop the walk stops, because anything below it may be forged.

use super::{AuthOutcome, AuthSource, MethodResult, Status};
use crate::auth::AuthenticationResults;
use crate::message::MailMessage;

/// Host patterns of the hops whose Authentication-Results are trusted.
///
/// A pattern is a host name (`mx.example.org`) or a wildcard for the names under a domain
/// (`*.prod.outlook.com` matches `am0pr02mb1234.eurprd02.prod.outlook.com` but not `prod.outlook.com`
/// itself). Names are compared case-insensitively. The patterns match both authserv-ids and the `by`
/// hosts of Received headers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedHops {
    patterns: Vec<String>,
}

impl TrustedHops {
    /// Creates the list from patterns; empty patterns are left out.
    pub fn new<I, S>(patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let patterns = patterns
            .into_iter()
            .map(|pattern| pattern.as_ref().trim().trim_end_matches('.').to_ascii_lowercase())
            .filter(|pattern| !pattern.is_empty() && pattern != "*." && pattern != "*")
            .collect();
        TrustedHops { patterns }
    }

    /// The hosts of Exchange Online: its mailbox servers under `prod.outlook.com`, its edge servers under
    /// `protection.outlook.com`, and its front ends under `outlook.office365.com`, which write the
    /// topmost Received headers of delivered mail.
    pub fn exchange_online() -> Self {
        Self::new(["*.prod.outlook.com", "*.protection.outlook.com", "*.outlook.office365.com"])
    }

    /// Creates the list from an operator's names, where `exchange-online` stands for
    /// [`TrustedHops::exchange_online`].
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Self {
        let mut patterns = Vec::new();
        for name in names {
            if name.as_ref().trim().eq_ignore_ascii_case("exchange-online") {
                patterns.extend(Self::exchange_online().patterns);
            } else {
                patterns.push(name.as_ref().to_owned());
            }
        }
        Self::new(patterns)
    }

    /// Returns the patterns, normalised.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Returns whether no pattern is configured.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Returns whether `host` matches a pattern.
    pub fn matches(&self, host: &str) -> bool {
        let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
        self.patterns.iter().any(|pattern| match pattern.strip_prefix("*.") {
            Some(suffix) => host.len() > suffix.len() + 1 && host.ends_with(suffix) && host[..host.len() - suffix.len()].ends_with('.'),
            None => host == *pattern,
        })
    }
}

/// Returns the results of the topmost Authentication-Results header that a trusted hop wrote, or `None`
/// when no trusted hop wrote one.
pub fn from_trusted_headers(message: &MailMessage, trusted: &TrustedHops) -> Option<AuthOutcome> {
    if trusted.is_empty() {
        return None;
    }
    let trusted_hop = |index: usize| {
        message.received.get(index).and_then(|hop| hop.by_host.as_deref()).is_some_and(|host| trusted.matches(host))
    };
    // The number of Received headers, from the top, that trusted hosts wrote.
    let trusted_prefix = (0..message.received.len()).take_while(|index| trusted_hop(*index)).count();
    message
        .authentication_results
        .iter()
        .filter(|header| header.received_above < trusted_prefix)
        .find_map(|header| outcome_of(header, message, trusted))
}

/// Reads one header when its writer is trusted.
fn outcome_of(header: &AuthenticationResults, message: &MailMessage, trusted: &TrustedHops) -> Option<AuthOutcome> {
    let writer = message.received.get(header.received_above).and_then(|hop| hop.by_host.clone());
    let authserv_id = match &header.authserv_id {
        Some(id) if trusted.matches(id) => id.clone(),
        Some(_) => return None,
        None => writer.filter(|host| trusted.matches(host))?,
    };
    let methods = ["spf", "dkim", "dmarc", "arc", "compauth"];
    if !header.results.iter().any(|result| methods.contains(&result.method.as_str())) {
        return None;
    }
    let property = |result: &crate::auth::AuthResult, names: &[&str]| {
        names.iter().find_map(|name| {
            result.properties.iter().find(|(key, _)| key == name).map(|(_, value)| value.trim_start_matches('@').to_string())
        })
    };
    let mut outcome = AuthOutcome {
        source: AuthSource::TrustedHeader { authserv_id },
        spf: None,
        dkim: Vec::new(),
        dmarc: None,
        dmarc_policy: None,
        arc: None,
        compauth: None,
    };
    for result in &header.results {
        let Some(status) = Status::from_word(&result.result) else { continue };
        match result.method.as_str() {
            "spf" if outcome.spf.is_none() => {
                let domain = property(result, &["smtp.mailfrom", "smtp.helo"]).map(|value| domain_of(&value));
                outcome.spf = Some(MethodResult::new(status, domain));
            }
            "dkim" => outcome.dkim.push(MethodResult::new(status, property(result, &["header.d", "header.i"]).map(|value| domain_of(&value)))),
            "dmarc" if outcome.dmarc.is_none() => {
                outcome.dmarc = Some(MethodResult::new(status, property(result, &["header.from"])));
                outcome.dmarc_policy = property(result, &["policy.dmarc", "action"]).map(|value| value.to_ascii_lowercase());
            }
            "arc" if outcome.arc.is_none() => outcome.arc = Some(MethodResult::new(status, None)),
            "compauth" if outcome.compauth.is_none() => outcome.compauth = Some(MethodResult::new(status, None)),
            _ => {}
        }
    }
    // Exchange Online writes `dkim=none ... header.d=none` for unsigned mail.
    outcome.dkim.retain(|result| !(result.status == Status::None && result.domain.as_deref() == Some("none")));
    Some(outcome)
}

/// Returns the domain of an address, or the value itself when it has no `@`.
fn domain_of(value: &str) -> String {
    value.rsplit_once('@').map_or(value, |(_, domain)| domain).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_matches_subdomains_only() {
        let trusted = TrustedHops::new(["*.prod.outlook.com", "mx.example.org"]);
        assert!(trusted.matches("AM0PR02MB1234.eurprd02.prod.outlook.com"));
        assert!(trusted.matches("mx.example.org."));
        assert!(!trusted.matches("prod.outlook.com"));
        assert!(!trusted.matches("evilprod.outlook.com"));
        assert!(!trusted.matches("prod.outlook.com.evil.example"));
        assert!(!trusted.matches("mx2.example.org"));
    }

    #[test]
    fn empty_and_bare_wildcards_dropped() {
        assert!(TrustedHops::new(["", "*", "*."]).is_empty());
    }
}
