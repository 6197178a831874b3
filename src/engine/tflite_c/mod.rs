//! The classic TensorFlow Lite C API engine: `TfLiteInterpreter`, as Apple platforms get it
//! in `TensorFlowLiteC.framework` (and Linux, for tests, as TF 2.6.0's
//! `libtensorflowlite_c.so`).
//!
//! This folder is the one place that calls that API. `ffi.rs` declares the functions by
//! hand; `guard.cc` wraps the ones that can throw C++ exceptions and collects the runtime's
//! error messages. Accelerator fallback, thread defaults, the model-file check, input checks
//! and output decoding come from `policy.rs`, exactly as for LiteRT.
//!
//! * CPU: XNNPACK and the runtime's built-in kernels. TFLite's iOS builds apply the XNNPACK
//!   delegate themselves, with the interpreter's thread count (TensorFlow's BUILD selects
//!   `tflite_with_xnnpack_enabled` for iOS); the desktop TF 2.6 library the tests use was
//!   built without that default, so elsewhere the engine adds the XNNPACK delegate itself.
//! * GPU: on iOS the Metal delegate (`TFLGpuDelegateCreate`, TensorFlowLiteCMetal); when it
//!   is missing or refuses the model, the CPU runs it and the session reports `Cpu`.
//!   Elsewhere this engine has no GPU path and always falls back.
//! * NPU: none (Core ML is not wired); falls back to the CPU.
//! * Half precision (`EngineOptions::half_precision`): an XNNPACK delegate with
//!   `TFLITE_XNNPACK_DELEGATE_FLAG_FORCE_FP16`, for runtimes 2.6 to 2.19 whose options
//!   layout is known; the C API cannot report what precision ran, so the engine compares
//!   outputs with a float32 run (see `TfLiteCSession::with_half_precision`). TF 2.6, which
//!   the Linux tests use, predates the flag and ignores it: the engine then reports float32.
//! * XNNPACK weight cache: not wired. The cache file path sits at a different offset of
//!   the delegate options in each release that has one (2.17 on), and TF 2.6, the only
//!   runtime the tests can run, has none to check it against; `cache_dir` is validated
//!   and otherwise unused here.

mod ffi;

use std::ffi::{c_char, CStr};
use std::ptr::{self, NonNull};

use super::bytes::ModelBytes;
use super::policy::{
    byte_len, call_guarded, check_inputs, check_model_header, compile_with_fallback,
    effective_threads, output_from_bytes, static_dim, trial_run, weight_cache_file,
};
use super::types::{
    Accelerator, DType, Engine, EngineOptions, Precision, Quantization, Session, TensorCheck,
    TensorData, TensorInfo,
};
use crate::error::{Error, Result};

/// The oldest TFLite runtime [`TfLiteCEngine::new`] accepts on iOS: 2.17 is the first to run
/// FULLY_CONNECTED version 12 (per-channel int8 weights with float activations, which the
/// default model has), and older runtimes compute per-channel int8 dense layers wrongly
/// without any error. `ios/fetch-runtime.sh` fetches exactly this version.
pub const MINIMUM_IOS_RUNTIME: (u32, u32) = (2, 17);

/// Runs TFLite models with the classic TensorFlow Lite C API (`TfLiteInterpreter`).
///
/// This is the engine of iOS builds, where LiteRT's `litert-sys` does not build; elsewhere
/// it exists with the feature `tflite-c`, for tests. It reports itself as `"tflite-c"`.
///
/// # Examples
/// ```
/// use lesionscan::engine::{Accelerator, Engine, EngineOptions, TfLiteCEngine};
///
/// let model = std::fs::read("tests/data/two_input_float.tflite")?;
/// let options = EngineOptions { accelerator: Accelerator::Cpu, threads: 1, ..EngineOptions::default() };
/// let session = TfLiteCEngine::new().load(&model, &options)?;
/// assert_eq!(session.inputs()[0].shape, vec![1, 64, 64, 3]);
/// assert_eq!(session.accelerator(), Accelerator::Cpu);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TfLiteCEngine {
    minimum_runtime: Option<(u32, u32)>,
}

impl Default for TfLiteCEngine {
    fn default() -> Self {
        Self::new()
    }
}

impl TfLiteCEngine {
    /// A TFLite C engine. Cheap: nothing is loaded until [`Engine::load`].
    ///
    /// On iOS it refuses to load models when the linked runtime is older than
    /// [`MINIMUM_IOS_RUNTIME`]; elsewhere it accepts any runtime (the Linux tests use TF 2.6
    /// on purpose).
    pub fn new() -> Self {
        Self {
            minimum_runtime: cfg!(target_os = "ios").then_some(MINIMUM_IOS_RUNTIME),
        }
    }

    /// Refuses to load models when the linked runtime is older than `major.minor`.
    ///
    /// # Examples
    /// ```
    /// use lesionscan::engine::TfLiteCEngine;
    ///
    /// let engine = TfLiteCEngine::new().with_minimum_runtime(2, 17);
    /// # let _ = engine;
    /// ```
    #[must_use]
    pub fn with_minimum_runtime(mut self, major: u32, minor: u32) -> Self {
        self.minimum_runtime = Some((major, minor));
        self
    }

    /// The version of the linked TFLite runtime, as it reports it (`"2.6.0"`).
    pub fn runtime_version() -> String {
        // SAFETY: TfLiteVersion returns a pointer to a static NUL-terminated string.
        let version = unsafe { ffi::TfLiteVersion() };
        if version.is_null() {
            return String::new();
        }
        // SAFETY: non-null, NUL-terminated and static (see above).
        unsafe { CStr::from_ptr(version) }
            .to_string_lossy()
            .into_owned()
    }

    fn check_runtime(&self) -> Result<()> {
        let Some((major, minor)) = self.minimum_runtime else {
            return Ok(());
        };
        let found = Self::runtime_version();
        match parse_version(&found) {
            Some(version) if version >= (major, minor) => Ok(()),
            _ => Err(Error::unsupported(format!(
                "the linked TensorFlow Lite runtime is {found:?}; this build needs {major}.{minor} \
                 or newer (older runtimes lack FULLY_CONNECTED v12 and silently miscompute \
                 per-channel int8 dense layers)"
            ))),
        }
    }
}

/// `major.minor` of a version string such as `2.17.0` or `2.18.0-rc1`.
fn parse_version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.split('.');
    let major = parts.next()?.trim().parse().ok()?;
    let minor: String = parts
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some((major, minor.parse().ok()?))
}

impl Engine for TfLiteCEngine {
    fn name(&self) -> &'static str {
        "tflite-c"
    }

    /// Copies the bytes once (the session must keep them), then as
    /// [`Engine::load_shared`], trial run included.
    fn load(&self, model: &[u8], options: &EngineOptions) -> Result<Box<dyn Session>> {
        self.load_shared(&ModelBytes::from(model), options)
    }

    fn load_checked(
        &self,
        model: &ModelBytes,
        options: &EngineOptions,
        check: &TensorCheck<'_>,
    ) -> Result<Box<dyn Session>> {
        check_model_header(model)?;
        self.check_runtime()?;
        if let Some(dir) = &options.weight_cache_dir {
            // Checked like LiteRT's, so that a misconfiguration shows on every platform.
            weight_cache_file(dir, model, self.name(), false)?;
            log::info!("the TFLite C engine keeps no XNNPACK weight cache; cache_dir is unused");
        }
        let model = ModelHandle::new(model.clone())?;
        let threads = effective_threads(options.threads);
        let (interpreter, accelerator) =
            compile_with_fallback(options.accelerator, |accelerator| {
                Interpreter::new(&model, accelerator, threads, false)
            })?;
        let mut session = TfLiteCSession::new(interpreter, model, accelerator)?;
        // The caller's check comes before anything runs the model.
        check(&session.inputs, &session.outputs)?;
        trial_run(&mut session)?;
        if options.half_precision {
            if accelerator == Accelerator::Cpu {
                session = session.with_half_precision(threads)?;
            } else {
                log::info!("half precision is a CPU option; {accelerator} chooses its own");
            }
        }
        if accelerator != Accelerator::Cpu {
            session.precision = Precision::AcceleratorDefined;
        }
        log::info!(
            "TFLite {} built an interpreter with {} input(s), {} output(s) on {accelerator} ({threads} CPU thread(s), {})",
            Self::runtime_version(),
            session.inputs.len(),
            session.outputs.len(),
            session.precision,
        );
        Ok(Box::new(session))
    }
}

impl TfLiteCSession {
    fn new(interpreter: Interpreter, model: ModelHandle, accelerator: Accelerator) -> Result<Self> {
        let inputs = (0..interpreter.input_count())
            .map(|i| describe(interpreter.input(i)?))
            .collect::<Result<Vec<_>>>()?;
        let outputs = (0..interpreter.output_count())
            .map(|i| describe(interpreter.output(i)?))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            interpreter,
            _model: model,
            inputs,
            outputs,
            accelerator,
            precision: Precision::Float32,
        })
    }

    /// This float32 CPU session, or one whose XNNPACK delegate forces half precision when
    /// that observably takes effect.
    ///
    /// The C API cannot say which precision XNNPACK's operators run in, so the engine looks
    /// at the outputs: the same varied inputs go through this session and through one built
    /// with `TFLITE_XNNPACK_DELEGATE_FLAG_FORCE_FP16`; if the outputs are bit for bit the
    /// same, half precision did not run (an older runtime ignores the flag) and this session
    /// stays. XNNPACK refuses the flag by failing to prepare (no half-float support, or
    /// int8 operators), which also keeps this session. Only one interpreter lives at a time,
    /// so the half-precision one is built again after the comparison: up to three builds.
    fn with_half_precision(mut self, threads: u32) -> Result<Self> {
        let version = TfLiteCEngine::runtime_version();
        if !parse_version(&version).is_some_and(|v| HALF_PRECISION_RUNTIMES.contains(&v)) {
            log::warn!("half precision is not wired for TFLite {version:?}; running float32");
            return Ok(self);
        }
        let probe = probe_inputs(&self.inputs)?;
        let full = self.run(&probe)?;
        let TfLiteCSession {
            interpreter,
            _model: model,
            accelerator,
            ..
        } = self;
        drop(interpreter);
        let interpreter = match Interpreter::new(&model, accelerator, threads, true) {
            Ok(interpreter) => interpreter,
            Err(err) => {
                log::warn!(
                    "half precision is not available for this model here ({err}); running float32"
                );
                return Self::float32(model, accelerator, threads);
            }
        };
        let mut half = Self::new(interpreter, model, accelerator)?;
        match trial_run(&mut half).and_then(|()| half.run(&probe)) {
            Ok(outputs) if outputs != full => {
                half.precision = Precision::Float16;
                return Ok(half);
            }
            Ok(_) => {
                log::warn!("TFLite {version} ignored the half-precision flag; running float32");
            }
            Err(err) => log::warn!(
                "half precision is not available for this model here ({err}); running float32"
            ),
        }
        let TfLiteCSession {
            interpreter,
            _model: model,
            ..
        } = half;
        drop(interpreter);
        Self::float32(model, accelerator, threads)
    }

    fn float32(model: ModelHandle, accelerator: Accelerator, threads: u32) -> Result<Self> {
        let interpreter = Interpreter::new(&model, accelerator, threads, false)?;
        let mut session = Self::new(interpreter, model, accelerator)?;
        trial_run(&mut session)?;
        Ok(session)
    }
}

/// Calls a guarded entry point of guard.cc with a message buffer.
fn guarded(call: &str, f: impl FnOnce(*mut c_char, usize) -> i32) -> Result<i32> {
    call_guarded("TFLite", call, |message| {
        f(message.as_mut_ptr().cast(), message.len())
    })
}

/// Owns a `TfLiteModel` and a reference to the bytes it reads from.
struct ModelHandle {
    ptr: NonNull<ffi::TfLiteModel>,
    // TfLiteModelCreate does not copy: the bytes must outlive the model and every
    // interpreter built from it. Dropped after `ptr` (see Drop).
    _bytes: ModelBytes,
}

impl ModelHandle {
    fn new(bytes: ModelBytes) -> Result<Self> {
        let mut raw: *mut ffi::TfLiteModel = ptr::null_mut();
        // SAFETY: `bytes` is valid for `bytes.len()` bytes and outlives the model (stored
        // beside it); `raw` is a valid out-pointer.
        guarded("TfLiteModelCreate", |message, len| unsafe {
            ffi::lesionscan_tflite_model_create(
                bytes.as_ptr().cast(),
                bytes.len(),
                &mut raw,
                message,
                len,
            )
        })
        .map_err(|e| Error::model(e.to_string()))?;
        // TfLiteModelCreate verifies the flatbuffer and returns null when it is damaged.
        let ptr = NonNull::new(raw).ok_or_else(|| {
            Error::model("TFLite rejected the model (its flatbuffer does not verify)")
        })?;
        Ok(Self { ptr, _bytes: bytes })
    }
}

impl Drop for ModelHandle {
    fn drop(&mut self) {
        // SAFETY: created by TfLiteModelCreate, deleted once, after every interpreter that
        // uses it (the session declares the interpreter first).
        unsafe { ffi::TfLiteModelDelete(self.ptr.as_ptr()) }
    }
}

/// The runtime's error messages for one interpreter, written by guard.cc's reporter.
///
/// Heap-allocated at a fixed address, because the interpreter keeps the pointer; freed
/// after the interpreter (see [`Interpreter`]'s field order).
struct ErrorLog(NonNull<ffi::ErrorLogData>);

impl ErrorLog {
    fn new() -> Self {
        let data = Box::new(ffi::ErrorLogData {
            text: [0; 1024],
            len: 0,
        });
        Self(NonNull::from(Box::leak(data)))
    }

    fn clear(&self) {
        // SAFETY: the allocation is ours and live; no runtime call is running (the
        // session's methods take `&mut self` or run before the interpreter exists), so
        // nothing else touches it now.
        unsafe {
            let data = self.0.as_ptr();
            (*data).len = 0;
            (*data).text[0] = 0;
        }
    }

    /// The messages collected since the last [`ErrorLog::clear`].
    fn text(&self) -> String {
        // SAFETY: as in `clear`: live, and not written while we read it.
        let data = unsafe { &*self.0.as_ptr() };
        let len = data.len.min(data.text.len());
        String::from_utf8_lossy(&data.text[..len])
            .trim()
            .to_string()
    }

    /// "`call` failed" plus the runtime's messages.
    fn error(&self, call: &str) -> String {
        match self.text() {
            text if text.is_empty() => format!("{call} failed"),
            text => format!("{call} failed: {text}"),
        }
    }
}

impl Drop for ErrorLog {
    fn drop(&mut self) {
        // SAFETY: made by Box::leak in `new`, freed once, after the interpreter that wrote
        // to it is deleted.
        drop(unsafe { Box::from_raw(self.0.as_ptr()) });
    }
}

/// Owns `TfLiteInterpreterOptions` for as long as an interpreter is being made.
struct Options(NonNull<ffi::TfLiteInterpreterOptions>);

impl Options {
    fn new() -> Result<Self> {
        // SAFETY: no arguments; returns an owned handle or null.
        let raw = unsafe { ffi::TfLiteInterpreterOptionsCreate() };
        NonNull::new(raw)
            .map(Self)
            .ok_or_else(|| Error::engine("TfLiteInterpreterOptionsCreate returned null"))
    }
}

impl Drop for Options {
    fn drop(&mut self) {
        // SAFETY: created by TfLiteInterpreterOptionsCreate, deleted once. The C API copies
        // what it needs into the interpreter, so options may go before it.
        unsafe { ffi::TfLiteInterpreterOptionsDelete(self.0.as_ptr()) }
    }
}

/// A delegate and the function that deletes it.
struct Delegate {
    ptr: NonNull<ffi::TfLiteDelegate>,
    delete: unsafe extern "C" fn(*mut ffi::TfLiteDelegate),
}

impl Drop for Delegate {
    fn drop(&mut self) {
        // SAFETY: made by the create function that `delete` belongs to, deleted once, after
        // the interpreter that uses it (see [`Interpreter`]'s field order).
        unsafe { (self.delete)(self.ptr.as_ptr()) }
    }
}

/// An XNNPACK delegate with `threads` threads like TFLite's own default delegate (no thread
/// pool for one thread) and `flags` (at offset 4 in the releases `HALF_PRECISION_RUNTIMES`
/// lists; zero, the defaults' "off", for the others, see ffi.rs).
fn xnnpack_delegate(threads: u32, flags: u32) -> Result<Delegate> {
    let options = ffi::XnnpackOptionsBuffer {
        num_threads: if threads > 1 { threads as i32 } else { 0 },
        flags,
        rest: [0; 248],
    };
    // SAFETY: `options` is larger than every release's options struct and zero past
    // `flags` (see ffi.rs); the delegate copies it during the call.
    let raw = unsafe { ffi::TfLiteXNNPackDelegateCreate(ptr::from_ref(&options).cast()) };
    NonNull::new(raw)
        .map(|ptr| Delegate {
            ptr,
            delete: ffi::TfLiteXNNPackDelegateDelete,
        })
        .ok_or_else(|| Error::engine("TfLiteXNNPackDelegateCreate returned null"))
}

/// The XNNPACK delegate for the CPU path where the runtime does not apply it by default
/// (see the module documentation); with `half`, one that forces half precision.
#[cfg(not(target_os = "ios"))]
fn cpu_delegate(threads: u32, half: bool) -> Result<Option<Delegate>> {
    let flags = if half { ffi::XNNPACK_FORCE_FP16 } else { 0 };
    xnnpack_delegate(threads, flags).map(Some)
}

/// On iOS the runtime applies XNNPACK itself (a second, explicit one would replace it), so
/// the engine makes its own only to force half precision, with the quantised-operator flags
/// the runtime's default delegate has.
#[cfg(target_os = "ios")]
fn cpu_delegate(threads: u32, half: bool) -> Result<Option<Delegate>> {
    if !half {
        return Ok(None);
    }
    xnnpack_delegate(
        threads,
        ffi::XNNPACK_QUANTIZED_FLAGS | ffi::XNNPACK_FORCE_FP16,
    )
    .map(Some)
}

/// TFLite releases whose XNNPACK options have `flags` at offset 4 (see ffi.rs), so that
/// half precision can be asked for: 2.6 to 2.19.
const HALF_PRECISION_RUNTIMES: std::ops::RangeInclusive<(u32, u32)> = (2, 6)..=(2, 19);

/// Inputs that exercise every operator with varied values (zeros would leave half-float
/// rounding invisible): a fixed pseudo-random sequence in each input's type, floats in
/// -1..1.
fn probe_inputs(infos: &[TensorInfo]) -> Result<Vec<TensorData>> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 32) as u32
    };
    infos
        .iter()
        .map(|info| {
            Ok(match TensorData::zeros(info.dtype, info.len())? {
                TensorData::F32(v) => TensorData::F32(
                    v.iter()
                        .map(|_| next() as f32 / u32::MAX as f32 * 2.0 - 1.0)
                        .collect(),
                ),
                TensorData::U8(v) => TensorData::U8(v.iter().map(|_| next() as u8).collect()),
                TensorData::I8(v) => TensorData::I8(v.iter().map(|_| next() as u8 as i8).collect()),
            })
        })
        .collect()
}

/// The Metal delegate with the header's default options (full precision).
#[cfg(target_os = "ios")]
fn gpu_delegate() -> Result<Delegate> {
    // SAFETY: null options are documented to mean the defaults; returns an owned delegate
    // or null (no Metal device).
    let raw = unsafe { ffi::TFLGpuDelegateCreate(ptr::null()) };
    NonNull::new(raw)
        .map(|ptr| Delegate {
            ptr,
            delete: ffi::TFLGpuDelegateDelete,
        })
        .ok_or_else(|| Error::engine("TFLGpuDelegateCreate returned null (no Metal device?)"))
}

#[cfg(not(target_os = "ios"))]
fn gpu_delegate() -> Result<Delegate> {
    Err(Error::unsupported(
        "the TFLite C engine has a GPU delegate only on iOS (Metal)",
    ))
}

/// A `TfLiteInterpreter` with tensors allocated, and what it points to.
///
/// Fields drop in declaration order after [`Drop::drop`] deletes the interpreter: the
/// delegate and the error log outlive it, as the C API requires.
struct Interpreter {
    ptr: NonNull<ffi::TfLiteInterpreter>,
    _delegate: Option<Delegate>,
    log: ErrorLog,
}

impl Interpreter {
    fn new(
        model: &ModelHandle,
        accelerator: Accelerator,
        threads: u32,
        half: bool,
    ) -> Result<Self> {
        let delegate = match accelerator {
            Accelerator::Gpu => Some(gpu_delegate()?),
            Accelerator::Npu => {
                return Err(Error::unsupported("the TFLite C engine has no NPU path"))
            }
            Accelerator::Cpu | Accelerator::Auto => cpu_delegate(threads, half)?,
        };
        let options = Options::new()?;
        let log = ErrorLog::new();
        // SAFETY: valid options handle; the thread count is at most policy::MAX_THREADS.
        unsafe { ffi::TfLiteInterpreterOptionsSetNumThreads(options.0.as_ptr(), threads as i32) };
        // SAFETY: valid options; `log` lives at a fixed address until after the
        // interpreter is deleted (field order of `Interpreter`).
        unsafe { ffi::lesionscan_tflite_set_error_reporter(options.0.as_ptr(), log.0.as_ptr()) };
        if let Some(delegate) = &delegate {
            // SAFETY: valid options and delegate; the delegate outlives the interpreter.
            unsafe {
                ffi::TfLiteInterpreterOptionsAddDelegate(options.0.as_ptr(), delegate.ptr.as_ptr())
            };
        }
        let mut raw: *mut ffi::TfLiteInterpreter = ptr::null_mut();
        // SAFETY: valid model and options; `raw` is a valid out-pointer.
        guarded("TfLiteInterpreterCreate", |message, len| unsafe {
            ffi::lesionscan_tflite_interpreter_create(
                model.ptr.as_ptr(),
                options.0.as_ptr(),
                &mut raw,
                message,
                len,
            )
        })?;
        drop(options);
        let Some(ptr) = NonNull::new(raw) else {
            return Err(interpreter_error(&log.error("TfLiteInterpreterCreate")));
        };
        let interpreter = Self {
            ptr,
            _delegate: delegate,
            log,
        };
        interpreter.log.clear();
        // SAFETY: valid interpreter.
        let status = guarded("TfLiteInterpreterAllocateTensors", |message, len| unsafe {
            ffi::lesionscan_tflite_allocate_tensors(interpreter.ptr.as_ptr(), message, len)
        })?;
        if status != ffi::TFLITE_OK {
            return Err(Error::model(
                interpreter.log.error("TfLiteInterpreterAllocateTensors"),
            ));
        }
        Ok(interpreter)
    }

    fn input_count(&self) -> i32 {
        // SAFETY: valid interpreter.
        unsafe { ffi::TfLiteInterpreterGetInputTensorCount(self.ptr.as_ptr()) }
    }

    fn output_count(&self) -> i32 {
        // SAFETY: valid interpreter.
        unsafe { ffi::TfLiteInterpreterGetOutputTensorCount(self.ptr.as_ptr()) }
    }

    /// Input tensor `index` (< [`Interpreter::input_count`]): owned by the interpreter,
    /// valid until it is deleted.
    fn input(&self, index: i32) -> Result<NonNull<ffi::TfLiteTensor>> {
        // SAFETY: valid interpreter; the runtime returns null for an index out of range.
        NonNull::new(unsafe { ffi::TfLiteInterpreterGetInputTensor(self.ptr.as_ptr(), index) })
            .ok_or_else(|| Error::engine(format!("input tensor {index} is missing")))
    }

    /// Output tensor `index`, as [`Interpreter::input`].
    fn output(&self, index: i32) -> Result<NonNull<ffi::TfLiteTensor>> {
        // SAFETY: as in `input`.
        let raw = unsafe { ffi::TfLiteInterpreterGetOutputTensor(self.ptr.as_ptr(), index) };
        NonNull::new(raw.cast_mut())
            .ok_or_else(|| Error::engine(format!("output tensor {index} is missing")))
    }
}

impl Drop for Interpreter {
    fn drop(&mut self) {
        // SAFETY: created by TfLiteInterpreterCreate, deleted once, before its delegate,
        // its error log and its model.
        unsafe { ffi::TfLiteInterpreterDelete(self.ptr.as_ptr()) }
    }
}

/// An interpreter the runtime would not build. A missing operator or operator version is
/// something valid this runtime cannot do; anything else is a model it cannot read.
fn interpreter_error(message: &str) -> Error {
    if message.contains("Didn't find op for builtin opcode") {
        Error::unsupported(format!(
            "TFLite {} lacks an operator the model needs: {message}",
            TfLiteCEngine::runtime_version()
        ))
    } else {
        Error::model(message.to_string())
    }
}

/// Name, shape, element type and per-tensor quantisation of an interpreter tensor.
fn describe(tensor: NonNull<ffi::TfLiteTensor>) -> Result<TensorInfo> {
    let tensor = tensor.as_ptr().cast_const();
    // SAFETY (every call in this function): `tensor` is a live tensor of a live interpreter.
    let name_ptr = unsafe { ffi::TfLiteTensorName(tensor) };
    let name = if name_ptr.is_null() {
        String::new()
    } else {
        // SAFETY: a NUL-terminated string owned by the model, alive here.
        unsafe { CStr::from_ptr(name_ptr) }
            .to_string_lossy()
            .into_owned()
    };
    let rank = unsafe { ffi::TfLiteTensorNumDims(tensor) };
    if !(0..=8).contains(&rank) {
        return Err(Error::model(format!("tensor {name:?} has rank {rank}")));
    }
    let shape = (0..rank)
        .map(|d| static_dim(unsafe { ffi::TfLiteTensorDim(tensor, d) }.into()))
        .collect();
    let dtype = match unsafe { ffi::TfLiteTensorType(tensor) } {
        ffi::TFLITE_FLOAT32 => DType::F32,
        ffi::TFLITE_UINT8 => DType::U8,
        ffi::TFLITE_INT8 => DType::I8,
        ffi::TFLITE_INT32 => DType::I32,
        ffi::TFLITE_FLOAT16 => DType::F16,
        ffi::TFLITE_INT64 => DType::Other("int64"),
        ffi::TFLITE_INT16 => DType::Other("int16"),
        ffi::TFLITE_BOOL => DType::Other("bool"),
        _ => DType::Other("unknown"),
    };
    let q = unsafe { ffi::TfLiteTensorQuantizationParams(tensor) };
    let quantization = (q.scale > 0.0).then_some(Quantization {
        scale: q.scale,
        zero_point: q.zero_point.into(),
    });
    let info = TensorInfo {
        name,
        shape,
        dtype,
        quantization,
    };
    // Types we exchange must have exactly the bytes their shape says.
    if let Ok(expected) = byte_len(&info) {
        let actual = unsafe { ffi::TfLiteTensorByteSize(tensor) };
        if actual != expected {
            return Err(Error::model(format!(
                "tensor {:?} of shape {:?} holds {actual} bytes, {expected} expected",
                info.name, info.shape
            )));
        }
    }
    Ok(info)
}

/// An interpreter with its model.
///
/// Fields drop in declaration order: the interpreter (with its delegate and error log),
/// then the model and its bytes.
struct TfLiteCSession {
    interpreter: Interpreter,
    _model: ModelHandle,
    inputs: Vec<TensorInfo>,
    outputs: Vec<TensorInfo>,
    accelerator: Accelerator,
    precision: Precision,
}

// SAFETY: the interpreter, its delegate, its error log and the model are owned by this
// session alone, and the runtime is entered only through `&mut self` (`run`) or, while
// loading, before the session exists; the C API's documented rule is one thread at a time,
// not a particular thread. The CPU kernels keep no thread-local state between calls, and the
// Metal delegate uses a command queue, which Metal allows from any thread. (That last point
// cannot be exercised on Linux; ios/README.md lists it among what a device must confirm.)
// It is not Sync: one session never runs on two threads at once.
unsafe impl Send for TfLiteCSession {}

impl Session for TfLiteCSession {
    fn inputs(&self) -> &[TensorInfo] {
        &self.inputs
    }

    fn outputs(&self) -> &[TensorInfo] {
        &self.outputs
    }

    fn accelerator(&self) -> Accelerator {
        self.accelerator
    }

    fn precision(&self) -> Precision {
        self.precision
    }

    fn weight_cache(&self) -> Option<&std::path::Path> {
        None
    }

    fn run(&mut self, inputs: &[TensorData]) -> Result<Vec<TensorData>> {
        check_inputs(&self.inputs, inputs)?;
        let interpreter = &self.interpreter;
        for (index, data) in (0..).zip(inputs) {
            let tensor = interpreter.input(index)?;
            let (bytes, len) = match data {
                TensorData::F32(v) => (v.as_ptr().cast(), std::mem::size_of_val(v.as_slice())),
                TensorData::U8(v) => (v.as_ptr().cast(), v.len()),
                TensorData::I8(v) => (v.as_ptr().cast(), v.len()),
            };
            // SAFETY: `bytes` points to `len` initialised bytes of `data`; the runtime
            // checks `len` against the tensor's size and copies without keeping the pointer.
            let status = unsafe { ffi::TfLiteTensorCopyFromBuffer(tensor.as_ptr(), bytes, len) };
            if status != ffi::TFLITE_OK {
                return Err(Error::engine(format!(
                    "TfLiteTensorCopyFromBuffer refused {len} bytes for input {index}"
                )));
            }
        }
        interpreter.log.clear();
        // SAFETY: valid interpreter with tensors allocated and every input written.
        let status = guarded("TfLiteInterpreterInvoke", |message, len| unsafe {
            ffi::lesionscan_tflite_invoke(interpreter.ptr.as_ptr(), message, len)
        })?;
        if status != ffi::TFLITE_OK {
            return Err(Error::engine(
                interpreter.log.error("TfLiteInterpreterInvoke"),
            ));
        }
        (0..)
            .zip(&self.outputs)
            .map(|(index, info)| {
                let tensor = interpreter.output(index)?;
                let mut bytes = vec![0u8; byte_len(info)?];
                // SAFETY: `bytes` has room for exactly the tensor's size (checked by the
                // runtime, which fails otherwise).
                let status = unsafe {
                    ffi::TfLiteTensorCopyToBuffer(
                        tensor.as_ptr(),
                        bytes.as_mut_ptr().cast(),
                        bytes.len(),
                    )
                };
                if status != ffi::TFLITE_OK {
                    return Err(Error::engine(format!(
                        "TfLiteTensorCopyToBuffer failed for output {index}"
                    )));
                }
                output_from_bytes(info, &bytes)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_versions_parse_to_major_and_minor() {
        assert_eq!(parse_version("2.6.0"), Some((2, 6)));
        assert_eq!(parse_version("2.17.0"), Some((2, 17)));
        assert_eq!(parse_version("2.18.0-rc1"), Some((2, 18)));
        assert_eq!(parse_version("2.17rc0"), Some((2, 17)));
        assert_eq!(parse_version(""), None);
        assert_eq!(parse_version("two.six"), None);
        assert!(parse_version("2.6.0").expect("parses") < MINIMUM_IOS_RUNTIME);
        assert!(parse_version("2.17.0").expect("parses") >= MINIMUM_IOS_RUNTIME);
    }

    #[test]
    fn a_missing_operator_version_is_unsupported_anything_else_an_invalid_model() {
        let missing = "TfLiteInterpreterCreate failed: Didn't find op for builtin opcode \
                       'FULLY_CONNECTED' version '12'";
        assert!(matches!(
            interpreter_error(missing),
            Error::Unsupported { .. }
        ));
        assert!(matches!(
            interpreter_error("TfLiteInterpreterCreate failed"),
            Error::InvalidModel { .. }
        ));
    }
}
