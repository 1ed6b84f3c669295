//! Runs the models over a tenant's events in time order, learning as it goes.

use harrier_learn::TenantBaselines;
use harrier_model::{Activity, Event, MfaResult};
use serde::{Deserialize, Serialize};

use crate::breach::Breach;
use crate::incident::IncidentBuilder;
use crate::model::{Context, Model};
use crate::recent::{Attempt, Grant, Mark, SignInPoint, TenantRecent, UserRecent, note_user};
use crate::settings::Settings;

/// How far processing of a tenant's events has come.
///
/// Events are processed in the order the store assigned them sequence numbers, batch by batch, and in time
/// order within a batch. An event stored after a run with a time before that run's newest event (a record
/// that arrived late, as audit content blobs often do) is processed by the next run all the same.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The largest store sequence number processed: every event with a larger one is new.
    pub stored_seq: i64,
    /// The time of the newest event processed.
    pub time_ms: i64,
}

/// Everything the engine keeps about one tenant between runs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TenantState {
    pub baselines: TenantBaselines,
    pub users: std::collections::BTreeMap<String, UserRecent>,
    pub recent: TenantRecent,
    pub incidents: IncidentBuilder,
    pub cursor: Cursor,
}

/// The models and settings.
pub struct Engine {
    models: Vec<Box<dyn Model>>,
    settings: Settings,
}

impl Engine {
    pub fn new(models: Vec<Box<dyn Model>>, settings: Settings) -> Engine {
        Engine { models, settings }
    }

    /// Creates an engine with every built-in model and default settings.
    pub fn with_defaults() -> Engine {
        Engine::new(crate::models::all(), Settings::default())
    }

    pub fn models(&self) -> &[Box<dyn Model>] {
        &self.models
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Processes one event: scores it, runs every enabled model, remembers what matters for later events
    /// and learns from it. Returns the breaches raised.
    pub fn process(&self, state: &mut TenantState, event: &Event) -> Vec<Breach> {
        let assessment = state.baselines.assess(event, &self.settings.baselines);
        let user = event.actor.user.as_deref();
        let mut breaches: Vec<Breach> = Vec::new();
        for model in &self.models {
            let settings = self.settings.models.get(model.info().id);
            if settings.is_some_and(|s| !s.enabled) {
                continue;
            }
            let context = Context {
                event,
                assessment: &assessment,
                baselines: &state.baselines,
                user: user.and_then(|u| state.users.get(u)),
                tenant: &state.recent,
                earlier: &breaches,
                settings,
                params: model.params(),
            };
            if let Some(mut breach) = model.evaluate(&context) {
                breach.learning = breach.learning || assessment.learning();
                if breach.score >= settings.map_or(0.0, |s| s.min_score) {
                    breaches.push(breach);
                }
            }
        }
        remember(state, event, &breaches);
        state.baselines.learn(event, &self.settings.baselines);
        breaches
    }
}

/// Updates the recent memory with an event and the breaches it raised.
fn remember(state: &mut TenantState, event: &Event, breaches: &[Breach]) {
    let time_ms = event.time.as_millisecond();
    let Some(user) = event.actor.user.as_deref() else { return };
    let recent = state.users.entry(user.to_owned()).or_default();

    if let Activity::SignIn(sign_in) = &event.activity {
        let attempt = Attempt { time_ms, ip: event.client.ip, error_code: sign_in.error_code, record_id: event.record_id.clone() };
        let mfa_failed = matches!(sign_in.mfa, MfaResult::Failed) || sign_in.error_code == Some(500121);
        if mfa_failed {
            recent.push_mfa_denial(attempt.clone());
        }
        if sign_in.success {
            let location = sign_in.location.as_ref();
            let info = event.ip_info.as_ref();
            recent.note_success(SignInPoint {
                time_ms,
                ip: event.client.ip,
                asn: info.and_then(|i| i.asn),
                country: info.and_then(|i| i.country.clone()).or_else(|| location.and_then(|l| l.country.clone())),
                latitude: location.and_then(|l| l.latitude),
                longitude: location.and_then(|l| l.longitude),
                class: info.map(|i| i.class),
                record_id: event.record_id.clone(),
            });
        } else if !mfa_failed && !matches!(sign_in.mfa, MfaResult::Interrupted) {
            recent.push_failure(attempt);
        }
        if let Some(ip) = event.client.ip {
            let source = state.recent.source_mut(ip, time_ms);
            if sign_in.success {
                note_user(&mut source.succeeded_users, user, time_ms);
            } else {
                note_user(&mut source.failed_users, user, time_ms);
            }
        }
    }
    if let Activity::OauthConsent(consent) = &event.activity
        && let Some(app) = consent.app.id.as_deref()
    {
        *state.recent.app_consents.entry(app.to_ascii_lowercase()).or_default() += 1;
        let grant = Grant { time_ms, user: user.to_owned(), record_id: event.record_id.clone() };
        state.recent.note_grant(app.to_ascii_lowercase(), grant);
    }
    for breach in breaches {
        recent.push_mark(Mark {
            model_id: breach.model_id.clone(),
            time_ms,
            source_ip: breach.source_ip,
            app_id: breach.app_id.clone(),
            breach_id: breach.id.clone(),
            stage: Some(breach.stage),
            score: breach.score,
            events: breach.events.clone(),
        });
    }
}
