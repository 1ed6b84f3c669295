//! Loading, resolution and validation of the OCSF schema.

mod error;
mod load;
mod resolve;
mod validate;

use std::collections::BTreeMap;
use std::path::Path;

pub use error::SchemaError;
pub use validate::{Problem, Violation};

/// Whether a record must, should or may contain an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    Required,
    Recommended,
    Optional,
}

/// The JSON shape of an attribute's value after its type is resolved to a base type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseType {
    String,
    Integer,
    Long,
    Float,
    Boolean,
    /// Any JSON value (`json_t`).
    Json,
    /// An object defined under `objects/`, checked against its own attributes.
    Object(String),
    /// The generic `object` type, such as `unmapped`, whose contents are not checked.
    FreeForm,
}

/// An attribute of a class or object after merging the dictionary, `extends` and `$include`.
#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: String,
    /// Type name as the schema writes it, such as `timestamp_t` or `user`.
    pub type_name: String,
    pub base_type: BaseType,
    pub is_array: bool,
    pub requirement: Requirement,
    /// Allowed values keyed by their JSON text (`"1"`, `"99"`) and mapped to their captions. Empty
    /// when the attribute has no enum.
    pub enum_values: BTreeMap<String, String>,
    /// Attribute holding the caption of this attribute's enum value, such as `severity` for
    /// `severity_id`.
    pub sibling: Option<String>,
    /// Profile that contributes the attribute, when only a profile does.
    pub profile: Option<String>,
    pub deprecated: bool,
    /// OCSF observable type id of the attribute or of its data type.
    pub observable: Option<i64>,
    /// Inclusive value range of an integer type such as `port_t`.
    pub range: Option<(i64, i64)>,
}

/// Constraints across the attributes of one class or object.
#[derive(Debug, Clone, Default)]
pub struct Constraints {
    /// At least one of these attributes must be present.
    pub at_least_one: Vec<String>,
    /// Exactly one of these attributes must be present.
    pub just_one: Vec<String>,
}

/// A resolved object or event class.
#[derive(Debug, Clone)]
pub struct Definition {
    pub name: String,
    pub caption: String,
    pub attributes: BTreeMap<String, Attribute>,
    pub constraints: Constraints,
}

/// A resolved event class with its numeric identifiers.
#[derive(Debug, Clone)]
pub struct EventClass {
    /// `category_uid * 1000 + uid`, for example 2004 for Detection Finding.
    pub class_uid: i64,
    pub category_uid: i64,
    pub definition: Definition,
}

/// The resolved OCSF schema: every object and every concrete event class.
#[derive(Debug, Clone)]
pub struct Schema {
    version: String,
    objects: BTreeMap<String, Definition>,
    classes: BTreeMap<i64, EventClass>,
}

impl Schema {
    /// Loads and resolves the schema repository checked out at `dir`.
    ///
    /// # Errors
    /// Returns [`SchemaError`] naming the file that is missing, unreadable, not JSON, or refers to an
    /// unknown parent, type or dictionary attribute.
    pub fn load(dir: &Path) -> Result<Self, SchemaError> {
        load::load(dir)
    }

    /// Schema version from `version.json`, such as `1.3.0`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Returns the event class with this `class_uid`.
    pub fn class(&self, class_uid: i64) -> Option<&EventClass> {
        self.classes.get(&class_uid)
    }

    /// Returns every event class in `class_uid` order.
    pub fn classes(&self) -> impl Iterator<Item = &EventClass> {
        self.classes.values()
    }

    /// Returns the object named `name`, such as `finding_info`.
    pub fn object(&self, name: &str) -> Option<&Definition> {
        self.objects.get(name)
    }
}
