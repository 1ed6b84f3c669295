//! The typed path against the `Fields` path, on the records `bench/gen_logs.py` writes and on variants of
//! them in the spellings `Fields` accepts.

use harrier_model::{Event, TenantId};
use serde_json::{Map, Value};

use super::normalize as typed;
use crate::detect::detect;
use crate::fields::{Fields, LazyObject};
use crate::normalize::{self, Context};

/// One record of each kind that `bench/gen_logs.py` writes, except inbox rules, one JSON object per line.
const SAMPLES: &str = include_str!("samples.jsonl");

/// Normalises `text` through `Fields`, both from a full parse and from a [`LazyObject`], and checks that
/// the two agree.
fn generic(text: &str, context: &Context<'_>) -> Event {
    let value: Value = serde_json::from_str(text).unwrap();
    let fields = Fields::of(&value).unwrap();
    let format = detect(fields).unwrap();
    let event = normalize::normalize(format, fields, context).unwrap();
    if let Some(object) = LazyObject::parse(text) {
        assert_eq!(normalize::normalize(format, Fields::lazy(&object), context).unwrap(), event, "{text}");
    }
    event
}

/// Checks that the typed path reads `text` and gives the event the `Fields` path gives.
fn assert_paths_agree(text: &str) {
    let context = Context::default();
    let event = typed(text, &context).unwrap_or_else(|| panic!("the typed path did not read the record: {text}"));
    assert_eq!(event, generic(text, &context), "{text}");
}

fn samples() -> Vec<Value> {
    let values: Vec<Value> = SAMPLES.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(values.len(), 9);
    values
}

/// Rewrites every member name of `value`, at every depth, with `rename`.
fn rename_members(value: &Value, rename: &dyn Fn(&str) -> String) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.iter().map(|(name, inner)| (rename(name), rename_members(inner, rename))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(|item| rename_members(item, rename)).collect()),
        other => other.clone(),
    }
}

/// Writes every number and boolean of `value`, at every depth, as a string.
fn scalars_as_strings(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.iter().map(|(name, inner)| (name.clone(), scalars_as_strings(inner))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(scalars_as_strings).collect()),
        Value::Number(number) => Value::String(number.to_string()),
        Value::Bool(true) => Value::String("True".into()),
        Value::Bool(false) => Value::String(" FALSE".into()),
        other => other.clone(),
    }
}

/// Writes every object or array below the top level as JSON text, innermost first, as Sentinel and CSV
/// exports store nested values.
fn nested_as_text(value: &Value) -> Value {
    let as_text = |inner: &Value| match inner {
        Value::Object(_) | Value::Array(_) => Value::String(nested_as_text(inner).to_string()),
        other => other.clone(),
    };
    match value {
        Value::Object(map) => Value::Object(map.iter().map(|(name, inner)| (name.clone(), as_text(inner))).collect()),
        Value::Array(items) => Value::Array(items.iter().map(as_text).collect()),
        other => other.clone(),
    }
}

#[test]
fn generated_records_agree() {
    for sample in samples() {
        assert_paths_agree(&sample.to_string());
    }
}

#[test]
fn names_in_any_case_agree() {
    let spellings: [&dyn Fn(&str) -> String; 3] =
        [&|name: &str| name.to_ascii_lowercase(), &|name: &str| name.to_ascii_uppercase(), &|name: &str| {
            name.char_indices().map(|(i, c)| if i % 2 == 0 { c.to_ascii_uppercase() } else { c }).collect()
        }];
    for sample in samples() {
        for spelling in spellings {
            assert_paths_agree(&rename_members(&sample, spelling).to_string());
        }
    }
}

#[test]
fn numbers_as_strings_agree() {
    for sample in samples() {
        let variant = scalars_as_strings(&sample);
        assert_ne!(variant, sample);
        assert_paths_agree(&variant.to_string());
    }
}

#[test]
fn json_as_text_agrees() {
    for sample in samples() {
        let variant = nested_as_text(&sample);
        assert_paths_agree(&variant.to_string());
        assert_paths_agree(&scalars_as_strings(&variant).to_string());
    }
    let sign_in = &samples()[0];
    assert!(nested_as_text(sign_in)["status"].is_string());
}

#[test]
fn unusual_values_agree() {
    let sign_in = &samples()[1];
    let exchange = &samples()[2];
    let mut cases: Vec<Value> = Vec::new();
    let mut edit = |base: &Value, name: &str, value: Value| {
        let mut record = base.clone();
        record.as_object_mut().unwrap().insert(name.to_owned(), value);
        cases.push(record);
    };
    edit(sign_in, "isInteractive", Value::Bool(false));
    edit(sign_in, "isInteractive", Value::from(0));
    edit(sign_in, "userPrincipalName", Value::from(""));
    edit(sign_in, "userAgent", Value::Null);
    edit(sign_in, "ipAddress", Value::from("[2001:db8::1]:443"));
    edit(sign_in, "resourceId", Value::from("/tenants/x/providers/Microsoft.aadiam"));
    edit(sign_in, "status", serde_json::json!({"ErrorCode": "50074", "additionalDetails": "MFA required in Azure AD"}));
    edit(
        sign_in,
        "location",
        serde_json::json!({"city": "Berlin", "geoCoordinates": {"latitude": 95.0, "longitude": 13.4}}),
    );
    edit(
        sign_in,
        "authenticationDetails",
        serde_json::json!([1, {"authenticationMethod": "Passkey", "succeeded": "true"}]),
    );
    edit(exchange, "RecordType", Value::from(2.0));
    edit(exchange, "Workload", Value::Null);
    edit(exchange, "UserType", Value::from("2"));
    edit(exchange, "ClientAppId", Value::from("  "));
    edit(exchange, "Folders", serde_json::json!([{"FolderItems": "[{}, {}]"}, "not a folder", {"Path": "\\Sent"}]));
    edit(exchange, "OperationProperties", serde_json::json!([{"name": "IsThrottled", "value": true}]));
    for case in cases {
        assert_paths_agree(&case.to_string());
    }
}

#[test]
fn tenant_override_agrees() {
    let tenant = TenantId::new("override");
    let context = Context { tenant: Some(&tenant) };
    for sample in samples() {
        let text = sample.to_string();
        let event = typed(&text, &context).unwrap();
        assert_eq!(event.tenant, tenant);
        assert_eq!(event, generic(&text, &context));
    }
}

#[test]
fn unread_graph_members_agree() {
    // Members of Graph's signIn resource that no normaliser reads, in the shapes Graph returns them.
    let mut sign_in: Map<String, Value> = serde_json::from_value(samples()[0].clone()).unwrap();
    let unread = serde_json::json!({
        "appliedConditionalAccessPolicies": [{"id": "p1", "displayName": "Require MFA", "result": "success"}],
        "riskDetail": "none",
        "riskEventTypes_v2": [],
        "riskState": "none",
        "tokenIssuerType": "AzureAD",
        "uniqueTokenIdentifier": "c2lnbi1pbi10b2tlbg",
        "networkLocationDetails": [{"networkType": "namedNetwork", "networkNames": ["Office"]}],
        "processingTimeInMilliseconds": 143,
        "flaggedForReview": false,
        "SessionId": "0b2f9a1e-7c3d-4e55-9a0b-3f1d2c4e5a6b",
    });
    for (name, value) in unread.as_object().unwrap() {
        sign_in.insert(name.clone(), value.clone());
    }
    assert_paths_agree(&Value::Object(sign_in).to_string());
}

#[test]
fn other_records_are_left_to_fields() {
    let sign_in = samples()[0].to_string();
    let mail = samples()[2].to_string();
    let with_member = |text: &str, member: &str| format!("{{{member},{}", &text[1..]);
    let cases = [
        // Members outside the typed shapes: ones that `Fields` reads, and an unknown one.
        with_member(&sign_in, r#""operationName":"Sign-in activity""#),
        with_member(&sign_in, r#""servicePrincipalId":"5f1c0a2b""#),
        with_member(&sign_in, r#""authenticationProtocol":"deviceCode""#),
        with_member(&mail, r#""AADTenantId":"other""#),
        with_member(&mail, r#""Unlisted":1"#),
        // A member named twice, in different cases.
        with_member(&mail, r#""operation":"Send""#),
        // A `\u` escape, a time `Fields` rejects, and no id.
        sign_in.replace("User ", "\\u0055ser "),
        mail.replace("\"CreationTime\":\"2026", "\"CreationTime\":\"yesterday"),
        mail.replacen("\"Id\":", "\"Unused\":", 1).replace("\"Unused\"", "\"Id2\""),
        // Operations read from members this shape leaves out.
        mail.replace("MailItemsAccessed", "New-InboxRule"),
        mail.replace("MailItemsAccessed", "SendAs"),
        // Values that are not of the typed shape.
        mail.replace("\"UserId\":\"", "\"UserId\":[\"").replacen("\",\"AppId\"", "\"],\"AppId\"", 1),
        sign_in.replace("\"status\":{", "\"status\":\"not json\",\"x\":{"),
    ];
    for text in cases {
        serde_json::from_str::<Value>(&text).unwrap_or_else(|error| panic!("{error}: {text}"));
        assert!(typed(&text, &Context::default()).is_none(), "{text}");
    }
}

#[test]
fn fallback_keeps_every_record() {
    let mut mail: Map<String, Value> = serde_json::from_value(samples()[2].clone()).unwrap();
    mail.insert("Operation".into(), "Set-Mailbox".into());
    mail.insert(
        "Parameters".into(),
        serde_json::json!([{"Name": "Identity", "Value": "user1@example.com"}, {"Name": "ForwardingSmtpAddress", "Value": "smtp:x@evil.example"}]),
    );
    let text = Value::Object(mail).to_string();
    assert!(typed(&text, &Context::default()).is_none());
    let mut events = Vec::new();
    crate::read_bytes(text.as_bytes(), std::path::Path::new("memory"), &Default::default(), &mut |item| {
        events.push(item)
    })
    .unwrap();
    let [crate::Item::Record(record)] = events.as_slice() else { panic!("{events:?}") };
    assert_eq!(record.raw, text);
    assert!(matches!(record.event.activity, harrier_model::Activity::MailboxForwarding(_)), "{:?}", record.event);
}

/// Compares the two paths on every line of the JSON-lines file named by `HARRIER_TYPED_CHECK`, such as the
/// output of `bench/gen_logs.py`. Run with `cargo nextest run -p harrier-ingest --run-ignored only typed`.
#[test]
#[ignore = "needs a generated file named by HARRIER_TYPED_CHECK"]
fn generated_file_agrees() {
    let path = std::env::var("HARRIER_TYPED_CHECK").expect("HARRIER_TYPED_CHECK names a JSON-lines file");
    let text = std::fs::read_to_string(&path).unwrap();
    let context = Context::default();
    let (mut typed_count, mut total) = (0, 0);
    for line in text.lines() {
        total += 1;
        if let Some(event) = typed(line, &context) {
            typed_count += 1;
            assert_eq!(event, generic(line, &context), "{line}");
        }
    }
    println!("{typed_count} of {total} records took the typed path");
    assert!(typed_count * 100 >= total * 99, "{typed_count} of {total} records took the typed path");
}
