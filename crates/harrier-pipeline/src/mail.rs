//! Mail files in a replay: each message becomes an [`Activity::Email`] event.
//!
//! A replay is given log files and mail files together. [`is_mail_file`] tells them apart by their first
//! bytes, so a maildir's extensionless files are found as well as `.eml` and mbox files. Each message is
//! parsed and analysed by harrier-mail, with authentication results read only from trusted hops, and
//! stored with a [`MailSource`] reference to the file instead of the message bytes.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use harrier_enrich::IpIntel;
use harrier_ingest::{Skip, SkipReason};
use harrier_mail::analysis::{ReportModel, address_domain, registrable_domain};
use harrier_mail::verify::{TrustedHops, dkim_signature_domains, from_trusted_headers};
use harrier_mail::{AnalysisOptions, MailFormat, MailMessage, RawMessage, analyze, parse_message};
use harrier_model::{
    Activity, Actor, ActorKind, Client, EmailMessage, Event, MailDirection, MailFactor, MailRelay, MailSource,
    MailVerdict, Outcome, Record, SourceFormat, TenantId,
};
use jiff::Timestamp;

/// Settings for reading mail in a replay.
#[derive(Clone, Debug, Default)]
pub struct MailOptions {
    /// Registrable domains of the organisation. Mail from them is outbound or internal, and look-alikes
    /// of them are flagged.
    pub protected_domains: Vec<String>,
    /// The hops whose Authentication-Results headers are evidence.
    pub trusted_hops: TrustedHops,
    /// Words of the mail the tenant's analysts labelled, learned by `harrier learn mail`.
    pub reported: Option<Arc<ReportModel>>,
}

/// Returns whether the file holds mail: an mbox (`From ` first line) or a message whose first line is a
/// header field (`Name: value`), compressed with gzip or not. JSON and CSV logs start otherwise: a CSV
/// header row has commas or spaces before any colon.
pub fn is_mail_file(path: &Path) -> bool {
    harrier_mail::is_mail_file(path)
}

/// Turns one raw message into a record, or a skip naming the file and the message's position.
pub fn mail_record(raw: &RawMessage, tenant: Option<&TenantId>, options: &MailOptions, intel: &IpIntel) -> Result<Record, Skip> {
    let summary = parse_message(raw);
    let skip = |reason| Skip { path: raw.origin.path.clone(), line: raw.origin.index as u64 + 1, reason };
    // TODO: fall back to the date of the topmost Received header; about 2% of the public spam and
    // phishing corpora have no Date header and are skipped.
    let time = summary
        .date
        .as_deref()
        .and_then(|date| date.parse::<Timestamp>().ok())
        .ok_or_else(|| skip(SkipReason::MissingTime("Date")))?;

    let email = email_message(&summary, &raw.bytes, options, intel);
    let user = match email.direction {
        MailDirection::Outbound | MailDirection::Internal => email.from.clone(),
        MailDirection::Inbound => {
            let protected = email.recipients.iter().find(|address| in_protected(address, &options.protected_domains));
            protected.or(email.recipients.first()).cloned()
        }
    };
    let client_ip = origin_ip(&summary, &options.trusted_hops, intel);
    let ip_info = client_ip.map(|ip| intel.lookup(ip));
    let event = Event {
        tenant: tenant.cloned().unwrap_or_else(|| TenantId::new(TenantId::DEFAULT)),
        record_id: summary.record_id.clone(),
        time,
        format: SourceFormat::Mail,
        operation: format!("Mail{}", capitalised(email.direction.as_str())),
        workload: Some("Mail".to_string()),
        outcome: Outcome::Success,
        actor: Actor { user, display_name: None, object_id: None, app_id: None, kind: ActorKind::User },
        client: Client { ip: client_ip, user_agent: None },
        ip_info,
        activity: Activity::Email(email),
    };
    let source = MailSource {
        path: raw.origin.path.display().to_string(),
        index: raw.origin.index,
        format: source_format(raw).to_string(),
        size: raw.bytes.len() as u64,
        xxh3: format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&raw.bytes)),
    };
    let raw_json = serde_json::to_string(&source).expect("a mail source serialises");
    Ok(Record { event, raw: raw_json })
}

/// Builds the event's fields from the parsed summary and its analysis.
pub fn email_message(summary: &MailMessage, bytes: &[u8], options: &MailOptions, intel: &IpIntel) -> EmailMessage {
    let authentication = from_trusted_headers(summary, &options.trusted_hops);
    let analysis_options = AnalysisOptions {
        protected_domains: options.protected_domains.clone(),
        trusted_hops: options.trusted_hops.clone(),
        authentication: authentication.clone(),
        reported: options.reported.clone(),
        ..AnalysisOptions::default()
    };
    let analysis = analyze(summary, &analysis_options);

    let from = summary.from.as_ref().and_then(|from| from.address.as_deref()).map(str::to_ascii_lowercase);
    let mut recipients: Vec<String> = Vec::new();
    for mailbox in summary.to.iter().chain(&summary.cc).chain(&summary.bcc) {
        if let Some(address) = mailbox.address.as_deref().map(str::to_ascii_lowercase)
            && !recipients.contains(&address)
        {
            recipients.push(address);
        }
    }
    let direction = direction(from.as_deref(), &recipients, &options.protected_domains);
    let dkim_domains = match &authentication {
        Some(outcome) => outcome.dkim_pass_domains(),
        None => dkim_signature_domains(bytes),
    };
    let verdict = MailVerdict {
        class: analysis.verdict.class.name().to_string(),
        score: analysis.verdict.score,
        factors: analysis
            .factors
            .iter()
            .map(|weighted| MailFactor {
                kind: factor_name(weighted.factor.kind),
                detail: weighted.factor.detail.clone(),
                weight: weighted.weight,
            })
            .collect(),
    };
    EmailMessage {
        direction,
        message_id: summary.message_id.clone(),
        from,
        from_name: summary.from.as_ref().and_then(|from| from.name.clone()),
        recipients,
        reply_to: summary.reply_to.iter().filter_map(|mailbox| mailbox.address.as_deref()).map(str::to_ascii_lowercase).collect(),
        return_path: summary.return_path.as_deref().map(str::to_ascii_lowercase),
        subject: summary.subject.clone(),
        is_reply: summary.has_reply_headers,
        relays: relays(summary, intel),
        dkim_domains,
        link_domains: link_domains(summary),
        attachment_types: attachment_types(summary),
        ibans: harrier_mail::analysis::language::find_ibans(&harrier_mail::analysis::language::message_text(summary)),
        verdict,
    }
}

fn in_protected(address: &str, protected_domains: &[String]) -> bool {
    address_domain(address)
        .and_then(|domain| registrable_domain(&domain))
        .is_some_and(|domain| protected_domains.contains(&domain))
}

/// Mail from a protected domain is outbound, or internal when every recipient is also protected.
fn direction(from: Option<&str>, recipients: &[String], protected_domains: &[String]) -> MailDirection {
    if !from.is_some_and(|from| in_protected(from, protected_domains)) {
        return MailDirection::Inbound;
    }
    if !recipients.is_empty() && recipients.iter().all(|address| in_protected(address, protected_domains)) {
        MailDirection::Internal
    } else {
        MailDirection::Outbound
    }
}

/// The public addresses of the Received chain, most recent first, with their ASNs.
fn relays(summary: &MailMessage, intel: &IpIntel) -> Vec<MailRelay> {
    let mut relays: Vec<MailRelay> = Vec::new();
    for hop in &summary.received {
        let Some(ip) = hop.from_ip.as_deref().and_then(|ip| ip.parse::<IpAddr>().ok()) else { continue };
        if !is_public(ip) || relays.iter().any(|relay| relay.ip == ip) {
            continue;
        }
        let info = intel.lookup(ip);
        relays.push(MailRelay { ip, asn: info.asn, as_org: info.as_org });
    }
    relays
}

/// Returns the public address of the host that handed the message to the receiving side.
///
/// With trusted hops, only Received headers that trusted hosts wrote are read: the run of them from the
/// top, as for Authentication-Results. In each, the address is the one the receiving host recorded in the
/// comment after the sending host's name ([`connecting_ip`]), because the name is the sender's claim. The
/// first public address that is not an internal relay of Exchange Online is the sender's server. When
/// that server is one of Microsoft's (mail from another Microsoft 365 tenant), the hops below it belong to
/// that tenant or to the sender and cannot be checked, so no address is returned. Without trusted hops,
/// nothing distinguishes real headers from forged ones, and the first public address from the top is the
/// best guess.
fn origin_ip(summary: &MailMessage, trusted: &TrustedHops, intel: &IpIntel) -> Option<IpAddr> {
    if trusted.is_empty() {
        return summary
            .received
            .iter()
            .filter_map(|hop| hop.from_ip.as_deref()?.parse::<IpAddr>().ok())
            .find(|ip| is_public(*ip));
    }
    let microsoft_trusted = trusted.matches(EXCHANGE_ONLINE_EDGE_HOST);
    let written_by_trusted =
        summary.received.iter().take_while(|hop| hop.by_host.as_deref().is_some_and(|host| trusted.matches(host)));
    for hop in written_by_trusted {
        let Some(ip) = connecting_ip(&hop.raw) else { continue };
        if !is_public(ip) || (microsoft_trusted && is_exchange_relay(ip)) {
            continue;
        }
        if microsoft_trusted && intel.lookup_ref(ip).class == harrier_model::IpClass::Microsoft {
            return None;
        }
        return Some(ip);
    }
    None
}

/// A host name of Exchange Online's edge, to tell whether the operator trusts Exchange Online.
const EXCHANGE_ONLINE_EDGE_HOST: &str = "edge.mail.protection.outlook.com";

/// Returns whether an address is one Exchange Online's servers pass mail between: its IPv6 blocks
/// 2603:10x6::/32 (2603:10a6 and 2603:10b6 among them, for any hex digit x). Other parts of Microsoft's
/// 2603:1000::/24, such as Azure's, are left out, because anyone can send from an Azure machine.
fn is_exchange_relay(ip: IpAddr) -> bool {
    matches!(ip, IpAddr::V6(v6) if v6.segments()[0] == 0x2603 && v6.segments()[1] & 0xff0f == 0x1006)
}

/// Returns the address that the receiving host recorded for the sending host in a Received header: in
/// `from NAME (COMMENT) by ...`, the address in brackets in COMMENT, or else the last word of COMMENT that
/// is an address. NAME is what the sender announced (HELO) and may itself look like an address, so it is
/// read only as Exim writes it (`from [192.0.2.1] (helo=...)`), where the comment contains no address.
fn connecting_ip(raw: &str) -> Option<IpAddr> {
    let parse = |text: &str| {
        let text = text.trim().trim_start_matches("IPv6:").trim_start_matches("ipv6:");
        text.parse::<IpAddr>().ok()
    };
    let rest = raw.trim_start();
    let rest = rest.get(..5).filter(|from| from.eq_ignore_ascii_case("from ")).map(|_| &rest[5..])?.trim_start();
    let name_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let (name, after) = rest.split_at(name_end);
    let comment = after.trim_start().strip_prefix('(').and_then(|inner| inner.find(')').map(|end| &inner[..end]));
    if let Some(comment) = comment {
        let bracketed = comment.find('[').and_then(|start| comment[start + 1..].find(']').map(|end| &comment[start + 1..start + 1 + end]));
        if let Some(ip) = bracketed.and_then(parse) {
            return Some(ip);
        }
        if let Some(ip) = comment.split(|c: char| c.is_whitespace() || c == ',' || c == ';').filter_map(parse).last() {
            return Some(ip);
        }
    }
    name.strip_prefix('[').and_then(|inner| inner.strip_suffix(']')).and_then(parse)
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !(v4.is_private() || v4.is_loopback() || v4.is_link_local() || v4.is_unspecified() || v4.is_documentation()),
        IpAddr::V6(v6) => !(v6.is_loopback() || v6.is_unspecified() || (v6.segments()[0] & 0xfe00) == 0xfc00 || (v6.segments()[0] & 0xffc0) == 0xfe80),
    }
}

fn link_domains(summary: &MailMessage) -> Vec<String> {
    let mut domains: Vec<String> = summary
        .urls
        .iter()
        .filter_map(|found| url::Url::parse(&found.url).ok())
        .filter_map(|url| url.host_str().map(str::to_ascii_lowercase))
        // A host under a suffix the public suffix list does not know (`.example`, `.internal`) is kept whole.
        .map(|host| registrable_domain(&host).unwrap_or(host))
        .collect();
    domains.sort();
    domains.dedup();
    domains
}

fn attachment_types(summary: &MailMessage) -> Vec<String> {
    let mut types: Vec<String> = summary
        .attachments
        .iter()
        .filter_map(|attachment| attachment.detected_extension.clone().or_else(|| extension(attachment.file_name.as_deref()?)))
        .collect();
    types.sort();
    types.dedup();
    types
}

fn extension(name: &str) -> Option<String> {
    name.rsplit_once('.').map(|(_, extension)| extension.to_ascii_lowercase())
}

fn source_format(raw: &RawMessage) -> &'static str {
    let in_maildir = raw.origin.path.parent().and_then(|parent| parent.file_name()).is_some_and(|name| name == "cur" || name == "new");
    match raw.origin.format {
        MailFormat::Mbox => "mbox",
        MailFormat::Maildir => "maildir",
        MailFormat::Eml if in_maildir => "maildir",
        MailFormat::Eml => "eml",
    }
}

/// Returns the factor kind's name as serialised (`credential_request`).
fn factor_name(kind: harrier_mail::FactorKind) -> String {
    serde_json::to_value(kind).ok().and_then(|value| value.as_str().map(str::to_string)).unwrap_or_default()
}

fn capitalised(word: &str) -> String {
    let mut characters = word.chars();
    characters.next().map(|first| first.to_ascii_uppercase().to_string() + characters.as_str()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_sniffed_from_first_line() {
        assert!(harrier_mail::looks_like_message(b"From alice@example.org Mon Jan  1 00:00:00 2024\n"));
        assert!(harrier_mail::looks_like_message(b"Return-Path: <a@example.org>\r\nReceived: ..."));
        assert!(harrier_mail::looks_like_message(b"Received: from mx (mx [192.0.2.1])\n"));
        assert!(!harrier_mail::looks_like_message(b"[{\"CreationTime\": \"2024-01-01T00:00:00\"}]"));
        assert!(!harrier_mail::looks_like_message(b"{\"a\": 1}\n"));
        assert!(!harrier_mail::looks_like_message(b"CreationDate,UserIds,Operations,AuditData\r\n"));
        assert!(!harrier_mail::looks_like_message(b"TimeGenerated [UTC],UserPrincipalName\n"));
        assert!(!harrier_mail::looks_like_message(b""));
    }

    fn received_message(received: &[&str]) -> MailMessage {
        let mut text = String::new();
        for header in received {
            text.push_str(&format!("Received: {header}\r\n"));
        }
        text.push_str("From: a@example.org\r\nTo: b@contoso.com\r\nSubject: s\r\n\r\nbody\r\n");
        let origin = harrier_mail::MessageOrigin {
            path: "m.eml".into(),
            index: 0,
            format: harrier_mail::MailFormat::Eml,
        };
        parse_message(&RawMessage { origin, envelope_from: None, bytes: text.into_bytes() })
    }

    /// Returns the top of a message delivered by Exchange Online, in the shape Exchange Online writes it:
    /// the mailbox server's own hop, a front end under `outlook.office365.com`, and the edge server that
    /// `client` connected to, announcing itself as `helo`.
    fn exchange_chain(helo: &str, client: &str) -> Vec<String> {
        vec![
            "from SA3PR19MB0001.namprd19.prod.outlook.com (::1) by MN0PR19MB0002.namprd19.prod.outlook.com with HTTPS; Mon, 1 Jan 2024 00:00:03 +0000".to_owned(),
            "from BN0PR03CA0003.namprd03.prod.outlook.com (2603:10b6:408:e6::28) by SA3PR19MB0001.namprd19.prod.outlook.com (2603:10b6:806:317::17) with Microsoft SMTP Server; Mon, 1 Jan 2024 00:00:02 +0000".to_owned(),
            "from BN8NAM11FT004.eop-nam11.prod.protection.outlook.com (2603:10b6:408:e6:cafe::23) by BN0PR03CA0003.outlook.office365.com (2603:10b6:408:e6::28) with Microsoft SMTP Server; Mon, 1 Jan 2024 00:00:01 +0000".to_owned(),
            format!("from {helo} ({client}) by BN8NAM11FT004.mail.protection.outlook.com (10.13.177.138) with Microsoft SMTP Server; Mon, 1 Jan 2024 00:00:00 +0000"),
        ]
    }

    fn origin(received: &[String], trusted: &TrustedHops) -> Option<IpAddr> {
        let intel = IpIntel::embedded().unwrap();
        let headers: Vec<&str> = received.iter().map(String::as_str).collect();
        origin_ip(&received_message(&headers), trusted, &intel)
    }

    #[test]
    fn origin_is_below_trusted_hops() {
        let received = exchange_chain("mail.sender.example", "137.184.34.4");
        let trusted = TrustedHops::exchange_online();
        assert_eq!(origin(&received, &trusted), Some("137.184.34.4".parse().unwrap()));
        // Without trusted hops, the topmost public address is the best guess.
        assert_eq!(origin(&received, &TrustedHops::default()), Some("2603:10b6:408:e6::28".parse().unwrap()));
    }

    #[test]
    fn origin_ignores_forged_headers() {
        let trusted = TrustedHops::exchange_online();
        let forged = "from mail.bank.example (129.132.1.1) by BN8NAM11FT999.mail.protection.outlook.com; Mon, 1 Jan 2024 00:00:00 +0000";
        // A sender that announces a Microsoft name or an address as its HELO, with a forged header below.
        for helo in ["relay1.namprd00.prod.outlook.com", "x[6.6.6.6]", "a(6.6.6.6)"] {
            let mut received = exchange_chain(helo, "137.184.34.4");
            received.push(forged.to_owned());
            assert_eq!(origin(&received, &trusted), Some("137.184.34.4".parse().unwrap()), "{helo}");
        }
        // An Azure machine is an outside sender, however close to Microsoft's relays its address is.
        let azure = exchange_chain("vm.example", "2603:1030:20e:3::23e");
        assert_eq!(origin(&azure, &trusted), Some("2603:1030:20e:3::23e".parse().unwrap()));
        // Mail from another Microsoft 365 tenant: the hops below Microsoft's outbound server are not read.
        let mut tenant = exchange_chain("NAM12-BN8-obe.outbound.protection.outlook.com", "40.107.237.93");
        tenant.push(forged.to_owned());
        assert_eq!(origin(&tenant, &trusted), None);
    }

    #[test]
    fn connecting_ip_reads_the_comment() {
        let cases = [
            ("from mail.example.org (mail.example.org [192.0.2.1]) by mx.example.net", Some("192.0.2.1")),
            ("from host (137.184.34.4) by edge.mail.protection.outlook.com", Some("137.184.34.4")),
            ("from x[6.6.6.6] (137.184.34.4) by edge", Some("137.184.34.4")),
            ("from mx.example.com ([192.0.2.7] helo=mx) by exim.example.net", Some("192.0.2.7")),
            ("from [192.0.2.9] (helo=mx) by exim.example.net", Some("192.0.2.9")),
            ("from host (IPv6:2001:db8::1) by mx", Some("2001:db8::1")),
            ("by host (Postfix, from userid 0)", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(connecting_ip(raw), expected.map(|ip| ip.parse().unwrap()), "{raw}");
        }
    }

    #[test]
    fn direction_follows_protected_domains() {
        let protected = vec!["contoso.com".to_string()];
        let inside = vec!["bob@contoso.com".to_string()];
        let outside = vec!["eve@example.net".to_string()];
        assert_eq!(direction(Some("alice@contoso.com"), &inside, &protected), MailDirection::Internal);
        assert_eq!(direction(Some("alice@mail.contoso.com"), &outside, &protected), MailDirection::Outbound);
        assert_eq!(direction(Some("eve@example.net"), &inside, &protected), MailDirection::Inbound);
        assert_eq!(direction(None, &inside, &protected), MailDirection::Inbound);
    }
}
