//! Parsers for the value formats inside Entra records: JSON-encoded modified-property values, credential key
//! descriptions and consent permission strings.

use harrier_model::ModifiedProperty;
use serde_json::Value;

use crate::fields::{Fields, value_text};

/// Decodes one modified-property value.
///
/// Entra's directory audit log JSON-encodes every value (`"\"True\""`, `"[\"a\",\"b\"]"`), while the unified
/// audit log writes the same values plain (`True`). A value that is a JSON string is unquoted. Any other
/// text, including a JSON array, is kept as written. Nulls and empty strings read as absent.
pub(super) fn decode(value: &Value) -> Option<String> {
    let text = match value {
        Value::Null => return None,
        Value::String(text) => text.as_str(),
        other => return Some(other.to_string()),
    };
    let decoded = match serde_json::from_str::<Value>(text) {
        Ok(Value::String(inner)) => inner,
        _ => text.to_owned(),
    };
    let trimmed = decoded.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// Reads a list of modified properties in either spelling: `{displayName, oldValue, newValue}` (directory
/// audit) or `{Name, OldValue, NewValue}` (unified audit log).
pub(super) fn modified_properties(list: &Value) -> Vec<ModifiedProperty> {
    let Some(items) = list.as_array() else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let fields = Fields::of(item)?;
            let name = fields.text_any(&["displayName", "Name"])?.trim().to_owned();
            Some(ModifiedProperty {
                name,
                old_value: fields.get("oldValue").and_then(decode),
                new_value: fields.get("newValue").and_then(decode),
            })
        })
        .collect()
}

/// Reads a key/value list (`additionalDetails`, `ExtendedProperties`) as pairs. An `additionalDetails` entry
/// whose value is a JSON object, as the unified audit log writes it, is expanded into its members.
pub(super) fn details(list: &Value) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for (name, value) in crate::fields::name_values(list) {
        let nested = value.trim_start().starts_with('{').then(|| serde_json::from_str::<Value>(&value).ok());
        match nested.flatten() {
            Some(Value::Object(members)) => {
                for (member, inner) in &members {
                    if let Some(text) = value_text(inner) {
                        pairs.push((member.clone(), text.into_owned()));
                    }
                }
            }
            _ => pairs.push((name, value)),
        }
    }
    pairs
}

/// One credential from a `KeyDescription` value.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Key {
    pub identifier: Option<String>,
    pub key_type: Option<String>,
}

/// Parses a `KeyDescription` value: a JSON array of `[KeyIdentifier=..,KeyType=Password,KeyUsage=Verify,
/// DisplayName=..]` strings, or one such string. Text without `Name=Value` parts yields no keys.
pub(super) fn keys(value: &str) -> Vec<Key> {
    let items = serde_json::from_str::<Vec<String>>(value).unwrap_or_else(|_| vec![value.to_owned()]);
    items.iter().filter_map(|item| parse_key(item)).collect()
}

fn parse_key(text: &str) -> Option<Key> {
    let inner = text.trim().trim_start_matches('[').trim_end_matches(']');
    let mut key = Key { identifier: None, key_type: None };
    for part in inner.split(',') {
        let Some((name, value)) = part.split_once('=') else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match name.trim() {
            "KeyIdentifier" => key.identifier = Some(value.to_ascii_lowercase()),
            "KeyType" => key.key_type = Some(value.to_owned()),
            _ => {}
        }
    }
    (key.identifier.is_some() || key.key_type.is_some()).then_some(key)
}

/// Returns the keys of `after` that `before` does not list, compared by key identifier.
pub(super) fn keys_not_in<'k>(after: &'k [Key], before: &[Key]) -> Vec<&'k Key> {
    after
        .iter()
        .filter(|key| !before.iter().any(|old| key.identifier.is_some() && old.identifier == key.identifier))
        .collect()
}

/// Reads the granted scopes from a `ConsentAction.Permissions` value.
///
/// The value lists the grants before and after the consent, `[old grants] => [[Id: .., ConsentType:
/// AllPrincipals, Scope: Mail.Read offline_access, CreatedDateTime: .., ..]]`, and only the grants after `=>`
/// are read. Scopes are separated by spaces and end at the next comma or bracket.
pub(super) fn consent_scopes(permissions: &str) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for part in granted(permissions).split("Scope:").skip(1) {
        let end = part.find([',', ']']).unwrap_or(part.len());
        for scope in part[..end].split_whitespace() {
            if !scopes.iter().any(|known| known == scope) {
                scopes.push(scope.to_owned());
            }
        }
    }
    scopes
}

/// True when a `ConsentAction.Permissions` value grants to every user (`ConsentType: AllPrincipals`).
pub(super) fn consents_for_all_principals(permissions: &str) -> bool {
    granted(permissions).split("ConsentType:").skip(1).any(|part| part.trim_start().starts_with("AllPrincipals"))
}

fn granted(permissions: &str) -> &str {
    permissions.rsplit_once("=>").map_or(permissions, |(_, after)| after)
}

/// Reads a number written as a JSON number or as decimal text.
pub(super) fn number(value: &Value) -> Option<f64> {
    crate::normalize::typed::value::Scalar::of(value)?.f64()
}

/// True for text in the 8-4-4-4-12 hexadecimal form of a GUID.
pub(super) fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    let lengths = [8, 4, 4, 4, 12];
    groups.len() == lengths.len()
        && groups
            .iter()
            .zip(lengths)
            .all(|(group, length)| group.len() == length && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn encoded_values_are_unquoted() {
        assert_eq!(decode(&json!("\"True\"")).as_deref(), Some("True"));
        assert_eq!(decode(&json!("True")).as_deref(), Some("True"));
        assert_eq!(decode(&json!("\"\"")), None);
        assert_eq!(decode(&json!(null)), None);
        assert_eq!(decode(&json!("[\"a\",\"b\"]")).as_deref(), Some("[\"a\",\"b\"]"));
    }

    #[test]
    fn key_descriptions_are_parsed() {
        let value = "[\"[KeyIdentifier=59EAEEBC-8a6b-44a6-9f24-7d55e64420c9,KeyType=Password,KeyUsage=Verify,\
                     DisplayName=SimuLandCreds]\"]";
        let parsed = keys(value);
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].identifier.as_deref(), Some("59eaeebc-8a6b-44a6-9f24-7d55e64420c9"));
        assert_eq!(parsed[0].key_type.as_deref(), Some("Password"));
        assert!(keys("Client Secret for API Access").is_empty());
    }

    #[test]
    fn only_new_keys_are_added() {
        let before = keys("[\"[KeyIdentifier=a1,KeyType=Password]\"]");
        let after = keys("[\"[KeyIdentifier=a1,KeyType=Password]\",\"[KeyIdentifier=b2,KeyType=AsymmetricX509Cert]\"]");
        let added = keys_not_in(&after, &before);
        assert_eq!(added.len(), 1);
        assert_eq!(added[0].key_type.as_deref(), Some("AsymmetricX509Cert"));
    }

    #[test]
    fn consent_scopes_after_the_arrow() {
        let value = "[[Id: x, ConsentType: Principal, Scope: User.Read, CreatedDateTime: ]] => [[Id: x, ClientId: c, \
                     ConsentType: AllPrincipals, Scope: User.Read Mail.Read offline_access, CreatedDateTime: , \
                     LastModifiedDateTime ]]; ";
        assert_eq!(consent_scopes(value), vec!["User.Read", "Mail.Read", "offline_access"]);
        assert!(consents_for_all_principals(value));
        assert!(!consents_for_all_principals("[] => [[ConsentType: Principal, Scope: openid]]"));
        assert_eq!(consent_scopes("Scope: openid profile]"), vec!["openid", "profile"]);
    }

    #[test]
    fn guids_are_recognised() {
        assert!(is_guid("00000003-0000-0000-c000-000000000000"));
        assert!(!is_guid("https://graph.microsoft.com"));
        assert!(!is_guid("ServicePrincipal_00000003-0000-0000-c000-000000000000"));
    }
}
