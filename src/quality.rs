//! Is this picture good enough to judge? The report travels with every result.
//!
//! The checks themselves (sharpness, exposure, lesion coverage) arrive with the quality
//! gate; until then every report says it was not assessed.

use serde::Serialize;

/// How fit the picture was for classification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualityReport {
    /// Whether any quality check ran. When `false`, `usable` carries no information.
    pub assessed: bool,
    /// Sharpness score (higher is sharper), when measured.
    pub sharpness: Option<f32>,
    /// Mean brightness on 0..=1, when measured.
    pub exposure: Option<f32>,
    /// Whether the picture passed every check that ran.
    pub usable: bool,
    /// What was wrong, in short codes (`"blurry"`, `"too_dark"`, …).
    pub issues: Vec<String>,
}

impl QualityReport {
    /// The report when no check ran.
    pub fn not_assessed() -> Self {
        Self {
            assessed: false,
            sharpness: None,
            exposure: None,
            usable: true,
            issues: Vec::new(),
        }
    }
}
