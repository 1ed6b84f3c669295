//! Export of harrier findings in open formats.
//!
//! harrier exports its findings as OCSF 1.3.0 Detection Finding (class 2004) records, and every record
//! it writes must conform to the official schema. [`ocsf::schema::Schema`] loads the schema
//! repository's JSON files from a directory (`testdata/ocsf-schema-1.3.0` in this repository) and
//! resolves them in code instead of depending on a generated JSON Schema:
//!
//! - `dictionary.json` supplies every attribute's type, `is_array`, enum, caption sibling and
//!   deprecation, and its `types` section maps each scalar type (`timestamp_t`, `ip_t`, ...) down to a
//!   base type (`string_t`, `integer_t`, `long_t`, `float_t`, `boolean_t`, `json_t`).
//! - Objects (`objects/*.json`) and event classes (`events/**/*.json`) follow their `extends` chain,
//!   then merge the files named by `$include`, then their own attributes. A later definition of an
//!   attribute is deep-merged over an earlier one, so enums add up along the chain.
//! - An attribute that only a profile file (`profiles/*.json`) contributes is allowed in a record only
//!   when the record's `metadata.profiles` lists that profile. An attribute that the class or object
//!   also defines itself is always allowed.
//!
//! [`ocsf::schema::Schema::validate`] then checks a record against its class, found by `class_uid`:
//! required attributes, value types, enum values, caption siblings, `at_least_one` and `just_one`
//! constraints, unknown attributes and the `category_uid` and `type_uid` arithmetic. Everything under
//! an attribute of type `object` (such as `unmapped`) or `json_t` is free-form and not checked.

//!
//! [`Exporter`] reads the analysis database's findings log from its checkpoint and maps breaches and
//! incidents with [`ocsf::map`]. For files it encodes them as JSON lines or Parquet ([`encode`]) in the
//! Amazon Security Lake layout ([`layout`]), stages them on local disk and uploads them to a directory or
//! an S3 bucket with object_store. Otherwise it delivers them to a webhook or a syslog receiver ([`sink`]).

pub mod encode;
mod error;
pub mod export;
pub mod layout;
pub mod ocsf;
pub mod sink;

pub use encode::Format;
pub use error::ExportError;
pub use export::{Destination, ExportOptions, ExportSummary, Exporter, FlushPolicy};
pub use layout::Layout;
