//! LesionScan for Kotlin and Swift: the uniffi exports of the `lesionscan` core.
//!
//! **Not a medical device.** Results support a clinician's judgement; they are not a
//! diagnosis.
//!
//! This crate is a thin layer, in the manner of matrix-rust-sdk's `bindings/matrix-sdk-ffi`:
//! its own exported records, enums and objects, each made from the core's type in one
//! conversion, and one error mapping (`LesionScanError`). The core knows nothing about
//! uniffi or JNI.
//!
//! | module | exports |
//! | --- | --- |
//! | `classifier` | `Classifier` (`fromFiles`, `fromBytes`, `classifyImage`, `classifyFrame`, `classifyRawFrame`, `modelInfo`) |
//! | `options` | `ClassifierOptions`, `ImageOptions`, `Roi`, `DecodeMode`, `PatientInfo`, `Accelerator`, `Precision`, `Rotation`, `Sex`, `BodySite` |
//! | `results` | `Classification`, `Category`, `QualityReport`, `QualityIssue`, `Timings`, `ModelInfo`, `ClassInfo`, `TensorInfo` |
//! | `frames` | `CameraFrame`, `FramePlane`, `PixelFormat` (frames copied in) |
//! | `raw_frame` | `RawFrame`, `RawPlane` (frames read in place: the zero-copy camera path) |
//! | `live` | `LiveSession` (`pushFrame`, `pushRawFrame`, `close`: Kotlin `stop`), `LiveListener`, `LiveListenerError`, `LiveOptions`, `LiveResult` |
//! | `jvm` | JNI functions that read a direct `ByteBuffer`'s address and capacity (not on iOS) |
//! | `logging` | `LogSink`, `LogLevel`, `setLogSink`, `removeLogSink`; logcat on Android |
//! | `error` | `LesionScanError` |
//!
//! Bindings are generated from the built library by `scripts/generate-bindings` into
//! `android/` (Kotlin package `org.lesionscan`) and `ios/` (Swift module `LesionScan`).
//!
//! # Examples
//! The Rust API of this crate is the exported one, in Rust's spelling:
//! ```
//! use lesionscan_ffi::{Classifier, ClassifierOptions, ImageOptions};
//!
//! let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/");
//! let options = ClassifierOptions {
//!     accelerator: None, threads: Some(1), max_results: Some(3), score_threshold: 0.0,
//!     allow: vec![], deny: vec![], reject_unusable: false, half_precision: false,
//!     cache_dir: None,
//! };
//! let classifier = Classifier::from_files(
//!     format!("{data}mobilenet_tiny_int8.tflite"),
//!     format!("{data}mobilenet_tiny_int8.json"),
//!     options,
//! )?;
//! let photo = std::fs::read(format!("{data}phone_skin_moles.jpg"))?;
//! let image = ImageOptions { roi: None, rotation: None, decode: None };
//! let result = classifier.classify_image(photo, image, None)?;
//! assert_eq!(result.categories.len(), 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]
#![deny(unreachable_pub)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

uniffi::setup_scaffolding!("lesionscan");

mod classifier;
mod error;
mod frames;
#[cfg(not(target_os = "ios"))]
mod jvm;
mod live;
mod logging;
mod options;
mod raw_frame;
mod results;

pub use classifier::Classifier;
pub use error::{LesionScanError, Result};
pub use frames::{CameraFrame, FramePlane, PixelFormat};
pub use live::{
    live_hint_words, LiveHint, LiveListener, LiveListenerError, LiveOptions, LiveResult,
    LiveSession,
};
pub use logging::{remove_log_sink, set_log_sink, LogLevel, LogSink, LogSinkError};
pub use options::{
    rotation_from_degrees, Accelerator, BodySite, ClassifierOptions, DecodeMode, ImageOptions,
    PatientInfo, Precision, Roi, Rotation, Sex,
};
pub use raw_frame::{RawFrame, RawPlane};
pub use results::{
    quality_issue_advice, quality_issue_code, Category, ClassInfo, Classification, ModelInfo,
    QualityIssue, QualityReport, Quantization, TensorInfo, Timings,
};

/// The sentence every surface shows beside a result: LesionScan is not a medical device.
#[uniffi::export]
pub fn disclaimer() -> String {
    lesionscan::DISCLAIMER.to_string()
}

/// The library's version (`major.minor.patch`).
#[uniffi::export]
pub fn library_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
