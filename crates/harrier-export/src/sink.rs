//! Destinations that take records one message at a time: a JSON webhook and syslog.

use std::io::Write;
use std::net::{TcpStream, UdpSocket};
use std::time::Duration;

use crate::error::ExportError;
use crate::ocsf::finding::DetectionFinding;

/// Records per webhook request.
const WEBHOOK_CHUNK: usize = 500;

/// POSTs JSON arrays of records to a URL, signed and retried as [`harrier_webhook`] describes.
pub struct Webhook {
    inner: harrier_webhook::Webhook,
}

impl Webhook {
    pub fn new(url: &str, secret: Option<&str>) -> Result<Webhook, ExportError> {
        let inner = harrier_webhook::Webhook::new(url, secret.map(str::as_bytes)).map_err(|e| ExportError::Config(e.to_string()))?;
        Ok(Webhook { inner })
    }

    pub async fn deliver(&self, records: &[DetectionFinding]) -> Result<(), ExportError> {
        for chunk in records.chunks(WEBHOOK_CHUNK) {
            let body = serde_json::to_vec(chunk).expect("findings serialise to JSON");
            self.inner.post(body).await.map_err(|e| self.error(e.to_string()))?;
        }
        Ok(())
    }

    fn error(&self, message: String) -> ExportError {
        let target = crate::export::Destination::Webhook { url: self.inner.url().to_owned() }.describe();
        ExportError::Deliver { target, message }
    }
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
