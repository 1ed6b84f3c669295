//! `harrier actions`: the response actions the planner recorded, and the analyst's decisions on them.

use std::process::ExitCode;

use anyhow::Context;
use harrier_respond::ActionLog;

use crate::cli::{ActionIdArgs, ActionsListArgs, ActionsVerifyArgs};

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
    println!("{:<17} {:<9} {:<26} {:<17} TARGET", "ID", "STATUS", "ACTION", "INCIDENT");
    for state in &actions {
        println!(
            "{:<17} {:<9} {:<26} {:<17} {}",
            state.action.id,
            state.status.as_str(),
            state.action.kind.as_str(),
            state.action.incident,
            state.action.target
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A decision an analyst records on an action.
#[derive(Clone, Copy, Debug)]
pub enum Decide {
    Approve,
    Reject,
    Undo,
}

pub fn run_decision(args: &ActionIdArgs, decide: Decide) -> anyhow::Result<ExitCode> {
    let mut log = ActionLog::open(&args.data.data_dir).context("cannot open the action log")?;
    let now = jiff::Timestamp::now();
    let verb = match decide {
        Decide::Approve => {
            log.approve(&args.id, &args.by, now)?;
            "approved"
        }
        Decide::Reject => {
            log.reject(&args.id, &args.by, now)?;
            "rejected"
        }
        Decide::Undo => {
            log.undo(&args.id, &args.by, now)?;
            "undone"
        }
    };
    println!("Action {} {verb} by {}.", args.id, args.by);
    Ok(ExitCode::SUCCESS)
}

pub fn run_verify(args: &ActionsVerifyArgs) -> anyhow::Result<ExitCode> {
    let log = ActionLog::open(&args.data.data_dir).context("cannot open the action log")?;
    let entries = log.verify()?;
    println!("The action log's {entries} entries are intact: every hash matches its entry and the one before.");
    Ok(ExitCode::SUCCESS)
}
