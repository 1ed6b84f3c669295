//! Mail items read far above the user's daily baseline.

use harrier_learn::Metric;
use harrier_model::Activity;

use crate::breach::{Breach, Deviation, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::activity::common::{Threshold, crossing, raised_today, thousands, usual_volume, volume_today};

pub struct BulkMailboxAccess;

static INFO: ModelInfo = ModelInfo {
    id: "saas.bulk_mailbox_access",
    name: "Bulk mailbox access",
    version: 1,
    description: "Mail items read today (MailItemsAccessed) crossed a threshold several standard deviations \
                  above the user's daily mean and above their busiest past day, or Exchange throttled the \
                  auditing because more than 1,000 items were read in 24 hours. Raised once per user and day.",
    technique: Technique { id: "T1114.002", name: "Email Collection: Remote Email Collection", tactic: "collection" },
    stage: Stage::Collection,
};

static PARAMS: [Param; 5] = [
    Param { name: "min_items", default: 300.0, description: "items in a day below which nothing is raised" },
    Param { name: "z", default: 4.0, description: "standard deviations above the daily mean the day has to reach" },
    Param { name: "max_factor", default: 1.5, description: "the day also has to exceed the busiest past day times this" },
    Param { name: "throttled", default: 65.0, description: "score of a throttled MailItemsAccessed record" },
    Param { name: "thin_history_factor", default: 0.6, description: "score multiplier for users with under a week of history" },
];

impl Model for BulkMailboxAccess {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let Activity::MailItemsAccessed(accessed) = &context.event.activity else { return None };
        let items = accessed.items.map_or(1.0, |n| n.max(1) as f32);
        if accessed.throttled {
            return throttled(context, items);
        }
        let threshold = Threshold {
            min_count: context.param("min_items") as f32,
            z: context.param("z") as f32,
            max_factor: context.param("max_factor") as f32,
        };
        let crossed = crossing(context, Metric::MailItemsAccessed, items, &threshold)?;
        let mut score = 40.0 + 5.0 * crossed.z.clamp(0.0, 10.0);
        if crossed.thin_history {
            score *= context.param("thin_history_factor") as f32;
        }
        let count = thousands(f64::from(crossed.count));
        let summary = format!("Read {count} mail items today, {:.1} standard deviations above the user's daily mean", crossed.z);
        let breach = Breach::new(&INFO, context.event, score, summary)
            .evidence("items_today", &count)
            .evidence("client_app_id", accessed.client_app_id.as_deref().unwrap_or("unknown"))
            .deviation(Deviation {
                measure: Metric::MailItemsAccessed.as_str().to_owned(),
                observed: format!("{count} items today"),
                baseline: usual_volume(&crossed.volume, "items"),
                score: crossed.z,
            });
        Some(breach)
    }
}

/// Raises a throttled record once per user and day: Exchange throttles after 1,000 items in 24 hours.
fn throttled(context: &Context<'_>, items: f32) -> Option<Breach> {
    if raised_today(context, INFO.id) {
        return None;
    }
    let volume = volume_today(context, Metric::MailItemsAccessed).map(|(volume, _)| volume);
    let baseline = volume.map_or_else(|| "no history".to_owned(), |v| usual_volume(&v, "items"));
    let z = volume.map_or(0.0, |v| v.z_score(1_000.0));
    let summary = "Exchange throttled mail-access auditing: more than 1,000 items read in 24 hours".to_owned();
    let breach = Breach::new(&INFO, context.event, context.param("throttled") as f32, summary)
        .evidence("throttled", true)
        .deviation(Deviation {
            measure: Metric::MailItemsAccessed.as_str().to_owned(),
            observed: format!("throttled record after at least 1,000 items; this record lists {items:.0}"),
            baseline,
            score: z,
        });
    Some(breach)
}
