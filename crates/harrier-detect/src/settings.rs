//! Settings an operator can tune: model thresholds and parameters, baselines and incident chaining.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Settings of one model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelSettings {
    pub enabled: bool,
    /// Breaches scoring below this (0 to 100) are dropped.
    pub min_score: f32,
    /// Overrides of the model's declared parameters.
    pub params: BTreeMap<String, f64>,
}

impl Default for ModelSettings {
    fn default() -> ModelSettings {
        ModelSettings { enabled: true, min_score: 0.0, params: BTreeMap::new() }
    }
}

/// Settings of how breaches chain into incidents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IncidentSettings {
    /// A breach joins the user's open incident when it comes at most this many hours after the incident's
    /// latest breach.
    pub window_hours: f64,
    /// Breaches scoring below this are kept but neither open nor extend an incident.
    pub min_breach_score: f32,
}

impl Default for IncidentSettings {
    fn default() -> IncidentSettings {
        IncidentSettings { window_hours: 72.0, min_breach_score: 30.0 }
    }
}

/// All detection settings, read from a TOML file with unknown keys rejected.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub baselines: harrier_learn::Config,
    pub incidents: IncidentSettings,
    /// Per model id (`saas.new_inbox_rule`, ...).
    pub models: BTreeMap<String, ModelSettings>,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: std::path::PathBuf, source: std::io::Error },
    #[error("{}: {source}", path.display())]
    Parse { path: std::path::PathBuf, source: toml::de::Error },
    #[error("{}: unknown model {id:?}; known models: {known}", path.display())]
    UnknownModel { path: std::path::PathBuf, id: String, known: String },
    #[error("{}: model {model} has no parameter {name:?}; its parameters: {known}", path.display())]
    UnknownParam { path: std::path::PathBuf, model: String, name: String, known: String },
}

impl Settings {
    /// Reads settings from a TOML file and checks every model id and parameter name against the models.
    pub fn from_file(path: &Path, models: &[Box<dyn crate::Model>]) -> Result<Settings, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Read { path: path.into(), source })?;
        let settings: Settings = toml::from_str(&text).map_err(|source| SettingsError::Parse { path: path.into(), source })?;
        settings.check(path, models)?;
        Ok(settings)
    }

    fn check(&self, path: &Path, models: &[Box<dyn crate::Model>]) -> Result<(), SettingsError> {
        for (id, model_settings) in &self.models {
            let Some(model) = models.iter().find(|m| m.info().id == id) else {
                let known = models.iter().map(|m| m.info().id).collect::<Vec<_>>().join(", ");
                return Err(SettingsError::UnknownModel { path: path.into(), id: id.clone(), known });
            };
            for name in model_settings.params.keys() {
                if !model.params().iter().any(|p| p.name == name) {
                    let known = model.params().iter().map(|p| p.name).collect::<Vec<_>>().join(", ");
                    return Err(SettingsError::UnknownParam { path: path.into(), model: id.clone(), name: name.clone(), known });
                }
            }
        }
        Ok(())
    }
}
