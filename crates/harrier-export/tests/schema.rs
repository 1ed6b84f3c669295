//! Validation of hand-built OCSF 1.3.0 records against the schema copy in `testdata/`.

use std::path::PathBuf;
use std::sync::OnceLock;

use harrier_export::ocsf::schema::{
    BaseType, Problem, Requirement, Schema, SchemaError, Violation,
};
use serde_json::{Value, json};

fn schema_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ocsf-schema-1.3.0")
}

/// Loads the schema once, because resolving all of it for every test would repeat the same work.
fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| Schema::load(&schema_dir()).expect("the OCSF 1.3.0 fixture loads"))
}

/// Builds a complete Detection Finding (2004) with every required attribute and the recommended ones
/// harrier fills.
fn detection_finding() -> Value {
    json!({
        "activity_id": 1,
        "activity_name": "Create",
        "category_uid": 2,
        "category_name": "Findings",
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "type_uid": 200401,
        "type_name": "Detection Finding: Create",
        "time": 1_733_350_000_000_i64,
        "severity_id": 4,
        "severity": "High",
        "confidence_id": 3,
        "confidence": "High",
        "risk_score": 87,
        "status_id": 1,
        "status": "New",
        "message": "Sign-in from a new hosting provider after repeated failures",
        "finding_info": {
            "uid": "inc-3f2a9c1b7d4e",
            "title": "Suspicious sign-in after password spray",
            "desc": "Twelve failed sign-ins followed by a success from an unseen autonomous system.",
            "analytic": {
                "name": "impossible-travel",
                "uid": "harrier.detect.impossible-travel",
                "version": "0.1.0",
                "type_id": 4,
                "type": "Learning (ML/DL)"
            },
            "attacks": [{
                "tactic": {"name": "Credential Access", "uid": "TA0006"},
                "technique": {"name": "Brute Force", "uid": "T1110"},
                "sub_technique": {"name": "Password Spraying", "uid": "T1110.003"},
                "version": "15.1"
            }],
            "types": ["Account Takeover"],
            "first_seen_time": 1_733_349_000_000_i64,
            "last_seen_time": 1_733_350_000_000_i64
        },
        "evidences": [{
            "actor": {
                "user": {"name": "alice@contoso.com", "uid": "6f1c2b7e-0d3a-4c55-9a51-2f0e8d1b9c44", "type_id": 1}
            },
            "src_endpoint": {"ip": "45.62.170.237", "port": 51234}
        }],
        "metadata": {
            "product": {"name": "harrier", "vendor_name": "harrier", "version": "0.1.0"},
            "version": "1.3.0",
            "correlation_uid": "inc-3f2a9c1b7d4e",
            "tenant_uid": "contoso"
        }
    })
}

fn authentication() -> Value {
    json!({
        "activity_id": 1,
        "category_uid": 3,
        "class_uid": 3002,
        "type_uid": 300201,
        "time": 1_733_350_000_000_i64,
        "severity_id": 1,
        "user": {"name": "alice@contoso.com"},
        "service": {"name": "Microsoft Entra ID"},
        "metadata": {"product": {"vendor_name": "Microsoft", "name": "Entra ID"}, "version": "1.3.0"}
    })
}

fn email_activity() -> Value {
    json!({
        "activity_id": 2,
        "category_uid": 4,
        "class_uid": 4009,
        "type_uid": 400902,
        "time": 1_733_350_000_000_i64,
        "severity_id": 1,
        "direction_id": 1,
        "email": {"from": "mallory@example.net", "to": ["alice@contoso.com"]},
        "metadata": {"product": {"vendor_name": "Microsoft", "name": "Exchange Online"}, "version": "1.3.0"}
    })
}

fn violations(record: &Value) -> Vec<Violation> {
    match schema().validate(record) {
        Ok(()) => Vec::new(),
        Err(violations) => violations,
    }
}

/// Returns the violations at `path`, for asserting on one problem while printing all on failure.
fn at<'v>(violations: &'v [Violation], path: &str) -> Vec<&'v Violation> {
    violations.iter().filter(|v| v.path == path).collect()
}

fn set(record: &mut Value, pointer: &str, value: Value) {
    *record
        .pointer_mut(pointer)
        .expect("the pointer names an existing attribute") = value;
}

#[test]
fn loader_resolves_detection_finding() {
    let class = schema().class(2004).expect("class 2004 is resolved");
    let attributes = &class.definition.attributes;

    assert_eq!(schema().version(), "1.3.0");
    assert_eq!(class.definition.name, "detection_finding");
    assert_eq!(class.category_uid, 2);
    assert_eq!(
        attributes["finding_info"].requirement,
        Requirement::Required
    );
    assert_eq!(
        attributes["finding_info"].base_type,
        BaseType::Object("finding_info".into())
    );
    assert_eq!(attributes["time"].type_name, "timestamp_t");
    assert_eq!(attributes["time"].base_type, BaseType::Long);
    assert_eq!(attributes["severity_id"].requirement, Requirement::Required);
    assert!(attributes["evidences"].is_array);
    assert_eq!(attributes["unmapped"].base_type, BaseType::FreeForm);
}

#[test]
fn loader_resolves_every_class() {
    // 64 event files with a `uid` plus `base_event`, which is class 0.
    let uids = [0, 1001, 2004, 3002, 4009, 6003];

    assert_eq!(schema().classes().count(), 65);
    for uid in uids {
        assert!(schema().class(uid).is_some(), "class {uid} is resolved");
    }
    assert_eq!(
        schema().class(3002).unwrap().definition.name,
        "authentication"
    );
    assert_eq!(
        schema().class(4009).unwrap().definition.caption,
        "Email Activity"
    );
}

#[test]
fn loader_merges_enums_along_extends() {
    let activity = &schema().class(2004).unwrap().definition.attributes["activity_id"];
    let ids: Vec<&str> = activity.enum_values.keys().map(String::as_str).collect();

    assert_eq!(ids, ["0", "1", "2", "3", "99"]);
    assert_eq!(activity.enum_values["1"], "Create");
}

#[test]
fn loader_tags_profile_attributes() {
    let attributes = &schema().class(2004).unwrap().definition.attributes;

    assert_eq!(
        attributes["attacks"].profile.as_deref(),
        Some("security_control")
    );
    assert_eq!(attributes["actor"].profile.as_deref(), Some("host"));
    assert_eq!(attributes["cloud"].profile.as_deref(), Some("cloud"));
    assert_eq!(
        attributes["device"].profile, None,
        "finding.json defines device itself"
    );
    assert_eq!(attributes["finding_info"].profile, None);
}

#[test]
fn loader_resolves_object_extends_and_types() {
    let user = schema().object("user").expect("user object");
    let endpoint = schema()
        .object("network_endpoint")
        .expect("network_endpoint object");

    assert!(
        user.attributes.contains_key("name"),
        "name comes from _entity"
    );
    assert_eq!(user.constraints.at_least_one, ["account", "name", "uid"]);
    assert!(
        endpoint.attributes.contains_key("hostname"),
        "hostname comes from endpoint"
    );
    assert_eq!(endpoint.attributes["port"].type_name, "port_t");
    assert_eq!(endpoint.attributes["port"].base_type, BaseType::Integer);
    assert_eq!(endpoint.attributes["port"].range, Some((0, 65535)));
    assert_eq!(endpoint.attributes["ip"].base_type, BaseType::String);
    assert_eq!(endpoint.attributes["ip"].observable, Some(2));
}

#[test]
fn loader_resolves_includes_and_deprecated() {
    let metadata = schema().object("metadata").expect("metadata object");
    let location = schema().object("location").expect("location object");

    assert_eq!(
        metadata.attributes["data_classification"]
            .profile
            .as_deref(),
        Some("data_classification")
    );
    assert!(location.attributes["coordinates"].deprecated);
}

#[test]
fn detection_finding_valid() {
    assert_eq!(violations(&detection_finding()), []);
}

#[test]
fn authentication_minimal_valid() {
    assert_eq!(violations(&authentication()), []);
}

#[test]
fn email_activity_minimal_valid() {
    assert_eq!(violations(&email_activity()), []);
}

#[test]
fn missing_required_rejected() {
    let mut record = detection_finding();
    record["finding_info"]
        .as_object_mut()
        .unwrap()
        .remove("title");
    record.as_object_mut().unwrap().remove("severity_id");

    let found = violations(&record);
    let title = at(&found, "finding_info.title");
    let severity = at(&found, "severity_id");

    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        matches!(
            title[..],
            [Violation {
                problem: Problem::Missing { .. },
                ..
            }]
        ),
        "{found:#?}"
    );
    assert!(
        matches!(
            severity[..],
            [Violation {
                problem: Problem::Missing { .. },
                ..
            }]
        ),
        "{found:#?}"
    );
}

#[test]
fn invalid_enum_rejected() {
    let mut record = detection_finding();
    set(&mut record, "/finding_info/analytic/type_id", json!(42));

    let found = violations(&record);
    let type_id = at(&found, "finding_info.analytic.type_id");

    assert_eq!(found.len(), 1, "{found:#?}");
    let Problem::InvalidEnum { value, allowed } = &type_id[0].problem else {
        panic!("expected an invalid enum value: {found:#?}");
    };
    assert_eq!(value, "42");
    assert!(allowed.contains(&"99 (Other)".to_owned()), "{allowed:?}");
    assert!(allowed.contains(&"0 (Unknown)".to_owned()), "{allowed:?}");
}

#[test]
fn enum_other_and_unknown_accepted() {
    let mut record = detection_finding();
    set(&mut record, "/finding_info/analytic/type_id", json!(99));
    set(
        &mut record,
        "/finding_info/analytic/type",
        json!("Sequence model"),
    );
    set(&mut record, "/severity_id", json!(0));
    set(&mut record, "/severity", json!("Unknown"));

    assert_eq!(violations(&record), []);
}

#[test]
fn caption_mismatch_rejected() {
    let mut record = detection_finding();
    set(&mut record, "/severity", json!("Low"));

    let found = violations(&record);

    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].path, "severity");
    assert!(
        matches!(found[0].problem, Problem::CaptionMismatch { .. }),
        "{found:#?}"
    );
}

#[test]
fn string_time_rejected() {
    let mut record = detection_finding();
    set(&mut record, "/time", json!("2024-12-04T22:06:40Z"));

    let found = violations(&record);

    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].path, "time");
    let Problem::WrongType {
        expected,
        found: kind,
    } = &found[0].problem
    else {
        panic!("expected a wrong type: {found:#?}");
    };
    assert_eq!(expected, "timestamp_t (integer)");
    assert_eq!(*kind, "string");
}

#[test]
fn nested_wrong_type_rejected() {
    let mut record = detection_finding();
    set(
        &mut record,
        "/evidences/0/src_endpoint/port",
        json!("51234"),
    );
    set(
        &mut record,
        "/finding_info/types",
        json!("Account Takeover"),
    );

    let found = violations(&record);

    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(
        at(&found, "evidences[0].src_endpoint.port").len(),
        1,
        "{found:#?}"
    );
    assert_eq!(at(&found, "finding_info.types").len(), 1, "{found:#?}");
}

#[test]
fn port_out_of_range_rejected() {
    let mut record = detection_finding();
    set(&mut record, "/evidences/0/src_endpoint/port", json!(70000));

    let found = violations(&record);

    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].path, "evidences[0].src_endpoint.port");
    assert!(
        matches!(found[0].problem, Problem::OutOfRange { value: 70000, .. }),
        "{found:#?}"
    );
}

#[test]
fn unknown_attribute_rejected() {
    let mut record = detection_finding();
    record["finding_info"]["harrier_model"] = json!("impossible-travel");
    record["tenant"] = json!("contoso");

    let found = violations(&record);

    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(matches!(
        at(&found, "finding_info.harrier_model")[..],
        [Violation {
            problem: Problem::Unknown { .. },
            ..
        }]
    ));
    assert!(matches!(
        at(&found, "tenant")[..],
        [Violation {
            problem: Problem::Unknown { .. },
            ..
        }]
    ));
}

#[test]
fn unmapped_accepts_anything() {
    let mut record = detection_finding();
    record["unmapped"] = json!({
        "harrier": {"model": "impossible-travel", "scores": [0.91, 0.4], "tenant": null},
        "time": "not a timestamp"
    });

    assert_eq!(violations(&record), []);
}

#[test]
fn unmapped_must_be_object() {
    let mut record = detection_finding();
    record["unmapped"] = json!(["harrier"]);

    let found = violations(&record);

    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].path, "unmapped");
}

#[test]
fn profile_attribute_needs_listing() {
    let mut record = detection_finding();
    record["attacks"] = record["finding_info"]["attacks"].clone();

    let found = violations(&record);

    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].path, "attacks");
    assert!(
        matches!(&found[0].problem, Problem::ProfileNotListed { profile } if profile == "security_control")
    );

    // Listing the profile also makes its required `action_id` required.
    record["metadata"]["profiles"] = json!(["security_control"]);
    let found = violations(&record);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].path, "action_id");

    record["action_id"] = json!(1);
    assert_eq!(violations(&record), []);
}

#[test]
fn type_uid_mismatch_rejected() {
    let mut record = detection_finding();
    set(&mut record, "/type_uid", json!(200402));

    let found = violations(&record);

    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].path, "type_uid");
    assert!(
        matches!(
            found[0].problem,
            Problem::Mismatch {
                found: 200402,
                expected: 200401,
                ..
            }
        ),
        "{found:#?}"
    );
}

#[test]
fn category_uid_mismatch_rejected() {
    let mut record = authentication();
    set(&mut record, "/category_uid", json!(2));

    let found = violations(&record);

    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].path, "category_uid");
    assert!(
        matches!(
            found[0].problem,
            Problem::Mismatch {
                found: 2,
                expected: 3,
                ..
            }
        ),
        "{found:#?}"
    );
}

#[test]
fn at_least_one_constraint_rejected() {
    let mut record = detection_finding();
    set(
        &mut record,
        "/evidences/0/actor/user",
        json!({"type_id": 1}),
    );

    let found = violations(&record);

    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].path, "evidences[0].actor.user");
    assert!(
        matches!(found[0].problem, Problem::AtLeastOne { .. }),
        "{found:#?}"
    );
}

#[test]
fn unknown_class_rejected() {
    let mut record = authentication();
    set(&mut record, "/class_uid", json!(9999));

    let found = violations(&record);

    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].path, "class_uid");
    assert!(matches!(
        found[0].problem,
        Problem::UnknownClass { class_uid: 9999 }
    ));
}

#[test]
fn violation_display_names_path() {
    let mut record = detection_finding();
    set(&mut record, "/finding_info/analytic/type_id", json!("6"));

    let found = violations(&record);

    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        found[0].to_string(),
        "finding_info.analytic.type_id: invalid type string, expected integer_t (integer)"
    );
}

#[test]
fn missing_schema_dir_names_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("absent");

    let error = Schema::load(&missing).unwrap_err();

    assert!(matches!(error, SchemaError::Read { .. }), "{error}");
    assert!(error.to_string().contains("absent/version.json"), "{error}");
}

#[test]
fn broken_schema_file_names_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("version.json"), r#"{"version": "1.3.0"}"#).unwrap();
    std::fs::write(dir.path().join("dictionary.json"), "{\"attributes\": ").unwrap();

    let error = Schema::load(dir.path()).unwrap_err();

    assert!(matches!(error, SchemaError::Parse { .. }), "{error}");
    assert!(error.to_string().contains("dictionary.json"), "{error}");
}

#[test]
fn unknown_parent_names_file() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&schema_dir(), dir.path());
    let user = dir.path().join("objects/user.json");
    let text = std::fs::read_to_string(&user)
        .unwrap()
        .replace("\"_entity\"", "\"_missing_base\"");
    std::fs::write(&user, text).unwrap();

    let error = Schema::load(dir.path()).unwrap_err();

    assert!(matches!(error, SchemaError::Invalid { .. }), "{error}");
    assert!(error.to_string().contains("objects/user.json"), "{error}");
    assert!(error.to_string().contains("_missing_base"), "{error}");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}
