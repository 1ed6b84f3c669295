//! Recognising which schema a record was written in, from its fields alone.
//!
//! Containers reveal little (a JSON line may contain a Management Activity record, a Graph sign-in or an Azure
//! Monitor batch), so every record is classified on its own by the fields that only its schema has.

use harrier_model::SourceFormat;

use crate::fields::Fields;

/// Returns the supported format names, comma-separated, for help and error messages.
pub fn format_names() -> String {
    SourceFormat::ALL.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(", ")
}

/// Entra sign-in log categories and Log Analytics table names.
const SIGN_IN_TABLES: [&str; 8] = [
    "SigninLogs",
    "SignInLogs",
    "NonInteractiveUserSignInLogs",
    "ServicePrincipalSignInLogs",
    "ManagedIdentitySignInLogs",
    "AADNonInteractiveUserSignInLogs",
    "AADServicePrincipalSignInLogs",
    "AADManagedIdentitySignInLogs",
];

fn is_sign_in_table(name: &str) -> bool {
    SIGN_IN_TABLES.iter().any(|table| table.eq_ignore_ascii_case(name))
}

/// Classifies one record; `None` when no supported schema matches.
pub fn detect(record: Fields<'_>) -> Option<SourceFormat> {
    if let Some(table) = record.str("Type")
        && let Some(format) = detect_sentinel_table(table)
    {
        return Some(format);
    }
    if record.get("properties").is_some()
        && let Some(category) = record.str("category")
    {
        return Some(if is_sign_in_table(category) {
            SourceFormat::AzureMonitorSignIn
        } else {
            SourceFormat::AzureMonitorAudit
        });
    }
    if record.get("CreationTime").is_some() && record.get("Operation").is_some() {
        return Some(SourceFormat::ManagementActivity);
    }
    if record.get("OfficeWorkload").is_some() && record.get("Operation").is_some() {
        return Some(SourceFormat::SentinelOfficeActivity);
    }
    if is_graph_alert(record) {
        return Some(SourceFormat::GraphSecurityAlert);
    }
    if record.get("createdDateTime").is_some() && record.get("status").is_some() {
        return Some(SourceFormat::GraphSignIn);
    }
    if record.get("activityDateTime").is_some() && record.get("activityDisplayName").is_some() {
        return Some(SourceFormat::GraphDirectoryAudit);
    }
    if record.get("ActionType").is_some() && record.get("Timestamp").is_some() {
        return Some(SourceFormat::DefenderHunting);
    }
    if let Some(category) = record.str("Category")
        && is_sign_in_table(category)
        && record.get("ResultType").is_some()
    {
        return Some(SourceFormat::SentinelSigninLogs);
    }
    None
}

fn detect_sentinel_table(table: &str) -> Option<SourceFormat> {
    if table.eq_ignore_ascii_case("OfficeActivity") {
        Some(SourceFormat::SentinelOfficeActivity)
    } else if is_sign_in_table(table) {
        Some(SourceFormat::SentinelSigninLogs)
    } else if table.eq_ignore_ascii_case("AuditLogs") {
        Some(SourceFormat::SentinelAuditLogs)
    } else {
        None
    }
}

fn is_graph_alert(record: Fields<'_>) -> bool {
    let odata_type = record.str_any(&["@odata.type", "at_sign_odata_type"]).unwrap_or("");
    if odata_type.contains("security.alert") {
        return true;
    }
    record.get("title").is_some()
        && record.get("severity").is_some()
        && (record.get("serviceSource").is_some() || record.get("evidence").is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn format_of(value: serde_json::Value) -> Option<SourceFormat> {
        detect(Fields::of(&value).unwrap())
    }

    #[test]
    fn each_schema_is_recognised() {
        let cases = [
            (json!({"CreationTime": "2024-01-01T00:00:00", "Operation": "New-InboxRule"}), SourceFormat::ManagementActivity),
            (json!({"creationtime": "2024-01-01 00:00:00", "operation": "Set-Mailbox"}), SourceFormat::ManagementActivity),
            (json!({"Type": "OfficeActivity", "Operation": "x"}), SourceFormat::SentinelOfficeActivity),
            (json!({"OfficeWorkload": "Exchange", "Operation": "x"}), SourceFormat::SentinelOfficeActivity),
            (json!({"Type": "SigninLogs"}), SourceFormat::SentinelSigninLogs),
            (json!({"Type": "AADNonInteractiveUserSignInLogs"}), SourceFormat::SentinelSigninLogs),
            (json!({"Type": "AuditLogs"}), SourceFormat::SentinelAuditLogs),
            (json!({"createdDateTime": "x", "status": {"errorCode": 0}}), SourceFormat::GraphSignIn),
            (json!({"activityDateTime": "x", "activityDisplayName": "Add user"}), SourceFormat::GraphDirectoryAudit),
            (json!({"category": "SignInLogs", "properties": {}}), SourceFormat::AzureMonitorSignIn),
            (json!({"category": "NonInteractiveUserSignInLogs", "properties": {}}), SourceFormat::AzureMonitorSignIn),
            (json!({"category": "AuditLogs", "properties": {}}), SourceFormat::AzureMonitorAudit),
            (json!({"@odata.type": "#microsoft.graph.security.alert", "title": "x"}), SourceFormat::GraphSecurityAlert),
            (
                json!({"createdDateTime": "x", "status": "new", "title": "Password Spray", "severity": "high", "serviceSource": "x"}),
                SourceFormat::GraphSecurityAlert,
            ),
            (json!({"Timestamp": "x", "ActionType": "LdapSearch", "DeviceName": "d"}), SourceFormat::DefenderHunting),
        ];
        for (record, expected) in cases {
            assert_eq!(format_of(record.clone()), Some(expected), "{record}");
        }
    }

    #[test]
    fn unknown_shapes_are_not_guessed() {
        assert_eq!(format_of(json!({"hello": "world"})), None);
        assert_eq!(format_of(json!({"Type": "Heartbeat"})), None);
    }
}
