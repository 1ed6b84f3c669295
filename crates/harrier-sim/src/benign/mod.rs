//! The benign tenant: every user's ordinary day.
//!
//! Each user-day draws from its own random stream, so the records of one user-day do not depend on any
//! other. A person works on most weekdays and few weekend days, from the office, from home (on their
//! ISP, or through the corporate VPN) or from a hotel abroad. They sign in in the morning, refresh tokens
//! through the day, send and read mail, and work on files. Administrators also change the directory and
//! mailboxes. Service accounts sign in from the cloud every hour, every day.

mod admin;
mod place;
mod travel;
mod workday;

use std::collections::HashMap;

use rand::Rng;

use crate::build::{Emitter, Place};
use crate::clock::{self, DAY, HOUR, MINUTE, Millis};
use crate::directory::{Device, Directory, User};
use crate::event::{Auth, DeviceRef, MailClient, SimEvent, Tag};
use crate::rng::{chance, normal, poisson, purpose, stream};

pub(crate) use admin::{common_consent, rule_cmdlet};
pub(crate) use place::usual_place;
pub(crate) use travel::{Trip, plan_trips};

/// Step indices of the benign look-alikes whose records the benign generator writes.
pub(crate) mod steps {
    pub const TRIP_ABROAD: u16 = 0;
    pub const TRIP_RETURN: u16 = 1;
    pub const LAPTOP_REGISTRATION: u16 = 0;
    pub const LAPTOP_FIRST_DAY: u16 = 1;
}

/// A laptop a user starts using during the simulation.
#[derive(Debug)]
pub(crate) struct NewLaptop {
    pub from_day: u32,
    /// Index into [`Behaviour::extra_devices`].
    pub device: u32,
    /// The labelled scenario instance, if the change is one.
    pub instance: Option<u32>,
}

/// Changes to users' habits during the simulation: trips and new devices.
#[derive(Debug, Default)]
pub(crate) struct Behaviour {
    pub trips: HashMap<u32, Vec<Trip>>,
    pub new_laptops: HashMap<u32, NewLaptop>,
    pub extra_devices: Vec<Device>,
}

/// The directory, habits and period the benign generator reads.
pub(crate) struct World<'a> {
    pub seed: u64,
    /// The Unix day number of the first simulated day.
    pub first_day: i64,
    pub days: u32,
    pub directory: &'a Directory,
    pub behaviour: &'a Behaviour,
}

impl World<'_> {
    /// Returns UTC midnight at the start of simulated day `day`.
    pub(crate) fn day_start(&self, day: u32) -> Millis {
        (self.first_day + i64::from(day)) * DAY
    }

    fn is_weekend(&self, day: u32) -> bool {
        clock::weekday(self.first_day + i64::from(day)) >= 5
    }

    /// Returns the computer a user works on that day: the new laptop once it arrived, else the work laptop.
    pub(crate) fn work_computer(
        &self,
        user: &User,
        day: u32,
    ) -> (DeviceRef, &'static crate::directory::Platform) {
        match self.behaviour.new_laptops.get(&user.index) {
            Some(laptop) if day >= laptop.from_day => {
                let device = &self.behaviour.extra_devices[laptop.device as usize];
                (DeviceRef::Extra(laptop.device), device.platform)
            }
            _ => (DeviceRef::Computer(0), user.devices[0].platform),
        }
    }
}

/// Appends the benign records of every user for simulated day `day` (in the users' local time).
pub(crate) fn generate_day(world: &World<'_>, day: u32, out: &mut Vec<SimEvent>) {
    for user in &world.directory.users {
        let mut rng = stream(
            world.seed,
            &[purpose::BENIGN_DAY, u64::from(user.index), u64::from(day)],
        );
        if user.service_account {
            service_day(world, user, day, &mut Emitter::new(&mut rng, out, None));
        } else {
            person_day(world, user, day, &mut rng, out);
        }
    }
}

/// A span of activity: from `start` to `end`, with volumes scaled by `intensity`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    pub start: Millis,
    pub end: Millis,
    pub intensity: f64,
}

impl Window {
    fn random_time(&self, rng: &mut crate::rng::SimRng) -> Millis {
        if self.end <= self.start {
            self.start
        } else {
            rng.random_range(self.start..self.end)
        }
    }
}

fn person_day(
    world: &World<'_>,
    user: &User,
    day: u32,
    rng: &mut crate::rng::SimRng,
    out: &mut Vec<SimEvent>,
) {
    let whereabouts = travel::whereabouts(world, user, day);
    let weekend = world.is_weekend(day);
    let laptop_tag = laptop_tag(world, user, day);
    // A user who picks up a new laptop works that day.
    let works = laptop_tag.is_some()
        || if weekend {
            chance(rng, user.weekend_rate)
        } else {
            chance(rng, 0.95)
        };
    let offset = whereabouts.utc_offset_minutes(user);
    let start_local = f64::from(user.work_start_minutes) + normal(rng) * 20.0;
    let length = f64::from(user.work_minutes)
        * if weekend {
            rng.random_range(0.1..0.3)
        } else {
            1.0
        };
    let start =
        world.day_start(day) + ((start_local - f64::from(offset)) * MINUTE as f64) as Millis;
    let window = Window {
        start,
        end: start + (length * MINUTE as f64) as Millis,
        intensity: if weekend { 0.25 } else { 1.0 },
    };

    if let Some(tag) = laptop_tag {
        let mut emitter = Emitter::new(
            rng,
            out,
            Some(Tag {
                step: steps::LAPTOP_REGISTRATION,
                ..tag
            }),
        );
        register_laptop(world, user, window.start - 15 * MINUTE, &mut emitter);
    }
    for (segment, place, tag) in
        travel::segments(world, user, day, &whereabouts, window, works, rng)
    {
        let on_new_laptop = matches!(place.device, DeviceRef::Extra(_));
        let work_tag = tag.or(laptop_tag.filter(|_| on_new_laptop));
        let mut emitter = Emitter::new(rng, out, work_tag);
        if segment.intensity > 0.0 {
            workday::work(world, user, &place, segment, &mut emitter);
            admin::one_offs(world, user, day, &place, segment, &mut emitter);
            if user.admin && !weekend {
                admin::admin_work(world, user, &place, segment, &mut emitter);
            }
        }
        emitter.tag = tag;
        workday::phone(user, segment, &mut emitter);
    }
}

/// Returns the tag of a labelled new laptop's first day of use.
fn laptop_tag(world: &World<'_>, user: &User, day: u32) -> Option<Tag> {
    let laptop = world.behaviour.new_laptops.get(&user.index)?;
    let instance = laptop.instance?;
    (laptop.from_day == day).then_some(Tag {
        instance,
        step: steps::LAPTOP_FIRST_DAY,
    })
}

fn register_laptop(world: &World<'_>, user: &User, time: Millis, emitter: &mut Emitter<'_>) {
    let Some(laptop) = world.behaviour.new_laptops.get(&user.index) else {
        return;
    };
    let device = &world.behaviour.extra_devices[laptop.device as usize];
    let (Some(id), Some(name)) = (device.device_id, device.display_name.as_deref()) else {
        return;
    };
    let os = if device.platform.operating_system == "MacOs" {
        "MacOS"
    } else {
        "Windows"
    };
    emitter.register_device(time, user, name, id, os, device.platform.user_agent);
}

/// Writes a service account's day: a token every hour from its cloud host, mailbox reads, and a few
/// reports sent.
fn service_day(world: &World<'_>, user: &User, day: u32, emitter: &mut Emitter<'_>) {
    let place = place::service_place(world, user, day);
    let start = world.day_start(day);
    for hour in 0..24 {
        let time = start + hour * HOUR + emitter.rng.random_range(0..4 * MINUTE);
        let correlation = emitter.guid();
        let resource = if hour % 2 == 0 {
            &crate::apps::EXCHANGE_ONLINE
        } else {
            &crate::apps::MICROSOFT_GRAPH
        };
        let attempt = crate::build::Attempt::new(
            &crate::apps::BACKUP_CONNECTOR,
            resource,
            false,
            Auth::Password,
            correlation,
        );
        emitter.sign_in(time, &place, attempt);
        if hour % 2 == 0 {
            emitter.mail_access(
                time + MINUTE,
                &place,
                MailClient::App(&crate::apps::BACKUP_CONNECTOR),
                false,
            );
        }
    }
    for _ in 0..poisson(emitter.rng, user.mean_sends) {
        let time = start + emitter.rng.random_range(0..DAY);
        emitter.send_custom(
            time,
            &place,
            MailClient::App(&crate::apps::BACKUP_CONNECTOR),
            "Daily archive report",
            None,
        );
    }
}

/// A span of activity, the place it happens at, and the labelled step its records belong to.
pub(crate) type Segment = (Window, Place, Option<Tag>);
