//! What the offline IP intelligence knows about an address.
//!
//! The types live here rather than in the enrichment crate so that the store, the learning stages and the
//! exporters can read enriched events without depending on the lookup tables.

use serde::{Deserialize, Serialize};

/// The kind of network an address belongs to, as far as the offline data can tell.
///
/// The order of the variants is not a ranking; detection models decide how much each class matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IpClass {
    /// An access network: a residential or business ISP.
    Residential,
    /// A mobile carrier's network.
    Mobile,
    /// A hosting or datacenter provider (VPS, dedicated servers).
    Hosting,
    /// A commercial VPN or proxy service's exit.
    Vpn,
    /// A Tor exit relay.
    Tor,
    /// A public cloud provider (AWS, Azure, GCP, ...), outside Microsoft's own service ranges.
    Cloud,
    /// Microsoft's own service ranges (Entra ID, Exchange Online, Microsoft 365 front ends).
    Microsoft,
    /// A content delivery network.
    Cdn,
    /// Private, loopback, link-local, documentation or other non-routable space.
    Private,
    /// Routable, but no source places it in a class.
    Unknown,
}

impl IpClass {
    /// Returns the lower-case name used in summaries, the store and exported findings.
    pub fn as_str(self) -> &'static str {
        match self {
            IpClass::Residential => "residential",
            IpClass::Mobile => "mobile",
            IpClass::Hosting => "hosting",
            IpClass::Vpn => "vpn",
            IpClass::Tor => "tor",
            IpClass::Cloud => "cloud",
            IpClass::Microsoft => "microsoft",
            IpClass::Cdn => "cdn",
            IpClass::Private => "private",
            IpClass::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for IpClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The enrichment attached to an event's client address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpInfo {
    /// Autonomous system number, when the address is announced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asn: Option<u32>,
    /// The autonomous system's organisation name as the registry data spells it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_org: Option<String>,
    /// ISO 3166-1 alpha-2 country code of the range's registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The network class.
    pub class: IpClass,
    /// The provider or service named by the range list that set the class (for example "Mullvad" or
    /// "Microsoft Azure"), when a list did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}
