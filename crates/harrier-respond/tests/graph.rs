//! The Graph executor against the local emulator: each action and its undo, throttling, an expired token
//! and a failed token request.

use harrier_m365_emulator::Emulator;
use harrier_respond::{ActionKind, Decision, GraphClient, GraphConfig, Mode, PlannedAction, Target, execute, undo};
use serde_json::json;

const TENANT: &str = "5b7f1c2e-8d4a-4f6b-9e3c-2a1d0f9e8c7b";
const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
const APP: &str = "d3590ed6-52b3-4102-aeff-aad2292ab01c";
const USER: &str = "alice@contoso.com";

fn emulator() -> Emulator {
    let emulator = Emulator::start(TENANT, CLIENT, "test-secret");
    emulator.with(|state| {
        state.users.insert(USER.into(), json!({ "accountEnabled": true }));
        state.inbox_rules.insert(
            USER.into(),
            vec![json!({ "id": "rule-1", "displayName": "..", "sequence": 1, "isEnabled": true,
                          "conditions": { "subjectContains": ["invoice"] },
                          "actions": { "moveToFolder": "RSS Feeds", "markAsRead": true } })],
        );
        state.service_principals.push(json!({ "id": "sp-1", "appId": APP, "accountEnabled": true }));
        state.grants.push(json!({ "id": "grant-1", "clientId": "sp-1", "consentType": "Principal",
                                  "principalId": "user-1", "resourceId": "graph-sp", "scope": "Mail.Read offline_access" }));
    });
    emulator
}

fn client(emulator: &Emulator, secret: &str) -> GraphClient {
    GraphClient::new(GraphConfig {
        tenant_id: TENANT.into(),
        client_id: CLIENT.into(),
        client_secret: secret.into(),
        authority: emulator.authority(),
        graph: emulator.graph(),
    })
    .unwrap()
}

fn action(kind: ActionKind, object: Option<&str>, app: Option<&str>) -> PlannedAction {
    PlannedAction {
        id: format!("act-{kind}"),
        incident: "inc-1".into(),
        kind,
        target: Target { tenant: TENANT.into(), user: Some(USER.into()), app_id: app.map(Into::into), object: object.map(Into::into) },
        mode: Mode::Autonomous,
        decision: Decision::Execute,
        reasons: vec!["test".into()],
        guard_notes: Vec::new(),
        breaches: vec!["b-1".into()],
    }
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future)
}

#[test]
fn revoke_sessions_calls_graph() {
    let emulator = emulator();
    let client = client(&emulator, "test-secret");
    block_on(execute(&client, &action(ActionKind::RevokeSessions, None, None))).unwrap();
    assert_eq!(emulator.with(|s| s.users[USER]["sessionsRevoked"].clone()), json!(1));
    block_on(undo(&client, &action(ActionKind::RevokeSessions, None, None), &json!(null))).unwrap();
}

#[test]
fn disable_user_and_undo() {
    let emulator = emulator();
    let client = client(&emulator, "test-secret");
    let disable = action(ActionKind::DisableUser, None, None);
    let detail = block_on(execute(&client, &disable)).unwrap();
    assert_eq!(emulator.with(|s| s.users[USER]["accountEnabled"].clone()), json!(false));
    block_on(undo(&client, &disable, &detail)).unwrap();
    assert_eq!(emulator.with(|s| s.users[USER]["accountEnabled"].clone()), json!(true));
}

#[test]
fn inbox_rule_removed_and_restored() {
    let emulator = emulator();
    let client = client(&emulator, "test-secret");
    let remove = action(ActionKind::RemoveInboxRule, Some(".."), None);
    let detail = block_on(execute(&client, &remove)).unwrap();
    assert!(emulator.with(|s| s.inbox_rules[USER].is_empty()));
    assert_eq!(detail["rule"]["actions"]["moveToFolder"], "RSS Feeds", "the definition is kept for undo");
    block_on(undo(&client, &remove, &detail)).unwrap();
    let restored = emulator.with(|s| s.inbox_rules[USER].clone());
    assert_eq!(restored.len(), 1);
    assert_eq!(restored[0]["displayName"], "..");
    assert_eq!(restored[0]["conditions"]["subjectContains"][0], "invoice");

    let missing = action(ActionKind::RemoveInboxRule, Some("no such rule"), None);
    let error = block_on(execute(&client, &missing)).unwrap_err().to_string();
    assert!(error.contains("no such rule"), "{error}");
}

#[test]
fn grant_revoked_and_restored() {
    let emulator = emulator();
    let client = client(&emulator, "test-secret");
    let revoke = action(ActionKind::RevokeOauthGrant, None, Some(APP));
    let detail = block_on(execute(&client, &revoke)).unwrap();
    assert!(emulator.with(|s| s.grants.is_empty()));
    block_on(undo(&client, &revoke, &detail)).unwrap();
    let grants = emulator.with(|s| s.grants.clone());
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0]["scope"], "Mail.Read offline_access");
    assert_eq!(grants[0]["clientId"], "sp-1");
}

#[test]
fn service_principal_disabled_and_enabled() {
    let emulator = emulator();
    let client = client(&emulator, "test-secret");
    let disable = action(ActionKind::DisableServicePrincipal, None, Some(APP));
    let detail = block_on(execute(&client, &disable)).unwrap();
    assert_eq!(emulator.with(|s| s.service_principals[0]["accountEnabled"].clone()), json!(false));
    block_on(undo(&client, &disable, &detail)).unwrap();
    assert_eq!(emulator.with(|s| s.service_principals[0]["accountEnabled"].clone()), json!(true));
}

#[test]
fn exchange_actions_are_reported_unsupported() {
    let emulator = emulator();
    let client = client(&emulator, "test-secret");
    let cases = [
        (
            ActionKind::RemoveForwarding,
            None,
            "Set-Mailbox -Identity 'alice@contoso.com' -ForwardingSmtpAddress $null -ForwardingAddress $null -DeliverToMailboxAndForward $false",
        ),
        (ActionKind::RemoveTransportRule, Some("Bob's copy"), "Disable-TransportRule -Identity 'Bob''s copy' -Confirm:$false"),
        (
            ActionKind::RemoveMailboxPermission,
            Some("mallory@contoso.com"),
            "Remove-MailboxPermission -Identity 'alice@contoso.com' -User 'mallory@contoso.com' -AccessRights FullAccess",
        ),
    ];
    for (kind, object, command) in cases {
        let error = block_on(execute(&client, &action(kind, object, None))).unwrap_err().to_string();
        assert!(error.contains("Exchange Online PowerShell"), "{error}");
        assert!(error.contains(command), "{kind}: {error}");
    }
    let requests = emulator.with(|s| s.requests.len());
    assert_eq!(requests, 0, "nothing is sent to Graph for Exchange-only actions");
}

#[test]
fn throttled_requests_are_retried_after_retry_after() {
    let emulator = emulator();
    emulator.with(|s| {
        s.throttle_next = 2;
        s.retry_after = 1;
    });
    let client = client(&emulator, "test-secret");
    let started = std::time::Instant::now();
    block_on(execute(&client, &action(ActionKind::DisableUser, None, None))).unwrap();
    assert!(started.elapsed() >= std::time::Duration::from_secs(2), "both Retry-After waits were honoured");
    let patches = emulator.with(|s| s.requests.iter().filter(|r| r.starts_with("PATCH /users/")).count());
    assert_eq!(patches, 3, "two throttled attempts and one that went through");
    assert_eq!(emulator.with(|s| s.users[USER]["accountEnabled"].clone()), json!(false));
}

#[test]
fn expired_token_is_renewed_once() {
    let emulator = emulator();
    let client = client(&emulator, "test-secret");
    block_on(execute(&client, &action(ActionKind::RevokeSessions, None, None))).unwrap();
    emulator.with(|s| s.expire_tokens());
    block_on(execute(&client, &action(ActionKind::RevokeSessions, None, None))).unwrap();
    let tokens = emulator.with(|s| s.requests.iter().filter(|r| r.ends_with("/oauth2/v2.0/token")).count());
    assert_eq!(tokens, 2);
    assert_eq!(emulator.with(|s| s.users[USER]["sessionsRevoked"].clone()), json!(2));
}

#[test]
fn failed_token_request_names_the_aadsts_error() {
    let emulator = emulator();
    let client = client(&emulator, "wrong-secret");
    let error = block_on(execute(&client, &action(ActionKind::DisableUser, None, None))).unwrap_err().to_string();
    assert!(error.contains("AADSTS7000215"), "{error}");
    assert!(!error.contains("wrong-secret"), "the secret never appears in errors: {error}");
    assert_eq!(emulator.with(|s| s.users[USER]["accountEnabled"].clone()), json!(true));
}

#[test]
fn config_debug_hides_the_secret() {
    let config = GraphConfig {
        tenant_id: TENANT.into(),
        client_id: CLIENT.into(),
        client_secret: "super-secret-value".into(),
        authority: GraphConfig::PUBLIC_AUTHORITY.into(),
        graph: GraphConfig::PUBLIC_GRAPH.into(),
    };
    assert!(!format!("{config:?}").contains("super-secret-value"));
}

/// Puts a message in the user's Inbox with a Graph id and an RFC 5322 Message-ID.
fn deliver(emulator: &Emulator, graph_id: &str, internet_id: &str) {
    emulator.with(|s| {
        s.messages.entry(USER.into()).or_default().insert(graph_id.into(), "inbox".into());
        s.internet_message_ids.entry(USER.into()).or_default().insert(graph_id.into(), internet_id.into());
    });
}

fn folder_of(emulator: &Emulator, internet_id: &str) -> Option<String> {
    emulator.with(|s| {
        let id = s.internet_message_ids[USER].iter().find(|(_, v)| *v == internet_id).map(|(k, _)| k.clone())?;
        s.messages[USER].get(&id).cloned()
    })
}

#[test]
fn message_moved_to_junk_and_back() {
    let emulator = emulator();
    deliver(&emulator, "msg-1", "<invoice-1@example.net>");
    let client = client(&emulator, "test-secret");
    let junk = action(ActionKind::MoveToJunk, Some("<invoice-1@example.net>"), None);

    let detail = block_on(execute(&client, &junk)).unwrap();
    assert_eq!(folder_of(&emulator, "<invoice-1@example.net>").as_deref(), Some("junkemail"));
    assert_eq!(detail["folder_id"], json!("junkemail"));
    assert_eq!(detail["original_message_id"], json!("msg-1"));
    assert_ne!(detail["message_id"], json!("msg-1"), "the moved message's new id is kept for undo");

    block_on(undo(&client, &junk, &detail)).unwrap();
    assert_eq!(folder_of(&emulator, "<invoice-1@example.net>").as_deref(), Some("inbox"));
}

#[test]
fn message_held_in_created_folder() {
    let emulator = emulator();
    deliver(&emulator, "msg-1", "<a@example.net>");
    deliver(&emulator, "msg-2", "<b@example.net>");
    let client = client(&emulator, "test-secret");

    let first = block_on(execute(&client, &action(ActionKind::HoldMessage, Some("msg-1"), None))).unwrap();
    let second = block_on(execute(&client, &action(ActionKind::HoldMessage, Some("<b@example.net>"), None))).unwrap();
    let folders = emulator.with(|s| s.mail_folders[USER].clone());
    assert_eq!(folders.len(), 1, "the folder is created once and found the second time: {folders:?}");
    assert_eq!(folders[0]["displayName"], json!(harrier_respond::HELD_FOLDER));
    assert_eq!(first["folder_id"], folders[0]["id"]);
    assert_eq!(second["folder_id"], folders[0]["id"]);
    assert_eq!(folder_of(&emulator, "<a@example.net>"), folders[0]["id"].as_str().map(str::to_owned));

    block_on(undo(&client, &action(ActionKind::HoldMessage, Some("msg-1"), None), &first)).unwrap();
    assert_eq!(folder_of(&emulator, "<a@example.net>").as_deref(), Some("inbox"));
    assert_eq!(folder_of(&emulator, "<b@example.net>"), folders[0]["id"].as_str().map(str::to_owned));
}

#[test]
fn message_move_throttled_then_done() {
    let emulator = emulator();
    deliver(&emulator, "msg-1", "<a@example.net>");
    emulator.with(|s| {
        s.throttle_next = 2;
        s.retry_after = 1;
    });
    let client = client(&emulator, "test-secret");
    let started = std::time::Instant::now();
    block_on(execute(&client, &action(ActionKind::MoveToJunk, Some("msg-1"), None))).unwrap();
    assert!(started.elapsed() >= std::time::Duration::from_secs(2), "both Retry-After waits were honoured");
    let moves = emulator.with(|s| s.requests.iter().filter(|r| r.ends_with("/move")).count());
    assert_eq!(moves, 3, "a throttled POST is repeated: Graph did not carry it out");
    assert_eq!(folder_of(&emulator, "<a@example.net>").as_deref(), Some("junkemail"));
}

#[test]
fn message_move_token_failure() {
    let emulator = emulator();
    deliver(&emulator, "msg-1", "<a@example.net>");
    let client = client(&emulator, "wrong-secret");
    for kind in [ActionKind::MoveToJunk, ActionKind::HoldMessage] {
        let error = block_on(execute(&client, &action(kind, Some("msg-1"), None))).unwrap_err().to_string();
        assert!(error.contains("AADSTS7000215"), "{error}");
    }
    assert_eq!(folder_of(&emulator, "<a@example.net>").as_deref(), Some("inbox"));
    assert_eq!(emulator.with(|s| s.mail_folders.len()), 0);
}

#[test]
fn message_not_found_is_named() {
    let emulator = emulator();
    let client = client(&emulator, "test-secret");
    let error = block_on(execute(&client, &action(ActionKind::MoveToJunk, Some("<gone@example.net>"), None)))
        .unwrap_err()
        .to_string();
    assert!(error.contains("<gone@example.net>"), "{error}");
}

#[test]
fn partial_grant_revoke_keeps_undo() {
    let emulator = emulator();
    emulator.with(|s| {
        s.grants.push(json!({ "id": "grant-2", "clientId": "sp-1", "consentType": "AllPrincipals",
                              "principalId": null, "resourceId": "graph-sp", "scope": "User.Read" }));
        s.fail_requests.push("DELETE /oauth2PermissionGrants/grant-2".into());
    });
    let client = client(&emulator, "test-secret");
    let revoke = action(ActionKind::RevokeOauthGrant, None, Some(APP));

    let error = block_on(execute(&client, &revoke)).unwrap_err();
    let harrier_respond::ExecuteError::Partial { undo: detail, .. } = &error else { panic!("{error}") };
    assert!(error.to_string().contains("in part"), "{error}");
    assert_eq!(detail["grants"].as_array().unwrap().len(), 1, "only the deleted grant is kept: {detail}");
    assert_eq!(detail["grants"][0]["scope"], json!("Mail.Read offline_access"));
    assert_eq!(emulator.with(|s| s.grants.len()), 1, "grant-2 was not deleted");

    block_on(undo(&client, &revoke, detail)).unwrap();
    let grants = emulator.with(|s| s.grants.clone());
    assert_eq!(grants.len(), 2);
    let restored = grants.iter().find(|g| g["id"] != "grant-2").unwrap();
    for field in ["clientId", "consentType", "principalId", "resourceId", "scope"] {
        assert_eq!(restored[field], detail["grants"][0][field], "{field} restored exactly");
    }
}
