//! The exported `Classifier`: a thin wrapper over the core's, one conversion per call.

use std::sync::Arc;
use std::time::Instant;

use crate::error::{LesionScanError, Result};
use crate::frames::CameraFrame;
use crate::logging;
use crate::options::{ClassifierOptions, ImageOptions, PatientInfo};
use crate::raw_frame::RawFrame;
use crate::results::{Classification, ModelInfo};

/// A skin-lesion classifier: one model, its card and a compiled session.
///
/// Usable from any thread, and by several at once. Calls are synchronous and take
/// milliseconds to a few hundred milliseconds: call them off the UI thread. A failed
/// call leaves the classifier usable. Close it (Kotlin `close()` / `use {}`) to free the
/// model at once rather than when the garbage collector gets to it.
///
/// **Not a medical device:** results support a clinician's judgement; they are not a
/// diagnosis (see `disclaimer()`).
#[derive(Debug, uniffi::Object)]
pub struct Classifier {
    // Shared, so that objects made from a classifier (a live camera session) can keep
    // the core classifier alive on their own threads.
    inner: Arc<lesionscan::Classifier>,
}

#[uniffi::export]
impl Classifier {
    /// Loads a `.tflite` model and its JSON card from files.
    ///
    /// # Errors
    /// `Io` when a file cannot be read; otherwise as [`Classifier::from_bytes`].
    #[uniffi::constructor(default(options))]
    pub fn from_files(
        model_path: String,
        card_path: String,
        options: ClassifierOptions,
    ) -> Result<Arc<Self>> {
        logging::init_platform_logger();
        let started = Instant::now();
        Self::loaded(
            lesionscan::Classifier::from_files(model_path, card_path, options.into()),
            started,
        )
    }

    /// Loads a model from its bytes and its card from JSON text.
    ///
    /// # Errors
    /// `InvalidCard` for a malformed card or one that does not fit the model;
    /// `InvalidModel` for bytes that are not a model or do not match the card's sha256;
    /// `InvalidArgument` for inconsistent options; `Engine` when the runtime cannot
    /// compile the model.
    #[uniffi::constructor(default(options))]
    pub fn from_bytes(
        model: Vec<u8>,
        card_json: String,
        options: ClassifierOptions,
    ) -> Result<Arc<Self>> {
        logging::init_platform_logger();
        let started = Instant::now();
        Self::loaded(
            // The vector is handed over, not copied: the runtime reads the model in place.
            lesionscan::Classifier::from_bytes(model, &card_json, options.into()),
            started,
        )
    }

    /// Classifies an encoded picture (JPEG, PNG, WebP, BMP, TIFF), upright per its EXIF
    /// orientation.
    ///
    /// # Errors
    /// `InvalidImage` for bytes that do not decode; `InvalidArgument` for a bad region
    /// of interest or patient age; `Engine` if the runtime fails.
    #[uniffi::method(default(options), default(patient = None))]
    pub fn classify_image(
        &self,
        encoded: Vec<u8>,
        options: ImageOptions,
        patient: Option<PatientInfo>,
    ) -> Result<Classification> {
        let patient = patient.map(lesionscan::PatientInfo::try_from).transpose()?;
        let result = self
            .inner
            .classify_image(&encoded, &options.into(), patient.as_ref());
        self.finished("classify_image", result)
    }

    /// Classifies a camera frame whose planes were copied in (`CameraFrame`). Camera
    /// streams should use the zero-copy helpers instead.
    ///
    /// # Errors
    /// `InvalidFrame` when planes, strides or sizes do not add up; otherwise as
    /// [`Classifier::classify_image`].
    #[uniffi::method(default(options), default(patient = None))]
    pub fn classify_frame(
        &self,
        frame: CameraFrame,
        options: ImageOptions,
        patient: Option<PatientInfo>,
    ) -> Result<Classification> {
        let patient = patient.map(lesionscan::PatientInfo::try_from).transpose()?;
        let result = self
            .inner
            .classify_frame(&frame.borrow(), &options.into(), patient.as_ref());
        self.finished("classify_frame", result)
    }

    /// Classifies a camera frame read in place from the addresses in `frame`.
    ///
    /// Low level, for the platform helpers only: Android's `classify(imageProxy)` and
    /// `classifyFrame(…, planes: List<DirectPlane>, …)`, iOS's `classify(pixelBuffer:)`.
    /// They take each address and length from the platform's own buffer and keep it
    /// alive and unchanged for the call. Given addresses that do not hold `length`
    /// readable bytes, this reads memory it must not.
    ///
    /// # Errors
    /// `InvalidFrame` for a null address, a length or address range the platform cannot
    /// hold, or planes, strides and sizes that do not add up; otherwise as
    /// [`Classifier::classify_image`].
    #[uniffi::method(default(options), default(patient = None))]
    pub fn classify_raw_frame(
        &self,
        frame: RawFrame,
        options: ImageOptions,
        patient: Option<PatientInfo>,
    ) -> Result<Classification> {
        let patient = patient.map(lesionscan::PatientInfo::try_from).transpose()?;
        // SAFETY: the platform helpers that call this take every address and length
        // from the platform buffer and keep it readable and unchanged until we return
        // (see `raw_frame`); the borrowed frame does not outlive this call.
        let borrowed = unsafe { frame.borrow()? };
        let result = self
            .inner
            .classify_frame(&borrowed, &options.into(), patient.as_ref());
        self.finished("classify_raw_frame", result)
    }

    /// The model's card, tensors and the accelerator that runs it.
    pub fn model_info(&self) -> ModelInfo {
        self.inner.model_info().into()
    }
}

impl Classifier {
    /// The core's classifier, for Rust code that wants the full API or shares it (clone
    /// the `Arc`).
    pub fn core(&self) -> &Arc<lesionscan::Classifier> {
        &self.inner
    }

    fn loaded(
        result: lesionscan::Result<lesionscan::Classifier>,
        started: Instant,
    ) -> Result<Arc<Self>> {
        match result {
            Ok(inner) => {
                let info = inner.model_info();
                log::info!(
                    "loaded model {} on {} ({}) in {} ms",
                    info.card.id,
                    info.accelerator.name(),
                    info.engine,
                    started.elapsed().as_millis()
                );
                Ok(Arc::new(Self {
                    inner: Arc::new(inner),
                }))
            }
            Err(error) => {
                let error = LesionScanError::from(error);
                log::warn!("loading a model failed: {}", error.kind());
                Err(error)
            }
        }
    }

    fn finished(
        &self,
        call: &str,
        result: lesionscan::Result<lesionscan::Classification>,
    ) -> Result<Classification> {
        match result {
            Ok(classification) => {
                let timings = classification.timings;
                log::debug!(
                    "{call}: {} us preprocessing, {} us inference, {} us postprocessing on {}",
                    timings.preprocess_us,
                    timings.inference_us,
                    timings.postprocess_us,
                    classification.accelerator.name()
                );
                Ok(classification.into())
            }
            Err(error) => {
                let error = LesionScanError::from(error);
                // The kind only: a reason may quote an argument such as a patient's age.
                log::warn!("{call} failed: {}", error.kind());
                Err(error)
            }
        }
    }
}
