//! Unusual mail activity after a risky OAuth grant by the same user.

use crate::breach::{Breach, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::compound::{build, earlier_mark, later_breach, params};

pub struct OauthGrantThenUnusualActivity;

static INFO: ModelInfo = ModelInfo {
    id: "saas.oauth_grant_then_unusual_activity",
    name: "OAuth grant followed by unusual mail activity",
    version: 1,
    description: "A saas.oauth_grant breach of the user followed within a window by mail read or sent through the \
                  new app, bulk mailbox access, outbound spam, a suspicious inbox rule or mailbox forwarding. \
                  When both breaches name an application, they have to name the same one.",
    technique: Technique { id: "T1114.002", name: "Email Collection: Remote Email Collection", tactic: "collection" },
    stage: Stage::Collection,
};

static PARAMS: [Param; 4] = params(72.0);

/// Models whose breach on this event counts as unusual activity.
const ACTIVITY: [&str; 5] = [
    "saas.activity_after_oauth_grant",
    "saas.bulk_mailbox_access",
    "saas.outbound_spam",
    "saas.new_inbox_rule",
    "saas.mailbox_forwarding",
];

impl Model for OauthGrantThenUnusualActivity {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let activity = later_breach(context, &ACTIVITY, |_| true)?;
        let grant = earlier_mark(context, &INFO, |m| {
            m.model_id == "saas.oauth_grant" && (m.app_id.is_none() || activity.app_id.is_none() || m.app_id == activity.app_id)
        })?;
        Some(build(&INFO, context, grant, Some(activity), "Unusual mail activity"))
    }
}
