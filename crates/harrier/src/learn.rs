//! `harrier learn mail`: teach the engine the words of mail that analysts labelled, for the
//! `like_reported_phishing` factor of `harrier scan` and `harrier eval email --folds`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use harrier_mail::analysis::reported::{Label, MIN_MESSAGES_PER_LABEL, message_key, message_words};
use harrier_mail::parse_message;
use serde::Serialize;

pub const LEARN_MAIL_EXAMPLES: &str = "\
Examples:
  harrier learn mail --phish reported/ --ham released/ --data-dir harrier-data
  harrier learn mail --phish more-reports.mbox --data-dir harrier-data     adds to what was learned
  harrier learn mail --ham wrongly-reported/ --data-dir harrier-data       moves them to legitimate
  harrier learn mail --forget mistakes/ --data-dir harrier-data            takes them back
  harrier scan --data-dir harrier-data message.eml                          uses what was learned

Each folder is read recursively. A message is known by its words, so a copy with other headers
counts once. The model judges nothing until it has learned at least 50 messages of each label.";

#[derive(Debug, Args)]
pub struct LearnMailArgs {
    /// Folders or files of mail reported as phishing, fraud or malware. Repeatable.
    #[arg(long = "phish", value_name = "PATH")]
    pub phish: Vec<PathBuf>,

    /// Folders or files of mail confirmed as legitimate. Repeatable.
    #[arg(long = "ham", value_name = "PATH")]
    pub ham: Vec<PathBuf>,

    /// Folders or files of mail to take back from the label it was learned with. Repeatable.
    #[arg(long = "forget", value_name = "PATH")]
    pub forget: Vec<PathBuf>,

    /// Forget what was learned before and learn only these messages; alone, forget everything.
    #[arg(long)]
    pub reset: bool,

    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub data_dir: crate::cli::DataDirArgs,

    /// The tenant that learns.
    #[arg(
        long,
        default_value = harrier_model::TenantId::DEFAULT,
        value_parser = crate::cli::parse_one_tenant,
        value_name = "TENANT"
    )]
    pub tenant: String,
}

/// The summary that `harrier learn mail` prints.
#[derive(Debug, Default, Serialize)]
struct LearnSummary {
    tenant: String,
    /// Messages learned for the first time, per label.
    learned_reported: u32,
    learned_legitimate: u32,
    /// Messages learned before with the other label, now moved to the label given.
    relabelled: u32,
    /// Messages learned before with the same label, left as they were.
    already_learned: u32,
    /// Messages of `--forget` taken back.
    forgotten: u32,
    /// Messages of `--forget` that were not learned.
    not_learned: u32,
    skipped: usize,
    total_reported: u32,
    total_legitimate: u32,
    words: usize,
    trained: bool,
}

/// The action taken on each message of a folder.
#[derive(Clone, Copy)]
enum Action {
    Learn(Label),
    Forget,
}

/// Messages read before they are applied. Folders are read without holding the database's write lock, and
/// each batch is applied and saved under it, so that a long run does not block the service's writes. A
/// run that fails keeps the batches saved before the failure; running it again counts them once.
const BATCH_MESSAGES: usize = 1_000;

/// The messages read so far, the batches saved and what they did.
struct Learning<'a> {
    db: &'a mut harrier_detect::AnalysisDb,
    tenant: &'a harrier_model::TenantId,
    /// With `--reset`, the first batch starts from an empty model.
    reset: bool,
    /// Whether a batch was saved. The first batch reports words learned without an index.
    started: bool,
    pending: Vec<(Vec<String>, Action)>,
    summary: LearnSummary,
}

impl Learning<'_> {
    fn push(&mut self, words: Vec<String>, action: Action) -> anyhow::Result<()> {
        self.pending.push((words, action));
        if self.pending.len() >= BATCH_MESSAGES {
            self.flush()?;
        }
        Ok(())
    }

    /// Applies the pending messages to the saved model and saves it, in one transaction.
    fn flush(&mut self) -> anyhow::Result<()> {
        let mut update = self.db.begin_model_update(self.tenant, self.reset && !self.started)?;
        if !self.started && update.unindexed > 0 {
            eprintln!(
                "warning: {} of the learned messages were learned before harrier kept track of each message, so they \
                 count again if learned again and cannot be moved or taken back; learn every folder again with --reset \
                 to fix that",
                update.unindexed
            );
        }
        for (words, action) in self.pending.drain(..) {
            apply(&mut update, &mut self.summary, &words, action)?;
        }
        self.summary.total_reported = update.model.messages(Label::Reported);
        self.summary.total_legitimate = update.model.messages(Label::Legitimate);
        self.summary.words = update.model.words();
        self.summary.trained = update.model.is_trained();
        update.commit()?;
        self.started = true;
        Ok(())
    }
}

/// Applies one message to the model being updated and counts what happened.
fn apply(update: &mut harrier_detect::ModelUpdate<'_>, summary: &mut LearnSummary, words: &[String], action: Action) -> anyhow::Result<()> {
    let key = message_key(words);
    let before = update.label(&key)?;
    match (action, before) {
        (Action::Learn(label), Some(known)) if known == label => summary.already_learned += 1,
        (Action::Learn(label), Some(known)) => {
            update.model.unlearn(words, known);
            update.model.learn(words, label);
            summary.relabelled += 1;
            update.set_label(key, Some(label));
        }
        (Action::Learn(label), None) => {
            update.model.learn(words, label);
            match label {
                Label::Reported => summary.learned_reported += 1,
                Label::Legitimate => summary.learned_legitimate += 1,
            }
            update.set_label(key, Some(label));
        }
        (Action::Forget, Some(known)) => {
            update.model.unlearn(words, known);
            summary.forgotten += 1;
            update.set_label(key, None);
        }
        (Action::Forget, None) => summary.not_learned += 1,
    }
    Ok(())
}

pub fn run_mail(args: &LearnMailArgs) -> anyhow::Result<ExitCode> {
    if args.phish.is_empty() && args.ham.is_empty() && args.forget.is_empty() && !args.reset {
        anyhow::bail!("no mail given; pass --phish PATH, --ham PATH or --forget PATH at least once, or --reset alone to forget everything");
    }
    if let Some(missing) = args.phish.iter().chain(&args.ham).chain(&args.forget).find(|path| !path.exists()) {
        anyhow::bail!("{} not found; pass a file or folder of mail", missing.display());
    }
    let tenant = harrier_model::TenantId::new(&args.tenant);
    let data_dir = &args.data_dir.data_dir;
    let mut db = harrier_detect::AnalysisDb::open(data_dir)
        .with_context(|| format!("cannot open the analysis database in {}", data_dir.display()))?;
    let mut learning = Learning {
        db: &mut db,
        tenant: &tenant,
        reset: args.reset,
        started: false,
        pending: Vec::new(),
        summary: LearnSummary { tenant: args.tenant.clone(), ..LearnSummary::default() },
    };
    let folders = args
        .phish
        .iter()
        .map(|path| (path, Action::Learn(Label::Reported)))
        .chain(args.ham.iter().map(|path| (path, Action::Learn(Label::Legitimate))))
        .chain(args.forget.iter().map(|path| (path, Action::Forget)));
    for (path, action) in folders {
        learning.summary.skipped += learn_folder(path, action, &mut learning)?;
    }
    // The last batch, which also saves a --reset given alone.
    learning.flush()?;
    let summary = learning.summary;

    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_summary(&summary);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_summary(summary: &LearnSummary) {
    let mut parts = vec![format!(
        "learned {} reported and {} legitimate messages",
        summary.learned_reported, summary.learned_legitimate
    )];
    if summary.relabelled > 0 {
        parts.push(format!("moved {} to the other label", summary.relabelled));
    }
    if summary.already_learned > 0 {
        parts.push(format!("{} were learned before", summary.already_learned));
    }
    if summary.forgotten > 0 || summary.not_learned > 0 {
        parts.push(format!("took back {} ({} were not learned)", summary.forgotten, summary.not_learned));
    }
    println!(
        "{} ({} skipped); tenant {} now has {} reported, {} legitimate, {} words",
        parts.join(", "),
        summary.skipped,
        summary.tenant,
        summary.total_reported,
        summary.total_legitimate,
        summary.words
    );
    if !summary.trained {
        println!(
            "the model judges no message until it has {MIN_MESSAGES_PER_LABEL} messages of each label; learn more with --phish and --ham"
        );
    }
}

/// Applies `action` to every message under `path`. Returns the number of skipped messages: those the
/// reader skipped, and those without a word to learn (image-only or unreadable mail), which would only
/// dilute the label's counts.
fn learn_folder(path: &Path, action: Action, learning: &mut Learning) -> anyhow::Result<usize> {
    let mut wordless = 0;
    let mut failure = None;
    let mut visit = |raw: harrier_mail::RawMessage| {
        if failure.is_some() {
            return;
        }
        let words = message_words(&parse_message(&raw));
        if words.is_empty() {
            wordless += 1;
        } else if let Err(error) = learning.push(words, action) {
            failure = Some(error);
        }
    };
    let skipped = crate::scan::for_each_message(path, &mut visit).with_context(|| format!("failed to read {}", path.display()))?;
    if let Some(error) = failure {
        return Err(error);
    }
    Ok(skipped + wordless)
}
