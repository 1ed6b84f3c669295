//! Mailbox-level forwarding (`Set-Mailbox -ForwardingSmtpAddress`) to an address outside the tenant.

use harrier_model::Activity;

use crate::breach::{Breach, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::activity::common::TenantDomains;

pub struct MailboxForwarding;

static INFO: ModelInfo = ModelInfo {
    id: "saas.mailbox_forwarding",
    name: "Mailbox forwarding outside the tenant",
    version: 1,
    description: "A mailbox set to forward all its mail, scored high when the address is outside the tenant's \
                  domains (the domains of the users seen, subdomains included) and higher when no copy stays \
                  in the mailbox; forwarding inside the tenant is raised low.",
    technique: Technique { id: "T1114.003", name: "Email Collection: Email Forwarding Rule", tactic: "collection" },
    stage: Stage::Exfiltration,
};

static PARAMS: [Param; 4] = [
    Param { name: "external", default: 70.0, description: "points for forwarding outside the tenant's domains" },
    Param { name: "no_copy", default: 10.0, description: "extra points when no copy stays in the mailbox" },
    Param { name: "internal", default: 15.0, description: "points for forwarding inside the tenant" },
    Param { name: "other_mailbox", default: 5.0, description: "extra points when the actor set forwarding on a mailbox other than their own" },
];

impl Model for MailboxForwarding {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let Activity::MailboxForwarding(forwarding) = &context.event.activity else { return None };
        if forwarding.cleared {
            return None;
        }
        let target = forwarding.forward_to.as_deref()?;
        let domains = TenantDomains::of(context, &[forwarding.mailbox.as_deref()]);
        let external = !domains.is_internal(target);
        let no_copy = forwarding.deliver_and_forward == Some(false);
        let actor = context.event.actor.user.as_deref();
        let other_mailbox = forwarding.mailbox.as_deref().zip(actor).is_some_and(|(m, a)| !local_part(m).eq_ignore_ascii_case(local_part(a)));

        let mut score = if external { context.param("external") } else { context.param("internal") };
        if external && no_copy {
            score += context.param("no_copy");
        }
        if external && other_mailbox {
            score += context.param("other_mailbox");
        }
        let mailbox = forwarding.mailbox.as_deref().or(actor).unwrap_or("an unknown mailbox");
        let place = if external { "outside" } else { "inside" };
        let copy = if no_copy { ", keeping no copy" } else { "" };
        let summary = format!("Mailbox {mailbox} set to forward all mail to {target}, {place} the tenant's domains{copy}");
        let breach = Breach::new(&INFO, context.event, score as f32, summary)
            .evidence("mailbox", mailbox)
            .evidence("forward_to", target)
            .evidence("external", external)
            .evidence("tenant_domains", domains.describe())
            .evidence("deliver_and_forward", forwarding.deliver_and_forward.map_or("unknown".to_owned(), |v| v.to_string()));
        Some(breach)
    }
}

/// Returns the part of an address before `@`, or the whole name for an alias.
fn local_part(address: &str) -> &str {
    address.split('@').next().unwrap_or(address).trim()
}
