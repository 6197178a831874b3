//! Inference engines: something that turns input tensors into output tensors.
//!
//! The [`Engine`] trait hides the runtime so that no runtime type appears in a public
//! signature, tests of ranking and preprocessing can run on a fake engine, and a second
//! runtime is one more file.
//!
//! | file | job |
//! | --- | --- |
//! | `types.rs` | the shared types and the [`Engine`] / [`Session`] traits |
//! | `policy.rs` | what every engine decides the same way: accelerator fallback order, thread defaults, the model-file check, input checks, output decoding, caught C++ exceptions |
//! | `guard.h` | the C++ side of that last point, included by each engine's `*_guard.cc` |
//! | `litert.rs`, `litert_guard.cc` | [`LiteRtEngine`]: Google's current runtime, through `litert-sys` |
//!
//! An engine file speaks only to its runtime; everything else comes from `policy.rs`.

mod litert;
mod policy;
mod types;

pub use self::litert::LiteRtEngine;
pub use self::types::{
    Accelerator, DType, Engine, EngineOptions, Quantization, Session, TensorData, TensorInfo,
};
