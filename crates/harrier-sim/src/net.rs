//! The networks simulated users and attackers connect from.
//!
//! Every prefix is a real allocation of the named autonomous system. The `ip_ranges` test checks each
//! one against the IP data harrier ships, so the simulated addresses enrich the way real ones would.
//! Residential users land on their ISP's ASN, the service accounts on Azure and AWS, and the attackers
//! on hosting providers such as AS396073 (Majestic Hosting).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rand::Rng;

use crate::geo::{self, City};
use crate::rng::SimRng;

/// The role of a network in the simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkKind {
    /// A home broadband ISP.
    Residential,
    /// A mobile carrier.
    Mobile,
    /// The business line an office's egress address is on.
    Business,
    /// The corporate VPN provider's exit nodes.
    Vpn,
    /// A public cloud (Azure, AWS), used by service accounts.
    Cloud,
    /// A hosting or VPS provider, used by attackers.
    Hosting,
}

/// An IPv4 or IPv6 prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prefix {
    V4(u32, u8),
    V6(u128, u8),
}

impl Prefix {
    const fn v4(a: u8, b: u8, c: u8, d: u8, length: u8) -> Prefix {
        Prefix::V4(u32::from_be_bytes([a, b, c, d]), length)
    }

    /// Returns the number of addresses, saturated at `u64::MAX`.
    pub fn size(&self) -> u64 {
        match *self {
            Prefix::V4(_, length) => 1u64 << (32 - u32::from(length)),
            Prefix::V6(_, length) if length <= 64 => u64::MAX,
            Prefix::V6(_, length) => 1u64 << (128 - u32::from(length)),
        }
    }

    /// Returns the address at `offset` into the prefix (wrapping), avoiding IPv4 `.0` and `.255` hosts.
    pub fn address(&self, offset: u64) -> IpAddr {
        match *self {
            Prefix::V4(base, _) => {
                let host = (offset % self.size()) as u32;
                let host = match host & 0xFF {
                    0 => host | 1,
                    255 => host - 1,
                    _ => host,
                };
                IpAddr::V4(Ipv4Addr::from(base | host))
            }
            Prefix::V6(base, length) => {
                let host_bits = 128 - u32::from(length);
                let mask = if host_bits >= 128 {
                    u128::MAX
                } else {
                    (1u128 << host_bits) - 1
                };
                let spread =
                    u128::from(offset).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835);
                IpAddr::V6(Ipv6Addr::from(base | (spread & mask) | 1))
            }
        }
    }

    /// Returns true when `ip` lies inside the prefix.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (*self, ip) {
            (Prefix::V4(base, length), IpAddr::V4(v4)) => {
                let mask = if length == 0 {
                    0
                } else {
                    u32::MAX << (32 - u32::from(length))
                };
                u32::from(v4) & mask == base
            }
            (Prefix::V6(base, length), IpAddr::V6(v6)) => {
                let mask = if length == 0 {
                    0
                } else {
                    u128::MAX << (128 - u32::from(length))
                };
                u128::from(v6) & mask == base
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for Prefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Prefix::V4(base, length) => write!(f, "{}/{length}", Ipv4Addr::from(base)),
            Prefix::V6(base, length) => write!(f, "{}/{length}", Ipv6Addr::from(base)),
        }
    }
}

/// An autonomous system and the prefixes of it the simulation draws addresses from.
#[derive(Debug)]
pub struct Network {
    pub name: &'static str,
    pub asn: u32,
    /// ISO 3166-1 alpha-2 country code of the prefixes' registration.
    pub country: &'static str,
    pub kind: NetworkKind,
    pub v4: &'static [Prefix],
    /// IPv6 prefixes, used for some Exchange connections of dual-stack homes.
    pub v6: &'static [Prefix],
    /// The cities Entra places addresses of this network in.
    pub cities: &'static [&'static City],
}

impl Network {
    /// Draws an IPv4 address.
    pub(crate) fn random_v4(&self, rng: &mut SimRng) -> IpAddr {
        let prefix = self.v4[rng.random_range(0..self.v4.len())];
        prefix.address(rng.random())
    }

    /// Returns the IPv4 address at a fixed `key`, for addresses that stay the same for a while (a home
    /// line's lease, an office's egress).
    pub(crate) fn stable_v4(&self, key: u64) -> IpAddr {
        let prefix = self.v4[(key % self.v4.len() as u64) as usize];
        prefix.address(key / 7)
    }

    /// Returns the IPv6 address at a fixed `key`, when the network has IPv6 prefixes.
    pub(crate) fn stable_v6(&self, key: u64) -> Option<IpAddr> {
        let prefix = self.v6.get((key % self.v6.len().max(1) as u64) as usize)?;
        Some(prefix.address(key))
    }

    /// Returns true when `ip` lies in one of the network's prefixes.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.v4
            .iter()
            .chain(self.v6)
            .any(|prefix| prefix.contains(ip))
    }
}

macro_rules! network {
    ($ident:ident, $name:literal, $asn:literal, $country:literal, $kind:ident,
     [$(($a:literal, $b:literal, $c:literal, $d:literal, $len:literal)),* $(,)?],
     [$($v6:expr),* $(,)?], [$($city:ident),* $(,)?]) => {
        pub static $ident: Network = Network {
            name: $name,
            asn: $asn,
            country: $country,
            kind: NetworkKind::$kind,
            v4: &[$(Prefix::v4($a, $b, $c, $d, $len)),*],
            v6: &[$($v6),*],
            cities: &[$(&geo::$city),*],
        };
    };
}

// Home broadband.
network!(
    DEUTSCHE_TELEKOM,
    "Deutsche Telekom",
    3320,
    "DE",
    Residential,
    [(79, 192, 0, 0, 10), (91, 0, 0, 0, 10), (87, 128, 0, 0, 10)],
    [],
    [BERLIN, MUNICH, HAMBURG, FRANKFURT]
);
network!(
    VODAFONE_DE,
    "Vodafone Germany",
    3209,
    "DE",
    Residential,
    [(88, 64, 0, 0, 12), (92, 72, 0, 0, 13), (84, 56, 0, 0, 13)],
    [],
    [BERLIN, MUNICH, HAMBURG, FRANKFURT]
);
network!(
    TELEFONICA_DE,
    "Telefonica Germany",
    6805,
    "DE",
    Residential,
    [(77, 0, 0, 0, 12), (78, 48, 0, 0, 13)],
    [],
    [BERLIN, MUNICH, HAMBURG]
);
network!(
    BT,
    "British Telecommunications",
    2856,
    "GB",
    Residential,
    [
        (86, 128, 0, 0, 10),
        (109, 144, 0, 0, 12),
        (31, 48, 0, 0, 13)
    ],
    [],
    [LONDON, MANCHESTER, BIRMINGHAM]
);
network!(
    VIRGIN_MEDIA,
    "Virgin Media",
    5089,
    "GB",
    Residential,
    [(86, 0, 0, 0, 13), (81, 96, 0, 0, 12), (62, 30, 0, 0, 15)],
    [],
    [LONDON, MANCHESTER, BIRMINGHAM]
);
network!(
    SKY_UK,
    "Sky UK",
    5607,
    "GB",
    Residential,
    [(90, 192, 0, 0, 11), (94, 0, 0, 0, 12), (5, 64, 0, 0, 13)],
    [Prefix::V6(0x2a02_0c7c_0000_0000_0000_0000_0000_0000, 30)],
    [LONDON, MANCHESTER]
);
network!(
    ORANGE_FR,
    "Orange France",
    3215,
    "FR",
    Residential,
    [(90, 0, 0, 0, 11), (90, 32, 0, 0, 11), (92, 128, 0, 0, 11)],
    [],
    [PARIS, LYON, TOULOUSE]
);
network!(
    FREE_FR,
    "Free",
    12322,
    "FR",
    Residential,
    [
        (82, 224, 0, 0, 11),
        (88, 160, 0, 0, 11),
        (78, 192, 0, 0, 12)
    ],
    [],
    [PARIS, LYON, TOULOUSE]
);
network!(
    SFR,
    "SFR",
    15557,
    "FR",
    Residential,
    [(77, 192, 0, 0, 12), (93, 0, 0, 0, 11), (109, 0, 0, 0, 13)],
    [],
    [PARIS, LYON]
);
network!(
    COMCAST,
    "Comcast",
    7922,
    "US",
    Residential,
    [(73, 0, 0, 0, 8), (98, 192, 0, 0, 10), (24, 0, 0, 0, 12)],
    [Prefix::V6(0x2601_0000_0000_0000_0000_0000_0000_0000, 20)],
    [NEW_YORK, BOSTON, CHICAGO]
);
network!(
    ATT,
    "AT&T",
    7018,
    "US",
    Residential,
    [(99, 0, 0, 0, 10)],
    [],
    [NEW_YORK, CHICAGO, SAN_FRANCISCO]
);
network!(
    TELEFONICA_ES,
    "Telefonica de Espana",
    3352,
    "ES",
    Residential,
    [(83, 32, 0, 0, 11), (88, 0, 0, 0, 11)],
    [],
    [MADRID, BARCELONA]
);
network!(
    TIM,
    "Telecom Italia",
    3269,
    "IT",
    Residential,
    [(79, 0, 0, 0, 10), (87, 0, 0, 0, 11)],
    [],
    [ROME, MILAN]
);
network!(
    KPN,
    "KPN",
    1136,
    "NL",
    Residential,
    [(77, 160, 0, 0, 12)],
    [],
    [AMSTERDAM]
);
network!(
    ZIGGO,
    "Vodafone Libertel (Ziggo)",
    33915,
    "NL",
    Residential,
    [(84, 24, 0, 0, 13)],
    [],
    [AMSTERDAM]
);
network!(
    NTT_OCN,
    "NTT Communications (OCN)",
    4713,
    "JP",
    Residential,
    [(114, 144, 0, 0, 12), (153, 128, 0, 0, 10)],
    [],
    [TOKYO, OSAKA]
);
network!(
    ROGERS,
    "Rogers",
    812,
    "CA",
    Residential,
    [(99, 224, 0, 0, 12)],
    [],
    [TORONTO]
);
network!(
    TELSTRA,
    "Telstra",
    1221,
    "AU",
    Residential,
    [(1, 120, 0, 0, 14)],
    [],
    [SYDNEY]
);
network!(
    VNPT,
    "VNPT",
    45899,
    "VN",
    Residential,
    [(14, 160, 0, 0, 11), (113, 160, 0, 0, 11)],
    [],
    [HANOI, HO_CHI_MINH_CITY]
);
network!(
    MTN_NG,
    "MTN Nigeria",
    29465,
    "NG",
    Residential,
    [(102, 88, 0, 0, 14)],
    [],
    [LAGOS]
);

// Mobile carriers. The German carriers announce mobile and fixed lines from one ASN.
network!(
    TELEKOM_MOBILE,
    "Deutsche Telekom (mobile)",
    3320,
    "DE",
    Mobile,
    [(80, 187, 0, 0, 16)],
    [],
    [BERLIN, MUNICH, HAMBURG, FRANKFURT]
);
network!(
    VODAFONE_DE_MOBILE,
    "Vodafone Germany (mobile)",
    3209,
    "DE",
    Mobile,
    [(109, 40, 0, 0, 13)],
    [],
    [BERLIN, MUNICH, HAMBURG]
);
network!(
    THREE_UK,
    "Three UK",
    206067,
    "GB",
    Mobile,
    [(92, 40, 0, 0, 16)],
    [],
    [LONDON, MANCHESTER]
);
network!(
    BOUYGUES,
    "Bouygues Telecom",
    5410,
    "FR",
    Mobile,
    [(176, 128, 0, 0, 10), (89, 80, 0, 0, 12)],
    [],
    [PARIS, LYON]
);
network!(
    T_MOBILE_US,
    "T-Mobile USA",
    21928,
    "US",
    Mobile,
    [(172, 32, 0, 0, 11)],
    [],
    [NEW_YORK, CHICAGO, BOSTON]
);
network!(
    VERIZON_WIRELESS,
    "Verizon Wireless",
    22394,
    "US",
    Mobile,
    [(174, 192, 0, 0, 16)],
    [],
    [NEW_YORK, BOSTON]
);
network!(
    ATT_MOBILITY,
    "AT&T Mobility",
    20057,
    "US",
    Mobile,
    [(166, 170, 0, 0, 16)],
    [],
    [NEW_YORK, CHICAGO]
);

// Office egress lines.
network!(
    OFFICE_BERLIN,
    "Deutsche Telekom (business)",
    3320,
    "DE",
    Business,
    [(217, 86, 0, 0, 16)],
    [],
    [BERLIN]
);
network!(
    OFFICE_LONDON,
    "British Telecommunications (business)",
    2856,
    "GB",
    Business,
    [(81, 128, 0, 0, 12)],
    [],
    [LONDON]
);
network!(
    OFFICE_PARIS,
    "Orange France (business)",
    3215,
    "FR",
    Business,
    [(86, 192, 0, 0, 11)],
    [],
    [PARIS]
);
network!(
    OFFICE_NEW_YORK,
    "Cogent Communications",
    174,
    "US",
    Business,
    [(38, 104, 0, 0, 18)],
    [],
    [NEW_YORK]
);

// The corporate VPN: Zscaler, whose European nodes announce AS62044 and US nodes AS22616.
network!(
    ZSCALER_DE,
    "Zscaler",
    62044,
    "DE",
    Vpn,
    [(165, 225, 72, 0, 22)],
    [],
    [FRANKFURT]
);
network!(
    ZSCALER_FR,
    "Zscaler",
    62044,
    "FR",
    Vpn,
    [(165, 225, 76, 0, 22)],
    [],
    [PARIS]
);
network!(
    ZSCALER_GB,
    "Zscaler",
    62044,
    "GB",
    Vpn,
    [(165, 225, 80, 0, 23)],
    [],
    [LONDON]
);
network!(
    ZSCALER_US,
    "Zscaler",
    22616,
    "US",
    Vpn,
    [(165, 225, 0, 0, 24)],
    [],
    [NEW_YORK]
);

// Public clouds, where service accounts run.
network!(
    AZURE_DE,
    "Microsoft Azure",
    8075,
    "DE",
    Cloud,
    [(20, 79, 0, 0, 16), (51, 116, 0, 0, 16)],
    [],
    [FRANKFURT]
);
network!(
    AWS_DE,
    "Amazon Web Services",
    16509,
    "DE",
    Cloud,
    [(18, 194, 0, 0, 15), (3, 120, 0, 0, 14)],
    [],
    [FRANKFURT]
);
network!(
    AWS_GB,
    "Amazon Web Services",
    16509,
    "GB",
    Cloud,
    [(3, 8, 0, 0, 14), (18, 130, 0, 0, 16)],
    [],
    [LONDON]
);

// Hosting and VPS providers, where attackers run.
network!(
    MAJESTIC,
    "Majestic Hosting",
    396073,
    "US",
    Hosting,
    [(45, 62, 170, 0, 24)],
    [],
    [ASHBURN]
);
network!(
    DIGITALOCEAN_US,
    "DigitalOcean",
    14061,
    "US",
    Hosting,
    [(167, 99, 96, 0, 19)],
    [],
    [ASHBURN]
);
network!(
    DIGITALOCEAN_NL,
    "DigitalOcean",
    14061,
    "NL",
    Hosting,
    [(188, 166, 0, 0, 18)],
    [],
    [AMSTERDAM]
);
network!(
    DIGITALOCEAN_GB,
    "DigitalOcean",
    14061,
    "GB",
    Hosting,
    [(46, 101, 0, 0, 18)],
    [],
    [LONDON]
);
network!(
    VULTR_US,
    "Vultr",
    20473,
    "US",
    Hosting,
    [(45, 76, 0, 0, 19)],
    [],
    [ASHBURN]
);
network!(
    HETZNER_FI,
    "Hetzner",
    24940,
    "FI",
    Hosting,
    [(95, 216, 0, 0, 16)],
    [],
    [HELSINKI]
);
network!(
    HETZNER_DE,
    "Hetzner",
    24940,
    "DE",
    Hosting,
    [(116, 202, 0, 0, 16)],
    [],
    [NUREMBERG]
);
network!(
    M247_RO,
    "M247",
    9009,
    "RO",
    Hosting,
    [(37, 120, 192, 0, 19)],
    [],
    [BUCHAREST]
);
network!(
    LEASEWEB_NL,
    "Leaseweb",
    60781,
    "NL",
    Hosting,
    [(5, 79, 64, 0, 18)],
    [],
    [AMSTERDAM]
);

/// Every network, for checks and for looking an address up.
pub static ALL: &[&Network] = &[
    &DEUTSCHE_TELEKOM,
    &VODAFONE_DE,
    &TELEFONICA_DE,
    &BT,
    &VIRGIN_MEDIA,
    &SKY_UK,
    &ORANGE_FR,
    &FREE_FR,
    &SFR,
    &COMCAST,
    &ATT,
    &TELEFONICA_ES,
    &TIM,
    &KPN,
    &ZIGGO,
    &NTT_OCN,
    &ROGERS,
    &TELSTRA,
    &VNPT,
    &MTN_NG,
    &TELEKOM_MOBILE,
    &VODAFONE_DE_MOBILE,
    &THREE_UK,
    &BOUYGUES,
    &T_MOBILE_US,
    &VERIZON_WIRELESS,
    &ATT_MOBILITY,
    &OFFICE_BERLIN,
    &OFFICE_LONDON,
    &OFFICE_PARIS,
    &OFFICE_NEW_YORK,
    &ZSCALER_DE,
    &ZSCALER_FR,
    &ZSCALER_GB,
    &ZSCALER_US,
    &AZURE_DE,
    &AWS_DE,
    &AWS_GB,
    &MAJESTIC,
    &DIGITALOCEAN_US,
    &DIGITALOCEAN_NL,
    &DIGITALOCEAN_GB,
    &VULTR_US,
    &HETZNER_FI,
    &HETZNER_DE,
    &M247_RO,
    &LEASEWEB_NL,
];

/// Hosting networks attackers pick from.
pub(crate) static HOSTING: &[&Network] = &[
    &MAJESTIC,
    &DIGITALOCEAN_US,
    &DIGITALOCEAN_NL,
    &DIGITALOCEAN_GB,
    &VULTR_US,
    &HETZNER_FI,
    &HETZNER_DE,
    &M247_RO,
    &LEASEWEB_NL,
];

/// Residential networks of countries no simulated user lives in or travels to, used as residential
/// proxies by attackers.
pub(crate) static PROXY_RESIDENTIAL: &[&Network] = &[&VNPT, &MTN_NG];

/// Cloud networks service accounts run in.
pub(crate) static CLOUD: &[&Network] = &[&AZURE_DE, &AWS_DE, &AWS_GB];

/// Returns the home broadband networks of a country.
pub(crate) fn residential(country: &str) -> &'static [&'static Network] {
    match country {
        "DE" => {
            static LIST: [&Network; 3] = [&DEUTSCHE_TELEKOM, &VODAFONE_DE, &TELEFONICA_DE];
            &LIST
        }
        "GB" => {
            static LIST: [&Network; 3] = [&BT, &VIRGIN_MEDIA, &SKY_UK];
            &LIST
        }
        "FR" => {
            static LIST: [&Network; 3] = [&ORANGE_FR, &FREE_FR, &SFR];
            &LIST
        }
        "US" => {
            static LIST: [&Network; 2] = [&COMCAST, &ATT];
            &LIST
        }
        "ES" => {
            static LIST: [&Network; 1] = [&TELEFONICA_ES];
            &LIST
        }
        "IT" => {
            static LIST: [&Network; 1] = [&TIM];
            &LIST
        }
        "NL" => {
            static LIST: [&Network; 2] = [&KPN, &ZIGGO];
            &LIST
        }
        "JP" => {
            static LIST: [&Network; 1] = [&NTT_OCN];
            &LIST
        }
        "CA" => {
            static LIST: [&Network; 1] = [&ROGERS];
            &LIST
        }
        "AU" => {
            static LIST: [&Network; 1] = [&TELSTRA];
            &LIST
        }
        _ => &[],
    }
}

/// Returns the mobile carriers of a country.
pub(crate) fn mobile(country: &str) -> &'static [&'static Network] {
    match country {
        "DE" => {
            static LIST: [&Network; 2] = [&TELEKOM_MOBILE, &VODAFONE_DE_MOBILE];
            &LIST
        }
        "GB" => {
            static LIST: [&Network; 1] = [&THREE_UK];
            &LIST
        }
        "FR" => {
            static LIST: [&Network; 1] = [&BOUYGUES];
            &LIST
        }
        "US" => {
            static LIST: [&Network; 3] = [&T_MOBILE_US, &VERIZON_WIRELESS, &ATT_MOBILITY];
            &LIST
        }
        _ => &[],
    }
}

/// Returns the corporate VPN's exit network for users of a country.
pub(crate) fn vpn(country: &str) -> &'static Network {
    match country {
        "DE" => &ZSCALER_DE,
        "FR" => &ZSCALER_FR,
        "GB" => &ZSCALER_GB,
        _ => &ZSCALER_US,
    }
}

/// Returns the network an address was drawn from.
pub fn network_of(ip: IpAddr) -> Option<&'static Network> {
    ALL.iter().copied().find(|network| network.contains(ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_stay_inside_their_prefix() {
        for network in ALL {
            for prefix in network.v4.iter().chain(network.v6) {
                for offset in [0u64, 1, 255, 256, 12_345_678, u64::MAX] {
                    let ip = prefix.address(offset);
                    assert!(prefix.contains(ip), "{ip} outside {prefix}");
                }
            }
        }
    }

    #[test]
    fn host_parts_avoid_zero_and_broadcast() {
        let prefix = Prefix::v4(45, 62, 170, 0, 24);
        assert_eq!(prefix.address(0).to_string(), "45.62.170.1");
        assert_eq!(prefix.address(255).to_string(), "45.62.170.254");
    }
}
