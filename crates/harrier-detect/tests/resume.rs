//! Engine state survives a restart: processing in two runs with the state saved and restored in between
//! gives the same breaches and incidents as one run.

use std::path::Path;

use harrier_detect::{Breach, Engine, IncidentSettings, TenantState};
use harrier_ingest::{Item, ReadOptions, collect_paths, read_file};
use harrier_model::Event;

fn simulated_events(dir: &Path) -> Vec<Event> {
    let config = harrier_sim::SimConfig { users: 60, days: 20, seed: 5, ..harrier_sim::SimConfig::default() };
    harrier_sim::simulate(&config, dir).unwrap();
    let intel = harrier_enrich::IpIntel::embedded().unwrap();
    let logs = [dir.join(harrier_sim::MANAGEMENT_ACTIVITY_DIR), dir.join(harrier_sim::GRAPH_SIGNINS_DIR)];
    let (files, _) = collect_paths(&logs);
    let mut events = Vec::new();
    for file in files {
        read_file(&file, &ReadOptions::default(), &mut |item| {
            if let Item::Record(mut record) = item {
                record.event.ip_info = record.event.client.ip.map(|ip| intel.lookup(ip));
                events.push(record.event);
            }
        })
        .unwrap();
    }
    events.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.record_id.cmp(&b.record_id)));
    events
}

/// Processes events and chains their breaches, returning the breaches and the incident ids changed.
fn run(engine: &Engine, state: &mut TenantState, events: &[Event]) -> (Vec<Breach>, Vec<String>) {
    let mut breaches = Vec::new();
    let mut incidents = Vec::new();
    for event in events {
        for breach in engine.process(state, event) {
            for incident in state.incidents.add(&breach, &IncidentSettings::default()) {
                incidents.push(format!("{}:{}", incident.id, incident.breaches.len()));
            }
            breaches.push(breach);
        }
    }
    (breaches, incidents)
}

#[test]
fn restart_midway_gives_same_results() {
    let dir = tempfile::tempdir().unwrap();
    let events = simulated_events(dir.path());
    let engine = Engine::with_defaults();
    let half = events.len() / 2;

    let mut one_run = TenantState::default();
    let (breaches, incidents) = run(&engine, &mut one_run, &events);
    assert!(!breaches.is_empty(), "the simulated attacks raise breaches");

    let mut first = TenantState::default();
    let (mut split_breaches, mut split_incidents) = run(&engine, &mut first, &events[..half]);
    let saved = postcard::to_stdvec(&first).unwrap();
    let mut restored: TenantState = postcard::from_bytes(&saved).unwrap();
    assert_eq!(restored, first, "state round-trips through its serialised form");
    let (rest_breaches, rest_incidents) = run(&engine, &mut restored, &events[half..]);
    split_breaches.extend(rest_breaches);
    split_incidents.extend(rest_incidents);

    assert_eq!(split_breaches, breaches);
    assert_eq!(split_incidents, incidents);
    assert_eq!(restored, one_run);
}
