//! Exposure, clipping and glare, from the model-sized RGB picture.

use super::types::{CLIPPED_LEVEL, GLARE_LEVEL};

/// Light measures of one picture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Light {
    /// Mean BT.601 luma over 255.
    pub(crate) exposure: f32,
    /// Fraction of pixels with a channel at or above [`CLIPPED_LEVEL`].
    pub(crate) clipped: f32,
    /// Fraction of pixels whose three channels are all at or above [`GLARE_LEVEL`].
    pub(crate) glare: f32,
}

/// The light measures of interleaved RGB on the 0..=255 scale; all 0 for an empty picture.
pub(crate) fn light(rgb: &[f32]) -> Light {
    let pixels = rgb.len() / 3;
    if pixels == 0 {
        return Light {
            exposure: 0.0,
            clipped: 0.0,
            glare: 0.0,
        };
    }
    // Eight pixels at a time in independent lanes (so that the compiler can vectorise),
    // summed per block of 256 pixels in f32 and across blocks in f64.
    let (mut channels, mut clipped, mut glare) = ([0.0f64; 3], 0u64, 0u64);
    for block in rgb.chunks(3 * 256) {
        let mut sums = [0.0f32; 24];
        let (mut clip, mut white) = ([0u32; 8], [0u32; 8]);
        let groups = block.chunks_exact(24);
        let tail = groups.remainder();
        for group in groups {
            for (s, v) in sums.iter_mut().zip(group) {
                *s += v;
            }
            for i in 0..8 {
                let (r, g, b) = (group[3 * i], group[3 * i + 1], group[3 * i + 2]);
                clip[i] += u32::from(r.max(g).max(b) >= CLIPPED_LEVEL);
                white[i] += u32::from(r.min(g).min(b) >= GLARE_LEVEL);
            }
        }
        for px in tail.chunks_exact(3) {
            for (s, v) in sums.iter_mut().zip(px) {
                *s += v;
            }
            clip[0] += u32::from(px[0].max(px[1]).max(px[2]) >= CLIPPED_LEVEL);
            white[0] += u32::from(px[0].min(px[1]).min(px[2]) >= GLARE_LEVEL);
        }
        for (c, channel) in channels.iter_mut().enumerate() {
            *channel += sums
                .iter()
                .skip(c)
                .step_by(3)
                .map(|&v| f64::from(v))
                .sum::<f64>();
        }
        clipped += clip.iter().map(|&v| u64::from(v)).sum::<u64>();
        glare += white.iter().map(|&v| u64::from(v)).sum::<u64>();
    }
    let luma = 0.299 * channels[0] + 0.587 * channels[1] + 0.114 * channels[2];
    let n = pixels as f64;
    Light {
        exposure: (luma / n / 255.0).clamp(0.0, 1.0) as f32,
        clipped: (clipped as f64 / n) as f32,
        glare: (glare as f64 / n) as f32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposure_is_mean_luma_clipping_counts_any_channel_and_glare_all_three() {
        // Black, white, mid grey, saturated red (clipped, not glare: green and blue are low).
        let rgb = [
            0.0, 0.0, 0.0, 255.0, 255.0, 255.0, 127.5, 127.5, 127.5, 255.0, 0.0, 0.0,
        ];
        let measured = light(&rgb);
        let expect = (0.0 + 255.0 + 127.5 + 0.299 * 255.0) / 4.0 / 255.0;
        assert!((measured.exposure - expect).abs() < 1e-6);
        assert_eq!(measured.clipped, 0.5);
        assert_eq!(measured.glare, 0.25);
        assert_eq!(light(&[]).exposure, 0.0);
    }
}
