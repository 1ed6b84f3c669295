//! `labels.json` describes every injected instance, and every record id it names exists in the output.

mod common;

use std::collections::HashSet;

use harrier_sim::ScenarioName;
use harrier_sim::labels::LabelKind;

/// The steps each scenario must have, in order.
fn expected_steps(scenario: ScenarioName) -> &'static [&'static str] {
    match scenario {
        ScenarioName::TakeoverChain => &[
            "brute_force",
            "sign_in",
            "app_registration",
            "oauth_consent",
            "inbox_rule",
            "app_registration",
            "oauth_consent",
            "mass_send",
        ],
        ScenarioName::BruteForceSuccess => &["brute_force", "sign_in", "mail_access"],
        ScenarioName::PasswordSpray => &["password_spray"],
        ScenarioName::OauthConsentPhishing => &["sign_in", "oauth_consent", "mail_access"],
        ScenarioName::BecForwardingRule => &["sign_in", "mail_access", "inbox_rule"],
        ScenarioName::ImpossibleTravel => &["prior_sign_in", "sign_in", "mail_access"],
        ScenarioName::MfaFatigue => &["mfa_prompts", "sign_in", "mail_access"],
        ScenarioName::TransportRuleExfil => &["sign_in", "transport_rule"],
        ScenarioName::BenignTrip => &["sign_in_abroad", "return_home"],
        ScenarioName::BenignNewLaptop => &["device_registration", "new_device_sign_in"],
        ScenarioName::BenignConsent => &["oauth_consent"],
        ScenarioName::BenignNewsletterRule => &["inbox_rule"],
    }
}

#[test]
fn every_label_id_exists() {
    let run = common::run(common::small_config(5));
    let records = run.records_by_id();
    let labels = run.labels();
    assert_eq!(labels.scenarios.len(), ScenarioName::ALL.len());
    for scenario in &labels.scenarios {
        for step in &scenario.steps {
            assert!(
                !step.record_ids.is_empty(),
                "{} step {} has no records",
                scenario.id,
                step.name
            );
            for id in &step.record_ids {
                assert!(
                    records.contains_key(id),
                    "{} step {} names {id}, which no file contains",
                    scenario.id,
                    step.name
                );
            }
        }
    }
}

#[test]
fn every_scenario_has_its_steps() {
    let run = common::run(common::small_config(6));
    for scenario in run.labels().scenarios {
        let names: Vec<&str> = scenario
            .steps
            .iter()
            .map(|step| step.name.as_str())
            .collect();
        let expected = expected_steps(scenario.scenario);
        let spray_hit = scenario.scenario == ScenarioName::PasswordSpray && names.len() == 2;
        if spray_hit {
            assert_eq!(names, ["password_spray", "sign_in"], "{}", scenario.id);
        } else {
            assert_eq!(names, expected, "{}", scenario.id);
        }
        let kind = if scenario.scenario.is_attack() {
            LabelKind::Attack
        } else {
            LabelKind::Benign
        };
        assert_eq!(scenario.kind, kind, "{}", scenario.id);
    }
}

#[test]
fn attacks_come_from_their_attacker_ips() {
    let run = common::run(common::small_config(7));
    let records = run.records_by_id();
    for scenario in run
        .labels()
        .scenarios
        .iter()
        .filter(|scenario| scenario.kind == LabelKind::Attack)
    {
        assert!(
            !scenario.attacker_ips.is_empty(),
            "{} has no attacker address",
            scenario.id
        );
        let attacker: HashSet<&str> = scenario.attacker_ips.iter().map(String::as_str).collect();
        let from_attacker = scenario
            .steps
            .iter()
            .flat_map(|step| &step.record_ids)
            .any(|id| {
                let record = &records[id];
                let ip = record["ipAddress"]
                    .as_str()
                    .or(record["ClientIP"].as_str())
                    .unwrap_or("");
                attacker.iter().any(|address| ip.starts_with(address))
            });
        assert!(
            from_attacker,
            "{} has no record from {:?}",
            scenario.id, scenario.attacker_ips
        );
    }
}

#[test]
fn instances_hit_different_users() {
    let mut config = common::small_config(8);
    config.scenarios = vec![ScenarioName::BruteForceSuccess; 5];
    let run = common::run(config);
    let labels = run.labels();
    let users: HashSet<_> = labels
        .scenarios
        .iter()
        .map(|scenario| scenario.user.clone())
        .collect();
    assert_eq!(labels.scenarios.len(), 5);
    assert_eq!(users.len(), 5, "{users:?}");
    let ids: Vec<&str> = labels
        .scenarios
        .iter()
        .map(|scenario| scenario.id.as_str())
        .collect();
    assert_eq!(ids[4], "brute_force_success-5");
}

#[test]
fn takeover_chain_is_shaped_as_documented() {
    let mut config = common::small_config(9);
    config.scenarios = vec![ScenarioName::TakeoverChain];
    let run = common::run(config);
    let records = run.records_by_id();
    let scenario = &run.labels().scenarios[0];
    let step = |name: &str| {
        scenario
            .steps
            .iter()
            .find(|step| step.name == name)
            .unwrap()
    };

    let failures = &step("brute_force").record_ids;
    assert!(failures.len() >= 20);
    assert!(
        failures
            .iter()
            .all(|id| records[id]["status"]["errorCode"] == 50126)
    );
    let sign_in = &records[&step("sign_in").record_ids[0]];
    assert_eq!(sign_in["status"]["errorCode"], 0);

    let rule = &records[&step("inbox_rule").record_ids[0]];
    assert_eq!(rule["Operation"], "New-InboxRule");
    let parameters = rule["Parameters"].as_array().unwrap();
    let value = |name: &str| {
        parameters
            .iter()
            .find(|p| p["Name"] == name)
            .map(|p| p["Value"].clone())
    };
    assert_eq!(value("Name").unwrap(), "s");
    assert_eq!(value("MoveToFolder").unwrap(), "RSS Subscription");
    assert!(
        rule["ClientIP"].as_str().unwrap().contains(':'),
        "cmdlet ClientIP carries a port"
    );

    let consents: Vec<_> = scenario
        .steps
        .iter()
        .filter(|step| step.name == "oauth_consent")
        .collect();
    let first_consent = consents[0]
        .record_ids
        .iter()
        .map(|id| &records[id])
        .find(|r| r["Operation"] == "Consent to application.")
        .unwrap();
    assert!(first_consent.to_string().contains("PerfectData Software"));
    assert!(first_consent.to_string().contains("Mail.Send"));

    let sends = &step("mass_send").record_ids;
    assert!(sends.len() >= 1500);
    let send = &records[&sends[0]];
    assert_eq!(send["Operation"], "Send");
    assert!(
        send["Item"]["Attachments"]
            .as_str()
            .unwrap()
            .starts_with("Credit Transfer Copy.html")
    );
}

#[test]
fn tiny_tenants_still_label_correctly() {
    for days in [1, 2, 3] {
        let config = harrier_sim::SimConfig {
            users: 20,
            days,
            seed: 3,
            ..harrier_sim::SimConfig::default()
        };
        let run = common::run(config);
        let records = run.records_by_id();
        for scenario in run.labels().scenarios {
            for id in scenario.steps.iter().flat_map(|step| &step.record_ids) {
                assert!(
                    records.contains_key(id),
                    "{} names {id} after {days} days",
                    scenario.id
                );
            }
        }
    }
}
