//! Every simulated prefix belongs to the autonomous system and country the simulator claims, according
//! to the IP data harrier ships.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use harrier_enrich::IpIntel;
use harrier_model::IpClass;
use harrier_sim::net::{ALL, NetworkKind, Prefix};

/// Returns nine addresses spread evenly across the prefix, first and last included.
fn sample(prefix: &Prefix) -> Vec<IpAddr> {
    match *prefix {
        Prefix::V4(base, length) => {
            let size = 1u64 << (32 - u32::from(length));
            (0..9)
                .map(|k| {
                    IpAddr::V4(Ipv4Addr::from(
                        (u64::from(base) + (size - 1) * k / 8) as u32,
                    ))
                })
                .collect()
        }
        Prefix::V6(base, length) => {
            let size = 1u128 << (128 - u32::from(length));
            (0..9)
                .map(|k| IpAddr::V6(Ipv6Addr::from(base + (size - 1) / 8 * k)))
                .collect()
        }
    }
}

#[test]
fn prefixes_match_asn_and_country() {
    let intel = IpIntel::embedded().unwrap();
    for network in ALL {
        for prefix in network.v4.iter().chain(network.v6) {
            for ip in sample(prefix) {
                let info = intel.lookup_ref(ip);
                assert_eq!(
                    info.asn,
                    Some(network.asn),
                    "{ip} in {prefix} of {}",
                    network.name
                );
                assert_eq!(
                    info.country,
                    Some(network.country),
                    "{ip} in {prefix} of {}",
                    network.name
                );
            }
        }
    }
}

#[test]
fn attacker_and_cloud_networks_are_classed() {
    let intel = IpIntel::embedded().unwrap();
    for network in ALL {
        let expected = match network.kind {
            NetworkKind::Hosting => IpClass::Hosting,
            NetworkKind::Cloud => IpClass::Cloud,
            NetworkKind::Residential => IpClass::Residential,
            _ => continue,
        };
        for prefix in network.v4 {
            let class = intel.lookup_ref(sample(prefix)[4]).class;
            assert_eq!(class, expected, "{prefix} of {}", network.name);
        }
    }
}
