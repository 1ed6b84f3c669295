//! The SOAR feed against a loopback receiver: signed batches of action-log entries, a retry after 429,
//! a checkpoint that sends each entry once, and a redirect that is not followed.

use harrier_respond::{ActionKind, ActionLog, Decision, Mode, PlannedAction, Target, deliver_new};
use serde_json::Value;

const SECRET: &[u8] = b"soar shared secret";

fn planned(id: &str, decision: Decision) -> PlannedAction {
    PlannedAction {
        id: id.into(),
        incident: "inc-1".into(),
        kind: ActionKind::DisableUser,
        target: Target { tenant: "contoso".into(), user: Some("alice@contoso.com".into()), app_id: None, object: None },
        mode: Mode::Confirm,
        decision,
        reasons: vec!["takeover".into()],
        guard_notes: Vec::new(),
        breaches: vec!["b-1".into()],
    }
}

fn receiver(answers: &[&str]) -> (String, std::thread::JoinHandle<Vec<harrier_webhook::testing::Request>>) {
    harrier_webhook::testing::receiver(answers.iter().map(|a| (*a).to_owned()).collect())
}

fn header(head: &str, name: &str) -> String {
    harrier_webhook::testing::header(head, name).unwrap_or_else(|| panic!("no {name} header in {head}"))
}

/// Computes the expected signature with ring directly, independent of the sender's code.
fn expected_signature(timestamp: &str, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET);
    let mut signed = timestamp.as_bytes().to_vec();
    signed.push(b'.');
    signed.extend_from_slice(body);
    let digest: String = ring::hmac::sign(&key, &signed).as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={digest}")
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future)
}

#[test]
fn feed_signed_retried_and_checkpointed() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = ActionLog::open(dir.path()).unwrap();
    let now = jiff::Timestamp::now();
    log.record_plan(&[planned("act-1", Decision::AwaitApproval), planned("act-2", Decision::Observe)], now).unwrap();
    log.approve("act-1", "analyst", now).unwrap();

    let (url, received) = receiver(&["HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0", "HTTP/1.1 200 OK", "HTTP/1.1 204 No Content"]);
    let webhook = harrier_webhook::Webhook::new(&url, Some(SECRET)).unwrap();
    assert_eq!(block_on(deliver_new(&mut log, &webhook)).unwrap(), 3);
    assert_eq!(block_on(deliver_new(&mut log, &webhook)).unwrap(), 0, "delivered entries are not sent again");
    log.reject("act-1", "analyst", now).unwrap();
    assert_eq!(block_on(deliver_new(&mut log, &webhook)).unwrap(), 1);
    let requests = received.join().unwrap();

    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].1, requests[1].1, "the retry after 429 repeats the same body");
    for (head, body) in &requests {
        assert!(head.starts_with("POST /hook "), "{head}");
        let timestamp = header(head, "x-harrier-timestamp");
        assert_eq!(header(head, "x-harrier-signature"), expected_signature(&timestamp, body));
        assert!(harrier_webhook::verify(SECRET, &timestamp, body, &header(head, "x-harrier-signature")));
        assert!(!harrier_webhook::verify(b"another secret", &timestamp, body, &header(head, "x-harrier-signature")));
    }

    let first: Value = serde_json::from_slice(&requests[1].1).unwrap();
    assert_eq!(first["kind"], "harrier.actions");
    let entries = first["entries"].as_array().unwrap();
    let statuses: Vec<&str> = entries.iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["pending", "observed", "approved"]);
    assert_eq!(entries[2]["action_id"], "act-1");
    assert_eq!(entries[2]["action"]["kind"], "disable_user", "a decision entry carries its action");
    assert_eq!(entries[2]["hash"].as_str().unwrap().len(), 64);
    let last: Value = serde_json::from_slice(&requests[2].1).unwrap();
    assert_eq!(last["entries"][0]["status"], "rejected");
    assert_eq!(last["entries"][0]["seq"], 4);
}

#[test]
fn feed_redirect_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = ActionLog::open(dir.path()).unwrap();
    log.record_plan(&[planned("act-1", Decision::AwaitApproval)], jiff::Timestamp::now()).unwrap();
    let (url, received) = receiver(&["HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/elsewhere"]);
    let webhook = harrier_webhook::Webhook::new(&url, Some(SECRET)).unwrap();
    let error = block_on(deliver_new(&mut log, &webhook)).unwrap_err().to_string();
    assert!(error.contains("302"), "{error}");
    assert!(error.contains("sent again"), "{error}");
    assert_eq!(received.join().unwrap().len(), 1, "the redirect is not followed");
    assert_eq!(log.webhook_through(&url).unwrap(), 0, "the checkpoint stays, so the entries are sent again");
}

#[test]
fn feed_rejects_empty_secret() {
    assert!(harrier_webhook::Webhook::new("http://127.0.0.1:9/", Some(b"")).is_err());
}
