//! Entra ID sign-ins read from Graph, Azure Monitor, Sentinel and the unified audit log.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{fixture, read, with_operation};
use harrier_ingest::SkipReason;
use harrier_model::{ActorKind, MfaResult, Outcome, Record, SignIn, SignInType, SourceFormat};

const SYNTHETIC_TENANT: &str = "4f1c2a7e-93d5-4b8e-a0c6-2d7e9b3f1a58";
const SHARED_SIGN_IN: &str = "signin:5c8d1e2f-6a7b-4c3d-9e0f-1a2b3c4d5e00";

fn sign_in(record: &Record) -> &SignIn {
    match &record.event.activity {
        harrier_model::Activity::SignIn(sign_in) => sign_in,
        other => panic!("expected a sign-in, found {other:?} in {}", record.raw),
    }
}

/// Reads a Panther test file and returns its records keyed by `rule_id/test_name`.
fn panther_cases(name: &str) -> BTreeMap<String, Record> {
    let path = fixture(&format!("saas/panther-tests/{name}"));
    let (records, skips) = read(&path);
    assert!(skips.is_empty(), "{skips:?}");
    let names: Vec<String> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|line| {
            let case: serde_json::Value = serde_json::from_str(line).unwrap();
            format!("{}/{}", case["rule_id"].as_str().unwrap(), case["test_name"].as_str().unwrap())
        })
        .collect();
    assert_eq!(names.len(), records.len());
    names.into_iter().zip(records).collect()
}

fn case<'c>(cases: &'c BTreeMap<String, Record>, name: &str) -> &'c Record {
    cases.get(name).unwrap_or_else(|| panic!("no case {name}"))
}

fn synthetic(name: &str) -> Vec<Record> {
    let (records, skips) = read(&fixture(&format!("saas/synthetic/entra/{name}")));
    assert!(skips.is_empty(), "{skips:?}");
    records
}

fn by_id<'r>(records: &'r [Record], record_id: &str) -> &'r Record {
    records.iter().find(|r| r.event.record_id == record_id).unwrap_or_else(|| panic!("no record {record_id}"))
}

#[test]
fn panther_azure_audit_reads_every_case() {
    let cases = panther_cases("Azure_Audit.tests.jsonl");
    assert_eq!(cases.len(), 48);

    let sign_ins = cases.values().filter(|r| r.event.kind() == "sign_in").count();
    let audits = cases.values().filter(|r| r.event.format == SourceFormat::AzureMonitorAudit).count();
    assert_eq!(sign_ins, 27);
    assert_eq!(audits, 21);
    for record in cases.values().filter(|r| r.event.kind() == "sign_in") {
        assert_eq!(record.event.format, SourceFormat::AzureMonitorSignIn, "{}", record.raw);
        assert_eq!(record.event.operation, "Sign-in activity");
    }
}

#[test]
fn panther_lockout_has_error_code() {
    let cases = panther_cases("Azure_Audit.tests.jsonl");
    let record = case(&cases, "Azure.Audit.ExcessiveAccountLockouts/Account Lockout Error 50053");
    let sign_in = sign_in(record);

    assert_eq!(sign_in.error_code, Some(50053));
    assert!(!sign_in.success);
    assert_eq!(record.event.outcome, Outcome::Failure);
    assert!(sign_in.failure_reason.as_deref().unwrap().starts_with("The account is locked"));
    assert_eq!(sign_in.mfa, MfaResult::NotRequired);
    assert_eq!(sign_in.location.as_ref().unwrap().country.as_deref(), Some("RU"));
    assert_eq!(record.event.actor.user.as_deref(), Some("boromir@lotr.com"));
    assert_eq!(record.event.client.user_agent.as_deref(), Some("python-requests/2.28.0"));
}

#[test]
fn panther_service_principal_sign_in() {
    let cases = panther_cases("Azure_Audit.tests.jsonl");
    let record = case(&cases, "Azure.Audit.ManyFailedSignIns/Failed Sign-In");
    let sign_in = sign_in(record);
    let actor = &record.event.actor;

    assert_eq!(actor.kind, ActorKind::ServicePrincipal);
    assert_eq!(actor.user, None);
    assert_eq!(actor.object_id.as_deref(), Some("b1c34143-e405-4058-8e29-84596ad737b8"));
    assert_eq!(actor.app_id.as_deref(), Some("cfceb902-8fab-4f8c-88ba-374d3c975c3a"));
    assert_eq!(actor.display_name.as_deref(), Some("some-service-principal"));
    assert_eq!(sign_in.error_code, Some(7000215));
    assert_eq!(sign_in.sign_in_type, SignInType::ServicePrincipal);
    assert_eq!(sign_in.interactive, Some(false));
    assert_eq!(sign_in.resource.id.as_deref(), Some("037694de-8c7d-498d-917d-edb650090fa5"));
    assert_eq!(record.event.workload.as_deref(), Some("ServicePrincipalSignInLogs"));
    assert_eq!(record.event.record_id, "signin:36658c78-02d9-4d8f-84ee-5ca4a3fdefef");
    assert_eq!(record.event.tenant.as_str(), "a2aa49aa-2c0c-49d2-af87-f402c421df0b");
    assert_eq!(record.event.time.to_string(), "2023-07-26T22:58:30.9832019Z");
}

#[test]
fn panther_legacy_auth_satisfied_by_claim() {
    let cases = panther_cases("Azure_Audit.tests.jsonl");
    let record = case(&cases, "Azure.Audit.LegacyAuth/Sign-In with legacy auth");
    let sign_in = sign_in(record);

    assert_eq!(sign_in.client_app.as_deref(), Some("Authenticated SMTP"));
    assert!(sign_in.legacy_auth);
    assert_eq!(sign_in.mfa, MfaResult::SatisfiedByClaim);
    assert_eq!(sign_in.auth_methods, vec!["Password"]);
    assert_eq!(sign_in.auth_requirement.as_deref(), Some("singleFactorAuthentication"));
    assert_eq!(record.event.client.ip.unwrap().to_string(), "12.12.12.12");
    assert_eq!(record.event.tenant.as_str(), "c5fd010a-2972-4be2-9c67-986ceca2a042");
    assert_eq!(record.event.actor.user.as_deref(), Some("eve@lexcorp.com"));
}

#[test]
fn panther_ropc_sign_ins() {
    let cases = panther_cases("Azure_Audit.tests.jsonl");
    let failed = case(&cases, "Azure.Audit.ROPCLoginNoMFA/Failed ROPC Login");
    let failed_sign_in = sign_in(failed);
    assert_eq!(failed_sign_in.error_code, Some(50126));
    assert_eq!(failed.event.outcome, Outcome::Failure);
    assert!(failed_sign_in.legacy_auth, "Other clients is a legacy client app");
    assert_eq!(failed_sign_in.authentication_protocol.as_deref(), Some("ropc"));

    let succeeded = sign_in(case(&cases, "Azure.Audit.ROPCLoginNoMFA/ROPC Login Without MFA"));
    assert!(succeeded.success);
    assert_eq!(succeeded.mfa, MfaResult::NotRequired);
    assert_eq!(succeeded.interactive, Some(false), "isInteractive is false in the interactive log");
    assert_eq!(succeeded.sign_in_type, SignInType::Interactive);
}

#[test]
fn panther_non_interactive_category() {
    let cases = panther_cases("Azure_Audit.tests.jsonl");
    let name = "Azure.Audit.GraphSessionMultipleIPs/Non-Interactive Sign-In via NonInteractiveUserSignInLogs Category";
    let record = case(&cases, name);
    let sign_in = sign_in(record);

    assert_eq!(sign_in.sign_in_type, SignInType::NonInteractive);
    assert_eq!(sign_in.interactive, Some(false));
    assert_eq!(record.event.workload.as_deref(), Some("NonInteractiveUserSignInLogs"));
    assert_eq!(sign_in.resource.id.as_deref(), Some("00000003-0000-0000-c000-000000000000"));
}

#[test]
fn panther_result_text_without_status() {
    let cases = panther_cases("Azure_Audit.tests.jsonl");
    let record = case(&cases, "Azure.Audit.GraphSessionMultipleIPs/Multiple IP Access to Same Microsoft Graph Session");
    let sign_in = sign_in(record);

    assert_eq!(sign_in.error_code, None);
    assert!(sign_in.success);
    assert_eq!(record.event.outcome, Outcome::Success);
}

#[test]
fn panther_risk_and_device_code() {
    let cases = panther_cases("Azure_Audit.tests.jsonl");
    let risky = sign_in(case(&cases, "Azure.Audit.HighRiskSignIn/High Risk During Sign-In"));
    assert_eq!(risky.risk_level.as_deref(), Some("high"));
    assert_eq!(risky.conditional_access.as_deref(), Some("success"));

    let device_code = sign_in(case(&cases, "Azure.Audit.DeviceCodeBrokerClient/Device Code Auth with Broker Client"));
    assert_eq!(device_code.authentication_protocol.as_deref(), Some("deviceCode"));
    assert_eq!(device_code.error_code, Some(0));
    assert_eq!(device_code.device.as_ref().unwrap().id.as_deref(), Some("device-attacker-456"));
}

#[test]
fn sentinel_adele_sign_ins() {
    let (records, skips) = read(&fixture("saas/sentinel-training-lab/sign-in_adelete.csv"));
    assert!(skips.is_empty(), "{skips:?}");
    assert_eq!(records.len(), 56);

    let users: BTreeSet<_> = records.iter().map(|r| r.event.actor.user.clone()).collect();
    let addresses: BTreeSet<_> = records.iter().map(|r| r.event.client.ip.map(|ip| ip.to_string())).collect();
    let ids: BTreeSet<_> = records.iter().map(|r| r.event.record_id.as_str()).collect();
    assert_eq!(users, BTreeSet::from([Some("adelev@m365x816222.onmicrosoft.com".to_owned())]));
    assert_eq!(addresses, BTreeSet::from([Some("175.45.176.99".to_owned())]));
    assert_eq!(ids.len(), 56);

    let mut codes: BTreeMap<u32, usize> = BTreeMap::new();
    for record in &records {
        *codes.entry(sign_in(record).error_code.unwrap()).or_default() += 1;
    }
    assert_eq!(codes, BTreeMap::from([(0, 53), (16000, 2), (50058, 1)]));

    for record in &records {
        let sign_in = sign_in(record);
        assert_eq!(record.event.format, SourceFormat::SentinelSigninLogs);
        assert_eq!(
            record.event.tenant.as_str(),
            "2ad3fc79-1859-42fa-9011-6f8df2251b22",
            "AADTenantId, not the workspace"
        );
        assert_eq!(sign_in.mfa, MfaResult::NotRequired, "{}", record.raw);
        assert_eq!(sign_in.interactive, Some(true));
        assert_eq!(sign_in.location.as_ref().unwrap().city.as_deref(), Some("Azor"));
        assert_eq!(sign_in.location.as_ref().unwrap().country.as_deref(), Some("IL"));
    }
    let first = by_id(&records, "signin:cfb68155-70f5-4e28-b046-0a3a7086c401");
    assert_eq!(first.event.time.to_string(), "2021-04-28T14:08:45.221Z");
    assert_eq!(sign_in(first).application.name.as_deref(), Some("Azure Portal"));
    assert_eq!(sign_in(first).auth_methods, vec!["Previously satisfied"]);
}

#[test]
fn sentinel_disabled_account_rows() {
    let (records, skips) = read(&fixture("saas/sentinel-training-lab/disable_accounts.csv"));
    assert!(skips.is_empty(), "{skips:?}");
    assert_eq!(records.len(), 4);

    for record in &records {
        let sign_in = sign_in(record);
        assert_eq!(sign_in.error_code, Some(50057));
        assert_eq!(record.event.outcome, Outcome::Failure);
        assert_eq!(
            sign_in.failure_reason.as_deref(),
            Some("User account is disabled. The account has been disabled by an administrator.")
        );
        let location = sign_in.location.as_ref().unwrap();
        assert_eq!(location.country.as_deref(), Some("KP"));
        assert_eq!(location.latitude, None, "the export's latitude is out of range");
        assert_eq!(location.longitude, None);
    }
    let first = by_id(&records, "signin:698711b3-cf4e-45f4-ae04-d4e340f06b00");
    assert_eq!(first.event.time.to_string(), "2021-04-19T12:13:19.4834758Z", "the authentication step's time");
}

#[test]
fn sentinel_summary_row_is_skipped() {
    let (records, skips) = read(&fixture("saas/sentinel-training-lab/signinLogs.csv"));
    assert!(records.is_empty());
    assert_eq!(skips.len(), 1);
    match &skips[0].reason {
        SkipReason::Unrecognised(reason) => {
            assert!(reason.contains("summarised query result"), "{reason}");
            assert!(reason.contains("export the SigninLogs rows"), "{reason}");
        }
        other => panic!("unexpected skip {other:?}"),
    }
}

#[test]
fn graph_page_mfa_results() {
    let records = synthetic("graph_signins_page.json");
    assert_eq!(records.len(), 5, "the page's value array, without @odata.nextLink");

    let expected = [
        ("5c8d1e2f-6a7b-4c3d-9e0f-1a2b3c4d5e00", Some(0), MfaResult::Satisfied, Outcome::Success),
        ("5c8d1e2f-6a7b-4c3d-9e0f-1a2b3c4d5e01", Some(50074), MfaResult::Interrupted, Outcome::Partial),
        ("5c8d1e2f-6a7b-4c3d-9e0f-1a2b3c4d5e02", Some(500121), MfaResult::Failed, Outcome::Failure),
        ("5c8d1e2f-6a7b-4c3d-9e0f-1a2b3c4d5e03", Some(50126), MfaResult::NotRequired, Outcome::Failure),
        ("5c8d1e2f-6a7b-4c3d-9e0f-1a2b3c4d5e04", Some(0), MfaResult::SatisfiedByClaim, Outcome::Success),
    ];
    for (id, code, mfa, outcome) in expected {
        let record = by_id(&records, &format!("signin:{id}"));
        assert_eq!(sign_in(record).error_code, code, "{id}");
        assert_eq!(sign_in(record).mfa, mfa, "{id}");
        assert_eq!(record.event.outcome, outcome, "{id}");
        assert_eq!(record.event.format, SourceFormat::GraphSignIn);
    }
}

#[test]
fn graph_page_sign_in_fields() {
    let records = synthetic("graph_signins_page.json");
    let completed = by_id(&records, SHARED_SIGN_IN);
    let sign_in = sign_in(completed);
    assert_eq!(sign_in.auth_methods, vec!["Password", "Mobile app notification"]);
    assert_eq!(sign_in.failure_reason, None, "a successful sign-in has no failure reason");
    assert_eq!(sign_in.resource.name.as_deref(), Some("Office 365 Exchange Online"));
    assert_eq!(sign_in.correlation_id.as_deref(), Some("1f0e2d3c-4b5a-4978-8a6b-5c4d3e2f1a01"));
    let location = sign_in.location.as_ref().unwrap();
    assert_eq!((location.country.as_deref(), location.city.as_deref()), (Some("DE"), Some("Berlin")));
    assert_eq!((location.latitude, location.longitude), (Some(52.52), Some(13.405)));
    assert_eq!(completed.event.actor.user.as_deref(), Some("alex.wilber@contoso.com"), "lower-cased");
    assert_eq!(completed.event.actor.object_id.as_deref(), Some("7a1e3c55-0b2d-4f6a-9c8e-51d4b2a7e930"));
    assert_eq!(completed.event.tenant.as_str(), "default", "a Graph sign-in names no tenant");

    let imap = sign_in_of(&records, "signin:5c8d1e2f-6a7b-4c3d-9e0f-1a2b3c4d5e03");
    assert_eq!(imap.client_app.as_deref(), Some("IMAP4"));
    assert!(imap.legacy_auth);

    let refresh = sign_in_of(&records, "signin:5c8d1e2f-6a7b-4c3d-9e0f-1a2b3c4d5e04");
    assert_eq!(refresh.sign_in_type, SignInType::NonInteractive);
    assert_eq!(refresh.interactive, Some(false));
}

fn sign_in_of<'r>(records: &'r [Record], record_id: &str) -> &'r SignIn {
    sign_in(by_id(records, record_id))
}

#[test]
fn azure_monitor_batch_of_each_log() {
    let records = synthetic("azure_monitor_signins.json");
    let workloads: Vec<_> = records.iter().map(|r| r.event.workload.as_deref().unwrap()).collect();
    assert_eq!(
        workloads,
        ["SignInLogs", "NonInteractiveUserSignInLogs", "ServicePrincipalSignInLogs", "ManagedIdentitySignInLogs"]
    );

    let kinds: Vec<_> = records.iter().map(|r| r.event.actor.kind).collect();
    assert_eq!(kinds, [ActorKind::User, ActorKind::User, ActorKind::ServicePrincipal, ActorKind::ManagedIdentity]);
    for record in &records {
        assert_eq!(record.event.format, SourceFormat::AzureMonitorSignIn);
        assert_eq!(record.event.tenant.as_str(), SYNTHETIC_TENANT);
        assert!(sign_in(record).success);
    }

    let service = &records[2];
    assert_eq!(service.event.actor.object_id.as_deref(), Some("2b7d4e1f-9c8a-4f3e-b6d5-1a0c9e8d7f6b"));
    assert_eq!(service.event.actor.app_id.as_deref(), Some("8f2c6d1e-4b3a-4e7f-9d5c-2a1b0c9d8e7f"));
    assert_eq!(service.event.actor.user, None);
    assert_eq!(sign_in(service).resource.id.as_deref(), Some("00000003-0000-0000-c000-000000000000"));
    assert_eq!(
        service.event.time.to_string(),
        "2024-05-06T11:45:30.1234567Z",
        "createdDateTime, not the envelope's time"
    );

    let managed = &records[3];
    assert_eq!(sign_in(managed).sign_in_type, SignInType::ManagedIdentity);
    assert_eq!(managed.event.client.ip, None, "the record has an empty address");

    let refresh = sign_in(&records[1]);
    assert_eq!(refresh.mfa, MfaResult::SatisfiedByClaim);
    assert_eq!(refresh.interactive, Some(false));
}

#[test]
fn same_sign_in_same_id_in_every_source() {
    let graph = synthetic("graph_signins_page.json");
    let monitor = synthetic("azure_monitor_signins.json");
    let sentinel = synthetic("sentinel_signin_rows.json");
    let copies = [by_id(&graph, SHARED_SIGN_IN), by_id(&monitor, SHARED_SIGN_IN), by_id(&sentinel, SHARED_SIGN_IN)];

    let formats: Vec<_> = copies.iter().map(|r| r.event.format).collect();
    assert_eq!(
        formats,
        [SourceFormat::GraphSignIn, SourceFormat::AzureMonitorSignIn, SourceFormat::SentinelSigninLogs]
    );
    for copy in &copies[1..] {
        assert_eq!(copy.event.time, copies[0].event.time);
        assert_eq!(copy.event.activity, copies[0].event.activity, "{}", copy.raw);
        assert_eq!(copy.event.actor, copies[0].event.actor);
        assert_eq!(copy.event.client, copies[0].event.client);
        assert_eq!(copy.event.tenant.as_str(), SYNTHETIC_TENANT);
    }

    let refresh = by_id(&sentinel, "signin:6d9e2f3a-7b8c-4d4e-8f1a-2b3c4d5e6f10");
    assert_eq!(sign_in(refresh).sign_in_type, SignInType::NonInteractive, "AADNonInteractiveUserSignInLogs table");
    assert_eq!(refresh.event.activity, by_id(&monitor, "signin:6d9e2f3a-7b8c-4d4e-8f1a-2b3c4d5e6f10").event.activity);
}

#[test]
fn unified_audit_log_sign_ins() {
    let records = synthetic("unified_audit_log.jsonl");

    let logged_in = with_operation(&records, "UserLoggedIn");
    assert_eq!(logged_in.len(), 1);
    let success = sign_in(logged_in[0]);
    assert!(success.success);
    assert_eq!(success.error_code, Some(0));
    assert_eq!(success.request_type.as_deref(), Some("OAuth2:Token"));
    assert_eq!(success.application.id.as_deref(), Some("4765445b-32c6-49b0-83e6-1d93765276ca"));
    assert_eq!(success.resource.id.as_deref(), Some("00000003-0000-0ff1-ce00-000000000000"));
    assert_eq!(success.device.as_ref().unwrap().trust_type.as_deref(), Some("Azure AD joined"));
    assert_eq!(success.device.as_ref().unwrap().is_compliant, Some(false));

    let failed = with_operation(&records, "UserLoginFailed");
    assert_eq!(failed.len(), 2);
    let interrupted = failed.iter().find(|r| sign_in(r).error_code == Some(50074)).unwrap();
    assert_eq!(interrupted.event.outcome, Outcome::Partial);
    assert_eq!(sign_in(interrupted).mfa, MfaResult::Interrupted);
    let wrong_password = failed.iter().find(|r| sign_in(r).error_code == Some(50126)).unwrap();
    assert_eq!(wrong_password.event.outcome, Outcome::Failure, "ResultStatus Success is the HTTP result only");
    assert_eq!(sign_in(wrong_password).failure_reason.as_deref(), Some("InvalidUserNameOrPassword"));
}

#[test]
fn panther_unified_login_failed() {
    let cases = panther_cases("Microsoft365_Audit_AzureActiveDirectory.tests.jsonl");
    let record = case(&cases, "Microsoft365.Brute.Force.Login.by.User/Failed Login event");
    let sign_in = sign_in(record);

    assert_eq!(record.event.outcome, Outcome::Failure);
    assert!(!sign_in.success);
    assert_eq!(sign_in.error_code, Some(50126), "read from the LogonError name");
    assert_eq!(sign_in.failure_reason.as_deref(), Some("InvalidUserNameOrPassword"));
    assert_eq!(sign_in.request_type.as_deref(), Some("Login:login"));
    assert_eq!(record.event.client.ip.unwrap().to_string(), "1.2.3.4");
    assert!(record.event.client.user_agent.as_deref().unwrap().contains("Chrome/107.0.0.0"));
}
