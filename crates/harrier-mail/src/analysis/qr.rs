//! QR code decoding from PNG and JPEG images with `image` and `rqrr`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Cursor;

/// Images with more pixels than this are not decoded.
const MAX_PIXELS: u64 = 16_000_000;

/// Images larger than this many bytes are not decoded.
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;

/// Images are scaled down so that their longer side is at most this many pixels before detection, which
/// bounds the detector's time to about 2.6 million pixels. A QR code in a mail image stays readable at that
/// size. Scaling costs about as much as the detection itself (measured on a 911 by 1285 photo), so the
/// bound is set above the size of most mail images, which are then read as sent.
const MAX_SIDE: u32 = 1600;

/// Image bytes that [`decode_memoized`] keeps per thread before it starts over, which bounds its memory.
const MAX_MEMOIZED_BYTES: usize = 8 * 1024 * 1024;

/// Images larger than this many bytes are decoded without being kept by [`decode_memoized`].
const MAX_MEMOIZED_IMAGE_BYTES: usize = 1024 * 1024;

/// The results of [`decode`] by the image bytes they were decoded from.
#[derive(Default)]
struct DecodeMemo {
    bytes: usize,
    results: HashMap<Vec<u8>, Vec<String>, foldhash::fast::RandomState>,
}

thread_local! {
    static DECODE_MEMO: RefCell<DecodeMemo> = RefCell::default();
}

/// Returns what [`decode`] returns, remembering the result per thread by the image bytes. Campaigns send
/// the same logo or code image in many messages. Decoding and searching an image took about 27 million
/// instructions on average over the test messages' images (callgrind), far more than hashing its bytes.
pub fn decode_memoized(content: &[u8]) -> Vec<String> {
    if let Some(found) = DECODE_MEMO.with_borrow(|memo| memo.results.get(content).cloned()) {
        return found;
    }
    let decoded = decode(content);
    if content.len() <= MAX_MEMOIZED_IMAGE_BYTES {
        DECODE_MEMO.with_borrow_mut(|memo| {
            if memo.bytes + content.len() > MAX_MEMOIZED_BYTES {
                memo.bytes = 0;
                memo.results.clear();
            }
            memo.bytes += content.len();
            memo.results.insert(content.to_vec(), decoded.clone());
        });
    }
    decoded
}

/// Decodes the QR codes in an image and returns their contents. Returns nothing for images that fail to
/// decode or are over the limits.
pub fn decode(content: &[u8]) -> Vec<String> {
    if content.len() > MAX_IMAGE_BYTES {
        return Vec::new();
    }
    let Ok(reader) = image::ImageReader::new(Cursor::new(content)).with_guessed_format() else { return Vec::new() };
    let mut reader = reader;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 4);
    reader.limits(limits);
    let Ok(decoded) = reader.decode() else { return Vec::new() };
    if u64::from(decoded.width()) * u64::from(decoded.height()) > MAX_PIXELS || decoded.width() < 21 || decoded.height() < 21 {
        return Vec::new();
    }
    let mut grey = decoded.into_luma8();
    let longer = grey.width().max(grey.height());
    if longer > MAX_SIDE {
        let scale = |side: u32| (u64::from(side) * u64::from(MAX_SIDE) / u64::from(longer)).max(1) as u32;
        grey = image::imageops::thumbnail(&grey, scale(grey.width()), scale(grey.height()));
    }
    let (width, height) = (grey.width() as usize, grey.height() as usize);
    // The image comes from the sender, so a panic inside the third-party detector is caught and treated
    // as an image without a readable code.
    std::panic::catch_unwind(move || {
        // The buffer contains one byte per pixel, row by row.
        let pixels = grey.as_raw();
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| pixels[y * width + x]);
        prepared.detect_grids().into_iter().filter_map(|grid| grid.decode().ok().map(|(_, content)| content)).collect()
    })
    .unwrap_or_default()
}
