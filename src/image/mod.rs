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
mod jpeg;
mod orientation;
mod resample;
mod samples;
mod taps;
mod types;
mod yuv;

pub use frame::{Frame, PixelFormat, Plane};
pub use types::{
    DecodeMode, Fit, ImageOptions, LumaImage, PreparedImage, Resampling, Roi, Rotation, TargetSize,
    DETAIL_SIDE,
};

use crate::error::Result;
use resample::Plan;
use samples::{Precision, Samples};

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
/// level.
///
/// JPEG is decoded by libjpeg-turbo with its defaults (accurate integer IDCT, smooth
/// chroma upsampling): with [`DecodeMode::Exact`], and with [`DecodeMode::Fast`] whenever
/// the region is less than 4x the target on an axis, the pixels are bit-identical to
/// Pillow's and to `tf.io.decode_jpeg(dct_method="INTEGER_ACCURATE")`. (TensorFlow's
/// default, `dct_method=""`, is the fast integer IDCT, which differs by up to 7 grey levels
/// per pixel; no option here reproduces it.) [`DecodeMode::Fast`], the default, decodes a
/// picture at least 4x larger than needed at 1/2, 1/4 or 1/8 scale in the DCT domain,
/// keeping at least twice the target's size; see [`DecodeMode`].
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
/// let target = TargetSize { width: 224, height: 224, fit: Fit::CenterCrop, resampling: Default::default() };
///
/// let whole = prepare_encoded(&photo, &ImageOptions::default(), target)?;
/// assert_eq!(whole.source_size, (1528, 1360));
/// assert_eq!(whole.rgb.len(), 224 * 224 * 3);
///
/// // The left half, turned a quarter clockwise first.
/// let options = ImageOptions {
///     roi: Some(Roi { x: 0.0, y: 0.0, width: 0.5, height: 1.0 }),
///     rotation: Rotation::R90,
///     ..Default::default()
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
    let rotation = options.rotation.into();
    let decoded = decode::decode(bytes, |stored, orientation| {
        let plan = Plan::new(stored, orientation.then(rotation), options.roi, target)?;
        Ok(match options.decode {
            DecodeMode::Fast => plan.dct_numerator(),
            DecodeMode::Exact => 8,
        })
    })?;
    let transform = decoded.orientation.then(rotation);
    let plan = Plan::new(decoded.stored_size, transform, options.roi, target)?;
    let (width, height) = (decoded.rgb.width() as usize, decoded.rgb.height() as usize);
    let samples = Samples {
        bytes: decoded.rgb.as_raw(),
        base: 0,
        row_stride: width * 3,
        step: 3,
        width,
        height,
    };
    // Full-size pixels are resampled with TensorFlow's arithmetic; a picture decoded at a
    // reduced DCT scale is approximate already, and fixed-point weights (within 0.1 of a
    // grey level) make its resampling several times cheaper.
    let precision = if decoded.numerator == 8 {
        Precision::Float
    } else {
        Precision::Fixed
    };
    plan.resample_rgb(&samples, [0, 1, 2], decoded.numerator, precision)
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
/// let target = TargetSize { width: 224, height: 224, fit: Fit::CenterCrop, resampling: Default::default() };
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
