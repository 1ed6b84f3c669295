//! URL extraction from text and HTML parts.
//!
//! Text parts are scanned with `linkify`. HTML parts are parsed with `scraper` (html5ever), which reads
//! URLs from link, image, form and frame attributes and keeps the anchor text of `<a>` and `<area>` links.
//! The visible text of the HTML is scanned with `linkify` too. URLs are only collected: nothing here
//! resolves or fetches them.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use scraper::node::Element;
use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node, Selector};
use serde::Serialize;

/// The kind of body part a URL was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UrlSource {
    /// A `text/plain` (or other non-HTML text) part.
    Text,
    /// A `text/html` part.
    Html,
}

/// A URL found in a body part.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct FoundUrl {
    /// The URL as written, with surrounding whitespace removed.
    pub url: String,
    /// The part kind it was found in.
    pub source: UrlSource,
    /// The HTML element and attribute it came from, such as `a[href]`; `None` for URLs found in text.
    pub attribute: Option<String>,
    /// The visible text of the `<a>` or `<area>` link, whitespace-collapsed; `None` for other URLs.
    pub anchor_text: Option<String>,
}

/// Element and attribute pairs that carry URLs.
const URL_ATTRIBUTES: [(&str, &str); 7] = [
    ("a", "href"),
    ("area", "href"),
    ("img", "src"),
    ("form", "action"),
    ("iframe", "src"),
    ("frame", "src"),
    ("link", "href"),
];

/// Finds the URLs with a scheme (`http://`, `https://`, `ftp://` and others) in plain text.
// NOTE: scheme-less links such as `www.example.com` are not found, because linkify without a required
// scheme also matches file names and version strings.
pub fn urls_in_text(text: &str, source: UrlSource) -> Vec<FoundUrl> {
    let mut finder = linkify::LinkFinder::new();
    finder.kinds(&[linkify::LinkKind::Url]);
    finder
        .links(text)
        .map(|link| FoundUrl { url: link.as_str().to_string(), source, attribute: None, anchor_text: None })
        .collect()
}

/// Finds the URLs in an HTML document: attribute URLs first, in document order, then URLs in its text.
pub fn urls_in_html(html: &str) -> Vec<FoundUrl> {
    scan_html(html).urls
}

/// What one parse of an HTML body yields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HtmlScan {
    /// The URLs, as [`urls_in_html`] returns them.
    pub urls: Vec<FoundUrl>,
    /// Words of text inside elements that an inline style or the `hidden` attribute hides.
    pub hidden_words: u32,
}

/// Parses an HTML document once and returns its URLs and how many words it hides.
pub fn scan_html(html: &str) -> HtmlScan {
    let mut scan = scan_document(&Html::parse_document(html));
    scan.urls = deduplicate(scan.urls);
    scan
}

/// Parses an HTML document once and returns what [`scan_html`] returns, but with repeated URLs left in for
/// the caller to drop with [`deduplicate`]. Dropping them once over all the parts of a message gives the
/// same URLs as dropping them in each part first.
pub(crate) fn scan_html_with_repeats(html: &str) -> HtmlScan {
    scan_document(&Html::parse_document(html))
}

/// Parses an HTML document once and returns what [`scan_html_with_repeats`] returns and its
/// [`visible_text`].
pub(crate) fn scan_html_with_text(html: &str) -> (HtmlScan, String) {
    let document = Html::parse_document(html);
    (scan_document(&document), visible_text(&document))
}

/// Returns the URLs of `document`, with repeats, and how many words it hides.
fn scan_document(document: &Html) -> HtmlScan {
    let mut by_attribute: [Vec<FoundUrl>; URL_ATTRIBUTES.len()] = Default::default();
    let mut hidden = HiddenElements::default();
    // One pass visits the elements that `Html::select` visits, in its order: elements that have a parent,
    // in the tree's arena (creation) order. The URLs are then grouped by pair in the order of
    // `URL_ATTRIBUTES`, as one `select` per pair returned them.
    for node in document.tree.nodes() {
        let Some(element) = ElementRef::wrap(node) else { continue };
        if element.parent().is_none() {
            continue;
        }
        let value = element.value();
        let name = value.name();
        for (index, (element_name, attribute)) in URL_ATTRIBUTES.iter().enumerate() {
            if name == *element_name && plain_attribute(value, attribute).is_some() {
                by_attribute[index].push(attribute_url(element, element_name, attribute));
            }
        }
        hidden.visit(element);
    }
    let mut found: Vec<FoundUrl> = by_attribute.into_iter().flatten().collect();
    let text = joined_text(document.root_element());
    found.extend(urls_in_text(&text, UrlSource::Html));
    HtmlScan { urls: found, hidden_words: hidden.words }
}

/// Elements whose text is left out of [`visible_text`] when their start tag has no attributes.
const INVISIBLE_ELEMENTS: [&str; 4] = ["head", "style", "script", "template"];

/// Returns whether [`visible_text`] leaves out the text inside `element`. mail-parser's `html_to_text`
/// recognises these elements only by a start tag without attributes, so it reads the text of a
/// `<style type="text/css">` element as body text. This does the same, so that the phrase and payment
/// checks read the text they read before.
// NOTE: two known differences remain. html5ever moves a style element that comes before the body into
// the head, so its text is left out even with attributes. And spam stuffs word salad into
// `<style type=...>` elements that mail clients do not show: leaving those out too changed phrase factors in 4
// messages of the test corpus (one from bec_fraud to credential_phishing), a detection change to decide
// on its own.
fn is_invisible(element: &Element) -> bool {
    element.attrs.is_empty() && INVISIBLE_ELEMENTS.contains(&element.name())
}

/// Returns the body text of a parsed HTML document by the rules of mail-parser's `html_to_text` (0.11).
/// It is read from the tree html5ever built, so that the HTML is not tokenized a second time. The text
/// outside the elements that [`is_invisible`] leaves out is kept, with each run of spaces, tabs and line
/// ends collapsed to one space. A `br` element without attributes and the end of a `p` element add a line
/// end, and text on both sides of any other tag is joined without a space.
// NOTE: mail-parser ends a comment only at exactly two dashes and `>`, so on `<!------>` it read no text
// up to the next `-->`. html5ever ends the comment there, so this text has the words after it.
pub(crate) fn visible_text(document: &Html) -> String {
    let mut text = String::new();
    let mut space_pending = false;
    // Nesting depth inside invisible elements; the tree is walked without recursion, because mail can nest
    // elements deeper than the stack allows.
    let mut invisible_depth = 0usize;
    for edge in document.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(element) if is_invisible(element) => invisible_depth += 1,
                Node::Element(element) if invisible_depth == 0 && element.name() == "br" && element.attrs.is_empty() => {
                    text.push('\n');
                    space_pending = false;
                }
                Node::Text(chunk) if invisible_depth == 0 => {
                    for (index, word) in chunk.split([' ', '\t', '\r', '\n']).enumerate() {
                        space_pending |= index > 0;
                        if word.is_empty() {
                            continue;
                        }
                        if space_pending && !text.is_empty() && !text.ends_with('\n') {
                            text.push(' ');
                        }
                        space_pending = false;
                        text.push_str(word);
                    }
                }
                _ => {}
            },
            Edge::Close(node) => match node.value() {
                Node::Element(element) if is_invisible(element) => invisible_depth -= 1,
                Node::Element(element) if invisible_depth == 0 && element.name() == "p" => {
                    text.push('\n');
                    space_pending = false;
                }
                _ => {}
            },
        }
    }
    text
}

/// Returns the value of the attribute `name` in no namespace, as `Element::attr` and a CSS `[name]`
/// selector read it, without interning `name` for each lookup.
fn plain_attribute<'a>(element: &'a Element, name: &str) -> Option<&'a str> {
    element.attrs.iter().find(|(qualified, _)| qualified.ns.is_empty() && &*qualified.local == name).map(|(_, value)| &**value)
}

/// Matches the inline style declarations that hide an element's text from the reader: `display:none`,
/// `visibility:hidden`, a zero font size, a zero opacity or a zero maximum height. Spaces are removed
/// from the style before matching.
static HIDING_STYLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|;)(?:display:none|visibility:hidden|font-size:(?:0+(?:\.0+)?|\.0+)(?:px|pt|em|rem|%)?|opacity:(?:0+(?:\.0+)?|\.0+)|max-height:0+(?:px)?)(?:!important)?(?:;|$)")
        .expect("hiding style pattern is valid")
});

/// Parses a selector of this file, all of which are fixed valid CSS.
fn selector(css: &str) -> Selector {
    Selector::parse(css).expect("selector is valid CSS")
}

static IMAGE_ALT_SELECTOR: LazyLock<Selector> = LazyLock::new(|| selector("img[alt]"));

/// Returns whether an inline style or the `hidden` attribute hides the element.
fn is_hidden(element: &Element) -> bool {
    if plain_attribute(element, "hidden").is_some() {
        return true;
    }
    let Some(style) = plain_attribute(element, "style") else { return false };
    HIDING_STYLE.is_match(&compact_style(style))
}

/// Returns `style` without whitespace and with ASCII letters lower-cased. An ASCII style is filtered byte
/// by byte, because on ASCII `char::is_whitespace` is true for exactly the six bytes filtered here.
fn compact_style(style: &str) -> String {
    if !style.is_ascii() {
        return style.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_lowercase()).collect();
    }
    let bytes: Vec<u8> = style
        .bytes()
        .filter(|byte| !matches!(byte, b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r'))
        .map(|byte| byte.to_ascii_lowercase())
        .collect();
    String::from_utf8(bytes).expect("ASCII bytes are UTF-8")
}

/// Returns the text nodes of `element` joined by one space, as `join(" ")` on them would.
fn joined_text(element: ElementRef<'_>) -> String {
    let mut text = String::new();
    for (index, chunk) in element.text().enumerate() {
        if index > 0 {
            text.push(' ');
        }
        text.push_str(chunk);
    }
    text
}

/// The number of words inside hidden elements, with nested hidden elements counted once. A word is a run
/// of two or more letters or digits.
#[derive(Default)]
struct HiddenElements {
    words: u32,
}

impl HiddenElements {
    /// Adds the words of `element` when it is hidden and no ancestor is. Hidden `style`, `script`, `head`
    /// and `title` elements add nothing.
    fn visit(&mut self, element: ElementRef<'_>) {
        let value = element.value();
        let styled = plain_attribute(value, "hidden").is_some() || plain_attribute(value, "style").is_some();
        if !styled || !is_hidden(value) {
            return;
        }
        let inside_hidden = element.ancestors().filter_map(ElementRef::wrap).any(|ancestor| is_hidden(ancestor.value()));
        if inside_hidden || matches!(value.name(), "style" | "script" | "head" | "title") {
            return;
        }
        let text = joined_text(element);
        let count = text.split(|c: char| !c.is_alphanumeric()).filter(|word| word.chars().count() >= 2).count();
        self.words = self.words.saturating_add(u32::try_from(count).unwrap_or(u32::MAX));
    }
}

fn attribute_url(element: ElementRef<'_>, element_name: &str, attribute: &str) -> FoundUrl {
    let url = plain_attribute(element.value(), attribute).unwrap_or_default().trim().to_string();
    let anchor_text = matches!(element_name, "a" | "area").then(|| anchor_text(element));
    FoundUrl { url, source: UrlSource::Html, attribute: Some(format!("{element_name}[{attribute}]")), anchor_text }
}

/// Returns the link's visible text. A link without text gets the `alt` text of the first image inside it,
/// or else its own `alt` or `title` attribute.
fn anchor_text(element: ElementRef<'_>) -> String {
    let text = joined_text(element);
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if !collapsed.is_empty() {
        return collapsed;
    }
    let image_alt = element.select(&IMAGE_ALT_SELECTOR).next().and_then(|image| image.value().attr("alt"));
    let value = element.value();
    let fallback = image_alt.or_else(|| value.attr("alt")).or_else(|| value.attr("title"));
    fallback.unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Drops repeated URLs, keeping the first of each, and drops a text URL already found in an attribute.
pub(crate) fn deduplicate(found: Vec<FoundUrl>) -> Vec<FoundUrl> {
    let mut keep = vec![false; found.len()];
    // The sets are only probed, never iterated, so the hasher does not change the result. foldhash, seeded
    // at random like the standard SipHash, hashes the URL strings faster.
    let mut seen: HashSet<&FoundUrl, foldhash::fast::RandomState> = HashSet::default();
    let mut attribute_urls: HashSet<(UrlSource, &str), foldhash::fast::RandomState> = HashSet::default();
    for (index, url) in found.iter().enumerate() {
        if url.attribute.is_none() && attribute_urls.contains(&(url.source, url.url.as_str())) {
            continue;
        }
        if url.attribute.is_some() {
            attribute_urls.insert((url.source, url.url.as_str()));
        }
        keep[index] = seen.insert(url);
    }
    drop((seen, attribute_urls));
    found.into_iter().zip(keep).filter_map(|(url, keep)| keep.then_some(url)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn described(scan: &HtmlScan) -> Vec<(String, Option<String>, Option<String>)> {
        scan.urls.iter().map(|found| (found.url.clone(), found.attribute.clone(), found.anchor_text.clone())).collect()
    }

    fn entry(url: &str, attribute: Option<&str>, anchor: Option<&str>) -> (String, Option<String>, Option<String>) {
        (url.to_string(), attribute.map(str::to_string), anchor.map(str::to_string))
    }

    #[test]
    fn html_urls_grouped_by_attribute() {
        let html = "<img src=\"https://img.example/a.png\"><a href=\" https://one.example/ \">First  link</a>\
                    <form action=\"https://form.example/post\"><input type=password></form>\
                    <a href=\"https://two.example/\"><img src=\"https://img.example/b.png\" alt=\"Sign in\"></a>\
                    <p>Visit https://text.example/page today</p>";
        let scan = scan_html(html);
        assert_eq!(
            described(&scan),
            vec![
                entry("https://one.example/", Some("a[href]"), Some("First link")),
                entry("https://two.example/", Some("a[href]"), Some("Sign in")),
                entry("https://img.example/a.png", Some("img[src]"), None),
                entry("https://img.example/b.png", Some("img[src]"), None),
                entry("https://form.example/post", Some("form[action]"), None),
                entry("https://text.example/page", None, None),
            ]
        );
    }

    #[test]
    fn deduplicate_once_matches_per_part() {
        let parts = [
            "<a href=\"https://x.example/\">Pay</a> https://x.example/ https://y.example/ <a href=\"https://x.example/\">Pay</a>",
            "https://x.example/ <img src=\"https://y.example/\"> https://z.example/ https://z.example/",
            "<a href=\"https://z.example/\">Go</a> https://y.example/",
        ];
        let mut per_part = Vec::new();
        let mut whole = Vec::new();
        for html in parts {
            per_part.extend(scan_html(html).urls);
            whole.extend(scan_html_with_repeats(html).urls);
        }
        assert_eq!(deduplicate(whole), deduplicate(per_part));
    }

    #[test]
    fn html_anchor_text_falls_back_to_title() {
        let scan = scan_html("<a href=\"https://x.example/\" title=\"  Open   invoice \"></a><area href=\"https://y.example/\" alt=\"Map\">");
        assert_eq!(scan.urls[0].anchor_text.as_deref(), Some("Open invoice"));
        assert_eq!(scan.urls[1].attribute.as_deref(), Some("area[href]"));
        assert_eq!(scan.urls[1].anchor_text.as_deref(), Some("Map"));
    }

    #[test]
    fn html_reconstructed_link_keeps_both_texts() {
        // The tree builder closes the link with the paragraph and opens a copy of it for the text after it,
        // so the same URL appears with two link texts.
        let scan = scan_html("<p><a href=\"https://x.example/\">Pay now</p>or later");
        assert_eq!(
            described(&scan),
            vec![entry("https://x.example/", Some("a[href]"), Some("Pay now")), entry("https://x.example/", Some("a[href]"), Some("or later"))]
        );
    }

    #[test]
    fn html_hidden_words_count_outermost_only() {
        let html = "<div hidden>alpha beta <span style=\"display:none\">gamma delta</span></div>\
                    <p style=\"Font-Size: 0PX\">one two x</p><p style=\"font-size:12px\">seen words</p>\
                    <style style=\"display:none\">p { color: red }</style>";
        assert_eq!(scan_html(html).hidden_words, 6);
    }

    #[test]
    fn compact_style_matches_char_filter() {
        let styles = ["Display : None", "font-size:\t0PX;\x0B\x0C", "\u{A0}Opacity:\u{3000}0", "color: Red"];
        for style in styles {
            let expected: String = style.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_lowercase()).collect();
            assert_eq!(compact_style(style), expected, "{style:?}");
        }
    }

    #[test]
    fn html_link_in_attribute_drops_text_copy() {
        let scan = scan_html("<a href=\"https://x.example/\">https://x.example/</a> and https://x.example/");
        assert_eq!(described(&scan), vec![entry("https://x.example/", Some("a[href]"), Some("https://x.example/"))]);
    }

    #[test]
    fn visible_text_matches_mail_parser() {
        // HTML on which the tree walk and mail-parser's own tokenizer must agree.
        let inputs = [
            "<html><head><title>Invoice</title><style>p { color: red }</style></head>\
             <body><p>Dear   customer,</p><p>Your <b>account</b> is\n suspended.<br>Pay&nbsp;now &amp; today</p></body></html>",
            "<div>Click <a href=\"https://x.example/\">here</a>to verify</div><script>var a = 1;</script>",
            "<p>Hello</p><style type=\"text/css\">.salad { }</style><td>one</td><td>two</td> three",
            "<template>hidden</template><!-- note --><p>A&#66;C &#x44;</p>",
        ];
        for html in inputs {
            let (_, text) = scan_html_with_text(html);
            assert_eq!(text, mail_parser::decoders::html::html_to_text(html), "{html:?}");
        }
    }

    #[test]
    fn visible_text_reads_long_comment_ends() {
        // mail-parser ends a comment only at exactly two dashes and a `>`, so it read no text here.
        let (_, text) = scan_html_with_text("<!------ banner ------><p>Win a prize</p>");
        assert_eq!(text, "Win a prize\n");
    }

    #[test]
    fn malformed_html_does_not_panic() {
        let inputs = [
            "",
            "<",
            "<a href=",
            "<a href=\"https://x.example/",
            "</a></a></div><table><a href=https://t.example/>cell</table>",
            "<form action=https://a.example/><form action=https://b.example/></form>",
            "<svg><a href=https://s.example/>svg</a></svg><math><mi><a href=https://m.example/>",
            "<p style=\"display:none\u{0}\">\u{0}x\u{FFFD}</p><!-- <a href=https://c.example/> -->",
            "<noscript><a href=https://n.example/>n</a></noscript><template><a href=https://t.example/>t</a></template>",
        ];
        for html in inputs {
            let scan = scan_html(html);
            assert!(scan.urls.iter().all(|found| found.url.trim() == found.url), "{html:?}");
        }
        let nested_forms = scan_html("<form action=https://a.example/><form action=https://b.example/></form>");
        assert_eq!(described(&nested_forms), vec![entry("https://a.example/", Some("form[action]"), None)]);
    }
}
