//! Entra ID directory audits (Graph, Azure Monitor, Sentinel and the unified audit log), Graph security
//! alerts and Microsoft 365 Defender advanced hunting rows.

mod common;

use std::collections::BTreeSet;

use common::{fixture, kinds, read, with_operation};
use harrier_ingest::SkipReason;
use harrier_model::{
    Activity, ActorKind, ApplicationAction, ApplicationChange, ApplicationObject, Change, OauthConsent, Outcome,
    Record, RoleMembership, SecurityAlert, SourceFormat, UserAction, UserChange,
};

const SYNTHETIC_TENANT: &str = "4f1c2a7e-93d5-4b8e-a0c6-2d7e9b3f1a58";
const ADMIN_CONSENT_ID: &str = "audit:directory_0a5d9e3c-6f12-4b87-a4c9-2e7b1f8d0c53_9wmra_172993482";
const CONSENTED_APP: &str = "7e1f5a52-9a3b-4c9e-8e0b-2b8b5d6a9c31";
const CONSENTED_SERVICE_PRINCIPAL: &str = "c0d85b9e-28a7-4c0e-9c1f-2b6a1f8f1a10";

fn synthetic(name: &str) -> Vec<Record> {
    let (records, skips) = read(&fixture(&format!("saas/synthetic/entra/{name}")));
    assert!(skips.is_empty(), "{skips:?}");
    records
}

fn by_id<'r>(records: &'r [Record], record_id: &str) -> &'r Record {
    records.iter().find(|r| r.event.record_id == record_id).unwrap_or_else(|| panic!("no record {record_id}"))
}

/// Returns the only record whose operation is `operation`.
fn only<'r>(records: &'r [Record], operation: &str) -> &'r Record {
    let found = with_operation(records, operation);
    assert_eq!(found.len(), 1, "records with operation {operation:?}");
    found[0]
}

fn consent(record: &Record) -> &OauthConsent {
    match &record.event.activity {
        Activity::OauthConsent(consent) => consent,
        other => panic!("expected a consent, found {other:?}"),
    }
}

fn application(record: &Record) -> &ApplicationChange {
    match &record.event.activity {
        Activity::Application(change) => change,
        other => panic!("expected an application change, found {other:?}"),
    }
}

fn role(record: &Record) -> &RoleMembership {
    match &record.event.activity {
        Activity::RoleMembership(membership) => membership,
        other => panic!("expected a role membership change, found {other:?}"),
    }
}

fn user_change(record: &Record) -> &UserChange {
    match &record.event.activity {
        Activity::UserChange(change) => change,
        other => panic!("expected a user change, found {other:?}"),
    }
}

fn alert(record: &Record) -> &SecurityAlert {
    match &record.event.activity {
        Activity::SecurityAlert(alert) => alert,
        other => panic!("expected a security alert, found {other:?}"),
    }
}

#[test]
fn admin_consent_fields() {
    let records = synthetic("directory_audits_page.json");
    let record = by_id(&records, ADMIN_CONSENT_ID);
    let consent = consent(record);

    assert_eq!(consent.app.name.as_deref(), Some("Mail Archiver Pro"));
    assert_eq!(consent.app.id.as_deref(), Some(CONSENTED_APP));
    assert_eq!(consent.service_principal_id.as_deref(), Some(CONSENTED_SERVICE_PRINCIPAL));
    assert_eq!(consent.scopes, vec!["Mail.Read", "offline_access", "User.Read"]);
    assert!(consent.admin_consent);
    assert!(consent.on_behalf_of_all);
    assert_eq!(record.event.actor.user.as_deref(), Some("admin@contoso.com"));
    assert_eq!(record.event.client.ip.unwrap().to_string(), "198.51.100.10");
    assert!(record.event.client.user_agent.as_deref().unwrap().starts_with("Mozilla/5.0"));
    assert_eq!(record.event.outcome, Outcome::Success);
}

#[test]
fn user_consent_fields() {
    let records = synthetic("directory_audits_page.json");
    let record = only(&records, "Consent to application.");
    let consent = consent(record);

    assert_eq!(consent.scopes, vec!["Mail.Send", "User.Read"]);
    assert!(!consent.admin_consent);
    assert!(!consent.on_behalf_of_all);
    assert_eq!(record.event.actor.user.as_deref(), Some("alex.wilber@contoso.com"));
}

#[test]
fn consent_same_in_every_shape() {
    let unified = synthetic("unified_audit_log.jsonl");
    let graph = synthetic("directory_audits_page.json");
    let sentinel = synthetic("sentinel_audit_rows.json");
    let monitor = synthetic("azure_monitor_audit.json");

    let admin_consents = [
        only(&unified, "Consent to application."),
        by_id(&graph, ADMIN_CONSENT_ID),
        by_id(&sentinel, ADMIN_CONSENT_ID),
        by_id(&monitor, ADMIN_CONSENT_ID),
    ];
    let formats: Vec<_> = admin_consents.iter().map(|r| r.event.format).collect();
    assert_eq!(
        formats,
        [
            SourceFormat::ManagementActivity,
            SourceFormat::GraphDirectoryAudit,
            SourceFormat::SentinelAuditLogs,
            SourceFormat::AzureMonitorAudit
        ]
    );
    for record in &admin_consents[1..] {
        assert_eq!(consent(record), consent(admin_consents[0]), "{}", record.raw);
    }

    let user_consents = [only(&unified, "Consent to application"), only(&graph, "Consent to application.")];
    assert_eq!(consent(user_consents[0]), consent(user_consents[1]));
    assert_ne!(consent(user_consents[0]), consent(admin_consents[0]));
}

#[test]
fn audit_id_and_tenant_in_every_source() {
    let graph = synthetic("directory_audits_page.json");
    let sentinel = synthetic("sentinel_audit_rows.json");
    let monitor = synthetic("azure_monitor_audit.json");
    let copies =
        [by_id(&graph, ADMIN_CONSENT_ID), by_id(&sentinel, ADMIN_CONSENT_ID), by_id(&monitor, ADMIN_CONSENT_ID)];

    for copy in &copies {
        assert_eq!(
            copy.event.time.to_string(),
            "2024-05-08T14:02:11.441Z",
            "activityDateTime, {:?}",
            copy.event.format
        );
        assert_eq!(copy.event.workload.as_deref(), Some("AuditLogs"));
        assert_eq!(copy.event.actor, copies[0].event.actor);
    }
    assert_eq!(copies[0].event.tenant.as_str(), "default", "a Graph directory audit names no tenant");
    assert_eq!(copies[1].event.tenant.as_str(), SYNTHETIC_TENANT, "AADTenantId, not the workspace");
    assert_eq!(copies[2].event.tenant.as_str(), SYNTHETIC_TENANT);
}

#[test]
fn role_membership_changes() {
    let unified = synthetic("unified_audit_log.jsonl");
    let added = role(only(&unified, "Add member to role."));
    assert_eq!(added.change, Change::Created);
    assert_eq!(added.role.as_deref(), Some("Global Administrator"));
    assert_eq!(added.member.as_deref(), Some("meganb@contoso.com"));
    assert!(!added.eligible);

    let removed = role(only(&unified, "Remove member from role."));
    assert_eq!(removed.change, Change::Removed);
    assert_eq!(removed.role.as_deref(), Some("Global Administrator"), "read from the old value");

    let graph = synthetic("directory_audits_page.json");
    assert_eq!(role(only(&graph, "Add member to role")), added);
    let eligible = role(only(&graph, "Add eligible member to role in PIM completed (permanent)"));
    assert_eq!(eligible.role.as_deref(), Some("Exchange Administrator"));
    assert_eq!(eligible.member.as_deref(), Some("meganb@contoso.com"));
    assert!(eligible.eligible);
}

#[test]
fn panther_privileged_identity_management() {
    let (records, _) = read(&fixture("saas/panther-tests/Azure_Audit.tests.jsonl"));
    let completed = role(only(&records, "Add member to role in PIM completed (permanent)"));
    assert_eq!(completed.change, Change::Created);
    assert_eq!(completed.role.as_deref(), Some("Application Administrator"));
    assert_eq!(completed.member.as_deref(), Some("Malenia"));
    assert!(!completed.eligible);

    let requested = only(&records, "Add member to role in PIM requested (permanent)");
    assert_eq!(requested.event.kind(), "other", "a request changes no membership");
    assert_eq!(role(only(&records, "Add member to role")).role.as_deref(), Some("Application Administrator"));
}

#[test]
fn service_principal_credentials_added() {
    let unified = synthetic("unified_audit_log.jsonl");
    let change = application(only(&unified, "Add service principal credentials."));
    assert_eq!(change.action, ApplicationAction::CredentialsAdded);
    assert_eq!(change.object, ApplicationObject::ServicePrincipal);
    assert_eq!(change.credential_types, vec!["AsymmetricX509Cert"]);
    assert_eq!(change.object_id.as_deref(), Some("2b7d4e1f-9c8a-4f3e-b6d5-1a0c9e8d7f6b"));
    assert_eq!(change.app_id.as_deref(), Some("8f2c6d1e-4b3a-4e7f-9d5c-2a1b0c9d8e7f"));
    assert_eq!(change.name.as_deref(), Some("Payroll Sync"));
    assert!(change.modified.iter().all(|p| p.name != "Included Updated Properties"));

    let (records, _) = read(&fixture("saas/panther-tests/Azure_Audit.tests.jsonl"));
    let panther = application(only(&records, "Add service principal credentials"));
    assert_eq!(panther.action, ApplicationAction::CredentialsAdded);
    assert_eq!(panther.credential_types, vec!["Password"], "from the KeyType property");
    assert_eq!(panther.object_id.as_deref(), Some("sp-app-456"));

    let created = application(only(&records, "Add service principal"));
    assert_eq!(created.action, ApplicationAction::Added);
    assert_eq!(created.name.as_deref(), Some("New Automation Service"));
}

#[test]
fn golden_saml_application_changes() {
    let (records, skips) = read(&fixture("saas/otrf-goldensaml/AADAuditEvents.json"));
    assert!(skips.is_empty(), "{skips:?}");
    assert_eq!(records.len(), 4);

    let secrets = with_operation(&records, "Update application – Certificates and secrets management");
    assert_eq!(secrets.len(), 2);
    for record in &secrets {
        let change = application(record);
        assert_eq!(change.action, ApplicationAction::CredentialsAdded);
        assert_eq!(change.object, ApplicationObject::Application);
        assert_eq!(change.credential_types, vec!["Password"]);
        assert_eq!(change.object_id.as_deref(), Some("11b49e19-2326-4be6-93cb-7f37439bbd81"));
        assert_eq!(change.name.as_deref(), Some("SimuLandApp"));
        assert_eq!(record.event.actor.user.as_deref(), Some("pgustavo@simulandlabs.com"));
        assert_eq!(record.event.tenant.as_str(), "00000000-0000-0000-0000-000000000000");
    }

    let grant = application(only(&records, "Add delegated permission grant"));
    assert_eq!(grant.action, ApplicationAction::DelegatedPermissionGranted);
    assert_eq!(grant.permissions, vec!["User.Read", "Mail.ReadWrite"]);
    assert_eq!(
        grant.object_id.as_deref(),
        Some("0d2f5969-011b-460d-ac74-3291d227d49f"),
        "the client, not Microsoft Graph"
    );

    let updated = application(only(&records, "Update application"));
    assert_eq!(updated.action, ApplicationAction::Updated);
    assert_eq!(updated.modified[0].name, "RequiredResourceAccess");
}

#[test]
fn app_role_assignment_and_owner() {
    let records = synthetic("directory_audits_page.json");
    let assignment = application(only(&records, "Add app role assignment to service principal"));
    assert_eq!(assignment.action, ApplicationAction::AppRoleAssigned);
    assert_eq!(assignment.permissions, vec!["Mail.ReadWrite"]);
    assert_eq!(assignment.object_id.as_deref(), Some(CONSENTED_SERVICE_PRINCIPAL));
    assert_eq!(assignment.name.as_deref(), Some("Mail Archiver Pro"));
    assert_eq!(assignment.app_id.as_deref(), Some(CONSENTED_APP));

    let owner = application(only(&records, "Add owner to application"));
    assert_eq!(owner.action, ApplicationAction::OwnerAdded);
    assert_eq!(owner.object, ApplicationObject::Application);
    assert_eq!(owner.owner.as_deref(), Some("alex.wilber@contoso.com"));
    assert_eq!(owner.object_id.as_deref(), Some("0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"));
}

#[test]
fn user_changes_from_unified_audit_log() {
    let records = synthetic("unified_audit_log.jsonl");
    let cases = [
        ("User registered security info.", UserAction::SecurityInfoRegistered, Some("alex.wilber@contoso.com")),
        ("Disable Strong Authentication.", UserAction::MfaChanged, Some("alex.wilber@contoso.com")),
        ("Reset user password.", UserAction::PasswordReset, Some("alex.wilber@contoso.com")),
        ("Register device.", UserAction::DeviceRegistered, None),
    ];
    for (operation, action, target) in cases {
        let change = user_change(only(&records, operation));
        assert_eq!(change.action, action, "{operation}");
        assert_eq!(change.target.as_deref(), target, "{operation}");
    }
}

#[test]
fn user_changes_from_directory_audit() {
    let records = synthetic("directory_audits_page.json");
    let registered = user_change(only(&records, "User registered security info"));
    assert_eq!(registered.action, UserAction::SecurityInfoRegistered);

    let update = only(&records, "Update user");
    assert_eq!(user_change(update).action, UserAction::MfaChanged);
    assert_eq!(user_change(update).modified[0].name, "StrongAuthenticationPhoneAppDetail");
    assert_eq!(update.event.actor.kind, ActorKind::ServicePrincipal);
    assert_eq!(update.event.actor.app_id.as_deref(), Some("b5a60e17-278b-4d57-a3c9-0e6e8d5b7d5f"));
    assert_eq!(update.event.actor.display_name.as_deref(), Some("Azure MFA StrongAuthenticationService"));

    let disabled = user_change(only(&records, "Disable account"));
    assert_eq!(disabled.action, UserAction::Disabled);
    assert_eq!(disabled.target.as_deref(), Some("meganb@contoso.com"));
}

#[test]
fn panther_strong_authentication_update() {
    let (records, skips) = read(&fixture("saas/panther-tests/Microsoft365_Audit_AzureActiveDirectory.tests.jsonl"));
    assert!(skips.is_empty(), "{skips:?}");
    let updates = with_operation(&records, "Update user.");
    assert_eq!(updates.len(), 2);
    for record in updates {
        let change = user_change(record);
        assert_eq!(change.action, UserAction::MfaChanged);
        assert_eq!(change.target.as_deref(), Some("sample.user@yourorg.onmicrosoft.com"));
        assert_eq!(change.modified[0].name, "StrongAuthenticationMethod");
    }
}

#[test]
fn unmodelled_activities_stay_generic() {
    let graph = synthetic("directory_audits_page.json");
    let group = only(&graph, "Add group");
    assert_eq!(group.event.outcome, Outcome::Failure);
    match &group.event.activity {
        Activity::Other(other) => {
            assert_eq!(other.record_type.as_deref(), Some("GroupManagement"));
            assert_eq!(other.object.as_deref(), Some("Finance"));
        }
        other => panic!("expected a generic event, found {other:?}"),
    }

    let unified = synthetic("unified_audit_log.jsonl");
    assert_eq!(only(&unified, "Update group.").event.kind(), "other");
}

#[test]
fn panther_directory_audits() {
    let (records, _) = read(&fixture("saas/panther-tests/Azure_Audit.tests.jsonl"));
    let invites = with_operation(&records, "Invite external user");
    let outcomes: Vec<_> = invites.iter().map(|r| r.event.outcome).collect();
    assert_eq!(outcomes, [Outcome::Success, Outcome::Success, Outcome::Failure, Outcome::Success]);

    let federation = only(&records, "Set federation settings on domain");
    assert_eq!(federation.event.actor.user.as_deref(), Some("frodo@lotr.com"));
    assert_eq!(federation.event.client.ip.unwrap().to_string(), "2.2.2.2");
    assert_eq!(federation.event.tenant.as_str(), "tenant-123");

    let elevated =
        only(&records, "User has elevated their access to User Access Administrator for their Azure Resources");
    assert_eq!(elevated.event.outcome, Outcome::Success, "the envelope's result");
    assert_eq!(elevated.event.time.to_string(), "2025-01-15T08:45:30.1234567Z");
}

#[test]
fn hunting_export_without_time_is_skipped() {
    let (records, skips) = read(&fixture("saas/sentinel-training-lab/AuditLogs_Hunting.csv"));
    assert!(records.is_empty());
    assert_eq!(skips.len(), 5);
    for skip in &skips {
        assert_eq!(skip.reason, SkipReason::MissingTime("activityDateTime, TimeGenerated, time"));
    }
}

#[test]
fn graph_security_alerts() {
    let (records, skips) = read(&fixture("saas/panther-tests/MicrosoftGraph_SecurityAlertV2.tests.jsonl"));
    assert!(skips.is_empty(), "{skips:?}");
    assert_eq!(kinds(&records), ["security_alert"; 4]);

    let anonymous = by_id(&records, "alert:abcd12345efghijk6789");
    assert_eq!(anonymous.event.format, SourceFormat::GraphSecurityAlert);
    assert_eq!(
        alert(anonymous),
        &SecurityAlert {
            title: Some("Anonymous IP address".into()),
            category: Some("AnonymousLogin".into()),
            severity: Some("medium".into()),
            product: Some("Microsoft Defender for Identity".into()),
        }
    );
    assert_eq!(anonymous.event.actor.user.as_deref(), Some("homer.simpson@corporation.onmicrosoft.com"));
    assert_eq!(anonymous.event.actor.object_id.as_deref(), Some("011d5ede-0faa-4946-a25e-b2cd0c47a52c"));
    assert_eq!(anonymous.event.client.ip.unwrap().to_string(), "185.220.103.6");
    assert_eq!(anonymous.event.tenant.as_str(), "12345-abcde-a1b2k3");
    assert_eq!(anonymous.event.time.to_string(), "2026-04-01T14:31:48.438Z");
    assert_eq!(anonymous.event.workload.as_deref(), Some("microsoftDefenderForIdentity"));

    let spray = by_id(&records, "alert:abcdefg-123456-hijklmno");
    assert_eq!(
        alert(spray).product.as_deref(),
        Some("microsoftDefenderForIdentity"),
        "serviceSource without productName"
    );
    assert_eq!(alert(spray).severity.as_deref(), Some("high"));
    assert_eq!(spray.event.client.ip, None);

    let resolved = by_id(&records, "alert:abcdefg12345hijklmnop");
    assert_eq!(resolved.event.actor.kind, ActorKind::Unknown, "no evidence");
}

#[test]
fn defender_hunting_rows() {
    let (records, skips) = read(&fixture("saas/otrf-goldensaml/Microsoft365DefenderEvents.json"));
    assert!(skips.is_empty(), "{skips:?}");
    assert_eq!(records.len(), 9);
    let ids: BTreeSet<_> = records.iter().map(|r| r.event.record_id.as_str()).collect();
    assert_eq!(ids.len(), 9);

    let searches = with_operation(&records, "LdapSearch");
    assert_eq!(searches.len(), 5);
    let search = searches[0];
    assert_eq!(search.event.format, SourceFormat::DefenderHunting);
    assert_eq!(search.event.actor.user.as_deref(), Some("wardog@simulandlabs.com"));
    assert_eq!(search.event.record_id, "defender:adfs01.simulandlabs.com:2021-08-02t13:11:39.7724491z:113597");
    match &search.event.activity {
        Activity::Other(other) => {
            assert_eq!(other.record_type.as_deref(), Some("DefenderHunting"));
            assert_eq!(other.object.as_deref(), Some("adfs01.simulandlabs.com"));
        }
        other => panic!("expected a generic event, found {other:?}"),
    }

    let replication = with_operation(&records, "Directory Services replication");
    assert_eq!(replication.len(), 2);
    assert_eq!(replication[0].event.workload.as_deref(), Some("IdentityDirectoryEvents"));
    assert_eq!(replication[0].event.actor.user.as_deref(), Some("pgustavo@simulandlabs.com"));
    assert_eq!(replication[0].event.client.ip.unwrap().to_string(), "192.168.2.5");

    let mail = only(&records, "MailItemsAccessed");
    assert_eq!(mail.event.workload.as_deref(), Some("CloudAppEvents"));
    assert_eq!(mail.event.record_id, "defender:106830890_20893_699e0b10-1c53-403e-976f-ce0847a92b44");
    assert_eq!(mail.event.client.ip.unwrap().to_string(), "1.2.3.4");
}
