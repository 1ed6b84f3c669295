//! Per-message email analysis: the factors that make a message look like credential phishing, fraud,
//! spoofing, malware, spam or graymail, and the verdict they add up to.
//!
//! Each analyser reads a [`MailMessage`] and returns [`Factor`]s. [`analyze`] runs them all and
//! [`verdict::decide`] weighs the factors with the table in [`verdict::WEIGHTS`]. Nothing here reads
//! [`MailMessage::upstream_verdicts`], resolves a host name or fetches a URL.

pub mod attachments;
pub mod context;
pub mod forwarded;
pub mod impersonation;
pub mod language;
pub mod links;
pub mod lists;
pub mod reported;
pub mod verdict;

mod domain;
mod html;
mod qr;

use std::sync::{Arc, LazyLock};

use regex::Regex;
use serde::Serialize;

use crate::message::{MailMessage, Mailbox};
use crate::verify::{AuthOutcome, TrustedHops, from_trusted_headers};

pub use context::HistoryContext;
pub use domain::{address_domain, registrable_domain};
pub use language::{IbanCheck, PaymentMemory};
pub use reported::ReportModel;
pub use verdict::{Class, Verdict, WEIGHTS, decide};

/// The kind of finding a factor reports. The name in JSON output is the variant in snake case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorKind {
    // Links.
    /// The link text is a URL or domain whose registrable domain differs from the link's.
    AnchorDomainMismatch,
    /// The link text is a URL or domain of a brand or a protected domain, and the link goes elsewhere.
    AnchorBrandMismatch,
    /// Call-to-action link text ("Review Document", "Sign in") over a domain unrelated to the sender.
    CallToActionOffDomain,
    /// A link through the redirect endpoint of a large site (Google AMP or `/url`, Bing `/ck/a`, LinkedIn
    /// `/slink` and others) from a sender that is not that site, so that the link shows a trusted domain.
    OpenRedirect,
    /// A sign-up or password-reset link whose account name is a web address: a site's registration form
    /// abused to send an advertisement from the site's own domain.
    WebAddressAsUsername,
    /// The link host is an IP address, or a hosting provider's name for one (`192.0.2.1.host.example.net`).
    IpLiteralHost,
    /// The link host is written with styled or full-width letters (`𝘁𝗿𝗮𝗻𝘀𝗳𝗲𝗿.uk`) that the browser reads as
    /// plain ones, so the text shows no domain that filters or readers recognise.
    DisguisedHost,
    /// The link goes through a URL shortener.
    Shortener,
    /// The link host has punycode (`xn--`) labels.
    PunycodeHost,
    /// A link host label mixes Unicode scripts.
    MixedScriptHost,
    /// The link points at free hosting, a site builder, a serverless platform or a tunnel.
    FreeHosting,
    /// The link points at a form or survey service.
    FormService,
    /// The link points at a file-sharing service and the sender is not that service.
    FileShareLink,
    /// A brand name is a label or hyphen-separated part of a link host on a domain the brand does not use.
    BrandOnForeignDomain,
    /// A brand name is a segment of a link's path on a domain the brand does not use.
    BrandInLinkPath,
    /// A link's domain looks like a brand's or a protected domain.
    LookalikeLinkDomain,
    /// A URL decoded from a QR code in an image attachment.
    QrCodeLink,
    /// A link whose fragment carries an email address, as phishing kits use to prefill the victim's sign-in.
    AddressInLink,
    /// A link's domain is under a top-level domain where most names are abused.
    AbusedTldLink,
    /// A link inside a PDF attachment.
    PdfLink,
    /// A PDF attachment's link goes through a shortener, an open redirect, free hosting or an IP address,
    /// or its host is disguised or looks like a brand's.
    PdfLure,

    // Sender identity.
    /// The display name contains an address or domain different from the From address.
    DisplayNameAddress,
    /// The display name names a brand and the From domain is not the brand's.
    DisplayNameBrand,
    /// The From domain looks like a protected domain or a brand's.
    LookalikeSenderDomain,
    /// The Reply-To domain differs from the From domain.
    ReplyToMismatch,
    /// Replies go to a free mailbox while the From domain is another one.
    ReplyToFreemail,
    /// The Return-Path domain differs from the From domain.
    ReturnPathMismatch,
    /// The From domain is a free mailbox provider and the display name names a brand or organisation.
    FreemailSender,
    /// The From address names a brand that does not own its domain (`bradesco-pontos@example.com`).
    BrandInSenderAddress,
    /// The display name carries a long number, as generated "protocol" or "invoice" senders do.
    DisplayNameNumber,
    /// The From header is missing or its address has no valid domain.
    MalformedSender,
    /// The subject starts with `Re:` but the message has no In-Reply-To or References header.
    FakeReply,
    /// The subject carries a recipient's address, as mass-personalised scams write it.
    RecipientInSubject,
    /// A first message names a recipient with a web address on a domain that is neither the recipient's nor
    /// the sender's. A spammer typed it as the name into a service's form (sign-up, e-signature request), and
    /// the service sent it from its own authenticated domain.
    WebAddressInRecipientName,
    /// The start of the body names the recipient by address, in mail that is not from a mailing list.
    RecipientInBody,
    /// The From domain is under a top-level domain where most names are abused.
    AbusedTldSender,
    /// The From address is on free hosting or an app platform's default domain (`*.firebaseapp.com`),
    /// which anyone can send from without owning a domain.
    SenderOnFreeHosting,
    /// Replies go to another domain while the From address failed DMARC, composite authentication or SPF,
    /// so an unauthenticated sender asks for answers somewhere else.
    ReplyToDiverted,
    /// The HTML body hides a block of text from the reader with inline styles (`display:none`, a zero font
    /// size and the like), as mail does that pads itself with words meant for filters.
    HiddenText,
    /// Zero-width or other invisible characters inside words of the subject or body, which split words
    /// so that filters do not match them.
    InvisibleCharacters,
    /// The envelope sender (Return-Path) is a server's system account (`root@`, `www-data@`) or on a host
    /// named `localhost`, for mail from another domain: sent by a script on a rented server.
    EnvelopeSystemAccount,
    /// The envelope sender is at a Microsoft 365 tenant's default domain (`*.onmicrosoft.com`) while the
    /// From address is on another domain, which that tenant has not verified as its own.
    EnvelopeTrialTenant,
    /// The From address has the `First_Last_12345` shape that bulk spam tools generate.
    GeneratedSenderAddress,
    /// Replies go to a free mailbox named after the display name, while the From address, on another
    /// domain, is not: the person named writes from an account that is not theirs.
    ReplyToNamedSender,
    /// The subject or display name hides words from filters: a word that mixes scripts (Latin with
    /// Cyrillic or Greek look-alikes) or letters from the small-capital and mathematical alphanumeric
    /// blocks. In the body, a word of mathematical or small-capital letters counts. A lower-case `l` inside
    /// an all-capital word of the display name or subject counts too, and so does a `0` or `1` for a letter
    /// in a display-name word (`MAILB0X`).
    ObfuscatedText,

    // Authentication, from the receiving host's Authentication-Results.
    /// SPF failed (`fail`).
    SpfFail,
    /// SPF soft-failed (`softfail`).
    SpfSoftfail,
    /// DKIM failed.
    DkimFail,
    /// DMARC failed.
    DmarcFail,
    /// Microsoft's composite authentication failed (`compauth=fail`).
    CompauthFail,
    /// DMARC failed for a From domain in the protected domains: someone else sends as the organisation
    /// or a correspondent.
    DmarcFailProtectedDomain,
    /// The subject names a brand and an order, payment or account, and the From domain is not the brand's.
    BrandInSubject,
    /// DMARC or composite authentication failed for a From domain of a listed brand.
    BrandDomainSpoofed,
    /// The ARC chain is broken.
    ArcFail,
    /// An authentication check did not complete because a DNS lookup failed. It adds no points.
    AuthTemporaryError,

    // History: the message against the organisation's learned mail (see [`context`]).
    /// The sender has never written to this recipient.
    FirstTimeSender,
    /// Nobody in the organisation has had mail from this sender before.
    FirstTimeSenderToOrganisation,
    /// A known sender's mail arrives through relays or DKIM domains never seen for it.
    NewSendingInfrastructure,
    /// A display name known for another address arrives from a new address.
    KnownNameNewAddress,
    /// A link domain never seen in the organisation's mail.
    NewLinkDomain,
    /// The words of the message are far more common in mail the organisation reported as phishing than in
    /// its legitimate mail (see [`reported`]).
    LikeReportedPhishing,

    // Attachments.
    /// The attachment's content is of another type than its name gives.
    AttachmentTypeMismatch,
    /// An executable, script, disk image or macro-enabled file.
    ExecutableAttachment,
    /// A name with two extensions, such as `invoice.pdf.exe`.
    DoubleExtension,
    /// An HTML attachment.
    HtmlAttachment,
    /// An HTML attachment with a form or password field.
    HtmlCredentialForm,
    /// An HTML attachment with script, meta refresh or location redirect.
    HtmlScriptRedirect,
    /// An Office document with VBA macros.
    OfficeMacro,
    /// A PDF with `/JavaScript`, `/JS`, `/Launch` or `/OpenAction`.
    PdfActiveContent,
    /// An archive with encrypted entries.
    ArchiveEncrypted,
    /// An archive inside an archive.
    ArchiveNested,
    /// An archive that contains an executable or script.
    ArchiveExecutable,
    /// An archive past a size, entry-count or depth limit, so it was not read in full.
    ArchiveLimitExceeded,
    /// An archive in a format this analysis cannot list (RAR, 7z and others).
    ArchiveUnreadable,
    /// The text gives a password and the message has an attachment that can be encrypted: the file is
    /// locked so that filters cannot read it.
    AttachmentPassword,

    // Language and payment details.
    /// Urgency or pressure phrases.
    Urgency,
    /// Payment, wire-transfer or bank-detail phrases.
    PaymentRequest,
    /// Gift-card requests.
    GiftCardRequest,
    /// Requests to verify an account or enter credentials.
    CredentialRequest,
    /// Threats to an account or service (suspension, unusual sign-in, held delivery).
    AccountThreat,
    /// Prize, lottery, inheritance, investment or extortion phrases.
    ScamLanguage,
    /// The text requests replies at a free-mail address other than the sender's and the Reply-To, as
    /// scams do that want replies at a private mailbox.
    ContactAddressInBody,
    /// A message without links writes of an order, charge or refund and gives a toll-free number, or a
    /// number it calls a support line, to call, as callback scams do.
    CallbackNumber,
    /// A first, personal message without links, from a free mailbox or with a free-mail Reply-To, names a
    /// sum of 100,000 or more, as advance-fee letters do with the fortune they promise.
    AdvanceFeeSum,
    /// A short first message without links or attachments asks whether the reader is free or can do a
    /// favour, as business email compromise does before it requests gift cards or a payment.
    BecOpener,
    /// A free-mail sender names a brand in the subject or the first lines, as its receipt, delivery notice
    /// or alert: brands do not write from free mailboxes.
    BrandFromFreemail,
    /// A valid IBAN (mod-97 checked) or a bank account number.
    BankAccountDetails,
    /// A known sender's IBAN differs from the ones seen before.
    BankDetailsChanged,

    // Verdict.
    /// Evidence from three or more of: the sender and its authentication, the links, the attachments and
    /// the language. Added by the verdict, because independent marks together are stronger than each.
    CombinedEvidence,

    // Bulk mail.
    /// Mailing-list headers (`List-Unsubscribe` or `List-Id`).
    BulkMail,

    // Forwards.
    /// The message forwards another inline, and the verdict is the forwarded original's: its sender,
    /// subject and text, read from the header block the forwarding client wrote (see [`forwarded`]).
    ForwardedOriginal,

    // Failures.
    /// An analyser failed on this message (a bug in harrier), so the verdict is incomplete. The detail
    /// contains the panic message, so that the failure can be reported and fixed.
    AnalysisFailed,
}

/// One finding of an analyser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Factor {
    /// The finding, in words.
    pub kind: FactorKind,
    /// The evidence: a URL, a domain, a file name or the matched phrases.
    pub detail: String,
    /// How many distinct matches the factor stands for (phrases, links); at least 1.
    pub count: u32,
}

impl Factor {
    /// Creates a factor that stands for one match.
    pub fn new(kind: FactorKind, detail: impl Into<String>) -> Self {
        Self { kind, detail: detail.into(), count: 1 }
    }
}

/// Settings of the analysis.
#[derive(Debug, Clone, Default)]
pub struct AnalysisOptions {
    /// Registrable domains of the organisation and its correspondents, lower-case; look-alikes of them are
    /// flagged.
    pub protected_domains: Vec<String>,
    /// IBANs seen before, per sender domain; a changed IBAN for a known sender is flagged.
    pub payment_memory: Option<PaymentMemory>,
    /// SPF, DKIM, DMARC and ARC results checked in the mail flow. When set, Authentication-Results headers
    /// are not read.
    pub authentication: Option<AuthOutcome>,
    /// The hops whose Authentication-Results headers are evidence, for delivered mail.
    pub trusted_hops: TrustedHops,
    /// What the organisation's mail history says about this message.
    pub history: Option<HistoryContext>,
    /// Words of the mail the organisation's analysts labelled.
    pub reported: Option<Arc<ReportModel>>,
}

/// The factors of one message and the verdict they add up to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Analysis {
    /// The verdict.
    pub verdict: Verdict,
    /// Every factor found, strongest first.
    pub factors: Vec<verdict::WeightedFactor>,
}

/// Runs every analyser on `message` and decides its verdict. A message that forwards another inline is
/// also analysed as the forwarded original (its sender, subject and text, without the forward's transport
/// headers), and the higher of the two verdicts is returned.
///
/// A panic inside an analyser is caught, so that one message cannot stop a scan, a replay or the milter:
/// the message is then clean with a single [`FactorKind::AnalysisFailed`] factor that names the failure.
pub fn analyze(message: &MailMessage, options: &AnalysisOptions) -> Analysis {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| analyze_with_forward(message, options))) {
        Ok(analysis) => analysis,
        Err(payload) => {
            let reason = payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            let factor = Factor::new(FactorKind::AnalysisFailed, format!("analysis stopped: {reason}"));
            Analysis {
                verdict: Verdict { class: Class::Clean, score: 0 },
                factors: vec![verdict::WeightedFactor { factor, weight: 0, class: None }],
            }
        }
    }
}

fn analyze_with_forward(message: &MailMessage, options: &AnalysisOptions) -> Analysis {
    let analysis = analyze_one(message, options);
    if !forwarded::may_be_forward(message) {
        return analysis;
    }
    let Some(original) = forwarded::find(message, &language::body_text(message)) else {
        return analysis;
    };
    // The original is read without the forward's authentication and history, which describe the
    // forwarder, and without the payment memory, which is keyed by the authenticated sender's domain.
    let inner_options = AnalysisOptions { protected_domains: options.protected_domains.clone(), ..AnalysisOptions::default() };
    let mut inner = analyze_one(&forwarded::original_message(message, &original), &inner_options);
    if inner.verdict.score <= analysis.verdict.score {
        return analysis;
    }
    let from = original.from.address.as_deref().unwrap_or_default();
    let detail = format!("from {from}: {}", original.subject.as_deref().unwrap_or_default());
    inner.factors.push(verdict::WeightedFactor { factor: Factor::new(FactorKind::ForwardedOriginal, detail), weight: 0, class: None });
    inner
}

fn analyze_one(message: &MailMessage, options: &AnalysisOptions) -> Analysis {
    let mut factors = Vec::new();
    factors.extend(impersonation::analyze(message, &options.protected_domains));
    factors.extend(links::analyze(message, &options.protected_domains));
    factors.extend(attachments::analyze(message, &options.protected_domains));
    factors.extend(language::analyze(message, options.payment_memory.as_ref()));
    factors.extend(authentication(message, options));
    if let Some(factor) = options.reported.as_deref().and_then(|model| model.factor(message)) {
        factors.push(factor);
    }
    if let Some(history) = &options.history {
        factors.extend(history.factors());
        // A sender the recipients already correspond with asks whether they are free as a matter of course.
        if history.first_time_recipients.is_empty() && !history.first_time_to_organisation {
            factors.retain(|factor| factor.kind != FactorKind::BecOpener);
        }
    }
    if let Some(diverted) = reply_to_diverted(&factors) {
        factors.push(diverted);
    }
    // A CMS on a rented server sends the organisation's own mail from `www-data@` its host. Mail that
    // passes DMARC for its From domain comes from the domain owner, whatever the envelope.
    if factors.iter().any(|factor| factor.kind == FactorKind::EnvelopeSystemAccount) && dmarc_passed(message, options) {
        factors.retain(|factor| factor.kind != FactorKind::EnvelopeSystemAccount);
    }
    if let Some(spoofed) = brand_domain_spoofed(message, &factors) {
        factors.push(spoofed);
    }
    if let Some(name) = web_address_in_recipient_name(message) {
        factors.push(Factor::new(FactorKind::WebAddressInRecipientName, name));
    }
    if let Some(address) = recipient_in_subject(message) {
        factors.push(Factor::new(FactorKind::RecipientInSubject, address));
    }
    let headers = [message.subject.as_deref(), message.from.as_ref().and_then(|from| from.name.as_deref())];
    if let Some(text) = headers.into_iter().flatten().find(|text| is_obfuscated(text)) {
        factors.push(Factor::new(FactorKind::ObfuscatedText, text));
    } else if let Some(word) = styled_body_word(message) {
        factors.push(Factor::new(FactorKind::ObfuscatedText, word));
    } else if let Some(word) = lookalike_ascii_header_word(message) {
        factors.push(Factor::new(FactorKind::ObfuscatedText, word));
    }
    if message.hidden_html_words >= MIN_HIDDEN_WORDS {
        factors.push(Factor::new(FactorKind::HiddenText, format!("{} words hidden by inline styles", message.hidden_html_words)));
    }
    if let Some(address) = recipient_in_body(message) {
        factors.push(Factor::new(FactorKind::RecipientInBody, address));
    }
    if fake_reply(message) {
        factors.push(Factor::new(FactorKind::FakeReply, message.subject.clone().unwrap_or_default()));
    }
    if is_bulk(message) {
        factors.push(Factor::new(FactorKind::BulkMail, message.list_headers.join(" ")));
    }
    let has_payload = !message.urls.is_empty() || !message.attachments.is_empty();
    verdict::decide(factors, has_payload)
}

/// A web address in a display name: an optional scheme or `//`, a host, and an optional path. The host
/// counts only with a scheme, `//`, `www.` or a path, so that a name such as `Ann (example.com)` does not.
static WEB_ADDRESS_IN_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(https?:/*|//)?\b([a-z0-9-]+(?:\.[a-z0-9-]+)+)(/[^\s/]+)?").expect("valid regex")
});

/// Returns the display name of a To or Cc recipient of a first message that contains a web address whose
/// registrable domain is neither the recipient's nor the sender's. Senders do not write web addresses into
/// their recipients' names, but a business may show its own site in its name, and replies to it keep that
/// name. Services that let anyone type a recipient's name (e-signature requests, invitations, sign-ups) send
/// what a spammer typed there, from their own authenticated domain.
fn web_address_in_recipient_name(message: &MailMessage) -> Option<String> {
    if message.has_reply_headers || has_reply_prefix(message.subject.as_deref().unwrap_or_default()) {
        return None;
    }
    let sender = sender_domain(message);
    message.to.iter().chain(&message.cc).find_map(|mailbox| {
        let name = mailbox.name.as_deref()?;
        let own = mailbox_domain(mailbox);
        let foreign_address = WEB_ADDRESS_IN_NAME.captures_iter(name).any(|found| {
            let host = found.get(2).map_or("", |host| host.as_str());
            let marked = found.get(1).is_some() || found.get(3).is_some() || host.to_ascii_lowercase().starts_with("www.");
            let domain = registrable_domain(host);
            marked && domain.is_some() && domain != own && domain != sender
        });
        foreign_address.then(|| name.to_string())
    })
}

fn recipient_in_subject(message: &MailMessage) -> Option<String> {
    let subject = message.subject.as_deref()?.to_lowercase();
    message
        .to
        .iter()
        .chain(&message.cc)
        .filter_map(|mailbox| mailbox.address.as_deref())
        .map(str::to_lowercase)
        .find(|address| address.contains('@') && subject.contains(address.as_str()))
}

/// Hidden words from which [`FactorKind::HiddenText`] is raised. Bulk mail hides a preheader of a sentence
/// or two (usually under 20 words) for mail clients to show in the message list.
// NOTE: the ham this was checked on (no hidden block of 10 words or more in 1,450 messages) predates CSS
// newsletters, so the false-positive rate on current bulk mail is unmeasured.
const MIN_HIDDEN_WORDS: u32 = 30;

/// Characters at the start of the body searched for the recipient's address: the greeting, not the
/// footer, where newsletters print the subscribed address.
const GREETING_CHARS: usize = 400;

/// Returns a To address that appears at the start of the body text. Mailing lists are left out, because
/// list software writes the subscriber's address into the message.
fn recipient_in_body(message: &MailMessage) -> Option<String> {
    if is_bulk(message) {
        return None;
    }
    let body = message.text_body.as_deref().or(message.html_body.as_deref())?;
    let greeting: String = body.chars().take(GREETING_CHARS).collect::<String>().to_lowercase();
    message
        .to
        .iter()
        .filter_map(|mailbox| mailbox.address.as_deref())
        .map(str::to_lowercase)
        .find(|address| address.contains('@') && greeting.contains(address.as_str()))
}

/// Returns whether `text` has a word that mixes scripts or letters styled with Unicode blocks meant for
/// phonetics and mathematics, which people do not type in ordinary mail.
fn is_obfuscated(text: &str) -> bool {
    use unicode_security::MixedScript;

    // Every styled letter is outside ASCII, and an ASCII word is Latin with digits, a single script.
    if text.is_ascii() {
        return false;
    }
    words_of_three(text).any(|word| word.chars().any(is_styled) || !word.is_single_script())
}

/// Returns the first word of the display name or subject that writes a letter with a look-alike ASCII
/// character, which the reader reads as the word but a filter does not match: a lower-case `l` inside an
/// all-capital word (`WlN`). In the display name, a `0` or `1` between letters of one case (`MAILB0X`,
/// `Micr0soft`) counts too, unless the sender's address has the same word, as names copied from user names
/// do. Subjects are left out of the digit check, because they name parts such as `au1xmmc`.
fn lookalike_ascii_header_word(message: &MailMessage) -> Option<String> {
    let from = message.from.as_ref();
    let display_name = from.and_then(|from| from.name.as_deref()).unwrap_or_default();
    let address = from.and_then(|from| from.address.as_deref()).unwrap_or_default().to_ascii_lowercase();
    let subject = message.subject.as_deref().unwrap_or_default();
    let digit_word = |word: &&str| has_digit_for_letter(word) && !address.contains(&word.to_ascii_lowercase());
    let in_name = ascii_words(display_name).find(|word| has_l_for_capital_i(word) || digit_word(word));
    in_name.or_else(|| ascii_words(subject).find(|word| has_l_for_capital_i(word))).map(str::to_string)
}

/// Returns the runs of ASCII letters and digits in `text`.
fn ascii_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|character: char| !character.is_ascii_alphanumeric()).filter(|word| !word.is_empty())
}

/// Returns whether `word` is capitals around one lower-case `l` (`WlN`).
fn has_l_for_capital_i(word: &str) -> bool {
    let bytes = word.as_bytes();
    word.find('l').is_some_and(|position| {
        position > 0 && position + 1 < bytes.len() && bytes.iter().enumerate().all(|(index, byte)| index == position || byte.is_ascii_uppercase())
    })
}

/// Returns `text` with each lower-case `l` inside an all-capital word written as `I` (`WlN` to `WIN`), or
/// `None` when it has no such word. A capital `I` inside a lower-case word needs no such step, because
/// phrase matching lower-cases the text.
pub(crate) fn restore_swapped_l(text: &str) -> Option<String> {
    let mut restored = String::with_capacity(text.len());
    let mut changed = false;
    let mut rest = text;
    while let Some(start) = rest.find(|character: char| character.is_ascii_alphanumeric()) {
        restored.push_str(&rest[..start]);
        let after = &rest[start..];
        let end = after.find(|character: char| !character.is_ascii_alphanumeric()).unwrap_or(after.len());
        let word = &after[..end];
        if has_l_for_capital_i(word) {
            restored.push_str(&word.replace('l', "I"));
            changed = true;
        } else {
            restored.push_str(word);
        }
        rest = &after[end..];
    }
    restored.push_str(rest);
    changed.then_some(restored)
}

/// Returns whether `word` has one `0` or `1` (for O, I or l) with letters on both sides, four letters or
/// more, and one case throughout or a capital followed by lower case. Two or more digits (`web01prod`)
/// number hosts and accounts. Product names that mix cases
/// around their digits (`Win10Pro`) or use other digits (`Fax2Mail`) do not match.
fn has_digit_for_letter(word: &str) -> bool {
    let letters: String = word.chars().filter(char::is_ascii_alphabetic).collect();
    let digits: Vec<(usize, char)> = word.char_indices().filter(|(_, character)| character.is_ascii_digit()).collect();
    let (Some(&(first, _)), Some(&(last, _))) = (digits.first(), digits.last()) else {
        return false;
    };
    let one_digit = first == last;
    let look_alike = digits.iter().all(|(_, digit)| matches!(digit, '0' | '1'));
    let inside = first > 0 && last + 1 < word.len();
    let one_case = letters.chars().all(|character| character.is_ascii_uppercase())
        || letters.chars().skip(1).all(|character| character.is_ascii_lowercase());
    one_digit && look_alike && inside && letters.len() >= 4 && one_case
}

/// Characters of the body searched for styled letters by [`styled_body_word`].
const STYLED_BODY_CHARS: usize = 4_000;

/// Returns the first word of the body's start written in styled letters. Only styled letters count here:
/// a body may quote words of two scripts, but people rarely type mathematical bold in a letter, while spam
/// writes its offer in it so that filters do not read the words.
fn styled_body_word(message: &MailMessage) -> Option<String> {
    // The HTML source starts with its head and style sheet, so more of it is read.
    let (body, limit) = match (message.text_body.as_deref().or(message.html_text.as_deref()), message.html_body.as_deref()) {
        (Some(text), _) => (text, STYLED_BODY_CHARS),
        (None, Some(html)) => (html, 4 * STYLED_BODY_CHARS),
        (None, None) => return None,
    };
    let start = match body.char_indices().nth(limit) {
        Some((end, _)) => &body[..end],
        None => body,
    };
    if start.is_ascii() {
        return None;
    }
    words_of_three(start).find(|word| word.chars().filter(|character| is_math_styled(*character)).count() >= 3).map(str::to_string)
}

/// Returns whether a character is from the small-capital and phonetic or the mathematical alphanumeric
/// blocks. Full-width Latin is left out of the body check, because Chinese and Japanese text writes
/// `ＴＥＬ` and `ＦＡＸ` that way.
fn is_math_styled(character: char) -> bool {
    matches!(u32::from(character), 0x1D00..=0x1D7F | 0x1D400..=0x1D7FF)
}

/// Returns the words of three characters or more.
fn words_of_three(text: &str) -> impl Iterator<Item = &str> {
    text.split(|character: char| !character.is_alphanumeric()).filter(|word| word.chars().count() >= 3)
}

/// Returns whether a character is from the small-capital and phonetic, mathematical alphanumeric,
/// superscript and subscript, or full-width Latin letter blocks.
pub(crate) fn is_styled(character: char) -> bool {
    matches!(u32::from(character), 0x1D00..=0x1D7F | 0x1D400..=0x1D7FF | 0x2070..=0x209F | 0xFF21..=0xFF5A)
}

/// Returns [`FactorKind::ReplyToDiverted`] when the factors have both a Reply-To on another domain and a
/// failed DMARC, composite authentication or SPF result.
fn reply_to_diverted(factors: &[Factor]) -> Option<Factor> {
    let failed = factors.iter().any(|factor| matches!(factor.kind, FactorKind::DmarcFail | FactorKind::CompauthFail | FactorKind::SpfFail));
    let reply_to = factors.iter().find(|factor| factor.kind == FactorKind::ReplyToMismatch)?;
    failed.then(|| Factor::new(FactorKind::ReplyToDiverted, reply_to.detail.clone()))
}

/// Returns [`FactorKind::BrandDomainSpoofed`] when DMARC or composite authentication failed for a From
/// domain that a listed brand sends from: mail really from the brand passes, so this is someone else using
/// its domain.
fn brand_domain_spoofed(message: &MailMessage, factors: &[Factor]) -> Option<Factor> {
    let failed = factors.iter().any(|factor| matches!(factor.kind, FactorKind::DmarcFail | FactorKind::CompauthFail));
    if !failed {
        return None;
    }
    let domain = sender_domain(message)?;
    let brand = lists::BRANDS.iter().find(|brand| brand.owns(&domain))?;
    Some(Factor::new(FactorKind::BrandDomainSpoofed, format!("{domain} ({})", brand.name)))
}

fn fake_reply(message: &MailMessage) -> bool {
    has_reply_prefix(message.subject.as_deref().unwrap_or_default()) && !message.has_reply_headers
}

/// Returns whether `subject` starts with a reply prefix ("Re:", "AW:", "SV:" and others).
pub(crate) fn has_reply_prefix(subject: &str) -> bool {
    let subject = subject.trim_start().to_lowercase();
    ["re:", "re :", "aw:", "sv:", "res:", "rif:"].iter().any(|prefix| subject.starts_with(prefix))
}

/// Returns whether `message` starts a conversation one to one: it is not a reply or a forward, by its
/// headers or its subject, and not list mail. Fraud that opens a conversation (an opener, a brand's receipt
/// from a free mailbox) is looked for only in such messages.
pub(crate) fn is_first_personal_message(message: &MailMessage) -> bool {
    let subject = message.subject.as_deref().unwrap_or_default();
    !message.has_reply_headers && !is_bulk(message) && !has_reply_prefix(subject) && !forwarded::has_forward_prefix(subject)
}

/// Returns the authentication factors: from the in-flow results when given, else from the headers of
/// trusted hops when any are configured.
fn authentication(message: &MailMessage, options: &AnalysisOptions) -> Vec<Factor> {
    if let Some(outcome) = &options.authentication {
        return outcome.factors(&options.protected_domains);
    }
    if !options.trusted_hops.is_empty() {
        return from_trusted_headers(message, &options.trusted_hops)
            .map(|outcome| outcome.factors(&options.protected_domains))
            .unwrap_or_default();
    }
    // NOTE: without configured trusted hops the topmost header is read, whoever wrote it, as before
    // trusted hops existed. Configure them wherever the receiving hosts are known.
    authentication_factors(message)
}

/// Returns whether DMARC passed, read from the same source as [`authentication`].
fn dmarc_passed(message: &MailMessage, options: &AnalysisOptions) -> bool {
    let outcome_passed = |outcome: &AuthOutcome| outcome.dmarc.as_ref().is_some_and(|dmarc| dmarc.status == crate::verify::Status::Pass);
    if let Some(outcome) = &options.authentication {
        return outcome_passed(outcome);
    }
    if !options.trusted_hops.is_empty() {
        return from_trusted_headers(message, &options.trusted_hops).is_some_and(|outcome| outcome_passed(&outcome));
    }
    topmost_auth_header(message).is_some_and(|header| header.result_of("dmarc") == Some("pass"))
}

/// Returns the topmost Authentication-Results header with an SPF, DKIM, DMARC or compauth result.
fn topmost_auth_header(message: &MailMessage) -> Option<&crate::auth::AuthenticationResults> {
    let methods = ["spf", "dkim", "dmarc", "compauth"];
    message
        .authentication_results
        .iter()
        .find(|header| header.results.iter().any(|result| methods.contains(&result.method.as_str())))
}

/// Reads SPF, DKIM, DMARC and compauth results from the topmost Authentication-Results header that has
/// any of them. That header was written by the receiving host. Lower ones travelled with the message, so a
/// sender could have forged them.
fn authentication_factors(message: &MailMessage) -> Vec<Factor> {
    let Some(header) = topmost_auth_header(message) else {
        return Vec::new();
    };
    let mut factors = Vec::new();
    let detail = |method: &str, result: &str| format!("{method}={result} by {}", header.authserv_id.as_deref().unwrap_or("?"));
    match header.result_of("spf") {
        Some(result @ "fail") => factors.push(Factor::new(FactorKind::SpfFail, detail("spf", result))),
        Some(result @ "softfail") => factors.push(Factor::new(FactorKind::SpfSoftfail, detail("spf", result))),
        _ => {}
    }
    // A message with several signatures passes DKIM when any of them passes.
    let dkim: Vec<&str> =
        header.results.iter().filter(|result| result.method == "dkim").map(|result| result.result.as_str()).collect();
    if dkim.contains(&"fail") && !dkim.contains(&"pass") {
        factors.push(Factor::new(FactorKind::DkimFail, detail("dkim", "fail")));
    }
    if header.result_of("dmarc") == Some("fail") {
        factors.push(Factor::new(FactorKind::DmarcFail, detail("dmarc", "fail")));
    }
    if header.result_of("compauth") == Some("fail") {
        factors.push(Factor::new(FactorKind::CompauthFail, detail("compauth", "fail")));
    }
    factors
}

pub(crate) fn is_bulk(message: &MailMessage) -> bool {
    message.list_headers.iter().any(|name| name == "list-unsubscribe" || name == "list-id")
}

/// Returns the registrable domain of the From address, when it has one.
pub(crate) fn sender_domain(message: &MailMessage) -> Option<String> {
    mailbox_domain(message.from.as_ref()?)
}

/// Returns the registrable domain of a mailbox's address, when it has one.
pub(crate) fn mailbox_domain(mailbox: &Mailbox) -> Option<String> {
    registrable_domain(&address_domain(mailbox.address.as_deref()?)?)
}
