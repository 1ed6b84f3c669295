//! The `AzureActiveDirectory` workload of the unified audit log: sign-ins (`UserLoggedIn`, `UserLoginFailed`)
//! and audit activities, which are read into an [`AuditRecord`].
//!
//! The unified audit log names the target of an Entra activity as a list of `{ID, Type}` pairs, each one a
//! different identity of the same object. `Type` 1 is the display name and 2 another id: `User_<object id>`,
//! the bare object id, or the object type such as `User`. `Type` 3 is a PUID, 4 a service principal name
//! (the application id) and 5 a user principal name.

use harrier_model::{AppRef, Device, Outcome, SignIn};
use serde_json::Value;

use super::mfa;
use super::operations::{AuditRecord, Target, operation_key};
use super::sign_in::code_outcome;
use super::values::{details, is_guid, modified_properties};
use crate::fields::{Fields, lookup, value_bool, value_i64, value_text};

/// Reads a unified-audit-log Entra record.
pub(super) fn audit_record(operation: &str, record: Fields<'_>) -> AuditRecord {
    let target = target(record);
    let has_target = target.id.is_some() || target.name.is_some() || target.user_principal_name.is_some();
    AuditRecord {
        operation: operation_key(operation),
        targets: if has_target { vec![target] } else { Vec::new() },
        modified: record.json("ModifiedProperties").map(|list| modified_properties(&list)).unwrap_or_default(),
        details: record.json("ExtendedProperties").map(|list| details(&list)).unwrap_or_default(),
    }
}

/// Merges the `Target` pairs into one target. `ObjectId` fills the id or user principal name when the pairs
/// lack them.
fn target(record: Fields<'_>) -> Target {
    let mut target = Target::default();
    let pairs = record.json("Target");
    for (id, kind) in pairs.as_deref().and_then(Value::as_array).into_iter().flatten().filter_map(pair) {
        match kind {
            1 => target.name = target.name.take().or(Some(id)),
            2 => read_other_id(&mut target, id),
            4 if is_guid(&id) => target.app_id = target.app_id.take().or(Some(id.to_ascii_lowercase())),
            5 => target.user_principal_name = target.user_principal_name.take().or(Some(id)),
            _ => {}
        }
    }
    if let Some(object) = record.str("ObjectId") {
        if object.contains('@') {
            target.user_principal_name.get_or_insert_with(|| object.to_owned());
        } else if is_guid(object) {
            target.id.get_or_insert_with(|| object.to_ascii_lowercase());
        }
    }
    target
}

fn pair(item: &Value) -> Option<(String, i64)> {
    let fields = Fields::of(item)?;
    let id = value_text(fields.get("ID")?)?.trim().to_owned();
    Some((id, value_i64(fields.get("Type")?)?))
}

/// Reads a `Type` 2 identity: `<Kind>_<object id>` gives both, a bare word is the object type, and a bare
/// GUID is the object id unless one is already known.
fn read_other_id(target: &mut Target, id: String) {
    if let Some((kind, object_id)) = id.split_once('_')
        && kind.bytes().all(|b| b.is_ascii_alphabetic())
        && !object_id.is_empty()
    {
        target.kind.get_or_insert_with(|| kind.to_owned());
        if !target.id.as_deref().is_some_and(is_guid) {
            target.id = Some(object_id.to_ascii_lowercase());
        }
        return;
    }
    if id.bytes().all(|b| b.is_ascii_alphabetic()) {
        target.kind = Some(id);
    } else if target.id.is_none() && is_guid(&id) {
        target.id = Some(id.to_ascii_lowercase());
    }
}

/// True for the unified audit log's sign-in operations.
pub(in crate::normalize) fn is_sts_logon(operation: &str) -> bool {
    operation.eq_ignore_ascii_case("UserLoggedIn") || operation.eq_ignore_ascii_case("UserLoginFailed")
}

/// Reads a unified-audit-log sign-in (`AzureActiveDirectoryStsLogon`, record type 15).
///
/// The record names the client application in `ApplicationId` and the resource in `ObjectId`. A failed
/// sign-in has its error code in `ErrorNumber` (or `ErrorCode`) and its reason in `LogonError`. Without a
/// code, the operation name decides success.
pub(super) fn sign_in(operation: &str, record: Fields<'_>) -> SignIn {
    let extended = record.name_values("ExtendedProperties");
    let failed = operation.eq_ignore_ascii_case("UserLoginFailed");
    let logon_error = record.str("LogonError").map(str::trim).filter(|error| !error.is_empty());
    let error_code = ["ErrorNumber", "ErrorCode"]
        .iter()
        .find_map(|name| record.get(name).and_then(value_i64))
        .and_then(|code| u32::try_from(code).ok())
        .or_else(|| logon_error.and_then(logon_error_code));
    let outcome = code_outcome(error_code).unwrap_or(if failed { Outcome::Failure } else { Outcome::Success });
    let success = outcome == Outcome::Success;

    SignIn {
        success,
        error_code,
        failure_reason: if success { None } else { logon_error.map(str::to_owned) },
        application: AppRef { id: record.str("ApplicationId").map(str::to_owned), name: None },
        resource: AppRef { id: record.str("ObjectId").map(str::to_owned), name: None },
        mfa: mfa::result(error_code, &[], None, false),
        device: unified_device(record),
        request_type: lookup(&extended, "RequestType").map(str::to_owned),
        ..SignIn::default()
    }
}

/// Returns the error code of a `LogonError` name, for records that carry the name without the code. The
/// names are those of Microsoft's AADSTS error code reference.
pub(in crate::normalize) fn logon_error_code(name: &str) -> Option<u32> {
    const CODES: [(&str, u32); 16] = [
        ("UserAccountNotFound", 50034),
        ("IdsLocked", 50053),
        ("InvalidPasswordExpiredPassword", 50055),
        ("UserDisabled", 50057),
        ("UserStrongAuthEnrollmentRequiredInterrupt", 50072),
        ("UserStrongAuthClientAuthNRequiredInterrupt", 50074),
        ("UserStrongAuthClientAuthNRequired", 50076),
        ("UserStrongAuthEnrollmentRequired", 50079),
        ("DeviceAuthenticationRequired", 50097),
        ("PasswordResetRegistrationRequiredInterrupt", 50125),
        ("InvalidUserNameOrPassword", 50126),
        ("KmsiInterrupt", 50140),
        ("CmsiInterrupt", 50199),
        ("BlockedByConditionalAccess", 53003),
        ("DelegationDoesNotExist", 65001),
        ("UserDeclinedConsent", 65004),
    ];
    CODES.iter().find(|(known, _)| known.eq_ignore_ascii_case(name)).map(|(_, code)| *code)
}

/// Reads `DeviceProperties`, whose `TrustType` is 0 (Azure AD registered), 1 (Azure AD joined) or 2 (Hybrid
/// Azure AD joined).
fn unified_device(record: Fields<'_>) -> Option<Device> {
    let pairs = record.name_values("DeviceProperties");
    let text = |name: &str| lookup(&pairs, name).map(str::to_owned);
    let flag = |name: &str| lookup(&pairs, name).and_then(|value| value_bool(&Value::String(value.to_owned())));
    let trust_type = lookup(&pairs, "TrustType").map(|value| match value {
        "0" => "Azure AD registered".to_owned(),
        "1" => "Azure AD joined".to_owned(),
        "2" => "Hybrid Azure AD joined".to_owned(),
        other => other.to_owned(),
    });
    let device = Device {
        id: text("Id"),
        name: text("DisplayName"),
        operating_system: text("OS"),
        browser: text("BrowserType"),
        trust_type,
        is_compliant: flag("IsCompliant"),
        is_managed: flag("IsManaged"),
    };
    (device != Device::default()).then_some(device)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn target_pairs_are_merged() {
        let record = json!({
            "ObjectId": "c0d85b9e-28a7-4c0e-9c1f-2b6a1f8f1a10",
            "Target": [
                {"ID": "ServicePrincipal_c0d85b9e-28a7-4c0e-9c1f-2b6a1f8f1a10", "Type": 2},
                {"ID": "c0d85b9e-28a7-4c0e-9c1f-2b6a1f8f1a10", "Type": 2},
                {"ID": "ServicePrincipal", "Type": 2},
                {"ID": "Mail Archiver", "Type": 1},
                {"ID": "7E1F5A52-9A3B-4C9E-8E0B-2B8B5D6A9C31", "Type": 2},
                {"ID": "7E1F5A52-9A3B-4C9E-8E0B-2B8B5D6A9C31", "Type": 4}
            ]
        });
        let target = target(Fields::of(&record).unwrap());
        assert_eq!(target.kind.as_deref(), Some("ServicePrincipal"));
        assert_eq!(target.id.as_deref(), Some("c0d85b9e-28a7-4c0e-9c1f-2b6a1f8f1a10"));
        assert_eq!(target.name.as_deref(), Some("Mail Archiver"));
        assert_eq!(target.app_id.as_deref(), Some("7e1f5a52-9a3b-4c9e-8e0b-2b8b5d6a9c31"));
    }

    #[test]
    fn logon_error_names() {
        assert_eq!(logon_error_code("InvalidUserNameOrPassword"), Some(50126));
        assert_eq!(logon_error_code("SomethingElse"), None);
    }
}
