//! The response policy: the decision table, the mode of each action kind and the guards.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use harrier_detect::Stage;
use serde::{Deserialize, Serialize};

use crate::action::{ActionKind, Mode};
use crate::message::MessageRule;

/// The policy harrier uses when the operator gives none: every action observed, none carried out.
pub const DEFAULT_POLICY: &str = include_str!("../data/response.toml");

/// A row of the decision table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    /// Model ids whose breaches match; empty matches every model.
    #[serde(default)]
    pub models: Vec<String>,
    /// Kill-chain stages whose breaches match; empty matches every stage.
    #[serde(default)]
    pub stages: Vec<Stage>,
    /// The lowest breach score that matches.
    #[serde(default)]
    pub min_score: f32,
    /// The minimum number of kill-chain stages the incident must have reached.
    #[serde(default)]
    pub incident_min_stages: usize,
    pub action: ActionKind,
    /// The reason recorded with every action the rule plans.
    pub why: String,
}

/// Limits that apply whatever the rules and modes plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Guards {
    /// Accounts never disabled, compared without regard to case.
    pub protected_accounts: Vec<String>,
    /// Autonomous actions per tenant per hour; further ones are queued for approval.
    pub max_autonomous_per_hour: usize,
    /// Stops every autonomous action: each is queued for approval instead.
    pub kill_switch: bool,
}

impl Default for Guards {
    fn default() -> Guards {
        Guards { protected_accounts: Vec::new(), max_autonomous_per_hour: 20, kill_switch: false }
    }
}

/// The response policy, read from TOML with unknown keys rejected.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(default)]
    pub modes: BTreeMap<ActionKind, Mode>,
    #[serde(default)]
    pub guards: Guards,
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// The decision table for actions on single messages in the mail flow.
    #[serde(default)]
    pub message_rules: Vec<MessageRule>,
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{origin}: {source}")]
    Parse { origin: String, source: toml::de::Error },
    #[error("{origin}: rule {rule:?} names unknown model {model:?}; known models: {known}")]
    UnknownModel { origin: String, rule: String, model: String, known: String },
}

impl Policy {
    /// Returns the built-in policy.
    pub fn builtin() -> Policy {
        Policy::from_toml(DEFAULT_POLICY, "built-in response policy").expect("the built-in policy is valid")
    }

    /// Reads a policy file and checks the model ids its rules name.
    pub fn from_file(path: &Path) -> Result<Policy, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read { path: path.into(), source })?;
        Policy::from_toml(&text, &path.display().to_string())
    }

    /// Parses a policy; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Policy, PolicyError> {
        let policy: Policy =
            toml::from_str(text).map_err(|source| PolicyError::Parse { origin: origin.to_owned(), source })?;
        let models = harrier_detect::models::all();
        for rule in &policy.rules {
            for model in &rule.models {
                if !models.iter().any(|m| m.info().id == model) {
                    let known = models.iter().map(|m| m.info().id).collect::<Vec<_>>().join(", ");
                    return Err(PolicyError::UnknownModel {
                        origin: origin.to_owned(),
                        rule: rule.name.clone(),
                        model: model.clone(),
                        known,
                    });
                }
            }
        }
        Ok(policy)
    }

    /// Returns the mode of an action kind: observe unless the policy sets another.
    pub fn mode(&self, kind: ActionKind) -> Mode {
        self.modes.get(&kind).copied().unwrap_or_default()
    }

    pub fn is_protected(&self, user: &str) -> bool {
        self.guards.protected_accounts.iter().any(|p| p.eq_ignore_ascii_case(user))
    }
}
