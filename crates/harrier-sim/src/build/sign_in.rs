//! Entra ID sign-ins.

use crate::apps::{self, App};
use crate::build::{Emitter, Place};
use crate::clock::{Millis, SECOND};
use crate::event::{Auth, Body, SignIn};
use crate::rng::Guid;

/// Error codes of the sign-ins the simulation writes.
pub(crate) mod code {
    pub const SUCCESS: u32 = 0;
    pub const WRONG_PASSWORD: u32 = 50126;
    pub const LOCKED: u32 = 50053;
    pub const MFA_REQUIRED: u32 = 50074;
    pub const MFA_FAILED: u32 = 500121;
    pub const KEEP_ME_SIGNED_IN: u32 = 50140;
}

/// Returns the `clientAppUsed` of a sign-in to `app`: browser-based apps are `Browser`, the rest are
/// desktop or mobile clients.
fn client_app(app: &App) -> &'static str {
    let browser_apps = [
        &apps::OFFICE_HOME,
        &apps::EXCHANGE_ONLINE,
        &apps::SHAREPOINT_ONLINE,
        &apps::AZURE_PORTAL,
    ];
    if browser_apps.iter().any(|browser| browser.id == app.id) {
        "Browser"
    } else {
        "Mobile Apps and Desktop clients"
    }
}

/// Returns the error code an authentication outcome ends with.
fn error_code(auth: Auth) -> u32 {
    match auth {
        Auth::WrongPassword => code::WRONG_PASSWORD,
        Auth::Locked => code::LOCKED,
        Auth::MfaRequired => code::MFA_REQUIRED,
        Auth::MfaFailed(..) => code::MFA_FAILED,
        Auth::Password | Auth::PreviouslySatisfied | Auth::Mfa(_) => code::SUCCESS,
    }
}

fn conditional_access(auth: Auth) -> &'static str {
    match auth {
        Auth::PreviouslySatisfied | Auth::Mfa(_) => "success",
        Auth::MfaFailed(..) => "failure",
        Auth::Password | Auth::WrongPassword | Auth::Locked | Auth::MfaRequired => "notApplied",
    }
}

/// A sign-in to be written; [`Emitter::sign_in`] fills the rest from the place and outcome.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Attempt {
    pub app: &'static App,
    pub resource: &'static App,
    pub interactive: bool,
    pub auth: Auth,
    pub correlation: Guid,
}

impl Attempt {
    pub(crate) fn new(
        app: &'static App,
        resource: &'static App,
        interactive: bool,
        auth: Auth,
        correlation: Guid,
    ) -> Self {
        Attempt {
            app,
            resource,
            interactive,
            auth,
            correlation,
        }
    }
}

impl Emitter<'_> {
    /// Writes one sign-in at `place`; returns its id.
    pub(crate) fn sign_in(&mut self, time: Millis, place: &Place, attempt: Attempt) -> Guid {
        self.sign_in_as(
            time,
            place,
            attempt,
            client_app(attempt.app),
            error_code(attempt.auth),
        )
    }

    /// Writes one sign-in with an explicit `clientAppUsed` and error code.
    pub(crate) fn sign_in_as(
        &mut self,
        time: Millis,
        place: &Place,
        attempt: Attempt,
        client_app: &'static str,
        error_code: u32,
    ) -> Guid {
        let body = SignIn {
            user: place.user,
            app: attempt.app,
            resource: attempt.resource,
            ip: place.ip,
            city: place.city,
            client_app,
            interactive: attempt.interactive,
            device: place.device,
            error_code,
            auth: attempt.auth,
            correlation: attempt.correlation,
            risk: "none",
            conditional_access: conditional_access(attempt.auth),
        };
        self.push(time, Body::SignIn(Box::new(body)))
    }

    /// Writes an interactive sign-in that first stops for MFA (50074) and then completes it with the
    /// Authenticator app; returns the ids of both records.
    pub(crate) fn sign_in_with_mfa(
        &mut self,
        time: Millis,
        place: &Place,
        app: &'static App,
    ) -> [Guid; 2] {
        let correlation = self.guid();
        let resource = resource_of(app);
        let first = self.sign_in(
            time,
            place,
            Attempt::new(app, resource, true, Auth::MfaRequired, correlation),
        );
        let done = Attempt::new(
            app,
            resource,
            true,
            Auth::Mfa("Mobile app notification"),
            correlation,
        );
        let second = self.sign_in(time + 20 * SECOND, place, done);
        [first, second]
    }
}

/// Returns the resource a client application usually requests a token for.
pub(crate) fn resource_of(app: &App) -> &'static App {
    if app.id == apps::EXCHANGE_ONLINE.id || app.id == apps::OUTLOOK_MOBILE.id {
        &apps::EXCHANGE_ONLINE
    } else if app.id == apps::SHAREPOINT_ONLINE.id || app.id == apps::ONEDRIVE_SYNC.id {
        &apps::SHAREPOINT_ONLINE
    } else if app.id == apps::EXCHANGE_POWERSHELL.id {
        &apps::EXCHANGE_ONLINE
    } else {
        &apps::MICROSOFT_GRAPH
    }
}
