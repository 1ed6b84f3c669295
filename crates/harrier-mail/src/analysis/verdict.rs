//! The verdict: factors weighed into a score from 0 to 100 and a class.
//!
//! Each factor kind has one row in [`WEIGHTS`]: its weight for the first match, what each further match
//! adds, the most it can add, and the class it is evidence for. The score is the sum over the factors,
//! capped at 100. Impersonation and failed authentication show how a message deceives, while links,
//! attachments and language show what it wants. So the class is the strongest of phishing, fraud and
//! malware when any of them has evidence, and spoofing only when none does.

use serde::Serialize;

use super::{Analysis, Factor, FactorKind};

/// The class of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Wants credentials: a sign-in page, an HTML form, an account threat.
    CredentialPhishing,
    /// Wants money or goods: wire transfers, changed bank details, gift cards, advance-fee scams.
    BecFraud,
    /// Forges or imitates a sender, with no phishing, fraud or malware payload found.
    Spoofing,
    /// Delivers code: executables, macros, active PDFs, archives hiding any of them.
    Malware,
    /// Unwanted mail with some of the marks above, but not enough for a threat class.
    Spam,
    /// Legitimate bulk mail: newsletters and mailing lists.
    Graymail,
    /// Nothing found.
    Clean,
}

impl Class {
    /// Every class, threats first.
    pub const ALL: [Class; 7] =
        [Self::CredentialPhishing, Self::BecFraud, Self::Malware, Self::Spoofing, Self::Spam, Self::Graymail, Self::Clean];

    /// Returns the class name as printed: `credential_phishing`, `bec_fraud` and so on.
    pub fn name(self) -> &'static str {
        match self {
            Self::CredentialPhishing => "credential_phishing",
            Self::BecFraud => "bec_fraud",
            Self::Spoofing => "spoofing",
            Self::Malware => "malware",
            Self::Spam => "spam",
            Self::Graymail => "graymail",
            Self::Clean => "clean",
        }
    }

    /// Returns whether the class is phishing, fraud or malware.
    pub fn is_threat(self) -> bool {
        matches!(self, Self::CredentialPhishing | Self::BecFraud | Self::Malware)
    }
}

/// The weight of one factor kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FactorWeight {
    /// The factor kind.
    pub kind: FactorKind,
    /// Points for the first match.
    pub weight: u8,
    /// Points for each further match (another link, another phrase).
    pub per_extra: u8,
    /// Most points the kind can add.
    pub max: u8,
    /// The class the factor is evidence for; `None` when it only adds to the score.
    pub class: Option<Class>,
}

const fn row(kind: FactorKind, weight: u8, per_extra: u8, max: u8, class: Option<Class>) -> FactorWeight {
    FactorWeight { kind, weight, per_extra, max, class }
}

use Class::{BecFraud as Fraud, CredentialPhishing as Phish, Malware as Mal, Spoofing as Spoof};
use FactorKind as K;

/// The weight table. Scores of 40 and above are threats; 25 to 39 are spam.
#[rustfmt::skip]
pub const WEIGHTS: &[FactorWeight] = &[
    //  kind                          first extra  max  class
    row(K::AnchorDomainMismatch,        10,   2,   15, Some(Phish)),
    row(K::AnchorBrandMismatch,         30,   5,   35, Some(Phish)),
    row(K::CallToActionOffDomain,        20,   5,   30, Some(Phish)),
    row(K::OpenRedirect,                20,   0,   20, Some(Phish)),
    row(K::WebAddressAsUsername,        40,   0,   40, Some(Fraud)),
    row(K::IpLiteralHost,               25,   0,   25, Some(Phish)),
    row(K::DisguisedHost,               30,   0,   30, Some(Phish)),
    row(K::Shortener,                   10,   0,   10, Some(Phish)),
    row(K::PunycodeHost,                15,   0,   15, Some(Phish)),
    row(K::MixedScriptHost,             30,   0,   30, Some(Phish)),
    row(K::FreeHosting,                 20,   5,   30, Some(Phish)),
    row(K::FormService,                 20,   0,   20, Some(Phish)),
    row(K::FileShareLink,                8,   0,    8, Some(Phish)),
    row(K::BrandOnForeignDomain,        25,   5,   30, Some(Phish)),
    row(K::LookalikeLinkDomain,         30,   0,   30, Some(Phish)),
    row(K::QrCodeLink,                  25,   0,   25, Some(Phish)),
    row(K::AddressInLink,               20,   0,   20, Some(Phish)),
    row(K::AbusedTldLink,               10,   0,   10, Some(Phish)),
    row(K::PdfLink,                     15,   0,   15, Some(Phish)),
    row(K::PdfLure,                     20,   0,   20, Some(Phish)),
    row(K::BrandInLinkPath,             10,   0,   10, Some(Phish)),

    row(K::DisplayNameAddress,          25,   0,   25, Some(Spoof)),
    row(K::DisplayNameBrand,            30,   0,   30, Some(Spoof)),
    row(K::LookalikeSenderDomain,       30,   0,   30, Some(Spoof)),
    row(K::ReplyToMismatch,              5,   0,    5, Some(Spoof)),
    row(K::ReplyToFreemail,             15,   0,   15, Some(Fraud)),
    row(K::ReturnPathMismatch,           3,   0,    3, None),
    row(K::FreemailSender,              10,   0,   10, Some(Fraud)),
    row(K::BrandInSenderAddress,        25,   0,   25, Some(Spoof)),
    row(K::DisplayNameNumber,           15,   0,   15, Some(Spoof)),
    row(K::MalformedSender,             10,   0,   10, Some(Spoof)),
    row(K::FakeReply,                   10,   0,   10, Some(Spoof)),
    row(K::RecipientInSubject,          15,   0,   15, None),
    row(K::WebAddressInRecipientName,   40,   0,   40, Some(Fraud)),
    row(K::RecipientInBody,             10,   0,   10, None),
    row(K::AbusedTldSender,             10,   0,   10, Some(Spoof)),
    row(K::SenderOnFreeHosting,         20,   0,   20, Some(Spoof)),
    row(K::ReplyToDiverted,             15,   0,   15, Some(Fraud)),
    row(K::EnvelopeSystemAccount,       15,   0,   15, Some(Spoof)),
    row(K::EnvelopeTrialTenant,         15,   0,   15, Some(Spoof)),
    row(K::GeneratedSenderAddress,      10,   0,   10, Some(Spoof)),
    row(K::ReplyToNamedSender,          15,   0,   15, Some(Fraud)),
    row(K::ObfuscatedText,              20,   0,   20, Some(Spoof)),
    row(K::HiddenText,                  15,   0,   15, None),
    row(K::InvisibleCharacters,         15,   0,   15, None),

    row(K::SpfFail,                     15,   0,   15, Some(Spoof)),
    row(K::SpfSoftfail,                  5,   0,    5, Some(Spoof)),
    row(K::DkimFail,                    10,   0,   10, Some(Spoof)),
    row(K::DmarcFail,                   25,   0,   25, Some(Spoof)),
    row(K::CompauthFail,                30,   0,   30, Some(Spoof)),
    row(K::DmarcFailProtectedDomain,    40,   0,   40, Some(Spoof)),
    row(K::BrandInSubject,              20,   0,   20, Some(Spoof)),
    row(K::BrandDomainSpoofed,          25,   0,   25, Some(Spoof)),
    row(K::ArcFail,                      5,   0,    5, Some(Spoof)),
    row(K::AuthTemporaryError,           0,   0,    0, None),

    row(K::FirstTimeSender,              5,   0,    5, None),
    row(K::FirstTimeSenderToOrganisation, 10,  0,   10, None),
    row(K::NewSendingInfrastructure,    15,   0,   15, Some(Spoof)),
    row(K::KnownNameNewAddress,         25,   0,   25, Some(Spoof)),
    row(K::NewLinkDomain,                8,   2,   12, Some(Phish)),
    // No class: it raises the score, and the message's own factors decide the class.
    row(K::LikeReportedPhishing,        20,  10,   30, None),

    row(K::AttachmentTypeMismatch,      20,   0,   20, Some(Mal)),
    row(K::ExecutableAttachment,        45,   0,   45, Some(Mal)),
    row(K::DoubleExtension,             40,   0,   40, Some(Mal)),
    row(K::HtmlAttachment,              15,   0,   15, Some(Phish)),
    row(K::HtmlCredentialForm,          35,   0,   35, Some(Phish)),
    row(K::HtmlScriptRedirect,          25,   0,   25, Some(Phish)),
    row(K::OfficeMacro,                 45,   0,   45, Some(Mal)),
    row(K::PdfActiveContent,            30,   0,   30, Some(Mal)),
    row(K::ArchiveEncrypted,            30,   0,   30, Some(Mal)),
    row(K::ArchiveNested,               15,   0,   15, Some(Mal)),
    row(K::ArchiveExecutable,           45,   0,   45, Some(Mal)),
    row(K::ArchiveLimitExceeded,        20,   0,   20, Some(Mal)),
    row(K::ArchiveUnreadable,           15,   0,   15, Some(Mal)),
    row(K::AttachmentPassword,          25,   0,   25, Some(Mal)),

    row(K::Urgency,                      10,   5,   25, None),
    row(K::PaymentRequest,              10,   5,   25, Some(Fraud)),
    row(K::GiftCardRequest,             20,  10,   35, Some(Fraud)),
    row(K::CredentialRequest,            25,  10,   45, Some(Phish)),
    row(K::AccountThreat,                15,   8,   35, Some(Phish)),
    row(K::ScamLanguage,                  8,   6,   40, Some(Fraud)),
    row(K::ContactAddressInBody,        20,   0,   20, Some(Fraud)),
    row(K::CallbackNumber,              20,   0,   20, Some(Fraud)),
    row(K::AdvanceFeeSum,               15,   0,   15, Some(Fraud)),
    row(K::BecOpener,                   30,   0,   30, Some(Fraud)),
    row(K::BrandFromFreemail,           20,   0,   20, None),
    row(K::BankAccountDetails,           8,   0,    8, Some(Fraud)),
    row(K::BankDetailsChanged,          45,   0,   45, Some(Fraud)),

    row(K::CombinedEvidence,            10,   0,   10, None),
    row(K::BulkMail,                     0,   0,    0, None),
    row(K::ForwardedOriginal,            0,   0,    0, None),
    row(K::AnalysisFailed,               0,   0,    0, None),
];

/// Scores from this value up are phishing, fraud, malware or spoofing.
pub const THREAT_SCORE: u32 = 40;

/// Scores from this value up to [`THREAT_SCORE`] are spam.
pub const SPAM_SCORE: u32 = 25;

/// A payload class (phishing, fraud, malware) needs this many points of its own evidence to be chosen.
const MIN_PAYLOAD_EVIDENCE: u32 = 6;

/// Points of sender-forgery evidence that make a threat score spoofing (or phishing, with links).
const MIN_SPOOFING_EVIDENCE: u32 = 15;

/// Groups of evidence needed for [`FactorKind::CombinedEvidence`].
const MIN_COMBINED_GROUPS: usize = 3;

/// Returns the groups (sender, links, attachments, language) that have factors with points, in that order.
fn evidence_groups(weighted: &[WeightedFactor]) -> Vec<&'static str> {
    let group = |kind: FactorKind| match kind {
        K::AnchorDomainMismatch | K::AnchorBrandMismatch | K::CallToActionOffDomain | K::OpenRedirect | K::WebAddressAsUsername | K::IpLiteralHost
        | K::DisguisedHost
        | K::Shortener | K::PunycodeHost | K::MixedScriptHost | K::FreeHosting | K::FormService
        | K::FileShareLink | K::BrandOnForeignDomain | K::BrandInLinkPath | K::LookalikeLinkDomain
        | K::QrCodeLink | K::AddressInLink | K::AbusedTldLink | K::PdfLink | K::PdfLure | K::NewLinkDomain => Some("links"),
        K::AttachmentTypeMismatch | K::ExecutableAttachment | K::DoubleExtension | K::HtmlAttachment
        | K::HtmlCredentialForm | K::HtmlScriptRedirect | K::OfficeMacro | K::PdfActiveContent
        | K::ArchiveEncrypted | K::ArchiveNested | K::ArchiveExecutable | K::ArchiveLimitExceeded
        | K::ArchiveUnreadable | K::AttachmentPassword => Some("attachments"),
        K::Urgency | K::PaymentRequest | K::GiftCardRequest | K::CredentialRequest | K::AccountThreat
        | K::ScamLanguage | K::ContactAddressInBody | K::CallbackNumber | K::AdvanceFeeSum | K::BecOpener | K::BankAccountDetails | K::BankDetailsChanged => Some("language"),
        K::CombinedEvidence | K::BulkMail | K::ForwardedOriginal | K::AnalysisFailed => None,
        // Sender identity, authentication and the other header checks. A Return-Path on another domain
        // is too common in bulk mail to count as a group of its own.
        K::ReturnPathMismatch => None,
        // Filter evasion in the body says that the sender hides something, not what the message wants.
        K::HiddenText | K::InvisibleCharacters => None,
        // The learned words weigh the whole message, so they are no group of their own.
        K::LikeReportedPhishing => None,
        _ => Some("sender"),
    };
    let mut groups = Vec::new();
    for name in ["sender", "links", "attachments", "language"] {
        let present = weighted.iter().any(|factor| factor.weight > 0 && group(factor.factor.kind) == Some(name));
        if present {
            groups.push(name);
        }
    }
    groups
}

/// Returns the weight row of `kind`.
pub fn weight_of(kind: FactorKind) -> FactorWeight {
    WEIGHTS.iter().copied().find(|row| row.kind == kind).unwrap_or(row(kind, 0, 0, 0, None))
}

/// The class and score of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The class.
    pub class: Class,
    /// The score from 0 (nothing found) to 100.
    pub score: u32,
}

/// A factor with the points it added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeightedFactor {
    /// The factor.
    #[serde(flatten)]
    pub factor: Factor,
    /// Points added to the score.
    pub weight: u32,
    /// The class the factor is evidence for.
    pub class: Option<Class>,
}

/// Weighs `factors` and decides the class. Factors of the same kind are weighed together. `has_payload`
/// is true when the message has links or attachments. A threat score built on a forged or imitated sender
/// is credential phishing when the message has something to click or open, and spoofing when it has not.
pub fn decide(factors: Vec<Factor>, has_payload: bool) -> Analysis {
    let mut weighted: Vec<WeightedFactor> = Vec::new();
    let mut counted: Vec<(FactorKind, u32)> = Vec::new();
    for factor in factors {
        let row = weight_of(factor.kind);
        let already = counted.iter().find(|(kind, _)| *kind == factor.kind).map_or(0, |(_, points)| *points);
        let requested_points = if already == 0 {
            u32::from(row.weight) + u32::from(row.per_extra) * factor.count.saturating_sub(1)
        } else {
            u32::from(row.per_extra) * factor.count
        };
        let points = requested_points.min(u32::from(row.max).saturating_sub(already));
        match counted.iter_mut().find(|(kind, _)| *kind == factor.kind) {
            Some(entry) => entry.1 += points,
            None => counted.push((factor.kind, points)),
        }
        weighted.push(WeightedFactor { factor, weight: points, class: row.class });
    }
    let groups = evidence_groups(&weighted);
    if groups.len() >= MIN_COMBINED_GROUPS {
        let row = weight_of(FactorKind::CombinedEvidence);
        let factor = Factor::new(FactorKind::CombinedEvidence, groups.join(", "));
        weighted.push(WeightedFactor { factor, weight: u32::from(row.weight), class: row.class });
    }
    weighted.sort_by(|first, second| second.weight.cmp(&first.weight).then(first.factor.kind.cmp(&second.factor.kind)));

    let score = weighted.iter().map(|factor| factor.weight).sum::<u32>().min(100);
    let evidence = |class: Class| weighted.iter().filter(|factor| factor.class == Some(class)).map(|factor| factor.weight).sum::<u32>();
    let bulk = weighted.iter().any(|factor| factor.factor.kind == FactorKind::BulkMail);
    let class = if score >= THREAT_SCORE {
        // Ties go to the first in this order.
        let payload = [Class::Malware, Class::CredentialPhishing, Class::BecFraud]
            .into_iter()
            .map(|class| (class, evidence(class)))
            .fold(None, |best: Option<(Class, u32)>, (class, points)| match best {
                Some((_, best_points)) if best_points >= points => best,
                _ => Some((class, points)),
            });
        let spoofed = evidence(Class::Spoofing) >= MIN_SPOOFING_EVIDENCE;
        match payload {
            Some((class, points)) if points >= MIN_PAYLOAD_EVIDENCE => class,
            _ if spoofed && has_payload => Class::CredentialPhishing,
            _ if spoofed => Class::Spoofing,
            _ => Class::Spam,
        }
    } else if score >= SPAM_SCORE {
        if bulk { Class::Graymail } else { Class::Spam }
    } else if bulk {
        Class::Graymail
    } else {
        Class::Clean
    };
    Analysis { verdict: Verdict { class, score }, factors: weighted }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_one_row() {
        for row in WEIGHTS {
            assert_eq!(WEIGHTS.iter().filter(|other| other.kind == row.kind).count(), 1, "{:?}", row.kind);
            assert!(row.weight <= row.max || row.max == 0, "{:?}", row.kind);
        }
    }

    #[test]
    fn nothing_found_is_clean() {
        let analysis = decide(Vec::new(), false);
        assert_eq!(analysis.verdict, Verdict { class: Class::Clean, score: 0 });
    }

    #[test]
    fn payload_class_wins_over_spoofing() {
        let analysis = decide(vec![
            Factor::new(FactorKind::DmarcFail, "dmarc=fail"),
            Factor::new(FactorKind::CompauthFail, "compauth=fail"),
            Factor::new(FactorKind::HtmlCredentialForm, "login.html"),
        ], true);
        assert_eq!(analysis.verdict.class, Class::CredentialPhishing);
        let expected: u8 = [FactorKind::DmarcFail, FactorKind::CompauthFail, FactorKind::HtmlCredentialForm]
            .into_iter()
            .map(|kind| weight_of(kind).weight)
            .sum();
        assert_eq!(analysis.verdict.score, u32::from(expected));
    }

    #[test]
    fn spoofing_without_payload() {
        let factors = vec![
            Factor::new(FactorKind::DmarcFail, "dmarc=fail"),
            Factor::new(FactorKind::CompauthFail, "compauth=fail"),
            Factor::new(FactorKind::SpfFail, "spf=fail"),
        ];
        let score = factors.iter().map(|factor| u32::from(weight_of(factor.kind).weight)).sum();
        assert_eq!(decide(factors.clone(), false).verdict, Verdict { class: Class::Spoofing, score });
        assert_eq!(decide(factors, true).verdict, Verdict { class: Class::CredentialPhishing, score });
    }

    #[test]
    fn three_groups_add_combined_evidence() {
        let factors = vec![
            Factor::new(FactorKind::DmarcFail, "dmarc=fail"),
            Factor::new(FactorKind::Shortener, "bit.ly"),
            Factor::new(FactorKind::Urgency, "urgent"),
        ];
        let analysis = decide(factors.clone(), true);
        assert!(analysis.factors.iter().any(|factor| factor.factor.kind == FactorKind::CombinedEvidence));
        let two = decide(factors[..2].to_vec(), true);
        assert!(!two.factors.iter().any(|factor| factor.factor.kind == FactorKind::CombinedEvidence));
    }

    #[test]
    fn learned_words_never_choose_the_class() {
        let learned = Factor { count: 2, ..Factor::new(FactorKind::LikeReportedPhishing, "0.999") };
        let alone = decide(vec![learned.clone()], true);
        assert!(!alone.verdict.class.is_threat(), "{:?}", alone.verdict);
        // Urgency has no class, so the learned words reach a threat's score without a factor that gives one.
        for has_payload in [false, true] {
            let urgent = decide(vec![learned.clone(), Factor::new(FactorKind::Urgency, "urgent")], has_payload);
            assert_eq!(urgent.verdict.score, 40);
            assert_eq!(urgent.verdict.class, Class::Spam, "{:?}", urgent.verdict);
        }
        let fraud = decide(vec![learned, Factor::new(FactorKind::PaymentRequest, "wire transfer")], false);
        assert_eq!(fraud.verdict.class, Class::BecFraud, "{:?}", fraud.verdict);
    }

    #[test]
    fn repeated_kind_capped() {
        let analysis = decide(vec![Factor { kind: FactorKind::ScamLanguage, detail: "x".into(), count: 20 }], false);
        assert_eq!(analysis.verdict.score, u32::from(weight_of(FactorKind::ScamLanguage).max));
        let two = decide(vec![Factor { kind: FactorKind::Urgency, detail: "x".into(), count: 2 }], false);
        let row = weight_of(FactorKind::Urgency);
        assert_eq!(two.verdict.score, u32::from(row.weight + row.per_extra));
    }
}
