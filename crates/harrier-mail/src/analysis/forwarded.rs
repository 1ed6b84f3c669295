//! Messages forwarded inline: the header block a mail client writes above the forwarded text ("From:",
//! "Sent:", "To:", "Subject:", in the client's language), read back into the original sender, subject and
//! text so that the original can be analysed as well. Users forward suspicious mail to themselves, to a
//! colleague or to a report mailbox, and the forwarder's own sender and authentication describe the
//! forwarder, not the original.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind};
use regex::Regex;

use crate::message::{MailMessage, Mailbox};

/// Labels of the From line in forwarded header blocks, lower-cased: English, Portuguese, Spanish, French,
/// Italian, German, Dutch, Swedish, Danish and Norwegian, Polish.
const FROM_LABELS: &[&str] = &["from", "de", "von", "van", "da", "från", "fra", "od"];

/// Labels of the Subject line, lower-cased, in the same languages.
const SUBJECT_LABELS: &[&str] =
    &["subject", "assunto", "asunto", "objet", "oggetto", "betreff", "onderwerp", "ämne", "emne", "temat"];

/// Subject prefixes of forwards, lower-cased and without the colon.
const FORWARD_PREFIXES: &[&str] = &["fw", "fwd", "enc", "tr", "wg", "rv", "doorst", "vs", "vb", "i"];

/// Lines that mail clients write above a forwarded header block, lower-cased. Outlook's "Original Message"
/// line is left out, because replies also put it above the quoted original.
const FORWARD_MARKERS: &[&str] = &[
    "forwarded message",
    "begin forwarded message",
    "mensagem encaminhada",
    "mensaje reenviado",
    "message transféré",
    "weitergeleitete nachricht",
    "doorgestuurd bericht",
    "messaggio inoltrato",
];

/// Lines after the From line searched for the Subject line.
const HEADER_BLOCK_LINES: usize = 8;

/// Characters of body text searched for the header block.
const SEARCH_CHARS: usize = 64 * 1024;

static ADDRESS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"[^\s<>\[\]"'(),;:]+@[^\s<>\[\]"'(),;:]+\.[^\s<>\[\]"'(),;:]+"#).expect("valid regex"));

/// The original of an inline-forwarded message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardedOriginal {
    /// The original sender, as the forwarded header block gives it.
    pub from: Mailbox,
    /// The original subject.
    pub subject: Option<String>,
    /// The forwarded text below the header block.
    pub text: String,
}

/// The forward markers, matched ASCII case-insensitively. A DFA, because every message body is searched in
/// full, and the markers' first letters are too common for a prefilter to skip much of the text.
static MARKERS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(AhoCorasickKind::DFA))
        .build(FORWARD_MARKERS)
        .expect("forward markers build an automaton")
});

/// Returns whether `message` may be an inline forward: its subject starts with a forward prefix, or the
/// body that [`find`] reads has a forward marker. That is the text part, or else the HTML part's visible
/// text, or else its HTML. This is cheap, so the body text is only built for the messages that pass.
pub fn may_be_forward(message: &MailMessage) -> bool {
    let body = message.text_body.as_deref().or(message.html_text.as_deref()).or(message.html_body.as_deref());
    has_forward_prefix(message.subject.as_deref().unwrap_or_default()) || body.is_some_and(|body| MARKERS.is_match(body))
}

/// Returns the original of an inline forward, read from `body`, the message's body text. The subject
/// needs a forward prefix or the body a forward marker line. Below that, the header block needs a From
/// line with an address and a Subject line.
pub fn find(message: &MailMessage, body: &str) -> Option<ForwardedOriginal> {
    let body = match body.char_indices().nth(SEARCH_CHARS) {
        Some((end, _)) => &body[..end],
        None => body,
    };
    let lines: Vec<&str> = body.lines().collect();
    let mut marked = has_forward_prefix(message.subject.as_deref().unwrap_or_default());
    for (index, line) in lines.iter().enumerate() {
        let line = clean(line);
        let lower = line.to_lowercase();
        if FORWARD_MARKERS.iter().any(|marker| lower.contains(marker)) {
            marked = true;
            continue;
        }
        if !marked {
            continue;
        }
        let Some(value) = labelled(line, FROM_LABELS) else { continue };
        let Some(from) = mailbox(value) else { continue };
        let block_end = (index + 1 + HEADER_BLOCK_LINES).min(lines.len());
        let subject_line = (index + 1..block_end).find(|&other| labelled(clean(lines[other]), SUBJECT_LABELS).is_some())?;
        let subject = labelled(clean(lines[subject_line]), SUBJECT_LABELS).map(|subject| subject.trim().to_string());
        let text = lines[subject_line + 1..].join("\n");
        return Some(ForwardedOriginal { from, subject: subject.filter(|subject| !subject.is_empty()), text });
    }
    None
}

/// Returns the message an analysis of the original reads: the original's sender, subject and text, the
/// forward's links and attachments, and no headers of the forward's own transport (authentication results,
/// Received hops, Reply-To, Return-Path, list headers).
pub fn original_message(message: &MailMessage, original: &ForwardedOriginal) -> MailMessage {
    let mut inner = message.clone();
    inner.from = Some(original.from.clone());
    inner.sender = None;
    inner.reply_to.clear();
    inner.return_path = None;
    inner.has_reply_headers = false;
    inner.subject = original.subject.clone();
    inner.received.clear();
    inner.authentication_results.clear();
    inner.list_headers.clear();
    inner.text_body = Some(original.text.clone());
    inner.html_body = None;
    inner.html_text = None;
    inner
}

/// Returns whether `subject` starts with a forward prefix ("FW:", "Fwd:", "ENC:" and others).
pub(crate) fn has_forward_prefix(subject: &str) -> bool {
    let subject = subject.trim_start().to_lowercase();
    let Some((prefix, _)) = subject.split_once(':') else { return false };
    FORWARD_PREFIXES.contains(&prefix.trim_end())
}

/// Strips quote marks and the asterisks some clients put around labels (`*From:*`).
fn clean(line: &str) -> &str {
    line.trim_start_matches(|character: char| character == '>' || character.is_whitespace()).trim_start_matches('*').trim()
}

/// Returns the value after `label:` when the line starts with one of `labels`, in any case.
fn labelled<'a>(line: &'a str, labels: &[&str]) -> Option<&'a str> {
    let (label, value) = line.split_once(':')?;
    let label = label.trim().trim_end_matches('*').trim().to_lowercase();
    labels.contains(&label.as_str()).then(|| value.trim_start_matches('*').trim())
}

/// Reads `Name <address>`, `Name [mailto:address]`, `"Name" address` or a bare address.
fn mailbox(value: &str) -> Option<Mailbox> {
    let found = ADDRESS.find(value)?;
    let address = found.as_str().trim_start_matches("mailto:").trim_end_matches('.').to_lowercase();
    let name = value[..found.start()]
        .trim_end_matches(|character: char| matches!(character, '<' | '[' | '(') || character.is_whitespace())
        .trim_end_matches("mailto:")
        .trim_end_matches(|character: char| matches!(character, '<' | '[') || character.is_whitespace())
        .trim_matches(|character: char| character == '"' || character == '\'' || character.is_whitespace());
    let name = (!name.is_empty()).then(|| name.to_string());
    Some(Mailbox { address: Some(address), name })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(subject: &str) -> MailMessage {
        let origin = crate::MessageOrigin { path: "memory.eml".into(), index: 0, format: crate::MailFormat::Eml };
        let bytes = format!("Subject: {subject}\r\n\r\nx\r\n").into_bytes();
        crate::message::parse_message(&crate::read::RawMessage { origin, envelope_from: None, bytes })
    }

    #[test]
    fn outlook_block_in_portuguese() {
        let body = "________________________________\nDe: Support Team <help@example.net>\nEnviado: sábado, 14 de janeiro de 2023 13:47\nPara: someone <someone@example.org>\nAssunto: Verify your mailbox\n\nClick below to keep your mailbox.";
        let original = find(&message("ENC: Verify your mailbox"), body).unwrap();
        assert_eq!(original.from.address.as_deref(), Some("help@example.net"));
        assert_eq!(original.from.name.as_deref(), Some("Support Team"));
        assert_eq!(original.subject.as_deref(), Some("Verify your mailbox"));
        assert_eq!(original.text.trim(), "Click below to keep your mailbox.");
    }

    #[test]
    fn gmail_marker_without_prefix() {
        let body = "See below.\n\n---------- Forwarded message ---------\nFrom: \"Billing\" <billing@example.net>\nDate: Mon, 2 Jan 2023\nSubject: Invoice\nTo: <a@example.org>\n\nPay now.";
        let original = find(&message("Look at this"), body).unwrap();
        assert_eq!(original.from.address.as_deref(), Some("billing@example.net"));
        assert_eq!(original.from.name.as_deref(), Some("Billing"));
        assert_eq!(original.subject.as_deref(), Some("Invoice"));
    }

    #[test]
    fn mailto_brackets_and_quotes() {
        let body = "*From:* Payroll [mailto:payroll@example.net]\n*Sent:* Monday\n*Subject:* Salary\n\nText";
        let original = find(&message("FW: Salary"), body).unwrap();
        assert_eq!(original.from.address.as_deref(), Some("payroll@example.net"));
        assert_eq!(original.from.name.as_deref(), Some("Payroll"));
    }

    #[test]
    fn ordinary_mail_is_no_forward() {
        let body = "From: the team\nSubject: none\n";
        assert!(find(&message("Weekly notes"), body).is_none());
        let body = "From: someone@example.net said we should meet.\nNo subject line follows.";
        assert!(find(&message("Fwd: notes"), body).is_none());
    }
}
