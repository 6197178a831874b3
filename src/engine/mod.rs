//! Inference engines: something that turns input tensors into output tensors.
//!
//! The [`Engine`] trait hides the runtime so that no runtime type appears in a public
//! signature, tests of ranking and preprocessing can run on a fake engine, and a second
//! runtime is one more file or folder.
//!
//! | file | job |
//! | --- | --- |
//! | `types.rs` | the shared types and the [`Engine`] / [`Session`] traits |
//! | `policy.rs` | what every engine decides the same way: accelerator fallback order, thread defaults, the model-file check, input checks, output decoding, caught C++ exceptions |
//! | `verify.rs`, `tflite_schema/` | the model-file check itself: TFLite's flatbuffer verifier and semantic checks, so that no damaged model reaches a C++ runtime |
//! | `guard.h` | the C++ side of that last point, included by each engine's guard |
//! | `litert.rs`, `litert_guard.cc` | `LiteRtEngine`: Google's current runtime through `litert-sys`; every target but iOS |
//! | `tflite_c/` | `TfLiteCEngine`: the classic TensorFlow Lite C API; iOS, and feature `tflite-c` |
//!
//! An engine speaks only to its runtime; everything else comes from `policy.rs`. Which
//! engine [`Classifier::from_bytes`](crate::Classifier::from_bytes) uses is decided by the
//! build ([`default_engine`]); [`Classifier::with_engine`](crate::Classifier::with_engine)
//! takes any other.

#[cfg(lesionscan_litert)]
mod litert;
mod policy;
#[cfg(lesionscan_tflite_c)]
mod tflite_c;
mod tflite_schema;
mod types;
mod verify;

#[cfg(lesionscan_litert)]
pub use self::litert::LiteRtEngine;
#[cfg(lesionscan_tflite_c)]
pub use self::tflite_c::{TfLiteCEngine, MINIMUM_IOS_RUNTIME};
pub use self::types::{
    Accelerator, DType, Engine, EngineOptions, Quantization, Session, TensorData, TensorInfo,
};

/// The engine of this build: LiteRT (`LiteRtEngine`) wherever `litert-sys` builds, and
/// on iOS, where it does not, the classic TFLite C API (`TfLiteCEngine`).
///
/// # Examples
/// ```
/// let engine = lesionscan::engine::default_engine();
/// assert_eq!(engine.name(), if cfg!(target_os = "ios") { "tflite-c" } else { "litert" });
/// ```
pub fn default_engine() -> Box<dyn Engine> {
    #[cfg(lesionscan_litert)]
    return Box::new(LiteRtEngine::new());
    #[cfg(not(lesionscan_litert))]
    return Box::new(TfLiteCEngine::new());
}
