//! The normalised event and the parts common to every kind of activity.

use std::net::IpAddr;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::activity::Activity;
use crate::ip::IpInfo;

/// The tenant an event belongs to: the Entra tenant id, the organisation name, or the name an operator
/// passed with `--tenant`.
///
/// Every record and every piece of learned state is keyed by tenant, because a tenant is the unit that is
/// partitioned across machines when the engine scales out.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TenantId(pub String);

impl TenantId {
    /// The tenant used when neither the operator nor the record names one.
    pub const DEFAULT: &'static str = "default";

    pub fn new(id: impl Into<String>) -> TenantId {
        TenantId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The schema a record was written in, independent of the container (JSON array, lines, CSV, gzip).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceFormat {
    /// Office 365 Management Activity API audit records (the unified audit log's `AuditData`), from content
    /// blobs, JSON lines, single objects or a Purview audit-search CSV's `AuditData` column.
    ManagementActivity,
    /// A Microsoft Sentinel / Log Analytics `OfficeActivity` row.
    SentinelOfficeActivity,
    /// A Microsoft Sentinel / Log Analytics `SigninLogs` row (also the non-interactive and service principal
    /// sign-in tables).
    SentinelSigninLogs,
    /// A Microsoft Sentinel / Log Analytics `AuditLogs` row.
    SentinelAuditLogs,
    /// A Microsoft Graph `signIn` object.
    GraphSignIn,
    /// A Microsoft Graph `directoryAudit` object.
    GraphDirectoryAudit,
    /// A Microsoft Graph security `alert` (v2) object.
    GraphSecurityAlert,
    /// An Azure Monitor diagnostic record of Entra ID sign-ins (`SignInLogs`, `NonInteractiveUserSignInLogs`,
    /// `ServicePrincipalSignInLogs`, `ManagedIdentitySignInLogs`).
    AzureMonitorSignIn,
    /// An Azure Monitor diagnostic record of Entra ID `AuditLogs`, or another Entra category kept as is.
    AzureMonitorAudit,
    /// A Microsoft 365 Defender advanced hunting row.
    DefenderHunting,
    /// A mail message from an `.eml` file, an mbox or a maildir. Mail has its own reader, so this format
    /// is not among [`SourceFormat::ALL`], the log schemas.
    Mail,
    /// An event harrier's link-lock endpoint wrote when a locked link was opened. No reader parses it.
    LinkLock,
}

impl SourceFormat {
    /// Every log schema the readers parse, in the order summaries list them. [`SourceFormat::Mail`] has its
    /// own reader and harrier writes [`SourceFormat::LinkLock`] events itself, so neither is among them.
    pub const ALL: [SourceFormat; 10] = [
        SourceFormat::ManagementActivity,
        SourceFormat::SentinelOfficeActivity,
        SourceFormat::SentinelSigninLogs,
        SourceFormat::SentinelAuditLogs,
        SourceFormat::GraphSignIn,
        SourceFormat::GraphDirectoryAudit,
        SourceFormat::GraphSecurityAlert,
        SourceFormat::AzureMonitorSignIn,
        SourceFormat::AzureMonitorAudit,
        SourceFormat::DefenderHunting,
    ];

    /// Returns the stable name used on the command line (`--format`), in summaries and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::ManagementActivity => "management_activity",
            SourceFormat::SentinelOfficeActivity => "sentinel_office_activity",
            SourceFormat::SentinelSigninLogs => "sentinel_signin_logs",
            SourceFormat::SentinelAuditLogs => "sentinel_audit_logs",
            SourceFormat::GraphSignIn => "graph_sign_in",
            SourceFormat::GraphDirectoryAudit => "graph_directory_audit",
            SourceFormat::GraphSecurityAlert => "graph_security_alert",
            SourceFormat::AzureMonitorSignIn => "azure_monitor_sign_in",
            SourceFormat::AzureMonitorAudit => "azure_monitor_audit",
            SourceFormat::DefenderHunting => "defender_hunting",
            SourceFormat::Mail => "mail",
            SourceFormat::LinkLock => "link_lock",
        }
    }

    /// Parses the name of a format the readers parse, as [`SourceFormat::as_str`] returns it.
    pub fn from_name(name: &str) -> Option<SourceFormat> {
        SourceFormat::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

impl std::fmt::Display for SourceFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the operation the record describes succeeded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    /// Partially succeeded, or interrupted (Entra's "interrupted" sign-ins that wait for MFA).
    Partial,
    #[default]
    Unknown,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Partial => "partial",
            Outcome::Unknown => "unknown",
        }
    }
}

/// The kind of principal that acted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    User,
    ServicePrincipal,
    ManagedIdentity,
    /// Microsoft's own service acting on the tenant (`NT AUTHORITY\SYSTEM`, `Microsoft Online Services`).
    System,
    #[default]
    Unknown,
}

/// The principal that performed the operation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The user principal name or other sign-in name, lower-cased so one user has one key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The directory object id of the user or service principal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The application id, when an application acted on its own behalf or on a user's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    pub kind: ActorKind,
}

/// The network client that made the request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    /// The client address with any port stripped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

/// One normalised activity record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub tenant: TenantId,
    /// The source's record id, prefixed by the id's namespace; content hash when the source has none.
    /// Records with the same tenant and id are the same record seen twice.
    pub record_id: String,
    /// When the activity happened (not when it was logged or exported), in UTC.
    pub time: Timestamp,
    pub format: SourceFormat,
    /// The source's own operation name, as written (`New-InboxRule`, `Consent to application`, `Sign-in
    /// activity`, ...).
    pub operation: String,
    /// The Microsoft 365 workload or Entra log category (`Exchange`, `AzureActiveDirectory`, `SignInLogs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
    pub outcome: Outcome,
    pub actor: Actor,
    pub client: Client,
    /// Offline IP intelligence for `client.ip`, filled by the enrichment stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_info: Option<IpInfo>,
    pub activity: Activity,
}

impl Event {
    /// Returns the stable name of the event's kind, as used in summaries and the store.
    pub fn kind(&self) -> &'static str {
        self.activity.kind()
    }
}

/// A normalised event together with the source record it came from.
///
/// The raw record is kept as JSON text: CSV rows become an object of their columns, so an analyst can always
/// read the source's own fields, including those the model does not map.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub event: Event,
    pub raw: String,
}
