//! The Graph audit-log and mail collectors against the emulator over loopback.

mod common;

use std::collections::BTreeSet;

use common::*;
use harrier_collect::ErrorKind;
use harrier_m365_emulator::FaultKind;

fn graph_settings(emulator: &harrier_m365_emulator::Emulator, secret: &str, data_dir: &std::path::Path) -> harrier_collect::CollectorSettings {
    let mut settings = settings(emulator, "contoso", DIRECTORY, secret, data_dir);
    settings.content_types.clear();
    settings.sign_ins = true;
    settings.non_interactive_sign_ins = true;
    settings.directory_audits = true;
    settings
}

#[test]
fn audit_logs_are_paged() {
    let secret = secret();
    let emulator = emulator(DIRECTORY, &secret);
    emulator.with(|state| {
        for n in 0..5 {
            state.activity.sign_ins.push(sign_in(&format!("i-{n}"), hours_ago(n * 10 + 1), true));
        }
        for n in 0..3 {
            state.activity.sign_ins.push(sign_in(&format!("n-{n}"), hours_ago(n * 30 + 2), false));
        }
        for n in 0..4 {
            state.activity.directory_audits.push(directory_audit(&format!("a-{n}"), hours_ago(n + 1)));
        }
    });
    let data = tempfile::tempdir().unwrap();
    let mut collector = collector(graph_settings(&emulator, &secret, data.path()));

    let report = runtime().block_on(collector.poll()).unwrap();

    assert!(report.errors().is_empty(), "{report:#?}");
    assert_eq!(report.sources["graph:signIns"].stored, 5);
    assert_eq!(report.sources["graph:signIns:nonInteractive"].stored, 3);
    assert_eq!(report.sources["graph:directoryAudits"].stored, 4);
    assert!(requests(&emulator, "GET /beta/auditLogs/signIns") >= 1);
    let ids: BTreeSet<String> = stored_ids(data.path(), "contoso").into_iter().collect();
    assert!(ids.contains("signin:n-2"), "{ids:?}");
    assert!(ids.contains("audit:a-3"), "{ids:?}");
    assert_eq!(ids.len(), 12);
}

#[test]
fn late_sign_in_inside_overlap_is_collected() {
    let secret = secret();
    let emulator = emulator(DIRECTORY, &secret);
    emulator.with(|state| state.activity.sign_ins.push(sign_in("early", minutes_ago(10), true)));
    let data = tempfile::tempdir().unwrap();
    let mut collector = collector(graph_settings(&emulator, &secret, data.path()));
    let runtime = runtime();

    runtime.block_on(collector.poll()).unwrap();
    // Published after the first poll with a time before it, as Entra ID logs can be.
    emulator.with(|state| state.activity.sign_ins.push(sign_in("late", minutes_ago(12), true)));
    let report = runtime.block_on(collector.poll()).unwrap();

    let sign_ins = &report.sources["graph:signIns"];
    assert_eq!(sign_ins.stored, 1, "{sign_ins:#?}");
    assert_eq!(sign_ins.duplicates, 1, "the overlap reads the early sign-in again and stores it once");
    assert_eq!(stored_ids(data.path(), "contoso").len(), 2);
}

#[test]
fn truncated_page_is_counted_and_read_again() {
    let secret = secret();
    let emulator = emulator(DIRECTORY, &secret);
    emulator.with(|state| {
        for n in 0..5 {
            state.activity.directory_audits.push(directory_audit(&format!("t-{n}"), hours_ago(n + 1)));
        }
        state.activity.inject("GET /v1.0/auditLogs/directoryAudits", FaultKind::Truncate, 1);
        state.activity.inject("GET /v1.0/auditLogs/signIns", FaultKind::Throttle { retry_after: 1 }, 1);
    });
    let data = tempfile::tempdir().unwrap();
    let mut collector = collector(graph_settings(&emulator, &secret, data.path()));
    let runtime = runtime();

    let first = runtime.block_on(collector.poll()).unwrap();
    let audits = &first.sources["graph:directoryAudits"];
    assert_eq!(audits.errors.get(&ErrorKind::Malformed), Some(&1), "{audits:#?}");
    assert!(first.sources["graph:signIns"].errors.is_empty(), "the other sources still run");
    assert_eq!(first.retries.get(&ErrorKind::Throttled), Some(&1));

    let second = runtime.block_on(collector.poll()).unwrap();
    assert!(second.errors().is_empty(), "{second:#?}");
    assert_eq!(stored_ids(data.path(), "contoso").len(), 5);
}

fn message(n: u32) -> Vec<u8> {
    format!(
        "Received: from mail.fabrikam.example (mail.fabrikam.example [198.51.100.9])\r\n\
         From: Bob Example <bob@fabrikam.example>\r\n\
         To: alice@contoso.example\r\n\
         Subject: Invoice {n}\r\n\
         Date: Tue, 1 Dec 2026 10:{n:02}:00 +0000\r\n\
         Message-ID: <msg-{n}@fabrikam.example>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         Please find invoice {n} attached.\r\n"
    )
    .into_bytes()
}

const MAILBOX: &str = "alice@contoso.example";

/// Returns settings that read only the inbox of [`MAILBOX`], which holds three messages.
fn mailbox_settings(emulator: &harrier_m365_emulator::Emulator, secret: &str, data_dir: &std::path::Path) -> harrier_collect::CollectorSettings {
    emulator.with(|state| {
        for n in 0..3 {
            state.activity.add_message(MAILBOX, message(n));
        }
    });
    let mut settings = settings(emulator, "contoso", DIRECTORY, secret, data_dir);
    settings.content_types.clear();
    settings.mailboxes = vec![MAILBOX.to_owned()];
    settings
}

#[test]
fn mail_delta_stores_email_events() {
    let secret = secret();
    let emulator = emulator(DIRECTORY, &secret);
    let data = tempfile::tempdir().unwrap();
    let mut settings = mailbox_settings(&emulator, &secret, data.path());
    settings.mail.protected_domains = vec!["contoso.example".to_owned()];
    let mut collector = collector(settings.clone());
    let runtime = runtime();

    let first = runtime.block_on(collector.poll()).unwrap();
    assert!(first.errors().is_empty(), "{first:#?}");
    assert_eq!(first.sources["mail:alice@contoso.example"].stored, 3);
    assert_eq!(requests(&emulator, "/$value"), 3);

    // A new message after a restart is read from the saved delta link alone.
    drop(collector);
    emulator.with(|state| state.activity.add_message(MAILBOX, message(7)));
    let mut collector = harrier_collect::TenantCollector::new(settings, intel()).unwrap();
    let second = runtime.block_on(collector.poll()).unwrap();
    assert_eq!(second.sources["mail:alice@contoso.example"].read, 1, "{second:#?}");
    assert_eq!(requests(&emulator, "/$value"), 4);

    let events = stored_events(data.path(), "contoso");
    assert_eq!(events.len(), 4);
    assert!(events.iter().all(|event| event.kind() == "email"), "{events:?}");
    assert!(events.iter().any(|event| event.record_id == "mid:msg-7@fabrikam.example"), "{events:?}");
}

#[test]
fn expired_delta_link_starts_new_round() {
    let secret = secret();
    let emulator = emulator(DIRECTORY, &secret);
    let data = tempfile::tempdir().unwrap();
    let settings = mailbox_settings(&emulator, &secret, data.path());
    let mut collector = collector(settings);
    let runtime = runtime();

    runtime.block_on(collector.poll()).unwrap();
    emulator.with(|state| state.activity.inject("messages/delta", FaultKind::Status(410), 1));
    let expired = runtime.block_on(collector.poll()).unwrap();
    emulator.with(|state| state.activity.add_message(MAILBOX, message(9)));
    let renewed = runtime.block_on(collector.poll()).unwrap();

    let source = "mail:alice@contoso.example";
    assert_eq!(expired.sources[source].errors.get(&ErrorKind::Rejected), Some(&1), "{expired:#?}");
    assert_eq!(renewed.sources[source].read, 4, "{renewed:#?}");
    assert_eq!(renewed.sources[source].stored, 1);
    assert_eq!(renewed.sources[source].duplicates, 3);
}
