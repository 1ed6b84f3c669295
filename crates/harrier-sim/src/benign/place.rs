//! The places a user connects from: office, home line, corporate VPN, hotel, and a service account's
//! cloud host.
//!
//! A home line keeps its address for a lease of one to four weeks, then gets a new one from the same ISP,
//! as residential broadband does.

use std::net::IpAddr;

use rand::Rng;

use super::{Trip, World};
use crate::build::Place;
use crate::directory::{SITES, User, site_egress};
use crate::event::DeviceRef;
use crate::net;
use crate::rng::{SimRng, chance, hash, purpose};

/// Returns the address of one of the user's home lines on `day`.
fn home_address(world: &World<'_>, user: &User, isp: usize, day: u32) -> IpAddr {
    let seed = world.seed;
    let lease_days = 7 + (hash(seed, &[purpose::HOME_ADDRESS, u64::from(user.index)]) % 22) as u32;
    let key = hash(
        seed,
        &[
            purpose::HOME_ADDRESS,
            u64::from(user.index),
            isp as u64,
            u64::from(day / lease_days),
        ],
    );
    user.home_isps[isp].stable_v4(key)
}

/// Returns the address Exchange logs for a home line: IPv6 for half of the users whose ISP has IPv6
/// prefixes (dual-stack homes), else the IPv4 address.
fn home_exchange_address(world: &World<'_>, user: &User, isp: usize, ipv4: IpAddr) -> IpAddr {
    let key = hash(
        world.seed,
        &[purpose::HOME_ADDRESS, u64::from(user.index), isp as u64, 6],
    );
    if key.is_multiple_of(2) {
        return ipv4;
    }
    user.home_isps[isp].stable_v6(key).unwrap_or(ipv4)
}

/// Returns the user at home on their home line, on the work computer (or the personal one, some days).
pub(crate) fn home_place(world: &World<'_>, user: &User, day: u32, rng: &mut SimRng) -> Place {
    let isp = if user.home_isps.len() > 1 && chance(rng, 0.3) {
        1
    } else {
        0
    };
    let ip = home_address(world, user, isp, day);
    let (mut device, mut platform) = world.work_computer(user, day);
    if user.devices.len() > 1 && chance(rng, 0.2) {
        device = DeviceRef::Computer(1);
        platform = user.devices[1].platform;
    }
    Place {
        user: user.index,
        ip,
        exchange_ip: home_exchange_address(world, user, isp, ip),
        city: user.city,
        device,
        platform,
    }
}

/// Returns where the user works on a normal day at home: the office on some weekdays, else home,
/// through the corporate VPN for VPN users.
pub(crate) fn usual_place(
    world: &World<'_>,
    user: &User,
    day: u32,
    rng: &mut SimRng,
    works: bool,
) -> Place {
    let (device, platform) = world.work_computer(user, day);
    if let Some(site) = user
        .site
        .filter(|_| works && !world.is_weekend(day) && chance(rng, user.office_rate))
    {
        let ip = site_egress(world.seed, site);
        return Place {
            user: user.index,
            ip,
            exchange_ip: ip,
            city: SITES[site].0.city,
            device,
            platform,
        };
    }
    if user.vpn && works && chance(rng, 0.7) {
        let vpn = net::vpn(user.country);
        let ip = vpn.random_v4(rng);
        return Place {
            user: user.index,
            ip,
            exchange_ip: ip,
            city: vpn.cities[0],
            device,
            platform,
        };
    }
    home_place(world, user, day, rng)
}

/// Returns the user's hotel on a trip, on the work computer.
pub(crate) fn hotel_place(world: &World<'_>, user: &User, trip: &Trip, day: u32) -> Place {
    let key = hash(
        world.seed,
        &[
            purpose::TRAVEL,
            u64::from(user.index),
            u64::from(trip.depart_day),
            1,
        ],
    );
    let ip = trip.network.stable_v4(key);
    let (device, platform) = world.work_computer(user, day);
    Place {
        user: user.index,
        ip,
        exchange_ip: ip,
        city: trip.city,
        device,
        platform,
    }
}

/// Returns a user's phone on the mobile network. Carrier-grade NAT gives a new address each time, and a
/// roaming phone keeps its home carrier's addresses abroad.
pub(crate) fn phone_place(user: &User, rng: &mut SimRng) -> Option<Place> {
    let phone = user.phone.as_ref()?;
    let ip = phone.carrier.random_v4(rng);
    let city = phone.carrier.cities[rng.random_range(0..phone.carrier.cities.len())];
    Some(Place {
        user: user.index,
        ip,
        exchange_ip: ip,
        city,
        device: DeviceRef::Phone,
        platform: phone.device.platform,
    })
}

/// Returns a service account's cloud host, whose address changes monthly.
pub(crate) fn service_place(world: &World<'_>, user: &User, day: u32) -> Place {
    let network = user.home_isps[0];
    let ip = network.stable_v4(hash(
        world.seed,
        &[
            purpose::HOME_ADDRESS,
            u64::from(user.index),
            u64::from(day / 30),
        ],
    ));
    let platform = &crate::directory::SCRIPT_CLIENT;
    Place {
        user: user.index,
        ip,
        exchange_ip: ip,
        city: network.cities[0],
        device: DeviceRef::Unregistered(platform),
        platform,
    }
}
