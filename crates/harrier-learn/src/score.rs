//! How surprising an event is against the baselines.
//!
//! A feature value's probability for a user is smoothed towards the user's peer group, and the peer group's
//! towards the tenant's. A user with a thin history is therefore judged by what people like them do, rather
//! than flagged for everything new. The score is the surprise, `-log2 p`, in bits: 1 bit is a coin flip, 10 bits
//! a one-in-a-thousand event.

use serde::{Deserialize, Serialize};

use crate::Config;
use crate::features::{Feature, Observation};
use crate::profile::Profile;
use crate::sketch::Key;

/// The surprise of one feature value, with the counts behind it for explanations.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Surprise {
    pub feature: Feature,
    pub key: Key,
    pub bits: f32,
    pub user_count: f32,
    pub user_total: f32,
    pub peer_count: f32,
    pub peer_total: f32,
    pub tenant_count: f32,
    pub tenant_total: f32,
}

impl Surprise {
    pub(crate) fn score(
        feature: Feature,
        key: Key,
        user: &Profile,
        peer: Option<&Profile>,
        tenant: &Profile,
        config: &Config,
    ) -> Surprise {
        let counts = |profile: &Profile| {
            let sketch = &profile.features[feature.index()];
            (sketch.count(key), sketch.total())
        };
        let (tenant_count, tenant_total) = counts(tenant);
        let (user_count, user_total) = counts(user);
        let (peer_count, peer_total) = peer.map_or((0.0, 0.0), counts);

        let prior = 1.0 / config.vocabulary;
        let p_tenant = (tenant_count + config.tenant_prior_weight * prior) / (tenant_total + config.tenant_prior_weight);
        let p_peer = match peer {
            Some(_) => (peer_count + config.peer_weight * p_tenant) / (peer_total + config.peer_weight),
            None => p_tenant,
        };
        let p_user = (user_count + config.user_weight * p_peer) / (user_total + config.user_weight);
        Surprise {
            feature,
            key,
            bits: -p_user.max(1e-9).log2(),
            user_count,
            user_total,
            peer_count,
            peer_total,
            tenant_count,
            tenant_total,
        }
    }

    /// True when the user has never (or not within the decay horizon) been seen with this value.
    pub fn new_for_user(&self) -> bool {
        self.user_count < 0.5
    }

    pub fn new_for_tenant(&self) -> bool {
        self.tenant_count < 0.5
    }

    /// Returns the value as a report can name it, when the feature keeps values (ASNs, countries, classes).
    pub fn value(&self) -> Option<String> {
        self.feature.describe(self.key)
    }
}

/// The scores of one event against the baselines learned before it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    #[serde(skip)]
    pub observation: Observation,
    pub surprises: Vec<Surprise>,
    /// The hour of the day (UTC) of the event and the share of the user's past activity in that hour.
    pub hour: usize,
    pub user_hour_share: f32,
    pub user_history_days: u32,
    pub user_active_days: u32,
    pub user_events: u64,
    pub tenant_history_days: u32,
    /// True while the user has too little history to judge; models state it and score lower.
    pub user_learning: bool,
    pub tenant_learning: bool,
    /// Days since the Unix epoch of the event.
    pub day: u32,
}

impl Assessment {
    pub fn surprise(&self, feature: Feature) -> Option<&Surprise> {
        self.surprises.iter().find(|s| s.feature == feature)
    }

    /// True when the event was scored while the user or the tenant was still in its learning period.
    pub fn learning(&self) -> bool {
        self.user_learning || self.tenant_learning
    }
}
