//! Camera frames as phones deliver them: packed RGBA/BGRA or planar/semi-planar YUV 4:2:0
//! with arbitrary row and pixel strides.

use super::orientation::Rotation;

/// Pixel layout of a camera [`Frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PixelFormat {
    /// One plane, 4 bytes per pixel in the order R, G, B, A (Android `RGBA_8888`).
    Rgba8888,
    /// One plane, 4 bytes per pixel in the order B, G, R, A (iOS `kCVPixelFormatType_32BGRA`).
    Bgra8888,
    /// Y plane, then interleaved V/U at half resolution (Android camera1 default).
    /// Either two planes (Y, VU) or one plane holding Y rows followed by VU rows.
    Nv21,
    /// Y plane, then interleaved U/V at half resolution (iOS `420YpCbCr8BiPlanarFullRange`).
    /// Either two planes (Y, UV) or one plane holding Y rows followed by UV rows.
    Nv12,
    /// Three planes Y, U, V at 4:2:0 with their own row and pixel strides
    /// (Android `YUV_420_888`, which covers I420, and NV12/NV21 seen through
    /// pixel stride 2).
    I420,
}

/// One plane of a frame, borrowed from the camera's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plane<'a> {
    /// The plane's bytes. Must hold at least `(rows - 1) * row_stride + (cols - 1) * pixel_stride + bytes_per_pixel` bytes.
    pub bytes: &'a [u8],
    /// Bytes from the start of one row to the start of the next.
    pub row_stride: usize,
    /// Bytes from one pixel (sample) to the next within a row.
    pub pixel_stride: usize,
}

/// A camera frame. Planes are borrowed, so wrapping a camera buffer copies nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame<'a> {
    /// Width of the frame as stored (before rotation), in pixels.
    pub width: u32,
    /// Height of the frame as stored (before rotation), in pixels.
    pub height: u32,
    /// How pixels are laid out in `planes`.
    pub format: PixelFormat,
    /// The planes, in the order the format names them.
    pub planes: Vec<Plane<'a>>,
    /// Clockwise rotation that makes the stored frame upright (Android's
    /// `ImageInfo.rotationDegrees`).
    pub rotation: Rotation,
}
