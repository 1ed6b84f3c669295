//! Class precedence and ASN-list overrides, checked on a small snapshot whose contents the test
//! controls (see `TestSnapshot::sample`).

mod common;

use std::net::IpAddr;

use common::TestSnapshot;
use harrier_enrich::{IntelError, IpIntel, IpIntelBuilder};
use harrier_model::IpClass;

fn sample_builder() -> IpIntelBuilder {
    IpIntel::builder().snapshot_bytes(TestSnapshot::sample().encode(), "sample")
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn range_class_beats_asn_list() {
    let intel = sample_builder()
        .builtin_asn_lists(false)
        .asn_list_text("ops", "AS64500\thosting\tExample Hosting")
        .build()
        .unwrap();

    let cloud = intel.lookup_ref(ip("1.0.0.1"));
    assert_eq!(cloud.asn, Some(64500));
    assert_eq!(cloud.as_org, Some("Example Hosting Ltd"));
    assert_eq!(cloud.country, Some("NL"));
    assert_eq!(cloud.class, IpClass::Cloud);
    assert_eq!(cloud.provider, Some("Example Cloud"));

    let tor = intel.lookup_ref(ip("1.0.0.7"));
    assert_eq!(tor.class, IpClass::Tor);
    assert_eq!(tor.provider, Some("Tor"));

    let listed = intel.lookup_ref(ip("1.0.0.200"));
    assert_eq!(listed.class, IpClass::Hosting);
    assert_eq!(listed.provider, Some("Example Hosting"));
}

#[test]
fn announced_unlisted_is_residential() {
    let intel = sample_builder().builtin_asn_lists(false).build().unwrap();

    let info = intel.lookup_ref(ip("1.0.1.1"));
    assert_eq!(info.asn, Some(64501));
    assert_eq!(info.as_org, Some("Example ISP"));
    assert_eq!(info.class, IpClass::Residential);
    assert_eq!(info.provider, None);

    let ipv6 = intel.lookup_ref(ip("2001:4::1"));
    assert_eq!(ipv6.asn, Some(64501));
    assert_eq!(ipv6.country, Some("DE"));
    assert_eq!(ipv6.class, IpClass::Residential);
}

#[test]
fn unannounced_is_unknown() {
    let intel = sample_builder().build().unwrap();

    let info = intel.lookup_ref(ip("1.0.2.1"));
    assert_eq!(info.asn, None);
    assert_eq!(info.country, Some("NL"));
    assert_eq!(info.class, IpClass::Unknown);

    let outside = intel.lookup_ref(ip("1.0.4.1"));
    assert_eq!(outside.country, None);
    assert_eq!(outside.class, IpClass::Unknown);
}

#[test]
fn later_asn_list_overrides_earlier() {
    let intel = sample_builder()
        .builtin_asn_lists(false)
        .asn_list_text("first", "AS64501\tmobile\tExample Mobile")
        .asn_list_text("second", "AS64501\tresidential\tExample ISP fixed")
        .build()
        .unwrap();

    let info = intel.lookup_ref(ip("1.0.1.1"));
    assert_eq!(info.class, IpClass::Residential);
    assert_eq!(info.provider, Some("Example ISP fixed"));
    assert_eq!(intel.listed_asn_count(), 1);
}

#[test]
fn operator_list_overrides_builtin() {
    let shipped = IpIntel::embedded().unwrap();
    let majestic = ip("45.62.170.237");
    assert_eq!(shipped.lookup_ref(majestic).class, IpClass::Hosting);

    let overridden = IpIntel::builder()
        .asn_list_text("ops", "AS396073\tresidential\tMajestic, reclassed")
        .build()
        .unwrap();
    assert_eq!(overridden.lookup_ref(majestic).class, IpClass::Residential);

    let without_lists = IpIntel::builder().builtin_asn_lists(false).build().unwrap();
    assert_eq!(
        without_lists.lookup_ref(majestic).class,
        IpClass::Residential
    );
    assert_eq!(without_lists.listed_asn_count(), 0);
}

#[test]
fn asn_list_file_loads() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("extra-asns.txt");
    std::fs::write(&path, "# operator list\nAS64501\tvpn\tExample VPN\n").unwrap();

    let intel = sample_builder().asn_list_file(&path).build().unwrap();

    assert_eq!(intel.lookup_ref(ip("1.0.1.1")).class, IpClass::Vpn);
}

#[test]
fn invalid_asn_list_file_names_path_and_line() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("broken-asns.txt");
    std::fs::write(
        &path,
        "# header\nAS64501\thosting\tOK\nAS64502 hosting Spaces\n",
    )
    .unwrap();

    let error = sample_builder()
        .asn_list_file(&path)
        .build()
        .err()
        .expect("a broken list must not load");

    match &error {
        IntelError::InvalidAsnList { origin, line, .. } => {
            assert_eq!(origin, &path.display().to_string());
            assert_eq!(*line, 3);
        }
        other => panic!("expected InvalidAsnList, got {other:?}"),
    }
}

#[test]
fn missing_asn_list_file_is_read_error() {
    let error = sample_builder()
        .asn_list_file("/nonexistent/harrier-asns.txt")
        .build()
        .err()
        .expect("a missing list must not load");

    assert!(matches!(error, IntelError::ReadAsnList { .. }), "{error:?}");
    assert!(
        error.to_string().contains("/nonexistent/harrier-asns.txt"),
        "{error}"
    );
}

#[test]
fn reserved_beats_snapshot_data() {
    // A snapshot that announces 10.0.0.0/8 and 2001:db8::/32 must still not class them.
    let mut snapshot = TestSnapshot::sample();
    snapshot.tables[0].entries = vec![
        (0, common::NO_VALUE),
        (common::v4("10.0.0.0"), 0),
        (common::v4("11.0.0.0"), common::NO_VALUE),
    ];
    snapshot.tables[1].entries = vec![
        (0, common::NO_VALUE),
        (common::v6("2001:db8::"), 1),
        (common::v6("2001:db9::"), common::NO_VALUE),
    ];
    let intel = IpIntel::builder()
        .snapshot_bytes(snapshot.encode(), "sample")
        .build()
        .unwrap();

    for address in ["10.0.0.1", "::ffff:10.0.0.1", "2001:db8::1"] {
        let info = intel.lookup_ref(ip(address));
        assert_eq!(info.class, IpClass::Private, "{address}");
        assert_eq!(info.asn, None, "{address}");
    }
}
