//! SharePoint and OneDrive operations of the unified audit log.
//!
//! File and sharing records share one shape: the file's URL in `ObjectId` (`OfficeObjectId` in Sentinel),
//! its name in `SourceFileName`, the site in `SiteUrl` (`Site_Url` in Sentinel), and for sharing the
//! recipient in `TargetUserOrGroupName` / `TargetUserOrGroupType` or `UserSharedWith` / `SharingType`.

use harrier_model::{Activity, FileAction, FileActivity};

use crate::fields::Fields;

/// Returns the typed activity for a SharePoint or OneDrive operation, or `None` to keep it as a generic event.
pub(super) fn activity(operation: &str, record: Fields<'_>) -> Option<Activity> {
    let operation = operation.trim().to_ascii_lowercase();
    let action = file_action(&operation)?;
    let mut file = FileActivity {
        action,
        url: text(record, &["ObjectId", "OfficeObjectId"]),
        file_name: text(record, &["SourceFileName"]),
        site_url: text(record, &["SiteUrl", "Site_Url"]),
        shared_with: None,
        sharing_type: None,
    };
    if action == FileAction::Shared {
        file.shared_with = text(record, &["TargetUserOrGroupName", "UserSharedWith"]).map(address_key);
        file.sharing_type = text(record, &["TargetUserOrGroupType", "SharingType"]);
        // Anonymous links name no recipient, so the operation is the only source of the sharing type.
        if file.sharing_type.is_none() && operation.starts_with("anonymouslink") {
            file.sharing_type = Some("Anonymous".to_owned());
        }
    }
    Some(Activity::File(file))
}

/// Maps a lower-cased operation to what it did to the file. Returns `None` for list, page, site and
/// permission-level operations and for link removals, which neither access a file nor grant access.
pub(super) fn file_action(operation: &str) -> Option<FileAction> {
    let action = match operation {
        "fileaccessed" | "fileaccessedextended" | "filepreviewed" => FileAction::Accessed,
        "filedownloaded" | "filesyncdownloadedfull" | "filesyncdownloadedpartial" => FileAction::Downloaded,
        "fileuploaded" | "filesyncuploadedfull" | "filesyncuploadedpartial" => FileAction::Uploaded,
        "filemodified" | "filemodifiedextended" => FileAction::Modified,
        "filedeleted" | "filerecycled" | "filedeletedfirststagerecyclebin" | "filedeletedsecondstagerecyclebin" => {
            FileAction::Deleted
        }
        "sharingset"
        | "sharinginvitationcreated"
        | "sharinginvitationaccepted"
        | "sharinginvitationupdated"
        | "accessinvitationcreated"
        | "accessinvitationaccepted"
        | "addedtosecurelink"
        | "securelinkcreated"
        | "securelinkupdated"
        | "securelinkused"
        | "anonymouslinkcreated"
        | "anonymouslinkupdated"
        | "anonymouslinkused"
        | "companylinkcreated"
        | "companylinkused"
        | "sharinglinkcreated"
        | "sharinglinkused" => FileAction::Shared,
        _ => return None,
    };
    Some(action)
}

/// Lower-cases an address so one user has one key. Group names and sharing-link ids stay as written.
fn address_key(name: String) -> String {
    if name.contains('@') && !name.contains(char::is_whitespace) { name.to_lowercase() } else { name }
}

/// Returns the first of `names` that is present, trimmed.
fn text(record: Fields<'_>, names: &[&str]) -> Option<String> {
    let value = record.text_any(names)?;
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}
