//! Inference engines: something that turns input tensors into output tensors.
//!
//! The [`Engine`] trait hides the runtime so that no runtime type appears in a public
//! signature, tests of ranking and preprocessing can run on a fake engine, and a second
//! runtime is one more file or folder.
//!
//! | file | job |
//! | --- | --- |
//! | `types.rs` | the shared types and the [`Engine`] / [`Session`] traits |
//! | `bytes.rs` | [`ModelBytes`]: a model's bytes, owned, static or a mapped file, shared with the runtime without a copy |
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

mod bytes;
#[cfg(lesionscan_litert)]
mod litert;
mod policy;
#[cfg(lesionscan_tflite_c)]
mod tflite_c;
mod tflite_schema;
mod types;
mod verify;

pub use self::bytes::ModelBytes;
#[cfg(lesionscan_litert)]
pub use self::litert::LiteRtEngine;
#[cfg(lesionscan_tflite_c)]
pub use self::tflite_c::{TfLiteCEngine, MINIMUM_IOS_RUNTIME};
pub use self::types::{
    Accelerator, DType, Engine, EngineOptions, Precision, Quantization, Session, TensorCheck,
    TensorData, TensorInfo,
};

/// Checks model bytes the way every engine does before its runtime parses them: the TFLite
/// file identifier, TFLite's flatbuffer verifier, then what the flatbuffer says (tensor
/// ranks, shapes and sizes, buffer ranges, operator, opcode and subgraph indices, operator
/// options and input counts). Loading a model runs this anyway; an app that downloads
/// model updates can also call it before it keeps a file. It neither loads nor runs the
/// model: bytes that pass may still fail to load (for example an operator the runtime
/// lacks), as a typed error.
///
/// # Examples
/// ```
/// use lesionscan::{engine::check_model, Error};
///
/// let model = std::fs::read("tests/data/mobilenet_tiny_int8.tflite")?;
/// check_model(&model)?;
///
/// let mut damaged = model.clone();
/// damaged.truncate(model.len() / 2);
/// assert!(matches!(check_model(&damaged), Err(Error::InvalidModel { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::InvalidModel`](crate::Error::InvalidModel) with the first problem found (the
/// flatbuffer field, or the subgraph, tensor or operator and what is wrong with it);
/// [`Error::Unsupported`](crate::Error::Unsupported) for sparse tensors.
pub fn check_model(bytes: &[u8]) -> crate::Result<()> {
    policy::check_model_header(bytes)
}

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
