//! Helpers the sign-in models share: error-code classes, source descriptions and threshold crossings.

use harrier_learn::{Assessment, Feature, Surprise};
use harrier_model::{Activity, Event, IpClass, IpInfo, MfaResult, SignIn};

use crate::breach::{Breach, Deviation};
use crate::model::Context;
use crate::models::explain::{rarity, usual_values};

/// Entra error codes of a rejected credential: wrong password (50126), unknown user (50034), locked
/// (50053), expired password (50055), invalid or empty password (50056), disabled account (50057) and
/// failed credential validation (50064).
///
/// Interrupts that any ordinary sign-in produces (50058 silent sign-in, 16000 account selection, 50140
/// keep-me-signed-in, the MFA interrupts) are not credential failures.
pub const CREDENTIAL_FAILURES: [u32; 7] = [50034, 50053, 50055, 50056, 50057, 50064, 50126];

/// Entra error 50053: the account is locked, or sign-in was blocked from a malicious address.
pub const LOCKED: u32 = 50053;

/// Returns true when a failed sign-in rejected the credential itself.
///
/// A failure without an error code counts, because unified-audit-log `UserLoginFailed` records without
/// `ErrorNumber` or a known `LogonError` are mostly wrong passwords.
pub fn is_credential_failure(sign_in: &SignIn) -> bool {
    if sign_in.success || is_mfa_denial(sign_in) {
        return false;
    }
    sign_in.error_code.is_none_or(|code| CREDENTIAL_FAILURES.contains(&code))
}

/// Returns true for an error code of [`CREDENTIAL_FAILURES`], or no code at all.
pub fn is_credential_code(code: Option<u32>) -> bool {
    code.is_none_or(|code| CREDENTIAL_FAILURES.contains(&code))
}

/// Returns true for a denied, failed or timed-out second factor, as the engine records it in
/// `UserRecent::mfa_denials`.
pub fn is_mfa_denial(sign_in: &SignIn) -> bool {
    sign_in.mfa == MfaResult::Failed || sign_in.error_code == Some(500121)
}

/// Returns true for hosting, VPN and Tor addresses, which hide where the client really is.
pub fn is_anonymising(class: IpClass) -> bool {
    matches!(class, IpClass::Hosting | IpClass::Vpn | IpClass::Tor)
}

/// Returns the IP intelligence of a successful sign-in from an address outside Microsoft's own and private
/// ranges, the only sign-ins whose source tells something about who signed in.
pub fn external_success(event: &Event) -> Option<&IpInfo> {
    let Activity::SignIn(sign_in) = &event.activity else { return None };
    let info = event.ip_info.as_ref()?;
    let external = !matches!(info.class, IpClass::Microsoft | IpClass::Private);
    (sign_in.success && external).then_some(info)
}

/// Describes a source as `AS396073 (Majestic Hosting Solutions, LLC), US, hosting`.
pub fn describe_source(info: &IpInfo) -> String {
    format!(
        "AS{} ({}), {}, {}",
        info.asn.map_or_else(|| "?".to_owned(), |asn| asn.to_string()),
        info.as_org.as_deref().unwrap_or("unknown organisation"),
        info.country.as_deref().unwrap_or("unknown country"),
        info.class
    )
}

/// Returns true when `count` is a level that raises a breach: `first`, `2 × first`, `4 × first`, and so on.
/// Raising only at these levels keeps a long burst to a few breaches with rising scores.
pub fn is_level(count: usize, first: usize) -> bool {
    let first = first.max(1);
    count >= first && count.is_multiple_of(first) && (count / first).is_power_of_two()
}

/// Returns how many times `count` has doubled since `first`: 0 at `first`, 1 at twice `first`.
pub fn doublings(count: usize, first: usize) -> f64 {
    (count as f64 / first.max(1) as f64).log2().max(0.0)
}

/// Returns true when the device and user agent of the event are both ones the user already uses.
pub fn known_client(assessment: &Assessment) -> bool {
    [Feature::Device, Feature::UserAgent]
        .iter()
        .all(|feature| assessment.surprise(*feature).is_none_or(|s| !s.new_for_user()))
}

/// Returns the deviation of a feature value against the user's usual values.
pub fn feature_deviation(context: &Context<'_>, feature: Feature) -> Option<Deviation> {
    let surprise = context.assessment.surprise(feature)?;
    let profile = context.event.actor.user.as_deref().and_then(|u| context.baselines.user(u)).map(|u| &u.profile);
    let observed = match (feature, context.event.ip_info.as_ref()) {
        (Feature::IpClass, Some(info)) => info.class.as_str().to_owned(),
        _ => surprise.value().unwrap_or_default(),
    };
    Some(Deviation {
        measure: feature.as_str().to_owned(),
        observed,
        baseline: format!("{}; {}", usual_values(profile, feature, context.assessment.user_history_days), rarity(surprise)),
        score: surprise.bits,
    })
}

/// Applies the learning-period factor to a score.
pub fn scale_for_learning(context: &Context<'_>, score: f64) -> f64 {
    if context.assessment.learning() { score * context.param("learning_factor") } else { score }
}

/// Adds the source address and its description to a breach.
pub fn with_source(mut breach: Breach, event: &Event) -> Breach {
    if let Some(info) = &event.ip_info {
        breach = breach.evidence("source", describe_source(info));
    }
    if let Some(ip) = event.client.ip {
        breach = breach.evidence("source_ip", ip);
    }
    breach
}

/// Puts the record ids of earlier events before the triggering event's id, oldest first.
pub fn with_earlier_events(mut breach: Breach, earlier: impl IntoIterator<Item = String>) -> Breach {
    let mut events: Vec<String> = earlier.into_iter().collect();
    events.append(&mut breach.events);
    breach.events = events;
    breach
}

/// The `learning_factor` parameter every sign-in model declares.
pub const LEARNING_FACTOR_DESCRIPTION: &str =
    "multiplier on the score while the user or tenant is in its learning period";

/// Window lengths are parameters in minutes; the memory works in milliseconds.
pub fn minutes_ms(minutes: f64) -> i64 {
    (minutes * 60_000.0) as i64
}

/// Returns true when the user's count of a value is explained by `recent` events of the current run alone
/// (failures or denials in the model's window).
///
/// The baselines learn failed sign-ins too, so an attacker's failures make their network look known by the
/// time the model judges it. Counts within a day are close to whole events, so subtracting the run gives
/// the count from before it.
// NOTE: this assumes every event of the run came from the value being judged; when some came from another
// network, a value the user had used a few times before also reads as new.
pub fn new_before(surprise: &Surprise, recent: usize) -> bool {
    surprise.user_count - (recent as f32) < 0.5
}
