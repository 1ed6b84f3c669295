//! Checking a JSON record against its resolved event class.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value};

use super::{Attribute, BaseType, Definition, EventClass, Requirement, Schema};

/// The enum value the schema defines as "Other", whose caption sibling may hold any text.
const OTHER_ENUM_VALUE: &str = "99";

/// One way a record departs from the schema, at a JSON path such as `finding_info.analytic.type_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Dotted path of the attribute, with `[i]` for array elements. Empty for the whole record.
    pub path: String,
    pub problem: Problem,
}

/// The problem with the value at a [`Violation`]'s path.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Problem {
    #[error("missing required attribute, expected {expected}")]
    Missing { expected: String },
    #[error("invalid type {found}, expected {expected}")]
    WrongType {
        expected: String,
        found: &'static str,
    },
    #[error("invalid enum value {value}, expected one of {}", .allowed.join(", "))]
    InvalidEnum { value: String, allowed: Vec<String> },
    #[error("value {value} is out of range, expected {min} to {max}")]
    OutOfRange { value: i64, min: i64, max: i64 },
    #[error("caption {found:?} does not match the enum value, expected {expected:?}")]
    CaptionMismatch { found: String, expected: String },
    #[error(
        "unknown attribute, expected one of the {definition} attributes or a key under `unmapped`"
    )]
    Unknown { definition: String },
    #[error("attribute of profile {profile:?} is not allowed unless metadata.profiles lists it")]
    ProfileNotListed { profile: String },
    #[error("expected at least one of {}", .attributes.join(", "))]
    AtLeastOne { attributes: Vec<String> },
    #[error("expected exactly one of {}, found {found}", .attributes.join(", "))]
    JustOne {
        attributes: Vec<String>,
        found: usize,
    },
    #[error("unknown event class {class_uid}")]
    UnknownClass { class_uid: i64 },
    #[error("invalid value {found}, expected {expected} ({rule})")]
    Mismatch {
        found: i64,
        expected: i64,
        rule: &'static str,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "record"
        } else {
            &self.path
        };
        write!(f, "{path}: {}", self.problem)
    }
}

impl Schema {
    /// Validates `record` against the event class named by its `class_uid`.
    ///
    /// # Errors
    /// Returns every violation found. The record is not checked further when its `class_uid` is
    /// missing or unknown.
    pub fn validate(&self, record: &Value) -> Result<(), Vec<Violation>> {
        let mut checker = Checker {
            schema: self,
            profiles: listed_profiles(record),
            violations: Vec::new(),
        };
        let Some(fields) = record.as_object() else {
            checker.wrong_type(String::new(), "an event record object", record);
            return Err(checker.violations);
        };
        if let Some(class) = checker.class_of(fields) {
            checker.check_uids(fields, class);
            checker.check_object(&class.definition, fields, "");
        }
        match checker.violations.is_empty() {
            true => Ok(()),
            false => Err(checker.violations),
        }
    }
}

/// Profile names in the record's `metadata.profiles`.
fn listed_profiles(record: &Value) -> BTreeSet<String> {
    let profiles = record
        .pointer("/metadata/profiles")
        .and_then(Value::as_array);
    profiles
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

struct Checker<'s> {
    schema: &'s Schema,
    profiles: BTreeSet<String>,
    violations: Vec<Violation>,
}

impl<'s> Checker<'s> {
    fn push(&mut self, path: String, problem: Problem) {
        self.violations.push(Violation { path, problem });
    }

    fn wrong_type(&mut self, path: String, expected: &str, value: &Value) {
        let problem = Problem::WrongType {
            expected: expected.to_owned(),
            found: kind_of(value),
        };
        self.push(path, problem);
    }

    fn class_of(&mut self, fields: &Map<String, Value>) -> Option<&'s EventClass> {
        let Some(value) = fields.get("class_uid") else {
            let expected = "integer class_uid, such as 2004".to_owned();
            self.push("class_uid".to_owned(), Problem::Missing { expected });
            return None;
        };
        let Some(class_uid) = value.as_i64() else {
            self.wrong_type("class_uid".to_owned(), "integer_t", value);
            return None;
        };
        let class = self.schema.class(class_uid);
        if class.is_none() {
            self.push("class_uid".to_owned(), Problem::UnknownClass { class_uid });
        }
        class
    }

    /// Checks `category_uid` against the class and `type_uid` against `class_uid * 100 + activity_id`.
    fn check_uids(&mut self, fields: &Map<String, Value>, class: &EventClass) {
        if let Some(found) = fields.get("category_uid").and_then(Value::as_i64) {
            self.check_equal(
                "category_uid",
                found,
                class.category_uid,
                "category of the class",
            );
        }
        let activity_id = fields.get("activity_id").and_then(Value::as_i64);
        let type_uid = fields.get("type_uid").and_then(Value::as_i64);
        if let (Some(activity_id), Some(found)) = (activity_id, type_uid) {
            let expected = class.class_uid * 100 + activity_id;
            self.check_equal("type_uid", found, expected, "class_uid * 100 + activity_id");
        }
    }

    fn check_equal(&mut self, path: &str, found: i64, expected: i64, rule: &'static str) {
        if found != expected {
            self.push(
                path.to_owned(),
                Problem::Mismatch {
                    found,
                    expected,
                    rule,
                },
            );
        }
    }

    fn check_object(&mut self, definition: &Definition, fields: &Map<String, Value>, path: &str) {
        for attribute in definition.attributes.values() {
            let allowed = self.profile_allowed(attribute);
            if allowed
                && attribute.requirement == Requirement::Required
                && !fields.contains_key(&attribute.name)
            {
                let expected = expected_type(attribute);
                self.push(join(path, &attribute.name), Problem::Missing { expected });
            }
        }
        for (key, value) in fields {
            let child_path = join(path, key);
            match definition.attributes.get(key) {
                None => {
                    let definition = definition.name.clone();
                    self.push(child_path, Problem::Unknown { definition });
                }
                Some(attribute) if !self.profile_allowed(attribute) => {
                    let profile = attribute.profile.clone().unwrap_or_default();
                    self.push(child_path, Problem::ProfileNotListed { profile });
                }
                Some(attribute) => {
                    self.check_value(attribute, value, &child_path);
                    self.check_caption(definition, attribute, fields, path);
                }
            }
        }
        self.check_constraints(definition, fields, path);
    }

    fn profile_allowed(&self, attribute: &Attribute) -> bool {
        match &attribute.profile {
            Some(profile) => self.profiles.contains(profile),
            None => true,
        }
    }

    fn check_value(&mut self, attribute: &Attribute, value: &Value, path: &str) {
        if !attribute.is_array {
            self.check_single(attribute, value, path);
            return;
        }
        let Some(elements) = value.as_array() else {
            self.wrong_type(path.to_owned(), &expected_type(attribute), value);
            return;
        };
        for (index, element) in elements.iter().enumerate() {
            self.check_single(attribute, element, &format!("{path}[{index}]"));
        }
    }

    /// Checks one value (an array element for an `is_array` attribute) against the attribute's type,
    /// range and enum.
    // NOTE: the data types' `regex` and `max_len` (for `ip_t`, `email_t`, `datetime_t`, ...) are not
    // checked, so any JSON string passes as one of them.
    fn check_single(&mut self, attribute: &Attribute, value: &Value, path: &str) {
        let type_matches = match &attribute.base_type {
            BaseType::Json => true,
            BaseType::String => value.is_string(),
            BaseType::Integer | BaseType::Long => value.is_i64() || value.is_u64(),
            BaseType::Float => value.is_number(),
            BaseType::Boolean => value.is_boolean(),
            BaseType::FreeForm => value.is_object(),
            BaseType::Object(name) => return self.check_nested(name, value, path),
        };
        if !type_matches {
            self.wrong_type(path.to_owned(), &describe_type(attribute), value);
            return;
        }
        self.check_range(attribute, value, path);
        self.check_enum(attribute, value, path);
    }

    fn check_nested(&mut self, object_name: &str, value: &Value, path: &str) {
        let Some(fields) = value.as_object() else {
            self.wrong_type(path.to_owned(), &format!("{object_name} object"), value);
            return;
        };
        // `Schema::load` rejects a type that names neither a data type nor an object, so this
        // lookup always succeeds.
        if let Some(definition) = self.schema.object(object_name) {
            self.check_object(definition, fields, path);
        }
    }

    fn check_range(&mut self, attribute: &Attribute, value: &Value, path: &str) {
        let (Some((min, max)), Some(number)) = (attribute.range, value.as_i64()) else {
            return;
        };
        if number < min || number > max {
            self.push(
                path.to_owned(),
                Problem::OutOfRange {
                    value: number,
                    min,
                    max,
                },
            );
        }
    }

    fn check_enum(&mut self, attribute: &Attribute, value: &Value, path: &str) {
        if attribute.enum_values.is_empty() {
            return;
        }
        let key = match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        if !attribute.enum_values.contains_key(&key) {
            let allowed = attribute
                .enum_values
                .iter()
                .map(|(id, caption)| format!("{id} ({caption})"))
                .collect();
            self.push(
                path.to_owned(),
                Problem::InvalidEnum {
                    value: key,
                    allowed,
                },
            );
        }
    }

    /// Checks that a caption sibling such as `severity` matches the caption of `severity_id`. Any
    /// caption is allowed for 99 (Other), because the source defines it.
    fn check_caption(
        &mut self,
        definition: &Definition,
        attribute: &Attribute,
        fields: &Map<String, Value>,
        path: &str,
    ) {
        let Some(sibling) = &attribute.sibling else {
            return;
        };
        let id = fields
            .get(&attribute.name)
            .and_then(Value::as_i64)
            .map(|id| id.to_string());
        let found = fields.get(sibling).and_then(Value::as_str);
        let (Some(id), Some(found)) = (id, found) else {
            return;
        };
        let expected = attribute
            .enum_values
            .get(&id)
            .filter(|caption| !caption.is_empty());
        let Some(expected) = expected else {
            return;
        };
        if id != OTHER_ENUM_VALUE
            && definition.attributes.contains_key(sibling)
            && found != expected
        {
            let problem = Problem::CaptionMismatch {
                found: found.to_owned(),
                expected: expected.clone(),
            };
            self.push(join(path, sibling), problem);
        }
    }

    fn check_constraints(
        &mut self,
        definition: &Definition,
        fields: &Map<String, Value>,
        path: &str,
    ) {
        let constraints = &definition.constraints;
        let present = |names: &[String]| {
            names
                .iter()
                .filter(|name| fields.contains_key(*name))
                .count()
        };

        if !constraints.at_least_one.is_empty() && present(&constraints.at_least_one) == 0 {
            let attributes = constraints.at_least_one.clone();
            self.push(path.to_owned(), Problem::AtLeastOne { attributes });
        }
        let found = present(&constraints.just_one);
        if !constraints.just_one.is_empty() && found != 1 {
            let attributes = constraints.just_one.clone();
            self.push(path.to_owned(), Problem::JustOne { attributes, found });
        }
    }
}

fn join(path: &str, key: &str) -> String {
    match path.is_empty() {
        true => key.to_owned(),
        false => format!("{path}.{key}"),
    }
}

/// Describes the expected value, such as `timestamp_t (integer)` or `array of attack objects`.
fn expected_type(attribute: &Attribute) -> String {
    match attribute.is_array {
        true => format!("array of {}", describe_type(attribute)),
        false => describe_type(attribute),
    }
}

fn describe_type(attribute: &Attribute) -> String {
    let base = match &attribute.base_type {
        BaseType::String => "string",
        BaseType::Integer | BaseType::Long => "integer",
        BaseType::Float => "number",
        BaseType::Boolean => "boolean",
        BaseType::Json => "any JSON value",
        BaseType::Object(_) | BaseType::FreeForm => "object",
    };
    format!("{} ({base})", attribute.type_name)
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(number) if number.is_i64() || number.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
