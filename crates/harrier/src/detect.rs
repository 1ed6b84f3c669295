//! `harrier analyse`, `incidents`, `report` and `models`: detection over the stored events.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use harrier_detect::report::{RelatedActivity, write_report};
use harrier_detect::{AnalysisDb, AnalysisSummary, Engine, Settings};
use harrier_respond::{ActionLog, PlanSummary, Policy};
use harrier_store::Store;

use crate::cli::{AnalyseArgs, DetectionArgs, IncidentsArgs, ModelsArgs, ReportArgs};

/// Builds the engine with the built-in models and the operator's settings, if any.
pub fn engine(args: &DetectionArgs) -> anyhow::Result<Engine> {
    let models = harrier_detect::models::all();
    let settings = match &args.settings {
        Some(path) => Settings::from_file(path, &models)?,
        None => Settings::default(),
    };
    Ok(Engine::new(models, settings))
}

/// Reads the operator's response policy, or the built-in one.
pub fn response_policy(path: Option<&Path>) -> anyhow::Result<Policy> {
    Ok(match path {
        Some(path) => Policy::from_file(path)?,
        None => Policy::builtin(),
    })
}

/// Runs the models over every stored event not yet analysed, then plans the response to every incident
/// opened or changed.
pub fn analyse(
    data_dir: &Path,
    engine: &Engine,
    policy: &Policy,
    webhook: &crate::cli::ActionWebhookArgs,
) -> anyhow::Result<(AnalysisSummary, PlanSummary)> {
    let store = Store::open(data_dir).context("cannot open the store")?;
    let mut db = AnalysisDb::open(data_dir).context("cannot open the analysis database")?;
    let analysis = harrier_detect::analyse(&store, &mut db, engine)?;
    let mut log = ActionLog::open(data_dir).context("cannot open the action log")?;
    let plans = harrier_respond::plan_new(&db, &mut log, policy, jiff::Timestamp::now())?;
    crate::respond::notify_webhook(&mut log, webhook);
    Ok((analysis, plans))
}

pub fn run_analyse(args: &AnalyseArgs) -> anyhow::Result<ExitCode> {
    let engine = engine(&args.detection)?;
    let policy = response_policy(args.detection.response_policy.as_deref())?;
    let progress = crate::progress::spinner(crate::progress::enabled(args.json), "Analysing stored events");
    let result = analyse(&args.data.data_dir, &engine, &policy, &args.detection.webhook);
    progress.finish_and_clear();
    let (summary, plans) = result?;
    if args.json {
        let mut json = serde_json::to_value(&summary)?;
        json["response"] = serde_json::to_value(&plans)?;
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        print_analysis(&summary);
        print_plans(&plans);
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints the counts of a planning run.
pub fn print_plans(plans: &PlanSummary) {
    if plans.incidents_planned == 0 {
        return;
    }
    println!(
        "\nResponse: {} incidents planned, {} new actions ({} observed, {} awaiting approval, {} approved, {} blocked); \
         `harrier actions list` shows them.",
        plans.incidents_planned,
        plans.actions_recorded,
        plans.observed,
        plans.awaiting_approval,
        plans.approved,
        plans.blocked
    );
}

/// Prints the counts of an analysis run.
pub fn print_analysis(summary: &AnalysisSummary) {
    println!(
        "\nAnalysed {} events in {:.2} s: {} model breaches, {} incidents opened or changed.",
        summary.events, summary.elapsed_seconds, summary.breaches, summary.incidents_changed
    );
    if summary.late_events > 0 {
        println!("{} of those events were older than events analysed by an earlier run.", summary.late_events);
    }
    if !summary.breaches_per_model.is_empty() {
        println!("\nBreaches per model:");
        let width = summary.breaches_per_model.keys().map(String::len).max().unwrap_or(0);
        for (model, count) in &summary.breaches_per_model {
            println!("  {model:<width$}  {count:>8}");
        }
    }
}

pub fn run_incidents(args: &IncidentsArgs) -> anyhow::Result<ExitCode> {
    let db = AnalysisDb::open(&args.data.data_dir).context("cannot open the analysis database")?;
    let incidents = db.incidents()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&incidents)?);
        return Ok(ExitCode::SUCCESS);
    }
    if incidents.is_empty() {
        println!("No incidents.");
        return Ok(ExitCode::SUCCESS);
    }
    // The tenant column is as wide as the longest tenant id, so that a provider's tenants line up.
    let tenant_width = incidents.iter().map(|incident| incident.tenant.as_str().len()).max().unwrap_or(0).max("TENANT".len());
    println!(
        "{:<17} {:<tenant_width$} {:<9} {:>5}  {:<20}  {:<20}  {:>8}  USER / STAGES",
        "ID", "TENANT", "SEVERITY", "SCORE", "FIRST", "LAST", "BREACHES"
    );
    for incident in &incidents {
        let stages: Vec<&str> = incident.stages.iter().map(|s| s.as_str()).collect();
        println!(
            "{:<17} {:<tenant_width$} {:<9} {:>5.0}  {:<20}  {:<20}  {:>8}  {} / {}",
            incident.id,
            incident.tenant.as_str(),
            incident.severity.as_str(),
            incident.score,
            incident.first.strftime("%Y-%m-%d %H:%M:%S").to_string(),
            incident.last.strftime("%Y-%m-%d %H:%M:%S").to_string(),
            incident.breaches.len(),
            incident.user.as_deref().unwrap_or("-"),
            stages.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_report(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let db = AnalysisDb::open(&args.data.data_dir).context("cannot open the analysis database")?;
    let Some(incident) = db.incident(&args.id)? else {
        anyhow::bail!("incident {} not found in {}; `harrier incidents` lists them", args.id, args.data.data_dir.display());
    };
    let breaches = db.breaches()?;
    let incidents = db.incidents()?;
    let related: Vec<RelatedActivity<'_>> = incidents
        .iter()
        .filter(|other| incident.related.contains(&other.id))
        .map(|other| RelatedActivity {
            incident: other,
            breaches: breaches.iter().filter(|b| other.breaches.contains(&b.id)).collect(),
        })
        .collect();
    print!("{}", write_report(&incident, &breaches, &related));
    let policy = response_policy(args.response_policy.as_deref())?;
    let plan = harrier_respond::plan(&incident, &breaches, &policy, harrier_respond::GuardState::default());
    print!("\n{}", harrier_respond::write_plan(&plan));
    Ok(ExitCode::SUCCESS)
}

pub fn run_models(args: &ModelsArgs) -> anyhow::Result<ExitCode> {
    let models = harrier_detect::models::all();
    if args.json {
        let list: Vec<serde_json::Value> = models.iter().map(|model| harrier_serve::api::model_json(model.as_ref())).collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(ExitCode::SUCCESS);
    }
    for model in &models {
        let info = model.info();
        println!("{} v{}: {}", info.id, info.version, info.name);
        println!("  {} {} ({}), stage {}", info.technique.id, info.technique.name, info.technique.tactic, info.stage.as_str());
        println!("  {}", info.description);
        for param in model.params() {
            println!("  - {} = {}: {}", param.name, param.default, param.description);
        }
        println!();
    }
    Ok(ExitCode::SUCCESS)
}
