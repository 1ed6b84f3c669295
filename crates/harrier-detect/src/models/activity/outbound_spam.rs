//! Mail sent far above the user's daily baseline.

use harrier_learn::Metric;
use harrier_model::Activity;

use crate::breach::{Breach, Deviation, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::activity::common::{Crossing, Threshold, crossing, thousands, usual_volume};

pub struct OutboundSpam;

static INFO: ModelInfo = ModelInfo {
    id: "saas.outbound_spam",
    name: "Outbound mail far above baseline",
    version: 1,
    description: "The recipients a user sent mail to today (each message counts its recipients) crossed a \
                  threshold: at least a minimum count, several standard deviations above the user's daily \
                  mean and above their busiest past day. Raised once per user and day, on the message that \
                  crossed the threshold; users with under a week of history need three times the minimum.",
    technique: Technique { id: "T1534", name: "Internal Spearphishing", tactic: "lateral-movement" },
    stage: Stage::Impact,
};

static PARAMS: [Param; 4] = [
    Param { name: "min_recipients", default: 60.0, description: "recipients in a day below which nothing is raised" },
    Param { name: "z", default: 4.0, description: "standard deviations above the daily mean the day has to reach" },
    Param { name: "max_factor", default: 1.5, description: "the day also has to exceed the busiest past day times this" },
    Param { name: "thin_history_factor", default: 0.6, description: "score multiplier for users with under a week of history" },
];

impl Model for OutboundSpam {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let Activity::MailSent(sent) = &context.event.activity else { return None };
        let recipients = sent.recipients.map_or(1.0, |r| r.max(1) as f32);
        let threshold = Threshold {
            min_count: context.param("min_recipients") as f32,
            z: context.param("z") as f32,
            max_factor: context.param("max_factor") as f32,
        };
        let crossed = crossing(context, Metric::MailSent, recipients, &threshold)?;
        let mut score = 40.0 + 5.0 * crossed.z.clamp(0.0, 10.0);
        if crossed.thin_history {
            score *= context.param("thin_history_factor") as f32;
        }
        Some(build(context, &crossed, score, sent.subject.as_deref()))
    }
}

fn build(context: &Context<'_>, crossed: &Crossing, score: f32, subject: Option<&str>) -> Breach {
    let count = thousands(f64::from(crossed.count));
    let summary = format!(
        "Sent mail to {count} recipients today, {:.1} standard deviations above the user's daily mean of {:.1}",
        crossed.z, crossed.volume.mean
    );
    let mut breach = Breach::new(&INFO, context.event, score, summary)
        .evidence("recipients_today", &count)
        .evidence("busiest_past_day", format!("{:.0}", crossed.volume.max))
        .deviation(Deviation {
            measure: Metric::MailSent.as_str().to_owned(),
            observed: format!("{count} recipients today"),
            baseline: usual_volume(&crossed.volume, "recipients"),
            score: crossed.z,
        });
    if let Some(subject) = subject {
        breach = breach.evidence("subject", subject);
    }
    breach
}
