//! The service's Prometheus metrics, served in the text exposition format at `/metrics`.

use prometheus::{Encoder, GaugeVec, IntCounterVec, Opts, Registry, TextEncoder};

use crate::source::PollReport;

pub struct Metrics {
    registry: Registry,
    pub events_stored: IntCounterVec,
    pub polls: IntCounterVec,
    pub source_lag: GaugeVec,
    pub errors: IntCounterVec,
    pub events_analysed: IntCounterVec,
    pub breaches: IntCounterVec,
    pub incidents_changed: IntCounterVec,
    pub late_events_analysed: IntCounterVec,
    pub actions_recorded: IntCounterVec,
    pub action_decisions: IntCounterVec,
    pub findings_exported: IntCounterVec,
    pub http_requests: IntCounterVec,
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let counter = IntCounterVec::new(Opts::new(name, help), labels).expect("metric definitions are valid");
            registry.register(Box::new(counter.clone())).expect("metric names are unique");
            counter
        };
        let events_stored = counter("harrier_events_stored_total", "Events stored by the sources.", &["tenant", "source"]);
        let polls = counter("harrier_polls_total", "Source polls, by outcome.", &["tenant", "source", "outcome"]);
        let errors = counter("harrier_errors_total", "Errors handled by the service, by kind.", &["kind"]);
        let events_analysed = counter("harrier_events_analysed_total", "Events run through the detection models.", &[]);
        let late_events_analysed = counter(
            "harrier_late_events_analysed_total",
            "Events analysed that were older than events analysed before them (records that arrived late).",
            &[],
        );
        let breaches = counter("harrier_breaches_total", "Model breaches raised, by model.", &["model"]);
        let incidents_changed = counter("harrier_incidents_changed_total", "Incidents opened or changed by analysis.", &[]);
        let actions_recorded = counter("harrier_actions_recorded_total", "Response actions newly planned.", &[]);
        let action_decisions =
            counter("harrier_action_decisions_total", "Analyst decisions on actions through the API.", &["decision"]);
        let findings_exported = counter("harrier_findings_exported_total", "Findings delivered, by exporter.", &["exporter"]);
        let http_requests = counter("harrier_http_requests_total", "API requests, by status class.", &["status"]);
        let source_lag = GaugeVec::new(
            Opts::new("harrier_source_lag_seconds", "Age of the newest event a source stream read in its latest poll."),
            &["tenant", "source", "stream"],
        )
        .expect("metric definitions are valid");
        registry.register(Box::new(source_lag.clone())).expect("metric names are unique");
        Metrics {
            registry,
            events_stored,
            polls,
            source_lag,
            errors,
            events_analysed,
            late_events_analysed,
            breaches,
            incidents_changed,
            actions_recorded,
            action_decisions,
            findings_exported,
            http_requests,
        }
    }

    /// Counts one poll's report.
    pub fn record_poll(&self, tenant: &str, source: &str, report: &PollReport) {
        self.polls.with_label_values(&[tenant, source, "ok"]).inc();
        self.events_stored.with_label_values(&[tenant, source]).inc_by(report.stored_total());
        for (stream, lag) in &report.lag {
            self.source_lag.with_label_values(&[tenant, source, stream]).set(lag.as_secs_f64());
        }
        for (kind, count) in &report.errors {
            self.errors.with_label_values(&[kind]).inc_by(*count);
        }
    }

    /// Renders every metric in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buffer).expect("encoding to memory succeeds");
        String::from_utf8(buffer).expect("the text format is UTF-8")
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}
