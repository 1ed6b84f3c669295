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
    #[error(
        "{kind} is carried out in Exchange Online, which Microsoft Graph does not reach; run this in Exchange \
         Online PowerShell after Connect-ExchangeOnline: {command}"
    )]
    Manual { kind: ActionKind, command: String },
    #[error("action {id} names no {what}")]
    MissingTarget { id: String, what: &'static str },
    #[error("action {0} has no record of what undoing it needs; undo it by hand")]
    MissingUndo(String),
    /// The action was carried out in part before it failed; `undo` contains what reversing that part needs.
    #[error("{source}; the action was carried out in part, and `harrier actions undo` reverses that part")]
    Partial { source: GraphError, undo: Value },
}

/// Carries out an action and returns what undoing it needs. The message actions take the mailbox from the
/// target's user and the message from its object: a Graph message id, or a `Message-ID` in angle brackets.
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
            let grants = client.list_grants(app()?).await?;
            let mut revoked = Vec::with_capacity(grants.len());
            for grant in grants {
                if let Err(source) = client.delete_grant(&grant).await {
                    // The grants already deleted are kept whole (scopes included), so undo restores them.
                    return Err(ExecuteError::Partial { source, undo: json!({ "grants": revoked }) });
                }
                revoked.push(grant);
            }
            Ok(json!({ "grants": revoked }))
        }
        ActionKind::DisableServicePrincipal => {
            client.set_service_principal_enabled(app()?, false).await?;
            Ok(json!({ "app_id": app()? }))
        }
        ActionKind::MoveToJunk | ActionKind::HoldMessage => {
            let message = target.object.as_deref().ok_or(ExecuteError::MissingTarget { id: action.id.clone(), what: "message" })?;
            let message_id = client.message_id(user()?, message).await?;
            let folder = match action.kind {
                ActionKind::MoveToJunk => JUNK_FOLDER.to_owned(),
                _ => client.find_or_create_folder(user()?, HELD_FOLDER).await?,
            };
            let (moved_id, folder_id) = client.move_message(user()?, &message_id, &folder).await?;
            Ok(json!({ "user": user()?, "message_id": moved_id, "folder_id": folder_id, "original_message_id": message_id }))
        }
        ActionKind::RemoveForwarding | ActionKind::RemoveTransportRule | ActionKind::RemoveMailboxPermission => {
            Err(ExecuteError::Manual { kind: action.kind, command: exchange_command(action)? })
        }
        kind => Err(ExecuteError::Unsupported(kind)),
    }
}

/// Returns the Exchange Online PowerShell command that carries out an Exchange-only action, with the
/// mailbox, rule or grantee from the action's target.
fn exchange_command(action: &PlannedAction) -> Result<String, ExecuteError> {
    let target = &action.target;
    let missing = |what| ExecuteError::MissingTarget { id: action.id.clone(), what };
    Ok(match action.kind {
        ActionKind::RemoveForwarding => format!(
            "Set-Mailbox -Identity {} -ForwardingSmtpAddress $null -ForwardingAddress $null -DeliverToMailboxAndForward $false",
            powershell_quote(target.user.as_deref().ok_or(missing("mailbox"))?)
        ),
        ActionKind::RemoveTransportRule => format!(
            "Disable-TransportRule -Identity {} -Confirm:$false",
            powershell_quote(target.object.as_deref().ok_or(missing("transport rule name"))?)
        ),
        ActionKind::RemoveMailboxPermission => format!(
            "Remove-MailboxPermission -Identity {} -User {} -AccessRights FullAccess -InheritanceType All -Confirm:$false \
             (for Send As: Remove-RecipientPermission -Identity {0} -Trustee {1} -AccessRights SendAs -Confirm:$false)",
            powershell_quote(target.user.as_deref().ok_or(missing("mailbox"))?),
            powershell_quote(target.object.as_deref().ok_or(missing("grantee"))?)
        ),
        kind => return Err(ExecuteError::Unsupported(kind)),
    })
}

/// Quotes a value as a PowerShell single-quoted string, in which only a single quote needs escaping (by
/// doubling it).
fn powershell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// Graph's well-known name of the Junk Email folder.
const JUNK_FOLDER: &str = "junkemail";
/// The mail folder held messages are moved to, created at the top of the mailbox when missing.
pub const HELD_FOLDER: &str = "harrier-held";

/// Reverses a done action from what [`execute`] returned. Revoked sessions cannot be restored: the user
/// signs in again, so undoing a revocation changes nothing. A moved message goes back to the Inbox.
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
        ActionKind::MoveToJunk | ActionKind::HoldMessage => {
            let missing = || ExecuteError::MissingUndo(action.id.clone());
            let user = detail["user"].as_str().ok_or_else(missing)?;
            let message = detail["message_id"].as_str().ok_or_else(missing)?;
            client.move_message(user, message, "inbox").await?;
            Ok(())
        }
        kind => Err(ExecuteError::Unsupported(kind)),
    }
}
