//! Decayed frequency counts of a categorical value, bounded in size.
//!
//! Each entity remembers, per feature (ASN, country, user agent, ...), the values it was seen with and how
//! often, with counts halving every half-life so old habits fade. Only the `capacity` heaviest values are
//! kept: when a new value arrives in a full sketch it replaces the lightest entry, whose weight moves to
//! `evicted` so the total still reflects everything seen. That bounds memory per entity whatever the input.

use serde::{Deserialize, Serialize};

/// A value as the sketch stores it: numbers (ASNs, packed country codes, classes) as themselves, text as a
/// 64-bit hash.
pub type Key = u64;

/// Decayed counts of the heaviest values of one feature.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Sketch {
    entries: Vec<(Key, f32)>,
    /// Weight of values evicted to make room, still part of the total.
    evicted: f32,
    /// The day (days since the Unix epoch) the counts were last decayed to.
    day: u32,
}

impl Sketch {
    /// Decays the counts to `day` with the given half-life in days.
    pub fn decay_to(&mut self, day: u32, half_life_days: f32) {
        if day <= self.day {
            return;
        }
        let factor = 0.5f32.powf((day - self.day) as f32 / half_life_days);
        for (_, count) in &mut self.entries {
            *count *= factor;
        }
        self.evicted *= factor;
        self.entries.retain(|(_, count)| *count >= 0.01);
        self.day = day;
    }

    /// Adds one observation of `key`.
    pub fn add(&mut self, key: Key, capacity: usize) {
        if let Some(entry) = self.entries.iter_mut().find(|(k, _)| *k == key) {
            entry.1 += 1.0;
            return;
        }
        if self.entries.len() < capacity {
            self.entries.push((key, 1.0));
            return;
        }
        let lightest = self
            .entries
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.1.total_cmp(&b.1.1))
            .map(|(i, _)| i)
            .expect("a full sketch has entries");
        self.evicted += self.entries[lightest].1;
        self.entries[lightest] = (key, 1.0);
    }

    /// Returns the decayed count of `key`; zero for values never seen or evicted.
    pub fn count(&self, key: Key) -> f32 {
        self.entries.iter().find(|(k, _)| *k == key).map_or(0.0, |(_, count)| *count)
    }

    /// Returns the decayed count of every observation, evicted ones included.
    pub fn total(&self) -> f32 {
        self.entries.iter().map(|(_, count)| count).sum::<f32>() + self.evicted
    }

    /// Returns the heaviest values, heaviest first.
    pub fn top(&self, n: usize) -> Vec<(Key, f32)> {
        let mut entries = self.entries.clone();
        entries.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        entries.truncate(n);
        entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_total() {
        let mut sketch = Sketch::default();
        for key in [1, 1, 2, 1] {
            sketch.add(key, 4);
        }
        assert_eq!(sketch.count(1), 3.0);
        assert_eq!(sketch.count(2), 1.0);
        assert_eq!(sketch.count(3), 0.0);
        assert_eq!(sketch.total(), 4.0);
    }

    #[test]
    fn full_sketch_evicts_lightest() {
        let mut sketch = Sketch::default();
        for key in [1, 1, 1, 2, 3] {
            sketch.add(key, 2);
        }
        assert_eq!(sketch.len(), 2);
        assert_eq!(sketch.count(1), 3.0);
        assert_eq!(sketch.count(3), 1.0);
        assert_eq!(sketch.count(2), 0.0);
        assert_eq!(sketch.total(), 5.0, "evicted weight stays in the total");
    }

    #[test]
    fn counts_halve_each_half_life() {
        let mut sketch = Sketch::default();
        sketch.decay_to(100, 30.0);
        sketch.add(7, 4);
        sketch.add(7, 4);
        sketch.decay_to(130, 30.0);
        assert!((sketch.count(7) - 1.0).abs() < 1e-4, "{}", sketch.count(7));
        sketch.decay_to(100, 30.0);
        assert!((sketch.count(7) - 1.0).abs() < 1e-4, "decay never runs backwards");
    }
}
