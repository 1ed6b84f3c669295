//! A display name that belongs to someone else: a known correspondent's name from a new address, or a
//! brand or address in the display name.

use crate::breach::{Breach, Deviation, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::mail::common::{breach, inbound, points_of};

pub struct DisplayNameImpersonation;

static INFO: ModelInfo = ModelInfo {
    id: "mail.display_name_impersonation",
    name: "Display-name impersonation",
    version: 1,
    description: "An inbound message whose display name the organisation knows for another address and never \
                  for this one, or whose display name names a brand or carries another address.",
    technique: Technique { id: "T1656", name: "Impersonation", tactic: "defense-evasion" },
    stage: Stage::CredentialAccess,
};

static PARAMS: [Param; 1] =
    [Param { name: "min_score", default: 40.0, description: "breach score below which nothing is raised" }];

const NAME_FACTORS: [&str; 3] = ["display_name_brand", "display_name_address", "known_name_new_address"];

impl Model for DisplayNameImpersonation {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let email = inbound(context)?;
        let novelty = context.baselines.mail.novelty(email);
        let (name_points, details) = points_of(email, &NAME_FACTORS);
        let known_name = novelty.known_name_new_address.is_some() && novelty.sender_messages == 0;
        let score = name_points as f32 + if known_name { 45.0 } else { 0.0 } + email.verdict.score as f32 * 0.3;
        if (score as f64) < context.param("min_score") || !(known_name || name_points > 0) {
            return None;
        }
        let name = email.from_name.as_deref().unwrap_or("(none)");
        let summary = if known_name {
            format!("Display name {name:?}, known for {}, arrives from new address {}", novelty.name_known_for.join(", "), email.from.as_deref().unwrap_or("?"))
        } else {
            format!("Display name {name:?} imitates a brand or another address")
        };
        let mut breach = breach(&INFO, context, email, score, summary);
        if known_name {
            breach = breach.deviation(Deviation {
                measure: "display_name_address".into(),
                observed: email.from.clone().unwrap_or_default(),
                baseline: format!("{name:?} seen from {}", novelty.name_known_for.join(", ")),
                score: 1.0,
            });
        }
        for detail in details {
            breach = breach.evidence("factor", detail);
        }
        Some(breach)
    }
}
