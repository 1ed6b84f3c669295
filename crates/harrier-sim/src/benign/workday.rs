//! A working segment: sign-ins, token refreshes, mail sent and read, deletions and file work, and the
//! phone's activity.

use rand::Rng;

use super::{Window, World, place};
use crate::apps;
use crate::build::{Attempt, Emitter, Place, code, resource_of};
use crate::clock::{MINUTE, Millis, SECOND};
use crate::directory::User;
use crate::event::{Auth, MailClient};
use crate::rng::{chance, pick, poisson};

/// Writes the interactive sign-in that starts a segment: mostly satisfied by the token's MFA claim,
/// sometimes with an MFA prompt, a mistyped password or a "keep me signed in" interrupt first.
fn first_sign_in(place: &Place, time: Millis, emitter: &mut Emitter<'_>) {
    let app = if chance(emitter.rng, 0.6) {
        &apps::MICROSOFT_OFFICE
    } else {
        &apps::OFFICE_HOME
    };
    let correlation = emitter.guid();
    let settled = Attempt::new(
        app,
        resource_of(app),
        true,
        Auth::PreviouslySatisfied,
        correlation,
    );
    let roll: f64 = emitter.rng.random();
    if roll < 0.05 {
        let wrong = Attempt {
            auth: Auth::WrongPassword,
            ..settled
        };
        emitter.sign_in(time, place, wrong);
        emitter.sign_in(time + 40 * SECOND, place, settled);
    } else if roll < 0.28 {
        emitter.sign_in_with_mfa(time, place, app);
    } else if roll < 0.31 {
        emitter.sign_in_as(time, place, settled, "Browser", code::KEEP_ME_SIGNED_IN);
        emitter.sign_in(time + 10 * SECOND, place, settled);
    } else {
        emitter.sign_in(time, place, settled);
    }
}

/// Writes the token refreshes of Outlook and Teams through the segment, about every 90 minutes.
fn token_refreshes(place: &Place, window: Window, emitter: &mut Emitter<'_>) {
    let count = ((window.end - window.start) / (90 * MINUTE)).clamp(1, 8);
    for index in 0..count {
        let app = if index % 2 == 0 {
            &apps::MICROSOFT_OFFICE
        } else {
            &apps::MICROSOFT_TEAMS
        };
        let resource = match index % 3 {
            0 => &apps::EXCHANGE_ONLINE,
            1 => &apps::MICROSOFT_GRAPH,
            _ => &apps::SHAREPOINT_ONLINE,
        };
        let correlation = emitter.guid();
        let attempt = Attempt::new(app, resource, false, Auth::PreviouslySatisfied, correlation);
        let time = window.random_time(emitter.rng);
        emitter.sign_in(time, place, attempt);
    }
}

/// Writes a working segment at one place.
pub(super) fn work(
    world: &World<'_>,
    user: &User,
    place: &Place,
    window: Window,
    emitter: &mut Emitter<'_>,
) {
    if window.end <= window.start || window.intensity <= 0.0 {
        return;
    }
    first_sign_in(place, window.start, emitter);
    token_refreshes(place, window, emitter);
    let owa = chance(emitter.rng, 0.25);
    if owa {
        let correlation = emitter.guid();
        let attempt = Attempt::new(
            &apps::EXCHANGE_ONLINE,
            &apps::EXCHANGE_ONLINE,
            true,
            Auth::PreviouslySatisfied,
            correlation,
        );
        let time = window.random_time(emitter.rng);
        emitter.sign_in(time, place, attempt);
    }
    mail(user, place, window, owa, emitter);
    files(world, user, place, window, emitter);
}

fn mail(user: &User, place: &Place, window: Window, owa: bool, emitter: &mut Emitter<'_>) {
    let outlook = MailClient::Outlook(place.platform);
    let web = MailClient::Owa(place.platform);
    for _ in 0..poisson(emitter.rng, user.mean_sends * window.intensity) {
        let client = if owa && chance(emitter.rng, 0.4) {
            web
        } else {
            outlook
        };
        let time = window.random_time(emitter.rng);
        emitter.send(time, place, client);
    }
    for _ in 0..emitter.rng.random_range(2..=4) {
        let time = window.random_time(emitter.rng);
        emitter.mail_access(time, place, outlook, true);
    }
    for _ in 0..poisson(emitter.rng, 3.0 * window.intensity) {
        let client = if owa { web } else { outlook };
        let time = window.random_time(emitter.rng);
        emitter.mail_access(time, place, client, false);
    }
    for _ in 0..poisson(emitter.rng, 1.2 * window.intensity) {
        let operation = if chance(emitter.rng, 0.8) {
            "MoveToDeletedItems"
        } else {
            "SoftDelete"
        };
        let time = window.random_time(emitter.rng);
        emitter.delete(time, place, outlook, operation);
    }
}

fn files(world: &World<'_>, user: &User, place: &Place, window: Window, emitter: &mut Emitter<'_>) {
    let site = user.department.name();
    for _ in 0..poisson(emitter.rng, user.mean_files * window.intensity) {
        let time = window.random_time(emitter.rng);
        emitter.file_activity(time, place, site);
    }
    if chance(emitter.rng, 0.06 * window.intensity) {
        let guest = chance(emitter.rng, 0.3);
        let with = if guest {
            (*pick(
                emitter.rng,
                &[
                    "j.doe@fabrikam.com",
                    "procurement@northwindtraders.com",
                    "m.rossi@adatum.com",
                ],
            ))
            .to_owned()
        } else {
            let colleague = pick(emitter.rng, &world.directory.users);
            colleague.user_principal_name.clone()
        };
        let time = window.random_time(emitter.rng);
        emitter.share_file(time, place, with, guest);
    }
}

/// Writes the phone's day: Outlook Mobile refreshing its token and synchronising, and a few replies.
pub(super) fn phone(user: &User, window: Window, emitter: &mut Emitter<'_>) {
    let Some(place) = place::phone_place(user, emitter.rng) else {
        return;
    };
    if window.end <= window.start {
        return;
    }
    let client = MailClient::Mobile(place.platform);
    let checks = if window.intensity > 0.0 {
        emitter.rng.random_range(1..=3)
    } else {
        emitter.rng.random_range(0..=1)
    };
    for _ in 0..checks {
        let time = window.random_time(emitter.rng);
        let correlation = emitter.guid();
        let attempt = Attempt::new(
            &apps::OUTLOOK_MOBILE,
            &apps::EXCHANGE_ONLINE,
            false,
            Auth::PreviouslySatisfied,
            correlation,
        );
        emitter.sign_in(time, &place, attempt);
        emitter.mail_access(time + 5 * SECOND, &place, client, true);
    }
    for _ in 0..poisson(emitter.rng, 0.15 * user.mean_sends * window.intensity) {
        let time = window.random_time(emitter.rng);
        emitter.send(time, &place, client);
    }
}
