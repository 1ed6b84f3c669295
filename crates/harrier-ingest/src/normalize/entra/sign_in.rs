//! Entra ID sign-ins: Graph `signIn` objects, Azure Monitor sign-in diagnostic records and Sentinel
//! `SigninLogs` rows (and the non-interactive, service principal and managed identity tables). The unified
//! audit log's `UserLoggedIn` / `UserLoginFailed` records are read in `unified`.

use harrier_model::{
    Activity, Actor, ActorKind, AppRef, Client, Device, Event, GeoLocation, Outcome, SignIn, SignInType, SourceFormat,
};
use jiff::Timestamp;
use serde_json::Value;

use super::values::number;
use super::{Layers, mfa, properties, tenant};
use crate::error::SkipReason;
use crate::fields::Fields;
use crate::normalize::{Context, parse_ip, record_id, user_key};
use crate::time::parse_timestamp;

/// Entra error codes of sign-ins that stopped to ask the user for something rather than failing. They are
/// 50072 and 50079 (MFA registration required), 50074 and 50076 (MFA required), 50125 (password reset or
/// registration), 50140 ("Keep me signed in" prompt) and 50199 (confirmation that the app is the one meant).
const INTERRUPTS: [u32; 7] = [50072, 50074, 50076, 50079, 50125, 50140, 50199];

/// Client apps that use legacy authentication, which cannot perform MFA, as Entra names them in
/// `clientAppUsed`: Microsoft's list of messaging protocols that support legacy authentication ("Block legacy
/// authentication with Conditional Access", learn.microsoft.com). Values are compared ignoring case.
const LEGACY_CLIENT_APPS: [&str; 13] = [
    "Authenticated SMTP",
    "AutoDiscover",
    "Exchange ActiveSync",
    "Exchange Online PowerShell",
    "Exchange Web Services",
    "IMAP4",
    "MAPI Over HTTP",
    "Offline Address Book",
    "Outlook Anywhere (RPC over HTTP)",
    "POP3",
    "Reporting Web Services",
    "Universal Outlook",
    "Other clients",
];

/// The time fields tried, in order, for the skip reason.
const TIME_FIELDS: &str = "createdDateTime, TimeGenerated, time, authenticationDetails[].authenticationStepDateTime";

/// The skip reason for a Log Analytics query result that summarises sign-ins instead of listing them.
const SUMMARY: &str = "a summarised query result, not a sign-in record: it has no Id or UserPrincipalName; export \
                       the SigninLogs rows themselves";

pub(super) fn normalize(format: SourceFormat, record: Fields<'_>, context: &Context<'_>) -> Result<Event, SkipReason> {
    let properties = properties(record);
    let fields = Layers::new(record, properties.as_deref());
    if is_summary(fields) {
        return Err(SkipReason::Unrecognised(SUMMARY.into()));
    }
    let time = time(fields)?;
    let sign_in_type = sign_in_type(fields);
    let (sign_in, outcome) = read(fields, sign_in_type);

    Ok(Event {
        tenant: tenant(context, fields, &["homeTenantId", "resourceTenantId"]),
        record_id: record_id("signin", fields.str("id"), record),
        time,
        format,
        operation: fields.str("operationName").unwrap_or("Sign-in activity").to_owned(),
        workload: Some(log_name(sign_in_type).to_owned()),
        outcome,
        actor: actor(fields, sign_in_type),
        client: Client {
            ip: fields.str_any(&["ipAddress", "callerIpAddress"]).and_then(parse_ip),
            user_agent: fields.str("userAgent").map(str::to_owned),
        },
        ip_info: None,
        activity: Activity::SignIn(sign_in),
    })
}

/// True for a row that names no sign-in and no principal, such as a Log Analytics query that summarised
/// sign-ins by address.
fn is_summary(fields: Layers<'_>) -> bool {
    ["id", "userPrincipalName", "userId", "servicePrincipalId", "appId"].iter().all(|name| fields.get(name).is_none())
}

/// Reads the sign-in time. Some Log Analytics exports leave out every time column, and the earliest
/// authentication step's time, which Entra records when the sign-in starts, is used instead.
fn time(fields: Layers<'_>) -> Result<Timestamp, SkipReason> {
    for name in ["createdDateTime", "TimeGenerated", "time"] {
        if let Some(text) = fields.str(name) {
            return parse_timestamp(text)
                .ok_or_else(|| SkipReason::InvalidTime { field: name.to_owned(), value: text.to_owned() });
        }
    }
    let steps = fields.json("authenticationDetails");
    let step_times = steps
        .as_deref()
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|step| Fields::of(step)?.str("authenticationStepDateTime").and_then(parse_timestamp));
    step_times.min().ok_or(SkipReason::MissingTime(TIME_FIELDS))
}

/// Reads the sign-in and its outcome.
fn read(fields: Layers<'_>, sign_in_type: SignInType) -> (SignIn, Outcome) {
    let status = fields.json("status");
    let status = status.as_deref().and_then(Fields::of);
    let error_code = error_code(fields, status);
    let outcome = code_outcome(error_code).unwrap_or_else(|| result_outcome(fields));
    let success = outcome == Outcome::Success;
    let client_app = fields.str("clientAppUsed").map(str::to_owned);
    let auth_requirement = fields.str("authenticationRequirement").map(str::to_owned);
    let steps = mfa::steps(fields, status, success);

    let sign_in = SignIn {
        success,
        error_code,
        failure_reason: if success { None } else { failure_reason(fields, status) },
        application: AppRef {
            id: fields.str("appId").map(str::to_owned),
            name: fields.str_any(&["appDisplayName", "servicePrincipalName"]).map(str::to_owned),
        },
        resource: AppRef { id: resource_id(fields), name: fields.str("resourceDisplayName").map(str::to_owned) },
        legacy_auth: client_app.as_deref().is_some_and(is_legacy_client),
        client_app,
        auth_methods: mfa::auth_methods(fields, &steps),
        mfa: mfa::result(error_code, &steps, auth_requirement.as_deref(), mfa::has_mfa_detail(fields) && success),
        auth_requirement,
        location: location(fields),
        device: device(fields),
        interactive: interactive(fields, sign_in_type),
        sign_in_type,
        risk_level: fields.str("riskLevelDuringSignIn").map(str::to_owned),
        conditional_access: fields.str("conditionalAccessStatus").map(str::to_owned),
        correlation_id: fields.str("correlationId").map(str::to_owned),
        authentication_protocol: fields.str("authenticationProtocol").map(str::to_owned),
        request_type: None,
    };
    (sign_in, outcome)
}

/// Reads the Entra error code: `status.errorCode`, else the first numeric `ErrorCode`, `ResultType` (Azure
/// Monitor and Sentinel, where it may also contain the text `Success` or `Failure`) or `ErrorNumber`.
fn error_code(fields: Layers<'_>, status: Option<Fields<'_>>) -> Option<u32> {
    let from_status = status.and_then(|status| status.i64("errorCode"));
    let from_record = || ["ErrorCode", "ResultType", "ErrorNumber"].iter().find_map(|name| fields.i64(name));
    from_status.or_else(from_record).and_then(|code| u32::try_from(code).ok())
}

/// Returns the outcome an error code means, or `None` without a code.
pub(in crate::normalize) fn code_outcome(error_code: Option<u32>) -> Option<Outcome> {
    Some(match error_code? {
        0 => Outcome::Success,
        code if INTERRUPTS.contains(&code) => Outcome::Partial,
        _ => Outcome::Failure,
    })
}

/// Reads the outcome of a record without an error code from Azure Monitor's `resultType` or
/// `resultSignature` text (`Success`, `SUCCESS`, `Failure`).
fn result_outcome(fields: Layers<'_>) -> Outcome {
    let text = fields.envelope.str_any(&["resultType", "resultSignature"]).unwrap_or("");
    match text.to_ascii_lowercase().as_str() {
        "success" => Outcome::Success,
        "failure" | "failed" => Outcome::Failure,
        _ => Outcome::Unknown,
    }
}

/// Returns a sign-in's outcome from its error code, else from its success flag.
pub(super) fn outcome(sign_in: &SignIn) -> Outcome {
    code_outcome(sign_in.error_code).unwrap_or(if sign_in.success { Outcome::Success } else { Outcome::Failure })
}

fn failure_reason(fields: Layers<'_>, status: Option<Fields<'_>>) -> Option<String> {
    let reason = status.and_then(|status| status.str("failureReason")).or_else(|| fields.str("resultDescription"));
    reason.map(str::to_owned)
}

/// Reads the resource id. Azure Monitor and Sentinel also use `ResourceId` for the Azure resource path
/// (`/tenants/<id>/providers/Microsoft.aadiam`), which is not a resource's application id and is skipped.
fn resource_id(fields: Layers<'_>) -> Option<String> {
    let candidates =
        [fields.str("ResourceIdentity"), fields.payload.str("resourceId"), fields.envelope.str("resourceId")];
    candidates.into_iter().flatten().find(|id| !id.starts_with('/')).map(str::to_owned)
}

pub(in crate::normalize) fn is_legacy_client(client_app: &str) -> bool {
    let client_app = client_app.trim();
    LEGACY_CLIENT_APPS.iter().any(|legacy| legacy.eq_ignore_ascii_case(client_app))
        || ["Exchange ActiveSync", "Outlook Anywhere"]
            .iter()
            .any(|prefix| starts_with_ignoring_case(client_app, prefix))
}

fn starts_with_ignoring_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len()).is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

/// Reads Entra's geolocation: `location` (Graph, Azure Monitor) or `LocationDetails` (Sentinel), else the
/// bare country code Azure Monitor and Sentinel put in `location` / `Location`.
fn location(fields: Layers<'_>) -> Option<GeoLocation> {
    let details = fields.json_any(&["location", "LocationDetails"]).filter(|value| value.is_object());
    let details = details.as_deref().and_then(Fields::of);
    let text = |name: &str| details.and_then(|d| d.str(name)).map(str::to_owned);
    let coordinates = details.and_then(|d| d.json("geoCoordinates"));
    let coordinate = |name: &str, limit: f64| {
        let value = coordinates.as_deref().and_then(Fields::of)?.get(name).and_then(number)?;
        (value.abs() <= limit).then_some(value)
    };

    // Coordinates are kept only as a valid pair: some exports swap them, which puts the latitude out of range.
    let pair = coordinate("latitude", 90.0).zip(coordinate("longitude", 180.0));

    let location = GeoLocation {
        country: text("countryOrRegion").or_else(|| bare_country(fields)),
        state: text("state"),
        city: text("city"),
        latitude: pair.map(|(latitude, _)| latitude),
        longitude: pair.map(|(_, longitude)| longitude),
    };
    (location != GeoLocation::default()).then_some(location)
}

fn bare_country(fields: Layers<'_>) -> Option<String> {
    let code = fields.str("location")?.trim();
    (code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic())).then(|| code.to_ascii_uppercase())
}

fn device(fields: Layers<'_>) -> Option<Device> {
    let detail = fields.json("deviceDetail")?;
    let detail = Fields::of(&detail)?;
    let text = |name: &str| detail.str(name).map(str::to_owned);
    let device = Device {
        id: text("deviceId"),
        name: text("displayName"),
        operating_system: text("operatingSystem"),
        browser: text("browser"),
        trust_type: text("trustType"),
        is_compliant: detail.bool("isCompliant"),
        is_managed: detail.bool("isManaged"),
    };
    (device != Device::default()).then_some(device)
}

/// Reads which log a sign-in belongs to: Azure Monitor's `category` or the Log Analytics table (`Type`),
/// else Graph's `signInEventTypes`, else the record's own fields.
fn sign_in_type(fields: Layers<'_>) -> SignInType {
    let table = ["category", "Type"].iter().find_map(|name| fields.envelope.str(name).and_then(table_type));
    table.or_else(|| event_type(fields)).unwrap_or_else(|| field_type(fields))
}

fn table_type(name: &str) -> Option<SignInType> {
    let name = name.to_ascii_lowercase();
    match name.strip_prefix("aad").unwrap_or(&name) {
        "signinlogs" => Some(SignInType::Interactive),
        "noninteractiveusersigninlogs" => Some(SignInType::NonInteractive),
        "serviceprincipalsigninlogs" => Some(SignInType::ServicePrincipal),
        "managedidentitysigninlogs" => Some(SignInType::ManagedIdentity),
        _ => None,
    }
}

fn event_type(fields: Layers<'_>) -> Option<SignInType> {
    let types = fields.json("signInEventTypes")?;
    types.as_array()?.iter().filter_map(Value::as_str).find_map(|name| match name.to_ascii_lowercase().as_str() {
        "interactiveuser" => Some(SignInType::Interactive),
        "noninteractiveuser" => Some(SignInType::NonInteractive),
        "serviceprincipal" => Some(SignInType::ServicePrincipal),
        "managedidentity" => Some(SignInType::ManagedIdentity),
        _ => None,
    })
}

/// Guesses the log for a record that does not name it: a managed identity or service principal signed in
/// when no user is named, and a user sign-in is non-interactive when `isInteractive` is false.
fn field_type(fields: Layers<'_>) -> SignInType {
    let no_user = fields.get("userPrincipalName").is_none() && fields.get("userId").is_none();
    let managed = fields.str("managedIdentityType").is_some_and(|kind| !kind.eq_ignore_ascii_case("none"));
    if no_user && managed {
        SignInType::ManagedIdentity
    } else if no_user && fields.get("servicePrincipalId").is_some() {
        SignInType::ServicePrincipal
    } else if fields.bool("isInteractive") == Some(false) {
        SignInType::NonInteractive
    } else {
        SignInType::Interactive
    }
}

/// Returns whether the user was present. The non-interactive, service principal and managed identity logs are
/// never interactive, whatever `isInteractive` reports. Otherwise `isInteractive` decides, and a record of the
/// interactive log without it counts as interactive.
fn interactive(fields: Layers<'_>, sign_in_type: SignInType) -> Option<bool> {
    if sign_in_type != SignInType::Interactive {
        return Some(false);
    }
    let from_table = ["category", "Type"].iter().any(|name| fields.envelope.str(name).and_then(table_type).is_some());
    fields.bool("isInteractive").or(from_table.then_some(true))
}

/// Returns the Azure Monitor category of a kind of sign-in, used as the event's workload so one sign-in has
/// the same workload from every source.
pub(in crate::normalize) fn log_name(sign_in_type: SignInType) -> &'static str {
    match sign_in_type {
        SignInType::Interactive => "SignInLogs",
        SignInType::NonInteractive => "NonInteractiveUserSignInLogs",
        SignInType::ServicePrincipal => "ServicePrincipalSignInLogs",
        SignInType::ManagedIdentity => "ManagedIdentitySignInLogs",
    }
}

/// Returns the principal that signed in: the user, or the service principal for service principal and
/// managed identity sign-ins and for records that name a service principal but no user.
fn actor(fields: Layers<'_>, sign_in_type: SignInType) -> Actor {
    let user = fields.str("userPrincipalName").and_then(user_key);
    let app_id = fields.str("appId").map(str::to_owned);
    let service = matches!(sign_in_type, SignInType::ServicePrincipal | SignInType::ManagedIdentity)
        || (user.is_none() && fields.get("servicePrincipalId").is_some());
    if service {
        let kind = if sign_in_type == SignInType::ManagedIdentity {
            ActorKind::ManagedIdentity
        } else {
            ActorKind::ServicePrincipal
        };
        return Actor {
            user: None,
            object_id: fields.str("servicePrincipalId").map(str::to_owned),
            display_name: fields.str_any(&["servicePrincipalName", "appDisplayName"]).map(str::to_owned),
            app_id,
            kind,
        };
    }
    let object_id = fields.str("userId").map(str::to_owned);
    let kind = if user.is_some() || object_id.is_some() { ActorKind::User } else { ActorKind::Unknown };
    Actor { user, object_id, display_name: fields.str("userDisplayName").map(str::to_owned), app_id, kind }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_clients() {
        for client in ["IMAP4", "pop3", "Authenticated SMTP", "Exchange ActiveSync", "Outlook Anywhere (RPC over HTTP)"]
        {
            assert!(is_legacy_client(client), "{client}");
        }
        for client in ["Browser", "Mobile Apps and Desktop clients"] {
            assert!(!is_legacy_client(client), "{client}");
        }
    }
}
