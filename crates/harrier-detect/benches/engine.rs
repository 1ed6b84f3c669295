//! Learning and detection throughput: every model on, over a simulated tenant's events in time order.
//!
//! The setup simulates a tenant with harrier-sim, reads its logs with harrier-ingest and enriches them, so
//! the events are the ones `harrier replay` would analyse. It also prints the size of the engine state per
//! user, serialised as the analysis database stores it.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use harrier_detect::{Engine, TenantState};
use harrier_ingest::{Item, ReadOptions, collect_paths, read_file};
use harrier_model::Event;

const USERS: usize = 200;
const DAYS: u32 = 14;

fn simulated_events(dir: &Path) -> Vec<Event> {
    let config = harrier_sim::SimConfig { users: USERS, days: DAYS, seed: 11, ..harrier_sim::SimConfig::default() };
    harrier_sim::simulate(&config, dir).expect("simulation succeeds");
    let intel = harrier_enrich::IpIntel::embedded().expect("the built-in snapshot loads");
    let logs = [dir.join(harrier_sim::MANAGEMENT_ACTIVITY_DIR), dir.join(harrier_sim::GRAPH_SIGNINS_DIR)];
    let (files, errors) = collect_paths(&logs);
    assert!(errors.is_empty(), "{errors:?}");
    let mut events = Vec::new();
    for file in files {
        read_file(&file, &ReadOptions::default(), &mut |item| {
            if let Item::Record(mut record) = item {
                if let Some(ip) = record.event.client.ip {
                    record.event.ip_info = Some(intel.lookup(ip));
                }
                events.push(record.event);
            }
        })
        .expect("simulated files read");
    }
    events.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.record_id.cmp(&b.record_id)));
    events
}

fn bench_engine(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let events = simulated_events(dir.path());
    let engine = Engine::with_defaults();

    let mut state = TenantState::default();
    for event in &events {
        engine.process(&mut state, event);
    }
    let bytes = postcard::to_stdvec(&state).unwrap().len();
    eprintln!(
        "engine state: {bytes} bytes for {} users ({} bytes per user), {} events",
        state.baselines.users.len(),
        bytes / state.baselines.users.len().max(1),
        events.len()
    );

    let mut group = c.benchmark_group("engine");
    group.sample_size(10);
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("all_models", |b| {
        b.iter(|| {
            let mut state = TenantState::default();
            for event in &events {
                engine.process(&mut state, event);
            }
            state
        })
    });
    group.finish();
}

criterion_group!(benches, bench_engine);
criterion_main!(benches);
