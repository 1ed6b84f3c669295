//! Inbox rules, as `*-InboxRule` cmdlets and as `UpdateInboxRules` from mail clients.
//!
//! A cmdlet's conditions and actions are its parameters, named as in the `New-InboxRule` documentation.
//! A client's rule arrives in `OperationProperties` as `RuleName`, `RuleOperation`, `RuleState`,
//! `RuleCondition` (a text dump of the MAPI restriction) and `RuleActions`, a JSON array of MAPI rule
//! actions named as in MS-OXORULE 2.2.5.1 (`Move`, `Forward`, `Delete`, ...).

use harrier_model::{Change, InboxRule, RuleAction, RuleConditions};
use serde_json::Value;

use super::{Parameters, mailbox_key, parse_bool, recipient, recipients, split_values};
use crate::fields::{Fields, lookup};
use crate::normalize::user_key;

/// Parameters that configure the cmdlet or name the rule, and are neither conditions nor actions.
const SETTINGS: [&str; 14] = [
    "name",
    "identity",
    "mailbox",
    "force",
    "alwaysdeleteoutlookrulesblob",
    "confirm",
    "domaincontroller",
    "priority",
    "frommessageid",
    "validateonly",
    "whatif",
    "erroraction",
    "warningaction",
    "verbose",
];

/// The action parameters of `New-InboxRule` and `Set-InboxRule`, lower-cased. `PermanentDelete` is the
/// EWS name of a hard delete and is accepted in the same place.
const ACTIONS: [&str; 16] = [
    "applycategory",
    "applysystemcategory",
    "copytofolder",
    "deletemessage",
    "deletesystemcategory",
    "forwardasattachmentto",
    "forwardto",
    "markasread",
    "markimportance",
    "movetofolder",
    "permanentdelete",
    "pinmessage",
    "redirectto",
    "sendtextmessagenotificationto",
    "softdeletemessage",
    "stopprocessingrules",
];

/// Reads `New-`, `Set-`, `Enable-`, `Disable-` and `Remove-InboxRule`.
///
/// The rule is named by `Name`, else by `Identity` or the record's `ObjectId`, both written as
/// `mailbox\rule`. The mailbox is the `Mailbox` parameter, else the part of those identities before the
/// last backslash.
pub(super) fn from_cmdlet(change: Change, record: Fields<'_>) -> InboxRule {
    let parameters = Parameters::of(record);
    let identity = parameters.get("Identity").map(split_rule_identity);
    let object =
        record.str_any(&["ObjectId", "OfficeObjectId"]).filter(|id| id.contains('\\')).map(split_rule_identity);

    let name = parameters.get("Name").map(str::to_owned).or_else(|| identity.as_ref().map(|(_, rule)| rule.clone()));
    let name = name.or_else(|| object.as_ref().map(|(_, rule)| rule.clone()));
    let mailbox = parameters.get("Mailbox").and_then(mailbox_key);
    let mailbox = mailbox
        .or_else(|| identity.and_then(|(mailbox, _)| mailbox))
        .or_else(|| object.and_then(|(mailbox, _)| mailbox));

    let mut rule = InboxRule { change, mailbox, name, from_client: false, ..InboxRule::default() };
    for (parameter, value) in parameters.iter() {
        apply_parameter(&mut rule, parameter, value);
    }
    rule
}

/// Splits `mailbox\rule` into the mailbox's key and the rule's name. An identity without a backslash is
/// only a rule name.
fn split_rule_identity(identity: &str) -> (Option<String>, String) {
    match identity.trim().rsplit_once('\\') {
        Some((mailbox, rule)) => (mailbox_key(mailbox), rule.trim().to_owned()),
        None => (None, identity.trim().to_owned()),
    }
}

/// Adds one cmdlet parameter to the rule as a condition or an action.
fn apply_parameter(rule: &mut InboxRule, parameter: &str, value: &str) {
    let key = parameter.to_ascii_lowercase();
    if SETTINGS.contains(&key.as_str()) {
        return;
    }
    if ACTIONS.contains(&key.as_str()) {
        rule.actions.extend(cmdlet_action(&key, parameter, value));
    } else {
        add_condition(&mut rule.conditions, &key, parameter, value);
    }
}

/// Reads one action parameter, given its lower-cased name in `key`. Returns `None` for `False` and for an
/// empty value, both of which leave the action off.
fn cmdlet_action(key: &str, parameter: &str, value: &str) -> Option<RuleAction> {
    if value.is_empty() || parse_bool(value) == Some(false) {
        return None;
    }
    let is_true = parse_bool(value) == Some(true);
    match key {
        "forwardto" => non_empty_list(recipients(value)).map(RuleAction::ForwardTo),
        "redirectto" => non_empty_list(recipients(value)).map(RuleAction::RedirectTo),
        "forwardasattachmentto" => non_empty_list(recipients(value)).map(RuleAction::ForwardAsAttachmentTo),
        "movetofolder" => Some(RuleAction::MoveToFolder(folder_name(value))),
        "copytofolder" => Some(RuleAction::CopyToFolder(folder_name(value))),
        "markimportance" => Some(RuleAction::MarkImportance(value.to_owned())),
        "deletemessage" => is_true.then_some(RuleAction::SoftDelete),
        "permanentdelete" => is_true.then_some(RuleAction::Delete),
        "markasread" => is_true.then_some(RuleAction::MarkAsRead),
        "stopprocessingrules" => is_true.then_some(RuleAction::StopProcessing),
        _ => Some(RuleAction::Other(format!("{parameter}={value}"))),
    }
}

fn non_empty_list(items: Vec<String>) -> Option<Vec<String>> {
    (!items.is_empty()).then_some(items)
}

/// Returns a folder's path inside its mailbox: `RSS Subscription` stays as it is, and
/// `mailbox:\Inbox\Hidden` becomes `Inbox\Hidden`.
fn folder_name(value: &str) -> String {
    let path = value.split_once(":\\").map_or(value, |(_, path)| path);
    path.trim().trim_matches('\\').trim().to_owned()
}

/// Adds one condition parameter, given its lower-cased name in `key`. Parameters the model has no field
/// for, including every `ExceptIf*` exception, are kept as `Name=Value`.
fn add_condition(conditions: &mut RuleConditions, key: &str, parameter: &str, value: &str) {
    if value.is_empty() {
        return;
    }
    match key {
        "from" => conditions.from.extend(recipients(value)),
        "sentto" => conditions.sent_to.extend(recipients(value)),
        "subjectcontainswords" => conditions.subject_contains.extend(split_values(value)),
        "bodycontainswords" => conditions.body_contains.extend(split_values(value)),
        "subjectorbodycontainswords" => conditions.subject_or_body_contains.extend(split_values(value)),
        "fromaddresscontainswords" => conditions.from_address_contains.extend(split_values(value)),
        "headercontainswords" => conditions.header_contains.extend(split_values(value)),
        "hasattachment" if parse_bool(value).is_some() => conditions.has_attachment = parse_bool(value),
        _ => conditions.other.push(format!("{parameter}={value}")),
    }
}

/// Reads `UpdateInboxRules`, the mailbox-audit record of a rule written by Outlook or another client.
///
/// `ModifyMailboxRule` records in published exports often carry an empty `RuleName`, `RuleCondition` `{}`
/// and `RuleActions` `[]`, so they read as a rule with no name, conditions or actions.
pub(super) fn from_client(record: Fields<'_>) -> InboxRule {
    let properties = record.name_values("OperationProperties");
    let property = |name: &str| lookup(&properties, name).map(str::trim).filter(|value| !value.is_empty());

    let mut rule = InboxRule {
        change: client_change(property("RuleOperation")),
        mailbox: record.str("MailboxOwnerUPN").and_then(user_key),
        name: property("RuleName").map(str::to_owned),
        from_client: true,
        ..InboxRule::default()
    };
    if let Some(condition) = property("RuleCondition") {
        rule.conditions = client_conditions(condition);
    }
    if let Some(actions) = property("RuleActions") {
        rule.actions = client_actions(actions);
    }
    let exits = property("RuleState").is_some_and(|state| state.to_ascii_lowercase().contains("exitafterexecution"));
    if exits {
        rule.actions.push(RuleAction::StopProcessing);
    }
    rule
}

fn client_change(operation: Option<&str>) -> Change {
    match operation.map(str::to_ascii_lowercase).as_deref() {
        Some("addmailboxrule") => Change::Created,
        Some("removemailboxrule") => Change::Removed,
        _ => Change::Modified,
    }
}

/// Reads a client rule's condition text.
///
/// NOTE: `RuleCondition` is a text dump of a MAPI restriction with no documented grammar. Only sender
/// addresses (`SenderSearchKey Equal SMTP:a@b.com`) are parsed. The whole text is also kept in `other`,
/// so keyword and recipient conditions remain visible there.
fn client_conditions(text: &str) -> RuleConditions {
    let mut conditions = RuleConditions::default();
    if text == "{}" {
        return conditions;
    }
    conditions.from = sender_search_keys(text);
    conditions.other.push(format!("RuleCondition={text}"));
    conditions
}

/// Returns the addresses of every `SenderSearchKey Equal SMTP:` comparison, lower-cased.
fn sender_search_keys(text: &str) -> Vec<String> {
    const MARKER: &str = "sendersearchkey equal smtp:";
    let lower = text.to_ascii_lowercase();
    let mut senders = Vec::new();
    let mut rest = lower.as_str();
    while let Some(start) = rest.find(MARKER) {
        rest = &rest[start + MARKER.len()..];
        let end = rest.find(|c: char| c.is_whitespace() || matches!(c, ')' | ']' | ',' | '}')).unwrap_or(rest.len());
        if let Some(address) = user_key(&rest[..end])
            && !senders.contains(&address)
        {
            senders.push(address);
        }
        rest = &rest[end..];
    }
    senders
}

/// Reads a client rule's `RuleActions`, a JSON array of actions. Text that is not JSON becomes one
/// [`RuleAction::Other`].
fn client_actions(text: &str) -> Vec<RuleAction> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(actions)) => actions.iter().map(client_action).collect(),
        Ok(action @ Value::Object(_)) => vec![client_action(&action)],
        _ => vec![RuleAction::Other(format!("RuleActions={text}"))],
    }
}

/// Reads one MAPI rule action. Types the model has no variant for (`Reply`, `OOFReply`, `Bounce`,
/// `Delegate`, `Tag`, `DeferAction`) are kept as [`RuleAction::Other`] with the action's JSON.
///
/// NOTE: Microsoft does not document this JSON. Published exports use MS-OXORULE's action names (`Move`,
/// `Forward`), where `Delete` (OP_DELETE) deletes the message outright, so it reads as
/// [`RuleAction::Delete`]. A client's "move to Deleted Items" arrives as a `Move` to a folder id.
fn client_action(action: &Value) -> RuleAction {
    let Some(fields) = Fields::of(action) else {
        return RuleAction::Other(action.to_string());
    };
    let kind = fields.text_any(&["ActionType", "Type"]).map(|kind| action_kind(&kind)).unwrap_or_default();
    match kind.as_str() {
        "move" | "movetofolder" => RuleAction::MoveToFolder(destination_folder(fields)),
        "copy" | "copytofolder" => RuleAction::CopyToFolder(destination_folder(fields)),
        "forward" | "forwardtorecipients" => forward_action(fields),
        "redirect" | "redirecttorecipients" => RuleAction::RedirectTo(action_recipients(fields)),
        "forwardasattachmenttorecipients" => RuleAction::ForwardAsAttachmentTo(action_recipients(fields)),
        "delete" | "permanentdelete" => RuleAction::Delete,
        "markasread" => RuleAction::MarkAsRead,
        "markimportance" => RuleAction::MarkImportance(fields.text("Importance").unwrap_or_default().into_owned()),
        "stopprocessingrules" => RuleAction::StopProcessing,
        _ => RuleAction::Other(action.to_string()),
    }
}

/// Lower-cases an action type and drops MAPI's `OP_` prefix and underscores (`OP_MARK_AS_READ` →
/// `markasread`).
fn action_kind(text: &str) -> String {
    let lower = text.trim().to_ascii_lowercase();
    let name = lower.strip_prefix("op_").unwrap_or(&lower);
    name.replace('_', "")
}

/// Reads an `OP_FORWARD` action. Its flavor (MS-OXORULE 2.2.5.1.1) marks a redirect with bit 0x1 (preserve
/// sender) and a forward as attachment with bit 0x4, and may be written as a number or as flag names.
fn forward_action(fields: Fields<'_>) -> RuleAction {
    let to = action_recipients(fields);
    let flavor = fields.text_any(&["ActionFlavor", "Flavor", "Flags", "ForwardFlags"]).unwrap_or_default();
    let flavor = flavor.to_ascii_lowercase();
    let bits = flavor.trim().parse::<u32>().unwrap_or(0);
    if bits & 0x1 != 0 || flavor.contains("preservesender") {
        RuleAction::RedirectTo(to)
    } else if bits & 0x4 != 0 || flavor.contains("attachment") {
        RuleAction::ForwardAsAttachmentTo(to)
    } else {
        RuleAction::ForwardTo(to)
    }
}

/// Returns an action's recipients from `Recipients`, written as strings, as objects with an address, or as
/// one `;`-separated string.
fn action_recipients(fields: Fields<'_>) -> Vec<String> {
    if let Some(list) = fields.json("Recipients") {
        return list.as_array().map(|items| items.iter().filter_map(recipient_of).collect()).unwrap_or_default();
    }
    fields.str("Recipients").map(recipients).unwrap_or_default()
}

fn recipient_of(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => recipient(text),
        Value::Object(_) => {
            let fields = Fields::of(value)?;
            let names = ["SmtpAddress", "PrimarySmtpAddress", "EmailAddress", "Address", "DisplayName", "Name"];
            recipient(&fields.text_any(&names)?)
        }
        _ => None,
    }
}

/// Returns a move or copy action's destination: a folder name where the record gives one, else the
/// folder id, else an empty string.
fn destination_folder(fields: Fields<'_>) -> String {
    let names = ["FolderName", "DestinationFolderName", "Folder", "FolderPath", "DestinationFolderId", "FolderId"];
    fields.text_any(&names).map(|folder| folder_name(&folder)).unwrap_or_default()
}
