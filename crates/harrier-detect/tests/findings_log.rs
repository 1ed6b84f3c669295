//! The analysis database's findings log: every breach and incident change in order, with the incident each
//! breach belongs to, also for a database written before the log existed.

mod common;

use common::*;
use harrier_detect::{AnalysisDb, Breach, Engine, Finding, FindingKind, IncidentSettings, TenantState};
use harrier_model::{RuleAction, RuleConditions, TenantId};
use jiff::ToSpan;

/// Saves the breaches of a VPS sign-in, then of an inbox rule from the same source, after ordinary history.
fn two_saves(db: &mut AnalysisDb) -> Vec<Breach> {
    let engine = Engine::with_defaults();
    let mut state = TenantState::default();
    let start = at("2026-01-05T00:00:00Z");
    let history = ordinary_history(&engine, &mut state, &["alice@contoso.com", "bob@contoso.com"], start, 40);
    assert!(history.iter().all(|b| b.score < 40.0), "the history raises nothing that chains");

    let attack_time = start + (40 * 24).hours();
    let mut all = Vec::new();
    for (i, events) in [
        vec![sign_in("vps-1", "alice@contoso.com", attack_time, &VPS_US, PYTHON, 0)],
        vec![inbox_rule(
            "rule-1",
            "alice@contoso.com",
            attack_time + 20.minutes(),
            &VPS_US,
            "..",
            RuleConditions { subject_contains: vec!["invoice".to_owned()], ..RuleConditions::default() },
            vec![RuleAction::MoveToFolder("RSS Feeds".to_owned()), RuleAction::MarkAsRead],
        )],
    ]
    .into_iter()
    .enumerate()
    {
        let mut breaches = Vec::new();
        // Each incident once per save, in its latest state, as the analysis saves them.
        let mut incidents = std::collections::BTreeMap::new();
        for event in &events {
            for breach in engine.process(&mut state, event) {
                for incident in state.incidents.add(&breach, &IncidentSettings::default()) {
                    incidents.insert(incident.id.clone(), incident);
                }
                breaches.push(breach);
            }
        }
        let incidents: Vec<_> = incidents.into_values().collect();

        assert!(!breaches.is_empty(), "save {i} has breaches");
        db.save(&TenantId::new(TENANT), &state, &breaches, &incidents, &mut harrier_detect::IndexBatch::default()).unwrap();
        all.extend(breaches);
    }
    all
}

#[test]
fn changes_come_in_order_with_their_incident() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = AnalysisDb::open(dir.path()).unwrap();
    let breaches = two_saves(&mut db);
    let changes = db.changes_after(0, 1000).unwrap();
    assert_eq!(db.last_change().unwrap(), changes.last().unwrap().seq);
    assert!(changes.windows(2).all(|w| w[0].seq < w[1].seq));

    let logged: Vec<&str> = changes.iter().filter(|c| c.finding.kind() == FindingKind::Breach).map(|c| c.finding.id()).collect();
    assert_eq!(logged, breaches.iter().map(|b| b.id.as_str()).collect::<Vec<_>>());
    let incident_changes: Vec<_> = changes.iter().filter(|c| c.finding.kind() == FindingKind::Incident).collect();
    assert_eq!(incident_changes.len(), 2, "the incident is logged when opened and when it grows");
    assert_eq!(incident_changes[0].first_seq, incident_changes[0].seq);
    assert_eq!(incident_changes[1].first_seq, incident_changes[0].seq);
    let Finding::Incident(incident) = &incident_changes[1].finding else { unreachable!() };
    assert_eq!(incident.breaches.len(), breaches.len(), "both entries carry the incident as it is now");
    for change in changes.iter().filter(|c| c.finding.kind() == FindingKind::Breach) {
        assert_eq!(change.incident.as_deref(), Some(incident.id.as_str()));
    }

    let after_first = db.changes_after(changes[0].seq, 1).unwrap();
    assert_eq!(after_first.len(), 1);
    assert_eq!(after_first[0].seq, changes[1].seq);
}

#[test]
fn database_without_log_is_backfilled() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = AnalysisDb::open(dir.path()).unwrap();
    let breaches = two_saves(&mut db);
    drop(db);
    // Remove the log as an older release's database would lack it.
    let connection = rusqlite::Connection::open(dir.path().join("analysis.sqlite")).unwrap();
    connection.execute_batch("DROP TABLE findings_log; DROP TABLE incident_breaches;").unwrap();
    drop(connection);

    let db = AnalysisDb::open(dir.path()).unwrap();
    let changes = db.changes_after(0, 1000).unwrap();
    assert_eq!(changes.len(), breaches.len() + 1, "each breach and the incident once");
    assert_eq!(changes.last().unwrap().finding.kind(), FindingKind::Incident);
    assert!(changes.iter().all(|c| c.incident.is_some()));
    drop(db);
    // Opening again does not log them a second time.
    let db = AnalysisDb::open(dir.path()).unwrap();
    assert_eq!(db.changes_after(0, 1000).unwrap().len(), changes.len());
}
