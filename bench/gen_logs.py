#!/usr/bin/env python3
"""Write a large synthetic log file for replay benchmarks.

The records follow the shapes of real exports: Microsoft Graph signIn objects and Office 365 Management
Activity API audit records (Exchange mailbox and admin operations, Entra ID logins, SharePoint file
operations), one JSON object per line, in roughly the proportions a tenant produces. The output is
deterministic for a given seed. Only the standard library is used.

    python3 bench/gen_logs.py --records 1000000 --out /tmp/harrier-bench/logs.jsonl
"""

import argparse
import datetime
import json
import os
import random
import uuid

TENANT = "5f1c7a3e-0b8d-4c2a-9e61-2d4b8f0a7c13"
APPS = [
    ("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online"),
    ("4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome"),
    ("d3590ed6-52b3-4102-aeff-aad2292ab01c", "Microsoft Office"),
    ("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams"),
]
AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17029; Pro)",
]
COUNTRIES = [("DE", "Berlin"), ("DE", "Munich"), ("GB", "London"), ("US", "Seattle"), ("FR", "Paris")]
FILE_OPS = ["FileAccessed", "FileDownloaded", "FileModified", "FileUploaded", "FilePreviewed"]
EXCHANGE_OPS = ["MailItemsAccessed", "Send", "MoveToDeletedItems", "Update", "Create"]


def iso(ts, fraction=True):
    text = ts.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (".%07dZ" % (ts.microsecond * 10) if fraction else "")


def user_ip(rng, user):
    # Each user signs in from a handful of stable addresses in public ranges.
    octets = (user * 7919) % 250 + 1, (user * 104729) % 250 + 1
    return "%d.%d.%d.%d" % (81 + user % 40, octets[0], octets[1], rng.randint(1, 3))


def sign_in(rng, ts, user):
    app_id, app_name = rng.choice(APPS)
    country, city = rng.choice(COUNTRIES)
    failed = rng.random() < 0.03
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128))),
        "createdDateTime": iso(ts),
        "userDisplayName": "User %d" % user,
        "userPrincipalName": "user%d@example.com" % user,
        "userId": str(uuid.UUID(int=user)),
        "appId": app_id,
        "appDisplayName": app_name,
        "ipAddress": user_ip(rng, user),
        "clientAppUsed": "Browser",
        "userAgent": rng.choice(AGENTS),
        "correlationId": str(uuid.UUID(int=rng.getrandbits(128))),
        "conditionalAccessStatus": "notApplied",
        "isInteractive": True,
        "riskLevelDuringSignIn": "none",
        "status": {"errorCode": 50126, "failureReason": "Invalid username or password."} if failed else {"errorCode": 0},
        "deviceDetail": {"deviceId": "", "displayName": "", "operatingSystem": "Windows10", "browser": "Edge 120.0.0"},
        "location": {"city": city, "state": city, "countryOrRegion": country,
                     "geoCoordinates": {"latitude": 52.5, "longitude": 13.4}},
        "authenticationDetails": [{"authenticationMethod": "Password", "succeeded": not failed}],
        "authenticationRequirement": "singleFactorAuthentication",
        "resourceDisplayName": "Office 365 Exchange Online",
        "resourceId": "00000002-0000-0ff1-ce00-000000000000",
    }


def audit_base(rng, ts, user, workload, record_type, operation):
    return {
        "CreationTime": iso(ts, fraction=False),
        "Id": str(uuid.UUID(int=rng.getrandbits(128))),
        "Operation": operation,
        "OrganizationId": TENANT,
        "RecordType": record_type,
        "ResultStatus": "Succeeded",
        "UserKey": "10032000%08X" % user,
        "UserType": 0,
        "Version": 1,
        "Workload": workload,
        "ClientIP": user_ip(rng, user),
        "UserId": "user%d@example.com" % user,
    }


def exchange(rng, ts, user):
    operation = rng.choice(EXCHANGE_OPS)
    record = audit_base(rng, ts, user, "Exchange", 2, operation)
    record.update({
        "AppId": "00000002-0000-0ff1-ce00-000000000000",
        "ClientAppId": "",
        "ClientInfoString": "Client=OWA;Action=ViaProxy",
        "ExternalAccess": False,
        "LogonType": 0,
        "MailboxGuid": str(uuid.UUID(int=user + 7)),
        "MailboxOwnerUPN": "user%d@example.com" % user,
    })
    if operation == "MailItemsAccessed":
        record["OperationProperties"] = [{"Name": "MailAccessType", "Value": "Bind"},
                                         {"Name": "IsThrottled", "Value": "False"}]
        record["Folders"] = [{"Path": "\\Inbox", "FolderItems": [
            {"InternetMessageId": "<%x@example.com>" % rng.getrandbits(64)} for _ in range(rng.randint(1, 4))]}]
    elif operation == "Send":
        record["Item"] = {"Subject": "Weekly report", "InternetMessageId": "<%x@example.com>" % rng.getrandbits(64)}
    return record


def azure_ad_login(rng, ts, user):
    failed = rng.random() < 0.03
    record = audit_base(rng, ts, user, "AzureActiveDirectory", 15, "UserLoginFailed" if failed else "UserLoggedIn")
    record.update({
        "AzureActiveDirectoryEventType": 1,
        "ExtendedProperties": [{"Name": "ResultStatusDetail", "Value": "Success"},
                               {"Name": "UserAgent", "Value": rng.choice(AGENTS)},
                               {"Name": "RequestType", "Value": "Login:login"}],
        "ApplicationId": APPS[1][0],
        "ObjectId": "00000003-0000-0000-c000-000000000000",
        "ActorIpAddress": record["ClientIP"],
    })
    if failed:
        record["LogonError"] = "InvalidUserNameOrPassword"
        record["ErrorNumber"] = "50126"
    return record


def sharepoint(rng, ts, user):
    operation = rng.choice(FILE_OPS)
    record = audit_base(rng, ts, user, "SharePoint", 6, operation)
    name = "report-%d.docx" % rng.randint(1, 500)
    record.update({
        "ObjectId": "https://example.sharepoint.com/sites/team/Shared Documents/%s" % name,
        "SiteUrl": "https://example.sharepoint.com/sites/team/",
        "SourceFileName": name,
        "SourceFileExtension": "docx",
        "SourceRelativeUrl": "Shared Documents",
        "ItemType": "File",
        "EventSource": "SharePoint",
        "UserAgent": rng.choice(AGENTS),
    })
    return record


def inbox_rule(rng, ts, user):
    record = audit_base(rng, ts, user, "Exchange", 1, "New-InboxRule")
    record["ObjectId"] = "user%d\\Newsletters" % user
    record["Parameters"] = [{"Name": "Name", "Value": "Newsletters"},
                            {"Name": "From", "Value": "news@example.org"},
                            {"Name": "MoveToFolder", "Value": "Newsletters"},
                            {"Name": "StopProcessingRules", "Value": "True"}]
    return record


KINDS = [(sign_in, 0.40), (exchange, 0.25), (azure_ad_login, 0.15), (sharepoint, 0.195), (inbox_rule, 0.005)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="number of records to write")
    parser.add_argument("--users", type=int, default=2000, help="number of distinct users")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    parser.add_argument("--out", required=True, help="output file (JSON lines)")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    makers = [maker for maker, _ in KINDS]
    weights = [weight for _, weight in KINDS]
    start = datetime.datetime(2026, 1, 5, 0, 0, 0)
    step = datetime.timedelta(seconds=30 * 86400 / args.records)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as out:
        for i in range(args.records):
            ts = start + step * i + datetime.timedelta(microseconds=rng.randint(0, 999_999))
            maker = rng.choices(makers, weights)[0]
            out.write(json.dumps(maker(rng, ts, rng.randrange(args.users)), separators=(",", ":")))
            out.write("\n")


if __name__ == "__main__":
    main()
