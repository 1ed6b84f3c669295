//! The `harrier` command.

mod cli;
mod detect;
mod eval;
mod export;
#[cfg(test)]
mod help_tests;
mod intel;
mod learn;
mod linklock;
mod milter;
mod progress;
mod replay;
mod respond;
mod scan;
mod serve;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: replay allocates records on reader threads and frees them on
/// the writer thread, a pattern glibc's allocator handles with lock contention and fragmentation.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use cli::{ActionsCommand, Cli, Command, EvalCommand, ExportCommand, IntelCommand, LearnCommand, LinklockCommand};

fn main() -> ExitCode {
    restore_sigpipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    progress::init(cli.no_progress);
    // The service sets up logging from its configuration file.
    if !matches!(cli.command, Command::Serve(_)) {
        init_logging(cli.log_format, None);
    }
    if let Some(data_dir) = cli.command.existing_data_dir()
        && !data_dir.exists()
    {
        let dir = data_dir.display();
        eprintln!(
            "error: data directory {dir} not found; pass the --data-dir that contains harrier's state, or run \
             `harrier replay --data-dir {dir}` first"
        );
        return ExitCode::from(cli::EXIT_FAILURE);
    }
    let result = match &cli.command {
        Command::Replay(args) => replay::run(args),
        Command::Analyse(args) => detect::run_analyse(args),
        Command::Incidents(args) => detect::run_incidents(args),
        Command::Models(args) => detect::run_models(args),
        Command::Report(args) => detect::run_report(args),
        Command::Simulate(args) => simulate(args),
        Command::Scan(args) => scan::run(args),
        Command::Learn { command: LearnCommand::Mail(args) } => learn::run_mail(args),
        Command::Eval { command: EvalCommand::Saas(args) } => eval::run(args),
        Command::Eval { command: EvalCommand::Email(args) } => scan::run_eval(args),
        Command::Intel { command: IntelCommand::Ip(args) } => intel::run_ip(args),
        Command::Milter(args) => milter::run(args),
        Command::Export { command: ExportCommand::Ocsf(args) } => export::run_ocsf(args),
        Command::Linklock { command: LinklockCommand::Serve(args) } => linklock::run_serve(args),
        Command::Serve(args) => serve::run(args),
        Command::Config { command } => serve::run_config(command),
        Command::Tokens { command } => serve::run_tokens(command),
        Command::Users { command } => serve::run_users(command),
        Command::Actions { command } => match command {
            ActionsCommand::List(args) => respond::run_list(args),
            ActionsCommand::Approve(args) => respond::run_decision(args, harrier_serve::actions::Decide::Approve),
            ActionsCommand::Reject(args) => respond::run_decision(args, harrier_serve::actions::Decide::Reject),
            ActionsCommand::Undo(args) => respond::run_decision(args, harrier_serve::actions::Decide::Undo),
            ActionsCommand::Verify(args) => respond::run_verify(args),
            ActionsCommand::Run(args) => respond::run_execute(args),
            ActionsCommand::Send(args) => respond::run_send(args),
        },
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", error_message(&error));
            ExitCode::from(cli::EXIT_FAILURE)
        }
    }
}

/// Formats an error with its causes as `{:#}` does, but leaves out a cause whose message already ends the
/// text before it. Most error types here repeat their source's message in their own.
fn error_message(error: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        // Only a whole message after a separator counts, so that a short cause such as "store" is kept
        // after text that merely ends in the same letters.
        if message == text || message.ends_with(&format!(": {text}")) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&text);
    }
    message
}

/// Prints clap's message for invalid arguments, `--help` or `--version`, and returns the exit status: 0
/// after help and the version, which clap also reports as errors, else [`cli::EXIT_USAGE`].
fn usage_error(error: &clap::Error) -> ExitCode {
    // A failure to print means standard output or error is closed, so there is nowhere left to report it.
    let _ = error.print();
    if error.use_stderr() { ExitCode::from(cli::EXIT_USAGE) } else { ExitCode::SUCCESS }
}

fn simulate(args: &cli::SimulateArgs) -> anyhow::Result<ExitCode> {
    let scenarios =
        if args.scenarios.is_empty() { harrier_sim::ScenarioName::ALL.to_vec() } else { args.scenarios.clone() };
    let config = harrier_sim::SimConfig {
        users: args.users,
        days: args.days,
        seed: args.seed,
        start: args.start,
        scenarios,
        ..harrier_sim::SimConfig::default()
    };
    let progress = progress::spinner(progress::enabled(args.json), &format!("Simulating into {}", args.out.display()));
    let report = harrier_sim::simulate(&config, &args.out);
    progress.finish_and_clear();
    let report = report?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "Wrote {} records ({} sign-ins) for {} users over {} days in {} files under {}, with {} scenario instances.",
        report.records,
        report.sign_ins,
        report.users,
        report.days,
        report.files,
        args.out.display(),
        report.scenario_instances
    );
    Ok(ExitCode::SUCCESS)
}

/// Restores the default action for SIGPIPE, which Rust programs start with ignored. Output piped into a
/// command that exits early (`harrier incidents | head`) then ends harrier quietly, as it does other Unix
/// tools, instead of with a broken-pipe panic.
fn restore_sigpipe() {
    // SAFETY: called first thing in main, before any other thread exists; SIG_DFL is a valid action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Sends logs to standard error: human-readable by default, JSON lines with `--log-format json`. The level
/// comes from `HARRIER_LOG` (for example `debug` or `harrier_ingest=trace`), else from `level`, else
/// warnings. Text lines are coloured only when standard error is a terminal and `NO_COLOR` is unset or
/// empty.
pub(crate) fn init_logging(format: cli::LogFormat, level: Option<&str>) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HARRIER_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!("{},html5ever=error", level.unwrap_or("warn")))
    });
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(colour);
    match format {
        cli::LogFormat::Text => builder.init(),
        cli::LogFormat::Json => builder.json().init(),
    }
}

#[cfg(test)]
mod tests {
    use super::error_message;

    #[test]
    fn repeated_cause_is_left_out() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file");
        let error = anyhow::Error::new(io).context("failed to read m.eml: No such file");
        assert_eq!(error_message(&error), "failed to read m.eml: No such file");
    }

    #[test]
    fn suffix_cause_is_kept() {
        let error = anyhow::anyhow!("store").context("cannot open the datastore");
        assert_eq!(error_message(&error), "cannot open the datastore: store");
    }
}
