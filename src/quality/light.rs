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
    let (mut luma, mut clipped, mut glare) = (0.0f64, 0usize, 0usize);
    for row in rgb.chunks(3 * 256) {
        let mut sum = 0.0f32;
        for px in row.chunks_exact(3) {
            sum += 0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2];
            if px[0].max(px[1]).max(px[2]) >= CLIPPED_LEVEL {
                clipped += 1;
            }
            if px[0].min(px[1]).min(px[2]) >= GLARE_LEVEL {
                glare += 1;
            }
        }
        luma += f64::from(sum);
    }
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
