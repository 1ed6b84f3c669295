//! Microsoft 365 Defender advanced hunting rows, kept as generic events with their device, account and
//! address.

use harrier_model::{Activity, Actor, ActorKind, Client, Event, Other, Outcome, SourceFormat};
use serde_json::Value;

use crate::error::SkipReason;
use crate::fields::{Fields, value_text};
use crate::normalize::{Context, parse_ip, record_id, tenant, time, user_key};

pub(super) fn normalize(record: Fields<'_>, context: &Context<'_>) -> Result<Event, SkipReason> {
    let time = time(record, "Timestamp, TimeGenerated")?;
    let table = table(record);
    let operation = record.str("ActionType").ok_or(SkipReason::MissingField("ActionType"))?.trim().to_owned();
    let record_type = match table {
        Some(table) => format!("DefenderHunting:{table}"),
        None => "DefenderHunting".to_owned(),
    };
    let user = record.str_any(&["AccountUpn", "InitiatingProcessAccountUpn"]).and_then(user_key);

    Ok(Event {
        tenant: tenant(context, record.str("AADTenantId")),
        record_id: record_id("defender", report_id(record).as_deref(), record),
        time,
        format: SourceFormat::DefenderHunting,
        operation,
        workload: table.map(str::to_owned),
        outcome: Outcome::Unknown,
        actor: Actor {
            kind: if user.is_some() { ActorKind::User } else { ActorKind::Unknown },
            user,
            object_id: record.str_any(&["AccountObjectId", "InitiatingProcessAccountObjectId"]).map(str::to_owned),
            display_name: record
                .str_any(&["AccountDisplayName", "AccountName", "InitiatingProcessAccountName"])
                .map(str::to_owned),
            app_id: None,
        },
        client: Client {
            ip: ["RemoteIP", "IPAddress"].iter().find_map(|name| record.str(name).and_then(parse_ip)),
            user_agent: record.str("UserAgent").map(str::to_owned),
        },
        ip_info: None,
        activity: Activity::Other(Other {
            record_type: Some(record_type),
            object: record.str_any(&["DeviceName", "ObjectName"]).map(str::to_owned),
        }),
    })
}

/// Names the advanced hunting table a row came from: the `Type` column of a copy in Log Analytics, else a
/// column only that table has. Rows of the device tables share their columns and stay unnamed.
fn table(record: Fields<'_>) -> Option<&str> {
    if let Some(table) = record.str_any(&["Type", "$table"]) {
        return Some(table);
    }
    let has = |name: &str| record.get(name).is_some();
    if has("ActivityObjects") || has("ActivityType") {
        Some("CloudAppEvents")
    } else if has("QueryType") {
        Some("IdentityQueryEvents")
    } else if has("InitiatingProcessFileName") {
        None
    } else if has("LogonType") && has("Protocol") {
        Some("IdentityLogonEvents")
    } else if has("Protocol") && has("DestinationDeviceName") {
        Some("IdentityDirectoryEvents")
    } else {
        None
    }
}

/// Returns the row's report id. The device tables count `ReportId` per device, so a numeric id is unique
/// only together with the device name and the timestamp, which are then prefixed to it.
fn report_id(record: Fields<'_>) -> Option<String> {
    let value = ["ReportId", "ReportId_long", "ReportId_string"].iter().find_map(|name| record.get(name))?;
    let id = value_text(value)?.trim().to_owned();
    let numeric = matches!(value, Value::Number(_)) || id.bytes().all(|b| b.is_ascii_digit());
    if !numeric {
        return Some(id);
    }
    let device = record.str_any(&["DeviceName", "DeviceId"])?;
    let timestamp = record.str("Timestamp")?;
    Some(format!("{device}:{timestamp}:{id}"))
}
