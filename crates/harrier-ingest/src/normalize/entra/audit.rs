//! Entra ID directory audits: Graph `directoryAudit` objects, Azure Monitor `AuditLogs` diagnostic records
//! and Sentinel `AuditLogs` rows. Azure Monitor records of other Entra categories (risky users, provisioning,
//! ...) arrive here too and are kept as generic events.

use harrier_model::{Activity, Actor, ActorKind, Client, Event, Other, Outcome, SourceFormat};
use serde_json::Value;

use super::operations::{self, AuditRecord, Target, operation_key};
use super::values::{details, modified_properties};
use super::{Layers, properties, tenant};
use crate::error::SkipReason;
use crate::fields::Fields;
use crate::normalize::{Context, parse_ip, record_id, user_key};
use crate::time::parse_timestamp;

/// The time fields tried, in order: the activity's own time, then Log Analytics' and Azure Monitor's
/// ingestion times.
const TIME_FIELDS: &str = "activityDateTime, TimeGenerated, time";

pub(super) fn normalize(format: SourceFormat, record: Fields<'_>, context: &Context<'_>) -> Result<Event, SkipReason> {
    let properties = properties(record);
    let fields = Layers::new(record, properties.as_deref());
    let time = time(fields)?;
    let operation = fields
        .str_any(&["activityDisplayName", "operationName", "category"])
        .map(|name| name.trim().to_owned())
        .ok_or(SkipReason::MissingField("activityDisplayName"))?;
    let audit = audit_record(&operation, fields);
    let activity = operations::activity(&audit).unwrap_or_else(|| other(fields, &audit));

    Ok(Event {
        tenant: tenant(context, fields, &[]),
        record_id: record_id("audit", fields.str("id"), record),
        time,
        format,
        workload: Some(workload(fields).to_owned()),
        operation,
        outcome: outcome(fields),
        actor: actor(fields),
        client: Client { ip: client_ip(fields, &audit), user_agent: user_agent(fields, &audit) },
        ip_info: None,
        activity,
    })
}

fn time(fields: Layers<'_>) -> Result<jiff::Timestamp, SkipReason> {
    for name in TIME_FIELDS.split(", ") {
        if let Some(text) = fields.str(name) {
            return parse_timestamp(text)
                .ok_or_else(|| SkipReason::InvalidTime { field: name.to_owned(), value: text.to_owned() });
        }
    }
    Err(SkipReason::MissingTime(TIME_FIELDS))
}

/// Reads a directory audit into the form the operation table maps.
fn audit_record(operation: &str, fields: Layers<'_>) -> AuditRecord {
    let mut audit = AuditRecord {
        operation: operation_key(operation),
        details: fields.json("additionalDetails").map(|list| details(&list)).unwrap_or_default(),
        ..AuditRecord::default()
    };
    let targets = fields.json("targetResources");
    for target in targets.as_deref().and_then(Value::as_array).into_iter().flatten().filter_map(Fields::of) {
        let text = |name: &str| target.str(name).map(str::to_owned);
        audit.targets.push(Target {
            id: text("id"),
            name: text("displayName"),
            kind: text("type"),
            user_principal_name: text("userPrincipalName"),
            app_id: None,
        });
        if let Some(modified) = target.json("modifiedProperties") {
            audit.modified.extend(modified_properties(&modified));
        }
    }
    audit
}

/// Keeps an unmodelled activity with its audit category and its first target.
fn other(fields: Layers<'_>, audit: &AuditRecord) -> Activity {
    let object = audit.targets.iter().find_map(|target| {
        target.user_principal_name.clone().or_else(|| target.name.clone()).or_else(|| target.id.clone())
    });
    Activity::Other(Other { record_type: fields.str("category").map(str::to_owned), object })
}

/// Returns `AuditLogs` for directory audits, and the Azure Monitor category for records of other categories.
fn workload(fields: Layers<'_>) -> &str {
    let directory_audit =
        ["activityDisplayName", "activityDateTime", "initiatedBy"].iter().any(|name| fields.get(name).is_some());
    if directory_audit { "AuditLogs" } else { fields.envelope.str("category").unwrap_or("AuditLogs") }
}

fn outcome(fields: Layers<'_>) -> Outcome {
    match fields.str("result").unwrap_or("").to_ascii_lowercase().as_str() {
        "success" => Outcome::Success,
        "failure" | "failed" | "timeout" => Outcome::Failure,
        _ => Outcome::Unknown,
    }
}

/// Returns the initiator: `initiatedBy.user`, else `initiatedBy.app` as a service principal.
fn actor(fields: Layers<'_>) -> Actor {
    let initiated_by = fields.json("initiatedBy");
    let initiator = |kind: &str| {
        let by = initiated_by.as_deref().and_then(Fields::of)?;
        by.get(kind).and_then(Fields::of)
    };
    let text = |fields: Fields<'_>, name: &str| fields.str(name).map(str::to_owned);

    let user = initiator("user").filter(|user| user.get("userPrincipalName").is_some() || user.get("id").is_some());
    if let Some(user) = user {
        return Actor {
            user: user.str("userPrincipalName").and_then(user_key),
            object_id: text(user, "id"),
            display_name: text(user, "displayName"),
            app_id: None,
            kind: ActorKind::User,
        };
    }
    match initiator("app") {
        Some(app) => Actor {
            user: None,
            object_id: text(app, "servicePrincipalId"),
            display_name: text(app, "displayName"),
            app_id: text(app, "appId"),
            kind: ActorKind::ServicePrincipal,
        },
        None => Actor::default(),
    }
}

/// Returns the initiator's address: `initiatedBy.user.ipAddress`, else Azure Monitor's `callerIpAddress` or
/// `ipAddress`, else the `ipaddr` detail.
fn client_ip(fields: Layers<'_>, audit: &AuditRecord) -> Option<std::net::IpAddr> {
    let initiated_by = fields.json("initiatedBy");
    let user_ip = initiated_by
        .as_deref()
        .and_then(|by| by.get("user"))
        .and_then(Fields::of)
        .and_then(|user| user.str("ipAddress"))
        .and_then(parse_ip);
    user_ip
        .or_else(|| {
            ["callerIpAddress", "ipAddress"].iter().find_map(|name| fields.envelope.str(name).and_then(parse_ip))
        })
        .or_else(|| audit.detail("ipaddr").and_then(parse_ip))
}

fn user_agent(fields: Layers<'_>, audit: &AuditRecord) -> Option<String> {
    audit.detail("User-Agent").or_else(|| fields.str("userAgent")).map(str::to_owned)
}
