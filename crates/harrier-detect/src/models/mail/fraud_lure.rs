//! A message classed as fraud from its language and sender: advance-fee, prize and investment scams,
//! requests for replies at a private address, callback scams, gift-card and payment requests.

use harrier_model::EmailMessage;

use crate::breach::{Breach, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::mail::common::{breach, inbound, novelty_deviation, points_of};

pub struct FraudLure;

static INFO: ModelInfo = ModelInfo {
    id: "mail.fraud_lure",
    name: "Fraud lure",
    version: 1,
    description: "An inbound message that the analysis classed as fraud (bec_fraud) and whose bank details the \
                  payment-detail change model does not already cover: advance-fee, prize and investment scams, \
                  requests to reply at a private free-mail address, callback scams with a phone number and no \
                  link, gift-card and payment requests, replies diverted to another domain or to a mailbox named \
                  after the sender. The message asks \
                  for money or goods, not for credentials or code, so the technique is Financial Theft. A \
                  sender new to the recipient or the organisation scores higher.",
    technique: Technique { id: "T1657", name: "Financial Theft", tactic: "impact" },
    // An attempt on the recipient, like the other inbound lure models, and not impact on the account. With
    // the impact stage, this breach and an impersonation breach on the same message would make a
    // two-stage incident, for which the default response policy plans to disable the recipient's account.
    stage: Stage::CredentialAccess,
};

static PARAMS: [Param; 1] =
    [Param { name: "min_verdict_score", default: 40.0, description: "verdict score (0 to 100) below which nothing is raised" }];

/// The factor kinds that are evidence of fraud, with urgency, which fraud leans on, and the forwarded
/// original, which adds no points but names the sender and subject of the message the verdict is about.
const FRAUD_FACTORS: [&str; 14] = [
    "contact_address_in_body",
    "callback_number",
    "web_address_as_username",
    "gift_card_request",
    "payment_request",
    "scam_language",
    "reply_to_freemail",
    "reply_to_diverted",
    "reply_to_named_sender",
    "freemail_sender",
    "bank_account_details",
    "bank_details_changed",
    "urgency",
    "forwarded_original",
];

/// Factor kinds that send the reader to another address, a phone number or gift cards. Phrase matches
/// alone raise no breach on list mail, because lottery newsletters and billing lists use the same words.
const DIRECT_FACTORS: [&str; 6] = [
    "contact_address_in_body",
    "callback_number",
    "gift_card_request",
    "reply_to_freemail",
    "reply_to_diverted",
    "reply_to_named_sender",
];

/// Points added for a sender that never wrote to, or had mail from, anyone in the organisation.
const FIRST_TIME_TO_ORGANISATION_POINTS: f32 = 20.0;

/// Points added for a sender new to the recipient but known elsewhere in the organisation.
const FIRST_TIME_TO_RECIPIENT_POINTS: f32 = 10.0;

impl Model for FraudLure {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let email = inbound(context)?;
        if email.verdict.class != "bec_fraud" || f64::from(email.verdict.score) < context.param("min_verdict_score") {
            return None;
        }
        let novelty = context.baselines.mail.novelty(email);
        if !novelty.changed_ibans.is_empty() {
            return None;
        }
        let (points, details) = points_of(email, &FRAUD_FACTORS);
        if points == 0 {
            return None;
        }
        let direct = DIRECT_FACTORS.iter().any(|kind| email.verdict.has(kind));
        if email.verdict.has("bulk_mail") && !direct {
            return None;
        }

        let new_to_recipient = !novelty.first_time_recipients.is_empty();
        let history_points = if novelty.first_time_to_organisation {
            FIRST_TIME_TO_ORGANISATION_POINTS
        } else if new_to_recipient {
            FIRST_TIME_TO_RECIPIENT_POINTS
        } else {
            0.0
        };
        let score = (25.0 + email.verdict.score as f32 * 0.5 + history_points).min(100.0);
        let first_time = novelty.first_time_to_organisation || new_to_recipient;

        let mut breach = breach(&INFO, context, email, score, summary(email, first_time));
        if first_time {
            let deviation = novelty_deviation(&novelty);
            breach = breach.evidence("correspondent", deviation.observed.clone()).deviation(deviation);
        } else {
            breach = breach.evidence("correspondent", format!("{} earlier messages from this sender", novelty.sender_messages));
        }
        if !email.reply_to.is_empty() {
            breach = breach.evidence("reply_to", email.reply_to.join(", "));
        }
        for detail in details {
            breach = breach.evidence("factor", detail);
        }
        Some(breach)
    }
}

/// Returns the detail of the first verdict factor of `kind`.
fn detail_of<'a>(email: &'a EmailMessage, kind: &str) -> Option<&'a str> {
    email.verdict.factors.iter().find(|factor| factor.kind == kind).map(|factor| factor.detail.as_str())
}

/// Writes the summary from the strongest kind of request the factors show, in the order an analyst acts
/// on them: an address or number to contact, an abused sign-up form, gift cards, diverted replies,
/// payment, then scam wording.
fn summary(email: &EmailMessage, first_time: bool) -> String {
    let from = email.from.as_deref().unwrap_or("an unknown address");
    let sender = if first_time { format!("First-time sender {from}") } else { from.to_string() };
    if let Some(number) = detail_of(email, "callback_number") {
        let sender = if first_time { format!("first-time sender {from}") } else { from.to_string() };
        return format!("Callback scam from {sender}: phone number {number}, no link");
    }
    if let Some(addresses) = detail_of(email, "contact_address_in_body") {
        return format!("{sender} asks for replies at a private address {addresses}");
    }
    if let Some(link) = detail_of(email, "web_address_as_username") {
        return format!("{sender} carries an advertisement in a sign-up link's user name: {link}");
    }
    if let Some(phrases) = detail_of(email, "gift_card_request") {
        return format!("{sender} asks for gift cards ({phrases})");
    }
    if ["reply_to_freemail", "reply_to_diverted", "reply_to_named_sender"].iter().any(|kind| email.verdict.has(kind)) {
        let reply_to = if email.reply_to.is_empty() { "another domain".to_string() } else { email.reply_to.join(", ") };
        return format!("{sender} diverts replies to {reply_to}");
    }
    if let Some(phrases) = detail_of(email, "payment_request") {
        return format!("{sender} requests a payment ({phrases})");
    }
    if let Some(phrases) = detail_of(email, "scam_language") {
        return format!("{sender} sends a prize, inheritance or investment lure ({phrases})");
    }
    format!("{sender} sends a fraud lure (verdict score {})", email.verdict.score)
}
