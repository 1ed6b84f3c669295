//! Tests of the email analysis on real fixtures and on messages built for one factor each.

mod common;

use std::io::Write;
use std::path::PathBuf;

use common::{fixture_message_bytes, parse_fixture};
use harrier_mail::analysis::context::HistoryContext;
use harrier_mail::analysis::{AnalysisOptions, PaymentMemory, attachments, links};
use harrier_mail::{Class, FactorKind, MailFormat, MailMessage, MessageOrigin, RawMessage, analyze, parse_message};

fn parse_bytes(bytes: &[u8]) -> MailMessage {
    let origin = MessageOrigin { path: PathBuf::from("memory.eml"), index: 0, format: MailFormat::Eml };
    parse_message(&RawMessage { origin, envelope_from: None, bytes: bytes.to_vec() })
}

fn kinds_of(message: &MailMessage, options: &AnalysisOptions) -> Vec<FactorKind> {
    analyze(message, options).factors.iter().map(|factor| factor.factor.kind).collect()
}

fn default_kinds(message: &MailMessage) -> Vec<FactorKind> {
    kinds_of(message, &AnalysisOptions::default())
}

/// Puts `headers` in front of a fixture, as a receiving host adds its own trace headers.
fn with_headers(name: &str, headers: &str) -> Vec<u8> {
    let mut bytes = headers.replace('\n', "\r\n").into_bytes();
    bytes.extend(fixture_message_bytes(name));
    bytes
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut output = String::new();
    for chunk in bytes.chunks(3) {
        let value = chunk.iter().enumerate().fold(0u32, |value, (index, byte)| value | u32::from(*byte) << (16 - 8 * index));
        for index in 0..4 {
            if index <= chunk.len() {
                output.push(ALPHABET[(value >> (18 - 6 * index) & 63) as usize] as char);
            } else {
                output.push('=');
            }
        }
    }
    output.as_bytes().chunks(76).map(|line| String::from_utf8_lossy(line).into_owned()).collect::<Vec<_>>().join("\r\n")
}

/// Builds a message with a text part and one base64 attachment.
fn message_with_attachment(from: &str, text: &str, file_name: &str, content_type: &str, content: &[u8]) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: user@contoso.com\r\nSubject: Documents\r\nMessage-ID: <a1@example.org>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n{text}\r\n--b1\r\n\
         Content-Type: {content_type}; name=\"{file_name}\"\r\nContent-Disposition: attachment; filename=\"{file_name}\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1--\r\n",
        base64(content)
    )
    .into_bytes()
}

#[test]
fn dkim_pass_fixture_has_no_auth_factor() {
    let kinds = default_kinds(&parse_fixture("dkim-pass.eml"));
    assert!(!kinds.contains(&FactorKind::DkimFail));
    assert!(!kinds.contains(&FactorKind::DmarcFail));
}

#[test]
fn dmarc_fail_fixture_flagged() {
    let bytes = with_headers(
        "dmarc-reject-fail.eml",
        "Authentication-Results: mx.example.net; spf=fail smtp.mailfrom=dmarc3.spamassassin.org;\n dkim=none; dmarc=fail (p=reject) header.from=dmarc3.spamassassin.org\n",
    );
    let kinds = default_kinds(&parse_bytes(&bytes));
    assert!(kinds.contains(&FactorKind::DmarcFail));
    assert!(kinds.contains(&FactorKind::SpfFail));
}

#[test]
fn dmarc_pass_fixture_not_flagged() {
    let bytes = with_headers(
        "dmarc-reject-pass.eml",
        "Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=dmarc3.spamassassin.org;\n dkim=pass header.d=dmarc3.spamassassin.org; dmarc=pass header.from=dmarc3.spamassassin.org\n",
    );
    let analysis = analyze(&parse_bytes(&bytes), &AnalysisOptions::default());
    assert_eq!(analysis.verdict.class, Class::Clean);
    assert!(analysis.factors.is_empty(), "{:?}", analysis.factors);
}

#[test]
fn exchange_compauth_fail_flagged() {
    let bytes = with_headers(
        "dmarc-reject-fail.eml",
        "Authentication-Results: spf=softfail (sender IP is 192.0.2.9) smtp.mailfrom=dmarc3.spamassassin.org;\n dkim=none (message not signed) header.d=none;dmarc=fail action=quarantine\n header.from=dmarc3.spamassassin.org;compauth=fail reason=000\n",
    );
    let kinds = default_kinds(&parse_bytes(&bytes));
    assert!(kinds.contains(&FactorKind::CompauthFail));
    assert!(kinds.contains(&FactorKind::DmarcFail));
    assert!(kinds.contains(&FactorKind::SpfSoftfail));
}

#[test]
fn only_topmost_auth_header_counts() {
    // The top header says spf=pass and dkim=pass; lower ones with spf=fail and dkim=fail travelled with
    // the message and are ignored.
    let kinds = default_kinds(&parse_fixture("authres.eml"));
    assert!(!kinds.contains(&FactorKind::SpfFail));
    assert!(!kinds.contains(&FactorKind::DkimFail));
}

#[test]
fn from_name_spoof_fixture_flagged() {
    let message = parse_fixture("from-name-spoof.eml");
    let kinds = default_kinds(&message);
    assert!(kinds.contains(&FactorKind::DisplayNameAddress));
    assert!(kinds.contains(&FactorKind::ReplyToMismatch));
}

#[test]
fn brand_display_name_from_other_domain_flagged() {
    let message = parse_bytes(
        b"From: \"DocuSign Electronic Signature\" <dse@mailer.example.net>\r\nTo: user@contoso.com\r\nSubject: Please sign\r\n\r\nA document is waiting.\r\n",
    );
    assert!(default_kinds(&message).contains(&FactorKind::DisplayNameBrand));
    let genuine = parse_bytes(b"From: \"DocuSign\" <dse@docusign.net>\r\nTo: user@contoso.com\r\nSubject: Please sign\r\n\r\nHi\r\n");
    assert!(!default_kinds(&genuine).contains(&FactorKind::DisplayNameBrand));
}

#[test]
fn lookalike_sender_of_protected_domain_flagged() {
    let message = parse_bytes(
        b"From: \"Accounts\" <billing@c0nt0so.com>\r\nTo: user@contoso.com\r\nSubject: Invoice\r\n\r\nPlease see the invoice.\r\n",
    );
    let options = AnalysisOptions { protected_domains: vec!["contoso.com".into()], payment_memory: None, ..Default::default() };
    assert!(kinds_of(&message, &options).contains(&FactorKind::LookalikeSenderDomain));
    assert!(!default_kinds(&message).contains(&FactorKind::LookalikeSenderDomain));
}

#[test]
fn reply_to_freemail_flagged() {
    let message = parse_bytes(
        b"From: \"CEO\" <ceo@contoso.com>\r\nReply-To: ceo.private@gmail.com\r\nTo: ap@contoso.com\r\nSubject: Quick task\r\n\r\nAre you at your desk?\r\n",
    );
    let kinds = default_kinds(&message);
    assert!(kinds.contains(&FactorKind::ReplyToMismatch));
    assert!(kinds.contains(&FactorKind::ReplyToFreemail));
}

#[test]
fn shortener_fixture_flagged() {
    assert!(default_kinds(&parse_fixture("shortened-urls.eml")).contains(&FactorKind::Shortener));
}

#[test]
fn safelinks_wrapped_phishing_link_unwrapped() {
    let message = parse_bytes(
        b"From: \"IT Service Desk\" <it@contoso.com>\r\nTo: user@contoso.com\r\nSubject: Mailbox quota\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n\
          <p>Your mailbox is full.</p><a href=\"https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fmailbox-quota.web.app%2Flogin&amp;data=05%7C02&amp;reserved=0\">Sign in</a>\r\n",
    );
    let analysis = analyze(&message, &AnalysisOptions::default());
    let free_hosting = analysis.factors.iter().find(|factor| factor.factor.kind == FactorKind::FreeHosting).expect("free hosting found");
    assert!(free_hosting.factor.detail.contains("mailbox-quota.web.app"), "{}", free_hosting.factor.detail);
    let kinds: Vec<FactorKind> = analysis.factors.iter().map(|factor| factor.factor.kind).collect();
    assert!(kinds.contains(&FactorKind::CallToActionOffDomain));
    assert!(kinds.contains(&FactorKind::CredentialRequest));
    assert_eq!(analysis.verdict.class, Class::CredentialPhishing);
}

#[test]
fn macro_fixtures_are_malware() {
    for name in ["macro-xlsm.eml", "renamed-macro.eml", "auto-macro-xlsm.eml"] {
        let analysis = analyze(&parse_fixture(name), &AnalysisOptions::default());
        let kinds: Vec<FactorKind> = analysis.factors.iter().map(|factor| factor.factor.kind).collect();
        assert!(kinds.contains(&FactorKind::OfficeMacro), "{name}: {kinds:?}");
        assert_eq!(analysis.verdict.class, Class::Malware, "{name}");
    }
}

#[test]
fn renamed_macro_type_mismatch_flagged() {
    assert!(default_kinds(&parse_fixture("renamed-macro.eml")).contains(&FactorKind::AttachmentTypeMismatch));
}

#[test]
fn workbook_without_macro_not_flagged() {
    assert!(!default_kinds(&parse_fixture("no-macro-xlsx.eml")).contains(&FactorKind::OfficeMacro));
}

#[test]
fn password_zip_fixture_flagged() {
    assert!(default_kinds(&parse_fixture("zip-password-macro.eml")).contains(&FactorKind::ArchiveEncrypted));
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, content) in entries {
        writer.start_file(*name, options).expect("entry starts");
        writer.write_all(content).expect("entry is written");
    }
    writer.finish().expect("archive is finished").into_inner()
}

#[test]
fn nested_archive_with_executable_flagged() {
    let inner = zip_of(&[("setup.exe", b"MZ\x90\x00 not really a program")]);
    let outer = zip_of(&[("readme.txt", b"hello"), ("payload.zip", &inner)]);
    let bytes = message_with_attachment("a@example.org", "See attached.", "invoice.zip", "application/zip", &outer);
    let kinds = default_kinds(&parse_bytes(&bytes));
    assert!(kinds.contains(&FactorKind::ArchiveNested), "{kinds:?}");
    assert!(kinds.contains(&FactorKind::ArchiveExecutable), "{kinds:?}");
}

#[test]
fn archive_entry_limit_enforced() {
    let names: Vec<String> = (0..1001).map(|index| format!("f{index}.txt")).collect();
    let entries: Vec<(&str, &[u8])> = names.iter().map(|name| (name.as_str(), &b"x"[..])).collect();
    let archive = zip_of(&entries);
    let bytes = message_with_attachment("a@example.org", "Files.", "files.zip", "application/zip", &archive);
    assert!(default_kinds(&parse_bytes(&bytes)).contains(&FactorKind::ArchiveLimitExceeded));
}

#[test]
fn double_extension_executable_flagged() {
    let bytes = message_with_attachment("a@example.org", "Invoice.", "invoice.pdf.exe", "application/octet-stream", b"MZ\x90\x00");
    let analysis = analyze(&parse_bytes(&bytes), &AnalysisOptions::default());
    let kinds: Vec<FactorKind> = analysis.factors.iter().map(|factor| factor.factor.kind).collect();
    assert!(kinds.contains(&FactorKind::DoubleExtension));
    assert!(kinds.contains(&FactorKind::ExecutableAttachment));
    assert_eq!(analysis.verdict.class, Class::Malware);
}

#[test]
fn html_attachment_with_password_form_flagged() {
    let page = b"<html><script>var u=atob('aHR0cHM6Ly9leGFtcGxlLm5ldA==')</script><form action=\"https://collect.example.net/p\"><input type=\"password\" name=\"pw\"></form></html>";
    let bytes = message_with_attachment("fax@example.org", "You have a new fax.", "Fax_0142.html", "text/html", page);
    let analysis = analyze(&parse_bytes(&bytes), &AnalysisOptions::default());
    let kinds: Vec<FactorKind> = analysis.factors.iter().map(|factor| factor.factor.kind).collect();
    assert!(kinds.contains(&FactorKind::HtmlAttachment));
    assert!(kinds.contains(&FactorKind::HtmlCredentialForm));
    assert!(kinds.contains(&FactorKind::HtmlScriptRedirect));
    assert_eq!(analysis.verdict.class, Class::CredentialPhishing);
}

#[test]
fn pdf_with_javascript_flagged() {
    let pdf = b"%PDF-1.6\n1 0 obj << /Type /Catalog /OpenAction 2 0 R >> endobj\n2 0 obj << /S /JavaScript /JS (this.exportDataObject()) >> endobj\n%%EOF";
    let bytes = message_with_attachment("a@example.org", "Statement.", "statement.pdf", "application/pdf", pdf);
    let analysis = analyze(&parse_bytes(&bytes), &AnalysisOptions::default());
    let factor = analysis.factors.iter().find(|factor| factor.factor.kind == FactorKind::PdfActiveContent).expect("found");
    assert!(factor.factor.detail.contains("/OpenAction"));
}

/// Renders a QR code of `text` as a PNG with a four-module quiet zone and 8 pixels per module.
fn qr_png(text: &str) -> Vec<u8> {
    let code = qrcode::QrCode::new(text.as_bytes()).expect("text fits a QR code");
    let width = code.width();
    let colors = code.to_colors();
    let scale = 8;
    let side = (width + 8) * scale;
    let mut pixels = image::GrayImage::from_pixel(side as u32, side as u32, image::Luma([255]));
    for y in 0..width {
        for x in 0..width {
            if colors[y * width + x] == qrcode::Color::Dark {
                for dy in 0..scale {
                    for dx in 0..scale {
                        pixels.put_pixel(((x + 4) * scale + dx) as u32, ((y + 4) * scale + dy) as u32, image::Luma([0]));
                    }
                }
            }
        }
    }
    let mut png = Vec::new();
    pixels.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).expect("PNG is encoded");
    png
}

#[test]
fn qr_code_repeated_image_decoded_again() {
    let png = qr_png("https://qr.example/repeat");
    for body in ["First copy.", "Second copy."] {
        let bytes = message_with_attachment("hr@example.org", body, "scan.png", "image/png", &png);
        let analysis = analyze(&parse_bytes(&bytes), &AnalysisOptions::default());
        let qr = analysis.factors.iter().find(|factor| factor.factor.kind == FactorKind::QrCodeLink).expect("QR found");
        assert!(qr.factor.detail.contains("https://qr.example/repeat"), "{}", qr.factor.detail);
    }
}

#[test]
fn qr_code_link_decoded_and_analysed() {
    let png = qr_png("http://203.0.113.5/mfa/reset");
    let bytes = message_with_attachment("hr@example.org", "Scan the code to keep your access.", "scan.png", "image/png", &png);
    let analysis = analyze(&parse_bytes(&bytes), &AnalysisOptions::default());
    let qr = analysis.factors.iter().find(|factor| factor.factor.kind == FactorKind::QrCodeLink).expect("QR found");
    assert!(qr.factor.detail.contains("http://203.0.113.5/mfa/reset"), "{}", qr.factor.detail);
    assert!(analysis.factors.iter().any(|factor| factor.factor.kind == FactorKind::IpLiteralHost));
}

#[test]
fn image_without_qr_code_has_no_link() {
    let blank = image::GrayImage::from_pixel(64, 64, image::Luma([255]));
    let mut png = Vec::new();
    blank.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).expect("PNG is encoded");
    let bytes = message_with_attachment("a@example.org", "Logo.", "logo.png", "image/png", &png);
    assert!(!default_kinds(&parse_bytes(&bytes)).contains(&FactorKind::QrCodeLink));
}

fn supplier_invoice(iban: &str) -> Vec<u8> {
    format!(
        "From: \"Accounts\" <accounts@billing.supplier-example.com>\r\nTo: ap@contoso.com\r\nSubject: Invoice 4471\r\n\r\n\
         Please find invoice 4471 attached. Kindly make the payment to our bank account.\r\nIBAN: {iban}\r\nThank you.\r\n"
    )
    .into_bytes()
}

#[test]
fn changed_iban_of_known_supplier_flagged() {
    let mut memory = PaymentMemory::new();
    memory.remember_message(&parse_bytes(&supplier_invoice("DE89 3704 0044 0532 0130 00")));

    let options = AnalysisOptions { protected_domains: Vec::new(), payment_memory: Some(memory), ..Default::default() };
    let same = analyze(&parse_bytes(&supplier_invoice("DE89 3704 0044 0532 0130 00")), &options);
    assert!(!same.factors.iter().any(|factor| factor.factor.kind == FactorKind::BankDetailsChanged));

    let changed = analyze(&parse_bytes(&supplier_invoice("GB29 NWBK 6016 1331 9268 19")), &options);
    let kinds: Vec<FactorKind> = changed.factors.iter().map(|factor| factor.factor.kind).collect();
    assert!(kinds.contains(&FactorKind::BankDetailsChanged), "{kinds:?}");
    assert!(kinds.contains(&FactorKind::BankAccountDetails));
    assert_eq!(changed.verdict.class, Class::BecFraud);
}

#[test]
fn gift_card_request_is_fraud() {
    let message = parse_bytes(
        b"From: \"Dana (CEO)\" <dana.ceo.office@gmail.com>\r\nTo: user@contoso.com\r\nSubject: Urgent favour\r\n\r\n\
          I need you to buy 5 Apple gift cards of $200 each for a client today. Scratch the card and send me pictures of the codes. Keep this confidential, it is urgent.\r\n",
    );
    let analysis = analyze(&message, &AnalysisOptions::default());
    assert_eq!(analysis.verdict.class, Class::BecFraud, "{:?}", analysis.factors);
}

/// Adds verdict headers in the style of Exchange Online Protection and SpamAssassin.
const UPSTREAM_HEADERS: &str = "X-Forefront-Antispam-Report: CIP:192.0.2.1;CTRY:US;LANG:en;SCL:9;SRV:;IPV:NLI;SFV:SPM;H:mail.example.org;CAT:PHSH;SFTY:9.25\n\
X-Microsoft-Antispam: BCL:9;\n\
X-Microsoft-Antispam-Message-Info: abc\n\
X-MS-Exchange-Organization-SCL: 9\n\
X-Spam-Flag: YES\n\
X-Spam-Status: Yes, score=25.0 required=5.0 tests=PHISHING\n";

#[test]
fn upstream_verdicts_never_change_verdict() {
    for name in ["dkim-pass.eml", "from-name-spoof.eml", "macro-xlsm.eml", "shortened-urls.eml", "html-qp-latin1.eml"] {
        let plain = analyze(&parse_bytes(&fixture_message_bytes(name)), &AnalysisOptions::default());
        let stamped_message = parse_bytes(&with_headers(name, UPSTREAM_HEADERS));
        assert_eq!(stamped_message.upstream_verdicts.len(), 6, "{name}");
        let stamped = analyze(&stamped_message, &AnalysisOptions::default());
        assert_eq!(plain, stamped, "{name}");
    }
}

#[test]
fn strip_upstream_verdicts_keeps_other_bytes() {
    let message = b"From: a@example.com\r\nX-Spam-Status: Yes,\r\n\tscore=9\r\nSubject: hi\r\nX-MS-Exchange-Organization-SCL: 9\r\n\r\nX-Spam-Flag: body line\r\n";
    let stripped = harrier_mail::strip_upstream_verdicts(message);
    assert_eq!(
        String::from_utf8_lossy(&stripped),
        "From: a@example.com\r\nSubject: hi\r\n\r\nX-Spam-Flag: body line\r\n"
    );
    let unchanged = b"From: a@example.com\nSubject: hi\n\nbody\n";
    assert_eq!(harrier_mail::strip_upstream_verdicts(unchanged), unchanged.to_vec());
}

#[test]
fn removing_upstream_headers_keeps_verdict() {
    // These fixtures arrived with X-Spam-* headers of their own.
    for name in ["authres.eml", "gb2312.eml"] {
        let bytes = fixture_message_bytes(name);
        let original = parse_bytes(&bytes);
        assert!(!original.upstream_verdicts.is_empty(), "{name} has upstream verdicts");
        let stripped = harrier_mail::strip_upstream_verdicts(&bytes);
        assert!(stripped.len() < bytes.len(), "{name}");
        let stripped_message = parse_bytes(&stripped);
        assert!(stripped_message.upstream_verdicts.is_empty(), "{name}");
        let before = analyze(&original, &AnalysisOptions::default());
        let after = analyze(&stripped_message, &AnalysisOptions::default());
        assert_eq!(before, after, "{name}");
    }
}

/// Deterministic xorshift bytes, so a failure can be reproduced.
fn pseudo_random_bytes(seed: u64, length: usize) -> Vec<u8> {
    let mut state = seed.max(1);
    (0..length)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

#[test]
fn random_messages_never_panic() {
    for seed in 1..200u64 {
        let bytes = pseudo_random_bytes(seed, (seed as usize * 37) % 4000);
        let _ = analyze(&parse_bytes(&bytes), &AnalysisOptions::default());
        let mut framed = b"From: \"x\" <a@b.example>\r\nSubject: Re: x\r\nContent-Type: text/html\r\n\r\n<a href=\"http://".to_vec();
        framed.extend(&bytes);
        let _ = analyze(&parse_bytes(&framed), &AnalysisOptions { protected_domains: vec!["b.example".into()], payment_memory: Some(PaymentMemory::new()), ..Default::default() });
    }
}

#[test]
fn random_urls_never_panic() {
    for seed in 1..500u64 {
        let noise = String::from_utf8_lossy(&pseudo_random_bytes(seed, (seed as usize * 7) % 300)).into_owned();
        for prefix in ["https://", "http://xn--", "https://nam01.safelinks.protection.outlook.com/?url=", "https://urldefense.com/v3/__", "https://urldefense.proofpoint.com/v2/url?u=", ""] {
            let url = format!("{prefix}{noise}");
            let _ = links::analyze_url(&url, Some(&noise), Some("example.org"), &["example.org".to_string()]);
            let _ = links::unwrap(&url);
        }
    }
}

#[test]
fn random_attachments_never_panic() {
    let prefixes: [&[u8]; 7] = [b"", b"PK\x03\x04", b"%PDF-1.7\n", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", b"\x89PNG\r\n\x1a\n", b"\xFF\xD8\xFF\xE0", b"<html><form"];
    let names = ["a.zip", "b.pdf", "c.doc", "d.png", "e.jpg", "f.html", "g.pdf.exe", "h.rar", ""];
    for seed in 1..120u64 {
        let noise = pseudo_random_bytes(seed, (seed as usize * 131) % 5000);
        for (index, prefix) in prefixes.iter().enumerate() {
            let mut content = prefix.to_vec();
            content.extend(&noise);
            let name = names[(seed as usize + index) % names.len()];
            let bytes = message_with_attachment("a@example.org", "x", name, "application/octet-stream", &content);
            let message = parse_bytes(&bytes);
            for attachment in &message.attachments {
                let _ = attachments::analyze_attachment(attachment, Some("example.org"), &[]);
            }
        }
    }
}

#[test]
fn random_text_never_panics() {
    for seed in 1..300u64 {
        let text = String::from_utf8_lossy(&pseudo_random_bytes(seed, (seed as usize * 53) % 3000)).into_owned();
        let _ = harrier_mail::analysis::language::find_ibans(&text);
        let _ = harrier_mail::analysis::language::find_account_numbers(&text);
        let _ = harrier_mail::analysis::impersonation::lookalike(&text, &["contoso.com".to_string()]);
        let body = format!("From: \"{text}\" <{text}@{text}>\r\nReply-To: {text}\r\nSubject: {text}\r\n\r\n{text} IBAN DE89 {text}\r\n");
        let _ = analyze(&parse_bytes(body.as_bytes()), &AnalysisOptions::default());
    }
}

#[test]
fn sender_header_factors_flagged() {
    let message = parse_bytes(
        "From: \"Prοtocolo 12345678901\" <bradesco-pontos@rewards.example.top>\r\nTo: victim@example.org\r\n\
         Subject: Re: victim@example.org, your points expire\r\n\r\nDear victim@example.org, redeem your points.\r\n"
            .as_bytes(),
    );
    let kinds = default_kinds(&message);
    for expected in [
        FactorKind::DisplayNameNumber,
        FactorKind::BrandInSenderAddress,
        FactorKind::AbusedTldSender,
        FactorKind::ObfuscatedText,
        FactorKind::RecipientInSubject,
        FactorKind::RecipientInBody,
        FactorKind::FakeReply,
    ] {
        assert!(kinds.contains(&expected), "{expected:?} missing from {kinds:?}");
    }
}

#[test]
fn plain_personal_mail_is_clean() {
    let message = parse_bytes(
        b"From: \"Alice Example\" <alice@example.org>\r\nTo: bob@example.net\r\nSubject: Re: lunch\r\nIn-Reply-To: <x@example.net>\r\n\r\nSee you at noon.\r\n",
    );
    let analysis = analyze(&message, &AnalysisOptions::default());
    assert_eq!(analysis.verdict.class, Class::Clean, "{:?}", analysis.factors);
    assert_eq!(analysis.verdict.score, 0);
}

#[test]
fn missing_from_is_malformed_sender() {
    let message = parse_bytes(b"To: bob@example.net\r\nSubject: hello\r\n\r\nbody\r\n");
    assert!(default_kinds(&message).contains(&FactorKind::MalformedSender));
}

#[test]
fn pdf_link_analysed_as_link() {
    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Annot /Subtype /Link /A << /S /URI /URI (https://bit.ly/3abcdef) >> >> endobj\n%%EOF";
    let bytes = message_with_attachment("a@example.org", "Your document.", "doc.pdf", "application/pdf", pdf);
    let kinds = default_kinds(&parse_bytes(&bytes));
    assert!(kinds.contains(&FactorKind::PdfLink), "{kinds:?}");
    assert!(kinds.contains(&FactorKind::Shortener), "{kinds:?}");
    assert!(kinds.contains(&FactorKind::PdfLure), "{kinds:?}");
    // A PDF that links to an ordinary site carries a link, not a lure.
    let plain = b"%PDF-1.4\n1 0 obj << /Type /Annot /Subtype /Link /A << /S /URI /URI (https://www.example.org/terms) >> >> endobj\n%%EOF";
    let bytes = message_with_attachment("a@example.org", "Your document.", "doc.pdf", "application/pdf", plain);
    let kinds = default_kinds(&parse_bytes(&bytes));
    assert!(kinds.contains(&FactorKind::PdfLink), "{kinds:?}");
    assert!(!kinds.contains(&FactorKind::PdfLure), "{kinds:?}");
}

#[test]
fn abused_tld_link_flagged() {
    let factors = links::analyze_url("https://secure-login.example.top/x", None, None, &[]);
    assert!(factors.iter().any(|factor| factor.kind == FactorKind::AbusedTldLink));
}

fn html_message(subject: &str, html: &str) -> Vec<u8> {
    format!(
        "From: \"Shop\" <news@shop.example.org>\r\nTo: user@contoso.com\r\nSubject: {subject}\r\nMessage-ID: <h1@shop.example.org>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
    )
    .into_bytes()
}

#[test]
fn repeated_link_read_with_protected_domains() {
    let message = parse_bytes(&html_message("Invoice", "<p><a href=\"https://contoso-billing.com/pay\">Pay the invoice</a></p>"));
    let lookalike = |options: &AnalysisOptions| {
        analyze(&message, options).factors.iter().any(|factor| factor.factor.kind == FactorKind::LookalikeLinkDomain)
    };
    let protected = AnalysisOptions { protected_domains: vec!["contoso.com".into()], ..Default::default() };
    assert!(!lookalike(&AnalysisOptions::default()));
    assert!(lookalike(&protected));
    assert!(lookalike(&protected));
    assert!(!lookalike(&AnalysisOptions::default()));
}

#[test]
fn hidden_text_block_flagged() {
    let filler = "harvest river window lantern ".repeat(10);
    let html = format!(
        "<html><body><p>Your order is ready.</p><div style=\"DISPLAY: none ; color:#fff\">{filler}\
         <span style=\"font-size:0px\">nested words counted once</span></div></body></html>"
    );
    let message = parse_bytes(&html_message("Order", &html));
    assert_eq!(message.hidden_html_words, 44);
    assert!(default_kinds(&message).contains(&FactorKind::HiddenText));
}

#[test]
fn preheader_and_visible_text_not_hidden() {
    let html = "<html><body><span style=\"display:none !important; max-height:0px; opacity:0\">Our autumn sale starts \
                today with new arrivals in every size</span><p style=\"font-size:14px; opacity:0.9\">Autumn sale: every \
                coat and jacket is reduced until Sunday, in the shop and online.</p></body></html>";
    let message = parse_bytes(&html_message("Sale", html));
    assert_eq!(message.hidden_html_words, 11);
    assert!(!default_kinds(&message).contains(&FactorKind::HiddenText));
}

#[test]
fn invisible_characters_inside_words_flagged() {
    let html = "<p>Your Pay\u{200B}Pal ac\u{200C}\u{200D}count needs to be ver\u{2060}ified today.</p>";
    let analysis = analyze(&parse_bytes(&html_message("Notice", html)), &AnalysisOptions::default());
    let factor = analysis.factors.iter().find(|factor| factor.factor.kind == FactorKind::InvisibleCharacters);
    assert_eq!(factor.map(|factor| factor.factor.count), Some(3), "{:?}", analysis.factors);
}

#[test]
fn emoji_joiners_not_invisible_characters() {
    // A family emoji joins its parts with U+200D, and one zero-width space is below the threshold.
    let html = "<p>Family day \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467} at the lake, bring a pic\u{200B}nic.</p>";
    let kinds = default_kinds(&parse_bytes(&html_message("Weekend", html)));
    assert!(!kinds.contains(&FactorKind::InvisibleCharacters), "{kinds:?}");
}

#[test]
fn reply_to_diverted_when_dmarc_fails() {
    let failed = with_headers(
        "dmarc-reject-fail.eml",
        "Authentication-Results: mx.example.net; spf=fail smtp.mailfrom=dmarc3.spamassassin.org;\n dkim=none; dmarc=fail (p=reject) header.from=dmarc3.spamassassin.org\n\
         Reply-To: claims@payouts.example.net\n",
    );
    let kinds = default_kinds(&parse_bytes(&failed));
    assert!(kinds.contains(&FactorKind::ReplyToDiverted), "{kinds:?}");
    let passed = with_headers(
        "dmarc-reject-pass.eml",
        "Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=dmarc3.spamassassin.org;\n dkim=pass header.d=dmarc3.spamassassin.org; dmarc=pass header.from=dmarc3.spamassassin.org\n\
         Reply-To: claims@payouts.example.net\n",
    );
    let kinds = default_kinds(&parse_bytes(&passed));
    assert!(kinds.contains(&FactorKind::ReplyToMismatch), "{kinds:?}");
    assert!(!kinds.contains(&FactorKind::ReplyToDiverted), "{kinds:?}");
}

#[test]
fn sender_on_app_platform_flagged() {
    let sender_kinds = |from: &str| {
        default_kinds(&parse_bytes(format!("From: Rewards <{from}>\r\nTo: user@contoso.com\r\nSubject: Hi\r\n\r\nHello.\r\n").as_bytes()))
    };
    assert!(sender_kinds("noreply@promo-4f2a1.firebaseapp.com").contains(&FactorKind::SenderOnFreeHosting));
    assert!(sender_kinds("alerts@shop-offers.web.app").contains(&FactorKind::SenderOnFreeHosting));
    for platform_mail in ["noreply@firebaseapp.com", "donotreply@wordpress.com", "news@blog.wordpress.com"] {
        assert!(!sender_kinds(platform_mail).contains(&FactorKind::SenderOnFreeHosting), "{platform_mail}");
    }
}

#[test]
fn spaced_letter_brand_in_display_name() {
    let spaced = parse_bytes(b"From: \"N e t f l i x !\" <billing@account-center.example>\r\nTo: user@contoso.com\r\nSubject: Hi\r\n\r\nHello.\r\n");
    assert!(default_kinds(&spaced).contains(&FactorKind::DisplayNameBrand));
    let initials = parse_bytes(b"From: \"J. R. Smith\" <jr@smith.example>\r\nTo: user@contoso.com\r\nSubject: Hi\r\n\r\nHello.\r\n");
    assert!(!default_kinds(&initials).contains(&FactorKind::DisplayNameBrand));
}

fn text_message(from: &str, extra_headers: &str, subject: &str, body: &str) -> MailMessage {
    parse_bytes(format!("From: {from}\r\nTo: user@contoso.com\r\n{extra_headers}Subject: {subject}\r\n\r\n{body}\r\n").as_bytes())
}

#[test]
fn private_contact_address_flagged() {
    let scam = text_message(
        "Mrs. Example <widow.example@gmail.com>",
        "",
        "Greetings",
        "I have a donation fund for charity. Please contact me at my private email (widow.private@yahoo.com) for details.",
    );
    let analysis = analyze(&scam, &AnalysisOptions::default());
    let factor = analysis.factors.iter().find(|factor| factor.factor.kind == FactorKind::ContactAddressInBody);
    assert_eq!(factor.map(|factor| factor.factor.detail.as_str()), Some("widow.private@yahoo.com"), "{:?}", analysis.factors);

    // The sender's own address, an address quoted in an attribution line and a newsletter's contact line
    // are not requests to write to another mailbox.
    let own = text_message("Ann <ann@gmail.com>", "", "Notes", "Write me at ann@gmail.com if anything changes.");
    let quoted = text_message("Bob <bob@example.org>", "", "Re: build", "On Monday, Carl <carl@gmail.com> wrote:\n> email me the log");
    let newsletter =
        text_message("News <news@example.org>", "", "Issue 4", "Advertise in this issue: contact Dana for details at dana.ads@yahoo.com.");
    for message in [own, quoted, newsletter] {
        let kinds = default_kinds(&message);
        assert!(!kinds.contains(&FactorKind::ContactAddressInBody), "{kinds:?}");
    }
}

#[test]
fn reply_to_another_freemail_mailbox_flagged() {
    let other = text_message("Jane <jane.sender@gmail.com>", "Reply-To: jane.replies@gmail.com\r\n", "Hello", "Hello dear.");
    assert!(default_kinds(&other).contains(&FactorKind::ReplyToFreemail));
    let same = text_message("Jane <jane.sender@gmail.com>", "Reply-To: Jane.Sender@gmail.com\r\n", "Hello", "Hello dear.");
    assert!(!default_kinds(&same).contains(&FactorKind::ReplyToFreemail));
    // Another mailbox at the sender's own company domain is a colleague, not a diversion.
    let company = text_message("Jane <jane@example.org>", "Reply-To: sales@example.org\r\n", "Hello", "Hello.");
    assert!(!default_kinds(&company).contains(&FactorKind::ReplyToFreemail));
}

#[test]
fn callback_scam_number_flagged() {
    let body = "Your yearly membership has been successfully renewed. Amount: $499.99 USD.\n\
                To cancel and claim a refund, call our billing desk on +1 (888) - (555) - (0199).";
    let scam = text_message("Billing <billing.desk.example@gmail.com>", "", "Invoice #4471", body);
    let analysis = analyze(&scam, &AnalysisOptions::default());
    assert!(analysis.factors.iter().any(|factor| factor.factor.kind == FactorKind::CallbackNumber), "{:?}", analysis.factors);
    assert!(analysis.verdict.class.is_threat(), "{:?}", analysis.verdict);

    // The same text with a link is an ordinary order mail: callback scams have nothing to click.
    let with_link = text_message("Shop <orders@example.org>", "", "Invoice #4471", &format!("{body}\nSee https://shop.example.org/orders"));
    assert!(!default_kinds(&with_link).contains(&FactorKind::CallbackNumber));
    let no_order = text_message("Ann <ann@example.org>", "", "Phone", "My new number is 1-800-555-0199.");
    assert!(!default_kinds(&no_order).contains(&FactorKind::CallbackNumber));
}

#[test]
fn forwarded_original_analysed() {
    // A user forwards a lure to a report mailbox: the forward itself comes from a trusted colleague, but the
    // original names a brand from an unrelated domain and requests credentials.
    let body = "Is this real?\n\n________________________________\nFrom: Microsoft 365 <alerts@mailbox-renewal.example>\n\
                Sent: Monday, 2 January 2023 10:00\nTo: Ann <ann@contoso.com>\nSubject: Your password expires today\n\n\
                Your password is expiring. Verify your account to keep your current password.";
    let forward = text_message("Ann <ann@contoso.com>", "", "FW: Your password expires today", body);
    let analysis = analyze(&forward, &AnalysisOptions::default());
    let kinds: Vec<FactorKind> = analysis.factors.iter().map(|factor| factor.factor.kind).collect();
    assert!(kinds.contains(&FactorKind::ForwardedOriginal), "{kinds:?}");
    assert!(kinds.contains(&FactorKind::DisplayNameBrand), "{kinds:?}");
    assert!(analysis.verdict.class.is_threat(), "{:?}", analysis.verdict);

    // Without the forward prefix or a forward marker, a From line in the text is not read as a header block.
    let plain = text_message("Ann <ann@contoso.com>", "", "Your password expires today", body);
    assert!(!default_kinds(&plain).contains(&FactorKind::ForwardedOriginal));
}

#[test]
fn open_redirect_flagged() {
    let factors = |raw: &str, sender: Option<&str>| {
        links::analyze_url(raw, None, sender, &[]).into_iter().map(|factor| factor.kind).collect::<Vec<_>>()
    };
    assert!(factors("https://google.vg/amp/s/prize.example.net?id=5", Some("shop.example")).contains(&FactorKind::OpenRedirect));
    assert!(factors("https://www.bing.com/ck/a?!&&p=abc&u=a1aHR0cHM6Ly9leGFtcGxl", None).contains(&FactorKind::OpenRedirect));
    assert!(factors("https://www.linkedin.com/slink?code=abc", Some("wallet-alerts.example")).contains(&FactorKind::OpenRedirect));
    // The site's own mail links through its own redirects, and other paths are ordinary links.
    assert!(!factors("https://www.linkedin.com/slink?code=abc", Some("linkedin.com")).contains(&FactorKind::OpenRedirect));
    assert!(!factors("https://www.google.com/maps/place/Office", Some("shop.example")).contains(&FactorKind::OpenRedirect));
}

#[test]
fn web_address_as_username_flagged() {
    let factors = |raw: &str| links::analyze_url(raw, None, Some("shop.example"), &[]).into_iter().map(|factor| factor.kind).collect::<Vec<_>>();
    let abused = "https://shop.example/wp-login.php?login=www.promo.blogspot.com%20-%20BONUS%20150%20EURO&key=abc&action=rp";
    assert!(factors(abused).contains(&FactorKind::WebAddressAsUsername));
    let ordinary = "https://shop.example/wp-login.php?login=jane.doe&key=abc&action=rp";
    assert!(!factors(ordinary).contains(&FactorKind::WebAddressAsUsername));
}

/// Builds a first message from an e-signature service to `to`, with `extra_headers` before the subject.
fn signature_request(to: &str, extra_headers: &str, subject: &str) -> MailMessage {
    let headers = format!("From: Sign <service@esign-service.example.com>\r\nTo: {to}\r\n{extra_headers}Subject: {subject}\r\n");
    parse_bytes(format!("{headers}Message-ID: <s1@esign-service.example.com>\r\n\r\nReview and sign.\r\n").as_bytes())
}

#[test]
fn web_address_in_recipient_name_flagged() {
    let kinds = |to: &str| default_kinds(&signature_request(to, "", "Please sign"));
    let slashes = kinds("\"Receive $3,300 | Open //promo.example.net/3Bx \" <user@contoso.com>");
    assert!(slashes.contains(&FactorKind::WebAddressInRecipientName), "{slashes:?}");
    let scheme = kinds("\"Claim at https://prize.example.org\" <user@contoso.com>");
    assert!(scheme.contains(&FactorKind::WebAddressInRecipientName), "{scheme:?}");
    let path = kinds("\"Withdraw funds: transfer1.example.org/claim?id=7\" <user@contoso.com>");
    assert!(path.contains(&FactorKind::WebAddressInRecipientName), "{path:?}");
}

#[test]
fn ordinary_recipient_names_not_flagged() {
    let kinds = |to: &str, extra_headers: &str, subject: &str| default_kinds(&signature_request(to, extra_headers, subject));
    // A domain without a path, Notes-style names and versions, and a business that shows its own site.
    for to in [
        "\"Jane Doe (contoso.com)\" <user@contoso.com>",
        "\"Anna Berg/HR.Nordics/Acme\" <anna@contoso.com>",
        "\"Build 2.0.beta/nightly\" <builds@contoso.com>",
        "\"Hotel Sonne www.hotel-sonne.com\" <info@hotel-sonne.com>",
    ] {
        let found = kinds(to, "", "Booking");
        assert!(!found.contains(&FactorKind::WebAddressInRecipientName), "{to}: {found:?}");
    }
    // Replies keep the name the other side gave itself.
    let reply = kinds("\"Hotel Sonne www.hotel-sonne.com\" <booking@hotel-sonne.de>", "In-Reply-To: <b1@hotel-sonne.de>\r\n", "Re: Booking");
    assert!(!reply.contains(&FactorKind::WebAddressInRecipientName), "{reply:?}");
}

#[test]
fn brand_in_transactional_subject_flagged() {
    let order = text_message("E-Payment <billing@unrelated-shop.example.net>", "", "Your Norton Order Confirmation #NP0012", "Thank you.");
    assert!(default_kinds(&order).contains(&FactorKind::BrandInSubject));
    // The brand's own domain, a reply, and a subject without an order, payment or account word are not.
    let own = text_message("Norton <billing@norton.com>", "", "Your Norton Order Confirmation #NP0012", "Thank you.");
    let reply = text_message("Ann <ann@example.org>", "", "Re: Your Norton order", "Done.");
    let news = text_message("Tech News <news@example.org>", "", "Norton releases a new scanner", "Today.");
    for message in [own, reply, news] {
        let kinds = default_kinds(&message);
        assert!(!kinds.contains(&FactorKind::BrandInSubject), "{kinds:?}");
    }
}

#[test]
fn brand_domain_spoofed_when_dmarc_fails() {
    let failed = text_message(
        "Security <reply@telekom.com>",
        "Authentication-Results: mx.example.net; spf=fail smtp.mailfrom=bulk.example; dmarc=fail header.from=telekom.com\r\n",
        "Sicherheit",
        "Bitte bestätigen.",
    );
    assert!(default_kinds(&failed).contains(&FactorKind::BrandDomainSpoofed));
    let passed = text_message(
        "Security <reply@telekom.com>",
        "Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=telekom.com; dmarc=pass header.from=telekom.com\r\n",
        "Sicherheit",
        "Bitte bestätigen.",
    );
    assert!(!default_kinds(&passed).contains(&FactorKind::BrandDomainSpoofed));
    let other = text_message(
        "Shop <news@shop.example.net>",
        "Authentication-Results: mx.example.net; dmarc=fail header.from=shop.example.net\r\n",
        "News",
        "Hello.",
    );
    assert!(!default_kinds(&other).contains(&FactorKind::BrandDomainSpoofed));
}

fn with_attachment(body: &str, file_name: &str) -> MailMessage {
    let raw = format!(
        "From: Billing <billing@invoices.example.net>\r\nTo: user@contoso.com\r\nSubject: Invoice\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n{body}\r\n\
         --b1\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"{file_name}\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n"
    );
    parse_bytes(raw.as_bytes())
}

#[test]
fn password_for_attachment_flagged() {
    let locked = with_attachment("Your invoice is attached. Senha: 4471", "invoice.pdf");
    let analysis = analyze(&locked, &AnalysisOptions::default());
    let factor = analysis.factors.iter().find(|factor| factor.factor.kind == FactorKind::AttachmentPassword);
    assert_eq!(factor.map(|factor| factor.factor.detail.as_str()), Some("invoice.pdf with password 4471"), "{:?}", analysis.factors);
    // No attachment that can be locked, or no password in the text.
    let image = with_attachment("Your invoice is attached. Password: 4471", "logo.png");
    assert!(!default_kinds(&image).contains(&FactorKind::AttachmentPassword));
    let plain = with_attachment("Your invoice is attached.", "invoice.pdf");
    assert!(!default_kinds(&plain).contains(&FactorKind::AttachmentPassword));
}

#[test]
fn envelope_of_system_account_or_trial_tenant_flagged() {
    let script = text_message("Prefeitura <no-reply@notas.example.com.br>", "Return-Path: <root@localhost.vps.example.net>\r\n", "Nota fiscal", "Baixe a nota.");
    assert!(default_kinds(&script).contains(&FactorKind::EnvelopeSystemAccount));
    let bare = text_message("Prefeitura <no-reply@notas.example.com.br>", "Return-Path: <root@localhost>\r\n", "Nota fiscal", "Baixe a nota.");
    assert!(default_kinds(&bare).contains(&FactorKind::EnvelopeSystemAccount));
    let tenant = text_message("Antivirus <realtime@protect.example.com>", "Return-Path: <x7@Trial4471.onmicrosoft.com>\r\n", "Protect", "Buy now.");
    assert!(default_kinds(&tenant).contains(&FactorKind::EnvelopeTrialTenant));
    // A system account of the From domain itself (cron mail) and a tenant sending as itself are not.
    let cron = text_message("Anacron <root@example.org>", "Return-Path: <root@example.org>\r\n", "Anacron job", "Done.");
    let own = text_message("Team <team@contoso.onmicrosoft.com>", "Return-Path: <team@contoso.onmicrosoft.com>\r\n", "Hello", "Hi.");
    // Exchange Online rewrites the envelope of mail that a tenant forwards with the Sender Rewriting Scheme.
    let forwarded = text_message(
        "Ann <ann@example.org>",
        "Return-Path: <bounces+SRS=a1b2C=XY=example.org=ann@contoso.onmicrosoft.com>\r\n",
        "Minutes",
        "Attached.",
    );
    let bounce = text_message("Shop <news@shop.example.org>", "Return-Path: <bounce-4471@bounces.esp.example>\r\n", "News", "Hi.");
    // The organisation's own web server, whose mail passes DMARC for the From domain.
    let website = text_message(
        "Shop <noreply@shop.example.org>",
        "Return-Path: <www-data@web1.hoster.example.net>\r\nAuthentication-Results: mx.example.net; spf=none; dkim=pass header.d=shop.example.org; dmarc=pass header.from=shop.example.org\r\n",
        "Your order",
        "Thank you.",
    );
    for message in [cron, own, forwarded, bounce, website] {
        let kinds = default_kinds(&message);
        assert!(!kinds.contains(&FactorKind::EnvelopeSystemAccount), "{kinds:?}");
        assert!(!kinds.contains(&FactorKind::EnvelopeTrialTenant), "{kinds:?}");
    }
}

#[test]
fn generated_sender_address_flagged() {
    let bulk = text_message("Casino <lina_Ricky_79748@mail.example.net>", "", "Bonus", "Play.");
    assert!(default_kinds(&bulk).contains(&FactorKind::GeneratedSenderAddress));
    for from in ["Ann <ann_lee@example.org>", "Build <build_bot_2@example.org>", "Ann <ann_lee_1234567@example.org>", "Ann <ann_lee_1987@example.org>"] {
        let kinds = default_kinds(&text_message(from, "", "Hello", "Hi."));
        assert!(!kinds.contains(&FactorKind::GeneratedSenderAddress), "{from}: {kinds:?}");
    }
}

#[test]
fn reply_to_named_for_sender_flagged() {
    let borrowed = text_message(
        "\"Stella Michael\" <m.rossi@shop.example.it>",
        "Reply-To: mrsstellamichael002@gmail.com\r\n",
        "Hello",
        "Kindly confirm that you received my mail.",
    );
    let analysis = analyze(&borrowed, &AnalysisOptions::default());
    assert!(analysis.factors.iter().any(|factor| factor.factor.kind == FactorKind::ReplyToNamedSender), "{:?}", analysis.factors);
    // The From address carries the name too, the Reply-To is an unrelated free mailbox, or a list or a
    // contact form sends on the person's behalf.
    let own = text_message("\"Stella Michael\" <smichael@example.it>", "Reply-To: stella.michael@gmail.com\r\n", "Hello", "Hi.");
    let unrelated = text_message("\"joyful\" <abc88@hotmail.com>", "Reply-To: OneIncomeLiving@groups.msn.com\r\n", "Hello", "Hi.");
    let munged = text_message("\"Jane Doe via Users\" <users@lists.example.org>", "Reply-To: jane.doe@gmail.com\r\n", "Question", "Hi.");
    let form = text_message("\"Jane Doe\" <wordpress@shop.example.org>", "Reply-To: jane.doe@gmail.com\r\n", "Contact form", "Hi.");
    for message in [own, unrelated, munged, form] {
        let kinds = default_kinds(&message);
        assert!(!kinds.contains(&FactorKind::ReplyToNamedSender), "{kinds:?}");
    }
}

#[test]
fn disguised_and_address_named_hosts_flagged() {
    let styled = links::analyze_url("https://\u{1d601}\u{1d5FF}\u{1d5EE}\u{1d5FB}\u{1d600}.uk/x", None, None, &[]);
    assert!(styled.iter().any(|factor| factor.kind == FactorKind::DisguisedHost), "{styled:?}");
    let rented = links::analyze_url("http://188.106.205.92.host.example.net/NotaFiscal", None, None, &[]);
    assert!(rented.iter().any(|factor| factor.kind == FactorKind::IpLiteralHost), "{rented:?}");
    let dashed = links::analyze_url("http://abc.20-218-142-124.cloud.example/", None, None, &[]);
    assert!(dashed.iter().any(|factor| factor.kind == FactorKind::IpLiteralHost), "{dashed:?}");
    let bucket = links::analyze_url("https://claims.s3.us-east-1.amazonaws.com/index.html", None, None, &[]);
    assert!(bucket.iter().any(|factor| factor.kind == FactorKind::FreeHosting), "{bucket:?}");
    // A real internationalised label next to a styled one does not hide it.
    let mixed = links::analyze_url("https://\u{1d601}\u{1d5FF}\u{1d5EE}.m\u{fc}ller.example/", None, None, &[]);
    assert!(mixed.iter().any(|factor| factor.kind == FactorKind::DisguisedHost), "{mixed:?}");
    // None of these fire for plain names, an internationalised domain, a Japanese full stop after the host,
    // three numeric labels, or an S3-like label outside the S3 endpoints.
    for url in [
        "https://www.example.com/",
        "https://m\u{fc}ller.example/",
        "https://example.com\u{3002}",
        "https://1.2.3.example.com/",
        "https://s3cure-files.amazonaws.com/",
    ] {
        let factors = links::analyze_url(url, None, None, &[]);
        assert!(
            !factors.iter().any(|factor| matches!(factor.kind, FactorKind::DisguisedHost | FactorKind::IpLiteralHost | FactorKind::FreeHosting)),
            "{url}: {factors:?}"
        );
    }
}

#[test]
fn styled_letters_in_body_flagged() {
    let styled = text_message("Lottery <news@example.net>", "", "Postcode", "Dear reader, \u{1d414}\u{1d430} \u{1d426}\u{1d41e}\u{1d427}\u{1d422}\u{1d427}\u{1d420} counts.");
    assert!(default_kinds(&styled).contains(&FactorKind::ObfuscatedText));
    let quoted = text_message("Ann <ann@example.org>", "", "Words", "The word Ελλάδα and the café are fine.");
    assert!(!default_kinds(&quoted).contains(&FactorKind::ObfuscatedText));
    let japanese = text_message("Sato <sato@example.co.jp>", "", "Meeting", "よろしくお願いします。\nＴＥＬ：03-1234-5678\nＦＡＸ：03-1234-5679");
    assert!(!default_kinds(&japanese).contains(&FactorKind::ObfuscatedText));
}

#[test]
fn digit_for_letter_in_name_flagged() {
    for name in ["MAILB0X Admin", "Micr0soft Support", "G0ogle Team"] {
        let message = text_message(&format!("{name} <notice@example.net>"), "", "Notice", "Your storage is full.");
        assert!(default_kinds(&message).contains(&FactorKind::ObfuscatedText), "{name}");
    }
}

#[test]
fn product_digits_in_name_not_flagged() {
    // Digits that name a product or version, and digits in a subject, are not look-alike letters.
    for name in ["Fax2Mail", "Win10Pro Support", "Room 101", "B2B Sales", "K10X Team", "MP3 Store", "web01prod Alerts", "PROD01DB Monitor"] {
        let message = text_message(&format!("{name} <desk@example.org>"), "", "Notice", "The report is attached.");
        assert!(!default_kinds(&message).contains(&FactorKind::ObfuscatedText), "{name}");
    }
    // A name copied from the user name of the address.
    let user_name = text_message("Jan1ce <jan1ce@example.org>", "", "Notice", "The report is attached.");
    assert!(!default_kinds(&user_name).contains(&FactorKind::ObfuscatedText));
    let patch = text_message("Dev <dev@example.org>", "", "[PATCH 0/7] au1xmmc updates", "Seven patches follow.");
    assert!(!default_kinds(&patch).contains(&FactorKind::ObfuscatedText));
}

#[test]
fn swapped_l_flagged() {
    let name = text_message("WlNNER Desk <news@example.net>", "", "Gift", "A gift card for you.");
    assert!(default_kinds(&name).contains(&FactorKind::ObfuscatedText));
    let subject = text_message("Team <news@example.net>", "", "WlN a gift card", "A gift card for you.");
    assert!(default_kinds(&subject).contains(&FactorKind::ObfuscatedText));
}

#[test]
fn swapped_l_subject_matches_phrases() {
    let lure = text_message("Team <news@example.net>", "", "Your chance to WlN today", "Open the page.");
    assert!(default_kinds(&lure).contains(&FactorKind::ScamLanguage));
}

#[test]
fn lowercase_l_subject_unchanged() {
    // An l inside a lower-case word is a letter as written, so no phrase is read into the subject.
    let plain = text_message("Team <news@example.net>", "", "Your chance to wln today", "Open the page.");
    assert!(!default_kinds(&plain).contains(&FactorKind::ScamLanguage));
}

#[test]
fn ordinary_capitals_not_flagged() {
    // Names with an inner capital, acronyms and brands written in camel case are ordinary words.
    for (name, subject) in [("Ann McIntyre", "Lunch"), ("Ops", "AI and IoT roadmap"), ("Mac Store", "iPhone and iPad"), ("Ed", "NAILS and TOOLS"), ("Lab", "mIRC logs"), ("WordInfo", "Ditching WordInfo"), ("Dev", "getId returns null"), ("eInvoicing Service", "Invoice"), ("myIdea Labs", "Ideas")] {
        let message = text_message(&format!("{name} <desk@example.org>"), "", subject, "See you then.");
        assert!(!default_kinds(&message).contains(&FactorKind::ObfuscatedText), "{name}: {subject}");
    }
}

#[test]
fn document_declared_as_picture_flagged() {
    let bytes = message_with_attachment("a@example.org", "Invoice.", "invoice.pdf", "image/jpeg", b"not a picture");
    let factors = attachments::analyze(&parse_bytes(&bytes), &[]);
    let factor = factors.iter().find(|factor| factor.kind == FactorKind::AttachmentTypeMismatch);
    assert_eq!(factor.map(|factor| factor.detail.as_str()), Some("invoice.pdf declared as image/jpeg"));
}

#[test]
fn matching_declared_types_not_flagged() {
    // A picture declared as one, a document declared as a document or as generic bytes, an SVG drawing, and
    // a `.txt` name, which is not among the document extensions.
    let cases = [
        ("photo.jpg", "image/jpeg"),
        ("invoice.pdf", "application/pdf"),
        ("invoice.pdf", "application/octet-stream"),
        ("logo.svg", "image/svg+xml"),
        ("notes.txt", "image/png"),
    ];
    for (file_name, content_type) in cases {
        let bytes = message_with_attachment("a@example.org", "Files.", file_name, content_type, b"plain bytes");
        let factors = attachments::analyze(&parse_bytes(&bytes), &[]);
        assert!(!factors.iter().any(|factor| factor.kind == FactorKind::AttachmentTypeMismatch), "{file_name} as {content_type}");
    }
}

#[test]
fn brand_from_freemail_flagged() {
    let receipt = text_message("Billing <billing.desk2291@gmail.com>", "", "Your order has shipped", "PayPal, LLC. Thank you for your purchase.");
    assert!(default_kinds(&receipt).contains(&FactorKind::BrandFromFreemail));
    // The brand's own domain, a reply and a brand named far into a personal letter are not.
    let own = text_message("PayPal <service@paypal.com>", "", "Your order has shipped", "PayPal, LLC. Thank you.");
    let reply = text_message("Ann <ann.example@gmail.com>", "", "Re: PayPal refund", "It arrived.");
    let letter = format!("Hi Bob,\n\n{}\nI finally paid with PayPal.", "We spent the week at the lake. ".repeat(12));
    let letter = text_message("Ann <ann.example@gmail.com>", "", "Holidays", &letter);
    let hyphenated = text_message("Ann <ann.example@gmail.com>", "", "Order follow-ups", "The follow-ups for the order are done.");
    for message in [own, reply, letter, hyphenated] {
        let kinds = default_kinds(&message);
        assert!(!kinds.contains(&FactorKind::BrandFromFreemail), "{kinds:?}");
    }
}

#[test]
fn support_line_of_callback_scam_flagged() {
    let scam = text_message(
        "Billing <billing.desk2291@gmail.com>",
        "",
        "Membership renewed",
        "Your membership will be auto-renewed. You can reach us on our support number +1 818 253 8951 to cancel.",
    );
    let analysis = analyze(&scam, &AnalysisOptions::default());
    let factor = analysis.factors.iter().find(|factor| factor.factor.kind == FactorKind::CallbackNumber);
    assert_eq!(factor.map(|factor| factor.factor.detail.as_str()), Some("+1 818 253 8951"), "{:?}", analysis.factors);
    // A support number without order or charge words, a company's signature, a reply, and a date are not
    // callback lures.
    let plain = text_message("Desk <desk.example@gmail.com>", "", "Office hours", "Reach us on our support number +1 818 253 8951 on weekdays.");
    let signature = text_message("Shop <orders@shop.example.org>", "", "Your order", "Thank you for your order.\n-- \nCall us: +44 20 7946 0958");
    let reply = text_message("Ann <ann.example@gmail.com>", "", "Re: order", "Call us: +44 20 7946 0958 about the order.");
    let date = text_message("Ann <ann.example@gmail.com>", "", "Order", "To cancel, call us before 15.03.2025 12:00.");
    for message in [plain, signature, reply, date] {
        let kinds = default_kinds(&message);
        assert!(!kinds.contains(&FactorKind::CallbackNumber), "{kinds:?}");
    }
}

#[test]
fn brand_order_callback_flagged() {
    // An order in a brand's name from a domain the brand does not own, with a number to call.
    let body = "Your Norton plan is now active. Total paid: $299.00.\nFor any questions, please contact Norton Billing at +1 856-342-1241.";
    let scam = text_message("E-Payment <billing@unrelated-shop.net>", "", "Your Norton order confirmation", body);
    let factor = analyze(&scam, &AnalysisOptions::default()).factors.into_iter().find(|factor| factor.factor.kind == FactorKind::CallbackNumber);
    assert_eq!(factor.map(|factor| factor.factor.detail), Some("+1 856-342-1241".to_string()));
    // The brand's own domain gives its own number.
    let own = text_message("Norton <billing@norton.com>", "", "Your Norton order confirmation", body);
    assert!(!default_kinds(&own).contains(&FactorKind::CallbackNumber));
}

#[test]
fn advance_fee_sum_flagged() {
    let body = "I left a cheque of $ 150.500,00 for you with the reverend of my church. Write to him.";
    let letter = text_message("Jack <jack.example@gmail.com>", "", "HELLO", body);
    let factor = analyze(&letter, &AnalysisOptions::default()).factors.into_iter().find(|factor| factor.factor.kind == FactorKind::AdvanceFeeSum);
    assert_eq!(factor.map(|factor| factor.factor.detail), Some("$ 150.500,00".to_string()));
    let free_reply_to = text_message("Ann <ann@example.org>", "Reply-To: ann.example@yahoo.com\r\n", "Donation", "A gift of 2,500,000 euros awaits you.");
    assert!(default_kinds(&free_reply_to).contains(&FactorKind::AdvanceFeeSum));
}

#[test]
fn bec_opener_flagged() {
    let opener = text_message("Jean Dupont <jean.dupont@example.be>", "", "Urgent: Help needed", "Can you help me out with this? Please let me know if you have a moment.");
    let analysis = analyze(&opener, &AnalysisOptions::default());
    let factor = analysis.factors.iter().find(|factor| factor.factor.kind == FactorKind::BecOpener);
    assert_eq!(factor.map(|factor| factor.factor.detail.as_str()), Some("if you have a moment"));
    assert_eq!(analysis.verdict.class, Class::BecFraud);
}

#[test]
fn bec_opener_typed_forms_flagged() {
    // A typographic apostrophe, and a phrase wrapped across lines.
    let apostrophe = text_message("Jean <jean@example.be>", "", "Hello", "I\u{2019}m in a meeting. Reply here.");
    assert!(default_kinds(&apostrophe).contains(&FactorKind::BecOpener));
    let wrapped = text_message("Jean <jean@example.be>", "", "Hello", "Are you\r\navailable? Reply here.");
    assert!(default_kinds(&wrapped).contains(&FactorKind::BecOpener));
}

#[test]
fn ordinary_requests_not_bec_opener() {
    // A reply, a message with a link, a long message that asks the same, and a colleague.
    let reply = text_message("Ann <ann@example.org>", "", "Re: plan", "Are you available tomorrow?");
    let linked = text_message("Ann <ann@example.org>", "", "Plan", "Are you available? The plan: https://plans.example.org/1");
    let long = format!("Are you available for the meeting? {}", "The agenda has many items to go through. ".repeat(20));
    let invitation = text_message("Ann <ann@example.org>", "", "Meeting", &long);
    let colleague = text_message("Anna <anna@contoso.com>", "", "Urgent: VPN down", "Are you at your desk? The VPN box needs a restart.");
    let report = text_message("Ana <ana@example.com.br>", "", "Relatório", "O relatório mensal já está disponível na pasta.");
    for message in [reply, linked, invitation, colleague, report] {
        let kinds = default_kinds(&message);
        assert!(!kinds.contains(&FactorKind::BecOpener), "{kinds:?}");
    }
}

#[test]
fn known_sender_not_bec_opener() {
    let message = text_message("Jean <jean@example.be>", "", "Urgent", "Are you available? Reply here.");
    let history = HistoryContext::default();
    let kinds = kinds_of(&message, &AnalysisOptions { history: Some(history), ..AnalysisOptions::default() });
    assert!(!kinds.contains(&FactorKind::BecOpener), "{kinds:?}");
    let first = HistoryContext { first_time_recipients: vec!["user@contoso.com".into()], ..HistoryContext::default() };
    let kinds = kinds_of(&message, &AnalysisOptions { history: Some(first), ..AnalysisOptions::default() });
    assert!(kinds.contains(&FactorKind::BecOpener), "{kinds:?}");
}

#[test]
fn ordinary_sums_not_advance_fee() {
    // A company mailbox, a web link, a reply and a small sum.
    let company = text_message("Ann <ann@example.org>", "", "Budget", "The budget is $250,000 this year.");
    let linked = text_message("Ann <ann.example@gmail.com>", "", "House", "We sold it for $350,000: https://homes.example.org/1");
    let reply = text_message("Ann <ann.example@gmail.com>", "", "Re: house", "We sold it for $350,000.");
    let small = text_message("Ann <ann.example@gmail.com>", "", "Rent", "The rent is $1,500 a month.");
    for message in [company, linked, reply, small] {
        let kinds = default_kinds(&message);
        assert!(!kinds.contains(&FactorKind::AdvanceFeeSum), "{kinds:?}");
    }
}

#[test]
fn blank_text_part_leaves_html_as_body() {
    let raw = "From: a@example.org\r\nTo: user@contoso.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n\
               Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/html\r\n\r\n\
               <p>Visible offer text</p>\r\n--b1\r\nContent-Type: text/plain\r\n\r\n \r\n--b1--\r\n";
    let message = parse_bytes(raw.as_bytes());
    assert_eq!(message.text_body, None);
    assert!(message.html_body.as_deref().is_some_and(|html| html.contains("Visible offer text")));
}

#[test]
fn cloud_storage_image_not_free_hosting() {
    let newsletter = html_message(
        "Our autumn catalogue",
        "<img src=\"https://assets.s3.eu-west-1.amazonaws.com/logo.png\"><p>New arrivals.</p>\
         <a href=\"https://shop.example.org/autumn\">See the catalogue</a>",
    );
    let kinds = default_kinds(&parse_bytes(&newsletter));
    assert!(!kinds.contains(&FactorKind::FreeHosting), "{kinds:?}");
    // The same host as a link's destination is free hosting.
    let lure = html_message("Invoice", "<a href=\"https://assets.s3.eu-west-1.amazonaws.com/invoice.html\">View invoice</a>");
    let kinds = default_kinds(&parse_bytes(&lure));
    assert!(kinds.contains(&FactorKind::FreeHosting), "{kinds:?}");
}
