//! Microsoft Graph `signIn` objects, as the beta `auditLogs/signIns` endpoint returns them.
//!
//! The beta resource is used because only it carries `authenticationDetails`, `authenticationRequirement`,
//! `mfaDetail`, `userAgent` and `signInEventTypes`, which tell an interrupted MFA prompt from a denied one.

use serde::Serialize;

use super::Context;
use crate::build::code;
use crate::clock::{GraphTime, Millis, SECOND};
use crate::directory::Platform;
use crate::event::{Auth, DeviceRef, SignIn};
use crate::rng::Guid;

/// The `@odata.context` of a sign-in page.
pub(crate) const ODATA_CONTEXT: &str =
    "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Status<'a> {
    error_code: u32,
    failure_reason: &'a str,
    additional_details: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeviceDetail<'a> {
    device_id: String,
    display_name: Option<&'a str>,
    operating_system: &'a str,
    browser: &'a str,
    is_compliant: bool,
    is_managed: bool,
    trust_type: Option<&'a str>,
}

#[derive(Serialize)]
struct GeoCoordinates {
    altitude: Option<f64>,
    latitude: f64,
    longitude: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    city: &'a str,
    state: &'a str,
    country_or_region: &'a str,
    geo_coordinates: GeoCoordinates,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AuthenticationDetail<'a> {
    authentication_step_date_time: GraphTime,
    authentication_method: &'a str,
    authentication_method_detail: Option<&'a str>,
    succeeded: bool,
    authentication_step_result_detail: &'a str,
    authentication_step_requirement: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MfaDetail<'a> {
    auth_method: Option<&'a str>,
    auth_detail: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GraphSignIn<'a> {
    id: Guid,
    created_date_time: GraphTime,
    user_display_name: &'a str,
    user_principal_name: &'a str,
    user_id: Guid,
    app_id: &'a str,
    app_display_name: &'a str,
    ip_address: String,
    client_app_used: &'a str,
    user_agent: &'a str,
    correlation_id: Guid,
    conditional_access_status: &'a str,
    is_interactive: bool,
    risk_detail: &'a str,
    risk_level_aggregated: &'a str,
    risk_level_during_sign_in: &'a str,
    risk_state: &'a str,
    #[serde(rename = "riskEventTypes_v2")]
    risk_event_types_v2: [&'a str; 0],
    resource_display_name: &'a str,
    resource_id: &'a str,
    resource_tenant_id: &'a str,
    home_tenant_id: &'a str,
    authentication_requirement: &'a str,
    sign_in_event_types: [&'a str; 1],
    status: Status<'a>,
    device_detail: DeviceDetail<'a>,
    location: Location<'a>,
    mfa_detail: MfaDetail<'a>,
    authentication_details: Vec<AuthenticationDetail<'a>>,
    applied_conditional_access_policies: [&'a str; 0],
}

/// Returns the `failureReason` Entra writes for an error code.
fn failure_reason(code: u32) -> &'static str {
    match code {
        code::SUCCESS => "Other.",
        code::WRONG_PASSWORD => "Error validating credentials due to invalid username or password.",
        code::LOCKED => {
            "Account is locked because user tried to sign in too many times with an incorrect user ID or password."
        }
        code::MFA_REQUIRED => "Strong Authentication is required.",
        code::MFA_FAILED => "Authentication failed during strong authentication request.",
        code::KEEP_ME_SIGNED_IN => {
            "This error occurred due to 'Keep me signed in' interrupt when the user was signing in."
        }
        _ => "Other.",
    }
}

fn additional_details(auth: Auth, code: u32) -> Option<&'static str> {
    match (auth, code) {
        (Auth::PreviouslySatisfied, code::SUCCESS) => {
            Some("MFA requirement satisfied by claim in the token")
        }
        (Auth::Mfa(_), _) => Some("MFA completed in Azure AD"),
        (Auth::MfaRequired, _) => Some("MFA required in Azure AD"),
        _ => None,
    }
}

fn password_step(
    time: Millis,
    succeeded: bool,
    detail: &'static str,
) -> AuthenticationDetail<'static> {
    AuthenticationDetail {
        authentication_step_date_time: GraphTime(time),
        authentication_method: "Password",
        authentication_method_detail: Some("Password Hash Sync"),
        succeeded,
        authentication_step_result_detail: detail,
        authentication_step_requirement: "Primary authentication",
    }
}

fn mfa_step(
    time: Millis,
    method: &'static str,
    succeeded: bool,
    detail: &'static str,
) -> AuthenticationDetail<'static> {
    AuthenticationDetail {
        authentication_step_date_time: GraphTime(time),
        authentication_method: method,
        authentication_method_detail: None,
        succeeded,
        authentication_step_result_detail: detail,
        authentication_step_requirement: "Multi-factor authentication",
    }
}

/// Returns the `authenticationDetails` steps of an authentication outcome.
fn authentication_details(auth: Auth, time: Millis) -> Vec<AuthenticationDetail<'static>> {
    match auth {
        Auth::Password => vec![password_step(time, true, "Correct password")],
        Auth::WrongPassword => vec![password_step(
            time,
            false,
            "Invalid username or password or Invalid on-premise username or password.",
        )],
        Auth::Locked => vec![password_step(time, false, "User account is locked")],
        Auth::PreviouslySatisfied => vec![
            AuthenticationDetail {
                authentication_method: "Previously satisfied",
                authentication_method_detail: None,
                authentication_step_result_detail: "First factor requirement satisfied by claim in the token",
                ..password_step(time, true, "")
            },
            mfa_step(
                time,
                "Previously satisfied",
                true,
                "MFA requirement satisfied by claim in the token",
            ),
        ],
        Auth::Mfa(method) => vec![
            password_step(time - 15 * SECOND, true, "Correct password"),
            mfa_step(time, method, true, "MFA successfully completed"),
        ],
        Auth::MfaRequired => vec![password_step(time, true, "Correct password")],
        Auth::MfaFailed(method, detail) => vec![
            password_step(time - 30 * SECOND, true, "Correct password"),
            mfa_step(time, method, false, detail),
        ],
    }
}

fn requirement(auth: Auth) -> &'static str {
    match auth {
        Auth::Password | Auth::WrongPassword | Auth::Locked => "singleFactorAuthentication",
        _ => "multiFactorAuthentication",
    }
}

fn mfa_detail(auth: Auth) -> MfaDetail<'static> {
    match auth {
        Auth::Mfa(method) | Auth::MfaFailed(method, _) => MfaDetail {
            auth_method: Some(method),
            auth_detail: None,
        },
        _ => MfaDetail {
            auth_method: None,
            auth_detail: None,
        },
    }
}

/// Returns the user agent of a sign-in: the browser's for browser sign-ins, the Office client's for
/// desktop apps on a computer, and the platform's own for phones and scripts.
fn user_agent(sign_in: &SignIn, platform: &'static Platform) -> &'static str {
    let computer = matches!(sign_in.device, DeviceRef::Computer(_) | DeviceRef::Extra(_));
    if sign_in.client_app == "Browser" || !computer {
        return platform.user_agent;
    }
    if platform.operating_system == "MacOs" {
        "Microsoft Office/16.0 (Macintosh; Mac OS X 10.15.7; Microsoft Outlook 16.91)"
    } else {
        "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.18129; Pro)"
    }
}

fn device_detail<'a>(ctx: &Context<'a>, sign_in: &SignIn) -> (DeviceDetail<'a>, &'static Platform) {
    let user = ctx.user(sign_in.user);
    let device = match sign_in.device {
        DeviceRef::Computer(index) => user.devices.get(usize::from(index)),
        DeviceRef::Phone => user.phone.as_ref().map(|phone| &phone.device),
        DeviceRef::Extra(index) => ctx.extra_devices.get(index as usize),
        DeviceRef::Unregistered(_) => None,
    };
    let platform = match (device, sign_in.device) {
        (Some(device), _) => device.platform,
        (None, DeviceRef::Unregistered(platform)) => platform,
        (None, _) => &crate::directory::WINDOWS_EDGE,
    };
    let browser = if sign_in.client_app == "Browser" || matches!(sign_in.device, DeviceRef::Phone) {
        platform.browser
    } else {
        "Rich Client 4.66.1.0"
    };
    let detail = DeviceDetail {
        device_id: device
            .and_then(|device| device.device_id)
            .map(|id| id.to_string())
            .unwrap_or_default(),
        display_name: device.and_then(|device| device.display_name.as_deref()),
        operating_system: platform.operating_system,
        browser,
        is_compliant: device.is_some_and(|device| device.is_compliant),
        is_managed: device.is_some_and(|device| device.is_managed),
        trust_type: device.and_then(|device| device.trust_type),
    };
    (detail, platform)
}

/// Writes one sign-in as a Graph `signIn` object.
pub(crate) fn sign_in<W: std::io::Write>(
    ctx: &Context<'_>,
    id: Guid,
    time: Millis,
    sign_in: &SignIn,
    out: W,
) -> serde_json::Result<()> {
    let user = ctx.user(sign_in.user);
    let (device_detail, platform) = device_detail(ctx, sign_in);
    let record = GraphSignIn {
        id,
        created_date_time: GraphTime(time),
        user_display_name: &user.display_name,
        user_principal_name: &user.user_principal_name,
        user_id: user.object_id,
        app_id: sign_in.app.id,
        app_display_name: sign_in.app.name,
        ip_address: sign_in.ip.to_string(),
        client_app_used: sign_in.client_app,
        user_agent: user_agent(sign_in, platform),
        correlation_id: sign_in.correlation,
        conditional_access_status: sign_in.conditional_access,
        is_interactive: sign_in.interactive,
        risk_detail: "none",
        risk_level_aggregated: sign_in.risk,
        risk_level_during_sign_in: sign_in.risk,
        risk_state: "none",
        risk_event_types_v2: [],
        resource_display_name: sign_in.resource.name,
        resource_id: sign_in.resource.id,
        resource_tenant_id: ctx.tenant_id,
        home_tenant_id: ctx.tenant_id,
        authentication_requirement: requirement(sign_in.auth),
        sign_in_event_types: [if sign_in.interactive {
            "interactiveUser"
        } else {
            "nonInteractiveUser"
        }],
        status: Status {
            error_code: sign_in.error_code,
            failure_reason: failure_reason(sign_in.error_code),
            additional_details: additional_details(sign_in.auth, sign_in.error_code),
        },
        device_detail,
        location: Location {
            city: sign_in.city.name,
            state: sign_in.city.state,
            country_or_region: sign_in.city.country,
            geo_coordinates: GeoCoordinates {
                altitude: None,
                latitude: sign_in.city.latitude,
                longitude: sign_in.city.longitude,
            },
        },
        mfa_detail: mfa_detail(sign_in.auth),
        authentication_details: authentication_details(sign_in.auth, time),
        applied_conditional_access_policies: [],
    };
    serde_json::to_writer(out, &record)
}
