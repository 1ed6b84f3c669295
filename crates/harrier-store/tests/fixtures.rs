//! Every normalised fixture under `testdata/saas` reads back from the store unchanged.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use harrier_ingest::{Item, ReadOptions, collect_paths, read_file};
use harrier_model::Record;
use harrier_store::Store;

/// Reads every record of the SaaS log fixtures, keeping the first copy of each tenant and record id, as the
/// store does.
fn fixture_records() -> Vec<Record> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/saas");
    let (paths, errors) = collect_paths(&[root]);
    assert!(errors.is_empty(), "{errors:?}");

    let mut seen = BTreeSet::new();
    let mut records = Vec::new();
    for path in paths {
        // Files the reader does not recognise (attribution notes, for example) are reported, not read.
        let _ = read_file(&path, &ReadOptions::default(), &mut |item| {
            if let Item::Record(record) = item
                && seen.insert((record.event.tenant.clone(), record.event.record_id.clone()))
            {
                records.push(*record);
            }
        });
    }
    records
}

#[test]
fn fixture_records_round_trip() {
    let originals = fixture_records();
    let kinds: BTreeSet<&str> = originals.iter().map(|record| record.event.kind()).collect();
    assert!(originals.len() >= 100, "only {} fixture records were read", originals.len());
    assert!(kinds.len() >= 8, "the fixtures cover only the kinds {kinds:?}");

    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let stats = store.insert(&originals).unwrap();
    assert_eq!(stats.inserted, originals.len() as u64);
    drop(store);

    let store = Store::open(dir.path()).unwrap();
    let mut expected: HashMap<_, &Record> = originals
        .iter()
        .map(|record| ((record.event.tenant.clone(), record.event.record_id.clone()), record))
        .collect();
    for tenant in store.tenants().unwrap() {
        store
            .for_each_record(&tenant, |record| {
                let key = (record.event.tenant.clone(), record.event.record_id.clone());
                let original = expected.remove(&key).unwrap_or_else(|| panic!("unexpected record {key:?}"));
                assert_eq!(&record, original, "record {key:?}");
                true
            })
            .unwrap();
    }
    assert!(expected.is_empty(), "{} records were not read back", expected.len());
}
