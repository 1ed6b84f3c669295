//! Sorted range tables with a first-level bucket index.
//!
//! A table stores only range starts: every gap between two ranges has its own entry whose value
//! is the "no value" marker, so the entry that contains an address is the last one whose start
//! is at or below it. Binary search over hundreds of thousands of starts touches about 20 cache
//! lines, so each table also records the first entry of every bucket of addresses, and a lookup
//! searches only the entries of one bucket. IPv4 buckets are the 65,536 /16 networks. IPv6
//! buckets are the 262,144 /21 networks of global unicast space (2000::/3), plus one bucket for
//! everything below it and one for everything above it. Only global unicast addresses reach an
//! IPv6 lookup, and the registries' allocations there are too dense for /16 buckets.

/// An address as an unsigned integer: `u32` for IPv4, `u128` for IPv6.
pub(crate) trait Address: Copy + Ord {
    /// Size of one encoded start in the snapshot.
    const BYTES: usize;

    /// Decodes a little-endian value of `BYTES` bytes.
    fn from_le_slice(bytes: &[u8]) -> Self;

    fn checked_add(self, other: Self) -> Option<Self>;

    fn zero() -> Self;

    /// Number of buckets in the first-level index.
    const BUCKETS: usize;

    /// Returns the bucket of this address, below `BUCKETS`. Buckets never decrease as the
    /// address grows.
    fn bucket(self) -> usize;
}

impl Address for u32 {
    const BYTES: usize = 4;

    fn from_le_slice(bytes: &[u8]) -> Self {
        u32::from_le_bytes(bytes.try_into().expect("caller passes exactly 4 bytes"))
    }

    fn checked_add(self, other: Self) -> Option<Self> {
        u32::checked_add(self, other)
    }

    fn zero() -> Self {
        0
    }

    const BUCKETS: usize = 1 << 16;

    fn bucket(self) -> usize {
        (self >> 16) as usize
    }
}

impl Address for u128 {
    const BYTES: usize = 16;

    fn from_le_slice(bytes: &[u8]) -> Self {
        u128::from_le_bytes(bytes.try_into().expect("caller passes exactly 16 bytes"))
    }

    fn checked_add(self, other: Self) -> Option<Self> {
        u128::checked_add(self, other)
    }

    fn zero() -> Self {
        0
    }

    const BUCKETS: usize = (1 << 18) + 2;

    fn bucket(self) -> usize {
        // The top 21 bits of a global unicast address (2000::/3) run from 0x40000 to 0x7FFFF.
        const FIRST: usize = 0x4_0000;
        const END: usize = 0x8_0000;
        match (self >> 107) as usize {
            top if top < FIRST => 0,
            top if top >= END => Self::BUCKETS - 1,
            top => top - FIRST + 1,
        }
    }
}

/// A value stored per range: an index into one of the snapshot's lookup tables.
pub(crate) trait TableValue: Copy + Eq {
    /// Size of one encoded value in the snapshot.
    const BYTES: usize;

    /// The marker for "no range here".
    const NONE: Self;

    /// Decodes a little-endian value of `BYTES` bytes.
    fn from_le_slice(bytes: &[u8]) -> Self;

    fn to_index(self) -> usize;
}

impl TableValue for u32 {
    const BYTES: usize = 4;
    const NONE: Self = u32::MAX;

    fn from_le_slice(bytes: &[u8]) -> Self {
        u32::from_le_bytes(bytes.try_into().expect("caller passes exactly 4 bytes"))
    }

    fn to_index(self) -> usize {
        self as usize
    }
}

impl TableValue for u16 {
    const BYTES: usize = 2;
    const NONE: Self = u16::MAX;

    fn from_le_slice(bytes: &[u8]) -> Self {
        u16::from_le_bytes(bytes.try_into().expect("caller passes exactly 2 bytes"))
    }

    fn to_index(self) -> usize {
        self as usize
    }
}

/// Sorted, non-overlapping ranges of addresses, each mapped to a value.
pub(crate) struct RangeTable<A, V> {
    /// Strictly increasing range starts.
    starts: Vec<A>,
    /// The value of the range that begins at the same position in `starts`.
    values: Vec<V>,
    /// `bucket_first[b]` is the first entry whose start lies in bucket `b` or later;
    /// `bucket_first[A::BUCKETS]` is the entry count.
    bucket_first: Vec<u32>,
}

impl<A: Address, V: TableValue> RangeTable<A, V> {
    /// Builds a table from starts that the caller has checked are strictly increasing.
    pub(crate) fn new(starts: Vec<A>, values: Vec<V>) -> Self {
        debug_assert_eq!(starts.len(), values.len());
        debug_assert!(starts.windows(2).all(|pair| pair[0] < pair[1]));
        debug_assert!(u32::try_from(starts.len()).is_ok());

        let mut bucket_first = Vec::with_capacity(A::BUCKETS + 1);
        let mut entry = 0;
        for bucket in 0..=A::BUCKETS {
            while entry < starts.len() && starts[entry].bucket() < bucket {
                entry += 1;
            }
            bucket_first.push(entry as u32);
        }

        Self {
            starts,
            values,
            bucket_first,
        }
    }

    /// Returns the value of the range containing `address`, or `None` when no range does.
    #[inline]
    pub(crate) fn find(&self, address: A) -> Option<V> {
        let bucket = address.bucket();
        let first = self.bucket_first[bucket] as usize;
        let end = self.bucket_first[bucket + 1] as usize;

        // Entries before `first` all start below this bucket, and entries from `end` on start
        // above it, so the containing entry is the last one at or below `address` among
        // `first - 1 .. end`.
        let below = self.starts[first..end].partition_point(|&start| start <= address);
        let position = (first + below).checked_sub(1)?;

        let value = self.values[position];
        (value != V::NONE).then_some(value)
    }

    pub(crate) fn len(&self) -> usize {
        self.starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table_v4(entries: &[(u32, u16)]) -> RangeTable<u32, u16> {
        let starts = entries.iter().map(|&(start, _)| start).collect();
        let values = entries.iter().map(|&(_, value)| value).collect();
        RangeTable::new(starts, values)
    }

    #[test]
    fn find_returns_containing_range() {
        let none = u16::NONE;
        let table = table_v4(&[
            (0, none),
            (0x0A00_0000, 1),
            (0x0A00_0100, none),
            (0x0B01_0000, 2),
        ]);

        assert_eq!(table.find(0x0900_0000), None);
        assert_eq!(table.find(0x0A00_0000), Some(1));
        assert_eq!(table.find(0x0A00_00FF), Some(1));
        assert_eq!(table.find(0x0A00_0100), None);
        assert_eq!(table.find(0x0B00_FFFF), None);
        assert_eq!(table.find(0x0B01_0000), Some(2));
        assert_eq!(table.find(u32::MAX), Some(2));
    }

    #[test]
    fn find_crosses_empty_buckets() {
        // One range spans many buckets that hold no start of their own.
        let table = table_v4(&[(0x0100_0000, 7), (0xF000_0000, u16::NONE)]);

        assert_eq!(table.find(0x00FF_FFFF), None);
        assert_eq!(table.find(0x8000_1234), Some(7));
        assert_eq!(table.find(0xEFFF_FFFF), Some(7));
        assert_eq!(table.find(0xF000_0000), None);
    }

    #[test]
    fn find_in_empty_table() {
        let table = table_v4(&[]);

        assert_eq!(table.find(0), None);
        assert_eq!(table.find(u32::MAX), None);
    }

    #[test]
    fn ipv6_buckets_are_monotonic() {
        let addresses = [
            0u128,
            0x1fff_ffff_ffff_ffff_ffff_ffff_ffff_ffff,
            0x2000_0000_0000_0000_0000_0000_0000_0000,
            0x2000_07ff_ffff_ffff_ffff_ffff_ffff_ffff,
            0x2000_0800_0000_0000_0000_0000_0000_0000,
            0x2a02_0000_0000_0000_0000_0000_0000_0000,
            0x3fff_ffff_ffff_ffff_ffff_ffff_ffff_ffff,
            0x4000_0000_0000_0000_0000_0000_0000_0000,
            u128::MAX,
        ];
        let buckets: Vec<usize> = addresses.iter().map(|address| address.bucket()).collect();

        assert_eq!(
            buckets,
            [
                0,
                0,
                1,
                1,
                2,
                1 + (0x2a02 - 0x2000) * 32,
                (1 << 18),
                (1 << 18) + 1,
                (1 << 18) + 1
            ]
        );
    }

    #[test]
    fn find_ipv6_across_bucket_kinds() {
        let table: RangeTable<u128, u32> = RangeTable::new(
            vec![0, 0x2001_0db8 << 96, 0x2001_0db9 << 96, 0xfe80 << 112],
            vec![u32::NONE, 4, 5, 6],
        );

        assert_eq!(table.find(1), None);
        assert_eq!(table.find((0x2001_0db8 << 96) + 9), Some(4));
        assert_eq!(table.find(0x2a02 << 112), Some(5));
        assert_eq!(table.find(0x4000 << 112), Some(5));
        assert_eq!(table.find(0xfe80 << 112), Some(6));
        assert_eq!(table.find(u128::MAX), Some(6));
    }

    #[test]
    fn find_ipv6_by_top_bits() {
        let start = 0x2a01_0111_f400_0000_0000_0000_0000_0000_u128;
        let end = start + (1 << 80);
        let table: RangeTable<u128, u32> = RangeTable::new(vec![start, end], vec![3, u32::NONE]);

        assert_eq!(table.find(start - 1), None);
        assert_eq!(table.find(start), Some(3));
        assert_eq!(table.find(end - 1), Some(3));
        assert_eq!(table.find(end), None);
    }
}
