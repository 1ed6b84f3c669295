//! Findings per second mapped from breaches and written as Parquet and as JSON lines.
//!
//! The input is 20,000 breaches over every built-in model, with the evidence and baseline deviations a
//! typical breach carries, spread over 500 users, 64 source addresses and 30 days, already in time order.

use std::net::IpAddr;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use harrier_detect::{Breach, Deviation};
use harrier_enrich::IpIntel;
use harrier_export::encode;
use harrier_export::ocsf::finding::DetectionFinding;
use harrier_export::ocsf::map::{ChangeInfo, MapContext, breach_finding};
use harrier_model::{Activity, Actor, ActorKind, Client, Event, Outcome, SignIn, SourceFormat, TenantId};

/// The allocator the `harrier` binary uses, so the figures match the command's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BREACHES: usize = 20_000;

fn breaches() -> Vec<Breach> {
    let models = harrier_detect::models::all();
    (0..BREACHES)
        .map(|i| {
            let info = models[i % models.len()].info();
            let ip: IpAddr = format!("45.62.{}.{}", 160 + i % 16, 10 + i % 4).parse().unwrap();
            let user = format!("user{}@contoso.example", i % 500);
            let event = Event {
                tenant: TenantId::new("contoso"),
                record_id: format!("record-{i:08}"),
                time: jiff::Timestamp::from_second(1_767_225_600 + (i as i64) * 130).unwrap(),
                format: SourceFormat::ManagementActivity,
                operation: "UserLoggedIn".to_owned(),
                workload: None,
                outcome: Outcome::Success,
                actor: Actor { user: Some(user), kind: ActorKind::User, ..Actor::default() },
                client: Client { ip: Some(ip), user_agent: None },
                ip_info: None,
                activity: Activity::SignIn(SignIn::default()),
            };
            Breach::new(info, &event, (i % 100) as f32, format!("{} on record {i}", info.name))
                .evidence("source_ip", ip)
                .evidence("operation", "UserLoggedIn")
                .evidence("failures_in_window", i % 40)
                .deviation(Deviation {
                    measure: "asn".into(),
                    observed: "AS396073 (Majestic Hosting Solutions, LLC)".into(),
                    baseline: "AS3320 (92%), AS6805 (8%) over 120 days".into(),
                    score: 11.2,
                })
                .deviation(Deviation {
                    measure: "country".into(),
                    observed: "US".into(),
                    baseline: "DE (100%) over 120 days".into(),
                    score: 8.4,
                })
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let intel = IpIntel::embedded().expect("the built-in snapshot loads");
    let context = MapContext { intel: Some(&intel), product_version: "0.1.0" };
    let breaches = breaches();
    let map = |breaches: &[Breach]| -> Vec<DetectionFinding> {
        breaches
            .iter()
            .enumerate()
            .map(|(i, b)| breach_finding(b, ChangeInfo { seq: i as u64 + 1, created: true, incident: Some("inc-1") }, &context))
            .collect()
    };
    let findings = map(&breaches);
    let parquet = encode::to_parquet(&findings).unwrap();
    let jsonl = encode::to_jsonl(&findings);
    eprintln!(
        "{BREACHES} findings: Parquet {} bytes ({} per finding), JSON lines {} bytes ({} per finding)",
        parquet.len(),
        parquet.len() / BREACHES,
        jsonl.len(),
        jsonl.len() / BREACHES
    );

    // Wall-clock figures suffer when other jobs share the machine, so the rate per CPU-second of this
    // thread is printed too.
    let rounds = 5;
    let cpu_before = thread_cpu_seconds();
    for _ in 0..rounds {
        std::hint::black_box(encode::to_parquet(&map(&breaches)).unwrap());
    }
    let cpu = thread_cpu_seconds() - cpu_before;
    eprintln!(
        "map and Parquet: {:.0} findings per CPU-second ({rounds} rounds of {BREACHES}, {cpu:.2} CPU-seconds)",
        (rounds * BREACHES) as f64 / cpu
    );

    let mut group = c.benchmark_group("export");
    group.throughput(Throughput::Elements(BREACHES as u64));
    group.sample_size(10);
    group.bench_function("map", |b| b.iter(|| map(&breaches)));
    group.bench_function("parquet", |b| b.iter(|| encode::to_parquet(&findings).unwrap()));
    group.bench_function("map_and_parquet", |b| b.iter(|| encode::to_parquet(&map(&breaches)).unwrap()));
    group.bench_function("jsonl", |b| b.iter(|| encode::to_jsonl(&findings)));
    group.finish();
}

/// Returns the user and system CPU time of the calling thread, in seconds.
fn thread_cpu_seconds() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; RUSAGE_THREAD is valid on Linux.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_THREAD, usage.as_mut_ptr());
        usage.assume_init()
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

criterion_group!(benches, bench);
criterion_main!(benches);
