//! Exchange Online operations of the unified audit log.
//!
//! Admin operations (`ExchangeAdmin` records) are PowerShell cmdlets whose arguments arrive in the
//! `Parameters` name/value bag. Mailbox-audit operations (`ExchangeItem`, `MailItemsAccessed`) describe
//! the item or folders acted on in `Item`, `Folders` and `OperationProperties`. Operation names are
//! matched ignoring ASCII case.

mod inbox_rule;

use harrier_model::{
    Activity, Change, MailItemsAccessed, MailSent, MailboxForwarding, MailboxPermission, TransportRule,
};
use serde_json::Value;

use super::{split_list, user_key};
use crate::fields::{Fields, lookup, value_text};

/// Returns the typed activity for an Exchange operation, or `None` to keep it as a generic event.
///
/// `Set-MailboxAuditBypassAssociation` and `Set-Mailbox -AuditEnabled $false` stay generic because the model
/// has no type for audit settings. The generic event keeps the operation, its target and the raw record.
pub(super) fn activity(operation: &str, record: Fields<'_>) -> Option<Activity> {
    let operation = operation.trim().to_ascii_lowercase();
    let activity = match kind(&operation)? {
        ExchangeKind::InboxRuleCmdlet => {
            Activity::InboxRule(inbox_rule::from_cmdlet(cmdlet_change(&operation)?, record))
        }
        ExchangeKind::InboxRuleClient => Activity::InboxRule(inbox_rule::from_client(record)),
        ExchangeKind::SetMailbox => set_mailbox(record)?,
        ExchangeKind::TransportRule => Activity::TransportRule(transport_rule(cmdlet_change(&operation)?, record)),
        ExchangeKind::MailboxPermission => {
            Activity::MailboxPermission(mailbox_permission(cmdlet_change(&operation)?, record))
        }
        ExchangeKind::RecipientPermission => {
            Activity::MailboxPermission(recipient_permission(cmdlet_change(&operation)?, record))
        }
        ExchangeKind::FolderPermission => {
            Activity::MailboxPermission(folder_permission(cmdlet_change(&operation)?, record))
        }
        ExchangeKind::AuditedFolderPermission => {
            Activity::MailboxPermission(audited_folder_permission(&operation, record))
        }
        ExchangeKind::MailSent => Activity::MailSent(mail_sent(&operation, record)),
        ExchangeKind::MailItemsAccessed => Activity::MailItemsAccessed(mail_items_accessed(record)),
    };
    Some(activity)
}

/// The groups of Exchange operations that [`activity`] reads into a typed activity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ExchangeKind {
    InboxRuleCmdlet,
    InboxRuleClient,
    SetMailbox,
    TransportRule,
    MailboxPermission,
    RecipientPermission,
    FolderPermission,
    AuditedFolderPermission,
    MailSent,
    MailItemsAccessed,
}

/// Returns the group of a lower-cased operation, or `None` for operations kept as generic events.
pub(super) fn kind(operation: &str) -> Option<ExchangeKind> {
    let kind = match operation {
        "new-inboxrule" | "set-inboxrule" | "enable-inboxrule" | "disable-inboxrule" | "remove-inboxrule" => {
            ExchangeKind::InboxRuleCmdlet
        }
        "updateinboxrules" => ExchangeKind::InboxRuleClient,
        "set-mailbox" => ExchangeKind::SetMailbox,
        "new-transportrule"
        | "set-transportrule"
        | "enable-transportrule"
        | "disable-transportrule"
        | "remove-transportrule" => ExchangeKind::TransportRule,
        "add-mailboxpermission" | "remove-mailboxpermission" => ExchangeKind::MailboxPermission,
        "add-recipientpermission" | "remove-recipientpermission" => ExchangeKind::RecipientPermission,
        "add-mailboxfolderpermission" | "set-mailboxfolderpermission" | "remove-mailboxfolderpermission" => {
            ExchangeKind::FolderPermission
        }
        "addfolderpermissions" | "modifyfolderpermissions" | "removefolderpermissions" => {
            ExchangeKind::AuditedFolderPermission
        }
        "send" | "sendas" | "sendonbehalf" => ExchangeKind::MailSent,
        "mailitemsaccessed" => ExchangeKind::MailItemsAccessed,
        _ => return None,
    };
    Some(kind)
}

/// Reads the kind of change from a cmdlet's verb (`New-`, `Set-`, `Remove-`, ...), given in lower case.
fn cmdlet_change(operation: &str) -> Option<Change> {
    let (verb, _) = operation.split_once('-')?;
    match verb {
        "new" | "add" => Some(Change::Created),
        "set" => Some(Change::Modified),
        "enable" => Some(Change::Enabled),
        "disable" => Some(Change::Disabled),
        "remove" => Some(Change::Removed),
        _ => None,
    }
}

/// A cmdlet's parameters as name/value pairs. Parameters with empty values are kept, because for settings
/// such as `ForwardingSmtpAddress` an empty value means "cleared".
struct Parameters(Vec<(String, String)>);

impl Parameters {
    fn of(record: Fields<'_>) -> Parameters {
        Parameters(record.name_values("Parameters"))
    }

    /// Returns the value of `name` when it is present and not empty.
    fn get(&self, name: &str) -> Option<&str> {
        lookup(&self.0, name).map(str::trim).filter(|value| !value.is_empty())
    }

    /// Returns the value of `name`, empty when the parameter was passed without a value.
    fn raw(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.trim())
    }

    fn flag(&self, name: &str) -> Option<bool> {
        self.get(name).and_then(parse_bool)
    }

    fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(name, value)| (name.as_str(), value.trim()))
    }
}

/// Parses PowerShell's `True`/`False` (and `$true`/`$false`) in any case.
pub(super) fn parse_bool(text: &str) -> Option<bool> {
    let text = text.trim().trim_start_matches('$');
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Splits a multi-valued parameter written as `a;b` or as a JSON array into its values.
///
/// Commas do not separate values, unlike [`split_list`], because keywords and display names may
/// contain them.
fn split_values(text: &str) -> Vec<String> {
    let trimmed = text.trim();
    if trimmed.starts_with('[')
        && let Ok(Value::Array(items)) = serde_json::from_str::<Value>(trimmed)
    {
        return items
            .iter()
            .filter_map(value_text)
            .map(|item| item.trim().to_owned())
            .filter(|item| !item.is_empty())
            .collect();
    }
    trimmed.split(';').map(str::trim).filter(|item| !item.is_empty()).map(str::to_owned).collect()
}

/// Returns the recipients of a multi-valued parameter, each as [`recipient`] returns it.
fn recipients(text: &str) -> Vec<String> {
    split_values(text).iter().filter_map(|item| recipient(item)).collect()
}

/// Normalises one recipient: `"Name" [SMTP:a@b.com]` and `smtp:a@b.com` become `a@b.com`, and addresses
/// are lower-cased. Display names and aliases without an address are kept as written.
fn recipient(text: &str) -> Option<String> {
    let mut text = text.trim().trim_matches('"').trim();
    if let Some(start) = find_ignore_case(text, "[smtp:") {
        let inner = &text[start + "[smtp:".len()..];
        text = inner.split(']').next().unwrap_or(inner).trim();
    }
    let text = strip_smtp_prefix(text).trim_matches(['"', '\'', '<', '>']).trim();
    if text.is_empty() {
        None
    } else if text.contains('@') && !text.contains(' ') {
        user_key(text)
    } else {
        Some(text.to_owned())
    }
}

/// Strips an `smtp:` or `SMTP:` address-type prefix.
fn strip_smtp_prefix(text: &str) -> &str {
    match text.get(..5) {
        Some(prefix) if prefix.eq_ignore_ascii_case("smtp:") => &text[5..],
        _ => text,
    }
}

/// Returns the byte offset of `needle`, an ASCII string, in `haystack`, ignoring ASCII case.
fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    haystack.to_ascii_lowercase().find(&needle.to_ascii_lowercase())
}

/// Reads a mailbox identity as a user key.
///
/// Exchange names mailboxes in audit records by address, alias or directory path
/// (`NAMPR06A003.prod.outlook.com/Microsoft Exchange Hosted Organizations/contoso.onmicrosoft.com/AdeleV`).
/// A path becomes its last segment, the mailbox's name, which is often its alias.
fn mailbox_key(identity: &str) -> Option<String> {
    let identity = identity.trim();
    let name = identity.rsplit_once('/').map_or(identity, |(_, name)| name);
    user_key(strip_smtp_prefix(name))
}

/// Returns the mailbox an admin cmdlet acted on: its `Identity` parameter, else the record's `ObjectId`.
fn cmdlet_mailbox(parameters: &Parameters, record: Fields<'_>) -> Option<String> {
    parameters.get("Identity").or_else(|| record.str_any(&["ObjectId", "OfficeObjectId"])).and_then(mailbox_key)
}

/// Reads `Set-Mailbox` as a forwarding change, else as a send-on-behalf grant. Other settings stay generic.
///
/// Several `GrantSendOnBehalfTo` grantees are reported as one `grantee`, joined by `;`.
fn set_mailbox(record: Fields<'_>) -> Option<Activity> {
    let parameters = Parameters::of(record);
    if let Some(forwarding) = mailbox_forwarding(&parameters, record) {
        return Some(Activity::MailboxForwarding(forwarding));
    }
    let grantees = parameters.raw("GrantSendOnBehalfTo")?;
    Some(Activity::MailboxPermission(MailboxPermission {
        change: if grantees.is_empty() { Change::Removed } else { Change::Created },
        mailbox: cmdlet_mailbox(&parameters, record),
        grantee: user_key(&recipients(grantees).join(";")),
        access_rights: vec!["SendOnBehalf".to_owned()],
        folder: None,
    }))
}

/// Reads the forwarding parameters of `Set-Mailbox`, or returns `None` when the command sets none of them.
///
/// An empty `ForwardingSmtpAddress` or `ForwardingAddress` clears forwarding. When one is set and the
/// other cleared in the same command, the address that is set is reported.
fn mailbox_forwarding(parameters: &Parameters, record: Fields<'_>) -> Option<MailboxForwarding> {
    let smtp = parameters.raw("ForwardingSmtpAddress");
    let address = parameters.raw("ForwardingAddress");
    let deliver_and_forward = parameters.flag("DeliverToMailboxAndForward");
    if smtp.is_none() && address.is_none() && deliver_and_forward.is_none() {
        return None;
    }
    let forward_to = [smtp, address].into_iter().flatten().find_map(recipient);
    let cleared = forward_to.is_none() && (smtp.is_some() || address.is_some());
    Some(MailboxForwarding { mailbox: cmdlet_mailbox(parameters, record), forward_to, deliver_and_forward, cleared })
}

/// Reads `New-`, `Set-`, `Enable-`, `Disable-` and `Remove-TransportRule`.
fn transport_rule(change: Change, record: Fields<'_>) -> TransportRule {
    let parameters = Parameters::of(record);
    let mut rule = TransportRule {
        change,
        name: parameters.get("Name").or_else(|| parameters.get("Identity")).map(str::to_owned),
        ..TransportRule::default()
    };
    if rule.name.is_none() {
        rule.name = record.str_any(&["ObjectId", "OfficeObjectId"]).map(|id| id.trim().to_owned());
    }
    for (name, value) in parameters.iter() {
        match name.to_ascii_lowercase().as_str() {
            "name" | "identity" => {}
            "blindcopyto" => rule.blind_copy_to.extend(recipients(value)),
            "redirectmessageto" => rule.redirect_to.extend(recipients(value)),
            "copyto" => rule.copy_to.extend(recipients(value)),
            "setauditseverity" if !value.is_empty() => rule.set_audit_severity = Some(value.to_owned()),
            "deletemessage" if parse_bool(value).is_some() => rule.delete_message = parse_bool(value),
            _ => rule.other.push(format!("{name}={value}")),
        }
    }
    rule
}

/// Reads `Add-` and `Remove-MailboxPermission` (`FullAccess`, `ReadPermission`, ... granted to `User`).
fn mailbox_permission(change: Change, record: Fields<'_>) -> MailboxPermission {
    let parameters = Parameters::of(record);
    MailboxPermission {
        change,
        mailbox: cmdlet_mailbox(&parameters, record),
        grantee: parameters.get("User").and_then(recipient).and_then(|user| user_key(&user)),
        access_rights: parameters.get("AccessRights").map(split_list).unwrap_or_default(),
        folder: None,
    }
}

/// Reads `Add-` and `Remove-RecipientPermission`, which grant `SendAs` to a `Trustee`.
///
/// `SendAs` is the only right these cmdlets accept, so it is assumed when the record omits `AccessRights`.
fn recipient_permission(change: Change, record: Fields<'_>) -> MailboxPermission {
    let parameters = Parameters::of(record);
    let access_rights = match parameters.get("AccessRights") {
        Some(rights) => split_list(rights),
        None => vec!["SendAs".to_owned()],
    };
    MailboxPermission {
        change,
        mailbox: cmdlet_mailbox(&parameters, record),
        grantee: parameters.get("Trustee").and_then(recipient).and_then(|user| user_key(&user)),
        access_rights,
        folder: None,
    }
}

/// Reads `Add-`, `Set-` and `Remove-MailboxFolderPermission`, whose `Identity` is `mailbox:\folder`.
fn folder_permission(change: Change, record: Fields<'_>) -> MailboxPermission {
    let parameters = Parameters::of(record);
    let identity = parameters.get("Identity").or_else(|| record.str_any(&["ObjectId", "OfficeObjectId"]));
    let (mailbox, folder) = match identity.and_then(|identity| identity.split_once(":\\")) {
        Some((mailbox, folder)) => (mailbox_key(mailbox), non_empty(folder.trim_matches('\\'))),
        None => (identity.and_then(mailbox_key), None),
    };
    MailboxPermission {
        change,
        mailbox,
        grantee: parameters.get("User").and_then(recipient).and_then(|user| user_key(&user)),
        access_rights: parameters.get("AccessRights").map(split_list).unwrap_or_default(),
        folder,
    }
}

/// Reads the mailbox-audit folder permission operations (`AddFolderPermissions`, `ModifyFolderPermissions`,
/// `RemoveFolderPermissions`), which name the folder and the member's rights in `Item.ParentFolder`.
fn audited_folder_permission(operation: &str, record: Fields<'_>) -> MailboxPermission {
    let change = match operation {
        "addfolderpermissions" => Change::Created,
        "removefolderpermissions" => Change::Removed,
        _ => Change::Modified,
    };
    let item = record.json("Item");
    let folder = item.as_deref().and_then(Fields::of).and_then(|item| item.json("ParentFolder"));
    let folder = folder.as_deref().and_then(Fields::of);
    MailboxPermission {
        change,
        mailbox: record.str("MailboxOwnerUPN").and_then(user_key),
        grantee: folder.and_then(|f| f.str("MemberUpn")).and_then(user_key),
        access_rights: folder.and_then(|f| f.str("MemberRights")).map(split_list).unwrap_or_default(),
        folder: folder.and_then(|f| f.str_any(&["Name", "Path"])).and_then(|name| non_empty(name.trim_matches('\\'))),
    }
}

/// Reads `Send`, `SendAs` and `SendOnBehalf` mailbox-audit records, given the operation in lower case.
///
/// The audit record names the message but not its recipients, so `recipients` stays `None`.
fn mail_sent(operation: &str, record: Fields<'_>) -> MailSent {
    let item = record.json("Item");
    let item = item.as_deref().and_then(Fields::of);
    let (send_type, mailbox) = match operation {
        "sendas" => ("SendAs", record.str("SendAsUserSmtp").and_then(user_key)),
        "sendonbehalf" => ("SendOnBehalf", record.str("SendOnBehalfOfUserSmtp").and_then(user_key)),
        _ => ("Send", owner_if_not_actor(record)),
    };
    MailSent {
        recipients: None,
        subject: item.and_then(|item| item.str("Subject")).map(str::to_owned),
        internet_message_id: item.and_then(|item| item.str("InternetMessageId")).map(str::to_owned),
        send_type: send_type.to_owned(),
        mailbox,
    }
}

/// Returns the mailbox owner when someone other than the owner acted on the mailbox.
fn owner_if_not_actor(record: Fields<'_>) -> Option<String> {
    let owner = record.str("MailboxOwnerUPN").and_then(user_key)?;
    let actor = record.str("UserId").and_then(user_key);
    (actor.as_deref() != Some(owner.as_str())).then_some(owner)
}

/// Reads a `MailItemsAccessed` record. `items` counts the messages listed under `Folders[].FolderItems`,
/// and is `None` when no folder lists items, as in records of sync access.
fn mail_items_accessed(record: Fields<'_>) -> MailItemsAccessed {
    let properties = record.name_values("OperationProperties");
    MailItemsAccessed {
        client_app_id: record.text("ClientAppId").map(|id| id.trim().to_owned()),
        items: record.json("Folders").and_then(|folders| count_folder_items(&folders)),
        throttled: lookup(&properties, "IsThrottled").and_then(parse_bool).unwrap_or(false),
        access_type: lookup(&properties, "MailAccessType").map(|kind| kind.trim().to_owned()),
        mailbox: record.str("MailboxOwnerUPN").and_then(user_key),
    }
}

/// Sums the lengths of every folder's `FolderItems` array, or returns `None` when no folder has one.
fn count_folder_items(folders: &Value) -> Option<u32> {
    let mut total: Option<u32> = None;
    for folder in folders.as_array()? {
        let Some(items) = Fields::of(folder).and_then(|folder| folder.json("FolderItems")) else {
            continue;
        };
        if let Some(items) = items.as_array() {
            let count = u32::try_from(items.len()).unwrap_or(u32::MAX);
            total = Some(total.unwrap_or(0).saturating_add(count));
        }
    }
    total
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}
