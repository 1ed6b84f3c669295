//! `harrier export ocsf`: findings as OCSF Detection Findings to files, S3, webhooks and syslog.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use harrier_detect::AnalysisDb;
use harrier_export::ocsf::schema::Schema;
use harrier_export::{Destination, ExportOptions, ExportSummary, Exporter, FlushPolicy, Layout};

use crate::cli::ExportOcsfArgs;

/// How often a continuous export looks for new findings.
const POLL: Duration = Duration::from_secs(5);

pub fn run_ocsf(args: &ExportOcsfArgs) -> anyhow::Result<ExitCode> {
    let destination = Destination::parse(&args.out)?;
    if matches!(destination, Destination::Webhook { .. }) && args.webhook_secret_file.is_none() {
        // The receiver checks the signature to tell findings from forged requests, as the service's
        // exporter and the SOAR webhook of the actions commands require.
        bail!("give the webhook's signing secret with --webhook-secret-file or HARRIER_WEBHOOK_SECRET_FILE");
    }
    let is_s3 = matches!(destination, Destination::S3 { .. });
    let region = match (&args.region, is_s3) {
        (Some(region), _) => region.clone(),
        (None, true) => bail!("give the AWS region for the Security Lake path with --region or AWS_REGION"),
        (None, false) => "local".to_owned(),
    };
    let account = match (&args.account, is_s3) {
        (Some(account), _) => account.clone(),
        (None, true) => bail!("give the AWS account id for the Security Lake path with --account"),
        (None, false) => "local".to_owned(),
    };
    let layout = Layout::new(&args.source, &region, &account)?;
    let mut options = ExportOptions::new(args.format, layout);
    options.since = args.since;
    options.batch_changes = args.batch.max(1);
    if let Some(dir) = &args.schema {
        options.schema = Some(Arc::new(
            Schema::load(dir).with_context(|| format!("cannot load the OCSF schema from {}", dir.display()))?,
        ));
    }
    if let Some(path) = &args.webhook_secret_file {
        let secret = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the webhook secret from {}", path.display()))?;
        options.webhook_secret = Some(secret.trim().to_owned());
    }

    let intel = crate::intel::load(&args.ip_data)?;
    let db = AnalysisDb::open(&args.data.data_dir).context("cannot open the analysis database")?;
    let described = destination.describe();
    let stages_files = matches!(destination, Destination::Dir(_) | Destination::S3 { .. });
    let mut exporter = Exporter::new(&args.data.data_dir, destination, options, Some(&intel))?;

    if !args.follow {
        let progress = crate::progress::spinner(crate::progress::enabled(args.json), &format!("Exporting to {described}"));
        let summary = exporter.run(&db);
        progress.finish_and_clear();
        let summary = summary.with_context(|| format!("export to {described} stopped"))?;
        print_summary(&summary, &described, stages_files, if args.json { Output::Json } else { Output::Text });
        return Ok(if summary.invalid > 0 { ExitCode::from(crate::cli::EXIT_FAILURE) } else { ExitCode::SUCCESS });
    }

    let policy = FlushPolicy::new(args.batch.max(1) as u64, args.interval)?;
    eprintln!(
        "Exporting to {described} as findings arrive: a batch at {} findings or after {} s.",
        policy.max_pending,
        policy.interval.as_secs()
    );
    let mut waiting_since: Option<Instant> = None;
    let mut retry_staged = exporter.has_staged();
    loop {
        let pending = db.last_change()?.saturating_sub(exporter.checkpoint());
        if pending == 0 {
            waiting_since = None;
        } else if waiting_since.is_none() {
            waiting_since = Some(Instant::now());
        }
        if retry_staged || policy.due(pending, waiting_since.map(|since| since.elapsed())) {
            match exporter.run(&db) {
                Ok(summary) => {
                    print_summary(&summary, &described, stages_files, if args.json { Output::JsonLine } else { Output::Text });
                    waiting_since = None;
                    retry_staged = false;
                }
                // The staged files and the checkpoint are kept; the next attempt starts from them.
                Err(error) => {
                    eprintln!("error: export to {described} failed, will try again: {error:#}");
                    retry_staged = exporter.has_staged();
                }
            }
        }
        std::thread::sleep(POLL);
    }
}

/// The format of a printed summary. With `--json`, a single run prints one indented document and
/// `--follow` prints one compact line per batch, so that its output is JSON lines.
#[derive(Clone, Copy)]
enum Output {
    Text,
    Json,
    JsonLine,
}

/// Prints a summary of one export run. `stages_files` is false for webhooks and syslog, which receive
/// findings directly rather than as staged files.
fn print_summary(summary: &ExportSummary, destination: &str, stages_files: bool, output: Output) {
    match output {
        Output::Json => {
            println!("{}", serde_json::to_string_pretty(summary).expect("summaries serialise"));
            return;
        }
        Output::JsonLine => {
            println!("{}", serde_json::to_string(summary).expect("summaries serialise"));
            return;
        }
        Output::Text => {}
    }
    if stages_files {
        println!(
            "Exported {} findings ({} breaches, {} incidents) to {destination}: {} files staged, {} uploaded \
             ({} bytes); checkpoint at change {}.",
            summary.findings,
            summary.breaches,
            summary.incidents,
            summary.files_staged,
            summary.files_uploaded,
            summary.bytes_uploaded,
            summary.last_seq
        );
    } else {
        println!(
            "Exported {} findings ({} breaches, {} incidents) to {destination}; checkpoint at change {}.",
            summary.findings, summary.breaches, summary.incidents, summary.last_seq
        );
    }
    if summary.superseded + summary.before_since + summary.files_discarded > 0 {
        println!(
            "Left out: {} incident changes superseded in the same batch, {} findings before --since; \
             {} staged files of an unfinished batch rebuilt.",
            summary.superseded, summary.before_since, summary.files_discarded
        );
    }
    if summary.invalid > 0 {
        eprintln!("error: {} findings failed OCSF validation and were left out; see the log above", summary.invalid);
    }
}
