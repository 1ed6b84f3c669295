//! The word and host lists under `data/`, compiled into the binary and parsed on first use.
//!
//! Each list is a text file an operator can read: one entry per line, `#` starts a comment line, and
//! entries are compared in lower case.

use std::collections::HashMap;
use std::sync::LazyLock;

/// A brand that phishing impersonates, with the domains it really uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brand {
    /// The name as written in `data/brands.txt`, such as `Office 365`.
    pub name: String,
    /// The name lower-cased with spaces and dots removed, matched against link tokens.
    pub token: String,
    /// True when the name is also a common word, so it is matched only in short display names.
    pub common_word: bool,
    /// Registrable domains of the brand.
    pub domains: Vec<String>,
}

impl Brand {
    /// Returns whether `registrable` (a registrable domain) belongs to the brand.
    pub fn owns(&self, registrable: &str) -> bool {
        self.domains.iter().any(|domain| domain == registrable)
    }
}

fn entries(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_lowercase)
        .collect()
}

fn parse_brands(text: &str) -> Vec<Brand> {
    let mut brands = Vec::new();
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#')) {
        let Some((name, domains)) = line.split_once('|') else { continue };
        let name = name.trim();
        let (common_word, name) = match name.strip_prefix('~') {
            Some(rest) => (true, rest.trim()),
            None => (false, name),
        };
        let token = name.to_lowercase().chars().filter(|character| character.is_alphanumeric()).collect();
        let domains = domains.split_whitespace().map(str::to_lowercase).collect();
        brands.push(Brand { name: name.to_string(), token, common_word, domains });
    }
    brands
}

pub static SHORTENERS: LazyLock<Vec<String>> = LazyLock::new(|| entries(include_str!("../../data/shorteners.txt")));
pub static FREE_HOSTING: LazyLock<Vec<String>> =
    LazyLock::new(|| entries(include_str!("../../data/free_hosting.txt")));
pub static FORM_SERVICES: LazyLock<Vec<String>> =
    LazyLock::new(|| entries(include_str!("../../data/form_services.txt")));
pub static FILE_SHARING: LazyLock<Vec<String>> =
    LazyLock::new(|| entries(include_str!("../../data/file_sharing.txt")));
pub static FREEMAIL: LazyLock<Vec<String>> = LazyLock::new(|| entries(include_str!("../../data/freemail.txt")));
pub static RISKY_EXTENSIONS: LazyLock<Vec<String>> =
    LazyLock::new(|| entries(include_str!("../../data/risky_extensions.txt")));
pub static ABUSED_TLDS: LazyLock<Vec<String>> =
    LazyLock::new(|| entries(include_str!("../../data/abused_tlds.txt")));
pub static CALL_TO_ACTION: LazyLock<Vec<String>> =
    LazyLock::new(|| entries(include_str!("../../data/call_to_action.txt")));
pub static BRANDS: LazyLock<Vec<Brand>> = LazyLock::new(|| parse_brands(include_str!("../../data/brands.txt")));

/// The phrase lists of the fraud-language analysis, by file.
pub static URGENCY: LazyLock<Vec<String>> = LazyLock::new(|| entries(include_str!("../../data/urgency.txt")));
pub static BEC_OPENER: LazyLock<Vec<String>> =
    LazyLock::new(|| entries(include_str!("../../data/bec_opener.txt")));
pub static PAYMENT: LazyLock<Vec<String>> = LazyLock::new(|| entries(include_str!("../../data/payment.txt")));
pub static GIFT_CARD: LazyLock<Vec<String>> = LazyLock::new(|| entries(include_str!("../../data/gift_card.txt")));
pub static CREDENTIAL: LazyLock<Vec<String>> =
    LazyLock::new(|| entries(include_str!("../../data/credential.txt")));
pub static ACCOUNT_THREAT: LazyLock<Vec<String>> =
    LazyLock::new(|| entries(include_str!("../../data/account_threat.txt")));
pub static PRIZE: LazyLock<Vec<String>> = LazyLock::new(|| entries(include_str!("../../data/prize.txt")));

/// Returns whether `host` is `entry` or a subdomain of it.
pub fn host_matches(host: &str, entry: &str) -> bool {
    // The dot before the suffix is tested first, because it rules out most entries without comparing them.
    host == entry || (host.len() > entry.len() && host.as_bytes()[host.len() - entry.len() - 1] == b'.' && host.ends_with(entry))
}

/// Returns whether `domain` ends with a dot and an entry of [`ABUSED_TLDS`].
pub fn has_abused_tld(domain: &str) -> bool {
    // The first suffix is `domain` itself, which is skipped because only a proper suffix counts.
    host_suffixes(domain).skip(1).any(|suffix| ABUSED_TLD_INDEX.positions.contains_key(suffix))
}

/// Returns the first entry of `list` that `host` matches with [`host_matches`].
pub fn find_host<'a>(list: &'a [String], host: &str) -> Option<&'a str> {
    list.iter().map(String::as_str).find(|entry| host_matches(host, entry))
}

/// Returns `host` and each part of it after a dot: the entries that [`host_matches`] can match `host` with.
fn host_suffixes(host: &str) -> impl Iterator<Item = &str> {
    std::iter::once(host).chain(host.match_indices('.').map(|(dot, _)| &host[dot + 1..]))
}

/// A host list with the position of each entry, so that a host is looked up by its few suffixes instead of
/// being compared with every entry of the list.
pub struct HostIndex {
    positions: HashMap<&'static str, usize, foldhash::fast::RandomState>,
}

impl HostIndex {
    fn new(list: &'static [String]) -> Self {
        let mut positions: HashMap<&'static str, usize, foldhash::fast::RandomState> = HashMap::default();
        for (position, entry) in list.iter().enumerate() {
            positions.entry(entry.as_str()).or_insert(position);
        }
        Self { positions }
    }

    /// Returns what [`find_host`] returns for the list: the first entry in list order that `host` matches.
    pub fn find(&self, host: &str) -> Option<&'static str> {
        host_suffixes(host)
            .filter_map(|suffix| self.positions.get_key_value(suffix))
            .min_by_key(|(_, position)| **position)
            .map(|(entry, _)| *entry)
    }
}

/// [`SHORTENERS`] indexed for [`HostIndex::find`].
pub static SHORTENER_INDEX: LazyLock<HostIndex> = LazyLock::new(|| HostIndex::new(&SHORTENERS));
/// [`FREE_HOSTING`] indexed for [`HostIndex::find`].
pub static FREE_HOSTING_INDEX: LazyLock<HostIndex> = LazyLock::new(|| HostIndex::new(&FREE_HOSTING));
/// [`FILE_SHARING`] indexed for [`HostIndex::find`].
pub static FILE_SHARING_INDEX: LazyLock<HostIndex> = LazyLock::new(|| HostIndex::new(&FILE_SHARING));
static ABUSED_TLD_INDEX: LazyLock<HostIndex> = LazyLock::new(|| HostIndex::new(&ABUSED_TLDS));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_nonempty() {
        for list in [&*SHORTENERS, &*FREE_HOSTING, &*FORM_SERVICES, &*FILE_SHARING, &*FREEMAIL, &*RISKY_EXTENSIONS] {
            assert!(!list.is_empty());
            assert!(list.iter().all(|entry| !entry.contains(' ') && !entry.starts_with('#')));
        }
    }

    #[test]
    fn host_index_matches_find_host() {
        let hosts = ["bit.ly", "x.bit.ly", "xbit.ly", "ly", "a.b.github.io", "sites.google.com", "example.org", "", ".", "bit.ly."];
        for (list, index) in [(&*SHORTENERS, &*SHORTENER_INDEX), (&*FREE_HOSTING, &*FREE_HOSTING_INDEX), (&*FILE_SHARING, &*FILE_SHARING_INDEX)] {
            for entry in list.iter().map(String::as_str).chain(hosts) {
                for host in [entry.to_string(), format!("sub.{entry}")] {
                    assert_eq!(index.find(&host), find_host(list, &host), "{host:?}");
                }
            }
        }
    }

    #[test]
    fn abused_tld_needs_label_before() {
        let tld = ABUSED_TLDS[0].as_str();
        assert!(has_abused_tld(&format!("shop.{tld}")));
        assert!(!has_abused_tld(tld));
        assert!(!has_abused_tld(&format!("shop{tld}")));
    }

    #[test]
    fn brands_parse_names_and_domains() {
        let docusign = BRANDS.iter().find(|brand| brand.token == "docusign").expect("DocuSign is listed");
        assert_eq!(docusign.name, "DocuSign");
        assert!(docusign.owns("docusign.net"));
        assert!(!docusign.common_word);
        let apple = BRANDS.iter().find(|brand| brand.token == "apple").expect("Apple is listed");
        assert!(apple.common_word);
    }

    #[test]
    fn host_match_needs_label_boundary() {
        assert!(host_matches("evil.web.app", "web.app"));
        assert!(host_matches("web.app", "web.app"));
        assert!(!host_matches("myweb.app", "web.app"));
    }
}
