//! Management Activity API records of the shapes `bench/gen_logs.py` writes: Exchange mailbox and admin
//! operations, Entra ID sign-ins (`UserLoggedIn`, `UserLoginFailed`) and SharePoint file operations.
//!
//! Operations that `office`, `exchange`, `sharepoint` and `entra` read from members this shape leaves out
//! (inbox rules, permissions, sharing, directory changes) return `None`, and the record takes the
//! `Fields` path.

use std::borrow::Cow;

use harrier_model::{
    Activity, Actor, AppRef, Client, Event, FileAction, FileActivity, MailItemsAccessed, MailSent, Other, Outcome,
    SignIn, SourceFormat,
};
use serde::de::IgnoredAny;

use super::value::{ArrayLength, Element, Nested, Scalar, ScalarField, is_unread, nested, typed_object};
use crate::normalize::entra::{self, mfa, sign_in, unified};
use crate::normalize::exchange::{self, ExchangeKind};
use crate::normalize::{Context, office, parse_ip, prefixed_id, sharepoint, tenant, user_key};
use crate::time::parse_timestamp;

typed_object! {
    /// A Management Activity API audit record.
    AuditRecord<'a>, unknown: reject {
        creation_time: Scalar<'a> = b"creationtime",
        id: Scalar<'a> = b"id",
        operation: Scalar<'a> = b"operation",
        organization_id: Scalar<'a> = b"organizationid",
        record_type: Scalar<'a> = b"recordtype",
        result_status: Scalar<'a> = b"resultstatus",
        user_key: IgnoredAny = b"userkey",
        user_type: Scalar<'a> = b"usertype",
        version: IgnoredAny = b"version",
        workload: Scalar<'a> = b"workload",
        client_ip: Scalar<'a> = b"clientip",
        user_id: Scalar<'a> = b"userid",
        app_id: Scalar<'a> = b"appid",
        client_app_id: Scalar<'a> = b"clientappid",
        client_info_string: Scalar<'a> = b"clientinfostring",
        external_access: IgnoredAny = b"externalaccess",
        logon_type: IgnoredAny = b"logontype",
        mailbox_guid: IgnoredAny = b"mailboxguid",
        mailbox_owner_upn: Scalar<'a> = b"mailboxownerupn",
        operation_properties: Nested<Vec<Element<NameValue<'a>>>> = b"operationproperties",
        folders: Nested<Vec<Element<Folder<'a>>>> = b"folders",
        item: Nested<MailItem<'a>> = b"item",
        azure_active_directory_event_type: IgnoredAny = b"azureactivedirectoryeventtype",
        extended_properties: Nested<Vec<Element<NameValue<'a>>>> = b"extendedproperties",
        application_id: Scalar<'a> = b"applicationid",
        object_id: Scalar<'a> = b"objectid",
        actor_ip_address: Scalar<'a> = b"actoripaddress",
        logon_error: Scalar<'a> = b"logonerror",
        error_number: Scalar<'a> = b"errornumber",
        site_url: Scalar<'a> = b"siteurl",
        source_file_name: Scalar<'a> = b"sourcefilename",
        source_file_extension: IgnoredAny = b"sourcefileextension",
        source_relative_url: IgnoredAny = b"sourcerelativeurl",
        item_type: IgnoredAny = b"itemtype",
        event_source: IgnoredAny = b"eventsource",
        user_agent: Scalar<'a> = b"useragent",
        // Only the inbox rule and mailbox cmdlets read `Parameters`, and their records take the `Fields` path.
        parameters: IgnoredAny = b"parameters",
    }
}

typed_object! {
    /// One `{Name, Value}` entry of a name/value bag, in any of the spellings `fields::name_values` reads.
    NameValue<'a>, unknown: ignore {
        name: Scalar<'a> = b"name",
        key: Scalar<'a> = b"key",
        display_name: Scalar<'a> = b"displayname",
        value: Scalar<'a> = b"value",
        new_value: Scalar<'a> = b"newvalue",
    }
}

typed_object! {
    /// A folder of a `MailItemsAccessed` record.
    Folder<'a>, unknown: ignore {
        folder_items: Nested<ArrayLength> = b"folderitems",
    }
}

typed_object! {
    /// The message of a `Send` record.
    MailItem<'a>, unknown: ignore {
        subject: Scalar<'a> = b"subject",
        internet_message_id: Scalar<'a> = b"internetmessageid",
    }
}

/// A name/value bag read as `Fields::name_values` reads it, with the text borrowed where it can be.
struct Bag<'r>(Vec<(Cow<'r, str>, Cow<'r, str>)>);

impl<'r> Bag<'r> {
    fn of(member: &'r Option<Nested<Vec<Element<NameValue<'_>>>>>) -> Bag<'r> {
        let items = nested(member).map(Vec::as_slice).unwrap_or_default();
        let pairs = items.iter().filter_map(|item| item.0.as_ref()).filter_map(|item| {
            let name = [&item.name, &item.key, &item.display_name].into_iter().find_map(ScalarField::text)?;
            let value = [&item.value, &item.new_value].into_iter().find_map(ScalarField::get);
            Some((name, value.and_then(Scalar::text).unwrap_or_default()))
        });
        Bag(pairs.collect())
    }

    /// Returns the first non-empty value of `name`, ignoring ASCII case, as `fields::lookup` does.
    fn lookup(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, value)| key.eq_ignore_ascii_case(name) && !value.is_empty())
            .map(|(_, value)| &**value)
    }
}

/// Normalises a record, or returns `None` when the `Fields` path must read it.
pub(super) fn normalize(record: &AuditRecord<'_>, context: &Context<'_>) -> Option<Event> {
    // `detect` reads a record with both members as a Management Activity API record.
    record.creation_time.get()?;
    let operation = record.operation.str()?.trim().to_owned();
    let time = parse_timestamp(record.creation_time.str()?)?;
    let record_id = prefixed_id("ma", record.id.str())?;
    let workload = record.workload.str().map(str::to_owned);

    let extended = Bag::of(&record.extended_properties);
    let activity = activity(&operation, workload.as_deref(), record, &extended)?;
    let outcome = entra::sign_in_outcome(&activity)
        .unwrap_or_else(|| office::outcome_of_status(record.result_status.text().as_deref()));
    Some(Event {
        tenant: tenant(context, record.organization_id.str()),
        record_id,
        time,
        format: SourceFormat::ManagementActivity,
        operation,
        workload,
        outcome,
        actor: Actor {
            user: record.user_id.str().and_then(user_key),
            object_id: None,
            display_name: None,
            app_id: record.app_id.str().or(record.application_id.str()).map(str::to_owned),
            kind: office::actor_kind_of(record.user_type.text().as_deref()),
        },
        client: Client { ip: client_ip(record), user_agent: user_agent(record, &extended) },
        ip_info: None,
        activity,
    })
}

/// Returns the typed activity as `office::activity` does, or `None` for operations this shape cannot read.
fn activity(operation: &str, workload: Option<&str>, record: &AuditRecord<'_>, extended: &Bag<'_>) -> Option<Activity> {
    let workload = match workload {
        Some(workload) => workload,
        None => record.record_type.i64().and_then(office::workload_of_record_type_code).unwrap_or(""),
    };
    let typed = if workload.eq_ignore_ascii_case("AzureActiveDirectory") {
        if !unified::is_sts_logon(operation) {
            return None;
        }
        Some(Activity::SignIn(sign_in_activity(operation, record, extended)))
    } else if workload.eq_ignore_ascii_case("Exchange") {
        exchange_activity(operation, record)?
    } else if workload.eq_ignore_ascii_case("SharePoint") || workload.eq_ignore_ascii_case("OneDrive") {
        file_activity(operation, record)?
    } else {
        None
    };
    let other = || {
        Activity::Other(Other {
            record_type: record.record_type.text().map(Cow::into_owned),
            object: record.object_id.str().map(str::to_owned),
        })
    };
    Some(typed.unwrap_or_else(other))
}

/// Reads a unified-audit-log sign-in as `unified::sign_in` does.
fn sign_in_activity(operation: &str, record: &AuditRecord<'_>, extended: &Bag<'_>) -> SignIn {
    let failed = operation.eq_ignore_ascii_case("UserLoginFailed");
    let logon_error = record.logon_error.str().map(str::trim).filter(|error| !error.is_empty());
    let error_code = record
        .error_number
        .i64()
        .and_then(|code| u32::try_from(code).ok())
        .or_else(|| logon_error.and_then(unified::logon_error_code));
    let outcome = sign_in::code_outcome(error_code).unwrap_or(if failed { Outcome::Failure } else { Outcome::Success });
    let success = outcome == Outcome::Success;

    SignIn {
        success,
        error_code,
        failure_reason: if success { None } else { logon_error.map(str::to_owned) },
        application: AppRef { id: record.application_id.str().map(str::to_owned), name: None },
        resource: AppRef { id: record.object_id.str().map(str::to_owned), name: None },
        mfa: mfa::result(error_code, &[], None, false),
        device: None,
        request_type: extended.lookup("RequestType").map(str::to_owned),
        ..SignIn::default()
    }
}

/// Reads the Exchange operations of this shape. The outer `None` sends the record to the `Fields` path,
/// and the inner `None` keeps the operation as a generic event.
fn exchange_activity(operation: &str, record: &AuditRecord<'_>) -> Option<Option<Activity>> {
    let operation = operation.trim().to_ascii_lowercase();
    match exchange::kind(&operation) {
        None => Some(None),
        Some(ExchangeKind::MailItemsAccessed) => Some(Some(Activity::MailItemsAccessed(mail_items_accessed(record)))),
        Some(ExchangeKind::MailSent) if operation == "send" => Some(Some(Activity::MailSent(mail_sent(record)?))),
        Some(_) => None,
    }
}

fn mail_items_accessed(record: &AuditRecord<'_>) -> MailItemsAccessed {
    let properties = Bag::of(&record.operation_properties);
    MailItemsAccessed {
        client_app_id: record.client_app_id.text().map(|id| id.trim().to_owned()),
        items: nested(&record.folders).and_then(|folders| count_folder_items(folders)),
        throttled: properties.lookup("IsThrottled").and_then(exchange::parse_bool).unwrap_or(false),
        access_type: properties.lookup("MailAccessType").map(|kind| kind.trim().to_owned()),
        mailbox: record.mailbox_owner_upn.str().and_then(user_key),
    }
}

/// Sums the lengths of every folder's `FolderItems` array, or returns `None` when no folder has one.
fn count_folder_items(folders: &[Element<Folder<'_>>]) -> Option<u32> {
    let mut total: Option<u32> = None;
    for folder in folders.iter().filter_map(|folder| folder.0.as_ref()) {
        if let Some(items) = nested(&folder.folder_items) {
            let count = u32::try_from(items.0).unwrap_or(u32::MAX);
            total = Some(total.unwrap_or(0).saturating_add(count));
        }
    }
    total
}

/// Reads a `Send` record as `exchange::mail_sent` does, or returns `None` when `Item` is present but
/// not an object.
fn mail_sent(record: &AuditRecord<'_>) -> Option<MailSent> {
    if is_unread(&record.item) {
        return None;
    }
    let item = nested(&record.item);
    let owner = record.mailbox_owner_upn.str().and_then(user_key);
    let actor = record.user_id.str().and_then(user_key);
    let mailbox = owner.filter(|owner| actor.as_deref() != Some(owner.as_str()));
    Some(MailSent {
        recipients: None,
        subject: item.and_then(|item| item.subject.str()).map(str::to_owned),
        internet_message_id: item.and_then(|item| item.internet_message_id.str()).map(str::to_owned),
        send_type: "Send".to_owned(),
        mailbox,
    })
}

/// Reads the SharePoint file operations that do not share, as `sharepoint::activity` does.
fn file_activity(operation: &str, record: &AuditRecord<'_>) -> Option<Option<Activity>> {
    let operation = operation.trim().to_ascii_lowercase();
    let Some(action) = sharepoint::file_action(&operation) else {
        return Some(None);
    };
    if action == FileAction::Shared {
        return None;
    }
    let text = |member: &Option<Scalar<'_>>| {
        let value = member.text()?;
        let value = value.trim();
        (!value.is_empty()).then(|| value.to_owned())
    };
    Some(Some(Activity::File(FileActivity {
        action,
        url: text(&record.object_id),
        file_name: text(&record.source_file_name),
        site_url: text(&record.site_url),
        shared_with: None,
        sharing_type: None,
    })))
}

fn client_ip(record: &AuditRecord<'_>) -> Option<std::net::IpAddr> {
    [&record.client_ip, &record.actor_ip_address].into_iter().find_map(|member| member.str().and_then(parse_ip))
}

fn user_agent(record: &AuditRecord<'_>, extended: &Bag<'_>) -> Option<String> {
    if let Some(agent) = record.user_agent.str() {
        return Some(agent.to_owned());
    }
    if let Some(agent) = extended.lookup("UserAgent") {
        return Some(agent.to_owned());
    }
    record.client_info_string.str().map(str::to_owned)
}
