//! harrier's own readers read every simulated file without skipping a record, and see the attacks' typed
//! activities.

mod common;

use std::collections::HashMap;

use harrier_ingest::{Item, ReadOptions, read_file};
use harrier_model::{Activity, Event, RuleAction, SourceFormat};
use harrier_sim::ScenarioName;

/// Reads every output file and returns the events by source record id, failing on any skip.
fn read_all(run: &common::Run) -> HashMap<String, Event> {
    let mut events = HashMap::new();
    for folder in ["management-activity", "graph-signins"] {
        for (_, path) in common::files_under(&run.path().join(folder)) {
            read_file(&path, &ReadOptions::default(), &mut |item| match item {
                Item::Record(record) => {
                    let id = record.event.record_id.split_once(':').unwrap().1.to_owned();
                    events.insert(id, record.event);
                }
                Item::Skipped(skip) => panic!(
                    "{}:{} skipped: {:?}",
                    skip.path.display(),
                    skip.line,
                    skip.reason
                ),
            })
            .unwrap();
        }
    }
    events
}

#[test]
fn readers_read_every_record() {
    let run = common::run(common::small_config(31));
    let events = read_all(&run);
    assert_eq!(events.len() as u64, run.report.records);
    let sign_ins = events
        .values()
        .filter(|event| event.format == SourceFormat::GraphSignIn)
        .count();
    assert_eq!(sign_ins as u64, run.report.sign_ins);
    let tenant = run.config.tenant_id.to_ascii_lowercase();
    assert!(events.values().all(|event| event.tenant.as_str() == tenant));
}

#[test]
fn readers_type_the_attack_steps() {
    let mut config = common::small_config(32);
    config.scenarios = vec![
        ScenarioName::TakeoverChain,
        ScenarioName::BecForwardingRule,
        ScenarioName::TransportRuleExfil,
    ];
    let run = common::run(config);
    let events = read_all(&run);
    let labels = run.labels();
    let first = |instance: usize, step: &str| {
        let step = labels.scenarios[instance]
            .steps
            .iter()
            .find(|s| s.name == step)
            .unwrap();
        &events[&step.record_ids[0]]
    };

    let Activity::SignIn(failure) = &first(0, "brute_force").activity else {
        panic!("not a sign-in")
    };
    assert_eq!(failure.error_code, Some(50126));
    assert!(!failure.success);

    let Activity::InboxRule(rule) = &first(0, "inbox_rule").activity else {
        panic!("not an inbox rule")
    };
    assert_eq!(rule.name.as_deref(), Some("s"));
    assert!(
        rule.actions
            .contains(&RuleAction::MoveToFolder("RSS Subscription".to_owned()))
    );
    assert!(
        first(0, "inbox_rule").client.ip.is_some(),
        "the port is stripped from ClientIP"
    );

    let Activity::Application(registration) = &first(0, "app_registration").activity else {
        panic!("not an app change")
    };
    assert_eq!(registration.name.as_deref(), Some("PerfectData Software"));

    let consent_step = labels.scenarios[0]
        .steps
        .iter()
        .find(|s| s.name == "oauth_consent")
        .unwrap();
    let consent = consent_step
        .record_ids
        .iter()
        .find_map(|id| match &events[id].activity {
            Activity::OauthConsent(consent) => Some(consent),
            _ => None,
        });
    let consent = consent.expect("a consent record");
    assert!(
        consent.scopes.iter().any(|scope| scope == "Mail.Send"),
        "{:?}",
        consent.scopes
    );

    assert!(matches!(
        first(0, "mass_send").activity,
        Activity::MailSent(_)
    ));

    let Activity::InboxRule(forward) = &first(1, "inbox_rule").activity else {
        panic!("not an inbox rule")
    };
    assert!(
        forward
            .actions
            .iter()
            .any(|action| matches!(action, RuleAction::ForwardTo(_))),
        "{forward:?}"
    );
    assert!(
        forward
            .conditions
            .subject_or_body_contains
            .iter()
            .any(|word| word == "invoice")
    );

    let Activity::TransportRule(transport) = &first(2, "transport_rule").activity else {
        panic!("not a transport rule")
    };
    assert_eq!(transport.blind_copy_to.len(), 1);
}
