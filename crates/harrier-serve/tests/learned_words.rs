//! The spool and Microsoft 365 collector sources analyse mail with the words that `harrier learn mail`
//! saved, reading them again on each poll. The collector reads an emulated tenant on loopback.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use harrier_detect::{AnalysisDb, DATABASE_FILE};
use harrier_enrich::IpIntel;
use harrier_mail::analysis::ReportModel;
use harrier_mail::analysis::reported::{Label, MIN_MESSAGES_PER_LABEL, message_words};
use harrier_mail::{MailFormat, MessageOrigin, RawMessage, parse_message};
use harrier_model::{Activity, TenantId};
use harrier_serve::config::SpoolConfig;
use harrier_serve::spool::SpoolSource;
use harrier_serve::{Config, Source};
use harrier_store::Store;

const TENANT: &str = "contoso";
const FACTOR: &str = "like_reported_phishing";
const REPORTED_TEXT: &str = "garden furniture with summer discounts for loyal customers";
const LEGITIMATE_TEXT: &str = "board meeting minutes and kernel release notes";

/// Writes a message with `text` as its body and `<{id}@example.com>` as its Message-ID.
fn message(id: &str, text: &str) -> String {
    format!(
        "From: Shop <news@shop.example.com>\r\nTo: bob@contoso.com\r\nSubject: News\r\n\
         Date: Sun, 5 May 2024 10:00:00 +0000\r\nMessage-ID: <{id}@example.com>\r\n\r\n{text}\r\n"
    )
}

/// Learns [`MIN_MESSAGES_PER_LABEL`] messages of each label and saves them as the tenant's model.
fn save_model(data_dir: &Path) {
    let mut model = ReportModel::new();
    for index in 0..MIN_MESSAGES_PER_LABEL as usize {
        for (text, label) in [(REPORTED_TEXT, Label::Reported), (LEGITIMATE_TEXT, Label::Legitimate)] {
            let origin = MessageOrigin { path: PathBuf::from("learned.eml"), index, format: MailFormat::Eml };
            let raw = RawMessage { bytes: message(&format!("learned{index}"), text).into_bytes(), origin, envelope_from: None };
            model.learn(&message_words(&parse_message(&raw)), label);
        }
    }
    assert!(model.is_trained());
    let mut db = AnalysisDb::open(data_dir).unwrap();
    db.save_report_model(&TenantId::new(TENANT), &model).unwrap();
}

fn spool_source(root: &Path) -> SpoolSource {
    let config = SpoolConfig {
        dir: root.join("spool"),
        done_dir: None,
        poll_interval: Duration::from_secs(1),
        protected_domains: vec!["contoso.com".to_owned()],
        trusted_hops: Vec::new(),
    };
    SpoolSource::new(TENANT, &config, &root.join("data"), Arc::new(IpIntel::embedded().unwrap())).unwrap()
}

/// Returns the factor kinds of the stored email event whose Message-ID is `<{id}@example.com>`.
fn stored_factors(data_dir: &Path, id: &str) -> Vec<String> {
    let store = Store::open(data_dir).unwrap();
    let mut kinds = None;
    let message_id = format!("{id}@example.com");
    store
        .for_each_record(&TenantId::new(TENANT), |record| {
            if let Activity::Email(email) = &record.event.activity
                && email.message_id.as_deref() == Some(message_id.as_str())
            {
                kinds = Some(email.verdict.factors.iter().map(|factor| factor.kind.clone()).collect());
            }
            true
        })
        .unwrap();
    kinds.expect("the message is stored as an email event")
}

/// Spools a message like the reported ones, polls once and returns the factor kinds stored for it.
async fn spool_and_poll(source: &mut SpoolSource, root: &Path, id: &str) -> Vec<String> {
    std::fs::write(root.join("spool").join(format!("{id}.eml")), message(id, REPORTED_TEXT)).unwrap();
    let report = source.poll().await.unwrap();
    assert_eq!(report.stored_total(), 1, "{report:?}");
    stored_factors(&root.join("data"), id)
}

#[tokio::test]
async fn spool_uses_learned_words() {
    let root = tempfile::tempdir().unwrap();
    let mut source = spool_source(root.path());
    save_model(&root.path().join("data"));

    let kinds = spool_and_poll(&mut source, root.path(), "probe").await;
    assert!(kinds.contains(&FACTOR.to_owned()), "{kinds:?}");
}

#[tokio::test]
async fn spool_without_database() {
    let root = tempfile::tempdir().unwrap();
    let mut source = spool_source(root.path());

    let kinds = spool_and_poll(&mut source, root.path(), "probe").await;
    assert!(!kinds.contains(&FACTOR.to_owned()), "{kinds:?}");
    assert!(!root.path().join("data").join(DATABASE_FILE).exists(), "the poll must not create the analysis database");
}

#[tokio::test]
async fn spool_reloads_learned_words() {
    let root = tempfile::tempdir().unwrap();
    let mut source = spool_source(root.path());

    let before = spool_and_poll(&mut source, root.path(), "before").await;
    assert!(!before.contains(&FACTOR.to_owned()), "{before:?}");

    save_model(&root.path().join("data"));
    let after = spool_and_poll(&mut source, root.path(), "after").await;
    assert!(after.contains(&FACTOR.to_owned()), "{after:?}");
}

#[tokio::test]
async fn spool_unreadable_database() {
    let root = tempfile::tempdir().unwrap();
    let mut source = spool_source(root.path());
    std::fs::create_dir_all(root.path().join("data")).unwrap();
    std::fs::write(root.path().join("data").join(DATABASE_FILE), "not a database").unwrap();

    let kinds = spool_and_poll(&mut source, root.path(), "probe").await;
    assert!(!kinds.contains(&FACTOR.to_owned()), "{kinds:?}");
}

const DIRECTORY: &str = "6a1c4e2b-0d3f-4a5e-8b7c-9d0e1f2a3b4c";
const CLIENT: &str = "b3e2f4a1-7c6d-4e5f-9a8b-0c1d2e3f4a5b";
const MAILBOX: &str = "bob@contoso.com";

/// Writes a configuration whose one tenant collects [`MAILBOX`] from `emulator` and nothing else.
fn collector_config(root: &Path, emulator: &harrier_m365_emulator::Emulator, secret: &str) -> Config {
    let secret_file = root.join("client.secret");
    std::fs::write(&secret_file, secret).unwrap();
    let text = format!(
        "data_dir = \"data\"\n\
         [[tenant]]\nid = \"{TENANT}\"\n\
         [tenant.m365]\ntenant_id = \"{DIRECTORY}\"\nclient_id = \"{CLIENT}\"\nclient_secret_file = {secret_file:?}\n\
         authority = \"{}\"\ngraph = \"{}\"\nmanagement = \"{}\"\n\
         [tenant.collect]\nmailboxes = [\"{MAILBOX}\"]\n",
        emulator.authority(),
        emulator.graph_root(),
        emulator.management()
    );
    let path = root.join("harrier.toml");
    std::fs::write(&path, &text).unwrap();
    Config::load(&path).unwrap()
}

#[test]
fn collector_reloads_learned_words() {
    let root = tempfile::tempdir().unwrap();
    // Made at run time, so no credential is committed.
    let secret = format!("test-secret-{}", std::process::id());
    let emulator = harrier_m365_emulator::Emulator::start(DIRECTORY, CLIENT, &secret);
    let config = collector_config(root.path(), &emulator, &secret);
    let app = harrier_serve::service::App::new(&config).unwrap();
    let mut sources = harrier_serve::service::configured_sources(&config, &app).unwrap();
    assert_eq!(sources.len(), 1);
    let (_, source) = &mut sources[0];
    assert_eq!(source.name(), "m365");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();

    emulator.with(|state| state.activity.add_message(MAILBOX, message("before", REPORTED_TEXT).into_bytes()));
    let first = runtime.block_on(source.poll()).unwrap();
    assert_eq!(first.stored_total(), 1, "{first:?}");
    let before = stored_factors(&root.path().join("data"), "before");
    assert!(!before.contains(&FACTOR.to_owned()), "{before:?}");
    assert!(!root.path().join("data").join(DATABASE_FILE).exists(), "the poll must not create the analysis database");

    save_model(&root.path().join("data"));
    emulator.with(|state| state.activity.add_message(MAILBOX, message("after", REPORTED_TEXT).into_bytes()));
    let second = runtime.block_on(source.poll()).unwrap();
    assert_eq!(second.stored_total(), 1, "{second:?}");
    let after = stored_factors(&root.path().join("data"), "after");
    assert!(after.contains(&FACTOR.to_owned()), "{after:?}");
}
