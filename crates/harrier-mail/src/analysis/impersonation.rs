//! Sender impersonation: display names that carry another address or a brand, look-alike domains, and
//! Reply-To or Return-Path domains that differ from the From domain.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use unicode_security::skeleton;

use super::domain::{address_domain, domains_in_text, public_suffix, registrable_domain, registrable_label};
use super::lists::{self, BRANDS};
use super::{Factor, FactorKind};
use crate::message::MailMessage;

/// Words in a display name that present a free-mail sender as an organisation.
const ORGANISATION_WORDS: &[&str] = &[
    "support", "security", "helpdesk", "help desk", "administrator", "admin", "billing", "service", "services",
    "department", "payroll", "accounts", "customer care", "team", "it desk", "webmail", "mail server",
];

/// A brand's name and look-alike target, lower-cased and folded once, because every display name and every
/// link domain of every message is compared with all brands.
struct BrandKey {
    brand: &'static lists::Brand,
    /// The name in lower case.
    lower_name: String,
    /// The confusable skeleton of `lower_name`.
    folded_name: String,
    /// The label of the brand's first domain and its confusable skeleton, for brands that are not common
    /// words and list a domain.
    target: Option<LabelKey>,
}

/// A look-alike target: a registrable domain, its first label and that label's confusable skeleton.
struct LabelKey {
    domain: &'static str,
    label: &'static str,
    skeleton: String,
    /// The number of characters of `label`.
    chars: usize,
}

impl LabelKey {
    fn new(domain: &'static str) -> LabelKey {
        let label = registrable_label(domain);
        LabelKey { domain, label, skeleton: fold(label), chars: label.chars().count() }
    }
}

static BRAND_KEYS: LazyLock<Vec<BrandKey>> = LazyLock::new(|| {
    BRANDS
        .iter()
        .map(|brand| {
            let lower_name = brand.name.to_lowercase();
            let folded_name = fold(&lower_name);
            let target = if brand.common_word { None } else { brand.domains.first().map(|domain| LabelKey::new(domain)) };
            BrandKey { brand, lower_name, folded_name, target }
        })
        .collect()
});

/// Runs the sender checks on `message`. `protected` contains the registrable domains whose look-alikes count.
pub fn analyze(message: &MailMessage, protected: &[String]) -> Vec<Factor> {
    let mut factors = Vec::new();
    let Some(from) = &message.from else {
        factors.push(Factor::new(FactorKind::MalformedSender, "no From header"));
        return factors;
    };
    let from_host = from.address.as_deref().and_then(address_domain);
    let from_domain = from_host.as_deref().and_then(registrable_domain);
    let display_name = from.name.as_deref().unwrap_or_default();

    if !display_name.is_empty() {
        let named = named_domains(display_name);
        if !named.is_empty() && from_domain.as_ref().is_none_or(|domain| !named.contains(domain)) {
            factors.push(Factor::new(FactorKind::DisplayNameAddress, format!("{display_name:?} <{}>", address(from))));
        }
        if let Some(brand) = brand_in_display_name(display_name)
            && from_domain.as_deref().is_none_or(|domain| !brand.owns(domain)) {
                factors.push(Factor::new(FactorKind::DisplayNameBrand, format!("{} <{}>", brand.name, address(from))));
            }
    }
    if has_long_number(display_name) {
        factors.push(Factor::new(FactorKind::DisplayNameNumber, display_name));
    }
    let Some(from_domain) = from_domain else {
        factors.push(Factor::new(FactorKind::MalformedSender, address(from)));
        return factors;
    };
    if let Some(brand) = brand_in_address(address(from), &from_domain) {
        factors.push(Factor::new(FactorKind::BrandInSenderAddress, format!("{} in {}", brand.name, address(from))));
    }

    if let Some(entry) = from_host.as_deref().and_then(sender_hosting) {
        factors.push(Factor::new(FactorKind::SenderOnFreeHosting, format!("{} on {entry}", address(from))));
    }
    if lists::has_abused_tld(&from_domain) {
        factors.push(Factor::new(FactorKind::AbusedTldSender, from_domain.clone()));
    }
    let freemail = lists::FREEMAIL.contains(&from_domain);
    if freemail && names_organisation(display_name) {
        factors.push(Factor::new(FactorKind::FreemailSender, format!("{display_name:?} <{}>", address(from))));
    }
    if let Some(target) = lookalike_memoized(&from_domain, protected) {
        factors.push(Factor::new(FactorKind::LookalikeSenderDomain, format!("{from_domain} ({target})")));
    }
    for reply_to in &message.reply_to {
        let Some(reply_domain) = reply_to.address.as_deref().and_then(address_domain).and_then(|host| registrable_domain(&host))
        else {
            continue;
        };
        if reply_domain == from_domain {
            // Free-mail providers give anyone an address, so another mailbox at the same provider is
            // someone else, as much as another domain is.
            let other_mailbox = reply_to.address.as_deref().is_some_and(|reply| !reply.eq_ignore_ascii_case(address(from)));
            if freemail && other_mailbox {
                factors.push(Factor::new(FactorKind::ReplyToFreemail, format!("{} vs {}", reply_to.address.as_deref().unwrap_or_default(), address(from))));
                break;
            }
            continue;
        }
        factors.push(Factor::new(FactorKind::ReplyToMismatch, format!("{reply_domain} vs {from_domain}")));
        if lists::FREEMAIL.contains(&reply_domain) {
            factors.push(Factor::new(FactorKind::ReplyToFreemail, reply_domain.clone()));
        }
        break;
    }
    if let Some(brand) = brand_in_transactional_subject(message, &from_domain) {
        factors.push(Factor::new(
            FactorKind::BrandInSubject,
            format!("{} in {:?} from {from_domain}", brand.name, message.subject.as_deref().unwrap_or_default()),
        ));
    }
    let return_domain =
        message.return_path.as_deref().and_then(address_domain).and_then(|host| registrable_domain(&host));
    let return_path = message.return_path.as_deref().unwrap_or_default();
    if let Some(return_domain) = return_domain.as_ref().filter(|domain| **domain != from_domain) {
        factors.push(Factor::new(FactorKind::ReturnPathMismatch, format!("{return_domain} vs {from_domain}")));
        // `onmicrosoft.com` is not a public suffix, so a tenant sending as itself has the same registrable
        // domain in both and never gets here.
        if is_trial_tenant(return_domain) && !is_rewritten_envelope(return_path, &from_domain) {
            factors.push(Factor::new(FactorKind::EnvelopeTrialTenant, format!("{return_path} for {from_domain}")));
        }
    }
    // An envelope on a bare host name (`root@localhost`, `www-data@vps123`) has no registrable domain.
    if return_domain.as_ref().is_none_or(|domain| *domain != from_domain) && is_system_envelope(return_path) {
        factors.push(Factor::new(FactorKind::EnvelopeSystemAccount, format!("{return_path} for {from_domain}")));
    }
    if is_generated_address(address(from)) {
        factors.push(Factor::new(FactorKind::GeneratedSenderAddress, address(from)));
    }
    if let Some(reply_to) = reply_to_named_for_sender(message, display_name, address(from), &from_domain) {
        factors.push(Factor::new(FactorKind::ReplyToNamedSender, format!("{display_name:?}: replies to {reply_to}, from {}", address(from))));
    }
    factors
}

/// Local parts of the accounts a server's operating system and web server send as.
const SYSTEM_ACCOUNTS: &[&str] = &["root", "www-data", "apache", "nginx", "httpd", "daemon"];

/// Returns whether an envelope sender is a server's system account (`root@`, `www-data@`) or is on a host
/// named `localhost`. Such an envelope on mail for another From domain is mail sent by a script on a
/// rented server, not by the organisation's mail system.
fn is_system_envelope(return_path: &str) -> bool {
    let Some((local, host)) = return_path.trim_matches(['<', '>', ' ']).rsplit_once('@') else { return false };
    SYSTEM_ACCOUNTS.iter().any(|account| local.eq_ignore_ascii_case(account))
        || host.split('.').any(|label| label.eq_ignore_ascii_case("localhost"))
}

/// Returns whether a domain is a Microsoft 365 tenant's default domain. A tenant sends with its verified
/// domains, so an envelope at `*.onmicrosoft.com` for mail from another domain is a tenant that does not own
/// the From domain, as throw-away trial tenants do.
fn is_trial_tenant(domain: &str) -> bool {
    lists::host_matches(domain, "onmicrosoft.com")
}

/// Returns whether a forwarder rewrote the envelope sender for the From domain with the Sender Rewriting
/// Scheme. Exchange Online writes `bounces+SRS=hash=time=example.org=ann@tenant.onmicrosoft.com` and other
/// forwarders `SRS0=hash=time=example.org=ann@...`. The local part names the original sender's domain.
fn is_rewritten_envelope(return_path: &str, from_domain: &str) -> bool {
    let local = return_path.trim_matches(['<', '>', ' ']).rsplit_once('@').map_or("", |(local, _)| local).to_ascii_lowercase();
    let Some(rest) = ["bounces+srs=", "srs0=", "srs1="].iter().find_map(|prefix| local.strip_prefix(prefix)) else {
        return false;
    };
    // hash=time=domain=local: the third field is the original sender's domain.
    rest.split('=').nth(2).and_then(registrable_domain).is_some_and(|domain| domain == from_domain)
}

/// Returns whether a From address has the `First_Last_12345@` shape that bulk spam tools generate: two
/// words of letters and four to six digits joined by underscores. A number that reads as a year
/// (`ann_lee_1987`) is left out, because people choose such names for their own mailboxes.
fn is_generated_address(address: &str) -> bool {
    let Some((local, _)) = address.rsplit_once('@') else { return false };
    let parts: Vec<&str> = local.split('_').collect();
    let [first, last, number] = parts.as_slice() else { return false };
    let letters = |word: &str| word.len() >= 2 && word.chars().all(|character| character.is_ascii_alphabetic());
    let year = number.len() == 4 && (number.starts_with("19") || number.starts_with("20"));
    let role = |word: &str| ROLE_MAILBOXES.iter().any(|role| word.eq_ignore_ascii_case(role)) || word.eq_ignore_ascii_case("no");
    !role(first) && !role(last) && letters(first) && letters(last) && (4..=6).contains(&number.len()) && number.chars().all(|character| character.is_ascii_digit()) && !year
}

/// Parts of the local parts of role and system mailboxes, lower-cased, that send for someone else.
const ROLE_MAILBOXES: &[&str] = &[
    "noreply", "no-reply", "no_reply", "donotreply", "wordpress", "notification", "forms", "mailer", "bounce",
    "support", "ticket", "alert", "info", "contact", "admin", "billing", "service", "team",
];

/// Shortest display-name word compared with addresses in [`reply_to_named_for_sender`].
const MIN_NAME_WORD: usize = 4;

/// Returns the Reply-To address when replies go to a free mailbox whose name carries a word of the display
/// name while the From address does not, on another domain. The person named writes from someone else's
/// account, borrowed or taken over, and wants the replies in their own mailbox, as advance-fee and
/// business email compromise mail does.
fn reply_to_named_for_sender(message: &MailMessage, display_name: &str, from: &str, from_domain: &str) -> Option<String> {
    // Lists, contact forms and sharing services send as themselves on a person's behalf and put that
    // person in Reply-To: a Sender header, "via" or "on behalf of" in the name, a role mailbox as From.
    let lower_name = display_name.to_lowercase();
    let from_local = from.rsplit_once('@').map_or(from, |(local, _)| local).to_lowercase();
    if super::is_bulk(message)
        || message.sender.is_some()
        || contains_word(&lower_name, "via")
        || lower_name.contains("on behalf of")
        || ROLE_MAILBOXES.iter().any(|role| from_local.contains(role))
    {
        return None;
    }
    let words: Vec<String> = display_name
        .split(|character: char| !character.is_alphabetic())
        .filter(|word| word.chars().count() >= MIN_NAME_WORD)
        .map(str::to_lowercase)
        .collect();
    if words.is_empty() {
        return None;
    }
    if words.iter().any(|word| from_local.contains(word.as_str())) {
        return None;
    }
    message.reply_to.iter().filter_map(|mailbox| mailbox.address.as_deref()).find_map(|reply| {
        let (local, host) = reply.rsplit_once('@')?;
        let domain = registrable_domain(&host.to_ascii_lowercase())?;
        let local = local.to_lowercase();
        (domain != from_domain && lists::FREEMAIL.contains(&domain) && words.iter().any(|word| local.contains(word.as_str())))
            .then(|| reply.to_string())
    })
}

/// Returns the domains a display name carries as an address (`"ceo@example.com" <x@other.net>`) or as the
/// whole name (`"paypal.com" <x@other.net>`). A domain inside a longer name ("CNET News.com Daily") is a
/// publication's name and does not count.
fn named_domains(display_name: &str) -> Vec<String> {
    let trimmed = display_name.trim().trim_matches(['"', '\'', '<', '>', '(', ')']);
    if !trimmed.contains(char::is_whitespace) {
        return domains_in_text(trimmed);
    }
    display_name
        .split(|character: char| character.is_whitespace() || "<>()[]\"',;".contains(character))
        .filter(|word| word.contains('@'))
        .flat_map(domains_in_text)
        .collect()
}

/// Returns whether a display name has a run of eight or more digits.
fn has_long_number(display_name: &str) -> bool {
    let mut run = 0;
    for character in display_name.chars() {
        run = if character.is_ascii_digit() { run + 1 } else { 0 };
        if run >= 8 {
            return true;
        }
    }
    false
}

/// Returns the brand whose name (six letters or more) appears in an address whose domain the brand does
/// not own.
fn brand_in_address(address: &str, from_domain: &str) -> Option<&'static lists::Brand> {
    let lower = address.to_lowercase();
    BRANDS.iter().find(|brand| !brand.common_word && brand.token.len() >= 6 && !brand.owns(from_domain) && lower.contains(&brand.token))
}

fn address(mailbox: &crate::message::Mailbox) -> &str {
    mailbox.address.as_deref().unwrap_or_default()
}

/// Folds `text` to its UTS #39 confusable skeleton in lower case, so `Pаypal` with a Cyrillic `а` and
/// `PayPal` compare equal.
fn fold(text: &str) -> String {
    skeleton(&text.to_lowercase()).collect::<String>().to_lowercase()
}

/// Returns whether `needle` occurs in `haystack` with no letter or digit on either side.
fn contains_word(haystack: &str, needle: &str) -> bool {
    contains_bounded(haystack, needle, |character| !character.is_alphanumeric())
}

/// Returns whether `needle` occurs in `haystack` with a character on each side, if any, that passes
/// `is_boundary`.
fn contains_bounded(haystack: &str, needle: &str, is_boundary: impl Fn(char) -> bool) -> bool {
    if needle.is_empty() {
        return false;
    }
    haystack.match_indices(needle).any(|(start, matched)| {
        let before = haystack[..start].chars().next_back();
        let after = haystack[start + matched.len()..].chars().next();
        before.is_none_or(&is_boundary) && after.is_none_or(&is_boundary)
    })
}

/// Returns the brand that a display name names, comparing confusable skeletons word by word. Underscores
/// separate words as spaces do (`Liberty_Mutual_Team`).
fn brand_in_display_name(display_name: &str) -> Option<&'static lists::Brand> {
    let spaced = display_name.replace('_', " ");
    let joined = join_spaced_letters(&spaced);
    let display_name = joined.as_str();
    let folded = fold(display_name);
    let lower = display_name.to_lowercase();
    let words = display_name.split_whitespace().count();
    // The automata find the brands whose name occurs anywhere, and `contains_word` then checks those
    // brands in list order as it would check all of them.
    let mut occurs = vec![false; BRAND_KEYS.len()];
    for found in BRAND_NAME_MATCHERS.lower.find_overlapping_iter(&lower).chain(BRAND_NAME_MATCHERS.folded.find_overlapping_iter(&folded)) {
        occurs[found.pattern().as_usize()] = true;
    }
    BRAND_KEYS
        .iter()
        .zip(occurs)
        .find(|(key, occurs)| {
            if !occurs || (key.brand.common_word && words > 3) {
                return false;
            }
            contains_word(&lower, &key.lower_name) || contains_word(&folded, &key.folded_name)
        })
        .map(|(key, _)| key.brand)
}

/// Returns the first brand, in list order, whose name occurs as a word in lower-cased `text`. Brands whose
/// name is also a common word are left out.
pub(crate) fn brand_named_in(text: &str) -> Option<&'static lists::Brand> {
    let mut occurs = vec![false; BRAND_KEYS.len()];
    for found in BRAND_NAME_MATCHERS.lower.find_overlapping_iter(text) {
        occurs[found.pattern().as_usize()] = true;
    }
    BRAND_KEYS
        .iter()
        .zip(occurs)
        .find(|(key, occurs)| *occurs && !key.brand.common_word && contains_word_not_hyphenated(text, &key.lower_name))
        .map(|(key, _)| key.brand)
}

/// Returns whether lower-cased `text` has one of the [`TRANSACTIONAL_WORDS`].
pub(crate) fn names_transaction(text: &str) -> bool {
    TRANSACTIONAL_WORDS.iter().any(|word| contains_word(text, word))
}

/// Returns whether `needle` occurs in `haystack` as a word that is not part of a hyphenated one, so that
/// `ups` is not found in "follow-ups".
fn contains_word_not_hyphenated(haystack: &str, needle: &str) -> bool {
    contains_bounded(haystack, needle, |character| !character.is_alphanumeric() && character != '-')
}

/// Words of a subject about an order, a payment or an account, lower-cased.
const TRANSACTIONAL_WORDS: &[&str] = &[
    "order", "invoice", "receipt", "payment", "subscription", "renewal", "renewed", "account", "billing", "refund",
    "transaction", "purchase", "delivery", "pedido", "fatura", "pagamento", "conta", "compra", "factura", "pago", "cuenta",
    "commande", "facture", "paiement", "compte", "bestellung", "rechnung", "zahlung", "konto", "abonnement",
    "bestelling", "factuur", "betaling", "rekening",
];

/// Returns the brand that a subject about an order, payment or account names, when the message is not a
/// reply, a forward or bulk mail and its From domain is not the brand's. Brands send such mail from their
/// own domains, so "Your Norton order" from another domain speaks for a brand it is not.
pub(crate) fn brand_in_transactional_subject(message: &MailMessage, from_domain: &str) -> Option<&'static lists::Brand> {
    let subject = message.subject.as_deref()?;
    let reply_or_forward = super::has_reply_prefix(subject) || super::forwarded::has_forward_prefix(subject);
    if message.has_reply_headers || reply_or_forward || super::is_bulk(message) {
        return None;
    }
    let subject = subject.to_lowercase();
    if !TRANSACTIONAL_WORDS.iter().any(|word| contains_word(&subject, word)) {
        return None;
    }
    BRAND_KEYS
        .iter()
        .find(|key| !key.brand.common_word && !key.brand.owns(from_domain) && contains_word(&subject, &key.lower_name))
        .map(|key| key.brand)
}

/// Automata over the lower-cased and the folded names of [`BRAND_KEYS`], whose pattern ids are indexes
/// into [`BRAND_KEYS`].
struct BrandNameMatchers {
    lower: AhoCorasick,
    folded: AhoCorasick,
}

static BRAND_NAME_MATCHERS: LazyLock<BrandNameMatchers> = LazyLock::new(|| BrandNameMatchers {
    lower: AhoCorasick::new(BRAND_KEYS.iter().map(|key| &key.lower_name)).expect("brand names build an automaton"),
    folded: AhoCorasick::new(BRAND_KEYS.iter().map(|key| &key.folded_name)).expect("brand names build an automaton"),
});

/// Minimum length of a target label that counts when it is one hyphen-separated part of a longer label.
const MIN_CONTAINED_LABEL: usize = 5;

/// Hosting platforms that send their own notifications from subdomains of the listed domain.
const PLATFORM_SENDERS: &[&str] = &["wordpress.com", "wix.com"];

/// Returns the free-hosting entry that the From host is a subdomain of. A site on such a platform is a
/// subdomain anyone can register, while the platform's own domain sends its account mail.
fn sender_hosting(host: &str) -> Option<&'static str> {
    let entry = lists::FREE_HOSTING_INDEX.find(host)?;
    (host.len() > entry.len() && !PLATFORM_SENDERS.contains(&entry)).then_some(entry)
}

/// Joins runs of three or more single letters separated by spaces or dots (`N e t f l i x`, `P.a.y.P.a.l`),
/// which spell a word to the reader while keeping it from word matching.
fn join_spaced_letters(display_name: &str) -> String {
    let mut output = Vec::new();
    let mut run = String::new();
    let flush = |run: &mut String, output: &mut Vec<String>| {
        if run.chars().count() >= 3 {
            output.push(std::mem::take(run));
        } else {
            output.extend(run.chars().map(String::from));
            run.clear();
        }
    };
    for word in display_name.split([' ', '.']).filter(|word| !word.is_empty()) {
        let mut characters = word.chars();
        match (characters.next(), characters.next()) {
            (Some(letter), None) if letter.is_alphabetic() => run.push(letter),
            _ => {
                flush(&mut run, &mut output);
                output.push(word.to_string());
            }
        }
    }
    flush(&mut run, &mut output);
    output.join(" ")
}

fn names_organisation(display_name: &str) -> bool {
    let lower = display_name.to_lowercase();
    ORGANISATION_WORDS.iter().any(|word| contains_word(&lower, word))
}

/// Returns a description of the protected or brand domain that `registrable` imitates, if any.
///
/// The checks run in this order:
/// - the same label under another suffix, for protected domains only, because brands own many suffixes;
/// - an equal confusable skeleton (`rnicrosoft`, Cyrillic letters, punycode);
/// - a small edit distance on the label: Damerau-Levenshtein 1 for labels of 6 to 8 letters, 2 from 9;
/// - the target's label as one hyphen-separated part of a longer label (`paypal-secure`).
pub fn lookalike(registrable: &str, protected: &[String]) -> Option<String> {
    if protected.iter().any(|domain| domain == registrable) || BRANDS.iter().any(|brand| brand.owns(registrable)) {
        return None;
    }
    let label = registrable_label(registrable);
    let unicode_label = if label.starts_with("xn--") { idna::domain_to_unicode(label).0 } else { label.to_string() };
    let label_skeleton = fold(&unicode_label);

    let label_chars = label.chars().count();
    let label_parts: Vec<&str> = label.split('-').collect();

    for target in protected {
        let target_label = registrable_label(target);
        if target_label == label && public_suffix(target) != public_suffix(registrable) {
            return Some(format!("other suffix of {target}"));
        }
        let target_skeleton = fold(target_label);
        let target_chars = target_label.chars().count();
        if let Some(how) = label_imitates(label, label_chars, &label_skeleton, &label_parts, target_label, target_chars, &target_skeleton) {
            return Some(format!("{how} {target}"));
        }
    }
    for key in BRAND_KEYS.iter() {
        let Some(target) = &key.target else { continue };
        if label == target.label {
            continue;
        }
        if let Some(how) = label_imitates(label, label_chars, &label_skeleton, &label_parts, target.label, target.chars, &target.skeleton) {
            return Some(format!("{how} {}", target.domain));
        }
        if target.label.len() >= 3 && label_parts.contains(&key.brand.token.as_str()) {
            return Some(format!("brand name in {}", target.domain));
        }
    }
    None
}

/// Entries kept by [`lookalike_memoized`] before it starts over, which bounds its memory.
const MAX_MEMOIZED_LOOKALIKES: usize = 16 * 1024;

/// The results of [`lookalike`] for the protected domains they were computed with.
#[derive(Default)]
struct LookalikeMemo {
    protected: Vec<String>,
    results: HashMap<String, Option<String>>,
}

thread_local! {
    static LOOKALIKE_MEMO: RefCell<LookalikeMemo> = RefCell::default();
}

/// Returns what [`lookalike`] returns, remembering the result per thread. Mail links and senders repeat the
/// same domains from message to message, and [`lookalike`] folds and compares the label with every brand.
pub(crate) fn lookalike_memoized(registrable: &str, protected: &[String]) -> Option<String> {
    LOOKALIKE_MEMO.with_borrow_mut(|memo| {
        if memo.protected != protected || memo.results.len() >= MAX_MEMOIZED_LOOKALIKES {
            memo.protected = protected.to_vec();
            memo.results.clear();
        }
        if let Some(result) = memo.results.get(registrable) {
            return result.clone();
        }
        let result = lookalike(registrable, protected);
        memo.results.insert(registrable.to_string(), result.clone());
        result
    })
}

/// Returns how `label` imitates `target_label`. The character counts and confusable skeletons of both, and
/// the hyphen-separated parts of `label`, are passed in, because callers compare one label with every brand.
fn label_imitates(
    label: &str,
    label_chars: usize,
    label_skeleton: &str,
    label_parts: &[&str],
    target_label: &str,
    target_chars: usize,
    target_skeleton: &str,
) -> Option<&'static str> {
    if label == target_label {
        return None;
    }
    if label_skeleton == target_skeleton {
        return Some("confusable with");
    }
    let allowed = match target_chars {
        0..=5 => 0,
        6..=8 => 1,
        _ => 2,
    };
    // The edit distance is at least the difference in length, so labels further apart than `allowed` skip
    // the computation.
    if allowed > 0 && label_chars.abs_diff(target_chars) <= allowed && !counts_differ_beyond(label, target_label, allowed) {
        let distance = strsim::damerau_levenshtein(label, target_label);
        if (1..=allowed).contains(&distance) {
            return Some("edit distance of");
        }
    }
    if target_label.len() >= MIN_CONTAINED_LABEL && label.len() > target_label.len() && label_parts.contains(&target_label) {
        return Some("contains the name of");
    }
    None
}

/// Returns whether the character counts of two ASCII strings differ by more than `max_edits` edits can
/// account for, which puts their Damerau-Levenshtein distance above `max_edits`. An insertion or a
/// deletion changes one count by one, a substitution two counts by one and a transposition none, so the
/// distance is at least half the summed count differences. Returns false for non-ASCII strings.
fn counts_differ_beyond(first: &str, second: &str, max_edits: usize) -> bool {
    if !first.is_ascii() || !second.is_ascii() {
        return false;
    }
    let mut counts = [0i32; 128];
    for byte in first.bytes() {
        counts[usize::from(byte)] += 1;
    }
    for byte in second.bytes() {
        counts[usize::from(byte)] -= 1;
    }
    let difference: u32 = counts.iter().map(|count| count.unsigned_abs()).sum();
    difference as usize > 2 * max_edits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookalike_by_edit_distance() {
        let protected = vec!["contoso.com".to_string()];
        assert_eq!(lookalike("contosso.com", &protected).as_deref(), Some("edit distance of contoso.com"));
        assert_eq!(lookalike("paypall.com", &[]).as_deref(), Some("edit distance of paypal.com"));
        // The digit 1 folds to the letter l, so the skeleton check finds this one first.
        assert_eq!(lookalike("paypa1.com", &[]).as_deref(), Some("confusable with paypal.com"));
    }

    #[test]
    fn count_bound_keeps_close_labels() {
        let pairs = [("contoso", "contsoo"), ("paypal", "paypall"), ("microsoft", "mircosotf"), ("amazon", "amazom")];
        for (label, target) in pairs {
            let distance = strsim::damerau_levenshtein(label, target);
            assert!(!counts_differ_beyond(label, target, distance), "{label} {target}");
        }
    }

    #[test]
    fn count_bound_skips_distant_labels() {
        assert!(counts_differ_beyond("example", "paypal", 2));
    }

    #[test]
    fn lookalike_by_confusable_skeleton() {
        assert_eq!(lookalike("rnicrosoft.com", &[]).as_deref(), Some("confusable with microsoft.com"));
        // "аpple" is a common word and skipped; "pаypal" with a Cyrillic а is not.
        let punycode = idna::domain_to_ascii("pаypal.com").expect("valid IDN");
        assert_eq!(lookalike(&punycode, &[]).as_deref(), Some("confusable with paypal.com"));
    }

    #[test]
    fn lookalike_by_suffix_and_combination() {
        let protected = vec!["contoso.com".to_string()];
        assert_eq!(lookalike("contoso.co", &protected).as_deref(), Some("other suffix of contoso.com"));
        assert_eq!(lookalike("contoso-payments.com", &protected).as_deref(), Some("contains the name of contoso.com"));
        assert!(lookalike("docusign-secure.com", &[]).is_some());
    }

    #[test]
    fn real_and_unrelated_domains_not_lookalikes() {
        let protected = vec!["contoso.com".to_string()];
        assert_eq!(lookalike("contoso.com", &protected), None);
        assert_eq!(lookalike("paypal.com", &[]), None);
        assert_eq!(lookalike("example.org", &protected), None);
        assert_eq!(lookalike("kernel.org", &[]), None);
    }

    #[test]
    fn display_name_brand_folds_confusables() {
        assert_eq!(brand_in_display_name("DocuSign Electronic Signature").map(|brand| brand.name.as_str()), Some("DocuSign"));
        assert_eq!(brand_in_display_name("Mіcrosoft account team").map(|brand| brand.name.as_str()), Some("Microsoft"));
        assert_eq!(brand_in_display_name("Alice Smith"), None);
        assert_eq!(brand_in_display_name("Big Apple Pizza and Pasta Restaurant"), None);
    }

    #[test]
    fn lookalike_memo_follows_protected_domains() {
        let protected = vec!["contoso.com".to_string()];
        for _ in 0..2 {
            assert_eq!(lookalike_memoized("contosso.com", &protected).as_deref(), Some("edit distance of contoso.com"));
            assert_eq!(lookalike_memoized("contosso.com", &[]), None);
            assert_eq!(lookalike_memoized("paypall.com", &[]).as_deref(), Some("edit distance of paypal.com"));
        }
    }

    #[test]
    fn display_name_brand_across_underscores() {
        assert_eq!(brand_in_display_name("Liberty_Mutual_Team").map(|brand| brand.name.as_str()), Some("Liberty Mutual"));
    }

    #[test]
    fn display_name_brand_keeps_list_order() {
        assert_eq!(brand_in_display_name("PayPal and Microsoft billing").map(|brand| brand.name.as_str()), Some("Microsoft"));
        assert_eq!(brand_in_display_name("Microsoftware Sales"), None);
    }

}
