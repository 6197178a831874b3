//! Finding the lesion: a threshold half way between the skin and the darkest point of a
//! lesion-contrast channel, and the largest central connected region below it. Not a
//! segmentation model: good enough to say whether a lesion stands out, how much of the view
//! it covers and how far it is from the centre.
//!
//! Steps, on the model-sized RGB picture of `w x h` pixels:
//! 1. Lesion-contrast channel: `(G + B) / 2`. Melanin and blood absorb green and blue
//!    far more than red, so pigmented, red and blue lesions are all darker than skin in
//!    it, while the reddish tint of skin barely registers.
//! 2. A box mean over `(2r + 1)²` pixels, `r = round(0.02 min(w, h))` (at least 1),
//!    averaging only the pixels inside the picture: removes hairs, skin texture and
//!    noise, keeps regions a few percent of the view wide.
//! 3. Over the central disc of the view (`((x - cx) / (w/2))² + ((y - cy) / (h/2))² <=
//!    0.8`, which leaves out the dark corners of a dermatoscope's round field): the skin
//!    level is the 90th percentile, the darkest level the minimum, and the threshold lies
//!    half way between them (the lesion's "half depth"). Unlike Otsu's threshold, which
//!    on a small lesion splits the skin's own texture in two, this isolates a lesion of
//!    any size (measured in `models/QUALITY.md`).
//! 4. Every pixel of the view at or below the threshold is a candidate; candidates are
//!    grouped into 8-connected regions and the region with the largest
//!    `area x (1 - offset)²` wins, `offset` being its centroid's distance from the centre
//!    (0 at the centre, 1 on the edge, the larger of the two axes). Large central regions
//!    win over the corners of a dermatoscope's field and over small specks.
//! 5. The lesion's contrast is the Weber contrast `(skin - lesion) / skin` of the skin
//!    level and the winning region's mean: near 0 on plain skin, 0.2 to 0.6 on lesions.

/// Box radius as a fraction of the picture's shorter side.
const SMOOTHING: f32 = 0.02;
/// The skin and darkest levels are read over pixels inside this normalised radius squared.
const DISC: f32 = 0.8;
/// Percentile of the central disc taken as the skin level.
const SKIN_PERCENTILE: f64 = 0.9;
/// Below this difference between skin and darkest level (grey levels) nothing stands out.
const FLAT: f32 = 1.0;

/// Which pixels of the model-sized view belong to the lesion.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LesionMask {
    pub(crate) width: usize,
    pub(crate) height: usize,
    /// Row-major, `width * height`.
    pub(crate) inside: Vec<bool>,
}

/// The lesion candidate found in a picture.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Lesion {
    /// Its pixels; kept for shape and colour measures.
    #[allow(dead_code)]
    pub(crate) mask: LesionMask,
    /// Centroid in pixels (pixel centres at `x + 0.5`).
    pub(crate) centroid: (f32, f32),
    /// Fraction of the view it covers.
    pub(crate) coverage: f32,
    /// Centroid distance from the centre, 0..=1 (see the module documentation).
    pub(crate) offset: f32,
}

/// What the lesion search found.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LesionSearch {
    /// Weber contrast of the skin level and the winning region's mean, 0..=1; 0 when
    /// nothing stands out.
    pub(crate) contrast: f32,
    /// The winning region, if anything stands out.
    pub(crate) lesion: Option<Lesion>,
}

/// Finds the lesion candidate in `w x h` interleaved RGB on the 0..=255 scale.
pub(crate) fn find(rgb: &[f32], w: usize, h: usize) -> LesionSearch {
    let nothing = LesionSearch {
        contrast: 0.0,
        lesion: None,
    };
    if w == 0 || h == 0 || rgb.len() != w * h * 3 {
        return nothing;
    }
    let channel: Vec<f32> = rgb
        .chunks_exact(3)
        .map(|px| 0.5 * (px[1] + px[2]))
        .collect();
    let radius = ((SMOOTHING * w.min(h) as f32).round() as usize).max(1);
    let smooth = box_mean(&channel, w, h, radius);

    let Some(levels) = disc_levels(&smooth, w, h) else {
        return nothing;
    };
    let threshold = 0.5 * (levels.skin + levels.darkest);
    let below: Vec<bool> = smooth.iter().map(|&v| v <= threshold).collect();
    let Some(lesion) = central_region(&below, w, h) else {
        return nothing;
    };
    let inside: f64 = smooth
        .iter()
        .zip(&lesion.mask.inside)
        .filter(|(_, &m)| m)
        .map(|(&v, _)| f64::from(v))
        .sum();
    let mean = inside / lesion.mask.inside.iter().filter(|&&m| m).count().max(1) as f64;
    let skin = f64::from(levels.skin);
    let contrast = if skin > 1.0 {
        ((skin - mean) / skin).clamp(0.0, 1.0) as f32
    } else {
        0.0
    };
    LesionSearch {
        contrast,
        lesion: Some(lesion),
    }
}

/// Mean over the `(2r+1)²` box around each pixel, counting only pixels inside.
fn box_mean(values: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
    // Horizontal pass with a prefix sum per row.
    let mut across = vec![0.0f32; w * h];
    let mut prefix = vec![0.0f32; w + 1];
    for y in 0..h {
        let row = &values[y * w..(y + 1) * w];
        for (x, &v) in row.iter().enumerate() {
            prefix[x + 1] = prefix[x] + v;
        }
        for x in 0..w {
            let (lo, hi) = (x.saturating_sub(r), (x + r + 1).min(w));
            across[y * w + x] = (prefix[hi] - prefix[lo]) / (hi - lo) as f32;
        }
    }
    // Vertical pass with running column sums.
    let mut out = vec![0.0f32; w * h];
    let mut sums = vec![0.0f32; w];
    let mut count = 0usize;
    for y in 0..r.min(h) {
        add_row(&mut sums, &across[y * w..(y + 1) * w], 1.0);
        count += 1;
    }
    for y in 0..h {
        if y + r < h {
            add_row(&mut sums, &across[(y + r) * w..(y + r + 1) * w], 1.0);
            count += 1;
        }
        if y > r {
            let gone = y - r - 1;
            add_row(&mut sums, &across[gone * w..(gone + 1) * w], -1.0);
            count -= 1;
        }
        let inv = 1.0 / count as f32;
        for (o, s) in out[y * w..(y + 1) * w].iter_mut().zip(&sums) {
            *o = s * inv;
        }
    }
    out
}

fn add_row(sums: &mut [f32], row: &[f32], sign: f32) {
    for (s, v) in sums.iter_mut().zip(row) {
        *s += sign * v;
    }
}

/// Skin (90th percentile) and darkest (minimum) levels of the central disc.
struct Levels {
    skin: f32,
    darkest: f32,
}

/// The levels of the central disc; `None` when it is empty or flat (skin and darkest
/// within [`FLAT`] of each other).
fn disc_levels(values: &[f32], w: usize, h: usize) -> Option<Levels> {
    let mut counts = [0u64; 256];
    let mut sums = [0.0f64; 256];
    let mut darkest = f32::INFINITY;
    let (hw, hh) = (w as f32 / 2.0, h as f32 / 2.0);
    for y in 0..h {
        let dy = (y as f32 + 0.5 - hh) / hh;
        for x in 0..w {
            let dx = (x as f32 + 0.5 - hw) / hw;
            if dx * dx + dy * dy <= DISC {
                let v = values[y * w + x];
                let b = (v.max(0.0) as usize).min(255);
                counts[b] += 1;
                sums[b] += f64::from(v);
                darkest = darkest.min(v);
            }
        }
    }
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return None;
    }
    // The bin holding the percentile; its mean value is the level.
    let wanted = (SKIN_PERCENTILE * total as f64).ceil().max(1.0) as u64;
    let mut seen = 0u64;
    let mut skin = darkest;
    for (count, sum) in counts.iter().zip(&sums) {
        seen += count;
        if seen >= wanted {
            skin = (sum / *count as f64) as f32;
            break;
        }
    }
    (skin - darkest >= FLAT).then_some(Levels { skin, darkest })
}

/// One 8-connected region while searching.
struct Region {
    label: u32,
    area: usize,
    centroid: (f32, f32),
    offset: f32,
}

/// The 8-connected region of `below` with the largest `area x (1 - offset)²`.
fn central_region(below: &[bool], w: usize, h: usize) -> Option<Lesion> {
    const NONE: u32 = u32::MAX;
    let mut labels = vec![NONE; w * h];
    let mut stack = Vec::new();
    // The best region so far and its score.
    let mut best: Option<(f64, Region)> = None;
    let mut next = 0u32;
    let (hw, hh) = (w as f64 / 2.0, h as f64 / 2.0);
    for start in 0..w * h {
        if !below[start] || labels[start] != NONE {
            continue;
        }
        let label = next;
        next += 1;
        labels[start] = label;
        stack.push(start);
        let (mut area, mut sx, mut sy) = (0usize, 0.0f64, 0.0f64);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            area += 1;
            sx += x as f64 + 0.5;
            sy += y as f64 + 0.5;
            for ny in y.saturating_sub(1)..(y + 2).min(h) {
                for nx in x.saturating_sub(1)..(x + 2).min(w) {
                    let j = ny * w + nx;
                    if below[j] && labels[j] == NONE {
                        labels[j] = label;
                        stack.push(j);
                    }
                }
            }
        }
        let (cx, cy) = (sx / area as f64, sy / area as f64);
        let offset = ((cx - hw).abs() / hw).max((cy - hh).abs() / hh).min(1.0);
        let score = area as f64 * (1.0 - offset) * (1.0 - offset);
        if score > 0.0 && best.as_ref().is_none_or(|(b, _)| score > *b) {
            let centroid = (cx as f32, cy as f32);
            best = Some((
                score,
                Region {
                    label,
                    area,
                    centroid,
                    offset: offset as f32,
                },
            ));
        }
    }
    let (
        _,
        Region {
            label,
            area,
            centroid,
            offset,
        },
    ) = best?;
    Some(Lesion {
        mask: LesionMask {
            width: w,
            height: h,
            inside: labels.iter().map(|&l| l == label).collect(),
        },
        centroid,
        coverage: area as f32 / (w * h) as f32,
        offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Skin-coloured picture with a dark disc of `radius` at `(cx, cy)`.
    fn skin_with_disc(w: usize, h: usize, cx: f32, cy: f32, radius: f32) -> Vec<f32> {
        let mut rgb = Vec::with_capacity(w * h * 3);
        for y in 0..h {
            for x in 0..w {
                let d = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
                if d <= radius {
                    rgb.extend([120.0, 70.0, 50.0]);
                } else {
                    rgb.extend([220.0, 170.0, 150.0]);
                }
            }
        }
        rgb
    }

    #[test]
    fn a_central_dark_disc_is_found_with_its_area_and_position() {
        let (w, h) = (200, 160);
        let rgb = skin_with_disc(w, h, 100.0, 80.0, 30.0);
        let found = find(&rgb, w, h);
        // (G+B)/2: skin 160, lesion 60. The box mean blurs the disc's rim, so the region
        // (half way, 110 and below) is a little larger than the disc and its mean a little
        // lighter than 60: Weber contrast just under (160 - 60) / 160 = 0.625.
        assert!(
            found.contrast > 0.55 && found.contrast < 0.625,
            "{}",
            found.contrast
        );
        let lesion = found.lesion.expect("found");
        let area = std::f32::consts::PI * 30.0 * 30.0 / (w * h) as f32;
        assert!(
            (lesion.coverage - area).abs() < 0.1 * area,
            "{} vs {area}",
            lesion.coverage
        );
        assert!(lesion.offset < 0.02, "{}", lesion.offset);
        assert_eq!(lesion.mask.inside.len(), w * h);
        assert_eq!(
            lesion.mask.inside.iter().filter(|&&b| b).count() as f32 / (w * h) as f32,
            lesion.coverage
        );
    }

    #[test]
    fn offset_is_the_larger_axis_distance_from_the_centre() {
        let (w, h) = (200, 200);
        // Centre at x = 150: |150 - 100| / 100 = 0.5 on x, 0 on y.
        let rgb = skin_with_disc(w, h, 150.0, 100.0, 20.0);
        let lesion = find(&rgb, w, h).lesion.expect("found");
        assert!((lesion.offset - 0.5).abs() < 0.02, "{}", lesion.offset);
        assert!((lesion.centroid.0 - 150.0).abs() < 1.0);
    }

    #[test]
    fn a_large_central_region_wins_over_a_larger_corner_one() {
        let (w, h) = (200, 200);
        let mut rgb = skin_with_disc(w, h, 100.0, 100.0, 25.0);
        // Dark corner (a dermatoscope's vignette) bigger than the lesion.
        for y in 0..70 {
            for x in 0..(70 - y) {
                let i = (y * w + x) * 3;
                rgb[i..i + 3].copy_from_slice(&[30.0, 20.0, 20.0]);
            }
        }
        let lesion = find(&rgb, w, h).lesion.expect("found");
        assert!(lesion.offset < 0.05, "{}", lesion.offset);
    }

    #[test]
    fn uniform_pictures_have_no_contrast_and_no_lesion() {
        for grey in [0.0, 128.0, 255.0] {
            let rgb = vec![grey; 64 * 48 * 3];
            let found = find(&rgb, 64, 48);
            assert_eq!(found.contrast, 0.0);
            assert!(found.lesion.is_none());
        }
        assert!(find(&[], 0, 0).lesion.is_none());
        assert!(find(&[1.0; 5], 3, 3).lesion.is_none());
    }

    #[test]
    fn box_mean_of_a_constant_is_the_constant_and_of_a_step_is_graded() {
        let flat = box_mean(&[7.0; 30], 6, 5, 2);
        assert!(flat.iter().all(|v| (v - 7.0).abs() < 1e-5));
        // A 1-D step seen through a radius-1 box.
        let step = box_mean(&[0.0, 0.0, 3.0, 3.0], 4, 1, 1);
        assert_eq!(step, vec![0.0, 1.0, 2.0, 3.0]);
    }
}
