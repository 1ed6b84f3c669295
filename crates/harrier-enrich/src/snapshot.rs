//! Reader for the snapshot file written by `tools/ipintel/build_snapshot.py`.
//!
//! The layout is specified in `data/ipintel/FORMAT.md`. An uncompressed header (magic, format
//! version, build date, source packages, body lengths) is followed by one zstd frame. The frame
//! decodes to the body: a string table, the ASN, provider and country tables, then six range
//! tables (ASN, country and class, each for IPv4 and IPv6). All integers are little-endian.
//!
//! Every count and index is checked against the bytes that remain and the tables it refers to
//! before anything is allocated or used, so a damaged file becomes a [`SnapshotDefect`] rather
//! than a panic or an oversized allocation.

use harrier_model::IpClass;
use jiff::civil::Date;

use crate::error::SnapshotDefect;
use crate::table::{Address, RangeTable, TableValue};

/// The first eight bytes of every snapshot.
pub(crate) const MAGIC: &[u8; 8] = b"HRRIPINT";
/// The format version this build reads.
pub(crate) const FORMAT_VERSION: u16 = 1;
/// The largest decoded body accepted. The 2026-12 snapshot's body is about 18 MB.
pub(crate) const MAX_BODY_BYTES: u64 = 512 << 20;

const COMPRESSION_ZSTD: u8 = 1;
const TABLE_ASN: u8 = 1;
const TABLE_COUNTRY: u8 = 2;
const TABLE_CLASS: u8 = 3;

/// A source package the snapshot was built from, as recorded in its header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceInfo {
    /// Package or file name, for example `@ip-location-db/asn`.
    pub name: String,
    /// Package version, for example `2.3.2026061719`.
    pub version: String,
    /// Date of the data in the package.
    pub data_date: Date,
    /// Licence of the data, as an SPDX identifier or a short description.
    pub licence: String,
}

/// A provider named by a class range: the class it sets and its name in the string table.
#[derive(Clone, Copy)]
pub(crate) struct Provider {
    pub(crate) class: IpClass,
    pub(crate) name: u32,
}

/// The three range tables of one address family.
pub(crate) struct FamilyTables<A> {
    pub(crate) asn: RangeTable<A, u32>,
    pub(crate) country: RangeTable<A, u16>,
    pub(crate) class: RangeTable<A, u16>,
}

/// A decoded snapshot.
pub(crate) struct Snapshot {
    pub(crate) build_date: Date,
    pub(crate) sources: Vec<SourceInfo>,
    pub(crate) strings: StringTable,
    /// Sorted ASNs; `asn_orgs[i]` is the string index of `asns[i]`'s organisation.
    pub(crate) asns: Vec<u32>,
    pub(crate) asn_orgs: Vec<u32>,
    pub(crate) providers: Vec<Provider>,
    /// Two-letter country codes, concatenated.
    pub(crate) countries: String,
    pub(crate) v4: FamilyTables<u32>,
    pub(crate) v6: FamilyTables<u128>,
}

impl Snapshot {
    /// Returns the country code at `index`, which the loader has checked is in range.
    pub(crate) fn country(&self, index: usize) -> &str {
        &self.countries[index * 2..index * 2 + 2]
    }
}

/// Strings stored back to back, with an offset table.
pub(crate) struct StringTable {
    text: String,
    offsets: Vec<u32>,
}

impl StringTable {
    /// Returns string `index`, which the loader has checked is in range.
    pub(crate) fn get(&self, index: u32) -> &str {
        let index = index as usize;
        &self.text[self.offsets[index] as usize..self.offsets[index + 1] as usize]
    }

    fn len(&self) -> usize {
        self.offsets.len() - 1
    }
}

/// Decodes a whole snapshot file.
pub(crate) fn parse(file: &[u8]) -> Result<Snapshot, SnapshotDefect> {
    let mut header = Cursor::new(file);
    let header_fields = read_header(&mut header)?;

    let compressed = header.take(header_fields.compressed_len, "compressed body")?;
    header.finish("compressed body")?;
    let body = decompress(compressed, header_fields.body_len)?;

    read_body(&body, header_fields.build_date, header_fields.sources)
}

struct Header {
    build_date: Date,
    sources: Vec<SourceInfo>,
    body_len: u64,
    compressed_len: u64,
}

fn read_header(cursor: &mut Cursor<'_>) -> Result<Header, SnapshotDefect> {
    let magic = cursor.take(MAGIC.len() as u64, "header")?;
    if magic != MAGIC {
        return Err(SnapshotDefect::BadMagic);
    }

    let version = cursor.u16("header")?;
    if version != FORMAT_VERSION {
        return Err(SnapshotDefect::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let compression = cursor.u8("header")?;
    if compression != COMPRESSION_ZSTD {
        return Err(SnapshotDefect::UnsupportedCompression(compression));
    }
    let _reserved = cursor.u8("header")?;

    let build_date = parse_date(&cursor.str8("header build date")?, "header build date")?;
    let source_count = cursor.u8("header")?;
    let mut sources = Vec::with_capacity(usize::from(source_count));
    for _ in 0..source_count {
        sources.push(SourceInfo {
            name: cursor.str8("header source name")?,
            version: cursor.str8("header source version")?,
            data_date: parse_date(&cursor.str8("header source date")?, "header source date")?,
            licence: cursor.str8("header source licence")?,
        });
    }

    let body_len = cursor.u64("header")?;
    let compressed_len = cursor.u64("header")?;
    if body_len > MAX_BODY_BYTES {
        return Err(SnapshotDefect::BodyTooLarge(body_len));
    }

    Ok(Header {
        build_date,
        sources,
        body_len,
        compressed_len,
    })
}

fn parse_date(text: &str, section: &'static str) -> Result<Date, SnapshotDefect> {
    text.parse().map_err(|error| SnapshotDefect::Invalid {
        section,
        detail: format!("{text:?} is not a YYYY-MM-DD date: {error}"),
    })
}

fn decompress(compressed: &[u8], body_len: u64) -> Result<Vec<u8>, SnapshotDefect> {
    // `body_len` is at most MAX_BODY_BYTES, so the cast cannot truncate. The decoder stops with
    // an error rather than write past this capacity.
    let capacity = body_len as usize;
    let body = zstd::bulk::decompress(compressed, capacity)
        .map_err(|error| SnapshotDefect::Decompress(error.to_string()))?;
    if body.len() as u64 != body_len {
        return Err(SnapshotDefect::BodyLength {
            expected: body_len,
            actual: body.len() as u64,
        });
    }
    Ok(body)
}

fn read_body(
    body: &[u8],
    build_date: Date,
    sources: Vec<SourceInfo>,
) -> Result<Snapshot, SnapshotDefect> {
    let mut cursor = Cursor::new(body);

    let strings = read_strings(&mut cursor)?;
    let (asns, asn_orgs) = read_asns(&mut cursor, &strings)?;
    let providers = read_providers(&mut cursor, &strings)?;
    let countries = read_countries(&mut cursor)?;
    let country_count = countries.len() / 2;

    let asn_v4 = read_table(&mut cursor, TABLE_ASN, 4, "IPv4 ASN table", asns.len())?;
    let asn_v6 = read_table(&mut cursor, TABLE_ASN, 6, "IPv6 ASN table", asns.len())?;
    let country_v4 = read_table(
        &mut cursor,
        TABLE_COUNTRY,
        4,
        "IPv4 country table",
        country_count,
    )?;
    let country_v6 = read_table(
        &mut cursor,
        TABLE_COUNTRY,
        6,
        "IPv6 country table",
        country_count,
    )?;
    let class_v4 = read_table(
        &mut cursor,
        TABLE_CLASS,
        4,
        "IPv4 class table",
        providers.len(),
    )?;
    let class_v6 = read_table(
        &mut cursor,
        TABLE_CLASS,
        6,
        "IPv6 class table",
        providers.len(),
    )?;
    cursor.finish("IPv6 class table")?;

    Ok(Snapshot {
        build_date,
        sources,
        strings,
        asns,
        asn_orgs,
        providers,
        countries,
        v4: FamilyTables {
            asn: asn_v4,
            country: country_v4,
            class: class_v4,
        },
        v6: FamilyTables {
            asn: asn_v6,
            country: country_v6,
            class: class_v6,
        },
    })
}

fn read_strings(cursor: &mut Cursor<'_>) -> Result<StringTable, SnapshotDefect> {
    const SECTION: &str = "string table";
    let count = cursor.u32(SECTION)? as usize;
    let byte_len = cursor.u32(SECTION)?;
    let offsets = cursor.u32_vec(count + 1, SECTION)?;
    let bytes = cursor.take(u64::from(byte_len), SECTION)?;

    let text = String::from_utf8(bytes.to_vec()).map_err(|error| invalid(SECTION, error))?;
    if offsets[0] != 0 || offsets[count] != byte_len {
        return Err(invalid(SECTION, "offsets do not span the string bytes"));
    }
    for pair in offsets.windows(2) {
        if pair[0] > pair[1] || !text.is_char_boundary(pair[1] as usize) {
            return Err(invalid(
                SECTION,
                format!("offset {} is out of order or inside a character", pair[1]),
            ));
        }
    }
    Ok(StringTable { text, offsets })
}

fn read_asns(
    cursor: &mut Cursor<'_>,
    strings: &StringTable,
) -> Result<(Vec<u32>, Vec<u32>), SnapshotDefect> {
    const SECTION: &str = "ASN table";
    let count = cursor.u32(SECTION)? as usize;
    let asns = cursor.u32_vec(count, SECTION)?;
    let orgs = cursor.u32_vec(count, SECTION)?;

    if let Some(pair) = asns.windows(2).find(|pair| pair[0] >= pair[1]) {
        return Err(invalid(
            SECTION,
            format!("AS{} follows AS{}; ASNs must increase", pair[1], pair[0]),
        ));
    }
    check_string_indexes(&orgs, strings, SECTION)?;
    Ok((asns, orgs))
}

fn read_providers(
    cursor: &mut Cursor<'_>,
    strings: &StringTable,
) -> Result<Vec<Provider>, SnapshotDefect> {
    const SECTION: &str = "provider table";
    let count = usize::from(cursor.u16(SECTION)?);
    let classes = cursor.take(count as u64, SECTION)?.to_vec();
    let names = cursor.u32_vec(count, SECTION)?;
    check_string_indexes(&names, strings, SECTION)?;

    classes
        .iter()
        .zip(names)
        .map(|(&code, name)| {
            let class = range_class(code).ok_or_else(|| {
                invalid(SECTION, format!("class code {code} is not a range class"))
            })?;
            Ok(Provider { class, name })
        })
        .collect()
}

/// Maps a class code to the classes a range table may set. The codes follow the order of
/// `IpClass`; mobile, residential, private and unknown never come from range tables.
fn range_class(code: u8) -> Option<IpClass> {
    match code {
        2 => Some(IpClass::Hosting),
        3 => Some(IpClass::Vpn),
        4 => Some(IpClass::Tor),
        5 => Some(IpClass::Cloud),
        6 => Some(IpClass::Microsoft),
        7 => Some(IpClass::Cdn),
        _ => None,
    }
}

fn read_countries(cursor: &mut Cursor<'_>) -> Result<String, SnapshotDefect> {
    const SECTION: &str = "country table";
    let count = u64::from(cursor.u16(SECTION)?);
    let bytes = cursor.take(count * 2, SECTION)?;
    if !bytes.iter().all(u8::is_ascii_uppercase) {
        return Err(invalid(
            SECTION,
            "a country code is not two upper-case ASCII letters",
        ));
    }
    Ok(bytes.iter().map(|&byte| char::from(byte)).collect())
}

fn read_table<A: Address, V: TableValue>(
    cursor: &mut Cursor<'_>,
    kind: u8,
    family: u8,
    section: &'static str,
    value_limit: usize,
) -> Result<RangeTable<A, V>, SnapshotDefect> {
    let found_kind = cursor.u8(section)?;
    let found_family = cursor.u8(section)?;
    if (found_kind, found_family) != (kind, family) {
        return Err(invalid(
            section,
            format!(
                "found table kind {found_kind} for IPv{found_family}, expected kind {kind} for IPv{family}"
            ),
        ));
    }
    let count = cursor.u32(section)? as usize;

    let start_bytes = cursor.take_array(count, A::BYTES, section)?;
    let starts = decode_starts::<A>(start_bytes, section)?;

    let value_bytes = cursor.take_array(count, V::BYTES, section)?;
    let values: Vec<V> = value_bytes
        .chunks_exact(V::BYTES)
        .map(V::from_le_slice)
        .collect();
    if let Some(value) = values
        .iter()
        .find(|&&value| value != V::NONE && value.to_index() >= value_limit)
    {
        return Err(invalid(
            section,
            format!(
                "value {} is past the end of its table of {value_limit}",
                value.to_index()
            ),
        ));
    }

    Ok(RangeTable::new(starts, values))
}

/// Undoes the delta coding of range starts and checks that they strictly increase.
fn decode_starts<A: Address>(
    bytes: &[u8],
    section: &'static str,
) -> Result<Vec<A>, SnapshotDefect> {
    let mut starts = Vec::with_capacity(bytes.len() / A::BYTES);
    let mut previous = A::zero();
    for (position, chunk) in bytes.chunks_exact(A::BYTES).enumerate() {
        let delta = A::from_le_slice(chunk);
        if position > 0 && delta == A::zero() {
            return Err(invalid(
                section,
                format!("entry {position} repeats the previous start"),
            ));
        }
        previous = previous.checked_add(delta).ok_or_else(|| {
            invalid(
                section,
                format!("entry {position} starts past the last address"),
            )
        })?;
        starts.push(previous);
    }
    Ok(starts)
}

fn check_string_indexes(
    indexes: &[u32],
    strings: &StringTable,
    section: &'static str,
) -> Result<(), SnapshotDefect> {
    match indexes
        .iter()
        .find(|&&index| index as usize >= strings.len())
    {
        Some(index) => Err(invalid(
            section,
            format!(
                "string index {index} is past the end of the string table of {}",
                strings.len()
            ),
        )),
        None => Ok(()),
    }
}

fn invalid(section: &'static str, detail: impl ToString) -> SnapshotDefect {
    SnapshotDefect::Invalid {
        section,
        detail: detail.to_string(),
    }
}

/// A bounds-checked reader over a byte slice.
struct Cursor<'a> {
    data: &'a [u8],
    position: usize,
}

impl<'a> Cursor<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self { data, position: 0 }
    }

    fn remaining(&self) -> u64 {
        (self.data.len() - self.position) as u64
    }

    fn take(&mut self, len: u64, section: &'static str) -> Result<&'a [u8], SnapshotDefect> {
        if len > self.remaining() {
            return Err(SnapshotDefect::Truncated {
                section,
                needed: len,
                available: self.remaining(),
            });
        }
        // `len` is at most `remaining()`, which came from a usize.
        let end = self.position + len as usize;
        let bytes = &self.data[self.position..end];
        self.position = end;
        Ok(bytes)
    }

    /// Takes `count` items of `size` bytes each, checking the product for overflow.
    fn take_array(
        &mut self,
        count: usize,
        size: usize,
        section: &'static str,
    ) -> Result<&'a [u8], SnapshotDefect> {
        let len = (count as u64).saturating_mul(size as u64);
        self.take(len, section)
    }

    fn finish(&self, section: &'static str) -> Result<(), SnapshotDefect> {
        match self.remaining() {
            0 => Ok(()),
            count => Err(SnapshotDefect::TrailingBytes { section, count }),
        }
    }

    fn u8(&mut self, section: &'static str) -> Result<u8, SnapshotDefect> {
        Ok(self.take(1, section)?[0])
    }

    fn u16(&mut self, section: &'static str) -> Result<u16, SnapshotDefect> {
        let bytes = self.take(2, section)?;
        Ok(u16::from_le_bytes(
            bytes.try_into().expect("take returned 2 bytes"),
        ))
    }

    fn u32(&mut self, section: &'static str) -> Result<u32, SnapshotDefect> {
        let bytes = self.take(4, section)?;
        Ok(u32::from_le_bytes(
            bytes.try_into().expect("take returned 4 bytes"),
        ))
    }

    fn u64(&mut self, section: &'static str) -> Result<u64, SnapshotDefect> {
        let bytes = self.take(8, section)?;
        Ok(u64::from_le_bytes(
            bytes.try_into().expect("take returned 8 bytes"),
        ))
    }

    fn u32_vec(&mut self, count: usize, section: &'static str) -> Result<Vec<u32>, SnapshotDefect> {
        let bytes = self.take_array(count, 4, section)?;
        let values = bytes
            .chunks_exact(4)
            .map(|chunk| u32::from_le_bytes(chunk.try_into().expect("chunk of 4 bytes")));
        Ok(values.collect())
    }

    /// Reads a string of at most 255 bytes with a one-byte length prefix.
    fn str8(&mut self, section: &'static str) -> Result<String, SnapshotDefect> {
        let len = self.u8(section)?;
        let bytes = self.take(u64::from(len), section)?;
        String::from_utf8(bytes.to_vec()).map_err(|error| invalid(section, error))
    }
}
