//! The features of an event that baselines learn and score.

use std::net::IpAddr;

use harrier_model::{Activity, Event, IpClass};
use serde::{Deserialize, Serialize};

use crate::sketch::Key;

/// A categorical feature of where and how a user works.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// The autonomous system of the client address.
    Asn,
    /// The country of the client address, from the offline IP data.
    Country,
    /// The network class of the client address (residential, hosting, VPN, ...).
    IpClass,
    /// The client's /24 (IPv4) or /48 (IPv6) network.
    Network,
    /// The browser or client family and operating system named by the user agent.
    UserAgent,
    /// The device id, or the operating system and browser when the source names no device.
    Device,
    /// The client app or protocol of a sign-in (`Browser`, `IMAP4`, ...).
    ClientApp,
    /// The application signed in to.
    Application,
    /// The operation performed (`New-InboxRule`, `Add-MailboxPermission`, `Consent to application`), so
    /// habits such as an administrator's routine changes are learned.
    Operation,
}

/// Every feature, in the order profiles store them.
pub const FEATURES: [Feature; 9] = [
    Feature::Asn,
    Feature::Country,
    Feature::IpClass,
    Feature::Network,
    Feature::UserAgent,
    Feature::Device,
    Feature::ClientApp,
    Feature::Application,
    Feature::Operation,
];

impl Feature {
    pub fn index(self) -> usize {
        FEATURES.iter().position(|f| *f == self).expect("every feature is listed")
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Feature::Asn => "asn",
            Feature::Country => "country",
            Feature::IpClass => "ip_class",
            Feature::Network => "network",
            Feature::UserAgent => "user_agent",
            Feature::Device => "device",
            Feature::ClientApp => "client_app",
            Feature::Application => "application",
            Feature::Operation => "operation",
        }
    }

    /// Returns how a sketch key of this feature reads in a report, for features whose keys keep their value.
    pub fn describe(self, key: Key) -> Option<String> {
        match self {
            Feature::Asn => Some(format!("AS{key}")),
            Feature::Country => unpack_country(key),
            Feature::IpClass => IP_CLASSES.get(key as usize).map(|class| class.as_str().to_owned()),
            _ => None,
        }
    }
}

const IP_CLASSES: [IpClass; 10] = [
    IpClass::Residential,
    IpClass::Mobile,
    IpClass::Hosting,
    IpClass::Vpn,
    IpClass::Tor,
    IpClass::Cloud,
    IpClass::Microsoft,
    IpClass::Cdn,
    IpClass::Private,
    IpClass::Unknown,
];

/// The feature values of one event, indexed like [`FEATURES`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Observation {
    pub values: [Option<Key>; 9],
}

impl Observation {
    pub fn get(&self, feature: Feature) -> Option<Key> {
        self.values[feature.index()]
    }

    fn set(&mut self, feature: Feature, value: Option<Key>) {
        self.values[feature.index()] = value;
    }

    pub fn present(&self) -> impl Iterator<Item = (Feature, Key)> + '_ {
        FEATURES.iter().zip(self.values).filter_map(|(feature, value)| Some((*feature, value?)))
    }
}

/// Extracts the features of an event's client and, for sign-ins, of the sign-in itself.
pub fn observe(event: &Event) -> Observation {
    let mut observation = Observation::default();
    if let Some(info) = &event.ip_info {
        observation.set(Feature::Asn, info.asn.map(u64::from));
        observation.set(Feature::Country, info.country.as_deref().map(pack_country));
        observation.set(Feature::IpClass, IP_CLASSES.iter().position(|c| *c == info.class).map(|i| i as u64));
    }
    observation.set(Feature::Network, event.client.ip.map(network_key));
    observation.set(Feature::UserAgent, event.client.user_agent.as_deref().map(|ua| hash(&user_agent_family(ua))));
    observation.set(Feature::Operation, Some(operation_key(&event.operation)));
    if let Activity::SignIn(sign_in) = &event.activity {
        let device = sign_in.device.as_ref().and_then(|device| {
            let id = device.id.as_deref().filter(|id| !id.is_empty() && *id != "00000000-0000-0000-0000-000000000000");
            match id {
                Some(id) => Some(hash(id)),
                None => {
                    let os = device.operating_system.as_deref().unwrap_or("");
                    let browser = device.browser.as_deref().unwrap_or("").split(' ').next().unwrap_or("");
                    (!os.is_empty() || !browser.is_empty()).then(|| hash(&format!("{os}|{browser}")))
                }
            }
        });
        observation.set(Feature::Device, device);
        observation.set(Feature::ClientApp, sign_in.client_app.as_deref().map(hash));
        let application = sign_in.application.id.as_deref().or(sign_in.application.name.as_deref());
        observation.set(Feature::Application, application.map(|a| hash(&a.to_ascii_lowercase())));
    }
    observation
}

/// Returns the sketch key of an operation name, ignoring case and a trailing period.
pub fn operation_key(operation: &str) -> Key {
    hash(&operation.trim().trim_end_matches('.').to_ascii_lowercase())
}

/// Hashes text into a sketch key; stable across runs and platforms.
pub fn hash(text: &str) -> Key {
    xxhash_rust::xxh3::xxh3_64(text.as_bytes())
}

fn pack_country(code: &str) -> Key {
    code.bytes().take(2).fold(0u64, |acc, b| (acc << 8) | u64::from(b.to_ascii_uppercase()))
}

fn unpack_country(key: Key) -> Option<String> {
    let bytes = [(key >> 8) as u8, key as u8];
    bytes.iter().all(u8::is_ascii_uppercase).then(|| String::from_utf8_lossy(&bytes).into_owned())
}

fn network_key(ip: IpAddr) -> Key {
    match ip {
        IpAddr::V4(v4) => u64::from(u32::from(v4) & 0xffff_ff00),
        IpAddr::V6(v6) => (u128::from(v6) >> 80) as u64 | (1 << 63),
    }
}

/// Reduces a user agent to its client family and operating system (`Edge/Windows`, `Outlook/Windows`,
/// `python-requests/unknown`), so browser updates do not read as a new client.
pub fn user_agent_family(user_agent: &str) -> String {
    const CLIENTS: [(&str, &str); 14] = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("Microsoft Outlook", "Outlook"),
        ("Outlook-iOS", "Outlook"),
        ("Outlook-Android", "Outlook"),
        ("Teams", "Teams"),
        ("WindowsPowerShell", "PowerShell"),
        ("python", "python"),
        ("curl", "curl"),
        ("okhttp", "okhttp"),
        ("Go-http-client", "Go"),
    ];
    const SYSTEMS: [(&str, &str); 6] = [
        ("iPhone", "iOS"),
        ("iPad", "iOS"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ];
    let client = CLIENTS.iter().find(|(marker, _)| user_agent.contains(marker)).map_or_else(
        || user_agent.split(['/', ' ']).next().unwrap_or("").to_ascii_lowercase(),
        |(_, name)| (*name).to_owned(),
    );
    let system = SYSTEMS.iter().find(|(marker, _)| user_agent.contains(marker)).map_or("unknown", |(_, name)| name);
    format!("{client}/{system}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agent_families() {
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/90.0 Safari/537.36 Edg/90.0";
        assert_eq!(user_agent_family(edge), "Edge/Windows");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(user_agent_family(safari), "Safari/iOS");
        assert_eq!(user_agent_family("python-requests/2.31"), "python/unknown");
    }

    #[test]
    fn country_keys_round_trip() {
        assert_eq!(Feature::Country.describe(pack_country("de")), Some("DE".to_owned()));
        assert_eq!(Feature::Asn.describe(3320), Some("AS3320".to_owned()));
    }
}
