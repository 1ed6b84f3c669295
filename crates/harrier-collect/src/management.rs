//! The Office 365 Management Activity API: one subscription and one checkpoint per content type.
//!
//! Each poll lists the content blobs that became available since the checkpoint, less the overlap, in
//! windows of at most 24 hours within the last 7 days, as the API requires. It follows `NextPageUri`,
//! downloads each blob not yet processed and stores its records. Blobs overlap and arrive out of order,
//! so processed content ids are kept for 8 days (the API lists a blob for 7), and records repeated across
//! blobs are stored once by the event store's record-id key. A window's end becomes the checkpoint only
//! when every blob of the window is stored, so a blob that failed is listed and fetched again next poll.

use std::collections::BTreeSet;

use harrier_m365::{M365Error, MANAGEMENT_SCOPE, Method};
use harrier_model::SourceFormat;
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use crate::{Context, SourceError, SourceReport, lag, same_origin};

/// A blob that fails this many polls in a row is given up, logged and counted, so that one broken blob
/// does not hold the content type's checkpoint back until the blob expires.
const MAX_BLOB_ATTEMPTS: u32 = 5;

/// The maximum window the content list accepts.
const MAX_WINDOW: SignedDuration = SignedDuration::from_hours(24);

/// How far inside the API's 7 days the earliest window starts, so a request sent a little later is still
/// within them.
const RETENTION_MARGIN: SignedDuration = SignedDuration::from_mins(10);

pub(crate) fn source_name(content_type: &str) -> String {
    format!("management:{content_type}")
}

/// One entry of the content list.
struct Content {
    id: String,
    uri: String,
}

/// Polls one content type.
pub(crate) async fn poll(context: &Context<'_>, content_type: &str, subscribed: &mut BTreeSet<String>) -> SourceReport {
    let source = source_name(content_type);
    let mut report = SourceReport::default();
    if !subscribed.contains(content_type) {
        match start_subscription(context, content_type).await {
            Ok(()) => {
                subscribed.insert(content_type.to_owned());
            }
            Err(error) => {
                context.fail(&source, &mut report, &error);
                return report;
            }
        }
    }
    if let Err(error) = read_windows(context, content_type, &source, &mut report).await {
        context.fail(&source, &mut report, &error);
        if let SourceError::Api(api) = &error
            && api.code() == Some("AF20022")
        {
            // No subscription (an administrator stopped it): start it again on the next poll.
            subscribed.remove(content_type);
        }
    }
    report.lag = lag(context.checkpoints.time(&source).ok().flatten());
    report
}

/// Starts the subscription; one that is already enabled (AF20024) is not an error.
async fn start_subscription(context: &Context<'_>, content_type: &str) -> Result<(), SourceError> {
    let url = format!(
        "{}/api/v1.0/{}/activity/feed/subscriptions/start?contentType={content_type}",
        context.settings.management.trim_end_matches('/'),
        context.settings.credentials.tenant
    );
    match context.client.send(Method::POST, MANAGEMENT_SCOPE, &url, None).await {
        Ok(_) => {
            tracing::info!(tenant = %context.settings.tenant, content_type, "subscription started");
            Ok(())
        }
        Err(error) if error.status() == Some(400) && error.code() == Some("AF20024") => {
            tracing::debug!(tenant = %context.settings.tenant, content_type, "subscription already enabled");
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}

/// Reads every window from the resume time to now, advancing the checkpoint after each complete one.
async fn read_windows(context: &Context<'_>, content_type: &str, source: &str, report: &mut SourceReport) -> Result<(), SourceError> {
    let now = crate::whole_seconds(Timestamp::now());
    let earliest = now - SignedDuration::from_hours(24 * 7) + RETENTION_MARGIN;
    let mut start = context.resume_time(source, now, earliest)?;
    while start < now {
        let end = (start + MAX_WINDOW).min(now);
        let listed = list_content(context, content_type, start, end).await?;
        let mut complete = true;
        for content in listed {
            if context.checkpoints.content_done(content_type, &content.id)? {
                continue;
            }
            match fetch_and_store(context, content_type, &content, report).await {
                Ok(()) => context.checkpoints.mark_content_done(content_type, &content.id)?,
                Err(error) => {
                    context.fail(source, report, &error);
                    let attempts = context.checkpoints.add_content_failure(content_type, &content.id)?;
                    if attempts >= MAX_BLOB_ATTEMPTS {
                        tracing::error!(
                            tenant = %context.settings.tenant,
                            content_type,
                            content_id = %content.id,
                            attempts,
                            "content blob given up after repeated failures; its records are not stored"
                        );
                        context.checkpoints.mark_content_done(content_type, &content.id)?;
                    } else {
                        complete = false;
                    }
                }
            }
        }
        if !complete {
            // The checkpoint stays before this window, so the failed blobs are listed again next poll.
            return Ok(());
        }
        context.checkpoints.set_time(source, end)?;
        start = end;
    }
    Ok(())
}

fn format_time(time: Timestamp) -> String {
    time.strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

/// Lists the content blobs created in `[start, end)`, following `NextPageUri`.
async fn list_content(context: &Context<'_>, content_type: &str, start: Timestamp, end: Timestamp) -> Result<Vec<Content>, SourceError> {
    let base = context.settings.management.trim_end_matches('/');
    let mut url = format!(
        "{base}/api/v1.0/{}/activity/feed/subscriptions/content?contentType={content_type}&startTime={}&endTime={}",
        context.settings.credentials.tenant,
        format_time(start),
        format_time(end)
    );
    let mut listed = Vec::new();
    loop {
        let response = context.client.get(MANAGEMENT_SCOPE, &url).await?;
        let page: Value = response
            .json()
            .map_err(|error| SourceError::Malformed(format!("content list {url} is not valid JSON: {error}")))?;
        let Value::Array(entries) = page else {
            return Err(SourceError::Malformed(format!("content list {url} is not a JSON array")));
        };
        for (index, entry) in entries.iter().enumerate() {
            let id = entry["contentId"].as_str();
            let uri = entry["contentUri"].as_str();
            let (Some(id), Some(uri)) = (id, uri) else {
                return Err(SourceError::Malformed(format!("content list {url} entry {index} has no contentId or contentUri")));
            };
            if !same_origin(uri, base) {
                return Err(SourceError::Malformed(format!("content list {url} entry {index} points outside {base}: {uri}")));
            }
            listed.push(Content { id: id.to_owned(), uri: uri.to_owned() });
        }
        match response.header("NextPageUri") {
            Some(next) if !same_origin(next, base) => {
                return Err(SourceError::Malformed(format!("content list {url} has a NextPageUri outside {base}: {next}")));
            }
            Some(next) => url = next.to_owned(),
            None => return Ok(listed),
        }
    }
}

/// Downloads one blob and stores its records.
async fn fetch_and_store(context: &Context<'_>, content_type: &str, content: &Content, report: &mut SourceReport) -> Result<(), SourceError> {
    let response = context.client.get(MANAGEMENT_SCOPE, &content.uri).await.map_err(|error: M365Error| SourceError::Api(error))?;
    let name = format!("management-activity:{content_type}/{}", content.id);
    let stored = context.store.store_buffer(response.body, name, SourceFormat::ManagementActivity).await?;
    report.read += stored.read;
    report.stored += stored.inserted;
    report.duplicates += stored.duplicates;
    report.skipped += stored.skipped;
    Ok(())
}
