//! LesionScan: an on-device skin-lesion classifier for the 7 HAM10000 classes.
//!
//! **Not a medical device.** Results support a clinician's judgement; they are not a
//! diagnosis.
//!
//! Data flows one way:
//! ```text
//! bytes / camera frame ─► image (upright RGB at the model's size) ─► tensor
//!     ─► engine (LiteRT) ─► scores (probabilities) ─► Classification
//! ```
//!
//! One picture: [`Classifier::classify_image`] or [`Classifier::classify_frame`]. A camera
//! stream: [`LiveSession`], which classifies the newest frame on its own thread and turns
//! the results into a steady answer (smoothed over time, stable once it holds).
//!
//! # Examples
//! ```
//! use lesionscan::{Classifier, ClassifierOptions, ImageOptions, PatientInfo, Sex, BodySite};
//!
//! let classifier = Classifier::from_files(
//!     "tests/data/two_input_float.tflite",
//!     "tests/data/two_input_float.json",
//!     ClassifierOptions::default().with_max_results(3),
//! )?;
//! let photo = std::fs::read("tests/data/phone_skin_moles.jpg")?;
//! let patient = PatientInfo { age: Some(45), sex: Some(Sex::Female), site: Some(BodySite::Back) };
//! let result = classifier.classify_image(&photo, &ImageOptions::default(), Some(&patient))?;
//! for category in &result.categories {
//!     println!("{:5} {:>6.1}%  {}", category.code, category.probability * 100.0, category.name);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]
#![deny(unreachable_pub)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod classify;
pub mod engine;
mod error;
pub mod image;
mod live;
mod model;
mod patient;
mod quality;
mod scores;
mod tensor;

pub use classify::{
    Category, Classification, Classifier, ClassifierOptions, ModelInfo, PreparedInput, Timings,
};
pub use engine::{
    Accelerator, DType, EngineOptions, ModelBytes, Precision, Quantization, TensorInfo,
};
pub use error::{Error, Result};
pub use image::{
    DecodeMode, Fit, Frame, ImageOptions, LumaImage, PixelFormat, Plane, PreparedImage, Resampling,
    Roi, Rotation, TargetSize, DETAIL_SIDE,
};
pub use live::{LiveHint, LiveListener, LiveOptions, LiveResult, LiveSession};
pub use model::{
    AgeEncoding, ClassInfo, ColorOrder, CropPolicy, InputDType, InputSpec, MetadataSpec, ModelCard,
    OneHot, OutputKind, OutputSpec, ResizeMethod, TensorLayout,
};
pub use patient::{BodySite, PatientInfo, Sex};
pub use quality::{
    assess_quality, measure_quality, QualityIssue, QualityMeasures, QualityReport,
    QualityThresholds, CLIPPED_LEVEL, GLARE_LEVEL,
};

/// The sentence every surface shows beside a result.
pub const DISCLAIMER: &str =
    "LesionScan is not a medical device: its output supports a clinician's judgement and is not a diagnosis.";

/// Compiles the README's Rust example with the doc tests, so it cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
