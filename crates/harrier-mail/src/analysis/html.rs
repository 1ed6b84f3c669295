//! Byte-level checks of HTML attachments.
//!
//! A case-insensitive substring scan is enough here and is used on purpose: phishing pages hide their
//! markup in ways an HTML parser would normalise away (script-built forms, `atob` payloads), and the
//! presence of the markers is the signal.

/// The active content found in an HTML attachment.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct HtmlFindings {
    /// A `<form` element or a password input.
    pub credential_form: bool,
    /// A script, meta refresh or `location` redirect, or script-decoded content.
    pub script_or_redirect: bool,
}

/// Maximum number of bytes scanned.
const MAX_SCAN_BYTES: usize = 8 * 1024 * 1024;

const FORM_MARKERS: &[&str] = &["<form", "type=\"password\"", "type='password'", "type=password"];
const SCRIPT_MARKERS: &[&str] = &[
    "<script",
    "http-equiv=\"refresh\"",
    "http-equiv='refresh'",
    "http-equiv=refresh",
    "window.location",
    "location.href",
    "location.replace",
    "document.location",
    "atob(",
    "unescape(",
    "document.write(",
    "eval(",
];

/// Scans HTML content for forms, password fields, scripts and redirects.
pub fn scan(content: &[u8]) -> HtmlFindings {
    let content = &content[..content.len().min(MAX_SCAN_BYTES)];
    let lower: Vec<u8> = content.iter().map(u8::to_ascii_lowercase).collect();
    let contains = |marker: &str| memchr::memmem::find(&lower, marker.as_bytes()).is_some();
    HtmlFindings {
        credential_form: FORM_MARKERS.iter().any(|marker| contains(marker)),
        script_or_redirect: SCRIPT_MARKERS.iter().any(|marker| contains(marker)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_password_form_and_redirect() {
        let page = b"<HTML><FORM action=x><input TYPE=\"password\"></form><meta http-equiv=\"Refresh\" content=0></html>";
        assert_eq!(scan(page), HtmlFindings { credential_form: true, script_or_redirect: true });
    }

    #[test]
    fn plain_html_has_no_findings() {
        assert_eq!(scan(b"<html><body><p>Minutes attached</p></body></html>"), HtmlFindings::default());
    }
}
