//! The service: every configured part in one tokio process.
//!
//! Each source runs in its own task and polls at its interval. A poll that stored events wakes the
//! analysis task, which runs the detection models over the events not yet analysed, plans the response to
//! the incidents they opened or changed, and runs the exporters. Analysis runs one at a time, so sources
//! of several tenants never analyse the same events twice.
//!
//! On SIGTERM or SIGINT every task stops taking new work: a poll or analysis in progress finishes, so its
//! checkpoints (the spool's moved files, the analysis cursor, the planner and exporter checkpoints) are
//! written before the process exits. Milter connections in progress are cut, and the MTA applies its
//! `milter_default_action` to their messages.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use harrier_detect::{AnalysisDb, Engine, Settings};
use harrier_enrich::IpIntel;
use harrier_export::{Destination, ExportOptions, Exporter, Layout};
use harrier_respond::{ActionLog, Policy};
use harrier_store::Store;
use serde::Serialize;
use tokio::sync::{Notify, watch};

use crate::config::{Config, OcsfFormat};
use crate::db::ServeDb;
use crate::metrics::Metrics;
use crate::source::{PollReport, Source};

/// The state shared by the poll loops, the analysis task and the API.
pub struct App {
    pub data_dir: PathBuf,
    pub db: Mutex<ServeDb>,
    pub metrics: Metrics,
    pub engine: Engine,
    pub policy: Policy,
    pub intel: Arc<IpIntel>,
    /// The Graph client settings per tenant, for undoing actions.
    pub graph: BTreeMap<String, harrier_respond::GraphConfig>,
    pub tenants: Vec<String>,
    pub exports: Vec<ExportTarget>,
    pub secure_cookies: bool,
    pub session_ttl: std::time::Duration,
    pub login_limiter: crate::auth::LoginLimiter,
    pub ready: AtomicBool,
    /// The latest report and error of each source, by tenant and source name.
    pub sources: Mutex<BTreeMap<(String, String), SourceStatus>>,
    /// The latest summary of each exporter.
    pub export_status: Mutex<BTreeMap<String, ExportStatus>>,
    analysis_wanted: Notify,
    /// Held while analysis runs, and by the API while it changes the action log.
    pub analysis_lock: tokio::sync::Mutex<()>,
}

/// Failed logins of one user name allowed within [`LOGIN_WINDOW`] before further attempts are rejected.
pub const LOGIN_FAILURES: usize = 5;
pub const LOGIN_WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// An exporter the analysis task runs after each analysis.
pub struct ExportTarget {
    pub name: String,
    pub destination: Destination,
    pub options: ExportOptions,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct SourceStatus {
    pub last_poll: Option<jiff::Timestamp>,
    pub last_report: Option<PollReport>,
    pub last_error: Option<String>,
    pub polls: u64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ExportStatus {
    pub last_run: Option<jiff::Timestamp>,
    pub last_summary: Option<harrier_export::ExportSummary>,
    pub last_error: Option<String>,
}

impl App {
    /// Builds the shared state from a loaded configuration: the engine with the detection settings, the
    /// response policy, the IP intelligence and the exporters.
    pub fn new(config: &Config) -> anyhow::Result<App> {
        let models = harrier_detect::models::all();
        let settings = match &config.detection.settings {
            Some(path) => Settings::from_file(path, &models)?,
            None => Settings::default(),
        };
        let policy = match &config.detection.response_policy {
            Some(path) => Policy::from_file(path)?,
            None => Policy::builtin(),
        };
        let intel = match &config.ip_data {
            Some(path) => IpIntel::from_file(path).with_context(|| format!("cannot load the IP intelligence snapshot {}", path.display()))?,
            None => IpIntel::embedded().context("cannot load the built-in IP intelligence snapshot")?,
        };
        let db = ServeDb::open(&config.data_dir)?;
        let graph = config
            .tenants
            .iter()
            .filter_map(|tenant| {
                let m365 = tenant.m365.as_ref()?;
                Some((
                    tenant.id.clone(),
                    harrier_respond::GraphConfig {
                        tenant_id: m365.tenant_id.clone(),
                        client_id: m365.client_id.clone(),
                        client_secret: m365.client_secret.as_ref()?.expose().to_owned(),
                        authority: m365.authority.clone(),
                        graph: format!("{}/v1.0", m365.graph.trim_end_matches('/')),
                    },
                ))
            })
            .collect();
        Ok(App {
            data_dir: config.data_dir.clone(),
            db: Mutex::new(db),
            metrics: Metrics::new(),
            engine: Engine::new(models, settings),
            policy,
            intel: Arc::new(intel),
            graph,
            tenants: config.tenants.iter().map(|t| t.id.clone()).collect(),
            exports: export_targets(config)?,
            secure_cookies: config.api.secure_cookies,
            session_ttl: config.api.session_ttl,
            login_limiter: crate::auth::LoginLimiter::new(LOGIN_FAILURES, LOGIN_WINDOW),
            ready: AtomicBool::new(false),
            sources: Mutex::new(BTreeMap::new()),
            export_status: Mutex::new(BTreeMap::new()),
            analysis_wanted: Notify::new(),
            analysis_lock: tokio::sync::Mutex::new(()),
        })
    }

    /// Locks the service database; a poisoned lock is taken over, since every change is one transaction.
    pub fn db(&self) -> std::sync::MutexGuard<'_, ServeDb> {
        self.db.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs analysis, response planning and the exporters once, now.
    pub async fn analyse(self: &Arc<App>) {
        let _guard = self.analysis_lock.lock().await;
        let app = self.clone();
        let outcome = tokio::task::spawn_blocking(move || app.analyse_blocking()).await;
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                self.metrics.errors.with_label_values(&["analysis"]).inc();
                tracing::error!(error = %format!("{error:#}"), "analysis failed; it runs again after the next poll");
            }
            Err(error) => {
                self.metrics.errors.with_label_values(&["analysis"]).inc();
                tracing::error!(%error, "the analysis task failed");
            }
        }
    }

    fn analyse_blocking(&self) -> anyhow::Result<()> {
        let store = Store::open(&self.data_dir).context("cannot open the store")?;
        let mut db = AnalysisDb::open(&self.data_dir).context("cannot open the analysis database")?;
        let summary = harrier_detect::analyse(&store, &mut db, &self.engine)?;
        self.metrics.events_analysed.with_label_values(&[] as &[&str]).inc_by(summary.events);
        self.metrics.late_events_analysed.with_label_values(&[] as &[&str]).inc_by(summary.late_events);
        for (model, count) in &summary.breaches_per_model {
            self.metrics.breaches.with_label_values(&[model]).inc_by(*count);
        }
        self.metrics.incidents_changed.with_label_values(&[] as &[&str]).inc_by(summary.incidents_changed);

        let mut log = ActionLog::open(&self.data_dir).context("cannot open the action log")?;
        let plans = harrier_respond::plan_new(&db, &mut log, &self.policy, jiff::Timestamp::now())?;
        self.metrics.actions_recorded.with_label_values(&[] as &[&str]).inc_by(plans.actions_recorded);
        if summary.events > 0 {
            tracing::info!(
                events = summary.events,
                late_events = summary.late_events,
                breaches = summary.breaches,
                incidents_changed = summary.incidents_changed,
                actions_recorded = plans.actions_recorded,
                "analysis done"
            );
        }

        for target in &self.exports {
            let result = Exporter::new(&self.data_dir, target.destination.clone(), target.options.clone(), Some(&self.intel))
                .and_then(|mut exporter| exporter.run(&db));
            let mut status = self.export_status.lock().unwrap_or_else(|p| p.into_inner());
            let entry = status.entry(target.name.clone()).or_default();
            entry.last_run = Some(jiff::Timestamp::now());
            match result {
                Ok(summary) => {
                    self.metrics.findings_exported.with_label_values(&[&target.name]).inc_by(summary.findings);
                    entry.last_summary = Some(summary);
                    entry.last_error = None;
                }
                Err(error) => {
                    // The exporter keeps its checkpoint and staged files, so the next run retries.
                    self.metrics.errors.with_label_values(&["export"]).inc();
                    tracing::error!(exporter = %target.name, %error, "export failed; it is retried after the next analysis");
                    entry.last_error = Some(error.to_string());
                }
            }
        }
        Ok(())
    }
}

fn export_targets(config: &Config) -> anyhow::Result<Vec<ExportTarget>> {
    let layout = Layout::new("harrier", "local", "local")?;
    let mut targets = Vec::new();
    if let Some(dir) = &config.export.ocsf_dir {
        let format = match config.export.ocsf_format {
            OcsfFormat::Jsonl => harrier_export::Format::Jsonl,
            OcsfFormat::Parquet => harrier_export::Format::Parquet,
        };
        targets.push(ExportTarget {
            name: "ocsf_dir".to_owned(),
            destination: Destination::Dir(dir.clone()),
            options: ExportOptions::new(format, layout.clone()),
        });
    }
    if let Some(url) = &config.export.webhook_url {
        let mut options = ExportOptions::new(harrier_export::Format::Jsonl, layout);
        options.webhook_secret = config.export.webhook_secret.as_ref().map(|s| s.expose().to_owned());
        targets.push(ExportTarget { name: "webhook".to_owned(), destination: Destination::parse(url)?, options });
    }
    Ok(targets)
}

/// Builds the sources the configuration names: a spool source for each tenant with `[tenant.spool]` and a
/// Microsoft 365 collector for each with `[tenant.collect]`.
pub fn configured_sources(config: &Config, app: &App) -> anyhow::Result<Vec<(String, Box<dyn Source>)>> {
    let mut sources: Vec<(String, Box<dyn Source>)> = Vec::new();
    for tenant in &config.tenants {
        if let Some(spool) = &tenant.spool {
            let source = crate::spool::SpoolSource::new(&tenant.id, spool, &config.data_dir, app.intel.clone())?;
            sources.push((tenant.id.clone(), Box::new(source)));
        }
        if let Some(collector) = crate::collector::CollectorSource::from_config(tenant, &config.data_dir, app.intel.clone())? {
            sources.push((tenant.id.clone(), Box::new(collector)));
        }
    }
    Ok(sources)
}

/// The addresses the service listens on, once bound.
#[derive(Clone, Debug)]
pub struct Bound {
    pub api: SocketAddr,
    pub linklock: Option<SocketAddr>,
    pub milter: Option<SocketAddr>,
}

/// Runs the service until `shutdown` turns true. `bound` is called once every listener is bound.
pub async fn run(
    config: Config,
    app: Arc<App>,
    sources: Vec<(String, Box<dyn Source>)>,
    mut shutdown: watch::Receiver<bool>,
    bound: impl FnOnce(&Bound),
) -> anyhow::Result<()> {
    let api_listener =
        tokio::net::TcpListener::bind(config.api.listen).await.with_context(|| format!("cannot listen on {} for the API", config.api.listen))?;
    let mut addresses = Bound { api: api_listener.local_addr()?, linklock: None, milter: None };
    let mut tasks = tokio::task::JoinSet::new();

    let router = crate::api::router(app.clone());
    let mut stop = shutdown.clone();
    tasks.spawn(async move {
        let served = axum::serve(api_listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|stop| *stop).await;
            })
            .await;
        served.context("the API server failed")
    });

    if let Some(linklock) = &config.linklock {
        let keys = harrier_respond::linklock::LinkKeys::load(&linklock.key_file)?;
        let server = harrier_respond::linkserver::LinkServer::open(keys, &config.data_dir)
            .with_context(|| format!("cannot open the link-lock state in {}", config.data_dir.display()))?
            .with_trusted_proxies(linklock.trusted_proxies.clone());
        let listener = tokio::net::TcpListener::bind(linklock.listen)
            .await
            .with_context(|| format!("cannot listen on {} for the link-lock endpoint", linklock.listen))?;
        addresses.linklock = Some(listener.local_addr()?);
        let mut stop = shutdown.clone();
        tasks.spawn(async move {
            let stopped = async move {
                let _ = stop.wait_for(|stop| *stop).await;
            };
            harrier_respond::linkserver::serve(listener, Arc::new(server), stopped).await.context("the link-lock endpoint failed")
        });
    }

    if let Some(milter) = &config.milter {
        let milter_config = milter_config(&config, milter, &app)?;
        let (listener, address) = harrier_milter::bind(&milter.listen).await?;
        addresses.milter = Some(address);
        let mut stop = shutdown.clone();
        tasks.spawn(async move {
            tokio::select! {
                served = harrier_milter::serve(listener, milter_config) => served.context("the milter failed"),
                _ = stop.wait_for(|stop| *stop) => Ok(()),
            }
        });
    }

    for (tenant, source) in sources {
        tasks.spawn(poll_loop(app.clone(), tenant, source, shutdown.clone()));
    }

    let analysis_app = app.clone();
    let mut stop = shutdown.clone();
    tasks.spawn(async move {
        // Catch up with events stored while the service was stopped before declaring readiness.
        analysis_app.analyse().await;
        analysis_app.ready.store(true, Ordering::SeqCst);
        loop {
            let stopping = tokio::select! {
                _ = analysis_app.analysis_wanted.notified() => false,
                _ = stop.wait_for(|stop| *stop) => true,
            };
            if stopping {
                break;
            }
            analysis_app.analyse().await;
        }
        Ok(())
    });

    tracing::info!(api = %addresses.api, linklock = ?addresses.linklock, milter = ?addresses.milter, "harrier serve started");
    bound(&addresses);

    let mut failure = None;
    loop {
        tokio::select! {
            finished = tasks.join_next() => match finished {
                None => break,
                Some(Ok(Ok(()))) => {}
                Some(Ok(Err(error))) => {
                    tracing::error!(error = %format!("{error:#}"), "a service task failed; stopping");
                    failure.get_or_insert(error);
                    break;
                }
                Some(Err(error)) => {
                    tracing::error!(%error, "a service task panicked; stopping");
                    failure.get_or_insert(anyhow::anyhow!("a service task panicked: {error}"));
                    break;
                }
            },
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
    }
    tracing::info!("stopping: waiting for polls and analysis in progress");
    // Tasks that failed above never saw the flag; the remaining ones finish their current work.
    while let Some(finished) = tasks.join_next().await {
        if let Ok(Err(error)) = finished {
            tracing::error!(error = %format!("{error:#}"), "a service task failed while stopping");
        }
    }
    tracing::info!("harrier serve stopped");
    match failure {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// Polls one source at its interval until shutdown, and wakes the analysis task after each poll that
/// stored events.
async fn poll_loop(app: Arc<App>, tenant: String, mut source: Box<dyn Source>, mut shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
    let name = source.name().to_owned();
    tracing::info!(%tenant, source = %name, interval_seconds = source.interval().as_secs_f64(), "source started");
    loop {
        if *shutdown.borrow() {
            break;
        }
        let outcome = source.poll().await;
        let now = jiff::Timestamp::now();
        let mut stored = 0;
        {
            let mut statuses = app.sources.lock().unwrap_or_else(|p| p.into_inner());
            let status = statuses.entry((tenant.clone(), name.clone())).or_default();
            status.last_poll = Some(now);
            status.polls += 1;
            match outcome {
                Ok(report) => {
                    app.metrics.record_poll(&tenant, &name, &report);
                    stored = report.stored_total();
                    if stored > 0 {
                        tracing::info!(%tenant, source = %name, stored, "events stored");
                    }
                    status.last_report = Some(report);
                    status.last_error = None;
                }
                Err(error) => {
                    app.metrics.polls.with_label_values(&[&tenant, &name, "error"]).inc();
                    app.metrics.errors.with_label_values(&[error.kind]).inc();
                    tracing::error!(%tenant, source = %name, kind = error.kind, %error, "poll failed; retrying at the next interval");
                    status.last_error = Some(error.to_string());
                }
            }
        }
        if stored > 0 {
            app.analysis_wanted.notify_one();
        }
        tokio::select! {
            _ = tokio::time::sleep(source.interval()) => {}
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
    }
    tracing::info!(%tenant, source = %name, "source stopped");
    Ok(())
}

fn milter_config(config: &Config, milter: &crate::config::MilterSection, app: &App) -> anyhow::Result<harrier_milter::MilterConfig> {
    let link_lock = match (&milter.link_lock_base, &config.linklock) {
        (Some(base), Some(linklock)) => Some(harrier_milter::config::LinkLock {
            keys: harrier_respond::linklock::LinkKeys::load(&linklock.key_file)?,
            base: base.clone(),
            valid_days: milter.link_lock_days,
        }),
        _ => None,
    };
    Ok(harrier_milter::MilterConfig {
        data_dir: config.data_dir.clone(),
        policy: app.policy.clone(),
        analysis: harrier_mail::AnalysisOptions {
            protected_domains: milter.protected_domains.iter().map(|d| d.trim().to_ascii_lowercase()).collect(),
            payment_memory: None,
            ..harrier_mail::AnalysisOptions::default()
        },
        link_lock,
        on_error: match milter.on_error {
            crate::config::OnErrorConfig::Accept => harrier_milter::OnError::Accept,
            crate::config::OnErrorConfig::Tempfail => harrier_milter::OnError::Tempfail,
        },
        timeout: milter.timeout,
        tenant: milter.tenant.clone(),
        postfix_config_dir: milter.postfix_config_dir.clone(),
    })
}

/// Returns a watch channel that turns true on SIGTERM or SIGINT.
pub fn shutdown_on_signals() -> anyhow::Result<watch::Receiver<bool>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    let (sender, receiver) = watch::channel(false);
    tokio::spawn(async move {
        let name = tokio::select! {
            _ = terminate.recv() => "SIGTERM",
            _ = interrupt.recv() => "SIGINT",
        };
        tracing::info!(signal = name, "shutdown requested");
        let _ = sender.send(true);
        // Keeps the sender alive so receivers see the flag and not a closed channel.
        std::future::pending::<()>().await;
    });
    Ok(receiver)
}
