//! Plain-number descriptions of baselines, for breach deviations and reports.

use harrier_learn::{Assessment, Feature, Profile, Surprise};

/// Describes a user's usual values of a feature: `AS3320 (92%), AS6805 (8%) over 120 days`, or
/// `3 known values over 120 days` for features whose values are hashed, or `no history` for a new user.
pub fn usual_values(profile: Option<&Profile>, feature: Feature, history_days: u32) -> String {
    let Some(profile) = profile.filter(|p| p.events > 0) else {
        return "no history".to_owned();
    };
    let sketch = &profile.features[feature.index()];
    let total = sketch.total();
    if sketch.is_empty() || total <= 0.0 {
        return format!("no {} seen in {history_days} days", feature.as_str().replace('_', " "));
    }
    let top = sketch.top(3);
    let named: Vec<String> = top
        .iter()
        .filter_map(|(key, count)| {
            let share = 100.0 * count / total;
            // Values under 1% are noise in a description of habits (often the event being judged).
            (share >= 1.0).then_some(())?;
            feature.describe(*key).map(|value| format!("{value} ({share:.0}%)"))
        })
        .collect();
    if named.is_empty() {
        format!("{} known values over {history_days} days", sketch.len())
    } else {
        format!("{} over {history_days} days", named.join(", "))
    }
}

/// Describes how common a value is for the user, the peer group and the tenant, as shares of their
/// recent activity (counts decay, so shares are what stays comparable): `never seen for the user, 2% of the
/// peer group's activity, 0.1% of the tenant's`.
pub fn rarity(surprise: &Surprise) -> String {
    let share = |count: f32, total: f32, whose: &str| {
        if count < 0.5 || total <= 0.0 {
            format!("never seen for {whose}")
        } else {
            let percent = 100.0 * count / total;
            if percent < 0.1 {
                format!("under 0.1% of {whose}'s activity")
            } else {
                let digits = if percent < 1.0 { 1 } else { 0 };
                format!("{percent:.digits$}% of {whose}'s activity")
            }
        }
    };
    let mut parts = vec![share(surprise.user_count, surprise.user_total, "the user")];
    if surprise.peer_total > 0.0 {
        parts.push(share(surprise.peer_count, surprise.peer_total, "the peer group"));
    }
    parts.push(share(surprise.tenant_count, surprise.tenant_total, "the tenant"));
    parts.join(", ")
}

/// Returns the phrase for the user's history length, noting a learning period.
pub fn history(assessment: &Assessment) -> String {
    let mut text = format!("{} days of history", assessment.user_history_days);
    if assessment.user_learning {
        text.push_str(" (still learning)");
    }
    text
}
