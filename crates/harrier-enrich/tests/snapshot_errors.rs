//! A damaged or malformed snapshot must be rejected with an error that names the file and the
//! defect, never accepted and never a panic.

mod common;

use std::path::Path;

use common::{TestSnapshot, shipped_snapshot_path, v4};
use harrier_enrich::{IntelError, IpIntel, SnapshotDefect};

fn load_file(path: &Path) -> Result<IpIntel, IntelError> {
    IpIntel::from_file(path)
}

fn load_bytes(bytes: Vec<u8>) -> Result<IpIntel, IntelError> {
    IpIntel::builder().snapshot_bytes(bytes, "test.bin").build()
}

/// Returns the defect of an invalid-snapshot error, panicking with the error otherwise.
fn defect(result: Result<IpIntel, IntelError>) -> SnapshotDefect {
    match result {
        Err(IntelError::InvalidSnapshot { defect, .. }) => defect,
        Err(other) => panic!("expected an invalid-snapshot error, got {other}"),
        Ok(_) => panic!("expected an invalid-snapshot error, but the snapshot loaded"),
    }
}

fn invalid_section(result: Result<IpIntel, IntelError>) -> (&'static str, String) {
    match defect(result) {
        SnapshotDefect::Invalid { section, detail } => (section, detail),
        other => panic!("expected an Invalid defect, got {other:?}"),
    }
}

#[test]
fn truncated_file_names_path() {
    let shipped = std::fs::read(shipped_snapshot_path()).unwrap();
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("truncated.bin");
    std::fs::write(&path, &shipped[..shipped.len() - 1000]).unwrap();

    let error = load_file(&path)
        .err()
        .expect("a truncated snapshot must not load");
    let message = error.to_string();

    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(
        matches!(
            &error,
            IntelError::InvalidSnapshot {
                defect: SnapshotDefect::Truncated {
                    section: "compressed body",
                    ..
                },
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn truncated_header_rejected() {
    let shipped = std::fs::read(shipped_snapshot_path()).unwrap();

    for len in [0, 5, 8, 11, 20, 60] {
        let defect = defect(load_bytes(shipped[..len].to_vec()));
        assert!(
            matches!(
                defect,
                SnapshotDefect::Truncated { .. } | SnapshotDefect::BadMagic
            ),
            "{len}: {defect:?}"
        );
    }
}

#[test]
fn flipped_body_byte_fails_checksum() {
    let mut shipped = std::fs::read(shipped_snapshot_path()).unwrap();
    let middle = shipped.len() / 2;
    shipped[middle] ^= 0x40;

    let defect = defect(load_bytes(shipped));

    assert!(
        matches!(defect, SnapshotDefect::Decompress(_)),
        "{defect:?}"
    );
}

#[test]
fn trailing_bytes_rejected() {
    let mut shipped = std::fs::read(shipped_snapshot_path()).unwrap();
    shipped.extend(b"extra");

    let defect = defect(load_bytes(shipped));

    assert_eq!(
        defect,
        SnapshotDefect::TrailingBytes {
            section: "compressed body",
            count: 5
        }
    );
}

#[test]
fn missing_file_is_read_error() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("absent.bin");

    let error = load_file(&path)
        .err()
        .expect("a missing snapshot must not load");

    assert!(
        matches!(&error, IntelError::ReadSnapshot { path: reported, .. } if *reported == path),
        "{error:?}"
    );
    assert!(error.to_string().contains("absent.bin"), "{error}");
}

#[test]
fn sample_snapshot_loads() {
    let intel = load_bytes(TestSnapshot::sample().encode()).unwrap();

    assert_eq!(intel.snapshot_date().to_string(), "2026-12-01");
    assert_eq!(intel.snapshot_origin(), "test.bin");
    assert_eq!(intel.sources()[0].name, "test-source");
}

#[test]
fn bad_magic_rejected() {
    let mut snapshot = TestSnapshot::sample();
    snapshot.magic = *b"NOTASNAP";

    assert_eq!(
        defect(load_bytes(snapshot.encode())),
        SnapshotDefect::BadMagic
    );
}

#[test]
fn unknown_version_rejected() {
    let mut snapshot = TestSnapshot::sample();
    snapshot.version = 2;

    assert_eq!(
        defect(load_bytes(snapshot.encode())),
        SnapshotDefect::UnsupportedVersion {
            found: 2,
            supported: 1
        }
    );
}

#[test]
fn unknown_compression_rejected() {
    let mut snapshot = TestSnapshot::sample();
    snapshot.compression = 9;

    assert_eq!(
        defect(load_bytes(snapshot.encode())),
        SnapshotDefect::UnsupportedCompression(9)
    );
}

#[test]
fn bad_build_date_rejected() {
    let mut snapshot = TestSnapshot::sample();
    snapshot.build_date = "2026-13-01".to_owned();

    let (section, detail) = invalid_section(load_bytes(snapshot.encode()));

    assert_eq!(section, "header build date");
    assert!(detail.contains("2026-13-01"), "{detail}");
}

#[test]
fn body_length_mismatch_rejected() {
    let snapshot = TestSnapshot::sample();
    let body = snapshot.body();
    let mut file = snapshot.encode_with_body(&body);

    // The body length is the u64 before the compressed length, 16 bytes before the zstd frame.
    let compressed_len = common::compress(&body).len();
    let length_field = file.len() - compressed_len - 16;
    file[length_field..length_field + 8].copy_from_slice(&(body.len() as u64 + 1).to_le_bytes());

    let defect = defect(load_bytes(file));

    assert!(
        matches!(
            defect,
            SnapshotDefect::BodyLength { .. } | SnapshotDefect::Decompress(_)
        ),
        "{defect:?}"
    );
}

#[test]
fn oversized_body_rejected_before_decoding() {
    let snapshot = TestSnapshot::sample();
    let body = snapshot.body();
    let mut file = snapshot.encode_with_body(&body);
    let compressed_len = common::compress(&body).len();
    let length_field = file.len() - compressed_len - 16;
    file[length_field..length_field + 8].copy_from_slice(&u64::MAX.to_le_bytes());

    assert_eq!(
        defect(load_bytes(file)),
        SnapshotDefect::BodyTooLarge(u64::MAX)
    );
}

#[test]
fn truncated_body_rejected() {
    let snapshot = TestSnapshot::sample();
    let mut body = snapshot.body();
    body.truncate(body.len() - 3);

    let defect = defect(load_bytes(snapshot.encode_with_body(&body)));

    assert!(
        matches!(
            defect,
            SnapshotDefect::Truncated {
                section: "IPv6 class table",
                ..
            }
        ),
        "{defect:?}"
    );
}

#[test]
fn trailing_body_bytes_rejected() {
    let snapshot = TestSnapshot::sample();
    let mut body = snapshot.body();
    body.push(0);

    let defect = defect(load_bytes(snapshot.encode_with_body(&body)));

    assert_eq!(
        defect,
        SnapshotDefect::TrailingBytes {
            section: "IPv6 class table",
            count: 1
        }
    );
}

#[test]
fn unsorted_starts_rejected() {
    let mut snapshot = TestSnapshot::sample();
    snapshot.tables[0].entries = vec![(0, 0), (v4("1.0.1.0"), 1), (v4("1.0.1.0"), 0)];

    let (section, detail) = invalid_section(load_bytes(snapshot.encode()));

    assert_eq!(section, "IPv4 ASN table");
    assert!(detail.contains("repeats the previous start"), "{detail}");
}

#[test]
fn start_past_address_space_rejected() {
    let mut snapshot = TestSnapshot::sample();
    // A delta that wraps past 255.255.255.255.
    snapshot.tables[0].entries = vec![(v4("255.0.0.0"), 0), (v4("1.0.0.0") + (1 << 32), 1)];

    let (section, detail) = invalid_section(load_bytes(snapshot.encode()));

    assert_eq!(section, "IPv4 ASN table");
    assert!(detail.contains("past the last address"), "{detail}");
}

#[test]
fn value_out_of_range_rejected() {
    let mut snapshot = TestSnapshot::sample();
    snapshot.tables[2].entries = vec![(0, 2)];

    let (section, detail) = invalid_section(load_bytes(snapshot.encode()));

    assert_eq!(section, "IPv4 country table");
    assert!(
        detail.contains("value 2 is past the end of its table of 2"),
        "{detail}"
    );
}

#[test]
fn tables_out_of_order_rejected() {
    let mut snapshot = TestSnapshot::sample();
    snapshot.tables.swap(0, 1);

    let (section, detail) = invalid_section(load_bytes(snapshot.encode()));

    assert_eq!(section, "IPv4 ASN table");
    assert!(detail.contains("expected kind 1 for IPv4"), "{detail}");
}

#[test]
fn unsorted_asns_rejected() {
    let mut snapshot = TestSnapshot::sample();
    snapshot.asns = vec![(64501, 1), (64500, 2)];

    let (section, detail) = invalid_section(load_bytes(snapshot.encode()));

    assert_eq!(section, "ASN table");
    assert!(detail.contains("AS64500 follows AS64501"), "{detail}");
}

#[test]
fn string_index_out_of_range_rejected() {
    let mut snapshot = TestSnapshot::sample();
    snapshot.asns[0].1 = 99;

    let (section, detail) = invalid_section(load_bytes(snapshot.encode()));

    assert_eq!(section, "ASN table");
    assert!(detail.contains("string index 99"), "{detail}");
}

#[test]
fn non_range_class_rejected() {
    let mut snapshot = TestSnapshot::sample();
    snapshot.providers[0].0 = 8; // private

    let (section, detail) = invalid_section(load_bytes(snapshot.encode()));

    assert_eq!(section, "provider table");
    assert!(detail.contains("class code 8"), "{detail}");
}

#[test]
fn bad_country_code_rejected() {
    let mut snapshot = TestSnapshot::sample();
    snapshot.countries[0] = "d1".to_owned();

    let (section, _) = invalid_section(load_bytes(snapshot.encode()));

    assert_eq!(section, "country table");
}

#[test]
fn invalid_utf8_string_rejected() {
    let snapshot = TestSnapshot::sample();
    let mut body = snapshot.body();
    // The first string's bytes start after the two counts and five offsets.
    body[4 + 4 + 5 * 4] = 0xFF;

    let (section, _) = invalid_section(load_bytes(snapshot.encode_with_body(&body)));

    assert_eq!(section, "string table");
}

#[test]
fn every_truncation_of_sample_is_an_error() {
    // Cutting the body at any length must give an error, never a panic or a half-loaded table.
    let snapshot = TestSnapshot::sample();
    let body = snapshot.body();

    for len in 0..body.len() {
        let result = load_bytes(snapshot.encode_with_body(&body[..len]));
        assert!(
            result.is_err(),
            "a body cut to {len} of {} bytes loaded",
            body.len()
        );
    }
}
