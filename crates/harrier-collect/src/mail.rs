//! Mail in API mode: each mailbox's inbox through a Graph delta query.
//!
//! The first poll starts a delta round on `/users/{mailbox}/mailFolders/inbox/messages/delta`, filtered to
//! mail received within the backfill. Each page's new messages are fetched as MIME with
//! `/messages/{id}/$value` and stored as email events by the same analysis as mail files. The round's
//! `@odata.deltaLink` is saved once every page is stored, and the next poll starts from it. A poll that
//! fails midway starts again from the last saved link, and messages read twice are stored once, because
//! an email event's record id comes from its `Message-ID` (or its bytes).

use harrier_m365::GRAPH_SCOPE;
use jiff::Timestamp;
use serde_json::Value;

use crate::{Context, SourceError, SourceReport, same_origin};

pub(crate) fn source_name(mailbox: &str) -> String {
    format!("mail:{mailbox}")
}

/// Polls one mailbox.
pub(crate) async fn poll(context: &Context<'_>, mailbox: &str) -> SourceReport {
    let source = source_name(mailbox);
    let mut report = SourceReport::default();
    if let Err(error) = read_round(context, mailbox, &source, &mut report).await {
        context.fail(&source, &mut report, &error);
        if let SourceError::Api(api) = &error
            && api.status() == Some(410)
        {
            // Graph returns 410 Gone when a saved delta link's sync state has expired, and a new round
            // must start from the beginning. Repeated messages are stored once.
            tracing::warn!(tenant = %context.settings.tenant, mailbox, "delta link expired; the next poll starts a new round");
            if let Err(error) = context.checkpoints.clear(&source) {
                context.fail(&source, &mut report, &error.into());
            }
        }
    }
    // A delta round has no time position, so the lag is the time since the last completed round.
    report.lag = crate::lag(context.checkpoints.position(&source).ok().flatten().map(|(_, updated)| updated));
    report
}

fn first_link(context: &Context<'_>, mailbox: &str) -> String {
    let graph = context.settings.graph.trim_end_matches('/');
    let base = format!("{graph}/v1.0/users/{mailbox}/mailFolders/inbox/messages/delta");
    let backfill = jiff::SignedDuration::try_from(context.settings.backfill).unwrap_or(jiff::SignedDuration::ZERO);
    let since = (Timestamp::now() - backfill).strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    // Message delta queries accept only `receivedDateTime ge` (or `gt`) as a filter, per Microsoft's
    // "Get incremental changes to messages in a folder" page.
    // NOTE: with a filter, Graph returns at most 5,000 messages in the first round, so a backfill of a
    // busier inbox keeps only part of it.
    let filter = format!("receivedDateTime ge {since}");
    match url::Url::parse_with_params(&base, [("$select", "id"), ("$filter", filter.as_str())]) {
        Ok(url) => url.to_string(),
        Err(_) => base,
    }
}

async fn read_round(context: &Context<'_>, mailbox: &str, source: &str, report: &mut SourceReport) -> Result<(), SourceError> {
    let mut link = match context.checkpoints.position(source)? {
        Some((delta_link, _)) => delta_link,
        None => first_link(context, mailbox),
    };
    let graph = context.settings.graph.trim_end_matches('/');
    loop {
        let response = context.client.get(GRAPH_SCOPE, &link).await?;
        let page: Value = response.json().map_err(|error| SourceError::Malformed(format!("delta page {link} is not valid JSON: {error}")))?;
        let Some(items) = page["value"].as_array() else {
            return Err(SourceError::Malformed(format!("delta page {link} has no value array")));
        };

        let mut messages = Vec::new();
        for item in items {
            // Deleted or moved-out messages come as `@removed` entries and have nothing to store.
            if item.get("@removed").is_some() {
                continue;
            }
            let Some(id) = item["id"].as_str() else {
                return Err(SourceError::Malformed(format!("delta page {link} has a message without an id")));
            };
            let url = format!("{graph}/v1.0/users/{mailbox}/messages/{id}/$value");
            let mime = context.client.get(GRAPH_SCOPE, &url).await?;
            messages.push((format!("graph-mail:{mailbox}/{id}"), mime.body));
        }
        let stored = context.store.store_mail(messages, context.settings.mail.clone()).await?;
        report.read += stored.read;
        report.stored += stored.inserted;
        report.duplicates += stored.duplicates;
        report.skipped += stored.skipped;

        let next = page["@odata.nextLink"].as_str();
        let delta = page["@odata.deltaLink"].as_str();
        let following = next.or(delta).ok_or_else(|| SourceError::Malformed(format!("delta page {link} has neither @odata.nextLink nor @odata.deltaLink")))?;
        if !same_origin(following, graph) {
            return Err(SourceError::Malformed(format!("delta page {link} links outside Graph: {following}")));
        }
        if next.is_none() {
            context.checkpoints.set_position(source, following)?;
            return Ok(());
        }
        link = following.to_owned();
    }
}
