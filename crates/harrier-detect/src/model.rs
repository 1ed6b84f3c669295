//! The shape every detection model has.

use harrier_learn::{Assessment, TenantBaselines};
use harrier_model::Event;

use crate::breach::{Breach, ModelInfo};
use crate::recent::{TenantRecent, UserRecent};
use crate::settings::ModelSettings;

/// A tunable number of a model, with its default and what it means.
#[derive(Debug)]
pub struct Param {
    pub name: &'static str,
    pub default: f64,
    /// The meaning of the number, with its unit.
    pub description: &'static str,
}

/// A named, versioned detection model.
///
/// Models are stateless: what they need to remember lives in the baselines and in the shared recent memory
/// the engine keeps, so the engine can save and restore all state in one place.
pub trait Model: Send + Sync {
    fn info(&self) -> &'static ModelInfo;

    /// Returns the model's tunable numbers; an operator overrides them in the settings file.
    fn params(&self) -> &'static [Param] {
        &[]
    }

    /// Looks at one event and returns a breach when it departs from normal enough.
    fn evaluate(&self, context: &Context<'_>) -> Option<Breach>;
}

/// The view of one event that a model evaluates.
pub struct Context<'a> {
    pub event: &'a Event,
    /// The event's scores against the baselines learned before it.
    pub assessment: &'a Assessment,
    pub baselines: &'a TenantBaselines,
    /// The actor's recent memory, when the event has an actor seen before.
    pub user: Option<&'a UserRecent>,
    pub tenant: &'a TenantRecent,
    /// Breaches other models raised on this event, in model order; compound models read them.
    pub earlier: &'a [Breach],
    pub(crate) settings: Option<&'a ModelSettings>,
    pub(crate) params: &'static [Param],
}

impl Context<'_> {
    /// Returns a tunable number: the operator's setting, else the model's default.
    ///
    /// # Panics
    ///
    /// Panics when the model requests a name it does not declare in [`Model::params`], a programming error
    /// that the model's own tests catch.
    pub fn param(&self, name: &str) -> f64 {
        if let Some(value) = self.settings.and_then(|s| s.params.get(name)) {
            return *value;
        }
        self.params
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("model parameter {name:?} is not declared"))
            .default
    }

    /// Returns the event time in milliseconds since the Unix epoch.
    pub fn time_ms(&self) -> i64 {
        self.event.time.as_millisecond()
    }
}
