//! The model card: everything the library knows about a model, read from JSON.
//!
//! Nothing about a particular model is hard-coded in Rust: labels, normalisation,
//! resize policy and the patient-metadata encoding all come from here.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::image::{Fit, Resampling};
use crate::quality::QualityThresholds;

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
    /// The picture-quality thresholds for this model (a missing section or field takes
    /// the calibrated default of [`QualityThresholds`]).
    #[serde(default)]
    pub quality: QualityThresholds,
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
///
/// `color`, `layout`, `dtype`, `resize` and `crop` are closed sets: a card naming
/// anything else is an [`Error::InvalidCard`] that names the field and the value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputSpec {
    /// Model input width in pixels.
    pub width: u32,
    /// Model input height in pixels.
    pub height: u32,
    /// Channel order (`"rgb"`, the default).
    #[serde(default)]
    pub color: ColorOrder,
    /// Tensor layout (`"nhwc"`, the default).
    #[serde(default)]
    pub layout: TensorLayout,
    /// Element type the card expects; checked against the model when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtype: Option<InputDType>,
    /// Per-channel mean on the 0..=255 scale.
    #[serde(default = "zeros")]
    pub mean: [f32; 3],
    /// Per-channel standard deviation on the 0..=255 scale.
    #[serde(default = "ones")]
    pub std: [f32; 3],
    /// Resampling method (`"bilinear"`, the default).
    #[serde(default)]
    pub resize: ResizeMethod,
    /// Whether the picture is cropped to the model's aspect ratio before resizing
    /// (`"none"`, the default: stretched).
    #[serde(default)]
    pub crop: CropPolicy,
}

impl InputSpec {
    /// The fit policy named by `crop`.
    ///
    /// # Examples
    /// ```
    /// let json = std::fs::read_to_string("tests/data/mobilenet_tiny_int8.json").unwrap();
    /// let card = lesionscan::ModelCard::from_json(&json).unwrap();
    /// assert_eq!(card.input.fit(), lesionscan::Fit::Stretch);
    /// ```
    pub fn fit(&self) -> Fit {
        self.crop.fit()
    }
}

/// Declares a closed set of card spellings as an enum that (de)serialises as a string.
///
/// Each variant lists its spellings; the first is the one written back. Reading any
/// other string fails with a message naming the field, the value and what is accepted.
macro_rules! closed_set {
    (
        $(#[$meta:meta])*
        pub enum $name:ident in $field:literal {
            $(
                $(#[$vmeta:meta])*
                $variant:ident => $canonical:literal $(| $alias:literal)*,
            )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $(
                $(#[$vmeta])*
                $variant,
            )+
        }

        impl $name {
            /// The card field this value belongs to.
            const FIELD: &'static str = $field;

            /// The spelling written into a card.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $canonical,)+
                }
            }

            /// Every accepted spelling, in the order of the variants.
            fn accepted() -> &'static [&'static str] {
                &[$($canonical, $($alias,)*)+]
            }
        }

        impl std::str::FromStr for $name {
            type Err = Error;

            fn from_str(text: &str) -> Result<Self> {
                match text {
                    $($canonical $(| $alias)* => Ok(Self::$variant),)+
                    other => Err(Error::card(unknown_value(Self::FIELD, other, Self::accepted()))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
                let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
                text.parse().map_err(|_| {
                    serde::de::Error::custom(unknown_value(Self::FIELD, &text, Self::accepted()))
                })
            }
        }
    };
}

/// The message for a card value outside its closed set.
fn unknown_value(field: &str, got: &str, accepted: &[&str]) -> String {
    let accepted: Vec<String> = accepted.iter().map(|a| format!("{a:?}")).collect();
    format!(
        "{field} {got:?} is not supported (accepted: {})",
        accepted.join(", ")
    )
}

closed_set! {
    /// Channel order of the image input (`input.color`).
    ///
    /// # Examples
    /// ```
    /// use lesionscan::ColorOrder;
    /// assert_eq!("rgb".parse::<ColorOrder>().unwrap(), ColorOrder::Rgb);
    /// assert!("bgr".parse::<ColorOrder>().is_err());
    /// ```
    #[derive(Default)]
    pub enum ColorOrder in "input.color" {
        /// Red, green, blue.
        #[default]
        Rgb => "rgb",
    }
}

closed_set! {
    /// Memory layout of the image input (`input.layout`).
    ///
    /// # Examples
    /// ```
    /// use lesionscan::TensorLayout;
    /// assert_eq!("nhwc".parse::<TensorLayout>().unwrap(), TensorLayout::Nhwc);
    /// assert!("nchw".parse::<TensorLayout>().is_err());
    /// ```
    #[derive(Default)]
    pub enum TensorLayout in "input.layout" {
        /// Batch, height, width, channels (TensorFlow's layout).
        #[default]
        Nhwc => "nhwc",
    }
}

closed_set! {
    /// Element type of the image input as the card states it (`input.dtype`).
    ///
    /// # Examples
    /// ```
    /// use lesionscan::InputDType;
    /// assert_eq!("int8".parse::<InputDType>().unwrap(), InputDType::Int8);
    /// assert_eq!(InputDType::Float32.as_str(), "float32");
    /// ```
    pub enum InputDType in "input.dtype" {
        /// 32-bit float.
        Float32 => "float32",
        /// Unsigned 8-bit integer, quantised with the model's scale and zero point.
        Uint8 => "uint8",
        /// Signed 8-bit integer, quantised with the model's scale and zero point.
        Int8 => "int8",
    }
}

closed_set! {
    /// Resampling method (`input.resize`): the resize the model was trained with.
    ///
    /// # Examples
    /// ```
    /// use lesionscan::{ResizeMethod, Resampling};
    /// assert_eq!("bilinear".parse::<ResizeMethod>().unwrap(), ResizeMethod::Bilinear);
    /// let antialiased = "bilinear-antialias".parse::<ResizeMethod>().unwrap();
    /// assert_eq!(antialiased.resampling(), Resampling::Antialiased);
    /// assert!("bicubic".parse::<ResizeMethod>().is_err());
    /// ```
    #[derive(Default)]
    pub enum ResizeMethod in "input.resize" {
        /// TensorFlow's bilinear resize, antialiased from a 2x reduction on
        /// ([`Resampling::Bilinear`]).
        #[default]
        Bilinear => "bilinear",
        /// `tf.image.resize(method="bilinear", antialias=True)`: antialiased at every
        /// reduction ([`Resampling::Antialiased`]).
        BilinearAntialias => "bilinear-antialias" | "bilinear_antialias",
    }
}

closed_set! {
    /// Whether the picture is cropped to the model's aspect ratio (`input.crop`).
    ///
    /// # Examples
    /// ```
    /// use lesionscan::CropPolicy;
    /// assert_eq!("center-crop".parse::<CropPolicy>().unwrap(), CropPolicy::Center);
    /// assert_eq!("stretch".parse::<CropPolicy>().unwrap(), CropPolicy::Stretch);
    /// assert_eq!(CropPolicy::Stretch.as_str(), "none");
    /// ```
    #[derive(Default)]
    pub enum CropPolicy in "input.crop" {
        /// Crop the largest centred region with the model's aspect ratio, then scale.
        Center => "center" | "center-crop" | "center_crop",
        /// No crop: scale each axis independently.
        #[default]
        Stretch => "none" | "stretch",
    }
}

impl ResizeMethod {
    /// The image pipeline's resampling for this resize setting.
    pub fn resampling(self) -> Resampling {
        match self {
            Self::Bilinear => Resampling::Bilinear,
            Self::BilinearAntialias => Resampling::Antialiased,
        }
    }
}

impl CropPolicy {
    /// The image pipeline's fit policy for this crop setting.
    pub fn fit(self) -> Fit {
        match self {
            Self::Center => Fit::CenterCrop,
            Self::Stretch => Fit::Stretch,
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
        self.quality.validate()?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal valid card whose `input` object gets `extra` merged in.
    fn card_with_input(extra: serde_json::Value) -> String {
        let mut input = serde_json::json!({ "width": 8, "height": 6 });
        if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
            for (key, value) in extra {
                input.insert(key.clone(), value.clone());
            }
        }
        serde_json::json!({
            "id": "t",
            "version": "1.0.0",
            "input": input,
            "classes": [{ "code": "a", "name": "A", "malignant": false }]
        })
        .to_string()
    }

    fn input_of(extra: serde_json::Value) -> Result<InputSpec> {
        ModelCard::from_json(&card_with_input(extra)).map(|card| card.input)
    }

    fn invalid_card_reason(extra: serde_json::Value) -> String {
        match input_of(extra) {
            Err(Error::InvalidCard { reason }) => reason,
            other => panic!("expected InvalidCard, got {other:?}"),
        }
    }

    #[test]
    fn absent_closed_set_fields_take_their_defaults() {
        let input = input_of(serde_json::json!({})).expect("valid card");
        assert_eq!(input.color, ColorOrder::Rgb);
        assert_eq!(input.layout, TensorLayout::Nhwc);
        assert_eq!(input.dtype, None);
        assert_eq!(input.resize, ResizeMethod::Bilinear);
        assert_eq!(input.crop, CropPolicy::Stretch);
        assert_eq!(input.fit(), Fit::Stretch);
    }

    #[test]
    fn every_crop_spelling_maps_to_its_fit() {
        for (spelling, fit) in [
            ("center", Fit::CenterCrop),
            ("center-crop", Fit::CenterCrop),
            ("center_crop", Fit::CenterCrop),
            ("none", Fit::Stretch),
            ("stretch", Fit::Stretch),
        ] {
            let input = input_of(serde_json::json!({ "crop": spelling })).expect(spelling);
            assert_eq!(input.fit(), fit, "{spelling}");
        }
    }

    #[test]
    fn every_dtype_spelling_is_read() {
        for (spelling, dtype) in [
            ("float32", InputDType::Float32),
            ("uint8", InputDType::Uint8),
            ("int8", InputDType::Int8),
        ] {
            let input = input_of(serde_json::json!({ "dtype": spelling })).expect(spelling);
            assert_eq!(input.dtype, Some(dtype));
        }
    }

    #[test]
    fn unknown_values_are_invalid_cards_naming_field_and_value() {
        for (field, value) in [
            ("color", "bgr"),
            ("layout", "nchw"),
            ("dtype", "float16"),
            ("resize", "bicubic"),
            ("crop", "diagonal"),
        ] {
            let reason = invalid_card_reason(serde_json::json!({ field: value }));
            assert!(
                reason.contains(&format!("input.{field} \"{value}\" is not supported")),
                "{field}: {reason}"
            );
        }
    }

    #[test]
    fn unknown_crop_lists_every_accepted_spelling() {
        let reason = invalid_card_reason(serde_json::json!({ "crop": "fill" }));
        for spelling in ["center", "center-crop", "center_crop", "none", "stretch"] {
            assert!(reason.contains(&format!("\"{spelling}\"")), "{reason}");
        }
    }

    #[test]
    fn non_string_closed_set_value_is_an_invalid_card() {
        for field in ["color", "layout", "dtype", "resize", "crop"] {
            let reason = invalid_card_reason(serde_json::json!({ field: 3 }));
            assert!(reason.contains("expected a string"), "{field}: {reason}");
        }
    }

    #[test]
    fn aliases_are_written_back_in_their_canonical_spelling() {
        let card = ModelCard::from_json(&card_with_input(serde_json::json!({
            "crop": "center-crop", "dtype": "uint8", "color": "rgb"
        })))
        .expect("valid card");
        let written: serde_json::Value =
            serde_json::from_str(&card.to_json()).expect("to_json writes JSON");
        assert_eq!(written["input"]["crop"], "center");
        assert_eq!(written["input"]["dtype"], "uint8");
        assert_eq!(written["input"]["layout"], "nhwc");
        assert_eq!(written["input"]["resize"], "bilinear");
        assert_eq!(ModelCard::from_json(&card.to_json()), Ok(card));

        let stretched =
            ModelCard::from_json(&card_with_input(serde_json::json!({ "crop": "stretch" })))
                .expect("valid card");
        assert!(stretched.to_json().contains("\"crop\": \"none\""));
    }

    #[test]
    fn parsing_a_spelling_outside_a_card_gives_an_invalid_card() {
        assert_eq!("int8".parse::<InputDType>(), Ok(InputDType::Int8));
        assert!(matches!(
            "int4".parse::<InputDType>(),
            Err(Error::InvalidCard { reason }) if reason.contains("input.dtype \"int4\"")
        ));
        assert_eq!(CropPolicy::Center.to_string(), "center");
    }
}
