//! The built-in models.
//!
//! Sign-in models live in `sign_in`, models of what accounts do (consents, applications, rules, mail) in
//! `activity`, models of mail messages in `mail`, and compound models that join breaches of the others in
//! `compound`. Each model is one file with its `ModelInfo`, its parameters and its tests. Compound models run last, because they read the breaches the
//! others raised on the same event.

pub mod activity;
pub mod compound;
pub mod explain;
pub mod mail;
pub mod sign_in;

use crate::model::Model;

/// Returns every built-in model, in the order the engine runs them.
pub fn all() -> Vec<Box<dyn Model>> {
    let mut models = sign_in::models();
    models.extend(activity::models());
    models.extend(mail::models());
    models.extend(compound::models());
    models
}
