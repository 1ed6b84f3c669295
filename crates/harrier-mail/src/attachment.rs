//! Attachment summaries with the real file type read from magic bytes.

use mail_parser::{MessagePart, MimeHeaders, PartType};
use serde::Serialize;

/// One attachment of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// The file name from Content-Disposition or Content-Type, decoded.
    pub file_name: Option<String>,
    /// The declared Content-Type, such as `application/octet-stream`.
    pub declared_type: Option<String>,
    /// Size of the decoded content in bytes.
    pub size: u64,
    /// The MIME type detected from the content's magic bytes by the `infer` crate, when it recognised one.
    pub detected_type: Option<String>,
    /// The usual file extension of the detected type.
    pub detected_extension: Option<String>,
    /// True when the file name has an extension and the detected type belongs to another one.
    pub extension_mismatch: bool,
    /// The decoded content, kept for the attachment analysis and left out of serialised summaries.
    #[serde(skip)]
    pub content: Vec<u8>,
}

/// Extensions of formats that are zip archives inside; `infer` may report any of them for each other.
const ZIP_FAMILY: &[&str] = &[
    "zip", "docx", "docm", "dotx", "dotm", "xlsx", "xlsm", "xltx", "xltm", "pptx", "pptm", "potx", "ppsx",
    "odt", "ods", "odp", "epub", "jar", "apk", "xpi", "vsdx",
];

/// Extensions of formats stored as OLE compound files.
const OLE_FAMILY: &[&str] = &["doc", "dot", "xls", "xlt", "ppt", "pps", "pot", "msg", "msi", "vsd", "pub"];

/// Extensions that name the same type.
const ALIASES: &[(&str, &str)] = &[("jpg", "jpeg"), ("jpe", "jpeg"), ("tif", "tiff"), ("htm", "html"), ("mpeg", "mpg")];

/// Summarises one attachment part.
pub fn summarize(part: &MessagePart<'_>) -> Attachment {
    let content: &[u8] = match &part.body {
        PartType::Binary(bytes) | PartType::InlineBinary(bytes) => bytes,
        PartType::Text(text) | PartType::Html(text) => text.as_bytes(),
        PartType::Message(message) => message.raw_message(),
        PartType::Multipart(_) => &[],
    };
    let file_name = part.attachment_name().map(str::to_string);
    let declared_type = part.content_type().map(|content_type| match content_type.subtype() {
        Some(subtype) => format!("{}/{}", content_type.ctype(), subtype).to_ascii_lowercase(),
        None => content_type.ctype().to_ascii_lowercase(),
    });
    let detected = infer::get(content);
    let detected_extension = detected.map(|kind| kind.extension().to_string());
    let extension_mismatch = match (name_extension(file_name.as_deref()), detected_extension.as_deref()) {
        (Some(named), Some(real)) => !extensions_agree(&named, real),
        _ => false,
    };
    Attachment {
        file_name,
        declared_type,
        size: content.len() as u64,
        detected_type: detected.map(|kind| kind.mime_type().to_string()),
        detected_extension,
        extension_mismatch,
        content: content.to_vec(),
    }
}

pub(crate) fn name_extension(file_name: Option<&str>) -> Option<String> {
    let (_, extension) = file_name?.trim().rsplit_once('.')?;
    (!extension.is_empty()).then(|| extension.to_ascii_lowercase())
}

/// Types that `infer` detects in text that no program runs: PEM armour starts PGP signatures (`.asc`),
/// keys and certificates, whatever the file is named.
const INERT_TEXT: &[&str] = &["pem"];

/// Returns whether a file named with `named` may hold content that `infer` reports as `real`.
fn extensions_agree(named: &str, real: &str) -> bool {
    let same_family = |family: &[&str]| family.contains(&named) && family.contains(&real);
    named == real
        || INERT_TEXT.contains(&real)
        || same_family(ZIP_FAMILY)
        || same_family(OLE_FAMILY)
        || ALIASES.iter().any(|&(a, b)| (named, real) == (a, b) || (named, real) == (b, a))
}
