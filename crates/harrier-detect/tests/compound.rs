mod common;

use common::*;
use harrier_detect::{Breach, Engine, Severity, Stage, TenantState};
use harrier_model::*;
use jiff::ToSpan;

const ALICE: &str = "alice@contoso.com";
const BOB: &str = "bob@contoso.com";
const EXPORTER: &str = "5a1e7f10-0000-4c9b-9c1a-6d2b3e4f5a6b";

fn with_history() -> (Engine, TenantState) {
    let engine = Engine::with_defaults();
    let mut state = TenantState::default();
    mail_history(&engine, &mut state, &[ALICE, BOB], start(), 30, 20, 200);
    (engine, state)
}

fn hiding_rule(id: &str, user: &str, minute: i64, net: &Net) -> Event {
    let conditions = RuleConditions { subject_contains: vec!["invoice".to_owned()], ..RuleConditions::default() };
    let actions = vec![RuleAction::MoveToFolder("RSS Feeds".to_owned()), RuleAction::MarkAsRead];
    inbox_rule(id, user, day30(3, minute), net, "..", conditions, actions)
}

#[test]
fn unusual_login_then_inbox_rule_joins_both() {
    let (engine, mut state) = with_history();
    let login = engine.process(&mut state, &sign_in("login-1", ALICE, day30(3, 0), &VPS_US, PYTHON, 0));
    let unusual = expect_breach(&login, "saas.unusual_source_sign_in").clone();

    let breaches = engine.process(&mut state, &hiding_rule("rule-1", ALICE, 20, &VPS_US));
    let rule = expect_breach(&breaches, "saas.new_inbox_rule");
    let compound = expect_breach(&breaches, "saas.unusual_login_then_inbox_rule");
    assert!(compound.score >= 80.0, "score {}", compound.score);
    assert_eq!(evidence(compound, "earlier_breach"), Some(unusual.id.as_str()));
    assert_eq!(evidence(compound, "later_breach"), Some(rule.id.as_str()));
    assert_eq!(evidence(compound, "same_source"), Some("true"));
    assert_eq!(compound.events, vec!["login-1".to_owned(), "rule-1".to_owned()]);
    assert_eq!(compound.stage, Stage::DefenseEvasion);

    let again = engine.process(&mut state, &hiding_rule("rule-2", ALICE, 40, &VPS_US));
    assert!(breach_of(&again, "saas.unusual_login_then_inbox_rule").is_none(), "raised twice for one sign-in");
}

#[test]
fn inbox_rule_without_unusual_login_is_not_compound() {
    let (engine, mut state) = with_history();
    let breaches = engine.process(&mut state, &hiding_rule("rule-1", BOB, 20, &OFFICE_DE));
    assert!(breach_of(&breaches, "saas.new_inbox_rule").is_some());
    assert!(breach_of(&breaches, "saas.unusual_login_then_inbox_rule").is_none(), "{breaches:#?}");
}

#[test]
fn unusual_login_then_outbound_spam_joins_both() {
    let (engine, mut state) = with_history();
    engine.process(&mut state, &sign_in("login-1", ALICE, day30(3, 0), &VPS_US, PYTHON, 0));
    let mut compounds = Vec::new();
    for message in 0..40 {
        let sent = mail_sent(&format!("spam-{message}"), ALICE, day30(4, message), &VPS_US, 10);
        compounds.extend(engine.process(&mut state, &sent).into_iter().filter(|b| b.model_id == "saas.unusual_login_then_outbound_spam"));
    }
    assert_eq!(compounds.len(), 1, "{compounds:#?}");
    let compound = &compounds[0];
    assert!(compound.severity() >= Severity::Critical, "score {}", compound.score);
    assert_eq!(compound.stage, Stage::Impact);
    assert_eq!(compound.events.first().map(String::as_str), Some("login-1"));
}

#[test]
fn unusual_login_expires_after_window() {
    let (engine, mut state) = with_history();
    engine.process(&mut state, &sign_in("login-1", ALICE, day30(3, 0), &VPS_US, PYTHON, 0));
    let late = hiding_rule("rule-1", ALICE, 0, &OFFICE_DE);
    let late = Event { time: day30(3, 0) + 72.hours(), ..late };
    let breaches = engine.process(&mut state, &late);
    assert!(breach_of(&breaches, "saas.unusual_login_then_inbox_rule").is_none(), "{breaches:#?}");
}

/// Sends failed sign-ins for Alice from the attacker's address until a credential-access model raises.
fn attack_credentials(engine: &Engine, state: &mut TenantState) -> Breach {
    for attempt in 0..30 {
        let failure = sign_in(&format!("fail-{attempt}"), ALICE, day30(2, attempt), &VPS_US, PYTHON, 50126);
        let breaches = engine.process(state, &failure);
        if let Some(breach) = breaches.into_iter().find(|b| b.stage == Stage::CredentialAccess) {
            return breach;
        }
    }
    panic!("30 failed sign-ins raised no credential-access breach");
}

#[test]
fn credential_attack_then_mail_from_attacker() {
    let (engine, mut state) = with_history();
    let attack = attack_credentials(&engine, &mut state);

    let sent = mail_sent("sent-1", ALICE, day30(5, 0), &VPS_US, 1);
    let breaches = engine.process(&mut state, &sent);
    let compound = expect_breach(&breaches, "saas.suspicious_login_then_outbound_email");
    assert!(compound.score >= 80.0, "score {}", compound.score);
    assert_eq!(evidence(compound, "earlier_breach"), Some(attack.id.as_str()));
    assert_eq!(compound.events.last().map(String::as_str), Some("sent-1"));
}

#[test]
fn credential_attack_then_office_mail_is_quiet() {
    let (engine, mut state) = with_history();
    attack_credentials(&engine, &mut state);
    let sent = mail_sent("sent-1", ALICE, day30(10, 0), &OFFICE_DE, 3);
    let breaches = engine.process(&mut state, &sent);
    assert!(breach_of(&breaches, "saas.suspicious_login_then_outbound_email").is_none(), "{breaches:#?}");
}

#[test]
fn credential_attack_then_forwarding() {
    let (engine, mut state) = with_history();
    attack_credentials(&engine, &mut state);
    let activity = Activity::MailboxForwarding(MailboxForwarding {
        mailbox: Some(ALICE.to_owned()),
        forward_to: Some("collector@proton.me".to_owned()),
        deliver_and_forward: Some(true),
        cleared: false,
    });
    let forwarding = event("fwd-1", ALICE, day30(6, 0), &HOTEL_FR, EDGE, activity);
    let breaches = engine.process(&mut state, &forwarding);
    let compound = expect_breach(&breaches, "saas.suspicious_login_then_outbound_email");
    assert_eq!(compound.stage, Stage::Exfiltration);
    assert_eq!(compound.technique_id, "T1114.003");
}

#[test]
fn oauth_grant_then_bulk_read_by_app() {
    let (engine, mut state) = with_history();
    let grant = consent("grant-1", ALICE, day30(9, 30), &VPS_US, EXPORTER, "Mail Exporter Pro", &["Mail.ReadWrite", "offline_access"]);
    let granted = engine.process(&mut state, &grant);
    let grant_breach = expect_breach(&granted, "saas.oauth_grant").clone();

    let read = mail_read("read-1", ALICE, day30(10, 0), &VPS_US, EXPORTER, 900);
    let breaches = engine.process(&mut state, &read);
    let compound = expect_breach(&breaches, "saas.oauth_grant_then_unusual_activity");
    assert!(compound.score >= 80.0, "score {}", compound.score);
    assert_eq!(evidence(compound, "earlier_breach"), Some(grant_breach.id.as_str()));
    assert_eq!(compound.app_id.as_deref(), Some(EXPORTER));
    assert_eq!(compound.events, vec!["grant-1".to_owned(), "read-1".to_owned()]);
}

#[test]
fn grant_then_other_app_ignored() {
    let (engine, mut state) = with_history();
    let grant = consent("grant-1", ALICE, day30(9, 30), &OFFICE_DE, EXPORTER, "Mail Exporter Pro", &["Mail.ReadWrite"]);
    engine.process(&mut state, &grant);
    let read = mail_read("read-1", ALICE, day30(11, 0), &OFFICE_DE, "d3590ed6-52b3-4102-aeff-aad2292ab01c", 200);
    let breaches = engine.process(&mut state, &read);
    assert!(breach_of(&breaches, "saas.oauth_grant_then_unusual_activity").is_none(), "{breaches:#?}");
}
