//! Camera frames as phones deliver them: packed RGBA/BGRA or planar/semi-planar YUV 4:2:0
//! with arbitrary row and pixel strides.

use super::orientation::Transform;
use super::resample::Plan;
use super::samples::{Precision, Samples};
use super::types::{PreparedImage, Roi, Rotation, TargetSize};
use super::yuv::{self, Chroma, YuvRange};
use crate::error::{Error, Result};

/// Largest accepted frame width or height, in pixels.
pub(crate) const MAX_FRAME_SIDE: u32 = 16_384;

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
    ///
    /// With two planes, the VU plane's `pixel_stride` is the distance between V/U pairs
    /// (normally 2). With one plane, `row_stride` applies to the Y rows and the VU rows
    /// alike, the VU rows start right after `height` Y rows, `pixel_stride` is the
    /// distance between Y samples (normally 1) and VU pairs are `2 * pixel_stride` apart.
    Nv21,
    /// Y plane, then interleaved U/V at half resolution (iOS `420YpCbCr8BiPlanarFullRange`).
    /// Either two planes (Y, UV) or one plane holding Y rows followed by UV rows, laid
    /// out as for [`PixelFormat::Nv21`].
    Nv12,
    /// As [`PixelFormat::Nv12`], in BT.601 video range (Y in 16..=235, chroma in
    /// 16..=240): iOS `420YpCbCr8BiPlanarVideoRange` (`'420v'`), the default format of
    /// `AVCaptureVideoDataOutput`. Expanded to full range before the conversion below:
    /// `Y' = (Y - 16) * 255 / 219`, `U' - 128 = (U - 128) * 255 / 224`, likewise `V'`.
    Nv12VideoRange,
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
///
/// YUV frames are 4:2:0: the chroma planes hold `ceil(width / 2) x ceil(height / 2)`
/// samples. They are read as BT.601 full range (JFIF): `R = Y + 1.402 (V - 128)`,
/// `G = Y - 0.344136 (U - 128) - 0.714136 (V - 128)`, `B = Y + 1.772 (U - 128)`, clamped
/// to 0..=255, with each luma pixel taking its nearest chroma sample, the one at
/// `(x / 2, y / 2)` rounded down.
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

/// Where the bytes of one channel (or of one interleaved chroma pair) lie.
#[derive(Debug, Clone, Copy)]
struct Channel<'a> {
    bytes: &'a [u8],
    /// Offset of sample (0, 0) in `bytes`.
    base: usize,
    row_stride: usize,
    pixel_stride: usize,
}

impl<'a> Channel<'a> {
    fn of(plane: &Plane<'a>) -> Self {
        Self {
            bytes: plane.bytes,
            base: 0,
            row_stride: plane.row_stride,
            pixel_stride: plane.pixel_stride,
        }
    }

    /// Checks that `rows x cols` samples of `sample_bytes` bytes fit, with checked
    /// arithmetic throughout.
    fn check(
        &self,
        name: &str,
        rows: usize,
        cols: usize,
        sample_bytes: usize,
        min_pixel_stride: usize,
    ) -> Result<()> {
        let overflow = || Error::frame(format!("{name} plane: strides overflow"));
        if self.row_stride == 0 || self.pixel_stride == 0 {
            return Err(Error::frame(format!(
                "{name} plane: row and pixel strides must be non-zero"
            )));
        }
        if self.pixel_stride < min_pixel_stride {
            return Err(Error::frame(format!(
                "{name} plane: pixel stride {} is below {min_pixel_stride}",
                self.pixel_stride
            )));
        }
        let row_bytes = (cols - 1)
            .checked_mul(self.pixel_stride)
            .and_then(|b| b.checked_add(sample_bytes))
            .ok_or_else(overflow)?;
        if self.row_stride < row_bytes {
            return Err(Error::frame(format!(
                "{name} plane: row stride {} is shorter than a row ({row_bytes} bytes)",
                self.row_stride
            )));
        }
        let required = (rows - 1)
            .checked_mul(self.row_stride)
            .and_then(|b| b.checked_add(row_bytes))
            .and_then(|b| b.checked_add(self.base))
            .ok_or_else(overflow)?;
        if self.bytes.len() < required {
            return Err(Error::frame(format!(
                "{name} plane holds {} bytes, {required} are needed",
                self.bytes.len()
            )));
        }
        Ok(())
    }
}

/// A validated frame, ready to hand out RGB rows.
#[derive(Debug, Clone, Copy)]
enum Layout<'a> {
    /// Four bytes a pixel; `order` gives the offsets of R, G and B.
    Packed {
        pixels: Channel<'a>,
        order: [usize; 3],
    },
    /// Luma plus 4:2:0 chroma.
    Yuv {
        y: Channel<'a>,
        u: Channel<'a>,
        v: Channel<'a>,
        range: YuvRange,
    },
}

impl Frame<'_> {
    /// Checks sizes, plane count, strides and plane lengths (with checked arithmetic) so
    /// that every later read is in bounds.
    pub(crate) fn validate(&self) -> Result<()> {
        self.layout().map(|_| ())
    }

    fn layout(&self) -> Result<Layout<'_>> {
        let (w, h) = (self.width, self.height);
        if w == 0 || h == 0 {
            return Err(Error::frame(format!("frame size {w}x{h} is empty")));
        }
        if w > MAX_FRAME_SIDE || h > MAX_FRAME_SIDE {
            return Err(Error::frame(format!(
                "frame size {w}x{h} exceeds {MAX_FRAME_SIDE} a side"
            )));
        }
        let (w, h) = (w as usize, h as usize);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let planes = &self.planes;
        let count_error = |expected: &str| {
            Error::frame(format!(
                "{:?} needs {expected} plane(s), got {}",
                self.format,
                planes.len()
            ))
        };
        match self.format {
            PixelFormat::Rgba8888 | PixelFormat::Bgra8888 => {
                let [plane] = planes.as_slice() else {
                    return Err(count_error("1"));
                };
                let pixels = Channel::of(plane);
                pixels.check("RGBA", h, w, 4, 4)?;
                let order = if self.format == PixelFormat::Rgba8888 {
                    [0, 1, 2]
                } else {
                    [2, 1, 0]
                };
                Ok(Layout::Packed { pixels, order })
            }
            PixelFormat::Nv21 | PixelFormat::Nv12 | PixelFormat::Nv12VideoRange => {
                let (y, pairs) = match planes.as_slice() {
                    [y, c] => {
                        let pairs = Channel::of(c);
                        pairs.check("chroma", ch, cw, 2, 2)?;
                        (Channel::of(y), pairs)
                    }
                    [single] => {
                        let ps = single.pixel_stride;
                        let base = h
                            .checked_mul(single.row_stride)
                            .ok_or_else(|| Error::frame("plane: strides overflow"))?;
                        let pairs = Channel {
                            base,
                            pixel_stride: ps
                                .checked_mul(2)
                                .ok_or_else(|| Error::frame("plane: strides overflow"))?,
                            ..Channel::of(single)
                        };
                        (Channel::of(single), pairs)
                    }
                    _ => return Err(count_error("1 or 2")),
                };
                y.check("Y", h, w, 1, 1)?;
                pairs.check("chroma", ch, cw, 2, 2)?;
                let second = Channel {
                    base: pairs.base + 1,
                    ..pairs
                };
                let range = if self.format == PixelFormat::Nv12VideoRange {
                    YuvRange::Video
                } else {
                    YuvRange::Full
                };
                Ok(if self.format == PixelFormat::Nv21 {
                    Layout::Yuv {
                        y,
                        u: second,
                        v: pairs,
                        range,
                    }
                } else {
                    Layout::Yuv {
                        y,
                        u: pairs,
                        v: second,
                        range,
                    }
                })
            }
            PixelFormat::I420 => {
                let [y, u, v] = planes.as_slice() else {
                    return Err(count_error("3"));
                };
                let (y, u, v) = (Channel::of(y), Channel::of(u), Channel::of(v));
                y.check("Y", h, w, 1, 1)?;
                u.check("U", ch, cw, 1, 1)?;
                v.check("V", ch, cw, 1, 1)?;
                Ok(Layout::Yuv {
                    y,
                    u,
                    v,
                    range: YuvRange::Full,
                })
            }
        }
    }
}

/// Resamples `frame` (validated here again) seen through `rotation` to `target`.
pub(super) fn prepare(
    frame: &Frame<'_>,
    rotation: Rotation,
    roi: Option<Roi>,
    target: TargetSize,
) -> Result<PreparedImage> {
    let (width, height) = (frame.width as usize, frame.height as usize);
    let plan = Plan::new((width, height), Transform::from(rotation), roi, target)?;
    fn samples<'a>(c: &Channel<'a>, width: usize, height: usize) -> Samples<'a> {
        Samples {
            bytes: c.bytes,
            base: c.base,
            row_stride: c.row_stride,
            step: c.pixel_stride,
            width,
            height,
        }
    }
    match frame.layout()? {
        Layout::Packed { pixels, order } => {
            plan.resample_rgb(&samples(&pixels, width, height), order, 8, Precision::Fixed)
        }
        Layout::Yuv { y, u, v, range } => {
            let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
            // U and V bytes side by side in one buffer (NV12, NV21, YUV_420_888 with pixel
            // stride 2) are resampled in one pass.
            let interleaved = std::ptr::eq(u.bytes, v.bytes)
                && u.row_stride == v.row_stride
                && u.pixel_stride == v.pixel_stride
                && u.pixel_stride >= 2
                && u.base.abs_diff(v.base) == 1;
            let chroma = if interleaved {
                let first = u.base.min(v.base);
                Chroma::Interleaved {
                    pairs: samples(&Channel { base: first, ..u }, cw, ch),
                    u: u.base - first,
                    v: v.base - first,
                }
            } else {
                Chroma::Planar {
                    u: samples(&u, cw, ch),
                    v: samples(&v, cw, ch),
                }
            };
            yuv::resample(&plan, &samples(&y, width, height), &chroma, range)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::types::Fit;

    /// A uniform 4x4 two-plane NV12 frame of one colour, prepared at 2x2.
    fn uniform_nv12(format: PixelFormat, y: u8, u: u8, v: u8) -> [f32; 3] {
        let luma = [y; 16];
        let chroma = [u, v, u, v, u, v, u, v];
        let frame = Frame {
            width: 4,
            height: 4,
            format,
            planes: vec![
                Plane {
                    bytes: &luma,
                    row_stride: 4,
                    pixel_stride: 1,
                },
                Plane {
                    bytes: &chroma,
                    row_stride: 4,
                    pixel_stride: 2,
                },
            ],
            rotation: Rotation::R0,
        };
        let target = TargetSize {
            width: 2,
            height: 2,
            fit: Fit::Stretch,
            resampling: Default::default(),
        };
        let prepared = prepare(&frame, Rotation::R0, None, target).expect("valid frame");
        let first = [prepared.rgb[0], prepared.rgb[1], prepared.rgb[2]];
        for pixel in prepared.rgb.chunks(3) {
            assert_close([pixel[0], pixel[1], pixel[2]], first);
        }
        [prepared.rgb[0], prepared.rgb[1], prepared.rgb[2]]
    }

    fn assert_close(got: [f32; 3], want: [f32; 3]) {
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 0.01, "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn video_range_nv12_spans_black_to_white_and_keeps_colours() {
        // Hand-computed: video black and white are full black and white.
        assert_close(
            uniform_nv12(PixelFormat::Nv12VideoRange, 16, 128, 128),
            [0.0; 3],
        );
        assert_close(
            uniform_nv12(PixelFormat::Nv12VideoRange, 235, 128, 128),
            [255.0; 3],
        );
        // Y 126: (126 - 16) * 255 / 219 = 128.082...
        assert_close(
            uniform_nv12(PixelFormat::Nv12VideoRange, 126, 128, 128),
            [128.0822; 3],
        );
        // BT.601 video-range red (Y 81, U 90, V 240): Y' = 75.685, U' - 128 = -43.259,
        // V' - 128 = 127.5: R = 75.685 + 1.402 * 127.5, G and B below 0 (clamped).
        assert_close(
            uniform_nv12(PixelFormat::Nv12VideoRange, 81, 90, 240),
            [254.44, 0.0, 0.0],
        );
        // The same bytes read as full range are a different, paler colour.
        let full = uniform_nv12(PixelFormat::Nv12, 81, 90, 240);
        assert_close(
            full,
            [
                81.0 + 1.402 * 112.0,
                81.0 + 0.344_136 * 38.0 - 0.714_136 * 112.0,
                81.0 - 1.772 * 38.0,
            ],
        );
    }
}
