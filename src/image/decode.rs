//! Encoded bytes to an 8-bit RGB picture plus the transform that makes it upright.

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};

use super::orientation::Transform;
use super::resample::Source;
use crate::error::{Error, Result};

/// Largest accepted width or height of an encoded picture, in pixels.
pub(crate) const MAX_SIDE: u32 = 16_384;

/// Most bytes a decoder may allocate for one picture (the decoded pixels included).
/// 384 MiB holds a 48-megapixel photo at 16 bits per channel RGB.
const MAX_ALLOC: u64 = 384 * 1024 * 1024;

/// A decoded picture as stored in the file, and how to show it upright.
pub(super) struct Decoded {
    /// The stored pixels, 8-bit RGB.
    pub(super) rgb: RgbImage,
    /// The EXIF orientation (identity when the file has none).
    pub(super) orientation: Transform,
}

/// Decodes JPEG, PNG, WebP, BMP or TIFF bytes to 8-bit RGB (grey is replicated, alpha is
/// dropped, 16-bit samples are scaled to 8 bits) and reads the EXIF orientation.
pub(super) fn decode(bytes: &[u8]) -> Result<Decoded> {
    if bytes.is_empty() {
        return Err(Error::image("empty input"));
    }
    // The decoders are meant not to panic on hostile input; if one does anyway, the
    // caller still gets an error rather than an unwinding stack.
    match catch_unwind(AssertUnwindSafe(|| decode_inner(bytes))) {
        Ok(result) => result,
        Err(_) => Err(Error::image("the decoder failed on malformed input")),
    }
}

fn decode_inner(bytes: &[u8]) -> Result<Decoded> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::image(format!("cannot read the input: {}", e.kind())))?;
    let format = match reader.format() {
        Some(
            f @ (ImageFormat::Jpeg
            | ImageFormat::Png
            | ImageFormat::WebP
            | ImageFormat::Bmp
            | ImageFormat::Tiff),
        ) => f,
        Some(other) => {
            return Err(Error::image(format!(
                "unsupported format {other:?} (JPEG, PNG, WebP, BMP and TIFF are)"
            )))
        }
        None => return Err(Error::image("not a JPEG, PNG, WebP, BMP or TIFF picture")),
    };
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);

    let fail = |e: image::ImageError| Error::image(format!("cannot decode {format:?}: {e}"));
    let mut decoder = reader.into_decoder().map_err(fail)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(Error::image("the picture has no pixels"));
    }
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(Error::image(format!(
            "the picture is {width}x{height}; at most {MAX_SIDE} pixels a side are accepted"
        )));
    }
    if decoder.total_bytes() > MAX_ALLOC {
        return Err(Error::image("the decoded picture would be too large"));
    }
    // A damaged EXIF block should not make an otherwise good picture unusable.
    let orientation = match decoder.orientation() {
        Ok(o) => Transform::from_exif(o),
        Err(e) => {
            log::warn!("ignoring unreadable EXIF orientation: {e}");
            Transform::default()
        }
    };
    let picture = DynamicImage::from_decoder(decoder).map_err(fail)?;
    if format == ImageFormat::Jpeg && !has_end_of_image(bytes) {
        // zune-jpeg fills missing scans with grey instead of failing; a cut-off upload
        // must not be classified as if it were whole.
        return Err(Error::image("truncated JPEG (no end-of-image marker)"));
    }
    Ok(Decoded {
        rgb: picture.into_rgb8(),
        orientation,
    })
}

/// Whether a JPEG ends with its end-of-image marker `FF D9`, allowing the padding
/// (zeros, `FF` fill bytes, line ends) that some writers append after it.
fn has_end_of_image(bytes: &[u8]) -> bool {
    // Some cameras append a little trailer after EOI; look back a bounded distance.
    const TAIL: usize = 4096;
    let tail = &bytes[bytes.len().saturating_sub(TAIL)..];
    tail.windows(2).any(|w| w == [0xFF, 0xD9])
}

impl Source for RgbImage {
    fn width(&self) -> usize {
        RgbImage::width(self) as usize
    }

    fn height(&self) -> usize {
        RgbImage::height(self) as usize
    }

    fn load_row(&self, y: usize, x0: usize, x1: usize, out: &mut [f32]) -> Result<()> {
        let stride = self.width() as usize * 3;
        let row = y
            .checked_mul(stride)
            .and_then(|start| self.as_raw().get(start + x0 * 3..start + x1 * 3))
            .ok_or_else(|| Error::image("row outside the picture"))?;
        for (o, &b) in out.iter_mut().zip(row) {
            *o = f32::from(b);
        }
        Ok(())
    }
}
