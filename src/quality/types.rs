//! The quality gate's types: the report, its issues, the raw measures and the thresholds
//! that turn measures into issues.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One reason a picture is not fit to judge.
///
/// In JSON (and in [`QualityIssue::code`]) each issue is a short snake_case code:
/// `"blurry"`, `"too_dark"`, `"too_bright"`, `"glare"`, `"no_lesion"`, `"off_centre"`,
/// `"too_small"`.
///
/// # Examples
/// ```
/// use lesionscan::QualityIssue;
///
/// assert_eq!(QualityIssue::TooDark.code(), "too_dark");
/// assert_eq!(serde_json::to_string(&QualityIssue::OffCentre)?, "\"off_centre\"");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QualityIssue {
    /// Out of focus or moving: too little fine detail (see [`QualityReport::sharpness`]).
    Blurry,
    /// Underexposed (see [`QualityReport::exposure`]).
    TooDark,
    /// Overexposed or washed out, typically by a flash (see [`QualityReport::exposure`]).
    TooBright,
    /// Specular highlights cover too much of the view (see [`QualityReport::glare`]).
    Glare,
    /// No lesion stands out from the skin (plain skin, or a blank picture).
    NoLesion,
    /// The lesion's centre is too far from the centre of the view, as when the lesion
    /// sits at the edge or is partly cut off (see [`QualityReport::lesion_offset`]).
    OffCentre,
    /// The lesion covers too small a part of the view: move closer or zoom in
    /// (see [`QualityReport::lesion_coverage`]).
    TooSmall,
}

impl QualityIssue {
    /// Every issue, in the order reports list them.
    pub const ALL: [QualityIssue; 7] = [
        QualityIssue::Blurry,
        QualityIssue::TooDark,
        QualityIssue::TooBright,
        QualityIssue::Glare,
        QualityIssue::NoLesion,
        QualityIssue::OffCentre,
        QualityIssue::TooSmall,
    ];

    /// The short code used in JSON: `"blurry"`, `"too_dark"`, `"too_bright"`, `"glare"`,
    /// `"no_lesion"`, `"off_centre"` or `"too_small"`.
    pub fn code(self) -> &'static str {
        match self {
            QualityIssue::Blurry => "blurry",
            QualityIssue::TooDark => "too_dark",
            QualityIssue::TooBright => "too_bright",
            QualityIssue::Glare => "glare",
            QualityIssue::NoLesion => "no_lesion",
            QualityIssue::OffCentre => "off_centre",
            QualityIssue::TooSmall => "too_small",
        }
    }

    /// A short hint a camera app can show the person holding the phone.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(lesionscan::QualityIssue::Blurry.advice(), "hold still and let the camera focus");
    /// ```
    pub fn advice(self) -> &'static str {
        match self {
            QualityIssue::Blurry => "hold still and let the camera focus",
            QualityIssue::TooDark => "add light",
            QualityIssue::TooBright => "reduce the light or turn off the flash",
            QualityIssue::Glare => "tilt the camera to avoid reflections",
            QualityIssue::NoLesion => "point the camera at the lesion",
            QualityIssue::OffCentre => "centre the lesion in the view",
            QualityIssue::TooSmall => "move closer to the lesion",
        }
    }
}

impl std::fmt::Display for QualityIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// How fit the picture was for classification, measured on the picture the model saw
/// (after orientation, rotation, region of interest and crop).
///
/// Every measure is `None` when it was not (or could not be) measured. How each is
/// computed, on which pixels and with what range: [`QualityMeasures`]; how the thresholds
/// were chosen: `models/QUALITY.md`.
///
/// # Examples
/// ```
/// use lesionscan::QualityReport;
///
/// let report = QualityReport::not_assessed();
/// assert!(!report.assessed && report.usable && report.issues.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualityReport {
    /// Whether the quality checks ran. When `false`, `usable` carries no information.
    pub assessed: bool,
    /// Whether the picture passed every check (`issues` is empty).
    pub usable: bool,
    /// Fine detail, 0..=1 (higher is sharper; see [`QualityMeasures::sharpness`]); `None`
    /// on a picture with no detail at all.
    pub sharpness: Option<f32>,
    /// Mean brightness, 0..=1 (see [`QualityMeasures::exposure`]).
    pub exposure: Option<f32>,
    /// Fraction of the view covered by specular highlights, 0..=1 (see
    /// [`QualityMeasures::glare`]).
    pub glare: Option<f32>,
    /// Fraction of the view the lesion covers, 0..=1; `None` when no lesion was found
    /// (see [`QualityMeasures::lesion_coverage`]).
    pub lesion_coverage: Option<f32>,
    /// How far the lesion's centre lies from the centre of the view, 0..=1 (0 at the
    /// centre, 1 on the edge); `None` when no lesion was found (see
    /// [`QualityMeasures::lesion_offset`]).
    pub lesion_offset: Option<f32>,
    /// What is wrong, in the order of [`QualityIssue::ALL`]; empty when usable.
    pub issues: Vec<QualityIssue>,
}

impl QualityReport {
    /// The report when no check ran: not assessed, no measures, no issues.
    pub fn not_assessed() -> Self {
        Self {
            assessed: false,
            usable: true,
            sharpness: None,
            exposure: None,
            glare: None,
            lesion_coverage: None,
            lesion_offset: None,
            issues: Vec::new(),
        }
    }
}

/// The raw quality measures of one picture, before any threshold.
///
/// All are computed on the picture the model sees (after orientation, rotation, region of
/// interest and crop): sharpness on its luma detail copy
/// ([`PreparedImage::detail`](crate::PreparedImage::detail), up to
/// [`DETAIL_SIDE`](crate::DETAIL_SIDE) pixels a side), the others on the model-sized RGB
/// picture. [`QualityMeasures::judge`] turns them into a [`QualityReport`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QualityMeasures {
    /// How much of the picture's fine detail survives at the finest scale, 0..=1.
    ///
    /// For each of four directions (horizontal, vertical, both diagonals), `d1` is the
    /// mean squared difference between neighbouring pixels of the detail copy and `d2`
    /// the same on a copy halved by 2x2 averaging; the direction scores
    /// `1 - d2 / (4 d1)`, clamped to 0..=1, and the sharpness is the lowest of the four
    /// (so that motion blur in any one direction counts). A picture with no detail finer
    /// than two pixels (a smooth ramp, a strong blur) scores 0; white noise scores about
    /// 0.94; sharp photos of skin score about 0.4 to 0.75. The score depends on the ratio
    /// of the two scales only, not on contrast or brightness. `None` when the detail copy
    /// is smaller than 8x8 or has no detail at all (root mean squared neighbour
    /// difference under 0.5 grey levels: a uniform picture).
    pub sharpness: Option<f32>,
    /// Mean BT.601 luma (`0.299 R + 0.587 G + 0.114 B`) of the model-sized picture
    /// divided by 255: 0 is black, 1 is white.
    pub exposure: f32,
    /// Fraction of the model-sized picture's pixels with at least one channel at or above
    /// [`CLIPPED_LEVEL`] (blown out), 0..=1. Overexposure clips the red of skin first, so
    /// this rises long before the mean brightness does.
    pub clipped: f32,
    /// Fraction of the model-sized picture's pixels whose red, green and blue are all at
    /// least [`GLARE_LEVEL`] (white, washed-out specular highlights), 0..=1.
    pub glare: f32,
    /// How much darker the lesion candidate is than the skin, 0..=1: Weber contrast
    /// `(skin - lesion) / skin` in the mean of green and blue (melanin and blood both
    /// absorb them), the skin being the 90th percentile of the central disc of the view
    /// and the lesion the mean of the candidate region (see [`QualityMeasures::lesion_coverage`]).
    /// Near 0.1 on plain skin, 0 on a uniform picture, 0.2 to 0.6 on lesions.
    pub lesion_contrast: f32,
    /// Fraction of the view covered by the lesion candidate, 0..=1; `None` when there is
    /// none. The candidate is found on the smoothed green-blue mean: every pixel darker
    /// than half way between the skin level and the darkest point of the central disc,
    /// grouped into 8-connected regions, the one with the largest
    /// `area x (1 - offset)²` winning (large and central).
    pub lesion_coverage: Option<f32>,
    /// Distance of the lesion candidate's centroid from the centre of the view, 0..=1:
    /// `max(|dx| / (w / 2), |dy| / (h / 2))`, so 0 is the centre and 1 the edge of the
    /// view; `None` when there is none.
    pub lesion_offset: Option<f32>,
    /// The lesion candidate's centroid as `[x, y]` fractions of the view's width and
    /// height (`[0.5, 0.5]` is the centre), so that an app can say which way to move;
    /// `None` when there is none.
    pub lesion_centre: Option<[f32; 2]>,
}

/// Pixels whose red, green and blue are all at least this (on 0..=255) count as glare.
pub const GLARE_LEVEL: f32 = 240.0;

/// Pixels with any channel at least this (on 0..=255) count as clipped.
pub const CLIPPED_LEVEL: f32 = 250.0;

/// Where each measure stops being acceptable. The defaults were chosen on degraded real
/// pictures (`models/QUALITY.md`); a model card can override any of them in its
/// `quality` section, for a model or a camera that needs other limits.
///
/// # Examples
/// ```
/// use lesionscan::QualityThresholds;
///
/// let strict: QualityThresholds = serde_json::from_str(r#"{ "min_sharpness": 0.5 }"#)?;
/// assert_eq!(strict.min_sharpness, 0.5);
/// assert_eq!(strict.max_glare, QualityThresholds::default().max_glare);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QualityThresholds {
    /// [`QualityIssue::Blurry`] below this [`QualityMeasures::sharpness`].
    pub min_sharpness: f32,
    /// [`QualityIssue::TooDark`] below this [`QualityMeasures::exposure`].
    pub min_exposure: f32,
    /// [`QualityIssue::TooBright`] above this [`QualityMeasures::exposure`].
    pub max_exposure: f32,
    /// [`QualityIssue::TooBright`] also above this [`QualityMeasures::clipped`].
    pub max_clipped: f32,
    /// [`QualityIssue::Glare`] above this [`QualityMeasures::glare`] (not reported when
    /// the picture is too bright overall).
    pub max_glare: f32,
    /// [`QualityIssue::NoLesion`] below this [`QualityMeasures::lesion_contrast`] (or when
    /// no candidate region exists).
    pub min_lesion_contrast: f32,
    /// [`QualityIssue::TooSmall`] below this [`QualityMeasures::lesion_coverage`].
    pub min_lesion_coverage: f32,
    /// [`QualityIssue::OffCentre`] above this [`QualityMeasures::lesion_offset`].
    pub max_lesion_offset: f32,
}

impl Default for QualityThresholds {
    /// The calibrated defaults (see `models/QUALITY.md`).
    fn default() -> Self {
        Self {
            min_sharpness: 0.31,
            min_exposure: 0.4,
            max_exposure: 0.85,
            max_clipped: 0.35,
            max_glare: 0.03,
            min_lesion_contrast: 0.18,
            min_lesion_coverage: 0.005,
            max_lesion_offset: 0.65,
        }
    }
}

impl QualityThresholds {
    /// Checks that every threshold is a finite number in 0..=1 and that
    /// `min_exposure < max_exposure`.
    ///
    /// # Errors
    /// [`Error::InvalidCard`] naming the first bad threshold (thresholds come from model
    /// cards).
    pub fn validate(&self) -> Result<()> {
        let all = [
            ("min_sharpness", self.min_sharpness),
            ("min_exposure", self.min_exposure),
            ("max_exposure", self.max_exposure),
            ("max_clipped", self.max_clipped),
            ("max_glare", self.max_glare),
            ("min_lesion_contrast", self.min_lesion_contrast),
            ("min_lesion_coverage", self.min_lesion_coverage),
            ("max_lesion_offset", self.max_lesion_offset),
        ];
        for (name, value) in all {
            if !value.is_finite() || !(0.0..=1.0).contains(&value) {
                return Err(Error::card(format!(
                    "quality.{name} must be a number within 0..=1, not {value}"
                )));
            }
        }
        if self.min_exposure >= self.max_exposure {
            return Err(Error::card(
                "quality.min_exposure must be below quality.max_exposure",
            ));
        }
        Ok(())
    }
}

impl QualityMeasures {
    /// The issues these measures have under `thresholds`, and the report that carries
    /// both.
    ///
    /// In order: [`QualityIssue::Blurry`] when the sharpness is below
    /// `min_sharpness`, unless the exposure is wrong (clipping and darkness flatten
    /// detail, and the fix is the light: focus is judged again on the next picture), and
    /// not for a picture without any detail (nothing to focus on: it is reported as
    /// [`QualityIssue::NoLesion`]);
    /// [`QualityIssue::TooDark`] below `min_exposure`; [`QualityIssue::TooBright`] above
    /// `max_exposure` or `max_clipped`; [`QualityIssue::Glare`] above `max_glare` unless the picture is too bright
    /// overall (then the highlights are the overexposure); [`QualityIssue::NoLesion`]
    /// when the lesion contrast is below `min_lesion_contrast` or no candidate exists;
    /// otherwise [`QualityIssue::OffCentre`] and [`QualityIssue::TooSmall`] from the
    /// candidate's offset and coverage. A lesion that is not found has no coverage or
    /// offset in the report.
    ///
    /// # Examples
    /// ```
    /// use lesionscan::{QualityIssue, QualityMeasures, QualityThresholds};
    ///
    /// let measures = QualityMeasures {
    ///     sharpness: Some(0.05),
    ///     exposure: 0.5,
    ///     clipped: 0.0,
    ///     glare: 0.0,
    ///     lesion_contrast: 0.4,
    ///     lesion_coverage: Some(0.2),
    ///     lesion_offset: Some(0.1),
    ///     lesion_centre: Some([0.55, 0.5]),
    /// };
    /// let report = measures.judge(&QualityThresholds::default());
    /// assert!(report.assessed && !report.usable);
    /// assert_eq!(report.issues, [QualityIssue::Blurry]);
    /// ```
    pub fn judge(&self, thresholds: &QualityThresholds) -> QualityReport {
        let t = thresholds;
        let mut issues = Vec::new();
        let too_dark = self.exposure < t.min_exposure;
        let too_bright = self.exposure > t.max_exposure || self.clipped > t.max_clipped;
        if self.sharpness.is_some_and(|s| s < t.min_sharpness) && !too_dark && !too_bright {
            issues.push(QualityIssue::Blurry);
        }
        if too_dark {
            issues.push(QualityIssue::TooDark);
        }
        if too_bright {
            issues.push(QualityIssue::TooBright);
        }
        if self.glare > t.max_glare && !too_bright {
            issues.push(QualityIssue::Glare);
        }
        let found = self.lesion_contrast >= t.min_lesion_contrast
            && self.lesion_coverage.is_some()
            && self.lesion_offset.is_some();
        let (coverage, offset) = if found {
            (self.lesion_coverage, self.lesion_offset)
        } else {
            (None, None)
        };
        match (coverage, offset) {
            (Some(coverage), Some(offset)) => {
                if offset > t.max_lesion_offset {
                    issues.push(QualityIssue::OffCentre);
                }
                if coverage < t.min_lesion_coverage {
                    issues.push(QualityIssue::TooSmall);
                }
            }
            _ => issues.push(QualityIssue::NoLesion),
        }
        QualityReport {
            assessed: true,
            usable: issues.is_empty(),
            sharpness: self.sharpness,
            exposure: Some(self.exposure),
            glare: Some(self.glare),
            lesion_coverage: coverage,
            lesion_offset: offset,
            issues,
        }
    }
}
