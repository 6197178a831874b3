//! 4:2:0 YUV camera frames (BT.601 full range) straight to RGB at the model's size.
//!
//! The result is defined pixel by pixel: each pixel takes its nearest chroma sample,
//! becomes `R = Y + 1.402 (V - 128)`, `G = Y - 0.344136 (U - 128) - 0.714136 (V - 128)`,
//! `B = Y + 1.772 (U - 128)` clamped to 0..=255, and is then resampled. The conversion is
//! linear, so the planes are resampled apart instead (chroma with the luma weights of
//! each sample's pixels added up) and converted once per output pixel, which reads every
//! sample once and converts 65 thousand pixels instead of 2 million. Clamping is not
//! linear: the pixels that clamp are found by a cheap screen over blocks of samples, and
//! what clamping changes in them is added to the outputs they weigh in. The detail copy is
//! the resampled Y plane (BT.601 luma of the converted pixel is Y, unless it clamped).

use wide::u8x16;

use super::resample::{Axes, Plan, PlanAxes};
use super::samples::{Output, Precision, Samples};

/// Frames are resampled in fixed point: within 0.1 of a grey level, several times faster.
const FIXED: Precision = Precision::Fixed;
use super::taps::Users;
use super::types::PreparedImage;
use crate::error::Result;

/// Where the chroma samples lie.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Chroma<'a> {
    /// U and V interleaved: each pair of `pairs` holds U at byte `u` and V at byte `v`.
    Interleaved {
        pairs: Samples<'a>,
        u: usize,
        v: usize,
    },
    /// U and V in samples of their own.
    Planar { u: Samples<'a>, v: Samples<'a> },
}

/// The value range of YUV samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum YuvRange {
    /// 0..=255 for luma and chroma (JFIF).
    Full,
    /// BT.601 video range: luma 16..=235, chroma 16..=240, expanded to full range before
    /// the conversion: `Y' = (Y - 16) * 255 / 219`, `U' - 128 = (U - 128) * 255 / 224`.
    Video,
}

impl YuvRange {
    /// Luma (or a weighted average of luma samples) on the full 0..=255 scale.
    #[inline]
    fn luma(self, y: f32) -> f32 {
        match self {
            YuvRange::Full => y,
            YuvRange::Video => (y - 16.0) * (255.0 / 219.0),
        }
    }

    /// The chroma part of the conversion: what to add to full-range luma for R, G and B.
    #[inline]
    fn chroma_terms(self, u: f32, v: f32) -> [f32; 3] {
        let (mut u, mut v) = (u - 128.0, v - 128.0);
        if self == YuvRange::Video {
            u *= 255.0 / 224.0;
            v *= 255.0 / 224.0;
        }
        [1.402 * v, -0.344_136 * u - 0.714_136 * v, 1.772 * u]
    }
}

/// Resamples the frame whose luma is `y` (full size) and chroma `chroma` (half size,
/// rounded up), with samples in `range`, as `plan` says.
pub(crate) fn resample(
    plan: &Plan,
    y: &Samples<'_>,
    chroma: &Chroma<'_>,
    range: YuvRange,
) -> Result<PreparedImage> {
    let axes = plan.axes(8, (y.width, y.height))?;
    let (model, detail_axes) = (&axes.model, &axes.detail);
    let swap = plan.swaps_axes();
    let luma = y.resample(
        &model.rows,
        &model.cols,
        Output::Channels(&[0]),
        FIXED,
        swap,
    )?;
    let mut detail = y.resample(
        &detail_axes.rows,
        &detail_axes.cols,
        Output::Channels(&[0]),
        FIXED,
        swap,
    )?;
    let (chroma_rows, chroma_cols) = (model.rows.halved(), model.cols.halved());
    let resample_chroma = |s: &Samples<'_>, channels: &[usize]| {
        s.resample(
            &chroma_rows,
            &chroma_cols,
            Output::Channels(channels),
            FIXED,
            swap,
        )
    };
    // U and V of every output pixel, side by side.
    let uv = match *chroma {
        Chroma::Interleaved { pairs, u, v } => resample_chroma(&pairs, &[u, v])?,
        Chroma::Planar { u, v } => {
            let (us, vs) = (resample_chroma(&u, &[0])?, resample_chroma(&v, &[0])?);
            us.iter().zip(&vs).flat_map(|(&u, &v)| [u, v]).collect()
        }
    };
    let mut rgb = vec![0.0f32; luma.len() * 3];
    for ((px, &l), uv) in rgb.chunks_exact_mut(3).zip(&luma).zip(uv.chunks_exact(2)) {
        let l = range.luma(l);
        let t = range.chroma_terms(uv[0], uv[1]);
        px[0] = l + t[0];
        px[1] = l + t[1];
        px[2] = l + t[2];
    }
    if range != YuvRange::Full {
        for d in &mut detail {
            *d = range.luma(*d);
        }
    }
    add_clamping(y, chroma, range, &axes, swap, &mut rgb, &mut detail);
    Ok(plan.finish(&axes, rgb, detail))
}

/// A chroma sample's U and V.
fn chroma_at(chroma: &Chroma<'_>, cx: usize, cy: usize) -> Option<(u8, u8)> {
    let at = |s: &Samples<'_>, offset: usize| {
        let i = s.base + cy * s.row_stride + cx * s.step + offset;
        s.bytes.get(i).copied()
    };
    match chroma {
        Chroma::Interleaved { pairs, u, v } => Some((at(pairs, *u)?, at(pairs, *v)?)),
        Chroma::Planar { u, v } => Some((at(u, 0)?, at(v, 0)?)),
    }
}

fn luma_at(y: &Samples<'_>, x: usize, row: usize) -> Option<u8> {
    y.bytes
        .get(y.base + row * y.row_stride + x * y.step)
        .copied()
}

/// Chroma samples screened together: 32 across, one row (two luma rows) high.
const BLOCK: usize = 32;

/// Adds, for every pixel whose converted value leaves 0..=255, the difference clamping
/// makes (weighted as that pixel weighs in each output) to the model-sized RGB and to
/// the detail luma.
///
/// Blocks of pixels that the screen passes are converted, and where some clamp, their
/// differences are weighted separably: along the columns into one partial sum per
/// output column the block touches, then along the rows into the outputs.
fn add_clamping(
    y: &Samples<'_>,
    chroma: &Chroma<'_>,
    range: YuvRange,
    axes: &PlanAxes,
    transposed: bool,
    rgb: &mut [f32],
    detail: &mut [f32],
) {
    let (model, detail_axes) = (&axes.model, &axes.detail);
    let (mr0, mr1) = model.rows.span();
    let (mc0, mc1) = model.cols.span();
    let (dr0, dr1) = detail_axes.rows.span();
    let (dc0, dc1) = detail_axes.cols.span();
    let (r0, r1) = (mr0.min(dr0), mr1.max(dr1));
    let (c0, c1) = (mc0.min(dc0), mc1.max(dc1));
    // Built when the first block clamps.
    let mut weights: Option<[Spread; 2]> = None;
    let mut excess = [[[0.0f32; 3]; 2 * BLOCK]; 2];
    let mut partial = Vec::new();
    for cy in r0 / 2..r1.div_ceil(2) {
        let rows = (2 * cy).max(r0)..(2 * cy + 2).min(r1);
        let mut cx0 = c0 / 2;
        while cx0 < c1.div_ceil(2) {
            let cx1 = (cx0 + BLOCK).min(c1.div_ceil(2));
            let cols = (2 * cx0).max(c0)..(2 * cx1).min(c1);
            let cxs = cx0..cx1;
            cx0 = cx1;
            if !block_may_clamp(y, chroma, range, cy, cxs, rows.clone(), cols.clone()) {
                continue;
            }
            let mut any = false;
            for (row, out) in rows.clone().zip(&mut excess) {
                any |= block_excess(y, chroma, range, row, cols.clone(), out);
            }
            if !any {
                continue;
            }
            let [to_model, to_detail] = weights.get_or_insert_with(|| {
                [
                    Spread::new(model, transposed),
                    Spread::new(detail_axes, transposed),
                ]
            });
            for (row, ex) in rows.clone().zip(&excess) {
                let ex = &ex[..cols.len()];
                to_model.add::<3>(row, cols.start, ex, &|e| e, &mut partial, rgb);
                let luma = |e: [f32; 3]| [0.299 * e[0] + 0.587 * e[1] + 0.114 * e[2]];
                to_detail.add::<1>(row, cols.start, ex, &luma, &mut partial, detail);
            }
        }
    }
}

/// What clamping changes in the pixels `cols` of luma row `row`: `out[i]` for column
/// `cols.start + i` (zero where the pixel stays in range). Whether any pixel changes.
fn block_excess(
    y: &Samples<'_>,
    chroma: &Chroma<'_>,
    range: YuvRange,
    row: usize,
    cols: std::ops::Range<usize>,
    out: &mut [[f32; 3]; 2 * BLOCK],
) -> bool {
    let mut any = false;
    for (x, e) in cols.zip(out.iter_mut()) {
        *e = [0.0; 3];
        if let (Some(l), Some((u, v))) = (luma_at(y, x, row), chroma_at(chroma, x / 2, row / 2)) {
            let l = range.luma(f32::from(l));
            let t = range.chroma_terms(f32::from(u), f32::from(v));
            for (e, t) in e.iter_mut().zip(t) {
                *e = (l + t).clamp(0.0, 255.0) - (l + t);
            }
            any |= *e != [0.0; 3];
        }
    }
    any
}

/// The weights of one output (model or detail) seen from the source: which outputs each
/// source row and column weighs in, and where output `(p, q)` lies.
struct Spread {
    rows: Users,
    cols: Users,
    /// Outputs along the stored rows and columns.
    size: (usize, usize),
    transposed: bool,
}

impl Spread {
    fn new(axes: &Axes, transposed: bool) -> Self {
        Self {
            rows: Users::new(&axes.rows),
            cols: Users::new(&axes.cols),
            size: (axes.rows.len(), axes.cols.len()),
            transposed,
        }
    }

    /// Adds `value(excess[i])` of the pixels at columns `first + i` of source row `row`,
    /// weighted, to `out` (`N` values an output pixel). `partial` is scratch room.
    fn add<const N: usize>(
        &self,
        row: usize,
        first: usize,
        excess: &[[f32; 3]],
        value: &dyn Fn([f32; 3]) -> [f32; N],
        partial: &mut Vec<f32>,
        out: &mut [f32],
    ) {
        let users = |i: usize| self.cols.of(first + i);
        // Output columns the pixels weigh in (each pixel's users in increasing order).
        let lo = (0..excess.len())
            .filter_map(|i| users(i).first())
            .map(|u| u.0)
            .min();
        let hi = (0..excess.len())
            .filter_map(|i| users(i).last())
            .map(|u| u.0)
            .max();
        let (Some(lo), Some(hi)) = (lo, hi) else {
            return;
        };
        let span = hi + 1 - lo;
        partial.clear();
        partial.resize(span * N, 0.0);
        for (i, &e) in excess.iter().enumerate() {
            if e == [0.0; 3] {
                continue;
            }
            let v = value(e);
            for &(q, wc) in users(i) {
                let at = (q - lo) * N;
                for (s, v) in partial[at..at + N].iter_mut().zip(v) {
                    *s += wc * v;
                }
            }
        }
        let (out_rows, out_cols) = self.size;
        for &(p, wr) in self.rows.of(row) {
            for (k, sums) in partial.chunks_exact(N).enumerate() {
                let q = lo + k;
                let pixel = if self.transposed {
                    q * out_rows + p
                } else {
                    p * out_cols + q
                };
                if let Some(o) = out.get_mut(pixel * N..pixel * N + N) {
                    for (o, s) in o.iter_mut().zip(sums) {
                        *o += wr * s;
                    }
                }
            }
        }
    }
}

/// Whether any pixel of the block could leave 0..=255 once converted: the extreme luma of
/// its pixels plus the extreme chroma terms of its samples (with a margin for rounding).
/// Interleaved U and V share one range (a looser bound, read in one sweep).
fn block_may_clamp(
    y: &Samples<'_>,
    chroma: &Chroma<'_>,
    range: YuvRange,
    cy: usize,
    cxs: std::ops::Range<usize>,
    rows: std::ops::Range<usize>,
    cols: std::ops::Range<usize>,
) -> bool {
    // min and max of a run of samples; None when it lies outside (then: check every pixel).
    let extremes = |s: &Samples<'_>, row: usize, from: usize, to: usize, offset: usize| {
        let start = s.base + row * s.row_stride + from * s.step + offset;
        let end = s.base + row * s.row_stride + (to - 1) * s.step + offset + 1;
        let bytes = s.bytes.get(start..end)?;
        Some(if s.step == 1 {
            byte_range(bytes)
        } else {
            let picked = || bytes.iter().step_by(s.step).copied();
            (picked().fold(255, u8::min), picked().fold(0, u8::max))
        })
    };
    let ranges = match chroma {
        Chroma::Interleaved { pairs, u, v } => {
            // Both bytes of every pair in one sweep (when pairs are packed, as in
            // NV12/NV21): U and V then share one range, a looser but valid bound.
            let first = (*u).min(*v);
            if pairs.step == 2 {
                let joint = Samples { step: 1, ..*pairs };
                let from = cxs.start * 2 + first;
                let to = (cxs.end - 1) * 2 + first + 2;
                extremes(&joint, cy, from, to, 0).map(|r| (r, r))
            } else {
                extremes(pairs, cy, cxs.start, cxs.end, *u)
                    .zip(extremes(pairs, cy, cxs.start, cxs.end, *v))
            }
        }
        Chroma::Planar { u, v } => {
            extremes(u, cy, cxs.start, cxs.end, 0).zip(extremes(v, cy, cxs.start, cxs.end, 0))
        }
    };
    let Some(((umin, umax), (vmin, vmax))) = ranges else {
        return true;
    };
    let (mut lmin, mut lmax) = (255u8, 0u8);
    for row in rows {
        let Some((lo, hi)) = extremes(y, row, cols.start, cols.end, 0) else {
            return true;
        };
        (lmin, lmax) = (lmin.min(lo), lmax.max(hi));
    }
    // Each term grows with one of U and V and falls with the other (or ignores it), so
    // its extremes lie at the corners of the ranges.
    let (high, low) = (
        range.chroma_terms(f32::from(umax), f32::from(vmax)),
        range.chroma_terms(f32::from(umin), f32::from(vmin)),
    );
    let (g_high, g_low) = (
        range.chroma_terms(f32::from(umin), f32::from(vmin))[1],
        range.chroma_terms(f32::from(umax), f32::from(vmax))[1],
    );
    let highest = high[0].max(g_high).max(high[2]);
    let lowest = low[0].min(g_low).min(low[2]);
    let (lmin, lmax) = (range.luma(f32::from(lmin)), range.luma(f32::from(lmax)));
    const MARGIN: f32 = 0.01;
    lmax + highest > 255.0 - MARGIN || lmin + lowest < MARGIN
}

/// The smallest and largest byte, sixteen at a time.
fn byte_range(bytes: &[u8]) -> (u8, u8) {
    let (mut lo, mut hi) = (u8x16::splat(255), u8x16::splat(0));
    let mut chunks = bytes.chunks_exact(16);
    for chunk in &mut chunks {
        let mut lanes = [0u8; 16];
        lanes.copy_from_slice(chunk);
        let v = u8x16::new(lanes);
        (lo, hi) = (lo.min(v), hi.max(v));
    }
    let (lo, hi) = (lo.to_array(), hi.to_array());
    let lo = lo
        .iter()
        .chain(chunks.remainder())
        .copied()
        .fold(255, u8::min);
    let hi = hi
        .iter()
        .chain(chunks.remainder())
        .copied()
        .fold(0, u8::max);
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::orientation::Transform;
    use crate::image::types::{Fit, Roi, TargetSize};

    /// The definition: every pixel converted and clamped, then weighted by the plan's
    /// weights (in stored orientation), in f64: the model-sized RGB and the detail luma.
    fn by_definition(
        plan: &Plan,
        y: &Samples<'_>,
        chroma: &Chroma<'_>,
        range: YuvRange,
    ) -> (Vec<f32>, Vec<f32>) {
        let axes = plan.axes(8, (y.width, y.height)).unwrap();
        let pixel = |x: usize, row: usize| {
            let l = range.luma(f32::from(luma_at(y, x, row).unwrap()));
            let (u, v) = chroma_at(chroma, x / 2, row / 2).unwrap();
            let t = range.chroma_terms(f32::from(u), f32::from(v));
            t.map(|t| f64::from((l + t).clamp(0.0, 255.0)))
        };
        let weigh = |axes: &Axes, value: &dyn Fn([f64; 3]) -> Vec<f64>| {
            let (rows, cols) = (&axes.rows, &axes.cols);
            let mut out = Vec::new();
            for p in 0..rows.len() {
                let (rs, rw) = rows.get(p);
                for q in 0..cols.len() {
                    let (cs, cw) = cols.get(q);
                    let mut acc = Vec::new();
                    for (i, &wr) in rw.iter().enumerate() {
                        for (j, &wc) in cw.iter().enumerate() {
                            let v = value(pixel(cs + j, rs + i));
                            acc.resize(v.len(), 0.0);
                            for (a, v) in acc.iter_mut().zip(v) {
                                *a += f64::from(wr) * f64::from(wc) * v;
                            }
                        }
                    }
                    out.extend(acc.iter().map(|&a| a as f32));
                }
            }
            out
        };
        let rgb = weigh(&axes.model, &|px| px.to_vec());
        let luma = weigh(&axes.detail, &|px| {
            vec![0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2]]
        });
        (rgb, luma)
    }

    /// `values`-valued outputs written transposed (`rows x cols` upright) back in the
    /// stored orientation (`cols x rows`).
    fn untranspose(upright: &[f32], rows: usize, cols: usize, values: usize) -> Vec<f32> {
        let mut stored = vec![0.0f32; upright.len()];
        for r in 0..rows {
            for c in 0..cols {
                let at = (c * rows + r) * values;
                stored[at..at + values]
                    .copy_from_slice(&upright[(r * cols + c) * values..][..values]);
            }
        }
        stored
    }

    /// An NV21-like frame with saturated colours: strong chroma next to bright and dark
    /// luma, so that many pixels clamp.
    fn saturated(w: usize, h: usize) -> (Vec<u8>, Vec<u8>) {
        let y: Vec<u8> = (0..w * h)
            .map(|i| [5u8, 250, 128, 30, 220][(i % w * 3 + i / w) % 5])
            .collect();
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let vu: Vec<u8> = (0..cw * ch * 2)
            .map(|i| [0u8, 255, 20, 240, 128, 90][(i * 7 + i / (2 * cw)) % 6])
            .collect();
        (y, vu)
    }

    #[test]
    fn planes_resampled_apart_match_converting_every_pixel_first_even_where_it_clamps() {
        let (w, h) = (37usize, 29usize);
        let (luma, vu) = saturated(w, h);
        let y = Samples {
            bytes: &luma,
            base: 0,
            row_stride: w,
            step: 1,
            width: w,
            height: h,
        };
        let pairs = Samples {
            bytes: &vu,
            base: 0,
            row_stride: 2 * w.div_ceil(2),
            step: 2,
            width: w.div_ceil(2),
            height: h.div_ceil(2),
        };
        let chroma = Chroma::Interleaved { pairs, u: 1, v: 0 };
        let roi = Some(Roi {
            x: 0.13,
            y: 0.2,
            width: 0.7,
            height: 0.75,
        });
        let ranges = [YuvRange::Full, YuvRange::Video];
        for (tw, th) in [(9, 7), (20, 16), (37, 29), (50, 40)] {
            for transform in [Transform::default(), Transform::from(crate::Rotation::R90)] {
                for (roi, range) in [None, roi].into_iter().flat_map(|r| ranges.map(|g| (r, g))) {
                    let target = TargetSize {
                        width: tw,
                        height: th,
                        fit: Fit::Stretch,
                        resampling: Default::default(),
                    };
                    let plan = Plan::new((w, h), transform, roi, target).unwrap();
                    let (want, want_detail) = by_definition(&plan, &y, &chroma, range);
                    let got = resample(&plan, &y, &chroma, range).unwrap();
                    let detail = got.detail.unwrap();
                    // Compare in the stored orientation, where the weights were defined.
                    let (stored, stored_detail) = if transform.swap {
                        let (dw, dh) = (detail.width as usize, detail.height as usize);
                        (
                            untranspose(&got.rgb, th as usize, tw as usize, 3),
                            untranspose(&detail.luma, dh, dw, 1),
                        )
                    } else {
                        (got.rgb.clone(), detail.luma.clone())
                    };
                    assert_eq!(stored.len(), want.len());
                    assert_eq!(stored_detail.len(), want_detail.len());
                    // Fixed-point resampling is within 0.1 of the exact sums; clamping,
                    // where it is missed or misplaced, moves outputs by whole grey levels.
                    for (g, d) in stored
                        .iter()
                        .zip(&want)
                        .chain(stored_detail.iter().zip(&want_detail))
                    {
                        assert!(
                            (g - d.clamp(0.0, 255.0)).abs() < 0.1,
                            "{range:?}: {g} vs {d}"
                        );
                    }
                }
            }
        }
        // The frame must exercise clamping: a good share of its pixels leave 0..=255.
        let clamping = (0..h)
            .flat_map(|row| (0..w).map(move |x| (x, row)))
            .filter(|&(x, row)| {
                let l = f32::from(luma[row * w + x]);
                let (u, v) = chroma_at(&chroma, x / 2, row / 2).unwrap();
                let t = YuvRange::Full.chroma_terms(f32::from(u), f32::from(v));
                t.iter().any(|t| !(0.0..=255.0).contains(&(l + t)))
            })
            .count();
        assert!(clamping > w * h / 5, "{clamping} of {} pixels clamp", w * h);
    }
}
