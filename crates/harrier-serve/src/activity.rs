//! A user's pattern of life read from the stored events, for the UI's user page: where they sign in from
//! per day, their devices and applications, their activity by weekday and hour, and their usual
//! correspondents. It complements the learned baseline, which keeps shares but not when values appeared.

use std::collections::BTreeMap;

use harrier_model::{Activity, Event};
use serde_json::{Value, json};

/// A sign-in source (country or autonomous system) is marked unusual when fewer than this share of the
/// user's sign-ins in the window came from it.
pub const RARE_SHARE: f64 = 0.05;

/// Entries listed for devices, applications and correspondents.
const TOP: usize = 10;

/// Sign-ins of one day, counted by country and by autonomous system.
#[derive(Default)]
struct DaySources {
    countries: BTreeMap<String, u64>,
    asns: BTreeMap<String, u64>,
}

/// Counts of one sign-in source, such as a country.
#[derive(Default)]
struct SourceCount {
    sign_ins: u64,
    first: Option<jiff::Timestamp>,
    last: Option<jiff::Timestamp>,
    label: Option<String>,
}

impl SourceCount {
    fn add(&mut self, time: jiff::Timestamp) {
        self.sign_ins += 1;
        self.first = Some(self.first.map_or(time, |first| first.min(time)));
        self.last = Some(self.last.map_or(time, |last| last.max(time)));
    }
}

/// Returns whether `event` was made by `user`, compared without case as user principal names are.
pub fn is_by(event: &Event, user: &str) -> bool {
    event.actor.user.as_deref().is_some_and(|actor| actor.eq_ignore_ascii_case(user))
}

/// Summarises the events of one user that fall in the `days` days up to the user's latest event.
/// `events` may be in any order.
pub fn summary(user: &str, events: &[Event], days: u32) -> Value {
    let Some(latest) = events.iter().map(|e| e.time).max() else {
        return json!({ "user": user, "events": 0, "days": days, "sign_ins": 0, "daily": [], "countries": [], "asns": [],
            "heatmap": vec![vec![0u64; 24]; 7], "devices": [], "applications": [], "correspondents": [] });
    };
    let start = latest.checked_sub(jiff::SignedDuration::from_hours(24 * i64::from(days))).unwrap_or(latest);
    let events: Vec<&Event> = events.iter().filter(|e| e.time > start).collect();

    let mut heatmap = [[0u64; 24]; 7];
    let mut daily: BTreeMap<jiff::civil::Date, DaySources> = BTreeMap::new();
    let mut countries: BTreeMap<String, SourceCount> = BTreeMap::new();
    let mut asns: BTreeMap<String, SourceCount> = BTreeMap::new();
    let mut devices: BTreeMap<String, u64> = BTreeMap::new();
    let mut applications: BTreeMap<String, u64> = BTreeMap::new();
    let mut correspondents: BTreeMap<String, u64> = BTreeMap::new();
    let mut sign_ins = 0u64;

    for event in &events {
        let utc = event.time.to_zoned_datetime(jiff::tz::TimeZone::UTC);
        heatmap[usize::from(utc.weekday().to_monday_zero_offset() as u8)][utc.hour() as usize] += 1;
        match &event.activity {
            Activity::SignIn(sign_in) => {
                sign_ins += 1;
                let country = event
                    .ip_info
                    .as_ref()
                    .and_then(|info| info.country.clone())
                    .or_else(|| sign_in.location.as_ref().and_then(|l| l.country.clone()))
                    .unwrap_or_else(|| "unknown".to_owned());
                let asn = event.ip_info.as_ref().and_then(|info| info.asn).map_or_else(|| "unknown".to_owned(), |asn| format!("AS{asn}"));
                let day = daily.entry(utc.date()).or_default();
                *day.countries.entry(country.clone()).or_default() += 1;
                *day.asns.entry(asn.clone()).or_default() += 1;
                countries.entry(country).or_default().add(event.time);
                let entry = asns.entry(asn).or_default();
                entry.add(event.time);
                if entry.label.is_none() {
                    entry.label = event.ip_info.as_ref().and_then(|info| info.as_org.clone());
                }
                if let Some(device) = describe_device(sign_in.device.as_ref(), event.client.user_agent.as_deref()) {
                    *devices.entry(device).or_default() += 1;
                }
                if let Some(app) = sign_in.application.name.clone().or_else(|| sign_in.application.id.clone()) {
                    *applications.entry(app).or_default() += 1;
                }
            }
            Activity::Email(email) => {
                let from = email.from.as_deref().unwrap_or_default();
                if from.eq_ignore_ascii_case(event.actor.user.as_deref().unwrap_or_default()) {
                    for recipient in &email.recipients {
                        *correspondents.entry(recipient.to_lowercase()).or_default() += 1;
                    }
                } else if !from.is_empty() {
                    *correspondents.entry(from.to_lowercase()).or_default() += 1;
                }
            }
            _ => {}
        }
    }

    let sources = |counts: BTreeMap<String, SourceCount>, key: &str| -> Vec<Value> {
        let mut list: Vec<Value> = counts
            .into_iter()
            .map(|(value, count)| {
                let share = if sign_ins > 0 { count.sign_ins as f64 / sign_ins as f64 } else { 0.0 };
                json!({ key: value, "name": count.label, "sign_ins": count.sign_ins, "share": share,
                    "first_seen": count.first, "last_seen": count.last, "unusual": share < RARE_SHARE })
            })
            .collect();
        list.sort_by(|a, b| b["sign_ins"].as_u64().cmp(&a["sign_ins"].as_u64()));
        list
    };
    // Days without sign-ins between the first and the last stay in the series, so a chart's bars are evenly
    // spaced in time.
    if let (Some(first), Some(last)) = (daily.keys().next().copied(), daily.keys().next_back().copied()) {
        let mut day = first;
        while day < last {
            daily.entry(day).or_default();
            day = day.tomorrow().unwrap_or(last);
        }
    }
    let daily: Vec<Value> =
        daily.into_iter().map(|(day, sources)| json!({ "day": day, "countries": sources.countries, "asns": sources.asns })).collect();

    json!({
        "user": user,
        "events": events.len(),
        "days": days,
        "from": start,
        "until": latest,
        "sign_ins": sign_ins,
        "rare_share": RARE_SHARE,
        "daily": daily,
        "countries": sources(countries, "country"),
        "asns": sources(asns, "asn"),
        "heatmap": heatmap,
        "devices": top(devices),
        "applications": top(applications),
        "correspondents": top(correspondents),
    })
}

fn describe_device(device: Option<&harrier_model::Device>, user_agent: Option<&str>) -> Option<String> {
    if let Some(device) = device {
        let parts: Vec<&str> = [device.name.as_deref(), device.operating_system.as_deref(), device.browser.as_deref()].into_iter().flatten().collect();
        if !parts.is_empty() {
            return Some(parts.join(" · "));
        }
    }
    user_agent.map(str::to_owned)
}

fn top(counts: BTreeMap<String, u64>) -> Vec<Value> {
    let mut list: Vec<(String, u64)> = counts.into_iter().collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    list.into_iter().take(TOP).map(|(name, count)| json!({ "name": name, "count": count })).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use harrier_model::{Actor, Client, IpClass, IpInfo, SignIn, SourceFormat, TenantId};

    fn sign_in(user: &str, time: &str, country: &str, asn: u32) -> Event {
        Event {
            tenant: TenantId::new("contoso"),
            record_id: format!("{user}-{time}"),
            time: time.parse().unwrap(),
            format: SourceFormat::GraphSignIn,
            operation: "Sign-in activity".to_owned(),
            workload: None,
            outcome: Default::default(),
            actor: Actor { user: Some(user.to_owned()), ..Default::default() },
            client: Client { ip: None, user_agent: Some("Firefox".to_owned()) },
            ip_info: Some(IpInfo { asn: Some(asn), as_org: Some(format!("Org {asn}")), country: Some(country.to_owned()), class: IpClass::Residential, provider: None }),
            activity: Activity::SignIn(SignIn { success: true, ..Default::default() }),
        }
    }

    #[test]
    fn rare_sources_marked_and_gaps_filled() {
        // 2026-03-02 is a Monday.
        let mut events: Vec<Event> = (0..20).map(|day| sign_in("Ann@x.test", &format!("2026-03-{:02}T09:00:00Z", 2 + day % 20), "DE", 3320)).collect();
        events.push(sign_in("ann@x.test", "2026-03-21T03:00:00Z", "NG", 37282));
        events.push(sign_in("bob@x.test", "2026-03-21T03:00:00Z", "US", 7922));
        let own: Vec<Event> = events.into_iter().filter(|e| is_by(e, "ann@x.test")).collect();
        assert_eq!(own.len(), 21, "the user is matched without case");

        let summary = summary("ann@x.test", &own, 30);
        assert_eq!(summary["sign_ins"], 21);
        assert_eq!(summary["countries"][0]["country"], "DE");
        assert_eq!(summary["countries"][0]["unusual"], false);
        assert_eq!(summary["countries"][1]["country"], "NG");
        assert_eq!(summary["countries"][1]["unusual"], true, "1 of 21 sign-ins is under 5%");
        assert_eq!(summary["asns"][1]["name"], "Org 37282");
        assert_eq!(summary["heatmap"][0][9], 3, "three Mondays at 09:00");
        assert_eq!(summary["heatmap"][5][3], 1, "2026-03-21 is a Saturday");
        assert_eq!(summary["daily"].as_array().unwrap().len(), 20);

        let gap = vec![sign_in("ann@x.test", "2026-03-02T09:00:00Z", "DE", 3320), sign_in("ann@x.test", "2026-03-05T09:00:00Z", "DE", 3320)];
        let gap = super::summary("ann@x.test", &gap, 30);
        let days: Vec<&str> = gap["daily"].as_array().unwrap().iter().map(|d| d["day"].as_str().unwrap()).collect();
        assert_eq!(days, ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"], "days without sign-ins are kept");
        assert_eq!(gap["daily"][1]["countries"], json!({}));
        assert_eq!(summary["devices"][0]["name"], "Firefox");

        let window = super::summary("ann@x.test", &own, 1);
        assert_eq!(window["sign_ins"], 2, "a one-day window keeps the last day's sign-ins");
    }
}
