//! Command-line arguments.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Exit status when the command failed, or ran but found a problem it reports: see [`ROOT_HELP`].
pub const EXIT_FAILURE: u8 = 1;

/// Exit status for invalid arguments. clap exits with it on its own; it is named here to document it and
/// to check in tests that clap still uses it.
pub const EXIT_USAGE: u8 = 2;

/// The text after `harrier --help`: examples, the `--json` convention and the exit statuses. The README's
/// "Output for scripts" section repeats the last two.
const ROOT_HELP: &str = "\
Examples:
  harrier replay --data-dir /var/lib/harrier exports/
  harrier incidents --data-dir /var/lib/harrier --json
  harrier scan --protected-domain contoso.com Maildir/
  harrier serve --config /etc/harrier/harrier.toml

`harrier help COMMAND` shows each command's options and examples.

Output:
  Results go to standard output. Progress bars, warnings, errors and logs go to standard error.
  Progress bars are drawn only when standard error is a terminal, and never with --json or
  --no-progress.
  With --json, a command prints one JSON document: an array for a list, an object for a summary.
  Commands that report on each input as they read it print JSON lines instead, one object per
  line: `scan` (per message), `intel ip` (per address) and `export ocsf --follow` (per batch).

Exit status:
  0  success
  1  the command failed, or it ran and reports a problem: `replay` read no record (or, with
     --strict, skipped any), `scan` found no message to judge, `export ocsf` left out findings
     that failed validation, `actions run` could not carry out an action, `config check` found
     the file invalid
  2  invalid arguments";

#[derive(Debug, Parser)]
#[command(
    name = "harrier",
    version,
    about = "Self-hosted, self-learning security engine for email and Microsoft 365",
    after_help = ROOT_HELP
)]
pub struct Cli {
    /// Log line format on standard error; the level is set with the HARRIER_LOG environment variable.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// Never show a progress bar, even on a terminal.
    #[arg(long, global = true)]
    pub no_progress: bool,

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
    /// Run the detection models over stored events not yet analysed.
    #[command(after_help = ANALYSE_EXAMPLES)]
    Analyse(AnalyseArgs),
    /// List incidents, newest first.
    #[command(after_help = INCIDENTS_EXAMPLES)]
    Incidents(IncidentsArgs),
    /// Write the investigation report of an incident as Markdown.
    #[command(after_help = REPORT_EXAMPLES)]
    Report(ReportArgs),
    /// List the detection models with their techniques and tunable parameters.
    #[command(after_help = MODELS_EXAMPLES)]
    Models(ModelsArgs),
    /// Write a simulated tenant's logs, with attack scenarios and ground-truth labels.
    #[command(after_help = SIMULATE_EXAMPLES)]
    Simulate(SimulateArgs),
    /// Analyse mail messages and print a verdict with its factors for each.
    #[command(after_help = crate::scan::SCAN_EXAMPLES)]
    Scan(crate::scan::ScanArgs),
    /// Learn from mail that analysts labelled: reported phishing and legitimate mail.
    Learn {
        #[command(subcommand)]
        command: LearnCommand,
    },
    /// Evaluate detection on labelled logs or mail.
    Eval {
        #[command(subcommand)]
        command: EvalCommand,
    },
    /// Query the offline IP intelligence.
    Intel {
        #[command(subcommand)]
        command: IntelCommand,
    },
    /// List response actions, approve, reject or undo them, and verify the action log.
    Actions {
        #[command(subcommand)]
        command: ActionsCommand,
    },
    /// Serve as a milter: analyse each message Postfix passes and carry out the message actions.
    #[command(after_help = crate::milter::MILTER_EXAMPLES)]
    Milter(crate::milter::MilterArgs),
    /// Export findings to a SIEM or security data lake.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Serve the warning page behind locked links.
    Linklock {
        #[command(subcommand)]
        command: LinklockCommand,
    },
    /// Run the long-running service from a configuration file: poll loops, analysis, response planning,
    /// exporters, the link-lock endpoint, the milter and the HTTP API.
    #[command(after_help = crate::serve::SERVE_EXAMPLES)]
    Serve(crate::serve::ServeArgs),
    /// Check a service configuration file.
    Config {
        #[command(subcommand)]
        command: crate::serve::ConfigCommand,
    },
    /// Create, list and revoke API tokens.
    Tokens {
        #[command(subcommand)]
        command: crate::serve::TokensCommand,
    },
    /// Manage the local users who log in to the API and web interface.
    Users {
        #[command(subcommand)]
        command: crate::serve::UsersCommand,
    },
}

impl Command {
    /// Returns the data directory of a command that reads or changes state written before. That directory
    /// must exist, because opening a missing one creates it empty and the command then finds nothing.
    pub fn existing_data_dir(&self) -> Option<&Path> {
        use crate::serve::{TokensCommand, UsersCommand};
        let data = match self {
            Command::Incidents(args) => &args.data,
            Command::Report(args) => &args.data,
            Command::Export { command: ExportCommand::Ocsf(args) } => &args.data,
            Command::Actions { command } => match command {
                ActionsCommand::List(args) => &args.data,
                ActionsCommand::Approve(args) | ActionsCommand::Reject(args) | ActionsCommand::Undo(args) => &args.data,
                ActionsCommand::Run(args) => &args.data,
                ActionsCommand::Verify(args) => &args.data,
                ActionsCommand::Send(args) => &args.data,
            },
            Command::Tokens { command: TokensCommand::List(args) } => &args.data,
            Command::Tokens { command: TokensCommand::Revoke(args) } => &args.data,
            Command::Users { command: UsersCommand::List(args) } => &args.data,
            Command::Scan(args) => return args.data_dir.as_deref(),
            _ => return None,
        };
        Some(&data.data_dir)
    }
}

#[derive(Debug, Subcommand)]
pub enum LinklockCommand {
    /// Serve `GET /l/TOKEN` (the warning page) and `POST /l/TOKEN/continue` over HTTP, store used continue
    /// nonces in DIR/linklock.sqlite and each click as an event in DIR's event store.
    #[command(after_help = "\
Examples:
  harrier linklock serve --key-file /etc/harrier/link-keys --data-dir /var/lib/harrier
  harrier linklock serve --listen 127.0.0.1:8180 --key-file /etc/harrier/link-keys

`harrier milter --link-lock-key-file` must read the same key file.")]
    Serve(LinklockServeArgs),
}

#[derive(Debug, Args)]
pub struct LinklockServeArgs {
    #[command(flatten)]
    pub data: DataDirArgs,

    /// The address and port to listen on. Put a TLS-terminating reverse proxy in front for the public
    /// address.
    #[arg(long, value_name = "ADDRESS:PORT", default_value = "127.0.0.1:8180")]
    pub listen: std::net::SocketAddr,

    /// The TOML key file: `[[key]]` tables with `id` (letters and digits) and `secret` (base64 of at least
    /// 32 random bytes). The first key signs; every key verifies.
    #[arg(long, env = "HARRIER_LINKLOCK_KEY_FILE", value_name = "FILE")]
    pub key_file: PathBuf,

    /// A reverse proxy in front of the endpoint, by address (`127.0.0.1`) or network (`10.0.0.0/8`);
    /// repeat for several. A click from one of them is recorded with the right-most address in
    /// X-Forwarded-For that is not itself a trusted proxy. With none, X-Forwarded-For is ignored.
    #[arg(long = "trusted-proxy", value_name = "ADDRESS|NETWORK")]
    pub trusted_proxies: Vec<harrier_respond::proxy::ProxyNetwork>,
}

#[derive(Debug, Subcommand)]
pub enum ActionsCommand {
    /// List actions with their latest status, newest first.
    #[command(after_help = ACTIONS_LIST_EXAMPLES)]
    List(ActionsListArgs),
    /// Approve a pending action.
    #[command(after_help = ACTIONS_APPROVE_EXAMPLES)]
    Approve(ActionIdArgs),
    /// Reject a pending or approved action.
    #[command(after_help = ACTIONS_REJECT_EXAMPLES)]
    Reject(ActionIdArgs),
    /// Undo a done action: release a held message with postsuper, or reverse a SaaS action through
    /// Microsoft Graph (re-enable the user, restore the rule or grant).
    #[command(after_help = ACTIONS_UNDO_EXAMPLES)]
    Undo(ActionIdArgs),
    /// Carry out every approved action through Microsoft Graph and record the outcomes.
    #[command(after_help = ACTIONS_RUN_EXAMPLES)]
    Run(ActionsRunArgs),
    /// Check the action log's hash chain.
    #[command(after_help = ACTIONS_VERIFY_EXAMPLES)]
    Verify(ActionsVerifyArgs),
    /// POST the action-log entries not yet delivered to a SOAR webhook, signed.
    #[command(after_help = ACTIONS_SEND_EXAMPLES)]
    Send(ActionsSendArgs),
}

const ACTIONS_LIST_EXAMPLES: &str = "\
Examples:
  harrier actions list --data-dir /var/lib/harrier
  harrier actions list --status pending              only the actions awaiting approval
  harrier actions list --json                        every field of every action, as one JSON array";

const ACTIONS_APPROVE_EXAMPLES: &str = "\
Examples:
  harrier actions approve 0f6c2d1e-8b4a-4c3e-9d2f-5a7b1c9e3d40 --by alice
  harrier actions run                                then carry out the approved actions";

const ACTIONS_REJECT_EXAMPLES: &str = "\
Examples:
  harrier actions reject 0f6c2d1e-8b4a-4c3e-9d2f-5a7b1c9e3d40 --by alice";

const ACTIONS_UNDO_EXAMPLES: &str = "\
Examples:
  harrier actions undo 0f6c2d1e-8b4a-4c3e-9d2f-5a7b1c9e3d40 \\
      --graph-tenant contoso.onmicrosoft.com \\
      --graph-client-id 11111111-2222-3333-4444-555555555555 \\
      --graph-client-secret-file /etc/harrier/graph-secret
  harrier actions undo 0f6c2d1e-8b4a-4c3e-9d2f-5a7b1c9e3d40 --record-only   after undoing by hand

The Graph settings may also come from HARRIER_GRAPH_TENANT_ID, HARRIER_GRAPH_CLIENT_ID and
HARRIER_GRAPH_CLIENT_SECRET_FILE.";

const ACTIONS_RUN_EXAMPLES: &str = "\
Examples:
  harrier actions run --graph-tenant contoso.onmicrosoft.com \\
      --graph-client-id 11111111-2222-3333-4444-555555555555 \\
      --graph-client-secret-file /etc/harrier/graph-secret
  harrier actions run --json                         the outcomes as one JSON object

Exits with status 1 when any action failed or is left to be done by hand.";

const ACTIONS_VERIFY_EXAMPLES: &str = "\
Examples:
  harrier actions verify --data-dir /var/lib/harrier
  harrier actions verify --json                      the entry count and head hash as JSON

An error names the first entry whose hash does not match.";

const ACTIONS_SEND_EXAMPLES: &str = "\
Examples:
  harrier actions send --webhook https://soar.example.org/hooks/harrier \\
      --webhook-secret-file /etc/harrier/soar-secret";

#[derive(Debug, Args)]
pub struct ActionsSendArgs {
    #[command(flatten)]
    pub webhook: ActionWebhookArgs,

    /// Print the count of delivered entries as JSON.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub data: DataDirArgs,
}

#[derive(Debug, Args)]
pub struct ActionsListArgs {
    #[command(flatten)]
    pub data: DataDirArgs,

    /// Only actions with this status: observed, pending, approved, rejected, blocked, done, failed, undone.
    #[arg(long, value_name = "STATUS")]
    pub status: Option<String>,

    /// Print the actions as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ActionIdArgs {
    /// The action id, as `harrier actions list` shows it.
    #[arg(value_name = "ID")]
    pub id: String,

    /// Who decides, recorded in the action log.
    #[arg(long, env = "USER", default_value = "operator", value_name = "NAME")]
    pub by: String,

    /// With undo: record the action as undone without calling Graph, after undoing it by hand.
    #[arg(long)]
    pub record_only: bool,

    #[command(flatten)]
    pub graph: GraphArgs,

    #[command(flatten)]
    pub webhook: ActionWebhookArgs,

    #[command(flatten)]
    pub data: DataDirArgs,
}

#[derive(Debug, Args)]
pub struct ActionsRunArgs {
    #[command(flatten)]
    pub graph: GraphArgs,

    #[command(flatten)]
    pub webhook: ActionWebhookArgs,

    /// Response policy (TOML) whose guards are checked again before each action; the built-in otherwise.
    #[arg(long, env = "HARRIER_RESPONSE_POLICY", value_name = "FILE")]
    pub response_policy: Option<std::path::PathBuf>,

    /// Print the outcome of each action and the counts as JSON.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub data: DataDirArgs,
}

/// The Entra ID application harrier acts as. Its client secret is read from a file or the environment,
/// never from the command line, and never printed.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The Entra ID tenant (directory) id.
    #[arg(long, env = "HARRIER_GRAPH_TENANT_ID", value_name = "ID")]
    pub graph_tenant: Option<String>,

    /// The application (client) id.
    #[arg(long, env = "HARRIER_GRAPH_CLIENT_ID", value_name = "ID")]
    pub graph_client_id: Option<String>,

    /// File holding the client secret; HARRIER_GRAPH_CLIENT_SECRET may hold the secret itself.
    #[arg(long, env = "HARRIER_GRAPH_CLIENT_SECRET_FILE", value_name = "FILE")]
    pub graph_client_secret_file: Option<PathBuf>,

    /// The identity platform's URL.
    #[arg(long, env = "HARRIER_GRAPH_AUTHORITY", default_value = "https://login.microsoftonline.com", value_name = "URL")]
    pub graph_authority: String,

    /// The Graph endpoint with its version.
    #[arg(long, env = "HARRIER_GRAPH_ENDPOINT", default_value = "https://graph.microsoft.com/v1.0", value_name = "URL")]
    pub graph_endpoint: String,
}

#[derive(Debug, Args)]
pub struct ActionsVerifyArgs {
    /// Print the entry count and the head hash as JSON.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub data: DataDirArgs,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Write breaches and incidents as OCSF 1.3.0 Detection Findings (class 2004).
    #[command(after_help = EXPORT_EXAMPLES)]
    Ocsf(ExportOcsfArgs),
}

const EXPORT_EXAMPLES: &str = "\
Examples:
  harrier export ocsf --out lake/                         Parquet files in the Security Lake layout
  harrier export ocsf --format jsonl --out findings/      JSON lines instead
  harrier export ocsf --out s3://my-lake/ --region eu-west-1 --account 123456789012
  harrier export ocsf --out https://siem.example/hook --webhook-secret-file hook.key
                                                          POST signed JSON arrays of findings
  harrier export ocsf --out syslog+tcp://127.0.0.1:6514   RFC 5424 over TCP
  harrier export ocsf --out s3://my-lake/ --follow --interval 15m  export as findings arrive

Each destination keeps a checkpoint under DATA_DIR/export/, so a repeated run exports only what is
new. Files are staged on local disk before upload; a run interrupted at any point uploads every
finding exactly once when it is started again. S3 credentials, region and endpoint come from the
standard AWS_* environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL,
...).";

#[derive(Debug, Args)]
pub struct ExportOcsfArgs {
    #[command(flatten)]
    pub data: DataDirArgs,

    #[command(flatten)]
    pub ip_data: IpDataArgs,

    /// The destination: a directory, s3://BUCKET/PREFIX, an http(s) URL, syslog+tcp://HOST:PORT or
    /// syslog+udp://HOST:PORT.
    #[arg(long, value_name = "DESTINATION")]
    pub out: String,

    /// File format for directories and S3: jsonl or parquet.
    #[arg(long, default_value = "parquet", value_name = "FORMAT")]
    pub format: harrier_export::Format,

    /// Export only breaches at or after this time and incidents that began at or after it (RFC 3339, for
    /// example 2026-11-01T00:00:00Z).
    #[arg(long, value_name = "TIME")]
    pub since: Option<jiff::Timestamp>,

    /// Security Lake custom source name, at most 20 characters.
    #[arg(long, default_value = "harrier", value_name = "NAME")]
    pub source: String,

    /// AWS region in the Security Lake path; required for S3.
    #[arg(long, env = "AWS_REGION", value_name = "REGION")]
    pub region: Option<String>,

    /// AWS account id in the Security Lake path; required for S3.
    #[arg(long, env = "HARRIER_EXPORT_ACCOUNT", value_name = "ACCOUNT")]
    pub account: Option<String>,

    /// Findings-log entries per batch (one set of files per batch).
    #[arg(long, default_value_t = 50_000, value_name = "N")]
    pub batch: usize,

    /// Keep running and export new findings in batches, by size or by the time limit.
    #[arg(long)]
    pub follow: bool,

    /// With --follow, the longest time a finding waits before its batch is written: 5m to 24h.
    #[arg(long, default_value = "15m", value_parser = parse_duration, value_name = "DURATION")]
    pub interval: std::time::Duration,

    /// Validate every record against the OCSF schema in this directory (a copy of the ocsf-schema
    /// repository at v1.3.0) and leave out records that fail.
    #[arg(long, env = "HARRIER_OCSF_SCHEMA", value_name = "DIR")]
    pub schema: Option<PathBuf>,

    /// File holding the key that signs webhook requests (HMAC-SHA256).
    #[arg(long, env = "HARRIER_WEBHOOK_SECRET_FILE", value_name = "FILE")]
    pub webhook_secret_file: Option<PathBuf>,

    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Reads durations such as `300s`, `15m`, `2h` or `1d`.
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| format!("{text:?} is not a duration such as 15m or 2h"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(format!("{text:?} has no unit: use s, m, h or d, as in 15m")),
    };
    Ok(std::time::Duration::from_secs(number * seconds))
}

const REPLAY_EXAMPLES: &str = "\
Examples:
  harrier replay exports/                         read every file under exports/, recursively
  harrier replay --tenant contoso audit.json.gz   store the records under the tenant 'contoso'
  harrier replay --json signins.csv               print the summary as JSON
  harrier replay --format graph_sign_in page.json read records as Graph sign-ins without detection

Formats are detected from each file's content: Management Activity API records (JSON array,
JSON lines, single object, Purview CSV export), Sentinel OfficeActivity / SigninLogs / AuditLogs
CSV or JSON, Graph signIn and directoryAudit objects or pages, and Azure Monitor diagnostic
records; any of them gzip-compressed.";

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Files or folders to read; folders are read recursively.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Store every event under this tenant instead of the tenant each record names.
    #[arg(long, value_parser = parse_one_tenant, value_name = "TENANT")]
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

    /// Store events only; skip learning and detection.
    #[arg(long)]
    pub no_analyse: bool,

    #[command(flatten)]
    pub mail: MailArgs,

    #[command(flatten)]
    pub detection: DetectionArgs,

    #[command(flatten)]
    pub ip_data: IpDataArgs,
}

/// Settings for the mail files among the replayed paths.
#[derive(Debug, Args)]
pub struct MailArgs {
    /// A domain of the organisation. Mail from it is outbound, and look-alikes of it are flagged.
    /// Repeatable.
    #[arg(long = "protected-domain", value_name = "DOMAIN")]
    pub protected_domains: Vec<String>,

    /// A host whose Authentication-Results headers are trusted: a name (`mx.example.org`) or a wildcard
    /// (`*.prod.outlook.com`); `exchange-online` stands for Exchange Online's hosts. Results from other
    /// hosts are never evidence, and the sender's address is read only from Received headers that trusted
    /// hosts wrote. Repeatable.
    #[arg(long = "trusted-hop", value_name = "HOST", value_parser = parse_trusted_hop)]
    pub trusted_hops: Vec<String>,
}

/// Rejects a `--trusted-hop` that names no host: an empty name, or a bare `*` that would trust every host.
fn parse_trusted_hop(text: &str) -> Result<String, String> {
    let host = text.trim().trim_end_matches('.');
    if host.is_empty() || host == "*" || host == "*." {
        return Err(format!("{text:?} names no host; give a host name, a wildcard such as *.prod.outlook.com, or exchange-online"));
    }
    Ok(host.to_owned())
}

impl MailArgs {
    /// Returns the protected domains, trimmed and lower-cased.
    pub fn protected_domains(&self) -> Vec<String> {
        self.protected_domains.iter().map(|domain| domain.trim().to_ascii_lowercase()).filter(|domain| !domain.is_empty()).collect()
    }

    /// Returns the trusted hops, with `exchange-online` expanded.
    pub fn trusted_hops(&self) -> harrier_mail::verify::TrustedHops {
        harrier_mail::verify::TrustedHops::from_names(&self.trusted_hops)
    }
}

#[derive(Debug, Args)]
pub struct DetectionArgs {
    /// Detection settings (TOML): model thresholds and parameters, baselines, incident chaining.
    #[arg(long, env = "HARRIER_SETTINGS", value_name = "FILE")]
    pub settings: Option<PathBuf>,

    /// Response policy (TOML): the decision table, the mode of each action kind and the guards. The
    /// built-in policy observes every action and carries out none.
    #[arg(long, env = "HARRIER_RESPONSE_POLICY", value_name = "FILE")]
    pub response_policy: Option<PathBuf>,

    #[command(flatten)]
    pub webhook: ActionWebhookArgs,
}

#[derive(Debug, Args)]
pub struct ActionWebhookArgs {
    /// SOAR webhook URL (http or https): the action-log entries recorded since the last delivery to this
    /// URL are POSTed to it as signed JSON after each planning run or decision.
    #[arg(long = "webhook", env = "HARRIER_ACTIONS_WEBHOOK", value_name = "URL")]
    pub url: Option<String>,

    /// File holding the webhook's HMAC-SHA256 secret; required with --webhook.
    #[arg(long = "webhook-secret-file", env = "HARRIER_ACTIONS_WEBHOOK_SECRET_FILE", value_name = "FILE")]
    pub secret_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DataDirArgs {
    /// Directory holding harrier's state.
    #[arg(long, env = "HARRIER_DATA_DIR", default_value = "harrier-data", value_name = "DIR")]
    pub data_dir: PathBuf,
}

const ANALYSE_EXAMPLES: &str = "\
Examples:
  harrier analyse --data-dir /var/lib/harrier
  harrier analyse --settings detection.toml --response-policy response.toml
  harrier analyse --json                 the counts per model and the response plan as JSON

Each run continues from the last analysed event, so running it after every replay is cheap.";

const INCIDENTS_EXAMPLES: &str = "\
Examples:
  harrier incidents --data-dir /var/lib/harrier
  harrier incidents --json               every incident with its breaches, as one JSON array";

const REPORT_EXAMPLES: &str = "\
Examples:
  harrier report inc-3f2a9c1b7d4e > incident.md
  harrier report --data-dir /var/lib/harrier --response-policy response.toml inc-3f2a9c1b7d4e";

const MODELS_EXAMPLES: &str = "\
Examples:
  harrier models
  harrier models --json                  ids, techniques and parameters as one JSON array

Every parameter can be overridden in the settings file passed with --settings, for example:

  [models.\"saas.new_inbox_rule\"]
  min_score = 30
  params = { external_forward = 60 }";

#[derive(Debug, Args)]
pub struct AnalyseArgs {
    #[command(flatten)]
    pub data: DataDirArgs,

    #[command(flatten)]
    pub detection: DetectionArgs,

    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// Print the models as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct IncidentsArgs {
    #[command(flatten)]
    pub data: DataDirArgs,

    /// Print the incidents as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The incident id, as `harrier incidents` lists it.
    #[arg(value_name = "ID")]
    pub id: String,

    /// Response policy (TOML) for the planned actions section; the built-in policy otherwise.
    #[arg(long, env = "HARRIER_RESPONSE_POLICY", value_name = "FILE")]
    pub response_policy: Option<PathBuf>,

    #[command(flatten)]
    pub data: DataDirArgs,
}

const SIMULATE_EXAMPLES: &str = "\
Examples:
  harrier simulate --users 2000 --days 60 --seed 7 --out sim/
  harrier simulate --users 200 --days 30 --scenario takeover_chain --scenario benign_trip \\
      --out sim/
  harrier simulate --out sim/ --json                 the counts of records and files as JSON
  harrier eval saas sim/";

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Accounts in the simulated tenant (at least 20).
    #[arg(long, default_value_t = 200)]
    pub users: usize,

    /// Days to simulate.
    #[arg(long, default_value_t = 30)]
    pub days: u32,

    /// Random seed; the same settings always write the same files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// First day simulated (UTC), as YYYY-MM-DD.
    #[arg(long, default_value = "2026-01-05")]
    pub start: jiff::civil::Date,

    /// Scenario to inject; repeat to inject several, or the same one against several users. Without any,
    /// every scenario is injected once.
    #[arg(long = "scenario", value_name = "NAME")]
    pub scenarios: Vec<harrier_sim::ScenarioName>,

    /// Output directory for the logs, users.json and labels.json.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Print the counts of what was written as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum LearnCommand {
    /// Learn the words of reported phishing and of legitimate mail; `harrier scan --data-dir` then adds
    /// points to messages that read like the reported ones.
    #[command(after_help = crate::learn::LEARN_MAIL_EXAMPLES)]
    Mail(crate::learn::LearnMailArgs),
}

#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Replay labelled Microsoft 365 and Entra logs and score the incidents against the labels.
    #[command(after_help = EVAL_SAAS_EXAMPLES)]
    Saas(EvalSaasArgs),
    /// Analyse folders of known ham and phishing mail and report detection and false-positive rates.
    #[command(after_help = crate::scan::EVAL_EMAIL_EXAMPLES)]
    Email(crate::scan::EvalEmailArgs),
}

const EVAL_SAAS_EXAMPLES: &str = "\
Examples:
  harrier simulate --users 200 --days 30 --out sim/
  harrier eval saas sim/                             sim/labels.json is found beside the logs
  harrier eval saas --labels labels.json --settings detection.toml --json logs/";

#[derive(Debug, Args)]
pub struct EvalSaasArgs {
    /// Log files or folders; a folder written by `harrier simulate` carries its labels.json.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Ground-truth labels; defaults to labels.json in the first folder given.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,

    /// Keep the replayed state here instead of a temporary directory.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    #[command(flatten)]
    pub detection: DetectionArgs,

    /// Print the evaluation as JSON.
    #[arg(long)]
    pub json: bool,
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
    #[command(after_help = "\
Examples:
  harrier intel ip 45.62.170.237 2001:4860:4860::8888
  harrier intel ip --json 45.62.170.237              one JSON object per address, as JSON lines")]
    Ip(IntelIpArgs),
}

#[derive(Debug, Args)]
pub struct IntelIpArgs {
    /// Addresses to look up.
    #[arg(required = true, value_name = "IP")]
    pub addresses: Vec<std::net::IpAddr>,

    /// Print the results as JSON lines.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub ip_data: IpDataArgs,
}

/// Parses a `--tenant` value with the check that token and user scopes apply, so clap rejects a blank
/// tenant as an invalid argument.
pub fn parse_tenant(id: &str) -> Result<String, String> {
    harrier_serve::auth::check_tenant_id(id)?;
    Ok(id.to_owned())
}

/// Parses the `--tenant` of a command that stores or reads one tenant's data: a tenant id, where `*`
/// (every tenant, in token and user scopes) is no tenant, and surrounding spaces are taken off.
pub fn parse_one_tenant(id: &str) -> Result<String, String> {
    let id = id.trim();
    if id == "*" {
        return Err("\"*\" stands for every tenant in a scope; name one tenant here".to_owned());
    }
    parse_tenant(id)
}

fn parse_format(name: &str) -> Result<harrier_model::SourceFormat, String> {
    harrier_model::SourceFormat::from_name(name)
        .ok_or_else(|| format!("unknown format {name:?}; expected one of: {}", harrier_ingest::detect::format_names()))
}
