//! A simulated tenant's activity served by the emulator and collected end to end.

mod common;

use std::collections::BTreeSet;

use common::*;
use harrier_sim::{SimConfig, simulate};

#[test]
fn simulated_tenant_is_collected_once() {
    let sim_dir = tempfile::tempdir().unwrap();
    let today = jiff::tz::TimeZone::UTC.to_datetime(jiff::Timestamp::now()).date();
    let config = SimConfig {
        users: 20,
        days: 3,
        start: today.saturating_sub(jiff::Span::new().days(3)),
        graph_page_size: 50,
        ..SimConfig::default()
    };
    let simulated = simulate(&config, sim_dir.path()).unwrap();

    let secret = secret();
    let emulator = emulator(DIRECTORY, &secret);
    let loaded = emulator.with(|state| {
        state.activity.content_page_size = 100;
        state.activity.graph_page_size = 200;
        state.activity.load_simulated(sim_dir.path()).unwrap()
    });
    assert_eq!(loaded as u64, simulated.records);

    let data = tempfile::tempdir().unwrap();
    let mut settings = settings(&emulator, "contoso", DIRECTORY, &secret, data.path());
    settings.sign_ins = true;
    settings.non_interactive_sign_ins = true;
    let mut collector = collector(settings);
    let runtime = runtime();
    let first = runtime.block_on(collector.poll()).unwrap();
    let second = runtime.block_on(collector.poll()).unwrap();

    assert!(first.errors().is_empty(), "{first:#?}");
    assert!(first.sources["management:Audit.Exchange"].stored > 0, "{first:#?}");
    assert!(first.sources["graph:signIns"].stored > 0, "{first:#?}");
    assert!(first.sources["graph:signIns:nonInteractive"].stored > 0, "{first:#?}");
    assert_eq!(second.stored(), 0, "{second:#?}");
    let stored = stored_ids(data.path(), "contoso");
    let unique: BTreeSet<&String> = stored.iter().collect();
    assert_eq!(unique.len(), stored.len());
    assert_eq!(stored.len() as u64, simulated.records, "{first:#?}");
}
