//! A message classed as credential phishing: a sign-in lure behind a link or an HTML form.

use crate::breach::{Breach, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::mail::common::{LINK_FACTORS, breach, inbound, points_of};

pub struct CredentialHarvestLink;

static INFO: ModelInfo = ModelInfo {
    id: "mail.credential_harvest_link",
    name: "Credential-harvest link",
    version: 1,
    description: "An inbound message that the analysis classed as credential phishing, with a link or an HTML \
                  form among its factors: a sign-in lure that leads to a page collecting passwords.",
    technique: Technique { id: "T1566.002", name: "Phishing: Spearphishing Link", tactic: "initial-access" },
    stage: Stage::CredentialAccess,
};

static PARAMS: [Param; 1] =
    [Param { name: "min_verdict_score", default: 40.0, description: "verdict score (0 to 100) below which nothing is raised" }];

const FORM_FACTORS: [&str; 3] = ["html_credential_form", "html_script_redirect", "html_attachment"];

impl Model for CredentialHarvestLink {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let email = inbound(context)?;
        if email.verdict.class != "credential_phishing" || f64::from(email.verdict.score) < context.param("min_verdict_score") {
            return None;
        }
        let (link_points, links) = points_of(email, &LINK_FACTORS);
        let (form_points, forms) = points_of(email, &FORM_FACTORS);
        if link_points + form_points == 0 {
            return None;
        }
        let summary = format!(
            "Credential phishing from {} (verdict score {})",
            email.from.as_deref().unwrap_or("an unknown sender"),
            email.verdict.score
        );
        let mut breach = breach(&INFO, context, email, email.verdict.score as f32, summary);
        for detail in links.into_iter().chain(forms) {
            breach = breach.evidence("lure", detail);
        }
        if email.verdict.has("credential_request") {
            breach = breach.evidence("asks_for", "credentials");
        }
        Some(breach)
    }
}
