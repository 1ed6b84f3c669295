//! Whole-process tests of the command-line conventions: the `--json` output of the listing and summary
//! commands that gained it, and the exit statuses `harrier --help` documents.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use harrier_respond::{ActionKind, ActionLog, Decision, Mode, PlannedAction, Target};
use serde_json::Value;

fn harrier(data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_harrier"));
    command
        .env_remove("HARRIER_SETTINGS")
        .env_remove("HARRIER_RESPONSE_POLICY")
        .env_remove("HARRIER_ACTIONS_WEBHOOK")
        .env_remove("HARRIER_ACTIONS_WEBHOOK_SECRET_FILE")
        .env_remove("HARRIER_LOG")
        .env("HARRIER_DATA_DIR", data);
    command
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs a command that must succeed and parses its standard output as one JSON document.
fn json(command: &mut Command) -> Value {
    let output = command.output().unwrap();
    assert!(output.status.success(), "{command:?} failed:\n{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).unwrap_or_else(|error| panic!("{command:?}: {error}:\n{}", stdout(&output)))
}

#[test]
fn invalid_arguments_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["incidents", "--no-such-flag"][..], &[], &["actions", "frobnicate"], &["simulate", "--users", "many", "--out", "x"]] {
        let output = harrier(dir.path()).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "harrier {args:?}: {}", stderr(&output));
        assert!(stdout(&output).is_empty(), "harrier {args:?} printed on standard output: {}", stdout(&output));
        assert!(!stderr(&output).is_empty(), "harrier {args:?} printed no reason");
    }
}

#[test]
fn help_exits_0_with_exit_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let output = harrier(dir.path()).arg("--help").output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let help = stdout(&output);
    assert!(help.contains("Exit status:\n  0  success"), "{help}");
    assert!(help.contains("2  invalid arguments"), "{help}");

    let output = harrier(dir.path()).args(["actions", "run", "--help"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("Examples:\n  harrier actions run"), "{}", stdout(&output));
}

#[test]
fn simulate_json_counts_match_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sim");
    let report = json(harrier(dir.path()).args(["simulate", "--users", "20", "--days", "3", "--seed", "2", "--json", "--out"]).arg(&out));

    assert_eq!(report["users"], 20);
    assert_eq!(report["days"], 3);
    let audit: u64 = report["audit_records"].as_object().unwrap().values().map(|count| count.as_u64().unwrap()).sum();
    let sign_ins = report["sign_ins"].as_u64().unwrap();
    assert!(sign_ins > 0, "{report}");
    assert_eq!(report["records"].as_u64().unwrap(), sign_ins + audit, "records are sign-ins plus audit records: {report}");
    let files = walk_files(&out).into_iter().filter(|file| !file.ends_with("labels.json") && !file.ends_with("users.json")).count();
    assert_eq!(report["files"].as_u64().unwrap(), files as u64, "{report}");
}

fn walk_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { files.extend(walk_files(&path)) } else { files.push(path) }
    }
    files
}

#[test]
fn config_check_json_valid_and_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/harrier.toml");
    let tenants = std::fs::read_to_string(&example).unwrap().lines().filter(|line| line.trim() == "[[tenant]]").count();
    let mut check = harrier(dir.path());
    check.args(["config", "check", "--json"]).arg(&example).env("HARRIER_EXAMPLE_CLIENT_SECRET", "example");
    let result = json(&mut check);
    assert_eq!(result["valid"], true, "{result}");
    assert_eq!(result["tenants"], tenants, "{result}");
    assert!(result["api"].as_str().unwrap().contains(':'), "the API address has a port: {result}");

    let invalid = dir.path().join("invalid.toml");
    std::fs::write(&invalid, "data_dir = \"d\"\n\n[api]\nlisten = \"127.0.0.1:8443\"\nsecure_cookie = false\n").unwrap();
    let output = harrier(dir.path()).args(["config", "check", "--json"]).arg(&invalid).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "an invalid file exits with status 1");
    let result: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(result["valid"], false, "{result}");
    let error = result["error"].as_str().unwrap();
    assert!(error.contains("invalid.toml:5:"), "{error}");
    assert!(error.contains("secure_cookie"), "{error}");
}

#[test]
fn users_and_tokens_list_json() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let mut add = harrier(data);
    add.args(["users", "add", "alice", "--role", "analyst", "--tenant", "contoso"]).stdin(Stdio::piped()).stdout(Stdio::null());
    let mut child = add.spawn().unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"a long enough password\n").unwrap();
    assert!(child.wait().unwrap().success(), "harrier users add failed");
    let created = json(harrier(data).args(["tokens", "create", "--json", "--name", "soc", "--role", "viewer", "--tenant", "*"]));

    let users = json(harrier(data).args(["users", "list", "--json"]));
    let users = users.as_array().unwrap();
    assert_eq!(users.len(), 1, "{users:?}");
    assert_eq!(users[0]["name"], "alice");
    assert_eq!(users[0]["role"], "analyst");
    assert_eq!(users[0]["tenants"], serde_json::json!(["contoso"]));
    assert!(users[0]["created"].as_str().unwrap().parse::<jiff::Timestamp>().is_ok(), "{users:?}");
    assert!(users[0].get("password").is_none(), "{users:?}");

    let tokens = json(harrier(data).args(["tokens", "list", "--json"]));
    let tokens = tokens.as_array().unwrap();
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    assert_eq!(tokens[0]["id"], created["id"]);
    assert_eq!(tokens[0]["name"], "soc");
    assert_eq!(tokens[0]["revoked"], Value::Null);
    let secret = created["token"].as_str().unwrap();
    assert!(!tokens[0].to_string().contains(secret), "the list leaves the secret out");

    let listed = harrier(data).args(["users", "list"]).output().unwrap();
    assert!(stdout(&listed).contains("alice"), "{}", stdout(&listed));
}

/// Records two actions awaiting approval: disabling alice, whose account exists in the emulated tenant,
/// and bob, whose account does not.
fn record_actions(data: &Path) {
    let action = |id: &str, user: &str| PlannedAction {
        id: id.into(),
        incident: "inc-1".into(),
        kind: ActionKind::DisableUser,
        target: Target { tenant: "contoso".into(), user: Some(user.into()), app_id: None, object: None },
        mode: Mode::Confirm,
        decision: Decision::AwaitApproval,
        reasons: vec!["takeover".into()],
        guard_notes: Vec::new(),
        breaches: vec!["b-1".into()],
    };
    let mut log = ActionLog::open(data).unwrap();
    log.record_plan(&[action("act-1", "alice@contoso.com"), action("act-2", "bob@contoso.com")], jiff::Timestamp::now()).unwrap();
}

#[test]
fn actions_run_verify_send_json() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    record_actions(&data);

    let nothing = json(harrier(&data).args(["actions", "run", "--json"]));
    assert_eq!(nothing["outcomes"], serde_json::json!([]), "nothing is approved yet: {nothing}");

    for id in ["act-1", "act-2"] {
        let output = harrier(&data).args(["actions", "approve", id, "--by", "analyst"]).output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
    }
    let emulator = harrier_m365_emulator::Emulator::start("tenant-1", "client-1", "secret-1");
    emulator.with(|state| state.users.insert("alice@contoso.com".to_owned(), serde_json::json!({ "accountEnabled": true })));
    let secret = dir.path().join("graph.secret");
    std::fs::write(&secret, "secret-1\n").unwrap();
    let output = harrier(&data)
        .args(["actions", "run", "--json", "--graph-tenant", "tenant-1", "--graph-client-id", "client-1"])
        .arg("--graph-client-secret-file")
        .arg(&secret)
        .args(["--graph-authority", &emulator.authority(), "--graph-endpoint", &emulator.graph()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "a failed action exits with status 1: {}", stderr(&output));
    let run: Value = serde_json::from_str(&stdout(&output)).unwrap_or_else(|error| panic!("{error}: {}", stdout(&output)));
    assert_eq!(run["done"], 1, "{run}");
    assert_eq!(run["failed"], 1, "{run}");
    assert_eq!(run["held"], 0, "{run}");
    let outcome = |id: &str| run["outcomes"].as_array().unwrap().iter().find(|o| o["id"] == id).cloned().unwrap();
    assert_eq!(outcome("act-1")["outcome"], "done", "{run}");
    assert_eq!(outcome("act-1")["kind"], "disable_user", "{run}");
    assert_eq!(outcome("act-1")["message"], Value::Null, "{run}");
    assert_eq!(outcome("act-2")["outcome"], "failed", "{run}");
    assert!(outcome("act-2")["message"].as_str().is_some_and(|message| !message.is_empty()), "{run}");

    let verified = json(harrier(&data).args(["actions", "verify", "--json"]));
    let (entries, head) = ActionLog::open(&data).unwrap().verify().unwrap();
    assert_eq!(verified["entries"], entries, "{verified}");
    assert_eq!(verified["head"], head, "{verified}");

    let webhook_secret = dir.path().join("soar.secret");
    std::fs::write(&webhook_secret, "soar secret for tests\n").unwrap();
    let (url, received) = harrier_webhook::testing::receiver(vec!["HTTP/1.1 200 OK".to_owned()]);
    let sent = json(harrier(&data).args(["actions", "send", "--json", "--webhook", &url, "--webhook-secret-file"]).arg(&webhook_secret));
    assert_eq!(sent["delivered"], entries, "every entry of the log is new to this webhook: {sent}");
    assert_eq!(sent["url"], url);
    let (_, body) = received.join().unwrap().remove(0);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["entries"].as_array().unwrap().len(), entries);
}

#[test]
fn export_follow_prints_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let sim = dir.path().join("sim");
    let simulated = harrier(&data).args(["simulate", "--users", "20", "--days", "7", "--seed", "3", "--out"]).arg(&sim).output().unwrap();
    assert!(simulated.status.success(), "{}", stderr(&simulated));
    let replayed = harrier(&data).args(["replay", "--no-progress"]).arg(&sim).output().unwrap();
    assert!(replayed.status.success(), "{}", stderr(&replayed));

    // With --batch 1 the pending findings are due at once, so the first run starts without waiting for
    // --interval.
    let out = dir.path().join("findings");
    let mut follow = harrier(&data)
        .args(["export", "ocsf", "--follow", "--json", "--format", "jsonl", "--batch", "1", "--out"])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(follow.stdout.take().unwrap()), &mut first).unwrap();
    follow.kill().unwrap();
    follow.wait().unwrap();

    assert!(first.ends_with('\n'), "one summary per line: {first:?}");
    let summary: Value = serde_json::from_str(&first).unwrap_or_else(|error| panic!("{error}: {first:?}"));
    let changes = summary["changes"].as_u64().unwrap();
    assert!(changes > 0, "{summary}");
    assert_eq!(summary["last_seq"], changes, "the first run starts at change 0: {summary}");
    assert!(summary["findings"].as_u64().unwrap() > 0, "{summary}");
}

#[test]
fn missing_data_dir_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-data");
    let out = dir.path().join("findings");
    let message = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/mail/dkim-pass.eml");
    let (missing_arg, out_arg, message_arg) = (missing.to_str().unwrap(), out.to_str().unwrap(), message.to_str().unwrap());
    let commands: [&[&str]; 10] = [
        &["incidents"],
        &["report", "inc-3f2a9c1b7d4e"],
        &["export", "ocsf", "--format", "jsonl", "--out", out_arg],
        &["actions", "list"],
        &["actions", "verify"],
        &["actions", "approve", "act-1"],
        &["tokens", "list"],
        &["tokens", "revoke", "tok-1"],
        &["users", "list"],
        &["scan", "--data-dir", missing_arg, message_arg],
    ];
    for args in commands {
        let output = harrier(&missing).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "harrier {args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains("no-such-data not found"), "harrier {args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains("harrier replay"), "harrier {args:?} says what to do: {}", stderr(&output));
        assert!(!missing.exists(), "harrier {args:?} created the data directory");
    }
    assert!(!out.exists(), "export ocsf created its destination");
}

#[test]
fn blank_tenant_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let message = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/mail/dkim-pass.eml");
    let message = message.to_str().unwrap();
    let commands: [&[&str]; 7] = [
        &["replay", "--tenant", "", message],
        &["learn", "mail", "--tenant", "", "--ham", message],
        &["scan", "--tenant", " ", message],
        // Were the tenant accepted, the missing policy file would stop the milter before it listens.
        &["milter", "--listen", "127.0.0.1:0", "--response-policy", "no-such-policy.toml", "--tenant", ""],
        &["tokens", "create", "--name", "soc", "--role", "viewer", "--tenant", ""],
        &["users", "add", "alice", "--role", "viewer", "--tenant", "contoso", "--tenant", " "],
        &["replay", "--tenant=", message],
    ];
    for args in commands {
        let output = harrier(&data).args(args).stdin(Stdio::null()).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "harrier {args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains("is not a tenant id"), "harrier {args:?}: {}", stderr(&output));
        assert!(!data.exists(), "harrier {args:?} created the data directory");
    }
    // `*` means every tenant in a scope, and is no tenant to store or read one tenant's data under.
    for args in [&["replay", "--tenant", "*", message][..], &["learn", "mail", "--tenant", "*", "--ham", message]] {
        let output = harrier(&data).args(args).stdin(Stdio::null()).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "harrier {args:?}: {}", stderr(&output));
        assert!(!data.exists(), "harrier {args:?} created the data directory");
    }
}

#[test]
fn io_error_states_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "").unwrap();
    let output = harrier(dir.path()).args(["simulate", "--users", "20", "--days", "1", "--out"]).arg(file.join("sim")).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("file/sim"), "{}", stderr(&output));
    assert_eq!(stderr(&output).matches("Not a directory").count(), 1, "{}", stderr(&output));
}
