//! `harrier analyse`, `incidents`, `report` and `models`: detection over the stored events.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use harrier_detect::report::{RelatedActivity, write_report};
use harrier_detect::{AnalysisDb, AnalysisSummary, Engine, Settings};
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

/// Runs the models over every stored event not yet analysed.
pub fn analyse(data_dir: &Path, engine: &Engine) -> anyhow::Result<AnalysisSummary> {
    let store = Store::open(data_dir).context("cannot open the store")?;
    let mut db = AnalysisDb::open(data_dir).context("cannot open the analysis database")?;
    Ok(harrier_detect::analyse(&store, &mut db, engine)?)
}

pub fn run_analyse(args: &AnalyseArgs) -> anyhow::Result<ExitCode> {
    let engine = engine(&args.detection)?;
    let summary = analyse(&args.data.data_dir, &engine)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_analysis(&summary);
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints the counts of an analysis run.
pub fn print_analysis(summary: &AnalysisSummary) {
    println!(
        "\nAnalysed {} events in {:.2} s: {} model breaches, {} incidents opened or changed.",
        summary.events, summary.elapsed_seconds, summary.breaches, summary.incidents_changed
    );
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
    println!("{:<17} {:<9} {:>5}  {:<20}  {:<20}  {:>8}  USER / STAGES", "ID", "SEVERITY", "SCORE", "FIRST", "LAST", "BREACHES");
    for incident in &incidents {
        let stages: Vec<&str> = incident.stages.iter().map(|s| s.as_str()).collect();
        println!(
            "{:<17} {:<9} {:>5.0}  {:<20}  {:<20}  {:>8}  {} / {}",
            incident.id,
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
    Ok(ExitCode::SUCCESS)
}

pub fn run_models(args: &ModelsArgs) -> anyhow::Result<ExitCode> {
    let models = harrier_detect::models::all();
    if args.json {
        let list: Vec<serde_json::Value> = models
            .iter()
            .map(|model| {
                let info = model.info();
                let params: Vec<serde_json::Value> = model
                    .params()
                    .iter()
                    .map(|p| serde_json::json!({ "name": p.name, "default": p.default, "description": p.description }))
                    .collect();
                serde_json::json!({
                    "id": info.id,
                    "name": info.name,
                    "version": info.version,
                    "description": info.description,
                    "technique": { "id": info.technique.id, "name": info.technique.name, "tactic": info.technique.tactic },
                    "stage": info.stage.as_str(),
                    "params": params,
                })
            })
            .collect();
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
