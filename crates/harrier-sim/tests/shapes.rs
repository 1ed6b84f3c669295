//! The output parses as JSON in the shapes Microsoft documents for each export.

mod common;

use serde_json::Value;

const RECORD_TYPES: [i64; 7] = [1, 2, 3, 6, 8, 14, 50];

fn is_guid(text: &str) -> bool {
    let lengths: Vec<usize> = text.split('-').map(str::len).collect();
    lengths == [8, 4, 4, 4, 12] && text.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit())
}

fn assert_common(folder: &str, record: &Value, tenant: &str) {
    let time = record["CreationTime"]
        .as_str()
        .expect("CreationTime is text");
    assert_eq!(
        time.len(),
        19,
        "CreationTime {time} is written without zone or fraction"
    );
    assert!(
        time.parse::<jiff::civil::DateTime>().is_ok(),
        "CreationTime {time}"
    );

    assert!(is_guid(record["Id"].as_str().unwrap()), "{record}");
    assert!(record["Operation"].is_string(), "{record}");
    assert_eq!(record["OrganizationId"], tenant);
    assert!(
        RECORD_TYPES.contains(&record["RecordType"].as_i64().unwrap()),
        "{record}"
    );
    assert!(record["UserType"].is_i64(), "{record}");
    assert!(record["UserId"].is_string(), "{record}");

    let workload = record["Workload"].as_str().unwrap();
    let expected: &[&str] = match folder {
        "Audit.Exchange" => &["Exchange"],
        "Audit.AzureActiveDirectory" => &["AzureActiveDirectory"],
        "Audit.SharePoint" => &["SharePoint", "OneDrive"],
        other => panic!("unexpected content type folder {other}"),
    };
    assert!(
        expected.contains(&workload),
        "{workload} record in {folder}"
    );
}

fn assert_exchange(record: &Value) {
    match record["RecordType"].as_i64().unwrap() {
        1 => {
            let ip = record["ClientIP"].as_str().unwrap();
            let (host, port) = ip.rsplit_once(':').unwrap();
            assert!(
                port.parse::<u16>().is_ok(),
                "cmdlet ClientIP {ip} ends in a port"
            );
            let host = host.trim_start_matches('[').trim_end_matches(']');
            assert!(host.parse::<std::net::IpAddr>().is_ok(), "{ip}");
            for parameter in record["Parameters"].as_array().unwrap() {
                assert!(parameter["Name"].is_string(), "{parameter}");
                assert!(parameter["Value"].is_string(), "{parameter}");
            }
        }
        2 => {
            assert_eq!(record["Operation"], "Send");
            for field in ["Id", "InternetMessageId", "Subject"] {
                assert!(
                    record["Item"][field].is_string(),
                    "Send Item lacks {field}: {record}"
                );
            }
            assert!(record["MailboxOwnerUPN"].is_string());
        }
        50 => {
            assert_eq!(record["Operation"], "MailItemsAccessed");
            let properties = record["OperationProperties"].as_array().unwrap();
            assert!(
                properties.iter().any(|p| p["Name"] == "MailAccessType"),
                "{record}"
            );
            assert!(!record["Folders"].as_array().unwrap().is_empty());
            assert!(record["ClientAppId"].is_string());
        }
        3 => assert!(record["AffectedItems"].is_array(), "{record}"),
        other => panic!("unexpected Exchange record type {other}"),
    }
    assert!(record["ClientIP"].as_str().is_some_and(|ip| !ip.is_empty()));
}

fn assert_directory_audit(record: &Value) {
    assert_eq!(record["RecordType"], 8);
    assert!(
        record["Operation"].as_str().unwrap().ends_with('.'),
        "UAL Entra activities end in a period"
    );
    for list in [
        "ExtendedProperties",
        "ModifiedProperties",
        "Actor",
        "Target",
    ] {
        assert!(record[list].is_array(), "{list} missing: {record}");
    }
    for pair in record["Target"].as_array().unwrap() {
        assert!(pair["ID"].is_string(), "{pair}");
        assert!(pair["Type"].is_i64(), "{pair}");
    }
}

fn assert_file(record: &Value) {
    for field in [
        "ObjectId",
        "SiteUrl",
        "SourceFileName",
        "SourceRelativeUrl",
        "UserAgent",
        "ClientIP",
    ] {
        assert!(record[field].is_string(), "{field} missing: {record}");
    }
}

#[test]
fn audit_records_have_documented_fields() {
    let run = common::run(common::small_config(21));
    let records = run.audit_records();
    assert!(records.len() > 10_000);
    for (folder, record) in &records {
        assert_common(folder, record, &run.config.tenant_id);
        match folder.as_str() {
            "Audit.Exchange" => assert_exchange(record),
            "Audit.AzureActiveDirectory" => assert_directory_audit(record),
            _ => assert_file(record),
        }
    }
}

#[test]
fn blobs_are_one_per_content_type_and_day() {
    let run = common::run(common::small_config(22));
    for (folder, path) in common::files_under(&run.path().join("management-activity")) {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let date: jiff::civil::Date = name.parse().unwrap();
        let blob: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut previous = String::new();
        for record in blob.as_array().unwrap() {
            let time = record["CreationTime"].as_str().unwrap();
            assert!(
                time.starts_with(&date.to_string()),
                "{time} in the {folder} blob of {date}"
            );
            assert!(*time >= *previous, "records are in time order");
            previous = time.to_owned();
        }
    }
}

#[test]
fn graph_pages_link_to_the_next() {
    let run = common::run(common::small_config(23));
    let pages = run.graph_pages();
    assert!(pages.len() > 2);
    for (index, (path, page)) in pages.iter().enumerate() {
        assert!(
            page["@odata.context"]
                .as_str()
                .unwrap()
                .ends_with("#auditLogs/signIns")
        );
        let values = page["value"].as_array().unwrap();
        assert!(
            values.len() <= run.config.graph_page_size,
            "{}",
            path.display()
        );
        let last = index + 1 == pages.len();
        assert_eq!(
            page.get("@odata.nextLink").is_none(),
            last,
            "{}",
            path.display()
        );
        if !last {
            assert_eq!(values.len(), run.config.graph_page_size);
        }
    }
}

#[test]
fn sign_ins_have_documented_fields() {
    let run = common::run(common::small_config(24));
    let sign_ins = run.sign_ins();
    assert_eq!(sign_ins.len() as u64, run.report.sign_ins);
    let text = [
        "id",
        "createdDateTime",
        "userPrincipalName",
        "userId",
        "appId",
        "appDisplayName",
        "ipAddress",
        "clientAppUsed",
        "userAgent",
        "correlationId",
        "conditionalAccessStatus",
        "riskLevelDuringSignIn",
        "resourceDisplayName",
        "resourceId",
        "authenticationRequirement",
    ];
    for sign_in in &sign_ins {
        for field in text {
            assert!(sign_in[field].is_string(), "{field} missing: {sign_in}");
        }
        assert!(sign_in["createdDateTime"].as_str().unwrap().ends_with('Z'));
        assert!(sign_in["isInteractive"].is_boolean());
        assert!(sign_in["status"]["errorCode"].is_u64());
        assert!(sign_in["status"]["failureReason"].is_string());
        assert!(sign_in["location"]["countryOrRegion"].is_string());
        assert!(sign_in["location"]["geoCoordinates"]["latitude"].is_f64());
        for field in ["deviceId", "operatingSystem", "browser"] {
            assert!(
                sign_in["deviceDetail"][field].is_string(),
                "deviceDetail.{field}: {sign_in}"
            );
        }
        assert!(sign_in["deviceDetail"]["isCompliant"].is_boolean());
        assert!(sign_in["mfaDetail"].is_object());
        assert!(
            !sign_in["authenticationDetails"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        assert!(
            sign_in["ipAddress"]
                .as_str()
                .unwrap()
                .parse::<std::net::IpAddr>()
                .is_ok()
        );
    }
    let codes: std::collections::HashSet<u64> = sign_ins
        .iter()
        .map(|s| s["status"]["errorCode"].as_u64().unwrap())
        .collect();
    for code in [0, 50126, 50074, 500121, 50140] {
        assert!(codes.contains(&code), "no sign-in with error {code}");
    }
}

#[test]
fn users_json_lists_the_directory() {
    let run = common::run(common::small_config(25));
    let users = run.users();
    let list = users["users"].as_array().unwrap();
    assert_eq!(list.len(), run.config.users);
    assert_eq!(users["tenant_id"], run.config.tenant_id);
    let departments: std::collections::HashSet<&str> = list
        .iter()
        .map(|u| u["department"].as_str().unwrap())
        .collect();
    for department in ["Sales", "Finance", "Engineering", "HR", "IT", "Executive"] {
        assert!(departments.contains(department), "no user in {department}");
    }
    assert!(list.iter().any(|u| u["service_account"] == true));
    assert!(list.iter().any(|u| u["admin"] == true));
    assert!(list.iter().any(|u| u["vip"] == true));
    for user in list {
        let isps = user["home_isps"].as_array().unwrap();
        assert!((1..=2).contains(&isps.len()), "{user}");
        assert!(isps[0]["asn"].is_u64());
    }
}
