//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Exit status when the command failed or, for `replay`, read nothing (or skipped records under --strict).
pub const EXIT_FAILURE: u8 = 1;

#[derive(Debug, Parser)]
#[command(
    name = "harrier",
    version,
    about = "Self-hosted, self-learning security engine for email and Microsoft 365",
    after_help = "Exit status: 0 on success; 1 when the command failed, or when `replay` could read no record \
                  (or skipped any under --strict); 2 for invalid arguments."
)]
pub struct Cli {
    /// Log line format on standard error; the level is set with the HARRIER_LOG environment variable.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read exported audit and sign-in logs, normalise and enrich them, and store the events.
    #[command(after_help = REPLAY_EXAMPLES)]
    Replay(ReplayArgs),
    /// Query the offline IP intelligence.
    Intel {
        #[command(subcommand)]
        command: IntelCommand,
    },
}

const REPLAY_EXAMPLES: &str = "\
Examples:
  harrier replay exports/                         read every file under exports/, recursively
  harrier replay --tenant contoso audit.json.gz   store the records under the tenant 'contoso'
  harrier replay --json signins.csv               print the summary as JSON
  harrier replay --format graph_sign_in page.json read records as Graph sign-ins without detection

Formats are detected from each file's content: Management Activity API records (JSON array, JSON lines,
single object, Purview CSV export), Sentinel OfficeActivity / SigninLogs / AuditLogs CSV or JSON, Graph
signIn and directoryAudit objects or pages, and Azure Monitor diagnostic records; any of them gzip-compressed.";

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Files or folders to read; folders are read recursively.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Store every event under this tenant instead of the tenant each record names.
    #[arg(long, value_name = "TENANT")]
    pub tenant: Option<String>,

    /// Directory holding harrier's state; created when missing.
    #[arg(long, env = "HARRIER_DATA_DIR", default_value = "harrier-data", value_name = "DIR")]
    pub data_dir: PathBuf,

    /// Read every record as this format instead of detecting it.
    #[arg(long, value_parser = parse_format, value_name = "FORMAT")]
    pub format: Option<harrier_model::SourceFormat>,

    /// Exit with status 1 when any record or file was skipped.
    #[arg(long)]
    pub strict: bool,

    /// Print the summary as JSON on standard output.
    #[arg(long)]
    pub json: bool,

    /// Reader threads; 0 uses one less than the number of cores.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,

    /// Never show a progress bar, even on a terminal.
    #[arg(long)]
    pub no_progress: bool,

    #[command(flatten)]
    pub ip_data: IpDataArgs,
}

#[derive(Debug, Args)]
pub struct IpDataArgs {
    /// IP intelligence snapshot to use instead of the one built into harrier.
    #[arg(long, env = "HARRIER_IP_DATA", value_name = "FILE")]
    pub ip_data: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum IntelCommand {
    /// Show the ASN, AS organisation, country and network class of IP addresses.
    #[command(after_help = "Example:\n  harrier intel ip 45.62.170.237 2001:4860:4860::8888")]
    Ip(IntelIpArgs),
}

#[derive(Debug, Args)]
pub struct IntelIpArgs {
    /// Addresses to look up.
    #[arg(required = true, value_name = "IP")]
    pub addresses: Vec<std::net::IpAddr>,

    /// Print the answers as JSON lines.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub ip_data: IpDataArgs,
}

fn parse_format(name: &str) -> Result<harrier_model::SourceFormat, String> {
    harrier_model::SourceFormat::from_name(name)
        .ok_or_else(|| format!("unknown format {name:?}; expected one of: {}", harrier_ingest::detect::format_names()))
}
