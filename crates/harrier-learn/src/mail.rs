//! The organisation's mail pattern of life: who writes to whom and how often, through which
//! infrastructure, under which display names, with which links, and how much each user sends.
//!
//! Inbound mail teaches who the senders are; outbound and internal mail teaches whom each user writes to,
//! so a sender the recipient has written to is a known correspondent (a reply relationship) even before
//! it writes back. [`MailHistory::novelty`] tells, for one message, what is new against everything learned
//! before it.
//!
//! Each map is bounded: past its cap new keys are not added, so a flood of one-off senders cannot grow the
//! state without limit.
// NOTE: counts do not decay yet, unlike the sign-in profiles, so an old correspondent stays known.

use std::collections::{BTreeMap, BTreeSet};

use harrier_model::{EmailMessage, MailDirection};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Senders remembered per tenant.
const MAX_SENDERS: usize = 100_000;
/// Recipients remembered per sender, and correspondents per user.
const MAX_CONTACTS: usize = 512;
/// Display names, relay ASNs, DKIM domains and IBANs remembered per sender.
const MAX_SMALL_SET: usize = 16;
/// Domains and link domains remembered per tenant.
const MAX_DOMAINS: usize = 200_000;
/// Days of outbound volume kept per user.
const OUTBOUND_DAYS: usize = 30;

/// What the organisation has learned about one external or internal sender address.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SenderHistory {
    pub first_ms: i64,
    pub last_ms: i64,
    pub messages: u32,
    /// Recipients in the organisation and how many messages each had from this sender.
    pub recipients: BTreeMap<String, u32>,
    /// Display names used, lower-cased.
    pub display_names: BTreeSet<String>,
    pub relay_asns: BTreeSet<u32>,
    pub dkim_domains: BTreeSet<String>,
}

/// One day of a user's outbound mail.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OutboundDay {
    /// Days since the Unix epoch.
    pub day: u32,
    pub messages: u32,
    pub recipients: u32,
    /// Recipients the user had never written to before.
    pub new_recipients: u32,
}

/// What the organisation has learned about one of its users' own mail.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UserMail {
    /// Addresses the user wrote to, with message counts.
    pub wrote_to: BTreeMap<String, u32>,
    /// The last days with outbound mail, oldest first.
    pub outbound: Vec<OutboundDay>,
}

impl UserMail {
    /// Returns the mean and maximum of new recipients per day over the finished days before `day`.
    pub fn new_recipient_days(&self, day: u32) -> (f32, u32, usize) {
        let past: Vec<u32> = self.outbound.iter().filter(|entry| entry.day < day).map(|entry| entry.new_recipients).collect();
        if past.is_empty() {
            return (0.0, 0, 0);
        }
        let mean = past.iter().sum::<u32>() as f32 / past.len() as f32;
        (mean, past.iter().copied().max().unwrap_or(0), past.len())
    }

    /// Returns today's outbound counts, when the user sent mail on `day`.
    pub fn day(&self, day: u32) -> Option<&OutboundDay> {
        self.outbound.iter().rev().find(|entry| entry.day == day)
    }
}

/// The mail history of one tenant.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MailHistory {
    pub senders: BTreeMap<String, SenderHistory>,
    pub users: BTreeMap<String, UserMail>,
    /// External domains the organisation exchanged mail with, in either direction, with message counts.
    pub domains: BTreeMap<String, u32>,
    /// Registrable domains of links seen in the organisation's mail, with message counts.
    pub link_domains: BTreeMap<String, u32>,
    /// Lower-cased display names and the addresses seen with them.
    pub display_names: BTreeMap<String, BTreeSet<String>>,
    /// IBANs seen per sender domain.
    pub ibans: BTreeMap<String, BTreeSet<String>>,
    pub messages: u64,
}

/// What is new about one message against the history learned before it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MailNovelty {
    /// Recipients that never had mail from this sender and never wrote to it.
    pub first_time_recipients: Vec<String>,
    /// True when nobody in the organisation has had mail from, or written to, this sender address.
    pub first_time_to_organisation: bool,
    /// True when the sender's domain is one the organisation corresponds with.
    pub known_domain: bool,
    /// Messages from this sender before this one.
    pub sender_messages: u32,
    /// Relay ASNs (`AS64500`) and DKIM domains (`dkim:example.org`) never seen for this known sender.
    pub new_infrastructure: Vec<String>,
    /// The display name, when known for other addresses and never for this one.
    pub known_name_new_address: Option<String>,
    /// The addresses the display name is known for.
    pub name_known_for: Vec<String>,
    /// Link domains never seen in the organisation's mail.
    pub new_link_domains: Vec<String>,
    /// IBANs of this message unknown for a sender domain that had others before, with those others.
    pub changed_ibans: Vec<String>,
    pub previous_ibans: Vec<String>,
}

fn domain_of(address: &str) -> Option<&str> {
    address.rsplit_once('@').map(|(_, domain)| domain).filter(|domain| !domain.is_empty())
}

fn insert_bounded<T: Ord>(set: &mut BTreeSet<T>, value: T, cap: usize) {
    if set.len() < cap || set.contains(&value) {
        set.insert(value);
    }
}

fn count_bounded(map: &mut BTreeMap<String, u32>, key: &str, cap: usize) {
    if let Some(count) = map.get_mut(key) {
        *count = count.saturating_add(1);
    } else if map.len() < cap {
        map.insert(key.to_string(), 1);
    }
}

fn day_of(time: Timestamp) -> u32 {
    (time.as_second().max(0) / 86_400) as u32
}

impl MailHistory {
    /// Learns one message.
    pub fn learn(&mut self, email: &EmailMessage, time: Timestamp) {
        self.messages += 1;
        let Some(from) = email.from.as_deref() else { return };
        for link in &email.link_domains {
            count_bounded(&mut self.link_domains, link, MAX_DOMAINS);
        }
        match email.direction {
            MailDirection::Inbound => self.learn_inbound(email, from, time),
            MailDirection::Outbound | MailDirection::Internal => self.learn_outbound(email, from, time),
        }
    }

    fn learn_inbound(&mut self, email: &EmailMessage, from: &str, time: Timestamp) {
        if let Some(domain) = domain_of(from) {
            count_bounded(&mut self.domains, domain, MAX_DOMAINS);
            for iban in &email.ibans {
                insert_bounded(self.ibans.entry(domain.to_string()).or_default(), iban.clone(), MAX_SMALL_SET);
            }
        }
        if !self.senders.contains_key(from) && self.senders.len() >= MAX_SENDERS {
            return;
        }
        let time_ms = time.as_millisecond();
        let sender = self.senders.entry(from.to_string()).or_insert_with(|| SenderHistory { first_ms: time_ms, ..SenderHistory::default() });
        sender.last_ms = sender.last_ms.max(time_ms);
        sender.messages = sender.messages.saturating_add(1);
        for recipient in &email.recipients {
            count_bounded(&mut sender.recipients, recipient, MAX_CONTACTS);
        }
        if let Some(name) = normalised_name(email.from_name.as_deref()) {
            insert_bounded(&mut sender.display_names, name.clone(), MAX_SMALL_SET);
            insert_bounded(self.display_names.entry(name).or_default(), from.to_string(), MAX_SMALL_SET);
        }
        for relay in &email.relays {
            if let Some(asn) = relay.asn {
                insert_bounded(&mut sender.relay_asns, asn, MAX_SMALL_SET);
            }
        }
        for domain in &email.dkim_domains {
            insert_bounded(&mut sender.dkim_domains, domain.clone(), MAX_SMALL_SET);
        }
    }

    fn learn_outbound(&mut self, email: &EmailMessage, from: &str, time: Timestamp) {
        let user = self.users.entry(from.to_string()).or_default();
        let mut new_recipients = 0;
        for recipient in &email.recipients {
            if !user.wrote_to.contains_key(recipient) {
                new_recipients += 1;
            }
            count_bounded(&mut user.wrote_to, recipient, MAX_CONTACTS);
        }
        let day = day_of(time);
        match user.outbound.last_mut() {
            Some(last) if last.day == day => {
                last.messages += 1;
                last.recipients += email.recipients.len() as u32;
                last.new_recipients += new_recipients;
            }
            _ => {
                user.outbound.push(OutboundDay { day, messages: 1, recipients: email.recipients.len() as u32, new_recipients });
                if user.outbound.len() > OUTBOUND_DAYS {
                    user.outbound.remove(0);
                }
            }
        }
        if email.direction == MailDirection::Outbound {
            for recipient in &email.recipients {
                if let Some(domain) = domain_of(recipient) {
                    count_bounded(&mut self.domains, domain, MAX_DOMAINS);
                }
            }
        }
        if let Some(name) = normalised_name(email.from_name.as_deref()) {
            insert_bounded(self.display_names.entry(name).or_default(), from.to_string(), MAX_SMALL_SET);
        }
    }

    /// Returns whether anyone in the organisation has written to `address`.
    pub fn anyone_wrote_to(&self, address: &str) -> bool {
        self.users.values().any(|user| user.wrote_to.contains_key(address))
    }

    /// Returns what is new about an inbound message. Outbound and internal mail gets an empty result.
    pub fn novelty(&self, email: &EmailMessage) -> MailNovelty {
        let mut novelty = MailNovelty::default();
        let Some(from) = email.from.as_deref() else { return novelty };
        novelty.new_link_domains =
            email.link_domains.iter().filter(|domain| !self.link_domains.contains_key(*domain)).cloned().collect();
        if email.direction != MailDirection::Inbound {
            return novelty;
        }
        let sender = self.senders.get(from);
        let replied_by: Vec<&String> =
            email.recipients.iter().filter(|recipient| self.users.get(*recipient).is_some_and(|user| user.wrote_to.contains_key(from))).collect();
        novelty.sender_messages = sender.map_or(0, |sender| sender.messages);
        novelty.first_time_to_organisation = sender.is_none() && !self.anyone_wrote_to(from);
        novelty.known_domain = domain_of(from).is_some_and(|domain| self.domains.contains_key(domain));
        novelty.first_time_recipients = email
            .recipients
            .iter()
            .filter(|recipient| !sender.is_some_and(|sender| sender.recipients.contains_key(*recipient)))
            .filter(|recipient| !replied_by.contains(recipient))
            .cloned()
            .collect();
        if let Some(sender) = sender {
            for relay in &email.relays {
                if let Some(asn) = relay.asn
                    && !sender.relay_asns.is_empty()
                    && !sender.relay_asns.contains(&asn)
                {
                    novelty.new_infrastructure.push(format!("AS{asn}"));
                }
            }
            for domain in &email.dkim_domains {
                if !sender.dkim_domains.is_empty() && !sender.dkim_domains.contains(domain) {
                    novelty.new_infrastructure.push(format!("dkim:{domain}"));
                }
            }
            novelty.new_infrastructure.dedup();
        }
        // Bulk senders vary the address under one domain (VERP bounce addresses), so only a known name
        // from another domain counts.
        if let Some(name) = normalised_name(email.from_name.as_deref())
            && let Some(addresses) = self.display_names.get(&name)
            && !addresses.contains(from)
            && !addresses.iter().any(|known| same_domain_family(domain_of(known), domain_of(from)))
        {
            novelty.known_name_new_address = email.from_name.clone();
            novelty.name_known_for = addresses.iter().cloned().collect();
        }
        if let Some(known) = domain_of(from).and_then(|domain| self.ibans.get(domain)) {
            novelty.changed_ibans = email.ibans.iter().filter(|iban| !known.contains(*iban)).cloned().collect();
            if !novelty.changed_ibans.is_empty() {
                novelty.previous_ibans = known.iter().cloned().collect();
            }
        }
        novelty
    }
}

/// Returns whether two domains are equal or one is a subdomain of the other.
fn same_domain_family(first: Option<&str>, second: Option<&str>) -> bool {
    let (Some(first), Some(second)) = (first, second) else { return false };
    let under = |child: &str, parent: &str| child.len() > parent.len() && child.ends_with(parent) && child[..child.len() - parent.len()].ends_with('.');
    first == second || under(first, second) || under(second, first)
}

/// Lower-cases a display name and collapses its spaces; names of fewer than three letters are ignored.
fn normalised_name(name: Option<&str>) -> Option<String> {
    let name = name?.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    let name = name.trim_matches(|character: char| character == '"' || character == '\'').to_string();
    (name.chars().filter(|character| character.is_alphabetic()).count() >= 3).then_some(name)
}

#[cfg(test)]
mod tests {
    use harrier_model::MailRelay;

    use super::*;

    fn inbound(from: &str, name: &str, to: &str, asn: u32) -> EmailMessage {
        EmailMessage {
            direction: MailDirection::Inbound,
            from: Some(from.into()),
            from_name: Some(name.into()),
            recipients: vec![to.into()],
            relays: vec![MailRelay { ip: "192.0.2.1".parse().unwrap(), asn: Some(asn), as_org: None }],
            link_domains: vec!["supplier.example".into()],
            ..EmailMessage::default()
        }
    }

    fn time(day: i64) -> Timestamp {
        Timestamp::from_second(day * 86_400).unwrap()
    }

    #[test]
    fn known_correspondent_is_not_new() {
        let mut history = MailHistory::default();
        let message = inbound("ann@supplier.example", "Ann Smith", "bob@contoso.com", 64500);
        assert!(history.novelty(&message).first_time_to_organisation);
        history.learn(&message, time(1));
        let novelty = history.novelty(&message);
        assert!(!novelty.first_time_to_organisation);
        assert!(novelty.first_time_recipients.is_empty());
        assert!(novelty.new_infrastructure.is_empty());
        assert!(novelty.new_link_domains.is_empty());
        assert_eq!(novelty.sender_messages, 1);
    }

    #[test]
    fn reply_relationship_makes_sender_known() {
        let mut history = MailHistory::default();
        let outbound = EmailMessage {
            direction: MailDirection::Outbound,
            from: Some("bob@contoso.com".into()),
            recipients: vec!["carol@partner.example".into()],
            ..EmailMessage::default()
        };
        history.learn(&outbound, time(1));
        let reply = inbound("carol@partner.example", "Carol", "bob@contoso.com", 64501);
        let novelty = history.novelty(&reply);
        assert!(!novelty.first_time_to_organisation);
        assert!(novelty.first_time_recipients.is_empty(), "bob wrote to carol first");
        assert!(novelty.known_domain);
    }

    #[test]
    fn new_infrastructure_and_name() {
        let mut history = MailHistory::default();
        history.learn(&inbound("ceo@contoso-partner.example", "Dana Chief", "bob@contoso.com", 64500), time(1));
        let moved = inbound("ceo@contoso-partner.example", "Dana Chief", "bob@contoso.com", 64999);
        assert_eq!(history.novelty(&moved).new_infrastructure, vec!["AS64999".to_string()]);
        let bounce_address = inbound("bounce-123@contoso-partner.example", "Dana Chief", "eve@contoso.com", 64500);
        assert_eq!(history.novelty(&bounce_address).known_name_new_address, None, "same domain");
        let impostor = inbound("dana.chief@freemail.example", "Dana  Chief", "eve@contoso.com", 64999);
        let novelty = history.novelty(&impostor);
        assert_eq!(novelty.known_name_new_address.as_deref(), Some("Dana  Chief"));
        assert!(novelty.first_time_to_organisation);
        assert_eq!(novelty.first_time_recipients, vec!["eve@contoso.com".to_string()]);
    }

    #[test]
    fn changed_iban_is_reported() {
        let mut history = MailHistory::default();
        let mut invoice = inbound("billing@supplier.example", "Billing", "ap@contoso.com", 64500);
        invoice.ibans = vec!["DE89370400440532013000".into()];
        history.learn(&invoice, time(1));
        assert!(history.novelty(&invoice).changed_ibans.is_empty());
        invoice.ibans = vec!["GB82WEST12345698765432".into()];
        let novelty = history.novelty(&invoice);
        assert_eq!(novelty.changed_ibans, vec!["GB82WEST12345698765432".to_string()]);
        assert_eq!(novelty.previous_ibans, vec!["DE89370400440532013000".to_string()]);
    }

    #[test]
    fn outbound_days_count_new_recipients() {
        let mut history = MailHistory::default();
        let mut message = EmailMessage {
            direction: MailDirection::Outbound,
            from: Some("bob@contoso.com".into()),
            recipients: vec!["x@a.example".into(), "y@b.example".into()],
            ..EmailMessage::default()
        };
        history.learn(&message, time(1));
        history.learn(&message, time(1));
        message.recipients = vec!["z@c.example".into()];
        history.learn(&message, time(2));
        let user = &history.users["bob@contoso.com"];
        assert_eq!(user.day(1).unwrap().new_recipients, 2);
        assert_eq!(user.day(1).unwrap().messages, 2);
        assert_eq!(user.day(2).unwrap().new_recipients, 1);
        assert_eq!(user.new_recipient_days(2), (2.0, 2, 1));
    }
}
