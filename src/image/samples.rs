//! Separable resampling of 8-bit samples where decoders and cameras leave them, without
//! converting the picture first.
//!
//! The vertical pass comes first: for each output row, the stored rows it uses are
//! weighted into one row of sums over the columns that carry weight (contiguous memory,
//! which the compiler turns into SIMD code), and that row is then filtered horizontally
//! to the output width. Only rows and columns that carry weight are read, and each
//! output row needs one row of sums, so memory stays at a few kilobytes plus the output.

use wide::{f32x4, i16x8, i32x4, u8x16};

use super::taps::Taps;
use crate::error::{Error, Result};

/// 8-bit samples in rows: channel byte `c` of pixel `(x, y)` is at
/// `base + y * row_stride + x * step + c`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Samples<'a> {
    pub(crate) bytes: &'a [u8],
    /// Offset of pixel (0, 0).
    pub(crate) base: usize,
    /// Bytes from one row to the next.
    pub(crate) row_stride: usize,
    /// Bytes from one pixel to the next within a row.
    pub(crate) step: usize,
    /// Size in pixels.
    pub(crate) width: usize,
    pub(crate) height: usize,
}

/// What each output pixel holds.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Output<'c> {
    /// The channels at these byte offsets within a pixel, in this order.
    Channels(&'c [usize]),
    /// One value: BT.601 luma `0.299 R + 0.587 G + 0.114 B` of the channels at these byte
    /// offsets (R, G, B).
    Luma([usize; 3]),
}

impl Output<'_> {
    fn count(&self) -> usize {
        match self {
            Output::Channels(c) => c.len(),
            Output::Luma(_) => 1,
        }
    }

    fn last_offset(&self) -> usize {
        match self {
            Output::Channels(c) => c.iter().copied().max().unwrap_or(0),
            Output::Luma(c) => c.iter().copied().max().unwrap_or(0),
        }
    }
}

/// How the vertical pass adds up rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Precision {
    /// In `f32`, with the weights as computed: TensorFlow's arithmetic up to the order of
    /// the sums (within 1e-4 of a grey level).
    Float,
    /// In integers, with the weights rounded to multiples of 2^-14 (still summing to
    /// exactly 1): within 0.1 of a grey level of `Float` (a weight is off by at most
    /// 2^-15, so an output by at most 255 * taps * 2^-15), and several times faster.
    Fixed,
}

/// One in 2^14: the unit of [`Precision::Fixed`] weights.
const FIXED_ONE: i32 = 1 << 14;

impl Samples<'_> {
    /// Resamples with `rows` along the stored rows and `cols` along the stored columns:
    /// `rows.len() x cols.len()` pixels of `output.count()` values each, interleaved, or
    /// `cols.len() x rows.len()` pixels when `transposed` (output `(p, q)` then lands at
    /// row `q`, column `p`).
    ///
    /// # Errors
    /// [`Error::InvalidImage`] when a tap, or the bytes of a pixel it reads, lies outside
    /// the samples (never for taps built for these samples' size and a validated layout).
    pub(crate) fn resample(
        &self,
        rows: &Taps,
        cols: &Taps,
        output: Output<'_>,
        precision: Precision,
        transposed: bool,
    ) -> Result<Vec<f32>> {
        let (r0, r1) = rows.span();
        let (c0, c1) = cols.span();
        let outside = || Error::image("resampling window outside the picture");
        if r0 >= r1 || c0 >= c1 || r1 > self.height || c1 > self.width || output.count() == 0 {
            return Err(outside());
        }
        // Bytes of one row from the first column's pixel to the last channel byte of the
        // last column: the last row of a plane may end right there.
        let last_offset = output.last_offset();
        if last_offset >= self.step {
            return Err(outside());
        }
        let len = (c1 - c0 - 1)
            .checked_mul(self.step)
            .and_then(|n| n.checked_add(last_offset + 1))
            .ok_or_else(outside)?;
        let row_start = |r: usize| {
            r.checked_mul(self.row_stride)
                .and_then(|o| o.checked_add(self.base))
                .and_then(|o| o.checked_add(c0.checked_mul(self.step)?))
        };
        let last_end = row_start(r1 - 1)
            .and_then(|s| s.checked_add(len))
            .ok_or_else(outside)?;
        if last_end > self.bytes.len() {
            return Err(outside());
        }
        // Every row r0..r1 is in bounds from here on (row_start grows with r).
        let row = |r: usize| {
            row_start(r)
                .and_then(|s| self.bytes.get(s..s + len))
                .ok_or_else(outside)
        };

        let values = output.count();
        let (out_h, out_w) = (rows.len(), cols.len());
        let pixels = c1 - c0;
        let dense = DenseTaps::new(cols, c0);
        let mut out = vec![0.0f32; out_h * out_w * values];
        // Whole pixels (the last one may end early in memory).
        let mut sums = vec![0.0f32; pixels * self.step];
        let mut pairs = Vec::new();
        // Four output rows at a time. Each row's sums become one contiguous row per output
        // value (`rows4[g][k]`); 4x4 transposes then put the four rows side by side
        // (`quads[k][x]` holds value `k` of pixel `x` for the four rows), with room for
        // the dense taps to run past the last pixel into zeros. The horizontal pass then
        // makes four outputs per multiply, with no sums across lanes.
        let plane_len = pixels + dense.len;
        let mut quads = vec![[0.0f32; 4]; plane_len * values];
        let mut rows4 = vec![0.0f32; 4 * values * pixels];
        let single = self.step == 1 && matches!(output, Output::Channels(&[0]));
        let mut fixed_weights = Vec::new();
        for p0 in (0..out_h).step_by(4) {
            let group = (out_h - p0).min(4);
            for (g, planes) in rows4.chunks_exact_mut(values * pixels).enumerate() {
                if g >= group {
                    planes.fill(0.0);
                    continue;
                }
                // One channel, one byte a pixel: the sums are the plane.
                let target = if single {
                    &mut planes[..len]
                } else {
                    &mut sums[..len]
                };
                let (first, weights) = rows.get(p0 + g);
                match precision {
                    Precision::Float => weigh_rows_float(first, weights, &row, target)?,
                    Precision::Fixed => {
                        quantise(weights, &mut fixed_weights);
                        weigh_rows_fixed(first, &fixed_weights, &row, &mut pairs, target)?;
                    }
                }
                let step = self.step;
                match output {
                    _ if single => {}
                    Output::Channels(channels) => {
                        for (k, &c) in channels.iter().enumerate() {
                            let plane = &mut planes[k * pixels..(k + 1) * pixels];
                            for (v, px) in plane.iter_mut().zip(sums.chunks_exact(step)) {
                                *v = px[c];
                            }
                        }
                    }
                    Output::Luma([r, gr, b]) => {
                        for (v, px) in planes.iter_mut().zip(sums.chunks_exact(step)) {
                            *v = 0.299 * px[r] + 0.587 * px[gr] + 0.114 * px[b];
                        }
                    }
                }
            }
            for k in 0..values {
                let row_of = |g: usize| &rows4[(g * values + k) * pixels..][..pixels];
                let (r0, r1, r2, r3) = (row_of(0), row_of(1), row_of(2), row_of(3));
                let quads = &mut quads[k * plane_len..k * plane_len + pixels];
                let whole = pixels / 4 * 4;
                let blocks = r0[..whole]
                    .chunks_exact(4)
                    .zip(r1.chunks_exact(4))
                    .zip(r2.chunks_exact(4).zip(r3.chunks_exact(4)));
                for (((a, b), (c, d)), quad4) in blocks.zip(quads.chunks_exact_mut(4)) {
                    let load = |r: &[f32]| f32x4::new([r[0], r[1], r[2], r[3]]);
                    let t = f32x4::transpose([load(a), load(b), load(c), load(d)]);
                    for (quad, column) in quad4.iter_mut().zip(t) {
                        *quad = column.to_array();
                    }
                }
                for x in whole..pixels {
                    quads[x] = [r0[x], r1[x], r2[x], r3[x]];
                }
            }
            for k in 0..values {
                let plane = &quads[k * plane_len..(k + 1) * plane_len];
                for q in 0..out_w {
                    let four = dense.dot4(q, plane).to_array();
                    for (g, &v) in four.iter().enumerate().take(group) {
                        let (p, at) = (p0 + g, k);
                        let i = if transposed {
                            (q * out_h + p) * values + at
                        } else {
                            (p * out_w + q) * values + at
                        };
                        out[i] = v;
                    }
                }
            }
        }
        Ok(out)
    }
}

/// `sums[i] = sum over k of weights[k] * byte i of row(first + k)`, in `f32`.
fn weigh_rows_float<'b>(
    first: usize,
    weights: &[f32],
    row: &dyn Fn(usize) -> Result<&'b [u8]>,
    sums: &mut [f32],
) -> Result<()> {
    let Some((&w0, rest)) = weights.split_first() else {
        sums.fill(0.0);
        return Ok(());
    };
    for (s, &b) in sums.iter_mut().zip(row(first)?) {
        *s = w0 * f32::from(b);
    }
    // Two rows at a time: half the loads and stores of the sums.
    let mut k = 1;
    for pair in rest.chunks_exact(2) {
        let (wa, wb) = (pair[0], pair[1]);
        let (a, b) = (row(first + k)?, row(first + k + 1)?);
        for ((s, &x), &y) in sums.iter_mut().zip(a).zip(b) {
            *s += wa * f32::from(x) + wb * f32::from(y);
        }
        k += 2;
    }
    if let Some(&w) = rest.chunks_exact(2).remainder().first() {
        for (s, &x) in sums.iter_mut().zip(row(first + k)?) {
            *s += w * f32::from(x);
        }
    }
    Ok(())
}

/// `weights` as multiples of 2^-14 that add up to exactly 2^14: each rounded, and the
/// rounding's total taken off the largest.
fn quantise(weights: &[f32], out: &mut Vec<i16>) {
    out.clear();
    out.extend(
        weights
            .iter()
            .map(|&w| (w * FIXED_ONE as f32).round() as i16),
    );
    let total: i32 = out.iter().map(|&w| i32::from(w)).sum();
    if let Some((i, _)) = out.iter().enumerate().max_by_key(|(_, &w)| w) {
        out[i] = (i32::from(out[i]) + FIXED_ONE - total) as i16;
    }
}

/// `sums[i] = sum over k of weights[k] * byte i of row(first + k)`, in integers: two rows
/// at a time, their bytes interleaved into 16-bit pairs and multiplied by the pair of
/// weights with one multiply-add per 4 outputs (`pmaddwd` on x86, `smull` and `addp`
/// on ARM). Sixteen columns at a time go through every row, so the sums stay in
/// registers and each byte is read once; they are written once, in `f32`. `pairs`
/// is room for the rows of this output.
fn weigh_rows_fixed<'b>(
    first: usize,
    weights: &[i16],
    row: &dyn Fn(usize) -> Result<&'b [u8]>,
    pairs: &mut Vec<RowPair<'b>>,
    sums: &mut [f32],
) -> Result<()> {
    pairs.clear();
    for (k, w) in weights.chunks(2).enumerate() {
        let a = row(first + 2 * k)?;
        // An odd last row is paired with itself at weight zero.
        let (b, wb) = match w {
            [_, wb] => (row(first + 2 * k + 1)?, *wb),
            _ => (a, 0),
        };
        let wa = w[0];
        pairs.push(RowPair {
            a,
            b,
            weights: i16x8::new([wa, wb, wa, wb, wa, wb, wa, wb]),
        });
    }
    let unit = 1.0 / FIXED_ONE as f32;
    let whole = sums.len() / 16 * 16;
    let (body, tail) = sums.split_at_mut(whole);
    for (j, out) in body.chunks_exact_mut(16).enumerate() {
        let at = 16 * j;
        let mut acc = [i32x4::ZERO; 4];
        for pair in pairs.iter() {
            let (Some(xa), Some(xb)) = (pair.a.get(at..at + 16), pair.b.get(at..at + 16)) else {
                continue;
            };
            let (xa, xb) = (load16(xa), load16(xb));
            let (lo, hi) = (u8x16::unpack_low(xa, xb), u8x16::unpack_high(xa, xb));
            let w = pair.weights;
            acc[0] += i16x8::from_u8x16_low(lo).dot(w);
            acc[1] += i16x8::from_u8x16_high(lo).dot(w);
            acc[2] += i16x8::from_u8x16_low(hi).dot(w);
            acc[3] += i16x8::from_u8x16_high(hi).dot(w);
        }
        for (o, a) in out.chunks_exact_mut(4).zip(acc) {
            o.copy_from_slice(&(a.round_float() * f32x4::splat(unit)).to_array());
        }
    }
    for (i, s) in tail.iter_mut().enumerate() {
        let x = whole + i;
        let mut total = 0i32;
        for pair in pairs.iter() {
            let w = pair.weights.as_array_ref();
            let (xa, xb) = (pair.a.get(x), pair.b.get(x));
            total += i32::from(xa.copied().unwrap_or(0)) * i32::from(w[0])
                + i32::from(xb.copied().unwrap_or(0)) * i32::from(w[1]);
        }
        *s = total as f32 * unit;
    }
    Ok(())
}

/// Two rows of samples and their weights, interleaved as the multiply-add wants them.
struct RowPair<'b> {
    a: &'b [u8],
    b: &'b [u8],
    weights: i16x8,
}

fn load16(bytes: &[u8]) -> u8x16 {
    let mut lanes = [0u8; 16];
    lanes.copy_from_slice(&bytes[..16]);
    u8x16::new(lanes)
}

/// Horizontal taps padded to one length (zero weights at the end), each weight repeated
/// in four lanes, so that every output is the same fixed-length sum starting at
/// `start[q]` (relative to the first column read) for four rows at once.
struct DenseTaps {
    start: Vec<usize>,
    len: usize,
    weights: Vec<f32x4>,
}

impl DenseTaps {
    fn new(taps: &Taps, first: usize) -> Self {
        let len = (0..taps.len())
            .map(|q| taps.get(q).1.len())
            .max()
            .unwrap_or(0);
        let mut start = Vec::with_capacity(taps.len());
        let mut weights = vec![f32x4::ZERO; taps.len() * len];
        for q in 0..taps.len() {
            let (s, w) = taps.get(q);
            start.push(s - first);
            for (dense, &wt) in weights[q * len..].iter_mut().zip(w) {
                *dense = f32x4::splat(wt);
            }
        }
        Self {
            start,
            len,
            weights,
        }
    }

    /// Output `q` of four rows from `plane` (which holds `len` zeros or more past its
    /// last pixel).
    #[inline]
    fn dot4(&self, q: usize, plane: &[[f32; 4]]) -> f32x4 {
        let (s, n) = (self.start[q], self.len);
        let (v, w) = (&plane[s..s + n], &self.weights[q * n..(q + 1) * n]);
        let mut acc = f32x4::ZERO;
        for (&wt, &x) in w.iter().zip(v) {
            acc += wt * f32x4::new(x);
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 5x4 picture of 3-byte pixels, rows 16 bytes apart (one byte of padding).
    fn picture() -> Vec<u8> {
        let mut bytes = vec![0xEEu8; 16 * 4];
        for y in 0..4 {
            for x in 0..5 {
                for c in 0..3 {
                    bytes[y * 16 + x * 3 + c] = (10 * x + 50 * y + 7 * c) as u8;
                }
            }
        }
        bytes
    }

    fn samples(bytes: &[u8]) -> Samples<'_> {
        Samples {
            bytes,
            base: 0,
            row_stride: 16,
            step: 3,
            width: 5,
            height: 4,
        }
    }

    /// Output (p, q) by definition: sum over taps of row weight x column weight x byte.
    fn reference(s: &Samples<'_>, rows: &Taps, cols: &Taps, c: usize, p: usize, q: usize) -> f32 {
        let (rs, rw) = rows.get(p);
        let (cs, cw) = cols.get(q);
        let mut total = 0.0f64;
        for (i, &wr) in rw.iter().enumerate() {
            for (j, &wc) in cw.iter().enumerate() {
                let byte = s.bytes[s.base + (rs + i) * s.row_stride + (cs + j) * s.step + c];
                total += f64::from(wr) * f64::from(wc) * f64::from(byte);
            }
        }
        total as f32
    }

    #[test]
    fn resampled_channels_equal_the_two_dimensional_weighted_sum() {
        let bytes = picture();
        let s = samples(&bytes);
        let rows = Taps::for_window(0.0, 4.0, 4, 3);
        let cols = Taps::for_window(1.0, 4.0, 5, 2);
        let out = s
            .resample(
                &rows,
                &cols,
                Output::Channels(&[2, 0]),
                Precision::Float,
                false,
            )
            .unwrap();
        assert_eq!(out.len(), 3 * 2 * 2);
        for p in 0..3 {
            for q in 0..2 {
                for (k, c) in [2, 0].into_iter().enumerate() {
                    let want = reference(&s, &rows, &cols, c, p, q);
                    assert!((out[(p * 2 + q) * 2 + k] - want).abs() < 1e-3);
                }
            }
        }
    }

    #[test]
    fn luma_output_is_the_luma_of_the_resampled_channels() {
        let bytes = picture();
        let s = samples(&bytes);
        let rows = Taps::for_window(0.0, 4.0, 4, 2);
        let cols = Taps::for_window(0.0, 5.0, 5, 2);
        let rgb = s
            .resample(
                &rows,
                &cols,
                Output::Channels(&[0, 1, 2]),
                Precision::Float,
                false,
            )
            .unwrap();
        let luma = s
            .resample(
                &rows,
                &cols,
                Output::Luma([0, 1, 2]),
                Precision::Float,
                false,
            )
            .unwrap();
        for (px, &l) in rgb.chunks_exact(3).zip(&luma) {
            assert!((0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2] - l).abs() < 1e-3);
        }
    }

    #[test]
    fn fixed_point_rows_stay_within_a_tenth_of_a_grey_level_of_float() {
        // 40 columns (more than one 16-byte block, plus a tail) of noisy bytes; 5 and 9
        // rows per output (odd and even tap counts).
        let (w, h) = (40usize, 23usize);
        let mut state = 0x9e37_79b9u32;
        let bytes: Vec<u8> = (0..w * h)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            })
            .collect();
        let s = Samples {
            bytes: &bytes,
            base: 0,
            row_stride: w,
            step: 1,
            width: w,
            height: h,
        };
        let cols = Taps::for_window(0.0, 40.0, 40, 9);
        for m in [5, 3] {
            let rows = Taps::for_window(0.0, 23.0, 23, m);
            let float = s.resample(
                &rows,
                &cols,
                Output::Channels(&[0]),
                Precision::Float,
                false,
            );
            let fixed = s.resample(
                &rows,
                &cols,
                Output::Channels(&[0]),
                Precision::Fixed,
                false,
            );
            let worst = float
                .unwrap()
                .iter()
                .zip(&fixed.unwrap())
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(worst < 0.1, "{worst}");
        }
    }

    #[test]
    fn windows_or_offsets_outside_the_samples_are_errors() {
        let bytes = picture();
        let s = samples(&bytes);
        let rows = Taps::for_window(0.0, 4.0, 4, 2);
        let wide = Taps::for_window(0.0, 6.0, 6, 2);
        assert!(s
            .resample(
                &rows,
                &wide,
                Output::Channels(&[0]),
                Precision::Float,
                false
            )
            .is_err());
        let cols = Taps::for_window(0.0, 5.0, 5, 2);
        assert!(s
            .resample(
                &rows,
                &cols,
                Output::Channels(&[3]),
                Precision::Float,
                false
            )
            .is_err());
        let short = Samples {
            bytes: &s.bytes[..3 * 16 + 14],
            ..s
        };
        assert!(short
            .resample(
                &rows,
                &cols,
                Output::Channels(&[0]),
                Precision::Float,
                false
            )
            .is_ok());
        let shorter = Samples {
            bytes: &s.bytes[..3 * 16 + 13],
            ..s
        };
        assert!(shorter
            .resample(
                &rows,
                &cols,
                Output::Channels(&[0, 1, 2]),
                Precision::Float,
                false
            )
            .is_err());
    }
}
