//! Forgiving access to the fields of a source record.
//!
//! Real exports disagree on details that do not change meaning: Panther lower-cases every key, Sentinel
//! renames `AuditData` fields and stores nested objects as JSON text inside CSV cells, and Azure Monitor nests
//! the payload under `properties`. [`Fields`] hides those differences: names match case-insensitively, empty
//! strings and nulls read as absent, numbers may be written as strings, and a nested object or array may be
//! either real JSON or JSON text.

use std::borrow::Cow;

use serde_json::{Map, Value};

pub use crate::lazy::LazyObject;
use crate::normalize::typed::value::Scalar;

/// A read-only view of one JSON object's fields.
#[derive(Clone, Copy, Debug)]
pub struct Fields<'a> {
    source: Source<'a>,
}

/// The object behind a [`Fields`] view.
#[derive(Clone, Copy, Debug)]
enum Source<'a> {
    Map(&'a Map<String, Value>),
    Lazy(&'a LazyObject<'a>),
}

impl<'a> Fields<'a> {
    pub fn new(map: &'a Map<String, Value>) -> Fields<'a> {
        Fields { source: Source::Map(map) }
    }

    /// Returns a view of an object whose members are parsed when first read.
    pub fn lazy(object: &'a LazyObject<'a>) -> Fields<'a> {
        Fields { source: Source::Lazy(object) }
    }

    /// Returns a view of `value` when it is an object.
    pub fn of(value: &'a Value) -> Option<Fields<'a>> {
        value.as_object().map(Fields::new)
    }

    /// Returns the object as a map, parsing every member of a lazy object.
    pub fn to_map(&self) -> Cow<'a, Map<String, Value>> {
        match self.source {
            Source::Map(map) => Cow::Borrowed(map),
            Source::Lazy(object) => Cow::Owned(object.to_map()),
        }
    }

    /// Returns the value of `name`, matched exactly first and then ignoring ASCII case. Nulls and empty
    /// strings read as absent.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        let value = match self.source {
            Source::Map(map) => match map.get(name) {
                Some(value) => value,
                None => map.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value)?,
            },
            Source::Lazy(object) => object.get(name)?,
        };
        match value {
            Value::Null => None,
            Value::String(s) if s.is_empty() => None,
            value => Some(value),
        }
    }

    /// Returns the first of `names` that is present.
    pub fn get_any(&self, names: &[&str]) -> Option<&'a Value> {
        names.iter().find_map(|name| self.get(name))
    }

    /// Returns a string field; numbers and booleans are not strings and read as absent.
    pub fn str(&self, name: &str) -> Option<&'a str> {
        self.get(name)?.as_str()
    }

    /// Returns the first of `names` that is a string.
    pub fn str_any(&self, names: &[&str]) -> Option<&'a str> {
        names.iter().find_map(|name| self.str(name))
    }

    /// Returns a field as text: strings as they are, numbers and booleans formatted.
    pub fn text(&self, name: &str) -> Option<Cow<'a, str>> {
        value_text(self.get(name)?)
    }

    /// Returns the first of `names` that is present, as text.
    pub fn text_any(&self, names: &[&str]) -> Option<Cow<'a, str>> {
        names.iter().find_map(|name| self.text(name))
    }

    /// Returns an integer field written as a number or as a decimal string.
    pub fn i64(&self, name: &str) -> Option<i64> {
        value_i64(self.get(name)?)
    }

    /// Returns a boolean field written as a JSON boolean or as `true`/`false` in any case.
    pub fn bool(&self, name: &str) -> Option<bool> {
        value_bool(self.get(name)?)
    }

    /// Returns a nested object or array, parsing it when the source stored it as JSON text.
    pub fn json(&self, name: &str) -> Option<Cow<'a, Value>> {
        value_json(self.get(name)?)
    }

    /// Returns the first of `names` that contains JSON, parsed as in [`Fields::json`].
    pub fn json_any(&self, names: &[&str]) -> Option<Cow<'a, Value>> {
        names.iter().find_map(|name| self.json(name))
    }

    /// Returns a name/value bag (`Parameters`, `ExtendedProperties`, `ModifiedProperties`, ...) as pairs.
    pub fn name_values(&self, name: &str) -> Vec<(String, String)> {
        match self.json(name) {
            Some(bag) => name_values(&bag),
            None => Vec::new(),
        }
    }
}

/// Returns a scalar as text; objects and arrays are not text.
pub fn value_text(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::String(s) if !s.is_empty() => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        _ => None,
    }
}

/// Returns an integer written as a number or as a decimal string.
pub fn value_i64(value: &Value) -> Option<i64> {
    Scalar::of(value)?.i64()
}

/// Returns a boolean written as a JSON boolean, as `true`/`false` in any case, or as a number.
pub fn value_bool(value: &Value) -> Option<bool> {
    Scalar::of(value)?.bool()
}

/// Returns a nested object or array, parsing JSON text that starts with `{` or `[`.
pub fn value_json(value: &Value) -> Option<Cow<'_, Value>> {
    match value {
        Value::Object(_) | Value::Array(_) => Some(Cow::Borrowed(value)),
        Value::String(s) => {
            let trimmed = s.trim_start();
            if trimmed.starts_with('{') || trimmed.starts_with('[') {
                serde_json::from_str(trimmed).ok().map(Cow::Owned)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Reads a name/value bag: an array of `{"Name": .., "Value": ..}` objects (any key case, and `key`/`value`
/// as Entra writes them), or a plain object of names to values.
pub fn name_values(bag: &Value) -> Vec<(String, String)> {
    match bag {
        Value::Array(items) => items
            .iter()
            .filter_map(|item| {
                let fields = Fields::of(item)?;
                let name = fields.text_any(&["Name", "key", "displayName"])?;
                let value = fields
                    .get_any(&["Value", "newValue"])
                    .map(|v| match value_text(v) {
                        Some(text) => text.into_owned(),
                        None => v.to_string(),
                    })
                    .unwrap_or_default();
                Some((name.into_owned(), value))
            })
            .collect(),
        Value::Object(map) => map
            .iter()
            .map(|(name, value)| {
                let text = value_text(value).map(Cow::into_owned).unwrap_or_else(|| value.to_string());
                (name.clone(), text)
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Looks up `name` in name/value pairs, ignoring ASCII case.
pub fn lookup<'p>(pairs: &'p [(String, String)], name: &str) -> Option<&'p str> {
    pairs
        .iter()
        .find(|(key, value)| key.eq_ignore_ascii_case(name) && !value.is_empty())
        .map(|(_, value)| value.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_match_in_any_case() {
        let record = json!({"clientip": "1.2.3.4", "Operation": "Set-Mailbox", "Empty": "", "Null": null});
        let fields = Fields::of(&record).unwrap();
        assert_eq!(fields.str("ClientIP"), Some("1.2.3.4"));
        assert_eq!(fields.str("operation"), Some("Set-Mailbox"));
        assert_eq!(fields.get("Empty"), None);
        assert_eq!(fields.get("Null"), None);
        assert_eq!(fields.get("Missing"), None);
    }

    #[test]
    fn scalars_written_as_text() {
        let record = json!({"a": "42", "b": 42, "c": "TRUE", "d": "False", "e": 1.0});
        let fields = Fields::of(&record).unwrap();
        assert_eq!(fields.i64("a"), Some(42));
        assert_eq!(fields.i64("b"), Some(42));
        assert_eq!(fields.i64("e"), Some(1));
        assert_eq!(fields.bool("c"), Some(true));
        assert_eq!(fields.bool("d"), Some(false));
        assert_eq!(fields.text("b").as_deref(), Some("42"));
    }

    #[test]
    fn json_in_a_cell_is_parsed() {
        let record = json!({"Status": "{\"errorCode\":50057}", "Real": {"errorCode": 0}, "Plain": "text"});
        let fields = Fields::of(&record).unwrap();
        assert_eq!(fields.json("Status").unwrap()["errorCode"], 50057);
        assert_eq!(fields.json("Real").unwrap()["errorCode"], 0);
        assert!(fields.json("Plain").is_none());
    }

    #[test]
    fn bags_in_every_spelling() {
        let upper = json!([{"Name": "MoveToFolder", "Value": "RSS Subscription"}]);
        let lower = json!([{"name": "Identity", "value": "x"}]);
        let entra = json!([{"key": "User-Agent", "value": "curl"}]);
        assert_eq!(name_values(&upper), vec![("MoveToFolder".into(), "RSS Subscription".into())]);
        assert_eq!(name_values(&lower), vec![("Identity".into(), "x".into())]);
        assert_eq!(name_values(&entra), vec![("User-Agent".into(), "curl".into())]);
        let pairs = name_values(&upper);
        assert_eq!(lookup(&pairs, "movetofolder"), Some("RSS Subscription"));
    }
}
