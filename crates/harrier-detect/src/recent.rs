//! Short-term memory the models share: recent failures, prompts, sign-ins and breaches per user, and recent
//! activity per source address across the tenant.
//!
//! The engine updates it after the models have seen each event, in a fixed order, so models stay stateless
//! and the memory is saved and restored with the baselines. Every list is capped, oldest dropped first.

use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::breach::Stage;

/// Failed attempts kept per user.
pub const MAX_ATTEMPTS: usize = 64;
/// Breach marks kept per user.
pub const MAX_MARKS: usize = 32;
/// Users remembered per source address.
pub const MAX_USERS_PER_SOURCE: usize = 512;
/// Source addresses remembered per tenant.
pub const MAX_SOURCES: usize = 8192;
/// Applications whose latest consent is remembered per tenant.
pub const MAX_GRANTS: usize = 4096;

/// A failed sign-in or MFA attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub time_ms: i64,
    pub ip: Option<IpAddr>,
    pub error_code: Option<u32>,
    pub record_id: String,
}

/// The place and time of a successful sign-in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignInPoint {
    pub time_ms: i64,
    pub ip: Option<IpAddr>,
    pub asn: Option<u32>,
    pub country: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// The network class of the address, so models can skip Microsoft, cloud and private addresses.
    pub class: Option<harrier_model::IpClass>,
    pub record_id: String,
}

/// A breach raised for a user, for models that look at what came before.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    pub model_id: String,
    pub time_ms: i64,
    pub source_ip: Option<IpAddr>,
    pub app_id: Option<String>,
    pub breach_id: String,
    #[serde(default)]
    pub stage: Option<Stage>,
    #[serde(default)]
    pub score: f32,
    /// Record ids of the events the breach rests on, so a later breach can cite them.
    #[serde(default)]
    pub events: Vec<String>,
}

/// The latest consent given to an application in the tenant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    pub time_ms: i64,
    /// The user who consented.
    pub user: String,
    pub record_id: String,
}

/// The recent history of one user.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UserRecent {
    pub failures: VecDeque<Attempt>,
    pub mfa_denials: VecDeque<Attempt>,
    pub last_success: Option<SignInPoint>,
    pub marks: VecDeque<Mark>,
}

impl UserRecent {
    /// Returns the failures from `since_ms` to `until_ms`, both included.
    pub fn failures_between(&self, since_ms: i64, until_ms: i64) -> impl Iterator<Item = &Attempt> {
        self.failures.iter().filter(move |a| (since_ms..=until_ms).contains(&a.time_ms))
    }

    /// Returns the denied MFA prompts from `since_ms` to `until_ms`, both included.
    pub fn mfa_denials_between(&self, since_ms: i64, until_ms: i64) -> impl Iterator<Item = &Attempt> {
        self.mfa_denials.iter().filter(move |a| (since_ms..=until_ms).contains(&a.time_ms))
    }

    /// Returns the latest mark of `model_id` at or after `since_ms`.
    pub fn mark_since(&self, model_id: &str, since_ms: i64) -> Option<&Mark> {
        self.marks.iter().rev().find(|m| m.model_id == model_id && m.time_ms >= since_ms)
    }

    pub(crate) fn push_failure(&mut self, attempt: Attempt) {
        push_capped(&mut self.failures, attempt, MAX_ATTEMPTS, |a| a.time_ms);
    }

    pub(crate) fn push_mfa_denial(&mut self, attempt: Attempt) {
        push_capped(&mut self.mfa_denials, attempt, MAX_ATTEMPTS, |a| a.time_ms);
    }

    pub(crate) fn push_mark(&mut self, mark: Mark) {
        push_capped(&mut self.marks, mark, MAX_MARKS, |m| m.time_ms);
    }

    /// Keeps `point` as the latest successful sign-in unless a later one is already kept, as when a
    /// sign-in arrives late.
    pub(crate) fn note_success(&mut self, point: SignInPoint) {
        if self.last_success.as_ref().is_none_or(|last| last.time_ms <= point.time_ms) {
            self.last_success = Some(point);
        }
    }
}

/// Adds `item` to a list kept in time order, after the items of the same time, and drops the oldest item
/// when the list already has `cap` items. Items nearly always come in time order, so the search starts at the back.
fn push_capped<T>(list: &mut VecDeque<T>, item: T, cap: usize, time: impl Fn(&T) -> i64) {
    let at = time(&item);
    let position = list.iter().rposition(|kept| time(kept) <= at).map_or(0, |i| i + 1);
    if list.len() == cap {
        if position == 0 {
            // Older than everything kept in a full list: it would be dropped first anyway.
            return;
        }
        list.pop_front();
        list.insert(position - 1, item);
    } else {
        list.insert(position, item);
    }
}

/// Recent activity of one source address across the tenant's users.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceRecent {
    /// Users with a failed sign-in from this source, with the time of their latest failure.
    pub failed_users: BTreeMap<String, i64>,
    /// Users with a successful sign-in from this source, with the time of their latest success.
    pub succeeded_users: BTreeMap<String, i64>,
    pub last_ms: i64,
}

impl SourceRecent {
    /// Counts distinct users that failed from this source at or after `since_ms`.
    pub fn failed_users_since(&self, since_ms: i64) -> usize {
        self.failed_users.values().filter(|&&t| t >= since_ms).count()
    }
}

/// The recent history of the tenant.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TenantRecent {
    pub sources: BTreeMap<IpAddr, SourceRecent>,
    /// Users who consented to each application id, for the application's rarity in the tenant.
    pub app_consents: BTreeMap<String, u32>,
    /// The latest consent per lower-cased application id, for activity that follows a grant.
    #[serde(default)]
    pub grants: BTreeMap<String, Grant>,
}

impl TenantRecent {
    /// Records a consent to `app_id` unless a later consent to it is already kept, dropping the application
    /// consented to longest ago when full.
    pub(crate) fn note_grant(&mut self, app_id: String, grant: Grant) {
        if self.grants.get(&app_id).is_some_and(|kept| kept.time_ms > grant.time_ms) {
            return;
        }
        if self.grants.len() >= MAX_GRANTS && !self.grants.contains_key(&app_id) {
            let oldest = self.grants.iter().min_by_key(|(_, g)| g.time_ms).map(|(app, _)| app.clone());
            if let Some(oldest) = oldest {
                self.grants.remove(&oldest);
            }
        }
        self.grants.insert(app_id, grant);
    }

    pub(crate) fn source_mut(&mut self, ip: IpAddr, time_ms: i64) -> &mut SourceRecent {
        if self.sources.len() >= MAX_SOURCES && !self.sources.contains_key(&ip) {
            let oldest = self.sources.iter().min_by_key(|(ip, s)| (s.last_ms, **ip)).map(|(ip, _)| *ip);
            if let Some(oldest) = oldest {
                self.sources.remove(&oldest);
            }
        }
        let source = self.sources.entry(ip).or_default();
        source.last_ms = source.last_ms.max(time_ms);
        source
    }
}

/// Records `user` at `time_ms` in a capped map, dropping the user seen longest ago when full.
pub(crate) fn note_user(users: &mut BTreeMap<String, i64>, user: &str, time_ms: i64) {
    if users.len() >= MAX_USERS_PER_SOURCE && !users.contains_key(user) {
        let oldest = users.iter().min_by_key(|(name, t)| (**t, (*name).clone())).map(|(name, _)| name.clone());
        if let Some(oldest) = oldest {
            users.remove(&oldest);
        }
    }
    let entry = users.entry(user.to_owned()).or_insert(time_ms);
    *entry = (*entry).max(time_ms);
}
