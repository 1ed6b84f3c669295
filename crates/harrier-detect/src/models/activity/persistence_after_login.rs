//! MFA methods, security info or devices registered soon after an unusual sign-in.

use harrier_model::{Activity, UserAction, UserChange};

use crate::breach::{Breach, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::activity::common::{marks_since, set_technique};
use crate::recent::Mark;

pub struct PersistenceAfterUnusualLogin;

static INFO: ModelInfo = ModelInfo {
    id: "saas.persistence_after_unusual_login",
    name: "Authentication method added after an unusual sign-in",
    version: 1,
    description: "An MFA setting changed, a security-info method registered or a device registered by a user \
                  within a window after one of their sign-ins raised an initial-access breach (an unusual \
                  source, a rare source after failures), scored higher when the change comes from the same \
                  address as that sign-in.",
    technique: Technique {
        id: "T1556.006",
        name: "Modify Authentication Process: Multi-Factor Authentication",
        tactic: "persistence",
    },
    stage: Stage::Persistence,
};

const DEVICE_REGISTRATION: Technique = Technique { id: "T1098.005", name: "Account Manipulation: Device Registration", tactic: "persistence" };

static PARAMS: [Param; 4] = [
    Param { name: "window_hours", default: 24.0, description: "hours after the unusual sign-in in which a change counts" },
    Param { name: "base", default: 70.0, description: "score of a change inside the window" },
    Param { name: "same_source", default: 15.0, description: "extra points when the change comes from the sign-in's address" },
    Param { name: "device", default: -10.0, description: "points added for a device registration, which users also do on a new laptop" },
];

impl Model for PersistenceAfterUnusualLogin {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let Activity::UserChange(change) = &context.event.activity else { return None };
        let description = match change.action {
            UserAction::MfaChanged => "MFA setting changed",
            UserAction::SecurityInfoRegistered => "Security info registered",
            UserAction::DeviceRegistered => "Device registered",
            _ => return None,
        };
        let since = context.time_ms() - (context.param("window_hours") * 3_600_000.0) as i64;
        let login = marks_since(context, since).find(|m| m.stage == Some(Stage::InitialAccess))?;
        let same_source = login.source_ip.is_some() && login.source_ip == context.event.client.ip;

        let mut score = context.param("base");
        if same_source {
            score += context.param("same_source");
        }
        let device = change.action == UserAction::DeviceRegistered;
        if device {
            score += context.param("device");
        }
        Some(build(context, description, login, same_source, device, score))
    }
}

fn build(context: &Context<'_>, description: &str, login: &Mark, same_source: bool, device: bool, score: f64) -> Breach {
    let minutes = (context.time_ms() - login.time_ms) as f64 / 60_000.0;
    let user = context.event.actor.user.as_deref().unwrap_or("an unknown user");
    let summary = format!("{description} for {user} {minutes:.0} minutes after an unusual sign-in ({})", login.model_id);
    let mut breach = Breach::new(&INFO, context.event, score as f32, summary)
        .evidence("sign_in_breach", &login.breach_id)
        .evidence("sign_in_model", &login.model_id)
        .evidence("minutes_after_sign_in", format!("{minutes:.0}"))
        .evidence("same_source", same_source);
    if let Activity::UserChange(UserChange { target: Some(target), .. }) = &context.event.activity {
        breach = breach.evidence("target", target);
    }
    let mut events = login.events.clone();
    events.append(&mut breach.events);
    breach.events = events;
    if device {
        set_technique(&mut breach, &DEVICE_REGISTRATION);
    }
    breach
}
