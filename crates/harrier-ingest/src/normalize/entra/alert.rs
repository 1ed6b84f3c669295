//! Microsoft Graph security alerts (`microsoft.graph.security.alert`, v2), with the older v1 alert's field
//! names as fallbacks.

use std::net::IpAddr;

use harrier_model::{Activity, Actor, ActorKind, Client, Event, Outcome, SecurityAlert, SourceFormat};
use serde_json::Value;

use crate::error::SkipReason;
use crate::fields::Fields;
use crate::normalize::{Context, parse_ip, record_id, tenant, time, user_key};

pub(super) fn normalize(record: Fields<'_>, context: &Context<'_>) -> Result<Event, SkipReason> {
    let time = time(record, "createdDateTime, firstActivityDateTime, eventDateTime")?;
    let evidence = Evidence::of(record);
    let product = record.str("productName").or_else(|| record.str("serviceSource")).or_else(|| v1_provider(record));
    let alert = SecurityAlert {
        title: record.str("title").map(str::to_owned),
        category: record.str("category").map(str::to_owned),
        severity: record.str("severity").map(str::to_owned),
        product: product.map(str::to_owned),
    };

    Ok(Event {
        tenant: tenant(context, record.str_any(&["tenantId", "azureTenantId"])),
        record_id: record_id("alert", record.str("id"), record),
        time,
        format: SourceFormat::GraphSecurityAlert,
        operation: alert.title.clone().unwrap_or_else(|| "Security alert".to_owned()),
        workload: record.str("serviceSource").map(str::to_owned),
        outcome: Outcome::Unknown,
        actor: Actor {
            kind: if evidence.user.is_some() { ActorKind::User } else { ActorKind::Unknown },
            user: evidence.user,
            object_id: evidence.user_id,
            ..Actor::default()
        },
        client: Client { ip: evidence.ip, user_agent: None },
        ip_info: None,
        activity: Activity::SecurityAlert(alert),
    })
}

/// Returns the v1 alert's `vendorInformation.provider`.
fn v1_provider(record: Fields<'_>) -> Option<&str> {
    record.get("vendorInformation").and_then(Fields::of)?.str("provider")
}

/// The first user and the first address an alert names.
#[derive(Default)]
struct Evidence {
    user: Option<String>,
    user_id: Option<String>,
    ip: Option<IpAddr>,
}

impl Evidence {
    /// Reads v2 `evidence[]` (`userEvidence` with `userAccount`, `ipEvidence` with `ipAddress`), else the v1
    /// alert's `userStates[]` (`userPrincipalName`, `logonIp`).
    fn of(record: Fields<'_>) -> Evidence {
        let mut found = Evidence::default();
        let evidence = record.json("evidence");
        for item in evidence.as_deref().and_then(Value::as_array).into_iter().flatten().filter_map(Fields::of) {
            found.read_v2(item);
        }
        let states = record.json("userStates");
        for state in states.as_deref().and_then(Value::as_array).into_iter().flatten().filter_map(Fields::of) {
            found.user = found.user.take().or_else(|| state.str("userPrincipalName").and_then(user_key));
            found.ip = found.ip.or_else(|| state.str("logonIp").and_then(parse_ip));
        }
        found
    }

    fn read_v2(&mut self, item: Fields<'_>) {
        let odata_type = item.str_any(&["@odata.type", "at_sign_odata_type"]).unwrap_or("");
        let account = item.json("userAccount");
        let account = account.as_deref().and_then(Fields::of);
        let is_user = odata_type.contains("userEvidence") || account.is_some();
        if is_user && self.user.is_none() {
            self.user = account.and_then(|a| a.str("userPrincipalName")).and_then(user_key);
            self.user_id = account.and_then(|a| a.str("azureAdUserId")).map(str::to_owned);
        }
        if odata_type.contains("ipEvidence") || odata_type.is_empty() {
            self.ip = self.ip.or_else(|| item.str("ipAddress").and_then(parse_ip));
        }
    }
}
