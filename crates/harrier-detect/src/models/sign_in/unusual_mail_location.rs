//! Mailbox and mail activity from a location the user rarely or never works from.

use harrier_learn::{Feature, Surprise};
use harrier_model::{Activity, IpClass};

use super::shared::{
    LEARNING_FACTOR_DESCRIPTION, describe_source, feature_deviation, is_anonymising, minutes_ms, scale_for_learning,
    with_source,
};
use crate::breach::{Breach, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::explain::history;

pub struct UnusualMailLocation;

static INFO: ModelInfo = ModelInfo {
    id: "saas.unusual_mail_location",
    name: "Mail activity from an unusual location",
    version: 1,
    description: "Mail read, mail sent, an inbox rule or forwarding set from an autonomous system, country or \
                  network class that carries almost none of the user's activity, from an address outside \
                  Microsoft's ranges. Scored up for hosting, VPN and Tor, and down when the client is one \
                  the user already uses on an ordinary network. Raised once per source address and window.",
    technique: Technique { id: "T1114.002", name: "Email Collection: Remote Email Collection", tactic: "collection" },
    stage: Stage::Collection,
};

static PARAMS: [Param; 10] = [
    Param { name: "max_share", default: 0.05, description: "share of the user's activity (0 to 1) below which a value is rare for the user" },
    Param { name: "rare_asn", default: 25.0, description: "points for an autonomous system rare for the user" },
    Param { name: "rare_country", default: 20.0, description: "points for a country rare for the user" },
    Param { name: "anonymising_network", default: 25.0, description: "points for a hosting, VPN or Tor address when that class is rare for the user" },
    Param { name: "new_to_tenant", default: 5.0, description: "points when the autonomous system is new to the whole tenant" },
    Param { name: "known_client_factor", default: 0.6, description: "multiplier when the user agent is known for the user and the source is not anonymising" },
    Param { name: "repeat_minutes", default: 60.0, description: "minutes after a breach during which the same source raises no other" },
    Param { name: "min_score", default: 40.0, description: "lowest score (0-100) that raises a breach" },
    Param { name: "after_suspicious_sign_in", default: 30.0, description: "points when the same address raised an initial-access breach for the user in the last 24 hours" },
    Param { name: "learning_factor", default: 0.6, description: LEARNING_FACTOR_DESCRIPTION },
];

/// True when the event's address raised an initial-access breach (of at least medium score) for the user in
/// the last 24 hours: mail read from there is the session that breach let in.
fn suspicious_sign_in_from_here(context: &Context<'_>) -> bool {
    let (Some(user), Some(ip)) = (context.user, context.event.client.ip) else { return false };
    let since_ms = context.time_ms() - 24 * 3_600_000;
    user.marks.iter().any(|mark| {
        mark.time_ms >= since_ms
            && mark.source_ip == Some(ip)
            && mark.stage == Some(crate::Stage::InitialAccess)
            && mark.score >= 40.0
    })
}

impl Model for UnusualMailLocation {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let action = mail_action(&context.event.activity)?;
        let info = context.event.ip_info.as_ref()?;
        if matches!(info.class, IpClass::Microsoft | IpClass::Private) || context.assessment.user_events == 0 {
            return None;
        }
        if self.raised_recently(context) {
            return None;
        }

        let max_share = context.param("max_share") as f32;
        let rare = |feature: Feature| context.assessment.surprise(feature).filter(|s| share(s) < max_share);
        let (asn, country, class) = (rare(Feature::Asn), rare(Feature::Country), rare(Feature::IpClass));
        let anonymising = is_anonymising(info.class) && class.is_some();

        let mut score = 0.0;
        if asn.is_some() {
            score += context.param("rare_asn");
        }
        if country.is_some() {
            score += context.param("rare_country");
        }
        if anonymising {
            score += context.param("anonymising_network");
        }
        if asn.is_some_and(|s| s.new_for_tenant()) {
            score += context.param("new_to_tenant");
        }
        let known_agent = context.assessment.surprise(Feature::UserAgent).is_none_or(|s| !s.new_for_user());
        let after_suspicious_sign_in = suspicious_sign_in_from_here(context);
        if known_agent && !is_anonymising(info.class) && !after_suspicious_sign_in {
            score *= context.param("known_client_factor");
        }
        if after_suspicious_sign_in && (asn.is_some() || country.is_some()) {
            score += context.param("after_suspicious_sign_in");
        }
        let score = scale_for_learning(context, score);
        if score < context.param("min_score") {
            return None;
        }

        let summary = format!(
            "{action} from {}, a source that carries almost none of this user's activity, with {}",
            describe_source(info),
            history(context.assessment)
        );
        let mut breach = Breach::new(&INFO, context.event, score as f32, summary)
            .evidence("mail_action", action)
            .evidence("known_user_agent", known_agent);
        let rare_features = [(asn, Feature::Asn), (country, Feature::Country)];
        for feature in rare_features.iter().filter(|(s, _)| s.is_some()).map(|(_, f)| *f) {
            breach.deviations.extend(feature_deviation(context, feature));
        }
        if anonymising {
            breach.deviations.extend(feature_deviation(context, Feature::IpClass));
        }
        Some(with_source(breach, context.event))
    }
}

impl UnusualMailLocation {
    /// Returns true when this model already raised for the same user and source address within the repeat
    /// window, so a mailbox read item by item raises once.
    fn raised_recently(&self, context: &Context<'_>) -> bool {
        let since_ms = context.time_ms() - minutes_ms(context.param("repeat_minutes"));
        let ip = context.event.client.ip;
        context.user.is_some_and(|recent| {
            recent.marks.iter().any(|m| m.model_id == INFO.id && m.time_ms >= since_ms && m.source_ip == ip)
        })
    }
}

/// Returns the words for a mail action, or `None` for activity that is not mail.
fn mail_action(activity: &Activity) -> Option<&'static str> {
    match activity {
        Activity::MailItemsAccessed(_) => Some("Mail read"),
        Activity::MailSent(_) => Some("Mail sent"),
        Activity::InboxRule(_) => Some("Inbox rule changed"),
        Activity::MailboxForwarding(_) => Some("Mailbox forwarding set"),
        _ => None,
    }
}

/// Returns the user's share of a value, from 0 to 1; zero for a user without history.
fn share(surprise: &Surprise) -> f32 {
    if surprise.user_total <= 0.0 { 0.0 } else { surprise.user_count / surprise.user_total }
}
