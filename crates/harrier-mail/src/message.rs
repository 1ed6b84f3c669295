//! The parsed message summary.

use mail_parser::{Address, HeaderName, Host, Message, MessageParser, MimeHeaders, PartType};
use serde::Serialize;

use crate::attachment::{self, Attachment};
use crate::auth::AuthenticationResults;
use crate::origin::MessageOrigin;
use crate::read::RawMessage;
use crate::urls::{self, FoundUrl, UrlSource};

/// A mailbox: an address with its display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mailbox {
    /// The address, such as `user@example.org`.
    pub address: Option<String>,
    /// The display name, decoded from any charset.
    pub name: Option<String>,
}

/// One Received header, most recent hop first in [`MailMessage::received`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceivedHop {
    /// The host name (or address literal) the sending host gave in the `from` clause.
    pub from_host: Option<String>,
    /// The sending host's IP address from the `from` clause.
    pub from_ip: Option<String>,
    /// The reverse DNS name the receiving host recorded for the sender.
    pub from_iprev: Option<String>,
    /// The receiving host from the `by` clause.
    pub by_host: Option<String>,
    /// The header value, unfolded.
    pub raw: String,
}

/// A header field kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeaderField {
    /// The header name as written.
    pub name: String,
    /// The header value, unfolded and trimmed.
    pub value: String,
}

/// A structural problem found while parsing. The message is still summarised as far as it could be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Defect {
    /// mail-parser returned no message at all (for example, empty input).
    Unparsable,
    /// No header field could be read.
    NoHeaders,
    /// A multipart Content-Type has no `boundary` parameter.
    MultipartWithoutBoundary,
    /// A multipart body has no closing `--boundary--` line.
    UnterminatedMultipart,
    /// The top-level header names a multipart Content-Type that could not be parsed, so the body was read
    /// as a single part.
    MultipartNotParsed,
    /// The top-level header has more than one Content-Type field.
    RepeatedContentType,
    /// A part's transfer encoding (base64 or quoted-printable) could not be decoded cleanly.
    EncodingProblem,
}

/// The summary of one message.
///
/// Fields under "evidence" come from the message itself. Verdicts that filters upstream of harrier wrote
/// into headers are kept apart in [`MailMessage::upstream_verdicts`] so they are never read as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailMessage {
    /// Dedup key: `mid:` and the Message-ID, or `xxh3:` and a 128-bit hash of the bytes without one.
    pub record_id: String,
    /// The source file and position of the message.
    pub origin: MessageOrigin,
    /// The mbox envelope line's sender and date, when the message came from an mbox.
    pub envelope_from: Option<String>,
    /// Size of the message in bytes.
    pub size: u64,
    /// The Message-ID without angle brackets.
    pub message_id: Option<String>,
    /// The Date header in RFC 3339 form.
    pub date: Option<String>,
    /// The first From mailbox.
    pub from: Option<Mailbox>,
    /// The Sender mailbox.
    pub sender: Option<Mailbox>,
    /// The Reply-To mailboxes.
    pub reply_to: Vec<Mailbox>,
    /// The Return-Path address.
    pub return_path: Option<String>,
    /// True when the message has an In-Reply-To or References header, as real replies do.
    pub has_reply_headers: bool,
    /// The To recipients, group members included.
    pub to: Vec<Mailbox>,
    /// The Cc recipients.
    pub cc: Vec<Mailbox>,
    /// The Bcc recipients.
    pub bcc: Vec<Mailbox>,
    /// The subject, decoded from RFC 2047 encoded words in any charset.
    // NOTE: raw 8-bit header bytes in a legacy charset (a Big5 subject without encoded words) are read as
    // UTF-8, so they come out with replacement characters.
    pub subject: Option<String>,
    /// The Received chain in header order, so the most recent hop comes first.
    pub received: Vec<ReceivedHop>,
    /// Every Authentication-Results header, in header order.
    pub authentication_results: Vec<AuthenticationResults>,
    /// Names of the `List-*` headers present, lower-cased.
    pub list_headers: Vec<String>,
    /// The text/plain body parts, decoded and joined by a blank line.
    pub text_body: Option<String>,
    /// The text/html body parts, decoded and joined by a newline.
    pub html_body: Option<String>,
    /// The visible text of the text/html body parts (see `urls::visible_text`), joined by a line end, when
    /// the message has no text/plain body part. It is read from the tree that the URL scan builds, and left
    /// out of serialized summaries, which carry `html_body`.
    #[serde(skip)]
    pub html_text: Option<String>,
    /// URLs found in the text and HTML bodies.
    pub urls: Vec<FoundUrl>,
    /// Words of HTML body text inside elements hidden by an inline style or the `hidden` attribute.
    pub hidden_html_words: u32,
    /// The attachments.
    pub attachments: Vec<Attachment>,
    /// Verdict headers written by upstream filters (Exchange Online Protection, SpamAssassin and others).
    pub upstream_verdicts: Vec<HeaderField>,
    /// Structural problems found while parsing.
    pub defects: Vec<Defect>,
}

/// Deepest level of attached messages (message/rfc822 parts, nested in each other) whose links and
/// attachments are read. A message forwarded as an attachment is level 1.
pub const MAX_ATTACHED_MESSAGE_DEPTH: usize = 8;

/// Returns whether a header is a verdict written by a filter upstream of harrier.
pub fn is_upstream_verdict(name: &str) -> bool {
    is_lowercase_upstream_verdict(&name.to_ascii_lowercase())
}

/// Returns what [`is_upstream_verdict`] returns for a header name already in ASCII lower case.
fn is_lowercase_upstream_verdict(name: &str) -> bool {
    name == "x-forefront-antispam-report"
        || name.starts_with("x-microsoft-antispam")
        || name == "x-ms-exchange-organization-scl"
        || name.starts_with("x-spam-")
}

/// Returns the message with every upstream verdict header (see [`is_upstream_verdict`]) removed, so that
/// another filter can be run on the message without reading the verdicts already written into it. The
/// other headers and the body are kept byte for byte. Header boundaries are the ones `mail-parser` finds,
/// so folded values go with their field. A message without a parsable header block is returned unchanged.
pub fn strip_upstream_verdicts(bytes: &[u8]) -> Vec<u8> {
    let Some(message) = MessageParser::new().parse_headers(bytes) else {
        return bytes.to_vec();
    };
    let mut stripped = Vec::with_capacity(bytes.len());
    let mut kept_from = 0;
    for header in &message.root_part().headers {
        if !is_upstream_verdict(header.name.as_str()) {
            continue;
        }
        let start = (header.offset_field as usize).clamp(kept_from, bytes.len());
        let end = (header.offset_end as usize).clamp(start, bytes.len());
        stripped.extend_from_slice(&bytes[kept_from..start]);
        kept_from = end;
    }
    stripped.extend_from_slice(&bytes[kept_from..]);
    stripped
}

/// Parses a raw message into its summary. Structural problems are recorded in [`MailMessage::defects`]
/// rather than returned as errors.
pub fn parse_message(raw: &RawMessage) -> MailMessage {
    let mut summary = empty_summary(raw);
    let Some(message) = MessageParser::default().parse(&raw.bytes) else {
        summary.defects.push(Defect::Unparsable);
        return summary;
    };
    fill_headers(&mut summary, &message);
    fill_bodies(&mut summary, &message);
    summary.attachments = message.attachments().map(attachment::summarize).collect();
    fill_attached_messages(&mut summary, &message, 1);
    summary.urls = urls::deduplicate(std::mem::take(&mut summary.urls));
    summary.defects = find_defects(&message);
    if let Some(id) = &summary.message_id {
        summary.record_id = format!("mid:{id}");
    }
    summary
}

fn empty_summary(raw: &RawMessage) -> MailMessage {
    let hash = xxhash_rust::xxh3::xxh3_128(&raw.bytes);
    MailMessage {
        record_id: format!("xxh3:{hash:032x}"),
        origin: raw.origin.clone(),
        envelope_from: raw.envelope_from.clone(),
        size: raw.bytes.len() as u64,
        message_id: None,
        date: None,
        from: None,
        sender: None,
        reply_to: Vec::new(),
        return_path: None,
        has_reply_headers: false,
        to: Vec::new(),
        cc: Vec::new(),
        bcc: Vec::new(),
        subject: None,
        received: Vec::new(),
        authentication_results: Vec::new(),
        list_headers: Vec::new(),
        text_body: None,
        html_body: None,
        html_text: None,
        urls: Vec::new(),
        hidden_html_words: 0,
        attachments: Vec::new(),
        upstream_verdicts: Vec::new(),
        defects: Vec::new(),
    }
}

fn fill_headers(summary: &mut MailMessage, message: &Message<'_>) {
    summary.message_id = message.message_id().map(str::to_string).filter(|id| !id.is_empty());
    summary.date = message.date().map(|date| date.to_rfc3339());
    summary.from = message.from().and_then(|from| mailboxes(Some(from)).into_iter().next());
    summary.sender = message.sender().and_then(|sender| mailboxes(Some(sender)).into_iter().next());
    summary.reply_to = mailboxes(message.reply_to());
    // The Return-Path header when there is one. Without it (in the mail flow, where the header is written
    // only at delivery), the envelope sender the caller gave, then the From address as mail-parser does.
    let envelope = summary.envelope_from.as_deref().filter(|sender| !sender.is_empty() && sender.contains('@'));
    summary.return_path = match message.header(HeaderName::ReturnPath) {
        Some(_) => message.return_address(),
        None => envelope.or(message.return_address()),
    }
    .map(str::to_string);
    summary.has_reply_headers = !message.in_reply_to().is_empty() || !message.references().is_empty();
    summary.to = mailboxes(message.to());
    summary.cc = mailboxes(message.cc());
    summary.bcc = mailboxes(message.bcc());
    summary.subject = message.subject().map(str::to_string);
    let raw = message.raw_message();
    summary.received = message.root_part().headers.iter().filter_map(|header| received_hop(header, raw)).collect();
    fill_raw_headers(summary, message);
}

/// Fills the fields that are read from raw header text: Authentication-Results, List-* and verdicts.
fn fill_raw_headers(summary: &mut MailMessage, message: &Message<'_>) {
    let mut received_above = 0;
    for (name, value) in message.headers_raw() {
        let lower = name.to_ascii_lowercase();
        if lower == "received" {
            received_above += 1;
        } else if lower == "authentication-results" {
            let mut results = AuthenticationResults::parse(value);
            results.received_above = received_above;
            summary.authentication_results.push(results);
        } else if lower.starts_with("list-") && !summary.list_headers.contains(&lower) {
            summary.list_headers.push(lower);
        } else if is_lowercase_upstream_verdict(&lower) {
            summary.upstream_verdicts.push(HeaderField { name: name.to_string(), value: unfold(value) });
        }
    }
}

/// Returns `value` with each run of whitespace turned into one space and none at either end.
fn unfold(value: &str) -> String {
    let mut unfolded = String::with_capacity(value.len());
    for word in value.split_whitespace() {
        if !unfolded.is_empty() {
            unfolded.push(' ');
        }
        unfolded.push_str(word);
    }
    unfolded
}

fn mailboxes(address: Option<&Address<'_>>) -> Vec<Mailbox> {
    let Some(address) = address else { return Vec::new() };
    address
        .iter()
        .map(|addr| Mailbox {
            address: addr.address().map(str::to_string),
            name: addr.name().map(str::to_string),
        })
        .collect()
}

fn host_text(host: &Host<'_>) -> String {
    match host {
        Host::Name(name) => name.to_string(),
        Host::IpAddr(ip) => ip.to_string(),
    }
}

fn received_hop(header: &mail_parser::Header<'_>, message: &[u8]) -> Option<ReceivedHop> {
    if !header.name.as_str().eq_ignore_ascii_case("received") {
        return None;
    }
    let value = message.get(header.offset_start as usize..header.offset_end as usize).unwrap_or_default();
    // Most values are valid UTF-8, which `from_utf8` checks faster than `from_utf8_lossy` does.
    let raw = match std::str::from_utf8(value) {
        Ok(value) => unfold(value),
        Err(_) => unfold(&String::from_utf8_lossy(value)),
    };
    let Some(received) = header.value.as_received() else {
        return Some(ReceivedHop { from_host: None, from_ip: None, from_iprev: None, by_host: None, raw });
    };
    Some(ReceivedHop {
        from_host: received.from.as_ref().map(host_text),
        from_ip: received.from_ip.map(|ip| ip.to_string()),
        from_iprev: received.from_iprev.as_ref().map(|name| name.to_string()),
        by_host: received.by.as_ref().map(host_text),
        raw,
    })
}

fn fill_bodies(summary: &mut MailMessage, message: &Message<'_>) {
    // A blank text part stands for no text: senders that build the HTML alone add an empty text/plain
    // part, and the HTML is then the body shown to the reader.
    let texts: Vec<&str> = message
        .text_bodies()
        .filter_map(|part| match &part.body {
            PartType::Text(text) => Some(text.as_ref()),
            _ => None,
        })
        .filter(|text| !text.trim().is_empty())
        .collect();
    let htmls: Vec<&str> = message
        .html_bodies()
        .filter_map(|part| match &part.body {
            PartType::Html(html) => Some(html.as_ref()),
            _ => None,
        })
        .collect();
    let mut found = Vec::new();
    for text in &texts {
        found.extend(urls::urls_in_text(text, UrlSource::Text));
    }
    let mut html_texts = Vec::new();
    for html in &htmls {
        let scan = if texts.is_empty() {
            let (scan, text) = urls::scan_html_with_text(html);
            html_texts.push(text);
            scan
        } else {
            urls::scan_html_with_repeats(html)
        };
        found.extend(scan.urls);
        summary.hidden_html_words = summary.hidden_html_words.saturating_add(scan.hidden_words);
    }
    summary.urls = found;
    summary.html_text = (!html_texts.is_empty()).then(|| html_texts.join("\n"));
    summary.text_body = (!texts.is_empty()).then(|| texts.join("\n\n"));
    summary.html_body = (!htmls.is_empty()).then(|| htmls.join("\n"));
}

/// Adds the URLs and attachments of the messages attached to `message` (message/rfc822 parts), and of the
/// messages attached to those, down to [`MAX_ATTACHED_MESSAGE_DEPTH`]. The attached message itself stays
/// one attachment too, and its text is not added to the summary's bodies, which are the outer message's.
fn fill_attached_messages(summary: &mut MailMessage, message: &Message<'_>, depth: usize) {
    if depth > MAX_ATTACHED_MESSAGE_DEPTH {
        return;
    }
    for part in &message.parts {
        let PartType::Message(attached) = &part.body else { continue };
        for part in attached.text_bodies() {
            if let PartType::Text(text) = &part.body {
                summary.urls.extend(urls::urls_in_text(text, UrlSource::Text));
            }
        }
        for part in attached.html_bodies() {
            if let PartType::Html(html) = &part.body {
                summary.urls.extend(urls::scan_html_with_repeats(html).urls);
            }
        }
        summary.attachments.extend(attached.attachments().map(attachment::summarize));
        fill_attached_messages(summary, attached, depth + 1);
    }
}

fn find_defects(message: &Message<'_>) -> Vec<Defect> {
    let mut defects = Vec::new();
    if message.root_part().headers.is_empty() {
        defects.push(Defect::NoHeaders);
    }
    defects.extend(content_type_header_defects(message));
    let raw = message.raw_message();
    for part in &message.parts {
        if part.is_encoding_problem && !defects.contains(&Defect::EncodingProblem) {
            defects.push(Defect::EncodingProblem);
        }
        let Some(content_type) = part.content_type() else { continue };
        if !content_type.ctype().eq_ignore_ascii_case("multipart") {
            continue;
        }
        let defect = match content_type.attribute("boundary") {
            None => Some(Defect::MultipartWithoutBoundary),
            Some(boundary) if !contains_closing_boundary(raw, boundary) => Some(Defect::UnterminatedMultipart),
            Some(_) => None,
        };
        if let Some(defect) = defect.filter(|defect| !defects.contains(defect)) {
            defects.push(defect);
        }
    }
    defects
}

/// Compares the top-level Content-Type fields as written with what mail-parser made of them.
fn content_type_header_defects(message: &Message<'_>) -> Vec<Defect> {
    let declared: Vec<String> = message
        .headers_raw()
        .filter(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map(|(_, value)| value.trim().to_ascii_lowercase())
        .collect();
    let mut defects = Vec::new();
    if declared.len() > 1 {
        defects.push(Defect::RepeatedContentType);
    }
    let parsed_multipart = message.root_part().is_multipart();
    if !parsed_multipart && declared.iter().any(|value| value.starts_with("multipart/")) {
        defects.push(Defect::MultipartNotParsed);
    }
    defects
}

fn contains_closing_boundary(raw: &[u8], boundary: &str) -> bool {
    let closing = format!("--{boundary}--");
    memchr::memmem::find(raw, closing.as_bytes()).is_some()
}
