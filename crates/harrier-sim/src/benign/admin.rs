//! Administrators' routine work, and the rare one-off changes ordinary users make: an inbox rule for
//! notifications or newsletters, and consent to a widely used app.

use rand::Rng;

use super::{Window, World};
use crate::apps::{self, COMMON_APPS};
use crate::build::{Attempt, Emitter, Place, ROLES};
use crate::clock::{MINUTE, Millis};
use crate::directory::User;
use crate::rng::{Guid, chance, hash, pick, weighted};

/// Writes an administrator's directory and mailbox changes on about half of their working days.
pub(super) fn admin_work(
    world: &World<'_>,
    admin: &User,
    place: &Place,
    window: Window,
    emitter: &mut Emitter<'_>,
) {
    if window.end <= window.start || !chance(emitter.rng, 0.55) {
        return;
    }
    let start = window.random_time(emitter.rng);
    let portal = Attempt::new(
        &apps::AZURE_PORTAL,
        &apps::MICROSOFT_GRAPH,
        true,
        crate::event::Auth::Mfa("Mobile app notification"),
        emitter.guid(),
    );
    emitter.sign_in(start, place, portal);
    let agent = place.platform.user_agent;
    for step in 0..emitter.rng.random_range(1..=3) {
        let time = start + (step + 1) * 4 * MINUTE;
        let target = pick(emitter.rng, &world.directory.users);
        match emitter.rng.random_range(0..10) {
            0..=2 => new_starter(world, admin, time, emitter, agent),
            3..=4 => {
                let (property, value) = *pick(
                    emitter.rng,
                    &[
                        ("JobTitle", "Senior Consultant"),
                        ("Department", "Sales"),
                        ("TelephoneNumber", "+49 30 901820"),
                    ],
                );
                emitter.update_user(time, admin, target, property, value, agent);
            }
            5 => {
                let role = pick(emitter.rng, &ROLES);
                emitter.add_role_member(time, admin, target, role, agent);
            }
            6 => {
                emitter.reset_password(time, admin, target, agent);
            }
            _ => mailbox_change(world, target, place, time, emitter),
        }
    }
}

/// Writes `Add user.` for a new starter.
fn new_starter(
    world: &World<'_>,
    admin: &User,
    time: Millis,
    emitter: &mut Emitter<'_>,
    agent: &str,
) {
    let number: u32 = emitter.rng.random_range(100..10_000);
    let upn = format!("new.starter{number}@{}", world.directory.tenant.domain);
    emitter.add_user(time, admin, &upn, &format!("New Starter {number}"), agent);
}

/// Writes an Exchange PowerShell sign-in and one mailbox cmdlet on `target`'s mailbox.
fn mailbox_change(
    world: &World<'_>,
    target: &User,
    place: &Place,
    time: Millis,
    emitter: &mut Emitter<'_>,
) {
    let attempt = Attempt::new(
        &apps::EXCHANGE_POWERSHELL,
        &apps::EXCHANGE_ONLINE,
        true,
        crate::event::Auth::PreviouslySatisfied,
        emitter.guid(),
    );
    emitter.sign_in(time - MINUTE, place, attempt);
    let identity = target.user_principal_name.clone();
    let (operation, parameters) = match emitter.rng.random_range(0..3) {
        0 => (
            "Set-Mailbox",
            vec![
                ("Identity", identity.clone()),
                ("ProhibitSendQuota", "49.5 GB".to_owned()),
                ("IssueWarningQuota", "49 GB".to_owned()),
            ],
        ),
        1 => {
            let shared = format!(
                "shared-{}@{}",
                target.department.name().to_ascii_lowercase(),
                world.directory.tenant.domain
            );
            (
                "Add-MailboxPermission",
                vec![
                    ("Identity", shared),
                    ("User", identity.clone()),
                    ("AccessRights", "FullAccess".to_owned()),
                    ("InheritanceType", "All".to_owned()),
                ],
            )
        }
        _ => (
            "Set-Mailbox",
            vec![
                ("Identity", identity.clone()),
                ("LitigationHoldEnabled", "True".to_owned()),
            ],
        ),
    };
    let object = parameters[0].1.clone();
    emitter.cmdlet(time, place, operation, object, parameters);
}

/// Returns true when `user`'s one-off change of `kind` falls on `day`. About one user in `one_in` makes
/// the change during the simulated period.
fn one_off_day(world: &World<'_>, user: &User, kind: u64, one_in: u64, day: u32) -> bool {
    let draw = hash(world.seed, &[kind, u64::from(user.index)]) % (u64::from(world.days) * one_in);
    draw == u64::from(day)
}

/// Writes a user's one-off inbox rule or app consent when it falls on this day.
pub(super) fn one_offs(
    world: &World<'_>,
    user: &User,
    day: u32,
    place: &Place,
    window: Window,
    emitter: &mut Emitter<'_>,
) {
    if window.end <= window.start || window.intensity < 0.5 {
        return;
    }
    if one_off_day(world, user, 101, 6, day) {
        let time = window.random_time(emitter.rng);
        inbox_rule(world, user, place, time, emitter);
    }
    if one_off_day(world, user, 102, 4, day) {
        let time = window.random_time(emitter.rng);
        let weights = [0.45, 0.25, 0.2, 0.1];
        let app = &COMMON_APPS[weighted(emitter.rng, &weights)];
        common_consent(world, user, place, app, time, emitter);
    }
}

/// Rules users create for themselves: name, target folder, and the condition parameter.
const RULES: [(&str, &str, &str, &str); 4] = [
    ("Jira notifications", "Notifications", "From", "jira@"),
    (
        "Move newsletters",
        "Newsletters",
        "FromAddressContainsWords",
        "newsletter",
    ),
    (
        "Receipts",
        "Receipts",
        "SubjectContainsWords",
        "receipt;expense report",
    ),
    (
        "Teams notifications",
        "Notifications",
        "From",
        "noreply@email.teams.microsoft.com",
    ),
];

/// Writes `New-InboxRule` from Outlook on the web, moving a kind of automated mail to a folder.
pub(crate) fn inbox_rule(
    world: &World<'_>,
    user: &User,
    place: &Place,
    time: Millis,
    emitter: &mut Emitter<'_>,
) -> Guid {
    let (name, folder, condition, value) = *pick(emitter.rng, &RULES);
    let value = if value.ends_with('@') {
        format!("{value}{}", world.directory.tenant.domain)
    } else {
        value.to_owned()
    };
    rule_cmdlet(user, place, time, name, folder, condition, value, emitter)
}

/// Writes a `New-InboxRule` record that moves mail matching one condition to `folder`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn rule_cmdlet(
    user: &User,
    place: &Place,
    time: Millis,
    name: &str,
    folder: &str,
    condition: &'static str,
    value: String,
    emitter: &mut Emitter<'_>,
) -> Guid {
    let parameters = vec![
        ("AlwaysDeleteOutlookRulesBlob", "False".to_owned()),
        ("Force", "False".to_owned()),
        ("Name", name.to_owned()),
        (condition, value),
        ("MoveToFolder", folder.to_owned()),
        ("StopProcessingRules", "False".to_owned()),
    ];
    let object = format!("{}\\{name}", user.alias);
    emitter.cmdlet(time, place, "New-InboxRule", object, parameters)
}

/// Returns the object id of a widely used app's service principal in the tenant (fixed per tenant).
pub(crate) fn service_principal_of(world: &World<'_>, app: &apps::App) -> Guid {
    let key = app.id.bytes().fold(0u64, |state, byte| {
        state.wrapping_mul(131).wrapping_add(u64::from(byte))
    });
    let high = hash(world.seed, &[crate::rng::purpose::TENANT, key, 1]);
    let low = hash(world.seed, &[crate::rng::purpose::TENANT, key, 2]);
    let bits = (u128::from(high) << 64) | u128::from(low);
    Guid((bits & !(0xF << 76)) | (0x4 << 76))
}

/// Writes a user's consent to a widely used app: the sign-in to it, the consent and the grant. Returns the
/// ids of the consent and the grant.
pub(crate) fn common_consent(
    world: &World<'_>,
    user: &User,
    place: &Place,
    app: &'static apps::ThirdPartyApp,
    time: Millis,
    emitter: &mut Emitter<'_>,
) -> [Guid; 2] {
    let attempt = Attempt::new(
        &app.app,
        &apps::MICROSOFT_GRAPH,
        true,
        crate::event::Auth::PreviouslySatisfied,
        emitter.guid(),
    );
    emitter.sign_in(time - MINUTE, place, attempt);
    let sp = service_principal_of(world, &app.app);
    let agent = place.platform.user_agent;
    let consent = emitter.consent(time, user, app, sp, false, agent);
    let grant = emitter.delegated_grant(time, user, app, sp, agent);
    [consent, grant]
}
