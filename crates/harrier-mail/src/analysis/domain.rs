//! Host and domain helpers built on the public suffix list (`psl`).

/// Returns the registrable domain of `host` (`login.example.co.uk` gives `example.co.uk`), lower-cased.
/// Returns `None` for IP addresses, single labels and hosts whose suffix is not on the public suffix list.
pub fn registrable_domain(host: &str) -> Option<String> {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || host.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    let domain = psl::domain(host.as_bytes())?;
    if !domain.suffix().is_known() {
        return None;
    }
    std::str::from_utf8(domain.as_bytes()).ok().map(str::to_string)
}

/// Returns the domain part of an address (`user@Example.org` gives `example.org`).
pub fn address_domain(address: &str) -> Option<String> {
    let (_, domain) = address.trim().trim_end_matches('>').rsplit_once('@')?;
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    (!domain.is_empty()).then_some(domain)
}

/// Returns the label left of the public suffix: `example` for `example.co.uk`.
pub fn registrable_label(registrable: &str) -> &str {
    registrable.split('.').next().unwrap_or(registrable)
}

/// Returns the public suffix of a registrable domain: `co.uk` for `example.co.uk`.
pub fn public_suffix(registrable: &str) -> &str {
    registrable.split_once('.').map_or("", |(_, suffix)| suffix)
}

/// Returns the host and registrable domain of domain-like words in `text` (`www.example.com`,
/// `user@example.org`, `https://example.net/path`). Only words whose suffix is on the public suffix list
/// count, so file names such as `report.txt` do not.
pub fn domains_in_text(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for word in text.split(|character: char| character.is_whitespace() || "<>()[]\"',;".contains(character)) {
        let word = word.trim_matches(|character: char| !character.is_alphanumeric());
        let without_scheme = word.split_once("://").map_or(word, |(_, rest)| rest);
        let after_at = without_scheme.rsplit_once('@').map_or(without_scheme, |(_, host)| host);
        let host = after_at.split(['/', '?', '#', ':']).next().unwrap_or_default();
        if !host.contains('.') || host.starts_with('.') || host.contains("..") {
            continue;
        }
        if !host.chars().all(|character| character.is_alphanumeric() || character == '.' || character == '-') {
            continue;
        }
        if let Some(registrable) = registrable_domain(host)
            && !found.contains(&registrable) {
                found.push(registrable);
            }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrable_domain_uses_suffix_list() {
        assert_eq!(registrable_domain("login.example.co.uk").as_deref(), Some("example.co.uk"));
        assert_eq!(registrable_domain("WWW.Example.COM.").as_deref(), Some("example.com"));
        assert_eq!(registrable_domain("192.0.2.1"), None);
        assert_eq!(registrable_domain("report.txt"), None);
        assert_eq!(registrable_domain("localhost"), None);
    }

    #[test]
    fn address_domain_takes_last_at() {
        assert_eq!(address_domain("User@Example.ORG").as_deref(), Some("example.org"));
        assert_eq!(address_domain("no-at-sign"), None);
    }

    #[test]
    fn domains_in_text_skips_file_names() {
        let found = domains_in_text("Open www.example.com or mail bob@example.net, not report.txt");
        assert_eq!(found, vec!["example.com".to_string(), "example.net".to_string()]);
    }
}
