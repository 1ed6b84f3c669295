//! An inbox rule raised after an unusual sign-in of the same user.

use crate::breach::{Breach, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::compound::{at_stage, build, earlier_mark, later_breach, params};

pub struct UnusualLoginThenInboxRule;

static INFO: ModelInfo = ModelInfo {
    id: "saas.unusual_login_then_inbox_rule",
    name: "Unusual sign-in followed by a suspicious inbox rule",
    version: 1,
    description: "A saas.new_inbox_rule breach within a window after an initial-access breach of the same user \
                  (an unusual source, a rare source after failures): the pattern of a mailbox takeover that \
                  hides replies or forwards mail. Takes the rule breach's technique and stage.",
    technique: Technique { id: "T1564.008", name: "Hide Artifacts: Email Hiding Rules", tactic: "defense-evasion" },
    stage: Stage::DefenseEvasion,
};

static PARAMS: [Param; 4] = params(48.0);

impl Model for UnusualLoginThenInboxRule {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let rule = later_breach(context, &["saas.new_inbox_rule"], |_| true)?;
        let login = earlier_mark(context, &INFO, |m| at_stage(m, Stage::InitialAccess))?;
        Some(build(&INFO, context, login, Some(rule), "Suspicious inbox rule"))
    }
}
