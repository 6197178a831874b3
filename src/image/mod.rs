//! From encoded bytes or a camera frame to an RGB picture at the model's input size.
//!
//! ```text
//! JPEG/PNG/WebP/BMP/TIFF bytes ─► decode ─► EXIF orientation ─┐
//!                                                             ├─► rotation ─► ROI ─► fit ─► resample ─► PreparedImage
//! camera Frame (RGBA/BGRA/NV21/NV12/I420, strided) ───────────┘
//! ```
//!
//! Frames are never converted to a full-resolution RGB copy: the resampler reads the
//! planes directly and writes only the model-sized result.

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
/// The region is rounded outwards to whole pixels before resampling.
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
    CenterCrop,
}

/// The model-sized picture the resampler writes.
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
}

/// Decodes an encoded picture, applies its EXIF orientation and `options`, and resamples
/// it to `target`.
///
/// Resampling matches TensorFlow's `tf.image.resize(method="bilinear")` (half-pixel
/// centres) when the picture shrinks by less than 2x on an axis; from 2x on it uses
/// TensorFlow's antialiased bilinear (`antialias=True`, a triangle filter widened by the
/// scale factor), so a 12-megapixel photo is averaged rather than aliased.
///
/// # Errors
/// [`Error::InvalidImage`](crate::Error::InvalidImage) for empty, truncated, unknown or
/// oversized input; [`Error::InvalidArgument`](crate::Error::InvalidArgument) for an ROI
/// outside the picture.
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
/// # Errors
/// [`Error::InvalidFrame`](crate::Error::InvalidFrame) when the planes, strides or sizes
/// do not add up; [`Error::InvalidArgument`](crate::Error::InvalidArgument) for an ROI
/// outside the frame.
pub fn prepare_frame(
    frame: &Frame<'_>,
    options: &ImageOptions,
    target: TargetSize,
) -> Result<PreparedImage> {
    frame.validate()?;
    let rotation = frame.rotation.then(options.rotation);
    frame::prepare(frame, rotation, options.roi, target)
}
