//! Lookups against the shipped snapshot. Expected values are what the 2026-12-04 snapshot holds:
//! rebuilding it from newer source packages may move some of them, and then the failing
//! assertion names the address to recheck.

use std::net::IpAddr;
use std::sync::LazyLock;

use harrier_enrich::{IpInfoRef, IpIntel};
use harrier_model::{IpClass, IpInfo};

static INTEL: LazyLock<IpIntel> =
    LazyLock::new(|| IpIntel::embedded().expect("the shipped snapshot loads"));

fn lookup(text: &str) -> IpInfoRef<'static> {
    let ip: IpAddr = text.parse().unwrap();
    INTEL.lookup_ref(ip)
}

#[test]
fn majestic_hosting_by_asn_list() {
    let info = lookup("45.62.170.237");

    assert_eq!(info.asn, Some(396073));
    assert_eq!(info.as_org, Some("Majestic Hosting Solutions, LLC"));
    assert_eq!(info.country, Some("US"));
    assert_eq!(info.class, IpClass::Hosting);
    assert_eq!(
        info.provider,
        Some("Majestic Hosting"),
        "the class comes from hosting-asns.txt"
    );
}

#[test]
fn lookup_returns_owned_copy() {
    let ip: IpAddr = "45.62.170.237".parse().unwrap();
    let owned = INTEL.lookup(ip);

    assert_eq!(
        owned,
        IpInfo {
            asn: Some(396073),
            as_org: Some("Majestic Hosting Solutions, LLC".to_owned()),
            country: Some("US".to_owned()),
            class: IpClass::Hosting,
            provider: Some("Majestic Hosting".to_owned()),
        }
    );
    assert_eq!(IpInfo::from(INTEL.lookup_ref(ip)), owned);
}

#[test]
fn ipv4_mapped_looks_up_as_ipv4() {
    assert_eq!(lookup("::ffff:45.62.170.237"), lookup("45.62.170.237"));
    assert_eq!(lookup("::ffff:127.0.0.1").class, IpClass::Private);
}

#[test]
fn residential_ipv4() {
    let info = lookup("73.0.0.1");

    assert_eq!(info.asn, Some(7922));
    assert_eq!(info.as_org, Some("Comcast Cable Communications, LLC"));
    assert_eq!(info.country, Some("US"));
    assert_eq!(info.class, IpClass::Residential);
    assert_eq!(info.provider, None);
}

#[test]
fn residential_ipv6() {
    let info = lookup("2601:1c0::1");

    assert_eq!(info.asn, Some(7922));
    assert_eq!(info.country, Some("US"));
    assert_eq!(info.class, IpClass::Residential);
}

#[test]
fn hosting_ipv6_from_range_list() {
    let info = lookup("2a01:4f8::1");

    assert_eq!(info.asn, Some(24940));
    assert_eq!(info.as_org, Some("Hetzner Online GmbH"));
    assert_eq!(info.country, Some("DE"));
    assert_eq!(info.class, IpClass::Hosting);
    assert_eq!(info.provider, Some("Hetzner"));
}

#[test]
fn tor_exit_from_range_list() {
    // 185.220.101.1 is a Tor exit in iporigin's list, in an ASN that no ASN list classes.
    let info = lookup("185.220.101.1");
    assert_eq!(info.asn, Some(60729));
    assert_eq!(info.class, IpClass::Tor);
    assert_eq!(info.provider, Some("Tor"));

    // 104.244.72.115 is a Tor exit inside FranTech (AS53667), which hosting-asns.txt lists:
    // Tor outranks the hosting ASN.
    let inside_hosting = lookup("104.244.72.115");
    assert_eq!(inside_hosting.asn, Some(53667));
    assert_eq!(inside_hosting.class, IpClass::Tor);
}

#[test]
fn entra_ranges_are_microsoft() {
    for (address, country) in [
        ("20.190.160.1", "NL"),
        ("40.126.1.1", "IE"),
        ("20.190.128.1", "US"),
    ] {
        let info = lookup(address);
        assert_eq!(info.asn, Some(8075), "{address}");
        assert_eq!(info.as_org, Some("Microsoft Corporation"), "{address}");
        assert_eq!(info.country, Some(country), "{address}");
        assert_eq!(
            info.class,
            IpClass::Microsoft,
            "{address} lies in a login.microsoftonline.com range"
        );
        assert_eq!(info.provider, Some("Microsoft Entra ID"), "{address}");
    }

    let ipv6 = lookup("2603:1006:2000::1");
    assert_eq!(ipv6.class, IpClass::Microsoft);
    assert_eq!(ipv6.provider, Some("Microsoft Entra ID"));
}

#[test]
fn exchange_online_is_microsoft() {
    let info = lookup("52.96.1.1");

    assert_eq!(info.class, IpClass::Microsoft);
    assert_eq!(info.provider, Some("Exchange Online"));
}

#[test]
fn azure_outside_service_ranges_is_cloud() {
    // 20.190.192.1 is past the end of 20.190.128.0/18 but still Azure.
    let info = lookup("20.190.192.1");

    assert_eq!(info.asn, Some(8075));
    assert_eq!(info.class, IpClass::Cloud);
}

#[test]
fn hosting_found_only_by_asn() {
    // None of these providers is in iporigin's range lists.
    let cases = [
        ("2.56.16.1", 9009, "M247"),
        ("2.56.188.1", 62240, "Clouvider"),
        ("5.182.86.1", 210644, "Aeza"),
        ("2.56.8.1", 40676, "Psychz Networks"),
    ];
    for (address, asn, provider) in cases {
        let info = lookup(address);
        assert_eq!(info.asn, Some(asn), "{address}");
        assert_eq!(info.class, IpClass::Hosting, "{address}");
        assert_eq!(info.provider, Some(provider), "{address}");
    }
}

#[test]
fn unlicensed_iporigin_labels_are_absent() {
    // 195.181.160.1 is in iporigin's "DataCamp" ranges, which came from a list without a
    // licence. The class must come from hosting-asns.txt instead.
    let datacamp = lookup("195.181.160.1");
    assert_eq!(datacamp.asn, Some(60068));
    assert_eq!(datacamp.class, IpClass::Hosting);
    assert_eq!(datacamp.provider, Some("Datacamp (CDN77)"));

    // 2.58.4.1 is in iporigin's "Cogent" ranges; Cogent's AS174 is in no ASN list.
    let cogent = lookup("2.58.4.1");
    assert_eq!(cogent.asn, Some(174));
    assert_eq!(cogent.class, IpClass::Residential);
    assert_eq!(cogent.provider, None);
}

#[test]
fn vpn_cloud_and_cdn_ranges() {
    let mullvad = lookup("23.144.160.67");
    assert_eq!(mullvad.class, IpClass::Vpn);
    assert_eq!(mullvad.provider, Some("Mullvad"));

    let relay = lookup("104.28.28.1");
    assert_eq!(relay.class, IpClass::Vpn);
    assert_eq!(relay.provider, Some("Apple Private Relay"));

    let aws = lookup("52.95.110.1");
    assert_eq!(aws.class, IpClass::Cloud);
    assert_eq!(aws.provider, Some("Amazon AWS"));

    let fastly = lookup("23.235.32.1");
    assert_eq!(fastly.class, IpClass::Cdn);
    assert_eq!(fastly.provider, Some("Fastly"));
}

#[test]
fn mobile_carrier_by_asn() {
    let info = lookup("172.58.0.1");

    assert_eq!(info.asn, Some(21928));
    assert_eq!(info.class, IpClass::Mobile);
    assert_eq!(info.provider, Some("T-Mobile USA"));
}

#[test]
fn private_and_loopback() {
    for address in [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.10",
        "172.16.5.4",
        "100.64.1.1",
        "::1",
        "fe80::1",
        "fd12::1",
    ] {
        let info = lookup(address);
        assert_eq!(info.class, IpClass::Private, "{address}");
        assert_eq!(info.asn, None, "{address}");
        assert_eq!(info.country, None, "{address}");
    }
}

#[test]
fn unannounced_is_unknown() {
    // 6.0.0.0/8 is registered to the US Army but not announced.
    let info = lookup("6.0.0.1");

    assert_eq!(info.asn, None);
    assert_eq!(info.country, Some("US"));
    assert_eq!(info.class, IpClass::Unknown);
}

#[test]
fn snapshot_metadata() {
    assert_eq!(INTEL.snapshot_date().to_string(), "2026-12-04");
    assert_eq!(INTEL.snapshot_origin(), "built-in snapshot");

    let sources: Vec<(&str, &str)> = INTEL
        .sources()
        .iter()
        .map(|source| (source.name.as_str(), source.version.as_str()))
        .collect();
    assert_eq!(
        sources,
        [
            ("@ip-location-db/asn", "2.3.2026061719"),
            (
                "@ip-location-db/geo-whois-asn-country-mmdb",
                "2.3.2026061719"
            ),
            ("iporigin", "1.1.2"),
            ("microsoft-ranges.txt", "reviewed"),
        ]
    );
    assert_eq!(INTEL.sources()[0].licence, "CC-BY-4.0");
    assert_eq!(INTEL.sources()[2].data_date.to_string(), "2026-10-05");
    assert!(
        INTEL.range_count() > 1_000_000,
        "only {} range entries",
        INTEL.range_count()
    );
    assert!(
        INTEL.listed_asn_count() > 150,
        "only {} listed ASNs",
        INTEL.listed_asn_count()
    );
}
