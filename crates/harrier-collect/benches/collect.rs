//! Sustained collector ingest: one backfill poll of a simulated tenant served by the emulator on loopback.
//!
//! Each iteration makes a fresh data directory and collector and runs one poll, which lists, downloads,
//! normalises, enriches and stores every content blob and sign-in page. `HARRIER_BENCH_USERS` (default
//! 200) and `HARRIER_BENCH_DAYS` (default 6, below the 7 days the API lists) size the tenant.

use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use harrier_collect::{CollectorSettings, Credentials, RetryPolicy, TenantCollector};
use harrier_enrich::IpIntel;
use harrier_m365_emulator::Emulator;
use harrier_model::TenantId;
use harrier_sim::{SimConfig, simulate};

const DIRECTORY: &str = "6a1c4e2b-0d3f-4a5e-8b7c-9d0e1f2a3b4c";
const CLIENT: &str = "b3e2f4a1-7c6d-4e5f-9a8b-0c1d2e3f4a5b";

fn env_number(name: &str, default: u32) -> u32 {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

fn bench_backfill(c: &mut Criterion) {
    let users = env_number("HARRIER_BENCH_USERS", 200) as usize;
    let days = env_number("HARRIER_BENCH_DAYS", 6);
    let sim_dir = tempfile::tempdir().unwrap();
    let today = jiff::tz::TimeZone::UTC.to_datetime(jiff::Timestamp::now()).date();
    let config = SimConfig {
        users,
        days,
        start: today.saturating_sub(jiff::Span::new().days(i64::from(days))),
        ..SimConfig::default()
    };
    let simulated = simulate(&config, sim_dir.path()).unwrap();

    let secret = format!("bench-secret-{}", std::process::id());
    let emulator = Emulator::start(DIRECTORY, CLIENT, &secret);
    emulator.with(|state| {
        state.activity.graph_page_size = 1000;
        state.activity.load_simulated(sim_dir.path()).unwrap()
    });
    let intel = Arc::new(IpIntel::embedded().unwrap());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();

    let mut group = c.benchmark_group("collect");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements(simulated.records));
    group.bench_function(format!("backfill_{users}_users_{days}_days"), |b| {
        b.iter_batched(
            || {
                let data = tempfile::tempdir().unwrap();
                let credentials =
                    Credentials { tenant: DIRECTORY.to_owned(), client_id: CLIENT.to_owned(), client_secret: secret.clone() };
                let mut settings = CollectorSettings::new(TenantId::new("bench"), credentials, data.path().to_path_buf());
                settings.authority = emulator.authority();
                settings.graph = emulator.graph_root();
                settings.management = emulator.management();
                settings.retry = RetryPolicy { initial_backoff: Duration::from_millis(20), ..RetryPolicy::default() };
                (data, TenantCollector::new(settings, intel.clone()).unwrap())
            },
            |(data, mut collector)| {
                let report = runtime.block_on(collector.poll()).unwrap();
                assert!(report.errors().is_empty(), "{report:#?}");
                drop(data);
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, bench_backfill);
criterion_main!(benches);
