//! The word and host lists under `data/`, compiled into the binary and parsed on first use.
//!
//! Each list is a text file an operator can read: one entry per line, `#` starts a comment line, and
//! entries are compared in lower case.

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
    ABUSED_TLDS.iter().any(|tld| host_matches(domain, tld) && domain.len() > tld.len())
}

/// Returns the first entry of `list` that `host` matches with [`host_matches`].
pub fn find_host<'a>(list: &'a [String], host: &str) -> Option<&'a str> {
    list.iter().map(String::as_str).find(|entry| host_matches(host, entry))
}

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
