//! Mail read or sent by an application soon after someone consented to it.

use harrier_model::Activity;

use crate::breach::{Breach, Deviation, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::activity::abused;
use crate::models::activity::common::{day_start_ms, marks_since};
use crate::models::activity::oauth_grant::surprise_bits;
use crate::recent::Grant;

pub struct ActivityAfterGrant;

static INFO: ModelInfo = ModelInfo {
    id: "saas.activity_after_oauth_grant",
    name: "Mail activity by a newly consented application",
    version: 1,
    description: "An application reads mail (MailItemsAccessed with its client app id) or sends mail within a \
                  window after a user of the tenant consented to it, scored up for bulk reads (many items, a \
                  throttled audit record or a folder sync) and for apps on the abused-apps list. Raised once \
                  per user, application and day.",
    technique: Technique { id: "T1114.002", name: "Email Collection: Remote Email Collection", tactic: "collection" },
    stage: Stage::Collection,
};

static PARAMS: [Param; 7] = [
    Param { name: "window_hours", default: 72.0, description: "hours after a consent in which the app's activity counts" },
    Param { name: "read", default: 45.0, description: "points for mail read by the app" },
    Param { name: "send", default: 50.0, description: "points for mail sent by the app" },
    Param { name: "bulk", default: 25.0, description: "extra points for a bulk read: `bulk_items` or more items, a throttled record or a folder sync" },
    Param { name: "bulk_items", default: 100.0, description: "items in one record that make a read bulk" },
    Param { name: "abused_app", default: 15.0, description: "extra points for an app on the abused-apps list" },
    Param { name: "widely_used_consents", default: 10.0, description: "consents in the tenant from which an app counts as widely used; its score is halved" },
];

/// Mail read or sent by the application.
struct MailUse {
    app_id: String,
    sent: bool,
    items: Option<u32>,
    bulk: bool,
}

impl Model for ActivityAfterGrant {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let mail_use = mail_use(context)?;
        let grant = context.tenant.grants.get(&mail_use.app_id)?;
        let elapsed_ms = context.time_ms() - grant.time_ms;
        if elapsed_ms < 0 || elapsed_ms as f64 > context.param("window_hours") * 3_600_000.0 {
            return None;
        }
        let already = marks_since(context, day_start_ms(context))
            .any(|m| m.model_id == INFO.id && m.app_id.as_deref() == Some(mail_use.app_id.as_str()));
        if already {
            return None;
        }
        let listed = abused::find(Some(&mail_use.app_id), None);
        let score = score(context, &mail_use, listed.is_some());
        Some(build(context, mail_use, grant, elapsed_ms, listed, score))
    }
}

fn mail_use(context: &Context<'_>) -> Option<MailUse> {
    let event = context.event;
    let actor_app = event.actor.app_id.as_deref();
    let (app, sent, items, bulk) = match &event.activity {
        Activity::MailItemsAccessed(accessed) => {
            let items = accessed.items;
            let many = items.is_some_and(|n| f64::from(n) >= context.param("bulk_items"));
            let sync = accessed.access_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("sync"));
            (accessed.client_app_id.as_deref().or(actor_app), false, items, many || sync || accessed.throttled)
        }
        Activity::MailSent(sent) => (actor_app, true, sent.recipients, false),
        _ => return None,
    };
    Some(MailUse { app_id: app?.trim().to_ascii_lowercase(), sent, items, bulk })
}

fn score(context: &Context<'_>, mail_use: &MailUse, listed: bool) -> f64 {
    let mut score = if mail_use.sent { context.param("send") } else { context.param("read") };
    if mail_use.bulk {
        score += context.param("bulk");
    }
    if listed {
        score += context.param("abused_app");
    }
    let consents = context.tenant.app_consents.get(&mail_use.app_id).copied().unwrap_or(0);
    if f64::from(consents) >= context.param("widely_used_consents") && !listed {
        score *= 0.5;
    }
    score
}

fn build(
    context: &Context<'_>,
    mail_use: MailUse,
    grant: &Grant,
    elapsed_ms: i64,
    listed: Option<&abused::AbusedApp>,
    score: f64,
) -> Breach {
    let hours = elapsed_ms as f64 / 3_600_000.0;
    let consents = context.tenant.app_consents.get(&mail_use.app_id).copied().unwrap_or(0);
    let total: u32 = context.tenant.app_consents.values().sum();
    let action = match (mail_use.sent, mail_use.items) {
        (true, Some(n)) => format!("sent mail to {n} recipient(s)"),
        (true, None) => "sent mail".to_owned(),
        (false, Some(n)) => format!("read {n} mail item(s)"),
        (false, None) => "read mail".to_owned(),
    };
    let summary = format!("Application {} {action} {hours:.1} hours after {} consented to it", mail_use.app_id, grant.user);
    let mut breach = Breach::new(&INFO, context.event, score as f32, summary)
        .evidence("application", &mail_use.app_id)
        .evidence("consented_by", &grant.user)
        .evidence("consent_record", &grant.record_id)
        .evidence("bulk", mail_use.bulk)
        .deviation(Deviation {
            measure: "app_consents".to_owned(),
            observed: format!("{action} {hours:.1} hours after the consent"),
            baseline: format!("{consents} of {total} consents in the tenant named this app"),
            score: surprise_bits(consents.saturating_sub(1), total.saturating_sub(1)),
        });
    if let Some(listed) = listed {
        breach = breach.evidence("abused_app", &listed.name).evidence("abused_app_source", &listed.source);
    }
    breach.events.insert(0, grant.record_id.clone());
    breach.app_id = Some(mail_use.app_id);
    breach
}
