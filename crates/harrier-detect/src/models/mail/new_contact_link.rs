//! A sender new to the recipient or the organisation whose message carries a suspicious link.

use crate::breach::{Breach, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::mail::common::{LINK_FACTORS, breach, inbound, novelty_deviation, points_of};

pub struct NewContactSuspiciousLink;

static INFO: ModelInfo = ModelInfo {
    id: "mail.new_contact_suspicious_link",
    name: "New contact with a suspicious link",
    version: 1,
    description: "An inbound message from a sender that has never written to the recipient (or to anyone in \
                  the organisation) and that the recipient never wrote to, carrying links the analysis \
                  found suspicious: off-domain calls to action, brand or look-alike domains, shorteners, free \
                  hosting, or link domains never seen in the organisation's mail.",
    technique: Technique { id: "T1566.002", name: "Phishing: Spearphishing Link", tactic: "initial-access" },
    stage: Stage::CredentialAccess,
};

static PARAMS: [Param; 2] = [
    Param { name: "min_link_points", default: 15.0, description: "verdict points from link factors below which nothing is raised" },
    Param { name: "max_sender_messages", default: 2.0, description: "messages from the sender before this one above which it is no longer new" },
];

impl Model for NewContactSuspiciousLink {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let email = inbound(context)?;
        let novelty = context.baselines.mail.novelty(email);
        let new_to_recipient = !novelty.first_time_recipients.is_empty();
        if !(novelty.first_time_to_organisation || new_to_recipient) || novelty.sender_messages as f64 > context.param("max_sender_messages") {
            return None;
        }
        let (mut points, mut details) = points_of(email, &LINK_FACTORS);
        if !novelty.new_link_domains.is_empty() && !email.verdict.has("new_link_domain") {
            points += 8;
            details.push(format!("new_link_domain: {}", novelty.new_link_domains.join(", ")));
        }
        // Newsletters vary their sender address per message and rewrite links through click trackers, so
        // list mail needs a threat verdict, and a sender domain the organisation already corresponds with
        // needs twice the link evidence.
        let bulk = email.verdict.has("bulk_mail");
        if bulk && !matches!(email.verdict.class.as_str(), "credential_phishing" | "bec_fraud" | "malware") {
            return None;
        }
        let min_points = context.param("min_link_points") * if novelty.known_domain { 2.0 } else { 1.0 };
        if f64::from(points) < min_points {
            return None;
        }
        let organisation_bonus = if novelty.first_time_to_organisation { 15.0 } else { 0.0 };
        let score = 35.0 + points as f32 + organisation_bonus;
        let summary = format!(
            "First message from {} to {}, with suspicious links ({} link points)",
            email.from.as_deref().unwrap_or("an unknown sender"),
            if novelty.first_time_to_organisation { "the organisation" } else { "this recipient" },
            points
        );
        let mut breach = breach(&INFO, context, email, score, summary).deviation(novelty_deviation(&novelty));
        for detail in details {
            breach = breach.evidence("link", detail);
        }
        Some(breach)
    }
}
