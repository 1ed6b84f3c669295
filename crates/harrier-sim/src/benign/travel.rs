//! Trips abroad: where a user is on each day, and the segments of a travel day.
//!
//! A trip leaves on one day and returns on a later one. The flight takes at least the plausible travel
//! time between the home city and the destination ([`crate::geo::min_travel_millis`]) plus time in
//! airports, and the user signs in neither during the flight nor in the two hours before it.

use std::collections::HashMap;

use rand::Rng;

use super::{Segment, Window, World, place, steps};
use crate::clock::{HOUR, MINUTE, Millis};
use crate::directory::{Department, Directory, User};
use crate::event::Tag;
use crate::geo::{self, City};
use crate::net::{self, Network};
use crate::rng::{SimRng, chance, hash, pick, purpose, stream};

/// Countries users travel to.
const DESTINATIONS: [&str; 10] = ["ES", "IT", "NL", "JP", "CA", "AU", "US", "GB", "DE", "FR"];

/// A stay abroad.
#[derive(Debug)]
pub(crate) struct Trip {
    pub depart_day: u32,
    pub return_day: u32,
    pub city: &'static City,
    /// The hotel's or host's broadband network.
    pub network: &'static Network,
    /// Local departure time at home, in minutes after midnight.
    pub depart_minutes: u32,
    /// Local departure time at the destination on the way back.
    pub return_minutes: u32,
    /// The labelled scenario instance, if the trip is one.
    pub instance: Option<u32>,
}

impl Trip {
    /// Draws a trip of `length` days from `depart_day` to a country other than the user's.
    pub(crate) fn draw(
        rng: &mut SimRng,
        user: &User,
        depart_day: u32,
        length: u32,
        instance: Option<u32>,
    ) -> Trip {
        let countries: Vec<&str> = DESTINATIONS
            .iter()
            .copied()
            .filter(|country| *country != user.country)
            .collect();
        let country = *pick(rng, &countries);
        let network = *pick(rng, net::residential(country));
        let city = *pick(rng, network.cities);
        Trip {
            depart_day,
            return_day: depart_day + length,
            city,
            network,
            depart_minutes: rng.random_range(11 * 60..17 * 60),
            return_minutes: rng.random_range(10 * 60..16 * 60),
            instance,
        }
    }

    /// Returns the door-to-door travel time: the plausible minimum plus up to two hours of slack.
    pub(crate) fn travel_millis(&self, seed: u64, user: &User) -> Millis {
        let slack = (hash(
            seed,
            &[
                purpose::TRAVEL,
                u64::from(user.index),
                u64::from(self.depart_day),
            ],
        ) % 120) as i64;
        geo::min_travel_millis(user.city, self.city) + slack * MINUTE
    }

    fn tag(&self, step: u16) -> Option<Tag> {
        self.instance.map(|instance| Tag { instance, step })
    }
}

/// Draws the background trips of the benign tenant: a few percent of users travel in a month, sales staff
/// and executives more often.
pub(crate) fn plan_trips(seed: u64, directory: &Directory, days: u32) -> HashMap<u32, Vec<Trip>> {
    let mut trips = HashMap::new();
    for user in directory.people() {
        let mut rng = stream(seed, &[purpose::TRAVEL, u64::from(user.index)]);
        let frequent = matches!(user.department, Department::Sales | Department::Executive);
        let rate = if frequent { 0.12 } else { 0.03 } * f64::from(days) / 30.0;
        let length = rng.random_range(3..=8);
        if days < length + 3 || !chance(&mut rng, rate) {
            continue;
        }
        let depart = rng.random_range(1..days - length - 1);
        trips.insert(
            user.index,
            vec![Trip::draw(&mut rng, user, depart, length, None)],
        );
    }
    trips
}

/// A user's location on a simulated day.
pub(crate) enum Whereabouts<'a> {
    Home,
    Abroad(&'a Trip),
    /// Leaving on this day: departure and arrival times.
    Departing(&'a Trip, Millis, Millis),
    /// Coming back on this day: departure and arrival times.
    Returning(&'a Trip, Millis, Millis),
}

impl Whereabouts<'_> {
    /// Returns the UTC offset of the place the working day starts in.
    pub(crate) fn utc_offset_minutes(&self, user: &User) -> i32 {
        match self {
            Whereabouts::Home | Whereabouts::Departing(..) => user.utc_offset_minutes(),
            Whereabouts::Abroad(trip) | Whereabouts::Returning(trip, ..) => {
                trip.city.utc_offset_minutes
            }
        }
    }
}

/// Returns where `user` is on `day`.
pub(crate) fn whereabouts<'a>(world: &'a World<'_>, user: &User, day: u32) -> Whereabouts<'a> {
    let Some(trip) = world.behaviour.trips.get(&user.index).and_then(|trips| {
        trips
            .iter()
            .find(|trip| (trip.depart_day..=trip.return_day).contains(&day))
    }) else {
        return Whereabouts::Home;
    };
    let day_start = world.day_start(day);
    if day == trip.depart_day {
        let depart = day_start
            + (i64::from(trip.depart_minutes) - i64::from(user.utc_offset_minutes())) * MINUTE;
        return Whereabouts::Departing(trip, depart, depart + trip.travel_millis(world.seed, user));
    }
    if day == trip.return_day {
        let depart = day_start
            + (i64::from(trip.return_minutes) - i64::from(trip.city.utc_offset_minutes)) * MINUTE;
        return Whereabouts::Returning(trip, depart, depart + trip.travel_millis(world.seed, user));
    }
    Whereabouts::Abroad(trip)
}

/// Splits a user's day into segments of activity, each at one place. A segment of zero intensity
/// carries only phone activity.
pub(crate) fn segments(
    world: &World<'_>,
    user: &User,
    day: u32,
    whereabouts: &Whereabouts<'_>,
    window: Window,
    works: bool,
    rng: &mut SimRng,
) -> Vec<Segment> {
    let scale = |intensity: f64| if works { intensity } else { 0.0 };
    match *whereabouts {
        Whereabouts::Home => {
            let place = place::usual_place(world, user, day, rng, works);
            vec![(
                Window {
                    intensity: scale(window.intensity),
                    ..window
                },
                place,
                None,
            )]
        }
        Whereabouts::Abroad(trip) => {
            let place = place::hotel_place(world, user, trip, day);
            let intensity = if works { 0.6 } else { 0.2 };
            vec![(
                Window {
                    intensity,
                    ..window
                },
                place,
                trip.tag(steps::TRIP_ABROAD),
            )]
        }
        Whereabouts::Departing(trip, depart, arrive) => {
            let home = place::usual_place(world, user, day, rng, works);
            let before = Window {
                start: window.start,
                end: window.end.min(depart - 2 * HOUR),
                intensity: scale(0.5),
            };
            let hotel = place::hotel_place(world, user, trip, day);
            let after = Window {
                start: arrive + 45 * MINUTE,
                end: arrive + 3 * HOUR,
                intensity: 0.2,
            };
            vec![
                (before, home, None),
                (after, hotel, trip.tag(steps::TRIP_ABROAD)),
            ]
        }
        Whereabouts::Returning(trip, depart, arrive) => {
            let hotel = place::hotel_place(world, user, trip, day);
            let before = Window {
                start: window.start,
                end: window.end.min(depart - 2 * HOUR),
                intensity: 0.3,
            };
            let home = place::home_place(world, user, day, rng);
            let after = Window {
                start: arrive + HOUR,
                end: arrive + 150 * MINUTE,
                intensity: 0.15,
            };
            vec![
                (before, hotel, trip.tag(steps::TRIP_ABROAD)),
                (after, home, trip.tag(steps::TRIP_RETURN)),
            ]
        }
    }
}
