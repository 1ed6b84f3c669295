//! Exchange Online operations of the unified audit log, read from real and synthetic fixtures.

mod common;

use common::{fixture, read, temp_file, with_operation};
use harrier_model::{
    Activity, Change, InboxRule, MailItemsAccessed, MailSent, MailboxForwarding, MailboxPermission, Record, RuleAction,
    RuleConditions, SourceFormat, TransportRule,
};
use jiff::Timestamp;

fn inbox_rule(record: &Record) -> &InboxRule {
    match &record.event.activity {
        Activity::InboxRule(rule) => rule,
        other => panic!("{}: expected an inbox rule, got {other:?}", record.event.operation),
    }
}

fn forwarding(record: &Record) -> &MailboxForwarding {
    match &record.event.activity {
        Activity::MailboxForwarding(forwarding) => forwarding,
        other => panic!("{}: expected mailbox forwarding, got {other:?}", record.event.operation),
    }
}

fn transport_rule(record: &Record) -> &TransportRule {
    match &record.event.activity {
        Activity::TransportRule(rule) => rule,
        other => panic!("{}: expected a transport rule, got {other:?}", record.event.operation),
    }
}

fn permission(record: &Record) -> &MailboxPermission {
    match &record.event.activity {
        Activity::MailboxPermission(permission) => permission,
        other => panic!("{}: expected a mailbox permission, got {other:?}", record.event.operation),
    }
}

fn mail_sent(record: &Record) -> &MailSent {
    match &record.event.activity {
        Activity::MailSent(sent) => sent,
        other => panic!("{}: expected mail sent, got {other:?}", record.event.operation),
    }
}

fn mail_items_accessed(record: &Record) -> &MailItemsAccessed {
    match &record.event.activity {
        Activity::MailItemsAccessed(accessed) => accessed,
        other => panic!("{}: expected mail items accessed, got {other:?}", record.event.operation),
    }
}

/// Returns the record whose source id is `id`.
fn by_id<'r>(records: &'r [Record], id: &str) -> &'r Record {
    let key = format!("ma:{id}");
    records.iter().find(|r| r.event.record_id == key).unwrap_or_else(|| panic!("no record with id {id}"))
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn timestamp(text: &str) -> Timestamp {
    text.parse().unwrap()
}

// Real records: the two malicious New-InboxRule rows of Microsoft's Sentinel training lab.

#[test]
fn sentinel_inbox_rules_parsed_exactly() {
    let (records, skips) = read(&fixture("saas/sentinel-training-lab/office_activity_inbox_rule.csv"));
    assert!(skips.is_empty(), "{skips:?}");
    assert_eq!(records.len(), 2);

    let junk = inbox_rule(&records[0]);
    assert_eq!(records[0].event.format, SourceFormat::SentinelOfficeActivity);
    assert_eq!(records[0].event.time, timestamp("2021-04-26T07:17:10Z"));
    assert_eq!(records[0].event.record_id, "ma:d28096ba-03b1-4c2a-1503-08d908826606");
    assert_eq!(records[0].event.actor.user.as_deref(), Some("adelev@contoso.onmicrosoft.com"));
    assert_eq!(records[0].event.client.ip, Some("2a01:110:8068:7:9bf8:aa87:e00a:5f1f".parse().unwrap()));
    assert_eq!(junk.change, Change::Created);
    assert!(!junk.from_client);
    assert_eq!(junk.name.as_deref(), Some("rule2"));
    assert_eq!(junk.mailbox.as_deref(), Some("adelev"));
    assert_eq!(junk.conditions, RuleConditions { subject_contains: strings(&["do not open"]), ..Default::default() });
    assert_eq!(junk.actions, vec![RuleAction::MoveToFolder("Junk Email".into()), RuleAction::StopProcessing]);

    let delete = inbox_rule(&records[1]);
    assert_eq!(records[1].event.time, timestamp("2021-04-26T06:37:32Z"));
    assert_eq!(delete.name.as_deref(), Some("my_rule1"));
    assert_eq!(delete.mailbox.as_deref(), Some("adelev"));
    assert_eq!(delete.conditions, RuleConditions { body_contains: strings(&["covid-19"]), ..Default::default() });
    assert_eq!(delete.actions, vec![RuleAction::SoftDelete, RuleAction::StopProcessing]);
}

#[test]
fn sentinel_office_activity_exchange_rows() {
    let (records, skips) = read(&fixture("saas/sentinel-training-lab/office_activity.csv"));
    assert!(skips.is_empty(), "{skips:?}");

    let rules = with_operation(&records, "New-InboxRule");
    assert_eq!(rules.len(), 1);
    let rule = inbox_rule(rules[0]);
    assert_eq!(rule.name.as_deref(), Some("junk"));
    assert_eq!(rule.mailbox.as_deref(), Some("adelev"));
    assert_eq!(rule.conditions.subject_contains, strings(&["legal"]));
    assert_eq!(rule.actions, vec![RuleAction::Other("PinMessage=True".into()), RuleAction::StopProcessing]);

    let sent = mail_sent(by_id(&records, "c8b6ba59-89e6-43f7-8e10-08d90a527ca9"));
    assert_eq!(sent.send_type, "Send");
    assert_eq!(sent.subject.as_deref(), Some("email from HR"));
    assert_eq!(
        sent.internet_message_id.as_deref(),
        Some("<MWHPR06MB3440F17C12BF790009F16851D9409@MWHPR06MB3440.namprd06.prod.outlook.com>")
    );
    assert_eq!(sent.mailbox, None);
    assert_eq!(sent.recipients, None);

    let folder = permission(by_id(&records, "16509af4-82ea-4c4f-0a65-08d90a512428"));
    assert_eq!(folder.change, Change::Modified);
    assert_eq!(folder.mailbox.as_deref(), Some("teams-public@m365x816222.onmicrosoft.com"));
    assert_eq!(folder.grantee.as_deref(), Some("owner@local"));
    assert_eq!(folder.folder.as_deref(), Some("Calendar"));
    assert_eq!(folder.access_rights.len(), 9);
    assert_eq!(folder.access_rights[0], "ReadAny");

    let item_counts: Vec<Option<u32>> = [
        "2ad854c0-d9c3-43b5-95d8-826aea0d10ca",
        "82090d3a-0ed7-4bb6-8fc4-330415f4808d",
        "987a6a22-4008-4682-bf04-fccf5e7e6d6c",
    ]
    .iter()
    .map(|id| mail_items_accessed(by_id(&records, id)).items)
    .collect();
    assert_eq!(item_counts, vec![Some(3), Some(1), Some(10)]);
    let accessed = mail_items_accessed(by_id(&records, "2ad854c0-d9c3-43b5-95d8-826aea0d10ca"));
    assert_eq!(accessed.client_app_id.as_deref(), Some("3c8e478f-21ca-493a-b87c-c7366d664d54"));
    assert_eq!(accessed.access_type.as_deref(), Some("Bind"));
    assert!(!accessed.throttled);
}

#[test]
fn otrf_mail_items_accessed() {
    let (records, skips) = read(&fixture("saas/otrf-goldensaml/OfficeActivityEvents.json"));
    assert!(skips.is_empty(), "{skips:?}");
    assert_eq!(records.len(), 1);
    let accessed = mail_items_accessed(&records[0]);
    assert_eq!(accessed.items, Some(7));
    assert_eq!(accessed.access_type.as_deref(), Some("Bind"));
    assert!(!accessed.throttled);
    assert_eq!(accessed.client_app_id.as_deref(), Some("5a95e683-08ad-424e-a441-1d1aec52c02c"));
    assert_eq!(accessed.mailbox.as_deref(), Some("pgustavo@simulandlabs.com"));
    assert_eq!(records[0].event.actor.app_id.as_deref(), Some("00000003-0000-0000-c000-000000000000"));
}

// Real records: Panther's rule tests, whose Microsoft 365 logs have lower-cased keys.

/// Returns each Panther test case's name with the record read from it, in file order.
fn panther_cases(file: &str) -> Vec<(String, Record)> {
    let path = fixture(file);
    let (records, skips) = read(&path);
    assert!(skips.is_empty(), "{skips:?}");
    let names: Vec<String> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["test_name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), records.len());
    names.into_iter().zip(records).collect()
}

fn panther_case<'c>(cases: &'c [(String, Record)], name: &str) -> &'c Record {
    cases.iter().find(|(test, _)| test == name).map(|(_, record)| record).unwrap_or_else(|| panic!("no case {name}"))
}

#[test]
fn panther_mailbox_forwarding() {
    let cases = panther_cases("saas/panther-tests/Microsoft365_Audit_Exchange.tests.jsonl");
    assert_eq!(cases.len(), 10);
    let forwarding_cases = cases.iter().filter(|(_, r)| r.event.kind() == "mailbox_forwarding").count();
    assert_eq!(forwarding_cases, 7);

    let external = panther_case(&cases, "External Organization Forwarding");
    assert_eq!(external.event.format, SourceFormat::ManagementActivity);
    assert_eq!(external.event.time, timestamp("2022-12-12T22:19:00Z"));
    assert_eq!(
        forwarding(external),
        &MailboxForwarding {
            mailbox: Some("homer.simpson@simpsons.onmicrosoft.com".into()),
            forward_to: Some("peter.griffin@familyguy.com".into()),
            deliver_and_forward: Some(false),
            cleared: false,
        }
    );

    let internal = forwarding(panther_case(&cases, "Internal Organization Forwarding"));
    assert_eq!(internal.mailbox.as_deref(), Some("marge.simpson@simpsons.onmicrosoft.com"));
    assert_eq!(internal.forward_to.as_deref(), Some("marge.simpson@simpsons.com"));
    assert_eq!(internal.deliver_and_forward, Some(true));

    let path_identity = forwarding(panther_case(&cases, "Missing Organization Name"));
    assert_eq!(path_identity.mailbox.as_deref(), Some("homer.simpson"));
    assert_eq!(path_identity.forward_to.as_deref(), Some("hello@familyguy.com"));
}

#[test]
fn panther_inbox_rules() {
    let cases = panther_cases("saas/panther-tests/Microsoft365_Audit_Exchange.tests.jsonl");

    let delete_and_forward = inbox_rule(panther_case(&cases, "Suspicious Forwarding Pattern"));
    assert_eq!(delete_and_forward.name.as_deref(), Some("Delete and Forward Rule"));
    assert_eq!(delete_and_forward.mailbox.as_deref(), Some("homer.simpson@simpsons.onmicrosoft.com"));
    assert_eq!(
        delete_and_forward.actions,
        vec![
            RuleAction::ForwardTo(strings(&["external@example.com"])),
            RuleAction::SoftDelete,
            RuleAction::StopProcessing
        ]
    );

    let multiple = inbox_rule(panther_case(&cases, "Multiple Forwarding Addresses"));
    assert_eq!(
        multiple.actions,
        vec![RuleAction::ForwardTo(strings(&[
            "external1@example.com",
            "external2@example.com",
            "external3@example.com"
        ]))]
    );
    assert_eq!(multiple.conditions.other, strings(&["DeliverToMailboxAndForward=False"]));

    let folder_case = panther_case(&cases, "Internal Forwarding with Suspicious Pattern");
    assert_eq!(folder_case.event.time, timestamp("2025-07-07T09:11:11Z"));
    assert_eq!(folder_case.event.client.ip, Some("1.2.3.4".parse().unwrap()));
    let folder = inbox_rule(folder_case);
    assert_eq!(folder.name.as_deref(), Some("Move emails to another folder"));
    assert_eq!(folder.mailbox.as_deref(), Some("444-55-66"));
    assert_eq!(folder.conditions.from_address_contains, strings(&["specialsender"]));
    assert_eq!(folder.actions, vec![RuleAction::MoveToFolder("MYFolder".into()), RuleAction::StopProcessing]);
}

// Synthetic records in Microsoft's documented shapes.

fn synthetic_exchange() -> Vec<Record> {
    let (records, skips) = read(&fixture("saas/synthetic/management_activity_exchange.json"));
    assert!(skips.is_empty(), "{skips:?}");
    assert_eq!(records.len(), 24);
    records
}

#[test]
fn purview_exchange_records() {
    let (records, skips) = read(&fixture("saas/synthetic/purview_audit_search.csv"));
    assert!(skips.is_empty(), "{skips:?}");
    assert_eq!(
        common::kinds(&records),
        vec!["inbox_rule", "mailbox_forwarding", "transport_rule", "mail_sent", "file"]
    );
    assert!(records.iter().all(|r| r.event.format == SourceFormat::ManagementActivity));

    let rule = inbox_rule(&records[0]);
    assert_eq!(rule.name.as_deref(), Some("s"));
    assert_eq!(rule.mailbox.as_deref(), Some("meganb"));
    assert_eq!(rule.conditions.from, strings(&["ap@fabrikam.example"]));
    assert_eq!(rule.conditions.subject_or_body_contains, strings(&["invoice", "payment", "wire transfer"]));
    assert_eq!(
        rule.actions,
        vec![RuleAction::MoveToFolder("RSS Subscription".into()), RuleAction::MarkAsRead, RuleAction::StopProcessing]
    );

    let forwarding = forwarding(&records[1]);
    assert_eq!(forwarding.mailbox.as_deref(), Some("megan.bowen@contoso.onmicrosoft.com"));
    assert_eq!(forwarding.forward_to.as_deref(), Some("collector@mail.example.net"));
    assert_eq!(forwarding.deliver_and_forward, Some(true));
    assert!(!forwarding.cleared);

    let transport = transport_rule(&records[2]);
    assert_eq!(transport.change, Change::Created);
    assert_eq!(transport.name.as_deref(), Some("Compliance copy"));
    assert_eq!(transport.blind_copy_to, strings(&["archive@mail.example.net"]));
    assert_eq!(transport.set_audit_severity.as_deref(), Some("DoNotAudit"));
    assert_eq!(transport.other, strings(&["SentToScope=NotInOrganization", "Priority=0"]));

    let sent = mail_sent(&records[3]);
    assert_eq!(sent.send_type, "Send");
    assert_eq!(sent.subject.as_deref(), Some("Updated bank details for invoice 4471"));
    assert_eq!(
        sent.internet_message_id.as_deref(),
        Some("<BN0PR04MB8001A1B2C3D4E5F6A7B8C9D0E1F2@BN0PR04MB8001.namprd04.prod.outlook.com>")
    );
}

#[test]
fn inbox_rule_cmdlets() {
    let records = synthetic_exchange();

    let set = inbox_rule(by_id(&records, "5d6e7f80-91a2-4b34-8d5e-6f7a8b9cad54"));
    assert_eq!(set.change, Change::Modified);
    assert_eq!(set.mailbox.as_deref(), Some("meganb"));
    assert_eq!(set.name.as_deref(), Some("s"));
    assert_eq!(
        set.actions,
        vec![
            RuleAction::ForwardTo(strings(&["collector@mail.example.net", "backup@mail.example.net"])),
            RuleAction::SoftDelete
        ]
    );
    assert_eq!(set.conditions.has_attachment, Some(true));
    assert_eq!(set.conditions.other, strings(&["ExceptIfFrom=ceo@contoso.com"]));

    let disable = inbox_rule(by_id(&records, "6e7f8091-a2b3-4c45-9e6f-7a8b9cadbe65"));
    assert_eq!(disable.change, Change::Disabled);
    assert_eq!(disable.mailbox.as_deref(), Some("meganb"));
    assert_eq!(disable.name.as_deref(), Some("s"));
    assert!(disable.actions.is_empty());

    let remove = inbox_rule(by_id(&records, "7f8091a2-b3c4-4d56-af7a-8b9cadbecf76"));
    assert_eq!(remove.change, Change::Removed);
    assert_eq!(remove.mailbox.as_deref(), Some("megan.bowen@contoso.onmicrosoft.com"));
    assert_eq!(remove.name.as_deref(), Some("Hide replies"));
    assert_eq!(remove.conditions, RuleConditions::default());
}

#[test]
fn inbox_rule_every_condition_and_action() {
    let records = synthetic_exchange();
    let rule = inbox_rule(by_id(&records, "8091a2b3-c4d5-4e67-b08b-9cadbecfd087"));

    assert_eq!(rule.change, Change::Created);
    assert_eq!(rule.mailbox.as_deref(), Some("meganb"));
    assert_eq!(rule.name.as_deref(), Some(".."));
    assert_eq!(
        rule.conditions,
        RuleConditions {
            sent_to: strings(&["megan.bowen@contoso.com"]),
            subject_contains: strings(&["Re: invoice", "payment, overdue"]),
            body_contains: strings(&["password reset"]),
            from_address_contains: strings(&["bank", "paypal"]),
            header_contains: strings(&["X-Priority: 1"]),
            other: strings(&["MyNameInToBox=True"]),
            ..Default::default()
        }
    );
    assert_eq!(
        rule.actions,
        vec![
            RuleAction::RedirectTo(strings(&["drop@mail.example.net", "second@mail.example.net"])),
            RuleAction::ForwardAsAttachmentTo(strings(&["copies@mail.example.net"])),
            RuleAction::CopyToFolder("Archive\\Hidden".into()),
            RuleAction::MarkImportance("Low".into()),
            RuleAction::Delete,
            RuleAction::Other("PinMessage=True".into()),
        ]
    );
    let keywords: Vec<&str> = rule.conditions.keywords().collect();
    assert_eq!(keywords, vec!["Re: invoice", "payment, overdue", "password reset", "bank", "paypal", "X-Priority: 1"]);
}

#[test]
fn update_inbox_rules_from_outlook() {
    let records = synthetic_exchange();

    let added = inbox_rule(by_id(&records, "91a2b3c4-d5e6-4f78-81c9-adbecfd0e198"));
    assert!(added.from_client);
    assert_eq!(added.change, Change::Created);
    assert_eq!(added.mailbox.as_deref(), Some("megan.bowen@contoso.onmicrosoft.com"));
    assert_eq!(added.name.as_deref(), Some("Payroll"));
    assert_eq!(added.conditions.from, strings(&["payroll@fabrikam.example"]));
    assert_eq!(
        added.conditions.other,
        strings(&["RuleCondition={((SenderSearchKey Equal SMTP:PAYROLL@FABRIKAM.EXAMPLE))}"])
    );
    assert_eq!(
        added.actions,
        vec![
            RuleAction::ForwardTo(strings(&["payroll.copy@mail.example.net"])),
            RuleAction::RedirectTo(strings(&["redirect@mail.example.net"])),
            RuleAction::ForwardAsAttachmentTo(strings(&["attach@mail.example.net"])),
            RuleAction::MoveToFolder("LgAAAAD9bZ3mJ8xVRp1kqF2nH4tLAQBn2k3xQ7pYR5aT9vW1cE6dAAAAAAEKAAAB".into()),
            RuleAction::MarkAsRead,
            RuleAction::Delete,
            RuleAction::Other(r#"{"ActionType":"Tag","Property":"Importance","Value":"0"}"#.into()),
            RuleAction::StopProcessing,
        ]
    );

    let modified = inbox_rule(by_id(&records, "a2b3c4d5-e6f7-4089-92da-becfd0e1f2a9"));
    assert!(modified.from_client);
    assert_eq!(modified.change, Change::Modified);
    assert_eq!(modified.name, None);
    assert_eq!(modified.conditions, RuleConditions::default());
    assert!(modified.actions.is_empty());
}

#[test]
fn set_mailbox_variants() {
    let records = synthetic_exchange();

    let cleared = forwarding(by_id(&records, "b3c4d5e6-f708-419a-a3eb-cfd0e1f2a3ba"));
    assert_eq!(
        cleared,
        &MailboxForwarding {
            mailbox: Some("meganb".into()),
            forward_to: None,
            deliver_and_forward: None,
            cleared: true
        }
    );

    let by_name = forwarding(by_id(&records, "c4d5e6f7-0819-42ab-b4fc-d0e1f2a3b4cb"));
    assert_eq!(by_name.mailbox.as_deref(), Some("alexw"));
    assert_eq!(by_name.forward_to.as_deref(), Some("Patti Fernandez"));
    assert!(!by_name.cleared);

    let send_on_behalf = permission(by_id(&records, "d5e6f708-192a-43bc-85ad-e1f2a3b4c5dc"));
    assert_eq!(send_on_behalf.change, Change::Created);
    assert_eq!(send_on_behalf.mailbox.as_deref(), Some("megan.bowen@contoso.onmicrosoft.com"));
    assert_eq!(send_on_behalf.grantee.as_deref(), Some("intruder@contoso.onmicrosoft.com"));
    assert_eq!(send_on_behalf.access_rights, strings(&["SendOnBehalf"]));

    for id in ["e6f70819-2a3b-44cd-96be-f2a3b4c5d6ed", "f708192a-3b4c-45de-a7cf-a3b4c5d6e7fe"] {
        let record = by_id(&records, id);
        let Activity::Other(other) = &record.event.activity else {
            panic!("{}: expected a generic event, got {:?}", record.event.operation, record.event.activity);
        };
        assert_eq!(other.record_type.as_deref(), Some("1"));
        assert_eq!(other.object.as_deref(), Some("megan.bowen@contoso.onmicrosoft.com"));
    }
}

#[test]
fn mailbox_permission_cmdlets() {
    let records = synthetic_exchange();
    let cases = [
        (
            "08192a3b-4c5d-46ef-b8d0-b4c5d6e7f80f",
            Change::Created,
            "megan.bowen@contoso.onmicrosoft.com",
            "intruder@contoso.onmicrosoft.com",
            vec!["FullAccess"],
            None,
        ),
        (
            "192a3b4c-5d6e-4701-89e1-c5d6e7f8091a",
            Change::Removed,
            "megan.bowen@contoso.onmicrosoft.com",
            "intruder@contoso.onmicrosoft.com",
            vec!["FullAccess", "ReadPermission"],
            None,
        ),
        (
            "2a3b4c5d-6e7f-4812-9af2-d6e7f8091a2b",
            Change::Created,
            "megan.bowen@contoso.onmicrosoft.com",
            "intruder@contoso.onmicrosoft.com",
            vec!["SendAs"],
            None,
        ),
        (
            "3b4c5d6e-7f80-4923-8b03-e7f8091a2b3c",
            Change::Created,
            "megan.bowen@contoso.onmicrosoft.com",
            "intruder@contoso.onmicrosoft.com",
            vec!["Reviewer"],
            Some("Inbox"),
        ),
        (
            "4c5d6e7f-8091-4a34-9c14-f8091a2b3c4d",
            Change::Modified,
            "meganb",
            "default",
            vec!["Editor"],
            Some("Calendar"),
        ),
    ];
    for (id, change, mailbox, grantee, rights, folder) in cases {
        let permission = permission(by_id(&records, id));
        assert_eq!(permission.change, change, "{id}");
        assert_eq!(permission.mailbox.as_deref(), Some(mailbox), "{id}");
        assert_eq!(permission.grantee.as_deref(), Some(grantee), "{id}");
        assert_eq!(permission.access_rights, strings(&rights), "{id}");
        assert_eq!(permission.folder.as_deref(), folder, "{id}");
    }
}

#[test]
fn transport_rule_cmdlets() {
    let records = synthetic_exchange();

    let set = transport_rule(by_id(&records, "5d6e7f80-91a2-4b45-8d25-091a2b3c4d5e"));
    assert_eq!(set.change, Change::Modified);
    assert_eq!(set.name.as_deref(), Some("Compliance copy"));
    assert_eq!(set.redirect_to, strings(&["hold@mail.example.net"]));
    assert_eq!(set.copy_to, strings(&["review@mail.example.net"]));
    assert_eq!(set.delete_message, Some(false));
    assert!(set.other.is_empty());

    let disable = transport_rule(by_id(&records, "6e7f8091-a2b3-4c56-9e36-1a2b3c4d5e6f"));
    assert_eq!(disable.change, Change::Disabled);
    assert_eq!(disable.name.as_deref(), Some("Block executable attachments"));

    let remove = transport_rule(by_id(&records, "7f8091a2-b3c4-4d67-af47-2b3c4d5e6f70"));
    assert_eq!(remove.change, Change::Removed);
    assert_eq!(remove.other, strings(&["Confirm=False"]));
}

#[test]
fn send_as_and_on_behalf() {
    let records = synthetic_exchange();

    let send_as = mail_sent(by_id(&records, "8091a2b3-c4d5-4e78-b058-3c4d5e6f7081"));
    assert_eq!(send_as.send_type, "SendAs");
    assert_eq!(send_as.mailbox.as_deref(), Some("megan.bowen@contoso.onmicrosoft.com"));
    assert_eq!(send_as.subject.as_deref(), Some("Please process today"));
    assert_eq!(send_as.recipients, None);

    let on_behalf = mail_sent(by_id(&records, "91a2b3c4-d5e6-4f89-81c9-4d5e6f708192"));
    assert_eq!(on_behalf.send_type, "SendOnBehalf");
    assert_eq!(on_behalf.mailbox.as_deref(), Some("megan.bowen@contoso.onmicrosoft.com"));
    assert_eq!(on_behalf.subject.as_deref(), Some("Wire confirmation"));
}

#[test]
fn mail_items_accessed_sync_and_bind() {
    let records = synthetic_exchange();

    let sync = mail_items_accessed(by_id(&records, "a2b3c4d5-e6f7-409a-92da-5e6f708192a3"));
    assert_eq!(sync.access_type.as_deref(), Some("Sync"));
    assert!(sync.throttled);
    assert_eq!(sync.items, None);
    assert_eq!(sync.client_app_id.as_deref(), Some("d3590ed6-52b3-4102-aeff-aad2292ab01c"));
    assert_eq!(sync.mailbox.as_deref(), Some("megan.bowen@contoso.onmicrosoft.com"));

    let bind = mail_items_accessed(by_id(&records, "b3c4d5e6-f708-41ab-a3eb-6f708192a3b4"));
    assert_eq!(bind.access_type.as_deref(), Some("Bind"));
    assert!(!bind.throttled);
    assert_eq!(bind.items, Some(3));
}

#[test]
fn operation_names_ignore_case() {
    let lines = concat!(
        r#"{"creationtime":"2024-03-14T09:00:00","id":"c-1","operation":"NEW-INBOXRULE","workload":"exchange","#,
        r#""parameters":[{"name":"name","value":"x"},{"name":"forwardto","value":"A@Example.net"}]}"#,
        "\n",
        r#"{"creationtime":"2024-03-14T09:00:01","id":"c-2","operation":"set-mailbox","workload":"Exchange","#,
        r#""parameters":[{"name":"identity","value":"a@example.com"},{"name":"forwardingsmtpaddress","value":"SMTP:B@Example.net"}]}"#,
        "\n",
        r#"{"creationtime":"2024-03-14T09:00:02","id":"c-3","operation":"mailitemsaccessed","workload":"Exchange","#,
        r#""operationproperties":[{"name":"mailaccesstype","value":"Bind"}],"folders":[{"folderitems":[{}]}]}"#,
        "\n",
    );
    let (_dir, path) = temp_file("lower.jsonl", lines.as_bytes());
    let (records, skips) = read(&path);
    assert!(skips.is_empty(), "{skips:?}");
    assert_eq!(common::kinds(&records), vec!["inbox_rule", "mailbox_forwarding", "mail_items_accessed"]);
    assert_eq!(inbox_rule(&records[0]).actions, vec![RuleAction::ForwardTo(strings(&["a@example.net"]))]);
    assert_eq!(forwarding(&records[1]).forward_to.as_deref(), Some("b@example.net"));
    assert_eq!(mail_items_accessed(&records[2]).items, Some(1));
}
