//! Turning merged attribute JSON into typed [`Attribute`]s using the dictionary and its data types.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Map, Value};

use super::load::{Merged, PROFILE_KEY, child_object, deep_merge};
use super::{Attribute, BaseType, Constraints, Definition, Requirement, SchemaError};

/// One entry of the dictionary's `types` section.
struct DataType {
    /// The type this one refines, such as `string_t` for `ip_t`.
    parent: Option<String>,
    range: Option<(i64, i64)>,
    observable: Option<i64>,
}

/// The dictionary's data types (`string_t`, `timestamp_t`, ...).
pub(super) struct Types {
    types: BTreeMap<String, DataType>,
}

/// Inputs to attribute resolution besides the attribute's own merged JSON.
pub(super) struct Context<'a> {
    pub(super) dictionary: &'a Map<String, Value>,
    pub(super) types: &'a Types,
    pub(super) object_names: &'a BTreeSet<String>,
}

impl Types {
    pub(super) fn from_dictionary(
        dictionary: &Map<String, Value>,
        path: &Path,
    ) -> Result<Self, SchemaError> {
        let section = child_object(dictionary, "types", path)?;
        let mut types = BTreeMap::new();
        for (name, entry) in child_object(section, "attributes", path)? {
            let data_type = DataType {
                parent: entry.get("type").and_then(Value::as_str).map(str::to_owned),
                range: entry.get("range").and_then(parse_range),
                observable: entry.get("observable").and_then(Value::as_i64),
            };
            types.insert(name.clone(), data_type);
        }
        Ok(Self { types })
    }

    /// Follows the `type` chain of a data type down to its base type, such as `timestamp_t` to
    /// `long_t`. Returns `None` for a name that is not a data type.
    fn base_type(&self, name: &str) -> Option<BaseType> {
        let mut current = name;
        // The chain is at most a few links long, and the bound stops a cycle in a broken schema.
        for _ in 0..self.types.len() {
            let data_type = self.types.get(current)?;
            match data_type.parent.as_deref() {
                Some(parent) => current = parent,
                None => return primitive(current),
            }
        }
        None
    }

    /// Returns the first range or observable id found along the `type` chain.
    fn inherited<T>(&self, name: &str, field: impl Fn(&DataType) -> Option<T>) -> Option<T> {
        let mut current = Some(name);
        for _ in 0..self.types.len() {
            let data_type = self.types.get(current?)?;
            if let Some(value) = field(data_type) {
                return Some(value);
            }
            current = data_type.parent.as_deref();
        }
        None
    }
}

fn primitive(name: &str) -> Option<BaseType> {
    match name {
        "string_t" => Some(BaseType::String),
        "integer_t" => Some(BaseType::Integer),
        "long_t" => Some(BaseType::Long),
        "float_t" => Some(BaseType::Float),
        "boolean_t" => Some(BaseType::Boolean),
        "json_t" => Some(BaseType::Json),
        _ => None,
    }
}

fn parse_range(value: &Value) -> Option<(i64, i64)> {
    let bounds = value.as_array()?;
    match bounds.as_slice() {
        [min, max] => Some((min.as_i64()?, max.as_i64()?)),
        _ => None,
    }
}

impl Context<'_> {
    pub(super) fn definition(
        &self,
        name: &str,
        caption: &str,
        merged: &Merged,
        path: &Path,
    ) -> Result<Definition, SchemaError> {
        let mut attributes = BTreeMap::new();
        for (attribute_name, local) in &merged.attributes {
            let attribute = self.attribute(attribute_name, local, path)?;
            attributes.insert(attribute_name.clone(), attribute);
        }
        Ok(Definition {
            name: name.to_owned(),
            caption: caption.to_owned(),
            attributes,
            constraints: constraints(&merged.constraints),
        })
    }

    /// Merges the class or object's definition of `name` over the dictionary entry and types it.
    fn attribute(&self, name: &str, local: &Value, path: &Path) -> Result<Attribute, SchemaError> {
        let Some(entry) = self.dictionary.get(name) else {
            return Err(SchemaError::invalid(
                path,
                format!("attribute {name:?} is not in dictionary.json"),
            ));
        };
        let mut merged = entry.clone();
        deep_merge(&mut merged, local);

        let Some(type_name) = merged.get("type").and_then(Value::as_str) else {
            return Err(SchemaError::invalid(
                path,
                format!("attribute {name:?} has no `type`"),
            ));
        };
        let base_type = self.base_type(type_name, name, path)?;
        let observable = merged.get("observable").and_then(Value::as_i64);

        Ok(Attribute {
            name: name.to_owned(),
            type_name: type_name.to_owned(),
            base_type,
            is_array: merged
                .get("is_array")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            requirement: requirement(&merged),
            enum_values: enum_values(&merged),
            sibling: merged
                .get("sibling")
                .and_then(Value::as_str)
                .map(str::to_owned),
            profile: merged
                .get(PROFILE_KEY)
                .and_then(Value::as_str)
                .map(str::to_owned),
            deprecated: merged.get("@deprecated").is_some(),
            observable: observable.or_else(|| self.types.inherited(type_name, |t| t.observable)),
            range: self.types.inherited(type_name, |t| t.range),
        })
    }

    fn base_type(
        &self,
        type_name: &str,
        attribute: &str,
        path: &Path,
    ) -> Result<BaseType, SchemaError> {
        if let Some(base) = self.types.base_type(type_name) {
            return Ok(base);
        }
        if type_name == "object" {
            return Ok(BaseType::FreeForm);
        }
        if self.object_names.contains(type_name) {
            return Ok(BaseType::Object(type_name.to_owned()));
        }
        let message = format!("attribute {attribute:?} has unknown type {type_name:?}");
        Err(SchemaError::invalid(path, message))
    }
}

/// Restricts `class_uid` to the class's own uid and drops the `category_uid` enum, because the
/// dictionary and `includes/classification.json` only list the base event's 0 there. The validator
/// compares `category_uid` with [`super::EventClass::category_uid`] instead.
pub(super) fn pin_class_enums(definition: &mut Definition, class_uid: i64, caption: &str) {
    if let Some(attribute) = definition.attributes.get_mut("class_uid") {
        attribute.enum_values = BTreeMap::from([(class_uid.to_string(), caption.to_owned())]);
    }
    if let Some(attribute) = definition.attributes.get_mut("category_uid") {
        attribute.enum_values.clear();
    }
}

fn requirement(merged: &Value) -> Requirement {
    match merged.get("requirement").and_then(Value::as_str) {
        Some("required") => Requirement::Required,
        Some("recommended") => Requirement::Recommended,
        _ => Requirement::Optional,
    }
}

fn enum_values(merged: &Value) -> BTreeMap<String, String> {
    let Some(values) = merged.get("enum").and_then(Value::as_object) else {
        return BTreeMap::new();
    };
    values
        .iter()
        .map(|(key, value)| {
            let caption = value
                .get("caption")
                .and_then(Value::as_str)
                .unwrap_or_default();
            (key.clone(), caption.to_owned())
        })
        .collect()
}

fn constraints(json: &Map<String, Value>) -> Constraints {
    let names = |key: &str| -> Vec<String> {
        let Some(list) = json.get(key).and_then(Value::as_array) else {
            return Vec::new();
        };
        list.iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    Constraints {
        at_least_one: names("at_least_one"),
        just_one: names("just_one"),
    }
}
