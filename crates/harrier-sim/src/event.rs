//! The simulation's own records, before they are written in an export format.
//!
//! Generators produce [`SimEvent`]s, and the writers turn each into one Management Activity record or
//! one Graph sign-in. Fields hold indices and static strings where they can, so a record costs little
//! until it is written.

use std::borrow::Cow;
use std::net::IpAddr;

use crate::apps::App;
use crate::clock::Millis;
use crate::directory::Platform;
use crate::geo::City;
use crate::rng::Guid;

/// One record of the simulated tenant.
#[derive(Debug)]
pub(crate) struct SimEvent {
    pub time: Millis,
    /// The record's `Id` (Management Activity) or `id` (Graph).
    pub id: Guid,
    /// The labelled scenario step the record belongs to, if any.
    pub tag: Option<Tag>,
    pub body: Body,
}

/// A scenario instance and one of its steps, by index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tag {
    pub instance: u32,
    pub step: u16,
}

#[derive(Debug)]
pub(crate) enum Body {
    SignIn(Box<SignIn>),
    Exchange(Box<Exchange>),
    Aad(Box<AadAudit>),
    SharePoint(Box<SharePoint>),
}

/// The device of a sign-in.
#[derive(Clone, Copy, Debug)]
pub(crate) enum DeviceRef {
    /// One of the user's computers, by index into `User::devices`.
    Computer(u8),
    /// The user's phone.
    Phone,
    /// A device added during the simulation (a new laptop), by index into the plan's extra devices.
    Extra(u32),
    /// An unregistered device known only by its platform, as attackers' devices appear.
    Unregistered(&'static Platform),
}

/// The authentication outcome of a sign-in, which sets `authenticationDetails`, `mfaDetail` and
/// `authenticationRequirement`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Auth {
    /// Single-factor authentication with a correct password.
    Password,
    /// A wrong password (error 50126).
    WrongPassword,
    /// The account was locked by smart lockout (error 50053).
    Locked,
    /// MFA was required and satisfied by a claim in the token (a previous sign-in or a refresh token).
    PreviouslySatisfied,
    /// MFA was completed with the method given.
    Mfa(&'static str),
    /// The password was correct and MFA is required; the sign-in is interrupted (error 50074).
    MfaRequired,
    /// MFA with the method given failed with the detail given (error 500121).
    MfaFailed(&'static str, &'static str),
}

/// An Entra ID sign-in.
#[derive(Debug)]
pub(crate) struct SignIn {
    pub user: u32,
    pub app: &'static App,
    pub resource: &'static App,
    pub ip: IpAddr,
    pub city: &'static City,
    /// `Browser`, `Mobile Apps and Desktop clients` or `Other clients`.
    pub client_app: &'static str,
    pub interactive: bool,
    pub device: DeviceRef,
    /// The Entra error code, 0 for success.
    pub error_code: u32,
    pub auth: Auth,
    pub correlation: Guid,
    /// `none`, `low`, `medium` or `high`.
    pub risk: &'static str,
    /// `success`, `failure` or `notApplied`.
    pub conditional_access: &'static str,
}

/// The client an Exchange mailbox operation came from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum MailClient {
    /// Outlook for Windows or Mac on the given platform.
    Outlook(&'static Platform),
    /// Outlook on the web in the given platform's browser.
    Owa(&'static Platform),
    /// Outlook for iOS or Android.
    Mobile(&'static Platform),
    /// An application using the Graph or EWS API, as `AppId` and `ClientAppId`.
    App(&'static App),
}

/// An Exchange Online audit record.
#[derive(Debug)]
pub(crate) struct Exchange {
    /// The acting user (the mailbox owner, or the administrator for cmdlets).
    pub user: u32,
    pub ip: IpAddr,
    /// The client's source port, which cmdlet records append to `ClientIP`; 0 for none.
    pub port: u16,
    pub kind: ExchangeKind,
}

#[derive(Debug)]
pub(crate) enum ExchangeKind {
    /// An admin cmdlet (`ExchangeAdmin`, record type 1).
    Cmdlet(Cmdlet),
    /// A message sent (`ExchangeItem`, record type 2).
    Send(Send),
    /// Mail read or synchronised (`ExchangeItemAggregated`, record type 50).
    MailItemsAccessed(Access),
    /// An item moved to Deleted Items or deleted (`ExchangeItemGroup`, record type 3).
    Delete {
        operation: &'static str,
        client: MailClient,
        folder: &'static str,
        items: u16,
    },
}

#[derive(Debug)]
pub(crate) struct Cmdlet {
    pub operation: &'static str,
    pub object_id: String,
    pub parameters: Vec<(&'static str, String)>,
}

#[derive(Debug)]
pub(crate) struct Send {
    pub client: MailClient,
    pub subject: Cow<'static, str>,
    pub size: u32,
    /// The `Attachments` text, `name (size b)` entries separated by `; `.
    pub attachments: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Access {
    pub client: MailClient,
    /// `Sync` (whole folders) or `Bind` (individual items).
    pub sync: bool,
    /// The folders read, with the number of items bound in each (0 for sync).
    pub folders: Vec<(&'static str, u16)>,
    pub throttled: bool,
}

/// The principal that performed an Entra directory change.
#[derive(Debug)]
pub(crate) enum AadActor {
    User(u32),
}

/// An Entra ID directory audit record as the unified audit log carries it (`AzureActiveDirectory`).
#[derive(Debug)]
pub(crate) struct AadAudit {
    pub actor: AadActor,
    /// The activity with the trailing period the unified audit log writes (`Consent to application.`).
    pub operation: &'static str,
    pub object_id: String,
    /// `Target` identities as `(ID, Type)` pairs.
    pub target: Vec<(String, u8)>,
    /// `ModifiedProperties` as `(Name, NewValue, OldValue)`.
    pub modified: Vec<(&'static str, String, String)>,
    /// `ExtendedProperties` as `(Name, Value)`.
    pub extended: Vec<(&'static str, String)>,
}

/// The document library a SharePoint or OneDrive file is in.
#[derive(Debug)]
pub(crate) enum Library {
    /// A department's team site, by its name.
    TeamSite(&'static str),
    /// A user's OneDrive, by user index.
    OneDrive(u32),
}

/// A SharePoint or OneDrive audit record.
#[derive(Debug)]
pub(crate) struct SharePoint {
    pub user: u32,
    pub ip: IpAddr,
    pub platform: &'static Platform,
    pub operation: &'static str,
    pub library: Library,
    pub folder: &'static str,
    pub file_name: Cow<'static, str>,
    /// The user or group shared with and its type (`Member`, `Guest`), for sharing operations.
    pub shared_with: Option<(String, &'static str)>,
}

impl SimEvent {
    pub(crate) fn new(time: Millis, id: Guid, tag: Option<Tag>, body: Body) -> SimEvent {
        SimEvent {
            time,
            id,
            tag,
            body,
        }
    }
}
