//! Microsoft Graph `signIn` objects: the members `bench/gen_logs.py` writes, plus the documented members
//! that no normaliser reads.
//!
//! The shape leaves out the Azure Monitor envelope, the Sentinel columns and the service principal and
//! managed identity members, so `sign_in::normalize` reads such a record from its own members only, and
//! this module repeats those reads. A record with any other top-level member takes the `Fields` path.

use harrier_model::{
    Activity, Actor, ActorKind, AppRef, Client, Device, Event, GeoLocation, Outcome, SignIn, SignInType, SourceFormat,
};

use super::value::{Element, Nested, Scalar, ScalarField, is_unread, nested, typed_object};
use crate::normalize::entra::{mfa, sign_in};
use crate::normalize::{Context, parse_ip, prefixed_id, tenant, user_key};
use crate::time::parse_timestamp;

/// Members of Graph's `signIn` resource that no normaliser or format check reads, in lower case, so the
/// typed path skips them. The other documented members (`authenticationProtocol`, `servicePrincipalId`,
/// `homeTenantId`, `mfaDetail`, `signInEventTypes` and more) are read by rules this module does not repeat,
/// so a record with any of them takes the `Fields` path.
const UNREAD_MEMBERS: &[&[u8]] = &[
    b"appliedconditionalaccesspolicies",
    b"appownertenantid",
    b"authenticationappdevicedetails",
    b"authenticationapppolicyevaluationdetails",
    b"authenticationcontextclassreferences",
    b"authenticationprocessingdetails",
    b"authenticationrequirementpolicies",
    b"autonomoussystemnumber",
    b"azureresourceid",
    b"clientcredentialtype",
    b"conditionalaccessaudiences",
    b"crosstenantaccesstype",
    b"federatedcredentialid",
    b"flaggedforreview",
    b"globalsecureaccessipaddress",
    b"hometenantname",
    b"incomingtokentype",
    b"ipaddressfromresourceprovider",
    b"istenantrestricted",
    b"isthroughglobalsecureaccess",
    b"managedserviceidentity",
    b"networklocationdetails",
    b"originalrequestid",
    b"originaltransfermethod",
    b"privatelinkdetails",
    b"processingtimeinmilliseconds",
    b"resourceownertenantid",
    b"riskdetail",
    b"riskeventtypes",
    b"riskeventtypes_v2",
    b"risklevelaggregated",
    b"riskstate",
    b"serviceprincipalcredentialkeyid",
    b"serviceprincipalcredentialthumbprint",
    b"sessionid",
    b"sessionlifetimepolicies",
    b"signinidentifier",
    b"signinidentifiertype",
    b"signintokenprotectionstatus",
    b"tokenissuername",
    b"tokenissuertype",
    b"tokenprotectionstatusdetails",
    b"uniquetokenidentifier",
];

typed_object! {
    /// A Graph `signIn` object.
    SignInRecord<'a>, unknown: reject except UNREAD_MEMBERS {
        id: Scalar<'a> = b"id",
        created_date_time: Scalar<'a> = b"createddatetime",
        user_display_name: Scalar<'a> = b"userdisplayname",
        user_principal_name: Scalar<'a> = b"userprincipalname",
        user_id: Scalar<'a> = b"userid",
        app_id: Scalar<'a> = b"appid",
        app_display_name: Scalar<'a> = b"appdisplayname",
        ip_address: Scalar<'a> = b"ipaddress",
        client_app_used: Scalar<'a> = b"clientappused",
        user_agent: Scalar<'a> = b"useragent",
        correlation_id: Scalar<'a> = b"correlationid",
        conditional_access_status: Scalar<'a> = b"conditionalaccessstatus",
        is_interactive: Scalar<'a> = b"isinteractive",
        risk_level_during_sign_in: Scalar<'a> = b"risklevelduringsignin",
        status: Nested<Status<'a>> = b"status",
        device_detail: Nested<DeviceDetail<'a>> = b"devicedetail",
        location: Nested<Location<'a>> = b"location",
        authentication_details: Nested<Vec<Element<AuthenticationStep<'a>>>> = b"authenticationdetails",
        authentication_requirement: Scalar<'a> = b"authenticationrequirement",
        resource_display_name: Scalar<'a> = b"resourcedisplayname",
        resource_id: Scalar<'a> = b"resourceid",
    }
}

typed_object! {
    /// The sign-in's `status`.
    Status<'a>, unknown: ignore {
        error_code: Scalar<'a> = b"errorcode",
        failure_reason: Scalar<'a> = b"failurereason",
        additional_details: Scalar<'a> = b"additionaldetails",
    }
}

typed_object! {
    /// The sign-in's `deviceDetail`.
    DeviceDetail<'a>, unknown: ignore {
        device_id: Scalar<'a> = b"deviceid",
        display_name: Scalar<'a> = b"displayname",
        operating_system: Scalar<'a> = b"operatingsystem",
        browser: Scalar<'a> = b"browser",
        trust_type: Scalar<'a> = b"trusttype",
        is_compliant: Scalar<'a> = b"iscompliant",
        is_managed: Scalar<'a> = b"ismanaged",
    }
}

typed_object! {
    /// The sign-in's `location`.
    Location<'a>, unknown: ignore {
        city: Scalar<'a> = b"city",
        state: Scalar<'a> = b"state",
        country_or_region: Scalar<'a> = b"countryorregion",
        geo_coordinates: Nested<GeoCoordinates<'a>> = b"geocoordinates",
    }
}

typed_object! {
    /// The `geoCoordinates` of a location.
    GeoCoordinates<'a>, unknown: ignore {
        latitude: Scalar<'a> = b"latitude",
        longitude: Scalar<'a> = b"longitude",
    }
}

typed_object! {
    /// One entry of `authenticationDetails`.
    AuthenticationStep<'a>, unknown: ignore {
        authentication_method: Scalar<'a> = b"authenticationmethod",
        authentication_step_requirement: Scalar<'a> = b"authenticationsteprequirement",
        authentication_step_result_detail: Scalar<'a> = b"authenticationstepresultdetail",
        succeeded: Scalar<'a> = b"succeeded",
    }
}

/// Normalises a sign-in as `sign_in::normalize` does, or returns `None` when the `Fields` path must read it.
pub(super) fn normalize(record: &SignInRecord<'_>, context: &Context<'_>) -> Option<Event> {
    // `detect` reads a record with both members as a Graph sign-in.
    if !record.status.as_ref().is_some_and(|status| status.present) {
        return None;
    }
    // Members that are present but neither an object nor JSON text are read by rules this module does not
    // repeat (a bare country code in `location`, for one).
    if is_unread(&record.status)
        || is_unread(&record.device_detail)
        || is_unread(&record.location)
        || is_unread(&record.authentication_details)
    {
        return None;
    }
    let time = parse_timestamp(record.created_date_time.str()?)?;
    // A record that names no sign-in and no principal is skipped as a summary by the `Fields` path.
    let record_id = prefixed_id("signin", record.id.str())?;

    let sign_in_type =
        if record.is_interactive.bool() == Some(false) { SignInType::NonInteractive } else { SignInType::Interactive };
    let (sign_in, outcome) = read(record, sign_in_type);
    let user = record.user_principal_name.str().and_then(user_key);
    let object_id = record.user_id.str().map(str::to_owned);
    let kind = if user.is_some() || object_id.is_some() { ActorKind::User } else { ActorKind::Unknown };

    Some(Event {
        tenant: tenant(context, None),
        record_id,
        time,
        format: SourceFormat::GraphSignIn,
        operation: "Sign-in activity".to_owned(),
        workload: Some(sign_in::log_name(sign_in_type).to_owned()),
        outcome,
        actor: Actor {
            user,
            object_id,
            display_name: record.user_display_name.str().map(str::to_owned),
            app_id: record.app_id.str().map(str::to_owned),
            kind,
        },
        client: Client {
            ip: record.ip_address.str().and_then(parse_ip),
            user_agent: record.user_agent.str().map(str::to_owned),
        },
        ip_info: None,
        activity: Activity::SignIn(sign_in),
    })
}

/// Reads the sign-in and its outcome as `sign_in::read` does.
fn read(record: &SignInRecord<'_>, sign_in_type: SignInType) -> (SignIn, Outcome) {
    let status = nested(&record.status);
    let error_code = status.and_then(|status| status.error_code.i64()).and_then(|code| u32::try_from(code).ok());
    let outcome = sign_in::code_outcome(error_code).unwrap_or(Outcome::Unknown);
    let success = outcome == Outcome::Success;
    let client_app = record.client_app_used.str().map(str::to_owned);
    let auth_requirement = record.authentication_requirement.str().map(str::to_owned);
    let steps = steps(record, status, success);

    let sign_in = SignIn {
        success,
        error_code,
        failure_reason: if success {
            None
        } else {
            status.and_then(|status| status.failure_reason.str()).map(str::to_owned)
        },
        application: AppRef {
            id: record.app_id.str().map(str::to_owned),
            name: record.app_display_name.str().map(str::to_owned),
        },
        resource: AppRef {
            id: record.resource_id.str().filter(|id| !id.starts_with('/')).map(str::to_owned),
            name: record.resource_display_name.str().map(str::to_owned),
        },
        legacy_auth: client_app.as_deref().is_some_and(sign_in::is_legacy_client),
        client_app,
        auth_methods: mfa::methods(&steps, None, None),
        mfa: mfa::result(error_code, &steps, auth_requirement.as_deref(), false),
        auth_requirement,
        location: location(record),
        device: device(record),
        interactive: if sign_in_type == SignInType::Interactive { record.is_interactive.bool() } else { Some(false) },
        sign_in_type,
        risk_level: record.risk_level_during_sign_in.str().map(str::to_owned),
        conditional_access: record.conditional_access_status.str().map(str::to_owned),
        correlation_id: record.correlation_id.str().map(str::to_owned),
        authentication_protocol: None,
        request_type: None,
    };
    (sign_in, outcome)
}

/// Reads the authentication steps as `mfa::steps` does.
fn steps(record: &SignInRecord<'_>, status: Option<&Status<'_>>, success: bool) -> Vec<mfa::Step> {
    let details = nested(&record.authentication_details).map(Vec::as_slice).unwrap_or_default();
    let mut steps: Vec<mfa::Step> = details
        .iter()
        .filter_map(|step| step.0.as_ref())
        .map(|step| mfa::Step {
            method: step.authentication_method.str().map(str::to_owned),
            requirement: step.authentication_step_requirement.str().unwrap_or("").to_owned(),
            detail: step.authentication_step_result_detail.str().unwrap_or("").to_owned(),
            succeeded: step.succeeded.bool().unwrap_or(false),
        })
        .collect();
    if let Some(additional) = status.and_then(|status| status.additional_details.str()) {
        steps.push(mfa::Step {
            method: None,
            requirement: String::new(),
            detail: additional.to_owned(),
            succeeded: success,
        });
    }
    steps
}

/// Reads the geolocation as `sign_in::location` does.
fn location(record: &SignInRecord<'_>) -> Option<GeoLocation> {
    let details = nested(&record.location);
    let text = |member: Option<&Option<Scalar<'_>>>| member.and_then(|m| m.str()).map(str::to_owned);
    let coordinates = details.and_then(|d| nested(&d.geo_coordinates));
    let coordinate = |member: &Option<Scalar<'_>>, limit: f64| {
        let value = member.get()?.f64()?;
        (value.abs() <= limit).then_some(value)
    };
    let pair = coordinates.and_then(|c| coordinate(&c.latitude, 90.0).zip(coordinate(&c.longitude, 180.0)));

    let location = GeoLocation {
        country: text(details.map(|d| &d.country_or_region)),
        state: text(details.map(|d| &d.state)),
        city: text(details.map(|d| &d.city)),
        latitude: pair.map(|(latitude, _)| latitude),
        longitude: pair.map(|(_, longitude)| longitude),
    };
    (location != GeoLocation::default()).then_some(location)
}

/// Reads the device as `sign_in::device` does.
fn device(record: &SignInRecord<'_>) -> Option<Device> {
    let detail = nested(&record.device_detail)?;
    let text = |member: &Option<Scalar<'_>>| member.str().map(str::to_owned);
    let device = Device {
        id: text(&detail.device_id),
        name: text(&detail.display_name),
        operating_system: text(&detail.operating_system),
        browser: text(&detail.browser),
        trust_type: text(&detail.trust_type),
        is_compliant: detail.is_compliant.bool(),
        is_managed: detail.is_managed.bool(),
    };
    (device != Device::default()).then_some(device)
}
