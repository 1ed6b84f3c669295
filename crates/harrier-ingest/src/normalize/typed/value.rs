//! Borrowed member values of typed records, read with the rules of [`Fields`](crate::fields::Fields).
//!
//! A [`Scalar`] is a JSON scalar with its text borrowed from the record where it has no escapes. A [`Nested`]
//! object or array may be real JSON or JSON text. [`typed_object!`] declares a struct whose member names
//! match in any ASCII case. Any value that the typed shape does not describe (an object where a scalar is
//! expected, a member named twice) fails deserialisation, and the caller reads the record through
//! [`Fields`](crate::fields::Fields) instead.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{Deserialize, Deserializer, Error, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};

/// A JSON scalar: null, a boolean, a number or a string.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Scalar<'a> {
    Null,
    Bool(bool),
    Number(Number),
    Str(Cow<'a, str>),
}

impl<'a> Scalar<'a> {
    /// Returns a view of `value` when it is a scalar, borrowing its text.
    pub(crate) fn of(value: &'a Value) -> Option<Scalar<'a>> {
        match value {
            Value::Null => Some(Scalar::Null),
            Value::Bool(b) => Some(Scalar::Bool(*b)),
            Value::Number(n) => Some(Scalar::Number(n.clone())),
            Value::String(s) => Some(Scalar::Str(Cow::Borrowed(s))),
            Value::Array(_) | Value::Object(_) => None,
        }
    }

    /// Returns the value unless it reads as absent: nulls and empty strings do, as in `Fields::get`.
    pub(crate) fn present(&self) -> Option<&Self> {
        match self {
            Scalar::Null => None,
            Scalar::Str(s) if s.is_empty() => None,
            _ => Some(self),
        }
    }

    /// Returns a non-empty string. Numbers and booleans are not strings.
    pub(crate) fn str(&self) -> Option<&str> {
        match self {
            Scalar::Str(s) if !s.is_empty() => Some(s),
            _ => None,
        }
    }

    /// Returns the value as text: strings as they are, numbers and booleans formatted.
    pub(crate) fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Scalar::Str(s) if !s.is_empty() => Some(Cow::Borrowed(s)),
            Scalar::Number(n) => Some(Cow::Owned(n.to_string())),
            Scalar::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            _ => None,
        }
    }

    /// Returns an integer written as a number or as a decimal string.
    pub(crate) fn i64(&self) -> Option<i64> {
        match self {
            Scalar::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
            Scalar::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// Returns a number written as a JSON number or as decimal text.
    pub(crate) fn f64(&self) -> Option<f64> {
        match self {
            Scalar::Number(n) => n.as_f64(),
            Scalar::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// Returns a boolean written as a JSON boolean, as `true`/`false` in any case, or as a number.
    pub(crate) fn bool(&self) -> Option<bool> {
        match self {
            Scalar::Bool(b) => Some(*b),
            Scalar::Str(s) => {
                let s = s.trim();
                if s.eq_ignore_ascii_case("true") {
                    Some(true)
                } else if s.eq_ignore_ascii_case("false") {
                    Some(false)
                } else {
                    None
                }
            }
            Scalar::Number(n) => n.as_i64().map(|n| n != 0),
            Scalar::Null => None,
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor(PhantomData))
    }
}

struct ScalarVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for ScalarVisitor<'a> {
    type Value = Scalar<'a>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON scalar")
    }

    fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }

    fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }

    fn visit_bool<E: Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Bool(v))
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Number(v.into()))
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Scalar::Number(v.into()))
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<Self::Value, E> {
        Number::from_f64(v).map(Scalar::Number).ok_or_else(|| E::custom("a number that is not finite"))
    }

    fn visit_borrowed_str<E: Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v)))
    }
}

/// Reads an optional scalar member as `Fields` reads it.
pub(crate) trait ScalarField {
    fn get(&self) -> Option<&Scalar<'_>>;
    fn str(&self) -> Option<&str>;
    fn text(&self) -> Option<Cow<'_, str>>;
    fn i64(&self) -> Option<i64>;
    fn bool(&self) -> Option<bool>;
}

impl ScalarField for Option<Scalar<'_>> {
    fn get(&self) -> Option<&Scalar<'_>> {
        self.as_ref()?.present()
    }

    fn str(&self) -> Option<&str> {
        self.as_ref()?.str()
    }

    fn text(&self) -> Option<Cow<'_, str>> {
        self.as_ref()?.text()
    }

    fn i64(&self) -> Option<i64> {
        self.as_ref()?.i64()
    }

    fn bool(&self) -> Option<bool> {
        self.as_ref()?.bool()
    }
}

/// A member holding a nested object or array, as real JSON or as JSON text, read as `Fields::json` reads it.
#[derive(Debug)]
pub(crate) struct Nested<T> {
    /// Whether the member reads as present (`Fields::get`): it is not null and not an empty string.
    pub present: bool,
    /// The object or array, absent when the member is a scalar or text that is not JSON.
    pub value: Option<T>,
}

impl<T> Nested<T> {
    pub(crate) fn as_ref(&self) -> Option<&T> {
        self.value.as_ref()
    }
}

/// Returns the value of an optional nested member.
pub(crate) fn nested<T>(member: &Option<Nested<T>>) -> Option<&T> {
    member.as_ref()?.as_ref()
}

/// Returns whether a nested member is present but neither an object nor an array, nor JSON text of one.
pub(crate) fn is_unread<T>(member: &Option<Nested<T>>) -> bool {
    member.as_ref().is_some_and(|member| member.present && member.value.is_none())
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nested<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NestedVisitor(PhantomData))
    }
}

struct NestedVisitor<T>(PhantomData<T>);

impl<T> NestedVisitor<T> {
    fn scalar(present: bool) -> Nested<T> {
        Nested { present, value: None }
    }

    /// Parses JSON text that starts with `{` or `[`, as `fields::value_json` does. Text that is not JSON
    /// reads as present with no value.
    fn text<'de, E: Error>(text: &str) -> Result<Nested<T>, E>
    where
        T: Deserialize<'de>,
    {
        let trimmed = text.trim_start();
        if !trimmed.starts_with('{') && !trimmed.starts_with('[') {
            return Ok(Self::scalar(!text.is_empty()));
        }
        let Ok(value) = serde_json::from_str::<Value>(trimmed) else {
            return Ok(Self::scalar(true));
        };
        let value = T::deserialize(value).map_err(E::custom)?;
        Ok(Nested { present: true, value: Some(value) })
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for NestedVisitor<T> {
    type Value = Nested<T>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON object or array, or JSON text")
    }

    fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
        Ok(Self::scalar(false))
    }

    fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
        Ok(Self::scalar(false))
    }

    fn visit_bool<E: Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Self::scalar(true))
    }

    fn visit_i64<E: Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Self::scalar(true))
    }

    fn visit_u64<E: Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Self::scalar(true))
    }

    fn visit_f64<E: Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Self::scalar(true))
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
        Self::text(v)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let value = T::deserialize(MapAccessDeserializer::new(map))?;
        Ok(Nested { present: true, value: Some(value) })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let value = T::deserialize(SeqAccessDeserializer::new(seq))?;
        Ok(Nested { present: true, value: Some(value) })
    }
}

/// An element of an array that is read only when it is an object, as `Fields::of` reads array items.
#[derive(Debug)]
pub(crate) struct Element<T>(pub Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Element<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ElementVisitor(PhantomData))
    }
}

struct ElementVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ElementVisitor<T> {
    type Value = Element<T>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(|value| Element(Some(value)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Element(None))
    }

    fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
        Ok(Element(None))
    }

    fn visit_bool<E: Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Element(None))
    }

    fn visit_i64<E: Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Element(None))
    }

    fn visit_u64<E: Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Element(None))
    }

    fn visit_f64<E: Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Element(None))
    }

    fn visit_str<E: Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Element(None))
    }
}

/// The length of an array whose elements are not read.
#[derive(Debug)]
pub(crate) struct ArrayLength(pub usize);

impl<'de> Deserialize<'de> for ArrayLength {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LengthVisitor;

        impl<'de> Visitor<'de> for LengthVisitor {
            type Value = ArrayLength;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a JSON array")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut length = 0;
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    length += 1;
                }
                Ok(ArrayLength(length))
            }
        }

        deserializer.deserialize_seq(LengthVisitor)
    }
}

/// A member name, borrowed from the source text unless it contains escapes.
pub(crate) struct Name<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Name<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(NameVisitor(PhantomData))
    }
}

struct NameVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for NameVisitor<'a> {
    type Value = Name<'a>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a member name")
    }

    fn visit_borrowed_str<E: Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Name(Cow::Borrowed(v)))
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Name(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Name(Cow::Owned(v)))
    }
}

/// Lower-cases an ASCII member name into `buffer` for matching, or returns `None` when it is longer than the
/// buffer, which no member of a typed shape is.
pub(crate) fn folded<'b>(name: &str, buffer: &'b mut [u8; 48]) -> Option<&'b [u8]> {
    let bytes = name.as_bytes();
    let folded = buffer.get_mut(..bytes.len())?;
    for (target, source) in folded.iter_mut().zip(bytes) {
        *target = source.to_ascii_lowercase();
    }
    Some(folded)
}

/// Declares a struct of optional members and its `Deserialize`, matching member names in any ASCII case.
///
/// Each member is given with its name in ASCII lower case. A member named twice, in any case, fails
/// deserialisation, because `Fields` then picks one by rules that a typed struct does not repeat. With
/// `unknown: reject`, a member that the struct does not list also fails it, unless it is in the list given
/// after `except` (lower-case names that no normaliser reads). With `unknown: ignore` it is skipped, for
/// nested objects whose other members no normaliser reads.
macro_rules! typed_object {
    (
        $(#[$meta:meta])*
        $name:ident<$lt:lifetime>, unknown: $unknown:ident $(except $skip:path)? {
            $($field:ident: $ty:ty = $json:literal,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Default)]
        pub(crate) struct $name<$lt> {
            $(pub $field: Option<$ty>,)*
            _lifetime: std::marker::PhantomData<&$lt ()>,
        }

        impl<'de: $lt, $lt> serde::Deserialize<'de> for $name<$lt> {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct ObjectVisitor<$lt>(std::marker::PhantomData<&$lt ()>);

                impl<'de: $lt, $lt> serde::de::Visitor<'de> for ObjectVisitor<$lt> {
                    type Value = $name<$lt>;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        formatter.write_str(concat!("a ", stringify!($name), " object"))
                    }

                    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                        use serde::de::Error as _;
                        let mut object = $name::default();
                        let mut buffer = [0u8; 48];
                        while let Some($crate::normalize::typed::value::Name(name)) = map.next_key()? {
                            let folded = $crate::normalize::typed::value::folded(&name, &mut buffer);
                            match folded {
                                $(Some($json) => {
                                    if object.$field.is_some() {
                                        return Err(A::Error::custom(format_args!("the member {name} is named twice")));
                                    }
                                    object.$field = Some(map.next_value()?);
                                })*
                                _ => typed_object!(@unknown $unknown, map, name, folded $(, $skip)?),
                            }
                        }
                        Ok(object)
                    }
                }

                deserializer.deserialize_map(ObjectVisitor(std::marker::PhantomData))
            }
        }
    };
    (@unknown reject, $map:ident, $name:ident, $folded:ident) => {
        return Err(A::Error::custom(format_args!("the member {} is not in the typed shape", $name)))
    };
    (@unknown reject, $map:ident, $name:ident, $folded:ident, $skip:path) => {{
        if $folded.is_some_and(|folded| $skip.contains(&folded)) {
            $map.next_value::<serde::de::IgnoredAny>()?;
        } else {
            return Err(A::Error::custom(format_args!("the member {} is not in the typed shape", $name)));
        }
    }};
    (@unknown ignore, $map:ident, $name:ident, $folded:ident) => {{
        $map.next_value::<serde::de::IgnoredAny>()?;
    }};
}

pub(crate) use typed_object;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::{value_bool, value_i64, value_text};
    use serde_json::json;

    #[test]
    fn scalars_read_as_fields_reads_them() {
        let values = [
            json!(null),
            json!(""),
            json!(" 42 "),
            json!(42),
            json!(1.0),
            json!(2.5),
            json!("TRUE"),
            json!(" false"),
            json!(true),
            json!(0),
            json!("text"),
            json!(-7),
        ];
        for value in &values {
            let scalar = Scalar::of(value).unwrap();
            assert_eq!(scalar.text(), value_text(value), "text of {value}");
            assert_eq!(scalar.i64(), value_i64(value), "i64 of {value}");
            assert_eq!(scalar.bool(), value_bool(value), "bool of {value}");
            let text = value.to_string();
            let parsed: Scalar<'_> = serde_json::from_str(&text).unwrap();
            assert_eq!(parsed, scalar, "parsed {value}");
        }
    }

    #[test]
    fn nested_text_is_parsed() {
        let nested: Nested<ArrayLength> = serde_json::from_str(r#"" [1, 2, 3]""#).unwrap();
        assert!(nested.present);
        assert_eq!(nested.value.map(|length| length.0), Some(3));
        let plain: Nested<ArrayLength> = serde_json::from_str(r#""plain text""#).unwrap();
        assert!(plain.present);
        assert!(plain.value.is_none());
        let null: Nested<ArrayLength> = serde_json::from_str("null").unwrap();
        assert!(!null.present);
        assert!(serde_json::from_str::<Nested<ArrayLength>>(r#"{"a": 1}"#).is_err());
    }
}
