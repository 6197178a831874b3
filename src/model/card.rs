//! The model card: everything the library knows about a model, read from JSON.
//!
//! Nothing about a particular model is hard-coded in Rust: labels, normalisation,
//! resize policy and the patient-metadata encoding all come from here.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::image::Fit;

/// A model card (`<model>.json` beside `<model>.tflite`).
///
/// # Examples
/// ```
/// let json = std::fs::read_to_string("tests/data/mobilenet_tiny_int8.json").unwrap();
/// let card = lesionscan::ModelCard::from_json(&json).unwrap();
/// assert_eq!(card.classes.len(), 7);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    /// Stable identifier, reported in every result (`model_id`).
    pub id: String,
    /// Version of this model (semver).
    pub version: String,
    /// File name of the `.tflite` this card describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Lower-case hex SHA-256 of the `.tflite` bytes; checked on load when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// How a picture becomes the image input tensor.
    pub input: InputSpec,
    /// How patient information becomes the second input, for models that take one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_input: Option<MetadataSpec>,
    /// What the output tensor holds.
    #[serde(default)]
    pub output: OutputSpec,
    /// The classes, in the order of the output tensor.
    pub classes: Vec<ClassInfo>,
    /// Where the model came from: source, licence, author, training data, reported
    /// metrics. Free-form JSON, shown by `lesionscan info`.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub provenance: serde_json::Value,
}

/// How a picture becomes the image input tensor.
///
/// A tensor element is `(pixel - mean[c]) / std[c]` with `pixel` on the 0..=255 scale,
/// then, for integer inputs, quantised with the scale and zero point stored in the
/// model itself. `mean = 0, std = 255` gives the 0..1 range of Keras' `rescale=1/255`;
/// `mean = 127.5, std = 127.5` gives MobileNet's -1..1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputSpec {
    /// Model input width in pixels.
    pub width: u32,
    /// Model input height in pixels.
    pub height: u32,
    /// Channel order; only `"rgb"` is supported.
    #[serde(default = "default_color")]
    pub color: String,
    /// Tensor layout; only `"nhwc"` is supported.
    #[serde(default = "default_layout")]
    pub layout: String,
    /// Element type the card expects (`"float32"`, `"uint8"`, `"int8"`); checked against
    /// the model when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtype: Option<String>,
    /// Per-channel mean on the 0..=255 scale.
    #[serde(default = "zeros")]
    pub mean: [f32; 3],
    /// Per-channel standard deviation on the 0..=255 scale.
    #[serde(default = "ones")]
    pub std: [f32; 3],
    /// Resampling method; only `"bilinear"` is supported.
    #[serde(default = "default_resize")]
    pub resize: String,
    /// `"center"` (alias `"center-crop"`) crops to the model's aspect ratio first;
    /// `"none"` (alias `"stretch"`) scales each axis independently.
    #[serde(default = "default_crop")]
    pub crop: String,
}

impl InputSpec {
    /// The fit policy named by `crop`.
    ///
    /// # Errors
    /// [`Error::InvalidCard`] for an unknown policy.
    pub fn fit(&self) -> Result<Fit> {
        match self.crop.as_str() {
            "center" | "center-crop" | "center_crop" => Ok(Fit::CenterCrop),
            "none" | "stretch" => Ok(Fit::Stretch),
            other => Err(Error::card(format!(
                "input.crop must be \"center\" or \"none\", got {other:?}"
            ))),
        }
    }
}

/// How patient information is encoded into the model's second (rank-2) input.
///
/// Every value is written into a vector of `length` numbers that starts as zeros.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetadataSpec {
    /// Number of values in the metadata vector.
    pub length: usize,
    /// One-hot encoding of sex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<OneHot>,
    /// One-hot encoding of the body site; keys are the HAM10000 localisation
    /// vocabulary (`"lower extremity"`, `"back"`, …), several keys may share an index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<OneHot>,
    /// Scalar encoding of age.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age: Option<AgeEncoding>,
}

/// A one-hot field: the index set to 1.0 for each known value, and the index used
/// when the value is absent or unknown (`None`: leave all zeros).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneHot {
    /// Value name to index.
    pub indices: BTreeMap<String, usize>,
    /// Index to set when the value is absent or unknown.
    #[serde(default)]
    pub missing: Option<usize>,
}

/// Age as one scaled number, with what to write when it is unknown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeEncoding {
    /// Index of the age value.
    pub index: usize,
    /// The value written is `age / divide_by`.
    pub divide_by: f32,
    /// Value written at `index` when age is unknown (for example the training mean, scaled).
    pub missing_value: f32,
    /// Index set to 1.0 when age is unknown, if the model has such a flag.
    #[serde(default)]
    pub missing_flag_index: Option<usize>,
}

/// What the output tensor holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OutputSpec {
    /// `"probabilities"` (used as they are) or `"logits"` (softmax applied).
    #[serde(default)]
    pub kind: OutputKind,
}

/// See [`OutputSpec::kind`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputKind {
    /// The model ends in a softmax.
    #[default]
    Probabilities,
    /// Raw scores; the library applies softmax.
    Logits,
}

/// One output class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassInfo {
    /// Short code (HAM10000 `dx`: `akiec`, `bcc`, `bkl`, `df`, `mel`, `nv`, `vasc`).
    pub code: String,
    /// Full name for people.
    pub name: String,
    /// Whether this class counts towards `malignant_probability`.
    pub malignant: bool,
    /// A short plain-language description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

fn default_color() -> String {
    "rgb".into()
}
fn default_layout() -> String {
    "nhwc".into()
}
fn default_resize() -> String {
    "bilinear".into()
}
fn default_crop() -> String {
    "none".into()
}
fn zeros() -> [f32; 3] {
    [0.0; 3]
}
fn ones() -> [f32; 3] {
    [1.0; 3]
}

impl ModelCard {
    /// Parses and checks a card on its own (without the model).
    ///
    /// # Errors
    /// [`Error::InvalidCard`] for malformed JSON or inconsistent content.
    pub fn from_json(json: &str) -> Result<Self> {
        let card: ModelCard = serde_json::from_str(json)
            .map_err(|e| Error::card(format!("not a valid model card: {e}")))?;
        card.validate()?;
        Ok(card)
    }

    /// The card as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks everything that can be checked without the model.
    ///
    /// # Errors
    /// [`Error::InvalidCard`] naming the first problem found.
    pub fn validate(&self) -> Result<()> {
        if self.id.trim().is_empty() {
            return Err(Error::card("id is empty"));
        }
        if self.classes.is_empty() {
            return Err(Error::card("classes is empty"));
        }
        let mut codes = std::collections::HashSet::new();
        for class in &self.classes {
            if class.code.trim().is_empty() {
                return Err(Error::card("a class has an empty code"));
            }
            if !codes.insert(class.code.as_str()) {
                return Err(Error::card(format!(
                    "class code {:?} appears twice",
                    class.code
                )));
            }
        }
        let input = &self.input;
        if input.width == 0 || input.height == 0 || input.width > 4096 || input.height > 4096 {
            return Err(Error::card(
                "input width and height must be within 1..=4096",
            ));
        }
        if input.color != "rgb" {
            return Err(Error::card(format!(
                "input.color {:?} is not supported (only \"rgb\")",
                input.color
            )));
        }
        if input.layout != "nhwc" {
            return Err(Error::card(format!(
                "input.layout {:?} is not supported (only \"nhwc\")",
                input.layout
            )));
        }
        if input.resize != "bilinear" {
            return Err(Error::card(format!(
                "input.resize {:?} is not supported (only \"bilinear\")",
                input.resize
            )));
        }
        if let Some(dtype) = &input.dtype {
            if !matches!(dtype.as_str(), "float32" | "uint8" | "int8") {
                return Err(Error::card(format!(
                    "input.dtype {dtype:?} is not float32, uint8 or int8"
                )));
            }
        }
        input.fit()?;
        if input.mean.iter().any(|m| !m.is_finite()) {
            return Err(Error::card("input.mean must be finite"));
        }
        if input.std.iter().any(|s| !s.is_finite() || *s <= 0.0) {
            return Err(Error::card("input.std must be finite and positive"));
        }
        if let Some(sha) = &self.sha256 {
            if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(Error::card("sha256 must be 64 hex digits"));
            }
        }
        if let Some(meta) = &self.metadata_input {
            meta.validate()?;
        }
        Ok(())
    }

    /// Indices of the classes marked malignant.
    pub fn malignant_indices(&self) -> impl Iterator<Item = usize> + '_ {
        self.classes
            .iter()
            .enumerate()
            .filter(|(_, c)| c.malignant)
            .map(|(i, _)| i)
    }
}

impl MetadataSpec {
    fn validate(&self) -> Result<()> {
        if self.length == 0 || self.length > 4096 {
            return Err(Error::card("metadata_input.length must be within 1..=4096"));
        }
        let check = |what: &str, index: usize| {
            if index >= self.length {
                Err(Error::card(format!(
                    "metadata_input.{what} index {index} is outside the vector of length {}",
                    self.length
                )))
            } else {
                Ok(())
            }
        };
        for (what, one_hot) in [("sex", &self.sex), ("site", &self.site)] {
            if let Some(one_hot) = one_hot {
                for &index in one_hot.indices.values() {
                    check(what, index)?;
                }
                if let Some(index) = one_hot.missing {
                    check(what, index)?;
                }
            }
        }
        if let Some(age) = &self.age {
            check("age", age.index)?;
            if let Some(flag) = age.missing_flag_index {
                check("age.missing_flag", flag)?;
            }
            if !age.divide_by.is_finite() || age.divide_by == 0.0 || !age.missing_value.is_finite()
            {
                return Err(Error::card("metadata_input.age needs a finite non-zero divide_by and a finite missing_value"));
            }
        }
        Ok(())
    }
}
