//! Mail files replayed in the same run as SaaS logs: detected, stored as email events and ordered in time
//! with the log events.

use std::path::{Path, PathBuf};

use harrier_enrich::IpIntel;
use harrier_model::{Activity, MailDirection, MailSource, TenantId};
use harrier_pipeline::{MailOptions, NoProgress, ReplayOptions, collect_files, replay};
use harrier_store::Store;

fn testdata(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(path)
}

/// Writes a message dated `date` from `from` to `to`, relayed by 193.0.6.139.
fn message(from: &str, to: &str, date: &str, id: &str) -> String {
    format!(
        "Received: from mail.example.net (193.0.6.139) by mx.contoso.com with ESMTP; {date}\r\n\
         From: \"Ann Smith\" <{from}>\r\nTo: {to}\r\nReply-To: ann.smith@example.net\r\nSubject: Schedule\r\nDate: {date}\r\n\
         Message-ID: <{id}>\r\nContent-Type: text/html\r\n\r\n<p>See <a href=\"https://portal.example.net/s\">the schedule</a>.</p>\r\n"
    )
}

#[test]
fn mail_and_logs_share_one_timeline() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(testdata("saas/synthetic/entra/graph_signins_page.json"), dir.path().join("signins.json")).unwrap();
    // One message before the sign-ins, one between them, one after, and an mbox and a maildir file.
    std::fs::write(dir.path().join("early.eml"), message("ann@example.net", "bob@contoso.com", "Sun, 5 May 2024 10:00:00 +0000", "a@example.net")).unwrap();
    let mbox = format!(
        "From ann@example.net Mon May  6 12:00:00 2024\n{}\nFrom bob@contoso.com Tue May  7 23:00:00 2024\n{}",
        message("ann@example.net", "bob@contoso.com", "Mon, 6 May 2024 12:00:00 +0000", "b@example.net"),
        message("bob@contoso.com", "ann@example.net", "Tue, 7 May 2024 23:00:00 +0000", "c@contoso.com"),
    );
    std::fs::write(dir.path().join("archive.mbox"), mbox).unwrap();
    let maildir = dir.path().join("Maildir");
    for folder in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(folder)).unwrap();
    }
    std::fs::write(maildir.join("cur/1714989600.M1.host:2,S"), message("carol@contoso.com", "bob@contoso.com", "Mon, 6 May 2024 10:00:00 +0000", "d@contoso.com")).unwrap();

    let data = tempfile::tempdir().unwrap();
    let mut store = Store::open(data.path()).unwrap();
    let options = ReplayOptions {
        read: harrier_ingest::ReadOptions { tenant: Some(TenantId::new("contoso")), ..Default::default() },
        mail: MailOptions { protected_domains: vec!["contoso.com".into()], ..MailOptions::default() },
        ..ReplayOptions::default()
    };
    let (files, errors) = collect_files(&[dir.path().to_path_buf()]);
    assert!(errors.is_empty());
    let intel = IpIntel::embedded().unwrap();
    let summary = replay(&files, &options, &intel, &mut store, &NoProgress).unwrap();
    assert_eq!(summary.records.skipped, 0, "{summary:?}");

    let mut kinds = Vec::new();
    let mut times = Vec::new();
    let mut emails = Vec::new();
    store
        .for_each_record(&TenantId::new("contoso"), |record| {
            kinds.push(record.event.kind());
            times.push(record.event.time);
            if let Activity::Email(email) = &record.event.activity {
                let source: MailSource = serde_json::from_str(&record.raw).unwrap();
                emails.push((email.clone(), source, record.event.actor.user.clone()));
            }
            true
        })
        .unwrap();

    assert_eq!(kinds.iter().filter(|kind| **kind == "email").count(), 4, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|kind| **kind == "sign_in").count(), 5, "{kinds:?}");
    assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "stored in time order: {times:?}");
    assert_eq!(kinds.first(), Some(&"email"), "the earliest message comes before every sign-in");
    assert_eq!(kinds.last(), Some(&"email"), "the latest message comes after every sign-in");
    let between = kinds.iter().position(|kind| *kind == "sign_in").unwrap();
    assert!(kinds[between..].contains(&"email"), "messages and sign-ins interleave: {kinds:?}");

    let (inbound, source, user) = emails.iter().find(|(email, _, _)| email.message_id.as_deref() == Some("a@example.net")).unwrap();
    assert_eq!(inbound.direction, MailDirection::Inbound);
    assert_eq!(user.as_deref(), Some("bob@contoso.com"), "inbound mail belongs to its recipient");
    assert_eq!(inbound.from_name.as_deref(), Some("Ann Smith"));
    assert_eq!(inbound.reply_to, vec!["ann.smith@example.net".to_string()]);
    assert_eq!(inbound.link_domains, vec!["example.net".to_string()]);
    assert_eq!(inbound.relays.len(), 1);
    assert_eq!(inbound.relays[0].ip.to_string(), "193.0.6.139");
    assert!(inbound.relays[0].asn.is_some(), "the relay's ASN comes from the IP data");
    assert_eq!(source.format, "eml");
    assert!(source.path.ends_with("early.eml"));

    let (outbound, source, user) = emails.iter().find(|(email, _, _)| email.message_id.as_deref() == Some("c@contoso.com")).unwrap();
    assert_eq!(outbound.direction, MailDirection::Outbound);
    assert_eq!(user.as_deref(), Some("bob@contoso.com"), "outbound mail belongs to its sender");
    assert_eq!((source.format.as_str(), source.index), ("mbox", 1));

    let (internal, source, _) = emails.iter().find(|(email, _, _)| email.message_id.as_deref() == Some("d@contoso.com")).unwrap();
    assert_eq!(internal.direction, MailDirection::Internal);
    assert_eq!(source.format, "maildir");
}

#[test]
fn message_without_date_is_skipped_with_its_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("undated.eml"), "From: a@example.net\r\nTo: b@contoso.com\r\nSubject: x\r\n\r\nbody\r\n").unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut store = Store::open(data.path()).unwrap();
    let (files, _) = collect_files(&[dir.path().to_path_buf()]);
    let summary = replay(&files, &ReplayOptions::default(), &IpIntel::embedded().unwrap(), &mut store, &NoProgress).unwrap();
    assert_eq!(summary.records.skipped, 1, "{summary:?}");
    let example = serde_json::to_string(&summary).unwrap();
    assert!(example.contains("undated.eml"), "{example}");
    assert!(example.contains("missing time"), "{example}");
}

#[test]
fn replayed_mail_uses_the_learned_words() {
    use harrier_mail::analysis::ReportModel;
    use harrier_mail::analysis::reported::{Label, MIN_MESSAGES_PER_LABEL, message_words};
    use harrier_mail::{MailFormat, MessageOrigin, RawMessage, parse_message};

    let raw = |text: &str, id: usize| {
        let bytes = format!(
            "From: shop{id}@example.com\r\nTo: bob@contoso.com\r\nSubject: News\r\nDate: Sun, 5 May 2024 10:00:00 +0000\r\n\r\n{text}\r\n"
        );
        let origin = MessageOrigin { path: PathBuf::from("test.eml"), index: id, format: MailFormat::Eml };
        RawMessage { bytes: bytes.into_bytes(), origin, envelope_from: None }
    };
    let mut model = ReportModel::new();
    for id in 0..MIN_MESSAGES_PER_LABEL as usize {
        model.learn(&message_words(&parse_message(&raw("garden furniture summer discounts", id))), Label::Reported);
        model.learn(&message_words(&parse_message(&raw("kernel release notes for the board", id))), Label::Legitimate);
    }
    let intel = IpIntel::embedded().unwrap();
    let probe = raw("summer discounts on garden furniture", 1000);
    let kinds = |options: &MailOptions| -> Vec<String> {
        let email = harrier_pipeline::email_message(&parse_message(&probe), &probe.bytes, options, &intel);
        email.verdict.factors.iter().map(|factor| factor.kind.clone()).collect()
    };
    let without = kinds(&MailOptions::default());
    assert!(!without.contains(&"like_reported_phishing".to_string()), "{without:?}");
    let with = kinds(&MailOptions { reported: Some(std::sync::Arc::new(model)), ..MailOptions::default() });
    assert!(with.contains(&"like_reported_phishing".to_string()), "{with:?}");
}
