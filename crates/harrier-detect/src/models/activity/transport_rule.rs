//! Transport (mail flow) rules that copy mail out of the tenant or hide it.

use harrier_model::{Activity, Change, TransportRule};

use crate::breach::{Breach, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::activity::common::TenantDomains;

pub struct TransportRuleExfil;

static INFO: ModelInfo = ModelInfo {
    id: "saas.transport_rule_exfil",
    name: "Transport rule copying or hiding mail",
    version: 1,
    description: "A transport rule created or changed that blind-copies, copies or redirects mail to addresses \
                  outside the tenant's domains, deletes messages, lowers the audit severity to DoNotAudit or \
                  sets the spam confidence level to -1 (which bypasses spam filtering). A transport rule acts \
                  on the mail of the whole organisation.",
    technique: Technique { id: "T1114.003", name: "Email Collection: Email Forwarding Rule", tactic: "collection" },
    stage: Stage::Exfiltration,
};

static PARAMS: [Param; 6] = [
    Param { name: "external_copy", default: 75.0, description: "points for copying, blind-copying or redirecting outside the tenant" },
    Param { name: "internal_copy", default: 20.0, description: "points for copying inside the tenant (journaling, compliance mailboxes)" },
    Param { name: "delete", default: 35.0, description: "points for deleting messages" },
    Param { name: "no_audit", default: 35.0, description: "points for the audit severity DoNotAudit" },
    Param { name: "bypass_spam", default: 25.0, description: "points for the spam confidence level -1" },
    Param { name: "min_score", default: 20.0, description: "lowest score (0-100) that raises a breach" },
];

impl Model for TransportRuleExfil {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let Activity::TransportRule(rule) = &context.event.activity else { return None };
        if matches!(rule.change, Change::Removed | Change::Disabled) {
            return None;
        }
        let domains = TenantDomains::of(context, &[]);
        let targets = rule.blind_copy_to.iter().chain(&rule.redirect_to).chain(&rule.copy_to);
        let external = domains.external(targets);
        let (score, reasons) = score(context, rule, &external);
        if score < context.param("min_score") {
            return None;
        }
        let name = rule.name.as_deref().unwrap_or("(unnamed)");
        let summary = format!("Transport rule {name:?} {}", reasons.join("; "));
        let mut breach = Breach::new(&INFO, context.event, score as f32, summary)
            .evidence("rule_name", name)
            .evidence("change", format!("{:?}", rule.change))
            .evidence("tenant_domains", domains.describe());
        if !external.is_empty() {
            breach = breach.evidence("external_recipients", external.join(", "));
        }
        if !rule.other.is_empty() {
            breach = breach.evidence("other_parameters", rule.other.join("; "));
        }
        Some(breach)
    }
}

fn score(context: &Context<'_>, rule: &TransportRule, external: &[&str]) -> (f64, Vec<String>) {
    let mut score = 0.0;
    let mut reasons = Vec::new();
    let copies = rule.blind_copy_to.len() + rule.redirect_to.len() + rule.copy_to.len();
    if !external.is_empty() {
        score += context.param("external_copy");
        reasons.push(format!("copies or redirects mail to {} outside the tenant", external.join(", ")));
    } else if copies > 0 {
        score += context.param("internal_copy");
        reasons.push("copies or redirects mail inside the tenant".to_owned());
    }
    if rule.delete_message == Some(true) {
        score += context.param("delete");
        reasons.push("deletes messages".to_owned());
    }
    if rule.set_audit_severity.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("DoNotAudit")) {
        score += context.param("no_audit");
        reasons.push("turns off auditing of matching messages".to_owned());
    }
    if rule.other.iter().any(|p| p.replace(' ', "").eq_ignore_ascii_case("SetSCL=-1")) {
        score += context.param("bypass_spam");
        reasons.push("bypasses spam filtering (SCL -1)".to_owned());
    }
    (score, reasons)
}
