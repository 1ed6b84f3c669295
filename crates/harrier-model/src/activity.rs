//! The kinds of activity the detection models reason about, each with its fields in typed form.
//!
//! Sources describe the same activity in different shapes: an inbox rule arrives as `New-InboxRule`
//! parameters from the unified audit log, or as an `UpdateInboxRules` operation from Outlook, and a consent
//! grant as Entra `modifiedProperties` strings. The readers parse those shapes into the types below, so a
//! model checks whether a rule forwards outside the tenant instead of parsing parameter bags itself.

use serde::{Deserialize, Serialize};

/// The activity an event records, with the fields of its kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Activity {
    SignIn(SignIn),
    InboxRule(InboxRule),
    MailboxForwarding(MailboxForwarding),
    TransportRule(TransportRule),
    MailboxPermission(MailboxPermission),
    OauthConsent(OauthConsent),
    Application(ApplicationChange),
    RoleMembership(RoleMembership),
    UserChange(UserChange),
    MailSent(MailSent),
    MailItemsAccessed(MailItemsAccessed),
    File(FileActivity),
    SecurityAlert(SecurityAlert),
    /// A mail message read from a mail file.
    Email(crate::mail::EmailMessage),
    /// A locked link opened on harrier's link-lock endpoint, and whether the user continued.
    LinkClick(LinkClick),
    /// Any other operation. The event's common fields are filled and the source record is kept, so nothing is
    /// dropped.
    Other(Other),
}

impl Activity {
    /// Every kind name, in the order summaries list them.
    pub const KINDS: [&'static str; 16] = [
        "sign_in",
        "inbox_rule",
        "mailbox_forwarding",
        "transport_rule",
        "mailbox_permission",
        "oauth_consent",
        "application",
        "role_membership",
        "user_change",
        "mail_sent",
        "mail_items_accessed",
        "file",
        "security_alert",
        "email",
        "link_click",
        "other",
    ];

    /// Returns the stable name of this kind of activity.
    pub fn kind(&self) -> &'static str {
        match self {
            Activity::SignIn(_) => "sign_in",
            Activity::InboxRule(_) => "inbox_rule",
            Activity::MailboxForwarding(_) => "mailbox_forwarding",
            Activity::TransportRule(_) => "transport_rule",
            Activity::MailboxPermission(_) => "mailbox_permission",
            Activity::OauthConsent(_) => "oauth_consent",
            Activity::Application(_) => "application",
            Activity::RoleMembership(_) => "role_membership",
            Activity::UserChange(_) => "user_change",
            Activity::MailSent(_) => "mail_sent",
            Activity::MailItemsAccessed(_) => "mail_items_accessed",
            Activity::File(_) => "file",
            Activity::SecurityAlert(_) => "security_alert",
            Activity::Email(_) => "email",
            Activity::LinkClick(_) => "link_click",
            Activity::Other(_) => "other",
        }
    }
}

/// An application or resource named by id and display name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl AppRef {
    pub fn is_empty(&self) -> bool {
        self.id.is_none() && self.name.is_none()
    }
}

/// The sign-in log a sign-in came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInType {
    #[default]
    Interactive,
    NonInteractive,
    ServicePrincipal,
    ManagedIdentity,
}

/// The multi-factor result of a sign-in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MfaResult {
    /// Only a single factor was required.
    NotRequired,
    /// A second factor was completed in this sign-in.
    Satisfied,
    /// The MFA requirement was satisfied by a claim in the token (a previous sign-in, a trusted device).
    SatisfiedByClaim,
    /// MFA was required and failed, was denied or timed out.
    Failed,
    /// MFA was required and the sign-in stopped waiting for it (Entra error 50074, 50076).
    Interrupted,
    #[default]
    Unknown,
}

/// The place the source located the sign-in at (Entra's own geolocation, not harrier's).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GeoLocation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
}

/// The device a sign-in came from, as the source reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operating_system: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_compliant: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_managed: Option<bool>,
}

/// An Entra ID sign-in, successful or not.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SignIn {
    pub success: bool,
    /// The Entra error code (`0` on success; for example 50126 for a wrong password, 50074 for MFA required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// The application the user signed in to.
    #[serde(default, skip_serializing_if = "AppRef::is_empty")]
    pub application: AppRef,
    /// The resource the token was issued for (Microsoft Graph, Exchange Online, ...).
    #[serde(default, skip_serializing_if = "AppRef::is_empty")]
    pub resource: AppRef,
    /// The client app or protocol (`Browser`, `Mobile Apps and Desktop clients`, `IMAP4`, `Authenticated SMTP`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_app: Option<String>,
    /// True when the client app is a legacy authentication protocol that cannot do MFA.
    pub legacy_auth: bool,
    /// Authentication methods used in the sign-in's steps (`Password`, `Mobile app notification`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auth_methods: Vec<String>,
    /// `singleFactorAuthentication` or `multiFactorAuthentication`, as required by policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_requirement: Option<String>,
    pub mfa: MfaResult,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<GeoLocation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<Device>,
    /// Whether the user was present; `None` when the source leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interactive: Option<bool>,
    pub sign_in_type: SignInType,
    /// Entra's risk level during sign-in (`none`, `low`, `medium`, `high`), when reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_level: Option<String>,
    /// Conditional Access's overall result (`success`, `failure`, `notApplied`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditional_access: Option<String>,
    /// The sign-in's correlation id, which ties the steps of one sign-in attempt together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// Entra's `authenticationProtocol` (`deviceCode`, `ropc`, `oAuth2`, `saml20`, `none`, ...), as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_protocol: Option<String>,
    /// The unified audit log's `RequestType`: the token service endpoint that handled the sign-in
    /// (`OAuth2:Token`, `Login:login`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_type: Option<String>,
}

/// Whether a rule, permission or setting was created, changed or removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    #[default]
    Created,
    Modified,
    Removed,
    Enabled,
    Disabled,
}

/// An inbox rule's action on matching mail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", content = "value", rename_all = "snake_case")]
pub enum RuleAction {
    ForwardTo(Vec<String>),
    RedirectTo(Vec<String>),
    ForwardAsAttachmentTo(Vec<String>),
    /// Permanently delete.
    Delete,
    /// Move to Deleted Items.
    SoftDelete,
    MoveToFolder(String),
    CopyToFolder(String),
    MarkAsRead,
    MarkImportance(String),
    StopProcessing,
    /// A rule action the parser does not model, with its parameter name and value.
    Other(String),
}

/// The conditions an inbox rule matches on. Empty lists mean "no such condition".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleConditions {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub from: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sent_to: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subject_contains: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body_contains: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subject_or_body_contains: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub from_address_contains: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub header_contains: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_attachment: Option<bool>,
    /// Conditions the parser does not model, as `Name=Value`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other: Vec<String>,
}

impl RuleConditions {
    /// Returns every keyword the rule matches in subject, body, sender address or headers.
    pub fn keywords(&self) -> impl Iterator<Item = &str> {
        self.subject_contains
            .iter()
            .chain(&self.body_contains)
            .chain(&self.subject_or_body_contains)
            .chain(&self.from_address_contains)
            .chain(&self.header_contains)
            .map(String::as_str)
    }
}

/// An inbox rule created, changed or removed, by cmdlet or from a mail client.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxRule {
    pub change: Change,
    /// The mailbox the rule belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub conditions: RuleConditions,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<RuleAction>,
    /// True when the rule was written by a mail client (`UpdateInboxRules`) rather than a cmdlet.
    pub from_client: bool,
}

/// A mailbox forwarding setting (`Set-Mailbox -ForwardingSmtpAddress / -ForwardingAddress`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxForwarding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<String>,
    /// The SMTP address mail is forwarded to, without the `smtp:` prefix; `None` when forwarding was cleared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_to: Option<String>,
    /// Whether a copy stays in the mailbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliver_and_forward: Option<bool>,
    /// True when the command removed forwarding.
    pub cleared: bool,
}

/// An Exchange transport (mail flow) rule created, changed or removed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransportRule {
    pub change: Change,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blind_copy_to: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redirect_to: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub copy_to: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_audit_severity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_message: Option<bool>,
    /// Other parameters of the command, as `Name=Value`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other: Vec<String>,
}

/// A mailbox or folder permission granted or removed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxPermission {
    pub change: Change,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grantee: Option<String>,
    /// `FullAccess`, `SendAs`, `SendOnBehalf`, a folder role such as `Reviewer`, ...
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_rights: Vec<String>,
    /// The folder, for folder permissions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
}

/// Consent given to an application.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OauthConsent {
    #[serde(default, skip_serializing_if = "AppRef::is_empty")]
    pub app: AppRef,
    /// The consented service principal's object id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_principal_id: Option<String>,
    /// Delegated or application permissions, one scope each (`Mail.Read`, `offline_access`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// True when an administrator consented.
    pub admin_consent: bool,
    /// True when the consent covers every user of the tenant.
    pub on_behalf_of_all: bool,
}

/// The kind of change to an application or service principal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationAction {
    Added,
    #[default]
    Updated,
    Removed,
    CredentialsAdded,
    CredentialsRemoved,
    OwnerAdded,
    AppRoleAssigned,
    DelegatedPermissionGranted,
}

/// Whether the change targeted an application registration or a service principal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationObject {
    #[default]
    Application,
    ServicePrincipal,
}

/// A property an Entra audit record lists as changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModifiedProperty {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_value: Option<String>,
}

/// An application or service principal added or changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationChange {
    pub action: ApplicationAction,
    pub object: ApplicationObject,
    /// The target's directory object id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
    /// The application (client) id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// For credentials: the key type (`Password`, `AsymmetricX509Cert`) of each key added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credential_types: Vec<String>,
    /// For owners: the new owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// For app role assignments: the role value or id; for grants, the scopes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modified: Vec<ModifiedProperty>,
}

/// A directory role membership change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleMembership {
    pub change: Change,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// True for a Privileged Identity Management eligible assignment rather than an active one.
    pub eligible: bool,
}

/// The kind of change to a user account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserAction {
    Created,
    #[default]
    Updated,
    Deleted,
    Disabled,
    Enabled,
    PasswordReset,
    PasswordChanged,
    /// A strong authentication (MFA) setting or method changed, including MFA disabled.
    MfaChanged,
    /// A security-info method (authenticator app, phone, FIDO key) registered.
    SecurityInfoRegistered,
    SecurityInfoDeleted,
    DeviceRegistered,
}

/// A user account created, changed or removed, or its authentication methods changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserChange {
    pub action: UserAction,
    /// The user the change applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modified: Vec<ModifiedProperty>,
}

/// A message sent from a mailbox.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailSent {
    /// The number of recipients, where the source reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipients: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internet_message_id: Option<String>,
    /// `Send`, `SendAs` or `SendOnBehalf`.
    pub send_type: String,
    /// The mailbox sent from, when it differs from the actor (send-as, send-on-behalf).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<String>,
}

/// Mail items read from a mailbox (`MailItemsAccessed`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailItemsAccessed {
    /// The application that read the mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_app_id: Option<String>,
    /// Items accessed, where the record lists them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<u32>,
    /// True when Exchange stopped auditing individual items because more than 1,000 were read in 24 hours.
    pub throttled: bool,
    /// `Bind` (individual items) or `Sync` (a whole folder synchronised).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<String>,
}

/// The kind of file operation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileAction {
    #[default]
    Accessed,
    Downloaded,
    Uploaded,
    Modified,
    Deleted,
    /// Shared with a user or group, or a sharing link created or used.
    Shared,
}

/// A SharePoint or OneDrive file access, download or sharing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileActivity {
    pub action: FileAction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_url: Option<String>,
    /// The user or group the file was shared with, for sharing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_with: Option<String>,
    /// `Guest`, `Member`, `Anonymous`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharing_type: Option<String>,
}

/// An alert raised by a Microsoft security product, carried through as evidence.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityAlert {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
}

/// A recipient opening a link that harrier locked in a message: the warning page shown, or the
/// recipient continuing past it to the destination.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkClick {
    /// The id of the link-lock token: the hex SHA-256 of the token, shortened to 32 digits.
    pub token_id: String,
    /// The original destination the token locks.
    pub url: String,
    /// The `Message-ID` of the message the link was in.
    pub message_id: String,
    /// The recipient the locked link was written for.
    pub recipient: String,
    /// True when the recipient continued to the destination; false for a view of the warning page.
    pub continued: bool,
}

/// An operation with no specific model.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Other {
    /// The record type or table, as the source names it (`ExchangeItem`, `AuditLogs`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_type: Option<String>,
    /// The object the operation acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
}
