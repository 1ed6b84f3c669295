//! Whole-process tests of response planning on a simulated tenant, with every action kind autonomous. The
//! attack scenarios get actions, the benign look-alikes get none beyond observe, and the incident report
//! lists the planned actions. `harrier actions` records decisions in a chain that verifies.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn harrier(data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_harrier"));
    command.env_remove("HARRIER_SETTINGS").env_remove("HARRIER_RESPONSE_POLICY").env("HARRIER_DATA_DIR", data);
    command
}

#[path = "common/process.rs"]
mod process;
use process::run;

/// Simulates a tenant with every scenario and replays it under a policy that makes every kind autonomous.
fn replayed(dir: &Path) -> (PathBuf, Value) {
    let sim = dir.join("sim");
    let data = dir.join("data");
    run(harrier(&data).args(["simulate", "--users", "60", "--days", "21", "--seed", "5", "--out"]).arg(&sim));
    let builtin = include_str!("../../harrier-respond/data/response.toml");
    let policy = dir.join("autonomous.toml");
    std::fs::write(&policy, builtin.replace("= \"observe\"", "= \"autonomous\"")).unwrap();
    run(harrier(&data).args(["replay", "--no-progress", "--response-policy"]).arg(&policy).arg(&sim));
    let labels = serde_json::from_str(&std::fs::read_to_string(sim.join("labels.json")).unwrap()).unwrap();
    (data, labels)
}

fn users(labels: &Value, attack: bool) -> BTreeSet<String> {
    labels["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| (s["kind"] == "attack") == attack)
        .map(|s| s["user"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn attacks_get_actions_benign_only_observed() {
    let dir = tempfile::tempdir().unwrap();
    let (data, labels) = replayed(dir.path());
    let attackers = users(&labels, true);
    let benign: BTreeSet<String> = users(&labels, false).difference(&attackers).cloned().collect();
    assert!(!benign.is_empty());

    let actions: Vec<Value> = serde_json::from_str(&run(harrier(&data).args(["actions", "list", "--json"]))).unwrap();
    let acted_on: BTreeSet<&str> = actions
        .iter()
        .filter(|a| a["status"] != "observed")
        .filter_map(|a| a["action"]["target"]["user"].as_str())
        .collect();
    for user in &benign {
        assert!(!acted_on.contains(user.as_str()), "benign look-alike {user} got an action beyond observe");
    }
    let attacked_with_action = attackers.iter().filter(|u| acted_on.contains(u.as_str())).count();
    assert!(attacked_with_action * 2 >= attackers.len(), "{attacked_with_action} of {} attacked users got actions", attackers.len());
    let kinds: BTreeSet<&str> = actions.iter().map(|a| a["action"]["kind"].as_str().unwrap()).collect();
    for kind in ["revoke_sessions", "disable_user", "remove_inbox_rule", "revoke_oauth_grant"] {
        assert!(kinds.contains(kind), "{kind} planned: {kinds:?}");
    }

    // The report of an incident with actions lists them.
    let incident = actions[0]["action"]["incident"].as_str().unwrap();
    let report = run(harrier(&data).args(["report", incident]));
    assert!(report.contains("## Planned actions"), "{report}");
    assert!(report.contains(actions[0]["action"]["kind"].as_str().unwrap()), "{report}");
}

#[test]
fn decisions_are_recorded_and_chained() {
    let dir = tempfile::tempdir().unwrap();
    let (data, _) = replayed(dir.path());
    let actions: Vec<Value> = serde_json::from_str(&run(harrier(&data).args(["actions", "list", "--json"]))).unwrap();
    let id = actions[0]["action"]["id"].as_str().unwrap();
    assert_eq!(actions[0]["status"], "approved", "autonomous actions are approved by the planner");

    run(harrier(&data).args(["actions", "reject", id, "--by", "analyst-1"]));
    let output = harrier(&data).args(["actions", "approve", id]).output().unwrap();
    assert!(!output.status.success(), "a rejected action cannot be approved");
    assert!(String::from_utf8_lossy(&output.stderr).contains("rejected"));
    let listed = run(harrier(&data).args(["actions", "list", "--status", "rejected"]));
    assert!(listed.contains(id), "{listed}");
    let verified = run(harrier(&data).args(["actions", "verify"]));
    assert!(verified.contains("intact"), "{verified}");

    // Analysing again finds no new incident changes and records no new action.
    let summary: Value = serde_json::from_str(&run(harrier(&data).args(["analyse", "--json"]))).unwrap();
    assert_eq!(summary["response"]["actions_recorded"], 0);
    let after: Vec<Value> = serde_json::from_str(&run(harrier(&data).args(["actions", "list", "--json"]))).unwrap();
    assert_eq!(after.len(), actions.len());
}

#[test]
fn approved_actions_run_against_graph_and_undo() {
    let dir = tempfile::tempdir().unwrap();
    let (data, _) = replayed(dir.path());
    let actions: Vec<Value> = serde_json::from_str(&run(harrier(&data).args(["actions", "list", "--json"]))).unwrap();

    // An emulated tenant that contains every user, rule and application the actions name.
    let emulator = harrier_m365_emulator::Emulator::start("tenant-1", "client-1", "secret-1");
    emulator.with(|state| {
        for action in &actions {
            let target = &action["action"]["target"];
            if let Some(user) = target["user"].as_str() {
                state.users.insert(user.to_owned(), serde_json::json!({ "accountEnabled": true }));
                let known = |rules: &Vec<Value>, name: &str| rules.iter().any(|r| r["displayName"] == name);
                if let Some(rule) = target["object"].as_str().filter(|r| !state.inbox_rules.get(user).is_some_and(|rules| known(rules, r))) {
                    let id = format!("rule-{}", state.inbox_rules.len());
                    state.inbox_rules.entry(user.to_owned()).or_default().push(serde_json::json!({ "id": id, "displayName": rule }));
                }
            }
            if let Some(app) = target["app_id"].as_str().filter(|app| !state.service_principals.iter().any(|sp| sp["appId"] == *app)) {
                let sp = format!("sp-{app}");
                state.service_principals.push(serde_json::json!({ "id": sp, "appId": app, "accountEnabled": true }));
                state.grants.push(serde_json::json!({ "id": format!("grant-{app}"), "clientId": sp, "consentType": "AllPrincipals", "resourceId": "graph", "scope": "Mail.Read" }));
            }
        }
    });
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "secret-1\n").unwrap();
    let graph = |command: &mut Command| {
        command
            .env("HARRIER_GRAPH_TENANT_ID", "tenant-1")
            .env("HARRIER_GRAPH_CLIENT_ID", "client-1")
            .env("HARRIER_GRAPH_CLIENT_SECRET_FILE", &secret)
            .env("HARRIER_GRAPH_AUTHORITY", emulator.authority())
            .env("HARRIER_GRAPH_ENDPOINT", emulator.graph());
    };

    let mut execute = harrier(&data);
    execute.args(["actions", "run"]);
    graph(&mut execute);
    let output = execute.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(!stdout.contains("secret-1"), "{stdout}");
    let after: Vec<Value> = serde_json::from_str(&run(harrier(&data).args(["actions", "list", "--json"]))).unwrap();
    let graph_kinds = ["revoke_sessions", "disable_user", "remove_inbox_rule", "revoke_oauth_grant", "disable_service_principal"];
    for action in &after {
        let kind = action["action"]["kind"].as_str().unwrap();
        let expected = if graph_kinds.contains(&kind) { "done" } else { "failed" };
        assert_eq!(action["status"], expected, "{kind}: {stdout}");
    }

    let disable = after.iter().find(|a| a["action"]["kind"] == "disable_user").expect("a user was disabled");
    let user = disable["action"]["target"]["user"].as_str().unwrap().to_owned();
    assert_eq!(emulator.with(|s| s.users[&user]["accountEnabled"].clone()), serde_json::json!(false));
    let mut undo = harrier(&data);
    undo.args(["actions", "undo", disable["action"]["id"].as_str().unwrap()]);
    graph(&mut undo);
    run(&mut undo);
    assert_eq!(emulator.with(|s| s.users[&user]["accountEnabled"].clone()), serde_json::json!(true));
    assert!(run(harrier(&data).args(["actions", "verify"])).contains("intact"));

    // A deleted entry fails the check, and --json still prints a document saying so.
    let connection = rusqlite::Connection::open(data.join("actions.sqlite")).unwrap();
    connection.execute("DELETE FROM entries WHERE seq = 2", []).unwrap();
    drop(connection);
    let output = harrier(&data).args(["actions", "verify", "--json"]).output().unwrap();
    assert!(!output.status.success());
    let verdict: Value = serde_json::from_slice(&output.stdout).expect("a JSON document");
    assert_eq!(verdict["intact"], false);
    assert!(verdict["error"].as_str().unwrap().contains("entry 2 is missing"), "{verdict}");
}
