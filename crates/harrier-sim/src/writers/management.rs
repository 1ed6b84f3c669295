//! Management Activity API records, one JSON object per [`SimEvent`] that is not a sign-in.
//!
//! Field names, record types and value forms follow the Office 365 Management Activity API schema.
//! `CreationTime` is UTC without a zone. `RecordType` is 1 (ExchangeAdmin), 2 (ExchangeItem), 3
//! (ExchangeItemGroup), 6 (SharePointFileOperation), 8 (AzureActiveDirectory), 14
//! (SharePointSharingOperation) or 50 (ExchangeItemAggregated, `MailItemsAccessed`). `UserType` is 0 for
//! regular users and 2 for administrators. Exchange admin cmdlets write `ClientIP` with the client's
//! port (`1.2.3.4:50912`, `[2001:db8::1]:443`), and mailbox operations write it without one.

use std::net::IpAddr;

use serde::Serialize;

use super::Context;
use crate::clock::AuditTime;
use crate::directory::User;
use crate::event::{
    AadActor, AadAudit, Access, Cmdlet, Exchange, ExchangeKind, Library, MailClient, Send,
    SharePoint,
};
use crate::rng::Guid;

/// The content type (`Audit.Exchange`, `Audit.AzureActiveDirectory`, `Audit.SharePoint`) a record is
/// published under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ContentType {
    Exchange,
    AzureActiveDirectory,
    SharePoint,
}

impl ContentType {
    pub(crate) const ALL: [ContentType; 3] = [
        ContentType::Exchange,
        ContentType::AzureActiveDirectory,
        ContentType::SharePoint,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            ContentType::Exchange => "Audit.Exchange",
            ContentType::AzureActiveDirectory => "Audit.AzureActiveDirectory",
            ContentType::SharePoint => "Audit.SharePoint",
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Common<'a> {
    creation_time: AuditTime,
    id: Guid,
    operation: &'a str,
    organization_id: &'a str,
    record_type: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    result_status: Option<&'a str>,
    user_key: String,
    user_type: u8,
    version: u8,
    workload: &'a str,
    #[serde(rename = "ClientIP", skip_serializing_if = "Option::is_none")]
    client_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    object_id: Option<String>,
    user_id: &'a str,
}

#[derive(Serialize)]
struct NameValue<'a> {
    #[serde(rename = "Name")]
    name: &'a str,
    #[serde(rename = "Value")]
    value: &'a str,
}

/// Writes `ip` as cmdlet records do, with a port: `1.2.3.4:50912` or `[2001:db8::1]:50912`.
fn with_port(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(v4) if port != 0 => format!("{v4}:{port}"),
        IpAddr::V6(v6) if port != 0 => format!("[{v6}]:{port}"),
        _ => ip.to_string(),
    }
}

fn derived(id: Guid, salt: u128) -> Guid {
    id.derive(salt as u64)
}

/// Returns a stable GUID for a text (folders, sites, lists).
fn named_guid(text: &str) -> Guid {
    let key = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |state, byte| {
        (state ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3)
    });
    Guid(0).derive(key)
}

/// Returns the Exchange folder id of a folder path. Each id is computed once and kept for the life of the
/// process; there is one per distinct folder path, a handful.
fn exchange_folder_id(path: &str) -> &'static str {
    type Cache = std::sync::Mutex<Vec<(String, &'static str)>>;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((_, id)) = cache.iter().find(|(known, _)| known == path) {
        return id;
    }
    let hex = format!("{:032X}", named_guid(path).0);
    let id: &'static str =
        Box::leak(format!("LgAAAAD{}AQ{}AAAAAAEMAAAB", &hex[..20], &hex[20..26]).into_boxed_str());
    cache.push((path.to_owned(), id));
    id
}

/// Writes the record of an Exchange operation.
pub(crate) fn exchange<W: std::io::Write>(
    ctx: &Context<'_>,
    id: Guid,
    time: i64,
    event: &Exchange,
    out: W,
) -> serde_json::Result<()> {
    let user = ctx.user(event.user);
    match &event.kind {
        ExchangeKind::Cmdlet(cmdlet) => write_cmdlet(ctx, user, id, time, event, cmdlet, out),
        ExchangeKind::Send(send) => write_send(ctx, user, id, time, event, send, out),
        ExchangeKind::MailItemsAccessed(access) => {
            write_access(ctx, user, id, time, event, access, out)
        }
        ExchangeKind::Delete {
            operation,
            client,
            folder,
            items,
        } => write_delete(
            ctx,
            user,
            id,
            time,
            event,
            (operation, *client, folder, *items),
            out,
        ),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CmdletRecord<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    app_id: &'a str,
    client_app_id: &'a str,
    external_access: bool,
    organization_name: &'a str,
    originating_server: &'a str,
    parameters: Vec<NameValue<'a>>,
    session_id: Guid,
}

fn write_cmdlet<W: std::io::Write>(
    ctx: &Context<'_>,
    user: &User,
    id: Guid,
    time: i64,
    event: &Exchange,
    cmdlet: &Cmdlet,
    out: W,
) -> serde_json::Result<()> {
    let record = CmdletRecord {
        common: Common {
            creation_time: AuditTime(time),
            id,
            operation: cmdlet.operation,
            organization_id: ctx.tenant_id,
            record_type: 1,
            result_status: Some("True"),
            user_key: user.puid_hex.clone(),
            user_type: if user.admin { 2 } else { 0 },
            version: 1,
            workload: "Exchange",
            client_ip: Some(with_port(event.ip, event.port)),
            object_id: Some(cmdlet.object_id.clone()),
            user_id: &user.user_principal_name,
        },
        app_id: "",
        client_app_id: "",
        external_access: false,
        organization_name: ctx.initial_domain,
        originating_server: &user.mailbox_server,
        parameters: cmdlet
            .parameters
            .iter()
            .map(|(name, value)| NameValue { name, value })
            .collect(),
        session_id: derived(id, 1),
    };
    serde_json::to_writer(out, &record)
}

/// The mailbox-audit fields every `ExchangeItem*` record carries.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Mailbox<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    app_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_app_id: Option<&'a str>,
    #[serde(rename = "ClientIPAddress")]
    client_ip_address: String,
    client_info_string: String,
    external_access: bool,
    internal_logon_type: u8,
    logon_type: u8,
    logon_user_sid: &'a str,
    mailbox_guid: Guid,
    mailbox_owner_sid: &'a str,
    #[serde(rename = "MailboxOwnerUPN")]
    mailbox_owner_upn: &'a str,
    organization_name: &'a str,
    originating_server: &'a str,
}

fn mailbox_common<'a>(
    ctx: &Context<'a>,
    user: &'a User,
    id: Guid,
    time: i64,
    event: &Exchange,
    operation: &'a str,
    record_type: u32,
) -> Common<'a> {
    Common {
        creation_time: AuditTime(time),
        id,
        operation,
        organization_id: ctx.tenant_id,
        record_type,
        result_status: Some("Succeeded"),
        user_key: user.puid_hex.clone(),
        user_type: 0,
        version: 1,
        workload: "Exchange",
        client_ip: Some(event.ip.to_string()),
        object_id: None,
        user_id: &user.user_principal_name,
    }
}

fn mailbox<'a>(
    ctx: &Context<'a>,
    user: &'a User,
    event: &Exchange,
    client: MailClient,
) -> Mailbox<'a> {
    let (client_info, app): (String, Option<&'static str>) = match client {
        MailClient::Outlook(platform) => (
            platform.outlook_client_info.to_owned(),
            Some(crate::apps::MICROSOFT_OFFICE.id),
        ),
        MailClient::Owa(platform) => (
            format!("Client=OWA;Action=ViaProxy;{}", platform.user_agent),
            Some(crate::apps::EXCHANGE_ONLINE.id),
        ),
        MailClient::Mobile(platform) => (
            platform.outlook_client_info.to_owned(),
            Some(crate::apps::OUTLOOK_MOBILE.id),
        ),
        MailClient::App(app) => ("Client=REST;Client=RESTSystem;;".to_owned(), Some(app.id)),
    };
    Mailbox {
        app_id: matches!(client, MailClient::App(_))
            .then_some(app)
            .flatten(),
        client_app_id: app,
        client_ip_address: event.ip.to_string(),
        client_info_string: client_info,
        external_access: false,
        internal_logon_type: 0,
        logon_type: 0,
        logon_user_sid: &user.sid,
        mailbox_guid: user.mailbox_guid,
        mailbox_owner_sid: &user.sid,
        mailbox_owner_upn: &user.user_principal_name,
        organization_name: ctx.initial_domain,
        originating_server: &user.mailbox_server,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Folder<'a> {
    id: &'a str,
    path: &'a str,
}

/// Returns an `InternetMessageId` derived from the record id and the mailbox server.
fn message_id(id: Guid, user: &User) -> String {
    let server = user
        .mailbox_server
        .split(' ')
        .next()
        .unwrap_or("AM9PR04MB0000");
    let region = if server.starts_with("BN") {
        "namprd04"
    } else {
        "eurprd04"
    };
    format!(
        "<{server}{:024X}@{server}.{region}.prod.outlook.com>",
        id.0 >> 32
    )
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Item<'a> {
    id: String,
    internet_message_id: String,
    parent_folder: Folder<'a>,
    size_in_bytes: u32,
    subject: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    attachments: Option<&'a str>,
}

#[derive(Serialize)]
struct SendRecord<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    #[serde(flatten)]
    mailbox: Mailbox<'a>,
    #[serde(rename = "Item")]
    item: Item<'a>,
}

fn write_send<W: std::io::Write>(
    ctx: &Context<'_>,
    user: &User,
    id: Guid,
    time: i64,
    event: &Exchange,
    send: &Send,
    out: W,
) -> serde_json::Result<()> {
    let record = SendRecord {
        common: mailbox_common(ctx, user, id, time, event, "Send", 2),
        mailbox: mailbox(ctx, user, event, send.client),
        item: Item {
            id: format!("RgAAAAD{:032X}", derived(id, 2).0),
            internet_message_id: message_id(id, user),
            parent_folder: Folder {
                id: exchange_folder_id("\\Sent Items"),
                path: "\\Sent Items",
            },
            size_in_bytes: send.size,
            subject: &send.subject,
            attachments: send.attachments.as_deref(),
        },
    };
    serde_json::to_writer(out, &record)
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct FolderItem {
    internet_message_id: String,
    size_in_bytes: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AccessedFolder<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    folder_items: Vec<FolderItem>,
    id: &'a str,
    path: &'a str,
}

#[derive(Serialize)]
struct AccessRecord<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    #[serde(flatten)]
    mailbox: Mailbox<'a>,
    #[serde(rename = "Folders")]
    folders: Vec<AccessedFolder<'a>>,
    #[serde(rename = "OperationCount")]
    operation_count: u32,
    #[serde(rename = "OperationProperties")]
    operation_properties: [NameValue<'a>; 2],
}

fn write_access<W: std::io::Write>(
    ctx: &Context<'_>,
    user: &User,
    id: Guid,
    time: i64,
    event: &Exchange,
    access: &Access,
    out: W,
) -> serde_json::Result<()> {
    let mut counter = 0u128;
    let folders: Vec<AccessedFolder<'_>> = access
        .folders
        .iter()
        .map(|(path, items)| AccessedFolder {
            folder_items: (0..*items)
                .map(|_| {
                    counter += 1;
                    FolderItem {
                        internet_message_id: message_id(derived(id, 100 + counter), user),
                        size_in_bytes: 9_000 + (counter as u32 * 7_919) % 90_000,
                    }
                })
                .collect(),
            id: exchange_folder_id(path),
            path,
        })
        .collect();
    let count = if access.sync {
        folders.len() as u32
    } else {
        counter as u32
    };
    let record = AccessRecord {
        common: mailbox_common(ctx, user, id, time, event, "MailItemsAccessed", 50),
        mailbox: mailbox(ctx, user, event, access.client),
        folders,
        operation_count: count.max(1),
        operation_properties: [
            NameValue {
                name: "MailAccessType",
                value: if access.sync { "Sync" } else { "Bind" },
            },
            NameValue {
                name: "IsThrottled",
                value: if access.throttled { "True" } else { "False" },
            },
        ],
    };
    serde_json::to_writer(out, &record)
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AffectedItem<'a> {
    id: String,
    internet_message_id: String,
    parent_folder: Folder<'a>,
}

#[derive(Serialize)]
struct DeleteRecord<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    #[serde(flatten)]
    mailbox: Mailbox<'a>,
    #[serde(rename = "AffectedItems")]
    affected_items: Vec<AffectedItem<'a>>,
    #[serde(rename = "Folder")]
    folder: Folder<'a>,
    #[serde(rename = "DestFolder", skip_serializing_if = "Option::is_none")]
    dest_folder: Option<Folder<'a>>,
}

fn write_delete<W: std::io::Write>(
    ctx: &Context<'_>,
    user: &User,
    id: Guid,
    time: i64,
    event: &Exchange,
    (operation, client, folder, items): (&'static str, MailClient, &'static str, u16),
    out: W,
) -> serde_json::Result<()> {
    let affected = (0..u128::from(items))
        .map(|index| AffectedItem {
            id: format!("RgAAAAD{:032X}", derived(id, 10 + index).0),
            internet_message_id: message_id(derived(id, 20 + index), user),
            parent_folder: Folder {
                id: exchange_folder_id(folder),
                path: folder,
            },
        })
        .collect();
    let moved = operation == "MoveToDeletedItems";
    let record = DeleteRecord {
        common: mailbox_common(ctx, user, id, time, event, operation, 3),
        mailbox: mailbox(ctx, user, event, client),
        affected_items: affected,
        folder: Folder {
            id: exchange_folder_id(folder),
            path: folder,
        },
        dest_folder: moved.then(|| Folder {
            id: exchange_folder_id("\\Deleted Items"),
            path: "\\Deleted Items",
        }),
    };
    serde_json::to_writer(out, &record)
}

#[derive(Serialize)]
struct IdType<'a> {
    #[serde(rename = "ID")]
    id: &'a str,
    #[serde(rename = "Type")]
    kind: u8,
}

#[derive(Serialize)]
struct ModifiedProperty<'a> {
    #[serde(rename = "Name")]
    name: &'a str,
    #[serde(rename = "NewValue")]
    new_value: &'a str,
    #[serde(rename = "OldValue")]
    old_value: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AadRecord<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    azure_active_directory_event_type: u8,
    extended_properties: Vec<NameValue<'a>>,
    modified_properties: Vec<ModifiedProperty<'a>>,
    actor: Vec<IdType<'a>>,
    actor_context_id: &'a str,
    inter_systems_id: Guid,
    intra_system_id: Guid,
    support_ticket_id: &'a str,
    target: Vec<IdType<'a>>,
    target_context_id: &'a str,
}

/// Writes the record of an Entra directory change.
pub(crate) fn directory_audit<W: std::io::Write>(
    ctx: &Context<'_>,
    id: Guid,
    time: i64,
    audit: &AadAudit,
    out: W,
) -> serde_json::Result<()> {
    let (user_id, user_key, actor_pairs) = match audit.actor {
        AadActor::User(index) => {
            let user = ctx.user(index);
            let pairs = vec![
                (user.user_principal_name.clone(), 5),
                (format!("{:016X}", user.puid), 3),
                (format!("User_{}", user.object_id), 2),
                (user.object_id.to_string(), 2),
                ("User".to_owned(), 2),
            ];
            (
                user.user_principal_name.as_str(),
                format!("{:016X}@{}", user.puid, ctx.domain),
                pairs,
            )
        }
    };
    let record = AadRecord {
        common: Common {
            creation_time: AuditTime(time),
            id,
            operation: audit.operation,
            organization_id: ctx.tenant_id,
            record_type: 8,
            result_status: Some("Success"),
            user_key,
            user_type: 0,
            version: 1,
            workload: "AzureActiveDirectory",
            client_ip: None,
            object_id: Some(audit.object_id.clone()),
            user_id,
        },
        azure_active_directory_event_type: 1,
        extended_properties: audit
            .extended
            .iter()
            .map(|(name, value)| NameValue { name, value })
            .collect(),
        modified_properties: audit
            .modified
            .iter()
            .map(|(name, new_value, old_value)| ModifiedProperty {
                name,
                new_value,
                old_value,
            })
            .collect(),
        actor: actor_pairs
            .iter()
            .map(|(id, kind)| IdType { id, kind: *kind })
            .collect(),
        actor_context_id: ctx.tenant_id,
        inter_systems_id: derived(id, 3),
        intra_system_id: derived(id, 4),
        support_ticket_id: "",
        target: audit
            .target
            .iter()
            .map(|(id, kind)| IdType { id, kind: *kind })
            .collect(),
        target_context_id: ctx.tenant_id,
    };
    serde_json::to_writer(out, &record)
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct FileRecord<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    correlation_id: Guid,
    event_source: &'a str,
    item_type: &'a str,
    list_id: Guid,
    list_item_unique_id: Guid,
    site: Guid,
    user_agent: &'a str,
    web_id: Guid,
    source_file_extension: &'a str,
    site_url: &'a str,
    source_file_name: &'a str,
    source_relative_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_user_or_group_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_user_or_group_type: Option<&'a str>,
}

/// Writes the record of a SharePoint or OneDrive file operation.
pub(crate) fn sharepoint<W: std::io::Write>(
    ctx: &Context<'_>,
    id: Guid,
    time: i64,
    file: &SharePoint,
    out: W,
) -> serde_json::Result<()> {
    let user = ctx.user(file.user);
    let (workload, site_url) = match file.library {
        Library::TeamSite(site) => (
            "SharePoint",
            format!("https://{}/sites/{site}/", ctx.sharepoint_host),
        ),
        Library::OneDrive(owner) => {
            let owner = ctx.user(owner);
            let path = owner.user_principal_name.replace(['.', '@'], "_");
            (
                "OneDrive",
                format!("https://{}/personal/{path}/", ctx.onedrive_host),
            )
        }
    };
    let relative = format!("{}/{}", file.folder, file.file_name);
    let object_id = format!("{site_url}{relative}");
    let extension = file
        .file_name
        .rsplit_once('.')
        .map_or("", |(_, extension)| extension);
    let sharing = file.shared_with.as_ref();
    let record = FileRecord {
        common: Common {
            creation_time: AuditTime(time),
            id,
            operation: file.operation,
            organization_id: ctx.tenant_id,
            record_type: if sharing.is_some() { 14 } else { 6 },
            result_status: None,
            user_key: format!("i:0h.f|membership|{:016x}@live.com", user.puid),
            user_type: 0,
            version: 1,
            workload,
            client_ip: Some(file.ip.to_string()),
            object_id: Some(object_id),
            user_id: &user.user_principal_name,
        },
        correlation_id: derived(id, 5),
        event_source: "SharePoint",
        item_type: "File",
        list_id: named_guid(&format!("{site_url}list")),
        list_item_unique_id: named_guid(&relative),
        site: named_guid(&site_url),
        user_agent: file.platform.user_agent,
        web_id: named_guid(&format!("{site_url}web")),
        source_file_extension: extension,
        site_url: &site_url,
        source_file_name: &file.file_name,
        source_relative_url: file.folder,
        target_user_or_group_name: sharing.map(|(with, _)| with.as_str()),
        target_user_or_group_type: sharing.map(|(_, kind)| *kind),
    };
    serde_json::to_writer(out, &record)
}
