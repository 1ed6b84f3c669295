//! Attacks on a mailbox after access is gained: consent phishing, business email compromise through a
//! forwarding rule, a transport rule copying mail outside, and a sign-in from impossibly far away.

use rand::Rng;

use super::{Ctx, foreign};
use crate::apps::{self, PHISHING_APPS};
use crate::benign::usual_place;
use crate::build::{Attempt, Place};
use crate::clock::{MINUTE, Millis, SECOND};
use crate::directory::User;
use crate::event::{Auth, MailClient};
use crate::geo;
use crate::net;
use crate::rng::pick;

/// Returns a time in the user's working hours on `day`, `extra_minutes` after the start of the day.
fn working_time(ctx: &mut Ctx<'_>, user: &User, day: u32, extra_minutes: i64) -> Millis {
    let local = i64::from(user.work_start_minutes) + extra_minutes + ctx.rng.random_range(0..120);
    ctx.world.day_start(day) + (local - i64::from(user.utc_offset_minutes())) * MINUTE
}

/// Writes consent phishing. The user signs in to an unknown multi-tenant app and consents to mail scopes
/// from their usual place. The app then reads the mailbox in bulk from a hosting provider.
pub(super) fn oauth_consent_phishing(ctx: &mut Ctx<'_>, user: &User, day: u32) {
    let app = pick(&mut ctx.rng, PHISHING_APPS);
    let time = working_time(ctx, user, day, 60);
    let home = usual_place(ctx.world, user, day, &mut ctx.rng, true);
    let mut emitter = ctx.step("sign_in");
    let attempt = Attempt::new(
        &app.app,
        &apps::MICROSOFT_GRAPH,
        true,
        Auth::PreviouslySatisfied,
        emitter.guid(),
    );
    emitter.sign_in(time, &home, attempt);

    let agent = home.platform.user_agent;
    let mut emitter = ctx.step("oauth_consent");
    let sp = emitter.guid();
    emitter.add_service_principal(time + 30 * SECOND, user, &app.app, sp, agent);
    emitter.consent(time + 32 * SECOND, user, app, sp, false, agent);
    emitter.delegated_grant(time + 33 * SECOND, user, app, sp, agent);

    let network = foreign(&mut ctx.rng, ctx.world, user, net::HOSTING);
    let remote = ctx.attacker_place(user, network);
    let mut time = ctx.later(time, 5, 45);
    let mut emitter = ctx.step("mail_access");
    let reads = emitter.rng.random_range(20..60);
    for index in 0..reads {
        let folder = if index % 4 == 3 {
            "\\Sent Items"
        } else {
            "\\Inbox"
        };
        let items = emitter.rng.random_range(10..50);
        emitter.bulk_access(
            time,
            &remote,
            MailClient::App(&app.app),
            folder,
            items,
            index + 1 == reads,
        );
        time += emitter.rng.random_range(2..12) * MINUTE;
    }
}

/// Writes business email compromise: a sign-in through an adversary-in-the-middle proxy or residential
/// proxy, finance mail read, and an inbox rule forwarding payment mail outside and hiding it.
pub(super) fn bec_forwarding_rule(ctx: &mut Ctx<'_>, user: &User, start: Millis) {
    const OUTSIDE: [&str; 3] = [
        "accounts.payable.dept@outlook.com",
        "invoices-archive@gmx.com",
        "ap.finance.team@proton.me",
    ];
    const NAMES: [&str; 4] = [".", "..", "ab", "Invoice"];
    let candidates: Vec<&'static net::Network> = net::PROXY_RESIDENTIAL
        .iter()
        .chain(net::HOSTING)
        .copied()
        .collect();
    let network = foreign(&mut ctx.rng, ctx.world, user, &candidates);
    let place = ctx.attacker_place(user, network);
    let mut emitter = ctx.step("sign_in");
    let attempt = Attempt::new(
        &apps::OFFICE_HOME,
        &apps::MICROSOFT_GRAPH,
        true,
        Auth::Mfa("Mobile app notification"),
        emitter.guid(),
    );
    emitter.sign_in(start, &place, attempt);

    let mut emitter = ctx.step("mail_access");
    for index in 0..emitter.rng.random_range(5..15) {
        emitter.mail_access(
            start + (index + 2) * MINUTE,
            &place,
            MailClient::Owa(place.platform),
            false,
        );
    }

    let name = *pick(&mut ctx.rng, &NAMES);
    let forward = *pick(&mut ctx.rng, &OUTSIDE);
    let parameters = vec![
        ("AlwaysDeleteOutlookRulesBlob", "False".to_owned()),
        ("Force", "False".to_owned()),
        ("Name", name.to_owned()),
        (
            "SubjectOrBodyContainsWords",
            "invoice;payment;wire".to_owned(),
        ),
        ("ForwardTo", forward.to_owned()),
        ("MarkAsRead", "True".to_owned()),
        ("DeleteMessage", "True".to_owned()),
        ("StopProcessingRules", "True".to_owned()),
    ];
    let object = format!("{}\\{name}", user.alias);
    let time = ctx.later(start, 20, 50);
    ctx.step("inbox_rule")
        .cmdlet(time, &place, "New-InboxRule", object, parameters);
}

/// Writes a compromised administrator's sign-in to Exchange Online PowerShell from a hosting provider and
/// the transport rule they create, which blind-copies all mail from the organisation to an outside address.
pub(super) fn transport_rule_exfil(ctx: &mut Ctx<'_>, admin: &User, start: Millis) {
    let network = foreign(&mut ctx.rng, ctx.world, admin, net::HOSTING);
    let place = ctx.attacker_place(admin, network);
    let mut emitter = ctx.step("sign_in");
    let attempt = Attempt::new(
        &apps::EXCHANGE_POWERSHELL,
        &apps::EXCHANGE_ONLINE,
        true,
        Auth::PreviouslySatisfied,
        emitter.guid(),
    );
    emitter.sign_in(start, &place, attempt);

    let name = *pick(
        &mut ctx.rng,
        &[
            "Compliance Journal",
            "Mail Retention Policy",
            "Outbound Archive",
        ],
    );
    let parameters = vec![
        ("Name", name.to_owned()),
        ("FromScope", "InOrganization".to_owned()),
        (
            "BlindCopyTo",
            "journal-archive@mailbackup-services.com".to_owned(),
        ),
        ("Mode", "Enforce".to_owned()),
        ("Priority", "0".to_owned()),
    ];
    let time = ctx.later(start, 3, 15);
    ctx.step("transport_rule").cmdlet(
        time,
        &place,
        "New-TransportRule",
        name.to_owned(),
        parameters,
    );
}

/// Writes two successful sign-ins too far apart: one from the user's usual place, then within two hours
/// one from a country thousands of kilometres away, followed by some mail read there.
pub(super) fn impossible_travel(ctx: &mut Ctx<'_>, user: &User, day: u32) {
    let time = working_time(ctx, user, day, 30);
    let home = usual_place(ctx.world, user, day, &mut ctx.rng, true);
    let mut emitter = ctx.step("prior_sign_in");
    let attempt = Attempt::new(
        &apps::OFFICE_HOME,
        &apps::MICROSOFT_GRAPH,
        true,
        Auth::PreviouslySatisfied,
        emitter.guid(),
    );
    emitter.sign_in(time, &home, attempt);

    let far: Vec<&'static net::Network> = [&net::VNPT, &net::MTN_NG, &net::NTT_OCN, &net::TELSTRA]
        .into_iter()
        .filter(|network| geo::distance_km(home.city, network.cities[0]) > 3000.0)
        .collect();
    let network = foreign(&mut ctx.rng, ctx.world, user, &far);
    let remote = ctx.attacker_place(user, network);
    let later = ctx.later(time, 20, 110);
    debug_assert!(later - time < geo::min_travel_millis(home.city, remote.city));
    let mut emitter = ctx.step("sign_in");
    let attempt = Attempt::new(
        &apps::OFFICE_HOME,
        &apps::MICROSOFT_GRAPH,
        true,
        Auth::PreviouslySatisfied,
        emitter.guid(),
    );
    emitter.sign_in(later, &remote, attempt);
    let mut emitter = ctx.step("mail_access");
    for index in 0..emitter.rng.random_range(3..8) {
        emitter.mail_access(
            later + (index + 1) * 3 * MINUTE,
            &remote,
            MailClient::Owa(remote.platform),
            false,
        );
    }
}

/// Returns a place at the user's usual location, for look-alikes.
pub(super) fn usual(ctx: &mut Ctx<'_>, user: &User, day: u32) -> Place {
    usual_place(ctx.world, user, day, &mut ctx.rng, true)
}
