//! From encoded bytes or a camera frame to an RGB picture at the model's input size.
//!
//! ```text
//! JPEG/PNG/WebP/BMP/TIFF bytes ─► decode ─► EXIF orientation ─┐
//!                                                             ├─► rotation ─► ROI ─► fit ─► resample ─► PreparedImage
//! camera Frame (RGBA/BGRA/NV21/NV12/I420, strided) ───────────┘
//! ```
//!
//! Frames are never converted to a full-resolution RGB copy: the resampler reads the
//! planes directly and writes only the model-sized result. Orientation and rotation are
//! never applied by copying either: they only change which stored pixel each weight
//! table points at.

mod decode;
mod frame;
mod orientation;
mod resample;

pub use frame::{Frame, PixelFormat, Plane};
pub use orientation::Rotation;

use crate::error::Result;

/// A region of interest in the upright picture (after EXIF orientation and rotation),
/// in fractions of its width and height: `0.0..=1.0` on both axes.
///
/// The region is rounded outwards to whole pixels before resampling: on an axis of `N`
/// pixels, `start = floor(x * N)` and `end = ceil((x + width) * N)` (likewise for `y`
/// and `height`). An edge within 1/100 of a pixel of a whole pixel is taken as that pixel,
/// so that `f32` sums such as `0.1 + 0.8` do not add a sliver; the region is at least one
/// pixel on each axis. Edges outside `0..=1`, non-finite values or an empty extent are an
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Roi {
    /// Left edge, fraction of the width.
    pub x: f32,
    /// Top edge, fraction of the height.
    pub y: f32,
    /// Width, fraction of the width.
    pub width: f32,
    /// Height, fraction of the height.
    pub height: f32,
}

/// Per-call options for a picture or a frame.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ImageOptions {
    /// Only this part of the upright picture is classified; `None` means all of it.
    pub roi: Option<Roi>,
    /// Extra clockwise rotation applied after EXIF orientation (images) or after the
    /// frame's own rotation (frames).
    pub rotation: Rotation,
}

/// How the (cropped) picture is fitted to the model's input shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fit {
    /// Scale each axis independently to the model's size (aspect ratio not kept).
    #[default]
    Stretch,
    /// Take the largest centred region with the model's aspect ratio, then scale.
    ///
    /// In whole pixels, for a region of `W x H` and a target of `tw x th`:
    /// `cw = min(W, round(H * tw / th))`, `ch = min(H, round(W * th / tw))` (halves round
    /// up, at least 1), placed at `x = (W - cw) / 2`, `y = (H - ch) / 2` rounded down.
    /// With an ROI, the region is the ROI.
    CenterCrop,
}

/// The model-sized picture the resampler writes.
///
/// Width and height must be between 1 and 8192, and at most 16,777,216 pixels in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetSize {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// How to fit the source to this size.
    pub fit: Fit,
}

/// An RGB picture at the model's input size, ready to become a tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Row-major, channel-interleaved R, G, B values on the 0..=255 scale (not rounded).
    pub rgb: Vec<f32>,
    /// Width and height of the upright source before cropping and resizing.
    pub source_size: (u32, u32),
    /// The same view in luma only, at up to [`DETAIL_SIDE`] pixels on its longer side:
    /// what the quality checks judge focus on. `None` when not made (a picture built by
    /// hand).
    pub detail: Option<LumaImage>,
}

/// Longest side, in pixels, of the luma copy in [`PreparedImage::detail`].
///
/// Focus is judged on this copy rather than on the model-sized picture: shrinking a
/// 12-megapixel photo to 224 pixels hides a blur that the model still suffers from, while
/// 448 pixels keeps it visible (measured in `models/QUALITY.md`). A decoder that
/// downscales while decoding should keep at least this many pixels of the region.
pub const DETAIL_SIDE: u32 = 448;

/// A single-channel picture: BT.601 luma (`0.299 R + 0.587 G + 0.114 B`) on the 0..=255
/// scale (not rounded), row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct LumaImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height` values, row by row.
    pub luma: Vec<f32>,
}

/// Decodes an encoded picture, applies its EXIF orientation and `options`, and resamples
/// it to `target` (and to its luma [`PreparedImage::detail`] copy, in the same pass).
///
/// In order: decode (JPEG, PNG, WebP, BMP or TIFF, recognised by content; grey, alpha and
/// 16-bit pictures become 8-bit RGB with alpha dropped; at most 16384 pixels a side and
/// 384 MiB of decoded data), EXIF orientation (all 8 values, from JPEG, PNG `eXIf`, WebP
/// and TIFF), `options.rotation` clockwise, `options.roi` on the upright picture, then
/// `target.fit` and resampling. Each axis is resampled on its own.
///
/// Resampling matches TensorFlow's `tf.image.resize(method="bilinear")` (half-pixel
/// centres) when the picture shrinks by less than 2x on an axis; from 2x on it uses
/// TensorFlow's antialiased bilinear (`antialias=True`, a triangle filter widened by the
/// scale factor), so a 12-megapixel photo is averaged rather than aliased. In detail, with
/// `scale = source / target` on an axis:
/// - `scale < 2`: output `i` samples `s = (i + 0.5) * scale - 0.5` between source pixels
///   `max(floor(s), 0)` and `min(ceil(s), n - 1)` with weight `s - floor(s)` on the upper.
/// - `scale >= 2`: output `i` is centred at `c = (i + 0.5) * scale`; source pixel `j`
///   weighs `max(0, 1 - |j + 0.5 - c| / scale)`, normalised over the pixels in the picture.
///
/// Against TensorFlow 2.21 on the same pixels both paths agree to within 1e-4 of a grey
/// level. The JPEG decoder (zune-jpeg) is within 0.35 of TensorFlow's
/// `decode_jpeg(dct_method="INTEGER_ACCURATE")` after shrinking the phone photo to
/// 128x128; TensorFlow's default `INTEGER_FAST` IDCT differs from both by up to 2.6 after
/// shrinking to 224x224 (mean 0.8).
///
/// # Errors
/// [`Error::InvalidImage`](crate::Error::InvalidImage) for empty, truncated, unknown or
/// oversized input; [`Error::InvalidArgument`](crate::Error::InvalidArgument) for an ROI
/// outside the picture or a target size out of range.
///
/// # Examples
/// ```
/// use lesionscan::image::prepare_encoded;
/// use lesionscan::{Fit, ImageOptions, Roi, Rotation, TargetSize};
///
/// let photo = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/phone_skin_moles.jpg"))?;
/// let target = TargetSize { width: 224, height: 224, fit: Fit::CenterCrop };
///
/// let whole = prepare_encoded(&photo, &ImageOptions::default(), target)?;
/// assert_eq!(whole.source_size, (1528, 1360));
/// assert_eq!(whole.rgb.len(), 224 * 224 * 3);
///
/// // The left half, turned a quarter clockwise first.
/// let options = ImageOptions {
///     roi: Some(Roi { x: 0.0, y: 0.0, width: 0.5, height: 1.0 }),
///     rotation: Rotation::R90,
/// };
/// let half = prepare_encoded(&photo, &options, target)?;
/// assert_eq!(half.source_size, (1360, 1528));
///
/// assert!(prepare_encoded(&photo[..photo.len() / 2], &options, target).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn prepare_encoded(
    bytes: &[u8],
    options: &ImageOptions,
    target: TargetSize,
) -> Result<PreparedImage> {
    let decoded = decode::decode(bytes)?;
    let transform = decoded.orientation.then(options.rotation.into());
    resample::prepare(&decoded.rgb, transform, options.roi, target)
}

/// Converts a camera frame (BT.601 full range for YUV) straight to `target`, honouring
/// the frame's rotation, `options.rotation` and `options.roi`.
///
/// The frame is checked first: size 1..=16384 a side, the plane count its format needs,
/// non-zero strides, pixel strides of at least 4 (RGBA/BGRA) or 2 (interleaved chroma),
/// row strides that hold a row, and planes long enough for their last row (which may be
/// shorter than `row_stride`). Then only the rows and columns the resampler needs are
/// read and converted; rotation and ROI work as in [`prepare_encoded`], whose resampling
/// this shares. Chroma is taken from the nearest sample (see [`Frame`]).
///
/// # Errors
/// [`Error::InvalidFrame`](crate::Error::InvalidFrame) when the planes, strides or sizes
/// do not add up; [`Error::InvalidArgument`](crate::Error::InvalidArgument) for an ROI
/// outside the frame or a target size out of range.
///
/// # Examples
/// ```
/// use lesionscan::image::prepare_frame;
/// use lesionscan::{Fit, Frame, ImageOptions, PixelFormat, Plane, Rotation, TargetSize};
///
/// // A 640x480 NV21 frame from a phone held upright (sensor turned 90 degrees).
/// let (w, h) = (640usize, 480usize);
/// let luma = vec![128u8; w * h];
/// let chroma = vec![128u8; w * h / 2]; // V, U pairs at half resolution
/// let frame = Frame {
///     width: w as u32,
///     height: h as u32,
///     format: PixelFormat::Nv21,
///     planes: vec![
///         Plane { bytes: &luma, row_stride: w, pixel_stride: 1 },
///         Plane { bytes: &chroma, row_stride: w, pixel_stride: 2 },
///     ],
///     rotation: Rotation::R90,
/// };
/// let target = TargetSize { width: 224, height: 224, fit: Fit::CenterCrop };
/// let prepared = prepare_frame(&frame, &ImageOptions::default(), target)?;
/// assert_eq!(prepared.source_size, (480, 640));
/// assert!(prepared.rgb.iter().all(|&v| (v - 128.0).abs() < 1e-3));
///
/// // A chroma plane one byte short is refused, not read past.
/// let short = Frame { planes: vec![frame.planes[0], Plane { bytes: &chroma[1..], ..frame.planes[1] }], ..frame.clone() };
/// assert!(prepare_frame(&short, &ImageOptions::default(), target).is_err());
/// # Ok::<(), lesionscan::Error>(())
/// ```
pub fn prepare_frame(
    frame: &Frame<'_>,
    options: &ImageOptions,
    target: TargetSize,
) -> Result<PreparedImage> {
    frame.validate()?;
    let rotation = frame.rotation.then(options.rotation);
    frame::prepare(frame, rotation, options.roi, target)
}
