//! Injected scenarios: attacks and the benign activities that look like them.
//!
//! Planning happens before the first day is generated. Each instance gets its own random stream, a
//! user no other instance uses (while users last), a day after the first third of the period (so
//! detectors have a baseline to learn from) and a start time. Look-alikes that change a user's habits
//! (a trip, a new laptop) are recorded in [`Behaviour`] for the benign generator. Every other instance
//! writes its records here, each stamped with the step it belongs to.

mod identity;
mod lookalike;
mod mailbox;

use std::collections::HashSet;
use std::net::IpAddr;

use rand::Rng;

use crate::benign::{Behaviour, World, plan_trips};
use crate::build::{Emitter, Place};
use crate::clock::{HOUR, Millis};
use crate::config::{ScenarioName, SimConfig};
use crate::directory::{ATTACKER_CHROME, Directory, User};
use crate::event::{DeviceRef, SimEvent, Tag};
use crate::net::{self, Network};
use crate::rng::{SimRng, pick, purpose, stream};

/// One injected scenario instance.
#[derive(Debug)]
pub(crate) struct Instance {
    pub scenario: ScenarioName,
    /// The attacked or acting user; `None` for a password spray that got no account.
    pub user: Option<u32>,
    pub day: u32,
    pub attacker_ips: Vec<IpAddr>,
    /// Step names, in the order the steps happen; tags index into this list.
    pub steps: Vec<&'static str>,
    /// Accounts a password spray tried.
    pub targeted_users: Vec<u32>,
}

/// The planned scenarios, the habits they change, and the records they add.
pub(crate) struct Plan {
    pub instances: Vec<Instance>,
    pub behaviour: Behaviour,
    pub events: Vec<SimEvent>,
}

/// Context of one instance while it writes its records.
pub(crate) struct Ctx<'a> {
    pub world: &'a World<'a>,
    pub rng: SimRng,
    pub instance: u32,
    pub events: &'a mut Vec<SimEvent>,
    pub steps: Vec<&'static str>,
    pub attacker_ips: Vec<IpAddr>,
    pub targeted_users: Vec<u32>,
    pub user: Option<u32>,
}

impl<'a> Ctx<'a> {
    /// Starts a new step and returns an emitter whose records are stamped with it.
    pub(crate) fn step(&mut self, name: &'static str) -> Emitter<'_> {
        self.steps.push(name);
        let tag = Tag {
            instance: self.instance,
            step: (self.steps.len() - 1) as u16,
        };
        Emitter::new(&mut self.rng, self.events, Some(tag))
    }

    pub(crate) fn directory(&self) -> &'a Directory {
        self.world.directory
    }

    /// Returns a place at `network` with the attackers' browser, and records its address.
    pub(crate) fn attacker_place(&mut self, victim: &User, network: &'static Network) -> Place {
        let ip = network.random_v4(&mut self.rng);
        let city = *pick(&mut self.rng, network.cities);
        if !self.attacker_ips.contains(&ip) {
            self.attacker_ips.push(ip);
        }
        Place {
            user: victim.index,
            ip,
            exchange_ip: ip,
            city,
            device: DeviceRef::Unregistered(&ATTACKER_CHROME),
            platform: &ATTACKER_CHROME,
        }
    }

    /// Returns a time `minutes_low..minutes_high` minutes after `time`.
    pub(crate) fn later(&mut self, time: Millis, minutes_low: i64, minutes_high: i64) -> Millis {
        time + self.rng.random_range(minutes_low..minutes_high) * crate::clock::MINUTE
    }
}

/// Returns the countries a user is seen in without any attack: home, office and trip destinations.
pub(crate) fn known_countries(world: &World<'_>, user: &User) -> Vec<&'static str> {
    let mut countries = vec![user.country];
    countries.extend(
        user.site
            .map(|site| crate::directory::SITES[site].0.city.country),
    );
    if let Some(trips) = world.behaviour.trips.get(&user.index) {
        countries.extend(trips.iter().map(|trip| trip.city.country));
    }
    if user.vpn {
        countries.push(net::vpn(user.country).country);
    }
    countries
}

/// Picks a network from `candidates` in a country the user is never seen in.
pub(crate) fn foreign(
    rng: &mut SimRng,
    world: &World<'_>,
    user: &User,
    candidates: &[&'static Network],
) -> &'static Network {
    let known = known_countries(world, user);
    let unknown: Vec<&'static Network> = candidates
        .iter()
        .copied()
        .filter(|network| !known.contains(&network.country))
        .collect();
    let pool: &[&'static Network] = if unknown.is_empty() {
        candidates
    } else {
        &unknown
    };
    pool[rng.random_range(0..pool.len())]
}

/// Plans every configured scenario and writes the records of those that add records.
pub(crate) fn plan(config: &SimConfig, directory: &Directory, first_day: i64) -> Plan {
    let mut behaviour = Behaviour {
        trips: plan_trips(config.seed, directory, config.days),
        ..Behaviour::default()
    };
    let mut chooser = UserChooser::new(directory);
    let mut drafts = Vec::with_capacity(config.scenarios.len());
    for (index, scenario) in config.scenarios.iter().enumerate() {
        let mut rng = stream(config.seed, &[purpose::SCENARIO_PLAN, index as u64]);
        let user = chooser.choose(&mut rng, *scenario);
        let day = attack_day(&mut rng, config.days);
        drafts.push((index as u32, *scenario, user, day, rng));
    }

    // Look-alikes that change habits go first, so the other instances see the final habits.
    for (index, scenario, user, day, rng) in &mut drafts {
        let user = &directory.users[*user as usize];
        *day = lookalike::change_habits(
            *scenario,
            *index,
            user,
            (*day, config.days, first_day),
            rng,
            &mut behaviour,
        );
    }

    let world = World {
        seed: config.seed,
        first_day,
        days: config.days,
        directory,
        behaviour: &behaviour,
    };
    let mut events = Vec::new();
    let mut instances = Vec::with_capacity(drafts.len());
    for (index, scenario, user, day, _) in drafts {
        let rng = stream(config.seed, &[purpose::SCENARIO, u64::from(index)]);
        let mut ctx = Ctx {
            world: &world,
            rng,
            instance: index,
            events: &mut events,
            steps: Vec::new(),
            attacker_ips: Vec::new(),
            targeted_users: Vec::new(),
            user: Some(user),
        };
        let start = world.day_start(day) + ctx.rng.random_range(0..18 * HOUR);
        run(
            scenario,
            &mut ctx,
            &directory.users[user as usize],
            day,
            start,
        );
        instances.push(Instance {
            scenario,
            user: ctx.user,
            day,
            attacker_ips: ctx.attacker_ips,
            steps: ctx.steps,
            targeted_users: ctx.targeted_users,
        });
    }
    Plan {
        instances,
        behaviour,
        events,
    }
}

fn run(scenario: ScenarioName, ctx: &mut Ctx<'_>, user: &User, day: u32, start: Millis) {
    match scenario {
        ScenarioName::TakeoverChain => identity::takeover_chain(ctx, user, start),
        ScenarioName::BruteForceSuccess => identity::brute_force_success(ctx, user, start),
        ScenarioName::PasswordSpray => identity::password_spray(ctx, start),
        ScenarioName::MfaFatigue => identity::mfa_fatigue(ctx, user, start),
        ScenarioName::OauthConsentPhishing => mailbox::oauth_consent_phishing(ctx, user, day),
        ScenarioName::BecForwardingRule => mailbox::bec_forwarding_rule(ctx, user, start),
        ScenarioName::ImpossibleTravel => mailbox::impossible_travel(ctx, user, day),
        ScenarioName::TransportRuleExfil => mailbox::transport_rule_exfil(ctx, user, start),
        ScenarioName::BenignTrip | ScenarioName::BenignNewLaptop => {
            lookalike::habit_steps(ctx, scenario)
        }
        ScenarioName::BenignConsent => lookalike::benign_consent(ctx, user, day),
        ScenarioName::BenignNewsletterRule => lookalike::benign_newsletter_rule(ctx, user, day),
    }
}

/// Draws the day of an instance: after the first third of the period and before its last day, so a
/// baseline precedes it and its records end inside the period.
fn attack_day(rng: &mut SimRng, days: u32) -> u32 {
    let last = days.saturating_sub(2);
    let first = (days / 3).max(1).min(last);
    if last == 0 {
        0
    } else {
        rng.random_range(first..=last)
    }
}

/// Hands out users, each to one instance while unused ones remain.
struct UserChooser<'a> {
    directory: &'a Directory,
    used: HashSet<u32>,
}

impl<'a> UserChooser<'a> {
    fn new(directory: &'a Directory) -> Self {
        UserChooser {
            directory,
            used: HashSet::new(),
        }
    }

    fn choose(&mut self, rng: &mut SimRng, scenario: ScenarioName) -> u32 {
        let admins_only = scenario == ScenarioName::TransportRuleExfil;
        let eligible = |user: &&User| !user.service_account && (!admins_only || user.admin);
        let mut pool: Vec<u32> = self
            .directory
            .users
            .iter()
            .filter(eligible)
            .map(|user| user.index)
            .filter(|index| !self.used.contains(index))
            .collect();
        if pool.is_empty() {
            pool = self
                .directory
                .users
                .iter()
                .filter(eligible)
                .map(|user| user.index)
                .collect();
        }
        if pool.is_empty() {
            pool = self.directory.people().map(|user| user.index).collect();
        }
        let user = *pick(rng, &pool);
        self.used.insert(user);
        user
    }
}
