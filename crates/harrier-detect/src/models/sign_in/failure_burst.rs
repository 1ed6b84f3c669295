//! A burst of failed sign-ins for one user, far above the user's usual failure rate.

use harrier_learn::{Feature, Metric};
use harrier_model::{Activity, IpClass};

use super::shared::{
    LEARNING_FACTOR_DESCRIPTION, LOCKED, doublings, feature_deviation, is_anonymising, is_credential_code,
    is_credential_failure, is_level, minutes_ms, new_before, scale_for_learning, with_earlier_events, with_source,
};
use crate::breach::{Breach, Deviation, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::explain::history;
use crate::recent::Attempt;

pub struct FailureBurst;

static INFO: ModelInfo = ModelInfo {
    id: "saas.failure_burst",
    name: "Burst of failed sign-ins",
    version: 1,
    description: "Many rejected credentials (wrong password, locked, disabled or unknown account) for one user \
                  within a short window, far above the user's daily failure rate. Scored up for lockouts and \
                  for sources new to the user or anonymising, and down when the failures come from a network \
                  the user already uses.",
    technique: Technique { id: "T1110.001", name: "Brute Force: Password Guessing", tactic: "credential-access" },
    stage: Stage::CredentialAccess,
};

static PARAMS: [Param; 9] = [
    Param { name: "window_minutes", default: 60.0, description: "length of the window failures are counted in, in minutes" },
    Param { name: "min_failures", default: 10.0, description: "failures in the window that raise the first breach; more breaches follow at 2, 4, 8 ... times this" },
    Param { name: "min_z", default: 4.0, description: "standard deviations above the user's daily failure mean the window count must reach" },
    Param { name: "base", default: 50.0, description: "score at the first level" },
    Param { name: "per_doubling", default: 15.0, description: "points each time the count doubles beyond the first level" },
    Param { name: "lockout", default: 10.0, description: "points when a failure in the window locked the account (error 50053)" },
    Param { name: "unusual_source", default: 15.0, description: "points when the source's autonomous system is new to the user, or the source is hosting, VPN or Tor" },
    Param { name: "known_source_factor", default: 0.5, description: "multiplier when the source's autonomous system is known for the user and the source is not anonymising" },
    Param { name: "learning_factor", default: 0.7, description: LEARNING_FACTOR_DESCRIPTION },
];

impl Model for FailureBurst {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let Activity::SignIn(sign_in) = &context.event.activity else { return None };
        let user = context.event.actor.user.as_deref()?;
        if !is_credential_failure(sign_in) {
            return None;
        }
        // An address in Microsoft's service ranges is a Microsoft service signing in on a client's behalf,
        // so it does not identify who guessed.
        if context.event.ip_info.as_ref().is_some_and(|info| info.class == IpClass::Microsoft) {
            return None;
        }
        let since_ms = context.time_ms() - minutes_ms(context.param("window_minutes"));
        let earlier: Vec<&Attempt> = context
            .user
            .map(|recent| recent.failures_between(since_ms, context.time_ms()).filter(|a| is_credential_code(a.error_code)).collect())
            .unwrap_or_default();
        let count = earlier.len() + 1;
        let min_failures = context.param("min_failures").max(1.0) as usize;
        if !is_level(count, min_failures) {
            return None;
        }

        let volume = context.baselines.user(user).map(|u| *u.profile.volume(Metric::FailedSignIns)).unwrap_or_default();
        let z = volume.z_score(count as f32);
        if f64::from(z) < context.param("min_z") {
            return None;
        }

        let locked = sign_in.error_code == Some(LOCKED) || earlier.iter().any(|a| a.error_code == Some(LOCKED));
        let class = context.event.ip_info.as_ref().map_or(IpClass::Unknown, |info| info.class);
        let asn_new = context.assessment.surprise(Feature::Asn).is_some_and(|s| new_before(s, earlier.len()));
        let unusual = asn_new || is_anonymising(class);

        let mut score = context.param("base") + context.param("per_doubling") * doublings(count, min_failures);
        if locked {
            score += context.param("lockout");
        }
        if unusual {
            score += context.param("unusual_source");
        } else if context.assessment.surprise(Feature::Asn).is_some() {
            score *= context.param("known_source_factor");
        }
        let score = scale_for_learning(context, score);

        let window = context.param("window_minutes");
        let summary = format!(
            "{count} failed sign-ins in {window:.0} minutes{}, against a usual {:.1} a day, with {}",
            if locked { ", including a lockout" } else { "" },
            volume.mean,
            history(context.assessment)
        );
        let deviation = Deviation {
            measure: Metric::FailedSignIns.as_str().to_owned(),
            observed: format!("{count} in {window:.0} minutes"),
            baseline: format!("mean {:.1} a day, most {:.0} in a day, over {} days", volume.mean, volume.max, volume.days),
            score: z,
        };
        let mut breach = Breach::new(&INFO, context.event, score as f32, summary)
            .evidence("failures_in_window", count)
            .evidence("locked", locked)
            .deviation(deviation);
        if unusual {
            breach.deviations.extend(feature_deviation(context, Feature::Asn));
        }
        let breach = with_source(breach, context.event);
        Some(with_earlier_events(breach, earlier.iter().map(|a| a.record_id.clone())))
    }
}
