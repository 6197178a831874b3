//! The classifier: a model, its card, and the steps from a picture to a ranked result.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::engine::{
    self, Accelerator, Engine, EngineOptions, ModelBytes, Precision, Session, TensorData,
    TensorInfo,
};
use crate::error::{Error, Result};
use crate::image::{self, Frame, ImageOptions, PreparedImage};
use crate::model::{check_checksum, ModelCard, ModelLayout};
use crate::patient::{self, PatientInfo};
use crate::quality::{self, QualityReport};
use crate::{scores, tensor};

/// How a [`Classifier`] loads its model and shapes its results.
///
/// The defaults suit a phone: the best accelerator the device has, every class in the
/// result, no threshold.
///
/// # Examples
/// ```
/// use lesionscan::{Accelerator, ClassifierOptions};
///
/// let options = ClassifierOptions::default()
///     .with_accelerator(Accelerator::Cpu)
///     .with_threads(2)
///     .with_max_results(3);
/// assert_eq!(options.max_results, Some(3));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClassifierOptions {
    /// Which hardware should run the model; falls back to the CPU when it is missing.
    pub accelerator: Accelerator,
    /// CPU threads; `0` picks the number of cores, at most 4.
    pub threads: u32,
    /// Keep at most this many categories (after filtering); `None` keeps all.
    pub max_results: Option<u32>,
    /// Drop categories whose probability is below this (0 keeps all).
    pub score_threshold: f32,
    /// Only these class codes may appear in `categories` (empty: all). Exclusive with `deny`.
    pub allow: Vec<String>,
    /// These class codes never appear in `categories`. Exclusive with `allow`.
    pub deny: Vec<String>,
    /// When `true`, a picture whose quality report says it is not usable is not
    /// classified: the result has no categories, a `malignant_probability` of 0 and a
    /// [`QualityReport`] that says why, and the model does not run. When `false` (the
    /// default) every picture is classified and the report only describes it.
    pub reject_unusable: bool,
    /// Ask the CPU (XNNPACK) to compute floating-point operators in half precision: about
    /// twice as fast on phone CPUs with half-float arithmetic (ARMv8.2-A and later), at a
    /// small cost in fidelity (see `benches/README.md`). A request, not a promise: models
    /// or CPUs that cannot do it load in float32, and [`Classification::precision`] always
    /// says what ran. Off by default, so that results match TensorFlow's.
    pub half_precision: bool,
    /// A directory the app owns where the CPU path may keep XNNPACK's packed weights
    /// (one file per model content and precision, `lesionscan-*.xnnpack-cache`), so that
    /// the next load of the same model skips repacking them and maps them instead of
    /// holding them on the heap. `None` (the default): the library writes no file at all.
    ///
    /// Pick a directory private to the app and excluded from backups (Android
    /// `Context.getCacheDir()`, iOS `Library/Caches`): the packed layout depends on the
    /// CPU. The files may be deleted at any time; they are rebuilt on the next load. A
    /// directory that does not exist or whose path cannot be passed to the runtime is an
    /// [`Error::InvalidArgument`] at load; one that cannot be written is logged and the
    /// model loads without the cache ([`ModelInfo::weight_cache`] is then `None`).
    pub cache_dir: Option<PathBuf>,
}

impl ClassifierOptions {
    /// Sets [`ClassifierOptions::accelerator`].
    #[must_use]
    pub fn with_accelerator(mut self, accelerator: Accelerator) -> Self {
        self.accelerator = accelerator;
        self
    }
    /// Sets [`ClassifierOptions::threads`].
    #[must_use]
    pub fn with_threads(mut self, threads: u32) -> Self {
        self.threads = threads;
        self
    }
    /// Sets [`ClassifierOptions::max_results`].
    #[must_use]
    pub fn with_max_results(mut self, max_results: u32) -> Self {
        self.max_results = Some(max_results);
        self
    }
    /// Sets [`ClassifierOptions::score_threshold`].
    #[must_use]
    pub fn with_score_threshold(mut self, threshold: f32) -> Self {
        self.score_threshold = threshold;
        self
    }
    /// Sets [`ClassifierOptions::allow`].
    #[must_use]
    pub fn with_allow<S: Into<String>>(mut self, codes: impl IntoIterator<Item = S>) -> Self {
        self.allow = codes.into_iter().map(Into::into).collect();
        self
    }
    /// Sets [`ClassifierOptions::deny`].
    #[must_use]
    pub fn with_deny<S: Into<String>>(mut self, codes: impl IntoIterator<Item = S>) -> Self {
        self.deny = codes.into_iter().map(Into::into).collect();
        self
    }
    /// Sets [`ClassifierOptions::reject_unusable`].
    ///
    /// # Examples
    /// ```
    /// let options = lesionscan::ClassifierOptions::default().with_reject_unusable(true);
    /// assert!(options.reject_unusable);
    /// ```
    #[must_use]
    pub fn with_reject_unusable(mut self, reject: bool) -> Self {
        self.reject_unusable = reject;
        self
    }
    /// Sets [`ClassifierOptions::half_precision`].
    ///
    /// # Examples
    /// ```
    /// use lesionscan::{Classifier, ClassifierOptions, Precision};
    ///
    /// let options = ClassifierOptions::default().with_half_precision(true);
    /// let classifier = Classifier::from_files(
    ///     "tests/data/two_input_float.tflite",
    ///     "tests/data/two_input_float.json",
    ///     options,
    /// )?;
    /// // What ran, whatever was asked: float16 where XNNPACK could, float32 otherwise.
    /// let precision = classifier.model_info().precision;
    /// assert!(matches!(precision, Precision::Float16 | Precision::Mixed | Precision::Float32));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_half_precision(mut self, half: bool) -> Self {
        self.half_precision = half;
        self
    }
    /// Sets [`ClassifierOptions::cache_dir`].
    ///
    /// # Examples
    /// ```
    /// use lesionscan::{Classifier, ClassifierOptions};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let options = ClassifierOptions::default().with_cache_dir(dir.path());
    /// let classifier = Classifier::from_files(
    ///     "tests/data/mobilenet_tiny_int8.tflite",
    ///     "tests/data/mobilenet_tiny_int8.json",
    ///     options,
    /// )?;
    /// let cache = classifier.model_info().weight_cache.expect("written");
    /// assert_eq!(cache.parent(), Some(dir.path()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    fn validate(&self, card: &ModelCard) -> Result<()> {
        if !self.allow.is_empty() && !self.deny.is_empty() {
            return Err(Error::argument(
                "allow and deny lists are mutually exclusive; give one or neither",
            ));
        }
        for code in self.allow.iter().chain(&self.deny) {
            if !card.classes.iter().any(|c| &c.code == code) {
                return Err(Error::argument(format!(
                    "class code {code:?} is not in the model card"
                )));
            }
        }
        if self.max_results == Some(0) {
            return Err(Error::argument(
                "max_results must be at least 1 (None keeps every class)",
            ));
        }
        if !(0.0..=1.0).contains(&self.score_threshold) {
            return Err(Error::argument("score_threshold must be within 0..=1"));
        }
        if self.threads > 64 {
            return Err(Error::argument("threads must be at most 64"));
        }
        Ok(())
    }
}

/// One class in a result.
#[derive(Debug, Clone, PartialEq, Serialize)]
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

/// Time spent in each stage, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Timings {
    /// Decoding or frame conversion, resizing, tensor writing.
    pub preprocess_us: u64,
    /// The model itself (including waiting for the session when other threads use it).
    pub inference_us: u64,
    /// Dequantising, softmax, ranking.
    pub postprocess_us: u64,
}

/// The result of classifying one picture. **Not a diagnosis.**
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification {
    /// Classes by descending probability, after the allow/deny lists, threshold and
    /// `max_results` of the options. Empty when the picture was rejected for its quality
    /// ([`ClassifierOptions::reject_unusable`]).
    pub categories: Vec<Category>,
    /// Sum of the probabilities of every class the card marks malignant (before any
    /// filtering); 0 when the picture was rejected for its quality (check
    /// `quality.usable` before reading it).
    pub malignant_probability: f32,
    /// Whether the picture was fit to judge, and if not, why.
    pub quality: QualityReport,
    /// Time per stage.
    pub timings: Timings,
    /// The inference runtime that ran the model (`"litert"`, or `"tflite-c"` on iOS).
    pub engine: String,
    /// The accelerator that actually ran the model.
    #[serde(serialize_with = "serialize_accelerator")]
    pub accelerator: Accelerator,
    /// The arithmetic the model's floating-point operators ran in, as observed when it was
    /// loaded: `Float32` unless [`ClassifierOptions::half_precision`] was asked for and
    /// took effect (or the GPU/NPU chose its own).
    #[serde(serialize_with = "serialize_precision")]
    pub precision: Precision,
    /// The card's model id.
    pub model_id: String,
}

fn serialize_precision<S: serde::Serializer>(
    p: &Precision,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(p.name())
}

fn serialize_accelerator<S: serde::Serializer>(
    a: &Accelerator,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(a.name())
}

impl Classification {
    /// The most probable category left after filtering, if any.
    pub fn top(&self) -> Option<&Category> {
        self.categories.first()
    }
}

/// A picture converted to a classifier's input size and judged for quality, but not yet
/// classified: made by [`Classifier::prepare_frame`] or [`Classifier::prepare_image`],
/// classified by [`Classifier::classify_prepared`].
///
/// It owns its pixels (the model-sized RGB picture and the luma copy the quality checks
/// use), so it can outlive the camera buffer it came from and move to another thread.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedInput {
    image: PreparedImage,
    quality: QualityReport,
    preprocess: Duration,
}

impl PreparedInput {
    /// The picture at the model's input size, as the model will see it.
    pub fn image(&self) -> &PreparedImage {
        &self.image
    }

    /// Whether the picture is fit to judge, with the thresholds of the classifier's card.
    pub fn quality(&self) -> &QualityReport {
        &self.quality
    }
}

/// What the model said about one prepared picture: a probability per class in the card's
/// order, before any filtering, and the time each stage took.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Inference {
    pub(crate) probabilities: Vec<f32>,
    pub(crate) timings: Timings,
}

/// Describes a loaded model: its card, its tensors and where it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelInfo {
    /// The model card.
    pub card: ModelCard,
    /// The model's inputs as the model declares them.
    pub inputs: Vec<TensorInfo>,
    /// The model's outputs as the model declares them.
    pub outputs: Vec<TensorInfo>,
    /// The runtime.
    pub engine: String,
    /// The accelerator that runs it.
    pub accelerator: Accelerator,
    /// The arithmetic its floating-point operators run in (see
    /// [`Classification::precision`]).
    pub precision: Precision,
    /// The XNNPACK weight cache file in use, when [`ClassifierOptions::cache_dir`] was
    /// given and the file could be written or read.
    pub weight_cache: Option<PathBuf>,
}

/// A skin-lesion classifier: one model, its card and a compiled session.
///
/// `Classifier` is `Send + Sync`: share one across threads. Calls are synchronous and
/// take milliseconds, so call them off the UI thread. A failed call (a corrupt picture,
/// a frame whose strides lie) leaves the classifier usable.
///
/// # Examples
/// ```
/// use lesionscan::{Classifier, ClassifierOptions, ImageOptions};
///
/// let classifier = Classifier::from_files(
///     "tests/data/mobilenet_tiny_int8.tflite",
///     "tests/data/mobilenet_tiny_int8.json",
///     ClassifierOptions::default(),
/// )?;
/// let photo = std::fs::read("tests/data/phone_skin_moles.jpg")?;
/// let result = classifier.classify_image(&photo, &ImageOptions::default(), None)?;
/// assert_eq!(result.categories.len(), 7);
/// let total: f32 = result.categories.iter().map(|c| c.probability).sum();
/// assert!((total - 1.0).abs() < 0.02);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Classifier {
    card: ModelCard,
    layout: ModelLayout,
    options: ClassifierOptions,
    engine_name: &'static str,
    accelerator: Accelerator,
    precision: Precision,
    weight_cache: Option<PathBuf>,
    inputs: Vec<TensorInfo>,
    outputs: Vec<TensorInfo>,
    // One session is never used by two threads at once; preprocessing and
    // postprocessing run outside the lock.
    session: Mutex<Box<dyn Session>>,
}

impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier")
            .field("model_id", &self.card.id)
            .field("engine", &self.engine_name)
            .field("accelerator", &self.accelerator)
            .finish_non_exhaustive()
    }
}

impl Classifier {
    /// Loads a `.tflite` model and its JSON card from files.
    ///
    /// The model file is mapped, not read: its pages are shared with the page cache and the
    /// runtime reads them in place, so the model is not copied into the heap. Do not change
    /// or truncate the file while the classifier lives; replace it by renaming a new file
    /// over it (see [`ModelBytes::map_file`]).
    ///
    /// # Errors
    /// [`Error::Io`] when a file cannot be read; otherwise as [`Classifier::from_bytes`].
    pub fn from_files(
        model_path: impl AsRef<Path>,
        card_path: impl AsRef<Path>,
        options: ClassifierOptions,
    ) -> Result<Self> {
        let model = ModelBytes::map_file(model_path)?;
        let card = std::fs::read(card_path)?;
        let card =
            String::from_utf8(card).map_err(|_| Error::card("the card is not UTF-8 text"))?;
        Self::from_bytes(model, &card, options)
    }

    /// Loads a model from its bytes and its card from JSON text, with the build's engine
    /// ([`engine::default_engine`]: LiteRT, or the TFLite C API on iOS).
    ///
    /// The runtime reads the model in place for as long as the classifier lives, so the
    /// classifier keeps the bytes: a `Vec<u8>` or a [`ModelBytes`] is kept as it is (no
    /// copy), a borrowed slice is copied once. A model built into the program is best
    /// passed as [`ModelBytes::from_static`].
    ///
    /// # Errors
    /// [`Error::InvalidCard`] for a malformed card or one that does not fit the model
    /// (class count, input size, metadata); [`Error::InvalidModel`] for bytes that are
    /// not a TFLite model, do not match the card's sha256, or do not run;
    /// [`Error::InvalidArgument`] for inconsistent options (a `cache_dir` that is not a
    /// usable directory among them); [`Error::Engine`] when the runtime cannot compile the
    /// model.
    pub fn from_bytes(
        model: impl Into<ModelBytes>,
        card_json: &str,
        options: ClassifierOptions,
    ) -> Result<Self> {
        Self::with_engine(engine::default_engine().as_ref(), model, card_json, options)
    }

    /// Like [`Classifier::from_bytes`] with another [`Engine`] (a second runtime, or a
    /// fake in tests).
    ///
    /// # Errors
    /// As [`Classifier::from_bytes`].
    pub fn with_engine(
        engine: &dyn Engine,
        model: impl Into<ModelBytes>,
        card_json: &str,
        options: ClassifierOptions,
    ) -> Result<Self> {
        let model = model.into();
        let card = ModelCard::from_json(card_json)?;
        options.validate(&card)?;
        check_checksum(&card, &model)?;
        let engine_options = EngineOptions {
            accelerator: options.accelerator,
            threads: options.threads,
            half_precision: options.half_precision,
            weight_cache_dir: options.cache_dir.clone(),
        };
        // The card is checked against the model's tensors before the model ever runs; the
        // engine then runs it once, so that a model that loads but does not run fails
        // here, not on the first picture.
        let session = engine.load_checked(&model, &engine_options, &|inputs, outputs| {
            ModelLayout::new(&card, inputs, outputs).map(drop)
        })?;
        let layout = ModelLayout::new(&card, session.inputs(), session.outputs())?;
        Ok(Self {
            layout,
            options,
            engine_name: engine.name(),
            accelerator: session.accelerator(),
            precision: session.precision(),
            weight_cache: session.weight_cache().map(Path::to_path_buf),
            inputs: session.inputs().to_vec(),
            outputs: session.outputs().to_vec(),
            session: Mutex::new(session),
            card,
        })
    }

    /// The model card.
    pub fn card(&self) -> &ModelCard {
        &self.card
    }

    /// The options this classifier was made with.
    pub fn options(&self) -> &ClassifierOptions {
        &self.options
    }

    /// The card, the model's tensors and the accelerator that runs it.
    pub fn model_info(&self) -> ModelInfo {
        ModelInfo {
            card: self.card.clone(),
            inputs: self.inputs.clone(),
            outputs: self.outputs.clone(),
            engine: self.engine_name.to_string(),
            accelerator: self.accelerator,
            precision: self.precision,
            weight_cache: self.weight_cache.clone(),
        }
    }

    /// Classifies an encoded picture (JPEG, PNG, WebP, BMP, TIFF), upright per its EXIF
    /// orientation: [`Classifier::prepare_image`] then [`Classifier::classify_prepared`].
    ///
    /// # Errors
    /// [`Error::InvalidImage`] for bytes that do not decode; [`Error::InvalidArgument`]
    /// for a bad ROI or patient age; [`Error::Engine`] if the runtime fails.
    pub fn classify_image(
        &self,
        encoded: &[u8],
        options: &ImageOptions,
        patient: Option<&PatientInfo>,
    ) -> Result<Classification> {
        let prepared = self.prepare_image(encoded, options)?;
        self.classify_prepared(&prepared, patient)
    }

    /// Classifies a camera frame, converted straight to the model's input size:
    /// [`Classifier::prepare_frame`] then [`Classifier::classify_prepared`].
    ///
    /// # Errors
    /// [`Error::InvalidFrame`] when planes, strides or sizes do not add up; otherwise as
    /// [`Classifier::classify_image`].
    pub fn classify_frame(
        &self,
        frame: &Frame<'_>,
        options: &ImageOptions,
        patient: Option<&PatientInfo>,
    ) -> Result<Classification> {
        let prepared = self.prepare_frame(frame, options)?;
        self.classify_prepared(&prepared, patient)
    }

    /// The first half of [`Classifier::classify_image`]: decodes the picture, converts it
    /// to the model's input size and judges its quality, without running the model.
    ///
    /// # Errors
    /// [`Error::InvalidImage`] for bytes that do not decode; [`Error::InvalidArgument`]
    /// for a bad ROI.
    pub fn prepare_image(&self, encoded: &[u8], options: &ImageOptions) -> Result<PreparedInput> {
        let start = Instant::now();
        let image = image::prepare_encoded(encoded, options, self.layout.target)?;
        Ok(self.judged(image, start))
    }

    /// The first half of [`Classifier::classify_frame`]: converts the frame to the
    /// model's input size and judges its quality, without running the model.
    ///
    /// The result owns its pixels, so the camera's buffer can be released as soon as this
    /// returns, and the model can run later on another thread
    /// ([`Classifier::classify_prepared`]); this is how
    /// [`LiveSession::push_frame`](crate::LiveSession::push_frame) keeps the camera
    /// running while the model is busy. It takes a few milliseconds, a small part of a
    /// classification.
    ///
    /// # Errors
    /// [`Error::InvalidFrame`] when planes, strides or sizes do not add up;
    /// [`Error::InvalidArgument`] for a bad ROI.
    ///
    /// # Examples
    /// ```
    /// use lesionscan::{Classifier, ClassifierOptions, Frame, ImageOptions, PixelFormat, Plane, Rotation};
    ///
    /// let classifier = Classifier::from_files(
    ///     "tests/data/mobilenet_tiny_int8.tflite",
    ///     "tests/data/mobilenet_tiny_int8.json",
    ///     ClassifierOptions::default(),
    /// )?;
    /// let pixels = vec![180u8; 64 * 48 * 4];
    /// let frame = Frame {
    ///     width: 64, height: 48, format: PixelFormat::Rgba8888,
    ///     planes: vec![Plane { bytes: &pixels, row_stride: 64 * 4, pixel_stride: 4 }],
    ///     rotation: Rotation::R0,
    /// };
    /// let prepared = classifier.prepare_frame(&frame, &ImageOptions::default())?;
    /// drop(pixels); // the camera buffer is no longer needed
    /// assert_eq!((prepared.image().width, prepared.image().height), (128, 128)); // the model's input
    /// assert!(!prepared.quality().usable); // a uniform frame shows no lesion
    /// let result = classifier.classify_prepared(&prepared, None)?;
    /// assert_eq!(result.quality, *prepared.quality());
    /// # Ok::<(), lesionscan::Error>(())
    /// ```
    pub fn prepare_frame(
        &self,
        frame: &Frame<'_>,
        options: &ImageOptions,
    ) -> Result<PreparedInput> {
        let start = Instant::now();
        let image = image::prepare_frame(frame, options, self.layout.target)?;
        Ok(self.judged(image, start))
    }

    /// The second half of [`Classifier::classify_image`] and
    /// [`Classifier::classify_frame`]: runs the model on a picture this classifier
    /// prepared and ranks the result. The result's `timings.preprocess_us` includes the
    /// preparation; with [`ClassifierOptions::reject_unusable`] an unusable picture gets
    /// no categories and the model does not run.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a picture prepared for another input size, or a bad
    /// patient age; [`Error::Engine`] if the runtime fails.
    pub fn classify_prepared(
        &self,
        prepared: &PreparedInput,
        patient: Option<&PatientInfo>,
    ) -> Result<Classification> {
        if self.options.reject_unusable && !prepared.quality.usable {
            return Ok(self.rejected(prepared));
        }
        let inference = self.infer(prepared, patient)?;
        Ok(self.classification(&inference, prepared.quality.clone()))
    }

    fn judged(&self, image: PreparedImage, start: Instant) -> PreparedInput {
        let quality = quality::assess_quality(&image, &self.card.quality);
        PreparedInput {
            image,
            quality,
            preprocess: start.elapsed(),
        }
    }

    /// Runs the model on a prepared picture: every class's probability, in the card's
    /// order, and the time each stage took (ranking not included).
    pub(crate) fn infer(
        &self,
        prepared: &PreparedInput,
        patient: Option<&PatientInfo>,
    ) -> Result<Inference> {
        let start = Instant::now();
        let image = &prepared.image;
        let target = self.layout.target;
        if (image.width, image.height) != (target.width, target.height) {
            return Err(Error::argument(format!(
                "the picture was prepared at {}x{}, this model takes {}x{}: prepare it with the classifier that classifies it",
                image.width, image.height, target.width, target.height
            )));
        }
        let mut inputs: Vec<TensorData> = Vec::with_capacity(self.inputs.len());
        for (index, info) in self.inputs.iter().enumerate() {
            let data = if index == self.layout.image_input {
                tensor::image_tensor(image, &self.card.input, info)?
            } else if Some(index) == self.layout.metadata_input {
                let spec = self
                    .card
                    .metadata_input
                    .as_ref()
                    .ok_or_else(|| Error::card("metadata_input missing"))?;
                tensor::values_tensor(&patient::encode(patient, spec)?, info)?
            } else {
                return Err(Error::unsupported(
                    "a model input that is neither image nor metadata",
                ));
            };
            inputs.push(data);
        }
        let tensors_written = Instant::now();

        let outputs = self.lock_session().run(&inputs)?;
        let inferred = Instant::now();

        let output = outputs
            .get(self.layout.output)
            .ok_or_else(|| Error::engine("the model returned no output"))?;
        // The count first: scores for the wrong number of classes are not judged as a
        // distribution.
        if output.len() != self.card.classes.len() {
            return Err(Error::engine(format!(
                "the model returned {} scores; its card names {} classes",
                output.len(),
                self.card.classes.len()
            )));
        }
        let probabilities = scores::probabilities(
            output,
            &self.outputs[self.layout.output],
            self.card.output.kind,
        )?;
        let done = Instant::now();
        Ok(Inference {
            probabilities,
            timings: Timings {
                preprocess_us: micros(prepared.preprocess + (tensors_written - start)),
                inference_us: micros(inferred - tensors_written),
                postprocess_us: micros(done - inferred),
            },
        })
    }

    /// The ranked result for `inference.probabilities` (one per class, in the card's
    /// order): the options' filters, threshold and `max_results` applied. The time spent
    /// ranking is added to `postprocess_us`.
    pub(crate) fn classification(
        &self,
        inference: &Inference,
        quality: QualityReport,
    ) -> Classification {
        let start = Instant::now();
        let (categories, malignant_probability) = self.rank(&inference.probabilities);
        let mut timings = inference.timings;
        timings.postprocess_us = timings
            .postprocess_us
            .saturating_add(micros(start.elapsed()));
        Classification {
            categories,
            malignant_probability,
            quality,
            timings,
            engine: self.engine_name.to_string(),
            accelerator: self.accelerator,
            precision: self.precision,
            model_id: self.card.id.clone(),
        }
    }

    /// Whether the class at `index` of the card may appear in results (the options'
    /// allow and deny lists).
    pub(crate) fn shows_class(&self, index: usize) -> bool {
        self.card.classes.get(index).is_some_and(|class| {
            (self.options.allow.is_empty() || self.options.allow.contains(&class.code))
                && !self.options.deny.contains(&class.code)
        })
    }

    /// The result for a picture refused for its quality: no categories, and the model
    /// never ran.
    fn rejected(&self, prepared: &PreparedInput) -> Classification {
        let timings = Timings {
            preprocess_us: micros(prepared.preprocess),
            ..Timings::default()
        };
        self.unclassified(prepared.quality.clone(), timings)
    }

    /// A result with no categories (nothing was judged), carrying `quality` and `timings`.
    pub(crate) fn unclassified(&self, quality: QualityReport, timings: Timings) -> Classification {
        Classification {
            categories: Vec::new(),
            malignant_probability: 0.0,
            quality,
            timings,
            engine: self.engine_name.to_string(),
            accelerator: self.accelerator,
            precision: self.precision,
            model_id: self.card.id.clone(),
        }
    }

    fn lock_session(&self) -> MutexGuard<'_, Box<dyn Session>> {
        // A panic while the lock was held cannot leave the session half-written in a way
        // that matters: every run rewrites all inputs first.
        self.session
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn rank(&self, probabilities: &[f32]) -> (Vec<Category>, f32) {
        let malignant_probability = self
            .card
            .malignant_indices()
            .filter_map(|i| probabilities.get(i))
            .sum::<f32>()
            // An 8-bit softmax may sum to a little over 1.
            .min(1.0);
        let mut categories: Vec<Category> = self
            .card
            .classes
            .iter()
            .zip(probabilities)
            .enumerate()
            .filter(|(index, _)| self.shows_class(*index))
            .filter(|(_, (_, &p))| p >= self.options.score_threshold)
            .map(|(index, (class, &probability))| Category {
                index: index as u32,
                code: class.code.clone(),
                name: class.name.clone(),
                probability,
                malignant: class.malignant,
            })
            .collect();
        // Stable sort: equal probabilities keep the card's order.
        categories.sort_by(|a, b| b.probability.total_cmp(&a.probability));
        if let Some(max) = self.options.max_results {
            categories.truncate(max as usize);
        }
        (categories, malignant_probability)
    }
}

fn micros(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}
