//! Focus: how much fine detail survives at the finest scale of the luma detail copy.
//!
//! Blur removes the finest detail first. Comparing the neighbour differences of the
//! picture with those of a copy halved by 2x2 averaging measures how much detail lives at
//! the finest scale, whatever the picture's contrast or brightness: on a smooth ramp the
//! halved copy's differences (per its own, twice larger, pixel) are exactly twice the
//! original's, so their squares are four times larger; fine detail that the halving
//! averages away lowers that ratio.

/// Smallest detail copy judged, in pixels a side.
const MIN_SIDE: usize = 8;

/// A picture whose luma varies by less than this standard deviation (grey levels) is
/// uniform: there is nothing to judge focus on.
const UNIFORM_STD: f64 = 1.0;

/// Standard deviation (grey levels) of the fine noise that every stored picture carries
/// (8-bit rounding, JPEG quantisation). White noise of variance `s²` adds `2 s²` to the
/// finest neighbour differences and `s² / 2` to the halved copy's; both are taken off
/// before the ratio, so that on a blurred picture of low contrast the noise is not
/// mistaken for detail. Chosen on the calibration set (`models/QUALITY.md`).
const NOISE_STD: f64 = 0.5;

/// A direction whose neighbour differences are below this fraction of the strongest
/// direction's carries no detail of its own (a picture of parallel stripes) and is not
/// scored.
const WEAK_DIRECTION: f64 = 0.01;

/// Sum of `(b[i] - a[i])²` over the shorter of the two, in eight independent lanes so
/// that the compiler can vectorise it.
fn sum_squared_differences(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut lanes = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            let d = y[i] - x[i];
            lanes[i] += d * d;
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| (y - x) * (y - x)).sum();
    lanes.iter().sum::<f32>() + tail
}

/// Mean squared differences between neighbours in four directions: right, down, down-right
/// and down-left, over every pair inside the picture.
fn neighbour_energy(luma: &[f32], w: usize, h: usize) -> [f64; 4] {
    let mut sums = [0.0f64; 4];
    for y in 0..h {
        let row = &luma[y * w..(y + 1) * w];
        sums[0] += f64::from(sum_squared_differences(&row[..w - 1], &row[1..]));
        if y + 1 < h {
            let next = &luma[(y + 1) * w..(y + 2) * w];
            sums[1] += f64::from(sum_squared_differences(row, next));
            sums[2] += f64::from(sum_squared_differences(&row[..w - 1], &next[1..]));
            sums[3] += f64::from(sum_squared_differences(&row[1..], &next[..w - 1]));
        }
    }
    let (wf, hf) = (w as f64, h as f64);
    let pairs = [
        (wf - 1.0) * hf,
        wf * (hf - 1.0),
        (wf - 1.0) * (hf - 1.0),
        (wf - 1.0) * (hf - 1.0),
    ];
    let mut energy = [0.0; 4];
    for (e, (s, n)) in energy.iter_mut().zip(sums.iter().zip(pairs)) {
        *e = s / n;
    }
    energy
}

/// Variance of the values, summed per row in `f32` lanes around the first value (to keep
/// the squares small) and across rows in `f64`.
fn variance(luma: &[f32], w: usize) -> f64 {
    let shift = luma.first().copied().unwrap_or(0.0);
    let (mut sum, mut squares) = (0.0f64, 0.0f64);
    for row in luma.chunks(w.max(1)) {
        let mut lanes = [0.0f32; 8];
        let mut square_lanes = [0.0f32; 8];
        let chunks = row.chunks_exact(8);
        let tail = chunks.remainder();
        for c in chunks {
            for i in 0..8 {
                let v = c[i] - shift;
                lanes[i] += v;
                square_lanes[i] += v * v;
            }
        }
        for &v in tail {
            let v = v - shift;
            lanes[0] += v;
            square_lanes[0] += v * v;
        }
        sum += f64::from(lanes.iter().sum::<f32>());
        squares += f64::from(square_lanes.iter().sum::<f32>());
    }
    let n = luma.len().max(1) as f64;
    let mean = sum / n;
    (squares / n - mean * mean).max(0.0)
}

/// The picture averaged over 2x2 blocks (an odd last row or column is dropped).
fn halve(luma: &[f32], w: usize, h: usize) -> (Vec<f32>, usize, usize) {
    let (hw, hh) = (w / 2, h / 2);
    let mut out = Vec::with_capacity(hw * hh);
    for y in 0..hh {
        let top = &luma[2 * y * w..2 * y * w + 2 * hw];
        let bottom = &luma[(2 * y + 1) * w..(2 * y + 1) * w + 2 * hw];
        out.extend(
            top.chunks_exact(2)
                .zip(bottom.chunks_exact(2))
                .map(|(t, b)| 0.25 * (t[0] + t[1] + b[0] + b[1])),
        );
    }
    (out, hw, hh)
}

/// [`QualityMeasures::sharpness`](super::QualityMeasures::sharpness) of a `w x h` luma
/// picture (row-major, 0..=255 scale).
pub(crate) fn sharpness(luma: &[f32], w: usize, h: usize) -> Option<f32> {
    if w < MIN_SIDE || h < MIN_SIDE || luma.len() != w * h {
        return None;
    }
    let variance = variance(luma, w);
    // NaN (a picture holding NaN) counts as uniform too.
    if variance.is_nan() || variance < UNIFORM_STD * UNIFORM_STD {
        return None;
    }
    let noise = NOISE_STD * NOISE_STD;
    let fine = neighbour_energy(luma, w, h).map(|e| (e - 2.0 * noise).max(0.0));
    let strongest = fine.iter().copied().fold(0.0, f64::max);
    if strongest <= 0.0 {
        // Nothing above the noise at the finest scale: as blurred as it gets.
        return Some(0.0);
    }
    let (half, hw, hh) = halve(luma, w, h);
    let coarse = neighbour_energy(&half, hw, hh).map(|e| (e - 0.5 * noise).max(0.0));
    fine.iter()
        .zip(&coarse)
        .filter(|(&f, _)| f >= WEAK_DIRECTION * strongest)
        .map(|(&f, &c)| (1.0 - c / (4.0 * f)).clamp(0.0, 1.0))
        .reduce(f64::min)
        .map(|s| s as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(w: usize, h: usize, mut f: impl FnMut(usize, usize) -> f32) -> Vec<f32> {
        (0..w * h).map(|i| f(i % w, i / w)).collect()
    }

    #[test]
    fn a_smooth_ramp_has_no_fine_detail() {
        let ramp = picture(64, 48, |x, y| x as f32 * 2.0 + y as f32 * 1.5);
        let s = sharpness(&ramp, 64, 48).expect("measured");
        assert!(s < 0.02, "{s}");
    }

    #[test]
    fn a_one_pixel_checkerboard_is_all_fine_detail_along_the_axes() {
        // Halving averages a one-pixel checkerboard to a flat grey: d2 = 0, so both axes
        // score 1; the diagonals see no difference at all and are not scored.
        let board = picture(32, 32, |x, y| if (x + y) % 2 == 0 { 200.0 } else { 50.0 });
        assert_eq!(sharpness(&board, 32, 32), Some(1.0));
    }

    #[test]
    fn pseudo_random_noise_scores_about_fifteen_sixteenths() {
        // Independent pixels: d1 = 2 var, d2 = 2 var / 4, so 1 - d2 / (4 d1) = 15/16 (the
        // noise floor is negligible against a variance of about 5400).
        let mut state = 0x2545_f491_u32;
        let noise = picture(256, 256, |_, _| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state % 256) as f32
        });
        let s = sharpness(&noise, 256, 256).expect("measured");
        assert!((s - 15.0 / 16.0).abs() < 0.02, "{s}");
    }

    #[test]
    fn brightness_does_not_change_sharpness_and_contrast_barely_does() {
        let base = picture(96, 80, |x, y| {
            let (x, y) = (x as f32, y as f32);
            100.0 + 40.0 * (x * 0.7).sin() * (y * 0.45).cos() + 0.3 * x
        });
        let shifted: Vec<f32> = base.iter().map(|v| v + 20.0).collect();
        let scaled: Vec<f32> = base.iter().map(|v| v * 0.3 + 20.0).collect();
        let a = sharpness(&base, 96, 80).expect("measured");
        let b = sharpness(&shifted, 96, 80).expect("measured");
        let c = sharpness(&scaled, 96, 80).expect("measured");
        assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        // Only the noise floor tells them apart: at a third of the contrast the same
        // picture reads a little less sharp, never sharper.
        assert!(c <= a && a - c < 0.06, "{a} vs {c}");
    }

    #[test]
    fn noise_alone_on_a_smooth_picture_does_not_read_as_detail() {
        // A smooth ramp with rounding to whole grey levels (the noise every 8-bit picture
        // has): the floor keeps it near 0 instead of reading the rounding as fine detail.
        let ramp = picture(128, 128, |x, y| {
            (60.0 + x as f32 * 0.37 + y as f32 * 0.21).round()
        });
        let s = sharpness(&ramp, 128, 128).expect("measured");
        assert!(s < 0.15, "{s}");
    }

    #[test]
    fn uniform_tiny_and_mismatched_pictures_are_not_judged() {
        // Nearly uniform: one grey level of difference here and there.
        let almost = picture(64, 64, |x, y| {
            if (x * 7 + y * 3) % 29 == 0 {
                129.0
            } else {
                128.0
            }
        });
        assert_eq!(sharpness(&almost, 64, 64), None);
        assert_eq!(sharpness(&[128.0; 64 * 64], 64, 64), None);
        assert_eq!(sharpness(&[0.0; 64 * 64], 64, 64), None);
        assert_eq!(sharpness(&[0.0; 7 * 100], 7, 100), None);
        assert_eq!(sharpness(&[0.0; 10], 64, 64), None);
    }
}
