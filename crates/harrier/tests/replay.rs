//! Whole-process tests of `harrier replay`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn harrier(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harrier")).args(args).env_remove("HARRIER_DATA_DIR").output().unwrap()
}

fn testdata(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(relative)
}

/// Runs `replay --json` and returns the exit status, the summary and standard error.
fn replay_json(data_dir: &Path, extra: &[&str], paths: &[&Path]) -> (Option<i32>, Value, String) {
    let mut args = vec!["replay", "--json", "--no-progress", "--data-dir", data_dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.extend(paths.iter().map(|p| p.to_str().unwrap()));
    let output = harrier(&args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let summary = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("summary is not JSON ({e}); stderr: {stderr}"));
    (output.status.code(), summary, stderr)
}

#[test]
fn bundled_samples_replay_without_panics() {
    let data = tempfile::tempdir().unwrap();
    let (status, summary, stderr) = replay_json(data.path(), &[], &[&testdata("saas")]);

    assert_eq!(status, Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let records = &summary["records"];
    assert!(records["normalised"].as_u64().unwrap() > 400, "{records}");
    let stored = records["stored"].as_u64().unwrap() + records["duplicates"].as_u64().unwrap();
    assert_eq!(stored, records["normalised"].as_u64().unwrap(), "{records}");
    // Panther's test cases reuse a handful of record ids, which the store keeps once each.
    assert!(records["duplicates"].as_u64().unwrap() < 50, "{records}");
    assert!(summary["formats"]["sentinel_office_activity"].as_u64().unwrap() >= 266);
    assert!(summary["kinds"]["sign_in"].as_u64().unwrap() > 50);
    assert!(summary["time_range"]["first"].is_string());
    assert!(summary["files"].as_array().unwrap().iter().all(|f| f["error"].is_null()), "{}", summary["files"]);
}

#[test]
fn second_replay_stores_nothing_new() {
    let data = tempfile::tempdir().unwrap();
    let (_, first, _) = replay_json(data.path(), &[], &[&testdata("saas")]);
    let (status, second, _) = replay_json(data.path(), &[], &[&testdata("saas")]);

    assert_eq!(status, Some(0));
    assert_eq!(second["records"]["stored"], 0);
    assert_eq!(second["records"]["duplicates"], first["records"]["normalised"]);
    assert_eq!(second["records"]["normalised"], first["records"]["normalised"]);
}

#[test]
fn bad_lines_are_reported_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.jsonl");
    let good = r#"{"CreationTime":"2024-03-01T10:00:00","Id":"a1","Operation":"FileAccessed","Workload":"SharePoint","UserId":"u@example.com","ClientIP":"192.0.2.10"}"#;
    let bad_time = r#"{"CreationTime":"not a time","Id":"a2","Operation":"FileAccessed","Workload":"SharePoint"}"#;
    std::fs::write(&file, format!("{good}\n{{not json\n{bad_time}\n")).unwrap();

    let (status, summary, stderr) = replay_json(&dir.path().join("data"), &[], &[&file]);
    assert_eq!(status, Some(0), "one record was readable, so the run succeeds");
    assert_eq!(summary["records"]["normalised"], 1);
    assert_eq!(summary["records"]["skipped"], 2);
    assert_eq!(summary["skipped"]["invalid_json"], 1);
    assert_eq!(summary["skipped"]["invalid_time"], 1);
    assert!(stderr.contains("audit.jsonl:2: invalid JSON"), "{stderr}");
    assert!(stderr.contains("audit.jsonl:3: invalid time in field CreationTime"), "{stderr}");

    let (strict_status, _, _) = replay_json(&dir.path().join("strict"), &["--strict"], &[&file]);
    assert_eq!(strict_status, Some(1));
}

#[test]
fn unknown_file_names_the_formats() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.bin");
    std::fs::write(&file, [0u8, 159, 146, 150, 1, 2]).unwrap();

    let (status, summary, stderr) = replay_json(&dir.path().join("data"), &[], &[&file]);
    assert_eq!(status, Some(1), "nothing could be read");
    assert!(stderr.contains("notes.bin: not a supported log format"), "{stderr}");
    assert!(stderr.contains("management_activity"), "{stderr}");
    assert!(summary["files"][0]["error"].as_str().unwrap().contains("notes.bin"));
}

#[test]
fn missing_path_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder");
    let data = dir.path().join("data");
    let output = harrier(&["replay", "--no-progress", "--data-dir", data.to_str().unwrap(), missing.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no-such-folder not found"), "{stderr}");
    assert!(output.stdout.is_empty(), "{}", String::from_utf8_lossy(&output.stdout));
    assert!(!data.exists(), "the data directory was created");
}

#[test]
fn file_without_records_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [("unknown.csv", "hello,world\n", "a CSV header and no rows")];
    for (name, content, reason) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, content).unwrap();
        for extra in [&[][..], &["--strict"]] {
            let (status, summary, stderr) = replay_json(&dir.path().join("data"), extra, &[&file]);
            assert_eq!(status, Some(1), "{name} {extra:?}: {stderr}");
            assert_eq!(summary["records"]["read"], 0, "{name}: {summary}");
            assert!(stderr.contains(&format!("error: no records: {}", file.display())), "{name}: {stderr}");
            assert!(stderr.contains(reason), "{name}: {stderr}");
        }
    }
}

#[test]
fn empty_arrays_alone_exit_0() {
    // The Management Activity API returns an empty content blob for a quiet period.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("empty.json");
    std::fs::write(&file, "[]\n").unwrap();
    let page = dir.path().join("page.json");
    std::fs::write(&page, "{\"value\": []}\n").unwrap();
    let (status, summary, stderr) = replay_json(&dir.path().join("data"), &[], &[&file, &page]);
    assert_eq!(status, Some(0), "{stderr}");
    assert_eq!(summary["records"]["read"], 0, "{summary}");
    assert!(stderr.contains(&format!("warning: no records: {}", file.display())), "{stderr}");
    assert!(stderr.contains(&format!("warning: no records: {}", page.display())), "{stderr}");
    assert!(stderr.contains("an empty array"), "{stderr}");
}

#[test]
fn empty_file_beside_records_warns() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "[]").unwrap();
    let paths: [&Path; 2] = [&testdata("saas/panther-tests"), &empty];
    let (status, _, stderr) = replay_json(&dir.path().join("data"), &[], &paths);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(stderr.contains(&format!("warning: no records: {}", empty.display())), "{stderr}");
}

#[test]
fn tenant_override_applies_to_every_event() {
    let data = tempfile::tempdir().unwrap();
    let (_, summary, _) = replay_json(data.path(), &["--tenant", "contoso"], &[&testdata("saas/panther-tests")]);
    let tenants = summary["tenants"].as_object().unwrap();
    assert_eq!(tenants.keys().collect::<Vec<_>>(), vec!["contoso"]);
}

#[test]
fn text_summary_lists_formats_and_kinds() {
    let data = tempfile::tempdir().unwrap();
    let output = harrier(&[
        "replay",
        "--no-progress",
        "--data-dir",
        data.path().to_str().unwrap(),
        testdata("saas/otrf-goldensaml").to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("Records per format:"), "{stdout}");
    assert!(stdout.contains("Events per kind:"), "{stdout}");
    assert!(stdout.contains("sentinel_audit_logs"), "{stdout}");
}

#[test]
fn gzip_files_report_compressed() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.json.gz");
    std::fs::write(&broken, [0x1f, 0x8b, 0x08, 0x00, 0x01]).unwrap();
    let mail = dir.path().join("message.eml.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut encoder, &std::fs::read(testdata("mail/dkim-pass.eml")).unwrap()).unwrap();
    std::fs::write(&mail, encoder.finish().unwrap()).unwrap();

    let (_, summary, stderr) = replay_json(&dir.path().join("data"), &[], &[&broken, &mail]);
    let files = summary["files"].as_array().unwrap();
    assert_eq!(files.len(), 2, "{stderr}");
    for file in files {
        assert_eq!(file["compressed"], true, "{file}");
    }
    let mail_report = files.iter().find(|file| file["path"].as_str().unwrap().ends_with("message.eml.gz")).unwrap();
    assert_eq!(mail_report["records"], 1, "{mail_report}");
}
