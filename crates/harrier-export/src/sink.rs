//! Destinations that take records one message at a time: a JSON webhook and syslog.

use std::io::Write;
use std::net::{TcpStream, UdpSocket};
use std::time::Duration;

use crate::error::ExportError;
use crate::ocsf::finding::DetectionFinding;

/// Records per webhook request.
const WEBHOOK_CHUNK: usize = 500;
/// Attempts per webhook request before the export stops with an error.
const WEBHOOK_ATTEMPTS: u32 = 5;
/// The maximum wait honoured from a `Retry-After` header.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// POSTs JSON arrays of records to a URL.
///
/// With a secret, each request carries `X-Harrier-Timestamp` (Unix seconds) and `X-Harrier-Signature`:
/// `sha256=` and the hex HMAC-SHA256 of the timestamp, a full stop and the body, so a receiver can check
/// both origin and freshness. Requests that fail with 429, a 5xx status or a connection error are
/// repeated with the same body, after the `Retry-After` delay or a wait that doubles from one second.
pub struct Webhook {
    url: String,
    key: Option<ring::hmac::Key>,
    client: reqwest::Client,
}

impl Webhook {
    pub fn new(url: &str, secret: Option<&str>) -> Result<Webhook, ExportError> {
        // Redirects are not followed: a redirected POST becomes a bodiless GET, which could pass for a
        // delivery.
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("harrier/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ExportError::Config(format!("cannot build the webhook client: {e}")))?;
        if secret.is_some_and(str::is_empty) {
            return Err(ExportError::Config("the webhook secret is empty".to_owned()));
        }
        let key = secret.map(|s| ring::hmac::Key::new(ring::hmac::HMAC_SHA256, s.as_bytes()));
        Ok(Webhook { url: url.to_owned(), key, client })
    }

    pub async fn deliver(&self, records: &[DetectionFinding]) -> Result<(), ExportError> {
        for chunk in records.chunks(WEBHOOK_CHUNK) {
            let body = serde_json::to_vec(chunk).expect("findings serialise to JSON");
            self.post(body).await?;
        }
        Ok(())
    }

    async fn post(&self, body: Vec<u8>) -> Result<(), ExportError> {
        let mut wait = Duration::from_secs(1);
        for attempt in 1..=WEBHOOK_ATTEMPTS {
            // Signed again on every attempt, so a retry after a long wait is still fresh.
            let timestamp = jiff::Timestamp::now().as_second().to_string();
            let signature = self.key.as_ref().map(|key| {
                let mut context = ring::hmac::Context::with_key(key);
                context.update(timestamp.as_bytes());
                context.update(b".");
                context.update(&body);
                format!("sha256={}", hex(context.sign().as_ref()))
            });
            let mut request = self
                .client
                .post(&self.url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
            if let Some(signature) = &signature {
                request = request.header("X-Harrier-Timestamp", &timestamp).header("X-Harrier-Signature", signature);
            }
            let failure = match request.send().await {
                Ok(response) if response.status().is_success() => return Ok(()),
                Ok(response) => {
                    let status = response.status();
                    let retry_after = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER));
                    if status.is_redirection() {
                        return Err(self.error(format!("the receiver answered {status}; give the final URL")));
                    }
                    if status.as_u16() != 429 && !status.is_server_error() {
                        return Err(self.error(format!("the receiver answered {status}")));
                    }
                    if let Some(retry_after) = retry_after {
                        wait = retry_after;
                    }
                    format!("the receiver answered {status}")
                }
                Err(error) => format!("request failed: {}", error.without_url()),
            };
            if attempt == WEBHOOK_ATTEMPTS {
                return Err(self.error(format!("{failure} ({WEBHOOK_ATTEMPTS} attempts)")));
            }
            tracing::warn!(attempt, wait_seconds = wait.as_secs_f64(), %failure, "webhook delivery will be repeated");
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(MAX_RETRY_AFTER);
        }
        unreachable!("the loop returns on its last attempt")
    }

    fn error(&self, message: String) -> ExportError {
        let target = crate::export::Destination::Webhook { url: self.url.clone() }.describe();
        ExportError::Deliver { target, message }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Sends one RFC 5424 message per record to a syslog receiver: over TCP with octet-counting framing
/// (RFC 6587), or over UDP one datagram per message.
///
/// The message is the record's JSON. The formatting is written here because it is a few lines and the
/// syslog crates on crates.io either format RFC 3164 only or bring their own logging framework.
pub struct Syslog {
    address: String,
    tcp: bool,
    hostname: String,
}

/// Facility local0.
const FACILITY: u8 = 16;

impl Syslog {
    pub fn new(address: &str, tcp: bool) -> Syslog {
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty() && h.is_ascii() && !h.contains(' '))
            .unwrap_or_else(|| "-".to_owned());
        Syslog { address: address.to_owned(), tcp, hostname }
    }

    pub fn deliver(&self, records: &[DetectionFinding]) -> Result<(), ExportError> {
        let error = |e: std::io::Error| ExportError::Deliver {
            target: format!("syslog+{}://{}", if self.tcp { "tcp" } else { "udp" }, self.address),
            message: e.to_string(),
        };
        if self.tcp {
            let mut stream = TcpStream::connect(&self.address).map_err(error)?;
            stream.set_write_timeout(Some(Duration::from_secs(30))).map_err(error)?;
            let mut buffer = Vec::new();
            for record in records {
                let message = self.format(record);
                buffer.clear();
                write!(buffer, "{} ", message.len()).expect("writing to a Vec succeeds");
                buffer.extend_from_slice(&message);
                stream.write_all(&buffer).map_err(error)?;
            }
            stream.flush().map_err(error)?;
        } else {
            // The largest UDP payload; receivers often keep less, so TCP suits large findings better.
            const MAX_DATAGRAM: usize = 65_507;
            let socket = UdpSocket::bind(if self.address.starts_with('[') { "[::]:0" } else { "0.0.0.0:0" })
                .map_err(error)?;
            socket.connect(&self.address).map_err(error)?;
            for record in records {
                let message = self.format(record);
                if message.len() > MAX_DATAGRAM {
                    tracing::error!(uid = %record.metadata.uid, bytes = message.len(), "finding too large for one syslog datagram; use syslog+tcp");
                    continue;
                }
                socket.send(&message).map_err(error)?;
            }
        }
        Ok(())
    }

    /// Formats `<PRI>1 TIMESTAMP HOSTNAME harrier PROCID MSGID - BOM JSON`.
    pub fn format(&self, record: &DetectionFinding) -> Vec<u8> {
        let severity = match record.severity_id {
            5 | 6 => 2, // critical
            4 => 3,     // error
            3 => 4,     // warning
            _ => 5,     // notice
        };
        let time = jiff::Timestamp::from_millisecond(record.time).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let msgid = if record.unmapped.harrier.kind == "incident" { "incident" } else { "breach" };
        let mut message = format!(
            "<{}>1 {} {} harrier {} {msgid} - \u{feff}",
            FACILITY * 8 + severity,
            time.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"),
            self.hostname,
            std::process::id(),
        )
        .into_bytes();
        serde_json::to_writer(&mut message, record).expect("findings serialise to JSON");
        message
    }
}
