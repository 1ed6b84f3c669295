//! Attacks on credentials: password guessing and spraying, MFA fatigue, and the full takeover chain that
//! starts with password guessing.

use rand::Rng;

use super::{Ctx, foreign};
use crate::apps::{self, PERFECTDATA, SUPERMAILER};
use crate::build::{Attempt, Place};
use crate::clock::{HOUR, MINUTE, Millis, SECOND};
use crate::directory::User;
use crate::event::{Auth, MailClient};
use crate::net;
use crate::rng::{chance, pick};

/// Writes `count` failed sign-ins (wrong password) from `place`, 5 to 40 seconds apart; returns the time
/// after the last one.
fn guess_passwords(ctx: &mut Ctx<'_>, place: &Place, mut time: Millis, count: u32) -> Millis {
    let mut emitter = ctx.step("brute_force");
    for _ in 0..count {
        let attempt = Attempt::new(
            &apps::OFFICE_HOME,
            &apps::MICROSOFT_GRAPH,
            true,
            Auth::WrongPassword,
            emitter.guid(),
        );
        emitter.sign_in(time, place, attempt);
        time += emitter.rng.random_range(5..40) * SECOND;
    }
    time
}

/// Writes a successful single-factor sign-in from `place` and two token refreshes after it.
fn single_factor_sign_in(ctx: &mut Ctx<'_>, place: &Place, time: Millis) {
    let mut emitter = ctx.step("sign_in");
    let correlation = emitter.guid();
    emitter.sign_in(
        time,
        place,
        Attempt::new(
            &apps::OFFICE_HOME,
            &apps::MICROSOFT_GRAPH,
            true,
            Auth::Password,
            correlation,
        ),
    );
    for refresh in 1..=2 {
        let attempt = Attempt::new(
            &apps::OFFICE_HOME,
            &apps::EXCHANGE_ONLINE,
            false,
            Auth::Password,
            correlation,
        );
        emitter.sign_in(time + refresh * 7 * MINUTE, place, attempt);
    }
}

/// Writes `count` mailbox reads through Outlook on the web from `place`.
fn read_mail(ctx: &mut Ctx<'_>, place: &Place, time: Millis, count: u32) {
    let mut emitter = ctx.step("mail_access");
    for index in 0..count {
        let at = time + i64::from(index) * emitter.rng.random_range(1..4) * MINUTE;
        emitter.mail_access(at, place, MailClient::Owa(place.platform), false);
    }
}

/// Writes password guessing from a hosting provider, then a successful sign-in and some mail read.
pub(super) fn brute_force_success(ctx: &mut Ctx<'_>, user: &User, start: Millis) {
    let network = foreign(&mut ctx.rng, ctx.world, user, net::HOSTING);
    let place = ctx.attacker_place(user, network);
    let count = ctx.rng.random_range(15..40);
    let time = guess_passwords(ctx, &place, start, count);
    single_factor_sign_in(ctx, &place, time + MINUTE);
    let count = ctx.rng.random_range(3..8);
    read_mail(ctx, &place, time + 10 * MINUTE, count);
}

/// Writes the account takeover chain: password guessing from a VPS, a sign-in from a country the user
/// never used, two mass-mailing apps registered and consented, an inbox rule hiding replies, and
/// thousands of phishing mails sent through the second app.
pub(super) fn takeover_chain(ctx: &mut Ctx<'_>, user: &User, start: Millis) {
    let known = super::known_countries(ctx.world, user);
    let network = if known.contains(&"US") {
        foreign(&mut ctx.rng, ctx.world, user, net::HOSTING)
    } else {
        &net::MAJESTIC
    };
    let place = ctx.attacker_place(user, network);
    let count = ctx.rng.random_range(20..60);
    let mut time = guess_passwords(ctx, &place, start, count);
    time += ctx.rng.random_range(1..5) * MINUTE;
    single_factor_sign_in(ctx, &place, time);

    time = ctx.later(time, 15, 40);
    register_and_consent(ctx, user, &place, time, &PERFECTDATA);
    time = ctx.later(time, 20, 60);
    hiding_rule(ctx, user, &place, time);
    time = ctx.later(time, 60, 180);
    register_and_consent(ctx, user, &place, time, &SUPERMAILER);
    time = ctx.later(time, 10, 30);
    mass_send(ctx, &place, time);
}

/// Writes the registration of `app` (`Add application.`, `Add service principal.`) and the user's
/// consent to it (`Consent to application.`, `Add delegated permission grant.`), as two steps.
fn register_and_consent(
    ctx: &mut Ctx<'_>,
    user: &User,
    place: &Place,
    time: Millis,
    app: &'static apps::ThirdPartyApp,
) {
    let agent = place.platform.user_agent;
    let mut emitter = ctx.step("app_registration");
    let (object, sp) = (emitter.guid(), emitter.guid());
    emitter.add_application(time, user, app, object, agent);
    emitter.add_service_principal(time + 2 * SECOND, user, &app.app, sp, agent);
    let mut emitter = ctx.step("oauth_consent");
    emitter.consent(time + 40 * SECOND, user, app, sp, false, agent);
    emitter.delegated_grant(time + 41 * SECOND, user, app, sp, agent);
}

/// Writes the inbox rule `s` that moves replies, bounces and warnings to `RSS Subscription`, read.
fn hiding_rule(ctx: &mut Ctx<'_>, user: &User, place: &Place, time: Millis) {
    let parameters = vec![
        ("AlwaysDeleteOutlookRulesBlob", "False".to_owned()),
        ("Force", "False".to_owned()),
        ("MoveToFolder", "RSS Subscription".to_owned()),
        ("Name", "s".to_owned()),
        (
            "SubjectOrBodyContainsWords",
            "undeliverable;delivery has failed;hacked;phishing;spam;virus;fraud".to_owned(),
        ),
        ("MarkAsRead", "True".to_owned()),
        ("StopProcessingRules", "True".to_owned()),
    ];
    let object = format!("{}\\s", user.alias);
    ctx.step("inbox_rule")
        .cmdlet(time, place, "New-InboxRule", object, parameters);
}

/// Writes 1,500 to 4,000 phishing mails sent through the mass-mailing app over two to four hours.
fn mass_send(ctx: &mut Ctx<'_>, place: &Place, start: Millis) {
    let mut emitter = ctx.step("mass_send");
    let count: i64 = emitter.rng.random_range(1500..4000);
    let span = emitter.rng.random_range(2 * HOUR..4 * HOUR);
    for index in 0..count {
        let time = start + span * index / count;
        let size = emitter.rng.random_range(18_000..26_000);
        let attachment = format!("Credit Transfer Copy.html ({size}b)");
        let subject = if index % 3 == 0 {
            "Credit Transfer Copy"
        } else {
            "Payment Advice - Credit Transfer Copy"
        };
        emitter.send_custom(
            time,
            place,
            MailClient::App(&SUPERMAILER.app),
            subject,
            Some(attachment),
        );
    }
}

/// Writes a password spray: one source tries one or two passwords against hundreds of accounts. Most
/// attempts fail with a wrong password, a few hit smart lockout, and sometimes one succeeds.
pub(super) fn password_spray(ctx: &mut Ctx<'_>, start: Millis) {
    let directory = ctx.directory();
    let mut targets: Vec<u32> = directory.people().map(|user| user.index).collect();
    let target_count = ctx.rng.random_range(150..400).min(targets.len());
    for index in 0..target_count {
        let swap = ctx.rng.random_range(index..targets.len());
        targets.swap(index, swap);
    }
    targets.truncate(target_count);
    ctx.user = None;
    let network = pick(&mut ctx.rng, net::HOSTING);
    let first = &directory.users[targets[0] as usize];
    let source = ctx.attacker_place(first, network);
    let rounds = ctx.rng.random_range(1..=2);
    let winner = chance(&mut ctx.rng, 0.6).then(|| targets[ctx.rng.random_range(0..targets.len())]);

    let mut time = start;
    let mut emitter = ctx.step("password_spray");
    for round in 0..rounds {
        for target in &targets {
            if round + 1 == rounds && Some(*target) == winner {
                continue;
            }
            let locked = round == 1 && emitter.rng.random_bool(0.03);
            let auth = if locked {
                Auth::Locked
            } else {
                Auth::WrongPassword
            };
            let place = Place {
                user: *target,
                ..source
            };
            let attempt = Attempt::new(
                &apps::AZURE_CLI,
                &apps::MICROSOFT_GRAPH,
                true,
                auth,
                emitter.guid(),
            );
            emitter.sign_in(time, &place, attempt);
            time += emitter.rng.random_range(2..9) * SECOND;
        }
        time += 30 * MINUTE;
    }
    ctx.targeted_users = targets;
    if let Some(winner) = winner {
        ctx.user = Some(winner);
        let place = Place {
            user: winner,
            ..source
        };
        let mut emitter = ctx.step("sign_in");
        let attempt = Attempt::new(
            &apps::AZURE_CLI,
            &apps::MICROSOFT_GRAPH,
            true,
            Auth::Password,
            emitter.guid(),
        );
        emitter.sign_in(time, &place, attempt);
    }
}

/// Writes MFA fatigue: the attacker has the password and sends push after push from abroad until the user
/// approves one.
pub(super) fn mfa_fatigue(ctx: &mut Ctx<'_>, user: &User, start: Millis) {
    const DETAILS: [&str; 2] = [
        "MFA denied; user declined the authentication",
        "MFA denied; user did not respond to mobile app notification",
    ];
    let candidates: Vec<&'static net::Network> = net::HOSTING
        .iter()
        .chain(net::PROXY_RESIDENTIAL)
        .copied()
        .collect();
    let network = foreign(&mut ctx.rng, ctx.world, user, &candidates);
    let place = ctx.attacker_place(user, network);

    let mut time = start;
    let mut emitter = ctx.step("mfa_prompts");
    for _ in 0..emitter.rng.random_range(8..30) {
        let correlation = emitter.guid();
        let required = Attempt::new(
            &apps::OFFICE_HOME,
            &apps::MICROSOFT_GRAPH,
            true,
            Auth::MfaRequired,
            correlation,
        );
        emitter.sign_in(time, &place, required);
        let detail = *pick(emitter.rng, &DETAILS);
        let failed = Attempt {
            auth: Auth::MfaFailed("Mobile app notification", detail),
            ..required
        };
        let answered = time + emitter.rng.random_range(20..70) * SECOND;
        emitter.sign_in(answered, &place, failed);
        time += emitter.rng.random_range(90..300) * SECOND;
    }

    let mut emitter = ctx.step("sign_in");
    let correlation = emitter.guid();
    let approved = Attempt::new(
        &apps::OFFICE_HOME,
        &apps::MICROSOFT_GRAPH,
        true,
        Auth::Mfa("Mobile app notification"),
        correlation,
    );
    emitter.sign_in(time, &place, approved);

    let count = ctx.rng.random_range(3..10);
    read_mail(ctx, &place, time + 5 * MINUTE, count);
}
