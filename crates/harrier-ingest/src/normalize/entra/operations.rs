//! The Entra audit activities harrier models, in one table shared by both audit sources.
//!
//! The unified audit log names an activity with a trailing period (`Consent to application.`) and the
//! directory audit log without one (`Consent to application`), and both carry the same targets and modified
//! properties in different spellings. Each source is first read into an [`AuditRecord`], and the activity
//! name is then looked up in [`OPERATIONS`] ignoring case, trailing periods and trailing whitespace, so both
//! shapes of one activity produce the same typed activity.

use harrier_model::{Activity, ModifiedProperty};

use super::mappers;
use crate::fields::lookup;

/// An Entra audit record in source-independent form.
#[derive(Debug, Default)]
pub(super) struct AuditRecord {
    /// The activity name as [`operation_key`] normalises it.
    pub operation: String,
    pub targets: Vec<Target>,
    /// Every target's modified properties, decoded, in source order.
    pub modified: Vec<ModifiedProperty>,
    /// `additionalDetails` (directory audit) or `ExtendedProperties` (unified audit log).
    pub details: Vec<(String, String)>,
}

/// An object an audit activity acted on.
#[derive(Debug, Default)]
pub(super) struct Target {
    pub id: Option<String>,
    pub name: Option<String>,
    /// The object type as Entra names it (`User`, `ServicePrincipal`, `Application`, `Role`, `Device`, ...).
    pub kind: Option<String>,
    pub user_principal_name: Option<String>,
    /// The application id, when the source names it (the unified audit log's service principal name).
    pub app_id: Option<String>,
}

impl Target {
    pub fn is(&self, kind: &str) -> bool {
        self.kind.as_deref().is_some_and(|own| own.eq_ignore_ascii_case(kind))
    }
}

impl AuditRecord {
    /// Returns the new value of the first modified property called `name` (any case).
    pub fn new_value(&self, name: &str) -> Option<&str> {
        self.property(name)?.new_value.as_deref()
    }

    pub fn old_value(&self, name: &str) -> Option<&str> {
        self.property(name)?.old_value.as_deref()
    }

    pub fn property(&self, name: &str) -> Option<&ModifiedProperty> {
        self.modified.iter().find(|property| property.name.eq_ignore_ascii_case(name))
    }

    pub fn detail(&self, name: &str) -> Option<&str> {
        lookup(&self.details, name)
    }

    /// Returns the first target of `kind`.
    pub fn target(&self, kind: &str) -> Option<&Target> {
        self.targets.iter().find(|target| target.is(kind))
    }

    /// Returns the modified properties worth keeping on the event, without Entra's `Included Updated
    /// Properties` list, which only repeats the other names.
    pub fn changes(&self) -> Vec<ModifiedProperty> {
        self.modified.iter().filter(|property| !property.name.eq_ignore_ascii_case(INCLUDED_UPDATED)).cloned().collect()
    }

    /// True when the record changed a property whose name starts with `prefix`, listed itself or in
    /// `Included Updated Properties`.
    pub fn changed_property_starting(&self, prefix: &str) -> bool {
        let prefix = prefix.to_ascii_lowercase();
        self.modified.iter().any(|property| {
            property.name.to_ascii_lowercase().starts_with(&prefix)
                || (property.name.eq_ignore_ascii_case(INCLUDED_UPDATED)
                    && property.new_value.as_deref().is_some_and(|names| names.to_ascii_lowercase().contains(&prefix)))
        })
    }
}

const INCLUDED_UPDATED: &str = "Included Updated Properties";

/// Builds the typed activity for one audit record, or returns `None` to keep it generic.
type Mapper = fn(&AuditRecord) -> Option<Activity>;

/// Activity names (as [`operation_key`] returns them) and their mappers. A name ending in `*` matches every
/// activity that starts with the rest, which covers the Privileged Identity Management variants of the
/// role membership activities (`Add member to role in PIM completed (permanent)`, ...).
const OPERATIONS: &[(&str, Mapper)] = &[
    ("consent to application", mappers::consent),
    ("add service principal", mappers::service_principal_added),
    ("add application", mappers::application_added),
    ("update application", mappers::application_updated),
    ("update service principal", mappers::service_principal_updated),
    ("delete application", mappers::application_removed),
    ("remove service principal", mappers::service_principal_removed),
    ("update application – certificates and secrets management", mappers::application_credentials),
    ("add service principal credentials", mappers::service_principal_credentials_added),
    ("remove service principal credentials", mappers::service_principal_credentials_removed),
    ("add owner to application", mappers::application_owner_added),
    ("add owner to service principal", mappers::service_principal_owner_added),
    ("add app role assignment to service principal", mappers::app_role_assigned),
    ("add app role assignment grant to user", mappers::app_role_assigned),
    ("add delegated permission grant", mappers::delegated_permission_granted),
    ("add member to role*", mappers::role_member_added),
    ("add eligible member to role*", mappers::role_member_added),
    ("add scoped member to role*", mappers::role_member_added),
    ("remove member from role*", mappers::role_member_removed),
    ("remove eligible member from role*", mappers::role_member_removed),
    ("remove scoped member from role*", mappers::role_member_removed),
    ("add user", mappers::user_created),
    ("update user", mappers::user_updated),
    ("delete user", mappers::user_deleted),
    ("hard delete user", mappers::user_deleted),
    ("disable account", mappers::user_disabled),
    ("enable account", mappers::user_enabled),
    ("reset user password", mappers::user_password_reset),
    ("reset password (by admin)", mappers::user_password_reset),
    ("reset password (self-service)", mappers::user_password_reset),
    ("change user password", mappers::user_password_changed),
    ("change password (self-service)", mappers::user_password_changed),
    ("set force change user password", mappers::user_updated),
    ("update stsrefreshtokenvalidfrom timestamp", mappers::user_updated),
    ("user registered security info", mappers::security_info_registered),
    ("user registered all required security info", mappers::security_info_registered),
    ("admin registered security info", mappers::security_info_registered),
    ("user deleted security info", mappers::security_info_deleted),
    ("admin deleted security info", mappers::security_info_deleted),
    ("user changed default security info", mappers::mfa_changed),
    ("admin updated security info", mappers::mfa_changed),
    ("user updated security info", mappers::mfa_changed),
    ("disable strong authentication", mappers::mfa_changed),
    ("register device", mappers::device_registered),
    ("add registered owner to device", mappers::device_registered),
    ("add registered users to device", mappers::device_registered),
];

/// Normalises an activity name for lookup: lower case, without trailing whitespace or periods.
pub(super) fn operation_key(name: &str) -> String {
    name.trim().trim_end_matches('.').trim_end().to_lowercase()
}

/// Returns the mapper for a normalised activity name. Exact names win over `*` prefixes.
fn mapper(key: &str) -> Option<Mapper> {
    let exact = OPERATIONS.iter().find(|(name, _)| !name.ends_with('*') && *name == key);
    let prefix =
        || OPERATIONS.iter().find(|(name, _)| name.strip_suffix('*').is_some_and(|start| key.starts_with(start)));
    exact.or_else(prefix).map(|(_, mapper)| *mapper)
}

/// Returns the typed activity for an audit record, or `None` when the activity is not modelled.
pub(super) fn activity(record: &AuditRecord) -> Option<Activity> {
    mapper(&record.operation)?(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_in_both_spellings() {
        assert_eq!(operation_key("Consent to application."), "consent to application");
        assert_eq!(operation_key("Consent to application"), "consent to application");
        assert_eq!(
            operation_key("Update application – Certificates and secrets management "),
            "update application – certificates and secrets management"
        );
        assert!(mapper("consent to application").is_some());
        assert!(mapper("add member to role in pim completed (permanent)").is_some());
        assert!(mapper("add member to group").is_none());
    }

    #[test]
    fn every_name_is_normalised() {
        for (name, _) in OPERATIONS {
            let name = name.trim_end_matches('*');
            assert_eq!(operation_key(name), name, "{name}");
        }
    }
}
