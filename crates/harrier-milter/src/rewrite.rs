//! Part-level rewriting of a message: locking chosen links, replacing dangerous attachments and adding a
//! warning banner, while every part that does not change keeps its bytes.
//!
//! mail-parser gives each MIME part's byte range in the message. A part that changes is cut out and a new
//! one with its own headers is spliced in its place, so boundaries, preambles and the parts left alone
//! stay exactly as they were. New part bodies are base64, which cannot contain a boundary line. The parts
//! of an attached message (message/rfc822) are rewritten the same way, except that an attached message
//! sent in base64 or quoted-printable is re-encoded whole as base64 once one of its parts changes. When
//! the top-level part itself changes (a single-part message), its new `Content-Type` and
//! `Content-Transfer-Encoding` are returned for the milter to set with header changes, because the
//! milter can replace only the body.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use harrier_mail::MAX_ATTACHED_MESSAGE_DEPTH;
use mail_parser::{Encoding, Message, MessageParser, MessagePart, MimeHeaders, PartType};

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
    /// Headers that replace the part's own headers of the same names.
    headers: Vec<(&'static str, String)>,
    /// The decoded new content.
    content: Vec<u8>,
}

/// One change: the byte range `start..end` of a buffer is replaced by `bytes`.
struct Splice {
    start: usize,
    end: usize,
    bytes: Vec<u8>,
}

/// The plan and the state shared by every level of attached messages.
struct Rewriter<'a> {
    plan: &'a RewritePlan,
    matcher: UrlMatcher<'a>,
    result: Rewritten,
}

/// Rewrites `raw`, the whole message. Returns `None` when the plan changes nothing in it.
///
/// Attached messages (message/rfc822 parts) are rewritten too, down to
/// [`harrier_mail::MAX_ATTACHED_MESSAGE_DEPTH`] levels, the depth the analysis reads. The banner goes
/// into the outer message only.
pub fn rewrite(raw: &[u8], plan: &RewritePlan) -> Result<Option<Rewritten>, RewriteError> {
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(RewriteError::Unparsable)?;
    let root_body = message
        .parts
        .first()
        .map_or(raw.len(), |root| root.offset_body as usize)
        .min(raw.len());
    let mut rewriter = Rewriter {
        plan,
        matcher: UrlMatcher::new(&plan.links),
        result: Rewritten::default(),
    };
    let mut splices = Vec::new();
    rewriter.rewrite_parts(raw, &message, 0, &mut splices)?;
    if splices.is_empty() {
        return Ok(None);
    }

    let mut whole = apply(raw, splices);
    let mut result = rewriter.result;
    result.body = whole.split_off(root_body.min(whole.len()));
    Ok(Some(result))
}

impl Rewriter<'_> {
    /// Collects the splices that rewrite the parts of `message`, whose offsets index `buffer`, and of the
    /// messages attached to it. `depth` counts the attached messages around `message`.
    fn rewrite_parts(
        &mut self,
        buffer: &[u8],
        message: &Message<'_>,
        depth: usize,
        splices: &mut Vec<Splice>,
    ) -> Result<(), RewriteError> {
        for (index, part) in message.parts.iter().enumerate() {
            let id = index as u32;
            let is_attachment = message.attachments.contains(&id);
            let displayed = depth == 0
                && (message.text_body.contains(&id) || message.html_body.contains(&id));
            let banner = self.plan.banner.as_deref().filter(|_| displayed);
            let mut new_part = if is_attachment {
                neutralise(part, self.plan, &mut self.result)
            } else {
                None
            };
            if new_part.is_none() {
                new_part = match &part.body {
                    PartType::Message(attached) if depth < MAX_ATTACHED_MESSAGE_DEPTH => {
                        self.rewrite_attached(buffer, part, attached, depth + 1, splices)?
                    }
                    PartType::Html(html) if !is_attachment => {
                        rewrite_html(html, &self.matcher, banner, &mut self.result).map_err(
                            |message| RewriteError::Html {
                                part: index,
                                message,
                            },
                        )?
                    }
                    PartType::Text(text) if !is_attachment && is_plain(part) => {
                        rewrite_text(text, &self.matcher, banner, &mut self.result)
                    }
                    _ => None,
                };
            }
            let Some(new_part) = new_part else { continue };
            let body = encode_base64(&new_part.content);
            if depth == 0 && index == 0 {
                // The milter sets the top-level headers itself, so only the body is spliced here.
                self.result.headers = new_part
                    .headers
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), v.clone()))
                    .collect();
                let root_body = (part.offset_body as usize).min(buffer.len());
                splices.push(Splice {
                    start: root_body,
                    end: buffer.len(),
                    bytes: body,
                });
            } else {
                let start = (part.offset_header as usize).min(buffer.len());
                let header_end = (part.offset_body as usize).clamp(start, buffer.len());
                let replaced: Vec<&str> = new_part.headers.iter().map(|(name, _)| *name).collect();
                let mut bytes = kept_headers(&buffer[start..header_end], &replaced);
                for (name, value) in &new_part.headers {
                    bytes.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
                }
                bytes.extend_from_slice(b"\r\n");
                bytes.extend_from_slice(&body);
                let end = (part.offset_end as usize).clamp(start, buffer.len());
                splices.push(Splice { start, end, bytes });
            }
        }
        Ok(())
    }

    /// Rewrites the message attached in `part`. An attached message sent as 7bit, 8bit or binary is
    /// parsed in place, so its parts' offsets index `buffer` and their splices join `splices`. One sent
    /// in base64 or quoted-printable was parsed from its decoded bytes, so it is rewritten on its own
    /// and returned as a new base64 body for `part`.
    fn rewrite_attached(
        &mut self,
        buffer: &[u8],
        part: &MessagePart<'_>,
        attached: &Message<'_>,
        depth: usize,
        splices: &mut Vec<Splice>,
    ) -> Result<Option<NewPart>, RewriteError> {
        if part.encoding == Encoding::None {
            let (body, end) = (part.offset_body as usize, part.offset_end as usize);
            let inside = attached.parts.iter().all(|inner| {
                body <= inner.offset_header as usize && inner.offset_end as usize <= end
            });
            // mail-parser 0.11 gives such parts offsets in the enclosing buffer. Anything else is left
            // alone, because splicing at offsets of another buffer would corrupt the message.
            if inside && end <= buffer.len() {
                self.rewrite_parts(buffer, attached, depth, splices)?;
            }
            return Ok(None);
        }
        let inner = attached.raw_message();
        let mut inner_splices = Vec::new();
        self.rewrite_parts(inner, attached, depth, &mut inner_splices)?;
        if inner_splices.is_empty() {
            return Ok(None);
        }
        Ok(Some(NewPart {
            headers: vec![("Content-Transfer-Encoding", "base64".to_owned())],
            content: apply(inner, inner_splices),
        }))
    }
}

/// Returns `buffer` with each splice made. A splice that starts inside an earlier one is skipped.
fn apply(buffer: &[u8], mut splices: Vec<Splice>) -> Vec<u8> {
    splices.sort_by_key(|splice| splice.start);
    let mut whole = Vec::with_capacity(buffer.len());
    let mut cursor = 0;
    for splice in splices {
        if splice.start < cursor {
            continue;
        }
        whole.extend_from_slice(&buffer[cursor..splice.start]);
        whole.extend_from_slice(&splice.bytes);
        cursor = splice.end;
    }
    whole.extend_from_slice(&buffer[cursor..]);
    whole
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

/// Returns a part's header block without the `replaced` headers, ending before the blank line.
fn kept_headers(block: &[u8], replaced: &[&str]) -> Vec<u8> {
    let text = String::from_utf8_lossy(block);
    let mut kept = String::new();
    let mut keeping = false;
    for line in text.split_inclusive('\n') {
        if line.trim_end_matches(['\r', '\n']).is_empty() {
            break;
        }
        if !line.starts_with([' ', '\t']) {
            let name = line.split(':').next().unwrap_or("").trim();
            keeping = !replaced.iter().any(|r| r.eq_ignore_ascii_case(name));
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

    const FORWARDED: &str = "From: billing@phish.example\r\nSubject: invoice\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"INNER\"\r\n\r\n--INNER\r\nContent-Type: text/html\r\n\r\n\
<p><a href=\"http://phish.example/login\">Sign in</a> or <a href=\"https://ok.example/\">not</a></p>\r\n\
--INNER\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename=\"invoice.html\"\r\n\r\n\
<form><input type=password></form>\r\n--INNER--\r\n";

    /// Returns a message that forwards `inner` as a message/rfc822 attachment, base64-encoded when asked.
    fn forwarding(inner: &str, base64: bool) -> String {
        let (header, body) = if base64 {
            ("Content-Transfer-Encoding: base64\r\n", STANDARD.encode(inner))
        } else {
            ("", inner.to_owned())
        };
        format!(
            "From: colleague@example.com\r\nTo: user@example.org\r\nSubject: Fwd: invoice\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"OUTER\"\r\n\r\n--OUTER\r\nContent-Type: text/plain\r\n\r\n\
See below, and http://phish.example/login too.\r\n--OUTER\r\nContent-Type: message/rfc822\r\n{header}\r\n{body}\r\n--OUTER--\r\n"
        )
    }

    fn forwarded_plan() -> RewritePlan {
        RewritePlan {
            links: HashMap::from([(
                "http://phish.example/login".to_owned(),
                "https://lock.test/l/TOKEN".to_owned(),
            )]),
            attachments: HashMap::from([(
                "invoice.html".to_owned(),
                vec!["html_credential_form: invoice.html".to_owned()],
            )]),
            banner: Some("Forged sender".to_owned()),
        }
    }

    /// Checks the rewritten forward: the inner link is locked, the inner HTML attachment replaced, and
    /// the outer text part has the banner and its own link locked.
    fn check_forwarded(bytes: &[u8]) {
        let message = parse(bytes);
        let outer_text = message.body_text(0).expect("the outer text body");
        assert!(outer_text.starts_with("[Forged sender]"), "{outer_text}");
        assert!(outer_text.contains("https://lock.test/l/TOKEN too"), "{outer_text}");

        let attached = message.attachment(0).expect("the attached message");
        let inner = attached.message().expect("the attachment is still a message");
        assert_eq!(inner.subject(), Some("invoice"));
        assert_eq!(
            inner.from().and_then(|from| from.first()).and_then(|a| a.address()),
            Some("billing@phish.example")
        );
        let html = inner.body_html(0).expect("the inner HTML body");
        assert!(html.contains("href=\"https://lock.test/l/TOKEN\""), "{html}");
        assert!(html.contains("href=\"https://ok.example/\""), "{html}");
        assert!(!html.contains("phish.example"), "{html}");
        assert!(!html.contains("Forged sender"), "the banner stays outside: {html}");

        let replaced = inner.attachment(0).expect("the inner replacement attachment");
        assert_eq!(replaced.attachment_name(), Some("invoice.html.txt"));
        let content_type = replaced.content_type().expect("a content type");
        assert_eq!(content_type.subtype(), Some("plain"));
        let text = String::from_utf8_lossy(replaced.contents()).into_owned();
        assert!(text.contains("html_credential_form"), "{text}");
    }

    /// Rewrites the forward of FORWARDED with the forwarded plan, checks what was reported as done and
    /// returns the sent message and the whole rewritten one.
    fn rewrite_forwarded(base64: bool) -> (String, Vec<u8>) {
        let raw = forwarding(FORWARDED, base64);
        let rewritten = rewrite(raw.as_bytes(), &forwarded_plan())
            .expect("rewrites")
            .expect("changes something");
        assert_eq!(
            rewritten.links_rewritten,
            vec!["http://phish.example/login".to_owned()]
        );
        assert_eq!(
            rewritten.attachments_replaced,
            vec!["invoice.html".to_owned()]
        );
        assert!(rewritten.headers.is_empty(), "{:?}", rewritten.headers);
        let bytes = whole(&raw, &rewritten);
        check_forwarded(&bytes);
        (raw, bytes)
    }

    #[test]
    fn attached_message_inline_rewritten() {
        let (raw, bytes) = rewrite_forwarded(false);

        // Everything from the outer part's headers to the inner message's first boundary, the boundary
        // between the two inner parts and everything after the inner closing boundary keep their bytes.
        let rendered = String::from_utf8_lossy(&bytes);
        let inner_html = raw.find("--INNER\r\nContent-Type: text/html\r\n\r\n<p>");
        let forward = raw.find("--OUTER\r\nContent-Type: message/rfc822");
        let head = &raw[forward.expect("the forward")..inner_html.expect("the inner HTML")];
        assert!(rendered.contains(head), "{rendered}");
        assert!(rendered.contains("\r\n--INNER\r\n"), "{rendered}");
        assert!(
            rendered.ends_with("--INNER--\r\n\r\n--OUTER--\r\n"),
            "{rendered}"
        );
    }

    #[test]
    fn attached_message_base64_rewritten() {
        let (_, bytes) = rewrite_forwarded(true);

        let rendered = String::from_utf8_lossy(&bytes);
        assert!(
            rendered.contains(
                "--OUTER\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            ),
            "the part keeps its type and one encoding header: {rendered}"
        );
        let message = parse(&bytes);
        let inner = message
            .attachment(0)
            .and_then(|a| a.message())
            .expect("the attached message");
        let inner_raw = String::from_utf8_lossy(inner.raw_message()).into_owned();
        let first_part = FORWARDED.find("--INNER\r\nContent-Type: text/html\r\n\r\n");
        let inner_head = &FORWARDED[..first_part.expect("the body part")];
        assert!(
            inner_raw.starts_with(inner_head),
            "the inner headers keep their bytes: {inner_raw}"
        );
    }

    #[test]
    fn attached_single_part_message_headers() {
        let inner = "From: billing@phish.example\r\nSubject: invoice\r\nContent-Type: text/html\r\n\
Content-Transfer-Encoding: 7bit\r\nX-Kept: yes\r\n\r\n<a href=\"http://phish.example/login\">Sign in</a>\r\n";
        let raw = forwarding(inner, false);
        let rewritten = rewrite(raw.as_bytes(), &forwarded_plan())
            .expect("rewrites")
            .expect("changes something");
        let bytes = whole(&raw, &rewritten);
        let rendered = String::from_utf8_lossy(&bytes);
        assert!(
            rendered.contains("Content-Type: message/rfc822\r\n\r\nFrom: billing@phish.example\r\nSubject: invoice\r\nX-Kept: yes\r\n\
Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"),
            "the inner header block has its own fields and one new type and encoding: {rendered}"
        );
        let message = parse(&bytes);
        let attached = message
            .attachment(0)
            .and_then(|a| a.message())
            .expect("the attached message");
        let html = attached.body_html(0).expect("the inner HTML body");
        assert!(html.contains("href=\"https://lock.test/l/TOKEN\""), "{html}");
    }

    #[test]
    fn attached_message_depth_is_limited() {
        let mut raw = FORWARDED.to_owned();
        for _ in 0..MAX_ATTACHED_MESSAGE_DEPTH {
            raw = forwarding(&raw, false);
        }
        let plan = RewritePlan {
            attachments: forwarded_plan().attachments,
            ..RewritePlan::default()
        };
        let rewritten = rewrite(raw.as_bytes(), &plan).expect("rewrites");
        assert!(rewritten.is_some(), "the deepest level is rewritten");

        let deeper = forwarding(&raw, false);
        assert_eq!(rewrite(deeper.as_bytes(), &plan).expect("rewrites"), None);
    }
}
