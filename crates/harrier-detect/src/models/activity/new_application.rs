//! New applications and service principals, and credentials, owners and permissions added to them.

use harrier_model::{Activity, ApplicationAction, ApplicationChange, ApplicationObject};

use crate::breach::{Breach, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::activity::common::set_technique;
use crate::models::activity::{abused, scopes};

pub struct NewApplication;

static INFO: ModelInfo = ModelInfo {
    id: "saas.new_application",
    name: "New application or application credential",
    version: 1,
    description: "An application or service principal added, a secret or certificate added to one (a password \
                  secret and a service principal score higher), an owner added, an app role assigned or a \
                  delegated permission granted, scored by the permissions involved and raised for tenant-wide \
                  grants and for applications on the curated abused-apps list.",
    technique: Technique { id: "T1098.001", name: "Account Manipulation: Additional Cloud Credentials", tactic: "persistence" },
    stage: Stage::Persistence,
};

const CREATE_ACCOUNT: Technique = Technique { id: "T1136.003", name: "Create Account: Cloud Account", tactic: "persistence" };

static PARAMS: [Param; 10] = [
    Param { name: "added", default: 15.0, description: "points for a new application or service principal" },
    Param { name: "credentials", default: 45.0, description: "points for a secret or certificate added" },
    Param { name: "password_credential", default: 10.0, description: "extra points when a password secret (not a certificate) was added" },
    Param { name: "on_service_principal", default: 10.0, description: "extra points when credentials went to a service principal rather than the app registration" },
    Param { name: "owner", default: 30.0, description: "points for an owner added" },
    Param { name: "app_role", default: 25.0, description: "points for an app role assignment, before the permission's own points" },
    Param { name: "delegated_grant", default: 20.0, description: "points for a delegated permission grant, before the scopes' points" },
    Param { name: "all_principals", default: 15.0, description: "extra points for a grant to every user (consent type AllPrincipals)" },
    Param { name: "abused_app", default: 35.0, description: "extra points for an app on the abused-apps list" },
    Param { name: "min_score", default: 30.0, description: "lowest score (0-100) that raises a breach" },
];

impl Model for NewApplication {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let Activity::Application(change) = &context.event.activity else { return None };
        let (mut score, what) = action_points(context, change)?;
        let (scope_points, scored) = scopes::risk(&change.permissions, 50.0);
        if matches!(change.action, ApplicationAction::AppRoleAssigned | ApplicationAction::DelegatedPermissionGranted) {
            score += scope_points;
        }
        let all_principals = consent_type(change).is_some_and(|t| t.eq_ignore_ascii_case("AllPrincipals"));
        if all_principals {
            score += context.param("all_principals");
        }
        let listed = abused::find(change.app_id.as_deref(), change.name.as_deref());
        if listed.is_some() {
            score += context.param("abused_app");
        }
        score *= super::common::familiarity_factor(context, 0.0);
        if score < context.param("min_score") {
            return None;
        }

        let target = change.name.as_deref().or(change.app_id.as_deref()).or(change.object_id.as_deref()).unwrap_or("an application");
        let actor = context.event.actor.user.as_deref().or(context.event.actor.display_name.as_deref()).unwrap_or("an unknown actor");
        let summary = format!("{what} on {target} by {actor}");
        let mut breach = Breach::new(&INFO, context.event, score as f32, summary)
            .evidence("action", format!("{:?}", change.action))
            .evidence("target", target)
            .evidence("object", format!("{:?}", change.object));
        if !change.credential_types.is_empty() {
            breach = breach.evidence("credential_types", change.credential_types.join(", "));
        }
        if let Some(owner) = &change.owner {
            breach = breach.evidence("owner", owner);
        }
        if !change.permissions.is_empty() {
            breach = breach.evidence("permissions", change.permissions.join(" ")).evidence("risky_permissions", scopes::describe(&scored));
        }
        if all_principals {
            breach = breach.evidence("consent_type", "AllPrincipals");
        }
        if let Some(listed) = listed {
            breach = breach.evidence("abused_app", &listed.why).evidence("abused_app_source", &listed.source);
        }
        if change.action == ApplicationAction::Added {
            set_technique(&mut breach, &CREATE_ACCOUNT);
        }
        breach.app_id = change.app_id.as_deref().map(str::to_ascii_lowercase);
        Some(breach)
    }
}

/// Returns the points and a description of the change, or `None` for changes this model ignores
/// (removals and plain property updates).
fn action_points(context: &Context<'_>, change: &ApplicationChange) -> Option<(f64, String)> {
    let object = match change.object {
        ApplicationObject::Application => "application",
        ApplicationObject::ServicePrincipal => "service principal",
    };
    let points = match change.action {
        ApplicationAction::Added => (context.param("added"), format!("New {object}")),
        ApplicationAction::CredentialsAdded => {
            let mut points = context.param("credentials");
            if change.credential_types.iter().any(|t| t.eq_ignore_ascii_case("Password")) {
                points += context.param("password_credential");
            }
            if change.object == ApplicationObject::ServicePrincipal {
                points += context.param("on_service_principal");
            }
            (points, format!("Credentials added to {object}"))
        }
        ApplicationAction::OwnerAdded => (context.param("owner"), format!("Owner added to {object}")),
        ApplicationAction::AppRoleAssigned => (context.param("app_role"), "App role assigned".to_owned()),
        ApplicationAction::DelegatedPermissionGranted => (context.param("delegated_grant"), "Delegated permission granted".to_owned()),
        ApplicationAction::Updated | ApplicationAction::Removed | ApplicationAction::CredentialsRemoved => return None,
    };
    Some(points)
}

/// Returns the new consent type of a delegated permission grant (`AllPrincipals` or `Principal`).
fn consent_type(change: &ApplicationChange) -> Option<&str> {
    change
        .modified
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case("DelegatedPermissionGrant.ConsentType"))
        .and_then(|p| p.new_value.as_deref())
        .map(|v| v.trim_matches('"'))
}
