//! `harrier replay`: read exported logs into the store and account for every record.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use harrier_ingest::ReadOptions;
use harrier_model::TenantId;
use harrier_pipeline::{NoProgress, Progress, ReplayOptions, Summary};
use harrier_store::Store;
use indicatif::ProgressBar;

use crate::cli::{EXIT_FAILURE, ReplayArgs};

/// SQLite page cache of the replay's store connection, in MiB. Most pages replay writes are not read again,
/// so a larger cache only keeps them in memory: 256 MiB raised the peak RSS of a 1,000,000-record replay
/// by about 230 MiB and saved no CPU time.
const REPLAY_CACHE_MEBIBYTES: u32 = 16;

/// How many skipped records are printed to standard error before the rest are only counted.
const PRINTED_SKIPS: usize = 20;

pub fn run(args: &ReplayArgs) -> anyhow::Result<ExitCode> {
    if let Some(missing) = args.paths.iter().find(|path| !path.exists()) {
        anyhow::bail!("{} not found; pass files or folders of exported logs", missing.display());
    }
    let intel = crate::intel::load(&args.ip_data)?;
    let engine = if args.no_analyse { None } else { Some(crate::detect::engine(&args.detection)?) };
    let mut store = Store::open(&args.data_dir).context("cannot open the store")?;
    // Replay only appends, and analysis reads through a connection of its own.
    store.set_cache_mebibytes(REPLAY_CACHE_MEBIBYTES).context("cannot configure the store")?;

    let (files, list_errors) = harrier_pipeline::collect_files(&args.paths);
    if files.is_empty() && list_errors.is_empty() {
        anyhow::bail!("no files found under {}", join_paths(&args.paths));
    }

    let bytes_read = Arc::new(AtomicU64::new(0));
    let options = ReplayOptions {
        read: ReadOptions {
            tenant: args.tenant.as_deref().map(TenantId::new),
            format: args.format,
            bytes_read: Some(bytes_read.clone()),
        },
        threads: args.threads,
        mail: harrier_pipeline::MailOptions {
            protected_domains: args.mail.protected_domains(),
            trusted_hops: args.mail.trusted_hops(),
            reported: harrier_serve::learned::load_model(&args.data_dir, args.tenant.as_deref().unwrap_or(TenantId::DEFAULT))?,
        },
    };

    let show_progress = crate::progress::enabled(args.json);
    let mut summary = if show_progress {
        let bar = ByteProgress::new(&files, bytes_read);
        let summary = harrier_pipeline::replay(&files, &options, &intel, &mut store, &bar);
        bar.bar.finish_and_clear();
        summary
    } else {
        harrier_pipeline::replay(&files, &options, &intel, &mut store, &NoProgress)
    }
    .context("cannot store events")?;
    summary.add_file_errors(&list_errors);

    drop(store);
    let analysis = match &engine {
        Some(engine) => {
            let policy = crate::detect::response_policy(args.detection.response_policy.as_deref())?;
            Some(crate::detect::analyse(&args.data_dir, engine, &policy, &args.detection.webhook)?)
        }
        None => None,
    };

    print_problems(&summary);
    if args.json {
        let mut json = serde_json::to_value(&summary)?;
        json["analysis"] = serde_json::to_value(analysis.as_ref().map(|(analysis, _)| analysis))?;
        json["response"] = serde_json::to_value(analysis.as_ref().map(|(_, plans)| plans))?;
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        print_summary(&summary, &args.data_dir.join(harrier_store::DATABASE_FILE));
        if let Some((analysis, plans)) = &analysis {
            crate::detect::print_analysis(analysis);
            crate::detect::print_plans(plans);
        }
    }
    Ok(exit_code(&summary, args.strict))
}

/// Decides the exit status. The run fails when it read no record, or under `--strict` when it skipped
/// anything. A run whose records were all stored before still reads them, so it succeeds, and so does
/// a run of empty JSON documents only: the Management Activity API returns `[]` and Graph an empty `value`
/// page for a quiet period.
fn exit_code(summary: &Summary, strict: bool) -> ExitCode {
    let failed_files = summary.failed_files().count();
    let read_nothing = summary.records.normalised == 0 && !only_empty_documents(summary);
    let strict_failure = strict && (failed_files > 0 || summary.records.skipped > 0);
    if read_nothing || strict_failure { ExitCode::from(EXIT_FAILURE) } else { ExitCode::SUCCESS }
}

/// Prints unreadable files, files without records and the first skipped records to standard error.
fn print_problems(summary: &Summary) {
    for file in summary.failed_files() {
        eprintln!("error: {}", file.error.as_deref().unwrap_or("unreadable"));
    }
    // An empty file fails the run only when no other file had records.
    let level = if summary.records.normalised == 0 && !only_empty_documents(summary) { "error" } else { "warning" };
    for file in summary.files.iter().filter(|file| file.error.is_none() && file.records == 0 && file.skipped == 0) {
        eprintln!("{level}: no records: {} {}", file.path.display(), empty_file_reason(file.container));
    }
    for skip in summary.skip_examples.iter().take(PRINTED_SKIPS) {
        eprintln!("skipped: {}:{}: {}", skip.path.display(), skip.line, skip.reason);
    }
    let unprinted = summary.records.skipped.saturating_sub(PRINTED_SKIPS as u64);
    if unprinted > 0 {
        eprintln!("skipped: {unprinted} more records; --json lists the first {}", harrier_pipeline::MAX_SKIP_EXAMPLES);
    }
}

/// Returns whether every file was read without a problem and is JSON without records (an empty array or
/// an empty Graph page, which is read as one line of JSON).
fn only_empty_documents(summary: &Summary) -> bool {
    !summary.files.is_empty()
        && summary.files.iter().all(|file| {
            file.error.is_none()
                && file.records == 0
                && file.skipped == 0
                && matches!(file.container, Some("json_document" | "json_lines"))
        })
}

/// Returns why a readable file has no records, from its container name in [`harrier_pipeline::FileReport`].
fn empty_file_reason(container: Option<&str>) -> &'static str {
    match container {
        Some("csv") => "has a CSV header and no rows",
        Some("json_document") => "is a JSON document without records, such as an empty array",
        Some("mail") => "contains no mail message",
        _ => "contains no records",
    }
}

fn print_summary(summary: &Summary, database: &Path) {
    let records = &summary.records;
    println!(
        "Read {} files, {} records in {:.2} s: {} events stored, {} already stored, {} skipped.",
        summary.files.len(),
        records.read,
        summary.elapsed_seconds,
        records.stored,
        records.duplicates,
        records.skipped
    );
    println!("Store: {}", database.display());
    if let Some(range) = summary.time_range {
        println!("Time range: {} to {}", range.first, range.last);
    }
    print_counts("Records per format", summary.formats.iter().map(|(k, v)| (*k, *v)));
    print_counts("Events per kind", summary.kinds.iter().map(|(k, v)| (*k, *v)));
    print_counts("Events per tenant", summary.tenants.iter().map(|(k, v)| (k.as_str(), *v)));
    print_counts("Skipped records per reason", summary.skipped.iter().map(|(k, v)| (k.as_str(), *v)));
}

fn print_counts<'a>(title: &str, counts: impl Iterator<Item = (&'a str, u64)>) {
    let counts: Vec<_> = counts.collect();
    if counts.is_empty() {
        return;
    }
    println!("\n{title}:");
    let width = counts.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    for (name, count) in counts {
        println!("  {name:<width$}  {count:>10}");
    }
}

fn join_paths(paths: &[std::path::PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// A progress bar over the bytes of the input files.
struct ByteProgress {
    bar: ProgressBar,
    bytes_read: Arc<AtomicU64>,
}

impl ByteProgress {
    fn new(files: &[std::path::PathBuf], bytes_read: Arc<AtomicU64>) -> ByteProgress {
        let total: u64 = files.iter().filter_map(|f| f.metadata().ok()).map(|m| m.len()).sum();
        let bar = crate::progress::bar(true, total, "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}");
        ByteProgress { bar, bytes_read }
    }

    fn update(&self) {
        self.bar.set_position(self.bytes_read.load(Ordering::Relaxed));
    }
}

impl Progress for ByteProgress {
    fn stored(&self, _records: u64) {
        self.update();
    }

    fn file_done(&self, path: &Path) {
        self.update();
        self.bar.set_message(path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    }
}
