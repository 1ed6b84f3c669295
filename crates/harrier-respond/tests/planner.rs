//! The planner's decision table: every SaaS action kind in every mode, the guards, and the reasons a plan
//! records. Also the action log's transitions and hash chain.

use harrier_detect::{Breach, Incident, IncidentBuilder, IncidentSettings, ModelInfo, Stage, Technique};
use harrier_model::{Activity, Actor, ActorKind, Client, Event, Outcome, SignIn, SourceFormat, TenantId};
use harrier_respond::{ActionKind, ActionLog, Decision, GuardState, Mode, Policy, Status, plan, write_plan};

fn info(id: &'static str, stage: Stage) -> &'static ModelInfo {
    Box::leak(Box::new(ModelInfo {
        id,
        name: id,
        version: 1,
        description: "",
        technique: Technique { id: "T1078.004", name: "Valid Accounts: Cloud Accounts", tactic: "initial-access" },
        stage,
    }))
}

fn breach(model: &'static str, stage: Stage, minute: i64, score: f32) -> Breach {
    let event = Event {
        tenant: TenantId::new("contoso"),
        record_id: format!("{model}-{minute}"),
        time: jiff::Timestamp::from_second(1_767_225_600 + minute * 60).unwrap(),
        format: SourceFormat::ManagementActivity,
        operation: "x".into(),
        workload: None,
        outcome: Outcome::Success,
        actor: Actor { user: Some("alice@contoso.com".into()), kind: ActorKind::User, ..Actor::default() },
        client: Client { ip: Some("45.62.170.237".parse().unwrap()), user_agent: None },
        ip_info: None,
        activity: Activity::SignIn(SignIn::default()),
    };
    Breach::new(info(model, stage), &event, score, "test".into())
}

/// Builds an account takeover that reaches every SaaS action kind of the built-in table.
fn takeover() -> (Incident, Vec<Breach>) {
    let mut rule = breach("saas.new_inbox_rule", Stage::DefenseEvasion, 10, 80.0).evidence("rule_name", "..");
    rule.evidence.push(harrier_detect::Evidence { name: "mailbox".into(), value: "alice@contoso.com".into() });
    let mut grant = breach("saas.oauth_grant", Stage::Persistence, 20, 75.0);
    grant.app_id = Some("d3590ed6-52b3-4102-aeff-aad2292ab01c".into());
    let mut app = breach("saas.new_application", Stage::Persistence, 25, 70.0);
    app.app_id = Some("8f3c0a77-1111-2222-3333-444455556666".into());
    let breaches = vec![
        breach("saas.unusual_source_sign_in", Stage::InitialAccess, 0, 80.0),
        rule,
        grant,
        app,
        breach("saas.mailbox_forwarding", Stage::Exfiltration, 30, 70.0),
        breach("saas.transport_rule_exfil", Stage::Exfiltration, 35, 70.0).evidence("rule_name", "Copy finance"),
        breach("saas.mailbox_permission", Stage::Persistence, 40, 70.0).evidence("grantee", "mallory@contoso.com"),
        breach("saas.outbound_spam", Stage::Impact, 50, 90.0),
    ];
    (incident_of(&breaches), breaches)
}

fn incident_of(breaches: &[Breach]) -> Incident {
    let mut builder = IncidentBuilder::default();
    let mut last = None;
    for breach in breaches {
        last = builder.add(breach, &IncidentSettings::default()).into_iter().next().or(last);
    }
    last.expect("the breaches chain into an incident")
}

#[test]
fn inbound_mail_leaves_account_alone() {
    // A changed bank account (impact) and an impersonation (credential access) in mail that reached
    // alice: two stages, yet nothing shows that her account was used.
    let breaches = vec![
        breach("mail.display_name_impersonation", Stage::CredentialAccess, 0, 80.0),
        breach(harrier_detect::models::mail::payment_change::MODEL_ID, Stage::Impact, 1, 90.0),
        breach("mail.malicious_attachment", Stage::InitialAccess, 2, 90.0),
    ];
    let incident = incident_of(&breaches);
    assert!(incident.stages.len() >= 2, "{incident:?}");
    let plan = plan(&incident, &breaches, &Policy::builtin(), GuardState::default());
    let kinds: Vec<ActionKind> = plan.actions.iter().map(|action| action.kind).collect();
    assert!(!kinds.contains(&ActionKind::DisableUser), "{kinds:?}");
    assert!(!kinds.contains(&ActionKind::RevokeSessions), "{kinds:?}");
    let skipped = plan.not_applied.iter().find(|n| n.rule == "continued malicious activity").expect("the rule is listed");
    assert!(skipped.why.contains("mail that reached the user"), "{}", skipped.why);
}

fn policy_with(mode: Mode) -> Policy {
    let mut policy = Policy::builtin();
    for kind in ActionKind::ALL {
        policy.modes.insert(kind, mode);
    }
    policy
}

const SAAS_KINDS: [ActionKind; 8] = [
    ActionKind::RevokeSessions,
    ActionKind::DisableUser,
    ActionKind::RemoveInboxRule,
    ActionKind::RemoveForwarding,
    ActionKind::RemoveTransportRule,
    ActionKind::RevokeOauthGrant,
    ActionKind::DisableServicePrincipal,
    ActionKind::RemoveMailboxPermission,
];

#[test]
fn every_kind_in_every_mode() {
    let (incident, breaches) = takeover();
    for (mode, decision) in
        [(Mode::Observe, Decision::Observe), (Mode::Confirm, Decision::AwaitApproval), (Mode::Autonomous, Decision::Execute)]
    {
        let plan = plan(&incident, &breaches, &policy_with(mode), GuardState::default());
        for kind in SAAS_KINDS {
            let action = plan.actions.iter().find(|a| a.kind == kind);
            let action = action.unwrap_or_else(|| panic!("{kind} planned in mode {mode:?}:\n{}", write_plan(&plan)));
            assert_eq!(action.mode, mode, "{kind}");
            assert_eq!(action.decision, decision, "{kind} in mode {mode:?}");
            assert!(!action.reasons.is_empty(), "{kind} has a reason");
        }
    }
}

#[test]
fn targets_name_what_is_acted_on() {
    let (incident, breaches) = takeover();
    let plan = plan(&incident, &breaches, &Policy::builtin(), GuardState::default());
    let target = |kind| plan.actions.iter().find(|a| a.kind == kind).unwrap().target.clone();
    assert_eq!(target(ActionKind::RemoveInboxRule).object.as_deref(), Some(".."));
    assert_eq!(target(ActionKind::RemoveTransportRule).object.as_deref(), Some("Copy finance"));
    assert_eq!(target(ActionKind::RemoveMailboxPermission).object.as_deref(), Some("mallory@contoso.com"));
    assert_eq!(target(ActionKind::RevokeOauthGrant).app_id.as_deref(), Some("d3590ed6-52b3-4102-aeff-aad2292ab01c"));
    assert_eq!(target(ActionKind::DisableServicePrincipal).app_id.as_deref(), Some("8f3c0a77-1111-2222-3333-444455556666"));
    assert_eq!(target(ActionKind::DisableUser).user.as_deref(), Some("alice@contoso.com"));
}

#[test]
fn disable_user_planned_once_with_both_reasons() {
    let (incident, breaches) = takeover();
    let plan = plan(&incident, &breaches, &Policy::builtin(), GuardState::default());
    let disables: Vec<_> = plan.actions.iter().filter(|a| a.kind == ActionKind::DisableUser).collect();
    assert_eq!(disables.len(), 1);
    assert!(disables[0].reasons.len() >= 2, "{:?}", disables[0].reasons);
}

#[test]
fn protected_account_is_never_disabled() {
    let (incident, breaches) = takeover();
    let mut policy = policy_with(Mode::Autonomous);
    policy.guards.protected_accounts = vec!["ALICE@contoso.com".into()];
    let plan = plan(&incident, &breaches, &policy, GuardState::default());
    let disable = plan.actions.iter().find(|a| a.kind == ActionKind::DisableUser).unwrap();
    assert_eq!(disable.decision, Decision::Blocked);
    assert!(disable.guard_notes[0].contains("protected"));
    let revoke = plan.actions.iter().find(|a| a.kind == ActionKind::RevokeSessions).unwrap();
    assert_eq!(revoke.decision, Decision::Execute, "other actions on the account still run");
}

#[test]
fn kill_switch_queues_autonomous_actions() {
    let (incident, breaches) = takeover();
    let mut policy = policy_with(Mode::Autonomous);
    policy.guards.kill_switch = true;
    let plan = plan(&incident, &breaches, &policy, GuardState::default());
    assert!(!plan.actions.is_empty());
    for action in &plan.actions {
        assert_eq!(action.decision, Decision::AwaitApproval, "{}", action.kind);
        assert!(action.guard_notes.iter().any(|n| n.contains("kill switch")));
    }
}

#[test]
fn hourly_limit_queues_the_excess() {
    let (incident, breaches) = takeover();
    let mut policy = policy_with(Mode::Autonomous);
    policy.guards.max_autonomous_per_hour = 5;
    let plan = plan(&incident, &breaches, &policy, GuardState { autonomous_last_hour: 3 });
    let executed = plan.actions.iter().filter(|a| a.decision == Decision::Execute).count();
    let queued = plan.actions.iter().filter(|a| a.decision == Decision::AwaitApproval).count();
    assert_eq!(executed, 2);
    assert_eq!(queued, plan.actions.len() - 2);
}

#[test]
fn low_scores_plan_nothing_and_say_why() {
    let breaches = vec![breach("saas.unusual_source_sign_in", Stage::InitialAccess, 0, 45.0)];
    let incident = incident_of(&breaches);
    let plan = plan(&incident, &breaches, &policy_with(Mode::Autonomous), GuardState::default());
    assert!(plan.actions.is_empty());
    let sign_in = plan.not_applied.iter().find(|n| n.rule == "attacker sign-in").unwrap();
    assert!(sign_in.why.contains("45"), "{}", sign_in.why);
    let disable = plan.not_applied.iter().find(|n| n.rule == "continued malicious activity").unwrap();
    assert!(disable.why.contains("stage"), "{}", disable.why);
    assert!(write_plan(&plan).contains("No rule of the response policy planned an action"));
}

#[test]
fn action_ids_are_stable() {
    let (incident, breaches) = takeover();
    let first = plan(&incident, &breaches, &Policy::builtin(), GuardState::default());
    let second = plan(&incident, &breaches, &policy_with(Mode::Confirm), GuardState::default());
    let ids = |p: &harrier_respond::Plan| p.actions.iter().map(|a| a.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&first), ids(&second));
    for id in ids(&first) {
        let hex = id.strip_prefix("act-").unwrap_or_else(|| panic!("{id}"));
        assert_eq!(hex.len(), 32, "128-bit ids: {id}");
        assert!(hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()), "{id}");
    }
    let unique: std::collections::BTreeSet<_> = ids(&first).into_iter().collect();
    assert_eq!(unique.len(), first.actions.len(), "each action of a plan has its own id");
}

#[test]
fn log_with_legacy_ids_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let (incident, breaches) = takeover();
    let mut action = plan(&incident, &breaches, &Policy::builtin(), GuardState::default()).actions.remove(0);
    action.id = "act-0123456789ab".into();
    let mut log = ActionLog::open(dir.path()).unwrap();
    log.record_plan(&[action], jiff::Timestamp::now()).unwrap();
    drop(log);
    let error = ActionLog::open(dir.path()).err().unwrap().to_string();
    assert!(error.contains("act-0123456789ab"), "{error}");
    assert!(error.contains("older harrier"), "{error}");
}

#[test]
fn policy_rejects_unknown_models_and_keys() {
    let unknown_model = "[[rules]]\nname = \"x\"\nmodels = [\"saas.nope\"]\naction = \"disable_user\"\nwhy = \"x\"\n";
    let error = Policy::from_toml(unknown_model, "test.toml").unwrap_err().to_string();
    assert!(error.contains("saas.nope"), "{error}");
    let unknown_key = "[guards]\nkill_swich = true\n";
    let error = Policy::from_toml(unknown_key, "test.toml").unwrap_err().to_string();
    assert!(error.contains("kill_swich"), "{error}");
    let unknown_mode = "[modes]\ndisable_user = \"sometimes\"\n";
    assert!(Policy::from_toml(unknown_mode, "test.toml").is_err());
}

#[test]
fn log_transitions_and_chain() {
    let dir = tempfile::tempdir().unwrap();
    let (incident, breaches) = takeover();
    let plan = plan(&incident, &breaches, &policy_with(Mode::Confirm), GuardState::default());
    let now = jiff::Timestamp::from_second(1_767_300_000).unwrap();
    let mut log = ActionLog::open(dir.path()).unwrap();
    assert_eq!(log.record_plan(&plan.actions, now).unwrap(), plan.actions.len());
    assert_eq!(log.record_plan(&plan.actions, now).unwrap(), 0, "a plan is recorded once");

    let first = &plan.actions[0].id;
    let second = &plan.actions[1].id;
    log.approve(first, "analyst", now).unwrap();
    assert!(log.record_outcome(first, Ok(serde_json::Value::Null), now).is_err(), "an outcome needs an execution");
    log.begin_execution(first, now).unwrap();
    assert!(log.begin_execution(first, now).is_err(), "an action is carried out once");
    log.record_outcome(first, Ok(serde_json::Value::Null), now).unwrap();
    log.undo(first, "analyst", now).unwrap();
    log.reject(second, "analyst", now).unwrap();
    assert!(log.undo(second, "analyst", now).is_err(), "a rejected action cannot be undone");
    assert!(log.approve("act-missing", "analyst", now).is_err());

    let states = log.actions().unwrap();
    let status = |id: &str| states.iter().find(|s| s.action.id == id).unwrap().status;
    assert_eq!(status(first), Status::Undone);
    assert_eq!(status(second), Status::Rejected);
    assert_eq!(log.verify().unwrap().0, plan.actions.len() + 5);
    drop(log);

    // Changing any stored entry breaks the chain from that entry on.
    let connection = rusqlite::Connection::open(dir.path().join("actions.sqlite")).unwrap();
    connection.execute("UPDATE entries SET actor = 'someone else' WHERE seq = 3", []).unwrap();
    drop(connection);
    let log = ActionLog::open(dir.path()).unwrap();
    let error = log.verify().unwrap_err().to_string();
    assert!(error.contains("entry 3"), "{error}");
    drop(log);

    // A deleted entry is named as missing.
    let connection = rusqlite::Connection::open(dir.path().join("actions.sqlite")).unwrap();
    connection.execute("DELETE FROM entries WHERE seq = 2", []).unwrap();
    drop(connection);
    let log = ActionLog::open(dir.path()).unwrap();
    let error = log.verify().unwrap_err().to_string();
    assert!(error.contains("entry 2 is missing"), "{error}");
}

#[test]
fn log_transaction_commits_or_rolls_back() {
    let dir = tempfile::tempdir().unwrap();
    let (incident, breaches) = takeover();
    let plan = plan(&incident, &breaches, &policy_with(Mode::Autonomous), GuardState::default());
    let now = jiff::Timestamp::from_second(1_767_300_000).unwrap();
    let mut log = ActionLog::open(dir.path()).unwrap();

    // A failing step rolls back every entry written before it in the same transaction.
    let failed = log.in_transaction(|log| {
        log.record_plan(&plan.actions, now)?;
        log.approve("act-missing", "analyst", now)
    });
    assert!(failed.is_err());
    assert!(log.actions().unwrap().is_empty(), "nothing of the failed transaction is kept");

    let first = &plan.actions[0].id;
    log.in_transaction(|log| {
        log.record_plan(&plan.actions, now)?;
        log.begin_execution(first, now)?;
        log.record_outcome(first, Ok(serde_json::Value::Null), now)
    })
    .unwrap();
    assert_eq!(log.action(first).unwrap().status, Status::Done);
    assert_eq!(log.verify().unwrap().0, plan.actions.len() + 2, "entries in a transaction are chained");

    // Entries written outside a transaction afterwards continue the same chain.
    log.undo(first, "analyst", now).unwrap();
    assert_eq!(log.verify().unwrap().0, plan.actions.len() + 3);
}

#[test]
fn partial_failure_can_be_undone() {
    let dir = tempfile::tempdir().unwrap();
    let (incident, breaches) = takeover();
    let plan = plan(&incident, &breaches, &policy_with(Mode::Confirm), GuardState::default());
    let now = jiff::Timestamp::now();
    let mut log = ActionLog::open(dir.path()).unwrap();
    log.record_plan(&plan.actions[..2], now).unwrap();
    let (partial, failed) = (&plan.actions[0].id, &plan.actions[1].id);
    for id in [partial, failed] {
        log.approve(id, "analyst", now).unwrap();
        log.begin_execution(id, now).unwrap();
    }
    log.record_partial(partial, "DELETE failed".into(), serde_json::json!({ "grants": [{ "scope": "Mail.Read" }] }), now).unwrap();
    log.record_outcome(failed, Err("PATCH failed".into()), now).unwrap();

    assert_eq!(log.undo_detail(partial).unwrap()["grants"][0]["scope"], "Mail.Read");
    log.undo(partial, "analyst", now).unwrap();
    assert!(log.undo(failed, "analyst", now).is_err(), "a failure that changed nothing has nothing to undo");
    log.verify().unwrap();
}
