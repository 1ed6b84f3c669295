//! Response actions, their targets and modes.

use serde::{Deserialize, Serialize};

/// A kind of response action. The SaaS kinds act on Microsoft 365 and Entra ID; the message kinds act on
/// one message in the mail flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Revokes the user's sign-in sessions and refresh tokens.
    RevokeSessions,
    /// Disables the user's account.
    DisableUser,
    /// Deletes an inbox rule, keeping its definition for undo.
    RemoveInboxRule,
    /// Clears the mailbox's forwarding address.
    RemoveForwarding,
    /// Deletes or disables a transport rule.
    RemoveTransportRule,
    /// Deletes an OAuth2 permission grant (consent).
    RevokeOauthGrant,
    /// Disables a service principal.
    DisableServicePrincipal,
    /// Removes a permission another account was given on the mailbox.
    RemoveMailboxPermission,
    /// Rewrites one link of a message to a signed link-lock URL.
    LockLink,
    /// Replaces a dangerous attachment with a safe rendering.
    NeutraliseAttachment,
    /// Delivers the message to the junk folder.
    MoveToJunk,
    /// Holds the message back from delivery.
    HoldMessage,
}

impl ActionKind {
    pub const ALL: [ActionKind; 12] = [
        ActionKind::RevokeSessions,
        ActionKind::DisableUser,
        ActionKind::RemoveInboxRule,
        ActionKind::RemoveForwarding,
        ActionKind::RemoveTransportRule,
        ActionKind::RevokeOauthGrant,
        ActionKind::DisableServicePrincipal,
        ActionKind::RemoveMailboxPermission,
        ActionKind::LockLink,
        ActionKind::NeutraliseAttachment,
        ActionKind::MoveToJunk,
        ActionKind::HoldMessage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::RevokeSessions => "revoke_sessions",
            ActionKind::DisableUser => "disable_user",
            ActionKind::RemoveInboxRule => "remove_inbox_rule",
            ActionKind::RemoveForwarding => "remove_forwarding",
            ActionKind::RemoveTransportRule => "remove_transport_rule",
            ActionKind::RevokeOauthGrant => "revoke_oauth_grant",
            ActionKind::DisableServicePrincipal => "disable_service_principal",
            ActionKind::RemoveMailboxPermission => "remove_mailbox_permission",
            ActionKind::LockLink => "lock_link",
            ActionKind::NeutraliseAttachment => "neutralise_attachment",
            ActionKind::MoveToJunk => "move_to_junk",
            ActionKind::HoldMessage => "hold_message",
        }
    }

    /// Returns the evidence name that identifies the object acted on, for kinds that act on something
    /// other than the user or an application.
    pub fn object_evidence(self) -> Option<&'static str> {
        match self {
            ActionKind::RemoveInboxRule | ActionKind::RemoveTransportRule => Some("rule_name"),
            ActionKind::RemoveMailboxPermission => Some("grantee"),
            _ => None,
        }
    }

    /// Returns true for kinds that act on one message in the mail flow.
    pub fn acts_on_message(self) -> bool {
        matches!(self, ActionKind::LockLink | ActionKind::NeutraliseAttachment | ActionKind::MoveToJunk | ActionKind::HoldMessage)
    }

    /// Returns true for kinds that act on an application rather than a user.
    pub fn acts_on_application(self) -> bool {
        matches!(self, ActionKind::RevokeOauthGrant | ActionKind::DisableServicePrincipal)
    }
}

impl std::fmt::Display for ActionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much autonomy an action kind has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Records what would be done and does nothing.
    #[default]
    Observe,
    /// Queues the action for an analyst to approve or reject.
    Confirm,
    /// Carries the action out.
    Autonomous,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Observe => "observe",
            Mode::Confirm => "confirm",
            Mode::Autonomous => "autonomous",
        }
    }
}

/// The object an action acts on.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Target {
    pub tenant: String,
    /// The user or mailbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The application id of a consent or service principal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// The rule, grantee or other object named by the evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(user) = &self.user {
            parts.push(format!("user {user}"));
        }
        if let Some(app) = &self.app_id {
            parts.push(format!("application {app}"));
        }
        if let Some(object) = &self.object {
            parts.push(format!("{object:?}"));
        }
        if parts.is_empty() {
            parts.push(format!("tenant {}", self.tenant));
        }
        f.write_str(&parts.join(", "))
    }
}
