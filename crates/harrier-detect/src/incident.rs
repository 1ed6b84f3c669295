//! Chaining breaches into incidents.
//!
//! A breach joins its user's open incident when it comes within the chaining window of the incident's
//! latest breach, and opens a new incident otherwise. Incidents that share a source address with another
//! user's incident are linked, so the report shows what the same source did elsewhere.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use harrier_model::TenantId;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::breach::{Breach, Severity, Stage};
use crate::settings::IncidentSettings;

/// Breaches chained into one story for one user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Stable id: derived from the tenant and the first breach.
    pub id: String,
    pub tenant: TenantId,
    pub user: Option<String>,
    pub first: Timestamp,
    pub last: Timestamp,
    /// Breach ids in time order.
    pub breaches: Vec<String>,
    pub models: BTreeSet<String>,
    pub stages: BTreeSet<Stage>,
    pub techniques: BTreeSet<String>,
    pub sources: BTreeSet<IpAddr>,
    /// The highest breach score, raised by 10 for each kill-chain stage beyond the first, at most 100.
    pub score: f32,
    pub severity: Severity,
    /// Incidents of other users that share a source address with this one.
    pub related: BTreeSet<String>,
    max_breach_score: f32,
}

impl Incident {
    fn open(breach: &Breach) -> Incident {
        let id = format!(
            "inc-{:012x}",
            xxhash_rust::xxh3::xxh3_64(format!("{}\0{}", breach.tenant, breach.id).as_bytes()) & 0xffff_ffff_ffff
        );
        let mut incident = Incident {
            id,
            tenant: breach.tenant.clone(),
            user: breach.user.clone(),
            first: breach.time,
            last: breach.time,
            breaches: Vec::new(),
            models: BTreeSet::new(),
            stages: BTreeSet::new(),
            techniques: BTreeSet::new(),
            sources: BTreeSet::new(),
            score: 0.0,
            severity: Severity::Low,
            related: BTreeSet::new(),
            max_breach_score: 0.0,
        };
        incident.add(breach);
        incident
    }

    fn add(&mut self, breach: &Breach) {
        self.first = self.first.min(breach.time);
        self.last = self.last.max(breach.time);
        self.breaches.push(breach.id.clone());
        self.models.insert(breach.model_id.clone());
        self.stages.insert(breach.stage);
        self.techniques.insert(breach.technique_id.clone());
        if let Some(ip) = breach.source_ip {
            self.sources.insert(ip);
        }
        self.max_breach_score = self.max_breach_score.max(breach.score);
        let extra_stages = self.stages.len().saturating_sub(1) as f32;
        self.score = (self.max_breach_score + 10.0 * extra_stages).min(100.0);
        self.severity = Severity::from_score(self.score);
    }
}

/// The prefix of chaining keys of incidents that follow a source address rather than a user.
const SOURCE_KEY: &str = "source:";

/// Models whose breaches chain by source address: one source attacking many users is one story, not one
/// incident per user it tried.
const CHAINED_BY_SOURCE: [&str; 1] = ["saas.password_spray"];

/// Returns the key a breach chains under: its source for attacks on many users, else its user.
fn chain_key(breach: &Breach) -> String {
    let by_source = CHAINED_BY_SOURCE.contains(&breach.model_id.as_str()) && breach.source_ip.is_some();
    match (&breach.user, by_source) {
        (Some(user), false) => user.clone(),
        _ => format!("{SOURCE_KEY}{:?}", breach.source_ip),
    }
}

/// The incidents still open for chaining, per user or per source.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IncidentBuilder {
    open: BTreeMap<String, Incident>,
}

impl IncidentBuilder {
    /// Adds a breach and returns the incidents it changed (its own, and any it was linked to), or nothing
    /// when the breach scores too low to chain.
    pub fn add(&mut self, breach: &Breach, settings: &IncidentSettings) -> Vec<Incident> {
        if breach.score < settings.min_breach_score {
            return Vec::new();
        }
        let key = chain_key(breach);
        let window_ms = (settings.window_hours * 3_600_000.0) as i64;
        let joins = self
            .open
            .get(&key)
            .is_some_and(|incident| breach.time.as_millisecond() - incident.last.as_millisecond() <= window_ms);
        if joins {
            self.open.get_mut(&key).expect("checked above").add(breach);
        } else {
            let mut incident = Incident::open(breach);
            if key.starts_with(SOURCE_KEY) {
                incident.user = None;
            }
            self.open.insert(key.clone(), incident);
        }
        let mut changed = self.link_by_source(&key);
        changed.insert(0, self.open[&key].clone());
        changed
    }

    /// Links the incident under `key` with other users' open incidents that share a source address.
    fn link_by_source(&mut self, key: &str) -> Vec<Incident> {
        let incident = &self.open[key];
        let (id, sources) = (incident.id.clone(), incident.sources.clone());
        let others: Vec<String> = self
            .open
            .iter()
            .filter(|(other_key, other)| other_key.as_str() != key && !other.sources.is_disjoint(&sources))
            .map(|(other_key, _)| other_key.clone())
            .collect();
        let mut changed = Vec::new();
        for other_key in others {
            let other = self.open.get_mut(&other_key).expect("listed above");
            if other.related.insert(id.clone()) {
                changed.push(other.clone());
            }
            let other_id = other.id.clone();
            self.open.get_mut(key).expect("present").related.insert(other_id);
        }
        changed
    }
}
