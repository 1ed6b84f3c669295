//! Mail sent or forwarded out after attacks on the user's credentials.

use harrier_model::Activity;

use crate::breach::{Breach, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::compound::{at_stage, build, earlier_mark, later_breach, params};

pub struct SuspiciousLoginThenOutboundEmail;

static INFO: ModelInfo = ModelInfo {
    id: "saas.suspicious_login_then_outbound_email",
    name: "Credential attack followed by outbound email",
    version: 1,
    description: "A credential-access breach of the user (failure bursts, password spray, MFA fatigue) followed \
                  within a window by outbound spam, mailbox forwarding, a forwarding inbox rule or an \
                  exfiltrating transport rule, or by mail sent from the very address the attack came from.",
    technique: Technique { id: "T1534", name: "Internal Spearphishing", tactic: "lateral-movement" },
    stage: Stage::Impact,
};

static PARAMS: [Param; 4] = params(72.0);

/// Models whose breach on this event counts as mail going out.
const OUTBOUND: [&str; 4] = ["saas.outbound_spam", "saas.mailbox_forwarding", "saas.new_inbox_rule", "saas.transport_rule_exfil"];

impl Model for SuspiciousLoginThenOutboundEmail {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let outbound = later_breach(context, &OUTBOUND, |b| b.stage == Stage::Exfiltration || b.model_id == "saas.outbound_spam");
        if let Some(outbound) = outbound {
            let attack = earlier_mark(context, &INFO, |m| at_stage(m, Stage::CredentialAccess))?;
            return Some(build(&INFO, context, attack, Some(outbound), "Mail sent or forwarded out"));
        }
        if !matches!(context.event.activity, Activity::MailSent(_)) {
            return None;
        }
        let ip = context.event.client.ip?;
        let attack = earlier_mark(context, &INFO, |m| at_stage(m, Stage::CredentialAccess) && m.source_ip == Some(ip))?;
        Some(build(&INFO, context, attack, None, "Mail sent from the attacking address"))
    }
}
