//! Compression of stored records in blocks.
//!
//! Records are stored in blocks of up to [`BLOCK_RECORDS`] consecutive records. A block keeps two zstd
//! frames: the events in MessagePack and the raw records. Each frame contains a section of values: a
//! little-endian `u32` count, then one little-endian `u32` length per value, then the values one after
//! another. A record's row names its block and its slot, the record's index in both sections.
//!
//! Compressing a block of records costs less CPU per record than compressing each record alone, and
//! compresses better without a trained dictionary, because the records of a block share field names and
//! values. Keeping the events apart from the raw records lets readers of events skip the raw records.

use std::cell::RefCell;

use zstd::bulk::{Compressor, Decompressor};

/// The maximum number of records in one block.
pub const BLOCK_RECORDS: usize = 128;

/// The zstd level of both frames. Level -2 made the store about a quarter larger on records written by
/// `bench/gen_logs.py` without a CPU saving that stood out from the noise between runs.
const LEVEL: i32 = 1;

/// The largest section a stored frame may expand to. Larger frames are treated as corrupt.
pub(crate) const MAX_SECTION_BYTES: usize = 256 << 20;

/// The largest section header: the count and one length per value of a full block.
const MAX_HEADER_BYTES: usize = 4 + 4 * BLOCK_RECORDS;

/// Values of one section before compression: the lengths and the concatenated values.
///
/// `data` starts with [`MAX_HEADER_BYTES`] of room for the header, so that a section of up to
/// [`BLOCK_RECORDS`] values is compressed in place, without copying its values after a header.
#[derive(Clone, Debug)]
pub(crate) struct SectionBuilder {
    lengths: Vec<u32>,
    data: Vec<u8>,
    /// The offset in `data` at which the value being appended starts.
    value_start: usize,
}

impl Default for SectionBuilder {
    fn default() -> SectionBuilder {
        SectionBuilder { lengths: Vec::new(), data: vec![0; MAX_HEADER_BYTES], value_start: MAX_HEADER_BYTES }
    }
}

impl SectionBuilder {
    /// Returns the buffer to append the next value to; [`SectionBuilder::end_value`] ends it.
    pub(crate) fn data(&mut self) -> &mut Vec<u8> {
        &mut self.data
    }

    /// Ends the value appended to [`SectionBuilder::data`] since the previous value ended.
    pub(crate) fn end_value(&mut self) {
        let length = u32::try_from(self.data.len() - self.value_start).expect("a stored value is smaller than 4 GiB");
        self.lengths.push(length);
        self.value_start = self.data.len();
    }

    pub(crate) fn push(&mut self, value: &[u8]) {
        self.data.extend_from_slice(value);
        self.end_value();
    }

    pub(crate) fn len(&self) -> usize {
        self.lengths.len()
    }

    pub(crate) fn clear(&mut self) {
        self.lengths.clear();
        self.data.truncate(MAX_HEADER_BYTES);
        self.value_start = MAX_HEADER_BYTES;
    }

    /// Compresses the section into one zstd frame.
    pub(crate) fn compress(&mut self) -> Vec<u8> {
        let header_bytes = 4 + 4 * self.lengths.len();
        COMPRESSOR.with_borrow_mut(|slot| {
            let state = slot.get_or_insert_with(|| CompressorState {
                compressor: Compressor::new(LEVEL).expect("zstd accepts the standard level"),
                input: Vec::new(),
                output: Vec::new(),
            });
            let section = if header_bytes <= MAX_HEADER_BYTES {
                let start = MAX_HEADER_BYTES - header_bytes;
                write_header(&self.lengths, &mut self.data[start..MAX_HEADER_BYTES]);
                &self.data[start..]
            } else {
                let input = &mut state.input;
                input.clear();
                input.resize(header_bytes, 0);
                write_header(&self.lengths, input);
                input.extend_from_slice(&self.data[MAX_HEADER_BYTES..]);
                input.as_slice()
            };
            // The output buffer is reused: a fresh buffer of the compress bound for every block costs more
            // in page faults than the compression itself.
            let output = &mut state.output;
            output.clear();
            output.reserve(zstd::zstd_safe::compress_bound(section.len()));
            state.compressor.compress_to_buffer(section, output).expect("the buffer has room for the compress bound");
            output.as_slice().to_vec()
        })
    }
}

/// Writes a section header (the count, then each length) into `header`, which has exactly its size.
fn write_header(lengths: &[u32], header: &mut [u8]) {
    header[..4].copy_from_slice(&(lengths.len() as u32).to_le_bytes());
    for (length, word) in lengths.iter().zip(header[4..].chunks_exact_mut(4)) {
        word.copy_from_slice(&length.to_le_bytes());
    }
}

/// A reader thread's compressor, the buffer it assembles a section of more than [`BLOCK_RECORDS`] values in,
/// and the buffer it compresses into.
struct CompressorState {
    compressor: Compressor<'static>,
    input: Vec<u8>,
    output: Vec<u8>,
}

thread_local! {
    static COMPRESSOR: RefCell<Option<CompressorState>> = const { RefCell::new(None) };
}

/// A decompressed section, with the offset of each value.
#[derive(Debug)]
pub(crate) struct Section {
    bytes: Vec<u8>,
    /// The start of each value in `bytes`, followed by the end of the last value.
    bounds: Vec<usize>,
}

impl Section {
    /// Returns the value in `slot`, or `None` when the section has fewer values.
    pub(crate) fn get(&self, slot: usize) -> Option<&[u8]> {
        let start = *self.bounds.get(slot)?;
        let end = *self.bounds.get(slot + 1)?;
        Some(&self.bytes[start..end])
    }

    /// Returns every value in order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &[u8]> {
        self.bounds.windows(2).map(|pair| &self.bytes[pair[0]..pair[1]])
    }
}

/// Decompresses stored sections, reusing one zstd context.
pub(crate) struct Decoder {
    decompressor: Decompressor<'static>,
}

impl Decoder {
    pub(crate) fn new() -> std::io::Result<Decoder> {
        Ok(Decoder { decompressor: Decompressor::new()? })
    }

    /// Decompresses one frame and reads its section header.
    pub(crate) fn decompress(&mut self, frame: &[u8]) -> std::io::Result<Section> {
        let bytes = self.decompressor.decompress(frame, MAX_SECTION_BYTES)?;
        let invalid = |message: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, message.to_owned());
        let count = read_u32(&bytes, 0).ok_or_else(|| invalid("the section has no header"))? as usize;
        let data_start = count
            .checked_mul(4)
            .and_then(|n| n.checked_add(4))
            .filter(|&start| start <= bytes.len())
            .ok_or_else(|| invalid("the section header is longer than the section"))?;
        let mut bounds = Vec::with_capacity(count + 1);
        let mut offset = data_start;
        bounds.push(offset);
        for index in 0..count {
            let length = read_u32(&bytes, 4 + 4 * index).expect("the header was checked to fit") as usize;
            offset = offset
                .checked_add(length)
                .filter(|&end| end <= bytes.len())
                .ok_or_else(|| invalid("the section's value lengths add up to more than the section"))?;
            bounds.push(offset);
        }
        Ok(Section { bytes, bounds })
    }
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let word = bytes.get(at..at + 4)?;
    Some(u32::from_le_bytes(word.try_into().expect("the slice has four bytes")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_round_trip() {
        let mut section = SectionBuilder::default();
        section.push(b"first");
        section.push(b"");
        section.data().extend_from_slice(b"th");
        section.data().extend_from_slice(b"ird");
        section.end_value();
        assert_eq!(section.len(), 3);

        let decoded = Decoder::new().unwrap().decompress(&section.compress()).unwrap();
        let values: Vec<&[u8]> = decoded.values().collect();
        assert_eq!(values, vec![&b"first"[..], b"", b"third"]);
        assert_eq!(decoded.get(2), Some(&b"third"[..]));
        assert_eq!(decoded.get(3), None);

        section.clear();
        section.push(b"again");
        let decoded = Decoder::new().unwrap().decompress(&section.compress()).unwrap();
        assert_eq!(decoded.values().collect::<Vec<_>>(), vec![&b"again"[..]]);
    }

    #[test]
    fn sections_larger_than_a_block_round_trip() {
        let mut section = SectionBuilder::default();
        let values: Vec<String> = (0..BLOCK_RECORDS + 3).map(|index| format!("value {index}")).collect();
        for value in &values {
            section.push(value.as_bytes());
        }
        let decoded = Decoder::new().unwrap().decompress(&section.compress()).unwrap();
        let expected: Vec<&[u8]> = values.iter().map(|value| value.as_bytes()).collect();
        assert_eq!(decoded.values().collect::<Vec<_>>(), expected);
    }

    #[test]
    fn truncated_header_is_an_error() {
        let frame = zstd::bulk::compress(&[9, 0, 0, 0, 1, 0], 1).unwrap();
        let error = Decoder::new().unwrap().decompress(&frame).unwrap_err();
        assert!(error.to_string().contains("header"), "{error}");
    }
}
