//! Whole-process tests of `harrier intel ip`.

use std::process::Command;

fn intel(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_harrier")).arg("intel").arg("ip").args(args).output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn hosting_address_found_by_asn() {
    let (ok, stdout, stderr) = intel(&["45.62.170.237"]);
    assert!(ok, "{stderr}");
    let fields: Vec<&str> = stdout.trim_end().split('\t').collect();
    assert_eq!(fields[0], "45.62.170.237");
    assert_eq!(fields[1], "AS396073");
    assert!(fields[2].starts_with("Majestic Hosting"), "{stdout}");
    assert_eq!(fields[3], "US");
    assert!(fields[4].starts_with("hosting"), "{stdout}");
}

#[test]
fn json_lines_per_address() {
    let (ok, stdout, stderr) = intel(&["--json", "45.62.170.237", "20.190.151.68", "127.0.0.1"]);
    assert!(ok, "{stderr}");
    let answers: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(answers.len(), 3);
    assert_eq!(answers[0]["info"]["asn"], 396073);
    assert_eq!(answers[0]["info"]["class"], "hosting");
    assert_eq!(answers[1]["info"]["class"], "microsoft");
    assert_eq!(answers[2]["info"]["class"], "private");
}

#[test]
fn invalid_address_is_rejected() {
    let (ok, _, stderr) = intel(&["999.1.1.1"]);
    assert!(!ok);
    assert!(stderr.contains("999.1.1.1"), "{stderr}");
}

#[test]
fn replacement_snapshot_that_is_corrupt_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("broken.bin");
    std::fs::write(&snapshot, b"not a snapshot").unwrap();
    let (ok, _, stderr) = intel(&["--ip-data", snapshot.to_str().unwrap(), "1.1.1.1"]);
    assert!(!ok);
    assert!(stderr.contains("broken.bin"), "{stderr}");
}
