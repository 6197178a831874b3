//! Is this picture fit to judge? Cheap checks run on every picture and camera frame, on
//! exactly the view the model sees (after orientation, rotation, region of interest and
//! crop), so that a blurred, dark, washed-out or lesion-less picture is flagged instead
//! of being answered with confident-looking probabilities.
//!
//! ```text
//! PreparedImage ─┬─ detail (luma, ≤ 448 px) ─► sharpness
//!                └─ rgb (model size) ────────► exposure, clipping, glare, lesion (contrast, coverage, offset)
//!                                                   │
//!                       QualityThresholds ──► judge ┴─► QualityReport { usable, issues }
//! ```
//!
//! The measures are in [`QualityMeasures`], the thresholds in [`QualityThresholds`]
//! (defaults calibrated on degraded real pictures, overridable per model card), the
//! calibration in `models/QUALITY.md`.

mod lesion;
mod light;
mod sharpness;
mod types;

#[allow(unused_imports)]
pub(crate) use lesion::{Lesion, LesionMask};
pub use types::{
    QualityIssue, QualityMeasures, QualityReport, QualityThresholds, CLIPPED_LEVEL, GLARE_LEVEL,
};

use crate::image::PreparedImage;

/// Measures a prepared picture: sharpness on its luma detail copy (or, for a picture
/// built without one, on the luma of its RGB), the rest on its RGB. See
/// [`QualityMeasures`] for what each measure computes. Never fails: a uniform, black or
/// tiny picture gives low contrast and no sharpness rather than NaN.
///
/// Takes well under a millisecond for a 224x224 model picture with a 448x448 detail copy
/// (`cargo bench --bench quality`).
///
/// # Examples
/// ```
/// use lesionscan::image::prepare_encoded;
/// use lesionscan::{measure_quality, Fit, ImageOptions, TargetSize};
///
/// let photo = std::fs::read("tests/data/phone_skin_moles.jpg")?;
/// let target = TargetSize { width: 224, height: 224, fit: Fit::CenterCrop, resampling: Default::default() };
/// let prepared = prepare_encoded(&photo, &ImageOptions::default(), target)?;
/// let measures = measure_quality(&prepared);
/// assert!(measures.sharpness.is_some_and(|s| s > 0.0 && s <= 1.0));
/// assert!(measures.exposure > 0.4 && measures.exposure < 0.9);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn measure_quality(image: &PreparedImage) -> QualityMeasures {
    let (w, h) = (image.width as usize, image.height as usize);
    let sharpness = match &image.detail {
        Some(detail) => {
            sharpness::sharpness(&detail.luma, detail.width as usize, detail.height as usize)
        }
        None => {
            let luma: Vec<f32> = image
                .rgb
                .chunks_exact(3)
                .map(|px| 0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2])
                .collect();
            sharpness::sharpness(&luma, w, h)
        }
    };
    let light = light::light(&image.rgb);
    let search = lesion::find(&image.rgb, w, h);
    QualityMeasures {
        sharpness,
        exposure: light.exposure,
        clipped: light.clipped,
        glare: light.glare,
        lesion_contrast: search.contrast,
        lesion_coverage: search.lesion.as_ref().map(|l| l.coverage),
        lesion_offset: search.lesion.as_ref().map(|l| l.offset),
        lesion_centre: search.lesion.as_ref().map(|l| [l.centre.0, l.centre.1]),
    }
}

/// Measures a prepared picture and judges it: [`measure_quality`] then
/// [`QualityMeasures::judge`]. This is what every classification runs, with the
/// thresholds of the model's card.
///
/// # Examples
/// ```
/// use lesionscan::image::prepare_encoded;
/// use lesionscan::{assess_quality, Fit, ImageOptions, QualityIssue, QualityThresholds, TargetSize};
///
/// // A uniform grey picture: nothing to judge.
/// let mut grey = Vec::new();
/// image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(300, 300, image::Rgb([128, 128, 128])))
///     .write_to(&mut std::io::Cursor::new(&mut grey), image::ImageFormat::Png)?;
/// let target = TargetSize { width: 224, height: 224, fit: Fit::CenterCrop, resampling: Default::default() };
/// let prepared = prepare_encoded(&grey, &Default::default(), target)?;
/// let report = assess_quality(&prepared, &QualityThresholds::default());
/// assert!(!report.usable);
/// assert_eq!(report.issues, [QualityIssue::NoLesion]);
/// assert_eq!(report.sharpness, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn assess_quality(image: &PreparedImage, thresholds: &QualityThresholds) -> QualityReport {
    measure_quality(image).judge(thresholds)
}
