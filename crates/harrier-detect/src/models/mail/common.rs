//! What the mail models share: the message of an event and the breach evidence every one of them gives.

use harrier_learn::MailNovelty;
use harrier_model::{Activity, EmailMessage, MailDirection};

use crate::breach::{Breach, Deviation, ModelInfo};
use crate::model::Context;

/// The factor kinds that describe a suspicious link.
pub const LINK_FACTORS: [&str; 18] = [
    "anchor_domain_mismatch",
    "anchor_brand_mismatch",
    "call_to_action_off_domain",
    "ip_literal_host",
    "shortener",
    "punycode_host",
    "mixed_script_host",
    "free_hosting",
    "form_service",
    "file_share_link",
    "brand_on_foreign_domain",
    "brand_in_link_path",
    "lookalike_link_domain",
    "qr_code_link",
    "address_in_link",
    "abused_tld_link",
    "pdf_link",
    "new_link_domain",
];

/// Returns the message of a mail event.
pub fn email<'a>(context: &Context<'a>) -> Option<&'a EmailMessage> {
    match &context.event.activity {
        Activity::Email(email) => Some(email),
        _ => None,
    }
}

/// Returns the message of an inbound mail event.
pub fn inbound<'a>(context: &Context<'a>) -> Option<&'a EmailMessage> {
    email(context).filter(|email| email.direction == MailDirection::Inbound)
}

/// Returns the points the verdict's factors of `kinds` added, and their details.
pub fn points_of(email: &EmailMessage, kinds: &[&str]) -> (u32, Vec<String>) {
    let mut points = 0;
    let mut details = Vec::new();
    for factor in email.verdict.factors.iter().filter(|factor| kinds.contains(&factor.kind.as_str())) {
        points += factor.weight;
        details.push(format!("{}: {}", factor.kind, factor.detail));
    }
    (points, details)
}

/// Starts a breach on a mail event with the sender, subject and verdict as evidence.
pub fn breach(info: &'static ModelInfo, context: &Context<'_>, email: &EmailMessage, score: f32, summary: String) -> Breach {
    let mut breach = Breach::new(info, context.event, score, summary)
        .evidence("from", email.from.as_deref().unwrap_or("(none)"))
        .evidence("verdict", format!("{} {}", email.verdict.class, email.verdict.score));
    if let Some(name) = &email.from_name {
        breach = breach.evidence("display_name", name);
    }
    if let Some(subject) = &email.subject {
        breach = breach.evidence("subject", subject);
    }
    if let Some(id) = &email.message_id {
        breach = breach.evidence("message_id", id);
    }
    breach
}

/// Describes a sender new to the organisation or to the recipients as a deviation from the mail history.
pub fn novelty_deviation(novelty: &MailNovelty) -> Deviation {
    let observed = if novelty.first_time_to_organisation {
        "first message from this sender to the organisation".to_string()
    } else {
        format!("first message to {}", novelty.first_time_recipients.join(", "))
    };
    let baseline = if novelty.known_domain { "the sender's domain is a known correspondent" } else { "no earlier mail with the sender's domain" };
    Deviation { measure: "mail_correspondent".into(), observed, baseline: baseline.into(), score: 1.0 }
}
