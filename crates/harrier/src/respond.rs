//! `harrier actions`: the response actions the planner recorded, and the analyst's decisions on them.

use std::process::ExitCode;

use anyhow::Context;
use harrier_respond::ActionLog;

use crate::cli::{ActionIdArgs, ActionWebhookArgs, ActionsListArgs, ActionsRunArgs, ActionsSendArgs, ActionsVerifyArgs, GraphArgs};
use harrier_respond::{ExecuteError, GraphClient, GraphConfig, Status};
use harrier_serve::actions::Decide;

pub fn run_list(args: &ActionsListArgs) -> anyhow::Result<ExitCode> {
    let log = ActionLog::open(&args.data.data_dir).context("cannot open the action log")?;
    let mut actions = log.actions()?;
    if let Some(status) = &args.status {
        actions.retain(|a| a.status.as_str() == status);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&actions)?);
        return Ok(ExitCode::SUCCESS);
    }
    if actions.is_empty() {
        println!("No actions.");
        return Ok(ExitCode::SUCCESS);
    }
    println!("{:<36} {:<9} {:<26} {:<17} TARGET", "ID", "STATUS", "ACTION", "INCIDENT");
    for state in &actions {
        println!(
            "{:<36} {:<9} {:<26} {:<17} {}",
            state.action.id,
            state.status.as_str(),
            state.action.kind.as_str(),
            state.action.incident,
            state.action.target
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Records an approve, reject or undo, with the same rules as the API.
pub fn run_decision(args: &ActionIdArgs, decide: Decide) -> anyhow::Result<ExitCode> {
    let graph = |_tenant: &str| graph_client(&args.graph).map_err(|e| format!("{e:#}"));
    let note = block_on(harrier_serve::actions::decide(&args.data.data_dir, &args.id, decide, &args.by, args.record_only, graph))?;
    if let Some(note) = note {
        println!("{note}");
    }
    println!("Action {} {} by {}.", args.id, decide.past_tense(), args.by);
    let tenant = ActionLog::open(&args.data.data_dir)?.action(&args.id)?.action.target.tenant;
    let audit = harrier_serve::db::Audit {
        actor: &format!("cli:{}", args.by),
        tenant: Some(&tenant),
        action: &format!("action.{}", decide.as_str()),
        target: &args.id,
        detail: serde_json::json!({ "record_only": args.record_only }),
    };
    harrier_serve::db::ServeDb::open(&args.data.data_dir)?.audit(audit, jiff::Timestamp::now())?;
    let mut log = ActionLog::open(&args.data.data_dir).context("cannot open the action log")?;
    notify_webhook(&mut log, &args.webhook);
    Ok(ExitCode::SUCCESS)
}

/// Builds the Graph client from the arguments; the secret comes from a file or HARRIER_GRAPH_CLIENT_SECRET.
fn graph_client(args: &GraphArgs) -> anyhow::Result<GraphClient> {
    let missing = |what: &str, flag: &str, env: &str| anyhow::anyhow!("give the {what} with {flag} or {env}");
    let tenant_id = args.graph_tenant.clone().ok_or_else(|| missing("tenant id", "--graph-tenant", "HARRIER_GRAPH_TENANT_ID"))?;
    let client_id =
        args.graph_client_id.clone().ok_or_else(|| missing("client id", "--graph-client-id", "HARRIER_GRAPH_CLIENT_ID"))?;
    let client_secret = match &args.graph_client_secret_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the client secret from {}", path.display()))?
            .trim()
            .to_owned(),
        None => std::env::var("HARRIER_GRAPH_CLIENT_SECRET")
            .map_err(|_| missing("client secret", "--graph-client-secret-file", "HARRIER_GRAPH_CLIENT_SECRET"))?,
    };
    let config = GraphConfig {
        tenant_id,
        client_id,
        client_secret,
        authority: args.graph_authority.clone(),
        graph: args.graph_endpoint.clone(),
    };
    Ok(GraphClient::new(config)?)
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime starts")
        .block_on(future)
}

/// The outcome of one action in `harrier actions run`, printed as a line or, with `--json`, as an object.
#[derive(Debug, serde::Serialize)]
struct RunOutcome {
    id: String,
    kind: String,
    target: String,
    /// done, partial, failed, manual or held.
    outcome: &'static str,
    /// The reason the action failed or was held; None when it was done.
    message: Option<String>,
}

impl RunOutcome {
    fn new(action: &harrier_respond::PlannedAction, outcome: &'static str, message: Option<String>) -> RunOutcome {
        RunOutcome { id: action.id.clone(), kind: action.kind.to_string(), target: action.target.to_string(), outcome, message }
    }

    fn print(&self) {
        match &self.message {
            None => println!("{:<7} {} {} on {}", self.outcome, self.id, self.kind, self.target),
            Some(message) => println!("{:<7} {} {}: {message}", self.outcome, self.id, self.kind),
        }
    }
}

/// Carries out every approved action and records each outcome.
pub fn run_execute(args: &ActionsRunArgs) -> anyhow::Result<ExitCode> {
    let mut log = ActionLog::open(&args.data.data_dir).context("cannot open the action log")?;
    let approved: Vec<_> = log.actions()?.into_iter().filter(|s| s.status == Status::Approved).collect();
    if approved.is_empty() {
        if args.json {
            println!("{}", serde_json::json!({ "outcomes": [], "done": 0, "failed": 0, "held": 0 }));
        } else {
            println!("No approved actions.");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let policy = crate::detect::response_policy(args.response_policy.as_deref())?;
    let client = graph_client(&args.graph)?;
    let (mut done, mut failed, mut held) = (0, 0, 0);
    let mut outcomes = Vec::new();
    for state in &approved {
        // The guards are checked again here: the kill switch or a protected account may have been set
        // after the plan.
        let autonomous = state.by == "harrier";
        let protected = state.action.kind == harrier_respond::ActionKind::DisableUser
            && state.action.target.user.as_deref().is_some_and(|u| policy.is_protected(u));
        if (autonomous && policy.guards.kill_switch) || protected {
            let why = if protected { "the user is a protected account" } else { "the kill switch is on" };
            outcomes.push(RunOutcome::new(&state.action, "held", Some(why.to_owned())));
            held += 1;
            continue;
        }
        log.begin_execution(&state.action.id, jiff::Timestamp::now())?;
        let outcome = block_on(harrier_respond::execute(&client, &state.action));
        let now = jiff::Timestamp::now();
        let result = match outcome {
            Ok(undo) => {
                log.record_outcome(&state.action.id, Ok(undo), now)?;
                done += 1;
                RunOutcome::new(&state.action, "done", None)
            }
            Err(ExecuteError::Partial { source, undo }) => {
                let message = ExecuteError::Partial { source, undo: serde_json::Value::Null }.to_string();
                log.record_partial(&state.action.id, message.clone(), undo, now)?;
                failed += 1;
                RunOutcome::new(&state.action, "partial", Some(message))
            }
            Err(error) => {
                log.record_outcome(&state.action.id, Err(error.to_string()), now)?;
                failed += 1;
                let kind = if matches!(error, ExecuteError::Unsupported(_) | ExecuteError::Manual { .. }) { "manual" } else { "failed" };
                RunOutcome::new(&state.action, kind, Some(error.to_string()))
            }
        };
        if !args.json {
            result.print();
        }
        outcomes.push(result);
    }
    if args.json {
        let json = serde_json::json!({ "outcomes": outcomes, "done": done, "failed": failed, "held": held });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        println!("{done} actions done, {failed} failed or left to be done by hand, {held} held by a guard.");
    }
    notify_webhook(&mut log, &args.webhook);
    Ok(if failed > 0 { ExitCode::from(crate::cli::EXIT_FAILURE) } else { ExitCode::SUCCESS })
}

pub fn run_verify(args: &ActionsVerifyArgs) -> anyhow::Result<ExitCode> {
    let log = ActionLog::open(&args.data.data_dir).context("cannot open the action log")?;
    let (entries, head) = match log.verify() {
        Ok(verified) => verified,
        Err(error @ (harrier_respond::LogError::Tampered { .. } | harrier_respond::LogError::Missing { .. })) if args.json => {
            println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "intact": false, "error": error.to_string() }))?);
            return Ok(ExitCode::from(crate::cli::EXIT_FAILURE));
        }
        Err(error) => return Err(error.into()),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "intact": true, "entries": entries, "head": head }))?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("The action log's {entries} entries are intact: every hash matches its entry and the one before.");
    println!("Head hash: {head}. Keep it with the count elsewhere to detect entries cut from the end.");
    Ok(ExitCode::SUCCESS)
}

pub fn run_send(args: &ActionsSendArgs) -> anyhow::Result<ExitCode> {
    let Some(webhook) = webhook(&args.webhook)? else {
        anyhow::bail!("give the webhook URL with --webhook or HARRIER_ACTIONS_WEBHOOK");
    };
    let mut log = ActionLog::open(&args.data.data_dir).context("cannot open the action log")?;
    let sent = block_on(harrier_respond::deliver_new(&mut log, &webhook))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "delivered": sent, "url": webhook.url() }))?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{sent} action-log entries delivered to {}.", webhook.url());
    Ok(ExitCode::SUCCESS)
}

/// Builds the SOAR webhook from the arguments, or returns None when no URL is given.
pub fn webhook(args: &ActionWebhookArgs) -> anyhow::Result<Option<harrier_webhook::Webhook>> {
    let Some(url) = &args.url else { return Ok(None) };
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        anyhow::bail!("the webhook URL {url:?} must start with http:// or https://");
    }
    let Some(path) = &args.secret_file else {
        anyhow::bail!("give the webhook's signing secret with --webhook-secret-file or HARRIER_ACTIONS_WEBHOOK_SECRET_FILE");
    };
    let secret = std::fs::read_to_string(path).with_context(|| format!("cannot read the webhook secret from {}", path.display()))?;
    let secret = secret.trim();
    if secret.is_empty() {
        anyhow::bail!("the webhook secret file {} is empty", path.display());
    }
    Ok(Some(harrier_webhook::Webhook::new(url, Some(secret.as_bytes()))?))
}

/// Delivers the action log's new entries to the webhook, if one is configured. A failure is reported and
/// not fatal: the decision is recorded, and the entries are sent again by the next delivery.
pub fn notify_webhook(log: &mut ActionLog, args: &ActionWebhookArgs) {
    let result = webhook(args).and_then(|webhook| match webhook {
        Some(webhook) => Ok(block_on(harrier_respond::deliver_new(log, &webhook))?),
        None => Ok(0),
    });
    if let Err(error) = result {
        tracing::error!(error = %format!("{error:#}"), "SOAR webhook delivery failed");
        eprintln!("warning: {error:#}");
    }
}
