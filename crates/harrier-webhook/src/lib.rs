//! Signed JSON webhook delivery, shared by the OCSF exporter and the response planner's SOAR feed.
//!
//! With a secret, each request carries `X-Harrier-Timestamp` (Unix seconds) and `X-Harrier-Signature`:
//! `sha256=` and the hex HMAC-SHA256 of the timestamp, a full stop and the body, so a receiver can check
//! both origin and freshness ([`signature`] computes it; [`verify`] checks it). Requests that fail with
//! 429, a 5xx status or a connection error are repeated with the same body, after the `Retry-After` delay
//! or a wait that doubles from one second. Redirects are not followed: a redirected POST becomes a
//! bodiless GET, which could pass for a delivery.

use std::time::Duration;

use ring::hmac;

/// The header carrying the Unix time the request was signed at.
pub const TIMESTAMP_HEADER: &str = "X-Harrier-Timestamp";
/// The header carrying `sha256=` and the hex HMAC-SHA256 of `timestamp.body`.
pub const SIGNATURE_HEADER: &str = "X-Harrier-Signature";

/// Attempts per request before delivery fails.
const ATTEMPTS: u32 = 5;
/// The maximum wait honoured from a `Retry-After` header.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("invalid webhook configuration: {0}")]
    Config(String),
    /// The delivery failed; the message names the status or the transport error.
    #[error("{0}")]
    Deliver(String),
}

/// Returns the signature header value for a body signed at `timestamp` (Unix seconds).
pub fn signature(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    sign_with(&hmac::Key::new(hmac::HMAC_SHA256, secret), timestamp, body)
}

fn sign_with(key: &hmac::Key, timestamp: &str, body: &[u8]) -> String {
    let mut context = hmac::Context::with_key(key);
    context.update(timestamp.as_bytes());
    context.update(b".");
    context.update(body);
    format!("sha256={}", hex(context.sign().as_ref()))
}

/// Checks a signature header value in constant time, for receivers and tests.
pub fn verify(secret: &[u8], timestamp: &str, body: &[u8], header: &str) -> bool {
    let Some(hex_digest) = header.strip_prefix("sha256=") else { return false };
    let Some(digest) = unhex(hex_digest) else { return false };
    let mut message = Vec::with_capacity(timestamp.len() + 1 + body.len());
    message.extend_from_slice(timestamp.as_bytes());
    message.push(b'.');
    message.extend_from_slice(body);
    hmac::verify(&hmac::Key::new(hmac::HMAC_SHA256, secret), &message, &digest).is_ok()
}

/// A webhook destination: a URL and an optional signing secret.
pub struct Webhook {
    url: String,
    key: Option<hmac::Key>,
    client: reqwest::Client,
}

impl Webhook {
    /// Builds a webhook. An empty secret is rejected: it would sign with a key anyone can guess.
    pub fn new(url: &str, secret: Option<&[u8]>) -> Result<Webhook, WebhookError> {
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("harrier/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| WebhookError::Config(format!("cannot build the webhook client: {e}")))?;
        if secret.is_some_and(<[u8]>::is_empty) {
            return Err(WebhookError::Config("the webhook secret is empty".to_owned()));
        }
        let key = secret.map(|s| hmac::Key::new(hmac::HMAC_SHA256, s));
        Ok(Webhook { url: url.to_owned(), key, client })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// POSTs a JSON body, signed when the webhook has a secret, repeating it on 429, 5xx and connection
    /// errors.
    pub async fn post(&self, body: Vec<u8>) -> Result<(), WebhookError> {
        let mut wait = Duration::from_secs(1);
        for attempt in 1..=ATTEMPTS {
            // Signed again on every attempt, so a retry after a long wait is still fresh.
            let timestamp = jiff::Timestamp::now().as_second().to_string();
            let mut request = self
                .client
                .post(&self.url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
            if let Some(key) = &self.key {
                request = request.header(TIMESTAMP_HEADER, &timestamp).header(SIGNATURE_HEADER, sign_with(key, &timestamp, &body));
            }
            let failure = match request.send().await {
                Ok(response) if response.status().is_success() => return Ok(()),
                Ok(response) => {
                    let status = response.status();
                    if status.is_redirection() {
                        return Err(WebhookError::Deliver(format!("the receiver responded with {status}; give the final URL")));
                    }
                    if status.as_u16() != 429 && !status.is_server_error() {
                        return Err(WebhookError::Deliver(format!("the receiver responded with {status}")));
                    }
                    if let Some(retry_after) = retry_after(&response) {
                        wait = retry_after;
                    }
                    format!("the receiver responded with {status}")
                }
                Err(error) => format!("request failed: {}", error.without_url()),
            };
            if attempt == ATTEMPTS {
                return Err(WebhookError::Deliver(format!("{failure} ({ATTEMPTS} attempts)")));
            }
            tracing::warn!(attempt, wait_seconds = wait.as_secs_f64(), %failure, "webhook delivery will be repeated");
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(MAX_RETRY_AFTER);
        }
        unreachable!("the loop returns on its last attempt")
    }
}

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// Makes ring the process's TLS crypto provider, once, for an https webhook.
fn install_crypto_provider() {
    // rustls marks its ring provider deprecated because ring lacks post-quantum key exchange. It is kept
    // because harrier builds one crypto back-end. Installing fails only when another provider was
    // installed first, which works as well.
    #[allow(deprecated)]
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A loopback webhook receiver for tests of senders.
pub mod testing {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;

    /// A request as the receiver saw it: the head (request line and headers) and the body.
    pub type Request = (String, Vec<u8>);

    /// Listens on a loopback port and responds to each request with the next of `status_lines` (a status line,
    /// optionally followed by header lines), then returns the URL `http://ADDRESS/hook` and a handle whose
    /// result is every request received.
    pub fn receiver(status_lines: Vec<String>) -> (String, std::thread::JoinHandle<Vec<Request>>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let url = format!("http://{}/hook", listener.local_addr().expect("bound"));
        let handle = std::thread::spawn(move || {
            let mut seen = Vec::new();
            for answer in status_lines {
                let (stream, _) = listener.accept().expect("a connection");
                let mut reader = BufReader::new(stream);
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).expect("a request line");
                    if line == "\r\n" || line.is_empty() {
                        break;
                    }
                    head.push_str(&line);
                }
                let length: usize = head
                    .lines()
                    .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").and_then(|v| v.trim().parse().ok()))
                    .unwrap_or(0);
                let mut body = vec![0; length];
                reader.read_exact(&mut body).expect("the body");
                write!(reader.get_mut(), "{answer}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").expect("the answer is sent");
                seen.push((head, body));
            }
            seen
        });
        (url, handle)
    }

    /// Returns a header's value from a request head, matching the name without regard to case.
    pub fn header(head: &str, name: &str) -> Option<String> {
        head.lines().find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim().to_owned()))
    }
}
