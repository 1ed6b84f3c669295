//! A sender or link domain that looks like a protected domain or a brand's.

use crate::breach::{Breach, ModelInfo, Stage, Technique};
use crate::model::{Context, Model};
use crate::models::mail::common::{breach, inbound, points_of};

pub struct LookalikeDomain;

static INFO: ModelInfo = ModelInfo {
    id: "mail.lookalike_domain",
    name: "Look-alike domain",
    version: 1,
    description: "An inbound message whose From domain or link domain looks like one of the organisation's \
                  protected domains or a brand's (edit distance, confusable characters, added words), as \
                  registered to pass for them.",
    technique: Technique { id: "T1656", name: "Impersonation", tactic: "defense-evasion" },
    stage: Stage::CredentialAccess,
};

const LOOKALIKE_FACTORS: [&str; 2] = ["lookalike_sender_domain", "lookalike_link_domain"];

impl Model for LookalikeDomain {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let email = inbound(context)?;
        let (points, details) = points_of(email, &LOOKALIKE_FACTORS);
        if points == 0 {
            return None;
        }
        let score = 45.0 + points as f32 * 0.5 + email.verdict.score as f32 * 0.3;
        let summary = format!("Look-alike domain in a message from {}: {}", email.from.as_deref().unwrap_or("?"), details.join("; "));
        let mut breach = breach(&INFO, context, email, score, summary);
        for detail in details {
            breach = breach.evidence("lookalike", detail);
        }
        Some(breach)
    }
}
