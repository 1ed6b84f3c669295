//! Tests of the message summary: charsets, URLs, attachments, authentication results and verdicts.

mod common;

use std::path::PathBuf;

use common::{messages, parse_fixture, read_all};
use harrier_mail::{
    AuthenticationResults, MailFormat, MessageOrigin, RawMessage, UrlSource, is_upstream_verdict, parse_message,
};

fn raw_message(bytes: &[u8]) -> RawMessage {
    let origin = MessageOrigin { path: PathBuf::from("memory.eml"), index: 0, format: MailFormat::Eml };
    RawMessage { origin, envelope_from: None, bytes: bytes.to_vec() }
}

#[test]
fn gb2312_subject_and_body_decode() {
    let message = parse_fixture("gb2312.eml");

    assert_eq!(message.subject.as_deref(), Some("RE: 装硬碟问题"));
    let text = message.text_body.expect("text body");
    assert!(text.contains("硬碟"), "8-bit GB2312 body decodes");
    assert!(!text.contains('\u{FFFD}'), "no replacement characters");
}

#[test]
fn latin1_quoted_printable_html_decodes() {
    let message = parse_fixture("html-qp-latin1.eml");

    let html = message.html_body.expect("html body");
    assert!(html.contains("Möchten Sie"), "=F6 decodes to ö");
    assert!(!html.contains("=F6"));
    assert!(message.text_body.is_none());
}

#[test]
fn html_links_keep_anchor_text() {
    let message = parse_fixture("html-from-line.eml");

    let anchors: Vec<_> = message.urls.iter().filter(|url| url.attribute.as_deref() == Some("a[href]")).collect();
    assert!(anchors.len() > 20, "found {} links", anchors.len());
    assert!(anchors.iter().all(|url| url.source == UrlSource::Html));
    let xplay = anchors.iter().find(|url| url.url == "http://www.mediafour.com/products/xplay/").expect("link");
    assert_eq!(xplay.anchor_text.as_deref(), Some("XPlay"));
    let unique: std::collections::HashSet<_> = message.urls.iter().collect();
    assert_eq!(unique.len(), message.urls.len(), "no duplicate entries");
}

#[test]
fn image_link_uses_alt_text() {
    let html = br#"Content-Type: text/html

<p><a href="https://example.org/pay"><img src="https://example.org/b.png" alt="Pay   now"></a>
see https://example.net/plain and <a href="https://example.org/pay">again</a></p>"#;

    let message = parse_message(&raw_message(html));

    let links: Vec<_> = message.urls.iter().filter(|url| url.attribute.as_deref() == Some("a[href]")).collect();
    assert_eq!(links.len(), 2);
    assert_eq!(links[0].anchor_text.as_deref(), Some("Pay now"));
    assert_eq!(links[1].anchor_text.as_deref(), Some("again"));
    assert!(message.urls.iter().any(|url| url.attribute.as_deref() == Some("img[src]")));
    let text_url = message.urls.iter().find(|url| url.url == "https://example.net/plain").expect("text url");
    assert_eq!(text_url.attribute, None);
    assert_eq!(text_url.anchor_text, None);
}

#[test]
fn text_urls_found_in_plain_part() {
    let message = parse_fixture("phishing-link.eml");

    assert_eq!(message.urls.len(), 1);
    assert_eq!(message.urls[0].source, UrlSource::Text);
    assert!(message.urls[0].url.starts_with("https://"));
    assert!(message.urls[0].url.ends_with("/auth.php"));
}

#[test]
fn renamed_macro_flags_mismatch() {
    let message = parse_fixture("renamed-macro.eml");

    assert_eq!(message.attachments.len(), 1);
    let attachment = &message.attachments[0];
    assert_eq!(attachment.file_name.as_deref(), Some("renamed.jpg"));
    assert_eq!(attachment.declared_type.as_deref(), Some("application/octet-stream"));
    assert_eq!(attachment.detected_extension.as_deref(), Some("xlsx"));
    assert!(attachment.size > 10_000);
    assert!(attachment.extension_mismatch);
}

#[test]
fn pgp_signature_is_no_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signed.eml");
    let message = "From: Ann <ann@example.org>\r\nTo: bob@example.com\r\nSubject: patch\r\n\
        MIME-Version: 1.0\r\nContent-Type: multipart/signed; micalg=pgp-sha256; protocol=\"application/pgp-signature\"; boundary=\"b\"\r\n\r\n\
        --b\r\nContent-Type: text/plain\r\n\r\nThe patch is attached.\r\n\
        --b\r\nContent-Type: application/pgp-signature; name=\"signature.asc\"\r\n\
        Content-Disposition: attachment; filename=\"signature.asc\"\r\n\r\n\
        -----BEGIN PGP SIGNATURE-----\r\n\r\niQEzBAEBCAAdFiEEexample\r\n=abcd\r\n-----END PGP SIGNATURE-----\r\n\
        --b--\r\n";
    std::fs::write(&path, message).unwrap();
    let raw = messages(read_all(&path));
    let parsed = harrier_mail::parse_message(&raw[0]);

    let attachment = &parsed.attachments[0];
    assert_eq!(attachment.file_name.as_deref(), Some("signature.asc"));
    assert_eq!(attachment.detected_extension.as_deref(), Some("pem"));
    assert!(!attachment.extension_mismatch);
}

#[test]
fn macro_workbook_matches_zip_family() {
    let message = parse_fixture("macro-xlsm.eml");

    let attachment = &message.attachments[0];
    assert_eq!(attachment.file_name.as_deref(), Some("macro.xlsm"));
    assert!(attachment.detected_type.as_deref().unwrap().contains("spreadsheetml"));
    assert!(!attachment.extension_mismatch);
}

#[test]
fn base64_text_attachment_decodes() {
    let message = parse_fixture("base64-attachment.eml");

    assert_eq!(message.attachments.len(), 1);
    let attachment = &message.attachments[0];
    assert_eq!(attachment.declared_type.as_deref(), Some("text/plain"));
    assert_eq!(attachment.size, 3200);
    assert_eq!(attachment.detected_type, None);
    assert!(!attachment.extension_mismatch);
}

#[test]
fn authentication_results_parse() {
    let message = parse_fixture("authres.eml");

    let results = &message.authentication_results;
    assert_eq!(results.len(), 8);
    assert_eq!(results[0].authserv_id.as_deref(), Some("authrestest1int"));
    let methods: Vec<_> = results[0].results.iter().map(|r| (r.method.as_str(), r.result.as_str())).collect();
    assert_eq!(methods, [("spf", "pass"), ("dkim", "pass"), ("dkim", "fail")]);
    assert_eq!(results[1].result_of("dmarc"), Some("none"));
    assert_eq!(results[3].authserv_id.as_deref(), Some("authrestest4int"));
    assert_eq!(results[3].results[0].properties[0], ("reason".to_string(), "just some (<>.%&! reason".to_string()));
    assert!(results[4].raw.starts_with("authrestest5int; dkim=pass (2048-bit key"), "raw is kept");
    assert_eq!(results[4].results[0].properties.len(), 3, "comment is dropped, properties kept");
}

#[test]
fn authentication_results_edge_cases() {
    let none = AuthenticationResults::parse("mx.example.org 1; none");
    let arc = AuthenticationResults::parse(
        "mx.example.org; arc=pass (i=1) smtp.remote-ip=192.0.2.1; DMARC=FAIL header.from=\"example.com\"",
    );
    let empty = AuthenticationResults::parse("");

    assert_eq!(none.authserv_id.as_deref(), Some("mx.example.org"));
    assert!(none.results.is_empty());
    assert_eq!(arc.result_of("arc"), Some("pass"));
    assert_eq!(arc.result_of("dmarc"), Some("fail"));
    assert_eq!(arc.results[1].properties, [("header.from".to_string(), "example.com".to_string())]);
    assert_eq!(empty.authserv_id, None);
    assert!(empty.results.is_empty());
}

#[test]
fn upstream_verdicts_kept_apart() {
    let bytes = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: verdicts\r\n\
X-Forefront-Antispam-Report: CIP:192.0.2.1;CTRY:;LANG:en;SCL:5;SRV:;IPV:NLI;SFV:SPM;\r\n\
X-Microsoft-Antispam: BCL:0;\r\nX-Microsoft-Antispam-Message-Info: abc\r\n\
X-MS-Exchange-Organization-SCL: 5\r\nX-Spam-Flag: YES\r\n\
Authentication-Results: spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=example.org; dkim=none\r\n\
X-Mailer: test\r\n\r\nbody\r\n";

    let message = parse_message(&raw_message(bytes));

    let names: Vec<_> = message.upstream_verdicts.iter().map(|field| field.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "X-Forefront-Antispam-Report",
            "X-Microsoft-Antispam",
            "X-Microsoft-Antispam-Message-Info",
            "X-MS-Exchange-Organization-SCL",
            "X-Spam-Flag",
        ]
    );
    assert_eq!(message.upstream_verdicts[3].value, "5");
    assert_eq!(message.authentication_results.len(), 1, "Authentication-Results stays evidence");
    assert!(!is_upstream_verdict("X-Mailer"));
    assert!(!is_upstream_verdict("Authentication-Results"));
}

#[test]
fn fixture_verdicts_separated() {
    let message = parse_fixture("gb2312.eml");

    assert_eq!(message.upstream_verdicts.len(), 3);
    assert!(message.upstream_verdicts.iter().all(|field| field.name.starts_with("X-Spam-")));
}

#[test]
fn header_fields_summarised() {
    let message = parse_fixture("authres.eml");

    assert!(message.record_id.starts_with("mid:"));
    assert_eq!(message.message_id.as_deref().map(|id| id.contains('<')), Some(false));
    assert_eq!(message.received.len(), 6);
    assert_eq!(message.received[0].from_ip.as_deref(), Some("212.17.35.15"));
    assert!(message.received[0].by_host.is_some());
    assert!(message.received[0].raw.starts_with("from "));
    assert_eq!(message.list_headers, ["list-id"]);
    assert!(message.from.as_ref().unwrap().name.is_some());
    assert!(message.sender.is_some());
    assert_eq!(message.to.len(), 1);
    assert!(message.date.as_deref().unwrap().starts_with("2001-05-15T17:31:22"));
    assert!(message.defects.is_empty());
}

#[test]
fn record_id_falls_back_to_hash() {
    let message = parse_fixture("dkim-authres.eml");
    let same = parse_fixture("dkim-authres.eml");
    let other = parse_message(&raw_message(b"Subject: other\r\n\r\nbody\r\n"));

    assert!(message.message_id.is_none());
    assert!(message.record_id.starts_with("xxh3:"));
    assert_eq!(message.record_id.len(), "xxh3:".len() + 32);
    assert_eq!(message.record_id, same.record_id);
    assert_ne!(message.record_id, other.record_id);
}

#[test]
fn summary_serializes_to_json() {
    let message = parse_fixture("renamed-macro.eml");

    let json = serde_json::to_value(&message).unwrap();

    assert_eq!(json["origin"]["format"], "eml");
    assert_eq!(json["attachments"][0]["extension_mismatch"], true);
    assert!(json["upstream_verdicts"].as_array().unwrap().is_empty());
}

/// Builds a message that forwards `inner` as a message/rfc822 attachment, encoded with `encoding`.
fn forwarding(inner: &str, encoding: Option<&str>) -> String {
    let (header, body) = match encoding {
        Some("base64") => {
            use base64::Engine;
            ("Content-Transfer-Encoding: base64\r\n", base64::engine::general_purpose::STANDARD.encode(inner))
        }
        _ => ("", inner.to_owned()),
    };
    format!(
        "From: colleague@example.com\r\nTo: user@example.org\r\nSubject: Fwd: invoice\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"OUTER\"\r\n\r\n--OUTER\r\nContent-Type: text/plain\r\n\r\n\
See below, https://outer.example/ \r\n--OUTER\r\nContent-Type: message/rfc822\r\n{header}\r\n{body}\r\n--OUTER--\r\n"
    )
}

const FORWARDED: &str = "From: billing@phish.example\r\nSubject: invoice\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"INNER\"\r\n\r\n--INNER\r\nContent-Type: text/html\r\n\r\n\
<p><a href=\"http://phish.example/login\">Sign in</a></p>\r\n--INNER\r\nContent-Type: text/html\r\n\
Content-Disposition: attachment; filename=\"invoice.html\"\r\n\r\n<form><input type=password></form>\r\n--INNER--\r\n";

#[test]
fn attached_message_links_and_attachments() {
    for encoding in [None, Some("base64")] {
        let message = parse_message(&raw_message(forwarding(FORWARDED, encoding).as_bytes()));

        let urls: Vec<&str> = message.urls.iter().map(|found| found.url.as_str()).collect();
        assert!(urls.contains(&"https://outer.example/"), "{encoding:?}: {urls:?}");
        assert!(urls.contains(&"http://phish.example/login"), "{encoding:?}: {urls:?}");
        let inner_link = message.urls.iter().find(|found| found.url == "http://phish.example/login");
        assert_eq!(inner_link.and_then(|found| found.anchor_text.as_deref()), Some("Sign in"), "{encoding:?}");
        let names: Vec<Option<&str>> = message.attachments.iter().map(|a| a.file_name.as_deref()).collect();
        assert!(names.contains(&Some("invoice.html")), "{encoding:?}: {names:?}");
        assert_eq!(message.attachments.len(), 2, "the attached message and its attachment: {names:?}");
        let text = message.text_body.as_deref().unwrap_or_default();
        assert!(!text.contains("Sign in"), "the bodies stay the outer message's: {text}");
    }
}

#[test]
fn attached_message_depth_is_limited() {
    let mut message = FORWARDED.to_owned();
    for _ in 0..harrier_mail::MAX_ATTACHED_MESSAGE_DEPTH {
        message = forwarding(&message, None);
    }
    let summary = parse_message(&raw_message(message.as_bytes()));
    assert!(summary.urls.iter().any(|found| found.url == "http://phish.example/login"), "read at the deepest level");

    let deeper = forwarding(&message, None);
    let summary = parse_message(&raw_message(deeper.as_bytes()));
    assert!(summary.urls.iter().all(|found| found.url != "http://phish.example/login"), "not read below the limit");
}
