//! The SOAR feed: the action log's entries POSTed as signed JSON to a webhook.
//!
//! Each delivery sends the entries recorded since the last delivery to the same URL, oldest first, in
//! batches. The log keeps a checkpoint per URL that moves only after the receiver accepted a batch, so an
//! entry is delivered at least once: a failed delivery is repeated by the next run, and a receiver
//! deduplicates by `seq`. Each entry carries its chain hash, so a receiver can check it against
//! `harrier actions verify`. Signing, retries and the refusal to follow redirects come from
//! [`harrier_webhook`].

use std::collections::HashMap;

use serde::Serialize;

use crate::log::{ActionLog, Entry, LogError};
use crate::planner::PlannedAction;

/// Entries per webhook request.
const BATCH: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error(transparent)]
    Log(#[from] LogError),
    #[error("cannot deliver actions to the webhook {url}: {source}; they are sent again on the next delivery")]
    Deliver { url: String, source: harrier_webhook::WebhookError },
}

/// The JSON body of one webhook request.
#[derive(Debug, Serialize)]
pub struct FeedBatch<'a> {
    /// Always `harrier.actions`.
    pub kind: &'static str,
    pub entries: Vec<FeedEntry<'a>>,
}

/// One action-log entry with the action it belongs to.
#[derive(Debug, Serialize)]
pub struct FeedEntry<'a> {
    #[serde(flatten)]
    pub entry: &'a Entry,
    /// The planned action, as first recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<&'a PlannedAction>,
}

/// Delivers the entries recorded since the last delivery to this webhook and returns how many were sent.
pub async fn deliver_new(log: &mut ActionLog, webhook: &harrier_webhook::Webhook) -> Result<usize, FeedError> {
    let through = log.webhook_through(webhook.url())?;
    let entries: Vec<Entry> = log.entries()?.into_iter().filter(|e| e.seq > through).collect();
    if entries.is_empty() {
        return Ok(0);
    }
    let states = log.actions()?;
    let actions: HashMap<&str, &PlannedAction> = states.iter().map(|s| (s.action.id.as_str(), &s.action)).collect();

    for batch in entries.chunks(BATCH) {
        let body = FeedBatch {
            kind: "harrier.actions",
            entries: batch.iter().map(|entry| FeedEntry { entry, action: actions.get(entry.action_id.as_str()).copied() }).collect(),
        };
        let bytes = serde_json::to_vec(&body).expect("action-log entries serialise to JSON");
        webhook
            .post(bytes)
            .await
            .map_err(|source| FeedError::Deliver { url: webhook.url().to_owned(), source })?;
        let last = batch.last().expect("chunks are never empty").seq;
        log.set_webhook_through(webhook.url(), last)?;
    }
    tracing::info!(url = webhook.url(), entries = entries.len(), "action-log entries delivered to the webhook");
    Ok(entries.len())
}
