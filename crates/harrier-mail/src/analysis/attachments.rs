//! Attachment analysis: real type against the name, executable and script types, double extensions, HTML
//! pages, Office macros, active PDF content, archives and QR codes in images.

use std::io::{Cursor, Read};

use super::html;
use super::links;
use super::qr;
use super::{Factor, FactorKind, lists, sender_domain};
use crate::attachment::{Attachment, name_extension};
use crate::message::MailMessage;

/// Archive limits against zip bombs and deep nesting.
#[derive(Debug, Clone, Copy)]
pub struct ArchiveLimits {
    /// Entries listed per archive.
    pub max_entries: usize,
    /// Archives opened inside archives, counting the attachment itself as depth 1.
    pub max_depth: usize,
    /// Bytes read from one nested archive entry before it is opened.
    pub max_entry_bytes: u64,
    /// Sum of the declared uncompressed sizes of one archive's entries.
    pub max_total_bytes: u64,
}

/// The limits used by [`analyze`].
pub const ARCHIVE_LIMITS: ArchiveLimits =
    ArchiveLimits { max_entries: 1000, max_depth: 3, max_entry_bytes: 20 * 1024 * 1024, max_total_bytes: 200 * 1024 * 1024 };

/// Document and image extensions that a double extension hides behind (`invoice.pdf.exe`).
const DECOY_EXTENSIONS: &[&str] = &[
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "rtf", "jpg", "jpeg", "png", "gif", "csv", "odt",
    "zip", "mp3", "mp4",
];

/// Archive extensions that this analysis lists (zip) or recognises without listing.
const ARCHIVE_EXTENSIONS: &[&str] = &["zip", "rar", "7z", "gz", "tgz", "bz2", "xz", "tar", "cab", "arj", "ace", "lzh", "z", "zipx"];

/// Analyses every attachment of `message`.
pub fn analyze(message: &MailMessage, protected: &[String]) -> Vec<Factor> {
    let sender = sender_domain(message);
    let mut factors = Vec::new();
    for attachment in &message.attachments {
        factors.extend(analyze_attachment(attachment, sender.as_deref(), protected));
    }
    factors
}

/// Analyses one attachment.
pub fn analyze_attachment(attachment: &Attachment, sender: Option<&str>, protected: &[String]) -> Vec<Factor> {
    let name = attachment.file_name.clone().unwrap_or_default();
    let file_label = if name.is_empty() { "(unnamed)".to_string() } else { name.clone() };
    let extension = name_extension(attachment.file_name.as_deref());
    let content = &attachment.content;
    let mut factors = Vec::new();

    if attachment.extension_mismatch {
        let real = attachment.detected_extension.as_deref().unwrap_or("?");
        factors.push(Factor::new(FactorKind::AttachmentTypeMismatch, format!("{file_label} is {real}")));
    } else if let Some(declared) = media_type_for_document(attachment, extension.as_deref()) {
        factors.push(Factor::new(FactorKind::AttachmentTypeMismatch, format!("{file_label} declared as {declared}")));
    }
    let executable_content = matches!(
        attachment.detected_type.as_deref(),
        Some("application/vnd.microsoft.portable-executable" | "application/x-msdownload" | "application/x-executable" | "application/x-mach-binary" | "application/x-elf")
    );
    if extension.as_ref().is_some_and(|extension| is_risky(extension)) || executable_content {
        factors.push(Factor::new(FactorKind::ExecutableAttachment, file_label.clone()));
    }
    if has_double_extension(&name) {
        factors.push(Factor::new(FactorKind::DoubleExtension, file_label.clone()));
    }

    let is_html = matches!(extension.as_deref(), Some("html" | "htm" | "shtml" | "xhtml" | "mht" | "svg"))
        || (attachment.file_name.is_some() && attachment.declared_type.as_deref() == Some("text/html"));
    if is_html {
        factors.push(Factor::new(FactorKind::HtmlAttachment, file_label.clone()));
        let findings = html::scan(content);
        if findings.credential_form {
            factors.push(Factor::new(FactorKind::HtmlCredentialForm, file_label.clone()));
        }
        if findings.script_or_redirect {
            factors.push(Factor::new(FactorKind::HtmlScriptRedirect, file_label.clone()));
        }
    }

    if content.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) && ole_has_macros(content) {
        factors.push(Factor::new(FactorKind::OfficeMacro, file_label.clone()));
    }
    if content.starts_with(b"PK\x03\x04") {
        let mut archive = ArchiveReport::default();
        scan_zip(content, 1, &ARCHIVE_LIMITS, &mut archive);
        factors.extend(archive.factors(&file_label));
    } else if is_unlisted_archive(attachment, extension.as_deref()) {
        factors.push(Factor::new(FactorKind::ArchiveUnreadable, file_label.clone()));
    }
    if let Some(keys) = pdf_active_keys(content) {
        factors.push(Factor::new(FactorKind::PdfActiveContent, format!("{file_label}: {}", keys.join(" "))));
    }
    for uri in pdf_links(content) {
        factors.push(Factor::new(FactorKind::PdfLink, format!("{file_label}: {uri}")));
        let link_factors = links::analyze_url(&uri, None, sender, protected);
        if link_factors.iter().any(|factor| HIDDEN_DESTINATIONS.contains(&factor.kind)) {
            factors.push(Factor::new(FactorKind::PdfLure, format!("{file_label}: {uri}")));
        }
        factors.extend(link_factors);
    }
    if matches!(attachment.detected_type.as_deref(), Some("image/png" | "image/jpeg")) {
        for decoded in qr::decode_memoized(content) {
            factors.push(Factor::new(FactorKind::QrCodeLink, format!("{file_label}: {decoded}")));
            factors.extend(links::analyze_url(&decoded, None, sender, protected));
        }
    }
    factors
}

/// Link findings that hide where a link goes or put it on a host anyone can publish on. A PDF link with
/// one of them counts as a lure. File shares and forms are left out: proposals and flyers link to them.
const HIDDEN_DESTINATIONS: [FactorKind; 8] = [
    FactorKind::Shortener,
    FactorKind::FreeHosting,
    FactorKind::IpLiteralHost,
    FactorKind::OpenRedirect,
    FactorKind::DisguisedHost,
    FactorKind::PunycodeHost,
    FactorKind::MixedScriptHost,
    FactorKind::LookalikeLinkDomain,
];

/// Extensions of documents and web pages. Mail programs label them with an `application/` or `text/` type,
/// not as a picture, sound or video.
const DOCUMENT_EXTENSIONS: &[&str] = &[
    "pdf", "doc", "docx", "docm", "xls", "xlsx", "xlsm", "ppt", "pptx", "pptm", "odt", "ods", "odp", "rtf", "html",
    "htm", "shtml", "xhtml",
];

/// Returns the declared Content-Type of an attachment named as a document, web page, archive or program
/// while its Content-Type is `image/*`, `audio/*` or `video/*`. A mail program takes both from the same
/// file, so they disagree when a sender sets the type by hand. That shows a picture's icon and preview for
/// a file that is not one, and passes filters that trust the declared type. SVG is left out, because it is
/// both a risky type and a picture (`image/svg+xml`).
fn media_type_for_document<'a>(attachment: &'a Attachment, extension: Option<&str>) -> Option<&'a str> {
    let extension = extension.filter(|extension| *extension != "svg")?;
    let declared = attachment.declared_type.as_deref()?;
    let named_as_document =
        DOCUMENT_EXTENSIONS.contains(&extension) || ARCHIVE_EXTENSIONS.contains(&extension) || is_risky(extension);
    let media = ["image/", "audio/", "video/"].iter().any(|prefix| declared.starts_with(prefix));
    (named_as_document && media).then_some(declared)
}

fn is_risky(extension: &str) -> bool {
    lists::RISKY_EXTENSIONS.iter().any(|risky| risky == extension)
}

/// Returns whether a name hides a risky or unrelated extension behind a document one: `invoice.pdf.exe`,
/// `scan.jpg.html`, or a decoy followed by many spaces.
fn has_double_extension(name: &str) -> bool {
    let lower = name.trim().to_lowercase();
    let parts: Vec<&str> = lower.split('.').collect();
    if parts.len() < 3 {
        return false;
    }
    let outer = parts[parts.len() - 1];
    let inner = parts[parts.len() - 2].trim();
    let decoy = DECOY_EXTENSIONS.contains(&inner);
    let outer_active = is_risky(outer) || matches!(outer, "html" | "htm" | "shtml");
    decoy && outer_active
}

fn is_unlisted_archive(attachment: &Attachment, extension: Option<&str>) -> bool {
    let detected = attachment.detected_extension.as_deref();
    let by_type = matches!(detected, Some("rar" | "7z" | "gz" | "bz2" | "xz" | "cab" | "tar"));
    let by_name = extension.is_some_and(|extension| ARCHIVE_EXTENSIONS.contains(&extension) && extension != "zip");
    by_type || (by_name && detected != Some("zip"))
}

/// Returns whether an OLE compound file has a VBA project: a `Macros`, `_VBA_PROJECT_CUR` or `VBA`
/// storage, as Word, Excel and PowerPoint write them.
fn ole_has_macros(content: &[u8]) -> bool {
    let Ok(file) = cfb::CompoundFile::open(Cursor::new(content)) else { return false };
    file.walk().any(|entry| {
        entry.is_storage() && matches!(entry.name(), "Macros" | "_VBA_PROJECT_CUR" | "VBA" | "_VBA_PROJECT")
    })
}

/// Findings of the archive scan, summed over nested archives.
#[derive(Debug, Default)]
struct ArchiveReport {
    encrypted: Vec<String>,
    nested: Vec<String>,
    executables: Vec<String>,
    macros: Vec<String>,
    limit: Vec<String>,
}

impl ArchiveReport {
    fn factors(self, file_label: &str) -> Vec<Factor> {
        let mut factors = Vec::new();
        let detail = |names: &[String]| format!("{file_label}: {}", names.iter().take(3).cloned().collect::<Vec<_>>().join(" "));
        let mut push = |kind, names: &Vec<String>| {
            if !names.is_empty() {
                factors.push(Factor { kind, detail: detail(names), count: names.len() as u32 });
            }
        };
        push(FactorKind::ArchiveEncrypted, &self.encrypted);
        push(FactorKind::ArchiveNested, &self.nested);
        push(FactorKind::ArchiveExecutable, &self.executables);
        push(FactorKind::OfficeMacro, &self.macros);
        push(FactorKind::ArchiveLimitExceeded, &self.limit);
        factors
    }
}

/// Lists a zip archive and the zip archives inside it. An OOXML document is a zip archive too: a
/// `vbaProject.bin` entry marks its macros.
fn scan_zip(content: &[u8], depth: usize, limits: &ArchiveLimits, report: &mut ArchiveReport) {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(content)) else { return };
    if archive.len() > limits.max_entries {
        report.limit.push(format!("{} entries", archive.len()));
    }
    let mut total: u64 = 0;
    for index in 0..archive.len().min(limits.max_entries) {
        let Ok(entry) = archive.by_index_raw(index) else { continue };
        let name = entry.name().map(|name| name.into_owned()).unwrap_or_default();
        let lower = name.to_lowercase();
        total = total.saturating_add(entry.size());
        if entry.encrypted() {
            report.encrypted.push(name.clone());
        }
        if lower.ends_with("vbaproject.bin") {
            report.macros.push(name.clone());
        }
        let extension = lower.rsplit_once('.').map(|(_, extension)| extension.to_string());
        if extension.as_deref().is_some_and(is_risky) && !lower.ends_with('/') {
            report.executables.push(name.clone());
        }
        let is_archive = extension.as_deref().is_some_and(|extension| ARCHIVE_EXTENSIONS.contains(&extension));
        let is_encrypted = entry.encrypted();
        let size = entry.size();
        drop(entry);
        if !is_archive {
            continue;
        }
        report.nested.push(name.clone());
        if depth >= limits.max_depth {
            report.limit.push(format!("depth {depth} at {name}"));
            continue;
        }
        if is_encrypted || size > limits.max_entry_bytes {
            continue;
        }
        let Ok(entry) = archive.by_index(index) else { continue };
        let mut inner = Vec::new();
        if entry.take(limits.max_entry_bytes).read_to_end(&mut inner).is_ok() && inner.starts_with(b"PK\x03\x04") {
            scan_zip(&inner, depth + 1, limits, report);
        }
    }
    if total > limits.max_total_bytes {
        report.limit.push(format!("{total} bytes uncompressed"));
    }
}

/// PDF name objects that run code or act when the document opens.
const PDF_ACTIVE_KEYS: &[&str] = &["/JavaScript", "/JS", "/Launch", "/OpenAction"];

/// Returns the active-content keys a PDF names, scanning its bytes for the name objects.
///
/// A byte scan finds the keys in plain object dictionaries. Names written with `#xx` escapes are decoded
/// first.
// NOTE: keys inside compressed object streams (PDF 1.5 and later) are not seen, so a PDF that hides its
// `/OpenAction` in an object stream passes this check.
fn pdf_active_keys(content: &[u8]) -> Option<Vec<&'static str>> {
    let start = memchr::memmem::find(&content[..content.len().min(1024)], b"%PDF-")?;
    let body = unescape_pdf_names(&content[start..]);
    let found: Vec<&'static str> = PDF_ACTIVE_KEYS
        .iter()
        .copied()
        .filter(|key| {
            memchr::memmem::find_iter(&body, key.as_bytes()).any(|position| {
                let next = body.get(position + key.len()).copied();
                next.is_none_or(|byte| !byte.is_ascii_alphanumeric())
            })
        })
        .collect();
    (!found.is_empty()).then_some(found)
}

/// Links read from a PDF per attachment; the rest are ignored.
const MAX_PDF_LINKS: usize = 20;

/// Returns the `http` and `https` targets of `/URI (...)` link actions in a PDF's uncompressed objects.
// NOTE: links inside compressed object streams and in encrypted PDFs are not found.
fn pdf_links(content: &[u8]) -> Vec<String> {
    if memchr::memmem::find(&content[..content.len().min(1024)], b"%PDF-").is_none() {
        return Vec::new();
    }
    let mut found: Vec<String> = Vec::new();
    for position in memchr::memmem::find_iter(content, b"/URI") {
        let rest = &content[position + 4..content.len().min(position + 4 + 2048)];
        let Some(open) = rest.iter().position(|byte| !byte.is_ascii_whitespace()) else { continue };
        if rest[open] != b'(' {
            continue;
        }
        let Some(length) = rest[open + 1..].iter().position(|byte| *byte == b')') else { continue };
        let target = String::from_utf8_lossy(&rest[open + 1..open + 1 + length]).replace("\\", "");
        let lower = target.to_ascii_lowercase();
        if (lower.starts_with("http://") || lower.starts_with("https://")) && !found.contains(&target) {
            found.push(target);
            if found.len() >= MAX_PDF_LINKS {
                break;
            }
        }
    }
    found
}

/// Decodes `#xx` hex escapes, which PDF allows inside names (`/J#61vaScript` is `/JavaScript`).
fn unescape_pdf_names(content: &[u8]) -> Vec<u8> {
    let hex = |byte: u8| (byte as char).to_digit(16);
    let mut output = Vec::with_capacity(content.len());
    let mut index = 0;
    while index < content.len() {
        if content[index] == b'#' && index + 2 < content.len()
            && let (Some(high), Some(low)) = (hex(content[index + 1]), hex(content[index + 2])) {
                output.push((high * 16 + low) as u8);
                index += 3;
                continue;
            }
        output.push(content[index]);
        index += 1;
    }
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_extension_needs_decoy_and_active_outer() {
        assert!(has_double_extension("Invoice.pdf.exe"));
        assert!(has_double_extension("scan.jpg.html"));
        assert!(!has_double_extension("report.final.pdf"));
        assert!(!has_double_extension("archive.tar.gz"));
    }

    #[test]
    fn pdf_keys_found_with_escapes() {
        let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog /OpenAction 2 0 R >> endobj\n2 0 obj << /S /J#61vaScript /JS (app.alert(1)) >> endobj";
        assert_eq!(pdf_active_keys(pdf), Some(vec!["/JavaScript", "/JS", "/OpenAction"]));
        assert_eq!(pdf_active_keys(b"%PDF-1.4\n1 0 obj << /Type /Catalog /JSON 3 >> endobj"), None);
        assert_eq!(pdf_active_keys(b"not a pdf /JavaScript"), None);
    }

    #[test]
    fn pdf_links_read_from_uri_actions() {
        let pdf = b"%PDF-1.4\n3 0 obj << /S /URI /URI (https://files.example.net/doc) >> endobj /URI (mailto:x@example.org) /URI";
        assert_eq!(pdf_links(pdf), vec!["https://files.example.net/doc".to_string()]);
    }
}
