//! Helpers the activity models share: the tenant's mail domains, daily volumes and marks.

use std::collections::BTreeSet;

use harrier_learn::{Metric, Volume};

use crate::breach::{Breach, Technique};
use crate::model::Context;
use crate::recent::Mark;

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// Returns the lower-cased domain of a mail address, or `None` for a name without `@` (an Exchange alias or
/// recipient object).
pub fn domain_of(address: &str) -> Option<String> {
    let address = address.trim().trim_start_matches("smtp:").trim_start_matches("SMTP:");
    let (_, domain) = address.rsplit_once('@')?;
    let domain = domain.trim().trim_end_matches('>').trim_end_matches('.').to_ascii_lowercase();
    (!domain.is_empty()).then_some(domain)
}

/// The mail domains of the tenant, learned from the user names seen in it.
#[derive(Debug, Default)]
pub struct TenantDomains {
    domains: BTreeSet<String>,
}

impl TenantDomains {
    /// Collects the domains of the actor, of every user the baselines know, and of `extra` addresses
    /// (the mailbox a setting belongs to).
    pub fn of(context: &Context<'_>, extra: &[Option<&str>]) -> TenantDomains {
        let actor = context.event.actor.user.as_deref();
        let known = context.baselines.users.keys().map(String::as_str);
        let domains = known.chain(actor).chain(extra.iter().flatten().copied()).filter_map(domain_of).collect();
        TenantDomains { domains }
    }

    /// True when `address` is in a tenant domain or one of its subdomains, or names no domain at all (an
    /// Exchange recipient object, which lives inside the tenant).
    pub fn is_internal(&self, address: &str) -> bool {
        let Some(domain) = domain_of(address) else { return true };
        self.domains.iter().any(|own| domain == *own || domain.ends_with(&format!(".{own}")))
    }

    /// Returns the addresses outside the tenant.
    pub fn external<'a>(&self, addresses: impl IntoIterator<Item = &'a String>) -> Vec<&'a str> {
        addresses.into_iter().map(String::as_str).filter(|a| !self.is_internal(a)).collect()
    }

    /// Lists the domains for evidence, at most five.
    pub fn describe(&self) -> String {
        let shown: Vec<&str> = self.domains.iter().take(5).map(String::as_str).collect();
        let more = self.domains.len().saturating_sub(shown.len());
        if more > 0 { format!("{} and {more} more", shown.join(", ")) } else { shown.join(", ") }
    }
}

/// Returns the actor's daily volume of `metric` as of the event's day, with earlier days closed, and the
/// amount already counted today before this event.
pub fn volume_today(context: &Context<'_>, metric: Metric) -> Option<(Volume, f32)> {
    let user = context.event.actor.user.as_deref()?;
    let profile = &context.baselines.user(user)?.profile;
    let mut volume = *profile.volume(metric);
    // The profile rolls its volumes when it learns, which happens after the models ran, so at the first
    // event of a day the stored running count is still yesterday's.
    volume.roll_to(context.assessment.day, profile.first_day);
    let before = volume.today;
    Some((volume, before))
}

/// A daily volume that this event pushed over the model's threshold.
pub struct Crossing {
    /// The volume as of the event's day, before this event.
    pub volume: Volume,
    /// Today's count with this event.
    pub count: f32,
    /// Standard deviations of `count` above the daily mean.
    pub z: f32,
    /// True when the user has fewer than `MIN_VOLUME_DAYS` past days, so the threshold is a fixed count.
    pub thin_history: bool,
}

/// Past days a volume needs before its mean and deviation are trusted.
pub const MIN_VOLUME_DAYS: u32 = 7;

/// The thresholds of a daily volume model.
pub struct Threshold {
    /// Counts below this never cross the threshold.
    pub min_count: f32,
    /// Standard deviations above the mean the count has to reach.
    pub z: f32,
    /// The count also has to exceed the highest past day times this.
    pub max_factor: f32,
}

/// Returns the crossing when adding `amount` moves the actor's count of `metric` today from below the
/// threshold to at or above it, so a model raises once per user and day. Users with a thin history need
/// three times `min_count`.
pub fn crossing(context: &Context<'_>, metric: Metric, amount: f32, threshold: &Threshold) -> Option<Crossing> {
    let (volume, before) = volume_today(context, metric)?;
    let count = before + amount;
    let thin_history = volume.days < MIN_VOLUME_DAYS;
    let over = |x: f32| {
        if thin_history {
            x >= 3.0 * threshold.min_count
        } else {
            x >= threshold.min_count && volume.z_score(x) >= threshold.z && x > volume.max * threshold.max_factor
        }
    };
    (over(count) && !over(before)).then(|| Crossing { volume, count, z: volume.z_score(count), thin_history })
}

/// Describes a daily volume's baseline: `mean 12.0 a day, standard deviation 3.1, max 30 over 45 days`.
pub fn usual_volume(volume: &Volume, unit: &str) -> String {
    if volume.days == 0 {
        return format!("no past days of {unit}");
    }
    format!(
        "mean {:.1} {unit} a day, standard deviation {:.1}, max {:.0} over {} days",
        volume.mean,
        volume.variance.sqrt(),
        volume.max,
        volume.days
    )
}

/// Returns the start of the event's UTC day in milliseconds since the Unix epoch.
pub fn day_start_ms(context: &Context<'_>) -> i64 {
    context.time_ms().div_euclid(DAY_MS) * DAY_MS
}

/// Returns the actor's marks from `since_ms` up to the current event's time, newest first. Marks of events that
/// came later in time but were processed first (a record that arrived late) are left out.
pub fn marks_since<'a>(context: &'a Context<'_>, since_ms: i64) -> impl Iterator<Item = &'a Mark> {
    let until_ms = context.time_ms();
    context.user.into_iter().flat_map(|u| u.marks.iter().rev()).filter(move |m| (since_ms..=until_ms).contains(&m.time_ms))
}

/// True when the actor already has a breach of `model_id` today, so a daily model raises once a day.
pub fn raised_today(context: &Context<'_>, model_id: &str) -> bool {
    context.user.is_some_and(|u| u.mark_since(model_id, day_start_ms(context)).is_some())
}

/// Formats a count for a summary: `1,234`.
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Replaces the breach's technique with `technique`, for breaches whose kind differs from the model's default.
pub fn set_technique(breach: &mut Breach, technique: &Technique) {
    breach.technique_id = technique.id.to_owned();
    breach.technique_name = technique.name.to_owned();
    breach.tactic = technique.tactic.to_owned();
}

/// Times an operation must have been performed before it counts as a habit.
pub const HABIT_COUNT: f32 = 2.0;

/// Score multiplier for an operation the user performs habitually.
pub const HABIT_FACTOR: f64 = 0.5;

/// Times (decayed) an operation must have been performed across the tenant to count as routine there.
pub const TENANT_ROUTINE_COUNT: f32 = 5.0;

/// Score multiplier for an operation that is routine in the tenant, even if new for this user.
pub const TENANT_ROUTINE_FACTOR: f64 = 0.7;

/// Returns the score multiplier for how familiar this event's operation is to the user and the tenant.
/// `burst` is how many of the user's performances belong to the current burst, which must not count as a
/// habit: ten grants in ten minutes are an escalation, not a routine.
pub fn familiarity_factor(context: &Context<'_>, burst: f32) -> f64 {
    let Some(surprise) = context.assessment.surprise(harrier_learn::Feature::Operation) else { return 1.0 };
    let mut factor = 1.0;
    if surprise.user_count - burst >= HABIT_COUNT {
        factor *= HABIT_FACTOR;
    }
    if surprise.tenant_count >= TENANT_ROUTINE_COUNT {
        factor *= TENANT_ROUTINE_FACTOR;
    }
    factor
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_of_addresses() {
        assert_eq!(domain_of("smtp:Peter.Griffin@FamilyGuy.com").as_deref(), Some("familyguy.com"));
        assert_eq!(domain_of("marge"), None);
    }

    #[test]
    fn subdomains_are_internal() {
        let domains = TenantDomains { domains: ["simpsons.com".to_owned()].into() };
        assert!(domains.is_internal("bart@springfield.simpsons.com"));
        assert!(domains.is_internal("marge"));
        assert!(!domains.is_internal("evil@simpsons2.com"));
        assert!(!domains.is_internal("evil@notsimpsons.com"));
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(1234567.0), "1,234,567");
        assert_eq!(thousands(999.0), "999");
    }
}
