//! Records that arrive late, with a time before events already analysed, are analysed by the next run.
//!
//! Audit content blobs of the Management Activity API become available minutes to hours after the sign-ins
//! Graph returns, so a collector often stores an inbox rule after a sign-in that came later in time.

mod common;

use common::*;
use harrier_detect::{AnalysisDb, Engine, analyse};
use harrier_model::{Event, IpClass, Record, RuleAction, RuleConditions};
use harrier_store::Store;
use jiff::ToSpan;

const ALICE: &str = "alice@contoso.com";
const BOB: &str = "bob@contoso.com";

/// Thirty days of sign-ins from the office at 09:00 and from home at 14:00.
fn history() -> Vec<Event> {
    let mut events = Vec::new();
    for day in 0..30i64 {
        let base = start() + (day * 24).hours();
        for (u, user) in [ALICE, BOB].into_iter().enumerate() {
            let minute = (u as i64).minutes();
            events.push(sign_in(&format!("{user}-{day}-office"), user, base + 9.hours() + minute, &OFFICE_DE, EDGE, 0));
            events.push(sign_in(&format!("{user}-{day}-home"), user, base + 14.hours() + minute, &HOME_DE, EDGE, 0));
        }
    }
    events
}

/// Opens a store and an analysis database in a new folder, which lives as long as the returned guard.
fn open() -> (tempfile::TempDir, Store, AnalysisDb, Engine) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let db = AnalysisDb::open(dir.path()).unwrap();
    (dir, store, db, Engine::with_defaults())
}

fn store(store: &mut Store, events: Vec<Event>) {
    let records: Vec<Record> = events.into_iter().map(|event| Record { raw: format!("{{\"Id\":\"{}\"}}", event.record_id), event }).collect();
    store.insert(&records).unwrap();
}

#[test]
fn late_inbox_rule_joins_earlier_sign_in() {
    let (_dir, mut events, mut db, engine) = open();

    let mut first = history();
    first.push(sign_in("login-vps", ALICE, day30(3, 0), &VPS_US, PYTHON, 0));
    first.push(sign_in("later-office", BOB, day30(9, 0), &OFFICE_DE, EDGE, 0));
    let stored = first.len() as u64;
    store(&mut events, first);
    let summary = analyse(&events, &mut db, &engine).unwrap();
    assert_eq!(summary.events, stored);
    assert_eq!(summary.late_events, 0);
    assert!(summary.breaches_per_model.contains_key("saas.unusual_source_sign_in"), "{summary:#?}");

    // The rule was created twenty minutes after the sign-in from the VPS, hours before Bob's sign-in that
    // the first run already analysed.
    let conditions = RuleConditions { subject_contains: vec!["invoice".to_owned()], ..RuleConditions::default() };
    let actions = vec![RuleAction::MoveToFolder("RSS Feeds".to_owned()), RuleAction::MarkAsRead];
    store(&mut events, vec![inbox_rule("rule-late", ALICE, day30(3, 20), &VPS_US, "..", conditions, actions)]);
    let summary = analyse(&events, &mut db, &engine).unwrap();
    assert_eq!(summary.events, 1);
    assert_eq!(summary.late_events, 1);
    assert!(summary.breaches_per_model.contains_key("saas.new_inbox_rule"), "{summary:#?}");
    assert!(summary.breaches_per_model.contains_key("saas.unusual_login_then_inbox_rule"), "{summary:#?}");

    let again = analyse(&events, &mut db, &engine).unwrap();
    assert_eq!(again.events, 0, "a run with nothing newly stored analyses nothing");
}

#[test]
fn late_sign_in_keeps_latest_success() {
    let (_dir, mut events, mut db, engine) = open();

    let mut first = history();
    first.push(sign_in("office-day30", ALICE, day30(9, 0), &OFFICE_DE, EDGE, 0));
    store(&mut events, first);
    analyse(&events, &mut db, &engine).unwrap();

    // A sign-in from Brazil half an hour before, stored late. Had it replaced the office sign-in as Alice's
    // latest, her next office sign-in would read as a journey from Brazil to Germany in three and a half hours.
    let brazil = Net { ip: "177.10.20.30", asn: 28573, org: "Claro NXT", country: "BR", class: IpClass::Residential };
    store(&mut events, vec![sign_in("brazil-day30", ALICE, day30(8, 30), &brazil, EDGE, 0)]);
    let late = analyse(&events, &mut db, &engine).unwrap();
    assert_eq!(late.events, 1);
    assert_eq!(late.late_events, 1);

    store(&mut events, vec![sign_in("office-day30-noon", ALICE, day30(12, 0), &OFFICE_DE, EDGE, 0)]);
    let next = analyse(&events, &mut db, &engine).unwrap();
    assert_eq!(next.events, 1);
    assert_eq!(next.late_events, 0);
    assert!(!next.breaches_per_model.contains_key("saas.impossible_travel"), "{next:#?}");
}
