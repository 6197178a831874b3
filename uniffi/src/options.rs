//! What a caller passes in: classifier options, per-picture options, patient facts, and
//! the enums they use. Each record converts into the core's type in one `From`, which
//! names every field so that a field added to the core breaks the build here.
//!
//! Every record field has a default, so `ClassifierOptions()`, `ImageOptions()` and
//! `PatientInfo()` need no arguments. uniffi 0.32's proc-macros cannot give an enum
//! field a default, so enum-typed options are nullable, with `null` meaning the default
//! (`Accelerator.AUTO`, `Rotation.R0`).

/// Which hardware runs the model. The result reports the one that actually ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Accelerator {
    /// The best the device has (NPU, then GPU), falling back to the CPU.
    Auto,
    /// CPU through XNNPACK.
    Cpu,
    /// GPU (OpenCL/OpenGL on Android); falls back to the CPU when absent.
    Gpu,
    /// NPU through LiteRT's vendor dispatch; falls back to the CPU when absent.
    Npu,
}

impl From<Accelerator> for lesionscan::Accelerator {
    fn from(value: Accelerator) -> Self {
        match value {
            Accelerator::Auto => Self::Auto,
            Accelerator::Cpu => Self::Cpu,
            Accelerator::Gpu => Self::Gpu,
            Accelerator::Npu => Self::Npu,
        }
    }
}

impl From<lesionscan::Accelerator> for Accelerator {
    fn from(value: lesionscan::Accelerator) -> Self {
        match value {
            lesionscan::Accelerator::Auto => Self::Auto,
            lesionscan::Accelerator::Cpu => Self::Cpu,
            lesionscan::Accelerator::Gpu => Self::Gpu,
            lesionscan::Accelerator::Npu => Self::Npu,
        }
    }
}

/// A clockwise rotation by a multiple of 90 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Rotation {
    /// No rotation.
    R0,
    /// 90 degrees clockwise.
    R90,
    /// 180 degrees.
    R180,
    /// 270 degrees clockwise (90 counter-clockwise).
    R270,
}

impl From<Rotation> for lesionscan::Rotation {
    fn from(value: Rotation) -> Self {
        match value {
            Rotation::R0 => Self::R0,
            Rotation::R90 => Self::R90,
            Rotation::R180 => Self::R180,
            Rotation::R270 => Self::R270,
        }
    }
}

impl From<lesionscan::Rotation> for Rotation {
    fn from(value: lesionscan::Rotation) -> Self {
        match value {
            lesionscan::Rotation::R0 => Self::R0,
            lesionscan::Rotation::R90 => Self::R90,
            lesionscan::Rotation::R180 => Self::R180,
            lesionscan::Rotation::R270 => Self::R270,
        }
    }
}

/// The rotation for `degrees` clockwise (any multiple of 90, negative too), for callers
/// that hold degrees, such as Android's `ImageInfo.rotationDegrees`.
///
/// # Errors
/// [`LesionScanError::InvalidArgument`](crate::LesionScanError::InvalidArgument) when
/// `degrees` is not a multiple of 90.
#[uniffi::export]
pub fn rotation_from_degrees(degrees: i32) -> crate::Result<Rotation> {
    Ok(lesionscan::Rotation::from_degrees(degrees)?.into())
}

/// Sex, as recorded in HAM10000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Sex {
    /// Female.
    Female,
    /// Male.
    Male,
}

impl From<Sex> for lesionscan::Sex {
    fn from(value: Sex) -> Self {
        match value {
            Sex::Female => Self::Female,
            Sex::Male => Self::Male,
        }
    }
}

impl From<lesionscan::Sex> for Sex {
    fn from(value: lesionscan::Sex) -> Self {
        match value {
            lesionscan::Sex::Female => Self::Female,
            lesionscan::Sex::Male => Self::Male,
        }
    }
}

/// Body site of the lesion, in the HAM10000 vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
#[allow(missing_docs)]
pub enum BodySite {
    Abdomen,
    Acral,
    Back,
    Chest,
    Ear,
    Face,
    Foot,
    Genital,
    Hand,
    LowerExtremity,
    Neck,
    Scalp,
    Trunk,
    UpperExtremity,
    /// Recorded as unknown; encoded like an absent site.
    Unknown,
}

impl From<BodySite> for lesionscan::BodySite {
    fn from(value: BodySite) -> Self {
        match value {
            BodySite::Abdomen => Self::Abdomen,
            BodySite::Acral => Self::Acral,
            BodySite::Back => Self::Back,
            BodySite::Chest => Self::Chest,
            BodySite::Ear => Self::Ear,
            BodySite::Face => Self::Face,
            BodySite::Foot => Self::Foot,
            BodySite::Genital => Self::Genital,
            BodySite::Hand => Self::Hand,
            BodySite::LowerExtremity => Self::LowerExtremity,
            BodySite::Neck => Self::Neck,
            BodySite::Scalp => Self::Scalp,
            BodySite::Trunk => Self::Trunk,
            BodySite::UpperExtremity => Self::UpperExtremity,
            BodySite::Unknown => Self::Unknown,
        }
    }
}

impl From<lesionscan::BodySite> for BodySite {
    fn from(value: lesionscan::BodySite) -> Self {
        use lesionscan::BodySite as Core;
        match value {
            Core::Abdomen => Self::Abdomen,
            Core::Acral => Self::Acral,
            Core::Back => Self::Back,
            Core::Chest => Self::Chest,
            Core::Ear => Self::Ear,
            Core::Face => Self::Face,
            Core::Foot => Self::Foot,
            Core::Genital => Self::Genital,
            Core::Hand => Self::Hand,
            Core::LowerExtremity => Self::LowerExtremity,
            Core::Neck => Self::Neck,
            Core::Scalp => Self::Scalp,
            Core::Trunk => Self::Trunk,
            Core::UpperExtremity => Self::UpperExtremity,
            Core::Unknown => Self::Unknown,
        }
    }
}

/// Optional facts about the patient. Models without a metadata input ignore them; models
/// with one encode absent values the way they were trained to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct PatientInfo {
    /// Age in years (0..=120); `null` when unknown.
    #[uniffi(default)]
    pub age: Option<u32>,
    /// Sex; `null` when unknown.
    #[uniffi(default)]
    pub sex: Option<Sex>,
    /// Where on the body the lesion is; `null` when unknown.
    #[uniffi(default)]
    pub site: Option<BodySite>,
}

impl TryFrom<PatientInfo> for lesionscan::PatientInfo {
    type Error = crate::LesionScanError;
    fn try_from(value: PatientInfo) -> crate::Result<Self> {
        let PatientInfo { age, sex, site } = value;
        let age = match age {
            // Out-of-range ages are refused by the core too; this only keeps the cast exact.
            Some(years) => Some(u8::try_from(years).ok().filter(|&y| y <= 120).ok_or_else(
                || crate::LesionScanError::argument("age must be within 0..=120 years"),
            )?),
            None => None,
        };
        Ok(Self {
            age,
            sex: sex.map(Into::into),
            site: site.map(Into::into),
        })
    }
}

/// A region of interest in the upright picture, in fractions of its width and height
/// (`0.0..=1.0`). It is rounded outwards to whole pixels.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct Roi {
    /// Left edge, fraction of the width.
    pub x: f32,
    /// Top edge, fraction of the height.
    pub y: f32,
    /// Width, fraction of the width.
    pub width: f32,
    /// Height, fraction of the height.
    pub height: f32,
}

impl From<Roi> for lesionscan::Roi {
    fn from(value: Roi) -> Self {
        let Roi {
            x,
            y,
            width,
            height,
        } = value;
        Self {
            x,
            y,
            width,
            height,
        }
    }
}

/// How a JPEG is decoded. Other formats and camera frames are always read in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DecodeMode {
    /// Scaled down while decoding when the model is much smaller than the picture, then
    /// resampled: several times faster on phone photos, still averaging at least 2x2
    /// decoded pixels per model pixel.
    Fast,
    /// Every pixel decoded: bit-identical to libjpeg-turbo's default decoding (Pillow,
    /// OpenCV, TensorFlow's accurate IDCT).
    Exact,
}

impl From<DecodeMode> for lesionscan::DecodeMode {
    fn from(value: DecodeMode) -> Self {
        match value {
            DecodeMode::Fast => Self::Fast,
            DecodeMode::Exact => Self::Exact,
        }
    }
}

impl From<lesionscan::DecodeMode> for DecodeMode {
    fn from(value: lesionscan::DecodeMode) -> Self {
        match value {
            lesionscan::DecodeMode::Fast => Self::Fast,
            lesionscan::DecodeMode::Exact => Self::Exact,
        }
    }
}

/// Per-call options for a picture or a frame.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct ImageOptions {
    /// Only this part of the upright picture is classified; `null`: all of it.
    #[uniffi(default)]
    pub roi: Option<Roi>,
    /// Extra clockwise rotation after the EXIF orientation (pictures) or the frame's own
    /// rotation (frames); `null`: none.
    #[uniffi(default)]
    pub rotation: Option<Rotation>,
    /// How a JPEG is decoded; `null`: [`DecodeMode::Fast`].
    #[uniffi(default)]
    pub decode: Option<DecodeMode>,
}

impl From<ImageOptions> for lesionscan::ImageOptions {
    fn from(value: ImageOptions) -> Self {
        let ImageOptions {
            roi,
            rotation,
            decode,
        } = value;
        Self {
            roi: roi.map(Into::into),
            rotation: rotation.map_or(lesionscan::Rotation::R0, Into::into),
            decode: decode.map_or(lesionscan::DecodeMode::default(), Into::into),
        }
    }
}

/// How a classifier loads its model and shapes its results. The defaults suit a phone.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ClassifierOptions {
    /// Which hardware runs the model; `null`: the best the device has
    /// (`Accelerator.AUTO`). Falls back to the CPU when the hardware is missing.
    #[uniffi(default)]
    pub accelerator: Option<Accelerator>,
    /// CPU threads; `null` (or 0) picks the number of cores, at most 4.
    #[uniffi(default)]
    pub threads: Option<u32>,
    /// Keep at most this many categories (after filtering); `null` keeps all.
    #[uniffi(default)]
    pub max_results: Option<u32>,
    /// Drop categories whose probability is below this (0 keeps all).
    #[uniffi(default)]
    pub score_threshold: f32,
    /// Only these class codes may appear in the result (empty: all). Exclusive with `deny`.
    #[uniffi(default)]
    pub allow: Vec<String>,
    /// These class codes never appear in the result. Exclusive with `allow`.
    #[uniffi(default)]
    pub deny: Vec<String>,
    /// When `true`, a picture whose quality report says it is unusable is not classified:
    /// the result has no categories, a `malignantProbability` of 0 and a `quality` report
    /// that says why, and the model does not run. When `false`, every picture is
    /// classified and the report only describes it.
    #[uniffi(default)]
    pub reject_unusable: bool,
    /// Ask the CPU (XNNPACK) to compute floating-point operators in half precision: faster
    /// on phone CPUs with half-float arithmetic (ARMv8.2-A and later), slightly less
    /// faithful to TensorFlow. A request: `Classification.precision` says what ran (a
    /// CPU or model that cannot do it runs in float32). Off by default.
    #[uniffi(default)]
    pub half_precision: bool,
    /// A directory the app owns (Android `context.cacheDir`, iOS `Library/Caches`) where
    /// the CPU path may keep the model's packed weights between loads, so that the next
    /// load is faster; `null`: the library writes no file. It must exist; its files may
    /// be deleted at any time. `ModelInfo.weightCache` names the file in use.
    #[uniffi(default)]
    pub cache_dir: Option<String>,
}

impl From<ClassifierOptions> for lesionscan::ClassifierOptions {
    fn from(value: ClassifierOptions) -> Self {
        let ClassifierOptions {
            accelerator,
            threads,
            max_results,
            score_threshold,
            allow,
            deny,
            reject_unusable,
            half_precision,
            cache_dir,
        } = value;
        Self {
            accelerator: accelerator.map_or(lesionscan::Accelerator::Auto, Into::into),
            threads: threads.unwrap_or(0),
            max_results,
            score_threshold,
            allow,
            deny,
            reject_unusable,
            half_precision,
            cache_dir: cache_dir.map(Into::into),
        }
    }
}

/// The arithmetic a model's floating-point operators run in, as observed when it was
/// loaded (not as requested).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Precision {
    /// 32-bit floats: results match TensorFlow's up to float rounding.
    Float32,
    /// 16-bit floats (`ClassifierOptions.halfPrecision` took effect).
    Float16,
    /// Some operators in 16-bit floats, the others in 32-bit.
    Mixed,
    /// The GPU or NPU chooses its own arithmetic and does not report it.
    AcceleratorDefined,
}

impl From<lesionscan::Precision> for Precision {
    fn from(value: lesionscan::Precision) -> Self {
        match value {
            lesionscan::Precision::Float32 => Self::Float32,
            lesionscan::Precision::Float16 => Self::Float16,
            lesionscan::Precision::Mixed => Self::Mixed,
            lesionscan::Precision::AcceleratorDefined => Self::AcceleratorDefined,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_cores_defaults() {
        let options = ClassifierOptions {
            accelerator: None,
            threads: None,
            max_results: None,
            score_threshold: 0.0,
            allow: Vec::new(),
            deny: Vec::new(),
            reject_unusable: false,
            half_precision: false,
            cache_dir: None,
        };
        assert_eq!(
            lesionscan::ClassifierOptions::from(options),
            lesionscan::ClassifierOptions::default()
        );
        let image = ImageOptions {
            roi: None,
            rotation: None,
            decode: None,
        };
        assert_eq!(
            lesionscan::ImageOptions::from(image),
            lesionscan::ImageOptions::default()
        );
    }

    #[test]
    fn half_precision_and_the_cache_dir_reach_the_core() {
        let options = ClassifierOptions {
            accelerator: Some(Accelerator::Cpu),
            threads: Some(1),
            max_results: None,
            score_threshold: 0.0,
            allow: Vec::new(),
            deny: Vec::new(),
            reject_unusable: false,
            half_precision: true,
            cache_dir: Some("/data/user/0/app/cache".into()),
        };
        let core = lesionscan::ClassifierOptions::from(options);
        assert!(core.half_precision);
        assert_eq!(
            core.cache_dir.as_deref(),
            Some(std::path::Path::new("/data/user/0/app/cache"))
        );
        let names: Vec<Precision> = [
            lesionscan::Precision::Float32,
            lesionscan::Precision::Float16,
            lesionscan::Precision::Mixed,
            lesionscan::Precision::AcceleratorDefined,
        ]
        .into_iter()
        .map(Precision::from)
        .collect();
        assert_eq!(
            names,
            [
                Precision::Float32,
                Precision::Float16,
                Precision::Mixed,
                Precision::AcceleratorDefined
            ]
        );
    }

    #[test]
    fn enums_round_trip_through_the_core() {
        for site in lesionscan::BodySite::ALL {
            assert_eq!(lesionscan::BodySite::from(BodySite::from(site)), site);
        }
        for sex in [lesionscan::Sex::Female, lesionscan::Sex::Male] {
            assert_eq!(lesionscan::Sex::from(Sex::from(sex)), sex);
        }
        for degrees in [0, 90, 180, 270] {
            let core = lesionscan::Rotation::from_degrees(degrees).expect("multiple of 90");
            assert_eq!(lesionscan::Rotation::from(Rotation::from(core)), core);
        }
        for mode in [lesionscan::DecodeMode::Fast, lesionscan::DecodeMode::Exact] {
            assert_eq!(lesionscan::DecodeMode::from(DecodeMode::from(mode)), mode);
        }
        for accelerator in [
            lesionscan::Accelerator::Auto,
            lesionscan::Accelerator::Cpu,
            lesionscan::Accelerator::Gpu,
            lesionscan::Accelerator::Npu,
        ] {
            assert_eq!(
                lesionscan::Accelerator::from(Accelerator::from(accelerator)),
                accelerator
            );
        }
    }

    #[test]
    fn ages_beyond_a_byte_are_argument_errors_not_truncated() {
        let patient = PatientInfo {
            age: Some(256 + 45),
            sex: None,
            site: None,
        };
        let converted = lesionscan::PatientInfo::try_from(patient);
        assert!(matches!(
            converted,
            Err(crate::LesionScanError::InvalidArgument { .. })
        ));
        let ok = PatientInfo {
            age: Some(45),
            sex: Some(Sex::Female),
            site: Some(BodySite::Back),
        };
        let core = lesionscan::PatientInfo::try_from(ok).expect("valid");
        assert_eq!(core.age, Some(45));
        assert_eq!(core.site, Some(lesionscan::BodySite::Back));
    }

    #[test]
    fn rotation_from_degrees_accepts_multiples_of_90_only() {
        assert_eq!(rotation_from_degrees(-90).expect("valid"), Rotation::R270);
        assert_eq!(rotation_from_degrees(450).expect("valid"), Rotation::R90);
        assert!(matches!(
            rotation_from_degrees(45),
            Err(crate::LesionScanError::InvalidArgument { .. })
        ));
    }
}
