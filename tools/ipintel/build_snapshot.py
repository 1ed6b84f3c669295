#!/usr/bin/env python3
"""Build harrier's offline IP intelligence snapshot, data/ipintel/snapshot.bin.

Requirements: Python 3.11.4 or newer (for tarfile's extraction filter), npm and pip on PATH,
and the `zstandard` package. Install it with one of these before the first run:

    python3 -m pip install zstandard==0.25.0
    python3 -m pip install --target /tmp/ipintel-pylib zstandard==0.25.0 && \
        export PYTHONPATH=/tmp/ipintel-pylib

Run from the repository root:

    python3 tools/ipintel/build_snapshot.py

By default the script fetches the pinned source packages into a temporary folder with
`npm pack` and `pip download --no-deps` (package registries only, no other network). Pass
`--sources DIR` to read archives that are already in DIR instead. Each run prints a report of
the tables it wrote and checks the hand-kept ASN lists against the registry data.

Inputs:
  - npm @ip-location-db/asn (CC BY 4.0): IPv4 and IPv6 ranges to ASN and AS organisation, CSV.
  - npm @ip-location-db/geo-whois-asn-country-mmdb (CC0): country per range, MMDB.
  - PyPI iporigin (code MIT): hosting, CDN, VPN, Tor and crawler ranges by provider, in the
    package's data/ranges.bin. Labels that came from lists without a licence are dropped.
  - data/ipintel/microsoft-ranges.txt: Microsoft 365 service ranges, reviewed by hand.

The output format is described in data/ipintel/FORMAT.md. This script and the reader in
crates/harrier-enrich/src/snapshot.rs must change together.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import heapq
import ipaddress
import os
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / "data" / "ipintel"

ASN_PACKAGE = "@ip-location-db/asn"
ASN_VERSION = "2.3.2026061719"
GEO_PACKAGE = "@ip-location-db/geo-whois-asn-country-mmdb"
GEO_VERSION = "2.3.2026061719"
IPORIGIN_PACKAGE = "iporigin"
IPORIGIN_VERSION = "1.1.2"

MAGIC = b"HRRIPINT"
FORMAT_VERSION = 1
COMPRESSION_ZSTD = 1
ZSTD_LEVEL = 19

# Class codes shared with the Rust reader. They follow the order of harrier_model::IpClass.
CLASS_CODES = {
    "residential": 0,
    "mobile": 1,
    "hosting": 2,
    "vpn": 3,
    "tor": 4,
    "cloud": 5,
    "microsoft": 6,
    "cdn": 7,
    "private": 8,
    "unknown": 9,
}

# Class ranking for overlapping ranges: the class earlier in this list wins. iporigin's own
# ranges are already disjoint, so overlaps only arise where the Microsoft list lies over them.
CLASS_PRECEDENCE = ["tor", "microsoft", "vpn", "cloud", "cdn", "hosting"]

TABLE_ASN = 1
TABLE_COUNTRY = 2
TABLE_CLASS = 3

NO_VALUE_U32 = 0xFFFF_FFFF
NO_VALUE_U16 = 0xFFFF

# Every iporigin 1.1.2 label, with the class harrier gives it. A label missing from both this
# map and IPORIGIN_EXCLUDED stops the build, so that a new upstream source gets a licence
# review before it reaches the snapshot.
IPORIGIN_CLASSES = {
    "Tor": "tor",
    "Mullvad": "vpn",
    "ProtonVPN": "vpn",
    "Apple Private Relay": "vpn",
    "Amazon AWS": "cloud",
    "Microsoft Azure": "cloud",
    "Google Cloud": "cloud",
    "Google": "cloud",
    "Oracle Cloud": "cloud",
    "IBM Cloud": "cloud",
    "Alibaba Cloud": "cloud",
    "Tencent Cloud": "cloud",
    "Huawei Cloud": "cloud",
    "Cloudflare": "cdn",
    "Fastly": "cdn",
    "Gcore": "cdn",
    "Hetzner": "hosting",
    "OVHcloud": "hosting",
    "Leaseweb": "hosting",
    "DigitalOcean": "hosting",
    "Linode": "hosting",
    "Vultr": "hosting",
    "Scaleway": "hosting",
    "UpCloud": "hosting",
    "Rackspace": "hosting",
    "GitHub": "hosting",
    # Declared crawlers run from their operators' datacenters. IpClass has no crawler class.
    "Googlebot": "hosting",
    "Bingbot": "hosting",
    "Applebot": "hosting",
    "Amazonbot": "hosting",
    "DuckDuckBot": "hosting",
    "GPTBot": "hosting",
    "ClaudeBot": "hosting",
    "PerplexityBot": "hosting",
    "Common Crawl": "hosting",
    "Internet Archive": "hosting",
    "Meta": "hosting",
}

# iporigin's NOTICE lists two source repositories that publish no licence file, used on a
# permission that it records as verbal with the evidence still "to be added":
# 123jjck/cdn-ip-ranges and SecOps-Institute/Akamai-ASN-and-IPs-List. These are the labels
# built from them. "Akamai" mixes ranges from a CC0 list with ranges from the unlicensed one,
# and ranges.bin does not record which is which, so the whole label is left out.
IPORIGIN_EXCLUDED = {
    "Cogent",
    "DataCamp",
    "Contabo",
    "Vercel",
    "CDN77",
    "GleSYS",
    "Scalaxy",
    "GTHost",
    "Melbicom",
    "BuyVM",
    "BunnyCDN",
    "Akamai",
}


@dataclass(frozen=True)
class Source:
    name: str
    version: str
    data_date: str
    licence: str


@dataclass
class Range:
    start: int
    end: int  # inclusive
    value: object


# ---------------------------------------------------------------------------------------------
# Fetching


def fetch_sources(dest: Path) -> None:
    """Download the pinned packages into dest with npm and pip."""
    for package, version in ((ASN_PACKAGE, ASN_VERSION), (GEO_PACKAGE, GEO_VERSION)):
        run(["npm", "pack", "--silent", f"{package}@{version}"], cwd=dest)
    run(
        ["pip", "download", "--no-deps", "--quiet", "-d", str(dest),
         f"{IPORIGIN_PACKAGE}=={IPORIGIN_VERSION}"],
        cwd=dest,
    )


def run(command: list[str], cwd: Path) -> None:
    print("+", " ".join(command), file=sys.stderr)
    subprocess.run(command, cwd=cwd, check=True)


def unpack_sources(archives: Path, dest: Path) -> dict[str, Path]:
    """Unpack the three archives found in `archives` and return each package's root folder."""
    roots = {}
    npm_archives = {
        "asn": f"ip-location-db-asn-{ASN_VERSION}.tgz",
        "geo": f"ip-location-db-geo-whois-asn-country-mmdb-{GEO_VERSION}.tgz",
    }
    for key, filename in npm_archives.items():
        path = archives / filename
        if not path.is_file():
            sys.exit(f"error: {path} not found. Run without --sources to fetch it.")
        target = dest / key
        with tarfile.open(path) as archive:
            archive.extractall(target, filter="data")
        roots[key] = target / "package"

    wheel = archives / f"iporigin-{IPORIGIN_VERSION}-py3-none-any.whl"
    if not wheel.is_file():
        sys.exit(f"error: {wheel} not found. Run without --sources to fetch it.")
    target = dest / "iporigin"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    roots["iporigin"] = target
    return roots


# ---------------------------------------------------------------------------------------------
# Range helpers


def resolve_overlaps(ranges: list[Range], rank) -> list[Range]:
    """Return sorted, disjoint ranges where, at each address, the covering range with the lowest
    rank(range) wins. Ties go to the range that came first in the input."""
    points = sorted({r.start for r in ranges} | {r.end + 1 for r in ranges})
    by_start: dict[int, list[int]] = {}
    for index, r in enumerate(ranges):
        by_start.setdefault(r.start, []).append(index)

    active: list[tuple] = []
    out: list[Range] = []
    for position, point in enumerate(points[:-1]):
        for index in by_start.get(point, ()):
            heapq.heappush(active, (rank(ranges[index]), index))
        while active and ranges[active[0][1]].end < point:
            heapq.heappop(active)
        if not active:
            continue
        winner = ranges[active[0][1]]
        segment_end = points[position + 1] - 1
        append_merged(out, Range(point, segment_end, winner.value))
    return out


def append_merged(out: list[Range], r: Range) -> None:
    """Append r, joining it to the previous range when they touch and share a value."""
    if out and out[-1].end + 1 == r.start and out[-1].value == r.value:
        out[-1].end = r.end
    else:
        out.append(r)


def width(r: Range) -> int:
    return r.end - r.start


def merge_adjacent(ranges: list[Range]) -> list[Range]:
    out: list[Range] = []
    for r in ranges:
        append_merged(out, Range(r.start, r.end, r.value))
    return out


# ---------------------------------------------------------------------------------------------
# @ip-location-db/asn


def read_asn_csv(path: Path) -> list[Range]:
    """Read a `start,end,asn,organisation` CSV with numeric addresses."""
    ranges = []
    with path.open(newline="", encoding="utf-8") as handle:
        for line_number, row in enumerate(csv.reader(handle), start=1):
            if len(row) != 4:
                sys.exit(f"error: {path}:{line_number}: expected 4 fields, found {len(row)}")
            start, end, asn = int(row[0]), int(row[1]), int(row[2])
            if end < start:
                sys.exit(f"error: {path}:{line_number}: range end is before its start")
            ranges.append(Range(start, end, (asn, row[3].strip())))
    return ranges


def check_asn_names(ranges: list[Range], path: Path) -> None:
    """Exit when one ASN appears with two organisation names, since the snapshot stores one."""
    names: dict[int, str] = {}
    for r in ranges:
        asn, org = r.value
        if names.setdefault(asn, org) != org:
            sys.exit(f"error: {path}: AS{asn} has two names: {names[asn]!r} and {org!r}")


# ---------------------------------------------------------------------------------------------
# MMDB (MaxMind DB format 2.0), read with the standard library


class MmdbReader:
    METADATA_MARKER = b"\xab\xcd\xefMaxMind.com"

    def __init__(self, path: Path):
        self.path = path
        self.blob = path.read_bytes()
        marker = self.blob.rfind(self.METADATA_MARKER)
        if marker < 0:
            sys.exit(f"error: {path}: MMDB metadata marker not found")
        self.metadata, _ = self.decode(marker + len(self.METADATA_MARKER), base=0)
        self.node_count = self.metadata["node_count"]
        self.record_size = self.metadata["record_size"]
        self.ip_version = self.metadata["ip_version"]
        if self.record_size not in (24, 28, 32):
            sys.exit(f"error: {path}: unsupported MMDB record size {self.record_size}")
        self.node_bytes = self.record_size * 2 // 8
        self.data_base = self.node_count * self.node_bytes + 16

    def children(self, node: int) -> tuple[int, int]:
        offset = node * self.node_bytes
        b = self.blob[offset:offset + self.node_bytes]
        if self.record_size == 24:
            return int.from_bytes(b[0:3], "big"), int.from_bytes(b[3:6], "big")
        if self.record_size == 28:
            left = ((b[3] & 0xF0) << 20) | int.from_bytes(b[0:3], "big")
            right = ((b[3] & 0x0F) << 24) | int.from_bytes(b[4:7], "big")
            return left, right
        return int.from_bytes(b[0:4], "big"), int.from_bytes(b[4:8], "big")

    def networks(self):
        """Yield (first address, prefix length, data record offset) for every network with data."""
        bits = 32 if self.ip_version == 4 else 128
        stack = [(0, 0, 0)]
        while stack:
            node, depth, prefix = stack.pop()
            for bit, child in enumerate(self.children(node)):
                child_prefix = prefix | (bit << (bits - depth - 1))
                if child < self.node_count:
                    stack.append((child, depth + 1, child_prefix))
                elif child > self.node_count:
                    offset = child - self.node_count - 16
                    yield child_prefix, depth + 1, offset

    def record(self, offset: int):
        value, _ = self.decode(self.data_base + offset, base=self.data_base)
        return value

    def decode(self, offset: int, base: int):
        """Decode one data field at `offset`. Pointers inside it are relative to `base`."""
        control = self.blob[offset]
        offset += 1
        kind = control >> 5
        if kind == 1:  # pointer
            size = (control >> 3) & 0x3
            low = control & 0x7
            raw = self.blob[offset:offset + size + 1]
            if size == 0:
                pointer = (low << 8) | raw[0]
            elif size == 1:
                pointer = ((low << 16) | int.from_bytes(raw[:2], "big")) + 2048
            elif size == 2:
                pointer = ((low << 24) | int.from_bytes(raw[:3], "big")) + 526336
            else:
                pointer = int.from_bytes(self.blob[offset:offset + 4], "big")
            value, _ = self.decode(base + pointer, base)
            return value, offset + size + 1
        if kind == 0:  # extended type
            kind = 7 + self.blob[offset]
            offset += 1
        size = control & 0x1F
        if size == 29:
            size = 29 + self.blob[offset]
            offset += 1
        elif size == 30:
            size = 285 + int.from_bytes(self.blob[offset:offset + 2], "big")
            offset += 2
        elif size == 31:
            size = 65821 + int.from_bytes(self.blob[offset:offset + 3], "big")
            offset += 3

        if kind == 2:  # UTF-8 string
            return self.blob[offset:offset + size].decode("utf-8"), offset + size
        if kind == 3:  # double
            return struct.unpack(">d", self.blob[offset:offset + 8])[0], offset + 8
        if kind == 4:  # bytes
            return bytes(self.blob[offset:offset + size]), offset + size
        if kind in (5, 6, 9, 10):  # unsigned integers
            return int.from_bytes(self.blob[offset:offset + size], "big"), offset + size
        if kind == 8:  # int32
            return int.from_bytes(self.blob[offset:offset + size], "big", signed=True), offset + size
        if kind == 7:  # map
            result = {}
            for _ in range(size):
                key, offset = self.decode(offset, base)
                result[key], offset = self.decode(offset, base)
            return result, offset
        if kind == 11:  # array
            items = []
            for _ in range(size):
                item, offset = self.decode(offset, base)
                items.append(item)
            return items, offset
        if kind == 14:  # boolean, stored in the size field
            return bool(size), offset
        if kind == 15:  # float
            return struct.unpack(">f", self.blob[offset:offset + 4])[0], offset + 4
        sys.exit(f"error: {self.path}: unsupported MMDB data type {kind}")


def read_country_mmdb(path: Path, expected_version: int) -> list[Range]:
    reader = MmdbReader(path)
    if reader.ip_version != expected_version:
        sys.exit(f"error: {path}: expected an IPv{expected_version} tree, "
                 f"found IPv{reader.ip_version}")
    bits = 32 if expected_version == 4 else 128
    countries: dict[int, str] = {}
    ranges = []
    for first, prefix_length, offset in reader.networks():
        if offset not in countries:
            record = reader.record(offset)
            code = record.get("country_code") if isinstance(record, dict) else None
            if not (isinstance(code, str) and len(code) == 2 and code.isascii() and code.isupper()):
                sys.exit(f"error: {path}: record at {offset} has no two-letter country_code")
            countries[offset] = code
        last = first + (1 << (bits - prefix_length)) - 1
        ranges.append(Range(first, last, countries[offset]))
    ranges.sort(key=lambda r: r.start)
    return merge_adjacent(ranges)


# ---------------------------------------------------------------------------------------------
# iporigin


def read_iporigin(path: Path) -> tuple[list[Range], list[Range], int]:
    """Read iporigin's ranges.bin and return (IPv4 ranges, IPv6 ranges, build time).

    The layout is little-endian, as iporigin 1.1.2's _data.py reads it. The header is
    `8s H Q H I I`: magic b"IPORIGIN", version 1, build time in Unix seconds, label count, IPv4
    count and IPv6 count. Each label is a u16 length and UTF-8 "provider<TAB>kind". IPv4
    records are `I I H` (start, inclusive end, label index), and IPv6 records `16s 16s H` with
    big-endian addresses.
    """
    blob = path.read_bytes()
    header = struct.Struct("<8sHQHII")
    magic, version, built_at, label_count, v4_count, v6_count = header.unpack_from(blob, 0)
    if magic != b"IPORIGIN" or version != 1:
        sys.exit(f"error: {path}: not an iporigin version 1 dataset")
    offset = header.size

    labels = []
    for _ in range(label_count):
        (length,) = struct.unpack_from("<H", blob, offset)
        offset += 2
        provider, _, kind = blob[offset:offset + length].decode("utf-8").partition("\t")
        labels.append((provider, kind))
        offset += length

    v4 = []
    for _ in range(v4_count):
        start, end, label = struct.unpack_from("<IIH", blob, offset)
        offset += 10
        v4.append(Range(start, end, labels[label]))
    v6 = []
    for _ in range(v6_count):
        start, end, label = struct.unpack_from("<16s16sH", blob, offset)
        offset += 34
        v6.append(Range(int.from_bytes(start, "big"), int.from_bytes(end, "big"), labels[label]))
    if offset != len(blob):
        sys.exit(f"error: {path}: {len(blob) - offset} unread bytes at the end")
    return v4, v6, built_at


def classify_iporigin(ranges: list[Range]) -> tuple[list[Range], dict[str, int]]:
    """Map iporigin labels to (class, provider) and drop the excluded labels."""
    kept = []
    dropped: dict[str, int] = {}
    for r in ranges:
        provider, kind = r.value
        if provider in IPORIGIN_EXCLUDED:
            dropped[provider] = dropped.get(provider, 0) + 1
            continue
        if provider not in IPORIGIN_CLASSES:
            sys.exit(f"error: iporigin label {provider!r} ({kind}) has not been reviewed. Add it "
                     "to IPORIGIN_CLASSES or IPORIGIN_EXCLUDED after checking its licence")
        kept.append(Range(r.start, r.end, (IPORIGIN_CLASSES[provider], provider)))
    return kept, dropped


# ---------------------------------------------------------------------------------------------
# Microsoft list and ASN lists


def read_microsoft_ranges(path: Path) -> tuple[list[Range], list[Range], str]:
    """Read the Microsoft list and return (IPv4 ranges, IPv6 ranges, review date)."""
    v4, v6 = [], []
    reviewed = None
    for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("# Reviewed:"):
            reviewed = dt.date.fromisoformat(line.split(":", 1)[1].strip()).isoformat()
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            sys.exit(f"error: {path}:{line_number}: expected `CIDR<TAB>service`")
        try:
            network = ipaddress.ip_network(fields[0].strip())
        except ValueError as error:
            sys.exit(f"error: {path}:{line_number}: {error}")
        r = Range(int(network.network_address), int(network.broadcast_address),
                  ("microsoft", fields[1].strip()))
        (v4 if network.version == 4 else v6).append(r)
    if reviewed is None:
        sys.exit(f"error: {path}: missing the `# Reviewed: YYYY-MM-DD` line")
    return v4, v6, reviewed


def read_asn_list(path: Path) -> list[tuple[int, str, str]]:
    entries = []
    for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 3 or not fields[0].removeprefix("AS").isdigit():
            sys.exit(f"error: {path}:{line_number}: expected `AS<number><TAB>class<TAB>name`")
        entries.append((int(fields[0].removeprefix("AS")), fields[1], fields[2]))
    return entries


def report_asn_list(path: Path, org_names: dict[int, str]) -> None:
    """Print each listed ASN beside the registry's organisation name, for review."""
    print(f"\n{path.relative_to(REPO_ROOT)}:")
    for asn, class_name, name in read_asn_list(path):
        registry = org_names.get(asn)
        marker = "  " if registry else "! "
        print(f"{marker}AS{asn:<7} {class_name:<8} {name:<32} registry: {registry or 'NOT ANNOUNCED'}")


# ---------------------------------------------------------------------------------------------
# Output


class StringTable:
    def __init__(self):
        self.index: dict[str, int] = {}

    def add(self, text: str) -> None:
        self.index.setdefault(text, -1)

    def freeze(self) -> None:
        for position, text in enumerate(sorted(self.index)):
            self.index[text] = position

    def encode(self) -> bytes:
        texts = sorted(self.index, key=self.index.__getitem__)
        data = b"".join(t.encode("utf-8") for t in texts)
        offsets = [0]
        for text in texts:
            offsets.append(offsets[-1] + len(text.encode("utf-8")))
        return (struct.pack("<II", len(texts), len(data))
                + struct.pack(f"<{len(offsets)}I", *offsets) + data)


def with_gaps(ranges: list[Range], no_value, limit: int) -> list[tuple[int, object]]:
    """Turn disjoint ranges into (start, value) entries, inserting a `no_value` entry at each
    gap, so that a reader needs only the start column."""
    entries: list[tuple[int, object]] = []
    next_start = 0
    for r in ranges:
        if r.start > next_start:
            entries.append((next_start, no_value))
        entries.append((r.start, r.value))
        next_start = r.end + 1
    if ranges and next_start <= limit:
        entries.append((next_start, no_value))
    return entries


def encode_table(kind: int, family: int, entries: list[tuple[int, int]], value_format: str,
                 limit: int) -> bytes:
    """Encode one range table: kind, family, count, delta-coded starts, then values."""
    if entries and entries[-1][0] > limit:
        raise ValueError("range start beyond the address family")
    out = bytearray(struct.pack("<BBI", kind, family, len(entries)))
    previous = 0
    for start, _ in entries:
        delta = start - previous
        out += delta.to_bytes(4 if family == 4 else 16, "little")
        previous = start
    out += struct.pack(f"<{len(entries)}{value_format}", *(value for _, value in entries))
    return bytes(out)


def encode_str8(text: str) -> bytes:
    raw = text.encode("utf-8")
    if len(raw) > 255:
        raise ValueError(f"header string too long: {text!r}")
    return bytes([len(raw)]) + raw


def write_snapshot(path: Path, build_date: str, sources: list[Source], body: bytes) -> int:
    import zstandard

    compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_checksum=True,
                                          write_content_size=True)
    compressed = compressor.compress(body)

    header = bytearray(MAGIC)
    header += struct.pack("<HBB", FORMAT_VERSION, COMPRESSION_ZSTD, 0)
    header += encode_str8(build_date)
    header += struct.pack("<B", len(sources))
    for source in sources:
        for field in (source.name, source.version, source.data_date, source.licence):
            header += encode_str8(field)
    header += struct.pack("<QQ", len(body), len(compressed))

    path.write_bytes(bytes(header) + compressed)
    return len(header) + len(compressed)


# ---------------------------------------------------------------------------------------------
# Assembly


def build_body(asn4, asn6, country4, country6, class4, class6) -> tuple[bytes, dict]:
    strings = StringTable()
    asn_orgs: dict[int, str] = {}
    for r in asn4 + asn6:
        asn, org = r.value
        asn_orgs[asn] = org
        strings.add(org)
    providers = sorted({r.value for r in class4 + class6})
    for _, name in providers:
        strings.add(name)
    strings.freeze()

    asn_numbers = sorted(asn_orgs)
    asn_index = {asn: i for i, asn in enumerate(asn_numbers)}
    provider_index = {p: i for i, p in enumerate(providers)}
    country_codes = sorted({r.value for r in country4 + country6})
    country_index = {c: i for i, c in enumerate(country_codes)}

    body = bytearray(strings.encode())
    body += struct.pack("<I", len(asn_numbers))
    body += struct.pack(f"<{len(asn_numbers)}I", *asn_numbers)
    body += struct.pack(f"<{len(asn_numbers)}I", *(strings.index[asn_orgs[a]] for a in asn_numbers))
    body += struct.pack("<H", len(providers))
    body += bytes(CLASS_CODES[class_name] for class_name, _ in providers)
    body += struct.pack(f"<{len(providers)}I", *(strings.index[name] for _, name in providers))
    body += struct.pack("<H", len(country_codes))
    body += b"".join(code.encode("ascii") for code in country_codes)

    def table(kind, family, ranges, value_of, no_value, value_format):
        limit = (1 << 32) - 1 if family == 4 else (1 << 128) - 1
        mapped = merge_adjacent([Range(r.start, r.end, value_of(r.value)) for r in ranges])
        entries = with_gaps(mapped, no_value, limit)
        return encode_table(kind, family, entries, value_format, limit), len(entries)

    def asn_of(value):
        return asn_index[value[0]]

    counts = {}
    for kind, family, ranges, value_of, no_value, value_format, label in (
        (TABLE_ASN, 4, asn4, asn_of, NO_VALUE_U32, "I", "asn v4"),
        (TABLE_ASN, 6, asn6, asn_of, NO_VALUE_U32, "I", "asn v6"),
        (TABLE_COUNTRY, 4, country4, country_index.__getitem__, NO_VALUE_U16, "H", "country v4"),
        (TABLE_COUNTRY, 6, country6, country_index.__getitem__, NO_VALUE_U16, "H", "country v6"),
        (TABLE_CLASS, 4, class4, provider_index.__getitem__, NO_VALUE_U16, "H", "class v4"),
        (TABLE_CLASS, 6, class6, provider_index.__getitem__, NO_VALUE_U16, "H", "class v6"),
    ):
        encoded, counts[label] = table(kind, family, ranges, value_of, no_value, value_format)
        body += encoded

    counts["strings"] = len(strings.index)
    counts["asns"] = len(asn_numbers)
    counts["providers"] = len(providers)
    counts["countries"] = len(country_codes)
    return bytes(body), counts


def build_class_table(iporigin: list[Range], microsoft: list[Range]) -> list[Range]:
    rank_of = {name: i for i, name in enumerate(CLASS_PRECEDENCE)}
    return resolve_overlaps(iporigin + microsoft, lambda r: (rank_of[r.value[0]], width(r)))


def default_build_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = (dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch
              else dt.datetime.now(dt.timezone.utc))
    return moment.date().isoformat()


def npm_version_date(version: str) -> str:
    """Return the data date in an ip-location-db version such as 2.3.2026061719."""
    stamp = version.split(".")[-1]
    return f"{stamp[0:4]}-{stamp[4:6]}-{stamp[6:8]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=Path,
                        help="folder with the three package archives (default: fetch them)")
    parser.add_argument("--output", type=Path, default=DATA_DIR / "snapshot.bin",
                        help="snapshot file to write (default: %(default)s)")
    parser.add_argument("--build-date", default=default_build_date(),
                        help="date recorded in the header, YYYY-MM-DD (default: today in UTC, "
                             "or SOURCE_DATE_EPOCH when set)")
    args = parser.parse_args()
    dt.date.fromisoformat(args.build_date)

    with tempfile.TemporaryDirectory(prefix="ipintel-") as temp:
        temp_dir = Path(temp)
        archives = args.sources
        if archives is None:
            archives = temp_dir / "archives"
            archives.mkdir()
            fetch_sources(archives)
        roots = unpack_sources(archives, temp_dir / "unpacked")

        asn4 = read_asn_csv(roots["asn"] / "asn-ipv4-num.csv")
        asn6 = read_asn_csv(roots["asn"] / "asn-ipv6-num.csv")
        check_asn_names(asn4 + asn6, roots["asn"])
        # The CSV rows are meant to be disjoint, but this version has overlapping rows
        # (215.0.0.0/16 in IPv4). The narrower row wins.
        asn4 = resolve_overlaps(asn4, width)
        asn6 = resolve_overlaps(asn6, width)

        country4 = read_country_mmdb(roots["geo"] / "geo-whois-asn-country-ipv4.mmdb", 4)
        country6 = read_country_mmdb(roots["geo"] / "geo-whois-asn-country-ipv6.mmdb", 6)

        origin4, origin6, built_at = read_iporigin(roots["iporigin"] / "iporigin/data/ranges.bin")
        origin4, dropped4 = classify_iporigin(origin4)
        origin6, dropped6 = classify_iporigin(origin6)

    microsoft4, microsoft6, reviewed = read_microsoft_ranges(DATA_DIR / "microsoft-ranges.txt")
    class4 = build_class_table(origin4, microsoft4)
    class6 = build_class_table(origin6, microsoft6)

    iporigin_date = dt.datetime.fromtimestamp(built_at, dt.timezone.utc).date().isoformat()
    sources = [
        Source(ASN_PACKAGE, ASN_VERSION, npm_version_date(ASN_VERSION), "CC-BY-4.0"),
        Source(GEO_PACKAGE, GEO_VERSION, npm_version_date(GEO_VERSION), "CC0-1.0"),
        Source(IPORIGIN_PACKAGE, IPORIGIN_VERSION, iporigin_date,
               "MIT code; CC0 and provider-published data"),
        Source("microsoft-ranges.txt", "reviewed", reviewed, "Microsoft 365 endpoints web service"),
    ]

    body, counts = build_body(asn4, asn6, country4, country6, class4, class6)
    size = write_snapshot(args.output, args.build_date, sources, body)

    print(f"wrote {args.output} ({size:,} bytes; body {len(body):,} bytes before compression)")
    for label, count in counts.items():
        print(f"  {label:<11} {count:>9,}")
    dropped = {k: dropped4.get(k, 0) + dropped6.get(k, 0) for k in dropped4.keys() | dropped6.keys()}
    print("  iporigin ranges left out (no licence):",
          ", ".join(f"{k} {v}" for k, v in sorted(dropped.items())))

    org_names = {r.value[0]: r.value[1] for r in asn4 + asn6}
    report_asn_list(DATA_DIR / "hosting-asns.txt", org_names)
    report_asn_list(DATA_DIR / "mobile-asns.txt", org_names)


if __name__ == "__main__":
    main()
