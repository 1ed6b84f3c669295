//! Offline IP intelligence: for any address, its ASN, AS organisation, country and network
//! class ([`harrier_model::IpClass`]), with no network access at run time.
//!
//! # Why it is built this way
//!
//! harrier enriches every sign-in and every received message, so lookups have to be cheap
//! (tens of nanoseconds in `benches/lookup.rs`) and must not depend on an outside service, which
//! may be down, rate-limited or watching. All data therefore ships inside the binary:
//!
//! - **One snapshot file** (`data/ipintel/snapshot.bin`, about 3 MB compressed) holds sorted,
//!   non-overlapping range tables for ASN, country and class, built from public data sets by
//!   `tools/ipintel/build_snapshot.py`. It is embedded with `include_bytes!`, and an operator can
//!   point [`IpIntelBuilder::snapshot_file`] at a newer build without recompiling.
//! - **Hand-kept ASN lists** (`data/ipintel/hosting-asns.txt` and `mobile-asns.txt`) class small
//!   hosting providers, VPN operators and mobile carriers that no range list covers, such as
//!   AS396073 (Majestic Hosting). They are plain text so that they can be reviewed line by line
//!   and overridden by operators.
//! - **Lookups are binary searches** over arrays decoded once at load time. Each table keeps a
//!   first-level index on the address's top 16 bits, so a search covers a few dozen entries at
//!   most. [`IpIntel::lookup_ref`] allocates nothing; [`IpIntel::lookup`] allocates only the
//!   strings of the returned [`IpInfo`](harrier_model::IpInfo).
//! - **A damaged snapshot is an error, never a panic**: every count, offset and index in the
//!   file is checked before use, and the zstd frame carries a checksum.
//!
//! # Class precedence
//!
//! The first rule that matches sets the class: private or reserved space; Tor exits; Microsoft
//! 365 service ranges; VPN exits; public cloud ranges; CDN ranges; hosting ranges; the ASN lists
//! (hosting, cloud, CDN and VPN entries before mobile ones); residential for any other announced
//! address; unknown for unannounced space. The range classes are merged by the build script,
//! which applies the same order where ranges overlap.
//!
//! # Example
//!
//! ```
//! use harrier_enrich::IpIntel;
//! use harrier_model::IpClass;
//!
//! let intel = IpIntel::embedded()?;
//! let info = intel.lookup("45.62.170.237".parse()?);
//! assert_eq!(info.asn, Some(396073));
//! assert_eq!(info.class, IpClass::Hosting);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

mod asn_list;
mod error;
mod intel;
mod reserved;
mod snapshot;
mod table;

pub use error::{IntelError, SnapshotDefect};
pub use intel::{IpInfoRef, IpIntel, IpIntelBuilder};
pub use snapshot::SourceInfo;
