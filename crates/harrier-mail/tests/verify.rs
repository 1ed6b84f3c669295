//! SPF, DKIM, DMARC and ARC checked in the mail flow against a pre-seeded resolver cache, and results read
//! from the Authentication-Results headers of trusted hops only.
//!
//! The resolver of every verifier here points at a closed loopback port, so a record the test did not seed
//! becomes a DNS failure, never a query to a real server.

mod common;

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::Duration;

use base64::Engine;
use harrier_mail::analysis::{AnalysisOptions, FactorKind, analyze};
use harrier_mail::verify::{AuthSource, Envelope, Status, TrustedHops, Verifier, from_trusted_headers};
use harrier_mail::{MailFormat, MessageOrigin, RawMessage, parse_message};
use mail_auth::common::crypto::Ed25519Key;
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;

const DAY: Duration = Duration::from_secs(86_400);

/// The SPF and DMARC records the SpamAssassin DMARC test messages were written against: the domain's own
/// server may send, nothing else, and failing mail is to be rejected.
// NOTE: SpamAssassin's test zone is live DNS and is not copied here; these records are written to match
// what its tests expect (rejectok passes, rejectko fails), not read from the zone.
const SA_DOMAIN: &str = "dmarc3.spamassassin.org";
const SA_SPF: &str = "v=spf1 ip4:64.142.3.173 -all";
const SA_DMARC: &str = "v=DMARC1; p=reject";

/// Returns a loopback port with nothing listening on it.
fn closed_port() -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind a loopback port");
    socket.local_addr().expect("local address")
}

fn verifier() -> Verifier {
    Verifier::with_name_servers(&[closed_port()], Duration::from_millis(300)).expect("resolver set up")
}

fn sa_verifier() -> Verifier {
    let verifier = verifier();
    verifier.cache().add_txt(SA_DOMAIN, SA_SPF, DAY).unwrap();
    verifier.cache().add_txt(&format!("_dmarc.{SA_DOMAIN}"), SA_DMARC, DAY).unwrap();
    verifier.cache().add_missing_txt(&format!("selector1._domainkey.{SA_DOMAIN}"), DAY);
    verifier.cache().add_missing_txt("mail-pf1-x432.google.com", DAY);
    // DMARC's tree walk asks the parents of the From domain for a policy too.
    verifier.cache().add_missing_txt("_dmarc.spamassassin.org", DAY);
    verifier.cache().add_missing_txt("_dmarc.org", DAY);
    verifier
}

fn envelope(ip: &str, helo: &str, mail_from: &str) -> Envelope {
    Envelope { client_ip: ip.parse::<IpAddr>().unwrap(), helo: helo.into(), mail_from: mail_from.into(), host_domain: "mx.contoso.com".into() }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn raw(bytes: &[u8]) -> RawMessage {
    RawMessage {
        bytes: bytes.to_vec(),
        origin: MessageOrigin { path: "test.eml".into(), index: 0, format: MailFormat::Eml },
        envelope_from: None,
    }
}

#[test]
fn spamassassin_dmarc_pass() {
    let bytes = common::fixture_message_bytes("dmarc-reject-pass.eml");
    let envelope = envelope("64.142.3.173", SA_DOMAIN, "test@dmarc3.spamassassin.org");
    let outcome = runtime().block_on(sa_verifier().verify(&bytes, &envelope)).expect("message has headers");

    assert_eq!(outcome.source, AuthSource::Verified);
    assert_eq!(outcome.spf.as_ref().unwrap().status, Status::Pass);
    assert_eq!(outcome.dmarc.as_ref().unwrap().status, Status::Pass, "SPF is aligned with the From domain");
    assert_eq!(outcome.dmarc_policy.as_deref(), Some("reject"));
    assert_eq!(outcome.dkim.len(), 1, "one signature");
    assert_ne!(outcome.dkim_status(), Status::TempError, "a missing key is not a DNS failure");
    assert!(outcome.factors(&["spamassassin.org".into()]).iter().all(|factor| factor.kind != FactorKind::DmarcFailProtectedDomain));
}

#[test]
fn spamassassin_dmarc_fail() {
    let bytes = common::fixture_message_bytes("dmarc-reject-fail.eml");
    let envelope = envelope("2607:f8b0:4864:20::432", "mail-pf1-x432.google.com", "test@dmarc3.spamassassin.org");
    let outcome = runtime().block_on(sa_verifier().verify(&bytes, &envelope)).expect("message has headers");

    assert_eq!(outcome.spf.as_ref().unwrap().status, Status::Fail);
    assert_eq!(outcome.dkim_status(), Status::None, "the message is not signed");
    assert_eq!(outcome.dmarc.as_ref().unwrap().status, Status::Fail);
    assert_eq!(outcome.dmarc.as_ref().unwrap().domain.as_deref(), Some(SA_DOMAIN));

    let protected = outcome.factors(&["spamassassin.org".into()]);
    assert!(protected.iter().any(|factor| factor.kind == FactorKind::DmarcFailProtectedDomain), "{protected:?}");
    assert!(protected.iter().any(|factor| factor.kind == FactorKind::SpfFail), "{protected:?}");
    let elsewhere = outcome.factors(&[]);
    assert!(elsewhere.iter().any(|factor| factor.kind == FactorKind::DmarcFail), "{elsewhere:?}");

    let message = parse_message(&raw(&bytes));
    let options = AnalysisOptions { protected_domains: vec!["spamassassin.org".into()], authentication: Some(outcome), ..AnalysisOptions::default() };
    let analysis = analyze(&message, &options);
    assert!(analysis.factors.iter().any(|factor| factor.factor.kind == FactorKind::DmarcFailProtectedDomain && factor.weight > 0));
    assert!(analysis.verdict.score >= 40, "{:?}", analysis.verdict);
}

#[test]
fn dns_failure_is_temporary() {
    let bytes = common::fixture_message_bytes("dmarc-reject-fail.eml");
    let envelope = envelope("2607:f8b0:4864:20::432", "mail-pf1-x432.google.com", "test@dmarc3.spamassassin.org");
    let outcome = runtime().block_on(verifier().verify(&bytes, &envelope)).expect("message has headers");

    assert_eq!(outcome.spf.as_ref().unwrap().status, Status::TempError, "{outcome:?}");
    assert_ne!(outcome.dmarc.as_ref().unwrap().status, Status::Fail, "{outcome:?}");
    let factors = outcome.factors(&["spamassassin.org".into()]);
    let kinds: Vec<FactorKind> = factors.iter().map(|factor| factor.kind).collect();
    assert!(kinds.contains(&FactorKind::AuthTemporaryError), "{kinds:?}");
    assert!(!kinds.contains(&FactorKind::SpfFail), "{kinds:?}");
    assert!(!kinds.contains(&FactorKind::DmarcFail), "{kinds:?}");
    assert!(!kinds.contains(&FactorKind::DmarcFailProtectedDomain), "{kinds:?}");
}

/// Signs a message with a fresh Ed25519 key and returns the signed bytes and the key's DNS record.
fn signed_message(body: &str) -> (Vec<u8>, String) {
    let pkcs8 = Ed25519Key::generate_pkcs8().unwrap();
    let key = Ed25519Key::from_pkcs8_der(&pkcs8).unwrap();
    let record = format!("v=DKIM1; k=ed25519; p={}", base64::engine::general_purpose::STANDARD.encode(key.public_key()));
    let message = format!(
        "From: Dana Chief <dana@example.org>\r\nTo: bob@contoso.com\r\nSubject: Quarter figures\r\n\
         Date: Mon, 3 Mar 2025 10:00:00 +0000\r\nMessage-ID: <q1@example.org>\r\n\r\n{body}\r\n"
    );
    let signature = DkimSigner::from_key(key)
        .domain("example.org")
        .selector("s1")
        .headers(["From", "To", "Subject", "Date", "Message-ID"])
        .sign(message.as_bytes())
        .unwrap();
    let mut signed = signature.to_header().into_bytes();
    signed.extend_from_slice(message.as_bytes());
    (signed, record)
}

fn example_verifier(key_record: &str) -> Verifier {
    let verifier = verifier();
    verifier.cache().add_txt("s1._domainkey.example.org", key_record, DAY).unwrap();
    verifier.cache().add_txt("example.org", "v=spf1 ip4:198.51.100.7 -all", DAY).unwrap();
    verifier.cache().add_txt("_dmarc.example.org", "v=DMARC1; p=quarantine", DAY).unwrap();
    verifier.cache().add_missing_txt("bounce.esp.example", DAY);
    verifier.cache().add_missing_txt("out.esp.example", DAY);
    // DMARC's tree walk asks the parent of the From domain for a policy too.
    verifier.cache().add_missing_txt("_dmarc.org", DAY);
    verifier
}

#[test]
fn dkim_signature_passes_dmarc() {
    let (signed, record) = signed_message("Figures attached.");
    // Sent through another provider, so SPF is not aligned and DMARC rests on DKIM alone.
    let envelope = envelope("203.0.113.9", "out.esp.example", "bounce@bounce.esp.example");
    let outcome = runtime().block_on(example_verifier(&record).verify(&signed, &envelope)).unwrap();

    assert_eq!(outcome.dkim_status(), Status::Pass, "{outcome:?}");
    assert_eq!(outcome.dkim_pass_domains(), vec!["example.org".to_string()]);
    assert_eq!(outcome.dmarc.as_ref().unwrap().status, Status::Pass, "{outcome:?}");
    assert_eq!(outcome.arc, None, "no ARC headers");
}

#[test]
fn tampered_body_fails_dkim_and_dmarc() {
    let (signed, record) = signed_message("Figures attached.");
    let tampered = String::from_utf8(signed).unwrap().replace("Figures attached.", "Pay the new account.");
    let envelope = envelope("203.0.113.9", "out.esp.example", "bounce@bounce.esp.example");
    let outcome = runtime().block_on(example_verifier(&record).verify(tampered.as_bytes(), &envelope)).unwrap();

    assert_eq!(outcome.dkim_status(), Status::Fail, "{outcome:?}");
    assert_eq!(outcome.dmarc.as_ref().unwrap().status, Status::Fail, "{outcome:?}");
    let kinds: Vec<FactorKind> = outcome.factors(&["example.org".into()]).iter().map(|factor| factor.kind).collect();
    assert!(kinds.contains(&FactorKind::DkimFail), "{kinds:?}");
    assert!(kinds.contains(&FactorKind::DmarcFailProtectedDomain), "{kinds:?}");
}

#[test]
fn tampered_header_fails_dkim() {
    let (signed, record) = signed_message("Figures attached.");
    let tampered = String::from_utf8(signed).unwrap().replace("Subject: Quarter figures", "Subject: Urgent payment");
    let envelope = envelope("203.0.113.9", "out.esp.example", "bounce@bounce.esp.example");
    let outcome = runtime().block_on(example_verifier(&record).verify(tampered.as_bytes(), &envelope)).unwrap();
    assert_eq!(outcome.dkim_status(), Status::Fail, "{outcome:?}");
    assert_eq!(outcome.dmarc.as_ref().unwrap().status, Status::Fail, "{outcome:?}");
}

/// A delivered message as Exchange Online stores it: its edge host wrote the Authentication-Results header
/// (without an authserv-id) above its own Received header. `forged` is a header the sender added.
fn delivered(forged: &str) -> Vec<u8> {
    format!(
        "Received: from AM0PR02CA0001.eurprd02.prod.outlook.com (2603:10a6::1) by\r\n AM0PR02MB1234.eurprd02.prod.outlook.com with HTTPS; Mon, 3 Mar 2025 10:00:02 +0000\r\n\
         Authentication-Results: spf=fail (sender IP is 203.0.113.9)\r\n smtp.mailfrom=example.org; dkim=none (message not signed)\r\n header.d=none;dmarc=fail action=quarantine header.from=example.org;compauth=fail\r\n reason=000\r\n\
         Received: from mail.attacker.example (203.0.113.9) by\r\n AM0EUR02FT010.mail.protection.outlook.com (10.13.54.10) with Microsoft SMTP\r\n Server; Mon, 3 Mar 2025 10:00:01 +0000\r\n\
         {forged}\
         Received: from localhost (localhost [127.0.0.1]) by mail.attacker.example (Postfix);\r\n Mon, 3 Mar 2025 10:00:00 +0000\r\n\
         From: Dana Chief <dana@example.org>\r\nTo: bob@contoso.com\r\nSubject: Invoice\r\n\
         Date: Mon, 3 Mar 2025 10:00:00 +0000\r\nMessage-ID: <inv@attacker.example>\r\n\r\nPlease pay.\r\n"
    )
    .into_bytes()
}

#[test]
fn trusted_exchange_header_is_read() {
    let message = parse_message(&raw(&delivered("")));
    let outcome = from_trusted_headers(&message, &TrustedHops::exchange_online()).expect("a trusted header");
    assert_eq!(outcome.source, AuthSource::TrustedHeader { authserv_id: "AM0EUR02FT010.mail.protection.outlook.com".into() });
    assert_eq!(outcome.spf.as_ref().unwrap().status, Status::Fail);
    assert_eq!(outcome.dmarc.as_ref().unwrap().status, Status::Fail);
    assert_eq!(outcome.dmarc_policy.as_deref(), Some("quarantine"));
    assert!(outcome.dkim.is_empty(), "`dkim=none header.d=none` is no signature");
    assert_eq!(outcome.compauth.as_ref().unwrap().status, Status::Fail);
    let kinds: Vec<FactorKind> = outcome.factors(&[]).iter().map(|factor| factor.kind).collect();
    assert!(kinds.contains(&FactorKind::CompauthFail), "{kinds:?}");
}

#[test]
fn untrusted_hop_header_is_ignored() {
    // The sender's own server claims everything passed, with an authserv-id copied from Exchange Online.
    let forged = "Authentication-Results: AM0EUR02FT999.mail.protection.outlook.com; spf=pass\r\n smtp.mailfrom=example.org; dkim=pass header.d=example.org; dmarc=pass header.from=example.org\r\n";
    let bytes = delivered(forged);
    let message = parse_message(&raw(&bytes));
    let outcome = from_trusted_headers(&message, &TrustedHops::exchange_online()).expect("the edge header");
    assert_eq!(outcome.dmarc.as_ref().unwrap().status, Status::Fail, "the forged pass below the edge is not read");

    let options = AnalysisOptions { trusted_hops: TrustedHops::exchange_online(), protected_domains: vec!["example.org".into()], ..AnalysisOptions::default() };
    let analysis = analyze(&message, &options);
    assert!(analysis.factors.iter().any(|factor| factor.factor.kind == FactorKind::DmarcFailProtectedDomain));

    // With only the forged header left, nothing is trusted.
    let only_forged = String::from_utf8(bytes).unwrap().replacen("Authentication-Results: spf=fail", "X-Removed: spf=fail", 1);
    let message = parse_message(&raw(only_forged.as_bytes()));
    assert_eq!(from_trusted_headers(&message, &TrustedHops::exchange_online()), None);
    let analysis = analyze(&message, &options);
    let auth_kinds = [FactorKind::SpfFail, FactorKind::DkimFail, FactorKind::DmarcFail, FactorKind::DmarcFailProtectedDomain];
    assert!(analysis.factors.iter().all(|factor| !auth_kinds.contains(&factor.factor.kind)));
}

#[test]
fn header_of_unlisted_authserv_id_is_ignored() {
    let bytes = delivered("");
    let message = parse_message(&raw(&bytes));
    assert_eq!(from_trusted_headers(&message, &TrustedHops::new(["mx.contoso.com"])), None);
    assert_eq!(from_trusted_headers(&message, &TrustedHops::default()), None);
}
