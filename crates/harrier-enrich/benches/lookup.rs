//! Lookup and load speed of the shipped snapshot.
//!
//! Run with `cargo bench -p harrier-enrich --bench lookup`. Each lookup benchmark resolves a
//! batch of 4096 addresses, and criterion reports the throughput in addresses per second.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use harrier_enrich::IpIntel;

const BATCH: usize = 4096;

/// A xorshift generator, so that the address batches are the same on every run.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Uniformly random IPv4 addresses, most of them public and announced.
fn random_v4(rng: &mut XorShift) -> Vec<IpAddr> {
    (0..BATCH)
        .map(|_| IpAddr::V4(Ipv4Addr::from(rng.next() as u32)))
        .collect()
}

/// Top 16 bits of the IPv6 blocks that the regional registries allocate from, where announced
/// ranges are dense. Uniformly random IPv6 addresses would nearly all land in empty space.
const BUSY_V6_BLOCKS: [u16; 12] = [
    0x2001, 0x2400, 0x2401, 0x2403, 0x2600, 0x2602, 0x2605, 0x2606, 0x2a00, 0x2a02, 0x2a0e, 0x2c0f,
];

/// Random IPv6 addresses inside busy registry blocks.
fn busy_v6(rng: &mut XorShift) -> Vec<IpAddr> {
    (0..BATCH)
        .map(|_| {
            let block = BUSY_V6_BLOCKS[(rng.next() % BUSY_V6_BLOCKS.len() as u64) as usize];
            let high = (u64::from(block) << 48) | (rng.next() >> 16);
            let value = (u128::from(high) << 64) | u128::from(rng.next());
            IpAddr::V6(Ipv6Addr::from(value))
        })
        .collect()
}

fn bench_lookup(c: &mut Criterion) {
    let intel = IpIntel::embedded().expect("the shipped snapshot loads");
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let batches = [
        ("random_v4", random_v4(&mut rng)),
        ("busy_v6", busy_v6(&mut rng)),
    ];

    let mut group = c.benchmark_group("lookup_ref");
    group.throughput(Throughput::Elements(BATCH as u64));
    for (name, addresses) in &batches {
        group.bench_function(*name, |b| {
            b.iter(|| {
                for &address in addresses {
                    black_box(intel.lookup_ref(black_box(address)));
                }
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("lookup_owned");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("random_v4", |b| {
        b.iter(|| {
            for &address in &batches[0].1 {
                black_box(intel.lookup(black_box(address)));
            }
        })
    });
    group.finish();
}

fn bench_load(c: &mut Criterion) {
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.bench_function("embedded", |b| {
        b.iter(|| black_box(IpIntel::embedded().unwrap()))
    });
    group.finish();
}

criterion_group!(benches, bench_lookup, bench_load);
criterion_main!(benches);
