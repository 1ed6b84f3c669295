//! `harrier learn mail`: teach the engine the words of mail that analysts labelled, for the
//! `like_reported_phishing` factor of `harrier scan` and `harrier eval email --folds`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use harrier_mail::analysis::ReportModel;
use harrier_mail::analysis::reported::{Label, MIN_MESSAGES_PER_LABEL, message_words};
use harrier_mail::parse_message;
use serde::Serialize;

pub const LEARN_MAIL_EXAMPLES: &str = "\
Examples:
  harrier learn mail --phish reported/ --ham released/ --data-dir harrier-data
  harrier learn mail --phish more-reports.mbox --data-dir harrier-data     adds to what was learned
  harrier scan --data-dir harrier-data message.eml                          uses what was learned

Each folder is read recursively. The model judges nothing until it has learned at least 50 messages
of each label.";

#[derive(Debug, Args)]
pub struct LearnMailArgs {
    /// Folders or files of mail reported as phishing, fraud or malware. Repeatable.
    #[arg(long = "phish", value_name = "PATH")]
    pub phish: Vec<PathBuf>,

    /// Folders or files of mail confirmed as legitimate. Repeatable.
    #[arg(long = "ham", value_name = "PATH")]
    pub ham: Vec<PathBuf>,

    /// Forget what was learned before and learn only these messages.
    #[arg(long)]
    pub reset: bool,

    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub data_dir: crate::cli::DataDirArgs,

    /// The tenant that learns.
    #[arg(long, default_value = harrier_model::TenantId::DEFAULT, value_name = "TENANT")]
    pub tenant: String,
}

/// The summary that `harrier learn mail` prints.
#[derive(Debug, Serialize)]
struct LearnSummary {
    tenant: String,
    learned_reported: u32,
    learned_legitimate: u32,
    skipped: usize,
    total_reported: u32,
    total_legitimate: u32,
    words: usize,
    trained: bool,
}

pub fn run_mail(args: &LearnMailArgs) -> anyhow::Result<ExitCode> {
    if args.phish.is_empty() && args.ham.is_empty() {
        anyhow::bail!("no mail given; pass --phish PATH or --ham PATH at least once");
    }
    if let Some(missing) = args.phish.iter().chain(&args.ham).find(|path| !path.exists()) {
        anyhow::bail!("{} not found; pass a file or folder of mail", missing.display());
    }
    let tenant = harrier_model::TenantId::new(&args.tenant);
    let data_dir = &args.data_dir.data_dir;
    let mut db = harrier_detect::AnalysisDb::open(data_dir)
        .with_context(|| format!("cannot open the analysis database in {}", data_dir.display()))?;
    let mut model = if args.reset { None } else { db.load_report_model(&tenant)? }.unwrap_or_default();

    let mut learned = ReportModel::new();
    let mut skipped = 0;
    let folders = args.phish.iter().map(|path| (path, Label::Reported)).chain(args.ham.iter().map(|path| (path, Label::Legitimate)));
    for (path, label) in folders {
        skipped += learn_folder(path, label, &mut learned)?;
    }
    model.merge(&learned);
    db.save_report_model(&tenant, &model)?;

    let summary = LearnSummary {
        tenant: args.tenant.clone(),
        learned_reported: learned.messages(Label::Reported),
        learned_legitimate: learned.messages(Label::Legitimate),
        skipped,
        total_reported: model.messages(Label::Reported),
        total_legitimate: model.messages(Label::Legitimate),
        words: model.words(),
        trained: model.is_trained(),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "learned {} reported and {} legitimate messages ({} skipped); tenant {} now has {} reported, {} legitimate, {} words",
            summary.learned_reported,
            summary.learned_legitimate,
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
    Ok(ExitCode::SUCCESS)
}

/// Learns every message under `path` with `label`. Returns the number of skipped messages: those the
/// reader skipped, and those without a word to learn (image-only or unreadable mail), which would only
/// dilute the label's counts.
fn learn_folder(path: &Path, label: Label, model: &mut ReportModel) -> anyhow::Result<usize> {
    let mut wordless = 0;
    let mut visit = |raw: harrier_mail::RawMessage| {
        let words = message_words(&parse_message(&raw));
        if words.is_empty() {
            wordless += 1;
        } else {
            model.learn(&words, label);
        }
    };
    let skipped = crate::scan::for_each_message(path, &mut visit).with_context(|| format!("failed to read {}", path.display()))?;
    Ok(skipped + wordless)
}
