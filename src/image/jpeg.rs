//! JPEG through libjpeg-turbo, the decoder TensorFlow, Pillow and OpenCV use.
//!
//! The bytes are first walked in Rust ([`read_header`]): the walk finds the frame header,
//! the EXIF orientation and the end-of-image marker, and refuses truncated, oversized or
//! unsupported files before any C code sees them. libjpeg-turbo (vendored by
//! `mozjpeg-sys`) then decodes at full size or at a reduced DCT scale, called through
//! `libjpeg_guard.c`: libjpeg's fatal errors, and the warnings that mean lost picture
//! data, end in a `longjmp` inside that C function and come back as a status code, which
//! [`decode`] turns into [`Error::InvalidImage`]. No Rust frame is ever unwound or
//! skipped, whatever the panic strategy, and libjpeg frees everything before returning.
//!
//! This file holds the crate's one `unsafe` block for libjpeg: the call to the guard.

use std::ffi::{c_char, c_int, c_uint, c_ulong};

use image::metadata::Orientation;
use image::RgbImage;
// Links libjpeg-turbo, which the C guard calls; nothing is called from Rust directly.
use mozjpeg_sys as _;

use super::orientation::Transform;
use super::types::{MAX_ALLOC, MAX_SIDE};
use crate::error::{Error, Result};

/// Most scans a JPEG may have. Real progressive files have about ten; each scan walks the
/// whole coefficient buffer again, so a file of thousands of tiny scans costs minutes.
const MAX_SCANS: usize = 512;

/// What the marker walk learnt about a complete JPEG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Header {
    /// Stored width and height in pixels.
    pub(super) width: usize,
    pub(super) height: usize,
    /// Horizontal and vertical sampling factor of each component.
    sampling: Vec<(u8, u8)>,
    /// The coefficients of the whole picture are buffered (progressive or several scans).
    buffered: bool,
    /// An Adobe APP14 segment is present (CMYK is then stored inverted, as Photoshop does).
    adobe: bool,
    /// The EXIF orientation (identity without one).
    pub(super) orientation: Transform,
}

impl Header {
    /// Bytes libjpeg allocates for the picture decoded at `numerator / 8` (RGB rows plus
    /// the coefficient buffer when there is one), rounded up.
    fn decoded_bytes(&self, numerator: u8) -> u64 {
        let (w, h) = (self.width as u64, self.height as u64);
        let n = u64::from(numerator);
        let pixels = (w * n).div_ceil(8) * (h * n).div_ceil(8);
        let out = pixels * 4;
        let coefficients = if self.buffered {
            let hmax = u64::from(self.sampling.iter().map(|s| s.0).max().unwrap_or(1));
            let vmax = u64::from(self.sampling.iter().map(|s| s.1).max().unwrap_or(1));
            self.sampling
                .iter()
                .map(|&(hs, vs)| {
                    let bw = (w * u64::from(hs)).div_ceil(hmax * 8) + 1;
                    let bh = (h * u64::from(vs)).div_ceil(vmax * 8) + 1;
                    bw * bh * 128
                })
                .sum()
        } else {
            0
        };
        out + coefficients
    }
}

/// Walks the JPEG's marker segments and entropy-coded scans from the start-of-image marker
/// to the primary picture's end-of-image marker (`FF D9`), reading the frame header and
/// the EXIF orientation on the way. Data after the end marker (an MPF gain map, a
/// motion-photo video) is not looked at.
///
/// # Errors
/// [`Error::InvalidImage`] when the end marker is missing (a cut-off upload must not be
/// classified as if it were whole), the frame header is missing or malformed, the picture
/// is larger than [`MAX_SIDE`] a side, has more than [`MAX_SCANS`] scans, or uses a
/// coding libjpeg-turbo's 8-bit decoder does not support (lossless, hierarchical,
/// 12-bit).
pub(super) fn read_header(bytes: &[u8]) -> Result<Header> {
    let truncated = || Error::image("truncated JPEG (no end-of-image marker)");
    if bytes.get(..2) != Some(&[0xFF, 0xD8][..]) {
        return Err(Error::image("not a JPEG (no start-of-image marker)"));
    }
    let mut frame: Option<Header> = None;
    let mut orientation: Option<Transform> = None;
    let mut adobe = false;
    let mut scans = 0usize;
    let mut i = 2;
    loop {
        // Skip anything up to a marker, then fill bytes.
        while i < bytes.len() && bytes[i] != 0xFF {
            i += 1;
        }
        while i < bytes.len() && bytes[i] == 0xFF {
            i += 1;
        }
        let &marker = bytes.get(i).ok_or_else(truncated)?;
        i += 1;
        match marker {
            0xD9 => break,
            // Standalone markers carry no length.
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let len = bytes
            .get(i..i + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
            .ok_or_else(truncated)?;
        if len < 2 {
            return Err(Error::image(
                "malformed JPEG (segment shorter than its length field)",
            ));
        }
        let payload = bytes.get(i + 2..i + len).ok_or_else(truncated)?;
        i += len;
        match marker {
            // Start of frame (not DHT, JPG or DAC); only the first one counts.
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) && frame.is_none() => {
                frame = Some(read_frame(marker, payload)?);
            }
            0xE1 if orientation.is_none() => {
                if let Some(tiff) = payload.strip_prefix(b"Exif\0\0") {
                    orientation = Some(match Orientation::from_exif_chunk(tiff) {
                        Some(o) => Transform::from_exif(o),
                        None => {
                            // A damaged EXIF block should not make a good picture unusable.
                            log::warn!("ignoring unreadable EXIF orientation");
                            Transform::default()
                        }
                    });
                }
            }
            0xEE if payload.starts_with(b"Adobe") => adobe = true,
            0xDA => {
                scans += 1;
                if scans > MAX_SCANS {
                    return Err(Error::image(format!(
                        "the JPEG has more than {MAX_SCANS} scans"
                    )));
                }
                // Entropy-coded data: runs until an FF that is neither a stuffed zero nor
                // a restart marker.
                loop {
                    let rest = bytes.get(i..).unwrap_or_default();
                    i += memchr::memchr(0xFF, rest).ok_or_else(truncated)?;
                    match bytes.get(i + 1) {
                        None => return Err(truncated()),
                        Some(&next) if next == 0 || (0xD0..=0xD7).contains(&next) => i += 2,
                        Some(_) => break,
                    }
                }
            }
            _ => {}
        }
    }
    let mut header = frame.ok_or_else(|| Error::image("malformed JPEG (no frame header)"))?;
    if scans == 0 {
        return Err(Error::image("malformed JPEG (no scan)"));
    }
    header.buffered |= scans > 1;
    header.adobe = adobe;
    header.orientation = orientation.unwrap_or_default();
    Ok(header)
}

/// Reads a start-of-frame segment (`SOFn`, `marker` = `0xC0 + n`).
fn read_frame(marker: u8, payload: &[u8]) -> Result<Header> {
    let malformed = || Error::image("malformed JPEG frame header");
    match marker {
        0xC0 | 0xC1 | 0xC2 | 0xC9 | 0xCA => {}
        0xC3 | 0xCB => return Err(Error::image("lossless JPEG is not supported")),
        _ => return Err(Error::image("hierarchical JPEG is not supported")),
    }
    let &[precision, h0, h1, w0, w1, count, ref components @ ..] = payload else {
        return Err(malformed());
    };
    if precision != 8 {
        return Err(Error::image(format!(
            "{precision}-bit JPEG is not supported (8-bit is)"
        )));
    }
    let (height, width) = (u16::from_be_bytes([h0, h1]), u16::from_be_bytes([w0, w1]));
    if width == 0 || height == 0 {
        return Err(Error::image(
            "the picture has no pixels (or a DNL marker, which is not supported)",
        ));
    }
    if u32::from(width) > MAX_SIDE || u32::from(height) > MAX_SIDE {
        return Err(Error::image(format!(
            "the picture is {width}x{height}; at most {MAX_SIDE} pixels a side are accepted"
        )));
    }
    let count = usize::from(count);
    if !matches!(count, 1 | 3 | 4) || components.len() < 3 * count {
        return Err(Error::image(format!(
            "JPEG with {count} components is not supported (1, 3 or 4 are)"
        )));
    }
    let sampling: Vec<(u8, u8)> = components
        .chunks_exact(3)
        .take(count)
        .map(|c| (c[1] >> 4, c[1] & 0x0F))
        .collect();
    if sampling
        .iter()
        .any(|&(h, v)| !(1..=4).contains(&h) || !(1..=4).contains(&v))
    {
        return Err(malformed());
    }
    Ok(Header {
        width: usize::from(width),
        height: usize::from(height),
        sampling,
        buffered: matches!(marker, 0xC2 | 0xCA),
        adobe: false,
        orientation: Transform::default(),
    })
}

/// Decodes the JPEG whose [`read_header`] is `header` at `numerator / 8` of its size
/// (`numerator` is 1, 2, 4 or 8) to 8-bit RGB in stored orientation. libjpeg-turbo's
/// defaults are kept: accurate integer IDCT, smooth ("fancy") chroma upsampling, block
/// smoothing; grey is replicated, CMYK and YCCK are converted as Pillow does.
///
/// # Errors
/// [`Error::InvalidImage`] when the decoded picture would exceed the allocation limit,
/// or libjpeg reports an error or a warning that means lost data (premature end of the
/// data, corrupt entropy-coded data, a missing restart marker).
pub(super) fn decode(bytes: &[u8], header: &Header, numerator: u8) -> Result<RgbImage> {
    if !matches!(numerator, 1 | 2 | 4 | 8) {
        return Err(Error::image(format!("invalid JPEG scale {numerator}/8")));
    }
    if header.decoded_bytes(numerator) > MAX_ALLOC {
        return Err(Error::image("the decoded picture would be too large"));
    }
    let n = usize::from(numerator);
    let (width, height) = (
        (header.width * n).div_ceil(8),
        (header.height * n).div_ceil(8),
    );
    let channels = if header.sampling.len() == 4 { 4 } else { 3 };
    let mut pixels = Vec::new();
    pixels
        .try_reserve_exact(width * height * channels)
        .map_err(|_| Error::image("not enough memory for the decoded picture"))?;
    pixels.resize(width * height * channels, 0u8);
    let mut message = [0u8; MESSAGE_LEN];
    let size = std::ffi::c_ulong::try_from(bytes.len())
        .map_err(|_| Error::image("the JPEG is too large"))?;
    // SAFETY: every pointer is valid for the length passed with it for the whole call:
    // `bytes` (read only), `pixels` (`width * height * channels` bytes, the exact size the
    // guard is told to expect; it refuses any other output shape before writing) and
    // `message` (MESSAGE_LEN = libjpeg's JMSG_LENGTH_MAX bytes, written NUL-terminated).
    // The guard keeps no pointer after returning, and catches every libjpeg error in C
    // (setjmp/longjmp inside its own frames), so nothing unwinds into Rust.
    let status = unsafe {
        lesionscan_jpeg_decode(
            bytes.as_ptr(),
            size,
            c_int::from(numerator),
            width as c_uint,
            height as c_uint,
            channels as c_int,
            pixels.as_mut_ptr(),
            pixels.len(),
            message.as_mut_ptr().cast(),
        )
    };
    if status != 0 {
        let end = message.iter().position(|&b| b == 0).unwrap_or(MESSAGE_LEN);
        let text = String::from_utf8_lossy(&message[..end]);
        return Err(Error::image(format!("cannot decode JPEG: {text}")));
    }
    let rgb = if channels == 4 {
        cmyk_to_rgb(&pixels, header.adobe)
    } else {
        pixels
    };
    RgbImage::from_raw(width as u32, height as u32, rgb)
        .ok_or_else(|| Error::image("short JPEG output"))
}

/// libjpeg's JMSG_LENGTH_MAX: the size of the buffer for its error text.
const MESSAGE_LEN: usize = 200;

extern "C" {
    /// src/image/libjpeg_guard.c: 0 on success, non-zero with a message on failure.
    fn lesionscan_jpeg_decode(
        data: *const u8,
        size: c_ulong,
        scale_num: c_int,
        width: c_uint,
        height: c_uint,
        channels: c_int,
        out: *mut u8,
        out_len: usize,
        message: *mut c_char,
    ) -> c_int;
}

/// CMYK as libjpeg hands it out to RGB, as Pillow converts it: with an Adobe marker the
/// samples are stored inverted (Photoshop's convention, Pillow's `CMYK;I`); then, with
/// `nk = 255 - K`, `R = nk - round(C * nk / 255)` in Pillow's integer arithmetic, and
/// likewise for G (from M) and B (from Y).
fn cmyk_to_rgb(cmyk: &[u8], inverted: bool) -> Vec<u8> {
    let ink = |v: u8| u32::from(if inverted { 255 - v } else { v });
    let mut rgb = Vec::with_capacity(cmyk.len() / 4 * 3);
    for px in cmyk.chunks_exact(4) {
        let nk = 255 - ink(px[3]);
        for &c in &px[..3] {
            // Pillow's MULDIV255: (a * b + 128) * 257 >> 16, written as it does.
            let t = ink(c) * nk + 128;
            rgb.push((nk - (((t >> 8) + t) >> 8)) as u8);
        }
    }
    rgb
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal(frame: &[u8]) -> Vec<u8> {
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend_from_slice(frame);
        jpeg.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF, 0xD9]);
        jpeg
    }

    const SOF0_2X3_GREY: [u8; 13] = [
        0xFF, 0xC0, 0x00, 0x0B, 8, 0x00, 0x03, 0x00, 0x02, 1, 1, 0x11, 0,
    ];

    #[test]
    fn end_is_found_past_stuffed_bytes_and_restart_markers() {
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x04, 0xFF, 0xD9]); // APP0 holding "EOI"
        jpeg.extend_from_slice(&SOF0_2X3_GREY);
        jpeg.extend_from_slice(&[
            0xFF, 0xDA, 0x00, 0x02, // SOS
            0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, // scan with a stuffed FF and RST0
            0xFF, 0xD9, // EOI
        ]);
        let header = read_header(&jpeg).unwrap();
        assert_eq!((header.width, header.height), (2, 3));
        for cut in 0..jpeg.len() - 1 {
            assert!(read_header(&jpeg[..cut]).is_err(), "cut at {cut}");
        }
        // Trailing data after EOI (a gain map, a video) does not matter.
        let mut with_trailer = jpeg.clone();
        with_trailer.extend_from_slice(&[0u8; 10_000]);
        assert_eq!(read_header(&with_trailer).unwrap(), header);
    }

    #[test]
    fn unsupported_and_oversized_frames_are_refused_before_decoding() {
        let with = |marker: u8, precision: u8, h: u16, w: u16| {
            let mut sof = SOF0_2X3_GREY;
            sof[1] = marker;
            sof[4] = precision;
            sof[5..7].copy_from_slice(&h.to_be_bytes());
            sof[7..9].copy_from_slice(&w.to_be_bytes());
            read_header(&minimal(&sof))
        };
        assert!(with(0xC0, 8, 3, 2).is_ok());
        assert!(with(0xC2, 8, 3, 2).unwrap().buffered);
        for (marker, precision, h, w) in [
            (0xC3, 8, 3, 2),      // lossless
            (0xC5, 8, 3, 2),      // hierarchical
            (0xC1, 12, 3, 2),     // 12-bit
            (0xC0, 8, 0, 2),      // height from a DNL marker
            (0xC0, 8, 3, 16_385), // too wide
        ] {
            assert!(
                matches!(
                    with(marker, precision, h, w),
                    Err(Error::InvalidImage { .. })
                ),
                "{marker:x} {precision} {h}x{w}"
            );
        }
    }

    #[test]
    fn too_many_scans_are_refused() {
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend_from_slice(&SOF0_2X3_GREY);
        for _ in 0..=MAX_SCANS {
            jpeg.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02, 0x12]);
        }
        jpeg.extend_from_slice(&[0xFF, 0xD9]);
        assert!(read_header(&jpeg).is_err());
    }

    #[test]
    fn progressive_coefficients_count_towards_the_allocation_limit() {
        let header = Header {
            width: 16_384,
            height: 16_384,
            sampling: vec![(2, 2), (1, 1), (1, 1)],
            buffered: true,
            adobe: false,
            orientation: Transform::default(),
        };
        // 1.5 components of 2-byte coefficients per pixel: 768 MiB before any output.
        assert!(header.decoded_bytes(1) > MAX_ALLOC);
        let sequential = Header {
            buffered: false,
            ..header
        };
        assert!(sequential.decoded_bytes(1) < MAX_ALLOC);
    }

    /// libjpeg's DCT-scaled decodes equal Pillow's `draft()` (and TensorFlow's
    /// `decode_jpeg(ratio=...)`, checked by the generator) on every reference JPEG.
    #[test]
    fn scaled_decodes_are_bit_identical_to_pillow_draft() {
        use sha2::Digest;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("jpeg/manifest.json")).unwrap())
                .unwrap();
        let mut compared = 0;
        for entry in manifest["files"].as_array().unwrap() {
            let file = entry["file"].as_str().unwrap();
            let bytes = std::fs::read(dir.join(file)).unwrap();
            let header = read_header(&bytes).unwrap();
            for n in [1u8, 2, 4, 8] {
                let key = if n == 8 {
                    "pillow_sha256".to_owned()
                } else {
                    format!("pillow_draft_{n}_8_sha256")
                };
                let rgb = decode(&bytes, &header, n).unwrap();
                let (w, h) = (
                    header.width * usize::from(n),
                    header.height * usize::from(n),
                );
                assert_eq!(
                    (rgb.width() as usize, rgb.height() as usize),
                    (w.div_ceil(8), h.div_ceil(8))
                );
                let got: String = sha2::Sha256::digest(rgb.as_raw())
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                assert_eq!(got, entry[&key].as_str().unwrap(), "{file} at {n}/8");
                compared += 1;
            }
        }
        assert!(compared >= 36);
    }

    #[test]
    fn cmyk_converts_like_pillow() {
        // Pillow 13: Image.new("CMYK", (1, 1), px).convert("RGB") for each px.
        let two = [0, 128, 255, 64, 10, 200, 37, 250];
        assert_eq!(cmyk_to_rgb(&two, false), [191, 95, 0, 5, 1, 4]);
        let inverted: Vec<u8> = two.iter().map(|v| 255 - v).collect();
        assert_eq!(cmyk_to_rgb(&inverted, true), [191, 95, 0, 5, 1, 4]);
    }
}
