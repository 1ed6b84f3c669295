//! Planning the actions on one message in the mail flow, from the message rules of the policy.
//!
//! The milter turns its analysis of a message into [`MessageFindings`]: the verdict, and each link and
//! attachment with the points its own factors scored. [`plan_message`] applies the `[[message_rules]]`
//! rows to them. Actions stay proportionate: a suspicious link locks that link only, a dangerous
//! attachment replaces that attachment only, a spoof with nothing to click gets a banner and a junk header,
//! and only several strong threats together hold the whole message.
//!
//! The hourly limit of the guards does not apply here, because each message action touches one message;
//! the kill switch does.

use serde::{Deserialize, Serialize};

use crate::action::{ActionKind, Mode, Target};
use crate::planner::{Decision, NotApplied, PlannedAction};
use crate::policy::Policy;

/// What a message rule looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageCondition {
    /// Each link whose own factors reach `min_points`; one action per link.
    SuspiciousLink,
    /// Each attachment whose own factors reach `min_points`; one action per attachment.
    DangerousAttachment,
    /// The message is classed as spoofing and has no link or attachment.
    SpoofWithoutPayload,
    /// At least `min_threats` links and attachments reach `min_points`, and the message scores at least
    /// `min_score`; one action for the message.
    StrongThreats,
}

/// A row of the message decision table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageRule {
    pub name: String,
    pub when: MessageCondition,
    /// The lowest points of one link's or attachment's own factors that count.
    #[serde(default)]
    pub min_points: u32,
    /// The lowest message score that matches.
    #[serde(default)]
    pub min_score: u32,
    /// For `strong_threats`: how many links and attachments must reach `min_points`.
    #[serde(default)]
    pub min_threats: usize,
    pub action: ActionKind,
    /// The reason recorded with every action the rule plans.
    pub why: String,
}

/// One link or attachment of a message and what the analysis found in it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PayloadFinding {
    /// The URL as written in the message, or the attachment's file name.
    pub object: String,
    /// Points of the factors found in this link or attachment alone.
    pub points: u32,
    /// The factors, as `kind: detail`.
    pub evidence: Vec<String>,
}

/// The analysis of one message as the planner reads it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageFindings {
    pub tenant: String,
    /// The MTA's queue id (Postfix's `i` macro).
    pub queue_id: String,
    pub message_id: Option<String>,
    /// The first envelope recipient.
    pub recipient: Option<String>,
    /// The verdict class name, such as `credential_phishing`.
    pub class: String,
    pub score: u32,
    /// The strongest factors of the whole message, as `kind(+points) detail`.
    pub factors: Vec<String>,
    pub links: Vec<PayloadFinding>,
    pub attachments: Vec<PayloadFinding>,
}

impl MessageFindings {
    fn has_payload(&self) -> bool {
        !self.links.is_empty() || !self.attachments.is_empty()
    }

    /// The key that makes action ids unique to this message.
    fn key(&self) -> String {
        format!(
            "{}\0{}",
            self.queue_id,
            self.message_id.as_deref().unwrap_or("")
        )
    }
}

/// The actions planned for one message.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MessagePlan {
    pub actions: Vec<PlannedAction>,
    pub not_applied: Vec<NotApplied>,
}

impl MessagePlan {
    /// Returns the actions of a kind that are to be carried out now.
    pub fn to_execute(&self, kind: ActionKind) -> impl Iterator<Item = &PlannedAction> {
        self.actions
            .iter()
            .filter(move |a| a.kind == kind && a.decision == Decision::Execute)
    }
}

/// Plans the actions on one message from the policy's message rules.
pub fn plan_message(findings: &MessageFindings, policy: &Policy) -> MessagePlan {
    let mut plan = MessagePlan::default();
    for rule in &policy.message_rules {
        let hits = matches(rule, findings);
        if hits.is_empty() {
            plan.not_applied.push(NotApplied {
                rule: rule.name.clone(),
                why: why_not(rule, findings),
            });
            continue;
        }
        for (object, evidence) in hits {
            let target = Target {
                tenant: findings.tenant.clone(),
                user: findings.recipient.clone(),
                app_id: None,
                object,
            };
            if plan
                .actions
                .iter()
                .any(|a| a.kind == rule.action && a.target == target)
            {
                continue;
            }
            let mut reasons = vec![format!("{}: {}", rule.name, rule.why)];
            reasons.push(format!(
                "verdict {} with score {}",
                findings.class, findings.score
            ));
            reasons.extend(evidence.into_iter().map(|e| format!("evidence: {e}")));
            plan.actions.push(PlannedAction {
                id: action_id(findings, rule.action, &target),
                incident: format!("queue:{}", findings.queue_id),
                kind: rule.action,
                target,
                mode: policy.mode(rule.action),
                decision: Decision::Observe,
                reasons,
                guard_notes: Vec::new(),
                breaches: findings
                    .message_id
                    .iter()
                    .map(|id| format!("message-id:{id}"))
                    .collect(),
            });
        }
    }
    for action in &mut plan.actions {
        decide(action, policy);
    }
    plan
}

/// Returns the object and evidence of every match of `rule`: one per link or attachment for the
/// per-payload conditions, one with no object for the whole-message conditions.
fn matches(rule: &MessageRule, findings: &MessageFindings) -> Vec<(Option<String>, Vec<String>)> {
    let payload = |items: &[PayloadFinding]| -> Vec<(Option<String>, Vec<String>)> {
        items
            .iter()
            .filter(|item| {
                item.points >= rule.min_points
                    && item.points > 0
                    && findings.score >= rule.min_score
            })
            .map(|item| (Some(item.object.clone()), item.evidence.clone()))
            .collect()
    };
    match rule.when {
        MessageCondition::SuspiciousLink => payload(&findings.links),
        MessageCondition::DangerousAttachment => payload(&findings.attachments),
        MessageCondition::SpoofWithoutPayload => {
            if findings.class == "spoofing"
                && !findings.has_payload()
                && findings.score >= rule.min_score
            {
                vec![(None, findings.factors.clone())]
            } else {
                Vec::new()
            }
        }
        MessageCondition::StrongThreats => {
            let strong: Vec<String> = findings
                .links
                .iter()
                .chain(&findings.attachments)
                .filter(|item| item.points >= rule.min_points && item.points > 0)
                .map(|item| format!("{} ({} points)", item.object, item.points))
                .collect();
            if strong.len() >= rule.min_threats.max(1) && findings.score >= rule.min_score {
                vec![(None, strong)]
            } else {
                Vec::new()
            }
        }
    }
}

fn why_not(rule: &MessageRule, findings: &MessageFindings) -> String {
    match rule.when {
        MessageCondition::SuspiciousLink | MessageCondition::DangerousAttachment
            if findings.score < rule.min_score =>
        {
            format!(
                "the message scored {}, below the rule's {}",
                findings.score, rule.min_score
            )
        }
        MessageCondition::SuspiciousLink => format!("no link reached {} points", rule.min_points),
        MessageCondition::DangerousAttachment => {
            format!("no attachment reached {} points", rule.min_points)
        }
        MessageCondition::SpoofWithoutPayload => format!(
            "the message is {} with score {} and {} links or attachments; the rule needs spoofing without any, scoring at least {}",
            findings.class,
            findings.score,
            findings.links.len() + findings.attachments.len(),
            rule.min_score
        ),
        MessageCondition::StrongThreats => format!(
            "the rule needs {} links or attachments of at least {} points and a score of at least {}; the message scored {}",
            rule.min_threats, rule.min_points, rule.min_score, findings.score
        ),
    }
}

/// Turns the mode into a decision. The kill switch queues autonomous actions for approval.
fn decide(action: &mut PlannedAction, policy: &Policy) {
    action.decision = match action.mode {
        Mode::Observe => Decision::Observe,
        Mode::Confirm => Decision::AwaitApproval,
        Mode::Autonomous => Decision::Execute,
    };
    if action.decision == Decision::Execute && policy.guards.kill_switch {
        action.decision = Decision::AwaitApproval;
        action
            .guard_notes
            .push("the kill switch is on: queued for approval instead of carried out".to_owned());
    }
}

fn action_id(findings: &MessageFindings, kind: ActionKind, target: &Target) -> String {
    crate::planner::action_id(&findings.key(), kind, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(object: &str, points: u32) -> PayloadFinding {
        PayloadFinding {
            object: object.to_owned(),
            points,
            evidence: vec![format!("factor: {object}")],
        }
    }

    fn findings(
        class: &str,
        score: u32,
        links: Vec<PayloadFinding>,
        attachments: Vec<PayloadFinding>,
    ) -> MessageFindings {
        MessageFindings {
            tenant: "t".to_owned(),
            queue_id: "4ABC".to_owned(),
            message_id: Some("m@example".to_owned()),
            recipient: Some("bob@example.org".to_owned()),
            class: class.to_owned(),
            score,
            factors: vec!["display_name_brand(+30) Microsoft".to_owned()],
            links,
            attachments,
        }
    }

    fn autonomous() -> Policy {
        let mut policy = Policy::builtin();
        for kind in [
            ActionKind::LockLink,
            ActionKind::NeutraliseAttachment,
            ActionKind::MoveToJunk,
            ActionKind::HoldMessage,
        ] {
            policy.modes.insert(kind, Mode::Autonomous);
        }
        policy
    }

    fn kinds(plan: &MessagePlan) -> Vec<(ActionKind, Option<String>)> {
        plan.actions
            .iter()
            .map(|a| (a.kind, a.target.object.clone()))
            .collect()
    }

    #[test]
    fn suspicious_link_locks_that_link() {
        let message = findings(
            "credential_phishing",
            60,
            vec![finding("http://bad/", 55), finding("https://ok/", 0)],
            vec![],
        );
        let plan = plan_message(&message, &autonomous());
        assert_eq!(
            kinds(&plan),
            vec![(ActionKind::LockLink, Some("http://bad/".to_owned()))]
        );
        assert_eq!(plan.actions[0].decision, Decision::Execute);
        assert!(
            plan.actions[0]
                .reasons
                .iter()
                .any(|r| r == "evidence: factor: http://bad/")
        );
        assert_eq!(plan.actions[0].incident, "queue:4ABC");
    }

    #[test]
    fn low_score_message_locks_nothing() {
        let message = findings("spam", 30, vec![finding("http://bad/", 25)], vec![]);
        let plan = plan_message(&message, &autonomous());
        assert!(plan.actions.is_empty());
        assert!(
            plan.not_applied
                .iter()
                .any(|n| n.rule == "suspicious link" && n.why.contains("scored 30"))
        );
    }

    #[test]
    fn spoof_without_payload_is_junked() {
        let message = findings("spoofing", 55, vec![], vec![]);
        let plan = plan_message(&message, &autonomous());
        assert_eq!(kinds(&plan), vec![(ActionKind::MoveToJunk, None)]);
    }

    #[test]
    fn several_strong_threats_hold() {
        let message = findings(
            "credential_phishing",
            100,
            vec![finding("http://bad/", 55)],
            vec![finding("form.html", 50)],
        );
        let plan = plan_message(&message, &autonomous());
        let planned = kinds(&plan);
        assert!(
            planned.contains(&(ActionKind::HoldMessage, None)),
            "{planned:?}"
        );
        assert!(
            planned.contains(&(ActionKind::LockLink, Some("http://bad/".to_owned()))),
            "{planned:?}"
        );
        assert!(
            planned.contains(&(
                ActionKind::NeutraliseAttachment,
                Some("form.html".to_owned())
            )),
            "{planned:?}"
        );
    }

    #[test]
    fn builtin_policy_only_observes() {
        let message = findings(
            "credential_phishing",
            100,
            vec![finding("http://bad/", 55)],
            vec![finding("form.html", 50)],
        );
        let plan = plan_message(&message, &Policy::builtin());
        assert!(!plan.actions.is_empty());
        assert!(plan.actions.iter().all(|a| a.decision == Decision::Observe));
    }

    #[test]
    fn kill_switch_queues_message_actions() {
        let mut policy = autonomous();
        policy.guards.kill_switch = true;
        let message = findings(
            "credential_phishing",
            60,
            vec![finding("http://bad/", 55)],
            vec![],
        );
        let plan = plan_message(&message, &policy);
        assert_eq!(plan.actions[0].decision, Decision::AwaitApproval);
        assert_eq!(plan.actions[0].guard_notes.len(), 1);
    }

    #[test]
    fn action_ids_differ_per_message() {
        let first = findings(
            "credential_phishing",
            60,
            vec![finding("http://bad/", 55)],
            vec![],
        );
        let mut second = first.clone();
        second.queue_id = "4DEF".to_owned();
        let policy = autonomous();
        assert_ne!(
            plan_message(&first, &policy).actions[0].id,
            plan_message(&second, &policy).actions[0].id
        );
    }
}
