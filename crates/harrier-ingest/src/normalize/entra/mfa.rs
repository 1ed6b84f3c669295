//! The multi-factor result and authentication methods of a sign-in, from its authentication steps.

use harrier_model::MfaResult;
use serde_json::Value;

use super::Layers;
use crate::fields::Fields;

/// Interrupts that wait for multi-factor authentication or its registration.
const MFA_INTERRUPTS: [u32; 4] = [50072, 50074, 50076, 50079];

/// Entra error 500121: authentication failed during the strong authentication (MFA) request.
const MFA_FAILED: u32 = 500121;

/// One authentication step, or the sign-in's `status.additionalDetails` read as a step.
pub(in crate::normalize) struct Step {
    pub method: Option<String>,
    /// `authenticationStepRequirement` (`Primary authentication`, `Multifactor authentication`, ...).
    pub requirement: String,
    /// `authenticationStepResultDetail` (`MFA successfully completed`, `Correct password`, ...).
    pub detail: String,
    pub succeeded: bool,
}

impl Step {
    /// True for a second-factor step: its requirement or result names multi-factor authentication.
    fn is_second_factor(&self) -> bool {
        let requirement = self.requirement.to_ascii_lowercase();
        let detail = self.detail.to_ascii_lowercase();
        ["multi", "mfa", "secondary"].iter().any(|word| requirement.contains(word))
            || detail.contains("mfa")
            || detail.contains("multi-factor")
            || detail.contains("multifactor")
    }

    fn satisfied_by_claim(&self) -> bool {
        self.detail.to_ascii_lowercase().contains("satisfied by claim")
    }
}

/// Reads `authenticationDetails`, followed by `status.additionalDetails` as a step that succeeded when the
/// sign-in did.
pub(super) fn steps(fields: Layers<'_>, status: Option<Fields<'_>>, success: bool) -> Vec<Step> {
    let details = fields.json("authenticationDetails");
    let mut steps: Vec<Step> = details
        .as_deref()
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Fields::of)
        .map(|step| Step {
            method: step.str("authenticationMethod").map(str::to_owned),
            requirement: step.str("authenticationStepRequirement").unwrap_or("").to_owned(),
            detail: step.str("authenticationStepResultDetail").unwrap_or("").to_owned(),
            succeeded: step.bool("succeeded").unwrap_or(false),
        })
        .collect();
    if let Some(additional) = status.and_then(|status| status.str("additionalDetails")) {
        steps.push(Step {
            method: None,
            requirement: String::new(),
            detail: additional.to_owned(),
            succeeded: success,
        });
    }
    steps
}

/// Lists the authentication methods of the sign-in's steps, else Sentinel's `AuthenticationMethodsUsed`,
/// followed by the method of the older `mfaDetail` when the steps do not list it.
pub(super) fn auth_methods(fields: Layers<'_>, steps: &[Step]) -> Vec<String> {
    methods(steps, fields.str("AuthenticationMethodsUsed"), mfa_detail_method(fields))
}

/// Lists the methods of `steps`, then those of `used` (comma-separated), then `mfa_detail`, each once.
pub(in crate::normalize) fn methods(steps: &[Step], used: Option<&str>, mfa_detail: Option<String>) -> Vec<String> {
    let mut methods: Vec<String> = Vec::new();
    let mut add = |method: &str| {
        let method = method.trim();
        if !method.is_empty() && !methods.iter().any(|known| known == method) {
            methods.push(method.to_owned());
        }
    };
    steps.iter().filter_map(|step| step.method.as_deref()).for_each(&mut add);
    if let Some(used) = used {
        used.split(',').for_each(&mut add);
    }
    if let Some(method) = mfa_detail {
        add(&method);
    }
    methods
}

fn mfa_detail_method(fields: Layers<'_>) -> Option<String> {
    let detail = fields.json("mfaDetail")?;
    Fields::of(&detail)?.str("authMethod").map(str::to_owned)
}

pub(super) fn has_mfa_detail(fields: Layers<'_>) -> bool {
    mfa_detail_method(fields).is_some()
}

/// Returns the multi-factor result, judged on the strongest evidence first: the error code, then
/// second-factor steps (a claim in the token, a step that succeeded, a step that failed), then a completed
/// `mfaDetail`, then a single-factor requirement.
pub(in crate::normalize) fn result(
    error_code: Option<u32>,
    steps: &[Step],
    requirement: Option<&str>,
    mfa_detail_completed: bool,
) -> MfaResult {
    match error_code {
        Some(MFA_FAILED) => return MfaResult::Failed,
        Some(code) if MFA_INTERRUPTS.contains(&code) => return MfaResult::Interrupted,
        _ => {}
    }
    let second: Vec<&Step> = steps.iter().filter(|step| step.is_second_factor()).collect();
    if second.iter().any(|step| step.satisfied_by_claim()) {
        return MfaResult::SatisfiedByClaim;
    }
    if second.iter().any(|step| step.succeeded) || mfa_detail_completed {
        return MfaResult::Satisfied;
    }
    if !second.is_empty() {
        return MfaResult::Failed;
    }
    if requirement.is_some_and(|requirement| requirement.eq_ignore_ascii_case("singleFactorAuthentication")) {
        return MfaResult::NotRequired;
    }
    MfaResult::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(requirement: &str, detail: &str, succeeded: bool) -> Step {
        Step { method: None, requirement: requirement.into(), detail: detail.into(), succeeded }
    }

    #[test]
    fn mfa_results() {
        let single = Some("singleFactorAuthentication");
        assert_eq!(result(Some(500121), &[], None, false), MfaResult::Failed);
        assert_eq!(result(Some(50074), &[], single, false), MfaResult::Interrupted);
        assert_eq!(
            result(Some(0), &[step("Primary authentication", "Correct password", true)], single, false),
            MfaResult::NotRequired
        );
        let first_claim =
            step("Primary authentication", "First factor requirement satisfied by claim in the token", true);
        assert_eq!(result(Some(0), &[first_claim], single, false), MfaResult::NotRequired);
        let claim = step("", "MFA requirement satisfied by claim in the token", true);
        assert_eq!(result(Some(0), &[claim], Some("multiFactorAuthentication"), false), MfaResult::SatisfiedByClaim);
        let push = step("Multifactor authentication", "MFA successfully completed", true);
        assert_eq!(result(Some(0), &[push], Some("multiFactorAuthentication"), false), MfaResult::Satisfied);
        let denied = step("Multifactor authentication", "MFA denied; user declined the authentication", false);
        assert_eq!(result(Some(500121), &[denied], None, false), MfaResult::Failed);
        let denied = step("Multifactor authentication", "MFA denied; user declined the authentication", false);
        assert_eq!(result(Some(50158), &[denied], None, false), MfaResult::Failed);
        assert_eq!(result(Some(0), &[], Some("multiFactorAuthentication"), false), MfaResult::Unknown);
    }
}
