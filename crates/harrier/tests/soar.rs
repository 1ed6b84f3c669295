//! `harrier actions ... --webhook`: decisions reach a loopback SOAR receiver as signed JSON, each entry
//! once, and a webhook without a secret is rejected.

use std::process::Command;

use harrier_respond::{ActionKind, ActionLog, Decision, Mode, PlannedAction, Target};

const SECRET: &str = "soar secret for tests";

fn harrier(data: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_harrier"));
    command.env_remove("HARRIER_ACTIONS_WEBHOOK").env_remove("HARRIER_ACTIONS_WEBHOOK_SECRET_FILE").env("HARRIER_DATA_DIR", data);
    command
}

#[test]
fn approve_posts_signed_entries() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut log = ActionLog::open(&data).unwrap();
    let action = PlannedAction {
        id: "act-1".into(),
        incident: "inc-1".into(),
        kind: ActionKind::DisableUser,
        target: Target { tenant: "contoso".into(), user: Some("alice@contoso.com".into()), app_id: None, object: None },
        mode: Mode::Confirm,
        decision: Decision::AwaitApproval,
        reasons: vec!["takeover".into()],
        guard_notes: Vec::new(),
        breaches: vec!["b-1".into()],
    };
    log.record_plan(&[action], jiff::Timestamp::now()).unwrap();
    drop(log);
    let secret_file = dir.path().join("soar.secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();

    let (url, received) = harrier_webhook::testing::receiver(vec!["HTTP/1.1 200 OK".to_owned()]);
    let output = harrier(&data)
        .args(["actions", "approve", "act-1", "--by", "analyst", "--webhook", &url, "--webhook-secret-file"])
        .arg(&secret_file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let (head, body) = received.join().unwrap().remove(0);
    let header = |name: &str| harrier_webhook::testing::header(&head, name).unwrap();
    assert!(harrier_webhook::verify(SECRET.as_bytes(), &header("x-harrier-timestamp"), &body, &header("x-harrier-signature")));
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let statuses: Vec<&str> = json["entries"].as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["pending", "approved"]);
    assert_eq!(json["entries"][1]["actor"], "analyst");

    // Nothing new since: `send` delivers nothing and makes no request.
    let output = harrier(&data).args(["actions", "send", "--webhook", &url, "--webhook-secret-file"]).arg(&secret_file).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("0 action-log entries"));
}

#[test]
fn webhook_without_secret_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let output = harrier(dir.path()).args(["actions", "send", "--webhook", "http://127.0.0.1:9/hook"]).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--webhook-secret-file"));
}
