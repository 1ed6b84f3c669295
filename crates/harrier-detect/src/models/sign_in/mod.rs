//! Sign-in models: where, how and how often accounts sign in.

mod failure_burst;
mod geo;
mod impossible_travel;
mod mfa_fatigue;
mod password_spray;
mod rare_source_after_failures;
mod shared;
mod unusual_mail_location;
mod unusual_source;

use crate::model::Model;

/// Returns the sign-in models, in the order the engine runs them.
pub fn models() -> Vec<Box<dyn Model>> {
    vec![
        Box::new(unusual_source::UnusualSource),
        Box::new(failure_burst::FailureBurst),
        Box::new(password_spray::PasswordSpray),
        Box::new(mfa_fatigue::MfaFatigue),
        Box::new(rare_source_after_failures::RareSourceAfterFailures),
        Box::new(impossible_travel::ImpossibleTravel),
        Box::new(unusual_mail_location::UnusualMailLocation),
    ]
}
