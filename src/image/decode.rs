//! Encoded bytes to an 8-bit RGB picture plus the transform that makes it upright.
//!
//! JPEG goes to libjpeg-turbo ([`super::jpeg`]), possibly at a reduced DCT scale; PNG,
//! WebP, BMP and TIFF go to the `image` crate.

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};

use super::jpeg;
use super::orientation::Transform;
use super::types::{MAX_ALLOC, MAX_SIDE};
use crate::error::{Error, Result};

/// A decoded picture as stored in the file, and how to show it upright.
pub(super) struct Decoded {
    /// The stored pixels, 8-bit RGB, at `numerator / 8` of `stored_size`.
    pub(super) rgb: RgbImage,
    /// The EXIF orientation (identity when the file has none).
    pub(super) orientation: Transform,
    /// Width and height of the stored picture at full size.
    pub(super) stored_size: (usize, usize),
    /// The DCT scale `rgb` was decoded at, in eighths: 1, 2, 4 or 8 (always 8 but for JPEG).
    pub(super) numerator: u8,
}

/// Decodes JPEG, PNG, WebP, BMP or TIFF bytes to 8-bit RGB (grey is replicated, alpha is
/// dropped, 16-bit samples are scaled to 8 bits) and reads the EXIF orientation.
///
/// For a JPEG, `scale` is asked, once the stored size and orientation are known, at which
/// DCT scale (in eighths: 1, 2, 4 or 8) to decode; other formats are always decoded in
/// full and `scale` is not called.
pub(super) fn decode(
    bytes: &[u8],
    scale: impl FnOnce((usize, usize), Transform) -> Result<u8>,
) -> Result<Decoded> {
    if bytes.is_empty() {
        return Err(Error::image("empty input"));
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        let header = jpeg::read_header(bytes)?;
        let stored_size = (header.width, header.height);
        let numerator = scale(stored_size, header.orientation)?;
        let rgb = jpeg::decode(bytes, &header, numerator)?;
        let expected = |n: usize| (n * usize::from(numerator)).div_ceil(8);
        if (rgb.width() as usize, rgb.height() as usize)
            != (expected(header.width), expected(header.height))
        {
            return Err(Error::image("the JPEG decoded to an unexpected size"));
        }
        return Ok(Decoded {
            rgb,
            orientation: header.orientation,
            stored_size,
            numerator,
        });
    }
    // The decoders are meant not to panic on hostile input; if one does anyway, the
    // caller still gets an error rather than an unwinding stack.
    match catch_unwind(AssertUnwindSafe(|| decode_with_image_crate(bytes))) {
        Ok(result) => result,
        Err(_) => Err(Error::image("the decoder failed on malformed input")),
    }
}

fn decode_with_image_crate(bytes: &[u8]) -> Result<Decoded> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::image(format!("cannot read the input: {}", e.kind())))?;
    let format = match reader.format() {
        Some(f @ (ImageFormat::Png | ImageFormat::WebP | ImageFormat::Bmp | ImageFormat::Tiff)) => {
            f
        }
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

    check_complete(format, bytes)?;
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
    Ok(Decoded {
        rgb: picture.into_rgb8(),
        orientation,
        stored_size: (width as usize, height as usize),
        numerator: 8,
    })
}

/// Rejects input whose container says that data is missing, before decoding it: a WebP
/// cut after its last complete chunk can decode, and a cut-off upload must not be
/// classified as if it were whole. (JPEG is checked by [`jpeg::read_header`].)
fn check_complete(format: ImageFormat, bytes: &[u8]) -> Result<()> {
    match format {
        ImageFormat::WebP => {
            let declared = bytes
                .get(4..8)
                .map(|b| u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])) + 8);
            match declared {
                Some(len) if len <= bytes.len() as u64 => Ok(()),
                _ => Err(Error::image(
                    "truncated WebP (shorter than its RIFF header says)",
                )),
            }
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webp_shorter_than_its_riff_size_is_truncated() {
        let mut webp = b"RIFF\x10\0\0\0WEBP".to_vec();
        assert!(check_complete(ImageFormat::WebP, &webp).is_err());
        webp.resize(24, 0);
        assert!(check_complete(ImageFormat::WebP, &webp).is_ok());
    }
}
