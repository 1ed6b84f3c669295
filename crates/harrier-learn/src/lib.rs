//! Patterns of life.
//!
//! harrier learns, from the event stream itself, what is normal for each user, for each peer group of
//! users who work alike, and for the whole tenant. It learns where they sign in from (autonomous system,
//! country, network class, network), with which clients, devices and applications, and at which hours and
//! weekdays. It also learns how much mail they send and read and how many files they download per day.
//!
//! Everything learned is bounded per entity ([`Sketch`] keeps the heaviest values of each feature) and
//! decays with a half-life, so old habits fade. Events are learned in time order and the state serialises
//! with serde, so the same input gives the same baselines and a restart resumes where it stopped.
//! [`TenantBaselines::assess`] scores an event against what was learned before it; the detection models
//! decide what the scores mean.

mod baselines;
mod features;
mod mail;
mod profile;
mod score;
mod sketch;

pub use baselines::{TenantBaselines, UserBaseline, observation_of};
pub use mail::{MailHistory, MailNovelty, OutboundDay, SenderHistory, UserMail};
pub use features::{FEATURES, Feature, Observation, hash, operation_key, user_agent_family};
pub use profile::{METRICS, Metric, Profile, Volume};
pub use score::{Assessment, Surprise};
pub use sketch::{Key, Sketch};

use serde::{Deserialize, Serialize};

/// Settings of the baselines; the defaults suit a tenant of tens to thousands of users.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Days after which a count has halved.
    pub half_life_days: f32,
    /// Values kept per feature for a user (twice as many for operations).
    pub sketch_capacity: usize,
    /// Values kept per feature for a peer group and for the tenant, which see far more distinct values
    /// and must remember the rare ones to tell rare from new.
    pub peer_sketch_capacity: usize,
    pub tenant_sketch_capacity: usize,
    /// A user is in the learning period until both their history spans this many days and they have this
    /// many events.
    pub user_learning_days: u32,
    pub user_learning_events: u64,
    /// A tenant is in the learning period until its history spans this many days.
    pub tenant_learning_days: u32,
    /// Pseudo-counts that pull a user's probabilities towards the peer group, and the peer group's towards
    /// the tenant.
    pub user_weight: f32,
    pub peer_weight: f32,
    /// Pseudo-count of the uniform prior over `vocabulary` values under the tenant's probabilities.
    pub tenant_prior_weight: f32,
    pub vocabulary: f32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            half_life_days: 45.0,
            sketch_capacity: 8,
            peer_sketch_capacity: 64,
            tenant_sketch_capacity: 512,
            user_learning_days: 14,
            user_learning_events: 20,
            tenant_learning_days: 7,
            user_weight: 4.0,
            peer_weight: 8.0,
            tenant_prior_weight: 2.0,
            vocabulary: 64.0,
        }
    }
}
