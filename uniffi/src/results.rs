//! What a caller gets back: the classification and the description of a loaded model.
//!
//! Each record is made from the core's type in one `From` that destructures it without
//! `..`, so a field added to the core breaks the build here instead of being dropped.

use crate::options::{Accelerator, Precision};

/// One class in a result.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Category {
    /// Position of the class in the model's output.
    pub index: u32,
    /// Class code from the card (`mel`, `nv`, …).
    pub code: String,
    /// Full name from the card.
    pub name: String,
    /// Probability in 0..=1.
    pub probability: f32,
    /// Whether the card marks this class malignant.
    pub malignant: bool,
}

impl From<lesionscan::Category> for Category {
    fn from(value: lesionscan::Category) -> Self {
        let lesionscan::Category {
            index,
            code,
            name,
            probability,
            malignant,
        } = value;
        Self {
            index,
            code,
            name,
            probability,
            malignant,
        }
    }
}

/// Time spent in each stage, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct Timings {
    /// Decoding or frame conversion, resizing, tensor writing.
    pub preprocess_us: u64,
    /// The model itself (including waiting for the session when other threads use it).
    pub inference_us: u64,
    /// Dequantising, softmax, ranking.
    pub postprocess_us: u64,
}

impl From<lesionscan::Timings> for Timings {
    fn from(value: lesionscan::Timings) -> Self {
        let lesionscan::Timings {
            preprocess_us,
            inference_us,
            postprocess_us,
        } = value;
        Self {
            preprocess_us,
            inference_us,
            postprocess_us,
        }
    }
}

/// One reason a picture is not fit to judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum QualityIssue {
    /// Out of focus or moving: too little fine detail.
    Blurry,
    /// Underexposed.
    TooDark,
    /// Overexposed or washed out, typically by a flash.
    TooBright,
    /// Specular highlights cover too much of the view.
    Glare,
    /// No lesion stands out from the skin.
    NoLesion,
    /// The lesion is too far from the centre of the view, or cut by its edge.
    OffCentre,
    /// The lesion covers too small a part of the view.
    TooSmall,
}

impl From<lesionscan::QualityIssue> for QualityIssue {
    fn from(value: lesionscan::QualityIssue) -> Self {
        use lesionscan::QualityIssue as Core;
        match value {
            Core::Blurry => Self::Blurry,
            Core::TooDark => Self::TooDark,
            Core::TooBright => Self::TooBright,
            Core::Glare => Self::Glare,
            Core::NoLesion => Self::NoLesion,
            Core::OffCentre => Self::OffCentre,
            Core::TooSmall => Self::TooSmall,
        }
    }
}

/// The short code of a quality issue (`"blurry"`, `"too_dark"`, …), as in the CLI's JSON.
#[uniffi::export]
pub fn quality_issue_code(issue: QualityIssue) -> String {
    core_issue(issue).code().to_string()
}

/// A short hint a camera app can show the person holding the phone
/// (`"hold still and let the camera focus"`, …).
#[uniffi::export]
pub fn quality_issue_advice(issue: QualityIssue) -> String {
    core_issue(issue).advice().to_string()
}

fn core_issue(issue: QualityIssue) -> lesionscan::QualityIssue {
    use lesionscan::QualityIssue as Core;
    match issue {
        QualityIssue::Blurry => Core::Blurry,
        QualityIssue::TooDark => Core::TooDark,
        QualityIssue::TooBright => Core::TooBright,
        QualityIssue::Glare => Core::Glare,
        QualityIssue::NoLesion => Core::NoLesion,
        QualityIssue::OffCentre => Core::OffCentre,
        QualityIssue::TooSmall => Core::TooSmall,
    }
}

/// How fit the picture was for classification, measured on the picture the model saw.
/// Each measure is `null` when it was not (or could not be) measured.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct QualityReport {
    /// Whether the quality checks ran. When `false`, `usable` carries no information.
    pub assessed: bool,
    /// Whether the picture passed every check (`issues` is empty).
    pub usable: bool,
    /// Fine detail, 0..=1 (higher is sharper).
    pub sharpness: Option<f32>,
    /// Mean brightness, 0..=1.
    pub exposure: Option<f32>,
    /// Fraction of the view covered by specular highlights, 0..=1.
    pub glare: Option<f32>,
    /// Fraction of the view the lesion covers, 0..=1; `null` when no lesion was found.
    pub lesion_coverage: Option<f32>,
    /// How far the lesion's centre lies from the centre of the view, 0..=1 (0 at the
    /// centre, 1 on the edge); `null` when no lesion was found.
    pub lesion_offset: Option<f32>,
    /// What is wrong; empty when usable.
    pub issues: Vec<QualityIssue>,
}

impl From<lesionscan::QualityReport> for QualityReport {
    fn from(value: lesionscan::QualityReport) -> Self {
        let lesionscan::QualityReport {
            assessed,
            usable,
            sharpness,
            exposure,
            glare,
            lesion_coverage,
            lesion_offset,
            issues,
        } = value;
        Self {
            assessed,
            usable,
            sharpness,
            exposure,
            glare,
            lesion_coverage,
            lesion_offset,
            issues: issues.into_iter().map(Into::into).collect(),
        }
    }
}

/// The result of classifying one picture. **Not a diagnosis.**
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Classification {
    /// Classes by descending probability, after the options' allow/deny lists, threshold
    /// and `max_results`.
    pub categories: Vec<Category>,
    /// Sum of the probabilities of every class the card marks malignant (before any
    /// filtering).
    pub malignant_probability: f32,
    /// Whether the picture was fit to judge.
    pub quality: QualityReport,
    /// Time per stage.
    pub timings: Timings,
    /// The inference runtime (`"litert"`).
    pub engine: String,
    /// The accelerator that actually ran the model.
    pub accelerator: Accelerator,
    /// The arithmetic the model's floating-point operators ran in: `FLOAT32` unless
    /// `ClassifierOptions.halfPrecision` was asked for and took effect (or the GPU/NPU
    /// chose its own).
    pub precision: Precision,
    /// The card's model id.
    pub model_id: String,
}

impl From<lesionscan::Classification> for Classification {
    fn from(value: lesionscan::Classification) -> Self {
        let lesionscan::Classification {
            categories,
            malignant_probability,
            quality,
            timings,
            engine,
            accelerator,
            precision,
            model_id,
        } = value;
        Self {
            categories: categories.into_iter().map(Into::into).collect(),
            malignant_probability,
            quality: quality.into(),
            timings: timings.into(),
            engine,
            accelerator: accelerator.into(),
            precision: precision.into(),
            model_id,
        }
    }
}

/// One class of a model, from its card.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ClassInfo {
    /// Short code (`akiec`, `bcc`, `bkl`, `df`, `mel`, `nv`, `vasc` for HAM10000).
    pub code: String,
    /// Full name for people.
    pub name: String,
    /// Whether this class counts towards `malignantProbability`.
    pub malignant: bool,
    /// A short plain-language description (may be empty).
    pub description: String,
}

impl From<lesionscan::ClassInfo> for ClassInfo {
    fn from(value: lesionscan::ClassInfo) -> Self {
        let lesionscan::ClassInfo {
            code,
            name,
            malignant,
            description,
        } = value;
        Self {
            code,
            name,
            malignant,
            description,
        }
    }
}

/// Per-tensor quantisation parameters.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct Quantization {
    /// Scale.
    pub scale: f32,
    /// Zero point.
    pub zero_point: i64,
}

/// Name, shape, element type and quantisation of one model input or output.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TensorInfo {
    /// Tensor name in the model.
    pub name: String,
    /// Dimensions (`[1, height, width, 3]` for an NHWC image).
    pub shape: Vec<u64>,
    /// Element type: `float32`, `uint8`, `int8`, `int32`, `float16`, or the runtime's name.
    pub dtype: String,
    /// Per-tensor quantisation, when the tensor is quantised.
    pub quantization: Option<Quantization>,
}

impl From<lesionscan::TensorInfo> for TensorInfo {
    fn from(value: lesionscan::TensorInfo) -> Self {
        let lesionscan::TensorInfo {
            name,
            shape,
            dtype,
            quantization,
        } = value;
        Self {
            name,
            shape: shape.into_iter().map(|d| d as u64).collect(),
            dtype: dtype.name().to_string(),
            quantization: quantization.map(|q| {
                let lesionscan::Quantization { scale, zero_point } = q;
                Quantization { scale, zero_point }
            }),
        }
    }
}

/// A loaded model: what its card says, its tensors, and where it runs.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ModelInfo {
    /// The card's model id, reported in every result.
    pub model_id: String,
    /// The model's version.
    pub version: String,
    /// The classes, in the order of the model's output.
    pub classes: Vec<ClassInfo>,
    /// Input width the model expects, in pixels.
    pub input_width: u32,
    /// Input height the model expects, in pixels.
    pub input_height: u32,
    /// Whether the model takes patient information (age, sex, site) beside the picture.
    pub uses_patient_info: bool,
    /// The SHA-256 of the model file the card names, when it gives one.
    pub sha256: Option<String>,
    /// The whole card as JSON, provenance and licence included.
    pub card_json: String,
    /// The model's inputs as the model declares them.
    pub inputs: Vec<TensorInfo>,
    /// The model's outputs as the model declares them.
    pub outputs: Vec<TensorInfo>,
    /// The inference runtime (`"litert"`).
    pub engine: String,
    /// The accelerator that runs it.
    pub accelerator: Accelerator,
    /// The arithmetic its floating-point operators run in (see `Classification.precision`).
    pub precision: Precision,
    /// The weight cache file in use, when `ClassifierOptions.cacheDir` was given and the
    /// file could be written or read; `null` otherwise.
    pub weight_cache: Option<String>,
}

impl From<lesionscan::ModelInfo> for ModelInfo {
    fn from(value: lesionscan::ModelInfo) -> Self {
        let lesionscan::ModelInfo {
            card,
            inputs,
            outputs,
            engine,
            accelerator,
            precision,
            weight_cache,
        } = value;
        let card_json = card.to_json();
        let lesionscan::ModelCard {
            id,
            version,
            file: _,
            sha256,
            input,
            metadata_input,
            output: _,
            classes,
            provenance: _,
            // The quality thresholds a card may set: in `card_json`.
            quality: _,
        } = card;
        Self {
            model_id: id,
            version,
            classes: classes.into_iter().map(Into::into).collect(),
            input_width: input.width,
            input_height: input.height,
            uses_patient_info: metadata_input.is_some(),
            sha256,
            card_json,
            inputs: inputs.into_iter().map(Into::into).collect(),
            outputs: outputs.into_iter().map(Into::into).collect(),
            engine,
            accelerator: accelerator.into(),
            precision: precision.into(),
            weight_cache: weight_cache.map(|path| path.to_string_lossy().into_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_issues_round_trip_with_the_cores_codes() {
        for issue in lesionscan::QualityIssue::ALL {
            let exported = QualityIssue::from(issue);
            assert_eq!(core_issue(exported), issue);
            assert_eq!(quality_issue_code(exported), issue.code());
            assert_eq!(quality_issue_advice(exported), issue.advice());
        }
    }
}
