//! `harrier eval saas`: replay labelled logs and score detection against the labels.
//!
//! Labels come from `harrier simulate` (a `labels.json` beside the logs): each scenario names the attacked
//! user, whether it is an attack or a benign look-alike, and its steps with the record ids that make them
//! up. An attack counts as detected when the user has an incident whose breaches rest on the scenario's
//! records. A step counts as detected when a breach rests on one of its records. Incidents that match no
//! attack are false incidents, reported per 1,000 user-days. Without labels, the command reports what it
//! flagged.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use harrier_detect::{AnalysisDb, Breach, Incident, Severity};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::cli::EvalSaasArgs;

#[derive(Debug, Deserialize)]
struct Labels {
    users: usize,
    days: u32,
    scenarios: Vec<ScenarioLabel>,
}

#[derive(Debug, Deserialize)]
struct ScenarioLabel {
    id: String,
    scenario: String,
    kind: String,
    user: Option<String>,
    #[serde(default)]
    attacker_ips: Vec<String>,
    steps: Vec<StepLabel>,
}

#[derive(Debug, Deserialize)]
struct StepLabel {
    name: String,
    time: Option<String>,
    record_ids: Vec<String>,
}

/// The outcome for one labelled scenario.
#[derive(Debug, Serialize)]
struct ScenarioResult {
    id: String,
    scenario: String,
    kind: String,
    user: Option<String>,
    /// The incident that covers the scenario's records, if any.
    incident: Option<String>,
    severity: Option<Severity>,
    /// Incidents of the user that cover the scenario.
    incidents: usize,
    /// Kill-chain stages of the best covering incident.
    stages: Vec<&'static str>,
    steps_detected: Vec<String>,
    steps_missed: Vec<String>,
    /// Seconds from the first step to the first breach resting on the scenario's records.
    time_to_detect_seconds: Option<i64>,
    models: BTreeSet<String>,
    /// Every incident that covers the scenario; none of them is a false incident.
    #[serde(skip)]
    covering: Vec<String>,
}

#[derive(Debug, Serialize)]
struct EvalReport {
    scenarios: Vec<ScenarioResult>,
    attacks: usize,
    attacks_detected: usize,
    benign: usize,
    /// Benign look-alikes with an incident above low severity.
    benign_above_low: usize,
    user_days: u64,
    /// Incidents above low severity that match no attack scenario.
    false_incidents: usize,
    false_incidents_per_1000_user_days: f64,
    false_incidents_per_model: BTreeMap<String, usize>,
    incidents_by_severity: BTreeMap<String, usize>,
}

pub fn run(args: &EvalSaasArgs) -> anyhow::Result<ExitCode> {
    let data_dir = match &args.data_dir {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("harrier-eval-{}", std::process::id())),
    };
    let labels_path = args.labels.clone().or_else(|| find_labels(&args.paths));
    let progress = crate::progress::spinner(crate::progress::enabled(args.json), "Replaying and analysing the logs");
    let replayed = replay_into(&data_dir, args);
    progress.finish_and_clear();
    replayed?;

    let db = AnalysisDb::open(&data_dir).context("cannot open the analysis database")?;
    let incidents = db.incidents()?;
    let breaches = db.breaches()?;
    let report = match &labels_path {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            let labels: Labels = serde_json::from_str(&text).with_context(|| format!("{}: invalid labels", path.display()))?;
            Some(evaluate(&labels, &incidents, &breaches))
        }
        None => None,
    };

    if args.json {
        let json = serde_json::json!({ "labels": labels_path, "report": report, "incidents": incidents });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        match &report {
            Some(report) => print_report(report),
            None => print_unlabelled(&incidents, &breaches),
        }
    }
    if args.data_dir.is_none() {
        let _ = std::fs::remove_dir_all(&data_dir);
    }
    Ok(ExitCode::SUCCESS)
}

/// Returns `labels.json` from the first folder given, when it has one.
fn find_labels(paths: &[PathBuf]) -> Option<PathBuf> {
    paths.iter().map(|p| p.join("labels.json")).find(|p| p.is_file())
}

/// Replays the logs and analyses them with the same code as `harrier replay`.
fn replay_into(data_dir: &Path, args: &EvalSaasArgs) -> anyhow::Result<()> {
    let status = std::process::Command::new(std::env::current_exe()?)
        .arg("replay")
        .arg("--no-progress")
        .arg("--json")
        .arg("--data-dir")
        .arg(data_dir)
        .args(args.detection.settings.iter().flat_map(|s| [PathBuf::from("--settings"), s.clone()]))
        .args(log_paths(&args.paths))
        .stdout(std::process::Stdio::null())
        .status()
        .context("cannot run harrier replay")?;
    anyhow::ensure!(status.success(), "harrier replay failed with {status}");
    Ok(())
}

/// Replaces a folder written by `harrier simulate` with its log folders, leaving out its `labels.json` and
/// `users.json`, which are not logs.
fn log_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut logs = Vec::new();
    for path in paths {
        let simulated = [harrier_sim::MANAGEMENT_ACTIVITY_DIR, harrier_sim::GRAPH_SIGNINS_DIR].map(|dir| path.join(dir));
        if path.join("labels.json").is_file() && simulated.iter().all(|dir| dir.is_dir()) {
            logs.extend(simulated);
        } else {
            logs.push(path.clone());
        }
    }
    logs
}

/// Strips the namespace harrier puts before source record ids (`signin:`, `ma:`, `audit:`).
fn source_id(record_id: &str) -> &str {
    record_id.split_once(':').map_or(record_id, |(_, id)| id)
}

fn evaluate(labels: &Labels, incidents: &[Incident], breaches: &[Breach]) -> EvalReport {
    let breaches_by_id: BTreeMap<&str, &Breach> = breaches.iter().map(|b| (b.id.as_str(), b)).collect();
    let mut matched_incidents = BTreeSet::new();
    let mut scenarios = Vec::new();
    for label in &labels.scenarios {
        let result = evaluate_scenario(label, incidents, &breaches_by_id);
        if label.kind == "attack" {
            matched_incidents.extend(result.covering.iter().cloned());
        }
        scenarios.push(result);
    }

    let mut false_incidents_per_model = BTreeMap::new();
    let mut incidents_by_severity = BTreeMap::new();
    let mut false_incidents = 0;
    for incident in incidents {
        *incidents_by_severity.entry(incident.severity.as_str().to_owned()).or_default() += 1;
        if matched_incidents.contains(&incident.id) || incident.severity <= Severity::Low {
            continue;
        }
        false_incidents += 1;
        for model in &incident.models {
            *false_incidents_per_model.entry(model.clone()).or_default() += 1;
        }
    }
    let user_days = labels.users as u64 * u64::from(labels.days);
    let attacks: Vec<_> = scenarios.iter().filter(|s| s.kind == "attack").collect();
    let benign: Vec<_> = scenarios.iter().filter(|s| s.kind != "attack").collect();
    EvalReport {
        attacks: attacks.len(),
        attacks_detected: attacks.iter().filter(|s| s.incident.is_some()).count(),
        benign: benign.len(),
        benign_above_low: benign.iter().filter(|s| s.severity.is_some_and(|s| s > Severity::Low)).count(),
        user_days,
        false_incidents,
        false_incidents_per_1000_user_days: 1000.0 * false_incidents as f64 / user_days.max(1) as f64,
        false_incidents_per_model,
        incidents_by_severity,
        scenarios,
    }
}

fn evaluate_scenario(
    label: &ScenarioLabel,
    incidents: &[Incident],
    breaches: &BTreeMap<&str, &Breach>,
) -> ScenarioResult {
    let step_ids: Vec<BTreeSet<String>> =
        label.steps.iter().map(|s| s.record_ids.iter().map(|id| id.to_ascii_lowercase()).collect()).collect();
    let all_ids: BTreeSet<&String> = step_ids.iter().flatten().collect();
    let rests_on_scenario =
        |breach: &Breach| breach.events.iter().any(|e| all_ids.contains(&source_id(e).to_ascii_lowercase()));

    let attacker_ips: BTreeSet<std::net::IpAddr> = label.attacker_ips.iter().filter_map(|ip| ip.parse().ok()).collect();
    let covering: Vec<&Incident> = incidents
        .iter()
        .filter(|incident| {
            let same_user = incident.user.is_some() && incident.user == label.user.as_ref().map(|u| u.to_lowercase());
            let same_source = incident.user.is_none() && !incident.sources.is_disjoint(&attacker_ips);
            same_user || same_source
        })
        .filter(|incident| incident.breaches.iter().filter_map(|id| breaches.get(id.as_str())).any(|b| rests_on_scenario(b)))
        .collect();
    let best = covering.iter().max_by(|a, b| a.score.total_cmp(&b.score));
    let scenario_breaches: Vec<&Breach> = covering
        .iter()
        .flat_map(|incident| incident.breaches.iter().filter_map(|id| breaches.get(id.as_str()).copied()))
        .filter(|b| rests_on_scenario(b))
        .collect();

    let mut detected = Vec::new();
    let mut missed = Vec::new();
    for (step, ids) in label.steps.iter().zip(&step_ids) {
        let hit = scenario_breaches.iter().any(|b| b.events.iter().any(|e| ids.contains(&source_id(e).to_ascii_lowercase())));
        if hit { detected.push(step.name.clone()) } else { missed.push(step.name.clone()) }
    }
    let first_step = label.steps.iter().filter_map(|s| s.time.as_deref()?.parse::<Timestamp>().ok()).min();
    let first_breach = scenario_breaches.iter().map(|b| b.time).min();
    ScenarioResult {
        id: label.id.clone(),
        scenario: label.scenario.clone(),
        kind: label.kind.clone(),
        user: label.user.clone(),
        incident: best.map(|i| i.id.clone()),
        severity: best.map(|i| i.severity),
        incidents: covering.len(),
        stages: best.map(|i| i.stages.iter().map(|s| s.as_str()).collect()).unwrap_or_default(),
        steps_detected: detected,
        steps_missed: missed,
        time_to_detect_seconds: first_step.zip(first_breach).map(|(s, b)| b.as_second() - s.as_second()),
        models: scenario_breaches.iter().map(|b| b.model_id.clone()).collect(),
        covering: covering.iter().map(|i| i.id.clone()).collect(),
    }
}

fn print_report(report: &EvalReport) {
    println!(
        "{:<28} {:<7} {:<9} {:>3} {:>9}  {:<40} {:<30} STAGES",
        "SCENARIO", "KIND", "SEVERITY", "INC", "DETECT(s)", "STEPS DETECTED", "MISSED"
    );
    for s in &report.scenarios {
        println!(
            "{:<28} {:<7} {:<9} {:>3} {:>9}  {:<40} {:<30} {}",
            s.id,
            s.kind,
            s.severity.map_or("-", |v| v.as_str()),
            s.incidents,
            s.time_to_detect_seconds.map_or_else(|| "-".to_owned(), |t| t.to_string()),
            s.steps_detected.join(","),
            s.steps_missed.join(","),
            s.stages.join(",")
        );
    }
    println!(
        "\nAttacks detected: {} of {}. Benign look-alikes above low severity: {} of {}.",
        report.attacks_detected, report.attacks, report.benign_above_low, report.benign
    );
    println!(
        "False incidents above low severity: {} in {} user-days ({:.3} per 1,000 user-days).",
        report.false_incidents, report.user_days, report.false_incidents_per_1000_user_days
    );
    for (model, count) in &report.false_incidents_per_model {
        println!("  {model}: {count}");
    }
}

fn print_unlabelled(incidents: &[Incident], breaches: &[Breach]) {
    println!("No labels found: what harrier flagged.\n");
    let mut per_model: BTreeMap<&str, usize> = BTreeMap::new();
    for breach in breaches {
        *per_model.entry(breach.model_id.as_str()).or_default() += 1;
    }
    println!("{} breaches, {} incidents.", breaches.len(), incidents.len());
    for (model, count) in per_model {
        println!("  {model}: {count}");
    }
    for incident in incidents {
        println!(
            "  {} {} {} ({} breaches: {})",
            incident.id,
            incident.severity.as_str(),
            incident.user.as_deref().unwrap_or("-"),
            incident.breaches.len(),
            incident.models.iter().cloned().collect::<Vec<_>>().join(", ")
        );
    }
}
