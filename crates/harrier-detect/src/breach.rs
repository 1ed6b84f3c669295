//! Model breaches: what a detection model raised, with its evidence and the baseline it departed from.

use std::net::IpAddr;

use harrier_model::TenantId;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A MITRE ATT&CK technique.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Technique {
    /// The technique or sub-technique id, for example `T1078.004`.
    pub id: &'static str,
    pub name: &'static str,
    /// The tactic, as ATT&CK names it (`initial-access`, `persistence`, ...).
    pub tactic: &'static str,
}

/// A stage of an account takeover, in the order attacks progress through them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Attempts on credentials: failures, sprays, MFA prompts.
    CredentialAccess,
    /// A successful sign-in by the attacker.
    InitialAccess,
    /// Footholds that survive a password reset: applications, consents, credentials, MFA methods.
    Persistence,
    /// Hiding activity: inbox rules that move or delete mail, audit bypass.
    DefenseEvasion,
    /// Reading mail or files in bulk.
    Collection,
    /// Forwarding or copying mail out of the tenant.
    Exfiltration,
    /// Sending spam or phishing from the account.
    Impact,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::CredentialAccess => "credential_access",
            Stage::InitialAccess => "initial_access",
            Stage::Persistence => "persistence",
            Stage::DefenseEvasion => "defense_evasion",
            Stage::Collection => "collection",
            Stage::Exfiltration => "exfiltration",
            Stage::Impact => "impact",
        }
    }
}

/// The description of a model, fixed at build time.
#[derive(Debug)]
pub struct ModelInfo {
    /// A stable identifier: `saas.` (audit and sign-in logs) or `mail.` (mail messages), then a snake_case
    /// name.
    pub id: &'static str,
    pub name: &'static str,
    /// Raised when the model's logic changes, so breaches from different logic can be distinguished.
    pub version: u32,
    pub description: &'static str,
    pub technique: Technique,
    pub stage: Stage,
}

/// One fact a model used, as a name and a value (`source_ip`, `45.62.170.237`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub name: String,
    pub value: String,
}

/// An observation's departure from the baseline, in plain numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Deviation {
    /// The measure: a feature (`asn`, `country`) or a metric (`mail_sent`).
    pub measure: String,
    /// The value this event showed (`AS396073`, `2,400 messages today`).
    pub observed: String,
    /// The normal values, in words built from the baseline's numbers (`AS3320 (92%), AS6805 (8%) over 120
    /// days`).
    pub baseline: String,
    /// Surprise in bits, or standard deviations for volumes.
    pub score: f32,
}

/// A model breach.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Breach {
    /// Stable id: the same model on the same event always gives the same id.
    pub id: String,
    pub model_id: String,
    pub model_name: String,
    pub model_version: u32,
    pub technique_id: String,
    pub technique_name: String,
    pub tactic: String,
    pub stage: Stage,
    pub tenant: TenantId,
    pub user: Option<String>,
    pub time: Timestamp,
    /// 0 to 100.
    pub score: f32,
    /// One sentence saying what happened and why it is unusual.
    pub summary: String,
    pub evidence: Vec<Evidence>,
    pub deviations: Vec<Deviation>,
    /// Record ids of the events the breach rests on, the triggering event last.
    pub events: Vec<String>,
    pub source_ip: Option<IpAddr>,
    /// The application involved, for consent and application models.
    pub app_id: Option<String>,
    /// True when the user or tenant was still in its learning period; the score already accounts for it.
    pub learning: bool,
}

impl Breach {
    /// Starts a breach of `model` on the event with `record_id`.
    pub fn new(model: &ModelInfo, event: &harrier_model::Event, score: f32, summary: String) -> Breach {
        let id = format!(
            "{:016x}",
            xxhash_rust::xxh3::xxh3_64(format!("{}\0{}\0{}", model.id, event.tenant, event.record_id).as_bytes())
        );
        Breach {
            id,
            model_id: model.id.to_owned(),
            model_name: model.name.to_owned(),
            model_version: model.version,
            technique_id: model.technique.id.to_owned(),
            technique_name: model.technique.name.to_owned(),
            tactic: model.technique.tactic.to_owned(),
            stage: model.stage,
            tenant: event.tenant.clone(),
            user: event.actor.user.clone(),
            time: event.time,
            score: score.clamp(0.0, 100.0),
            summary,
            evidence: Vec::new(),
            deviations: Vec::new(),
            events: vec![event.record_id.clone()],
            source_ip: event.client.ip,
            app_id: None,
            learning: false,
        }
    }

    pub fn evidence(mut self, name: &str, value: impl std::fmt::Display) -> Breach {
        self.evidence.push(Evidence { name: name.to_owned(), value: value.to_string() });
        self
    }

    pub fn deviation(mut self, deviation: Deviation) -> Breach {
        self.deviations.push(deviation);
        self
    }

    /// Returns whether the breach is about a message that reached the user, rather than about what the
    /// user's account did: every mail model but the one of outbound mail to many new recipients.
    pub fn is_inbound_mail(&self) -> bool {
        self.model_id.starts_with("mail.") && self.model_id != crate::models::mail::outbound_burst::MODEL_ID
    }

    /// Returns the severity word for the score: low below 40, medium below 65, high below 85, else critical.
    pub fn severity(&self) -> Severity {
        Severity::from_score(self.score)
    }
}

/// Severity of a breach or an incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn from_score(score: f32) -> Severity {
        match score {
            s if s >= 85.0 => Severity::Critical,
            s if s >= 65.0 => Severity::High,
            s if s >= 40.0 => Severity::Medium,
            _ => Severity::Low,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}
