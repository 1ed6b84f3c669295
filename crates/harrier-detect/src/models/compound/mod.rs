//! Compound models: a breach that follows another breach of the same user within a window.
//!
//! Each compound model joins an earlier breach, read from the user's marks, with a breach other models
//! raised on the current event (or, for one model, with the event itself). Two independent signals that
//! agree score high, so compound breaches start at 80. Each one cites both breaches and the events of both,
//! and a compound model raises at most once per earlier breach.

mod credential_attack_then_outbound;
mod grant_then_activity;
mod login_then_inbox_rule;
mod login_then_outbound_spam;

use crate::breach::{Breach, ModelInfo, Stage};
use crate::model::{Context, Model, Param};
use crate::recent::Mark;

/// Returns the compound models, which run after every other model.
pub fn models() -> Vec<Box<dyn Model>> {
    vec![
        Box::new(login_then_inbox_rule::UnusualLoginThenInboxRule),
        Box::new(login_then_outbound_spam::UnusualLoginThenOutboundSpam),
        Box::new(credential_attack_then_outbound::SuspiciousLoginThenOutboundEmail),
        Box::new(grant_then_activity::OauthGrantThenUnusualActivity),
    ]
}

/// Returns the parameters every compound model declares, with the model's own window.
pub(crate) const fn params(window_hours: f64) -> [Param; 4] {
    [
        Param { name: "window_hours", default: window_hours, description: "hours after the earlier breach in which the later one counts" },
        Param { name: "base", default: 80.0, description: "score of a compound breach" },
        Param { name: "same_source", default: 10.0, description: "extra points when both breaches come from the same address" },
        Param { name: "strong_components", default: 5.0, description: "extra points when both breaches score 65 or more" },
    ]
}

/// Returns the first breach on this event from one of `models` that `accept` keeps.
/// The lowest score a component breach needs: two weak signals agreeing are not a strong one, and a
/// low-scoring breach (a typo burst on the office network) must not become a high compound.
pub(crate) const MIN_COMPONENT_SCORE: f32 = 40.0;

pub(crate) fn later_breach<'a>(context: &'a Context<'_>, models: &[&str], accept: impl Fn(&Breach) -> bool) -> Option<&'a Breach> {
    context
        .earlier
        .iter()
        .find(|b| b.score >= MIN_COMPONENT_SCORE && models.contains(&b.model_id.as_str()) && accept(b))
}

/// Returns the newest mark of the user within the model's window that `accept` keeps, unless `model`
/// already raised a compound breach on it.
pub(crate) fn earlier_mark<'a>(context: &'a Context<'_>, model: &ModelInfo, accept: impl Fn(&Mark) -> bool) -> Option<&'a Mark> {
    let user = context.user?;
    let since = context.time_ms() - (context.param("window_hours") * 3_600_000.0) as i64;
    let first = user
        .marks
        .iter()
        .rev()
        .find(|m| (since..=context.time_ms()).contains(&m.time_ms) && m.score >= MIN_COMPONENT_SCORE && m.model_id != model.id && accept(m))?;
    let raised = user.marks.iter().any(|m| m.model_id == model.id && m.time_ms >= first.time_ms);
    (!raised).then_some(first)
}

/// True when a mark's breach was raised at `stage`.
pub(crate) fn at_stage(mark: &Mark, stage: Stage) -> bool {
    mark.stage == Some(stage)
}

/// Builds a compound breach of `model` from an earlier mark and, when there is one, the breach on this
/// event. The compound takes the later breach's technique and stage, since that is what the earlier breach
/// led to.
pub(crate) fn build(model: &'static ModelInfo, context: &Context<'_>, first: &Mark, later: Option<&Breach>, description: &str) -> Breach {
    let same_source = first.source_ip.is_some() && first.source_ip == context.event.client.ip;
    let mut score = context.param("base");
    if same_source {
        score += context.param("same_source");
    }
    if first.score >= 65.0 && later.is_none_or(|b| b.score >= 65.0) {
        score += context.param("strong_components");
    }

    let minutes = (context.time_ms() - first.time_ms) as f64 / 60_000.0;
    let summary = format!("{description} {minutes:.0} minutes after {} raised {}", first.model_id, describe_source(first));
    let mut breach = Breach::new(model, context.event, score as f32, summary)
        .evidence("earlier_breach", &first.breach_id)
        .evidence("earlier_model", &first.model_id)
        .evidence("minutes_between", format!("{minutes:.0}"))
        .evidence("same_source", same_source);
    if let Some(later) = later {
        breach = breach.evidence("later_breach", &later.id).evidence("later_model", &later.model_id);
        breach.technique_id = later.technique_id.clone();
        breach.technique_name = later.technique_name.clone();
        breach.tactic = later.tactic.clone();
        breach.stage = later.stage;
        breach.app_id = later.app_id.clone().or_else(|| first.app_id.clone());
    }
    breach.events = merge_events(first, later, &context.event.record_id);
    breach
}

/// Returns the events of both breaches without repeats, with the triggering event last as in every breach.
fn merge_events(first: &Mark, later: Option<&Breach>, trigger: &str) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    let later_events = later.into_iter().flat_map(|b| b.events.iter());
    let mut events: Vec<String> =
        first.events.iter().chain(later_events).filter(|e| e.as_str() != trigger && seen.insert(e.as_str())).cloned().collect();
    events.push(trigger.to_owned());
    events
}

fn describe_source(first: &Mark) -> String {
    match first.source_ip {
        Some(ip) => format!("a breach from {ip}"),
        None => "a breach".to_owned(),
    }
}
