//! Entra ID: sign-ins and directory audits in their Graph, Azure Monitor and Sentinel shapes, the
//! `AzureActiveDirectory` workload of the unified audit log, Graph security alerts and Microsoft 365 Defender
//! advanced hunting rows.
//!
//! A sign-in or directory audit arrives in three shapes with the same fields. Graph returns the object
//! itself. Azure Monitor nests it under `properties` in an envelope (`time`, `category`, `tenantId`,
//! `callerIpAddress`, `resultType`). Sentinel stores it as a Log Analytics row whose column names differ
//! only in case, with nested values as JSON text. [`Layers`] reads the payload first and the envelope
//! second, and [`Fields`] ignores case and parses JSON text, so one reader serves all three shapes.

mod alert;
mod audit;
mod hunting;
mod mappers;
pub(super) mod mfa;
mod operations;
pub(super) mod sign_in;
pub(super) mod unified;
mod values;

use std::borrow::Cow;

use harrier_model::{Activity, Event, Outcome, SourceFormat, TenantId};
use serde_json::Value;

use super::Context;
use crate::error::SkipReason;
use crate::fields::Fields;

pub(super) fn sign_in(format: SourceFormat, record: Fields<'_>, context: &Context<'_>) -> Result<Event, SkipReason> {
    sign_in::normalize(format, record, context)
}

pub(super) fn directory_audit(
    format: SourceFormat,
    record: Fields<'_>,
    context: &Context<'_>,
) -> Result<Event, SkipReason> {
    audit::normalize(format, record, context)
}

pub(super) fn security_alert(record: Fields<'_>, context: &Context<'_>) -> Result<Event, SkipReason> {
    alert::normalize(record, context)
}

pub(super) fn defender_hunting(record: Fields<'_>, context: &Context<'_>) -> Result<Event, SkipReason> {
    hunting::normalize(record, context)
}

/// Returns the typed activity for an `AzureActiveDirectory` workload operation of the unified audit log:
/// a sign-in for `UserLoggedIn` / `UserLoginFailed`, else the mapping shared with the directory audit log.
pub(super) fn management_activity(operation: &str, record: Fields<'_>) -> Option<Activity> {
    if unified::is_sts_logon(operation) {
        return Some(Activity::SignIn(unified::sign_in(operation, record)));
    }
    operations::activity(&unified::audit_record(operation, record))
}

/// Returns a sign-in's outcome from its error code, for readers whose record-level result does not describe
/// the sign-in; `None` for other activities.
///
/// The unified audit log's `ResultStatus` reports only whether the token service's HTTP request succeeded,
/// so a `UserLoginFailed` record usually has `ResultStatus` `Success`.
pub(super) fn sign_in_outcome(activity: &Activity) -> Option<Outcome> {
    match activity {
        Activity::SignIn(sign_in) => Some(sign_in::outcome(sign_in)),
        _ => None,
    }
}

/// A record's fields, with Azure Monitor's `properties` payload searched before the envelope. Graph objects
/// and Sentinel rows have no envelope, and both layers are then the record itself.
#[derive(Clone, Copy, Debug)]
struct Layers<'a> {
    payload: Fields<'a>,
    envelope: Fields<'a>,
    /// Whether `payload` is a `properties` object apart from the envelope. When it is not, both layers are
    /// the same object and a name missing from the payload is not looked up again.
    layered: bool,
}

/// Returns a record's `properties` object, parsed when a CSV export stored it as JSON text.
fn properties<'a>(record: Fields<'a>) -> Option<Cow<'a, Value>> {
    record.json("properties").filter(|value| value.is_object())
}

impl<'a> Layers<'a> {
    fn new(envelope: Fields<'a>, properties: Option<&'a Value>) -> Layers<'a> {
        match properties.and_then(Fields::of) {
            Some(payload) => Layers { payload, envelope, layered: true },
            None => Layers { payload: envelope, envelope, layered: false },
        }
    }

    /// Returns the envelope when it is a layer apart from the payload.
    fn outer(&self) -> Option<Fields<'a>> {
        self.layered.then_some(self.envelope)
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        self.payload.get(name).or_else(|| self.outer()?.get(name))
    }

    fn str(&self, name: &str) -> Option<&'a str> {
        self.payload.str(name).or_else(|| self.outer()?.str(name))
    }

    /// Returns the first of `names` that is a string, trying each name in both layers before the next name.
    fn str_any(&self, names: &[&str]) -> Option<&'a str> {
        names.iter().find_map(|name| self.str(name))
    }

    fn json(&self, name: &str) -> Option<Cow<'a, Value>> {
        self.payload.json(name).or_else(|| self.outer()?.json(name))
    }

    fn json_any(&self, names: &[&str]) -> Option<Cow<'a, Value>> {
        names.iter().find_map(|name| self.json(name))
    }

    fn bool(&self, name: &str) -> Option<bool> {
        self.payload.bool(name).or_else(|| self.outer()?.bool(name))
    }

    fn i64(&self, name: &str) -> Option<i64> {
        self.payload.i64(name).or_else(|| self.outer()?.i64(name))
    }
}

/// Picks the tenant for an Entra record: the operator's override, else the Entra tenant id the record names.
///
/// Log Analytics rows name their workspace in `TenantId` and the Entra tenant in `AADTenantId`, so `TenantId`
/// is read only from records that are not Log Analytics rows (those without `TimeGenerated` or
/// `SourceSystem`). Azure Monitor's envelope `tenantId` wins over one inside `properties`. `extra` lists
/// further fields to try last.
fn tenant(context: &Context<'_>, fields: Layers<'_>, extra: &[&str]) -> TenantId {
    let log_analytics = ["TimeGenerated", "SourceSystem"].iter().any(|name| fields.envelope.get(name).is_some());
    let tenant_id = || {
        if log_analytics { None } else { fields.envelope.str("tenantId").or_else(|| fields.payload.str("tenantId")) }
    };
    let named = fields.str("AADTenantId").or_else(tenant_id).or_else(|| fields.str_any(extra));
    super::tenant(context, named)
}
