//! Benign activities that look like attacks: a trip abroad, a new laptop, a consent to a widely used app,
//! and a rule sorting newsletters.

use rand::Rng;

use super::Ctx;
use super::mailbox::usual;
use crate::apps::COMMON_APPS;
use crate::benign::{Behaviour, NewLaptop, Trip, World, steps};
use crate::benign::{common_consent, rule_cmdlet};
use crate::clock::{self, MINUTE};
use crate::config::ScenarioName;
use crate::directory::{Device, MAC_SAFARI, User, WINDOWS_CHROME, WINDOWS_EDGE};
use crate::rng::{Guid, SimRng};

/// Records the habit change of a trip or a new laptop in `behaviour`. Other scenarios change no habits.
/// A new laptop arrives on a weekday, the one on or before `day`. Returns the day the change starts.
pub(super) fn change_habits(
    scenario: ScenarioName,
    instance: u32,
    user: &User,
    (day, days, first_day): (u32, u32, i64),
    rng: &mut SimRng,
    behaviour: &mut Behaviour,
) -> u32 {
    match scenario {
        ScenarioName::BenignTrip => {
            let length = rng.random_range(3..=6).min(days.saturating_sub(2).max(1));
            // The return flight may land the day after `return_day`, which must still be simulated.
            let depart = day.min(days.saturating_sub(length + 2));
            let trip = Trip::draw(rng, user, depart, length, Some(instance));
            behaviour.trips.insert(user.index, vec![trip]);
            depart
        }
        ScenarioName::BenignNewLaptop => {
            let mut day = day;
            while day > 0 && clock::weekday(first_day + i64::from(day)) >= 5 {
                day -= 1;
            }
            let device = new_laptop(rng, user);
            behaviour.extra_devices.push(device);
            let device = (behaviour.extra_devices.len() - 1) as u32;
            behaviour.new_laptops.insert(
                user.index,
                NewLaptop {
                    from_day: day,
                    device,
                    instance: Some(instance),
                },
            );
            day
        }
        _ => day,
    }
}

/// Draws a managed laptop on another platform than the user's current one.
fn new_laptop(rng: &mut SimRng, user: &User) -> Device {
    let current = user.devices[0].platform;
    let platform = if std::ptr::eq(current, &WINDOWS_EDGE) {
        if rng.random_bool(0.5) {
            &MAC_SAFARI
        } else {
            &WINDOWS_CHROME
        }
    } else {
        &WINDOWS_EDGE
    };
    let short: String = user
        .alias
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    Device {
        device_id: Some(Guid::random(rng)),
        display_name: Some(format!(
            "LT-{}-{:03}",
            short.to_ascii_uppercase(),
            rng.random_range(1..999)
        )),
        platform,
        trust_type: Some("Azure AD joined"),
        is_managed: true,
        is_compliant: true,
    }
}

/// Names the steps of a habit change, whose records the benign generator writes and stamps.
pub(super) fn habit_steps(ctx: &mut Ctx<'_>, scenario: ScenarioName) {
    let names: [(u16, &'static str); 2] = match scenario {
        ScenarioName::BenignTrip => [
            (steps::TRIP_ABROAD, "sign_in_abroad"),
            (steps::TRIP_RETURN, "return_home"),
        ],
        _ => [
            (steps::LAPTOP_REGISTRATION, "device_registration"),
            (steps::LAPTOP_FIRST_DAY, "new_device_sign_in"),
        ],
    };
    for (index, name) in names {
        debug_assert_eq!(usize::from(index), ctx.steps.len());
        ctx.steps.push(name);
    }
}

/// Returns a time two to five hours into the user's working day.
fn working_time(world: &World<'_>, rng: &mut SimRng, user: &User, day: u32) -> i64 {
    let local = i64::from(user.work_start_minutes) + rng.random_range(120..300);
    world.day_start(day) + (local - i64::from(user.utc_offset_minutes())) * MINUTE
}

/// Writes the user's consent, from their usual place, to the app most users of the tenant already use.
pub(super) fn benign_consent(ctx: &mut Ctx<'_>, user: &User, day: u32) {
    let time = working_time(ctx.world, &mut ctx.rng, user, day);
    let place = usual(ctx, user, day);
    let world = ctx.world;
    let mut emitter = ctx.step("oauth_consent");
    common_consent(world, user, &place, &COMMON_APPS[0], time, &mut emitter);
}

/// Writes a rule, created from the user's usual place, that moves newsletters to a folder named
/// "Newsletters".
pub(super) fn benign_newsletter_rule(ctx: &mut Ctx<'_>, user: &User, day: u32) {
    let time = working_time(ctx.world, &mut ctx.rng, user, day);
    let place = usual(ctx, user, day);
    let mut emitter = ctx.step("inbox_rule");
    let value = "newsletter;digest;noreply".to_owned();
    rule_cmdlet(
        user,
        &place,
        time,
        "Newsletters",
        "Newsletters",
        "FromAddressContainsWords",
        value,
        &mut emitter,
    );
}
