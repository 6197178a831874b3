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
    })
}

/// Rejects input whose container says that data is missing, before decoding it.
///
/// zune-jpeg fills missing scans with grey rather than failing, and a WebP cut after its
/// last complete chunk can decode too; a cut-off upload must not be classified as if it
/// were whole.
fn check_complete(format: ImageFormat, bytes: &[u8]) -> Result<()> {
    match format {
        ImageFormat::Jpeg if !jpeg_reaches_end_of_image(bytes) => {
            Err(Error::image("truncated JPEG (no end-of-image marker)"))
        }
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

/// Walks the JPEG's marker segments and entropy-coded scans from the start-of-image
/// marker and reports whether the primary picture's end-of-image marker (`FF D9`) is
/// reached. Data after it (an MPF gain map, a motion-photo video) is not looked at.
fn jpeg_reaches_end_of_image(bytes: &[u8]) -> bool {
    if bytes.get(..2) != Some(&[0xFF, 0xD8][..]) {
        return false;
    }
    let mut i = 2;
    loop {
        // Skip anything up to a marker, then fill bytes.
        while i < bytes.len() && bytes[i] != 0xFF {
            i += 1;
        }
        while i < bytes.len() && bytes[i] == 0xFF {
            i += 1;
        }
        let Some(&marker) = bytes.get(i) else {
            return false;
        };
        i += 1;
        match marker {
            0xD9 => return true,
            // Standalone markers carry no length.
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let Some(len) = bytes
            .get(i..i + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
        else {
            return false;
        };
        if len < 2 {
            return false;
        }
        i += len;
        if i > bytes.len() {
            return false;
        }
        if marker == 0xDA {
            // Entropy-coded data: runs until an FF that is neither a stuffed zero nor a
            // restart marker.
            loop {
                match bytes.get(i..i + 2) {
                    None => return false,
                    Some(&[0xFF, next]) if next != 0 && !(0xD0..=0xD7).contains(&next) => break,
                    Some(_) => i += 1,
                }
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_end_is_found_past_stuffed_bytes_and_restart_markers() {
        let jpeg = [
            0xFF, 0xD8, // SOI
            0xFF, 0xE0, 0x00, 0x04, 0xFF, 0xD9, // APP0 whose payload looks like EOI
            0xFF, 0xDA, 0x00, 0x02, // SOS
            0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, // scan with a stuffed FF and RST0
            0xFF, 0xD9, // EOI
        ];
        assert!(jpeg_reaches_end_of_image(&jpeg));
        for cut in 0..jpeg.len() - 1 {
            assert!(!jpeg_reaches_end_of_image(&jpeg[..cut]), "cut at {cut}");
        }
        // Trailing data after EOI (a gain map, a video) does not matter.
        let mut with_trailer = jpeg.to_vec();
        with_trailer.extend_from_slice(&[0u8; 10_000]);
        assert!(jpeg_reaches_end_of_image(&with_trailer));
    }

    #[test]
    fn webp_shorter_than_its_riff_size_is_truncated() {
        let mut webp = b"RIFF\x10\0\0\0WEBP".to_vec();
        assert!(check_complete(ImageFormat::WebP, &webp).is_err());
        webp.resize(24, 0);
        assert!(check_complete(ImageFormat::WebP, &webp).is_ok());
    }
}
