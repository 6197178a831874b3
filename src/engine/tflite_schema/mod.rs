//! TFLite's flatbuffer schema as Rust: readers and the verifier that
//! [`verify`](super::verify) runs on every model before a runtime sees it.
//!
//! `schema_generated.rs` is written by `flatc` from `schema.fbs` (TensorFlow's, Apache-2.0;
//! see README.md here) and is not edited by hand: `./generate` in this folder rewrites it.
//! Its accessors are safe to call only on a buffer the verifier accepted, which is the only
//! way [`verify`](super::verify) reaches them.

#[allow(
    clippy::all,
    clippy::pedantic,
    clippy::unwrap_used,
    missing_docs,
    unreachable_pub,
    unsafe_op_in_unsafe_fn,
    unused_imports,
    dead_code,
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    deprecated,
    mismatched_lifetime_syntaxes
)]
#[rustfmt::skip]
mod schema_generated;

pub(super) use schema_generated::tflite;
