//! Whole-process tests of `harrier export ocsf` on a simulated tenant and the bundled log fixtures. They
//! validate every record against the schema, read the Parquet files back with pyarrow, upload to a local
//! S3-compatible server (moto) in the Security Lake layout, and recover after the exporter is killed
//! between staging and upload.
//!
//! The pyarrow and S3 checks need a Python with `pyarrow`, `boto3` and `moto[server]`: the one named by
//! `HARRIER_TEST_PYTHON`, else `python3`. `scripts/test.sh` installs them and sets
//! `HARRIER_REQUIRE_PYTHON_TESTS=1`, which turns a missing module into a failure instead of a skipped check.

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use harrier_export::ocsf::schema::Schema;
use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn harrier() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_harrier"));
    for name in ["HARRIER_DATA_DIR", "HARRIER_SETTINGS", "HARRIER_OCSF_SCHEMA", "HARRIER_EXPORT_ACCOUNT", "AWS_PROFILE"] {
        command.env_remove(name);
    }
    command
}

#[path = "common/process.rs"]
mod process;
use process::run;

/// Simulates a small tenant with every attack scenario, replays it with the bundled log fixtures and
/// analyses it. Returns the data directory.
fn analysed_tenant(dir: &Path) -> PathBuf {
    let sim = dir.join("sim");
    let data = dir.join("data");
    run(harrier().args(["simulate", "--users", "60", "--days", "21", "--seed", "5", "--out"]).arg(&sim));
    run(harrier().args(["replay", "--no-progress", "--data-dir"]).arg(&data).arg(&sim).arg(repo().join("testdata/saas")));
    data
}

fn export(data: &Path, out: &str, format: &str, batch: &str) -> Value {
    let stdout = run(harrier()
        .args(["export", "ocsf", "--json", "--format", format, "--out", out, "--batch", batch, "--data-dir"])
        .arg(data)
        .arg("--schema")
        .arg(repo().join("testdata/ocsf-schema-1.3.0")));
    serde_json::from_str(&stdout).unwrap()
}

fn files_with_extension(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_with_extension(&path, extension));
        } else if path.extension().is_some_and(|e| e == extension) {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// Returns the Python that has pyarrow, boto3 and moto, or `None` (with a notice) when there is none and
/// the run does not require one.
fn python() -> Option<PathBuf> {
    let python = std::env::var_os("HARRIER_TEST_PYTHON").map(PathBuf::from).unwrap_or_else(|| "python3".into());
    let ready = Command::new(&python)
        .args(["-c", "import pyarrow, boto3, moto.server"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ready {
        return Some(python);
    }
    assert!(
        std::env::var_os("HARRIER_REQUIRE_PYTHON_TESTS").is_none(),
        "{} lacks pyarrow, boto3 or moto; run scripts/test.sh, which installs them",
        python.display()
    );
    eprintln!("NOTE: skipping the pyarrow and S3 checks: {} lacks pyarrow, boto3 or moto", python.display());
    None
}

fn python_json(python: &Path, args: &[&str]) -> Value {
    let script = repo().join("crates/harrier/tests/python/read_parquet.py");
    let stdout = run(Command::new(python).arg(script).args(args));
    serde_json::from_str(&stdout).unwrap()
}

#[test]
fn exports_validate_and_read_back_in_pyarrow() {
    let dir = tempfile::tempdir().unwrap();
    let data = analysed_tenant(dir.path());
    let schema = Schema::load(&repo().join("testdata/ocsf-schema-1.3.0")).unwrap();

    let jsonl_dir = dir.path().join("jsonl");
    let summary = export(&data, jsonl_dir.to_str().unwrap(), "jsonl", "50000");
    assert_eq!(summary["invalid"], 0);
    let mut records = Vec::new();
    for file in files_with_extension(&jsonl_dir, "jsonl") {
        for line in std::fs::read_to_string(&file).unwrap().lines() {
            records.push(serde_json::from_str::<Value>(line).unwrap());
        }
    }
    assert_eq!(records.len() as u64, summary["findings"].as_u64().unwrap());
    for record in &records {
        if let Err(violations) = schema.validate(record) {
            panic!("{:?}: {violations:?}", record["metadata"]["uid"]);
        }
    }
    let models: BTreeSet<&str> = records
        .iter()
        .filter(|r| r["unmapped"]["harrier"]["kind"] == "breach")
        .map(|r| r["finding_info"]["analytic"]["uid"].as_str().unwrap())
        .collect();
    let incidents = records.iter().filter(|r| r["unmapped"]["harrier"]["kind"] == "incident").count();
    assert!(models.len() >= 8, "breaches of several models are exported: {models:?}");
    assert!(incidents > 0);
    // Every breach chained into an incident names it, and that incident is exported too.
    let incident_ids: BTreeSet<&str> = records
        .iter()
        .filter(|r| r["unmapped"]["harrier"]["kind"] == "incident")
        .map(|r| r["finding_info"]["uid"].as_str().unwrap())
        .collect();
    for record in records.iter().filter(|r| r["unmapped"]["harrier"]["kind"] == "breach") {
        if let Some(incident) = record["metadata"]["correlation_uid"].as_str() {
            assert!(incident_ids.contains(incident), "{incident} is exported");
        }
    }

    let parquet_dir = dir.path().join("parquet");
    let summary = export(&data, parquet_dir.to_str().unwrap(), "parquet", "50000");
    let files = files_with_extension(&parquet_dir, "parquet");
    assert!(!files.is_empty());
    for file in &files {
        let relative = file.strip_prefix(&parquet_dir).unwrap().to_string_lossy().into_owned();
        assert!(relative.starts_with("ext/harrier/region=local/accountId=local/eventDay="), "{relative}");
    }
    let Some(python) = python() else { return };
    let arguments: Vec<&str> = files.iter().map(|f| f.to_str().unwrap()).collect();
    let read = python_json(&python, &arguments);
    let rows: u64 = read.as_object().unwrap().values().map(|f| f["rows"].as_u64().unwrap()).sum();
    assert_eq!(rows, summary["findings"].as_u64().unwrap());
    for (file, described) in read.as_object().unwrap() {
        let types = &described["types"];
        assert_eq!(types["time"], "int64", "{file}");
        assert_eq!(types["class_uid"], "int32", "{file}");
        assert_eq!(types["type_uid"], "int64", "{file}");
        assert_eq!(types["message"], "string", "{file}");
        assert!(types["finding_info"].as_str().unwrap().starts_with("struct<uid: string"), "{file}");
        let times: Vec<i64> = described["times"].as_array().unwrap().iter().map(|t| t.as_i64().unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{file} is sorted by time");
    }
}

/// A moto S3 server on a free loopback port, stopped when dropped.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Moto {
    fn start(python: &Path) -> Moto {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(python)
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let endpoint = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(60), "moto did not start on port {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto { child, endpoint }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn s3_export(data: &Path, endpoint: &str) -> Command {
    let mut command = harrier();
    command
        .args(["export", "ocsf", "--json", "--out", "s3://lake/security", "--region", "eu-west-1"])
        .args(["--account", "123456789012", "--batch", "40", "--data-dir"])
        .arg(data)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ALLOW_HTTP", "true")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL_S3");
    command
}

#[test]
fn s3_upload_after_kill() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = analysed_tenant(dir.path());

    // The full set of records in batches of the same size, for comparison.
    let reference = dir.path().join("reference");
    let expected = export(&data, reference.to_str().unwrap(), "jsonl", "40")["findings"].as_u64().unwrap();

    // An endpoint that accepts connections and never responds: the exporter stages, then hangs uploading.
    let black_hole = TcpListener::bind("127.0.0.1:0").unwrap();
    let hole = format!("http://{}", black_hole.local_addr().unwrap());
    let held = std::thread::spawn(move || {
        let mut connections = Vec::new();
        for stream in black_hole.incoming().take(64) {
            connections.push(stream);
        }
    });
    let mut child = s3_export(&data, &hole).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let export_dir = data.join("export");
    let started = Instant::now();
    let staged = loop {
        let staged = files_with_extension(&export_dir, "parquet");
        let checkpoint = files_with_extension(&export_dir, "json");
        if !staged.is_empty() && !checkpoint.is_empty() {
            break staged;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "nothing was staged");
        std::thread::sleep(Duration::from_millis(50));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    drop(held);
    assert!(!staged.is_empty());

    let moto = Moto::start(&python);
    run(Command::new(&python).arg(repo().join("crates/harrier/tests/python/create_bucket.py")).args([&moto.endpoint, "lake"]));
    let resumed: Value = serde_json::from_str(&run(&mut s3_export(&data, &moto.endpoint))).unwrap();
    assert!(resumed["files_uploaded"].as_u64().unwrap() >= 1);
    // Running again finds nothing new and uploads nothing.
    let again: Value = serde_json::from_str(&run(&mut s3_export(&data, &moto.endpoint))).unwrap();
    assert_eq!((again["changes"].as_u64(), again["files_uploaded"].as_u64()), (Some(0), Some(0)));

    let objects = python_json(&python, &["--s3", &moto.endpoint, "lake", "security/"]);
    let objects = objects.as_object().unwrap();
    let mut uids: BTreeMap<String, u32> = BTreeMap::new();
    for (key, described) in objects {
        assert!(
            key.starts_with("security/ext/harrier/region=eu-west-1/accountId=123456789012/eventDay="),
            "{key} follows the Security Lake layout"
        );
        let day = key.split("eventDay=").nth(1).unwrap().split('/').next().unwrap();
        assert_eq!(day.len(), 8, "{key}");
        for uid in described["uids"].as_array().unwrap() {
            *uids.entry(uid.as_str().unwrap().to_owned()).or_default() += 1;
        }
    }
    let total: u32 = uids.values().sum();
    assert_eq!(u64::from(total), expected, "every finding is uploaded");
    assert!(uids.values().all(|count| *count == 1), "no finding is uploaded twice");
    assert!(files_with_extension(&export_dir, "parquet").is_empty(), "staging is emptied");
}

#[test]
fn webhook_needs_secret() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    run(harrier().args(["replay", "--no-progress", "--data-dir"]).arg(&data).arg(repo().join("testdata/saas")));
    // Port 9 (discard) on loopback: nothing may be sent there anyway.
    let output = harrier()
        .env_remove("HARRIER_WEBHOOK_SECRET_FILE")
        .args(["export", "ocsf", "--out", "http://127.0.0.1:9/hook", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--webhook-secret-file"), "{stderr}");
}
