//! The written investigation of an incident, in Markdown.
//!
//! Every sentence is built from the breaches' own fields (their summaries, evidence and deviations), so the
//! report never states a fact the data does not hold. Given the same incident and breaches, the text is the
//! same byte for byte.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::breach::{Breach, Stage};
use crate::incident::Incident;

/// Another user's incident that shares source addresses with the reported one, with its breaches.
pub struct RelatedActivity<'a> {
    pub incident: &'a Incident,
    pub breaches: Vec<&'a Breach>,
}

/// Writes the investigation report of `incident` from its breaches (in any order) and the related incidents
/// of other users.
pub fn write_report(incident: &Incident, breaches: &[Breach], related: &[RelatedActivity<'_>]) -> String {
    let mut steps: Vec<&Breach> = breaches.iter().filter(|b| incident.breaches.contains(&b.id)).collect();
    steps.sort_by(|a, b| a.time.cmp(&b.time).then(a.id.cmp(&b.id)));

    let mut out = String::new();
    write_header(&mut out, incident);
    write_summary(&mut out, incident, &steps);
    write_steps(&mut out, &steps);
    write_related(&mut out, incident, related);
    write_response(&mut out, incident, &steps);
    out
}

fn user_name(incident: &Incident) -> &str {
    incident.user.as_deref().unwrap_or("an unattributed actor")
}

fn write_header(out: &mut String, incident: &Incident) {
    let _ = writeln!(out, "# Incident {}: {}\n", incident.id, user_name(incident));
    let stages: Vec<&str> = incident.stages.iter().map(|s| s.as_str()).collect();
    let techniques: Vec<&str> = incident.techniques.iter().map(String::as_str).collect();
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| Tenant | {} |", incident.tenant);
    let _ = writeln!(out, "| Severity | {} (score {:.0} of 100) |", incident.severity.as_str(), incident.score);
    let _ = writeln!(out, "| First seen | {} |", incident.first);
    let _ = writeln!(out, "| Last seen | {} |", incident.last);
    let _ = writeln!(out, "| Kill-chain stages | {} |", stages.join(", "));
    let _ = writeln!(out, "| ATT&CK techniques | {} |", techniques.join(", "));
    let sources: Vec<String> = incident.sources.iter().map(|ip| ip.to_string()).collect();
    let sources = if sources.is_empty() { "none recorded".to_owned() } else { sources.join(", ") };
    let _ = writeln!(out, "| Source addresses | {sources} |\n");
}

fn write_summary(out: &mut String, incident: &Incident, steps: &[&Breach]) {
    let minutes = (incident.last.as_second() - incident.first.as_second()) / 60;
    let span = if minutes < 120 { format!("{minutes} minutes") } else { format!("{:.1} hours", minutes as f64 / 60.0) };
    let models: BTreeSet<&str> = steps.iter().map(|b| b.model_name.as_str()).collect();
    let _ = writeln!(out, "## Summary\n");
    let _ = writeln!(
        out,
        "{} over {span} for {}, from {}: {}.\n",
        plural(steps.len(), "model breach", "model breaches"),
        user_name(incident),
        plural(models.len(), "detection model", "detection models"),
        models.into_iter().collect::<Vec<_>>().join("; ")
    );
    if steps.iter().any(|b| b.learning) {
        let _ = writeln!(
            out,
            "Some breaches were scored while the user or tenant was still in its learning period, with reduced \
             scores; they are marked below.\n"
        );
    }
}

fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

fn write_steps(out: &mut String, steps: &[&Breach]) {
    let _ = writeln!(out, "## What happened\n");
    for (number, breach) in steps.iter().enumerate() {
        let learning = if breach.learning { " (learning period)" } else { "" };
        let _ = writeln!(
            out,
            "{}. **{}** at {}: {} (`{}` v{}, score {:.0}, {} {}){learning}",
            number + 1,
            breach.model_name,
            breach.time,
            breach.summary,
            breach.model_id,
            breach.model_version,
            breach.score,
            breach.technique_id,
            breach.technique_name,
        );
        for deviation in &breach.deviations {
            let _ = writeln!(
                out,
                "   - Unusual {}: {}. Baseline: {}.",
                deviation.measure.replace('_', " "),
                deviation.observed,
                deviation.baseline
            );
        }
        for evidence in &breach.evidence {
            let _ = writeln!(out, "   - {}: {}", evidence.name.replace('_', " "), evidence.value);
        }
        let _ = writeln!(out, "   - Events: {}", list_events(&breach.events));
    }
    let _ = writeln!(out);
}

/// How many event ids a step lists before summarising the rest as a count.
const LISTED_EVENTS: usize = 5;

fn list_events(events: &[String]) -> String {
    let mut text = events.iter().take(LISTED_EVENTS).cloned().collect::<Vec<_>>().join(", ");
    if events.len() > LISTED_EVENTS {
        let _ = write!(text, " and {} more", events.len() - LISTED_EVENTS);
    }
    text
}

fn write_related(out: &mut String, incident: &Incident, related: &[RelatedActivity<'_>]) {
    let _ = writeln!(out, "## The same sources against other users\n");
    if related.is_empty() {
        let _ = writeln!(out, "No other user's incident shares a source address with this one.\n");
        return;
    }
    for other in related {
        let shared: Vec<String> =
            other.incident.sources.intersection(&incident.sources).map(|ip| ip.to_string()).collect();
        let models: BTreeSet<&str> = other.breaches.iter().map(|b| b.model_name.as_str()).collect();
        let _ = writeln!(
            out,
            "- {} (incident {}, {}): {} from {}: {}.",
            user_name(other.incident),
            other.incident.id,
            other.incident.severity.as_str(),
            plural(other.breaches.len(), "breach", "breaches"),
            shared.join(", "),
            models.into_iter().collect::<Vec<_>>().join("; ")
        );
    }
    let _ = writeln!(out);
}

/// Recommends a response to messages that reached `user`. Nothing shows that the account itself was used,
/// so the advice is to remove the messages and to find out what the user did with them.
fn inbound_mail_advice(stage: Stage, user: &str, breaches: &[&Breach]) -> String {
    let messages: BTreeSet<&str> = breaches.iter().filter_map(|breach| breach.events.last().map(String::as_str)).collect();
    let (messages, them) = if messages.len() > 1 { (format!("the {} messages", messages.len()), "them") } else { ("the message".to_owned(), "it") };
    let senders: BTreeSet<String> = breaches.iter().filter_map(|breach| breach.source_ip.map(|ip| ip.to_string())).collect();
    let block = if senders.is_empty() {
        String::new()
    } else {
        format!(", and consider blocking the sending servers ({})", senders.into_iter().collect::<Vec<_>>().join(", "))
    };
    let remove = format!("Remove {messages} from {user}'s mailbox and from every other mailbox that received {them}{block}.");
    let follow_up = if breaches.iter().any(|breach| breach.model_id == crate::models::mail::payment_change::MODEL_ID) {
        "Pay nothing to the new bank details until the supplier confirms them through a contact already on file."
    } else if stage == Stage::InitialAccess {
        "Ask whether the attachment was opened; if it was, isolate the device that opened it."
    } else {
        "Ask whether a link was followed, a password entered or a reply sent; if so, reset the password and revoke the sessions."
    };
    format!("{remove} {follow_up}")
}

/// Recommends the proportionate response for each stage the incident reached.
fn write_response(out: &mut String, incident: &Incident, steps: &[&Breach]) {
    let user = user_name(incident);
    let sources: Vec<String> = incident.sources.iter().map(|ip| ip.to_string()).collect();
    let _ = writeln!(out, "## Recommended response\n");
    for stage in &incident.stages {
        let at_stage: Vec<&Breach> = steps.iter().copied().filter(|breach| breach.stage == *stage).collect();
        if !at_stage.is_empty() && at_stage.iter().all(|breach| breach.is_inbound_mail()) {
            let advice = inbound_mail_advice(*stage, &user, &at_stage);
            let _ = writeln!(out, "- {}: {advice}", stage.as_str().replace('_', " "));
            continue;
        }
        let advice = match stage {
            Stage::CredentialAccess => format!(
                "Check that {user}'s password is strong and not reused, and block the sources of the failed attempts ({}) at the identity provider.",
                sources.join(", ")
            ),
            Stage::InitialAccess => format!(
                "Revoke {user}'s sign-in sessions and refresh tokens, reset the password, and require MFA re-registration."
            ),
            Stage::Persistence => {
                let apps: BTreeSet<&str> = steps.iter().filter_map(|b| b.app_id.as_deref()).collect();
                let apps = if apps.is_empty() { String::new() } else { format!(" ({})", apps.into_iter().collect::<Vec<_>>().join(", ")) };
                format!(
                    "Remove the consent grants, applications, credentials and MFA methods added during the incident{apps}, and disable the service principals."
                )
            }
            Stage::DefenseEvasion => format!("Remove the inbox rules created during the incident from {user}'s mailbox and review what they hid."),
            Stage::Collection => format!("Review which mail and files were read; {user}'s data should be treated as exposed."),
            Stage::Exfiltration => "Remove forwarding settings and transport rules that send mail outside, and review what was sent.".to_owned(),
            Stage::Impact => format!(
                "Disable {user} until the account is clean, and warn the recipients of the messages sent during the incident."
            ),
        };
        let _ = writeln!(out, "- {}: {advice}", stage.as_str().replace('_', " "));
    }
}
