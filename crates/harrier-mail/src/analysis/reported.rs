//! Words of labelled mail: the words of mail the organisation's users reported as phishing and of mail its
//! analysts confirmed as legitimate. A message whose words are far more common in the reported mail than
//! in the legitimate mail gets a [`FactorKind::LikeReportedPhishing`] factor.
//!
//! Each message counts as the set of its words, and the evidence of its strongest words is combined with
//! Gary Robinson's method and Fisher's chi-square test, as SpamBayes does. The model is written by hand
//! because the naive Bayes crate on crates.io (`naivebayes` 0.1, last released in 2019) multiplies the
//! probabilities of every word, so that a long message's common words swamp its rare, informative ones.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::language::{body_text, to_lowercase};
use super::{Factor, FactorKind};
use crate::message::MailMessage;

/// Messages of each label the model needs before it judges anything.
pub const MIN_MESSAGES_PER_LABEL: u32 = 50;
/// A combined probability of at least this adds the factor once; at least [`CERTAIN`] adds it twice.
pub const LIKELY: f64 = 0.9;
/// See [`LIKELY`].
pub const CERTAIN: f64 = 0.99;

/// Words of fewer characters are too common to tell anything; longer runs are encoded data or URLs.
const WORD_CHARS: std::ops::RangeInclusive<usize> = 3..=20;
/// Words that the body, and separately the subject, of one message contribute at most, so that a very long
/// message cannot flood the counts.
const MAX_TOKENS: usize = 2_000;
/// The weight of a word's prior of one half against its counts (Robinson's `s`).
const PRIOR_STRENGTH: f64 = 0.45;
/// Words whose probability is closer to one half than this are left out of the combination.
const MIN_DISTANCE: f64 = 0.1;
/// The largest number of a message's words that are combined, the strongest first.
const MAX_DISCRIMINATORS: usize = 150;
/// Words named in a factor's detail.
const SHOWN_WORDS: usize = 5;

/// The label an analyst gave a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// Phishing, fraud or malware that a user or an analyst reported.
    Reported,
    /// Mail an analyst confirmed as legitimate, or released from quarantine.
    Legitimate,
}

/// Messages of each label that contained one word.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct WordCounts {
    reported: u32,
    legitimate: u32,
}

/// Word counts learned from labelled mail. Saved per tenant and added to as analysts label more mail.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportModel {
    reported_messages: u32,
    legitimate_messages: u32,
    words: HashMap<String, WordCounts>,
}

/// Shows the counts only, because a model has tens of thousands of words and settings that hold one (a
/// collector's, for one) have Debug output.
impl std::fmt::Debug for ReportModel {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ReportModel")
            .field("reported_messages", &self.reported_messages)
            .field("legitimate_messages", &self.legitimate_messages)
            .field("words", &self.words.len())
            .finish()
    }
}

/// The model's judgement of one message.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportScore {
    /// From 0 (like the legitimate mail) to 1 (like the reported mail).
    pub probability: f64,
    /// The words that pointed most towards the reported mail, strongest first.
    pub reported_words: Vec<String>,
}

impl ReportModel {
    /// Creates an empty model.
    pub fn new() -> Self {
        Self::default()
    }

    /// Messages learned with `label`.
    pub fn messages(&self, label: Label) -> u32 {
        match label {
            Label::Reported => self.reported_messages,
            Label::Legitimate => self.legitimate_messages,
        }
    }

    /// Distinct words learned.
    pub fn words(&self) -> usize {
        self.words.len()
    }

    /// Returns whether both labels have [`MIN_MESSAGES_PER_LABEL`] messages, the least that
    /// [`ReportModel::score`] judges with.
    pub fn is_trained(&self) -> bool {
        self.reported_messages >= MIN_MESSAGES_PER_LABEL && self.legitimate_messages >= MIN_MESSAGES_PER_LABEL
    }

    /// Learns one message from its [`message_words`].
    pub fn learn(&mut self, words: &[String], label: Label) {
        match label {
            Label::Reported => self.reported_messages = self.reported_messages.saturating_add(1),
            Label::Legitimate => self.legitimate_messages = self.legitimate_messages.saturating_add(1),
        }
        for word in words {
            let counts = self.words.entry(word.clone()).or_default();
            match label {
                Label::Reported => counts.reported = counts.reported.saturating_add(1),
                Label::Legitimate => counts.legitimate = counts.legitimate.saturating_add(1),
            }
        }
    }

    /// Takes back one message learned with `label` from the same [`message_words`]. Words left without a
    /// message are dropped.
    pub fn unlearn(&mut self, words: &[String], label: Label) {
        match label {
            Label::Reported => self.reported_messages = self.reported_messages.saturating_sub(1),
            Label::Legitimate => self.legitimate_messages = self.legitimate_messages.saturating_sub(1),
        }
        for word in words {
            let Some(counts) = self.words.get_mut(word) else { continue };
            match label {
                Label::Reported => counts.reported = counts.reported.saturating_sub(1),
                Label::Legitimate => counts.legitimate = counts.legitimate.saturating_sub(1),
            }
            if counts.reported == 0 && counts.legitimate == 0 {
                self.words.remove(word);
            }
        }
    }

    /// Adds every count of `other` to this model.
    pub fn merge(&mut self, other: &ReportModel) {
        self.reported_messages = self.reported_messages.saturating_add(other.reported_messages);
        self.legitimate_messages = self.legitimate_messages.saturating_add(other.legitimate_messages);
        for (word, counts) in &other.words {
            let mine = self.words.entry(word.clone()).or_default();
            mine.reported = mine.reported.saturating_add(counts.reported);
            mine.legitimate = mine.legitimate.saturating_add(counts.legitimate);
        }
    }

    /// Judges a message from its [`message_words`]; `None` until the model [is trained](Self::is_trained).
    pub fn score(&self, words: &[String]) -> Option<ReportScore> {
        if !self.is_trained() {
            return None;
        }
        let reported_total = f64::from(self.reported_messages);
        let legitimate_total = f64::from(self.legitimate_messages);
        let mut discriminators: Vec<(f64, &str)> = words
            .iter()
            .filter_map(|word| {
                let counts = self.words.get(word)?;
                let reported = f64::from(counts.reported) / reported_total;
                let legitimate = f64::from(counts.legitimate) / legitimate_total;
                let seen = f64::from(counts.reported) + f64::from(counts.legitimate);
                // Robinson's estimate: the ratio of the two rates, pulled towards one half for rare words.
                let ratio = reported / (reported + legitimate);
                let probability = (PRIOR_STRENGTH * 0.5 + seen * ratio) / (PRIOR_STRENGTH + seen);
                ((probability - 0.5).abs() >= MIN_DISTANCE).then_some((probability, word.as_str()))
            })
            .collect();
        discriminators.sort_by(|first, second| {
            (second.0 - 0.5).abs().total_cmp(&(first.0 - 0.5).abs()).then_with(|| first.1.cmp(second.1))
        });
        discriminators.truncate(MAX_DISCRIMINATORS);
        if discriminators.is_empty() {
            return Some(ReportScore { probability: 0.5, reported_words: Vec::new() });
        }

        // Fisher's test of each tail: near 1 when many probabilities lie close to that end.
        let degrees = 2 * discriminators.len();
        let sum_ln_reported: f64 = discriminators.iter().map(|(probability, _)| (1.0 - probability).ln()).sum();
        let sum_ln_legitimate: f64 = discriminators.iter().map(|(probability, _)| probability.ln()).sum();
        let reported = 1.0 - chi_square_survival(-2.0 * sum_ln_reported, degrees);
        let legitimate = 1.0 - chi_square_survival(-2.0 * sum_ln_legitimate, degrees);
        let probability = (1.0 + reported - legitimate) / 2.0;

        let reported_words =
            discriminators.iter().filter(|(probability, _)| *probability > 0.5).take(SHOWN_WORDS).map(|(_, word)| word.to_string()).collect();
        Some(ReportScore { probability, reported_words })
    }

    /// Returns the factor for a message whose words resemble the reported mail, with the count 2 from
    /// [`CERTAIN`] and 1 from [`LIKELY`].
    pub fn factor(&self, message: &MailMessage) -> Option<Factor> {
        let score = self.score(&message_words(message))?;
        let count = if score.probability >= CERTAIN {
            2
        } else if score.probability >= LIKELY {
            1
        } else {
            return None;
        };
        let detail = format!(
            "{:.3} after {} reported and {} legitimate messages; words: {}",
            score.probability,
            self.reported_messages,
            self.legitimate_messages,
            score.reported_words.join(", ")
        );
        Some(Factor { count, ..Factor::new(FactorKind::LikeReportedPhishing, detail) })
    }
}

/// Returns the probability that a chi-square variable with `degrees` (even) degrees of freedom is at least
/// `value`. For even degrees the survival function is a finite series.
fn chi_square_survival(value: f64, degrees: usize) -> f64 {
    let half = value / 2.0;
    let mut term = (-half).exp();
    let mut sum = term;
    for index in 1..degrees / 2 {
        term *= half / index as f64;
        sum += term;
    }
    sum.min(1.0)
}

/// Returns the distinct words of a message that the model counts: the subject's words with an `s:` prefix, and the
/// words of the body text, lower-cased. A word is a run of letters of [`WORD_CHARS`] characters.
pub fn message_words(message: &MailMessage) -> Vec<String> {
    let mut words = BTreeSet::new();
    if let Some(subject) = message.subject.as_deref() {
        for word in letter_runs(&to_lowercase(without_filter_tags(subject))).take(MAX_TOKENS) {
            words.insert(format!("s:{word}"));
        }
    }
    for word in letter_runs(&to_lowercase(&body_text(message))) {
        if words.len() >= MAX_TOKENS {
            break;
        }
        if !words.contains(word) {
            words.insert(word.to_string());
        }
    }
    words.into_iter().collect()
}

/// Returns the key that identifies a learned message: a 128-bit hash of a message's [`message_words`].
/// Copies of a message with other headers (another recipient, another relay) have the same key, and
/// because the key follows the words, taking a message back subtracts exactly the words it added.
pub fn message_key(words: &[String]) -> [u8; 16] {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    for word in words {
        hasher.update(word.as_bytes());
        // A separator no word contains, so that the words `ab`, `c` and `a`, `bc` differ.
        hasher.update(&[0]);
    }
    hasher.digest128().to_le_bytes()
}

/// Returns `subject` without the tags that spam filters put in front of it (`[SPAM]`, `*****SPAM*****`,
/// `{Spam?}`), so that another filter's verdict is not learned as a word of the message.
fn without_filter_tags(subject: &str) -> &str {
    let mut rest = subject.trim_start();
    loop {
        let tag_end = match rest.chars().next() {
            Some('[') => rest.find(']').map(|end| end + 1),
            Some('{') => rest.find('}').map(|end| end + 1),
            Some('*') => {
                let text = rest.trim_start_matches('*');
                let stars_after = text.find('*').map(|start| start + text[start..].len() - text[start..].trim_start_matches('*').len());
                stars_after.map(|end| rest.len() - text.len() + end)
            }
            _ => None,
        };
        match tag_end {
            Some(end) if rest[..end].to_ascii_lowercase().contains("spam") => rest = rest[end..].trim_start(),
            _ => return rest,
        }
    }
}

/// Returns the runs of letters in `text` whose length is within [`WORD_CHARS`].
// NOTE: Chinese and Japanese are written without spaces, so a run of their letters is a clause rather
// than a word (or longer than 20 characters and left out), and few runs recur between messages.
fn letter_runs(text: &str) -> impl Iterator<Item = &str> {
    text.split(|character: char| !character.is_alphabetic())
        .filter(|word| WORD_CHARS.contains(&word.chars().count()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let mut words: Vec<String> = letter_runs(&to_lowercase(text)).map(str::to_string).collect();
        words.sort();
        words.dedup();
        words
    }

    fn trained() -> ReportModel {
        let mut model = ReportModel::new();
        for index in 0..MIN_MESSAGES_PER_LABEL {
            let extra = format!("number{}", char::from(b'a' + (index % 26) as u8));
            let mut reported = words("verify your mailbox password now or lose access to your account");
            reported.push(extra.clone());
            model.learn(&reported, Label::Reported);
            let mut legitimate = words("the kernel patch for the board builds now; please review the diff");
            legitimate.push(extra);
            model.learn(&legitimate, Label::Legitimate);
        }
        model
    }

    #[test]
    fn untrained_model_does_not_judge() {
        let mut model = ReportModel::new();
        for _ in 0..MIN_MESSAGES_PER_LABEL {
            model.learn(&words("verify your mailbox password"), Label::Reported);
        }
        for _ in 1..MIN_MESSAGES_PER_LABEL {
            model.learn(&words("kernel patch review"), Label::Legitimate);
        }
        assert!(!model.is_trained());
        assert_eq!(model.score(&words("verify your mailbox")), None);
        model.learn(&words("kernel patch review"), Label::Legitimate);
        assert!(model.score(&words("verify your mailbox")).is_some());
    }

    #[test]
    fn score_of_reported_and_legitimate_words() {
        let model = trained();
        let reported = model.score(&words("verify your mailbox password")).expect("trained");
        assert!(reported.probability >= CERTAIN, "{reported:?}");
        assert!(reported.reported_words.contains(&"password".to_string()), "{reported:?}");
        // One strong word of the legitimate mail makes the message uncertain rather than reported.
        let mixed = model.score(&words("please verify your mailbox password")).expect("trained");
        assert!(mixed.probability < LIKELY, "{mixed:?}");
        assert!(mixed.probability > 0.5, "{mixed:?}");
        let legitimate = model.score(&words("the board builds with the kernel patch")).expect("trained");
        assert!(legitimate.probability < 0.1, "{legitimate:?}");
    }

    #[test]
    fn unknown_and_shared_words_are_neutral() {
        let model = trained();
        let unknown = model.score(&words("completely different vocabulary here")).expect("trained");
        assert_eq!(unknown.probability, 0.5);
        // Words in both labels equally often are left out.
        let shared = model.score(&words("now numbera")).expect("trained");
        assert_eq!(shared.probability, 0.5);
    }

    #[test]
    fn debug_shows_counts_only() {
        let debug = format!("{:?}", trained());
        assert!(debug.contains("words: 43"), "{debug}");
        assert!(!debug.contains("password"), "{debug}");
    }

    #[test]
    fn merge_adds_counts() {
        let mut first = ReportModel::new();
        first.learn(&words("alpha beta"), Label::Reported);
        let mut second = ReportModel::new();
        second.learn(&words("beta gamma"), Label::Legitimate);
        second.learn(&words("beta"), Label::Reported);
        first.merge(&second);
        assert_eq!(first.messages(Label::Reported), 2);
        assert_eq!(first.messages(Label::Legitimate), 1);
        assert_eq!(first.words(), 3);
        assert_eq!(first.words["beta"], WordCounts { reported: 2, legitimate: 1 });
    }

    #[test]
    fn unlearn_takes_back_one_message() {
        let mut model = ReportModel::new();
        model.learn(&words("alpha beta"), Label::Reported);
        model.learn(&words("beta gamma"), Label::Reported);
        let before = model.clone();
        model.learn(&words("gamma delta"), Label::Legitimate);
        model.unlearn(&words("gamma delta"), Label::Legitimate);
        assert_eq!(model, before);
        model.unlearn(&words("alpha beta"), Label::Reported);
        assert_eq!(model.messages(Label::Reported), 1);
        assert!(!model.words.contains_key("alpha"), "a word without messages is kept");
        assert_eq!(model.words["beta"], WordCounts { reported: 1, legitimate: 0 });
    }

    #[test]
    fn message_key_follows_the_words() {
        assert_eq!(message_key(&words("alpha beta")), message_key(&words("alpha beta")));
        assert_ne!(message_key(&words("alpha beta")), message_key(&words("alpha gamma")));
        let joined = vec!["abc".to_string(), "def".to_string()];
        let split = vec!["abcd".to_string(), "ef".to_string()];
        assert_ne!(message_key(&joined), message_key(&split));
    }

    #[test]
    fn chi_square_survival_matches_known_values() {
        // With two degrees of freedom the survival function is exp(-x/2).
        assert!((chi_square_survival(2.0, 2) - (-1.0f64).exp()).abs() < 1e-12);
        // Four degrees: exp(-x/2) (1 + x/2); at x = 4 that is 3 exp(-2).
        assert!((chi_square_survival(4.0, 4) - 3.0 * (-2.0f64).exp()).abs() < 1e-12);
        assert_eq!(chi_square_survival(0.0, 10), 1.0);
    }

    fn message(subject: &str, body: &str) -> MailMessage {
        let origin = crate::MessageOrigin { path: "memory.eml".into(), index: 0, format: crate::MailFormat::Eml };
        let bytes = format!("Subject: {subject}\r\n\r\n{body}\r\n").into_bytes();
        crate::message::parse_message(&crate::read::RawMessage { origin, envelope_from: None, bytes })
    }

    #[test]
    fn message_words_mark_subject_words() {
        let words = message_words(&message("[SPAM] Mailbox notice", "Verify your password"));
        assert_eq!(words, vec!["password", "s:mailbox", "s:notice", "verify", "your"]);
    }

    #[test]
    fn factor_count_follows_probability() {
        let model = trained();
        let certain = model.factor(&message("Notice", "verify your mailbox password")).expect("a factor");
        assert_eq!(certain.count, 2);
        assert!(certain.detail.contains("password"), "{}", certain.detail);
        let mixed = message("Notice", "please verify your mailbox password");
        assert_eq!(model.factor(&mixed), None);
        let legitimate = message("Notice", "the board builds with the kernel patch");
        assert_eq!(model.factor(&legitimate), None);
    }

    #[test]
    fn filter_tags_are_removed_from_subjects() {
        assert_eq!(without_filter_tags("*****SPAM***** Cheap watches"), "Cheap watches");
        assert_eq!(without_filter_tags("[SPAM] {Spam?} Cheap watches"), "Cheap watches");
        assert_eq!(without_filter_tags("*** SPAM *** Cheap watches"), "Cheap watches");
        assert_eq!(without_filter_tags("[linux-mips] Patch"), "[linux-mips] Patch");
        assert_eq!(without_filter_tags("[SPAM unclosed"), "[SPAM unclosed");
        assert_eq!(without_filter_tags("*bold* news"), "*bold* news");
    }

    #[test]
    fn letter_runs_skip_short_long_and_digits() {
        let found: Vec<&str> = letter_runs("ab abc 12345 fünf a1b2c3 aaaaaaaaaaaaaaaaaaaaa").collect();
        assert_eq!(found, vec!["abc", "fünf"]);
    }
}
