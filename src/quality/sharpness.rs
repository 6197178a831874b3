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

/// Mean squared differences between neighbours in four directions: right, down, down-right
/// and down-left, over every pair inside the picture.
fn neighbour_energy(luma: &[f32], w: usize, h: usize) -> [f64; 4] {
    let mut sums = [0.0f64; 4];
    for y in 0..h {
        let row = &luma[y * w..(y + 1) * w];
        let mut across = 0.0f32;
        for pair in row.windows(2) {
            let d = pair[1] - pair[0];
            across += d * d;
        }
        sums[0] += f64::from(across);
        if y + 1 < h {
            let next = &luma[(y + 1) * w..(y + 2) * w];
            let (mut down, mut right_down, mut left_down) = (0.0f32, 0.0f32, 0.0f32);
            for (a, b) in row.iter().zip(next) {
                let d = b - a;
                down += d * d;
            }
            for (a, b) in row.iter().zip(&next[1..]) {
                let d = b - a;
                right_down += d * d;
            }
            for (a, b) in row[1..].iter().zip(next) {
                let d = b - a;
                left_down += d * d;
            }
            sums[1] += f64::from(down);
            sums[2] += f64::from(right_down);
            sums[3] += f64::from(left_down);
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
    let n = luma.len() as f64;
    let mean = luma.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let variance = luma
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n;
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
