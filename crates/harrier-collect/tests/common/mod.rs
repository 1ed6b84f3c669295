//! An emulated tenant on loopback and a collector pointed at it.

#![allow(dead_code)] // each test file uses a part of these helpers

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use harrier_collect::{CollectorSettings, Credentials, RetryPolicy, TenantCollector};
use harrier_enrich::IpIntel;
use harrier_m365_emulator::Emulator;
use harrier_model::TenantId;
use harrier_store::Store;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

pub const DIRECTORY: &str = "6a1c4e2b-0d3f-4a5e-8b7c-9d0e1f2a3b4c";
pub const CLIENT: &str = "b3e2f4a1-7c6d-4e5f-9a8b-0c1d2e3f4a5b";

/// Makes a secret at run time, so no credential is committed.
pub fn secret() -> String {
    format!("test-secret-{}-{}", std::process::id(), Timestamp::now().as_nanosecond())
}

/// Starts an emulator for a directory with small pages, so paging is exercised.
pub fn emulator(directory: &str, secret: &str) -> Emulator {
    let emulator = Emulator::start(directory, CLIENT, secret);
    emulator.with(|state| {
        state.activity.content_page_size = 2;
        state.activity.graph_page_size = 2;
    });
    emulator
}

/// Returns settings for `emulator` with only the Management Activity API on.
pub fn settings(emulator: &Emulator, tenant: &str, directory: &str, secret: &str, data_dir: &Path) -> CollectorSettings {
    let credentials = Credentials { tenant: directory.to_owned(), client_id: CLIENT.to_owned(), client_secret: secret.to_owned() };
    let mut settings = CollectorSettings::new(TenantId::new(tenant), credentials, data_dir.to_path_buf());
    settings.authority = emulator.authority();
    settings.graph = emulator.graph_root();
    settings.management = emulator.management();
    settings.sign_ins = false;
    settings.non_interactive_sign_ins = false;
    settings.directory_audits = false;
    settings.retry = RetryPolicy {
        attempts: 4,
        initial_backoff: Duration::from_millis(20),
        max_wait: Duration::from_secs(2),
        timeout: Duration::from_secs(10),
    };
    settings
}

pub fn intel() -> Arc<IpIntel> {
    Arc::new(IpIntel::embedded().expect("the embedded IP intelligence loads"))
}

pub fn collector(settings: CollectorSettings) -> TenantCollector {
    TenantCollector::new(settings, intel()).expect("the collector starts")
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime")
}

pub fn hours_ago(hours: i64) -> Timestamp {
    Timestamp::now() - SignedDuration::from_hours(hours)
}

pub fn minutes_ago(minutes: i64) -> Timestamp {
    Timestamp::now() - SignedDuration::from_mins(minutes)
}

/// Builds a Management Activity API audit record.
pub fn audit_record(id: &str, time: Timestamp) -> Value {
    json!({
        "CreationTime": time.strftime("%Y-%m-%dT%H:%M:%S").to_string(),
        "Id": id,
        "Operation": "MailItemsAccessed",
        "OrganizationId": DIRECTORY,
        "RecordType": 50,
        "UserId": "alice@contoso.example",
        "UserKey": "10032001A2B3C4D5",
        "UserType": 0,
        "Workload": "Exchange",
        "ClientIPAddress": "203.0.113.7",
    })
}

/// Builds a Graph `signIn`, whose `signInEventTypes` follows `interactive`.
pub fn sign_in(id: &str, time: Timestamp, interactive: bool) -> Value {
    let kind = if interactive { "interactiveUser" } else { "nonInteractiveUser" };
    json!({
        "id": id,
        "createdDateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "userPrincipalName": "alice@contoso.example",
        "userId": "8a9b0c1d-2e3f-4a5b-6c7d-8e9f0a1b2c3d",
        "appDisplayName": "Office 365 Exchange Online",
        "ipAddress": "198.51.100.23",
        "isInteractive": interactive,
        "signInEventTypes": [kind],
        "status": { "errorCode": 0 },
    })
}

/// Builds a Graph `directoryAudit`.
pub fn directory_audit(id: &str, time: Timestamp) -> Value {
    json!({
        "id": id,
        "activityDateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "activityDisplayName": "Add member to role",
        "category": "RoleManagement",
        "result": "success",
        "loggedByService": "Core Directory",
        "initiatedBy": { "user": { "userPrincipalName": "admin@contoso.example", "ipAddress": "198.51.100.40" } },
        "targetResources": [],
    })
}

/// Returns the events stored for a tenant, in time order.
pub fn stored_events(data_dir: &Path, tenant: &str) -> Vec<harrier_model::Event> {
    let store = Store::open(data_dir).expect("the store opens");
    let mut events = Vec::new();
    store
        .for_each_event(&TenantId::new(tenant), |event| {
            events.push(event);
            true
        })
        .expect("the store reads");
    events
}

/// Returns the record ids stored for a tenant.
pub fn stored_ids(data_dir: &Path, tenant: &str) -> Vec<String> {
    stored_events(data_dir, tenant).into_iter().map(|event| event.record_id).collect()
}

/// Returns the record ids of the emulator's content blobs, as the reader names them.
pub fn served_blob_ids(emulator: &Emulator) -> BTreeSet<String> {
    emulator.with(|state| {
        state
            .activity
            .blobs
            .iter()
            .flat_map(|blob| blob.records.iter())
            .map(|record| format!("ma:{}", record["Id"].as_str().expect("an id").to_ascii_lowercase()))
            .collect()
    })
}

/// Checks that the tenant `contoso` holds exactly the records of the emulator's content blobs.
pub fn assert_stored_as_served(data_dir: &Path, emulator: &Emulator) {
    let stored: BTreeSet<String> = stored_ids(data_dir, "contoso").into_iter().collect();
    assert_eq!(stored, served_blob_ids(emulator));
}

/// Counts the requests whose `METHOD /path` contains `part`.
pub fn requests(emulator: &Emulator, part: &str) -> usize {
    emulator.with(|state| state.requests.iter().filter(|request| request.contains(part)).count())
}
