//! Part-level rewriting of a message: locking chosen links, replacing dangerous attachments and adding a
//! warning banner, while every part that does not change keeps its bytes.
//!
//! mail-parser gives each MIME part's byte range in the message. A part that changes is cut out and a new
//! one with its own headers is spliced in its place, so boundaries, preambles, nested messages and the
//! parts left alone stay exactly as they were. New part bodies are base64, which cannot contain a
//! boundary line. When the top-level part itself changes (a single-part message), its new
//! `Content-Type` and `Content-Transfer-Encoding` are returned for the milter to set with header
//! changes, because the milter can replace only the body.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mail_parser::{MessageParser, MessagePart, MimeHeaders, PartType};

/// The changes to make in a message.
#[derive(Clone, Debug, Default)]
pub struct RewritePlan {
    /// Each locked link: the URL as written in the message, and its link-lock URL.
    pub links: HashMap<String, String>,
    /// Each attachment to neutralise, by file name, with the reasons to write in its note.
    pub attachments: HashMap<String, Vec<String>>,
    /// A warning shown at the top of the message's text and HTML bodies.
    pub banner: Option<String>,
}

impl RewritePlan {
    pub fn is_empty(&self) -> bool {
        self.links.is_empty() && self.attachments.is_empty() && self.banner.is_none()
    }
}

/// The rewritten body and the top-level header values to set.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rewritten {
    /// The whole new body (everything after the top-level header block).
    pub body: Vec<u8>,
    /// Top-level headers to set, name and value, when the top-level part itself was replaced.
    pub headers: Vec<(String, String)>,
    /// The locked links that were found and rewritten.
    pub links_rewritten: Vec<String>,
    /// The attachments that were replaced, by file name.
    pub attachments_replaced: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RewriteError {
    #[error("the message cannot be parsed as MIME")]
    Unparsable,
    #[error("the HTML part {part} cannot be rewritten: {message}")]
    Html { part: usize, message: String },
}

/// Largest line of base64 in a new part, in characters (RFC 2045 allows 76).
const BASE64_LINE: usize = 76;

/// A replacement for one part.
struct NewPart {
    /// Headers that replace the part's own Content-Type, Content-Transfer-Encoding and, for a replaced
    /// attachment, Content-Disposition.
    headers: Vec<(&'static str, String)>,
    /// The decoded new content.
    content: Vec<u8>,
    replaces_disposition: bool,
}

/// Rewrites `raw`, the whole message. Returns `None` when the plan changes nothing in it.
pub fn rewrite(raw: &[u8], plan: &RewritePlan) -> Result<Option<Rewritten>, RewriteError> {
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(RewriteError::Unparsable)?;
    let root_body = message
        .parts
        .first()
        .map_or(raw.len(), |root| root.offset_body as usize)
        .min(raw.len());
    let matcher = UrlMatcher::new(&plan.links);
    let mut result = Rewritten::default();
    let mut splices: Vec<(usize, usize, Vec<u8>)> = Vec::new();

    for (index, part) in message.parts.iter().enumerate() {
        let id = index as u32;
        let is_attachment = message.attachments.contains(&id);
        let displayed = message.text_body.contains(&id) || message.html_body.contains(&id);
        let new_part = if is_attachment {
            neutralise(part, plan, &mut result)
        } else {
            match &part.body {
                PartType::Html(html) => {
                    let banner = plan.banner.as_deref().filter(|_| displayed);
                    rewrite_html(html, &matcher, banner, &mut result).map_err(|message| {
                        RewriteError::Html {
                            part: index,
                            message,
                        }
                    })?
                }
                // NOTE: parts inside an attached message (message/rfc822) are left as they are, so links and
                // attachments in a forwarded message are not locked or replaced.
                PartType::Text(text) if is_plain(part) => {
                    let banner = plan.banner.as_deref().filter(|_| displayed);
                    rewrite_text(text, &matcher, banner, &mut result)
                }
                _ => None,
            }
        };
        let Some(new_part) = new_part else { continue };
        let body = encode_base64(&new_part.content);
        if index == 0 {
            result.headers = new_part
                .headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), v.clone()))
                .collect();
            splices.push((root_body, raw.len(), body));
        } else {
            let start = part.offset_header as usize;
            let header_end = (part.offset_body as usize).min(raw.len());
            let mut bytes = kept_headers(&raw[start..header_end], new_part.replaces_disposition);
            for (name, value) in &new_part.headers {
                bytes.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
            }
            bytes.extend_from_slice(b"\r\n");
            bytes.extend_from_slice(&body);
            splices.push((start, (part.offset_end as usize).min(raw.len()), bytes));
        }
    }
    if splices.is_empty() {
        return Ok(None);
    }

    splices.sort_by_key(|(start, _, _)| *start);
    let mut whole = Vec::with_capacity(raw.len());
    let mut cursor = 0;
    for (start, end, bytes) in splices {
        if start < cursor {
            continue;
        }
        whole.extend_from_slice(&raw[cursor..start]);
        whole.extend_from_slice(&bytes);
        cursor = end;
    }
    whole.extend_from_slice(&raw[cursor..]);
    result.body = whole.split_off(root_body.min(whole.len()));
    Ok(Some(result))
}

fn is_plain(part: &MessagePart<'_>) -> bool {
    part.content_type()
        .is_none_or(|ct| ct.subtype().is_none_or(|s| s.eq_ignore_ascii_case("plain")))
}

/// Finds locked URLs in text, longest first where one URL starts another.
struct UrlMatcher<'a> {
    links: &'a HashMap<String, String>,
    urls: Vec<&'a String>,
    automaton: Option<AhoCorasick>,
}

impl<'a> UrlMatcher<'a> {
    fn new(links: &'a HashMap<String, String>) -> UrlMatcher<'a> {
        let urls: Vec<&String> = links.keys().collect();
        let automaton = (!urls.is_empty())
            .then(|| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&urls)
                    .ok()
            })
            .flatten();
        UrlMatcher {
            links,
            urls,
            automaton,
        }
    }

    /// Replaces every locked URL in `text` and records which were found.
    fn replace(&self, text: &str, found: &mut Vec<String>) -> Option<String> {
        let automaton = self.automaton.as_ref()?;
        let mut out = String::with_capacity(text.len());
        let mut cursor = 0;
        for hit in automaton.find_iter(text) {
            let url = self.urls[hit.pattern().as_usize()];
            out.push_str(&text[cursor..hit.start()]);
            out.push_str(&self.links[url]);
            cursor = hit.end();
            note(found, url);
        }
        if cursor == 0 {
            return None;
        }
        out.push_str(&text[cursor..]);
        Some(out)
    }

    /// Returns the lock URL for an `href` value, compared after trimming and undoing `&amp;`.
    fn lock_for(&self, href: &str) -> Option<(&'a String, &'a String)> {
        let href = href.trim();
        let unescaped = href.replace("&amp;", "&");
        self.links
            .get_key_value(href)
            .or_else(|| self.links.get_key_value(unescaped.as_str()))
    }
}

fn note(found: &mut Vec<String>, url: &str) {
    if !found.iter().any(|u| u == url) {
        found.push(url.to_owned());
    }
}

fn rewrite_text(
    text: &str,
    matcher: &UrlMatcher<'_>,
    banner: Option<&str>,
    result: &mut Rewritten,
) -> Option<NewPart> {
    let replaced = matcher.replace(text, &mut result.links_rewritten);
    if replaced.is_none() && banner.is_none() {
        return None;
    }
    let mut content = String::new();
    if let Some(banner) = banner {
        content.push_str(&format!("[{banner}]\r\n\r\n"));
    }
    content.push_str(replaced.as_deref().unwrap_or(text));
    Some(text_part("text/plain; charset=utf-8", content))
}

fn rewrite_html(
    html: &str,
    matcher: &UrlMatcher<'_>,
    banner: Option<&str>,
    result: &mut Rewritten,
) -> Result<Option<NewPart>, String> {
    use lol_html::html_content::ContentType;
    use lol_html::{RewriteStrSettings, element, rewrite_str};

    let found = std::cell::RefCell::new(Vec::new());
    let banner_placed = std::cell::Cell::new(false);
    let banner_html = banner.map(|text| {
        format!(
            "<div style=\"border:2px solid #b00;padding:8px;margin:0 0 12px 0;color:#b00;font-family:sans-serif\">{}</div>",
            escape_html(text)
        )
    });
    let rewritten = rewrite_str(
        html,
        RewriteStrSettings::new()
            .append_element_content_handler(element!("a[href], area[href]", |el| {
                if let Some(href) = el.get_attribute("href")
                    && let Some((url, lock)) = matcher.lock_for(&href)
                {
                    el.set_attribute("href", lock)?;
                    note(&mut found.borrow_mut(), url);
                }
                Ok(())
            }))
            .append_element_content_handler(element!("body", |el| {
                if let Some(banner) = &banner_html {
                    el.prepend(banner, ContentType::Html);
                    banner_placed.set(true);
                }
                Ok(())
            })),
    )
    .map_err(|error| error.to_string())?;
    let found = found.into_inner();
    if found.is_empty() && banner_html.is_none() {
        return Ok(None);
    }
    for url in found {
        note(&mut result.links_rewritten, &url);
    }
    let content = match (&banner_html, banner_placed.get()) {
        (Some(banner), false) => format!("{banner}{rewritten}"),
        _ => rewritten,
    };
    Ok(Some(text_part("text/html; charset=utf-8", content)))
}

fn text_part(content_type: &str, content: String) -> NewPart {
    NewPart {
        headers: vec![
            ("Content-Type", content_type.to_owned()),
            ("Content-Transfer-Encoding", "base64".to_owned()),
        ],
        content: content.into_bytes(),
        replaces_disposition: false,
    }
}

/// Builds the safe replacement of a planned attachment: HTML becomes its source as inert text/plain, and
/// anything else becomes a note naming what was removed and why.
fn neutralise(
    part: &MessagePart<'_>,
    plan: &RewritePlan,
    result: &mut Rewritten,
) -> Option<NewPart> {
    let name = part.attachment_name().unwrap_or_default().to_owned();
    let reasons = plan.attachments.get(&name)?;
    let declared = part
        .content_type()
        .map(|ct| format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("")).to_ascii_lowercase())
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let shown = if name.is_empty() {
        "(unnamed)".to_owned()
    } else {
        name.clone()
    };
    let why = if reasons.is_empty() {
        "it looks dangerous".to_owned()
    } else {
        reasons.join("; ")
    };
    let is_html = matches!(part.body, PartType::Html(_)) || declared == "text/html" || {
        let lower = name.to_ascii_lowercase();
        lower.ends_with(".html") || lower.ends_with(".htm")
    };

    let (content, suffix) = if is_html {
        let source = match &part.body {
            PartType::Html(html) | PartType::Text(html) => html.to_string(),
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
                String::from_utf8_lossy(bytes).into_owned()
            }
            _ => String::new(),
        };
        let text = format!(
            "harrier replaced the HTML attachment \"{shown}\" with this plain-text copy of its source, because: {why}.\r\n\
             The original could run scripts or show a sign-in form. Nothing in this text runs.\r\n\
             ----------------------------------------------------------------------\r\n{source}"
        );
        (text, ".txt")
    } else {
        let size = part.contents().len();
        let text = format!(
            "harrier removed the attachment \"{shown}\" ({declared}, {size} bytes), because: {why}.\r\n\
             The file was not delivered. Ask your security team for it if you expected it.\r\n"
        );
        (text, ".removed.txt")
    };
    let file_name = format!("{}{suffix}", safe_file_name(&shown));
    note(&mut result.attachments_replaced, &name);
    Some(NewPart {
        headers: vec![
            (
                "Content-Type",
                format!("text/plain; charset=utf-8; name=\"{file_name}\""),
            ),
            (
                "Content-Disposition",
                format!("attachment; filename=\"{file_name}\""),
            ),
            ("Content-Transfer-Encoding", "base64".to_owned()),
        ],
        content: content.into_bytes(),
        replaces_disposition: true,
    })
}

/// Makes a file name safe inside a quoted header parameter: ASCII letters, digits, `.`, `-` and `_`.
fn safe_file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Returns a part's header block without the headers a replacement sets, ending before the blank line.
fn kept_headers(block: &[u8], drop_disposition: bool) -> Vec<u8> {
    let text = String::from_utf8_lossy(block);
    let mut kept = String::new();
    let mut keeping = false;
    for line in text.split_inclusive('\n') {
        if line.trim_end_matches(['\r', '\n']).is_empty() {
            break;
        }
        if !line.starts_with([' ', '\t']) {
            let name = line
                .split(':')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            keeping = !(name == "content-type"
                || name == "content-transfer-encoding"
                || (drop_disposition && name == "content-disposition"));
        }
        if keeping {
            kept.push_str(line);
            if !line.ends_with('\n') {
                kept.push_str("\r\n");
            }
        }
    }
    kept.into_bytes()
}

fn encode_base64(content: &[u8]) -> Vec<u8> {
    let encoded = STANDARD.encode(content);
    let mut out = Vec::with_capacity(encoded.len() + encoded.len() / BASE64_LINE * 2 + 2);
    for (index, line) in encoded.as_bytes().chunks(BASE64_LINE).enumerate() {
        if index > 0 {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(line);
    }
    out.extend_from_slice(b"\r\n");
    out
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MULTIPART: &str = "From: a@example.com\r\nTo: b@example.org\r\nSubject: t\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\npreamble\r\n--XX\r\n\
Content-Type: text/plain; charset=us-ascii\r\n\r\nGo to http://bad.example/login now or see https://good.example/.\r\n\
--XX\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename=\"form.html\"\r\n\r\n\
<form><input type=password></form>\r\n--XX--\r\nepilogue\r\n";

    fn parse(raw: &[u8]) -> mail_parser::Message<'_> {
        MessageParser::default()
            .parse(raw)
            .expect("the rewritten message parses")
    }

    fn whole(raw: &str, rewritten: &Rewritten) -> Vec<u8> {
        let split = raw.find("\r\n\r\n").expect("a header block") + 4;
        let mut bytes = raw.as_bytes()[..split].to_vec();
        bytes.extend_from_slice(&rewritten.body);
        bytes
    }

    #[test]
    fn locks_only_chosen_link() {
        let plan = RewritePlan {
            links: HashMap::from([(
                "http://bad.example/login".to_owned(),
                "https://lock.test/l/TOKEN".to_owned(),
            )]),
            ..RewritePlan::default()
        };
        let rewritten = rewrite(MULTIPART.as_bytes(), &plan)
            .expect("rewrites")
            .expect("changes something");
        assert_eq!(
            rewritten.links_rewritten,
            vec!["http://bad.example/login".to_owned()]
        );
        let bytes = whole(MULTIPART, &rewritten);
        let message = parse(&bytes);
        let text = message.body_text(0).expect("a text body");
        assert!(text.contains("https://lock.test/l/TOKEN now"), "{text}");
        assert!(text.contains("https://good.example/"), "{text}");
        assert!(!text.contains("bad.example"), "{text}");
        let rendered = String::from_utf8_lossy(&bytes);
        assert!(
            rendered.contains("preamble\r\n--XX\r\n"),
            "the preamble stays"
        );
        assert!(
            rendered.contains("<form><input type=password></form>"),
            "the attachment stays"
        );
        assert!(
            rendered.ends_with("--XX--\r\nepilogue\r\n"),
            "the epilogue stays"
        );
    }

    #[test]
    fn html_attachment_becomes_text() {
        let plan = RewritePlan {
            attachments: HashMap::from([(
                "form.html".to_owned(),
                vec!["html_credential_form: form.html".to_owned()],
            )]),
            ..RewritePlan::default()
        };
        let rewritten = rewrite(MULTIPART.as_bytes(), &plan)
            .expect("rewrites")
            .expect("changes something");
        assert_eq!(rewritten.attachments_replaced, vec!["form.html".to_owned()]);
        let bytes = whole(MULTIPART, &rewritten);
        let message = parse(&bytes);
        let attachment = message.attachment(0).expect("the replacement attachment");
        assert_eq!(attachment.attachment_name(), Some("form.html.txt"));
        let content_type = attachment.content_type().expect("a content type");
        assert_eq!(content_type.subtype(), Some("plain"));
        let text = String::from_utf8_lossy(attachment.contents()).into_owned();
        assert!(text.contains("html_credential_form"), "{text}");
        assert!(
            text.contains("<form><input type=password></form>"),
            "the source is kept as text: {text}"
        );
        assert!(
            message
                .body_text(0)
                .is_some_and(|t| t.contains("http://bad.example/login")),
            "the text part stays"
        );
    }

    #[test]
    fn single_part_html_sets_headers() {
        let raw = "From: a@example.com\r\nContent-Type: text/html; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
<html><body><p>Hi</p><a href=3D\"http://bad.example/x?a=3D1&amp;b=3D2\">x</a><a href=3D\"http://ok.example/\">y</a></body></html>\r\n";
        let plan = RewritePlan {
            links: HashMap::from([(
                "http://bad.example/x?a=1&b=2".to_owned(),
                "https://lock.test/l/T".to_owned(),
            )]),
            banner: Some("Warning: <spoofed> sender".to_owned()),
            ..RewritePlan::default()
        };
        let rewritten = rewrite(raw.as_bytes(), &plan)
            .expect("rewrites")
            .expect("changes something");
        assert!(
            rewritten
                .headers
                .contains(&("Content-Transfer-Encoding".to_owned(), "base64".to_owned()))
        );
        let mut bytes = b"From: a@example.com\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n".to_vec();
        bytes.extend_from_slice(&rewritten.body);
        let message = parse(&bytes);
        let html = message.body_html(0).expect("an HTML body");
        assert!(html.contains("href=\"https://lock.test/l/T\""), "{html}");
        assert!(html.contains("href=\"http://ok.example/\""), "{html}");
        assert!(
            html.contains("<body><div"),
            "the banner opens the body: {html}"
        );
        assert!(
            html.contains("&lt;spoofed&gt;"),
            "the banner is escaped: {html}"
        );
    }

    #[test]
    fn nothing_planned_changes_nothing() {
        let plan = RewritePlan {
            links: HashMap::from([(
                "http://absent.example/".to_owned(),
                "https://lock.test/l/T".to_owned(),
            )]),
            ..RewritePlan::default()
        };
        assert_eq!(
            rewrite(MULTIPART.as_bytes(), &plan).expect("rewrites"),
            None
        );
    }
}
