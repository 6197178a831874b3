//! Region of interest, fit and the plan of the resampling to the model's size.
//!
//! Weights are computed in the picture's upright coordinates and mapped onto the stored
//! picture's axes (a transpose or mirroring from EXIF orientation or rotation only
//! renames and reverses indices), so no upright or full-resolution copy is made; the
//! resampling itself reads the stored samples where they are ([`super::samples`]).

use super::orientation::Transform;
use super::samples::{Output, Precision, Samples};
use super::taps::Taps;
use super::types::{Fit, LumaImage, PreparedImage, Roi, TargetSize, DETAIL_SIDE};
use crate::error::{Error, Result};

/// Largest accepted target width or height.
pub(crate) const MAX_TARGET_SIDE: u32 = 8192;
/// Largest accepted number of target pixels (a 4096x4096 picture).
pub(crate) const MAX_TARGET_PIXELS: u64 = 4096 * 4096;

/// Edges of a region of interest that land within this many pixels of a whole pixel are
/// taken as that pixel, so that `f32` fractions such as `0.1 + 0.8` do not grow the region
/// by a sliver of one pixel.
const ROI_SNAP_PX: f64 = 0.01;

/// Half-open pixel rectangle in upright coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rect {
    pub(crate) x0: usize,
    pub(crate) y0: usize,
    pub(crate) x1: usize,
    pub(crate) y1: usize,
}

impl Rect {
    fn width(&self) -> usize {
        self.x1 - self.x0
    }
    fn height(&self) -> usize {
        self.y1 - self.y0
    }
}

/// What to resample: the region of the upright picture (after ROI and fit) in full-size
/// pixels, how the stored picture maps onto the upright one, and the target.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    transform: Transform,
    /// Stored width and height at full size.
    stored: (usize, usize),
    /// Upright width and height at full size.
    upright: (usize, usize),
    /// The region that is resampled, in upright full-size pixels.
    region: Rect,
    target: TargetSize,
}

impl Plan {
    /// Checks `target` and `roi` against a picture stored as `stored` (full size) and
    /// shown upright through `transform`, and fixes the region to resample.
    pub(crate) fn new(
        stored: (usize, usize),
        transform: Transform,
        roi: Option<Roi>,
        target: TargetSize,
    ) -> Result<Self> {
        check_target(target)?;
        if stored.0 == 0 || stored.1 == 0 {
            return Err(Error::image("the picture has no pixels"));
        }
        let upright = transform.upright_size(stored);
        let region = roi_rect(roi, upright.0, upright.1)?;
        let region = match target.fit {
            Fit::Stretch => region,
            Fit::CenterCrop => center_crop(region, target.width as usize, target.height as usize),
        };
        Ok(Self {
            transform,
            stored,
            upright,
            region,
            target,
        })
    }

    /// The smallest DCT scale, in eighths (1, 2 or 4; 8 is full size), at which the
    /// region still measures at least twice the target on both axes, and at least the
    /// detail copy's size.
    pub(crate) fn dct_numerator(&self) -> u8 {
        let (tw, th) = (self.target.width as usize, self.target.height as usize);
        let (rw, rh) = (self.region.width(), self.region.height());
        let (dw, dh) = detail_size(rw, rh);
        let (need_w, need_h) = ((2 * tw).max(dw), (2 * th).max(dh));
        [1u8, 2, 4]
            .into_iter()
            .find(|&n| rw * usize::from(n) >= 8 * need_w && rh * usize::from(n) >= 8 * need_h)
            .unwrap_or(8)
    }

    /// Weights that map the region onto the model's size (`model`) and onto the detail
    /// copy's size (`detail`), on the stored axes of a picture decoded at
    /// `numerator / 8` of its full size (as libjpeg scales: `ceil(size * numerator / 8)`
    /// pixels, pixel `k` covering full-size pixels `8k / numerator .. 8(k + 1) / numerator`),
    /// which must measure `scaled`.
    pub(crate) fn axes(&self, numerator: u8, scaled: (usize, usize)) -> Result<PlanAxes> {
        let n = usize::from(numerator);
        let expect = |len: usize| (len * n).div_ceil(8);
        if !matches!(numerator, 1 | 2 | 4 | 8)
            || scaled != (expect(self.stored.0), expect(self.stored.1))
        {
            return Err(Error::image(
                "decoded picture does not have the expected size",
            ));
        }
        let (tw, th) = (self.target.width as usize, self.target.height as usize);
        // The detail copy shrinks the region by a whole factor of its decoded size.
        let decoded = |len: usize| ((len * n + 4) / 8).max(1);
        let detail_size = detail_size(decoded(self.region.width()), decoded(self.region.height()));
        let (dw, dh) = detail_size;
        Ok(PlanAxes {
            model: self.axes_for(tw, th, numerator, scaled),
            detail: self.axes_for(dw, dh, numerator, scaled),
            detail_size,
        })
    }

    fn axes_for(&self, tw: usize, th: usize, numerator: u8, scaled: (usize, usize)) -> Axes {
        let (t, r) = (self.transform, self.region);
        // The region in stored full-size pixels, per stored axis: (start, end, outputs).
        let (along_cols, along_rows) = if t.swap {
            ((r.y0, r.y1, th), (r.x0, r.x1, tw))
        } else {
            ((r.x0, r.x1, tw), (r.y0, r.y1, th))
        };
        let factor = f64::from(numerator) / 8.0;
        let axis = |(a0, a1, m): (usize, usize, usize), len: usize, flip: bool, n: usize| {
            let (s0, s1) = if flip { (len - a1, len - a0) } else { (a0, a1) };
            let taps = Taps::for_window_with(
                s0 as f64 * factor,
                (s1 - s0) as f64 * factor,
                n,
                m,
                self.target.resampling,
            );
            // Upright output i reads stored output m - 1 - i on a mirrored axis.
            if flip {
                taps.reversed()
            } else {
                taps
            }
        };
        Axes {
            cols: axis(along_cols, self.stored.0, t.flip_x, scaled.0),
            rows: axis(along_rows, self.stored.1, t.flip_y, scaled.1),
        }
    }

    /// Resamples an RGB picture (the channels at byte offsets `rgb` of each pixel of
    /// `samples`, decoded at `numerator / 8` of full size) to the target and the detail copy.
    pub(crate) fn resample_rgb(
        &self,
        samples: &Samples<'_>,
        rgb: [usize; 3],
        numerator: u8,
        precision: Precision,
    ) -> Result<PreparedImage> {
        let axes = self.axes(numerator, (samples.width, samples.height))?;
        let (model, detail) = (&axes.model, &axes.detail);
        let swap = self.transform.swap;
        let channels = Output::Channels(&rgb);
        let model = samples.resample(&model.rows, &model.cols, channels, precision, swap)?;
        let luma = Output::Luma(rgb);
        let detail = samples.resample(&detail.rows, &detail.cols, luma, precision, swap)?;
        Ok(self.finish(&axes, model, detail))
    }

    /// Whether stored rows run along the upright picture's columns (the outputs of the
    /// resampling are then written transposed).
    pub(crate) fn swaps_axes(&self) -> bool {
        self.transform.swap
    }

    /// The prepared picture from the model-sized RGB and the detail luma, both upright
    /// already: clamped to 0..=255 (weights sum to 1 only up to `f32` rounding).
    pub(crate) fn finish(
        &self,
        axes: &PlanAxes,
        mut rgb: Vec<f32>,
        mut luma: Vec<f32>,
    ) -> PreparedImage {
        for v in &mut rgb {
            *v = v.clamp(0.0, 255.0);
        }
        for v in &mut luma {
            *v = v.clamp(0.0, 255.0);
        }
        let (dw, dh) = axes.detail_size;
        PreparedImage {
            width: self.target.width,
            height: self.target.height,
            rgb,
            source_size: (self.upright.0 as u32, self.upright.1 as u32),
            detail: Some(LumaImage {
                width: dw as u32,
                height: dh as u32,
                luma,
            }),
        }
    }
}

/// Weight tables of one output on the stored picture's axes.
pub(crate) struct Axes {
    /// Along the stored rows (one output row per entry).
    pub(crate) rows: Taps,
    /// Along the stored columns.
    pub(crate) cols: Taps,
}

/// The weights of both outputs of a plan.
pub(crate) struct PlanAxes {
    /// To the model's size.
    pub(crate) model: Axes,
    /// To the detail copy's size.
    pub(crate) detail: Axes,
    /// Upright width and height of the detail copy.
    pub(crate) detail_size: (usize, usize),
}

fn check_target(target: TargetSize) -> Result<()> {
    let (w, h) = (target.width, target.height);
    if w == 0 || h == 0 {
        return Err(Error::argument(format!("target size {w}x{h} is empty")));
    }
    if w > MAX_TARGET_SIDE || h > MAX_TARGET_SIDE || u64::from(w) * u64::from(h) > MAX_TARGET_PIXELS
    {
        return Err(Error::argument(format!(
            "target size {w}x{h} is too large (at most {MAX_TARGET_SIDE} a side and {MAX_TARGET_PIXELS} pixels)"
        )));
    }
    Ok(())
}

/// The ROI in whole upright pixels, rounded outwards: `x0 = floor(x * W)`,
/// `x1 = ceil((x + width) * W)` (likewise on y), with edges within [`ROI_SNAP_PX`] of a
/// whole pixel snapped to it, and at least one pixel on each axis.
pub(crate) fn roi_rect(roi: Option<Roi>, w: usize, h: usize) -> Result<Rect> {
    let Some(roi) = roi else {
        return Ok(Rect {
            x0: 0,
            y0: 0,
            x1: w,
            y1: h,
        });
    };
    let (x0, x1) = roi_axis(roi.x, roi.width, w, "x")?;
    let (y0, y1) = roi_axis(roi.y, roi.height, h, "y")?;
    Ok(Rect { x0, y0, x1, y1 })
}

fn roi_axis(start: f32, len: f32, n: usize, axis: &str) -> Result<(usize, usize)> {
    // Fractions may exceed 1 by f32 rounding of `start + len`, not by more.
    const SLACK: f64 = 1e-5;
    let (s, l) = (f64::from(start), f64::from(len));
    if !s.is_finite() || !l.is_finite() {
        return Err(Error::argument(format!(
            "ROI {axis} edge is not a finite number"
        )));
    }
    if l <= 0.0 {
        return Err(Error::argument(format!("ROI is empty along {axis}")));
    }
    if !(0.0..1.0).contains(&s) || s + l > 1.0 + SLACK {
        return Err(Error::argument(format!(
            "ROI leaves the picture along {axis} (must lie in 0..=1)"
        )));
    }
    let nf = n as f64;
    let snap = |v: f64| {
        if (v - v.round()).abs() <= ROI_SNAP_PX {
            v.round()
        } else {
            v
        }
    };
    let lo = snap(s * nf).floor().clamp(0.0, nf - 1.0) as usize;
    let hi = (snap((s + l) * nf).ceil().min(nf) as usize).max(lo + 1);
    Ok((lo, hi))
}

/// The largest centred sub-rectangle of `region` with the target's aspect ratio, in whole
/// pixels: `cw = min(W, round(H * tw / th))`, `ch = min(H, round(W * th / tw))` (rounding
/// halves up, at least 1), placed at `((W - cw) / 2, (H - ch) / 2)` rounded down, where
/// `W x H` is the region's size.
pub(crate) fn center_crop(region: Rect, tw: usize, th: usize) -> Rect {
    let (w, h) = (region.width() as u64, region.height() as u64);
    let (tw, th) = (tw as u64, th as u64);
    let round_div = |a: u64, b: u64| (2 * a + b) / (2 * b);
    let cw = w.min(round_div(h * tw, th)).max(1);
    let ch = h.min(round_div(w * th, tw)).max(1);
    let x0 = region.x0 + ((w - cw) / 2) as usize;
    let y0 = region.y0 + ((h - ch) / 2) as usize;
    Rect {
        x0,
        y0,
        x1: x0 + cw as usize,
        y1: y0 + ch as usize,
    }
}

/// Size of the luma detail copy of a `w x h` region: the region shrunk by the whole
/// factor `k = ceil(max(w, h) / DETAIL_SIDE)` (each side rounded, at least 1), so at most
/// [`DETAIL_SIDE`] a side and never enlarged. A whole factor keeps the resampling filter
/// the same at every size: identity for `k = 1`, the antialiasing triangle for `k >= 2`.
/// A factor between 1 and 2 would interpolate between neighbours and soften fine detail
/// by an amount that depends on the size, which the focus measure would read as blur.
/// For a JPEG decoded at a reduced DCT scale, `w x h` is the region in decoded pixels.
pub(crate) fn detail_size(w: usize, h: usize) -> (usize, usize) {
    let side = DETAIL_SIDE as usize;
    let k = w.max(h).div_ceil(side).max(1);
    let shrink = |n: usize| ((2 * n + k) / (2 * k)).max(1);
    (shrink(w), shrink(h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dct_scale_keeps_twice_the_target_on_both_axes_of_the_region() {
        let plan = |stored, roi, fit| {
            let target = TargetSize {
                width: 254,
                height: 254,
                fit,
                resampling: Default::default(),
            };
            Plan::new(stored, Transform::default(), roi, target)
                .unwrap()
                .dct_numerator()
        };
        // 12 MP, centre crop 3024 x 3024: 1/4 leaves 756 >= 508, 1/8 only 378.
        assert_eq!(plan((4032, 3024), None, Fit::CenterCrop), 2);
        // The phone photo (1360 high): 1/2 leaves 680.
        assert_eq!(plan((1528, 1360), None, Fit::CenterCrop), 4);
        // A 254-pixel picture is decoded in full.
        assert_eq!(plan((254, 254), None, Fit::Stretch), 8);
        // A small region of a large photo needs more of its pixels: 20 % of 3024 = 605.
        let roi = Some(Roi {
            x: 0.4,
            y: 0.4,
            width: 0.2,
            height: 0.2,
        });
        assert_eq!(plan((4032, 3024), roi, Fit::Stretch), 8);
        let roi = Some(Roi {
            x: 0.0,
            y: 0.0,
            width: 0.5,
            height: 0.5,
        });
        assert_eq!(plan((4032, 3024), roi, Fit::Stretch), 4);
        // 8064 x 6048 (48 MP): 1/8 leaves 1008 x 756.
        assert_eq!(plan((8064, 6048), None, Fit::Stretch), 1);
        // A small model: 2x its 64 pixels would allow 1/8 of 3024, but the detail copy
        // for the quality checks needs DETAIL_SIDE (448) pixels on the longer side.
        let small = TargetSize {
            width: 64,
            height: 64,
            fit: Fit::CenterCrop,
            resampling: Default::default(),
        };
        let n = Plan::new((4032, 3024), Transform::default(), None, small).unwrap();
        assert_eq!(n.dct_numerator(), 2);
    }

    #[test]
    fn roi_rounds_outwards_and_rejects_bad_values() {
        let roi = |x, y, width, height| {
            Some(Roi {
                x,
                y,
                width,
                height,
            })
        };
        assert_eq!(
            roi_rect(roi(0.25, 0.5, 0.5, 0.5), 100, 10).unwrap(),
            Rect {
                x0: 25,
                y0: 5,
                x1: 75,
                y1: 10
            }
        );
        assert_eq!(
            roi_rect(roi(0.101, 0.0, 0.5, 1.0), 100, 10).unwrap(),
            Rect {
                x0: 10,
                y0: 0,
                x1: 61,
                y1: 10
            }
        );
        assert_eq!(roi_rect(roi(0.1, 0.0, 0.8, 1.0), 100, 10).unwrap().x1, 90);
        assert_eq!(
            roi_rect(roi(0.5, 0.5, 1e-9, 1e-9), 100, 10).unwrap(),
            Rect {
                x0: 50,
                y0: 5,
                x1: 51,
                y1: 6
            }
        );
        for bad in [
            roi(f32::NAN, 0.0, 0.5, 0.5),
            roi(0.0, 0.0, f32::INFINITY, 0.5),
            roi(-0.1, 0.0, 0.5, 0.5),
            roi(0.6, 0.0, 0.5, 0.5),
            roi(0.0, 0.0, 0.0, 0.5),
            roi(0.0, 0.0, 0.5, -0.5),
            roi(1.0, 0.0, 0.1, 0.5),
        ] {
            assert!(
                matches!(roi_rect(bad, 100, 10), Err(Error::InvalidArgument { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn center_crop_takes_the_largest_centred_rectangle() {
        let full = |w, h| Rect {
            x0: 0,
            y0: 0,
            x1: w,
            y1: h,
        };
        assert_eq!(
            center_crop(full(1528, 1360), 224, 224),
            Rect {
                x0: 84,
                y0: 0,
                x1: 1444,
                y1: 1360
            }
        );
        assert_eq!(
            center_crop(full(100, 301), 1, 1),
            Rect {
                x0: 0,
                y0: 100,
                x1: 100,
                y1: 200
            }
        );
        // 4:3 target on a 10x10 region: height round(10 * 3 / 4) = round(7.5) = 8, offset 1.
        assert_eq!(
            center_crop(full(10, 10), 4, 3),
            Rect {
                x0: 0,
                y0: 1,
                x1: 10,
                y1: 9
            }
        );
        // Never empty.
        assert_eq!(
            center_crop(full(1, 1), 1000, 1),
            Rect {
                x0: 0,
                y0: 0,
                x1: 1,
                y1: 1
            }
        );
    }
}
