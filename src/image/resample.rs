//! Region of interest, fit and separable resampling to the model's size.
//!
//! Weight tables are built once per call and per upright axis, in the picture's upright
//! coordinates, then mapped onto the stored picture's axes (a transpose or mirroring from
//! EXIF orientation or rotation only renames and reverses indices). The stored picture is
//! then streamed row by row: each stored row that carries weight is loaded once, filtered
//! horizontally to the output width, and added into every output row that uses it. No
//! upright or full-resolution copy is made.

use super::orientation::Transform;
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

/// A picture in its stored orientation that can hand out rows of RGB.
pub(crate) trait Source {
    /// Stored width in pixels.
    fn width(&self) -> usize;
    /// Stored height in pixels.
    fn height(&self) -> usize;
    /// Writes stored row `y`, columns `x0..x1`, as interleaved R, G, B on the 0..=255
    /// scale into `out` (`out.len() == (x1 - x0) * 3`).
    fn load_row(&self, y: usize, x0: usize, x1: usize, out: &mut [f32]) -> Result<()>;
}

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

    /// Resamples the region from `source`, the stored picture at `numerator / 8` of its
    /// full size (as libjpeg scales: `ceil(size * numerator / 8)` pixels, pixel `k`
    /// covering full-size pixels `8k / numerator .. 8(k + 1) / numerator`).
    pub(crate) fn resample<S: Source + ?Sized>(
        &self,
        source: &S,
        numerator: u8,
    ) -> Result<PreparedImage> {
        let n = usize::from(numerator);
        let scaled = |len: usize| (len * n).div_ceil(8);
        if !matches!(numerator, 1 | 2 | 4 | 8)
            || (source.width(), source.height()) != (scaled(self.stored.0), scaled(self.stored.1))
        {
            return Err(Error::image(
                "decoded picture does not have the expected size",
            ));
        }
        let (tw, th) = (self.target.width as usize, self.target.height as usize);
        // The detail copy shrinks the region by a whole factor of its decoded size.
        let decoded = |len: usize| ((len * n + 4) / 8).max(1);
        let (dw, dh) = detail_size(decoded(self.region.width()), decoded(self.region.height()));
        let model = self.axes(tw, th, numerator, (source.width(), source.height()));
        let detail = self.axes(dw, dh, numerator, (source.width(), source.height()));
        let (mut stored_out, mut luma) = run(source, &model, &detail)?;
        // Weights sum to 1 only up to f32 rounding; keep the promised 0..=255 range exact.
        for v in stored_out.iter_mut().chain(luma.iter_mut()) {
            *v = v.clamp(0.0, 255.0);
        }
        let (rgb, luma) = if self.transform.swap {
            (
                transpose(&stored_out, th, tw, 3),
                transpose(&luma, dh, dw, 1),
            )
        } else {
            (stored_out, luma)
        };
        Ok(PreparedImage {
            width: self.target.width,
            height: self.target.height,
            rgb,
            source_size: (self.upright.0 as u32, self.upright.1 as u32),
            detail: Some(LumaImage {
                width: dw as u32,
                height: dh as u32,
                luma,
            }),
        })
    }

    /// Weight tables that map the region onto `tw x th` outputs, on the stored axes of a
    /// source of `scaled` pixels decoded at `numerator / 8` of full size.
    fn axes(&self, tw: usize, th: usize, numerator: u8, scaled: (usize, usize)) -> Axes {
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
            let taps = Taps::for_window(s0 as f64 * factor, (s1 - s0) as f64 * factor, n, m);
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

/// For every output index on one axis, a contiguous run of source indices and weights.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Taps {
    /// First source index of each output.
    start: Vec<usize>,
    /// `weights[bounds[i]..bounds[i + 1]]` belong to output `i`.
    bounds: Vec<usize>,
    weights: Vec<f32>,
}

impl Taps {
    fn with_capacity(outputs: usize, taps: usize) -> Self {
        let mut bounds = Vec::with_capacity(outputs + 1);
        bounds.push(0);
        Self {
            start: Vec::with_capacity(outputs),
            bounds,
            weights: Vec::with_capacity(taps),
        }
    }

    fn push(&mut self, start: usize, weights: impl IntoIterator<Item = f32>) {
        self.start.push(start);
        self.weights.extend(weights);
        self.bounds.push(self.weights.len());
    }

    fn len(&self) -> usize {
        self.start.len()
    }

    fn get(&self, i: usize) -> (usize, &[f32]) {
        (
            self.start[i],
            &self.weights[self.bounds[i]..self.bounds[i + 1]],
        )
    }

    /// Taps mapping the window `start .. start + len` (in pixels, possibly fractional) of
    /// an axis of `n` pixels onto `m` outputs. Only the pixels the window touches,
    /// `floor(start) .. ceil(start + len)`, are read.
    ///
    /// With `scale = len / m`: below 2, TensorFlow's `ResizeBilinear` with half-pixel
    /// centres; from 2 on, TensorFlow's `ScaleAndTranslate` with the triangle kernel and
    /// antialiasing (what `tf.image.resize(..., antialias=True)` runs). For a window of
    /// whole pixels the arithmetic is TensorFlow's on the cropped picture; a fractional
    /// start shifts every sample position by its fraction.
    pub(crate) fn for_window(start: f64, len: f64, n: usize, m: usize) -> Self {
        let first = start.floor();
        let frac = (start - first) as f32;
        let lo = (first.max(0.0) as usize).min(n.saturating_sub(1));
        let hi = ((start + len).ceil() as usize).clamp(lo + 1, n.max(lo + 1));
        let span = hi - lo;
        let len32 = len as f32;
        let mut taps = if len >= 2.0 * m as f64 {
            Self::antialiased(len32, frac, span, m)
        } else {
            Self::bilinear(len32, frac, span, m)
        };
        for s in &mut taps.start {
            *s += lo;
        }
        taps
    }

    /// `tf.image.resize(method="bilinear", antialias=False)` over `len` pixels: sample
    /// position `s = (i + 0.5) * scale - 0.5 (+ frac)` in `f32`, lower `max(floor(s), 0)`,
    /// upper `min(ceil(s), span - 1)`, weight of upper `s - floor(s)`.
    fn bilinear(len: f32, frac: f32, span: usize, m: usize) -> Self {
        let scale = len / m as f32;
        let last = span as i64 - 1;
        let mut taps = Self::with_capacity(m, 2 * m);
        for i in 0..m {
            let s = (i as f32 + 0.5) * scale - 0.5 + frac;
            let floor = s.floor();
            let lower = (floor as i64).clamp(0, last) as usize;
            let upper = (s.ceil() as i64).clamp(0, last) as usize;
            let lerp = s - floor;
            if upper == lower || lerp == 0.0 {
                taps.push(lower, [1.0]);
            } else {
                taps.push(lower, [1.0 - lerp, lerp]);
            }
        }
        taps
    }

    /// `tf.image.resize(method="bilinear", antialias=True)` when shrinking `len` pixels:
    /// the triangle kernel widened by the scale factor, centred on
    /// `(i + 0.5) * scale (+ frac)`, weight of pixel `j` =
    /// `max(0, 1 - |j + 0.5 - centre| / scale)`, normalised over the `span` pixels read.
    fn antialiased(len: f32, frac: f32, span: usize, m: usize) -> Self {
        // TensorFlow passes the output/input ratio and inverts it (in double, then float).
        let ratio = m as f32 / len;
        let inv_scale = (1.0f64 / f64::from(ratio)) as f32;
        let kernel_scale = inv_scale.max(1.0);
        let one_over_kernel_scale = 1.0 / kernel_scale;
        let last = span as i64 - 1;
        let mut taps = Self::with_capacity(m, m * (2 * kernel_scale.ceil() as usize + 1));
        let mut weights = Vec::new();
        for i in 0..m {
            let centre = (i as f32 + 0.5) * inv_scale + frac;
            let first = ((centre - kernel_scale - 0.5).ceil() as i64).clamp(0, last);
            let end = ((centre + kernel_scale - 0.5).floor() as i64).clamp(0, last) + 1;
            weights.clear();
            let mut total = 0.0f32;
            for j in first..end {
                let pos = (j as f32 + 0.5 - centre) * one_over_kernel_scale;
                let w = (1.0 - pos.abs()).max(0.0);
                total += w;
                weights.push(w);
            }
            if total >= 1000.0 * f32::MIN_POSITIVE {
                let norm = 1.0 / total;
                taps.push(first as usize, weights.iter().map(|w| w * norm));
            } else {
                // Cannot happen for in-range centres; fall back to the nearest pixel.
                taps.push((centre as i64).clamp(0, last) as usize, [1.0]);
            }
        }
        taps
    }

    /// The same taps with the outputs in reverse order.
    fn reversed(self) -> Self {
        let mut out = Self::with_capacity(self.len(), self.weights.len());
        for i in (0..self.len()).rev() {
            let (s, w) = self.get(i);
            out.push(s, w.iter().copied());
        }
        out
    }

    /// Smallest and one-past-largest source index used.
    fn span(&self) -> (usize, usize) {
        (0..self.len()).fold((usize::MAX, 0), |(lo, hi), i| {
            let (s, w) = self.get(i);
            (lo.min(s), hi.max(s + w.len()))
        })
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

/// `rows x cols` pixels of `channels` values in the stored orientation, transposed into
/// `cols` rows of `rows` pixels (upright, for a transform that swaps axes).
fn transpose(stored: &[f32], rows: usize, cols: usize, channels: usize) -> Vec<f32> {
    // stored holds `cols` rows of `rows` pixels: the upright picture is `rows x cols`.
    let mut upright = vec![0.0f32; rows * cols * channels];
    for (j, row) in stored.chunks_exact(rows * channels).enumerate() {
        for (k, px) in row.chunks_exact(channels).enumerate() {
            let at = (k * cols + j) * channels;
            upright[at..at + channels].copy_from_slice(px);
        }
    }
    upright
}

/// Weight tables of one output on the stored picture's axes.
struct Axes {
    rows: Taps,
    cols: Taps,
}

/// For every stored row, which output rows use it and with what weight.
struct RowUsers {
    /// First stored row that carries weight.
    first: usize,
    /// `users[counts[r - first]..counts[r - first + 1]]` use stored row `r`.
    counts: Vec<usize>,
    users: Vec<(usize, f32)>,
}

impl RowUsers {
    fn new(rows: &Taps) -> Self {
        let (r0, r1) = rows.span();
        let mut counts = vec![0usize; r1.saturating_sub(r0) + 1];
        for p in 0..rows.len() {
            let (s, w) = rows.get(p);
            for (k, &wt) in w.iter().enumerate() {
                if wt != 0.0 {
                    counts[s + k - r0 + 1] += 1;
                }
            }
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let mut fill = counts.clone();
        let mut users = vec![(0usize, 0.0f32); counts[counts.len() - 1]];
        for p in 0..rows.len() {
            let (s, w) = rows.get(p);
            for (k, &wt) in w.iter().enumerate() {
                if wt != 0.0 {
                    let slot = &mut fill[s + k - r0];
                    users[*slot] = (p, wt);
                    *slot += 1;
                }
            }
        }
        Self {
            first: r0,
            counts,
            users,
        }
    }

    fn of(&self, r: usize) -> &[(usize, f32)] {
        match r.checked_sub(self.first) {
            Some(i) if i + 1 < self.counts.len() => &self.users[self.counts[i]..self.counts[i + 1]],
            _ => &[],
        }
    }
}

/// Separable resampling of the stored picture, in one pass over its rows: `model` gives
/// `rows.len() x cols.len()` RGB values, `detail` the same number of luma values
/// (BT.601: `0.299 R + 0.587 G + 0.114 B`).
fn run<S: Source + ?Sized>(
    source: &S,
    model: &Axes,
    detail: &Axes,
) -> Result<(Vec<f32>, Vec<f32>)> {
    let (mc0, mc1) = model.cols.span();
    let (dc0, dc1) = detail.cols.span();
    let (mr0, mr1) = model.rows.span();
    let (dr0, dr1) = detail.rows.span();
    let (c0, c1) = (mc0.min(dc0), mc1.max(dc1));
    let (r0, r1) = (mr0.min(dr0), mr1.max(dr1));
    if c1 > source.width()
        || r1 > source.height()
        || mc0 >= mc1
        || dc0 >= dc1
        || mr0 >= mr1
        || dr0 >= dr1
    {
        return Err(Error::image("resampling window outside the picture"));
    }
    let model_users = RowUsers::new(&model.rows);
    let detail_users = RowUsers::new(&detail.rows);

    let (out_w, detail_w) = (model.cols.len(), detail.cols.len());
    let mut line = vec![0.0f32; (c1 - c0) * 3];
    let mut line_luma = vec![0.0f32; dc1 - dc0];
    let mut filtered = vec![0.0f32; out_w * 3];
    let mut filtered_luma = vec![0.0f32; detail_w];
    let mut out = vec![0.0f32; model.rows.len() * out_w * 3];
    let mut luma = vec![0.0f32; detail.rows.len() * detail_w];
    for r in r0..r1 {
        let (for_model, for_detail) = (model_users.of(r), detail_users.of(r));
        if for_model.is_empty() && for_detail.is_empty() {
            continue;
        }
        source.load_row(r, c0, c1, &mut line)?;
        if !for_model.is_empty() {
            for (q, px) in filtered.chunks_exact_mut(3).enumerate() {
                let (s, w) = model.cols.get(q);
                let from = (s - c0) * 3;
                let mut acc = [0.0f32; 3];
                for (src, &wt) in line[from..from + w.len() * 3].chunks_exact(3).zip(w) {
                    acc[0] += wt * src[0];
                    acc[1] += wt * src[1];
                    acc[2] += wt * src[2];
                }
                px.copy_from_slice(&acc);
            }
            for &(p, wt) in for_model {
                let dst = &mut out[p * out_w * 3..(p + 1) * out_w * 3];
                for (d, &v) in dst.iter_mut().zip(&filtered) {
                    *d += wt * v;
                }
            }
        }
        if !for_detail.is_empty() {
            let rgb = &line[(dc0 - c0) * 3..(dc1 - c0) * 3];
            for (y, px) in line_luma.iter_mut().zip(rgb.chunks_exact(3)) {
                *y = 0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2];
            }
            for (q, v) in filtered_luma.iter_mut().enumerate() {
                let (s, w) = detail.cols.get(q);
                let from = s - dc0;
                *v = line_luma[from..from + w.len()]
                    .iter()
                    .zip(w)
                    .map(|(a, b)| a * b)
                    .sum();
            }
            for &(p, wt) in for_detail {
                let dst = &mut luma[p * detail_w..(p + 1) * detail_w];
                for (d, &v) in dst.iter_mut().zip(&filtered_luma) {
                    *d += wt * v;
                }
            }
        }
    }
    Ok((out, luma))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(t: &Taps, i: usize) -> f32 {
        t.get(i).1.iter().sum()
    }

    /// Taps over the whole pixels `offset .. offset + n` of an axis that ends there.
    fn whole(offset: usize, n: usize, m: usize) -> Taps {
        Taps::for_window(offset as f64, n as f64, offset + n, m)
    }

    #[test]
    fn identity_size_is_one_tap_of_weight_one() {
        for t in [whole(0, 7, 7)] {
            for i in 0..7 {
                assert_eq!(t.get(i), (i, &[1.0f32][..]));
            }
        }
    }

    #[test]
    fn weights_sum_to_one_on_both_paths() {
        for (n, m) in [
            (300, 224),
            (260, 200),
            (1528, 224),
            (5, 2),
            (3, 11),
            (1, 4),
            (4, 1),
            (17, 8),
        ] {
            let t = whole(0, n, m);
            for i in 0..m {
                assert!((sum(&t, i) - 1.0).abs() < 1e-5, "{n}->{m} output {i}");
                let (s, w) = t.get(i);
                assert!(s + w.len() <= n);
            }
        }
    }

    #[test]
    fn halving_averages_two_neighbours_with_triangle_weights() {
        // scale 2: centre of output 0 is 1.0, pixels 0 and 1 at distance 0.5/2 → 0.75 each,
        // pixel 2 at 1.5/2 → 0.25; normalised over the in-range pixels 0..=2.
        let t = whole(0, 8, 4);
        let (s, w) = t.get(0);
        assert_eq!(s, 0);
        let expect = [0.75 / 1.75, 0.75 / 1.75, 0.25 / 1.75];
        for (a, b) in w.iter().zip(expect) {
            assert!((a - b).abs() < 1e-6);
        }
    }

    #[test]
    fn reversed_taps_list_the_same_outputs_backwards() {
        let t = whole(2, 10, 4);
        let r = t.clone().reversed();
        for i in 0..4 {
            assert_eq!(t.get(i), r.get(3 - i));
        }
    }

    #[test]
    fn a_fractional_window_shifts_the_kernel_and_reads_only_what_it_touches() {
        // Window 2.5 .. 10.5 of a 20-pixel axis onto 2 outputs (scale 4): centres at 4.5
        // and 8.5, so output 0 weighs pixel j by max(0, 1 - |j + 0.5 - 4.5| / 4), which is
        // non-zero for pixels 1..=7, but pixel 1 lies outside the window.
        let t = Taps::for_window(2.5, 8.0, 20, 2);
        let (s, w) = t.get(0);
        assert_eq!(s, 2);
        let raw = |j: usize| (1.0 - (j as f32 + 0.5 - 4.5).abs() / 4.0).max(0.0);
        let total: f32 = (2..=7).map(raw).sum();
        for (k, &got) in w.iter().enumerate() {
            assert!((got - raw(s + k) / total).abs() < 1e-6, "{w:?}");
        }
        assert!(s + w.len() >= 8);
        let (s1, w1) = t.get(1);
        assert!(s1 >= 2 && s1 + w1.len() <= 11, "{s1} {w1:?}");
        // Whole-pixel windows are TensorFlow's crop arithmetic, bit for bit.
        assert_eq!(Taps::for_window(3.0, 8.0, 20, 2), {
            let mut t = Taps::antialiased(8.0, 0.0, 8, 2);
            t.start.iter_mut().for_each(|s| *s += 3);
            t
        });
    }

    #[test]
    fn dct_scale_keeps_twice_the_target_on_both_axes_of_the_region() {
        let plan = |stored, roi, fit| {
            let target = TargetSize {
                width: 254,
                height: 254,
                fit,
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
