//! Entra ID: sign-ins and directory audits in their Graph, Azure Monitor and Sentinel shapes, and the
//! `AzureActiveDirectory` workload of the unified audit log.

use harrier_model::{Activity, Event, SourceFormat};

use super::Context;
use crate::error::SkipReason;
use crate::fields::Fields;

pub(super) fn sign_in(_format: SourceFormat, _record: Fields<'_>, _context: &Context<'_>) -> Result<Event, SkipReason> {
    Err(SkipReason::Unrecognised("sign-in logs are not read yet".into()))
}

pub(super) fn directory_audit(
    _format: SourceFormat,
    _record: Fields<'_>,
    _context: &Context<'_>,
) -> Result<Event, SkipReason> {
    Err(SkipReason::Unrecognised("directory audit logs are not read yet".into()))
}

pub(super) fn security_alert(_record: Fields<'_>, _context: &Context<'_>) -> Result<Event, SkipReason> {
    Err(SkipReason::Unrecognised("security alerts are not read yet".into()))
}

pub(super) fn defender_hunting(_record: Fields<'_>, _context: &Context<'_>) -> Result<Event, SkipReason> {
    Err(SkipReason::Unrecognised("Defender hunting rows are not read yet".into()))
}

/// Returns the typed activity for an `AzureActiveDirectory` workload operation of the unified audit log.
pub(super) fn management_activity(_operation: &str, _record: Fields<'_>) -> Option<Activity> {
    None
}
