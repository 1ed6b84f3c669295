//! The client address of a request that may have come through reverse proxies.
//!
//! A reverse proxy appends the address it received the request from to `X-Forwarded-For`, so the list
//! reads client first and nearest proxy last. Anyone can send the header, so it is read only when the
//! TCP peer is a trusted proxy. It is then read from the right, skipping each address that is itself a
//! trusted proxy, and the first address that is not one is the client. Addresses to the left of it were
//! written by the client or by untrusted proxies, so they are never used.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use ipnet::IpNet;

/// An address or network, in CIDR form, of a trusted reverse proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProxyNetwork(IpNet);

/// The error for a trusted proxy that is neither an IP address nor a network in CIDR form.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an IP address or a network such as 10.0.0.0/8")]
pub struct InvalidProxyNetwork(pub String);

impl FromStr for ProxyNetwork {
    type Err = InvalidProxyNetwork;

    fn from_str(text: &str) -> Result<ProxyNetwork, InvalidProxyNetwork> {
        let trimmed = text.trim();
        if let Ok(network) = trimmed.parse::<IpNet>() {
            return Ok(ProxyNetwork(network.trunc()));
        }
        trimmed
            .parse::<IpAddr>()
            .map(|address| ProxyNetwork(IpNet::from(canonical_ip(address))))
            .map_err(|_| InvalidProxyNetwork(text.to_owned()))
    }
}

impl fmt::Display for ProxyNetwork {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(formatter)
    }
}

/// The reverse proxies whose `X-Forwarded-For` header is believed. Empty by default, so the header is
/// ignored and a client cannot choose the address recorded for it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "Vec<String>")]
pub struct TrustedProxies {
    networks: Vec<ProxyNetwork>,
}

impl TryFrom<Vec<String>> for TrustedProxies {
    type Error = InvalidProxyNetwork;

    fn try_from(entries: Vec<String>) -> Result<TrustedProxies, InvalidProxyNetwork> {
        let networks = entries.iter().map(|entry| entry.parse()).collect::<Result<_, _>>()?;
        Ok(TrustedProxies { networks })
    }
}

impl FromIterator<ProxyNetwork> for TrustedProxies {
    fn from_iter<I: IntoIterator<Item = ProxyNetwork>>(networks: I) -> TrustedProxies {
        TrustedProxies { networks: networks.into_iter().collect() }
    }
}

impl TrustedProxies {
    pub fn is_empty(&self) -> bool {
        self.networks.is_empty()
    }

    pub fn networks(&self) -> &[ProxyNetwork] {
        &self.networks
    }

    fn contains(&self, address: IpAddr) -> bool {
        self.networks.iter().any(|network| network.0.contains(&address))
    }

    /// Returns the client address of a request whose TCP peer is `peer` and whose `X-Forwarded-For`
    /// header fields are `forwarded_for`, in the order they were received.
    ///
    /// When the peer is not trusted, the peer is the client. Otherwise the right-most address that is not
    /// a trusted proxy is. An entry that is not an address (text, an empty entry, bytes that are not
    /// UTF-8) stops the walk, because nothing shows whether a proxy or the client wrote it. The left-most
    /// trusted proxy reached so far is returned instead.
    pub fn client_ip<'a>(&self, peer: IpAddr, forwarded_for: impl IntoIterator<Item = &'a [u8]>) -> IpAddr {
        let mut client = canonical_ip(peer);
        if !self.contains(client) {
            return client;
        }
        let fields: Vec<&[u8]> = forwarded_for.into_iter().collect();
        let entries = fields.iter().rev().flat_map(|field| field.rsplit(|&byte| byte == b','));
        for entry in entries {
            let Some(address) = forwarded_address(entry) else { break };
            client = address;
            if !self.contains(address) {
                break;
            }
        }
        client
    }
}

/// Parses one `X-Forwarded-For` entry: an IPv4 or IPv6 address, optionally with a port (`192.0.2.1:443`,
/// `[2001:db8::1]:443`) or in brackets, as some proxies write it.
fn forwarded_address(entry: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(entry).ok()?.trim();
    let address = text
        .parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|socket| socket.ip()))
        .or_else(|| text.strip_prefix('[')?.strip_suffix(']')?.parse::<IpAddr>().ok())?;
    Some(canonical_ip(address))
}

/// Maps an IPv4-mapped IPv6 address (from a dual-stack listener) to IPv4.
fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(entries: &[&str]) -> TrustedProxies {
        entries.iter().map(|entry| entry.parse().expect("a valid proxy")).collect()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("a valid address")
    }

    fn client(proxies: &TrustedProxies, peer: &str, fields: &[&str]) -> IpAddr {
        proxies.client_ip(ip(peer), fields.iter().map(|field| field.as_bytes()))
    }

    #[test]
    fn untrusted_peer_ignores_header() {
        let none = TrustedProxies::default();
        assert_eq!(client(&none, "198.51.100.7", &["203.0.113.9"]), ip("198.51.100.7"));

        let other = proxies(&["10.0.0.0/8"]);
        assert_eq!(client(&other, "198.51.100.7", &["203.0.113.9"]), ip("198.51.100.7"));
    }

    #[test]
    fn trusted_peer_gives_client() {
        let trusted = proxies(&["10.0.0.5"]);
        assert_eq!(client(&trusted, "10.0.0.5", &["203.0.113.9"]), ip("203.0.113.9"));
        assert_eq!(client(&trusted, "10.0.0.5", &[]), ip("10.0.0.5"), "no header leaves the peer");
    }

    #[test]
    fn proxy_chain_skips_trusted_hops() {
        let trusted = proxies(&["10.0.0.0/8", "2001:db8:1::/48"]);
        // The client forged the first entry. Each trusted proxy appended the address it received from.
        let fields = ["1.2.3.4, 203.0.113.9, 10.1.1.1", "10.2.2.2"];
        assert_eq!(client(&trusted, "10.3.3.3", &fields), ip("203.0.113.9"));
        assert_eq!(client(&trusted, "2001:db8:1::9", &["2001:db8:2::7, 2001:db8:1::3"]), ip("2001:db8:2::7"));
        assert_eq!(
            client(&trusted, "10.3.3.3", &["10.9.9.9, 10.8.8.8"]),
            ip("10.9.9.9"),
            "when every entry is a trusted proxy, the left-most one is the client"
        );
    }

    #[test]
    fn malformed_entries_ignored() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let cases: [(&[&str], &str); 7] = [
            (&["not-an-address"], "10.3.3.3"),
            (&[""], "10.3.3.3"),
            (&["203.0.113.9, unknown, 10.1.1.1"], "10.1.1.1"),
            (&["203.0.113.9,,10.1.1.1"], "10.1.1.1"),
            (&["999.1.1.1"], "10.3.3.3"),
            (&["203.0.113.9:5555"], "203.0.113.9"),
            (&["[2001:db8::9]:443"], "2001:db8::9"),
        ];
        for (fields, expected) in cases {
            assert_eq!(client(&trusted, "10.3.3.3", fields), ip(expected), "{fields:?}");
        }
        let not_text: &[u8] = b"203.0.113.9, \xff\xfe";
        assert_eq!(trusted.client_ip(ip("10.3.3.3"), [not_text]), ip("10.3.3.3"));
    }

    #[test]
    fn mapped_peer_matches_ipv4_network() {
        let trusted = proxies(&["127.0.0.1"]);
        assert_eq!(client(&trusted, "::ffff:127.0.0.1", &["203.0.113.9"]), ip("203.0.113.9"));
        assert_eq!(client(&trusted, "127.0.0.1", &["::ffff:203.0.113.9"]), ip("203.0.113.9"));
    }

    #[test]
    fn proxy_network_parsing() {
        assert_eq!("10.1.2.3/8".parse::<ProxyNetwork>().map(|n| n.to_string()), Ok("10.0.0.0/8".to_owned()));
        assert_eq!(" ::1 ".parse::<ProxyNetwork>().map(|n| n.to_string()), Ok("::1/128".to_owned()));
        for bad in ["", "proxy.example", "10.0.0.0/33", "10.0.0.1:80"] {
            let error = bad.parse::<ProxyNetwork>().expect_err(bad);
            assert!(error.to_string().contains("is not an IP address"), "{error}");
        }
        let parsed: Result<TrustedProxies, _> = vec!["10.0.0.0/8".to_owned(), "nope".to_owned()].try_into();
        assert_eq!(parsed, Err(InvalidProxyNetwork("nope".to_owned())));
    }
}
