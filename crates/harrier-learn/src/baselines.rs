//! The baselines of one tenant: the tenant itself, its peer groups and its users.

use std::collections::BTreeMap;

use harrier_model::{Activity, Event, UserAction};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::features::{FEATURES, Feature, Observation, observe};
use crate::profile::{Metric, Profile};
use crate::score::{Assessment, Surprise};
use crate::Config;
use crate::mail::MailHistory;

/// A user's baseline and the peer group it belongs to.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UserBaseline {
    pub profile: Profile,
    /// The peer group, once the user has enough history to place; users without one are scored against the
    /// tenant alone.
    pub peer_group: Option<u64>,
}

/// Everything learned about one tenant.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TenantBaselines {
    pub tenant: Profile,
    pub peers: BTreeMap<u64, Profile>,
    pub users: BTreeMap<String, UserBaseline>,
    /// The organisation's mail: correspondents, infrastructure, link domains and outbound volume.
    pub mail: MailHistory,
}

/// Splits an event time into the day, hour and weekday that profiles learn.
fn clock(time: Timestamp) -> (u32, usize, usize) {
    let seconds = time.as_second().max(0);
    let day = (seconds / 86_400) as u32;
    let hour = ((seconds % 86_400) / 3_600) as usize;
    // 1970-01-01 was a Thursday; Monday is weekday 0.
    let weekday = ((day + 3) % 7) as usize;
    (day, hour, weekday)
}

impl TenantBaselines {
    /// Scores an event against what was learned before it, without learning from it.
    pub fn assess(&self, event: &Event, config: &Config) -> Assessment {
        let observation = observe(event);
        let (day, hour, _) = clock(event.time);
        let user = event.actor.user.as_deref().and_then(|u| self.users.get(u));
        let peer = user.and_then(|u| u.peer_group).and_then(|g| self.peers.get(&g));
        let empty = Profile::default();
        let user_profile = user.map_or(&empty, |u| &u.profile);

        let surprises = observation
            .present()
            .map(|(feature, key)| Surprise::score(feature, key, user_profile, peer, &self.tenant, config))
            .collect();
        Assessment {
            observation,
            surprises,
            hour,
            user_hour_share: user_profile.hour_share(hour),
            user_history_days: user_profile.history_days(),
            user_active_days: user_profile.active_days,
            user_events: user_profile.events,
            tenant_history_days: self.tenant.history_days(),
            user_learning: user_profile.history_days() < config.user_learning_days
                || user_profile.events < config.user_learning_events,
            tenant_learning: self.tenant.history_days() < config.tenant_learning_days,
            day,
        }
    }

    /// Learns an event: its features for the actor, the actor's peer group and the tenant, and its volumes.
    ///
    /// A failed sign-in adds to the failure volume only: anyone can fail to sign in as anyone, so learning
    /// its network would make an attacker's own guessing look like the user's habit by the time a guess
    /// succeeds.
    ///
    /// Mail messages go to [`TenantBaselines::mail`] only. Their relays are the sender's network, not the
    /// recipient's, so they must not teach the sign-in features.
    pub fn learn(&mut self, event: &Event, config: &Config) {
        if let Activity::Email(email) = &event.activity {
            self.mail.learn(email, event.time);
            return;
        }
        let observation = observe(event);
        let (day, hour, weekday) = clock(event.time);
        let failed_sign_in = matches!(&event.activity, Activity::SignIn(sign_in) if !sign_in.success);
        if !failed_sign_in {
            self.tenant.learn(&observation, day, hour, weekday, config, config.tenant_sketch_capacity);
        }
        let Some(user) = event.actor.user.as_deref() else { return };

        let entry = self.users.entry(user.to_owned()).or_default();
        if failed_sign_in {
            entry.profile.advance(day, config);
            self.tenant.advance(day, config);
        } else {
            entry.profile.learn(&observation, day, hour, weekday, config, config.sketch_capacity);
        }
        for (metric, amount) in metrics(event) {
            entry.profile.volume_mut(metric).add(amount);
            self.tenant.volume_mut(metric).add(amount);
        }
        if failed_sign_in {
            return;
        }
        place_in_peer_group(entry, config);
        if let Some(group) = entry.peer_group {
            self.peers.entry(group).or_default().learn(&observation, day, hour, weekday, config, config.peer_sketch_capacity);
        }
    }

    /// Moves every profile's clock to the event's day without learning, so volumes close finished days.
    pub fn advance_user(&mut self, user: &str, time: Timestamp, config: &Config) {
        let (day, _, _) = clock(time);
        if let Some(entry) = self.users.get_mut(user) {
            entry.profile.advance(day, config);
        }
    }

    pub fn user(&self, user: &str) -> Option<&UserBaseline> {
        self.users.get(user)
    }

    /// Returns the users whose profile names `key` for `feature`, with their counts, heaviest first.
    pub fn users_with(&self, feature: Feature, key: u64) -> Vec<(&str, f32)> {
        let mut users: Vec<(&str, f32)> = self
            .users
            .iter()
            .filter_map(|(name, baseline)| {
                let count = baseline.profile.features[feature.index()].count(key);
                (count > 0.0).then_some((name.as_str(), count))
            })
            .collect();
        users.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        users
    }
}

/// Places a user with enough sign-in history in the peer group of users who share their main network: the
/// same country and the same autonomous system (an office, a corporate VPN, a home ISP). Peer groups come
/// from behaviour, not from a list, and are re-evaluated as habits change.
fn place_in_peer_group(user: &mut UserBaseline, config: &Config) {
    if user.profile.events < config.user_learning_events {
        return;
    }
    let asn = user.profile.features[Feature::Asn.index()].top(1);
    let country = user.profile.features[Feature::Country.index()].top(1);
    user.peer_group = match (asn.first(), country.first()) {
        (Some((asn, _)), Some((country, _))) => Some(crate::features::hash(&format!("{asn}/{country}"))),
        _ => None,
    };
}

/// Returns the daily volumes an event adds to.
fn metrics(event: &Event) -> Vec<(Metric, f32)> {
    match &event.activity {
        Activity::MailSent(sent) => vec![(Metric::MailSent, sent.recipients.map_or(1.0, |r| r.max(1) as f32))],
        Activity::MailItemsAccessed(accessed) => {
            vec![(Metric::MailItemsAccessed, accessed.items.map_or(1.0, |n| n.max(1) as f32))]
        }
        Activity::File(file) if file.action == harrier_model::FileAction::Downloaded => {
            vec![(Metric::FilesDownloaded, 1.0)]
        }
        Activity::SignIn(sign_in) if !sign_in.success => vec![(Metric::FailedSignIns, 1.0)],
        Activity::InboxRule(rule) if rule.change == harrier_model::Change::Created => {
            vec![(Metric::InboxRulesCreated, 1.0)]
        }
        Activity::OauthConsent(_) => vec![(Metric::ConsentsGranted, 1.0)],
        Activity::UserChange(change) if change.action == UserAction::Created => Vec::new(),
        _ => Vec::new(),
    }
}

/// Returns the observation of an event, for callers that need the feature keys.
pub fn observation_of(event: &Event) -> Observation {
    observe(event)
}

/// Checks at compile time that profiles keep one sketch per feature.
const _: () = assert!(FEATURES.len() == 9);

#[cfg(test)]
mod tests {
    use super::*;
    use harrier_model::{Actor, Client, IpClass, IpInfo, Outcome, SignIn, SourceFormat, TenantId};

    fn sign_in(user: &str, time: &str, asn: u32, success: bool) -> Event {
        Event {
            tenant: TenantId::new("t"),
            record_id: format!("{user}-{time}"),
            time: time.parse().unwrap(),
            format: SourceFormat::GraphSignIn,
            operation: "Sign-in activity".into(),
            workload: None,
            outcome: if success { Outcome::Success } else { Outcome::Failure },
            actor: Actor { user: Some(user.into()), ..Actor::default() },
            client: Client { ip: Some("192.0.2.1".parse().unwrap()), user_agent: None },
            ip_info: Some(IpInfo { asn: Some(asn), as_org: None, country: Some("DE".into()), class: IpClass::Residential, provider: None }),
            activity: Activity::SignIn(SignIn { success, error_code: Some(if success { 0 } else { 50126 }), ..SignIn::default() }),
        }
    }

    #[test]
    fn failed_sign_ins_teach_no_network() {
        let config = Config::default();
        let mut baselines = TenantBaselines::default();
        baselines.learn(&sign_in("u", "2026-01-05T08:00:00Z", 3320, true), &config);
        for minute in 10..20 {
            baselines.learn(&sign_in("u", &format!("2026-01-05T09:{minute}:00Z"), 396073, false), &config);
        }
        let profile = &baselines.user("u").unwrap().profile;
        assert_eq!(profile.features[Feature::Asn.index()].count(396073), 0.0);
        assert_eq!(profile.features[Feature::Asn.index()].count(3320), 1.0);
        assert_eq!(profile.volume(Metric::FailedSignIns).today, 10.0);
        assert_eq!(baselines.tenant.features[Feature::Asn.index()].count(396073), 0.0);
    }
}
