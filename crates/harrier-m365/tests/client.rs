//! The client against the emulator over loopback.

use std::time::Duration;

use harrier_m365::{Credentials, ErrorKind, GRAPH_SCOPE, M365Client, MANAGEMENT_SCOPE, Method, RetryPolicy};
use harrier_m365_emulator::{Emulator, FaultKind};

const DIRECTORY: &str = "6a1c4e2b-0d3f-4a5e-8b7c-9d0e1f2a3b4c";
const CLIENT: &str = "b3e2f4a1-7c6d-4e5f-9a8b-0c1d2e3f4a5b";

fn setup() -> (Emulator, M365Client, String) {
    let secret = format!("test-secret-{}", std::process::id());
    let emulator = Emulator::start(DIRECTORY, CLIENT, &secret);
    let credentials = Credentials { tenant: DIRECTORY.to_owned(), client_id: CLIENT.to_owned(), client_secret: secret.clone() };
    let retry = RetryPolicy { attempts: 3, initial_backoff: Duration::from_millis(10), max_wait: Duration::from_secs(2), timeout: Duration::from_secs(10) };
    let client = M365Client::new(credentials, &emulator.authority(), retry).unwrap();
    (emulator, client, secret)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn token_requests(emulator: &Emulator) -> usize {
    emulator.with(|state| state.requests.iter().filter(|request| request.ends_with("/oauth2/v2.0/token")).count())
}

#[test]
fn one_cached_token_per_scope() {
    let (emulator, client, _) = setup();
    let sign_ins = format!("{}/v1.0/auditLogs/signIns", emulator.graph_root());
    let content = format!("{}/api/v1.0/{DIRECTORY}/activity/feed/subscriptions/start?contentType=Audit.Exchange", emulator.management());

    runtime().block_on(async {
        client.get(GRAPH_SCOPE, &sign_ins).await.unwrap();
        client.get(GRAPH_SCOPE, &sign_ins).await.unwrap();
        client.send(Method::POST, MANAGEMENT_SCOPE, &content, None).await.unwrap();
        client.get(GRAPH_SCOPE, &sign_ins).await.unwrap();
    });

    assert_eq!(token_requests(&emulator), 2);
    assert_eq!(emulator.with(|state| (state.tokens.len(), state.management_tokens.len())), (1, 1));
}

#[test]
fn token_for_wrong_audience_is_rejected() {
    let (emulator, client, _) = setup();
    let sign_ins = format!("{}/v1.0/auditLogs/signIns", emulator.graph_root());

    let error = runtime().block_on(client.get(MANAGEMENT_SCOPE, &sign_ins)).unwrap_err();

    assert_eq!(error.kind(), ErrorKind::Auth);
    assert_eq!(error.code(), Some("InvalidAuthenticationToken"));
    assert_eq!(token_requests(&emulator), 2, "a 401 renews the token once, then gives up");
}

#[test]
fn post_is_not_repeated_after_server_error() {
    let (emulator, client, _) = setup();
    let start = format!("{}/api/v1.0/{DIRECTORY}/activity/feed/subscriptions/start?contentType=Audit.Exchange", emulator.management());
    emulator.with(|state| state.activity.inject("subscriptions/start", FaultKind::Status(500), 5));

    let error = runtime().block_on(client.send(Method::POST, MANAGEMENT_SCOPE, &start, None)).unwrap_err();

    assert_eq!(error.kind(), ErrorKind::ServerError);
    assert_eq!(emulator.with(|state| state.requests.iter().filter(|r| r.contains("subscriptions/start")).count()), 1);
}

#[test]
fn throttled_get_gives_up_after_attempts() {
    let (emulator, client, _) = setup();
    let audits = format!("{}/v1.0/auditLogs/directoryAudits", emulator.graph_root());
    emulator.with(|state| state.activity.inject("directoryAudits", FaultKind::Throttle { retry_after: 0 }, 10));

    let error = runtime().block_on(client.get(GRAPH_SCOPE, &audits)).unwrap_err();

    assert_eq!(error.kind(), ErrorKind::Throttled);
    assert_eq!(emulator.with(|state| state.requests.iter().filter(|r| r.contains("directoryAudits")).count()), 3);
    let throttled = client.retries().snapshot().into_iter().find(|(kind, _)| *kind == ErrorKind::Throttled).unwrap().1;
    assert_eq!(throttled, 2);
}

#[test]
fn wrong_secret_names_the_aadsts_error() {
    let emulator = Emulator::start(DIRECTORY, CLIENT, "the-right-secret");
    let credentials = Credentials { tenant: DIRECTORY.to_owned(), client_id: CLIENT.to_owned(), client_secret: "a-wrong-secret".to_owned() };
    let client = M365Client::new(credentials, &emulator.authority(), RetryPolicy::default()).unwrap();

    let error = runtime().block_on(client.get(GRAPH_SCOPE, &format!("{}/v1.0/auditLogs/signIns", emulator.graph_root()))).unwrap_err();

    assert_eq!(error.kind(), ErrorKind::Auth);
    let message = error.to_string();
    assert!(message.contains("AADSTS7000215"), "{message}");
    assert!(!message.contains("a-wrong-secret"), "{message}");
}

#[test]
fn debug_leaves_the_secret_out() {
    let (_emulator, client, secret) = setup();
    let debug = format!("{client:?}");
    assert!(!debug.contains(&secret), "{debug}");
    assert!(debug.contains("<redacted>"), "{debug}");
}

/// Starts a loopback HTTP server that responds to each request with the next of `statuses`, then stops.
/// Returns its base URL and a receiver of each request line.
fn scripted_server(statuses: &[u16]) -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead, BufReader, Read, Write};

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (sender, receiver) = std::sync::mpsc::channel();
    let statuses = statuses.to_vec();
    std::thread::spawn(move || {
        for status in statuses {
            let Ok((stream, _)) = listener.accept() else { return };
            let mut reader = BufReader::new(stream);
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            sender.send(request_line.trim().to_owned()).unwrap();
            let response = format!("HTTP/1.1 {status} Status\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}");
            reader.get_mut().write_all(response.as_bytes()).unwrap();
        }
    });
    (url, receiver)
}

#[test]
fn patch_and_delete_repeated_after_504_only() {
    let (_emulator, client, _) = setup();
    let cases: [(Method, &[u16], Option<u16>, usize); 5] = [
        (Method::PATCH, &[504, 200], None, 2),
        (Method::DELETE, &[504, 204], None, 2),
        (Method::PATCH, &[500, 200], Some(500), 1),
        (Method::DELETE, &[502, 204], Some(502), 1),
        (Method::POST, &[504, 200], Some(504), 1),
    ];
    for (method, statuses, expected_error, expected_requests) in cases {
        let (url, requests) = scripted_server(statuses);
        let body = serde_json::json!({ "accountEnabled": false });
        let result = runtime().block_on(client.send(method.clone(), GRAPH_SCOPE, &format!("{url}/v1.0/users/a"), Some(&body)));

        assert_eq!(result.as_ref().err().and_then(|error| error.status()), expected_error, "{method} after {statuses:?}");
        let seen: Vec<String> = requests.try_iter().collect();
        assert_eq!(seen.len(), expected_requests, "{method} after {statuses:?}: {seen:?}");
    }
}
