//! `harrier milter`: the milter server Postfix calls for each message.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};
use harrier_milter::config::LinkLock;
use harrier_milter::{MilterConfig, OnError};

use crate::cli::DataDirArgs;

pub const MILTER_EXAMPLES: &str = "\
Examples:
  harrier milter --listen 127.0.0.1:8891 --response-policy response.toml \\
      --link-lock-key-file /etc/harrier/link-keys --link-lock-base https://harrier.example.org

Postfix's main.cf then needs these lines:
  smtpd_milters = inet:127.0.0.1:8891
  milter_default_action = tempfail";

/// The milter's reply when analysing a message fails or times out.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OnErrorArg {
    /// Deliver the message with an X-Harrier-Error header.
    Accept,
    /// Reply 4xx so the sending server retries.
    Tempfail,
}

#[derive(Debug, Args)]
pub struct MilterArgs {
    /// Address and port to listen on for the MTA's milter connections.
    #[arg(long, default_value = "127.0.0.1:8891", value_name = "ADDRESS:PORT")]
    pub listen: String,

    #[command(flatten)]
    pub data: DataDirArgs,

    /// Response policy (TOML) with the message rules and modes; the built-in one observes only.
    #[arg(long, value_name = "FILE")]
    pub response_policy: Option<PathBuf>,

    /// Link-lock signing keys: a TOML file of `[[key]]` tables with `id` and base64 `secret`, the signing key
    /// first (the same file `harrier linklock serve` reads).
    #[arg(long, value_name = "FILE", requires = "link_lock_base")]
    pub link_lock_key_file: Option<PathBuf>,

    /// Base URL of the link-lock endpoint; locked links become BASE/l/TOKEN.
    #[arg(long, value_name = "URL", requires = "link_lock_key_file")]
    pub link_lock_base: Option<String>,

    /// Days a locked link stays valid.
    #[arg(long, default_value_t = 30, value_name = "DAYS")]
    pub link_lock_days: i64,

    /// The reply when analysis fails or times out.
    #[arg(long, value_enum, default_value = "accept")]
    pub on_error: OnErrorArg,

    /// Most time from the end of a message to the milter's answer, in milliseconds.
    #[arg(long, default_value_t = 5000, value_name = "MS")]
    pub timeout: u64,

    /// Tenant recorded with each action and in link-lock tokens.
    #[arg(long, default_value = "default", value_parser = crate::cli::parse_one_tenant, value_name = "NAME")]
    pub tenant: String,

    /// A domain of the organisation or of a correspondent; look-alikes of it are flagged. Repeatable.
    #[arg(long = "protected-domain", value_name = "DOMAIN")]
    pub protected_domains: Vec<String>,

    /// Postfix configuration folder, recorded with each hold so `harrier actions undo` releases the
    /// message with `postsuper -c DIR -H`.
    #[arg(long, value_name = "DIR")]
    pub postfix_config_dir: Option<PathBuf>,
}

pub fn run(args: &MilterArgs) -> anyhow::Result<ExitCode> {
    let policy = crate::detect::response_policy(args.response_policy.as_deref())?;
    let link_lock = match (&args.link_lock_key_file, &args.link_lock_base) {
        (Some(file), Some(base)) => {
            if !(base.starts_with("https://") || base.starts_with("http://")) {
                anyhow::bail!("--link-lock-base {base:?} is not an http or https URL");
            }
            let keys = harrier_respond::linklock::LinkKeys::load(file)?;
            Some(LinkLock {
                keys,
                base: base.clone(),
                valid_days: args.link_lock_days,
            })
        }
        _ => None,
    };
    let config = MilterConfig {
        data_dir: args.data.data_dir.clone(),
        policy,
        analysis: harrier_mail::AnalysisOptions {
            reported: harrier_serve::learned::load_model(&args.data.data_dir, &args.tenant)?,
            ..crate::scan::options(&args.protected_domains)
        },
        link_lock,
        on_error: match args.on_error {
            OnErrorArg::Accept => OnError::Accept,
            OnErrorArg::Tempfail => OnError::Tempfail,
        },
        timeout: Duration::from_millis(args.timeout),
        tenant: args.tenant.clone(),
        postfix_config_dir: args.postfix_config_dir.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let (listener, address) = harrier_milter::bind(&args.listen).await?;
        // Tests and scripts wait for this line to learn the port.
        eprintln!("harrier milter listening on {address}");
        tracing::info!(%address, "milter started");
        harrier_milter::serve(listener, config).await
    })?;
    Ok(ExitCode::SUCCESS)
}
