//! Decisions every engine makes the same way, whatever its runtime: which accelerators to
//! try and in what order, how many CPU threads to use, what a model file must look like
//! before a runtime parses it, which inputs a session accepts, how bytes a runtime hands
//! back become a [`TensorData`], and how a C++ exception caught at the runtime's boundary
//! becomes an error.
//!
//! An engine module (`litert.rs`, `tflite_c.rs`) only speaks to its runtime and calls
//! these functions for the rest, so two engines cannot drift apart on policy.

use std::ffi::CStr;
use std::path::{Path, PathBuf};

use super::bytes::ModelBytes;
use super::types::{Accelerator, DType, Session, TensorData, TensorInfo};
use crate::error::{Error, Result};

/// The most CPU threads a caller may ask for (the classifier's options check the same).
pub(super) const MAX_THREADS: u32 = 64;

/// The largest tensor an engine allocates or reads: 1 GiB. The default model's input is
/// about 1 MB; anything near this is a damaged or hostile model.
pub(super) const MAX_TENSOR_BYTES: usize = 1 << 30;

/// Thread count to give the runtime: the request (at most [`MAX_THREADS`]), or for `0` the
/// number of cores up to 4 — beyond 4 a phone's efficiency cores slow inference down
/// more than they help.
pub(super) fn effective_threads(requested: u32) -> u32 {
    if requested > 0 {
        return requested.min(MAX_THREADS);
    }
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4) as u32)
}

/// Accelerators to try, in order, for a request. The CPU always comes last.
pub(super) fn attempts(requested: Accelerator) -> &'static [Accelerator] {
    match requested {
        Accelerator::Cpu => &[Accelerator::Cpu],
        Accelerator::Gpu => &[Accelerator::Gpu, Accelerator::Cpu],
        Accelerator::Npu => &[Accelerator::Npu, Accelerator::Cpu],
        Accelerator::Auto => &[Accelerator::Npu, Accelerator::Gpu, Accelerator::Cpu],
    }
}

/// Tries `compile` for each accelerator [`attempts`] lists, logging why each non-CPU
/// attempt failed, and returns the first that works with the accelerator it used.
///
/// A request the device cannot serve falls back silently for `Auto` and with a warning
/// otherwise; the session then reports the accelerator that really runs the model. When
/// the CPU fails too, its error is returned: the model, not the hardware, is what is
/// wrong.
pub(super) fn compile_with_fallback<T>(
    requested: Accelerator,
    mut compile: impl FnMut(Accelerator) -> Result<T>,
) -> Result<(T, Accelerator)> {
    let mut last_error = None;
    for &accelerator in attempts(requested) {
        match compile(accelerator) {
            Ok(compiled) => {
                if accelerator != requested && requested != Accelerator::Auto {
                    log::warn!("{requested} accelerator unavailable; running on {accelerator}");
                }
                return Ok((compiled, accelerator));
            }
            Err(err) => {
                if accelerator == Accelerator::Cpu || requested == Accelerator::Cpu {
                    return Err(err);
                }
                log::info!(
                    "{accelerator} accelerator not usable here ({err}); trying the next one"
                );
                last_error = Some(err);
            }
        }
    }
    Err(last_error.unwrap_or_else(|| Error::engine("no accelerator could compile the model")))
}

/// Checks model bytes before a runtime parses them. A TFLite flatbuffer carries the
/// identifier `TFL3` at bytes 4..8: checking it first turns a text file or an image passed
/// as a model into a clear error. Then [`verify_model`](super::verify::verify_model) checks
/// the whole flatbuffer and what it says, since a C++ runtime fed damaged bytes can crash
/// the process.
pub(super) fn check_model_header(bytes: &[u8]) -> Result<()> {
    if bytes.len() < 16 {
        return Err(Error::model(format!(
            "{} bytes is too short for a TFLite model",
            bytes.len()
        )));
    }
    if &bytes[4..8] != b"TFL3" {
        return Err(Error::model(
            "not a TFLite flatbuffer (file identifier TFL3 missing)",
        ));
    }
    super::verify::verify_model(bytes)
}

/// Runs a freshly compiled session once on zeros. A damaged model can pass the runtime's
/// checks and still fail on its first run; this turns that into an error at load time, and
/// the first real classification does not pay for the runtime's lazy initialisation.
pub(super) fn trial_run(session: &mut dyn Session) -> Result<()> {
    let inputs = session
        .inputs()
        .iter()
        .map(|info| TensorData::zeros(info.dtype, info.len()))
        .collect::<Result<Vec<_>>>()?;
    session
        .run(&inputs)
        .map(drop)
        .map_err(|err| Error::model(format!("the model loads but does not run: {err}")))
}

/// The XNNPACK weight cache file for `model` in `dir`: one file per engine, model content
/// and precision, so that a cache is never read for another model (XNNPACK identifies
/// packed weights by their position in the model, not by their content).
///
/// # Errors
/// [`Error::InvalidArgument`] when `dir` is not an existing directory, or when its path
/// cannot be handed to the runtime (not UTF-8, or holding a quote, a backslash or a
/// control character, which LiteRT's option text cannot carry).
pub(super) fn weight_cache_file(
    dir: &Path,
    model: &ModelBytes,
    engine: &str,
    half_precision: bool,
) -> Result<PathBuf> {
    if !dir.is_dir() {
        return Err(Error::argument("cache_dir must name an existing directory"));
    }
    let text = dir
        .to_str()
        .ok_or_else(|| Error::argument("cache_dir must be a UTF-8 path"))?;
    if text
        .chars()
        .any(|c| c == '"' || c == '\\' || c.is_control())
    {
        return Err(Error::argument(
            "cache_dir must not contain quotes, backslashes or control characters",
        ));
    }
    let precision = if half_precision { "f16" } else { "f32" };
    let digest = model.sha256_hex();
    Ok(dir.join(format!(
        "lesionscan-{engine}-{}-{precision}.xnnpack-cache",
        &digest[..32]
    )))
}

/// Checks `inputs` against `infos` (count, element type, element count).
pub(super) fn check_inputs(infos: &[TensorInfo], inputs: &[TensorData]) -> Result<()> {
    if infos.len() != inputs.len() {
        return Err(Error::argument(format!(
            "the model takes {} inputs, got {}",
            infos.len(),
            inputs.len()
        )));
    }
    for (i, (info, data)) in infos.iter().zip(inputs).enumerate() {
        if info.dtype != data.dtype() {
            return Err(Error::argument(format!(
                "input {i} must be {}, got {}",
                info.dtype,
                data.dtype()
            )));
        }
        if info.len() != data.len() {
            return Err(Error::argument(format!(
                "input {i} must have {} elements (shape {:?}), got {}",
                info.len(),
                info.shape,
                data.len()
            )));
        }
    }
    Ok(())
}

/// Bytes per element of the types a session can exchange, `None` for the others.
pub(super) fn element_size(dtype: DType) -> Option<usize> {
    match dtype {
        DType::F32 | DType::I32 => Some(4),
        DType::U8 | DType::I8 => Some(1),
        DType::F16 => Some(2),
        DType::Other(_) => None,
    }
}

/// A dimension as the runtime reports it, for a tensor we allocate: a dynamic dimension
/// (`-1`, the batch of a Keras export) or `0` runs as 1.
pub(super) fn static_dim(dim: i64) -> usize {
    usize::try_from(dim).unwrap_or(1).max(1)
}

/// Bytes a tensor of `info`'s type and shape occupies, refusing anything over
/// [`MAX_TENSOR_BYTES`] or of a type sessions do not exchange.
pub(super) fn byte_len(info: &TensorInfo) -> Result<usize> {
    let element = element_size(info.dtype)
        .ok_or_else(|| Error::unsupported(format!("tensors of type {}", info.dtype)))?;
    info.shape
        .iter()
        .try_fold(element, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= MAX_TENSOR_BYTES)
        .ok_or_else(|| Error::model(format!("tensor {:?} is larger than 1 GiB", info.name)))
}

/// Copies an output tensor's bytes (native byte order, as the runtime wrote them) into a
/// [`TensorData`] of `info`'s type.
///
/// # Errors
/// [`Error::Engine`] when `bytes` does not hold exactly `info`'s elements;
/// [`Error::Unsupported`] for element types other than float32, uint8 and int8.
pub(super) fn output_from_bytes(info: &TensorInfo, bytes: &[u8]) -> Result<TensorData> {
    let expected = byte_len(info)?;
    if bytes.len() != expected {
        return Err(Error::engine(format!(
            "output {:?} holds {} bytes, {expected} expected",
            info.name,
            bytes.len()
        )));
    }
    match info.dtype {
        DType::F32 => Ok(TensorData::F32(
            bytes
                .chunks_exact(4)
                .map(|c| f32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        )),
        DType::U8 => Ok(TensorData::U8(bytes.to_vec())),
        DType::I8 => Ok(TensorData::I8(
            bytes.iter().map(|&b| i8::from_ne_bytes([b])).collect(),
        )),
        other => Err(Error::unsupported(format!(
            "output tensors of type {other}"
        ))),
    }
}

/// What a C++ guard (`guard.h`) returns when it caught an exception; its message buffer
/// then holds the exception's `what()`.
pub(super) const CAUGHT_EXCEPTION: i32 = -1000;

/// Calls a guarded runtime entry point `f` with a zeroed message buffer (which `f` hands
/// to the guard as pointer and length) and returns the runtime's own status, or an
/// [`Error::Engine`] naming `call` when the runtime threw a C++ exception (which the guard
/// caught, so that it never unwinds into Rust).
pub(super) fn call_guarded(
    runtime: &str,
    call: &str,
    f: impl FnOnce(&mut [u8]) -> i32,
) -> Result<i32> {
    let mut message = [0u8; 256];
    let status = f(&mut message);
    if status == CAUGHT_EXCEPTION {
        let text = CStr::from_bytes_until_nul(&message)
            .map(|text| text.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "an exception with an unterminated message".to_string());
        return Err(Error::engine(format!(
            "{call} failed: {runtime} raised {text}"
        )));
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpu_request_falls_back_to_cpu_when_gpu_compile_fails() {
        let mut tried = Vec::new();
        let (value, used) = compile_with_fallback(Accelerator::Gpu, |a| {
            tried.push(a);
            if a == Accelerator::Cpu {
                Ok(7)
            } else {
                Err(Error::engine("no GPU"))
            }
        })
        .expect("falls back");
        assert_eq!((value, used), (7, Accelerator::Cpu));
        assert_eq!(tried, vec![Accelerator::Gpu, Accelerator::Cpu]);
    }

    #[test]
    fn auto_reports_the_first_accelerator_that_compiles() {
        let (_, used) = compile_with_fallback(Accelerator::Auto, |a| {
            if a == Accelerator::Npu {
                Err(Error::engine("no NPU"))
            } else {
                Ok(())
            }
        })
        .expect("compiles");
        assert_eq!(used, Accelerator::Gpu);
    }

    #[test]
    fn cpu_failure_is_reported_not_retried() {
        let mut calls = 0;
        let err = compile_with_fallback(Accelerator::Cpu, |_| -> Result<()> {
            calls += 1;
            Err(Error::engine("broken"))
        })
        .expect_err("fails");
        assert_eq!(calls, 1);
        assert!(matches!(err, Error::Engine { .. }));
    }

    #[test]
    fn when_every_accelerator_fails_the_cpu_error_is_returned() {
        let err = compile_with_fallback(Accelerator::Auto, |a| -> Result<()> {
            Err(Error::model(format!("{a} says no")))
        })
        .expect_err("fails");
        assert_eq!(err, Error::model("cpu says no"));
    }

    #[test]
    fn text_is_not_a_model() {
        let err = check_model_header(b"this is a text file, not a model").expect_err("rejected");
        assert!(matches!(err, Error::InvalidModel { .. }));
        assert!(matches!(
            check_model_header(b"abc"),
            Err(Error::InvalidModel { .. })
        ));
        // The right identifier alone is not a model: the verifier looks further.
        let mut header = [0u8; 16];
        header[4..8].copy_from_slice(b"TFL3");
        assert!(matches!(
            check_model_header(&header),
            Err(Error::InvalidModel { .. })
        ));
    }

    #[test]
    fn weight_cache_files_differ_by_model_and_precision_and_bad_dirs_are_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let a = ModelBytes::from(b"model a".to_vec());
        let b = ModelBytes::from(b"model b".to_vec());
        let a32 = weight_cache_file(dir.path(), &a, "litert", false).expect("usable");
        let a16 = weight_cache_file(dir.path(), &a, "litert", true).expect("usable");
        let b32 = weight_cache_file(dir.path(), &b, "litert", false).expect("usable");
        assert_eq!(a32.parent(), Some(dir.path()));
        assert_ne!(a32, a16);
        assert_ne!(a32, b32);
        assert_eq!(
            a32,
            weight_cache_file(dir.path(), &a, "litert", false).expect("same")
        );
        // Nothing is created by naming the file.
        assert_eq!(std::fs::read_dir(dir.path()).expect("lists").count(), 0);

        let missing = dir.path().join("missing");
        let file = dir.path().join("file");
        std::fs::write(&file, b"x").expect("writes");
        let quoted = dir.path().join("a\"quote");
        std::fs::create_dir(&quoted).expect("creates");
        for bad in [missing.as_path(), file.as_path(), quoted.as_path()] {
            assert!(
                matches!(
                    weight_cache_file(bad, &a, "litert", false),
                    Err(Error::InvalidArgument { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn zero_threads_means_the_cores_up_to_four_and_requests_are_capped() {
        let auto = effective_threads(0);
        assert!((1..=4).contains(&auto), "{auto}");
        assert_eq!(effective_threads(3), 3);
        assert_eq!(effective_threads(1000), MAX_THREADS);
    }

    #[test]
    fn dynamic_dimensions_run_as_one() {
        assert_eq!(static_dim(-1), 1);
        assert_eq!(static_dim(0), 1);
        assert_eq!(static_dim(299), 299);
    }

    fn info(dtype: DType, shape: &[usize]) -> TensorInfo {
        TensorInfo {
            name: "t".into(),
            shape: shape.to_vec(),
            dtype,
            quantization: None,
        }
    }

    #[test]
    fn output_bytes_decode_in_native_order_and_wrong_lengths_are_errors() {
        let values = [1.5f32, -2.0, 0.25];
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_ne_bytes()).collect();
        assert_eq!(
            output_from_bytes(&info(DType::F32, &[1, 3]), &bytes),
            Ok(TensorData::F32(values.to_vec()))
        );
        assert_eq!(
            output_from_bytes(&info(DType::I8, &[2]), &[0xff, 0x7f]),
            Ok(TensorData::I8(vec![-1, 127]))
        );
        assert!(matches!(
            output_from_bytes(&info(DType::F32, &[1, 4]), &bytes),
            Err(Error::Engine { .. })
        ));
        assert!(matches!(
            output_from_bytes(&info(DType::I32, &[1]), &[0; 4]),
            Err(Error::Unsupported { .. })
        ));
    }

    #[test]
    fn absurd_tensor_sizes_are_refused() {
        assert!(matches!(
            byte_len(&info(DType::F32, &[1 << 20, 1 << 20])),
            Err(Error::InvalidModel { .. })
        ));
        assert!(matches!(
            byte_len(&info(DType::F32, &[usize::MAX, 2])),
            Err(Error::InvalidModel { .. })
        ));
        assert_eq!(
            byte_len(&info(DType::F32, &[1, 299, 299, 3])),
            Ok(1_072_812)
        );
    }

    #[test]
    fn a_caught_exception_becomes_an_engine_error_with_its_message() {
        let err = call_guarded("Runtime", "MakeThing", |message| {
            // The test plays the C++ guard: it writes a NUL-terminated message.
            let text = b"std::out_of_range: vector\0";
            message[..text.len()].copy_from_slice(text);
            CAUGHT_EXCEPTION
        })
        .expect_err("exception");
        assert_eq!(
            err,
            Error::engine("MakeThing failed: Runtime raised std::out_of_range: vector")
        );
        assert_eq!(call_guarded("Runtime", "MakeThing", |_| 3), Ok(3));
        // A message without its NUL still gives an error, not a read past the buffer.
        let err = call_guarded("Runtime", "MakeThing", |message| {
            message.fill(b'x');
            CAUGHT_EXCEPTION
        })
        .expect_err("exception");
        assert!(matches!(err, Error::Engine { .. }));
    }
}
