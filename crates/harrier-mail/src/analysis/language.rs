//! Fraud language and payment details: phrase lists, IBAN and account-number extraction, and a memory of
//! the IBANs each sender domain used before.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::lists;
use super::{Factor, FactorKind, restore_swapped_l, sender_domain};
use crate::message::MailMessage;

/// Characters of body text read; the rest of a longer body is ignored.
const MAX_TEXT_CHARS: usize = 256 * 1024;

/// The phrase lists with the factor each raises, and one automaton over all their phrases, so that the
/// text is scanned once.
struct PhraseCategories {
    kinds: Vec<FactorKind>,
    /// The category index and the phrase of each automaton pattern, by pattern id.
    patterns: Vec<(usize, &'static str)>,
    matcher: AhoCorasick,
}

static CATEGORIES: LazyLock<PhraseCategories> = LazyLock::new(|| {
    let lists: [(FactorKind, &'static [String]); 6] = [
        (FactorKind::Urgency, &lists::URGENCY),
        (FactorKind::PaymentRequest, &lists::PAYMENT),
        (FactorKind::GiftCardRequest, &lists::GIFT_CARD),
        (FactorKind::CredentialRequest, &lists::CREDENTIAL),
        (FactorKind::AccountThreat, &lists::ACCOUNT_THREAT),
        (FactorKind::ScamLanguage, &lists::PRIZE),
    ];
    let kinds = lists.iter().map(|(kind, _)| *kind).collect();
    let patterns: Vec<(usize, &'static str)> = lists
        .iter()
        .enumerate()
        .flat_map(|(category, (_, phrases))| phrases.iter().map(move |phrase| (category, phrase.as_str())))
        .collect();
    // A DFA takes longer to build and more memory than the default NFA, but scans faster, and every message
    // is scanned with it.
    let matcher = AhoCorasick::builder()
        .kind(Some(AhoCorasickKind::DFA))
        .build(patterns.iter().map(|(_, phrase)| phrase))
        .expect("phrase lists build an automaton");
    PhraseCategories { kinds, patterns, matcher }
});

/// Analyses the subject and body text of `message`. With `memory`, an IBAN that differs from the ones its
/// sender domain used before is flagged.
pub fn analyze(message: &MailMessage, memory: Option<&PaymentMemory>) -> Vec<Factor> {
    let text = message_text(message);
    let mut factors = phrase_factors(&with_restored_subject(message, &text));
    if let Some(password) = attachment_password(message, &text) {
        factors.push(Factor::new(FactorKind::AttachmentPassword, password));
    }
    if let Some(number) = callback_number(message, &text) {
        factors.push(Factor::new(FactorKind::CallbackNumber, number));
    }
    if let Some(sum) = advance_fee_sum(message, &text) {
        factors.push(Factor::new(FactorKind::AdvanceFeeSum, sum));
    }
    if let Some(phrase) = bec_opener(message, &text) {
        factors.push(Factor::new(FactorKind::BecOpener, phrase));
    }
    if let Some(detail) = brand_from_freemail(message, &text) {
        factors.push(Factor::new(FactorKind::BrandFromFreemail, detail));
    }
    let contacts = contact_addresses(message, &text);
    if !contacts.is_empty() {
        factors.push(Factor { kind: FactorKind::ContactAddressInBody, detail: contacts.join(" "), count: contacts.len() as u32 });
    }
    let invisible = invisible_inside_words(&text);
    if invisible >= MIN_INVISIBLE_RUNS {
        factors.push(Factor { kind: FactorKind::InvisibleCharacters, detail: format!("{invisible} words split by invisible characters"), count: invisible });
    }
    let ibans = find_ibans(&text);
    let accounts = find_account_numbers(&text);
    if !ibans.is_empty() || !accounts.is_empty() {
        let mut shown: Vec<String> = ibans.iter().map(|iban| mask(iban)).collect();
        shown.extend(accounts.iter().map(|account| mask(account)));
        factors.push(Factor { kind: FactorKind::BankAccountDetails, detail: shown.join(" "), count: shown.len() as u32 });
    }
    if let (Some(memory), Some(domain)) = (memory, sender_domain(message)) {
        for iban in &ibans {
            if let IbanCheck::Changed { previous } = memory.check(&domain, iban) {
                let previous: Vec<String> = previous.iter().map(|iban| mask(iban)).collect();
                factors.push(Factor::new(
                    FactorKind::BankDetailsChanged,
                    format!("{domain} sent {} (before: {})", mask(iban), previous.join(" ")),
                ));
            }
        }
    }
    factors
}

/// A password given in the text ("password: 1234", "senha: 000"), in English, Portuguese, Spanish, French,
/// German and Dutch, lower-cased.
static PASSWORD_GIVEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:password|passcode|senha|contraseña|mot de passe|passwort|kennwort|wachtwoord)\s*[:=]\s*(\S{2,32})")
        .expect("valid regex")
});

/// Extensions of attachments that can be encrypted with a password.
const ENCRYPTABLE_EXTENSIONS: &[&str] = &["pdf", "zip", "rar", "7z", "doc", "docx", "docm", "xls", "xlsx", "xlsm", "ppt", "pptx"];

/// Returns the attachment and the password when the text gives a password and the message has an
/// attachment that can be encrypted. Malware and lure documents are encrypted so that filters cannot open
/// them, and the password travels in the body for the victim.
fn attachment_password(message: &MailMessage, text: &str) -> Option<String> {
    let attachment = message.attachments.iter().find_map(|attachment| {
        let name = attachment.file_name.as_deref()?;
        let extension = name.rsplit_once('.')?.1.to_ascii_lowercase();
        ENCRYPTABLE_EXTENSIONS.contains(&extension.as_str()).then_some(name)
    })?;
    let password = PASSWORD_GIVEN.captures(text)?.get(1)?.as_str();
    Some(format!("{attachment} with password {password}"))
}

/// Words of orders, charges and refunds, lower-cased, that callback scams pair with a phone number:
/// English, Portuguese, Spanish, French, German and Dutch.
const CALLBACK_CUES: &[&str] = &[
    "renewed", "renewal", "auto charge", "auto-charge", "charged", "refund", "cancel", "purchase", "order",
    "invoice", "subscription", "compra", "transação", "pedido", "reembolso", "cancelar", "cobrança", "factura",
    "commande", "remboursement", "bestellung", "rückerstattung", "abonnement", "bestelling", "terugbetaling",
];

/// Toll-free numbers: North American 8XX numbers with or without the country code (scams put each group
/// in brackets as well), and 0800 numbers.
static TOLL_FREE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\+?1[\s\x{2013}\x{2014}.-]*)?\(?8(?:00|33|44|55|66|77|88)\)?[\s\x{2013}\x{2014}.-]*\(?\d{3}\)?[\s\x{2013}\x{2014}.-]*\(?\d{4}\b\)?|\b0800[\s.-]?\d{3}[\s.-]?\d{3,4}\b")
        .expect("valid regex")
});

/// A phone number that the text offers as a support line ("our support number +1 818 ..."), in English,
/// Portuguese, Spanish, French, German and Dutch: the cue, at most 40 other characters, and the number.
static SUPPORT_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:support number|support line|helpline|help line|call us|call our|reach us|please contact|contact us|customer care|billing department|ligue para|llame al|appelez le|rufen sie|bel ons)[^\d+\n]{0,40}(\+?\d[\d\s().\x{2013}-]{7,16}\d)",
    )
    .expect("valid regex")
});

/// Returns the phone number of a callback scam: a message without links that writes of an order, charge
/// or refund and gives a toll-free number, or a number offered as a support line, to call. Such messages
/// want a phone call, where the victim is talked into paying or installing remote access, so there is no
/// link to find.
fn callback_number(message: &MailMessage, text: &str) -> Option<String> {
    if !message.urls.is_empty() || !CALLBACK_CUES.iter().any(|cue| text.contains(cue)) {
        return None;
    }
    if let Some(number) = TOLL_FREE.find(text) {
        return Some(number.as_str().trim().to_string());
    }
    // Companies give their support numbers in signatures and replies. So an ordinary number counts only in
    // a first message from a free mailbox, or one whose subject is an order in another domain's brand name.
    let subject = message.subject.as_deref().unwrap_or_default();
    let domain = sender_domain(message)?;
    let freemail = lists::FREEMAIL.contains(&domain);
    let imitated = || super::impersonation::brand_in_transactional_subject(message, &domain).is_some();
    if message.has_reply_headers || super::has_reply_prefix(subject) || !(freemail || imitated()) {
        return None;
    }
    let line = SUPPORT_LINE.captures(text)?.get(1)?.as_str().trim();
    let digits = line.chars().filter(char::is_ascii_digit).count();
    // A date and time ("15.03.2025 12") is not a number to call.
    let date_like = line.matches('.').count() >= 2 || line.contains(':');
    (digits >= 9 && !date_like).then(|| line.to_string())
}

/// A sum of 100,000 or more with its currency, in lower-cased text: `$550.000`, `$ 150.500,00`,
/// `2,500,000 euros`, `us$4.5 million`, `10 millones de dólares`.
static LARGE_SUM: LazyLock<Regex> = LazyLock::new(|| {
    let amount = r"(?:\d{3}[.,\x{a0} ]\d{3}|\d{1,3}(?:[.,\x{a0} ]\d{3}){2,})(?:[.,]\d{2})?";
    let million = r"\d+(?:[.,]\d+)?\s?(?:million|millions|milhões|milhão|millones|millón|millionen|miljoen)";
    let symbol = r"(?:us\$|r\$|\$|€|£|usd|eur|gbp)";
    let word = r"(?:usd|eur|gbp|dollars?|dólares|euros?|pounds|libras)";
    Regex::new(&format!(
        r"{symbol}\s?{amount}\b|\b{amount}\s?(?:de\s)?{word}\b|{symbol}\s?{million}|\b{million}\s(?:of\s|de\s)?{word}\b"
    ))
    .expect("valid regex")
});

/// Returns the sum named by an advance-fee letter: a first message, not list mail, without web links, whose
/// sender or Reply-To is a free mailbox, that names a sum of 100,000 or more. Such letters promise an
/// inheritance, a donation or a share of a fund, paid once the victim pays fees. Companies that write of
/// such sums do so from their own domains.
fn advance_fee_sum(message: &MailMessage, text: &str) -> Option<String> {
    let web_links = message.urls.iter().any(|found| !found.url.trim_start().get(..7).is_some_and(|scheme| scheme.eq_ignore_ascii_case("mailto:")));
    if web_links || !super::is_first_personal_message(message) {
        return None;
    }
    let freemail = |address: Option<&str>| {
        address.and_then(|address| address.rsplit_once('@')).is_some_and(|(_, domain)| lists::FREEMAIL.iter().any(|free| domain.eq_ignore_ascii_case(free)))
    };
    let from = message.from.as_ref().and_then(|mailbox| mailbox.address.as_deref());
    if !freemail(from) && !message.reply_to.iter().any(|mailbox| freemail(mailbox.address.as_deref())) {
        return None;
    }
    LARGE_SUM.find(text).map(|found| found.as_str().trim().to_string())
}

/// Maximum length, in characters, of a body that [`bec_opener`] reads as an opener. Openers are a line or
/// two, and longer mail that asks whether the reader is free is an invitation or a newsletter.
const MAX_OPENER_CHARS: usize = 600;

/// Returns the phrase of a business email compromise opener: a short first message from outside the
/// recipients' domains, not a reply and not list mail, without links or attachments, that asks whether the
/// reader is free or can do a favour. The request itself (gift cards, a payment, a phone number) follows
/// once the reader answers, so this first message carries nothing else to find. Colleagues ask the same
/// from the recipients' own domain, and the caller drops the factor when the history knows the sender.
fn bec_opener(message: &MailMessage, text: &str) -> Option<String> {
    if !message.urls.is_empty() || !message.attachments.is_empty() || !super::is_first_personal_message(message) {
        return None;
    }
    if let Some(sender) = sender_domain(message) {
        let internal = message.to.iter().chain(&message.cc).any(|mailbox| super::mailbox_domain(mailbox).as_ref() == Some(&sender));
        if internal {
            return None;
        }
    }
    // `text` is the subject, a line end and the body.
    let body = text.split_once('\n').map_or("", |(_, body)| body).trim();
    if body.chars().count() > MAX_OPENER_CHARS {
        return None;
    }
    // Mail programs write the apostrophe as U+2019 and wrap lines inside phrases.
    let words: Vec<&str> = text.split_whitespace().collect();
    let normalised = words.join(" ").replace('\u{2019}', "'");
    lists::BEC_OPENER.iter().find(|phrase| contains_words(&normalised, phrase)).cloned()
}

/// Returns whether `phrase` occurs in `text` with no letter or digit on either side.
fn contains_words(text: &str, phrase: &str) -> bool {
    text.match_indices(phrase).any(|(start, found)| is_whole_words(text, start, start + found.len()))
}

/// Returns whether the characters of `text` just before `start` and at `end` are not letters or digits, so
/// that the text between them is whole words.
fn is_whole_words(text: &str, start: usize, end: usize) -> bool {
    let boundary = |character: Option<char>| character.is_none_or(|character| !character.is_alphanumeric());
    boundary(text[..start].chars().next_back()) && boundary(text[end..].chars().next())
}

/// Characters at the start of the subject and body searched for a brand by [`brand_from_freemail`]: the
/// subject, the greeting and the first lines, where a message names its sender.
const BRAND_OPENING_CHARS: usize = 300;

/// Returns the brand that a message from a free mailbox names at its start next to an order, payment or
/// account word, unless the message replies to or forwards another or is list mail. Banks, shops and couriers write from their own domains, so a
/// receipt, a delivery notice or a security alert in a brand's name from a free mailbox is an imitation.
fn brand_from_freemail(message: &MailMessage, text: &str) -> Option<String> {
    let domain = sender_domain(message)?;
    if !lists::FREEMAIL.contains(&domain) || !super::is_first_personal_message(message) {
        return None;
    }
    let opening = first_chars(text, BRAND_OPENING_CHARS);
    if !super::impersonation::names_transaction(opening) {
        return None;
    }
    let brand = super::impersonation::brand_named_in(opening).filter(|brand| !brand.owns(&domain))?;
    Some(format!("{} from {domain}", brand.name))
}

/// Phrases before an address that ask the reader to write to the writer or someone the writer names,
/// lower-cased: English, Portuguese, Spanish, French, German and Dutch. A bare "contact" or "email" is
/// left out, because newsletters and job postings name contact addresses that way.
const CONTACT_CUES: &[&str] = &[
    "write me", "write to me", "write at", "write back", "e-mail me", "email me", "mail me", "e-mail to me",
    "email to me", "contact me", "reach me", "reply me", "reply to me", "my email", "my e-mail", "my private",
    "my personal", "my address", "contact my", "contact him", "contact her", "escreva", "comigo", "meu e-mail",
    "meu email", "meu endereço", "escríbeme", "escribeme", "contáctame", "contactame", "mi correo",
    "écrivez-moi", "écris-moi", "contactez-moi", "mon adresse", "mon e-mail", "schreib mir", "schreiben sie mir",
    "kontaktieren sie mich", "meine e-mail", "schrijf me", "mijn e-mail", "mijn email",
];

/// Characters before an address searched for a contact cue.
const CONTACT_CUE_CHARS: usize = 80;

/// Line starts that mark an address as part of a quoted header or attribution, not a request, lower-cased.
const ATTRIBUTION_CUES: &[&str] = &[
    "from:", "to:", "cc:", "de:", "para:", "von:", "an:", "sent:", "enviado", "gesendet", "signed-off-by",
    "acked-by", "reviewed-by", "reported-by", "tested-by",
];

/// Returns the free-mail addresses in lower-cased `text` that follow a request to write ("write to me at
/// ...", "contact my lawyer: ..."), other than the message's own sender, Reply-To and recipients. Scams
/// sent from one mailbox often request replies at another, private one.
pub fn contact_addresses(message: &MailMessage, text: &str) -> Vec<String> {
    let own: Vec<String> = message
        .from
        .iter()
        .chain(&message.reply_to)
        .chain(&message.to)
        .chain(&message.cc)
        .filter_map(|mailbox| mailbox.address.as_deref())
        .map(str::to_lowercase)
        .collect();
    let is_local = |character: char| character.is_ascii_alphanumeric() || matches!(character, '.' | '_' | '+' | '-');
    let is_host = |character: char| character.is_ascii_alphanumeric() || matches!(character, '.' | '-');
    let mut found: Vec<String> = Vec::new();
    for (at, _) in text.match_indices('@') {
        let start = text[..at]
            .char_indices()
            .rev()
            .find(|(_, character)| !is_local(*character))
            .map_or(0, |(index, character)| index + character.len_utf8());
        let end = text[at + 1..].find(|character: char| !is_host(character)).map_or(text.len(), |index| at + 1 + index);
        let address = text[start..end].trim_end_matches('.');
        let Some(domain) = address.split_once('@').map(|(_, domain)| domain).filter(|_| start < at) else { continue };
        if !lists::FREEMAIL.iter().any(|free| free == domain) || own.iter().any(|own| own == address) || found.iter().any(|seen| seen == address) {
            continue;
        }
        let before = &text[..start];
        if before.ends_with('<') || before.ends_with("mailto:") {
            continue;
        }
        let line = before.rsplit('\n').next().unwrap_or_default().trim_start_matches(|character: char| character == '>' || character.is_whitespace());
        if ATTRIBUTION_CUES.iter().any(|cue| line.starts_with(cue)) || line.contains("wrote") {
            continue;
        }
        let window_start = before.char_indices().rev().nth(CONTACT_CUE_CHARS - 1).map_or(0, |(index, _)| index);
        if CONTACT_CUES.iter().any(|cue| before[window_start..].contains(cue)) {
            found.push(address.to_string());
        }
    }
    found
}

/// Runs of invisible characters inside words from which [`FactorKind::InvisibleCharacters`] is raised.
const MIN_INVISIBLE_RUNS: u32 = 3;

/// Returns whether `character` is a format character that renders as nothing: the zero-width space,
/// joiners and non-joiner, the word joiner, invisible operators, the byte order mark, the combining
/// grapheme joiner and the Mongolian vowel separator. The soft hyphen is left out because hyphenated
/// text uses it legitimately.
fn is_invisible(character: char) -> bool {
    matches!(character, '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{034F}' | '\u{180E}')
}

/// Counts runs of invisible characters with a letter on both sides. Emoji sequences joined by U+200D have
/// no letter beside the joiner, so they do not count.
fn invisible_inside_words(text: &str) -> u32 {
    // Every invisible character is outside ASCII.
    if text.is_ascii() {
        return 0;
    }
    let mut runs = 0;
    let mut after_letter = false;
    let mut in_run = false;
    for character in text.chars() {
        if is_invisible(character) {
            in_run |= after_letter;
            continue;
        }
        let letter = character.is_alphabetic();
        if in_run && letter {
            runs += 1;
        }
        in_run = false;
        after_letter = letter;
    }
    runs
}

/// Returns `text` followed by the subject with look-alike letters put back ([`restore_swapped_l`]), so
/// that the phrase lists match the words the reader sees (`WlN a prize`). Returns `text` alone when the
/// subject has no such letters.
fn with_restored_subject<'a>(message: &MailMessage, text: &'a str) -> Cow<'a, str> {
    match message.subject.as_deref().and_then(restore_swapped_l) {
        Some(restored) => Cow::Owned(format!("{text}\n{}", restored.to_lowercase())),
        None => Cow::Borrowed(text),
    }
}

/// Returns the subject and the body text, lower-cased. An HTML-only message is converted to text.
pub fn message_text(message: &MailMessage) -> String {
    let mut text = message.subject.clone().unwrap_or_default();
    text.push('\n');
    text.push_str(&body_text(message));
    to_lowercase(&text)
}

/// Returns what `str::to_lowercase` returns for `text`. The standard library (Rust 1.95) lower-cases ASCII
/// a word at a time only up to the first non-ASCII character, and one character at a time after it. Much
/// mail text has such a character early (a no-break space or a typographic quote), so each run of ASCII is
/// lower-cased as a whole here, and each other character with `char::to_lowercase`. The capital sigma is
/// the one character whose lower case depends on its neighbours, so a text with one is left to the
/// standard library.
pub(crate) fn to_lowercase(text: &str) -> String {
    if text.contains('Σ') {
        return text.to_lowercase();
    }
    let mut lower = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let ascii_end = rest.bytes().position(|byte| !byte.is_ascii()).unwrap_or(rest.len());
        let start = lower.len();
        lower.push_str(&rest[..ascii_end]);
        lower[start..].make_ascii_lowercase();
        rest = &rest[ascii_end..];
        let other_end = rest.find(|character: char| character.is_ascii()).unwrap_or(rest.len());
        lower.extend(rest[..other_end].chars().flat_map(char::to_lowercase));
        rest = &rest[other_end..];
    }
    lower
}

/// Returns the body text as written: the text part, or the HTML part's visible text. A summary built
/// without that text has its HTML part converted with mail-parser.
pub fn body_text(message: &MailMessage) -> String {
    match (&message.text_body, &message.html_text, &message.html_body) {
        (Some(body), _, _) => first_chars(body, MAX_TEXT_CHARS).to_string(),
        (None, Some(text), _) => first_chars(text, MAX_TEXT_CHARS).to_string(),
        (None, None, Some(html)) => mail_parser::decoders::html::html_to_text(first_chars(html, MAX_TEXT_CHARS * 2)),
        (None, None, None) => String::new(),
    }
}

/// Returns the first `count` characters of `text`.
fn first_chars(text: &str, count: usize) -> &str {
    // A string of at most `count` bytes has at most `count` characters.
    if text.len() <= count {
        return text;
    }
    text.char_indices().nth(count).map_or(text, |(end, _)| &text[..end])
}

/// Matches every phrase list against lower-cased `text`. A match counts only at word boundaries.
fn phrase_factors(text: &str) -> Vec<Factor> {
    let mut matched: Vec<BTreeSet<&'static str>> = vec![BTreeSet::new(); CATEGORIES.kinds.len()];
    for found in CATEGORIES.matcher.find_overlapping_iter(text) {
        if is_whole_words(text, found.start(), found.end()) {
            let (category, phrase) = CATEGORIES.patterns[found.pattern().as_usize()];
            matched[category].insert(phrase);
        }
    }
    let mut factors = Vec::new();
    for (kind, matched) in CATEGORIES.kinds.iter().zip(matched) {
        if !matched.is_empty() {
            let detail = matched.iter().take(5).copied().collect::<Vec<_>>().join(", ");
            factors.push(Factor { kind: *kind, detail, count: matched.len() as u32 });
        }
    }
    factors
}

/// IBAN lengths per country code, from the SWIFT IBAN registry.
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24), ("AE", 23), ("AL", 28), ("AT", 20), ("AZ", 28), ("BA", 20), ("BE", 16), ("BG", 22), ("BH", 22),
    ("BR", 29), ("BY", 28), ("CH", 21), ("CR", 22), ("CY", 28), ("CZ", 24), ("DE", 22), ("DK", 18), ("DO", 28),
    ("EE", 20), ("EG", 29), ("ES", 24), ("FI", 18), ("FO", 18), ("FR", 27), ("GB", 22), ("GE", 22), ("GI", 23),
    ("GL", 18), ("GR", 27), ("GT", 28), ("HR", 21), ("HU", 28), ("IE", 22), ("IL", 23), ("IQ", 23), ("IS", 26),
    ("IT", 27), ("JO", 30), ("KW", 30), ("KZ", 20), ("LB", 28), ("LC", 32), ("LI", 21), ("LT", 20), ("LU", 20),
    ("LV", 21), ("MC", 27), ("MD", 24), ("ME", 22), ("MK", 19), ("MR", 27), ("MT", 31), ("MU", 30), ("NL", 18),
    ("NO", 15), ("PK", 24), ("PL", 28), ("PS", 29), ("PT", 25), ("QA", 29), ("RO", 24), ("RS", 22), ("SA", 24),
    ("SC", 31), ("SE", 24), ("SI", 19), ("SK", 24), ("SM", 27), ("TL", 23), ("TN", 24), ("TR", 26), ("UA", 29),
    ("VA", 22), ("VG", 24), ("XK", 20),
];

static IBAN_CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b[a-z]{2}[0-9]{2}(?:[ ]?[a-z0-9]{1,4}){3,9}\b").expect("IBAN pattern is valid")
});

static ACCOUNT_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:account|acct|a/c|conta|konto|cuenta|rekening|compte)[ .]*(?:no\.?|number|nr\.?|nummer|número|numero|#)?[ ]*[:#]?[ ]*([0-9][0-9 \-]{5,22}[0-9])\b",
    )
    .expect("account pattern is valid")
});

// The account-number pattern matches within one line, and `\b` reads a line break as a non-word
// character, so `find_account_numbers` may search any run of whole lines with the same results. A Unicode
// `\b` sends the regex crate's search to a slower engine once the haystack has a non-ASCII byte, so
// `line_runs` keeps runs of ASCII lines together for the fast DFA and gives each non-ASCII line on its own.

/// Splits `text` into maximal runs of consecutive ASCII lines (with the line breaks between them) and
/// single lines that have a non-ASCII character.
fn line_runs(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut end = 0;
        for line in rest.split_inclusive('\n') {
            if !line.is_ascii() {
                // A non-ASCII line ends the run of ASCII lines before it, or is a run of its own.
                if end == 0 {
                    end = line.len();
                }
                break;
            }
            end += line.len();
        }
        let (run, remainder) = rest.split_at(end);
        rest = remainder;
        Some(run)
    })
}

/// Returns the valid IBANs in `text`, upper-case and without spaces. A candidate counts when its country
/// code is known, it has that country's length and its mod-97 check (ISO 13616) gives 1.
pub fn find_ibans(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for candidate in iban_candidates(text) {
        let compact: String = candidate.as_str().chars().filter(|character| *character != ' ').collect::<String>().to_ascii_uppercase();
        let Some(&(_, length)) = IBAN_LENGTHS.iter().find(|(country, _)| compact.starts_with(country)) else { continue };
        // Case-insensitive `[a-z]` also matches the Kelvin sign and the long s, so a candidate may hold
        // multi-byte characters, and byte slicing below needs ASCII.
        if !compact.is_ascii() || compact.len() < length {
            continue;
        }
        let iban = &compact[..length];
        if iban_checksum_valid(iban) && !found.iter().any(|known: &String| known == iban) {
            found.push(iban.to_string());
        }
    }
    found
}

/// Returns whether `character` is a letter that the case-insensitive `[a-z]` of [`IBAN_CANDIDATE`] matches:
/// an ASCII letter, the Kelvin sign or the long s.
fn is_iban_letter(character: char) -> bool {
    character.is_ascii_alphabetic() || matches!(character, '\u{212A}' | '\u{17F}')
}

/// Returns the matches of [`IBAN_CANDIDATE`] in `text`, as `find_iter` returns them. A match starts with
/// two letters and two ASCII digits and contains only letters, digits and spaces, so only the runs of those
/// characters that contain such a start are searched. A line with a non-ASCII character sends the regex
/// crate's search to its slower engines, and few runs hold a start, so this saves most of the search.
fn iban_candidates(text: &str) -> Vec<regex::Match<'_>> {
    let is_run_character = |character: char| is_iban_letter(character) || character.is_ascii_digit() || character == ' ';
    let bytes = text.as_bytes();
    let mut matches = Vec::new();
    // The byte at `index` and the one after it are tested for two digits in a row.
    let mut index = 0;
    while index + 1 < bytes.len() {
        // Most bytes are not digits. When the second byte is not one, no pair starts at either byte.
        if !bytes[index + 1].is_ascii_digit() {
            index += 2;
            continue;
        }
        if !bytes[index].is_ascii_digit() {
            index += 1;
            continue;
        }
        // `index` is at an ASCII digit, so it is a character boundary.
        let mut before = text[..index].char_indices().rev();
        let (Some((_, second)), Some((start, first))) = (before.next(), before.next()) else {
            index += 1;
            continue;
        };
        if !is_iban_letter(first) || !is_iban_letter(second) {
            index += 1;
            continue;
        }
        // Matches end inside the run. The character after the run stays in the haystack, because the closing
        // `\b` reads it. For the opening `\b`, `find_at` reads the character before `start`.
        let run_end = text[start..].find(|character: char| !is_run_character(character)).map_or(text.len(), |end| start + end);
        let haystack_end = text[run_end..].chars().next().map_or(run_end, |character| run_end + character.len_utf8());
        let haystack = &text[..haystack_end];
        let mut at = start;
        while let Some(found) = IBAN_CANDIDATE.find_at(haystack, at) {
            at = found.end();
            matches.push(found);
        }
        index = run_end;
    }
    matches
}

/// Computes the ISO 13616 check: move the first four characters to the end, turn letters into 10 to 35,
/// and take the number modulo 97. A valid IBAN gives 1.
pub fn iban_checksum_valid(iban: &str) -> bool {
    if iban.len() < 5 || !iban.chars().all(|character| character.is_ascii_alphanumeric()) {
        return false;
    }
    let rearranged = iban[4..].chars().chain(iban[..4].chars());
    let mut remainder: u32 = 0;
    for character in rearranged {
        let value = character.to_digit(36).expect("alphanumeric was checked");
        remainder = if value >= 10 { (remainder * 100 + value) % 97 } else { (remainder * 10 + value) % 97 };
    }
    remainder == 1
}

/// Returns the account numbers written after an "account number" label in `text`.
pub fn find_account_numbers(text: &str) -> Vec<String> {
    // A match ends with an ASCII digit, so runs without one are not searched.
    line_runs(text)
        .filter(|run| run.bytes().any(|byte| byte.is_ascii_digit()))
        .flat_map(|run| ACCOUNT_NUMBER.captures_iter(run))
        .filter_map(|captures| captures.get(1))
        .map(|number| number.as_str().chars().filter(char::is_ascii_digit).collect::<String>())
        .filter(|digits| (6..=20).contains(&digits.len()))
        .collect()
}

/// Shows the first four and last four characters of an account identifier.
fn mask(value: &str) -> String {
    let characters: Vec<char> = value.chars().collect();
    if characters.len() <= 8 {
        return value.to_string();
    }
    let head: String = characters[..4].iter().collect();
    let tail: String = characters[characters.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// The IBANs each sender domain used, so a changed bank account of a known supplier can be flagged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentMemory {
    by_domain: BTreeMap<String, BTreeSet<String>>,
}

/// The result of comparing an IBAN with those a sender domain used before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IbanCheck {
    /// No IBAN is remembered for the domain.
    NewSender,
    /// The domain used this IBAN before.
    Known,
    /// The domain used other IBANs before, listed here.
    Changed {
        /// The IBANs remembered for the domain.
        previous: Vec<String>,
    },
}

impl PaymentMemory {
    /// Creates an empty memory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `domain` (a registrable domain) used `iban`.
    pub fn remember(&mut self, domain: &str, iban: &str) {
        self.by_domain.entry(domain.to_ascii_lowercase()).or_default().insert(normalize_iban(iban));
    }

    /// Compares `iban` with the IBANs remembered for `domain`.
    pub fn check(&self, domain: &str, iban: &str) -> IbanCheck {
        let Some(known) = self.by_domain.get(&domain.to_ascii_lowercase()) else { return IbanCheck::NewSender };
        if known.contains(&normalize_iban(iban)) {
            IbanCheck::Known
        } else {
            IbanCheck::Changed { previous: known.iter().cloned().collect() }
        }
    }

    /// Records every valid IBAN in `message` under its From domain. Call it for mail known to be genuine
    /// (for example, mail that passed DMARC and was paid), never for unchecked mail.
    pub fn remember_message(&mut self, message: &MailMessage) {
        let Some(domain) = sender_domain(message) else { return };
        for iban in find_ibans(&message_text(message)) {
            self.remember(&domain, &iban);
        }
    }
}

fn normalize_iban(iban: &str) -> String {
    iban.chars().filter(|character| !character.is_whitespace()).collect::<String>().to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercase_matches_std() {
        let texts = [
            "Plain ASCII Text",
            "Caf\u{E9} \u{A0}OPEN\u{A0}NOW \u{130}STANBUL \u{212A}ELVIN",
            "\u{C9}T\u{C9} \u{2019}QUOTED\u{2019} ABC\u{1E9E}",
            "\u{39F}\u{394}\u{3A5}\u{3A3}\u{3A3}\u{395}\u{3A5}\u{3A3} \u{3A3} A\u{3A3} \u{3A3}A",
            "",
        ];
        for text in texts {
            assert_eq!(to_lowercase(text), text.to_lowercase(), "{text:?}");
        }
    }

    #[test]
    fn iban_checksum_accepts_valid() {
        assert!(iban_checksum_valid("DE89370400440532013000"));
        assert!(iban_checksum_valid("GB29NWBK60161331926819"));
        assert!(!iban_checksum_valid("DE89370400440532013001"));
    }

    #[test]
    fn finds_spaced_iban_in_text() {
        let text = "please pay to iban: de89 3704 0044 0532 0130 00 bic cobadeffxxx by friday";
        assert_eq!(find_ibans(text), vec!["DE89370400440532013000".to_string()]);
        assert!(find_ibans("order de12 3456 7890 1234 5678 90 shipped").is_empty());
        assert!(find_ibans("de89 \u{212A}\u{212A}\u{212A}\u{212A} 0044 0532 0130 00").is_empty());
    }

    #[test]
    fn iban_found_beside_non_ascii_lines() {
        let text = "café ouvert\nde89 3704 0044 0532 0130 00\nmerci";
        assert_eq!(find_ibans(text), vec!["DE89370400440532013000".to_string()]);
    }

    #[test]
    fn line_runs_keep_ascii_lines_together() {
        let runs: Vec<&str> = line_runs("one\ntwo\ncafé\nthree\nfour").collect();
        assert_eq!(runs, vec!["one\ntwo\n", "café\n", "three\nfour"]);
        let runs: Vec<&str> = line_runs("é\nü\n\nx").collect();
        assert_eq!(runs, vec!["é\n", "ü\n", "\nx"]);
        assert_eq!(line_runs("").count(), 0);
    }

    #[test]
    fn account_numbers_found_between_non_ascii_lines() {
        let text = "référence\naccount number: 12345678\nmerci à vous\nacct no. 87654321";
        assert_eq!(find_account_numbers(text), vec!["12345678".to_string(), "87654321".to_string()]);
    }

    #[test]
    fn iban_candidates_match_find_iter() {
        let texts = [
            "pay to de89 3704 0044 0532 0130 00 or gb29 nwbk 6016 1331 9268 19 today",
            "paiement à de89 3704 0044 0532 0130 00é, ou fr76 3000 6000 0112 3456 7890 189\nmerci",
            "éde89 3704 0044 0532 0130 00 and \u{212A}\u{17F}89 0044 1234 5678_x",
            "ab12ab12 cd34 ef56 gh78\nx9 ab1 ab12",
            "a1b22cd333de89 3704 0044 0532 0130 00 1ab12 cd34 ef56",
        ];
        for text in texts {
            let expected: Vec<(usize, usize)> = IBAN_CANDIDATE.find_iter(text).map(|found| (found.start(), found.end())).collect();
            let found: Vec<(usize, usize)> = iban_candidates(text).iter().map(|found| (found.start(), found.end())).collect();
            assert_eq!(found, expected, "{text:?}");
        }
    }

    #[test]
    fn iban_needs_unicode_word_boundary() {
        assert!(find_ibans("éde89 3704 0044 0532 0130 00").is_empty());
    }

    #[test]
    fn finds_account_numbers() {
        assert_eq!(find_account_numbers("account number: 12345678, sort code 12-34-56"), vec!["12345678".to_string()]);
        assert!(find_account_numbers("your account is ready").is_empty());
    }

    #[test]
    fn phrases_match_at_word_boundaries() {
        let factors = phrase_factors("please buy gift cards and send the codes urgently");
        let kinds: Vec<FactorKind> = factors.iter().map(|factor| factor.kind).collect();
        assert!(kinds.contains(&FactorKind::GiftCardRequest));
        assert!(kinds.contains(&FactorKind::Urgency));
        assert!(phrase_factors("the surgent file").is_empty());
    }

    #[test]
    fn payment_memory_flags_changed_iban() {
        let mut memory = PaymentMemory::new();
        assert_eq!(memory.check("supplier.example", "DE89370400440532013000"), IbanCheck::NewSender);
        memory.remember("supplier.example", "DE89 3704 0044 0532 0130 00");
        assert_eq!(memory.check("Supplier.example", "DE89370400440532013000"), IbanCheck::Known);
        assert_eq!(
            memory.check("supplier.example", "GB29NWBK60161331926819"),
            IbanCheck::Changed { previous: vec!["DE89370400440532013000".to_string()] }
        );
    }
}
