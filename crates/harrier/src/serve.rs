//! `harrier serve`, `config check`, `tokens` and `users`: the long-running service and its accounts.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use harrier_serve::auth::{Role, Scope};
use harrier_serve::db::ServeDb;
use harrier_serve::{Config, service};

use crate::cli::{DataDirArgs, EXIT_FAILURE};

pub const SERVE_EXAMPLES: &str = "\
Examples:
  harrier config check /etc/harrier/harrier.toml
  harrier tokens create --name soc-dashboard --role viewer --tenant contoso
  harrier serve --config /etc/harrier/harrier.toml

The process stops on SIGTERM or SIGINT after the poll, analysis or export in progress finishes.
examples/harrier.toml in the source tree lists every key.";

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The service configuration (TOML).
    #[arg(long, env = "HARRIER_CONFIG", value_name = "FILE")]
    pub config: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Parse and validate a configuration file, resolve its secrets, and print each error with its line
    /// and key. Exits with status 1 when the file is not valid.
    #[command(after_help = "\
Examples:
  harrier config check /etc/harrier/harrier.toml
  harrier config check --json harrier.toml           one JSON object, also when the file is invalid")]
    Check {
        #[arg(value_name = "FILE")]
        file: PathBuf,

        /// Print the result as JSON: `valid`, and the counts when valid or the `error` when not.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Create a token and print it once; only its SHA-256 is stored.
    #[command(after_help = "\
Examples:
  harrier tokens create --name soc-dashboard --role viewer --tenant contoso
  harrier tokens create --name soar --role analyst --tenant contoso --tenant fabrikam --json
  harrier tokens create --name admin-scripts --role admin --tenant '*'

Send the token as `Authorization: Bearer TOKEN`.")]
    Create(TokenCreateArgs),
    /// List tokens without their secrets.
    #[command(after_help = "\
Examples:
  harrier tokens list --data-dir /var/lib/harrier
  harrier tokens list --json                         every token as one JSON array")]
    List(TokenListArgs),
    /// Revoke a token by id.
    #[command(after_help = "\
Examples:
  harrier tokens revoke tok-5d8e2f1a9c3b             the id from `harrier tokens list`")]
    Revoke(TokenRevokeArgs),
}

#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// A name for the token, recorded in the audit log with each change it makes.
    #[arg(long, value_name = "NAME")]
    pub name: String,

    /// viewer (reads), analyst (also changes incidents and decides actions) or admin (also reads the
    /// audit log).
    #[arg(long, value_name = "ROLE")]
    pub role: String,

    /// A tenant the token may see; repeatable. `*` allows every tenant.
    #[arg(long = "tenant", value_parser = crate::cli::parse_tenant, value_name = "TENANT", required = true)]
    pub tenants: Vec<String>,

    /// Print the token as JSON.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub data: DataDirArgs,
}

#[derive(Debug, Args)]
pub struct TokenListArgs {
    /// Print the tokens as JSON.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub data: DataDirArgs,
}

#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    /// The token id, as `harrier tokens list` shows it.
    #[arg(value_name = "ID")]
    pub id: String,

    #[command(flatten)]
    pub data: DataDirArgs,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a local user, or set an existing user's password, role and tenants. The password is read from
    /// the first line of standard input; a new password ends the user's sessions.
    #[command(after_help = "\
Examples:
  harrier users add alice --role analyst --tenant contoso < alice-password.txt
  harrier users add bob --role admin --tenant '*' --data-dir /var/lib/harrier

Without redirection, type the password (at least 12 characters) and press Enter.")]
    Add(UserAddArgs),
    /// List the local users with their roles and tenants, never their passwords.
    #[command(after_help = "\
Examples:
  harrier users list --data-dir /var/lib/harrier
  harrier users list --json                          every user as one JSON array")]
    List(UserListArgs),
}

#[derive(Debug, Args)]
pub struct UserListArgs {
    /// Print the users as JSON.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub data: DataDirArgs,
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    #[arg(value_name = "NAME")]
    pub name: String,

    /// viewer, analyst or admin.
    #[arg(long, value_name = "ROLE")]
    pub role: String,

    /// A tenant the user may see; repeatable. `*` allows every tenant.
    #[arg(long = "tenant", value_parser = crate::cli::parse_tenant, value_name = "TENANT", required = true)]
    pub tenants: Vec<String>,

    #[command(flatten)]
    pub data: DataDirArgs,
}

pub fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let config = match Config::load(&args.config) {
        Ok(config) => config,
        Err(error) => {
            // Logging is not set up yet, since its format comes from the file.
            crate::init_logging(crate::cli::LogFormat::Text, None);
            return Err(error.into());
        }
    };
    let format = match config.log.format {
        harrier_serve::config::LogFormat::Text => crate::cli::LogFormat::Text,
        harrier_serve::config::LogFormat::Json => crate::cli::LogFormat::Json,
    };
    crate::init_logging(format, Some(config.log.level.as_deref().unwrap_or("info")));
    if !config.api.listen.ip().is_loopback() {
        tracing::warn!(listen = %config.api.listen, "the API listens beyond loopback; put a TLS-terminating proxy in front of it");
    }

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let shutdown = service::shutdown_on_signals()?;
        let app = Arc::new(service::App::new(&config)?);
        let sources = service::configured_sources(&config, &app)?;
        service::run(config, app, sources, shutdown, |bound| {
            // Scripts and tests read the bound addresses from this one line, since port 0 picks a free port.
            let mut line = format!("harrier serve: API on http://{}/", bound.api);
            if let Some(address) = bound.linklock {
                line.push_str(&format!(", link-lock on http://{address}/l/"));
            }
            if let Some(address) = bound.milter {
                line.push_str(&format!(", milter on {address}"));
            }
            println!("{line}");
        })
        .await
    })?;
    Ok(ExitCode::SUCCESS)
}

pub fn run_config(command: &ConfigCommand) -> anyhow::Result<ExitCode> {
    let ConfigCommand::Check { file, json } = command;
    match Config::load(file) {
        Ok(config) => {
            let spools = config.tenants.iter().filter(|t| t.spool.is_some()).count();
            if *json {
                let result = serde_json::json!({
                    "file": file,
                    "valid": true,
                    "tenants": config.tenants.len(),
                    "spools": spools,
                    "api": config.api.listen,
                });
                println!("{}", serde_json::to_string_pretty(&result)?);
            } else {
                println!(
                    "{} is valid: {} tenants ({spools} with a spool), API on {}.",
                    file.display(),
                    config.tenants.len(),
                    config.api.listen
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            if *json {
                let result = serde_json::json!({ "file": file, "valid": false, "error": error.to_string() });
                println!("{}", serde_json::to_string_pretty(&result)?);
            }
            eprintln!("error: {error}");
            Ok(ExitCode::from(EXIT_FAILURE))
        }
    }
}

/// Returns the name recorded in the audit log for changes made on the command line.
fn cli_actor() -> String {
    format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned()))
}

fn role(text: &str) -> anyhow::Result<Role> {
    Role::parse(text).with_context(|| format!("{text:?} is not a role; use viewer, analyst or admin"))
}

pub fn run_tokens(command: &TokensCommand) -> anyhow::Result<ExitCode> {
    match command {
        TokensCommand::Create(args) => {
            let scope = Scope::from_list(&args.tenants).map_err(anyhow::Error::msg)?;
            let mut db = ServeDb::open(&args.data.data_dir)?;
            let (info, secret) = db.create_token(&args.name, role(&args.role)?, &scope, &cli_actor(), jiff::Timestamp::now())?;
            if args.json {
                println!("{}", serde_json::json!({ "id": info.id, "token": secret, "role": info.role, "tenants": info.tenants }));
            } else {
                println!("Token {} ({}, {}, tenants {}):", info.id, info.name, info.role.as_str(), info.tenants.join(", "));
                println!("{secret}");
                println!("It is shown only now; store it in a secret manager.");
            }
        }
        TokensCommand::List(args) => {
            let db = ServeDb::open(&args.data.data_dir)?;
            let tokens = db.tokens()?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&tokens)?);
            } else {
                println!("{:<20} {:<20} {:<8} {:<20} {:<8} TENANTS", "ID", "NAME", "ROLE", "CREATED", "STATE");
                for token in &tokens {
                    println!(
                        "{:<20} {:<20} {:<8} {:<20} {:<8} {}",
                        token.id,
                        token.name,
                        token.role.as_str(),
                        token.created.strftime("%Y-%m-%d %H:%M:%S").to_string(),
                        if token.revoked.is_some() { "revoked" } else { "active" },
                        token.tenants.join(", ")
                    );
                }
            }
        }
        TokensCommand::Revoke(args) => {
            let mut db = ServeDb::open(&args.data.data_dir)?;
            db.revoke_token(&args.id, &cli_actor(), jiff::Timestamp::now())?;
            println!("Token {} revoked.", args.id);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_users(command: &UsersCommand) -> anyhow::Result<ExitCode> {
    let args = match command {
        UsersCommand::Add(args) => args,
        UsersCommand::List(args) => return list_users(args),
    };
    let scope = Scope::from_list(&args.tenants).map_err(anyhow::Error::msg)?;
    let role = role(&args.role)?;
    let mut password = String::new();
    std::io::stdin().lock().read_line(&mut password).context("cannot read the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']);
    let mut db = ServeDb::open(&args.data.data_dir)?;
    db.add_user(&args.name, password, role, &scope, &cli_actor(), jiff::Timestamp::now())?;
    println!("User {} set ({}, tenants {}).", args.name, role.as_str(), scope.to_list().join(", "));
    Ok(ExitCode::SUCCESS)
}

fn list_users(args: &UserListArgs) -> anyhow::Result<ExitCode> {
    let db = ServeDb::open(&args.data.data_dir)?;
    let users = db.users()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&users)?);
        return Ok(ExitCode::SUCCESS);
    }
    if users.is_empty() {
        println!("No users; `harrier users add` adds one.");
        return Ok(ExitCode::SUCCESS);
    }
    println!("{:<24} {:<8} {:<20} TENANTS", "NAME", "ROLE", "CREATED");
    for user in &users {
        println!(
            "{:<24} {:<8} {:<20} {}",
            user.name,
            user.role.as_str(),
            user.created.strftime("%Y-%m-%d %H:%M:%S").to_string(),
            user.tenants.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
