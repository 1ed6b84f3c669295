//! Carrying out approved actions through Microsoft Graph, and undoing them.

use serde_json::{Value, json};

use crate::action::ActionKind;
use crate::graph::{GraphClient, GraphError};
use crate::planner::PlannedAction;

#[derive(Debug, thiserror::Error)]
pub enum ExecuteError {
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error("{0} is carried out in Exchange Online, which the Graph executor does not reach; do it by hand")]
    Unsupported(ActionKind),
    #[error("action {id} names no {what}")]
    MissingTarget { id: String, what: &'static str },
    #[error("action {0} has no record of what undoing it needs; undo it by hand")]
    MissingUndo(String),
}

/// Carries out an action and returns what undoing it needs.
pub async fn execute(client: &GraphClient, action: &PlannedAction) -> Result<Value, ExecuteError> {
    let target = &action.target;
    let user = || target.user.as_deref().ok_or(ExecuteError::MissingTarget { id: action.id.clone(), what: "user" });
    let app = || target.app_id.as_deref().ok_or(ExecuteError::MissingTarget { id: action.id.clone(), what: "application" });
    match action.kind {
        ActionKind::RevokeSessions => {
            client.revoke_sessions(user()?).await?;
            Ok(Value::Null)
        }
        ActionKind::DisableUser => {
            client.set_user_enabled(user()?, false).await?;
            Ok(json!({ "user": user()? }))
        }
        ActionKind::RemoveInboxRule => {
            let name = target.object.as_deref().ok_or(ExecuteError::MissingTarget { id: action.id.clone(), what: "rule name" })?;
            let rule = client.delete_inbox_rule(user()?, name).await?;
            Ok(json!({ "user": user()?, "rule": rule }))
        }
        ActionKind::RevokeOauthGrant => {
            let grants = client.revoke_grants(app()?).await?;
            Ok(json!({ "grants": grants }))
        }
        ActionKind::DisableServicePrincipal => {
            client.set_service_principal_enabled(app()?, false).await?;
            Ok(json!({ "app_id": app()? }))
        }
        kind => Err(ExecuteError::Unsupported(kind)),
    }
}

/// Reverses a done action from what [`execute`] returned. Revoked sessions cannot be restored: the user
/// signs in again, so undoing a revocation changes nothing.
pub async fn undo(client: &GraphClient, action: &PlannedAction, detail: &Value) -> Result<(), ExecuteError> {
    match action.kind {
        ActionKind::RevokeSessions => Ok(()),
        ActionKind::DisableUser => {
            let user = action.target.user.as_deref().ok_or(ExecuteError::MissingTarget { id: action.id.clone(), what: "user" })?;
            Ok(client.set_user_enabled(user, true).await?)
        }
        ActionKind::RemoveInboxRule => {
            let user = detail["user"].as_str().ok_or_else(|| ExecuteError::MissingUndo(action.id.clone()))?;
            if !detail["rule"].is_object() {
                return Err(ExecuteError::MissingUndo(action.id.clone()));
            }
            Ok(client.restore_inbox_rule(user, &detail["rule"]).await?)
        }
        ActionKind::RevokeOauthGrant => {
            let grants = detail["grants"].as_array().ok_or_else(|| ExecuteError::MissingUndo(action.id.clone()))?;
            Ok(client.restore_grants(grants).await?)
        }
        ActionKind::DisableServicePrincipal => {
            let app = action.target.app_id.as_deref().ok_or(ExecuteError::MissingTarget { id: action.id.clone(), what: "application" })?;
            Ok(client.set_service_principal_enabled(app, true).await?)
        }
        kind => Err(ExecuteError::Unsupported(kind)),
    }
}
