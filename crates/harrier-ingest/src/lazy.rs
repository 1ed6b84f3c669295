//! A JSON object whose members are parsed when first read.
//!
//! A normaliser reads a few dozen of a record's members, so parsing every record into a full
//! [`serde_json::Value`] (a map of owned strings with every nested object) builds much that is never read.
//! [`LazyObject`] keeps each member as borrowed source text and parses it into a `Value` on first access.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// A JSON object parsed only as far as its member names and the extent of each value.
pub struct LazyObject<'a> {
    members: Vec<Member<'a>>,
    /// The [`folded_key`] of each member's name, in the order of `members`. Normalisers look up dozens of
    /// names per record, many of them absent. Comparing one word per member rules out most members faster
    /// than comparing every member's name twice, exactly and then ignoring case.
    folded_keys: Vec<u32>,
}

struct Member<'a> {
    name: Cow<'a, str>,
    raw: &'a RawValue,
    value: OnceCell<Option<Value>>,
}

impl fmt::Debug for LazyObject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.members.iter().map(|member| (&member.name, member.raw.get()))).finish()
    }
}

impl<'a> LazyObject<'a> {
    /// Parses `text` when it is one JSON object that has no `\u` escape and is not a batch of records
    /// (`value` or `records` holding an array, or a Panther test case with `log_type`).
    ///
    /// Returns `None` otherwise, and the caller parses the text into a `Value` instead. Skipping a value
    /// checks less than parsing it, because a `\u` escape of a lone surrogate is not rejected. Text with any
    /// `\u` escape therefore takes the full parse, which keeps the reasons for skipped records unchanged.
    ///
    /// NOTE: a number outside the range of `f64` (such as `1e400`) in a member no normaliser reads is
    /// accepted here, while the full parse rejects the whole record as invalid JSON.
    pub fn parse(text: &'a str) -> Option<LazyObject<'a>> {
        if has_unicode_escape(text) {
            return None;
        }
        serde_json::from_str(text).ok()
    }

    /// Returns the value of `name`, matched exactly first and then ignoring ASCII case. When a name occurs
    /// twice the last value wins, as when the object is parsed into a `Value`.
    pub fn get(&'a self, name: &str) -> Option<&'a Value> {
        let member = self.find(name)?;
        member.value.get_or_init(|| parse_member(member.raw.get())).as_ref()
    }

    fn find(&self, name: &str) -> Option<&Member<'a>> {
        let key = folded_key(name);
        let candidates = || {
            let keys = self.folded_keys.iter();
            keys.zip(&self.members).filter(move |(candidate, _)| **candidate == key).map(|(_, member)| member)
        };
        if !self.folded_keys.contains(&key) {
            return None;
        }
        let last_named = |name: &str| candidates().filter(|member| member.name == name).last();
        if let Some(member) = last_named(name) {
            return Some(member);
        }
        let first = candidates().find(|member| member.name.eq_ignore_ascii_case(name))?;
        last_named(&first.name)
    }

    /// Parses every member into a map, in the order and with the values a full parse gives.
    pub fn to_map(&self) -> Map<String, Value> {
        let mut map = Map::with_capacity(self.members.len());
        for member in &self.members {
            let value = serde_json::from_str(member.raw.get()).unwrap_or(Value::Null);
            map.insert(member.name.clone().into_owned(), value);
        }
        map
    }
}

/// Returns whether `text` contains a backslash followed by `u`, which may start a `\u` escape.
///
/// This scans for backslashes with `memchr`, because building a `memmem` finder for every record cost
/// more than the search.
pub(crate) fn has_unicode_escape(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr_iter(b'\\', bytes).any(|position| bytes.get(position + 1) == Some(&b'u'))
}

/// Parses a member's source text into a `Value`.
///
/// A string without escapes, the most common member, is copied out directly: its text between the quotes is
/// its value, because [`LazyObject::parse`] already checked the whole object as JSON.
fn parse_member(text: &str) -> Option<Value> {
    if let Some(inner) = text.strip_prefix('"').and_then(|rest| rest.strip_suffix('"'))
        && memchr::memchr(b'\\', inner.as_bytes()).is_none()
    {
        return Some(Value::String(inner.to_owned()));
    }
    serde_json::from_str(text).ok()
}

/// Packs a name's length and its first and last bytes in ASCII lower case into one word. Names that differ
/// only in ASCII case get the same key, and different names with the same key are distinguished by
/// comparing them. It takes constant time, unlike a hash of every byte.
fn folded_key(name: &str) -> u32 {
    let bytes = name.as_bytes();
    let fold = |byte: Option<&u8>| u32::from(byte.map_or(0, u8::to_ascii_lowercase));
    (bytes.len().min(0xffff) as u32) << 16 | fold(bytes.first()) << 8 | fold(bytes.last())
}

/// Returns whether a member makes its object a possible batch of records (`value` or `records` holding an
/// array) or a Panther rule-test case (`log_type`), which the reader expands instead of reading as one record.
fn is_batch_member(name: &str, raw: &RawValue) -> bool {
    let is_array = raw.get().trim_start().starts_with('[');
    let batch_name = name.eq_ignore_ascii_case("value") || name.eq_ignore_ascii_case("records");
    (is_array && batch_name) || name == "log_type"
}

/// A member name, borrowed from the source text unless it contains escapes.
#[derive(Deserialize)]
struct Name<'a>(#[serde(borrow)] Cow<'a, str>);

impl<'de> Deserialize<'de> for LazyObject<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ObjectVisitor)
    }
}

struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = LazyObject<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let capacity = access.size_hint().unwrap_or(32);
        let mut members = Vec::with_capacity(capacity);
        let mut folded_keys = Vec::with_capacity(capacity);
        while let Some((Name(name), raw)) = access.next_entry::<Name<'de>, &'de RawValue>()? {
            // Stopping here saves skimming the rest of a batch that is parsed in full anyway.
            if is_batch_member(&name, raw) {
                return Err(serde::de::Error::custom("the object is a batch of records"));
            }
            folded_keys.push(folded_key(&name));
            members.push(Member { name, raw, value: OnceCell::new() });
        }
        Ok(LazyObject { members, folded_keys })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_match_a_full_parse() {
        let text = r#"{"b": {"x": [1, 2]}, "A": "first", "a": "second", "B": null, "a": "third", "n": 1.5}"#;
        let object = LazyObject::parse(text).unwrap();
        let full: Value = serde_json::from_str(text).unwrap();
        assert_eq!(Value::Object(object.to_map()), full);
        assert_eq!(serde_json::to_string(&object.to_map()).unwrap(), serde_json::to_string(&full).unwrap());
        assert_eq!(object.get("a"), Some(&Value::from("third")));
        assert_eq!(object.get("A"), Some(&Value::from("first")));
        assert_eq!(object.get("N"), Some(&Value::from(1.5)));
        assert_eq!(object.get("b").unwrap()["x"][1], 2);
        assert_eq!(object.get("missing"), None);
    }

    #[test]
    fn strings_match_a_full_parse() {
        let text = r#"{"plain": "a b", "empty": "", "quote": "say \"hi\"", "slash": "C:\\Users", "city": "Zürich"}"#;
        let object = LazyObject::parse(text).unwrap();
        let full: Value = serde_json::from_str(text).unwrap();
        for name in ["plain", "empty", "quote", "slash", "city"] {
            assert_eq!(object.get(name), Some(&full[name]), "{name}");
        }
    }

    #[test]
    fn names_sharing_a_key_are_distinguished() {
        let text = r#"{"abcd": 1, "AXYD": 2, "axyd": 3, "Abcd": 4}"#;
        let object = LazyObject::parse(text).unwrap();
        assert_eq!(folded_key("abcd"), folded_key("AXYD"));
        assert_eq!(object.get("abcd"), Some(&Value::from(1)));
        assert_eq!(object.get("ABCD"), Some(&Value::from(1)));
        assert_eq!(object.get("Abcd"), Some(&Value::from(4)));
        assert_eq!(object.get("axyd"), Some(&Value::from(3)));
        assert_eq!(object.get("AxYd"), Some(&Value::from(2)));
        assert_eq!(object.get("azzd"), None);
    }

    #[test]
    fn escaped_names_are_read() {
        let object = LazyObject::parse(r#"{"tab\tname": 1, "quote\"": 2}"#).unwrap();
        assert_eq!(object.get("tab\tname"), Some(&Value::from(1)));
        assert_eq!(object.get("quote\""), Some(&Value::from(2)));
    }

    #[test]
    fn other_text_is_left_to_a_full_parse() {
        let texts =
            ["[1, 2]", "\"text\"", "{\"a\": }", "{\"a\": 1} trailing", r#"{"a": "\ud800"}"#, r#"{"a": "\u0041"}"#];
        for text in texts {
            assert!(LazyObject::parse(text).is_none(), "{text}");
        }
    }

    #[test]
    fn out_of_range_number_is_not_checked() {
        let text = r#"{"unread": 1e400, "id": 1}"#;
        assert!(serde_json::from_str::<Value>(text).is_err());
        let object = LazyObject::parse(text).unwrap();
        assert_eq!(object.get("id"), Some(&Value::from(1)));
        assert_eq!(object.get("unread"), None);
    }

    #[test]
    fn batches_are_recognised() {
        let cases = [
            (r#"{"value": [{"id": 1}]}"#, true),
            (r#"{"Records": []}"#, true),
            (r#"{"log_type": "x", "log": {}}"#, true),
            (r#"{"value": "not a batch", "id": 1}"#, false),
            (r#"{"id": 1, "records": 3}"#, false),
        ];
        for (text, is_batch) in cases {
            assert_eq!(LazyObject::parse(text).is_none(), is_batch, "{text}");
        }
    }
}
