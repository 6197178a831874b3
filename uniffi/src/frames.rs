//! Camera frames that own their bytes (`CameraFrame`): convenient, and copied once by
//! uniffi on the way in. The camera path that copies nothing is `raw_frame`.

use crate::options::Rotation;

/// Pixel layout of a camera frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PixelFormat {
    /// One plane, 4 bytes per pixel in the order R, G, B, A (Android `RGBA_8888`).
    Rgba8888,
    /// One plane, 4 bytes per pixel in the order B, G, R, A (iOS `kCVPixelFormatType_32BGRA`).
    Bgra8888,
    /// Y plane, then interleaved V/U at half resolution (Android camera1 default):
    /// two planes (Y, VU), or one plane holding the Y rows followed by the VU rows.
    Nv21,
    /// Y plane, then interleaved U/V at half resolution (iOS bi-planar 4:2:0 full range):
    /// two planes (Y, UV), or one plane holding the Y rows followed by the UV rows.
    Nv12,
    /// As `Nv12`, in BT.601 video range (luma 16..=235): iOS bi-planar 4:2:0 video range
    /// (`'420v'`), the default of `AVCaptureVideoDataOutput`.
    Nv12VideoRange,
    /// Three planes Y, U, V at 4:2:0 with their own row and pixel strides
    /// (Android `YUV_420_888`, whatever its chroma pixel stride).
    I420,
}

impl From<PixelFormat> for lesionscan::PixelFormat {
    fn from(value: PixelFormat) -> Self {
        match value {
            PixelFormat::Rgba8888 => Self::Rgba8888,
            PixelFormat::Bgra8888 => Self::Bgra8888,
            PixelFormat::Nv21 => Self::Nv21,
            PixelFormat::Nv12 => Self::Nv12,
            PixelFormat::Nv12VideoRange => Self::Nv12VideoRange,
            PixelFormat::I420 => Self::I420,
        }
    }
}

/// One plane of a [`CameraFrame`].
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FramePlane {
    /// The plane's bytes.
    pub bytes: Vec<u8>,
    /// Bytes from the start of one row to the start of the next.
    pub row_stride: u32,
    /// Bytes from one sample to the next within a row.
    pub pixel_stride: u32,
}

/// A camera frame whose planes are copied into Rust. For frames that stay where the
/// camera put them, see the zero-copy entries (`classify(imageProxy)` on Android,
/// `classify(pixelBuffer:)` on iOS).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CameraFrame {
    /// Width of the frame as stored (before rotation), in pixels.
    pub width: u32,
    /// Height of the frame as stored (before rotation), in pixels.
    pub height: u32,
    /// How the pixels are laid out in `planes`.
    pub format: PixelFormat,
    /// The planes, in the order the format names them.
    pub planes: Vec<FramePlane>,
    /// Clockwise rotation that makes the stored frame upright.
    pub rotation: Rotation,
}

impl CameraFrame {
    /// The core's frame, borrowing this frame's bytes.
    pub(crate) fn borrow(&self) -> lesionscan::Frame<'_> {
        let CameraFrame {
            width,
            height,
            format,
            planes,
            rotation,
        } = self;
        lesionscan::Frame {
            width: *width,
            height: *height,
            format: (*format).into(),
            planes: planes
                .iter()
                .map(|plane| lesionscan::Plane {
                    bytes: &plane.bytes,
                    row_stride: plane.row_stride as usize,
                    pixel_stride: plane.pixel_stride as usize,
                })
                .collect(),
            rotation: (*rotation).into(),
        }
    }
}
