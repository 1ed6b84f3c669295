//! The settings of one tenant's collector, built by the caller.

use std::path::PathBuf;
use std::time::Duration;

use harrier_m365::{Credentials, RetryPolicy};
use harrier_model::TenantId;
use harrier_pipeline::MailOptions;

/// The Management Activity API's content types, each with its own subscription.
pub const CONTENT_TYPES: [&str; 5] =
    ["Audit.AzureActiveDirectory", "Audit.Exchange", "Audit.SharePoint", "Audit.General", "DLP.All"];

/// How far back the Management Activity API lists content: 7 days.
pub const MAX_BACKFILL: Duration = Duration::from_secs(7 * 24 * 3600);

/// The sources, endpoints and data directory of one tenant's collector. `Debug` leaves the client secret out.
#[derive(Clone, Debug)]
pub struct CollectorSettings {
    /// The tenant harrier stores the records under.
    pub tenant: TenantId,
    /// The Entra tenant (directory) id, the application's id and its secret.
    pub credentials: Credentials,
    /// The identity platform, [`harrier_m365::PUBLIC_AUTHORITY`] by default.
    pub authority: String,
    /// Microsoft Graph without a version, [`harrier_m365::PUBLIC_GRAPH`] by default.
    pub graph: String,
    /// The Office 365 Management APIs, [`harrier_m365::PUBLIC_MANAGEMENT`] by default.
    pub management: String,
    /// The Management Activity API content types to collect; empty turns the API off.
    pub content_types: Vec<String>,
    /// Interactive sign-ins from Graph v1.0 `auditLogs/signIns`.
    pub sign_ins: bool,
    /// Non-interactive user sign-ins, which only Graph beta's `signInEventTypes` filter returns.
    pub non_interactive_sign_ins: bool,
    /// Graph `auditLogs/directoryAudits`.
    pub directory_audits: bool,
    /// Mailboxes (user principal names or ids) whose inbox is read with Graph delta queries.
    pub mailboxes: Vec<String>,
    /// Settings for analysing the collected mail.
    pub mail: MailOptions,
    /// How far back the first poll of a source reads, at most [`MAX_BACKFILL`].
    pub backfill: Duration,
    /// How far before its checkpoint each poll reads a time-ordered source again, to catch records
    /// published late. Repeated records are stored once.
    pub overlap: Duration,
    /// The data directory of the event store (`harrier.sqlite`) and the checkpoints (`collect.sqlite`).
    pub data_dir: PathBuf,
    pub retry: RetryPolicy,
}

impl CollectorSettings {
    /// Returns settings for Microsoft's public cloud with every log source on and no mailbox.
    pub fn new(tenant: TenantId, credentials: Credentials, data_dir: PathBuf) -> CollectorSettings {
        CollectorSettings {
            tenant,
            credentials,
            authority: harrier_m365::PUBLIC_AUTHORITY.to_owned(),
            graph: harrier_m365::PUBLIC_GRAPH.to_owned(),
            management: harrier_m365::PUBLIC_MANAGEMENT.to_owned(),
            content_types: CONTENT_TYPES.iter().map(|name| name.to_string()).collect(),
            sign_ins: true,
            non_interactive_sign_ins: true,
            directory_audits: true,
            mailboxes: Vec::new(),
            mail: MailOptions::default(),
            backfill: MAX_BACKFILL,
            overlap: Duration::from_secs(15 * 60),
            data_dir,
            retry: RetryPolicy::default(),
        }
    }

    /// Checks the values a caller may have set wrongly.
    pub(crate) fn validate(&self) -> Result<(), SettingsError> {
        if self.backfill > MAX_BACKFILL {
            return Err(SettingsError::Invalid {
                field: "backfill",
                message: format!(
                    "{} hours is more than the 168 hours (7 days) the Management Activity API keeps",
                    self.backfill.as_secs() / 3600
                ),
            });
        }
        for name in &self.content_types {
            if !CONTENT_TYPES.contains(&name.as_str()) {
                return Err(SettingsError::Invalid {
                    field: "content_types",
                    message: format!("{name:?} is not one of {}", CONTENT_TYPES.join(", ")),
                });
            }
        }
        for (field, value) in [("authority", &self.authority), ("graph", &self.graph), ("management", &self.management)] {
            let parsed = url::Url::parse(value)
                .map_err(|error| SettingsError::Invalid { field, message: format!("{value:?} is not a URL: {error}") })?;
            if !matches!(parsed.scheme(), "https" | "http") {
                return Err(SettingsError::Invalid { field, message: format!("{value:?} is not an http or https URL") });
            }
        }
        let credentials = [
            ("credentials.tenant", &self.credentials.tenant),
            ("credentials.client_id", &self.credentials.client_id),
            ("credentials.client_secret", &self.credentials.client_secret),
        ];
        for (field, value) in credentials {
            if value.trim().is_empty() {
                return Err(SettingsError::Invalid { field, message: "is empty".to_owned() });
            }
        }
        if self.mailboxes.iter().any(|mailbox| mailbox.trim().is_empty() || mailbox.contains('/')) {
            return Err(SettingsError::Invalid { field: "mailboxes", message: "a mailbox is empty or contains '/'".to_owned() });
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("collector setting {field}: {message}")]
    Invalid { field: &'static str, message: String },
}
