use harrier_model::{Activity, Actor, Client, Event, Other, Outcome, Record, SourceFormat, TenantId};
use harrier_store::{BlockBuilder, Store, StoreError};
use jiff::Timestamp;

fn record(tenant: &str, id: &str, time: &str) -> Record {
    let event = Event {
        tenant: TenantId::new(tenant),
        record_id: id.to_owned(),
        time: time.parse::<Timestamp>().unwrap(),
        format: SourceFormat::ManagementActivity,
        operation: "FileAccessed".into(),
        workload: Some("SharePoint".into()),
        outcome: Outcome::Success,
        actor: Actor { user: Some("user@example.com".into()), ..Actor::default() },
        client: Client { ip: Some("192.0.2.1".parse().unwrap()), user_agent: None },
        ip_info: None,
        activity: Activity::Other(Other::default()),
    };
    Record { event, raw: format!("{{\"Id\":\"{id}\"}}") }
}

#[test]
fn duplicates_are_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let batch = vec![record("t1", "ma:1", "2024-01-01T00:00:00Z"), record("t1", "ma:2", "2024-01-01T00:01:00Z")];

    let first = store.insert(&batch).unwrap();
    assert_eq!((first.inserted, first.duplicates), (2, 0));

    let second = store.insert(&batch).unwrap();
    assert_eq!((second.inserted, second.duplicates), (0, 2));
    assert_eq!(store.event_count(None).unwrap(), 2);
}

#[test]
fn same_id_in_two_tenants_is_two_events() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store
        .insert(&[record("t1", "ma:1", "2024-01-01T00:00:00Z"), record("t2", "ma:1", "2024-01-01T00:00:00Z")])
        .unwrap();

    assert_eq!(store.event_count(Some(&TenantId::new("t1"))).unwrap(), 1);
    assert_eq!(store.event_count(Some(&TenantId::new("t2"))).unwrap(), 1);
    assert_eq!(store.tenants().unwrap(), vec![TenantId::new("t1"), TenantId::new("t2")]);
}

#[test]
fn full_block_keeps_row_tenants() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    // One full block, which the writer inserts in one statement, with the tenants alternating and the times
    // falling, so that each row must keep its own tenant, time and slot.
    let records: Vec<Record> = (0..harrier_store::BLOCK_RECORDS)
        .map(|i| {
            let tenant = if i % 2 == 0 { "t1" } else { "t2" };
            record(tenant, &format!("ma:{i:03}"), &format!("2024-01-01T00:{:02}:00Z", 59 - i % 60))
        })
        .collect();
    let stats = store.insert(&records).unwrap();
    assert_eq!((stats.inserted, stats.duplicates), (records.len() as u64, 0));

    for tenant in ["t1", "t2"] {
        let mut expected: Vec<Record> =
            records.iter().filter(|record| record.event.tenant.as_str() == tenant).cloned().collect();
        expected.sort_by_key(|record| record.event.time);
        assert_eq!(read_records(&store, tenant), expected, "records of {tenant}");
    }
}

#[test]
fn events_come_back_in_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store
        .insert(&[
            record("t1", "ma:c", "2024-01-03T00:00:00Z"),
            record("t1", "ma:a", "2024-01-01T00:00:00Z"),
            record("t2", "ma:x", "2024-01-02T00:00:00Z"),
            record("t1", "ma:b", "2024-01-02T00:00:00Z"),
        ])
        .unwrap();

    let mut ids = Vec::new();
    store
        .for_each_event(&TenantId::new("t1"), |event| {
            ids.push(event.record_id);
            true
        })
        .unwrap();
    assert_eq!(ids, vec!["ma:a", "ma:b", "ma:c"]);

    let range = store.time_range().unwrap().unwrap();
    assert_eq!(range.first, "2024-01-01T00:00:00Z".parse::<Timestamp>().unwrap());
    assert_eq!(range.last, "2024-01-03T00:00:00Z".parse::<Timestamp>().unwrap());
}

#[test]
fn stored_events_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let original = record("t1", "ma:1", "2024-01-01T00:00:00Z");
    Store::open(dir.path()).unwrap().insert(std::slice::from_ref(&original)).unwrap();

    let store = Store::open(dir.path()).unwrap();
    let mut events = Vec::new();
    store
        .for_each_event(&TenantId::new("t1"), |event| {
            events.push(event);
            true
        })
        .unwrap();
    assert_eq!(events, vec![original.event]);
}

#[test]
fn empty_store_has_no_time_range() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.time_range().unwrap(), None);
    assert_eq!(store.event_count(None).unwrap(), 0);
}

#[test]
fn newer_schema_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let connection = rusqlite::Connection::open(dir.path().join(harrier_store::DATABASE_FILE)).unwrap();
    connection.pragma_update(None, "user_version", 99).unwrap();
    drop(connection);

    match Store::open(dir.path()) {
        Err(StoreError::SchemaVersion { found, .. }) => assert_eq!(found, 99),
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => panic!("a database with schema version 99 was opened"),
    }
}

fn read_records(store: &Store, tenant: &str) -> Vec<Record> {
    let mut records = Vec::new();
    store
        .for_each_record(&TenantId::new(tenant), |record| {
            records.push(record);
            true
        })
        .unwrap();
    records
}

#[test]
fn records_round_trip_across_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let originals: Vec<Record> = (0..5_000)
        .map(|i| record("t1", &format!("ma:{i:05}"), &format!("2024-01-01T00:{:02}:{:02}Z", i / 60 % 60, i % 60)))
        .collect();
    Store::open(dir.path()).unwrap().insert(&originals).unwrap();

    let connection = rusqlite::Connection::open(dir.path().join(harrier_store::DATABASE_FILE)).unwrap();
    let blocks: i64 = connection.query_row("SELECT count(*) FROM blocks", [], |row| row.get(0)).unwrap();
    assert_eq!(blocks as usize, 5_000usize.div_ceil(harrier_store::BLOCK_RECORDS));
    drop(connection);

    let store = Store::open(dir.path()).unwrap();
    let mut events = Vec::new();
    store
        .for_each_event(&TenantId::new("t1"), |event| {
            events.push(event);
            true
        })
        .unwrap();
    let mut expected = originals.clone();
    expected.sort_by_key(|record| record.event.time);
    let expected_events: Vec<Event> = expected.iter().map(|record| record.event.clone()).collect();
    assert_eq!(events.len(), expected_events.len());
    assert_eq!(events, expected_events);
    assert_eq!(read_records(&store, "t1"), expected);
}

#[test]
fn partly_duplicate_block_keeps_only_new_records() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let old = [record("t1", "ma:2", "2024-01-02T00:00:00Z"), record("t1", "ma:4", "2024-01-04T00:00:00Z")];
    store.insert(&old).unwrap();

    let batch: Vec<Record> =
        (1..=5).map(|i| record("t1", &format!("ma:{i}"), &format!("2024-01-0{i}T00:00:00Z"))).collect();
    let stats = store.insert(&batch).unwrap();
    assert_eq!((stats.inserted, stats.duplicates), (3, 2));
    assert_eq!(read_records(&store, "t1"), batch);

    let connection = rusqlite::Connection::open(dir.path().join(harrier_store::DATABASE_FILE)).unwrap();
    let raws: Vec<u8> = connection.query_row("SELECT raws FROM blocks WHERE id = 2", [], |row| row.get(0)).unwrap();
    let section = zstd::bulk::decompress(&raws, 1 << 20).unwrap();
    assert_eq!(&section[..4], &3u32.to_le_bytes(), "the second block keeps only the three new raw records");
}

#[test]
fn repeated_insert_adds_no_block() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let batch = vec![record("t1", "ma:1", "2024-01-01T00:00:00Z"), record("t1", "ma:2", "2024-01-01T00:01:00Z")];
    store.insert(&batch).unwrap();
    store.insert(&batch).unwrap();

    let connection = rusqlite::Connection::open(dir.path().join(harrier_store::DATABASE_FILE)).unwrap();
    let blocks: i64 = connection.query_row("SELECT count(*) FROM blocks", [], |row| row.get(0)).unwrap();
    assert_eq!(blocks, 1);
}

#[test]
fn corrupt_block_names_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.insert(&[record("t1", "ma:1", "2024-01-01T00:00:00Z")]).unwrap();
    store.insert(&[record("t1", "ma:2", "2024-01-02T00:00:00Z")]).unwrap();
    let connection = rusqlite::Connection::open(dir.path().join(harrier_store::DATABASE_FILE)).unwrap();
    let seq: i64 = connection.query_row("SELECT max(seq) FROM events", [], |row| row.get(0)).unwrap();
    connection.execute("UPDATE blocks SET events = x'28b52ffd00' WHERE id = 2", []).unwrap();
    drop(connection);

    let mut visited = 0;
    let result = store.for_each_event(&TenantId::new("t1"), |_| {
        visited += 1;
        true
    });
    match result {
        Err(error @ StoreError::CorruptRow { .. }) => {
            let StoreError::CorruptRow { seq: found, block, .. } = &error else { unreachable!() };
            assert_eq!(*found, seq);
            assert_eq!(*block, 2);
            assert!(error.to_string().contains(&format!("stored event {seq} ")), "{error}");
        }
        Err(other) => panic!("unexpected error: {other}"),
        Ok(()) => panic!("a corrupt block was read"),
    }
    assert_eq!(visited, 1, "the intact row before the corrupt one is visited");
}

#[test]
fn older_schema_is_rejected() {
    // Version 2 kept one frame per record and version 3 kept events as JSON; this build reads neither.
    for version in [2, 3] {
        let dir = tempfile::tempdir().unwrap();
        let connection = rusqlite::Connection::open(dir.path().join(harrier_store::DATABASE_FILE)).unwrap();
        connection.pragma_update(None, "user_version", version).unwrap();
        drop(connection);

        match Store::open(dir.path()) {
            Err(error @ StoreError::OlderSchema { found, .. }) => {
                assert_eq!(found, version);
                let message = error.to_string();
                assert!(message.contains(&dir.path().display().to_string()), "{message}");
                assert!(message.contains("reads only versions 4 to 5"), "{message}");
                assert!(message.contains("new data directory"), "{message}");
            }
            Err(other) => panic!("unexpected error for version {version}: {other}"),
            Ok(_) => panic!("a database with schema version {version} was opened"),
        }
    }
}

#[test]
fn new_store_has_8_kib_pages() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let connection = rusqlite::Connection::open(dir.path().join(harrier_store::DATABASE_FILE)).unwrap();
    let page_size: i64 = connection.pragma_query_value(None, "page_size", |row| row.get(0)).unwrap();
    assert_eq!(page_size, 8192);
}

#[test]
fn interleaved_blocks_read_in_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let start = "2024-01-01T00:00:00Z".parse::<Timestamp>().unwrap();
    let at = |second: i64| (start + jiff::SignedDuration::from_secs(second)).to_string();
    // Each insert makes one block, and block b holds seconds b and b + 300, so a read in time order passes
    // through all 300 blocks twice, more than a reader keeps decompressed.
    for block in 0..300 {
        let later = block + 300;
        let pair = [record("t1", &format!("ma:{block}"), &at(block)), record("t1", &format!("ma:{later}"), &at(later))];
        store.insert(&pair).unwrap();
    }

    let mut ids = Vec::new();
    store
        .for_each_event(&TenantId::new("t1"), |event| {
            ids.push(event.record_id);
            true
        })
        .unwrap();
    let expected: Vec<String> = (0..600).map(|second| format!("ma:{second}")).collect();
    assert_eq!(ids, expected);
}

#[test]
fn first_copy_in_a_batch_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let first = record("t1", "ma:1", "2024-01-01T00:00:00Z");
    let mut copy = first.clone();
    copy.raw = "{\"Id\":\"1\",\"copy\":true}".to_owned();
    let other = record("t1", "ma:2", "2024-01-02T00:00:00Z");

    let stats = store.insert(&[first.clone(), copy, other.clone()]).unwrap();
    assert_eq!((stats.inserted, stats.duplicates), (2, 1));
    assert_eq!(read_records(&store, "t1"), vec![first, other]);
}

#[test]
fn stored_after_reads_newer_inserts() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.insert(&[record("t1", "ma:1", "2024-01-01T10:00:00Z"), record("t1", "ma:2", "2024-01-01T12:00:00Z")]).unwrap();
    let mut last = 0;
    store
        .for_each_event_stored_after(&TenantId::new("t1"), 0, |seq, _| {
            last = last.max(seq);
            true
        })
        .unwrap();
    assert!(last > 0);

    // Stored later, but one of them older than everything read so far.
    store.insert(&[record("t1", "ma:4", "2024-01-01T13:00:00Z"), record("t1", "ma:3", "2024-01-01T11:00:00Z")]).unwrap();
    let mut newer = Vec::new();
    store
        .for_each_event_stored_after(&TenantId::new("t1"), last, |seq, event| {
            assert!(seq > last, "sequence number {seq} was read before");
            newer.push(event.record_id);
            true
        })
        .unwrap();
    assert_eq!(newer, ["ma:3", "ma:4"]);
}

#[test]
fn reopened_store_finds_stored_keys() {
    let dir = tempfile::tempdir().unwrap();
    let batch = vec![record("t1", "ma:1", "2024-01-01T00:00:00Z"), record("t1", "ma:2", "2024-01-01T00:01:00Z")];
    Store::open(dir.path()).unwrap().insert(&batch).unwrap();

    let stats = Store::open(dir.path()).unwrap().insert(&batch).unwrap();
    assert_eq!((stats.inserted, stats.duplicates), (0, 2));
}

#[test]
fn keys_of_other_connections_are_seen() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Store::open(dir.path()).unwrap();
    let mut second = Store::open(dir.path()).unwrap();
    // Both stores load the keys on their first insert.
    first.insert(&[record("t1", "ma:1", "2024-01-01T00:00:00Z")]).unwrap();
    second.insert(&[record("t1", "ma:2", "2024-01-01T00:01:00Z")]).unwrap();

    let stats = first.insert(&[record("t1", "ma:2", "2024-01-01T00:01:00Z")]).unwrap();
    assert_eq!((stats.inserted, stats.duplicates), (0, 1), "the record the second store stored is a duplicate");
    let stats = second.insert(&[record("t1", "ma:1", "2024-01-01T00:00:00Z")]).unwrap();
    assert_eq!((stats.inserted, stats.duplicates), (0, 1), "the record the first store stored is a duplicate");
    assert_eq!(first.event_count(None).unwrap(), 2);
}

#[test]
fn failed_insert_stores_records_on_retry() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.insert(&[record("t1", "ma:1", "2024-01-01T00:00:00Z")]).unwrap();
    let connection = rusqlite::Connection::open(dir.path().join(harrier_store::DATABASE_FILE)).unwrap();
    let trigger = "CREATE TRIGGER reject_blocks BEFORE INSERT ON blocks BEGIN SELECT RAISE(ABORT, 'rejected'); END;";
    connection.execute_batch(trigger).unwrap();

    let batch = vec![record("t1", "ma:2", "2024-01-02T00:00:00Z"), record("t1", "ma:3", "2024-01-03T00:00:00Z")];
    assert!(store.insert(&batch).is_err(), "the trigger rejects the block");
    connection.execute_batch("DROP TRIGGER reject_blocks;").unwrap();

    let stats = store.insert(&batch).unwrap();
    assert_eq!((stats.inserted, stats.duplicates), (2, 0), "the keys of the failed insert were not kept");
    assert_eq!(store.event_count(None).unwrap(), 3);
}

#[test]
fn version_4_store_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let batch: Vec<Record> =
        (1..=3).map(|i| record("t1", &format!("ma:{i}"), &format!("2024-01-0{i}T00:00:00Z"))).collect();
    Store::open(dir.path()).unwrap().insert(&batch).unwrap();

    // Version 4 kept one `record_keys` row per record and had no `block_keys` table.
    let path = dir.path().join(harrier_store::DATABASE_FILE);
    let connection = rusqlite::Connection::open(&path).unwrap();
    let keys: Vec<u8> = connection.query_row("SELECT keys FROM block_keys", [], |row| row.get(0)).unwrap();
    assert_eq!(keys.len(), 3 * 16);
    for key in keys.chunks_exact(16) {
        connection.execute("INSERT INTO record_keys (key) VALUES (?1)", [key]).unwrap();
    }
    connection.execute_batch("DROP TABLE block_keys; PRAGMA user_version = 4;").unwrap();
    drop(connection);

    let mut store = Store::open(dir.path()).unwrap();
    let mut again = batch.clone();
    again.push(record("t1", "ma:4", "2024-01-04T00:00:00Z"));
    let stats = store.insert(&again).unwrap();
    assert_eq!((stats.inserted, stats.duplicates), (1, 3));
    assert_eq!(read_records(&store, "t1"), again);

    let connection = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0)).unwrap();
    assert_eq!(version, 5);
}

#[test]
fn damaged_block_keys_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    Store::open(dir.path()).unwrap().insert(&[record("t1", "ma:1", "2024-01-01T00:00:00Z")]).unwrap();
    let connection = rusqlite::Connection::open(dir.path().join(harrier_store::DATABASE_FILE)).unwrap();
    connection.execute("UPDATE block_keys SET keys = x'0102' WHERE block = 1", []).unwrap();
    drop(connection);

    let error = Store::open(dir.path()).unwrap().insert(&[record("t1", "ma:2", "2024-01-02T00:00:00Z")]).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("block 1"), "{message}");
    assert!(message.contains("damaged"), "{message}");
}

#[test]
fn pushed_events_match_pushed_records() {
    let records = vec![record("t1", "a", "2026-01-05T00:00:00Z"), record("t1", "b", "2026-01-05T00:00:01Z")];
    let mut from_records = BlockBuilder::new();
    let mut from_events = BlockBuilder::new();
    for record in &records {
        from_records.push(record.clone());
        from_events.push_event(record.event.clone(), &record.raw);
    }

    let from_records = format!("{:?}", from_records.finish());
    let from_events = format!("{:?}", from_events.finish());
    assert_eq!(from_events, from_records);
}
