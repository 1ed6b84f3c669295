mod common;

use std::path::{Path, PathBuf};

use common::*;
use harrier_detect::{Breach, Engine, Severity, Stage, TenantState};
use harrier_enrich::IpIntel;
use harrier_ingest::{Item, ReadOptions, read_file};
use harrier_model::*;
use jiff::ToSpan;

const ALICE: &str = "alice@contoso.com";
const BOB: &str = "bob@contoso.com";
const PERFECTDATA: &str = "ff8d92dc-3d82-41d6-bcbd-b9174d163620";
const EXPORTER: &str = "5a1e7f10-0000-4c9b-9c1a-6d2b3e4f5a6b";

/// Builds an engine and a tenant with 30 days of ordinary sign-ins and mail for Alice and Bob.
fn with_history() -> (Engine, TenantState) {
    let engine = Engine::with_defaults();
    let mut state = TenantState::default();
    let history = mail_history(&engine, &mut state, &[ALICE, BOB], start(), 30, 20, 200);
    let loud: Vec<&Breach> = history.iter().filter(|b| b.severity() > Severity::Low).collect();
    assert!(loud.is_empty(), "ordinary history raised {loud:#?}");
    (engine, state)
}

/// Asserts that `model` raised nothing above low.
fn assert_quiet(breaches: &[Breach], model: &str) {
    if let Some(breach) = breach_of(breaches, model) {
        assert!(breach.severity() == Severity::Low, "{model} scored {}: {}", breach.score, breach.summary);
    }
}

fn application(id: &str, user: &str, time: jiff::Timestamp, change: ApplicationChange, operation: &str) -> Event {
    let mut event = event(id, user, time, &OFFICE_DE, EDGE, Activity::Application(change));
    event.operation = operation.to_owned();
    event
}

// OAuth grants.

#[test]
fn oauth_grant_flags_rare_mail_app() {
    let (engine, mut state) = with_history();
    let grant = consent("grant-1", ALICE, day30(9, 30), &OFFICE_DE, EXPORTER, "Mail Exporter Pro", &["User.Read", "Mail.ReadWrite", "offline_access"]);
    let breaches = engine.process(&mut state, &grant);
    let breach = expect_breach(&breaches, "saas.oauth_grant");
    assert!(breach.severity() >= Severity::Medium, "score {}", breach.score);
    assert_eq!(breach.technique_id, "T1528");
    assert_eq!(breach.stage, Stage::Persistence);
    assert_eq!(breach.app_id.as_deref(), Some(EXPORTER));
    assert!(evidence(breach, "risky_scopes").unwrap().contains("Mail.ReadWrite"));
    assert!(breach.deviations[0].baseline.contains("0 of 0"), "{:?}", breach.deviations);
}

#[test]
fn oauth_grant_flags_abused_app() {
    let (engine, mut state) = with_history();
    let grant = consent("grant-1", ALICE, day30(9, 30), &VPS_US, PERFECTDATA, "PERFECTDATA SOFTWARE", &["EWS.AccessAsUser.All", "offline_access"]);
    let breaches = engine.process(&mut state, &grant);
    let breach = expect_breach(&breaches, "saas.oauth_grant");
    assert!(breach.severity() >= Severity::Critical, "score {}", breach.score);
    assert!(evidence(breach, "abused_app_source").unwrap().starts_with("https://"));
}

#[test]
fn oauth_grant_flags_admin_consent_for_all() {
    let (engine, mut state) = with_history();
    let mut grant = consent("grant-1", ALICE, day30(9, 30), &OFFICE_DE, EXPORTER, "Backup Helper", &["full_access_as_app"]);
    if let Activity::OauthConsent(consent) = &mut grant.activity {
        consent.admin_consent = true;
        consent.on_behalf_of_all = true;
    }
    let breaches = engine.process(&mut state, &grant);
    let breach = expect_breach(&breaches, "saas.oauth_grant");
    assert!(breach.severity() >= Severity::High, "score {}", breach.score);
    assert_eq!(evidence(breach, "on_behalf_of_all"), Some("true"));
}

#[test]
fn oauth_grant_spares_widely_used_app() {
    let engine = Engine::with_defaults();
    let mut state = TenantState::default();
    let users: Vec<String> = (0..14).map(|i| format!("user{i}@contoso.com")).collect();
    let names: Vec<&str> = users.iter().map(String::as_str).collect();
    mail_history(&engine, &mut state, &names, start(), 20, 20, 200);
    let zoom = "4e0d7a6a-1111-4222-8333-944455556666";
    let scopes = ["User.Read", "offline_access", "Calendars.ReadWrite"];
    let mut last = Vec::new();
    for (i, user) in names.iter().enumerate() {
        let grant = consent(&format!("zoom-{i}"), user, day30(9, i as i64), &OFFICE_DE, zoom, "Zoom", &scopes);
        last = engine.process(&mut state, &grant);
        if i >= 11 {
            assert_quiet(&last, "saas.oauth_grant");
        }
    }
    assert!(breach_of(&last, "saas.oauth_grant").is_none(), "{last:#?}");
}

#[test]
fn oauth_grant_ignores_sign_in_only_scopes() {
    let (engine, mut state) = with_history();
    let grant = consent("grant-1", ALICE, day30(9, 30), &OFFICE_DE, EXPORTER, "Survey Tool", &["openid", "profile", "User.Read"]);
    let breaches = engine.process(&mut state, &grant);
    assert!(breach_of(&breaches, "saas.oauth_grant").is_none(), "{breaches:#?}");
}

// Activity after a grant.

#[test]
fn activity_after_grant_flags_bulk_read() {
    let (engine, mut state) = with_history();
    let grant = consent("grant-1", ALICE, day30(9, 30), &VPS_US, EXPORTER, "Mail Exporter Pro", &["Mail.Read", "offline_access"]);
    engine.process(&mut state, &grant);

    let read = mail_read("read-1", ALICE, day30(11, 30), &VPS_US, EXPORTER, 800);
    let breaches = engine.process(&mut state, &read);
    let breach = expect_breach(&breaches, "saas.activity_after_oauth_grant");
    assert!(breach.severity() >= Severity::High, "score {}", breach.score);
    assert_eq!(breach.technique_id, "T1114.002");
    assert_eq!(breach.events, vec!["grant-1".to_owned(), "read-1".to_owned()]);
    assert_eq!(evidence(breach, "consented_by"), Some(ALICE));

    let again = engine.process(&mut state, &mail_read("read-2", ALICE, day30(12, 0), &VPS_US, EXPORTER, 800));
    assert!(breach_of(&again, "saas.activity_after_oauth_grant").is_none(), "raised twice in a day");
}

#[test]
fn after_grant_ignores_unrelated_reads() {
    let (engine, mut state) = with_history();
    let grant = consent("grant-1", ALICE, day30(9, 30), &OFFICE_DE, EXPORTER, "Mail Exporter Pro", &["Mail.Read"]);
    engine.process(&mut state, &grant);

    let outlook = mail_read("read-1", ALICE, day30(11, 30), &OFFICE_DE, "d3590ed6-52b3-4102-aeff-aad2292ab01c", 200);
    assert!(breach_of(&engine.process(&mut state, &outlook), "saas.activity_after_oauth_grant").is_none());

    let late = mail_read("read-2", ALICE, day30(9, 30) + 96.hours(), &OFFICE_DE, EXPORTER, 10);
    assert!(breach_of(&engine.process(&mut state, &late), "saas.activity_after_oauth_grant").is_none());
}

// Applications.

#[test]
fn new_application_flags_password_secret() {
    let (engine, mut state) = with_history();
    let change = ApplicationChange {
        action: ApplicationAction::CredentialsAdded,
        object: ApplicationObject::ServicePrincipal,
        name: Some("Payroll Sync".to_owned()),
        app_id: Some("0f0e0d0c-1111-4222-8333-944455556666".to_owned()),
        credential_types: vec!["Password".to_owned()],
        ..ApplicationChange::default()
    };
    let event = application("app-1", ALICE, day30(10, 0), change, "Add service principal credentials");
    let breaches = engine.process(&mut state, &event);
    let breach = expect_breach(&breaches, "saas.new_application");
    assert!(breach.severity() >= Severity::High, "score {}", breach.score);
    assert_eq!(breach.technique_id, "T1098.001");
    assert_eq!(evidence(breach, "credential_types"), Some("Password"));
}

#[test]
fn new_application_flags_abused_app_name() {
    let (engine, mut state) = with_history();
    let change = ApplicationChange {
        action: ApplicationAction::Added,
        object: ApplicationObject::ServicePrincipal,
        name: Some("eM Client".to_owned()),
        ..ApplicationChange::default()
    };
    let breaches = engine.process(&mut state, &application("app-1", ALICE, day30(10, 0), change, "Add service principal"));
    let breach = expect_breach(&breaches, "saas.new_application");
    assert!(breach.severity() >= Severity::Medium, "score {}", breach.score);
    assert_eq!(breach.technique_id, "T1136.003");
    assert!(evidence(breach, "abused_app_source").is_some());
}

#[test]
fn new_application_ignores_plain_changes() {
    let (engine, mut state) = with_history();
    let added = ApplicationChange { action: ApplicationAction::Added, name: Some("Team Wiki".to_owned()), ..ApplicationChange::default() };
    let updated = ApplicationChange { action: ApplicationAction::Updated, name: Some("Team Wiki".to_owned()), ..ApplicationChange::default() };
    for (id, change) in [("app-1", added), ("app-2", updated)] {
        let breaches = engine.process(&mut state, &application(id, ALICE, day30(10, 0), change, "Update application"));
        assert!(breach_of(&breaches, "saas.new_application").is_none(), "{breaches:#?}");
    }
}

// Inbox rules.

#[test]
fn inbox_rule_flags_external_forward_and_delete() {
    let (engine, mut state) = with_history();
    let actions = vec![RuleAction::ForwardTo(vec!["drop.box@gmail.com".to_owned()]), RuleAction::Delete, RuleAction::StopProcessing];
    let rule = inbox_rule("rule-1", ALICE, day30(10, 0), &VPS_US, ".", RuleConditions::default(), actions);
    let breaches = engine.process(&mut state, &rule);
    let breach = expect_breach(&breaches, "saas.new_inbox_rule");
    assert!(breach.severity() >= Severity::Critical, "score {}", breach.score);
    assert_eq!(breach.stage, Stage::Exfiltration);
    assert_eq!(breach.technique_id, "T1114.003");
    assert_eq!(evidence(breach, "external_recipients"), Some("drop.box@gmail.com"));
    assert!(breach.summary.contains("meaningless name"), "{}", breach.summary);
}

#[test]
fn inbox_rule_flags_rss_hiding_of_invoices() {
    let (engine, mut state) = with_history();
    let conditions = RuleConditions { subject_or_body_contains: vec!["invoice".to_owned(), "payment".to_owned()], ..RuleConditions::default() };
    let actions = vec![RuleAction::MoveToFolder("RSS Subscriptions".to_owned()), RuleAction::MarkAsRead];
    let rule = inbox_rule("rule-1", ALICE, day30(10, 0), &OFFICE_DE, "Updates", conditions, actions);
    let breaches = engine.process(&mut state, &rule);
    let breach = expect_breach(&breaches, "saas.new_inbox_rule");
    assert!(breach.severity() >= Severity::High, "score {}", breach.score);
    assert_eq!(breach.stage, Stage::DefenseEvasion);
    assert_eq!(breach.technique_id, "T1564.008");
    let habit = &breach.deviations[0];
    assert_eq!(habit.measure, "inbox_rules_created");
    assert!(habit.baseline.contains("over 30 days"), "{}", habit.baseline);
}

#[test]
fn inbox_rule_spares_newsletter_folder() {
    let (engine, mut state) = with_history();
    let conditions = RuleConditions { from: vec!["news@vendor.example".to_owned()], ..RuleConditions::default() };
    let actions = vec![RuleAction::MoveToFolder("Newsletters".to_owned()), RuleAction::StopProcessing];
    let rule = inbox_rule("rule-1", ALICE, day30(10, 0), &OFFICE_DE, "Vendor newsletter", conditions, actions);
    let breaches = engine.process(&mut state, &rule);
    if let Some(breach) = breach_of(&breaches, "saas.new_inbox_rule") {
        assert!(breach.score < 40.0, "score {}: {}", breach.score, breach.summary);
    }
}

#[test]
fn inbox_rule_internal_forward_stays_low() {
    let (engine, mut state) = with_history();
    let actions = vec![RuleAction::ForwardTo(vec![BOB.to_owned()])];
    let rule = inbox_rule("rule-1", ALICE, day30(10, 0), &OFFICE_DE, "Holiday cover", RuleConditions::default(), actions);
    assert_quiet(&engine.process(&mut state, &rule), "saas.new_inbox_rule");
}

// Forwarding and transport rules.

fn forwarding(id: &str, to: &str, keep_copy: bool) -> Event {
    let activity = Activity::MailboxForwarding(harrier_model::MailboxForwarding {
        mailbox: Some(ALICE.to_owned()),
        forward_to: Some(to.to_owned()),
        deliver_and_forward: Some(keep_copy),
        cleared: false,
    });
    event(id, ALICE, day30(10, 0), &OFFICE_DE, EDGE, activity)
}

#[test]
fn mailbox_forwarding_outside_is_high() {
    let (engine, mut state) = with_history();
    let breaches = engine.process(&mut state, &forwarding("fwd-1", "alice.private@proton.me", false));
    let breach = expect_breach(&breaches, "saas.mailbox_forwarding");
    assert!(breach.severity() >= Severity::High, "score {}", breach.score);
    assert_eq!(breach.stage, Stage::Exfiltration);
    assert_eq!(evidence(breach, "tenant_domains"), Some("contoso.com"));
}

#[test]
fn mailbox_forwarding_inside_is_low() {
    let (engine, mut state) = with_history();
    let breaches = engine.process(&mut state, &forwarding("fwd-1", "alice@eu.contoso.com", true));
    assert_quiet(&breaches, "saas.mailbox_forwarding");
}

fn transport_rule(id: &str, rule: harrier_model::TransportRule) -> Event {
    let mut event = event(id, ALICE, day30(10, 0), &OFFICE_DE, EDGE, Activity::TransportRule(rule));
    event.operation = "New-TransportRule".to_owned();
    event
}

#[test]
fn transport_rule_blind_copy_outside_is_high() {
    let (engine, mut state) = with_history();
    let rule = harrier_model::TransportRule {
        name: Some("Compliance copy".to_owned()),
        blind_copy_to: vec!["archive@mail-keeper.example".to_owned()],
        ..harrier_model::TransportRule::default()
    };
    let breaches = engine.process(&mut state, &transport_rule("tr-1", rule));
    let breach = expect_breach(&breaches, "saas.transport_rule_exfil");
    assert!(breach.severity() >= Severity::High, "score {}", breach.score);
    assert_eq!(breach.technique_id, "T1114.003");
}

#[test]
fn transport_rule_internal_journal_is_low() {
    let (engine, mut state) = with_history();
    let rule = harrier_model::TransportRule {
        name: Some("Journal".to_owned()),
        copy_to: vec!["journal@contoso.com".to_owned()],
        ..harrier_model::TransportRule::default()
    };
    assert_quiet(&engine.process(&mut state, &transport_rule("tr-1", rule)), "saas.transport_rule_exfil");
}

#[test]
fn transport_rule_hiding_is_medium() {
    let (engine, mut state) = with_history();
    let rule = harrier_model::TransportRule {
        name: Some("x".to_owned()),
        set_audit_severity: Some("DoNotAudit".to_owned()),
        delete_message: Some(true),
        ..harrier_model::TransportRule::default()
    };
    let breaches = engine.process(&mut state, &transport_rule("tr-1", rule));
    let breach = expect_breach(&breaches, "saas.transport_rule_exfil");
    assert!(breach.severity() >= Severity::Medium, "score {}", breach.score);
}

// Mailbox permissions.

fn permission(id: &str, minute: i64, mailbox: &str, grantee: &str, rights: &[&str], folder: Option<&str>) -> Event {
    let activity = Activity::MailboxPermission(harrier_model::MailboxPermission {
        change: Change::Created,
        mailbox: Some(mailbox.to_owned()),
        grantee: Some(grantee.to_owned()),
        access_rights: rights.iter().map(|r| (*r).to_owned()).collect(),
        folder: folder.map(str::to_owned),
    });
    event(id, ALICE, day30(10, minute), &OFFICE_DE, EDGE, activity)
}

#[test]
fn mailbox_permission_escalates_across_mailboxes() {
    let (engine, mut state) = with_history();
    let first = engine.process(&mut state, &permission("perm-1", 0, "ceo@contoso.com", ALICE, &["FullAccess"], None));
    let breach = expect_breach(&first, "saas.mailbox_permission");
    assert!(breach.severity() >= Severity::Medium, "score {}", breach.score);
    assert_eq!(breach.technique_id, "T1098.002");

    let mut last = 0.0;
    for (i, mailbox) in ["cfo@contoso.com", "payroll@contoso.com", "finance@contoso.com"].iter().enumerate() {
        let breaches = engine.process(&mut state, &permission(&format!("perm-{}", i + 2), i as i64 + 1, mailbox, ALICE, &["FullAccess"], None));
        last = expect_breach(&breaches, "saas.mailbox_permission").score;
    }
    assert!(last >= 65.0, "the fourth grant in a day scored {last}");
}

#[test]
fn mailbox_permission_spares_calendar_sharing() {
    let (engine, mut state) = with_history();
    let share = permission("perm-1", 0, ALICE, "Default", &["Reviewer"], Some("alice@contoso.com:\\Calendar"));
    assert_quiet(&engine.process(&mut state, &share), "saas.mailbox_permission");
}

#[test]
fn mailbox_audit_bypass_is_high() {
    let (engine, mut state) = with_history();
    let other = Other { record_type: Some("ExchangeAdmin".to_owned()), object: Some(ALICE.to_owned()) };
    let mut bypass = event("bypass-1", ALICE, day30(10, 0), &VPS_US, PYTHON, Activity::Other(other));
    bypass.operation = "Set-MailboxAuditBypassAssociation".to_owned();
    let breaches = engine.process(&mut state, &bypass);
    let breach = expect_breach(&breaches, "saas.mailbox_permission");
    assert!(breach.severity() >= Severity::High, "score {}", breach.score);
    assert_eq!(breach.technique_id, "T1562.008");
    assert_eq!(breach.stage, Stage::DefenseEvasion);
}

// Outbound mail and bulk access.

#[test]
fn outbound_spam_raises_once_per_day() {
    let (engine, mut state) = with_history();
    let mut raised = Vec::new();
    for message in 0..60 {
        let sent = mail_sent(&format!("spam-{message}"), ALICE, day30(12, message), &VPS_US, 10);
        raised.extend(engine.process(&mut state, &sent).into_iter().filter(|b| b.model_id == "saas.outbound_spam"));
    }
    assert_eq!(raised.len(), 1, "{raised:#?}");
    let breach = &raised[0];
    // The breach is raised on the message that crosses the threshold, so it scores near the threshold's z.
    assert!(breach.severity() >= Severity::Medium, "score {}", breach.score);
    assert_eq!(breach.stage, Stage::Impact);
    assert_eq!(breach.technique_id, "T1534");
    assert!(breach.deviations[0].baseline.contains("max 21 over 30 days"), "{}", breach.deviations[0].baseline);

    // The spam day is now the busiest past day (about 600 recipients), so the next day needs more than 1.5 times that.
    let next_day = mail_sent("spam-next", ALICE, day30(12, 0) + 24.hours(), &VPS_US, 2_000);
    let breaches = engine.process(&mut state, &next_day);
    assert!(breach_of(&breaches, "saas.outbound_spam").is_some(), "a new day raises again");
}

#[test]
fn outbound_spam_spares_busy_day() {
    let (engine, mut state) = with_history();
    for message in 0..8 {
        let sent = mail_sent(&format!("busy-{message}"), BOB, day30(10, message * 5), &OFFICE_DE, 5);
        assert_quiet(&engine.process(&mut state, &sent), "saas.outbound_spam");
    }
}

#[test]
fn bulk_access_flags_mass_read() {
    let (engine, mut state) = with_history();
    let read = mail_read("bulk-1", ALICE, day30(12, 0), &VPS_US, "d3590ed6-52b3-4102-aeff-aad2292ab01c", 5_000);
    let breaches = engine.process(&mut state, &read);
    let breach = expect_breach(&breaches, "saas.bulk_mailbox_access");
    assert!(breach.severity() >= Severity::High, "score {}", breach.score);
    assert!(breach.summary.contains("5,000"), "{}", breach.summary);
}

#[test]
fn bulk_access_throttled_once_per_day() {
    let (engine, mut state) = with_history();
    let mut throttled = mail_read("thr-1", BOB, day30(12, 0), &OFFICE_DE, "d3590ed6-52b3-4102-aeff-aad2292ab01c", 1);
    if let Activity::MailItemsAccessed(accessed) = &mut throttled.activity {
        accessed.throttled = true;
    }
    let first = engine.process(&mut state, &throttled);
    assert!(expect_breach(&first, "saas.bulk_mailbox_access").severity() >= Severity::Medium);
    throttled.record_id = "thr-2".to_owned();
    throttled.time = day30(13, 0);
    assert!(breach_of(&engine.process(&mut state, &throttled), "saas.bulk_mailbox_access").is_none());
}

#[test]
fn bulk_access_spares_normal_reading() {
    let (engine, mut state) = with_history();
    let read = mail_read("read-1", BOB, day30(12, 0), &OFFICE_DE, "d3590ed6-52b3-4102-aeff-aad2292ab01c", 260);
    assert_quiet(&engine.process(&mut state, &read), "saas.bulk_mailbox_access");
}

// Persistence after an unusual sign-in.

fn security_info(id: &str, user: &str, time: jiff::Timestamp, net: &Net, action: UserAction) -> Event {
    let change = UserChange { action, target: Some(user.to_owned()), ..UserChange::default() };
    event(id, user, time, net, EDGE, Activity::UserChange(change))
}

#[test]
fn persistence_after_unusual_login_flags_new_mfa_method() {
    let (engine, mut state) = with_history();
    let login = engine.process(&mut state, &sign_in("login-1", ALICE, day30(3, 0), &VPS_US, PYTHON, 0));
    let unusual = expect_breach(&login, "saas.unusual_source_sign_in");

    let method = security_info("mfa-1", ALICE, day30(3, 10), &VPS_US, UserAction::SecurityInfoRegistered);
    let breaches = engine.process(&mut state, &method);
    let breach = expect_breach(&breaches, "saas.persistence_after_unusual_login");
    assert!(breach.severity() >= Severity::Critical, "score {}", breach.score);
    assert_eq!(breach.technique_id, "T1556.006");
    assert_eq!(evidence(breach, "sign_in_breach"), Some(unusual.id.as_str()));
    assert_eq!(breach.events, vec!["login-1".to_owned(), "mfa-1".to_owned()]);
}

#[test]
fn persistence_after_login_spares_ordinary_registration() {
    let (engine, mut state) = with_history();
    let device = security_info("dev-1", BOB, day30(9, 30), &OFFICE_DE, UserAction::DeviceRegistered);
    assert!(breach_of(&engine.process(&mut state, &device), "saas.persistence_after_unusual_login").is_none());
}

// Real records.

fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(relative)
}

/// Reads a fixture and fills IP data as the pipeline does, in the file's record order.
fn read_records(path: &Path) -> Vec<Event> {
    let intel = IpIntel::embedded().expect("the embedded IP data loads");
    let mut events = Vec::new();
    read_file(path, &ReadOptions::default(), &mut |item| {
        if let Item::Record(record) = item {
            let mut event = record.event;
            event.ip_info = event.client.ip.map(|ip| intel.lookup(ip));
            events.push(event);
        }
    })
    .unwrap_or_else(|error| panic!("{error}"));
    events
}

/// Runs events through a fresh engine in time order and returns each event's breaches by record id.
fn process_in_order(mut events: Vec<Event>) -> Vec<(Event, Vec<Breach>)> {
    events.sort_by_key(|e| e.time);
    let engine = Engine::with_defaults();
    let mut state = TenantState::default();
    events.into_iter().map(|event| {
        let breaches = engine.process(&mut state, &event);
        (event, breaches)
    }).collect()
}

#[test]
fn sentinel_lab_inbox_rules_flagged() {
    let events = read_records(&fixture("saas/sentinel-training-lab/office_activity_inbox_rule.csv"));
    assert_eq!(events.len(), 2);
    for (event, breaches) in process_in_order(events) {
        let breach = expect_breach(&breaches, "saas.new_inbox_rule");
        assert!(breach.severity() >= Severity::Medium, "{} scored {}: {}", event.record_id, breach.score, breach.summary);
    }
}

/// Panther's `Microsoft365.Exchange.External.Forwarding` rule fires on mailbox forwarding and inbox rules
/// that send mail outside the organisation. Its `Set-Mailbox` cases map to `saas.mailbox_forwarding` and
/// its `New-InboxRule` cases to `saas.new_inbox_rule`. A case counts as flagged when that model raises a
/// breach of medium severity or more. Each case runs in a tenant of its own, because Panther tests each
/// record alone.
#[test]
fn panther_exchange_forwarding_cases() {
    let path = fixture("saas/panther-tests/Microsoft365_Audit_Exchange.tests.jsonl");
    let events = read_records(&path);
    let cases: Vec<serde_json::Value> =
        std::fs::read_to_string(&path).unwrap().lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(events.len(), cases.len(), "one event per test case");

    for (event, case) in events.into_iter().zip(&cases) {
        let name = case["test_name"].as_str().unwrap();
        let expected = case["expected_result"].as_bool().unwrap();
        let model = match event.activity {
            Activity::MailboxForwarding(_) => "saas.mailbox_forwarding",
            Activity::InboxRule(_) => "saas.new_inbox_rule",
            _ => panic!("{name}: unexpected {}", event.kind()),
        };
        let breaches = process_in_order(vec![event]).remove(0).1;
        let flagged = breach_of(&breaches, model).is_some_and(|b| b.severity() >= Severity::Medium);
        assert_eq!(flagged, expected, "{name}: {model} raised {breaches:#?}");
    }
}

#[test]
fn otrf_application_records_flagged() {
    let events = read_records(&fixture("saas/otrf-goldensaml/AADAuditEvents.json"));
    let mut flagged = Vec::new();
    for (event, breaches) in process_in_order(events) {
        let Activity::Application(change) = &event.activity else { continue };
        let breach = breach_of(&breaches, "saas.new_application");
        match change.action {
            ApplicationAction::CredentialsAdded | ApplicationAction::DelegatedPermissionGranted => {
                let breach = breach.unwrap_or_else(|| panic!("{:?} not flagged: {breaches:#?}", change.action));
                assert!(breach.severity() >= Severity::Medium, "{:?} scored {}", change.action, breach.score);
                flagged.push(change.action);
            }
            _ => assert!(breach.is_none(), "{:?} raised {breach:#?}", change.action),
        }
    }
    assert!(flagged.contains(&ApplicationAction::CredentialsAdded), "{flagged:?}");
    assert!(flagged.contains(&ApplicationAction::DelegatedPermissionGranted), "{flagged:?}");
}
