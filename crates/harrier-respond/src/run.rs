//! Planning the incidents that analysis opened or changed since the last planning run.

use std::collections::HashMap;

use harrier_detect::{AnalysisDb, DbError, Finding};
use jiff::Timestamp;
use serde::Serialize;

use crate::log::{ActionLog, LogError};
use crate::planner::{Decision, GuardState, plan};
use crate::policy::Policy;

#[derive(Debug, thiserror::Error)]
pub enum RespondError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Log(#[from] LogError),
}

/// Counts of one planning run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PlanSummary {
    pub incidents_planned: u64,
    /// Actions new to the action log.
    pub actions_recorded: u64,
    pub observed: u64,
    pub awaiting_approval: u64,
    /// Approved by the planner for autonomous execution.
    pub approved: u64,
    pub blocked: u64,
}

/// Entries of the findings log read per query.
const CHUNK: usize = 10_000;

/// Plans every incident changed after the log's checkpoint, records the new actions and moves the
/// checkpoint. An incident changed again is planned again, and actions already recorded keep their status.
pub fn plan_new(db: &AnalysisDb, log: &mut ActionLog, policy: &Policy, now: Timestamp) -> Result<PlanSummary, RespondError> {
    let mut summary = PlanSummary::default();
    let hour_ago = now - jiff::SignedDuration::from_hours(1);
    // Autonomous actions per tenant in the last hour: read from the log once per tenant, then counted
    // up as this run approves more, instead of reading the whole log for every incident.
    let mut autonomous: HashMap<String, usize> = HashMap::new();
    loop {
        let after = log.planned_through()?;
        let changes = db.changes_after(after, CHUNK)?;
        let Some(last) = changes.last().map(|c| c.seq) else { break };
        for change in &changes {
            let Finding::Incident(incident) = &change.finding else { continue };
            let breaches = db.breaches_by_id(incident.breaches.iter().map(String::as_str))?;
            let tenant = incident.tenant.as_str();
            let count = match autonomous.get(tenant) {
                Some(count) => *count,
                None => log.autonomous_since(tenant, hour_ago)?,
            };
            let plan = plan(incident, &breaches, policy, GuardState { autonomous_last_hour: count });
            summary.incidents_planned += 1;
            let recorded = log.record_new(&plan.actions, now)?;
            let approved = recorded.iter().filter(|a| a.decision == Decision::Execute).count();
            autonomous.insert(tenant.to_owned(), count + approved);
            let recorded = recorded.len();
            summary.actions_recorded += recorded as u64;
            for action in &plan.actions {
                match action.decision {
                    Decision::Observe => summary.observed += 1,
                    Decision::AwaitApproval => summary.awaiting_approval += 1,
                    Decision::Execute => summary.approved += 1,
                    Decision::Blocked => summary.blocked += 1,
                }
            }
        }
        log.set_planned_through(last)?;
    }
    Ok(summary)
}
