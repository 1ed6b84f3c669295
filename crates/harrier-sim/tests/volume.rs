//! The benign tenant's volume and habits: records per active user-day, quiet weekends, and sign-ins mostly
//! from each user's own networks.

mod common;

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use harrier_sim::directory::SITES;
use harrier_sim::net::{NetworkKind, network_of};
use serde_json::Value;

/// Returns each record's user and UTC date.
fn user_days(run: &common::Run) -> Vec<(String, String, bool)> {
    let mut rows = Vec::new();
    for (_, record) in run.audit_records() {
        let user = record["UserId"].as_str().unwrap().to_owned();
        rows.push((
            user,
            record["CreationTime"].as_str().unwrap()[..10].to_owned(),
            false,
        ));
    }
    for sign_in in run.sign_ins() {
        let user = sign_in["userPrincipalName"].as_str().unwrap().to_owned();
        let interactive = sign_in["isInteractive"] == true;
        rows.push((
            user,
            sign_in["createdDateTime"].as_str().unwrap()[..10].to_owned(),
            interactive,
        ));
    }
    rows
}

/// Returns the users named in labels, whose records include injected ones.
fn labelled_users(run: &common::Run) -> HashSet<String> {
    run.labels()
        .scenarios
        .into_iter()
        .filter_map(|scenario| scenario.user)
        .collect()
}

fn people(run: &common::Run) -> Vec<Value> {
    run.users()["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["service_account"] == false)
        .cloned()
        .collect()
}

#[test]
fn active_user_days_have_20_to_60_records() {
    let run = common::run(common::small_config(41));
    let skip = labelled_users(&run);
    let people: HashSet<String> = people(&run)
        .iter()
        .map(|u| u["user_principal_name"].as_str().unwrap().to_owned())
        .collect();
    let mut counts: HashMap<(String, String), (u32, bool)> = HashMap::new();
    for (user, date, interactive) in user_days(&run) {
        if !people.contains(&user) || skip.contains(&user) {
            continue;
        }
        let entry = counts.entry((user, date)).or_default();
        entry.0 += 1;
        entry.1 |= interactive;
    }
    let active: Vec<u32> = counts
        .values()
        .filter(|(_, worked)| *worked)
        .map(|(count, _)| *count)
        .collect();
    let mean = f64::from(active.iter().sum::<u32>()) / active.len() as f64;
    assert!(
        (20.0..=60.0).contains(&mean),
        "mean records per active user-day is {mean:.1}"
    );
}

#[test]
fn weekends_are_quiet() {
    let run = common::run(common::small_config(42));
    let mut per_date: HashMap<String, u32> = HashMap::new();
    for (_, date, _) in user_days(&run) {
        *per_date.entry(date).or_default() += 1;
    }
    let mut weekday = Vec::new();
    let mut weekend = Vec::new();
    for (date, count) in per_date {
        let date: jiff::civil::Date = date.parse().unwrap();
        if date.weekday().to_monday_one_offset() >= 6 {
            weekend.push(count)
        } else {
            weekday.push(count)
        }
    }
    let mean = |values: &[u32]| f64::from(values.iter().sum::<u32>()) / values.len() as f64;
    assert!(
        mean(&weekend) < 0.3 * mean(&weekday),
        "weekend {:.0} vs weekday {:.0}",
        mean(&weekend),
        mean(&weekday)
    );
}

/// Returns the names of the networks a user is expected on: home ISPs, the office's line, the VPN and the
/// phone's carrier.
fn own_networks(user: &Value) -> Vec<String> {
    let mut names: Vec<String> = user["home_isps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|isp| isp["name"].as_str().unwrap().to_owned())
        .collect();
    if let Some(site) = user["site"].as_str() {
        let (office, _) = SITES
            .iter()
            .find(|(office, _)| office.name == site)
            .unwrap();
        names.push(office.egress.name.to_owned());
    }
    if user["vpn"] == true {
        names.push("Zscaler".to_owned());
    }
    if let Some(carrier) = user["phone"]["carrier"].as_str() {
        names.push(carrier.rsplit_once(" (AS").unwrap().0.to_owned());
    }
    names
}

#[test]
fn benign_users_sign_in_from_home_networks() {
    let run = common::run(common::small_config(43));
    let skip = labelled_users(&run);
    let injected: HashSet<String> = run
        .labels()
        .scenarios
        .into_iter()
        .flat_map(|scenario| scenario.steps)
        .flat_map(|step| step.record_ids)
        .collect();
    let users: HashMap<String, Value> = people(&run)
        .into_iter()
        .map(|user| {
            (
                user["user_principal_name"].as_str().unwrap().to_owned(),
                user,
            )
        })
        .collect();

    let (mut total, mut home_isp, mut own, mut hosting) = (0u32, 0u32, 0u32, 0u32);
    for sign_in in run.sign_ins() {
        let upn = sign_in["userPrincipalName"].as_str().unwrap();
        let Some(user) = users.get(upn) else { continue };
        if skip.contains(upn) || injected.contains(sign_in["id"].as_str().unwrap()) {
            continue;
        }
        let ip: IpAddr = sign_in["ipAddress"].as_str().unwrap().parse().unwrap();
        let network = network_of(ip).expect("every address comes from a known network");
        let isps = user["home_isps"].as_array().unwrap();
        total += 1;
        home_isp += u32::from(isps.iter().any(|isp| isp["name"] == network.name));
        own += u32::from(own_networks(user).iter().any(|name| name == network.name));
        hosting += u32::from(network.kind == NetworkKind::Hosting);
    }

    let share = |count: u32| f64::from(count) / f64::from(total);
    assert!(
        share(home_isp) > 0.3,
        "home ISP share {:.2}",
        share(home_isp)
    );
    assert!(
        share(own) > 0.95,
        "share from the user's own networks {:.2}",
        share(own)
    );
    assert_eq!(
        hosting, 0,
        "benign users never sign in from hosting providers"
    );
}
