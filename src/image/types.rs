//! The types the image folder shares: what callers ask for (options, rotation, region,
//! target size), what they get back (the prepared picture), and the size limits.

use crate::error::{Error, Result};

/// Largest accepted width or height of an encoded picture, in pixels.
pub(crate) const MAX_SIDE: u32 = 16_384;

/// Most bytes a decoder may allocate for one picture (the decoded pixels included).
/// 384 MiB holds a 48-megapixel photo at 16 bits per channel RGB.
pub(crate) const MAX_ALLOC: u64 = 384 * 1024 * 1024;

/// A clockwise rotation by a multiple of 90 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Rotation {
    /// No rotation.
    #[default]
    R0,
    /// 90 degrees clockwise.
    R90,
    /// 180 degrees.
    R180,
    /// 270 degrees clockwise (90 counter-clockwise).
    R270,
}

impl Rotation {
    /// Rotation from degrees; any multiple of 90 (negative too) is accepted.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `degrees` is not a multiple of 90.
    ///
    /// # Examples
    /// ```
    /// use lesionscan::Rotation;
    /// assert_eq!(Rotation::from_degrees(-90).unwrap(), Rotation::R270);
    /// assert!(Rotation::from_degrees(45).is_err());
    /// ```
    pub fn from_degrees(degrees: i32) -> Result<Self> {
        match degrees.rem_euclid(360) {
            0 => Ok(Self::R0),
            90 => Ok(Self::R90),
            180 => Ok(Self::R180),
            270 => Ok(Self::R270),
            _ => Err(Error::argument(format!(
                "rotation must be a multiple of 90 degrees, got {degrees}"
            ))),
        }
    }

    /// The rotation in degrees: 0, 90, 180 or 270.
    pub fn degrees(self) -> u32 {
        match self {
            Self::R0 => 0,
            Self::R90 => 90,
            Self::R180 => 180,
            Self::R270 => 270,
        }
    }

    /// `self` followed by `next`.
    #[must_use]
    pub fn then(self, next: Rotation) -> Rotation {
        match (self.degrees() + next.degrees()) % 360 {
            90 => Self::R90,
            180 => Self::R180,
            270 => Self::R270,
            _ => Self::R0,
        }
    }
}

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

/// How a JPEG is decoded.
///
/// Only JPEG has a choice; other formats and camera frames are always read in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DecodeMode {
    /// Decode at the smallest of libjpeg-turbo's DCT scales (1/8, 1/4, 1/2, 1) that still
    /// leaves at least twice the model's input size on both axes of the region that is
    /// resampled (after ROI, rotation and fit), then resample that. A 12-megapixel photo
    /// for a 254-pixel model is decoded at 1/4 scale: several times faster, and the
    /// antialiased resize still averages at least 2x2 decoded pixels per output pixel.
    /// A picture decoded at a reduced scale is resampled with fixed-point row weights
    /// (within 0.1 of a grey level of the `f32` arithmetic). Pictures too small to scale
    /// are decoded in full and resampled exactly as with [`Exact`](Self::Exact).
    #[default]
    Fast,
    /// Always decode every pixel. The pixels are then bit-identical to libjpeg-turbo's
    /// default decoding (accurate integer IDCT, smooth chroma upsampling): Pillow,
    /// OpenCV and `tf.io.decode_jpeg(dct_method="INTEGER_ACCURATE")`; with the resize,
    /// the whole pipeline reproduces a TensorFlow training pipeline built on them.
    Exact,
}

/// Per-call options for a picture or a frame.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ImageOptions {
    /// Only this part of the upright picture is classified; `None` means all of it.
    pub roi: Option<Roi>,
    /// Extra clockwise rotation applied after EXIF orientation (images) or after the
    /// frame's own rotation (frames).
    pub rotation: Rotation,
    /// How a JPEG is decoded: scaled down in the DCT domain when the model is much smaller
    /// than the picture ([`DecodeMode::Fast`], the default), or in full.
    pub decode: DecodeMode,
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

/// How pixels are resampled to the model's size: the resize the model was trained with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Resampling {
    /// TensorFlow's `tf.image.resize(method="bilinear")` (half-pixel centres) while an axis
    /// grows or shrinks by less than 2x; from a 2x reduction on, its antialiased bilinear
    /// (`antialias=True`), so a large photo is averaged rather than aliased.
    #[default]
    Bilinear,
    /// TensorFlow's `tf.image.resize(method="bilinear", antialias=True)` at every scale:
    /// whenever an axis shrinks, by any factor, a triangle filter widened by that factor
    /// (an axis that grows or keeps its size is plain bilinear). Models trained on pictures
    /// made that way need it: a 224 to 128 pixel reduction differs from plain bilinear by up
    /// to dozens of grey levels.
    Antialiased,
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
    /// How to resample the source to this size.
    pub resampling: Resampling,
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
    /// The same view in luma only, shrunk by the smallest whole factor that brings it to
    /// at most [`DETAIL_SIDE`] pixels a side (never enlarged): what the quality checks
    /// judge focus on. `None` when not made (a picture built by hand).
    pub detail: Option<LumaImage>,
}

/// Longest side, in pixels, of the luma copy in [`PreparedImage::detail`].
///
/// Focus is judged on this copy rather than on the model-sized picture: shrinking a
/// 12-megapixel photo to the model's 224 or 254 pixels hides a blur that the model still
/// suffers from, while this copy keeps it visible (measured in `models/QUALITY.md`). The
/// view is shrunk by the whole factor `k = ceil(longer side / DETAIL_SIDE)`, so the copy
/// has between half of this and this many pixels on its longer side (or all of them, if
/// the view has fewer). A JPEG decoded at a reduced DCT scale ([`DecodeMode::Fast`])
/// keeps at least that many pixels of the region, and the factor applies to the decoded
/// region.
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
