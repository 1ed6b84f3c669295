//! Repeated MFA prompts denied or left to time out, and an approval that follows them.

use harrier_learn::Feature;
use harrier_model::{Activity, IpClass, MfaResult};

use super::shared::{
    LEARNING_FACTOR_DESCRIPTION, doublings, feature_deviation, is_anonymising, is_level, is_mfa_denial, known_client,
    minutes_ms, new_before, scale_for_learning, with_earlier_events, with_source,
};
use crate::breach::{Breach, Deviation, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::explain::history;
use crate::recent::Attempt;

pub struct MfaFatigue;

static INFO: ModelInfo = ModelInfo {
    id: "saas.mfa_fatigue",
    name: "MFA fatigue",
    version: 1,
    description: "Repeated multi-factor prompts for one user denied, failed or timed out within a window (Entra \
                  error 500121), and above all a sign-in that completes MFA right after them, which is how an \
                  attacker holding the password gets a tired user to approve. The approval is raised as initial \
                  access and scored up when its source is new to the user or anonymising.",
    technique: Technique {
        id: "T1621",
        name: "Multi-Factor Authentication Request Generation",
        tactic: "credential-access",
    },
    stage: Stage::CredentialAccess,
};

static PARAMS: [Param; 10] = [
    Param { name: "window_minutes", default: 60.0, description: "length of the window denials are counted in, in minutes" },
    Param { name: "min_denials", default: 4.0, description: "denials in the window that raise the first breach; more follow at 2, 4, 8 ... times this" },
    Param { name: "min_denials_before_approval", default: 3.0, description: "denials in the window before an approval that make the approval suspicious" },
    Param { name: "denials_base", default: 45.0, description: "score of a run of denials at the first level" },
    Param { name: "per_doubling", default: 10.0, description: "points each time the count of denials doubles beyond its threshold" },
    Param { name: "approval_base", default: 65.0, description: "score of an approval after denials" },
    Param { name: "unusual_source", default: 15.0, description: "points when the source's autonomous system is new to the user, or the source is hosting, VPN or Tor" },
    Param { name: "same_source", default: 5.0, description: "points when the approval comes from an address that was denied in the window" },
    Param { name: "known_source_factor", default: 0.4, description: "multiplier when the source's autonomous system, the device and the client are all known for the user" },
    Param { name: "learning_factor", default: 0.7, description: LEARNING_FACTOR_DESCRIPTION },
];

impl Model for MfaFatigue {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let Activity::SignIn(sign_in) = &context.event.activity else { return None };
        context.event.actor.user.as_deref()?;
        let since_ms = context.time_ms() - minutes_ms(context.param("window_minutes"));
        let denials: Vec<&Attempt> = context.user.map(|r| r.mfa_denials_between(since_ms, context.time_ms()).collect()).unwrap_or_default();

        if is_mfa_denial(sign_in) {
            return self.denials(context, &denials);
        }
        if sign_in.success && sign_in.mfa == MfaResult::Satisfied {
            return self.approval(context, &denials);
        }
        None
    }
}

impl MfaFatigue {
    /// Raises on the denial that brings the count in the window to a level.
    fn denials(&self, context: &Context<'_>, earlier: &[&Attempt]) -> Option<Breach> {
        let count = earlier.len() + 1;
        let min_denials = context.param("min_denials").max(1.0) as usize;
        if !is_level(count, min_denials) {
            return None;
        }
        let unusual = unusual_source(context, earlier.len());
        let mut score = context.param("denials_base") + context.param("per_doubling") * doublings(count, min_denials);
        if unusual {
            score += context.param("unusual_source");
        } else if known_client(context.assessment) {
            score *= context.param("known_source_factor");
        }
        let score = scale_for_learning(context, score);
        let window = context.param("window_minutes");
        let summary = format!(
            "{count} MFA prompts denied, failed or timed out in {window:.0} minutes, with {}",
            history(context.assessment)
        );
        let breach = Breach::new(&INFO, context.event, score as f32, summary);
        Some(self.finish(context, breach, count, earlier, unusual))
    }

    /// Raises on a sign-in that completes MFA after denials in the window.
    fn approval(&self, context: &Context<'_>, earlier: &[&Attempt]) -> Option<Breach> {
        let count = earlier.len();
        if count == 0 || (count as f64) < context.param("min_denials_before_approval") {
            return None;
        }
        let unusual = unusual_source(context, earlier.len());
        let same_source = context.event.client.ip.is_some_and(|ip| earlier.iter().any(|a| a.ip == Some(ip)));
        let min_denials = context.param("min_denials_before_approval").max(1.0) as usize;
        let mut score = context.param("approval_base") + context.param("per_doubling") * doublings(count, min_denials);
        if same_source {
            score += context.param("same_source");
        }
        if unusual {
            score += context.param("unusual_source");
        } else if known_client(context.assessment) {
            score *= context.param("known_source_factor");
        }
        let score = scale_for_learning(context, score);
        let window = context.param("window_minutes");
        let summary = format!(
            "Sign-in completed MFA after {count} denied, failed or timed-out prompts in {window:.0} minutes{}, with {}",
            if unusual { ", from a source unusual for the user" } else { "" },
            history(context.assessment)
        );
        let mut breach = Breach::new(&INFO, context.event, score as f32, summary).evidence("same_source", same_source);
        breach.stage = Stage::InitialAccess;
        Some(self.finish(context, breach, count, earlier, unusual))
    }

    /// Adds the denial count, the source and the denied attempts to a breach.
    fn finish(&self, context: &Context<'_>, breach: Breach, denials: usize, earlier: &[&Attempt], unusual: bool) -> Breach {
        let window = context.param("window_minutes");
        let mut breach = breach.evidence("denials_in_window", denials).deviation(Deviation {
            measure: "mfa_denials".to_owned(),
            observed: format!("{denials} in {window:.0} minutes"),
            baseline: format!(
                "no per-user baseline; {:.0} denials in {window:.0} minutes raise a breach, {:.0} before an approval",
                context.param("min_denials"),
                context.param("min_denials_before_approval")
            ),
            score: denials as f32,
        });
        if unusual {
            breach.deviations.extend(feature_deviation(context, Feature::Asn));
        }
        let breach = with_source(breach, context.event);
        with_earlier_events(breach, earlier.iter().map(|a| a.record_id.clone()))
    }
}

/// Returns true when the source is anonymising, or its autonomous system was new to the user before the
/// `denials` in the window.
fn unusual_source(context: &Context<'_>, denials: usize) -> bool {
    let class = context.event.ip_info.as_ref().map_or(IpClass::Unknown, |info| info.class);
    is_anonymising(class) || context.assessment.surprise(Feature::Asn).is_some_and(|s| new_before(s, denials))
}
