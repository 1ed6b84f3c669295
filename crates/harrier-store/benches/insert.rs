//! Store throughput: preparing blocks (serialising and compressing) and inserting them, on synthetic
//! records shaped like Management Activity API audit records.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use harrier_model::{Activity, Actor, Client, Event, Other, Outcome, Record, SourceFormat, TenantId};
use harrier_store::{BlockBuilder, PreparedBlock, Store};
use jiff::Timestamp;

/// Records per benchmark run: one transaction of the replay writer.
const RECORDS: usize = 65_536;

fn record(i: usize) -> Record {
    let user = i % 2_000;
    let id = format!("{:08x}-{:04x}-4c2a-9e61-{:012x}", i.wrapping_mul(2_654_435_761) as u32, i % 65_536, i);
    let time = Timestamp::from_second(1_767_571_200 + i as i64).unwrap();
    let event = Event {
        tenant: TenantId::new("5f1c7a3e-0b8d-4c2a-9e61-2d4b8f0a7c13"),
        record_id: format!("ma:{id}"),
        time,
        format: SourceFormat::ManagementActivity,
        operation: "FileAccessed".into(),
        workload: Some("SharePoint".into()),
        outcome: Outcome::Success,
        actor: Actor { user: Some(format!("user{user}@example.com")), ..Actor::default() },
        client: Client {
            ip: Some(format!("81.{}.{}.{}", user % 250, i % 250, i % 3 + 1).parse().unwrap()),
            user_agent: None,
        },
        ip_info: None,
        activity: Activity::Other(Other::default()),
    };
    let raw = format!(
        r#"{{"CreationTime":"{time}","Id":"{id}","Operation":"FileAccessed","OrganizationId":"5f1c7a3e-0b8d-4c2a-9e61-2d4b8f0a7c13","RecordType":6,"UserId":"user{user}@example.com","Workload":"SharePoint","ClientIP":"81.1.2.3","ObjectId":"https://contoso.sharepoint.com/sites/team{}/Shared Documents/report-{}.docx","SourceFileName":"report-{}.docx","SiteUrl":"https://contoso.sharepoint.com/sites/team{}/"}}"#,
        user % 40,
        i % 997,
        i % 997,
        user % 40
    );
    Record { event, raw }
}

fn blocks() -> Vec<PreparedBlock> {
    let mut blocks = Vec::new();
    let mut builder = BlockBuilder::new();
    for i in 0..RECORDS {
        builder.push(record(i));
        if builder.is_full() {
            blocks.extend(builder.finish());
        }
    }
    blocks.extend(builder.finish());
    blocks
}

fn bench_store(c: &mut Criterion) {
    let records: Vec<Record> = (0..RECORDS).map(record).collect();
    let prepared = blocks();
    let mut group = c.benchmark_group("store");
    group.sample_size(10);
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.bench_function("prepare", |b| {
        b.iter_batched(
            || records.clone(),
            |records| {
                let mut builder = BlockBuilder::new();
                let mut blocks = Vec::new();
                for record in records {
                    builder.push(record);
                    if builder.is_full() {
                        blocks.extend(builder.finish());
                    }
                }
                blocks.extend(builder.finish());
                blocks
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("insert_new", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let store = Store::open(dir.path()).unwrap();
                (dir, store)
            },
            |(dir, mut store)| {
                let stats = store.insert_prepared(&prepared).unwrap();
                assert_eq!(stats.inserted, RECORDS as u64);
                (dir, store)
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("insert_duplicates", |b| {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store.insert_prepared(&prepared).unwrap();
        b.iter(|| {
            let stats = store.insert_prepared(&prepared).unwrap();
            assert_eq!(stats.duplicates, RECORDS as u64);
        })
    });
    group.finish();
}

criterion_group!(benches, bench_store);
criterion_main!(benches);
