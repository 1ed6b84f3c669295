mod common;

use common::*;
use harrier_detect::{Breach, Engine, Severity, Stage, TenantState};
use harrier_model::*;
use jiff::Timestamp;
use jiff::ToSpan;

#[test]
fn unusual_source_flags_vps_sign_in() {
    let engine = Engine::with_defaults();
    let mut state = TenantState::default();
    let start = at("2026-01-05T00:00:00Z");
    let history = ordinary_history(&engine, &mut state, &["alice@contoso.com", "bob@contoso.com"], start, 30);
    assert!(history.is_empty(), "ordinary history raised {history:?}");

    let attack = sign_in("attack-1", "alice@contoso.com", start + (30 * 24 + 3).hours(), &VPS_US, PYTHON, 0);
    let breaches = engine.process(&mut state, &attack);
    let breach = breaches.iter().find(|b| b.model_id == "saas.unusual_source_sign_in").expect("a breach");
    assert!(breach.severity() >= Severity::High, "score {}", breach.score);
    assert_eq!(breach.technique_id, "T1078.004");
    assert!(breach.summary.contains("AS396073"), "{}", breach.summary);
    let asn = breach.deviations.iter().find(|d| d.measure == "asn").expect("an ASN deviation");
    assert!(asn.baseline.contains("AS3209"), "{}", asn.baseline);
    assert!(asn.baseline.contains("AS3320"), "{}", asn.baseline);
    assert!(asn.baseline.contains("30 days"), "{}", asn.baseline);
}

#[test]
fn unusual_source_spares_trip_on_known_device() {
    let engine = Engine::with_defaults();
    let mut state = TenantState::default();
    let start = at("2026-01-05T00:00:00Z");
    ordinary_history(&engine, &mut state, &["alice@contoso.com"], start, 30);

    let trip = sign_in("trip-1", "alice@contoso.com", start + (30 * 24 + 9).hours(), &HOTEL_FR, EDGE, 0);
    let breaches = engine.process(&mut state, &trip);
    assert!(breaches.iter().all(|b| b.severity() <= Severity::Low), "{breaches:?}");
}

// Networks beyond the shared ones in `common`.
const HOTEL_US: Net = Net { ip: "73.15.20.25", asn: 7922, org: "Comcast Cable Communications, LLC", country: "US", class: IpClass::Residential };
const EXCHANGE_ONLINE: Net = Net { ip: "40.99.10.10", asn: 8075, org: "Microsoft Corporation", country: "US", class: IpClass::Microsoft };
const HOME_DE_NEW_ADDRESS: Net = Net { ip: "79.200.7.77", asn: 3320, org: "Deutsche Telekom AG", country: "DE", class: IpClass::Residential };
const FIREFOX_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.2; rv:121.0) Gecko/20100101 Firefox/121.0";

const USERS: [&str; 8] = [
    "alice@contoso.com",
    "bob@contoso.com",
    "carol@contoso.com",
    "dave@contoso.com",
    "erin@contoso.com",
    "frank@contoso.com",
    "grace@contoso.com",
    "heidi@contoso.com",
];

/// Builds an engine and a state with 30 days of ordinary history for `users`, and returns them with the
/// time the history ends.
fn with_history(users: &[&str]) -> (Engine, TenantState, Timestamp) {
    let engine = Engine::with_defaults();
    let mut state = TenantState::default();
    let start = at("2026-01-05T00:00:00Z");
    let breaches = ordinary_history(&engine, &mut state, users, start, 30);
    assert!(breaches.is_empty(), "ordinary history raised {breaches:?}");
    (engine, state, start + (30 * 24).hours())
}

fn process_all(engine: &Engine, state: &mut TenantState, events: &[Event]) -> Vec<Breach> {
    events.iter().flat_map(|event| engine.process(state, event)).collect()
}

fn of_model<'b>(breaches: &'b [Breach], model_id: &str) -> Vec<&'b Breach> {
    breaches.iter().filter(|b| b.model_id == model_id).collect()
}

/// Returns failed sign-ins with `error_code`, one a minute from `start`.
fn failures(prefix: &str, user: &str, start: Timestamp, net: &Net, user_agent: &str, error_code: u32, count: i64) -> Vec<Event> {
    (0..count)
        .map(|i| sign_in(&format!("{prefix}-{i}"), user, start + i.minutes(), net, user_agent, error_code))
        .collect()
}

fn with_mfa(mut event: Event, mfa: MfaResult) -> Event {
    if let Activity::SignIn(sign_in) = &mut event.activity {
        sign_in.mfa = mfa;
    }
    event
}

/// Returns an MFA prompt that was denied or timed out (Entra error 500121).
fn mfa_denial(id: &str, user: &str, time: Timestamp, net: &Net, user_agent: &str) -> Event {
    with_mfa(sign_in(id, user, time, net, user_agent, 500121), MfaResult::Failed)
}

fn with_coordinates(mut event: Event, latitude: f64, longitude: f64) -> Event {
    if let Activity::SignIn(sign_in) = &mut event.activity {
        let location = sign_in.location.get_or_insert_with(GeoLocation::default);
        location.latitude = Some(latitude);
        location.longitude = Some(longitude);
    }
    event
}

fn mail_read(id: &str, user: &str, time: Timestamp, net: &Net, user_agent: &str) -> Event {
    event(id, user, time, net, user_agent, Activity::MailItemsAccessed(MailItemsAccessed { items: Some(20), ..MailItemsAccessed::default() }))
}

fn mail_sent(id: &str, user: &str, time: Timestamp, net: &Net, user_agent: &str) -> Event {
    let sent = MailSent { recipients: Some(1), send_type: "Send".to_owned(), ..MailSent::default() };
    event(id, user, time, net, user_agent, Activity::MailSent(sent))
}

#[test]
fn failure_burst_flags_password_guessing() {
    let (engine, mut state, now) = with_history(&USERS[..2]);
    let attack = failures("guess", "alice@contoso.com", now + 3.hours(), &VPS_US, PYTHON, 50126, 12);
    let breaches = process_all(&engine, &mut state, &attack);

    let bursts = of_model(&breaches, "saas.failure_burst");
    assert_eq!(bursts.len(), 1, "one breach at the tenth failure: {bursts:?}");
    let burst = bursts[0];
    assert!(burst.severity() >= Severity::High, "score {}", burst.score);
    assert_eq!(burst.technique_id, "T1110.001");
    assert_eq!(burst.stage, Stage::CredentialAccess);
    assert_eq!(burst.events.len(), 10, "the ten failures, the triggering one last");
    assert_eq!(burst.events.last().map(String::as_str), Some("guess-9"));
    let volume = burst.deviations.iter().find(|d| d.measure == "failed_sign_ins").expect("a volume deviation");
    assert!(volume.baseline.contains("mean 0.0 a day"), "{}", volume.baseline);
}

#[test]
fn failure_burst_escalates_at_doubling() {
    let (engine, mut state, now) = with_history(&USERS[..1]);
    let attack = failures("guess", "alice@contoso.com", now + 3.hours(), &VPS_US, PYTHON, 50126, 20);
    let breaches = process_all(&engine, &mut state, &attack);

    let bursts = of_model(&breaches, "saas.failure_burst");
    assert_eq!(bursts.len(), 2, "breaches at 10 and 20 failures: {bursts:?}");
    assert!(bursts[1].score > bursts[0].score, "{} then {}", bursts[0].score, bursts[1].score);
}

#[test]
fn failure_burst_scores_lockout_higher() {
    let (engine, mut state, now) = with_history(&USERS[..1]);
    let mut attack = failures("guess", "alice@contoso.com", now + 3.hours(), &VPS_US, PYTHON, 50126, 9);
    attack.push(sign_in("locked", "alice@contoso.com", now + 3.hours() + 10.minutes(), &VPS_US, PYTHON, 50053));
    let breaches = process_all(&engine, &mut state, &attack);

    let burst = of_model(&breaches, "saas.failure_burst").pop().expect("a breach");
    assert!(burst.score >= 75.0, "score {}", burst.score);
    assert!(burst.summary.contains("lockout"), "{}", burst.summary);
}

#[test]
fn failure_burst_spares_forgetful_user_at_home() {
    let (engine, mut state, now) = with_history(&USERS[..1]);
    let typos = failures("typo", "alice@contoso.com", now + 9.hours(), &HOME_DE, EDGE, 50126, 10);
    let breaches = process_all(&engine, &mut state, &typos);

    let bursts = of_model(&breaches, "saas.failure_burst");
    assert!(bursts.iter().all(|b| b.score < 30.0), "{bursts:?}");
}

#[test]
fn failure_burst_spares_habitual_failures() {
    let (engine, mut state, now) = with_history(&USERS[..1]);
    // A device with a stale password fails twelve times every morning for a month.
    for day in 0..30 {
        let start = now + (day * 24 + 7).hours();
        process_all(&engine, &mut state, &failures(&format!("stale-{day}"), "alice@contoso.com", start, &HOME_DE, EDGE, 50126, 12));
    }
    let today = failures("stale-today", "alice@contoso.com", now + (30 * 24 + 7).hours(), &HOME_DE, EDGE, 50126, 12);
    let breaches = process_all(&engine, &mut state, &today);
    assert!(of_model(&breaches, "saas.failure_burst").is_empty(), "{breaches:?}");
}

#[test]
fn failure_burst_ignores_non_credential_errors() {
    let (engine, mut state, now) = with_history(&USERS[..1]);
    // 50058 (silent sign-in without a session) and 16000 (account selection) are ordinary interrupts.
    let mut interrupts = failures("silent", "alice@contoso.com", now + 3.hours(), &HOME_DE, EDGE, 50058, 8);
    interrupts.extend(failures("select", "alice@contoso.com", now + 3.hours() + 10.minutes(), &HOME_DE, EDGE, 16000, 8));
    let breaches = process_all(&engine, &mut state, &interrupts);
    assert!(of_model(&breaches, "saas.failure_burst").is_empty(), "{breaches:?}");
}

#[test]
fn failure_burst_scales_down_while_learning() {
    let engine = Engine::with_defaults();
    let mut state = TenantState::default();
    let start = at("2026-01-05T00:00:00Z");
    ordinary_history(&engine, &mut state, &USERS[..2], start, 30);
    // A user who joined three days ago.
    ordinary_history(&engine, &mut state, &["ivan@contoso.com"], start + (27 * 24).hours(), 3);

    let attack = failures("guess", "ivan@contoso.com", start + (30 * 24 + 3).hours(), &VPS_US, PYTHON, 50126, 10);
    let breaches = process_all(&engine, &mut state, &attack);
    let burst = of_model(&breaches, "saas.failure_burst").pop().expect("a breach");
    assert!(burst.learning);
    assert!(burst.summary.contains("still learning"), "{}", burst.summary);
    assert!(burst.score < 65.0, "score {}", burst.score);
    assert!(burst.score >= 40.0, "score {}", burst.score);
}

#[test]
fn password_spray_raises_once_per_level() {
    let (engine, mut state, now) = with_history(&USERS);
    let spray: Vec<Event> = USERS
        .iter()
        .enumerate()
        .map(|(i, user)| sign_in(&format!("spray-{i}"), user, now + 2.hours() + (3 * i as i64).minutes(), &VPS_US, PYTHON, 50126))
        .collect();
    let breaches = process_all(&engine, &mut state, &spray);

    let sprays = of_model(&breaches, "saas.password_spray");
    assert_eq!(sprays.len(), 1, "one breach, at the fifth user: {sprays:?}");
    let spray_breach = sprays[0];
    assert_eq!(spray_breach.user.as_deref(), Some(USERS[4]), "attached to the user attacked");
    assert!(spray_breach.severity() >= Severity::High, "score {}", spray_breach.score);
    assert_eq!(spray_breach.technique_id, "T1110.003");
    assert_eq!(spray_breach.stage, Stage::CredentialAccess);
    assert!(spray_breach.summary.contains("5 distinct users"), "{}", spray_breach.summary);
}

#[test]
fn password_spray_repeat_failures_do_not_count() {
    let (engine, mut state, now) = with_history(&USERS);
    // Four users, each tried five times: four distinct users never reach the threshold of five.
    let attempts: Vec<Event> = (0..20)
        .map(|i| {
            let user = USERS[i % 4];
            sign_in(&format!("retry-{i}"), user, now + 2.hours() + (i as i64).minutes(), &VPS_US, PYTHON, 50126)
        })
        .collect();
    let breaches = process_all(&engine, &mut state, &attempts);
    assert!(of_model(&breaches, "saas.password_spray").is_empty(), "{breaches:?}");
}

#[test]
fn password_spray_spares_office_network() {
    let (engine, mut state, now) = with_history(&USERS);
    // A morning at the office: everyone signs in, and five users mistype their password first.
    let morning = now + 9.hours();
    let mut events = Vec::new();
    for (i, user) in USERS.iter().enumerate() {
        if i < 5 {
            events.push(sign_in(&format!("typo-{i}"), user, morning + (2 * i as i64).minutes(), &OFFICE_DE, EDGE, 50126));
        }
        events.push(sign_in(&format!("ok-{i}"), user, morning + (2 * i as i64 + 1).minutes(), &OFFICE_DE, EDGE, 0));
    }
    let breaches = process_all(&engine, &mut state, &events);
    let sprays = of_model(&breaches, "saas.password_spray");
    assert!(sprays.iter().all(|b| b.score < 30.0), "{sprays:?}");
}

#[test]
fn password_spray_chains_into_incident() {
    let (engine, mut state, now) = with_history(&USERS);
    // Three rounds of one password each against five users; the fifth user's third password works.
    let mut events = Vec::new();
    for round in 0..3 {
        for (i, user) in USERS[..5].iter().enumerate() {
            let time = now + 2.hours() + (10 * round + i as i64).minutes();
            events.push(sign_in(&format!("spray-{round}-{i}"), user, time, &VPS_US, PYTHON, 50126));
        }
    }
    events.push(sign_in("spray-success", USERS[4], now + 2.hours() + 30.minutes(), &VPS_US, PYTHON, 0));
    let mut incidents = Vec::new();
    for event in &events {
        for breach in engine.process(&mut state, event) {
            incidents.extend(state.incidents.add(&breach, &engine.settings().incidents));
        }
    }

    // The spray is one incident of its source; the account it broke into has its own, linked by source.
    let spray = incidents.iter().rev().find(|i| i.user.is_none()).expect("an incident of the spraying source");
    assert!(spray.models.contains("saas.password_spray"), "{:?}", spray.models);
    assert!(spray.stages.contains(&Stage::CredentialAccess), "{:?}", spray.stages);
    let account = incidents.iter().rev().find(|i| i.user.as_deref() == Some(USERS[4])).expect("an incident");
    assert!(account.models.contains("saas.rare_source_after_failures"), "{:?}", account.models);
    assert!(account.stages.contains(&Stage::InitialAccess), "{:?}", account.stages);
    assert!(account.severity >= Severity::Critical, "score {}", account.score);
    assert!(account.related.contains(&spray.id), "{:?} does not name {}", account.related, spray.id);
}

#[test]
fn mfa_fatigue_flags_denials_then_approval() {
    let (engine, mut state, now) = with_history(&USERS[..2]);
    let start = now + 2.hours();
    let mut events: Vec<Event> = (0..5)
        .map(|i| mfa_denial(&format!("prompt-{i}"), "alice@contoso.com", start + (2 * i).minutes(), &VPS_US, EDGE))
        .collect();
    events.push(with_mfa(sign_in("approved", "alice@contoso.com", start + 12.minutes(), &VPS_US, EDGE, 0), MfaResult::Satisfied));
    let breaches = process_all(&engine, &mut state, &events);

    let fatigue = of_model(&breaches, "saas.mfa_fatigue");
    assert_eq!(fatigue.len(), 2, "the fourth denial and the approval: {fatigue:?}");
    let (denials, approval) = (fatigue[0], fatigue[1]);
    assert_eq!(denials.stage, Stage::CredentialAccess);
    assert!(denials.score >= 40.0, "score {}", denials.score);
    assert_eq!(approval.stage, Stage::InitialAccess);
    assert_eq!(approval.technique_id, "T1621");
    assert!(approval.severity() >= Severity::High, "score {}", approval.score);
    assert_eq!(approval.events.len(), 6, "five denials and the approval");
    assert!(approval.summary.contains("after 5 denied"), "{}", approval.summary);
}

#[test]
fn mfa_fatigue_spares_slow_approval_at_home() {
    let (engine, mut state, now) = with_history(&USERS[..1]);
    let start = now + 9.hours();
    // The phone was in another room: three prompts timed out before the user approved.
    let mut events: Vec<Event> = (0..3)
        .map(|i| mfa_denial(&format!("timeout-{i}"), "alice@contoso.com", start + (2 * i).minutes(), &HOME_DE, EDGE))
        .collect();
    events.push(with_mfa(sign_in("approved", "alice@contoso.com", start + 7.minutes(), &HOME_DE, EDGE, 0), MfaResult::Satisfied));
    let breaches = process_all(&engine, &mut state, &events);

    let fatigue = of_model(&breaches, "saas.mfa_fatigue");
    assert!(fatigue.iter().all(|b| b.score < 30.0), "{fatigue:?}");
}

#[test]
fn mfa_fatigue_ignores_single_timeout() {
    let (engine, mut state, now) = with_history(&USERS[..1]);
    let start = now + 9.hours();
    let events = [
        mfa_denial("timeout", "alice@contoso.com", start, &HOTEL_FR, EDGE),
        with_mfa(sign_in("approved", "alice@contoso.com", start + 1.minutes(), &HOTEL_FR, EDGE, 0), MfaResult::Satisfied),
    ];
    let breaches = process_all(&engine, &mut state, &events);
    assert!(of_model(&breaches, "saas.mfa_fatigue").is_empty(), "{breaches:?}");
}

#[test]
fn rare_source_after_failures_flags_guessed_password() {
    let (engine, mut state, now) = with_history(&USERS[..2]);
    let mut events = failures("guess", "alice@contoso.com", now + 3.hours(), &VPS_US, PYTHON, 50126, 4);
    events.push(sign_in("in", "alice@contoso.com", now + 3.hours() + 5.minutes(), &VPS_US, PYTHON, 0));
    let breaches = process_all(&engine, &mut state, &events);

    let breach = of_model(&breaches, "saas.rare_source_after_failures").pop().expect("a breach");
    assert!(breach.severity() >= Severity::High, "score {}", breach.score);
    assert_eq!(breach.technique_id, "T1078.004");
    assert_eq!(breach.stage, Stage::InitialAccess);
    assert_eq!(breach.events.len(), 5, "the failures and the success");
    assert!(breach.summary.contains("after 4 failed"), "{}", breach.summary);
    let asn = breach.deviations.iter().find(|d| d.measure == "asn").expect("an ASN deviation");
    assert_eq!(asn.observed, "AS396073");
    assert!(asn.baseline.contains("AS3320"), "{}", asn.baseline);
}

#[test]
fn rare_source_after_failures_spares_trip_on_known_device() {
    let (engine, mut state, now) = with_history(&USERS[..1]);
    let mut events = failures("typo", "alice@contoso.com", now + 9.hours(), &HOTEL_FR, EDGE, 50126, 3);
    events.push(sign_in("in", "alice@contoso.com", now + 9.hours() + 4.minutes(), &HOTEL_FR, EDGE, 0));
    let breaches = process_all(&engine, &mut state, &events);
    assert!(breaches.iter().all(|b| b.score < 40.0), "{breaches:?}");
}

#[test]
fn rare_source_after_failures_spares_new_laptop_at_home() {
    let (engine, mut state, now) = with_history(&USERS[..1]);
    let mut events = failures("typo", "alice@contoso.com", now + 9.hours(), &HOME_DE_NEW_ADDRESS, FIREFOX_MAC, 50126, 3);
    let mut success = sign_in("in", "alice@contoso.com", now + 9.hours() + 4.minutes(), &HOME_DE_NEW_ADDRESS, FIREFOX_MAC, 0);
    if let Activity::SignIn(sign_in) = &mut success.activity {
        sign_in.device = Some(Device { id: Some("new-laptop".into()), operating_system: Some("MacOs".into()), ..Device::default() });
    }
    events.push(success);
    let breaches = process_all(&engine, &mut state, &events);
    assert!(of_model(&breaches, "saas.rare_source_after_failures").is_empty(), "{breaches:?}");
    assert!(breaches.iter().all(|b| b.score < 40.0), "{breaches:?}");
}

#[test]
fn impossible_travel_flags_far_sign_in() {
    let (engine, mut state, now) = with_history(&USERS[..2]);
    // The last ordinary sign-in was from home at 14:00 the day before; this one comes 30 minutes after another.
    let home = sign_in("home", "alice@contoso.com", now + 14.hours(), &HOME_DE, EDGE, 0);
    let far = sign_in("far", "alice@contoso.com", now + 14.hours() + 30.minutes(), &VPS_US, EDGE, 0);
    let breaches = process_all(&engine, &mut state, &[home, far]);

    let travel = of_model(&breaches, "saas.impossible_travel").pop().expect("a breach");
    assert!(travel.severity() >= Severity::High, "score {}", travel.score);
    assert_eq!(travel.technique_id, "T1078.004");
    assert_eq!(travel.events, vec!["home".to_owned(), "far".to_owned()]);
    assert!(travel.summary.contains("DE and US"), "{}", travel.summary);
    let speed = travel.deviations.iter().find(|d| d.measure == "travel_speed").expect("a speed deviation");
    assert!(speed.observed.contains("km/h"), "{}", speed.observed);
}

#[test]
fn impossible_travel_scores_return_leg_low() {
    let (engine, mut state, now) = with_history(&USERS[..1]);
    let events = [
        sign_in("home", "alice@contoso.com", now + 14.hours(), &HOME_DE, EDGE, 0),
        sign_in("far", "alice@contoso.com", now + 14.hours() + 30.minutes(), &VPS_US, EDGE, 0),
        sign_in("back", "alice@contoso.com", now + 15.hours(), &HOME_DE, EDGE, 0),
    ];
    let breaches = process_all(&engine, &mut state, &events);
    let travel = of_model(&breaches, "saas.impossible_travel");
    assert_eq!(travel.len(), 2, "{travel:?}");
    assert!(travel[1].score < 30.0, "the way back to a known network scores {}", travel[1].score);
}

#[test]
fn impossible_travel_spares_possible_trips() {
    let (engine, mut state, now) = with_history(&USERS[..1]);
    let events = [
        sign_in("home", "alice@contoso.com", now + 8.hours(), &HOME_DE, EDGE, 0),
        // A train to Paris: about 700 km between country centres, 500 km after the margin, in four hours.
        sign_in("paris", "alice@contoso.com", now + 12.hours(), &HOTEL_FR, EDGE, 0),
        // A flight to the United States: twelve hours later.
        sign_in("boston", "alice@contoso.com", now + 24.hours(), &HOTEL_US, EDGE, 0),
    ];
    let breaches = process_all(&engine, &mut state, &events);
    assert!(of_model(&breaches, "saas.impossible_travel").is_empty(), "{breaches:?}");
}

#[test]
fn impossible_travel_ignores_microsoft_and_same_asn() {
    let (engine, mut state, now) = with_history(&USERS[..1]);
    let events = [
        sign_in("home", "alice@contoso.com", now + 8.hours(), &HOME_DE, EDGE, 0),
        sign_in("exchange", "alice@contoso.com", now + 8.hours() + 5.minutes(), &EXCHANGE_ONLINE, EDGE, 0),
        sign_in("home-again", "alice@contoso.com", now + 8.hours() + 10.minutes(), &HOME_DE, EDGE, 0),
    ];
    let breaches = process_all(&engine, &mut state, &events);
    assert!(of_model(&breaches, "saas.impossible_travel").is_empty(), "{breaches:?}");
}

#[test]
fn impossible_travel_uses_entra_coordinates() {
    let (engine, mut state, now) = with_history(&USERS[..1]);
    // Berlin, then Sydney an hour later: about 16,000 km.
    let berlin = with_coordinates(sign_in("berlin", "alice@contoso.com", now + 8.hours(), &HOME_DE, EDGE, 0), 52.52, 13.40);
    let sydney_net = Net { ip: "1.120.0.10", asn: 1221, org: "Telstra Corporation Ltd", country: "AU", class: IpClass::Residential };
    let sydney = with_coordinates(sign_in("sydney", "alice@contoso.com", now + 9.hours(), &sydney_net, PYTHON, 0), -33.87, 151.21);
    let breaches = process_all(&engine, &mut state, &[berlin, sydney]);

    let travel = of_model(&breaches, "saas.impossible_travel").pop().expect("a breach");
    let distance: f64 = travel.evidence.iter().find(|e| e.name == "distance_km").unwrap().value.parse().unwrap();
    assert!((distance - 16_000.0).abs() < 200.0, "{distance}");
}

#[test]
fn unusual_mail_location_flags_mail_read_from_vps() {
    let (engine, mut state, now) = with_history(&USERS[..2]);
    let reads: Vec<Event> = (0..5)
        .map(|i| mail_read(&format!("read-{i}"), "alice@contoso.com", now + 3.hours() + i.minutes(), &VPS_US, EDGE))
        .collect();
    let breaches = process_all(&engine, &mut state, &reads);

    let mail = of_model(&breaches, "saas.unusual_mail_location");
    assert_eq!(mail.len(), 1, "one breach per source and window: {mail:?}");
    assert!(mail[0].severity() >= Severity::High, "score {}", mail[0].score);
    assert_eq!(mail[0].technique_id, "T1114.002");
    assert_eq!(mail[0].stage, Stage::Collection);
    assert!(mail[0].summary.starts_with("Mail read from AS396073"), "{}", mail[0].summary);
}

#[test]
fn unusual_mail_location_spares_trip_and_new_laptop() {
    let (engine, mut state, now) = with_history(&USERS[..1]);
    let events = [
        mail_sent("trip", "alice@contoso.com", now + 10.hours(), &HOTEL_FR, EDGE),
        mail_read("laptop", "alice@contoso.com", now + 30.hours(), &HOME_DE_NEW_ADDRESS, FIREFOX_MAC),
        mail_read("exchange", "alice@contoso.com", now + 31.hours(), &EXCHANGE_ONLINE, PYTHON),
    ];
    let breaches = process_all(&engine, &mut state, &events);
    assert!(of_model(&breaches, "saas.unusual_mail_location").is_empty(), "{breaches:?}");
}
