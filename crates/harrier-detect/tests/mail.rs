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
            "Received: from AM0EUR02FT010.eop-eur02.prod.protection.outlook.com (2603:10a6:208:1::10) by\r\n \
             AM0PR02MB0001.eurprd02.prod.outlook.com (2603:10a6:208:2::20) with Microsoft SMTP Server; {date}\r\n\
             Received: from mail.{domain} ({ip}) by\r\n AM0EUR02FT010.mail.protection.outlook.com (10.13.54.10) with Microsoft SMTP\r\n Server; {date}\r\n\
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
        mail: MailOptions { protected_domains: vec!["contoso.com".into()], trusted_hops: TrustedHops::exchange_online(), ..MailOptions::default() },
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
    let (breaches, db, data) = run(dir.path());

    let new_contact = of_model(&breaches, "mail.new_contact_suspicious_link");
    assert_eq!(new_contact.len(), 1, "{breaches:#?}");
    assert_eq!(new_contact[0].user.as_deref(), Some("bob@contoso.com"));
    assert_eq!(new_contact[0].technique_id, "T1566.002");
    assert!(new_contact[0].score >= 50.0, "{:?}", new_contact[0]);
    assert!(new_contact[0].evidence.iter().any(|evidence| evidence.name == "link"), "{:?}", new_contact[0].evidence);
    assert_eq!(of_model(&breaches, "mail.credential_harvest_link").len(), 1, "{breaches:#?}");
    assert_eq!(verdicts(data.path())["Password expiry notice"].0, "credential_phishing");
    assert!(of_model(&breaches, "mail.fraud_lure").is_empty(), "credential harvest covers it: {breaches:#?}");

    let incidents = db.incidents().unwrap();
    let bob = incidents.iter().find(|incident| incident.user.as_deref() == Some("bob@contoso.com")).expect("an incident for bob");
    assert!(bob.breaches.len() >= 2, "both breaches chain into one incident: {bob:?}");

    // The source is the sender's server below Microsoft's own hops, and the advice is about the message.
    assert_eq!(new_contact[0].source_ip, Some("45.62.170.237".parse().unwrap()));
    let report = report_for(&db, &breaches, "bob@contoso.com");
    assert!(report.contains("Remove the message from bob@contoso.com's mailbox"), "{report}");
    assert!(report.contains("(45.62.170.237)"), "{report}");
    assert!(!report.contains("password is strong"), "{report}");
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
    let (breaches, db, _data) = run(dir.path());

    let changes = of_model(&breaches, "mail.payment_detail_change");
    assert_eq!(changes.len(), 1, "only the changed invoice: {breaches:#?}");
    assert_eq!(changes[0].user.as_deref(), Some("ap@contoso.com"));
    assert_eq!(changes[0].technique_id, "T1657");
    assert!(changes[0].evidence.iter().any(|evidence| evidence.name == "new_iban" && evidence.value == "GB82WEST12345698765432"));
    let report = report_for(&db, &breaches, "ap@contoso.com");
    assert!(report.contains("Pay nothing to the new bank details"), "{report}");
}

/// Returns the investigation report of the user's incident.
fn report_for(db: &AnalysisDb, breaches: &[Breach], user: &str) -> String {
    let incidents = db.incidents().unwrap();
    let incident = incidents.iter().find(|incident| incident.user.as_deref() == Some(user)).expect("an incident for the user");
    let steps: Vec<Breach> = breaches.iter().filter(|breach| incident.breaches.contains(&breach.id)).cloned().collect();
    harrier_detect::report::write_report(incident, &steps, &[])
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
    let (breaches, db, _data) = run(dir.path());

    let bursts = of_model(&breaches, "mail.outbound_new_recipients");
    assert_eq!(bursts.len(), 1, "raised once for the day: {breaches:#?}");
    assert_eq!(bursts[0].user.as_deref(), Some("bob@contoso.com"));
    assert_eq!(bursts[0].technique_id, "T1534");
    // Mail sent from the account is about the account, not about a message that reached it.
    let report = report_for(&db, &breaches, "bob@contoso.com");
    assert!(report.contains("Disable bob@contoso.com"), "{report}");
    assert!(!report.contains("Remove the message"), "{report}");
}

/// Returns the verdict class and score the replay stored for each message, by subject.
fn verdicts(data: &Path) -> std::collections::BTreeMap<String, (String, u32)> {
    let store = Store::open(data).unwrap();
    let mut verdicts = std::collections::BTreeMap::new();
    for tenant in store.tenants().unwrap() {
        store
            .for_each_event(&tenant, |event| {
                if let harrier_model::Activity::Email(email) = &event.activity {
                    let subject = email.subject.clone().unwrap_or_default();
                    verdicts.insert(subject, (email.verdict.class.clone(), email.verdict.score));
                }
                true
            })
            .unwrap();
    }
    verdicts
}

/// Writes `mails` as `.eml` files with list headers added to the message at `bulk_index`.
fn write_with_bulk(dir: &Path, mails: &[Mail<'_>], bulk_index: usize) {
    write(dir, mails);
    let path = dir.join(format!("{bulk_index:05}.eml"));
    let rendered = std::fs::read_to_string(&path).unwrap();
    let listed = rendered.replacen(
        "\r\nSubject:",
        "\r\nList-Unsubscribe: <https://news.lottery-digest.example/unsubscribe>\r\nList-Id: <weekly.lottery-digest.example>\r\nSubject:",
        1,
    );
    std::fs::write(path, listed).unwrap();
}

const ADVANCE_FEE_SUBJECT: &str = "Unclaimed inheritance of my late client";

const ADVANCE_FEE: &str = "<p>Dear friend, I am the lawyer of my late client, who died with no next of kin. You are \
    the beneficiary of an unclaimed inheritance of 4.5 million dollars.</p><p>For confidentiality write to me at \
    james.okafor.private@gmail.com with your full name and phone number.</p>";

fn advance_fee(from: &'static str, name: &'static str, relay_ip: &'static str) -> Mail<'static> {
    Mail { from, name, to: &["bob@contoso.com"], subject: ADVANCE_FEE_SUBJECT, body: ADVANCE_FEE, relay_ip, time: day(41) }
}

#[test]
fn advance_fee_scam_raises_fraud_lure() {
    let dir = tempfile::tempdir().unwrap();
    let mut mails = supplier_history();
    mails.push(advance_fee("barrister.okafor@chambers-intl.example", "Barrister James Okafor", "45.62.170.237"));
    write(dir.path(), &mails);
    let (breaches, db, data) = run(dir.path());

    assert_eq!(verdicts(data.path())[ADVANCE_FEE_SUBJECT].0, "bec_fraud");
    let lures = of_model(&breaches, "mail.fraud_lure");
    assert_eq!(lures.len(), 1, "{breaches:#?}");
    let lure = lures[0];
    assert_eq!(lure.user.as_deref(), Some("bob@contoso.com"));
    assert_eq!(lure.technique_id, "T1657");
    assert!(lure.summary.contains("First-time sender barrister.okafor@chambers-intl.example"), "{}", lure.summary);
    assert!(lure.summary.contains("james.okafor.private@gmail.com"), "{}", lure.summary);
    let factors: Vec<&str> = lure.evidence.iter().filter(|evidence| evidence.name == "factor").map(|evidence| evidence.value.as_str()).collect();
    assert!(factors.iter().any(|factor| factor.starts_with("contact_address_in_body: ")), "{factors:?}");
    assert!(factors.iter().any(|factor| factor.starts_with("scam_language: ") && factor.contains("inheritance")), "{factors:?}");
    let correspondent = lure.evidence.iter().find(|evidence| evidence.name == "correspondent").expect("correspondent evidence");
    assert_eq!(correspondent.value, "first message from this sender to the organisation");
    assert!(lure.deviations.iter().any(|deviation| deviation.measure == "mail_correspondent"), "{:?}", lure.deviations);

    let incidents = db.incidents().unwrap();
    let bob = incidents.iter().find(|incident| incident.user.as_deref() == Some("bob@contoso.com")).expect("an incident for bob");
    assert!(bob.models.contains("mail.fraud_lure"), "{bob:?}");
}

#[test]
fn fraud_lure_scores_first_time_sender_higher() {
    let dir = tempfile::tempdir().unwrap();
    let mut mails = supplier_history();
    // The same scam from Ann, whom Bob has corresponded with for forty days.
    mails.push(advance_fee("ann@supplier.example", "Ann Smith", "193.0.6.139"));
    write(dir.path(), &mails);
    let (known_breaches, _db, known_data) = run(dir.path());
    let known_verdict = verdicts(known_data.path())[ADVANCE_FEE_SUBJECT].clone();

    let dir = tempfile::tempdir().unwrap();
    let mut mails = supplier_history();
    mails.push(advance_fee("barrister.okafor@chambers-intl.example", "Barrister James Okafor", "45.62.170.237"));
    write(dir.path(), &mails);
    let (new_breaches, _db, new_data) = run(dir.path());
    let new_verdict = verdicts(new_data.path())[ADVANCE_FEE_SUBJECT].clone();

    let known = of_model(&known_breaches, "mail.fraud_lure");
    let new = of_model(&new_breaches, "mail.fraud_lure");
    assert_eq!(known.len(), 1, "a known correspondent's scam still raises a breach: {known_breaches:#?}");
    assert_eq!(new.len(), 1, "{new_breaches:#?}");
    assert_eq!(known_verdict.0, "bec_fraud");
    assert_eq!(new_verdict.0, "bec_fraud");
    // The verdict already counts a first-time sender, and the model adds the history on top of that.
    let breach_gap = new[0].score - known[0].score;
    let verdict_gap = new_verdict.1 as f32 - known_verdict.1 as f32;
    assert!(breach_gap > verdict_gap, "first-time {} vs known {}, verdicts {new_verdict:?} vs {known_verdict:?}", new[0].score, known[0].score);
    assert!(known[0].summary.starts_with("ann@supplier.example asks for replies"), "{}", known[0].summary);
}

#[test]
fn callback_scam_raises_fraud_lure() {
    let dir = tempfile::tempdir().unwrap();
    let mut mails = supplier_history();
    mails.push(Mail {
        from: "billing.desk2291@gmail.com",
        name: "Billing Department",
        to: &["bob@contoso.com"],
        subject: "Your subscription was renewed",
        body: "<p>Your subscription has been renewed and USD 499.99 will be charged today. If you did not \
               authorise this purchase, call our billing desk at +1 (888) 555-0147 to cancel and receive a refund.</p>",
        relay_ip: "45.62.170.237",
        time: day(41),
    });
    write(dir.path(), &mails);
    let (breaches, _db, data) = run(dir.path());

    assert_eq!(verdicts(data.path())["Your subscription was renewed"].0, "bec_fraud");
    let lures = of_model(&breaches, "mail.fraud_lure");
    assert_eq!(lures.len(), 1, "{breaches:#?}");
    assert!(lures[0].summary.starts_with("Callback scam from first-time sender billing.desk2291@gmail.com"), "{}", lures[0].summary);
    assert!(lures[0].summary.contains("+1 (888) 555-0147"), "{}", lures[0].summary);
    assert!(lures[0].summary.contains("no link"), "{}", lures[0].summary);
}

#[test]
fn abused_sign_up_form_raises_fraud_lure() {
    let dir = tempfile::tempdir().unwrap();
    let mut mails = supplier_history();
    mails.push(Mail {
        from: "wordpress@shop-news.example.net",
        name: "WordPress",
        to: &["bob@contoso.com"],
        subject: "Login Details",
        body: "<p>Username: www.promo.blogspot.com - BONUS 150 EURO</p><p>To set your password, visit                https://shop-news.example.net/wp-login.php?login=www.promo.blogspot.com%20-%20BONUS%20150%20EURO&amp;key=k1&amp;action=rp</p>",
        relay_ip: "45.62.170.237",
        time: day(41),
    });
    write(dir.path(), &mails);
    let (breaches, _db, data) = run(dir.path());

    assert_eq!(verdicts(data.path())["Login Details"].0, "bec_fraud");
    let lures = of_model(&breaches, "mail.fraud_lure");
    assert_eq!(lures.len(), 1, "{breaches:#?}");
    assert!(lures[0].summary.contains("sign-up link's user name"), "{}", lures[0].summary);
}

#[test]
fn fraud_lure_skips_clean_spam_and_graymail() {
    let dir = tempfile::tempdir().unwrap();
    let mut mails = supplier_history();
    let message = |from: &'static str, subject: &'static str, body: &'static str| Mail {
        from,
        name: "Sender",
        to: &["bob@contoso.com"],
        subject,
        body,
        relay_ip: "45.62.170.237",
        time: day(41),
    };
    mails.push(message("events@venue.example", "Conference dinner", "<p>Congratulations on the launch. See you at the dinner.</p>"));
    mails.push(message("promo@raffle.example", "Lucky draw", "<p>Congratulations, you have won in our lucky draw.</p>"));
    // Urgency and the recipient's address in the subject reach a threat score without evidence of any
    // payload class, so the verdict classes the message as spam.
    mails.push(message(
        "notices@reminders.example",
        "Final notice for bob@contoso.com",
        "<p>Urgent: action required immediately. Final notice, last warning, time sensitive.</p>",
    ));
    mails.push(message("digest@lottery-digest.example", "Weekly lottery digest", "<p>This week's jackpot winner and the lucky draw results.</p>"));
    let bulk_index = mails.len() - 1;
    write_with_bulk(dir.path(), &mails, bulk_index);
    let (breaches, _db, data) = run(dir.path());

    let verdicts = verdicts(data.path());
    assert_eq!(verdicts["Conference dinner"].0, "clean", "{verdicts:?}");
    assert_eq!(verdicts["Lucky draw"].0, "spam", "{verdicts:?}");
    let (class, score) = verdicts["Final notice for bob@contoso.com"].clone();
    assert_eq!(class, "spam", "{verdicts:?}");
    assert!(score >= 40, "spam at a threat score: {verdicts:?}");
    assert_eq!(verdicts["Weekly lottery digest"].0, "graymail", "{verdicts:?}");
    assert!(of_model(&breaches, "mail.fraud_lure").is_empty(), "{breaches:#?}");
}

#[test]
fn fraud_lure_skips_list_mail_with_phrases_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut mails = supplier_history();
    mails.push(Mail {
        from: "digest@lottery-digest.example",
        name: "Lottery Digest",
        to: &["bob@contoso.com"],
        subject: "Weekly lottery digest",
        body: "<p>This week's jackpot winner and the lucky draw results. Congratulations to the sweepstakes winners.</p>",
        relay_ip: "45.62.170.237",
        time: day(41),
    });
    write_with_bulk(dir.path(), &mails, mails.len() - 1);
    let (breaches, _db, data) = run(dir.path());

    assert_eq!(verdicts(data.path())["Weekly lottery digest"].0, "bec_fraud");
    assert!(of_model(&breaches, "mail.fraud_lure").is_empty(), "{breaches:#?}");
}

#[test]
fn fraud_lure_leaves_changed_iban_to_payment_change() {
    let dir = tempfile::tempdir().unwrap();
    let mut mails = supplier_history();
    let invoice = |subject: &'static str, body: &'static str, offset: i64| Mail {
        from: "billing@supplier.example",
        name: "Supplier Billing",
        to: &["ap@contoso.com"],
        subject,
        body,
        relay_ip: "193.0.6.139",
        time: day(offset) + 1.hours(),
    };
    for offset in [5, 15, 25, 35] {
        mails.push(invoice("Invoice", "<p>Please pay invoice 1001 to IBAN DE89 3704 0044 0532 0130 00.</p>", offset));
    }
    mails.push(invoice(
        "Urgent: new bank details",
        "<p>Urgent: our bank changed. Make the payment of the overdue invoice 1002 today by wire transfer to IBAN \
         GB82 WEST 1234 5698 7654 32 and send a copy to supplier.accounts.dept@gmail.com, not to this address.</p>",
        41,
    ));
    write(dir.path(), &mails);
    let (breaches, _db, data) = run(dir.path());

    assert_eq!(verdicts(data.path())["Urgent: new bank details"].0, "bec_fraud");
    assert_eq!(of_model(&breaches, "mail.payment_detail_change").len(), 1, "{breaches:#?}");
    assert!(of_model(&breaches, "mail.fraud_lure").is_empty(), "{breaches:#?}");
    assert!(of_model(&breaches, "mail.fraud_lure").is_empty(), "{breaches:#?}");
}

#[test]
fn reply_to_named_after_sender_raises_fraud_lure() {
    let dir = tempfile::tempdir().unwrap();
    let mails = supplier_history();
    write(dir.path(), &mails);
    let borrowed = Mail {
        from: "m.rossi@shop-news.example.net",
        name: "Stella Michael",
        to: &["bob@contoso.com"],
        subject: "Hello",
        body: "<p>Good day, my name is Stella Michael. I have an urgent business proposal for you. Kindly confirm \
               that you received my mail.</p>",
        relay_ip: "45.62.170.237",
        time: day(41),
    };
    // The Reply-To is a free mailbox named after the writer, on another domain than the borrowed account.
    let rendered = borrowed.render(mails.len()).replacen("\r\nTo: ", "\r\nReply-To: mrsstellamichael002@gmail.com\r\nTo: ", 1);
    std::fs::write(dir.path().join(format!("{:05}.eml", mails.len())), rendered).unwrap();
    let (breaches, _db, data) = run(dir.path());

    assert_eq!(verdicts(data.path())["Hello"].0, "bec_fraud");
    let lures = of_model(&breaches, "mail.fraud_lure");
    assert_eq!(lures.len(), 1, "{breaches:#?}");
    assert!(lures[0].summary.contains("diverts replies to mrsstellamichael002@gmail.com"), "{}", lures[0].summary);
}

#[test]
fn learned_words_are_saved_per_tenant() {
    use harrier_mail::analysis::ReportModel;
    use harrier_mail::analysis::reported::Label;

    let dir = tempfile::tempdir().unwrap();
    let contoso = harrier_model::TenantId::new("contoso");
    let fabrikam = harrier_model::TenantId::new("fabrikam");
    let mut model = ReportModel::new();
    model.learn(&["garden".to_string(), "s:discounts".to_string()], Label::Reported);
    model.learn(&["kernel".to_string()], Label::Legitimate);
    {
        let mut db = AnalysisDb::open(dir.path()).unwrap();
        assert_eq!(db.load_report_model(&contoso).unwrap(), None);
        db.save_report_model(&contoso, &model).unwrap();
    }
    let db = AnalysisDb::open(dir.path()).unwrap();
    assert_eq!(db.load_report_model(&contoso).unwrap(), Some(model.clone()));
    assert_eq!(db.load_report_model(&fabrikam).unwrap(), None);
    assert_eq!(AnalysisDb::read_report_model(dir.path(), &contoso).unwrap(), Some(model));
    drop(db);

    // Words saved in another format version are not read.
    let connection = rusqlite::Connection::open(dir.path().join(harrier_detect::DATABASE_FILE)).unwrap();
    connection.execute("UPDATE report_model SET version = version + 1", []).unwrap();
    drop(connection);
    assert_eq!(AnalysisDb::read_report_model(dir.path(), &contoso).unwrap(), None);
}

#[test]
fn reading_learned_words_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let tenant = harrier_model::TenantId::new("contoso");
    assert_eq!(AnalysisDb::read_report_model(dir.path(), &tenant).unwrap(), None);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn model_update_keeps_message_index() {
    use harrier_mail::analysis::ReportModel;
    use harrier_mail::analysis::reported::{Label, message_key};

    let dir = tempfile::tempdir().unwrap();
    let tenant = harrier_model::TenantId::new("contoso");
    let words = vec!["garden".to_string(), "s:discounts".to_string()];
    let key = message_key(&words);
    let mut db = AnalysisDb::open(dir.path()).unwrap();
    let mut update = db.begin_model_update(&tenant, false).unwrap();
    assert_eq!(update.label(&key).unwrap(), None);
    update.model.learn(&words, Label::Reported);
    update.set_label(key, Some(Label::Reported));
    assert_eq!(update.label(&key).unwrap(), Some(Label::Reported));
    update.commit().unwrap();

    let update = db.begin_model_update(&tenant, false).unwrap();
    assert_eq!(update.label(&key).unwrap(), Some(Label::Reported));
    assert_eq!(update.unindexed, 0);
    drop(update);

    // A model saved whole comes without an index: its messages are counted as not indexed.
    let mut model = ReportModel::new();
    model.learn(&["kernel".to_string()], Label::Legitimate);
    model.learn(&["board".to_string()], Label::Legitimate);
    db.save_report_model(&tenant, &model).unwrap();
    let update = db.begin_model_update(&tenant, false).unwrap();
    assert_eq!(update.label(&key).unwrap(), None, "the old index was kept with a new model");
    assert_eq!(update.unindexed, 2);
    drop(update);

    // A model of another format version is not read, and its index goes with it.
    let mut update = db.begin_model_update(&tenant, false).unwrap();
    update.model.learn(&words, Label::Reported);
    update.set_label(key, Some(Label::Reported));
    update.commit().unwrap();
    drop(db);
    let connection = rusqlite::Connection::open(dir.path().join(harrier_detect::DATABASE_FILE)).unwrap();
    connection.execute("UPDATE report_model SET version = version + 1", []).unwrap();
    drop(connection);
    let mut db = AnalysisDb::open(dir.path()).unwrap();
    let update = db.begin_model_update(&tenant, false).unwrap();
    assert_eq!(update.model.messages(Label::Reported), 0);
    assert_eq!(update.label(&key).unwrap(), None);
}
