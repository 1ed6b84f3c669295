//! Builders of events and histories for model tests.

#![allow(dead_code)]

use std::net::IpAddr;

use harrier_detect::{Breach, Engine, TenantState};
use harrier_model::*;
use jiff::{Timestamp, ToSpan};

pub const TENANT: &str = "contoso";

/// A network an event comes from: the address and the offline IP data's record of it.
#[derive(Clone, Debug)]
pub struct Net {
    pub ip: &'static str,
    pub asn: u32,
    pub org: &'static str,
    pub country: &'static str,
    pub class: IpClass,
}

pub const HOME_DE: Net = Net { ip: "79.200.1.10", asn: 3320, org: "Deutsche Telekom AG", country: "DE", class: IpClass::Residential };
pub const OFFICE_DE: Net = Net { ip: "80.150.2.20", asn: 3209, org: "Vodafone GmbH", country: "DE", class: IpClass::Residential };
pub const VPS_US: Net = Net { ip: "45.62.170.237", asn: 396073, org: "Majestic Hosting Solutions, LLC", country: "US", class: IpClass::Hosting };
pub const HOTEL_FR: Net = Net { ip: "90.10.20.30", asn: 3215, org: "Orange S.A.", country: "FR", class: IpClass::Residential };

pub const EDGE: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0";
pub const PYTHON: &str = "python-requests/2.31";

pub fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// Returns an event with the common fields filled and `activity` as its activity.
pub fn event(id: &str, user: &str, time: Timestamp, net: &Net, user_agent: &str, activity: Activity) -> Event {
    Event {
        tenant: TenantId::new(TENANT),
        record_id: id.to_owned(),
        time,
        format: SourceFormat::ManagementActivity,
        operation: activity.kind().to_owned(),
        workload: None,
        outcome: Outcome::Success,
        actor: Actor { user: Some(user.to_owned()), kind: ActorKind::User, ..Actor::default() },
        client: Client { ip: Some(net.ip.parse::<IpAddr>().unwrap()), user_agent: Some(user_agent.to_owned()) },
        ip_info: Some(IpInfo {
            asn: Some(net.asn),
            as_org: Some(net.org.to_owned()),
            country: Some(net.country.to_owned()),
            class: net.class,
            provider: None,
        }),
        activity,
    }
}

/// Builds a sign-in; `error_code` 0 is a success.
pub fn sign_in(id: &str, user: &str, time: Timestamp, net: &Net, user_agent: &str, error_code: u32) -> Event {
    let activity = Activity::SignIn(SignIn {
        success: error_code == 0,
        error_code: Some(error_code),
        client_app: Some("Browser".to_owned()),
        application: AppRef { id: Some("4765445b-32c6-49b0-83e6-1d93765276ca".into()), name: Some("OfficeHome".into()) },
        device: Some(Device { operating_system: Some("Windows10".into()), browser: Some("Edge 120.0".into()), ..Device::default() }),
        location: Some(GeoLocation { country: Some(net.country.to_owned()), ..GeoLocation::default() }),
        mfa: MfaResult::SatisfiedByClaim,
        ..SignIn::default()
    });
    let mut event = event(id, user, time, net, user_agent, activity);
    if error_code != 0 {
        event.outcome = Outcome::Failure;
    }
    event
}

/// Feeds `days` of ordinary weekday sign-ins for `users` (from home and office, 09:00 and 14:00 UTC)
/// through the engine, starting at `start`, and returns the breaches raised.
pub fn ordinary_history(engine: &Engine, state: &mut TenantState, users: &[&str], start: Timestamp, days: i64) -> Vec<Breach> {
    let mut breaches = Vec::new();
    for day in 0..days {
        for (u, user) in users.iter().enumerate() {
            for (slot, (hour, net)) in [(9, &OFFICE_DE), (14, &HOME_DE)].iter().enumerate() {
                let time = start + (day * 24 + hour).hours() + (u as i64).minutes();
                let id = format!("hist-{user}-{day}-{slot}");
                breaches.extend(engine.process(state, &sign_in(&id, user, time, net, EDGE, 0)));
            }
        }
    }
    breaches
}

/// Builds a message sent to `recipients` recipients.
pub fn mail_sent(id: &str, user: &str, time: Timestamp, net: &Net, recipients: u32) -> Event {
    let activity = Activity::MailSent(MailSent {
        recipients: Some(recipients),
        subject: Some("Quarterly figures".to_owned()),
        send_type: "Send".to_owned(),
        ..MailSent::default()
    });
    event(id, user, time, net, EDGE, activity)
}

/// `items` mail items read by the application `app_id`.
pub fn mail_read(id: &str, user: &str, time: Timestamp, net: &Net, app_id: &str, items: u32) -> Event {
    let activity = Activity::MailItemsAccessed(MailItemsAccessed {
        client_app_id: Some(app_id.to_owned()),
        items: Some(items),
        access_type: Some("Bind".to_owned()),
        mailbox: Some(user.to_owned()),
        ..MailItemsAccessed::default()
    });
    event(id, user, time, net, EDGE, activity)
}

/// Builds a user's consent to an application for themselves.
pub fn consent(id: &str, user: &str, time: Timestamp, net: &Net, app_id: &str, app_name: &str, scopes: &[&str]) -> Event {
    let activity = Activity::OauthConsent(OauthConsent {
        app: AppRef { id: Some(app_id.to_owned()), name: Some(app_name.to_owned()) },
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        ..OauthConsent::default()
    });
    event(id, user, time, net, EDGE, activity)
}

/// Builds an inbox rule created by cmdlet on the user's own mailbox.
pub fn inbox_rule(id: &str, user: &str, time: Timestamp, net: &Net, name: &str, conditions: RuleConditions, actions: Vec<RuleAction>) -> Event {
    let activity = Activity::InboxRule(InboxRule {
        change: Change::Created,
        mailbox: Some(user.to_owned()),
        name: Some(name.to_owned()),
        conditions,
        actions,
        from_client: false,
    });
    event(id, user, time, net, EDGE, activity)
}

/// Feeds `days` of ordinary work for `users`: a sign-in from the office at 09:00, five messages between
/// 10:00 and 10:40 with `recipients_per_day` recipients in all (one more every third day), `items_per_day`
/// mail items read through Outlook at 11:00, and a sign-in from home at 14:00 UTC. Returns the breaches.
pub fn mail_history(
    engine: &Engine,
    state: &mut TenantState,
    users: &[&str],
    start: Timestamp,
    days: i64,
    recipients_per_day: u32,
    items_per_day: u32,
) -> Vec<Breach> {
    const OUTLOOK: &str = "d3590ed6-52b3-4102-aeff-aad2292ab01c";
    let mut breaches = Vec::new();
    for day in 0..days {
        let base = start + (day * 24).hours();
        for (u, user) in users.iter().enumerate() {
            let id = format!("mail-{user}-{day}-in");
            breaches.extend(engine.process(state, &sign_in(&id, user, base + 9.hours() + (u as i64).minutes(), &OFFICE_DE, EDGE, 0)));
        }
        for (u, user) in users.iter().enumerate() {
            for message in 0..5u32 {
                let extra = u32::from(message == 0 && day % 3 == 0);
                let recipients = recipients_per_day / 5 + extra + u32::from(message < recipients_per_day % 5);
                let time = base + 10.hours() + (i64::from(message) * 10).minutes() + (u as i64).minutes();
                let id = format!("mail-{user}-{day}-sent-{message}");
                breaches.extend(engine.process(state, &mail_sent(&id, user, time, &OFFICE_DE, recipients)));
            }
        }
        for (u, user) in users.iter().enumerate() {
            let id = format!("mail-{user}-{day}-read");
            let time = base + 11.hours() + (u as i64).minutes();
            breaches.extend(engine.process(state, &mail_read(&id, user, time, &OFFICE_DE, OUTLOOK, items_per_day)));
        }
        for (u, user) in users.iter().enumerate() {
            let id = format!("mail-{user}-{day}-home");
            breaches.extend(engine.process(state, &sign_in(&id, user, base + 14.hours() + (u as i64).minutes(), &HOME_DE, EDGE, 0)));
        }
    }
    breaches
}

/// Returns the first day of the test histories.
pub fn start() -> Timestamp {
    at("2026-01-05T00:00:00Z")
}

/// Returns a time on day 30 of the history, after it ends.
pub fn day30(hour: i64, minute: i64) -> Timestamp {
    start() + (30 * 24 + hour).hours() + minute.minutes()
}

/// Returns the breach of `model`, if any.
pub fn breach_of<'a>(breaches: &'a [Breach], model: &str) -> Option<&'a Breach> {
    breaches.iter().find(|b| b.model_id == model)
}

/// Returns the breach of `model`, failing the test with the breaches raised when there is none.
pub fn expect_breach<'a>(breaches: &'a [Breach], model: &str) -> &'a Breach {
    breach_of(breaches, model).unwrap_or_else(|| panic!("no {model} breach in {breaches:#?}"))
}

/// Returns the value of a breach's evidence called `name`.
pub fn evidence<'a>(breach: &'a Breach, name: &str) -> Option<&'a str> {
    breach.evidence.iter().find(|e| e.name == name).map(|e| e.value.as_str())
}
