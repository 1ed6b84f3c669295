//! The unified audit log: Management Activity API records and Sentinel `OfficeActivity` rows.
//!
//! Both carry the same audit record; Sentinel renames a few fields (`OfficeWorkload` for `Workload`,
//! `OfficeId` for `Id`, `TimeGenerated` for `CreationTime`, `Client_IPAddress` for `ClientIPAddress`) and
//! stores nested values as JSON text. This module reads the fields every record has and hands the
//! operation to the workload's module for its typed activity.

use harrier_model::{Activity, Actor, ActorKind, Client, Event, Other, Outcome, SourceFormat};

use super::{Context, entra, exchange, parse_ip, record_id, sharepoint, tenant, time, user_key};
use crate::error::SkipReason;
use crate::fields::{Fields, lookup};

pub(super) fn normalize(format: SourceFormat, record: Fields<'_>, context: &Context<'_>) -> Result<Event, SkipReason> {
    let operation = record.str("Operation").ok_or(SkipReason::MissingField("Operation"))?.trim().to_owned();
    let time = match format {
        SourceFormat::ManagementActivity => time(record, "CreationTime")?,
        _ => time(record, "TimeGenerated, CreationTime, Start_Time, ElevationTime")?,
    };
    let id = record.str_any(&["Id", "OfficeId", "SourceRecordId"]);
    let workload = record.str_any(&["Workload", "OfficeWorkload"]).map(str::to_owned);

    let activity = activity(&operation, workload.as_deref(), record);
    Ok(Event {
        tenant: tenant(context, record.str_any(&["OrganizationId", "AADTenantId"])),
        record_id: record_id("ma", id, record),
        time,
        format,
        operation,
        workload,
        outcome: entra::sign_in_outcome(&activity).unwrap_or_else(|| outcome(record)),
        actor: actor(record),
        client: Client { ip: client_ip(record), user_agent: user_agent(record) },
        ip_info: None,
        activity,
    })
}

/// Picks the typed activity for an operation; operations no module models are kept as [`Activity::Other`].
fn activity(operation: &str, workload: Option<&str>, record: Fields<'_>) -> Activity {
    let workload = workload.or_else(|| workload_of_record_type(record)).unwrap_or("");
    let typed = if workload.eq_ignore_ascii_case("AzureActiveDirectory") {
        entra::management_activity(operation, record)
    } else if workload.eq_ignore_ascii_case("Exchange") {
        exchange::activity(operation, record)
    } else if workload.eq_ignore_ascii_case("SharePoint") || workload.eq_ignore_ascii_case("OneDrive") {
        sharepoint::activity(operation, record)
    } else {
        None
    };
    typed.unwrap_or_else(|| {
        Activity::Other(Other {
            record_type: record.text("RecordType").map(|t| t.into_owned()),
            object: record.str_any(&["ObjectId", "OfficeObjectId"]).map(str::to_owned),
        })
    })
}

/// Names the workload from the `RecordType` number for records that leave out `Workload`, as some
/// re-exports do (the numbers are the Management Activity API's `AuditLogRecordType`).
fn workload_of_record_type(record: Fields<'_>) -> Option<&'static str> {
    workload_of_record_type_code(record.i64("RecordType")?)
}

pub(super) fn workload_of_record_type_code(record_type: i64) -> Option<&'static str> {
    match record_type {
        1 | 2 | 3 | 50 => Some("Exchange"),
        4 | 6 | 14 => Some("SharePoint"),
        8 | 9 | 15 => Some("AzureActiveDirectory"),
        _ => None,
    }
}

fn outcome(record: Fields<'_>) -> Outcome {
    outcome_of_status(record.text("ResultStatus").as_deref())
}

/// Reads the outcome from `ResultStatus`.
pub(super) fn outcome_of_status(status: Option<&str>) -> Outcome {
    let Some(status) = status else {
        return Outcome::Unknown;
    };
    match status.to_ascii_lowercase().as_str() {
        "succeeded" | "success" | "true" => Outcome::Success,
        "failed" | "failure" | "false" => Outcome::Failure,
        "partiallysucceeded" => Outcome::Partial,
        _ => Outcome::Unknown,
    }
}

/// Reads the actor kind from `UserType`, a number in the Management Activity API and a name in Sentinel.
fn actor_kind(record: Fields<'_>) -> ActorKind {
    actor_kind_of(record.text("UserType").as_deref())
}

/// Reads the actor kind from the text of `UserType`.
pub(super) fn actor_kind_of(user_type: Option<&str>) -> ActorKind {
    let Some(user_type) = user_type else {
        return ActorKind::Unknown;
    };
    match user_type.to_ascii_lowercase().as_str() {
        "0" | "1" | "2" | "3" | "regular" | "reserved" | "admin" | "dcadmin" => ActorKind::User,
        "4" | "system" => ActorKind::System,
        "5" | "application" | "6" | "serviceprincipal" => ActorKind::ServicePrincipal,
        _ => ActorKind::Unknown,
    }
}

fn actor(record: Fields<'_>) -> Actor {
    let kind = actor_kind(record);
    let user = record.str("UserId").and_then(user_key);
    Actor {
        user,
        object_id: None,
        display_name: record.str("LogonUserDisplayName").map(str::to_owned),
        app_id: record.str_any(&["AppId", "ApplicationId"]).map(str::to_owned),
        kind,
    }
}

fn client_ip(record: Fields<'_>) -> Option<std::net::IpAddr> {
    ["ClientIP", "ClientIPAddress", "Client_IPAddress", "ActorIpAddress"]
        .iter()
        .find_map(|name| record.str(name).and_then(parse_ip))
}

fn user_agent(record: Fields<'_>) -> Option<String> {
    if let Some(agent) = record.str("UserAgent") {
        return Some(agent.to_owned());
    }
    let extended = record.name_values("ExtendedProperties");
    if let Some(agent) = lookup(&extended, "UserAgent") {
        return Some(agent.to_owned());
    }
    record.str("ClientInfoString").map(str::to_owned)
}
