//! Seeded random streams and GUIDs.
//!
//! Every part of the tenant draws from its own stream, derived from the seed and a few integers (the
//! stream's purpose, a user index, a day). A user-day's activity therefore does not depend on the order in
//! which user-days are generated, and adding a scenario does not change the benign records of other users.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The generator every stream uses. ChaCha8 output is fixed by its algorithm, so a seed gives the same
/// tenant on every platform and `rand_chacha` release.
pub(crate) type SimRng = ChaCha8Rng;

/// Stream purposes, mixed into the seed so that streams never share state.
pub(crate) mod purpose {
    pub const DIRECTORY: u64 = 1;
    pub const BENIGN_DAY: u64 = 2;
    pub const SCENARIO_PLAN: u64 = 3;
    pub const SCENARIO: u64 = 4;
    pub const TRAVEL: u64 = 5;
    pub const TENANT: u64 = 6;
    pub const HOME_ADDRESS: u64 = 7;
}

/// Mixes 64 bits with the SplitMix64 finaliser, a bijection with good avalanche.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Returns a hash of the seed and `parts`, for choices that need a number rather than a stream.
pub(crate) fn hash(seed: u64, parts: &[u64]) -> u64 {
    parts
        .iter()
        .fold(mix(seed), |state, part| mix(state ^ mix(*part)))
}

/// Creates the stream for `parts` (a purpose from [`purpose`] first, then indices).
pub(crate) fn stream(seed: u64, parts: &[u64]) -> SimRng {
    SimRng::seed_from_u64(hash(seed, parts))
}

/// Returns true with probability `p`, clamped to `[0, 1]`.
pub(crate) fn chance(rng: &mut SimRng, p: f64) -> bool {
    rng.random_bool(p.clamp(0.0, 1.0))
}

/// Returns an index into a table of weights, chosen in proportion to the weights.
pub(crate) fn weighted(rng: &mut SimRng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut point = rng.random::<f64>() * total;
    for (index, weight) in weights.iter().enumerate() {
        if point < *weight {
            return index;
        }
        point -= weight;
    }
    weights.len() - 1
}

/// Picks one element of a non-empty slice.
pub(crate) fn pick<'a, T>(rng: &mut SimRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Draws a count with a Poisson distribution of mean `mean` (Knuth's method for small means, a rounded
/// normal approximation above 30).
pub(crate) fn poisson(rng: &mut SimRng, mean: f64) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    if mean > 30.0 {
        let value = mean + normal(rng) * mean.sqrt();
        return value.round().max(0.0) as u32;
    }
    let limit = (-mean).exp();
    let mut product = rng.random::<f64>();
    let mut count = 0;
    while product > limit {
        product *= rng.random::<f64>();
        count += 1;
    }
    count
}

/// Draws a standard normal value (Box-Muller).
pub(crate) fn normal(rng: &mut SimRng) -> f64 {
    let u1 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A GUID in the 8-4-4-4-12 form Microsoft writes for record, object and correlation ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Guid(pub u128);

impl Guid {
    /// Draws a random (version 4) GUID.
    pub(crate) fn random(rng: &mut SimRng) -> Guid {
        Guid::from_bits(rng.random())
    }

    /// Makes a version 4 GUID of 122 of the given bits, setting the version and variant bits.
    pub(crate) fn from_bits(bits: u128) -> Guid {
        let versioned = (bits & !(0xF << 76)) | (0x4 << 76);
        Guid((versioned & !(0x3 << 62)) | (0x2 << 62))
    }

    /// Derives another GUID from this one and `salt`, for ids that must differ per record and per
    /// purpose but need no random draw.
    pub(crate) fn derive(self, salt: u64) -> Guid {
        let high = hash((self.0 >> 64) as u64, &[salt, self.0 as u64]);
        let low = hash(self.0 as u64, &[salt, high]);
        Guid::from_bits((u128::from(high) << 64) | u128::from(low))
    }

    /// Writes the lower-case text form into `buffer` and returns it.
    pub fn format(self, buffer: &mut [u8; 36]) -> &str {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut nibble = 0;
        for (position, byte) in buffer.iter_mut().enumerate() {
            if matches!(position, 8 | 13 | 18 | 23) {
                *byte = b'-';
                continue;
            }
            let shift = 124 - 4 * nibble;
            *byte = HEX[((self.0 >> shift) & 0xF) as usize];
            nibble += 1;
        }
        std::str::from_utf8(buffer).expect("hex digits and dashes are ASCII")
    }
}

impl std::fmt::Display for Guid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut buffer = [0u8; 36];
        f.write_str(self.format(&mut buffer))
    }
}

impl serde::Serialize for Guid {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buffer = [0u8; 36];
        serializer.serialize_str(self.format(&mut buffer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_text_form() {
        let guid = Guid(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        assert_eq!(guid.to_string(), "01234567-89ab-cdef-0123-456789abcdef");
    }

    #[test]
    fn random_guids_are_version_4() {
        let mut rng = stream(7, &[1]);
        let text = Guid::random(&mut rng).to_string();
        assert_eq!(&text[14..15], "4");
        assert!(matches!(&text[19..20], "8" | "9" | "a" | "b"), "{text}");
    }

    #[test]
    fn streams_differ_by_part() {
        let a: u64 = stream(1, &[2, 3]).random();
        let b: u64 = stream(1, &[2, 4]).random();
        let again: u64 = stream(1, &[2, 3]).random();
        assert_ne!(a, b);
        assert_eq!(a, again);
    }
}
