//! SharePoint and OneDrive file and sharing operations of the unified audit log.

mod common;

use common::{fixture, read, temp_file, with_operation};
use harrier_model::{Activity, FileAction, FileActivity, Record};

fn file(record: &Record) -> &FileActivity {
    match &record.event.activity {
        Activity::File(file) => file,
        other => panic!("{}: expected a file activity, got {other:?}", record.event.operation),
    }
}

fn by_id<'r>(records: &'r [Record], id: &str) -> &'r Record {
    let key = format!("ma:{id}");
    records.iter().find(|r| r.event.record_id == key).unwrap_or_else(|| panic!("no record with id {id}"))
}

#[test]
fn panther_secure_link_sharing() {
    let (records, skips) = read(&fixture("saas/panther-tests/Microsoft365_Audit_SharePoint.tests.jsonl"));
    assert!(skips.is_empty(), "{skips:?}");
    assert_eq!(records.len(), 5);
    assert!(records.iter().all(|r| file(r).action == FileAction::Shared));

    let external = file(&records[3]);
    assert_eq!(external.shared_with.as_deref(), Some("outsider@external.io"));
    assert_eq!(external.sharing_type.as_deref(), Some("Guest"));
    assert_eq!(
        external.url.as_deref(),
        Some("https://yourorg.sharepoint.com/personal/user_yourorg/Documents/importantsecrets.docx")
    );
    assert_eq!(external.file_name.as_deref(), Some("importantsecrets.docx"));
    assert_eq!(external.site_url.as_deref(), Some("https://yourorg.sharepoint.com/personal/user_yourorg"));

    let internal = file(&records[4]);
    assert_eq!(internal.shared_with.as_deref(), Some("anotheruser@mycompany.com"));
    assert_eq!(internal.sharing_type.as_deref(), Some("NotGuest"));
}

#[test]
fn sentinel_file_and_sharing_rows() {
    let (records, skips) = read(&fixture("saas/sentinel-training-lab/office_activity.csv"));
    assert!(skips.is_empty(), "{skips:?}");

    let files: Vec<&FileActivity> = records
        .iter()
        .filter_map(|r| match &r.event.activity {
            Activity::File(file) => Some(file),
            _ => None,
        })
        .collect();
    let count = |action: FileAction| files.iter().filter(|f| f.action == action).count();
    assert_eq!(files.len(), 102);
    assert_eq!(count(FileAction::Accessed), 78);
    assert_eq!(count(FileAction::Downloaded), 2);
    assert_eq!(count(FileAction::Uploaded), 8);
    assert_eq!(count(FileAction::Modified), 7);
    assert_eq!(count(FileAction::Deleted), 1);
    assert_eq!(count(FileAction::Shared), 6);

    let deleted = file(by_id(&records, "56dab345-b820-4018-489b-08d90a5442ac"));
    assert_eq!(deleted.action, FileAction::Deleted);
    assert_eq!(deleted.file_name.as_deref(), Some("Timesheet_AdeleV.xlsx"));
    assert_eq!(
        deleted.url.as_deref(),
        Some(
            "https://m365x816222-my.sharepoint.com/personal/adelev_m365x816222_onmicrosoft_com/Documents/Timesheet_AdeleV.xlsx"
        )
    );
    assert_eq!(
        deleted.site_url.as_deref(),
        Some("https://m365x816222-my.sharepoint.com/personal/adelev_m365x816222_onmicrosoft_com/")
    );

    let anonymous = file(by_id(&records, "51bc597a-c8cf-41d1-ac7f-08d90a5418fc"));
    assert_eq!(anonymous.action, FileAction::Shared);
    assert_eq!(anonymous.sharing_type.as_deref(), Some("Anonymous"));
    assert_eq!(anonymous.shared_with, None);
    assert_eq!(anonymous.file_name.as_deref(), Some("Contoso Purchasing Data - Q1.xlsx"));

    let link_group = file(by_id(&records, "de5c60c3-0c85-41c1-4f8c-08d90a54187e"));
    assert_eq!(
        link_group.shared_with.as_deref(),
        Some("SharingLinks.c15e9245-9033-4eb7-9e2a-9c277fdfa8cd.AnonymousEdit.b7617884-851c-4d88-94fe-a5b9c5dde90c")
    );
    assert_eq!(link_group.sharing_type.as_deref(), Some("SharePointGroup"));

    let company = with_operation(&records, "CompanyLinkCreated");
    assert_eq!(company.len(), 1);
    assert_eq!(file(company[0]).action, FileAction::Shared);
    assert_eq!(file(company[0]).sharing_type, None);

    let page_views = with_operation(&records, "PageViewed");
    assert_eq!(page_views.len(), 28);
    assert!(page_views.iter().all(|r| r.event.kind() == "other"));
}

#[test]
fn synthetic_sync_recycle_and_links() {
    let (records, skips) = read(&fixture("saas/synthetic/management_activity_sharepoint.jsonl"));
    assert!(skips.is_empty(), "{skips:?}");
    assert_eq!(records.len(), 9);

    let actions: Vec<Option<FileAction>> = records
        .iter()
        .map(|r| match &r.event.activity {
            Activity::File(file) => Some(file.action),
            _ => None,
        })
        .collect();
    assert_eq!(
        actions,
        vec![
            Some(FileAction::Downloaded),
            Some(FileAction::Uploaded),
            Some(FileAction::Deleted),
            Some(FileAction::Shared),
            Some(FileAction::Shared),
            Some(FileAction::Shared),
            Some(FileAction::Accessed),
            Some(FileAction::Modified),
            None,
        ]
    );

    let invitation = file(&records[3]);
    assert_eq!(invitation.shared_with.as_deref(), Some("partner@mail.example.net"));
    assert_eq!(invitation.sharing_type.as_deref(), Some("Guest"));

    let anonymous = file(&records[4]);
    assert_eq!(anonymous.sharing_type.as_deref(), Some("Anonymous"));

    let secure_link = file(&records[5]);
    assert_eq!(secure_link.shared_with.as_deref(), Some("auditor@mail.example.net"));
    assert_eq!(secure_link.sharing_type.as_deref(), Some("Guest"));
    assert_eq!(
        secure_link.site_url.as_deref(),
        Some("https://contoso-my.sharepoint.com/personal/megan_bowen_contoso_onmicrosoft_com/")
    );

    let downloaded = file(&records[0]);
    assert_eq!(downloaded.shared_with, None);
    assert_eq!(downloaded.file_name.as_deref(), Some("Payroll 2024.xlsx"));
}

#[test]
fn operation_names_ignore_case() {
    let line = concat!(
        r#"{"creationtime":"2024-03-14T11:00:00","id":"s-1","operation":"FILEDOWNLOADED","workload":"sharepoint","#,
        r#""objectid":"https://contoso.sharepoint.com/sites/a/b.docx","sourcefilename":"b.docx","siteurl":"https://contoso.sharepoint.com/sites/a"}"#,
        "\n"
    );
    let (_dir, path) = temp_file("lower.jsonl", line.as_bytes());
    let (records, skips) = read(&path);
    assert!(skips.is_empty(), "{skips:?}");
    let downloaded = file(&records[0]);
    assert_eq!(downloaded.action, FileAction::Downloaded);
    assert_eq!(downloaded.url.as_deref(), Some("https://contoso.sharepoint.com/sites/a/b.docx"));
    assert_eq!(downloaded.file_name.as_deref(), Some("b.docx"));
    assert_eq!(downloaded.site_url.as_deref(), Some("https://contoso.sharepoint.com/sites/a"));
}
