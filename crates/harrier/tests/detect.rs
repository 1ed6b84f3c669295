//! Whole-process tests of detection: replay, `incidents` and `report`.

use std::fmt::Write;
use std::path::Path;
use std::process::Command;

fn harrier(data_dir: &Path, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_harrier"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("HARRIER_DATA_DIR")
        .env_remove("HARRIER_SETTINGS")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Writes Graph sign-ins: 30 days of a user at home and in the office, then a sign-in from a VPS.
fn takeover_sign_ins(path: &Path) {
    let mut lines = String::new();
    let sign_in = |lines: &mut String, id: String, time: String, ip: &str, agent: &str| {
        let _ = writeln!(
            lines,
            r#"{{"id":"{id}","createdDateTime":"{time}","userPrincipalName":"alice@contoso.example","userId":"u-1","appId":"4765445b-32c6-49b0-83e6-1d93765276ca","appDisplayName":"OfficeHome","ipAddress":"{ip}","clientAppUsed":"Browser","userAgent":"{agent}","status":{{"errorCode":0}},"isInteractive":true}}"#
        );
    };
    let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 Edg/120.0";
    for day in 1..=30 {
        sign_in(&mut lines, format!("home-{day}"), format!("2026-01-{day:02}T08:00:00Z"), "79.200.1.10", edge);
        sign_in(&mut lines, format!("office-{day}"), format!("2026-01-{day:02}T13:00:00Z"), "80.150.2.20", edge);
    }
    sign_in(&mut lines, "attack".into(), "2026-01-31T03:00:00Z".into(), "45.62.170.237", "python-requests/2.31");
    std::fs::write(path, lines).unwrap();
}

#[test]
fn vps_sign_in_becomes_an_incident_with_report() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("signins.jsonl");
    takeover_sign_ins(&logs);
    let data = dir.path().join("data");

    let (ok, stdout, stderr) = harrier(&data, &["replay", "--no-progress", logs.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("saas.unusual_source_sign_in"), "{stdout}");

    let (ok, stdout, stderr) = harrier(&data, &["incidents", "--json"]);
    assert!(ok, "{stderr}");
    let incidents: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(incidents.len(), 1, "{stdout}");
    assert_eq!(incidents[0]["user"], "alice@contoso.example");
    let id = incidents[0]["id"].as_str().unwrap();
    let (ok, table, stderr) = harrier(&data, &["incidents"]);
    assert!(ok, "{stderr}");
    let row = table.lines().find(|line| line.starts_with(id)).expect("a row for the incident");
    assert!(row.split_whitespace().nth(1) == incidents[0]["tenant"].as_str(), "the tenant follows the id: {table}");

    let (ok, report, stderr) = harrier(&data, &["report", id]);
    assert!(ok, "{stderr}");
    assert!(report.starts_with(&format!("# Incident {id}: alice@contoso.example")), "{report}");
    assert!(report.contains("AS396073"), "{report}");
    assert!(report.contains("over 30 days"), "the report gives the baseline in numbers: {report}");
    assert!(report.contains("## Recommended response"), "{report}");
}

#[test]
fn analysis_resumes_without_repeating() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("signins.jsonl");
    takeover_sign_ins(&logs);
    let data = dir.path().join("data");
    harrier(&data, &["replay", "--no-progress", logs.to_str().unwrap()]);

    let (ok, stdout, stderr) = harrier(&data, &["analyse", "--json"]);
    assert!(ok, "{stderr}");
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["events"], 0, "every event was analysed by replay: {stdout}");
    assert_eq!(summary["breaches"], 0);
}

#[test]
fn unknown_incident_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, stderr) = harrier(dir.path(), &["report", "inc-000000000000"]);
    assert!(!ok);
    assert!(stderr.contains("inc-000000000000 not found"), "{stderr}");
}

#[test]
fn settings_with_unknown_model_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("settings.toml");
    std::fs::write(&settings, "[models.\"saas.no_such_model\"]\nenabled = false\n").unwrap();
    let (ok, _, stderr) = harrier(dir.path(), &["analyse", "--settings", settings.to_str().unwrap()]);
    assert!(!ok);
    assert!(stderr.contains("unknown model \"saas.no_such_model\""), "{stderr}");
}

#[test]
fn models_listing_names_every_model() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_harrier")).args(["models", "--json"]).current_dir(dir.path()).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let models: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(models.len(), 29, "{models:#?}");
    let ids: std::collections::BTreeSet<&str> = models.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), models.len(), "model ids are unique");
    let rule = models.iter().find(|m| m["id"] == "saas.new_inbox_rule").expect("the inbox rule model");
    assert_eq!(rule["technique"]["id"], "T1564.008");
    let payment = models.iter().find(|m| m["id"] == "mail.payment_detail_change").expect("the payment model");
    assert_eq!(payment["technique"]["id"], "T1657");
    let fraud = models.iter().find(|m| m["id"] == "mail.fraud_lure").expect("the fraud lure model");
    assert_eq!(fraud["name"], "Fraud lure");
    assert_eq!(fraud["technique"]["id"], "T1657");
    assert_eq!(fraud["params"][0]["name"], "min_verdict_score");
    assert!(rule["params"].as_array().unwrap().len() > 3);
    for model in &models {
        let id = model["id"].as_str().unwrap();
        assert!(id.starts_with("saas.") || id.starts_with("mail."), "{model}");
        assert!(!model["description"].as_str().unwrap().is_empty(), "{model}");
    }
}
