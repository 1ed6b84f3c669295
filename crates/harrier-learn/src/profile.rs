//! The profile of one entity (a user, a peer group, the tenant): its normal activity.

use serde::{Deserialize, Serialize};

use crate::features::Observation;
use crate::sketch::Sketch;

/// A daily volume an entity's baseline tracks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    MailSent,
    MailItemsAccessed,
    FilesDownloaded,
    FailedSignIns,
    InboxRulesCreated,
    ConsentsGranted,
}

pub const METRICS: [Metric; 6] = [
    Metric::MailSent,
    Metric::MailItemsAccessed,
    Metric::FilesDownloaded,
    Metric::FailedSignIns,
    Metric::InboxRulesCreated,
    Metric::ConsentsGranted,
];

impl Metric {
    pub fn index(self) -> usize {
        METRICS.iter().position(|m| *m == self).expect("every metric is listed")
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::MailSent => "mail_sent",
            Metric::MailItemsAccessed => "mail_items_accessed",
            Metric::FilesDownloaded => "files_downloaded",
            Metric::FailedSignIns => "failed_sign_ins",
            Metric::InboxRulesCreated => "inbox_rules_created",
            Metric::ConsentsGranted => "consents_granted",
        }
    }
}

/// The daily totals of one metric: today's running count and the mean, variance and maximum of past days.
///
/// Past days are folded in as exponentially weighted moving averages when a day ends, and days without
/// activity count as zero, so a user who sends mail on one day a month has a low daily mean.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Volume {
    pub today: f32,
    pub day: u32,
    pub mean: f32,
    pub variance: f32,
    pub max: f32,
    /// Days folded into the averages.
    pub days: u32,
}

impl Volume {
    /// Weight of the newest day in the moving averages: about a 30-day memory.
    const ALPHA: f32 = 1.0 / 30.0;

    /// Closes the days before `day`, counting days without activity as zero.
    pub fn roll_to(&mut self, day: u32, first_day: u32) {
        if self.day == 0 {
            self.day = day.max(first_day);
            return;
        }
        while self.day < day {
            self.fold(self.today);
            self.today = 0.0;
            self.day += 1;
            if day - self.day > 400 {
                // A long silence: the averages have decayed to nothing long before the end of it.
                self.day = day;
            }
        }
    }

    fn fold(&mut self, total: f32) {
        let delta = total - self.mean;
        self.mean += Self::ALPHA * delta;
        self.variance = (1.0 - Self::ALPHA) * (self.variance + Self::ALPHA * delta * delta);
        self.max = self.max.max(total);
        self.days += 1;
    }

    pub fn add(&mut self, amount: f32) {
        self.today += amount;
    }

    /// Returns how many standard deviations `count` is above the daily mean, with a floor on the deviation
    /// so a user whose volume never varied is not flagged for one extra message.
    pub fn z_score(&self, count: f32) -> f32 {
        let deviation = self.variance.sqrt().max(1.0 + 0.5 * self.mean);
        (count - self.mean) / deviation
    }
}

/// A baseline: feature frequencies, activity by hour and weekday, and daily volumes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub features: [Sketch; 9],
    /// Decayed activity per hour of the day (UTC) and per weekday (Monday first).
    pub hours: [f32; 24],
    pub weekdays: [f32; 7],
    pub volumes: [Volume; 6],
    /// Days since the Unix epoch of the first and the latest event learned.
    pub first_day: u32,
    pub last_day: u32,
    /// Days with at least one event.
    pub active_days: u32,
    /// Events learned, not decayed.
    pub events: u64,
}

impl Profile {
    /// Learns an event's features and time, keeping at most `capacity` values per feature.
    pub fn learn(&mut self, observation: &Observation, day: u32, hour: usize, weekday: usize, config: &crate::Config, capacity: usize) {
        self.advance(day, config);
        for (feature, key) in observation.present() {
            // Users perform more kinds of operations than they use networks or devices.
            let capacity = if feature == crate::Feature::Operation { 2 * capacity } else { capacity };
            self.features[feature.index()].add(key, capacity);
        }
        self.hours[hour] += 1.0;
        self.weekdays[weekday] += 1.0;
        self.events += 1;
    }

    /// Moves the profile's clock to `day`: decays counts and closes finished days of the volumes.
    pub fn advance(&mut self, day: u32, config: &crate::Config) {
        if self.events == 0 && self.first_day == 0 {
            self.first_day = day;
        }
        if day > self.last_day || self.active_days == 0 {
            if self.last_day > 0 && day > self.last_day {
                let factor = 0.5f32.powf((day - self.last_day) as f32 / config.half_life_days);
                self.hours.iter_mut().chain(self.weekdays.iter_mut()).for_each(|v| *v *= factor);
            }
            self.active_days += 1;
            self.last_day = day;
        }
        for sketch in &mut self.features {
            sketch.decay_to(day, config.half_life_days);
        }
        let first_day = self.first_day;
        for volume in &mut self.volumes {
            volume.roll_to(day, first_day);
        }
    }

    /// Returns the number of days between the first and latest event, inclusive.
    pub fn history_days(&self) -> u32 {
        if self.events == 0 { 0 } else { self.last_day - self.first_day + 1 }
    }

    pub fn volume(&self, metric: crate::Metric) -> &Volume {
        &self.volumes[metric.index()]
    }

    pub fn volume_mut(&mut self, metric: crate::Metric) -> &mut Volume {
        &mut self.volumes[metric.index()]
    }

    /// Returns the share of past activity in `hour`, from 0 to 1.
    pub fn hour_share(&self, hour: usize) -> f32 {
        let total: f32 = self.hours.iter().sum();
        if total <= 0.0 { 0.0 } else { self.hours[hour] / total }
    }

}
