//! `harrier scan` and `harrier eval email`: the per-message email analysis on files, mbox files, maildirs
//! and folders of them.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use harrier_mail::analysis::reported::{Label, MIN_MESSAGES_PER_LABEL, message_key, message_words};
use harrier_mail::analysis::{AnalysisOptions, HistoryContext, ReportModel};
use harrier_mail::{Class, MailError, MailFormat, ReadItem, ReadOptions, analyze, detect_format, open, parse_message};
use serde::Serialize;

pub const SCAN_EXAMPLES: &str = "\
Examples:
  harrier scan message.eml                       one line per message: class, score, top factors
  harrier scan --json inbox.mbox                 every factor of every message, as JSON lines
  harrier scan --protected-domain contoso.com Maildir/

A folder that is not a maildir is read recursively: each file in it is an .eml or an mbox file,
compressed with gzip or not.
A file that holds no message is skipped with a warning, and the scan exits 1 when it judged none.
With standard error on a terminal and the text output in a file or pipe, a counter shows progress.";

pub const EVAL_EMAIL_EXAMPLES: &str = "\
Examples:
  harrier eval email --ham corpus/ham --phish corpus/phishing
  harrier eval email --ham corpus/ham --phish corpus/phishing --protected-domain contoso.com --json
  harrier eval email --ham corpus/ham --phish corpus/phishing --show-errors 2> errors.txt
  harrier eval email --ham corpus/ham --phish corpus/phishing --write-stripped stripped/

Each folder is read recursively; the rates are per folder and per label.";

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Message files (.eml), mbox files, maildirs, or folders of them (read recursively).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Print one JSON object per message with every factor.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub mail: crate::cli::MailArgs,

    /// Judge each message against the mail history learned by `harrier replay` in this directory (first-time
    /// senders, new infrastructure, known names from new addresses, new link domains) and against the words
    /// learned by `harrier learn mail`.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// The tenant whose history and learned words `--data-dir` reads.
    #[arg(
        long,
        default_value = harrier_model::TenantId::DEFAULT,
        value_parser = crate::cli::parse_one_tenant,
        value_name = "TENANT"
    )]
    pub tenant: String,

    /// Factors shown per message in the text output.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub top: usize,

    #[command(flatten)]
    pub ip_data: crate::cli::IpDataArgs,
}

/// The learned mail history and what `harrier scan` needs to look a message up in it.
struct History {
    mail: harrier_learn::MailHistory,
    options: harrier_pipeline::MailOptions,
    intel: harrier_enrich::IpIntel,
}

impl History {
    fn load(args: &ScanArgs) -> anyhow::Result<Option<History>> {
        let Some(data_dir) = &args.data_dir else { return Ok(None) };
        let db = harrier_detect::AnalysisDb::open(data_dir)
            .with_context(|| format!("cannot open the analysis database in {}", data_dir.display()))?;
        let state = db
            .load_state(&harrier_model::TenantId::new(&args.tenant))
            .with_context(|| format!("cannot read the learned state of tenant {}", args.tenant))?;
        // With nothing learned, every sender and link domain would count as new.
        if state.baselines.mail.messages == 0 {
            eprintln!(
                "note: no mail history in {} for tenant {}; first-time sender and new link domain checks are off \
                 until `harrier replay` reads the tenant's mail",
                data_dir.display(),
                args.tenant
            );
            return Ok(None);
        }
        let options = harrier_pipeline::MailOptions {
            protected_domains: args.mail.protected_domains(),
            trusted_hops: args.mail.trusted_hops(),
            ..harrier_pipeline::MailOptions::default()
        };
        let intel = crate::intel::load(&args.ip_data)?;
        Ok(Some(History { mail: state.baselines.mail, options, intel }))
    }

    /// Returns what the history says about one message.
    fn context(&self, message: &harrier_mail::MailMessage, bytes: &[u8]) -> HistoryContext {
        let email = harrier_pipeline::email_message(message, bytes, &self.options, &self.intel);
        let novelty = self.mail.novelty(&email);
        HistoryContext {
            first_time_recipients: novelty.first_time_recipients,
            first_time_to_organisation: novelty.first_time_to_organisation,
            new_infrastructure: novelty.new_infrastructure,
            known_name_new_address: novelty.known_name_new_address,
            new_link_domains: novelty.new_link_domains,
        }
    }
}

#[derive(Debug, Args)]
pub struct EvalEmailArgs {
    /// Folders or files of legitimate mail. Repeatable.
    #[arg(long = "ham", value_name = "PATH")]
    pub ham: Vec<PathBuf>,

    /// Folders or files of phishing, fraud and malware mail. Repeatable.
    #[arg(long = "phish", value_name = "PATH")]
    pub phish: Vec<PathBuf>,

    /// A domain of the organisation; look-alikes of it are flagged. Repeatable.
    #[arg(long = "protected-domain", value_name = "DOMAIN")]
    pub protected_domains: Vec<String>,

    /// Print the evaluation as JSON.
    #[arg(long)]
    pub json: bool,

    /// List each missed phishing message and each flagged ham message with its factors on standard error.
    #[arg(long)]
    pub show_errors: bool,

    /// Cross-validate the words learned from labelled mail (see `harrier learn mail`). The messages are split
    /// into K parts, 2 to 20, by a hash of their words, and each part is judged with the words of the other
    /// parts. The ham folders count as legitimate mail and the phishing folders as reported mail.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(2..=20))]
    pub folds: Option<u32>,

    /// Also write each evaluated message, with the upstream verdict headers removed, to
    /// DIR/FOLDER/NNNNN.eml (FOLDER is the last part of the folder's path), so that other filters can be
    /// run on exactly the same messages. DIR must not have a subfolder of that name already.
    #[arg(long, value_name = "DIR")]
    pub write_stripped: Option<PathBuf>,
}

/// One analysed message of `harrier scan --json`.
#[derive(Debug, Serialize)]
struct ScanRecord<'a> {
    path: &'a Path,
    index: usize,
    message_id: Option<&'a str>,
    from: Option<&'a str>,
    subject: Option<&'a str>,
    #[serde(flatten)]
    analysis: &'a harrier_mail::Analysis,
}

/// Calls `visit` for every message under `path`. Returns the number of skipped messages.
pub(crate) fn for_each_message(path: &Path, visit: &mut dyn FnMut(harrier_mail::RawMessage)) -> anyhow::Result<usize> {
    let mut skipped = 0;
    let mut unreadable_files = 0;
    let mut read_source = |source: &Path| -> anyhow::Result<()> {
        for item in open(source, ReadOptions::default())? {
            match item {
                ReadItem::Message(raw) => visit(raw),
                ReadItem::Skipped(skip) => {
                    tracing::warn!(%skip, "message skipped");
                    skipped += 1;
                }
            }
        }
        Ok(())
    };
    match detect_format(path) {
        Ok(MailFormat::Eml | MailFormat::Mbox | MailFormat::Maildir) => read_source(path)?,
        Err(MailError::NotMaildir { .. }) => {
            let mut files: Vec<PathBuf> = walkdir::WalkDir::new(path)
                .into_iter()
                .filter_map(Result::ok)
                .filter(|entry| entry.file_type().is_file() && !entry.file_name().to_string_lossy().starts_with('.'))
                .map(walkdir::DirEntry::into_path)
                .filter(|file| !is_metadata_file(file))
                .collect();
            files.sort();
            for file in files {
                // One unreadable file in a folder is skipped like an unreadable message.
                if let Err(error) = read_source(&file) {
                    tracing::warn!(file = %file.display(), "file skipped: {error:#}");
                    unreadable_files += 1;
                }
            }
        }
        Err(error) => return Err(error.into()),
    }
    Ok(skipped + unreadable_files)
}

/// Returns whether a file in a mail folder is a description of the folder rather than a message.
fn is_metadata_file(path: &Path) -> bool {
    let name = path.file_name().map(|name| name.to_string_lossy().to_ascii_uppercase()).unwrap_or_default();
    matches!(name.as_str(), "LICENSE" | "NOTICE" | "SOURCE.TXT" | "MANIFEST.TSV" | "README.MD" | "README.TXT")
}

pub fn options(protected_domains: &[String]) -> AnalysisOptions {
    AnalysisOptions {
        protected_domains: protected_domains.iter().map(|domain| domain.trim().to_ascii_lowercase()).collect(),
        payment_memory: None,
        ..AnalysisOptions::default()
    }
}

fn scan_options(args: &ScanArgs) -> AnalysisOptions {
    AnalysisOptions { trusted_hops: args.mail.trusted_hops(), ..options(&args.mail.protected_domains) }
}

pub fn run(args: &ScanArgs) -> anyhow::Result<ExitCode> {
    let mut options = scan_options(args);
    if let Some(data_dir) = &args.data_dir {
        options.reported = harrier_serve::learned::load_model(data_dir, &args.tenant)?;
    }
    let history = History::load(args)?;
    let stdout = std::io::stdout();
    // Lines printed on a terminal show the progress themselves, and a bar would be drawn between them.
    let progress = crate::progress::counter(crate::progress::enabled(args.json) && !stdout.is_terminal(), "messages");
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut write_error = None;
    let (mut scanned, mut skipped) = (0usize, 0usize);
    for path in &args.paths {
        progress.set_message(path.display().to_string());
        let mut visit = |raw: harrier_mail::RawMessage| {
            progress.inc(1);
            scanned += 1;
            let message = parse_message(&raw);
            let analysis = match &history {
                Some(history) => {
                    let options = AnalysisOptions { history: Some(history.context(&message, &raw.bytes)), ..options.clone() };
                    analyze(&message, &options)
                }
                None => analyze(&message, &options),
            };
            let written = if args.json {
                let record = ScanRecord {
                    path: &message.origin.path,
                    index: message.origin.index,
                    message_id: message.message_id.as_deref(),
                    from: message.from.as_ref().and_then(|from| from.address.as_deref()),
                    subject: message.subject.as_deref(),
                    analysis: &analysis,
                };
                serde_json::to_string(&record).map_err(std::io::Error::from).and_then(|line| writeln!(out, "{line}"))
            } else {
                let top: Vec<String> = analysis
                    .factors
                    .iter()
                    // Factors without points stay in the list after the others, because some of them
                    // (bulk mail, for one) decide the class.
                    .take(args.top)
                    .map(|factor| format!("{}(+{}) {}", kind_name(factor.factor.kind), factor.weight, factor.factor.detail))
                    .collect();
                writeln!(
                    out,
                    "{}#{}\t{}\t{}\t{}",
                    message.origin.path.display(),
                    message.origin.index,
                    analysis.verdict.class.name(),
                    analysis.verdict.score,
                    top.join(" | ")
                )
            };
            if let Err(error) = written {
                write_error.get_or_insert(error);
            }
        };
        skipped += for_each_message(path, &mut visit).with_context(|| format!("failed to scan {}", path.display()))?;
        if let Some(error) = write_error.take() {
            return Err(error).context("failed to write to standard output");
        }
    }
    progress.finish_and_clear();
    out.flush().context("failed to write to standard output")?;
    if scanned == 0 {
        // Nothing to judge is an error, so that a wrong path or a folder of other files does not pass
        // as mail that was found clean.
        if skipped == 0 {
            eprintln!("error: no mail found; pass .eml files, mbox files, maildir folders or folders of them");
        } else {
            eprintln!("error: no message scanned; {skipped} skipped (the warnings above give the reasons)");
        }
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn kind_name(kind: harrier_mail::FactorKind) -> String {
    serde_json::to_value(kind).ok().and_then(|value| value.as_str().map(str::to_string)).unwrap_or_default()
}

/// Counts for one folder of `harrier eval email`.
#[derive(Debug, Default, Serialize)]
struct FolderResult {
    path: PathBuf,
    label: &'static str,
    messages: usize,
    skipped: usize,
    /// Messages classed as phishing, fraud or malware.
    threats: usize,
    /// `threats` divided by `messages`: the detection rate for phishing folders and the false-positive rate
    /// for ham folders.
    threat_rate: f64,
    by_class: BTreeMap<&'static str, usize>,
    /// Share of the folder's messages in each class, from 0 to 1.
    rate_by_class: BTreeMap<&'static str, f64>,
    /// The parts of the cross-validation of learned words, when `--folds` was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    folds: Option<u32>,
}

pub fn run_eval(args: &EvalEmailArgs) -> anyhow::Result<ExitCode> {
    if args.ham.is_empty() && args.phish.is_empty() {
        anyhow::bail!("no folders given; pass --ham PATH and --phish PATH at least once");
    }
    if let Some(missing) = args.ham.iter().chain(&args.phish).find(|path| !path.exists()) {
        anyhow::bail!("{} not found; pass a file or folder of mail", missing.display());
    }
    let options = options(&args.protected_domains);
    let progress = crate::progress::counter(crate::progress::enabled(args.json), "messages");
    let mut results = Vec::new();
    let folders = || args.ham.iter().map(|path| (path, "ham")).chain(args.phish.iter().map(|path| (path, "phish")));
    let fold_models = match args.folds {
        Some(folds) => {
            progress.set_message("learning words for the cross-validation");
            let models = learn_folds(folders(), folds)?;
            if models.iter().any(|model| !model.is_trained()) {
                progress.suspend(|| {
                    eprintln!(
                        "warning: some parts learned fewer than {MIN_MESSAGES_PER_LABEL} messages of each label, so their learned words \
                         judge nothing; pass more mail or fewer --folds"
                    )
                });
            }
            Some(models)
        }
        None => None,
    };
    for (path, label) in folders() {
        progress.set_message(format!("{label} {}", path.display()));
        let mut result = FolderResult { path: path.clone(), label, folds: args.folds, ..FolderResult::default() };
        let mut writer = args.write_stripped.as_deref().map(|dir| StrippedWriter::create(dir, path)).transpose()?;
        let mut visit = |raw: harrier_mail::RawMessage| {
            progress.inc(1);
            if let Some(writer) = writer.as_mut() {
                writer.write(&raw);
            }
            let message = parse_message(&raw);
            let analysis = match &fold_models {
                Some(models) => {
                    let model = &models[fold_of(&message_key(&message_words(&message)), models.len())];
                    analyze(&message, &AnalysisOptions { reported: Some(Arc::clone(model)), ..options.clone() })
                }
                None => analyze(&message, &options),
            };
            let class = analysis.verdict.class;
            result.messages += 1;
            *result.by_class.entry(class.name()).or_default() += 1;
            if class.is_threat() {
                result.threats += 1;
            }
            let wrong = if label == "ham" { class.is_threat() } else { !class.is_threat() };
            if args.show_errors && wrong {
                let factors: Vec<String> = analysis
                    .factors
                    .iter()
                    .filter(|factor| factor.weight > 0)
                    .map(|factor| format!("{}(+{}) {}", kind_name(factor.factor.kind), factor.weight, factor.factor.detail))
                    .collect();
                progress.suspend(|| eprintln!("{label} {} {} {}: {}", raw.origin, class.name(), analysis.verdict.score, factors.join(" | ")));
            }
        };
        result.skipped = for_each_message(path, &mut visit).with_context(|| format!("failed to read {}", path.display()))?;
        if let Some(writer) = writer {
            writer.finish()?;
        }
        result.threat_rate = if result.messages == 0 { 0.0 } else { result.threats as f64 / result.messages as f64 };
        let messages = result.messages.max(1) as f64;
        result.rate_by_class = result.by_class.iter().map(|(class, count)| (*class, *count as f64 / messages)).collect();
        results.push(result);
    }
    progress.finish_and_clear();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
        return Ok(ExitCode::SUCCESS);
    }
    print_eval(&results);
    Ok(ExitCode::SUCCESS)
}

/// Returns the part of a `--folds` cross-validation that a message belongs to, from the [`message_key`] of
/// its words. Copies of one message, with other headers too, fall into the same part, so that none is
/// judged with its own words.
fn fold_of(key: &[u8; 16], folds: usize) -> usize {
    let mut low = [0u8; 8];
    low.copy_from_slice(&key[..8]);
    (u64::from_le_bytes(low) % folds as u64) as usize
}

/// Learns the words of every message of `folders` into `folds` models; model K has learned every part but
/// part K.
fn learn_folds<'a>(folders: impl Iterator<Item = (&'a PathBuf, &'static str)>, folds: u32) -> anyhow::Result<Vec<Arc<ReportModel>>> {
    let folds = folds as usize;
    let mut parts = vec![ReportModel::new(); folds];
    // Each message counts once, as `harrier learn mail` counts it.
    let mut learned = std::collections::HashSet::new();
    for (path, label) in folders {
        let label = if label == "ham" { Label::Legitimate } else { Label::Reported };
        let mut visit = |raw: harrier_mail::RawMessage| {
            let words = message_words(&parse_message(&raw));
            let key = message_key(&words);
            if !words.is_empty() && learned.insert(key) {
                parts[fold_of(&key, folds)].learn(&words, label);
            }
        };
        for_each_message(path, &mut visit).with_context(|| format!("failed to read {}", path.display()))?;
    }
    let models = (0..folds)
        .map(|held_out| {
            let mut model = ReportModel::new();
            for (index, part) in parts.iter().enumerate() {
                if index != held_out {
                    model.merge(part);
                }
            }
            Arc::new(model)
        })
        .collect();
    Ok(models)
}

/// Writes the messages of one evaluated folder, with upstream verdict headers removed, as numbered files.
struct StrippedWriter {
    dir: PathBuf,
    written: usize,
    error: Option<anyhow::Error>,
}

impl StrippedWriter {
    fn create(root: &Path, folder: &Path) -> anyhow::Result<Self> {
        let name = folder.file_name().with_context(|| format!("{}: the folder has no name to write it under", folder.display()))?;
        let dir = root.join(name);
        anyhow::ensure!(!dir.exists(), "{} already exists; pass an empty --write-stripped folder", dir.display());
        std::fs::create_dir_all(&dir).with_context(|| format!("failed to create {}", dir.display()))?;
        Ok(Self { dir, written: 0, error: None })
    }

    /// Writes one message; the first error is kept for [`Self::finish`] and later messages are not written.
    fn write(&mut self, raw: &harrier_mail::RawMessage) {
        if self.error.is_some() {
            return;
        }
        let file = self.dir.join(format!("{:05}.eml", self.written));
        match std::fs::write(&file, harrier_mail::strip_upstream_verdicts(&raw.bytes)) {
            Ok(()) => self.written += 1,
            Err(error) => self.error = Some(anyhow::Error::new(error).context(format!("failed to write {}", file.display()))),
        }
    }

    fn finish(self) -> anyhow::Result<()> {
        self.error.map_or(Ok(()), Err)
    }
}

fn print_eval(results: &[FolderResult]) {
    let classes = Class::ALL.map(Class::name);
    // Each class column is as wide as its name, so that no name is cut.
    let width = |name: &str| name.len().max(8);
    println!("{:<6} {:>8} {:>8} {:>8}  {}  folder", "label", "messages", "threats", "rate", classes.map(|name| format!("{name:>8}")).join(" "));
    for label in ["ham", "phish"] {
        let mut messages = 0;
        let mut threats = 0;
        for result in results.iter().filter(|result| result.label == label) {
            let counts = classes.map(|name| format!("{:>width$}", result.by_class.get(name).copied().unwrap_or(0), width = width(name)));
            println!(
                "{:<6} {:>8} {:>8} {:>7.2}%  {}  {}",
                label,
                result.messages,
                result.threats,
                result.threat_rate * 100.0,
                counts.join(" "),
                result.path.display()
            );
            messages += result.messages;
            threats += result.threats;
        }
        if messages > 0 {
            let rate = threats as f64 / messages as f64 * 100.0;
            let meaning = if label == "ham" { "false-positive rate" } else { "detection rate" };
            println!("{label}: {threats} of {messages} classed as phishing, fraud or malware ({rate:.2}%, the {meaning})");
        }
    }
    if let Some(folds) = results.first().and_then(|result| result.folds) {
        println!("learned words: {folds}-fold cross-validation; each message was judged with the words of the other parts");
    }
}
