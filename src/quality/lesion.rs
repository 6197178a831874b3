//! Finding the lesion: a threshold half way between the skin and the darkest point of a
//! lesion-contrast channel, and the largest central connected region below it. Not a
//! segmentation model: good enough to say whether a lesion stands out, how much of the view
//! it covers and how far it is from the centre.
//!
//! Steps, on the model-sized RGB picture of `w x h` pixels:
//! 0. Working copy: the picture averaged over `k x k` blocks, `k = round(min(w, h) / 128)`
//!    (at least 1; remainders at the right and bottom edges are dropped), so that the
//!    search costs the same for every model size. Everything below, the mask included,
//!    is at this resolution.
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
//!    win over the corners of a dermatoscope's field and over small specks. (Two other
//!    rules were measured on the calibration set and refused more clean pictures as
//!    off-centre for a small gain on lesions moved to the edge: the region holding the
//!    darkest point, and the most darkness below the threshold weighted by `1 - offset`.)
//! 5. The lesion's contrast is the Weber contrast `(skin - lesion) / skin` of the skin
//!    level and the winning region's mean: near 0 on plain skin, 0.2 to 0.6 on lesions.

/// The working copy's shorter side, roughly (see the module documentation).
const WORKING_SIDE: usize = 128;
/// Box radius as a fraction of the picture's shorter side.
const SMOOTHING: f32 = 0.02;
/// The skin and darkest levels are read over pixels inside this normalised radius squared.
const DISC: f32 = 0.8;
/// Percentile of the central disc taken as the skin level.
const SKIN_PERCENTILE: f64 = 0.9;
/// Below this difference between skin and darkest level (grey levels) nothing stands out.
const FLAT: f32 = 1.0;

/// Which pixels of the working copy (the model's view shrunk by a whole factor to about
/// 128 pixels on its shorter side) belong to the lesion.
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
    /// Centroid as fractions of the view's width and height.
    pub(crate) centre: (f32, f32),
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
    let (channel, w, h) = working_channel(rgb, w, h);
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
    let (inside, count) = smooth
        .iter()
        .zip(&lesion.mask.inside)
        .filter(|(_, &m)| m)
        .fold((0.0f64, 0usize), |(s, n), (&v, _)| {
            (s + f64::from(v), n + 1)
        });
    let mean = inside / count.max(1) as f64;
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

/// `(G + B) / 2` averaged over `k x k` blocks (step 0 and 1 of the module documentation),
/// with the working copy's width and height.
fn working_channel(rgb: &[f32], w: usize, h: usize) -> (Vec<f32>, usize, usize) {
    let k = ((w.min(h) + WORKING_SIDE / 2) / WORKING_SIDE).max(1);
    let (cw, ch) = (w / k, h / k);
    let mut out = vec![0.0f32; cw * ch];
    let scale = 0.5 / (k * k) as f32;
    let mut row_sum = vec![0.0f32; cw * k];
    for by in 0..ch {
        // G + B of the k rows of this block row, column by column.
        row_sum.iter_mut().for_each(|v| *v = 0.0);
        for y in by * k..(by + 1) * k {
            let row = &rgb[y * w * 3..(y * w + cw * k) * 3];
            for (sum, px) in row_sum.iter_mut().zip(row.chunks_exact(3)) {
                *sum += px[1] + px[2];
            }
        }
        for (o, block) in out[by * cw..(by + 1) * cw]
            .iter_mut()
            .zip(row_sum.chunks_exact(k))
        {
            *o = block.iter().sum::<f32>() * scale;
        }
    }
    (out, cw, ch)
}

/// Mean over the `(2r+1)²` box around each pixel, counting only pixels inside.
fn box_mean(values: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
    // Horizontal pass with a prefix sum per row.
    let mut across = vec![0.0f32; w * h];
    let mut prefix = vec![0.0f32; w + 1];
    let window: Vec<(usize, usize, f32)> = (0..w)
        .map(|x| {
            let (lo, hi) = (x.saturating_sub(r), (x + r + 1).min(w));
            (lo, hi, 1.0 / (hi - lo) as f32)
        })
        .collect();
    for y in 0..h {
        let row = &values[y * w..(y + 1) * w];
        for (x, &v) in row.iter().enumerate() {
            prefix[x + 1] = prefix[x] + v;
        }
        for (out, &(lo, hi, inv)) in across[y * w..(y + 1) * w].iter_mut().zip(&window) {
            *out = (prefix[hi] - prefix[lo]) * inv;
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
        let room = DISC - dy * dy;
        if room < 0.0 {
            continue;
        }
        // Columns with ((x + 0.5 - hw) / hw)² <= room.
        let half = hw * room.sqrt();
        let first = (hw - 0.5 - half).ceil().max(0.0) as usize;
        let last = ((hw - 0.5 + half).floor() as usize).min(w - 1);
        if first > last {
            continue;
        }
        for &v in values[y * w + first..=y * w + last].iter() {
            let b = (v.max(0.0) as usize).min(255);
            counts[b] += 1;
            sums[b] += f64::from(v);
            darkest = darkest.min(v);
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

/// The 8-connected region of `below` with the largest `area x (1 - offset)²`.
fn central_region(below: &[bool], w: usize, h: usize) -> Option<Lesion> {
    // Labels on a grid with a one-pixel border that is never below the threshold, so that
    // the eight neighbours of any pixel are at fixed offsets with no bounds to check.
    const OUTSIDE: u32 = u32::MAX;
    const UNSEEN: u32 = u32::MAX - 1;
    let pw = w + 2;
    let mut labels = vec![OUTSIDE; pw * (h + 2)];
    for y in 0..h {
        for (x, &b) in below[y * w..(y + 1) * w].iter().enumerate() {
            if b {
                labels[(y + 1) * pw + x + 1] = UNSEEN;
            }
        }
    }
    let neighbours = [
        1,
        pw - 1,
        pw,
        pw + 1,
        usize::MAX,          // -1
        usize::MAX - pw + 2, // -(pw - 1)
        usize::MAX - pw + 1, // -pw
        usize::MAX - pw,     // -(pw + 1)
    ];
    let mut stack = Vec::new();
    let mut best: Option<(f64, Region)> = None;
    let mut next = 0u32;
    let (hw, hh) = (w as f64 / 2.0, h as f64 / 2.0);
    for start in pw..pw * (h + 1) {
        if labels[start] != UNSEEN {
            continue;
        }
        let label = next;
        next += 1;
        labels[start] = label;
        stack.push(start);
        let (mut area, mut sx, mut sy) = (0usize, 0usize, 0usize);
        while let Some(i) = stack.pop() {
            area += 1;
            sx += i % pw;
            sy += i / pw;
            for step in neighbours {
                let j = i.wrapping_add(step);
                if labels[j] == UNSEEN {
                    labels[j] = label;
                    stack.push(j);
                }
            }
        }
        // Grid coordinates are one more than the picture's; pixel centres at + 0.5.
        let cx = sx as f64 / area as f64 - 0.5;
        let cy = sy as f64 / area as f64 - 0.5;
        let offset = ((cx - hw).abs() / hw).max((cy - hh).abs() / hh).min(1.0);
        let score = area as f64 * (1.0 - offset) * (1.0 - offset);
        if score > 0.0 && best.as_ref().is_none_or(|(b, _)| score > *b) {
            let centre = ((cx / w as f64) as f32, (cy / h as f64) as f32);
            let offset = offset as f32;
            best = Some((
                score,
                Region {
                    label,
                    area,
                    centre,
                    offset,
                },
            ));
        }
    }
    let (
        _,
        Region {
            label,
            area,
            centre,
            offset,
        },
    ) = best?;
    let mut inside = vec![false; w * h];
    for y in 0..h {
        for (x, m) in inside[y * w..(y + 1) * w].iter_mut().enumerate() {
            *m = labels[(y + 1) * pw + x + 1] == label;
        }
    }
    Some(Lesion {
        mask: LesionMask {
            width: w,
            height: h,
            inside,
        },
        centre,
        coverage: area as f32 / (w * h) as f32,
        offset,
    })
}

/// One 8-connected region while searching.
struct Region {
    label: u32,
    area: usize,
    centre: (f32, f32),
    offset: f32,
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
        // 200x160 is worked on at full size (k = round(160 / 128) = 1).
        let mask = &lesion.mask;
        assert_eq!((mask.width, mask.height), (w, h));
        assert_eq!(mask.inside.len(), w * h);
        assert_eq!(
            mask.inside.iter().filter(|&&b| b).count() as f32 / (w * h) as f32,
            lesion.coverage
        );
    }

    #[test]
    fn a_lesion_near_the_edge_is_found_far_from_the_centre() {
        let (w, h) = (200, 200);
        let rgb = skin_with_disc(w, h, 30.0, 100.0, 18.0);
        let lesion = find(&rgb, w, h).lesion.expect("found");
        // |30 - 100| / 100 = 0.7.
        assert!((lesion.offset - 0.7).abs() < 0.03, "{}", lesion.offset);
    }

    #[test]
    fn offset_is_the_larger_axis_distance_from_the_centre() {
        let (w, h) = (200, 200);
        // Centre at x = 150: |150 - 100| / 100 = 0.5 on x, 0 on y.
        let rgb = skin_with_disc(w, h, 150.0, 100.0, 20.0);
        let lesion = find(&rgb, w, h).lesion.expect("found");
        assert!((lesion.offset - 0.5).abs() < 0.02, "{}", lesion.offset);
        assert!((lesion.centre.0 - 0.75).abs() < 0.01, "{:?}", lesion.centre);
        assert!((lesion.centre.1 - 0.5).abs() < 0.01, "{:?}", lesion.centre);
        // 200x200 is worked on at half size.
        assert_eq!((lesion.mask.width, lesion.mask.height), (100, 100));
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
