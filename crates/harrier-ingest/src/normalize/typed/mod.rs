//! A fast path for the two schemas most logs arrive in: Graph `signIn` objects and Management Activity API
//! records, parsed into borrowed, typed structs instead of `serde_json::Value` trees.
//!
//! The typed path keeps the rules of [`Fields`](crate::fields::Fields): member names match in any ASCII
//! case, numbers and booleans may be written as strings, and nested objects may be JSON text. It reads a
//! record only when its members all belong to the typed shape and the operation is one it models. Any other
//! record, and any record that `Fields` would skip, returns `None`, and the caller reads it through
//! `Fields`, so both paths give the same event for every record. The raw record is stored either way.

mod activity;
mod sign_in;
pub(crate) mod value;

use harrier_model::Event;

use super::Context;

// NOTE: the shapes list the members `bench/gen_logs.py` writes, plus documented sign-in members that no
// normaliser reads. Records with other members, such as `authenticationProtocol` or `DeviceProperties`,
// take the `Fields` path.

/// Normalises `text`, one JSON object, when it has one of the typed shapes.
///
/// Text with a `\u` escape is left to the `Fields` path, which parses it in full and rejects lone
/// surrogates, as is text with a member the shapes do not list.
pub(crate) fn normalize(text: &str, context: &Context<'_>) -> Option<Event> {
    if crate::lazy::has_unicode_escape(text) {
        return None;
    }
    // A failed parse formats a serde error, so text with Graph's `createdDateTime` member tries the sign-in
    // shape first. The audit shape rejects records with that member, so the order does not change results.
    if CREATED_DATE_TIME.find(text.as_bytes()).is_some()
        && let Ok(record) = serde_json::from_str::<sign_in::SignInRecord<'_>>(text)
        && let Some(event) = sign_in::normalize(&record, context)
    {
        return Some(event);
    }
    if let Ok(record) = serde_json::from_str::<activity::AuditRecord<'_>>(text) {
        return activity::normalize(&record, context);
    }
    if let Ok(record) = serde_json::from_str::<sign_in::SignInRecord<'_>>(text) {
        return sign_in::normalize(&record, context);
    }
    None
}

/// Finds the member name that Graph sign-in objects carry and audit records do not.
static CREATED_DATE_TIME: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"createdDateTime\""));

#[cfg(test)]
mod tests;
