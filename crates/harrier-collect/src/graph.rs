//! Graph audit logs: interactive and non-interactive sign-ins, and directory audits.
//!
//! Graph v1.0 `auditLogs/signIns` lists interactive sign-ins only. Non-interactive user sign-ins come from
//! the beta endpoint with `signInEventTypes/any(t: t eq 'nonInteractiveUser')` in the filter. Each poll
//! reads from the checkpoint less the overlap to now, in windows of at most 24 hours filtered on
//! `createdDateTime` (sign-ins) or `activityDateTime` (audits), follows `@odata.nextLink` and stores every
//! page as it arrives. The window's end becomes the checkpoint once its last page is stored. Records
//! published late within the overlap are read again next poll, and repeats are stored once.

use harrier_m365::GRAPH_SCOPE;
use harrier_model::SourceFormat;
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use crate::{CollectorSettings, Context, SourceError, SourceReport, lag, same_origin};

/// The maximum window of one query, so a long backfill is checkpointed day by day.
const MAX_WINDOW: SignedDuration = SignedDuration::from_hours(24);

/// The Graph audit logs a collector reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AuditLog {
    SignIns,
    NonInteractiveSignIns,
    DirectoryAudits,
}

impl AuditLog {
    pub(crate) fn enabled(settings: &CollectorSettings) -> Vec<AuditLog> {
        let mut logs = Vec::new();
        if settings.sign_ins {
            logs.push(AuditLog::SignIns);
        }
        if settings.non_interactive_sign_ins {
            logs.push(AuditLog::NonInteractiveSignIns);
        }
        if settings.directory_audits {
            logs.push(AuditLog::DirectoryAudits);
        }
        logs
    }

    pub(crate) fn source_name(self) -> &'static str {
        match self {
            AuditLog::SignIns => "graph:signIns",
            AuditLog::NonInteractiveSignIns => "graph:signIns:nonInteractive",
            AuditLog::DirectoryAudits => "graph:directoryAudits",
        }
    }

    fn format(self) -> SourceFormat {
        match self {
            AuditLog::SignIns | AuditLog::NonInteractiveSignIns => SourceFormat::GraphSignIn,
            AuditLog::DirectoryAudits => SourceFormat::GraphDirectoryAudit,
        }
    }

    /// Returns the first page's URL for the window `[start, end)`.
    fn url(self, graph: &str, start: Timestamp, end: Timestamp) -> String {
        let (path, field) = match self {
            AuditLog::SignIns => ("v1.0/auditLogs/signIns", "createdDateTime"),
            AuditLog::NonInteractiveSignIns => ("beta/auditLogs/signIns", "createdDateTime"),
            AuditLog::DirectoryAudits => ("v1.0/auditLogs/directoryAudits", "activityDateTime"),
        };
        let mut filter = format!("{field} ge {} and {field} lt {}", format_time(start), format_time(end));
        if self == AuditLog::NonInteractiveSignIns {
            filter.push_str(" and signInEventTypes/any(t: t eq 'nonInteractiveUser')");
        }
        let base = format!("{}/{path}", graph.trim_end_matches('/'));
        match url::Url::parse_with_params(&base, [("$filter", filter.as_str())]) {
            Ok(url) => url.to_string(),
            Err(_) => base,
        }
    }
}

fn format_time(time: Timestamp) -> String {
    time.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Polls one audit log.
pub(crate) async fn poll(context: &Context<'_>, log: AuditLog) -> SourceReport {
    let source = log.source_name();
    let mut report = SourceReport::default();
    if let Err(error) = read_windows(context, log, &mut report).await {
        context.fail(source, &mut report, &error);
    }
    report.lag = lag(context.checkpoints.time(source).ok().flatten());
    report
}

async fn read_windows(context: &Context<'_>, log: AuditLog, report: &mut SourceReport) -> Result<(), SourceError> {
    let source = log.source_name();
    let now = crate::whole_seconds(Timestamp::now());
    let earliest = now - SignedDuration::try_from(crate::MAX_BACKFILL).unwrap_or(SignedDuration::ZERO);
    let mut start = context.resume_time(source, now, earliest)?;
    while start < now {
        let end = (start + MAX_WINDOW).min(now);
        let mut url = log.url(&context.settings.graph, start, end);
        let mut page_number = 1;
        loop {
            let next = read_page(context, log, &url, page_number, report).await?;
            match next {
                Some(next) => url = next,
                None => break,
            }
            page_number += 1;
        }
        context.checkpoints.set_time(source, end)?;
        start = end;
    }
    Ok(())
}

/// Reads and stores one page and returns the next page's URL.
async fn read_page(context: &Context<'_>, log: AuditLog, url: &str, page_number: u32, report: &mut SourceReport) -> Result<Option<String>, SourceError> {
    let response = context.client.get(GRAPH_SCOPE, url).await?;
    let page: Value =
        response.json().map_err(|error| SourceError::Malformed(format!("page {page_number} of {url} is not valid JSON: {error}")))?;
    if !page["value"].is_array() {
        return Err(SourceError::Malformed(format!("page {page_number} of {url} has no value array")));
    }
    let next = match page["@odata.nextLink"].as_str() {
        Some(next) if !same_origin(next, &context.settings.graph) => {
            return Err(SourceError::Malformed(format!("page {page_number} of {url} has an @odata.nextLink outside Graph: {next}")));
        }
        next => next.map(str::to_owned),
    };
    let name = format!("{}:page {page_number}", log.source_name());
    let stored = context.store.store_buffer(response.body, name, log.format()).await?;
    report.read += stored.read;
    report.stored += stored.inserted;
    report.duplicates += stored.duplicates;
    report.skipped += stored.skipped;
    Ok(next)
}
