//! Addresses that are not routable on the public internet.
//!
//! The standard library's stable predicates cover private, loopback, link-local, multicast,
//! broadcast, documentation and unspecified addresses. The IANA special-purpose ranges it does
//! not cover on stable Rust (shared address space, benchmarking, future use) are listed here.

use std::net::{Ipv4Addr, Ipv6Addr};

/// IPv4 special-purpose ranges not covered by stable `Ipv4Addr` methods, as (network, prefix
/// length), from the IANA IPv4 Special-Purpose Address Registry (RFC 6890 and successors).
const EXTRA_V4: [(u32, u32); 5] = [
    (0x0000_0000, 8),  // 0.0.0.0/8, "this network"
    (0x6440_0000, 10), // 100.64.0.0/10, shared address space for carrier-grade NAT (RFC 6598)
    (0xC000_0000, 24), // 192.0.0.0/24, IETF protocol assignments
    (0xC612_0000, 15), // 198.18.0.0/15, benchmarking (RFC 2544)
    (0xF000_0000, 4),  // 240.0.0.0/4, reserved for future use, with 255.255.255.255
];

/// IPv6 ranges inside global unicast space (2000::/3) that are not routable, as (network,
/// prefix length), from the IANA IPv6 Special-Purpose Address Registry.
const EXTRA_V6: [(u128, u32); 5] = [
    (0x2001_0002_0000_0000_0000_0000_0000_0000, 48), // 2001:2::/48, benchmarking (RFC 5180)
    (0x2001_0010_0000_0000_0000_0000_0000_0000, 28), // 2001:10::/28, ORCHID, deprecated
    (0x2001_0020_0000_0000_0000_0000_0000_0000, 28), // 2001:20::/28, ORCHIDv2 (RFC 7343)
    (0x2001_0db8_0000_0000_0000_0000_0000_0000, 32), // 2001:db8::/32, documentation (RFC 3849)
    (0x3fff_0000_0000_0000_0000_0000_0000_0000, 20), // 3fff::/20, documentation (RFC 9637)
];

/// Returns true for IPv4 addresses that are private, loopback, link-local, multicast, reserved
/// or otherwise not routable on the public internet.
pub(crate) fn is_reserved_v4(address: Ipv4Addr) -> bool {
    if address.is_private()
        || address.is_loopback()
        || address.is_link_local()
        || address.is_multicast()
        || address.is_broadcast()
        || address.is_documentation()
        || address.is_unspecified()
    {
        return true;
    }
    let value = u32::from(address);
    EXTRA_V4
        .iter()
        .any(|&(network, prefix)| value >> (32 - prefix) == network >> (32 - prefix))
}

/// Returns true for IPv6 addresses outside global unicast space (2000::/3), which covers
/// loopback, unique-local, link-local, multicast and unassigned space, and for the
/// non-routable ranges inside it. IPv4-mapped addresses must be converted by the caller.
pub(crate) fn is_reserved_v6(address: Ipv6Addr) -> bool {
    let value = u128::from(address);
    if value >> 125 != 0b001 {
        return true;
    }
    EXTRA_V6
        .iter()
        .any(|&(network, prefix)| value >> (128 - prefix) == network >> (128 - prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_v4_cases() {
        let reserved = [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.10.10",
            "100.64.0.1",
            "100.127.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.5.5",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.251",
            "240.0.0.1",
            "255.255.255.255",
            "0.1.2.3",
        ];
        for text in reserved {
            assert!(
                is_reserved_v4(text.parse().unwrap()),
                "{text} should be reserved"
            );
        }

        let public = [
            "8.8.8.8",
            "100.128.0.1",
            "45.62.170.237",
            "198.20.0.1",
            "223.255.255.255",
        ];
        for text in public {
            assert!(
                !is_reserved_v4(text.parse().unwrap()),
                "{text} should be public"
            );
        }
    }

    #[test]
    fn reserved_v6_cases() {
        let reserved = [
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "2001:db8::1",
            "3fff::1",
            "2001:2::1",
            "2001:10::1",
            "2001:20::1",
            "64:ff9b::1.2.3.4",
        ];
        for text in reserved {
            assert!(
                is_reserved_v6(text.parse().unwrap()),
                "{text} should be reserved"
            );
        }

        let public = [
            "2001:4860:4860::8888",
            "2a01:111:f400::1",
            "2606:4700::1111",
            "2001:3::1",
        ];
        for text in public {
            assert!(
                !is_reserved_v6(text.parse().unwrap()),
                "{text} should be public"
            );
        }
    }
}
