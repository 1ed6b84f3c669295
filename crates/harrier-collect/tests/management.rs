//! The Management Activity API collector against the emulator over loopback.

mod common;

use std::collections::BTreeSet;

use common::*;
use harrier_collect::{ErrorKind, TenantCollector};
use harrier_m365_emulator::{Emulator, FaultKind};

const EXCHANGE: &str = "Audit.Exchange";

#[test]
fn backfill_starts_subscriptions_and_follows_pages() {
    let secret = secret();
    let emulator = emulator(DIRECTORY, &secret);
    emulator.with(|state| {
        for (day, hours) in [(0, 2), (1, 30), (2, 60), (3, 100)] {
            let records = (0..3).map(|n| audit_record(&format!("d{day}-r{n}"), hours_ago(hours))).collect();
            state.activity.add_blob(EXCHANGE, hours_ago(hours), records);
        }
        // Three blobs in one window make the list two pages of two.
        state.activity.add_blob(EXCHANGE, hours_ago(3), vec![audit_record("w-1", hours_ago(3))]);
        state.activity.add_blob(EXCHANGE, hours_ago(4), vec![audit_record("w-2", hours_ago(4))]);
        state.activity.add_blob("Audit.SharePoint", hours_ago(5), vec![audit_record("sp-1", hours_ago(5))]);
    });
    let data = tempfile::tempdir().unwrap();
    let mut collector = collector(settings(&emulator, "contoso", DIRECTORY, &secret, data.path()));

    let report = runtime().block_on(collector.poll()).unwrap();

    assert!(report.errors().is_empty(), "{report:#?}");
    let subscribed = emulator.with(|state| state.activity.subscriptions.clone());
    assert_eq!(subscribed.len(), 5, "{subscribed:?}");
    assert_eq!(report.sources["management:Audit.Exchange"].stored, 14);
    assert_eq!(report.sources["management:Audit.SharePoint"].stored, 1);
    assert!(report.sources["management:Audit.Exchange"].lag.unwrap().as_secs() < 60);
    // Seven days in windows of at most 24 hours is at least seven list requests per content type, and the
    // emulator rejects a longer window with AF20055, which would show as an error above.
    let lists = emulator.with(|state| state.activity.content_queries.iter().filter(|query| query.content_type == EXCHANGE).count());
    assert!(lists >= 8, "{lists} list requests");
    let longest = emulator.with(|state| state.activity.content_queries.iter().map(|query| query.end.duration_since(query.start)).max().unwrap());
    assert!(longest <= jiff::SignedDuration::from_hours(24), "{longest:?}");
    let followed = emulator.with(|state| state.activity.content_queries.iter().filter(|query| query.next_page).count());
    assert!(followed >= 1, "no NextPageUri was followed");

    assert_stored_as_served(data.path(), &emulator);
}

#[test]
fn second_poll_fetches_no_blob_again() {
    let secret = secret();
    let emulator = emulator(DIRECTORY, &secret);
    emulator.with(|state| {
        state.activity.add_blob(EXCHANGE, minutes_ago(5), vec![audit_record("a-1", minutes_ago(6))]);
    });
    let data = tempfile::tempdir().unwrap();
    let mut collector = collector(settings(&emulator, "contoso", DIRECTORY, &secret, data.path()));
    let runtime = runtime();

    runtime.block_on(collector.poll()).unwrap();
    let downloads = requests(&emulator, "/activity/feed/audit/");
    let second = runtime.block_on(collector.poll()).unwrap();

    assert_eq!(downloads, 1);
    assert_eq!(requests(&emulator, "/activity/feed/audit/"), 1, "the blob in the overlap was downloaded again");
    assert_eq!(second.stored(), 0);
    assert_eq!(requests(&emulator, "subscriptions/start"), 5, "subscriptions are started once per collector");
}

#[test]
fn throttling_and_server_errors_are_retried() {
    let secret = secret();
    let emulator = emulator(DIRECTORY, &secret);
    let content_id = emulator.with(|state| {
        state.activity.inject("subscriptions/content", FaultKind::Throttle { retry_after: 1 }, 1);
        state.activity.add_blob(EXCHANGE, minutes_ago(30), vec![audit_record("t-1", minutes_ago(31)), audit_record("t-2", minutes_ago(32))])
    });
    emulator.with(|state| state.activity.inject(&format!("audit/{content_id}"), FaultKind::Status(500), 2));
    let data = tempfile::tempdir().unwrap();
    let mut collector = collector(settings(&emulator, "contoso", DIRECTORY, &secret, data.path()));

    let started = std::time::Instant::now();
    let report = runtime().block_on(collector.poll()).unwrap();

    assert!(report.errors().is_empty(), "{report:#?}");
    assert_eq!(report.sources["management:Audit.Exchange"].stored, 2);
    assert_eq!(report.retries.get(&ErrorKind::Throttled), Some(&1));
    assert_eq!(report.retries.get(&ErrorKind::ServerError), Some(&2));
    assert!(started.elapsed() >= std::time::Duration::from_secs(1), "Retry-After was not honoured");
}

#[test]
fn server_errors_beyond_attempts_are_counted() {
    let secret = secret();
    let emulator = emulator(DIRECTORY, &secret);
    emulator.with(|state| {
        state.activity.add_blob(EXCHANGE, minutes_ago(30), vec![audit_record("s-1", minutes_ago(31))]);
        state.activity.inject("subscriptions/content", FaultKind::Status(503), 100);
    });
    let data = tempfile::tempdir().unwrap();
    let mut collector = exchange_collector(&emulator, &secret, data.path());
    let runtime = runtime();

    let failed = runtime.block_on(collector.poll()).unwrap();
    emulator.with(|state| state.activity.faults.clear());
    let recovered = runtime.block_on(collector.poll()).unwrap();

    let exchange = &failed.sources["management:Audit.Exchange"];
    assert_eq!(exchange.errors.get(&ErrorKind::ServerError), Some(&1), "{exchange:#?}");
    assert!(exchange.last_error.as_deref().unwrap().contains("subscriptions/content"), "{exchange:#?}");
    assert_eq!(exchange.stored, 0);
    assert_eq!(recovered.sources["management:Audit.Exchange"].stored, 1);
}

#[test]
fn truncated_blob_is_counted_and_retried() {
    let secret = secret();
    let emulator = emulator(DIRECTORY, &secret);
    let broken = emulator.with(|state| {
        state.activity.add_blob(EXCHANGE, hours_ago(30), vec![audit_record("ok-1", hours_ago(30))]);
        let broken = state.activity.add_blob(EXCHANGE, hours_ago(20), vec![audit_record("cut-1", hours_ago(20)), audit_record("cut-2", hours_ago(20))]);
        state.activity.add_blob(EXCHANGE, hours_ago(2), vec![audit_record("ok-2", hours_ago(2))]);
        broken
    });
    emulator.with(|state| state.activity.inject(&format!("audit/{broken}"), FaultKind::Truncate, 1));
    let data = tempfile::tempdir().unwrap();
    let mut collector = collector(settings(&emulator, "contoso", DIRECTORY, &secret, data.path()));
    let runtime = runtime();

    let first = runtime.block_on(collector.poll()).unwrap();
    let exchange = &first.sources["management:Audit.Exchange"];
    assert_eq!(exchange.errors.get(&ErrorKind::Malformed), Some(&1), "{exchange:#?}");
    assert!(exchange.last_error.as_deref().unwrap().contains(&broken), "the error names the blob: {exchange:#?}");
    assert_eq!(exchange.stored, 2, "the blobs before and in the failed window are stored");

    let second = runtime.block_on(collector.poll()).unwrap();
    assert!(second.errors().is_empty(), "{second:#?}");
    assert_stored_as_served(data.path(), &emulator);
}

#[test]
fn expired_token_is_renewed_mid_run() {
    let secret = secret();
    let emulator = emulator(DIRECTORY, &secret);
    emulator.with(|state| state.activity.add_blob(EXCHANGE, minutes_ago(50), vec![audit_record("e-1", minutes_ago(50))]));
    let data = tempfile::tempdir().unwrap();
    let mut collector = exchange_collector(&emulator, &secret, data.path());
    let runtime = runtime();

    runtime.block_on(collector.poll()).unwrap();
    emulator.with(|state| {
        state.expire_tokens();
        state.activity.add_blob(EXCHANGE, minutes_ago(1), vec![audit_record("e-2", minutes_ago(1))]);
    });
    let report = runtime.block_on(collector.poll()).unwrap();

    assert!(report.errors().is_empty(), "{report:#?}");
    assert_eq!(report.stored(), 1);
    assert_eq!(report.retries.get(&ErrorKind::Auth), Some(&1));
    assert_eq!(requests(&emulator, "/oauth2/v2.0/token"), 2);
}

#[test]
fn restart_stores_every_record_once() {
    let secret = secret();
    let emulator = emulator(DIRECTORY, &secret);
    let data = tempfile::tempdir().unwrap();
    let settings = settings(&emulator, "contoso", DIRECTORY, &secret, data.path());
    let runtime = runtime();
    emulator.with(|state| {
        for n in 0..6 {
            let records = (0..4).map(|r| audit_record(&format!("first-{n}-{r}"), hours_ago(n * 20 + 1))).collect();
            // A poll lists blobs created before its last whole second, so none is created within this second.
            state.activity.add_blob(EXCHANGE, hours_ago(n * 20) - jiff::SignedDuration::from_mins(1), records);
        }
    });

    let mut first = collector(settings.clone());
    runtime.block_on(first.poll()).unwrap();
    // A blob made available late, inside the overlap, and one repeating records of an earlier blob.
    emulator.with(|state| {
        state.activity.add_blob(EXCHANGE, minutes_ago(10), vec![audit_record("late-1", minutes_ago(40))]);
        state.activity.add_blob(EXCHANGE, minutes_ago(2), vec![audit_record("first-0-1", hours_ago(1)), audit_record("new-1", minutes_ago(2))]);
    });
    runtime.block_on(first.poll()).unwrap();
    drop(first);

    emulator.with(|state| {
        state.activity.add_blob(EXCHANGE, minutes_ago(1), vec![audit_record("after-restart", minutes_ago(1))]);
    });
    let mut second = collector(settings);
    let report = runtime.block_on(second.poll()).unwrap();
    runtime.block_on(second.poll()).unwrap();

    assert!(report.errors().is_empty(), "{report:#?}");
    let stored = stored_ids(data.path(), "contoso");
    let unique: BTreeSet<String> = stored.iter().cloned().collect();
    assert_eq!(stored.len(), unique.len(), "a record was stored twice");
    assert_eq!(unique, served_blob_ids(&emulator));
    assert_eq!(unique.len(), 6 * 4 + 3);
}

#[test]
fn two_tenants_are_kept_apart() {
    const OTHER_DIRECTORY: &str = "0f9e8d7c-6b5a-4c3d-2e1f-0a9b8c7d6e5f";
    let secret = secret();
    let contoso = emulator(DIRECTORY, &secret);
    let fabrikam = emulator(OTHER_DIRECTORY, &secret);
    contoso.with(|state| state.activity.add_blob(EXCHANGE, hours_ago(1), vec![audit_record("shared-id", hours_ago(1)), audit_record("c-1", hours_ago(1))]));
    fabrikam.with(|state| state.activity.add_blob(EXCHANGE, hours_ago(1), vec![audit_record("shared-id", hours_ago(1))]));
    let data = tempfile::tempdir().unwrap();
    let mut first = collector(settings(&contoso, "contoso", DIRECTORY, &secret, data.path()));
    let mut second = collector(settings(&fabrikam, "fabrikam", OTHER_DIRECTORY, &secret, data.path()));

    let (a, b) = runtime().block_on(async { tokio::join!(first.poll(), second.poll()) });

    assert!(a.unwrap().errors().is_empty());
    assert!(b.unwrap().errors().is_empty());
    assert_eq!(stored_ids(data.path(), "contoso").len(), 2);
    assert_eq!(stored_ids(data.path(), "fabrikam"), vec!["ma:shared-id".to_owned()]);
}

#[test]
fn stopped_subscription_is_started_again() {
    let secret = secret();
    let emulator = emulator(DIRECTORY, &secret);
    let data = tempfile::tempdir().unwrap();
    let mut collector = exchange_collector(&emulator, &secret, data.path());
    let runtime = runtime();

    runtime.block_on(collector.poll()).unwrap();
    emulator.with(|state| {
        state.activity.subscriptions.clear();
        state.activity.add_blob(EXCHANGE, minutes_ago(1), vec![audit_record("r-1", minutes_ago(1))]);
    });
    let stopped = runtime.block_on(collector.poll()).unwrap();
    let restarted = runtime.block_on(collector.poll()).unwrap();

    let exchange = &stopped.sources["management:Audit.Exchange"];
    assert_eq!(exchange.errors.get(&ErrorKind::Rejected), Some(&1), "{exchange:#?}");
    assert!(exchange.last_error.as_deref().unwrap().contains("AF20022"), "{exchange:#?}");
    assert_eq!(requests(&emulator, "subscriptions/start"), 2);
    assert_eq!(restarted.stored(), 1, "{restarted:#?}");
}

#[test]
fn lost_checkpoint_repeats_nothing() {
    let secret = secret();
    let emulator = emulator(DIRECTORY, &secret);
    emulator.with(|state| {
        for n in 0..3 {
            let records = (0..2).map(|r| audit_record(&format!("c-{n}-{r}"), hours_ago(n * 30 + 1))).collect();
            state.activity.add_blob(EXCHANGE, hours_ago(n * 30 + 1), records);
        }
    });
    let data = tempfile::tempdir().unwrap();
    let settings = settings(&emulator, "contoso", DIRECTORY, &secret, data.path());
    let runtime = runtime();
    let first = runtime.block_on(collector(settings.clone()).poll()).unwrap();
    assert_eq!(first.sources["management:Audit.Exchange"].stored, 6, "{first:#?}");

    // A crash after the store committed and before the checkpoints did leaves the checkpoint database as
    // it was before the poll.
    let checkpoints = rusqlite::Connection::open(data.path().join(harrier_collect::CHECKPOINT_FILE)).unwrap();
    checkpoints.execute_batch("DELETE FROM checkpoints; DELETE FROM content_done;").unwrap();
    drop(checkpoints);
    let report = runtime.block_on(collector(settings).poll()).unwrap();

    let exchange = &report.sources["management:Audit.Exchange"];
    assert_eq!(exchange.stored, 0, "{exchange:#?}");
    assert_eq!(exchange.duplicates, 6, "{exchange:#?}");
    assert_eq!(stored_ids(data.path(), "contoso").len(), 6);
}

#[test]
fn poll_future_can_be_spawned() {
    let secret = secret();
    let emulator = emulator(DIRECTORY, &secret);
    let data = tempfile::tempdir().unwrap();
    let mut collector = collector(settings(&emulator, "contoso", DIRECTORY, &secret, data.path()));
    let runtime = runtime();

    // A service runs each tenant's polls on a spawned task, which compiles only for a `Send` future.
    let task = runtime.spawn(async move { collector.poll().await.map(|report| report.stored()) });
    assert_eq!(runtime.block_on(task).unwrap().unwrap(), 0);
}

/// Returns a collector of tenant contoso that reads the Exchange content type only.
fn exchange_collector(emulator: &Emulator, secret: &str, data: &std::path::Path) -> TenantCollector {
    let mut settings = settings(emulator, "contoso", DIRECTORY, secret, data);
    settings.content_types = vec![EXCHANGE.to_owned()];
    collector(settings)
}
