//! An attachment that delivers code: executables, macros, active PDFs, archives hiding any of them.

use crate::breach::{Breach, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::mail::common::{breach, inbound, points_of};

pub struct MaliciousAttachment;

static INFO: ModelInfo = ModelInfo {
    id: "mail.malicious_attachment",
    name: "Malicious attachment",
    version: 1,
    description: "An inbound message classed as malware, or whose attachment factors alone reach a threshold: \
                  executables, double extensions, Office macros, active PDF content, encrypted or nested \
                  archives holding executables.",
    technique: Technique { id: "T1566.001", name: "Phishing: Spearphishing Attachment", tactic: "initial-access" },
    stage: Stage::InitialAccess,
};

static PARAMS: [Param; 1] =
    [Param { name: "min_attachment_points", default: 40.0, description: "attachment factor points that raise a breach without a malware verdict" }];

const ATTACHMENT_FACTORS: [&str; 12] = [
    "attachment_type_mismatch",
    "executable_attachment",
    "double_extension",
    "office_macro",
    "pdf_active_content",
    "archive_encrypted",
    "archive_nested",
    "archive_executable",
    "archive_limit_exceeded",
    "archive_unreadable",
    "html_script_redirect",
    "html_credential_form",
];

impl Model for MaliciousAttachment {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let email = inbound(context)?;
        let (points, details) = points_of(email, &ATTACHMENT_FACTORS);
        let malware = email.verdict.class == "malware";
        if points == 0 || !(malware || f64::from(points) >= context.param("min_attachment_points")) {
            return None;
        }
        let score = (email.verdict.score as f32).max(points as f32);
        let summary = format!(
            "Attachment that delivers code ({}) from {}",
            email.attachment_types.join(", "),
            email.from.as_deref().unwrap_or("?")
        );
        let mut breach = breach(&INFO, context, email, score, summary);
        for detail in details {
            breach = breach.evidence("attachment", detail);
        }
        Some(breach)
    }
}
