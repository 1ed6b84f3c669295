//! A known supplier's bank details changed: the classic invoice-redirection fraud.

use crate::breach::{Breach, Deviation, ModelInfo, Stage, Technique};
use crate::model::{Context, Model};
use crate::models::mail::common::{breach, inbound};

pub struct PaymentDetailChange;

/// The model's id, which other stages compare against.
pub const MODEL_ID: &str = "mail.payment_detail_change";

static INFO: ModelInfo = ModelInfo {
    id: MODEL_ID,
    name: "Payment-detail change",
    version: 1,
    description: "An inbound message from a domain whose earlier mail carried other IBANs now gives an IBAN \
                  never seen from it. Invoice-redirection fraud asks for payment to a new account in the \
                  supplier's name.",
    technique: Technique { id: "T1657", name: "Financial Theft", tactic: "impact" },
    stage: Stage::Impact,
};

impl Model for PaymentDetailChange {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let email = inbound(context)?;
        let novelty = context.baselines.mail.novelty(email);
        if novelty.changed_ibans.is_empty() {
            return None;
        }
        // A new address or new infrastructure for the supplier makes a takeover or a spoof likelier.
        let mut score = 65.0;
        if novelty.sender_messages == 0 || !novelty.new_infrastructure.is_empty() {
            score += 15.0;
        }
        if !email.reply_to.is_empty() && email.reply_to.iter().any(|reply| Some(reply) != email.from.as_ref()) {
            score += 10.0;
        }
        let domain = email.from_domain().unwrap_or("?");
        let summary = format!("{domain} sent new bank details {} instead of {}", novelty.changed_ibans.join(", "), novelty.previous_ibans.join(", "));
        let breach = breach(&INFO, context, email, score, summary)
            .evidence("new_iban", novelty.changed_ibans.join(", "))
            .evidence("known_ibans", novelty.previous_ibans.join(", "))
            .deviation(Deviation {
                measure: "sender_iban".into(),
                observed: novelty.changed_ibans.join(", "),
                baseline: format!("{} seen from {domain}", novelty.previous_ibans.join(", ")),
                score: 1.0,
            });
        Some(breach)
    }
}
