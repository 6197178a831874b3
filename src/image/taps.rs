//! Resampling weights along one axis: for every output pixel, a run of source pixels and
//! their weights, computed as TensorFlow's `tf.image.resize(method="bilinear")` does
//! (antialiased from a 2x reduction on, or from any reduction with
//! [`Resampling::Antialiased`]).

use super::types::Resampling;

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

    pub(crate) fn len(&self) -> usize {
        self.start.len()
    }

    pub(crate) fn get(&self, i: usize) -> (usize, &[f32]) {
        (
            self.start[i],
            &self.weights[self.bounds[i]..self.bounds[i + 1]],
        )
    }

    /// [`for_window_with`](Self::for_window_with) with [`Resampling::Bilinear`].
    #[cfg(test)]
    pub(crate) fn for_window(start: f64, len: f64, n: usize, m: usize) -> Self {
        Self::for_window_with(start, len, n, m, Resampling::Bilinear)
    }

    /// Taps mapping the window `start .. start + len` (in pixels, possibly fractional) of
    /// an axis of `n` pixels onto `m` outputs. Only the pixels the window touches,
    /// `floor(start) .. ceil(start + len)`, are read.
    ///
    /// With `scale = len / m` and [`Resampling::Bilinear`]: below 2, TensorFlow's
    /// `ResizeBilinear` with half-pixel centres; from 2 on, TensorFlow's
    /// `ScaleAndTranslate` with the triangle kernel and antialiasing (what
    /// `tf.image.resize(..., antialias=True)` runs). [`Resampling::Antialiased`] takes the
    /// antialiased kernel for every reduction (`scale > 1`), as `antialias=True` does. For
    /// a window of whole pixels the arithmetic is TensorFlow's on the cropped picture; a
    /// fractional start shifts every sample position by its fraction.
    pub(crate) fn for_window_with(
        start: f64,
        len: f64,
        n: usize,
        m: usize,
        resampling: Resampling,
    ) -> Self {
        let first = start.floor();
        let frac = (start - first) as f32;
        let lo = (first.max(0.0) as usize).min(n.saturating_sub(1));
        let hi = ((start + len).ceil() as usize).clamp(lo + 1, n.max(lo + 1));
        let span = hi - lo;
        let len32 = len as f32;
        let antialias_from = match resampling {
            Resampling::Bilinear => 2.0 * m as f64,
            Resampling::Antialiased => m as f64,
        };
        let shrinks = len > m as f64;
        let mut taps = if len >= antialias_from && shrinks {
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
    pub(crate) fn reversed(self) -> Self {
        let mut out = Self::with_capacity(self.len(), self.weights.len());
        for i in (0..self.len()).rev() {
            let (s, w) = self.get(i);
            out.push(s, w.iter().copied());
        }
        out
    }

    /// The taps of 4:2:0 chroma: pixel `x` takes its chroma from sample `x / 2`, so the
    /// weight of sample `c` is the sum of the weights of pixels `2c` and `2c + 1`.
    pub(crate) fn halved(&self) -> Self {
        let mut out = Self::with_capacity(self.len(), self.weights.len() / 2 + self.len());
        let mut folded = Vec::new();
        for i in 0..self.len() {
            let (s, w) = self.get(i);
            let first = s / 2;
            folded.clear();
            folded.resize((s + w.len() - 1) / 2 - first + 1, 0.0f32);
            for (j, &wt) in w.iter().enumerate() {
                folded[(s + j) / 2 - first] += wt;
            }
            out.push(first, folded.iter().copied());
        }
        out
    }

    /// Smallest and one-past-largest source index used.
    pub(crate) fn span(&self) -> (usize, usize) {
        (0..self.len()).fold((usize::MAX, 0), |(lo, hi), i| {
            let (s, w) = self.get(i);
            (lo.min(s), hi.max(s + w.len()))
        })
    }
}

/// The taps read the other way round: for every source index, which outputs use it and
/// with what weight (zero weights left out).
pub(crate) struct Users {
    /// First source index that carries weight.
    first: usize,
    /// `users[counts[i - first]..counts[i - first + 1]]` use source index `i`.
    counts: Vec<usize>,
    users: Vec<(usize, f32)>,
}

impl Users {
    pub(crate) fn new(rows: &Taps) -> Self {
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

    /// The outputs that use source index `r`, with their weights.
    pub(crate) fn of(&self, r: usize) -> &[(usize, f32)] {
        match r.checked_sub(self.first) {
            Some(i) if i + 1 < self.counts.len() => &self.users[self.counts[i]..self.counts[i + 1]],
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(t: &Taps, i: usize) -> f32 {
        t.get(i).1.iter().sum()
    }

    #[test]
    fn antialiased_resampling_filters_reductions_below_two() {
        // 7 pixels to 4 (scale 1.75). Output 0 is centred at 0.875; the triangle kernel
        // widened to 1.75 gives pixels 0, 1, 2 the weights 1.375, 1.125 and 0.125 (over
        // 1.75), normalised by their sum 2.625: 11/21, 9/21, 1/21.
        let aa = Taps::for_window_with(0.0, 7.0, 7, 4, Resampling::Antialiased);
        let (start, w) = aa.get(0);
        assert_eq!(start, 0);
        let want = [11.0 / 21.0, 9.0 / 21.0, 1.0 / 21.0];
        assert_eq!(w.len(), 3);
        for (got, want) in w.iter().zip(want) {
            assert!((got - want).abs() < 1e-6, "{w:?}");
        }
        // Plain bilinear samples s = 0.5 * 1.75 - 0.5 = 0.375: two pixels.
        let plain = Taps::for_window_with(0.0, 7.0, 7, 4, Resampling::Bilinear);
        assert_eq!(plain.get(0), (0, &[0.625f32, 0.375][..]));
        // From a 2x reduction on, and when growing or keeping the size, the two agree.
        for (len, m) in [(8.0, 4), (9.0, 2), (4.0, 7), (5.0, 5)] {
            let n = len as usize;
            assert_eq!(
                Taps::for_window_with(0.0, len, n, m, Resampling::Antialiased),
                Taps::for_window_with(0.0, len, n, m, Resampling::Bilinear),
                "{len} -> {m}"
            );
        }
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
    fn halved_taps_sum_the_weights_of_the_two_pixels_of_each_chroma_sample() {
        let t = Taps::for_window(3.0, 9.0, 20, 2);
        let h = t.halved();
        for i in 0..2 {
            let (s, w) = t.get(i);
            let (hs, hw) = h.get(i);
            assert_eq!(hs, s / 2);
            for (k, &hwt) in hw.iter().enumerate() {
                let c = hs + k;
                let want: f32 = (0..w.len())
                    .filter(|j| (s + j) / 2 == c)
                    .map(|j| w[j])
                    .sum();
                assert_eq!(hwt, want);
            }
            assert!((hw.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        }
    }

    #[test]
    fn users_list_each_source_index_with_the_outputs_that_weigh_it() {
        let t = Taps::for_window(0.0, 12.0, 12, 3);
        let users = Users::new(&t);
        for r in 0..12 {
            for &(p, wt) in users.of(r) {
                let (s, w) = t.get(p);
                assert_eq!(w[r - s], wt);
            }
            let count = (0..3)
                .filter(|&p| {
                    let (s, w) = t.get(p);
                    (s..s + w.len()).contains(&r) && w[r - s] != 0.0
                })
                .count();
            assert_eq!(users.of(r).len(), count);
        }
        assert!(users.of(99).is_empty());
    }
}
