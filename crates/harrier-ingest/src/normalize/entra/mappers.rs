//! Builders of typed activities from an [`AuditRecord`], one per kind of change. [`super::operations`] maps
//! activity names to them.

use harrier_model::{
    Activity, AppRef, ApplicationAction, ApplicationChange, ApplicationObject, Change, OauthConsent, RoleMembership,
    UserAction, UserChange,
};

use super::operations::{AuditRecord, Target};
use super::values::{consent_scopes, consents_for_all_principals, is_guid, keys, keys_not_in};
use crate::normalize::user_key;

pub(super) fn consent(record: &AuditRecord) -> Option<Activity> {
    let target = record.target("ServicePrincipal").or(record.targets.first());
    let permissions = record.new_value("ConsentAction.Permissions").unwrap_or("");
    let app = AppRef { id: consented_app_id(record, target), name: target.and_then(|t| t.name.clone()) };
    Some(Activity::OauthConsent(OauthConsent {
        app,
        service_principal_id: target.and_then(|t| t.id.clone()),
        scopes: consent_scopes(permissions),
        admin_consent: flag(record, "ConsentContext.IsAdminConsent"),
        on_behalf_of_all: flag(record, "ConsentContext.OnBehalfOfAll") || consents_for_all_principals(permissions),
    }))
}

/// Returns the consented application's id: the unified audit log's service principal name target, else the
/// first id in `TargetId.ServicePrincipalNames`, else the `AppId` detail.
fn consented_app_id(record: &AuditRecord, target: Option<&Target>) -> Option<String> {
    target
        .and_then(|t| t.app_id.clone())
        .or_else(|| record.new_value("TargetId.ServicePrincipalNames").and_then(first_guid))
        .or_else(|| record.detail("AppId").and_then(first_guid))
}

/// True when a modified property's new value is `True` in any case.
fn flag(record: &AuditRecord, name: &str) -> bool {
    record.new_value(name).is_some_and(|value| value.trim().eq_ignore_ascii_case("true"))
}

/// Returns the first GUID in text such as `<app id>;https://app.example.com` or `["<app id>"]`.
fn first_guid(text: &str) -> Option<String> {
    text.split(|c: char| !(c.is_ascii_hexdigit() || c == '-')).find(|part| is_guid(part)).map(str::to_ascii_lowercase)
}

pub(super) fn service_principal_added(record: &AuditRecord) -> Option<Activity> {
    application(record, ApplicationAction::Added, ApplicationObject::ServicePrincipal)
}

pub(super) fn application_added(record: &AuditRecord) -> Option<Activity> {
    application(record, ApplicationAction::Added, ApplicationObject::Application)
}

pub(super) fn application_updated(record: &AuditRecord) -> Option<Activity> {
    application(record, ApplicationAction::Updated, ApplicationObject::Application)
}

pub(super) fn service_principal_updated(record: &AuditRecord) -> Option<Activity> {
    application(record, ApplicationAction::Updated, ApplicationObject::ServicePrincipal)
}

pub(super) fn application_removed(record: &AuditRecord) -> Option<Activity> {
    application(record, ApplicationAction::Removed, ApplicationObject::Application)
}

pub(super) fn service_principal_removed(record: &AuditRecord) -> Option<Activity> {
    application(record, ApplicationAction::Removed, ApplicationObject::ServicePrincipal)
}

pub(super) fn application_credentials(record: &AuditRecord) -> Option<Activity> {
    credentials(record, ApplicationAction::Updated, ApplicationObject::Application)
}

pub(super) fn service_principal_credentials_added(record: &AuditRecord) -> Option<Activity> {
    credentials(record, ApplicationAction::CredentialsAdded, ApplicationObject::ServicePrincipal)
}

pub(super) fn service_principal_credentials_removed(record: &AuditRecord) -> Option<Activity> {
    credentials(record, ApplicationAction::CredentialsRemoved, ApplicationObject::ServicePrincipal)
}

pub(super) fn application_owner_added(record: &AuditRecord) -> Option<Activity> {
    owner_added(record, ApplicationObject::Application)
}

pub(super) fn service_principal_owner_added(record: &AuditRecord) -> Option<Activity> {
    owner_added(record, ApplicationObject::ServicePrincipal)
}

/// Builds an app role assignment to a service principal or a user. The permission is the role's value
/// (`Mail.Read`), or its id when the record has no value.
pub(super) fn app_role_assigned(record: &AuditRecord) -> Option<Activity> {
    let mut change = describe(record, ApplicationAction::AppRoleAssigned, ApplicationObject::ServicePrincipal, true);
    let role = record.new_value("AppRole.Value").or_else(|| record.new_value("AppRole.Id"));
    change.permissions = role.map(str::to_owned).into_iter().collect();
    Some(Activity::Application(change))
}

/// Builds a delegated permission grant with its scopes, which the record separates by spaces.
pub(super) fn delegated_permission_granted(record: &AuditRecord) -> Option<Activity> {
    let mut change =
        describe(record, ApplicationAction::DelegatedPermissionGranted, ApplicationObject::ServicePrincipal, true);
    let scopes = record.new_value("DelegatedPermissionGrant.Scope").unwrap_or("");
    change.permissions = scopes.split_whitespace().map(str::to_owned).collect();
    Some(Activity::Application(change))
}

fn application(record: &AuditRecord, action: ApplicationAction, object: ApplicationObject) -> Option<Activity> {
    Some(Activity::Application(describe(record, action, object, false)))
}

/// Builds a credential change of an application or service principal.
///
/// The `KeyDescription` property lists every key before and after the change, so the keys added are those
/// only the new value lists, and the keys removed those only the old value lists. `fallback` is the action
/// when neither differs. The key type then comes from a `KeyType` property, where the record has one.
fn credentials(record: &AuditRecord, fallback: ApplicationAction, object: ApplicationObject) -> Option<Activity> {
    let before = record.old_value("KeyDescription").map(keys).unwrap_or_default();
    let after = record.new_value("KeyDescription").map(keys).unwrap_or_default();
    let added = keys_not_in(&after, &before);
    let removed = keys_not_in(&before, &after);
    let (action, changed) = if !added.is_empty() {
        (ApplicationAction::CredentialsAdded, added)
    } else if !removed.is_empty() {
        (ApplicationAction::CredentialsRemoved, removed)
    } else {
        (fallback, Vec::new())
    };

    let mut change = describe(record, action, object, false);
    change.credential_types = changed.iter().filter_map(|key| key.key_type.clone()).collect();
    if change.credential_types.is_empty() {
        change.credential_types = record.new_value("KeyType").map(str::to_owned).into_iter().collect();
    }
    Some(Activity::Application(change))
}

/// Builds an owner change of an application or service principal. The owner is the record's user target,
/// else the service principal target that is not the owned object.
fn owner_added(record: &AuditRecord, object: ApplicationObject) -> Option<Activity> {
    let mut change = describe(record, ApplicationAction::OwnerAdded, object, false);
    let owned = change.object_id.clone();
    let user = record.target("User").and_then(user_principal_or_name);
    let other_principal = || {
        record
            .targets
            .iter()
            .filter(|t| t.is("ServicePrincipal") && t.id != owned)
            .find_map(|t| t.name.clone().or_else(|| t.id.clone()))
    };
    change.owner = user.or_else(other_principal);
    Some(Activity::Application(change))
}

/// Describes the application or service principal a record changed.
///
/// The object is found by the `<Kind>.ObjectID` property where the record has one, else as the first target
/// of its kind. `resource_first` is for grants and role assignments, whose first service principal target is
/// the resource (Microsoft Graph, ...) rather than the client that received the permission. Without an
/// `ObjectID` property, they use the last target of the kind. They also skip `TargetId.ServicePrincipalNames`,
/// which belongs to the resource, when looking for the application id.
fn describe(
    record: &AuditRecord,
    action: ApplicationAction,
    object: ApplicationObject,
    resource_first: bool,
) -> ApplicationChange {
    let kind = match object {
        ApplicationObject::Application => "Application",
        ApplicationObject::ServicePrincipal => "ServicePrincipal",
    };
    let property = |suffix: &str| record.new_value(&format!("{kind}.{suffix}")).map(str::to_owned);
    let object_id = property("ObjectID");
    let target = object_target(record, kind, object_id.as_deref(), resource_first);

    let target_names = (!resource_first).then(|| record.new_value("TargetId.ServicePrincipalNames")).flatten();
    let app_id = property("AppId")
        .and_then(|id| first_guid(&id))
        .or_else(|| target.and_then(|t| t.app_id.clone()))
        .or_else(|| ["AppId", "AppPrincipalId"].iter().find_map(|name| record.new_value(name).and_then(first_guid)))
        .or_else(|| target_names.and_then(first_guid))
        .or_else(|| record.detail("AppId").and_then(first_guid));

    ApplicationChange {
        action,
        object,
        object_id: object_id.or_else(|| target.and_then(|t| t.id.clone())),
        app_id,
        name: property("DisplayName").or_else(|| target.and_then(|t| t.name.clone())),
        modified: record.changes(),
        ..ApplicationChange::default()
    }
}

fn object_target<'r>(
    record: &'r AuditRecord,
    kind: &str,
    object_id: Option<&str>,
    resource_first: bool,
) -> Option<&'r Target> {
    let by_id = object_id
        .and_then(|id| record.targets.iter().find(|t| t.id.as_deref().is_some_and(|own| own.eq_ignore_ascii_case(id))));
    let mut of_kind = record.targets.iter().filter(|t| t.is(kind));
    let by_kind = if resource_first { of_kind.next_back() } else { of_kind.next() };
    let untyped = || record.targets.iter().find(|t| t.kind.is_none());
    by_id.or(by_kind).or_else(untyped)
}

pub(super) fn role_member_added(record: &AuditRecord) -> Option<Activity> {
    role_membership(record, Change::Created)
}

pub(super) fn role_member_removed(record: &AuditRecord) -> Option<Activity> {
    role_membership(record, Change::Removed)
}

/// Builds a directory role membership change. Privileged Identity Management also logs requests, approvals
/// and cancellations under names that start like the changes (`Add member to role requested (PIM
/// activation)`). Those change no membership, so they stay generic.
fn role_membership(record: &AuditRecord, change: Change) -> Option<Activity> {
    let name = record.operation.as_str();
    if ["request", "cancel", "denied", "fail"].iter().any(|word| name.contains(word)) {
        return None;
    }
    let role = record
        .new_value("Role.DisplayName")
        .or_else(|| record.old_value("Role.DisplayName"))
        .map(str::to_owned)
        .or_else(|| record.target("Role").and_then(|t| t.name.clone()));
    Some(Activity::RoleMembership(RoleMembership {
        change,
        role,
        member: role_member(record),
        eligible: name.contains("eligible"),
    }))
}

/// Returns the principal whose membership changed: a user, else a service principal or group, else the first
/// target that is not the role itself.
fn role_member(record: &AuditRecord) -> Option<String> {
    let principal = ["User", "ServicePrincipal", "Group"].iter().find_map(|kind| record.target(kind));
    let other = || record.targets.iter().find(|t| !t.is("Role") && !t.is("Request") && !t.is("Directory"));
    principal.or_else(other).and_then(|t| user_principal_or_name(t).or_else(|| t.id.clone()))
}

pub(super) fn user_created(record: &AuditRecord) -> Option<Activity> {
    user_change(record, UserAction::Created)
}

/// `Update user` is an MFA change when it touched a `StrongAuthentication*` property (methods, requirement,
/// phone app details).
pub(super) fn user_updated(record: &AuditRecord) -> Option<Activity> {
    let action = if record.changed_property_starting("StrongAuthentication") {
        UserAction::MfaChanged
    } else {
        UserAction::Updated
    };
    user_change(record, action)
}

pub(super) fn user_deleted(record: &AuditRecord) -> Option<Activity> {
    user_change(record, UserAction::Deleted)
}

pub(super) fn user_disabled(record: &AuditRecord) -> Option<Activity> {
    user_change(record, UserAction::Disabled)
}

pub(super) fn user_enabled(record: &AuditRecord) -> Option<Activity> {
    user_change(record, UserAction::Enabled)
}

pub(super) fn user_password_reset(record: &AuditRecord) -> Option<Activity> {
    user_change(record, UserAction::PasswordReset)
}

pub(super) fn user_password_changed(record: &AuditRecord) -> Option<Activity> {
    user_change(record, UserAction::PasswordChanged)
}

pub(super) fn security_info_registered(record: &AuditRecord) -> Option<Activity> {
    user_change(record, UserAction::SecurityInfoRegistered)
}

pub(super) fn security_info_deleted(record: &AuditRecord) -> Option<Activity> {
    user_change(record, UserAction::SecurityInfoDeleted)
}

pub(super) fn mfa_changed(record: &AuditRecord) -> Option<Activity> {
    user_change(record, UserAction::MfaChanged)
}

pub(super) fn device_registered(record: &AuditRecord) -> Option<Activity> {
    user_change(record, UserAction::DeviceRegistered)
}

/// Builds a change to a user account. The target is the record's user target (its lower-cased user principal
/// name, else its display name), or the user principal name of an untyped target.
fn user_change(record: &AuditRecord, action: UserAction) -> Option<Activity> {
    let user = record.target("User").and_then(user_principal_or_name);
    let untyped = || {
        record
            .targets
            .iter()
            .filter(|t| t.kind.is_none())
            .find_map(|t| t.user_principal_name.as_deref().and_then(user_key))
    };
    Some(Activity::UserChange(UserChange { action, target: user.or_else(untyped), modified: record.changes() }))
}

fn user_principal_or_name(target: &Target) -> Option<String> {
    target.user_principal_name.as_deref().and_then(user_key).or_else(|| target.name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_are_found_in_lists() {
        let names = "B8E5D2A9-3c71-4f04-9a6e-0d4f7c2b1e93;https://app.example.com";
        assert_eq!(first_guid(names).as_deref(), Some("b8e5d2a9-3c71-4f04-9a6e-0d4f7c2b1e93"));
        assert_eq!(first_guid("https://graph.microsoft.com"), None);
    }
}
