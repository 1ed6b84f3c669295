//! Planning the response to an incident from the decision table.

use harrier_detect::{Breach, Incident};
use serde::{Deserialize, Serialize};

use crate::action::{ActionKind, Mode, Target};
use crate::policy::{Policy, Rule};

/// The decision on a planned action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Recorded only.
    Observe,
    /// Queued for an analyst's approval.
    AwaitApproval,
    /// Carried out without waiting.
    Execute,
    /// Not taken: a guard forbids it.
    Blocked,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Observe => "observe",
            Decision::AwaitApproval => "await approval",
            Decision::Execute => "execute",
            Decision::Blocked => "blocked",
        }
    }
}

/// One action of a plan, with every reason for it and for its decision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedAction {
    /// Stable id: the same incident, kind and target always give the same id.
    pub id: String,
    pub incident: String,
    pub kind: ActionKind,
    pub target: Target,
    /// The mode the policy gives the kind.
    pub mode: Mode,
    pub decision: Decision,
    /// The rules that asked for the action and the breaches that matched them.
    pub reasons: Vec<String>,
    /// The reasons the decision differs from the mode, when a guard changed it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guard_notes: Vec<String>,
    pub breaches: Vec<String>,
}

/// A rule that planned nothing for the incident, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotApplied {
    pub rule: String,
    pub why: String,
}

/// The response planned for one incident.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub incident: String,
    pub actions: Vec<PlannedAction>,
    pub not_applied: Vec<NotApplied>,
}

/// The state the guards read: autonomous actions already carried out for the tenant in the last hour.
#[derive(Clone, Copy, Debug, Default)]
pub struct GuardState {
    pub autonomous_last_hour: usize,
}

/// Plans the response to `incident` from its breaches (`breaches` may hold others too).
pub fn plan(incident: &Incident, breaches: &[Breach], policy: &Policy, guard_state: GuardState) -> Plan {
    let steps: Vec<&Breach> = breaches.iter().filter(|b| incident.breaches.contains(&b.id)).collect();
    let mut actions: Vec<PlannedAction> = Vec::new();
    let mut not_applied = Vec::new();
    for rule in &policy.rules {
        let matching: Vec<&Breach> = steps.iter().copied().filter(|b| matches(rule, b)).collect();
        if let Some(why) = why_not(rule, incident, &steps, &matching) {
            not_applied.push(NotApplied { rule: rule.name.clone(), why });
            continue;
        }
        for breach in matching {
            let Some(target) = target(rule.action, incident, breach, &steps) else {
                not_applied.push(NotApplied {
                    rule: rule.name.clone(),
                    why: format!("breach {} names nothing for {} to act on", breach.id, rule.action),
                });
                continue;
            };
            let cited = format!("{} ({} scored {:.0})", breach.id, breach.model_id, breach.score);
            let reason = format!("{}: {}; breaches {cited}", rule.name, rule.why);
            match actions.iter_mut().find(|a| a.kind == rule.action && a.target == target) {
                Some(existing) => {
                    // One reason per rule, citing every breach that matched it.
                    let prefix = format!("{}: ", rule.name);
                    match existing.reasons.iter_mut().find(|r| r.starts_with(&prefix)) {
                        Some(same_rule) if !same_rule.contains(&breach.id) => {
                            same_rule.push_str(", ");
                            same_rule.push_str(&cited);
                        }
                        Some(_) => {}
                        None => existing.reasons.push(reason),
                    }
                    if !existing.breaches.contains(&breach.id) {
                        existing.breaches.push(breach.id.clone());
                    }
                }
                None => actions.push(PlannedAction {
                    id: action_id(&incident.id, rule.action, &target),
                    incident: incident.id.clone(),
                    kind: rule.action,
                    mode: policy.mode(rule.action),
                    decision: Decision::Observe,
                    target,
                    reasons: vec![reason],
                    guard_notes: Vec::new(),
                    breaches: vec![breach.id.clone()],
                }),
            }
        }
    }
    decide(&mut actions, policy, guard_state);
    Plan { incident: incident.id.clone(), actions, not_applied }
}

fn matches(rule: &Rule, breach: &Breach) -> bool {
    in_scope(rule, breach) && breach.score >= rule.min_score
}

/// Returns whether a breach is of the models and stages a rule names. A rule that names stages only
/// responds to what an account did, so it leaves out mail that reached the user: a received lure is no
/// sign that the recipient's account was used. Only rules that name mail models act on such mail.
fn in_scope(rule: &Rule, breach: &Breach) -> bool {
    let models = if rule.models.is_empty() { !breach.is_inbound_mail() } else { rule.models.contains(&breach.model_id) };
    models && (rule.stages.is_empty() || rule.stages.contains(&breach.stage))
}

/// Returns why a rule does not apply to the incident, or `None` when it does.
fn why_not(rule: &Rule, incident: &Incident, steps: &[&Breach], matching: &[&Breach]) -> Option<String> {
    if incident.stages.len() < rule.incident_min_stages {
        return Some(format!(
            "the incident reached {} kill-chain stage(s), fewer than the {} the rule needs",
            incident.stages.len(),
            rule.incident_min_stages
        ));
    }
    if !matching.is_empty() {
        return None;
    }
    let candidates: Vec<&&Breach> = steps.iter().filter(|b| in_scope(rule, b)).collect();
    let inbound_at_stage = rule.models.is_empty()
        && steps.iter().any(|b| b.is_inbound_mail() && (rule.stages.is_empty() || rule.stages.contains(&b.stage)));
    Some(match candidates.iter().map(|b| b.score).reduce(f32::max) {
        Some(best) => format!("the highest matching breach scored {best:.0}, below the rule's {:.0}", rule.min_score),
        None if inbound_at_stage => {
            "the breaches at the rule's stages are about mail that reached the user, which a rule without models leaves out"
                .to_owned()
        }
        None => "no breach of the incident is of the models or stages the rule names".to_owned(),
    })
}

/// Builds the target of an action from the breach, looking in the incident's other breaches for the
/// object's name when the breach itself does not give it.
fn target(kind: ActionKind, incident: &Incident, breach: &Breach, steps: &[&Breach]) -> Option<Target> {
    let user = breach.user.clone().or_else(|| incident.user.clone());
    let mut target = Target { tenant: incident.tenant.to_string(), user, app_id: None, object: None };
    if kind.acts_on_application() {
        // Only the breach's own application: borrowing another breach's could act on an unrelated app.
        let app = breach.app_id.clone()?;
        target.app_id = Some(app);
        return Some(target);
    }
    if let Some(name) = kind.object_evidence() {
        let evidence = |b: &Breach| b.evidence.iter().find(|e| e.name == name).map(|e| e.value.clone());
        target.object = Some(evidence(breach).or_else(|| steps.iter().find_map(|b| evidence(b)))?);
    }
    target.user.as_ref()?;
    Some(target)
}

/// Turns each action's mode into a decision, applying the guards in order: protected accounts, the kill
/// switch, then the hourly limit of autonomous actions.
fn decide(actions: &mut [PlannedAction], policy: &Policy, guard_state: GuardState) {
    let mut autonomous = guard_state.autonomous_last_hour;
    for action in actions.iter_mut() {
        action.decision = match action.mode {
            Mode::Observe => Decision::Observe,
            Mode::Confirm => Decision::AwaitApproval,
            Mode::Autonomous => Decision::Execute,
        };
        let protected = action.target.user.as_deref().filter(|u| policy.is_protected(u));
        if let (ActionKind::DisableUser, Some(user)) = (action.kind, protected) {
            action.decision = Decision::Blocked;
            action.guard_notes.push(format!("{user} is a protected account and is never disabled"));
            continue;
        }
        if action.decision != Decision::Execute {
            continue;
        }
        if policy.guards.kill_switch {
            action.decision = Decision::AwaitApproval;
            action.guard_notes.push("the kill switch is on: queued for approval instead of carried out".to_owned());
        } else if autonomous >= policy.guards.max_autonomous_per_hour {
            action.decision = Decision::AwaitApproval;
            action.guard_notes.push(format!(
                "{autonomous} autonomous actions in the last hour reach the limit of {}: queued for approval",
                policy.guards.max_autonomous_per_hour
            ));
        } else {
            autonomous += 1;
        }
    }
}

/// Derives an action's id from a canonical encoding of what identifies it: a JSON array of the incident,
/// the kind's stable name and the target's fields, hashed with SHA-256 and kept to 128 bits (32 hex
/// digits). The encoding names every field explicitly, so a change to a type's `Debug` output or field
/// order never changes an id.
pub(crate) fn action_id(incident: &str, kind: ActionKind, target: &Target) -> String {
    let key = serde_json::json!([incident, kind.as_str(), target.tenant, target.user, target.app_id, target.object]);
    let digest = ring::digest::digest(&ring::digest::SHA256, key.to_string().as_bytes());
    let hex: String = digest.as_ref()[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("act-{hex}")
}

/// Writes a plan as a Markdown section for the incident report.
pub fn write_plan(plan: &Plan) -> String {
    use std::fmt::Write;
    let mut out = String::from("## Planned actions\n\n");
    if plan.actions.is_empty() {
        let _ = writeln!(out, "No rule of the response policy planned an action for this incident.\n");
    }
    for action in &plan.actions {
        // The decision repeats the mode unless a guard changed it, so the mode is named only then.
        let decision = if action.decision.as_str() == action.mode.as_str() {
            action.decision.as_str().to_owned()
        } else {
            format!("{}, mode {}", action.decision.as_str(), action.mode.as_str())
        };
        let _ = writeln!(out, "- **{}** on {} ({decision}): {}", action.kind, action.target, action.id);
        for reason in &action.reasons {
            let _ = writeln!(out, "  - Why: {reason}.");
        }
        for note in &action.guard_notes {
            let _ = writeln!(out, "  - Guard: {note}.");
        }
    }
    if !plan.not_applied.is_empty() {
        let _ = writeln!(out, "\nRules that planned nothing:\n");
        for rule in &plan.not_applied {
            let _ = writeln!(out, "- {}: {}.", rule.rule, rule.why);
        }
    }
    out
}
