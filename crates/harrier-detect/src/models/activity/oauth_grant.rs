//! Consent to an OAuth application, weighted by the access it gives and how rare the app is in the tenant.

use harrier_model::Activity;

use crate::breach::{Breach, Deviation, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::activity::{abused, scopes};

pub struct OauthGrant;

static INFO: ModelInfo = ModelInfo {
    id: "saas.oauth_grant",
    name: "OAuth permission grant",
    version: 1,
    description: "Consent to an application, scored by the access its scopes give (mail, mailbox settings, all \
                  files, the directory, offline access), raised for admin consent on behalf of every user, for \
                  applications few or no users of the tenant consented to before, and for applications on the \
                  curated list of abused apps; applications many users consented to score low.",
    technique: Technique { id: "T1528", name: "Steal Application Access Token", tactic: "credential-access" },
    stage: Stage::Persistence,
};

static PARAMS: [Param; 7] = [
    Param { name: "max_scope_points", default: 60.0, description: "cap on the points the scopes give" },
    Param { name: "all_users", default: 15.0, description: "points for admin consent on behalf of every user" },
    Param { name: "new_to_tenant", default: 20.0, description: "points when no user of the tenant consented to the app before" },
    Param { name: "rare_in_tenant", default: 10.0, description: "points when at most `rare_consents` users consented before" },
    Param { name: "rare_consents", default: 2.0, description: "earlier consents up to which an app counts as rare" },
    Param { name: "widely_used_consents", default: 10.0, description: "earlier consents from which an app counts as widely used; its score is multiplied by 0.4" },
    Param { name: "abused_app", default: 35.0, description: "points for an app on the abused-apps list" },
];

/// Lowest score raised; a consent to a common app with harmless scopes stays silent.
const MIN_SCORE: f64 = 25.0;

impl Model for OauthGrant {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let Activity::OauthConsent(consent) = &context.event.activity else { return None };
        let app_id = consent.app.id.as_deref().map(str::to_ascii_lowercase);
        let app_name = consent.app.name.as_deref();
        let earlier = app_id.as_deref().and_then(|id| context.tenant.app_consents.get(id)).copied().unwrap_or(0);
        let total: u32 = context.tenant.app_consents.values().sum();

        let (scope_points, scored) = scopes::risk(&consent.scopes, context.param("max_scope_points"));
        let mut score = scope_points;
        let all_users = consent.on_behalf_of_all;
        if all_users {
            score += context.param("all_users");
        }
        score += rarity_points(context, earlier);
        let listed = abused::find(app_id.as_deref(), app_name);
        if listed.is_some() {
            score += context.param("abused_app");
        }
        if f64::from(earlier) >= context.param("widely_used_consents") && listed.is_none() {
            score *= 0.4;
        }
        score *= super::common::familiarity_factor(context, 0.0);
        if score < MIN_SCORE {
            return None;
        }

        let app = app_name.or(app_id.as_deref()).unwrap_or("an unnamed application");
        let summary = format!(
            "Consent to {app} with {} scope(s){}, {}",
            consent.scopes.len(),
            if all_users { " for every user of the tenant" } else { "" },
            consent_rarity(earlier)
        );
        let mut breach = Breach::new(&INFO, context.event, score as f32, summary)
            .evidence("application", app)
            .evidence("scopes", consent.scopes.join(" "))
            .evidence("risky_scopes", scopes::describe(&scored))
            .evidence("admin_consent", consent.admin_consent)
            .evidence("on_behalf_of_all", all_users)
            .deviation(Deviation {
                measure: "app_consents".to_owned(),
                observed: format!("consent to {app}"),
                baseline: format!("{earlier} of {total} earlier consents in the tenant named this app"),
                score: surprise_bits(earlier, total),
            });
        if let Some(listed) = listed {
            breach = breach.evidence("abused_app", &listed.why).evidence("abused_app_source", &listed.source);
        }
        breach.app_id = app_id;
        Some(with_session_sign_in(breach, context))
    }
}

/// How long before a consent the sign-in of the same address counts as the session that consented.
const SESSION_MS: i64 = 12 * 3_600_000;

/// Adds the user's latest successful sign-in, the session that granted the consent, to the breach's
/// events, so the incident shows how the consenting session began. Entra records consents without a
/// client address; when the consent has one, the sign-in must come from it.
fn with_session_sign_in(mut breach: Breach, context: &Context<'_>) -> Breach {
    let Some(point) = context.user.and_then(|u| u.last_success.as_ref()) else { return breach };
    let same_address = context.event.client.ip.is_none() || point.ip == context.event.client.ip;
    if same_address && (0..=SESSION_MS).contains(&(context.time_ms() - point.time_ms)) {
        breach.events.insert(0, point.record_id.clone());
        breach = breach.evidence("session_sign_in", &point.record_id);
    }
    breach
}

fn rarity_points(context: &Context<'_>, earlier: u32) -> f64 {
    if earlier == 0 {
        context.param("new_to_tenant")
    } else if f64::from(earlier) <= context.param("rare_consents") {
        context.param("rare_in_tenant")
    } else {
        0.0
    }
}

fn consent_rarity(earlier: u32) -> String {
    match earlier {
        0 => "the first consent to this app in the tenant".to_owned(),
        1 => "after 1 earlier consent to it in the tenant".to_owned(),
        n => format!("after {n} earlier consents to it in the tenant"),
    }
}

/// Returns the surprise, in bits, of a consent naming an app that `earlier` of `total` consents named,
/// with half a pseudo-count so a first consent has a finite score.
pub(crate) fn surprise_bits(earlier: u32, total: u32) -> f32 {
    let share = (earlier as f32 + 0.5) / (total as f32 + 1.0);
    -share.log2()
}
