//! A successful sign-in from a rare source right after failed sign-ins: brute force, then success.

use harrier_learn::Feature;

use super::shared::{
    LEARNING_FACTOR_DESCRIPTION, external_success, feature_deviation, is_anonymising, is_credential_code, known_client, minutes_ms,
    new_before, scale_for_learning, with_earlier_events, with_source,
};
use crate::breach::{Breach, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::explain::history;
use crate::recent::Attempt;

pub struct RareSourceAfterFailures;

static INFO: ModelInfo = ModelInfo {
    id: "saas.rare_source_after_failures",
    name: "Successful sign-in from a rare source after failures",
    version: 1,
    description: "A successful sign-in from a hosting, VPN or Tor address, or from an autonomous system or \
                  country the user had not used before the failures, that follows rejected credentials for \
                  the same user within a window: the pattern of a password guessed or sprayed and then used. \
                  Scored up when the same address failed before, and down when the device and client are \
                  ones the user already uses on an ordinary network.",
    technique: Technique { id: "T1078.004", name: "Valid Accounts: Cloud Accounts", tactic: "initial-access" },
    stage: Stage::InitialAccess,
};

static PARAMS: [Param; 8] = [
    Param { name: "window_minutes", default: 360.0, description: "how long before the success failures count, in minutes" },
    Param { name: "min_failures", default: 3.0, description: "rejected credentials in the window needed before the success" },
    Param { name: "base", default: 65.0, description: "score of a success from a rare source after failures" },
    Param { name: "same_source", default: 10.0, description: "points when at least one failure came from the same address" },
    Param { name: "anonymising_network", default: 10.0, description: "points when the source is hosting, VPN or Tor" },
    Param { name: "many_failures", default: 10.0, description: "points when the failures in the window number at least 10" },
    Param { name: "known_client_factor", default: 0.5, description: "multiplier when the device and user agent are known for the user and the source is not anonymising" },
    Param { name: "learning_factor", default: 0.6, description: LEARNING_FACTOR_DESCRIPTION },
];

impl Model for RareSourceAfterFailures {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let info = external_success(context.event)?;
        let since_ms = context.time_ms() - minutes_ms(context.param("window_minutes"));
        let failures: Vec<&Attempt> = context
            .user?
            .failures_between(since_ms, context.time_ms())
            .filter(|a| is_credential_code(a.error_code))
            .collect();
        if (failures.len() as f64) < context.param("min_failures").max(1.0) {
            return None;
        }

        let anonymising = is_anonymising(info.class);
        let rare: Vec<Feature> = [Feature::Asn, Feature::Country]
            .into_iter()
            .filter(|f| context.assessment.surprise(*f).is_some_and(|s| new_before(s, failures.len())))
            .collect();
        if !anonymising && rare.is_empty() {
            return None;
        }

        let same_source = context.event.client.ip.is_some_and(|ip| failures.iter().any(|a| a.ip == Some(ip)));
        let mut score = context.param("base");
        if same_source {
            score += context.param("same_source");
        }
        if anonymising {
            score += context.param("anonymising_network");
        }
        if failures.len() >= 10 {
            score += context.param("many_failures");
        }
        let known = known_client(context.assessment);
        if known && !anonymising {
            score *= context.param("known_client_factor");
        }
        let score = scale_for_learning(context, score);

        let summary = format!(
            "Successful sign-in from a source rare for the user after {} failed sign-ins in {:.0} minutes{}, with {}",
            failures.len(),
            context.param("window_minutes"),
            if same_source { ", some from the same address" } else { "" },
            history(context.assessment)
        );
        let mut breach = Breach::new(&INFO, context.event, score as f32, summary)
            .evidence("failures_in_window", failures.len())
            .evidence("same_source", same_source)
            .evidence("known_client", known);
        breach.deviations.extend(rare.iter().filter_map(|f| feature_deviation(context, *f)));
        if anonymising {
            breach.deviations.extend(feature_deviation(context, Feature::IpClass));
        }
        let breach = with_source(breach, context.event);
        Some(with_earlier_events(breach, failures.iter().map(|a| a.record_id.clone())))
    }
}
