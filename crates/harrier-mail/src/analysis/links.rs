//! Link analysis: rewriter unwrapping, host classification and anchor-text checks.
//!
//! Every URL found in the bodies is unwrapped from Microsoft Safe Links, Proofpoint URL Defense (v2 and
//! v3) and Mimecast. Its host is then checked for an IP literal, a shortener, punycode or mixed-script
//! labels, free hosting, form services, file-sharing links, brand names and look-alike domains.
//! Links in HTML are also checked against their text. Nothing here fetches a URL or resolves a host.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

use unicode_security::MixedScript;
use url::{Host, Url};

use super::domain::{domains_in_text, registrable_domain, registrable_label};
use super::impersonation::lookalike_memoized;
use super::lists::{self, BRANDS, CALL_TO_ACTION};
use super::{Factor, FactorKind, sender_domain};
use crate::message::MailMessage;

/// Maximum number of rewriter layers unwrapped from one URL.
const MAX_UNWRAP_DEPTH: usize = 4;

/// Link texts longer than this many words are read as prose, not as a call to action.
const MAX_CALL_TO_ACTION_WORDS: usize = 8;

/// URLs analysed per message; a message with more is judged on its first ones.
const MAX_URLS: usize = 300;

/// A URL after unwrapping, with what it was unwrapped from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnwrappedUrl {
    /// The destination URL.
    pub url: Url,
    /// The rewriters removed, outermost first (`safelinks`, `proofpoint`, `mimecast`).
    pub rewriters: Vec<&'static str>,
}

/// Look-alike results by registrable domain, so that a domain linked many times in one message is compared
/// with the brands once.
type LookalikeCache = HashMap<String, Option<String>>;

/// Analyses every URL of `message` and merges repeated findings into one factor per kind with a count.
pub fn analyze(message: &MailMessage, protected: &[String]) -> Vec<Factor> {
    let sender = sender_domain(message);
    let mut findings: Vec<Factor> = Vec::new();
    let mut lookalikes = LookalikeCache::new();
    for found in message.urls.iter().take(MAX_URLS) {
        let factors = analyze_url_memoized(&found.url, found.anchor_text.as_deref(), sender.as_deref(), protected, &mut lookalikes);
        if is_embedded_resource(found.attribute.as_deref()) {
            findings.extend(factors.into_iter().filter(|factor| !DESTINATION_ONLY.contains(&factor.kind)));
        } else {
            findings.extend(factors);
        }
    }
    merge(findings)
}

/// Entries kept by [`analyze_url_memoized`] before it starts over, which bounds its memory.
const MAX_MEMOIZED_URLS: usize = 4096;

/// A URL as [`analyze_url_with`] reads it: the URL as written, its link text and the sender's registrable
/// domain.
#[derive(PartialEq, Eq, Hash)]
struct UrlKey {
    raw: String,
    anchor_text: Option<String>,
    sender: Option<String>,
}

/// The findings of [`analyze_url_with`] for the protected domains they were computed with.
#[derive(Default)]
struct UrlMemo {
    protected: Vec<String>,
    results: HashMap<UrlKey, Vec<Factor>, foldhash::fast::RandomState>,
}

thread_local! {
    static URL_MEMO: RefCell<UrlMemo> = RefCell::default();
}

/// Returns what [`analyze_url_with`] returns, remembering the findings per thread. Newsletters and
/// campaigns repeat the same links with the same text from the same sender, and the findings depend on
/// nothing else but the protected domains.
fn analyze_url_memoized(
    raw: &str,
    anchor_text: Option<&str>,
    sender: Option<&str>,
    protected: &[String],
    lookalikes: &mut LookalikeCache,
) -> Vec<Factor> {
    let key = UrlKey { raw: raw.to_string(), anchor_text: anchor_text.map(str::to_string), sender: sender.map(str::to_string) };
    let known = URL_MEMO.with_borrow(|memo| if memo.protected == protected { memo.results.get(&key).cloned() } else { None });
    if let Some(factors) = known {
        return factors;
    }
    let factors = analyze_url_with(raw, anchor_text, sender, protected, lookalikes);
    URL_MEMO.with_borrow_mut(|memo| {
        if memo.protected != protected || memo.results.len() >= MAX_MEMOIZED_URLS {
            memo.protected = protected.to_vec();
            memo.results.clear();
        }
        memo.results.insert(key, factors.clone());
    });
    factors
}

/// Findings about where a link leads. An image or a style sheet is loaded, not visited, and newsletters
/// serve their images from cloud storage and file shares, so these findings count only for links.
const DESTINATION_ONLY: [FactorKind; 3] = [FactorKind::FreeHosting, FactorKind::FileShareLink, FactorKind::FormService];

/// Returns whether a URL came from an attribute that loads a resource into the message (`img[src]`,
/// `link[href]`) rather than one the reader follows.
fn is_embedded_resource(attribute: Option<&str>) -> bool {
    matches!(attribute, Some("img[src]" | "link[href]"))
}

/// Merges factors of the same kind: the details of the first three are kept and `count` adds up.
pub(crate) fn merge(factors: Vec<Factor>) -> Vec<Factor> {
    let mut merged: BTreeMap<FactorKind, (Vec<String>, u32)> = BTreeMap::new();
    for factor in factors {
        let entry = merged.entry(factor.kind).or_default();
        if entry.0.len() < 3 && !entry.0.contains(&factor.detail) {
            entry.0.push(factor.detail);
        }
        entry.1 += factor.count;
    }
    merged.into_iter().map(|(kind, (details, count))| Factor { kind, detail: details.join(" "), count }).collect()
}

/// Analyses one URL with its link text (for HTML links). `sender` is the From address's registrable domain.
pub fn analyze_url(raw: &str, anchor_text: Option<&str>, sender: Option<&str>, protected: &[String]) -> Vec<Factor> {
    analyze_url_with(raw, anchor_text, sender, protected, &mut LookalikeCache::new())
}

fn analyze_url_with(
    raw: &str,
    anchor_text: Option<&str>,
    sender: Option<&str>,
    protected: &[String],
    lookalikes: &mut LookalikeCache,
) -> Vec<Factor> {
    let Some(unwrapped) = unwrap(raw) else { return Vec::new() };
    let url = &unwrapped.url;
    if url.scheme() == "mailto" {
        return mailto_factors(url, anchor_text, sender);
    }
    if !matches!(url.scheme(), "http" | "https") {
        return Vec::new();
    }
    let Some(host) = url.host() else { return Vec::new() };
    let mut factors = Vec::new();
    let url_text = truncate(url.as_str(), 120);
    let domain = match host {
        Host::Ipv4(_) | Host::Ipv6(_) => {
            factors.push(Factor::new(FactorKind::IpLiteralHost, url_text.clone()));
            None
        }
        Host::Domain(name) => {
            let name = name.to_ascii_lowercase();
            // NOTE: behind a rewriter (Safe Links) the host as written is inside the wrapper's query and is
            // not read here.
            if let Some(written) = written_host(raw).filter(|written| unwrapped.rewriters.is_empty() && written.chars().any(super::is_styled)) {
                factors.push(Factor::new(FactorKind::DisguisedHost, format!("{} -> {name}", truncate(written, 60))));
            }
            if has_address_labels(&name) {
                factors.push(Factor::new(FactorKind::IpLiteralHost, url_text.clone()));
            }
            let registrable = registrable_domain(&name);
            factors.extend(host_factors(&name, registrable.as_deref(), url, &url_text, sender, protected, lookalikes));
            registrable
        }
    };
    if let Some(service) = domain.as_deref().and_then(|domain| open_redirect(domain, url))
        && sender.is_none_or(|sender| registrable_label(sender) != registrable_label(service))
    {
        factors.push(Factor::new(FactorKind::OpenRedirect, url_text.clone()));
    }
    if url.fragment().is_some_and(contains_address) {
        factors.push(Factor::new(FactorKind::AddressInLink, url_text.clone()));
    }
    if has_web_address_as_login(url) {
        factors.push(Factor::new(FactorKind::WebAddressAsUsername, url_text.clone()));
    }
    if let Some(anchor) = anchor_text {
        factors.extend(anchor_factors(anchor, domain.as_deref(), sender, protected, &url_text));
    }
    factors
}

/// Redirect endpoints of large sites that send a visitor on to any address given in the link, with the
/// site's registrable label (any top-level domain) and the path prefix. Phishing links through them so that
/// the link shows a trusted domain and filters that check domains let it pass.
const OPEN_REDIRECTS: &[(&str, &str)] = &[
    ("google", "/amp/s/"),
    ("google", "/url"),
    ("googleadservices", "/pagead/aclk"),
    ("bing", "/ck/a"),
    ("linkedin", "/slink"),
    ("facebook", "/l.php"),
    ("youtube", "/redirect"),
];

/// Query parameters that carry an account name in sign-up and password-reset links.
const LOGIN_PARAMETERS: &[&str] = &["login", "user", "username", "user_login", "usuario", "benutzer"];

/// Returns whether a login parameter of `url` contains a web address. Spammers register accounts on sites
/// whose sign-up mail repeats the account name, with an advertisement as the name, and the site then sends
/// the advertisement from its own, authenticated domain.
fn has_web_address_as_login(url: &Url) -> bool {
    url.query_pairs().any(|(name, value)| {
        let value = value.trim_start().to_ascii_lowercase();
        LOGIN_PARAMETERS.contains(&name.to_ascii_lowercase().as_str())
            && (value.starts_with("www.") || value.starts_with("http://") || value.starts_with("https://"))
    })
}

/// Returns `domain` when `url` is one of the [`OPEN_REDIRECTS`] on it.
fn open_redirect<'a>(domain: &'a str, url: &Url) -> Option<&'a str> {
    let label = registrable_label(domain);
    let path = url.path();
    OPEN_REDIRECTS
        .iter()
        .any(|(site, prefix)| label == *site && (path.starts_with(prefix) || path == prefix.trim_end_matches('/')))
        .then_some(domain)
}

fn host_factors(
    host: &str,
    registrable: Option<&str>,
    url: &Url,
    url_text: &str,
    sender: Option<&str>,
    protected: &[String],
    lookalikes: &mut LookalikeCache,
) -> Vec<Factor> {
    let mut factors = Vec::new();
    let sender_is = |domain: &str| sender.is_some_and(|sender| sender == domain);

    if let Some(entry) = lists::SHORTENER_INDEX.find(host) {
        factors.push(Factor::new(FactorKind::Shortener, entry));
    }
    if lists::FREE_HOSTING_INDEX.find(host).is_some() || is_s3_site(host) {
        factors.push(Factor::new(FactorKind::FreeHosting, url_text));
    }
    if form_service(host, url.path()) {
        factors.push(Factor::new(FactorKind::FormService, url_text));
    } else if let Some(entry) = lists::FILE_SHARING_INDEX.find(host) {
        let service = registrable_domain(entry).unwrap_or_default();
        if !sender_is(&service) && registrable.is_none_or(|domain| !sender_is(domain)) {
            factors.push(Factor::new(FactorKind::FileShareLink, url_text));
        }
    }

    let labels: Vec<&str> = host.split('.').collect();
    if labels.iter().any(|label| label.starts_with("xn--")) {
        factors.push(Factor::new(FactorKind::PunycodeHost, host));
        let (unicode, _) = idna::domain_to_unicode(host);
        if unicode.split('.').any(|label| !label.is_single_script()) {
            factors.push(Factor::new(FactorKind::MixedScriptHost, unicode));
        }
    }

    if let Some(registrable) = registrable {
        match brand_in_link(host, registrable, url.path()) {
            Some((brand, BrandPlace::Host)) => {
                factors.push(Factor::new(FactorKind::BrandOnForeignDomain, format!("{brand} in {url_text}")));
            }
            Some((brand, BrandPlace::Path)) => {
                factors.push(Factor::new(FactorKind::BrandInLinkPath, format!("{brand} in {url_text}")));
            }
            None => {}
        }
        if lists::has_abused_tld(registrable) {
            factors.push(Factor::new(FactorKind::AbusedTldLink, registrable));
        }
        let target = if sender_is(registrable) {
            None
        } else {
            lookalikes.entry(registrable.to_string()).or_insert_with(|| lookalike_memoized(registrable, protected)).as_ref()
        };
        if let Some(target) = target {
            factors.push(Factor::new(FactorKind::LookalikeLinkDomain, format!("{registrable} ({target})")));
        }
    }
    factors
}

/// Returns the host of `raw` as written, before the URL parser maps it: the text between `://` and the
/// next `/`, `?` or `#`, without user information and port.
fn written_host(raw: &str) -> Option<&str> {
    let (_, rest) = raw.trim().split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    Some(host.rsplit_once(':').map_or(host, |(host, _)| host))
}

/// Returns whether a host name carries an IPv4 address as four labels (`192.0.2.1.host.example.net`) or as
/// one label of four dash-separated numbers (`ec2-192-0-2-1`, `192-0-2-1.cloud.example`), as hosting
/// providers name their servers. A link to such a name goes to a bare rented server, as an IP literal does.
fn has_address_labels(host: &str) -> bool {
    // Four octets have at least four digits, and most host names have fewer.
    if host.bytes().filter(u8::is_ascii_digit).count() < 4 {
        return false;
    }
    let octet = |text: &str| !text.is_empty() && text.len() <= 3 && text.bytes().all(|byte| byte.is_ascii_digit()) && text.parse::<u16>().is_ok_and(|value| value <= 255);
    let labels: Vec<&str> = host.split('.').collect();
    let dotted = labels.windows(4).any(|window| window.iter().all(|label| octet(label)));
    let dashed = labels.iter().any(|label| {
        let parts: Vec<&str> = label.split('-').collect();
        parts.windows(4).any(|window| window.iter().all(|part| octet(part)))
    });
    dotted || dashed
}

/// Returns whether a host is an Amazon S3 bucket or S3 website endpoint in any region
/// (`bucket.s3.us-east-1.amazonaws.com`, `bucket.s3-website-eu-west-1.amazonaws.com`), where anyone can
/// publish a page.
fn is_s3_site(host: &str) -> bool {
    lists::host_matches(host, "amazonaws.com")
        && host.split('.').any(|label| label == "s3" || label.starts_with("s3-"))
}

/// Returns whether `text` contains something shaped like an email address, plain or percent-encoded.
fn contains_address(text: &str) -> bool {
    let decoded = text.replace("%40", "@");
    decoded.split(|character: char| !(character.is_alphanumeric() || "@.-_+".contains(character))).any(|word| {
        word.split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && registrable_domain(domain).is_some())
    })
}

fn form_service(host: &str, path: &str) -> bool {
    FORM_SERVICE_ENTRIES.iter().any(|(entry_host, prefix)| match prefix {
        Some(prefix) => lists::host_matches(host, entry_host) && path.trim_start_matches('/').starts_with(prefix),
        None => lists::host_matches(host, entry_host),
    })
}

/// The entries of [`lists::FORM_SERVICES`] split into the host and the path prefix, if the entry has one.
static FORM_SERVICE_ENTRIES: LazyLock<Vec<(&'static str, Option<&'static str>)>> = LazyLock::new(|| {
    lists::FORM_SERVICES
        .iter()
        .map(|entry| match entry.split_once('/') {
            Some((host, prefix)) => (host, Some(prefix)),
            None => (entry.as_str(), None),
        })
        .collect()
});

/// The part of a link that names a brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BrandPlace {
    Host,
    Path,
}

/// Returns the brand named in the host's labels or the path's segments when the registrable domain is not
/// the brand's. Path segments must name a brand of at least five letters, because shorter tokens (`ups`,
/// `dhl`) occur as ordinary words and ids in paths.
fn brand_in_link(host: &str, registrable: &str, path: &str) -> Option<(String, BrandPlace)> {
    let host_tokens = host.split(['.', '-']).filter(|token| !token.is_empty());
    // Lower-casing never makes a token shorter in characters, so a token longer than every brand token is
    // skipped before it is lower-cased. Tracking links carry long ids in their paths.
    let path_tokens = path
        .split(|character: char| !character.is_alphanumeric())
        .filter(|token| token.len() >= 5 && token.chars().count() <= *MAX_LINK_BRAND_TOKEN_CHARS)
        .map(str::to_lowercase);
    // The brands named in the host and in the path, by index in BRANDS, so that the first brand in list
    // order wins and a brand named in both is reported for the host.
    let mut named: BTreeMap<usize, BrandPlace> = BTreeMap::new();
    for token in host_tokens {
        for &index in LINK_BRAND_TOKENS.get(token).into_iter().flatten() {
            named.insert(index, BrandPlace::Host);
        }
    }
    for token in path_tokens {
        for &index in LINK_BRAND_TOKENS.get(token.as_str()).into_iter().flatten() {
            if BRANDS[index].token.len() >= 5 {
                named.entry(index).or_insert(BrandPlace::Path);
            }
        }
    }
    named
        .into_iter()
        .find(|(index, _)| !BRANDS[*index].owns(registrable))
        .map(|(index, place)| (BRANDS[index].name.clone(), place))
}

/// The length in characters of the longest key of [`LINK_BRAND_TOKENS`].
static MAX_LINK_BRAND_TOKEN_CHARS: LazyLock<usize> =
    LazyLock::new(|| LINK_BRAND_TOKENS.keys().map(|token| token.chars().count()).max().unwrap_or(0));

/// The indexes in BRANDS of the brands that [`brand_in_link`] looks for (not common words, tokens of three
/// letters or more), by token.
static LINK_BRAND_TOKENS: LazyLock<HashMap<&'static str, Vec<usize>, foldhash::fast::RandomState>> = LazyLock::new(|| {
    let mut tokens: HashMap<&'static str, Vec<usize>, foldhash::fast::RandomState> = HashMap::default();
    for (index, brand) in BRANDS.iter().enumerate() {
        if !brand.common_word && brand.token.len() >= 3 {
            tokens.entry(brand.token.as_str()).or_default().push(index);
        }
    }
    tokens
});

fn anchor_factors(anchor: &str, domain: Option<&str>, sender: Option<&str>, protected: &[String], url_text: &str) -> Vec<Factor> {
    let mut factors = Vec::new();
    let Some(domain) = domain else { return factors };
    // Only link text that is itself a URL or a domain names a destination. A domain inside prose
    // ("News.com: Top stories") is a publication's name.
    let trimmed = anchor.trim().trim_end_matches(['.', '/', '>']).trim_start_matches('<');
    let named = if trimmed.contains(char::is_whitespace) { Vec::new() } else { domains_in_text(trimmed) };
    if !named.is_empty() && !named.iter().any(|named| related(named, domain)) {
        let detail = format!("{:?} -> {url_text}", truncate(anchor, 60));
        let brand_named = named.iter().any(|named| BRANDS.iter().any(|brand| brand.owns(named)) || protected.contains(named));
        let kind = if brand_named { FactorKind::AnchorBrandMismatch } else { FactorKind::AnchorDomainMismatch };
        factors.push(Factor::new(kind, detail));
    }
    if !named_domain_like(trimmed) && is_call_to_action(anchor) && !sender.is_some_and(|sender| related(sender, domain)) {
        factors.push(Factor::new(FactorKind::CallToActionOffDomain, format!("{:?} -> {url_text}", truncate(anchor, 60))));
    }
    factors
}

/// Returns [`FactorKind::CallToActionOffDomain`] for a `mailto:` link whose text is a call to action
/// ("Report the user", "Verify") and whose address is on a domain unrelated to the sender. Scams that
/// imitate a security notice collect replies this way, with no web page to block.
fn mailto_factors(url: &Url, anchor_text: Option<&str>, sender: Option<&str>) -> Vec<Factor> {
    let Some(anchor) = anchor_text.filter(|anchor| is_call_to_action(anchor)) else { return Vec::new() };
    let address = url.path().split(',').next().unwrap_or_default();
    let Some(domain) = address.rsplit_once('@').and_then(|(_, host)| registrable_domain(&host.to_ascii_lowercase())) else {
        return Vec::new();
    };
    if sender.is_some_and(|sender| related(sender, &domain)) {
        return Vec::new();
    }
    vec![Factor::new(FactorKind::CallToActionOffDomain, format!("{:?} -> mailto:{}", truncate(anchor, 60), truncate(address, 80)))]
}

fn named_domain_like(text: &str) -> bool {
    !text.contains(char::is_whitespace) && !domains_in_text(text).is_empty()
}

/// Returns whether two registrable domains belong together: equal, or one's label contains the other's
/// (`example.com` and `example-mail.com`).
fn related(first: &str, second: &str) -> bool {
    if first == second {
        return true;
    }
    let (first_label, second_label) = (registrable_label(first), registrable_label(second));
    first_label.len() >= 4 && second_label.len() >= 4 && (first_label.contains(second_label) || second_label.contains(first_label))
}

fn is_call_to_action(anchor: &str) -> bool {
    let text = anchor.to_lowercase();
    let words: Vec<&str> = text.split(|character: char| !character.is_alphanumeric() && character != '-').filter(|word| !word.is_empty()).collect();
    if words.is_empty() || words.len() > MAX_CALL_TO_ACTION_WORDS {
        return false;
    }
    let joined = format!(" {} ", words.join(" "));
    CALL_TO_ACTION_MATCHER.is_match(&joined)
}

/// Matches the call-to-action phrases with a space on each side, as whole words of the joined link text.
static CALL_TO_ACTION_MATCHER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    let padded = CALL_TO_ACTION.iter().map(|phrase| format!(" {phrase} "));
    AhoCorasick::new(padded).expect("call-to-action phrases build an automaton")
});

/// Parses `raw` and removes known rewriter layers. Returns `None` when the URL does not parse.
pub fn unwrap(raw: &str) -> Option<UnwrappedUrl> {
    let mut url = Url::parse(raw.trim()).ok()?;
    let mut rewriters = Vec::new();
    for _ in 0..MAX_UNWRAP_DEPTH {
        let Some((rewriter, inner)) = unwrap_once(&url) else { break };
        let Ok(inner) = Url::parse(&inner) else { break };
        rewriters.push(rewriter);
        url = inner;
    }
    Some(UnwrappedUrl { url, rewriters })
}

fn unwrap_once(url: &Url) -> Option<(&'static str, String)> {
    let host = url.host_str()?.to_ascii_lowercase();
    let query = |name: &str| url.query_pairs().find(|(key, _)| key == name).map(|(_, value)| value.into_owned());
    if host.ends_with(".safelinks.protection.outlook.com") {
        return query("url").map(|inner| ("safelinks", inner));
    }
    if host == "urldefense.proofpoint.com" && url.path().starts_with("/v2/url") {
        return query("u").map(|encoded| ("proofpoint", decode_proofpoint_v2(&encoded)));
    }
    if host == "urldefense.com" || host == "urldefense.proofpoint.com" {
        return proofpoint_v3(url.as_str()).map(|inner| ("proofpoint", inner));
    }
    if host.ends_with(".mimecast.com") && host.starts_with("protect") {
        // Mimecast links carry a token, not the destination URL; the `domain` parameter names the
        // destination host, which is what the host checks need.
        return query("domain").map(|domain| ("mimecast", format!("https://{domain}/")));
    }
    None
}

/// Decodes a Proofpoint v2 `u` parameter, where `-` stands for `%` and `_` for `/` in a percent-encoded URL.
fn decode_proofpoint_v2(encoded: &str) -> String {
    let swapped: String = encoded.chars().map(|character| match character {
        '-' => '%',
        '_' => '/',
        other => other,
    }).collect();
    percent_decode(&swapped)
}

/// Extracts the URL of a Proofpoint v3 link, `https://urldefense.com/v3/__URL__;TOKENS!!ID$`.
// NOTE: v3 replaces some characters of the URL with `*` and lists them in the tokens after `__;`. Those are
// not restored here, so a restored URL may show `*` in its path or query; the host is kept intact.
fn proofpoint_v3(full: &str) -> Option<String> {
    let start = full.find("/v3/__")? + "/v3/__".len();
    let rest = &full[start..];
    let end = rest.find("__;").unwrap_or(rest.len());
    Some(rest[..end].to_string())
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |byte: u8| (byte as char).to_digit(16);
    let mut output = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' && index + 2 < bytes.len()
            && let (Some(high), Some(low)) = (hex(bytes[index + 1]), hex(bytes[index + 2])) {
                output.push((high * 16 + low) as u8);
                index += 3;
                continue;
            }
        output.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&output).into_owned()
}

fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let mut short: String = text.chars().take(max_chars).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(factors: &[Factor]) -> Vec<FactorKind> {
        factors.iter().map(|factor| factor.kind).collect()
    }

    #[test]
    fn safelinks_unwrap_to_destination() {
        let wrapped = "https://nam12.safelinks.protection.outlook.com/?url=https%3A%2F%2Fevil.example.com%2Flogin&data=05%7C01&reserved=0";
        let unwrapped = unwrap(wrapped).expect("parses");
        assert_eq!(unwrapped.url.as_str(), "https://evil.example.com/login");
        assert_eq!(unwrapped.rewriters, vec!["safelinks"]);
    }

    #[test]
    fn proofpoint_v2_unwraps() {
        let wrapped = "https://urldefense.proofpoint.com/v2/url?u=https-3A__www.example.org_path&d=DwMF&c=x";
        assert_eq!(unwrap(wrapped).expect("parses").url.as_str(), "https://www.example.org/path");
    }

    #[test]
    fn proofpoint_v3_unwraps() {
        let wrapped = "https://urldefense.com/v3/__https://login.example.net/reset__;!!ABC!xyz$";
        assert_eq!(unwrap(wrapped).expect("parses").url.as_str(), "https://login.example.net/reset");
    }

    #[test]
    fn mimecast_unwraps_to_domain() {
        let wrapped = "https://protect-eu.mimecast.com/s/AbCdEf?domain=files.example.org";
        assert_eq!(unwrap(wrapped).expect("parses").url.host_str(), Some("files.example.org"));
    }

    #[test]
    fn ip_literal_and_shortener_flagged() {
        assert_eq!(kinds(&analyze_url("http://192.0.2.7/login", None, None, &[])), vec![FactorKind::IpLiteralHost]);
        assert_eq!(kinds(&analyze_url("https://bit.ly/3abc", None, None, &[])), vec![FactorKind::Shortener]);
    }

    #[test]
    fn free_hosting_and_forms_flagged() {
        assert!(kinds(&analyze_url("https://secure-docs.web.app/", None, None, &[])).contains(&FactorKind::FreeHosting));
        assert!(kinds(&analyze_url("https://docs.google.com/forms/d/e/x/viewform", None, None, &[])).contains(&FactorKind::FormService));
        assert!(!kinds(&analyze_url("https://docs.google.com/document/d/x", None, Some("google.com"), &[])).contains(&FactorKind::FormService));
    }

    #[test]
    fn sharepoint_link_from_outside_flagged() {
        let url = "https://contoso-my.sharepoint.com/:b:/g/personal/file";
        assert!(kinds(&analyze_url(url, None, Some("example.org"), &[])).contains(&FactorKind::FileShareLink));
        assert!(!kinds(&analyze_url(url, None, Some("sharepoint.com"), &[])).contains(&FactorKind::FileShareLink));
    }

    #[test]
    fn punycode_mixed_script_flagged() {
        // "аpple" with a Cyrillic first letter.
        let factors = kinds(&analyze_url("https://xn--pple-43d.com/", None, None, &[]));
        assert!(factors.contains(&FactorKind::PunycodeHost));
        assert!(factors.contains(&FactorKind::MixedScriptHost));
    }

    #[test]
    fn brand_in_subdomain_flagged() {
        let factors = kinds(&analyze_url("https://paypal.account-check.example.net/", None, None, &[]));
        assert!(factors.contains(&FactorKind::BrandOnForeignDomain));
        let path = kinds(&analyze_url("https://shop.example.net/docusign/view", None, None, &[]));
        assert_eq!(path, vec![FactorKind::BrandInLinkPath]);
        let own = kinds(&analyze_url("https://www.paypal.com/signin", None, None, &[]));
        assert!(!own.contains(&FactorKind::BrandOnForeignDomain));
    }

    #[test]
    fn anchor_naming_other_domain_flagged() {
        let factors = analyze_url("https://evil.example.net/x", Some("www.mybank.com"), None, &[]);
        assert_eq!(kinds(&factors), vec![FactorKind::AnchorDomainMismatch]);
        let brand = analyze_url("https://evil.example.net/x", Some("https://www.paypal.com/signin"), None, &[]);
        assert_eq!(kinds(&brand), vec![FactorKind::AnchorBrandMismatch]);
        let same = analyze_url("https://www.example.com/x", Some("example.com"), None, &[]);
        assert!(same.is_empty());
        let prose = analyze_url("https://click.example.net/x", Some("News.com: top stories"), None, &[]);
        assert!(prose.is_empty());
    }

    #[test]
    fn call_to_action_off_domain_flagged() {
        let factors = analyze_url("https://evil.example.net/x", Some("Review Document"), Some("contoso.com"), &[]);
        assert_eq!(kinds(&factors), vec![FactorKind::CallToActionOffDomain]);
        let own = analyze_url("https://portal.contoso.com/x", Some("Review Document"), Some("contoso.com"), &[]);
        assert!(own.is_empty());
        let prose = analyze_url("https://evil.example.net/x", Some("the notes from the meeting we held where you asked me to sign in"), Some("contoso.com"), &[]);
        assert!(prose.is_empty());
    }

    #[test]
    fn lookalike_link_domain_flagged() {
        let protected = vec!["contoso.com".to_string()];
        let factors = kinds(&analyze_url("https://c0ntoso.com/login", None, None, &protected));
        assert!(factors.contains(&FactorKind::LookalikeLinkDomain));
    }

    #[test]
    fn address_in_fragment_flagged() {
        let factors = kinds(&analyze_url("https://page.example.net/x.htm#user@example.org", None, None, &[]));
        assert_eq!(factors, vec![FactorKind::AddressInLink]);
        let query = kinds(&analyze_url("https://lists.example.net/unsubscribe?u=user@example.org", None, None, &[]));
        assert!(query.is_empty());
    }

    #[test]
    fn unparsable_urls_ignored() {
        assert!(analyze_url("not a url", Some("Sign in"), None, &[]).is_empty());
        assert!(analyze_url("mailto:someone@example.org", Some("Contact us"), None, &[]).is_empty());
    }

    #[test]
    fn mailto_off_domain_flagged() {
        let link = "mailto:alerts@report-desk.net?subject=Report";
        let factors = kinds(&analyze_url(link, Some("Report The User"), Some("example.org"), &[]));
        assert_eq!(factors, vec![FactorKind::CallToActionOffDomain]);
    }

    #[test]
    fn mailto_sender_domain_ignored() {
        let link = "mailto:support@example.org";
        assert!(analyze_url(link, Some("Verify"), Some("example.org"), &[]).is_empty());
    }

    #[test]
    fn brand_in_link_takes_first_listed_brand() {
        // Microsoft comes before DocuSign and PayPal in the brand list, and a brand in the host wins over
        // the same brand in the path.
        assert_eq!(brand_in_link("docusign.microsoft-login.example", "example", "/paypal"), Some(("Microsoft".to_string(), BrandPlace::Host)));
        assert_eq!(brand_in_link("secure.example", "example", "/PayPal/docusign"), Some(("DocuSign".to_string(), BrandPlace::Path)));
        assert_eq!(brand_in_link("paypal.example", "example", "/paypal"), Some(("PayPal".to_string(), BrandPlace::Host)));
        // A brand that owns the domain is skipped and the next one is reported.
        assert_eq!(brand_in_link("docusign.paypal.com", "paypal.com", "/"), Some(("DocuSign".to_string(), BrandPlace::Host)));
        assert_eq!(brand_in_link("www.paypal.com", "paypal.com", "/paypal"), None);
        // Path segments shorter than five letters and common-word brands do not count.
        assert_eq!(brand_in_link("shop.example", "example", "/apple/ups"), None);
    }

}
