//! Is this picture good enough to judge? The report travels with every result.
//!
//! The checks themselves (sharpness, exposure, glare, lesion coverage) are being calibrated;
//! until they land every report says it was not assessed.

use serde::Serialize;

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
    /// The lesion is too far from the centre of the view, or cut by its edge
    /// (see [`QualityReport::lesion_offset`]).
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
/// Every measure is `None` when it was not (or could not be) measured.
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
    /// Fine detail, 0..=1 (higher is sharper); `None` on a picture with no detail at all.
    pub sharpness: Option<f32>,
    /// Mean brightness, 0..=1.
    pub exposure: Option<f32>,
    /// Fraction of the view covered by specular highlights, 0..=1.
    pub glare: Option<f32>,
    /// Fraction of the view the lesion covers, 0..=1; `None` when no lesion was found.
    pub lesion_coverage: Option<f32>,
    /// How far the lesion's centre lies from the centre of the view, 0..=1 (0 at the
    /// centre, 1 on the edge); `None` when no lesion was found.
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
