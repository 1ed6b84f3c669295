//! Running the engine over stored events.

use std::collections::BTreeMap;

use harrier_store::Store;
use serde::Serialize;

use crate::db::{AnalysisDb, DbError};
use crate::engine::Engine;
use crate::index::IndexBatch;

#[derive(Debug, thiserror::Error)]
pub enum AnalyseError {
    #[error(transparent)]
    Store(#[from] harrier_store::StoreError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Counts of one analysis run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AnalysisSummary {
    /// Events processed in this run; events processed by earlier runs are skipped.
    pub events: u64,
    /// Of those, events older than the newest event an earlier run had processed: records that arrived
    /// late. They are scored and learned like the rest.
    pub late_events: u64,
    pub breaches: u64,
    pub breaches_per_model: BTreeMap<String, u64>,
    /// Incidents opened or changed in this run.
    pub incidents_changed: u64,
    pub elapsed_seconds: f64,
}

/// Processes every event stored since the last run, tenant by tenant in time order, and saves the
/// breaches, incidents and engine state.
pub fn analyse(store: &Store, db: &mut AnalysisDb, engine: &Engine) -> Result<AnalysisSummary, AnalyseError> {
    let started = std::time::Instant::now();
    let mut summary = AnalysisSummary::default();
    for tenant in store.tenants()? {
        let mut state = db.load_state(&tenant)?;
        let previous = state.cursor;
        let mut breaches = Vec::new();
        let mut incidents = BTreeMap::new();
        let mut index = IndexBatch::default();

        store.for_each_event_stored_after(&tenant, previous.stored_seq, |seq, event| {
            let time_ms = event.time.as_millisecond();
            state.cursor.stored_seq = state.cursor.stored_seq.max(seq);
            state.cursor.time_ms = state.cursor.time_ms.max(time_ms);
            summary.events += 1;
            index.add(&event, seq);
            if previous.stored_seq > 0 && time_ms < previous.time_ms {
                // NOTE: models join a late event only with what was processed before it. A late sign-in
                // therefore raises no compound breach with an inbox rule of the same session analysed earlier.
                summary.late_events += 1;
            }
            for breach in engine.process(&mut state, &event) {
                for incident in state.incidents.add(&breach, &engine.settings().incidents) {
                    incidents.insert(incident.id.clone(), incident);
                }
                *summary.breaches_per_model.entry(breach.model_id.clone()).or_default() += 1;
                breaches.push(breach);
            }
            true
        })?;

        summary.breaches += breaches.len() as u64;
        summary.incidents_changed += incidents.len() as u64;
        let incidents: Vec<_> = incidents.into_values().collect();
        db.save(&tenant, &state, &breaches, &incidents, &mut index)?;
    }
    summary.elapsed_seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}
