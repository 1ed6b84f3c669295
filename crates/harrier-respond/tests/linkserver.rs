//! The link-lock endpoint over HTTP on loopback: the warning page and its headers, the continue redirect,
//! replay protection across a restart, click events in the event store, and crafted requests that must
//! never produce a redirect.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;

use harrier_model::{Activity, Event, TenantId};
use harrier_respond::linklock::{LinkClaims, LinkKeys, LockPolicy};
use harrier_respond::linkserver::{LinkServer, serve};
use harrier_store::Store;

mod common;
use common::continue_form;

const DESTINATION: &str = "https://docusign-review.example.net/sign?id=42";

fn keys() -> LinkKeys {
    LinkKeys::new(&[("k2", b"current secret for tests, 32 bytes+")])
}

fn token(policy: LockPolicy) -> String {
    keys().sign(&LinkClaims {
        url: DESTINATION.into(),
        tenant: "contoso".into(),
        message_id: "<abc@example.net>".into(),
        recipient: "Alice@contoso.com".into(),
        reasons: vec!["first-time sender".into()],
        policy,
        expires: jiff::Timestamp::now().as_second() + 86_400,
    })
}

/// A link-lock server on a loopback port, stopped when dropped.
struct TestServer {
    address: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl TestServer {
    fn start(server: LinkServer) -> TestServer {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let address = listener.local_addr().unwrap();
        runtime.spawn(serve(listener, Arc::new(server), std::future::pending()));
        TestServer { address, runtime: Some(runtime) }
    }

    fn open(data_dir: &Path) -> TestServer {
        TestServer::start(LinkServer::open(keys(), data_dir).unwrap())
    }

    fn open_behind(data_dir: &Path, proxies: &[&str]) -> TestServer {
        let proxies = proxies.iter().map(|proxy| proxy.parse().unwrap()).collect();
        TestServer::start(LinkServer::open(keys(), data_dir).unwrap().with_trusted_proxies(proxies))
    }

    /// Sends raw bytes as one HTTP/1.1 request and returns the status, headers (lower-case names) and body.
    fn send(&self, raw: &str) -> Response {
        let mut stream = TcpStream::connect(self.address).unwrap();
        stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
        stream.write_all(raw.as_bytes()).unwrap();
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut lines = head.lines();
        let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        Response { status, headers, body: body.to_owned() }
    }

    fn get(&self, path: &str) -> Response {
        self.send(&format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: test-agent\r\nConnection: close\r\n\r\n"))
    }

    fn post(&self, path: &str, form: &str) -> Response {
        self.send(&format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: test-agent\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
            form.len()
        ))
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(std::time::Duration::from_secs(5));
        }
    }
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

#[test]
fn warning_page_headers_and_continue() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::open(dir.path());
    let token = token(LockPolicy::AllowContinue);

    let page = server.get(&format!("/l/{token}"));
    assert_eq!(page.status, 200);
    assert_eq!(page.header("location"), None);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    let policy = page.header("content-security-policy").unwrap();
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(page.body.contains("hxxps://docusign-review[.]example[.]net"), "{}", page.body);

    let (action, form) = continue_form(&page.body);
    assert_eq!(action, format!("/l/{token}/continue"));
    let redirect = server.post(&action, &form);
    assert_eq!(redirect.status, 303);
    assert_eq!(redirect.header("location"), Some(DESTINATION));

    let replay = server.post(&action, &form);
    assert_eq!(replay.status, 400);
    assert_eq!(replay.header("location"), None);
}

#[test]
fn replay_rejected_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let token = token(LockPolicy::AllowContinue);
    let (used, unused) = {
        let server = TestServer::open(dir.path());
        let used = continue_form(&server.get(&format!("/l/{token}")).body);
        let unused = continue_form(&server.get(&format!("/l/{token}")).body);
        assert_eq!(server.post(&used.0, &used.1).status, 303);
        (used, unused)
    };

    let restarted = TestServer::open(dir.path());
    let replay = restarted.post(&used.0, &used.1);
    assert_eq!(replay.status, 400, "the used nonce is remembered across the restart");
    assert_eq!(replay.header("location"), None);
    let fresh = restarted.post(&unused.0, &unused.1);
    assert_eq!(fresh.status, 303, "a continue form not used before the restart still works once");
    assert_eq!(fresh.header("location"), Some(DESTINATION));
}

#[test]
fn clicks_stored_as_tenant_events() {
    let dir = tempfile::tempdir().unwrap();
    let token = token(LockPolicy::AllowContinue);
    {
        let server = TestServer::open(dir.path());
        let (action, form) = continue_form(&server.get(&format!("/l/{token}")).body);
        assert_eq!(server.post(&action, &form).status, 303);
        assert_eq!(server.get("/l/not-a-token").status, 400);
    }

    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.tenants().unwrap(), vec![TenantId::new("contoso")]);
    drop(store);
    let events = stored_events(dir.path());
    assert_eq!(events.len(), 2, "one view and one continue; the invalid token is not an event");
    let mut continued = Vec::new();
    for event in &events {
        assert_eq!(event.format.as_str(), "link_lock");
        assert_eq!(event.actor.user.as_deref(), Some("alice@contoso.com"));
        assert_eq!(event.client.ip, Some("127.0.0.1".parse().unwrap()));
        assert_eq!(event.client.user_agent.as_deref(), Some("test-agent"));
        let Activity::LinkClick(click) = &event.activity else { panic!("{:?}", event.activity) };
        assert_eq!(click.token_id, harrier_respond::linklock::token_id(&token));
        assert_eq!(click.message_id, "<abc@example.net>");
        assert_eq!(click.recipient, "Alice@contoso.com");
        assert_eq!(click.url, DESTINATION);
        continued.push(click.continued);
    }
    continued.sort();
    assert_eq!(continued, vec![false, true]);
}

fn stored_events(data_dir: &Path) -> Vec<Event> {
    let store = Store::open(data_dir).unwrap();
    let mut events = Vec::new();
    store
        .for_each_event(&TenantId::new("contoso"), |event| {
            events.push(event);
            true
        })
        .unwrap();
    events
}

/// Opens the token's page once with each `X-Forwarded-For` value and returns the client addresses stored.
fn click_addresses(server: &TestServer, data_dir: &Path, forwarded_for: &[&str]) -> Vec<String> {
    let token = token(LockPolicy::AllowContinue);
    for value in forwarded_for {
        let response = server.send(&format!(
            "GET /l/{token} HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: {value}\r\nConnection: close\r\n\r\n"
        ));
        assert_eq!(response.status, 200, "{value}");
    }
    let mut addresses: Vec<String> =
        stored_events(data_dir).iter().map(|event| event.client.ip.map(|ip| ip.to_string()).unwrap_or_default()).collect();
    addresses.sort();
    addresses
}

#[test]
fn forged_forwarded_for_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::open(dir.path());
    let addresses = click_addresses(&server, dir.path(), &["203.0.113.9"]);
    drop(server);
    assert_eq!(addresses, vec!["127.0.0.1"], "without trusted proxies the peer is recorded");

    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::open_behind(dir.path(), &["10.0.0.0/8"]);
    let addresses = click_addresses(&server, dir.path(), &["203.0.113.9"]);
    drop(server);
    assert_eq!(addresses, vec!["127.0.0.1"], "a peer that is not a trusted proxy is recorded");
}

#[test]
fn trusted_proxy_gives_client() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::open_behind(dir.path(), &["127.0.0.1", "10.0.0.0/8"]);
    let values = ["203.0.113.9", "198.51.100.1, 203.0.113.10, 10.1.1.1", "garbage", "203.0.113.11, garbage"];
    let addresses = click_addresses(&server, dir.path(), &values);
    drop(server);
    assert_eq!(
        addresses,
        vec!["127.0.0.1", "127.0.0.1", "203.0.113.10", "203.0.113.9"],
        "the client behind one proxy, the client behind a chain, and the peer for two malformed values"
    );
}

#[test]
fn double_lock_never_redirects() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::open(dir.path());
    let token = token(LockPolicy::DoubleLock);
    let page = server.get(&format!("/l/{token}"));
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("<form"), "{}", page.body);
    let response = server.post(&format!("/l/{token}/continue"), "n=a&e=99999999999&s=b");
    assert_eq!(response.status, 403);
    assert_eq!(response.header("location"), None);
}

#[test]
fn crafted_requests_never_redirect() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::open(dir.path());
    let token = token(LockPolicy::AllowContinue);
    let other = keys().sign(&LinkClaims {
        url: "https://other.example/".into(),
        tenant: "contoso".into(),
        message_id: "<other@example.net>".into(),
        recipient: "bob@contoso.com".into(),
        reasons: Vec::new(),
        policy: LockPolicy::AllowContinue,
        expires: jiff::Timestamp::now().as_second() + 86_400,
    });
    // A genuine continue form for another token: its nonce is bound to that token.
    let (_, other_form) = continue_form(&server.get(&format!("/l/{other}")).body);
    let (action, form) = continue_form(&server.get(&format!("/l/{token}")).body);
    let (payload, rest) = token.split_once('.').unwrap();

    let mut requests = vec![
        "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".to_owned(),
        "GET //attacker.example/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".to_owned(),
        "GET http://attacker.example/ HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n".to_owned(),
        format!("GET http://attacker.example/l/{token} HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n"),
        format!("GET /l/{token} HTTP/1.1\r\nHost: attacker.example\r\nX-Forwarded-Host: attacker.example\r\nConnection: close\r\n\r\n"),
        format!("GET {action} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
        format!("GET {action}?{form} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
        format!("HEAD {action}?{form} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
        format!("PUT {action} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}", form.len()),
    ];
    let posts = [
        (format!("/l/{token}/continue"), other_form.clone()),
        (format!("/l/{other}/continue"), form.replace("n=", "n=x")),
        (format!("/l/{token}/continue?url=https://attacker.example/"), String::new()),
        (format!("/l/{token}%2Fcontinue"), form.clone()),
        (format!("/l/{token}/continue/"), form.clone()),
        (format!("/l/{token}/continue%00"), form.clone()),
        (format!("/l/{payload}%2E{rest}/continue"), "n=a&e=1&s=b".to_owned()),
        (format!("/l/https:%2F%2Fattacker.example%2F/continue"), form.clone()),
        (format!("/l/{token}/continue%0d%0aLocation:%20https://attacker.example/"), form.clone()),
        (format!("/l/{token}/continue"), format!("{form}&n=other")),
        (format!("/l/{token}/continue"), form.replace("s=", "s=A")),
        ("/l/%0d%0aLocation:%20https://attacker.example/continue".to_owned(), form.clone()),
        ("/l/../l/continue".to_owned(), form.clone()),
    ];
    for (path, body) in &posts {
        requests.push(format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ));
    }
    // A header injection attempt in a header the server might copy.
    requests.push(format!(
        "GET /l/{token} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: x\r\n Location: https://attacker.example/\r\nConnection: close\r\n\r\n"
    ));

    for raw in &requests {
        let response = server.send(raw);
        let first_line = raw.lines().next().unwrap_or_default();
        assert_eq!(response.header("location"), None, "{first_line} redirected");
        assert_ne!(response.status, 303, "{first_line}");
        assert!(!(300..400).contains(&response.status), "{first_line} answered {}", response.status);
    }

    // The genuine form still works once: none of the attempts above used its nonce.
    let genuine = server.post(&action, &form);
    assert_eq!(genuine.header("location"), Some(DESTINATION));
}
