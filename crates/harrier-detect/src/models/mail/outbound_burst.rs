//! A user who suddenly writes to many recipients they never wrote to: spam or phishing sent from a taken
//! over account.

use harrier_model::MailDirection;

use crate::breach::{Breach, Deviation, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::mail::common::{breach, email};

pub struct OutboundBurst;

/// The model's id, which other stages compare against.
pub const MODEL_ID: &str = "mail.outbound_new_recipients";

static INFO: ModelInfo = ModelInfo {
    id: MODEL_ID,
    name: "Outbound mail to many new recipients",
    version: 1,
    description: "A user's outbound mail today reached more recipients they had never written to than a \
                  minimum and a multiple of their busiest past day. Raised once per user and day, on the \
                  message that crossed the threshold.",
    technique: Technique { id: "T1534", name: "Internal Spearphishing", tactic: "lateral-movement" },
    stage: Stage::Impact,
};

static PARAMS: [Param; 2] = [
    Param { name: "min_new_recipients", default: 40.0, description: "new recipients in a day below which nothing is raised" },
    Param { name: "max_factor", default: 3.0, description: "the day also has to exceed the busiest past day's new recipients times this" },
];

impl Model for OutboundBurst {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let email = email(context).filter(|email| email.direction == MailDirection::Outbound)?;
        let from = email.from.as_deref()?;
        let history = &context.baselines.mail;
        let user = history.users.get(from);
        let day = (context.event.time.as_second().max(0) / 86_400) as u32;
        let before = user.and_then(|user| user.day(day)).map_or(0, |today| today.new_recipients);
        let new_here = email.recipients.iter().filter(|recipient| !user.is_some_and(|user| user.wrote_to.contains_key(*recipient))).count() as u32;
        let after = before + new_here;
        let (mean, busiest, days) = user.map_or((0.0, 0, 0), |user| user.new_recipient_days(day));
        let threshold = context.param("min_new_recipients").max(f64::from(busiest) * context.param("max_factor"));
        if !(f64::from(before) < threshold && f64::from(after) >= threshold) {
            return None;
        }
        let score = (50.0 + 10.0 * (after as f32 / threshold as f32)).min(95.0);
        let summary = format!("Sent mail to {after} new recipients today; the busiest of {days} past days had {busiest}");
        let breach = breach(&INFO, context, email, score, summary)
            .evidence("new_recipients_today", after)
            .deviation(Deviation {
                measure: "outbound_new_recipients".into(),
                observed: format!("{after} new recipients today"),
                baseline: format!("mean {mean:.1} and at most {busiest} a day over {days} days"),
                score: after as f32 / threshold.max(1.0) as f32,
            });
        Some(breach)
    }
}
