//! Analysis indexes each event by its user and kind, so readers of one user's events or of the messages
//! read only those from the store.

mod common;

use common::*;
use harrier_detect::{AnalysisDb, Engine, IndexKey, analyse};
use harrier_model::{Event, Record, TenantId};
use harrier_store::Store;
use jiff::ToSpan;

const ALICE: &str = "alice@contoso.com";
const BOB: &str = "bob@contoso.com";

fn store(store: &mut Store, events: &[Event]) {
    let records: Vec<Record> =
        events.iter().map(|event| Record { raw: format!("{{\"Id\":\"{}\"}}", event.record_id), event: event.clone() }).collect();
    store.insert(&records).unwrap();
}

/// Reads the record ids of the events the index lists under `key`, in its order.
fn indexed_ids(events: &Store, db: &AnalysisDb, key: IndexKey<'_>) -> (Vec<String>, i64) {
    let indexed = db.indexed_events(&TenantId::new(TENANT), key).unwrap();
    let mut ids = Vec::new();
    events
        .for_each_event_by_seq(indexed.seqs.iter().copied(), |_, event| {
            ids.push(event.record_id);
            true
        })
        .unwrap();
    (ids, indexed.through)
}

#[test]
fn index_lists_user_events_in_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut events = Store::open(dir.path()).unwrap();
    let mut db = AnalysisDb::open(dir.path()).unwrap();
    let engine = Engine::with_defaults();

    // Stored out of time order, with the user's name in another case once.
    let first = [
        sign_in("alice-2", ALICE, start() + 2.hours(), &OFFICE_DE, EDGE, 0),
        sign_in("bob-1", BOB, start() + 1.hours(), &OFFICE_DE, EDGE, 0),
        sign_in("alice-1", &ALICE.to_uppercase(), start() + 1.hours(), &OFFICE_DE, EDGE, 0),
    ];
    store(&mut events, &first);
    let (ids, through) = indexed_ids(&events, &db, IndexKey::User(ALICE));
    assert!(ids.is_empty(), "nothing is indexed before analysis");
    assert_eq!(through, 0);

    analyse(&events, &mut db, &engine).unwrap();
    let (ids, through) = indexed_ids(&events, &db, IndexKey::User(ALICE));
    assert_eq!(ids, ["alice-1", "alice-2"]);
    assert!(through > 0);
    let (bob, _) = indexed_ids(&events, &db, IndexKey::User("BOB@contoso.com"));
    assert_eq!(bob, ["bob-1"]);

    // An event stored after the analysis is not indexed until the next one, and the progress mark shows it.
    store(&mut events, &[sign_in("alice-0", ALICE, start(), &OFFICE_DE, EDGE, 0)]);
    let mut after = Vec::new();
    events
        .for_each_event_stored_after(&TenantId::new(TENANT), through, |_, event| {
            after.push(event.record_id);
            true
        })
        .unwrap();
    assert_eq!(after, ["alice-0"]);

    analyse(&events, &mut db, &engine).unwrap();
    let (ids, later) = indexed_ids(&events, &db, IndexKey::User(ALICE));
    assert_eq!(ids, ["alice-0", "alice-1", "alice-2"]);
    assert!(later > through);
    let (messages, _) = indexed_ids(&events, &db, IndexKey::Messages);
    assert!(messages.is_empty(), "sign-ins are not messages");
}
