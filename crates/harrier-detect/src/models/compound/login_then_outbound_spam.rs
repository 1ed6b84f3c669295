//! Outbound mail far above baseline after an unusual sign-in of the same user.

use crate::breach::{Breach, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::compound::{at_stage, build, earlier_mark, later_breach, params};

pub struct UnusualLoginThenOutboundSpam;

static INFO: ModelInfo = ModelInfo {
    id: "saas.unusual_login_then_outbound_spam",
    name: "Unusual sign-in followed by outbound spam",
    version: 1,
    description: "A saas.outbound_spam breach within a window after an initial-access breach of the same user: \
                  an account taken over and used to send phishing or spam.",
    technique: Technique { id: "T1534", name: "Internal Spearphishing", tactic: "lateral-movement" },
    stage: Stage::Impact,
};

static PARAMS: [Param; 4] = params(48.0);

impl Model for UnusualLoginThenOutboundSpam {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let spam = later_breach(context, &["saas.outbound_spam"], |_| true)?;
        let login = earlier_mark(context, &INFO, |m| at_stage(m, Stage::InitialAccess))?;
        Some(build(&INFO, context, login, Some(spam), "Outbound mail far above baseline"))
    }
}
