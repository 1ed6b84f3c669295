//! Applications users sign in to, consent to, and read mail with.
//!
//! Microsoft's first-party application ids are the published ids, the same in every tenant. The ids of
//! third-party and attacker applications are invented for the simulation (marked below), because their
//! real registrations were not verified.

/// An application as sign-in logs name it.
#[derive(Debug, PartialEq, Eq)]
pub struct App {
    pub id: &'static str,
    pub name: &'static str,
}

/// Microsoft Graph, as a resource.
pub static MICROSOFT_GRAPH: App = App {
    id: "00000003-0000-0000-c000-000000000000",
    name: "Microsoft Graph",
};
/// Exchange Online, as a resource and as the client of Outlook on the web.
pub static EXCHANGE_ONLINE: App = App {
    id: "00000002-0000-0ff1-ce00-000000000000",
    name: "Office 365 Exchange Online",
};
/// SharePoint Online, as a resource and as the client of SharePoint in the browser.
pub static SHAREPOINT_ONLINE: App = App {
    id: "00000003-0000-0ff1-ce00-000000000000",
    name: "Office 365 SharePoint Online",
};
/// The Microsoft 365 desktop apps, Outlook among them.
pub static MICROSOFT_OFFICE: App = App {
    id: "d3590ed6-52b3-4102-aeff-aad2292ab01c",
    name: "Microsoft Office",
};
pub static MICROSOFT_TEAMS: App = App {
    id: "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
    name: "Microsoft Teams",
};
/// The Microsoft 365 portal (office.com).
pub static OFFICE_HOME: App = App {
    id: "4765445b-32c6-49b0-83e6-1d93765276ca",
    name: "OfficeHome",
};
pub static OUTLOOK_MOBILE: App = App {
    id: "27922004-5251-4030-b22d-91ecd9a37ea4",
    name: "Outlook Mobile",
};
pub static AZURE_PORTAL: App = App {
    id: "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
    name: "Azure Portal",
};
/// Exchange Online PowerShell (module version 3).
pub static EXCHANGE_POWERSHELL: App = App {
    id: "fb78d390-0c51-40cd-8e17-fdbfab77341b",
    name: "Microsoft Exchange REST API Based Powershell",
};
pub static AZURE_CLI: App = App {
    id: "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
    name: "Microsoft Azure CLI",
};
pub static ONEDRIVE_SYNC: App = App {
    id: "ab9b8c07-8f02-4f72-87fa-80105867a763",
    name: "OneDrive SyncEngine",
};

/// The tenant's own line-of-business connector that service accounts run (invented id).
pub static BACKUP_CONNECTOR: App = App {
    id: "25715769-75ef-46cc-aa45-e694a24b1bec",
    name: "Contoso Mail Archive Connector",
};

/// A multi-tenant application users grant delegated permissions to.
#[derive(Debug)]
pub struct ThirdPartyApp {
    pub app: App,
    /// The delegated scopes a consent grants, space-separated as Entra writes them.
    pub scopes: &'static str,
}

/// Widely used applications that users of the simulated tenant consent to (invented ids).
pub static COMMON_APPS: &[ThirdPartyApp] = &[
    ThirdPartyApp {
        app: App {
            id: "0295c289-9a4d-44de-a68c-338cfa2df1a5",
            name: "Zoom",
        },
        scopes: "openid profile email offline_access User.Read Calendars.ReadWrite",
    },
    ThirdPartyApp {
        app: App {
            id: "261d2c2d-dab0-4342-bb4a-e2e3228d13d3",
            name: "Adobe Acrobat",
        },
        scopes: "openid profile email offline_access User.Read Files.ReadWrite.All",
    },
    ThirdPartyApp {
        app: App {
            id: "fc9eb9ec-d16c-40c6-880c-79334f6c3a69",
            name: "Slack",
        },
        scopes: "openid profile email offline_access User.Read",
    },
    ThirdPartyApp {
        app: App {
            id: "d7f727c3-74a1-4523-94f0-44d89bf26015",
            name: "DocuSign",
        },
        scopes: "openid profile email offline_access User.Read",
    },
];

/// The mass-mailing application of the takeover chain (invented id; the name is the one reported in
/// real account-takeover campaigns).
pub static PERFECTDATA: ThirdPartyApp = ThirdPartyApp {
    app: App {
        id: "f6a04a52-1135-429e-bedf-619c8c71f081",
        name: "PerfectData Software",
    },
    scopes: "Mail.Read Mail.Send offline_access User.Read",
};

/// The second mass-mailing application of the takeover chain (invented id).
pub static SUPERMAILER: ThirdPartyApp = ThirdPartyApp {
    app: App {
        id: "dcc1a8b6-2f9f-4176-bc60-cb6d5e0c6bec",
        name: "Newsletter Software Supermailer",
    },
    scopes: "Mail.Read Mail.Send offline_access User.Read",
};

/// Unknown multi-tenant applications of consent phishing (invented ids and names).
pub static PHISHING_APPS: &[ThirdPartyApp] = &[
    ThirdPartyApp {
        app: App {
            id: "e46ea27b-d465-4909-8bc1-d7b1aa50ad8d",
            name: "Secure Document Viewer",
        },
        scopes: "Mail.Read Mail.ReadWrite offline_access User.Read",
    },
    ThirdPartyApp {
        app: App {
            id: "51d8860e-f870-4b89-ba13-f1849aa5bb81",
            name: "Mailbox Storage Optimizer",
        },
        scopes: "Mail.Read Mail.ReadWrite offline_access User.Read",
    },
    ThirdPartyApp {
        app: App {
            id: "60fa7f5c-955b-42c0-8d1a-2705968d4ad6",
            name: "eFax Inbox Connector",
        },
        scopes: "Mail.Read Mail.ReadWrite offline_access User.Read Contacts.Read",
    },
];
