//! Analyst decisions on response actions: approve, reject and undo, shared by `harrier actions` and the
//! API so both follow the same rules.

use std::path::Path;

use harrier_respond::{ActionKind, ActionLog, GraphClient, LogError, Status};

/// A decision an analyst records on an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decide {
    Approve,
    Reject,
    Undo,
}

impl Decide {
    pub fn as_str(self) -> &'static str {
        match self {
            Decide::Approve => "approve",
            Decide::Reject => "reject",
            Decide::Undo => "undo",
        }
    }

    pub fn past_tense(self) -> &'static str {
        match self {
            Decide::Approve => "approved",
            Decide::Reject => "rejected",
            Decide::Undo => "undone",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    #[error(transparent)]
    Log(#[from] LogError),
    /// The action is in a state the decision does not apply to.
    #[error("{0}")]
    Conflict(String),
    /// Undoing through Graph or Postfix failed; nothing was recorded.
    #[error("{0}")]
    Failed(String),
}

/// Records a decision on action `id`. Undo first reverses the action: a held message is released with
/// `postsuper`, a SaaS action is reversed through Graph with the client `graph` builds for the action's
/// tenant, unless `record_only` is set because it was undone by hand. Returns a note for the operator (the release
/// report), if any.
pub async fn decide(
    data_dir: &Path,
    id: &str,
    decide: Decide,
    by: &str,
    record_only: bool,
    graph: impl FnOnce(&str) -> Result<GraphClient, String>,
) -> Result<Option<String>, DecideError> {
    let now = jiff::Timestamp::now();
    let mut log = ActionLog::open(data_dir)?;
    match decide {
        Decide::Approve => log.approve(id, by, now)?,
        Decide::Reject => log.reject(id, by, now)?,
        Decide::Undo => {
            let state = log.action(id)?;
            let detail = log.undo_detail(id)?;
            let partial = state.status == Status::Failed && !detail.is_null();
            if state.status != Status::Done && !partial {
                return Err(DecideError::Conflict(format!(
                    "action {id} is {}; only done actions, and failed ones carried out in part, can be undone",
                    state.status.as_str()
                )));
            }
            let mut note = None;
            if state.action.kind == ActionKind::HoldMessage {
                if !record_only {
                    let report = harrier_milter::release_held(&detail)
                        .map_err(|e| DecideError::Failed(format!("cannot release the message held by {id}: {e}")))?;
                    note = Some(report);
                }
            } else if state.action.kind.acts_on_message() {
                return Err(DecideError::Conflict(format!(
                    "action {id} changed a message that was then delivered, so it cannot be undone"
                )));
            } else if !record_only {
                let client = graph(&state.action.target.tenant).map_err(DecideError::Failed)?;
                harrier_respond::undo(&client, &state.action, &detail).await.map_err(|e| {
                    DecideError::Failed(format!("cannot undo {id}: {e}; undo it by hand, then record it with record_only"))
                })?;
            }
            log.undo(id, by, now)?;
            return Ok(note);
        }
    }
    Ok(None)
}
