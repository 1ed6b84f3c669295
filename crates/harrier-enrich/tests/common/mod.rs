//! A writer for small snapshots in the format of data/ipintel/FORMAT.md, so that tests can
//! check lookups on data they control and feed the reader deliberately broken files.

#![allow(dead_code)]

use std::path::PathBuf;

/// Path of the shipped snapshot.
pub fn shipped_snapshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/ipintel/snapshot.bin")
}

/// One range table: kind (1 ASN, 2 country, 3 class), family (4 or 6), and (start, value)
/// entries with absolute starts.
#[derive(Clone)]
pub struct Table {
    pub kind: u8,
    pub family: u8,
    pub entries: Vec<(u128, u32)>,
}

/// The contents of a test snapshot. Fields are public so that tests can break one rule at a
/// time.
#[derive(Clone)]
pub struct TestSnapshot {
    pub magic: [u8; 8],
    pub version: u16,
    pub compression: u8,
    pub build_date: String,
    pub sources: Vec<[String; 4]>,
    pub strings: Vec<String>,
    pub asns: Vec<(u32, u32)>,
    pub providers: Vec<(u8, u32)>,
    pub countries: Vec<String>,
    pub tables: Vec<Table>,
}

pub const NO_VALUE: u32 = u32::MAX;
pub const CLASS_HOSTING: u8 = 2;
pub const CLASS_TOR: u8 = 4;
pub const CLASS_CLOUD: u8 = 5;

/// Parses a dotted IPv4 address into the integer the tables use.
pub fn v4(text: &str) -> u128 {
    u128::from(u32::from(text.parse::<std::net::Ipv4Addr>().unwrap()))
}

/// Parses an IPv6 address into the integer the tables use.
pub fn v6(text: &str) -> u128 {
    u128::from(text.parse::<std::net::Ipv6Addr>().unwrap())
}

impl TestSnapshot {
    /// Builds a small valid snapshot:
    /// - 1.0.0.0/24 is AS64500 ("Example Hosting Ltd"), 1.0.1.0/24 is AS64501 ("Example ISP"),
    ///   1.0.2.0/24 is unannounced.
    /// - 1.0.0.0/22 is in country "NL".
    /// - 1.0.0.0/25 is a cloud range of provider "Example Cloud", and 1.0.0.7 a Tor exit.
    /// - 2001:4::/32 is AS64501 in country "DE", with no class range.
    pub fn sample() -> Self {
        let strings = ["Example Cloud", "Example Hosting Ltd", "Example ISP", "Tor"];
        Self {
            magic: *b"HRRIPINT",
            version: 1,
            compression: 1,
            build_date: "2026-12-01".to_owned(),
            sources: vec![[
                "test-source".to_owned(),
                "1.0".to_owned(),
                "2026-11-30".to_owned(),
                "CC0-1.0".to_owned(),
            ]],
            strings: strings.iter().map(|s| s.to_string()).collect(),
            asns: vec![(64500, 1), (64501, 2)],
            providers: vec![(CLASS_CLOUD, 0), (CLASS_TOR, 3)],
            countries: vec!["DE".to_owned(), "NL".to_owned()],
            tables: vec![
                Table {
                    kind: 1,
                    family: 4,
                    entries: vec![
                        (0, NO_VALUE),
                        (v4("1.0.0.0"), 0),
                        (v4("1.0.1.0"), 1),
                        (v4("1.0.2.0"), NO_VALUE),
                    ],
                },
                Table {
                    kind: 1,
                    family: 6,
                    entries: vec![
                        (0, NO_VALUE),
                        (v6("2001:4::"), 1),
                        (v6("2001:5::"), NO_VALUE),
                    ],
                },
                Table {
                    kind: 2,
                    family: 4,
                    entries: vec![(0, NO_VALUE), (v4("1.0.0.0"), 1), (v4("1.0.4.0"), NO_VALUE)],
                },
                Table {
                    kind: 2,
                    family: 6,
                    entries: vec![
                        (0, NO_VALUE),
                        (v6("2001:4::"), 0),
                        (v6("2001:5::"), NO_VALUE),
                    ],
                },
                Table {
                    kind: 3,
                    family: 4,
                    entries: vec![
                        (0, NO_VALUE),
                        (v4("1.0.0.0"), 0),
                        (v4("1.0.0.7"), 1),
                        (v4("1.0.0.8"), 0),
                        (v4("1.0.0.128"), NO_VALUE),
                    ],
                },
                Table {
                    kind: 3,
                    family: 6,
                    entries: vec![],
                },
            ],
        }
    }

    /// Encodes the decoded body.
    pub fn body(&self) -> Vec<u8> {
        let mut body = Vec::new();

        let text: String = self.strings.concat();
        body.extend(u32_le(self.strings.len() as u32));
        body.extend(u32_le(text.len() as u32));
        let mut offset = 0u32;
        body.extend(u32_le(0));
        for string in &self.strings {
            offset += string.len() as u32;
            body.extend(u32_le(offset));
        }
        body.extend(text.as_bytes());

        body.extend(u32_le(self.asns.len() as u32));
        for (asn, _) in &self.asns {
            body.extend(u32_le(*asn));
        }
        for (_, org) in &self.asns {
            body.extend(u32_le(*org));
        }

        body.extend((self.providers.len() as u16).to_le_bytes());
        body.extend(self.providers.iter().map(|(class, _)| *class));
        for (_, name) in &self.providers {
            body.extend(u32_le(*name));
        }

        body.extend((self.countries.len() as u16).to_le_bytes());
        for code in &self.countries {
            body.extend(code.as_bytes());
        }

        for table in &self.tables {
            body.extend([table.kind, table.family]);
            body.extend(u32_le(table.entries.len() as u32));
            let mut previous = 0u128;
            for (start, _) in &table.entries {
                let delta = start.wrapping_sub(previous);
                previous = *start;
                if table.family == 4 {
                    body.extend((delta as u32).to_le_bytes());
                } else {
                    body.extend(delta.to_le_bytes());
                }
            }
            for (_, value) in &table.entries {
                if table.kind == 1 {
                    body.extend(u32_le(*value));
                } else {
                    body.extend((*value as u16).to_le_bytes());
                }
            }
        }
        body
    }

    /// Encodes the whole file around the given body.
    pub fn encode_with_body(&self, body: &[u8]) -> Vec<u8> {
        let compressed = compress(body);
        let mut file = Vec::new();
        file.extend(self.magic);
        file.extend(self.version.to_le_bytes());
        file.extend([self.compression, 0]);
        push_str8(&mut file, &self.build_date);
        file.push(self.sources.len() as u8);
        for source in &self.sources {
            for field in source {
                push_str8(&mut file, field);
            }
        }
        file.extend((body.len() as u64).to_le_bytes());
        file.extend((compressed.len() as u64).to_le_bytes());
        file.extend(compressed);
        file
    }

    /// Encodes the whole file.
    pub fn encode(&self) -> Vec<u8> {
        self.encode_with_body(&self.body())
    }
}

/// Compresses with a content checksum, as the build script does.
pub fn compress(body: &[u8]) -> Vec<u8> {
    let mut compressor = zstd::bulk::Compressor::new(3).unwrap();
    compressor
        .set_parameter(zstd::zstd_safe::CParameter::ChecksumFlag(true))
        .unwrap();
    compressor.compress(body).unwrap()
}

fn u32_le(value: u32) -> [u8; 4] {
    value.to_le_bytes()
}

fn push_str8(out: &mut Vec<u8>, text: &str) {
    out.push(text.len() as u8);
    out.extend(text.as_bytes());
}
