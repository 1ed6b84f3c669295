//! Read and normalise throughput per source format, on records copied from the test fixtures.

use std::io::Write;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use harrier_ingest::{Item, ReadOptions, read_file};

/// Copies of fixture records per benchmark file.
const COPIES: usize = 20_000;

/// Writes `line` `COPIES` times into a JSON-lines file in `dir`.
fn repeated_file(dir: &Path, name: &str, line: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for _ in 0..COPIES {
        file.write_all(line.as_bytes()).unwrap();
        file.write_all(b"\n").unwrap();
    }
    path
}

fn first_line(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(relative);
    std::fs::read_to_string(path).unwrap().lines().next().unwrap().to_owned()
}

fn bench_formats(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("azure_monitor_sign_in", first_line("saas/panther-tests/Azure_Audit.tests.jsonl")),
        ("management_activity_aad", first_line("saas/panther-tests/Microsoft365_Audit_AzureActiveDirectory.tests.jsonl")),
        ("sentinel_audit_logs", first_line("saas/otrf-goldensaml/AADAuditEvents.json")),
        ("sentinel_office_activity", first_line("saas/otrf-goldensaml/OfficeActivityEvents.json")),
    ];
    let mut group = c.benchmark_group("read");
    group.sample_size(10);
    for (name, line) in cases {
        let path = repeated_file(dir.path(), name, &line);
        group.throughput(Throughput::Elements(COPIES as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut records = 0usize;
                read_file(&path, &ReadOptions::default(), &mut |item| {
                    if let Item::Record(_) = item {
                        records += 1;
                    }
                })
                .unwrap();
                assert_eq!(records, COPIES);
            })
        });
    }
    bench_generated(&mut group, dir.path());
    group.finish();
}

/// Records in the file that `bench/gen_logs.py` writes for the `generated_mix` case.
const GENERATED: usize = 20_000;

/// Reads the mix of sign-ins and audit records that `bench/replay.sh` replays, written by `bench/gen_logs.py`.
/// The case is left out, with a message, when `python3` cannot run the script.
fn bench_generated(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>, dir: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/gen_logs.py");
    let path = dir.join("generated.jsonl");
    let status = std::process::Command::new("python3")
        .arg(&script)
        .args(["--records", &GENERATED.to_string(), "--out"])
        .arg(&path)
        .status();
    if !matches!(status, Ok(status) if status.success()) {
        eprintln!("skipping read/generated_mix: python3 {} failed: {status:?}", script.display());
        return;
    }
    group.throughput(Throughput::Elements(GENERATED as u64));
    group.bench_function("generated_mix", |b| {
        b.iter(|| {
            let mut records = 0usize;
            read_file(&path, &ReadOptions::default(), &mut |item| {
                if let Item::Record(_) = item {
                    records += 1;
                }
            })
            .unwrap();
            assert_eq!(records, GENERATED);
        })
    });
}

criterion_group!(benches, bench_formats);
criterion_main!(benches);
