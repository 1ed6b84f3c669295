//! Behaviour common to every unified audit log shape: Management Activity API JSON, Sentinel
//! `OfficeActivity` rows and Purview audit search CSV, plain or gzip-compressed.

mod common;

use std::collections::BTreeMap;
use std::io::Write;

use common::{fixture, kinds, read, temp_file};
use harrier_ingest::{Container, ReadOptions, SkipReason, collect_paths, read_file};
use harrier_model::SourceFormat;
use serde_json::{Value, json};

#[test]
fn sentinel_office_activity_every_row() {
    let (records, skips) = read(&fixture("saas/sentinel-training-lab/office_activity.csv"));
    assert!(skips.is_empty(), "{skips:?}");
    assert_eq!(records.len(), 266);
    assert!(records.iter().all(|r| r.event.format == SourceFormat::SentinelOfficeActivity));

    let mut per_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for kind in kinds(&records) {
        *per_kind.entry(kind).or_default() += 1;
    }
    let expected = BTreeMap::from([
        ("file", 102),
        ("inbox_rule", 1),
        ("mail_items_accessed", 3),
        ("mail_sent", 2),
        ("mailbox_permission", 2),
        ("other", 156),
    ]);
    assert_eq!(per_kind, expected);
}

#[test]
fn purview_gzip_reads_like_plain() {
    let plain_path = fixture("saas/synthetic/purview_audit_search.csv");
    let plain = std::fs::read(&plain_path).unwrap();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&plain).unwrap();
    let (_dir, gzip_path) = temp_file("audit.csv.gz", &encoder.finish().unwrap());

    let mut compressed_records = Vec::new();
    let info = read_file(&gzip_path, &ReadOptions::default(), &mut |item| compressed_records.push(item)).unwrap();
    assert!(info.compressed);
    assert_eq!(info.container, Container::Csv);

    let (records, skips) = read(&plain_path);
    let (unpacked, unpacked_skips) = read(&gzip_path);
    assert!(skips.is_empty(), "{skips:?}");
    assert!(unpacked_skips.is_empty(), "{unpacked_skips:?}");
    assert_eq!(records.len(), 5);
    assert_eq!(compressed_records.len(), 5);
    let events: Vec<_> = records.iter().map(|r| &r.event).collect();
    let unpacked_events: Vec<_> = unpacked.iter().map(|r| &r.event).collect();
    assert_eq!(events, unpacked_events);
}

#[test]
fn json_and_purview_share_record_id() {
    let (blob, _) = read(&fixture("saas/synthetic/management_activity_exchange.json"));
    let (csv, _) = read(&fixture("saas/synthetic/purview_audit_search.csv"));
    let from_json = &blob[0].event;
    let from_csv = &csv[0].event;

    assert_eq!(from_json.operation, "New-InboxRule");
    assert_eq!(from_json.record_id, "ma:8d9b1f7e-3c2a-4e5b-9f10-2a6c7d8e9f01");
    assert_eq!(from_csv.record_id, from_json.record_id);
    assert_eq!(from_csv.tenant, from_json.tenant);
    assert_eq!(from_csv.time, from_json.time);
    assert_eq!(from_csv.activity, from_json.activity);
    assert_eq!(from_csv, from_json);
}

#[test]
fn purview_common_fields() {
    let (records, _) = read(&fixture("saas/synthetic/purview_audit_search.csv"));
    let event = &records[0].event;
    assert_eq!(event.tenant.as_str(), "4f1c6a2e-8b3d-4e7f-a1b2-c3d4e5f60718");
    assert_eq!(event.workload.as_deref(), Some("Exchange"));
    assert_eq!(event.outcome, harrier_model::Outcome::Success);
    assert_eq!(event.actor.user.as_deref(), Some("megan.bowen@contoso.onmicrosoft.com"));
    assert_eq!(event.actor.kind, harrier_model::ActorKind::User);
    assert_eq!(event.client.ip, Some("203.0.113.45".parse().unwrap()));
    assert_eq!(event.time, "2024-03-14T09:21:07Z".parse().unwrap());
    assert!(records[0].raw.starts_with(r#"{"CreationTime":"2024-03-14T09:21:07""#));
}

#[test]
fn broken_creation_time_is_skipped() {
    let lines = concat!(
        r#"{"CreationTime":"yesterday at noon","Id":"b-1","Operation":"Set-Mailbox","Workload":"Exchange"}"#,
        "\n",
        r#"{"CreationTime":"2024-03-14T09:00:00","Id":"b-2","Operation":"Set-Mailbox","Workload":"Exchange"}"#,
        "\n",
    );
    let (_dir, path) = temp_file("broken.jsonl", lines.as_bytes());
    let (records, skips) = read(&path);

    assert_eq!(skips.len(), 1);
    assert_eq!(skips[0].path, path);
    assert_eq!(skips[0].line, 1);
    assert_eq!(
        skips[0].reason,
        SkipReason::InvalidTime { field: "CreationTime".into(), value: "yesterday at noon".into() }
    );
    assert!(skips[0].to_string().ends_with(":1: invalid time in field CreationTime: \"yesterday at noon\""));
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].event.record_id, "ma:b-2");
}

/// Writes a Purview export whose first row has an invalid `CreationTime`, with rows ending in `line_end`.
fn purview_with_broken_row(line_end: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let broken =
        json!({"CreationTime": "2024-13-40T99:00:00", "Id": "p-1", "Operation": "Send", "Workload": "Exchange"});
    let valid =
        json!({"CreationTime": "2024-03-14T09:00:00", "Id": "p-2", "Operation": "Send", "Workload": "Exchange"});
    let mut content = format!("RecordId,CreationDate,RecordType,Operation,UserId,AuditData{line_end}");
    for record in [&broken, &valid] {
        let cell = record.to_string().replace('"', "\"\"");
        content.push_str(&format!("x,2024-03-14T09:00:00Z,ExchangeItem,Send,u@contoso.com,\"{cell}\"{line_end}"));
    }
    temp_file("broken.csv", content.as_bytes())
}

#[test]
fn broken_creation_time_in_purview_csv() {
    let (_dir, path) = purview_with_broken_row("\n");
    let (records, skips) = read(&path);

    assert_eq!(skips.len(), 1);
    assert_eq!(skips[0].path, path);
    assert_eq!(skips[0].line, 2);
    assert!(matches!(&skips[0].reason, SkipReason::InvalidTime { field, .. } if field == "CreationTime"));
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].event.record_id, "ma:p-2");
}

// TODO: the csv crate (1.4) consumes the LF of a CRLF row end only when it reads the next row, so the
// reader reports each row after the header one line early. Purview exports end rows with CRLF.
#[test]
fn broken_row_line_with_crlf() {
    let (_dir, path) = purview_with_broken_row("\r\n");
    let (_, skips) = read(&path);
    assert_eq!(skips.len(), 1);
    assert_eq!(skips[0].line, 2);
}

#[test]
fn every_saas_fixture_reads() {
    let (paths, errors) = collect_paths(&[fixture("saas")]);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(paths.len() >= 15, "{paths:?}");
    for path in &paths {
        let mut items = 0;
        read_file(path, &ReadOptions::default(), &mut |_| items += 1).unwrap_or_else(|error| panic!("{error}"));
        assert!(items > 0, "{} produced no records or skips", path.display());
    }
}

/// Values that stress the parsers: wrong types, truncated JSON, prefixes without a rest, multi-byte text.
fn hostile_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(0),
        json!(-1),
        json!(1.5e300),
        json!(""),
        json!(" "),
        json!("["),
        json!("{"),
        json!("[]"),
        json!("{}"),
        json!("[1,{\"a\":null}]"),
        json!("\\"),
        json!(":\\"),
        json!("smtp:"),
        json!("ä[SMTP:ü"),
        json!("{((SenderSearchKey Equal SMTP:"),
        json!("SenderSearchKey Equal SMTP:ü)"),
        json!([{"Name": {}, "Value": []}, {"Name": "ForwardTo", "Value": {"a": 1}}]),
        json!([{"ActionType": 7, "ActionFlavor": "x", "Recipients": [null, 1, {}]}]),
        json!({"FolderItems": "[1]"}),
        json!([{"FolderItems": [1, 2]}, {"FolderItems": "not json"}, 3]),
        json!("a;".repeat(5000)),
    ]
}

/// Returns variants of `record`: each top-level field and each name/value bag entry replaced by each
/// hostile value.
fn mangle(record: &Value) -> Vec<Value> {
    let Value::Object(map) = record else { return Vec::new() };
    let mut variants = Vec::new();
    for key in map.keys() {
        for value in hostile_values() {
            let mut copy = map.clone();
            copy.insert(key.clone(), value);
            variants.push(Value::Object(copy));
        }
    }
    for bag in ["Parameters", "OperationProperties"] {
        let Some(Value::Array(entries)) = map.get(bag) else { continue };
        for index in 0..entries.len() {
            for value in hostile_values() {
                let mut copy = map.clone();
                let mut entries = entries.clone();
                entries[index]["Value"] = value;
                copy.insert(bag.to_owned(), Value::Array(entries));
                variants.push(Value::Object(copy));
            }
        }
    }
    variants
}

#[test]
fn mangled_records_never_panic() {
    let blob: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(fixture("saas/synthetic/management_activity_exchange.json")).unwrap(),
    )
    .unwrap();
    let sharepoint = std::fs::read_to_string(fixture("saas/synthetic/management_activity_sharepoint.jsonl")).unwrap();
    let otrf: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("saas/otrf-goldensaml/OfficeActivityEvents.json")).unwrap(),
    )
    .unwrap();
    let mut originals = blob;
    originals.extend(sharepoint.lines().map(|line| serde_json::from_str::<Value>(line).unwrap()));
    originals.push(otrf);

    let mut content = String::new();
    let mut lines = 0;
    for record in &originals {
        for variant in mangle(record) {
            content.push_str(&variant.to_string());
            content.push('\n');
            lines += 1;
        }
    }
    assert!(lines > 10_000, "{lines}");
    let (_dir, path) = temp_file("mangled.jsonl", content.as_bytes());
    let (records, skips) = read(&path);
    assert_eq!(records.len() + skips.len(), lines);
    assert!(records.len() > skips.len());
}
