//! Ground truth: which records belong to which injected scenario step.
//!
//! `labels.json` lists every scenario instance with the user it hit, whether it is an attack or a benign
//! look-alike, the attacker's source addresses, and its steps. Each step lists the `Id` (Management
//! Activity) or `id` (Graph) of every record that makes it up, so an evaluator can match detections to
//! steps by record id.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::clock::{GraphTime, Millis};
use crate::config::{ScenarioName, SimConfig};
use crate::directory::Directory;
use crate::event::SimEvent;
use crate::scenarios::Instance;
use crate::writers::Destination;

/// Whether an instance is an attack or a benign activity that resembles one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelKind {
    Attack,
    Benign,
}

/// One step of a scenario instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepLabel {
    /// The step's name, such as `brute_force`, `sign_in`, `app_registration`, `oauth_consent`,
    /// `inbox_rule` or `mass_send`.
    pub name: String,
    /// The time of the step's first record (`YYYY-MM-DDTHH:MM:SSZ`); `None` when no record of the step
    /// fell inside the simulated period.
    pub time: Option<String>,
    /// The time of the step's last record.
    pub end: Option<String>,
    /// The folders, relative to the output folder, the step's records were written to.
    pub sources: Vec<String>,
    /// The ids of the step's records, in the order they were written.
    pub record_ids: Vec<String>,
    #[serde(skip)]
    first: Option<Millis>,
    #[serde(skip)]
    last: Option<Millis>,
    #[serde(skip)]
    destinations: BTreeSet<Destination>,
}

/// One injected scenario instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioLabel {
    /// `<scenario>-<n>`, numbered from 1 in the order of the configuration.
    pub id: String,
    pub scenario: ScenarioName,
    pub kind: LabelKind,
    /// The user principal name of the attacked or acting user; `None` for a password spray that got no
    /// account.
    pub user: Option<String>,
    /// The user's Entra object id.
    pub user_id: Option<String>,
    /// The simulated day (0-based) the instance starts on.
    pub day: u32,
    /// How many accounts a password spray tried; 0 for other scenarios.
    pub targeted_users: usize,
    /// The attacker's source addresses; empty for benign look-alikes.
    pub attacker_ips: Vec<String>,
    pub steps: Vec<StepLabel>,
}

/// The contents of `labels.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Labels {
    pub tenant_id: String,
    pub domain: String,
    pub users: usize,
    pub days: u32,
    pub seed: u64,
    /// The first simulated day, `YYYY-MM-DD`.
    pub start: String,
    pub scenarios: Vec<ScenarioLabel>,
}

impl Labels {
    pub(crate) fn new(config: &SimConfig, directory: &Directory, instances: &[Instance]) -> Labels {
        let mut counters = std::collections::HashMap::new();
        let scenarios = instances
            .iter()
            .map(|instance| {
                let number = counters.entry(instance.scenario).or_insert(0);
                *number += 1;
                let user = instance.user.map(|index| &directory.users[index as usize]);
                ScenarioLabel {
                    id: format!("{}-{number}", instance.scenario),
                    scenario: instance.scenario,
                    kind: if instance.scenario.is_attack() {
                        LabelKind::Attack
                    } else {
                        LabelKind::Benign
                    },
                    user: user.map(|user| user.user_principal_name.clone()),
                    user_id: user.map(|user| user.object_id.to_string()),
                    day: instance.day,
                    targeted_users: instance.targeted_users.len(),
                    attacker_ips: instance
                        .attacker_ips
                        .iter()
                        .map(ToString::to_string)
                        .collect(),
                    steps: instance
                        .steps
                        .iter()
                        .map(|name| StepLabel::new(name))
                        .collect(),
                }
            })
            .collect();
        Labels {
            tenant_id: config.tenant_id.clone(),
            domain: directory.tenant.domain.clone(),
            users: config.users,
            days: config.days,
            seed: config.seed,
            start: config.start.to_string(),
            scenarios,
        }
    }

    /// Adds a written record to the step it is tagged with.
    pub(crate) fn observe(&mut self, event: &SimEvent) {
        let Some(tag) = event.tag else {
            return;
        };
        let Some(step) = self
            .scenarios
            .get_mut(tag.instance as usize)
            .and_then(|s| s.steps.get_mut(usize::from(tag.step)))
        else {
            return;
        };
        step.record_ids.push(event.id.to_string());
        step.first = Some(step.first.map_or(event.time, |first| first.min(event.time)));
        step.last = Some(step.last.map_or(event.time, |last| last.max(event.time)));
        step.destinations.insert(Destination::of(event));
    }

    /// Fills the times and sources from the observed records.
    pub(crate) fn finish(&mut self) {
        for step in self
            .scenarios
            .iter_mut()
            .flat_map(|scenario| scenario.steps.iter_mut())
        {
            step.time = step.first.map(|time| GraphTime(time).to_string());
            step.end = step.last.map(|time| GraphTime(time).to_string());
            step.sources = step
                .destinations
                .iter()
                .map(|destination| destination.folder())
                .collect();
        }
    }

    /// Returns how many records carry a label.
    pub fn labelled_records(&self) -> usize {
        self.scenarios
            .iter()
            .flat_map(|scenario| &scenario.steps)
            .map(|step| step.record_ids.len())
            .sum()
    }
}

impl StepLabel {
    fn new(name: &str) -> StepLabel {
        StepLabel {
            name: name.to_owned(),
            time: None,
            end: None,
            sources: Vec::new(),
            record_ids: Vec::new(),
            first: None,
            last: None,
            destinations: BTreeSet::new(),
        }
    }
}
