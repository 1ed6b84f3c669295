//! The message judged against the organisation's mail history.
//!
//! The history itself is learned elsewhere (harrier-learn keeps who writes to whom, through which
//! infrastructure, with which links). The caller looks the message up there and passes the answers as a
//! [`HistoryContext`], which this module turns into factors. A message without history gets none of them.

use serde::Serialize;

use super::{Factor, FactorKind};

/// What the learned mail history says about one inbound message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HistoryContext {
    /// Recipients in the organisation that never had mail from this sender and never wrote to it.
    pub first_time_recipients: Vec<String>,
    /// True when nobody in the organisation has had mail from, or written to, this sender.
    pub first_time_to_organisation: bool,
    /// Infrastructure never seen for this known sender: relay ASNs (`AS64500`) and DKIM signing domains.
    pub new_infrastructure: Vec<String>,
    /// The display name, when it is known for other addresses and never for this one.
    pub known_name_new_address: Option<String>,
    /// Link domains (registrable) never seen in the organisation's mail.
    pub new_link_domains: Vec<String>,
}

impl HistoryContext {
    /// Turns the answers into factors.
    pub fn factors(&self) -> Vec<Factor> {
        let mut factors = Vec::new();
        if self.first_time_to_organisation {
            factors.push(Factor::new(FactorKind::FirstTimeSenderToOrganisation, "no earlier mail with this sender"));
        } else if !self.first_time_recipients.is_empty() {
            factors.push(counted(FactorKind::FirstTimeSender, &self.first_time_recipients));
        }
        if !self.new_infrastructure.is_empty() {
            factors.push(counted(FactorKind::NewSendingInfrastructure, &self.new_infrastructure));
        }
        if let Some(name) = &self.known_name_new_address {
            factors.push(Factor::new(FactorKind::KnownNameNewAddress, name.clone()));
        }
        if !self.new_link_domains.is_empty() {
            factors.push(counted(FactorKind::NewLinkDomain, &self.new_link_domains));
        }
        factors
    }
}

fn counted(kind: FactorKind, values: &[String]) -> Factor {
    Factor { kind, detail: values.join(", "), count: values.len().max(1) as u32 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_history_adds_nothing() {
        assert!(HistoryContext::default().factors().is_empty());
    }

    #[test]
    fn organisation_novelty_replaces_recipient_novelty() {
        let history = HistoryContext {
            first_time_recipients: vec!["a@contoso.com".into()],
            first_time_to_organisation: true,
            new_link_domains: vec!["evil.example".into(), "other.example".into()],
            ..HistoryContext::default()
        };
        let factors = history.factors();
        let kinds: Vec<FactorKind> = factors.iter().map(|factor| factor.kind).collect();
        assert_eq!(kinds, vec![FactorKind::FirstTimeSenderToOrganisation, FactorKind::NewLinkDomain]);
        assert_eq!(factors[1].count, 2);
    }
}
