//! The summary of a user's learned baseline that the API returns.

use harrier_learn::{FEATURES, METRICS, UserBaseline};
use serde_json::{Value, json};

/// Values listed per feature.
const TOP_VALUES: usize = 5;

/// Summarises a baseline: history, activity by hour and weekday, the most frequent value of each feature
/// with its share, and the daily volumes.
pub fn summary(tenant: &str, user: &str, baseline: &UserBaseline) -> Value {
    let profile = &baseline.profile;
    let day = |days: u32| jiff::civil::Date::constant(1970, 1, 1).checked_add(jiff::Span::new().days(i64::from(days))).ok();
    let hour_total: f32 = profile.hours.iter().sum();
    let weekday_total: f32 = profile.weekdays.iter().sum();
    let share = |value: f32, total: f32| if total > 0.0 { value / total } else { 0.0 };

    let mut features = serde_json::Map::new();
    for feature in FEATURES {
        let sketch = &profile.features[feature.index()];
        let total = sketch.total();
        let top: Vec<Value> = sketch
            .top(TOP_VALUES)
            .into_iter()
            .map(|(key, count)| {
                // Features other than ASN, country and network class keep only a hash of each value.
                let value = feature.describe(key).unwrap_or_else(|| format!("#{key:016x}"));
                json!({ "value": value, "share": share(count, total) })
            })
            .collect();
        features.insert(feature.as_str().to_owned(), json!({ "distinct": sketch.len(), "top": top }));
    }
    let volumes: serde_json::Map<String, Value> = METRICS
        .iter()
        .map(|metric| {
            let volume = profile.volume(*metric);
            (metric.as_str().to_owned(), json!({ "mean": volume.mean, "max": volume.max, "days": volume.days }))
        })
        .collect();

    json!({
        "tenant": tenant,
        "user": user,
        "peer_group": baseline.peer_group,
        "events": profile.events,
        "first_day": day(profile.first_day),
        "last_day": day(profile.last_day),
        "history_days": profile.history_days(),
        "active_days": profile.active_days,
        "hour_share": profile.hours.iter().map(|h| share(*h, hour_total)).collect::<Vec<_>>(),
        "weekday_share": profile.weekdays.iter().map(|w| share(*w, weekday_total)).collect::<Vec<_>>(),
        "features": features,
        "daily_volumes": volumes,
    })
}
