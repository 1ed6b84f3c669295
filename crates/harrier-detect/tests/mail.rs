//! The mail models end to end: mail files replayed into a store, learned and scored in time order, and
//! the breaches chained into incidents per user.
//!
//! The messages are written by the tests (the organisation is contoso.com, everyone else is under
//! `.example`), so each scenario controls exactly what the history holds before the message that matters.

use std::path::Path;

use harrier_detect::{AnalysisDb, Breach, Engine, analyse};
use harrier_enrich::IpIntel;
use harrier_mail::verify::TrustedHops;
use harrier_pipeline::{MailOptions, NoProgress, ReplayOptions, replay};
use harrier_store::Store;
use jiff::{Timestamp, ToSpan};

const START: &str = "2025-03-03T09:00:00Z";

/// One message to write as an `.eml` file.
struct Mail<'a> {
    from: &'a str,
    name: &'a str,
    to: &'a [&'a str],
    subject: &'a str,
    body: &'a str,
    relay_ip: &'a str,
    time: Timestamp,
}

impl Mail<'_> {
    fn render(&self, id: usize) -> String {
        let date = self.time.strftime("%a, %d %b %Y %H:%M:%S +0000");
        let domain = self.from.rsplit_once('@').map_or("example", |(_, domain)| domain);
        format!(
            "Received: from mail.{domain} ({ip}) by\r\n AM0EUR02FT010.mail.protection.outlook.com (10.13.54.10) with Microsoft SMTP\r\n Server; {date}\r\n\
             From: {name} <{from}>\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {date}\r\n\
             Message-ID: <m{id}@{domain}>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{body}\r\n",
            ip = self.relay_ip,
            name = self.name,
            from = self.from,
            to = self.to.join(", "),
            subject = self.subject,
            body = self.body,
        )
    }
}

fn day(offset: i64) -> Timestamp {
    START.parse::<Timestamp>().unwrap() + (offset * 24).hours()
}

fn write(dir: &Path, mails: &[Mail<'_>]) {
    for (index, mail) in mails.iter().enumerate() {
        std::fs::write(dir.join(format!("{index:05}.eml")), mail.render(index)).unwrap();
    }
}

/// Replays the folder with contoso.com protected and Exchange Online trusted, analyses it, and returns
/// the breaches, the database and the data directory that holds both.
fn run(dir: &Path) -> (Vec<Breach>, AnalysisDb, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let mut store = Store::open(data.path()).unwrap();
    let intel = IpIntel::embedded().unwrap();
    let options = ReplayOptions {
        mail: MailOptions { protected_domains: vec!["contoso.com".into()], trusted_hops: TrustedHops::exchange_online() },
        ..ReplayOptions::default()
    };
    let (files, errors) = harrier_pipeline::collect_files(&[dir.to_path_buf()]);
    assert!(errors.is_empty());
    let summary = replay(&files, &options, &intel, &mut store, &NoProgress).unwrap();
    assert_eq!(summary.records.skipped, 0, "{summary:?}");
    let mut db = AnalysisDb::open(data.path()).unwrap();
    analyse(&store, &mut db, &Engine::with_defaults()).unwrap();
    let breaches = db.breaches().unwrap();
    (breaches, db, data)
}

fn of_model<'a>(breaches: &'a [Breach], model: &str) -> Vec<&'a Breach> {
    breaches.iter().filter(|breach| breach.model_id == model).collect()
}

const SUPPLIER_NOTE: &str = "<p>Hello Bob, the delivery schedule is on <a href=\"https://portal.supplier.example/schedule\">our portal</a>.</p>";

/// Forty days of ordinary mail from a supplier to Bob, with Bob answering.
fn supplier_history() -> Vec<Mail<'static>> {
    let mut mails = Vec::new();
    for offset in 0..40 {
        mails.push(Mail {
            from: "ann@supplier.example",
            name: "Ann Smith",
            to: &["bob@contoso.com"],
            subject: "Delivery schedule",
            body: SUPPLIER_NOTE,
            relay_ip: "193.0.6.139",
            time: day(offset),
        });
        mails.push(Mail {
            from: "bob@contoso.com",
            name: "Bob Jones",
            to: &["ann@supplier.example"],
            subject: "Re: Delivery schedule",
            body: "<p>Thanks Ann.</p>",
            relay_ip: "193.0.6.140",
            time: day(offset) + 2.hours(),
        });
    }
    mails
}

const LURE: &str = "<p>Your mailbox password expires today. Verify your account now to avoid suspension.</p>\
    <p><a href=\"https://secure-login-verify.weebly.com/office365/?email=bob@contoso.com\">Sign in to Microsoft 365</a></p>";

#[test]
fn first_time_sender_with_credential_link_raises_breach() {
    let dir = tempfile::tempdir().unwrap();
    let mut mails = supplier_history();
    mails.push(Mail {
        from: "it-support@helpdesk-mailer.example",
        name: "IT Support",
        to: &["bob@contoso.com"],
        subject: "Password expiry notice",
        body: LURE,
        relay_ip: "45.62.170.237",
        time: day(41),
    });
    write(dir.path(), &mails);
    let (breaches, db, _data) = run(dir.path());

    let new_contact = of_model(&breaches, "mail.new_contact_suspicious_link");
    assert_eq!(new_contact.len(), 1, "{breaches:#?}");
    assert_eq!(new_contact[0].user.as_deref(), Some("bob@contoso.com"));
    assert_eq!(new_contact[0].technique_id, "T1566.002");
    assert!(new_contact[0].score >= 50.0, "{:?}", new_contact[0]);
    assert!(new_contact[0].evidence.iter().any(|evidence| evidence.name == "link"), "{:?}", new_contact[0].evidence);
    assert_eq!(of_model(&breaches, "mail.credential_harvest_link").len(), 1, "{breaches:#?}");

    let incidents = db.incidents().unwrap();
    let bob = incidents.iter().find(|incident| incident.user.as_deref() == Some("bob@contoso.com")).expect("an incident for bob");
    assert!(bob.breaches.len() >= 2, "both breaches chain into one incident: {bob:?}");
}

#[test]
fn long_known_correspondent_raises_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut mails = supplier_history();
    mails.push(Mail {
        from: "ann@supplier.example",
        name: "Ann Smith",
        to: &["bob@contoso.com"],
        subject: "Delivery schedule",
        body: SUPPLIER_NOTE,
        relay_ip: "193.0.6.139",
        time: day(41),
    });
    write(dir.path(), &mails);
    let (breaches, _db, _data) = run(dir.path());
    let mail_breaches: Vec<&Breach> = breaches.iter().filter(|breach| breach.model_id.starts_with("mail.")).collect();
    assert!(mail_breaches.is_empty(), "{mail_breaches:#?}");
}

#[test]
fn changed_supplier_iban_raises_payment_change() {
    let dir = tempfile::tempdir().unwrap();
    let mut mails = supplier_history();
    let invoice = |iban: &'static str, offset: i64| Mail {
        from: "billing@supplier.example",
        name: "Supplier Billing",
        to: &["ap@contoso.com"],
        subject: "Invoice",
        body: iban,
        relay_ip: "193.0.6.139",
        time: day(offset) + 1.hours(),
    };
    for offset in [5, 15, 25, 35] {
        mails.push(invoice("<p>Please pay invoice 1001 to IBAN DE89 3704 0044 0532 0130 00.</p>", offset));
    }
    mails.push(invoice("<p>Our bank changed. Please pay invoice 1002 to IBAN GB82 WEST 1234 5698 7654 32 from now on.</p>", 41));
    write(dir.path(), &mails);
    let (breaches, _db, _data) = run(dir.path());

    let changes = of_model(&breaches, "mail.payment_detail_change");
    assert_eq!(changes.len(), 1, "only the changed invoice: {breaches:#?}");
    assert_eq!(changes[0].user.as_deref(), Some("ap@contoso.com"));
    assert_eq!(changes[0].technique_id, "T1657");
    assert!(changes[0].evidence.iter().any(|evidence| evidence.name == "new_iban" && evidence.value == "GB82WEST12345698765432"));
}

#[test]
fn outbound_burst_to_new_recipients_raises_breach() {
    let dir = tempfile::tempdir().unwrap();
    let mut mails = supplier_history();
    let recipients: Vec<String> = (0..120).map(|index| format!("target{index}@victims{}.example", index % 7)).collect();
    let recipients: &'static [String] = Box::leak(recipients.into_boxed_slice());
    let leaked: Vec<&'static str> = recipients.iter().map(String::as_str).collect();
    let leaked: &'static [&'static str] = Box::leak(leaked.into_boxed_slice());
    for (index, chunk) in leaked.chunks(10).enumerate() {
        mails.push(Mail {
            from: "bob@contoso.com",
            name: "Bob Jones",
            to: chunk,
            subject: "Shared document",
            body: "<p>Please review the attached document.</p>",
            relay_ip: "193.0.6.140",
            time: day(41) + (index as i64).minutes(),
        });
    }
    write(dir.path(), &mails);
    let (breaches, _db, _data) = run(dir.path());

    let bursts = of_model(&breaches, "mail.outbound_new_recipients");
    assert_eq!(bursts.len(), 1, "raised once for the day: {breaches:#?}");
    assert_eq!(bursts[0].user.as_deref(), Some("bob@contoso.com"));
    assert_eq!(bursts[0].technique_id, "T1534");
}
