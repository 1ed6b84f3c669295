//! New or changed inbox rules, scored by what they do to mail and by the user's rule habits.

use harrier_learn::Metric;
use harrier_model::{Activity, Change, InboxRule, RuleAction};

use crate::breach::{Breach, Deviation, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::activity::common::{TenantDomains, set_technique, usual_volume, volume_today};

pub struct NewInboxRule;

static INFO: ModelInfo = ModelInfo {
    id: "saas.new_inbox_rule",
    name: "Suspicious inbox rule",
    version: 1,
    description: "A new or changed inbox rule, scored by what it does: forwarding or redirecting outside the \
                  tenant's domains, deleting, marking as read, moving to folders users rarely open (RSS, \
                  Conversation History, Junk Email, Archive, Deleted Items), matching payment or security \
                  keywords, having a meaningless name or stopping later rules, and by how unusual a new rule \
                  is for the user. Forwarding outside is reported as exfiltration.",
    technique: Technique { id: "T1564.008", name: "Hide Artifacts: Email Hiding Rules", tactic: "defense-evasion" },
    stage: Stage::DefenseEvasion,
};

const FORWARDING: Technique = Technique { id: "T1114.003", name: "Email Collection: Email Forwarding Rule", tactic: "collection" };

static PARAMS: [Param; 12] = [
    Param { name: "forward_external", default: 55.0, description: "points for forwarding or redirecting to an address outside the tenant's domains" },
    Param { name: "extra_recipient", default: 5.0, description: "points per further outside recipient, at most 3" },
    Param { name: "forward_internal", default: 10.0, description: "points for forwarding inside the tenant" },
    Param { name: "delete", default: 35.0, description: "points for permanent deletion" },
    Param { name: "soft_delete", default: 30.0, description: "points for moving to Deleted Items" },
    Param { name: "mark_read", default: 15.0, description: "points for marking as read" },
    Param { name: "keywords", default: 20.0, description: "points for conditions on payment, security or account words; 5 more per further word, at most 10" },
    Param { name: "keyword_hiding", default: 10.0, description: "points for any keyword condition on a rule that hides mail" },
    Param { name: "meaningless_name", default: 15.0, description: "points for a name of at most two characters or only punctuation" },
    Param { name: "stop_processing", default: 10.0, description: "points for stopping later rules" },
    Param { name: "first_rule", default: 5.0, description: "points for the first rule of a user with at least 14 days of history" },
    Param { name: "min_score", default: 20.0, description: "lowest score (0-100) that raises a breach" },
];

/// Folders that users rarely open, so mail moved there goes unseen, with their points.
const HIDING_FOLDERS: [(&str, f64); 7] = [
    ("rss subscriptions", 35.0),
    ("rss feeds", 35.0),
    ("conversation history", 35.0),
    ("deleted items", 30.0),
    ("junk email", 25.0),
    ("junk e-mail", 25.0),
    ("archive", 20.0),
];

/// Words that business email compromise rules match to hide replies about payments or warnings about the
/// compromise. Words of four letters or fewer match whole words only, longer ones anywhere in a keyword.
const SUSPICIOUS_WORDS: [&str; 24] = [
    "invoice", "payment", "wire", "bank", "urgent", "password", "phish", "hacked", "hack", "compromised",
    "suspicious", "fraud", "spam", "transfer", "remittance", "payroll", "ach", "w2", "w-2", "helpdesk",
    "security", "verify", "do not open", "virus",
];

/// Findings about a rule: their points in total, a reason for each, and the outside recipients.
#[derive(Default)]
struct Findings {
    score: f64,
    reasons: Vec<String>,
    external: Vec<String>,
    hides: bool,
}

impl Findings {
    fn add(&mut self, points: f64, reason: String) {
        self.score += points;
        self.reasons.push(reason);
    }
}

impl Model for NewInboxRule {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let Activity::InboxRule(rule) = &context.event.activity else { return None };
        if matches!(rule.change, Change::Removed | Change::Disabled) {
            return None;
        }
        let mut findings = Findings::default();
        score_forwarding(context, rule, &mut findings);
        score_hiding(context, rule, &mut findings);
        score_conditions(context, rule, &mut findings);
        score_name(context, rule, &mut findings);
        let habit = score_habits(context, &mut findings);
        if findings.score < context.param("min_score") {
            return None;
        }
        Some(build(context, rule, findings, habit))
    }
}

fn score_forwarding(context: &Context<'_>, rule: &InboxRule, findings: &mut Findings) {
    let targets: Vec<&String> = rule
        .actions
        .iter()
        .flat_map(|action| match action {
            RuleAction::ForwardTo(to) | RuleAction::RedirectTo(to) | RuleAction::ForwardAsAttachmentTo(to) => to.as_slice(),
            _ => &[],
        })
        .collect();
    if targets.is_empty() {
        return;
    }
    let domains = TenantDomains::of(context, &[rule.mailbox.as_deref()]);
    let external = domains.external(targets.iter().copied());
    if external.is_empty() {
        findings.add(context.param("forward_internal"), format!("forwards inside the tenant ({})", domains.describe()));
        return;
    }
    let extra = (external.len() - 1).min(3) as f64;
    let reason = format!("forwards to {} outside the tenant's domains ({})", external.join(", "), domains.describe());
    findings.add(context.param("forward_external") + extra * context.param("extra_recipient"), reason);
    findings.external = external.into_iter().map(str::to_owned).collect();
}

fn score_hiding(context: &Context<'_>, rule: &InboxRule, findings: &mut Findings) {
    for action in &rule.actions {
        let (points, reason) = match action {
            RuleAction::Delete => (context.param("delete"), "deletes mail permanently".to_owned()),
            RuleAction::SoftDelete => (context.param("soft_delete"), "moves mail to Deleted Items".to_owned()),
            RuleAction::MarkAsRead => (context.param("mark_read"), "marks mail as read".to_owned()),
            RuleAction::MoveToFolder(folder) | RuleAction::CopyToFolder(folder) => match hiding_folder(folder) {
                Some(points) => (points, format!("moves mail to {folder}, a folder users rarely open")),
                None => continue,
            },
            RuleAction::StopProcessing => {
                findings.add(context.param("stop_processing"), "stops processing later rules".to_owned());
                continue;
            }
            _ => continue,
        };
        findings.hides = true;
        findings.add(points, reason);
    }
}

/// Returns the points of a folder users rarely open, matching the last part of a folder path.
fn hiding_folder(folder: &str) -> Option<f64> {
    let name = folder.rsplit(['\\', '/']).next().unwrap_or(folder).trim().to_ascii_lowercase();
    HIDING_FOLDERS.iter().find(|(known, _)| *known == name).map(|(_, points)| *points)
}

fn score_conditions(context: &Context<'_>, rule: &InboxRule, findings: &mut Findings) {
    let keywords: Vec<&str> = rule.conditions.keywords().collect();
    let suspicious: Vec<&str> = keywords.iter().copied().filter(|k| is_suspicious(k)).collect();
    if !suspicious.is_empty() {
        let extra = ((suspicious.len() - 1) as f64 * 5.0).min(10.0);
        findings.add(context.param("keywords") + extra, format!("matches words used to hide fraud or warnings: {}", suspicious.join(", ")));
    }
    if findings.hides && !keywords.is_empty() {
        findings.add(context.param("keyword_hiding"), format!("hides only mail matching {}", keywords.join(", ")));
    }
}

/// True when a rule keyword contains one of [`SUSPICIOUS_WORDS`].
fn is_suspicious(keyword: &str) -> bool {
    let lower = keyword.to_ascii_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_ascii_alphanumeric() && c != '-').filter(|w| !w.is_empty()).collect();
    SUSPICIOUS_WORDS.iter().any(|term| if term.len() <= 4 { words.contains(term) } else { lower.contains(term) })
}

fn score_name(context: &Context<'_>, rule: &InboxRule, findings: &mut Findings) {
    let Some(name) = rule.name.as_deref().map(str::trim) else { return };
    let meaningless = name.chars().count() <= 2 || name.chars().all(|c| !c.is_alphanumeric());
    if meaningless {
        findings.add(context.param("meaningless_name"), format!("has the meaningless name {name:?}"));
    }
}

/// Scores the user's rule habits and returns the baseline for the deviation, when the user has one.
fn score_habits(context: &Context<'_>, findings: &mut Findings) -> Option<(String, String, f32)> {
    let (volume, before) = volume_today(context, Metric::InboxRulesCreated)?;
    let history_days = context.assessment.user_history_days;
    let never = volume.max <= 0.0 && before <= 0.0;
    if never && history_days >= 14 {
        findings.add(context.param("first_rule"), format!("is the user's first rule in {history_days} days"));
    }
    // A user who makes rules every few weeks is judged less harshly than one who never does.
    if volume.mean * 30.0 >= 2.0 {
        findings.score *= 0.8;
    }
    let observed = format!("{} rule(s) created today", before + 1.0);
    Some((observed, usual_volume(&volume, "rules"), volume.z_score(before + 1.0)))
}

fn build(context: &Context<'_>, rule: &InboxRule, findings: Findings, habit: Option<(String, String, f32)>) -> Breach {
    let name = rule.name.as_deref().unwrap_or("(unnamed)");
    let mailbox = rule.mailbox.as_deref().or(context.event.actor.user.as_deref()).unwrap_or("an unknown mailbox");
    let summary = format!("Inbox rule {name:?} on {mailbox} {}", findings.reasons.join("; "));
    let mut breach = Breach::new(&INFO, context.event, findings.score as f32, summary)
        .evidence("rule_name", name)
        .evidence("mailbox", mailbox)
        .evidence("change", format!("{:?}", rule.change))
        .evidence("from_client", rule.from_client)
        .evidence("actions", serde_json::to_string(&rule.actions).unwrap_or_default())
        .evidence("conditions", serde_json::to_string(&rule.conditions).unwrap_or_default());
    if let Some((observed, baseline, score)) = habit {
        breach = breach.deviation(Deviation { measure: Metric::InboxRulesCreated.as_str().to_owned(), observed, baseline, score });
    }
    if !findings.external.is_empty() {
        breach = breach.evidence("external_recipients", findings.external.join(", "));
        breach.stage = Stage::Exfiltration;
        set_technique(&mut breach, &FORWARDING);
    }
    breach
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suspicious_keywords() {
        assert!(is_suspicious("Invoice"));
        assert!(is_suspicious("wire transfer"));
        assert!(is_suspicious("ACH"));
        assert!(!is_suspicious("attachment"), "short words match whole words only");
        assert!(!is_suspicious("newsletter"));
    }

    #[test]
    fn hiding_folders_match_paths() {
        assert_eq!(hiding_folder(":\\RSS Subscriptions"), Some(35.0));
        assert_eq!(hiding_folder("Junk Email"), Some(25.0));
        assert_eq!(hiding_folder("Newsletters"), None);
    }
}
