//! Analysing one message as `harrier scan` does, and scoring each link and attachment on its own so the
//! planner can act on the dangerous ones only.

use std::path::PathBuf;

use harrier_mail::analysis::verdict::weight_of;
use harrier_mail::analysis::{address_domain, attachments, links, registrable_domain};
use harrier_mail::{
    Analysis, AnalysisOptions, Factor, MailFormat, MailMessage, MessageOrigin, RawMessage,
};
use harrier_respond::{MessageFindings, PayloadFinding};

/// Factors named in the verdict headers and in the findings.
const TOP_FACTORS: usize = 5;

/// A message with its analysis and the findings the planner reads.
pub struct Inspection {
    pub message: MailMessage,
    pub analysis: Analysis,
    pub findings: MessageFindings,
}

/// The envelope and MTA facts of a message.
#[derive(Clone, Debug, Default)]
pub struct Envelope {
    pub queue_id: String,
    /// The MAIL FROM address without angle brackets; empty for the null sender of bounces.
    pub mail_from: String,
    pub recipients: Vec<String>,
}

/// Parses and analyses `bytes`, the message as the MTA received it.
pub fn inspect(
    bytes: Vec<u8>,
    envelope: &Envelope,
    tenant: &str,
    options: &AnalysisOptions,
) -> Inspection {
    let origin = MessageOrigin {
        path: PathBuf::from(format!("queue:{}", envelope.queue_id)),
        index: 0,
        format: MailFormat::Eml,
    };
    let raw = RawMessage {
        origin,
        // The Return-Path header is written at delivery, after the milter's reply, so the envelope
        // sender comes from MAIL FROM.
        envelope_from: Some(envelope.mail_from.clone()).filter(|from| !from.is_empty()),
        bytes,
    };
    let message = harrier_mail::parse_message(&raw);
    let analysis = harrier_mail::analyze(&message, options);
    let findings = findings(&message, &analysis, envelope, tenant, options);
    Inspection {
        message,
        analysis,
        findings,
    }
}

fn findings(
    message: &MailMessage,
    analysis: &Analysis,
    envelope: &Envelope,
    tenant: &str,
    options: &AnalysisOptions,
) -> MessageFindings {
    let sender = message
        .from
        .as_ref()
        .and_then(|from| from.address.as_deref())
        .and_then(address_domain)
        .and_then(|d| registrable_domain(&d));
    let protected = &options.protected_domains;

    let mut link_findings: Vec<PayloadFinding> = Vec::new();
    for found in &message.urls {
        if link_findings.iter().any(|l| l.object == found.url) {
            continue;
        }
        let factors = links::analyze_url(
            &found.url,
            found.anchor_text.as_deref(),
            sender.as_deref(),
            protected,
        );
        link_findings.push(payload(found.url.clone(), &factors));
    }
    let attachment_findings = message
        .attachments
        .iter()
        .map(|attachment| {
            let factors = attachments::analyze_attachment(attachment, sender.as_deref(), protected);
            payload(attachment.file_name.clone().unwrap_or_default(), &factors)
        })
        .collect();

    MessageFindings {
        tenant: tenant.to_owned(),
        queue_id: envelope.queue_id.clone(),
        message_id: message.message_id.clone(),
        recipient: envelope.recipients.first().cloned(),
        class: analysis.verdict.class.name().to_owned(),
        score: analysis.verdict.score,
        factors: top_factors(analysis),
        links: link_findings,
        attachments: attachment_findings,
    }
}

/// Scores a link or attachment from its own factors: each kind counts its first-match weight once.
fn payload(object: String, factors: &[Factor]) -> PayloadFinding {
    let mut kinds = Vec::new();
    let mut points = 0;
    for factor in factors {
        if !kinds.contains(&factor.kind) {
            kinds.push(factor.kind);
            points += u32::from(weight_of(factor.kind).weight);
        }
    }
    let evidence = factors
        .iter()
        .map(|f| format!("{}: {}", kind_name(f.kind), f.detail))
        .collect();
    PayloadFinding {
        object,
        points,
        evidence,
    }
}

/// Returns the strongest factors with points, as `kind(+points) detail`.
pub fn top_factors(analysis: &Analysis) -> Vec<String> {
    analysis
        .factors
        .iter()
        .filter(|f| f.weight > 0)
        .take(TOP_FACTORS)
        .map(|f| {
            format!(
                "{}(+{}) {}",
                kind_name(f.factor.kind),
                f.weight,
                f.factor.detail
            )
        })
        .collect()
}

/// Returns the snake-case name of a factor kind, as in `harrier scan --json`.
pub fn kind_name(kind: harrier_mail::FactorKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
