//! Compression of stored rows.
//!
//! A row's payload (the event JSON followed by the raw record) is one zstd frame. A single record of about a
//! kilobyte compresses poorly on its own, because zstd has nothing to refer back to, so every store trains a
//! dictionary from its first records and keeps it in the `dictionaries` table. On records written by
//! `bench/gen_logs.py`, `zstd -1` with a 64 KiB dictionary made a record about five times smaller than
//! `zstd -1` without one. Rows compressed before the dictionary exists carry no dictionary id and stay
//! readable.

use std::cell::RefCell;
use std::sync::{Arc, Mutex, OnceLock};

use zstd::bulk::{Compressor, Decompressor};

/// The zstd level: the fastest standard level, because compression runs once per record on reader threads.
const LEVEL: i32 = 1;

/// How many records are sampled before the dictionary is trained.
const TRAINING_RECORDS: usize = 2_000;

/// The maximum dictionary size in bytes.
const DICTIONARY_BYTES: usize = 64 * 1024;

/// The largest value a stored frame may expand to. Larger frames are treated as corrupt.
pub(crate) const MAX_VALUE_BYTES: usize = 256 << 20;

/// A compression dictionary with its id in the `dictionaries` table.
#[derive(Debug)]
pub(crate) struct Dictionary {
    pub(crate) id: i64,
    pub(crate) bytes: Vec<u8>,
}

/// Compresses values for one store, training its dictionary from the first records compressed.
///
/// The threads that prepare records share one codec, which [`crate::Store::codec`] returns.
#[derive(Debug, Default)]
pub struct Codec {
    dictionary: OnceLock<Arc<Dictionary>>,
    samples: Mutex<Option<Samples>>,
}

/// Values gathered for training, concatenated, with the length of each.
#[derive(Debug, Default)]
struct Samples {
    data: Vec<u8>,
    sizes: Vec<usize>,
    records: usize,
}

/// One compressed value and the dictionary it needs.
pub(crate) struct Compressed {
    pub(crate) dictionary_id: Option<i64>,
    pub(crate) frame: Vec<u8>,
}

impl Codec {
    /// Creates a codec that uses `dictionary` when the store has one, and trains one otherwise.
    pub(crate) fn new(dictionary: Option<Dictionary>) -> Codec {
        let codec = Codec::default();
        match dictionary {
            Some(dictionary) => codec.dictionary.set(Arc::new(dictionary)).expect("a new codec has no dictionary"),
            None => *codec.samples.lock().expect("a new mutex is not poisoned") = Some(Samples::default()),
        }
        codec
    }

    /// Returns the dictionary in use, if one has been trained or loaded.
    pub(crate) fn dictionary(&self) -> Option<&Arc<Dictionary>> {
        self.dictionary.get()
    }

    /// Compresses one row's payload with the current dictionary.
    pub(crate) fn compress(&self, payload: &[u8]) -> Compressed {
        let dictionary = match self.dictionary.get() {
            Some(dictionary) => Some(dictionary.clone()),
            None => self.sample(payload),
        };
        let dictionary_id = dictionary.as_ref().map(|d| d.id);
        let frame = with_compressor(dictionary, |compressor, buffer| compress_into(compressor, buffer, payload));
        Compressed { dictionary_id, frame }
    }

    /// Adds a record to the training samples, and trains the dictionary once enough records are in.
    /// Returns the new dictionary when this call trained it.
    ///
    /// A thread that finds another thread sampling or training skips the record rather than wait.
    fn sample(&self, payload: &[u8]) -> Option<Arc<Dictionary>> {
        let Ok(mut guard) = self.samples.try_lock() else { return self.dictionary.get().cloned() };
        let samples = guard.as_mut()?;
        samples.data.extend_from_slice(payload);
        samples.sizes.push(payload.len());
        samples.records += 1;
        if samples.records < TRAINING_RECORDS {
            return None;
        }
        let samples = guard.take()?;
        let bytes = zstd::dict::from_continuous(&samples.data, &samples.sizes, DICTIONARY_BYTES).ok()?;
        let dictionary = Arc::new(Dictionary { id: 1, bytes });
        Some(self.dictionary.get_or_init(|| dictionary).clone())
    }
}

/// A reader thread's compressor, kept with the dictionary it was built for, and its output buffer.
struct ThreadCompressor {
    dictionary: Option<Arc<Dictionary>>,
    compressor: Compressor<'static>,
    buffer: Vec<u8>,
}

thread_local! {
    static COMPRESSOR: RefCell<Option<ThreadCompressor>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's compressor for `dictionary`, building a new one when the dictionary
/// differs from the last call's. Loading a dictionary into a compressor costs far more than one record.
fn with_compressor<T>(
    dictionary: Option<Arc<Dictionary>>,
    f: impl FnOnce(&mut Compressor<'static>, &mut Vec<u8>) -> T,
) -> T {
    COMPRESSOR.with_borrow_mut(|slot| {
        let reusable = slot.as_ref().is_some_and(|current| same_dictionary(&current.dictionary, &dictionary));
        if !reusable {
            let compressor = match &dictionary {
                Some(dictionary) => Compressor::with_dictionary(LEVEL, &dictionary.bytes),
                None => Compressor::new(LEVEL),
            }
            .expect("zstd accepts the standard level and a dictionary it trained");
            *slot = Some(ThreadCompressor { dictionary, compressor, buffer: Vec::new() });
        }
        let current = slot.as_mut().expect("the compressor was just set");
        f(&mut current.compressor, &mut current.buffer)
    })
}

fn same_dictionary(a: &Option<Arc<Dictionary>>, b: &Option<Arc<Dictionary>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// Compresses `value` into the reusable `buffer`, and returns an exactly sized copy.
fn compress_into(compressor: &mut Compressor<'static>, buffer: &mut Vec<u8>, value: &[u8]) -> Vec<u8> {
    buffer.clear();
    buffer.reserve(zstd::zstd_safe::compress_bound(value.len()));
    compressor.compress_to_buffer(value, buffer).expect("the buffer has room for the compress bound");
    buffer.as_slice().to_vec()
}

/// Decompresses stored values, keeping one decompressor per dictionary.
pub(crate) struct Decoder<'a> {
    dictionary: Option<&'a Dictionary>,
    plain: Option<Decompressor<'static>>,
    with_dictionary: Option<Decompressor<'static>>,
}

impl<'a> Decoder<'a> {
    pub(crate) fn new(codec: &'a Codec) -> Decoder<'a> {
        Decoder { dictionary: codec.dictionary().map(|d| d.as_ref()), plain: None, with_dictionary: None }
    }

    /// Decompresses one stored value that was compressed with `dictionary_id`.
    pub(crate) fn decompress(&mut self, dictionary_id: Option<i64>, frame: &[u8]) -> std::io::Result<Vec<u8>> {
        let decompressor = match dictionary_id {
            None => self.plain.get_or_insert(Decompressor::new()?),
            Some(id) => {
                let dictionary = self.dictionary.filter(|d| d.id == id).ok_or_else(|| {
                    std::io::Error::new(std::io::ErrorKind::NotFound, format!("dictionary {id} is not in the database"))
                })?;
                match &mut self.with_dictionary {
                    Some(decompressor) => decompressor,
                    slot => slot.insert(Decompressor::with_dictionary(&dictionary.bytes)?),
                }
            }
        };
        decompressor.decompress(frame, MAX_VALUE_BYTES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(i: usize) -> String {
        let user = i % 50;
        let event =
            format!(r#"{{"record_id":"ma:{i:08}","operation":"FileAccessed","user":"user{user}@example.com"}}"#);
        let raw = format!(r#"{{"Id":"{i:08}","Operation":"FileAccessed","UserId":"user{user}@example.com"}}"#);
        event + &raw
    }

    #[test]
    fn values_round_trip_before_and_after_training() {
        let codec = Codec::new(None);
        let mut stored = Vec::new();
        for i in 0..TRAINING_RECORDS + 10 {
            let payload = payload(i);
            stored.push((codec.compress(payload.as_bytes()), payload));
        }
        assert!(codec.dictionary().is_some(), "no dictionary after {TRAINING_RECORDS} records");
        assert_eq!(stored.first().unwrap().0.dictionary_id, None);
        assert_eq!(stored.last().unwrap().0.dictionary_id, Some(1));

        let mut decoder = Decoder::new(&codec);
        for (compressed, payload) in &stored {
            assert_eq!(decoder.decompress(compressed.dictionary_id, &compressed.frame).unwrap(), payload.as_bytes());
        }
    }

    #[test]
    fn unknown_dictionary_is_an_error() {
        let codec = Codec::new(None);
        let compressed = codec.compress(b"{}{}");
        let error = Decoder::new(&codec).decompress(Some(7), &compressed.frame).unwrap_err();
        assert!(error.to_string().contains("dictionary 7"), "{error}");
    }
}
