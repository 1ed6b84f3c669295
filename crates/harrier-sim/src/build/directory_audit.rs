//! Entra ID directory changes as the unified audit log writes them (`AzureActiveDirectory` workload).
//!
//! The record names its target as a list of `{ID, Type}` identities: type 1 is a display name, 2 an
//! object id, `<Kind>_<object id>` or the object kind, 3 a PUID, 4 a service principal name (the
//! application id) and 5 a user principal name. Modified properties carry plain values, lists written as
//! JSON arrays (`["Mail.Read"]`).

use crate::apps::{App, ThirdPartyApp};
use crate::build::Emitter;
use crate::clock::Millis;
use crate::directory::User;
use crate::event::{AadActor, AadAudit, Body};
use crate::rng::Guid;

/// The object a directory change acted on.
pub(crate) enum Target<'a> {
    User(&'a User),
    /// A user that exists only from this record on, by principal name and object id.
    NewUser(&'a str, Guid),
    ServicePrincipal(&'a App, Guid),
    Application(&'a App, Guid),
    Device(&'a str, Guid),
}

impl Target<'_> {
    fn pairs(&self) -> Vec<(String, u8)> {
        match self {
            Target::User(user) => {
                user_pairs(&user.user_principal_name, user.object_id, Some(user.puid))
            }
            Target::NewUser(upn, id) => user_pairs(upn, *id, None),
            Target::ServicePrincipal(app, id) => {
                object_pairs("ServicePrincipal", *id, app.name, Some(app.id))
            }
            Target::Application(app, id) => {
                object_pairs("Application", *id, app.name, Some(app.id))
            }
            Target::Device(name, id) => object_pairs("Device", *id, name, None),
        }
    }

    fn object_id(&self) -> String {
        match self {
            Target::User(user) => user.user_principal_name.clone(),
            Target::NewUser(upn, _) => (*upn).to_owned(),
            Target::ServicePrincipal(_, id)
            | Target::Application(_, id)
            | Target::Device(_, id) => id.to_string(),
        }
    }

    fn category(&self) -> &'static str {
        match self {
            Target::User(_) | Target::NewUser(..) => "User",
            Target::ServicePrincipal(..) => "ServicePrincipal",
            Target::Application(..) => "Application",
            Target::Device(..) => "Device",
        }
    }
}

fn user_pairs(upn: &str, id: Guid, puid: Option<u64>) -> Vec<(String, u8)> {
    let mut pairs = vec![
        (format!("User_{id}"), 2),
        (id.to_string(), 2),
        ("User".to_owned(), 2),
        (upn.to_owned(), 5),
    ];
    if let Some(puid) = puid {
        pairs.push((format!("{puid:016X}"), 3));
    }
    pairs
}

fn object_pairs(kind: &str, id: Guid, name: &str, app_id: Option<&str>) -> Vec<(String, u8)> {
    let mut pairs = vec![
        (format!("{kind}_{id}"), 2),
        (id.to_string(), 2),
        (kind.to_owned(), 2),
        (name.to_owned(), 1),
    ];
    if let Some(app_id) = app_id {
        pairs.push((app_id.to_owned(), 2));
        pairs.push((app_id.to_owned(), 4));
    }
    pairs
}

/// The modified properties of a change, as `(Name, NewValue, OldValue)`.
type Properties = Vec<(&'static str, String, String)>;

fn new(name: &'static str, value: impl Into<String>) -> (&'static str, String, String) {
    (name, value.into(), String::new())
}

/// Appends the `Included Updated Properties` list Entra adds to every change.
fn with_included(mut properties: Properties) -> Properties {
    let names: Vec<&str> = properties
        .iter()
        .map(|(name, _, _)| *name)
        .filter(|name| !name.contains('.'))
        .collect();
    properties.push(new("Included Updated Properties", names.join(", ")));
    properties
}

impl Emitter<'_> {
    /// Writes one directory change by `actor` on `target`.
    pub(crate) fn directory_audit(
        &mut self,
        time: Millis,
        actor: AadActor,
        operation: &'static str,
        target: &Target<'_>,
        modified: Properties,
        user_agent: &str,
    ) -> Guid {
        let details = format!("{{\"User-Agent\":\"{}\"}}", user_agent.replace('"', "\\\""));
        let audit = AadAudit {
            actor,
            operation,
            object_id: target.object_id(),
            target: target.pairs(),
            modified,
            extended: vec![
                ("additionalDetails", details),
                ("extendedAuditEventCategory", target.category().to_owned()),
            ],
        };
        self.push(time, Body::Aad(Box::new(audit)))
    }

    /// Writes `Add application.`: a new application registration of `app`.
    pub(crate) fn add_application(
        &mut self,
        time: Millis,
        actor: &User,
        app: &ThirdPartyApp,
        object_id: Guid,
        agent: &str,
    ) -> Guid {
        let modified = with_included(vec![
            new("AppId", format!("[\"{}\"]", app.app.id)),
            new("AvailableToOtherTenants", "[false]"),
            new("DisplayName", format!("[\"{}\"]", app.app.name)),
            new("RequiredResourceAccess", required_access(app.scopes)),
        ]);
        let target = Target::Application(&app.app, object_id);
        self.directory_audit(
            time,
            AadActor::User(actor.index),
            "Add application.",
            &target,
            modified,
            agent,
        )
    }

    /// Writes `Add service principal.`: the enterprise application of `app` created in the tenant.
    pub(crate) fn add_service_principal(
        &mut self,
        time: Millis,
        actor: &User,
        app: &App,
        sp_id: Guid,
        agent: &str,
    ) -> Guid {
        let modified = with_included(vec![
            new("AccountEnabled", "[true]"),
            new("AppPrincipalId", format!("[\"{}\"]", app.id)),
            new("DisplayName", format!("[\"{}\"]", app.name)),
            new("ServicePrincipalName", format!("[\"{}\"]", app.id)),
            new("TargetId.ServicePrincipalNames", app.id),
        ]);
        let target = Target::ServicePrincipal(app, sp_id);
        self.directory_audit(
            time,
            AadActor::User(actor.index),
            "Add service principal.",
            &target,
            modified,
            agent,
        )
    }

    /// Writes `Consent to application.` by `actor` for the scopes of `app`; `admin` consents for every user.
    pub(crate) fn consent(
        &mut self,
        time: Millis,
        actor: &User,
        app: &ThirdPartyApp,
        sp_id: Guid,
        admin: bool,
        agent: &str,
    ) -> Guid {
        let grant = self.guid();
        let consent_type = if admin { "AllPrincipals" } else { "Principal" };
        let principal = if admin {
            String::new()
        } else {
            actor.object_id.to_string()
        };
        let permissions = format!(
            "[] => [[Id: {grant}, ClientId: {sp_id}, PrincipalId: {principal}, ResourceId: {}, ConsentType: {consent_type}, \
             Scope: {}, CreatedDateTime: , LastModifiedDateTime ]]; ",
            graph_service_principal(),
            app.scopes
        );
        let flag = if admin { "True" } else { "False" };
        let modified = vec![
            new("ConsentContext.IsAdminConsent", flag),
            new("ConsentContext.IsAppOnly", "False"),
            new("ConsentContext.OnBehalfOfAll", flag),
            new(
                "ConsentContext.Tags",
                "WindowsAzureActiveDirectoryIntegratedApp",
            ),
            new("ConsentAction.Permissions", permissions),
            new("TargetId.ServicePrincipalNames", app.app.id),
        ];
        let target = Target::ServicePrincipal(&app.app, sp_id);
        self.directory_audit(
            time,
            AadActor::User(actor.index),
            "Consent to application.",
            &target,
            modified,
            agent,
        )
    }

    /// Writes `Add delegated permission grant.` for the scopes of `app` on Microsoft Graph.
    pub(crate) fn delegated_grant(
        &mut self,
        time: Millis,
        actor: &User,
        app: &ThirdPartyApp,
        sp_id: Guid,
        agent: &str,
    ) -> Guid {
        let modified = vec![
            new("DelegatedPermissionGrant.Scope", format!(" {}", app.scopes)),
            new("DelegatedPermissionGrant.ConsentType", "Principal"),
            new("ServicePrincipal.ObjectID", sp_id.to_string()),
            new("ServicePrincipal.DisplayName", app.app.name),
            new("ServicePrincipal.AppId", app.app.id),
        ];
        let target = Target::ServicePrincipal(&app.app, sp_id);
        let actor = AadActor::User(actor.index);
        self.directory_audit(
            time,
            actor,
            "Add delegated permission grant.",
            &target,
            modified,
            agent,
        )
    }

    /// Writes `Add user.` for a new account created by an administrator.
    pub(crate) fn add_user(
        &mut self,
        time: Millis,
        admin: &User,
        upn: &str,
        display_name: &str,
        agent: &str,
    ) -> Guid {
        let id = self.guid();
        let modified = with_included(vec![
            new("AccountEnabled", "[true]"),
            new("DisplayName", format!("[\"{display_name}\"]")),
            new("UserPrincipalName", format!("[\"{upn}\"]")),
            new("UserType", "[\"Member\"]"),
        ]);
        self.directory_audit(
            time,
            AadActor::User(admin.index),
            "Add user.",
            &Target::NewUser(upn, id),
            modified,
            agent,
        )
    }

    /// Writes `Update user.` changing one ordinary profile property of `user`.
    pub(crate) fn update_user(
        &mut self,
        time: Millis,
        admin: &User,
        user: &User,
        property: &'static str,
        value: &str,
        agent: &str,
    ) -> Guid {
        let modified = with_included(vec![(property, format!("[\"{value}\"]"), "[]".to_owned())]);
        self.directory_audit(
            time,
            AadActor::User(admin.index),
            "Update user.",
            &Target::User(user),
            modified,
            agent,
        )
    }

    /// Writes `Add member to role.` adding `user` to a directory role.
    pub(crate) fn add_role_member(
        &mut self,
        time: Millis,
        admin: &User,
        user: &User,
        role: &Role,
        agent: &str,
    ) -> Guid {
        let modified = vec![
            new("Role.ObjectID", role.object_id),
            new("Role.DisplayName", role.name),
            new("Role.TemplateId", role.template_id),
            new("Role.WellKnownObjectName", role.well_known_name),
        ];
        self.directory_audit(
            time,
            AadActor::User(admin.index),
            "Add member to role.",
            &Target::User(user),
            modified,
            agent,
        )
    }

    /// Writes `Reset user password.` by an administrator.
    pub(crate) fn reset_password(
        &mut self,
        time: Millis,
        admin: &User,
        user: &User,
        agent: &str,
    ) -> Guid {
        let actor = AadActor::User(admin.index);
        self.directory_audit(
            time,
            actor,
            "Reset user password.",
            &Target::User(user),
            Vec::new(),
            agent,
        )
    }

    /// Writes `Register device.` for a device the user joined to Entra ID.
    pub(crate) fn register_device(
        &mut self,
        time: Millis,
        user: &User,
        name: &str,
        id: Guid,
        os: &str,
        agent: &str,
    ) -> Guid {
        let modified = with_included(vec![
            new("CloudAccountEnabled", "[true]"),
            new("CloudDeviceOSType", format!("[\"{os}\"]")),
            new("CloudDisplayName", format!("[\"{name}\"]")),
            new("CloudDeviceTrustType", "[\"AzureAd\"]"),
        ]);
        let target = Target::Device(name, id);
        self.directory_audit(
            time,
            AadActor::User(user.index),
            "Register device.",
            &target,
            modified,
            agent,
        )
    }
}

/// Returns the object id of the Microsoft Graph service principal in the simulated tenant (fixed).
fn graph_service_principal() -> &'static str {
    "7f3c2a1d-5b4e-4c8f-9a6d-0e1f2a3b4c5d"
}

/// Writes the `RequiredResourceAccess` value: delegated scopes on Microsoft Graph, by name.
fn required_access(scopes: &str) -> String {
    let access: Vec<String> = scopes
        .split_whitespace()
        .map(|scope| format!("{{\"Id\":\"{scope}\",\"Type\":\"Scope\"}}"))
        .collect();
    format!(
        "[{{\"ResourceAppId\":\"00000003-0000-0000-c000-000000000000\",\"ResourceAccess\":[{}]}}]",
        access.join(",")
    )
}

/// A directory role, with the template id Entra publishes for it.
#[derive(Debug)]
pub(crate) struct Role {
    pub name: &'static str,
    pub template_id: &'static str,
    pub well_known_name: &'static str,
    /// The role's object id in the simulated tenant (invented).
    pub object_id: &'static str,
}

/// Roles administrators assign in the benign tenant.
pub(crate) static ROLES: [Role; 3] = [
    Role {
        name: "Helpdesk Administrator",
        template_id: "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        well_known_name: "HelpdeskAdministrator",
        object_id: "212d0172-6c51-4cec-9d6d-7698f8563909",
    },
    Role {
        name: "User Administrator",
        template_id: "fe930be7-5e62-47db-91af-98c3a49a38b1",
        well_known_name: "UserAccountAdministrator",
        object_id: "f6cda503-26a3-48e9-9863-887295f3c7df",
    },
    Role {
        name: "Exchange Administrator",
        template_id: "29232cdf-9323-42fd-ade2-1d097af3e4de",
        well_known_name: "ExchangeServiceAdministrator",
        object_id: "640ab3c5-e021-402b-8653-6b906b1dbbef",
    },
];
