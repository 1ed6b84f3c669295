//! Simulation speed, in records written per second.
//!
//! Run with `cargo bench -p harrier-sim --bench simulate`. Each iteration simulates a 200-user tenant
//! for 7 days with every scenario into a temporary folder, so the figure includes JSON encoding and file
//! writes. Criterion reports the throughput in records per second.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use harrier_sim::{SimConfig, simulate};

fn config() -> SimConfig {
    SimConfig {
        users: 200,
        days: 7,
        seed: 1,
        ..SimConfig::default()
    }
}

fn bench_simulate(c: &mut Criterion) {
    let config = config();
    let probe = tempfile::tempdir().unwrap();
    let records = simulate(&config, probe.path()).unwrap().records;

    let mut group = c.benchmark_group("simulate");
    group.sample_size(10);
    group.throughput(Throughput::Elements(records));
    group.bench_function("200_users_7_days", |b| {
        b.iter(|| {
            let dir = tempfile::tempdir().unwrap();
            black_box(simulate(&config, dir.path()).unwrap())
        })
    });
    group.finish();
}

criterion_group!(benches, bench_simulate);
criterion_main!(benches);
