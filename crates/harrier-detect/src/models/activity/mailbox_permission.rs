//! Mailbox and folder permissions granted to other principals, and mailbox audit bypass.

use harrier_model::{Activity, Change, MailboxPermission};

use crate::breach::{Breach, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::activity::common::{DAY_MS, marks_since, set_technique};

pub struct MailboxPermissionGrant;

static INFO: ModelInfo = ModelInfo {
    id: "saas.mailbox_permission",
    name: "Mailbox delegation or audit bypass",
    version: 1,
    description: "FullAccess, SendAs, SendOnBehalf or folder permissions granted on a mailbox, scored by the \
                  rights, raised when the grantee is Default or Anonymous (halved on calendar folders), when a user grants broad rights on \
                  their own mailbox, and when one actor grants on many mailboxes within a day; also any \
                  Set-MailboxAuditBypassAssociation, which can exempt an account from mailbox auditing.",
    technique: Technique { id: "T1098.002", name: "Account Manipulation: Additional Email Delegate Permissions", tactic: "persistence" },
    stage: Stage::Persistence,
};

const DISABLE_LOGS: Technique = Technique { id: "T1562.008", name: "Impair Defenses: Disable or Modify Cloud Logs", tactic: "defense-evasion" };

static PARAMS: [Param; 6] = [
    Param { name: "audit_bypass", default: 65.0, description: "points for Set-MailboxAuditBypassAssociation" },
    Param { name: "everyone", default: 20.0, description: "extra points when the grantee is Default or Anonymous" },
    Param { name: "own_mailbox", default: 10.0, description: "extra points when a user grants broad rights on their own mailbox" },
    Param { name: "per_earlier_grant", default: 10.0, description: "extra points per grant of this model by the same actor in the last 24 hours, at most 3" },
    Param { name: "service_principal", default: 15.0, description: "extra points when an application made the grant" },
    Param { name: "min_score", default: 25.0, description: "lowest score (0-100) that raises a breach" },
];

/// Points per access right, highest first; folder roles are Exchange's names.
const RIGHTS: [(&str, f64); 9] = [
    ("fullaccess", 45.0),
    ("sendas", 40.0),
    ("sendonbehalf", 30.0),
    ("owner", 30.0),
    ("publishingeditor", 30.0),
    ("editor", 25.0),
    ("changepermission", 30.0),
    ("changeowner", 30.0),
    ("reviewer", 20.0),
];

impl Model for MailboxPermissionGrant {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        match &context.event.activity {
            Activity::MailboxPermission(permission) => evaluate_grant(context, permission),
            Activity::Other(_) if context.event.operation.eq_ignore_ascii_case("Set-MailboxAuditBypassAssociation") => {
                Some(audit_bypass(context))
            }
            _ => None,
        }
    }
}

fn evaluate_grant(context: &Context<'_>, permission: &MailboxPermission) -> Option<Breach> {
    if matches!(permission.change, Change::Removed | Change::Disabled) {
        return None;
    }
    let rights_points = permission.access_rights.iter().map(|r| right_points(r)).fold(0.0, f64::max);
    let mut score = if rights_points > 0.0 { rights_points } else { 10.0 };
    let grantee = permission.grantee.as_deref().unwrap_or("an unknown grantee");
    let everyone = ["default", "anonymous"].iter().any(|g| grantee.eq_ignore_ascii_case(g));
    if everyone {
        score += context.param("everyone");
    }
    // Sharing a calendar with the whole organisation (Default as Reviewer) is everyday use.
    if permission.folder.as_deref().is_some_and(|f| f.to_ascii_lowercase().contains("calendar")) {
        score *= 0.5;
    }
    let actor = context.event.actor.user.as_deref();
    let own = permission.mailbox.as_deref().zip(actor).is_some_and(|(m, a)| same_mailbox(m, a));
    if own && rights_points >= 40.0 {
        score += context.param("own_mailbox");
    }
    if context.event.actor.kind == harrier_model::ActorKind::ServicePrincipal {
        score += context.param("service_principal");
    }
    let earlier = marks_since(context, context.time_ms() - DAY_MS).filter(|m| m.model_id == INFO.id).count().min(3);
    score += earlier as f64 * context.param("per_earlier_grant");
    score *= super::common::familiarity_factor(context, earlier as f32);
    if score < context.param("min_score") {
        return None;
    }

    let mailbox = permission.mailbox.as_deref().unwrap_or("an unknown mailbox");
    let folder = permission.folder.as_deref().map(|f| format!(" folder {f}")).unwrap_or_default();
    let rights = permission.access_rights.join(", ");
    let summary = format!("{grantee} granted {rights} on {mailbox}{folder}");
    let breach = Breach::new(&INFO, context.event, score as f32, summary)
        .evidence("mailbox", mailbox)
        .evidence("grantee", grantee)
        .evidence("access_rights", &rights)
        .evidence("own_mailbox", own)
        .evidence("earlier_grants_24h", earlier);
    Some(breach)
}

fn right_points(right: &str) -> f64 {
    let right = right.trim().to_ascii_lowercase();
    RIGHTS.iter().find(|(name, _)| *name == right).map_or(0.0, |(_, points)| *points)
}

/// True when a mailbox name (an address or alias) names the actor's own mailbox.
fn same_mailbox(mailbox: &str, actor: &str) -> bool {
    let local = |s: &str| s.split('@').next().unwrap_or(s).trim().to_ascii_lowercase();
    local(mailbox) == local(actor)
}

fn audit_bypass(context: &Context<'_>) -> Breach {
    let object = match &context.event.activity {
        Activity::Other(other) => other.object.clone(),
        _ => None,
    };
    let target = object.as_deref().unwrap_or("an account");
    let actor = context.event.actor.user.as_deref().unwrap_or("an unknown actor");
    let summary = format!("{actor} changed the mailbox audit bypass of {target}, which can exempt it from mailbox auditing");
    // NOTE: the normalised event does not carry the AuditBypassEnabled value, so turning a bypass off
    // scores the same as turning it on.
    let mut breach = Breach::new(&INFO, context.event, context.param("audit_bypass") as f32, summary)
        .evidence("operation", &context.event.operation)
        .evidence("target", target);
    breach.stage = Stage::DefenseEvasion;
    set_technique(&mut breach, &DISABLE_LOGS);
    breach
}
