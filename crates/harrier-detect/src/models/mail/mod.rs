//! Models of mail messages: phishing, impersonation, malware, payment fraud, fraud lures and outbound
//! bursts.
//!
//! They read [`Activity::Email`](harrier_model::Activity::Email) events, which carry the per-message
//! verdict of harrier-mail, and the organisation's mail history learned before the message
//! ([`harrier_learn::MailHistory`]). A breach on an inbound message belongs to the recipient, and one on
//! outbound mail to the sender, so mail breaches chain with the same user's sign-in and mailbox breaches
//! into one incident.

mod attachment;
mod common;
mod credential_link;
mod fraud_lure;
mod impersonation;
mod lookalike;
mod new_contact_link;
pub mod outbound_burst;
pub mod payment_change;

use crate::model::Model;

/// Returns the mail models, in the order the engine runs them.
pub fn models() -> Vec<Box<dyn Model>> {
    vec![
        Box::new(new_contact_link::NewContactSuspiciousLink),
        Box::new(credential_link::CredentialHarvestLink),
        Box::new(impersonation::DisplayNameImpersonation),
        Box::new(lookalike::LookalikeDomain),
        Box::new(attachment::MaliciousAttachment),
        Box::new(payment_change::PaymentDetailChange),
        Box::new(fraud_lure::FraudLure),
        Box::new(outbound_burst::OutboundBurst),
    ]
}
