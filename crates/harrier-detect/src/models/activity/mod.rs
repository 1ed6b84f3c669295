//! Models of what accounts do: consents, applications, rules, forwarding, mail and mailbox access.

mod abused;
mod activity_after_grant;
mod bulk_access;
mod common;
mod inbox_rule;
mod mailbox_forwarding;
mod mailbox_permission;
mod new_application;
mod oauth_grant;
mod outbound_spam;
mod persistence_after_login;
mod scopes;
mod transport_rule;

use crate::model::Model;

/// Returns the activity models, in the order the engine runs them.
pub fn models() -> Vec<Box<dyn Model>> {
    vec![
        Box::new(oauth_grant::OauthGrant),
        Box::new(activity_after_grant::ActivityAfterGrant),
        Box::new(new_application::NewApplication),
        Box::new(inbox_rule::NewInboxRule),
        Box::new(mailbox_forwarding::MailboxForwarding),
        Box::new(transport_rule::TransportRuleExfil),
        Box::new(mailbox_permission::MailboxPermissionGrant),
        Box::new(outbound_spam::OutboundSpam),
        Box::new(bulk_access::BulkMailboxAccess),
        Box::new(persistence_after_login::PersistenceAfterUnusualLogin),
    ]
}
