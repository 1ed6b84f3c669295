//! The exporter against an analysis database it fills itself: mapping of every model, validation,
//! Parquet and JSON lines output, checkpoints, staging and recovery, webhook and syslog delivery.

use std::io::Read;
use std::net::{IpAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use arrow_array::Array;
use harrier_detect::{AnalysisDb, Breach, Deviation, Incident, IncidentBuilder, IncidentSettings, TenantState};
use harrier_enrich::IpIntel;
use harrier_export::ocsf::finding::DetectionFinding;
use harrier_export::ocsf::map::{ChangeInfo, MapContext, breach_finding, incident_finding};
use harrier_export::ocsf::schema::Schema;
use harrier_export::{Destination, ExportOptions, ExportSummary, Exporter, Format, Layout, encode};
use harrier_model::{Activity, Actor, ActorKind, Client, Event, Outcome, SignIn, SourceFormat, TenantId};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ocsf-schema-1.3.0");
        Schema::load(&dir).expect("the OCSF 1.3.0 fixture loads")
    })
}

fn intel() -> &'static IpIntel {
    static INTEL: OnceLock<IpIntel> = OnceLock::new();
    INTEL.get_or_init(|| IpIntel::embedded().expect("the built-in snapshot loads"))
}

fn context() -> MapContext<'static> {
    MapContext { intel: Some(intel()), product_version: "0.1.0" }
}

fn assert_valid(record: &DetectionFinding) {
    let value = serde_json::to_value(record).unwrap();
    if let Err(violations) = schema().validate(&value) {
        let list: Vec<String> = violations.iter().map(|v| v.to_string()).collect();
        panic!("{} is not valid OCSF:\n{}\n{value:#}", record.metadata.uid, list.join("\n"));
    }
}

fn event(record_id: &str, user: &str, minute: i64, ip: &str) -> Event {
    Event {
        tenant: TenantId::new("contoso"),
        record_id: record_id.to_owned(),
        time: jiff::Timestamp::from_second(1_767_225_600 + minute * 60).unwrap(),
        format: SourceFormat::ManagementActivity,
        operation: "UserLoggedIn".to_owned(),
        workload: None,
        outcome: Outcome::Success,
        actor: Actor { user: Some(user.to_owned()), kind: ActorKind::User, ..Actor::default() },
        client: Client { ip: Some(ip.parse::<IpAddr>().unwrap()), user_agent: None },
        ip_info: None,
        activity: Activity::SignIn(SignIn::default()),
    }
}

/// Builds one breach of every built-in model, each with evidence, a deviation and (for every third) an
/// application, spread over users, minutes and two source addresses.
fn breach_per_model() -> Vec<Breach> {
    harrier_detect::models::all()
        .iter()
        .enumerate()
        .map(|(i, model)| {
            let info = model.info();
            let user = format!("user{}@contoso.example", i % 3);
            let ip = if i % 2 == 0 { "45.62.170.237" } else { "2001:db8::7" };
            let event = event(&format!("rec-{i}"), &user, i as i64 * 7, ip);
            let mut breach = Breach::new(info, &event, 20.0 + i as f32 * 4.0, format!("{} fired", info.name))
                .evidence("source_ip", ip)
                .evidence("operation", "UserLoggedIn")
                .deviation(Deviation {
                    measure: "asn".into(),
                    observed: "AS396073".into(),
                    baseline: "AS3320 (92%) over 40 days".into(),
                    score: 9.5,
                });
            breach.learning = i % 5 == 0;
            if i % 3 == 0 {
                breach.app_id = Some("00000003-0000-0000-c000-000000000000".into());
                breach = breach.evidence("application", "Microsoft Graph");
            }
            breach
        })
        .collect()
}

/// Saves breaches with the incidents they chain into, as the analysis does.
fn save(db: &mut AnalysisDb, state: &mut TenantState, breaches: &[Breach]) -> Vec<Incident> {
    let settings = IncidentSettings::default();
    let mut changed = Vec::new();
    for breach in breaches {
        changed.extend(state.incidents.add(breach, &settings));
    }
    db.save(&TenantId::new("contoso"), state, breaches, &changed, &mut harrier_detect::IndexBatch::default()).unwrap();
    changed
}

fn options(format: Format) -> ExportOptions {
    let mut options = ExportOptions::new(format, Layout::new("harrier", "eu-west-1", "123456789012").unwrap());
    options.schema = Some(std::sync::Arc::new(Schema::load(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ocsf-schema-1.3.0"),
    )
    .unwrap()));
    options
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.extend(files_under(&path));
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn read_jsonl(files: &[PathBuf]) -> Vec<Value> {
    files
        .iter()
        .flat_map(|f| std::fs::read_to_string(f).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect::<Vec<_>>())
        .collect()
}

#[test]
fn every_model_maps_to_a_valid_finding() {
    let breaches = breach_per_model();
    assert!(breaches.len() >= 20, "the built-in models are all covered");
    for breach in &breaches {
        let record = breach_finding(breach, ChangeInfo { seq: 1, created: true, incident: Some("inc-1") }, &context());
        assert_valid(&record);
        assert_eq!(record.finding_info.analytic.uid, breach.model_id);
        assert_eq!(record.metadata.correlation_uid.as_deref(), Some("inc-1"));
        let attack = &record.finding_info.attacks[0];
        let sub_or_technique = attack.sub_technique.as_ref().or(attack.technique.as_ref()).unwrap();
        assert_eq!(sub_or_technique.uid, breach.technique_id);
        assert!(attack.tactic.is_some(), "{} has a known tactic {}", breach.model_id, breach.tactic);
        assert_eq!(record.unmapped.harrier.deviations.len(), 1);
        assert_eq!(record.finding_info.related_events[0].uid, breach.events[0]);
    }
}

#[test]
fn source_endpoint_carries_location_and_autonomous_system() {
    let breach = &breach_per_model()[0];
    let record = breach_finding(breach, ChangeInfo { seq: 1, created: true, incident: None }, &context());
    let endpoint = record.evidences.as_ref().unwrap()[0].src_endpoint.as_ref().unwrap();
    assert_eq!(endpoint.ip, "45.62.170.237");
    assert_eq!(endpoint.autonomous_system.as_ref().unwrap().number, 396073);
    assert_eq!(endpoint.location.as_ref().unwrap().country, "US");
    assert_eq!(record.unmapped.harrier.ip_data_date, intel().snapshot_date().to_string());
    assert_eq!(record.resources.as_ref().unwrap()[0].name.as_deref(), Some("Microsoft Graph"));
}

#[test]
fn incidents_map_to_valid_findings_with_their_steps() {
    let breaches = breach_per_model();
    let mut builder = IncidentBuilder::default();
    let mut incidents = std::collections::BTreeMap::new();
    for breach in &breaches {
        for incident in builder.add(breach, &IncidentSettings::default()) {
            incidents.insert(incident.id.clone(), incident);
        }
    }
    assert!(!incidents.is_empty());
    for (i, incident) in incidents.values().enumerate() {
        for created in [true, false] {
            let change = ChangeInfo { seq: 100 + i as u64, created, incident: Some(&incident.id) };
            let record = incident_finding(incident, &breaches, change, &context());
            assert_valid(&record);
            assert_eq!(record.finding_info.related_events.len(), incident.breaches.len());
            assert_eq!(record.activity_id, if created { 1 } else { 2 });
            assert_eq!(record.type_uid, if created { 200401 } else { 200402 });
            assert!(record.finding_info.attacks.len() <= incident.techniques.len());
            assert_eq!(record.start_time, Some(incident.first.as_millisecond()));
        }
    }
}

#[test]
fn validator_rejects_broken_mapped_records() {
    let breach = &breach_per_model()[1];
    let record = breach_finding(breach, ChangeInfo { seq: 1, created: true, incident: None }, &context());
    let good = serde_json::to_value(&record).unwrap();
    assert!(schema().validate(&good).is_ok());

    let mut missing = good.clone();
    missing["finding_info"].as_object_mut().unwrap().remove("uid");
    let mut bad_enum = good.clone();
    bad_enum["severity_id"] = 42.into();
    let mut string_time = good.clone();
    string_time["time"] = "2026-01-01T00:00:00Z".into();
    for (what, broken) in [("missing uid", missing), ("severity 42", bad_enum), ("string time", string_time)] {
        assert!(schema().validate(&broken).is_err(), "{what} passed validation");
    }
}

#[test]
fn parquet_round_trips_with_stable_types() {
    let breaches = breach_per_model();
    let records: Vec<DetectionFinding> = breaches
        .iter()
        .map(|b| breach_finding(b, ChangeInfo { seq: 1, created: true, incident: None }, &context()))
        .collect();
    let bytes = encode::to_parquet(&records).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes)).unwrap().build().unwrap();
    let batches: Vec<_> = reader.map(|b| b.unwrap()).collect();
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, records.len());
    let schema = batches[0].schema();
    assert_eq!(schema.field_with_name("time").unwrap().data_type(), &arrow_schema::DataType::Int64);
    assert_eq!(schema.field_with_name("severity_id").unwrap().data_type(), &arrow_schema::DataType::Int32);
    assert_eq!(schema.field_with_name("message").unwrap().data_type(), &arrow_schema::DataType::Utf8);
    let times = batches[0].column_by_name("time").unwrap();
    assert_eq!(times.len(), batches[0].num_rows());
    assert_eq!(times.null_count(), 0);
}

/// Fills an analysis database with one breach per model and the incidents they chain into.
fn filled_db(data: &Path) -> (AnalysisDb, TenantState, usize) {
    let mut db = AnalysisDb::open(data).unwrap();
    let mut state = TenantState::default();
    let breaches = breach_per_model();
    let incidents = save(&mut db, &mut state, &breaches);
    (db, state, breaches.len() + incidents.len())
}

#[test]
fn directory_export_writes_each_finding_once_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("lake");
    let (mut db, mut state, changes) = filled_db(&data);

    let mut exporter = Exporter::new(&data, Destination::Dir(out.clone()), options(Format::Jsonl), Some(intel())).unwrap();
    let summary = exporter.run(&db).unwrap();
    assert_eq!(summary.changes as usize, changes);
    assert_eq!(summary.invalid, 0);
    assert_eq!(summary.files_staged, summary.files_uploaded);
    let files = files_under(&out);
    assert!(files.iter().all(|f| f.to_string_lossy().contains("/ext/harrier/region=eu-west-1/accountId=123456789012/eventDay=")));
    let records = read_jsonl(&files);
    assert_eq!(records.len() as u64, summary.findings);
    for record in &records {
        assert!(schema().validate(record).is_ok());
    }
    assert!(files_under(&exporter.state_dir().join("staging")).is_empty(), "staging is emptied");

    // Nothing new: nothing written.
    let again = exporter.run(&db).unwrap();
    assert_eq!((again.changes, again.files_staged), (0, 0));

    // A new breach that joins an incident: the breach and the incident's update, in new files only.
    let mut later = breach_per_model()[0].clone();
    later.id = "later-breach".into();
    later.time += jiff::SignedDuration::from_mins(30);
    later.score = 90.0;
    save(&mut db, &mut state, &[later]);
    drop(exporter);
    let mut exporter = Exporter::new(&data, Destination::Dir(out.clone()), options(Format::Jsonl), Some(intel())).unwrap();
    let third = exporter.run(&db).unwrap();
    assert_eq!((third.breaches, third.incidents), (1, 1));
    let records = read_jsonl(&files_under(&out));
    let update = records.iter().find(|r| r["activity_id"] == 2).expect("the incident update is exported");
    assert!(update["metadata"]["uid"].as_str().unwrap().starts_with(update["finding_info"]["uid"].as_str().unwrap()));
    let uids: std::collections::BTreeSet<&str> = records.iter().map(|r| r["metadata"]["uid"].as_str().unwrap()).collect();
    assert_eq!(uids.len(), records.len(), "every record is written once");
}

#[test]
fn staged_batch_is_uploaded_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("lake");
    let (db, _, _) = filled_db(&data);

    // Stage one batch and stop before uploading it, as a crash between the two would.
    let mut first = Exporter::new(&data, Destination::Dir(out.clone()), options(Format::Parquet), Some(intel())).unwrap();
    let mut summary = ExportSummary::default();
    assert!(first.stage_batch(&db, &mut summary).unwrap());
    let staged = files_under(&first.state_dir().join("staging"));
    assert_eq!(staged.len() as u64, summary.files_staged);
    assert!(files_under(&out).is_empty());
    // A half-written file of a later batch that never completed.
    let orphan = first.state_dir().join("staging/ext/harrier/orphan-000000009000-000000009999.parquet.partial");
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::write(&orphan, b"PAR1").unwrap();
    drop(first);

    let mut second = Exporter::new(&data, Destination::Dir(out.clone()), options(Format::Parquet), Some(intel())).unwrap();
    let resumed = second.run(&db).unwrap();
    assert_eq!(resumed.changes, 0, "the checkpoint had already moved past the staged batch");
    assert_eq!(resumed.files_uploaded as usize, staged.len());
    assert_eq!(resumed.files_discarded, 1);
    let written = files_under(&out);
    let rows: usize = written
        .iter()
        .map(|f| {
            let file = std::fs::File::open(f).unwrap();
            let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
            reader.map(|b| b.unwrap().num_rows()).sum::<usize>()
        })
        .sum();
    assert_eq!(rows as u64, summary.findings);
}

#[test]
fn uncommitted_staged_files_are_rebuilt_not_uploaded() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("lake");
    let (db, _, changes) = filled_db(&data);

    // A staged file whose batch lies after the checkpoint: its checkpoint write never happened.
    let exporter = Exporter::new(&data, Destination::Dir(out.clone()), options(Format::Jsonl), Some(intel())).unwrap();
    let stray = exporter.state_dir().join("staging/ext/harrier/region=eu-west-1/accountId=123456789012/eventDay=20260101/harrier-000000000001-000000000003.jsonl");
    std::fs::create_dir_all(stray.parent().unwrap()).unwrap();
    std::fs::write(&stray, b"{\"partial\":true}\n").unwrap();
    drop(exporter);

    let mut exporter = Exporter::new(&data, Destination::Dir(out.clone()), options(Format::Jsonl), Some(intel())).unwrap();
    let summary = exporter.run(&db).unwrap();
    assert_eq!(summary.files_discarded, 1);
    assert_eq!(summary.changes as usize, changes);
    let records = read_jsonl(&files_under(&out));
    assert!(records.iter().all(|r| r.get("partial").is_none()));
}

#[test]
fn since_leaves_out_older_findings() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (db, _, _) = filled_db(&data);
    let mut options = options(Format::Jsonl);
    let cut = jiff::Timestamp::from_second(1_767_225_600 + 60 * 60).unwrap();
    options.since = Some(cut);
    let mut exporter = Exporter::new(&data, Destination::Dir(dir.path().join("lake")), options, Some(intel())).unwrap();
    let summary = exporter.run(&db).unwrap();
    assert!(summary.before_since > 0);
    let records = read_jsonl(&files_under(&dir.path().join("lake")));
    assert!(!records.is_empty());
    assert!(records.iter().all(|r| r["time"].as_i64().unwrap() >= cut.as_millisecond()));
}

#[test]
fn since_never_exports_update_without_create() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let lake = dir.path().join("lake");
    let (mut db, mut state, _) = filled_db(&data);
    // Every breach so far lies before the cut, six minutes after the last one, so the first run exports
    // nothing. The cut follows the model count, because each model's breach comes seven minutes later.
    let last = breach_per_model().iter().map(|breach| breach.time).max().unwrap();
    let cut = last + jiff::SignedDuration::from_mins(6);
    let mut options = options(Format::Jsonl);
    options.since = Some(cut);
    let mut exporter = Exporter::new(&data, Destination::Dir(lake.clone()), options.clone(), Some(intel())).unwrap();
    let first = exporter.run(&db).unwrap();
    assert_eq!(first.findings, 0);

    // A breach after the cut joins an incident that began before it.
    let mut later = breach_per_model()[0].clone();
    later.id = "later-breach".into();
    later.time = cut + jiff::SignedDuration::from_mins(5);
    later.score = 90.0;
    save(&mut db, &mut state, &[later]);
    let second = exporter.run(&db).unwrap();
    assert_eq!(second.breaches, 1);
    assert_eq!(second.incidents, 1);

    let records = read_jsonl(&files_under(&lake));
    let created: Vec<&str> =
        records.iter().filter(|r| r["activity_id"] == 1).map(|r| r["finding_info"]["uid"].as_str().unwrap()).collect();
    for record in records.iter().filter(|r| r["activity_id"] == 2) {
        let uid = record["finding_info"]["uid"].as_str().unwrap();
        assert!(created.contains(&uid), "update of {uid} exported without its create");
    }
    assert!(records.iter().any(|r| r["finding_info"]["uid"] == "later-breach"));
    for record in &records {
        let start = record["start_time"].as_i64().unwrap_or_else(|| record["time"].as_i64().unwrap());
        assert!(start >= cut.as_millisecond(), "{record} began before the cut");
    }
}

/// Serves HTTP requests on a loopback port, the first with 503 and `Retry-After: 0` and the rest with 200,
/// and returns every request's head and body.
fn webhook_receiver(requests: usize) -> (String, std::thread::JoinHandle<Vec<harrier_webhook::testing::Request>>) {
    let mut answers = vec!["HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0".to_owned()];
    answers.resize(requests, "HTTP/1.1 200 OK".to_owned());
    let (url, handle) = harrier_webhook::testing::receiver(answers);
    (format!("{url}?token=t"), handle)
}

#[test]
fn webhook_receives_signed_findings_after_a_retry() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (db, _, _) = filled_db(&data);
    let (url, receiver) = webhook_receiver(2);
    let mut options = options(Format::Jsonl);
    options.webhook_secret = Some("test-key".into());
    let mut exporter = Exporter::new(&data, Destination::parse(&url).unwrap(), options, Some(intel())).unwrap();
    let summary = exporter.run(&db).unwrap();
    let requests = receiver.join().unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].1, requests[1].1, "the retry repeats the same body");
    let (head, body) = &requests[1];
    let records: Vec<Value> = serde_json::from_slice(body).unwrap();
    assert_eq!(records.len() as u64, summary.findings);
    let header = |name: &str| {
        head.lines()
            .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim().to_owned()))
            .unwrap()
    };
    let timestamp = header("x-harrier-timestamp");
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"test-key");
    let mut signed = timestamp.into_bytes();
    signed.push(b'.');
    signed.extend_from_slice(body);
    let expected = ring::hmac::sign(&key, &signed);
    let expected: String = expected.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(header("x-harrier-signature"), format!("sha256={expected}"));
}

#[test]
fn syslog_over_tcp_frames_each_finding() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (db, _, _) = filled_db(&data);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let receiver = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).unwrap();
        bytes
    });
    let destination = Destination::parse(&format!("syslog+tcp://{address}")).unwrap();
    let mut exporter = Exporter::new(&data, destination, options(Format::Jsonl), Some(intel())).unwrap();
    let summary = exporter.run(&db).unwrap();
    drop(exporter);
    let bytes = receiver.join().unwrap();

    // Octet counting: "LEN SP MSG", repeated.
    let mut messages = Vec::new();
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        let space = rest.iter().position(|b| *b == b' ').unwrap();
        let length: usize = std::str::from_utf8(&rest[..space]).unwrap().parse().unwrap();
        messages.push(&rest[space + 1..space + 1 + length]);
        rest = &rest[space + 1 + length..];
    }
    assert_eq!(messages.len() as u64, summary.findings);
    for message in messages {
        let text = std::str::from_utf8(message).unwrap();
        let (header, json) = text.split_once('\u{feff}').unwrap();
        let parts: Vec<&str> = header.split(' ').collect();
        assert!(parts[0].starts_with('<'), "{header}");
        assert!(parts[0].ends_with(">1"), "{header}");
        let pri: u8 = parts[0][1..parts[0].len() - 2].parse().unwrap();
        assert_eq!(pri / 8, 16, "facility local0");
        assert!(parts[1].parse::<jiff::Timestamp>().is_ok(), "{header}");
        assert_eq!(parts[3], "harrier");
        let record: Value = serde_json::from_str(json).unwrap();
        assert!(schema().validate(&record).is_ok());
    }
}

#[test]
fn syslog_over_udp_sends_a_datagram_per_finding() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (db, _, _) = filled_db(&data);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let destination = Destination::parse(&format!("syslog+udp://{}", socket.local_addr().unwrap())).unwrap();
    let mut exporter = Exporter::new(&data, destination, options(Format::Jsonl), Some(intel())).unwrap();
    let summary = exporter.run(&db).unwrap();
    let mut buffer = vec![0; 65_536];
    for _ in 0..summary.findings {
        let length = socket.recv(&mut buffer).unwrap();
        let text = std::str::from_utf8(&buffer[..length]).unwrap();
        let json = text.split_once('\u{feff}').unwrap().1;
        assert!(schema().validate(&serde_json::from_str(json).unwrap()).is_ok());
    }
}

#[test]
fn second_export_to_same_destination_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = Destination::Dir(dir.path().join("lake"));
    let _first = Exporter::new(&data, out.clone(), options(Format::Jsonl), Some(intel())).unwrap();
    let Err(error) = Exporter::new(&data, out, options(Format::Jsonl), Some(intel())) else {
        panic!("a second exporter to the same destination started");
    };
    assert!(error.to_string().contains("another export"), "{error}");
}
