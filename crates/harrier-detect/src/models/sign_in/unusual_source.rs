//! Credential use from an unusual external source.

use harrier_learn::Feature;
use harrier_model::IpClass;

use super::shared::{describe_source, external_success, known_client};

use crate::breach::{Breach, Deviation, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::explain::{history, rarity, usual_values};

pub struct UnusualSource;

static INFO: ModelInfo = ModelInfo {
    id: "saas.unusual_source_sign_in",
    name: "Credential use from an unusual source",
    version: 1,
    description: "A successful sign-in from an autonomous system, country or network class that the user, \
                  their peers and the tenant rarely or never use, weighted up for hosting, VPN and Tor \
                  networks and down when the device and client are ones the user already uses.",
    technique: Technique { id: "T1078.004", name: "Valid Accounts: Cloud Accounts", tactic: "initial-access" },
    stage: Stage::InitialAccess,
};

static PARAMS: [Param; 6] = [
    Param { name: "new_asn", default: 25.0, description: "points for an autonomous system new to the user" },
    Param { name: "new_country", default: 25.0, description: "points for a country new to the user" },
    Param { name: "new_to_tenant", default: 5.0, description: "extra points when the ASN or country is new to the whole tenant" },
    Param { name: "anonymising_network", default: 30.0, description: "points for a hosting, VPN or Tor address the user does not usually use" },
    Param { name: "known_client_factor", default: 0.6, description: "multiplier when the device and user agent are already known for the user" },
    Param { name: "min_score", default: 40.0, description: "lowest score (0-100) that raises a breach" },
];

impl Model for UnusualSource {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let info = external_success(context.event)?;
        let assessment = context.assessment;
        if assessment.user_events == 0 {
            // A user's first event shows nothing of their habits, so peers and the tenant judge it only
            // through the learning-period scores of later events.
            return None;
        }

        let asn = assessment.surprise(Feature::Asn);
        let country = assessment.surprise(Feature::Country);
        let class = assessment.surprise(Feature::IpClass);
        let mut score = 0.0;
        let mut deviations = Vec::new();
        let user_profile = context.event.actor.user.as_deref().and_then(|u| context.baselines.user(u)).map(|u| &u.profile);

        for (surprise, points) in [(asn, context.param("new_asn")), (country, context.param("new_country"))] {
            let Some(surprise) = surprise.filter(|s| s.new_for_user()) else { continue };
            score += points;
            if surprise.new_for_tenant() {
                score += context.param("new_to_tenant");
            }
            deviations.push(Deviation {
                measure: surprise.feature.as_str().to_owned(),
                observed: surprise.value().unwrap_or_default(),
                baseline: format!(
                    "{}; {}",
                    usual_values(user_profile, surprise.feature, assessment.user_history_days),
                    rarity(surprise)
                ),
                score: surprise.bits,
            });
        }
        let anonymising = matches!(info.class, IpClass::Hosting | IpClass::Vpn | IpClass::Tor);
        if anonymising && class.is_some_and(|c| c.new_for_user()) {
            score += context.param("anonymising_network") * if info.class == IpClass::Tor { 1.3 } else { 1.0 };
            if let Some(class) = class {
                deviations.push(Deviation {
                    measure: "ip_class".to_owned(),
                    observed: info.class.as_str().to_owned(),
                    baseline: usual_values(user_profile, Feature::IpClass, assessment.user_history_days),
                    score: class.bits,
                });
            }
        }
        let known_client = known_client(assessment);
        if known_client {
            score *= context.param("known_client_factor");
        }
        if assessment.learning() {
            score *= 0.5;
        }
        if score < context.param("min_score") {
            return None;
        }

        let source = describe_source(info);
        let summary = format!("Successful sign-in from {source}, unusual for this user ({})", history(assessment));
        let mut breach = Breach::new(&INFO, context.event, score as f32, summary)
            .evidence("source", &source)
            .evidence("known_client", known_client);
        if let Some(ip) = context.event.client.ip {
            breach = breach.evidence("source_ip", ip);
        }
        breach.deviations = deviations;
        Some(breach)
    }
}
