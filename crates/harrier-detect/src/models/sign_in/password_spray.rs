//! One source address failing against many distinct users.

use harrier_learn::Feature;
use harrier_model::{Activity, IpClass};

use super::shared::{
    LEARNING_FACTOR_DESCRIPTION, doublings, feature_deviation, is_anonymising, is_credential_failure, is_level,
    minutes_ms, with_source,
};
use crate::breach::{Breach, Deviation, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::recent::SourceRecent;

pub struct PasswordSpray;

static INFO: ModelInfo = ModelInfo {
    id: "saas.password_spray",
    name: "Password spray from one source",
    version: 1,
    description: "One source address with failed sign-ins for many distinct users of the tenant within a \
                  window. Raised on the failure that brings the count of users to the threshold, and again \
                  at twice and four times it, on the user attacked by that failure. Scored up for hosting, \
                  VPN and Tor sources and for networks rare in the tenant, and down for a shared network \
                  where users of the tenant also sign in successfully.",
    technique: Technique { id: "T1110.003", name: "Brute Force: Password Spraying", tactic: "credential-access" },
    stage: Stage::CredentialAccess,
};

static PARAMS: [Param; 8] = [
    Param { name: "window_minutes", default: 240.0, description: "length of the window distinct users are counted in, in minutes" },
    Param { name: "min_users", default: 5.0, description: "distinct users failing from one source that raise the first breach; more follow at 2, 4, 8 ... times this" },
    Param { name: "base", default: 55.0, description: "score at the first level" },
    Param { name: "per_doubling", default: 10.0, description: "points each time the count of users doubles beyond the first level" },
    Param { name: "anonymising_network", default: 10.0, description: "points when the source is hosting, VPN or Tor" },
    Param { name: "rare_in_tenant", default: 10.0, description: "points when the source's autonomous system carries under 2% of the tenant's activity, the spray's own failures included" },
    Param { name: "shared_network_factor", default: 0.5, description: "multiplier when users also signed in successfully from the source in the window, or its autonomous system carries at least 5% of the tenant's activity" },
    Param { name: "learning_factor", default: 0.8, description: LEARNING_FACTOR_DESCRIPTION },
];

/// Share of the tenant's activity above which an autonomous system is one of the tenant's own networks.
const TENANT_NETWORK_SHARE: f32 = 0.05;

/// Share of the tenant's activity below which an autonomous system is rare in the tenant. A share rather
/// than "never seen", because the baselines learn the spray's own earlier failures.
const TENANT_RARE_SHARE: f32 = 0.02;

impl Model for PasswordSpray {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let Activity::SignIn(sign_in) = &context.event.activity else { return None };
        let user = context.event.actor.user.as_deref()?;
        let ip = context.event.client.ip?;
        if !is_credential_failure(sign_in) {
            return None;
        }
        let since_ms = context.time_ms() - minutes_ms(context.param("window_minutes"));
        let empty = SourceRecent::default();
        let source = context.tenant.sources.get(&ip).unwrap_or(&empty);
        if source.failed_users.get(user).is_some_and(|&t| t >= since_ms) {
            // The user already counted for this source in the window, so the count did not move.
            return None;
        }
        // NOTE: the engine notes every failed sign-in in `failed_users`, interrupts such as 50058 included, so
        // the count can include users who only hit an interrupt from this address.
        let users = source.failed_users_since(since_ms) + 1;
        let min_users = context.param("min_users").max(1.0) as usize;
        if !is_level(users, min_users) {
            return None;
        }

        let succeeded = source.succeeded_users.values().filter(|&&t| t >= since_ms).count();
        let asn = context.assessment.surprise(Feature::Asn);
        let tenant_share = asn.filter(|s| s.tenant_total > 0.0).map_or(0.0, |s| s.tenant_count / s.tenant_total);
        let shared_network = succeeded > 0 || tenant_share >= TENANT_NETWORK_SHARE;
        let class = context.event.ip_info.as_ref().map_or(IpClass::Unknown, |info| info.class);
        let rare_in_tenant = asn.is_some() && tenant_share < TENANT_RARE_SHARE;

        let mut score = context.param("base") + context.param("per_doubling") * doublings(users, min_users);
        if is_anonymising(class) {
            score += context.param("anonymising_network");
        }
        if rare_in_tenant {
            score += context.param("rare_in_tenant");
        }
        if shared_network {
            score *= context.param("shared_network_factor");
        }
        // An address where at least as many users sign in successfully as fail is a shared office or NAT
        // egress with some mistyped passwords, not a spray.
        if succeeded >= users {
            score *= context.param("shared_network_factor");
        }
        // The judgement rests on the tenant's history, not on the attacked user's.
        let tenant_learning = context.assessment.tenant_learning;
        if tenant_learning {
            score *= context.param("learning_factor");
        }

        Some(self.breach(context, score, users, succeeded, tenant_share, tenant_learning))
    }
}

impl PasswordSpray {
    fn breach(&self, context: &Context<'_>, score: f64, users: usize, succeeded: usize, tenant_share: f32, learning: bool) -> Breach {
        let window = context.param("window_minutes");
        let summary = format!(
            "Failed sign-ins for {users} distinct users from one source within {window:.0} minutes{}{}",
            if succeeded > 0 { format!(", where {succeeded} users also signed in successfully") } else { String::new() },
            if learning { " (tenant still learning)" } else { "" }
        );
        let deviation = Deviation {
            measure: "failed_users_per_source".to_owned(),
            observed: format!("{users} users in {window:.0} minutes"),
            baseline: format!(
                "{succeeded} users signed in successfully from the source in the window; its autonomous system carries {:.1}% of the tenant's activity",
                100.0 * tenant_share
            ),
            score: users as f32,
        };
        let mut breach = Breach::new(&INFO, context.event, score as f32, summary)
            .evidence("failed_users_in_window", users)
            .evidence("succeeded_users_in_window", succeeded)
            .deviation(deviation);
        breach.deviations.extend(feature_deviation(context, Feature::Asn).filter(|d| !d.observed.is_empty()));
        breach.learning = learning;
        with_source(breach, context.event)
    }
}
