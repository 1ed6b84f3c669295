//! The loaded IP intelligence and its lookups.

use std::net::IpAddr;
use std::path::PathBuf;

use harrier_model::{IpClass, IpInfo};
use jiff::civil::Date;

use crate::asn_list::{self, AsnClasses};
use crate::error::IntelError;
use crate::reserved::{is_reserved_v4, is_reserved_v6};
use crate::snapshot::{self, FamilyTables, Snapshot, SourceInfo};
use crate::table::Address;

/// The snapshot shipped with harrier, built by `tools/ipintel/build_snapshot.py`.
static EMBEDDED_SNAPSHOT: &[u8] = include_bytes!("../../../data/ipintel/snapshot.bin");

/// The name used for the embedded snapshot in errors and in [`IpIntel::snapshot_origin`].
const EMBEDDED_ORIGIN: &str = "built-in snapshot";

/// Offline IP intelligence: ASN, AS organisation, country and network class for any address.
///
/// Build one with [`IpIntel::embedded`], [`IpIntel::from_file`] or [`IpIntel::builder`] at
/// start-up and share it: it is immutable, `Send` and `Sync`. Its tables take about 22 MB for the
/// 2026-12 snapshot (an estimate from the table and index sizes). Loading also needs the 18 MB
/// decoded body for a moment.
pub struct IpIntel {
    snapshot: Snapshot,
    asn_classes: AsnClasses,
    origin: String,
}

/// The data about one address, with strings borrowed from the [`IpIntel`].
///
/// [`IpIntel::lookup_ref`] returns this without allocating. Convert it with
/// [`IpInfoRef::to_info`] or `IpInfo::from` when an owned value is needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpInfoRef<'a> {
    /// Autonomous system number, when the address is announced.
    pub asn: Option<u32>,
    /// The AS organisation as the registry data spells it.
    pub as_org: Option<&'a str>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: Option<&'a str>,
    /// The network class.
    pub class: IpClass,
    /// The provider named by the range list or ASN list that set the class.
    pub provider: Option<&'a str>,
}

impl IpInfoRef<'_> {
    /// Copies the borrowed strings into an owned [`IpInfo`].
    pub fn to_info(&self) -> IpInfo {
        IpInfo {
            asn: self.asn,
            as_org: self.as_org.map(str::to_owned),
            country: self.country.map(str::to_owned),
            class: self.class,
            provider: self.provider.map(str::to_owned),
        }
    }

    fn reserved() -> Self {
        IpInfoRef {
            asn: None,
            as_org: None,
            country: None,
            class: IpClass::Private,
            provider: None,
        }
    }
}

impl From<IpInfoRef<'_>> for IpInfo {
    fn from(info: IpInfoRef<'_>) -> Self {
        info.to_info()
    }
}

impl IpIntel {
    /// Loads the embedded snapshot with the built-in ASN lists.
    pub fn embedded() -> Result<Self, IntelError> {
        Self::builder().build()
    }

    /// Loads the snapshot at `path` with the built-in ASN lists.
    pub fn from_file(path: impl Into<PathBuf>) -> Result<Self, IntelError> {
        Self::builder().snapshot_file(path).build()
    }

    /// Starts configuring where the snapshot and ASN lists come from.
    pub fn builder() -> IpIntelBuilder {
        IpIntelBuilder::default()
    }

    /// Looks up an address and returns owned data.
    ///
    /// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are looked up as IPv4.
    pub fn lookup(&self, ip: IpAddr) -> IpInfo {
        self.lookup_ref(ip).to_info()
    }

    /// Looks up an address without allocating.
    ///
    /// The first matching rule sets the class:
    ///
    /// 1. private or reserved space;
    /// 2. the snapshot's class ranges, which the build script already ranked (Tor, Microsoft,
    ///    VPN, cloud, CDN, hosting);
    /// 3. the ASN lists;
    /// 4. residential, when any ASN announces the address;
    /// 5. unknown.
    pub fn lookup_ref(&self, ip: IpAddr) -> IpInfoRef<'_> {
        match ip {
            IpAddr::V4(v4) => {
                if is_reserved_v4(v4) {
                    return IpInfoRef::reserved();
                }
                self.resolve(&self.snapshot.v4, u32::from(v4))
            }
            IpAddr::V6(v6) => {
                if let Some(v4) = v6.to_ipv4_mapped() {
                    return self.lookup_ref(IpAddr::V4(v4));
                }
                if is_reserved_v6(v6) {
                    return IpInfoRef::reserved();
                }
                self.resolve(&self.snapshot.v6, u128::from(v6))
            }
        }
    }

    fn resolve<A: Address>(&self, tables: &FamilyTables<A>, address: A) -> IpInfoRef<'_> {
        let snapshot = &self.snapshot;

        let asn_position = tables.asn.find(address).map(|value| value as usize);
        let asn = asn_position.map(|position| snapshot.asns[position]);
        let as_org = asn_position
            .map(|position| snapshot.strings.get(snapshot.asn_orgs[position]))
            .filter(|org| !org.is_empty());
        let country = tables
            .country
            .find(address)
            .map(|value| snapshot.country(usize::from(value)));

        let (class, provider) = if let Some(value) = tables.class.find(address) {
            let provider = snapshot.providers[usize::from(value)];
            (provider.class, Some(snapshot.strings.get(provider.name)))
        } else if let Some(listed) = asn.and_then(|asn| self.asn_classes.get(asn)) {
            (listed.class, Some(&*listed.name))
        } else if asn.is_some() {
            (IpClass::Residential, None)
        } else {
            (IpClass::Unknown, None)
        };

        IpInfoRef {
            asn,
            as_org,
            country,
            class,
            provider,
        }
    }

    /// Returns the date the snapshot was built.
    pub fn snapshot_date(&self) -> Date {
        self.snapshot.build_date
    }

    /// Returns the source packages recorded in the snapshot, with their versions, data dates
    /// and licences.
    pub fn sources(&self) -> &[SourceInfo] {
        &self.snapshot.sources
    }

    /// Returns where the snapshot came from: its path, or "built-in snapshot".
    pub fn snapshot_origin(&self) -> &str {
        &self.origin
    }

    /// Returns the number of entries in the snapshot's six range tables, gaps included.
    pub fn range_count(&self) -> usize {
        let v4 = &self.snapshot.v4;
        let v6 = &self.snapshot.v6;
        v4.asn.len()
            + v4.country.len()
            + v4.class.len()
            + v6.asn.len()
            + v6.country.len()
            + v6.class.len()
    }

    /// Returns the number of ASNs that the loaded ASN lists class.
    pub fn listed_asn_count(&self) -> usize {
        self.asn_classes.len()
    }
}

/// Configuration of the snapshot and ASN lists that [`IpIntel`] loads.
///
/// By default it uses the snapshot embedded in the binary and the built-in hosting and mobile
/// ASN lists. Lists added with [`asn_list_file`](Self::asn_list_file) or
/// [`asn_list_text`](Self::asn_list_text) are applied after the built-in ones, in the order
/// given, and an ASN they list replaces an earlier entry for it.
#[derive(Default)]
pub struct IpIntelBuilder {
    snapshot: SnapshotSource,
    skip_builtin_asn_lists: bool,
    asn_lists: Vec<AsnListSource>,
}

#[derive(Default)]
enum SnapshotSource {
    #[default]
    Embedded,
    File(PathBuf),
    Bytes {
        bytes: Vec<u8>,
        origin: String,
    },
}

enum AsnListSource {
    File(PathBuf),
    Text { origin: String, text: String },
}

impl IpIntelBuilder {
    /// Reads the snapshot from `path` instead of the embedded one.
    pub fn snapshot_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.snapshot = SnapshotSource::File(path.into());
        self
    }

    /// Uses snapshot bytes already in memory; `origin` names them in errors.
    pub fn snapshot_bytes(mut self, bytes: Vec<u8>, origin: impl Into<String>) -> Self {
        self.snapshot = SnapshotSource::Bytes {
            bytes,
            origin: origin.into(),
        };
        self
    }

    /// Chooses whether the built-in hosting and mobile ASN lists are loaded (the default is
    /// yes). Turn them off to rely on operator lists alone.
    pub fn builtin_asn_lists(mut self, enabled: bool) -> Self {
        self.skip_builtin_asn_lists = !enabled;
        self
    }

    /// Adds an ASN list file in the `ASN<TAB>class<TAB>name` format of
    /// `data/ipintel/hosting-asns.txt`.
    pub fn asn_list_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.asn_lists.push(AsnListSource::File(path.into()));
        self
    }

    /// Adds an ASN list given as text; `origin` names it in errors.
    pub fn asn_list_text(mut self, origin: impl Into<String>, text: impl Into<String>) -> Self {
        self.asn_lists.push(AsnListSource::Text {
            origin: origin.into(),
            text: text.into(),
        });
        self
    }

    /// Reads and checks the snapshot and lists.
    pub fn build(self) -> Result<IpIntel, IntelError> {
        let (snapshot, origin) = load_snapshot(self.snapshot)?;
        let asn_classes = load_asn_lists(!self.skip_builtin_asn_lists, self.asn_lists)?;
        Ok(IpIntel {
            snapshot,
            asn_classes,
            origin,
        })
    }
}

fn load_snapshot(source: SnapshotSource) -> Result<(Snapshot, String), IntelError> {
    let (parsed, origin) = match source {
        SnapshotSource::Embedded => (
            snapshot::parse(EMBEDDED_SNAPSHOT),
            EMBEDDED_ORIGIN.to_owned(),
        ),
        SnapshotSource::File(path) => {
            let bytes = std::fs::read(&path).map_err(|error| IntelError::ReadSnapshot {
                path: path.clone(),
                error,
            })?;
            (snapshot::parse(&bytes), path.display().to_string())
        }
        SnapshotSource::Bytes { bytes, origin } => (snapshot::parse(&bytes), origin),
    };
    match parsed {
        Ok(snapshot) => Ok((snapshot, origin)),
        Err(defect) => Err(IntelError::InvalidSnapshot { origin, defect }),
    }
}

fn load_asn_lists(builtin: bool, extra: Vec<AsnListSource>) -> Result<AsnClasses, IntelError> {
    let mut classes = AsnClasses::default();
    if builtin {
        // Mobile first, so that an ASN in both built-in lists keeps its hosting-list class.
        classes.extend(asn_list::parse(
            "built-in mobile-asns.txt",
            asn_list::BUILTIN_MOBILE,
        )?);
        classes.extend(asn_list::parse(
            "built-in hosting-asns.txt",
            asn_list::BUILTIN_HOSTING,
        )?);
    }
    for source in extra {
        let list = match source {
            AsnListSource::File(path) => {
                let text =
                    std::fs::read_to_string(&path).map_err(|error| IntelError::ReadAsnList {
                        path: path.clone(),
                        error,
                    })?;
                asn_list::parse(&path.display().to_string(), &text)?
            }
            AsnListSource::Text { origin, text } => asn_list::parse(&origin, &text)?,
        };
        classes.extend(list);
    }
    Ok(classes)
}
